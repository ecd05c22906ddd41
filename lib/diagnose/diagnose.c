/* Diagnosis: ordered rules over one join, first cause wins, phase by phase as a request
 * travels (DNS, connect, TLS, request/response), then the gateway, the client and the capture.
 * Each cause is an entry of the catalogue (causes.c: RFC 9209 Proxy-Status error type + our
 * detail); evidence is data (evidence.c); the words are lib/render's. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose/evidence.h"
#include "proto/tls.h"
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

static struct client_end client_leg_end(const struct why_join *x)
{
    struct client_end e = {0};
    const struct why_txn *t = x->client;
    const struct why_conn *c = why_rec_conn(t->rc);
    const struct why_tcp_half *cl = &c->half[WHY_C2S], *gw = &c->half[WHY_S2C];
    struct why_ts ct = {0, 0}, gt = {0, 0};
    uint64_t cf = cl->rst_frame ? cl->rst_frame : cl->fin_frame;
    uint64_t gf = gw->rst_frame ? gw->rst_frame : gw->fin_frame;
    if (cf)
        ct = cl->rst_frame ? cl->rst_ts : cl->fin_ts;
    if (gf)
        gt = gw->rst_frame ? gw->rst_ts : gw->fin_ts;
    if (!t->has_resp) {
        /* a FIN from the client alone is not giving up (HTTP/1.0 half-close); a RST is, and a
         * FIN is when the gateway then answers nothing */
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
    struct why_ts first = {0, 0}, last = {0, 0};
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
    inc->dns_us = why_ts_diff_us(first, last);
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
            waited = why_ts_diff_us(first, x->end_ts);
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
    return n ? c->syn_ts[n - 1] : c->first_ts;
}

static bool connect_cause(struct why_incident *inc, const struct why_join *x, struct why_dg_ctx *f)
{
    if (x->nattempts == 0)
        return false;
    for (uint32_t i = 0; i < x->nattempts; i++)
        if (why_rec_conn(x->attempts[i])->established || why_rec_conn(x->attempts[i])->syn_count == 0)
            return false; /* connected, or no handshake in the capture to judge */
    /* the most telling attempt: ICMP, then RST, then silence */
    const struct why_conn_rec *pick = x->attempts[x->nattempts - 1];
    for (uint32_t i = 0; i < x->nattempts; i++) {
        const struct why_conn *c = why_rec_conn(x->attempts[i]);
        if (c->icmp_frame) {
            pick = x->attempts[i];
            break;
        }
        if (c->half[WHY_S2C].rst_frame)
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
            inc->schedule_us[inc->nschedule++] = why_ts_diff_us(c0->syn_ts[0], ci->syn_ts[k]);
    }
    char dst[64];
    why_endpoint_str(&c->srv_addr, c->srv_port, dst, sizeof dst);
    if (c->icmp_frame) {
        why_dg_cause(inc, icmp_cause(c->icmp_ipver, c->icmp_type, c->icmp_code));
        why_addr_str(&c->icmp_from, f->a->icmp_from, sizeof f->a->icmp_from);
        why_dg_param(inc, "icmp_type=%u icmp_code=%u from=%s tries=%u", c->icmp_type, c->icmp_code,
           f->a->icmp_from, tries);
        inc->connect_us = why_ts_diff_us(c0->syn_ts[0], c->icmp_ts);
        why_dg_say(inc, WHY_P_SYN_ICMP, f->who, dst, f->a->icmp_from, c->icmp_ipver, c->icmp_type, c->icmp_code, tries);
    } else if (c->half[WHY_S2C].rst_frame) {
        why_dg_cause(inc, WHY_CAUSE_RST);
        why_dg_param(inc, "tries=%u", tries);
        inc->connect_us = why_ts_diff_us(c0->syn_ts[0], c->half[WHY_S2C].rst_ts);
        why_dg_say(inc, WHY_P_SYN_RST, dst, f->who, NULL, tries, 0, 0, 0);
    } else {
        why_dg_cause(inc, WHY_CAUSE_SYN_UNANSWERED);
        /* the give-up is the gateway's answer to the client; without a client, the last SYN */
        struct why_ts give_up = x->end_frame ? x->end_ts : attempt_last_syn(why_rec_conn(x->attempts[x->nattempts - 1]));
        inc->connect_us = why_ts_diff_us(c0->syn_ts[0], give_up);
        inc->wait_us = inc->connect_us;
        char sched[120] = "";
        size_t o = 0;
        for (uint32_t i = 0; i < inc->nschedule && o + 12 < sizeof sched; i++)
            o += (size_t)snprintf(sched + o, sizeof sched - o, "%s%.1f", i ? "," : "",
                                  secs(inc->schedule_us[i]));
        why_dg_param(inc, "tries=%u schedule=%ss gave_up_after=%.1fs", tries, sched, secs(inc->connect_us));
        why_dg_say(inc, WHY_P_SYN_UNANSWERED, f->who, dst, NULL, tries, inc->connect_us, 0, 0);
    }
    return true;
}

/* The upstream request was sent: what came back. */
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
        inc->first_byte_us = why_ts_diff_us(u->req_ts, u->resp_first_ts);

    if (u->not_http) {
        why_dg_cause(inc, WHY_CAUSE_NOT_HTTP);
        char b[200];
        bytes_text(b, sizeof b, u->first_bytes, u->first_len > 32 ? 32 : u->first_len);
        inc->first_len = u->first_len > sizeof inc->first_bytes ? (uint32_t)sizeof inc->first_bytes : u->first_len;
        memcpy(inc->first_bytes, u->first_bytes, inc->first_len);
        why_dg_param(inc, "first_bytes=\"%s\"", b);
        why_dg_say(inc, WHY_P_NOT_HTTP, dst, b, NULL, 0, 0, 0, 0);
        why_dg_ev_conn(inc, WHY_EVK_RST, u->rc, WHY_S2C, srv->rst_frame, srv->rst_ts, WHY_P_EV_RST_FROM, dst, NULL, 0, 0);
        why_dg_ev_conn(inc, WHY_EVK_FIN, u->rc, WHY_S2C, srv->fin_frame, srv->fin_ts, WHY_P_EV_FIN_FROM, dst, NULL, 0, 0);
        return true;
    }
    if (!u->has_resp) {
        /* The origin's FIN or RST is its fault only when it came first: a FIN answering the
         * gateway's own close (timeout, client gone) is not. */
        struct why_ts gw_close = {0, 0};
        bool gw_closed = false;
        if (gw->fin_frame && why_ts_cmp(gw->fin_ts, u->req_ts) >= 0) {
            gw_close = gw->fin_ts;
            gw_closed = true;
        }
        if (gw->rst_frame && why_ts_cmp(gw->rst_ts, u->req_ts) >= 0 &&
            (!gw_closed || why_ts_cmp(gw->rst_ts, gw_close) < 0)) {
            gw_close = gw->rst_ts;
            gw_closed = true;
        }
        bool rst = srv->rst_frame && why_ts_diff_us(u->req_first_ts, srv->rst_ts) >= -WHY_SKEW_US &&
                   (!gw_closed || why_ts_cmp(srv->rst_ts, gw_close) < 0);
        bool fin = srv->fin_frame && why_ts_diff_us(u->req_first_ts, srv->fin_ts) >= -WHY_SKEW_US &&
                   (!gw_closed || why_ts_cmp(srv->fin_ts, gw_close) < 0);
        if (rst || fin) {
            struct why_ts t = rst ? srv->rst_ts : srv->fin_ts;
            if (rst && fin && why_ts_cmp(srv->fin_ts, srv->rst_ts) < 0) {
                rst = false;
                t = srv->fin_ts;
            }
            why_dg_cause(inc, rst ? WHY_CAUSE_RESET : WHY_CAUSE_CLOSED);
            inc->wait_us = why_ts_diff_us(u->req_ts, t);
            why_dg_ev_conn(inc, rst ? WHY_EVK_RST : WHY_EVK_FIN, u->rc, WHY_S2C, rst ? srv->rst_frame : srv->fin_frame, t,
                WHY_P_EV_CLOSE_EARLY, dst, NULL, rst, 0);
            why_dg_param(inc, "by=%s after=%.3fs", rst ? "RST" : "FIN", secs(inc->wait_us));
            why_dg_say(inc, WHY_P_CLOSED_EARLY, dst, NULL, NULL, rst, inc->wait_us, 0, 0);
            return true;
        }
        /* nothing from the origin: who gave up first? */
        struct why_ts gw_end = {0, 0};
        uint64_t gw_frame = 0;
        if (gw->fin_frame && why_ts_cmp(gw->fin_ts, u->req_ts) >= 0) {
            gw_end = gw->fin_ts;
            gw_frame = gw->fin_frame;
        }
        if (gw->rst_frame && why_ts_cmp(gw->rst_ts, u->req_ts) >= 0 &&
            (!gw_frame || why_ts_cmp(gw->rst_ts, gw_end) < 0)) {
            gw_end = gw->rst_ts;
            gw_frame = gw->rst_frame;
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
        why_dg_cause(inc, WHY_CAUSE_NO_RESPONSE);
        inc->wait_us = why_ts_diff_us(u->req_ts, gw_end);
        why_dg_ev_conn(inc, WHY_EVK_GIVE_UP, gw_frame == x->client->resp_first_frame ? x->client->rc : u->rc,
            gw_frame == x->client->resp_first_frame ? WHY_S2C : WHY_C2S, gw_frame, gw_end,
            WHY_P_EV_GIVES_UP, dst, NULL, 0, 0);
        f->a->wait_us = inc->wait_us;
        why_dg_param(inc, "wait=%.3fs", secs(inc->wait_us));
        why_dg_say(inc, WHY_P_NO_RESPONSE, dst, NULL, NULL, inc->wait_us, 0, 0, 0);
        return true;
    }
    if (!u->resp_done) {
        bool rst = srv->rst_frame != 0;
        bool fin = srv->fin_frame != 0;
        if (!rst && !fin)
            return false;
        why_dg_cause(inc, rst ? WHY_CAUSE_RESET_IN_BODY : WHY_CAUSE_CLOSED_IN_BODY);
        uint64_t got = u->body_bytes ? u->body_bytes : u->rc->c.half[WHY_S2C].bytes;
        snprintf(f->a->got, sizeof f->a->got, "%" PRIu64, got);
        if (u->expected_len >= 0)
            why_dg_param(inc, "by=%s status=%d body=%s of %" PRId64, rst ? "RST" : "FIN", u->status, f->a->got,
               u->expected_len);
        else
            why_dg_param(inc, "by=%s status=%d body=%s of unknown", rst ? "RST" : "FIN", u->status, f->a->got);
        why_dg_ev_conn(inc, rst ? WHY_EVK_RST : WHY_EVK_FIN, u->rc, WHY_S2C, rst ? srv->rst_frame : srv->fin_frame,
            rst ? srv->rst_ts : srv->fin_ts,
            WHY_P_EV_CLOSE_IN_BODY, dst, NULL, rst, 0);
        why_dg_say(inc, WHY_P_CUT_IN_BODY, dst, NULL, NULL, rst, u->status, (int64_t)got, u->expected_len >= 0);
        return true;
    }
    return false;
}

/* The origin spoke first, before the gateway sent any request, and not in HTTP (an SSH or
 * SMTP banner on the port the gateway was sent to): no upstream request could follow. */
static bool banner_cause(struct why_incident *inc, const struct why_join *x)
{
    const struct why_conn_rec *rc = x->up_conn;
    if (!rc || !rc->other.first_frame || rc->other.first_len == 0 ||
        why_http1_looks_like_response(rc->other.first, rc->other.first_len))
        return false;
    const struct why_conn *c = why_rec_conn(rc);
    char dst[64], b[200];
    why_endpoint_str(&c->srv_addr, c->srv_port, dst, sizeof dst);
    why_dg_cause(inc, WHY_CAUSE_NOT_HTTP);
    bytes_text(b, sizeof b, rc->other.first, rc->other.first_len > 32 ? 32 : rc->other.first_len);
    inc->first_len = rc->other.first_len > sizeof inc->first_bytes ? (uint32_t)sizeof inc->first_bytes
                                                                   : rc->other.first_len;
    memcpy(inc->first_bytes, rc->other.first, inc->first_len);
    why_dg_param(inc, "first_bytes=\"%s\" before_request=yes", b);
    why_dg_ev_conn(inc, WHY_EVK_DATA, rc, WHY_S2C, rc->other.first_frame, c->half[WHY_S2C].first_data_ts,
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
    if (rc->tls.reneg_frame && !rc->tls.reneg_renegotiated) {
        why_dg_ev_conn(inc, WHY_EVK_TLS_HELLO_REQUEST, rc, WHY_S2C, rc->tls.reneg_frame, rc->tls.reneg_ts, WHY_P_EV_RENEG,
            dst, NULL, 0, 0);
        /* refused: an alert back, or the gateway closing before the origin gave up */
        const struct why_tcp_half *gwh = &c->half[WHY_C2S], *srvh = &c->half[WHY_S2C];
        uint64_t gw_close = gwh->fin_frame ? gwh->fin_frame : gwh->rst_frame;
        uint64_t srv_close = srvh->fin_frame ? srvh->fin_frame : srvh->rst_frame;
        bool refused = rc->tls.reneg_answered ||
                       (gw_close > rc->tls.reneg_frame && (!srv_close || gw_close < srv_close));
        struct why_ts end = x->end_ts;
        const struct why_tcp_half *h = &c->half[WHY_S2C];
        if (h->fin_frame && why_ts_cmp(h->fin_ts, rc->tls.reneg_ts) > 0)
            end = h->fin_ts;
        if (h->rst_frame && why_ts_cmp(h->rst_ts, rc->tls.reneg_ts) > 0 && why_ts_cmp(h->rst_ts, end) < 0)
            end = h->rst_ts;
        if (why_ts_cmp(end, rc->tls.reneg_ts) < 0) { /* nothing ended it: the last packet */
            end = c->half[WHY_S2C].last_ts;
            if (why_ts_cmp(c->half[WHY_C2S].last_ts, end) > 0)
                end = c->half[WHY_C2S].last_ts;
        }
        inc->wait_us = why_ts_diff_us(rc->tls.reneg_ts, end);
        if (refused) {
            why_dg_cause(inc, WHY_CAUSE_RENEGOTIATION_REFUSED);
            if (rc->tls.reneg_answered)
                why_dg_ev_conn(inc, WHY_EVK_TLS_ALERT, rc, WHY_C2S, rc->tls.reneg_answer_frame, rc->tls.reneg_ts,
                    WHY_P_EV_RENEG_ALERT, NULL, NULL, 0, 0);
            why_dg_say(inc, WHY_P_RENEG_REFUSED, dst, rc->tls.sni, NULL, rc->tls.reneg_answered, 0, 0, 0);
        } else {
            why_dg_cause(inc, WHY_CAUSE_RENEGOTIATION_STALL);
            why_dg_say(inc, WHY_P_RENEG_STALL, dst, rc->tls.sni, NULL, inc->wait_us, 0, 0, 0);
        }
        why_dg_param(inc, "sni=%s answered=%s waited=%.3fs confirmed=%s", rc->tls.sni[0] ? rc->tls.sni : "-",
           rc->tls.reneg_answered ? "alert" : refused ? "close" : "no", secs(inc->wait_us),
           rc->tls.reneg_confirmed ? "HelloRequest" : "no_keys");
        why_dg_conn_evidence(inc, rc);
        return true;
    }
    /* certificate: the gateway's certificate alert, or a bad certificate it then left */
    bool cert_alert = rc->tls.alert_frame && rc->tls.alert_dir == WHY_C2S &&
                      ((rc->tls.alert_desc >= 42 && rc->tls.alert_desc <= 46) || rc->tls.alert_desc == 48);
    if (cert_alert || (rc->tls.cert_problem && !why_rec_tls_sent_data(rc))) {
        char an[40] = "";
        if (rc->tls.alert_frame)
            why_tls_alert_name(rc->tls.alert_desc, an, sizeof an);
        why_dg_cause(inc, WHY_CAUSE_TLS_CERTIFICATE);
        snprintf(f->a->cert, sizeof f->a->cert, "%s", rc->tls.cert_problem ? rc->tls.cert_text : an);
        if (rc->tls.cert_frame)
            why_dg_ev_conn(inc, WHY_EVK_TLS_CERTIFICATE, rc, WHY_S2C, rc->tls.cert_frame, c->half[WHY_S2C].last_ts,
                WHY_P_EV_CERT, dst, rc->tls.cert_problem ? rc->tls.cert_text : "", 0, 0);
        if (cert_alert)
            why_dg_ev_conn(inc, WHY_EVK_TLS_ALERT, rc, WHY_C2S, rc->tls.alert_frame, rc->tls.alert_ts, WHY_P_EV_GW_ALERT,
                an, NULL, 0, 0);
        why_dg_param(inc, "sni=%s certificate=\"%s\" alert=%s", rc->tls.sni[0] ? rc->tls.sni : "-",
           rc->tls.cert_problem ? rc->tls.cert_text : "-", cert_alert ? an : "-");
        why_dg_say(inc, WHY_P_CERT_REFUSED, dst, rc->tls.sni, rc->tls.cert_problem ? rc->tls.cert_text : "", cert_alert,
            0, 0, 0);
        why_dg_conn_evidence(inc, rc);
        return true;
    }
    if (rc->tls.alert_frame && rc->tls.alert_level == 2) {
        char an[40];
        const char *name = why_tls_alert_name(rc->tls.alert_desc, an, sizeof an);
        snprintf(f->a->alert, sizeof f->a->alert, "%s", name);
        why_dg_cause(inc, WHY_CAUSE_TLS_ALERT);
        why_dg_param(inc, "alert=%s from=%s", name, rc->tls.alert_dir == WHY_S2C ? "origin" : "gateway");
        why_dg_ev_conn(inc, WHY_EVK_TLS_ALERT, rc, rc->tls.alert_dir == WHY_S2C ? WHY_S2C : WHY_C2S, rc->tls.alert_frame,
            rc->tls.alert_ts, WHY_P_EV_ALERT, name, NULL, rc->tls.alert_dir == WHY_S2C, 0);
        why_dg_say(inc, WHY_P_TLS_ALERT, dst, rc->tls.sni, name, rc->tls.alert_dir == WHY_S2C, 0, 0, 0);
        return true;
    }
    /* the gateway finished the handshake and left without sending the request */
    const struct why_tcp_half *gwh = &c->half[WHY_C2S];
    if (rc->tls.ccs[WHY_S2C] && !why_rec_tls_sent_data(rc) && (gwh->fin_frame || gwh->rst_frame)) {
        why_dg_cause(inc, WHY_CAUSE_TLS_GATEWAY_LEFT);
        why_dg_ev_conn(inc, WHY_EVK_GIVE_UP, rc, WHY_C2S, gwh->fin_frame ? gwh->fin_frame : gwh->rst_frame, gwh->fin_frame ? gwh->fin_ts : gwh->rst_ts,
            WHY_P_EV_TLS_LEFT, dst, NULL, 0, 0);
        why_dg_param(inc, "sni=%s version=%s", rc->tls.sni[0] ? rc->tls.sni : "-", rc->tls.version == 0x0304 ? "1.3" : "1.2");
        why_dg_say(inc, WHY_P_TLS_GATEWAY_LEFT, dst, rc->tls.sni, NULL, rc->tls.version == 0x0304, 0, 0, 0);
        return true;
    }
    if (why_rec_tls_handshake_cut(rc)) {
        why_dg_cause(inc, WHY_CAUSE_TLS_HANDSHAKE_CLOSED);
        why_dg_conn_evidence(inc, rc);
        why_dg_param(inc, "by=%s", c->half[WHY_S2C].rst_frame ? "RST" : "FIN");
        why_dg_say(inc, WHY_P_TLS_CUT, dst, rc->tls.sni, NULL, c->half[WHY_S2C].rst_frame != 0, 0, 0, 0);
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

/* The gateway's own words are the only evidence (its upstream side is not in the capture):
 * gateway_claim, with the RFC 9209 type of the cause it names when it names one. */
static void claim_cause(struct why_incident *inc, const struct why_txn *t, enum why_cause_id claimed,
                        const char *claim)
{
    why_dg_cause(inc, WHY_CAUSE_GATEWAY_CLAIM);
    const struct why_cause *c = why_cause_get(claimed);
    if (c)
        inc->error = c->error;
    why_dg_param(inc, "claimed=%s", c ? c->detail : "unknown");
    why_dg_say(inc, WHY_P_CLAIM, claim, NULL, NULL, t->status, 0, 0, 0);
}

enum why_verdict why_diagnose(const struct why_diag_ctx *cx, const struct why_join *x,
                              struct why_diagnosis *dg)
{
    const struct why_txn *t = x->client;
    memset(dg, 0, sizeof *dg);
    struct why_incident *inc = &dg->inc;
    inc->dns_us = inc->connect_us = inc->first_byte_us = inc->wait_us = inc->total_us = -1;
    const struct why_conn *cc = why_rec_conn(t->rc);
    struct client_end ce = client_leg_end(x);

    /* A failure is a failure whatever the status: most gateways pass an origin's garbage or a
     * body cut by a reset on as a 200. */
    bool failed;
    const struct why_txn *up = x->up != t ? x->up : NULL;
    if (t->has_resp)
        failed = t->status >= 500 || (!t->resp_done && (cc->closed || ce.client_reset_in_body)) ||
                 (up && up->not_http) ||
                 (up && up->has_resp && !up->resp_done &&
                  (why_rec_conn(up->rc)->half[WHY_S2C].rst_frame ||
                   why_rec_conn(up->rc)->half[WHY_S2C].fin_frame));
    else
        failed = true;
    if (!failed)
        return WHY_VERDICT_OK;

    bool direct = x->up == t;
    inc->has_client = true;
    inc->via_gateway = !direct;
    inc->ts = t->req_ts;
    inc->file = cc->file;
    inc->client_addr = cc->cli_addr;
    inc->client_port = cc->cli_port;
    inc->gateway_addr = cc->srv_addr;
    inc->gateway_port = cc->srv_port;
    snprintf(inc->method, sizeof inc->method, "%s", t->method);
    struct why_url u;
    if (t->rc->app == WHY_APP_TLS)
        why_url_parse_https(t->method, t->target, t->target_len, t->host, &u);
    else
        why_url_parse(t->method, t->target, t->target_len, t->host, &u);
    snprintf(inc->url, sizeof inc->url, "%s", u.abs);
    inc->status = t->has_resp ? t->status : 0;
    if (t->claim[0] && t->title[0])
        snprintf(inc->claim, sizeof inc->claim, "%s | %s", t->claim, t->title);
    else
        snprintf(inc->claim, sizeof inc->claim, "%s", t->claim[0] ? t->claim : t->title);
    snprintf(inc->server, sizeof inc->server, "%s", t->server);
    inc->request_frame = t->req_frame;
    inc->response_frame = t->resp_first_frame;
    /* the TLS server name the client asked for: HTTPS decrypted, or inside a CONNECT tunnel */
    snprintf(inc->sni, sizeof inc->sni, "%s", t->rc->tls.sni);
    inc->attempts = direct ? 0 : x->nattempts;
    snprintf(inc->upstream_host, sizeof inc->upstream_host, "%s", u.host);
    if (x->up_conn) {
        const struct why_conn *uc = why_rec_conn(x->up_conn);
        inc->has_upstream = !direct;
        inc->upstream_addr = uc->srv_addr;
        inc->upstream_port = uc->srv_port;
    }
    if (t->has_resp)
        inc->total_us = why_ts_diff_us(t->req_ts, t->resp_first_ts);
    else if (ce.frame)
        inc->total_us = why_ts_diff_us(t->req_ts, ce.ts);

    char cli[64];
    why_endpoint_str(&cc->cli_addr, cc->cli_port, cli, sizeof cli);
    why_dg_ev_conn(inc, WHY_EVK_REQUEST, t->rc, WHY_C2S, t->req_frame, t->req_ts, WHY_P_EV_REQUEST, t->method, cli, 0, 0);

    struct why_dg_ctx f = {cx->gw, "", &dg->fix};
    f.a->wait_us = -1;
    snprintf(f.a->host, sizeof f.a->host, "%s", u.host);
    snprintf(f.a->claim, sizeof f.a->claim, "%s", inc->claim);
    f.a->claim_none = 1;
    if (x->up_conn) {
        const struct why_conn *uc = why_rec_conn(x->up_conn);
        why_addr_str(&uc->srv_addr, f.a->addr, sizeof f.a->addr);
        snprintf(f.a->port, sizeof f.a->port, "%u", uc->srv_port);
    } else if (u.host[0]) {
        snprintf(f.a->addr, sizeof f.a->addr, "%s", u.host);
        snprintf(f.a->port, sizeof f.a->port, "%u", u.port);
    }
    snprintf(f.a->status, sizeof f.a->status, "%d", t->status);

    bool found = false;
    /* 1. origin's own 5xx passed through */
    if (x->up && !direct && x->up->has_resp && x->up->status >= 500 && t->has_resp &&
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
        enum why_cause_id d = claim_cause_id(t->claim, t->title);
        if (d != NO_CAUSE || t->via[0] || t->claim[0]) {
            claim_cause(inc, t, d, f.a->claim);
        } else {
            why_dg_cause(inc, WHY_CAUSE_ORIGIN_5XX);
            why_dg_param(inc, "status=%d", t->status);
            why_dg_say(inc, WHY_P_SERVER_5XX, f.a->addr, NULL, NULL, t->status, 0, 0, 0);
        }
        found = true;
    }
    /* 2. phases: DNS, connect, TLS, response */
    if (!found && !direct && x->nattempts == 0 && !x->up)
        found = dns_cause(inc, x, &f);
    if (!found && !x->up)
        found = connect_cause(inc, x, &f);
    if (!found && direct && !why_rec_conn(t->rc)->established)
        found = connect_cause(inc, x, &f);
    if (!found)
        found = tls_cause(inc, x, &f);
    if (!found)
        found = response_cause(inc, x, &ce, &f);
    if (!found && !direct && !x->up)
        found = banner_cause(inc, x);
    /* 3. the gateway answered 5xx and nothing upstream explains it */
    if (!found && t->has_resp && t->status >= 500 && !direct) {
        if (!x->up && x->nattempts == 0 && x->ndns == 0 && x->upstream_visible) {
            why_dg_cause(inc, WHY_CAUSE_NO_UPSTREAM_ATTEMPT);
            why_dg_say(inc, WHY_P_NO_UPSTREAM, NULL, NULL, NULL, t->status, 0, 0, 0);
        } else if (!x->upstream_visible) {
            claim_cause(inc, t, claim_cause_id(t->claim, t->title), f.a->claim);
        } else {
            why_dg_cause(inc, WHY_CAUSE_GATEWAY_ERROR);
            why_dg_say(inc, WHY_P_GATEWAY_ERROR, NULL, NULL, NULL, t->status, 0, 0, 0);
        }
        found = true;
    }
    /* 4. the client leg */
    if (!found && ce.client_reset_in_body) {
        why_dg_cause(inc, WHY_CAUSE_CLIENT_RESET_RESPONSE);
        why_dg_ev_conn(inc, WHY_EVK_GIVE_UP, t->rc, WHY_C2S, ce.frame, ce.ts, WHY_P_EV_CLIENT_ENDS, NULL, NULL, 0, 0);
        why_dg_say(inc, WHY_P_CLIENT_RESET, NULL, NULL, NULL, t->status, 0, 0, 0);
        found = true;
    }
    if (!found && ce.client_gave_up) {
        why_dg_cause(inc, WHY_CAUSE_CLIENT_ABORT);
        inc->wait_us = why_ts_diff_us(t->req_ts, ce.ts);
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
        why_dg_cause(inc, direct ? WHY_CAUSE_CLOSED_IN_BODY : WHY_CAUSE_GATEWAY_ERROR);
        why_dg_say(inc, WHY_P_CUT_SHORT, NULL, NULL, NULL, t->status, 0, 0, 0);
        found = true;
    }
    if (!found && t->rc->gap_bytes[WHY_S2C] && t->rc->resp_dead) {
        /* the answer's bytes went missing from the capture: nothing can be said about it */
        return WHY_VERDICT_UNREADABLE;
    }
    if (!found) {
        why_dg_cause(inc, WHY_CAUSE_NO_RESPONSE_IN_CAPTURE);
        inc->wait_us = why_ts_diff_us(t->req_ts, cx->now);
        why_dg_say(inc, WHY_P_CAPTURE_ENDED, NULL, NULL, NULL, 0, 0, 0, 0);
    }
    /* evidence of the upstream side and of the answer */
    for (uint32_t i = 0; i < x->ndns && inc->dns_queries == 0; i++)
        why_dg_ev_dns(inc, WHY_EVK_DNS_QUERY, f.gw, x->dns[i], WHY_C2S, x->dns[i]->q_frame, x->dns[i]->q_ts,
            WHY_P_EV_DNS_QUERY_FOR, NULL, 0, 0);
    for (uint32_t i = 0; i < x->nattempts && !direct; i++)
        why_dg_conn_evidence(inc, x->attempts[i]);
    if (t->has_resp)
        why_dg_ev_conn(inc, WHY_EVK_RESPONSE, t->rc, WHY_S2C, t->resp_first_frame, t->resp_first_ts, WHY_P_EV_ANSWERS,
            NULL, NULL, t->status, direct);
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
    memset(dg, 0, sizeof *dg);
    struct why_incident *inc = &dg->inc;
    inc->dns_us = inc->connect_us = inc->first_byte_us = inc->wait_us = inc->total_us = -1;
    char who[64];
    struct why_dg_ctx f = {cx->gw, who, &dg->fix};
    f.a->wait_us = -1;
    const struct why_addr *origin = NULL;
    if (x->ndns) {
        origin = &x->dns[0]->cli;
        snprintf(f.a->host, sizeof f.a->host, "%s", x->dns[0]->qname);
        inc->ts = x->dns[0]->q_ts;
        inc->request_frame = x->dns[0]->q_frame;
    } else if (x->nattempts) {
        const struct why_conn *c = why_rec_conn(x->attempts[0]);
        origin = &c->cli_addr;
        why_addr_str(&c->srv_addr, f.a->addr, sizeof f.a->addr);
        snprintf(f.a->port, sizeof f.a->port, "%u", c->srv_port);
        snprintf(f.a->host, sizeof f.a->host, "%s", f.a->addr);
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
    inc->client_addr = *origin;
    snprintf(inc->upstream_host, sizeof inc->upstream_host, "%s", f.a->host);
    bool found;
    if (x->ndns)
        found = dns_cause(inc, x, &f);
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
        snprintf(inc->sni, sizeof inc->sni, "%s", x->client_conn->tls.sni);
        inc->request_frame = cc->first_frame;
        char cli[64];
        why_dg_ev_conn(inc, cc->syn_count && cc->syn_frames[0] == cc->first_frame ? WHY_EVK_SYN : WHY_EVK_DATA,
            x->client_conn, WHY_C2S, cc->first_frame, cc->first_ts, WHY_P_EV_CLIENT_CONN,
            why_endpoint_str(&cc->cli_addr, cc->cli_port, cli, sizeof cli), x->client_conn->tls.sni, 0, 0);
    }
    why_dg_finish(inc, x, f.gw);
    return true;
}
