/* What a gateway does on its own schedule, for no request: health checks of its servers and
 * periodic DNS lookups of their names (HAProxy's resolvers section, Caddy's dynamic upstreams).
 * A 5xx the gateway answered with no upstream attempt of its own is explained by them when
 * they were failing then; and they are no incident of their own.
 *
 * why_join_background() reads the store only (like the request join): the records it lists are
 * not claimed, since one failing check explains every request of that time. It also counts the
 * servers whose last scheduled check passed, and finds an attempt near the request (begun while
 * it waited, or refused just before it: Varnish's holddown), so that an answer which does not
 * say no server was up (Varnish's "Backend fetch failed") is tied to the checks only when every
 * checked server was failing and nothing else could have kept the request from its server. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "correlate/join.h"
#include "util/url.h"

#define WHY_BG_ROUND_US (1LL * 1000000) /* lookups of one round (A and AAAA) this close */
#define WHY_BG_WINDOW_US (30LL * 1000000) /* background activity this long before a request
                                             may explain it (HAProxy's default hold times) */
#define WHY_BG_PERIODIC_MIN 5             /* lookups / attempts that make a schedule: more
                                             than a request's own retries (HAProxy retries 3
                                             makes 4 attempts, ~1 s apart) */
#define WHY_BG_LOOKUPS_MIN 3              /* lookups of one name that make a schedule (a
                                             request's own lookups are claimed by it first) */
#define WHY_BG_PERIOD_MIN_US 250000       /* shorter spacing is a retry, not a schedule */


/* The gateway's own connection to a server failed: refused, ICMP, unanswered SYNs, or the
 * server answered its own request (a check) with no 2xx/3xx. */

static bool check_failed(const struct why_conn_rec *rc)
{
    const struct why_conn *c = why_rec_conn(rc);
    if (!c->established)
        return c->half[WHY_S2C].end->rst_frame || c->more->icmp_frame || c->syn_count >= 2;
    for (const struct why_txn *t = rc->txn_head; t; t = t->next)
        if (!t->claimed_by && !t->is_client_leg && t->has_resp && (t->status < 200 || t->status >= 400))
            return true;
    return false;
}

#define WHY_BG_SERVERS_MAX 64 /* servers whose last check is kept (cap: those checked latest) */

/* rc, a connection attempt of the gateway, may be t's own (begun while t waited, taken by
 * another request or not yet) or may have held t's server down (refused, by RST to its SYN or
 * an ICMP error that makes Varnish hold it down, from that holddown before t to t's answer:
 * every backend at that address and port is held down then, why_join_holddown_us). A check on the gateway's schedule is neither, unless it was
 * refused and some record to that address and port was claimed (a request's attempt, or a
 * check a request or its unjoined report took: which one is not told, so any claim counts): a
 * refusal of an address only the checks go to holds down only the checked server, which its
 * checks mark down anyway. */
static bool attempt_near(const struct why_join_ctx *cx, const struct why_conn_rec *rc, const struct why_txn *t,
                         int64_t max_hd)
{
    const struct why_conn *c = why_rec_conn(rc);
    bool refused = !c->established && (c->half[WHY_S2C].end->rst_frame || c->more->icmp_frame);
    struct why_ts end = why_conn_refused_at(c);
    int64_t hd = refused ? why_join_holddown_us(c) : 0;
    if (hd > max_hd)
        hd = max_hd;
    bool holds = hd > 0 && why_ts_cmp(end, why_ts_add_us(t->req_ts, -hd)) >= 0 &&
                 why_ts_cmp(end, t->resp_first_ts) <= 0;
    bool during = why_ts_cmp(c->first_ts, t->req_ts) >= 0 && why_ts_cmp(c->first_ts, t->resp_first_ts) <= 0;
    if (!holds && !during)
        return false;
    /* a connection that carried another client's request upstream was that one's (races/run10:
     * ka-get/2's new connection to 198.19.0.29, 9 ms after hc's request) */
    if (!holds && c->established && why_join_carries_client_request(cx, rc) &&
        (!rc->txn_head || rc->txn_head->claimed_by != t))
        return false;
    if (!why_join_scheduled_loose(cx, rc))
        return true;
    if (!holds)
        return false;
    /* a request's attempt took that path, its record perhaps pruned since */
    if (why_store_req_path_seen(cx->st, c))
        return true;
    for (const struct why_conn_rec *o = why_store_conns_to(cx->st, &c->srv_addr); o; o = why_store_conns_next(o)) {
        const struct why_conn *oc = why_rec_conn(o);
        if (o->claimed && why_addr_eq(&oc->srv_addr, &c->srv_addr) && oc->srv_port == c->srv_port &&
            why_addr_eq(&oc->cli_addr, &c->cli_addr))
            return true;
    }
    return false;
}

/* x->near[] has an attempt to c's server. */
static bool server_near(const struct why_join *x, const struct why_conn *c)
{
    for (uint32_t i = 0; i < x->nnear; i++)
        if (why_addr_eq(&why_rec_conn(x->near[i])->srv_addr, &c->srv_addr) &&
            why_rec_conn(x->near[i])->srv_port == c->srv_port)
            return true;
    return false;
}

/* rc in x->near[], once per server: those within the remote holddown (first) before the others */
static void keep_near(struct why_join *x, struct why_conn_rec *rc, bool first)
{
    const struct why_conn *c = why_rec_conn(rc);
    if (server_near(x, c))
        return;
    uint32_t at = x->nnear;
    while (first && at > 0 && !x->near_first[at - 1])
        at--;
    if (at == WHY_JOIN_ALTS)
        return;
    uint32_t keep = x->nnear < WHY_JOIN_ALTS ? x->nnear : WHY_JOIN_ALTS - 1;
    for (uint32_t k = keep; k > at; k--) {
        x->near[k] = x->near[k - 1];
        x->near_first[k] = x->near_first[k - 1];
    }
    x->near[at] = rc;
    x->near_first[at] = first;
    x->nnear = keep + 1;
}

/* rc connected and its first upstream request is the gateway's own so far: joined to no
 * client request, no client leg (a check, or a client's request not yet decided). */
static bool own_http(const struct why_conn_rec *rc)
{
    return why_rec_conn(rc)->established && rc->txn_head && !rc->txn_head->claimed_by &&
           !rc->txn_head->is_client_leg;
}

static struct why_bg_name *bg_name(struct why_store *st, const struct why_dns_rec *d);
static bool gateway_asks(const struct why_gateways *g, const struct why_addr *a);

/* t, the first request upstream on n, can be q's: q waits (not decided) on another connection,
 * with t's method and a target that ends with t's, and began before t. (A target that ends with
 * t's has t's last path segment, so its key by ending is t's: another key is passed at once.) */
static bool carried_for(const struct why_txn *q, const struct why_txn *t, const struct why_conn_rec *n)
{
    return !(q->xindexed && t->xindexed && q->xkey != t->xkey) && !q->decided && q->rc != n &&
           strcmp(q->method, t->method) == 0 && q->target_len && q->target_len >= t->target_len &&
           why_ts_cmp(q->req_first_ts, t->req_first_ts) <= 0 &&
           memcmp(q->target + q->target_len - t->target_len, t->target, t->target_len) == 0;
}

/* n's first request upstream is a client's: one joined to it already, or one a client is
 * still waiting for with the same method whose target ends like it (a reverse proxy may add
 * a prefix). A health check (the gateway's own request) is not. */
const struct why_txn *why_join_carried_client_request(const struct why_join_ctx *cx, const struct why_conn_rec *n)
{
    const struct why_txn *t = n->txn_head;
    if (!t || t->is_client_leg || t->claimed_by)
        return NULL; /* a decided request's (claimed_by may be freed since: not read) */
    if (t->xindexed && !cx->st->queue_unordered) {
        /* The index by path ending holds every queued request (each is indexed before it is
         * queued, and leaves the index when decided), and a target that ends with t's has
         * t's key. The walk of the queue below returns the first in the queue that fits, and
         * stops at the first request begun WHY_ORDER_SLACK_US after t: with the queue in
         * order (each request pushed begins less than that before the latest before it), no
         * request that began before t comes after that one. So: of those that fit, the one
         * pushed first. */
        const struct why_txn *first = NULL;
        for (const struct why_txn *q = why_store_requests_ending(cx->st, t->xkey)->head; q;
             q = q->ix[WHY_TIX_ENDING].next)
            if (q->xkey == t->xkey && q->queued && carried_for(q, t, n) && (!first || q->qseq < first->qseq))
                first = q;
        return first;
    }
    for (const struct why_txn *q = cx->st->qhead; q && !why_join_queue_past(cx, q, t->req_first_ts, 0); q = q->qnext)
        if (carried_for(q, t, n))
            return q;
    return NULL;
}

bool why_join_carries_client_request(const struct why_join_ctx *cx, const struct why_conn_rec *n)
{
    const struct why_txn *t = n->txn_head;
    return n->carried || (t && !t->is_client_leg && t->claimed_by) || why_join_carried_client_request(cx, n) != NULL;
}

static bool dns_failed(const struct why_dns_rec *d)
{
    return !d->answered || d->rcode != 0 || d->naddrs == 0;
}

#define WHY_BG_QUEUE_WALK_MAX 4096 /* queued requests of d's host begun by then (or without a
                                      Host) looked at for one lookup (cap: more, and it
                                      counts as asked by one of them) */

/* q, a queued request other than self, waited for d's name when d was first asked: begun by
 * then (within the skew), not answered before, its URL's host d's name */
static bool waited_for(const struct why_join_ctx *cx, const struct why_txn *q, const struct why_dns_rec *d,
                       const struct why_txn *self)
{
    struct why_ts end = q->has_resp ? q->resp_first_ts : cx->now;
    if (q == self || why_ts_diff_us(q->req_first_ts, d->q_ts) < -WHY_SKEW_US || why_ts_cmp(d->q_ts, end) > 0)
        return false;
    struct why_url_key u;
    bool ip;
    return strcasecmp(why_join_url_host(q, &u, &ip), d->qname) == 0;
}

/* A client request for d's name other than self was waiting when d was first asked: from
 * the queue of requests not decided yet (a decided request claimed its lookups), through its
 * index by host (the requests of d's name's bucket, those begun by then: the bucket is in the
 * order they began) and the list of those without a Host (their URL's host may be d's name).
 * What it answers depends on those requests only, not on how many others are queued (a walk
 * of the whole queue with a cap did: its answer moved with the queue's length). */
static bool asked_by_waiting(const struct why_join_ctx *cx, const struct why_dns_rec *d, const struct why_txn *self)
{
    uint32_t n = 0;
    for (const struct why_txn *q = why_store_queued_host(cx->st, d->nkey); q; q = q->hqnext) {
        if (why_ts_diff_us(q->req_first_ts, d->q_ts) < -WHY_SKEW_US)
            break; /* began after it, as every one after it (waited_for's test) */
        if (q->hkey != d->nkey)
            continue;
        if (++n > WHY_BG_QUEUE_WALK_MAX || waited_for(cx, q, d, self))
            return true;
    }
    n = 0;
    for (const struct why_txn *q = why_store_queued_nohost(cx->st); q; q = q->hqnext)
        if (++n > WHY_BG_QUEUE_WALK_MAX || waited_for(cx, q, d, self))
            return true;
    return false;
}

/* o is another lookup like d (same name, type and asking address) that no request claimed,
 * or that was claimed as the schedule's own */
static bool unasked_same_lookup(const struct why_dns_rec *o, const struct why_dns_rec *d)
{
    return o != d && (!o->claimed || o->scheduled) && o->qtype == d->qtype && why_addr_eq(&o->cli, &d->cli) &&
           strcmp(o->qname, d->qname) == 0;
}

#define WHY_BG_LOOKUPS_WALK 256 /* lookups of one name walked for the rounds after an answer (cap) */

/* The lookups the join gave the request are the gateway's schedule, not its own: the
 * gateway was already looking the name up, unasked, at least twice in the 30 s before the
 * request, on a schedule (HAProxy's resolvers: a request arriving between two rounds finds
 * the failure of the next one in its window, or the round still retrying at its start).
 * Unasked: no request claimed them; claimed as the schedule's own when pruned counts too
 * (asked by none), or whether a round counts would depend on when pruning passed. Once
 * before, when the capture began just before it: then the lookups after the answer that no
 * request waiting asked count as well (races/run26: the capture's first round of nx.lab
 * came 0.8 s before the request, the next 32 ms after it, on the loaded machine 211 ms
 * before HAProxy's 503, and two more, asked by none, in the next 1.6 s; a forward proxy's
 * lookups are each asked by a request waiting for that name). */
static bool dns_in_background(const struct why_join_ctx *cx, const struct why_join *x)
{
    const struct why_txn *t = x->client;
    struct why_ts from = why_ts_add_us(t->req_ts, -WHY_BG_WINDOW_US);
    for (uint32_t i = 0; i < x->ndns; i++) {
        const struct why_dns_rec *d = x->dns[i];
        /* begun before the request, while no request for the name waited: the gateway
         * asked on its own (the first round a capture shows, its schedule not seen yet) */
        if (why_ts_cmp(d->q_ts, t->req_first_ts) < 0 && (!d->claimed || d->scheduled) &&
            gateway_asks(cx->gw, &d->cli) && !asked_by_waiting(cx, d, t))
            continue;
        if (!why_join_background_dns(cx, d))
            return false;
        uint32_t earlier = 0;
        for (const struct why_dns_rec *o = why_store_dns_by_name(cx->st, d->nkey); o; o = why_store_dns_name_next(o))
            if (unasked_same_lookup(o, d) && why_ts_cmp(o->q_ts, from) >= 0 && why_ts_cmp(o->q_ts, t->req_ts) < 0)
                earlier++;
        /* and those pruning took already (no record of theirs is left to count twice) */
        const struct why_bg_name *b = bg_name(cx->st, d);
        for (uint32_t k = 0; b && k < b->ngone && k < WHY_BG_GONE_MAX; k++)
            if (why_ts_cmp(b->gone[k], from) >= 0 && why_ts_cmp(b->gone[k], t->req_ts) < 0)
                earlier++;
        if (earlier == 1) {
            struct why_ts until = why_ts_add_us(t->resp_first_ts, WHY_BG_WINDOW_US);
            uint32_t looked = 0;
            for (const struct why_dns_rec *o = why_store_dns_by_name(cx->st, d->nkey);
                 o && earlier < 2 && looked < WHY_BG_LOOKUPS_WALK; o = why_store_dns_name_next(o), looked++)
                if (unasked_same_lookup(o, d) && why_ts_cmp(o->q_ts, t->resp_first_ts) > 0 &&
                    why_ts_cmp(o->q_ts, until) <= 0 && !asked_by_waiting(cx, o, t))
                    earlier++;
        }
        if (earlier < 2)
            return false;
    }
    return x->ndns > 0;
}

struct why_host_lookups why_join_host_lookups(const struct why_join_ctx *cx, const struct why_txn *t,
                                              const struct why_addr *gw, const struct why_addr *a,
                                              struct why_ts before)
{
    struct why_host_lookups r = {0};
    if (!t->ihost[0])
        return r;
    for (const struct why_dns_rec *d = why_store_dns_by_name(cx->st, t->hkey); d; d = d->nnext) {
        if (d->nkey != t->hkey || strcasecmp(d->qname, t->ihost) != 0 ||
            (gw ? !why_addr_eq(&d->cli, gw) : !why_gw_is_gateway(cx->gw, &d->cli)) ||
            (d->qtype != WHY_DNS_A && d->qtype != WHY_DNS_AAAA))
            continue;
        for (uint32_t j = 0; j < d->naddrs && j < WHY_DNS_REC_ADDRS; j++)
            r.gave_addr |= why_addr_eq(&d->addrs[j], a);
        bool resolved = d->answered && d->rcode == 0 && d->naddrs > 0;
        r.all++;
        r.resolved_ever |= resolved;
        if (r.gave_addr || (!gw && !a->family))
            break; /* (the callers' answers are then known: see join.h) */
        if (why_ts_cmp(d->q_ts, before) >= 0)
            continue;
        r.resolved |= resolved;
        r.before++;
    }
    return r;
}

static bool named_elsewhere(const struct why_join_ctx *cx, const struct why_txn *t, const struct why_conn_rec *rc)
{
    const struct why_conn *c = why_rec_conn(rc);
    struct why_host_lookups l = why_join_host_lookups(cx, t, &c->cli_addr, &c->srv_addr, cx->now);
    return l.before > 0 && !l.gave_addr;
}

/* rc, one of the gateway's attempts made from `from` to t's request and no request's, is a
 * check: the gateway's own HTTP request (no client's), or one of its connections to that
 * server on a schedule (a failed attempt of another request is not one), of a server t's host
 * may be. A path busy with requests' tries says nothing by its schedule (path_busy). */
static bool may_check(const struct why_join_ctx *cx, const struct why_conn_rec *rc);

static bool check_before(const struct why_join_ctx *cx, const struct why_txn *t, struct why_ts from,
                         const struct why_conn_rec *rc)
{
    const struct why_conn *c = why_rec_conn(rc);
    if (why_ts_cmp(c->first_ts, from) < 0 || why_ts_cmp(c->first_ts, t->req_ts) > 0 || !may_check(cx, rc))
        return false;
    /* the gateway looks the request's host up and no lookup of it ever gave this address: a
     * check of another server (one set by address, or another name's), which says nothing of
     * the request's own (races/run8: HAProxy's `noanswer` was named after the failing checks
     * of another backend's servers) */
    if (named_elsewhere(cx, t, rc))
        return false;
    /* a failed connection that a request for a name giving its address waited through may be
     * that request's try, not a check (the retry bench: b_drop's tries of drop.bench, every second
     * while its requests waited, read as failing checks of 198.19.0.99, which is never
     * checked, and named as the cause of other backends' 503s) */
    return !(!why_rec_conn(rc)->established && check_failed(rc) && why_join_try_awaited(cx, t, rc));
}

/* What check_before asks of rc whatever the request: the gateway's attempt (roles, a SYN), no
 * join's, its own HTTP or on a schedule of a path not busy. */
static bool may_check(const struct why_join_ctx *cx, const struct why_conn_rec *rc)
{
    return rc->gw_cli && !rc->gw_srv && why_rec_conn(rc)->syn_count > 0 && !rc->claimed &&
           (own_http(rc) || (!why_join_path_busy(cx, rc) && why_join_scheduled(cx, rc)));
}

static bool same_server(const struct why_conn_rec *a, const struct why_conn_rec *b)
{
    const struct why_conn *x = why_rec_conn(a), *y = why_rec_conn(b);
    return why_addr_eq(&x->srv_addr, &y->srv_addr) && x->srv_port == y->srv_port;
}

#define WHY_BG_PRE_ROOM 256 /* refused records before a request's wait read from the refusal
                               lists, kept on the stack (more: in memory allocated for them,
                               or, where that fails, the list of those not connected is
                               walked) */

/* The records a background join reads, by creation: from start to before stop along the list,
 * or, where the slots are kept in order (`lists`), by the store's indexes, so that a walk
 * reads only the gateway's upstream records that can matter, not the client connections
 * between them nor the connections that carried requests: oldest first, the records not
 * connected (WHY_TRIES_FAILED) begun before `wait` and every upstream record from `wait`
 * on, by the slots' entries (places lo..hi); newest first, the records no join claimed
 * (WHY_TRIES_UNCLAIMED), seq start_seq..upto_seq. */
struct rec_range {
    struct why_conn_rec *start, *stop;
    bool lists;
    size_t lo, hi;
    struct why_conn_rec *upto;   /* the newest record of the range */
    uint64_t start_seq, upto_seq, wait_seq;
    struct why_conn_rec *failed; /* the oldest record not connected from start on (NULL: none) */
    /* ...or, read from the refusal lists instead, the records refused late enough to be near
     * t, made before `wait`, by creation (npre; pre_ok false: none read, or no memory for
     * them): in pre_room, or allocated (pre_heap) */
    struct why_conn_rec **pre, *pre_room[WHY_BG_PRE_ROOM];
    uint32_t pre_cap;
    bool pre_heap;
    uint32_t npre, ipre;         /* ...and the next one range_next gives */
    bool pre_ok;
    /* the walk back: per bucket of the gateway's addresses, the next record no join claimed
     * (NULL: none), begun at the first call */
    struct why_conn_rec *uc[WHY_GW_SEEN_MAX];
    uint32_t nuc;
    bool uc_begun;
};

/* The slots' next upstream record from place i, below the range's end. */
static struct why_conn_rec *slots_next(const struct why_join_ctx *cx, const struct rec_range *r, size_t i)
{
    for (; i < r->hi; i++) {
        struct why_rec_slot *s = &cx->st->slots[i];
        if (s->rc && why_store_slot_upstream(cx->gw, s))
            return s->rc;
    }
    return NULL;
}

/* The range's next upstream record after rc, oldest first (rc NULL: the first); NULL at its
 * end. Roles are refreshed on the way (why_gw_roles). */
static struct why_conn_rec *range_next(const struct why_join_ctx *cx, struct rec_range *r,
                                       struct why_conn_rec *rc)
{
    if (r->lists) {
        if (rc && rc->seq >= r->wait_seq)
            return slots_next(cx, r, rc->slot + 1);
        if (r->pre_ok) { /* before the wait: the refused ones, then the wait's */
            r->ipre = rc ? r->ipre + 1 : 0;
            return r->ipre < r->npre ? r->pre[r->ipre] : slots_next(cx, r, r->lo);
        }
        /* before the wait: the records not connected (the walk to `failed` left those that
         * connected off the list, so its links are read as they are) */
        for (rc = rc ? rc->tnext[WHY_TRIES_FAILED] : r->failed; rc && rc->seq < r->wait_seq;
             rc = rc->tnext[WHY_TRIES_FAILED]) {
            why_gw_roles(cx->gw, rc);
            if (rc->gw_cli && !rc->gw_srv)
                return rc;
        }
        return slots_next(cx, r, r->lo);
    }
    for (rc = rc ? rc->rnext : r->start; rc && rc != r->stop; rc = rc->rnext) {
        why_gw_roles(cx->gw, rc);
        if (rc->gw_cli && !rc->gw_srv)
            return rc;
    }
    return NULL;
}

/* ...and newest first (rc NULL: the last), of them those no join claimed: all of them with
 * lists, where the walk goes on from the lists' heads kept in r (rc is the one returned
 * last), newest first across the gateway's addresses. */
static struct why_conn_rec *range_prev(const struct why_join_ctx *cx, struct rec_range *r, struct why_conn_rec *rc)
{
    if (r->lists) {
        if (!r->uc_begun) {
            r->uc_begun = true;
            r->nuc = 0;
            for (uint32_t i = 0; i < cx->gw->ngws; i++) {
                struct why_conn_rec *h =
                    why_store_unclaimed_upto(cx->st, cx->gw, &cx->gw->gws[i], r->upto, r->start);
                bool dup = false; /* (two addresses of one bucket: one list) */
                for (uint32_t k = 0; k < r->nuc && h && !dup; k++)
                    dup = r->uc[k] == h;
                if (h && !dup)
                    r->uc[r->nuc++] = h;
            }
        }
        for (;;) {
            uint32_t best = r->nuc;
            for (uint32_t k = 0; k < r->nuc; k++)
                if (r->uc[k] && r->uc[k]->seq >= r->start_seq && (best == r->nuc || r->uc[k]->seq > r->uc[best]->seq))
                    best = k;
            if (best == r->nuc)
                return NULL;
            rc = r->uc[best];
            r->uc[best] = why_store_try_prev(cx->st, rc, WHY_TRIES_UNCLAIMED);
            why_gw_roles(cx->gw, rc);
            if (rc->gw_cli && !rc->gw_srv)
                return rc;
        }
    }
    if (!r->start)
        return NULL;
    for (rc = rc ? (rc == r->start ? NULL : rc->rprev) : (r->stop ? r->stop->rprev : cx->st->rtail); rc;
         rc = rc == r->start ? NULL : rc->rprev) {
        why_gw_roles(cx->gw, rc);
        if (rc->gw_cli && !rc->gw_srv)
            return rc;
    }
    return NULL;
}

static int by_seq(const void *pa, const void *pb)
{
    uint64_t a = (*(struct why_conn_rec *const *)pa)->seq, b = (*(struct why_conn_rec *const *)pb)->seq;
    return (a > b) - (a < b);
}

/* Room for twice as many of r's refused records: a busy backend refusing every attempt draws
 * more in a holddown than the stack keeps (at 1,000 a second, 260), and the walk of every
 * attempt not connected since the background window's start (30 s of them) that it fell
 * back to cost each request the rate times 30 s. False when no memory is left for them. */
static bool pre_grow(struct rec_range *r)
{
    size_t cap = (size_t)r->pre_cap * 2;
    if (cap > UINT32_MAX)
        return false;
    struct why_conn_rec **v = malloc(cap * sizeof *v);
    if (!v)
        return false;
    memcpy(v, r->pre, r->npre * sizeof *v);
    if (r->pre_heap)
        free(r->pre);
    r->pre = v;
    r->pre_cap = (uint32_t)cap;
    r->pre_heap = true;
    return true;
}

/* Of the records made before t's wait, those attempt_near can find near t (held down at its
 * request: refused at most the longest holddown before it, and by its answer, as such a
 * record began before the request), from the refusal lists, newest refusal first from the
 * answer (why_store_refused_by: those refused in the decision's delay are not read) back to
 * that time (within the lists' lag), into r->pre by creation. False when no memory is left
 * for them (pre_grow). */
static bool refused_before(const struct why_join_ctx *cx, const struct why_txn *t, struct rec_range *r)
{
    r->npre = 0;
    static const struct {
        enum why_try_list l;
        int64_t hd;
    } lists[] = {{WHY_TRIES_REFUSED, WHY_HOLDDOWN_US}, {WHY_TRIES_REFUSED_LONG, WHY_HOLDDOWN_LOCAL_US}};
    for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
        struct why_ts lo = why_ts_add_us(t->req_ts, -(lists[k].hd + cx->st->refused_lag_us));
        for (struct why_conn_rec *rc = why_store_refused_by(cx->st, lists[k].l, t->resp_first_ts);
             rc && why_ts_cmp(why_conn_refused_at(why_rec_conn(rc)), lo) >= 0;
             rc = why_store_try_prev(cx->st, rc, lists[k].l)) {
            if (rc->seq < r->start_seq || rc->seq >= r->wait_seq)
                continue;
            why_gw_roles(cx->gw, rc);
            if (!rc->gw_cli || rc->gw_srv)
                continue;
            if (r->npre == r->pre_cap && !pre_grow(r))
                return false;
            r->pre[r->npre++] = rc;
        }
    }
    /* by creation: refusals follow their attempts' order nearly, so the lists' walks gave
     * them nearly in reverse; reversed, an insertion sort moves the few out of place */
    for (uint32_t i = 0, j = r->npre ? r->npre - 1 : 0; i < j; i++, j--) {
        struct why_conn_rec *v = r->pre[i];
        r->pre[i] = r->pre[j];
        r->pre[j] = v;
    }
    uint64_t moves = 0, budget = 8u * (uint64_t)r->npre;
    for (uint32_t i = 1; i < r->npre && moves <= budget; i++)
        for (uint32_t j = i; j > 0 && r->pre[j - 1]->seq > r->pre[j]->seq; j--, moves++) {
            struct why_conn_rec *v = r->pre[j];
            r->pre[j] = r->pre[j - 1];
            r->pre[j - 1] = v;
        }
    if (moves > budget) /* (refusals far from their attempts' order: sorted outright) */
        qsort(r->pre, r->npre, sizeof r->pre[0], by_seq);
    r->pre_ok = true;
    return true;
}

/* The range of t's background join from `oldest` to the records begun by its answer (upto). */
static void range_set(const struct why_join_ctx *cx, const struct why_txn *t, struct why_ts oldest,
                      struct why_conn_rec *upto, struct rec_range *r)
{
    r->start = why_store_rec_from(cx->st, upto, oldest);
    r->stop = upto ? upto->rnext : NULL;
    if (!cx->st->slots_ok || !r->start)
        return;
    r->lists = true;
    r->start_seq = r->start->seq;
    r->upto = upto;
    r->upto_seq = upto->seq;
    /* t's wait: a record made before `wait` began before t's request (wait is the first of
     * those begun by its time less the records' lag), so it is near t only if refused, and
     * a refused attempt did not connect */
    struct why_conn_rec *wait = why_store_rec_from(cx->st, upto, why_ts_add_us(t->req_ts, -cx->st->rlag_us));
    if (wait && wait->seq < r->start_seq)
        wait = r->start;
    r->wait_seq = wait ? wait->seq : r->upto_seq + 1;
    r->lo = wait ? wait->slot : upto->slot + 1;
    r->hi = upto->slot + 1;
    r->failed = NULL;
    if (refused_before(cx, t, r))
        return;
    for (struct why_conn_rec *rc = why_store_try_upto(cx->st, upto, WHY_TRIES_FAILED); rc && rc->seq >= r->start_seq;
         rc = why_store_try_prev(cx->st, rc, WHY_TRIES_FAILED))
        r->failed = rc;
}

/* The records of r (by the lists) that may be checks (may_check), by creation, from the
 * sweep's memo (cx->sched->bg): read from r where it has none of them (a new sweep, or r begins
 * before it), else only r's records made since it was read, added to it. NULL where it is not
 * kept (no cache, r not by the lists, more than WHY_BG_MEMO_MAX of them): then r is as it was. */
static const struct why_bg_memo *may_checks(const struct why_join_ctx *cx, struct rec_range *r)
{
    struct why_sched_cache *k = cx->sched;
    if (!k || !r->lists)
        return NULL;
    struct why_bg_memo *m = &k->bg;
    if (!m->valid || m->gen != k->gen || m->gw_gen != cx->gw->gen || r->start_seq < m->lo) {
        m->valid = true;
        m->gen = k->gen;
        m->gw_gen = cx->gw->gen;
        m->lo = r->start_seq;
        m->hi = r->start_seq - 1;
        m->n = 0;
    }
    /* r's records after hi, newest first, then put after the memo's by creation */
    uint32_t n0 = m->n;
    for (struct why_conn_rec *rc = range_prev(cx, r, NULL); rc && rc->seq > m->hi; rc = range_prev(cx, r, rc)) {
        if (!may_check(cx, rc))
            continue;
        if (m->n == WHY_BG_MEMO_MAX) {
            m->valid = false;
            r->uc_begun = false; /* (the walk begins again) */
            return NULL;
        }
        m->rec[m->n++] = rc;
    }
    for (uint32_t i = n0, j = m->n; i + 1 < j; i++, j--) {
        struct why_conn_rec *v = m->rec[i];
        m->rec[i] = m->rec[j - 1];
        m->rec[j - 1] = v;
    }
    if (r->upto_seq > m->hi)
        m->hi = r->upto_seq;
    return m;
}

/* last_checks' test of rc, the next record newest first: into last[*n] when it is the last check
 * of a server not met yet. */
static void last_check_of(const struct why_join_ctx *cx, const struct why_txn *t, struct why_ts from,
                          struct why_conn_rec *rc, struct why_conn_rec **last, uint32_t *n)
{
    /* (what check_before asks of the record itself first: most records are no check, and
     * their connections are not read) */
    if (rc->claimed || why_ts_cmp(rc->first_ts, from) < 0 || why_ts_cmp(rc->first_ts, t->req_ts) > 0)
        return;
    uint32_t i = 0;
    while (i < *n && !same_server(last[i], rc))
        i++;
    if (i == *n && check_before(cx, t, from, rc))
        last[(*n)++] = rc;
}

/* The last checks as the walk of r finds them (last_checks without the memo). */
static uint32_t last_checks_read(const struct why_join_ctx *cx, const struct why_txn *t, struct why_ts from,
                                 struct rec_range *r, struct why_conn_rec **last)
{
    uint32_t n = 0;
    for (struct why_conn_rec *rc = range_prev(cx, r, NULL); rc && n < WHY_BG_SERVERS_MAX; rc = range_prev(cx, r, rc))
        last_check_of(cx, t, from, rc, last, &n);
    return n;
}

/* The last check (check_before) of each server among the upstream records of r,
 * in the order they were made, into last; how many: of the WHY_BG_SERVERS_MAX servers whose
 * last checks came latest. Found newest first, so a server with a later check is not asked
 * the schedule of its earlier attempts (a refusing server draws one every few milliseconds,
 * its checks come one a second or two). Of r's records only those that may be checks are
 * asked (may_checks: a record that is not on that list cannot be a check for any request). */
static uint32_t last_checks(const struct why_join_ctx *cx, const struct why_txn *t, struct why_ts from,
                            struct rec_range *r, struct why_conn_rec **last)
{
#ifndef NDEBUG
    struct rec_range r0 = *r; /* (builds with assertions read r both ways: the same checks) */
#endif
    uint32_t n = 0;
    const struct why_bg_memo *m = may_checks(cx, r);
    if (!m)
        n = last_checks_read(cx, t, from, r, last);
    for (uint32_t j = m ? m->n : 0; j-- > 0 && n < WHY_BG_SERVERS_MAX && m->rec[j]->seq >= r->start_seq;)
        if (m->rec[j]->seq <= r->upto_seq)
            last_check_of(cx, t, from, m->rec[j], last, &n);
#ifndef NDEBUG
    if (m) {
        struct why_conn_rec *read[WHY_BG_SERVERS_MAX];
        if (last_checks_read(cx, t, from, &r0, read) != n || memcmp(read, last, n * sizeof last[0]) != 0)
            abort(); /* the memo missed a check */
    }
#endif
    /* made first, first (their order of creation: sequence numbers) */
    for (uint32_t i = 1; i < n; i++)
        for (uint32_t j = i; j > 0 && last[j - 1]->seq > last[j]->seq; j--) {
            struct why_conn_rec *v = last[j];
            last[j] = last[j - 1];
            last[j - 1] = v;
        }
    return n;
}

#define WHY_BG_OTHER_WALK 4096 /* DNS records other_name_failing reads (cap), newest first
                                  from the request's answer */
#define WHY_BG_OTHER_SKIP (1u << 20) /* ...and those after the answer it passes over (a safety
                                        bound: a request is decided a few seconds after its
                                        answer, and those seconds' lookups are all there are) */
#define WHY_BG_OTHER_NAMES 64  /* names it tells apart (cap) */

#define WHY_BG_OTHER_MAYBE 4096 /* lookups that may have failed others_resolved reads (cap:
                                   past it, the walk tells) */

/* A name other_name_failing's walk met: whether and when last a lookup of it found an
 * address, and its latest failed lookup. */
struct other_name {
    uint64_t nkey;
    bool ok;
    struct why_ts ok_last;
    const struct why_dns_rec *failed;
};

/* The slot of key among met[0..*n), a new one while there is room; NULL past
 * WHY_BG_OTHER_NAMES. */
static struct other_name *other_name_slot(struct other_name *met, uint32_t *n, uint64_t key)
{
    uint32_t k = 0;
    while (k < *n && met[k].nkey != key)
        k++;
    if (k == *n) {
        if (*n == WHY_BG_OTHER_NAMES)
            return NULL;
        met[(*n)++] = (struct other_name){.nkey = key};
    }
    return &met[k];
}

/* d, a lookup of the walk's window (other_name_failing): one it reads when it gets that far */
static bool other_name_reads(const struct why_join_ctx *cx, const struct why_dns_rec *d, struct why_ts from,
                             struct why_ts answer)
{
    return why_ts_cmp(d->q_ts, from) >= 0 && why_ts_cmp(d->q_ts, answer) <= 0 && gateway_asks(cx->gw, &d->cli) &&
           (d->qtype == WHY_DNS_A || d->qtype == WHY_DNS_AAAA);
}

/* A lookup of the name of key, answered with an address, first asked between `since` and t's
 * answer (and from `from` on), that other_name_failing's walk from d0 surely reads: made by
 * d0, within its cap of it (walked and passed over). */
static bool name_resolved_since(const struct why_join_ctx *cx, const struct why_txn *t, uint64_t key,
                                struct why_ts since, struct why_ts from, const struct why_dns_rec *d0,
                                uint64_t passed)
{
    if (why_ts_cmp(since, from) < 0)
        since = from;
    struct why_dns_span sp;
    if (!why_store_dns_name_from(cx->st, key, since, &sp))
        return false;
    int64_t last_us = why_ts_us(t->resp_first_ts);
    for (uint32_t k = sp.lo, read = 0; k < sp.n && read < WHY_BG_OTHER_MAYBE; k++, read++) {
        if (k > sp.lo && why_dns_span_past(&sp, k, last_us))
            break; /* this one and every later one asked after the answer */
        const struct why_dns_rec *d = sp.e[k].d;
        if (!d || d->nkey != key || d->id > d0->id || d0->id - d->id >= WHY_BG_OTHER_WALK ||
            passed + (d0->id - d->id) >= WHY_BG_OTHER_SKIP || why_ts_cmp(d->q_ts, since) < 0 ||
            !other_name_reads(cx, d, from, t->resp_first_ts) || dns_failed(d))
            continue;
        return true;
    }
    return false;
}

/* other_name_failing's walk from d0 surely finds none: each name of a lookup the walk may read
 * as failed (the store's list of those that may have failed: few, where the walk reads every
 * lookup of the window) had one answered with an address within a round before its latest
 * such lookup, which the walk reads too. False when that cannot be told cheaply. */
static bool others_resolved(const struct why_join_ctx *cx, const struct why_txn *t, struct why_ts from,
                            const struct why_dns_rec *d0, uint64_t passed)
{
    int64_t lag = why_store_dns_order_lag(cx->st);
    if (lag < 0)
        return false;
    struct other_name met[WHY_BG_OTHER_NAMES];
    uint32_t nmet = 0, read = 0;
    struct why_ts stop = why_ts_add_us(from, -lag);
    for (const struct why_dns_rec *d = why_store_dns_failed_upto(cx->st, d0, from); d;
         d = why_store_dns_failed_prev(d)) {
        if (why_ts_cmp(d->q_ts, stop) < 0)
            break; /* every one before it was first asked before from */
        if (++read > WHY_BG_OTHER_MAYBE)
            return false;
        if (!other_name_reads(cx, d, from, t->resp_first_ts))
            continue;
        struct other_name *m = other_name_slot(met, &nmet, d->nkey);
        if (!m)
            return false;
        if (!m->failed || why_ts_cmp(d->q_ts, m->failed->q_ts) > 0)
            m->failed = d;
    }
    for (uint32_t k = 0; k < nmet; k++)
        if (!name_resolved_since(cx, t, met[k].nkey, why_ts_add_us(met[k].failed->q_ts, -WHY_BG_ROUND_US), from,
                                 d0, passed))
            return false;
    return true;
}

/* The gateway's latest failed lookup on its own schedule (why_join_background_dns), no decided
 * request's (claimed), of a name other than host, from `from` to t's answer, where no lookup
 * of that name by then gave an address in the same round (the other address family: an
 * IPv4-only name's AAAA gives none) or later: the DNS records by creation, newest first from
 * the answer, at most WHY_BG_OTHER_WALK of them. NULL if none. The lookups that may have failed
 * are read first (others_resolved): the walk only where they cannot tell it finds none, so
 * that a gateway that looks a name up for each request (Apache, Caddy: each lookup of the
 * window read for each failed request) costs no more than one whose lookups all resolve. */
static const struct why_dns_rec *other_name_failing(const struct why_join_ctx *cx, const struct why_txn *t,
                                                    struct why_ts from, const char *host)
{
    struct other_name met[WHY_BG_OTHER_NAMES];
    uint32_t nmet = 0, walked = 0;
    struct why_ts oldest = why_ts_add_us(from, -WHY_ORDER_SLACK_US);
    /* (the lookups made after the answer, until the decision, are passed over uncounted: how
     * many came then does not change which ones before it are read; the store tells where
     * the last of those is and how many, not read again for each request of a sweep) */
    uint64_t passed = 0;
    const struct why_dns_rec *d0 = cx->exhaustive ? cx->st->dtail : why_store_dns_upto(cx->st, t->resp_first_ts, &passed);
    if (!cx->exhaustive && d0 && others_resolved(cx, t, from, d0, passed))
        return NULL;
    for (const struct why_dns_rec *d = d0; d && walked < WHY_BG_OTHER_WALK && passed < WHY_BG_OTHER_SKIP; d = d->prev) {
        if (why_ts_cmp(d->q_ts, oldest) < 0)
            break;
        if (why_ts_cmp(d->q_ts, t->resp_first_ts) > 0) {
            passed++;
            continue;
        }
        walked++;
        /* (a lookup a request made, claimed by it, still says the name resolved: the reading's
         * own gather, why_join_background, counts it so, and a name failing here that the
         * reading finds resolving was offered as a reading that named nothing) */
        bool own = d->claimed && !d->scheduled;
        if (why_ts_cmp(d->q_ts, from) < 0 || !gateway_asks(cx->gw, &d->cli) || (own && dns_failed(d)) ||
            (d->qtype != WHY_DNS_A && d->qtype != WHY_DNS_AAAA)) /* (a server's address, no PTR) */
            continue;
        struct other_name *m = other_name_slot(met, &nmet, d->nkey);
        if (!m)
            continue;
        if (!dns_failed(d)) {
            if (!m->ok || why_ts_cmp(d->q_ts, m->ok_last) > 0)
                m->ok_last = d->q_ts;
            m->ok = true;
        } else if (!m->failed || why_ts_cmp(d->q_ts, m->failed->q_ts) > 0) {
            m->failed = d;
        }
    }
    const struct why_dns_rec *best = NULL;
    for (uint32_t k = 0; k < nmet; k++) {
        const struct why_dns_rec *d = met[k].failed;
        if (!d || strcasecmp(d->qname, host) == 0 ||
            (met[k].ok && why_ts_diff_us(d->q_ts, met[k].ok_last) >= -WHY_BG_ROUND_US))
            continue;
        int cmp = best ? why_ts_cmp(d->q_ts, best->q_ts) : 1;
        /* on the gateway's own schedule (a reverse proxy's resolvers): not a forward proxy's
         * lookup for a request, nor nginx's resolver's, which come when a request does */
        if ((cmp > 0 || (cmp == 0 && strcmp(d->qname, best->qname) < 0)) && why_join_background_dns(cx, d))
            best = d;
    }
    return best;
}

void why_join_background(const struct why_join_ctx *cx, struct why_join *x)
{
    const struct why_txn *t = x->client;
    if (!t || x->up || x->nattempts || !t->has_resp || t->status < 500)
        return;
    if (x->ndns && !dns_in_background(cx, x))
        return;
    x->ndns = 0; /* the schedule's lookups, gathered below with the earlier ones */
    struct why_ts from = why_ts_add_us(t->req_ts, -WHY_BG_WINDOW_US);
    /* periodic lookups of the request's host (the backend's name) that failed */
    struct why_url_key u;
    bool ip;
    const char *host = why_join_url_host(t, &u, &ip);
    if (cx->force_bg)
        host = cx->force_bg->qname; /* the reading with another name's lookups as the host's */
    /* the name index walks newest first: the ring keeps the oldest WHY_JOIN_MAX, in order */
    struct why_dns_rec *ring[WHY_JOIN_MAX];
    uint32_t seen = 0;
    struct why_ts failed_last = {0}, ok_last = {0};
    bool ok = false;
    for (struct why_dns_rec *d = why_store_dns_by_name(cx->st, why_request_key("", host)); d;
         d = why_store_dns_name_next(d)) {
        if (why_ts_cmp(d->q_ts, from) < 0 || why_ts_cmp(d->q_ts, t->resp_first_ts) > 0)
            continue;
        if (!why_gw_is_gateway(cx->gw, &d->cli) || strcasecmp(d->qname, host) != 0)
            continue;
        if (!dns_failed(d)) {
            if (!ok || why_ts_cmp(d->q_ts, ok_last) > 0)
                ok_last = d->q_ts;
            ok = true;
            continue;
        }
        if (d->claimed && !d->scheduled)
            continue; /* a request's own lookup (a resolver asking for it), no schedule's */
        if (!seen || why_ts_cmp(d->q_ts, failed_last) > 0)
            failed_last = d->q_ts;
        ring[seen++ % WHY_JOIN_MAX] = d;
    }
    /* a lookup of the same round (the other address family) or a later one found an
     * address: the name resolved, its failing lookups did not leave the server without one */
    if (seen && ok && why_ts_diff_us(failed_last, ok_last) >= -WHY_BG_ROUND_US)
        seen = 0;
    /* none before the answer (the capture began between two rounds): the gateway's lookups
     * of the name begun within a round after the answer, asked by no request, all failed
     * (races/run8: HAProxy's first lookup of noanswer.lab came 0.23 s after the request's
     * 503, unanswered; the request was decided after, once it settled) */
    if (!seen && !ok) {
        struct why_ts until = why_ts_add_us(t->resp_first_ts, WHY_BG_ROUND_US);
        for (struct why_dns_rec *d = why_store_dns_by_name(cx->st, why_request_key("", host)); d;
             d = why_store_dns_name_next(d)) {
            if (why_ts_cmp(d->q_ts, t->resp_first_ts) <= 0 || why_ts_cmp(d->q_ts, until) > 0 ||
                !why_gw_is_gateway(cx->gw, &d->cli) || strcasecmp(d->qname, host) != 0)
                continue;
            if (!dns_failed(d)) {
                seen = 0;
                break;
            }
            if ((d->claimed && !d->scheduled) || asked_by_waiting(cx, d, t) || seen >= WHY_JOIN_MAX)
                continue;
            ring[seen++] = d;
        }
        x->bgdns_after = seen > 0;
    }
    x->nbgdns = seen < WHY_JOIN_MAX ? seen : WHY_JOIN_MAX;
    for (uint32_t i = 0; i < x->nbgdns; i++)
        x->bgdns[i] = ring[(seen - 1 - i) % WHY_JOIN_MAX];
    if (x->nbgdns || cx->force_bg)
        return;
    x->bg_other = cx->force_checks ? NULL : other_name_failing(cx, t, from, host);
    /* the gateway's failed checks, the latest per server last: from the first record of
     * the window on (records are in the order of their first packet unless the capture's
     * clock went back; then every record is walked) */
    struct rec_range r = {.start = cx->st->rhead, .pre_cap = WHY_BG_PRE_ROOM};
    r.pre = r.pre_room;
    if (!cx->exhaustive && !cx->st->conns_unordered) {
        /* up to the records begun by t's answer: a later one is neither near t nor a check
         * before it (its refusal or ICMP came after its SYN, within the reorder tolerance) */
        struct why_ts oldest = why_ts_add_us(from, -(WHY_SKEW_US + WHY_ORDER_SLACK_US));
        range_set(cx, t, oldest, why_store_rec_upto(cx->st, why_ts_add_us(t->resp_first_ts, WHY_SKEW_US)), &r);
    }
    for (struct why_conn_rec *rc = range_next(cx, &r, NULL); rc; rc = range_next(cx, &r, rc)) {
        const struct why_conn *c = why_rec_conn(rc);
        /* (with an attempt near and one to rc's server kept, rc changes neither: a backend
         * refusing every attempt of a busy gateway is not asked again for each) */
        if (c->syn_count == 0 || (x->attempt_near && server_near(x, c)))
            continue;
        /* near within the remote holddown: the diagnosis weighs it; held down longer (a
         * local error, 10 s): another reading only, or every request of those 10 s would be
         * in doubt for a backend few of them use */
        bool near = attempt_near(cx, rc, t, WHY_HOLDDOWN_US);
        if (near && !x->attempt_near)
            x->attempt_near = rc;
        if (near || (why_join_holddown_us(c) > WHY_HOLDDOWN_US && attempt_near(cx, rc, t, WHY_HOLDDOWN_LOCAL_US)))
            keep_near(x, rc, near);
    }
    /* the last check of each server, in the order of those last checks */
    struct why_conn_rec *last[WHY_BG_SERVERS_MAX];
    uint32_t nlast = last_checks(cx, t, from, &r, last);
    for (uint32_t i = 0; i < nlast; i++) {
        if (!check_failed(last[i])) {
            /* passed: a check only on a schedule (an answered request of a client not yet
             * decided is the gateway's own HTTP too, until its request claims it) */
            if (why_join_scheduled_loose(cx, last[i]))
                x->nchecks_ok++;
        } else if (x->nchecks < WHY_JOIN_MAX) {
            x->checks[x->nchecks++] = last[i];
        }
    }
    if (r.pre_heap)
        free(r.pre);
}

#define WHY_BG_ATTEMPTS_MAX 256 /* attempts to one server looked at for a schedule (cap) */

#define WHY_BG_PERIOD_MAX_US (30LL * 1000000) /* longest schedule looked for */

#define WHY_BG_TS_MAX (WHY_BG_ATTEMPTS_MAX + 8) /* times a schedule test looks at (cap) */

static int by_us64(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return (a > b) - (a < b);
}

/* Sorts d[0..n) ascending. The times come from the server-address index newest first, so d
 * is mostly descending: reversed, then an insertion sort moves the few out of place (the
 * nearest ones neighbours_keep_time puts first, a capture's times out of order), O(n) where
 * qsort made O(n log n) comparator calls at each of a join's many questions; qsort again
 * when more are out of place than that. */
static void sort_us64(int64_t *d, uint32_t n)
{
    if (n > 1 && d[0] > d[n - 1])
        for (uint32_t i = 0, j = n - 1; i < j; i++, j--) {
            int64_t v = d[i];
            d[i] = d[j];
            d[j] = v;
        }
    uint64_t moves = 0, budget = 8u * (uint64_t)n;
    for (uint32_t i = 1; i < n && moves <= budget; i++) {
        int64_t v = d[i];
        uint32_t j = i;
        for (; j > 0 && d[j - 1] > v; j--)
            d[j] = d[j - 1];
        d[j] = v;
        moves += i - j;
    }
    if (moves > budget)
        qsort(d, n, sizeof d[0], by_us64);
}

/* The first of d[0..n) (sorted) at or above v. */
static uint32_t lower_us(const int64_t *d, uint32_t n, int64_t v)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (d[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* t is on a schedule at period p: at least min - 1 of the times at t + k*p (k = -6..6,
 * k != 0), each within p/div. d[0..n) are those times less t's, sorted. div > 2, so the
 * windows of the k do not overlap and each time counts for one k at most: two binary
 * searches per k, not a walk of every time. With `slots`, a slot counts once however many
 * times fall in it (for the beat a path keeps: neighbours_keep_time). */
static bool on_period(const int64_t *d, uint32_t n, uint32_t min, int64_t p, int64_t div, bool slots)
{
    uint32_t hits = 0;
    if (n == 0)
        return hits + 1 >= min;
    for (int k = -6; k <= 6 && hits + 1 < min; k++) {
        int64_t at = (int64_t)k * p, q = p / div;
        if (k == 0 || at + q < d[0] || at - q > d[n - 1])
            continue; /* (a window past either end holds none) */
        uint32_t in = lower_us(d, n, at + q + 1) - lower_us(d, n, at - q);
        hits += slots && in > 1 ? 1 : in;
    }
    return hits + 1 >= min;
}

/* The distances from t to ts[0..n), at most WHY_BG_TS_MAX of them, sorted into d: what
 * period_in looks at. Returns how many. */
static uint32_t distances(struct why_ts t, const struct why_ts *ts, uint32_t n, int64_t *d)
{
    n = n < WHY_BG_TS_MAX ? n : WHY_BG_TS_MAX;
    for (uint32_t i = 0; i < n; i++)
        d[i] = why_ts_diff_us(t, ts[i]);
    sort_us64(d, n);
    return n;
}

/* A period P in [WHY_BG_PERIOD_MIN_US, WHY_BG_PERIOD_MAX_US], one of the distances d[0..n)
 * (distances()), at which t is on a schedule within P/div (on_period): the shortest, or with
 * `any` one found; 0 if none. */
static int64_t period_in(const int64_t *d, uint32_t n, uint32_t min, int64_t div, bool any, bool slots)
{
    int64_t best = 0;
    for (uint32_t c = 0; c < n; c++) {
        int64_t p = d[c] < 0 ? -d[c] : d[c];
        if (p < WHY_BG_PERIOD_MIN_US || p > WHY_BG_PERIOD_MAX_US || (best && p >= best))
            continue;
        if (on_period(d, n, min, p, div, slots)) {
            best = p;
            if (any)
                break;
        }
    }
    return best;
}

/* period_in over the distances from t to ts[0..n). */
static int64_t schedule_period(struct why_ts t, const struct why_ts *ts, uint32_t n, uint32_t min, int64_t div,
                               bool any, bool slots)
{
    int64_t d[WHY_BG_TS_MAX];
    return period_in(d, distances(t, ts, n, d), min, div, any, slots);
}

static int by_time(const void *a, const void *b);


/* drifting_schedule (below) over all[0..total), t among them, sorted by time. */
static bool drifting_sorted(struct why_ts t, const struct why_ts *all, uint32_t total, uint32_t min)
{
    if (total < min || min < 2 || min > WHY_BG_PERIODIC_MIN)
        return false;
    uint32_t at = 0; /* t's place (the first of equal times) */
    while (why_ts_cmp(all[at], t) < 0)
        at++;
    for (uint32_t s = at + 1 >= min ? at + 1 - min : 0; s <= at && s + min <= total; s++) {
        int64_t gap[WHY_BG_PERIODIC_MIN], sorted[WHY_BG_PERIODIC_MIN];
        bool ok = true;
        for (uint32_t k = 0; k + 1 < min && ok; k++) {
            gap[k] = why_ts_diff_us(all[s + k], all[s + k + 1]);
            ok = gap[k] >= WHY_BG_PERIOD_MIN_US && gap[k] <= WHY_BG_PERIOD_MAX_US;
        }
        if (!ok)
            continue;
        memcpy(sorted, gap, (min - 1) * sizeof gap[0]);
        qsort(sorted, min - 1, sizeof sorted[0], by_us64);
        int64_t med = sorted[(min - 1) / 2];
        for (uint32_t k = 0; k + 1 < min && ok; k++)
            ok = (gap[k] > med ? gap[k] - med : med - gap[k]) <= med / 4;
        if (ok)
            return true;
    }
    return false;
}

/* t and ts[0..n) hold a run of min attempts in a row, t among them, each following the one
 * before after a period that drifts: every gap between WHY_BG_PERIOD_MIN_US and
 * WHY_BG_PERIOD_MAX_US and within a quarter of the run's median gap. Apache's checks
 * (mod_proxy_hcheck: the next is due an interval after the last one ended, seen on a
 * watchdog's 100 ms tick) came 1.07, 1.18, 1.14 and 1.37 s apart on a loaded machine
 * (races/run1): no fixed period fits the first of them with four others, while the store
 * still holds only those four. all[0..n) are the others; t is put at all[n], then all sorted. */
static bool drifting_schedule(struct why_ts t, struct why_ts *all, uint32_t n, uint32_t min)
{
    if (n + 1 < min || min < 2 || min > WHY_BG_PERIODIC_MIN)
        return false;
    all[n] = t; /* (room for it: see the caller) */
    qsort(all, n + 1, sizeof all[0], by_time);
    return drifting_sorted(t, all, n + 1, min);
}


#define WHY_BG_LOOSE 4  /* Apache's checks drift by up to a quarter of their interval (each
                           is due an interval after the last one ended, on a 100 ms watchdog) */
#define WHY_BG_TIGHT 16 /* HAProxy's keep their interval within a few ms while unloaded */
#define WHY_BG_EARLY 8  /* where they keep time, a check comes no sooner than 1/8 of their
                           period before its due time after the last one */
#define WHY_BG_NEIGHBOURS 8 /* attempts nearest a loose one that say whether its path keeps time */

/* On a schedule within p/4 (WHY_BG_LOOSE), some period p. */
static bool on_schedule(struct why_ts t, const struct why_ts *ts, uint32_t n, uint32_t min)
{
    return schedule_period(t, ts, n, min, WHY_BG_LOOSE, true, false) != 0;
}

/* a and b are within the shorter/WHY_BG_TIGHT of each other, or the longer of twice the
 * shorter: one beat, read at its period or at half of it (every other slot of the half grid
 * filled). No looser, nor further multiples: drifting checks (Apache's, HAProxy's on a loaded
 * machine) give periods that some multiple of another always comes near. */
static bool same_beat(int64_t a, int64_t b)
{
    if (a <= 0 || b <= 0)
        return false;
    int64_t lo = a < b ? a : b, hi = a < b ? b : a;
    int64_t d = hi - (hi - lo <= lo / WHY_BG_TIGHT ? lo : 2 * lo);
    return (d < 0 ? -d : d) <= lo / WHY_BG_TIGHT;
}

/* Of the periods of t's k nearest attempts (nearest first), the one they keep, or 0: what
 * neighbours_keep_time (below) returns. */
static int64_t keeping_period(const int64_t *period, uint32_t k)
{
    /* The first whose period enough of them share. Failing that: a neighbour's shortest
     * tight period may be half the others', another attempt half a period from it (a
     * request's try) filling every other slot of the half grid, which then fits as well as
     * the whole (live lab, 2 December: HAProxy's checks of 198.19.0.12 every 0.5 s, two of
     * them read at 0.25 s beside two's try; four agreeing of eight, the path was taken not to
     * keep time and rst's retry between two checks passed as a check on the loose fit). They
     * keep the same time: the period most of them found, when enough agree up to that half. */
    int64_t best = 0;
    uint32_t best_same = 0;
    for (uint32_t i = 0; i < k; i++) {
        uint32_t same = 0, agree = 0;
        for (uint32_t j = 0; j < k && period[i]; j++) {
            int64_t d = period[j] - period[i];
            same += period[j] && (d < 0 ? -d : d) <= period[i] / WHY_BG_TIGHT;
            agree += same_beat(period[i], period[j]);
        }
        if (same >= WHY_BG_PERIODIC_MIN)
            return period[i];
        if (agree >= WHY_BG_PERIODIC_MIN && same > best_same) {
            best = period[i];
            best_same = same;
        }
    }
    return best;
}

/* Of ts[0..n) (t's path, t left out), the attempts nearest t keep time: at least
 * WHY_BG_PERIODIC_MIN of the WHY_BG_NEIGHBOURS nearest are on a tight schedule (p/16) of one
 * period P (within P/16 of each other, or else one of them twice the other: same_beat).
 * Returns P, or 0. ts is reordered. */
static int64_t neighbours_keep_time(struct why_ts t, struct why_ts *ts, uint32_t n)
{
    uint32_t k = n < WHY_BG_NEIGHBOURS ? n : WHY_BG_NEIGHBOURS;
    int64_t period[WHY_BG_NEIGHBOURS];
    /* the k nearest to t first (selection: k passes) */
    for (uint32_t i = 0; i < k; i++) {
        uint32_t best = i;
        int64_t bd = INT64_MAX;
        for (uint32_t j = i; j < n; j++) {
            int64_t d = why_ts_diff_us(t, ts[j]);
            d = d < 0 ? -d : d;
            if (d < bd) {
                bd = d;
                best = j;
            }
        }
        struct why_ts tmp = ts[i];
        ts[i] = ts[best];
        ts[best] = tmp;
    }
    for (uint32_t i = 0; i < k; i++) {
        struct why_ts r = ts[i];
        ts[i] = t; /* the others of r: t in its place */
        /* slots: two attempts in one slot are one beat at most (races/run31, live lab 3 December:
         * beside HAProxy's checks of 198.19.0.12 every 0.5 s, rst's and two's tries 18 ms
         * apart, counted twice in one slot, gave a check a 0.4 s period nothing keeps, the
         * checks were taken not to keep time, and rst's retries 1 s apart passed as checks
         * on the loose fit) */
        period[i] = schedule_period(r, ts, n, WHY_BG_PERIODIC_MIN, WHY_BG_TIGHT, false, true);
        ts[i] = r;
    }
    return keeping_period(period, k);
}


/* Where attempts keep time at period p, t follows the beat on side dir (-1: before, 1:
 * after): an attempt of ts[0..n) from p - p/WHY_BG_EARLY to 3p/2 away there (a check is due an interval
 * after the last one, or a little later when the gateway is busy), or none at all nearer
 * (the edge of what the store holds, or a pause). An attempt nearer with none in that range
 * puts t off the beat. */
static bool beat(struct why_ts t, const struct why_ts *ts, uint32_t n, int64_t p, int dir)
{
    bool nearer = false;
    for (uint32_t i = 0; i < n; i++) {
        int64_t d = dir * why_ts_diff_us(t, ts[i]);
        if (d >= p - p / WHY_BG_EARLY && d <= p + p / 2)
            return true;
        nearer |= d > 0 && d < p - p / WHY_BG_EARLY;
    }
    return !nearer;
}

/* beat() over d[0..n), the distances from t to the others, sorted: two binary searches. */
static bool beat_sorted(const int64_t *d, uint32_t n, int64_t p, int dir)
{
    int64_t lo = p - p / WHY_BG_EARLY, hi = p + p / 2;
    uint32_t i = dir > 0 ? lower_us(d, n, lo) : lower_us(d, n, -hi);
    if (i < n && d[i] <= (dir > 0 ? hi : -lo))
        return true;
    /* nearer: one in (0, lo) on that side */
    i = dir > 0 ? lower_us(d, n, 1) : lower_us(d, n, -lo + 1);
    return !(i < n && (dir > 0 ? d[i] < lo : d[i] < 0));
}

enum sched_mode { SCHED_LOOSE, SCHED_STRICT, SCHED_TIGHT };
static bool scheduled(const struct why_join_ctx *cx, const struct why_conn_rec *rc, enum sched_mode mode, bool gone);
static bool scheduled_strict(const struct why_join_ctx *cx, const struct why_conn_rec *rc)
{
    return scheduled(cx, rc, SCHED_STRICT, false);
}

static bool scheduled_tight(const struct why_join_ctx *cx, const struct why_conn_rec *rc)
{
    return scheduled(cx, rc, SCHED_TIGHT, false);
}

static bool scheduled_loose(const struct why_join_ctx *cx, const struct why_conn_rec *rc)
{
    return scheduled(cx, rc, SCHED_LOOSE, false);
}

bool why_join_cached(const struct why_join_ctx *cx, enum why_sched_q q, const struct why_conn_rec *rc,
                     bool (*answer)(const struct why_join_ctx *cx, const struct why_conn_rec *rc))
{
    struct why_sched_cache *k = cx->sched;
    if (!k)
        return answer(cx, rc);
    size_t i = rc->seq & (WHY_SCHED_CACHE - 1);
    bool by_server = q != WHY_SCHED_Q_GOES_ON;
    uint64_t ver = by_server ? why_store_conns_version(cx->st, rc) : k->gen;
    uint32_t gw_gen = by_server ? cx->gw->gen : 0;
    if (k->e[q][i].seq == rc->seq && k->e[q][i].ver == ver && k->e[q][i].gw_gen == gw_gen)
        return k->e[q][i].yes;
    bool v = answer(cx, rc);
    k->e[q][i].seq = rc->seq;
    k->e[q][i].ver = ver;
    k->e[q][i].gw_gen = gw_gen;
    k->e[q][i].yes = v;
    return v;
}

/* A refused address draws many attempts, and each request's join asks this of each of them
 * (why_join_retry_after_refusal, chain_prev): the answer is kept while the records to that
 * server stay as they were. */
bool why_join_scheduled(const struct why_join_ctx *cx, const struct why_conn_rec *rc)
{
    return why_join_cached(cx, WHY_SCHED_Q_SCHEDULED, rc, scheduled_strict);
}

bool why_join_scheduled_loose(const struct why_join_ctx *cx, const struct why_conn_rec *rc)
{
    return why_join_cached(cx, WHY_SCHED_Q_LOOSE, rc, scheduled_loose);
}

bool why_join_on_beat(const struct why_join_ctx *cx, const struct why_conn_rec *rc)
{
    return why_join_cached(cx, WHY_SCHED_Q_TIGHT, rc, scheduled_tight);
}

/* o is one of c's path's attempts (it sent a SYN). */
static bool path_attempt(const struct why_conn_rec *o, const struct why_conn *c)
{
    const struct why_conn *oc = why_rec_conn(o);
    return oc->syn_count > 0 && why_addr_eq(&oc->cli_addr, &c->cli_addr) && why_addr_eq(&oc->srv_addr, &c->srv_addr) &&
           oc->srv_port == c->srv_port;
}

/* sp's times by time, from its records' ts[0..n) and their order by_time. */
static void path_place(struct why_sched_path *sp)
{
    sp->us_exact = true;
    for (uint32_t k = 0; k < sp->n; k++) {
        struct why_ts t = sp->ts[sp->by_time[k]];
        sp->place[sp->by_time[k]] = (uint16_t)k;
        sp->period_known[k] = false;
        sp->tt[k] = t;
        sp->us[k] = t.sec * 1000000 + t.nsec / 1000;
        sp->us_exact &= t.nsec % 1000 == 0;
    }
}

/* The held attempts of sp's path after records only came to its bucket or went from it
 * since it was read (why_store_conns_cut the same): those gone taken out, those from the head
 * down to the one that was the head then put before the ones held (the last held drop out
 * past WHY_SCHED_PATH_HELD), merged into their order by time. The order a full reading gives:
 * by time, and at one time the later in the index's order first. False where it cannot tell
 * (more gone than the store remembers, or a held one gone while WHY_SCHED_PATH_HELD were held:
 * the next one unknown): sp is to be read anew, which is this from an empty path (head_seq 0,
 * gone the store's count), every record new. */
static bool path_sync(const struct why_join_ctx *cx, struct why_sched_path *sp, const struct why_conn_rec *head,
                      const struct why_conn_rec *rc)
{
    const struct why_conn *c = why_rec_conn(rc);
    uint16_t to[WHY_SCHED_PATH_HELD]; /* each held one's new place; UINT16_MAX: gone */
    uint32_t out = 0;
    for (uint64_t g = why_store_conns_gone_last(cx->st, rc), prev; g > sp->gone; g = prev) {
        uint64_t seq = why_store_conns_gone(cx->st, g, &prev);
        if (!seq)
            return false;
        if (seq > sp->head_seq)
            continue;
        uint32_t lo = 0, hi = sp->n; /* (seq falls with the place) */
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (sp->seq[mid] > seq)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == sp->n || sp->seq[lo] != seq)
            continue;
        if (sp->n == WHY_SCHED_PATH_HELD)
            return false;
        if (!out++)
            memset(to, 0, sp->n * sizeof to[0]);
        to[lo] = UINT16_MAX;
    }
    if (out) { /* out: the places after each move down, and so do their numbers in by_time */
        uint32_t j = 0;
        for (uint32_t k = 0; k < sp->n; k++)
            if (to[k] != UINT16_MAX) {
                to[k] = (uint16_t)j;
                sp->seq[j] = sp->seq[k];
                sp->ts[j++] = sp->ts[k];
            }
        j = 0;
        for (uint32_t k = 0; k < sp->n; k++)
            if (to[sp->by_time[k]] != UINT16_MAX)
                sp->by_time[j++] = to[sp->by_time[k]];
        sp->n = j;
    }
    sp->gone = why_store_conns_ngone(cx->st);
    uint64_t seq[WHY_SCHED_PATH_HELD];
    struct why_ts ts[WHY_SCHED_PATH_HELD];
    uint32_t m = 0;
    for (const struct why_conn_rec *o = head; o && o->seq >= sp->head_seq && m < WHY_SCHED_PATH_HELD;
         o = why_store_conns_next(o)) {
        why_store_conns_ahead(o);
        /* (the head then: its SYN may be new, so it counts unless held) */
        if (o->seq == sp->head_seq && sp->n && sp->seq[0] == o->seq)
            break;
        if (path_attempt(o, c)) {
            seq[m] = o->seq;
            ts[m++] = why_rec_conn(o)->first_ts;
        }
    }
    sp->head_seq = head ? head->seq : 0;
    if (!m) {
        if (out)
            path_place(sp);
        return true;
    }
    uint32_t keep = sp->n < WHY_SCHED_PATH_HELD - m ? sp->n : WHY_SCHED_PATH_HELD - m;
    /* the new ones by time, the later in the index (the higher place) first at one time:
     * inserted oldest first (the index holds them newest first, so each insertion moves the
     * few out of order) */
    uint16_t nb[WHY_SCHED_PATH_HELD], ob[WHY_SCHED_PATH_HELD];
    for (uint32_t k = 0; k < m; k++) {
        uint32_t i = m - 1 - k, j = k;
        while (j > 0 && why_ts_cmp(ts[nb[j - 1]], ts[i]) > 0) {
            nb[j] = nb[j - 1];
            j--;
        }
        nb[j] = (uint16_t)i;
    }
    uint32_t no = 0;
    for (uint32_t k = 0; k < sp->n; k++)
        if (sp->by_time[k] < keep)
            ob[no++] = (uint16_t)(sp->by_time[k] + m);
    memmove(sp->seq + m, sp->seq, keep * sizeof sp->seq[0]);
    memmove(sp->ts + m, sp->ts, keep * sizeof sp->ts[0]);
    memcpy(sp->seq, seq, m * sizeof seq[0]);
    memcpy(sp->ts, ts, m * sizeof ts[0]);
    sp->n = m + keep;
    /* merged: at one time the held ones (later in the index) first */
    for (uint32_t k = 0, a = 0, b = 0; k < sp->n; k++)
        sp->by_time[k] = b == m || (a < no && why_ts_cmp(sp->ts[ob[a]], sp->ts[nb[b]]) <= 0) ? ob[a++] : nb[b++];
    path_place(sp);
    return true;
}

/* The attempts of rc's path as scheduled() reads them (the first WHY_SCHED_PATH_HELD records
 * of the server-address index on that path, rc among them or not), kept in the join's cache
 * while that server's records stay as they were, and brought up to date where records only
 * came or went (path_sync): a join asks the schedule of each of a refused server's many
 * attempts, and each read the same records and sorted the same times, and each new
 * connection to a server read its path anew. NULL without the cache. */
static struct why_sched_path *sched_path(const struct why_join_ctx *cx, const struct why_conn_rec *rc)
{
    if (!cx->sched)
        return NULL;
    const struct why_conn *c = why_rec_conn(rc);
    uint64_t w[4];
    memcpy(w, c->srv_addr.a, sizeof w / 2);
    memcpy(w + 2, c->cli_addr.a, sizeof w / 2);
    uint64_t h = ((((w[0] * 0x9e3779b97f4a7c15u) ^ w[1] ^ c->srv_port) * 0xbf58476d1ce4e5b9u ^ w[2]) * 0x9e3779b97f4a7c15u ^
                  w[3]) * 0xbf58476d1ce4e5b9u;
    struct why_sched_path *sp = &cx->sched->path[(h >> 40) & (WHY_SCHED_PATHS - 1)];
    uint64_t ver = why_store_conns_version(cx->st, rc);
    bool same = sp->valid && sp->port == c->srv_port && why_addr_eq(&sp->srv, &c->srv_addr) &&
                why_addr_eq(&sp->cli, &c->cli_addr);
    if (same && sp->ver == ver)
        return sp;
    struct why_conn_rec *head = why_store_conns_to(cx->st, &c->srv_addr);
    uint64_t cut = why_store_conns_cut(cx->st, rc);
    if (same && sp->cut == cut && path_sync(cx, sp, head, rc)) {
        sp->ver = ver;
        return sp;
    }
    /* read anew: an empty path brought up to date from the whole index (nothing gone since,
     * every record new) */
    sp->valid = true;
    sp->tt = sp->tt_room + WHY_PATH_CHECKS;
    sp->us = sp->us_room + WHY_PATH_CHECKS;
    sp->ver = ver;
    sp->cut = cut;
    sp->head_seq = 0;
    sp->gone = why_store_conns_ngone(cx->st);
    sp->cli = c->cli_addr;
    sp->srv = c->srv_addr;
    sp->port = c->srv_port;
    sp->n = 0;
    path_sync(cx, sp, head, rc);
    return sp;
}

/* The first of sp's held attempts (tt, by time) at t or after: sp->n if none. */
static uint32_t held_from(const struct why_sched_path *sp, struct why_ts t)
{
    uint32_t lo = 0, hi = sp->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (why_ts_cmp(sp->tt[mid], t) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

#define WHY_BG_BUSY_US 1000000 /* the span either side of an attempt path_busy counts in */
#define WHY_BG_BUSY 17           /* attempts of one path in that span, the one judged among them,
                                    that checks can make: it, 8 more every WHY_BG_PERIOD_MIN_US,
                                    and a request's retry beside each */

/* rc's path drew more than WHY_BG_BUSY attempts within WHY_BG_BUSY_US either side of rc: busy
 * with requests, whose tries fill every slot of any grid, so a schedule fits any of them and
 * tells no check (retry bench, 4 December: HAProxy's requests tried a refusing server 110
 * times a second, and 134 answers of 503 that tried no server, of a backend down by its checks
 * of another server and of one whose server's name did not resolve, were read as that
 * server's failing checks). rc older than the WHY_SCHED_PATH_HELD attempts of its path held
 * (sched_path): busy where those came at more than that rate. */
static bool path_busy(const struct why_join_ctx *cx, const struct why_conn_rec *rc)
{
    const struct why_conn *c = why_rec_conn(rc);
    struct why_ts lo = why_ts_add_us(c->first_ts, -WHY_BG_BUSY_US), hi = why_ts_add_us(c->first_ts, WHY_BG_BUSY_US);
    uint32_t n = 0;
    const struct why_sched_path *sp = sched_path(cx, rc);
    if (sp && sp->n == WHY_SCHED_PATH_HELD && why_ts_cmp(c->first_ts, sp->tt[0]) < 0)
        return why_ts_diff_us(sp->tt[0], sp->tt[sp->n - 1]) <
               (int64_t)sp->n * 2 * WHY_BG_BUSY_US / (WHY_BG_BUSY + 1);
    if (sp) {
        for (uint32_t k = held_from(sp, lo); k < sp->n && n <= WHY_BG_BUSY && why_ts_cmp(sp->tt[k], hi) <= 0; k++)
            n++;
        return n > WHY_BG_BUSY;
    }
    for (struct why_conn_rec *o = why_store_conns_to(cx->st, &c->srv_addr); o && n <= WHY_BG_BUSY;
         o = why_store_conns_next(o)) {
        const struct why_conn *oc = why_rec_conn(o);
        n += path_attempt(o, c) && why_ts_cmp(oc->first_ts, lo) >= 0 && why_ts_cmp(oc->first_ts, hi) <= 0;
    }
    return n > WHY_BG_BUSY;
}

bool why_join_path_busy(const struct why_join_ctx *cx, const struct why_conn_rec *rc)
{
    return why_join_cached(cx, WHY_SCHED_Q_BUSY, rc, path_busy);
}

/* rc's place among the path's held attempts, or WHY_SCHED_PATH_HELD: the index lists records
 * newest first, so their sequence numbers fall (why_store_conns_to). */
static uint32_t held_place(const struct why_sched_path *sp, const struct why_conn_rec *rc)
{
    uint32_t lo = 0, hi = sp->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (sp->seq[mid] > rc->seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < sp->n && sp->seq[lo] == rc->seq ? lo : WHY_SCHED_PATH_HELD;
}

/* The attempts a schedule test reads besides the one it judges, sorted once: tt[0..n) by time
 * but the one at place skip (n: none), us the same in microseconds where `exact` (all on whole
 * microseconds: their differences are why_ts_diff_us's). With `memo` (a path's held attempts,
 * the one judged at skip), the neighbours' periods are kept in it. */
struct sched_set {
    const struct why_ts *tt;
    const int64_t *us;
    uint32_t n, skip;
    bool exact;
    struct why_sched_path *memo;
};

/* The distances from t to the set's attempts but the one at place a, in time order (so
 * ascending) into d; how many. */
static uint32_t set_distances(const struct sched_set *s, struct why_ts t, uint32_t a, int64_t *d)
{
    uint32_t n = 0;
    if (s->exact && t.nsec % 1000 == 0) {
        /* the three runs around a and skip, one subtraction an attempt */
        int64_t ut = t.sec * 1000000 + t.nsec / 1000;
        uint32_t cut[3] = {a < s->skip ? a : s->skip, a < s->skip ? s->skip : a, s->n};
        for (uint32_t r = 0, k = 0; r < 3; r++) {
            uint32_t end = cut[r] < s->n ? cut[r] : s->n;
            if (end > k) { /* (a run of its own: one subtraction a time, vectorised) */
                const int64_t *restrict from = s->us + k;
                int64_t *restrict to = d + n;
                for (uint32_t j = 0; j < end - k; j++)
                    to[j] = from[j] - ut;
                n += end - k;
            }
            k = end + 1;
        }
        return n;
    }
    for (uint32_t k = 0; k < s->n; k++)
        if (k != a && k != s->skip)
            d[n++] = why_ts_diff_us(t, s->tt[k]);
    return n;
}

/* The shortest tight period of the attempt at place q among the others of the test that
 * judges t (the set but q, and t): neighbours_keep_time's question of a neighbour. With a memo,
 * t is the one at skip, so the answer is the path's own, kept while the path is. */
static int64_t set_period(const struct sched_set *s, uint32_t q, struct why_ts t)
{
    if (s->memo && s->memo->period_known[q])
        return s->memo->period[q];
    int64_t d[WHY_BG_TS_MAX + 1];
    uint32_t n = set_distances(s, s->tt[q], q, d);
    /* t in its place: the distances grow with the times */
    int64_t dt = why_ts_diff_us(s->tt[q], t);
    uint32_t at = lower_us(d, n, dt);
    memmove(&d[at + 1], &d[at], (n - at) * sizeof d[0]);
    d[at] = dt;
    int64_t p = period_in(d, n + 1, WHY_BG_PERIODIC_MIN, WHY_BG_TIGHT, false, true);
    if (s->memo) {
        s->memo->period[q] = p;
        s->memo->period_known[q] = true;
    }
    return p;
}

/* neighbours_keep_time over the set, d[0..n) t's distances to it in time order: t's nearest
 * found from its place outwards (d[j] is the attempt at place j, or j + 1 past skip). -1 where
 * two at one distance on either side (not at one time) make their order one that
 * neighbours_keep_time takes from the index's. */
static int64_t set_neighbours(const struct sched_set *s, struct why_ts t, const int64_t *d, uint32_t n)
{
    uint32_t k = n < WHY_BG_NEIGHBOURS ? n : WHY_BG_NEIGHBOURS;
    int64_t period[WHY_BG_NEIGHBOURS];
    uint32_t lo = lower_us(d, n, 0), hi = lo; /* d[lo..hi) taken; at one time, either side */
    for (uint32_t i = 0; i < k; i++) {
        int64_t dl = lo > 0 ? -d[lo - 1] : INT64_MAX, dh = hi < n ? d[hi] : INT64_MAX;
        if (dl == dh && dl != 0)
            return -1;
        uint32_t j = dl < dh ? --lo : hi++;
        period[i] = set_period(s, j < s->skip ? j : j + 1, t);
    }
    return keeping_period(period, k);
}

/* scheduled() for t judged against the set: the same answer as scheduled_any over those
 * times, with no copy or sort of them, binary searches where it walked them, and the
 * neighbours' periods kept with a memo; -1 where it cannot say (set_neighbours). */
static int scheduled_set(const struct sched_set *s, struct why_ts t, enum sched_mode mode)
{
    int64_t d[WHY_BG_TS_MAX];
    uint32_t n = set_distances(s, t, s->skip, d);
    if (!period_in(d, n, WHY_BG_PERIODIC_MIN, WHY_BG_LOOSE, true, false)) {
        if (mode == SCHED_TIGHT)
            return 0;
        /* the set with t in its place */
        struct why_ts all[WHY_BG_TS_MAX + 1];
        uint32_t m = 0;
        bool put = false;
        for (uint32_t k = 0; k < s->n; k++) {
            if (k == s->skip)
                continue;
            if (!put && why_ts_cmp(s->tt[k], t) >= 0) {
                all[m++] = t;
                put = true;
            }
            all[m++] = s->tt[k];
        }
        if (!put)
            all[m++] = t;
        return drifting_sorted(t, all, m, WHY_BG_PERIODIC_MIN);
    }
    if (mode == SCHED_LOOSE || period_in(d, n, WHY_BG_PERIODIC_MIN, WHY_BG_TIGHT, true, false))
        return 1;
    int64_t p = set_neighbours(s, t, d, n);
    if (p < 0)
        return -1;
    if (!p)
        return mode != SCHED_TIGHT;
    return beat_sorted(d, n, p, -1) && beat_sorted(d, n, p, 1);
}

/* The set scheduled_any reads for rc, from its path's held attempts (sched_path): rc left
 * out, or, where rc is not held and more than WHY_BG_ATTEMPTS_MAX are, the last held in the
 * index's order; with `gone`, and the path's checks already pruned: put in the room before
 * sp's times where they all came before those (the set read from there), else merged into tt
 * and us (room for WHY_BG_TS_MAX). A memo where rc is held and nothing is added. */
static void path_set(const struct why_join_ctx *cx, struct why_sched_path *sp, const struct why_conn_rec *rc,
                     bool gone, struct sched_set *s, struct why_ts *tt, int64_t *us)
{
    const struct why_conn *c = why_rec_conn(rc);
    uint32_t self = held_place(sp, rc);
    uint32_t skip = self < WHY_SCHED_PATH_HELD     ? sp->place[self]
                    : sp->n > WHY_BG_ATTEMPTS_MAX ? sp->place[sp->n - 1]
                                                  : sp->n;
    *s = (struct sched_set){sp->tt, sp->us, sp->n, skip, sp->us_exact, self < WHY_SCHED_PATH_HELD ? sp : NULL};
    struct why_ts old[WHY_PATH_CHECKS];
    uint32_t nold = gone ? why_store_checks_gone(cx->st, c, old, WHY_PATH_CHECKS) : 0, nadd = 0;
    /* those not held (one held at the same time is the same check, pruned with rc) */
    for (uint32_t i = 0; i < nold; i++) {
        bool dup = false;
        for (uint32_t k = held_from(sp, old[i]); k < sp->n && !dup && why_ts_cmp(sp->tt[k], old[i]) == 0; k++)
            dup = k != skip;
        if (!dup)
            old[nadd++] = old[i];
    }
    if (!nadd)
        return;
    for (uint32_t i = 1; i < nadd; i++) /* (a few: WHY_PATH_CHECKS) */
        for (uint32_t k = i; k > 0 && why_ts_cmp(old[k - 1], old[k]) > 0; k--) {
            struct why_ts v = old[k];
            old[k] = old[k - 1];
            old[k - 1] = v;
        }
    bool exact = sp->us_exact;
    if (sp->n == 0 || why_ts_cmp(old[nadd - 1], sp->tt[0]) < 0) {
        /* all before the held ones (the usual: pruning takes the oldest): in the room before
         * them, the one left out as it was */
        for (uint32_t i = 0; i < nadd; i++) {
            exact &= old[i].nsec % 1000 == 0;
            sp->us[(int64_t)i - nadd] = old[i].sec * 1000000 + old[i].nsec / 1000;
            sp->tt[(int64_t)i - nadd] = old[i];
        }
        *s = (struct sched_set){sp->tt - nadd, sp->us - nadd, sp->n + nadd, skip + nadd, exact, NULL};
        return;
    }
    uint32_t m = 0, j = 0;
    for (uint32_t k = 0; k <= sp->n; k++) {
        while (j < nadd && (k == sp->n || why_ts_cmp(old[j], sp->tt[k]) < 0)) {
            exact &= old[j].nsec % 1000 == 0;
            us[m] = old[j].sec * 1000000 + old[j].nsec / 1000;
            tt[m++] = old[j++];
        }
        if (k < sp->n && k != skip) {
            us[m] = sp->us[k];
            tt[m++] = sp->tt[k];
        }
    }
    *s = (struct sched_set){tt, us, m, m, exact, NULL};
}

static bool scheduled_any(const struct why_join_ctx *cx, const struct why_conn_rec *rc, enum sched_mode mode,
                          bool gone, const struct why_sched_path *sp);

/* With `gone`, the path's checks already pruned count too (why_store_checks_gone). SCHED_LOOSE:
 * any grid within a quarter of its period, or a drifting run; SCHED_STRICT: and, where the
 * attempts around keep time, on their beat; SCHED_TIGHT: only a grid within 1/16, or the beat
 * of neighbours that keep time. From the path's times as the cache sorted them (scheduled_set),
 * else by a walk of the index (scheduled_any): the same answers. */
static bool scheduled(const struct why_join_ctx *cx, const struct why_conn_rec *rc, enum sched_mode mode, bool gone)
{
    const struct why_conn *c = why_rec_conn(rc);
    if (!why_gw_is_gateway(cx->gw, &c->cli_addr))
        return false;
    struct why_sched_path *sp = sched_path(cx, rc);
    if (sp) {
        struct sched_set set;
        struct why_ts tt[WHY_BG_TS_MAX];
        int64_t us[WHY_BG_TS_MAX];
        path_set(cx, sp, rc, gone, &set, tt, us);
        int v = scheduled_set(&set, c->first_ts, mode);
        if (v >= 0)
            return v != 0;
    }
    return scheduled_any(cx, rc, mode, gone, sp);
}

/* scheduled() by the attempts' times copied and sorted for each question: without the cache,
 * and where scheduled_set cannot say. */
static bool scheduled_any(const struct why_join_ctx *cx, const struct why_conn_rec *rc, enum sched_mode mode,
                          bool gone, const struct why_sched_path *sp)
{
    const struct why_conn *c = why_rec_conn(rc);
    /* + WHY_PATH_CHECKS: the checks gone; + 1: drifting_schedule adds rc's */
    struct why_ts ts[WHY_BG_ATTEMPTS_MAX + WHY_PATH_CHECKS + 1];
    int64_t d[WHY_BG_TS_MAX];
    uint32_t n = 0, nd = 0;
    if (sp) {
        /* the path's attempts without rc: the first WHY_BG_ATTEMPTS_MAX others in the
         * index's order, and, from the ones sorted once, the distances in order (d is each
         * time less rc's: ascending with the times) */
        uint32_t skip = WHY_SCHED_PATH_HELD; /* the one left out: rc, or the last held */
        for (uint32_t i = 0; i < sp->n && skip == WHY_SCHED_PATH_HELD; i++)
            if (sp->seq[i] == rc->seq)
                skip = i;
        if (skip == WHY_SCHED_PATH_HELD && sp->n > WHY_BG_ATTEMPTS_MAX)
            skip = sp->n - 1;
        for (uint32_t i = 0; i < sp->n; i++)
            if (i != skip)
                ts[n++] = sp->ts[i];
        for (uint32_t k = 0; k < sp->n; k++)
            if (sp->by_time[k] != skip)
                d[nd++] = why_ts_diff_us(c->first_ts, sp->ts[sp->by_time[k]]);
    } else {
        /* the server-address index: the records to that address (and a few of its hash bucket) */
        for (struct why_conn_rec *o = why_store_conns_to(cx->st, &c->srv_addr); o && n < WHY_BG_ATTEMPTS_MAX;
             o = why_store_conns_next(o)) {
            if (o != rc && path_attempt(o, c))
                ts[n++] = why_rec_conn(o)->first_ts;
        }
    }
    uint32_t held = n;
    struct why_ts old[WHY_PATH_CHECKS];
    uint32_t nold = gone ? why_store_checks_gone(cx->st, c, old, WHY_PATH_CHECKS) : 0;
    for (uint32_t i = 0; i < nold; i++) {
        bool dup = false; /* pruned with rc: still held */
        for (uint32_t k = 0; k < held && !dup; k++)
            dup = why_ts_cmp(ts[k], old[i]) == 0;
        if (!dup)
            ts[n++] = old[i];
    }
    /* on_schedule, then the tight fit, over the same distances sorted once (the checks gone
     * added to the held ones' sorted distances: a few) */
    if (!sp || n > held)
        nd = distances(c->first_ts, ts, n, d);
    if (!period_in(d, nd, WHY_BG_PERIODIC_MIN, WHY_BG_LOOSE, true, false))
        /* no grid fits even loosely: a run of attempts in a row whose period drifts (Apache's
         * checks on a loaded machine) keeps no time, so its neighbours could not say more */
        return mode != SCHED_TIGHT && drifting_schedule(c->first_ts, ts, n, WHY_BG_PERIODIC_MIN);
    if (mode == SCHED_LOOSE || period_in(d, nd, WHY_BG_PERIODIC_MIN, WHY_BG_TIGHT, true, false))
        return true;
    /* On a schedule only within a quarter of its period. Where the checks keep time, a
     * quarter of a period around each check covers half the timeline (a server checked
     * every 0.5 s fills every window of any grid of 1 s or more), so any attempt there fits
     * some loose grid: a request's retry (HAProxy's, 1 s after the refusal, between two
     * checks 0.1 s from one) is no check. There t must follow their beat on both sides
     * (beat); where the attempts around t do not keep time (Apache's drifting checks) the
     * loose fit says t is one. */
    int64_t p = neighbours_keep_time(c->first_ts, ts, n);
    if (!p)
        return mode != SCHED_TIGHT;
    return beat(c->first_ts, ts, n, p, -1) && beat(c->first_ts, ts, n, p, 1);
}

#define WHY_BG_ROUND_GAP_US 2000 /* one check round's connections to a balancer's servers begin
                                    this close (Apache's mod_proxy_hcheck checks each member on
                                    one watchdog tick: 0.13-0.19 ms apart in races/run26) */
#define WHY_BG_ROUND_WALK 64      /* records walked each way from one for its round (cap) */

static bool own_check(const struct why_join_ctx *cx, const struct why_conn_rec *o)
{
    return own_http(o) && !why_join_carries_client_request(cx, o);
}

/* The gateway's own check (its own HTTP request, no client's) to another server than c's,
 * begun within WHY_BG_ROUND_GAP_US of c, while c is its path's only attempt that close: the
 * connection, or NULL. Records are walked in their order of creation from rc, which is that of
 * their first packet unless the capture's clock went back (then none is looked for). */
static const struct why_conn_rec *round_partner(const struct why_join_ctx *cx, const struct why_conn_rec *rc)
{
    const struct why_conn *c = why_rec_conn(rc);
    const struct why_conn_rec *found = NULL;
    for (int dir = -1; dir <= 1; dir += 2) {
        const struct why_conn_rec *o = dir < 0 ? rc->rprev : rc->rnext;
        for (int k = 0; o && k < WHY_BG_ROUND_WALK; k++, o = dir < 0 ? o->rprev : o->rnext) {
            int64_t d = why_ts_diff_us(c->first_ts, o->first_ts); /* (the record's copy: its
                                                                     connection is read only
                                                                     within the round) */
            if ((d < 0 ? -d : d) > WHY_BG_ROUND_GAP_US)
                break;
            const struct why_conn *oc = why_rec_conn(o);
            if (oc->syn_count == 0 || !why_addr_eq(&oc->cli_addr, &c->cli_addr))
                continue;
            if (why_join_same_path(oc, c))
                return NULL; /* two attempts of its path in one round: which is the check? */
            if (!found && own_check(cx, o))
                found = o;
        }
    }
    return found;
}

/* c's path has exactly one attempt begun within WHY_BG_ROUND_GAP_US of t. */
static bool one_attempt_at(const struct why_join_ctx *cx, const struct why_conn *c, struct why_ts t)
{
    uint32_t n = 0, looked = 0;
    for (struct why_conn_rec *o = why_store_conns_to(cx->st, &c->srv_addr); o && looked < WHY_BG_ATTEMPTS_MAX;
         o = why_store_conns_next(o)) {
        const struct why_conn *oc = why_rec_conn(o);
        if (oc->syn_count == 0 || !why_join_same_path(oc, c))
            continue;
        looked++;
        int64_t d = why_ts_diff_us(t, oc->first_ts);
        n += (d < 0 ? -d : d) <= WHY_BG_ROUND_GAP_US;
    }
    return n == 1;
}

bool why_join_check_round(const struct why_join_ctx *cx, const struct why_conn_rec *rc)
{
    const struct why_conn *c = why_rec_conn(rc);
    if (c->established || cx->st->conns_unordered || !why_gw_is_gateway(cx->gw, &c->cli_addr))
        return false;
    const struct why_conn_rec *p = round_partner(cx, rc);
    if (!p)
        return false;
    /* the partner's server's checks, in time order */
    const struct why_conn *pc = why_rec_conn(p);
    struct why_ts ts[WHY_BG_ATTEMPTS_MAX];
    uint32_t n = 0;
    for (struct why_conn_rec *o = why_store_conns_to(cx->st, &pc->srv_addr); o && n < WHY_BG_ATTEMPTS_MAX;
         o = why_store_conns_next(o))
        if (o != p && why_join_same_path(why_rec_conn(o), pc) && own_check(cx, o))
            ts[n++] = why_rec_conn(o)->first_ts;
    qsort(ts, n, sizeof ts[0], by_time);
    /* the check before the partner's and the one after (or the two before or after, at the
     * store's edge) were each made in one round with one attempt of c's path: the two paths
     * are checked together, round after round, not met by chance (HAProxy's checks of two
     * servers drift into one millisecond and out again: races/run7) */
    uint32_t at = 0;
    while (at < n && why_ts_cmp(ts[at], pc->first_ts) < 0)
        at++;
    uint32_t lo = at >= 1 ? at - 1 : at, hi = at + 1 <= n ? at + 1 : at; /* ts[lo..hi): the two nearest */
    if (hi - lo < 2 && lo > 0)
        lo--;
    if (hi - lo < 2 && hi < n)
        hi++;
    if (hi - lo < 2)
        return false;
    for (uint32_t i = lo; i < hi; i++)
        if (!one_attempt_at(cx, c, ts[i]))
            return false;
    return true;
}

bool why_join_unjoined_check(const struct why_join_ctx *cx, struct why_conn_rec *rc, struct why_join *x)
{
    /* Judged as it goes, when the checks before it on its path may be gone already: those
     * found to be checks as they went count too (races/run1: Apache's checks of 198.19.0.12
     * at 0, 1.07, 2.25, 3.39 and 4.76 s, drifting, the first three pruned before the fourth
     * was judged; the store held only those after it). The requests around them were decided
     * while they were held: only this judgement needs them. */
    if (!scheduled(cx, rc, SCHED_LOOSE, true))
        return false;
    return why_join_alone(x, rc); /* this check alone: the others may be requests' */
}

static int by_time(const void *a, const void *b)
{
    return why_ts_cmp(*(const struct why_ts *)a, *(const struct why_ts *)b);
}

/* t and ts[0..n) hold at least min lookups within WHY_BG_PERIOD_MAX_US of t, each at least
 * WHY_BG_PERIOD_MIN_US after the one before: the gateway asks again and again on its own
 * (HAProxy's resolvers retry a failing name every timeout.retry, then every hold period, so
 * the spacing drifts between 0.5 and 1.2 s and no single period fits; a request's own retries
 * come sooner, and its lookups are claimed by it before this is asked). */
static bool repeated(struct why_ts t, struct why_ts *ts, uint32_t n, uint32_t min)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        int64_t d = why_ts_diff_us(t, ts[i]);
        if ((d < 0 ? -d : d) <= WHY_BG_PERIOD_MAX_US)
            ts[k++] = ts[i];
    }
    ts[k++] = t;
    qsort(ts, k, sizeof ts[0], by_time);
    uint32_t lookups = 1;
    struct why_ts last = ts[0];
    for (uint32_t i = 1; i < k && lookups < min; i++)
        if (why_ts_diff_us(last, ts[i]) >= WHY_BG_PERIOD_MIN_US) {
            lookups++;
            last = ts[i];
        }
    return lookups >= min;
}

/* a is the gateway; or the capture's own host while nothing has told yet who the gateway is
 * (a capture missing the gateway's upstream leg judges its first lookups before the first
 * request reaches it). */
static bool gateway_asks(const struct why_gateways *g, const struct why_addr *a)
{
    struct why_addr any;
    return why_gw_is_gateway(g, a) || (why_gw_is_local(g, a) && why_gw_list(g, &any, 1) == 0);
}

/* The remembered lookups of d's name, or NULL. */
static struct why_bg_name *bg_name(struct why_store *st, const struct why_dns_rec *d)
{
    for (uint32_t i = 0; i < st->nbg_names; i++) {
        struct why_bg_name *b = &st->bg_names[i];
        if (b->nkey == d->nkey && b->qtype == d->qtype && why_addr_eq(&b->cli, &d->cli))
            return b;
    }
    return NULL;
}

/* The latest of b's times (what it was last told). */
static struct why_ts bg_name_seen(const struct why_bg_name *b)
{
    struct why_ts t = b->last;
    for (uint32_t k = 0; k < b->ngone && k < WHY_BG_GONE_MAX; k++)
        if (why_ts_cmp(b->gone[k], t) > 0)
            t = b->gone[k];
    return t;
}

/* The entry of d's name, made if there is none (the name told longest ago gives way at the
 * cap). */
static struct why_bg_name *bg_name_get(struct why_store *st, const struct why_dns_rec *d)
{
    struct why_bg_name *b = bg_name(st, d);
    if (b)
        return b;
    if (st->nbg_names < WHY_BG_NAMES_MAX) {
        b = &st->bg_names[st->nbg_names++];
    } else {
        b = &st->bg_names[0];
        for (uint32_t i = 1; i < st->nbg_names; i++)
            if (why_ts_cmp(bg_name_seen(&st->bg_names[i]), bg_name_seen(b)) < 0)
                b = &st->bg_names[i];
        st->bg_names_over++;
    }
    memset(b, 0, sizeof *b);
    b->nkey = d->nkey;
    b->qtype = d->qtype;
    b->cli = d->cli;
    return b;
}

/* d is on its name's schedule: remembered, so that a later lookup still counts once the
 * records that proved it are gone. */
static void bg_name_keep(struct why_store *st, const struct why_dns_rec *d)
{
    struct why_bg_name *b = bg_name_get(st, d);
    if (!b->known || why_ts_cmp(d->q_ts, b->last) > 0)
        b->last = d->q_ts;
    b->known = true;
}

void why_join_background_gone(const struct why_join_ctx *cx, const struct why_dns_rec *d)
{
    if (!gateway_asks(cx->gw, &d->cli) || (d->claimed && !d->scheduled) || !why_join_dns_failed(d))
        return;
    struct why_bg_name *b = bg_name_get(cx->st, d);
    /* the latest WHY_BG_GONE_MAX: the oldest gives way */
    uint32_t k = 0;
    if (b->ngone < WHY_BG_GONE_MAX)
        k = b->ngone++;
    else
        for (uint32_t i = 1; i < WHY_BG_GONE_MAX; i++)
            if (why_ts_cmp(b->gone[i], b->gone[k]) < 0)
                k = i;
    if (b->ngone < WHY_BG_GONE_MAX || why_ts_cmp(d->q_ts, b->gone[k]) > 0)
        b->gone[k] = d->q_ts;
}

bool why_join_background_dns(const struct why_join_ctx *cx, const struct why_dns_rec *d)
{
    if (!gateway_asks(cx->gw, &d->cli))
        return false;
    /* a name already known on the schedule: a lookup within a period of its last one */
    const struct why_bg_name *known = bg_name(cx->st, d);
    if (known && known->known) {
        int64_t since = why_ts_diff_us(known->last, d->q_ts);
        if ((since < 0 ? -since : since) <= WHY_BG_PERIOD_MAX_US) {
            bg_name_keep(cx->st, d);
            return true;
        }
    }
    /* the other lookups of this name (same type) by this host (and room for d's own) */
    struct why_ts ts[WHY_BG_ATTEMPTS_MAX + WHY_BG_GONE_MAX + 1];
    uint32_t n = 0;
    for (const struct why_dns_rec *o = why_store_dns_by_name(cx->st, d->nkey); o && n < WHY_BG_ATTEMPTS_MAX;
         o = why_store_dns_name_next(o)) {
        if (o == d || o->qtype != d->qtype || !why_addr_eq(&o->cli, &d->cli) ||
            strcmp(o->qname, d->qname) != 0)
            continue;
        ts[n++] = o->q_ts;
    }
    /* and those no request asked that pruning took already */
    for (uint32_t k = 0; known && k < known->ngone && k < WHY_BG_GONE_MAX; k++)
        ts[n++] = known->gone[k];
    if (!on_schedule(d->q_ts, ts, n, WHY_BG_LOOKUPS_MIN) && !repeated(d->q_ts, ts, n, WHY_BG_LOOKUPS_MIN))
        return false;
    bg_name_keep(cx->st, d);
    return true;
}

#define WHY_FALLBACK_US (3LL * 1000000) /* the next address is tried within this */

#define WHY_FALLBACK_SEEN 16 /* names and addresses a fallback test remembers having looked at */

/* a is among seen[0..n) (n at most WHY_FALLBACK_SEEN); else it is added while there is room. */
static bool fallback_seen(struct why_addr *seen, uint32_t *n, const struct why_addr *a)
{
    for (uint32_t i = 0; i < *n; i++)
        if (why_addr_eq(&seen[i], a))
            return true;
    if (*n < WHY_FALLBACK_SEEN)
        seen[(*n)++] = *a;
    return false;
}

bool why_join_moved_on(const struct why_join_ctx *cx, const struct why_conn_rec *rc, int64_t early, bool spoke)
{
    const struct why_conn *c = why_rec_conn(rc);
    struct why_ts end = why_join_attempt_end(rc);
    for (const struct why_conn_rec *n = rc->rnext; n; n = n->rnext) {
        const struct why_conn *nc = why_rec_conn(n);
        int64_t gap = why_ts_diff_us(end, nc->first_ts);
        if (gap > WHY_FAILOVER_US && !cx->st->conns_unordered)
            break; /* records are in the order of their first packet */
        if (nc->syn_count && gap >= -early && gap <= WHY_FAILOVER_US && why_addr_eq(&nc->cli_addr, &c->cli_addr) &&
            !why_addr_eq(&nc->srv_addr, &c->srv_addr) &&
            (!spoke || (nc->established && (why_rec_http(n) || n->app == WHY_APP_TLS))))
            return true;
    }
    return false;
}

/* rc, a gateway's failed attempt no request took, went to one address of a name whose other
 * address the same gateway reached right after (happy eyeballs, the next address of a list),
 * or to a server a balancer moved on from at once: the request went on there; x gets rc alone
 * (claimed, no incident). */
bool why_join_unjoined_fallback(const struct why_join_ctx *cx, struct why_conn_rec *rc, struct why_join *x)
{
    const struct why_conn *c = why_rec_conn(rc);
    if (!why_gw_is_gateway(cx->gw, &c->cli_addr))
        return false;
    /* a balancer's next server (nginx's and Apache's `two`: 198.19.0.12 refused, 198.19.0.10
     * answered 96 us later) */
    if (why_join_moved_on(cx, rc, WHY_SKEW_US, true))
        return why_join_alone(x, rc);
    /* A name's lookups (by one host) and an address's connections give the same answer each
     * time they are looked at: each is looked at once (a name looked up on every request has
     * as many records at the address, each with the same other addresses). */
    const struct why_dns_rec *names[WHY_FALLBACK_SEEN];
    uint32_t nnames = 0;
    struct why_addr addrs[WHY_FALLBACK_SEEN];
    uint32_t naddrs = 0;
    for (struct why_dns_alink *l = why_store_dns_by_addr(cx->st, &c->srv_addr); l; l = l->next) {
        const struct why_dns_rec *d = l->rec;
        /* the index's list holds the other addresses of its bucket too */
        if (!why_gw_is_gateway(cx->gw, &d->cli) || !why_addr_eq(why_dns_alink_addr(l), &c->srv_addr))
            continue;
        bool seen = false;
        for (uint32_t i = 0; i < nnames && !seen; i++)
            seen = names[i]->nkey == d->nkey && why_addr_eq(&names[i]->cli, &d->cli) &&
                   strcmp(names[i]->qname, d->qname) == 0;
        if (seen)
            continue;
        if (nnames < WHY_FALLBACK_SEEN)
            names[nnames++] = d;
        /* the name's other addresses: in this answer, or in the other type's answer */
        for (const struct why_dns_rec *o = why_store_dns_by_name(cx->st, d->nkey); o; o = why_store_dns_name_next(o)) {
            if (strcmp(o->qname, d->qname) != 0 || !why_addr_eq(&o->cli, &d->cli))
                continue;
            for (uint32_t i = 0; i < o->naddrs && i < WHY_DNS_REC_ADDRS; i++) {
                if (why_addr_eq(&o->addrs[i], &c->srv_addr) || fallback_seen(addrs, &naddrs, &o->addrs[i]))
                    continue;
                for (const struct why_conn_rec *n = why_store_conns_to(cx->st, &o->addrs[i]);
                     n && !why_join_conns_before(cx, n, c->first_ts); n = n->anext) {
                    const struct why_conn *nc = why_rec_conn(n);
                    int64_t after = why_ts_diff_us(c->first_ts, nc->first_ts);
                    if (nc->established && nc->srv_port == c->srv_port && why_addr_eq(&nc->srv_addr, &o->addrs[i]) &&
                        why_addr_eq(&nc->cli_addr, &c->cli_addr) && after >= -WHY_SKEW_US &&
                        after <= WHY_FALLBACK_US)
                        return why_join_alone(x, rc);
                }
            }
        }
    }
    return false;
}

#define WHY_RETRY_US (2LL * 1000000) /* a client repeats a request this soon after losing it */

/* ok, a client's request answered below 500, repeats lost, one the same client lost just
 * before: same method, host and target, sent on another connection to the same gateway
 * address, no answer, that connection closed by the gateway (curl and browsers repeat once a
 * request lost on a kept-alive connection). */
static bool repeats(const struct why_txn *ok, const struct why_txn *lost)
{
    const struct why_conn *oc = why_rec_conn(ok->rc), *qc = why_rec_conn(lost->rc);
    int64_t before = why_ts_diff_us(lost->req_ts, ok->req_ts);
    return ok->has_resp && ok->status < 500 && !lost->has_resp && lost->rc != ok->rc &&
           before >= 0 && before <= WHY_RETRY_US &&
           (qc->half[WHY_S2C].end->fin_frame || qc->half[WHY_S2C].end->rst_frame) &&
           why_addr_eq(&qc->cli_addr, &oc->cli_addr) && why_addr_eq(&qc->srv_addr, &oc->srv_addr) &&
           qc->srv_port == oc->srv_port && strcmp(lost->method, ok->method) == 0 &&
           strcmp(lost->host, ok->host) == 0 && lost->target_len == ok->target_len &&
           (!lost->target_len || memcmp(lost->target, ok->target, lost->target_len) == 0);
}

void why_join_repeats(const struct why_join_ctx *cx, struct why_join *x)
{
    const struct why_txn *t = x->client;
    const struct why_half_end *te = why_rec_conn(t->rc)->half[WHY_S2C].end;
    /* t can repeat one only when answered below 500, be one repeated only when unanswered on
     * a connection the gateway closed (repeats()) */
    bool ok = t->has_resp && t->status < 500, lost = !t->has_resp && (te->fin_frame || te->rst_frame);
    if (!ok && !lost)
        return;
    /* only queued requests with t's method, host, target and connection ends can qualify, and
     * of those only the ones sent within WHY_RETRY_US before t (t repeats them) or after it
     * (they repeat t): the bucket is in the order sent, so only that span [lo, hi] is read (a
     * microsecond wider each side: repeats() measures in whole microseconds), newest first as
     * the walk of the whole bucket met them. A busy client asking for one URL (a load test)
     * puts thousands in one bucket, and each of its decisions read them all. A lost t is
     * repeated only by one answered below 500: with none such in the bucket (a storm of
     * clients giving up, each waiting WHY_RETRY_US for its repeat), none is read. */
    struct why_ts lo = why_ts_add_us(t->req_ts, ok ? -(WHY_RETRY_US + 1) : -1);
    struct why_ts hi = why_ts_add_us(t->req_ts, ok ? 1 : WHY_RETRY_US + 1);
    uint32_t nok = 0;
    struct why_txn *first = why_store_queued_like_from(cx->st, t, lo, &nok), *last = NULL;
    if (!ok && nok == 0)
        return;
    for (struct why_txn *q = first; q && why_ts_cmp(q->req_ts, hi) <= 0; q = q->lnext)
        last = q;
    for (struct why_txn *q = last; q && x->nrepeated < WHY_JOIN_MAX; q = q == first ? NULL : q->lprev) {
        if (q == t)
            continue;
        if (!q->decided && repeats(t, q))
            x->repeated[x->nrepeated++] = q;        /* t is the repeat: the lost one waits */
        if (repeats(q, t) && x->nrepeated < WHY_JOIN_MAX)
            x->repeated[x->nrepeated++] = x->client; /* t is the lost one: its repeat waits */
    }
}

/* An unanswered request on a connection the gateway closed waits this much longer for its
 * decision: its client may repeat it (why_join_repeats). */
int64_t why_join_repeat_wait(const struct why_txn *t)
{
    const struct why_conn *c = why_rec_conn(t->rc);
    if (t->has_resp || (!c->half[WHY_S2C].end->fin_frame && !c->half[WHY_S2C].end->rst_frame))
        return 0;
    return WHY_RETRY_US;
}

#define WHY_RETRY_TIMER_MIN_US 500000     /* a gateway's retry timer: sooner is another request */
#define WHY_RETRY_TIMER_MAX_US (3LL * 1000000)

bool why_join_retry_after_refusal(const struct why_join_ctx *cx, const struct why_conn *refused,
                                  const struct why_conn_rec *rc)
{
    struct why_ts end = refused->half[WHY_S2C].end->rst_frame ? refused->half[WHY_S2C].end->rst_ts
                                                               : refused->more->icmp_ts;
    int64_t wait = why_ts_diff_us(end, why_rec_conn(rc)->first_ts);
    return wait >= WHY_RETRY_TIMER_MIN_US && wait <= WHY_RETRY_TIMER_MAX_US && !why_join_scheduled(cx, rc);
}
