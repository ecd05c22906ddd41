/* The session: the driver of the pipeline. Each frame goes to decode and the flow table; the
 * flow table's callbacks go to the protocol handlers (lib/app/), which fill the record store;
 * a sweep every SWEEP_EVERY_US of packet time decides the client requests whose evidence is
 * complete (their answer is in, or their connection is gone, plus --settle), each through the
 * join (lib/correlate/), its claims, and the diagnosis (lib/diagnose/), and hands incidents to
 * the sink; then the store prunes what nothing pending can use (failures nothing was joined
 * to are reported on the way out). tick does the same when no packet comes (live capture);
 * finish decides everything at the end of input. Time is packet time only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "correlate/join.h"
#include "diagnose/diagnose.h"
#include "render/render.h"
#include "store/gateways.h"
#include "store/store.h"
#include "tlsdec/keylog.h"

#define SETTLE_DEFAULT_US (2LL * 1000000)
#define SWEEP_EVERY_US (500LL * 1000)
#define WHY_BG_SECONDS 256 /* seconds of client requests remembered for background work */

/* One second of packet time on the gateways' client legs: how many client requests were read
 * (sent in that second) and how many were failing (sent, not yet answered well, or answered
 * with a failure, in that second). */
struct why_bg_second {
    int64_t sec;       /* packet time, s; 0: never used */
    uint32_t readable; /* client requests sent in that second */
    uint32_t failing;  /* failed client requests under way in that second */
};

#define WHY_HOT_MAX 256 /* requests waiting WHY_SKEW_US to be decided at once (hot_run) */

#define WHY_PAUSE_RATE 1000            /* packets within a second before a silence that */
#define WHY_PAUSE_MIN_US (5LL * 1000000) /* ...lasts this long or more: a pause of the capture */

struct why_session {
    struct why_options opt;
    /* the flow table's connection entries and the store's copies of closed ones, one list:
     * at a close the store copies the connection, then the table gives its entry back, the
     * next copy's (with lists of their own, the entries freed by the last closes at the end
     * stayed on one while the copies took new memory from the other: 7 MiB more at the peak
     * of conns-18000); on a slab (util/slab.h) that outlives both */
    struct why_spare entries;
    struct why_slab slab;
    struct why_sink sink;
    struct why_summary sum;
    struct why_gateways gw;
    struct why_store st;
    struct why_app_env env;
    struct why_keylog *keylog;        /* --keylog, NULL without */
    uint8_t *plain;                   /* one decrypted record (WHY_TLSDEC_OUT_MAX bytes) */
    struct why_flow *flow;
    struct why_frame last;            /* the latest frame (num a frame id, no data): what late
                                         events (timers, the end of input) are dated with */
    struct why_ts now;                /* latest packet time seen (never runs backwards) */
    int64_t pause_ring[WHY_PAUSE_RATE]; /* the latest packets' times (us), of one epoch */
    uint32_t pause_i, pause_n;        /* the ring's next place and fill */
    uint32_t pause_epoch;
    struct why_ts last_sweep;         /* packet time of the last decision sweep and pruning */
    uint64_t next_incident_id;
    int upstream_visible;             /* the join's cache for one sweep (-1: not known) */
    int opaque;                       /* the join's cache: an opaque TLS client leg of a
                                         gateway is held (-1: not known); a 0 is kept while
                                         no TLS connection comes and the gateways stay */
    uint64_t opaque_tls;              /* st.tls_opened when opaque was last reset */
    uint32_t opaque_gen;              /* gw.gen then */
    struct why_lone_rsts lone;        /* the join's cache of lone resets for one sweep */
    struct why_spare_memo spare;      /* the join's cache of a spare TLS connection's twin,
                                         for one sweep */
    struct why_join_scratch scratch;  /* the join's room for its walks of tries */
    struct why_addr_names names[WHY_ADDR_NAMES_MEMO]; /* the join's cache of the names an
                                         address was given for (each checks the store's dgen) */
    struct why_sched_cache *sched;    /* the join's cache of scheduled attempts (gen moved
                                         on at each packet, sweep and freed record; see
                                         why_sched_q): 2.3 MB, apart from the fields above
                                         and below that every packet reads */
    struct why_bg_second bg[WHY_BG_SECONDS]; /* the last seconds of client requests, by
                                                second modulo WHY_BG_SECONDS */
    int64_t bg_latest;                /* the latest second marked in bg (packet time, s) */
    /* settled requests decided as soon as their answer is complete (hot_run): those whose
     * answer ended less than WHY_SKEW_US ago, in the order they were made complete */
    struct why_hot {
        struct why_txn *t;
        struct why_ts at;             /* packet time from which it may be decided */
    } hot[WHY_HOT_MAX];
    uint32_t hot_head, hot_n;
    uint64_t hot_blockers;            /* queued requests counted hot_blocks (hot_block) */
    struct why_ts hot_block_at;       /* the latest packet time a request became one of them */
    /* the seconds of requests decided at once, marked in bg when a sweep would have decided
     * them (bg_due): since is what txn_ready_at counts --settle from */
    struct why_bg_later {
        struct why_ts since;
        int64_t sec;
    } *bgl;
    size_t bgl_head, bgl_n, bgl_cap;
};

void why_options_init(struct why_options *o)
{
    memset(o, 0, sizeof *o);
    o->include_unjoined = true;
    o->settle_us = SETTLE_DEFAULT_US;
}

int why_options_check(const struct why_options *o, char *err, size_t errsize)
{
    struct why_gateways g;
    memset(&g, 0, sizeof g);
    return o->gateways ? why_gw_parse(&g, o->gateways, err, errsize) : 0;
}

/* ---- deciding ---- */

static void emit(struct why_session *s, struct why_incident *inc)
{
    inc->id = ++s->next_incident_id;
    s->sum.failed++;
    s->sum.by_kind[inc->kind]++;
    if ((unsigned)inc->cause < 64)
        s->sum.by_cause[inc->cause]++;
    if (s->sink.on_incident)
        s->sink.on_incident(s->sink.ctx, inc);
}

static struct why_join_ctx join_ctx(struct why_session *s)
{
    return (struct why_join_ctx){&s->st, &s->gw, s->now, s->opt.exhaustive, &s->upstream_visible, &s->lone,
                                 &s->opaque, s->sched, NULL, false, NULL, false, NULL, false, &s->spare, s->names,
                                 why_flow_stats(s->flow)->syn_rtt_max_us, &s->scratch,
                                 why_flow_stats(s->flow)->attempt_span_us};
}

/* ---- what the client legs showed, second by second (background work) ---- */

static void bg_mark(struct why_session *s, int64_t sec, bool failing)
{
    struct why_bg_second *b = &s->bg[(uint64_t)sec % WHY_BG_SECONDS];
    if (b->sec > sec)
        return; /* overwritten by a later second: bg_quiet finds it unknown */
    if (b->sec < sec)
        *b = (struct why_bg_second){sec, 0, 0};
    if (sec > s->bg_latest)
        s->bg_latest = sec;
    if (failing)
        b->failing++;
    else
        b->readable++;
}

/* A client request decided: its second is readable; a failed one marks every second it was
 * under way as failing. */
static void bg_request(struct why_session *s, const struct why_txn *t, bool failed)
{
    bg_mark(s, t->req_first_ts.sec, false);
    if (!failed)
        return;
    struct why_ts end = t->has_resp ? t->resp_first_ts : s->now;
    for (int64_t sec = t->req_first_ts.sec; sec <= end.sec && sec - t->req_first_ts.sec < WHY_BG_SECONDS; sec++)
        bg_mark(s, sec, true);
}

/* Second `sec` as remembered: NULL when it is older than what the ring holds; a second in
 * which no client request was under way reads as zeros. */
static const struct why_bg_second *bg_second(const struct why_session *s, int64_t sec)
{
    static const struct why_bg_second none = {0, 0, 0};
    if (sec <= s->bg_latest - WHY_BG_SECONDS)
        return NULL;
    const struct why_bg_second *b = &s->bg[(uint64_t)sec % WHY_BG_SECONDS];
    return b->sec == sec ? b : &none;
}

/* From `from` to `to` (a second either side) no client request was failing, and client
 * requests were read in the remembered seconds up to then (the client leg is in the capture);
 * any second not remembered makes the answer no. */
static bool bg_quiet(const struct why_session *s, struct why_ts from, struct why_ts to)
{
    for (int64_t sec = from.sec - 1; sec <= to.sec + 1; sec++) {
        const struct why_bg_second *b = bg_second(s, sec);
        if (!b || b->failing)
            return false;
    }
    for (int64_t sec = to.sec + 1; sec > to.sec + 1 - WHY_BG_SECONDS; sec--) {
        const struct why_bg_second *b = bg_second(s, sec);
        if (!b)
            return false;
        if (b->readable)
            return true;
    }
    return false;
}

/* An ambiguous pairing's other reading (why_join_alternative), kept in inc when it names
 * another cause or another server than inc and its readings kept before. */
static void alternative(const struct why_diag_ctx *dx, const struct why_join *xa, uint64_t with,
                        enum why_alt_basis basis, struct why_diagnosis *da, struct why_incident *inc)
{
    if (inc->nalt == WHY_INCIDENT_ALTS_MAX || why_diagnose(dx, xa, da) != WHY_VERDICT_FAILED)
        return;
    const struct why_incident *a = &da->inc;
    for (uint32_t k = 0; k <= inc->nalt; k++) {
        const struct why_alternative *b = k < inc->nalt ? &inc->alt[k] : NULL;
        enum why_cause_id cause = b ? b->cause : inc->cause;
        bool has = b ? b->has_upstream : inc->has_upstream;
        const struct why_addr *addr = b ? &b->upstream_addr : &inc->upstream_addr;
        uint16_t port = b ? b->upstream_port : inc->upstream_port;
        if (a->cause == cause && a->has_upstream == has &&
            (!has || (why_addr_eq(&a->upstream_addr, addr) && a->upstream_port == port)))
            return; /* says what is said already */
    }
    why_render(da);
    struct why_alternative *n = &inc->alt[inc->nalt++];
    memset(n, 0, sizeof *n);
    n->basis = basis;
    n->with_request_frame = with;
    n->error = a->error;
    n->detail = a->detail;
    n->cause = a->cause;
    memcpy(n->detail_text, a->detail_text, sizeof n->detail_text);
    n->has_upstream = a->has_upstream;
    n->upstream_addr = a->upstream_addr;
    n->upstream_port = a->upstream_port;
    for (uint32_t i = 0; i < a->nevidence && n->nframes < sizeof n->frames / sizeof n->frames[0]; i++)
        if (a->evidence[i].kind >= WHY_EVK_SYN && a->evidence[i].kind <= WHY_EVK_ICMP)
            n->frames[n->nframes++] = a->evidence[i].frame;
    memcpy(n->summary, a->summary, sizeof n->summary);
    why_render_alternative(n);
}

/* t's settled join x takes what it claims, then t marks the upstream requests it can have
 * carried (after the claims: its own upstream request, claimed, is not read) */
static void settled_apply(struct why_session *s, const struct why_join_ctx *cx, struct why_txn *t,
                          struct why_join *x)
{
    why_join_apply(&s->st, x);
    why_join_mark_spanned(cx, t);
}

/* t settled: its upstream request up (NULL: none found) and the lookups of its host while it
 * waited are its own, claimed as the full join would (why_join_settled) */
static void settled(struct why_session *s, const struct why_join_ctx *cx, struct why_txn *t, struct why_txn *up)
{
    struct why_join x;
    why_join_settled(cx, t, up, &x);
    settled_apply(s, cx, t, &x);
}

/* orphan: t is an upstream request why_join_upstream_orphan has just said is one (it is not
 * asked again) */
static void decide_as(struct why_session *s, struct why_txn *t, bool orphan)
{
    t->decided = true;
    s->sched->dgen++; /* the claims and the queue change with each decision */
    /* A request the gateway itself sent upstream is evidence for a client's request, not an
     * incident of its own; unless it failed behind a client leg that cannot be read (TLS
     * without keys): then it is judged as the gateway's own request, as when nothing shows
     * the gateway (else the failure would vanish). */
    struct why_join_ctx cx = join_ctx(s);
    cx.deciding = t;
    why_gw_roles(&s->gw, t->rc);
    if (t->rc->gw_cli && !t->rc->gw_srv && !orphan && !why_join_upstream_orphan(&cx, t))
        return;
    t->is_client_leg = true;
    why_store_txn_judged(&s->st, t); /* a client's request is never another's upstream one */
    struct why_join x;
    /* Most requests succeed: a complete answer below 500 whose upstream request (found in
     * the index; with --exhaustive by a scan of every record) shows no fault is settled
     * without the full join, which would take the failed tries before the connection that
     * carried it (another request's, or the gateway's checks: races/run24, Varnish) */
    if (t->has_resp && t->status < 500 && t->grpc_status <= 0 && t->resp_done &&
        !why_diagnose_client_left_first(t)) {
        bool direct = why_join_direct(&cx, t);
        struct why_txn *up = direct ? NULL : why_join_upstream_indexed(&cx, t);
        const struct why_conn *uc = up ? why_rec_conn(up->rc) : NULL;
        bool up_fault = up && (up->not_http || (up->has_resp && !up->resp_done &&
                                                (uc->half[WHY_S2C].end->rst_frame || uc->half[WHY_S2C].end->fin_frame)));
        if (!up_fault) {
            settled(s, &cx, t, up);
            bg_request(s, t, false);
            return;
        }
    }
    why_join_request(&cx, t, &x);
    x.upstream_blind = (uint8_t)(x.direct ? WHY_BLIND_NONE : why_join_upstream_blind(&cx, &x));
    /* parallel failures the packets pair two ways: the other pairing's join, read before
     * this one claims its records */
    struct why_join *xa = x.nalt ? malloc(x.nalt * sizeof *xa) : NULL;
    uint32_t nalt = xa ? x.nalt : 0; /* (without memory: said without its other readings) */
    for (uint32_t i = 0; i < nalt; i++) {
        why_join_alternative(&cx, &x, i, &xa[i]);
        xa[i].upstream_blind = (uint8_t)(xa[i].direct ? WHY_BLIND_NONE : why_join_upstream_blind(&cx, &xa[i]));
    }
    why_join_apply(&s->st, &x);
    for (uint32_t i = 0; i < nalt; i++)
        why_join_apply_reading(&s->st, &xa[i]);
    why_join_mark_spanned(&cx, t);
    struct why_diag_ctx dx = {&s->gw, s->now};
    struct why_diagnosis d;
    enum why_verdict v = why_diagnose(&dx, &x, &d);
    bg_request(s, t, v != WHY_VERDICT_OK);
    if (v == WHY_VERDICT_UNREADABLE)
        s->sum.unreadable++;
    else if (v == WHY_VERDICT_FAILED) {
        why_render(&d);
        struct why_diagnosis *da = nalt ? malloc(sizeof *da) : NULL;
        for (uint32_t i = 0; da && i < nalt; i++)
            alternative(&dx, &xa[i], x.alt_with_frame[i], x.alt_basis[i], da, &d.inc);
        free(da);
        emit(s, &d.inc);
    }
    free(xa);
}

static void decide(struct why_session *s, struct why_txn *t)
{
    decide_as(s, t, false);
}

#define WHY_OWN_WAIT_US WHY_PIN_US /* how long a request of the capture host waits to learn
                                       whether that host is a gateway */

/* A request the capture host sent itself (the link layer says so) before it served any: a
 * gateway's health check sent before its first client, or a client's own request. Which one
 * is known once the host serves HTTP (then decide() drops it as the gateway's own), or after
 * WHY_OWN_WAIT_US (then it is a client's). */
static bool own_request_pending(const struct why_session *s, const struct why_txn *t)
{
    const struct why_conn *c = why_rec_conn(t->rc);
    if (s->gw.from_option || !why_gw_is_local(&s->gw, &c->cli_addr) ||
        why_gw_is_gateway(&s->gw, &c->cli_addr) || why_gw_is_local(&s->gw, &c->srv_addr))
        return false;
    return why_ts_diff_us(t->req_ts, s->now) < WHY_OWN_WAIT_US;
}

/* t, a 5xx, waits for other requests to be decided first (why_join_defer); the join reads
 * the store only (the session's caches are not passed: they hold for a decision) */
static bool deferred(const struct why_session *s, const struct why_txn *t)
{
    if (!t->has_resp || t->status < 500)
        return false;
    struct why_join_ctx cx = {.st = (struct why_store *)&s->st, .gw = &s->gw, .now = s->now,
                              .exhaustive = s->opt.exhaustive,
                              .attempt_span_us = why_flow_stats(s->flow)->attempt_span_us};
    return why_join_defer(&cx, t);
}

/* since, or the server side's last packet when later and t's connection is gone: what --settle
 * counts from */
static struct why_ts closed_since(const struct why_txn *t, struct why_ts since)
{
    const struct why_conn *c = why_rec_conn(t->rc);
    return t->rc->closed && why_ts_cmp(c->half[WHY_S2C].last_ts, since) > 0 ? c->half[WHY_S2C].last_ts : since;
}

/* A queued request is ready when answered completely, or when its connection is gone;
 * then it waits settle_us more so the upstream side's closing packets are in too. */
/* When t is not ready for want of time only, *not_before (if not NULL) gets the packet time
 * (us) before which it cannot be: for an HTTP/1 answer, whose end is written once, while the
 * connection's last packet only moves later, so `since` never goes back and the wait never
 * shrinks (why_ts_diff_us and a difference of why_ts_us part by at most 1 us: 2 us of margin). */
static bool txn_ready_at(const struct why_session *s, const struct why_txn *t, bool finishing,
                         int64_t *not_before)
{
    if (finishing)
        return true;
    /* complete first: a held connection's request is passed over without the address
     * lookups below */
    struct why_ts since;
    if (t->resp_done)
        since = t->resp_end_ts;
    else if (t->h2_end)
        since = t->h2->end_ts; /* an HTTP/2 stream reset or dropped: complete too */
    else if (t->rc->closed)
        since = why_rec_conn(t->rc)->half[WHY_C2S].last_ts;
    else
        return false;
    if (own_request_pending(s, t))
        return false;
    since = closed_since(t, since);
    int64_t wait = s->opt.settle_us + why_join_repeat_wait(t);
    if (why_ts_diff_us(since, s->now) >= wait) {
        /* a 5xx to a server nothing names waits for the requests whose named server's tries
         * fall in its window (why_join_defer), a while at most */
        if (why_ts_diff_us(t->resp_first_ts, s->now) >= WHY_DEFER_MAX_US || !deferred(s, t))
            return true;
        if (not_before && t->resp_done && !t->h2_stream)
            *not_before = why_ts_us(s->now) + WHY_DEFER_STEP_US;
        return false;
    }
    if (not_before && t->resp_done && !t->h2_stream)
        *not_before = why_ts_us(since) + wait - 2;
    return false;
}

static bool txn_ready(const struct why_session *s, const struct why_txn *t, bool finishing)
{
    return txn_ready_at(s, t, finishing, NULL);
}

static bool txn_due(const void *arg, const struct why_txn *t, int64_t *not_before)
{
    return txn_ready_at(arg, t, false, not_before);
}

/* ---- settled requests decided at once ----
 *
 * Most requests are answered completely below 500 by way of an upstream request that was
 * answered completely too: their decision (settled()) claims that request, the connection
 * that carried it and the lookups of the host, and reports nothing. Decided WHY_SKEW_US after
 * their answer ended (every packet of their window is in by then) instead of --settle later,
 * their records are read while the packets that made them are still in the cache, and they
 * leave the queue 2 s sooner. What they read is final by then: their answer and their
 * upstream request's are complete, the client did not close before the answer (else its
 * reset may still come: client_left_first). They are decided out of turn only where no
 * request a sweep would decide first could take or read what they claim; else the sweep
 * decides them in their turn:
 * - a request for the same host still queued that the full join may decide (it weighs the
 *   attempts and lookups in its window: in squid-keepalive-origin503 a 200 sent later on the
 *   connection Squid opened for a 503 took that connection from it), or pushed before it and
 *   not answered yet (answered within the same sweep, it would be decided first), or one for
 *   the same method, path and host (the same upstream requests): why_store_queued_may_take;
 * - a queued request that the full join may decide whose host no lookup of the gateway's
 *   names (hot_blockers): such a join weighs every attempt of the gateway in its window and
 *   the requests still queued that may have made it (a reverse proxy's fixed servers, an
 *   address the gateway was given: races/run33, Apache's 503 of a request for maint.lab, of
 *   an attempt that another request went on from, 7 ms before its answer), so while one
 *   waits, a request waits its turn unless it began after what such a join reads (past the
 *   latest of them to come to be one by WHY_JOIN_READS_PAST_US) and so did all its decision
 *   claims (why_join_settled_after: a lookup still pending when it came, a connection kept
 *   alive from before and not claimed yet, a request it repeats hold it back): it was not
 *   waiting in their windows, so no attempt there may have been its, and nothing it claims
 *   lies there (the retry bench's 200 MB file: 10,379 of the 17,719 successes that found
 *   one waiting go at once, and the 2 GB file takes about a tenth less CPU, the same bytes;
 *   tests/captures/bench/haproxy-held-success.pcap is one that must wait).
 * A request answered later, or for another host named by the gateway's lookups, cannot take
 * what they claim before them. The second of the request is marked readable (bg) when the
 * sweep would have decided it. */

enum hot_answer {
    HOT_DECIDED,
    HOT_LATER, /* the sweep decides it, as any other */
    HOT_FULL,  /* the sweep decides it, maybe by the full join */
};

/* t, complete and queued, will not be decided at once and may take the full join: it holds
 * back the requests for its host while it waits, and every request when the gateway's
 * lookups do not name its host */
static void hot_block(struct why_session *s, struct why_txn *t)
{
    why_store_queue_full(&s->st, t);
    if (t->hot_blocks)
        return;
    struct why_join_ctx cx = join_ctx(s);
    static const struct why_addr none;
    if (why_join_host_lookups(&cx, t, NULL, &none, s->now).all)
        return;
    t->hot_blocks = true;
    s->hot_blockers++;
    if (why_ts_cmp(s->now, s->hot_block_at) > 0)
        s->hot_block_at = s->now;
}

/* t leaves the queue (for its decision) */
static void hot_unblock(struct why_session *s, struct why_txn *t)
{
    if (t->hot_blocks) {
        t->hot_blocks = false;
        s->hot_blockers--;
    }
}

static void bg_later(struct why_session *s, const struct why_txn *t)
{
    if (s->bgl_head && s->bgl_head >= s->bgl_n) { /* (half of it spent: moved down) */
        memmove(s->bgl, s->bgl + s->bgl_head, s->bgl_n * sizeof *s->bgl);
        s->bgl_head = 0;
    }
    if (s->bgl_head + s->bgl_n == s->bgl_cap) {
        size_t cap = s->bgl_cap ? s->bgl_cap * 2 : 256;
        struct why_bg_later *v = realloc(s->bgl, cap * sizeof *v);
        if (!v) {
            s->sum.oom++;
            bg_request(s, t, false); /* (marked now: a second's count, a sweep or two early) */
            return;
        }
        s->bgl = v;
        s->bgl_cap = cap;
    }
    s->bgl[s->bgl_head + s->bgl_n++] = (struct why_bg_later){closed_since(t, t->resp_end_ts), t->req_first_ts.sec};
}

/* The seconds of the requests decided at once that a sweep now would have decided (all at
 * the end), in the order they were decided. */
static void bg_due(struct why_session *s, bool finishing)
{
    while (s->bgl_n && (finishing || why_ts_diff_us(s->bgl[s->bgl_head].since, s->now) >= s->opt.settle_us)) {
        bg_mark(s, s->bgl[s->bgl_head].sec, false);
        s->bgl_head++;
        s->bgl_n--;
    }
    if (!s->bgl_n)
        s->bgl_head = 0;
}

/* at is past what the joins of the requests that hold the others back read: after every one
 * of them came to be one (its answer complete, or its client gone) */
static struct why_ts blockers_read_until(const struct why_session *s)
{
    return why_ts_add_us(s->hot_block_at, WHY_JOIN_READS_PAST_US);
}

static __attribute__((noinline)) enum hot_answer hot_decide(struct why_session *s, struct why_txn *t)
{
    if (!t->queued || t->decided)
        return HOT_LATER;
    const struct why_half_end *ce = why_rec_conn(t->rc)->half[WHY_C2S].end;
    if (ce->fin_frame && why_ts_cmp(ce->fin_ts, t->resp_first_ts) < 0)
        return HOT_FULL; /* the client closed before the answer: it may have left first */
    if ((s->hot_blockers && why_ts_cmp(t->req_first_ts, blockers_read_until(s)) <= 0) ||
        why_store_queued_may_take(&s->st, t, s->opt.exhaustive) || own_request_pending(s, t))
        return HOT_LATER;
    why_gw_roles(&s->gw, t->rc);
    if (!t->rc->gw_srv || t->rc->gw_cli)
        return HOT_LATER; /* (no gateway's client leg, or the gateway's own request) */
    struct why_join_ctx cx = join_ctx(s);
    cx.deciding = t;
    if (why_join_direct(&cx, t))
        return HOT_LATER;
    struct why_txn *up = why_join_upstream_indexed(&cx, t);
    if (!up)
        return HOT_LATER; /* (a cache's answer, or one whose upstream request came apart) */
    if (!up->resp_done || up->not_http)
        return HOT_FULL;
    /* its settled join, read once: what it claims is the same before it leaves the queue
     * (why_join_repeats passes over t itself) */
    struct why_join x;
    why_join_settled(&cx, t, up, &x);
    if (s->hot_blockers && !why_join_settled_after(&x, blockers_read_until(s)))
        return HOT_LATER;
    why_store_queue_remove(&s->st, t);
    t->decided = true;
    s->sched->dgen++;
    t->is_client_leg = true;
    why_store_txn_judged(&s->st, t);
    settled_apply(s, &cx, t, &x);
    bg_later(s, t);
    /* Its transactions and the upstream one it claimed go now, not at the next sweep: the
     * next request takes their blocks from the spare lists while they are still in cache
     * (a sweep freed hundreds at once on a busy gateway, each cold again when taken). The
     * trim frees only what a sweep's would: nothing queued and undecided, which is all the
     * hot ring and the blockers hold (a sweep drops the ring before it decides any). */
    struct why_conn_rec *crc = t->rc, *urc = up->rc; /* (t and up may go with the first) */
    why_store_trim_txns(&s->st, crc, s->now, false);
    if (urc != crc)
        why_store_trim_txns(&s->st, urc, s->now, false);
    return HOT_DECIDED;
}

/* The requests made complete by the packet just read (the store's vector of complete ones
 * from `from` on): those answered completely below 500 wait WHY_SKEW_US to be decided at once;
 * any other may hold the rest back (hot_block). */
static void hot_note(struct why_session *s, size_t from)
{
    for (size_t i = from; i < s->st.ncomplete; i++) {
        struct why_txn *t = s->st.complete[i].t;
        if (!why_join_answered_ok(t))
            hot_block(s, t); /* (failed, or cut short: the full join decides it) */
        else if (!t->h2_stream && s->hot_n < WHY_HOT_MAX)
            s->hot[(s->hot_head + s->hot_n++) % WHY_HOT_MAX] =
                (struct why_hot){t, why_ts_add_us(t->resp_end_ts, WHY_SKEW_US)};
    }
}

/* Decides at once the requests whose answer ended WHY_SKEW_US ago or more; with `drop` (a
 * sweep's start) leaves the others to the sweeps. */
static void hot_run(struct why_session *s, bool drop)
{
    while (s->hot_n) {
        struct why_hot h = s->hot[s->hot_head];
        bool due = why_ts_cmp(s->now, h.at) >= 0;
        if (!due && !drop)
            return;
        s->hot_head = (s->hot_head + 1) % WHY_HOT_MAX;
        s->hot_n--;
        if (due && hot_decide(s, h.t) == HOT_FULL)
            hot_block(s, h.t);
    }
}

/* After a packet: the requests it made complete, and those due to be decided at once (out of
 * line: the packet's path, the flow table's inlined into it, stays as it was) */
static __attribute__((noinline)) void hot_packet(struct why_session *s, size_t ncomplete)
{
    if (s->st.ncomplete > ncomplete)
        hot_note(s, ncomplete);
    hot_run(s, false);
}

/* Decides the queued requests that are ready, in queue order: at the end every one (the
 * whole queue); else those of the list of complete requests whose settle time has passed,
 * so a sweep does not touch the requests still waiting for their answer (a held
 * connection's). */
static void sweep_queue(struct why_session *s, bool finishing)
{
    size_t n = finishing ? SIZE_MAX : why_store_complete_due(&s->st, txn_due, s, s->now);
    if (n != SIZE_MAX) {
        for (size_t i = 0; i < n; i++) {
            why_store_queue_remove(&s->st, s->st.ready[i]);
            hot_unblock(s, s->st.ready[i]);
            decide(s, s->st.ready[i]);
        }
        return;
    }
    /* at the end, those that would wait for others (why_join_defer) after the others */
    for (int pass = finishing ? 0 : 1; pass < 2; pass++)
        for (struct why_txn *t = s->st.qhead, *next; t; t = next) {
            next = t->qnext;
            if (pass == 0 && deferred(s, t))
                continue;
            if (txn_ready(s, t, finishing)) {
                why_store_queue_remove(&s->st, t);
                hot_unblock(s, t);
                decide(s, t);
            }
        }
}

/* The gateway's upstream requests are not queued once its address is known. Those that
 * failed, settled, and that no client request took while only an opaque client leg (TLS
 * without keys) was there to carry them go through decide() as the gateway's own requests,
 * or they would vanish (why_join_upstream_orphan). */
static void sweep_orphans(struct why_session *s, bool finishing)
{
    if (s->opaque == 0)
        return; /* no opaque client leg held: no upstream request can be an orphan */
    struct why_join_ctx cx = join_ctx(s);
    /* the same question the first orphan's check would ask, asked before the walk over every
     * upstream request still kept (most answered below 500, which never asks it): without
     * an opaque client leg (the usual capture) the walk is skipped, and the 0 is kept for
     * the next sweeps */
    if (!why_join_opaque_held(&cx))
        return;
    for (struct why_txn *t = s->st.cand_head; t; t = t->tnext)
        if (!t->queued && !t->decided && !t->claimed_by && !why_join_answered_ok(t) &&
            txn_ready(s, t, finishing) &&
            why_join_upstream_orphan(&cx, t)) {
            decide_as(s, t, true);
            why_store_txn_decided(&s->st, t);
        }
}

/* ---- failures no request was joined to, reported as their records go ---- */

static void unjoined(struct why_session *s, struct why_join *x, bool report)
{
    why_join_apply(&s->st, x);
    struct why_diag_ctx dx = {&s->gw, s->now};
    struct why_diagnosis d;
    if (report && why_diagnose_unjoined(&dx, x, &d)) {
        why_render(&d);
        emit(s, &d.inc);
    }
}

static void on_prune_conn(void *ctx, struct why_conn_rec *rc)
{
    struct why_session *s = ctx;
    struct why_join_ctx cx = join_ctx(s);
    struct why_join x;
    bool failed = why_join_conn_failed(rc);
    bool check = failed && why_join_unjoined_check(&cx, rc, &x);
    if (check) /* its path's later attempts still find the schedule */
        why_store_note_check(&s->st, why_rec_conn(rc));
    if (s->opt.include_unjoined && failed &&
        (check || why_join_unjoined_covered(&cx, rc, &x) || why_join_unjoined_fallback(&cx, rc, &x))) {
        /* a health check, another try of a request's, or an address the gateway moved on from */
        unjoined(s, &x, false);
    } else if (s->opt.include_unjoined && failed && !why_join_family_fallback(&cx, rc)) {
        why_join_unjoined_conn(&cx, rc, &x);
        unjoined(s, &x, true);
    } else if (rc->app == WHY_APP_TLS && !rc->claimed && why_join_tls_failed(rc) &&
               !why_join_tls_spare(&cx, rc) &&
               (s->opt.include_unjoined || why_gw_is_gateway(&s->gw, &rc->c->cli_addr))) {
        /* a gateway's TLS failure is reported even with --no-unjoined; but one that no
         * opaque client connection can be waiting for, while the client leg was read and no
         * client request failed, failed no request: the gateway's own background work (Squid
         * probes a peer marked down on a later request's peer selection) */
        why_join_unjoined_tls(&cx, rc, &x);
        struct why_ts last = why_conn_last_ts(rc->c);
        bool background = !x.client_conn && why_gw_is_gateway(&s->gw, &rc->c->cli_addr) &&
                          bg_quiet(s, rc->c->first_ts, last);
        if (background)
            s->sum.tls_background_failed++;
        unjoined(s, &x, !background);
    }
}

static void prune_dns_report(struct why_session *s, struct why_dns_rec *d)
{
    if (d->bg_evidence && s->opt.include_unjoined && why_join_dns_failed(d))
        s->sum.dns_background_failed++; /* a request took it as the schedule's, not a chain */
    if (!s->opt.include_unjoined || d->claimed || !why_join_dns_failed(d))
        return;
    if (why_join_dns_expected_miss(d->qname)) {
        s->sum.dns_expected_misses++;
        return;
    }
    struct why_join_ctx cx = join_ctx(s);
    struct why_join x;
    bool failed = why_join_unjoined_dns(&cx, d, &x);
    bool report = failed && !why_join_background_dns(&cx, d); /* the gateway's schedule */
    if (failed && !report) {
        /* claimed, but asked by no request: still the schedule a later request meets */
        for (uint32_t i = 0; i < x.ndns; i++)
            x.dns[i]->scheduled = true;
        d->scheduled = true;
        s->sum.dns_background_failed += x.ndns;
        if (!s->sum.dns_background_name[0])
            snprintf(s->sum.dns_background_name, sizeof s->sum.dns_background_name, "%s", d->qname);
    }
    unjoined(s, &x, report);
}

static void on_prune_dns(void *ctx, struct why_dns_rec *d)
{
    struct why_session *s = ctx;
    prune_dns_report(s, d);
    struct why_join_ctx cx = join_ctx(s);
    why_join_background_gone(&cx, d); /* no request asked it: the schedule keeps its time */
}

static void on_release(void *ctx, struct why_conn_rec *rc)
{
    struct why_session *s = ctx;
    s->sched->gen++; /* the records to rc's server change (the store moves their version on) */
    why_app_release(rc);
}

static void sweep(struct why_session *s, bool finishing)
{
    hot_run(s, true); /* (a tick's or the end's: what a packet would have decided, first) */
    const struct why_flow_stats *fs = why_flow_stats(s->flow);
    why_store_open_one_way(&s->st, fs->open_missing, fs->open_lone_rst);
    s->last_sweep = s->now;
    s->sched->gen++;
    s->upstream_visible = -1; /* records and roles changed since the last sweep */
    s->lone.valid = s->lone.up_valid = false;
    s->spare.valid = false;
    why_store_classify(&s->st); /* the gateway addresses may have changed since */
    /* "no opaque client leg" holds until a TLS connection comes or the gateways change */
    if (s->opaque != 0 || s->st.tls_opened != s->opaque_tls || s->gw.gen != s->opaque_gen) {
        s->opaque = -1;
        s->opaque_tls = s->st.tls_opened;
        s->opaque_gen = s->gw.gen;
    }
    bg_due(s, finishing);
    sweep_queue(s, finishing);
    sweep_orphans(s, finishing);
    why_store_prune(&s->st, s->now, finishing);
}

/* ---- flow callbacks: the frame is the packet's, or the latest one for late events ---- */

static const struct why_frame *frame_of(const struct why_session *s, const struct why_pkt *p)
{
    return p ? p->frame : &s->last;
}

static void fl_open(void *ctx, struct why_conn *c, const struct why_pkt *p)
{
    struct why_session *s = ctx;
    (void)p;
    s->sum.tcp_conns++; /* seen, followed or not */
    struct why_conn_rec *rc = why_store_conn_new(&s->st, c);
    if (!rc)
        return; /* not followed (counted in records_dropped): c->app stays NULL */
    c->app = rc;
    if (!c->midstream)
        why_gw_add_originator(&s->gw, &c->cli_addr);
}

/* The first translated connection, named in the summary. */
static void note_translation(struct why_summary *sum, const struct why_conn *c)
{
    sum->nat_first[0] = c->cli_addr;
    sum->nat_first[1] = c->srv_addr;
    sum->nat_first[2] = c->more->nat_srv_addr;
    sum->nat_first[3] = c->more->nat_cli_addr;
    sum->nat_first_port[0] = c->cli_port;
    sum->nat_first_port[1] = c->srv_port;
    sum->nat_first_port[2] = c->more->nat_srv_port;
    sum->nat_first_port[3] = c->more->nat_cli_port;
}

static void fl_event(void *ctx, struct why_conn *c, enum why_tcp_event ev, enum why_dir dir,
                     const struct why_pkt *p)
{
    struct why_session *s = ctx;
    (void)p;
    if (ev == WHY_EV_TRANSLATED && s->sum.nat_first[0].family == 0)
        note_translation(&s->sum, c);
    if (ev == WHY_EV_SYN && c->syn_count == 1 && c->app)
        why_store_conn_syn(&s->st, c->app); /* it counts among its server's attempts now */
    if ((ev == WHY_EV_SYNACK || ev == WHY_EV_ESTABLISHED) && c->app)
        why_store_conn_answered(&s->st, c->app);
    /* a refusal (the server's reset, the first ICMP error): on the store's refusal lists, by
     * the time the join reads it at (the reset's, else the error's) and how long a gateway
     * holds the server down after it */
    if (c->app && (c->half[WHY_S2C].end->rst_frame || c->more->icmp_frame) &&
        ((ev == WHY_EV_RST && dir == WHY_S2C) || (ev == WHY_EV_ICMP && c->more->icmp_count == 1)))
        why_store_conn_refused(&s->st, c->app, why_conn_refused_at(c), why_join_holddown_us(c) > WHY_HOLDDOWN_US);
    (void)c; /* the record reads the flow table's connection while it lives */
}

/* A side whose first bytes are an HTTP status line, while the capture holds no packet of the
 * other side but this side's acknowledgements prove that side sent (the requests went where
 * the capture did not look), serves HTTP: a gateway is found by the answers it gives even when
 * the client-to-gateway direction is missing. Only the sender's address is learnt, and only
 * from a status line (a request line, TLS or other bytes teach nothing). */
static void learn_served(struct why_session *s, const struct why_conn *c, enum why_dir dir,
                         const uint8_t *d, uint32_t n)
{
    const struct why_tcp_half *h = &c->half[dir], *o = &c->half[!dir];
    static const char status[] = "HTTP/1.";
    if (h->bytes != n || c->miss->half[dir].gap_bytes || n < sizeof status - 1 || !o->missing ||
        memcmp(d, status, sizeof status - 1) != 0)
        return;
    why_gw_add_served(&s->gw, dir == WHY_S2C ? &c->srv_addr : &c->cli_addr);
}

static void fl_data(void *ctx, struct why_conn *c, enum why_dir dir, const uint8_t *d, uint32_t n,
                    const struct why_pkt *p)
{
    struct why_session *s = ctx;
    learn_served(s, c, dir, d, n);
    if (c->app)
        why_app_data(&s->env, c->app, dir, d, n, frame_of(s, p));
}

static void fl_gap(void *ctx, struct why_conn *c, enum why_dir dir, uint32_t n, const struct why_pkt *p)
{
    struct why_session *s = ctx;
    if (c->app)
        why_app_gap(&s->env, c->app, dir, n, frame_of(s, p));
}

static void fl_close(void *ctx, struct why_conn *c, const struct why_pkt *p)
{
    struct why_session *s = ctx;
    struct why_conn_rec *rc = c->app;
    if (!rc)
        return;
    why_app_close(&s->env, rc, frame_of(s, p)); /* parsers are not needed any more */
    why_store_conn_closed(&s->st, rc, c); /* the record keeps the connection's last state */
    c->app = NULL;
}

static void fl_udp(void *ctx, const struct why_pkt *p)
{
    struct why_session *s = ctx;
    why_app_dns_udp(&s->env, p, p->nencap ? why_flow_encap(s->flow, p) : NULL);
}

/* ---- public API ---- */

struct why_session *why_session_new(const struct why_options *o, const struct why_sink *sink,
                                    char *err, size_t errsize)
{
    struct why_session *s = calloc(1, sizeof *s);
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
    if (s->opt.gateways && why_gw_parse(&s->gw, s->opt.gateways, err, errsize) < 0) {
        free(s);
        return NULL;
    }
    struct why_store_hooks hooks = {s, on_release, on_prune_conn, on_prune_dns};
    if (!(s->sched = calloc(1, sizeof *s->sched)) ||
        why_store_init(&s->st, &s->sum, &s->gw, s->opt.settle_us, &hooks) < 0) {
        snprintf(err, errsize, "out of memory");
        free(s->sched);
        free(s);
        return NULL;
    }
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
    why_app_env_init(&s->env);
    s->env.st = &s->st;
    s->env.gw = &s->gw;
    s->env.sum = &s->sum;
    s->env.keylog = s->keylog;
    s->env.plain = s->plain;
    s->env.certs = why_cert_cache_new(); /* (none: each certificate parsed on its own) */
    struct why_flow_cb cb = {s, fl_open, fl_event, fl_data, fl_gap, fl_close, fl_udp};
    s->flow = why_flow_new(&cb);
    if (!s->flow) {
        snprintf(err, errsize, "out of memory");
        why_session_free(s);
        return NULL;
    }
    s->entries.max = WHY_SPARE_MAX;
    s->entries.slab = why_spare_slab(&s->slab);
    why_flow_share_entries(s->flow, &s->entries);
    why_store_share_copies(&s->st, &s->entries, why_flow_entry_size());
    return s;
}

/* A frame at t after a silence of WHY_PAUSE_MIN_US or more since the latest one (s->now, same
 * epoch), which came with WHY_PAUSE_RATE - 1 others within the second before it: a busy
 * capture that stopped, then went on (the bench's retry shape at 2 GB: no packet for 49.6 s
 * after 14:44:27.70, then HAProxy's timers all ran out at once). Counted for the summary,
 * never an incident: the times of requests waiting across it are the capture's, not the
 * gateway's. Packets out of order (-i any) are not in the ring. */
static void pause_seen(struct why_session *s, struct why_ts t)
{
    if (t.epoch != s->pause_epoch || s->pause_n == 0) {
        s->pause_epoch = t.epoch;
        s->pause_n = s->pause_i = 0;
    } else if (why_ts_cmp(t, s->now) <= 0) {
        return;
    }
    int64_t us = why_ts_us(t);
    if (s->pause_n >= WHY_PAUSE_RATE && t.sec - s->now.sec >= WHY_PAUSE_MIN_US / 1000000) {
        int64_t last = why_ts_us(s->now), gap = us - last;
        if (gap >= WHY_PAUSE_MIN_US && last - s->pause_ring[s->pause_i] <= 1000000) {
            s->sum.pauses++;
            if (gap > s->sum.pause_longest_us) {
                s->sum.pause_longest_us = gap;
                s->sum.pause_longest_at = s->now;
            }
        }
    }
    s->pause_ring[s->pause_i] = us;
    if (++s->pause_i == WHY_PAUSE_RATE)
        s->pause_i = 0;
    if (s->pause_n < WHY_PAUSE_RATE)
        s->pause_n++;
}

void why_session_frame(struct why_session *s, const struct why_frame *f)
{
    /* frame numbers travel as frame ids (file index in the high bits: store/records.h) */
    struct why_frame g = *f;
    g.num = why_frame_id(f->file, f->num);
    /* every time taken from this frame knows its epoch: no wait across a jump (ts, not g.ts,
     * below: a read of g.ts whole right after the store of its epoch waited for that store,
     * every packet, as did s->last made from g) */
    struct why_ts ts = {f->ts.sec, f->ts.nsec, f->epoch};
    g.ts = ts;
    s->last = *f;
    s->last.num = g.num;
    s->last.ts = ts;
    s->last.data = NULL;
    s->last.caplen = 0;
    s->sched->gen++; /* records change with the packet */
    s->sum.frames++;
    s->sum.bytes += f->wirelen;
    if (s->sum.frames == 1 || why_ts_cmp(ts, s->sum.first_ts) < 0)
        s->sum.first_ts = ts;
    if (why_ts_cmp(ts, s->sum.last_ts) > 0)
        s->sum.last_ts = ts;
    pause_seen(s, ts);
    if (why_ts_cmp(ts, s->now) > 0)
        s->now = ts;
    struct why_pkt p;
    enum why_decode_status st = why_decode(&g, &p);
    why_decode_stats_add(&s->sum.decode, st, &p);
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
    why_gw_learn_local(&s->gw, &p);
    size_t ncomplete = s->st.ncomplete;
    why_flow_packet(s->flow, &p);
    if (s->st.ncomplete > ncomplete || (s->hot_n && why_ts_cmp(s->now, s->hot[s->hot_head].at) >= 0))
        hot_packet(s, ncomplete);
    if (why_ts_zero(s->last_sweep) || why_ts_diff_us(s->last_sweep, s->now) >= SWEEP_EVERY_US)
        sweep(s, false);
}

void why_session_tick(struct why_session *s, struct why_ts now)
{
    now.epoch = s->now.epoch; /* a clock tick continues the last frame's epoch */
    if (why_ts_cmp(now, s->now) > 0)
        s->now = now;
    if (!why_ts_zero(s->now) &&
        (why_ts_zero(s->last_sweep) || why_ts_diff_us(s->last_sweep, s->now) >= SWEEP_EVERY_US))
        sweep(s, false);
}

/* What the capture missed, from the flow table's counts. */
static void capture_gaps(struct why_summary *sum, const struct why_flow_stats *fs)
{
    sum->gap_one_sided[0] = fs->one_sided[WHY_C2S];
    sum->gap_one_sided[1] = fs->one_sided[WHY_S2C];
    sum->gap_hole_bytes = fs->hole_bytes;
    sum->gap_hole_acked_bytes = fs->hole_acked_bytes;
    sum->gap_tail_bytes = fs->tail_unseen_bytes;
    sum->gap_synack_unseen = fs->synack_unseen;
    sum->translated_conns = fs->nat_paired;
    sum->challenge_acked = fs->challenge_acked;
    sum->oom += fs->nomem;
}

void why_session_finish(struct why_session *s)
{
    why_flow_finish(s->flow);
    sweep(s, true);
    const struct why_flow_stats *fs = why_flow_stats(s->flow);
    s->sum.cap_conns_evicted = fs->conns_evicted;
    s->sum.cap_ooo_dropped = fs->ooo_dropped;
    s->sum.cap_encap_chains_over = fs->encap_chains_over;
    s->sum.cap_orphans_over = fs->orphans_over;
    s->sum.cap_nat_ambiguous = fs->nat_ambiguous;
    s->sum.cap_bg_names_over = s->st.bg_names_over;
    capture_gaps(&s->sum, fs);
    s->sum.caps_hit = s->sum.cap_conns_evicted + s->sum.cap_ooo_dropped +
                      s->sum.cap_http_head_too_long + s->sum.cap_pending_dropped +
                      s->sum.cap_records_dropped + s->sum.cap_dns_addrs_dropped +
                      s->sum.cap_http_pending_dropped + s->sum.cap_encap_chains_over +
                      s->sum.cap_orphans_over + s->sum.cap_nat_ambiguous +
                      s->sum.cap_bg_names_over;
    s->sum.ngateways = why_gw_list(&s->gw, s->sum.gateways, 8);
    /* a relay passing TLS through is a gateway too, though no HTTP told it (its roles are the
     * gateways' sets', unchanged: the joins read the pair by its random) */
    for (uint32_t i = 0; i < s->sum.nrelays && s->sum.ngateways < 8; i++)
        if (!why_addr_in(s->sum.gateways, s->sum.ngateways, &s->sum.relays[i]))
            s->sum.gateways[s->sum.ngateways++] = s->sum.relays[i];
}

const struct why_summary *why_session_summary(const struct why_session *s) { return &s->sum; }

uint64_t why_session_open_conns(const struct why_session *s) { return why_flow_open_count(s->flow); }

void why_session_free(struct why_session *s)
{
    if (!s)
        return;
    why_flow_free(s->flow);
    why_store_fini(&s->st);
    why_spare_drain(&s->entries); /* (both gave theirs back) */
    why_slab_free(&s->slab);
    free(s->plain);
    free(s->bgl);
    why_join_scratch_free(&s->scratch);
    why_cert_cache_free(s->env.certs);
    why_keylog_free(s->keylog);
    free(s->sched);
    free(s);
}
