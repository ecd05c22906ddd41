/* Failures no request was joined to, found when their records are pruned (a capture taken on
 * a client, or a gateway whose client leg is not in the capture): failed connection attempts,
 * TLS failures, failed DNS lookups. Each is grouped with its kin (a host's retries) into a
 * join; like the request join it only reads. why_join_apply claims for both. */
#include <string.h>
#include <strings.h>

#include "correlate/join.h"

bool why_join_conn_failed(const struct why_conn_rec *rc)
{
    const struct why_conn *c = rc->c;
    if (rc->claimed || c->midstream || c->syn_count == 0 || c->established)
        return false;
    /* one unanswered SYN may just be the end of the capture; a retry, a RST or an ICMP
     * error is a failure */
    return c->half[WHY_S2C].end->rst_frame || c->more->icmp_frame || c->syn_count >= 2;
}

/* o was opened after prev had sent its last SYN: a retry, not a parallel connection. */
static bool attempt_follows(const struct why_conn_rec *prev, const struct why_conn_rec *o)
{
    const struct why_conn *p = prev->c;
    uint32_t n = p->syn_count < WHY_SYN_TRIES_MAX ? p->syn_count : WHY_SYN_TRIES_MAX;
    return n == 0 || why_ts_cmp(o->c->first_ts, why_conn_syn_ts(p, n - 1)) > 0;
}

/* A client request not decided yet was waiting when o began: o may still be its attempt (its
 * join takes it, or tells why not, when it is decided). */
static bool undecided_waiting(const struct why_join_ctx *cx, const struct why_conn_rec *o)
{
    struct why_ts at = why_rec_conn(o)->syn_ts0;
    for (const struct why_txn *q = cx->st->qhead; q && !why_join_queue_past(cx, q, at, WHY_CAUSAL_US); q = q->qnext)
        if (why_ts_diff_us(q->req_first_ts, at) >= -WHY_CAUSAL_US &&
            (!q->has_resp || why_ts_diff_us(at, q->resp_first_ts) >= -WHY_CAUSAL_US))
            return true;
    return false;
}

/* o, a later failure of the gateway's at last's path, is a retry of last's: begun within
 * WHY_CHAIN_GAP_US of last's end (a gateway tries a server again at once or after a short
 * timer: HAProxy's retries, Squid's forward_max_tries, nginx's proxy_next_upstream; what comes
 * later is another failure's). Any other host's later failures at the path all are (a
 * client's own retries back off as its program likes). */
static bool chain_gap_ok(const struct why_join_ctx *cx, const struct why_conn_rec *last, const struct why_conn_rec *o)
{
    if (!why_gw_is_gateway(cx->gw, &why_rec_conn(o)->cli_addr))
        return true;
    return why_ts_diff_us(why_join_attempt_end(last), why_rec_conn(o)->syn_ts0) <= WHY_CHAIN_GAP_US;
}

/* o, a gateway's attempt within a chain's reach, is not the chain's: one of the gateway's own
 * checks (its schedule is not a request's retrying), or one a request still waiting may claim
 * (races/run1: a chain begun by a check took the refusal of `rst`, decided later, 4.4 s on). */
static bool chain_skips(const struct why_join_ctx *cx, const struct why_conn_rec *o)
{
    return why_gw_is_gateway(cx->gw, &why_rec_conn(o)->cli_addr) &&
           (why_join_scheduled(cx, o) || undecided_waiting(cx, o));
}

void why_join_unjoined_conn(const struct why_join_ctx *cx, struct why_conn_rec *rc, struct why_join *x)
{
    memset(x, 0, sizeof *x);
    /* rc, then the host's later failed attempts at the same address and port (retrying from
     * new ports), oldest first: from the index of attempts not seen to connect, by path,
     * newest first, a ring keeping the last ones walked */
    struct why_conn_rec *ring[WHY_JOIN_MAX];
    uint64_t seen = 0;
    for (struct why_conn_rec *o = why_store_attempts(cx->st, rc->c); o;
         o = why_store_attempts_next(cx->st, o)) {
        if (o == rc || o->c->id <= rc->c->id || !why_addr_eq(&o->c->cli_addr, &rc->c->cli_addr) ||
            !why_addr_eq(&o->c->srv_addr, &rc->c->srv_addr) || o->c->srv_port != rc->c->srv_port ||
            !why_join_conn_failed(o))
            continue;
        ring[seen++ % WHY_JOIN_MAX] = o;
    }
    /* the evidence names each end by the roles cached in the records: a retry no join looked
     * at since the gateway's addresses were learnt would still hold the older ones */
    why_gw_roles(cx->gw, rc);
    x->attempts[x->nattempts++] = rc;
    uint64_t n = seen < WHY_JOIN_MAX - 1 ? seen : WHY_JOIN_MAX - 1;
    /* each retry after the last SYN of the one before: connections open at the same time
     * are not retries of one another (each keeps its own SYN schedule, RFC 6298) */
    for (uint64_t i = 0; i < n; i++) {
        struct why_conn_rec *o = ring[(seen - 1 - i) % WHY_JOIN_MAX];
        struct why_conn_rec *last = x->attempts[x->nattempts - 1];
        if (!attempt_follows(last, o) || chain_skips(cx, o))
            continue;
        if (!chain_gap_ok(cx, last, o))
            break; /* the chain ended: what comes after is another failure's */
        why_gw_roles(cx->gw, o);
        x->attempts[x->nattempts++] = o;
    }
    x->up_conn = rc;
}

bool why_join_unjoined_covered(const struct why_join_ctx *cx, struct why_conn_rec *rc, struct why_join *x)
{
    const struct why_conn *c = why_rec_conn(rc);
    if (!why_gw_is_gateway(cx->gw, &c->cli_addr) ||
        !why_store_req_path_waited(cx->st, c, c->syn_ts0, WHY_CAUSAL_US))
        return false;
    return why_join_alone(x, rc);
}

bool why_join_tls_failed(const struct why_conn_rec *rc)
{
    if (rc->tls->reneg_frame && !rc->tls->reneg_renegotiated)
        return true;
    if (rc->tls->cert_problem && !why_rec_tls_sent_data(rc))
        return true; /* the gateway left after seeing the certificate */
    if (rc->tls->alert_frame && rc->tls->alert_level == 2 && !rc->tls->appdata[WHY_S2C])
        return true;
    return why_rec_tls_handshake_cut(rc);
}

/* x is a gateway's TLS client leg and the one attempt upstream that explains its failure. */
static void two_legs(struct why_join *x, struct why_conn_rec *up, struct why_conn_rec *cli)
{
    x->attempts[0] = up;
    x->nattempts = 1;
    x->up_conn = up;
    x->client_conn = cli;
}

/* A gateway that passes TLS through (HAProxy `mode tcp`, nginx `stream`, an SNI router) sends
 * its client's ClientHello upstream unchanged: the two legs of one handshake carry the same
 * random, which no other pair of connections has. rc is either leg. The client leg is the one
 * whose ClientHello came first; the other came from another address (the gateway's; a
 * transparent one that keeps its client's address is not told), to another server, while the
 * client leg was open. The upstream leg failed as rc did (the same records, relayed), and the
 * join holds both: the incident is the origin's answer to the client's handshake. */
static bool passthrough_join(const struct why_join_ctx *cx, struct why_conn_rec *rc, struct why_join *x)
{
    struct why_conn_rec *tw[WHY_HELLO_SAME - 1];
    uint32_t n = why_store_hello_twins(cx->st, rc, tw);
    for (uint32_t i = 0; i < n; i++) {
        struct why_conn_rec *o = tw[i];
        if (o->app != WHY_APP_TLS || o->claimed)
            continue;
        struct why_conn_rec *cli, *up;
        if (!why_store_hello_relay(rc, o, &cli, &up) || !why_join_tls_failed(up))
            continue;
        why_gw_roles(cx->gw, cli);
        why_gw_roles(cx->gw, up);
        if (cli->gw_cli || up->gw_srv)
            continue; /* the roles the gateways' sets give say otherwise */
        two_legs(x, up, cli);
        x->passthrough = true;
        return true;
    }
    return false;
}

#define WHY_RELAY_WALK 4096 /* failed attempts relay_cut_join reads (cap), newest first */
#define WHY_RELAY_CUT_US 1000000 /* a refusal (RST, ICMP) the gateway's cut follows within */

/* A gateway that relays TLS (passes it through, or any TCP relay) connects upstream once the
 * ClientHello told it where (its SNI), or at once on accept; when that connection fails it
 * closes the client's, which then ends in the handshake. rc is a client leg the gateway cut so:
 * before the server's side of the handshake began, after the client's ClientHello. Its attempt
 * is the gateway's failed connection (refused, an ICMP error, SYNs again) begun while rc was
 * open and failed before the cut (a refusal at most WHY_RELAY_CUT_US before it; SYNs sent again
 * until the gateway's connect timeout, however long): of those, the first begun after the
 * ClientHello, else the first after rc's first packet. Not at a server that ends TLS itself
 * and never passed a handshake through (why_store_tls_front_terminates): a terminator reads the
 * request before it dials, so its cut is not its upstream's failure. The walk reads the
 * attempts not connected made from rc's first packet (less the records' lag) to the cut,
 * newest first, at most WHY_RELAY_WALK failed ones: not the connections that carried data,
 * however many. */
static bool relay_cut_join(const struct why_join_ctx *cx, struct why_conn_rec *rc, struct why_join *x)
{
    const struct why_conn *c = why_rec_conn(rc);
    if (rc->gw_cli || !why_rec_tls_handshake_cut(rc) || why_store_tls_front_terminates(cx->st, c))
        return false; /* (a server that ends TLS itself read the request before it dialled) */
    const struct why_half_end *e = c->half[WHY_S2C].end;
    bool by_rst = e->rst_frame && (!e->fin_frame || e->rst_frame < e->fin_frame);
    struct why_ts cut = by_rst ? e->rst_ts : e->fin_ts;
    struct why_ts hello = c->half[WHY_C2S].first_data_ts;
    struct why_ts from = why_ts_add_us(c->first_ts, -WHY_SKEW_US);
    struct why_conn_rec *best = NULL;
    bool best_after = false;
    uint32_t walked = 0;
    /* the store's list of attempts not connected, by creation (with --exhaustive every
     * record), from the newest made by the cut, back to those begun before rc less the lag */
    struct why_conn_rec *upto = why_store_rec_upto(cx->st, why_ts_add_us(cut, WHY_SKEW_US));
    struct why_ts lo = why_ts_add_us(from, -cx->st->rlag_us);
    for (struct why_conn_rec *o = !upto ? NULL : cx->exhaustive ? upto : why_store_try_upto(cx->st, upto, WHY_TRIES_FAILED);
         o && walked < WHY_RELAY_WALK; o = cx->exhaustive ? o->rprev : why_store_try_prev(cx->st, o, WHY_TRIES_FAILED)) {
        if (why_ts_cmp(o->first_ts, lo) < 0)
            break;
        if (o == rc || !why_join_conn_failed(o))
            continue; /* (not counted: --exhaustive reads the others too) */
        walked++;
        if (why_ts_cmp(o->first_ts, from) < 0 || why_ts_cmp(o->first_ts, cut) > 0)
            continue;
        why_gw_roles(cx->gw, o);
        const struct why_conn *oc = why_rec_conn(o);
        struct why_ts failed_at = oc->half[WHY_S2C].end->rst_frame ? oc->half[WHY_S2C].end->rst_ts
                                : oc->more->icmp_frame ? oc->more->icmp_ts : cut;
        /* the gateway's: by its roles, or the address rc went to, or both this host's own
         * (a capture on the relay itself, before any HTTP made it known as a gateway) */
        bool gws = o->gw_cli || why_addr_eq(&oc->cli_addr, &c->srv_addr) ||
                   (why_gw_is_local(cx->gw, &oc->cli_addr) && why_gw_is_local(cx->gw, &c->srv_addr));
        if (o->gw_srv || !gws ||
            why_ts_diff_us(cut, why_conn_last_ts(oc)) > WHY_SKEW_US || why_ts_diff_us(failed_at, cut) > WHY_RELAY_CUT_US)
            continue; /* not the gateway's, still trying after the cut, or refused long before */
        bool after = why_ts_diff_us(hello, o->first_ts) >= -WHY_SKEW_US;
        if (!best || (after && !best_after) || (after == best_after && why_ts_cmp(o->first_ts, best->first_ts) <= 0)) {
            best = o;
            best_after = after;
        }
    }
    if (!best)
        return false;
    two_legs(x, best, rc);
    x->relay_cut = true;
    x->end_ts = cut; /* the client leg given up: the gateway's give-up */
    x->end_frame = by_rst ? e->rst_frame : e->fin_frame;
    return true;
}

/* rc is a failed TLS connection nothing claimed: one leg of a handshake a gateway passed
 * through, with the other; a client leg a relay cut, with the gateway's failed attempt; or a
 * gateway's TLS connection on which the origin failed (the client leg is HTTPS too, so no
 * request could be read), with the client's TLS connection the gateway was serving then (same
 * SNI first). */
void why_join_unjoined_tls(const struct why_join_ctx *cx, struct why_conn_rec *rc, struct why_join *x)
{
    memset(x, 0, sizeof *x);
    why_gw_roles(cx->gw, rc);
    if (passthrough_join(cx, rc, x) || relay_cut_join(cx, rc, x))
        return;
    x->attempts[x->nattempts++] = rc;
    x->up_conn = rc;
    if (!rc->gw_cli)
        return; /* not the gateway's own connection: no client leg to find */
    struct why_ts when = rc->tls->reneg_frame ? rc->tls->reneg_ts
                         : rc->tls->alert_frame ? rc->tls->alert_ts : rc->c->first_ts;
    /* the first such connection in creation order, the first with rc's SNI if any: the walk
     * ends at that one, or at the newest record begun by the failure (with --exhaustive, at
     * the last record) */
    struct why_conn_rec *upto =
        cx->exhaustive ? cx->st->rtail : why_store_rec_upto(cx->st, why_ts_add_us(when, WHY_SKEW_US));
    for (struct why_conn_rec *o = upto ? cx->st->rhead : NULL, *end = upto ? upto->rnext : NULL; o != end;
         o = o->rnext) {
        if (o == rc || o->app != WHY_APP_TLS || o->claimed)
            continue;
        why_gw_roles(cx->gw, o);
        const struct why_conn *oc = why_rec_conn(o);
        if (!o->gw_srv || o->gw_cli || why_ts_diff_us(oc->first_ts, when) < -WHY_SKEW_US)
            continue;
        if (o->closed && why_ts_cmp(why_conn_last_ts(oc), when) < 0)
            continue; /* gone before the failure */
        if (strcmp(o->tls->sni, rc->tls->sni) == 0) {
            x->client_conn = o;
            break;
        }
        if (!x->client_conn)
            x->client_conn = o;
    }
    if (x->client_conn)
        why_gw_roles(cx->gw, x->client_conn);
}

/* When t's attempt ended: its answer's end, its stream's end, or its connection's last
 * packet. */
static struct why_ts attempt_end(const struct why_txn *t)
{
    if (t->resp_done)
        return t->resp_end_ts;
    if (t->h2_end)
        return t->h2->end_ts;
    return why_conn_last_ts(why_rec_conn(t->rc));
}

/* u is a later upstream request of the gateway's for the same method, host and target as t,
 * begun after t's and by `until`, answered in full below 500, and no client request's (one
 * that a client request took was that client's, not a retry for t's). */
static bool retry_of(const struct why_join_ctx *cx, const struct why_txn *t, const struct why_txn *u,
                     struct why_ts until)
{
    if (u->rc == t->rc && u->h2_stream == 0)
        return false; /* HTTP/1.1 on the same connection: the next request, not a retry */
    if (u->claimed_by || why_ts_cmp(u->req_first_ts, t->req_first_ts) <= 0 ||
        why_ts_cmp(u->req_first_ts, until) > 0 || strcmp(u->method, t->method) != 0 ||
        u->target_len != t->target_len || (t->target_len && memcmp(u->target, t->target, t->target_len) != 0) ||
        strcasecmp(u->host, t->host) != 0)
        return false;
    why_gw_roles(cx->gw, u->rc);
    return u->rc->gw_cli && !u->rc->gw_srv && u->has_resp && u->resp_done && u->status < 500 && u->grpc_status <= 0;
}

/* A later upstream request of the gateway's for the same method, host and target as t,
 * begun after t's and no later than WHY_GW_RETRY_US after t's attempt ended, answered in full
 * below 500, that no client request took: the gateway sent t again and its client got that
 * answer (nginx and HAProxy retry an idempotent request on a fresh connection when a
 * kept-alive one closes under it). The index by method, path and host holds every such
 * request (one a client request took leaves it), those begun in the window read; with
 * --exhaustive every request held. */
bool why_join_upstream_retried(const struct why_join_ctx *cx, const struct why_txn *t)
{
    struct why_ts until = why_ts_add_us(attempt_end(t), WHY_GW_RETRY_US);
    if (cx->exhaustive) {
        for (const struct why_conn_rec *rc = cx->st->rhead; rc; rc = rc->rnext)
            for (const struct why_txn *u = rc->txn_head; u; u = u->next)
                if (retry_of(cx, t, u, until))
                    return true;
        return false;
    }
    struct why_twalk w;
    for (const struct why_txn *u = why_store_requests(cx->st, t, true, t->req_first_ts, until, &w); u;
         u = why_store_requests_next(&w, t, true))
        if (retry_of(cx, t, u, until))
            return true;
    return false;
}

/* One of the two targets ends with the other (a reverse proxy may add or strip a prefix). */
static bool target_like(const struct why_txn *a, const struct why_txn *b)
{
    const struct why_txn *lo = a->target_len <= b->target_len ? a : b, *hi = lo == a ? b : a;
    return lo->target_len && memcmp(hi->target + (hi->target_len - lo->target_len), lo->target, lo->target_len) == 0;
}

/* The gateway closed q's client connection (its FIN or reset to the client) at *at: it sent
 * nothing upstream for q after that. */
static bool gateway_closed(const struct why_txn *q, struct why_ts *at)
{
    uint64_t frame;
    return why_half_end_first(why_rec_conn(q->rc)->half[WHY_S2C].end, (struct why_ts){INT64_MIN, 0, 0}, at, &frame);
}

/* q, a readable client request, can have carried t: the same method and a target like t's,
 * sent by the time t was and neither answered nor dropped by the gateway's close before t was
 * sent (the client connection was still waiting). */
static bool client_spans(const struct why_join_ctx *cx, const struct why_txn *q, const struct why_txn *t)
{
    struct why_ts closed;
    if (q == t || why_ts_diff_us(t->req_first_ts, q->req_first_ts) > WHY_SKEW_US ||
        why_ts_diff_us(q->req_first_ts, t->req_first_ts) > WHY_PIN_US || strcmp(q->method, t->method) != 0 ||
        !target_like(q, t) || (q->has_resp && why_ts_diff_us(q->resp_first_ts, t->req_first_ts) > WHY_SKEW_US) ||
        (gateway_closed(q, &closed) && why_ts_diff_us(closed, t->req_first_ts) > WHY_SKEW_US))
        return false;
    why_gw_roles(cx->gw, q->rc);
    return q->rc->gw_srv && !q->rc->gw_cli;
}

/* A readable client request, decided or not, that t can have carried (client_spans). Its own
 * decision covers t (joined, or settled on its answer): t is no orphan, whatever became of it
 * (the gateway may have got the answer on a stream the capture cannot read, after a
 * renegotiation say). One decided marked t then (why_join_mark_spanned: its transaction may
 * be gone since); one not decided yet is among the other transactions, walked back from the
 * newest, WHY_TXN_LOOK_MAX at most of those begun by t. */
#define WHY_TXN_LOOK_MAX 4096
#define WHY_TXN_PASS_MAX (1u << 20) /* ...and those begun after t passed over (a safety bound:
                                       the requests of the seconds from t to its decision) */
static bool readable_client_spans(const struct why_join_ctx *cx, const struct why_txn *t)
{
    if (t->spanned)
        return true;
    struct why_ts at = why_ts_add_us(t->req_first_ts, WHY_SKEW_US);
    struct why_ts oldest = why_ts_add_us(t->req_first_ts, -WHY_PIN_US);
    uint32_t looked = 0, passed = 0;
    /* (those begun after t, until its decision, are passed over uncounted: how many came
     * then does not change which ones before it are read) */
    for (const struct why_txn *q = cx->st->oth_tail; q && looked < WHY_TXN_LOOK_MAX && passed < WHY_TXN_PASS_MAX;
         q = q->tprev) {
        if (why_ts_cmp(q->req_first_ts, oldest) < 0)
            break;
        if (why_ts_cmp(q->req_first_ts, at) > 0) {
            passed++;
            continue;
        }
        looked++;
        if (client_spans(cx, q, t))
            return true;
    }
    return false;
}

void why_join_mark_spanned(const struct why_join_ctx *cx, const struct why_txn *q)
{
    if (!cx->st->cand_head)
        return; /* no upstream candidate held: none to mark (and no walk of the requests like
                   q's, thousands when a client asks for one URL without a gateway between) */
    /* the upstream requests that began from q's request (within the skew) on: by the index of
     * the path's last segment (a target like q's ends like it: where q's path has a '/'),
     * those begun by q's answer or the gateway's close of its connection (within the skew)
     * and in WHY_PIN_US, as client_spans reads them (a microsecond wider each side: its
     * differences are in whole microseconds): a client that gave up is not looked for in
     * every request for its URL of the two minutes after it; else
     * the upstream candidates newest first by creation, down to where none can be left
     * (their times in order within WHY_ORDER_SLACK_US) */
    if (q->ipath_len && (q->ipath[0] == '/' || memchr(q->ipath, '/', q->ipath_len))) {
        uint64_t ekey = q->xkey; /* (its own key in that index, made from the same bytes) */
        struct why_ts hi = why_ts_add_us(q->req_first_ts, WHY_PIN_US + 1);
        if (q->has_resp && why_ts_cmp(why_ts_add_us(q->resp_first_ts, WHY_SKEW_US + 1), hi) < 0)
            hi = why_ts_add_us(q->resp_first_ts, WHY_SKEW_US + 1);
        struct why_ts closed;
        if (gateway_closed(q, &closed) && why_ts_cmp(why_ts_add_us(closed, WHY_SKEW_US + 1), hi) < 0)
            hi = why_ts_add_us(closed, WHY_SKEW_US + 1);
        struct why_twalk w;
        for (struct why_txn *t = why_twalk_start(&w, why_store_requests_ending(cx->st, ekey), WHY_TIX_ENDING,
                                                 why_ts_add_us(q->req_first_ts, -(WHY_SKEW_US + 1)), hi);
             t; t = why_twalk_next(&w))
            if (t->cand && !t->is_client_leg && !t->claimed_by && !t->spanned && t->xkey == ekey &&
                client_spans(cx, q, t))
                t->spanned = true;
        return;
    }
    struct why_ts oldest = why_ts_add_us(q->req_first_ts, -(WHY_SKEW_US + WHY_ORDER_SLACK_US));
    bool ordered = why_store_cands_ordered(cx->st);
    for (struct why_txn *t = cx->st->cand_tail; t && !(ordered && why_ts_cmp(t->req_ts, oldest) < 0); t = t->tprev)
        if (!t->is_client_leg && !t->claimed_by && !t->spanned && client_spans(cx, q, t))
            t->spanned = true;
}

/* t is an upstream request of the gateway's that did not end in a plain answer below 500,
 * the gateway did not send again with success (why_join_upstream_retried), no client request
 * took it, none of the readable client requests still waiting could (same method, sent by
 * then), no readable client request waiting then was for it (readable_client_spans), and the
 * gateway was then serving a TLS connection it cannot read (no keys): the
 * request behind it is opaque, so t is reported as a failure of its own, or it would vanish. */
/* o is a TLS connection a gateway served that nothing can read (no keys). */
static bool opaque_client_leg(const struct why_join_ctx *cx, struct why_conn_rec *o)
{
    if (o->app != WHY_APP_TLS || why_rec_http(o))
        return false;
    why_gw_roles(cx->gw, o);
    return o->gw_srv && !o->gw_cli;
}

/* Such a connection is held: one of the TLS records (O(TLS records held)), or any record
 * when that index is not kept. */
static bool any_opaque_client(const struct why_join_ctx *cx)
{
    size_t n;
    struct why_conn_rec *const *v = why_store_tls_recs(cx->st, &n);
    for (size_t i = 0; v && i < n; i++)
        if (opaque_client_leg(cx, v[i]))
            return true;
    for (struct why_conn_rec *o = v ? NULL : cx->st->rhead; o; o = o->rnext)
        if (opaque_client_leg(cx, o))
            return true;
    return false;
}

bool why_join_opaque_held(const struct why_join_ctx *cx)
{
    if (!cx->opaque)
        return any_opaque_client(cx);
    if (*cx->opaque < 0)
        *cx->opaque = any_opaque_client(cx);
    return *cx->opaque != 0;
}

bool why_join_upstream_orphan(const struct why_join_ctx *cx, const struct why_txn *t)
{
    if (t->claimed_by || why_join_answered_ok(t))
        return false;
    /* no opaque client leg held at all (the usual capture): nothing to walk, each sweep */
    if (cx->opaque && !why_join_opaque_held(cx))
        return false;
    struct why_ts at = why_ts_add_us(t->req_first_ts, WHY_SKEW_US);
    /* the queue in push order: none after one begun WHY_ORDER_SLACK_US past `at` began by it
     * (unless queue_unordered) */
    for (const struct why_txn *q = cx->st->qhead;
         q && (cx->st->queue_unordered || why_ts_diff_us(at, q->req_first_ts) < WHY_ORDER_SLACK_US); q = q->qnext) {
        if (q == t || q->decided || strcmp(q->method, t->method) != 0 ||
            why_ts_cmp(q->req_first_ts, at) > 0)
            continue;
        why_gw_roles(cx->gw, q->rc);
        if (q->rc->gw_srv && !q->rc->gw_cli)
            return false; /* a readable client request may still take it */
    }
    if (why_join_opaque_client(cx, t, NULL, 1) == 0 || readable_client_spans(cx, t))
        return false;
    return !why_join_upstream_retried(cx, t);
}

/* o is an opaque client leg open when t began: 1 (the oldest such in *one, when one is not
 * NULL), else 0. */
static uint32_t opaque_open_at(const struct why_join_ctx *cx, struct why_conn_rec *o,
                               const struct why_txn *t, struct why_conn_rec **one)
{
    const struct why_conn *oc = why_rec_conn(o);
    if (!opaque_client_leg(cx, o) || why_ts_diff_us(t->req_first_ts, oc->first_ts) > WHY_SKEW_US ||
        why_ts_diff_us(why_conn_last_ts(oc), t->req_first_ts) > WHY_SKEW_US)
        return 0;
    if (one && (!*one || o->seq < (*one)->seq))
        *one = o;
    return 1;
}

#define OPAQUE_NEAR 16 /* records begun before a request asked first for its opaque client leg */

/* The TLS connections the gateway served, that it cannot read (no keys), open when t began:
 * how many, up to max (the first in *one when one is not NULL and there are fewer). */
uint32_t why_join_opaque_client(const struct why_join_ctx *cx, const struct why_txn *t,
                                struct why_conn_rec **one, uint32_t max)
{
    uint32_t n = 0;
    if (one)
        *one = NULL;
    /* whether there is one: most often the connection that carried t's request began just
     * before it, so the records begun by then are asked first, newest first (a few; O(TLS
     * records held) is the walk below, which a busy proxy's closed client legs fill) */
    if (max == 1 && !one && !cx->exhaustive) {
        struct why_conn_rec *o = why_store_rec_upto(cx->st, why_ts_add_us(t->req_first_ts, WHY_SKEW_US));
        for (int k = 0; o && k < OPAQUE_NEAR; o = o->rprev, k++)
            if (opaque_open_at(cx, o, t, NULL))
                return 1;
    }
    /* the TLS records, or every record when that index is not kept; the first is the oldest
     * (records are created in seq order) */
    size_t ntls;
    struct why_conn_rec *const *v = why_store_tls_recs(cx->st, &ntls);
    for (size_t i = 0; v && i < ntls && n < max; i++)
        n += opaque_open_at(cx, v[i], t, one);
    for (struct why_conn_rec *o = v ? NULL : cx->st->rhead; o && n < max; o = o->rnext)
        n += opaque_open_at(cx, o, t, one);
    return n;
}

/* Did cli ask for `name` (len bytes of a longer string), and get an address when
 * need_addr? A shorter name asked tells how a search-list lookup ended: an address, or a
 * failure reported for that name. */
static bool asked(const struct why_store *st, const struct why_addr *cli, const char *name, size_t len,
                  bool need_addr)
{
    char buf[WHY_DNS_NAME_MAX + 1];
    memcpy(buf, name, len);
    buf[len] = 0;
    uint64_t key = why_request_key("", buf);
    for (const struct why_dns_rec *o = why_store_dns_by_name(st, key); o; o = o->nnext)
        if (o->nkey == key && (!need_addr || (o->answered && o->naddrs)) && why_addr_eq(&o->cli, cli) &&
            strcmp(o->qname, buf) == 0)
            return true;
    return false;
}

bool why_join_unjoined_dns(const struct why_join_ctx *cx, struct why_dns_rec *d, struct why_join *x)
{
    memset(x, 0, sizeof *x);
    x->self_dns = d;
    /* a resolver's search list tries "name.corp.example" before (or after) "name": the
     * expansion failing is not the failure of the lookup when the name itself was asked
     * (it resolved, or its own failure is the one to report) */
    size_t dl = strlen(d->qname);
    bool ok = asked(cx->st, &d->cli, d->qname, dl, true);
    for (size_t i = 1; i < dl && !ok; i++)
        if (d->qname[i] == '.')
            ok = asked(cx->st, &d->cli, d->qname, i, false);
    /* the failed unclaimed queries for the name from that host, the oldest first */
    struct why_dns_rec *ring[WHY_JOIN_MAX];
    uint64_t seen = 0;
    for (struct why_dns_rec *o = why_store_dns_by_name(cx->st, d->nkey); o; o = o->nnext)
        if (o->nkey == d->nkey && why_addr_eq(&o->cli, &d->cli) && strcmp(o->qname, d->qname) == 0 &&
            !o->claimed && why_join_dns_failed(o))
            ring[seen++ % WHY_JOIN_MAX] = o;
    x->ndns = seen < WHY_JOIN_MAX ? (uint32_t)seen : WHY_JOIN_MAX;
    for (uint32_t i = 0; i < x->ndns; i++)
        x->dns[i] = ring[(seen - 1 - i) % WHY_JOIN_MAX];
    return !ok && x->ndns > 0;
}

static void claim_bgdns(struct why_join *x)
{
    /* the gateway's own failing lookups a request's answer rests on: its schedule, which a later
     * request may meet too, and no failure of their own to report again */
    for (uint32_t i = 0; x->client && i < x->nbgdns; i++) {
        struct why_dns_rec *d = x->bgdns[i];
        d->bg_evidence |= !d->claimed; /* one the schedule's chain took was counted there */
        d->claimed = d->scheduled = true;
    }
}

void why_join_apply_reading(struct why_store *st, struct why_join *alt)
{
    (void)st;
    claim_bgdns(alt);
}

void why_join_apply(struct why_store *st, struct why_join *x)
{
    for (uint32_t i = 0; i < x->nrepeated; i++)
        x->repeated[i]->repeated_ok = true;
    if (x->direct)
        return; /* the request's own connection: nothing another request could take */
    if (x->up && x->client && x->up != x->client)
        why_store_claim_txn(st, x->up, x->client);
    /* a request's paths, with how long it waited (not an unjoined report's) */
    struct why_ts from = {0, 0, 0}, to = {0, 0, 0};
    if (x->client) {
        from = x->client->req_first_ts;
        to = x->client->has_resp ? x->client->resp_first_ts : why_conn_last_ts(why_rec_conn(x->client->rc));
    }
    for (uint32_t i = 0; i < x->nattempts; i++) {
        why_store_conn_claimed(st, x->attempts[i]);
        if (x->client)
            why_store_note_req_path(st, why_rec_conn(x->attempts[i]), from, to);
        /* a try before the connection that carried the request: a request answered at once
         * after it with no attempt of its own may have made it (why_join_request) */
        struct why_rec_more *m;
        if (x->client && x->up && x->attempts[i] != x->up_conn && (m = why_store_rec_more(st, x->attempts[i])))
            m->tried_for = x->client->req_frame;
    }
    for (uint32_t i = 0; i < x->ndns; i++)
        why_store_dns_claim(st, x->dns[i]);
    if (x->passthrough || x->relay_cut) /* the client's leg failed too: told once */
        why_store_conn_claimed(st, x->client_conn);
    claim_bgdns(x);
    if (x->self_dns)
        why_store_dns_claim(st, x->self_dns);
    /* the other pairing's request finds this attempt among its readings (why_join_request) */
    struct why_rec_more *sm;
    if (x->swap_for && x->client && x->nattempts && (sm = why_store_rec_more(st, x->attempts[x->nattempts - 1]))) {
        sm->alt_for = x->swap_for;
        sm->alt_for_file = x->swap_for_file;
        sm->alt_by = x->client->req_frame;
        why_store_rec_list(st, x->attempts[x->nattempts - 1], WHY_LIST_MARKED);
    }
    for (uint32_t i = 0; x->client && i < x->nalso; i++) {
        struct why_rec_more *m = why_store_rec_more(st, x->also[i]);
        for (uint32_t k = 0; m && k < WHY_ALSO_MARKS; k++)
            if (!m->also_for[k]) {
                m->also_for[k] = x->also_for[i];
                m->also_file[k] = x->also_for_file[i];
                m->also_by[k] = x->client->req_frame;
                why_store_rec_list(st, x->also[i], WHY_LIST_MARKED);
                break;
            }
    }
    if (x->up_conn) {
        why_store_conn_claimed(st, x->up_conn);
        if (x->client)
            why_store_note_req_path(st, why_rec_conn(x->up_conn), from, to);
    }
    if (x->client_conn)
        why_store_conn_claimed(st, x->client_conn);
}
