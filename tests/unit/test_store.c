/* The record store on hand-made records: the request index (method + path, + host) compares
 * strings, not only hashes; a claim takes a request out of it for good; DNS records are
 * found by query key, by name and by answered address, retransmissions and ICMP errors find
 * the latest record, addresses past the 4 kept are counted; pruning shows each record to
 * its hook before freeing it and frees everything at the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/store.h"

static struct why_ts T(double s)
{
    struct why_ts t = {1700000000 + (int64_t)s, (uint32_t)((s - (double)(int64_t)s) * 1e9), 0};
    return t;
}

static struct why_addr A(const char *s)
{
    struct why_addr a;
    assert_int_equal(why_addr_parse(s, &a), 0);
    return a;
}

struct fixture {
    struct why_summary sum;
    struct why_gateways gw;
    struct why_store st;
    struct why_conn conns[4];
    int pruned_conns, pruned_dns, released;
};

static void on_release(void *ctx, struct why_conn_rec *rc)
{
    (void)rc;
    ((struct fixture *)ctx)->released++;
}
static void on_prune_conn(void *ctx, struct why_conn_rec *rc)
{
    (void)rc;
    ((struct fixture *)ctx)->pruned_conns++;
}
static void on_prune_dns(void *ctx, struct why_dns_rec *d)
{
    (void)d;
    ((struct fixture *)ctx)->pruned_dns++;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct why_store_hooks h = {f, on_release, on_prune_conn, on_prune_dns};
    assert_int_equal(why_store_init(&f->st, &f->sum, &f->gw, 2000000, &h), 0);
    for (int i = 0; i < 4; i++) {
        f->conns[i].cli_addr = A("198.19.0.1");
        f->conns[i].srv_addr = A(i < 2 ? "198.19.0.10" : "198.19.0.11");
        f->conns[i].cli_port = (uint16_t)(50000 + i);
        f->conns[i].srv_port = 80;
        f->conns[i].first_ts = T(1);
        f->conns[i].more = &why_conn_more_none;
        why_conn_set_ends(&f->conns[i], &why_conn_end_none);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    why_store_fini(&f->st);
    free(f);
    return 0;
}

static struct why_txn *request(struct fixture *f, struct why_conn_rec *rc, const char *method,
                               const char *target, const char *host)
{
    struct why_txn *t = why_store_txn_new(&f->st, rc);
    assert_non_null(t);
    strcpy(t->method, method);
    t->target = strdup(target);
    t->target_len = (uint32_t)strlen(target);
    why_store_txn_names(&f->st, t, host, "");
    why_store_txn_index(&f->st, t);
    return t;
}

static int count(const struct why_store *st, const struct why_txn *like, bool by_host)
{
    int n = 0;
    for (struct why_txn *t = why_store_requests(st, like, by_host); t;
         t = why_store_requests_next(by_host ? t->hnext : t->inext, like, by_host))
        n++;
    return n;
}

static void request_index(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *a = why_store_conn_new(&f->st, &f->conns[0]);
    struct why_conn_rec *b = why_store_conn_new(&f->st, &f->conns[1]);
    /* a forward proxy's client asks absolute-form; its upstream request is origin-form */
    struct why_txn *client = request(f, a, "GET", "http://shop.lab/cart?id=1", "");
    struct why_txn *up = request(f, b, "GET", "/cart?id=1", "shop.lab");
    struct why_txn *other_host = request(f, b, "GET", "/cart?id=1", "blog.lab");
    request(f, b, "POST", "/cart?id=1", "shop.lab");
    request(f, b, "GET", "/cart?id=2", "shop.lab");
    assert_int_equal(count(&f->st, client, true), 2);   /* the client's own and `up` */
    assert_int_equal(count(&f->st, client, false), 3);  /* and the other host's */
    (void)other_host;
    /* a claim takes the request out for good */
    why_store_claim_txn(&f->st, up, client);
    assert_ptr_equal(up->claimed_by, client);
    assert_int_equal(count(&f->st, client, true), 1);
    why_store_txn_unindex(&f->st, client);
    assert_int_equal(count(&f->st, client, true), 0);
    why_store_txn_unindex(&f->st, client); /* idempotent */
    /* the path is compared by its bytes and length, not up to the target's end */
    struct why_txn *root = request(f, a, "GET", "http://shop.lab/", "");
    request(f, b, "GET", "/", "shop.lab");
    request(f, b, "GET", "http://shop.lab", "");
    assert_int_equal(count(&f->st, root, true), 3);
}

static void connections_by_server(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 4; i++)
        assert_non_null(why_store_conn_new(&f->st, &f->conns[i]));
    struct why_addr srv = A("198.19.0.10");
    int n = 0;
    for (struct why_conn_rec *rc = why_store_conns_to(&f->st, &srv); rc; rc = why_store_conns_next(rc))
        n += why_addr_eq(&rc->c->srv_addr, &srv);
    assert_int_equal(n, 2);
    assert_int_equal(f->st.nrecs, 4);
}

/* Servers whose addresses differ only in the last byte (one /24) do not share a list of the
 * server-address index: the walk for one of them meets its own records, not the subnet's. */
static void servers_of_a_subnet_apart(void **state)
{
    struct fixture *f = *state;
    static struct why_conn cs[254];
    char buf[32];
    for (int i = 0; i < 254; i++) {
        cs[i] = f->conns[0];
        snprintf(buf, sizeof buf, "198.19.7.%d", i + 1);
        cs[i].srv_addr = A(buf);
        assert_non_null(why_store_conn_new(&f->st, &cs[i]));
    }
    int longest = 0;
    for (int i = 0; i < 254; i++) {
        int n = 0;
        for (struct why_conn_rec *rc = why_store_conns_to(&f->st, &cs[i].srv_addr); rc; rc = why_store_conns_next(rc))
            n++;
        longest = n > longest ? n : longest;
    }
    assert_true(longest <= 4); /* 254 in one list before the bucket's bits were mixed */
}

/* What is remembered of a path past its records: the latest WHY_PATH_CHECKS checks' times, the
 * latest WHY_PATH_WAITS waits of requests that took it; a path only checked is no request's. */
static void path_memory_keeps_latest(void **state)
{
    struct fixture *f = *state;
    struct why_conn c = f->conns[0];
    struct why_ts got[WHY_PATH_CHECKS + 2];
    for (int i = 0; i < WHY_PATH_CHECKS + 2; i++) {
        c.first_ts = T(1.0 + i);
        why_store_note_check(&f->st, &c);
    }
    why_store_note_check(&f->st, &c); /* the same check again */
    uint32_t n = why_store_checks_gone(&f->st, &c, got, WHY_PATH_CHECKS + 2);
    assert_int_equal(n, WHY_PATH_CHECKS);
    for (uint32_t i = 0; i < n; i++)
        assert_true(why_ts_cmp(got[i], T(3.0)) >= 0); /* the two oldest gave way */
    assert_false(why_store_req_path_seen(&f->st, &c));
    for (int i = 0; i < WHY_PATH_WAITS + 1; i++)
        why_store_note_req_path(&f->st, &c, T(20.0 + i), T(20.5 + i));
    assert_true(why_store_req_path_seen(&f->st, &c));
    assert_false(why_store_req_path_waited(&f->st, &c, T(20.2), 0)); /* the oldest gave way */
    assert_true(why_store_req_path_waited(&f->st, &c, T(20.0 + WHY_PATH_WAITS + 0.2), 0));
    assert_false(why_store_req_path_waited(&f->st, &c, T(20.0 + WHY_PATH_WAITS + 0.7), 0));
    struct why_conn other = c;
    other.srv_port++;
    assert_false(why_store_req_path_waited(&f->st, &other, T(20.0 + WHY_PATH_WAITS + 0.2), 0));
    assert_int_equal(why_store_checks_gone(&f->st, &other, got, WHY_PATH_CHECKS), 0);
}

static void transactions_capped(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *rc = why_store_conn_new(&f->st, &f->conns[0]);
    for (int i = 0; i < WHY_TXN_PER_CONN_MAX; i++)
        assert_non_null(why_store_txn_new(&f->st, rc));
    assert_null(why_store_txn_new(&f->st, rc));
    assert_int_equal(f->sum.cap_pending_dropped, 1);
}

static int by_addr(struct fixture *f, const struct why_addr *a)
{
    int hits = 0;
    for (struct why_dns_alink *l = why_store_dns_by_addr(&f->st, a); l; l = l->next)
        hits += why_addr_eq(why_dns_alink_addr(l), a);
    return hits;
}

static void dns_records(void **state)
{
    struct fixture *f = *state;
    struct why_addr cli = A("198.19.0.1"), srv = A("198.19.0.53");
    struct why_dns_rec *d1 = why_store_dns_new(&f->st, &cli, 40000, &srv, 53, 7, "shop.lab", WHY_DNS_A);
    struct why_dns_rec *d2 = why_store_dns_new(&f->st, &cli, 40001, &srv, 53, 8, "shop.lab", WHY_DNS_AAAA);
    struct why_dns_rec *d3 = why_store_dns_new(&f->st, &cli, 40002, &srv, 53, 9, "blog.lab", WHY_DNS_A);
    assert_non_null(d1);
    assert_ptr_equal(why_store_dns_find(&f->st, &cli, 40000, &srv, 7, "shop.lab", WHY_DNS_A), d1);
    assert_null(why_store_dns_find(&f->st, &cli, 40000, &srv, 7, "shop.lab", WHY_DNS_AAAA));
    assert_null(why_store_dns_find(&f->st, &cli, 40000, &srv, 8, "shop.lab", WHY_DNS_A));
    assert_ptr_equal(why_store_dns_unanswered(&f->st, &cli, 40001, &srv), d2);
    /* by name: both shop.lab records, newest first */
    uint64_t key = why_request_key("", "shop.lab");
    struct why_dns_rec *seen[4];
    int n = 0;
    for (struct why_dns_rec *d = why_store_dns_by_name(&f->st, key); d; d = why_store_dns_name_next(d))
        if (d->nkey == key && strcmp(d->qname, "shop.lab") == 0)
            seen[n++] = d;
    assert_int_equal(n, 2);
    assert_ptr_equal(seen[0], d2);
    assert_ptr_equal(seen[1], d1);
    /* by answered address; past 4 addresses counted */
    struct why_addr addrs[6];
    for (int i = 0; i < 6; i++) {
        char s[32];
        snprintf(s, sizeof s, "198.19.1.%d", i + 1);
        addrs[i] = A(s);
    }
    why_store_dns_answer(&f->st, d1, addrs, 6);
    assert_int_equal(d1->naddrs, 4);
    assert_int_equal(f->sum.cap_dns_addrs_dropped, 2);
    why_store_dns_answer(&f->st, d3, &addrs[0], 1);
    assert_int_equal(by_addr(f, &addrs[0]), 2);
    assert_int_equal(by_addr(f, &addrs[3]), 1);
    assert_int_equal(by_addr(f, &addrs[5]), 0); /* not kept, not indexed */
}

/* A resolver that sends every query from one port (Squid): each query still has a short
 * chain of its own in the index by query key, and an ICMP error quoting the socket finds the
 * latest unanswered query of it. */
static void dns_one_port(void **state)
{
    struct fixture *f = *state;
    struct why_addr cli = A("198.19.0.1"), srv = A("198.19.0.53");
    enum { N = 4000 };
    static struct why_dns_rec *recs[N];
    char name[32];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "n%04d.bench", i / 2);
        recs[i] = why_store_dns_new(&f->st, &cli, 33333, &srv, 53, (uint16_t)(1000 + i), name,
                                    i % 2 ? WHY_DNS_AAAA : WHY_DNS_A);
        assert_non_null(recs[i]);
        recs[i]->answered = i < N - 3; /* the last three wait for their answer */
    }
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "n%04d.bench", i / 2);
        assert_ptr_equal(why_store_dns_find(&f->st, &cli, 33333, &srv, (uint16_t)(1000 + i), name,
                                            i % 2 ? WHY_DNS_AAAA : WHY_DNS_A),
                         recs[i]);
    }
    assert_null(why_store_dns_find(&f->st, &cli, 33334, &srv, 1000, "n0000.bench", WHY_DNS_A));
    /* no chain of the query-key index holds more than a few of the 4,000 records */
    uint32_t longest = 0;
    for (uint32_t b = 0; b < WHY_DNS_BUCKETS; b++) {
        uint32_t n = 0;
        for (const struct why_dns_rec *d = f->st.dkey[b]; d; d = d->knext)
            n++;
        if (n > longest)
            longest = n;
    }
    assert_true(longest <= 8);
    assert_ptr_equal(why_store_dns_unanswered(&f->st, &cli, 33333, &srv), recs[N - 1]);
    recs[N - 1]->answered = true;
    assert_ptr_equal(why_store_dns_unanswered(&f->st, &cli, 33333, &srv), recs[N - 2]);
    assert_null(why_store_dns_unanswered(&f->st, &cli, 33334, &srv));
    /* pruning unlinks them from both chains */
    why_store_prune(&f->st, T(1000), true);
    assert_int_equal(f->st.ndns, 0);
    assert_null(why_store_dns_unanswered(&f->st, &cli, 33333, &srv));
}

/* Transactions are split into upstream candidates (client side the gateway) and the others,
 * each list in creation order; a change of the gateway addresses splits them again. */
static void upstream_candidates(void **state)
{
    struct fixture *f = *state;
    struct why_conn held = f->conns[0];
    held.cli_addr = A("198.18.1.10");
    held.srv_addr = A("198.18.1.1");
    struct why_conn_rec *client = why_store_conn_new(&f->st, &held);
    struct why_conn_rec *up = why_store_conn_new(&f->st, &f->conns[1]);
    /* nothing known yet: no candidate */
    struct why_txn *c1 = why_store_txn_new(&f->st, client);
    struct why_txn *u1 = why_store_txn_new(&f->st, up);
    why_store_classify(&f->st);
    assert_null(f->st.cand_head);
    assert_true(why_store_cands_ordered(&f->st));
    /* 198.19.0.1 (the client side of `up`) serves HTTP and opens connections: the gateway */
    struct why_addr gw = A("198.19.0.1");
    why_gw_add_served(&f->gw, &gw);
    why_gw_add_originator(&f->gw, &gw);
    assert_false(why_store_cands_ordered(&f->st)); /* the split is stale */
    why_store_classify(&f->st);
    assert_true(why_store_cands_ordered(&f->st));
    assert_ptr_equal(f->st.cand_head, u1);
    assert_ptr_equal(f->st.cand_tail, u1);
    assert_ptr_equal(f->st.oth_head, c1);
    /* new ones go to their list at creation, in order; 100 held client requests stay out
     * (each head's end time set at once, as the HTTP handler does) */
    for (int i = 0; i < 100; i++) {
        struct why_txn *c = why_store_txn_new(&f->st, client);
        assert_non_null(c);
        c->req_ts = T(10 + i * 0.01);
    }
    struct why_txn *u2 = why_store_txn_new(&f->st, up);
    u2->req_ts = T(11);
    assert_ptr_equal(f->st.cand_tail, u2);
    assert_ptr_equal(u2->tprev, u1);
    assert_null(u1->tprev);
    assert_true(why_store_cands_ordered(&f->st));
    /* a head ending seconds before an earlier-created one's: creation order is not time */
    struct why_txn *u3 = why_store_txn_new(&f->st, up);
    u3->req_ts = T(5);
    assert_false(why_store_cands_ordered(&f->st));
    u3->req_ts = T(12);
    assert_true(why_store_cands_ordered(&f->st));
    /* freeing unlinks */
    why_store_trim_txns(&f->st, up, T(100), true);
    assert_null(f->st.cand_head);
    assert_null(f->st.cand_tail);
}

static void pruning(void **state)
{
    struct fixture *f = *state;
    struct why_addr cli = A("198.19.0.1"), srv = A("198.19.0.53");
    struct why_dns_rec *d = why_store_dns_new(&f->st, &cli, 40000, &srv, 53, 7, "shop.lab", WHY_DNS_A);
    d->q_ts = d->last_q_ts = T(1);
    struct why_conn_rec *rc = why_store_conn_new(&f->st, &f->conns[0]);
    rc->live = NULL;
    rc->closed = true;
    why_store_conn_active(&f->st, rc); /* as the session does when a connection closes */
    rc->c->half[0].last_ts = rc->c->half[1].last_ts = T(1);
    struct why_conn_rec *open = why_store_conn_new(&f->st, &f->conns[1]);
    /* soon after: nothing is old enough */
    why_store_prune(&f->st, T(2), false);
    assert_int_equal(f->pruned_conns, 0);
    assert_int_equal(f->pruned_dns, 0);
    /* past the pin window: the closed record and the DNS record go, the open one stays */
    why_store_prune(&f->st, T(1 + 121), false);
    assert_int_equal(f->pruned_conns, 1);
    assert_int_equal(f->pruned_dns, 1);
    assert_int_equal(f->released, 1);
    assert_int_equal(f->st.nrecs, 1);
    assert_int_equal(f->st.ndns, 0);
    /* the open record without transactions is not walked again until it changes */
    assert_null(f->st.act_head);
    assert_false(open->in_act);
    assert_null(why_store_dns_by_name(&f->st, why_request_key("", "shop.lab")));
}

/* Record times carry their frame's time epoch: a wait between two epochs is not measured. */
static void waits_within_an_epoch(void **state)
{
    (void)state;
    struct why_ts a = {100, 0, 0}, b = {160, 500000000, 0};
    assert_int_equal(why_ts_wait_us(a, b), 60500000);
    b.epoch = 1; /* a time jump between them */
    assert_int_equal(why_ts_wait_us(a, b), -1);
    assert_int_equal(why_ts_diff_us(a, b), 60500000); /* the order and the skew checks still see it */
    assert_int_equal(why_ts_cmp(a, b), -1);
    assert_int_equal(why_ts_add_us(b, 1).epoch, 1);
}

/* A record whose connection the table no longer holds reads the shared empty connection: its
 * parts apart (more, the halves' ends) are the shared empty ones, never NULL, so any reader of
 * a SYN past the first, an ICMP fact or a FIN reads zeros. */
static void empty_connection_parts(void **state)
{
    (void)state;
    const struct why_conn *c = &why_conn_none;
    assert_non_null(c->more);
    assert_non_null(c->half[WHY_C2S].end);
    assert_non_null(c->half[WHY_S2C].end);
    for (uint32_t i = 1; i < WHY_SYN_TRIES_MAX; i++) {
        assert_int_equal(why_conn_syn_frame(c, i), 0);
        assert_int_equal(why_conn_syn_ts(c, i).sec, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_connection_parts),
        cmocka_unit_test_setup_teardown(request_index, setup, teardown),
        cmocka_unit_test_setup_teardown(connections_by_server, setup, teardown),
        cmocka_unit_test_setup_teardown(servers_of_a_subnet_apart, setup, teardown),
        cmocka_unit_test_setup_teardown(path_memory_keeps_latest, setup, teardown),
        cmocka_unit_test_setup_teardown(transactions_capped, setup, teardown),
        cmocka_unit_test_setup_teardown(dns_records, setup, teardown),
        cmocka_unit_test_setup_teardown(dns_one_port, setup, teardown),
        cmocka_unit_test_setup_teardown(upstream_candidates, setup, teardown),
        cmocka_unit_test_setup_teardown(pruning, setup, teardown),
        cmocka_unit_test(waits_within_an_epoch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
