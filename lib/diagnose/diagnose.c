/* Diagnosis: ordered rules over one exchange, first cause wins, phase by phase as a request
 * travels (DNS, connect, TLS, request/response), then the client and the capture. Each cause is
 * an entry of the catalogue below (RFC 9209 Proxy-Status error type + our detail); the
 * catalogue is the single source of docs/causes.md. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose/diagnose.h"
#include "util/url.h"

/* ---- evidence ---- */

static void ev(struct why_incident *inc, uint64_t frame, struct why_ts ts, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void ev(struct why_incident *inc, uint64_t frame, struct why_ts ts, const char *fmt, ...)
{
    if (!frame)
        return;
    for (uint32_t i = 0; i < inc->nevidence; i++)
        if (inc->evidence[i].frame == frame)
            return;
    if (inc->nevidence >= WHY_EVIDENCE_MAX)
        return;
    struct why_evidence *e = &inc->evidence[inc->nevidence++];
    e->frame = frame;
    e->file = inc->file;
    e->ts = ts;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->what, sizeof e->what, fmt, ap);
    va_end(ap);
}

static int ev_cmp(const void *a, const void *b)
{
    const struct why_evidence *x = a, *y = b;
    if (x->file != y->file)
        return x->file < y->file ? -1 : 1;
    return x->frame < y->frame ? -1 : x->frame > y->frame;
}

static double secs(int64_t us) { return (double)us / 1e6; }

/* "1.23 s" / "850 ms" / "0.4 ms" */
static void fmt_wait(char *buf, size_t n, int64_t us)
{
    if (us < 0)
        snprintf(buf, n, "?");
    else if (us >= 10000000)
        snprintf(buf, n, "%.0f s", secs(us));
    else if (us >= 1000000)
        snprintf(buf, n, "%.2f s", secs(us));
    else if (us >= 1000)
        snprintf(buf, n, "%.0f ms", (double)us / 1000.0);
    else
        snprintf(buf, n, "%.1f ms", (double)us / 1000.0);
}

struct fixctx {
    const char *host, *claim;
    const char *who;              /* "The gateway", or the host's address for unjoined failures */
    char addr[64], port[8], dns[64], icmp_from[64], wait[32], got[32], status[8], alert[48];
    char upstream_state[160];
    char cert[160];
};

/* Expands {name} placeholders of a catalogue fix. */
static void expand(char *out, size_t size, const char *tmpl, const struct fixctx *f)
{
    size_t o = 0;
    for (const char *p = tmpl; *p && o + 1 < size;) {
        if (*p == '{') {
            const char *end = strchr(p, '}');
            if (end) {
                char name[24];
                size_t nl = (size_t)(end - p - 1);
                if (nl < sizeof name) {
                    memcpy(name, p + 1, nl);
                    name[nl] = 0;
                    const char *v = NULL;
                    if (!strcmp(name, "host")) v = f->host;
                    else if (!strcmp(name, "claim")) v = f->claim;
                    else if (!strcmp(name, "addr")) v = f->addr;
                    else if (!strcmp(name, "port")) v = f->port;
                    else if (!strcmp(name, "dns")) v = f->dns;
                    else if (!strcmp(name, "icmp_from")) v = f->icmp_from;
                    else if (!strcmp(name, "wait")) v = f->wait;
                    else if (!strcmp(name, "got")) v = f->got;
                    else if (!strcmp(name, "status")) v = f->status;
                    else if (!strcmp(name, "alert")) v = f->alert;
                    else if (!strcmp(name, "upstream_state")) v = f->upstream_state;
                    else if (!strcmp(name, "cert")) v = f->cert;
                    if (v) {
                        if (!v[0])
                            v = "?";
                        size_t vl = strlen(v);
                        if (vl > size - 1 - o)
                            vl = size - 1 - o;
                        memcpy(out + o, v, vl);
                        o += vl;
                        p = end + 1;
                        continue;
                    }
                }
            }
        }
        out[o++] = *p++;
    }
    out[o] = 0;
}

static void set_cause(struct why_incident *inc, const char *detail)
{
    const struct why_cause *c = why_cause_find(detail);
    inc->detail = c ? c->detail : detail;
    inc->error = c ? c->error : NULL;
    if (c && !strcmp(c->kind, "origin"))
        inc->kind = WHY_KIND_ORIGIN;
    else if (c && !strcmp(c->kind, "client"))
        inc->kind = WHY_KIND_CLIENT;
    else if (c && !strcmp(c->kind, "capture"))
        inc->kind = WHY_KIND_CAPTURE;
    else
        inc->kind = WHY_KIND_GATEWAY;
}

static void dt(struct why_incident *inc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void dt(struct why_incident *inc, const char *fmt, ...)
{
    size_t used = strlen(inc->detail_text);
    if (used + 2 >= sizeof inc->detail_text)
        return;
    if (used)
        inc->detail_text[used++] = ' ';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(inc->detail_text + used, sizeof inc->detail_text - used, fmt, ap);
    va_end(ap);
}

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

static const char *icmp_detail(uint8_t ver, uint8_t type, uint8_t code)
{
    if (ver == 4 && type == 3) {
        switch (code) {
        case 0: case 6: case 11: return "net_unreachable";
        case 1: case 7: case 12: return "host_unreachable";
        case 2: case 3: return "port_unreachable";
        case 9: case 10: case 13: return "admin_prohibited";
        default: return "host_unreachable";
        }
    }
    if (ver == 4 && type == 11)
        return "ttl_exceeded";
    if (ver == 6 && type == 1) {
        switch (code) {
        case 0: return "net_unreachable";
        case 1: case 5: case 6: return "admin_prohibited";
        case 4: return "port_unreachable";
        default: return "host_unreachable";
        }
    }
    if (ver == 6 && type == 3)
        return "ttl_exceeded";
    return "host_unreachable";
}

static void conn_evidence(struct why_incident *inc, const struct why_conn_rec *rc)
{
    const struct why_conn *c = why_rec_conn(rc);
    char dst[64];
    why_endpoint_str(&c->srv_addr, c->srv_port, dst, sizeof dst);
    uint32_t n = c->syn_count < WHY_SYN_TRIES_MAX ? c->syn_count : WHY_SYN_TRIES_MAX;
    for (uint32_t i = 0; i < n; i++)
        ev(inc, c->syn_frames[i], c->syn_ts[i], i ? "SYN to %s retransmitted (try %u)" : "SYN to %s",
           dst, i + 1);
    ev(inc, c->synack_frame, c->synack_ts, "SYN-ACK from %s", dst);
    ev(inc, c->icmp_frame, c->icmp_ts, "ICMP%s type %u code %u about the SYN to %s",
       c->icmp_ipver == 6 ? "v6" : "", c->icmp_type, c->icmp_code, dst);
    ev(inc, c->half[WHY_S2C].rst_frame, c->half[WHY_S2C].rst_ts, "RST from %s", dst);
    ev(inc, c->half[WHY_S2C].fin_frame, c->half[WHY_S2C].fin_ts, "FIN from %s", dst);
    ev(inc, c->half[WHY_C2S].rst_frame, c->half[WHY_C2S].rst_ts, "RST to %s", dst);
    ev(inc, c->half[WHY_C2S].fin_frame, c->half[WHY_C2S].fin_ts, "FIN to %s", dst);
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

static bool dns_cause(struct why_incident *inc, const struct why_join *x, struct fixctx *f)
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
    why_addr_str(&x->dns[0]->srv, f->dns, sizeof f->dns);
    inc->dns_queries = x->ndns;
    inc->dns_us = why_ts_diff_us(first, last);
    for (uint32_t i = 0; i < x->ndns; i++) {
        const struct why_dns_rec *d = x->dns[i];
        char tn[12];
        const char *qt = why_dns_type_name(d->qtype, tn, sizeof tn);
        ev(inc, d->q_frame, d->q_ts, "DNS query %s %s to %s", qt, d->qname, f->dns);
        if (d->last_q_frame != d->q_frame)
            ev(inc, d->last_q_frame, d->last_q_ts, "DNS query %s %s retransmitted (%u tries)", qt,
               d->qname, d->tries);
        if (d->answered)
            ev(inc, d->a_frame, d->a_ts, "DNS answer %s for %s %s", why_dns_rcode_name(d->rcode), qt,
               d->qname);
        if (d->icmp)
            ev(inc, d->icmp_frame, d->last_q_ts, "ICMP error about the DNS query for %s", d->qname);
    }
    char w[32];
    fmt_wait(w, sizeof w, inc->dns_us);
    if (err) {
        const char *name = why_dns_rcode_name(err->rcode);
        if (err->rcode == WHY_DNS_NXDOMAIN)
            set_cause(inc, "nxdomain");
        else if (err->rcode == WHY_DNS_SERVFAIL)
            set_cause(inc, "servfail");
        else if (err->rcode == WHY_DNS_REFUSED)
            set_cause(inc, "refused");
        else
            set_cause(inc, "dns_rcode");
        dt(inc, "rcode=%s queries=%u", name, x->ndns);
        snprintf(inc->summary, sizeof inc->summary, "DNS server %s answered %s for %s (%u %s, %s).",
                 f->dns, name, err->qname, x->ndns, x->ndns == 1 ? "query" : "queries", w);
        inc->wait_us = inc->dns_us;
    } else if (nodata) {
        set_cause(inc, "nodata");
        dt(inc, "queries=%u", x->ndns);
        snprintf(inc->summary, sizeof inc->summary,
                 "DNS server %s answered %s with no address (NODATA) for every query (%u, %s).", f->dns,
                 nodata->qname, x->ndns, w);
        inc->wait_us = inc->dns_us;
    } else if (answered == 0 && !icmp && !x->end_frame && x->client) {
        return false; /* the capture ended while the gateway still waited: nothing to blame */
    } else if (answered == 0) {
        set_cause(inc, icmp ? "dns_unreachable" : "no_answer");
        /* the wait is until the gateway gave up on the name: its answer to the client (or the
         * client's leaving), not the last retransmission */
        int64_t waited = inc->dns_us;
        if (x->end_frame && why_ts_cmp(x->end_ts, first) > 0)
            waited = why_ts_diff_us(first, x->end_ts);
        fmt_wait(w, sizeof w, waited);
        dt(inc, "queries=%u sends=%u wait=%.3fs", x->ndns, tries, secs(waited));
        snprintf(inc->summary, sizeof inc->summary,
                 "DNS server %s never answered: %u %s for %s, %u %s in all, given up after %s.",
                 f->dns, x->ndns, x->ndns == 1 ? "query" : "queries", x->dns[0]->qname, tries,
                 tries == 1 ? "send" : "sends", w);
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

static bool connect_cause(struct why_incident *inc, const struct why_join *x, struct fixctx *f)
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
        conn_evidence(inc, x->attempts[i]);
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
        set_cause(inc, icmp_detail(c->icmp_ipver, c->icmp_type, c->icmp_code));
        why_addr_str(&c->icmp_from, f->icmp_from, sizeof f->icmp_from);
        dt(inc, "icmp_type=%u icmp_code=%u from=%s tries=%u", c->icmp_type, c->icmp_code,
           f->icmp_from, tries);
        inc->connect_us = why_ts_diff_us(c0->syn_ts[0], c->icmp_ts);
        snprintf(inc->summary, sizeof inc->summary,
                 "%s's SYN to %s drew ICMP%s type %u code %u from %s (%u %s).", f->who, dst,
                 c->icmp_ipver == 6 ? "v6" : "", c->icmp_type, c->icmp_code, f->icmp_from, tries,
                 tries == 1 ? "try" : "tries");
    } else if (c->half[WHY_S2C].rst_frame) {
        set_cause(inc, "rst");
        dt(inc, "tries=%u", tries);
        inc->connect_us = why_ts_diff_us(c0->syn_ts[0], c->half[WHY_S2C].rst_ts);
        snprintf(inc->summary, sizeof inc->summary,
                 "%s answered the SYN from %s with a reset (%u %s): connection refused.", dst, f->who, tries,
                 tries == 1 ? "try" : "tries");
    } else {
        set_cause(inc, "syn_unanswered");
        /* the give-up is the gateway's answer to the client; without a client, the last SYN */
        struct why_ts give_up = x->end_frame ? x->end_ts : attempt_last_syn(why_rec_conn(x->attempts[x->nattempts - 1]));
        inc->connect_us = why_ts_diff_us(c0->syn_ts[0], give_up);
        inc->wait_us = inc->connect_us;
        char sched[120] = "";
        size_t o = 0;
        for (uint32_t i = 0; i < inc->nschedule && o + 12 < sizeof sched; i++)
            o += (size_t)snprintf(sched + o, sizeof sched - o, "%s%.1f", i ? "," : "",
                                  secs(inc->schedule_us[i]));
        dt(inc, "tries=%u schedule=%ss gave_up_after=%.1fs", tries, sched, secs(inc->connect_us));
        char w[32];
        fmt_wait(w, sizeof w, inc->connect_us);
        snprintf(inc->summary, sizeof inc->summary,
                 "%s sent %u SYNs to %s (at %ss) and got no answer; it gave up after %s.", f->who,
                 tries, dst, sched, w);
    }
    return true;
}

/* The upstream request was sent: what came back. */
static bool response_cause(struct why_incident *inc, const struct why_join *x,
                           const struct client_end *ce, struct fixctx *f)
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
        ev(inc, u->req_frame, u->req_ts, "upstream request %s to %s", u->method, dst);
    ev(inc, u->resp_first_frame, u->resp_first_ts, "first response bytes from %s", dst);
    inc->upstream_status = u->status;
    if (u->resp_first_frame)
        inc->first_byte_us = why_ts_diff_us(u->req_ts, u->resp_first_ts);

    if (u->not_http) {
        set_cause(inc, "not_http");
        char b[200];
        bytes_text(b, sizeof b, u->first_bytes, u->first_len > 32 ? 32 : u->first_len);
        inc->first_len = u->first_len > sizeof inc->first_bytes ? (uint32_t)sizeof inc->first_bytes : u->first_len;
        memcpy(inc->first_bytes, u->first_bytes, inc->first_len);
        dt(inc, "first_bytes=\"%s\"", b);
        snprintf(inc->summary, sizeof inc->summary,
                 "%s answered the request with bytes that are not an HTTP status line: \"%s\".", dst, b);
        ev(inc, srv->rst_frame, srv->rst_ts, "RST from %s", dst);
        ev(inc, srv->fin_frame, srv->fin_ts, "FIN from %s", dst);
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
            set_cause(inc, rst ? "reset" : "closed");
            inc->wait_us = why_ts_diff_us(u->req_ts, t);
            ev(inc, rst ? srv->rst_frame : srv->fin_frame, t, "%s from %s before any response",
               rst ? "RST" : "FIN", dst);
            char w[32];
            fmt_wait(w, sizeof w, inc->wait_us);
            dt(inc, "by=%s after=%.3fs", rst ? "RST" : "FIN", secs(inc->wait_us));
            snprintf(inc->summary, sizeof inc->summary,
                     "%s %s the connection %s after the request, without sending a response.", dst,
                     rst ? "reset" : "closed", w);
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
        set_cause(inc, "no_response");
        inc->wait_us = why_ts_diff_us(u->req_ts, gw_end);
        ev(inc, gw_frame, gw_end, "gateway gives up on %s", dst);
        char w[32];
        fmt_wait(w, sizeof w, inc->wait_us);
        snprintf(f->wait, sizeof f->wait, "%s", w);
        dt(inc, "wait=%.3fs", secs(inc->wait_us));
        snprintf(inc->summary, sizeof inc->summary,
                 "%s accepted the request and sent nothing for %s, until the gateway gave up.", dst, w);
        return true;
    }
    if (!u->resp_done) {
        bool rst = srv->rst_frame != 0;
        bool fin = srv->fin_frame != 0;
        if (!rst && !fin)
            return false;
        set_cause(inc, rst ? "reset_in_body" : "closed_in_body");
        uint64_t got = u->rc->c.half[WHY_S2C].bytes;
        (void)got;
        snprintf(f->got, sizeof f->got, "%" PRIu64, u->body_bytes ? u->body_bytes : got);
        if (u->expected_len >= 0)
            dt(inc, "by=%s status=%d body=%s of %" PRId64, rst ? "RST" : "FIN", u->status, f->got,
               u->expected_len);
        else
            dt(inc, "by=%s status=%d body=%s of unknown", rst ? "RST" : "FIN", u->status, f->got);
        ev(inc, rst ? srv->rst_frame : srv->fin_frame, rst ? srv->rst_ts : srv->fin_ts,
           "%s from %s in the middle of the response", rst ? "RST" : "FIN", dst);
        snprintf(inc->summary, sizeof inc->summary,
                 "%s %s the connection in the middle of its %d response (%s body bytes of %s).", dst,
                 rst ? "reset" : "closed", u->status, f->got,
                 u->expected_len >= 0 ? "the announced length" : "an unknown length");
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
    set_cause(inc, "not_http");
    bytes_text(b, sizeof b, rc->other.first, rc->other.first_len > 32 ? 32 : rc->other.first_len);
    inc->first_len = rc->other.first_len > sizeof inc->first_bytes ? (uint32_t)sizeof inc->first_bytes
                                                                   : rc->other.first_len;
    memcpy(inc->first_bytes, rc->other.first, inc->first_len);
    dt(inc, "first_bytes=\"%s\" before_request=yes", b);
    ev(inc, rc->other.first_frame, c->half[WHY_S2C].first_data_ts, "first bytes from %s, before any request", dst);
    conn_evidence(inc, rc);
    snprintf(inc->summary, sizeof inc->summary,
             "%s spoke first, in something that is not HTTP (\"%s\"), before the gateway sent the request.",
             dst, b);
    return true;
}

/* TLS facts on the upstream connection (seen without keys). */
static bool tls_cause(struct why_incident *inc, const struct why_join *x, struct fixctx *f)
{
    const struct why_conn_rec *rc = x->up_conn;
    if (!rc || rc->app != WHY_APP_TLS)
        return false;
    const struct why_conn *c = why_rec_conn(rc);
    char dst[64];
    why_endpoint_str(&c->srv_addr, c->srv_port, dst, sizeof dst);
    if (rc->tls.reneg_frame && !rc->tls.reneg_renegotiated) {
        ev(inc, rc->tls.reneg_frame, rc->tls.reneg_ts, "TLS handshake record from %s after its Finished (renegotiation request)", dst);
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
        char w[32];
        fmt_wait(w, sizeof w, inc->wait_us);
        if (refused) {
            set_cause(inc, "renegotiation_refused");
            if (rc->tls.reneg_answered)
                ev(inc, rc->tls.reneg_answer_frame, rc->tls.reneg_ts, "the gateway's alert in answer to the renegotiation");
            snprintf(inc->summary, sizeof inc->summary,
                     "%s (SNI %s) asked for TLS renegotiation after the request; the gateway refused it (%s).",
                     dst, rc->tls.sni[0] ? rc->tls.sni : "-", rc->tls.reneg_answered ? "alert" : "closed the connection");
        } else {
            set_cause(inc, "renegotiation_stall");
            snprintf(inc->summary, sizeof inc->summary,
                     "%s (SNI %s) asked for TLS renegotiation (HelloRequest) after the request; the "
                     "gateway never answered and the origin waited %s.",
                     dst, rc->tls.sni[0] ? rc->tls.sni : "-", w);
        }
        dt(inc, "sni=%s answered=%s waited=%.3fs confirmed=%s", rc->tls.sni[0] ? rc->tls.sni : "-",
           rc->tls.reneg_answered ? "alert" : refused ? "close" : "no", secs(inc->wait_us),
           rc->tls.reneg_confirmed ? "HelloRequest" : "no_keys");
        conn_evidence(inc, rc);
        return true;
    }
    /* certificate: the gateway's certificate alert, or a bad certificate it then left */
    bool cert_alert = rc->tls.alert_frame && rc->tls.alert_dir == WHY_C2S &&
                      ((rc->tls.alert_desc >= 42 && rc->tls.alert_desc <= 46) || rc->tls.alert_desc == 48);
    if (cert_alert || (rc->tls.cert_problem && !why_rec_tls_sent_data(rc))) {
        char an[40] = "";
        if (rc->tls.alert_frame)
            why_tls_alert_name(rc->tls.alert_desc, an, sizeof an);
        set_cause(inc, "tls_certificate");
        snprintf(f->cert, sizeof f->cert, "%s", rc->tls.cert_problem ? rc->tls.cert_text : an);
        if (rc->tls.cert_frame)
            ev(inc, rc->tls.cert_frame, c->half[WHY_S2C].last_ts, "certificate from %s: %s", dst,
               rc->tls.cert_problem ? rc->tls.cert_text : "accepted by its looks");
        if (cert_alert)
            ev(inc, rc->tls.alert_frame, rc->tls.alert_ts, "TLS alert %s from the gateway", an);
        dt(inc, "sni=%s certificate=\"%s\" alert=%s", rc->tls.sni[0] ? rc->tls.sni : "-",
           rc->tls.cert_problem ? rc->tls.cert_text : "-", cert_alert ? an : "-");
        snprintf(inc->summary, sizeof inc->summary,
                 "The gateway refused the certificate of %s (SNI %s)%s%s%s.", dst, rc->tls.sni[0] ? rc->tls.sni : "-",
                 rc->tls.cert_problem ? ": " : "", rc->tls.cert_problem ? rc->tls.cert_text : "",
                 cert_alert ? (rc->tls.cert_problem ? "; it sent a certificate alert" : " with a certificate alert") : "");
        conn_evidence(inc, rc);
        return true;
    }
    if (rc->tls.alert_frame && rc->tls.alert_level == 2) {
        char an[40];
        const char *name = why_tls_alert_name(rc->tls.alert_desc, an, sizeof an);
        snprintf(f->alert, sizeof f->alert, "%s", name);
        set_cause(inc, "tls_alert");
        dt(inc, "alert=%s from=%s", name, rc->tls.alert_dir == WHY_S2C ? "origin" : "gateway");
        ev(inc, rc->tls.alert_frame, rc->tls.alert_ts, "TLS alert %s from %s", name,
           rc->tls.alert_dir == WHY_S2C ? "the origin" : "the gateway");
        snprintf(inc->summary, sizeof inc->summary, "The TLS handshake with %s (SNI %s) failed: %s alert from the %s.",
                 dst, rc->tls.sni[0] ? rc->tls.sni : "-", name, rc->tls.alert_dir == WHY_S2C ? "origin" : "gateway");
        return true;
    }
    /* the gateway finished the handshake and left without sending the request */
    const struct why_tcp_half *gwh = &c->half[WHY_C2S];
    if (rc->tls.ccs[WHY_S2C] && !why_rec_tls_sent_data(rc) && (gwh->fin_frame || gwh->rst_frame)) {
        set_cause(inc, "tls_gateway_left");
        ev(inc, gwh->fin_frame ? gwh->fin_frame : gwh->rst_frame, gwh->fin_frame ? gwh->fin_ts : gwh->rst_ts,
           "the gateway closes the TLS connection to %s without a request", dst);
        dt(inc, "sni=%s version=%s", rc->tls.sni[0] ? rc->tls.sni : "-", rc->tls.version == 0x0304 ? "1.3" : "1.2");
        snprintf(inc->summary, sizeof inc->summary,
                 "The gateway finished the TLS handshake with %s (SNI %s) and closed without sending the request: it refused something in the handshake%s.",
                 dst, rc->tls.sni[0] ? rc->tls.sni : "-",
                 rc->tls.version == 0x0304 ? ", most often the certificate (hidden in TLS 1.3: --keylog shows it)" : "");
        return true;
    }
    if (why_rec_tls_handshake_cut(rc)) {
        set_cause(inc, "tls_handshake_closed");
        conn_evidence(inc, rc);
        dt(inc, "by=%s", c->half[WHY_S2C].rst_frame ? "RST" : "FIN");
        snprintf(inc->summary, sizeof inc->summary, "%s %s the connection during the TLS handshake (SNI %s).",
                 dst, c->half[WHY_S2C].rst_frame ? "reset" : "closed", rc->tls.sni[0] ? rc->tls.sni : "-");
        return true;
    }
    return false;
}

/* Squid's error pages name their cause; used only when the upstream side is not captured. */
static const char *claim_detail(const char *claim, const char *title)
{
    static const struct { const char *key, *detail; } map[] = {
        {"ERR_DNS_FAIL", "nxdomain"},        {"Host Not Resolvable", "nxdomain"},
        {"ERR_CONNECT_FAIL", "rst"},         {"Cannot Connect", "syn_unanswered"},
        {"ERR_READ_TIMEOUT", "no_response"}, {"ERR_ZERO_SIZE_OBJECT", "closed"},
        {"ERR_INVALID_RESP", "not_http"},    {"Bad Response", "not_http"},
        {"ERR_READ_ERROR", "reset"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if ((claim && strstr(claim, map[i].key)) || (title && strstr(title, map[i].key)))
            return map[i].detail;
    return NULL;
}

/* The gateway's own words are the only evidence (its upstream side is not in the capture):
 * gateway_claim, with the RFC 9209 type of the cause it names when it names one. */
static void claim_cause(struct why_incident *inc, const struct why_txn *t, const char *claimed,
                        const char *claim)
{
    set_cause(inc, "gateway_claim");
    if (claimed) {
        const struct why_cause *c = why_cause_find(claimed);
        inc->error = c ? c->error : NULL;
    }
    dt(inc, "claimed=%s", claimed ? claimed : "unknown");
    snprintf(inc->summary, sizeof inc->summary,
             "The gateway answered %d and says \"%s\"; its upstream side is not in the capture.",
             t->status, claim);
}

enum why_verdict why_diagnose(const struct why_diag_ctx *cx, const struct why_join *x,
                              struct why_incident *inc)
{
    const struct why_txn *t = x->client;
    memset(inc, 0, sizeof *inc);
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
    ev(inc, t->req_frame, t->req_ts, "request %s from %s", t->method, cli);

    struct fixctx f;
    memset(&f, 0, sizeof f);
    f.who = "The gateway";
    f.host = u.host;
    f.claim = inc->claim[0] ? inc->claim : "no reason given";
    if (x->up_conn) {
        const struct why_conn *uc = why_rec_conn(x->up_conn);
        why_addr_str(&uc->srv_addr, f.addr, sizeof f.addr);
        snprintf(f.port, sizeof f.port, "%u", uc->srv_port);
    } else if (u.host[0]) {
        snprintf(f.addr, sizeof f.addr, "%s", u.host);
        snprintf(f.port, sizeof f.port, "%u", u.port);
    }
    snprintf(f.status, sizeof f.status, "%d", t->status);

    bool found = false;
    /* 1. origin's own 5xx passed through */
    if (x->up && !direct && x->up->has_resp && x->up->status >= 500 && t->has_resp &&
        t->status == x->up->status) {
        set_cause(inc, "origin_5xx");
        snprintf(inc->summary, sizeof inc->summary,
                 "The origin %s:%s answered %d itself; the gateway passed it on.", f.addr, f.port,
                 x->up->status);
        dt(inc, "status=%d", x->up->status);
        ev(inc, x->up->req_frame, x->up->req_ts, "upstream request to %s", f.addr);
        ev(inc, x->up->resp_frame, x->up->resp_ts, "origin answers %d", x->up->status);
        found = true;
    }
    if (!found && direct && t->has_resp && t->status >= 500) {
        /* only the client leg is in the capture: take the gateway's word when it gives one */
        const char *d = claim_detail(t->claim, t->title);
        if (d || t->via[0] || t->claim[0]) {
            claim_cause(inc, t, d, f.claim);
        } else {
            set_cause(inc, "origin_5xx");
            dt(inc, "status=%d", t->status);
            snprintf(inc->summary, sizeof inc->summary, "The server %s answered %d.", f.addr, t->status);
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
            set_cause(inc, "no_upstream_attempt");
            snprintf(inc->summary, sizeof inc->summary,
                     "The gateway answered %d without any DNS query, connection or request upstream.",
                     t->status);
        } else if (!x->upstream_visible) {
            claim_cause(inc, t, claim_detail(t->claim, t->title), f.claim);
        } else {
            set_cause(inc, "gateway_error");
            snprintf(inc->summary, sizeof inc->summary,
                     "The gateway answered %d although the upstream side shows no failure.", t->status);
        }
        found = true;
    }
    /* 4. the client leg */
    if (!found && ce.client_reset_in_body) {
        set_cause(inc, "client_reset_response");
        ev(inc, ce.frame, ce.ts, "client ends the connection during the response");
        snprintf(inc->summary, sizeof inc->summary,
                 "The client ended the connection while the %d response was still coming.", t->status);
        found = true;
    }
    if (!found && ce.client_gave_up) {
        set_cause(inc, "client_abort");
        inc->wait_us = why_ts_diff_us(t->req_ts, ce.ts);
        char w[32];
        fmt_wait(w, sizeof w, inc->wait_us);
        snprintf(f.wait, sizeof f.wait, "%s", w);
        ev(inc, ce.frame, ce.ts, "client gives up");
        if (x->up && !x->up->has_resp)
            snprintf(f.upstream_state, sizeof f.upstream_state,
                     "the origin %s had not answered the gateway's request: look at why it is slow.",
                     f.addr);
        else if (!direct && x->nattempts == 0 && !x->up)
            snprintf(f.upstream_state, sizeof f.upstream_state,
                     "the gateway had not sent the request upstream yet.");
        else
            snprintf(f.upstream_state, sizeof f.upstream_state, "nothing upstream was pending.");
        dt(inc, "waited=%.3fs", secs(inc->wait_us));
        snprintf(inc->summary, sizeof inc->summary,
                 "The client gave up after %s without an answer (499).", w);
        found = true;
    }
    if (!found && ce.gateway_closed) {
        set_cause(inc, "closed_without_response");
        ev(inc, ce.frame, ce.ts, "gateway closes the client connection");
        snprintf(inc->summary, sizeof inc->summary,
                 "The gateway closed the client's connection without answering.");
        found = true;
    }
    if (!found && t->has_resp && !t->resp_done) {
        set_cause(inc, direct ? "closed_in_body" : "gateway_error");
        snprintf(inc->summary, sizeof inc->summary,
                 "The %d response to the client was cut short.", t->status);
        found = true;
    }
    if (!found && t->rc->gap_bytes[WHY_S2C] && t->rc->resp_dead) {
        /* the answer's bytes went missing from the capture: nothing can be said about it */
        return WHY_VERDICT_UNREADABLE;
    }
    if (!found) {
        set_cause(inc, "no_response_in_capture");
        inc->wait_us = why_ts_diff_us(t->req_ts, cx->now);
        snprintf(inc->summary, sizeof inc->summary,
                 "No answer had arrived when the capture ended.");
    }
    /* evidence of the upstream side and of the answer */
    for (uint32_t i = 0; i < x->ndns && inc->dns_queries == 0; i++)
        ev(inc, x->dns[i]->q_frame, x->dns[i]->q_ts, "DNS query for %s", x->dns[i]->qname);
    for (uint32_t i = 0; i < x->nattempts && !direct; i++)
        conn_evidence(inc, x->attempts[i]);
    if (t->has_resp)
        ev(inc, t->resp_first_frame, t->resp_first_ts, "%s answers %d", direct ? "server" : "gateway",
           t->status);
    const struct why_cause *cat = why_cause_find(inc->detail);
    if (cat)
        expand(inc->fix, sizeof inc->fix, cat->fix, &f);
    qsort(inc->evidence, inc->nevidence, sizeof inc->evidence[0], ev_cmp);
    return WHY_VERDICT_FAILED;
}

/* A failure no client request was joined to: DNS queries for one name that all failed, or a
 * host's connection attempts to one address that never got through. In a capture taken on a
 * client (or of a gateway whose client leg is not in the capture) these are the whole story;
 * next to a client leg, they are whatever the joining could not place: never lost. */
bool why_diagnose_unjoined(const struct why_diag_ctx *cx, const struct why_join *x, struct why_incident *inc)
{
    (void)cx;
    memset(inc, 0, sizeof *inc);
    inc->dns_us = inc->connect_us = inc->first_byte_us = inc->wait_us = inc->total_us = -1;
    struct fixctx f;
    memset(&f, 0, sizeof f);
    char who[64];
    const struct why_addr *origin = NULL;
    if (x->ndns) {
        origin = &x->dns[0]->cli;
        f.host = x->dns[0]->qname;
        inc->ts = x->dns[0]->q_ts;
        inc->request_frame = x->dns[0]->q_frame;
    } else if (x->nattempts) {
        const struct why_conn *c = why_rec_conn(x->attempts[0]);
        origin = &c->cli_addr;
        why_addr_str(&c->srv_addr, f.addr, sizeof f.addr);
        snprintf(f.port, sizeof f.port, "%u", c->srv_port);
        f.host = f.addr;
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
    f.who = who;
    f.claim = "";
    inc->client_addr = *origin;
    snprintf(inc->upstream_host, sizeof inc->upstream_host, "%s", f.host);
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
        ev(inc, cc->first_frame, cc->first_ts, "client connection from %s (TLS, SNI %s)",
           why_endpoint_str(&cc->cli_addr, cc->cli_port, cli, sizeof cli),
           x->client_conn->tls.sni[0] ? x->client_conn->tls.sni : "-");
    }
    const struct why_cause *cat = why_cause_find(inc->detail);
    if (cat)
        expand(inc->fix, sizeof inc->fix, cat->fix, &f);
    qsort(inc->evidence, inc->nevidence, sizeof inc->evidence[0], ev_cmp);
    return true;
}
