#!/usr/bin/env python3
"""Writes a capture of a SYN flood through a gateway's capture point: N SYNs from one client
(198.18.1.10) over 60 s of packet time, none answered, so every connection stays open in
why502's flow table until it is full (WHY_FLOW_CONN_MAX) and its record store is at its cap
(WHY_RECORDS_MAX): the shape where each new connection has to find room among the records
held. No traffic is sent: the packets are written to the file (classic pcap, Ethernet).

  bench/make-flood.py OUT N [--servers] [--isn ISN]
  bench/make-flood.py OUT N --requests | --gateway [--aborted | --dropped] [--keepalive [--h2 | --refused]]

--servers: each SYN to another server (198.19.0.0/16, port 80) instead of one server
(198.19.0.80) on ports 80 and up. --isn: every SYN with this sequence number, as a tool that
sends one ISN always does (a hostile capture's way to fill one chain of an index by ISN). --requests: N connections from the same client to
198.19.0.80:80 instead, each a handshake and one `GET /r/0` answered `200 OK` at once, left
open: a load test's requests for one URL, N of them in 60 s. --gateway: the same through a
reverse proxy at 198.18.1.1 (port 8080 for clients, its upstream connections to
198.19.0.80:80 from the same address), each request on a new connection both sides, the
upstream one closed by the gateway after its answer. --keepalive (with --requests or
--gateway): the N requests one after another on one connection each side, kept alive (a load
test with keep-alive, a gateway's pool of upstream connections); with --h2 as HTTP/2 streams
(prior knowledge in clear: a preface and SETTINGS, then each request a HEADERS frame, each
answer HEADERS and DATA); with --refused the server refuses (RST) the connection the gateway
opens for each request and the gateway answers 502: an outage of all of a busy backend.
--aborted (with --gateway): the origin never answers and each client gives up (FIN) five
packets after its request, the gateway closing both sides after it: a storm of 499s.
--dropped (with --gateway): the server never answers the gateway's SYN for each request and
the gateway answers 504 0.999 s after it (a connect timeout of 1 s, before the kernel sends the
SYN again), closing the client's connection: an outage of a busy backend behind a firewall
that drops. Its requests come at random within their turns (a fixed seed), not on a beat.
Without --keepalive the client's ports go round after 60,000 connections (a later one reuses
an open one's), so N is at most 60,000; with --gateway each request holds two records (its
client connection open, the upstream one closed only by the gateway), so past 50,000 the
store's record cap leaves the rest unfollowed (`records_dropped`). The sequence numbers come
from a fixed seed: the same N gives the same bytes. bench/README.md has the figures (the
sections on the record cap, a load test's one URL, a keep-alive load and an outage of all of a
busy backend)."""
import argparse
import heapq
import random
import struct


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def h2_frame(kind, flags, stream, payload):
    return struct.pack("!I", len(payload))[1:] + bytes([kind, flags]) + struct.pack("!I", stream) + payload


def h2_literal(index, value):
    """a header field without indexing, its name from the static table, no Huffman"""
    return bytes([index, len(value)]) + value


def h2_request(stream, extra=b""):
    """HEADERS (END_STREAM, END_HEADERS): GET http://www.example/r/0"""
    block = b"\x82\x86" + h2_literal(4, b"/r/0") + h2_literal(1, b"www.example") + extra
    return h2_frame(1, 0x05, stream, block)


def h2_response(stream):
    """HEADERS (END_HEADERS) :status 200, then DATA "ok" (END_STREAM)"""
    return h2_frame(1, 0x04, stream, b"\x88") + h2_frame(0, 0x01, stream, b"ok")


def requests(out, n, gateway, keepalive=False, h2=False, refused=False, aborted=False, dropped=False):
    """n connections, each a handshake and one GET /r/0 answered at once, left open, in 60 s;
    with gateway, each through a reverse proxy on a connection of its own upstream; with
    keepalive, the n requests one after another on one connection each side; with h2, as
    HTTP/2 streams (prior knowledge, cleartext); with refused (gateway and keepalive), the
    server refuses each request's own upstream connection and the gateway answers 502; with
    aborted (gateway, not keepalive), the origin never answers and each client closes five
    packets after its request (7 ms at 3,000 requests), the gateway then closing both sides;
    with dropped (gateway, not keepalive), the server never answers the gateway's SYN and the
    gateway answers 504 0.999 s after it (its connect timeout), closing the client's connection"""
    eth = b"\x02\0\0\0\0\x01" + b"\x02\0\0\0\0\x02" + b"\x08\x00"
    cli, srv = bytes([198, 18, 1, 10]), bytes([198, 19, 0, 80])
    gw = bytes([198, 18, 1, 1])
    per = (5 if refused else 6 if gateway else 3) if keepalive else (14 if aborted else 8 if dropped else 12 if gateway else 6)
    step = 60.0 / (n * per + (6 if keepalive else 0))
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        k = 0

        later = []  # (time, order, packet): packets put `after` seconds late, written in time

        def write(t, pkt):
            sec = int(t)
            f.write(struct.pack("<IIII", sec, int((t - sec) * 1e6), len(pkt), len(pkt)) + pkt)

        jitter = 0.0  # (dropped: each request moved by up to 3.9 slots, its own idle ones)
        rnd = random.Random(1)

        def put(src, dst, sport, dport, seq, ack, flags, payload=b"", after=0.0):
            nonlocal k
            t = 1_700_000_000 + k * step + jitter
            k += 1
            tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 0x50, flags,
                              64240, 0, 0) + payload
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
            ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
            pkt = eth + ip + tcp
            if after:
                heapq.heappush(later, (t + after, k, pkt))
                return
            while later and later[0][0] <= t:
                write(*heapq.heappop(later)[::2])
            write(t, pkt)

        req = b"GET /r/0 HTTP/1.1\r\nHost: www.example\r\nUser-Agent: flood\r\n\r\n"
        resp = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        ureq = b"GET /r/0 HTTP/1.1\r\nHost: www.example\r\nX-Forwarded-For: 198.18.1.10\r\n\r\n"
        late = b"HTTP/1.1 504 Gateway Timeout\r\nContent-Length: 4\r\nConnection: close\r\n\r\nlate"
        if keepalive:
            # one connection each side, its handshake first, then the requests in turn
            front, fport = (gw, 8080) if gateway else (srv, 80)
            cs, ss, us, vs = 1000, 5000, 7000, 9000
            put(cli, front, 40000, fport, cs, 0, 0x02)
            put(front, cli, fport, 40000, ss, cs + 1, 0x12)
            put(cli, front, 40000, fport, cs + 1, ss + 1, 0x10)
            cs, ss = cs + 1, ss + 1
            if gateway and not refused:
                put(gw, srv, 50000, 80, us, 0, 0x02)
                put(srv, gw, 80, 50000, vs, us + 1, 0x12)
                put(gw, srv, 50000, 80, us + 1, vs + 1, 0x10)
                us, vs = us + 1, vs + 1
            bad = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 3\r\n\r\nbad"
            if h2:
                # each side's preface and SETTINGS, acknowledged with the first answer's segment
                pre = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(4, 0, 0, b"")
                put(cli, front, 40000, fport, cs, ss, 0x18, pre)
                cs += len(pre)
                sset = h2_frame(4, 0, 0, b"") + h2_frame(4, 0x01, 0, b"")
                put(front, cli, fport, 40000, ss, cs, 0x18, sset)
                ss += len(sset)
                if gateway:
                    put(gw, srv, 50000, 80, us, vs, 0x18, pre)
                    us += len(pre)
                    put(srv, gw, 80, 50000, vs, us, 0x18, sset)
                    vs += len(sset)
            for i in range(n):
                if h2:
                    req = h2_request(2 * i + 1)
                    ureq = h2_request(2 * i + 1, b"\x00\x0fx-forwarded-for\x0b198.18.1.10")
                    resp = h2_response(2 * i + 1)
                put(cli, front, 40000, fport, cs, ss, 0x18, req)
                cs += len(req)
                if refused:
                    # the gateway's own connection for it, refused by the server (RST)
                    p = 1024 + i % 60000
                    put(gw, srv, p, 80, 7000 + i, 0, 0x02)
                    put(srv, gw, 80, p, 0, 7001 + i, 0x14)
                    put(front, cli, fport, 40000, ss, cs, 0x18, bad)
                    ss += len(bad)
                    put(cli, front, 40000, fport, cs, ss, 0x10)
                    continue
                if gateway:
                    put(gw, srv, 50000, 80, us, vs, 0x18, ureq)
                    us += len(ureq)
                    put(srv, gw, 80, 50000, vs, us, 0x18, resp)
                    vs += len(resp)
                    put(gw, srv, 50000, 80, us, vs, 0x10)
                put(front, cli, fport, 40000, ss, cs, 0x18, resp)
                ss += len(resp)
                put(cli, front, 40000, fport, cs, ss, 0x10)
            return
        for i in range(n):
            p = 1024 + i % 60000
            cs, ss = 1000, 5000
            if dropped:
                # not on a beat: a gateway's checks keep one, clients' requests do not
                jitter = rnd.uniform(0, 3.9 * step)
            if not gateway:
                put(cli, srv, p, 80, cs, 0, 0x02)
                put(srv, cli, 80, p, ss, cs + 1, 0x12)
                put(cli, srv, p, 80, cs + 1, ss + 1, 0x10)
                put(cli, srv, p, 80, cs + 1, ss + 1, 0x18, req)
                put(srv, cli, 80, p, ss + 1, cs + 1 + len(req), 0x18, resp)
                put(cli, srv, p, 80, cs + 1 + len(req), ss + 1 + len(resp), 0x10)
                continue
            u = 1024 + (i + 30000) % 60000
            put(cli, gw, p, 8080, cs, 0, 0x02)
            put(gw, cli, 8080, p, ss, cs + 1, 0x12)
            put(cli, gw, p, 8080, cs + 1, ss + 1, 0x10)
            put(cli, gw, p, 8080, cs + 1, ss + 1, 0x18, req)
            if dropped:
                # the gateway dials 0.1 ms after the request, as it comes
                put(gw, srv, u, 80, 7000 + i, 0, 0x02, after=0.0001 - step)
            else:
                put(gw, srv, u, 80, 7000, 0, 0x02)
            if dropped:
                # no answer to the SYN; the gateway's connect timeout (1 s, as HAProxy's
                # `timeout connect 1s`) ends it with a 504 0.999 s after the SYN, before the
                # kernel would send it again, and closes the client's connection, the client's
                # FIN answering it (each put `after` its own slot: the SYN's is the GET's next)
                put(gw, cli, 8080, p, ss + 1, cs + 1 + len(req), 0x19, late, after=0.9991 - 2 * step)
                put(cli, gw, p, 8080, cs + 1 + len(req), ss + 2 + len(late), 0x11, after=0.9992 - 3 * step)
                put(gw, cli, 8080, p, ss + 2 + len(late), cs + 2 + len(req), 0x10, after=0.9993 - 4 * step)
                continue
            put(srv, gw, 80, u, 9000, 7001, 0x12)
            put(gw, srv, u, 80, 7001, 9001, 0x10)
            put(gw, srv, u, 80, 7001, 9001, 0x18, ureq)
            if aborted:
                # the origin accepts and never answers; the client gives up (FIN), the gateway
                # closes its side and its upstream connection, the origin's FIN answers it
                put(cli, gw, p, 8080, cs + 1 + len(req), ss + 1, 0x11)
                put(gw, cli, 8080, p, ss + 1, cs + 2 + len(req), 0x11)
                put(cli, gw, p, 8080, cs + 2 + len(req), ss + 2, 0x10)
                put(gw, srv, u, 80, 7001 + len(ureq), 9001, 0x11)
                put(srv, gw, 80, u, 9001, 7002 + len(ureq), 0x11)
                put(gw, srv, u, 80, 7002 + len(ureq), 9002, 0x10)
                continue
            put(srv, gw, 80, u, 9001, 7001 + len(ureq), 0x18, resp)
            put(gw, srv, u, 80, 7001 + len(ureq), 9001 + len(resp), 0x11)
            put(gw, cli, 8080, p, ss + 1, cs + 1 + len(req), 0x18, resp)
            put(cli, gw, p, 8080, cs + 1 + len(req), ss + 1 + len(resp), 0x10)
        while later:
            write(*heapq.heappop(later)[::2])

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("n", type=int)
    ap.add_argument("--servers", action="store_true", help="one server a SYN (198.19.0.0/16)")
    ap.add_argument("--requests", action="store_true", help="connections each with one answered GET")
    ap.add_argument("--gateway", action="store_true", help="the same through a reverse proxy")
    ap.add_argument("--keepalive", action="store_true",
                    help="with --requests or --gateway: the requests in turn on one connection each side")
    ap.add_argument("--h2", action="store_true", help="with --keepalive: HTTP/2 streams (prior knowledge)")
    ap.add_argument("--refused", action="store_true",
                    help="with --gateway --keepalive: each request's upstream connection refused, 502")
    ap.add_argument("--aborted", action="store_true",
                    help="with --gateway: the origin silent, each client gives up (FIN) at once")
    ap.add_argument("--dropped", action="store_true",
                    help="with --gateway: each upstream SYN dropped, 504 after the gateway's 1 s")
    ap.add_argument("--isn", type=lambda v: int(v, 0), metavar="ISN",
                    help="without --requests or --gateway: every SYN with this sequence number")
    a = ap.parse_args()
    if a.keepalive and not (a.requests or a.gateway):
        ap.error("--keepalive goes with --requests or --gateway")
    if a.h2 and not a.keepalive:
        ap.error("--h2 goes with --keepalive")
    if a.refused and (a.h2 or not (a.gateway and a.keepalive)):
        ap.error("--refused goes with --gateway --keepalive (HTTP/1.1)")
    if a.aborted and (a.keepalive or not a.gateway):
        ap.error("--aborted goes with --gateway (without --keepalive)")
    if a.dropped and (a.keepalive or a.aborted or not a.gateway):
        ap.error("--dropped goes with --gateway (without --keepalive or --aborted)")
    if (a.requests or a.gateway) and not a.keepalive and a.n > 60000:
        ap.error("N is at most 60,000 with --requests or --gateway (one client's ports)")
    if a.isn is not None and (a.requests or a.gateway):
        ap.error("--isn goes with the flood alone (without --requests or --gateway)")
    if a.requests or a.gateway:
        requests(a.out, a.n, a.gateway, a.keepalive, a.h2, a.refused, a.aborted, a.dropped)
        return
    rnd = random.Random(1)
    with open(a.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        src = bytes([198, 18, 1, 10])
        eth = b"\x02\0\0\0\0\x01" + b"\x02\0\0\0\0\x02" + b"\x08\x00"
        for i in range(a.n):
            t = 1_700_000_000 + i * 60.0 / a.n
            sec = int(t)
            usec = int((t - sec) * 1e6)
            if a.servers:
                dst, dport = bytes([198, 19, (i >> 8) & 0xFF, i & 0xFF]), 80
            else:
                dst, dport = bytes([198, 19, 0, 80]), 80 + i // 60000
            sport = 1024 + i % 60000
            tcp = struct.pack("!HHIIBBHHH", sport, dport, a.isn if a.isn is not None else rnd.getrandbits(32), 0, 0x50, 0x02, 64240, 0, 0)
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), i & 0xFFFF, 0x4000, 64, 6, 0, src, dst)
            ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
            pkt = eth + ip + tcp
            f.write(struct.pack("<IIII", sec, usec, len(pkt), len(pkt)) + pkt)


if __name__ == "__main__":
    main()
