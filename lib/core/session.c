/* The session: frames -> decode -> flow table -> protocol parsers -> records, and the decision
 * queue that hands each client request to correlate/diagnose once its evidence is complete
 * (its answer is in, or its connection closed, plus a settle time in packet time).
 * Application protocols are recognised by the first bytes the client sends, never by port. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/core.h"
#include "core/url.h"
#include "util/cursor.h"

#define SETTLE_DEFAULT_US (2LL * 1000000)
#define SWEEP_EVERY_US (500LL * 1000)
#define DNS_LOOKBACK 512 /* DNS records searched for a retransmission or an answer (cap) */

void why_options_init(struct why_options *o)
{
    memset(o, 0, sizeof *o);
    o->include_unjoined = true;
    o->settle_us = SETTLE_DEFAULT_US;
}

const char *why_kind_name(enum why_kind k)
{
    static const char *const names[] = {"gateway", "origin", "client", "capture", "unjoined"};
    return (unsigned)k < 5 ? names[k] : "gateway";
}

const char *why_actor_name(enum why_actor a)
{
    static const char *const names[] = {"other", "client", "gateway", "upstream", "dns_server"};
    return (unsigned)a < 5 ? names[a] : "other";
}

const char *why_evidence_kind_name(enum why_evidence_kind k)
{
    static const char *const names[WHY_EVK_KIND_COUNT] = {
        "note", "request", "response", "upstream_request", "upstream_response", "data", "syn",
        "syn_retry", "syn_ack", "rst", "fin", "icmp", "dns_query", "dns_answer", "tls_hello",
        "tls_hello_request", "tls_alert", "tls_certificate", "give_up"};
    return (unsigned)k < WHY_EVK_KIND_COUNT ? names[k] : "note";
}

/* ---- address sets ---- */

static bool addr_in(const struct why_addr *set, uint32_t n, const struct why_addr *a)
{
    for (uint32_t i = 0; i < n; i++)
        if (why_addr_eq(&set[i], a))
            return true;
    return false;
}

/* Adds a to one of the sets that decide who the gateway is; a change invalidates the roles
 * cached in the connection records (why_core_roles). */
static void addr_add(struct why_session *s, struct why_addr *set, uint32_t *n, uint32_t cap,
                     const struct why_addr *a)
{
    if (a->family == 0 || *n >= cap || addr_in(set, *n, a))
        return;
    set[(*n)++] = *a;
    s->gw_gen++;
}

void why_core_roles(const struct why_session *s, struct rec_conn *rc)
{
    if (rc->gw_gen_seen == s->gw_gen + 1)
        return;
    const struct why_conn *c = why_core_conn(rc);
    rc->gw_cli = why_core_is_gateway_addr(s, &c->cli_addr);
    rc->gw_srv = why_core_is_gateway_addr(s, &c->srv_addr);
    rc->gw_gen_seen = s->gw_gen + 1;
}

bool why_core_is_local(const struct why_session *s, const struct why_addr *a)
{
    return addr_in(s->local, s->nlocal, a);
}

/* The local addresses count as the gateway when one of them serves HTTP (a capture taken on
 * the gateway, where the link layer tells direction), or when given with --gateway.
 * Otherwise a gateway is an address that both serves HTTP and opens connections/DNS. */
bool why_core_is_gateway_addr(const struct why_session *s, const struct why_addr *a)
{
    if (s->local_from_option)
        return why_core_is_local(s, a);
    bool local_serves = false;
    for (uint32_t i = 0; i < s->nlocal && !local_serves; i++)
        local_serves = addr_in(s->served, s->nserved, &s->local[i]);
    if (local_serves)
        return why_core_is_local(s, a);
    return addr_in(s->served, s->nserved, a) && addr_in(s->originators, s->norig, a);
}

const struct why_conn *why_core_conn(const struct rec_conn *rc)
{
    return rc->live ? rc->live : &rc->c;
}

bool why_core_tls_sent_data(const struct rec_conn *rc)
{
    if (rc->dec_data_records[WHY_C2S])
        return true;
    /* TLS 1.3: the client's Finished travels as application data */
    return rc->tls_data_records[WHY_C2S] > (rc->tls_version == 0x0304 ? 1u : 0u);
}

bool why_core_tls_handshake_cut(const struct rec_conn *rc)
{
    const struct why_conn *c = why_core_conn(rc);
    const struct why_tcp_half *srv = &c->half[WHY_S2C], *cli = &c->half[WHY_C2S];
    if (!rc->tls_hello[WHY_C2S] || rc->tls_ccs[WHY_S2C] || rc->tls_appdata[WHY_S2C])
        return false; /* the server finished its side of the handshake */
    uint64_t sf = srv->rst_frame ? srv->rst_frame : srv->fin_frame;
    uint64_t cf = cli->rst_frame ? cli->rst_frame : cli->fin_frame;
    return sf && (!cf || sf < cf); /* the server closed first */
}

/* ---- transactions and the decision queue ---- */

static struct txn *txn_new(struct why_session *s, struct rec_conn *rc)
{
    struct txn *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->id = ++s->next_txn_id;
    t->rc = rc;
    t->expected_len = -1;
    rc->refs++;
    if (rc->txn_tail)
        rc->txn_tail->next = t;
    else
        rc->txn_head = t;
    rc->txn_tail = t;
    rc->ntxn++;
    return t;
}

/* FNV-1a (64-bit) over method, a separator and path. */
uint64_t why_core_request_key(const char *method, const char *path)
{
    uint64_t h = 14695981039346656037u;
    for (const char *p = method; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211u;
    h = (h ^ 0xffu) * 1099511628211u;
    for (const char *p = path; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211u;
    return h;
}

static void index_add(struct why_session *s, struct txn *t)
{
    struct why_url u;
    why_url_parse(t->method, t->target ? t->target : "", t->target_len, t->host, &u);
    t->pkey = why_core_request_key(t->method, u.path);
    t->hkey = why_core_request_key("", u.host);
    struct txn **b = &s->index[t->pkey & (WHY_INDEX_BUCKETS - 1)];
    t->inext = *b;
    if (*b)
        (*b)->iprev = t;
    *b = t;
    struct txn **hb = &s->hindex[why_core_host_bucket(t->pkey, t->hkey)];
    t->hnext = *hb;
    if (*hb)
        (*hb)->hprev = t;
    *hb = t;
    t->indexed = true;
}

static void index_del(struct why_session *s, struct txn *t)
{
    if (!t->indexed)
        return;
    if (t->iprev)
        t->iprev->inext = t->inext;
    else
        s->index[t->pkey & (WHY_INDEX_BUCKETS - 1)] = t->inext;
    if (t->inext)
        t->inext->iprev = t->iprev;
    if (t->hprev)
        t->hprev->hnext = t->hnext;
    else
        s->hindex[why_core_host_bucket(t->pkey, t->hkey)] = t->hnext;
    if (t->hnext)
        t->hnext->hprev = t->hprev;
    t->indexed = false;
}

void why_core_claim(struct why_session *s, struct txn *up, struct txn *client)
{
    up->claimed_by = client;
    index_del(s, up); /* joined once: no other request may look at it again */
}

static void txn_free(struct why_session *s, struct txn *t)
{
    if (!t)
        return;
    index_del(s, t);
    t->rc->refs--;
    free(t->target);
    free(t);
}

static void queue_push(struct why_session *s, struct txn *t)
{
    t->queued = true;
    if (s->qtail)
        s->qtail->qnext = t;
    else
        s->qhead = t;
    s->qtail = t;
}

/* A queued request is ready when answered completely, or when its connection is gone;
 * then it waits settle_us more so the upstream side's closing packets are in too. */
static bool txn_ready(const struct why_session *s, const struct txn *t, bool finishing)
{
    if (finishing)
        return true;
    struct why_ts since;
    if (t->resp_done)
        since = t->resp_end_ts;
    else if (t->rc->closed)
        since = why_core_conn(t->rc)->half[WHY_C2S].last_ts;
    else
        return false;
    if (why_ts_cmp(t->rc->c.half[WHY_S2C].last_ts, since) > 0 && t->rc->closed)
        since = t->rc->c.half[WHY_S2C].last_ts;
    return why_ts_diff_us(since, s->now) >= s->opt.settle_us;
}

static void emit(struct why_session *s, struct why_incident *inc)
{
    inc->id = ++s->next_incident_id;
    s->sum.failed++;
    s->sum.by_kind[inc->kind]++;
    size_t ncauses;
    const struct why_cause *cat = why_causes(&ncauses);
    const struct why_cause *cause = why_cause_find(inc->detail);
    if (cause && (size_t)(cause - cat) < 64)
        s->sum.by_cause[cause - cat]++;
    if (s->sink.on_incident)
        s->sink.on_incident(s->sink.ctx, inc);
}

/* ---- failures no request was joined to ------------------------------------------------ */

static bool conn_failed_attempt(const struct rec_conn *rc)
{
    const struct why_conn *c = &rc->c;
    if (rc->claimed || c->midstream || c->syn_count == 0 || c->established)
        return false;
    /* one unanswered SYN may just be the end of the capture; a retry, a RST or an ICMP
     * error is a failure */
    return c->half[WHY_S2C].rst_frame || c->icmp_frame || c->syn_count >= 2;
}

/* rc failed and nothing claimed it: one incident for it and the host's further attempts at
 * the same address and port (a client retrying from new ports). */
static void unjoined_conn(struct why_session *s, struct rec_conn *rc)
{
    struct why_exchange x;
    memset(&x, 0, sizeof x);
    for (struct rec_conn *o = rc; o && x.nattempts < WHY_JOIN_MAX; o = o->rnext) {
        if (o != rc && (!why_addr_eq(&o->c.cli_addr, &rc->c.cli_addr) ||
                        !why_addr_eq(&o->c.srv_addr, &rc->c.srv_addr) ||
                        o->c.srv_port != rc->c.srv_port || !conn_failed_attempt(o)))
            continue;
        o->claimed = true;
        x.attempts[x.nattempts++] = o;
    }
    x.up_conn = rc;
    struct why_incident inc;
    if (why_diagnose_unjoined(s, &x, &inc))
        emit(s, &inc);
}

/* TLS failures visible without keys: a renegotiation request, a fatal alert, a handshake the
 * server cut before any application data. */
static bool tls_failed(const struct rec_conn *rc)
{
    if (rc->reneg_frame && !rc->reneg_renegotiated)
        return true;
    if (rc->cert_problem && !why_core_tls_sent_data(rc))
        return true; /* the gateway left after seeing the certificate */
    if (rc->alert_frame && rc->alert_level == 2 && !rc->tls_appdata[WHY_S2C])
        return true;
    return why_core_tls_handshake_cut(rc);
}

/* rc is a gateway's TLS connection on which the origin asked for renegotiation and nothing
 * claimed it (the client leg is HTTPS too, so no request could be read): one incident, with
 * the client's TLS connection the gateway was serving then (same SNI first). */
static void unjoined_tls(struct why_session *s, struct rec_conn *rc)
{
    struct why_exchange x;
    memset(&x, 0, sizeof x);
    rc->claimed = true;
    x.attempts[x.nattempts++] = rc;
    x.up_conn = rc;
    struct why_ts when = rc->reneg_frame ? rc->reneg_ts : rc->alert_frame ? rc->alert_ts : rc->c.first_ts;
    for (struct rec_conn *o = s->rhead; o; o = o->rnext) {
        const struct why_conn *oc = why_core_conn(o);
        if (o == rc || o->app != APP_TLS || o->claimed || !why_core_is_gateway_addr(s, &oc->srv_addr) ||
            why_core_is_gateway_addr(s, &oc->cli_addr) || !why_core_is_gateway_addr(s, &rc->c.cli_addr) ||
            why_ts_diff_us(oc->first_ts, when) < -WHY_SKEW_US)
            continue;
        struct why_ts last = oc->half[0].last_ts;
        if (why_ts_cmp(oc->half[1].last_ts, last) > 0)
            last = oc->half[1].last_ts;
        if (o->closed && why_ts_cmp(last, when) < 0)
            continue; /* gone before the failure */
        if (!x.client_conn || (strcmp(o->sni, rc->sni) == 0 && strcmp(x.client_conn->sni, rc->sni) != 0))
            x.client_conn = o;
    }
    if (x.client_conn)
        x.client_conn->claimed = true;
    struct why_incident inc;
    if (why_diagnose_unjoined(s, &x, &inc))
        emit(s, &inc);
}

static bool dns_failed(const struct rec_dns *d)
{
    if (d->qtype != WHY_DNS_A && d->qtype != WHY_DNS_AAAA)
        return false; /* PTR lookups of clients, HTTPS/SVCB probes: not needed to connect */
    if (d->answered)
        return d->naddrs == 0;
    return d->icmp || d->tries >= 2;
}

/* d failed and nothing claimed it: unless another query for the same name got an address,
 * one incident for every failed query for that name from that host. */
static void unjoined_dns(struct why_session *s, struct rec_dns *d)
{
    struct why_exchange x;
    memset(&x, 0, sizeof x);
    bool resolved = false;
    size_t dl = strlen(d->qname);
    for (struct rec_dns *o = s->dhead; o; o = o->next) {
        if (!why_addr_eq(&o->cli, &d->cli))
            continue;
        /* a resolver's search list tries "name.corp.example" before "name": the expansion
         * failing is not a failure when the name itself resolved */
        size_t ol = strlen(o->qname);
        if (o->answered && o->naddrs && ol < dl && d->qname[ol] == '.' &&
            strncmp(o->qname, d->qname, ol) == 0)
            resolved = true;
        if (strcmp(o->qname, d->qname) != 0)
            continue;
        if (o->answered && o->naddrs)
            resolved = true;
        if (!o->claimed && dns_failed(o) && x.ndns < WHY_JOIN_MAX)
            x.dns[x.ndns++] = o;
    }
    for (uint32_t i = 0; i < x.ndns; i++)
        x.dns[i]->claimed = true;
    d->claimed = true;
    struct why_incident inc;
    if (!resolved && x.ndns && why_diagnose_unjoined(s, &x, &inc))
        emit(s, &inc);
}

static void decide(struct why_session *s, struct txn *t)
{
    t->decided = true;
    /* A request the gateway itself sent upstream is evidence for a client's request, not an
     * incident of its own. */
    why_core_roles(s, t->rc);
    if (t->rc->gw_cli && !t->rc->gw_srv)
        return;
    t->is_client_leg = true;
    index_del(s, t); /* a client's request is never another's upstream request */
    /* Most requests succeed: a complete answer below 500 whose upstream request (found in
     * the index) shows no fault is settled without the full join. */
    if (t->has_resp && t->status < 500 && t->resp_done && !s->opt.exhaustive) {
        bool direct = why_correlate_direct(s, t);
        struct txn *up = direct ? NULL : why_correlate_upstream_indexed(s, t);
        const struct why_conn *uc = up ? why_core_conn(up->rc) : NULL;
        bool up_fault = up && (up->not_http || (up->has_resp && !up->resp_done &&
                                                (uc->half[WHY_S2C].rst_frame || uc->half[WHY_S2C].fin_frame)));
        if (!up_fault) {
            if (up)
                why_core_claim(s, up, t);
            return;
        }
    }
    struct why_exchange x;
    why_correlate(s, t, &x);
    struct why_incident inc;
    if (why_diagnose(s, &x, &inc))
        emit(s, &inc);
}

/* Frees decided transactions at the front of a connection's list (their records are no longer
 * needed once decided, unless they may still be joined as an upstream request). */
/* Frees the transactions of rc nothing needs any more: decided client requests, upstream
 * requests already joined (or answered long ago and never joined: their client request was
 * decided without them), anywhere in the list but never one still awaiting its response.
 * With all, every transaction that is not a pending client request. */
static void conn_trim_txns(struct why_session *s, struct rec_conn *rc, bool all)
{
    struct why_ts stale = why_ts_add_us(s->now, -(s->opt.settle_us + WHY_STALE_US));
    struct txn **pp = &rc->txn_head, *prev = NULL;
    bool waiting = false; /* at or after rc->unanswered: responses still to come */
    while (*pp) {
        struct txn *t = *pp;
        if (t == rc->unanswered)
            waiting = true;
        bool done = t->decided ||
                    (!t->queued && (t->claimed_by || all ||
                                    (t->has_resp && why_ts_cmp(t->resp_ts, stale) < 0)));
        if (!done || (waiting && !all) || (t->queued && !t->decided)) {
            prev = t;
            pp = &t->next;
            continue;
        }
        *pp = t->next;
        if (rc->txn_tail == t)
            rc->txn_tail = prev;
        if (rc->unanswered == t)
            rc->unanswered = t->next;
        rc->ntxn--;
        txn_free(s, t);
    }
}

static void sweep_queue(struct why_session *s, bool finishing)
{
    struct txn **pp = &s->qhead, *prev = NULL;
    while (*pp) {
        struct txn *t = *pp;
        if (txn_ready(s, t, finishing)) {
            *pp = t->qnext;
            if (s->qtail == t)
                s->qtail = prev;
            t->qnext = NULL;
            decide(s, t);
            continue;
        }
        prev = t;
        pp = &t->qnext;
    }
}

/* ---- pruning records no pending request can still use ---- */

static struct why_ts oldest_pending(const struct why_session *s)
{
    struct why_ts o = s->now;
    for (const struct txn *t = s->qhead; t; t = t->qnext)
        if (why_ts_cmp(t->req_first_ts, o) < 0)
            o = t->req_first_ts;
    return o;
}

static void http_free(struct rec_conn *rc)
{
    if (rc->hresp && rc->hresp->phase == WHY_HTTP_DEAD)
        rc->resp_dead = true;
    if (rc->hreq)
        why_http1_stream_fini(rc->hreq);
    if (rc->hresp)
        why_http1_stream_fini(rc->hresp);
    free(rc->hreq);
    free(rc->hresp);
    rc->hreq = rc->hresp = NULL;
}

/* The HTTP parsers of a connection found to carry HTTP (in clear or decrypted). */
static bool http_alloc(struct rec_conn *rc)
{
    rc->hreq = malloc(sizeof *rc->hreq);
    rc->hresp = malloc(sizeof *rc->hresp);
    if (!rc->hreq || !rc->hresp) {
        free(rc->hreq);
        free(rc->hresp);
        rc->hreq = rc->hresp = NULL;
        return false;
    }
    why_http1_stream_init(rc->hreq, true);
    why_http1_stream_init(rc->hresp, false);
    return true;
}

static void rec_unlink(struct why_session *s, struct rec_conn *rc)
{
    if (rc->rprev)
        rc->rprev->rnext = rc->rnext;
    else
        s->rhead = rc->rnext;
    if (rc->rnext)
        rc->rnext->rprev = rc->rprev;
    else
        s->rtail = rc->rprev;
    s->nrecs--;
}

static void rec_free(struct rec_conn *rc)
{
    http_free(rc);
    why_tlsdec_free(rc->dec);
    rc->dec = NULL;
    why_tls_stream_fini(&rc->tls[0]);
    why_tls_stream_fini(&rc->tls[1]);
    free(rc);
}

/* A DNS record no pending request can use any more (or any, at the end). */
static bool dns_expired(const struct rec_dns *d, bool all, struct why_ts horizon, struct why_ts recent)
{
    struct why_ts last = d->answered ? d->a_ts : d->last_q_ts;
    return all || why_ts_cmp(last, horizon) < 0 || why_ts_cmp(last, recent) < 0;
}

static void prune(struct why_session *s, bool all)
{
    struct why_ts horizon = why_ts_add_us(oldest_pending(s), -(WHY_SKEW_US + s->opt.settle_us));
    struct why_ts pin_limit = why_ts_add_us(s->now, -WHY_PIN_US);
    if (why_ts_cmp(horizon, pin_limit) < 0)
        horizon = pin_limit;
    struct why_ts recent = why_ts_add_us(s->now, -WHY_HORIZON_US);
    struct why_ts settled = why_ts_add_us(s->now, -(WHY_SKEW_US + s->opt.settle_us));
    for (struct rec_conn *rc = s->rhead, *next; rc; rc = next) {
        next = rc->rnext;
        conn_trim_txns(s, rc, false); /* open keep-alive connections carry many requests */
        if (!rc->closed)
            continue;
        struct why_ts last = rc->c.half[0].last_ts;
        if (why_ts_cmp(rc->c.half[1].last_ts, last) > 0)
            last = rc->c.half[1].last_ts;
        /* A record already joined to a request, or a client's own connection, can be
         * nothing else's evidence: it goes once settled, whatever is still pending. */
        why_core_roles(s, rc);
        bool spent = rc->claimed || (why_core_http(rc) && rc->gw_srv && !rc->gw_cli);
        /* (an opaque HTTPS client connection stays: a TLS failure upstream may name it) */
        bool old = why_ts_cmp(last, horizon) < 0 || why_ts_cmp(last, recent) < 0 ||
                   (spent && why_ts_cmp(last, settled) < 0);
        /* queued (pending) transactions keep their connection */
        bool pending = false;
        for (struct txn *t = rc->txn_head; t && !pending; t = t->next)
            pending = t->queued && !t->decided;
        if (!all && (!old || pending))
            continue;
        conn_trim_txns(s, rc, true);
        if (rc->txn_head && !all)
            continue;
        while (rc->txn_head) { /* all: free whatever is left */
            struct txn *t = rc->txn_head;
            rc->txn_head = t->next;
            txn_free(s, t);
        }
        rc->prunable = true;
    }
    /* Failures nothing was joined to are reported before any record goes, so they can still
     * name the client connection they belong to. */
    for (struct rec_conn *rc = s->rhead; rc; rc = rc->rnext) {
        if (!rc->prunable)
            continue;
        if (s->opt.include_unjoined && conn_failed_attempt(rc))
            unjoined_conn(s, rc);
        else if (rc->app == APP_TLS && !rc->claimed && tls_failed(rc) &&
                 (s->opt.include_unjoined || why_core_is_gateway_addr(s, &rc->c.cli_addr)))
            unjoined_tls(s, rc); /* a gateway's TLS failure is reported even with --no-unjoined */
    }
    for (struct rec_conn *rc = s->rhead, *next; rc; rc = next) {
        next = rc->rnext;
        if (rc->prunable) {
            rec_unlink(s, rc);
            rec_free(rc);
        }
    }
    /* unjoined failures first, while every record they are compared with is still here */
    for (struct rec_dns *d = s->dhead; d && s->opt.include_unjoined; d = d->next) {
        if (!dns_expired(d, all, horizon, recent))
            continue;
        if (!d->claimed && dns_failed(d))
            unjoined_dns(s, d);
    }
    for (struct rec_dns *d = s->dhead, *next; d; d = next) {
        next = d->next;
        if (!dns_expired(d, all, horizon, recent))
            continue;
        if (d->prev)
            d->prev->next = d->next;
        else
            s->dhead = d->next;
        if (d->next)
            d->next->prev = d->prev;
        else
            s->dtail = d->prev;
        s->ndns--;
        free(d);
    }
}

/* ---- HTTP events ---- */

struct http_ctx {
    struct why_session *s;
    struct rec_conn *rc;
};

static void copy_str(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

static void on_req_head(void *ctx, const struct why_http_head *h)
{
    struct http_ctx *hc = ctx;
    struct why_session *s = hc->s;
    struct rec_conn *rc = hc->rc;
    if (rc->ntxn >= WHY_TXN_PER_CONN_MAX) {
        conn_trim_txns(s, rc, false);
        if (rc->ntxn >= WHY_TXN_PER_CONN_MAX) {
            s->sum.cap_pending_dropped++;
            return;
        }
    }
    struct txn *t = txn_new(s, rc);
    if (!t)
        return;
    copy_str(t->method, sizeof t->method, h->method);
    t->target = malloc(h->target_len + 1u);
    if (t->target) {
        memcpy(t->target, h->target, h->target_len);
        t->target[h->target_len] = 0;
        t->target_len = h->target_len;
    }
    copy_str(t->host, sizeof t->host, h->host);
    copy_str(t->via, sizeof t->via, h->via);
    index_add(s, t);
    t->req_first_frame = rc->hreq_first_frame;
    t->req_first_ts = rc->hreq_first_ts;
    t->req_frame = s->cur_frame->num;
    t->req_ts = s->cur_frame->ts;
    if (!rc->unanswered)
        rc->unanswered = t;
    why_http1_stream_expect(rc->hresp, h->method);
    const struct why_conn *c = why_core_conn(rc);
    addr_add(s, s->served, &s->nserved, 64, &c->srv_addr);
    why_core_roles(s, rc);
    if (rc->gw_cli && !rc->gw_srv) {
        s->sum.upstream_requests++;
    } else {
        s->sum.requests++;
        queue_push(s, t);
    }
}

static void on_resp_head(void *ctx, const struct why_http_head *h)
{
    struct http_ctx *hc = ctx;
    struct rec_conn *rc = hc->rc;
    struct txn *t = rc->unanswered;
    if (!t)
        return; /* a response with no request seen (capture started mid-connection) */
    if (h->status >= 100 && h->status < 200 && h->status != 101)
        return; /* interim: the real answer follows */
    t->has_resp = true;
    t->status = h->status;
    t->resp_first_frame = rc->hresp_first_frame;
    t->resp_first_ts = rc->hresp_first_ts;
    t->resp_frame = hc->s->cur_frame->num;
    t->resp_ts = hc->s->cur_frame->ts;
    t->expected_len = h->content_length;
    copy_str(t->server, sizeof t->server, h->server);
    if (h->proxy_status[0])
        copy_str(t->claim, sizeof t->claim, h->proxy_status);
    else if (h->x_squid_error[0])
        copy_str(t->claim, sizeof t->claim, h->x_squid_error);
    if (rc->hresp->phase == WHY_HTTP_TUNNEL || h->status == 101) {
        t->resp_done = true;
        t->resp_end_frame = t->resp_frame;
        t->resp_end_ts = t->resp_ts;
        rc->unanswered = t->next;
    }
}

static void on_resp_end(void *ctx, uint64_t body_bytes)
{
    struct http_ctx *hc = ctx;
    struct rec_conn *rc = hc->rc;
    struct txn *t = rc->unanswered;
    if (!t || !t->has_resp)
        return;
    t->resp_done = true;
    t->body_bytes = body_bytes;
    t->resp_end_frame = hc->s->cur_frame ? hc->s->cur_frame->num : t->resp_frame;
    t->resp_end_ts = hc->s->cur_frame ? hc->s->cur_frame->ts : t->resp_ts;
    rc->unanswered = t->next;
}

static void on_resp_peek(void *ctx, const uint8_t *body, size_t n)
{
    struct http_ctx *hc = ctx;
    struct txn *t = hc->rc->unanswered;
    if (t && t->has_resp)
        why_http1_html_title(body, n, t->title, sizeof t->title);
}

static void on_resp_error(void *ctx, enum why_http_err err, const uint8_t *first, size_t n)
{
    struct http_ctx *hc = ctx;
    struct txn *t = hc->rc->unanswered;
    if (err == WHY_HTTP_ERR_TOO_LONG)
        hc->s->sum.cap_http_head_too_long++;
    if (!t || t->has_resp)
        return;
    t->not_http = true;
    t->resp_first_frame = hc->rc->hresp_first_frame;
    t->resp_first_ts = hc->rc->hresp_first_ts;
    t->first_len = (uint32_t)(n > sizeof t->first_bytes ? sizeof t->first_bytes : n);
    memcpy(t->first_bytes, first, t->first_len);
}

static void on_req_error(void *ctx, enum why_http_err err, const uint8_t *first, size_t n)
{
    struct http_ctx *hc = ctx;
    (void)first, (void)n; /* a broken request: nothing to join */
    if (err == WHY_HTTP_ERR_TOO_LONG)
        hc->s->sum.cap_http_head_too_long++;
}
static void on_req_end(void *ctx, uint64_t b) { (void)ctx, (void)b; }
static void on_req_peek(void *ctx, const uint8_t *b, size_t n) { (void)ctx, (void)b, (void)n; }

static void http_cbs(struct why_session *s, struct rec_conn *rc, struct http_ctx *hc,
                     struct why_http1_cb *req, struct why_http1_cb *resp)
{
    hc->s = s;
    hc->rc = rc;
    *req = (struct why_http1_cb){hc, on_req_head, on_req_end, on_req_peek, on_req_error};
    *resp = (struct why_http1_cb){hc, on_resp_head, on_resp_end, on_resp_peek, on_resp_error};
}

/* ---- TLS events (facts kept for the diagnosis; see tls.h) ---- */

struct tls_ctx {
    struct why_session *s;
    struct rec_conn *rc;
    int dir;
};

static void on_tls_record(void *ctx, uint8_t ctype, uint16_t version, uint16_t len, bool enc)
{
    struct tls_ctx *tc = ctx;
    struct rec_conn *rc = tc->rc;
    (void)version;
    if (ctype == WHY_TLS_CT_APPDATA) {
        rc->tls_appdata[tc->dir] = true;
        if (!(rc->tls_version == 0x0304 && len == 19))
            rc->tls_data_records[tc->dir]++;
    }
    if (ctype == WHY_TLS_CT_CCS) {
        if (rc->dec && !enc)
            why_tlsdec_ccs(rc->dec, tc->dir);
        rc->tls_ccs[tc->dir] = true;
    }
    /* TLS 1.2: after a side's ChangeCipherSpec its first encrypted handshake record is its
     * Finished; a further one from the server is a renegotiation request (HelloRequest, sent
     * by IIS after reading a request, before any answer), and a further one from the client
     * answers it (ClientHello). TLS 1.3 has no renegotiation and hides handshake records. */
    if (ctype == WHY_TLS_CT_HANDSHAKE && enc && rc->tls_version != 0x0304) {
        rc->tls_enc_hs[tc->dir]++;
        if (tc->dir == WHY_S2C && rc->tls_enc_hs[WHY_S2C] >= 2 && !rc->reneg_frame) {
            rc->reneg_frame = tc->s->cur_frame->num;
            rc->reneg_ts = tc->s->cur_frame->ts;
        } else if (tc->dir == WHY_C2S && rc->reneg_frame && rc->tls_enc_hs[WHY_C2S] >= 2 &&
                   !rc->reneg_answered) {
            rc->reneg_answered = true;
            rc->reneg_renegotiated = true; /* a ClientHello back */
            rc->reneg_answer_frame = tc->s->cur_frame->num;
        }
    }
    if (ctype == WHY_TLS_CT_ALERT && tc->dir == WHY_C2S && rc->reneg_frame && !rc->reneg_answered) {
        rc->reneg_answered = true; /* e.g. no_renegotiation */
        rc->reneg_answer_frame = tc->s->cur_frame->num;
    }
}

static void on_tls_hello(void *ctx, const struct why_tls_hello *h)
{
    struct tls_ctx *tc = ctx;
    struct rec_conn *rc = tc->rc;
    rc->tls_hello[tc->dir] = true;
    if (rc->dec && h->client)
        why_tlsdec_client_hello(rc->dec, h->random);
    else if (rc->dec)
        why_tlsdec_server_hello(rc->dec, h->random, h->version ? h->version : h->legacy_version,
                                h->cipher);
    if (h->client) {
        if (h->sni[0])
            copy_str(rc->sni, sizeof rc->sni, h->sni);
    } else {
        rc->tls_version = h->version ? h->version : h->legacy_version;
    }
}

static void on_tls_alert(void *ctx, uint8_t level, uint8_t desc)
{
    struct tls_ctx *tc = ctx;
    struct rec_conn *rc = tc->rc;
    if (rc->alert_frame)
        return;
    rc->alert_frame = tc->s->cur_frame->num;
    rc->alert_ts = tc->s->cur_frame->ts;
    rc->alert_level = level;
    rc->alert_desc = desc;
    rc->alert_dir = tc->dir;
}

static void on_tls_handshake(void *ctx, uint8_t type, uint32_t len)
{
    struct tls_ctx *tc = ctx;
    (void)len;
    if (type == WHY_TLS_HS_HELLO_REQUEST && tc->dir == WHY_S2C && !tc->rc->reneg_frame) {
        tc->rc->reneg_frame = tc->s->cur_frame->num;
        tc->rc->reneg_ts = tc->s->cur_frame->ts;
    }
}

static void on_tls_error(void *ctx) { (void)ctx; }

static void asn1_time_text(const ASN1_TIME *t, char *buf, size_t size)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1 || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, size, "?");
}

/* The server's certificate against packet time and the name the gateway asked for (SNI). */
static void check_cert(struct why_session *s, struct rec_conn *rc, const uint8_t *der, size_t len)
{
    if (rc->cert_frame || len > 65536)
        return;
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (!x)
        return;
    rc->cert_frame = s->cur_frame->num;
    time_t now = (time_t)s->cur_frame->ts.sec;
    char when[40];
    if (X509_cmp_time(X509_get0_notAfter(x), &now) < 0) {
        rc->cert_problem = CERT_EXPIRED;
        asn1_time_text(X509_get0_notAfter(x), when, sizeof when);
        snprintf(rc->cert_text, sizeof rc->cert_text, "expired: not after %s", when);
    } else if (X509_cmp_time(X509_get0_notBefore(x), &now) > 0) {
        rc->cert_problem = CERT_NOT_YET_VALID;
        asn1_time_text(X509_get0_notBefore(x), when, sizeof when);
        snprintf(rc->cert_text, sizeof rc->cert_text, "not valid before %s", when);
    } else if (rc->sni[0] && X509_check_host(x, rc->sni, strlen(rc->sni), 0, NULL) != 1) {
        rc->cert_problem = CERT_NAME_MISMATCH;
        char cn[96] = "";
        X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn);
        snprintf(rc->cert_text, sizeof rc->cert_text, "issued to %s, not %s", cn[0] ? cn : "?", rc->sni);
    }
    X509_free(x);
}

static void on_tls_certificate(void *ctx, const uint8_t *der, uint32_t len)
{
    struct tls_ctx *tc = ctx;
    if (tc->dir == WHY_S2C)
        check_cert(tc->s, tc->rc, der, len);
}

static void http_feed(struct why_session *s, struct rec_conn *rc, enum why_dir dir, const uint8_t *d,
                      uint32_t n);

/* --keylog: a whole record. Decrypted application data is HTTP parsed as in clear; a
 * decrypted HelloRequest confirms a renegotiation request by its type. What cannot be
 * decrypted is left to the diagnosis without keys. */
static void on_tls_body(void *ctx, uint8_t ctype, const uint8_t *body, uint32_t len)
{
    struct tls_ctx *tc = ctx;
    struct rec_conn *rc = tc->rc;
    struct why_session *s = tc->s;
    if (!rc->dec || !s->plain || ctype == WHY_TLS_CT_CCS)
        return; /* ChangeCipherSpec is never protected (it switched the keys on already) */
    bool was_enc = why_tlsdec_encrypted(rc->dec, tc->dir);
    uint8_t inner = 0;
    int n = why_tlsdec_record(rc->dec, tc->dir, ctype, body, len, s->plain, WHY_TLSDEC_OUT_MAX, &inner);
    if (n <= 0)
        return;
    if (inner == WHY_TLS_CT_HANDSHAKE && was_enc && tc->dir == WHY_S2C &&
        s->plain[0] == WHY_TLS_HS_HELLO_REQUEST && rc->tls_version != 0x0304) {
        rc->reneg_confirmed = true;
        if (!rc->reneg_frame) {
            rc->reneg_frame = s->cur_frame->num;
            rc->reneg_ts = s->cur_frame->ts;
        }
        return;
    }
    if (inner == WHY_TLS_CT_HANDSHAKE && tc->dir == WHY_S2C && !rc->cert_frame) {
        /* decrypted handshake messages (TLS 1.3 hides the certificate) */
        struct why_cur c = why_cur_make(s->plain, (size_t)n);
        while (why_cur_left(&c) >= 4) {
            uint8_t type = why_cur_u8(&c);
            uint32_t mlen = (uint32_t)why_cur_u8(&c) << 16;
            mlen |= why_cur_be16(&c);
            if (mlen > why_cur_left(&c))
                break; /* spans records: not followed */
            const uint8_t *der, *msg = why_cur_ptr(&c);
            size_t dlen;
            if (type == WHY_TLS_HS_CERTIFICATE &&
                why_tls_first_cert(msg, mlen, rc->tls_version == 0x0304, &der, &dlen))
                check_cert(s, rc, der, dlen);
            why_cur_skip(&c, mlen);
        }
        return;
    }
    if (inner != WHY_TLS_CT_APPDATA)
        return;
    rc->dec_data_records[tc->dir]++;
    if (!rc->hreq) {
        if (tc->dir != WHY_C2S || !why_http1_looks_like_request(s->plain, (size_t)n) ||
            !http_alloc(rc))
            return;
        rc->dec_http = true;
    }
    http_feed(s, rc, tc->dir, s->plain, (uint32_t)n);
}

static void tls_feed(struct why_session *s, struct rec_conn *rc, int dir, const uint8_t *d,
                     uint32_t n)
{
    struct tls_ctx tc = {s, rc, dir};
    struct why_tls_cb cb = {&tc, on_tls_record, on_tls_hello, on_tls_alert, on_tls_handshake,
                            on_tls_error, on_tls_certificate, on_tls_body};
    why_tls_stream_feed(&rc->tls[dir], d, n, &cb);
}

/* ---- flow callbacks ---- */

/* At the cap, a closed record that no request holds makes room (counted): first one of a
 * connection opened towards the capture host that never got an answer (a flood's), else the
 * oldest. */
static bool rec_make_room(struct why_session *s)
{
    int looked = 0;
    struct rec_conn *any = NULL;
    for (struct rec_conn *rc = s->rhead; rc && looked < 4096; rc = rc->rnext, looked++) {
        if (!rc->closed || rc->refs > 0 || rc->txn_head || rc->claimed)
            continue;
        if (!any)
            any = rc;
        if (!rc->c.established && rc->c.srv_is_local && !rc->c.cli_is_local) {
            any = rc;
            break;
        }
    }
    if (!any)
        return false;
    rec_unlink(s, any);
    rec_free(any);
    s->sum.cap_records_dropped++;
    return true;
}

static void fl_open(void *ctx, struct why_conn *c, const struct why_pkt *p)
{
    struct why_session *s = ctx;
    (void)p;
    if (s->nrecs >= WHY_RECORDS_MAX && !rec_make_room(s)) {
        s->sum.cap_records_dropped++;
        return; /* not followed: c->app stays NULL */
    }
    struct rec_conn *rc = calloc(1, sizeof *rc);
    if (!rc)
        return;
    rc->c = *c;
    rc->live = c;
    why_tls_stream_init(&rc->tls[0]);
    why_tls_stream_init(&rc->tls[1]);
    c->app = rc;
    rc->rprev = s->rtail;
    if (s->rtail)
        s->rtail->rnext = rc;
    else
        s->rhead = rc;
    s->rtail = rc;
    s->nrecs++;
    s->sum.tcp_conns++;
    if (!c->midstream)
        addr_add(s, s->originators, &s->norig, 64, &c->cli_addr);
}

/* Multicast, broadcast and link-local addresses say nothing about which host is the gateway
 * (a packet "to us" may be to a group we joined). */
static bool unicast_global(const struct why_addr *a)
{
    if (a->family == 4)
        return a->a[0] < 224 && !(a->a[0] == 169 && a->a[1] == 254) && a->a[0] != 0;
    if (a->family == 6)
        return a->a[0] != 0xff && !(a->a[0] == 0xfe && (a->a[1] & 0xc0) == 0x80);
    return false;
}

static void learn_local(struct why_session *s, const struct why_pkt *p)
{
    if (s->local_from_option)
        return;
    const struct why_addr *a = p->link_dir == WHY_LINK_DIR_OUT ? &p->src
                               : p->link_dir == WHY_LINK_DIR_IN ? &p->dst : NULL;
    if (!a || why_addr_eq(a, &s->last_local) || !unicast_global(a))
        return; /* (most packets repeat the last local address: no set scan for them) */
    s->last_local = *a;
    addr_add(s, s->local, &s->nlocal, 32, a);
}

static void fl_event(void *ctx, struct why_conn *c, enum why_tcp_event ev, enum why_dir dir,
                     const struct why_pkt *p)
{
    (void)ctx, (void)ev, (void)dir, (void)p;
    struct rec_conn *rc = c->app;
    if (rc)
        rc->c = *c;
}

static void decide_app(struct why_session *s, struct rec_conn *rc, const uint8_t *d, uint32_t n)
{
    if (why_http1_looks_like_request(d, n)) {
        /* out of memory: the connection is not followed */
        rc->app = http_alloc(rc) ? APP_HTTP : APP_OTHER;
    } else if (why_tls_looks_like(d, n)) {
        rc->app = APP_TLS;
        if (s->keylog) { /* --keylog: keep whole records for the decryptor */
            rc->dec = why_tlsdec_new(s->keylog);
            rc->tls[0].keep_bodies = rc->tls[1].keep_bodies = rc->dec != NULL;
        }
    } else {
        rc->app = APP_OTHER;
    }
    rc->app_decided = true;
}

static void fl_data(void *ctx, struct why_conn *c, enum why_dir dir, const uint8_t *d, uint32_t n,
                    const struct why_pkt *p)
{
    struct why_session *s = ctx;
    struct rec_conn *rc = c->app;
    (void)p;
    if (!rc || n == 0)
        return;
    if (!rc->app_decided) {
        if (dir == WHY_S2C) {
            /* the server spoke first: keep its first bytes (a banner) for the diagnosis */
            if (!rc->other_first_frame) {
                rc->other_first_frame = s->cur_frame->num;
                rc->other_first_len = n > 64 ? 64 : n;
                memcpy(rc->other_first, d, rc->other_first_len);
            }
            if (!c->midstream)
                return;
        }
        decide_app(s, rc, d, n);
    }
    if (rc->app == APP_HTTP) {
        http_feed(s, rc, dir, d, n);
    } else if (rc->app == APP_TLS) {
        tls_feed(s, rc, dir, d, n);
    } else if (dir == WHY_S2C && !rc->other_first_frame) {
        rc->other_first_frame = s->cur_frame->num;
        rc->other_first_len = n > 64 ? 64 : n;
        memcpy(rc->other_first, d, rc->other_first_len);
    }
}

/* HTTP bytes of one direction, in clear or decrypted. */
static void http_feed(struct why_session *s, struct rec_conn *rc, enum why_dir dir, const uint8_t *d,
                      uint32_t n)
{
    {
        struct http_ctx hc;
        struct why_http1_cb req, resp;
        http_cbs(s, rc, &hc, &req, &resp);
        struct why_http1_stream *st = dir == WHY_C2S ? rc->hreq : rc->hresp;
        if (rc->app == APP_HTTP &&
            (st->phase == WHY_HTTP_TUNNEL || rc->hresp->phase == WHY_HTTP_TUNNEL)) {
            /* CONNECT: what follows is the tunnel's payload, usually TLS (for the SNI) */
            tls_feed(s, rc, dir, d, n);
            return;
        }
        if (st->phase == WHY_HTTP_IDLE) {
            if (dir == WHY_C2S) {
                rc->hreq_first_frame = s->cur_frame->num;
                rc->hreq_first_ts = s->cur_frame->ts;
            } else {
                rc->hresp_first_frame = s->cur_frame->num;
                rc->hresp_first_ts = s->cur_frame->ts;
            }
        }
        /* if a response arrives in the middle of a head byte run, first-frame stays correct
         * because IDLE is only seen at a message boundary */
        why_http1_stream_feed(st, d, n, dir == WHY_C2S ? &req : &resp);
    }
}

static void fl_gap(void *ctx, struct why_conn *c, enum why_dir dir, uint32_t n,
                   const struct why_pkt *p)
{
    struct why_session *s = ctx;
    struct rec_conn *rc = c->app;
    (void)p;
    if (!rc)
        return;
    rc->gap_bytes[dir] += n;
    if (!rc->app_decided)
        return;
    if (rc->app == APP_HTTP) {
        struct http_ctx hc;
        struct why_http1_cb req, resp;
        http_cbs(s, rc, &hc, &req, &resp);
        why_http1_stream_gap(dir == WHY_C2S ? rc->hreq : rc->hresp, n,
                             dir == WHY_C2S ? &req : &resp);
    } else if (rc->app == APP_TLS) {
        why_tls_stream_gap(&rc->tls[dir], n);
    }
}

static void fl_close(void *ctx, struct why_conn *c, const struct why_pkt *p)
{
    struct why_session *s = ctx;
    struct rec_conn *rc = c->app;
    (void)p;
    if (!rc)
        return;
    rc->c = *c;
    rc->c.app = NULL;
    if (rc->dec) {
        struct why_tlsdec_info info;
        why_tlsdec_get_info(rc->dec, &info);
        if (info.decrypted)
            s->sum.tls_decrypted++;
        else
            s->sum.tls_keyless++;
    }
    if (why_core_http(rc) && rc->hresp) {
        struct http_ctx hc;
        struct why_http1_cb req, resp;
        http_cbs(s, rc, &hc, &req, &resp);
        const struct why_frame *saved = s->cur_frame;
        why_http1_stream_close(rc->hresp, &resp);
        s->cur_frame = saved;
    }
    rc->live = NULL;
    rc->closed = true;
    c->app = NULL;
    /* parsers are not needed any more */
    http_free(rc);
    why_tls_stream_fini(&rc->tls[0]);
    why_tls_stream_fini(&rc->tls[1]);
}

static struct rec_dns *dns_find(struct why_session *s, const struct why_addr *cli, uint16_t cport,
                                const struct why_addr *srv, uint16_t qid, const char *qname,
                                uint16_t qtype)
{
    int n = 0;
    for (struct rec_dns *d = s->dtail; d && n < DNS_LOOKBACK; d = d->prev, n++) {
        if (d->qid == qid && d->cli_port == cport && d->qtype == qtype &&
            why_addr_eq(&d->cli, cli) && why_addr_eq(&d->srv, srv) && strcmp(d->qname, qname) == 0)
            return d;
    }
    return NULL;
}

static void fl_udp(void *ctx, const struct why_pkt *p)
{
    struct why_session *s = ctx;
    if (p->icmp_error) {
        /* an ICMP error quoting a DNS query: the resolver is not listening/reachable */
        if (p->quoted.valid && p->quoted.ports && p->quoted.dport == 53) {
            int n = 0;
            for (struct rec_dns *d = s->dtail; d && n < DNS_LOOKBACK; d = d->prev, n++)
                if (!d->answered && d->cli_port == p->quoted.sport &&
                    why_addr_eq(&d->cli, &p->quoted.src) && why_addr_eq(&d->srv, &p->quoted.dst)) {
                    d->icmp = true;
                    d->icmp_frame = p->frame->num;
                    break;
                }
        }
        return;
    }
    if (p->sport != 53 && p->dport != 53)
        return;
    struct why_dns_msg m;
    if (why_dns_parse(p->payload, p->paylen, &m) < 0 || !m.has_question)
        return;
    if (!m.response) {
        s->sum.dns_queries++;
        addr_add(s, s->originators, &s->norig, 64, &p->src);
        struct rec_dns *d = dns_find(s, &p->src, p->sport, &p->dst, m.id, m.qname, m.qtype);
        if (d && !d->answered) {
            d->tries++;
            d->last_q_frame = p->frame->num;
            d->last_q_ts = p->frame->ts;
            return;
        }
        if (s->ndns >= WHY_RECORDS_MAX) {
            s->sum.cap_records_dropped++;
            return;
        }
        d = calloc(1, sizeof *d);
        if (!d)
            return;
        d->id = ++s->next_dns_id;
        d->cli = p->src;
        d->srv = p->dst;
        d->cli_port = p->sport;
        d->srv_port = p->dport;
        d->qid = m.id;
        copy_str(d->qname, sizeof d->qname, m.qname);
        d->qtype = m.qtype;
        d->q_frame = d->last_q_frame = p->frame->num;
        d->q_ts = d->last_q_ts = p->frame->ts;
        d->tries = 1;
        d->prev = s->dtail;
        if (s->dtail)
            s->dtail->next = d;
        else
            s->dhead = d;
        s->dtail = d;
        s->ndns++;
    } else {
        struct rec_dns *d = dns_find(s, &p->dst, p->dport, &p->src, m.id, m.qname, m.qtype);
        if (!d || d->answered)
            return;
        d->answered = true;
        d->a_frame = p->frame->num;
        d->a_ts = p->frame->ts;
        d->rcode = m.rcode;
        d->naddrs = m.naddrs > 4 ? 4 : m.naddrs;
        memcpy(d->addrs, m.addrs, d->naddrs * sizeof d->addrs[0]);
        if (m.naddrs == 0 && m.rcode == 0 && m.ancount > 0 && m.qtype != WHY_DNS_A &&
            m.qtype != WHY_DNS_AAAA)
            d->naddrs = 0;
    }
}

/* ---- public API ---- */

static int parse_gateways(struct why_session *s, const char *spec, char *err, size_t errsize)
{
    char buf[512];
    copy_str(buf, sizeof buf, spec);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char addr[128];
        copy_str(addr, sizeof addr, tok);
        /* ADDR, ADDR:PORT, [V6], [V6]:PORT */
        char *port = NULL;
        if (addr[0] == '[') {
            char *close = strchr(addr, ']');
            if (close && close[1] == ':')
                port = close + 2;
            if (close)
                close[1] = 0;
        } else {
            char *colon = strchr(addr, ':');
            if (colon && !strchr(colon + 1, ':')) {
                *colon = 0;
                port = colon + 1;
            }
        }
        struct why_addr a;
        if (why_addr_parse(addr, &a) < 0) {
            snprintf(err, errsize, "--gateway: '%s' is not an IP address", tok);
            return -1;
        }
        addr_add(s, s->local, &s->nlocal, 32, &a);
        if (port && *port && s->ngw_ports < 8) {
            char *end;
            long v = strtol(port, &end, 10);
            if (*end || v <= 0 || v > 65535) {
                snprintf(err, errsize, "--gateway: bad port in '%s'", tok);
                return -1;
            }
            s->gw_ports[s->ngw_ports++] = (uint16_t)v;
        }
    }
    s->local_from_option = true;
    return 0;
}

struct why_session *why_session_new(const struct why_options *o, const struct why_sink *sink,
                                    char *err, size_t errsize)
{
    struct why_session *s = calloc(1, sizeof *s);
    if (s) {
        s->cur_frame = &s->last_frame;
        s->index = calloc(WHY_INDEX_BUCKETS, sizeof *s->index);
        s->hindex = calloc(WHY_INDEX_BUCKETS, sizeof *s->hindex);
        if (!s->index || !s->hindex) {
            free(s->index);
            free(s->hindex);
            free(s);
            s = NULL;
        }
    }
    if (!s) {
        snprintf(err, errsize, "out of memory");
        return NULL;
    }
    if (o)
        s->opt = *o;
    else
        why_options_init(&s->opt);
    if (sink)
        s->sink = *sink;
    if (s->opt.keylog) {
        /* a key log that cannot be read is a warning: the capture is diagnosed without keys */
        char kerr[200];
        s->sum.keylog_used = true;
        if (why_keylog_load(s->opt.keylog, &s->keylog, kerr, sizeof kerr) < 0) {
            snprintf(s->sum.keylog_warning, sizeof s->sum.keylog_warning, "%s", kerr);
            s->keylog = NULL;
        } else {
            s->sum.keylog_lines_ignored = why_keylog_ignored(s->keylog);
            s->plain = malloc(WHY_TLSDEC_OUT_MAX);
            if (!s->plain) {
                why_keylog_free(s->keylog);
                s->keylog = NULL;
                snprintf(s->sum.keylog_warning, sizeof s->sum.keylog_warning, "%s: out of memory",
                         s->opt.keylog);
            }
        }
    }
    if (s->opt.gateways && parse_gateways(s, s->opt.gateways, err, errsize) < 0) {
        free(s->index);
        free(s->hindex);
        free(s);
        return NULL;
    }
    struct why_flow_cb cb = {s, fl_open, fl_event, fl_data, fl_gap, fl_close, fl_udp};
    s->flow = why_flow_new(&cb);
    if (!s->flow) {
        snprintf(err, errsize, "out of memory");
        free(s->index);
        free(s->hindex);
        free(s);
        return NULL;
    }
    return s;
}

void why_session_frame(struct why_session *s, const struct why_frame *f)
{
    struct why_pkt p;
    s->cur_frame = f;
    s->last_frame = *f;
    s->last_frame.data = NULL;
    s->last_frame.caplen = 0;
    s->sum.frames++;
    s->sum.bytes += f->wirelen;
    if (s->sum.frames == 1 || why_ts_cmp(f->ts, s->sum.first_ts) < 0)
        s->sum.first_ts = f->ts;
    if (why_ts_cmp(f->ts, s->sum.last_ts) > 0)
        s->sum.last_ts = f->ts;
    if (why_ts_cmp(f->ts, s->now) > 0)
        s->now = f->ts;
    enum why_decode_status st = why_decode(f, &p);
    switch (st) {
    case WHY_DECODE_OK:
        break;
    case WHY_DECODE_TRUNCATED:
        s->sum.decode_truncated++;
        break;
    case WHY_DECODE_MALFORMED:
        s->sum.decode_malformed++;
        return;
    case WHY_DECODE_UNSUPPORTED:
        s->sum.decode_unsupported++;
        return;
    case WHY_DECODE_NOT_IP:
        return;
    }
    if (p.ipver == 0)
        return;
    learn_local(s, &p);
    why_flow_packet(s->flow, &p);
    if (why_ts_zero(s->last_sweep) || why_ts_diff_us(s->last_sweep, s->now) >= SWEEP_EVERY_US) {
        s->last_sweep = s->now;
        sweep_queue(s, false);
        prune(s, false);
    }
}

void why_session_finish(struct why_session *s)
{
    s->cur_frame = &s->last_frame;
    why_flow_finish(s->flow);
    sweep_queue(s, true);
    prune(s, true);
    const struct why_flow_stats *fs = why_flow_stats(s->flow);
    s->sum.cap_conns_evicted = fs->conns_evicted;
    s->sum.cap_ooo_dropped = fs->ooo_dropped;
    s->sum.caps_hit = s->sum.cap_conns_evicted + s->sum.cap_ooo_dropped +
                      s->sum.cap_http_head_too_long + s->sum.cap_pending_dropped +
                      s->sum.cap_records_dropped;
    s->sum.ngateways = 0;
    for (uint32_t i = 0; i < s->nlocal && s->sum.ngateways < 8; i++)
        if (why_core_is_gateway_addr(s, &s->local[i]))
            s->sum.gateways[s->sum.ngateways++] = s->local[i];
    for (uint32_t i = 0; i < s->nserved && s->sum.ngateways < 8; i++)
        if (why_core_is_gateway_addr(s, &s->served[i]) &&
            !addr_in(s->sum.gateways, s->sum.ngateways, &s->served[i]))
            s->sum.gateways[s->sum.ngateways++] = s->served[i];
}

const struct why_summary *why_session_summary(const struct why_session *s) { return &s->sum; }

void why_session_free(struct why_session *s)
{
    if (!s)
        return;
    why_flow_free(s->flow);
    while (s->rhead) {
        struct rec_conn *rc = s->rhead;
        s->rhead = rc->rnext;
        while (rc->txn_head) {
            struct txn *t = rc->txn_head;
            rc->txn_head = t->next;
            txn_free(s, t);
        }
        rec_free(rc);
    }
    while (s->dhead) {
        struct rec_dns *d = s->dhead;
        s->dhead = d->next;
        free(d);
    }
    free(s->index);
    free(s->hindex);
    free(s->plain);
    why_keylog_free(s->keylog);
    free(s);
}
