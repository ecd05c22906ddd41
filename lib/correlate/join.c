/* Joining a client's request to what the gateway did for it: the DNS queries for its host, the
 * connection attempts (tried one after another), and the upstream request that carried it.
 * Forward proxies (absolute-form, CONNECT) are joined by host and path, reverse proxies by path
 * and time; keep-alive and parallel requests are told apart because each upstream request and
 * each failed attempt is joined to one client request only (the earliest that can own it). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <strings.h>

#include "correlate/join.h"
#include "util/ascii.h"
#include "util/url.h"

static bool in_window(struct why_ts t, struct why_ts from, struct why_ts to)
{
    return why_ts_diff_us(from, t) >= -WHY_SKEW_US && why_ts_diff_us(t, to) >= -WHY_SKEW_US;
}

/* When the client leg ended for this request: the answer's first byte, or whoever closed. */
static struct why_ts client_end(const struct why_join_ctx *cx, const struct why_txn *c, uint64_t *frame)
{
    const struct why_conn *cc = why_rec_conn(c->rc);
    if (c->has_resp) {
        *frame = c->resp_first_frame;
        return c->resp_first_ts;
    }
    struct why_ts best = cx->now;
    *frame = 0;
    for (int d = 0; d < 2; d++) {
        struct why_ts ts;
        uint64_t f;
        if (why_half_end_first(cc->half[d].end, c->req_ts, &ts, &f) && why_ts_cmp(ts, best) < 0) {
            best = ts;
            *frame = f;
        }
    }
    return best;
}

static bool addr_in_dns(const struct why_join *x, const struct why_addr *a)
{
    for (uint32_t i = 0; i < x->ndns; i++)
        for (uint32_t j = 0; j < x->dns[i]->naddrs; j++)
            if (why_addr_eq(&x->dns[i]->addrs[j], a))
                return true;
    return false;
}

/* The gateway's resolver still held a for host when it connected there at syn: the latest
 * answer for host with an address of a's family received before syn gave it (a resolver
 * caches answers; a lookup made while the request waited may be of the other family only,
 * or fail, while the gateway connects where its cache says). Of answers of one time, any
 * that gave a will do. The index by name and family holds them latest first: those after
 * syn are passed, then the walk stops at the first answer older than the latest. */
static bool addr_cached_for(const struct why_join_ctx *cx, const struct why_addr *a, const char *host,
                            struct why_ts syn)
{
    const struct why_dns_rec *latest = NULL;
    uint64_t hkey = why_request_key("", host);
    for (const struct why_dns_rec *d = why_store_dns_answers(cx->st, hkey, a->family); d;
         d = why_store_dns_answers_next(d, a->family)) {
        if (d->nkey != hkey || !d->answered || why_ts_cmp(d->a_ts, syn) > 0 || strcmp(d->qname, host) != 0)
            continue;
        if (latest && why_ts_cmp(d->a_ts, latest->a_ts) < 0)
            return false;
        latest = d;
        for (uint32_t j = 0; j < d->naddrs; j++)
            if (why_addr_eq(&d->addrs[j], a))
                return true;
    }
    return false;
}

/* No attempt can score for the request in the walk of why_join_request: its host is a name
 * it looked up, none of its lookups gave an address, and no answer the store holds for the
 * name gave one (addr_in_dns and addr_cached_for are false for every address). The walk,
 * O(records opened in the window), is then not made: a request to a name that does not
 * exist costs its own lookups, not every connection of its time. */
static bool name_leads_nowhere(const struct why_join_ctx *cx, const struct why_join *x, const char *host)
{
    for (uint32_t i = 0; i < x->ndns; i++)
        if (x->dns[i]->naddrs)
            return false;
    uint64_t hkey = why_request_key("", host);
    for (uint8_t fam = 4; fam <= 6; fam += 2)
        for (const struct why_dns_rec *d = why_store_dns_answers(cx->st, hkey, fam); d;
             d = why_store_dns_answers_next(d, fam))
            if (d->nkey == hkey && d->answered && strcmp(d->qname, host) == 0)
                return false;
    return true;
}

/* A forward proxy's client names the address itself; a reverse proxy's Host does not tell
 * where the gateway connects. Absolute-form (and CONNECT) requests are forward proxying. */
static bool direct_addr_known(const struct why_join_ctx *cx, const struct why_txn *client)
{
    (void)cx;
    return why_str_is(client->method, "CONNECT") || client->target_len == 0 ||
           client->target[0] != '/';
}

/* The capture shows DNS answering this address for another name (and never for host): a
 * connection to it was made for a request to that other name. Host's answers of a's family
 * (the index by name and family) say whether one gave a; then any record that did is for
 * another name. */
/* A lookup of host (its index by name and family) answered a. */
static bool name_gave(const struct why_join_ctx *cx, const char *host, const struct why_addr *a)
{
    uint64_t hkey = why_request_key("", host);
    for (const struct why_dns_rec *d = why_store_dns_answers(cx->st, hkey, a->family); d;
         d = why_store_dns_answers_next(d, a->family)) {
        if (d->nkey != hkey || strcmp(d->qname, host) != 0)
            continue;
        for (uint32_t j = 0; j < d->naddrs; j++)
            if (why_addr_eq(&d->addrs[j], a))
                return true;
    }
    return false;
}

static bool addr_for_other_name(const struct why_join_ctx *cx, const struct why_addr *a, const char *host)
{
    if (name_gave(cx, host, a))
        return false;
    for (const struct why_dns_alink *l = why_store_dns_by_addr(cx->st, a); l; l = l->next)
        if (why_addr_eq(why_dns_alink_addr(l), a))
            return true;
    return false;
}

static bool tls_healthy(const struct why_conn_rec *rc)
{
    return rc->tls->data_records[WHY_S2C] > (rc->tls->version == 0x0304 ? 1u : 0u) &&
           why_rec_tls_sent_data(rc) && !rc->tls->alert_frame && !rc->tls->reneg_frame && !rc->tls->cert_problem;
}

/* A request joined without address knowledge (a reverse proxy's fixed upstream, no DNS of
 * its own) must not take the attempt another pending request is waiting for: one whose
 * gateway looked its host up and got this address. The first attempt there after that
 * answer is that request's. */
static bool taken(const struct why_join *x, const struct why_conn_rec *rc);

/* A queued request other than client, with a Host, waiting for d's name since before d was
 * asked: from the queue's index by host, the one that began first (the others began later). */
static bool dns_waited_for(const struct why_join_ctx *cx, const struct why_txn *client, const struct why_dns_rec *d)
{
    for (const struct why_txn *q = why_store_queued_host(cx->st, d->nkey); q; q = q->hqnext) {
        if (q == client || q->decided || !q->host[0] || q->hkey != d->nkey || strcmp(d->qname, q->ihost) != 0)
            continue;
        return why_ts_diff_us(q->req_first_ts, d->q_ts) >= -WHY_CAUSAL_US;
    }
    return false;
}

/* A queued request other than client, not decided, for name (dns_waited_for's test but the
 * time). */
static bool name_queued(const struct why_join_ctx *cx, const struct why_txn *client, uint64_t nkey, const char *qname)
{
    for (const struct why_txn *q = why_store_queued_host(cx->st, nkey); q; q = q->hqnext)
        if (why_join_other_for_name(q, client, nkey, qname))
            return true;
    return false;
}

static bool reserved_for_other(const struct why_join_ctx *cx, const struct why_join *x,
                               const struct why_txn *client, const struct why_conn_rec *rc)
{
    const struct why_conn *c = why_rec_conn(rc);
    /* rc is the first attempt there after some answer a waiting request asked for exactly
     * when it is after the latest such answer (before rc): the answers that gave the address
     * (its index), of them the latest a queued request waited for; then no other attempt
     * there between that answer and rc. */
    bool any = false;
    struct why_ts latest = {0};
    /* none when no queued request is for a name that gave the address (a resolver's backend
     * name, looked up for every request: the index holds thousands of its answers) */
    const struct why_addr_names *nm = why_join_addr_names(cx, &c->srv_addr);
    bool asked = !nm;
    for (uint32_t k = 0; nm && k < nm->n && !asked; k++)
        asked = name_queued(cx, client, nm->v[k].nkey, nm->v[k].qname);
    if (!asked)
        return false;
    for (const struct why_dns_alink *l = why_store_dns_by_addr(cx->st, &c->srv_addr); l; l = l->next) {
        const struct why_dns_rec *d = l->rec;
        if (!d->answered || why_ts_cmp(d->a_ts, c->syn_ts0) > 0 || (any && why_ts_cmp(d->a_ts, latest) <= 0) ||
            !why_addr_eq(why_dns_alink_addr(l), &c->srv_addr) || !dns_waited_for(cx, client, d))
            continue;
        latest = d->a_ts;
        any = true;
    }
    if (!any)
        return false;
    /* an attempt there between that answer and rc (ties: the older goes first) */
    for (const struct why_conn_rec *o = why_store_conns_to(cx->st, &c->srv_addr); o; o = o->anext) {
        if (why_join_conns_before(cx, o, latest))
            break;
        const struct why_conn *oc = why_rec_conn(o);
        if (o == rc || o->claimed || taken(x, o) || oc->syn_count == 0 || !why_addr_eq(&oc->srv_addr, &c->srv_addr) ||
            why_ts_cmp(oc->syn_ts0, latest) < 0)
            continue;
        int cmp = why_ts_cmp(oc->syn_ts0, c->syn_ts0);
        if (cmp < 0 || (cmp == 0 && oc->id < c->id))
            return false;
    }
    return true;
}

static bool is_upstream_conn(const struct why_join_ctx *cx, struct why_conn_rec *rc)
{
    why_gw_roles(cx->gw, rc);
    return rc->gw_cli && !rc->gw_srv;
}

static bool attempt_failed(const struct why_conn_rec *rc)
{
    return !why_rec_conn(rc)->established;
}

/* The walk of the records that may be tries of list l, newest first from the newest made by
 * upto: the store's list, or with --exhaustive every record (which checks the lists). */
static struct why_conn_rec *tries_from(const struct why_join_ctx *cx, enum why_try_list l,
                                       const struct why_conn_rec *upto)
{
    return cx->exhaustive ? cx->st->rtail : why_store_try_upto(cx->st, upto, l);
}

/* ...from the newest record begun by t (a failed try's first packet is its SYN, or its answer
 * read before it within the reorder tolerance): the tries made since are not read. */
static struct why_conn_rec *tries_by(const struct why_join_ctx *cx, enum why_try_list l, struct why_ts t)
{
    return tries_from(cx, l, why_store_rec_upto(cx->st, why_ts_add_us(t, 2 * WHY_SKEW_US)));
}

static struct why_conn_rec *tries_prev(const struct why_join_ctx *cx, const struct why_conn_rec *rc,
                                       enum why_try_list l)
{
    return cx->exhaustive ? rc->rprev : why_store_try_prev(cx->st, rc, l);
}

#define WHY_UNHEARD_US 10000 /* an attempt begun this little before the gateway answered was not
                                 given up on by a timer: no gateway's connect timeout is near
                                 this short (HAProxy advises > 3 s, Caddy's dial_timeout and
                                 Varnish's connect_timeout are 3 and 3.5 s, nginx's, Squid's and
                                 Apache's 60 s by default; the lab's shortest is 1 s) */

/* rc, a failed attempt, had begun less than WHY_UNHEARD_US before `answer` and nothing had
 * come back for it yet (no SYN-ACK, RST or ICMP stamped before the answer): the gateway had
 * neither heard it fail nor waited out a connect timeout on it, so it is not why the gateway
 * answered then. A packet is stamped as it arrives, before the gateway can act on it, so an
 * outcome stamped after the answer was not known when the answer left. races/run11: HAProxy
 * answered `nxdomain` 13 us after another request's SYN, whose ICMP came 28 us after the
 * answer (41 us round trip). A client that gave up has no answer: its attempt stays. An
 * attempt with no outcome in the capture at all is not judged so. */
static bool unheard_at_answer(const struct why_conn_rec *rc, struct why_ts answer)
{
    const struct why_conn *c = why_rec_conn(rc);
    int64_t age = why_ts_diff_us(c->syn_ts0, answer);
    if (!attempt_failed(rc) || c->syn_count == 0 || age < 0 || age >= WHY_UNHEARD_US)
        return false;
    if (c->synack_frame && why_ts_cmp(c->synack_ts, answer) <= 0)
        return false;
    if (c->half[WHY_S2C].end->rst_frame && why_ts_cmp(c->half[WHY_S2C].end->rst_ts, answer) <= 0)
        return false;
    if (c->more->icmp_frame && why_ts_cmp(c->more->icmp_ts, answer) <= 0)
        return false;
    /* and its outcome is in the capture, after the answer: an attempt with none at all may be
     * one whose answers the capture lacks (one direction of the upstream leg lost), and then
     * nothing says when the gateway heard back */
    return c->synack_frame || c->half[WHY_S2C].end->rst_frame || c->more->icmp_frame;
}

static struct why_conn_rec *chain_link(const struct why_join_ctx *cx, struct why_conn_rec *rc, struct why_ts from);
static bool chain_answered(const struct why_join_ctx *cx, const struct why_txn *q, struct why_conn_rec *rc);

bool why_join_direct(const struct why_join_ctx *cx, const struct why_txn *client)
{
    const struct why_conn *cc = why_rec_conn(client->rc);
    /* a host talking to itself (loopback) is never a gateway hop */
    why_gw_roles(cx->gw, client->rc);
    return !client->rc->gw_srv || why_addr_eq(&cc->cli_addr, &cc->srv_addr);
}

/* t, an upstream request whose host is not client's, went out while a client's request for t's
 * own host and t's method and path waited, not answered before t went: that request's. A
 * reverse proxy may rewrite the Host, but does not send one client's request with the Host of
 * another that waits for the same path (a retry shape's capture, HAProxy: requests for
 * drop.bench, whose tries all timed out, took the upstream request for /f/381.png that
 * stall.bench's request of the same file made, and read as no response). The queue by host,
 * oldest first, down to the requests that began after t. */
static bool same_host_owner_waiting(const struct why_join_ctx *cx, const struct why_txn *client, const struct why_txn *t)
{
    if (!t->ihost[0])
        return false;
    for (const struct why_txn *q = why_store_queued_host(cx->st, t->hkey); q; q = q->hqnext) {
        if (why_ts_diff_us(t->req_first_ts, q->req_first_ts) > WHY_CAUSAL_US)
            break;
        if (q == client || q->decided || q->hkey != t->hkey || q->pkey != t->pkey || strcmp(q->ihost, t->ihost) != 0 ||
            strcmp(q->method, t->method) != 0 ||
            (q->has_resp && why_ts_diff_us(t->req_first_ts, q->resp_first_ts) < -WHY_CAUSAL_US))
            continue;
        return true;
    }
    return false;
}

/* t, an upstream request without a Host, is not the one for client's, which had one: a gateway
 * passes a request's Host on or rewrites it (HTTP/1.1 requires one), never drops it. Such a
 * request is the gateway's own (HAProxy's `option httpchk GET /f/000.html` checks are that
 * line and HTTP/1.0, nothing else: a retry shape's capture, requests for drop.bench/f/000.html
 * took b_api's check and read as "answered 200 upstream", a gateway error). */
static bool host_dropped(const struct why_txn *client, const struct why_txn *t)
{
    return client->host[0] && !t->host[0];
}

/* Is t (a request on another connection) the gateway's upstream request for client's? Same
 * method, a path that is the same or a suffix (reverse proxies may add a prefix), sent while
 * client's request waited, not joined before. Returns a score (0 = no). */
static int upstream_score(const struct why_join_ctx *cx, const struct why_txn *client, const struct why_url *u,
                          struct why_ts from, struct why_ts to, const struct why_txn *t)
{
    struct why_conn_rec *rc = t->rc;
    /* the window first: the walk meets every upstream request sent since the client's began,
     * up to the decision, most of them after its answer */
    if (!in_window(t->req_first_ts, from, to) || t->claimed_by || rc == client->rc || !why_rec_http(rc) ||
        !is_upstream_conn(cx, rc) || strcmp(t->method, client->method) != 0 || host_dropped(client, t))
        return 0;
    /* t's path and host as the request index took them from its URL (ipath: a run of its
     * target's bytes; ihost, lower-case), not parsed again for each request's walk; parsed
     * when the index has no host for it (none, or out of memory) */
    bool same_host;
    if (t->ipath && t->ihost[0]) {
        size_t cn = strlen(u->path), un = t->ipath_len;
        if (!(un == cn && memcmp(t->ipath, u->path, cn) == 0) &&
            !(cn > 1 && un > cn && memcmp(t->ipath + un - cn, u->path, cn) == 0))
            return 0;
        same_host = strcmp(t->ihost, u->host) == 0;
    } else {
        struct why_url tu;
        why_url_parse(t->method, t->target ? t->target : "", t->target_len, t->host, &tu);
        if (strcmp(tu.path, u->path) != 0 && !why_url_path_suffix(u->path, tu.path))
            return 0;
        same_host = strcmp(tu.host, u->host) == 0;
    }
    /* forward proxies keep the host (the same path on another host is another request);
     * reverse proxies may rewrite it */
    if (same_host)
        return 2;
    return direct_addr_known(cx, client) || same_host_owner_waiting(cx, client, t) ? 0 : 1;
}

static struct why_txn *pick_better(struct why_txn *best, int *best_score, struct why_txn *t, int score)
{
    if (score > 0 && (!best || score > *best_score ||
                      (score == *best_score && why_ts_cmp(t->req_first_ts, best->req_first_ts) < 0))) {
        *best_score = score;
        return t;
    }
    return best;
}

/* Does the scan of every record (creation order, then each one's requests in order) meet a
 * before b? Records are created in the order of the flow table's connection ids. */
static bool scan_before(const struct why_txn *a, const struct why_txn *b)
{
    if (a->rc != b->rc)
        return why_rec_conn(a->rc)->id < why_rec_conn(b->rc)->id;
    return a->id < b->id;
}

/* The walk of the upstream candidates' list, newest first down to the first request whose
 * head ended before oldest, meets t (a candidate). Requests are on it by creation, and
 * each one's head ended less than WHY_ORDER_SLACK_US before any created earlier
 * (why_store_cands_ordered): so when t's ended more than that after oldest, every one
 * after it ended after oldest too. Else (a head that began in the window but ended before
 * it: packet times out of order) the list is walked from t. */
static bool cands_walk_meets(const struct why_txn *t, struct why_ts oldest)
{
    if (why_ts_diff_us(oldest, t->req_ts) > WHY_ORDER_SLACK_US)
        return true;
    for (const struct why_txn *e = t; e; e = e->tnext)
        if (why_ts_cmp(e->req_ts, oldest) < 0)
            return false;
    return true;
}

/* upstream_score for a candidate of the index: its keys already say method, path (and
 * host) are the client's, so nothing is parsed again. */
static int indexed_score(const struct why_join_ctx *cx, const struct why_txn *client, bool same_host,
                         struct why_ts to, const struct why_txn *t)
{
    struct why_conn_rec *rc = t->rc;
    if (t->claimed_by || rc == client->rc || !why_rec_http(rc) || !is_upstream_conn(cx, rc) ||
        !in_window(t->req_first_ts, client->req_first_ts, to) || host_dropped(client, t))
        return 0;
    if (t->hkey == client->hkey)
        return 2;
    return same_host || same_host_owner_waiting(cx, client, t) ? 0 : 1;
}

/* pick_better, ties (same score, same first byte) going to the one the scan of every record
 * meets first: whatever order the candidates come in, the answer is the scan's. */
static struct why_txn *pick_indexed(struct why_txn *best, int *best_score, struct why_txn *t, int score)
{
    if (score > 0 && best && score == *best_score && why_ts_cmp(t->req_first_ts, best->req_first_ts) == 0)
        return scan_before(t, best) ? t : best;
    return pick_better(best, best_score, t, score);
}

struct why_txn *why_join_upstream_indexed(const struct why_join_ctx *cx, const struct why_txn *client)
{
    uint64_t end_frame;
    struct why_ts to = client_end(cx, client, &end_frame);
    bool same_host = direct_addr_known(cx, client); /* forward proxy: the host must match */
    struct why_txn *best = NULL;
    int best_score = 0;
    if (cx->exhaustive) {
        /* every record's requests, for the same answer without the index */
        for (struct why_conn_rec *rc = cx->st->rhead; rc; rc = rc->rnext)
            for (struct why_txn *t = rc->txn_head; t; t = t->next)
                if (t->indexed && why_store_request_like(t, client, same_host))
                    best = pick_indexed(best, &best_score, t, indexed_score(cx, client, same_host, to, t));
        return best;
    }
    /* those begun in the window indexed_score reads (a microsecond wider each side: its
     * differences are in whole microseconds) */
    struct why_ts lo = why_ts_add_us(client->req_first_ts, -(WHY_SKEW_US + 1)), hi = why_ts_add_us(to, WHY_SKEW_US + 1);
    struct why_twalk w;
    for (struct why_txn *t = why_store_requests(cx->st, client, same_host, lo, hi, &w); t;
         t = why_store_requests_next(&w, client, same_host))
        best = pick_indexed(best, &best_score, t, indexed_score(cx, client, same_host, to, t));
    return best;
}

/* A request's window for the SYN of one of its tries: from the request (less WHY_CAUSAL_US)
 * to the gateway's answer (within the reorder tolerance). */
struct syn_span {
    struct why_ts from, to;
};

static bool syn_fits(struct why_ts syn, const struct syn_span *w)
{
    return in_window(syn, w->from, w->to) && why_ts_diff_us(w->from, syn) >= -WHY_CAUSAL_US;
}

/* The slot's record cannot be a try in window w, told without reading the record: its first
 * SYN, at its first packet's time (syn_first), falls outside (try_possible would say no). The
 * walks over the window's slack (why_store_rec_back_us: the records' lag and how late a SYN
 * came after its record's first packet, so a walk passes the records opened that long before
 * the window) then read only those of it whose first packet was not their SYN; each record
 * read is two misses (the record and its connection). */
static bool slot_syn_out(const struct why_rec_slot *s, const struct syn_span *w)
{
    return w && s->syn_first && !syn_fits(s->first_ts, w);
}

/* The windowed walk's next upstream record, newest first, down to the first one opened
 * before oldest (records are in the order of their first packet, within rlag_us): from the store's places of upstream connections (us, *slot: the
 * place after it), so that the client connections opened between them, however many are
 * held open, are not read; from the vector by creation when those places are not kept
 * (us NULL: each held client connection is one entry read and skipped); rc (the list's
 * next) when the vector is not kept either. Stopping at the first upstream record opened
 * before oldest instead of at the first record of any kind walks at most the upstream
 * records opened within rlag_us before it, which began before the window:
 * the walk's own test of the window leaves them. */
static struct why_conn_rec *window_prev(const struct why_join_ctx *cx, const uint32_t *us, size_t *slot,
                                        struct why_ts oldest, struct why_conn_rec *rc, const struct syn_span *sw)
{
    if (!cx->st->slots_ok)
        return rc && why_ts_cmp(rc->first_ts, oldest) >= 0 ? rc : NULL;
    while (*slot > 0) {
        --*slot;
        struct why_rec_slot *s = &cx->st->slots[us ? us[*slot] : *slot];
        if (!s->rc)
            continue;
        if (why_ts_cmp(s->first_ts, oldest) < 0)
            return NULL;
        if (slot_syn_out(s, sw))
            continue;
        if (us || why_store_slot_upstream(cx->gw, s))
            return s->rc;
    }
    return NULL;
}

/* The walk of a request's tries when no connection is known to have carried it, newest
 * first from the upstream place `top` down to oldest (window_prev's stop): the upstream
 * places not sorted yet (why_store_try_slots' front and above), then the sorted ones that
 * could be a try. The records it leaves out are established connections that carried HTTP,
 * which the walk's own tests leave out for such a request (a working connection that
 * carried other requests), so it picks what the walk of every upstream record picks. */
struct try_walk {
    const uint32_t *us, *ts; /* upstream places (NULL: the walk of window_prev), sorted tries */
    size_t i, front, j;      /* next place in us (i > front), the sort's front, next in ts */
    const struct syn_span *sw; /* the request's window (NULL: none) */
};

static struct why_conn_rec *try_prev(const struct why_join_ctx *cx, struct try_walk *w, struct why_ts oldest)
{
    while (w->i > w->front) {
        const struct why_rec_slot *s = &cx->st->slots[w->us[--w->i]];
        if (!s->rc)
            continue;
        if (why_ts_cmp(s->first_ts, oldest) < 0) {
            w->j = 0; /* (the stop holds for the sorted places below) */
            return NULL;
        }
        if (!slot_syn_out(s, w->sw))
            return s->rc;
    }
    return window_prev(cx, w->ts, &w->j, oldest, NULL, w->sw);
}

/* The place in us (n of them, slot places in increasing order) of the first at or above
 * the vector's place top: the upstream records the walk from top down reads are those
 * below it. */
static size_t upstream_top(const uint32_t *us, size_t n, size_t top)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (us[mid] < top)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Where the windowed walk starts (the *slot of window_prev): past the records that opened
 * after `latest`, the window's end, which the walk from the newest passed over one by one (a
 * request is joined once it settled: the records of that time, and of the sweep's, are
 * newer). Records are in the order of their first packet within rlag_us (as the walk's stop
 * below the window holds; why_store_rec_back_us is no less), and a SYN read after its SYN-ACK may precede its
 * connection's first packet by the reorder tolerance: so a record that opened later than
 * `latest` by more than both has only records after it that opened after `latest`. Found
 * by probing back from the newest at doubling distances, then halving between. */
static size_t window_top(const struct why_join_ctx *cx, struct why_ts latest)
{
    const struct why_store *st = cx->st;
    size_t top = st->nslots;
    if (!st->slots_ok)
        return top;
    struct why_ts limit = why_ts_add_us(latest, why_store_rec_back_us(cx->st) + WHY_SKEW_US);
    size_t lo = 0; /* a slot not past the limit (or 0) */
    for (size_t step = 1; step <= st->nslots; step *= 2) {
        size_t at = st->nslots - step;
        if (why_ts_cmp(st->slots[at].first_ts, limit) <= 0) {
            lo = at;
            break;
        }
        top = at;
    }
    while (top - lo > 1) {
        size_t mid = lo + (top - lo) / 2;
        if (why_ts_cmp(st->slots[mid].first_ts, limit) > 0)
            top = mid;
        else
            lo = mid;
    }
    return top;
}

/* Was rc taken by this join already? */
static bool taken(const struct why_join *x, const struct why_conn_rec *rc)
{
    for (uint32_t i = 0; i < x->nattempts; i++)
        if (x->attempts[i] == rc)
            return true;
    return false;
}

#define WHY_WINDOW_ASKERS 8 /* (host, type) pairs a window tracks for later lookups (cap:
                               more ask that name at once: their queries stay pending) */

struct window {
    struct why_ts from, to;
    bool answered;                /* the gateway answered a failure at `to` */
    /* of the lookups walked so far (created later than the one looked at), per host and
     * query type, the latest that began before the request */
    uint32_t nlater;
    struct {
        struct why_addr cli;
        uint16_t qtype;
        struct why_ts q_ts;
    } later[WHY_WINDOW_ASKERS];
};

/* A host asked d's name and type again, before the request began, with a query created after
 * d's: it had given d up (a resolver sends a new query, new id, only when the previous one
 * timed out: HAProxy's next round, a stub's next attempt). Then records d for the lookups
 * walked after it (created before it). */
static bool replaced_before(struct window *w, const struct why_dns_rec *d)
{
    bool replaced = false;
    uint32_t i;
    for (i = 0; i < w->nlater; i++)
        if (w->later[i].qtype == d->qtype && why_addr_eq(&w->later[i].cli, &d->cli))
            break;
    if (i < w->nlater)
        replaced = why_ts_cmp(w->later[i].q_ts, d->q_ts) > 0;
    if (why_ts_cmp(d->q_ts, w->from) < 0) {
        if (i == w->nlater && w->nlater < WHY_WINDOW_ASKERS) {
            w->later[w->nlater].cli = d->cli;
            w->later[w->nlater].qtype = d->qtype;
            w->later[w->nlater++].q_ts = d->q_ts;
        } else if (i < w->nlater && why_ts_cmp(d->q_ts, w->later[i].q_ts) > 0) {
            w->later[i].q_ts = d->q_ts;
        }
    }
    return replaced;
}

/* Walked newest first (why_store_dns_by_name's order): replaced_before needs it. */
static bool dns_in_window(const struct why_dns_rec *d, struct window *w)
{
    bool replaced = replaced_before(w, d);
    /* queries made while the request waited, or still pending at its start (resolvers
     * coalesce concurrent lookups of one name), unless given up before it began */
    bool during = in_window(d->q_ts, w->from, w->to);
    bool pending = why_ts_cmp(d->q_ts, w->from) < 0 && (!d->answered || why_ts_cmp(d->a_ts, w->from) >= 0) &&
                   !replaced;
    /* a query sent less than WHY_UNHEARD_US before the gateway answered, whose answer came
     * after it (or never), is not why it answered: no resolver gives up that soon (races/run13:
     * HAProxy answered refused.lab's 503 0.09 ms after its resolvers' query, REFUSED 4 ms after
     * the 503, a round of their own schedule, named as the request's own lookup) */
    if (during && w->answered && why_ts_diff_us(d->q_ts, w->to) < WHY_UNHEARD_US &&
        (!d->answered || why_ts_cmp(d->a_ts, w->to) > 0))
        return false;
    return during || pending;
}

/* Up to WHY_JOIN_MAX records, the oldest, of the lookups of name in w, of those on the name
 * chain of key, put oldest first. Walked newest first (dns_in_window's order), the last ones
 * accepted are kept in a ring. The walk reads only the span of the chain's vector the window
 * needs: the records before it were asked and answered before the window (less the reorder
 * tolerance), none of them in it, during or pending; those after it were asked after the
 * request began, so dns_in_window takes or leaves each on its own, and only the oldest it
 * takes are needed: read oldest first up to the ones asked after the window, once the ring
 * holds fewer than WHY_JOIN_MAX. A request thus reads the lookups of its time (and of the
 * chain's longest wait for an answer and its disorder before it), not every lookup of its
 * name the store holds. */
static bool lookup_in_window(const struct why_dns_rec *d, uint64_t key, const char *name, struct window *w)
{
    return d && d->nkey == key && strcmp(d->qname, name) == 0 && dns_in_window(d, w);
}

static uint32_t dns_oldest(const struct why_join_ctx *cx, uint64_t key, const char *name, struct window *w,
                           struct why_dns_rec **out)
{
    struct why_dns_rec *ring[WHY_JOIN_MAX];
    uint64_t seen = 0;
    struct why_dns_span sp;
    bool span = why_store_dns_span(cx->st, key, why_ts_add_us(w->from, -WHY_SKEW_US), w->from, &sp);
    if (span) {
        for (uint32_t k = sp.hi; k-- > sp.lo;)
            if (lookup_in_window(sp.e[k].d, key, name, w))
                ring[seen++ % WHY_JOIN_MAX] = sp.e[k].d;
    } else {
        for (struct why_dns_rec *d = why_store_dns_by_name(cx->st, key); d; d = d->nnext)
            if (lookup_in_window(d, key, name, w))
                ring[seen++ % WHY_JOIN_MAX] = d;
    }
    uint32_t n = seen < WHY_JOIN_MAX ? (uint32_t)seen : WHY_JOIN_MAX;
    /* the last walked is the oldest: ring[(seen - 1) % MAX], going back */
    for (uint32_t i = 0; i < n; i++)
        out[i] = ring[(seen - 1 - i) % WHY_JOIN_MAX];
    int64_t last_us = why_ts_us(w->to) + WHY_SKEW_US;
    for (uint32_t k = span ? sp.hi : 0; span && k < sp.n && n < WHY_JOIN_MAX; k++) {
        if (k > sp.hi && why_dns_span_past(&sp, k, last_us))
            break; /* this one and every later one asked after the window */
        if (lookup_in_window(sp.e[k].d, key, name, w))
            out[n++] = sp.e[k].d;
    }
    return n;
}

/* DNS: queries for the host (an address literal asks none) made while the request waited */
static void join_dns_host(const struct why_join_ctx *cx, const char *host, bool host_is_ip,
                          struct why_ts from, struct why_ts to, bool answered, struct why_join *x)
{
    if (host[0] && !host_is_ip) {
        struct window w = {.from = from, .to = to, .answered = answered};
        x->ndns = dns_oldest(cx, why_request_key("", host), host, &w, x->dns);
    }
}

static void join_dns(const struct why_join_ctx *cx, const struct why_url *u, struct why_ts from,
                     struct why_ts to, bool answered, struct why_join *x)
{
    join_dns_host(cx, u->host, u->host_is_ip, from, to, answered, x);
}

/* ---- a gateway's 5xx with no upstream request: the final attempts, matched at once ----
 *
 * A reverse proxy's fixed servers are named by nothing in the packets (no DNS, no Host that
 * says an address), so parallel requests that fail at once cannot be told apart by where
 * they went. What the packets do say: a gateway answers a request right after its last
 * attempt failed (at once after a refusal; after its connect timeout when the SYNs go
 * unanswered or draw ICMP), and it tries a server again after a timer (HAProxy's retries),
 * so one request's attempts form a chain to one server. Each such request's final attempt is
 * matched over all of them at once: as many requests as can be get one, and of those matches
 * the one whose answers are closest to when the gateway gave up (the sum of squared costs,
 * match_finals). The request then gets the chain that ends with its attempt. */

#define WHY_FINAL_REQS_MAX 32   /* requests matched at once; more: none is matched (the walk
                                   below decides, as for any request) */
#define WHY_FINAL_CANDS_MAX 128 /* failed attempts looked at in their windows; more: likewise */
#define WHY_FINAL_PAIRS_MAX 512 /* (request, attempt) pairs that could match; more: likewise */
#define WHY_FINAL_CHAIN_MAX WHY_JOIN_MAX /* attempts of one chain */
#define WHY_GIVEUP_RACE_US 50000 /* a SYN the kernel retransmits this soon after the
                                     gateway answered, its last, raced the gateway's give-up
                                     (both ~1 s timers; HAProxy: 6.5 and 32 ms seen; 67 ms was
                                     another request's attempt living on) */
#define WHY_FINAL_COST_MAX_US (8LL * 1000000) /* a pair's cost is capped here (its square
                                                 stays below 2^46) */

#define WHY_AMBIG_RATIO 4 /* another pairing whose squared costs, over the requests it
                             changes, stay within this factor of the chosen one's (gaps within
                             twice) fits the packets as well: gateways answer a few ms after a
                             failure on a loaded machine, in an order of their own (races/run17:
                             Varnish answered rst 0.17 ms after its refusal, hostprohib 3.7 ms
                             after its ICMP; the match paired them the other way, at 2.2 and
                             1.6 ms) */
#define WHY_SAME_TURN_US 500 /* costs below this are all "at once": a gateway's event loop
                                answers several failures in one turn, in any order */
#define WHY_AMBIG_TRIES 8 /* alternatives tried for one request */

struct finals {
    struct why_conn_rec *own; /* the client's final attempt, or NULL */
    struct finals_other {     /* the other pairings (finals_alternative's alone: none when
                                 forced) */
        uint32_t nalt;        /* other pairings that fit as well, the cheapest first: */
        struct why_conn_rec *alt[WHY_JOIN_ALTS]; /* the client's final attempt in each, or NULL */
        uint64_t alt_with[WHY_JOIN_ALTS];        /* the request whose pair changes too: its frame */
        int64_t alt_cost[WHY_JOIN_ALTS];
        uint64_t swap_for;    /* the request that takes the client's final in the cheapest
                                 other pairing (frame; 0: none), and its file */
        uint32_t swap_for_file;
        int64_t swap_cost;
        uint32_t nalso;       /* the attempts other requests have in those pairings */
        struct why_conn_rec *also[WHY_JOIN_ALSO];
        uint64_t also_for[WHY_JOIN_ALSO];
        uint32_t also_file[WHY_JOIN_ALSO];
    } other;
    uint32_t nres;            /* attempts of the other requests' chains */
    struct why_conn_rec *res[WHY_FINAL_REQS_MAX * WHY_FINAL_CHAIN_MAX];
};

bool why_join_varnish_synth(const struct why_txn *t)
{
    return t->has_resp && !t->resp->via && strcmp(why_resp_str(t->resp, WHY_RESP_SERVER), "Varnish") == 0;
}

bool why_join_no_dial(const struct why_txn *t)
{
    return why_join_varnish_synth(t) ||
           (t->has_resp && t->status == 503 && strcmp(why_resp_str(t->resp, WHY_RESP_SERVER), "Caddy") == 0);
}

/* t was answered with a page of Varnish's own ("Server: Varnish"). Varnish dials one backend
 * per fetch: the director picks it (a fallback picks the first healthy by its probes, not by a
 * failed dial), and it dials another only when the VCL says retry, which the packets do not
 * show: a try of another server before the connection that carried the request is not its. */
static bool varnish_page(const struct why_txn *t)
{
    return t->has_resp && strcmp(why_resp_str(t->resp, WHY_RESP_SERVER), "Varnish") == 0;
}

bool why_join_varnish_fetch_failed(const struct why_txn *t)
{
    return t->status == 503 && strcmp(why_resp_str(t->resp, WHY_RESP_SERVER), "Varnish") == 0 &&
           strstr(why_resp_str(t->resp, WHY_RESP_TITLE), "Backend fetch failed");
}

/* Nothing in the capture names the server q was forwarded to, up to `until`: no gateway in
 * between, nor an address in its URL or a lookup of its host while it waited, nor an upstream
 * request of its own. */
static bool unnamed_server(const struct why_join_ctx *cx, const struct why_txn *q, struct why_ts until)
{
    if (why_join_direct(cx, q) || direct_addr_known(cx, q) || why_join_upstream_indexed(cx, q))
        return false;
    /* the gateway looked the host up while q waited: its answer says where q went (read
     * once while no packet comes: no lookup is added, answered or pruned before then) */
    struct why_sched_cache *k = cx->sched;
    struct why_unnamed_memo *e = k ? &k->unnamed[q->id & (WHY_UNNAMED_MEMO - 1)] : NULL;
    if (e && e->id == q->id && e->gen == k->gen && why_ts_cmp(e->until, until) == 0)
        return e->none;
    struct why_join dns;
    dns.ndns = 0;
    struct why_url_key u;
    bool ip;
    const char *host = why_join_url_host(q, &u, &ip);
    join_dns_host(cx, host, ip, q->req_first_ts, until, true, &dns);
    if (e)
        *e = (struct why_unnamed_memo){q->id, k->gen, until, dns.ndns == 0};
    return dns.ndns == 0;
}

/* A gateway's own 5xx (answered) to a request forwarded to a server nothing names, with no
 * upstream request of its own: its attempts all failed. */
static bool final_matched(const struct why_join_ctx *cx, const struct why_txn *q)
{
    return q->has_resp && q->status >= 500 && !why_join_no_dial(q) && unnamed_server(cx, q, q->resp_first_ts);
}

static bool chain_goes_on(const struct why_join_ctx *cx, struct why_conn_rec *rc);

/* The requests not yet decided: the one being decided (out of the queue), then the queue. */
static const struct why_txn *waiting_first(const struct why_join_ctx *cx)
{
    return cx->deciding ? cx->deciding : cx->st->qhead;
}

static const struct why_txn *waiting_next(const struct why_join_ctx *cx, const struct why_txn *w)
{
    const struct why_txn *n = w == cx->deciding ? cx->st->qhead : w->qnext;
    return n && n == cx->deciding ? n->qnext : n;
}

/* The queued requests answered 5xx, in queue order: the queue's list of them, or with
 * --exhaustive the whole queue (which checks the list). */
static const struct why_txn *queued_failed(const struct why_join_ctx *cx)
{
    return cx->exhaustive ? cx->st->qhead : why_store_queued_failed(cx->st);
}

static const struct why_txn *queued_failed_next(const struct why_join_ctx *cx, const struct why_txn *q)
{
    return cx->exhaustive ? q->qnext : q->fqnext;
}

/* waiting_first's walk over the requests answered 5xx only: the one being decided (when it
 * was), then the queued ones. */
static const struct why_txn *failed_first(const struct why_join_ctx *cx)
{
    return cx->deciding ? cx->deciding : queued_failed(cx);
}

static const struct why_txn *failed_next(const struct why_join_ctx *cx, const struct why_txn *w)
{
    const struct why_txn *n = w == cx->deciding ? queued_failed(cx) : queued_failed_next(cx, w);
    return n && n == cx->deciding ? queued_failed_next(cx, n) : n;
}

/* Another request than client, still waiting when rc began, whose fetch failed at Varnish
 * too ("Backend fetch failed", or no answer yet) and that no upstream request names: rc may
 * be its dial as well. Which of such dials was whose is then not said by the gateway's habit
 * alone (live runs of 2 December on a loaded machine: rst, adminprohib and unreach dialled
 * within a few ms, in the reverse of their order, and were answered in another; each read as
 * the next one's), and the failover reading stays, with the readings it brings. */
static bool other_fetch_waiting(const struct why_join_ctx *cx, const struct why_txn *client,
                                const struct why_conn_rec *rc)
{
    struct why_ts syn = why_rec_conn(rc)->syn_ts0;
    for (const struct why_txn *q = waiting_first(cx); q && !why_join_queue_past(cx, q, syn, WHY_CAUSAL_US);
         q = waiting_next(cx, q))
        if (q != client && why_join_waiting_at(q, syn) && (!q->has_resp || why_join_varnish_fetch_failed(q)) &&
            !why_join_upstream_indexed(cx, q))
            return true;
    return false;
}

/* The name n's first upstream request was for (its URL's host, lower case) was answered
 * with a and with n's server address by the gateway's lookups. */
static bool other_family_of_name(const struct why_join_ctx *cx, const struct why_conn_rec *n, const struct why_addr *a)
{
    const struct why_txn *t = n->txn_head;
    if (t || !n->carried)
        return t && !t->is_client_leg && t->ihost && t->ihost[0] && !t->ihost_ip && name_gave(cx, t->ihost, a) &&
               name_gave(cx, t->ihost, &why_rec_conn(n)->srv_addr);
    /* its requests trimmed since their decision (carried): the name is gone with them, so
     * a name the lookups gave both addresses for stands for it (else the reading would
     * depend on whether a sweep had pruned in between). Each name is asked once: a busy
     * name's lookups all answered a (the names asked already, the first few kept) */
    const struct why_dns_rec *asked[8];
    uint32_t nasked = 0;
    for (const struct why_dns_alink *l = why_store_dns_by_addr(cx->st, a); l; l = l->next) {
        const struct why_dns_rec *d = l->rec;
        if (!why_addr_eq(why_dns_alink_addr(l), a))
            continue;
        uint32_t k = 0;
        while (k < nasked && (asked[k]->nkey != d->nkey || strcmp(asked[k]->qname, d->qname) != 0))
            k++;
        if (k < nasked)
            continue;
        if (name_gave(cx, d->qname, &why_rec_conn(n)->srv_addr))
            return true;
        if (nasked < sizeof asked / sizeof asked[0])
            asked[nasked++] = d;
    }
    return false;
}

/* rc, a failed attempt, is the first of another request's chain: the same gateway connected
 * to a server right after rc ended (the next server of a balancer) and that connection
 * carried an upstream request that is not this one's (up_conn; client: the request asking,
 * or NULL). Not where client was answered by Varnish, which does not move on, unless another
 * failed fetch waited beside it (other_fetch_waiting). It goes with that
 * connection, as a request's established connection that carried another request does;
 * unless rc is the retry of an attempt begun before that request came, and a request that
 * waited across both tries was answered right after rc ended (chain_answered): rc was the last
 * try of that request's chain (a long poll arriving as each of a refused request's two tries
 * began, its connection opened right after each refusal, was taken as the one that failed
 * over, and left the refused request, answered 1.2 ms after the second refusal, with no
 * attempt). */
static bool failover_of_other(const struct why_join_ctx *cx, const struct why_conn_rec *up_conn,
                              const struct why_txn *client, struct why_conn_rec *rc)
{
    const struct why_conn *c = why_rec_conn(rc);
    struct why_ts end = why_join_attempt_end(rc);
    if (!c->half[WHY_S2C].end->rst_frame && !c->more->icmp_frame)
        return false; /* an unanswered SYN ends when the gateway gives up: not seen */
    if (client && varnish_page(client) && !other_fetch_waiting(cx, client, rc))
        return false; /* Varnish does not move on after a failed dial (varnish_page) */
    for (struct why_conn_rec *n = rc->rnext; n; n = n->rnext) {
        const struct why_conn *nc = why_rec_conn(n);
        int64_t gap = why_ts_diff_us(end, nc->first_ts);
        if (gap > WHY_FAILOVER_US && !cx->st->conns_unordered)
            break; /* records are in the order of their first packet */
        if (n == up_conn || !nc->established || nc->syn_count == 0 || gap < -WHY_CAUSAL_US ||
            gap > WHY_FAILOVER_US || why_addr_eq(&nc->srv_addr, &c->srv_addr))
            continue;
        /* from the same gateway address; or from its address of the other family, to the
         * other family's address of the name the request it carried was for: a refusal over
         * IPv6 and the fallback to IPv4 at once (Happy Eyeballs, RFC 8305; a live run of 3
         * December: Apache's `he` refused on [fd00:19::12], its connection to 198.19.0.10 28
         * us later, the two addresses of he.lab; `maint`, answered by Apache itself 0.3 ms
         * after, took the refusal) */
        if (!why_addr_eq(&nc->cli_addr, &c->cli_addr) &&
            (nc->cli_addr.family == c->cli_addr.family || !why_gw_is_gateway(cx->gw, &nc->cli_addr) ||
             !why_gw_is_gateway(cx->gw, &c->cli_addr) || !other_family_of_name(cx, n, &c->srv_addr)))
            continue;
        const struct why_txn *t = n->txn_head;
        if (n->carried || (t && !t->is_client_leg && t->claimed_by))
            return true; /* a request decided already took it (its request trimmed since, or not) */
        const struct why_txn *q = why_join_carried_client_request(cx, n);
        if (!q || chain_answered(cx, q, rc))
            continue;
        return true;
    }
    return false;
}

/* q had an attempt of its own to another server going on after o ended: one from o's gateway
 * address, no check, begun after q's request and before o, while q was the only request
 * waiting (no other could own it), whose SYNs went on after o ended and before `until`. A
 * request's attempts come one after another (Varnish, HAProxy, nginx alike do not try a second
 * server while the connect to the first is still retransmitting SYNs): o is not q's, nor is a
 * retry of o's path begun at `until` part of a chain of q's. Requests already decided are out
 * of the queue (one that made an attempt has claimed it). */
static bool busy_between(const struct why_join_ctx *cx, const struct why_txn *q, const struct why_conn_rec *o,
                         struct why_ts until)
{
    const struct why_conn *a = why_rec_conn(o);
    struct why_ts gap_from = why_join_attempt_end(o);
    /* the failed attempts made before o: from the index of attempts not seen to connect by
     * client address, which o is on (it failed and nothing claimed it, as every caller's
     * attempt), else every record before o */
    bool from_index = o->in_attempts;
    for (const struct why_conn_rec *x = from_index ? why_store_attempts_from_next(cx->st, o) : o->rprev; x;
         x = from_index ? why_store_attempts_from_next(cx->st, x) : x->rprev) {
        const struct why_conn *xc = why_rec_conn(x);
        if (!cx->st->conns_unordered &&
            why_ts_cmp(x->first_ts, why_ts_add_us(q->req_first_ts, -(WHY_SKEW_US + why_store_rec_back_us(cx->st)))) < 0)
            break;
        if (x->claimed || xc->syn_count == 0 || xc->midstream || !attempt_failed(x) ||
            !why_addr_eq(&xc->cli_addr, &a->cli_addr) || why_addr_eq(&xc->srv_addr, &a->srv_addr) ||
            why_ts_diff_us(q->req_first_ts, xc->syn_ts0) < -WHY_CAUSAL_US || why_ts_cmp(xc->syn_ts0, a->syn_ts0) >= 0)
            continue;
        uint32_t n = xc->syn_count > WHY_SYN_TRIES_MAX ? WHY_SYN_TRIES_MAX : xc->syn_count;
        bool between = false;
        for (uint32_t i = 1; i < n && !between; i++) {
            struct why_ts t = why_conn_syn_ts(xc, i);
            between = why_ts_cmp(t, gap_from) > 0 && why_ts_cmp(t, until) < 0;
        }
        if (!between || why_join_scheduled(cx, x))
            continue;
        bool alone = true;
        for (const struct why_txn *w = waiting_first(cx); w && alone && !why_join_queue_past(cx, w, xc->syn_ts0, WHY_CAUSAL_US);
             w = waiting_next(cx, w))
            alone = w == q || !why_join_waiting_at(w, xc->syn_ts0);
        if (alone)
            return true;
    }
    return false;
}

/* Another failed attempt than rc, to another server, begun after w came, ended right before
 * w's answer: an ending of w's chain as good as rc's. */
static bool other_final(const struct why_join_ctx *cx, const struct why_txn *w, const struct why_conn_rec *rc)
{
    const struct why_conn *c = why_rec_conn(rc);
    struct why_ts oldest = why_ts_add_us(w->req_first_ts, -(WHY_SKEW_US + why_store_rec_back_us(cx->st)));
    for (struct why_conn_rec *o = cx->st->rtail; o && (cx->st->conns_unordered || why_ts_cmp(o->first_ts, oldest) >= 0);
         o = o->rprev) {
        const struct why_conn *oc = why_rec_conn(o);
        if (o == rc || oc->syn_count == 0 || oc->midstream || !attempt_failed(o) ||
            !why_addr_eq(&oc->cli_addr, &c->cli_addr) || why_join_same_path(oc, c) ||
            why_ts_diff_us(w->req_first_ts, oc->syn_ts0) < -WHY_CAUSAL_US)
            continue;
        int64_t after = why_ts_diff_us(why_join_attempt_end(o), w->resp_first_ts);
        if (after >= -WHY_CAUSAL_US && after <= WHY_FAILOVER_US)
            return true;
    }
    return false;
}

/* w waited from p's first SYN to rc's, after no other failed attempt (other_final), was not
 * yet sent upstream when p began (why_join_upstream_indexed: a request a server was already
 * serving had no attempt to make) and had no attempt of its own elsewhere in between
 * (busy_between). */
static bool waited_for_chain(const struct why_join_ctx *cx, const struct why_txn *w, const struct why_conn_rec *p,
                             const struct why_conn_rec *rc)
{
    struct why_ts from = why_rec_conn(p)->syn_ts0, to = why_rec_conn(rc)->syn_ts0;
    if (!why_join_waiting_at(w, from) || !why_join_waiting_at(w, to))
        return false;
    const struct why_txn *up = why_join_upstream_indexed(cx, w);
    return (!up || why_ts_cmp(up->req_first_ts, from) > 0) && !busy_between(cx, w, p, to) && !other_final(cx, w, rc);
}

/* rc is the retry of an attempt p begun before q came (chain_link), and a request other than
 * q that waited for that chain (waited_for_chain) was answered right after rc ended (a gateway
 * answers at once after its last attempt failed): p and rc were its tries, rc its last. The
 * requests waiting are walked (the one being decided, then the queue) for such an answer
 * first; rc's chain is read only when one is found. */
static bool chain_answered(const struct why_join_ctx *cx, const struct why_txn *q, struct why_conn_rec *rc)
{
    struct why_ts end = why_join_attempt_end(rc);
    struct why_conn_rec *p = NULL;
    bool p_read = false;
    for (const struct why_txn *w = waiting_first(cx); w && !why_join_queue_past(cx, w, q->req_first_ts, 0);
         w = waiting_next(cx, w)) {
        if (w == q || !w->has_resp || why_ts_cmp(w->req_first_ts, q->req_first_ts) >= 0)
            continue;
        int64_t after = why_ts_diff_us(end, w->resp_first_ts);
        if (after < -WHY_CAUSAL_US || after > WHY_FAILOVER_US)
            continue;
        if (!p_read) {
            p_read = true;
            p = chain_link(cx, rc, q->req_first_ts);
            if (p && why_ts_diff_us(q->req_first_ts, why_rec_conn(p)->syn_ts0) >= -WHY_CAUSAL_US)
                p = NULL; /* begun when q had come: it can be q's chain */
        }
        if (!p)
            return false;
        if (waited_for_chain(cx, w, p, rc))
            return true;
    }
    return false;
}

/* Every request but q waiting when rc began (queued or being decided) was busy then with an
 * attempt of its own elsewhere (busy_between, SYNs still sent after rc ended): none of them
 * made rc. */
static bool only_free_request(const struct why_join_ctx *cx, const struct why_txn *q, const struct why_conn_rec *rc)
{
    struct why_ts at = why_rec_conn(rc)->syn_ts0;
    for (const struct why_txn *w = waiting_first(cx); w && !why_join_queue_past(cx, w, at, WHY_CAUSAL_US); w = waiting_next(cx, w)) {
        if (w == q || !why_join_waiting_at(w, at))
            continue;
        if (!busy_between(cx, w, rc, w->has_resp ? w->resp_first_ts : cx->now))
            return false;
    }
    return true;
}

/* rc is the first try the gateway began after w's request came (none from its address
 * between, rc's SYN within the time w waited): a gateway dials for a request as it comes. */
static bool first_try_after(const struct why_join_ctx *cx, const struct why_txn *w, const struct why_conn_rec *rc)
{
    const struct why_conn *c = why_rec_conn(rc);
    if (!why_join_waiting_at(w, c->syn_ts0))
        return false;
    struct why_ts from = why_ts_add_us(w->req_first_ts, -WHY_CAUSAL_US);
    struct why_ts oldest = why_ts_add_us(from, -(WHY_SKEW_US + why_store_rec_back_us(cx->st)));
    for (const struct why_conn_rec *x = rc->rprev; x; x = x->rprev) {
        if (!cx->exhaustive && !cx->st->conns_unordered && why_ts_cmp(x->first_ts, oldest) < 0)
            break;
        const struct why_conn *xc = why_rec_conn(x);
        if (xc->syn_count > 0 && why_addr_eq(&xc->cli_addr, &c->cli_addr) && why_ts_cmp(xc->syn_ts0, from) >= 0 &&
            why_ts_cmp(xc->syn_ts0, c->syn_ts0) < 0)
            return false;
    }
    return true;
}

/* rc, a silent try (no SYN-ACK, reset or ICMP), is the dial of a request other than q that
 * came after `since`, within WHY_FAILOVER_US before rc, and waited for it: rc is the first try
 * the gateway began after that request came (first_try_after), and its answer, if any, came
 * no sooner than a timer could give up on rc. A gateway dials for a request as it comes; a
 * retry of an older request's falls there only by chance. So rc is no retry of a try begun
 * before `since` (retry_link), nor an older request's final try when the gateway tried
 * something else after that request came (final_gap). bench/make-flood.py --dropped, at one
 * request a second behind a gateway that answers 504 at its 1 s connect timeout: a request
 * answered 40 ms after the next one's dial took that dial as its retry (its chain's own
 * 0.96 s read as the timer) and was told as the gateway's own claim, and the next one, left
 * with no try, as `no_upstream_attempt` (2 of 60 requests wrong; 5 of 90 at 1.5 a second, 3
 * of 120 at two). Not for a try that drew a refusal or ICMP: the gateway heard back at once
 * and may have moved on at once (races/run9: HAProxy's retry of adminprohib's server, ICMP'd,
 * began 0.2 ms after midreset came, whose own dial followed 0.3 ms later). */
static bool silent_try(const struct why_conn_rec *rc);
static bool dialled_for_later(const struct why_join_ctx *cx, const struct why_txn *q, struct why_ts since,
                              const struct why_conn_rec *rc)
{
    if (!silent_try(rc))
        return false;
    struct why_ts at = why_rec_conn(rc)->syn_ts0;
    for (const struct why_txn *w = waiting_first(cx); w && !why_join_queue_past(cx, w, at, WHY_CAUSAL_US); w = waiting_next(cx, w)) {
        if (w == q || why_ts_cmp(w->req_first_ts, since) <= 0)
            continue;
        int64_t after = why_ts_diff_us(w->req_first_ts, at);
        if (after < 0 || after > WHY_FAILOVER_US ||
            (w->has_resp && why_ts_diff_us(at, w->resp_first_ts) < WHY_UNHEARD_US))
            continue; /* (answered too soon to have waited for rc: no timer gives up on a dial so soon) */
        if (first_try_after(cx, w, rc))
            return true;
    }
    return false;
}

/* o and rc, two tries of the same path, can be one request's retry chain: some request waited
 * from before o to rc without an attempt of its own elsewhere in between, or none in the queue
 * waited across (nothing to tell). races/run10: Varnish's refusals of 198.19.0.12 for `rst`
 * and, 1.46 s later, for `two` were read as one chain the drop request (waiting across both)
 * took, while its own SYNs to 198.19.0.11 went on between them. */
static bool retry_link(const struct why_join_ctx *cx, const struct why_conn_rec *o, const struct why_conn_rec *rc)
{
    struct why_ts from = why_rec_conn(o)->syn_ts0, to = why_rec_conn(rc)->syn_ts0;
    if (why_ts_diff_us(from, to) > WHY_FAILOVER_US && dialled_for_later(cx, NULL, from, rc))
        return false;
    bool any = false;
    for (const struct why_txn *q = waiting_first(cx); q && !why_join_queue_past(cx, q, from, WHY_CAUSAL_US);
         q = waiting_next(cx, q)) {
        if (!why_join_waiting_at(q, from) || !why_join_waiting_at(q, to))
            continue;
        if (!busy_between(cx, q, o, why_rec_conn(rc)->syn_ts0))
            return true;
        any = true;
    }
    return !any;
}

static bool attempt_timed_out(const struct why_conn_rec *rc);
#define WHY_CHAIN_CHECKS_SKIPPED 4 /* checks passed over between two tries of a chain */
#define WHY_CHAIN_TIMER_TOL 16 /* a gateway's connect timer keeps time within 1/16 (HAProxy's, a
                                  few ms in 1 s while unloaded) */

#define WHY_FIRST_DIAL_US 250000 /* a gateway dials a request's first server this soon after
                                    the request came (HAProxy, Apache, nginx at once; 6-11 ms
                                    on a loaded lab); its timers between tries are longer */

/* A request other than client, not decided yet, that nothing names the server of
 * (unnamed_server), came after `from` and by `to`, at most WHY_FIRST_DIAL_US before `to` (the
 * try at `to` can be its first), and was not answered before `to`. One that came long before
 * was dialled for then (live lab, 2 December: `unreach` and `close` came 30 ms after
 * `adminprohib`'s first try drew ICMP; HAProxy tried 198.19.0.13 again 1 s later, and
 * `hc`, answered 503 46 us after that first try, took it). */
static bool came_between(const struct why_join_ctx *cx, const struct why_txn *client, struct why_ts from,
                         struct why_ts to)
{
    for (const struct why_txn *q = waiting_first(cx); q && !why_join_queue_past(cx, q, to, WHY_CAUSAL_US);
         q = waiting_next(cx, q))
        if (q != client && why_ts_cmp(q->req_first_ts, from) > 0 &&
            why_ts_diff_us(q->req_first_ts, to) >= -WHY_CAUSAL_US &&
            why_ts_diff_us(q->req_first_ts, to) <= WHY_FIRST_DIAL_US &&
            (!q->has_resp || why_ts_diff_us(to, q->resp_first_ts) >= -WHY_CAUSAL_US) && unnamed_server(cx, q, cx->now))
            return true;
    return false;
}

/* o can be the next try of c's path after `after` (the SYN of at, a try or a check passed
 * over), within a retry's gap of end (last's): an attempt of that path, not last. */
static bool next_try_fits(const struct why_conn *c, const struct why_conn_rec *last, const struct why_conn_rec *o,
                          struct why_ts after, struct why_ts end)
{
    const struct why_conn *oc = why_rec_conn(o);
    int64_t gap = why_ts_diff_us(end, oc->syn_ts0);
    return o != last && oc->syn_count && !oc->midstream && why_join_same_path(oc, c) && gap >= -WHY_CAUSAL_US &&
           gap <= WHY_CHAIN_GAP_US && why_ts_cmp(oc->syn_ts0, after) > 0;
}

/* o goes before the next try found so far: the earlier SYN, on ties the newer record (the
 * one a walk of the index, newest first, meets first) */
static bool next_try_before(const struct why_conn_rec *o, const struct why_conn_rec *next)
{
    if (!next)
        return true;
    int cmp = why_ts_cmp(why_rec_conn(o)->syn_ts0, why_rec_conn(next)->syn_ts0);
    return cmp < 0 || (cmp == 0 && o->seq > next->seq);
}

/* The earliest try of c's path begun after `after` (at's SYN) and within a retry's gap of
 * end (next_try_fits), or NULL. From at, on the index by server address: records are on it
 * by creation, and none began more than rlag_us before one created earlier, so the walk goes
 * older down to `after` and newer up to the earliest found (or the gap's end), each less
 * that lag, not from the newest record to that server down to a second before `after` (a
 * refused server draws hundreds a second, and the join asks this of each of a chain's
 * tries); every record when the clock went back. */
static struct why_conn_rec *next_try_after(const struct why_join_ctx *cx, const struct why_conn *c,
                                           const struct why_conn_rec *last, const struct why_conn_rec *at,
                                           struct why_ts after, struct why_ts end)
{
    struct why_conn_rec *next = NULL;
    if (cx->st->conns_unordered) {
        for (struct why_conn_rec *o = why_store_conns_to(cx->st, &c->srv_addr); o; o = why_store_conns_next(o))
            if (next_try_fits(c, last, o, after, end) && next_try_before(o, next))
                next = o;
        return next;
    }
    int64_t lag = cx->st->rlag_us + WHY_SKEW_US; /* (a SYN-ACK seen before its SYN: the SYN later) */
    struct why_ts oldest = why_ts_add_us(after, -lag);
    for (struct why_conn_rec *o = (struct why_conn_rec *)at; o && why_ts_cmp(o->first_ts, oldest) >= 0;
         o = why_store_conns_next(o))
        if (next_try_fits(c, last, o, after, end) && next_try_before(o, next))
            next = o;
    struct why_ts newest = why_ts_add_us(end, WHY_CHAIN_GAP_US + lag);
    for (struct why_conn_rec *o = at->aprev; o; o = o->aprev) {
        if (next && why_ts_cmp(why_rec_conn(next)->syn_ts0, why_ts_add_us(newest, -lag)) < 0)
            newest = why_ts_add_us(why_rec_conn(next)->syn_ts0, lag);
        if (why_ts_cmp(o->first_ts, newest) > 0)
            break;
        if (next_try_fits(c, last, o, after, end) && next_try_before(o, next))
            next = o;
    }
    return next;
}

/* rc begins a chain that runs past client's answer, and is another request's: the gateway
 * tried rc's path again after it answered client, each try within a retry's gap of the last,
 * none on a check's schedule, none where a request came since the last that could have made
 * it its first (came_between). A gateway does not go on retrying for a request it has
 * answered. Another request owns it where one waited since before rc, with no attempt of its
 * own elsewhere, nothing naming its server, and either answered 5xx at once after the chain's
 * last try (after its connect timeout, where the tries drew no answer or ICMP), or not
 * answered yet while the chain may still go on (live lab, HAProxy with retries 2: `unreach`
 * drew ICMP 5 ms before `maint`'s own 503 and was tried again 1 s and 2 s later, its 503 1 s
 * after the third; maint, decided before, took the first try. `he`, refused 39 us before
 * `hc`'s 503 and twice again: hc took the first). */
static bool chain_ends_at_other(const struct why_join_ctx *cx, const struct why_txn *client,
                                const struct why_conn_rec *rc)
{
    const struct why_conn *c = why_rec_conn(rc);
    const struct why_conn_rec *last = rc, *prev = NULL;
    bool past = false;
    for (uint32_t n = 1; n < WHY_FINAL_CHAIN_MAX; n++) {
        struct why_ts end = why_join_attempt_end(last);
        /* the earliest try after the last that is no check (asked of that one only: the
         * schedule's test walks the server's records) */
        struct why_conn_rec *next = NULL;
        const struct why_conn_rec *at = last; /* the record whose SYN is `after` */
        struct why_ts after = why_rec_conn(last)->syn_ts0;
        for (uint32_t k = 0; k < WHY_CHAIN_CHECKS_SKIPPED; k++) {
            next = next_try_after(cx, c, last, at, after, end);
            if (!next || !why_join_scheduled(cx, next))
                break;
            at = next;
            after = why_rec_conn(next)->syn_ts0;
            next = NULL;
        }
        if (!next || came_between(cx, client, end, why_rec_conn(next)->syn_ts0))
            break;
        prev = last;
        last = next;
        past |= why_ts_diff_us(client->resp_first_ts, why_rec_conn(last)->syn_ts0) > WHY_SKEW_US;
    }
    if (!past)
        return false;
    /* its next try is due an interval after the last (HAProxy's retry delay); where the tries
     * drew no answer, or ICMP, the gateway gave up on the last after its connect timeout, as
     * it did on each before (the chain's own interval) */
    struct why_ts end = why_join_attempt_end(last), going_on = end;
    int64_t slack = WHY_FAILOVER_US;
    if (prev)
        going_on = why_ts_add_us(why_rec_conn(last)->syn_ts0,
                                 why_ts_diff_us(why_rec_conn(prev)->syn_ts0, why_rec_conn(last)->syn_ts0));
    if (prev && attempt_timed_out(last) && attempt_timed_out(prev)) {
        int64_t t = why_ts_diff_us(why_rec_conn(prev)->syn_ts0, why_rec_conn(last)->syn_ts0);
        end = going_on = why_ts_add_us(why_rec_conn(last)->syn_ts0, t);
        if (t / WHY_CHAIN_TIMER_TOL > slack)
            slack = t / WHY_CHAIN_TIMER_TOL;
    }
    for (const struct why_txn *q = waiting_first(cx); q && !why_join_queue_past(cx, q, c->syn_ts0, WHY_CAUSAL_US);
         q = waiting_next(cx, q)) {
        if (q == client || !why_join_waiting_at(q, c->syn_ts0) || (q->has_resp && q->status < 500))
            continue;
        /* answered at once after the chain's end, or not answered yet while the chain may
         * still go on (the request is decided before the gateway gave up on the other) */
        struct why_ts until = q->has_resp ? q->resp_first_ts : cx->now;
        int64_t gap = why_ts_diff_us(q->has_resp ? end : going_on, until);
        if ((!q->has_resp || gap >= -slack) && gap <= slack && !busy_between(cx, q, rc, until) &&
            (q->has_resp ? final_matched(cx, q) : unnamed_server(cx, q, until)))
            return true;
    }
    return false;
}

/* rc, a try of client's server that the server refused (a reset or ICMP: the gateway heard
 * it), was followed at once (within WHY_FAILOVER_US) by the gateway's 5xx to another request
 * for the same host that was waiting then, while client's own answer came later; and another
 * failed try of that server and port, which no request has, began after client's request and
 * ended nearer before client's answer, while none but rc ended at once before the other's.
 * The pairing in which each answer follows its own try the sooner is the cheaper one
 * (match_finals' measure), and the other is not left with no try at all: rc is the other's
 * final try, not client's. Bench `hang` shape (nginx with two workers, each with its own
 * resolver cache): refuse.bench, asked for at 0.582 s and looked up by one worker, asked for
 * again at 0.637 s and served from the other's cache; the second request's try was refused
 * at 0.6478 s and answered 0.7 ms later, the first's at 0.6611 s and answered 1.0 ms later.
 * In the order of their SYNs the first request took the second's try, and the second was
 * read as answered with no try at all. */
static bool answered_for_other(const struct why_join_ctx *cx, const struct why_txn *client,
                               const struct why_join *x, const struct why_conn_rec *rc)
{
    const struct why_conn *c = why_rec_conn(rc);
    if (!client->has_resp || client->status < 500 || !client->host[0] || !attempt_failed(rc) ||
        !(c->half[WHY_S2C].end->rst_frame || c->more->icmp_frame))
        return false;
    struct why_ts end = why_join_attempt_end(rc);
    int64_t own_gap = why_ts_diff_us(end, client->resp_first_ts);
    if (own_gap <= WHY_FAILOVER_US)
        return false; /* client's own answer followed it at once too */
    const struct why_txn *other = NULL;
    for (const struct why_txn *q = failed_first(cx); q && !other && !why_join_queue_past(cx, q, c->syn_ts0, WHY_CAUSAL_US);
         q = failed_next(cx, q)) {
        int64_t gap = q->has_resp ? why_ts_diff_us(end, q->resp_first_ts) : -1;
        if (q != client && q->has_resp && q->status >= 500 && gap >= -WHY_CAUSAL_US && gap <= WHY_FAILOVER_US &&
            why_join_waiting_at(q, c->syn_ts0) && strcasecmp(q->host, client->host) == 0)
            other = q;
    }
    if (!other)
        return false;
    /* the server's failed tries begun from client's request (less the records' reach back)
     * to its answer: every try that counts below ended by client's answer (the other's came
     * before it). The failed tries newest first from the newest begun by then (records are in
     * the order of their first packet within rlag_us: the walk ends once one begun that much
     * before the window's start is met), not every record to the address from the newest
     * made (at the decision, seconds on: a refusing backend's hundreds a second,
     * make-hostile.py crossed); every record with --exhaustive, or when the clock went back */
    struct why_ts oldest = why_ts_add_us(client->req_first_ts, -(WHY_SKEW_US + why_store_rec_back_us(cx->st)));
    bool ordered = !cx->st->conns_unordered, windowed = ordered && !cx->exhaustive;
    struct why_ts stop = why_ts_add_us(oldest, -cx->st->rlag_us);
    bool nearer = false;
    for (struct why_conn_rec *o = tries_by(cx, WHY_TRIES_FAILED, why_ts_add_us(client->resp_first_ts, WHY_CAUSAL_US));
         o; o = tries_prev(cx, o, WHY_TRIES_FAILED)) {
        if (windowed && why_ts_cmp(o->first_ts, stop) < 0)
            break;
        if (ordered && why_ts_cmp(o->first_ts, oldest) < 0)
            continue;
        const struct why_conn *oc = why_rec_conn(o);
        if (o == rc || o->claimed || taken(x, o) || oc->midstream || oc->syn_count == 0 || !attempt_failed(o) ||
            oc->srv_port != c->srv_port || !why_addr_eq(&oc->srv_addr, &c->srv_addr) || !is_upstream_conn(cx, o))
            continue;
        struct why_ts oend = why_join_attempt_end(o);
        int64_t g = why_ts_diff_us(oend, other->resp_first_ts);
        if (why_ts_diff_us(other->req_first_ts, oc->syn_ts0) >= -WHY_CAUSAL_US && g >= -WHY_CAUSAL_US &&
            g <= WHY_FAILOVER_US)
            return false; /* the other has a try of its own at once before its answer */
        g = why_ts_diff_us(oend, client->resp_first_ts);
        nearer |= why_ts_diff_us(client->req_first_ts, oc->syn_ts0) >= -WHY_CAUSAL_US && g >= -WHY_CAUSAL_US &&
                  g < own_gap;
    }
    return nearer;
}

/* The walk of rc's path newest first from where a record may have sent its first SYN before
 * rc's (the tests of the two walks below pass every later one); every record with
 * --exhaustive. */
static struct why_conn_rec *path_attempts_before(const struct why_join_ctx *cx, const struct why_conn_rec *rc)
{
    return cx->exhaustive ? why_store_attempts(cx->st, why_rec_conn(rc))
                          : why_store_attempts_before(cx->st, rc, why_rec_conn(rc)->syn_ts0);
}

#define WHY_BEAT_TRIES 16 /* earlier tries of rc's path read for its beat */

/* rc keeps the beat of two earlier failed tries of its own path: they and rc are spaced alike
 * (within 1/WHY_CHAIN_TIMER_TOL), rc within a retry's gap of the later one. It is that run's
 * next try (a retry on the gateway's timer, or a check), not one the gateway moved on to
 * from another server whose try happened to end just before it (live lab, 2 December:
 * HAProxy retried `rst` at 198.19.0.12 at 0.397, 1.395 and 2.396 s, each refused, and
 * `adminprohib`'s third try of 198.19.0.13, 1.6 ms before the last, drew ICMP; linked as
 * rst's first server, adminprohib's chain went to rst and adminprohib took .12's). The
 * WHY_BEAT_TRIES latest tries within WHY_CHAIN_GAP_US are read. */
static bool keeps_own_beat(const struct why_join_ctx *cx, const struct why_conn_rec *rc)
{
    const struct why_conn *c = why_rec_conn(rc);
    struct why_ts t[WHY_BEAT_TRIES];
    uint32_t n = 0;
    for (struct why_conn_rec *o = path_attempts_before(cx, rc); o && n < WHY_BEAT_TRIES;
         o = why_store_attempts_next(cx->st, o)) {
        const struct why_conn *oc = why_rec_conn(o);
        if (o == rc || oc->syn_count == 0 || !why_join_same_path(oc, c))
            continue;
        int64_t back = why_ts_diff_us(oc->syn_ts0, c->syn_ts0);
        if (back > 0 && back <= WHY_CHAIN_GAP_US)
            t[n++] = oc->syn_ts0;
    }
    for (uint32_t i = 0; i < n; i++) {
        int64_t d1 = why_ts_diff_us(t[i], c->syn_ts0);
        for (uint32_t k = 0; k < n; k++) {
            int64_t d2 = why_ts_diff_us(t[k], t[i]);
            int64_t off = d1 > d2 ? d1 - d2 : d2 - d1;
            if (d2 > 0 && off * WHY_CHAIN_TIMER_TOL <= d2)
                return true;
        }
    }
    return false;
}

/* rc's previous attempt in its chain, the latest failed attempt from the same gateway
 * address, not claimed, no health check, that ended before rc began: at the same server
 * within WHY_CHAIN_GAP_US (a retry); else, at another server, one the gateway moved on from
 * (refused, rc within WHY_FAILOVER_US; SYNs unanswered, rc within WHY_CHAIN_GAP_US of the
 * last) that it did not try again, and not to a connection that carried another request
 * (live lab, 2 December: nginx refused by 198.19.0.12 moved on to 198.19.0.10 with two's
 * request 0.14 ms later and began fixeddrop's SYN to 198.19.0.11 0.31 ms later; the refusal
 * was two's, not fixeddrop's first try). */
static struct why_conn_rec *chain_prev_read(const struct why_join_ctx *cx, struct why_conn_rec *rc)
{
    const struct why_conn *c = why_rec_conn(rc);
    struct why_conn_rec *best = NULL;
    /* The path's records are newest first by creation: one begun before `stop`, and every one
     * made before it (begun at most rlag_us after it), ended (attempt_span_us after its first
     * packet at most, if it never connected) more than WHY_CHAIN_GAP_US before rc's SYN, less
     * the reorder tolerance: none of them can be the try before rc. A busy path holds minutes
     * of its tries (a refused server's hundreds a second), and each failed request asked this
     * of each try of its chain. */
    bool bounded = cx->attempt_span_us > 0 && !cx->exhaustive && !cx->st->conns_unordered;
    struct why_ts stop = why_ts_add_us(c->syn_ts0, -(WHY_CHAIN_GAP_US + cx->attempt_span_us + cx->st->rlag_us + WHY_SKEW_US));
    for (struct why_conn_rec *o = path_attempts_before(cx, rc); o; o = why_store_attempts_next(cx->st, o)) {
        const struct why_conn *oc = why_rec_conn(o);
        if (bounded && why_ts_cmp(o->first_ts, stop) < 0)
            break;
        if (o == rc || o->claimed || oc->syn_count == 0 || oc->midstream || !attempt_failed(o) ||
            !why_join_same_path(oc, c) || why_ts_cmp(oc->syn_ts0, c->syn_ts0) >= 0)
            continue;
        int64_t gap = why_ts_diff_us(why_join_attempt_end(o), c->syn_ts0);
        if (gap < -WHY_CAUSAL_US || gap > WHY_CHAIN_GAP_US ||
            (best && why_ts_cmp(why_join_attempt_end(o), why_join_attempt_end(best)) <= 0) || why_join_scheduled(cx, o) ||
            !retry_link(cx, o, rc))
            continue;
        best = o;
    }
    if (best)
        return best;
    /* another server: records are in the order of their first packet, walked back from rc;
     * those the test below can take (failed, not claimed, not midstream) from the index of
     * attempts by client address when rc is on it, not every connection made before it */
    struct why_ts oldest = why_ts_add_us(c->syn_ts0, -(WHY_CHAIN_GAP_US + WHY_SKEW_US + WHY_ORDER_SLACK_US));
    bool from_index = rc->in_attempts && !cx->exhaustive;
    for (struct why_conn_rec *o = from_index ? why_store_attempts_from_next(cx->st, rc) : rc->rprev; o;
         o = from_index ? why_store_attempts_from_next(cx->st, o) : o->rprev) {
        const struct why_conn *oc = why_rec_conn(o);
        if (!cx->st->conns_unordered && why_ts_cmp(o->first_ts, oldest) < 0)
            break;
        if (o->claimed || oc->syn_count == 0 || oc->midstream || !attempt_failed(o) ||
            !why_addr_eq(&oc->cli_addr, &c->cli_addr) || why_addr_eq(&oc->srv_addr, &c->srv_addr) ||
            why_ts_cmp(oc->syn_ts0, c->syn_ts0) >= 0)
            continue;
        bool seen_end = oc->half[WHY_S2C].end->rst_frame || oc->more->icmp_frame;
        int64_t gap = why_ts_diff_us(why_join_attempt_end(o), c->syn_ts0);
        if (gap < -WHY_CAUSAL_US || gap > (seen_end ? WHY_FAILOVER_US : WHY_CHAIN_GAP_US) ||
            (best && why_ts_cmp(why_join_attempt_end(o), why_join_attempt_end(best)) <= 0) || chain_goes_on(cx, o) ||
            why_join_scheduled(cx, o) || failover_of_other(cx, NULL, NULL, o))
            continue;
        best = o;
    }
    return best && keeps_own_beat(cx, rc) ? NULL : best;
}

/* chain_prev_read, kept in the join's cache (why_sched_cache.cp) for one state of the
 * records, claims and queue */
static struct why_conn_rec *chain_prev(const struct why_join_ctx *cx, struct why_conn_rec *rc)
{
    struct why_sched_cache *k = cx->sched;
    if (!k)
        return chain_prev_read(cx, rc);
    size_t i = rc->seq & (WHY_SCHED_CACHE - 1);
    if (k->cp[i].seq == rc->seq && k->cp[i].gen == k->gen && k->cp[i].dgen == k->dgen)
        return k->cp[i].prev;
    struct why_conn_rec *p = chain_prev_read(cx, rc);
    k->cp[i].seq = rc->seq;
    k->cp[i].gen = k->gen;
    k->cp[i].dgen = k->dgen;
    k->cp[i].prev = p;
    return p;
}

/* The gateway tried rc's server again soon after rc ended (not a health check): rc is
 * inside a chain, not where one ends. */
static bool goes_on(const struct why_join_ctx *cx, const struct why_conn_rec *rc);
static bool goes_on_from(const struct why_join_ctx *cx, const struct why_conn_rec *rc, bool linked);

/* Asked of every attempt a chain walks back over, for each request's match: kept until a
 * packet comes (cx->sched). */
static bool chain_goes_on(const struct why_join_ctx *cx, struct why_conn_rec *rc)
{
    /* the cache keeps what does not depend on the requests waiting (retry_link does) */
    return why_join_cached(cx, WHY_SCHED_Q_GOES_ON, rc, goes_on) && goes_on_from(cx, rc, true);
}

static bool goes_on_from(const struct why_join_ctx *cx, const struct why_conn_rec *rc, bool linked)
{
    const struct why_conn *c = why_rec_conn(rc);
    struct why_ts end = why_join_attempt_end(rc);
    /* a try dialled from rc's end on (less WHY_CAUSAL_US), among the newest of the server's
     * records: not every connection a busy server's index holds */
    struct why_ts from = why_ts_add_us(end, -WHY_CAUSAL_US);
    uint32_t judged = 0;
    for (struct why_conn_rec *o = why_store_conns_to(cx->st, &c->srv_addr); o; o = why_store_conns_next(o)) {
        if (why_join_conns_before(cx, o, from))
            break;
        const struct why_conn *oc = why_rec_conn(o);
        if (o == rc || oc->syn_count == 0 || oc->midstream || !why_join_same_path(oc, c))
            continue;
        int64_t gap = why_ts_diff_us(end, oc->syn_ts0);
        if (gap < -WHY_CAUSAL_US || gap > WHY_CHAIN_GAP_US || why_ts_cmp(oc->syn_ts0, c->syn_ts0) <= 0)
            continue;
        /* past as many tries in the window as a schedule test reads of a path
         * (WHY_SCHED_PATH_HELD), each one read as a check (or, linked, as no retry of rc),
         * the path is read no further: a refusing server's hundreds of tries a second, on a
         * path so busy that every one fits a grid (path_busy), were each asked of every
         * failed request's chain, O(the rate) a request */
        if (++judged > WHY_SCHED_PATH_HELD)
            return false;
        if (!why_join_scheduled(cx, o) && (!linked || retry_link(cx, rc, o)))
            return true;
    }
    return false;
}

static bool goes_on(const struct why_join_ctx *cx, const struct why_conn_rec *rc)
{
    return goes_on_from(cx, rc, false);
}

#define WHY_SYN_RTO_MIN_US (1LL * 1000000) /* RFC 6298: a SYN is sent again no sooner */

/* How long after its last SYN an attempt whose SYNs got nothing back (no SYN-ACK, RST or ICMP)
 * may still have been alive: the gateway gave up on it then or later, and before the kernel
 * would have sent the next SYN, which no packet shows (no sooner than the last interval
 * between two, Linux's linear SYN timeouts; 1 s after a lone SYN). 0 for any other attempt,
 * or one with more SYNs than remembered. */
static int64_t silent_tail(const struct why_conn_rec *rc)
{
    const struct why_conn *c = why_rec_conn(rc);
    if (c->synack_frame || c->half[WHY_S2C].end->rst_frame || c->more->icmp_frame || c->syn_count == 0 ||
        c->syn_count > WHY_SYN_TRIES_MAX)
        return 0;
    if (c->syn_count == 1)
        return WHY_SYN_RTO_MIN_US;
    return why_ts_diff_us(why_conn_syn_ts(c, c->syn_count - 2), why_conn_syn_ts(c, c->syn_count - 1));
}

/* rc's previous attempt in the chain of a request that came at `from`: chain_prev, except an
 * attempt to another server whose SYNs got nothing back, begun before that request, that may
 * still have been alive when rc began (silent_tail). Nothing says the gateway moved on from
 * it: it is an older request's attempt still waiting out its connect timeout, rc a new
 * request's (races/run4: Varnish's unreach refused by ICMP 0.77 s after the drop request's
 * third SYN, 3 s connect timeout; chained to it, unreach's attempt began before unreach and
 * the drop request took it). */
static struct why_conn_rec *chain_link(const struct why_join_ctx *cx, struct why_conn_rec *rc, struct why_ts from)
{
    struct why_conn_rec *p = chain_prev(cx, rc);
    if (!p || why_join_same_path(why_rec_conn(p), why_rec_conn(rc)) || why_ts_diff_us(from, why_rec_conn(p)->syn_ts0) >= -WHY_CAUSAL_US)
        return p;
    int64_t tail = silent_tail(p);
    if (tail && why_ts_cmp(why_rec_conn(rc)->syn_ts0, why_ts_add_us(why_join_attempt_end(p), tail)) < 0)
        return NULL;
    return p;
}

/* When rc's chain began (its first try), for a request that came at `from`. A try of the same
 * server begun before the request that another request's balancer moved on from at once was
 * that request's: the chain begins after it (a live run of 3 December, loaded: HAProxy refused
 * `two` at 198.19.0.12 and connected it to 198.19.0.10 49 us later; rst's first try of .12,
 * 26 ms after that refusal and 14 ms after rst came, linked to it, rst's chain began before rst
 * and was no final of rst's, and rst took adminprohib's). */
static struct why_ts chain_start(const struct why_join_ctx *cx, struct why_conn_rec *rc, struct why_ts from)
{
    for (uint32_t n = 1; n < WHY_FINAL_CHAIN_MAX; n++) {
        struct why_conn_rec *p = chain_link(cx, rc, from);
        if (!p || (why_ts_diff_us(from, why_rec_conn(p)->syn_ts0) < -WHY_CAUSAL_US &&
                   why_join_same_path(why_rec_conn(p), why_rec_conn(rc)) && failover_of_other(cx, NULL, NULL, p)))
            break;
        rc = p;
    }
    return why_rec_conn(rc)->syn_ts0;
}

/* rc went to an address the capture shows resolved for another name only, never for q's
 * host, and a request for that name was waiting when rc began: the gateway connected there
 * for that name's server (HAProxy's `he` server, named he.lab and resolved in the
 * background), so rc is that request's, not q's (a live run gave `prohib6`, answered 0.3 ms
 * after `he`'s last refusal, he's chain while he, with lookups of its own, was not matched). */
/* The queued requests (up to two) waiting, when rc began, for a name the capture shows
 * answered with rc's address: what named_for_other asks of every pair with rc, found once per
 * candidate (the queue's walk does not depend on the pair's request). */
struct named_memo {
    bool done;
    uint32_t n;
    const struct why_txn *o[2];
    /* addr_for_other_name of the try's address for the host asked last (NULL: none yet): a
     * match asks it of every request against every try, and its requests are for few hosts */
    const char *other_host;
    bool other;
};

/* The queued requests for qname waiting when c began, into m (two at most). */
static void named_waiting_for(const struct why_join_ctx *cx, const struct why_conn *c, const char *qname,
                              struct named_memo *m)
{
    for (const struct why_txn *o = cx->st->qhead; o && m->n < 2 && !why_join_queue_past(cx, o, c->syn_ts0, WHY_CAUSAL_US);
         o = o->qnext)
        if (!o->decided && o->host[0] && strcasecmp(o->host, qname) == 0 &&
            why_ts_diff_us(o->req_first_ts, c->syn_ts0) >= -WHY_CAUSAL_US &&
            (!o->has_resp || why_ts_cmp(c->syn_ts0, o->resp_first_ts) <= 0) && (m->n == 0 || m->o[0] != o))
            m->o[m->n++] = o;
}

static void named_waiting(const struct why_join_ctx *cx, const struct why_conn_rec *rc, struct named_memo *m)
{
    const struct why_conn *c = why_rec_conn(rc);
    m->done = true;
    m->n = 0;
    /* (the answer is how many such requests, up to two, and the one when one: whichever
     * name finds them first) */
    const struct why_addr_names *nm = why_join_addr_names(cx, &c->srv_addr);
    for (uint32_t k = 0; nm && k < nm->n && m->n < 2; k++)
        named_waiting_for(cx, c, nm->v[k].qname, m);
    if (nm)
        return;
    /* a name looked up on a schedule has one answer per round: its run of answers in the
     * address's list is walked for once (the queue's walk is the same for each) */
    const char *walked = NULL;
    for (const struct why_dns_alink *l = why_store_dns_by_addr(cx->st, &c->srv_addr); l && m->n < 2; l = l->next) {
        if (!why_addr_eq(why_dns_alink_addr(l), &c->srv_addr) || (walked && strcmp(walked, l->rec->qname) == 0))
            continue;
        walked = l->rec->qname;
        named_waiting_for(cx, c, walked, m);
    }
}

static bool named_for_other(const struct why_join_ctx *cx, const struct why_txn *q, struct why_conn_rec *rc,
                            struct named_memo *m)
{
    const struct why_conn *c = why_rec_conn(rc);
    if (!q->host[0])
        return false;
    if (!m->other_host || (m->other_host != q->host && strcmp(m->other_host, q->host) != 0)) {
        m->other = addr_for_other_name(cx, &c->srv_addr, q->host);
        m->other_host = q->host;
    }
    if (!m->other)
        return false;
    if (!m->done)
        named_waiting(cx, rc, m);
    return m->n == 2 || (m->n == 1 && m->o[0] != q);
}

static bool silent_try(const struct why_conn_rec *rc);

/* host (an indexed host) has a lookup in the store: the gateway resolved it (a name its
 * server is known by) */
static bool host_looked_up(const struct why_join_ctx *cx, const char *host)
{
    for (const struct why_dns_rec *d = why_store_dns_by_name(cx->st, why_request_key("", host)); d;
         d = why_store_dns_name_next(d))
        if (strcasecmp(d->qname, host) == 0)
            return true;
    return false;
}

/* A request for qname queued and not decided, other than u, that may own rc: begun before u's
 * answer, and not answered before rc began, or answered 5xx. */
static bool named_owner_queued(const struct why_join_ctx *cx, const struct why_txn *u, const struct why_dns_rec *d,
                               const struct why_conn *rc)
{
    for (const struct why_txn *q = why_store_queued_host(cx->st, d->nkey); q; q = q->hqnext) {
        if (why_ts_cmp(q->req_first_ts, u->resp_first_ts) > 0)
            break; /* oldest first */
        if (q == u || q->decided || q->hkey != d->nkey || strcasecmp(q->ihost, d->qname) != 0)
            continue;
        if (!q->has_resp || (q->status >= 500 && why_ts_cmp(q->resp_first_ts, rc->syn_ts0) >= 0))
            return true;
    }
    return false;
}

bool why_join_defer(const struct why_join_ctx *cx, const struct why_txn *u)
{
    /* (no lookup held at all: no name to find, and no walk of the wait's tries to find none;
     * a reverse proxy whose servers are addresses, failing at hundreds a second) */
    if (!u->has_resp || u->status < 500 || !u->ihost[0] || u->ihost_ip || cx->st->conns_unordered ||
        cx->st->ndns == 0 || why_join_direct(cx, u) || host_looked_up(cx, u->ihost))
        return false;
    /* the names that gave the address of a failed attempt no request has, begun in u's wait,
     * each with its earliest such attempt (the walk is newest first) */
    const struct why_dns_rec *name[WHY_DEFER_NAMES];
    const struct why_conn *first[WHY_DEFER_NAMES];
    uint32_t n = 0;
    struct why_ts oldest = why_ts_add_us(u->req_first_ts, -(WHY_SKEW_US + cx->st->rlag_us));
    /* from the records begun by its answer (a silent try's first packet is its SYN), of them
     * those that may be a silent try (the store's list: not the connections answered) */
    struct why_conn_rec *upto = why_store_rec_upto(cx->st, why_ts_add_us(u->resp_first_ts, WHY_SKEW_US));
    /* the names an address's answers gave, by their place in name[], for the addresses met
     * so far: the tries of a wait go to a few servers, and an address's answers (every
     * lookup of its name the store holds) are read once, not once a try */
    struct {
        struct why_addr addr;
        uint8_t n, at[WHY_DEFER_NAMES];
    } seen[WHY_DEFER_ADDRS];
    uint32_t nseen = 0;
    for (struct why_conn_rec *rc = upto ? tries_from(cx, WHY_TRIES_SILENT, upto) : NULL;
         rc && why_ts_cmp(rc->first_ts, oldest) >= 0; rc = tries_prev(cx, rc, WHY_TRIES_SILENT)) {
        const struct why_conn *c = why_rec_conn(rc);
        if (rc->seq > upto->seq || rc->claimed || !silent_try(rc) || why_ts_cmp(c->syn_ts0, u->resp_first_ts) > 0 ||
            why_ts_diff_us(u->req_first_ts, c->syn_ts0) < -WHY_CAUSAL_US || !is_upstream_conn(cx, rc))
            continue;
        uint32_t s = 0;
        while (s < nseen && !why_addr_eq(&seen[s].addr, &c->srv_addr))
            s++;
        if (s < nseen) { /* its names found already (those past the cap left out again) */
            for (uint32_t k = 0; k < seen[s].n; k++)
                if (why_ts_cmp(c->syn_ts0, first[seen[s].at[k]]->syn_ts0) < 0)
                    first[seen[s].at[k]] = c;
            continue;
        }
        if (nseen < WHY_DEFER_ADDRS) {
            seen[nseen].addr = c->srv_addr;
            seen[nseen].n = 0;
        }
        const char *walked = NULL; /* (one look per run of a name's answers) */
        for (const struct why_dns_alink *l = why_store_dns_by_addr(cx->st, &c->srv_addr); l; l = l->next) {
            if (!why_addr_eq(why_dns_alink_addr(l), &c->srv_addr) || (walked && strcmp(walked, l->rec->qname) == 0))
                continue;
            walked = l->rec->qname;
            uint32_t i = 0;
            while (i < n && strcasecmp(name[i]->qname, l->rec->qname) != 0)
                i++;
            if (i == n && n == WHY_DEFER_NAMES)
                continue; /* (the first names found only) */
            if (i == n) {
                name[n++] = l->rec;
                first[i] = c;
            } else if (why_ts_cmp(c->syn_ts0, first[i]->syn_ts0) < 0) {
                first[i] = c;
            }
            if (nseen < WHY_DEFER_ADDRS) {
                uint32_t k = 0;
                while (k < seen[nseen].n && seen[nseen].at[k] != i)
                    k++;
                if (k == seen[nseen].n)
                    seen[nseen].at[seen[nseen].n++] = (uint8_t)i;
            }
        }
        nseen += nseen < WHY_DEFER_ADDRS;
    }
    for (uint32_t i = 0; i < n; i++)
        if (named_owner_queued(cx, u, name[i], first[i]))
            return true;
    return false;
}

/* The gateway looked host up before rc began and none of those lookups gave an address (it had
 * none for the name in the capture), or it looked host up only after and never got an
 * address, no lookup of host ever gave rc's address, and rc is on a check's schedule: a
 * reverse proxy whose server is named host had nowhere to connect, and rc is a check of a
 * server configured by address (races/run6: HAProxy's check of 198.19.0.12,
 * another backend's server, refused 0.1 ms before `servfail`'s 503, its lookups of
 * servfail.lab all SERVFAIL). Only where the capture shows the gateway resolving this very
 * name: a server set by address has no lookup of the Host's name, and a forward proxy's
 * attempt may go to a parent. */
static bool check_while_unresolved(const struct why_join_ctx *cx, const struct why_txn *q, struct why_conn_rec *rc)
{
    const struct why_conn *c = why_rec_conn(rc);
    if (direct_addr_known(cx, q))
        return false;
    /* (a host that is an address has no lookups: none before) */
    struct why_host_lookups l = why_join_host_lookups(cx, q, &c->cli_addr, &c->srv_addr, c->syn_ts0);
    if (l.before > 0 && !l.resolved && !l.gave_addr)
        return why_join_scheduled(cx, rc);
    /* ...or the capture's first lookups of host came after rc, and none of them, nor any
     * other so far, resolved it: the name never had an address in the capture (races/run15:
     * HAProxy answered `noanswer` in the same turn as a check's refusal of 198.19.0.12, its
     * resolvers' first lookup of noanswer.lab 0.8 s later, unanswered) */
    return l.before == 0 && l.all > 0 && !l.resolved_ever && !l.gave_addr && why_join_scheduled(cx, rc);
}

/* rc fits the gateway's own checks of its server: on their schedule, or in a round of its
 * checks of another server (why_join_check_round) */
static bool fits_checks(const struct why_join_ctx *cx, const struct why_conn_rec *rc)
{
    return why_join_scheduled(cx, rc) || why_join_check_round(cx, rc);
}

#define WHY_DIAL_LATE_US 25000 /* a loaded gateway dials for a request this late after it came
                                 (Varnish 7.1 on a loaded 2-core machine, the fetch shape: 19 ms
                                 at most, 8 of 86 drop.bench requests later than 10 ms;
                                 races/run13: 9 ms) */

/* rc is q's own dial: the first try the gateway began after q came (first_try_after), with
 * no SYN-ACK or reset, within WHY_FAILOVER_US of q, or within WHY_DIAL_LATE_US where nothing
 * came back at all (a try ICMP'd at once may be another request's the gateway moved on from). */
static bool own_dial(const struct why_join_ctx *cx, const struct why_txn *q, const struct why_conn_rec *rc)
{
    int64_t after_req = why_ts_diff_us(q->req_first_ts, why_rec_conn(rc)->syn_ts0);
    return after_req >= 0 && attempt_timed_out(rc) &&
           (after_req <= WHY_FAILOVER_US || (after_req <= WHY_DIAL_LATE_US && silent_try(rc))) &&
           first_try_after(cx, q, rc);
}

/* rc can be q's final attempt: it began after q's request, and ended before the answer, at
 * once before it or, sooner, as the end of a chain that is no health check and began after
 * q's request. Returns the gap (us), or -1. */
static int64_t final_gap(const struct why_join_ctx *cx, const struct why_txn *q, struct why_conn_rec *rc,
                         struct named_memo *m)
{
    const struct why_conn *c = why_rec_conn(rc);
    if (why_ts_diff_us(q->req_first_ts, c->syn_ts0) < -WHY_CAUSAL_US ||
        why_ts_cmp(c->syn_ts0, q->resp_first_ts) > 0)
        return -1; /* a gateway does not answer for an attempt it makes after */
    int64_t gap = why_ts_diff_us(why_join_attempt_end(rc), q->resp_first_ts);
    /* A check is a final attempt only at once before the answer: within WHY_FAILOVER_US where
     * the schedule drifts (a loaded machine's checks, among which a request's dial can pass
     * for one), within WHY_SAME_TURN_US where it keeps time (races/run25: HAProxy's check of
     * 198.19.0.12, on its 0.5 s beat, refused 1.8 ms before unreach's 503 and was taken as
     * unreach's final try; unreach's own third try timed out 4.6 ms before the answer) */
    /* ...but a silent try (no SYN-ACK, no refusal) that is the first the gateway began after
     * q came, within WHY_FAILOVER_US of it, is q's own dial, whatever beat the requests' dials
     * keep (a backend dropping SYNs behind a gateway answering 504 at its connect timeout,
     * bench/make-flood.py --dropped: requests at a steady rate, one a second or five, drew
     * tries on a grid, each read as a check and none as its request's final try, and the
     * 504s were told as the gateway's own claim). Not a refused one: HAProxy tries a refusing
     * server again on a 1 s turnaround its checks may keep too, and the first try of such a
     * chain, taken out of the check tests alone, was read as the whole chain (the retry
     * bench's refuse.bench at 2 GB: 3 tries read as 1). Not a SYN before the request, within
     * the capture's reordering: a check's (a live run of 3 December: Varnish's probe left
     * 29 us before hc's request came). */
    /* (Every test here that returns -1 only reads, so their order does not change the answer,
     * but for the SYN sent again past the answer below (gap < -WHY_CAUSAL_US), which this one
     * cannot meet: this one comes first, as it turns down most of the pairs a match asks, every
     * check of a busy gateway's window against every request, from the answers kept of the
     * server's schedule.) */
    bool dialled = own_dial(cx, q, rc);
    if (!dialled && gap > WHY_FAILOVER_US && fits_checks(cx, rc))
        return -1;
    if (unheard_at_answer(rc, q->resp_first_ts))
        return -1;
    if (named_for_other(cx, q, rc, m))
        return -1;
    if (check_while_unresolved(cx, q, rc))
        return -1;
    if (gap < -WHY_CAUSAL_US) {
        /* a SYN retransmitted right after the answer: the gateway had given up on the
         * attempt (its connect timeout) as the kernel's timer fired; it ended at the answer */
        uint32_t n = c->syn_count > WHY_SYN_TRIES_MAX ? WHY_SYN_TRIES_MAX : c->syn_count;
        if (n < 2 || why_ts_cmp(why_conn_syn_ts(c, n - 2), q->resp_first_ts) > 0 ||
            why_ts_diff_us(q->resp_first_ts, why_conn_syn_ts(c, n - 1)) > WHY_GIVEUP_RACE_US ||
            why_ts_diff_us(q->resp_first_ts, why_join_attempt_end(rc)) > WHY_GIVEUP_RACE_US)
            return -1;
        return -gap; /* as far from the answer as an attempt that ended this much before */
    }
    int64_t after_req = why_ts_diff_us(q->req_first_ts, c->syn_ts0);
    /* nor is a silent try that is a later request's dial, when the gateway tried something
     * between q's request and it (a gateway that dialled late for q, with no try before, may
     * have dialled rc for q: Varnish on a loaded machine dialled 9 ms after its request,
     * races/run13) */
    if (!dialled && after_req > WHY_FAILOVER_US && dialled_for_later(cx, q, q->req_first_ts, rc) &&
        !first_try_after(cx, q, rc))
        return -1;
    if (!dialled && gap > WHY_SAME_TURN_US && why_join_on_beat(cx, rc))
        return -1;
    /* A failure followed at once by a connection to another server that carried another
     * request is that request's first try (a balancer moving on), and one whose path was tried
     * again is not a chain's last try; both stay out of the match. Not for a request Varnish
     * answered, as Varnish neither moves on nor dials again: each dial is a fetch's own, and
     * the match pairs it by when each fetch was answered (races/run28: rst's refusal, 0.47 s
     * before `two` dialled the same server, was read as a first try, and rst took a probe's;
     * races/run24: Varnish's dial of 198.19.0.16 drew ICMP 0.2 ms before `unreach` was
     * answered; a fetch of ka-get connected to 198.19.0.29 1.6 ms after it, so the dial was
     * read as ka-get's first try and unreach took adminprohib's ICMP of 5.7 ms before). Over
     * the 23 live runs of 2 December: 17 Varnish cells read two ways and two named wrong
     * became right or read two ways, one right became read two ways; races/run19's burst,
     * answered 75-82 ms after its dials, stays wrong in one cell. */
    if (!varnish_page(q) && (chain_goes_on(cx, rc) || failover_of_other(cx, NULL, NULL, rc)))
        return -1;
    /* ...nor is a chain that began before the request its own; a dial of Varnish's is a
     * chain of one (live lab, 3 December: Varnish dialled adminprohib's server 181 us after
     * its request and 0.41 ms after unreach's dial of another server drew ICMP; read as a
     * balancer moving on from it, that chain began before adminprohib came, and unreach took
     * adminprohib's ICMP) */
    if (!varnish_page(q) && why_ts_diff_us(q->req_first_ts, chain_start(cx, rc, q->req_first_ts)) < -WHY_CAUSAL_US)
        return -1;
    return gap < 0 ? 0 : gap;
}

/* An attempt the gateway gave up on after its connect timeout: no SYN-ACK, no refusal (SYNs
 * unanswered or drawing ICMP, which HAProxy waits out like silence). */
static bool attempt_timed_out(const struct why_conn_rec *rc)
{
    const struct why_conn *c = why_rec_conn(rc);
    return !c->synack_frame && !c->half[WHY_S2C].end->rst_frame;
}

/* rc is a retry of the same server after an attempt that timed out: the previous attempt of
 * its chain (or NULL). */
static struct why_conn_rec *timed_out_before(const struct why_join_ctx *cx, struct why_conn_rec *rc)
{
    struct why_conn_rec *p = chain_prev(cx, rc);
    if (!p || !attempt_timed_out(p) || !why_join_same_path(why_rec_conn(p), why_rec_conn(rc)))
        return NULL;
    return p;
}

static int by_us(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return (a > b) - (a < b);
}

/* The gateway's connect timeout as its chains show it: the median time from one timed-out
 * attempt to the retry of the same server (HAProxy retries at once when its `timeout
 * connect` fires), over the chains of the attempts in cands[] marked used; 0 when no chain
 * has such a retry. */
static int64_t chains_timeout(const struct why_join_ctx *cx, struct why_conn_rec *const *cands,
                              const bool *used, uint32_t ncands)
{
    int64_t iv[WHY_FINAL_CANDS_MAX];
    uint32_t n = 0;
    for (uint32_t j = 0; j < ncands; j++) {
        struct why_conn_rec *rc = cands[j], *p;
        for (uint32_t k = 1; used[j] && k < WHY_FINAL_CHAIN_MAX && n < WHY_FINAL_CANDS_MAX &&
                             (p = timed_out_before(cx, rc));
             k++, rc = p)
            iv[n++] = why_ts_diff_us(why_rec_conn(p)->syn_ts0, why_rec_conn(rc)->syn_ts0);
    }
    if (n == 0)
        return 0;
    qsort(iv, n, sizeof iv[0], by_us);
    return iv[n / 2];
}

#define WHY_TIMER_CANDS 128       /* unanswered tries looked at for one request's timer chain */
#define WHY_TIMER_LATE_PCT 3      /* a gateway's timer runs out late by its event loop's delay:
                                     HAProxy 2.6 on a loaded 2-core machine (the retry shape,
                                     timeout connect 1s) began its next try up to 22 ms late, and
                                     one request's three intervals (two tries and the answer)
                                     spread by up to 29.4 ms; 3 % of T keeps them together, and
                                     no wider: 15 requests' tries interleave on one dead server */
#define WHY_TIMER_FIRST_LATE_PCT 10 /* ...and its first, on a loaded machine, later still (the
                                       retry shape at 2 GB: 60 ms late in 1 s), where the
                                       request's own dial pins the try it began with */
#define WHY_TIMER_MIN_US 200000   /* no gateway's connect timer is shorter (HAProxy advises more
                                     than 3 s; Squid's spare attempt of happy eyeballs comes
                                     250 ms after the first, which it does not give up on) */

/* A pair of the match: its request's answer less its dial's SYN (us), the request's row. */
struct dial_wait {
    int64_t us;
    uint32_t row;
};

static int by_wait(const void *pa, const void *pb)
{
    const struct dial_wait *a = pa, *b = pb;
    return (a->us > b->us) - (a->us < b->us);
}

/* With no chain to measure it by (chains_timeout 0: a gateway that does not retry, Varnish),
 * the gateway's connect timeout as the requests of the match agree on it: the time from a
 * silent try (no SYN-ACK, reset or ICMP) that each could have as its final to its answer,
 * where more than half of the requests with such a try, and two at least, have one within
 * WHY_TIMER_LATE_PCT % of the same time (the median of that run); else 0. A gateway that
 * gives up on a dial at its timer answers that long after it, so several requests waiting on
 * one dead server at once each have their own dial at that distance, while the latest try
 * before an answer is another request's (the fetch shape, Varnish with connect_timeout 1 s,
 * two or three drop.bench requests at a time: 39 of 86 took another's dial or a probe's
 * refusal). */
static int64_t dials_timeout(struct why_conn_rec *const *cands, uint32_t ncands, const struct why_txn *const *reqs,
                             uint32_t nreqs, const int64_t (*gap)[WHY_FINAL_CANDS_MAX])
{
    struct dial_wait w[WHY_FINAL_PAIRS_MAX]; /* (the match has at most so many pairs) */
    uint32_t n = 0, rows = 0;
    for (uint32_t i = 0; i < nreqs; i++) {
        bool any = false;
        for (uint32_t j = 0; j < ncands && n < WHY_FINAL_PAIRS_MAX; j++) {
            if (gap[i][j] < 0 || !silent_try(cands[j]))
                continue;
            int64_t us = why_ts_diff_us(why_rec_conn(cands[j])->syn_ts0, reqs[i]->resp_first_ts);
            if (us < WHY_TIMER_MIN_US)
                continue;
            w[n++] = (struct dial_wait){us, i};
            any = true;
        }
        rows += any;
    }
    int64_t best = 0;
    uint32_t best_rows = 0;
    if (rows >= 2) {
        qsort(w, n, sizeof w[0], by_wait);
        /* each run: the waits from w[a] up to WHY_TIMER_LATE_PCT % above it, the distinct rows
         * in it counted (two pointers: the run's end only moves on) */
        uint32_t in_run = 0, count[WHY_FINAL_REQS_MAX] = {0};
        for (uint32_t a = 0, b = 0; a < n; a++) {
            int64_t hi = w[a].us + w[a].us * WHY_TIMER_LATE_PCT / 100;
            for (; b < n && w[b].us <= hi; b++)
                in_run += count[w[b].row]++ == 0;
            if (in_run > best_rows) {
                best_rows = in_run;
                best = w[a + (b - a) / 2].us;
            }
            in_run -= --count[w[a].row] == 0;
        }
    }
    return best_rows >= 2 && 2 * best_rows > rows ? best : 0;
}

/* The kernel sent rc's SYN again less than WHY_UNHEARD_US before `answer`, with no SYN-ACK or
 * reset: the gateway had not given up on rc then (a closed socket sends nothing), and its
 * answer is where it did, on its timer or at the SYN's ICMP (races/run29: HAProxy's third try
 * of 198.19.0.16 was sent again 3.7 ms before the 503 and drew ICMP 0.4 ms before it; a check
 * of 198.19.0.12, on its beat, was refused 0.1 ms before it). */
static bool still_dialling(const struct why_conn_rec *rc, struct why_ts answer)
{
    const struct why_conn *c = why_rec_conn(rc);
    if (c->synack_frame || c->half[WHY_S2C].end->rst_frame || c->syn_count < 2 || c->syn_count > WHY_SYN_TRIES_MAX)
        return false;
    struct why_ts last = why_conn_syn_ts(c, c->syn_count - 1);
    int64_t before = why_ts_diff_us(last, answer);
    return before >= 0 && before < WHY_UNHEARD_US;
}

#define WHY_FINAL_NO_PAIR (1LL << 50) /* cost of leaving a request without an attempt: more
                                         than any sum of squared real costs (< 2^46 each) */
#define WHY_FINAL_COLS (WHY_FINAL_CANDS_MAX + WHY_FINAL_REQS_MAX) /* attempts, then "none" */

/* Minimum-cost assignment of every request (row) to a distinct column (Hungarian method,
 * potentials and shortest augmenting paths: O(rows^2 * cols)); col[i] gets row i's column. */
static void assign_min_cost(int64_t (*cost)[WHY_FINAL_COLS], uint32_t rows, uint32_t cols, uint32_t *col)
{
    int64_t u[WHY_FINAL_REQS_MAX + 1] = {0}, v[WHY_FINAL_COLS + 1] = {0}, minv[WHY_FINAL_COLS + 1];
    uint32_t row_of[WHY_FINAL_COLS + 1] = {0}, way[WHY_FINAL_COLS + 1] = {0};
    bool used[WHY_FINAL_COLS + 1];
    const int64_t inf = INT64_MAX / 4;
    for (uint32_t i = 1; i <= rows; i++) {
        row_of[0] = i;
        uint32_t j0 = 0;
        for (uint32_t j = 0; j <= cols; j++) {
            minv[j] = inf;
            used[j] = false;
        }
        do { /* at most cols + 1 steps: each marks a column used */
            used[j0] = true;
            uint32_t i0 = row_of[j0], j1 = 0;
            int64_t delta = inf;
            for (uint32_t j = 1; j <= cols; j++) {
                if (used[j])
                    continue;
                int64_t cur = cost[i0 - 1][j - 1] - u[i0] - v[j];
                if (cur < minv[j]) {
                    minv[j] = cur;
                    way[j] = j0;
                }
                if (minv[j] < delta) {
                    delta = minv[j];
                    j1 = j;
                }
            }
            for (uint32_t j = 0; j <= cols; j++) {
                if (used[j]) {
                    u[row_of[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
        } while (row_of[j0] != 0);
        do {
            uint32_t j1 = way[j0];
            row_of[j0] = row_of[j1];
            j0 = j1;
        } while (j0);
    }
    for (uint32_t j = 1; j <= cols; j++)
        if (row_of[j])
            col[row_of[j] - 1] = j - 1;
}

/* Keeps (rc, with) among the n other readings alt[] and with[], ranked by rank[] (the lowest
 * first, the earlier kept on ties), at most WHY_JOIN_ALTS. */
static void alt_keep(struct why_conn_rec **alt, uint64_t *with, int64_t *rank, uint32_t *n, struct why_conn_rec *rc,
                     uint64_t w, int64_t r)
{
    uint32_t at = *n;
    while (at > 0 && rank[at - 1] > r)
        at--;
    if (at == WHY_JOIN_ALTS)
        return;
    uint32_t keep = *n < WHY_JOIN_ALTS ? *n : WHY_JOIN_ALTS - 1;
    for (uint32_t k = keep; k > at; k--) {
        alt[k] = alt[k - 1];
        with[k] = with[k - 1];
        rank[k] = rank[k - 1];
    }
    alt[at] = rc;
    with[at] = w;
    rank[at] = r;
    *n = keep + 1;
}

/* rc is q's final attempt in another pairing: kept once per (attempt, request) */
static void also_keep(struct finals_other *f, struct why_conn_rec *rc, const struct why_txn *q)
{
    uint32_t file = why_rec_conn(q->rc)->file;
    for (uint32_t k = 0; k < f->nalso; k++)
        if (f->also[k] == rc && f->also_for[k] == q->req_frame && f->also_file[k] == file)
            return;
    if (f->nalso == WHY_JOIN_ALSO)
        return;
    f->also[f->nalso] = rc;
    f->also_for[f->nalso] = q->req_frame;
    f->also_file[f->nalso++] = file;
}

/* Another pairing the packets fit as well as the chosen one (col): as many requests paired,
 * the client's final attempt another one (on another server) or none, and the squared costs of
 * the requests it changes within WHY_AMBIG_RATIO of theirs in the chosen pairing (costs under
 * WHY_SAME_TURN_US counting as that): the WHY_JOIN_ALTS cheapest. Nothing in the packets names a
 * reverse proxy's fixed servers, so such a pairing is as true as the chosen one: the client's
 * cause is one of the two, and the report says so rather than claim one. */
static void finals_alternative(int64_t (*cost)[WHY_FINAL_COLS], int64_t (*gap)[WHY_FINAL_CANDS_MAX],
                               uint32_t nreqs, uint32_t ncands, const uint32_t *col,
                               struct why_conn_rec *const *cands, const struct why_txn *const *reqs,
                               struct finals_other *f)
{
    uint32_t cols = ncands + nreqs, npaired = 0;
    for (uint32_t i = 0; i < nreqs; i++)
        npaired += col[i] < ncands && gap[i][col[i]] >= 0;
    const struct why_conn *own = col[0] < ncands && gap[0][col[0]] >= 0 ? why_rec_conn(cands[col[0]]) : NULL;
    int64_t alt[WHY_FINAL_REQS_MAX][WHY_FINAL_COLS]; /* (40 KiB of stack, as the match's own costs) */
    uint32_t tries = 0;
    for (uint32_t j = 0; j <= ncands && tries < WHY_AMBIG_TRIES; j++) {
        /* j == ncands: the client's own "none" column */
        if (j < ncands && (gap[0][j] < 0 || j == col[0] ||
                           (own && why_addr_eq(&why_rec_conn(cands[j])->srv_addr, &own->srv_addr) &&
                            why_rec_conn(cands[j])->srv_port == own->srv_port)))
            continue;
        if (j == ncands && !own)
            continue;
        tries++;
        memcpy(alt, cost, sizeof alt[0] * nreqs);
        for (uint32_t k = 0; k < cols; k++)
            if (k != j)
                alt[0][k] = 2 * WHY_FINAL_NO_PAIR;
        uint32_t acol[WHY_FINAL_REQS_MAX];
        memset(acol, 0xff, sizeof acol);
        assign_min_cost(alt, nreqs, cols, acol);
        uint32_t n = 0;
        int64_t was = 0, now = 0;
        uint64_t with = 0, takes_own = 0;
        uint32_t takes_file = 0;
        for (uint32_t i = 0; i < nreqs; i++) {
            bool a = acol[i] < ncands && gap[i][acol[i]] >= 0, c = col[i] < ncands && gap[i][col[i]] >= 0;
            n += a;
            if (acol[i] == col[i] || (!a && !c))
                continue;
            if (i > 0 && own && a && acol[i] == col[0]) {
                takes_own = reqs[i]->req_frame;
                takes_file = why_rec_conn(reqs[i]->rc)->file;
            }
            int64_t floor = (int64_t)WHY_SAME_TURN_US * WHY_SAME_TURN_US;
            if (c)
                was += cost[i][col[i]] > floor ? cost[i][col[i]] : floor;
            if (a)
                now += cost[i][acol[i]] > floor ? cost[i][acol[i]] : floor;
            if (i > 0 && !with)
                with = reqs[i]->req_frame;
        }
        if (n < npaired || !with || now > WHY_AMBIG_RATIO * was)
            continue;
        alt_keep(f->alt, f->alt_with, f->alt_cost, &f->nalt, j < ncands ? cands[j] : NULL, with, now);
        /* the other requests' attempts in this pairing are readings of theirs too (a live
         * run of 3 December: Varnish answered rst, hostprohib and adminprohib within 3 ms of
         * three failed dials; rst took adminprohib's, and hostprohib, left the other two,
         * had its own in no pairing of its own match) */
        for (uint32_t i = 1; i < nreqs; i++)
            if (acol[i] != col[i] && acol[i] < ncands && gap[i][acol[i]] >= 0 && acol[i] != col[0])
                also_keep(f, cands[acol[i]], reqs[i]);
        if (takes_own && (!f->swap_for || now < f->swap_cost)) {
            f->swap_for = takes_own;
            f->swap_for_file = takes_file;
            f->swap_cost = now;
        }
    }
}

/* When the match cannot be made (more requests, tries or pairs than it holds: a busy gateway
 * whose backend drops the SYNs of its dials, fifty requests a second each waiting out the
 * connect timeout at once, bench/make-flood.py --dropped), the client keeps the one try that
 * is surely its own, or none (the walk's, as before): silent, the first the gateway began
 * after the request came, within WHY_FAILOVER_US of it, and a try final_gap admits. Without
 * it the walk took the tries nearest the answer, other requests', sixteen of them. */
static void finals_dialled(const struct why_join_ctx *cx, const struct why_txn *client, struct finals *f)
{
    struct why_ts from = client->req_first_ts, to = why_ts_add_us(from, WHY_FAILOVER_US);
    bool windowed = !cx->exhaustive && !cx->st->conns_unordered;
    struct why_ts oldest = why_ts_add_us(from, -(WHY_SKEW_US + why_store_rec_back_us(cx->st)));
    struct why_conn_rec *first = NULL;
    for (struct why_conn_rec *rc = tries_by(cx, WHY_TRIES_FAILED, to); rc && (!windowed || why_ts_cmp(rc->first_ts, oldest) >= 0);
         rc = tries_prev(cx, rc, WHY_TRIES_FAILED)) {
        const struct why_conn *c = why_rec_conn(rc);
        if (rc->claimed || c->midstream || c->syn_count == 0 || !attempt_failed(rc) || !is_upstream_conn(cx, rc) ||
            why_ts_cmp(c->syn_ts0, from) < 0 || why_ts_cmp(c->syn_ts0, to) > 0)
            continue;
        if (!first || why_ts_cmp(c->syn_ts0, why_rec_conn(first)->syn_ts0) < 0)
            first = rc;
    }
    struct named_memo m = {.done = false};
    if (first && attempt_timed_out(first) && first_try_after(cx, client, first) &&
        final_gap(cx, client, first, &m) >= 0)
        f->own = first;
}

/* The match of final attempts for client (final_matched) and the requests still queued
 * whose wait overlaps its own: f->own, and the chains of the others (f->res). */
static void match_finals(const struct why_join_ctx *cx, const struct why_txn *client, struct finals *f)
{
    memset(f, 0, sizeof *f);
    const struct why_txn *reqs[WHY_FINAL_REQS_MAX];
    uint32_t nreqs = 0;
    reqs[nreqs++] = client;
    struct why_ts from = client->req_first_ts, to = client->resp_first_ts;
    for (const struct why_txn *q = queued_failed(cx); q && !why_join_queue_past(cx, q, client->resp_first_ts, 0);
         q = queued_failed_next(cx, q)) {
        if (q == client || q->decided || !q->has_resp || q->status < 500 ||
            why_ts_cmp(q->req_first_ts, client->resp_first_ts) > 0 ||
            why_ts_cmp(q->resp_first_ts, client->req_first_ts) < 0 || !final_matched(cx, q))
            continue;
        if (nreqs == WHY_FINAL_REQS_MAX) {
            finals_dialled(cx, client, f);
            return;
        }
        reqs[nreqs++] = q;
        if (why_ts_cmp(q->req_first_ts, from) < 0)
            from = q->req_first_ts;
        if (why_ts_cmp(q->resp_first_ts, to) > 0)
            to = q->resp_first_ts;
    }
    /* the failed attempts that began in the windows: newest first, down to the oldest
     * request (records are in the order of their first packet within rlag_us, and a SYN
     * comes at most syn_late_us after that: why_store_rec_back_us), from the store's list of
     * those not connected */
    struct why_conn_rec *cands[WHY_FINAL_CANDS_MAX];
    uint32_t ncands = 0;
    bool windowed = !cx->exhaustive && !cx->st->conns_unordered;
    struct why_ts oldest = why_ts_add_us(from, -(WHY_SKEW_US + why_store_rec_back_us(cx->st)));
    for (struct why_conn_rec *rc = tries_by(cx, WHY_TRIES_FAILED, to); rc && (!windowed || why_ts_cmp(rc->first_ts, oldest) >= 0);
         rc = tries_prev(cx, rc, WHY_TRIES_FAILED)) {
        const struct why_conn *c = why_rec_conn(rc);
        if (rc->claimed || c->midstream || c->syn_count == 0 || !attempt_failed(rc) || !is_upstream_conn(cx, rc) ||
            !in_window(c->syn_ts0, from, to))
            continue;
        if (ncands == WHY_FINAL_CANDS_MAX) {
            finals_dialled(cx, client, f);
            return;
        }
        cands[ncands++] = rc;
    }
    /* the pairs that can be: gap[i][j] >= 0 (final_gap) */
    int64_t gap[WHY_FINAL_REQS_MAX][WHY_FINAL_CANDS_MAX];
    bool used[WHY_FINAL_CANDS_MAX] = {0};
    struct named_memo memo[WHY_FINAL_CANDS_MAX];
    for (uint32_t j = 0; j < ncands; j++)
        memo[j] = (struct named_memo){.done = false};
    uint32_t npairs = 0;
    for (uint32_t i = 0; i < nreqs; i++) {
        int32_t own = -1; /* a Varnish fetch's own silent dial (own_dial), the first such */
        for (uint32_t j = 0; j < ncands; j++) {
            gap[i][j] = final_gap(cx, reqs[i], cands[j], &memo[j]);
            if (own < 0 && gap[i][j] >= 0 && why_join_varnish_fetch_failed(reqs[i]) && silent_try(cands[j]) &&
                own_dial(cx, reqs[i], cands[j]))
                own = (int32_t)j;
        }
        for (uint32_t j = 0; j < ncands; j++) {
            /* Varnish dials once for a fetch: one with a dial of its own that nothing came
             * back to has no other final attempt (the fetch shape: drop.bench/f/162.html,
             * decided when no other request of its match was left to measure the timer by,
             * took a probe's refusal 0.55 s after it came and 0.46 s before its answer over
             * its own dial, 0.3 ms after it and 1.008 s before). A loaded Varnish may dial
             * late (0.41 s: the lab's rst), so a later try is ruled out only where such a dial
             * is there; a dial refused or ICMP'd at once, in a burst, may be another fetch's
             * (pairing_of_three_read_by_each) */
            if (own >= 0 && j != (uint32_t)own)
                gap[i][j] = -1;
            if (gap[i][j] >= 0 && npairs == WHY_FINAL_PAIRS_MAX) {
                finals_dialled(cx, client, f);
                return;
            }
            if (gap[i][j] >= 0) {
                npairs++;
                used[j] = true;
            }
        }
    }
    /* A pair's cost: how far the answer is from when the gateway gave up. After a refusal,
     * or a single attempt, that is the attempt's end (the gap). After a retry of a server
     * whose previous attempt timed out, the gateway gave up on this one too after its
     * connect timeout (T, measured between the chains' own tries): HAProxy answers T after
     * its last SYN, however soon another request's chain ended before the answer (a gap
     * rule took a chain that ended 0.7 s before for one that ended T = 1 s before). The
     * match minimises the sum of squared costs over as many requests as can get an attempt:
     * with equal sums (two answers, two chain ends all before them) the squares keep the
     * order, the earlier answer with the earlier end. */
    int64_t timeout = chains_timeout(cx, cands, used, ncands);
    int64_t dial_timeout = timeout ? 0 : dials_timeout(cands, ncands, reqs, nreqs, (const int64_t (*)[WHY_FINAL_CANDS_MAX])gap);
    /* A check (an attempt on its server's schedule) is a final attempt only within
     * WHY_FAILOVER_US of the answer (final_gap), and there as if it ended that long before:
     * an attempt off any schedule that ended within that time is more likely the request's
     * own (races/run6: Varnish's hostprohib answered 0.16 ms after a probe's refusal of
     * 198.19.0.12 and 0.66 ms after its own attempt drew ICMP; the probe was taken, and the
     * ICMP left to no request). */
    bool check[WHY_FINAL_CANDS_MAX];
    for (uint32_t j = 0; j < ncands; j++)
        check[j] = used[j] && why_join_scheduled(cx, cands[j]);
    int64_t cost[WHY_FINAL_REQS_MAX][WHY_FINAL_COLS];
    uint32_t cols = ncands + nreqs;
    for (uint32_t i = 0; i < nreqs; i++) {
        /* an attempt off any schedule the request alone could have made (every other one
         * waiting then was busy with its own elsewhere) is its own, rather than a check
         * (races/run10: Varnish's rst refused 14 ms before its 503, a probe of 198.19.0.17
         * 0.2 ms before it; the drop request, also waiting, was retransmitting its SYNs) */
        int own_off_schedule = -1; /* not known yet: asked only where a check is near */
        for (uint32_t j = 0; j < ncands; j++) {
            int64_t c = gap[i][j];
            if (c >= 0 && c < WHY_FAILOVER_US && check[j]) {
                for (uint32_t k = 0; k < ncands && own_off_schedule < 0; k++)
                    if (gap[i][k] >= 0 && !check[k] && used[k] &&
                        (only_free_request(cx, reqs[i], cands[k]) || still_dialling(cands[k], reqs[i]->resp_first_ts)))
                        own_off_schedule = 1;
                if (own_off_schedule < 0)
                    own_off_schedule = 0;
                c = own_off_schedule ? WHY_FINAL_COST_MAX_US : WHY_FAILOVER_US;
            }
            if (c >= 0 && timeout > 0 && attempt_timed_out(cands[j]) && timed_out_before(cx, cands[j])) {
                c = why_ts_diff_us(why_ts_add_us(why_rec_conn(cands[j])->syn_ts0, timeout),
                                   reqs[i]->resp_first_ts);
                c = c < 0 ? -c : c;
            } else if (c >= 0 && dial_timeout > 0 && silent_try(cands[j])) {
                /* (no chains: a dial and its timer) */
                c = why_ts_diff_us(why_ts_add_us(why_rec_conn(cands[j])->syn_ts0, dial_timeout),
                                   reqs[i]->resp_first_ts);
                c = c < 0 ? -c : c;
            }
            if (c > WHY_FINAL_COST_MAX_US)
                c = WHY_FINAL_COST_MAX_US;
            cost[i][j] = c < 0 ? 2 * WHY_FINAL_NO_PAIR : c * c;
        }
        for (uint32_t j = ncands; j < cols; j++)
            cost[i][j] = j - ncands == i ? WHY_FINAL_NO_PAIR : 2 * WHY_FINAL_NO_PAIR;
    }
    uint32_t col[WHY_FINAL_REQS_MAX];
    memset(col, 0xff, sizeof col);
    assign_min_cost(cost, nreqs, cols, col);
    struct why_conn_rec *final[WHY_FINAL_REQS_MAX] = {0};
    for (uint32_t i = 0; i < nreqs; i++)
        if (col[i] < ncands && gap[i][col[i]] >= 0)
            final[i] = cands[col[i]];
    f->own = final[0];
    if (nreqs > 1 && !cx->forced)
        finals_alternative(cost, gap, nreqs, ncands, col, cands, reqs, &f->other);
    for (uint32_t i = 1; i < nreqs; i++)
        for (struct why_conn_rec *rc = final[i]; rc && f->nres < sizeof f->res / sizeof f->res[0];
             rc = chain_link(cx, rc, reqs[i]->req_first_ts))
            f->res[f->nres++] = rc;
}

/* The match of client's final attempts that its join made, for one of its other readings
 * (cx->forced), while nothing it read has changed (why_join_scratch.fin): what match_finals
 * gives when forced, which is that match but for what finals_alternative alone writes (its
 * other pairings, which a reading does not ask). */
static bool finals_kept(const struct why_join_ctx *cx, const struct why_txn *client, struct finals *f)
{
    const struct why_join_scratch *s = cx->scratch;
    if (!cx->forced || !cx->sched || !s || !s->fin || s->fin_for != client || s->fin_gen != cx->sched->gen ||
        s->fin_dgen != cx->sched->dgen || s->fin_sdgen != cx->st->dgen)
        return false;
    *f = *(const struct finals *)s->fin;
    f->other = (struct finals_other){0};
    return true;
}

/* ...kept after client's own join made it (not a reading's: it has no other pairings) */
static void finals_keep(const struct why_join_ctx *cx, const struct why_txn *client, const struct finals *f)
{
    struct why_join_scratch *s = cx->scratch;
    if (cx->forced || !cx->sched || !s || (!s->fin && !(s->fin = malloc(sizeof *f))))
        return;
    memcpy(s->fin, f, sizeof *f);
    s->fin_for = client;
    s->fin_gen = cx->sched->gen;
    s->fin_dgen = cx->sched->dgen;
    s->fin_sdgen = cx->st->dgen;
}

static bool in_other_chain(const struct finals *f, struct why_conn_rec *rc)
{
    for (uint32_t i = 0; i < f->nres; i++)
        if (f->res[i] == rc)
            return true;
    return false;
}

/* b, a try of the request begun after a failed try a, followed it as a gateway's tries
 * follow one another: the same server again within WHY_CHAIN_GAP_US (a timer); another server
 * within WHY_FAILOVER_US of a refusal (a balancer moves on in the same turn), or, after SYNs
 * that got nothing back, once the gateway gave up on them (no sooner than WHY_UNHEARD_US after
 * the first) and within WHY_CHAIN_GAP_US of the last. Varnish sent binary's request 34 ms after
 * its client's, on a new connection 128 us after adminprohib's SYN drew ICMP; hostprohib's SYN
 * had drawn ICMP 18 ms before that: no balancer waits 18 ms after a refusal (races/run14). */
static bool tries_linked(const struct why_conn_rec *a, const struct why_conn_rec *b)
{
    const struct why_conn *ac = why_rec_conn(a), *bc = why_rec_conn(b);
    int64_t gap = why_ts_diff_us(why_join_attempt_end(a), bc->syn_ts0);
    if (gap < -WHY_CAUSAL_US || gap > WHY_CHAIN_GAP_US)
        return false;
    if (why_join_same_path(ac, bc))
        return true;
    if (ac->half[WHY_S2C].end->rst_frame || ac->more->icmp_frame)
        return gap <= WHY_FAILOVER_US;
    return why_ts_diff_us(ac->syn_ts0, bc->syn_ts0) >= WHY_UNHEARD_US || ac->srv_addr.family != bc->srv_addr.family;
}

/* x gets the chain that ends with `final`, oldest first. */
static void take_chain(const struct why_join_ctx *cx, struct why_conn_rec *final, struct why_join *x)
{
    struct why_conn_rec *chain[WHY_FINAL_CHAIN_MAX];
    uint32_t n = 0;
    bool varnish = varnish_page(x->client); /* (its fetch moves on to no other server) */
    for (struct why_conn_rec *rc = final; rc && n < WHY_FINAL_CHAIN_MAX &&
                                          (!varnish || !n || why_join_same_path(why_rec_conn(rc), why_rec_conn(chain[0])));
         rc = chain_link(cx, rc, x->client->req_first_ts)) {
        /* no try begun before the request (final_gap leaves such chains out, but for
         * Varnish's dials, each a chain of one) */
        if (n && why_ts_diff_us(x->client->req_first_ts, why_rec_conn(rc)->syn_ts0) < -WHY_CAUSAL_US)
            break;
        chain[n++] = rc;
    }
    for (uint32_t i = 0; i < n; i++)
        x->attempts[x->nattempts++] = chain[n - 1 - i];
    x->up_conn = x->attempts[x->nattempts - 1];
}

/* The lookups of x's host made after its request went upstream are not its own: the gateway
 * had the address it sent the request to (another request's lookup of the same host while
 * this one waited; bench `hang`: a request that waited 13 s on an origin that never answered
 * listed the two queries of the next request for that host, made 0.3 s after its own
 * request went upstream). */
static void lookups_before_sent(struct why_join *x)
{
    if (!x->up)
        return;
    uint32_t n = 0;
    for (uint32_t i = 0; i < x->ndns; i++)
        if (why_ts_diff_us(x->up->req_first_ts, x->dns[i]->q_ts) <= WHY_CAUSAL_US)
            x->dns[n++] = x->dns[i];
    x->ndns = n;
}

void why_join_settled(const struct why_join_ctx *cx, struct why_txn *client, struct why_txn *up,
                      struct why_join *x)
{
    memset(x, 0, sizeof *x);
    x->client = client;
    x->up = up;
    /* the connection that carried it is the request's, as the full join has it: claimed, a
     * request waiting at the same time cannot take it as an attempt of its own */
    x->up_conn = up ? up->rc : NULL;
    x->end_ts = client_end(cx, client, &x->end_frame);
    why_join_repeats(cx, x);
    if (why_join_direct(cx, client))
        return;
    struct why_url_key u;
    bool ip;
    const char *host = why_join_url_host(client, &u, &ip);
    join_dns_host(cx, host, ip, client->req_first_ts, x->end_ts, false, x);
    lookups_before_sent(x);
}

bool why_join_settled_after(const struct why_join *x, struct why_ts after)
{
    if (x->nrepeated)
        return false;
    if (x->up_conn && !x->up_conn->claimed && why_ts_cmp(why_rec_conn(x->up_conn)->first_ts, after) <= 0)
        return false;
    for (uint32_t i = 0; i < x->ndns; i++)
        if (why_ts_cmp(x->dns[i]->q_ts, after) <= 0)
            return false;
    return true;
}

/* No attempt for the request: the gateway's HTTP/2 upstream connection on which the origin
 * sent GOAWAY from WHY_GOAWAY_BEFORE_US before the request until the gateway answered it: the
 * gateway answered on its own instead of opening a new connection. One that carried a request
 * for the same host first (the latest GOAWAY on ties); without such, only when it is the one
 * connection that fits. */
static struct why_conn_rec *goaway_before(const struct why_join_ctx *cx, const struct why_txn *client,
                                          const struct why_url *u, struct why_ts from, struct why_ts to)
{
    struct why_conn_rec *pick = NULL;
    uint32_t n = 0;
    bool pick_host = false;
    uint64_t hkey = why_request_key("", u->host); /* as the store's index keys a request's */
    struct why_ts early = why_ts_add_us(from, -WHY_GOAWAY_BEFORE_US);
    /* the records whose server sent a GOAWAY, newest added first: the earliest made wins a
     * tie of times, as in a walk by creation */
    for (struct why_conn_rec *rc = cx->st->list_head[WHY_LIST_GOAWAY]; rc; rc = rc->more->lnext[WHY_LIST_GOAWAY]) {
        if (rc->app != WHY_APP_H2 || !rc->more->h2.goaway_frame || rc->more->h2.goaway_dir != WHY_S2C ||
            !is_upstream_conn(cx, rc) || !in_window(rc->more->h2.goaway_ts, early, to))
            continue;
        /* a request for the host on it, still there or taken by the pruning (its key kept) */
        bool host = false;
        for (const struct why_txn *t = u->host[0] ? rc->txn_head : NULL; t && !host; t = t->next)
            host = t != client && t->host[0] && t->hkey == hkey;
        for (uint32_t k = 0; k < WHY_GONE_HOSTS && !host && u->host[0]; k++)
            host = rc->more->gone_hosts[k] == hkey;
        n++;
        int later = pick ? why_ts_cmp(rc->more->h2.goaway_ts, pick->more->h2.goaway_ts) : 0;
        if (!pick || (host && !pick_host) || (host == pick_host && (later > 0 || (later == 0 && rc->seq < pick->seq)))) {
            pick = rc;
            pick_host = host;
        }
    }
    return pick && (pick_host || n == 1) ? pick : NULL;
}

/* rc is a TLS connection the capture host served (to another host), open at `at`. */
static bool local_tls_server_at(const struct why_join_ctx *cx, const struct why_conn_rec *rc, struct why_ts at)
{
    const struct why_conn *c = why_rec_conn(rc);
    struct why_ts last = why_conn_last_ts(c);
    return rc->app == WHY_APP_TLS && why_gw_is_local(cx->gw, &c->srv_addr) &&
           !why_gw_is_local(cx->gw, &c->cli_addr) && why_ts_cmp(c->first_ts, at) <= 0 &&
           why_ts_cmp(last, at) >= 0;
}

/* rc's server is an address one of x's lookups gave. */
static bool to_looked_up(const struct why_join *x, const struct why_conn_rec *rc)
{
    const struct why_addr *a = &why_rec_conn(rc)->srv_addr;
    for (uint32_t i = 0; i < x->ndns; i++) {
        const struct why_dns_rec *d = x->dns[i];
        uint32_t n = d->naddrs < WHY_DNS_REC_ADDRS ? d->naddrs : WHY_DNS_REC_ADDRS;
        for (uint32_t k = 0; k < n; k++)
            if (why_addr_eq(a, &d->addrs[k]))
                return true;
    }
    return false;
}

/* The request's lookups gave addresses and no connection to any of them began between the
 * request and its end: of the records begun in that window (by creation, from the newest
 * begun by its end down to those begun more than the records' lag before it: none begun in
 * the window was made before them), not of every record to those addresses made since the
 * request (a busy address, every name of a parking page's or a CDN's: thousands a second,
 * read for each such request; bench/make-hostile.py unused, 320,000 requests: 29 s). */
static bool resolved_unused(const struct why_join_ctx *cx, struct why_join *x, struct why_ts from,
                            struct why_ts to)
{
    uint32_t naddrs = 0;
    for (uint32_t i = 0; i < x->ndns; i++)
        naddrs += x->dns[i]->naddrs;
    if (naddrs == 0)
        return false;
    /* ...and when some began: whether every one failed (none took it for this request: it
     * was read as others'), so that a gateway's 5xx is not told as one the upstream side
     * shows no failure for (the retry shape at 2 GB: HAProxy's tries of drop.bench's dead
     * server, each taken by another waiting request, and the 503 read as "the origin
     * answered correctly") */
    bool windowed = !cx->exhaustive && !cx->st->conns_unordered, began = false, all_failed = true;
    uint32_t failed = 0;
    for (const struct why_conn_rec *o = windowed ? why_store_rec_upto(cx->st, why_ts_add_us(to, WHY_SKEW_US)) : cx->st->rtail;
         o && !why_join_conns_before(cx, o, from); o = o->rprev)
        if (in_window(o->first_ts, from, to) && to_looked_up(x, o)) {
            began = true;
            const struct why_conn *oc = why_rec_conn(o);
            if (oc->syn_count == 0 || oc->midstream || !attempt_failed(o)) {
                all_failed = false;
                break;
            }
            failed++;
        }
    x->resolved_tried_failed = began && all_failed ? (uint16_t)(failed > 65535 ? 65535 : failed) : 0;
    return !began;
}

/* rc began at once after client's request, and the answer came at once after rc ended: the
 * request waited for nothing else */
static bool own_answer_at_once(const struct why_txn *client, const struct why_conn_rec *rc)
{
    int64_t begun = why_ts_diff_us(client->req_first_ts, why_rec_conn(rc)->syn_ts0);
    int64_t answered = why_ts_diff_us(why_join_attempt_end(rc), client->resp_first_ts);
    return client->has_resp && begun >= -WHY_CAUSAL_US && begun <= WHY_FAILOVER_US &&
           answered >= -WHY_CAUSAL_US && answered <= WHY_FAILOVER_US;
}

/* x's reading in which its final attempt is rc (NULL: none at all), for that basis and with that
 * request's frame, while fewer than `room` are kept; an attempt already read is not added
 * again. */
static void alt_add(struct why_join *x, uint32_t room, struct why_conn_rec *rc, enum why_alt_basis basis,
                    uint64_t with)
{
    if (x->nalt >= room)
        return;
    for (uint32_t i = 0; rc && i < x->nalt; i++)
        if (x->alt_final[i] == rc)
            return;
    x->alt_final[x->nalt] = rc;
    x->alt_basis[x->nalt] = basis;
    x->alt_with_frame[x->nalt++] = with;
}

/* The final attempts requests decided before took, marked as client's in their cheapest other
 * pairing (why_join_apply: alt_for), and the attempts client has in any other pairing of their
 * matches (also_for), from the client's request on: x's other readings too. */
static void swapped_with_decided(const struct why_join_ctx *cx, const struct why_txn *client, struct why_join *x)
{
    struct why_ts oldest = why_ts_add_us(client->req_first_ts, -(WHY_SKEW_US + WHY_ORDER_SLACK_US));
    bool windowed = !cx->exhaustive && !cx->st->conns_unordered;
    uint32_t file = why_rec_conn(client->rc)->file;
    /* the marked records begun in the window (the store's list of them, not every record),
     * newest made first: one pass of the list for each one taken, and the first finds none
     * for nearly every request */
    for (uint64_t below = UINT64_MAX; x->nalt < WHY_JOIN_ALTS;) {
        struct why_conn_rec *next = NULL;
        uint64_t next_by = 0;
        for (struct why_conn_rec *rc = cx->st->list_head[WHY_LIST_MARKED]; rc; rc = rc->more->lnext[WHY_LIST_MARKED]) {
            if (rc->seq >= below || (next && rc->seq <= next->seq) ||
                (windowed && why_ts_cmp(rc->first_ts, oldest) < 0))
                continue;
            const struct why_rec_more *m = rc->more;
            uint64_t by = rc->claimed && m->alt_for == client->req_frame && m->alt_for_file == file ? m->alt_by : 0;
            for (uint32_t k = 0; k < WHY_ALSO_MARKS && !by; k++)
                if (m->also_for[k] == client->req_frame && m->also_file[k] == file)
                    by = m->also_by[k];
            if (by) {
                next = rc;
                next_by = by;
            }
        }
        if (!next)
            break;
        if (!taken(x, next))
            alt_add(x, WHY_JOIN_ALTS, next, WHY_ALT_SWAPPED_PAIRING, next_by);
        below = next->seq;
    }
}

/* A request the gateway answered with no attempt of its own (none matched, none found): the
 * failed attempts off any schedule made after it came that ended at once before its answer,
 * which the match gave to no request because their chain went on, or another request took as
 * its try before the connection that carried it. A balancer moves on in the same turn as a
 * failure, so either request may have made each (races/run14: Varnish answered adminprohib
 * 0.4 ms after its SYN drew ICMP, binary's connection began 128 us after that ICMP, and
 * binary took the try as its first; races/run15: hostprohib's and adminprohib's ICMP, garbage's
 * and binary's connections and drop's SYN within 0.5 ms, read as one chain of drop's). They
 * are x's other readings, the latest first. */
static void tried_by_other(const struct why_join_ctx *cx, const struct why_txn *client, struct why_join *x)
{
    int64_t rank[WHY_JOIN_ALTS];
    struct why_ts from = client->req_first_ts, to = client->resp_first_ts;
    struct why_ts oldest = why_ts_add_us(from, -(WHY_SKEW_US + why_store_rec_back_us(cx->st)));
    bool windowed = !cx->exhaustive && !cx->st->conns_unordered;
    for (struct why_conn_rec *rc = tries_by(cx, WHY_TRIES_FAILED, why_ts_add_us(to, WHY_CAUSAL_US));
         rc && (!windowed || why_ts_cmp(rc->first_ts, oldest) >= 0); rc = tries_prev(cx, rc, WHY_TRIES_FAILED)) {
        const struct why_conn *c = why_rec_conn(rc);
        if ((rc->claimed && !rc->more->tried_for) || c->midstream || c->syn_count == 0 || !attempt_failed(rc) ||
            !is_upstream_conn(cx, rc) || why_ts_diff_us(from, c->syn_ts0) < -WHY_CAUSAL_US)
            continue;
        int64_t gap = why_ts_diff_us(why_join_attempt_end(rc), to);
        struct named_memo m = {.done = false};
        if (gap < -WHY_CAUSAL_US || gap > WHY_FAILOVER_US || unheard_at_answer(rc, to) ||
            why_join_scheduled(cx, rc) || named_for_other(cx, client, rc, &m) ||
            check_while_unresolved(cx, client, rc))
            continue;
        /* the latest end first: the answer follows the last failure */
        alt_keep(x->alt_final, x->alt_with_frame, rank, &x->nalt, rc, rc->more->tried_for, -gap);
    }
    for (uint32_t i = 0; i < x->nalt; i++)
        x->alt_basis[i] = WHY_ALT_TAKEN_TRY;
}

/* An attempt to which nothing came back (no SYN-ACK, reset or ICMP): the gateway gave up on
 * it on a timer. */
static bool silent_try(const struct why_conn_rec *rc)
{
    const struct why_conn *c = why_rec_conn(rc);
    return c->syn_count > 0 && !c->midstream && !c->established && !c->synack_frame &&
           !c->half[WHY_S2C].end->rst_frame && !c->more->icmp_frame;
}

/* The first try of a chain began at once after the request came, or after a lookup of its host
 * answered while it waited (a gateway dials when it has an address): within tol. */
static bool starts_chain(const struct why_join *x, struct why_ts r, const struct why_conn *f, int64_t tol)
{
    int64_t d = why_ts_diff_us(r, f->syn_ts0);
    if (d >= -WHY_CAUSAL_US && d <= tol)
        return true;
    for (uint32_t i = 0; i < x->ndns; i++) {
        const struct why_dns_rec *q = x->dns[i];
        if (!q->answered || why_ts_cmp(q->a_ts, r) < 0)
            continue;
        d = why_ts_diff_us(q->a_ts, f->syn_ts0);
        if (d >= -WHY_CAUSAL_US && d <= tol)
            return true;
    }
    return false;
}

/* rc was not sent again after the gateway's timer t ran out (a closed socket sends nothing;
 * the kernel's retransmission may race the timer by WHY_GIVEUP_RACE_US). */
static bool given_up_after(const struct why_conn_rec *rc, int64_t t)
{
    const struct why_conn *c = why_rec_conn(rc);
    return why_ts_diff_us(why_ts_add_us(c->syn_ts0, t), why_join_attempt_end(rc)) <= WHY_GIVEUP_RACE_US;
}

/* cand[0..n) by their first SYN's time (ties in cand's order): by[] holds their places, syn[]
 * their times, so the tries within a tolerance of a time are found by a binary search, not a
 * walk of every try (timer_chain asks it of each try of each chain it tries: O(n^2) each). */
_Static_assert(WHY_TIMER_CANDS <= 256, "by_syn keeps the tries' places in bytes");
struct by_syn {
    struct why_ts syn[WHY_TIMER_CANDS];
    uint8_t by[WHY_TIMER_CANDS];
    uint32_t n;
};

static void by_syn_make(struct by_syn *b, struct why_conn_rec *const *cand, uint32_t n)
{
    b->n = n;
    for (uint32_t j = 0; j < n; j++) {
        b->syn[j] = why_rec_conn(cand[j])->syn_ts0;
        uint32_t k = j;
        for (; k > 0 && why_ts_cmp(b->syn[b->by[k - 1]], b->syn[j]) > 0; k--)
            b->by[k] = b->by[k - 1];
        b->by[k] = (uint8_t)j;
    }
}

/* The first place in b->by whose try was sent no more than tol before want (its
 * why_ts_diff_us(want, ..) >= -tol, which grows with the try's time): the tries within tol of
 * want, either side, are those from there while that difference stays <= tol. */
static uint32_t by_syn_from(const struct by_syn *b, struct why_ts want, int64_t tol)
{
    uint32_t lo = 0, hi = b->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (why_ts_diff_us(want, b->syn[b->by[mid]]) < -tol)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The other failed requests for client's host waiting beside it whose last try, by the
 * timer t, is among cand: one of cand began t (within tol) before their answer (a gateway
 * answers in the turn its last timer runs out). A gateway's
 * connect timer is one setting for all its requests to a server: the true one fits them all,
 * one that a chain fits by chance (tries of two requests half a period apart) fits few. */
static uint32_t timer_support(const struct why_join_ctx *cx, const struct why_txn *client,
                              const struct by_syn *b, int64_t t, int64_t tol)
{
    uint32_t support = 0;
    for (const struct why_txn *w = waiting_first(cx); w && !why_join_queue_past(cx, w, client->resp_first_ts, 0);
         w = waiting_next(cx, w)) {
        if (w == client || !w->has_resp || w->status < 500 || strcasecmp(w->ihost, client->ihost) != 0)
            continue;
        struct why_ts want = why_ts_add_us(w->resp_first_ts, -t);
        uint32_t i = by_syn_from(b, want, tol);
        support += i < b->n && why_ts_diff_us(want, b->syn[b->by[i]]) <= tol;
    }
    return support;
}

#define WHY_DIAL_READ 256 /* queued requests a test for another's dial reads (cap: past it, the
                              try may be one of theirs) */

/* What the tests for another's dial (waiting_for_dial) know of one try: the latest first query
 * of a lookup of the host answered with the try's address within WHY_GIVEUP_RACE_US before it
 * (found once), and the queued requests they may still read. */
struct dial_memo {
    bool looked, any, over;
    struct why_ts asked;
    uint32_t budget;
};

/* The lookups of client's host (its key's chain vector), answered with rc's address from
 * WHY_GIVEUP_RACE_US before rc's SYN to just after it: the latest first query among them, into
 * m (a gateway that looks the name up for each request dials once it has the answer: a
 * request that came by that query can be the one the try was for). */
static void dial_lookups(const struct why_join_ctx *cx, const struct why_txn *client, const struct why_conn *c,
                         struct dial_memo *m)
{
    m->looked = true;
    struct why_dns_span sp;
    struct why_ts syn = c->syn_ts0, from = why_ts_add_us(syn, -WHY_GIVEUP_RACE_US);
    if (client->ihost_ip || !client->ihost[0] ||
        !why_store_dns_name_from(cx->st, client->hkey, from, &sp) ||
        !why_store_dns_name_from(cx->st, client->hkey, why_ts_add_us(from, -(sp.late_us + 1000)), &sp))
        return;
    int64_t last_us = why_ts_us(syn) + WHY_CAUSAL_US;
    for (uint32_t k = sp.lo; k < sp.n && k - sp.lo < WHY_DIAL_READ; k++) {
        if (k > sp.lo && why_dns_span_past(&sp, k, last_us))
            break; /* this one and every later one asked after the SYN */
        const struct why_dns_rec *d = sp.e[k].d;
        if (!d || d->nkey != client->hkey || !d->answered || why_ts_cmp(d->a_ts, from) < 0 ||
            why_ts_diff_us(syn, d->a_ts) > WHY_CAUSAL_US || (m->any && why_ts_cmp(d->q_ts, m->asked) <= 0) ||
            strcasecmp(d->qname, client->ihost) != 0)
            continue;
        for (uint32_t i = 0; i < d->naddrs; i++)
            if (why_addr_eq(&d->addrs[i], &c->srv_addr)) {
                m->any = true;
                m->asked = d->q_ts;
                break;
            }
    }
}

/* The next request after `after` (NULL: from the first) for client's host, queued, not
 * decided, not answered below 500 before rc began, that came by rc's first SYN, within
 * WHY_GIVEUP_RACE_US of it or by a lookup answered with rc's address within that of it
 * (dial_lookups): one rc can be the dial of, if rc is the first try of its path the gateway
 * began after it came (the caller's test). NULL: none, or m->over once WHY_DIAL_READ are read. */
static const struct why_txn *waiting_for_dial(const struct why_join_ctx *cx, const struct why_txn *client,
                                              const struct why_conn_rec *rc, const struct why_txn *after,
                                              struct dial_memo *m)
{
    const struct why_conn *c = why_rec_conn(rc);
    struct why_ts syn = c->syn_ts0;
    for (const struct why_txn *w = after ? after->hqnext : why_store_queued_host(cx->st, client->hkey); w;
         w = w->hqnext) {
        if (m->budget == 0) {
            m->over = true;
            return NULL;
        }
        m->budget--;
        int64_t d = why_ts_diff_us(w->req_first_ts, syn);
        if (d < -WHY_CAUSAL_US)
            break; /* oldest first: the rest came after rc */
        if (w == client || w->decided || w->hkey != client->hkey || strcmp(w->ihost, client->ihost) != 0 ||
            (w->has_resp && w->status < 500 && why_ts_cmp(w->resp_first_ts, syn) < 0))
            continue;
        if (d > WHY_GIVEUP_RACE_US) {
            if (!m->looked)
                dial_lookups(cx, client, c, m);
            if (!m->any || why_ts_diff_us(w->req_first_ts, m->asked) < -WHY_CAUSAL_US)
                continue;
        }
        return w;
    }
    return NULL;
}

/* rc is the first of the tries cand[0..n) begun after another request for client's host
 * that waits (waiting_for_dial): that request's first try, dialled at once (two requests for
 * drop.bench 1.0013 s apart, their tries every 1 s: the first one's second try and the second
 * one's first came 1.9 ms apart, and the first took the second's), or once its lookup gave
 * the address (Caddy) */
static bool first_try_of_other(const struct why_join_ctx *cx, const struct why_txn *client,
                               struct why_conn_rec *const *cand, uint32_t n, const struct why_conn_rec *rc)
{
    struct why_ts syn = why_rec_conn(rc)->syn_ts0;
    struct dial_memo m = {.budget = WHY_DIAL_READ};
    for (const struct why_txn *w = waiting_for_dial(cx, client, rc, NULL, &m); w;
         w = waiting_for_dial(cx, client, rc, w, &m)) {
        bool earliest = true;
        for (uint32_t j = 0; j < n && earliest; j++) {
            struct why_ts o = why_rec_conn(cand[j])->syn_ts0;
            earliest = cand[j] == rc || why_ts_cmp(o, syn) >= 0 || why_ts_diff_us(w->req_first_ts, o) < -WHY_CAUSAL_US;
        }
        if (earliest)
            return true;
    }
    return false;
}

/* first_try_of_other of cand[j], kept in memo[j] (-1: not asked yet) */
static bool other_first_at(const struct why_join_ctx *cx, const struct why_txn *client, struct why_conn_rec *const *cand,
                           uint32_t n, int8_t *memo, uint32_t j)
{
    if (memo[j] < 0)
        memo[j] = first_try_of_other(cx, client, cand, n, cand[j]);
    return memo[j];
}

/* How far rc's SYN is from t, either side (us). */
static int64_t syn_off(struct why_ts t, const struct why_conn_rec *rc)
{
    int64_t o = why_ts_diff_us(t, why_rec_conn(rc)->syn_ts0);
    return o < 0 ? -o : o;
}

/* x->dns[i]'s address k is one an earlier lookup of x (or an earlier address of the same
 * lookup) gave. */
static bool addr_given_before(const struct why_join *x, uint32_t i, uint32_t k)
{
    const struct why_addr *a = &x->dns[i]->addrs[k];
    for (uint32_t p = 0; p <= i; p++) {
        const struct why_dns_rec *d = x->dns[p];
        uint32_t n = p < i ? (d->naddrs < WHY_DNS_REC_ADDRS ? d->naddrs : WHY_DNS_REC_ADDRS) : k;
        for (uint32_t q = 0; q < n; q++)
            if (why_addr_eq(&d->addrs[q], a))
                return true;
    }
    return false;
}

/* A gateway that tries a server again on a fresh connection after its connect timer T ran out
 * (HAProxy's `timeout connect` with `retries`; Squid's connect_timeout over a name's addresses)
 * dials at once, tries again every T and answers T after the last try. Where several requests
 * wait on one dead server at once their tries interleave, and taking the earliest try after
 * each one (the walk) takes the other requests' (a retry shape's capture, HAProxy, 15 requests
 * to drop.bench at once, three tries each 1 s apart: the first request took 16 tries and the
 * later ones none, read as the gateway's own 503). The chain: a last try L, to an address the
 * host's lookups gave, T = answer - L, and before it one try every T back to the request (each
 * within WHY_TIMER_LATE_PCT % of T, at least 2 ms, at most WHY_GIVEUP_RACE_US), none sent
 * again after its T ran out, the first at once after the request (starts_chain; a first try
 * dialled late is found apart; of the tries within the tolerance of its time, the one dialled
 * nearest the request); a later try, the nearest to its time, one that is another waiting
 * request's first try (first_try_of_other) counted as beyond the tolerance; none missing
 * where one was due but for a try there that a request decided before took (passed over, not
 * counted); two places at least, one of them a try of its own. Of such chains the one with
 * the fewest other requests' first tries, then whose T fits most other requests for the host
 * (timer_support), then whose tries sit nearest to their times (relative to that
 * tolerance), then the longer. */
static bool timer_chain(const struct why_join_ctx *cx, const struct why_txn *client, const struct why_url *u,
                        struct why_join *x)
{
    if (!client->has_resp || client->status < 500 || x->nattempts)
        return false;
    struct why_ts r = client->req_first_ts, a = client->resp_first_ts;
    struct why_conn_rec *cand[WHY_TIMER_CANDS], *gone[WHY_TIMER_CANDS]; /* (gone: taken already) */
    uint32_t n = 0, ngone = 0;
    /* the failed tries begun in the wait, from the newest begun by the answer down to the
     * request (records are in the order of their first packet within rlag_us, and a SYN comes
     * at most syn_late_us after that: why_store_rec_back_us), not every record to the
     * address made since the request: a busy address (one a parking page's or a CDN's names
     * all give) draws thousands a second, and the walk from its newest read them for each
     * failed request (bench/make-hostile.py sameaddr, 80,000 requests: 4.5 s) */
    bool windowed = !cx->exhaustive && !cx->st->conns_unordered;
    struct why_ts oldest = why_ts_add_us(r, -(WHY_CAUSAL_US + WHY_SKEW_US + why_store_rec_back_us(cx->st)));
    struct why_conn_rec *newest = tries_by(cx, WHY_TRIES_FAILED, a);
    for (uint32_t i = 0; i < x->ndns; i++) {
        const struct why_dns_rec *d = x->dns[i];
        uint32_t na = d->naddrs < WHY_DNS_REC_ADDRS ? d->naddrs : WHY_DNS_REC_ADDRS;
        for (uint32_t k = 0; k < na; k++) {
            if (addr_given_before(x, i, k))
                continue; /* its tries are in already (a name looked up again gives the same) */
            for (struct why_conn_rec *o = newest; o && (!windowed || why_ts_cmp(o->first_ts, oldest) >= 0);
                 o = tries_prev(cx, o, WHY_TRIES_FAILED)) {
                const struct why_conn *oc = why_rec_conn(o);
                if (!why_addr_eq(&oc->srv_addr, &d->addrs[k]) || oc->srv_port != u->port ||
                    !silent_try(o) || !is_upstream_conn(cx, o) || why_ts_diff_us(r, oc->syn_ts0) < -WHY_CAUSAL_US ||
                    why_ts_cmp(oc->syn_ts0, a) > 0)
                    continue;
                struct why_conn_rec **v = o->claimed ? gone : cand;
                uint32_t *nv = o->claimed ? &ngone : &n;
                bool dup = false;
                for (uint32_t j = 0; j < *nv && !dup; j++)
                    dup = v[j] == o;
                if (dup)
                    continue;
                if (*nv == WHY_TIMER_CANDS) {
                    if (o->claimed)
                        continue; /* (the first ones kept) */
                    return false; /* more than a chain can be told apart in */
                }
                v[(*nv)++] = o;
            }
        }
    }
    struct by_syn bs;
    by_syn_make(&bs, cand, n);
    /* first_try_of_other of each of cand, asked once (-1: not yet) */
    int8_t other_first[WHY_TIMER_CANDS];
    memset(other_first, -1, sizeof other_first);
    struct why_conn_rec *best[WHY_JOIN_MAX], *chain[WHY_JOIN_MAX];
    uint32_t chain_at[WHY_JOIN_MAX]; /* each try's place in cand */
    uint32_t nbest = 0, best_support = 0;
    int64_t best_score = 0; /* in millionths: each try but the last, 1 at its time, 0 at tol */
    uint32_t best_others = 0;
    for (uint32_t l = 0; l < n; l++) {
        const struct why_conn *lc = why_rec_conn(cand[l]);
        int64_t t = why_ts_diff_us(lc->syn_ts0, a);
        if (t < WHY_TIMER_MIN_US || !given_up_after(cand[l], t))
            continue;
        int64_t tol = t * WHY_TIMER_LATE_PCT / 100;
        tol = tol < 2000 ? 2000 : tol > WHY_GIVEUP_RACE_US ? WHY_GIVEUP_RACE_US : tol;
        uint32_t len = 0, gaps = 0;
        int64_t score = 0;
        chain_at[len] = l;
        chain[len++] = cand[l];
        struct why_conn_rec *earliest = cand[l]; /* the chain's first try, its own or taken */
        bool ok = true;
        struct why_ts at = lc->syn_ts0;
        for (; ok && len + gaps < WHY_JOIN_MAX;) {
            struct why_ts want = why_ts_add_us(at, -t);
            if (why_ts_diff_us(r, want) < -(WHY_CAUSAL_US + tol))
                break; /* the chain reaches back to the request */
            /* the nearest try to its time; the first (the chain reaches the request before
             * the next): of those within tol, the one dialled nearest after the request (two
             * requests 2 ms apart, their tries 1 s apart within 3 ms: the nearest to the
             * time took the other's first try) */
            bool first = why_ts_diff_us(r, why_ts_add_us(want, -t)) < -(WHY_CAUSAL_US + tol);
            struct why_conn_rec *p = NULL;
            uint32_t pj = 0;
            int64_t off = 0, key = 0;
            /* the first: a try that starts the chain (dialled as the request came) whose timer
             * ran out late, by up to WHY_TIMER_FIRST_LATE_PCT % of T, goes before one within tol
             * that does not: a loaded gateway's first timer runs late, and the try nearest the
             * time is then another request's (the retry shape at 2 GB: HAProxy's first retry
             * 1.060 s after the dial, its second 1.006 s after that, the 503 0.999 s later; the
             * nearest try to 1 s before the first retry was another request's, 52.7 ms after the
             * request, and the chain was not found); only after a try at its time within tol
             * (len >= 2), which the timer is measured by: alone, a late first and the last try
             * fit any T (the retry shape at 200 MB: a chain of two at T = 1.464 s took another
             * request's try as its last) */
            if (first && len >= 2) {
                int64_t late = t * WHY_TIMER_FIRST_LATE_PCT / 100;
                for (uint32_t i = by_syn_from(&bs, want, late > tol ? late : tol); i < n; i++) {
                    uint32_t j = bs.by[i];
                    int64_t o = why_ts_diff_us(want, bs.syn[j]);
                    if (o > tol)
                        break;
                    if (!given_up_after(cand[j], t) || !starts_chain(x, r, why_rec_conn(cand[j]), WHY_GIVEUP_RACE_US))
                        continue;
                    int64_t k = syn_off(r, cand[j]);
                    if (p && (k > key || (k == key && j > pj)))
                        continue;
                    p = cand[j];
                    pj = j;
                    off = o < 0 ? (-o > tol ? tol : -o) : o;
                    key = k;
                }
            }
            /* (the tries within tol of want, in time order: the first in cand's order wins a
             * tie; not asked when the first is pinned above) */
            bool pinned = p != NULL;
            for (uint32_t i = by_syn_from(&bs, want, tol); !pinned && i < n; i++) {
                uint32_t j = bs.by[i];
                int64_t o = why_ts_diff_us(want, bs.syn[j]);
                if (o > tol)
                    break;
                o = o < 0 ? -o : o;
                if (!given_up_after(cand[j], t))
                    continue;
                /* a later try: the nearest, one that is another waiting request's first after
                 * the others (first_try_of_other); the first: the nearest the request, either
                 * side (seen before it: reordered, within WHY_CAUSAL_US) */
                int64_t k = first ? syn_off(r, cand[j])
                                  : o + (other_first_at(cx, client, cand, n, other_first, j) ? tol + 1 : 0);
                if (p && (k > key || (k == key && j > pj)))
                    continue;
                p = cand[j];
                pj = j;
                off = o;
                key = k;
            }
            if (!p) {
                /* a try due there that a request decided before took (its chain read wrong,
                 * or a request nothing names took it): the chain goes on past it, the try
                 * not counted (many requests waiting at once: one chain read wrong left
                 * each later one with a try missing, and their walks took every try) */
                for (uint32_t j = 0; j < ngone; j++) {
                    int64_t o = syn_off(want, gone[j]);
                    if (o > tol || (p && o >= off) || !given_up_after(gone[j], t))
                        continue;
                    p = gone[j];
                    off = o;
                }
                if (p) {
                    gaps++;
                    earliest = p;
                    at = why_rec_conn(p)->syn_ts0;
                    continue;
                }
                /* no try where one was due, the request being there already: not this chain */
                ok = why_ts_diff_us(r, want) < tol;
                break;
            }
            chain_at[len] = pj;
            chain[len++] = p;
            earliest = p;
            score += 1000000 - off * 1000000 / tol;
            at = why_rec_conn(p)->syn_ts0;
        }
        /* a first try dialled late, its timer counted from the request (HAProxy, loaded: the
         * SYN 6.7 ms after the request, the next try 0.989 s after the SYN, T after the
         * request): the try the request began with */
        int64_t late = why_ts_diff_us(why_ts_add_us(r, t), at);
        if (ok && len + gaps < WHY_JOIN_MAX && !starts_chain(x, r, why_rec_conn(earliest), WHY_GIVEUP_RACE_US) &&
            late >= -tol && late <= tol) {
            struct why_conn_rec *p = NULL;
            for (uint32_t j = 0; j < n; j++) {
                const struct why_conn *pc = why_rec_conn(cand[j]);
                if (!starts_chain(x, r, pc, WHY_GIVEUP_RACE_US) || why_ts_diff_us(pc->syn_ts0, at) < t / 2 ||
                    why_ts_diff_us(why_join_attempt_end(cand[j]), at) < -WHY_GIVEUP_RACE_US ||
                    (p && why_ts_cmp(pc->syn_ts0, why_rec_conn(p)->syn_ts0) >= 0))
                    continue;
                p = cand[j];
            }
            if (p)
                chain[len++] = earliest = p; /* (the first try: the ranking asks the later ones) */
        }
        if (!ok || len + gaps < 2 || !starts_chain(x, r, why_rec_conn(earliest), WHY_GIVEUP_RACE_US))
            continue;
        /* tries of the chain after its first that are another waiting request's first */
        uint32_t others = 0;
        for (uint32_t i = 0; i + 1 < len; i++)
            others += other_first_at(cx, client, cand, n, other_first, chain_at[i]);
        /* a chain of one retry, that retry another's first: one gap to tell a timer by, and
         * the try the other request's own (the balance shape, Caddy, which never retries:
         * drop.bench's dial 0.493 s after another's, the answer 0.504 s after it) */
        if (others && len + gaps == 2)
            continue;
        uint32_t support = timer_support(cx, client, &bs, t, WHY_FAILOVER_US);
        if (nbest && (others > best_others ||
                      (others == best_others &&
                       (support < best_support ||
                        (support == best_support && (score < best_score || (score == best_score && len <= nbest)))))))
            continue;
        memcpy(best, chain, len * sizeof chain[0]);
        nbest = len;
        best_score = score;
        best_support = support;
        best_others = others;
    }
    if (nbest < 1)
        return false;
    for (uint32_t i = 0; i < nbest; i++)
        x->attempts[x->nattempts++] = best[nbest - 1 - i];
    x->up_conn = x->attempts[x->nattempts - 1];
    return true;
}

#define WHY_TIMER_MEMO 8 /* other requests' timer chains kept for one request's walk */

/* The timer chains of other requests one walk asked for (timer_chain), each read once. */
struct timer_memo {
    const struct why_txn *w[WHY_TIMER_MEMO];
    struct why_conn_rec *chain[WHY_TIMER_MEMO][WHY_JOIN_MAX];
    uint32_t n[WHY_TIMER_MEMO];
    uint32_t used;
};

/* rc, a try nothing came back to, is in the timer chain (timer_chain) of another failed
 * request waiting when it began whose host's lookups gave rc's address: that request's,
 * not a try of a request no lookup names a server for (a retry shape's capture, HAProxy: a
 * request for a server set by address, refused on each of its tries, took 17 unanswered SYNs
 * that 15 requests for drop.bench, a name HAProxy's resolvers look up, sent meanwhile, and
 * left those requests none). Past WHY_TIMER_MEMO such requests, the rest are not asked. */
static bool in_others_timer_chain(const struct why_join_ctx *cx, const struct why_txn *client,
                                  struct why_conn_rec *rc, struct timer_memo *tm)
{
    const struct why_conn *c = why_rec_conn(rc);
    if (!silent_try(rc))
        return false;
    for (const struct why_txn *w = waiting_first(cx); w && !why_join_queue_past(cx, w, c->syn_ts0, WHY_CAUSAL_US);
         w = waiting_next(cx, w)) {
        if (w == client || !w->has_resp || w->status < 500 || !why_join_waiting_at(w, c->syn_ts0) || !w->ihost[0] ||
            w->ihost_ip || !name_gave(cx, w->ihost, &c->srv_addr))
            continue;
        uint32_t k = 0;
        while (k < tm->used && tm->w[k] != w)
            k++;
        if (k == tm->used) {
            if (tm->used == WHY_TIMER_MEMO)
                return false;
            struct why_url u;
            why_url_parse(w->method, w->target ? w->target : "", w->target_len, w->host, &u);
            struct why_join *wx = calloc(1, sizeof *wx);
            if (!wx)
                return false;
            wx->client = (struct why_txn *)w;
            join_dns(cx, &u, w->req_first_ts, w->resp_first_ts, true, wx);
            tm->n[k] = !u.host_is_ip && timer_chain(cx, w, &u, wx) ? wx->nattempts : 0;
            memcpy(tm->chain[k], wx->attempts, tm->n[k] * sizeof wx->attempts[0]);
            free(wx);
            tm->w[k] = w;
            tm->used++;
        }
        for (uint32_t i = 0; i < tm->n[k]; i++)
            if (tm->chain[k][i] == rc)
                return true;
    }
    return false;
}

/* The candidates of one step of a request's try walk (why_join_request), each with what orders
 * them: a retry of the server that refused first, then the earliest SYN, then the higher
 * score, then the record met later in a walk of the window (newest first) or earlier in one of
 * every record (oldest first). A few on the stack, more on the heap. */
struct try_cand {
    struct why_conn_rec *rc;
    struct why_ts syn; /* its first SYN (the order's, without reading the record) */
    int score;
    bool retry;
    bool taken;
    int64_t ord; /* the walk's order: the greater goes first */
};

#define WHY_TRY_CANDS_STACK 64

#define WHY_TRY_CANDS_PICKS 4 /* candidates taken by a scan each; then all sorted once */

struct try_cands {
    struct try_cand local[WHY_TRY_CANDS_STACK], *v;
    uint32_t n, cap;
    uint32_t takes, next; /* taken so far; with sorted, the size of the heap (cands_sift) */
    bool sorted;
    bool windowed;
    /* added latest SYN first (the pool's order) and none a retry: the order's first not taken
     * is at the end, in the run of the earliest SYN, before `end` (those from end on are
     * taken); else the scans and the heap */
    bool unordered, any_retry;
    uint32_t end;
};

/* v (cap entries of `size` bytes, n of them used; NULL at first: then local, nlocal entries
 * on the stack) with room for one more: v itself, or its entries moved to twice the room on
 * the heap (v freed unless local). NULL without memory (counted; v is kept). */
static void *room_for_one(struct why_store *st, void *v, void *local, uint32_t nlocal, uint32_t *cap, uint32_t n,
                          size_t size)
{
    if (!v) {
        v = local;
        *cap = nlocal;
    }
    if (n < *cap)
        return v;
    void *w = malloc(2 * (size_t)*cap * size);
    if (!w) {
        st->sum->oom++;
        return NULL;
    }
    memcpy(w, v, n * size);
    if (v != local)
        free(v);
    *cap *= 2;
    return w;
}

/* syn: rc's first SYN (the pool's copy) */
static void try_cands_add(struct why_store *st, struct try_cands *cs, struct why_conn_rec *rc, struct why_ts syn,
                          int score, bool retry)
{
    struct try_cand *v = room_for_one(st, cs->v, cs->local, WHY_TRY_CANDS_STACK, &cs->cap, cs->n, sizeof *v);
    if (!v)
        return; /* the candidate is lost, as a record would be */
    cs->v = v;
    cs->v[cs->n] = (struct try_cand){rc, syn, score, retry, false, cs->windowed ? (int64_t)cs->n : -(int64_t)cs->n};
    if (cs->n && why_ts_cmp(cs->v[cs->n].syn, cs->v[cs->n - 1].syn) > 0)
        cs->unordered = true;
    cs->any_retry |= retry;
    cs->n++;
    cs->end = cs->n;
}

/* a goes before b in the order above */
static bool try_cand_before(const struct try_cand *a, const struct try_cand *b)
{
    if (a->retry != b->retry)
        return a->retry;
    int cmp = why_ts_cmp(a->syn, b->syn);
    if (cmp)
        return cmp < 0;
    if (a->score != b->score)
        return a->score > b->score;
    return a->ord > b->ord;
}

/* Sifts the candidate at i down the heap of the first n (the one that goes first at the top). */
static void cands_sift(struct try_cand *v, uint32_t n, uint32_t i)
{
    for (;;) {
        uint32_t l = 2 * i + 1, top = i;
        if (l < n && try_cand_before(&v[l], &v[top]))
            top = l;
        if (l + 1 < n && try_cand_before(&v[l + 1], &v[top]))
            top = l + 1;
        if (top == i)
            return;
        struct try_cand t = v[i];
        v[i] = v[top];
        v[top] = t;
        i = top;
    }
}

/* The first not taken yet in that order, now taken; NULL when none is left. Added in the
 * order of their SYNs, latest first, and none a retry (the pool's order, the clock not gone
 * back, no refusal before): from the end, the run of the earliest SYN read each time. Else the
 * first few by a scan each (the first usually passes), then from a heap of those left: a
 * refused server's retries come first in the order, and the tests may rule out many, or a few
 * of many (a storm of requests waiting on one server: each walk's window holds every other's
 * dial), so the heap, not a sort of them all. The order is total (try_cand_before): any way
 * the same. */
static const struct try_cand *try_cands_take(struct try_cands *cs)
{
    struct try_cand *best = NULL;
    if (!cs->unordered && !cs->any_retry) {
        /* in order: the earliest SYN's run at the end, the best of it by try_cand_before */
        while (cs->end && cs->v[cs->end - 1].taken)
            cs->end--;
        if (!cs->end)
            return NULL;
        best = &cs->v[cs->end - 1];
        for (uint32_t k = cs->end - 1; k-- > 0 && why_ts_cmp(cs->v[k].syn, best->syn) == 0;)
            if (!cs->v[k].taken && try_cand_before(&cs->v[k], best))
                best = &cs->v[k];
        best->taken = true;
        return best;
    }
    if (!cs->sorted && cs->takes++ == WHY_TRY_CANDS_PICKS) {
        uint32_t n = 0;
        for (uint32_t i = 0; i < cs->n; i++) /* (those taken by the scans go) */
            if (!cs->v[i].taken)
                cs->v[n++] = cs->v[i];
        cs->n = n;
        for (uint32_t i = n / 2; i-- > 0;)
            cands_sift(cs->v, n, i);
        cs->sorted = true;
        cs->next = n; /* the heap's size */
    }
    if (cs->sorted) {
        if (!cs->next)
            return NULL;
        /* the top goes to the end of the array, past the heap, and stays there */
        struct try_cand t = cs->v[0];
        cs->v[0] = cs->v[--cs->next];
        cs->v[cs->next] = t;
        cands_sift(cs->v, cs->next, 0);
        best = &cs->v[cs->next];
    } else {
        for (uint32_t i = 0; i < cs->n; i++)
            if (!cs->v[i].taken && (!best || try_cand_before(&cs->v[i], best)))
                best = &cs->v[i];
    }
    if (best)
        best->taken = true;
    return best;
}

static void try_cands_free(struct try_cands *cs)
{
    if (cs->v && cs->v != cs->local)
        free(cs->v);
    cs->v = NULL;
    cs->n = cs->cap = 0;
}

/* rc, a record of a request's window, may be one of its tries, whatever the step of the walk
 * (why_join_request): no test here depends on what the walk took, when the last try ended,
 * which server refused or the one path a next try may take (those are asked at each step).
 * fin: the final attempts' match, when it was made. */
static bool try_possible(const struct why_join_ctx *cx, const struct why_txn *client, const struct why_join *x,
                         struct why_ts from, struct why_ts to, const struct finals *fin, struct why_conn_rec *rc)
{
    if (rc->claimed || rc == client->rc || !is_upstream_conn(cx, rc))
        return false;
    const struct why_conn *c = why_rec_conn(rc);
    /* a gateway cannot connect for a request it has not received: packet times are
     * exact to microseconds even when -i any hands packets out of order (asked first:
     * the walk reads the records of its slack before the window; slot_syn_out asks the
     * same of a slot) */
    if (!syn_fits(c->syn_ts0, &(struct syn_span){from, to}))
        return false;
    /* a request the match left without a final attempt: not another's chain, not an
     * attempt begun after the answer (Apache's check of the next second) */
    if (fin && (in_other_chain(fin, rc) || why_ts_cmp(c->syn_ts0, client->resp_first_ts) > 0))
        return false;
    /* ...nor a check made in one round with the gateway's checks of another server
     * (why_join_check_round), which the match left out as no final try (final_gap):
     * the walk would offer it as a try of the request's own (races/run26: Apache's
     * check of 198.19.0.12, 0.13 ms before its check of 198.19.0.27, 2.6 ms after
     * `maint`'s request and 97 ms before the gateway's own 503). Not every check
     * on a schedule: a request's own try to a server its checks go to can fit
     * theirs (Varnish's fetches and probes of 198.19.0.12). */
    if (fin && client->has_resp && attempt_failed(rc) &&
        why_ts_diff_us(why_join_attempt_end(rc), client->resp_first_ts) > WHY_FAILOVER_US &&
        why_join_check_round(cx, rc))
        return false;
    if (c->midstream || c->syn_count == 0)
        return false;
    /* An opaque HTTPS connection that carried data both ways without a TLS fault
     * served a request that worked: not the one of a request the gateway failed. */
    if (client->has_resp && client->status >= 500 && rc->app == WHY_APP_TLS &&
        !why_rec_http(rc) && tls_healthy(rc))
        return false;
    /* A failed attempt still retrying after the gateway answered the client is not
     * why it answered: it belongs to another request. */
    if (attempt_failed(rc) && client->has_resp &&
        why_ts_diff_us(client->resp_first_ts, why_join_attempt_end(rc)) > WHY_SKEW_US)
        return false;
    /* ...nor is one the gateway had neither heard back from nor waited on */
    if (client->has_resp && unheard_at_answer(rc, client->resp_first_ts))
        return false;
    if (x->up && rc != x->up_conn && !attempt_failed(rc))
        return false; /* a working connection that did not carry our request */
    if (x->up_conn && rc != x->up_conn && why_ts_cmp(c->syn_ts0, why_rec_conn(x->up_conn)->syn_ts0) > 0)
        return false; /* after the connection that carried it */
    /* SYNs that got nothing back, begun less than any connect timeout before the
     * connection that carried the request: the gateway had not given up on them when it
     * made that one, so they were another request's, made beside it (races/run13:
     * HAProxy's garbage took drop's SYN sent 0.1 ms before its own) */
    if (x->up_conn && rc != x->up_conn && attempt_failed(rc) && !c->half[WHY_S2C].end->rst_frame &&
        !c->more->icmp_frame && c->srv_addr.family == why_rec_conn(x->up_conn)->srv_addr.family &&
        why_ts_diff_us(c->syn_ts0, why_rec_conn(x->up_conn)->syn_ts0) < WHY_UNHEARD_US)
        return false;
    /* Last, the tests of a schedule (the dearest): one sent before the request reached it
     * (within the reordering above) is the request's only if nothing else can have made
     * it: not a check on its schedule (live run of 3 December, loaded: Varnish's probe of
     * 198.19.0.17 left 29 us before hc's request, refused 5 us after it; hc, its backend
     * sick, was answered 2.9 ms later without a dial, and took the probe) */
    if (why_ts_cmp(c->syn_ts0, from) < 0 && attempt_failed(rc) && fits_checks(cx, rc))
        return false;
    /* A failed attempt on a check's schedule before the connection that carried the
     * request, which the gateway did not move on from at once, is the check: a chain
     * of the request's own tries has no check in it (chain_prev), and a balancer
     * moves on after a refusal in the same turn (races/run10: Varnish's probe of
     * 198.19.0.17, refused 65 ms before origin500's connection to 198.19.0.27, was
     * taken as origin500's first attempt, and made 198.19.0.17 an address requests
     * go to) */
    if (x->up && rc != x->up_conn && attempt_failed(rc) && !why_join_moved_on(cx, rc, WHY_CAUSAL_US, false) &&
        why_join_scheduled(cx, rc))
        return false;
    return true;
}

#define WHY_TRY_POOL_STACK 128

/* The records try_possible kept of a request's window, in the walk's order, each with its
 * first SYN's time: read once for every step of the walk, where each step read the window
 * again (an rst request's three tries, three times). A few on the stack, more on the heap. */
struct try_pool {
    struct try_rec {
        struct why_conn_rec *rc;
        struct why_ts syn;
    } local[WHY_TRY_POOL_STACK], *v;
    uint32_t n, cap;
    bool unordered; /* a try's SYN came after the one added before it (the walk is newest
                       first: records by creation, the SYNs' order unless the clock went back) */
};

static void try_pool_add(struct why_store *st, struct try_pool *p, struct why_conn_rec *rc)
{
    struct try_rec *v = room_for_one(st, p->v, p->local, WHY_TRY_POOL_STACK, &p->cap, p->n, sizeof *v);
    if (!v)
        return; /* the record is lost, as a record would be */
    p->v = v;
    p->v[p->n] = (struct try_rec){rc, why_rec_conn(rc)->syn_ts0};
    if (p->n && why_ts_cmp(p->v[p->n].syn, p->v[p->n - 1].syn) > 0)
        p->unordered = true;
    p->n++;
}

/* Of a pool in order (newest SYN first), the first try whose SYN is before t: every one
 * before it began at t or later, none from it on did. */
static uint32_t pool_before(const struct try_pool *p, struct why_ts t)
{
    uint32_t lo = 0, hi = p->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (why_ts_cmp(p->v[mid].syn, t) < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

void why_join_scratch_free(struct why_join_scratch *s)
{
    free(s->pool);
    free(s->cands);
    free(s->fin);
    *s = (struct why_join_scratch){0};
}

/* The scratch's room, if any and not lent, as the pool's and the candidates' to start with
 * (room_for_one grows them as before); NULL when the walk allocates its own. */
static struct why_join_scratch *scratch_lend(const struct why_join_ctx *cx, struct try_pool *pool,
                                             struct try_cands *cands)
{
    struct why_join_scratch *s = cx->scratch;
    if (!s || s->busy)
        return NULL;
    s->busy = true;
    if (s->pool) {
        pool->v = s->pool;
        pool->cap = s->pool_cap;
    }
    if (s->cands) {
        cands->v = s->cands;
        cands->cap = s->cands_cap;
    }
    s->pool = s->cands = NULL;
    return s;
}

static void try_pool_free(struct try_pool *p)
{
    if (p->v && p->v != p->local)
        free(p->v);
    p->v = NULL;
    p->n = p->cap = 0;
}

#define WHY_DIAL_TESTS 16 /* tries a walk asks dial_of_other of (cap) */

/* rc, a try of the pool, is another waiting request's dial: from one that came for it
 * (waiting_for_dial) on, more such requests came by rc than the pool holds tries of rc's path
 * begun before it, so one of them had rc (the balance shape, Caddy: each request for
 * drop.bench looked up and dialled once, 10-40 ms after its lookup's answer, 30-85 ms after it
 * came, answered 502 at its dial timeout 1 s after the lookup; with two or three waiting at
 * once, a request's walk took its own dial, then the next request's as its retry). The tries
 * client took already are not theirs. */
static bool dial_of_other(const struct why_join_ctx *cx, const struct why_txn *client, const struct why_join *x,
                          const struct try_pool *pool, const struct why_conn_rec *rc)
{
    const struct why_conn *c = why_rec_conn(rc);
    struct dial_memo m = {.budget = WHY_DIAL_READ};
    for (const struct why_txn *w = waiting_for_dial(cx, client, rc, NULL, &m); w;
         w = waiting_for_dial(cx, client, rc, w, &m)) {
        uint32_t tries = 0, came = 0;
        /* in order, the tries counted lie between two searches, not the whole pool for each:
         * begun before rc's SYN, and not before w came less WHY_CAUSAL_US (and 1 us more, for
         * the microseconds why_ts_diff_us truncates; the test below decides) */
        uint32_t lo = pool->unordered ? 0 : pool_before(pool, c->syn_ts0);
        uint32_t hi = pool->unordered ? pool->n
                                      : pool_before(pool, why_ts_add_us(w->req_first_ts, -(WHY_CAUSAL_US + 1)));
        for (uint32_t k = lo; k < hi; k++) {
            const struct try_rec *r = &pool->v[k];
            tries += why_ts_cmp(r->syn, c->syn_ts0) < 0 && why_ts_diff_us(w->req_first_ts, r->syn) >= -WHY_CAUSAL_US &&
                     r->rc != rc && !taken(x, r->rc) && why_join_same_path(why_rec_conn(r->rc), c);
        }
        for (const struct why_txn *o = w; o && came <= tries; o = waiting_for_dial(cx, client, rc, o, &m))
            came++;
        if (came > tries || m.over)
            return true;
    }
    return m.over;
}

void why_join_request(const struct why_join_ctx *cx, struct why_txn *client, struct why_join *x)
{
    memset(x, 0, sizeof *x);
    x->client = client;
    x->end_ts = client_end(cx, client, &x->end_frame);
    why_join_repeats(cx, x);
    if (why_join_direct(cx, client)) {
        /* no gateway in between: the request's own connection is the "upstream" */
        x->up = client;
        x->up_conn = client->rc;
        x->attempts[x->nattempts++] = client->rc;
        x->upstream_visible = true;
        x->direct = true;
        /* the requester is the capture host and it serves a TLS connection open at the time
         * (by any of its addresses): a gateway whose client leg is opaque (no keys), not a
         * client on its own */
        const struct why_conn *me = why_rec_conn(client->rc);
        if (why_gw_is_local(cx->gw, &me->cli_addr)) {
            size_t ntls; /* the TLS records, or every record when that index is not kept */
            struct why_conn_rec *const *v = why_store_tls_recs(cx->st, &ntls);
            for (size_t i = 0; v && i < ntls && !x->opaque_gateway; i++)
                x->opaque_gateway = local_tls_server_at(cx, v[i], client->req_first_ts);
            for (struct why_conn_rec *rc = v ? NULL : cx->st->rhead; rc && !x->opaque_gateway; rc = rc->rnext)
                x->opaque_gateway = local_tls_server_at(cx, rc, client->req_first_ts);
        }
        /* one such connection spans the request: it carried the client's request (said
         * with its ALPN and timing) */
        struct why_conn_rec *one;
        if (x->opaque_gateway && why_join_opaque_client(cx, client, &one, 2) == 1)
            x->client_conn = one;
        return;
    }
    struct why_url u;
    why_url_parse(client->method, client->target, client->target_len, client->host, &u);
    struct why_ts from = client->req_first_ts, to = x->end_ts;

    if (cx->visible && *cx->visible >= 0) {
        x->upstream_visible = *cx->visible;
    } else {
        for (struct why_conn_rec *rc = cx->st->rhead; rc && !x->upstream_visible; rc = rc->rnext)
            x->upstream_visible = is_upstream_conn(cx, rc);
        for (struct why_dns_rec *d = cx->st->dhead; d && !x->upstream_visible; d = d->next)
            x->upstream_visible = why_gw_is_gateway(cx->gw, &d->cli);
        if (cx->visible)
            *cx->visible = x->upstream_visible;
    }

    join_dns(cx, &u, from, to, client->has_resp && client->status >= 500, x);

    /* The upstream request: from the index (same method and path), else any request whose
     * path ends like the client's (a reverse proxy's prefix). */
    struct why_txn *best = cx->exhaustive ? NULL : why_join_upstream_indexed(cx, client);
    int best_score = 0;
    if (!best && !cx->exhaustive && why_store_cands_ordered(cx->st)) {
        /* Requests on upstream candidates sent in the window only: by the index of the path's
         * last segment, those begun in it (upstream_score's, a microsecond wider each side),
         * unless the client's path has no '/' to say its last segment; else the candidates
         * newest first, down to the window (a head ends after it begins): held client
         * connections' requests are not looked at. Only those the walk of the candidates
         * meets are taken, ties broken as the scan below meets them. */
        struct why_ts oldest_req = why_ts_add_us(from, -(WHY_SKEW_US + WHY_ORDER_SLACK_US));
        size_t plen = strlen(u.path);
        if (plen < 2 || memchr(u.path, '/', plen)) {
            uint64_t ekey = why_request_ending_key(client->method, u.path, plen);
            struct why_twalk w;
            for (struct why_txn *t = why_twalk_start(&w, why_store_requests_ending(cx->st, ekey), WHY_TIX_ENDING,
                                                     why_ts_add_us(from, -(WHY_SKEW_US + 1)),
                                                     why_ts_add_us(to, WHY_SKEW_US + 1));
                 t; t = why_twalk_next(&w)) {
                if (t->xkey != ekey || !t->cand)
                    continue;
                int score = upstream_score(cx, client, &u, from, to, t);
                if (score > 0 && cands_walk_meets(t, oldest_req))
                    best = pick_indexed(best, &best_score, t, score);
            }
        } else {
            for (struct why_txn *t = cx->st->cand_tail; t && why_ts_cmp(t->req_ts, oldest_req) >= 0; t = t->tprev)
                best = pick_indexed(best, &best_score, t, upstream_score(cx, client, &u, from, to, t));
        }
    } else {
        for (struct why_conn_rec *rc = best ? NULL : cx->st->rhead; rc; rc = rc->rnext)
            for (struct why_txn *t = rc->txn_head; t; t = t->next)
                best = pick_better(best, &best_score, t, upstream_score(cx, client, &u, from, to, t));
    }
    if (best) {
        x->up = best;
        x->up_conn = best->rc;
        lookups_before_sent(x);
    }
    /* A gateway's own 5xx, no upstream request, a server nothing names: the chain of the
     * final attempt matched over every such request (above); without one, the walk below,
     * which leaves the other requests' chains alone. */
    struct finals fin;
    bool matched = !x->up && final_matched(cx, client);
    if (matched) {
        if (!finals_kept(cx, client, &fin)) {
            match_finals(cx, client, &fin);
            finals_keep(cx, client, &fin);
        }
        if (cx->forced)
            fin.own = cx->force_final;
        if (fin.own)
            take_chain(cx, fin.own, x);
        x->nalt = fin.other.nalt;
        x->swap_for = fin.other.swap_for;
        x->swap_for_file = fin.other.swap_for_file;
        x->nalso = fin.other.nalso;
        memcpy(x->also, fin.other.also, sizeof fin.other.also);
        memcpy(x->also_for, fin.other.also_for, sizeof fin.other.also_for);
        memcpy(x->also_for_file, fin.other.also_file, sizeof fin.other.also_file);
        memcpy(x->alt_final, fin.other.alt, sizeof fin.other.alt);
        memcpy(x->alt_with_frame, fin.other.alt_with, sizeof fin.other.alt_with);
        for (uint32_t i = 0; i < x->nalt; i++)
            x->alt_basis[i] = WHY_ALT_SWAPPED_PAIRING;
    }

    /* Connection attempts, one after another: each starts after the previous one ended.
     * An address that refused (RST, ICMP) is not tried again by the same request: a second
     * attempt there belongs to another request (gateways move on to the next address). */
    struct why_ts after = why_ts_add_us(from, -WHY_SKEW_US);
    const struct why_conn *refused = NULL;
    /* Candidates opened in the window: records are in creation order, which is the order of
     * their first packet (a SYN) unless the capture's clock went back; then, and with
     * --exhaustive, every record is looked at. Walked newest first, down to the window. */
    bool windowed = !cx->exhaustive && !cx->st->conns_unordered;
    struct why_ts oldest = why_ts_add_us(from, -(WHY_SKEW_US + why_store_rec_back_us(cx->st)));
    /* With the connection that carried the request known, no record whose SYN came after that
     * connection's is one of the request's attempts (the walk's test below): the walk starts
     * there, not at the window's end. A request that waited a minute for an answer reads the
     * tries before its connection, not every connection the gateway opened while it waited
     * (a reverse proxy without upstream keep-alive opens one per request). */
    struct why_ts latest = to;
    if (x->up_conn && why_ts_cmp(why_rec_conn(x->up_conn)->syn_ts0, latest) < 0)
        latest = why_rec_conn(x->up_conn)->syn_ts0;
    size_t top = windowed ? window_top(cx, why_ts_add_us(latest, WHY_SKEW_US)) : 0;
    /* no connection known to have carried it (none gets known in the walk before it ends):
     * the walk reads the records that could be a try (try_walk); the sort extends the
     * upstream places first, so they are taken after it */
    size_t nts = 0, front = 0, nus = 0;
    const uint32_t *ts = windowed && !x->up_conn ? why_store_try_slots(cx->st, cx->gw, &nts, &front) : NULL;
    const uint32_t *us = windowed ? why_store_upstream_slots(cx->st, cx->gw, &nus) : NULL;
    if (!us)
        ts = NULL;
    if (us)
        top = upstream_top(us, nus, top);
    size_t ts_top = 0; /* where the sorted places start for a walk from top */
    if (ts) {
        if (front > top)
            front = top;
        ts_top = upstream_top(ts, nts, front < nus ? us[front] : cx->st->nslots);
    }
    /* an answer that says no server was dialled (Varnish's own, Caddy's 503) has no attempt */
    bool nowhere = !cx->exhaustive && !x->up_conn && x->ndns > 0 && !u.host_is_ip &&
                   name_leads_nowhere(cx, x, u.host);
    const struct why_conn *one_path = NULL; /* the only path a next try may take */
    bool one_dial = !x->up && varnish_page(client); /* Varnish's fetch: no next server */
    struct timer_memo tmemo;
    tmemo.used = 0;
    bool timed = !nowhere && !matched && !x->up && !cx->forced && x->ndns > 0 && !u.host_is_ip &&
                 !varnish_page(client) && timer_chain(cx, client, &u, x);
    struct try_cands cands = {.windowed = windowed};
    struct try_pool pool = {0};
    struct why_join_scratch *lent = scratch_lend(cx, &pool, &cands);
    bool pooled = false;
    bool sni_named = false; /* a candidate's SNI names the request's host */
    uint32_t dial_tests = 0; /* dial_of_other asked */
    for (bool chained = timed || nowhere || (matched && (fin.own || cx->forced)) || (!x->up && why_join_no_dial(client));
         !chained;) {
        cands.n = cands.takes = cands.end = 0;
        cands.sorted = cands.unordered = cands.any_retry = false;
        if (!pooled) { /* the window, once: what no step rules out */
            size_t slot = top;
            struct syn_span sw = {from, to};
            struct try_walk tw = {us, ts, top, front, ts_top, &sw};
            for (struct why_conn_rec *rc = ts        ? try_prev(cx, &tw, oldest)
                                           : windowed ? window_prev(cx, us, &slot, oldest, cx->st->rtail, &sw)
                                                      : cx->st->rhead;
                 rc; rc = ts ? try_prev(cx, &tw, oldest) : windowed ? window_prev(cx, us, &slot, oldest, rc->rprev, &sw) : rc->rnext)
                if (try_possible(cx, client, x, from, to, matched ? &fin : NULL, rc))
                    try_pool_add(cx->st, &pool, rc);
            pooled = true;
            /* room for every try of the pool as a candidate at once (one allocation a walk at
             * most, not one a doubling; each step's candidates in it) */
            if (pool.n > WHY_TRY_CANDS_STACK && (!cands.v || cands.cap < pool.n)) {
                struct try_cand *v = malloc(pool.n * sizeof *v);
                if (v) {
                    if (cands.v != cands.local)
                        free(cands.v);
                    cands.v = v;
                    cands.cap = pool.n;
                }
            }
            for (uint32_t k = 0; k < pool.n && u.host[0] && !u.host_is_ip && !sni_named; k++)
                sni_named = pool.v[k].rc->app == WHY_APP_TLS && strcmp(pool.v[k].rc->tls->sni, u.host) == 0;
        }
        for (uint32_t k = 0; k < pool.n; k++) {
            /* a gateway cannot connect for a request it has not received (try_possible), nor
             * try again before its last try ended */
            if (why_ts_diff_us(after, pool.v[k].syn) < -WHY_SKEW_US || taken(x, pool.v[k].rc))
                continue;
            struct why_conn_rec *rc = pool.v[k].rc;
            const struct why_conn *c = why_rec_conn(rc);
            if (refused && why_addr_eq(&c->srv_addr, &refused->srv_addr) && c->srv_port == refused->srv_port &&
                !why_join_retry_after_refusal(cx, refused, rc))
                continue;
            if (one_path && !why_join_same_path(c, one_path))
                continue;
            /* Where the request had to go, when that is known: the literal address, or what
             * the gateway's DNS answered for the host. A name that did not resolve leads
             * nowhere, so no attempt belongs to it. Otherwise (reverse proxy with fixed
             * upstreams, cached names, a parent proxy) any attempt in the window may. */
            int score = 1;
            if (rc == x->up_conn)
                score = 5;
            else if (u.host_is_ip && direct_addr_known(cx, client))
                score = why_addr_eq(&u.ip, &c->srv_addr) ? 4 : -1;
            else if (x->ndns > 0 && !u.host_is_ip)
                score = addr_in_dns(x, &c->srv_addr) || addr_cached_for(cx, &c->srv_addr, u.host, c->syn_ts0) ? 4 : -1;
            else if (rc->app == WHY_APP_TLS && rc->tls->sni[0] && u.host[0] && !u.host_is_ip)
                /* an HTTPS upstream connection names its host in the SNI */
                score = strcmp(rc->tls->sni, u.host) == 0 ? 4 : -1;
            else if (direct_addr_known(cx, client) && !u.host_is_ip && u.host[0] &&
                     addr_for_other_name(cx, &c->srv_addr, u.host))
                /* a forward proxy connects where the name resolves, so an address the
                 * capture shows resolved for another name only is not this request's */
                score = -1;
            else if (c->srv_port == u.port)
                score = 2;
            if (score > 0 && score < 4 && sni_named && !c->half[WHY_C2S].first_data_frame &&
                !c->half[WHY_S2C].first_data_frame)
                /* the gateway went to this request's host over TLS (the SNI names it): a
                 * connection that sent no byte, not even a ClientHello, was not its (the TLS
                 * lab, 6 December: Caddy connected to ok12.tls's server 64 us after `alert`
                 * came, for ok12's requests under way, sent nothing and closed it 11 ms later,
                 * 0.2 ms before alert's 502; alert's ClientHello went to 198.19.3.12 1 ms after
                 * the request, and its handshake_failure was read as nobody's) */
                score = -1;
            if (score > 0 && score < 4 && check_while_unresolved(cx, client, rc))
                score = -1; /* a check while the request's name had no address */
            if (score > 0 && score < 4 && !direct_addr_known(cx, client) &&
                reserved_for_other(cx, x, client, rc))
                score = -1; /* (forward proxies: addr_for_other_name above says it) */
            if (score > 0 && score < 4 && !direct_addr_known(cx, client) && in_others_timer_chain(cx, client, rc, &tmemo))
                score = -1;
            if (score < 0)
                continue;
            if (!attempt_failed(rc) && why_rec_http(rc) && rc != x->up_conn)
                continue; /* carried other requests */
            /* (...nor one whose request went on to another connection: below) */
            /* the gateway's retry of the server that refused goes before another server's
             * attempt in between (HAProxy retries the same server; nothing else tells); then
             * the earliest SYN, then the higher score, then the older record (try_cand_before) */
            bool retry = refused && why_addr_eq(&c->srv_addr, &refused->srv_addr) &&
                         c->srv_port == refused->srv_port;
            try_cands_add(cx->st, &cands, rc, pool.v[k].syn, score, retry);
        }
        /* The best of them that none of the tests below rules out, the tests asked best first:
         * each walks (the connection the gateway moved on to, another request's chain, the
         * queue), and the request's own try is among the first in that order, while a walk
         * newest first found each older candidate the better and asked the last two of nearly
         * every one (a refusing server's hundreds a second). Each test rules a record out
         * whatever the others say and keeps nothing, so the pick is the same. The tests before
         * in_others_timer_chain stay in the walk: its memo holds the first WHY_TIMER_MEMO
         * requests it meets, so which records reach it must not change. */
        struct why_conn_rec *pick = NULL;
        bool after_silent = x->nattempts && silent_try(x->attempts[x->nattempts - 1]);
        for (const struct try_cand *b;
             !pick && !(after_silent && dial_tests == WHY_DIAL_TESTS && !x->up_conn) && (b = try_cands_take(&cands));) {
            if (b->score < 4 && !direct_addr_known(cx, client) && attempt_failed(b->rc) &&
                failover_of_other(cx, x->up_conn, client, b->rc))
                continue; /* ...and so did the connection the gateway moved on to (when
                             nothing says where this request had to go: a reverse
                             proxy's fixed servers) */
            /* ...nor is one nothing names for it whose chain went on after the answer (a
             * forward proxy's requests name their servers, in their URLs, so another of them
             * could not own the chain as one nothing names) */
            if (b->score < 4 && attempt_failed(b->rc) && client->has_resp && !direct_addr_known(cx, client) &&
                chain_ends_at_other(cx, client, b->rc))
                continue;
            /* ...nor a refused try whose answer went to another request at once, where a
             * later try fits client's own answer so */
            if (answered_for_other(cx, client, x, b->rc))
                continue;
            /* ...nor, after a try that drew nothing, another waiting request's own dial (past
             * WHY_DIAL_TESTS of them, any: a walk among a storm's dials reads no more, and
             * takes none but the connection that carried the request; the loop ends there
             * when there is none) */
            if (after_silent && b->rc != x->up_conn &&
                (dial_tests == WHY_DIAL_TESTS || (dial_tests++, dial_of_other(cx, client, x, &pool, b->rc))))
                continue;
            pick = b->rc;
        }
        if (!pick || x->nattempts >= WHY_JOIN_MAX)
            break;
        x->attempts[x->nattempts++] = pick;
        if (pick == x->up_conn || !attempt_failed(pick)) {
            if (!x->up_conn)
                x->up_conn = pick;
            break;
        }
        if (one_dial)
            one_path = why_rec_conn(pick);
        after = why_join_attempt_end(pick);
        const struct why_conn *pc = why_rec_conn(pick);
        if (pc->half[WHY_S2C].end->rst_frame || pc->more->icmp_frame)
            refused = pc;
    }
    if (lent) { /* the room back, as large as it grew */
        if (pool.v && pool.v != pool.local) {
            lent->pool = pool.v;
            lent->pool_cap = pool.cap;
            pool.v = NULL;
        }
        if (cands.v && cands.v != cands.local) {
            lent->cands = cands.v;
            lent->cands_cap = cands.cap;
            cands.v = NULL;
        }
        lent->busy = false;
    }
    try_cands_free(&cands);
    try_pool_free(&pool);
    /* The tries before the connection that carried the request are the chain that ends there:
     * each next one began when the one before it ended, and the first that did not is where
     * the request's tries begin (tries_linked; races/run14) */
    if (x->up && x->nattempts > 1 && x->attempts[x->nattempts - 1] == x->up_conn) {
        uint32_t first = x->nattempts - 1;
        bool varnish = varnish_page(client);
        while (first > 0 && tries_linked(x->attempts[first - 1], x->attempts[first]) &&
               (!varnish || why_join_same_path(why_rec_conn(x->attempts[first - 1]), why_rec_conn(x->attempts[first]))))
            first--;
        if (first > 0) {
            memmove(x->attempts, x->attempts + first, (x->nattempts - first) * sizeof x->attempts[0]);
            x->nattempts -= first;
        }
    }
    /* An HTTPS upstream leg is opaque without keys. A TLS connection of the gateway's on
     * which the origin asked for renegotiation while this request waited is what carried it
     * (the WAF/IIS stall): the one with the request's host as SNI first, never one whose SNI
     * names another host. */
    if (!x->up && !(x->up_conn && x->up_conn->app == WHY_APP_TLS && x->up_conn->tls->reneg_frame &&
                    !x->up_conn->tls->reneg_renegotiated)) {
        struct why_conn_rec *tls = NULL;
        /* the records that saw a renegotiation request (few), the older first on ties */
        for (struct why_conn_rec *rc = cx->st->list_head[WHY_LIST_RENEG]; rc; rc = rc->more->lnext[WHY_LIST_RENEG]) {
            if (rc->app != WHY_APP_TLS || !rc->tls->reneg_frame || rc->tls->reneg_renegotiated || rc->claimed || taken(x, rc) ||
                !is_upstream_conn(cx, rc) ||
                !in_window(rc->tls->reneg_ts, from, to))
                continue;
            bool match = strcmp(rc->tls->sni, u.host) == 0;
            /* an SNI that names another host is another request's connection */
            if (!match && rc->tls->sni[0] && u.host[0] && !u.host_is_ip)
                continue;
            bool tls_match = tls && strcmp(tls->tls->sni, u.host) == 0;
            if (!tls || (match && !tls_match) ||
                (match == tls_match && why_rec_conn(rc)->id < why_rec_conn(tls)->id))
                tls = rc;
        }
        if (tls)
            x->up_conn = tls;
    }
    if (!x->up_conn && x->nattempts)
        x->up_conn = x->attempts[x->nattempts - 1];
    if (!x->up && !x->nattempts && !x->ndns)
        x->goaway_conn = goaway_before(cx, client, &u, from, to);
    if (!x->up && !x->nattempts && x->ndns)
        x->resolved_unused = resolved_unused(cx, x, from, to);
    why_join_background(cx, x);
    if (cx->forced && !cx->force_final && cx->force_none_near) {
        x->attempt_near = NULL; /* the reading in which no attempt of the gateway's was near */
        x->nnear = 0;
    }
    /* the final attempt a request decided before took, which this one has in that request's
     * cheapest other pairing: the same reading, seen from this side */
    if (matched && !cx->forced)
        swapped_with_decided(cx, client, x);
    /* (a name whose lookups failed leads nowhere: no attempt was its) */
    if (matched && !x->nattempts && !x->nalt && !x->nbgdns && !cx->forced)
        tried_by_other(cx, client, x);
    /* An attempt taken while every lookup of the request's host before it failed, to an
     * address no lookup of the host ever gave: the request's if its server is another of the
     * backend's, set by address; none, if its server is named as the host (HAProxy's
     * resolvers put a server whose name does not resolve in maintenance). The checks of such
     * an address are ruled out (check_while_unresolved); for another attempt, the reading
     * with no attempt is kept (races/run13 and run15 `refused`: a refusal of [fd00:19::12],
     * another request's, 6 ms before HAProxy's 503). */
    if (!x->up && x->nattempts && x->nalt < WHY_JOIN_ALTS && !cx->forced && !direct_addr_known(cx, client)) {
        const struct why_conn *fc = why_rec_conn(x->attempts[x->nattempts - 1]);
        /* (the gateway's lookups from any of its addresses: an IPv6 attempt's own is not the
         * one its resolvers ask from) */
        struct why_host_lookups l = why_join_host_lookups(cx, client, NULL, &fc->srv_addr, fc->syn_ts0);
        /* (or the capture's first lookups of host came after the attempt, and none of them
         * ever resolved it: a live run of 2 December, HAProxy's `noanswer` taking another
         * request's ICMP in the same turn, its resolvers' first query 0.4 s later) */
        if (!l.gave_addr && ((l.before > 0 && !l.resolved) || (l.before == 0 && l.all > 0 && !l.resolved_ever)))
            alt_add(x, WHY_JOIN_ALTS, NULL, WHY_ALT_NAME_UNRESOLVED, 0);
    }
    /* A gateway's 5xx at once after the request and after its one attempt, to a server
     * nothing names, that fits the gateway's own checks of that server: the attempt may have
     * been a check, and the answer the gateway's own (races/run9: HAProxy answered maint's
     * rewrite 87 us after a refusal of 198.19.0.12 begun 0.24 ms after the request, whose
     * checks every 0.5 s drifted on a loaded machine among rst's and two's retries; the
     * refusal was not maint's). Not after a wait: a gateway that answers on its own answers
     * at once, and a request that waited had tries of its own (HAProxy's retries of a server
     * it also checks, read as checks, leave the last) */
    if (matched && x->nattempts == 1 && !cx->forced && client->has_resp &&
        why_ts_diff_us(client->req_first_ts, client->resp_first_ts) <= WHY_FIRST_DIAL_US &&
        why_join_path_busy(cx, x->attempts[0]))
        /* on a path busy with requests' tries, an answer that came as soon as one the gateway
         * makes on its own may have had no attempt, the one taken being any of theirs (the
         * retry bench: nx.bench's 503s, which HAProxy answered without a try in 0.03-22 ms,
         * took a refusal of the shop backend's server 3 and 16 ms after the request, one of
         * its hundred tries a second); the schedule fits any attempt there */
        alt_add(x, WHY_JOIN_ALTS, NULL, WHY_ALT_BUSY_PATH, 0);
    else if (matched && x->nattempts == 1 && !cx->forced && own_answer_at_once(client, x->attempts[0]) &&
             fits_checks(cx, x->attempts[0]))
        alt_add(x, WHY_JOIN_ALTS, NULL, WHY_ALT_CHECK_SCHEDULE, 0);
    /* Varnish's fetch in another pairing with no attempt: the attempts near it in that
     * reading are readings too (a refusal that held its backend down, as below) */
    if (x->nattempts && !cx->forced && why_join_varnish_fetch_failed(client))
        for (uint32_t i = 0, n = x->nalt; i < n; i++) {
            if (x->alt_final[i] || x->alt_basis[i] != WHY_ALT_SWAPPED_PAIRING)
                continue;
            struct why_join none;
            why_join_alternative(cx, x, i, &none);
            for (uint32_t k = 0; k < none.nnear; k++)
                if (none.near[k] != x->attempts[x->nattempts - 1])
                    alt_add(x, WHY_JOIN_ALTS, none.near[k], WHY_ALT_ATTEMPT_NEAR, none.near[k]->more->tried_for);
        }
    /* Varnish's fetch with no attempt, an attempt of the gateway's near (background.c): the
     * request's own, taken by another, or a refusal that held its backend down; or its backend
     * was sick (its probes). One reading each: that attempt, and none near. */
    if (!x->up && !x->nattempts && x->nnear && !cx->forced && why_join_varnish_fetch_failed(client)) {
        for (uint32_t k = 0; k < x->nnear; k++) /* (a place left for the reading without) */
            alt_add(x, WHY_JOIN_ALTS - 1, x->near[k], WHY_ALT_ATTEMPT_NEAR, x->near[k]->more->tried_for);
        alt_add(x, WHY_JOIN_ALTS, NULL, WHY_ALT_NO_ATTEMPT_NEAR, 0);
    }
    /* No attempt, no failed lookup of the host, and the gateway's own lookups of another name
     * failing: a reverse proxy's server may be named otherwise than the Host the client asked
     * for (the retry bench: HAProxy's backend b_nx, its server nosuch.bench, requests for
     * nx.bench, answered 503 without a try while its checks of another backend's server were
     * failing too). The reading with those lookups as the cause. */
    if (!x->up && !x->nattempts && x->bg_other && !cx->forced) {
        /* ...and with the gateway's own checks failing too, neither is the cause said first:
         * HAProxy answers both "no server available", and nothing in the packets ties the
         * checked server or the name to the request (the retry bench: b_nx's 503s were told
         * as b_hc's failing checks; the lab's HAProxy hc, down by its checks, fits the failing
         * lookups of servfail.lab as well) */
        if (x->nchecks)
            alt_add(x, WHY_JOIN_ALTS, NULL, WHY_ALT_CHECKS_FAILING, 0);
        alt_add(x, WHY_JOIN_ALTS, NULL, WHY_ALT_OTHER_NAME_UNRESOLVED, 0);
    }
}

void why_join_alternative(const struct why_join_ctx *cx, const struct why_join *x, uint32_t i, struct why_join *alt)
{
    struct why_join_ctx forced = *cx;
    forced.forced = true;
    forced.force_final = x->alt_final[i];
    /* another pairing that leaves the request none keeps the attempts near it: Varnish's
     * backend held down by a refusal just before is that reading's cause (a live run of 2
     * December: `rst`, answered 60 us before `unreach`, both after unreach's ICMP, 25 ms after
     * `two`'s refusal of rst's server) */
    forced.force_none_near = x->alt_basis[i] == WHY_ALT_NO_ATTEMPT_NEAR;
    forced.force_bg = x->alt_basis[i] == WHY_ALT_OTHER_NAME_UNRESOLVED ? x->bg_other : NULL;
    forced.force_checks = x->alt_basis[i] == WHY_ALT_CHECKS_FAILING;
    why_join_request(&forced, x->client, alt);
    alt->reading = true;
}
