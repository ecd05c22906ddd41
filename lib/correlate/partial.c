/* Join rules for what a capture shows only in part: a TLS connection opened and left unused
 * while its twin carries the traffic; a dual-stack client's first family refused while the
 * other one connects; lookups that are expected to fail. Reads the store only. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "correlate/join.h"
#include "store/gateways.h"
#include "store/store.h"

#define SPARE_IDLE_US (1LL * 1000000) /* a client that refuses a certificate leaves at once */

/* Browsers open spare connections and close them after the handshake, without an alert.
 * Such a connection was not refused when the client finished its handshake (its
 * ChangeCipherSpec and Finished, TLS 1.2: sent only once it took the certificate) and then
 * stayed idle more than SPARE_IDLE_US before closing, or when the same certificate carries
 * application data both ways on another connection to the same server. */
bool why_join_tls_spare(const struct why_join_ctx *cx, const struct why_conn_rec *rc)
{
    const struct why_tls_facts *t = rc->tls;
    if (!t->cert_frame || why_rec_tls_sent_data(rc) ||
        (t->alert_frame && t->alert_dir == WHY_C2S))
        return false;
    const struct why_conn *c = why_rec_conn(rc);
    const struct why_tcp_half *cl = &c->half[WHY_C2S];
    struct why_ts left = cl->end->fin_frame ? cl->end->fin_ts : cl->end->rst_ts;
    if (t->version != 0x0304 && t->ccs[WHY_C2S] && t->ccs[WHY_S2C] &&
        (cl->end->fin_frame || cl->end->rst_frame) && why_ts_diff_us(t->cert_ts, left) > SPARE_IDLE_US)
        return true;
    /* (rc sent no data, so it is not one of those: the answer is the server's and the
     * certificate's, the same for each of a refused server's connections in one sweep) */
    struct why_spare_memo *m = cx->spare;
    if (m && m->valid && m->hash == t->cert_hash && m->port == c->srv_port && why_addr_eq(&m->addr, &c->srv_addr))
        return m->twin;
    bool twin = false;
    for (const struct why_conn_rec *o = why_store_conns_to(cx->st, &c->srv_addr); o && !twin;
         o = why_store_conns_next(o))
        twin = o != rc && o->app == WHY_APP_TLS && o->tls->cert_frame && o->tls->cert_hash == t->cert_hash &&
               why_rec_tls_sent_data(o) && o->tls->appdata[WHY_S2C] && why_rec_conn(o)->srv_port == c->srv_port;
    if (m)
        *m = (struct why_spare_memo){true, twin, c->srv_port, t->cert_hash, c->srv_addr};
    return twin;
}

#define FALLBACK_US (300LL * 1000)  /* RFC 8305: a dual-stack client tries the other family
                                       within 250 ms, at once after a refusal */
#define FALLBACK_SCAN 64            /* records looked at after rc (cap) */

/* rc failed to connect, and within FALLBACK_US a connection of the other address family to
 * the same port was established: the client fell back (Happy Eyeballs), nothing failed. */
bool why_join_family_fallback(const struct why_join_ctx *cx, const struct why_conn_rec *rc)
{
    (void)cx;
    const struct why_conn *c = why_rec_conn(rc);
    struct why_ts end = c->half[WHY_S2C].last_frame ? c->half[WHY_S2C].last_ts : c->first_ts;
    int n = 0;
    for (const struct why_conn_rec *o = rc->rnext; o && n < FALLBACK_SCAN; o = o->rnext, n++) {
        const struct why_conn *oc = why_rec_conn(o);
        if (why_ts_diff_us(end, oc->first_ts) > FALLBACK_US)
            break;
        if (oc->established && oc->srv_port == c->srv_port &&
            oc->cli_addr.family != c->cli_addr.family)
            return true;
    }
    return false;
}

/* Names hosts look up on every network and that most networks do not have: their failure is
 * the expected answer. WPAD: browsers' and Windows' proxy auto-discovery (wpad, wpad.<domain>
 * for each suffix); ISATAP: Windows' IPv6 transition router (isatap, isatap.<domain>). The
 * resolver's search-list expansions are recognised elsewhere (an expansion failing while the
 * name itself resolves, why_join_unjoined_dns). */
static const char *const expected_miss[] = {"wpad", "isatap"};

bool why_join_dns_expected_miss(const char *qname)
{
    for (size_t i = 0; i < sizeof expected_miss / sizeof expected_miss[0]; i++) {
        size_t n = strlen(expected_miss[i]);
        if (strncasecmp(qname, expected_miss[i], n) == 0 && (qname[n] == 0 || qname[n] == '.'))
            return true;
    }
    return false;
}

#define RTO_MIN_US (1LL * 1000000)  /* RFC 6298: no SYN is given up on sooner without an answer */
#define TIMER_SLACK_PCT 5 /* the same timer, seen twice, within this share of it */

/* t falls while x's request waited (from its last request byte to its end) */
static bool in_wait(const struct why_join *x, struct why_ts t)
{
    return why_ts_cmp(t, x->client->req_ts) >= 0 && why_ts_cmp(t, x->end_ts) <= 0;
}

/* From rc on the store's list of records seen one way (by creation): the first still seen one
 * way among the oldest WHY_STORE_OLDEST records, NULL past them. Those seen both ways on the way
 * leave the list. */
static struct why_conn_rec *oldest_one_way(struct why_store *st, struct why_conn_rec *rc)
{
    while (rc && why_store_in_oldest(st, rc)) {
        const struct why_conn *c = why_rec_conn(rc);
        if (!c->half[WHY_C2S].packets || !c->half[WHY_S2C].packets)
            return rc;
        struct why_conn_rec *next = rc->onext;
        why_store_one_drop(st, rc);
        rc = next;
    }
    return NULL;
}

#ifndef NDEBUG
/* Where the store's counts say no record is one-way evidence of a kind (why_conn_one_way's
 * bit), none is: checked against every record held in builds with assertions. */
static void one_way_none_check(const struct why_store *st, unsigned bit)
{
    for (const struct why_conn_rec *rc = st->rhead; rc; rc = rc->rnext)
        if (why_conn_one_way(why_rec_conn(rc)) & bit)
            abort(); /* the counts missed one */
}
#else
#define one_way_none_check(st, bit) ((void)0)
#endif

/* The oldest WHY_STORE_OLDEST records' resets of one direction whose other direction the capture
 * lacks, sent from the side the gateway's role allows. With x: true at the first one sent
 * while x waited. Without: their times go to lone (overflow past its cap). Such a record has
 * a direction without a packet: only those are read. */
static bool lone_scan(const struct why_join_ctx *cx, const struct why_join *x, struct why_lone_rsts *lone)
{
    struct why_store *st = cx->st;
    if (!why_store_may_have_lone_rst(st)) { /* nothing held has a reset alone: none to read */
        one_way_none_check(st, WHY_CONN_ONE_WAY_LONE_RST);
        return false;
    }
    for (struct why_conn_rec *rc = oldest_one_way(st, why_store_one_head(st)); rc;
         rc = oldest_one_way(st, rc->onext)) {
        const struct why_conn *c = why_rec_conn(rc);
        /* the roles of a connection seen from one RST are guessed: either side may be the
         * gateway's */
        for (int d = WHY_C2S; d <= WHY_S2C; d++) {
            const struct why_tcp_half *rst = &c->half[d];
            if (c->half[!d].packets || !rst->end->rst_frame || (x && !in_wait(x, rst->end->rst_ts)))
                continue;
            why_gw_roles(cx->gw, rc);
            if (!(d == WHY_S2C ? rc->gw_cli && !rc->gw_srv : rc->gw_srv && !rc->gw_cli))
                continue;
            if (x)
                return true;
            if (lone->n == WHY_LONE_RST_MAX) {
                lone->overflow = true;
                return false;
            }
            lone->ts[lone->n++] = rst->end->rst_ts;
        }
    }
    return false;
}

/* A server's RST to the gateway while the request waited, on a connection of which the
 * capture holds no packet from the gateway: alone it proves no SYN (backscatter looks the
 * same), but it is the answer the gateway got to an attempt the capture did not see, so its
 * upstream side is not known to show no failure. */
static bool lone_reset_in_wait(const struct why_join_ctx *cx, const struct why_join *x)
{
    if (!x->client || !x->end_frame)
        return false;
    struct why_lone_rsts *lone = cx->lone;
    if (!lone)
        return lone_scan(cx, x, NULL);
    if (!lone->valid) {
        lone->n = 0;
        lone->overflow = false;
        lone_scan(cx, NULL, lone);
        lone->valid = true;
    }
    if (lone->overflow)
        return lone_scan(cx, x, NULL);
    for (uint32_t i = 0; i < lone->n; i++)
        if (in_wait(x, lone->ts[i]))
            return true;
    return false;
}

static bool is_gateway_up(const struct why_join_ctx *cx, struct why_conn_rec *rc)
{
    why_gw_roles(cx->gw, rc);
    return rc->gw_cli && !rc->gw_srv;
}

static bool one_sided(const struct why_conn_rec *rc)
{
    const struct why_conn *c = why_rec_conn(rc);
    return c->half[WHY_S2C].missing || c->half[WHY_C2S].missing;
}

/* Attempt i is a retry of the server its previous attempt tried, which got nothing back
 * either, and the gateway answered as long after i began as i began after that one: its own
 * connect timer (HAProxy's `timeout connect` 1 s, shorter than the kernel's first SYN
 * retransmission) ended both, not an answer the capture missed. */
static bool gave_up_on_timer(const struct why_join *x, uint32_t i)
{
    if (i == 0)
        return false;
    const struct why_conn *p = why_rec_conn(x->attempts[i - 1]), *c = why_rec_conn(x->attempts[i]);
    if (p->established || p->syn_count == 0 || p->half[WHY_S2C].packets || p->more->icmp_frame ||
        !why_addr_eq(&p->srv_addr, &c->srv_addr) || p->srv_port != c->srv_port)
        return false;
    int64_t timer = why_ts_diff_us(p->syn_ts0, c->syn_ts0);
    int64_t wait = why_ts_diff_us(c->syn_ts0, x->end_ts);
    int64_t off = timer > wait ? timer - wait : wait - timer;
    return timer > 0 && off * 100 <= timer * TIMER_SLACK_PCT;
}

#define WHY_ANSWER_LAG_US 100000 /* a gateway answers its client this soon after its upstream
                                    answer (a loaded Caddy dialled 38 ms after its lookup's) */

/* The gateway answered at `end` later after c's SYN than an answer to it the capture missed
 * could have made it: more than twice the longest any SYN of the capture so far waited for its
 * SYN-ACK or reset, and WHY_ANSWER_LAG_US. So its own timer ended the attempt (Caddy's
 * dial_timeout 1 s runs from the lookup: 0.93 s after the SYN). Not when no SYN was answered
 * yet: nothing says how far the servers are. Asked of a request's first attempt only: a later
 * one may be another request's the walk took (a capture cut from a busy HAProxy: a refused
 * request's second try, 0.1 s before its 503, the first SYN of a request whose client leg was
 * cut away). */
static bool past_missed_answer(const struct why_join_ctx *cx, const struct why_conn *c, struct why_ts end)
{
    return cx->syn_rtt_max_us > 0 && why_ts_diff_us(c->syn_ts0, end) > 2 * cx->syn_rtt_max_us + WHY_ANSWER_LAG_US;
}

/* The oldest WHY_STORE_OLDEST records, of them the gateway's upstream connections: one lacks a
 * side. Such a record has a direction without a packet: only those are read. */
static bool oldest_up_one_sided(const struct why_join_ctx *cx)
{
    struct why_store *st = cx->st;
    if (!why_store_may_be_missing(st)) { /* nothing held has a side proven missing */
        one_way_none_check(st, WHY_CONN_ONE_WAY_MISSING);
        return false;
    }
    for (struct why_conn_rec *rc = oldest_one_way(st, why_store_one_head(st)); rc;
         rc = oldest_one_way(st, rc->onext))
        if (one_sided(rc) && is_gateway_up(cx, rc))
            return true;
    return false;
}

enum why_blind why_join_upstream_blind(const struct why_join_ctx *cx, const struct why_join *x)
{
    for (uint32_t i = 0; i < x->nattempts; i++) {
        const struct why_conn *c = why_rec_conn(x->attempts[i]);
        if (c->half[WHY_S2C].missing || c->half[WHY_C2S].missing)
            return WHY_BLIND_SIDE;
        /* a connection that carried a hole and no request the join could read: the request
         * (or its answer) may be in the hole */
        if (!x->up && (c->miss->half[WHY_C2S].gap_bytes || c->miss->half[WHY_S2C].gap_bytes))
            return WHY_BLIND_SIDE;
        /* one SYN, nothing back in the capture, and the gateway answered its client before
         * a SYN could have been sent again: it had an answer (a RST) the capture missed.
         * Not when it answered in the last TIMER_SLACK_PCT of that second: a connect timer
         * of the kernel's own 1 s (HAProxy's `timeout connect 1s`) ends there, racing the
         * SYN's first retransmission; an answer the capture missed would have come a round
         * trip after the SYN, and no round trip is that close to the RTO it would race. */
        if (!c->established && c->syn_count == 1 && !c->more->icmp_frame && x->end_frame &&
            !c->half[WHY_S2C].packets &&
            why_ts_diff_us(c->syn_ts0, x->end_ts) < RTO_MIN_US * (100 - TIMER_SLACK_PCT) / 100 &&
            !gave_up_on_timer(x, i) && !(i == 0 && past_missed_answer(cx, c, x->end_ts)))
            return WHY_BLIND_ANSWER;
    }
    /* the oldest records: the same for every request while no packet comes (read once) */
    struct why_lone_rsts *lone = cx->lone;
    if (lone && !lone->up_valid) {
        lone->up_one_sided = oldest_up_one_sided(cx);
        lone->up_valid = true;
    }
    if (lone ? lone->up_one_sided : oldest_up_one_sided(cx))
        return WHY_BLIND_SIDE;
    return lone_reset_in_wait(cx, x) ? WHY_BLIND_SIDE : WHY_BLIND_NONE;
}
