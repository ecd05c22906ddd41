"""Captures written packet by packet (raw IPv4 pcap, LINKTYPE_RAW) for the HTML tests: a client,
a gateway that uses one address on both sides, DNS servers and origins, all in 198.18.0.0/15.
Checksums are left zero (captures on a gateway see offloaded ones; why502 does not check them)."""
import struct

GW = (198, 18, 1, 1)
DNS = (198, 18, 3, 53)


class Capture:
    def __init__(self, t0=1764600000.0):
        self.frames, self.t = [], t0
        self.seqs = {}

    def at(self, dt):
        self.t += dt
        return self

    def ip(self, src, dst, proto, payload):
        hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, 64, proto, 0,
                          bytes(src), bytes(dst))
        self.frames.append((self.t, hdr + payload))

    def tcp(self, src, sport, dst, dport, flags, payload=b""):
        """flags: 'S', 'SA', 'A', 'PA', 'FA', 'R', 'RA'; sequence numbers follow the bytes sent."""
        key, rkey = (src, sport, dst, dport), (dst, dport, src, sport)
        seq = self.seqs.setdefault(key, 1000 + 7919 * (sport % 1000))
        ack = self.seqs.get(rkey, 0)
        bits = sum({"F": 1, "S": 2, "R": 4, "P": 8, "A": 16}[c] for c in flags)
        hdr = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, bits,
                          65535, 0, 0)
        self.ip(src, dst, 6, hdr + payload)
        self.seqs[key] = seq + len(payload) + (1 if ("S" in flags or "F" in flags) else 0)

    def handshake(self, cli, cport, srv, sport):
        self.tcp(cli, cport, srv, sport, "S")
        self.at(0.0002).tcp(srv, sport, cli, cport, "SA")
        self.at(0.0001).tcp(cli, cport, srv, sport, "A")

    def udp(self, src, sport, dst, dport, payload):
        self.ip(src, dst, 17, struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload)

    def write(self, path):
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 101))
            for t, fr in self.frames:
                us = int(round(t * 1e6))
                f.write(struct.pack("<IIII", us // 1000000, us % 1000000, len(fr), len(fr)))
                f.write(fr)


def dns_msg(qid, labels, qtype=1, rcode=None, addr=None):
    """labels: a list of bytes (any bytes: a hostile name is still a well-formed message)."""
    flags = 0x0100 if rcode is None else 0x8180 | rcode
    q = b"".join(bytes([len(l)]) + l for l in labels) + b"\0" + struct.pack(">HH", qtype, 1)
    an = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + bytes(addr) if addr else b""
    return struct.pack(">HHHHHH", qid, flags, 1, 1 if addr else 0, 0, 0) + q + an


def client_hello(sni):
    """A TLS 1.2 ClientHello carrying one server name (any bytes)."""
    name = struct.pack(">BH", 0, len(sni)) + sni
    ext = struct.pack(">HH", 0, len(name) + 2) + struct.pack(">H", len(name)) + name
    body = (b"\x03\x03" + bytes(32) + b"\x00" + b"\x00\x02\xc0\x2f" + b"\x01\x00" +
            struct.pack(">H", len(ext)) + ext)
    hs = b"\x01" + struct.pack(">I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack(">H", len(hs)) + hs


def tls_alert(desc=40):
    return b"\x15\x03\x03\x00\x02\x02" + bytes([desc])


def http_exchange(c, cli, cport, request, answer, upstream=None, dns=None, gap=0.01):
    """A client request to the gateway (port 3128), what the gateway does upstream (upstream:
    a function of the capture), its answer; then both sides close."""
    c.handshake(cli, cport, GW, 3128)
    c.at(0.0003).tcp(cli, cport, GW, 3128, "PA", request)
    c.at(0.0001).tcp(GW, 3128, cli, cport, "A")
    if upstream:
        upstream(c)
    c.at(gap).tcp(GW, 3128, cli, cport, "PA", answer)
    c.at(0.0002).tcp(cli, cport, GW, 3128, "A")
    c.at(0.0002).tcp(cli, cport, GW, 3128, "FA")
    c.at(0.0001).tcp(GW, 3128, cli, cport, "FA")
    c.at(0.0001).tcp(cli, cport, GW, 3128, "A")


def nxdomain(labels, qid):
    def up(c):
        c.at(0.001).udp(GW, 30000 + qid % 30000, DNS, 53, dns_msg(qid, labels))
        c.at(0.004).udp(DNS, 53, GW, 30000 + qid % 30000, dns_msg(qid, labels, rcode=3))
    return up


def refused(origin, gport):
    def up(c):
        c.at(0.001).tcp(GW, gport, origin, 80, "S")
        c.at(0.0003).tcp(origin, 80, GW, gport, "RA")
    return up


def squid_answer(status, reason, server=b"squid/5.7", claim=b"ERR_DNS_FAIL 0", extra=b""):
    body = b"<html><body>error</body></html>"
    return (b"HTTP/1.1 %d %s\r\nServer: " % (status, reason) + server + b"\r\nX-Squid-Error: " + claim +
            b"\r\n" + extra + b"Content-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
