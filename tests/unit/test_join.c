/* The join on a hand-built store: a forward proxy (198.18.1.1 for clients, 198.19.0.1
 * upstream) serving GET http://shop.lab/x. The join finds the DNS lookup, the attempt and the
 * upstream request; it writes nothing (twice the same answer, no claim); why_join_apply
 * claims, and a later request is not offered what an earlier one took; an address that
 * refused is not tried again by the same request; a balancer's failover stays with the
 * request it carried; parallel failures to servers named by address are matched at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "correlate/join.h"

static struct why_ts T(double s)
{
    struct why_ts t = {1700000000 + (int64_t)s, (uint32_t)((s - (double)(int64_t)s) * 1e9 + 0.5), 0};
    return t;
}

/* A half's FIN and RST to write: the fixture gives each connection its own ends. */
static struct why_half_end *wend(const struct why_tcp_half *h)
{
    return (struct why_half_end *)h->end;
}

static struct why_addr A(const char *s)
{
    struct why_addr a;
    assert_int_equal(why_addr_parse(s, &a), 0);
    return a;
}

#define FIXTURE_CONNS 352 /* connections a test may make */

struct fixture {
    struct why_summary sum;
    struct why_gateways gw;
    struct why_store st;
    struct why_join_ctx cx;
    struct why_conn conns[FIXTURE_CONNS];
    struct why_conn_more more[FIXTURE_CONNS]; /* their parts apart */
    struct why_conn_end ends[FIXTURE_CONNS];  /* their FINs and RSTs */
    int nconns;
    struct why_addr_names names[WHY_ADDR_NAMES_MEMO]; /* the join's cache, as the session's */
    struct why_join_scratch scratch;   /* the walk's room, as the session's */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    char err[128];
    assert_int_equal(why_gw_parse(&f->gw, "198.18.1.1,198.19.0.1", err, sizeof err), 0);
    assert_int_equal(why_store_init(&f->st, &f->sum, &f->gw, 2000000, NULL), 0);
    f->cx = (struct why_join_ctx){&f->st, &f->gw, T(10), false, NULL, NULL, NULL, NULL, NULL, false, NULL, false, NULL, false, NULL, f->names, 0, &f->scratch, 0};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    why_store_fini(&f->st);
    why_join_scratch_free(&f->scratch);
    free(f);
    return 0;
}

/* A connection from cli to srv:port whose first SYN left at `at`. */
static struct why_conn_rec *conn(struct fixture *f, const char *cli, const char *srv, uint16_t port,
                                 double at, bool established)
{
    assert_true(f->nconns < FIXTURE_CONNS);
    struct why_conn *c = &f->conns[f->nconns++];
    c->id = (uint64_t)f->nconns;
    c->cli_addr = A(cli);
    c->srv_addr = A(srv);
    c->cli_port = (uint16_t)(40000 + f->nconns);
    c->srv_port = port;
    c->more = &f->more[f->nconns - 1];
    c->miss = &why_conn_miss_none;
    why_conn_set_ends(c, &f->ends[f->nconns - 1]);
    c->syn_count = 1;
    c->syn_frame = c->first_frame = (uint64_t)(10 * f->nconns);
    c->syn_ts0 = c->first_ts = T(at);
    c->established = established;
    if (established) {
        c->synack_frame = c->syn_frame + 1;
        c->synack_ts = T(at + 0.0001);
    }
    struct why_conn_rec *rc = why_store_conn_new(&f->st, c);
    assert_non_null(rc);
    why_store_conn_syn(&f->st, rc); /* its first SYN, as the session tells the store */
    rc->closed = true; /* the join reads rc->c (the fixture's connection) */
    return rc;
}

static struct why_txn *request(struct fixture *f, struct why_conn_rec *rc, const char *target,
                               const char *host, double at)
{
    rc->app = WHY_APP_HTTP;
    struct why_txn *t = why_store_txn_new(&f->st, rc);
    strcpy(t->method, "GET");
    t->target = strdup(target);
    t->target_len = (uint32_t)strlen(target);
    why_store_txn_names(&f->st, t, host, "");
    t->req_first_ts = t->req_ts = T(at);
    t->req_first_frame = t->req_frame = 1;
    why_store_txn_index(&f->st, t);
    return t;
}

static void answer(struct why_txn *t, int status, double at)
{
    t->has_resp = t->resp_done = true;
    t->status = status;
    t->resp_first_ts = t->resp_ts = t->resp_end_ts = T(at);
    t->resp_first_frame = t->resp_frame = t->resp_end_frame = 99;
}

/* A lookup of the backend's name by the gateway, asked at q, answered `addr` (NULL: NODATA)
 * at a. */
static struct why_dns_rec *lookup_at(struct fixture *f, const char *name, uint16_t qtype, const char *addr,
                                     double q, double a)
{
    struct why_addr gw = A("198.19.0.1"), dns = A("198.19.0.53");
    struct why_dns_rec *d = why_store_dns_new(&f->st, &gw, 50000, &dns, 53, (uint16_t)(q * 100), name, qtype);
    d->q_ts = d->last_q_ts = T(q);
    d->answered = true;
    d->a_ts = T(a);
    if (addr) {
        struct why_addr ad = A(addr);
        why_store_dns_answer(&f->st, d, &ad, 1);
    }
    return d;
}

/* The same answered 1 ms after `at`. */
static void lookup(struct fixture *f, const char *name, uint16_t qtype, const char *addr, double at)
{
    lookup_at(f, name, qtype, addr, at, at + 0.001);
}

/* The gateway's lookup of name, asked at `at`, answered 1 ms later with addr. */
static void resolved(struct fixture *f, const char *name, const char *addr, double at)
{
    lookup(f, name, WHY_DNS_A, addr, at);
}

static void forward_proxy_join(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *cc = conn(f, "198.18.1.2", "198.18.1.1", 9090, 0.9, true);
    struct why_txn *client = request(f, cc, "http://shop.lab/x", "shop.lab", 1.0);
    struct why_addr gw = A("198.19.0.1"), dns = A("198.19.0.53"), origin = A("198.19.0.10");
    struct why_dns_rec *d = why_store_dns_new(&f->st, &gw, 50000, &dns, 53, 1, "shop.lab", WHY_DNS_A);
    d->q_ts = d->last_q_ts = T(1.001);
    d->answered = true;
    d->a_ts = T(1.002);
    why_store_dns_answer(&f->st, d, &origin, 1);
    struct why_conn_rec *uc = conn(f, "198.19.0.1", "198.19.0.10", 80, 1.003, true);
    struct why_txn *up = request(f, uc, "/x", "shop.lab", 1.004);
    answer(up, 502, 1.005);
    answer(client, 502, 1.006);

    assert_false(why_join_direct(&f->cx, client));
    assert_ptr_equal(why_join_upstream_indexed(&f->cx, client), up);
    struct why_join x, y;
    why_join_request(&f->cx, client, &x);
    assert_ptr_equal(x.up, up);
    assert_ptr_equal(x.up_conn, uc);
    assert_int_equal(x.nattempts, 1);
    assert_ptr_equal(x.attempts[0], uc);
    assert_int_equal(x.ndns, 1);
    assert_ptr_equal(x.dns[0], d);
    assert_true(x.upstream_visible);
    /* pure: nothing claimed, the same answer again */
    assert_false(uc->claimed || d->claimed || up->claimed_by);
    why_join_request(&f->cx, client, &y);
    assert_memory_equal(&x, &y, sizeof x);
    /* applied: claimed, and out of the index */
    why_join_apply(&f->st, &x);
    assert_true(uc->claimed && d->claimed);
    assert_ptr_equal(up->claimed_by, client);
    /* a second client request for the same URL is offered neither */
    struct why_conn_rec *cc2 = conn(f, "198.18.1.3", "198.18.1.1", 9090, 0.95, true);
    struct why_txn *client2 = request(f, cc2, "http://shop.lab/x", "shop.lab", 1.0);
    answer(client2, 502, 1.007);
    why_join_request(&f->cx, client2, &y);
    assert_null(y.up);
    assert_int_equal(y.nattempts, 0);
}


/* The names an address was answered with, kept between the join's questions: brought up to
 * date from the answers that came since while no record went, read anew when one did; each
 * time the same names in the same order as a first reading of the index, more than
 * WHY_ADDR_NAMES none. */
static void addr_names_kept_up_to_date(void **state)
{
    struct fixture *f = *state;
    struct why_addr srv = A("198.19.0.10");
    static struct why_addr_names fresh[WHY_ADDR_NAMES_MEMO];
    struct why_join_ctx first = f->cx;
    first.names = fresh;
    static const char *const seq[] = {"a.lab", "b.lab", "a.lab", "c.lab", "b.lab", "d.lab", "e.lab",
                                      "a.lab", "f.lab", "g.lab", "h.lab", "c.lab", "i.lab", "j.lab"};
    const size_t nseq = sizeof seq / sizeof seq[0];
    for (size_t i = 0; i <= nseq + 2; i++) {
        if (i == nseq) {
            why_store_prune(&f->st, T(600), true); /* every record goes */
            assert_int_equal(f->st.ndns, 0);
        } else if (i > nseq) {
            resolved(f, i == nseq + 1 ? "k.lab" : "a.lab", "198.19.0.10", 600 + (double)i);
        } else {
            resolved(f, seq[i], "198.19.0.10", 1 + 0.01 * (double)i);
            if (i % 3 == 0) /* (another address's answers in the index between) */
                resolved(f, "other.lab", "198.19.0.11", 1.005 + 0.01 * (double)i);
        }
        memset(fresh, 0, sizeof fresh);
        const struct why_addr_names *m = why_join_addr_names(&f->cx, &srv);
        const struct why_addr_names *w = why_join_addr_names(&first, &srv);
        assert_int_equal(m == NULL, w == NULL);
        if (!w)
            continue;
        assert_int_equal(m->n, w->n);
        for (uint32_t k = 0; k < w->n; k++) {
            assert_true(m->v[k].nkey == w->v[k].nkey);
            assert_string_equal(m->v[k].qname, w->v[k].qname);
        }
        if (i == 4) /* a, b, c: c newest, then b (answered again), then a */
            assert_string_equal(m->v[0].qname, "b.lab");
    }
    /* more than WHY_ADDR_NAMES names before the prune, two after it */
    const struct why_addr_names *m = why_join_addr_names(&f->cx, &srv);
    assert_non_null(m);
    assert_int_equal(m->n, 2);
    assert_string_equal(m->v[0].qname, "a.lab");
    assert_string_equal(m->v[1].qname, "k.lab");
}
/* The index by name: a request's lookup is found past many newer lookups of its name, and a
 * lookup still pending at its start past many older ones, whatever other names share the
 * name's chain and whatever pruning took from the middle of it (more than half of it: its
 * vector is packed again). */
static void lookup_found_past_many_of_its_name(void **state)
{
    struct fixture *f = *state;
    struct why_addr gw = A("198.19.0.1"), other = A("198.19.0.2"), dns = A("198.19.0.53"),
                    origin = A("198.19.0.10");
    uint64_t key = why_request_key("", "shop.lab");
    /* another host's query, retried but never answered: pending when the request begins */
    struct why_dns_rec *pend = why_store_dns_new(&f->st, &other, 40000, &dns, 53, 7, "shop.lab", WHY_DNS_A);
    pend->q_ts = T(0.5);
    pend->last_q_ts = T(9.95);
    /* a name whose records share shop.lab's chain */
    char coll[32] = "";
    for (unsigned i = 0; !coll[0]; i++) {
        char cand[32];
        snprintf(cand, sizeof cand, "c%u.lab", i);
        if (why_store_dns_by_name(&f->st, why_request_key("", cand)) == pend)
            memcpy(coll, cand, sizeof cand);
    }
    for (int i = 0; i < 200; i++) {
        double q = 1.0 + i * 0.04;
        lookup(f, "shop.lab", WHY_DNS_A, "198.19.0.10", q);
        if (i % 50 == 10) { /* open ones of the other name, gone by the prune below */
            struct why_dns_rec *c =
                why_store_dns_new(&f->st, &gw, 50001, &dns, 53, (uint16_t)i, coll, WHY_DNS_A);
            c->q_ts = c->last_q_ts = T(q + 0.01);
        } else if (i % 50 == 20) {
            lookup(f, coll, WHY_DNS_A, "198.19.0.11", q + 0.01);
        }
    }
    struct why_dns_rec *own = lookup_at(f, "shop.lab", WHY_DNS_A, "198.19.0.10", 10.001, 10.002);
    for (int i = 0; i < 200; i++)
        lookup(f, "shop.lab", WHY_DNS_A, "198.19.0.10", 10.1 + i * 0.0045);
    uint32_t n = 0;
    /* the answered lookups (before 9.498) and the other name's go, the middle of the chain:
     * the pending one, retried at 9.95, stays */
    why_store_prune(&f->st, T(11.5), false);
    for (struct why_dns_rec *d = why_store_dns_by_name(&f->st, key); d; d = d->nnext, n++)
        assert_true(d->nkey == key && strcmp(d->qname, "shop.lab") == 0);
    assert_int_equal(n, 1 + 1 + 200); /* pending, own, newer */

    struct why_conn_rec *cc = conn(f, "198.18.1.2", "198.18.1.1", 9090, 9.9, true);
    struct why_txn *client = request(f, cc, "http://shop.lab/x", "shop.lab", 10.0);
    struct why_conn_rec *uc = conn(f, "198.19.0.1", "198.19.0.10", 80, 10.003, true);
    struct why_txn *up = request(f, uc, "/x", "shop.lab", 10.004);
    answer(up, 502, 10.005);
    answer(client, 502, 10.006);
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_ptr_equal(x.up, up);
    assert_int_equal(x.ndns, 2);
    assert_ptr_equal(x.dns[0], pend);
    assert_ptr_equal(x.dns[1], own);
    /* answered before the request began: no longer its lookup, only its own is */
    pend->answered = true;
    pend->a_ts = T(9.97);
    why_store_dns_answer(&f->st, pend, &origin, 1);
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.ndns, 1);
    assert_ptr_equal(x.dns[0], own);
    (void)gw;
}

static void refused_address_not_retried(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *cc = conn(f, "198.18.1.2", "198.18.1.1", 9090, 0.9, true);
    struct why_txn *client = request(f, cc, "http://198.19.0.10/x", "", 1.0);
    (void)client;
    struct why_conn_rec *a1 = conn(f, "198.19.0.1", "198.19.0.10", 80, 1.001, false);
    wend(&a1->c->half[WHY_S2C])->rst_frame = 25;
    wend(&a1->c->half[WHY_S2C])->rst_ts = T(1.0011);
    struct why_conn_rec *a2 = conn(f, "198.19.0.1", "198.19.0.10", 80, 1.002, false);
    wend(&a2->c->half[WHY_S2C])->rst_frame = 35;
    wend(&a2->c->half[WHY_S2C])->rst_ts = T(1.0021);
    answer(client, 503, 1.003);
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 1); /* the second attempt there is another request's */
    assert_ptr_equal(x.attempts[0], a1);
    assert_ptr_equal(x.up_conn, a1);
    assert_false(a1->claimed);
    why_join_apply(&f->st, &x);
    assert_true(a1->claimed);
    assert_false(a2->claimed);
}

static struct why_conn_rec *refused(struct fixture *f, const char *srv, double at);
static struct why_conn_rec *attempt(struct fixture *f, const char *srv, const double *syns, double icmp);

/* A request's tries are read from its window once for every step of the walk (try_pool): a
 * chain of two refused tries, to the two addresses its name resolved to, is found in order
 * among 200 other refused tries of the gateway in the window (to an address no lookup of the
 * name gave), more than the walk keeps on its stack: in the session's room (the scratch), which
 * it gives back as large as it grew and which the next walk takes as it is; and, the room lent
 * (a join within a walk), in room of its own, with the same answer. */
static void tries_found_among_many_in_window(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *cc = conn(f, "198.18.1.2", "198.18.1.1", 9090, 0.9, true);
    struct why_txn *client = request(f, cc, "http://two.lab/x", "two.lab", 1.0);
    resolved(f, "two.lab", "198.19.0.10", 1.0001);
    resolved(f, "two.lab", "198.19.0.11", 1.0002);
    struct why_conn_rec *other[200];
    for (int i = 0; i < 200; i++)
        other[i] = refused(f, "198.19.0.99", 1.002 + 0.00001 * i);
    struct why_conn_rec *a1 = refused(f, "198.19.0.10", 1.005);
    struct why_conn_rec *a2 = refused(f, "198.19.0.11", 1.0052);
    answer(client, 502, 1.0054);
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 2);
    assert_ptr_equal(x.attempts[0], a1);
    assert_ptr_equal(x.attempts[1], a2);
    for (int i = 0; i < 200; i++)
        assert_false(other[i] == x.attempts[0] || other[i] == x.attempts[1]);
    assert_false(f->scratch.busy);
    assert_non_null(f->scratch.pool);
    assert_true(f->scratch.pool_cap >= 202);
    void *room = f->scratch.pool;
    for (int lent = 0; lent < 2; lent++) {
        f->scratch.busy = lent;
        struct why_join y;
        why_join_request(&f->cx, client, &y);
        assert_int_equal(y.nattempts, 2);
        assert_ptr_equal(y.attempts[0], a1);
        assert_ptr_equal(y.attempts[1], a2);
        assert_ptr_equal(f->scratch.pool, room); /* taken as it was and given back, or not lent */
        assert_int_equal(f->scratch.busy, lent);
    }
    f->scratch.busy = false;
}

/* The walk of a request's tries reads from a record's slot alone that it opened outside the
 * request's window when its first SYN was its first packet (syn_first): a try whose first
 * packet came 0.4 s before its SYN is still read and taken (the walk goes back as far as a
 * SYN came after its record's first packet: why_store_rec_back_us), while a record whose
 * slot says it opened outside, within that reach, is left unread (its connection, changed
 * here behind the store's back to a SYN inside the window, would have been taken had the
 * walk read it). */
static void tries_told_from_slots_by_first_syn(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *cc = conn(f, "198.18.1.2", "198.18.1.1", 9090, 0.4, true);
    struct why_conn_rec *early = refused(f, "198.19.0.10", 0.7); /* in the walk's reach */
    struct why_txn *client = request(f, cc, "http://one.lab/x", "one.lab", 1.0);
    resolved(f, "one.lab", "198.19.0.10", 1.0001);
    struct why_conn_rec *late_syn = refused(f, "198.19.0.10", 1.005);
    answer(client, 502, 1.0054);
    assert_true(f->st.slots[early->slot].syn_first);
    assert_true(f->st.slots[late_syn->slot].syn_first);

    /* late_syn's first packet came at 0.6, its SYN at 1.005: told by its record */
    late_syn->c->first_ts = late_syn->first_ts = f->st.slots[late_syn->slot].first_ts = T(0.6);
    why_store_conn_syn(&f->st, late_syn);
    assert_false(f->st.slots[late_syn->slot].syn_first);
    /* early's connection now says its SYN left at 1.003; its slot still says 0.5 */
    early->c->syn_ts0 = T(1.003);
    wend(&early->c->half[WHY_S2C])->rst_ts = T(1.0031);

    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 1);
    assert_ptr_equal(x.attempts[0], late_syn);
}

/* The walks of a request's tries go back as far as the records' measured lag, not a fixed
 * second: a try read before a record that began 0.4 s earlier (a capture whose clock went back
 * that much) is still found, though that record, newest by creation, began long before the
 * request; and the walks read no further than that (why_store_rec_back_us). */
static void tries_found_past_a_record_begun_earlier(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *cc = conn(f, "198.18.1.2", "198.18.1.1", 9090, 0.9, true);
    struct why_txn *client = request(f, cc, "http://one.lab/x", "one.lab", 1.0);
    resolved(f, "one.lab", "198.19.0.10", 1.0001);
    struct why_conn_rec *own = refused(f, "198.19.0.10", 1.0003);
    assert_int_equal(why_store_rec_back_us(&f->st), 0);
    struct why_conn_rec *back = refused(f, "198.19.0.77", 0.6003);
    assert_int_equal(f->st.rlag_us, 400000);
    assert_int_equal(why_store_rec_back_us(&f->st), 400000);
    answer(client, 502, 1.0006);
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 1);
    assert_ptr_equal(x.attempts[0], own);
    assert_ptr_not_equal(x.attempts[0], back);
    /* and a lag past WHY_ORDER_SLACK_US reads no further than that second */
    f->st.syn_late_us = 2 * WHY_ORDER_SLACK_US;
    assert_int_equal(why_store_rec_back_us(&f->st), WHY_ORDER_SLACK_US);
}

/* why_store_refused_by: the refusal list is in the order of its times within the lag; the
 * record it gives has every refusal of the time asked or before at or before it on the list,
 * and every one after it refused after that time, as the times asked go forward, back and
 * forward again, and when the record it stopped at leaves the list (refused again later). */
static void refused_by_stops_at_its_time(void **state)
{
    struct fixture *f = *state;
    enum { N = 120 };
    struct why_conn_rec *r[N];
    for (int i = 0; i < N; i++) /* every tenth refused 0.3 ms before the one put before it */
        r[i] = refused(f, "198.19.0.10", 1.0 + 0.001 * i - (i % 10 == 5 ? 0.0013 : 0));
    assert_int_equal(f->st.refused_lag_us, 300);
    const double asked[] = {1.0539, 1.0039, 1.0049, 0.5, 1.0939, 1.2, 1.0301, 1.0302, 1.0455, 1.0939};
    for (size_t q = 0; q < sizeof asked / sizeof asked[0]; q++) {
        if (q == 7) { /* the record stopped at, refused again later: off its place */
            struct why_conn_rec *cur = f->st.refused_cur[0];
            assert_non_null(cur);
            wend(&cur->c->half[WHY_S2C])->rst_ts = T(1.3);
            why_store_conn_refused(&f->st, cur, T(1.3), false);
        }
        struct why_ts t = T(asked[q]);
        struct why_conn_rec *by = why_store_refused_by(&f->st, WHY_TRIES_REFUSED, t);
        bool at_or_before = by == NULL; /* (NULL: none of them; every one after) */
        for (struct why_conn_rec *rc = why_store_try_last(&f->st, WHY_TRIES_REFUSED); rc;
             rc = why_store_try_prev(&f->st, rc, WHY_TRIES_REFUSED)) {
            at_or_before |= rc == by;
            if (!at_or_before)
                assert_true(why_ts_cmp(why_conn_refused_at(rc->c), t) > 0);
        }
        assert_true(at_or_before);
    }
    (void)r;
}

static void unjoined_dns_groups_and_resolved(void **state)
{
    struct fixture *f = *state;
    struct why_addr cli = A("192.0.2.7"), dns = A("192.0.2.53"), addr = A("192.0.2.80");
    struct why_dns_rec *d1 = why_store_dns_new(&f->st, &cli, 1000, &dns, 53, 1, "nx.example", WHY_DNS_A);
    struct why_dns_rec *d2 = why_store_dns_new(&f->st, &cli, 1001, &dns, 53, 2, "nx.example", WHY_DNS_AAAA);
    struct why_dns_rec *s1 = why_store_dns_new(&f->st, &cli, 1002, &dns, 53, 3, "www.corp.example", WHY_DNS_A);
    struct why_dns_rec *s0 = why_store_dns_new(&f->st, &cli, 1003, &dns, 53, 4, "www", WHY_DNS_A);
    for (struct why_dns_rec *d = d1; d; d = d->next) {
        d->answered = true;
        d->rcode = d == s0 ? WHY_DNS_NOERROR : WHY_DNS_NXDOMAIN;
    }
    why_store_dns_answer(&f->st, s0, &addr, 1);
    assert_true(why_join_dns_failed(d1) && why_join_dns_failed(s1) && !why_join_dns_failed(s0));
    struct why_join x;
    assert_true(why_join_unjoined_dns(&f->cx, d1, &x));
    assert_int_equal(x.ndns, 2);
    assert_ptr_equal(x.dns[0], d1); /* oldest first */
    assert_ptr_equal(x.dns[1], d2);
    assert_false(d1->claimed);
    why_join_apply(&f->st, &x);
    assert_true(d1->claimed && d2->claimed);
    /* "www.corp.example" failing is a search-list expansion: "www" resolved */
    assert_false(why_join_unjoined_dns(&f->cx, s1, &x));
}

static void unjoined_attempts_grouped(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *a[4];
    for (int i = 0; i < 4; i++) {
        a[i] = conn(f, "192.0.2.7", "192.0.2.80", i == 2 ? 8080 : 80, 1.0 + i, false);
        a[i]->c->syn_count = 3; /* retried: a failure */
    }
    assert_true(why_join_conn_failed(a[0]));
    struct why_join x;
    why_join_unjoined_conn(&f->cx, a[1], &x);
    assert_int_equal(x.nattempts, 2); /* a[1], then a[3]: not the earlier one, not port 8080 */
    assert_ptr_equal(x.attempts[0], a[1]);
    assert_ptr_equal(x.attempts[1], a[3]);
    why_join_apply(&f->st, &x);
    assert_true(a[1]->claimed && a[3]->claimed);
    assert_false(why_join_conn_failed(a[3])); /* claimed: not failed on its own any more */
    why_join_unjoined_conn(&f->cx, a[0], &x);
    assert_int_equal(x.nattempts, 1);
}

/* The evidence of an unjoined failure names each end by the roles cached in its records: the
 * join refreshes them for every attempt it takes. A client's retry to the gateway that no
 * other join had looked at kept the roles of no gateway known ("upstream" for the gateway's
 * own port) by default, and had them right with --exhaustive, whose scans look at every
 * record (bench long shape: six connection_timeout incidents). */
static void unjoined_attempts_roles_current(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *a[2];
    for (int i = 0; i < 2; i++) {
        a[i] = conn(f, "192.0.2.7", "198.18.1.1", 80, 1.0 + 5 * i, false);
        a[i]->c->syn_count = 3;
    }
    struct why_join x;
    why_join_unjoined_conn(&f->cx, a[0], &x);
    assert_int_equal(x.nattempts, 2);
    for (uint32_t i = 0; i < x.nattempts; i++) {
        assert_true(x.attempts[i]->gw_srv); /* 198.18.1.1 is the gateway */
        assert_false(x.attempts[i]->gw_cli);
    }
}

/* A reverse proxy with fixed servers: a request whose server drops SYNs (it retries until
 * its 504) is not given another request's refusal that came in between, when the gateway
 * moved on at once from that refusal to the next server, and that connection carried the
 * other client's request (a balancer's failover, nginx and Apache "two"). A refusal the
 * gateway followed with its own health check (no client's request) still may be. */
static void failover_goes_with_its_request(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *cc = conn(f, "198.18.1.2", "198.18.1.1", 80, 0.9, true);
    struct why_txn *client = request(f, cc, "/fixed", "fixed.lab", 1.0);
    struct why_conn_rec *drop = conn(f, "198.19.0.1", "198.19.0.11", 80, 1.001, false);
    drop->c->syn_count = 3;
    f->more[drop->c->id - 1].syn_ts[0] = T(2.001);
    f->more[drop->c->id - 1].syn_ts[1] = T(3.001);
    /* the other client's request, waiting in the queue */
    struct why_conn_rec *cc2 = conn(f, "198.18.1.3", "198.18.1.1", 80, 3.4, true);
    struct why_txn *two = request(f, cc2, "/two", "two.lab", 3.5);
    why_store_queue_push(&f->st, two);
    struct why_conn_rec *refused = conn(f, "198.19.0.1", "198.19.0.12", 80, 3.501, false);
    wend(&refused->c->half[WHY_S2C])->rst_frame = 77;
    wend(&refused->c->half[WHY_S2C])->rst_ts = T(3.5011);
    struct why_conn_rec *next = conn(f, "198.19.0.1", "198.19.0.10", 80, 3.5012, true);
    struct why_txn *up = request(f, next, "/two", "two.lab", 3.5013);
    answer(up, 200, 3.6);
    answer(client, 504, 4.0);
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 1);
    assert_ptr_equal(x.attempts[0], drop);
    /* the same refusal followed by a check of the gateway's own (/health): no client waits
     * for it, so nothing says the refusal is another request's */
    free(up->target);
    up->target = strdup("/health");
    up->target_len = 7;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 2);
    assert_ptr_equal(x.attempts[1], refused);
}

/* A reverse proxy with a fixed server (no lookup of its own for /fixed) and a request for
 * named.lab waiting in the queue whose name the gateway looked up after it came: the first
 * attempt to the answered address after the answer is named.lab's, not /fixed's; a later one
 * there is not reserved. The request that waits must have come before the lookup, and be
 * another than the one joined; once decided (out of the queue) it reserves nothing. */
static void attempt_reserved_for_waiting_lookup(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *cc = conn(f, "198.18.1.2", "198.18.1.1", 80, 0.9, true);
    struct why_txn *client = request(f, cc, "/fixed", "fixed.lab", 1.0);
    struct why_conn_rec *cc2 = conn(f, "198.18.1.3", "198.18.1.1", 80, 1.05, true);
    struct why_txn *named = request(f, cc2, "/n", "named.lab", 1.1);
    /* another request for the name, begun after the lookup: it reserves nothing */
    struct why_conn_rec *cc3 = conn(f, "198.18.1.4", "198.18.1.1", 80, 1.5, true);
    struct why_txn *late = request(f, cc3, "/n", "named.lab", 1.6);
    why_store_queue_push(&f->st, late);
    resolved(f, "named.lab", "198.19.0.20", 1.2);
    struct why_conn_rec *first = conn(f, "198.19.0.1", "198.19.0.20", 80, 1.3, false);
    struct why_conn_rec *second = conn(f, "198.19.0.1", "198.19.0.20", 80, 1.7, false);
    first->c->syn_count = second->c->syn_count = 3;
    answer(client, 504, 1.75);
    struct why_join x;
    /* nothing waits for named.lab from before its lookup: the earliest attempt is taken */
    why_join_request(&f->cx, client, &x);
    assert_true(x.nattempts >= 1);
    assert_ptr_equal(x.attempts[0], first);
    why_store_queue_push(&f->st, named);
    why_join_request(&f->cx, client, &x);
    assert_true(x.nattempts >= 1);
    assert_ptr_equal(x.attempts[0], second);
    for (uint32_t i = 0; i < x.nattempts; i++)
        assert_ptr_not_equal(x.attempts[i], first);
    /* decided: it reserves nothing any more */
    why_store_queue_remove(&f->st, named);
    why_join_request(&f->cx, client, &x);
    assert_ptr_equal(x.attempts[0], first);
}

/* Two requests through one gateway to two HTTPS origins: the origin of one asks for
 * renegotiation and the gateway never answers (a stall). The other request, to another host,
 * fails on its own connection while the stall is under way: the stalled connection names
 * another host in its SNI, so it is never the other request's (a slow first connection put
 * the HelloRequest inside the other request's wait). */
static void renegotiation_stall_keeps_its_host(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *cc1 = conn(f, "198.18.1.2", "198.18.1.1", 9090, 0.4, true);
    struct why_txn *reneg = request(f, cc1, "http://reneg.tls/r", "reneg.tls", 0.5);
    struct why_conn_rec *cc2 = conn(f, "198.18.1.3", "198.18.1.1", 9090, 0.9, true);
    struct why_txn *alert = request(f, cc2, "http://alert.tls/a", "alert.tls", 1.0);
    struct why_conn_rec *stall = conn(f, "198.19.0.1", "198.19.0.11", 443, 1.05, true);
    stall->app = WHY_APP_TLS;
    why_store_tls_add(&f->st, stall); /* as the TLS reader's open does */
    struct why_tls_facts *st = why_store_tls_facts(&f->st, stall);
    assert_non_null(st);
    why_tls_facts_set(&st->sni, "reneg.tls");
    st->version = 0x0303;
    st->reneg_frame = 60;
    st->reneg_ts = T(1.1);
    why_store_rec_list(&f->st, stall, WHY_LIST_RENEG);
    struct why_conn_rec *failed = conn(f, "198.19.0.1", "198.19.0.12", 443, 1.01, true);
    failed->app = WHY_APP_TLS;
    why_store_tls_add(&f->st, failed);
    struct why_tls_facts *ft = why_store_tls_facts(&f->st, failed);
    assert_non_null(ft);
    why_tls_facts_set(&ft->sni, "alert.tls");
    wend(&failed->c->half[WHY_S2C])->fin_frame = 70;
    wend(&failed->c->half[WHY_S2C])->fin_ts = T(1.02);
    answer(alert, 502, 1.2);
    answer(reneg, 502, 9.1);
    struct why_join x;
    why_join_request(&f->cx, alert, &x);
    assert_ptr_not_equal(x.up_conn, stall);
    for (uint32_t i = 0; i < x.nattempts; i++)
        assert_ptr_not_equal(x.attempts[i], stall);
    why_join_apply(&f->st, &x);
    why_join_request(&f->cx, reneg, &x);
    assert_ptr_equal(x.up_conn, stall);
}

/* A client's TLS connection to the gateway's 443 opened at `at`, its ClientHello at `hello`,
 * closed by the gateway (a FIN) at `cut` before any answer of the server's side. */
static struct why_conn_rec *cut_leg(struct fixture *f, double at, double hello, double cut)
{
    struct why_conn_rec *rc = conn(f, "198.18.3.2", "198.18.1.1", 443, at, true);
    rc->app = WHY_APP_TLS;
    why_store_tls_add(&f->st, rc);
    struct why_tls_facts *t = why_store_tls_facts(&f->st, rc);
    assert_non_null(t);
    t->hello[WHY_C2S] = true;
    rc->c->half[WHY_C2S].first_data_frame = rc->c->first_frame + 3;
    rc->c->half[WHY_C2S].first_data_ts = T(hello);
    wend(&rc->c->half[WHY_S2C])->fin_frame = rc->c->first_frame + 8;
    wend(&rc->c->half[WHY_S2C])->fin_ts = T(cut);
    rc->c->half[WHY_C2S].last_ts = rc->c->half[WHY_S2C].last_ts = T(cut);
    return rc;
}

/* The unjoined TLS join of leg: whether it is a relay's cut (x: the join). */
static bool relay_joined(struct fixture *f, struct why_conn_rec *leg, struct why_join *x)
{
    why_join_unjoined_tls(&f->cx, leg, x);
    return x->relay_cut;
}

/* A relay (a gateway passing TLS through) whose try upstream fails closes its client's
 * connection in the handshake: the cut leg goes with the gateway's failed attempt begun while it
 * was open and failed before the cut, the one begun after the ClientHello first; not with one
 * begun before the client's SYN, nor a refusal more than a second before the cut, nor anything
 * once the server's side of the handshake answered. */
static void relay_cut_joins_its_try(void **state)
{
    struct fixture *f = *state;
    struct why_join x;
    /* (times more than the 2 ms of reorder the join allows apart) */
    refused(f, "198.19.0.80", 0.99);                                /* before the client's SYN */
    struct why_conn_rec *early = refused(f, "198.19.0.80", 1.004);  /* after it, before the hello */
    struct why_conn_rec *own = refused(f, "198.19.0.80", 1.011);    /* after the hello */
    struct why_conn_rec *leg = cut_leg(f, 1.0, 1.008, 1.0115);
    assert_true(relay_joined(f, leg, &x));
    assert_ptr_equal(x.up_conn, own);
    assert_ptr_equal(x.client_conn, leg);
    assert_int_equal(x.nattempts, 1);
    assert_true(why_ts_cmp(x.end_ts, T(1.0115)) == 0);
    why_join_apply(&f->st, &x);
    assert_true(own->claimed && leg->claimed);

    /* the same without the one after the hello: the one after the SYN */
    assert_true(relay_joined(f, cut_leg(f, 1.0, 1.008, 1.0115), &x));
    assert_ptr_equal(x.up_conn, early);
    why_join_apply(&f->st, &x);

    /* only the one before the SYN is left: no join */
    struct why_conn_rec *leg3 = cut_leg(f, 1.0, 1.008, 1.0115);
    assert_false(relay_joined(f, leg3, &x));
    assert_ptr_equal(x.up_conn, leg3);

    /* a refusal 1.5 s before the cut: not what the gateway closed on */
    refused(f, "198.19.0.80", 3.0);
    assert_false(relay_joined(f, cut_leg(f, 2.9, 2.95, 4.5), &x));

    /* SYNs never answered until the cut: the gateway's connect timeout */
    const double syns[] = {6.002, 7.002, 9.002, 0};
    struct why_conn_rec *silent = attempt(f, "198.19.0.81", syns, 0);
    assert_true(relay_joined(f, cut_leg(f, 6.0, 6.001, 9.5), &x));
    assert_ptr_equal(x.up_conn, silent);

    /* the server's side of the handshake answered (its ChangeCipherSpec): not cut in it */
    refused(f, "198.19.0.80", 12.003);
    struct why_conn_rec *done = cut_leg(f, 12.0, 12.002, 12.0035);
    done->tls->ccs[WHY_S2C] = true;
    assert_false(relay_joined(f, done, &x));
}

/* A server that ended TLS itself (it answered a ClientHello no other connection carried) is no
 * relay: a handshake it cut is not joined to an attempt of its own that failed then (a TLS
 * terminator reads the request before it dials); once it passed one through, it is a relay. */
static void relay_cut_not_at_a_terminator(void **state)
{
    struct fixture *f = *state;
    struct why_join x;
    refused(f, "198.19.0.80", 1.011);
    struct why_conn_rec *leg = cut_leg(f, 1.0, 1.008, 1.0115);
    why_store_tls_front(&f->st, why_rec_conn(leg), false);
    assert_true(why_store_tls_front_terminates(&f->st, why_rec_conn(leg)));
    assert_false(relay_joined(f, leg, &x));
    why_store_tls_front(&f->st, why_rec_conn(leg), true);
    assert_false(why_store_tls_front_terminates(&f->st, why_rec_conn(leg)));
    assert_true(relay_joined(f, leg, &x));
    /* another port of the same address is told apart */
    struct why_conn other = *why_rec_conn(leg);
    other.srv_port = 8443;
    assert_false(why_store_tls_front_terminates(&f->st, &other));
}

/* A TLS connection of the gateway's to srv:port that showed certificate `hash` at `at`: it
 * carried data both ways when `data`, else the gateway closed it after the certificate. */
static struct why_conn_rec *tls_cert_conn(struct fixture *f, const char *srv, uint16_t port, uint64_t hash,
                                          double at, bool data)
{
    struct why_conn_rec *rc = conn(f, "198.19.0.1", srv, port, at, true);
    rc->app = WHY_APP_TLS;
    why_store_tls_add(&f->st, rc);
    struct why_tls_facts *t = why_store_tls_facts(&f->st, rc);
    assert_non_null(t);
    t->version = 0x0303;
    t->cert_frame = rc->c->first_frame + 3;
    t->cert_ts = T(at + 0.001);
    t->cert_hash = hash;
    if (data) {
        t->data_records[WHY_C2S] = 2;
        t->appdata[WHY_S2C] = true;
    } else {
        wend(&rc->c->half[WHY_C2S])->fin_frame = rc->c->first_frame + 4;
        wend(&rc->c->half[WHY_C2S])->fin_ts = T(at + 0.002);
    }
    return rc;
}

/* A connection the gateway left after the certificate is a spare when the same certificate
 * carried data both ways on another connection to that server and port; the answer is the
 * same with the sweep's memo as without, whatever was asked before it. */
static void tls_spare_twin(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *left[4] = {
        tls_cert_conn(f, "198.19.0.5", 443, 7, 1.0, false), tls_cert_conn(f, "198.19.0.5", 443, 8, 1.1, false),
        tls_cert_conn(f, "198.19.0.5", 8443, 7, 1.2, false), tls_cert_conn(f, "198.19.0.6", 443, 7, 1.3, false)};
    tls_cert_conn(f, "198.19.0.5", 443, 7, 2.0, true);
    bool want[4] = {true, false, false, false};
    static const int order[][6] = {{0, 1, 2, 3, -1}, {3, 2, 1, 0, -1}, {0, 2, 0, 3, 0, 1}, {1, 0, 3, 0, 2, 0}};
    struct why_spare_memo memo = {0};
    for (int pass = 0; pass < 4; pass++) {
        f->cx.spare = pass ? &memo : NULL;
        memo.valid = false; /* (a sweep) */
        for (int i = 0; i < 6 && order[pass][i] >= 0; i++) {
            int k = order[pass][i];
            assert_int_equal(why_join_tls_spare(&f->cx, left[k]), want[k]);
            assert_int_equal(why_join_tls_spare(&f->cx, left[k]), want[k]);
        }
    }
    f->cx.spare = NULL;
}

/* A client's request to the gateway at `at` (its connection opened 0.1 s before), answered
 * `status` at `answered`. */
static struct why_txn *answered_request(struct fixture *f, uint16_t port, const char *target, const char *host,
                                        double at, int status, double answered)
{
    struct why_conn_rec *cc = conn(f, "198.18.1.2", "198.18.1.1", port, at - 0.1, true);
    struct why_txn *t = request(f, cc, target, host, at);
    answer(t, status, answered);
    return t;
}

/* A failed attempt: SYNs at the times given (0 ends the list), then ICMP at `icmp` (0: none). */
static struct why_conn_rec *attempt(struct fixture *f, const char *srv, const double *syns, double icmp)
{
    struct why_conn_rec *rc = conn(f, "198.19.0.1", srv, 80, syns[0], false);
    uint32_t n = 0;
    for (; syns[n] > 0; n++) {
        struct why_ts *ts = n ? &f->more[rc->c->id - 1].syn_ts[n - 1] : &rc->c->syn_ts0;
        uint64_t *frame = n ? &f->more[rc->c->id - 1].syn_frames[n - 1] : &rc->c->syn_frame;
        *ts = T(syns[n]);
        *frame = rc->c->first_frame + n;
    }
    rc->c->syn_count = n;
    if (icmp > 0) {
        f->more[rc->c->id - 1].icmp_frame = rc->c->first_frame + 5;
        f->more[rc->c->id - 1].icmp_ts = T(icmp);
        f->more[rc->c->id - 1].icmp_last_ts = T(icmp);
        f->more[rc->c->id - 1].icmp_count = 1;
        why_store_conn_refused(&f->st, rc, T(icmp), why_join_holddown_us(rc->c) > WHY_HOLDDOWN_US); /* as the
                                                                         session notes it */
    }
    return rc;
}

/* A refused attempt (RST to its SYN at `at` + 0.1 ms). */
static struct why_conn_rec *refused(struct fixture *f, const char *srv, double at)
{
    const double syns[] = {at, 0};
    struct why_conn_rec *rc = attempt(f, srv, syns, 0);
    wend(&rc->c->half[WHY_S2C])->rst_frame = rc->c->first_frame + 1;
    wend(&rc->c->half[WHY_S2C])->rst_ts = T(at + 0.0001);
    why_store_conn_refused(&f->st, rc, T(at + 0.0001), false);
    return rc;
}

/* HAProxy's retries of a server whose SYNs are dropped: /w (drop.example, a name the gateway's
 * resolvers look up every second) has three tries 1 s apart and its 503 1 s after the third, a
 * timer chain (timer_chain). /x, for a server set by address (no lookup names one), came
 * between and was answered 503 with no try the capture shows as its own (another request
 * took its refusal): the match leaves it no final attempt (named_for_other), and the walk of
 * /x leaves /w's tries to /w (in_others_timer_chain). Before /w was answered nothing says the
 * tries are its, and the walk takes the earliest. */
static void unnamed_leaves_timer_chain_of_named(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *c1 = conn(f, "198.18.1.2", "198.18.1.1", 80, 0.95, true);
    struct why_txn *w = request(f, c1, "/w", "drop.example", 1.0);
    struct why_conn_rec *c3 = conn(f, "198.18.1.4", "198.18.1.1", 80, 1.25, true);
    struct why_txn *w2 = request(f, c3, "/w2", "drop.example", 1.3);
    for (int k = 0; k < 4; k++)
        resolved(f, "drop.example", "198.19.0.99", 0.9 + k);
    struct why_conn_rec *t[3], *t2[3];
    for (int k = 0; k < 3; k++) {
        t[k] = attempt(f, "198.19.0.99", (const double[]){1.0004 + k, 0}, 0);
        t2[k] = attempt(f, "198.19.0.99", (const double[]){1.3004 + k, 0}, 0);
    }
    struct why_conn_rec *c2 = conn(f, "198.18.1.3", "198.18.1.1", 80, 1.9, true);
    struct why_txn *x = request(f, c2, "/x", "fixed.example", 2.0);
    answer(x, 503, 3.2003);
    why_store_queue_push(&f->st, w);
    why_store_queue_push(&f->st, w2);
    struct why_join j;
    /* (the first try after each lookup is the one a waiting request asked for: reserved) */
    why_join_request(&f->cx, x, &j);
    assert_true(j.nattempts >= 1);
    assert_ptr_equal(j.attempts[0], t2[1]);
    answer(w, 503, 4.0006);
    answer(w2, 503, 4.3006);
    why_join_request(&f->cx, x, &j);
    assert_int_equal(j.nattempts, 0);
    why_store_queue_remove(&f->st, w);
    why_join_request(&f->cx, w, &j);
    assert_int_equal(j.nattempts, 3);
    for (int k = 0; k < 3; k++)
        assert_ptr_equal(j.attempts[k], t[k]);
}

/* A 5xx to a server set by address (no lookup names one) is decided after a request waiting
 * for a named server whose unanswered SYN came while it waited (why_join_defer): its walk
 * takes any failed attempt, and decided first it took the named request's tries (the bench's
 * retry shape, HAProxy: refuse.bench's requests took drop.bench's SYNs). Not for a refusal,
 * nor once the named request is decided, nor for a request whose own host is looked up. */
/* x, for a server set by address (fixed.example, answered 503 at 1.5), and w, for
 * drop.example (looked up at 0.9), begun during x's wait; x queued. */
static struct why_txn *unnamed_beside_named(struct fixture *f, struct why_txn **w)
{
    resolved(f, "drop.example", "198.19.0.99", 0.9);
    struct why_conn_rec *cx = conn(f, "198.18.1.3", "198.18.1.1", 80, 0.94, true);
    struct why_txn *x = request(f, cx, "/x", "fixed.example", 0.95);
    struct why_conn_rec *cw = conn(f, "198.18.1.2", "198.18.1.1", 80, 0.99, true);
    *w = request(f, cw, "/w", "drop.example", 1.0);
    answer(x, 503, 1.5);
    why_store_queue_push(&f->st, x);
    return x;
}

static void unnamed_failure_waits_for_named(void **state)
{
    struct fixture *f = *state;
    struct why_txn *w, *x = unnamed_beside_named(f, &w);
    attempt(f, "198.19.0.99", (const double[]){1.0004, 0}, 0);
    /* nothing named waits */
    assert_false(why_join_defer(&f->cx, x));
    why_store_queue_push(&f->st, w);
    assert_true(why_join_defer(&f->cx, x));
    answer(w, 503, 4.0);
    assert_true(why_join_defer(&f->cx, x)); /* answered 5xx after the SYN: still its owner */
    why_store_queue_remove(&f->st, w);
    assert_false(why_join_defer(&f->cx, x));
}

static void refused_try_does_not_defer(void **state)
{
    struct fixture *f = *state;
    struct why_txn *w, *x = unnamed_beside_named(f, &w);
    refused(f, "198.19.0.99", 1.0004);
    why_store_queue_push(&f->st, w);
    assert_false(why_join_defer(&f->cx, x));
    /* a silent one, but x's own host is looked up: its tries have an address too */
    attempt(f, "198.19.0.99", (const double[]){1.2, 0}, 0);
    assert_true(why_join_defer(&f->cx, x));
    resolved(f, "fixed.example", "198.19.0.12", 1.3);
    assert_false(why_join_defer(&f->cx, x));
}

/* Two silent tries to the named server in x's wait, the named request answered 503 between
 * them: it may own the earlier one (its answer came after that SYN), so x still waits. The
 * tries are read newest first and the server's names once: the earlier try, met second,
 * must still become the name's first. */
static void defer_reads_earliest_try_of_each_name(void **state)
{
    struct fixture *f = *state;
    struct why_txn *w, *x = unnamed_beside_named(f, &w);
    attempt(f, "198.19.0.99", (const double[]){1.0004, 0}, 0);
    attempt(f, "198.19.0.99", (const double[]){1.2, 0}, 0);
    why_store_queue_push(&f->st, w);
    answer(w, 503, 1.1);
    assert_true(why_join_defer(&f->cx, x));
}

/* drop.example, looked up every second from 0.9 s for n rounds, resolving to 198.19.0.99 */
static void drop_named(struct fixture *f, int n)
{
    for (int k = 0; k < n; k++)
        resolved(f, "drop.example", "198.19.0.99", 0.9 + k);
}

/* A request for drop.example from cli at `at` (its connection opened 50 ms before), and an
 * unanswered SYN to 198.19.0.99 at `syn`. */
static struct why_txn *drop_request(struct fixture *f, const char *cli, const char *target, double at, double syn,
                                    struct why_conn_rec **try0)
{
    struct why_conn_rec *c = conn(f, cli, "198.18.1.1", 80, at - 0.05, true);
    struct why_txn *t = request(f, c, target, "drop.example", at);
    *try0 = attempt(f, "198.19.0.99", (const double[]){syn, 0}, 0);
    return t;
}

/* a and b wait (queued); a is decided: its join */
static void decide_first(struct fixture *f, struct why_txn *a, struct why_txn *b, struct why_join *x)
{
    why_store_queue_push(&f->st, a);
    why_store_queue_push(&f->st, b);
    why_store_queue_remove(&f->st, a);
    why_join_request(&f->cx, a, x);
}

/* ...of three tries */
static void decide_first_of_two(struct fixture *f, struct why_txn *a, struct why_txn *b, struct why_join *x)
{
    decide_first(f, a, b, x);
    assert_int_equal(x->nattempts, 3);
}

/* Two requests for a named server 2.2 ms apart, each tried three times 1 s apart and answered
 * 1 s after its third try (HAProxy, `timeout connect 1s`, `retries 2`), the tries' times
 * jittering by 2-3 ms (the bench's retry shape, 200 MB capture at 14:33:08 UTC, times kept
 * to the microsecond). Matched from the answer, the try nearest each due time took the other
 * request's first try; the first try of a chain is the one dialled nearest after its request. */
static void timer_chain_first_try_at_once(void **state)
{
    struct fixture *f = *state;
    drop_named(f, 4);
    struct why_conn_rec *a1, *b1;
    struct why_txn *a = drop_request(f, "198.18.1.19", "/346.jpg", 1.026325, 1.026357, &a1);
    struct why_txn *b = drop_request(f, "198.18.1.20", "/116.js", 1.028525, 1.028602, &b1);
    struct why_conn_rec *a2 = attempt(f, "198.19.0.99", (const double[]){2.026196, 0}, 0);
    struct why_conn_rec *b2 = attempt(f, "198.19.0.99", (const double[]){2.028768, 0}, 0);
    struct why_conn_rec *a3 = attempt(f, "198.19.0.99", (const double[]){3.028425, 0}, 0);
    struct why_conn_rec *b3 = attempt(f, "198.19.0.99", (const double[]){3.029989, 0}, 0);
    answer(a, 503, 4.027918);
    answer(b, 503, 4.029533);
    struct why_join x;
    decide_first_of_two(f, a, b, &x);
    assert_ptr_equal(x.attempts[0], a1);
    why_join_apply(&f->st, &x);
    why_store_queue_remove(&f->st, b);
    why_join_request(&f->cx, b, &x);
    assert_int_equal(x.nattempts, 3);
    assert_ptr_equal(x.attempts[0], b1);
    /* each try went to one request: the later two of each pair, one each */
    struct why_conn_rec *mid = x.attempts[1], *last = x.attempts[2];
    assert_true(mid == a2 || mid == b2);
    assert_true(last == a3 || last == b3);
}

/* HAProxy on a loaded machine (the retry shape at 2 GB): /a dialled at once, its first retry
 * 60 ms late (1.060 s after), its second 1.006 s after that, its 503 0.999 s later. The try
 * nearest 1 s before the first retry is /z's (a request 0.95 s earlier, its tries on the
 * second), 53 ms after /a came: taken as the chain's first, it did not start the chain, and
 * /a's tries went to the walk. The dial /a began with, whose timer ran late, is its first. */
static void timer_chain_first_timer_late(void **state)
{
    struct fixture *f = *state;
    drop_named(f, 5);
    struct why_conn_rec *z1, *a1;
    struct why_txn *z = drop_request(f, "198.18.1.3", "/z", 0.05, 0.0532, &z1);
    struct why_txn *a = drop_request(f, "198.18.1.2", "/a", 1.0, 1.0005, &a1);
    attempt(f, "198.19.0.99", (const double[]){1.0532, 0}, 0);
    attempt(f, "198.19.0.99", (const double[]){2.0532, 0}, 0);
    struct why_conn_rec *a2 = attempt(f, "198.19.0.99", (const double[]){2.0605, 0}, 0);
    struct why_conn_rec *a3 = attempt(f, "198.19.0.99", (const double[]){3.0665, 0}, 0);
    answer(z, 503, 3.0532);
    answer(a, 503, 4.0655);
    why_store_queue_push(&f->st, z);
    why_store_queue_push(&f->st, a);
    why_store_queue_remove(&f->st, a);
    struct why_join x;
    why_join_request(&f->cx, a, &x);
    assert_int_equal(x.nattempts, 3);
    assert_ptr_equal(x.attempts[0], a1);
    assert_ptr_equal(x.attempts[1], a2);
    assert_ptr_equal(x.attempts[2], a3);
}

/* Every try of the looked-up address while the request waited failed, each taken by another
 * request (the retry shape at 2 GB: HAProxy's tries of drop.bench's dead server): no attempt
 * for this one, the address tried (not "resolved and never connected"), and the tries counted
 * for the reading that says so, not "the upstream side shows no failure". */
static void looked_up_tries_all_others_failed(void **state)
{
    struct fixture *f = *state;
    drop_named(f, 5);
    struct why_conn_rec *t0;
    struct why_txn *a = drop_request(f, "198.18.1.2", "/a", 1.0, 1.0004, &t0);
    t0->claimed = true;
    for (int k = 1; k < 3; k++)
        attempt(f, "198.19.0.99", (const double[]){1.0004 + k, 0}, 0)->claimed = true;
    answer(a, 503, 4.0);
    why_store_queue_push(&f->st, a);
    why_store_queue_remove(&f->st, a);
    struct why_join x;
    why_join_request(&f->cx, a, &x);
    assert_int_equal(x.nattempts, 0);
    assert_false(x.resolved_unused);
    assert_int_equal(x.resolved_tried_failed, 3);
}

/* A first try seen 180 us before the request (another request's, begun just before: -i any
 * may show a SYN up to WHY_CAUSAL_US before the request that caused it) and one 30 us after:
 * the nearer one is the request's first, not the one seen before it. */
static void timer_chain_first_try_nearest_either_side(void **state)
{
    struct fixture *f = *state;
    drop_named(f, 4);
    struct why_conn_rec *z1, *a1;
    struct why_txn *z = drop_request(f, "198.18.1.3", "/z", 0.9998, 0.99982, &z1);
    struct why_txn *a = drop_request(f, "198.18.1.2", "/a", 1.0, 1.00003, &a1);
    for (int k = 1; k < 3; k++) {
        attempt(f, "198.19.0.99", (const double[]){0.99982 + k, 0}, 0);
        attempt(f, "198.19.0.99", (const double[]){1.00003 + k, 0}, 0);
    }
    answer(a, 503, 4.00003);
    struct why_join x;
    decide_first_of_two(f, a, z, &x);
    assert_ptr_equal(x.attempts[0], a1);
    (void)z1;
}

/* A chain's due try that a request decided before took: the chain goes on past it (many
 * requests waiting at once on one dead server, one read wrong left each later one a try
 * short, and the walk of each then took every try of the others). /v came 0.3 s after /w and
 * waits; its tries are not /w's. */
static void timer_chain_past_taken_try(void **state)
{
    struct fixture *f = *state;
    drop_named(f, 4);
    struct why_conn_rec *t[3], *u[3];
    struct why_txn *w = drop_request(f, "198.18.1.2", "/w", 1.0, 1.0004, &t[0]);
    struct why_txn *v = drop_request(f, "198.18.1.3", "/v", 1.3, 1.3004, &u[0]);
    for (int k = 1; k < 3; k++) {
        t[k] = attempt(f, "198.19.0.99", (const double[]){1.0004 + k, 0}, 0);
        u[k] = attempt(f, "198.19.0.99", (const double[]){1.3004 + k, 0}, 0);
    }
    answer(w, 503, 4.0006);
    why_store_queue_push(&f->st, w);
    why_store_queue_push(&f->st, v);
    t[1]->claimed = true; /* taken by a request decided before */
    why_store_queue_remove(&f->st, w);
    struct why_join x;
    why_join_request(&f->cx, w, &x);
    assert_int_equal(x.nattempts, 2);
    assert_ptr_equal(x.attempts[0], t[0]);
    assert_ptr_equal(x.attempts[1], t[2]);
    for (int k = 0; k < 3; k++)
        assert_true(x.attempts[0] != u[k] && x.attempts[1] != u[k]);
}

/* Two requests for drop.example, /a and /b, each looked up (asked and answered at the times
 * of its `dns`) and dialled once (at its `at` + the second time), the SYN dropped; /a answered
 * 502 at `answered` and decided with /b waiting: /a's one try is its own dial, /b's is /b's. */
static void dial_of_other_join(struct fixture *f, const double a[4], const double b[4], double answered)
{
    struct why_conn_rec *a1, *b1;
    lookup_at(f, "drop.example", WHY_DNS_A, "198.19.0.99", a[2], a[3]);
    struct why_txn *ta = drop_request(f, "198.18.1.2", "/a", a[0], a[1], &a1);
    lookup_at(f, "drop.example", WHY_DNS_A, "198.19.0.99", b[2], b[3]);
    struct why_txn *tb = drop_request(f, "198.18.1.3", "/b", b[0], b[1], &b1);
    answer(ta, 502, answered);
    struct why_join x;
    decide_first(f, ta, tb, &x);
    assert_int_equal(x.nattempts, 1);
    assert_ptr_equal(x.attempts[0], a1);
    (void)b1;
}

/* Caddy looks each request's name up and dials once, when the answer comes (30-85 ms after
 * the request), and answers 502 at its dial timeout (the balance shape, drop.bench). /a dialled
 * 20 ms after it came; /b came 0.45 s later, its lookup answered 32 ms after that and its dial
 * 38 ms after the answer, 70 ms after /b. Times: the request, its SYN, its lookup asked and
 * answered. */
static const double dial_a[4] = {1.0, 1.02, 1.005, 1.006}, dial_b[4] = {1.45, 1.52, 1.48, 1.482};

/* ...answered 1.03 s after /a's dial: no timer fits the two dials, the walk of tries would
 * take /b's as /a's next */
static void dial_of_other_not_next_try(void **state)
{
    dial_of_other_join(*state, dial_a, dial_b, 2.05);
}

/* ...answered 0.5 s after /b's dial, 0.5 s after /a's: a timer of 0.5 s fits a chain of the
 * two, whose one retry is /b's first */
static void dial_of_other_not_timer_retry(void **state)
{
    dial_of_other_join(*state, dial_a, dial_b, 2.02);
}

/* /a and /b came 20 ms apart and were dialled in turn, /a's dial after /b came (the balance
 * shape at 200 MB, 04:31:58.6: requests 20.6 ms apart, dials 22 ms apart): /a takes the first,
 * and the second is /b's, not /a's next try; none of the tries after /b came but /a's own was
 * left for /b. */
static void dial_of_other_after_own(void **state)
{
    dial_of_other_join(*state, (const double[4]){1.0, 1.025, 1.022, 1.024}, (const double[4]){1.02, 1.045, 1.03, 1.032},
                       2.03);
}

/* Caddy's dial timeout runs from its lookup: its one SYN to a server that drops them 0.93 s
 * before the 502, nothing back. Where the capture's SYNs were answered within 2 ms, an answer
 * the capture missed would have come long before: the gateway's timer ended the try; where no
 * SYN was answered yet, nothing tells how far the server is; an answer 0.1 s after the SYN is
 * one a missed reset could have made; and a later try is not read so (another's, maybe). */
static void timer_after_lookup_not_blind(void **state)
{
    struct fixture *f = *state;
    struct why_txn *t = answered_request(f, 80, "/x", "drop.lab", 1.0, 502, 2.0);
    struct why_join x = {.client = t, .end_frame = 99, .end_ts = T(2.0), .nattempts = 1};
    x.attempts[0] = x.up_conn = attempt(f, "198.19.0.99", (const double[]){1.07, 0}, 0);
    assert_int_equal(why_join_upstream_blind(&f->cx, &x), WHY_BLIND_ANSWER);
    f->cx.syn_rtt_max_us = 2000;
    assert_int_equal(why_join_upstream_blind(&f->cx, &x), WHY_BLIND_NONE);
    x.attempts[0] = x.up_conn = attempt(f, "198.19.0.99", (const double[]){1.9, 0}, 0);
    assert_int_equal(why_join_upstream_blind(&f->cx, &x), WHY_BLIND_ANSWER);
    x.nattempts = 2;
    x.attempts[0] = attempt(f, "198.19.0.98", (const double[]){1.01, 0}, 0);
    x.attempts[1] = x.up_conn = attempt(f, "198.19.0.99", (const double[]){1.07, 0}, 0);
    assert_int_equal(why_join_upstream_blind(&f->cx, &x), WHY_BLIND_ANSWER);
}

/* /b came 1.0010 s after /a, both waiting on one dead server tried every second: /a's second
 * try is due when /b's first is dialled (the bench's retry shape at 2 GB: 1.9 ms apart). The
 * try dialled at once after /b is /b's first, and /a takes its own, 2.5 ms from its time. */
static void timer_chain_leaves_first_try_of_other(void **state)
{
    struct fixture *f = *state;
    drop_named(f, 5);
    struct why_conn_rec *a1, *b1;
    struct why_txn *a = drop_request(f, "198.18.1.2", "/a", 1.0, 1.00005, &a1);
    struct why_conn_rec *a2 = attempt(f, "198.19.0.99", (const double[]){1.9975, 0}, 0);
    struct why_txn *b = drop_request(f, "198.18.1.3", "/b", 2.0010, 2.0011, &b1);
    struct why_conn_rec *a3 = attempt(f, "198.19.0.99", (const double[]){3.0, 0}, 0);
    attempt(f, "198.19.0.99", (const double[]){3.0015, 0}, 0);
    answer(a, 503, 4.0001);
    struct why_join x;
    decide_first_of_two(f, a, b, &x);
    assert_ptr_equal(x.attempts[0], a1);
    assert_ptr_equal(x.attempts[1], a2);
    assert_ptr_equal(x.attempts[2], a3);
    (void)b1;
}

/* A reverse proxy may rewrite the Host, so an upstream request for the same path on another
 * host can be a client's: not when a client's request for that host and path waits beside
 * it, whose it is (a retry shape's capture, HAProxy: drop.bench's /f/381.png, whose tries all
 * timed out, took stall.bench's upstream request for /f/381.png and read as no response). */
static void upstream_of_same_host_request_not_taken(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *ca = conn(f, "198.18.1.2", "198.18.1.1", 80, 0.9, true);
    struct why_txn *a = request(f, ca, "/f/381.png", "drop.example", 1.0);
    struct why_conn_rec *cb = conn(f, "198.18.1.3", "198.18.1.1", 80, 0.95, true);
    struct why_txn *b = request(f, cb, "/f/381.png", "stall.example", 1.01);
    struct why_conn_rec *up = conn(f, "198.19.0.1", "198.19.0.19", 8081, 1.0102, true);
    struct why_txn *t = request(f, up, "/f/381.png", "stall.example", 1.0105);
    answer(a, 503, 4.0);
    /* alone, the upstream request may be a's with its Host rewritten */
    assert_ptr_equal(why_join_upstream_indexed(&f->cx, a), t);
    why_store_queue_push(&f->st, b);
    assert_null(why_join_upstream_indexed(&f->cx, a));
    assert_ptr_equal(why_join_upstream_indexed(&f->cx, b), t);
    struct why_join x;
    why_join_request(&f->cx, a, &x);
    assert_null(x.up);
}

/* A gateway passes a request's Host on or rewrites it, never drops it: an upstream request for
 * the same path without a Host is the gateway's own (HAProxy's `option httpchk GET /f/000.html`
 * is that line and HTTP/1.0; a retry shape's capture, requests for drop.bench/f/000.html took
 * b_api's check, answered 200, and read as a gateway error). A client's request without a
 * Host may still have it. */
static void upstream_without_host_not_taken(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *ca = conn(f, "198.18.1.2", "198.18.1.1", 80, 0.9, true);
    struct why_txn *a = request(f, ca, "/f/000.html", "drop.example", 1.0);
    struct why_conn_rec *up = conn(f, "198.19.0.1", "198.19.0.15", 80, 1.0102, true);
    struct why_txn *t = request(f, up, "/f/000.html", "", 1.0105);
    answer(t, 200, 1.011);
    answer(a, 503, 4.0);
    assert_null(why_join_upstream_indexed(&f->cx, a));
    struct why_join x;
    why_join_request(&f->cx, a, &x);
    assert_null(x.up);
    struct why_conn_rec *cb = conn(f, "198.18.1.3", "198.18.1.1", 80, 0.95, true);
    struct why_txn *b = request(f, cb, "/f/000.html", "", 1.01);
    answer(b, 503, 4.0);
    assert_ptr_equal(why_join_upstream_indexed(&f->cx, b), t);
}

/* A gateway's failed attempt no request took, to one address of a name it looks up on every
 * request (many answers with the same two addresses, among answers of other names with that
 * address), and its connection to the name's other address right after: the next address of
 * the list, no failure of its own. Without that connection (or one too late) it is one. */
static void unjoined_next_address(void **state)
{
    struct fixture *f = *state;
    struct why_addr gw = A("198.19.0.1"), dns = A("198.19.0.53");
    struct why_addr two[2] = {A("198.19.0.30"), A("198.19.0.31")};
    for (int i = 0; i < 40; i++) {
        char name[32];
        snprintf(name, sizeof name, i % 2 ? "other%d.lab" : "dual.lab", i);
        struct why_dns_rec *d = why_store_dns_new(&f->st, &gw, (uint16_t)(50000 + i), &dns, 53, (uint16_t)i, name, WHY_DNS_A);
        d->q_ts = d->last_q_ts = T(0.1 * i);
        d->answered = true;
        d->a_ts = T(0.1 * i + 0.001);
        why_store_dns_answer(&f->st, d, two, i % 2 ? 1 : 2);
    }
    struct why_conn_rec *failed = refused(f, "198.19.0.30", 5.0);
    conn(f, "198.19.0.1", "198.19.0.31", 80, 5.001, true);
    struct why_conn_rec *alone = refused(f, "198.19.0.30", 10.0);
    struct why_join x;
    assert_true(why_join_unjoined_fallback(&f->cx, failed, &x));
    assert_int_equal(x.nattempts, 1);
    assert_ptr_equal(x.attempts[0], failed);
    assert_false(why_join_unjoined_fallback(&f->cx, alone, &x));
}

/* A reverse proxy with fixed servers named by address (HAProxy, Varnish): two requests fail
 * at once. /drop's server drops SYNs (two tries, 1 s apart, the last SYN retransmitted 20 ms
 * after the gateway gave up and answered); /icmp's server answers ICMP, tried three times
 * after a retry timer; the gateway answers each ~1 s after its last attempt began. Decided
 * one at a time, /drop took /icmp's second attempt (the next SYN after its first one ended).
 * Matched at once, each request gets the chain that ends right before its own answer, in
 * whichever order they are decided. */
static void parallel_failures_matched_at_once(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *cd = conn(f, "198.18.1.2", "198.18.1.1", 80, 0.9, true);
    struct why_txn *drop = request(f, cd, "/drop", "drop.lab", 1.0);
    struct why_conn_rec *ci = conn(f, "198.18.1.3", "198.18.1.1", 80, 0.95, true);
    struct why_txn *icmp = request(f, ci, "/icmp", "icmp.lab", 1.05);
    struct why_conn_rec *d1 = attempt(f, "198.19.0.11", (const double[]){1.01, 2.01, 0}, 0);
    struct why_conn_rec *i1 = attempt(f, "198.19.0.13", (const double[]){1.06, 0}, 1.0601);
    struct why_conn_rec *i2 = attempt(f, "198.19.0.13", (const double[]){2.10, 0}, 2.1001);
    struct why_conn_rec *d2 = attempt(f, "198.19.0.11", (const double[]){3.05, 4.10, 0}, 0);
    struct why_conn_rec *i3 = attempt(f, "198.19.0.13", (const double[]){3.20, 0}, 3.2001);
    answer(drop, 503, 4.08);
    answer(icmp, 503, 4.20);
    why_store_queue_push(&f->st, drop);
    why_store_queue_push(&f->st, icmp);
    struct why_join x;
    for (int round = 0; round < 2; round++) { /* /icmp decided first, then /drop first */
        why_join_request(&f->cx, round ? drop : icmp, &x);
        if (round) {
            assert_int_equal(x.nattempts, 2);
            assert_ptr_equal(x.attempts[0], d1);
            assert_ptr_equal(x.attempts[1], d2);
            assert_ptr_equal(x.up_conn, d2);
        } else {
            assert_int_equal(x.nattempts, 3);
            assert_ptr_equal(x.attempts[0], i1);
            assert_ptr_equal(x.attempts[1], i2);
            assert_ptr_equal(x.attempts[2], i3);
        }
    }
    /* once /drop is decided and its chain claimed, /icmp's join is the same */
    drop->decided = true;
    why_join_apply(&f->st, &x);
    why_join_request(&f->cx, icmp, &x);
    assert_int_equal(x.nattempts, 3);
    assert_ptr_equal(x.attempts[2], i3);
}

/* t's join takes one attempt: rc. */
static void joins_one(struct fixture *f, struct why_txn *t, const struct why_conn_rec *rc)
{
    struct why_join j;
    why_join_request(&f->cx, t, &j);
    assert_int_equal(j.nattempts, 1);
    assert_ptr_equal(j.attempts[0], rc);
}

/* The match is a maximum one, not greedy: /early's closest attempt (1.0 ms before its answer)
 * is the only one /late can own (the other began before /late's request), so /early takes its
 * next closest (1.5 ms) and /late gets its own. */
static void final_attempts_matched_for_all(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *ce = conn(f, "198.18.1.2", "198.18.1.1", 80, 0.9, true);
    struct why_txn *early = request(f, ce, "/early", "early.lab", 1.0);
    struct why_conn_rec *cl = conn(f, "198.18.1.3", "198.18.1.1", 80, 1.9, true);
    struct why_txn *late = request(f, cl, "/late", "late.lab", 2.0);
    struct why_conn_rec *x = attempt(f, "198.19.0.11", (const double[]){1.1, 2.9995, 0}, 0);
    struct why_conn_rec *y = attempt(f, "198.19.0.14", (const double[]){2.1, 3.0, 0}, 0);
    answer(early, 503, 3.001);
    answer(late, 503, 3.2);
    why_store_queue_push(&f->st, early);
    why_store_queue_push(&f->st, late);
    joins_one(f, early, x);
    joins_one(f, late, y);
}

/* A backend dropping SYNs behind a gateway that answers 504 at its 1 s connect timeout, one
 * try a request, requests about a second apart (bench/make-flood.py --dropped, 60 requests in
 * 60 s, times of its requests 2 and 3): /a's try at once, /b's request 0.96 s later and its
 * try 0.1 ms after it, /a's 504 40 ms after that. /b's try is /b's dial, not a retry of /a's:
 * taken as /a's retry (a chain of two, its own 0.96 s read as the connect timer), it left /b
 * with no try (`no_upstream_attempt`) and /a told as the gateway's own claim. A gateway that
 * dialled nothing between /a's request and a later silent try may have dialled it late for
 * /a; not here. */
static void later_request_dial_no_retry(void **state)
{
    struct fixture *f = *state;
    struct why_txn *a = answered_request(f, 80, "/r/0", "www.example", 1.0, 504, 1.9991);
    struct why_conn_rec *a1 = attempt(f, "198.19.0.80", (const double[]){1.0001, 0}, 0);
    struct why_txn *b = answered_request(f, 80, "/r/0", "www.example", 1.959217, 504, 2.958317);
    struct why_conn_rec *b1 = attempt(f, "198.19.0.80", (const double[]){1.959317, 0}, 0);
    why_store_queue_push(&f->st, a);
    why_store_queue_push(&f->st, b);
    why_store_queue_remove(&f->st, a);
    struct why_join x;
    why_join_request(&f->cx, a, &x);
    assert_int_equal(x.nattempts, 1);
    assert_ptr_equal(x.attempts[0], a1);
    a->decided = true;
    why_join_apply(&f->st, &x);
    why_store_queue_remove(&f->st, b);
    why_join_request(&f->cx, b, &x);
    assert_int_equal(x.nattempts, 1);
    assert_ptr_equal(x.attempts[0], b1);
}

/* A reverse proxy whose fixed server refuses: /fixed's two tries of it 1 s apart, answered
 * 503 1.3 ms after the second refusal; long polls arrive 12 us after each try began, and the
 * gateway opens each one's connection to a working server right after the refusal. The
 * second try is no failover of the second poll: it retried a try begun before that poll
 * came, and /fixed, which waited across both with no attempt elsewhere, was answered right
 * after it. Taken for the poll's failover, it left /fixed with no attempt
 * (no_upstream_attempt), and the refusals were reported unjoined by default, or taken by the
 * polls' full joins with --exhaustive. */
static void retry_not_failover_of_later_request(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *cf = conn(f, "198.18.2.2", "198.18.1.1", 80, 0.9999, true);
    struct why_txn *fixed = request(f, cf, "/fixed/27", "app.example", 1.0);
    why_store_queue_push(&f->st, fixed);
    struct why_conn_rec *r[2];
    for (int k = 0; k < 2; k++) {
        double at = 1.0 + k;
        r[k] = refused(f, "198.19.1.28", at + 0.0003);
        char target[16];
        snprintf(target, sizeof target, "/poll/%d", k);
        struct why_conn_rec *cp = conn(f, "198.18.0.2", "198.18.1.1", 80, at + 0.000302, true);
        struct why_txn *poll = request(f, cp, target, "app.example", at + 0.000312);
        why_store_queue_push(&f->st, poll);
        struct why_conn_rec *up = conn(f, "198.19.0.1", "198.19.0.10", 80, at + 0.0006, true);
        request(f, up, target, "app.example", at + 0.0009);
    }
    answer(fixed, 503, 2.0017);
    struct why_join x;
    why_join_request(&f->cx, fixed, &x);
    assert_int_equal(x.nattempts, 2);
    assert_ptr_equal(x.attempts[0], r[0]);
    assert_ptr_equal(x.attempts[1], r[1]);
}

/* HAProxy answers a request whose attempts time out (SYNs unanswered or drawing ICMP) its
 * `timeout connect` (1 s) after its last SYN, whenever other requests' chains ended: five
 * requests bunched within 0.25 s, each with a chain of three attempts 1 s apart, answered
 * 2.99-3.00 s after they came (races/run8's syndrop, adminprohib, prohib6, unreach and
 * hostprohib, to the microsecond). The drop request's own chain ended 0.991 s before its
 * answer, prohib6's 0.798 s before it: taking the attempt that ended closest before the
 * answer gave it prohib6's chain, and the others each other's. Matched on the timeout the
 * chains show (the median time from a timed-out try to the retry), each gets its own. A
 * sixth chain, refused three times (the `he` request's, which the match does not hold: its
 * host was looked up), ended 0.17-0.42 s before the five answers; closest-first, every
 * request reached for it and the augmenting paths pushed each onto another's chain. */
struct chain_spec {
    const char *cli, *srv;
    double req, ans, syn[3], icmp[3];
};

static void haproxy_fixed_time_answers(void **state)
{
    struct fixture *f = *state;
    static const struct chain_spec sp[] = {
        {"198.18.1.2", "198.19.0.11", 1.661307, 4.652489, {1.661532, 2.662345, 3.661512}, {0, 0, 0}},
        {"198.18.1.3", "198.19.0.13", 1.861803, 4.864430, {1.873271, 2.873270, 3.864877}, {1.873325, 2.873328, 3.865005}},
        {"198.18.1.4", "198.19.0.15", 1.863791, 4.853444, {1.863990, 2.863143, 3.854772}, {1.864032, 2.863192, 3.854814}},
        {"198.18.1.5", "198.19.0.16", 1.903868, 4.900970, {1.909507, 2.908933, 3.901081}, {1.909583, 2.908977, 3.901120}},
        {"198.18.1.6", "198.19.0.14", 1.905542, 4.893896, {1.921454, 2.901965, 3.893836}, {1.921505, 2.902021, 3.893891}},
    };
    enum { N = sizeof sp / sizeof sp[0] };
    struct why_txn *req[N];
    struct why_conn_rec *att[N][3];
    /* records in the order of their first packet, as the store keeps them */
    struct ev { double at; int who, k; } evs[N * 4 + 3];
    int nev = 0;
    for (int i = 0; i < N; i++) {
        evs[nev++] = (struct ev){sp[i].req - 0.0001, i, -1};
        for (int k = 0; k < 3; k++)
            evs[nev++] = (struct ev){sp[i].syn[k], i, k};
    }
    static const double refused[3] = {2.491810, 3.490535, 4.481720};
    for (int k = 0; k < 3; k++)
        evs[nev++] = (struct ev){refused[k], N, k};
    for (int a = 1; a < nev; a++)
        for (int b = a; b > 0 && evs[b].at < evs[b - 1].at; b--) {
            struct ev t = evs[b];
            evs[b] = evs[b - 1];
            evs[b - 1] = t;
        }
    for (int e = 0; e < nev; e++) {
        if (evs[e].who == N) {
            struct why_conn_rec *r = attempt(f, "198.19.0.12", (const double[]){evs[e].at, 0}, 0);
            wend(&r->c->half[WHY_S2C])->rst_frame = r->c->first_frame + 1;
            wend(&r->c->half[WHY_S2C])->rst_ts = T(evs[e].at + 0.00003);
            continue;
        }
        const struct chain_spec *c = &sp[evs[e].who];
        if (evs[e].k < 0) {
            struct why_conn_rec *cc = conn(f, c->cli, "198.18.1.1", 80, evs[e].at, true);
            req[evs[e].who] = request(f, cc, "/x", "x.lab", c->req);
            answer(req[evs[e].who], 503, c->ans);
        } else {
            att[evs[e].who][evs[e].k] =
                attempt(f, c->srv, (const double[]){c->syn[evs[e].k], 0}, c->icmp[evs[e].k]);
        }
    }
    for (int i = 0; i < N; i++)
        why_store_queue_push(&f->st, req[i]);
    struct why_join x;
    for (int i = 0; i < N; i++) {
        why_join_request(&f->cx, req[i], &x);
        assert_int_equal(x.nattempts, 3);
        for (int k = 0; k < 3; k++)
            assert_ptr_equal(x.attempts[k], att[i][k]);
    }
}

/* races/run6's hostprohib (Varnish): its attempt drew ICMP 0.66 ms before its 503, and a probe
 * of 198.19.0.12 (refused every 0.5 s) was refused 0.16 ms before it. A check is a final
 * attempt only within 2 ms of the answer, and there after any attempt off a schedule. */
static void check_after_own_attempt(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 5; i++)
        refused(f, "198.19.0.12", 3.865 + 0.5 * i);
    struct why_txn *client = answered_request(f, 80, "/hostprohib", "hostprohib.lab", 5.990048, 503, 6.365276);
    why_store_queue_push(&f->st, client);
    struct why_conn_rec *own = attempt(f, "198.19.0.14", (const double[]){6.364487, 0}, 6.364619);
    struct why_conn_rec *probe = refused(f, "198.19.0.12", 6.3651);
    joins_one(f, client, own);
    /* its own attempt taken by another request: the probe, within 2 ms, still may be */
    own->claimed = true;
    joins_one(f, client, probe);
}

/* races/run10 (Varnish, a loaded machine): the drop request's SYNs to 198.19.0.11 (1.875,
 * 2.904, 3.928 s) went unanswered and its 503 came 3 s after the first; rst's attempt was
 * refused by 198.19.0.12 (2.667) and its 503 came 14 ms later, 0.2 ms after a probe of
 * 198.19.0.17 (every ~0.5 s, each refused); two's attempt was refused by 198.19.0.12 1.46 s
 * after rst's. The two refusals are no retry chain: the one request waiting across both (the
 * drop request) had its own attempt retransmitting SYNs between them, and a request's attempts
 * come one after another; so two gets its refusal, the drop request its SYNs. And rst's own
 * refusal, which no other request waiting then could have made (the drop request was busy
 * with its SYNs), is its final attempt rather than the probe 0.2 ms before its answer. */
/* A request is joined once its answer settled: the records opened since (the settle time's)
 * are passed over, not its attempt, even one made after a record that opened later (records
 * are in the order of their first packet within WHY_ORDER_SLACK_US only: -i any). */
static void attempt_found_past_newer_records(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *cc = conn(f, "198.18.1.2", "198.18.1.1", 9090, 0.9, true);
    struct why_txn *client = request(f, cc, "http://198.19.0.10/x", "", 1.0);
    conn(f, "198.19.0.1", "198.19.0.20", 80, 1.9, false);
    struct why_conn_rec *a1 = conn(f, "198.19.0.1", "198.19.0.10", 80, 1.001, false);
    wend(&a1->c->half[WHY_S2C])->rst_frame = 25;
    wend(&a1->c->half[WHY_S2C])->rst_ts = T(1.0011);
    for (int i = 0; i < 4; i++)
        conn(f, "198.19.0.1", "198.19.0.20", 80, 2.1 + 0.05 * i, false);
    answer(client, 503, 1.003);
    assert_false(f->st.conns_unordered);
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 1);
    assert_ptr_equal(x.attempts[0], a1);
}

static void attempts_one_after_another(void **state)
{
    struct fixture *f = *state;
    static const double probes[] = {0.0, 0.5006, 1.0643, 1.58, 2.132, 2.681031, 3.188, 3.6923, 4.204, 4.7165};
    struct why_conn_rec *probe_rst = NULL, *a = NULL, *b = NULL, *x = NULL;
    struct why_txn *drop = NULL, *rst = NULL, *two = NULL;
    for (int i = 0; i < 5; i++)
        refused(f, "198.19.0.17", probes[i]);
    drop = request(f, conn(f, "198.18.1.2", "198.18.1.1", 80, 1.7348, true), "/varnish/syndrop", "drop.lab", 1.852155);
    x = attempt(f, "198.19.0.11", (const double[]){1.875158, 2.90379, 3.927734, 0}, 0);
    rst = request(f, conn(f, "198.18.1.3", "198.18.1.1", 80, 2.579229, true), "/varnish/rst", "rst.lab", 2.579362);
    a = refused(f, "198.19.0.12", 2.667103);
    probe_rst = refused(f, "198.19.0.17", probes[5]);
    for (int i = 6; i < 9; i++)
        refused(f, "198.19.0.17", probes[i]);
    two = request(f, conn(f, "198.18.1.4", "198.18.1.1", 80, 4.059256, true), "/varnish/two", "two.lab", 4.131001);
    b = refused(f, "198.19.0.12", 4.131471);
    refused(f, "198.19.0.17", probes[9]);
    answer(rst, 503, 2.681258);
    answer(two, 503, 4.138919);
    answer(drop, 503, 4.878469);
    why_store_queue_push(&f->st, drop);
    why_store_queue_push(&f->st, rst);
    why_store_queue_push(&f->st, two);
    /* decided as their answers settle, each out of the queue */
    struct why_txn *order[] = {rst, two, drop};
    struct why_conn_rec *own[] = {a, b, x};
    for (int i = 0; i < 3; i++) {
        struct why_join j;
        why_store_queue_remove(&f->st, order[i]);
        f->cx.deciding = order[i];
        why_join_request(&f->cx, order[i], &j);
        assert_int_equal(j.nattempts, 1);
        assert_ptr_equal(j.attempts[0], own[i]);
        why_join_apply(&f->st, &j);
    }
    assert_false(probe_rst->claimed);
}

/* races/run4 (Varnish, 3 s connect timeout, a loaded machine): the drop request's server
 * drops SYNs (sent at 0, 1.03 and 2.06 s), its 503 comes 3.08 s after the first; unreach's
 * request comes after the third SYN and its attempt draws ICMP 0.77 s after it, its 503 0.36 s
 * later. The drop attempt may still have been alive when unreach's began (the kernel's next
 * SYN was not due before 3.08 s): nothing says the gateway moved on from one to the other, so
 * unreach's attempt is no link of a chain begun before unreach. Chained, it could only be the
 * drop request's, which took it as its final attempt and left unreach none. */
static void silent_attempt_not_chained_across_requests(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *cd = conn(f, "198.18.1.2", "198.18.1.1", 80, 5.9, true);
    struct why_txn *drop = request(f, cd, "/drop", "drop.lab", 6.031395);
    struct why_conn_rec *d = attempt(f, "198.19.0.11", (const double[]){6.303808, 7.334897, 8.358896, 0}, 0);
    struct why_conn_rec *cu = conn(f, "198.18.1.3", "198.18.1.1", 80, 8.8, true);
    struct why_txn *unreach = request(f, cu, "/unreach", "unreach.lab", 8.891185);
    struct why_conn_rec *u = attempt(f, "198.19.0.16", (const double[]){9.127055, 0}, 9.127135);
    answer(drop, 503, 9.379095);
    answer(unreach, 503, 9.487135);
    why_store_queue_push(&f->st, drop);
    why_store_queue_push(&f->st, unreach);
    joins_one(f, drop, d);
    joins_one(f, unreach, u);
    /* begun once the drop attempt was surely over (its next SYN would have shown): the
     * gateway moved on from it, and the chain is the drop request's, as before */
    u->c->syn_ts0 = u->c->first_ts = T(9.4);
    f->more[u->c->id - 1].icmp_ts = T(9.4001);
    answer(drop, 503, 9.41);
    unreach->has_resp = false;
    struct why_join x;
    why_join_request(&f->cx, drop, &x);
    assert_int_equal(x.nattempts, 2);
    assert_ptr_equal(x.attempts[0], d);
    assert_ptr_equal(x.attempts[1], u);
}

/* races/run8's drop request: three tries of a server that drops SYNs, 1 s apart, and the
 * answer 0.991 s after the last, before the kernel would send that SYN again. Not a RST the
 * capture missed: the gateway's own timer ended the last try as it ended the others. A lone
 * unanswered SYN answered that close to the kernel's 1 s is not either (races/run26: HAProxy's
 * `timeout connect 1s` fired 59 us before it, its tries 0.85 and 1.19 s apart on a loaded
 * machine); one answered sooner with nothing to show a timer is. */
static void timed_out_chain_not_blind(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *cc = conn(f, "198.18.1.2", "198.18.1.1", 80, 1.66, true);
    struct why_txn *t = request(f, cc, "/x", "drop.lab", 1.661307);
    answer(t, 503, 4.652489);
    struct why_join x = {.client = t, .end_frame = 99, .end_ts = T(4.652489), .nattempts = 3};
    x.attempts[0] = attempt(f, "198.19.0.11", (const double[]){1.661532, 0}, 0);
    x.attempts[1] = attempt(f, "198.19.0.11", (const double[]){2.662345, 0}, 0);
    x.attempts[2] = attempt(f, "198.19.0.11", (const double[]){3.661512, 0}, 0);
    x.up_conn = x.attempts[2];
    assert_false(why_join_upstream_blind(&f->cx, &x));
    x.attempts[0] = x.attempts[2];
    x.nattempts = 1;
    assert_false(why_join_upstream_blind(&f->cx, &x)); /* 0.991 s: the last 5 % of the second */
    x.attempts[0] = attempt(f, "198.19.0.11", (const double[]){3.702490, 0}, 0);
    assert_true(why_join_upstream_blind(&f->cx, &x)); /* 0.949999 s */
    x.attempts[0] = attempt(f, "198.19.0.11", (const double[]){3.702489, 0}, 0);
    assert_false(why_join_upstream_blind(&f->cx, &x)); /* 0.95 s */
    /* tries 0.4 s apart, answered 0.8 s after the last: not the timer that ended the last one */
    x.nattempts = 2;
    x.attempts[0] = attempt(f, "198.19.0.11", (const double[]){3.452489, 0}, 0);
    x.attempts[1] = attempt(f, "198.19.0.11", (const double[]){3.852489, 0}, 0);
    assert_true(why_join_upstream_blind(&f->cx, &x));
    /* 0.8 s apart: the same timer */
    x.attempts[0] = attempt(f, "198.19.0.11", (const double[]){3.052489, 0}, 0);
    assert_false(why_join_upstream_blind(&f->cx, &x));
}

/* What why_join_upstream_blind finds among the oldest records, read the plain way: the first
 * WHY_STORE_OLDEST records by creation, of them an upstream connection of the gateway's that
 * lacks a side, or a server's RST to the gateway while x waited on one with no packet from
 * the gateway (the mirror case, a client's RST, does not arise below). */
static bool oldest_blind_walk(struct fixture *f, const struct why_join *x)
{
    int n = 0;
    for (struct why_conn_rec *rc = f->st.rhead; rc && n < WHY_STORE_OLDEST; rc = rc->rnext, n++) {
        const struct why_conn *c = why_rec_conn(rc);
        why_gw_roles(&f->gw, rc);
        if (!rc->gw_cli || rc->gw_srv)
            continue;
        if (c->half[WHY_C2S].missing || c->half[WHY_S2C].missing)
            return true;
        struct why_ts t = c->half[WHY_S2C].end->rst_ts;
        if (!c->half[WHY_C2S].packets && c->half[WHY_S2C].end->rst_frame &&
            why_ts_cmp(t, x->client->req_ts) >= 0 && why_ts_cmp(t, x->end_ts) <= 0)
            return true;
    }
    return false;
}

/* The answer of why_join_upstream_blind at a new sweep (its cache read again) and without
 * the cache, checked against the plain walk. */
static bool blind_at_sweep(struct fixture *f, const struct why_join *x, struct why_lone_rsts *lone)
{
    /* the counts the session gives the store at each sweep (why_store_open_one_way): the
     * fixture's connections stand for the flow table's (made closed by hand, not through
     * why_store_conn_closed) */
    uint32_t missing = 0, lone_rst = 0;
    for (const struct why_conn_rec *rc = f->st.rhead; rc; rc = rc->rnext) {
        unsigned b = why_conn_one_way(why_rec_conn(rc));
        missing += (b & WHY_CONN_ONE_WAY_MISSING) != 0;
        lone_rst += (b & WHY_CONN_ONE_WAY_LONE_RST) != 0;
    }
    why_store_open_one_way(&f->st, missing, lone_rst);
    lone->valid = lone->up_valid = false;
    f->cx.lone = lone;
    bool got = why_join_upstream_blind(&f->cx, x);
    f->cx.lone = NULL;
    assert_true(why_join_upstream_blind(&f->cx, x) == got);
    assert_true(oldest_blind_walk(f, x) == got);
    return got;
}

/* Only the oldest WHY_STORE_OLDEST records are looked at for a side the capture lacks. Which
 * ones those are changes as older records are pruned, and whether one lacks a side as its
 * packets come: a server's RST on a connection the capture shows nothing of from the gateway,
 * the first record past the oldest, counts once an older record goes, and no longer once the
 * gateway's packet on it comes; a connection of which the capture misses the server's side,
 * two further, once three go; the next one, once the last of the oldest goes. */
static void oldest_records_follow_pruning(void **state)
{
    struct fixture *f = *state;
    enum { N = WHY_STORE_OLDEST + 4, LONE = WHY_STORE_OLDEST - 1, MISSING = WHY_STORE_OLDEST + 1 };
    static struct why_conn cs[N + 8];
    static struct why_conn_end es[N + 8];
    struct why_conn_rec *r[N + 8];
    struct why_conn_rec *cc = conn(f, "198.18.1.2", "198.18.1.1", 80, 99.0, true);
    struct why_txn *t = request(f, cc, "/x", "shop.lab", 100.0);
    answer(t, 502, 101.0);
    why_store_queue_push(&f->st, t); /* not decided yet: kept */
    struct why_join x = {.client = t, .end_frame = 99, .end_ts = T(101.0)};
    for (int i = 0; i < N + 8; i++) {
        struct why_conn *c = &cs[i];
        c->id = 1000 + (uint64_t)i;
        c->cli_addr = A("198.19.0.1");
        c->srv_addr = A("198.19.0.20");
        c->cli_port = (uint16_t)(1024 + i);
        c->srv_port = 80;
        c->more = &why_conn_more_none;
        c->miss = &why_conn_miss_none;
        why_conn_set_ends(c, &es[i]);
        c->syn_count = 1;
        c->syn_frame = c->first_frame = 1000 + (uint64_t)i;
        c->syn_ts0 = c->first_ts = T(1.0 + i * 0.001);
        c->established = true;
        c->half[WHY_C2S].packets = c->half[WHY_S2C].packets = 3;
        if (i == LONE) { /* the server's RST while x waited, nothing from the gateway */
            c->established = false;
            c->half[WHY_C2S].packets = 0;
            c->half[WHY_S2C].packets = 1;
            es[i].half[WHY_S2C].rst_frame = 5000;
            es[i].half[WHY_S2C].rst_ts = T(100.5);
        } else if (i == MISSING || i == MISSING + 1) {
            c->half[WHY_S2C].packets = 0;
            c->half[WHY_S2C].missing = true;
        }
        if (i == N) /* the records after: they come once the oldest were read */
            assert_false(blind_at_sweep(f, &x, &(struct why_lone_rsts){0}));
        r[i] = why_store_conn_new(&f->st, c);
        assert_non_null(r[i]);
        r[i]->closed = true;
    }
    struct why_lone_rsts lone = {0};
    /* the client's connection is the oldest: LONE is the first past the oldest */
    assert_false(blind_at_sweep(f, &x, &lone));
    why_store_conn_active(&f->st, r[0]);
    why_store_prune(&f->st, T(1000), false);
    assert_ptr_equal(f->st.rhead, cc);
    assert_true(blind_at_sweep(f, &x, &lone));
    assert_int_equal(lone.n, 1);
    cs[LONE].half[WHY_C2S].packets = 1; /* the gateway's packet comes */
    assert_false(blind_at_sweep(f, &x, &lone));
    why_store_conn_active(&f->st, r[1]);
    why_store_prune(&f->st, T(1000), false);
    assert_false(blind_at_sweep(f, &x, &lone)); /* MISSING: the first past the oldest */
    why_store_conn_active(&f->st, r[2]);
    why_store_prune(&f->st, T(1000), false);
    assert_true(blind_at_sweep(f, &x, &lone));
    cs[MISSING].half[WHY_S2C].missing = false;
    cs[MISSING].half[WHY_S2C].packets = 1;
    assert_false(blind_at_sweep(f, &x, &lone)); /* MISSING + 1: the first past the oldest */
    why_store_conn_active(&f->st, r[MISSING]); /* the last of the oldest goes */
    why_store_prune(&f->st, T(1000), false);
    assert_true(blind_at_sweep(f, &x, &lone));
}

/* A live HAProxy run on a loaded machine: prohib6's chain (ICMP, tries 2.1 s apart) ended
 * 1.1 s before its answer, `he`'s last refusal 0.3 ms before it. he's server is named he.lab
 * and resolved while he waited (so he is not in the match): an address the capture shows
 * resolved for he.lab only, while a request for he.lab waited, is not prohib6's. */
static void attempt_named_for_waiting_request(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *cp = conn(f, "198.18.1.2", "198.18.1.1", 80, 0.99, true);
    struct why_txn *p6 = request(f, cp, "/p", "prohib6.lab", 1.0);
    struct why_conn_rec *p1 = attempt(f, "198.19.0.15", (const double[]){1.01, 0}, 1.0101);
    struct why_conn_rec *ch = conn(f, "198.18.1.3", "198.18.1.1", 80, 1.99, true);
    struct why_txn *he = request(f, ch, "/he", "he.lab", 2.0);
    resolved(f, "he.lab", "198.19.0.12", 2.001);
    struct why_conn_rec *h[3];
    const double at[3] = {2.01, 3.05, 4.2997};
    struct why_conn_rec *p2 = NULL;
    for (int k = 0; k < 3; k++) {
        if (k == 2)
            p2 = attempt(f, "198.19.0.15", (const double[]){3.1, 0}, 3.1001);
        h[k] = attempt(f, "198.19.0.12", (const double[]){at[k], 0}, 0);
        wend(&h[k]->c->half[WHY_S2C])->rst_frame = h[k]->c->first_frame + 1;
        wend(&h[k]->c->half[WHY_S2C])->rst_ts = T(at[k] + 0.00002);
    }
    answer(he, 503, 4.2999);
    answer(p6, 503, 4.3000);
    why_store_queue_push(&f->st, p6);
    why_store_queue_push(&f->st, he);
    struct why_join x;
    why_join_request(&f->cx, p6, &x);
    assert_int_equal(x.nattempts, 2);
    assert_ptr_equal(x.attempts[0], p1);
    assert_ptr_equal(x.attempts[1], p2);
}

/* An upstream request of the gateway's behind an opaque client leg (TLS, no keys): lost when
 * nothing follows it, retried when the gateway sent the same request again within
 * WHY_GW_RETRY_US of its end and got an answer below 500. */
static struct why_txn *up_attempt(struct fixture *f, const char *target, double at, double end, int status)
{
    struct why_conn_rec *rc = conn(f, "198.19.0.1", "198.19.0.20", 80, at, true);
    rc->c->half[WHY_C2S].last_ts = rc->c->half[WHY_S2C].last_ts = T(end);
    struct why_txn *t = request(f, rc, target, "shop.lab", at);
    if (status)
        answer(t, status, end);
    else
        wend(&rc->c->half[WHY_S2C])->fin_ts = T(end), wend(&rc->c->half[WHY_S2C])->fin_frame = 77;
    return t;
}

static void upstream_retried_or_lost(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *cc = conn(f, "198.18.1.2", "198.18.1.1", 443, 0.5, true);
    cc->app = WHY_APP_TLS;
    why_store_tls_add(&f->st, cc); /* as the TLS reader's open does */
    cc->c->half[WHY_C2S].last_ts = cc->c->half[WHY_S2C].last_ts = T(9);
    struct why_txn *kept = up_attempt(f, "/a", 1.0, 1.01, 0);  /* closed under it ... */
    up_attempt(f, "/a", 1.02, 1.05, 200);                       /* ... sent again: 200 */
    struct why_txn *late = up_attempt(f, "/d", 2.0, 2.01, 0);   /* again 1.49 s later */
    up_attempt(f, "/d", 3.5, 3.6, 200);
    struct why_txn *lost = up_attempt(f, "/b", 4.0, 4.5, 0);    /* nothing follows */
    struct why_txn *again = up_attempt(f, "/c", 5.0, 5.01, 0);  /* sent again: 502 */
    up_attempt(f, "/c", 5.1, 5.2, 502);
    struct why_txn *other = up_attempt(f, "/e", 6.0, 6.01, 0);  /* another path follows */
    up_attempt(f, "/f", 6.02, 6.05, 200);
    assert_true(why_join_upstream_retried(&f->cx, kept));
    assert_false(why_join_upstream_orphan(&f->cx, kept));
    /* the same answered request, taken by a client request: that client's, not a retry */
    struct why_txn *taken = up_attempt(f, "/t", 1.06, 1.07, 0);
    struct why_txn *took = up_attempt(f, "/t", 1.08, 1.09, 200);
    assert_true(why_join_upstream_retried(&f->cx, taken));
    struct why_conn_rec *rcq = conn(f, "198.18.1.5", "198.18.1.1", 9090, 1.075, true);
    struct why_txn *q = request(f, rcq, "http://shop.lab/t", "shop.lab", 1.076);
    answer(q, 200, 1.1);
    why_store_claim_txn(&f->st, took, q);
    for (int ex = 0; ex < 2; ex++) {
        f->cx.exhaustive = ex;
        assert_false(why_join_upstream_retried(&f->cx, taken));
        assert_true(why_join_upstream_retried(&f->cx, kept));
    }
    f->cx.exhaustive = false;
    for (struct why_txn **t = (struct why_txn *[]){late, lost, again, other, NULL}; *t; t++) {
        assert_false(why_join_upstream_retried(&f->cx, *t));
        assert_true(why_join_upstream_orphan(&f->cx, *t));
    }
    /* a readable client request for it waited then (answered later, settled on its own): its
     * decision covers the attempt, whatever the capture could read of it */
    struct why_conn_rec *rc7 = conn(f, "198.18.1.3", "198.18.1.1", 9090, 6.9, true);
    struct why_txn *c7 = request(f, rc7, "http://shop.lab/g", "shop.lab", 7.0);
    answer(c7, 200, 7.5);
    struct why_txn *spanned = up_attempt(f, "/g", 7.01, 7.3, 0);
    assert_false(why_join_upstream_orphan(&f->cx, spanned));
    /* the same however many requests came after it before its decision (a busy gateway's) */
    struct why_conn_rec *busy = NULL;
    for (int k = 0; k < 5000; k++) {
        if (k % 1000 == 0)
            busy = conn(f, "198.18.1.4", "198.18.1.1", 9090, 7.35, true);
        answer(request(f, busy, "http://shop.lab/h", "shop.lab", 7.4 + k * 0.0002), 200, 8.5);
    }
    assert_false(why_join_upstream_orphan(&f->cx, spanned));
    c7->resp_first_ts = T(7.005); /* answered before the attempt: another request's */
    assert_true(why_join_upstream_orphan(&f->cx, spanned));
    struct why_conn_rec *one = NULL;
    assert_int_equal(why_join_opaque_client(&f->cx, lost, &one, 2), 1);
    assert_ptr_equal(one, cc);
    /* found however many records began between the opaque leg and the request (the few
     * begun just before are asked first), and not after the leg closed */
    for (int k = 0; k < 40; k++)
        conn(f, "198.18.1.9", "198.18.1.1", 8080, 8.0 + k * 0.001, true);
    struct why_txn *far = up_attempt(f, "/h", 8.5, 8.6, 0);
    assert_int_equal(why_join_opaque_client(&f->cx, far, NULL, 1), 1);
    for (int k = 0; k < 40; k++)
        conn(f, "198.18.1.9", "198.18.1.1", 8080, 9.5 + k * 0.001, true);
    struct why_txn *after = up_attempt(f, "/h", 9.8, 9.9, 0);
    assert_int_equal(why_join_opaque_client(&f->cx, after, NULL, 1), 0);
    assert_int_equal(why_join_opaque_client(&f->cx, after, NULL, 2), 0);
    /* a client request that took it, or keys that open the client leg: not an orphan */
    lost->claimed_by = kept;
    assert_false(why_join_upstream_orphan(&f->cx, lost));
    lost->claimed_by = NULL;
    cc->dec_http = cc->http_live = true;
    assert_int_equal(why_join_opaque_client(&f->cx, lost, NULL, 2), 0);
    assert_false(why_join_upstream_orphan(&f->cx, lost));
}

/* A readable client request that covered an upstream request behind an opaque client leg
 * (answered 200 after the gateway's first try was cut) covers it still once decided and freed
 * by the pruning: it marks it when decided, or the upstream request would read as an orphan
 * (a failure of its own) whenever a pruning passed between the two decisions. Not one for
 * another path, nor one begun after the client request's answer or the gateway's close. */
static void spanned_after_client_trimmed(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *cc = conn(f, "198.18.1.2", "198.18.1.1", 443, 0.5, true);
    cc->app = WHY_APP_TLS;
    why_store_tls_add(&f->st, cc);
    cc->c->half[WHY_C2S].last_ts = cc->c->half[WHY_S2C].last_ts = T(12);
    struct why_conn_rec *rc7 = conn(f, "198.18.1.3", "198.18.1.1", 9090, 6.9, true);
    struct why_txn *c7 = request(f, rc7, "http://shop.lab/g", "shop.lab", 7.0);
    answer(c7, 200, 7.5);
    struct why_txn *cut = up_attempt(f, "/g", 7.01, 7.3, 0);
    assert_false(why_join_upstream_orphan(&f->cx, cut));
    why_join_mark_spanned(&f->cx, c7); /* decided */
    assert_true(cut->spanned);
    c7->decided = c7->is_client_leg = true;
    why_store_trim_txns(&f->st, rc7, T(8.0), false);
    assert_null(rc7->txn_head); /* freed */
    assert_false(why_join_upstream_orphan(&f->cx, cut));
    struct why_conn_rec *rc8 = conn(f, "198.18.1.3", "198.18.1.1", 9090, 9.9, true);
    struct why_txn *c8 = request(f, rc8, "http://shop.lab/k", "shop.lab", 10.0);
    answer(c8, 200, 10.5);
    struct why_txn *other = up_attempt(f, "/m", 10.01, 10.3, 0);
    struct why_txn *late = up_attempt(f, "/k", 10.6, 10.7, 0);
    why_join_mark_spanned(&f->cx, c8);
    assert_false(other->spanned);
    assert_false(late->spanned);
    assert_true(why_join_upstream_orphan(&f->cx, other));
    assert_true(why_join_upstream_orphan(&f->cx, late));
    /* a client request never answered, its connection closed by the gateway: it covers what
     * was sent for it before that close, not one sent after (a client that gave up is not
     * looked for in the two minutes of requests for its URL after it) */
    struct why_conn_rec *rc9 = conn(f, "198.18.1.3", "198.18.1.1", 9090, 10.9, true);
    struct why_txn *c9 = request(f, rc9, "http://shop.lab/n", "shop.lab", 11.0);
    wend(&rc9->c->half[WHY_S2C])->fin_frame = 91;
    wend(&rc9->c->half[WHY_S2C])->fin_ts = T(11.05);
    struct why_txn *sent = up_attempt(f, "/n", 11.01, 11.02, 0);
    struct why_txn *after = up_attempt(f, "/n", 11.2, 11.3, 0);
    why_join_mark_spanned(&f->cx, c9);
    assert_true(sent->spanned);
    assert_false(after->spanned);
    assert_false(why_join_upstream_orphan(&f->cx, sent));
    assert_true(why_join_upstream_orphan(&f->cx, after));
}

/* The gateway's HTTP/2 connection to srv (from 198.19.0.1, opened at `at`), on which the
 * origin sent GOAWAY at `goaway`, as app/http2.c records it. */
static struct why_conn_rec *h2_goaway(struct fixture *f, const char *srv, double at, double goaway)
{
    struct why_conn_rec *rc = conn(f, "198.19.0.1", srv, 8001, at, true);
    rc->app = WHY_APP_H2;
    assert_non_null(why_store_rec_more(&f->st, rc));
    rc->more->h2.goaway_frame = rc->c->first_frame + 5;
    rc->more->h2.goaway_ts = T(goaway);
    rc->more->h2.goaway_dir = WHY_S2C;
    why_store_rec_list(&f->st, rc, WHY_LIST_GOAWAY);
    return rc;
}

/* A 502 with no attempt: the gateway's HTTP/2 connection to the origin got GOAWAY just before
 * the request (the one connection that fits); one that got it seconds before does not. */
static void goaway_before_request_found(void **state)
{
    struct fixture *f = *state;
    h2_goaway(f, "198.19.0.21", 0.1, 0.2);
    struct why_txn *client = answered_request(f, 9090, "http://shop.lab/x", "shop.lab", 3.0, 502, 3.01);
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 0);
    assert_null(x.goaway_conn);
    struct why_conn_rec *h2 = h2_goaway(f, "198.19.0.20", 0.3, 2.95);
    why_join_request(&f->cx, client, &x);
    assert_ptr_equal(x.goaway_conn, h2);
    h2->more->h2.goaway_dir = WHY_C2S; /* the gateway's own GOAWAY: not the origin's doing */
    why_join_request(&f->cx, client, &x);
    assert_null(x.goaway_conn);
}

/* Two HTTP/2 connections got GOAWAY just before a 502 with no attempt: the one that carried a
 * request for the client's host is the one (not the later GOAWAY), the same once the pruning
 * has taken that request from it (its host's key kept), or the answer would hang on whether a
 * pruning passed before the decision. */
static void goaway_before_host_after_trim(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *a = h2_goaway(f, "198.19.0.20", 0.3, 2.95);
    struct why_conn_rec *b = h2_goaway(f, "198.19.0.21", 0.3, 2.96);
    answer(request(f, a, "/y", "Shop.lab", 1.0), 200, 1.1);
    answer(request(f, b, "/z", "other.lab", 1.0), 200, 1.1);
    a->app = b->app = WHY_APP_H2;
    struct why_txn *client = answered_request(f, 9090, "http://shop.lab/x", "shop.lab", 3.0, 502, 3.01);
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 0);
    assert_ptr_equal(x.goaway_conn, a);
    why_store_trim_txns(&f->st, a, T(10.0), true);
    why_store_trim_txns(&f->st, b, T(10.0), true);
    assert_null(a->txn_head);
    assert_null(b->txn_head);
    why_join_request(&f->cx, client, &x);
    assert_ptr_equal(x.goaway_conn, a);
}

/* Four refusals of 198.19.0.17 0.5 s apart from 0.6 s (no schedule: five make one), the join
 * asking through the cache k: the first. */
static struct why_conn_rec *four_refusals(struct fixture *f, struct why_sched_cache *k)
{
    f->cx.sched = k;
    struct why_conn_rec *first = refused(f, "198.19.0.17", 0.6);
    for (int i = 1; i < 4; i++)
        refused(f, "198.19.0.17", 0.6 + 0.5 * i);
    return first;
}

/* why_join_scheduled's answer is kept across packets and sweeps (the cache's gen) while the
 * records to the server stay, and asked again once one comes: four refusals 0.5 s apart are
 * no schedule (five make one), a fifth counts as soon as its record is made. */
static void scheduled_asked_again_when_a_record_comes(void **state)
{
    struct fixture *f = *state;
    struct why_sched_cache *k = calloc(1, sizeof *k);
    struct why_conn_rec *first = four_refusals(f, k);
    assert_false(why_join_scheduled(&f->cx, first));
    assert_false(why_join_scheduled_loose(&f->cx, first));
    k->gen++; /* a packet that changed nothing to that server */
    assert_false(why_join_scheduled(&f->cx, first));
    refused(f, "198.19.0.17", 2.6);
    assert_true(why_join_scheduled(&f->cx, first));
    assert_true(why_join_scheduled_loose(&f->cx, first));
    f->cx.sched = NULL;
    assert_true(why_join_scheduled(&f->cx, first));
    free(k);
}

/* ...and once one of them goes: the path's attempts the cache holds lose it (background.c:
 * path_sync), so four refusals left of five 0.5 s apart are no schedule again. */
static void scheduled_asked_again_when_a_record_goes(void **state)
{
    struct fixture *f = *state;
    struct why_sched_cache *k = calloc(1, sizeof *k);
    struct why_conn_rec *first = four_refusals(f, k);
    struct why_conn_rec *fifth = refused(f, "198.19.0.17", 2.6);
    assert_true(why_join_scheduled(&f->cx, first));
    assert_true(why_join_on_beat(&f->cx, first));
    fifth->closed = true;
    why_store_conn_active(&f->st, fifth);
    why_store_prune(&f->st, T(1000), false);
    struct why_addr srv = A("198.19.0.17");
    int left = 0;
    for (struct why_conn_rec *o = why_store_conns_to(&f->st, &srv); o; o = why_store_conns_next(o))
        left++;
    assert_int_equal(left, 4); /* the fifth went, the four stay */
    assert_false(why_join_scheduled(&f->cx, first));
    assert_false(why_join_on_beat(&f->cx, first));
    f->cx.sched = NULL;
    assert_false(why_join_scheduled(&f->cx, first));
    free(k);
}

/* ...and once one of them sends its first SYN (why_store_conn_syn): a record made before its
 * SYN (no SYN: not an attempt yet) changes the answer only then. Until the store is told, the
 * answer is the one kept (what shows it is kept at all). */
static void scheduled_asked_again_after_a_first_syn(void **state)
{
    struct fixture *f = *state;
    struct why_sched_cache *k = calloc(1, sizeof *k);
    struct why_conn_rec *first = four_refusals(f, k);
    struct why_conn_rec *fifth = refused(f, "198.19.0.17", 2.6);
    fifth->c->syn_count = 0;
    assert_false(why_join_scheduled(&f->cx, first));
    fifth->c->syn_count = 1;
    assert_false(why_join_scheduled(&f->cx, first)); /* kept: the store was not told */
    why_store_conn_syn(&f->st, fifth);
    assert_true(why_join_scheduled(&f->cx, first));
    free(k);
}

/* Refused attempts of the gateway's, into rc; how many. 290 to one path, more than the
 * schedule test reads (257): a check every second with up to 3 ms of jitter, a request's retry
 * 0.55-0.8 s after a third of them, two at one time, two at one distance either side of a
 * third. Then small paths the other schedule tests hold: HAProxy's checks every 0.5 s with
 * requests' tries between them (races/run31), Apache's drifting checks (races/run1), five
 * attempts that keep no time. With `ns`, every seventh of the 290 is off whole microseconds by
 * 1 ns. */
static int many_attempts(struct fixture *f, struct why_conn_rec **rc, bool ns)
{
    uint32_t seed = 12345;
    double at = 0.6;
    int n = 0;
    while (n < 290) {
        seed = seed * 1103515245u + 12345u;
        double t = at + (double)((seed >> 16) % 3000) / 1e6 + (ns && n % 7 == 0 ? 1e-9 : 0);
        rc[n++] = refused(f, "198.19.0.17", t);
        if ((seed >> 20) % 3 == 0 && n < 290)
            rc[n++] = refused(f, "198.19.0.17", t + 0.55 + (double)((seed >> 8) % 250) / 1000);
        if (n == 100)
            rc[n++] = refused(f, "198.19.0.17", t); /* at one time */
        if (n == 150) {
            rc[n++] = refused(f, "198.19.0.17", t + 0.2); /* one distance either side */
            rc[n++] = refused(f, "198.19.0.17", t + 0.4);
        }
        at += 1.0;
    }
    const double checks[] = {9.419422, 9.918324, 10.417570, 10.916782, 11.416356, 11.915806,
                             9.500216, 9.517974, 10.498429, 11.497211};
    for (int i = 0; i < 10; i++)
        rc[n++] = refused(f, "198.19.0.12", checks[i]);
    const double drift[] = {1.0, 2.069714, 3.25204, 4.392047, 5.761362};
    const double odd[] = {1.0, 2.0, 2.5, 4.0, 5.3};
    for (int i = 0; i < 5; i++) {
        rc[n++] = refused(f, "198.19.0.13", drift[i]);
        rc[n++] = refused(f, "198.19.0.14", odd[i]);
    }
    return n;
}

/* The schedule test reads a path's attempts from their times sorted once per path
 * (background.c: scheduled_set), and keeps their neighbours' periods: for each attempt, the
 * same answers as its walk of the server-address index without the cache (scheduled_any),
 * strict, loose and on the beat, and with checks already pruned added
 * (why_join_unjoined_check); on whole microseconds and off them. */
static void schedule_same_from_sorted_times(void **state)
{
    for (int ns = 0; ns < 2; ns++) {
        if (ns) {
            teardown(state);
            setup(state);
        }
        struct fixture *f = *state;
        struct why_conn_rec *rc[320];
        int n = many_attempts(f, rc, ns);
        struct why_sched_cache *k = calloc(1, sizeof *k);
        uint32_t yes = 0, no = 0;
        for (int pass = 0; pass < 2; pass++) {
            if (pass) { /* checks gone: four of the first ones, one held, two of the small paths */
                for (int i = 0; i < 7; i++)
                    why_store_note_check(&f->st, rc[i < 4 ? 3 * i : i == 4 ? 250 : 290 + i]->c);
                /* and the paths' records change: answers asked anew, the kept periods
                 * dropped (two earlier than all of 198.19.0.12's move every place there) */
                for (int i = 0; i < 8; i++)
                    rc[n++] = refused(f, "198.19.0.17", 200.25 + 0.1 * i);
                rc[n++] = refused(f, "198.19.0.12", 8.0);
                rc[n++] = refused(f, "198.19.0.12", 8.3);
            }
            for (int i = 0; i < n; i++) {
                struct why_join x1, x2;
                f->cx.sched = k;
                bool s = why_join_scheduled(&f->cx, rc[i]), l = why_join_scheduled_loose(&f->cx, rc[i]),
                     b = why_join_on_beat(&f->cx, rc[i]), g = why_join_unjoined_check(&f->cx, rc[i], &x1);
                f->cx.sched = NULL;
                assert_int_equal(s, why_join_scheduled(&f->cx, rc[i]));
                assert_int_equal(l, why_join_scheduled_loose(&f->cx, rc[i]));
                assert_int_equal(b, why_join_on_beat(&f->cx, rc[i]));
                assert_int_equal(g, why_join_unjoined_check(&f->cx, rc[i], &x2));
                yes += s;
                no += !s;
            }
        }
        assert_true(yes > 100 && no >= 4); /* on a schedule and off (the retry, the odd ones) */
        free(k);
    }
}

/* Every record to 198.19.0.17 left, asked through the cache k and without it: the same
 * answers; how many were asked. */
static int schedule_same_for_each_left(struct fixture *f, struct why_sched_cache *k)
{
    struct why_addr srv = A("198.19.0.17");
    struct why_conn_rec *left[400];
    int n = 0;
    for (struct why_conn_rec *o = why_store_conns_to(&f->st, &srv); o && n < 400; o = why_store_conns_next(o))
        if (why_addr_eq(&why_rec_conn(o)->srv_addr, &srv))
            left[n++] = o;
    for (int i = 0; i < n; i++) {
        f->cx.sched = k;
        bool s = why_join_scheduled(&f->cx, left[i]), l = why_join_scheduled_loose(&f->cx, left[i]),
             b = why_join_on_beat(&f->cx, left[i]), busy = why_join_path_busy(&f->cx, left[i]);
        f->cx.sched = NULL;
        assert_int_equal(s, why_join_scheduled(&f->cx, left[i]));
        assert_int_equal(l, why_join_scheduled_loose(&f->cx, left[i]));
        assert_int_equal(b, why_join_on_beat(&f->cx, left[i]));
        assert_int_equal(busy, why_join_path_busy(&f->cx, left[i]));
    }
    return n;
}

/* A path's attempts, once read, are brought up to date as records to its server come and go
 * (background.c: path_sync) instead of read anew: after each change, the same answers through
 * the cache as without it for every record left. Records go from among the held ones and from
 * past them while more than the test reads (257) are held (the next one unknown: read anew),
 * and while fewer are; new ones come before them, some at one time, some earlier than the
 * newest held. */
static void schedule_kept_as_records_come_and_go(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *rc[400];
    int n = many_attempts(f, rc, false);
    struct why_sched_cache *k = calloc(1, sizeof *k);
    struct why_addr srv = A("198.19.0.17");
    assert_int_equal(schedule_same_for_each_left(f, k), 290);
    bool out[400] = {false};
    int left = 290;
    double at = 300.0;
    for (int step = 0; step < 10; step++) {
        /* some go: held ones (the newest), ones past the held (the oldest), one of the middle */
        int pick[3] = {-1, -1, -1}, np = 0;
        for (int i = n - 1; i >= 0 && np < 1; i--)
            if (!out[i] && why_addr_eq(&rc[i]->c->srv_addr, &srv))
                pick[np++] = i;
        for (int i = 0; i < n && np < 2; i++)
            if (!out[i] && why_addr_eq(&rc[i]->c->srv_addr, &srv))
                pick[np++] = i;
        for (int i = 150 + step * 7; i < n && np < 3; i++)
            if (!out[i] && why_addr_eq(&rc[i]->c->srv_addr, &srv))
                pick[np++] = i;
        for (int j = 0; j < np; j++) {
            rc[pick[j]]->closed = true;
            why_store_conn_active(&f->st, rc[pick[j]]);
            out[pick[j]] = true;
        }
        why_store_prune(&f->st, T(1000), false);
        left -= np;
        assert_int_equal(schedule_same_for_each_left(f, k), left);
        /* new ones come: one at a time already held, one earlier than the newest held */
        for (int j = 0; j < 3 && n < 400; j++, left++)
            rc[n++] = refused(f, "198.19.0.17", j == 0 ? 150.6 : j == 1 ? at - 2.5 : at);
        at += 1.0;
        assert_int_equal(schedule_same_for_each_left(f, k), left);
        /* and in the later steps fewer than the test reads are left */
        for (int i = 0; step >= 5 && i < n && left > 200; i++)
            if (!out[i] && why_addr_eq(&rc[i]->c->srv_addr, &srv)) {
                rc[i]->closed = true;
                why_store_conn_active(&f->st, rc[i]);
                out[i] = true;
                left--;
            }
        why_store_prune(&f->st, T(1000), false);
        assert_int_equal(schedule_same_for_each_left(f, k), left);
    }
    free(k);
}

/* Varnish probes 198.19.0.17 every 0.5 s and each probe is refused; a request at 3.3 s gets
 * a 503 at 3.32 with no attempt. The background gives the last probe as a failed check, no
 * server passing, and no attempt near: the probe refused at 3.1, 0.2 s before the request, is
 * on the schedule of an address only the probes go to (it holds down only the probed server).
 * Near: that probe once a record to 198.19.0.17 is claimed (a request's attempt maybe); an
 * attempt off any schedule refused 0.25 s before the request (Varnish's holddown), not 0.35 s;
 * an attempt begun while the request waited (its own, maybe, taken by another request). A
 * server passing its checks on a schedule is counted. */
static void checks_and_attempts_near(void **state)
{
    struct fixture *f = *state;
    f->cx.exhaustive = true;
    struct why_conn_rec *first = refused(f, "198.19.0.17", 0.6);
    for (int i = 1; i < 7; i++)
        refused(f, "198.19.0.17", 0.6 + 0.5 * i);
    struct why_txn *client = answered_request(f, 80, "/hc", "hc.lab", 3.3, 503, 3.32);
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 0);
    assert_int_equal(x.nchecks, 1);
    assert_int_equal(x.nchecks_ok, 0);
    assert_null(x.attempt_near);
    first->claimed = true; /* a record there claimed: a request may go there too */
    why_join_request(&f->cx, client, &x);
    assert_non_null(x.attempt_near);
    struct why_addr probed = A("198.19.0.17");
    assert_true(why_addr_eq(&x.attempt_near->c->srv_addr, &probed));
    first->claimed = false;
    /* a request's refused attempt to 198.19.0.12 0.25 s before: held down maybe */
    struct why_conn_rec *rst = refused(f, "198.19.0.12", 3.05);
    why_join_request(&f->cx, client, &x);
    assert_ptr_equal(x.attempt_near, rst);
    wend(&rst->c->half[WHY_S2C])->rst_ts = T(2.95); /* 0.35 s before: the holddown was over */
    why_join_request(&f->cx, client, &x);
    assert_null(x.attempt_near);
    /* a server passing its checks on a schedule (connected, nothing wrong) */
    for (int i = 0; i < 5; i++)
        conn(f, "198.19.0.1", "198.19.0.10", 80, 0.7 + 0.5 * i, true);
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nchecks, 1);
    assert_int_equal(x.nchecks_ok, 1);
    assert_null(x.attempt_near);
    /* an attempt begun while the request waited, another request's (claimed): maybe its own */
    struct why_conn_rec *during = conn(f, "198.19.0.1", "198.19.0.16", 80, 3.31, false);
    during->claimed = true;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 0);
    assert_ptr_equal(x.attempt_near, during);
}

/* A backend refusing every attempt of a busy gateway: 300 refusals of 198.19.0.12 in the
 * holddown before a request answered 503 with no attempt, more than the background join keeps
 * on its stack, and one of 198.19.0.13 before them. The walk of the refusal lists keeps them
 * all (not the walk of every attempt of the 30 s before) and finds what --exhaustive finds:
 * the first attempt near, one per server. */
static void many_refused_before_request(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *other = refused(f, "198.19.0.13", 3.05);
    other->claimed = true;
    struct why_conn_rec *first = NULL;
    for (int i = 0; i < 300; i++) { /* (the fixture holds FIXTURE_CONNS connections) */
        struct why_conn_rec *rc = refused(f, "198.19.0.12", 3.06 + 0.0008 * i);
        rc->claimed = true; /* (requests' own attempts) */
        if (!first)
            first = rc;
    }
    struct why_txn *client = answered_request(f, 80, "/two", "two.lab", 3.3, 503, 3.3047);
    struct why_join x, e;
    why_join_request(&f->cx, client, &x);
    f->cx.exhaustive = true;
    why_join_request(&f->cx, client, &e);
    assert_int_equal(x.nattempts, 0);
    assert_ptr_equal(x.attempt_near, other);
    assert_ptr_equal(x.attempt_near, e.attempt_near);
    assert_int_equal(x.nnear, 2);
    assert_int_equal(x.nnear, e.nnear);
    assert_ptr_equal(x.near[0], other);
    assert_ptr_equal(x.near[1], first);
    for (uint32_t i = 0; i < x.nnear; i++)
        assert_ptr_equal(x.near[i], e.near[i]);
}

/* An upstream connection the gateway began while the request waited that carried another
 * client's request was that request's, not this one's own attempt taken by another: also once
 * its transactions are gone (the pruning after that request's decision frees them; the record
 * keeps that it carried one), and also when a later upstream request on it waits for its
 * client's decision (races/run10: ka-get/2's new connection, 9 ms after hc's request). Before,
 * the answer depended on whether a sweep had pruned in between. */
static void carried_connection_not_near(void **state)
{
    struct fixture *f = *state;
    f->cx.exhaustive = true;
    struct why_txn *client = answered_request(f, 80, "/hc", "hc.lab", 3.3, 503, 3.32);
    struct why_conn_rec *n = conn(f, "198.19.0.1", "198.19.0.16", 80, 3.31, true);
    n->carried = true; /* its request joined to another client's, and trimmed */
    n->claimed = true;
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 0);
    assert_null(x.attempt_near);
    assert_int_equal(x.nnear, 0);
    /* the next upstream request on it, its client not decided yet */
    struct why_txn *next = request(f, n, "/ka-get/2", "ka-get.lab", 3.315);
    answer(next, 200, 3.316);
    why_join_request(&f->cx, client, &x);
    assert_null(x.attempt_near);
    assert_int_equal(x.nnear, 0);
}

/* t's answer came from `server` (its Server header); t queued for its decision. */
static void served_by(struct fixture *f, struct why_txn *t, const char *server)
{
    struct why_resp_view v;
    why_resp_view_of(t->resp, &v);
    v.str[WHY_RESP_SERVER] = server;
    assert_true(why_store_txn_resp_put(&f->st, t, &v));
    why_store_queue_push(&f->st, t);
}

/* races/run5's `maint`: Varnish's own 503 (vcl_synth: "Server: Varnish", no Via) came 0.6 ms
 * after a refusal of 198.19.0.12 (a probe's). An answer without Via had no backend fetch: no
 * attempt is its own. The same answer with Via (its backend error page, "Backend fetch
 * failed") is a fetch's, and the refusal right before it is its attempt. */
static void varnish_synth_has_no_attempt(void **state)
{
    struct fixture *f = *state;
    struct why_txn *client = answered_request(f, 80, "/maint", "maint.lab", 1.0, 503, 1.0044);
    served_by(f, client, "Varnish");
    struct why_conn_rec *probe = refused(f, "198.19.0.12", 1.0037);
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 0);
    struct why_resp_view v;
    why_resp_view_of(client->resp, &v);
    v.via = true;
    assert_true(why_store_txn_resp_put(&f->st, client, &v));
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 1);
    assert_ptr_equal(x.attempts[0], probe);
}

/* races/run16 (Caddy): its own `respond "maintenance" 503` came 0.18 ms after a refusal of
 * 198.19.0.12 (another request's first try), and the match took it as its attempt. Caddy
 * answers a failed dial with 502 (504 for a timeout), also when it tried again and found no
 * upstream left; 503 only when no upstream was available before any dial: no attempt is a 503's.
 * Its 502 right after the refusal is that refusal's. */
static void caddy_503_has_no_attempt(void **state)
{
    struct fixture *f = *state;
    struct why_txn *client = answered_request(f, 80, "/caddy/maint", "maint.lab", 1.097763, 503, 1.106564);
    served_by(f, client, "Caddy");
    struct why_conn_rec *r = refused(f, "198.19.0.12", 1.106373);
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 0);
    client->status = 502;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 1);
    assert_ptr_equal(x.attempts[0], r);
}

/* Varnish's "503 Backend fetch failed" with no attempt (races/run1 `two`, live runs of
 * 2026-12-02: `two` and `hc`): its probes of 198.19.0.17 refused all along, and a request's
 * refusal of 198.19.0.12 90 ms before it came. The packets fit two readings: that refusal
 * held its backend down (connection_refused), or its backend was sick (its probes). Both are
 * kept as other readings, the second without the attempt; any other gateway's 503 keeps
 * none. */
static void varnish_attempt_near_two_readings(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 7; i++)
        refused(f, "198.19.0.17", 0.6 + 0.5 * i);
    struct why_conn_rec *rst = refused(f, "198.19.0.12", 3.21);
    rst->claimed = true;
    struct why_txn *client = answered_request(f, 80, "/two", "two.lab", 3.3, 503, 3.3047);
    struct why_resp_view v;
    why_resp_view_of(client->resp, &v);
    v.str[WHY_RESP_SERVER] = "Varnish";
    v.str[WHY_RESP_TITLE] = "503 Backend fetch failed";
    v.via = true;
    assert_true(why_store_txn_resp_put(&f->st, client, &v));
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 0);
    assert_ptr_equal(x.attempt_near, rst);
    assert_int_equal(x.nalt, 2);
    assert_ptr_equal(x.alt_final[0], rst);
    assert_int_equal(x.alt_basis[0], WHY_ALT_ATTEMPT_NEAR);
    assert_null(x.alt_final[1]);
    assert_int_equal(x.alt_basis[1], WHY_ALT_NO_ATTEMPT_NEAR);
    struct why_join a;
    why_join_alternative(&f->cx, &x, 0, &a);
    assert_int_equal(a.nattempts, 1);
    assert_ptr_equal(a.attempts[0], rst);
    why_join_alternative(&f->cx, &x, 1, &a);
    assert_int_equal(a.nattempts, 0);
    assert_null(a.attempt_near);
    assert_int_equal(a.nchecks, 1);
    assert_int_equal(a.nalt, 0);
    /* Varnish holds down after ECONNREFUSED and ENETUNREACH (0.25 s) and after EACCES (10 s),
     * which Linux gives for ICMPv6 administratively prohibited; ICMP host prohibited is
     * EHOSTUNREACH, which holds nothing down: the same refusal by that is not near */
    wend(&rst->c->half[WHY_S2C])->rst_frame = 0;
    f->more[rst->c->id - 1].icmp_frame = rst->c->first_frame + 5;
    f->more[rst->c->id - 1].icmp_ts = T(3.2101);
    f->more[rst->c->id - 1].icmp_ipver = 4;
    f->more[rst->c->id - 1].icmp_type = 3;
    f->more[rst->c->id - 1].icmp_code = 10;
    why_join_request(&f->cx, client, &x);
    assert_null(x.attempt_near);
    assert_int_equal(x.nnear, 0);
    /* ICMPv6 administratively prohibited 5 s before: held down, beyond the remote holddown;
     * another reading, not weighed by the diagnosis */
    char err[128];
    assert_int_equal(why_gw_parse(&f->gw, "198.18.1.1,198.19.0.1,fd00:19::1", err, sizeof err), 0);
    struct why_conn_rec *p6 = conn(f, "fd00:19::1", "fd00:19::15", 80, 0.3, false);
    p6->c->syn_count = 1;
    f->more[p6->c->id - 1].icmp_frame = p6->c->first_frame + 5;
    f->more[p6->c->id - 1].icmp_ts = T(0.3001);
    f->more[p6->c->id - 1].icmp_ipver = 6;
    f->more[p6->c->id - 1].icmp_type = 1;
    f->more[p6->c->id - 1].icmp_code = 1;
    p6->claimed = true;
    why_join_request(&f->cx, client, &x);
    assert_null(x.attempt_near);
    assert_int_equal(x.nnear, 1);
    assert_ptr_equal(x.near[0], p6);
    assert_int_equal(x.nalt, 2);
    assert_ptr_equal(x.alt_final[0], p6);
    assert_null(x.alt_final[1]);
    /* another gateway's own 503 at that time: no reading beside it */
    why_resp_view_of(client->resp, &v);
    v.str[WHY_RESP_SERVER] = "nginx";
    assert_true(why_store_txn_resp_put(&f->st, client, &v));
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nalt, 0);
}

/* Apache's checks of a refusing server on a loaded machine (races/run1): 1.07, 1.18, 1.14 and
 * 1.37 s apart. No fixed period fits the first with the four others (the store held only
 * those when it was pruned), yet each follows the one before after a period that drifts
 * within a quarter of their median: a schedule. Attempts whose gaps do not keep to one
 * period (a request's among them, 0.5 s after one) are none. */
static void drifting_checks_scheduled(void **state)
{
    struct fixture *f = *state;
    const double at[] = {1.0, 2.069714, 3.25204, 4.392047, 5.761362};
    struct why_conn_rec *first = NULL;
    for (int i = 0; i < 5; i++) {
        struct why_conn_rec *rc = refused(f, "198.19.0.12", at[i]);
        first = first ? first : rc;
    }
    assert_true(why_join_scheduled(&f->cx, first));
    const double odd[] = {1.0, 2.0, 2.5, 4.0, 5.3};
    for (int i = 0; i < 5; i++) {
        struct why_conn_rec *rc = refused(f, "198.19.0.13", odd[i]);
        first = i ? first : rc;
    }
    assert_false(why_join_scheduled(&f->cx, first));
}

/* HAProxy's checks of 198.19.0.12 every 0.5 s, and between them the tries of two requests
 * 18 ms apart and one request's retries 1 s apart (races/run31): the retry is no
 * check. The two tries in one slot are one beat at most; counted twice, they gave a check a
 * 0.4 s period nothing keeps, the checks seemed not to keep time, and the loose fit made
 * the retry a check. */
static void retries_between_checks_not_scheduled(void **state)
{
    struct fixture *f = *state;
    /* what the store held when rst was decided (with the next two checks held too, the
     * retry's own tight fit still counts those two tries as two beats: not mended) */
    const double checks[] = {9.419422, 9.918324, 10.417570, 10.916782, 11.416356, 11.915806};
    const double tries[] = {9.500216, 9.517974, 10.498429, 11.497211};
    struct why_conn_rec *retry = NULL;
    for (int i = 0; i < 6; i++)
        refused(f, "198.19.0.12", checks[i]);
    for (int i = 0; i < 4; i++) {
        struct why_conn_rec *rc = refused(f, "198.19.0.12", tries[i]);
        retry = i == 2 ? rc : retry;
    }
    assert_false(why_join_scheduled(&f->cx, retry));
    assert_true(why_join_scheduled(&f->cx, f->st.rhead)); /* the first check */
}

/* The gateway's check of 198.27 (its own GET /health) at `at` + 0.13 ms, and its attempt to
 * 198.12 at `at`, refused: one round of checks of a balancer's two members (Apache's
 * mod_proxy_hcheck). Returns the attempt. */
static struct why_conn_rec *check_round(struct fixture *f, double at, bool with_12)
{
    struct why_conn_rec *a = with_12 ? refused(f, "198.19.0.12", at) : NULL;
    struct why_conn_rec *b = conn(f, "198.19.0.1", "198.19.0.27", 80, at + 0.00013, true);
    answer(request(f, b, "/health", "198.19.0.27", at + 0.0002), 500, at + 0.0005);
    return a;
}

/* The gateway's own checks of n servers 0.05 s apart from 1 s, each its GET /health; the
 * first server's answered 500, the others' 200; then a 503 with no attempt of its own. */
static struct why_txn *checks_of_servers(struct fixture *f, int n)
{
    for (int i = 0; i < n; i++) {
        char srv[32];
        snprintf(srv, sizeof srv, "198.19.2.%d", i + 1);
        struct why_conn_rec *b = conn(f, "198.19.0.1", srv, 80, 1.0 + 0.05 * i, true);
        answer(request(f, b, "/health", srv, 1.0001 + 0.05 * i), i ? 200 : 500, 1.0005 + 0.05 * i);
    }
    return answered_request(f, 80, "/x", "x.lab", 5.0, 503, 5.1);
}

/* Past WHY_BG_SERVERS_MAX (64) servers checked in a 5xx's window, the background join keeps
 * the last checks of the servers checked latest: the first server's failed check counts with
 * 64 servers, and with 65 gives way to the 64 checked after it. */
static void checks_kept_are_the_latest(void **state)
{
    struct fixture *f = *state;
    struct why_join x;
    why_join_request(&f->cx, checks_of_servers(f, 64), &x);
    assert_int_equal(x.nchecks, 1);
    teardown(state);
    setup(state);
    f = *state;
    why_join_request(&f->cx, checks_of_servers(f, 65), &x);
    assert_int_equal(x.nchecks, 0);
}

/* A sweep's background joins read the records that may be checks once (the memo of the
 * session's cache, while no record changes): the second 503 of the sweep, answered later,
 * finds its window's checks made since the first was decided too, the old from the memo. */
static void checks_of_a_sweep_read_once(void **state)
{
    struct fixture *f = *state;
    struct why_sched_cache *k = calloc(1, sizeof *k);
    assert_non_null(k);
    f->cx.sched = k;
    struct why_conn_rec *c1 = conn(f, "198.19.0.1", "198.19.2.1", 80, 1.0, true);
    answer(request(f, c1, "/health", "198.19.2.1", 1.0001), 500, 1.0005);
    struct why_txn *a = answered_request(f, 80, "/x", "x.lab", 5.0, 503, 5.1);
    struct why_conn_rec *c2 = conn(f, "198.19.0.1", "198.19.2.2", 80, 5.5, true);
    answer(request(f, c2, "/health", "198.19.2.2", 5.5001), 500, 5.5005);
    struct why_txn *b = answered_request(f, 80, "/y", "y.lab", 6.0, 503, 6.1);
    struct why_join x;
    why_join_request(&f->cx, a, &x);
    assert_int_equal(x.nchecks, 1);
    assert_ptr_equal(x.checks[0], c1);
    assert_true(k->bg.valid);
    uint64_t hi = k->bg.hi;
    why_join_request(&f->cx, b, &x);
    assert_true(k->bg.hi > hi); /* read on from the first's end */
    assert_int_equal(x.nchecks, 2);
    assert_ptr_equal(x.checks[0], c1);
    assert_ptr_equal(x.checks[1], c2);
    free(k);
}

/* A refusal made in one round with the gateway's checks of another server, round after round,
 * is a check, though too few rounds are held for a schedule: a request the gateway answered
 * itself meanwhile (a rewrite's 503) has no attempt (races/run26, Apache's `maint`). Not when
 * the other server's checks before and after came alone (HAProxy's checks of two servers
 * drifting into one millisecond), nor when two attempts of the path fall in the round. */
static void check_round_read_as_check(void **state)
{
    struct fixture *f = *state;
    check_round(f, 1.0, true);
    struct why_txn *maint = answered_request(f, 80, "/apache/maint", "maint.lab", 2.0474, 503, 2.147);
    struct why_conn_rec *mid = check_round(f, 2.05, true);
    check_round(f, 3.1, true);
    assert_false(why_join_scheduled(&f->cx, mid)); /* three rounds: no schedule yet */
    assert_true(why_join_check_round(&f->cx, mid));
    struct why_join x;
    why_join_request(&f->cx, maint, &x);
    assert_int_equal(x.nattempts, 0);
    /* checks of 198.27 alone before and after: a refusal of 198.12 that met one of them */
    check_round(f, 5.0, false);
    struct why_conn_rec *met = check_round(f, 5.5, true);
    check_round(f, 6.0, false);
    assert_false(why_join_check_round(&f->cx, met));
    /* a second attempt of 198.12 in the round of 3.1: which one is the check? */
    struct why_conn_rec *again = refused(f, "198.19.0.12", 3.1008);
    assert_false(why_join_check_round(&f->cx, again));
    assert_false(why_join_check_round(&f->cx, mid)); /* its round after has two now */
}

/* HAProxy's checks of 198.19.0.12 every 0.5 s; a request answered 0.36 ms after it came, at
 * once after a refusal on that beat (races/run9, `maint`, answered by a rewrite): the
 * refusal is the request's one attempt, and the reading with none (it was a check) is
 * kept beside it. Not for a request that waited: its answer came long after it, so the
 * gateway did not answer on its own at once. */
static void attempt_on_check_beat_read_both_ways(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 8; i++)
        refused(f, "198.19.0.12", 1.0 + 0.5 * i);
    struct why_txn *maint = answered_request(f, 80, "/haproxy/maint", "maint.lab", 4.99976, 503, 5.00019);
    refused(f, "198.19.0.12", 5.0);
    struct why_join x;
    why_join_request(&f->cx, maint, &x);
    assert_int_equal(x.nattempts, 1);
    assert_true(why_join_scheduled(&f->cx, x.attempts[0]));
    uint32_t k = 0;
    while (k < x.nalt && x.alt_basis[k] != WHY_ALT_CHECK_SCHEDULE)
        k++;
    assert_true(k < x.nalt);
    assert_null(x.alt_final[k]);
    struct why_join alt;
    why_join_alternative(&f->cx, &x, k, &alt);
    assert_int_equal(alt.nattempts, 0);
    /* the same answer to a request that came 2 s before: no such reading */
    struct why_txn *waited = answered_request(f, 81, "/haproxy/rst", "rst.lab", 3.00012, 503, 5.00019);
    maint->status = 200;
    why_join_request(&f->cx, waited, &x);
    for (uint32_t i = 0; i < x.nalt; i++)
        assert_int_not_equal(x.alt_basis[i], WHY_ALT_CHECK_SCHEDULE);
}

/* The gateway connects where its resolver's cache says: the A answer came before the request
 * (another request's lookup), the lookup made while this one waited was for AAAA only and
 * found none. The refused attempt to the cached address is still this request's; not when a
 * later A answer had moved the name to another address. */
static void cached_address_attempt_joined(void **state)
{
    struct fixture *f = *state;
    struct why_addr gw = A("198.19.0.1"), dns = A("198.19.0.53"), origin = A("198.19.0.10");
    struct why_dns_rec *a = why_store_dns_new(&f->st, &gw, 50000, &dns, 53, 1, "shop.lab", WHY_DNS_A);
    a->q_ts = a->last_q_ts = T(0.5);
    a->answered = true;
    a->a_ts = T(0.501);
    why_store_dns_answer(&f->st, a, &origin, 1);
    struct why_conn_rec *cc = conn(f, "198.18.1.2", "198.18.1.1", 9090, 0.9, true);
    struct why_txn *client = request(f, cc, "http://shop.lab/x", "shop.lab", 1.0);
    struct why_dns_rec *aaaa = why_store_dns_new(&f->st, &gw, 50000, &dns, 53, 2, "shop.lab", WHY_DNS_AAAA);
    aaaa->q_ts = aaaa->last_q_ts = T(1.01);
    aaaa->answered = true;
    aaaa->a_ts = T(1.03);
    struct why_conn_rec *at = conn(f, "198.19.0.1", "198.19.0.10", 80, 1.02, false);
    wend(&f->conns[f->nconns - 1].half[WHY_S2C])->rst_frame = 77;
    wend(&f->conns[f->nconns - 1].half[WHY_S2C])->rst_ts = T(1.0201);
    answer(client, 503, 1.05);
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.ndns, 1);
    assert_ptr_equal(x.dns[0], aaaa);
    assert_int_equal(x.nattempts, 1);
    assert_ptr_equal(x.attempts[0], at);
    /* a later A answer gave another address: the cache no longer held 198.19.0.10 */
    struct why_addr moved = A("198.19.0.11");
    struct why_dns_rec *b = why_store_dns_new(&f->st, &gw, 50000, &dns, 53, 3, "shop.lab", WHY_DNS_A);
    b->q_ts = b->last_q_ts = T(0.8);
    b->answered = true;
    b->a_ts = T(0.801);
    why_store_dns_answer(&f->st, b, &moved, 1);
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 0);
}

/* The resolver's cache is its latest answer by answer time, whatever order the answers were
 * read in (a capture's times out of order), and of answers of one time any that gave the
 * address: the attempt there is the request's until a later answer gave another one. */
static void cached_address_latest_answer(void **state)
{
    struct fixture *f = *state;
    lookup_at(f, "shop.lab", WHY_DNS_A, "198.19.0.10", 0.5, 0.7);
    /* read after that one, answered before it */
    lookup_at(f, "shop.lab", WHY_DNS_A, "198.19.0.11", 0.6, 0.61);
    lookup_at(f, "shop.lab", WHY_DNS_A, "198.19.0.11", 0.6, 0.62);
    struct why_conn_rec *cc = conn(f, "198.18.1.2", "198.18.1.1", 9090, 0.9, true);
    struct why_txn *client = request(f, cc, "http://shop.lab/x", "shop.lab", 1.0);
    lookup(f, "shop.lab", WHY_DNS_AAAA, NULL, 1.01); /* NODATA while the request waited */
    struct why_conn_rec *at = conn(f, "198.19.0.1", "198.19.0.10", 80, 1.02, false);
    wend(&f->conns[f->nconns - 1].half[WHY_S2C])->rst_frame = 77;
    wend(&f->conns[f->nconns - 1].half[WHY_S2C])->rst_ts = T(1.0201);
    answer(client, 503, 1.05);
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 1);
    assert_ptr_equal(x.attempts[0], at);
    /* another address in an answer of the same time: either may be in the cache */
    lookup_at(f, "shop.lab", WHY_DNS_A, "198.19.0.11", 0.65, 0.7);
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 1);
    /* an answer after the attempt began says nothing of it; one before it does */
    lookup_at(f, "shop.lab", WHY_DNS_A, "198.19.0.11", 1.015, 1.03);
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 1);
    lookup_at(f, "shop.lab", WHY_DNS_A, "198.19.0.11", 0.8, 0.801);
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 0);
}

/* A forward proxy connects where the name resolves: with no lookup of the name in the
 * request's window, an attempt to an address the capture shows answered for another name
 * only is not the request's; it is once a lookup of the name gave that address too. */
static void address_of_other_name(void **state)
{
    struct fixture *f = *state;
    resolved(f, "blog.lab", "198.19.0.10", 0.3);
    lookup(f, "shop.lab", WHY_DNS_AAAA, "fd00::10", 0.35); /* the name, the other family */
    struct why_conn_rec *cc = conn(f, "198.18.1.2", "198.18.1.1", 9090, 0.9, true);
    struct why_txn *client = request(f, cc, "http://shop.lab/x", "shop.lab", 1.0);
    struct why_conn_rec *at = conn(f, "198.19.0.1", "198.19.0.10", 80, 1.02, false);
    wend(&f->conns[f->nconns - 1].half[WHY_S2C])->rst_frame = 77;
    wend(&f->conns[f->nconns - 1].half[WHY_S2C])->rst_ts = T(1.0201);
    answer(client, 503, 1.05);
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.ndns, 0);
    assert_int_equal(x.nattempts, 0);
    resolved(f, "shop.lab", "198.19.0.10", 0.2);
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 1);
    assert_ptr_equal(x.attempts[0], at);
}

/* A reverse proxy's upstream request whose path ends like the client's (a prefix added), not
 * found in the index by path: the walk of the requests sent in the window finds it, through
 * the index by path ending. The same as the scan of every record: ties of one time go to the
 * record the scan meets first, a head read after another created before it (times out of
 * order) is still looked at, and one on the gateway's own host is preferred. */
static void prefixed_upstream_joined(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *cc = conn(f, "198.18.1.2", "198.18.1.1", 80, 0.9, true);
    struct why_txn *client = request(f, cc, "/cart?id=1", "shop.lab", 1.0);
    answer(client, 502, 1.5);
    struct why_conn_rec *first = conn(f, "198.19.0.1", "198.19.0.10", 8080, 0.2, true);
    struct why_conn_rec *second = conn(f, "198.19.0.1", "198.19.0.10", 8080, 0.3, true);
    struct why_conn_rec *third = conn(f, "198.19.0.1", "198.19.0.10", 8080, 0.4, true);
    request(f, first, "/shop/cart?id=1", "backend.lab", 0.5); /* before the request */
    for (int i = 0; i < 20; i++) {
        char path[32];
        snprintf(path, sizeof path, "/shop/item/%d", i);
        request(f, first, path, "backend.lab", 1.0 + i * 0.001);
    }
    request(f, first, "/shop/cart?id=2", "backend.lab", 1.02);
    request(f, first, "/shopcart?id=1", "backend.lab", 1.02); /* not a path ending */
    request(f, first, "/cart?id=1", "shop.lab", 1.6);         /* after the answer */
    struct why_txn *on_second = request(f, second, "/shop/cart?id=1", "backend.lab", 1.03);
    struct why_txn *on_third = request(f, third, "/shop/cart?id=1", "backend.lab", 1.03); /* newer */
    struct why_join x, y;
    why_store_classify(&f->st);
    assert_true(why_store_cands_ordered(&f->st));
    assert_null(why_join_upstream_indexed(&f->cx, client));
    why_join_request(&f->cx, client, &x);
    assert_ptr_equal(x.up, on_second); /* of one time: the older record, not the newer request */
    assert_true(on_third->id > on_second->id);
    f->cx.exhaustive = true;
    why_join_request(&f->cx, client, &y);
    assert_ptr_equal(y.up, x.up);
    f->cx.exhaustive = false;
    /* a head that began earlier, read after the others */
    struct why_txn *late = request(f, third, "/v2/cart?id=1", "backend.lab", 1.025);
    late->req_ts = T(1.031);
    why_join_request(&f->cx, client, &x);
    assert_ptr_equal(x.up, late);
    /* the same host is more than a path's ending */
    struct why_txn *same_host = request(f, second, "/shop/cart?id=1", "shop.lab", 1.2);
    why_join_request(&f->cx, client, &x);
    assert_ptr_equal(x.up, same_host);
    f->cx.exhaustive = true;
    why_join_request(&f->cx, client, &y);
    assert_ptr_equal(y.up, same_host);
}

/* A 503 with no attempt after the gateway's lookups of the name failed: its failing lookups
 * are the cause (backend_dns_failed) only when no lookup of the same round, the other address
 * family, found an address: a name whose A record resolves did not leave the server without
 * one because it has no AAAA. */
static void background_lookups_that_resolved(void **state)
{
    struct fixture *f = *state;
    lookup(f, "be.lab", WHY_DNS_AAAA, NULL, 0.5);
    lookup(f, "be.lab", WHY_DNS_AAAA, NULL, 1.0);
    struct why_conn_rec *cc = conn(f, "198.18.1.2", "198.18.1.1", 80, 1.4, true);
    struct why_txn *client = request(f, cc, "/x", "be.lab", 1.5);
    answer(client, 503, 1.52);
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 0);
    assert_int_equal(x.nbgdns, 2);
    lookup(f, "be.lab", WHY_DNS_A, "198.19.0.10", 1.0);
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nbgdns, 0);
}

/* A lookup of name by the gateway first asked at `at`, sent again 0.5 s later with the same
 * id, never answered (HAProxy's resolvers: timeout retry, resolve_retries 2). */
static struct why_dns_rec *unanswered(struct fixture *f, const char *name, double at)
{
    struct why_addr gw = A("198.19.0.1"), dns = A("198.19.0.53");
    struct why_dns_rec *d = why_store_dns_new(&f->st, &gw, 50000, &dns, 53, (uint16_t)(at * 100 + 1), name,
                                              WHY_DNS_AAAA);
    d->q_ts = T(at);
    d->last_q_ts = T(at + 0.5);
    d->tries = 2;
    return d;
}

/* An unanswered query is pending at the request's start (resolvers coalesce lookups of one
 * name), but not one the gateway gave up before the request began: it asked the same name
 * again with a new query (HAProxy's next round). The request joins the one still retrying. */
static void replaced_query_not_pending(void **state)
{
    struct fixture *f = *state;
    unanswered(f, "be.lab", 1.0);
    struct why_dns_rec *last = unanswered(f, "be.lab", 3.0);
    struct why_conn_rec *cc = conn(f, "198.18.1.2", "198.18.1.1", 80, 3.1, true);
    struct why_txn *client = request(f, cc, "/x", "be.lab", 3.2);
    answer(client, 200, 3.25); /* (a 5xx would be the background's question) */
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.ndns, 1);
    assert_ptr_equal(x.dns[0], last);
}

/* The first round a capture shows (HAProxy's, at 1.0, sent again at 1.5), the only lookup of
 * the name before a request at 2.35 that gets a 503: begun while no request for the name
 * waited, it is the gateway's own (backend_dns_failed), though its schedule is not seen yet.
 * Not when a request for the name was waiting then (a resolver asking for that one). */
static void first_round_asked_by_none(void **state)
{
    struct fixture *f = *state;
    struct why_dns_rec *r = unanswered(f, "be.lab", 1.0);
    struct why_conn_rec *cc = conn(f, "198.18.1.2", "198.18.1.1", 80, 2.3, true);
    struct why_txn *client = request(f, cc, "/x", "be.lab", 2.35);
    answer(client, 503, 2.36);
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.ndns, 0);
    assert_int_equal(x.nbgdns, 1);
    assert_ptr_equal(x.bgdns[0], r);
    struct why_conn_rec *oc = conn(f, "198.18.1.5", "198.18.1.1", 80, 0.9, true);
    struct why_txn *other = request(f, oc, "/y", "be.lab", 0.95); /* waiting at 1.0 */
    why_store_queue_push(&f->st, other);
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.ndns, 1);
    assert_int_equal(x.nbgdns, 0);
}

/* HAProxy's rounds of nx.lab (NXDOMAIN), the capture's first 0.8 s before a request, the next
 * 32 ms after it, inside its wait (a loaded machine answered 211 ms later). One round before
 * is not yet a schedule: the lookup reads as the request's own. Two more after the answer,
 * asked by no request waiting, make it the gateway's schedule (races/run26); not when a
 * request for the name waited then (a resolver asking for that one). */
static void one_round_before_and_rounds_after(void **state)
{
    struct fixture *f = *state;
    lookup_at(f, "nx.lab", WHY_DNS_A, NULL, 0.267, 0.268)->rcode = 3;
    struct why_conn_rec *cc = conn(f, "198.18.1.2", "198.18.1.1", 80, 1.08, true);
    struct why_txn *client = request(f, cc, "/x", "nx.lab", 1.09);
    lookup_at(f, "nx.lab", WHY_DNS_A, NULL, 1.122, 1.1222)->rcode = 3;
    answer(client, 503, 1.333);
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.ndns, 1);
    lookup_at(f, "nx.lab", WHY_DNS_A, NULL, 2.166, 2.1662)->rcode = 3;
    lookup_at(f, "nx.lab", WHY_DNS_A, NULL, 2.853, 2.8532)->rcode = 3;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.ndns, 0);
    assert_true(x.nbgdns >= 2);
    struct why_conn_rec *oc = conn(f, "198.18.1.5", "198.18.1.1", 80, 2.1, true);
    struct why_txn *other = request(f, oc, "/y", "nx.lab", 2.15); /* waiting at 2.166 and 2.853 */
    why_store_queue_push(&f->st, other);
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.ndns, 1);
}

static void gone_hook(void *ctx, struct why_dns_rec *d)
{
    struct fixture *f = ctx;
    why_join_background_gone(&f->cx, d);
}

/* HAProxy's rounds of a name that never answers, every 2 s (0.0, 2.0, 4.0); a request at
 * 4.7 gets a 503 while the round of 4.0 still retries. That round is the gateway's schedule
 * (backend_dns_failed), not the request's own lookup: the rounds before it were asked by no
 * request, and count once pruning has freed them (the name's memory keeps their times) or
 * claimed them as the schedule's own; not when requests claimed them as theirs (a resolver
 * that looks the name up for each request, while another request for it waited). */
static void background_rounds_claimed_or_pruned(void **state)
{
    struct fixture *f = *state;
    struct why_dns_rec *r1 = unanswered(f, "be.lab", 0.0);
    struct why_dns_rec *r2 = unanswered(f, "be.lab", 2.0);
    struct why_dns_rec *r3 = unanswered(f, "be.lab", 4.0);
    struct why_conn_rec *cc = conn(f, "198.18.1.2", "198.18.1.1", 80, 4.6, true);
    struct why_txn *client = request(f, cc, "/x", "be.lab", 4.7);
    answer(client, 503, 4.75);
    /* a request for the name waiting when the round of 4.0 began (it may be its own) */
    struct why_conn_rec *oc = conn(f, "198.18.1.5", "198.18.1.1", 80, 3.8, true);
    why_store_queue_push(&f->st, request(f, oc, "/y", "be.lab", 3.9));
    struct why_join x;
    r1->claimed = r2->claimed = true; /* taken by requests: their own lookups */
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.ndns, 1);
    assert_ptr_equal(x.dns[0], r3);
    assert_int_equal(x.nbgdns, 0);
    r1->scheduled = r2->scheduled = true; /* claimed as the schedule's: asked by none */
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.ndns, 0);
    assert_int_equal(x.nbgdns, 3);
}

static void background_rounds_pruned(void **state)
{
    struct fixture *f = *state;
    f->st.hooks.ctx = f;
    f->st.hooks.on_prune_dns = gone_hook;
    unanswered(f, "be.lab", 0.0);
    unanswered(f, "be.lab", 2.0);
    struct why_dns_rec *r3 = unanswered(f, "be.lab", 4.0);
    why_store_prune(&f->st, T(4.6), false); /* the rounds of 0.0 and 2.0 go */
    assert_int_equal(f->st.ndns, 1);
    struct why_conn_rec *oc = conn(f, "198.18.1.5", "198.18.1.1", 80, 3.8, true);
    why_store_queue_push(&f->st, request(f, oc, "/y", "be.lab", 3.9)); /* waiting at 4.0 */
    struct why_conn_rec *cc = conn(f, "198.18.1.2", "198.18.1.1", 80, 4.6, true);
    struct why_txn *client = request(f, cc, "/x", "be.lab", 4.7);
    answer(client, 503, 4.75);
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.ndns, 0);
    assert_int_equal(x.nbgdns, 1);
    assert_ptr_equal(x.bgdns[0], r3);
}

/* A forward proxy resolved the host while the request waited and answered 503 with no
 * connection to the address (its connect gave up before a SYN reached the wire): said so,
 * and not once a connection to that address began while the request waited. */
static void resolved_and_never_connected(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *cc = conn(f, "198.18.1.2", "198.18.1.1", 9090, 0.9, true);
    struct why_txn *client = request(f, cc, "http://shop.lab/x", "shop.lab", 1.0);
    resolved(f, "shop.lab", "198.19.0.10", 1.01);
    answer(client, 503, 4.0);
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.ndns, 1);
    assert_int_equal(x.nattempts, 0);
    assert_true(x.resolved_unused);
    conn(f, "198.19.0.1", "198.19.0.10", 80, 3.9, true); /* another request's, taken */
    f->st.rtail->claimed = true;
    why_join_request(&f->cx, client, &x);
    assert_false(x.resolved_unused);
}

/* The live lab of 2 December: HAProxy's checks of 198.19.0.12 every 0.5 s, /two's try 0.25 s
 * after one of them, /rst's three tries 1 s apart, each 0.18 s after a check (the capture's
 * times). The check beside /two's try reads its shortest tight period as 0.25 s, half the
 * others' 0.5 s: four of the eight attempts nearest /rst's middle retry agreed, the path was
 * taken not to keep time, and the retry passed as a check on the loose fit (then /syndrop
 * took /rst's refusal). A period read at half the others' is the same beat: the retries are
 * off it, the checks on it. */
static void half_period_neighbours_keep_time(void **state)
{
    struct fixture *f = *state;
    const double checks[] = {0.257795, 0.756475, 1.255958, 1.755220, 2.254622,
                             2.754068, 3.252846, 3.754590, 4.256626, 4.758041};
    struct why_conn_rec *check = NULL;
    for (int i = 0; i < 10; i++) {
        struct why_conn_rec *c = refused(f, "198.19.0.12", checks[i]);
        if (i == 4)
            check = c;
    }
    refused(f, "198.19.0.12", 0.509212); /* /two's first try */
    struct why_conn_rec *r1 = refused(f, "198.19.0.12", 0.439205);
    struct why_conn_rec *r2 = refused(f, "198.19.0.12", 1.437679);
    struct why_conn_rec *r3 = refused(f, "198.19.0.12", 2.436421);
    assert_true(why_join_scheduled(&f->cx, check));
    assert_true(why_join_scheduled_loose(&f->cx, r2));
    assert_false(why_join_scheduled(&f->cx, r1));
    assert_false(why_join_scheduled(&f->cx, r2));
    assert_false(why_join_scheduled(&f->cx, r3));
}

/* HAProxy checks 198.19.0.12 every 0.5 s (at .29 and .79, each refused); /rst's server is
 * that address too, refused at 1.6856 and retried 1 s after each refusal (2.6850, 3.6844,
 * 0.1 s before a check), then answered 503. /hc arrives at 2.6845, 0.5 ms before /rst's
 * retry, and gets HAProxy's own 503 at 2.6868 (every server down): no attempt of its own.
 * Within a quarter of a period any attempt there fits some grid (the checks fill every
 * window of a 1 s grid), so the retries are checks to that loose test only: where the checks
 * keep time the retries are off their beat, no checks, and /rst's chain goes on past the
 * retry /hc would take. A drifting schedule (Apache: 1.0 to 1.6 s) stays one. */
static void retries_between_checks_not_checks(void **state)
{
    struct fixture *f = *state;
    f->cx.exhaustive = true;
    struct why_conn_rec *check = NULL;
    for (int i = 0; i < 12; i++) {
        struct why_conn_rec *c = refused(f, "198.19.0.12", 0.29 + 0.5 * i);
        if (i == 5)
            check = c; /* 2.79 */
    }
    struct why_txn *rst = answered_request(f, 80, "/rst", "rst.lab", 1.685, 503, 3.6845);
    struct why_conn_rec *r1 = refused(f, "198.19.0.12", 1.6856);
    struct why_conn_rec *r2 = refused(f, "198.19.0.12", 2.6850);
    struct why_conn_rec *r3 = refused(f, "198.19.0.12", 3.6844);
    struct why_txn *hc = answered_request(f, 80, "/hc", "hc.lab", 2.6845, 503, 2.6868);
    why_store_queue_push(&f->st, rst);
    why_store_queue_push(&f->st, hc);
    assert_true(why_join_scheduled(&f->cx, check));
    assert_true(why_join_scheduled_loose(&f->cx, r2));
    assert_false(why_join_scheduled(&f->cx, r1));
    assert_false(why_join_scheduled(&f->cx, r2));
    assert_false(why_join_scheduled(&f->cx, r3));
    struct why_join x;
    why_join_request(&f->cx, hc, &x);
    assert_int_equal(x.nattempts, 0);
    assert_true(x.nchecks >= 1);
    hc->decided = true;
    why_join_apply(&f->st, &x);
    why_join_request(&f->cx, rst, &x);
    assert_int_equal(x.nattempts, 3);
    assert_ptr_equal(x.attempts[0], r1);
    assert_ptr_equal(x.attempts[1], r2);
    assert_ptr_equal(x.attempts[2], r3);
    /* checks that drift, one of them 0.1 s from a request's attempt */
    static const double drift[] = {0.5, 1.5, 2.8, 3.9, 5.5, 6.7, 7.8};
    struct why_conn_rec *d = NULL;
    for (size_t i = 0; i < sizeof drift / sizeof drift[0]; i++) {
        struct why_conn_rec *c = refused(f, "198.19.0.27", drift[i]);
        if (i == 2)
            d = c; /* 2.8 */
    }
    refused(f, "198.19.0.27", 2.7);
    assert_true(why_join_scheduled(&f->cx, d));
}

/* A reverse proxy whose server is named be.lab, every lookup of it SERVFAIL, answers 503 0.4 ms
 * after the request; a check of 198.19.0.12 (another server's, every 0.5 s) was refused inside
 * that wait (races/run6's HAProxy `servfail`). The check is not the request's attempt: the
 * gateway had no address for be.lab, and none of its lookups ever gave 198.19.0.12; its
 * failing lookups are the cause. A request for a name the gateway never looks up (a server
 * set by address) still takes it, and so does one for a name that once resolved there. */
static void check_while_name_failed(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *checks[6];
    for (int k = 0; k < 6; k++)
        checks[k] = refused(f, "198.19.0.12", 0.5 + 0.5 * k);
    for (int k = 0; k < 2; k++) {
        lookup(f, "be.lab", WHY_DNS_A, NULL, 1.2 + k);
        f->st.dtail->rcode = 2; /* SERVFAIL */
    }
    struct why_txn *client = answered_request(f, 80, "/x", "be.lab", 2.9996, 503, 3.0004);
    why_store_queue_push(&f->st, client);
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 0);
    assert_int_equal(x.nbgdns, 2);
    struct why_txn *byaddr = answered_request(f, 80, "/y", "rst.lab", 2.9996, 503, 3.0004);
    joins_one(f, byaddr, checks[5]);
    lookup(f, "be.lab", WHY_DNS_A, "198.19.0.12", 0.2);
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 1);
    assert_ptr_equal(x.attempts[0], checks[5]);
}

/* races/run13 (HAProxy): its resolvers asked for refused.lab 0.09 ms before the 503 and got
 * REFUSED 4 ms after it. No resolver gives up 0.09 ms after asking: that query is no lookup of
 * the request's (a round of the resolvers' own schedule, which the background then names). One
 * sent 20 ms before the 503, answered after it, or one answered before it, is. */
static struct why_dns_rec *refused_at(struct fixture *f, const char *name, double asked, double answered)
{
    struct why_dns_rec *d = unanswered(f, name, asked);
    d->answered = true;
    d->a_ts = T(answered);
    d->rcode = 5; /* REFUSED */
    return d;
}

static void query_unheard_at_answer_not_own(void **state)
{
    struct fixture *f = *state;
    struct why_txn *client = answered_request(f, 80, "/haproxy/refused", "refused.lab", 1.2475, 503, 1.25546);
    why_store_queue_push(&f->st, client);
    struct why_dns_rec *d = refused_at(f, "refused.lab", 1.255381, 1.259593);
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.ndns, 0);
    d->a_ts = T(1.25540); /* the same query answered before the 503 */
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.ndns, 1);
    /* a request whose query went out 20 ms before the 503, answered after it */
    struct why_txn *c2 = answered_request(f, 81, "/haproxy/refused2", "refused2.lab", 5.0, 503, 5.03);
    why_store_queue_push(&f->st, c2);
    refused_at(f, "refused2.lab", 5.01, 5.04);
    why_join_request(&f->cx, c2, &x);
    assert_int_equal(x.ndns, 1);
}

/* races/run15 (HAProxy): every lookup of refused.lab by the gateway (from its IPv4 address)
 * was REFUSED, and 6 ms before its 503 another request's attempt to [fd00:19::12] (from the
 * gateway's IPv6 address, on no check's schedule) was refused; the join takes it. The request
 * went there if its server is another of the backend's, set by address; nowhere, if its server
 * is named refused.lab: the reading with no attempt is kept. Not once a lookup resolved. */
static void attempt_while_name_failed_other_reading(void **state)
{
    struct fixture *f = *state;
    char err[128];
    assert_int_equal(why_gw_parse(&f->gw, "198.18.1.1,198.19.0.1,fd00:19::1", err, sizeof err), 0);
    for (int k = 0; k < 2; k++) {
        lookup(f, "refused.lab", WHY_DNS_A, NULL, 1.2 + k);
        f->st.dtail->rcode = 5; /* REFUSED */
    }
    struct why_txn *client = answered_request(f, 80, "/haproxy/refused", "refused.lab", 2.99, 503, 3.0004);
    why_store_queue_push(&f->st, client);
    struct why_conn_rec *v6 = conn(f, "fd00:19::1", "fd00:19::12", 80, 2.9942, false);
    wend(&v6->c->half[WHY_S2C])->rst_frame = v6->c->first_frame + 1;
    wend(&v6->c->half[WHY_S2C])->rst_ts = T(2.9943);
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 1);
    assert_ptr_equal(x.attempts[0], v6);
    assert_int_equal(x.nalt, 1);
    assert_null(x.alt_final[0]);
    assert_int_equal(x.alt_basis[0], WHY_ALT_NAME_UNRESOLVED);
    struct why_join a;
    why_join_alternative(&f->cx, &x, 0, &a);
    assert_int_equal(a.nattempts, 0);
    assert_int_equal(a.nbgdns, 2);
    /* the reading rests on those lookups: claimed as the schedule's, not reported again as
     * an unjoined failure (a live run's HAProxy `noanswer`) */
    assert_false(a.bgdns[0]->claimed);
    why_join_apply_reading(&f->st, &a);
    assert_true(a.bgdns[0]->claimed && a.bgdns[1]->claimed && a.bgdns[0]->scheduled);
    lookup(f, "refused.lab", WHY_DNS_A, "198.19.0.12", 0.2);
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nalt, 0);
    /* live, 2 December (HAProxy `noanswer`): the resolvers' first lookup of the name came
     * 0.4 s after the attempt, unanswered, and none ever resolved it: the same reading */
    struct why_txn *na = answered_request(f, 81, "/haproxy/noanswer", "noanswer.lab", 5.99, 503, 6.0004);
    why_store_queue_push(&f->st, na);
    struct why_conn_rec *p6 = conn(f, "fd00:19::1", "fd00:19::15", 80, 5.9942, false);
    f->more[p6->c->id - 1].icmp_frame = p6->c->first_frame + 5;
    f->more[p6->c->id - 1].icmp_ts = T(5.9943);
    unanswered(f, "noanswer.lab", 6.4);
    f->cx.deciding = na;
    why_join_request(&f->cx, na, &x);
    assert_int_equal(x.nattempts, 1);
    assert_ptr_equal(x.attempts[0], p6);
    assert_int_equal(x.nalt, 1);
    assert_int_equal(x.alt_basis[0], WHY_ALT_NAME_UNRESOLVED);
}

/* races/run15 (HAProxy): the capture's first lookup of be.lab came 0.8 s after the request's
 * 503, unanswered, and a check of 198.19.0.12 (every 0.5 s) was refused in the same turn as
 * that 503. The name never had an address in the capture: the check is not the request's, the
 * lookup after the answer is its cause. Once a lookup of be.lab resolved (to another address)
 * the check may have been its attempt again. */
static void check_while_name_never_resolved(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *checks[6];
    for (int k = 0; k < 6; k++)
        checks[k] = refused(f, "198.19.0.12", 0.5 + 0.5 * k);
    struct why_txn *client = answered_request(f, 80, "/x", "be.lab", 2.9996, 503, 3.0002);
    lookup(f, "be.lab", WHY_DNS_AAAA, NULL, 3.8);
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 0);
    assert_int_equal(x.nbgdns, 1);
    assert_true(x.bgdns_after);
    lookup(f, "be.lab", WHY_DNS_A, "198.19.0.10", 3.9);
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 1);
    assert_ptr_equal(x.attempts[0], checks[5]);
}

/* The capture began between two of HAProxy's rounds: the request for be.lab got its 503 with
 * no attempt 0.23 s before the gateway's first lookup of the name, unanswered (races/run8's
 * `noanswer`). That lookup, within a round after the answer and asked by no request, is the
 * cause; not one a later request for the name was waiting for, nor when a lookup of that
 * round found an address. */
static void lookup_after_answer(void **state)
{
    struct fixture *f = *state;
    struct why_txn *client = answered_request(f, 80, "/x", "be.lab", 1.0, 503, 1.0005);
    struct why_dns_rec *r = unanswered(f, "be.lab", 1.23);
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 0);
    assert_int_equal(x.nbgdns, 1);
    assert_ptr_equal(x.bgdns[0], r);
    assert_true(x.bgdns_after);
    struct why_conn_rec *oc = conn(f, "198.18.1.5", "198.18.1.1", 80, 1.1, true);
    struct why_txn *other = request(f, oc, "/y", "be.lab", 1.2); /* waiting at 1.23 */
    why_store_queue_push(&f->st, other);
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nbgdns, 0);
    other->decided = true;
    why_store_queue_remove(&f->st, other);
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nbgdns, 1);
    lookup(f, "be.lab", WHY_DNS_A, "198.19.0.10", 1.24);
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nbgdns, 0);
}

/* A 503 with no attempt and no lookup of its host while the gateway's own lookups of another
 * name fail on its schedule (the retry bench: HAProxy's server nosuch.bench behind requests for
 * nx.bench): the reading with those lookups as the cause. Read from the lookups before the
 * answer: as many lookups after it as come before the decision do not hide them. */
static void other_name_failing_read_from_answer(void **state)
{
    struct fixture *f = *state;
    for (int k = 0; k < 5; k++)
        unanswered(f, "nosuch.bench", 0.5 + k);
    struct why_txn *client = answered_request(f, 80, "/x", "nx.bench", 4.9, 503, 4.9005);
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 0);
    assert_int_equal(x.ndns, 0);
    assert_int_equal(x.nalt, 1);
    assert_int_equal(x.alt_basis[0], WHY_ALT_OTHER_NAME_UNRESOLVED);
    for (int k = 0; k < 5000; k++) { /* a busy resolver's answers before the decision */
        char name[32];
        snprintf(name, sizeof name, "p%d.bench", k);
        lookup(f, name, WHY_DNS_A, "198.19.2.1", 4.91 + k * 0.0002);
    }
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nalt, 1);
    assert_int_equal(x.alt_basis[0], WHY_ALT_OTHER_NAME_UNRESOLVED);
}

/* client's join, no attempt: the gateway's failing lookups of `name` are its other reading */
static void other_name_read(struct fixture *f, struct why_txn *client, struct why_join *x, const char *name)
{
    why_join_request(&f->cx, client, x);
    assert_int_equal(x->nattempts, 0);
    assert_non_null(x->bg_other);
    assert_string_equal(x->bg_other->qname, name);
}

/* Another name whose failing lookups a lookup a request made (claimed by it) found resolving
 * in the same round is not the failing name (the retry bench, 2 GB: shop.bench, failing three
 * times and answered 1.3 ms after by a request's own lookup, was offered as the other name, and
 * its reading, whose gather counts that answer, named nothing; nosuch.bench, failing all
 * along, was not offered). */
static void other_name_resolved_by_request_not_failing(void **state)
{
    struct fixture *f = *state;
    for (int k = 0; k < 5; k++)
        unanswered(f, "nosuch.bench", 0.5 + k);
    for (int k = 0; k < 5; k++)
        unanswered(f, "shop.bench", 0.8 + k);
    struct why_dns_rec *own = lookup_at(f, "shop.bench", WHY_DNS_A, "198.19.0.18", 4.8013, 4.8015);
    own->claimed = true;
    struct why_join x;
    other_name_read(f, answered_request(f, 80, "/x", "nx.bench", 4.9, 503, 4.9005), &x, "nosuch.bench");
}

/* The walk of other names' lookups reads the newest 4,096 before the answer (other_name_failing's
 * cap): a name failing on schedule whose lookup answered with an address lies further back than
 * that is read as failing, as when nothing else answered, while the same answer within the walk
 * tells it resolved; the list of lookups that may have failed, read first, tells a name resolved
 * only by an answer the walk reads. A failed lookup a request claimed as its own is none. */
static void other_name_resolved_beyond_walk(void **state)
{
    struct fixture *f = *state;
    for (int k = 0; k < 4; k++)
        unanswered(f, "nosuch.bench", 0.5 + k);
    lookup(f, "nosuch.bench", WHY_DNS_A, "198.19.0.18", 3.9);
    for (int k = 0; k < 4100; k++) { /* a busy resolver's answers */
        char name[32];
        snprintf(name, sizeof name, "p%d.bench", k);
        lookup(f, name, WHY_DNS_A, "198.19.2.1", 3.95 + k * 0.0001);
    }
    unanswered(f, "nosuch.bench", 4.5);
    struct why_txn *client = answered_request(f, 80, "/x", "nx.bench", 4.9, 503, 4.9005);
    struct why_join x;
    other_name_read(f, client, &x, "nosuch.bench");
    /* the same answer within the walk: resolved, and nothing else failing */
    lookup(f, "nosuch.bench", WHY_DNS_A, "198.19.0.18", 4.6);
    struct why_dns_rec *own = unanswered(f, "mine.bench", 4.7);
    why_store_dns_claim(&f->st, own);
    why_join_request(&f->cx, client, &x);
    assert_null(x.bg_other);
    f->cx.exhaustive = true; /* the walk alone says the same */
    why_join_request(&f->cx, client, &x);
    assert_null(x.bg_other);
}

/* The same 503 while the gateway's checks of a server fail too (the retry bench: b_hc's
 * 198.19.0.10:81 refused every 2 s, read as checks where a few are still held): HAProxy
 * answers "no server available" for both, and nothing ties the request to either, so both
 * are readings, the checks first, and neither is the join's own (the checks' reading does
 * not read the other name's lookups; the lookups' reading has them as the host's). */
static void checks_and_other_name_both_readings(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 10; i++)
        refused(f, "198.19.0.12", 0.25 + 0.5 * i);
    for (int k = 0; k < 5; k++)
        unanswered(f, "nosuch.bench", 0.5 + k);
    struct why_txn *client = answered_request(f, 80, "/x", "nx.bench", 4.9, 503, 4.9005);
    struct why_join x, a;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nattempts, 0);
    assert_true(x.nchecks >= 1);
    assert_non_null(x.bg_other);
    assert_int_equal(x.nalt, 2);
    assert_int_equal(x.alt_basis[0], WHY_ALT_CHECKS_FAILING);
    assert_int_equal(x.alt_basis[1], WHY_ALT_OTHER_NAME_UNRESOLVED);
    why_join_alternative(&f->cx, &x, 0, &a);
    assert_true(a.nchecks >= 1);
    assert_null(a.bg_other);
    assert_int_equal(a.nbgdns, 0);
    why_join_alternative(&f->cx, &x, 1, &a);
    assert_true(a.nbgdns >= 1);
}

/* A request settled as a success goes before a failed request that holds the others back
 * only when all its decision claims began after what that request's join reads: the lookup
 * of its host and the connection that carried it; a lookup still pending from before the
 * request came (resolvers coalesce them), or a connection kept alive from before that no
 * request claimed yet, hold it back; one claimed by the request it carried first does not. */
static void settled_claims_after(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *cc = conn(f, "198.18.1.2", "198.18.1.1", 9090, 4.9, true);
    struct why_txn *client = request(f, cc, "http://shop.lab/x", "shop.lab", 5.0);
    struct why_dns_rec *d = lookup_at(f, "shop.lab", WHY_DNS_A, "198.19.0.10", 5.001, 5.002);
    struct why_conn_rec *uc = conn(f, "198.19.0.1", "198.19.0.10", 80, 5.003, true);
    struct why_txn *up = request(f, uc, "/x", "shop.lab", 5.004);
    answer(up, 200, 5.01);
    answer(client, 200, 5.011);
    struct why_join x;
    why_join_settled(&f->cx, client, up, &x);
    assert_int_equal(x.ndns, 1);
    assert_ptr_equal(x.dns[0], d);
    assert_ptr_equal(x.up_conn, uc);
    assert_true(why_join_settled_after(&x, T(4.99)));
    assert_false(why_join_settled_after(&x, T(5.002))); /* its lookup, at 5.001 */
    d->q_ts = T(4.5); /* pending since before the request */
    assert_false(why_join_settled_after(&x, T(4.99)));
    d->q_ts = T(5.001);
    uc->c->first_ts = uc->c->syn_ts0 = T(4.0); /* kept alive from before */
    assert_false(why_join_settled_after(&x, T(4.99)));
    uc->claimed = true; /* by the request it carried first */
    assert_true(why_join_settled_after(&x, T(4.99)));
}

/* Whether a request was waiting for the name when the gateway asked depends on the requests
 * for that name only: not on how many requests for other names are queued (a walk of the whole
 * queue with a cap once counted more than 4,096 queued as "asked by one of them"). A request
 * without a Host whose URL names the host does count. */
static void lookup_after_answer_long_queue(void **state)
{
    struct fixture *f = *state;
    struct why_txn *client = answered_request(f, 80, "/x", "be.lab", 1.0, 503, 1.0005);
    struct why_dns_rec *r = unanswered(f, "be.lab", 1.23);
    struct why_conn_rec *oc = NULL;
    for (int k = 0; k < 5000; k++) { /* waiting at 1.23, for other names (1,000 a connection) */
        if (k % 1000 == 0)
            oc = conn(f, "198.18.1.5", "198.18.1.1", 80, 1.1, true);
        char host[32];
        snprintf(host, sizeof host, "o%d.lab", k);
        why_store_queue_push(&f->st, request(f, oc, "/y", host, 1.2));
    }
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nbgdns, 1);
    assert_ptr_equal(x.bgdns[0], r);
    /* HTTP/1.0 without a Host, its URL absolute: waiting for be.lab at 1.23 */
    struct why_txn *bare = request(f, oc, "http://be.lab/z", "", 1.2);
    why_store_queue_push(&f->st, bare);
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nbgdns, 0);
    bare->decided = true;
    why_store_queue_remove(&f->st, bare);
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nbgdns, 1);
}

/* A client repeats a request the gateway lost (no answer, its connection closed by the
 * gateway) on a new connection within WHY_RETRY_US (why_join_repeats): found among thousands
 * of queued requests for the same URL from the same client (a load test's), pushed out of the
 * order they were sent, of which only those sent within the window are read (the queue's
 * bucket is in the order sent); one lost earlier than the window is not the repeat's. */
static void repeat_found_among_many_like_it(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *cc[6];
    for (int k = 0; k < 6; k++)
        cc[k] = conn(f, "198.18.1.5", "198.18.1.1", 80, 0.5, true);
    struct why_conn_rec *la = conn(f, "198.18.1.5", "198.18.1.1", 80, 0.5, true);
    struct why_conn_rec *lb = conn(f, "198.18.1.5", "198.18.1.1", 80, 0.01, true);
    wend(&la->c->half[WHY_S2C])->fin_frame = 77; /* the gateway closed both */
    wend(&lb->c->half[WHY_S2C])->fin_frame = 78;
    struct why_txn *lost = NULL, *old_lost = NULL, *again = NULL;
    /* 5,000 answered at 2.1 .. 7.1 s, the lost one (2.3 s) and an older lost one (0.05 s)
     * pushed among them late (after requests sent after them), the repeat at 2.8 s */
    for (int k = 0; k < 5000; k++) {
        struct why_txn *q = request(f, cc[k / 1000], "/r/0", "www.lab", 2.1 + k * 0.001);
        answer(q, 200, 2.1 + k * 0.001 + 0.0005);
        why_store_queue_push(&f->st, q);
        if (k == 300) {
            lost = request(f, la, "/r/0", "www.lab", 2.3);
            why_store_queue_push(&f->st, lost);
            old_lost = request(f, lb, "/r/0", "www.lab", 0.05);
            why_store_queue_push(&f->st, old_lost);
        }
        if (k == 700) {
            again = request(f, cc[5], "/r/0", "www.lab", 2.8);
            answer(again, 200, 2.8005);
            why_store_queue_push(&f->st, again);
        }
    }
    /* the bucket in the order sent */
    const struct why_txn *p = NULL;
    int n = 0;
    for (const struct why_txn *q = why_store_queued_like(&f->st, lost); q; p = q, q = q->lnext, n++)
        assert_true(!p || why_ts_cmp(p->req_ts, q->req_ts) <= 0);
    assert_int_equal(n, 5003);
    struct why_join x;
    memset(&x, 0, sizeof x);
    x.client = again;
    why_join_repeats(&f->cx, &x);
    assert_int_equal(x.nrepeated, 1); /* the lost one within 2 s before, not the older one */
    assert_ptr_equal(x.repeated[0], lost);
    /* the lost one: every answered one sent in the 2 s after it repeats it (16 kept) */
    memset(&x, 0, sizeof x);
    x.client = lost;
    why_join_repeats(&f->cx, &x);
    assert_int_equal(x.nrepeated, WHY_JOIN_MAX);
    assert_ptr_equal(x.repeated[0], lost);
    /* the older lost one: repeated by none (all sent more than 2 s after it) */
    memset(&x, 0, sizeof x);
    x.client = old_lost;
    why_join_repeats(&f->cx, &x);
    assert_int_equal(x.nrepeated, 0);
    /* out of the queue, the lost one is no longer a repeat's */
    why_store_queue_remove(&f->st, lost);
    memset(&x, 0, sizeof x);
    x.client = again;
    why_join_repeats(&f->cx, &x);
    assert_int_equal(x.nrepeated, 0);
}

/* A storm of clients giving up: each request lost (no answer, the gateway closed its
 * connection) waits WHY_RETRY_US for a repeat, and only one answered below 500 can be that;
 * with none such queued like it (the bucket's count of them, kept as requests are pushed,
 * answered and leave) a lost one reads none of the others. One answered after its push is
 * counted, the lost one finds it, and once it leaves the count is back to none. */
static void lost_among_lost_reads_none(void **state)
{
    struct fixture *f = *state;
    struct why_txn *lost[3];
    for (int k = 0; k < 3; k++) {
        struct why_conn_rec *c = conn(f, "198.18.1.5", "198.18.1.1", 80, 0.5 + 0.1 * k, true);
        wend(&c->c->half[WHY_S2C])->fin_frame = 70 + k; /* the gateway closed it */
        lost[k] = request(f, c, "/r/0", "www.lab", 1.0 + 0.1 * k);
        why_store_queue_push(&f->st, lost[k]);
    }
    uint32_t nok = 99;
    assert_ptr_equal(why_store_queued_like_from(&f->st, lost[1], T(1.1), &nok), lost[1]);
    assert_int_equal(nok, 0);
    assert_ptr_equal(why_store_queued_like_from(&f->st, lost[1], T(1.05), &nok), lost[1]);
    assert_ptr_equal(why_store_queued_like_from(&f->st, lost[1], T(0.5), &nok), lost[0]);
    struct why_join x;
    memset(&x, 0, sizeof x);
    x.client = lost[0];
    why_join_repeats(&f->cx, &x);
    assert_int_equal(x.nrepeated, 0);
    /* a repeat, pushed before its answer came */
    struct why_conn_rec *cr = conn(f, "198.18.1.5", "198.18.1.1", 80, 1.35, true);
    struct why_txn *again = request(f, cr, "/r/0", "www.lab", 1.4);
    why_store_queue_push(&f->st, again);
    why_store_queued_like_from(&f->st, lost[0], T(1.0), &nok);
    assert_int_equal(nok, 0);
    answer(again, 200, 1.45);
    why_store_queue_answered(&f->st, again);
    why_store_queue_answered(&f->st, again); /* (counted once) */
    assert_ptr_equal(why_store_queued_like_from(&f->st, lost[0], T(1.0), &nok), lost[0]);
    assert_int_equal(nok, 1);
    memset(&x, 0, sizeof x);
    x.client = lost[0];
    why_join_repeats(&f->cx, &x);
    assert_int_equal(x.nrepeated, 1);
    assert_ptr_equal(x.repeated[0], lost[0]);
    why_store_queue_remove(&f->st, again);
    why_store_queued_like_from(&f->st, lost[0], T(1.0), &nok);
    assert_int_equal(nok, 0);
}

/* races/run12 (HAProxy): noanswer's 503 rests on the gateway's lookup of its name 0.9 s after
 * the answer; once the request is decided that lookup is the schedule's, claimed, so that its
 * pruning does not report it again as a failure of its own (it was an unjoined dns_timeout),
 * and counted once with the schedule's failures; a lookup a chain of the schedule took (and
 * counted) already is not counted again. */
static void lookup_after_answer_claimed(void **state)
{
    struct fixture *f = *state;
    struct why_txn *client = answered_request(f, 80, "/x", "be.lab", 1.0, 503, 1.0005);
    struct why_dns_rec *r = unanswered(f, "be.lab", 1.9);
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nbgdns, 1);
    why_join_apply(&f->st, &x);
    assert_true(r->claimed && r->scheduled && r->bg_evidence);
    struct why_txn *again = answered_request(f, 80, "/y", "be.lab", 1.2, 503, 1.2005);
    r->bg_evidence = false; /* as if a chain of the schedule had claimed and counted it */
    why_join_request(&f->cx, again, &x);
    assert_int_equal(x.nbgdns, 1); /* the schedule's still */
    why_join_apply(&f->st, &x);
    assert_false(r->bg_evidence);
}

/* Failed connections to 198.19.0.17 on a 0.5 s grid read as the gateway's failing checks of
 * it for a 503 of hc.lab (a server set by address), until a lookup of drop.lab gave that
 * address and a request for drop.lab, not decided, waited through them: they may be its tries
 * (the retry bench: b_drop's tries of drop.bench, a second apart while its requests waited,
 * were named as failing checks of an address the gateway never checks). Once it is decided,
 * they are checks again. */
static void tries_awaited_are_no_checks(void **state)
{
    struct fixture *f = *state;
    f->cx.exhaustive = true;
    for (double at = 0.6; at < 3.7; at += 0.5)
        refused(f, "198.19.0.17", at);
    struct why_join x;
    struct why_txn *hc = answered_request(f, 80, "/hc", "hc.lab", 3.3, 503, 3.32);
    why_join_request(&f->cx, hc, &x);
    assert_int_equal(x.nchecks, 1);
    resolved(f, "drop.lab", "198.19.0.17", 0.5);
    struct why_txn *drop = answered_request(f, 80, "/d", "drop.lab", 0.55, 503, 3.65);
    why_store_queue_push(&f->st, drop);
    why_join_request(&f->cx, hc, &x);
    assert_int_equal(x.nchecks, 0);
    drop->decided = true;
    why_join_request(&f->cx, hc, &x);
    assert_int_equal(x.nchecks, 1);
}

/* A 503 with no attempt for be.lab, a name the gateway looks up (resolved to 198.19.0.10),
 * while the checks of 198.19.0.17, an address no lookup of be.lab gave, fail: they are another
 * server's and say nothing of the request's (races/run8: HAProxy's `noanswer` was named after
 * another backend's failing checks). For a name the gateway never looks up (a server set by
 * address) they still count, and so they do once a lookup of be.lab gave that address. */
static void checks_of_other_name(void **state)
{
    struct fixture *f = *state;
    f->cx.exhaustive = true;
    resolved(f, "be.lab", "198.19.0.10", 1.0);
    for (double at = 0.6; at < 3.7; at += 0.5)
        refused(f, "198.19.0.17", at);
    struct why_join x;
    struct why_txn *client = answered_request(f, 80, "/x", "be.lab", 3.3, 503, 3.32);
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nchecks + x.nbgdns + x.nattempts, 0);
    struct why_txn *byaddr = answered_request(f, 80, "/hc", "hc.lab", 3.3, 503, 3.32);
    why_join_request(&f->cx, byaddr, &x);
    assert_int_equal(x.nchecks, 1);
    resolved(f, "be.lab", "198.19.0.17", 2.0);
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nchecks, 1);
}

/* A failed lookup of be.lab that a request claimed as its own (a resolver asking for that
 * request) says nothing of a schedule: a later 503 for be.lab with no attempt is not put down
 * to the gateway's periodic lookups; it is once that lookup was claimed as the schedule's. */
static void claimed_lookup_not_background(void **state)
{
    struct fixture *f = *state;
    lookup(f, "be.lab", WHY_DNS_A, NULL, 1.0);
    struct why_dns_rec *own = f->st.dtail;
    own->claimed = true;
    struct why_txn *client = answered_request(f, 80, "/x", "be.lab", 2.35, 503, 2.36);
    struct why_join x;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.ndns + x.nbgdns, 0);
    own->scheduled = true;
    why_join_request(&f->cx, client, &x);
    assert_int_equal(x.nbgdns, 1);
    assert_ptr_equal(x.bgdns[0], own);
}

/* races/run11 (HAProxy): hostprohib's first SYN to 198.19.0.14 left 13 us before HAProxy's
 * own 503 for nxdomain (a name that never resolves), and its ICMP came 28 us after that 503.
 * When nxdomain is decided, hostprohib is still waiting (its 503 comes 3 s later), so the
 * match has nxdomain alone and the walk offered it that attempt. HAProxy had heard nothing
 * back for it when it answered, and had not waited out a connect timeout on it: it is not
 * nxdomain's (which gets none), and hostprohib keeps its three tries. With the ICMP stamped
 * before the answer it could have been nxdomain's. */
static void answer_before_outcome_not_final(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *ch = conn(f, "198.18.1.2", "198.18.1.1", 80, 1.5, true);
    struct why_txn *hp = request(f, ch, "/haproxy/hostprohib", "hostprohib.lab", 1.639847);
    struct why_conn_rec *cn = conn(f, "198.18.1.3", "198.18.1.1", 80, 1.6, true);
    struct why_txn *nx = request(f, cn, "/haproxy/nxdomain", "nx.lab", 1.640033);
    struct why_conn_rec *a[3];
    a[0] = attempt(f, "198.19.0.14", (const double[]){1.640138, 0}, 1.640179);
    a[1] = attempt(f, "198.19.0.14", (const double[]){2.639171, 0}, 2.639221);
    answer(nx, 503, 1.640151);
    why_store_queue_push(&f->st, hp);
    struct why_join j;
    f->cx.deciding = nx;
    why_join_request(&f->cx, nx, &j);
    assert_int_equal(j.nattempts, 0);
    why_join_apply(&f->st, &j);
    a[2] = attempt(f, "198.19.0.14", (const double[]){3.638587, 0}, 3.638642);
    answer(hp, 503, 4.637706);
    why_store_queue_remove(&f->st, hp);
    f->cx.deciding = hp;
    why_join_request(&f->cx, hp, &j);
    assert_int_equal(j.nattempts, 3);
    for (int i = 0; i < 3; i++)
        assert_ptr_equal(j.attempts[i], a[i]);
    f->more[a[0]->c->id - 1].icmp_ts = T(1.640145);
    f->cx.deciding = nx;
    why_join_request(&f->cx, nx, &j);
    assert_int_equal(j.nattempts, 1);
    assert_ptr_equal(j.attempts[0], a[0]);
}

/* The capture lacks the upstream leg's answers (one direction lost: lab-nginx with every
 * packet from the servers removed): an attempt begun 13 us before the answer shows no outcome
 * at all, before or after it, so nothing says the gateway had not heard back; it stays the
 * answered request's. */
static void attempt_without_outcome_judged(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *cn = conn(f, "198.18.1.3", "198.18.1.1", 80, 1.6, true);
    struct why_txn *rst = request(f, cn, "/nginx/rst", "rst.lab", 1.640033);
    struct why_conn_rec *a = attempt(f, "198.19.0.12", (const double[]){1.640138, 0}, 0);
    answer(rst, 502, 1.640151);
    struct why_join j;
    f->cx.deciding = rst;
    why_join_request(&f->cx, rst, &j);
    assert_int_equal(j.nattempts, 1);
    assert_ptr_equal(j.attempts[0], a);
}

/* A client's request for path from cli at `at`, on a new connection to the gateway. */
static struct why_txn *asked(struct fixture *f, const char *cli, const char *path, const char *host, double at)
{
    return request(f, conn(f, cli, "198.18.1.1", 80, at, true), path, host, at);
}

/* The gateway's connection to srv opened at `at`, carrying path upstream at sent. */
static struct why_conn_rec *carrier(struct fixture *f, const char *srv, const char *path, const char *host, double at,
                                    double sent)
{
    struct why_conn_rec *rc = conn(f, "198.19.0.1", srv, 80, at, true);
    request(f, rc, path, host, sent);
    return rc;
}

/* t answered `status` at `answered`, then decided: x gets its join. */
static void decided(struct fixture *f, struct why_txn *t, int status, double answered, struct why_join *x)
{
    answer(t, status, answered);
    f->cx.deciding = t;
    why_join_request(&f->cx, t, x);
}

/* races/run13 (HAProxy, loaded): drop's SYN to 198.19.0.11 (never answered) left 0.14 ms
 * before garbage's connection to 198.19.0.20, which carried garbage's request. No gateway gives
 * up on a SYN that soon, so the two were made beside each other: the silent SYN is not one of
 * garbage's tries. Begun 23 ms before, it could have been (a connect timeout run out). */
static void silent_syn_beside_carrier_not_tried(void **state)
{
    struct fixture *f = *state;
    struct why_txn *g = asked(f, "198.18.1.2", "/haproxy/garbage", "garbage.lab", 1.0);
    attempt(f, "198.19.0.11", (const double[]){1.002266, 0}, 0);
    struct why_conn_rec *uc = carrier(f, "198.19.0.20", "/haproxy/garbage", "garbage.lab", 1.002406, 1.002471);
    struct why_join j;
    decided(f, g, 502, 1.0206, &j);
    assert_int_equal(j.nattempts, 1);
    assert_ptr_equal(j.attempts[0], uc);
    why_join_apply(&f->st, &j);
    g->decided = true;
    /* 23 ms between the two: a connect timeout that short is still no reason to call them
     * beside each other, so the silent SYN stays a try of the request */
    struct why_txn *g2 = asked(f, "198.18.1.3", "/haproxy/garbage2", "garbage.lab", 5.0);
    struct why_conn_rec *s2 = attempt(f, "198.19.0.11", (const double[]){5.002, 0}, 0);
    struct why_conn_rec *uc2 = carrier(f, "198.19.0.20", "/haproxy/garbage2", "garbage.lab", 5.025, 5.0251);
    decided(f, g2, 502, 5.04, &j);
    assert_int_equal(j.nattempts, 2);
    assert_ptr_equal(j.attempts[0], s2);
    assert_ptr_equal(j.attempts[1], uc2);
}

/* races/run14 (Varnish, loaded): binary's upstream request went out on a new connection to
 * 198.19.0.21, 128 us after a SYN to 198.19.0.13 drew ICMP; a SYN to 198.19.0.14 had drawn
 * ICMP 18 ms before that. A balancer moves on at once after a refusal, so the later one may be
 * binary's first try, the earlier one cannot (it was hostprohib's). */
static void tries_before_carrier_linked(void **state)
{
    struct fixture *f = *state;
    struct why_txn *b = asked(f, "198.18.1.2", "/varnish/binary", "binary.lab", 1.174);
    attempt(f, "198.19.0.14", (const double[]){1.190156, 0}, 1.190191);
    struct why_conn_rec *a13 = attempt(f, "198.19.0.13", (const double[]){1.208332, 0}, 1.208365);
    struct why_conn_rec *uc = carrier(f, "198.19.0.21", "/varnish/binary", "binary.lab", 1.208493, 1.208534);
    struct why_join j;
    decided(f, b, 502, 1.25, &j);
    assert_int_equal(j.nattempts, 2);
    assert_ptr_equal(j.attempts[0], a13);
    assert_ptr_equal(j.attempts[1], uc);
}

/* races/run17 (Varnish, loaded): rst's request, then hostprohib's 14 ms later; the gateway's
 * SYN to 198.19.0.14 drew ICMP, its SYN to 198.19.0.12 was refused 2 ms later, and it answered
 * rst 0.17 ms after that refusal and hostprohib 1.5 ms after it. The match pairs them in time
 * order (rst with the ICMP 2.2 ms before its answer), the true pairing is the other (rst's
 * answer 0.17 ms after its refusal, hostprohib's 3.7 ms after its ICMP): nothing in the packets
 * says which. Each join keeps the other pairing as its other reading. */
static void swapped_pairing_is_other_reading(void **state)
{
    struct fixture *f = *state;
    struct why_txn *rst = asked(f, "198.18.1.2", "/varnish/rst", "rst.lab", 1.080398);
    struct why_txn *hp = asked(f, "198.18.1.3", "/varnish/hostprohib", "hostprohib.lab", 1.094009);
    struct why_conn_rec *icmp = attempt(f, "198.19.0.14", (const double[]){1.100952, 0}, 1.100994);
    struct why_conn_rec *ref = refused(f, "198.19.0.12", 1.102950);
    answer(rst, 503, 1.103221);
    answer(hp, 503, 1.104691);
    why_store_queue_push(&f->st, rst);
    why_store_queue_push(&f->st, hp);
    struct why_join j;
    f->cx.deciding = rst;
    why_join_request(&f->cx, rst, &j);
    assert_int_equal(j.nattempts, 1);
    assert_ptr_equal(j.attempts[0], icmp);
    assert_int_equal(j.nalt, 1);
    assert_ptr_equal(j.alt_final[0], ref);
    assert_int_equal(j.alt_with_frame[0], hp->req_frame);
    struct why_join a;
    why_join_alternative(&f->cx, &j, 0, &a); /* (the ICMP 2 ms before is a failover's try) */
    assert_true(a.nattempts >= 1);
    assert_ptr_equal(a.attempts[a.nattempts - 1], ref);
    assert_int_equal(a.nalt, 0);
    /* rst decided, its attempt claimed: hostprohib, decided after, has the same reading from
     * its side (rst's ICMP), though that attempt is no longer offered to the match */
    assert_int_equal(j.swap_for, hp->req_frame);
    why_store_queue_remove(&f->st, rst);
    why_join_apply(&f->st, &j);
    rst->decided = true;
    struct why_join h;
    f->cx.deciding = hp;
    why_join_request(&f->cx, hp, &h);
    assert_ptr_equal(h.attempts[h.nattempts - 1], ref);
    assert_int_equal(h.nalt, 1);
    assert_ptr_equal(h.alt_final[0], icmp);
    assert_int_equal(h.alt_with_frame[0], rst->req_frame);
    why_store_queue_push(&f->st, rst); /* (back, for the case below) */
    rst->decided = false;
    icmp->claimed = false;
    ref->claimed = false;
    /* hostprohib answered 0.2 ms after the ICMP, before the SYN refused: it cannot have been
     * that refusal's, and nothing fits another way */
    answer(hp, 503, 1.1012);
    why_join_request(&f->cx, rst, &j);
    assert_ptr_equal(j.attempts[j.nattempts - 1], ref);
    assert_int_equal(j.nalt, 0);
}

/* The other reading of a join asks the same match of final attempts as the join, only without
 * its other pairings: with the session's cache, the match the join made is kept for it
 * (why_join_scratch.fin) and not made again. The reading is the same either way, and the kept
 * match is not taken for another request, nor once a decision moved the cache on. */
static void reading_from_kept_match(void **state)
{
    struct fixture *f = *state;
    struct why_txn *rst = asked(f, "198.18.1.2", "/varnish/rst", "rst.lab", 1.080398);
    struct why_txn *hp = asked(f, "198.18.1.3", "/varnish/hostprohib", "hostprohib.lab", 1.094009);
    attempt(f, "198.19.0.14", (const double[]){1.100952, 0}, 1.100994);
    struct why_conn_rec *ref = refused(f, "198.19.0.12", 1.102950);
    answer(rst, 503, 1.103221);
    answer(hp, 503, 1.104691);
    why_store_queue_push(&f->st, rst);
    why_store_queue_push(&f->st, hp);
    f->cx.deciding = rst;
    struct why_join j, plain, kept;
    why_join_request(&f->cx, rst, &j);
    assert_int_equal(j.nalt, 1);
    why_join_alternative(&f->cx, &j, 0, &plain); /* (no cache: made again) */
    struct why_sched_cache *k = calloc(1, sizeof *k);
    assert_non_null(k);
    f->cx.sched = k;
    why_join_request(&f->cx, rst, &j);
    assert_ptr_equal(f->scratch.fin_for, rst);
    why_join_alternative(&f->cx, &j, 0, &kept);
    assert_int_equal(kept.nattempts, plain.nattempts);
    assert_memory_equal(kept.attempts, plain.attempts, plain.nattempts * sizeof plain.attempts[0]);
    assert_ptr_equal(kept.attempts[kept.nattempts - 1], ref);
    assert_int_equal(kept.nalt, 0);
    assert_int_equal(kept.nalso, plain.nalso);
    assert_int_equal(kept.swap_for, plain.swap_for);
    /* another request's reading does not take it, nor one after a decision */
    struct why_join other;
    f->cx.deciding = hp;
    why_join_request(&f->cx, hp, &other);
    assert_ptr_equal(f->scratch.fin_for, hp);
    k->dgen++;
    f->cx.deciding = rst;
    why_join_alternative(&f->cx, &j, 0, &kept);
    assert_ptr_equal(kept.attempts[kept.nattempts - 1], ref);
    f->cx.sched = NULL;
    free(k);
}

/* races/run14 (Varnish, loaded): binary's request, then adminprohib's; the SYN to 198.19.0.13
 * drew ICMP, binary's connection to 198.19.0.21 began 128 us later and carried its request,
 * and adminprohib was answered 0.4 ms after that ICMP. binary, decided first, took the ICMP
 * as its first try; adminprohib, with no attempt left, keeps it as its other reading. */
static void try_taken_by_carried_request_is_other_reading(void **state)
{
    struct fixture *f = *state;
    struct why_txn *b = asked(f, "198.18.1.2", "/varnish/binary", "binary.lab", 1.174015);
    struct why_txn *ap = asked(f, "198.18.1.3", "/varnish/adminprohib", "adminprohib.lab", 1.206068);
    struct why_conn_rec *a13 = attempt(f, "198.19.0.13", (const double[]){1.208332, 0}, 1.208365);
    carrier(f, "198.19.0.21", "/varnish/binary", "binary.lab", 1.208493, 1.208534);
    answer(ap, 503, 1.208760);
    struct why_join j;
    decided(f, b, 503, 1.227652, &j);
    assert_int_equal(j.nattempts, 2);
    assert_ptr_equal(j.attempts[0], a13);
    why_join_apply(&f->st, &j);
    b->decided = true;
    f->cx.deciding = ap;
    why_join_request(&f->cx, ap, &j);
    assert_int_equal(j.nattempts, 0);
    assert_int_equal(j.nalt, 1);
    assert_ptr_equal(j.alt_final[0], a13);
    assert_int_equal(j.alt_with_frame[0], b->req_frame);
    /* answered 5 ms after the ICMP: not at once, no other reading */
    answer(ap, 503, 1.2134);
    why_join_request(&f->cx, ap, &j);
    assert_int_equal(j.nalt, 0);
}

/* The same with Varnish's own page as the answer: Varnish dials one backend per fetch (its
 * director picks it; another only on a VCL retry), so the refusal of another server before the
 * carrying connection is not binary's try (live runs of 2026-12-02: garbage, binary, reset,
 * midreset and close each listed another request's refusal as their first try). */
static void varnish_fetch_one_backend(void **state)
{
    struct fixture *f = *state;
    struct why_txn *b = asked(f, "198.18.1.2", "/varnish/binary", "binary.lab", 1.174);
    struct why_conn_rec *a13 = attempt(f, "198.19.0.13", (const double[]){1.208332, 0}, 1.208365);
    struct why_conn_rec *uc = carrier(f, "198.19.0.21", "/varnish/binary", "binary.lab", 1.208493, 1.208534);
    answer(b, 503, 1.25);
    served_by(f, b, "Varnish");
    struct why_join j;
    f->cx.deciding = b;
    why_join_request(&f->cx, b, &j);
    assert_int_equal(j.nattempts, 1);
    assert_ptr_equal(j.attempts[0], uc);
    /* another gateway's page: a balancer moving on at once, the try stays */
    struct why_resp_view v;
    why_resp_view_of(b->resp, &v);
    v.str[WHY_RESP_SERVER] = "nginx";
    assert_true(why_store_txn_resp_put(&f->st, b, &v));
    why_join_request(&f->cx, b, &j);
    assert_int_equal(j.nattempts, 2);
    assert_ptr_equal(j.attempts[0], a13);
}

/* Live lab of 2026-12-02 (nginx): two's first try was refused by 198.19.0.12, nginx moved on to
 * 198.19.0.10 with two's request 0.14 ms later, and began fixeddrop's SYN to 198.19.0.11 (its
 * only server, never answered) 0.31 ms later; fixeddrop's 504 came 3 s after. The refusal is a
 * balancer moving on to a connection that carried another request (two, decided and trimmed
 * long before), not fixeddrop's first try: its one attempt timed out. */
static void failover_to_carried_not_chained(void **state)
{
    struct fixture *f = *state;
    struct why_txn *fd = asked(f, "198.18.1.2", "/nginx/fixeddrop", "fixeddrop.lab", 0.157405);
    refused(f, "198.19.0.12", 0.159978);
    struct why_conn_rec *two = conn(f, "198.19.0.1", "198.19.0.10", 80, 0.160217, true);
    two->carried = true; /* its request joined to two's, trimmed since */
    struct why_conn_rec *d = attempt(f, "198.19.0.11", (const double[]){0.160392, 1.181, 2.205, 0}, 0);
    struct why_join j;
    decided(f, fd, 504, 3.160, &j);
    assert_int_equal(j.nattempts, 1);
    assert_ptr_equal(j.attempts[0], d);
}

/* The same in the match of final attempts, both requests answered: Varnish's hostprohib (its
 * SYN to 198.19.0.14 drew ICMP 41 us later, its 503 0.5 ms after that) and another request
 * answered 503 13 us after that SYN, 28 us before its ICMP. The other request, nearest in time,
 * took the attempt and hostprohib was left with none. */
static void unheard_attempt_not_matched(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *ch = conn(f, "198.18.1.2", "198.18.1.1", 80, 1.5, true);
    struct why_txn *hp = request(f, ch, "/varnish/hostprohib", "hostprohib.lab", 1.639847);
    struct why_conn_rec *cn = conn(f, "198.18.1.3", "198.18.1.1", 80, 1.6, true);
    struct why_txn *other = request(f, cn, "/varnish/other", "other.lab", 1.640033);
    struct why_conn_rec *a = attempt(f, "198.19.0.14", (const double[]){1.640138, 0}, 1.640179);
    answer(other, 503, 1.640151);
    answer(hp, 503, 1.640679);
    why_store_queue_push(&f->st, hp);
    why_store_queue_push(&f->st, other);
    struct why_join j;
    why_store_queue_remove(&f->st, other);
    f->cx.deciding = other;
    why_join_request(&f->cx, other, &j);
    assert_int_equal(j.nattempts, 0);
    why_join_apply(&f->st, &j);
    other->decided = true;
    why_store_queue_remove(&f->st, hp);
    f->cx.deciding = hp;
    why_join_request(&f->cx, hp, &j);
    assert_int_equal(j.nattempts, 1);
    assert_ptr_equal(j.attempts[0], a);
}

/* A forward proxy's 504 after its connect timeout (SYNs to 198.19.0.14 unanswered for 3.5 s)
 * keeps its silent SYNs, and not another request's SYN to the same address sent 13 us before
 * that 504 (its ICMP 28 us after the 504): the gateway gave up on its own attempt, not on one
 * it had just begun. The other request, whose client gave up with no answer, keeps it. */
static void unheard_attempt_not_why_answered(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *ca = conn(f, "198.18.1.2", "198.18.1.1", 9090, 0.4, true);
    struct why_txn *ta = request(f, ca, "http://198.19.0.14/a", "", 0.5);
    struct why_conn_rec *d = attempt(f, "198.19.0.14", (const double[]){0.5001, 1.5001, 3.5001, 0}, 0);
    struct why_conn_rec *cb = conn(f, "198.18.1.3", "198.18.1.1", 9090, 3.9, true);
    struct why_txn *tb = request(f, cb, "http://198.19.0.14/b", "", 3.995);
    struct why_conn_rec *b = attempt(f, "198.19.0.14", (const double[]){3.999987, 0}, 4.000028);
    answer(ta, 504, 4.0);
    struct why_join j;
    why_join_request(&f->cx, ta, &j);
    assert_int_equal(j.nattempts, 1);
    assert_ptr_equal(j.attempts[0], d);
    why_join_apply(&f->st, &j);
    why_join_request(&f->cx, tb, &j);
    assert_int_equal(j.nattempts, 1);
    assert_ptr_equal(j.attempts[0], b);
}

/* races/run10 (Varnish): a probe of 198.19.0.17 (every 0.5 s, each refused) was refused
 * 15 ms after origin500's request and 65 ms before Varnish connected to 198.19.0.27 for it
 * (its 500 passed on); the join took the probe as origin500's first, failed attempt. A chain
 * of a request's own tries has no check in it, and a gateway moves on after a refusal in the
 * same turn: a check it did not move on from at once is the check. One it did move on from at
 * once (a balancer's failover to the connection that carried the request) stays the
 * request's. */
static void check_before_carrier_not_attempt(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *probe[9];
    for (int i = 0; i < 9; i++)
        probe[i] = refused(f, "198.19.0.17", 0.6923 + 0.5 * i);
    struct why_txn *o500 = answered_request(f, 80, "/varnish/origin500", "err500.lab", 3.6778, 500, 3.8686);
    struct why_conn_rec *uc = conn(f, "198.19.0.1", "198.19.0.27", 80, 3.7579, true);
    answer(request(f, uc, "/varnish/origin500", "err500.lab", 3.7582), 500, 3.838);
    struct why_join x;
    why_join_request(&f->cx, o500, &x);
    assert_int_equal(x.nattempts, 1);
    assert_ptr_equal(x.attempts[0], uc);
    /* the gateway connected to another server 0.2 ms after the probe's refusal, and that
     * connection carried the request: a failover, the refusal the request's */
    struct why_txn *two = answered_request(f, 80, "/varnish/two", "two.lab", 4.68, 200, 4.70);
    struct why_conn_rec *tc = conn(f, "198.19.0.1", "198.19.0.10", 80, 4.6925, true);
    answer(request(f, tc, "/varnish/two", "two.lab", 4.6926), 200, 4.699);
    why_join_request(&f->cx, two, &x);
    assert_int_equal(x.nattempts, 2);
    assert_ptr_equal(x.attempts[0], probe[8]);
    assert_ptr_equal(x.attempts[1], tc);
}

/* Varnish holds every backend at an address down after a refusal there; a probe's refusal
 * of an address only the probes go to holds down only the probed backend. Whether a request
 * goes there was read from the records claimed to it, and a claimed record is pruned once
 * its request settled (races/run1 and run5: rst's refusal of 198.19.0.12 was gone when two
 * came, 7 s later). The path a request's attempt took is remembered past that. */
static void request_path_remembered(void **state)
{
    struct fixture *f = *state;
    f->cx.exhaustive = true;
    for (int i = 0; i < 7; i++)
        refused(f, "198.19.0.17", 0.6 + 0.5 * i);
    struct why_txn *hc = answered_request(f, 80, "/hc", "hc.lab", 3.3, 503, 3.32);
    struct why_join x;
    why_join_request(&f->cx, hc, &x);
    assert_null(x.attempt_near);
    /* an unjoined report's claim is no request's */
    struct why_conn_rec *old = refused(f, "198.19.0.17", 0.3);
    struct why_join u = {.nattempts = 1, .attempts = {old}, .up_conn = old};
    why_join_apply(&f->st, &u);
    old->claimed = false; /* pruned */
    why_join_request(&f->cx, hc, &x);
    assert_null(x.attempt_near);
    /* a request's attempt took that path, its record pruned since */
    struct why_txn *rst = answered_request(f, 80, "/rst", "rst.lab", 0.29, 503, 0.31);
    struct why_join r = {.client = rst, .nattempts = 1, .attempts = {old}, .up_conn = old};
    why_join_apply(&f->st, &r);
    old->claimed = false; /* pruned */
    why_join_request(&f->cx, hc, &x);
    assert_non_null(x.attempt_near);
    struct why_addr probed = A("198.19.0.17");
    assert_true(why_addr_eq(&x.attempt_near->c->srv_addr, &probed));
}

/* races/run10: Varnish's new connection to 198.19.0.29, begun 9 ms after hc's request, carried
 * ka-get/2's request upstream (the client's retry of it): it is that request's, not an
 * attempt hc may have made. A connection that carried nothing of a client's still is one. */
static void carrier_of_other_not_near(void **state)
{
    struct fixture *f = *state;
    f->cx.exhaustive = true;
    for (int i = 0; i < 7; i++)
        refused(f, "198.19.0.17", 0.6 + 0.5 * i);
    struct why_txn *hc = answered_request(f, 80, "/varnish/hc", "hc.lab", 3.3, 503, 3.33);
    struct why_txn *ka = answered_request(f, 80, "/varnish/ka-get/2", "ka.lab", 3.308, 200, 3.35);
    why_store_queue_push(&f->st, ka);
    struct why_conn_rec *kc = conn(f, "198.19.0.1", "198.19.0.29", 80, 3.309, true);
    answer(request(f, kc, "/varnish/ka-get/2", "ka.lab", 3.3091), 200, 3.34);
    struct why_join x;
    why_join_request(&f->cx, hc, &x);
    assert_null(x.attempt_near);
    /* once joined to ka-get/2 (claimed), the same */
    kc->txn_head->claimed_by = ka;
    ka->decided = true;
    why_join_request(&f->cx, hc, &x);
    assert_null(x.attempt_near);
    /* carrying nothing a client asked for: maybe hc's own */
    kc->txn_head->claimed_by = NULL;
    strcpy(kc->txn_head->method, "HEAD");
    why_join_request(&f->cx, hc, &x);
    assert_ptr_equal(x.attempt_near, kc);
}

/* races/run1: Apache's checks of 198.19.0.12 drift (1.07, 1.18, 1.14, 1.37 s apart); the first
 * three went as checks before the fourth was judged, and the store held only the attempts
 * after it (one of them a request's). No run of five in a row fits those alone; with the
 * checks gone remembered, the fourth is one of them too (claimed, no incident). Another
 * path's checks say nothing of it. */
static void checks_gone_still_scheduled(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *rc = refused(f, "198.19.0.12", 4.392047);
    const double after[] = {5.761362, 6.855144, 7.878792, 8.745012, 9.264554};
    for (int i = 0; i < 5; i++)
        refused(f, "198.19.0.12", after[i]);
    struct why_join x;
    assert_false(why_join_unjoined_check(&f->cx, rc, &x));
    const double gone[] = {1.0, 2.069714, 3.25204};
    struct why_conn c = *rc->c, o = *rc->c;
    o.srv_addr = A("198.19.0.13");
    for (int i = 0; i < 3; i++) {
        o.first_ts = o.syn_ts0 = T(gone[i]);
        why_store_note_check(&f->st, &o);
    }
    assert_false(why_join_unjoined_check(&f->cx, rc, &x));
    for (int i = 0; i < 3; i++) {
        c.first_ts = c.syn_ts0 = T(gone[i]);
        why_store_note_check(&f->st, &c);
    }
    assert_true(why_join_unjoined_check(&f->cx, rc, &x));
    assert_int_equal(x.nattempts, 1);
    assert_ptr_equal(x.up_conn, rc);
}

/* The gateway tried a server twice while one request waited (Apache's `rst`: the join named a
 * check of that server, begun while the request waited, as its attempt; its own came 92 ms
 * later): the try no request took is covered by that request's report, no incident of its
 * own. Not one begun after the answer, nor one to another server; nor when only an unjoined
 * report took the path. */
static void request_retry_covered(void **state)
{
    struct fixture *f = *state;
    struct why_txn *rst = answered_request(f, 80, "/apache/rst", "rst.lab", 4.88, 503, 5.1722);
    struct why_conn_rec *taken = refused(f, "198.19.0.12", 5.080);
    struct why_conn_rec *own = refused(f, "198.19.0.12", 5.1719);
    struct why_conn_rec *later = refused(f, "198.19.0.12", 6.285);
    struct why_conn_rec *other = refused(f, "198.19.0.13", 5.1);
    struct why_join x;
    struct why_join u = {.nattempts = 1, .attempts = {taken}, .up_conn = taken};
    why_join_apply(&f->st, &u);
    assert_false(why_join_unjoined_covered(&f->cx, own, &x));
    struct why_join r = {.client = rst, .nattempts = 1, .attempts = {taken}, .up_conn = taken};
    why_join_apply(&f->st, &r);
    assert_true(why_join_unjoined_covered(&f->cx, own, &x));
    assert_int_equal(x.nattempts, 1);
    assert_ptr_equal(x.up_conn, own);
    assert_false(why_join_unjoined_covered(&f->cx, later, &x));
    assert_false(why_join_unjoined_covered(&f->cx, other, &x));
}

/* The gateway's later refusals of a path join an unjoined one's chain while each follows the
 * one before within WHY_CHAIN_GAP_US (4 s later is another failure); one begun while a request
 * not decided yet waited is left to that request (races/run1: `rst`'s own attempt, 4.4 s into
 * a chain); the gateway's own checks are no retries. */
static void unjoined_chain_bounded(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *a[5];
    const double at[] = {1.0, 1.5, 2.0, 6.0, 6.5};
    for (int i = 0; i < 5; i++)
        a[i] = refused(f, "198.19.0.12", at[i]);
    struct why_join x;
    why_join_unjoined_conn(&f->cx, a[0], &x);
    assert_int_equal(x.nattempts, 3);
    assert_ptr_equal(x.attempts[2], a[2]);
    struct why_txn *q = answered_request(f, 80, "/apache/rst", "rst.lab", 1.9, 503, 2.1);
    why_store_queue_push(&f->st, q);
    why_join_unjoined_conn(&f->cx, a[0], &x);
    assert_int_equal(x.nattempts, 2);
    assert_ptr_equal(x.attempts[1], a[1]);
    /* checks every second, and one refusal of no request's between */
    struct why_conn_rec *lone = refused(f, "198.19.0.13", 10.3);
    for (int i = 0; i < 6; i++)
        refused(f, "198.19.0.13", 10.0 + i);
    why_join_unjoined_conn(&f->cx, lone, &x);
    assert_int_equal(x.nattempts, 1);
}

/* A balancer moved on at once: 198.19.0.12 refused the gateway and 96 us later its connection
 * to 198.19.0.10 carried HTTP (nginx's and Apache's `two`): the refusal is claimed, no
 * incident (why_join_unjoined_fallback). Not when the next server's connection came 0.5 s
 * later, nor when it carried nothing readable as HTTP or TLS. */
static void next_server_took_over(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *rc = refused(f, "198.19.0.12", 1.0);
    struct why_conn_rec *next = conn(f, "198.19.0.1", "198.19.0.10", 80, 1.0002, true);
    next->app = WHY_APP_HTTP;
    struct why_join x;
    assert_true(why_join_unjoined_fallback(&f->cx, rc, &x));
    assert_int_equal(x.nattempts, 1);
    assert_ptr_equal(x.up_conn, rc);
    struct why_conn_rec *slow = refused(f, "198.19.0.12", 3.0);
    conn(f, "198.19.0.1", "198.19.0.10", 80, 3.5, true)->app = WHY_APP_HTTP;
    assert_false(why_join_unjoined_fallback(&f->cx, slow, &x));
    struct why_conn_rec *mute = refused(f, "198.19.0.12", 5.0);
    conn(f, "198.19.0.1", "198.19.0.10", 80, 5.0002, true);
    assert_false(why_join_unjoined_fallback(&f->cx, mute, &x));
}

/* Live lab (HAProxy, retries 2): `unreach` came 5 ms before `maint`, whose 503 is HAProxy's
 * own `return`; unreach's SYN to 198.19.0.16 drew ICMP 0.2 ms after maint came, and HAProxy
 * tried again 1 s and 2 s later, unreach still waiting. maint is decided before the chain
 * ends: a gateway does not go on retrying for a request it has answered, so the first try is
 * unreach's. When unreach is decided, its chain has all three. A chain that ended long before
 * (no retry since, nobody waiting on it) stays the answered request's. */
static void chain_past_answer_is_others(void **state)
{
    struct fixture *f = *state;
    struct why_txn *unreach = asked(f, "198.18.1.2", "/haproxy/unreach", "unreach.lab", 0.441511);
    struct why_txn *maint = asked(f, "198.18.1.3", "/haproxy/maint", "maint.lab", 0.446366);
    struct why_conn_rec *t[3];
    static const double syn[3] = {0.446618, 1.444221, 2.439970};
    for (int k = 0; k < 3; k++)
        t[k] = attempt(f, "198.19.0.16", (const double[]){syn[k], 0}, syn[k] + 0.00005);
    why_store_queue_push(&f->st, unreach);
    f->cx.now = T(2.9);
    struct why_join j;
    decided(f, maint, 503, 0.451508, &j);
    assert_int_equal(j.nattempts, 0);
    why_join_apply(&f->st, &j);
    f->cx.now = T(5.5);
    decided(f, unreach, 503, 3.4398, &j);
    assert_int_equal(j.nattempts, 3);
    for (int k = 0; k < 3; k++)
        assert_ptr_equal(j.attempts[k], t[k]);
}

/* The same with refusals: HAProxy's `he` refused by [fd00:19::12] (here 198.19.0.12) 39 us
 * before `hc`'s 503 (its servers all down by their checks), and again 1 s later; hc is decided
 * before he's third try is due. */
static void refused_chain_past_answer_is_others(void **state)
{
    struct fixture *f = *state;
    struct why_txn *he = asked(f, "198.18.1.2", "/haproxy/he", "he.lab", 0.397421);
    struct why_txn *hc = asked(f, "198.18.1.3", "/haproxy/hc", "hc.lab", 0.402288);
    refused(f, "198.19.0.12", 0.404715);
    refused(f, "198.19.0.12", 1.404217);
    why_store_queue_push(&f->st, he);
    f->cx.now = T(2.35);
    struct why_join j;
    decided(f, hc, 503, 0.404854, &j);
    assert_int_equal(j.nattempts, 0);
}

/* A live run of 2 December (HAProxy, retries 2): `adminprohib`'s first try drew ICMP 46 us
 * before `hc`'s own 503 (every server down by its checks); `unreach` came 24 ms later and was
 * dialled at once (its own server), and HAProxy tried 198.19.0.13 again 1 s and 2 s later.
 * unreach, waiting when those came, could not have made them its first tries: it came ~1 s
 * before each. The chain goes on past hc's answer, so the first try is adminprohib's. */
static void chain_past_newcomers_dialled_at_once(void **state)
{
    struct fixture *f = *state;
    struct why_txn *admin = asked(f, "198.18.1.2", "/haproxy/adminprohib", "adminprohib.lab", 0.074957);
    struct why_txn *hc = asked(f, "198.18.1.3", "/haproxy/hc", "hc.lab", 0.078952);
    static const double syn[3] = {0.085015, 1.078043, 2.077006};
    for (int k = 0; k < 3; k++)
        attempt(f, "198.19.0.13", (const double[]){syn[k], 0}, syn[k] + 0.000033);
    struct why_txn *unreach = asked(f, "198.18.1.4", "/haproxy/unreach", "unreach.lab", 0.108690);
    attempt(f, "198.19.0.16", (const double[]){0.108911, 0}, 0.108960);
    why_store_queue_push(&f->st, admin);
    why_store_queue_push(&f->st, unreach);
    f->cx.now = T(2.5);
    struct why_join j;
    decided(f, hc, 503, 0.085094, &j);
    assert_int_equal(j.nattempts, 0);
}

/* Kept: requests to a refusing server one after another, each refused once and answered 502
 * at once, while a request waits on something else (a SYN never answered). Each next refusal
 * follows a request that came since the last: it can be that request's first try, so the
 * first request keeps its own refusal. */
static void next_try_of_new_request_not_chain(void **state)
{
    struct fixture *f = *state;
    struct why_txn *drop = asked(f, "198.18.1.2", "/drop", "drop.lab", 0.030547);
    attempt(f, "198.19.0.11", (const double[]){0.030800, 0}, 0);
    struct why_txn *r[3];
    struct why_conn_rec *own[3];
    for (int i = 0; i < 3; i++) {
        r[i] = asked(f, "198.18.1.3", "/rst", "rst.lab", 0.0698 + i);
        own[i] = refused(f, "198.19.0.12", 0.0705 + i);
        answer(r[i], 502, 0.0707 + i);
    }
    why_store_queue_push(&f->st, drop);
    why_store_queue_push(&f->st, r[1]);
    why_store_queue_push(&f->st, r[2]);
    f->cx.now = T(2.1);
    struct why_join j;
    decided(f, r[0], 502, 0.0707, &j);
    assert_int_equal(j.nattempts, 1);
    assert_ptr_equal(j.attempts[0], own[0]);
}

/* A live run of 2 December (Varnish): `rst` came 25 ms after `two`'s refusal of 198.19.0.12
 * (Varnish holds every backend there down for 0.25 s), `unreach` 14 ms after rst; unreach's
 * SYN to 198.19.0.16 drew ICMP, and both got "Backend fetch failed" 0.4 ms later. rst, the
 * earlier, took the ICMP; in the other pairing it had no attempt, and then the refusal that
 * held its backend down is a reading of its own. */
static void varnish_swapped_none_keeps_near(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *two = refused(f, "198.19.0.12", 0.138042);
    two->claimed = true;
    struct why_txn *rst = asked(f, "198.18.1.2", "/varnish/rst", "rst.lab", 0.163377);
    struct why_txn *unreach = asked(f, "198.18.1.3", "/varnish/unreach", "unreach.lab", 0.177389);
    struct why_conn_rec *icmp = attempt(f, "198.19.0.16", (const double[]){0.181633, 0}, 0.181682);
    answer(rst, 503, 0.182050);
    answer(unreach, 503, 0.182111);
    struct why_txn *both[2] = {rst, unreach};
    for (int i = 0; i < 2; i++) {
        struct why_resp_view v;
        why_resp_view_of(both[i]->resp, &v);
        v.str[WHY_RESP_SERVER] = "Varnish";
        v.str[WHY_RESP_TITLE] = "503 Backend fetch failed";
        v.via = true;
        assert_true(why_store_txn_resp_put(&f->st, both[i], &v));
        why_store_queue_push(&f->st, both[i]);
    }
    struct why_join j;
    f->cx.deciding = rst;
    why_join_request(&f->cx, rst, &j);
    assert_int_equal(j.nattempts, 1);
    assert_ptr_equal(j.attempts[0], icmp);
    assert_int_equal(j.nalt, 2);
    assert_null(j.alt_final[0]);
    assert_int_equal(j.alt_basis[0], WHY_ALT_SWAPPED_PAIRING);
    assert_ptr_equal(j.alt_final[1], two);
    assert_int_equal(j.alt_basis[1], WHY_ALT_ATTEMPT_NEAR);
    /* the swapped reading itself still sees the refusal near; the reading with none near
     * (Varnish's own fetch with no attempt) does not */
    struct why_join a;
    why_join_alternative(&f->cx, &j, 0, &a);
    assert_int_equal(a.nattempts, 0);
    assert_ptr_equal(a.attempt_near, two);
}

/* first, answered 503 at `answered`, is decided while second (answered already) waits in the
 * queue, then second: each join ends with the attempt given. */
static void decided_in_turn(struct fixture *f, struct why_txn *first, double answered, struct why_conn_rec *first_last,
                            struct why_txn *second, struct why_conn_rec *second_last)
{
    why_store_queue_push(&f->st, second);
    f->cx.now = T(5.0);
    struct why_join j;
    decided(f, first, 503, answered, &j);
    assert_true(j.nattempts >= 1);
    assert_ptr_equal(j.attempts[j.nattempts - 1], first_last);
    first->decided = true;
    why_join_apply(&f->st, &j);
    why_store_queue_remove(&f->st, second);
    f->cx.deciding = second;
    why_join_request(&f->cx, second, &j);
    assert_true(j.nattempts >= 1);
    assert_ptr_equal(j.attempts[j.nattempts - 1], second_last);
}

/* races/run25 (HAProxy, retries 2): hostprohib and unreach came 82 us apart; their three
 * tries each (198.19.0.14 and .16, ICMP, 1 s apart) ran side by side and HAProxy answered each
 * about 1 s after its third try. A check of 198.19.0.12 on its tight 0.5 s beat was refused
 * 1.8 ms before unreach's 503: a check that keeps time is a final try only in the same turn as
 * the answer, so each request ends with its own third try. */
static void check_on_beat_not_final(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 10; i++)
        refused(f, "198.19.0.12", 0.2875 + 0.5008 * i);
    struct why_txn *hp = asked(f, "198.18.1.2", "/haproxy/hostprohib", "hostprohib.lab", 0.772661);
    struct why_txn *un = asked(f, "198.18.1.3", "/haproxy/unreach", "unreach.lab", 0.772743);
    static const double t14[3] = {0.784936, 1.784016, 2.784037}, t16[3] = {0.791035, 1.790280, 2.790002};
    struct why_conn_rec *a14[3], *a16[3];
    for (int k = 0; k < 3; k++) {
        a14[k] = attempt(f, "198.19.0.14", (const double[]){t14[k], 0}, t14[k] + 0.00005);
        a16[k] = attempt(f, "198.19.0.16", (const double[]){t16[k], 0}, t16[k] + 0.00002);
    }
    answer(un, 503, 3.794572);
    decided_in_turn(f, hp, 3.787532, a14[2], un, a16[2]);
}

/* A live run of 3 December (HAProxy, retries 2, loaded): `two` was refused by 198.19.0.12 and
 * connected to 198.19.0.10 49 us later (its balancer moving on); rst came 12 ms after, and its
 * tries of .12 followed 1 s apart, adminprohib's of 198.19.0.13 (ICMP) beside them. rst was
 * answered 0.16 ms after its third refusal, adminprohib 1 s after its third ICMP (HAProxy waits
 * out an ICMP'd SYN). two's refusal is no try of rst's chain, which begins after rst came: the
 * refusals are rst's own, the ICMPs adminprohib's. */
static void failover_try_not_chain_start(void **state)
{
    struct fixture *f = *state;
    struct why_txn *ap = asked(f, "198.18.1.3", "/haproxy/adminprohib", "adminprohib.lab", 8.729489);
    refused(f, "198.19.0.12", 8.729658);
    struct why_conn_rec *moved = carrier(f, "198.19.0.10", "/haproxy/two", "two.lab", 8.729729, 8.729795);
    moved->carried = true;
    struct why_txn *rst = asked(f, "198.18.1.2", "/haproxy/rst", "rst.lab", 8.741237);
    static const double t13[3] = {8.755034, 9.753366, 10.753760}, t12[3] = {8.755299, 9.754430, 10.753835};
    struct why_conn_rec *a13[3], *a12[3];
    for (int k = 0; k < 3; k++) {
        a13[k] = attempt(f, "198.19.0.13", (const double[]){t13[k], 0}, t13[k] + 0.00003);
        a12[k] = refused(f, "198.19.0.12", t12[k]);
    }
    answer(ap, 503, 11.752229);
    decided_in_turn(f, rst, 10.754091, a12[2], ap, a13[2]);
}

/* races/run29 (HAProxy, retries 2): unreach's three tries of 198.19.0.16 drew ICMP, 1 s
 * apart; the third reused the second's port and the kernel sent its SYN again 3.7 ms before
 * the 503 (ICMP 0.4 ms before it). A check of 198.19.0.12 on its 0.5 s beat was refused 0.1
 * ms before the 503, while adminprohib waited beside with its own tries of 198.19.0.13. The
 * gateway had not given up on the third try when the check was refused: that try is
 * unreach's last, not the check. */
static void check_in_turn_not_final_while_dialling(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 10; i++)
        refused(f, "198.19.0.12", 0.398566 + 0.5 * i);
    struct why_txn *un = asked(f, "198.18.1.2", "/haproxy/unreach", "unreach.lab", 0.332376);
    struct why_txn *ap = asked(f, "198.18.1.3", "/haproxy/adminprohib", "adminprohib.lab", 0.338000);
    static const double t16[2] = {0.374054, 1.373772}, t13[3] = {0.385148, 1.384000, 2.385148};
    struct why_conn_rec *a16[3], *a13[3];
    for (int k = 0; k < 2; k++)
        a16[k] = attempt(f, "198.19.0.16", (const double[]){t16[k], 0}, t16[k] + 0.00002);
    a16[2] = attempt(f, "198.19.0.16", (const double[]){2.383080, 3.395054, 0}, 2.383096);
    f->more[a16[2]->c->id - 1].icmp_last_ts = T(3.398368);
    for (int k = 0; k < 3; k++)
        a13[k] = attempt(f, "198.19.0.13", (const double[]){t13[k], 0}, t13[k] + 0.00003);
    answer(ap, 503, 3.406130);
    decided_in_turn(f, un, 3.398784, a16[2], ap, a13[2]);
}

/* t answered 503 with Varnish's own "Backend fetch failed" page. */
static void varnish_fetch_failed(struct fixture *f, struct why_txn *t, double at)
{
    answer(t, 503, at);
    struct why_resp_view v;
    why_resp_view_of(t->resp, &v);
    v.str[WHY_RESP_SERVER] = "Varnish";
    v.str[WHY_RESP_TITLE] = "503 Backend fetch failed";
    v.via = true;
    assert_true(why_store_txn_resp_put(&f->st, t, &v));
}

/* A live run of 3 December (Varnish, loaded): its probe of 198.19.0.17 (every 0.5 s) left 29 us
 * before hc's request reached it and was refused just after; hc, its backends sick, was
 * answered 2.9 ms later with no dial. A SYN before the request is the request's only within the
 * capture's reordering, and not when it is a check on its schedule. A lone refusal as early is
 * still the request's. */
static void check_sent_before_request_not_its_own(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 8; i++)
        refused(f, "198.19.0.17", 1.000515 + 0.5 * i);
    struct why_txn *hc = asked(f, "198.18.1.2", "/varnish/hc", "hc.lab", 4.500544);
    varnish_fetch_failed(f, hc, 4.50349);
    struct why_join j;
    f->cx.deciding = hc;
    why_join_request(&f->cx, hc, &j);
    assert_int_equal(j.nattempts, 0);
    struct why_txn *other = asked(f, "198.18.1.3", "/varnish/rst", "rst.lab", 6.000544);
    struct why_conn_rec *own = refused(f, "198.19.0.12", 6.000515);
    varnish_fetch_failed(f, other, 6.00349);
    f->cx.deciding = other;
    why_join_request(&f->cx, other, &j);
    assert_int_equal(j.nattempts, 1);
    assert_ptr_equal(j.attempts[0], own);
}

/* A live run of 3 December (Varnish, a burst): rst, hostprohib and adminprohib came within
 * 18 ms; Varnish dialled 198.19.0.12 (refused), .14 and .13 (ICMP) within 1 ms and answered
 * hostprohib 0.16 ms after .14's ICMP, adminprohib and rst 1.7 and 3 ms after .13's. The
 * cheapest pairing gives rst .13, hostprohib .12 and adminprohib .14; in rst's other pairing
 * (each its own) hostprohib has .14. rst is decided first; hostprohib's own match, with .13
 * taken, has no pairing that leaves adminprohib an attempt (.12 began before it came), so the
 * reading comes from rst's match: marked on .14 when rst's join is applied. */
static void pairing_of_three_read_by_each(void **state)
{
    struct fixture *f = *state;
    struct why_txn *rst = asked(f, "198.18.1.2", "/varnish/rst", "rst.lab", 0.550488);
    struct why_txn *hp = asked(f, "198.18.1.3", "/varnish/hostprohib", "hostprohib.lab", 0.558156);
    struct why_txn *ap = asked(f, "198.18.1.4", "/varnish/adminprohib", "adminprohib.lab", 0.568721);
    struct why_conn_rec *r12 = refused(f, "198.19.0.12", 0.568426);
    struct why_conn_rec *i14 = attempt(f, "198.19.0.14", (const double[]){0.569056, 0}, 0.569075);
    struct why_conn_rec *i13 = attempt(f, "198.19.0.13", (const double[]){0.569387, 0}, 0.569397);
    varnish_fetch_failed(f, hp, 0.569236);
    varnish_fetch_failed(f, ap, 0.571111);
    varnish_fetch_failed(f, rst, 0.572397);
    why_store_queue_push(&f->st, hp);
    why_store_queue_push(&f->st, ap);
    f->cx.now = T(5.0);
    struct why_join j;
    f->cx.deciding = rst;
    why_join_request(&f->cx, rst, &j);
    assert_int_equal(j.nattempts, 1);
    assert_ptr_equal(j.attempts[0], i13);
    rst->decided = true;
    why_join_apply(&f->st, &j);
    why_store_queue_remove(&f->st, hp);
    f->cx.deciding = hp;
    why_join_request(&f->cx, hp, &j);
    assert_int_equal(j.nattempts, 1);
    assert_ptr_equal(j.attempts[0], r12);
    uint32_t k = 0;
    while (k < j.nalt && j.alt_final[k] != i14)
        k++;
    assert_true(k < j.nalt);
    assert_int_equal(j.alt_basis[k], WHY_ALT_SWAPPED_PAIRING);
    assert_int_equal(j.alt_with_frame[k], rst->req_frame);
}

/* rst's dial of 198.19.0.12 refused, 96 us later Varnish's dial of 198.19.0.22 for close,
 * whose request went out on it, rst answered 0.28 ms after its refusal; with admin_waits, an
 * earlier fetch (adminprohib) waits beside it, not answered yet, no upstream request of its
 * own. The refusal is rst's either way. */
static void rst_refused_before_close(struct fixture *f, bool admin_waits)
{
    struct why_txn *admin =
        admin_waits ? asked(f, "198.18.1.4", "/varnish/adminprohib", "adminprohib.lab", 0.055000) : NULL;
    struct why_txn *rst = asked(f, "198.18.1.2", "/varnish/rst", "rst.lab", 0.060598);
    struct why_txn *close = asked(f, "198.18.1.3", "/varnish/close", "close.lab", 0.060717);
    struct why_conn_rec *own = refused(f, "198.19.0.12", 0.084947);
    carrier(f, "198.19.0.22", "/varnish/close", "close.lab", 0.085043, 0.085150);
    varnish_fetch_failed(f, rst, 0.085231);
    if (admin)
        why_store_queue_push(&f->st, admin);
    why_store_queue_push(&f->st, close);
    struct why_join j;
    f->cx.deciding = rst;
    why_join_request(&f->cx, rst, &j);
    assert_int_equal(j.nattempts, 1);
    assert_ptr_equal(j.attempts[0], own);
}

/* A live run of 2 December (Varnish): `rst`'s dial of 198.19.0.12 was refused, and 96 us later
 * Varnish dialled 198.19.0.22 for `close`, whose request went out on it. A balancer that moves
 * on after a refusal makes such a refusal the other request's first try; Varnish dials one
 * backend per fetch and never moves on, so the refusal stays rst's. */
static void varnish_refusal_not_failover(void **state)
{
    rst_refused_before_close(*state, false);
}

/* The same refusal while another fetch that failed at Varnish waits beside rst (adminprohib,
 * not answered yet, no upstream request of its own). The walk does not give rst the refusal
 * by Varnish's habit alone (which failed dial was whose is not its habit to say), but the
 * match of final attempts does: rst was answered 0.28 ms after it, adminprohib not yet, and
 * a fetch's dial is never another request's first try. The answer's time says whose it was. */
static void varnish_refusal_beside_other_fetch(void **state)
{
    rst_refused_before_close(*state, true);
}

/* races/run24 (Varnish, loaded): adminprohib and unreach came 4.4 ms apart; Varnish's dial of
 * 198.19.0.13 drew ICMP, 5.5 ms later its dial of 198.19.0.16 drew ICMP, and 1.6 ms after
 * that it connected to 198.19.0.29 for another client's request (ka-get). unreach was
 * answered 0.2 ms after the second ICMP, adminprohib 6.5 ms after it. Read as a balancer's,
 * the second dial was ka-get's first try and unreach took the first ICMP with no other
 * reading. Varnish does not move on: both dials are fetches', paired with the two answers
 * (in order of time, the other pairing fitting as well: each request's join names the
 * other dial as its other reading). */
static bool names_attempt(const struct why_join *j, const struct why_conn_rec *rc)
{
    if (j->nattempts && j->attempts[j->nattempts - 1] == rc)
        return true;
    for (uint32_t i = 0; i < j->nalt; i++)
        if (j->alt_final[i] == rc)
            return true;
    return false;
}

static void varnish_dial_before_other_connection_paired(void **state)
{
    struct fixture *f = *state;
    struct why_txn *admin = asked(f, "198.18.1.4", "/varnish/adminprohib", "adminprohib.lab", 0.382243);
    struct why_txn *un = asked(f, "198.18.1.2", "/varnish/unreach", "unreach.lab", 0.386666);
    struct why_txn *ka = asked(f, "198.18.1.3", "/varnish/ka-get/1", "ka.lab", 0.387000);
    struct why_conn_rec *a13 = attempt(f, "198.19.0.13", (const double[]){0.389862, 0}, 0.389901);
    struct why_conn_rec *a16 = attempt(f, "198.19.0.16", (const double[]){0.395365, 0}, 0.395397);
    carrier(f, "198.19.0.29", "/varnish/ka-get/1", "ka.lab", 0.397043, 0.397300);
    varnish_fetch_failed(f, un, 0.395647);
    varnish_fetch_failed(f, admin, 0.401899);
    why_store_queue_push(&f->st, admin);
    why_store_queue_push(&f->st, ka);
    struct why_join j;
    f->cx.deciding = un;
    why_join_request(&f->cx, un, &j);
    assert_int_equal(j.nattempts, 1);
    assert_true(names_attempt(&j, a13));
    assert_true(names_attempt(&j, a16));
}

/* t's join as its decision makes it, which must name one attempt: that attempt. */
static const struct why_conn_rec *only_attempt(struct fixture *f, struct why_txn *t)
{
    struct why_join j;
    f->cx.deciding = t;
    why_join_request(&f->cx, t, &j);
    assert_int_equal(j.nattempts, 1);
    return j.attempts[0];
}

/* A live run of 3 December (Apache, races/run33): `he` refused on [fd00:19::12], its
 * connection to 198.19.0.10 from the gateway's IPv4 address 28 us later (he.lab's A and AAAA);
 * `maint`, answered by Apache itself 0.3 ms after the refusal, took it. Falling back to the
 * name's other family at once is he's (decided already, its upstream request joined), not
 * maint's: maint has no attempt. Without the lookups that gave both addresses, nothing ties
 * the two, and the refusal is maint's. The same once he's transactions are trimmed (the
 * pruning after its decision): the connection carried a request, and the lookups still give
 * both addresses for one name. */
static void family_fallback_of_other_request(void **state)
{
    struct fixture *f = *state;
    char err[128];
    assert_int_equal(why_gw_parse(&f->gw, "198.18.1.1,198.19.0.1,fd00:19::1", err, sizeof err), 0);
    struct why_txn *he = asked(f, "198.18.1.3", "/apache/he", "he.lab", 0.8705);
    struct why_txn *maint = asked(f, "198.18.1.2", "/apache/maint", "maint.lab", 0.873259);
    struct why_conn_rec *v6 = conn(f, "fd00:19::1", "fd00:19::12", 80, 0.880789, false);
    wend(&v6->c->half[WHY_S2C])->rst_frame = v6->c->first_frame + 1;
    wend(&v6->c->half[WHY_S2C])->rst_ts = T(0.880803);
    /* he's upstream request, joined to it when he was decided */
    struct why_conn_rec *n = carrier(f, "198.19.0.10", "/apache/he", "he.lab", 0.880831, 0.880885);
    n->txn_head->claimed_by = he;
    answer(maint, 503, 0.881138);
    why_store_queue_push(&f->st, maint);
    assert_ptr_equal(only_attempt(f, maint), v6);
    lookup_at(f, "he.lab", WHY_DNS_A, "198.19.0.10", 0.870699, 0.870745);
    lookup_at(f, "he.lab", WHY_DNS_AAAA, "fd00:19::12", 0.870709, 0.870755);
    struct why_join j;
    why_join_request(&f->cx, maint, &j);
    assert_int_equal(j.nattempts, 0);
    n->carried = true; /* (as the claim sets it) */
    why_store_trim_txns(&f->st, n, T(0.9), true);
    assert_null(n->txn_head);
    why_join_request(&f->cx, maint, &j);
    assert_int_equal(j.nattempts, 0);
}

/* Live lab, 3 December (Varnish): unreach dialled 198.19.0.16, ICMP at once; adminprohib came
 * 0.23 ms later and its dial of 198.19.0.13 0.41 ms after that ICMP drew ICMP too; both were
 * answered within 32 us. Read as a balancer moving on from .16 to .13, the chain ending at .13
 * began before adminprohib came, which left .13 to unreach. A Varnish dial is a chain of one:
 * each request takes its own. */
static void varnish_dial_after_other_icmp_own(void **state)
{
    struct fixture *f = *state;
    struct why_txn *un = asked(f, "198.18.1.2", "/varnish/unreach", "unreach.lab", 0.650153);
    struct why_conn_rec *a16 = attempt(f, "198.19.0.16", (const double[]){0.651387, 0}, 0.651420);
    struct why_txn *admin = asked(f, "198.18.1.4", "/varnish/adminprohib", "adminprohib.lab", 0.651652);
    struct why_conn_rec *a13 = attempt(f, "198.19.0.13", (const double[]){0.651833, 0}, 0.651845);
    struct why_txn *both[] = {admin, un};
    const double answered[] = {0.651896, 0.651928};
    for (int i = 0; i < 2; i++) {
        varnish_fetch_failed(f, both[i], answered[i]);
        why_store_queue_push(&f->st, both[i]);
    }
    assert_ptr_equal(only_attempt(f, un), a16);
    assert_ptr_equal(only_attempt(f, admin), a13);
}

/* races/run28 (Varnish, loaded): rst's dial of 198.19.0.12 came 158 ms after its request and
 * was refused 31 ms before its answer; 15 ms before that a probe of 198.19.0.17 (every 0.5 s)
 * was refused; 0.47 s later `two` dialled 198.19.0.12 and was refused. Read as a retry of the
 * first dial, the second made the first no final attempt: rst took the probe, and its own
 * refusal was reported as an unjoined failure. Varnish does not retry a dial: each is a fetch's. */
static void varnish_dial_not_chained_to_next(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 9; i++)
        refused(f, "198.19.0.17", 0.205500 + 0.5 * i);
    struct why_txn *rst = asked(f, "198.18.1.2", "/varnish/rst", "rst.lab", 1.061738);
    struct why_conn_rec *own = refused(f, "198.19.0.12", 1.220095);
    varnish_fetch_failed(f, rst, 1.251149);
    struct why_txn *two = asked(f, "198.18.1.3", "/varnish/two", "two.lab", 1.692319);
    refused(f, "198.19.0.12", 1.692551);
    varnish_fetch_failed(f, two, 1.692689);
    why_store_queue_push(&f->st, two);
    struct why_join j;
    f->cx.deciding = rst;
    why_join_request(&f->cx, rst, &j);
    assert_int_equal(j.nattempts, 1);
    assert_ptr_equal(j.attempts[0], own);
}

/* races/run29: HAProxy's third try of 198.19.0.16 reused its second's source port; that SYN
 * drew ICMP 3.3 ms later, 0.4 ms before the 503. The attempt ended with its last ICMP, not
 * its first. */
static void attempt_ends_at_last_icmp(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *rc = attempt(f, "198.19.0.16", (const double[]){2.780218, 3.792192, 0}, 2.780234);
    assert_int_equal(why_ts_cmp(why_join_attempt_end(rc), T(3.792192)), 0);
    f->more[rc->c->id - 1].icmp_last_ts = T(3.795506);
    assert_int_equal(why_ts_cmp(why_join_attempt_end(rc), T(3.795506)), 0);
}

/* races/run19 (Varnish on a loaded machine): `rst` and `unreach` came 10 ms apart; 0.1 s later
 * Varnish's dial of 198.19.0.12 was refused and its dial of 198.19.0.16, 0.26 ms after, drew
 * ICMP; each got "Backend fetch failed" 75-82 ms later. Varnish dials once per fetch: the
 * second dial is not the next try of the first's request. */
static void varnish_fetch_dials_once(void **state)
{
    struct fixture *f = *state;
    struct why_txn *rst = asked(f, "198.18.1.2", "/varnish/rst", "rst.lab", 0.753305);
    struct why_txn *unreach = asked(f, "198.18.1.3", "/varnish/unreach", "unreach.lab", 0.763731);
    struct why_conn_rec *rf = refused(f, "198.19.0.12", 0.855525);
    struct why_conn_rec *icmp = attempt(f, "198.19.0.16", (const double[]){0.855787, 0}, 0.855796);
    varnish_fetch_failed(f, unreach, 0.930379);
    varnish_fetch_failed(f, rst, 0.937272);
    why_store_queue_push(&f->st, unreach);
    struct why_join j;
    f->cx.deciding = rst;
    why_join_request(&f->cx, rst, &j);
    assert_int_equal(j.nattempts, 1);
    assert_true(j.attempts[0] == rf || j.attempts[0] == icmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(forward_proxy_join, setup, teardown),
        cmocka_unit_test_setup_teardown(addr_names_kept_up_to_date, setup, teardown),
        cmocka_unit_test_setup_teardown(refused_address_not_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(tries_found_among_many_in_window, setup, teardown),
        cmocka_unit_test_setup_teardown(tries_told_from_slots_by_first_syn, setup, teardown),
        cmocka_unit_test_setup_teardown(tries_found_past_a_record_begun_earlier, setup, teardown),
        cmocka_unit_test_setup_teardown(refused_by_stops_at_its_time, setup, teardown),
        cmocka_unit_test_setup_teardown(lookup_found_past_many_of_its_name, setup, teardown),
        cmocka_unit_test_setup_teardown(unjoined_dns_groups_and_resolved, setup, teardown),
        cmocka_unit_test_setup_teardown(unjoined_attempts_grouped, setup, teardown),
        cmocka_unit_test_setup_teardown(unjoined_attempts_roles_current, setup, teardown),
        cmocka_unit_test_setup_teardown(failover_goes_with_its_request, setup, teardown),
        cmocka_unit_test_setup_teardown(attempt_reserved_for_waiting_lookup, setup, teardown),
        cmocka_unit_test_setup_teardown(unnamed_failure_waits_for_named, setup, teardown),
        cmocka_unit_test_setup_teardown(refused_try_does_not_defer, setup, teardown),
        cmocka_unit_test_setup_teardown(defer_reads_earliest_try_of_each_name, setup, teardown),
        cmocka_unit_test_setup_teardown(timer_chain_first_try_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(timer_chain_first_try_nearest_either_side, setup, teardown),
        cmocka_unit_test_setup_teardown(timer_chain_first_timer_late, setup, teardown),
        cmocka_unit_test_setup_teardown(looked_up_tries_all_others_failed, setup, teardown),
        cmocka_unit_test_setup_teardown(timer_chain_past_taken_try, setup, teardown),
        cmocka_unit_test_setup_teardown(timer_chain_leaves_first_try_of_other, setup, teardown),
        cmocka_unit_test_setup_teardown(dial_of_other_not_next_try, setup, teardown),
        cmocka_unit_test_setup_teardown(dial_of_other_not_timer_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(dial_of_other_after_own, setup, teardown),
        cmocka_unit_test_setup_teardown(timer_after_lookup_not_blind, setup, teardown),
        cmocka_unit_test_setup_teardown(unjoined_next_address, setup, teardown),
        cmocka_unit_test_setup_teardown(renegotiation_stall_keeps_its_host, setup, teardown),
        cmocka_unit_test_setup_teardown(parallel_failures_matched_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(final_attempts_matched_for_all, setup, teardown),
        cmocka_unit_test_setup_teardown(retry_not_failover_of_later_request, setup, teardown),
        cmocka_unit_test_setup_teardown(later_request_dial_no_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(haproxy_fixed_time_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(timed_out_chain_not_blind, setup, teardown),
        cmocka_unit_test_setup_teardown(oldest_records_follow_pruning, setup, teardown),
        cmocka_unit_test_setup_teardown(attempt_named_for_waiting_request, setup, teardown),
        cmocka_unit_test_setup_teardown(upstream_retried_or_lost, setup, teardown),
        cmocka_unit_test_setup_teardown(tls_spare_twin, setup, teardown),
        cmocka_unit_test_setup_teardown(spanned_after_client_trimmed, setup, teardown),
        cmocka_unit_test_setup_teardown(goaway_before_request_found, setup, teardown),
        cmocka_unit_test_setup_teardown(goaway_before_host_after_trim, setup, teardown),
        cmocka_unit_test_setup_teardown(checks_and_attempts_near, setup, teardown),
        cmocka_unit_test_setup_teardown(many_refused_before_request, setup, teardown),
        cmocka_unit_test_setup_teardown(carried_connection_not_near, setup, teardown),
        cmocka_unit_test_setup_teardown(varnish_synth_has_no_attempt, setup, teardown),
        cmocka_unit_test_setup_teardown(silent_attempt_not_chained_across_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(check_after_own_attempt, setup, teardown),
        cmocka_unit_test_setup_teardown(attempts_one_after_another, setup, teardown),
        cmocka_unit_test_setup_teardown(drifting_checks_scheduled, setup, teardown),
        cmocka_unit_test_setup_teardown(check_round_read_as_check, setup, teardown),
        cmocka_unit_test_setup_teardown(checks_kept_are_the_latest, setup, teardown),
        cmocka_unit_test_setup_teardown(checks_of_a_sweep_read_once, setup, teardown),
        cmocka_unit_test_setup_teardown(attempt_on_check_beat_read_both_ways, setup, teardown),
        cmocka_unit_test_setup_teardown(pairing_of_three_read_by_each, setup, teardown),
        cmocka_unit_test_setup_teardown(check_sent_before_request_not_its_own, setup, teardown),
        cmocka_unit_test_setup_teardown(failover_try_not_chain_start, setup, teardown),
        cmocka_unit_test_setup_teardown(retries_between_checks_not_scheduled, setup, teardown),
        cmocka_unit_test_setup_teardown(family_fallback_of_other_request, setup, teardown),
        cmocka_unit_test_setup_teardown(attempt_found_past_newer_records, setup, teardown),
        cmocka_unit_test_setup_teardown(scheduled_asked_again_when_a_record_comes, setup, teardown),
        cmocka_unit_test_setup_teardown(scheduled_asked_again_when_a_record_goes, setup, teardown),
        cmocka_unit_test_setup_teardown(scheduled_asked_again_after_a_first_syn, setup, teardown),
        cmocka_unit_test_setup_teardown(schedule_same_from_sorted_times, setup, teardown),
        cmocka_unit_test_setup_teardown(schedule_kept_as_records_come_and_go, setup, teardown),
        cmocka_unit_test_setup_teardown(cached_address_attempt_joined, setup, teardown),
        cmocka_unit_test_setup_teardown(cached_address_latest_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(address_of_other_name, setup, teardown),
        cmocka_unit_test_setup_teardown(prefixed_upstream_joined, setup, teardown),
        cmocka_unit_test_setup_teardown(background_lookups_that_resolved, setup, teardown),
        cmocka_unit_test_setup_teardown(resolved_and_never_connected, setup, teardown),
        cmocka_unit_test_setup_teardown(replaced_query_not_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(background_rounds_claimed_or_pruned, setup, teardown),
        cmocka_unit_test_setup_teardown(background_rounds_pruned, setup, teardown),
        cmocka_unit_test_setup_teardown(first_round_asked_by_none, setup, teardown),
        cmocka_unit_test_setup_teardown(one_round_before_and_rounds_after, setup, teardown),
        cmocka_unit_test_setup_teardown(retries_between_checks_not_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(half_period_neighbours_keep_time, setup, teardown),
        cmocka_unit_test_setup_teardown(check_while_name_failed, setup, teardown),
        cmocka_unit_test_setup_teardown(attempt_while_name_failed_other_reading, setup, teardown),
        cmocka_unit_test_setup_teardown(query_unheard_at_answer_not_own, setup, teardown),
        cmocka_unit_test_setup_teardown(check_while_name_never_resolved, setup, teardown),
        cmocka_unit_test_setup_teardown(lookup_after_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(lookup_after_answer_long_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(repeat_found_among_many_like_it, setup, teardown),
        cmocka_unit_test_setup_teardown(lost_among_lost_reads_none, setup, teardown),
        cmocka_unit_test_setup_teardown(settled_claims_after, setup, teardown),
        cmocka_unit_test_setup_teardown(other_name_failing_read_from_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(checks_and_other_name_both_readings, setup, teardown),
        cmocka_unit_test_setup_teardown(other_name_resolved_by_request_not_failing, setup, teardown),
        cmocka_unit_test_setup_teardown(other_name_resolved_beyond_walk, setup, teardown),
        cmocka_unit_test_setup_teardown(lookup_after_answer_claimed, setup, teardown),
        cmocka_unit_test_setup_teardown(checks_of_other_name, setup, teardown),
        cmocka_unit_test_setup_teardown(tries_awaited_are_no_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(claimed_lookup_not_background, setup, teardown),
        cmocka_unit_test_setup_teardown(answer_before_outcome_not_final, setup, teardown),
        cmocka_unit_test_setup_teardown(attempt_without_outcome_judged, setup, teardown),
        cmocka_unit_test_setup_teardown(silent_syn_beside_carrier_not_tried, setup, teardown),
        cmocka_unit_test_setup_teardown(tries_before_carrier_linked, setup, teardown),
        cmocka_unit_test_setup_teardown(varnish_fetch_one_backend, setup, teardown),
        cmocka_unit_test_setup_teardown(failover_to_carried_not_chained, setup, teardown),
        cmocka_unit_test_setup_teardown(swapped_pairing_is_other_reading, setup, teardown),
        cmocka_unit_test_setup_teardown(reading_from_kept_match, setup, teardown),
        cmocka_unit_test_setup_teardown(varnish_attempt_near_two_readings, setup, teardown),
        cmocka_unit_test_setup_teardown(caddy_503_has_no_attempt, setup, teardown),
        cmocka_unit_test_setup_teardown(try_taken_by_carried_request_is_other_reading, setup, teardown),
        cmocka_unit_test_setup_teardown(unheard_attempt_not_why_answered, setup, teardown),
        cmocka_unit_test_setup_teardown(unheard_attempt_not_matched, setup, teardown),
        cmocka_unit_test_setup_teardown(check_before_carrier_not_attempt, setup, teardown),
        cmocka_unit_test_setup_teardown(request_path_remembered, setup, teardown),
        cmocka_unit_test_setup_teardown(carrier_of_other_not_near, setup, teardown),
        cmocka_unit_test_setup_teardown(checks_gone_still_scheduled, setup, teardown),
        cmocka_unit_test_setup_teardown(request_retry_covered, setup, teardown),
        cmocka_unit_test_setup_teardown(unjoined_chain_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(next_server_took_over, setup, teardown),
        cmocka_unit_test_setup_teardown(chain_past_answer_is_others, setup, teardown),
        cmocka_unit_test_setup_teardown(refused_chain_past_answer_is_others, setup, teardown),
        cmocka_unit_test_setup_teardown(next_try_of_new_request_not_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(chain_past_newcomers_dialled_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(varnish_refusal_not_failover, setup, teardown),
        cmocka_unit_test_setup_teardown(varnish_fetch_dials_once, setup, teardown),
        cmocka_unit_test_setup_teardown(varnish_refusal_beside_other_fetch, setup, teardown),
        cmocka_unit_test_setup_teardown(varnish_dial_before_other_connection_paired, setup, teardown),
        cmocka_unit_test_setup_teardown(varnish_dial_not_chained_to_next, setup, teardown),
        cmocka_unit_test_setup_teardown(varnish_dial_after_other_icmp_own, setup, teardown),
        cmocka_unit_test_setup_teardown(attempt_ends_at_last_icmp, setup, teardown),
        cmocka_unit_test_setup_teardown(check_on_beat_not_final, setup, teardown),
        cmocka_unit_test_setup_teardown(check_in_turn_not_final_while_dialling, setup, teardown),
        cmocka_unit_test_setup_teardown(varnish_swapped_none_keeps_near, setup, teardown),
        cmocka_unit_test_setup_teardown(unnamed_leaves_timer_chain_of_named, setup, teardown),
        cmocka_unit_test_setup_teardown(upstream_of_same_host_request_not_taken, setup, teardown),
        cmocka_unit_test_setup_teardown(upstream_without_host_not_taken, setup, teardown),
        cmocka_unit_test_setup_teardown(relay_cut_joins_its_try, setup, teardown),
        cmocka_unit_test_setup_teardown(relay_cut_not_at_a_terminator, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
