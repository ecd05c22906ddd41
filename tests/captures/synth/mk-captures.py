#!/usr/bin/env python3
"""Writes the two captures of this directory (PROVENANCE.md), packet by packet: classic
pcap, raw IPv4 link type. The gateway is 198.18.1.1 on both legs.

retry-beside-polls.pcap: a reverse proxy (port 80) whose fixed servers refuse. Each
/fixed/J request is tried twice, 1 s apart (a RST each time), and answered 503 right after
the second refusal. Long polls (/poll/I, answered 200 by the working server
198.19.0.10:8080 after 20 s) arrive 12 us after /fixed/1's two tries began, each poll's
connection opened right after the refusal; the other polls and fixed requests are spread
around them.

syn-retries-later.pcap: a forward proxy (port 9090) serving 198.18.1.10 a request every
10 s for 6 minutes, each fetched from 198.19.0.10:80 on a fresh connection, while
198.18.1.12 gets no answer to its SYNs to the proxy: four connections of five SYNs each,
1 s apart, from 1.5 s on, then one more connection 240 s later.

Usage: mk-captures.py [DIR]"""
import os, struct, sys

GW = (198, 18, 1, 1)
OK = (198, 19, 0, 10)
T0 = 1764600000.0


class Capture:
    def __init__(self):
        self.frames = []
        self.seqs = {}

    def tcp(self, t, src, sport, dst, dport, flags, payload=b""):
        key, rkey = (src, sport, dst, dport), (dst, dport, src, sport)
        seq = self.seqs.setdefault(key, 1000 + 7919 * (sport % 1000))
        ack = self.seqs.get(rkey, 0)
        bits = sum({"F": 1, "S": 2, "R": 4, "P": 8, "A": 16}[c] for c in flags)
        if "S" in flags:
            seq = 1000 + 7919 * (sport % 1000)  # a retransmitted SYN has the same sequence number
        hdr = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, bits, 65535, 0, 0)
        seg = hdr + payload
        ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), 0, 0x4000, 64, 6, 0, bytes(src), bytes(dst))
        self.frames.append((t, len(self.frames), ip + seg))
        self.seqs[key] = seq + len(payload) + (1 if ("S" in flags or "F" in flags) else 0)

    def client_req(self, t, cli, cport, port, req):
        self.tcp(t, cli, cport, GW, port, "S")
        self.tcp(t + 0.0001, GW, port, cli, cport, "SA")
        self.tcp(t + 0.0002, cli, cport, GW, port, "A")
        self.tcp(t + 0.0003, cli, cport, GW, port, "PA", req)
        self.tcp(t + 0.0004, GW, port, cli, cport, "A")

    def client_answer(self, end, cli, cport, port, answer):
        self.tcp(end, GW, port, cli, cport, "PA", answer)
        self.tcp(end + 0.0001, cli, cport, GW, port, "A")
        self.tcp(end + 0.0002, GW, port, cli, cport, "FA")
        self.tcp(end + 0.0003, cli, cport, GW, port, "FA")
        self.tcp(end + 0.0004, GW, port, cli, cport, "A")

    def fetch(self, u, uport, sport, req, wait):
        """The gateway's upstream request on a fresh connection to OK:sport at u, answered
        200 `wait` seconds later; returns the answer."""
        self.tcp(u, GW, uport, OK, sport, "S")
        self.tcp(u + 0.0001, OK, sport, GW, uport, "SA")
        self.tcp(u + 0.0002, GW, uport, OK, sport, "A")
        self.tcp(u + 0.0003, GW, uport, OK, sport, "PA", req)
        resp = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        e = u + wait
        self.tcp(e, OK, sport, GW, uport, "PA", resp)
        self.tcp(e + 0.0001, GW, uport, OK, sport, "FA")
        self.tcp(e + 0.0002, OK, sport, GW, uport, "FA")
        self.tcp(e + 0.0003, GW, uport, OK, sport, "A")
        return resp

    def write(self, out):
        self.frames.sort()
        with open(out, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 101))
            for t, _, fr in self.frames:
                us = int(round(t * 1e6))
                f.write(struct.pack("<IIII", us // 1000000, us % 1000000, len(fr), len(fr)))
                f.write(fr)
        print(out, len(self.frames), "packets")


def retry_beside_polls(out):
    c = Capture()
    for j, at in enumerate((0.05, 0.4, 0.93, 1.37)):
        t = T0 + at
        cli, cport = (198, 18, 2, 2 + j), 10000 + j
        c.client_req(t, cli, cport, 80, b"GET /fixed/%d HTTP/1.1\r\nHost: app.example\r\n\r\n" % j)
        for k in range(2):
            s0 = t + 0.0006 + k * 1.0
            c.tcp(s0, GW, 62000 + 2 * j + k, (198, 19, 1, 1 + j), 8080, "S")
            c.tcp(s0 + 0.0002, (198, 19, 1, 1 + j), 8080, GW, 62000 + 2 * j + k, "RA")
        body = b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"
        answer = (b"HTTP/1.1 503 Service Temporarily Unavailable\r\nServer: nginx\r\nContent-Type: text/html\r\n"
                  b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
        c.client_answer(t + 1.002, cli, cport, 80, answer)
    # /fixed/1's tries begin at T0 + 0.4006 and T0 + 1.4006; a poll's request comes 12 us
    # after each (its SYN 0.3 ms before that), its upstream SYN 0.3 ms after the request
    for i, at in enumerate((0.1, 0.400312, 0.7, 1.400312, 1.9)):
        t = T0 + at
        cli, cport = (198, 18, 0, 2 + i), 10000 + i
        req = b"GET /poll/%d HTTP/1.1\r\nHost: app.example\r\n\r\n" % i
        c.client_req(t, cli, cport, 80, req)
        resp = c.fetch(t + 0.0006, 20000 + i, 8080, req, 20.0 - 0.0006)
        c.client_answer(t + 20.0005, cli, cport, 80, resp)
    c.write(out)


def syn_retries_later(out):
    c = Capture()
    for i in range(37):
        t = T0 + 10.0 * i
        cli, cport = (198, 18, 1, 10), 10000 + i
        c.client_req(t, cli, cport, 9090, b"GET http://www.bench/f/%d.js HTTP/1.1\r\nHost: www.bench\r\n\r\n" % i)
        resp = c.fetch(t + 0.0006, 20000 + i, 80, b"GET /f/%d.js HTTP/1.1\r\nHost: www.bench\r\n\r\n" % i, 0.002)
        c.client_answer(t + 0.0031, cli, cport, 9090, resp)
    for n, at in enumerate((1.5, 6.5, 11.5, 16.5, 256.5)):
        for k in range(5):
            c.tcp(T0 + at + k * 1.02, (198, 18, 1, 12), 34000 + n, GW, 9090, "S")
    c.write(out)


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    retry_beside_polls(os.path.join(d, "retry-beside-polls.pcap"))
    syn_retries_later(os.path.join(d, "syn-retries-later.pcap"))


main()
