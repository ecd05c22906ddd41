/* The cause catalogue: every cause the diagnosis can name, with its RFC 9209 Proxy-Status
 * error type (NULL when none applies), who it lies with, what the traffic shows and a fix
 * template ({host}, {addr}, ... filled by the diagnosis). The single source of
 * docs/causes.md (why502 --causes). */
#include <string.h>

#include "why502/why502.h"

static const struct why_cause causes[WHY_CAUSE_COUNT] = {
    [WHY_CAUSE_NXDOMAIN] = {"nxdomain", "dns_error", "gateway", "The DNS server answered NXDOMAIN (no such name) for the host.",
     "Add an A/AAAA record for {host} in DNS, or an entry in {who}'s hosts file; check the URL for a typo."},
    [WHY_CAUSE_SERVFAIL] = {"servfail", "dns_error", "gateway", "The DNS server answered SERVFAIL for the host (it could not resolve it: its upstream or the zone's servers failed).",
     "Check the resolver {dns} and the authoritative servers of {host} (DNSSEC, lame delegation, upstream reachability)."},
    [WHY_CAUSE_REFUSED] = {"refused", "dns_error", "gateway", "The DNS server answered REFUSED: it will not resolve this name for the gateway.",
     "Allow {who} to query {dns} (ACL/recursion settings), or point {who} at a resolver that serves it."},
    [WHY_CAUSE_DNS_RCODE] = {"dns_rcode", "dns_error", "gateway", "The DNS server answered with an error code other than NXDOMAIN, SERVFAIL or REFUSED.",
     "Check the resolver {dns}: it answered {host} with an error."},
    [WHY_CAUSE_NODATA] = {"nodata", "dns_error", "gateway", "The name exists but DNS has no address record (A/AAAA) for it (NODATA).",
     "Add an A (or AAAA) record for {host}, or fix the CNAME it points to."},
    [WHY_CAUSE_NO_ANSWER] = {"no_answer", "dns_timeout", "gateway", "DNS queries for the host went unanswered (retransmitted, then the gateway gave up).",
     "The resolver {dns} does not answer: check that it runs and that a firewall lets UDP/TCP 53 through between {who} and it."},
    [WHY_CAUSE_DNS_UNREACHABLE] = {"dns_unreachable", "dns_timeout", "gateway", "DNS queries drew an ICMP error (the resolver's port or host is unreachable).",
     "Nothing listens on {dns} port 53, or it is unreachable: fix {who}'s resolver setting or the DNS server."},
    [WHY_CAUSE_SYN_UNANSWERED] = {"syn_unanswered", "connection_timeout", "gateway", "The gateway's SYNs to the origin were never answered; it retransmitted with back-off and gave up.",
     "A firewall between {who} and {addr} drops the SYNs, or the host is down: allow {addr} port {port} from {who}, check routing back."},
    [WHY_CAUSE_RST] = {"rst", "connection_refused", "gateway", "The origin (or a device in between) answered the gateway's SYN with a TCP reset.",
     "Nothing listens on {addr} port {port}, or a firewall rejects the connection: check the service and the rules."},
    [WHY_CAUSE_PORT_UNREACHABLE] = {"port_unreachable", "connection_refused", "gateway", "The gateway's SYN drew an ICMP port unreachable.",
     "Nothing accepts connections on {addr} port {port}: check the service and the rules in between."},
    [WHY_CAUSE_ADMIN_PROHIBITED] = {"admin_prohibited", "destination_ip_prohibited", "gateway", "The gateway's SYN drew an ICMP/ICMPv6 'administratively prohibited' (host or network prohibited, communication prohibited).",
     "A firewall ({icmp_from}) rejects connections from {who} to {addr}: allow it, or use another path."},
    [WHY_CAUSE_HOST_UNREACHABLE] = {"host_unreachable", "destination_ip_unroutable", "gateway", "The gateway's SYN drew an ICMP host unreachable / ICMPv6 address unreachable.",
     "{addr} is down or not reachable from {who}'s network: check the host and the route (ARP/ND fails next to it)."},
    [WHY_CAUSE_NET_UNREACHABLE] = {"net_unreachable", "destination_ip_unroutable", "gateway", "The gateway's SYN drew an ICMP network unreachable / ICMPv6 no route.",
     "No route from {who} to {addr}: check its routes and default gateway."},
    [WHY_CAUSE_TTL_EXCEEDED] = {"ttl_exceeded", "destination_ip_unroutable", "gateway", "The gateway's SYN drew an ICMP time exceeded: a routing loop.",
     "Fix the routing loop on the path to {addr}."},
    [WHY_CAUSE_NOT_HTTP] = {"not_http", "http_protocol_error", "gateway", "The origin answered with bytes that are not an HTTP status line.",
     "{addr} port {port} does not speak HTTP (wrong port or protocol, e.g. TLS or SSH): fix the URL or the gateway's upstream setting."},
    [WHY_CAUSE_CLOSED] = {"closed", "connection_terminated", "gateway", "The origin closed the connection (FIN) after the request, before any response byte.",
     "The origin {addr} dropped the request without answering: check its logs (crash, limits, request rejected); a keep-alive race if it followed idle time."},
    [WHY_CAUSE_CLOSED_ON_REUSE] = {"closed_on_reuse", "connection_terminated", "gateway", "The gateway sent the request on a kept-alive connection that had been idle, and the origin closed it (FIN or RST) before any answer: the origin's idle timeout ran out as the gateway reused the connection.",
     "The connection to {addr} had been idle {wait}: make the gateway's upstream keep-alive idle timeout shorter than the origin's keep-alive timeout (nginx keepalive_timeout in the upstream block, HAProxy timeout http-keep-alive, Apache ttl=, Caddy keepalive), or the origin's longer; a gateway that retries idempotent requests on a new connection hides it for GET, not for POST."},
    [WHY_CAUSE_RESET] = {"reset", "connection_terminated", "gateway", "The origin reset the connection (RST) after the request, before any response byte.",
     "The origin {addr} (or a device in between) aborted the request: check its logs and any IPS/WAF in the path."},
    [WHY_CAUSE_RESET_IN_BODY] = {"reset_in_body", "http_response_incomplete", "gateway", "The origin reset the connection in the middle of the response.",
     "The response from {addr} was cut by a reset after {got} bytes: check the origin's logs and any device in between."},
    [WHY_CAUSE_CLOSED_IN_BODY] = {"closed_in_body", "http_response_incomplete", "gateway", "The origin closed the connection before the response was complete.",
     "The response from {addr} ended after {got} bytes, short of its length: check the origin (crash, timeout while sending)."},
    [WHY_CAUSE_NO_RESPONSE] = {"no_response", "http_response_timeout", "gateway", "The origin accepted the request and sent nothing until the gateway gave up.",
     "The origin {addr} took longer than the gateway's timeout ({wait}): fix the slow endpoint, or raise the gateway's read timeout for it."},
    [WHY_CAUSE_RENEGOTIATION_STALL] = {"renegotiation_stall", "tls_protocol_error", "gateway", "In a TLS 1.2 session the origin sent a handshake record after application data (a renegotiation request, HelloRequest) and the gateway never answered it; the origin waited.",
     "Stop the origin asking for renegotiation (e.g. IIS: client certificate negotiation off / no per-path client certificates), or let the gateway answer renegotiation."},
    [WHY_CAUSE_RENEGOTIATION_REFUSED] = {"renegotiation_refused", "tls_protocol_error", "gateway", "The origin asked for TLS renegotiation and the gateway refused it (no_renegotiation alert or close).",
     "Stop the origin asking for renegotiation, or allow the gateway to renegotiate with it."},
    [WHY_CAUSE_TLS_ALERT] = {"tls_alert", "tls_protocol_error", "gateway", "The TLS handshake with the origin ended with an alert.",
     "The TLS handshake between the gateway and {addr} failed ({alert}): compare versions, ciphers and certificates on both sides."},
    [WHY_CAUSE_TLS_CERTIFICATE] = {"tls_certificate", "tls_certificate_error", "gateway", "The origin's certificate was refused: expired, not yet valid, or not for the name the gateway asked for (seen in TLS 1.2, or TLS 1.3 with --keylog), or the gateway said so with a certificate alert.",
     "Renew or fix the certificate of {addr} ({cert}), or make {who} ask for a name it covers."},
    [WHY_CAUSE_TLS_GATEWAY_LEFT] = {"tls_gateway_left", "tls_protocol_error", "gateway", "The gateway completed the TLS handshake with the origin and closed without sending the request: it refused something it saw, most often the certificate (which TLS 1.3 hides without keys).",
     "Run why502 with --keylog to see the certificate of {addr}, or check the gateway's log for the verification error."},
    [WHY_CAUSE_TLS_HANDSHAKE_CLOSED] = {"tls_handshake_closed", "tls_protocol_error", "gateway", "The origin closed or reset the connection during the TLS handshake.",
     "The origin {addr} dropped the TLS handshake: it may not speak TLS on port {port}, or rejects the gateway's versions/ciphers/SNI."},
    [WHY_CAUSE_BACKEND_DNS_FAILED] = {"backend_dns_failed", "dns_error", "gateway", "The gateway answered 5xx without trying any server: its own periodic lookups of the backend's name (a resolvers section, dynamic upstreams) were failing, so the server had no address.",
     "Fix DNS for {host} at {dns} (the record, or the gateway's resolvers setting); until then the gateway keeps the server in maintenance."},
    [WHY_CAUSE_HEALTH_CHECK_FAILED] = {"health_check_failed", "destination_unavailable", "gateway", "The gateway answered 5xx without trying any server: its health checks of the servers were failing, so it had marked them all down (its answer says no server is available; Varnish's says its backend fetch failed, the last check of every server it checks failed, no attempt began while the request waited and no connection to a server it sends requests to was refused in the 0.25 s before, so none was held down after a refusal).",
     "Make the servers pass the gateway's health check ({checks}), or fix the check (its URI, expected status, interval)."},
    [WHY_CAUSE_HEAD_TOO_BIG] = {"head_too_big", "http_response_header_section_size", "gateway", "The origin answered with a complete, valid response head larger than the gateway's buffer for it, and the gateway answered 502 (nginx: \"upstream sent too big header\", proxy_buffer_size 4 KB; HAProxy: tune.bufsize 16 KB).",
     "The origin's response head is {got} bytes: raise the gateway's buffer (nginx proxy_buffer_size / proxy_buffers, HAProxy tune.bufsize) or make the origin send fewer or shorter header fields (cookies)."},
    [WHY_CAUSE_NO_UPSTREAM_ATTEMPT] = {"no_upstream_attempt", "proxy_internal_response", "gateway", "The gateway answered 5xx without any connection attempt or upstream request for it: without a DNS query either, or after one that gave the address.",
     "The gateway refused on its own ({claim}): check its configuration (no upstream available, ACL, limits, all upstreams marked down)."},
    [WHY_CAUSE_GATEWAY_ERROR] = {"gateway_error", "proxy_internal_response", "gateway", "The origin answered correctly but the gateway still answered the client with 5xx.",
     "The gateway failed after the origin answered: check its logs (content scanning, ICAP, header size limits)."},
    [WHY_CAUSE_CLOSED_WITHOUT_RESPONSE] = {"closed_without_response", "proxy_internal_error", "gateway", "The gateway closed the client's connection without any response and nothing upstream explains it.",
     "Check the gateway's logs: it dropped the request (crash, limit, policy)."},
    [WHY_CAUSE_GATEWAY_CLAIM] = {"gateway_claim", NULL, "gateway", "The capture has no upstream side, or one that cannot be read (a direction or bytes of it missing, or the last attempt's answer not captured though the gateway answered before it could have tried again); the cause is the one the gateway states in its answer (X-Squid-Error, Proxy-Status, block page).",
     "{capture}; the gateway says: {claim}."},
    [WHY_CAUSE_CLIENT_RESET_RESPONSE] = {"client_reset_response", NULL, "client", "The client reset or closed the connection while the response was still coming.",
     "The client gave up during the transfer (user navigated away, client timeout): not a gateway fault unless the transfer was slow."},
    [WHY_CAUSE_CLIENT_ABORT] = {"client_abort", NULL, "client", "The client gave up (FIN or RST) before any answer: what a gateway logs as 499.",
     "The client waited {wait} and gave up; {upstream_state}"},
    [WHY_CAUSE_ORIGIN_5XX] = {"origin_5xx", NULL, "origin", "The origin answered 5xx itself and the gateway passed it on: not a gateway failure.",
     "Look at the origin {addr}: it answered {status} itself."},
    [WHY_CAUSE_NO_RESPONSE_IN_CAPTURE] = {"no_response_in_capture", NULL, "capture", "The capture ended before the request was answered.",
     "Capture for longer (until the client sees its answer) to diagnose this request."},
    [WHY_CAUSE_SERVER_NO_ANSWER] = {"server_no_answer", "http_response_timeout", "origin", "A capture with no gateway in it (the client's or the server's own): the server had not answered the request when the client closed or reset the connection.",
     "Look at why {addr} does not answer this request in time: the client waited {wait} (if that is the client's own timeout and the server is merely slow, lengthen it)."},
    [WHY_CAUSE_STALL_IN_BODY] = {"stall_in_body", "http_response_incomplete", "origin", "The response stopped in the middle of its body: the server (or the path to it) sent nothing more for a measured silence, until the client gave up and reset the connection.",
     "The server {addr} stalled {wait} in the middle of the response ({got} body bytes in): look at the server and the path to it (a hung worker, a saturated link, a middlebox); the client's reset is the consequence."},
    [WHY_CAUSE_H2_STREAM_RESET] = {"h2_stream_reset", "connection_terminated", "gateway", "The origin reset the gateway's HTTP/2 stream (RST_STREAM) after the request, before any response header.",
     "The origin {addr} aborted the request on its stream ({h2_code}): check its logs and its stream limits (REFUSED_STREAM means it was never processed, so the gateway may retry it)."},
    [WHY_CAUSE_H2_STREAM_RESET_IN_BODY] = {"h2_stream_reset_in_body", "http_response_incomplete", "gateway", "The origin reset the HTTP/2 stream (RST_STREAM) in the middle of the response.",
     "The origin {addr} aborted its response ({h2_code}): check its logs (crash, timeout while sending, a limit)."},
    [WHY_CAUSE_H2_STREAM_UNANSWERED] = {"h2_stream_unanswered", "http_response_timeout", "gateway", "The origin accepted the HTTP/2 stream and sent no response header until the gateway reset the stream (its timeout).",
     "The origin {addr} took longer than the gateway's timeout ({wait}) on this stream: fix the slow endpoint, or raise the gateway's read timeout for it."},
    [WHY_CAUSE_H2_GOAWAY_UNPROCESSED] = {"h2_goaway_unprocessed", "connection_terminated", "gateway", "The origin sent GOAWAY and its last-stream-id shows it never processed the gateway's stream, or the GOAWAY came before the gateway sent the request at all and it answered without opening a new connection (detail stream=none): a request the gateway could have retried on a new connection (RFC 9113 6.8).",
     "Make the gateway retry requests dropped by GOAWAY, and look at why {addr} closes its connections ({h2_code}: restarts, a maximum of requests per connection)."},
    [WHY_CAUSE_H2_FLOW_STALL] = {"h2_flow_stall", "http_response_timeout", "gateway", "An HTTP/2 flow-control window stood at 0 until the stream ended: one side had data to send and the other never sent WINDOW_UPDATE.",
     "{stall_who} did not open the window for {wait}: check that it still reads the stream, its buffers and its window settings (SETTINGS_INITIAL_WINDOW_SIZE)."},
    [WHY_CAUSE_H2_PROTOCOL_ERROR] = {"h2_protocol_error", "http_protocol_error", "gateway", "The HTTP/2 stream or connection ended on a protocol fault (PROTOCOL_ERROR, COMPRESSION_ERROR, FRAME_SIZE_ERROR, FLOW_CONTROL_ERROR, SETTINGS_TIMEOUT, a malformed frame, or SETTINGS never acknowledged).",
     "The gateway and {addr} disagree on HTTP/2 ({h2_code} from {h2_who}): compare their HTTP/2 settings and versions; speak HTTP/1.1 to the origin as a workaround."},
    [WHY_CAUSE_GRPC_ORIGIN_STATUS] = {"grpc_origin_status", NULL, "origin", "The origin ended the gRPC call with a failing grpc-status (UNKNOWN, DEADLINE_EXCEEDED, INTERNAL, UNAVAILABLE, DATA_LOSS) and the gateway passed it on: the origin's answer, not a gateway failure. A gateway's own gRPC error is diagnosed like a 503.",
     "Look at the gRPC service on {addr}: it answered {grpc}."},
    [WHY_CAUSE_NOT_ACCEPTING] = {"not_accepting", "connection_timeout", "gateway", "SYNs to a server went unanswered while the same address and port answered other connections' SYNs: it was reachable and listening but did not take these (a full accept queue drops SYNs; so does a load balancer's dead backend, or a rule for some clients).",
     "{addr}:{port} took other connections meanwhile, not {who}'s: a full accept queue there (nstat TcpExtListenOverflows; raise the backlog and somaxconn, find why it accepts slowly), a load balancer sending these to a dead server, or a rule dropping them."},
    [WHY_CAUSE_TLS_PASSTHROUGH_ALERT] = {"tls_passthrough_alert", "tls_protocol_error", "origin", "The gateway passes TLS through (HAProxy mode tcp, nginx stream, an SNI router): it sent the client's ClientHello on to the origin unchanged (the same random on both legs), and the handshake between the client and the origin ended with a fatal alert, which the gateway relayed. The gateway itself did not fail.",
     "The client and {addr} could not agree on TLS ({alert}): compare what the client offers (versions, ciphers, SNI, certificate) with what {addr} accepts; the gateway passes the handshake through and cannot change it."},
};

const struct why_cause *why_causes(size_t *n)
{
    *n = sizeof causes / sizeof causes[0];
    return causes;
}

const struct why_cause *why_cause_get(enum why_cause_id id)
{
    return (unsigned)id < sizeof causes / sizeof causes[0] ? &causes[id] : NULL;
}

const struct why_cause *why_cause_find(const char *detail)
{
    for (size_t i = 0; i < sizeof causes / sizeof causes[0]; i++)
        if (strcmp(causes[i].detail, detail) == 0)
            return &causes[i];
    return NULL;
}

