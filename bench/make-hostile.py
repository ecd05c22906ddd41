#!/usr/bin/env python3
"""Writes a capture shaped to show a cost that grows with the square of something: one thing
repeated N times over 60 s of packet time where a careless index or walk reads all the earlier
ones each time. No traffic is sent: the packets are written to the file (classic pcap,
LINKTYPE_RAW, IPv4). Time a shape at N and 4N (bench/README.md, "Hostile shapes"): linear
cost takes four times as long, a quadratic one sixteen.

  bench/make-hostile.py SHAPE N OUT

Shapes (gateway 198.18.1.1:8080, client 198.18.1.10, server 198.19.0.80, DNS 198.19.0.53):
  dnsname    one name looked up N times (new ids and ports), each answered
  dnsnx      N names looked up, none answered
  dnssame    one query (same id, port and name) sent N times, unanswered
  dnsfail    N names looked up, each answered NXDOMAIN
  pipeline   one connection, N requests pipelined, none answered (past the per-connection cap)
  responses  one connection, N answers and no request
  kaerr      one keep-alive connection, N requests each answered 502 at once
  chunks     one answer of N one-byte chunks
  icmp       one SYN, then N ICMP errors quoting it
  rst        N resets on tuples no connection has
  synack     N SYN-ACKs with no SYN, each a new tuple
  synretry   one connection's SYN sent N times
  retrans    one segment sent N times
  ooo        one connection, N segments each past a hole
  conns      N connections from one client, each a request answered 502 and closed
  clients    N clients (10.0.0.0/8), each one request answered 502 and closed by the gateway
  h2streams  one HTTP/2 connection (prior knowledge), N streams opened, none answered
  dnstcp     one TCP connection to port 53, N queries each answered
  orphans    the gateway's N requests upstream on one kept-alive connection, each answered 200,
             and one client request (so that the gateway is known) at the start
  hosts      one client's N requests through a forward proxy, each for another host: the
             gateway's lookup of it answered, its SYN to that address refused, a 502
  sameaddr   hosts, every name answered with the one address (a CDN's, a parking page's)
  unused     sameaddr, every other request answered 502 with no try after its lookup
  backend    a reverse proxy's N requests on one kept-alive client connection, each sent on
             a new connection to its one backend address, one in ten refused (a 502)
  tlshello   N connections from the gateway to port 443, each a ClientHello (its own SNI)
             and no answer
  v6conns    conns over IPv6 (fd00:1::/64 and fd00:2::1)
  icmpmany   N SYNs of the gateway to N servers, each drawing an ICMP error
  upipe      the gateway's N requests upstream on one connection, none answered, and one
             client request (so that the gateway is known) at the start
  urls       one keep-alive connection, N requests each for another URL, answered 502
  longhead   one keep-alive connection, N requests each with an 8 KB header, answered 502
  gre        conns, each packet inside GRE from another outer address pair
  dnsmany    one name looked up N times, each answer with 64 addresses
  tlsalert   a gateway passing TLS through (one plain request through it at the start, so that
             the gateway is known): N client connections to its 443, each ClientHello sent on
             unchanged to the one server's 443 and answered by a fatal alert (handshake_failure)
  opaque     a TLS reverse proxy without keys: N client connections to its 443 (a ClientHello and
             an encrypted record), each followed by its request upstream on a new connection,
             answered 503
  tlscert    N connections of the gateway to one server's 443, each closed by the gateway
             after the server's certificate (not valid for the name asked, nor at the time)
  crossed    N requests in pairs through a reverse proxy to its one backend, which refuses
             every try: the second of a pair answered 502 right after the first's try, the
             first after the second's (the answers cross the tries)
  resolver   a reverse proxy's N requests on one kept-alive client connection, each making
             it look its backend's one name up (answered), its try there refused, a 502
  relaycut   a gateway passing TLS through whose one server refuses: N client connections to
             its 443, each ClientHello followed by the gateway's try at the server's 444
             (refused) and the gateway closing the client's connection in its handshake
  dials      a reverse proxy that looks its backend's one name up for each of N requests (each
             on a client connection of its own, 68 a second at N = 4,096) and dials once when
             the answer comes, 40 ms after the request; the server drops every SYN, and each
             request is answered 502 1 s after its lookup, so that a request waits while the
             next sixty are dialled (Caddy, the balance shape's drop.bench)
(bench/make-flood.py --isn is one more: N SYNs that share one sequence number.) The random
numbers come from a fixed seed: the same shape and N give the same bytes."""
import argparse
import random
import struct

SHAPES = ("dnsname", "dnsnx", "dnssame", "dnsfail", "pipeline", "responses", "kaerr", "chunks", "icmp", "rst",
          "synack", "synretry", "retrans", "ooo", "conns", "clients", "h2streams", "dnstcp", "orphans", "hosts", "tlshello", "v6conns", "icmpmany", "upipe",
          "urls", "longhead", "gre", "dnsmany", "sameaddr", "unused", "backend", "tlsalert", "opaque", "tlscert", "crossed", "resolver",
          "relaycut", "dials")


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def tcp(src, dst, sp, dp, seq, ack, fl, data=b""):
    t = struct.pack(">HHIIBBHHH", sp, dp, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 0x50, fl, 65535, 0, 0) + data
    return struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(t), 0, 0, 64, 6, 0, ip4(src), ip4(dst)) + t


def udp(src, dst, sp, dp, data):
    u = struct.pack(">HHHH", sp, dp, 8 + len(data), 0) + data
    return struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(u), 0, 0, 64, 17, 0, ip4(src), ip4(dst)) + u


def icmp(src, dst, quoted):
    m = struct.pack(">BBHI", 3, 3, 0, 0) + quoted[:28]
    return struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(m), 0, 0, 64, 1, 0, ip4(src), ip4(dst)) + m


def dnsq(qid, name, resp=False, addr=None, rcode=0):
    q = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
    if not resp:
        return struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q
    an = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 30, 4) + ip4(addr) if addr else b""
    return struct.pack(">HHHHHH", qid, 0x8180 | rcode, 1, 1 if addr else 0, 0, 0) + q + an


def ip6(a):
    import ipaddress
    return ipaddress.IPv6Address(a).packed


def tcp6(src, dst, sp, dp, seq, ack, fl, data=b""):
    t = struct.pack(">HHIIBBHHH", sp, dp, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 0x50, fl, 65535, 0, 0) + data
    return struct.pack(">IHBB16s16s", 6 << 28, len(t), 6, 64, ip6(src), ip6(dst)) + t


def client_hello(sni, rand=bytes(32)):
    """a TLS 1.2 ClientHello with one cipher suite and the server_name extension (its random: rand)"""
    name = sni.encode()
    ext = struct.pack(">HH", 0, len(name) + 5) + struct.pack(">HBH", len(name) + 3, 0, len(name)) + name
    body = b"\x03\x03" + rand + b"\x00" + b"\x00\x02\xc0\x2f" + b"\x01\x00" + struct.pack(">H", len(ext)) + ext
    hs = b"\x01" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs


CERT_DER = bytes.fromhex(
    "3082016b30820112a003020102020101300a06082a8648ce3d04030230143112301006035504030c096f746865722e6c"
    "61623020170d3236313230363137343734365a180f32313236313131323137343734365a30143112301006035504030c"
    "096f746865722e6c61623059301306072a8648ce3d020106082a8648ce3d030107034200049234db4f53a0aeec29c58d"
    "d7950cfcd53c808580f8f033222b608e747f2c01d5038b313226c5c5d86a9f268ed2ef9708bef4f1666de64087841417"
    "95181e346ca3533051301d0603551d0e04160414f42218e9004515dab269461d0427252dc85fa6c5301f0603551d2304"
    "1830168014f42218e9004515dab269461d0427252dc85fa6c5300f0603551d130101ff040530030101ff300a06082a86"
    "48ce3d04030203470030440220306fd4fe11533cb2808a489380be7d96c6be0254a79c1f661189e36e21a2e30f022008"
    "2a91ad313c5dd927fcbae2031ce3590963fa2ccd26bb0249c8628f95ba28f4"
)  # a self-signed certificate for other.lab (P-256), valid 2026-2126


def server_hello_cert():
    """a TLS 1.2 ServerHello, Certificate (CERT_DER) and ServerHelloDone in one record"""
    sh = b"\x03\x03" + bytes(32) + b"\x00" + b"\xc0\x2f" + b"\x00"
    certs = struct.pack(">I", len(CERT_DER))[1:] + CERT_DER
    cert = struct.pack(">I", len(certs))[1:] + certs
    hs = (b"\x02" + struct.pack(">I", len(sh))[1:] + sh + b"\x0b" + struct.pack(">I", len(cert))[1:] + cert +
          b"\x0e\x00\x00\x00")
    return b"\x16\x03\x03" + struct.pack(">H", len(hs)) + hs


def h2_frame(kind, flags, stream, payload):
    return struct.pack("!I", len(payload))[1:] + bytes([kind, flags]) + struct.pack("!I", stream) + payload


def h2_headers(stream, path):
    """HEADERS (END_STREAM, END_HEADERS): GET http://www.example<path>, literals without indexing"""
    block = b"\x82\x86" + bytes([4, len(path)]) + path + bytes([1, 11]) + b"www.example"
    return h2_frame(1, 0x05, stream, block)


def handshake(frames, cli, srv, cp, sp, t, cs=1000, ss=5000):
    frames += [(t, tcp(cli, srv, cp, sp, cs, 0, 2)), (t + 1e-5, tcp(srv, cli, sp, cp, ss, cs + 1, 0x12)),
               (t + 2e-5, tcp(cli, srv, cp, sp, cs + 1, ss + 1, 0x10))]


def gateway_known(frames, C, G, S, T0):
    """one plain request through the gateway and on to the server, answered: the gateway is known"""
    handshake(frames, C, G, 40000, 8080, T0)
    req = b"GET /r/0 HTTP/1.1\r\nHost: www.example\r\n\r\n"
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    frames.append((T0 + 1e-4, tcp(C, G, 40000, 8080, 1001, 5001, 0x18, req)))
    handshake(frames, G, S, 41000, 80, T0 + 2e-4)
    frames += [(T0 + 3e-4, tcp(G, S, 41000, 80, 1001, 5001, 0x18, req)),
               (T0 + 4e-4, tcp(S, G, 80, 41000, 5001, 1001 + len(req), 0x18, ok)),
               (T0 + 5e-4, tcp(G, C, 8080, 40000, 5001, 1001 + len(req), 0x18, ok))]


def frames_of(shape, n):
    rnd = random.Random(7)
    frames = []
    T0 = 1700000000.0

    def at(i):
        return T0 + i * 60.0 / n

    C, G, S, D = "198.18.1.10", "198.18.1.1", "198.19.0.80", "198.19.0.53"
    if shape == "dnsname":      # one name asked n times (distinct ids and ports), each answered
        for i in range(n):
            p = 1024 + i % 60000
            frames.append((at(i), udp(G, D, p, 53, dnsq(i & 0xffff, "www.example.lab"))))
            frames.append((at(i) + 0.0001, udp(D, G, 53, p, dnsq(i & 0xffff, "www.example.lab", True, S))))
    elif shape == "dnsnx":      # n names, never answered
        for i in range(n):
            frames.append((at(i), udp(G, D, 1024 + i % 60000, 53, dnsq(i & 0xffff, "n%d.example.lab" % i))))
    elif shape == "dnssame":    # one query (same id, port, name) sent n times, unanswered
        for i in range(n):
            frames.append((at(i), udp(G, D, 40000, 53, dnsq(7, "www.example.lab"))))
    elif shape == "pipeline":   # one connection, n requests, no answer
        frames += [(T0, tcp(C, G, 40000, 8080, 1000, 0, 2)), (T0 + 1e-4, tcp(G, C, 8080, 40000, 5000, 1001, 0x12)),
                   (T0 + 2e-4, tcp(C, G, 40000, 8080, 1001, 5001, 0x10))]
        seq = 1001
        for i in range(n):
            req = b"GET /r/%d HTTP/1.1\r\nHost: www.example\r\n\r\n" % i
            frames.append((at(i) + 0.001, tcp(C, G, 40000, 8080, seq, 5001, 0x18, req)))
            seq += len(req)
    elif shape == "responses":  # one connection, n answers, no request
        frames += [(T0, tcp(C, G, 40000, 8080, 1000, 0, 2)), (T0 + 1e-4, tcp(G, C, 8080, 40000, 5000, 1001, 0x12)),
                   (T0 + 2e-4, tcp(C, G, 40000, 8080, 1001, 5001, 0x10))]
        seq = 5001
        for i in range(n):
            r = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"
            frames.append((at(i) + 0.001, tcp(G, C, 8080, 40000, seq, 1001, 0x18, r)))
            seq += len(r)
    elif shape == "icmp":       # one SYN, then n ICMP errors quoting it
        syn = tcp(G, S, 40000, 80, 7000, 0, 2)
        frames.append((T0, syn))
        for i in range(n):
            frames.append((at(i) + 0.001, icmp(S, G, syn)))
    elif shape == "rst":        # n resets on tuples no connection has
        for i in range(n):
            frames.append((at(i), tcp(S, G, 80, 1024 + i % 60000, rnd.getrandbits(32), rnd.getrandbits(32), 0x14)))
    elif shape == "synack":     # n SYN-ACKs with no SYN, each a new tuple
        for i in range(n):
            frames.append((at(i), tcp(S, G, 80, 1024 + i % 60000, rnd.getrandbits(32), rnd.getrandbits(32), 0x12)))
    elif shape == "retrans":    # one connection, one segment sent n times
        frames += [(T0, tcp(C, G, 40000, 8080, 1000, 0, 2)), (T0 + 1e-4, tcp(G, C, 8080, 40000, 5000, 1001, 0x12))]
        for i in range(n):
            frames.append((at(i) + 0.001, tcp(C, G, 40000, 8080, 1001, 5001, 0x18, b"GET / HTTP/1.1\r\n")))
    elif shape == "ooo":        # one connection, n segments each past a hole
        frames += [(T0, tcp(C, G, 40000, 8080, 1000, 0, 2)), (T0 + 1e-4, tcp(G, C, 8080, 40000, 5000, 1001, 0x12))]
        for i in range(n):
            frames.append((at(i) + 0.001, tcp(C, G, 40000, 8080, 1001 + 20 * (i + 1), 5001, 0x18, b"x" * 10)))
    elif shape == "conns":      # n short connections from one client to the gateway, each GET answered 502
        for i in range(n):
            p = 1024 + i % 60000; t = at(i); cs = rnd.getrandbits(32); ss = rnd.getrandbits(32)
            req = b"GET /r/0 HTTP/1.1\r\nHost: www.example\r\n\r\n"
            r = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            frames += [(t, tcp(C, G, p, 8080, cs, 0, 2)), (t + 1e-5, tcp(G, C, 8080, p, ss, cs + 1, 0x12)),
                       (t + 2e-5, tcp(C, G, p, 8080, cs + 1, ss + 1, 0x18, req)),
                       (t + 3e-5, tcp(G, C, 8080, p, ss + 1, cs + 1 + len(req), 0x19, r))]
    elif shape == "kaerr":      # one keep-alive connection, n requests each answered 502 at once
        frames += [(T0, tcp(C, G, 40000, 8080, 1000, 0, 2)), (T0 + 1e-4, tcp(G, C, 8080, 40000, 5000, 1001, 0x12)),
                   (T0 + 2e-4, tcp(C, G, 40000, 8080, 1001, 5001, 0x10))]
        cs, ss = 1001, 5001
        for i in range(n):
            req = b"GET /r/%d HTTP/1.1\r\nHost: www.example\r\n\r\n" % (i % 50)
            r = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"
            frames.append((at(i) + 0.001, tcp(C, G, 40000, 8080, cs, ss, 0x18, req))); cs += len(req)
            frames.append((at(i) + 0.0011, tcp(G, C, 8080, 40000, ss, cs, 0x18, r))); ss += len(r)
    elif shape == "chunks":     # one answer of n tiny chunks
        frames += [(T0, tcp(C, G, 40000, 8080, 1000, 0, 2)), (T0 + 1e-4, tcp(G, C, 8080, 40000, 5000, 1001, 0x12)),
                   (T0 + 2e-4, tcp(C, G, 40000, 8080, 1001, 5001, 0x10))]
        req = b"GET / HTTP/1.1\r\nHost: www.example\r\n\r\n"
        frames.append((T0 + 3e-4, tcp(C, G, 40000, 8080, 1001, 5001, 0x18, req)))
        h = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        frames.append((T0 + 4e-4, tcp(G, C, 8080, 40000, 5001, 1001 + len(req), 0x18, h)))
        ss = 5001 + len(h)
        for i in range(n):
            c = b"1\r\nx\r\n"
            frames.append((at(i) + 0.001, tcp(G, C, 8080, 40000, ss, 1001 + len(req), 0x18, c))); ss += len(c)
    elif shape == "clients":    # n clients (distinct addresses), each one request answered 502
        for i in range(n):
            cli = "10.%d.%d.%d" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)
            t = at(i); cs = rnd.getrandbits(32); ss = rnd.getrandbits(32)
            req = b"GET /r/%d HTTP/1.1\r\nHost: h%d.example\r\n\r\n" % (i, i % 1000)
            r = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            frames += [(t, tcp(cli, G, 40000, 8080, cs, 0, 2)), (t + 1e-5, tcp(G, cli, 8080, 40000, ss, cs + 1, 0x12)),
                       (t + 2e-5, tcp(cli, G, 40000, 8080, cs + 1, ss + 1, 0x18, req)),
                       (t + 3e-5, tcp(G, cli, 8080, 40000, ss + 1, cs + 1 + len(req), 0x19, r))]
    elif shape == "synretry":   # one connection's SYN sent n times (same ISN)
        for i in range(n):
            frames.append((at(i), tcp(G, S, 40000, 80, 7000, 0, 2)))
    elif shape == "dnsfail":    # n names, each answered NXDOMAIN
        for i in range(n):
            p = 1024 + i % 60000
            frames.append((at(i), udp(G, D, p, 53, dnsq(i & 0xffff, "n%d.example.lab" % i))))
            frames.append((at(i) + 0.0001, udp(D, G, 53, p, dnsq(i & 0xffff, "n%d.example.lab" % i, True, None, 3))))
    elif shape == "h2streams":  # one HTTP/2 connection, n streams opened, none answered
        handshake(frames, C, G, 40000, 8080, T0)
        cs = 1001
        pre = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(4, 0, 0, b"")
        frames.append((T0 + 1e-4, tcp(C, G, 40000, 8080, cs, 5001, 0x18, pre)))
        cs += len(pre)
        for i in range(n):
            f = h2_headers(2 * (i % 1000000000) + 1, b"/r/%d" % (i % 100))
            frames.append((at(i) + 0.001, tcp(C, G, 40000, 8080, cs, 5001, 0x18, f)))
            cs += len(f)
    elif shape == "dnstcp":     # one TCP connection to port 53, n queries each answered
        handshake(frames, G, D, 40000, 53, T0)
        cs, ss = 1001, 5001
        for i in range(n):
            q = dnsq(i & 0xFFFF, "www.example.lab")
            a = dnsq(i & 0xFFFF, "www.example.lab", True, S)
            q, a = struct.pack(">H", len(q)) + q, struct.pack(">H", len(a)) + a
            frames.append((at(i) + 0.001, tcp(G, D, 40000, 53, cs, ss, 0x18, q)))
            cs += len(q)
            frames.append((at(i) + 0.0011, tcp(D, G, 53, 40000, ss, cs, 0x18, a)))
            ss += len(a)
    elif shape == "orphans":    # the gateway's n requests upstream, answered, no client's but one
        handshake(frames, C, G, 40000, 8080, T0)
        req = b"GET /r/0 HTTP/1.1\r\nHost: www.example\r\n\r\n"
        ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        frames.append((T0 + 1e-4, tcp(C, G, 40000, 8080, 1001, 5001, 0x18, req)))
        handshake(frames, G, S, 41000, 80, T0 + 2e-4)
        cs, ss = 1001, 5001
        for i in range(n):
            r = b"GET /u/%d HTTP/1.1\r\nHost: www.example\r\n\r\n" % (i % 100)
            frames.append((at(i) + 0.001, tcp(G, S, 41000, 80, cs, ss, 0x18, r)))
            cs += len(r)
            frames.append((at(i) + 0.0011, tcp(S, G, 80, 41000, ss, cs, 0x18, ok)))
            ss += len(ok)
        frames.append((T0 + 3e-4, tcp(G, C, 8080, 40000, 5001, 1001 + len(req), 0x18, ok)))
    elif shape in ("hosts", "sameaddr", "unused"):  # n requests, each for another host: looked up, refused, 502
        handshake(frames, C, G, 40000, 3128, T0)
        cs, ss = 1001, 5001
        for i in range(n):
            t, name = at(i) + 0.001, "h%d.example.lab" % i
            addr = "198.19.%d.%d" % ((i >> 8) & 255, i & 255) if shape == "hosts" else "198.19.7.7"
            req = b"GET http://%s/ HTTP/1.1\r\nHost: %s\r\n\r\n" % (name.encode(), name.encode())
            r = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"
            p = 1024 + i % 60000
            frames.append((t, tcp(C, G, 40000, 3128, cs, ss, 0x18, req)))
            cs += len(req)
            frames.append((t + 1e-4, udp(G, D, p, 53, dnsq(i & 0xFFFF, name))))
            frames.append((t + 2e-4, udp(D, G, 53, p, dnsq(i & 0xFFFF, name, True, addr))))
            isn = rnd.getrandbits(32)
            if shape != "unused" or i % 2 == 0:
                frames.append((t + 3e-4, tcp(G, addr, p, 80, isn, 0, 2)))
                frames.append((t + 4e-4, tcp(addr, G, 80, p, 0, isn + 1, 0x14)))
            frames.append((t + 5e-4, tcp(G, C, 3128, 40000, ss, cs, 0x18, r)))
            ss += len(r)
    elif shape == "tlshello":   # N connections to 443, each a ClientHello, no answer
        for i in range(n):
            t, p, cs, ss = at(i), 1024 + i % 60000, rnd.getrandbits(32), rnd.getrandbits(32)
            srv = "198.19.%d.%d" % ((i >> 8) & 255, i & 255)
            frames += [(t, tcp(G, srv, p, 443, cs, 0, 2)), (t + 1e-5, tcp(srv, G, 443, p, ss, cs + 1, 0x12)),
                       (t + 2e-5, tcp(G, srv, p, 443, cs + 1, ss + 1, 0x10)),
                       (t + 3e-5, tcp(G, srv, p, 443, cs + 1, ss + 1, 0x18, client_hello("h%d.example.lab" % i)))]
    elif shape == "v6conns":    # conns over IPv6
        for i in range(n):
            p = 1024 + i % 60000
            t = at(i)
            cs = rnd.getrandbits(32)
            ss = rnd.getrandbits(32)
            cli, gw = "fd00:1::%x" % (2 + i % 60000), "fd00:2::1"
            req = b"GET /r/0 HTTP/1.1\r\nHost: www.example\r\n\r\n"
            r = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            frames += [(t, tcp6(cli, gw, p, 8080, cs, 0, 2)), (t + 1e-5, tcp6(gw, cli, 8080, p, ss, cs + 1, 0x12)),
                       (t + 2e-5, tcp6(cli, gw, p, 8080, cs + 1, ss + 1, 0x18, req)),
                       (t + 3e-5, tcp6(gw, cli, 8080, p, ss + 1, cs + 1 + len(req), 0x19, r))]
    elif shape == "icmpmany":   # N SYNs to N servers, each drawing an ICMP error
        for i in range(n):
            srv = "198.19.%d.%d" % ((i >> 8) & 255, i & 255)
            syn = tcp(G, srv, 1024 + i % 60000, 80, rnd.getrandbits(32), 0, 2)
            frames += [(at(i), syn), (at(i) + 1e-4, icmp(srv, G, syn))]
    elif shape == "upipe":      # the gateway's N requests upstream on one connection, unanswered
        handshake(frames, C, G, 40000, 8080, T0)
        req = b"GET /r/0 HTTP/1.1\r\nHost: www.example\r\n\r\n"
        ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        frames.append((T0 + 1e-4, tcp(C, G, 40000, 8080, 1001, 5001, 0x18, req)))
        frames.append((T0 + 3e-4, tcp(G, C, 8080, 40000, 5001, 1001 + len(req), 0x18, ok)))
        handshake(frames, G, S, 41000, 80, T0 + 2e-4)
        cs = 1001
        for i in range(n):
            r = b"GET /u/%d HTTP/1.1\r\nHost: www.example\r\n\r\n" % (i % 100)
            frames.append((at(i) + 0.001, tcp(G, S, 41000, 80, cs, 5001, 0x18, r)))
            cs += len(r)
    elif shape in ("urls", "longhead"):  # one keep-alive connection, N requests answered 502
        handshake(frames, C, G, 40000, 8080, T0)
        cs, ss = 1001, 5001
        r = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"
        for i in range(n):
            if shape == "urls":
                req = b"GET /r/%d/%x HTTP/1.1\r\nHost: www.example\r\n\r\n" % (i, rnd.getrandbits(64))
            else:
                req = b"GET /r/0 HTTP/1.1\r\nHost: www.example\r\nX-Pad: " + b"p" * 8000 + b"\r\n\r\n"
            for k in range(0, len(req), 1400):
                frames.append((at(i) + 0.001 + k * 1e-9, tcp(C, G, 40000, 8080, cs + k, ss, 0x18, req[k:k + 1400])))
            cs += len(req)
            frames.append((at(i) + 0.0011, tcp(G, C, 8080, 40000, ss, cs, 0x18, r)))
            ss += len(r)
    elif shape == "gre":        # conns, each packet inside GRE from another outer pair
        for i in range(n):
            p, t = 1024 + i % 60000, at(i)
            cs, ss = rnd.getrandbits(32), rnd.getrandbits(32)
            o1, o2 = "172.16.%d.%d" % ((i >> 8) & 255, i & 255), "172.17.0.1"
            req = b"GET /r/0 HTTP/1.1\r\nHost: www.example\r\n\r\n"
            r = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            for dt, inner in ((0, tcp(C, G, p, 8080, cs, 0, 2)), (1e-5, tcp(G, C, 8080, p, ss, cs + 1, 0x12)),
                              (2e-5, tcp(C, G, p, 8080, cs + 1, ss + 1, 0x18, req)),
                              (3e-5, tcp(G, C, 8080, p, ss + 1, cs + 1 + len(req), 0x19, r))):
                g = b"\x00\x00\x08\x00" + inner
                frames.append((t + dt, struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(g), 0, 0, 64, 47, 0,
                                                   ip4(o1), ip4(o2)) + g))
    elif shape == "dnsmany":    # one name looked up N times, each answer with 64 addresses
        name = "www.example.lab"
        qn = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
        for i in range(n):
            p = 1024 + i % 60000
            an = b"".join(b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 30, 4) + bytes([198, 19, 1, k]) for k in range(64))
            a = struct.pack(">HHHHHH", i & 0xFFFF, 0x8180, 1, 64, 0, 0) + qn + struct.pack(">HH", 1, 1) + an
            frames.append((at(i), udp(G, D, p, 53, dnsq(i & 0xFFFF, name))))
            frames.append((at(i) + 0.0001, udp(D, G, 53, p, a)))
    elif shape in ("backend", "resolver"):  # one backend address, a connection a request, one in ten refused
        handshake(frames, C, G, 40000, 8080, T0)
        cs, ss = 1001, 5001
        ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        bad = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"
        for i in range(n):
            t, p = at(i) + 0.001, 1024 + i % 60000
            req = b"GET /r/%d HTTP/1.1\r\nHost: www.example\r\n\r\n" % (i % 100)
            frames.append((t, tcp(C, G, 40000, 8080, cs, ss, 0x18, req)))
            cs += len(req)
            us, uss = rnd.getrandbits(32), rnd.getrandbits(32)
            if shape == "resolver":  # the backend's name looked up first, and every try refused
                frames += [(t + 1e-6, udp(G, D, p, 53, dnsq(i & 0xffff, "backend.lab"))),
                           (t + 2e-6, udp(D, G, 53, p, dnsq(i & 0xffff, "backend.lab", True, S)))]
            frames.append((t + 1e-5, tcp(G, S, p, 80, us, 0, 2)))
            if i % 10 == 9 or shape == "resolver":
                frames.append((t + 2e-5, tcp(S, G, 80, p, 0, us + 1, 0x14)))
                frames.append((t + 3e-5, tcp(G, C, 8080, 40000, ss, cs, 0x18, bad)))
                ss += len(bad)
                continue
            frames += [(t + 2e-5, tcp(S, G, 80, p, uss, us + 1, 0x12)), (t + 3e-5, tcp(G, S, p, 80, us + 1, uss + 1, 0x10)),
                       (t + 4e-5, tcp(G, S, p, 80, us + 1, uss + 1, 0x18, req)),
                       (t + 5e-5, tcp(S, G, 80, p, uss + 1, us + 1 + len(req), 0x19, ok)),
                       (t + 6e-5, tcp(G, S, p, 80, us + 1 + len(req), uss + 2 + len(ok), 0x11)),
                       (t + 7e-5, tcp(G, C, 8080, 40000, ss, cs, 0x18, ok))]
            ss += len(ok)
    elif shape == "tlsalert":   # a TLS reverse proxy: N client connections, each refused upstream by an alert
        gateway_known(frames, C, G, S, T0)
        alert = b"\x15\x03\x03\x00\x02\x02\x28"  # fatal handshake_failure
        for i in range(n):
            t, p = at(i) + 0.001, 1024 + i % 60000
            cs, gs, us, ss = (rnd.getrandbits(32) for _ in range(4))
            ch = client_hello("www.example.lab", rnd.getrandbits(256).to_bytes(32, "big"))  # each client's own
            handshake(frames, C, G, p, 443, t, cs, gs)
            frames.append((t + 3e-5, tcp(C, G, p, 443, cs + 1, gs + 1, 0x18, ch)))
            handshake(frames, G, S, p, 443, t + 4e-5, us, ss)
            frames += [(t + 7e-5, tcp(G, S, p, 443, us + 1, ss + 1, 0x18, ch)),
                       (t + 8e-5, tcp(S, G, 443, p, ss + 1, us + 1 + len(ch), 0x19, alert)),
                       (t + 9e-5, tcp(G, S, p, 443, us + 1 + len(ch), ss + 2 + len(alert), 0x11)),
                       (t + 10e-5, tcp(G, C, 443, p, gs + 1, cs + 1 + len(ch), 0x19, alert)),
                       (t + 11e-5, tcp(C, G, p, 443, cs + 1 + len(ch), gs + 2 + len(alert), 0x11))]
    elif shape == "relaycut":   # a TLS passthrough whose server refuses: each client's handshake cut
        gateway_known(frames, C, G, S, T0)
        for i in range(n):
            t, p = at(i) + 0.001, 1024 + i % 60000
            cs, gs, us = (rnd.getrandbits(32) for _ in range(3))
            ch = client_hello("www.example.lab", rnd.getrandbits(256).to_bytes(32, "big"))
            handshake(frames, C, G, p, 443, t, cs, gs)
            frames += [(t + 3e-5, tcp(C, G, p, 443, cs + 1, gs + 1, 0x18, ch)),
                       (t + 4e-5, tcp(G, S, p, 444, us, 0, 0x02)),
                       (t + 5e-5, tcp(S, G, 444, p, 0, us + 1, 0x14)),
                       (t + 6e-5, tcp(G, C, 443, p, gs + 1, cs + 1 + len(ch), 0x11)),
                       (t + 7e-5, tcp(C, G, p, 443, cs + 1 + len(ch), gs + 2, 0x11))]
    elif shape == "opaque":     # a TLS reverse proxy without keys: each client connection's request fails upstream
        gateway_known(frames, C, G, S, T0)
        ch = client_hello("www.example.lab")
        app = b"\x17\x03\x03\x00\x40" + bytes(64)       # an encrypted record, either way
        bad = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"
        for i in range(n):
            t, p = at(i) + 0.001, 1024 + i % 60000
            cs, gs, us, ss = (rnd.getrandbits(32) for _ in range(4))
            r = b"GET /u/%d HTTP/1.1\r\nHost: www.example\r\n\r\n" % (i % 100)
            handshake(frames, C, G, p, 443, t, cs, gs)
            frames.append((t + 3e-5, tcp(C, G, p, 443, cs + 1, gs + 1, 0x18, ch + app)))
            handshake(frames, G, S, p, 80, t + 4e-5, us, ss)
            frames += [(t + 7e-5, tcp(G, S, p, 80, us + 1, ss + 1, 0x18, r)),
                       (t + 8e-5, tcp(S, G, 80, p, ss + 1, us + 1 + len(r), 0x19, bad)),
                       (t + 9e-5, tcp(G, S, p, 80, us + 1 + len(r), ss + 2 + len(bad), 0x11)),
                       (t + 10e-5, tcp(G, C, 443, p, gs + 1, cs + 1 + len(ch) + len(app), 0x19, app)),
                       (t + 11e-5, tcp(C, G, p, 443, cs + 1 + len(ch) + len(app), gs + 2 + len(app), 0x11))]
    elif shape == "tlscert":    # N connections to one server's 443, each leaving after the certificate
        ch, sc = client_hello("www.example.lab"), server_hello_cert()
        for i in range(n):
            t, p, cs, ss = at(i), 1024 + i % 60000, rnd.getrandbits(32), rnd.getrandbits(32)
            handshake(frames, G, S, p, 443, t, cs, ss)
            frames += [(t + 3e-5, tcp(G, S, p, 443, cs + 1, ss + 1, 0x18, ch)),
                       (t + 4e-5, tcp(S, G, 443, p, ss + 1, cs + 1 + len(ch), 0x18, sc)),
                       (t + 5e-5, tcp(G, S, p, 443, cs + 1 + len(ch), ss + 1 + len(sc), 0x11)),
                       (t + 6e-5, tcp(S, G, 443, p, ss + 1 + len(sc), cs + 2 + len(ch), 0x11))]
    elif shape == "crossed":    # N requests in pairs to one refusing backend, each 502 after the other's try
        bad = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"
        for i in range(0, n - 1, 2):
            t = at(i) + 0.001
            rq = []
            for k in range(2):    # two clients' requests, each on a connection of its own
                p, cs, gs = 1024 + (i + k) % 60000, rnd.getrandbits(32), rnd.getrandbits(32)
                req = b"GET /r/%d HTTP/1.1\r\nHost: www.example\r\n\r\n" % ((i + k) % 100)
                handshake(frames, C, G, p, 8080, t + k * 1e-5, cs, gs)
                frames.append((t + 3e-5 + k * 1e-5, tcp(C, G, p, 8080, cs + 1, gs + 1, 0x18, req)))
                rq.append((p, cs + 1 + len(req), gs + 1))
            for k in range(2):    # the gateway's try for each, refused: the first at once, the second 3 ms on
                u, us = 1024 + (i + k) % 60000, rnd.getrandbits(32)
                frames += [(t + 1e-4 + k * 3e-3, tcp(G, S, u, 80, us, 0, 2)),
                           (t + 1.1e-4 + k * 3e-3, tcp(S, G, 80, u, 0, us + 1, 0x14))]
            # the second request answered right after the first try's refusal, the first after the second's
            for k, when in ((1, t + 1.3e-4), (0, t + 3.13e-3)):
                p, ca, ga = rq[k]
                frames.append((when, tcp(G, C, 8080, p, ga, ca, 0x19, bad)))
    elif shape == "dials":      # a request's lookup, its one dial, dropped, and a 502 at 1 s
        bad = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"
        for i in range(n):
            t = at(i) + 0.001
            p, cs, gs = 1024 + i % 60000, rnd.getrandbits(32), rnd.getrandbits(32)
            req = b"GET /r/%d HTTP/1.1\r\nHost: drop.example\r\n\r\n" % (i % 100)
            handshake(frames, C, G, p, 8080, t, cs, gs)
            frames.append((t + 3e-5, tcp(C, G, p, 8080, cs + 1, gs + 1, 0x18, req)))
            q = 1024 + (i + 30000) % 60000
            frames += [(t + 0.010, udp(G, D, q, 53, dnsq(i & 0xffff, "drop.example"))),
                       (t + 0.011, udp(D, G, 53, q, dnsq(i & 0xffff, "drop.example", True, S))),
                       (t + 0.040, tcp(G, S, q, 80, rnd.getrandbits(32), 0, 2)),
                       (t + 1.010, tcp(G, C, 8080, p, gs + 1, cs + 1 + len(req), 0x19, bad))]
    else:
        raise ValueError(shape)

    frames.sort(key=lambda x: x[0])
    return frames


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("shape", choices=SHAPES)
    ap.add_argument("n", type=int)
    ap.add_argument("out")
    a = ap.parse_args()
    if a.n < 1 or a.n > 10_000_000:
        ap.error("N is 1 .. 10,000,000")
    with open(a.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
        for t, fr in frames_of(a.shape, a.n):
            f.write(struct.pack("<IIII", int(t), int(round((t % 1) * 1e6)) % 1000000, len(fr), len(fr)) + fr)


if __name__ == "__main__":
    main()
