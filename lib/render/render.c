/* The words of an incident: its summary, its fix (the catalogue's template filled in) and each
 * evidence item's text, from the phrases and arguments the diagnosis chose (render/words.h).
 * The only place in the library with English sentences; every writer shows these words. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "proto/dns.h"
#include "render/render.h"
#include "util/fmt.h"

static double secs(int64_t us) { return (double)us / 1e6; }

/* "1.23 s" / "850 ms" / "0.4 ms" */
static void fmt_wait(char *buf, size_t n, int64_t us)
{
    if (us < 0)
        why_fmt(buf, n, "?");
    else if (us >= 10000000)
        why_fmt(buf, n, "%.0f s", secs(us));
    else if (us >= 1000000)
        why_fmt(buf, n, "%.2f s", secs(us));
    else if (us >= 1000)
        why_fmt(buf, n, "%.0f ms", (double)us / 1000.0);
    else
        why_fmt(buf, n, "%.1f ms", (double)us / 1000.0);
}

static const char *plural(int64_t n, const char *one, const char *more) { return n == 1 ? one : more; }
static const char *sni(const char *s) { return s[0] ? s : "-"; }

/* Who sent an HTTP/2 frame, error or fault (words.h WHY_H2_BY_*). */
static const char *h2_by(int by) { return by == WHY_H2_BY_ORIGIN ? "the origin" : "the gateway"; }

/* An HTTP/2 fault: an error code's name, or what went wrong without one. */
static const char *h2_fault(const struct why_fix_args *f)
{
    return f->h2_fault == 1 ? "SETTINGS never acknowledged" : f->h2_fault == 2 ? "a malformed frame" : f->h2_code;
}

/* A gateway's failing health checks, "a:80 refused, b:80 answered 503", cut at 160 bytes. */
static void checks_text(const struct why_fix_args *f, char *out, size_t size)
{
    size_t o = 0;
    out[0] = 0;
    for (uint32_t i = 0; i < f->nchecks && i < sizeof f->checks / sizeof f->checks[0]; i++) {
        char what[48];
        switch (f->checks[i].outcome) {
        case WHY_CHECK_ANSWERED: why_fmt(what, sizeof what, "answered %d", f->checks[i].status); break;
        case WHY_CHECK_REFUSED: why_fmt(what, sizeof what, "refused"); break;
        case WHY_CHECK_ICMP: why_fmt(what, sizeof what, "ICMP error"); break;
        default: why_fmt(what, sizeof what, "no answer"); break;
        }
        int n = why_fmt(out + o, size - o, "%s%s %s", i ? ", " : "", f->checks[i].server, what);
        if (n < 0 || (size_t)n >= size - o)
            break;
        o += (size_t)n;
    }
}

static void summary(const struct why_incident *inc, const struct why_words *w, const struct why_fix_args *fa,
                    char *out, size_t size)
{
    char wt[32], rc[16];
    const char *s0 = w->s[0], *s1 = w->s[1], *s2 = w->s[2];
    const int64_t *n = w->n;
    switch (w->phrase) {
    case WHY_P_DNS_RCODE:
        fmt_wait(wt, sizeof wt, n[2]);
        why_fmt(out, size, "DNS server %s answered %s for %s (%u %s, %s).", s0,
                 why_dns_rcode_name((uint8_t)n[0]), s1, (unsigned)n[1], plural(n[1], "query", "queries"), wt);
        break;
    case WHY_P_DNS_NODATA:
        fmt_wait(wt, sizeof wt, n[2]);
        why_fmt(out, size, "DNS server %s answered %s with no address (NODATA) for every query (%u, %s).",
                 s0, s1, (unsigned)n[1], wt);
        break;
    case WHY_P_DNS_NO_ANSWER:
        fmt_wait(wt, sizeof wt, n[2]);
        why_fmt(out, size, "DNS server %s never answered: %u %s for %s, %u %s in all, given up after %s.",
                 s0, (unsigned)n[0], plural(n[0], "query", "queries"), s1, (unsigned)n[1],
                 plural(n[1], "send", "sends"), wt);
        break;
    case WHY_P_SYN_ICMP:
        why_fmt(out, size, "%s's SYN to %s drew ICMP%s type %u code %u from %s (%u %s).",
                 s0[0] ? s0 : "The gateway", s1, n[0] == 6 ? "v6" : "", (unsigned)n[1], (unsigned)n[2], s2,
                 (unsigned)n[3], plural(n[3], "try", "tries"));
        break;
    case WHY_P_SYN_RST:
        if (n[1] || n[2]) {
            char gap[160], w2[32];
            fmt_wait(wt, sizeof wt, n[2]);
            fmt_wait(w2, sizeof w2, n[1]);
            if (n[1] && n[2])
                why_fmt(gap, sizeof gap, "The first came %s after the request and the answer %s after the last", wt,
                         w2);
            else if (n[2])
                why_fmt(gap, sizeof gap, "The first came %s after the request", wt);
            else
                why_fmt(gap, sizeof gap, "The answer came %s after the last", w2);
            why_fmt(out, size, "%s answered the SYN from %s with a reset (%u %s found): connection refused. %s: the "
                     "gateway tried or waited meanwhile, and a try of its own then is not counted.", s0,
                     s1[0] ? s1 : "the gateway", (unsigned)n[0], plural(n[0], "try", "tries"), gap);
        } else {
            why_fmt(out, size, "%s answered the SYN from %s with a reset (%u %s): connection refused.", s0,
                     s1[0] ? s1 : "the gateway", (unsigned)n[0], plural(n[0], "try", "tries"));
        }
        break;
    case WHY_P_SYN_UNANSWERED: {
        char sched[120] = "";
        size_t o = 0;
        for (uint32_t i = 0; i < inc->nschedule && o + 12 < sizeof sched; i++)
            o += (size_t)why_fmt(sched + o, sizeof sched - o, "%s%.1f", i ? "," : "", secs(inc->schedule_us[i]));
        fmt_wait(wt, sizeof wt, n[1]);
        if (n[2])
            why_fmt(out, size, "%s sent %u %s to %s (at %ss) and got no answer, while %s answered %u other %s "
                     "meanwhile; it gave up after %s.", s0[0] ? s0 : "The gateway", (unsigned)n[0],
                     plural(n[0], "SYN", "SYNs"), s1, sched, s1, (unsigned)n[2],
                     plural(n[2], "connection's SYN", "connections' SYNs"), wt);
        else
            why_fmt(out, size, "%s sent %u %s to %s (at %ss) and got no answer; it gave up after %s.",
                     s0[0] ? s0 : "The gateway", (unsigned)n[0], plural(n[0], "SYN", "SYNs"), s1, sched, wt);
        break;
    }
    case WHY_P_NOT_HTTP:
        why_fmt(out, size, "%s answered the request with bytes that are not an HTTP status line: \"%s\".", s0, s1);
        break;
    case WHY_P_CLOSED_EARLY:
        fmt_wait(wt, sizeof wt, n[1]);
        why_fmt(out, size, "%s %s the connection %s after the request, without sending a response.", s0,
                 n[0] ? "reset" : "closed", wt);
        break;
    case WHY_P_NO_RESPONSE:
        fmt_wait(wt, sizeof wt, n[0]);
        why_fmt(out, size, "%s accepted the request and sent nothing for %s, until the gateway gave up.", s0, wt);
        break;
    case WHY_P_CUT_IN_BODY:
        why_fmt(out, size, "%s %s the connection in the middle of its %d response (%" PRId64 " body bytes of %s).",
                 s0, n[0] ? "reset" : "closed", (int)n[1], n[2], n[3] ? "the announced length" : "an unknown length");
        break;
    case WHY_P_BANNER:
        why_fmt(out, size, "%s spoke first, in something that is not HTTP (\"%s\"), before the gateway sent the request.",
                 s0, s1);
        break;
    case WHY_P_RENEG_REFUSED:
        why_fmt(out, size, "%s (SNI %s) asked for TLS renegotiation after the request; the gateway refused it (%s).",
                 s0, sni(s1), n[0] ? "alert" : "closed the connection");
        break;
    case WHY_P_RENEG_STALL:
        fmt_wait(wt, sizeof wt, n[0]);
        why_fmt(out, size,
                 "%s (SNI %s) asked for TLS renegotiation (HelloRequest) after the request; the "
                 "gateway never answered and the origin waited %s.",
                 s0, sni(s1), wt);
        break;
    case WHY_P_CERT_REFUSED:
        why_fmt(out, size, "The gateway refused the certificate of %s (SNI %s)%s%s%s.", s0, sni(s1),
                 s2[0] ? ": " : "", s2,
                 n[0] ? (s2[0] ? "; it sent a certificate alert" : " with a certificate alert") : "");
        break;
    case WHY_P_TLS_ALERT:
        why_fmt(out, size, "The TLS handshake with %s (SNI %s) failed: %s alert from the %s.", s0, sni(s1), s2,
                 n[0] ? "origin" : "gateway");
        break;
    case WHY_P_TLS_PASSTHROUGH_ALERT:
        why_fmt(out, size,
                 "The gateway passes TLS through: the client's handshake with %s (SNI %s) failed: %s alert from the %s, which the gateway relayed.",
                 s0, sni(s1), s2, n[0] ? "origin" : "client");
        break;
    case WHY_P_TLS_GATEWAY_LEFT:
        why_fmt(out, size,
                 "The gateway finished the TLS handshake with %s (SNI %s) and closed without sending the request: it refused something in the handshake%s.",
                 s0, sni(s1), n[0] ? ", most often the certificate (hidden in TLS 1.3: --keylog shows it)" : "");
        break;
    case WHY_P_TLS_CUT:
        why_fmt(out, size, "%s %s the connection during the TLS handshake (SNI %s).", s0, n[0] ? "reset" : "closed",
                 sni(s1));
        break;
    case WHY_P_CLAIM:
        why_fmt(out, size, "The gateway answered %d and says \"%s\"; %s.", (int)n[0], s0[0] ? s0 : "no reason given",
                 n[1] == 1   ? "the capture lacks a direction or bytes of its upstream side, so what happened "
                               "there cannot be read"
                 : n[1] == 2 ? "the last upstream attempt found got no answer in the capture, though the gateway "
                               "answered sooner than it could have tried again: an answer the capture missed, or "
                               "another request's attempt"
                 : n[1] == 3 ? "every connection it began to the addresses the host's lookups gave while the "
                               "request waited failed, and each is read as another request's: which of them were "
                               "this request's the capture does not say"
                             : "its upstream side is not in the capture");
        break;
    case WHY_P_ORIGIN_5XX:
        why_fmt(out, size, "The origin %s:%s answered %d itself; the gateway passed it on.", s0, s1, (int)n[0]);
        break;
    case WHY_P_SERVER_5XX:
        why_fmt(out, size, "The server %s answered %d.", s0, (int)n[0]);
        break;
    case WHY_P_NO_UPSTREAM: {
        char checks[160] = "", refused[160] = "";
        if (n[1]) {
            char list[160];
            checks_text(fa, list, sizeof list);
            why_fmt(checks, sizeof checks, " Its own health checks were failing then (%s); its answer does not "
                     "say which server the request was for.", list);
        }
        if (n[2]) {
            fmt_wait(wt, sizeof wt, n[3] < 0 ? -n[3] : n[3]);
            if (n[2] == 1 || n[2] == 3)
                why_fmt(refused, sizeof refused, " Its connection to %s was refused %s %s the request: "
                         "Varnish holds every backend at that address down for %s after that error.", s0, wt,
                         n[3] < 0 ? "after" : "before", n[2] == 3 ? "10 s" : "0.25 s");
            else
                why_fmt(refused, sizeof refused, " Its connection attempt to %s began %s after the request: "
                         "it may be this request's own.", s0, wt);
        }
        why_fmt(out, size, "The gateway answered %d without any DNS query, connection or request upstream.%s%s",
                 (int)n[0], checks, refused);
        break;
    }
    case WHY_P_NO_CONNECT:
        why_fmt(out, size, "The gateway resolved %s to %s and answered %d without any connection to it in the "
                 "capture: it gave up before a SYN reached the wire.", s0, s1, (int)n[0]);
        break;
    case WHY_P_GATEWAY_ERROR:
        why_fmt(out, size, "The gateway answered %d although the upstream side shows no failure.", (int)n[0]);
        break;
    case WHY_P_CLIENT_RESET:
        why_fmt(out, size, "The client ended the connection while the %d response was still coming.", (int)n[0]);
        break;
    case WHY_P_CLIENT_ABORT:
        fmt_wait(wt, sizeof wt, n[0]);
        why_fmt(out, size, "The client gave up after %s without an answer (499).", wt);
        break;
    case WHY_P_CLOSED_NO_ANSWER:
        why_fmt(out, size, "The gateway closed the client's connection without answering.");
        break;
    case WHY_P_CUT_SHORT:
        why_fmt(out, size, "The %d response to the client was cut short.", (int)n[0]);
        break;
    case WHY_P_H2_RESET:
        fmt_wait(wt, sizeof wt, n[1]);
        if (n[3])
            why_fmt(out, size, "The gateway reset stream %u with %s %s after the request.", (unsigned)n[0], s1, wt);
        else
            why_fmt(out, size, "%s reset stream %u with %s %s after the request, %s.", s0, (unsigned)n[0], s1, wt,
                     n[2] ? "in the middle of the response" : "before any response");
        break;
    case WHY_P_H2_UNANSWERED:
        fmt_wait(wt, sizeof wt, n[1]);
        why_fmt(out, size, "%s accepted stream %u and sent no response for %s, until the gateway reset it (%s).",
                 s0, (unsigned)n[0], wt, s1);
        break;
    case WHY_P_H2_GOAWAY:
        if (n[1])
            why_fmt(out, size, "%s sent GOAWAY (%s) with last-stream-id %u: the gateway's stream %u was never "
                     "processed and the gateway did not retry it.", s0, s1, (unsigned)n[0], (unsigned)n[1]);
        else
            why_fmt(out, size, "%s sent GOAWAY (%s) with last-stream-id %u on the gateway's connection before this "
                     "request: the gateway answered it without sending it on a new connection.", s0, s1,
                     (unsigned)n[0]);
        break;
    case WHY_P_H2_STALL:
        fmt_wait(wt, sizeof wt, n[1]);
        why_fmt(out, size, "HTTP/2 flow control stalled stream %u: the %s's window stood at 0 for %s and %s never "
                 "sent WINDOW_UPDATE.", (unsigned)n[0], n[2] ? "origin" : "gateway", wt, n[2] ? "the gateway" : s0);
        break;
    case WHY_P_H2_PROTOCOL:
        why_fmt(out, size, "The HTTP/2 connection to %s broke on a protocol fault (%s, from %s) with stream %u open.",
                 s0, h2_fault(fa), h2_by(fa->h2_by), (unsigned)n[0]);
        break;
    case WHY_P_GRPC_ORIGIN:
        if (n[0])
            why_fmt(out, size, "The server %s answered the gRPC call with %s.", s0, s2);
        else
            why_fmt(out, size, "The origin %s:%s answered the gRPC call with %s; the gateway passed it on.", s0, s1, s2);
        break;
    case WHY_P_CAPTURE_ENDED:
        why_fmt(out, size, "No answer had arrived when the capture ended.");
        break;
    case WHY_P_SERVER_NO_ANSWER:
        fmt_wait(wt, sizeof wt, n[0]);
        why_fmt(out, size, "The server %s:%s had not answered %s after the %s when the client closed.",
                 s0, s1, wt, s2);
        break;
    case WHY_P_STALL_IN_BODY:
        fmt_wait(wt, sizeof wt, n[2]);
        why_fmt(out, size, "The %s %s stopped sending its %d response after about %" PRId64
                 " body bytes and was silent %s until the client reset the connection.",
                 n[3] ? "gateway" : "server", s0, (int)n[0], n[1], wt);
        break;
    case WHY_P_CERT_REFUSED_BY:
        why_fmt(out, size, "%s refused the certificate of %s%s%s%s.", s0, s1, s2[0] ? ": " : "", s2,
                 n[0] ? (s2[0] ? "; it sent a certificate alert" : " with a certificate alert") : "");
        break;
    case WHY_P_CUT_SHORT_HALF:
        why_fmt(out, size, "The %d response to the client was cut short; the upstream side is "
                 "captured from one side only.", (int)n[0]);
        break;
    case WHY_P_CLOSED_ON_REUSE: {
        char wa[32];
        fmt_wait(wt, sizeof wt, n[0]);
        fmt_wait(wa, sizeof wa, n[2]);
        why_fmt(out, size,
                 "The gateway reused a kept-alive connection idle for %s; %s %s it %s %s the request "
                 "left, before any answer.", wt, s0, n[1] ? "reset" : "closed", wa, n[3] ? "before" : "after");
        break;
    }
    case WHY_P_BACKEND_DNS: {
        fmt_wait(wt, sizeof wt, n[2] < 0 ? -n[2] : n[2]);
        const char *what = n[3] == 2 ? s1 : n[3] == 1 ? "no address" : "no answer";
        why_fmt(out, size,
                 "The gateway answered %d without trying a server: its own periodic lookups of %s were "
                 "failing (%u %s, the last %s %s the request: %s).",
                 (int)n[0], s0, (unsigned)n[1],
                 s2 && s2[0] ? s2 : "from 30 s before the request to the answer", wt, n[2] < 0 ? "after" : "before", what);
        break;
    }
    case WHY_P_HEALTH_CHECKS: {
        char checks[160];
        checks_text(fa, checks, sizeof checks);
        why_fmt(out, size,
                 "The gateway answered %d without trying a server (\"%s\"): its own health checks "
                 "were failing: %s.%s", (int)n[0], s0[0] ? s0 : "no server available", checks,
                 n[1] ? " No attempt began while the request waited, and no connection to a server it "
                        "sends requests to was refused in the 0.25 s before, so none was held down "
                        "after a refusal." : "");
        break;
    }
    case WHY_P_HEAD_TOO_BIG:
        why_fmt(out, size,
                 "The origin answered %d with a valid %u-byte response head; the gateway answered 502: "
                 "the head did not fit its buffer.", (int)n[0], (unsigned)n[1]);
        break;
    default:
        (void)rc;
        out[0] = 0;
        break;
    }
}

static void evidence(const struct why_words *w, char *out, size_t size)
{
    char tn[12];
    const char *s0 = w->s[0], *s1 = w->s[1];
    const int64_t *n = w->n;
    switch (w->phrase) {
    case WHY_P_EV_SYN: why_fmt(out, size, "SYN to %s", s0); break;
    case WHY_P_EV_SYN_RETRY: why_fmt(out, size, "SYN to %s retransmitted (try %u)", s0, (unsigned)n[0]); break;
    case WHY_P_EV_SYN_ACK: why_fmt(out, size, "SYN-ACK from %s", s0); break;
    case WHY_P_EV_SYN_ACK_OTHER:
        why_fmt(out, size, "SYN-ACK from %s to another client (the last of %u it answered meanwhile)", s0,
                 (unsigned)n[0]);
        break;
    case WHY_P_EV_SYN_ICMP:
        why_fmt(out, size, "ICMP%s type %u code %u about the SYN to %s", n[0] == 6 ? "v6" : "", (unsigned)n[1],
                 (unsigned)n[2], s0);
        break;
    case WHY_P_EV_RST_FROM: why_fmt(out, size, "RST from %s", s0); break;
    case WHY_P_EV_FIN_FROM: why_fmt(out, size, "FIN from %s", s0); break;
    case WHY_P_EV_RST_TO: why_fmt(out, size, "RST to %s", s0); break;
    case WHY_P_EV_FIN_TO: why_fmt(out, size, "FIN to %s", s0); break;
    case WHY_P_EV_DNS_QUERY:
        why_fmt(out, size, "DNS query %s %s to %s", why_dns_type_name((uint16_t)n[0], tn, sizeof tn), s0, s1);
        break;
    case WHY_P_EV_DNS_RETRY:
        why_fmt(out, size, "DNS query %s %s retransmitted (%u tries)", why_dns_type_name((uint16_t)n[0], tn, sizeof tn),
                 s0, (unsigned)n[1]);
        break;
    case WHY_P_EV_DNS_ANSWER:
        why_fmt(out, size, "DNS answer %s for %s %s", why_dns_rcode_name((uint8_t)n[1]),
                 why_dns_type_name((uint16_t)n[0], tn, sizeof tn), s0);
        break;
    case WHY_P_EV_DNS_ICMP: why_fmt(out, size, "ICMP error about the DNS query for %s", s0); break;
    case WHY_P_EV_DNS_QUERY_FOR: why_fmt(out, size, "DNS query for %s", s0); break;
    case WHY_P_EV_UPSTREAM_REQ:
        if (s0[0])
            why_fmt(out, size, "upstream request %s to %s", s0, s1);
        else
            why_fmt(out, size, "upstream request to %s", s1);
        break;
    case WHY_P_EV_FIRST_BYTES: why_fmt(out, size, "first response bytes from %s", s0); break;
    case WHY_P_EV_CLOSE_EARLY: why_fmt(out, size, "%s from %s before any response", n[0] ? "RST" : "FIN", s0); break;
    case WHY_P_EV_GIVES_UP: why_fmt(out, size, "gateway gives up on %s", s0); break;
    case WHY_P_EV_CLOSE_IN_BODY:
        why_fmt(out, size, "%s from %s in the middle of the response", n[0] ? "RST" : "FIN", s0);
        break;
    case WHY_P_EV_BANNER: why_fmt(out, size, "first bytes from %s, before any request", s0); break;
    case WHY_P_EV_RENEG:
        why_fmt(out, size, "TLS handshake record from %s after its Finished (renegotiation request)", s0);
        break;
    case WHY_P_EV_RENEG_ALERT: why_fmt(out, size, "the gateway's alert in answer to the renegotiation"); break;
    case WHY_P_EV_CERT: why_fmt(out, size, "certificate from %s: %s", s0, s1[0] ? s1 : "accepted by its looks"); break;
    case WHY_P_EV_GW_ALERT: why_fmt(out, size, "TLS alert %s from the gateway", s0); break;
    case WHY_P_EV_ALERT: why_fmt(out, size, "TLS alert %s from %s", s0, n[0] ? "the origin" : "the gateway"); break;
    case WHY_P_EV_TLS_LEFT: why_fmt(out, size, "the gateway closes the TLS connection to %s without a request", s0); break;
    case WHY_P_EV_REQUEST: why_fmt(out, size, "request %s from %s", s0, s1); break;
    case WHY_P_EV_ORIGIN_ANSWERS: why_fmt(out, size, "origin answers %d", (int)n[0]); break;
    case WHY_P_EV_CLIENT_ENDS: why_fmt(out, size, "client ends the connection during the response"); break;
    case WHY_P_EV_CLIENT_GIVES_UP: why_fmt(out, size, "client gives up"); break;
    case WHY_P_EV_GW_CLOSES: why_fmt(out, size, "gateway closes the client connection"); break;
    case WHY_P_EV_ANSWERS: why_fmt(out, size, "%s answers %d", n[1] ? "server" : "gateway", (int)n[0]); break;
    case WHY_P_EV_CLIENT_CONN: why_fmt(out, size, "client connection from %s (TLS, SNI %s)", s0, sni(s1)); break;
    case WHY_P_EV_LAST_BYTES: why_fmt(out, size, "last response bytes before the silence"); break;
    case WHY_P_EV_CLIENT_ENDS_AFTER: {
        char wt[32];
        fmt_wait(wt, sizeof wt, n[0]);
        why_fmt(out, size, "client ends the connection after %s of silence", wt);
        break;
    }
    case WHY_P_EV_CLIENT_CLOSES: why_fmt(out, size, "the client closes the connection"); break;
    case WHY_P_EV_PT_HELLO:
        if (n[0])
            why_fmt(out, size, "the client's ClientHello sent on to %s by the gateway, unchanged (the same random)", s0);
        else
            why_fmt(out, size, "ClientHello from the client to %s", s0);
        break;
    case WHY_P_EV_PT_ALERT:
        if (n[1] == 2) /* the sender's leg lost its copy */
            why_fmt(out, size, "TLS alert %s from the %s, relayed by the gateway (the %s's copy not captured)", s0,
                     n[0] ? "origin" : "client", n[0] ? "origin" : "client");
        else if (n[1])
            why_fmt(out, size, "the same alert passed on to the %s by the gateway", n[0] ? "client" : "origin");
        else
            why_fmt(out, size, "TLS alert %s from the %s", s0, n[0] ? "origin" : "client");
        break;
    case WHY_P_EV_LAST_ANSWER: why_fmt(out, size, "last answer on this connection ends"); break;
    case WHY_P_EV_OWN_DNS_QUERY:
        why_fmt(out, size, "gateway's own DNS query %s %s to %s", why_dns_type_name((uint16_t)n[0], tn, sizeof tn),
                 s0, s1);
        break;
    case WHY_P_EV_CHECK_REQ: why_fmt(out, size, "gateway's own check %s %s to %s", s0, s1, w->s[2]); break;
    case WHY_P_EV_CHECK_ANSWER: why_fmt(out, size, "check answered %d", (int)n[0]); break;
    case WHY_P_EV_CHECK_SYN: why_fmt(out, size, "gateway's own check: SYN to %s", s0); break;
    case WHY_P_EV_CHECK_ICMP: why_fmt(out, size, "ICMP error about the check to %s", s0); break;
    case WHY_P_EV_HEAD_BEGINS: why_fmt(out, size, "origin's %d response head begins", (int)n[0]); break;
    case WHY_P_EV_HEAD_DONE: why_fmt(out, size, "origin's response head complete: %u bytes", (unsigned)n[0]); break;
    case WHY_P_EV_H2_HEADERS:
        if (n[2])
            why_fmt(out, size, "HEADERS %d on stream %u from %s", (int)n[1], (unsigned)n[0], s1);
        else
            why_fmt(out, size, "HEADERS %s on stream %u to %s", s0, (unsigned)n[0], s1);
        break;
    case WHY_P_EV_H2_RST:
        why_fmt(out, size, "RST_STREAM %s on stream %u from %s", s0, (unsigned)n[0], s1[0] ? s1 : "the gateway");
        break;
    case WHY_P_EV_H2_GOAWAY:
        why_fmt(out, size, "GOAWAY %s last-stream-id %u from %s", s0, (unsigned)n[0], s1[0] ? s1 : h2_by((int)n[1]));
        break;
    case WHY_P_EV_H2_STALL:
        why_fmt(out, size, "DATA on stream %u empties the %s's window", (unsigned)n[0], n[1] ? "origin" : "gateway");
        break;
    case WHY_P_EV_H2_FAULT:
        why_fmt(out, size, "%s from %s", n[0] == 1 ? "SETTINGS never acknowledged" : "malformed HTTP/2 frame",
                 s1[0] ? s1 : "the gateway");
        break;
    case WHY_P_EV_GRPC_END: why_fmt(out, size, "origin ends the call with grpc-status %d", (int)n[0]); break;
    case WHY_P_EV_CLIENT_CONN_ALPN: {
        char open[32];
        fmt_wait(open, sizeof open, n[0]);
        why_fmt(out, size, "client connection from %s (TLS, SNI %s, ALPN %s%s), open %s", s0, sni(s1),
                 (n[1] & 1) ? "offered " : "", (n[1] & 2) ? "h2" : "http/1.1", open);
        break;
    }
    default: out[0] = 0; break;
    }
}

/* Expands {name} placeholders of a catalogue fix. */
static void expand(char *out, size_t size, const char *tmpl, const struct why_fix_args *f)
{
    char wait[32], state[160], checks[160];
    fmt_wait(wait, sizeof wait, f->wait_us);
    checks_text(f, checks, sizeof checks);
    switch (f->upstream_state) {
    case 1: why_fmt(state, sizeof state, "nothing upstream was pending."); break;
    case 2: why_fmt(state, sizeof state, "the origin %s had not answered the gateway's request: look at why it is slow.", f->addr); break;
    case 3: why_fmt(state, sizeof state, "the gateway had not sent the request upstream yet."); break;
    default: state[0] = 0; break;
    }
    const struct { const char *name, *value; } vars[] = {
        {"host", f->host}, {"claim", f->claim[0] || !f->claim_none ? f->claim : "no reason given"},
        {"addr", f->addr}, {"port", f->port}, {"dns", f->dns}, {"icmp_from", f->icmp_from},
        {"who", f->who[0] ? f->who : "the gateway"},
        {"wait", wait}, {"got", f->got}, {"status", f->status}, {"alert", f->alert},
        {"upstream_state", state}, {"cert", f->cert}, {"checks", checks}, {"h2_code", h2_fault(f)},
        {"h2_who", f->h2_by ? h2_by(f->h2_by) : ""}, {"stall_who", f->stall_gateway ? "The gateway" : f->stall_who}, {"grpc", f->grpc},
        {"capture", f->claim_blind == 1   ? "Capture both directions of the gateway's upstream side, with nothing dropped "
                                            "(on the gateway, `tcpdump -i any -B 16384`)"
                    : f->claim_blind >= 2 ? "Look this request up in the gateway's log for its upstream error: the packets "
                                            "do not tell which attempt was its"
                                          : "Capture on the gateway with `tcpdump -i any` to see the upstream side"},
    };
    size_t o = 0;
    for (const char *p = tmpl; *p && o + 1 < size;) {
        const char *end = *p == '{' ? strchr(p, '}') : NULL;
        const char *v = NULL;
        for (size_t i = 0; end && i < sizeof vars / sizeof vars[0] && !v; i++)
            if (strlen(vars[i].name) == (size_t)(end - p - 1) && !strncmp(p + 1, vars[i].name, (size_t)(end - p - 1)))
                v = vars[i].value;
        if (!v) {
            out[o++] = *p++;
            continue;
        }
        if (!v[0])
            v = "?";
        size_t vl = strlen(v);
        if (vl > size - 1 - o)
            vl = size - 1 - o;
        memcpy(out + o, v, vl);
        o += vl;
        p = end + 1;
    }
    out[o] = 0;
}

void why_render(struct why_diagnosis *d)
{
    struct why_incident *inc = &d->inc;
    summary(inc, &d->summary, &d->fix, inc->summary, sizeof inc->summary);
    for (uint32_t i = 0; i < inc->nevidence; i++)
        evidence(&d->evidence[i], inc->evidence[i].what, sizeof inc->evidence[i].what);
    const struct why_cause *cat = why_cause_get(inc->cause);
    if (cat)
        expand(inc->fix, sizeof inc->fix, cat->fix, &d->fix);
}

void why_render_alternative(struct why_alternative *a)
{
    char with[48] = "another request";
    if (a->with_request_frame)
        why_fmt(with, sizeof with, "request frame %" PRIu64, a->with_request_frame);
    switch (a->basis) {
    case WHY_ALT_SWAPPED_PAIRING:
        why_fmt(a->why, sizeof a->why, "%s failed at the same time, and nothing in the packets says which "
                 "attempt was whose", with);
        break;
    case WHY_ALT_TAKEN_TRY:
        why_fmt(a->why, sizeof a->why, "an attempt begun after the request failed at once before the answer; "
                 "%s %s, and either may have made it", with,
                 a->with_request_frame ? "had it as a try before its own connection" : "went on from it");
        break;
    case WHY_ALT_ATTEMPT_NEAR:
        why_fmt(a->why, sizeof a->why, "the gateway's attempt near the request: its own, taken by %s, or a "
                 "refusal that held its backend down", with);
        break;
    case WHY_ALT_NO_ATTEMPT_NEAR:
        why_fmt(a->why, sizeof a->why, "if that attempt was another request's and held nothing down");
        break;
    case WHY_ALT_CHECK_SCHEDULE:
        why_fmt(a->why, sizeof a->why, "the request's one attempt fits the gateway's own checks of that server, "
                 "on their schedule: if it was a check, the gateway answered without trying a server");
        break;
    case WHY_ALT_NAME_UNRESOLVED:
        why_fmt(a->why, sizeof a->why, "if the request's server is named as its host, whose lookups gave no "
                 "address: the gateway had nowhere to connect, and the attempt was another request's");
        break;
    case WHY_ALT_BUSY_PATH:
        why_fmt(a->why, sizeof a->why, "the request's one attempt went to a server that other requests' tries "
                 "reach many times a second: if it was another's, the gateway answered without trying a server");
        break;
    case WHY_ALT_OTHER_NAME_UNRESOLVED:
        why_fmt(a->why, sizeof a->why, "the gateway's own lookups of another name were failing then, and its "
                 "answer does not say which server the request was for: if that name is its server's, the "
                 "gateway had nowhere to connect");
        break;
    case WHY_ALT_CHECKS_FAILING:
        why_fmt(a->why, sizeof a->why, "the gateway's own health checks were failing then, and its answer "
                 "does not say which server the request was for: if the failing server is its, the gateway "
                 "had marked it down");
        break;
    }
}
