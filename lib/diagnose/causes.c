/* The cause catalogue: every cause the diagnosis can name, with its RFC 9209 Proxy-Status
 * error type (NULL when none applies), who it lies with, what the traffic shows and a fix
 * template ({host}, {addr}, ... filled by the diagnosis). The single source of
 * docs/causes.md (why502 --causes). */
#include <string.h>

#include "why502/why502.h"

static const struct why_cause causes[] = {
    {"nxdomain", "dns_error", "gateway", "The DNS server answered NXDOMAIN (no such name) for the host.",
     "Add an A/AAAA record for {host} in DNS, or an entry in the gateway's hosts file; check the URL for a typo."},
    {"servfail", "dns_error", "gateway", "The DNS server answered SERVFAIL for the host (it could not resolve it: its upstream or the zone's servers failed).",
     "Check the resolver {dns} and the authoritative servers of {host} (DNSSEC, lame delegation, upstream reachability)."},
    {"refused", "dns_error", "gateway", "The DNS server answered REFUSED: it will not resolve this name for the gateway.",
     "Allow the gateway to query {dns} (ACL/recursion settings), or point the gateway at a resolver that serves it."},
    {"dns_rcode", "dns_error", "gateway", "The DNS server answered with an error code other than NXDOMAIN, SERVFAIL or REFUSED.",
     "Check the resolver {dns}: it answered {host} with an error."},
    {"nodata", "dns_error", "gateway", "The name exists but DNS has no address record (A/AAAA) for it (NODATA).",
     "Add an A (or AAAA) record for {host}, or fix the CNAME it points to."},
    {"no_answer", "dns_timeout", "gateway", "DNS queries for the host went unanswered (retransmitted, then the gateway gave up).",
     "The resolver {dns} does not answer: check that it runs and that a firewall lets UDP/TCP 53 through between the gateway and it."},
    {"dns_unreachable", "dns_timeout", "gateway", "DNS queries drew an ICMP error (the resolver's port or host is unreachable).",
     "Nothing listens on {dns} port 53, or it is unreachable: fix the gateway's resolver setting or the DNS server."},
    {"syn_unanswered", "connection_timeout", "gateway", "The gateway's SYNs to the origin were never answered; it retransmitted with back-off and gave up.",
     "A firewall between the gateway and {addr} drops the SYNs, or the host is down: allow {addr} port {port} from the gateway, check routing back."},
    {"rst", "connection_refused", "gateway", "The origin (or a device in between) answered the gateway's SYN with a TCP reset.",
     "Nothing listens on {addr} port {port}, or a firewall rejects the connection: check the service and the rules."},
    {"port_unreachable", "connection_refused", "gateway", "The gateway's SYN drew an ICMP port unreachable.",
     "Nothing accepts connections on {addr} port {port}: check the service and the rules in between."},
    {"admin_prohibited", "destination_ip_prohibited", "gateway", "The gateway's SYN drew an ICMP/ICMPv6 'administratively prohibited' (host or network prohibited, communication prohibited).",
     "A firewall ({icmp_from}) rejects connections from the gateway to {addr}: allow it, or use another path."},
    {"host_unreachable", "destination_ip_unroutable", "gateway", "The gateway's SYN drew an ICMP host unreachable / ICMPv6 address unreachable.",
     "{addr} is down or not reachable from the gateway's network: check the host and the route (ARP/ND fails next to it)."},
    {"net_unreachable", "destination_ip_unroutable", "gateway", "The gateway's SYN drew an ICMP network unreachable / ICMPv6 no route.",
     "The gateway has no route to {addr}: check its routes and default gateway."},
    {"ttl_exceeded", "destination_ip_unroutable", "gateway", "The gateway's SYN drew an ICMP time exceeded: a routing loop.",
     "Fix the routing loop on the path to {addr}."},
    {"not_http", "http_protocol_error", "gateway", "The origin answered with bytes that are not an HTTP status line.",
     "{addr} port {port} does not speak HTTP (wrong port or protocol, e.g. TLS or SSH): fix the URL or the gateway's upstream setting."},
    {"closed", "connection_terminated", "gateway", "The origin closed the connection (FIN) after the request, before any response byte.",
     "The origin {addr} dropped the request without answering: check its logs (crash, limits, request rejected); a keep-alive race if it followed idle time."},
    {"reset", "connection_terminated", "gateway", "The origin reset the connection (RST) after the request, before any response byte.",
     "The origin {addr} (or a device in between) aborted the request: check its logs and any IPS/WAF in the path."},
    {"reset_in_body", "http_response_incomplete", "gateway", "The origin reset the connection in the middle of the response.",
     "The response from {addr} was cut by a reset after {got} bytes: check the origin's logs and any device in between."},
    {"closed_in_body", "http_response_incomplete", "gateway", "The origin closed the connection before the response was complete.",
     "The response from {addr} ended after {got} bytes, short of its length: check the origin (crash, timeout while sending)."},
    {"no_response", "http_response_timeout", "gateway", "The origin accepted the request and sent nothing until the gateway gave up.",
     "The origin {addr} took longer than the gateway's timeout ({wait}): fix the slow endpoint, or raise the gateway's read timeout for it."},
    {"renegotiation_stall", "tls_protocol_error", "gateway", "In a TLS 1.2 session the origin sent a handshake record after application data (a renegotiation request, HelloRequest) and the gateway never answered it; the origin waited.",
     "Stop the origin asking for renegotiation (e.g. IIS: client certificate negotiation off / no per-path client certificates), or let the gateway answer renegotiation."},
    {"renegotiation_refused", "tls_protocol_error", "gateway", "The origin asked for TLS renegotiation and the gateway refused it (no_renegotiation alert or close).",
     "Stop the origin asking for renegotiation, or allow the gateway to renegotiate with it."},
    {"tls_alert", "tls_protocol_error", "gateway", "The TLS handshake with the origin ended with an alert.",
     "The TLS handshake between the gateway and {addr} failed ({alert}): compare versions, ciphers and certificates on both sides."},
    {"tls_certificate", "tls_certificate_error", "gateway", "The origin's certificate was refused: expired, not yet valid, or not for the name the gateway asked for (seen in TLS 1.2, or TLS 1.3 with --keylog), or the gateway said so with a certificate alert.",
     "Renew or fix the certificate of {addr} ({cert}), or make the gateway ask for a name it covers."},
    {"tls_gateway_left", "tls_protocol_error", "gateway", "The gateway completed the TLS handshake with the origin and closed without sending the request: it refused something it saw, most often the certificate (which TLS 1.3 hides without keys).",
     "Run why502 with --keylog to see the certificate of {addr}, or check the gateway's log for the verification error."},
    {"tls_handshake_closed", "tls_protocol_error", "gateway", "The origin closed or reset the connection during the TLS handshake.",
     "The origin {addr} dropped the TLS handshake: it may not speak TLS on port {port}, or rejects the gateway's versions/ciphers/SNI."},
    {"no_upstream_attempt", "proxy_internal_response", "gateway", "The gateway answered 5xx without any DNS query, connection attempt or upstream request for it.",
     "The gateway refused on its own ({claim}): check its configuration (no upstream available, ACL, limits, all upstreams marked down)."},
    {"gateway_error", "proxy_internal_response", "gateway", "The origin answered correctly but the gateway still answered the client with 5xx.",
     "The gateway failed after the origin answered: check its logs (content scanning, ICAP, header size limits)."},
    {"closed_without_response", "proxy_internal_error", "gateway", "The gateway closed the client's connection without any response and nothing upstream explains it.",
     "Check the gateway's logs: it dropped the request (crash, limit, policy)."},
    {"gateway_claim", NULL, "gateway", "The capture has no upstream side; the cause is the one the gateway states in its answer (X-Squid-Error, Proxy-Status, block page).",
     "Capture on the gateway with `tcpdump -i any` to see the upstream side; the gateway says: {claim}."},
    {"client_reset_response", NULL, "client", "The client reset or closed the connection while the response was still coming.",
     "The client gave up during the transfer (user navigated away, client timeout): not a gateway fault unless the transfer was slow."},
    {"client_abort", NULL, "client", "The client gave up (FIN or RST) before any answer: what a gateway logs as 499.",
     "The client waited {wait} and gave up; {upstream_state}"},
    {"origin_5xx", NULL, "origin", "The origin answered 5xx itself and the gateway passed it on: not a gateway failure.",
     "Look at the origin {addr}: it answered {status} itself."},
    {"no_response_in_capture", NULL, "capture", "The capture ended before the request was answered.",
     "Capture for longer (until the client sees its answer) to diagnose this request."},
};

const struct why_cause *why_causes(size_t *n)
{
    *n = sizeof causes / sizeof causes[0];
    return causes;
}

const struct why_cause *why_cause_find(const char *detail)
{
    for (size_t i = 0; i < sizeof causes / sizeof causes[0]; i++)
        if (strcmp(causes[i].detail, detail) == 0)
            return &causes[i];
    return NULL;
}

