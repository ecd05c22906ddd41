#!/usr/bin/env python3
"""Writes a capture with N failed requests through a gateway (default 10,000), in three
outages: connections refused by 20 origins, and NXDOMAIN for 10 names, with good requests in
between. For timing the HTML report of many incidents.
Usage: make-many.py OUT.pcap [N]"""
import os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcapgen import Capture, http_exchange, nxdomain, refused, squid_answer

OK = b"HTTP/1.1 200 OK\r\nServer: squid/5.7\r\nContent-Length: 2\r\n\r\nok"


def main():
    out, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    c = Capture()
    for i in range(n):
        if i and i % (n // 3 + 1) == 0:
            c.at(30.0)  # an outage ends; the next begins later
        cli = (198, 18, 0, 2 + (i // 20000) % 200)
        cport = 10000 + i % 50000
        if i % 10 < 7:
            origin = (198, 18, 2, 10 + i % 20)
            host = b"%d.%d.%d.%d" % origin
            req = b"GET http://" + host + b"/item/%d HTTP/1.1\r\nHost: " % i + host + b"\r\n\r\n"
            http_exchange(c, cli, cport, req, squid_answer(503, b"Service Unavailable", claim=b"ERR_CONNECT_FAIL 111"),
                          upstream=refused(origin, 20000 + i % 40000), gap=0.002)
        else:
            name = b"gone%d.example" % (i % 10)
            req = b"GET http://" + name + b"/item/%d HTTP/1.1\r\nHost: " % i + name + b"\r\n\r\n"
            http_exchange(c, cli, cport, req, squid_answer(503, b"Service Unavailable"),
                          upstream=nxdomain(name.split(b"."), i % 65536), gap=0.002)
        c.at(0.001)
        if i % 50 == 0:  # a good request now and then
            req = b"GET http://ok.example/ HTTP/1.1\r\nHost: ok.example\r\n\r\n"
            http_exchange(c, cli, 60000 + i % 5000, req, OK, gap=0.002)
            c.at(0.001)
    c.write(out)


if __name__ == "__main__":
    main()
