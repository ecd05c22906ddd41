/* Diagnosis: ordered rules over one join, first cause wins, phase by phase as a request
 * travels (DNS, connect, TLS, request/response), then the gateway, the client and the capture.
 * Each cause is an entry of the catalogue (causes.c: RFC 9209 Proxy-Status error type + our
 * detail); evidence is data (evidence.c); the words are lib/render's. */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose/evidence.h"
#include "diagnose/partial.h"
#include "proto/http2.h"
#include "proto/tls.h"
#include "util/ascii.h"
#include "util/fmt.h"
#include "util/url.h"

static double secs(int64_t us) { return (double)us / 1e6; }


/* Renders wire bytes as a readable one-line sample, like a hex dump's text column: printable
 * ASCII kept, CR/LF shown as \r \n, anything else '.'. Not an escaper: the raw bytes travel
 * in why_incident.first_bytes and the writers escape what they print (report/escape.c). */
static void bytes_text(char *out, size_t size, const uint8_t *b, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 3 < size; i++) {
        if (b[i] == '\r' || b[i] == '\n') {
            out[o++] = '\\';
            out[o++] = b[i] == '\r' ? 'r' : 'n';
        } else {
            out[o++] = b[i] >= 0x20 && b[i] < 0x7f ? (char)b[i] : '.';
        }
    }
    out[o] = 0;
}

/* ---- the rules ---- */

static enum why_cause_id icmp_cause(uint8_t ver, uint8_t type, uint8_t code)
{
    if (ver == 4 && type == 3) {
        switch (code) {
        case 0: case 6: case 11: return WHY_CAUSE_NET_UNREACHABLE;
        case 1: case 7: case 12: return WHY_CAUSE_HOST_UNREACHABLE;
        case 2: case 3: return WHY_CAUSE_PORT_UNREACHABLE;
        case 9: case 10: case 13: return WHY_CAUSE_ADMIN_PROHIBITED;
        default: return WHY_CAUSE_HOST_UNREACHABLE;
        }
    }
    if (ver == 4 && type == 11)
        return WHY_CAUSE_TTL_EXCEEDED;
    if (ver == 6 && type == 1) {
        switch (code) {
        case 0: return WHY_CAUSE_NET_UNREACHABLE;
        case 1: case 5: case 6: return WHY_CAUSE_ADMIN_PROHIBITED;
        case 4: return WHY_CAUSE_PORT_UNREACHABLE;
        default: return WHY_CAUSE_HOST_UNREACHABLE;
        }
    }
    if (ver == 6 && type == 3)
        return WHY_CAUSE_TTL_EXCEEDED;
    return WHY_CAUSE_HOST_UNREACHABLE;
}

/* What the client leg shows: who ended it, when. */
struct client_end {
    bool client_gave_up;          /* client FIN/RST before any response */
    bool gateway_closed;          /* gateway FIN/RST before any response */
    bool client_reset_in_body;    /* client ended the connection during the response */
    struct why_ts ts;
    uint64_t frame;
};

#define WHY_HALF_CLOSE_US 10000 /* a FIN this soon after the request's last byte was written
                                   with it (shutdown for writing): no client or gateway gives
                                   up that fast */

/* A FIN written with the request (shutdown for writing: the sender still reads) rather than
 * a close after waiting: sent within WHY_HALF_CLOSE_US of the request's last byte, before
 * any data of the other side. */
static bool half_close(const struct why_tcp_half *h, const struct why_tcp_half *other, struct why_ts req_ts)
{
    return h->end->fin_frame && !h->end->rst_frame && why_ts_diff_us(req_ts, h->end->fin_ts) < WHY_HALF_CLOSE_US &&
           (!other->first_data_frame || other->first_data_frame > h->end->fin_frame);
}

/* t's client had closed its side (FIN or RST) by `at`. */
static bool client_closed_by(const struct why_txn *t, struct why_ts at)
{
    const struct why_tcp_half *cl = &why_rec_conn(t->rc)->half[WHY_C2S];
    return (cl->end->fin_frame && why_ts_cmp(cl->end->fin_ts, at) <= 0) ||
           (cl->end->rst_frame && why_ts_cmp(cl->end->rst_ts, at) <= 0);
}

static struct client_end client_leg_end(const struct why_join *x)
{
    struct client_end e = {0};
    const struct why_txn *t = x->client;
    const struct why_conn *c = why_rec_conn(t->rc);
    const struct why_tcp_half *cl = &c->half[WHY_C2S], *gw = &c->half[WHY_S2C];
    struct why_ts ct = {0}, gt = {0};
    uint64_t cf = cl->end->rst_frame ? cl->end->rst_frame : cl->end->fin_frame;
    uint64_t gf = gw->end->rst_frame ? gw->end->rst_frame : gw->end->fin_frame;
    if (cf)
        ct = cl->end->rst_frame ? cl->end->rst_ts : cl->end->fin_ts;
    if (gf)
        gt = gw->end->rst_frame ? gw->end->rst_ts : gw->end->fin_ts;
    if (t->h2_stream && t->h2_end == WHY_H2_END_RST) {
        /* HTTP/2: the stream's RST_STREAM ends this request, not the connection */
        e.ts = t->h2->end_ts;
        e.frame = t->h2->end_frame;
        if (t->h2->by == WHY_C2S && !t->has_resp)
            e.client_gave_up = true;
        else if (t->h2->by == WHY_C2S)
            e.client_reset_in_body = true;
        else if (!t->has_resp)
            e.gateway_closed = true;
        return e;
    }
    if (!t->has_resp) {
        /* a FIN from the client alone is not giving up (HTTP/1.0 half-close); a RST is, and a
         * FIN is when the gateway then answers nothing, unless it was written with the
         * request (a half-close: the client still reads) */
        if (half_close(cl, gw, t->req_ts)) {
            cf = cl->end->rst_frame;
            ct = cl->end->rst_ts;
        } else if (cl->end->fin_frame && cl->end->rst_frame && cl->end->fin_frame < cl->end->rst_frame) {
            cf = cl->end->fin_frame; /* the first close is the giving up: a RST may only answer */
            ct = cl->end->fin_ts;    /* an answer the capture missed */
        }
        if (cf && (!gf || why_ts_cmp(ct, gt) <= 0) && why_ts_cmp(ct, t->req_ts) >= 0) {
            e.client_gave_up = true;
            e.ts = ct;
            e.frame = cf;
        } else if (gf) {
            e.gateway_closed = true;
            e.ts = gt;
            e.frame = gf;
        }
    } else if (!t->resp_done && cf && (!gf || why_ts_cmp(ct, gt) < 0)) {
        e.client_reset_in_body = true;
        e.ts = ct;
        e.frame = cf;
    }
    return e;
}

static bool dns_cause(struct why_incident *inc, const struct why_join *x, struct why_dg_ctx *f)
{
    uint32_t answered = 0, with_addr = 0, icmp = 0, tries = 0;
    const struct why_dns_rec *err = NULL, *nodata = NULL;
    struct why_ts first = {0}, last = {0};
    for (uint32_t i = 0; i < x->ndns; i++) {
        const struct why_dns_rec *d = x->dns[i];
        tries += d->tries;
        if (i == 0 || why_ts_cmp(d->q_ts, first) < 0)
            first = d->q_ts;
        struct why_ts end = d->answered ? d->a_ts : d->last_q_ts;
        if (why_ts_cmp(end, last) > 0)
            last = end;
        if (d->answered) {
            answered++;
            if (d->naddrs)
                with_addr++;
            else if (d->rcode != 0 && !err)
                err = d;
            else if (d->rcode == 0 && !nodata)
                nodata = d;
        } else if (d->icmp)
            icmp++;
    }
    if (x->ndns == 0 || with_addr > 0)
        return false;
    why_addr_str(&x->dns[0]->srv, f->a->dns, sizeof f->a->dns);
    inc->dns_queries = x->ndns;
    inc->dns_us = why_ts_wait_us(first, last);
    for (uint32_t i = 0; i < x->ndns; i++) {
        const struct why_dns_rec *d = x->dns[i];
        why_dg_ev_dns(inc, WHY_EVK_DNS_QUERY, f->gw, d, WHY_C2S, d->q_frame, d->q_ts, WHY_P_EV_DNS_QUERY, f->a->dns,
            d->qtype, 0);
        if (d->last_q_frame != d->q_frame)
            why_dg_ev_dns(inc, WHY_EVK_DNS_QUERY, f->gw, d, WHY_C2S, d->last_q_frame, d->last_q_ts, WHY_P_EV_DNS_RETRY,
                NULL, d->qtype, d->tries);
        if (d->answered)
            why_dg_ev_dns(inc, WHY_EVK_DNS_ANSWER, f->gw, d, WHY_S2C, d->a_frame, d->a_ts, WHY_P_EV_DNS_ANSWER, NULL,
                d->qtype, d->rcode);
        if (d->icmp)
            why_dg_ev_dns(inc, WHY_EVK_ICMP, f->gw, d, WHY_S2C, d->icmp_frame, d->last_q_ts, WHY_P_EV_DNS_ICMP, NULL, 0, 0);
    }
    if (err) {
        const char *name = why_dns_rcode_name(err->rcode);
        if (err->rcode == WHY_DNS_NXDOMAIN)
            why_dg_cause(inc, WHY_CAUSE_NXDOMAIN);
        else if (err->rcode == WHY_DNS_SERVFAIL)
            why_dg_cause(inc, WHY_CAUSE_SERVFAIL);
        else if (err->rcode == WHY_DNS_REFUSED)
            why_dg_cause(inc, WHY_CAUSE_REFUSED);
        else
            why_dg_cause(inc, WHY_CAUSE_DNS_RCODE);
        why_dg_param(inc, "rcode=%s queries=%u", name, x->ndns);
        why_dg_say(inc, WHY_P_DNS_RCODE, f->a->dns, err->qname, NULL, err->rcode, x->ndns, inc->dns_us, 0);
        inc->wait_us = inc->dns_us;
    } else if (nodata) {
        why_dg_cause(inc, WHY_CAUSE_NODATA);
        why_dg_param(inc, "queries=%u", x->ndns);
        why_dg_say(inc, WHY_P_DNS_NODATA, f->a->dns, nodata->qname, NULL, 0, x->ndns, inc->dns_us, 0);
        inc->wait_us = inc->dns_us;
    } else if (answered == 0 && !icmp && !x->end_frame && x->client) {
        return false; /* the capture ended while the gateway still waited: nothing to blame */
    } else if (answered == 0) {
        why_dg_cause(inc, icmp ? WHY_CAUSE_DNS_UNREACHABLE : WHY_CAUSE_NO_ANSWER);
        /* the wait is until the gateway gave up on the name: its answer to the client (or the
         * client's leaving), not the last retransmission */
        int64_t waited = inc->dns_us;
        if (x->end_frame && why_ts_cmp(x->end_ts, first) > 0)
            waited = why_ts_wait_us(first, x->end_ts);
        why_dg_param(inc, "queries=%u sends=%u wait=%.3fs", x->ndns, tries, secs(waited));
        why_dg_say(inc, WHY_P_DNS_NO_ANSWER, f->a->dns, x->dns[0]->qname, NULL, x->ndns, tries, waited, 0);
        inc->wait_us = waited;
        inc->dns_us = waited;
    } else {
        return false;
    }
    return true;
}

static struct why_ts attempt_last_syn(const struct why_conn *c)
{
    uint32_t n = c->syn_count < WHY_SYN_TRIES_MAX ? c->syn_count : WHY_SYN_TRIES_MAX;
    return n ? why_conn_syn_ts(c, n - 1) : c->first_ts;
}

#define WHY_ANSWERED_AFTER_US 2000 /* a gateway's 5xx this soon after its attempt failed is
                                       its answer to that failure (Varnish, Apache, nginx at
                                       once: 0.1-0.9 ms in the lab; later than this, a
                                       refusal in between may be a check's or another
                                       request's, 30 ms before HAProxy's answer seen) */

#define WHY_TRIED_ON_US 500000 /* a 5xx this long after the last refusal found: the gateway tried
                                   again or waited after it (HAProxy waits 1 s before each retry
                                   and answers at once after its last try is refused) */

static bool connect_cause(struct why_incident *inc, const struct why_join *x, struct why_dg_ctx *f)
{
    if (x->nattempts == 0)
        return false;
    for (uint32_t i = 0; i < x->nattempts; i++)
        if (why_rec_conn(x->attempts[i])->established || why_rec_conn(x->attempts[i])->syn_count == 0)
            return false; /* connected, or no handshake in the capture to judge */
    /* the attempt the gateway answered: the last one, refused or unreachable right before the
     * answer (a gateway answers its 5xx as soon as its last attempt fails; an earlier failure
     * in the chain may be another parallel request's); else the most telling attempt: ICMP,
     * then RST, then silence */
    const struct why_conn_rec *pick = x->attempts[x->nattempts - 1];
    const struct why_conn *lc = why_rec_conn(pick);
    const struct why_txn *t = x->client;
    struct why_ts lend = lc->more->icmp_frame ? lc->more->icmp_ts : lc->half[WHY_S2C].end->rst_ts;
    bool answered_last = t && t->has_resp && x->nattempts > 1 &&
                         (lc->more->icmp_frame || lc->half[WHY_S2C].end->rst_frame) &&
                         why_ts_diff_us(lend, t->resp_first_ts) >= -WHY_CAUSAL_US &&
                         why_ts_diff_us(lend, t->resp_first_ts) <= WHY_ANSWERED_AFTER_US;
    for (uint32_t i = 0; i < x->nattempts && !answered_last; i++) {
        const struct why_conn *c = why_rec_conn(x->attempts[i]);
        if (c->more->icmp_frame) {
            pick = x->attempts[i];
            break;
        }
        if (c->half[WHY_S2C].end->rst_frame)
            pick = x->attempts[i];
    }
    const struct why_conn *c = why_rec_conn(pick);
    uint32_t tries = 0;
    for (uint32_t i = 0; i < x->nattempts; i++) {
        tries += why_rec_conn(x->attempts[i])->syn_count;
        why_dg_conn_evidence(inc, x->attempts[i]);
    }
    inc->syn_tries = tries;
    const struct why_conn *c0 = why_rec_conn(x->attempts[0]);
    inc->nschedule = 0;
    for (uint32_t i = 0; i < x->nattempts && inc->nschedule < WHY_SCHEDULE_MAX; i++) {
        const struct why_conn *ci = why_rec_conn(x->attempts[i]);
        uint32_t n = ci->syn_count < WHY_SYN_TRIES_MAX ? ci->syn_count : WHY_SYN_TRIES_MAX;
        for (uint32_t k = 0; k < n && inc->nschedule < WHY_SCHEDULE_MAX; k++)
            inc->schedule_us[inc->nschedule++] = why_ts_wait_us(c0->syn_ts0, why_conn_syn_ts(ci, k));
    }
    char dst[64];
    why_endpoint_str(&c->srv_addr, c->srv_port, dst, sizeof dst);
    if (c->more->icmp_frame) {
        why_dg_cause(inc, icmp_cause(c->more->icmp_ipver, c->more->icmp_type, c->more->icmp_code));
        why_addr_str(&c->more->icmp_from, f->a->icmp_from, sizeof f->a->icmp_from);
        why_dg_param(inc, "icmp_type=%u icmp_code=%u from=%s tries=%u", c->more->icmp_type, c->more->icmp_code,
           f->a->icmp_from, tries);
        inc->connect_us = why_ts_wait_us(c0->syn_ts0, c->more->icmp_ts);
        why_dg_say(inc, WHY_P_SYN_ICMP, f->who, dst, f->a->icmp_from, c->more->icmp_ipver, c->more->icmp_type, c->more->icmp_code, tries);
    } else if (c->half[WHY_S2C].end->rst_frame) {
        why_dg_cause(inc, WHY_CAUSE_RST);
        /* answered long after the last refusal found (the last attempt: the latest SYN), or
         * the first found long after the request with no lookup between: the gateway went on
         * or began with tries the join did not find (on a path many requests' tries share,
         * not told apart: HAProxy's retries 1 s apart), or waited on a timer */
        int64_t after = t && t->has_resp && lc->half[WHY_S2C].end->rst_frame
                            ? why_ts_diff_us(lc->half[WHY_S2C].end->rst_ts, t->resp_first_ts)
                            : 0;
        int64_t before = t && !x->ndns ? why_ts_diff_us(t->req_ts, c0->syn_ts0) : 0;
        after = after >= WHY_TRIED_ON_US ? after : 0;
        before = before >= WHY_TRIED_ON_US ? before : 0;
        if (after || before)
            why_dg_param(inc, "tries=%u first_after_request_ms=%lld answered_after_last_ms=%lld", tries,
                         (long long)(before / 1000), (long long)(after / 1000));
        else
            why_dg_param(inc, "tries=%u", tries);
        inc->connect_us = why_ts_wait_us(c0->syn_ts0, c->half[WHY_S2C].end->rst_ts);
        why_dg_say(inc, WHY_P_SYN_RST, dst, f->who, NULL, tries, after, before, 0);
    } else {
        /* the server answered other connections' SYNs while these went unanswered: it was up
         * and listening, and did not take these (accept queue full, or a rule on it) */
        const struct why_conn_rec *most = NULL; /* the attempt that saw the most */
        uint32_t others = 0;
        for (uint32_t i = 0; i < x->nattempts; i++) {
            uint32_t o = why_rec_conn(x->attempts[i])->more->syn_others_answered;
            if (o > others) {
                others = o;
                most = x->attempts[i];
            }
        }
        why_dg_cause(inc, others ? WHY_CAUSE_NOT_ACCEPTING : WHY_CAUSE_SYN_UNANSWERED);
        if (most)
            why_dg_ev_other_synack(inc, most);
        /* the give-up is the gateway's answer to the client; without a client, the last SYN */
        struct why_ts give_up = x->end_frame ? x->end_ts : attempt_last_syn(why_rec_conn(x->attempts[x->nattempts - 1]));
        inc->connect_us = why_ts_wait_us(c0->syn_ts0, give_up);
        inc->wait_us = inc->connect_us;
        char sched[120] = "";
        size_t o = 0;
        for (uint32_t i = 0; i < inc->nschedule && o + 12 < sizeof sched; i++)
            o += (size_t)why_fmt(sched + o, sizeof sched - o, "%s%.1f", i ? "," : "",
                                  secs(inc->schedule_us[i]));
        if (others)
            why_dg_param(inc, "tries=%u schedule=%ss gave_up_after=%.1fs others_answered=%u", tries, sched,
                         secs(inc->connect_us), others);
        else
            why_dg_param(inc, "tries=%u schedule=%ss gave_up_after=%.1fs", tries, sched, secs(inc->connect_us));
        why_dg_say(inc, WHY_P_SYN_UNANSWERED, f->who, dst, NULL, tries, inc->connect_us, others, 0);
    }
    return true;
}

/* The upstream request was sent: what came back. */
/* ---- the capture's vantage point and partial answers (see also diagnose/partial.h) ---- */

#define STALL_US (2LL * 1000000) /* a silence in a body this long before the client's reset
                                    is the sender's stall, not the client's impatience */

/* No gateway in the capture: the server was silent until the client closed. Said as the
 * packets show it, with no gateway's timeout in it. */
static bool direct_silence_cause(struct why_incident *inc, const struct why_txn *u,
                                 struct why_ts closed, uint64_t frame, struct why_dg_ctx *f)
{
    why_dg_cause(inc, WHY_CAUSE_SERVER_NO_ANSWER);
    inc->wait_us = why_ts_wait_us(u->req_ts, closed);
    f->a->wait_us = inc->wait_us;
    why_dg_ev_conn(inc, WHY_EVK_GIVE_UP, u->rc, WHY_C2S, frame, closed, WHY_P_EV_CLIENT_CLOSES,
                   NULL, NULL, 0, 0);
    why_dg_param(inc, "wait=%.3fs", secs(inc->wait_us));
    why_dg_say(inc, WHY_P_SERVER_NO_ANSWER, f->a->addr, f->a->port, u->method, inc->wait_us, 0, 0, 0);
    return true;
}

/* The response stopped in its body and the sender stayed silent STALL_US or more before the
 * client reset: the stall is the sender's (or the path's), the reset its consequence. */
static bool stall_cause(struct why_incident *inc, const struct why_txn *t,
                        const struct client_end *ce, struct why_dg_ctx *f)
{
    const struct why_tcp_half *s = &why_rec_conn(t->rc)->half[WHY_S2C];
    if (!ce->client_reset_in_body || !s->last_data_frame)
        return false;
    int64_t silent = why_ts_wait_us(s->last_data_ts, ce->ts);
    if (silent < STALL_US)
        return false;
    why_dg_cause(inc, WHY_CAUSE_STALL_IN_BODY);
    inc->wait_us = silent;
    f->a->wait_us = silent;
    /* the body so far: the stream's bytes after the segment that carried the head */
    uint64_t at = s->bytes;
    uint64_t got = t->body_bytes ? t->body_bytes : at > t->resp_stream_at ? at - t->resp_stream_at : 0;
    why_fmt(f->a->got, sizeof f->a->got, "%" PRIu64, got);
    why_dg_ev_conn(inc, WHY_EVK_DATA, t->rc, WHY_S2C, s->last_data_frame, s->last_data_ts,
                   WHY_P_EV_LAST_BYTES, NULL, NULL, 0, 0);
    why_dg_ev_conn(inc, WHY_EVK_GIVE_UP, t->rc, WHY_C2S, ce->frame, ce->ts,
                   WHY_P_EV_CLIENT_ENDS_AFTER, NULL, NULL, silent, 0);
    if (t->expected_len >= 0)
        why_dg_param(inc, "silent=%.3fs status=%d body=%s of %" PRId64, secs(silent), t->status,
                     f->a->got, t->expected_len);
    else
        why_dg_param(inc, "silent=%.3fs status=%d body=%s of unknown", secs(silent), t->status,
                     f->a->got);
    why_dg_say(inc, WHY_P_STALL_IN_BODY, f->a->addr, NULL, NULL, t->status, (int64_t)got, silent,
               inc->via_gateway);
    return true;
}

/* Keep-alive reuse (a gateway habit): the request went on a connection that had carried an
 * earlier request and sat idle; the origin closed it (FIN or RST) before any answer. */
static bool reuse_cause(struct why_incident *inc, const struct why_txn *u, bool rst,
                        struct why_ts closed, uint64_t closed_frame, const char *dst, struct why_dg_ctx *f)
{
    /* the origin had answered on this connection before the request, and nothing since:
     * its last byte then is when the connection fell idle (earlier answers' records may be
     * gone; the connection's own counters stay) */
    const struct why_tcp_half *srv = &why_rec_conn(u->rc)->half[WHY_S2C];
    if (!srv->first_data_frame || srv->last_data_frame >= u->req_first_frame)
        return false;
    int64_t idle = why_ts_wait_us(srv->last_data_ts, u->req_first_ts);
    int64_t after = why_ts_diff_us(u->req_first_ts, closed); /* may be < 0: closed before it left */
    why_dg_cause(inc, WHY_CAUSE_CLOSED_ON_REUSE);
    inc->wait_us = after;
    why_dg_ev_conn(inc, WHY_EVK_DATA, u->rc, WHY_S2C, srv->last_data_frame, srv->last_data_ts,
                   WHY_P_EV_LAST_ANSWER, NULL, NULL, 0, 0);
    why_dg_ev_conn(inc, rst ? WHY_EVK_RST : WHY_EVK_FIN, u->rc, WHY_S2C, closed_frame, closed,
                   WHY_P_EV_CLOSE_EARLY, dst, NULL, rst, 0);
    f->a->wait_us = idle;
    why_dg_param(inc, "reused=yes idle=%.3fs by=%s %s=%.3fs", secs(idle), rst ? "RST" : "FIN",
                 after < 0 ? "before_request" : "after_request", secs(after < 0 ? -after : after));
    why_dg_say(inc, WHY_P_CLOSED_ON_REUSE, dst, NULL, NULL, idle, rst, after < 0 ? -after : after, after < 0);
    return true;
}

/* gRPC statuses that are failures of the service, like a 5xx (UNKNOWN, DEADLINE_EXCEEDED,
 * INTERNAL, UNAVAILABLE, DATA_LOSS); the others are answers (NOT_FOUND is a 404). */
static bool grpc_failed(int s) { return s == 2 || s == 4 || s == 13 || s == 14 || s == 15; }

/* A stream that ended other than complete: reset, dropped by GOAWAY, or its connection
 * closed (RST, or FIN both ways) with it open. A stream still open when the capture ended, or
 * lost to a gap, is not cut: nothing says it failed; nor is one whose answer was whole before
 * it ended (the server's END_STREAM, then a RST_STREAM NO_ERROR that stops the upload, RFC
 * 9113 8.1, or the client's reset of a stream it had its answer on). */
static bool h2_cut(const struct why_txn *t)
{
    if (!t->h2_stream || !t->h2_end || t->h2_end == WHY_H2_END_COMPLETE || t->h2_end == WHY_H2_END_LOST ||
        t->resp_done)
        return false;
    return t->h2_end != WHY_H2_END_CLOSED || why_rec_conn(t->rc)->closed;
}

static bool h2_protocol_code(uint32_t code)
{
    return code == WHY_H2_PROTOCOL_ERROR || code == WHY_H2_COMPRESSION_ERROR ||
           code == WHY_H2_FRAME_SIZE_ERROR || code == WHY_H2_FLOW_CONTROL_ERROR ||
           code == WHY_H2_SETTINGS_TIMEOUT;
}

/* "REFUSED_STREAM", or "0x1f" for a code RFC 9113 does not name, into buf. */
static void h2_code_name(uint32_t code, char *buf, size_t size)
{
    char tmp[16];
    why_str_copy(buf, size, why_h2_error_name(code, tmp, sizeof tmp));
}

/* HTTP/2 on the upstream leg (or the only leg): what ended the stream. */
static bool h2_cause(struct why_incident *inc, const struct why_join *x, struct why_dg_ctx *f)
{
    const struct why_txn *u = x->up;
    if (!u || !u->h2_stream || (u->resp_done && !u->h2->stall_open))
        return false;
    const struct why_conn_rec *rc = u->rc;
    const struct why_conn *c = why_rec_conn(rc);
    char dst[64], code[32];
    why_endpoint_str(&c->srv_addr, c->srv_port, dst, sizeof dst);
    bool from_origin = u->h2->by == WHY_S2C;
    struct why_fix_args *a = f->a;
    a->h2_by = from_origin ? WHY_H2_BY_ORIGIN : WHY_H2_BY_GATEWAY;
    why_dg_ev_conn(inc, WHY_EVK_UPSTREAM_REQUEST, rc, WHY_C2S, u->req_frame, u->req_ts, WHY_P_EV_H2_HEADERS,
        u->method, dst, u->h2_stream, 0);
    if (u->has_resp)
        why_dg_ev_conn(inc, WHY_EVK_UPSTREAM_RESPONSE, rc, WHY_S2C, u->resp_frame, u->resp_ts, WHY_P_EV_H2_HEADERS,
            NULL, dst, u->h2_stream, u->status);
    /* a window at 0 that was never reopened: the stall, whoever reset the stream after it */
    if (u->h2->stall_open && u->h2->stall_us > 0) {
        bool origin_blocked = u->h2->stall_dir == WHY_S2C;
        why_dg_cause(inc, WHY_CAUSE_H2_FLOW_STALL);
        inc->wait_us = u->h2->stall_us;
        a->wait_us = inc->wait_us;
        a->stall_gateway = origin_blocked;
        why_str_copy(a->stall_who, sizeof a->stall_who, dst);
        why_dg_ev_conn(inc, WHY_EVK_H2_STALL, rc, origin_blocked ? WHY_S2C : WHY_C2S, u->h2->stall_frame,
            u->h2->stall_ts, WHY_P_EV_H2_STALL, NULL, NULL, u->h2_stream, origin_blocked);
        why_dg_param(inc, "stream=%u blocked=%s stalled=%.3fs", u->h2_stream, origin_blocked ? "origin" : "gateway",
            secs(u->h2->stall_us));
        why_dg_say(inc, WHY_P_H2_STALL, dst, NULL, NULL, u->h2_stream, u->h2->stall_us, origin_blocked, 0);
        return true;
    }
    h2_code_name(u->h2->code, code, sizeof code);
    why_str_copy(a->h2_code, sizeof a->h2_code, code);
    if (u->h2_end == WHY_H2_END_GOAWAY) {
        why_dg_cause(inc, h2_protocol_code(u->h2->code) ? WHY_CAUSE_H2_PROTOCOL_ERROR : WHY_CAUSE_H2_GOAWAY_UNPROCESSED);
        why_dg_ev_conn(inc, WHY_EVK_H2_GOAWAY, rc, (enum why_dir)rc->more->h2.goaway_dir, rc->more->h2.goaway_frame,
            rc->more->h2.goaway_ts, WHY_P_EV_H2_GOAWAY, code, dst, rc->more->h2.goaway_last_id, 0);
        why_dg_param(inc, "stream=%u last_stream_id=%u code=%s", u->h2_stream, rc->more->h2.goaway_last_id, code);
        why_dg_say(inc, WHY_P_H2_GOAWAY, dst, code, NULL, rc->more->h2.goaway_last_id, u->h2_stream, 0, 0);
        return true;
    }
    if (u->h2_end == WHY_H2_END_RST) {
        why_dg_ev_conn(inc, WHY_EVK_H2_RST_STREAM, rc, (enum why_dir)u->h2->by, u->h2->end_frame, u->h2->end_ts,
            WHY_P_EV_H2_RST, code, from_origin ? dst : "", u->h2_stream, 0);
        inc->wait_us = why_ts_wait_us(u->req_ts, u->h2->end_ts);
        a->wait_us = inc->wait_us;
        why_dg_param(inc, "stream=%u code=%s by=%s after=%.3fs", u->h2_stream, code, from_origin ? "origin" : "gateway",
            secs(inc->wait_us));
        if (h2_protocol_code(u->h2->code)) {
            why_dg_cause(inc, WHY_CAUSE_H2_PROTOCOL_ERROR);
            why_dg_say(inc, WHY_P_H2_RESET, dst, code, NULL, u->h2_stream, inc->wait_us, u->has_resp, !from_origin);
        } else if (from_origin) {
            why_dg_cause(inc, u->has_resp ? WHY_CAUSE_H2_STREAM_RESET_IN_BODY : WHY_CAUSE_H2_STREAM_RESET);
            why_dg_say(inc, WHY_P_H2_RESET, dst, code, NULL, u->h2_stream, inc->wait_us, u->has_resp, 0);
        } else if (!u->has_resp) {
            why_dg_cause(inc, WHY_CAUSE_H2_STREAM_UNANSWERED);
            why_dg_say(inc, WHY_P_H2_UNANSWERED, dst, code, NULL, u->h2_stream, inc->wait_us, 0, 0);
        } else {
            return false;
        }
        return true;
    }
    /* the connection ended with the stream open: a protocol fault or unacknowledged SETTINGS */
    bool proto = rc->more->h2.error_frame || rc->more->h2.settings_unacked_frame ||
                 (rc->more->h2.goaway_frame && h2_protocol_code(rc->more->h2.goaway_code));
    if (u->h2_end != WHY_H2_END_CLOSED || !proto)
        return false;
    why_dg_cause(inc, WHY_CAUSE_H2_PROTOCOL_ERROR);
    if (rc->more->h2.goaway_frame) {
        h2_code_name(rc->more->h2.goaway_code, a->h2_code, sizeof a->h2_code);
        a->h2_by = rc->more->h2.goaway_dir == WHY_S2C ? WHY_H2_BY_ORIGIN : WHY_H2_BY_GATEWAY;
        why_dg_ev_conn(inc, WHY_EVK_H2_GOAWAY, rc, (enum why_dir)rc->more->h2.goaway_dir, rc->more->h2.goaway_frame,
            rc->more->h2.goaway_ts, WHY_P_EV_H2_GOAWAY, a->h2_code, "", rc->more->h2.goaway_last_id, a->h2_by);
    } else if (rc->more->h2.settings_unacked_frame) {
        a->h2_fault = 1;
        a->h2_by = rc->more->h2.settings_unacked_dir == WHY_S2C ? WHY_H2_BY_GATEWAY : WHY_H2_BY_ORIGIN;
        why_dg_ev_conn(inc, WHY_EVK_DATA, rc, (enum why_dir)rc->more->h2.settings_unacked_dir, rc->more->h2.settings_unacked_frame,
            u->req_ts, WHY_P_EV_H2_FAULT, NULL, rc->more->h2.settings_unacked_dir == WHY_S2C ? dst : "", 1, 0);
    } else {
        a->h2_fault = 2;
        a->h2_by = rc->more->h2.error_dir == WHY_S2C ? WHY_H2_BY_ORIGIN : WHY_H2_BY_GATEWAY;
        why_dg_ev_conn(inc, WHY_EVK_DATA, rc, (enum why_dir)rc->more->h2.error_dir, rc->more->h2.error_frame, u->req_ts,
            WHY_P_EV_H2_FAULT, NULL, rc->more->h2.error_dir == WHY_S2C ? dst : "", 2, 0);
    }
    /* parameters: the fault as a token (the words say it, render.c) */
    why_dg_param(inc, "stream=%u fault=%s by=%s", u->h2_stream,
                 a->h2_fault == 1 ? "settings_unacknowledged" : a->h2_fault == 2 ? "malformed_frame" : a->h2_code,
                 a->h2_by == WHY_H2_BY_ORIGIN ? "origin" : "gateway");
    why_dg_say(inc, WHY_P_H2_PROTOCOL, dst, NULL, NULL, u->h2_stream, 0, 0, 0);
    return true;
}

static bool response_cause(struct why_incident *inc, const struct why_join *x,
                           const struct client_end *ce, struct why_dg_ctx *f)
{
    const struct why_txn *u = x->up;
    if (!u)
        return false;
    const struct why_conn *c = why_rec_conn(u->rc);
    const struct why_tcp_half *srv = &c->half[WHY_S2C], *gw = &c->half[WHY_C2S];
    char dst[64];
    why_endpoint_str(&c->srv_addr, c->srv_port, dst, sizeof dst);
    bool direct = x->up == x->client;
    if (!direct)
        why_dg_ev_conn(inc, WHY_EVK_UPSTREAM_REQUEST, u->rc, WHY_C2S, u->req_frame, u->req_ts, WHY_P_EV_UPSTREAM_REQ,
            u->method, dst, 0, 0);
    why_dg_ev_conn(inc, u->not_http ? WHY_EVK_DATA : direct ? WHY_EVK_RESPONSE : WHY_EVK_UPSTREAM_RESPONSE, u->rc,
        WHY_S2C, u->resp_first_frame, u->resp_first_ts, WHY_P_EV_FIRST_BYTES, dst, NULL, 0, 0);
    inc->upstream_status = u->status;
    if (u->resp_first_frame)
        inc->first_byte_us = why_ts_wait_us(u->req_ts, u->resp_first_ts);

    if (u->not_http) {
        why_dg_cause(inc, WHY_CAUSE_NOT_HTTP);
        char b[200];
        bytes_text(b, sizeof b, why_resp_first(u->resp), u->resp->first_len > 32 ? 32 : u->resp->first_len);
        inc->first_len = u->resp->first_len > sizeof inc->first_bytes ? (uint32_t)sizeof inc->first_bytes : u->resp->first_len;
        memcpy(inc->first_bytes, why_resp_first(u->resp), inc->first_len);
        why_dg_param(inc, "first_bytes=\"%s\"", b);
        why_dg_say(inc, WHY_P_NOT_HTTP, dst, b, NULL, 0, 0, 0, 0);
        why_dg_ev_conn(inc, WHY_EVK_RST, u->rc, WHY_S2C, srv->end->rst_frame, srv->end->rst_ts, WHY_P_EV_RST_FROM, dst, NULL, 0, 0);
        why_dg_ev_conn(inc, WHY_EVK_FIN, u->rc, WHY_S2C, srv->end->fin_frame, srv->end->fin_ts, WHY_P_EV_FIN_FROM, dst, NULL, 0, 0);
        return true;
    }
    if (!u->has_resp) {
        /* The origin's FIN or RST is its fault only when it came first: a FIN answering the
         * gateway's own close (timeout, client gone) is not. A FIN sent with the request is
         * a half-close (the sender is done writing and still reads): it ends no wait; but not
         * the gateway's after its client closed (FIN or RST), however soon: that one follows
         * the client out. */
        bool half = half_close(gw, srv, u->req_ts) && (direct || !client_closed_by(x->client, gw->end->fin_ts));
        struct why_ts gw_close = {0};
        bool gw_closed = false;
        if (gw->end->fin_frame && !half && why_ts_cmp(gw->end->fin_ts, u->req_ts) >= 0) {
            gw_close = gw->end->fin_ts;
            gw_closed = true;
        }
        if (gw->end->rst_frame && why_ts_cmp(gw->end->rst_ts, u->req_ts) >= 0 &&
            (!gw_closed || why_ts_cmp(gw->end->rst_ts, gw_close) < 0)) {
            gw_close = gw->end->rst_ts;
            gw_closed = true;
        }
        bool rst = srv->end->rst_frame && why_ts_diff_us(u->req_first_ts, srv->end->rst_ts) >= -WHY_SKEW_US &&
                   (!gw_closed || why_ts_cmp(srv->end->rst_ts, gw_close) < 0);
        bool fin = srv->end->fin_frame && why_ts_diff_us(u->req_first_ts, srv->end->fin_ts) >= -WHY_SKEW_US &&
                   (!gw_closed || why_ts_cmp(srv->end->fin_ts, gw_close) < 0);
        if (rst || fin) {
            struct why_ts t = rst ? srv->end->rst_ts : srv->end->fin_ts;
            if (rst && fin && why_ts_cmp(srv->end->fin_ts, srv->end->rst_ts) < 0) {
                rst = false;
                t = srv->end->fin_ts;
            }
            if (reuse_cause(inc, u, rst, t, rst ? srv->end->rst_frame : srv->end->fin_frame, dst, f))
                return true;
            why_dg_cause(inc, rst ? WHY_CAUSE_RESET : WHY_CAUSE_CLOSED);
            if (direct && !x->opaque_gateway)
                inc->kind = WHY_KIND_ORIGIN; /* no gateway in the capture: the server's own act */
            inc->wait_us = why_ts_wait_us(u->req_ts, t);
            why_dg_ev_conn(inc, rst ? WHY_EVK_RST : WHY_EVK_FIN, u->rc, WHY_S2C, rst ? srv->end->rst_frame : srv->end->fin_frame, t,
                WHY_P_EV_CLOSE_EARLY, dst, NULL, rst, 0);
            why_dg_param(inc, "by=%s after=%.3fs", rst ? "RST" : "FIN", secs(inc->wait_us));
            why_dg_say(inc, WHY_P_CLOSED_EARLY, dst, NULL, NULL, rst, inc->wait_us, 0, 0);
            return true;
        }
        /* nothing from the origin: who gave up first? */
        struct why_ts gw_end = {0};
        uint64_t gw_frame = 0;
        if (gw->end->fin_frame && !half && why_ts_cmp(gw->end->fin_ts, u->req_ts) >= 0) {
            gw_end = gw->end->fin_ts;
            gw_frame = gw->end->fin_frame;
        }
        if (gw->end->rst_frame && why_ts_cmp(gw->end->rst_ts, u->req_ts) >= 0 &&
            (!gw_frame || why_ts_cmp(gw->end->rst_ts, gw_end) < 0)) {
            gw_end = gw->end->rst_ts;
            gw_frame = gw->end->rst_frame;
        }
        if (!direct && x->client->has_resp &&
            (!gw_frame || why_ts_cmp(x->client->resp_first_ts, gw_end) < 0)) {
            gw_end = x->client->resp_first_ts;
            gw_frame = x->client->resp_first_frame;
        }
        if (ce->client_gave_up && (!gw_frame || why_ts_cmp(ce->ts, gw_end) < 0))
            return false; /* the client left first: see client_abort */
        if (!gw_frame)
            return false; /* still waiting when the capture ended */
        /* no gateway in the capture: the client closed (a gateway whose client leg is opaque
         * to us is still a gateway: its close is its timeout) */
        if (direct && !x->opaque_gateway)
            return direct_silence_cause(inc, u, gw_end, gw_frame, f);
        why_dg_cause(inc, WHY_CAUSE_NO_RESPONSE);
        inc->wait_us = why_ts_wait_us(u->req_ts, gw_end);
        why_dg_ev_conn(inc, WHY_EVK_GIVE_UP, gw_frame == x->client->resp_first_frame ? x->client->rc : u->rc,
            gw_frame == x->client->resp_first_frame ? WHY_S2C : WHY_C2S, gw_frame, gw_end,
            WHY_P_EV_GIVES_UP, dst, NULL, 0, 0);
        f->a->wait_us = inc->wait_us;
        why_dg_param(inc, "wait=%.3fs", secs(inc->wait_us));
        why_dg_say(inc, WHY_P_NO_RESPONSE, dst, NULL, NULL, inc->wait_us, 0, 0, 0);
        return true;
    }
    if (!u->resp_done) {
        bool rst = srv->end->rst_frame != 0;
        bool fin = srv->end->fin_frame != 0;
        if (!rst && !fin)
            return false;
        why_dg_cause(inc, rst ? WHY_CAUSE_RESET_IN_BODY : WHY_CAUSE_CLOSED_IN_BODY);
        uint64_t got = u->body_bytes ? u->body_bytes : u->rc->c->half[WHY_S2C].bytes;
        why_fmt(f->a->got, sizeof f->a->got, "%" PRIu64, got);
        if (u->expected_len >= 0)
            why_dg_param(inc, "by=%s status=%d body=%s of %" PRId64, rst ? "RST" : "FIN", u->status, f->a->got,
               u->expected_len);
        else
            why_dg_param(inc, "by=%s status=%d body=%s of unknown", rst ? "RST" : "FIN", u->status, f->a->got);
        why_dg_ev_conn(inc, rst ? WHY_EVK_RST : WHY_EVK_FIN, u->rc, WHY_S2C, rst ? srv->end->rst_frame : srv->end->fin_frame,
            rst ? srv->end->rst_ts : srv->end->fin_ts,
            WHY_P_EV_CLOSE_IN_BODY, dst, NULL, rst, 0);
        why_dg_say(inc, WHY_P_CUT_IN_BODY, dst, NULL, NULL, rst, u->status, (int64_t)got, u->expected_len >= 0);
        return true;
    }
    return false;
}

/* The origin spoke first, before the gateway sent any request, and not in HTTP (an SSH or
 * SMTP banner on the port the gateway was sent to): no upstream request could follow. Not on
 * a connection the client's preface made HTTP/2: a server there may send its SETTINGS on
 * accept, and they came first when the gateway's preface was late (lab-h2 on a loaded machine:
 * Apache's h2c preface 2.3 ms after the origin's SETTINGS, `/hang` named not_http). */
static bool banner_cause(struct why_incident *inc, const struct why_join *x)
{
    const struct why_conn_rec *rc = x->up_conn;
    if (!rc || rc->app == WHY_APP_H2 || !rc->more->other.first_frame || rc->more->other.first_len == 0 ||
        why_http1_looks_like_response(rc->more->other.first, rc->more->other.first_len))
        return false;
    const struct why_conn *c = why_rec_conn(rc);
    char dst[64], b[200];
    why_endpoint_str(&c->srv_addr, c->srv_port, dst, sizeof dst);
    why_dg_cause(inc, WHY_CAUSE_NOT_HTTP);
    bytes_text(b, sizeof b, rc->more->other.first, rc->more->other.first_len > 32 ? 32 : rc->more->other.first_len);
    inc->first_len = rc->more->other.first_len > sizeof inc->first_bytes ? (uint32_t)sizeof inc->first_bytes
                                                                   : rc->more->other.first_len;
    memcpy(inc->first_bytes, rc->more->other.first, inc->first_len);
    why_dg_param(inc, "first_bytes=\"%s\" before_request=yes", b);
    why_dg_ev_conn(inc, WHY_EVK_DATA, rc, WHY_S2C, rc->more->other.first_frame, c->half[WHY_S2C].first_data_ts,
        WHY_P_EV_BANNER, dst, NULL, 0, 0);
    why_dg_conn_evidence(inc, rc);
    why_dg_say(inc, WHY_P_BANNER, dst, b, NULL, 0, 0, 0, 0);
    return true;
}

/* TLS facts on the upstream connection (seen without keys). */
static bool tls_cause(struct why_incident *inc, const struct why_join *x, struct why_dg_ctx *f)
{
    const struct why_conn_rec *rc = x->up_conn;
    if (!rc || rc->app != WHY_APP_TLS)
        return false;
    const struct why_conn *c = why_rec_conn(rc);
    char dst[64];
    why_endpoint_str(&c->srv_addr, c->srv_port, dst, sizeof dst);
    if (rc->tls->reneg_frame && !rc->tls->reneg_renegotiated) {
        why_dg_ev_conn(inc, WHY_EVK_TLS_HELLO_REQUEST, rc, WHY_S2C, rc->tls->reneg_frame, rc->tls->reneg_ts, WHY_P_EV_RENEG,
            dst, NULL, 0, 0);
        /* refused: an alert back, or the gateway closing before the origin gave up */
        const struct why_tcp_half *gwh = &c->half[WHY_C2S], *srvh = &c->half[WHY_S2C];
        uint64_t gw_close = gwh->end->fin_frame ? gwh->end->fin_frame : gwh->end->rst_frame;
        uint64_t srv_close = srvh->end->fin_frame ? srvh->end->fin_frame : srvh->end->rst_frame;
        bool refused = rc->tls->reneg_answered ||
                       (gw_close > rc->tls->reneg_frame && (!srv_close || gw_close < srv_close));
        struct why_ts end = x->end_ts;
        const struct why_tcp_half *h = &c->half[WHY_S2C];
        if (h->end->fin_frame && why_ts_cmp(h->end->fin_ts, rc->tls->reneg_ts) > 0)
            end = h->end->fin_ts;
        if (h->end->rst_frame && why_ts_cmp(h->end->rst_ts, rc->tls->reneg_ts) > 0 && why_ts_cmp(h->end->rst_ts, end) < 0)
            end = h->end->rst_ts;
        if (why_ts_cmp(end, rc->tls->reneg_ts) < 0) { /* nothing ended it: the last packet */
            end = c->half[WHY_S2C].last_ts;
            if (why_ts_cmp(c->half[WHY_C2S].last_ts, end) > 0)
                end = c->half[WHY_C2S].last_ts;
        }
        inc->wait_us = why_ts_wait_us(rc->tls->reneg_ts, end);
        if (refused) {
            why_dg_cause(inc, WHY_CAUSE_RENEGOTIATION_REFUSED);
            if (rc->tls->reneg_answered)
                why_dg_ev_conn(inc, WHY_EVK_TLS_ALERT, rc, WHY_C2S, rc->tls->reneg_answer_frame, rc->tls->reneg_ts,
                    WHY_P_EV_RENEG_ALERT, NULL, NULL, 0, 0);
            why_dg_say(inc, WHY_P_RENEG_REFUSED, dst, rc->tls->sni, NULL, rc->tls->reneg_answered, 0, 0, 0);
        } else {
            why_dg_cause(inc, WHY_CAUSE_RENEGOTIATION_STALL);
            why_dg_say(inc, WHY_P_RENEG_STALL, dst, rc->tls->sni, NULL, inc->wait_us, 0, 0, 0);
        }
        why_dg_param(inc, "sni=%s answered=%s waited=%.3fs confirmed=%s", rc->tls->sni[0] ? rc->tls->sni : "-",
           rc->tls->reneg_answered ? "alert" : refused ? "close" : "no", secs(inc->wait_us),
           rc->tls->reneg_confirmed ? "HelloRequest" : "no_keys");
        why_dg_conn_evidence(inc, rc);
        return true;
    }
    /* certificate: the gateway's certificate alert, or a bad certificate it then left */
    bool cert_alert = rc->tls->alert_frame && rc->tls->alert_dir == WHY_C2S &&
                      ((rc->tls->alert_desc >= 42 && rc->tls->alert_desc <= 46) || rc->tls->alert_desc == 48);
    if (cert_alert || (rc->tls->cert_problem && !why_rec_tls_sent_data(rc))) {
        char buf[40];
        /* (the name is the function's answer: the buffer is written only for a code it does
         * not know) */
        const char *an = rc->tls->alert_frame ? why_tls_alert_name(rc->tls->alert_desc, buf, sizeof buf) : "";
        why_dg_cause(inc, WHY_CAUSE_TLS_CERTIFICATE);
        why_str_copy(f->a->cert, sizeof f->a->cert, rc->tls->cert_problem ? rc->tls->cert_text : an);
        if (rc->tls->cert_frame)
            why_dg_ev_conn(inc, WHY_EVK_TLS_CERTIFICATE, rc, WHY_S2C, rc->tls->cert_frame, rc->tls->cert_ts,
                WHY_P_EV_CERT, dst, rc->tls->cert_problem ? rc->tls->cert_text : "", 0, 0);
        if (cert_alert)
            why_dg_ev_conn(inc, WHY_EVK_TLS_ALERT, rc, WHY_C2S, rc->tls->alert_frame, rc->tls->alert_ts, WHY_P_EV_GW_ALERT,
                an, NULL, 0, 0);
        why_dg_param(inc, "sni=%s certificate=\"%s\" alert=%s", rc->tls->sni[0] ? rc->tls->sni : "-",
           rc->tls->cert_problem ? rc->tls->cert_text : "-", cert_alert ? an : "-");
        if (f->who && f->who[0]) { /* no gateway: the host that refused it */
            char to[WHY_WORDS_S];
            why_fmt(to, sizeof to, "%s (SNI %s)", dst, rc->tls->sni[0] ? rc->tls->sni : "-");
            why_dg_say(inc, WHY_P_CERT_REFUSED_BY, f->who, to,
                       rc->tls->cert_problem ? rc->tls->cert_text : "", cert_alert, 0, 0, 0);
        } else {
            why_dg_say(inc, WHY_P_CERT_REFUSED, dst, rc->tls->sni,
                       rc->tls->cert_problem ? rc->tls->cert_text : "", cert_alert, 0, 0, 0);
        }
        why_dg_conn_evidence(inc, rc);
        return true;
    }
    if (rc->tls->alert_frame && rc->tls->alert_level == 2) {
        char an[40];
        const char *name = why_tls_alert_name(rc->tls->alert_desc, an, sizeof an);
        why_str_copy(f->a->alert, sizeof f->a->alert, name);
        why_dg_cause(inc, WHY_CAUSE_TLS_ALERT);
        why_dg_param(inc, "alert=%s from=%s", name, rc->tls->alert_dir == WHY_S2C ? "origin" : "gateway");
        why_dg_ev_conn(inc, WHY_EVK_TLS_ALERT, rc, rc->tls->alert_dir == WHY_S2C ? WHY_S2C : WHY_C2S, rc->tls->alert_frame,
            rc->tls->alert_ts, WHY_P_EV_ALERT, name, NULL, rc->tls->alert_dir == WHY_S2C, 0);
        why_dg_say(inc, WHY_P_TLS_ALERT, dst, rc->tls->sni, name, rc->tls->alert_dir == WHY_S2C, 0, 0, 0);
        return true;
    }
    /* the gateway finished the handshake and left without sending the request */
    const struct why_tcp_half *gwh = &c->half[WHY_C2S];
    if (rc->tls->ccs[WHY_S2C] && !why_rec_tls_sent_data(rc) && (gwh->end->fin_frame || gwh->end->rst_frame)) {
        why_dg_cause(inc, WHY_CAUSE_TLS_GATEWAY_LEFT);
        why_dg_ev_conn(inc, WHY_EVK_GIVE_UP, rc, WHY_C2S, gwh->end->fin_frame ? gwh->end->fin_frame : gwh->end->rst_frame, gwh->end->fin_frame ? gwh->end->fin_ts : gwh->end->rst_ts,
            WHY_P_EV_TLS_LEFT, dst, NULL, 0, 0);
        why_dg_param(inc, "sni=%s version=%s", rc->tls->sni[0] ? rc->tls->sni : "-", rc->tls->version == 0x0304 ? "1.3" : "1.2");
        why_dg_say(inc, WHY_P_TLS_GATEWAY_LEFT, dst, rc->tls->sni, NULL, rc->tls->version == 0x0304, 0, 0, 0);
        return true;
    }
    if (why_rec_tls_handshake_cut(rc)) {
        why_dg_cause(inc, WHY_CAUSE_TLS_HANDSHAKE_CLOSED);
        why_dg_conn_evidence(inc, rc);
        why_dg_param(inc, "by=%s", c->half[WHY_S2C].end->rst_frame ? "RST" : "FIN");
        why_dg_say(inc, WHY_P_TLS_CUT, dst, rc->tls->sni, NULL, c->half[WHY_S2C].end->rst_frame != 0, 0, 0, 0);
        return true;
    }
    return false;
}

/* Squid's error pages name their cause; used only when the upstream side is not captured.
 * ERR_CONNECT_FAIL carries the connect(2) errno (Linux numbering) after the name:
 * "ERR_CONNECT_FAIL 110" is ETIMEDOUT, 111 ECONNREFUSED, 113 EHOSTUNREACH, 101 ENETUNREACH;
 * another errno, or none, names no finer cause. */
#define NO_CAUSE WHY_CAUSE_COUNT

/* -1: not an ERR_CONNECT_FAIL; NO_CAUSE: an errno naming no finer cause. */
static int connect_errno_cause(const char *s)
{
    const char *p = s ? strstr(s, "ERR_CONNECT_FAIL") : NULL;
    if (!p)
        return -1;
    p += strlen("ERR_CONNECT_FAIL");
    while (*p == ' ')
        p++;
    int e = 0;
    for (int i = 0; i < 4 && *p >= '0' && *p <= '9'; i++, p++)
        e = e * 10 + (*p - '0');
    switch (e) {
    case 110: return WHY_CAUSE_SYN_UNANSWERED; /* ETIMEDOUT */
    case 111: return WHY_CAUSE_RST;            /* ECONNREFUSED */
    case 113: return WHY_CAUSE_HOST_UNREACHABLE; /* EHOSTUNREACH */
    case 101: return WHY_CAUSE_NET_UNREACHABLE;  /* ENETUNREACH */
    default: return NO_CAUSE;
    }
}

/* The cause the gateway's words name, NO_CAUSE when none. */
static enum why_cause_id claim_cause_id(const char *claim, const char *title)
{
    static const struct { const char *key; enum why_cause_id id; } map[] = {
        {"ERR_DNS_FAIL", WHY_CAUSE_NXDOMAIN},        {"Host Not Resolvable", WHY_CAUSE_NXDOMAIN},
        {"Cannot Connect", WHY_CAUSE_SYN_UNANSWERED},
        {"ERR_READ_TIMEOUT", WHY_CAUSE_NO_RESPONSE}, {"ERR_ZERO_SIZE_OBJECT", WHY_CAUSE_CLOSED},
        {"ERR_INVALID_RESP", WHY_CAUSE_NOT_HTTP},    {"Bad Response", WHY_CAUSE_NOT_HTTP},
        {"ERR_READ_ERROR", WHY_CAUSE_RESET},
    };
    int d = connect_errno_cause(claim);
    if (d < 0)
        d = connect_errno_cause(title);
    if (d >= 0)
        return (enum why_cause_id)d;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if ((claim && strstr(claim, map[i].key)) || (title && strstr(title, map[i].key)))
            return map[i].id;
    return NO_CAUSE;
}

/* The gateway's own words are the only evidence (its upstream side is not in the capture, or
 * cannot be read: `blind`, enum why_blind): gateway_claim, with the RFC 9209 type of the cause
 * it names when it names one. */
static void claim_cause(struct why_incident *inc, const struct why_txn *t, enum why_cause_id claimed,
                        struct why_fix_args *a, enum why_blind blind)
{
    why_dg_cause(inc, WHY_CAUSE_GATEWAY_CLAIM);
    const struct why_cause *c = why_cause_get(claimed);
    if (c)
        inc->error = c->error;
    a->claim_blind = blind;
    why_dg_param(inc, "claimed=%s", c ? c->detail : "unknown");
    why_dg_say(inc, WHY_P_CLAIM, a->claim, NULL, NULL, t->status, blind, 0, 0);
}

/* claim_cause with the cause the answer's own words name (its claim, else its title) */
static void claim_answer(struct why_incident *inc, const struct why_txn *t, struct why_fix_args *a, enum why_blind blind)
{
    claim_cause(inc, t, claim_cause_id(why_resp_str(t->resp, WHY_RESP_CLAIM), why_resp_str(t->resp, WHY_RESP_TITLE)), a,
                blind);
}

/* ---- the gateway's own schedule (correlate/background.c): a 5xx with no attempt ---- */

static bool background_dns_cause(struct why_incident *inc, const struct why_join *x, struct why_dg_ctx *f)
{
    const struct why_txn *t = x->client;
    if (!x->nbgdns)
        return false;
    const struct why_dns_rec *last = x->bgdns[x->nbgdns - 1];
    bool answered = false;
    for (uint32_t i = 0; i < x->nbgdns; i++)
        answered |= x->bgdns[i]->answered;
    why_dg_cause(inc, WHY_CAUSE_BACKEND_DNS_FAILED);
    if (!answered)
        inc->error = "dns_timeout";
    why_addr_str(&last->srv, f->a->dns, sizeof f->a->dns);
    /* the last lookups (at most 4) before the request (or the first after its answer) */
    for (uint32_t i = x->nbgdns > 4 ? x->nbgdns - 4 : 0; i < x->nbgdns; i++) {
        const struct why_dns_rec *d = x->bgdns[i];
        why_dg_ev_dns(inc, WHY_EVK_DNS_QUERY, f->gw, d, WHY_C2S, d->q_frame, d->q_ts, WHY_P_EV_OWN_DNS_QUERY,
                      f->a->dns, d->qtype, 0);
        if (d->answered)
            why_dg_ev_dns(inc, WHY_EVK_DNS_ANSWER, f->gw, d, WHY_S2C, d->a_frame, d->a_ts, WHY_P_EV_DNS_ANSWER,
                          NULL, d->qtype, d->rcode);
    }
    int64_t gap = why_ts_diff_us(last->q_ts, t->req_ts);
    int64_t state = last->answered ? (last->rcode ? 2 : 1) : 0; /* words.h: WHY_P_BACKEND_DNS */
    const char *rcode = last->rcode ? why_dns_rcode_name(last->rcode) : "";
    why_dg_param(inc, "lookups=%u last=%s", x->nbgdns,
                 state == 2 ? rcode : state == 1 ? "no_address" : "no_answer");
    why_dg_say(inc, WHY_P_BACKEND_DNS, last->qname, rcode,
               x->bgdns_after ? "within 1 s after the answer, none before it in the capture" : NULL, t->status,
               x->nbgdns, gap, state);
    return true;
}


/* The gateway's failing checks, one per server, as evidence and as the fix's list. */
static void check_evidence(struct why_incident *inc, const struct why_join *x, struct why_dg_ctx *f)
{
    struct why_fix_args *a = f->a;
    for (uint32_t i = 0; i < x->nchecks && a->nchecks < sizeof a->checks / sizeof a->checks[0]; i++) {
        const struct why_conn_rec *rc = x->checks[i];
        const struct why_conn *c = why_rec_conn(rc);
        char sv[64];
        why_endpoint_str(&c->srv_addr, c->srv_port, sv, sizeof sv);
        const struct why_txn *ct = rc->txn_head;
        int outcome, status = 0;
        if (c->established && ct && ct->has_resp) {
            why_dg_ev_conn3(inc, WHY_EVK_UPSTREAM_REQUEST, rc, WHY_C2S, ct->req_frame, ct->req_ts,
                            WHY_P_EV_CHECK_REQ, ct->method, ct->target ? ct->target : "", sv, 0, 0);
            why_dg_ev_conn(inc, WHY_EVK_UPSTREAM_RESPONSE, rc, WHY_S2C, ct->resp_first_frame, ct->resp_first_ts,
                           WHY_P_EV_CHECK_ANSWER, NULL, NULL, ct->status, 0);
            outcome = WHY_CHECK_ANSWERED;
            status = ct->status;
        } else {
            why_dg_ev_conn(inc, WHY_EVK_SYN, rc, WHY_C2S, c->first_frame, c->first_ts, WHY_P_EV_CHECK_SYN, sv, NULL, 0, 0);
            if (c->half[WHY_S2C].end->rst_frame) {
                why_dg_ev_conn(inc, WHY_EVK_RST, rc, WHY_S2C, c->half[WHY_S2C].end->rst_frame, c->half[WHY_S2C].end->rst_ts,
                               WHY_P_EV_RST_FROM, sv, NULL, 0, 0);
                outcome = WHY_CHECK_REFUSED;
            } else if (c->more->icmp_frame) {
                why_dg_ev_conn(inc, WHY_EVK_ICMP, rc, WHY_S2C, c->more->icmp_frame, c->more->icmp_ts, WHY_P_EV_CHECK_ICMP, sv,
                               NULL, 0, 0);
                outcome = WHY_CHECK_ICMP;
            } else {
                outcome = WHY_CHECK_SILENT;
            }
        }
        why_str_copy(a->checks[a->nchecks].server, sizeof a->checks[0].server, sv);
        a->checks[a->nchecks].outcome = outcome;
        a->checks[a->nchecks].status = status;
        a->nchecks++; /* the words list them up to 160 bytes (render.c) */
    }
}

/* The gateway's answer says no server was available (HAProxy's built-in 503 page:
 * says_no_server); or Varnish's says the fetch failed, the last check of every server it
 * checks failed, no attempt began while the request waited, and no connection to an address
 * a request's attempt also went to was refused in the 0.25 s before (so no backend was held
 * down after a refusal: not tried because its probes marked it sick). Varnish's "Backend fetch
 * failed" alone says nothing of servers: it says that for every failure, a backend held down
 * after a refusal too. Nor does Caddy's empty 503: its reverse proxy's "no upstreams
 * available" is the same bytes as any `respond 503` of its configuration (the balance shape's
 * nx.bench, which has no server: 293 of them told as its checks of another site's server
 * failing); its checks are listed as what the capture shows of that time
 * (no_upstream_context), as for Apache's page. */
static bool health_check_cause(struct why_incident *inc, const struct why_join *x, struct why_dg_ctx *f)
{
    const struct why_txn *t = x->client;
    bool varnish = why_join_varnish_fetch_failed(t) && !x->nchecks_ok && !x->attempt_near;
    if (!x->nchecks || !(t->says_no_server || varnish))
        return false;
    /* another name's lookups failing too: the checks are one reading (WHY_ALT_CHECKS_FAILING)
     * and the lookups another, neither the cause (no_upstream_context lists the checks) */
    if (x->bg_other)
        return false;
    why_dg_cause(inc, WHY_CAUSE_HEALTH_CHECK_FAILED);
    check_evidence(inc, x, f);
    why_dg_param(inc, "servers=%u", x->nchecks);
    why_dg_say(inc, WHY_P_HEALTH_CHECKS, inc->claim, NULL, NULL, t->status,
               varnish && !t->says_no_server && !x->reading, 0, 0);
    return true;
}

/* No attempt and nothing that names why, but the gateway's own checks were failing then
 * (Apache's 503 page is the same for a balancer whose members all failed their checks and for
 * any 503 of its own): they are listed, with their frames, as what the capture shows of that
 * time; and for Varnish an attempt near the request (correlate/background.c: its own, taken by
 * another request, or a refusal that held its backend down), with its frames. */
static void no_upstream_context(struct why_incident *inc, const struct why_join *x, struct why_dg_ctx *f)
{
    const struct why_txn *t = x->client;
    check_evidence(inc, x, f);
    const struct why_conn_rec *an = why_join_varnish_fetch_failed(t) ? x->attempt_near : NULL;
    char sv[64] = "";
    int64_t before = 0, how = 0; /* words.h WHY_P_NO_UPSTREAM n2: 1 refused, 2 begun during */
    if (an) {
        const struct why_conn *c = why_rec_conn(an);
        why_endpoint_str(&c->srv_addr, c->srv_port, sv, sizeof sv);
        why_dg_conn_evidence(inc, an);
        bool refused = !c->established && (c->half[WHY_S2C].end->rst_frame || c->more->icmp_frame);
        struct why_ts at = !refused ? c->first_ts : c->half[WHY_S2C].end->rst_frame ? c->half[WHY_S2C].end->rst_ts : c->more->icmp_ts;
        before = why_ts_diff_us(at, t->req_ts);
        int64_t hd = refused ? why_join_holddown_us(c) : 0;
        how = hd > WHY_HOLDDOWN_US ? 3 : hd ? 1 : 2; /* a refusal that held nothing down: begun during */
        why_dg_param(inc, "attempt_near=%s", sv);
    }
    if (x->nchecks)
        why_dg_param(inc, "checks_failing=%u", x->nchecks);
    why_dg_say(inc, WHY_P_NO_UPSTREAM, sv, NULL, NULL, t->status, x->nchecks, how, before);
}

/* A gateway that does not watch its client (HAProxy without abortonclose, Apache, Varnish)
 * answers after the client gave up: the client's FIN came before the answer's first byte and
 * its RST after it (the socket was gone; a half-close would have read the answer). The
 * client saw nothing: client_abort, whatever the gateway wrote to it later. */
bool why_diagnose_client_left_first(const struct why_txn *t)
{
    const struct why_tcp_half *cl = &why_rec_conn(t->rc)->half[WHY_C2S];
    return t->has_resp && cl->end->fin_frame && cl->end->rst_frame &&
           why_ts_cmp(cl->end->fin_ts, t->req_ts) >= 0 && why_ts_cmp(cl->end->fin_ts, t->resp_first_ts) < 0 &&
           why_ts_cmp(cl->end->rst_ts, t->resp_first_ts) >= 0;
}

/* A client's FIN written with its request (a half-close: client_leg_end does not count it as
 * giving up) that its gateway answered at once (within WHY_HALF_CLOSE_US) by closing the
 * client's connection without an answer, before the origin sent anything or closed: the
 * gateway took it as the client leaving (nginx logs it 499; Squid closes half-closed clients),
 * so the client gave up there, not the gateway nor the origin. The packets cannot tell a
 * half-close from a close (curl --max-time); a gateway that waits (its timeout) or answers
 * keeps the half-close's reading. */
static void client_followed_out(const struct why_join *x, struct client_end *ce)
{
    const struct why_txn *t = x->client, *u = x->up != t ? x->up : NULL;
    if (x->direct || t->has_resp || ce->client_gave_up || t->h2_stream || (u && u->has_resp))
        return; /* (no gateway between: the server's close ends the wait, as README says) */
    const struct why_conn *cc = why_rec_conn(t->rc);
    const struct why_tcp_half *cl = &cc->half[WHY_C2S], *gw = &cc->half[WHY_S2C];
    if (!half_close(cl, gw, t->req_ts))
        return;
    struct why_ts fin = cl->end->fin_ts, close;
    uint64_t close_frame;
    if (!why_half_end_first(gw->end, fin, &close, &close_frame) || why_ts_diff_us(fin, close) >= WHY_HALF_CLOSE_US)
        return;
    if (u) { /* the origin did nothing before: it was not its act the gateway followed */
        const struct why_tcp_half *srv = &why_rec_conn(u->rc)->half[WHY_S2C];
        if ((srv->first_data_frame && why_ts_cmp(srv->first_data_ts, close) < 0) ||
            (srv->end->fin_frame && why_ts_cmp(srv->end->fin_ts, close) < 0) ||
            (srv->end->rst_frame && why_ts_cmp(srv->end->rst_ts, close) < 0))
            return;
    }
    ce->client_gave_up = true;
    ce->gateway_closed = false;
    ce->ts = fin;
    ce->frame = cl->end->fin_frame;
}

static void client_left_first(const struct why_join *x, struct client_end *ce)
{
    const struct why_txn *t = x->client;
    const struct why_tcp_half *cl = &why_rec_conn(t->rc)->half[WHY_C2S];
    if (!why_diagnose_client_left_first(t))
        return;
    ce->client_gave_up = true;
    ce->ts = cl->end->fin_ts;
    ce->frame = cl->end->fin_frame;
}

#define WHY_GW_HEAD_BUF 4096 /* the smallest response-head buffer of a common gateway (nginx's
                                proxy_buffer_size: one memory page) */

/* The origin's answer was fine but its head was larger than a gateway's buffer, and the
 * gateway answered 502 (nginx "upstream sent too big header", HAProxy over tune.bufsize). */
static bool head_too_big_cause(struct why_incident *inc, const struct why_join *x, struct why_dg_ctx *f)
{
    const struct why_txn *t = x->client, *u = x->up;
    if (!u || !u->has_resp || u->status >= 500 || t->status != 502 || u->resp_head_bytes < WHY_GW_HEAD_BUF)
        return false;
    why_dg_cause(inc, WHY_CAUSE_HEAD_TOO_BIG);
    why_fmt(f->a->got, sizeof f->a->got, "%u", u->resp_head_bytes);
    why_dg_param(inc, "head_bytes=%u status=%d", u->resp_head_bytes, u->status);
    why_dg_ev_conn(inc, WHY_EVK_UPSTREAM_RESPONSE, u->rc, WHY_S2C, u->resp_first_frame, u->resp_first_ts,
                   WHY_P_EV_HEAD_BEGINS, NULL, NULL, u->status, 0);
    why_dg_ev_conn(inc, WHY_EVK_DATA, u->rc, WHY_S2C, u->resp_frame, u->resp_ts, WHY_P_EV_HEAD_DONE, NULL, NULL,
                   u->resp_head_bytes, 0);
    why_dg_say(inc, WHY_P_HEAD_TOO_BIG, NULL, NULL, NULL, u->status, u->resp_head_bytes, 0, 0);
    return true;
}

/* The gateway answered without any attempt, after the origin sent GOAWAY on its HTTP/2
 * connection: named by that GOAWAY (its code, its last-stream-id, how long before the
 * request), the request the gateway did not send on a new connection. */
static bool goaway_before_cause(struct why_incident *inc, const struct why_join *x, struct why_dg_ctx *f)
{
    const struct why_conn_rec *rc = x->goaway_conn;
    if (!rc)
        return false;
    const struct why_conn *c = why_rec_conn(rc);
    char dst[64], code[32];
    why_endpoint_str(&c->srv_addr, c->srv_port, dst, sizeof dst);
    h2_code_name(rc->more->h2.goaway_code, code, sizeof code);
    struct why_fix_args *a = f->a;
    why_str_copy(a->h2_code, sizeof a->h2_code, code);
    a->h2_by = WHY_H2_BY_ORIGIN;
    why_addr_str(&c->srv_addr, a->addr, sizeof a->addr);
    why_fmt(a->port, sizeof a->port, "%u", c->srv_port);
    why_dg_cause(inc, h2_protocol_code(rc->more->h2.goaway_code) ? WHY_CAUSE_H2_PROTOCOL_ERROR
                                                           : WHY_CAUSE_H2_GOAWAY_UNPROCESSED);
    why_dg_ev_conn(inc, WHY_EVK_H2_GOAWAY, rc, WHY_S2C, rc->more->h2.goaway_frame, rc->more->h2.goaway_ts, WHY_P_EV_H2_GOAWAY,
        code, dst, rc->more->h2.goaway_last_id, 0);
    int64_t before = why_ts_diff_us(rc->more->h2.goaway_ts, x->client->req_first_ts);
    why_dg_param(inc, "stream=none last_stream_id=%u code=%s goaway_before_request=%.3fs", rc->more->h2.goaway_last_id,
        code, secs(before));
    why_dg_say(inc, WHY_P_H2_GOAWAY, dst, code, NULL, rc->more->h2.goaway_last_id, 0, 0, 0);
    return true;
}

/* The facts of a handshake passed through that hold its fatal alert: the upstream leg's, else
 * the client leg's (the upstream copy not captured: a relay sends no alert of its own, so the
 * client's came from the origin, as the origin's came from the client); the upstream leg's when
 * neither has one. */
static const struct why_tls_facts *passthrough_alert_facts(const struct why_join *x)
{
    const struct why_tls_facts *u = x->up_conn->tls, *c = x->client_conn->tls;
    bool u_fatal = u->alert_frame && u->alert_level == 2, c_fatal = c->alert_frame && c->alert_level == 2;
    return !u_fatal && c_fatal ? c : u;
}

/* A fatal alert of a handshake passed through: the sender's leg has it first (the origin's on
 * the upstream leg, the client's on the client leg), the other leg the gateway's copy; a leg
 * whose copy the capture lost shows none. */
static void passthrough_alert_evidence(struct why_incident *inc, const struct why_join *x, const char *name)
{
    const struct why_tls_facts *t = passthrough_alert_facts(x);
    bool from_origin = t->alert_dir == WHY_S2C;
    enum why_dir d = from_origin ? WHY_S2C : WHY_C2S;
    const struct why_conn_rec *legs[2] = {from_origin ? x->up_conn : x->client_conn,
                                          from_origin ? x->client_conn : x->up_conn};
    bool sent = false; /* the sender's leg showed it */
    for (int copy = 0; copy < 2; copy++) {
        const struct why_tls_facts *lt = legs[copy]->tls;
        if (!lt->alert_frame || lt->alert_dir != (int)d || lt->alert_desc != t->alert_desc)
            continue;
        why_dg_ev_conn(inc, WHY_EVK_TLS_ALERT, legs[copy], d, lt->alert_frame, lt->alert_ts, WHY_P_EV_PT_ALERT,
            name, NULL, from_origin, copy ? (sent ? 1 : 2) : 0);
        sent = true;
    }
}

/* A gateway that passes TLS through (x->passthrough): the handshake was the client's with the
 * origin, the gateway relaying its records both ways. A fatal alert from either ended it for
 * both; a certificate the client refused (its alert, or its leaving after a certificate not
 * valid for the name or the time) is the origin's certificate problem. The two ClientHellos,
 * the certificate and the alert with the gateway's copy of it are the evidence. */
static bool passthrough_cause(struct why_incident *inc, const struct why_join *x, struct why_dg_ctx *f)
{
    const struct why_conn_rec *up = x->up_conn, *cl = x->client_conn;
    const struct why_tls_facts *t = up->tls, *at = passthrough_alert_facts(x);
    bool alert = at->alert_frame && at->alert_level == 2;
    bool from_origin = alert && at->alert_dir == WHY_S2C;
    bool cert_alert = alert && !from_origin &&
                      ((at->alert_desc >= 42 && at->alert_desc <= 46) || at->alert_desc == 48);
    bool cert = cert_alert || (t->cert_problem && !from_origin && !why_rec_tls_sent_data(up));
    if (!alert && !cert)
        return false;
    const struct why_conn *uc = why_rec_conn(up), *cc = why_rec_conn(cl);
    char dst[64], gw[64], an[40] = "";
    why_endpoint_str(&uc->srv_addr, uc->srv_port, dst, sizeof dst);
    why_endpoint_str(&cc->srv_addr, cc->srv_port, gw, sizeof gw);
    const char *name = alert ? why_tls_alert_name(at->alert_desc, an, sizeof an) : "";
    why_dg_ev_conn(inc, WHY_EVK_TLS_HELLO, cl, WHY_C2S, cc->half[WHY_C2S].first_data_frame,
        cc->half[WHY_C2S].first_data_ts, WHY_P_EV_PT_HELLO, gw, NULL, 0, 0);
    why_dg_ev_conn(inc, WHY_EVK_TLS_HELLO, up, WHY_C2S, uc->half[WHY_C2S].first_data_frame,
        uc->half[WHY_C2S].first_data_ts, WHY_P_EV_PT_HELLO, dst, NULL, 1, 0);
    if (cert) {
        const char *problem = t->cert_problem ? t->cert_text : name;
        why_dg_cause(inc, WHY_CAUSE_TLS_CERTIFICATE);
        why_str_copy(f->a->cert, sizeof f->a->cert, problem);
        if (t->cert_frame)
            why_dg_ev_conn(inc, WHY_EVK_TLS_CERTIFICATE, up, WHY_S2C, t->cert_frame, t->cert_ts, WHY_P_EV_CERT, dst,
                t->cert_problem ? t->cert_text : "", 0, 0);
        if (cert_alert)
            passthrough_alert_evidence(inc, x, name);
        why_dg_param(inc, "sni=%s certificate=\"%s\" alert=%s from=client", t->sni[0] ? t->sni : "-",
            t->cert_problem ? t->cert_text : "-", cert_alert ? name : "-");
        char who[64], to[WHY_WORDS_S];
        why_addr_str(&cc->cli_addr, who, sizeof who);
        why_fmt(to, sizeof to, "%s (SNI %s), passed through the gateway %s", dst, t->sni[0] ? t->sni : "-", gw);
        why_dg_say(inc, WHY_P_CERT_REFUSED_BY, who, to, t->cert_problem ? t->cert_text : "", cert_alert, 0, 0, 0);
        return true;
    }
    why_str_copy(f->a->alert, sizeof f->a->alert, name);
    why_dg_cause(inc, WHY_CAUSE_TLS_PASSTHROUGH_ALERT);
    why_dg_param(inc, "alert=%s from=%s", name, from_origin ? "origin" : "client");
    passthrough_alert_evidence(inc, x, name);
    why_dg_say(inc, WHY_P_TLS_PASSTHROUGH_ALERT, dst, t->sni, name, from_origin, 0, 0, 0);
    return true;
}

/* The client's TLS connection the gateway served (no keys: its request is opaque): what the
 * client spoke (ALPN) and how long its connection stayed. */
static void opaque_client_evidence(struct why_incident *inc, const struct why_conn_rec *client_conn)
{
    const struct why_conn *cc = why_rec_conn(client_conn);
    char cli[64];
    enum why_evidence_kind k = cc->syn_count && cc->syn_frame == cc->first_frame ? WHY_EVK_SYN : WHY_EVK_DATA;
    const struct why_tls_facts *ct = client_conn->tls;
    const char *alpn = ct->alpn[0] ? ct->alpn : ct->alpn_offered;
    why_endpoint_str(&cc->cli_addr, cc->cli_port, cli, sizeof cli);
    if (!strcmp(alpn, "h2") || !strcmp(alpn, "http/1.1")) {
        struct why_ts last = cc->half[WHY_C2S].last_ts;
        if (why_ts_cmp(cc->half[WHY_S2C].last_ts, last) > 0)
            last = cc->half[WHY_S2C].last_ts;
        int64_t open_us = why_ts_wait_us(cc->first_ts, last);
        why_dg_ev_conn(inc, k, client_conn, WHY_C2S, cc->first_frame, cc->first_ts, WHY_P_EV_CLIENT_CONN_ALPN,
            cli, ct->sni, open_us, (ct->alpn[0] ? 0 : 1) | (!strcmp(alpn, "h2") ? 2 : 0));
        why_dg_param(inc, "client_alpn=%s%s client_open=%.3fs", ct->alpn[0] ? "" : "offered:", alpn, secs(open_us));
    } else {
        why_dg_ev_conn(inc, k, client_conn, WHY_C2S, cc->first_frame, cc->first_ts, WHY_P_EV_CLIENT_CONN, cli,
            ct->sni, 0, 0);
    }
}

/* dg zeroed, no duration measured yet; but for the entries past the counts of the evidence
 * (and its words), the connections and the tunnel paths, which evidence.c writes whole as it
 * adds each: most of dg's size, which zeroing took at every incident. */
static void diagnosis_clear(struct why_diagnosis *dg)
{
    struct why_incident *inc = &dg->inc;
    memset(inc, 0, offsetof(struct why_incident, evidence));
    inc->nconns = 0;
    inc->nencaps = 0;
    memset(&dg->summary, 0, sizeof dg->summary);
    memset(&dg->fix, 0, sizeof dg->fix);
    inc->dns_us = inc->connect_us = inc->first_byte_us = inc->wait_us = inc->total_us = -1;
}

enum why_verdict why_diagnose(const struct why_diag_ctx *cx, const struct why_join *x,
                              struct why_diagnosis *dg)
{
    const struct why_txn *t = x->client;
    const struct why_conn *cc = why_rec_conn(t->rc);
    struct client_end ce = client_leg_end(x);
    client_left_first(x, &ce);
    client_followed_out(x, &ce);

    /* A failure is a failure whatever the status: most gateways pass an origin's garbage or a
     * body cut by a reset on as a 200. */
    bool failed;
    const struct why_txn *up = x->up != t ? x->up : NULL;
    bool failed5 = t->status >= 500 || grpc_failed(t->grpc_status); /* gRPC 14 is a 503 */
    if (t->has_resp)
        failed = failed5 || h2_cut(t) || (up && h2_cut(up) && up->has_resp) ||
                 (!t->resp_done && (cc->closed || ce.client_reset_in_body)) ||
                 (up && up->not_http) ||
                 (up && up->has_resp && !up->resp_done &&
                  (why_rec_conn(up->rc)->half[WHY_S2C].end->rst_frame ||
                   why_rec_conn(up->rc)->half[WHY_S2C].end->fin_frame)) ||
                 ce.client_gave_up; /* a 200 written after the client left (Caddy) */
    else
        failed = true;
    if (!failed)
        return WHY_VERDICT_OK;
    /* the client repeated the lost request and got its answer: not a failure */
    if (t->repeated_ok)
        return WHY_VERDICT_OK;
    /* the capture missed the answer, the client's ACKs prove it came: not a failure */
    if (!t->has_resp && why_partial_answer_unseen(t))
        return why_partial_tunnel_open(t) ? WHY_VERDICT_OK : WHY_VERDICT_UNREADABLE;

    diagnosis_clear(dg);
    struct why_incident *inc = &dg->inc;
    bool direct = x->up == t;
    inc->has_client = true;
    inc->via_gateway = !direct;
    inc->ts = t->req_ts;
    inc->file = cc->file;
    inc->client_addr = cc->cli_addr;
    inc->client_port = cc->cli_port;
    inc->gateway_addr = cc->srv_addr;
    inc->gateway_port = cc->srv_port;
    why_str_copy(inc->method, sizeof inc->method, t->method);
    struct why_url u;
    if (t->rc->app == WHY_APP_TLS)
        why_url_parse_https(t->method, t->target, t->target_len, t->host, &u);
    else
        why_url_parse(t->method, t->target, t->target_len, t->host, &u);
    why_str_copy(inc->url, sizeof inc->url, why_url_abs(&u));
    inc->status = t->has_resp && !ce.client_gave_up ? t->status : 0; /* what the client saw */
    const char *claim = why_resp_str(t->resp, WHY_RESP_CLAIM), *title = why_resp_str(t->resp, WHY_RESP_TITLE);
    if (claim[0] && title[0])
        why_fmt(inc->claim, sizeof inc->claim, "%s | %s", claim, title);
    else
        why_str_copy(inc->claim, sizeof inc->claim, claim[0] ? claim : title);
    why_str_copy(inc->server, sizeof inc->server, why_resp_str(t->resp, WHY_RESP_SERVER));
    inc->request_frame = t->req_frame;
    inc->response_frame = t->resp_first_frame;
    /* the TLS server name the client asked for: HTTPS decrypted, or inside a CONNECT tunnel */
    why_str_copy(inc->sni, sizeof inc->sni, t->rc->tls->sni);
    inc->attempts = direct ? 0 : x->nattempts;
    why_str_copy(inc->upstream_host, sizeof inc->upstream_host, u.host);
    if (x->up_conn) {
        const struct why_conn *uc = why_rec_conn(x->up_conn);
        inc->has_upstream = !direct;
        inc->upstream_addr = uc->srv_addr;
        inc->upstream_port = uc->srv_port;
    }
    if (t->has_resp)
        inc->total_us = why_ts_wait_us(t->req_ts, t->resp_first_ts);
    else if (ce.frame)
        inc->total_us = why_ts_wait_us(t->req_ts, ce.ts);

    char cli[64];
    why_endpoint_str(&cc->cli_addr, cc->cli_port, cli, sizeof cli);
    why_dg_ev_conn(inc, WHY_EVK_REQUEST, t->rc, WHY_C2S, t->req_frame, t->req_ts, WHY_P_EV_REQUEST, t->method, cli, 0, 0);

    struct why_dg_ctx f = {cx->gw, "", &dg->fix};
    f.a->wait_us = -1;
    why_str_copy(f.a->host, sizeof f.a->host, u.host);
    why_str_copy(f.a->claim, sizeof f.a->claim, inc->claim);
    f.a->claim_none = 1;
    if (x->up_conn) {
        const struct why_conn *uc = why_rec_conn(x->up_conn);
        why_addr_str(&uc->srv_addr, f.a->addr, sizeof f.a->addr);
        why_fmt(f.a->port, sizeof f.a->port, "%u", uc->srv_port);
    } else if (u.host[0]) {
        why_str_copy(f.a->addr, sizeof f.a->addr, u.host);
        why_fmt(f.a->port, sizeof f.a->port, "%u", u.port);
    }
    why_fmt(f.a->status, sizeof f.a->status, "%d", t->status);

    bool found = false;
    if (grpc_failed(t->grpc_status))
        why_fmt(f.a->grpc, sizeof f.a->grpc, "grpc-status %d%s%s", t->grpc_status,
                 why_resp_str(t->resp, WHY_RESP_GRPC_MESSAGE)[0] ? " " : "", why_resp_str(t->resp, WHY_RESP_GRPC_MESSAGE));
    /* 1. origin's own 5xx (or failing gRPC status) passed through */
    if (grpc_failed(t->grpc_status) && t->status < 500 &&
        (direct || (x->up && x->up->grpc_status == t->grpc_status))) {
        why_dg_cause(inc, WHY_CAUSE_GRPC_ORIGIN_STATUS);
        why_dg_param(inc, "grpc_status=%d", t->grpc_status);
        why_dg_say(inc, WHY_P_GRPC_ORIGIN, f.a->addr, f.a->port, f.a->grpc, direct, 0, 0, 0);
        if (!direct) {
            why_dg_ev_conn(inc, WHY_EVK_UPSTREAM_REQUEST, x->up->rc, WHY_C2S, x->up->req_frame, x->up->req_ts,
                WHY_P_EV_UPSTREAM_REQ, NULL, f.a->addr, 0, 0);
            why_dg_ev_conn(inc, WHY_EVK_UPSTREAM_RESPONSE, x->up->rc, WHY_S2C, x->up->h2->end_frame,
                x->up->h2->end_ts, WHY_P_EV_GRPC_END, NULL, NULL, x->up->grpc_status, 0);
        }
        found = true;
    }
    if (!found && x->up && !direct && x->up->has_resp && x->up->status >= 500 && t->has_resp &&
        t->status == x->up->status) {
        why_dg_cause(inc, WHY_CAUSE_ORIGIN_5XX);
        why_dg_say(inc, WHY_P_ORIGIN_5XX, f.a->addr, f.a->port, NULL, x->up->status, 0, 0, 0);
        why_dg_param(inc, "status=%d", x->up->status);
        why_dg_ev_conn(inc, WHY_EVK_UPSTREAM_REQUEST, x->up->rc, WHY_C2S, x->up->req_frame, x->up->req_ts,
            WHY_P_EV_UPSTREAM_REQ, NULL, f.a->addr, 0, 0);
        why_dg_ev_conn(inc, WHY_EVK_UPSTREAM_RESPONSE, x->up->rc, WHY_S2C, x->up->resp_frame, x->up->resp_ts,
            WHY_P_EV_ORIGIN_ANSWERS, NULL, NULL, x->up->status, 0);
        found = true;
    }
    if (!found && direct && t->has_resp && t->status >= 500) {
        /* only the client leg is in the capture: take the gateway's word when it gives one */
        enum why_cause_id d = claim_cause_id(why_resp_str(t->resp, WHY_RESP_CLAIM), why_resp_str(t->resp, WHY_RESP_TITLE));
        if (d != NO_CAUSE || t->via[0] || why_resp_str(t->resp, WHY_RESP_CLAIM)[0]) {
            claim_cause(inc, t, d, f.a, WHY_BLIND_NONE);
        } else {
            why_dg_cause(inc, WHY_CAUSE_ORIGIN_5XX);
            why_dg_param(inc, "status=%d", t->status);
            why_dg_say(inc, WHY_P_SERVER_5XX, f.a->addr, NULL, NULL, t->status, 0, 0, 0);
        }
        found = true;
    }
    /* the upstream side is captured from one side only: the gateway's word, if any, is all
     * that can be told of it; no upstream phase is judged on half of it */
    bool blind = !direct && x->upstream_blind;
    if (!found && blind && t->has_resp && t->status >= 500) {
        claim_answer(inc, t, f.a, (enum why_blind)x->upstream_blind);
        found = true;
    }
    /* 2. phases: DNS, connect, TLS, response */
    if (!found && !blind && !direct && x->nattempts == 0 && !x->up)
        found = dns_cause(inc, x, &f);
    if (!found && !blind && !x->up)
        found = connect_cause(inc, x, &f);
    if (!found && direct && !why_rec_conn(t->rc)->established)
        found = connect_cause(inc, x, &f);
    if (!found && !blind)
        found = tls_cause(inc, x, &f);
    if (!found && !blind)
        found = h2_cause(inc, x, &f);
    /* the server spoke first, not HTTP, and nothing came after the request: the gateway read
     * those bytes as the answer (races/run17: HAProxy, loaded, sent garbage's request 12 ms
     * after the origin's SSH banner and answered 502 54 us later) */
    if (!found && !blind && !direct && x->up && x->up != t && !x->up->has_resp && !x->up->not_http &&
        x->up_conn == x->up->rc && x->up_conn->more->other.first_frame &&
        x->up_conn->more->other.first_frame < x->up->req_first_frame)
        found = banner_cause(inc, x);
    if (!found && !blind)
        found = response_cause(inc, x, &ce, &f);
    if (!found && !blind && !direct && !x->up)
        found = banner_cause(inc, x);
    /* 3. the gateway answered 5xx (or a failing gRPC status) and nothing upstream explains it */
    if (!found && t->has_resp && failed5 && !direct && !x->up && x->nattempts == 0 && x->ndns == 0)
        found = background_dns_cause(inc, x, &f) || health_check_cause(inc, x, &f);
    if (!found && t->has_resp && failed5 && !direct && !ce.client_gave_up) {
        if (!x->up && x->nattempts == 0 && x->ndns == 0 && x->upstream_visible && goaway_before_cause(inc, x, &f)) {
            /* named by the GOAWAY the origin sent before */
        } else if (!x->up && x->nattempts == 0 && x->ndns == 0 && x->upstream_visible) {
            why_dg_cause(inc, WHY_CAUSE_NO_UPSTREAM_ATTEMPT);
            no_upstream_context(inc, x, &f);
        } else if (!x->upstream_visible) {
            claim_answer(inc, t, f.a, WHY_BLIND_NONE);
        } else if (x->resolved_unused) {
            /* it found the address and never connected: its words say why, if anything */
            const struct why_dns_rec *d = NULL;
            for (uint32_t i = 0; i < x->ndns && !d; i++)
                d = x->dns[i]->naddrs ? x->dns[i] : NULL;
            char ad[64] = "";
            if (d)
                why_addr_str(&d->addrs[0], ad, sizeof ad);
            why_dg_cause(inc, WHY_CAUSE_NO_UPSTREAM_ATTEMPT);
            why_dg_param(inc, "resolved=%s", ad);
            why_dg_say(inc, WHY_P_NO_CONNECT, d ? d->qname : "", ad, NULL, t->status, 0, 0, 0);
        } else if (x->resolved_tried_failed) {
            /* every connection to the looked-up addresses while it waited failed, each read as
             * another request's: the upstream side shows failures, which of them were this
             * request's it does not say */
            claim_answer(inc, t, f.a, WHY_BLIND_TAKEN);
            why_dg_param(inc, "failed_tries=%u", x->resolved_tried_failed);
        } else if (!head_too_big_cause(inc, x, &f)) {
            why_dg_cause(inc, WHY_CAUSE_GATEWAY_ERROR);
            why_dg_say(inc, WHY_P_GATEWAY_ERROR, NULL, NULL, NULL, t->status, 0, 0, 0);
        }
        found = true;
    }
    /* 4. the client leg */
    if (!found)
        found = stall_cause(inc, t, &ce, &f);
    /* the client closed while the answer seemed unfinished, but the capture missed bytes of
     * the gateway's direction: the answer may have ended inside the hole (or the stream past
     * it is read out of step), so where it ended is not known: no claim on the client */
    if (!found && ce.client_reset_in_body && !t->h2_stream && why_rec_conn(t->rc)->miss->half[WHY_S2C].gap_bytes)
        return WHY_VERDICT_UNREADABLE;
    if (!found && ce.client_reset_in_body) {
        why_dg_cause(inc, WHY_CAUSE_CLIENT_RESET_RESPONSE);
        why_dg_ev_conn(inc, WHY_EVK_GIVE_UP, t->rc, WHY_C2S, ce.frame, ce.ts, WHY_P_EV_CLIENT_ENDS, NULL, NULL, 0, 0);
        why_dg_say(inc, WHY_P_CLIENT_RESET, NULL, NULL, NULL, t->status, 0, 0, 0);
        found = true;
    }
    if (!found && ce.client_gave_up) {
        why_dg_cause(inc, WHY_CAUSE_CLIENT_ABORT);
        inc->wait_us = why_ts_wait_us(t->req_ts, ce.ts);
        f.a->wait_us = inc->wait_us;
        why_dg_ev_conn(inc, WHY_EVK_GIVE_UP, t->rc, WHY_C2S, ce.frame, ce.ts, WHY_P_EV_CLIENT_GIVES_UP, NULL, NULL, 0, 0);
        if (x->up && !x->up->has_resp)
            f.a->upstream_state = 2; /* the origin had not answered */
        else if (!direct && x->nattempts == 0 && !x->up)
            f.a->upstream_state = 3; /* not sent upstream yet */
        else
            f.a->upstream_state = 1; /* nothing pending upstream */
        why_dg_param(inc, "waited=%.3fs", secs(inc->wait_us));
        why_dg_say(inc, WHY_P_CLIENT_ABORT, NULL, NULL, NULL, inc->wait_us, 0, 0, 0);
        found = true;
    }
    if (!found && ce.gateway_closed) {
        why_dg_cause(inc, WHY_CAUSE_CLOSED_WITHOUT_RESPONSE);
        why_dg_ev_conn(inc, WHY_EVK_GIVE_UP, t->rc, WHY_S2C, ce.frame, ce.ts, WHY_P_EV_GW_CLOSES, NULL, NULL, 0, 0);
        why_dg_say(inc, WHY_P_CLOSED_NO_ANSWER, NULL, NULL, NULL, 0, 0, 0, 0);
        found = true;
    }
    if (!found && t->has_resp && !t->resp_done) {
        why_dg_cause(inc, direct ? WHY_CAUSE_CLOSED_IN_BODY
                          : blind ? WHY_CAUSE_GATEWAY_CLAIM : WHY_CAUSE_GATEWAY_ERROR);
        why_dg_say(inc, blind ? WHY_P_CUT_SHORT_HALF : WHY_P_CUT_SHORT, NULL, NULL, NULL,
                   t->status, 0, 0, 0);
        found = true;
    }
    if (!found && why_rec_conn(t->rc)->miss->half[WHY_S2C].gap_bytes && t->rc->resp_dead) {
        /* the answer's bytes went missing from the capture: nothing can be said about it */
        return WHY_VERDICT_UNREADABLE;
    }
    if (!found && why_partial_conn_unfollowed(t, cx->now))
        return WHY_VERDICT_UNREADABLE;
    if (!found) {
        why_dg_cause(inc, WHY_CAUSE_NO_RESPONSE_IN_CAPTURE);
        inc->wait_us = why_ts_wait_us(t->req_ts, cx->now);
        why_dg_say(inc, WHY_P_CAPTURE_ENDED, NULL, NULL, NULL, 0, 0, 0, 0);
    }
    /* evidence of the upstream side and of the answer */
    for (uint32_t i = 0; i < x->ndns && inc->dns_queries == 0; i++)
        why_dg_ev_dns(inc, WHY_EVK_DNS_QUERY, f.gw, x->dns[i], WHY_C2S, x->dns[i]->q_frame, x->dns[i]->q_ts,
            WHY_P_EV_DNS_QUERY_FOR, NULL, 0, 0);
    for (uint32_t i = 0; i < x->nattempts && !direct; i++)
        why_dg_conn_evidence(inc, x->attempts[i]);
    if (t->has_resp) {
        why_dg_ev_conn(inc, WHY_EVK_RESPONSE, t->rc, WHY_S2C, t->resp_first_frame, t->resp_first_ts, WHY_P_EV_ANSWERS,
            NULL, NULL, t->status, direct);
    } else if (t->h2_stream && t->h2_end == WHY_H2_END_RST && t->h2->by == WHY_S2C) {
        /* no answer, the client's stream reset by the gateway: how the request ended for the
         * client, whatever the cause upstream (HAProxy refused the stream, REFUSED_STREAM, 2 s
         * after its upstream window stalled, and curl sent the request again) */
        char code[32];
        h2_code_name(t->h2->code, code, sizeof code);
        why_dg_ev_conn(inc, WHY_EVK_H2_RST_STREAM, t->rc, WHY_S2C, t->h2->end_frame, t->h2->end_ts, WHY_P_EV_H2_RST,
            code, "", t->h2_stream, 0);
    }
    /* the gateway's own request behind an opaque (TLS, no keys) client connection: the one
     * connection open then carried the client's request, hidden in TLS */
    if (direct && x->opaque_gateway && x->client_conn)
        opaque_client_evidence(inc, x->client_conn);
    why_dg_finish(inc, x, f.gw);
    return WHY_VERDICT_FAILED;
}

/* A failure no client request was joined to: DNS queries for one name that all failed, or a
 * host's connection attempts to one address that never got through. In a capture taken on a
 * client (or of a gateway whose client leg is not in the capture) these are the whole story;
 * next to a client leg, they are whatever the joining could not place: never lost. */
bool why_diagnose_unjoined(const struct why_diag_ctx *cx, const struct why_join *x,
                           struct why_diagnosis *dg)
{
    diagnosis_clear(dg);
    struct why_incident *inc = &dg->inc;
    char who[64];
    struct why_dg_ctx f = {cx->gw, who, &dg->fix};
    f.a->wait_us = -1;
    const struct why_addr *origin = NULL;
    if (x->ndns) {
        origin = &x->dns[0]->cli;
        why_str_copy(f.a->host, sizeof f.a->host, x->dns[0]->qname);
        inc->ts = x->dns[0]->q_ts;
        inc->request_frame = x->dns[0]->q_frame;
    } else if (x->nattempts) {
        const struct why_conn *c = why_rec_conn(x->attempts[0]);
        origin = x->passthrough ? &why_rec_conn(x->client_conn)->cli_addr : &c->cli_addr;
        why_addr_str(&c->srv_addr, f.a->addr, sizeof f.a->addr);
        why_fmt(f.a->port, sizeof f.a->port, "%u", c->srv_port);
        why_str_copy(f.a->host, sizeof f.a->host, f.a->addr);
        inc->ts = c->first_ts;
        inc->request_frame = c->first_frame;
        inc->file = c->file;
        inc->has_upstream = true;
        inc->upstream_addr = c->srv_addr;
        inc->upstream_port = c->srv_port;
        inc->attempts = x->nattempts;
    } else {
        return false;
    }
    why_addr_str(origin, who, sizeof who);
    why_str_copy(f.a->who, sizeof f.a->who, who);
    inc->client_addr = *origin;
    why_str_copy(inc->upstream_host, sizeof inc->upstream_host, f.a->host);
    bool found;
    if (x->ndns)
        found = dns_cause(inc, x, &f);
    else if (x->passthrough && passthrough_cause(inc, x, &f))
        found = true;
    else if (x->up_conn && x->up_conn->app == WHY_APP_TLS)
        found = tls_cause(inc, x, &f);
    else
        found = connect_cause(inc, x, &f);
    if (!found)
        return false;
    inc->kind = WHY_KIND_UNJOINED;
    if (x->client_conn) {
        /* the client connection the gateway was serving then (HTTPS: its request is opaque) */
        const struct why_conn *cc = why_rec_conn(x->client_conn);
        inc->kind = WHY_KIND_GATEWAY;
        inc->has_client = true;
        inc->via_gateway = true;
        inc->client_addr = cc->cli_addr;
        inc->client_port = cc->cli_port;
        inc->gateway_addr = cc->srv_addr;
        inc->gateway_port = cc->srv_port;
        inc->method[0] = inc->url[0] = 0; /* the request is encrypted: not guessed */
        why_str_copy(inc->sni, sizeof inc->sni, x->client_conn->tls->sni);
        inc->request_frame = cc->first_frame;
        opaque_client_evidence(inc, x->client_conn);
        inc->tls_unfinished = x->passthrough || x->relay_cut;
        if (x->relay_cut) { /* the client's ClientHello, and the gateway's cut (the join's end) */
            char gw[64];
            why_endpoint_str(&cc->srv_addr, cc->srv_port, gw, sizeof gw);
            why_dg_ev_conn(inc, WHY_EVK_TLS_HELLO, x->client_conn, WHY_C2S, cc->half[WHY_C2S].first_data_frame,
                cc->half[WHY_C2S].first_data_ts, WHY_P_EV_PT_HELLO, gw, NULL, 0, 0);
            why_dg_ev_conn(inc, x->end_frame == cc->half[WHY_S2C].end->rst_frame ? WHY_EVK_RST : WHY_EVK_FIN,
                x->client_conn, WHY_S2C, x->end_frame, x->end_ts, WHY_P_EV_GW_CLOSES, NULL, NULL, 0, 0);
        }
        if (x->passthrough) /* the peers' handshake, not the gateway's: the origin's
                               certificate or alert, or the client's alert */
            inc->kind = inc->cause == WHY_CAUSE_TLS_PASSTHROUGH_ALERT && passthrough_alert_facts(x)->alert_dir != WHY_S2C
                            ? WHY_KIND_CLIENT : WHY_KIND_ORIGIN;
    }
    why_dg_finish(inc, x, f.gw);
    return true;
}
