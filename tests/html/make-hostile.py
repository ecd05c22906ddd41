#!/usr/bin/env python3
"""Writes a capture whose wire strings try to run script in the HTML report: markup, event
handlers, javascript: URLs, </style>, control characters, invalid UTF-8 and a bidi override in
the URL, the Host header, the gateway's Server and X-Squid-Error headers, a DNS name and a TLS
server name. Each payload would set document.title to PWNED... if it ran.
Usage: make-hostile.py OUT.pcap"""
import os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcapgen import GW, Capture, client_hello, http_exchange, nxdomain, refused, squid_answer, tls_alert

CLI = (198, 18, 0, 2)
# no spaces: they end a request target
SCRIPT = b"<script>document.title='PWNED-script'</script>"
IMG = b"\"><img/src=x/onerror=document.title='PWNED-img'>"
SVG = b"<svg/onload=document.title='PWNED-svg'>"
JS = b"javascript:document.title='PWNED-js'"
STYLE = b"</style><style>*{display:none}</style>"
BAD = b"\x01\x1b[31m\x7f\xff\xfe\xc0\xaf\xed\xa0\x80\xe2\x80\xae"
PAYLOAD = SCRIPT + IMG + SVG + JS + STYLE + BAD
SPACED = b" ".join((SCRIPT, IMG, SVG, JS, STYLE)) + BAD  # headers may hold spaces


def main():
    out = sys.argv[1]
    c = Capture()
    # 1. a DNS failure for a host whose name is markup (URL, Host, DNS name, headers)
    host = b"x<script>document.title='pwned-dns'</script>\"><img/src=x/onerror=document.title='pwned-dns'>.test"
    req = (b"GET http://" + host + b"/" + PAYLOAD + b" HTTP/1.1\r\nHost: " + host +
           b"\r\nUser-Agent: " + SPACED + b"\r\nReferer: " + JS + b"\r\n\r\n")
    labels = host.split(b".")
    http_exchange(c, CLI, 41001, req, squid_answer(503, b"Service Unavailable", server=SPACED[:90],
                                                   claim=SPACED), upstream=nxdomain(labels, 7))
    # 2. a refused connection to an address, the URL full of payloads, the gateway's page title too
    c.at(0.5)
    req = b"GET http://198.18.2.80/" + PAYLOAD + b"?q=" + JS + b" HTTP/1.1\r\nHost: 198.18.2.80\r\n\r\n"
    http_exchange(c, CLI, 41002, req, squid_answer(503, b"Service Unavailable", claim=b"ERR_CONNECT_FAIL " + SPACED),
                  upstream=refused((198, 18, 2, 80), 50002))
    # 3. a TLS handshake refused by an origin whose server name (SNI) is markup
    c.at(0.5)
    origin = (198, 18, 2, 44)
    c.handshake(GW, 50003, origin, 443)
    c.at(0.0003).tcp(GW, 50003, origin, 443, "PA", client_hello(b"sni" + SCRIPT + IMG + BAD))
    c.at(0.002).tcp(origin, 443, GW, 50003, "PA", tls_alert(40))
    c.at(0.0002).tcp(origin, 443, GW, 50003, "FA")
    c.at(0.0002).tcp(GW, 50003, origin, 443, "FA")
    c.at(0.0002).tcp(origin, 443, GW, 50003, "A")
    # 4. a DNS failure no request joins, for a name of control bytes and invalid UTF-8
    c.at(0.5)
    nxdomain([b"n" + BAD + SCRIPT[:30], b"test"], 9)(c)
    c.write(out)


if __name__ == "__main__":
    main()
