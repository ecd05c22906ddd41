"""mitmproxy addon for run-tls.sh: mitmdump as a TLS-re-originating reverse proxy ("WAF") in
front of the TLS origins (tlsorigin.c). The client speaks HTTP to it on port 80; the request's
Host picks the origin, which is reached over HTTPS with that name as SNI (and verified against
the lab CA by mitmproxy's ssl_verify_upstream_trusted_ca).

mitmproxy 8.1 NEVER ANSWERS an origin's HelloRequest: its sans-I/O TLS layer flushes OpenSSL's
outgoing memory BIO before it calls recv(), so the ClientHello that OpenSSL writes while
processing the HelloRequest stays in the BIO; the origin waits, as behind the WAF of the
renegotiation article.
"""

ORIGINS = {
    "ok.tls": "198.19.3.10",
    "reneg.tls": "198.19.3.11",
    "alert.tls": "198.19.3.12",
    "expired.tls": "198.19.3.13",
    "wrongname.tls": "198.19.3.14",
    "ok12.tls": "198.19.3.15",
}
SNI = {ip: name for name, ip in ORIGINS.items()}


def request(flow):
    host = (flow.request.host_header or "").split(":")[0].lower()
    ip = ORIGINS.get(host)
    if ip:
        flow.request.scheme = "https"
        flow.request.host = ip
        flow.request.port = 443
        flow.request.host_header = host


def server_connect(data):
    name = SNI.get(data.server.address[0])
    if name:
        data.server.sni = name
