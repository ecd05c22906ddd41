/* The record store on hand-made records: the request index (method + path, + host) compares
 * strings, not only hashes; a claim takes a request out of it for good; DNS records are
 * found by query key, by name and by answered address, retransmissions and ICMP errors find
 * the latest record, addresses past the 4 kept are counted; pruning shows each record to
 * its hook before freeing it and frees everything at the end; records resting off its active
 * list (answered, closed not old yet) and DNS records or requests out of order are taken at
 * the pass where they are due, not later. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/store.h"
#include "util/slab.h"

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
        f->conns[i].miss = &why_conn_miss_none;
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

/* A request begun at `at` (its first byte: the indexes' order), indexed. */
static struct why_txn *request_at(struct fixture *f, struct why_conn_rec *rc, const char *method,
                                  const char *target, const char *host, struct why_ts at)
{
    struct why_txn *t = why_store_txn_new(&f->st, rc);
    assert_non_null(t);
    strcpy(t->method, method);
    t->target = strdup(target);
    t->target_len = (uint32_t)strlen(target);
    why_store_txn_names(&f->st, t, host, "");
    t->req_first_ts = t->req_ts = at;
    why_store_txn_index(&f->st, t);
    return t;
}

static struct why_txn *request(struct fixture *f, struct why_conn_rec *rc, const char *method,
                               const char *target, const char *host)
{
    return request_at(f, rc, method, target, host, (struct why_ts){0, 0, 0});
}

/* a serves HTTP and opens connections: a gateway */
static void gateway(struct fixture *f, struct why_addr a)
{
    why_gw_add_served(&f->gw, &a);
    why_gw_add_originator(&f->gw, &a);
}

/* The gateway's connection (conns[0]'s path) from client port `port`, first seen at `at`,
 * established or not when its record is made, in *c (which the record reads while it
 * lives). */
static struct why_conn_rec *upstream_at(struct fixture *f, struct why_conn *c, uint16_t port, double at,
                                        bool established)
{
    *c = f->conns[0];
    c->cli_port = port;
    c->first_ts = T(at);
    c->established = established;
    struct why_conn_rec *rc = why_store_conn_new(&f->st, c);
    assert_non_null(rc);
    return rc;
}

/* A request's target, Host and Via come in one allocation (the target's), the target read
 * from a longer buffer without its NUL; the names bounded as why_store_txn_names bounds them,
 * the shared "" when both are empty. Freeing the transaction frees them all (ASan, leaks). */
static void request_strings(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *a = why_store_conn_new(&f->st, &f->conns[0]);
    const char line[] = "/cart?id=1 HTTP/1.1";
    struct why_txn *t = why_store_txn_new(&f->st, a);
    strcpy(t->method, "GET");
    why_store_txn_request(&f->st, t, line, 10, "Shop.lab", "1.1 squid");
    assert_string_equal(t->target, "/cart?id=1");
    assert_int_equal(t->target_len, 10);
    assert_string_equal(t->host, "Shop.lab");
    assert_string_equal(t->via, "1.1 squid");
    why_store_txn_index(&f->st, t);
    assert_string_equal(t->ihost, "shop.lab");
    assert_ptr_equal(t->ipath, t->target); /* the path is a run of the target's bytes */
    assert_int_equal(t->ipath_len, 10);

    struct why_txn *bare = why_store_txn_new(&f->st, a);
    strcpy(bare->method, "GET");
    why_store_txn_request(&f->st, bare, "/", 1, "", "");
    assert_string_equal(bare->target, "/");
    assert_string_equal(bare->host, "");
    assert_string_equal(bare->via, "");
    why_store_txn_names(&f->st, bare, "late.lab", ""); /* the names may still come on their own */
    assert_string_equal(bare->host, "late.lab");

    char host[WHY_TXN_HOST_MAX + 50];
    memset(host, 'h', sizeof host - 1);
    host[sizeof host - 1] = 0;
    struct why_txn *longer = why_store_txn_new(&f->st, a);
    why_store_txn_request(&f->st, longer, "/x", 2, host, "v");
    assert_int_equal(strlen(longer->host), WHY_TXN_HOST_MAX);
    assert_string_equal(longer->via, "v");
    why_store_trim_txns(&f->st, a, T(10), true);
    assert_null(a->txn_head);
}

static bool in_txn(const struct why_txn *t, const void *p)
{
    return (const char *)p >= (const char *)t && (const char *)p < (const char *)(t + 1);
}

/* A request's strings and its answer's are kept in the transaction's own room when they fit
 * (no allocation of their own), else allocated: a long target, answers replaced until the
 * room is spent. Every combination reads back the same and is freed with the transaction
 * (ASan); a transaction made again after one was freed (a spare) starts with its room empty. */
static void strings_in_room(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *a = why_store_conn_new(&f->st, &f->conns[0]);
    struct why_txn *t = why_store_txn_new(&f->st, a);
    why_store_txn_request(&f->st, t, "/a", 2, "shop.lab", "");
    assert_true(in_txn(t, t->target));
    assert_true(in_txn(t, t->host));
    struct why_resp_view v;
    why_resp_view_of(t->resp, &v);
    v.str[WHY_RESP_SERVER] = "nginx";
    assert_true(why_store_txn_resp_put(&f->st, t, &v));
    assert_true(in_txn(t, t->resp));
    for (int i = 0; i < 8; i++) { /* the room runs out: the answer goes apart, then replaced */
        why_resp_view_of(t->resp, &v);
        v.str[WHY_RESP_TITLE] = i % 2 ? "Service Unavailable" : "Bad Gateway";
        assert_true(why_store_txn_resp_put(&f->st, t, &v));
        assert_string_equal(why_resp_str(t->resp, WHY_RESP_SERVER), "nginx");
        assert_string_equal(why_resp_str(t->resp, WHY_RESP_TITLE), i % 2 ? "Service Unavailable" : "Bad Gateway");
    }
    assert_false(in_txn(t, t->resp));
    assert_string_equal(t->target, "/a");
    assert_string_equal(t->host, "shop.lab");

    char target[WHY_TXN_STR_ROOM + 20];
    memset(target, 'p', sizeof target);
    target[0] = '/';
    struct why_txn *big = why_store_txn_new(&f->st, a);
    why_store_txn_request(&f->st, big, target, sizeof target, "shop.lab", "1.1 proxy");
    assert_false(in_txn(big, big->target));
    assert_memory_equal(big->target, target, sizeof target);
    assert_string_equal(big->via, "1.1 proxy");
    why_resp_view_of(big->resp, &v);
    v.str[WHY_RESP_SERVER] = "squid";
    assert_true(why_store_txn_resp_put(&f->st, big, &v));
    assert_true(in_txn(big, big->resp)); /* the room is still the answer's */
    why_store_trim_txns(&f->st, a, T(10), true);
    assert_null(a->txn_head);

    struct why_txn *again = why_store_txn_new(&f->st, a);
    assert_ptr_equal(again->resp, &why_txn_resp_none);
    assert_int_equal(again->str_used, 0);
    why_store_txn_request(&f->st, again, "/b", 2, "", "");
    assert_true(in_txn(again, again->target));
    assert_string_equal(again->target, "/b");
    assert_string_equal(again->host, "");

    /* the URL's host apart from the Host as sent (a port, upper case): in the room too */
    struct why_txn *port = why_store_txn_new(&f->st, a);
    strcpy(port->method, "GET");
    why_store_txn_request(&f->st, port, "/c", 2, "Shop.lab:8080", "");
    why_store_txn_index(&f->st, port);
    assert_string_equal(port->ihost, "shop.lab");
    assert_ptr_not_equal(port->ihost, port->host);
    assert_true(in_txn(port, port->ihost));
}

/* The index keeps the URL's host (ihost) for the join, which then does not parse the URL
 * again: the Host itself when it is that host, a copy when it differs (a port, upper case),
 * and says whether it is whole and an address literal. */
static void indexed_host(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *a = why_store_conn_new(&f->st, &f->conns[0]);
    struct why_txn *same = request(f, a, "GET", "/x", "shop.lab");
    assert_ptr_equal(same->ihost, same->host);
    assert_true(same->ihost_whole);
    assert_false(same->ihost_ip);
    struct why_txn *port = request(f, a, "GET", "/x", "Shop.lab:8080");
    assert_ptr_not_equal(port->ihost, port->host);
    assert_string_equal(port->ihost, "shop.lab");
    assert_string_equal(port->host, "Shop.lab:8080");
    assert_true(port->ihost_whole);
    struct why_txn *abs = request(f, a, "GET", "http://198.19.0.10:8080/x", "");
    assert_string_equal(abs->ihost, "198.19.0.10");
    assert_true(abs->ihost_whole);
    assert_true(abs->ihost_ip);
    struct why_txn *none = request(f, a, "GET", "/x", "");
    assert_string_equal(none->ihost, "");
    assert_true(none->ihost_whole);
    /* indexed again: the copy is freed, the shared one is not (ASan tells) */
    why_store_txn_unindex(&f->st, port);
    why_store_txn_index(&f->st, port);
    assert_string_equal(port->ihost, "shop.lab");
    why_store_txn_unindex(&f->st, same);
    why_store_txn_index(&f->st, same);
    assert_ptr_equal(same->ihost, same->host);
}

static int count(const struct why_store *st, const struct why_txn *like, bool by_host)
{
    int n = 0;
    struct why_twalk w;
    for (struct why_txn *t = why_store_requests(st, like, by_host, (struct why_ts){0, 0, 0}, T(1e6), &w); t;
         t = why_store_requests_next(&w, like, by_host))
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

/* Index ix's chain from t on: in the order its requests began, the last begun first, linked
 * both ways; with b (t's bucket: the host's buckets are the store's own business), from the
 * bucket's head, whose prev is the one that began first. */
static void chain_in_order(const struct why_txn *t, enum why_tix ix, const struct why_tbucket *b)
{
    if (b)
        t = b->head;
    const struct why_txn *prev = NULL;
    for (; t; prev = t, t = t->ix[ix].next) {
        if (prev) {
            assert_ptr_equal(t->ix[ix].prev, prev);
            assert_true(why_ts_cmp(prev->req_first_ts, t->req_first_ts) >= 0);
        }
    }
    if (b)
        assert_ptr_equal(b->head->ix[ix].prev, prev);
}

/* t's bucket of the index by method and path: an upstream candidate's in the table's first
 * half, another request's in the second */
static const struct why_tbucket *path_bucket(const struct why_store *st, const struct why_txn *t)
{
    uint32_t n = st->tix_n[WHY_TIX_PATH];
    return &st->tix[WHY_TIX_PATH][((uint32_t)t->pkey & (n / 2 - 1)) | (t->cand ? 0 : n / 2)];
}

/* The window's walks (by method and path, with the host, by path ending) against the
 * transactions counted one by one: each one like `like` begun within [lo, hi], once. */
static void window_walks(struct fixture *f, struct why_txn **r, int n, const struct why_txn *like,
                         struct why_ts lo, struct why_ts hi)
{
    for (int by_host = 0; by_host < 3; by_host++) {
        bool seen[64] = {0};
        int walked = 0;
        struct why_twalk w;
        struct why_txn *t = by_host < 2 ? why_store_requests(&f->st, like, by_host, lo, hi, &w)
                                        : why_twalk_start(&w, why_store_requests_ending(&f->st, like->xkey),
                                                          WHY_TIX_ENDING, lo, hi);
        for (; t; t = by_host < 2 ? why_store_requests_next(&w, like, by_host) : why_twalk_next(&w)) {
            if (by_host == 2 && t->xkey != like->xkey)
                continue;
            int i = 0;
            while (i < n && r[i] != t)
                i++;
            assert_true(i < n);
            assert_false(seen[i]);
            seen[i] = true;
            walked++;
        }
        int want = 0;
        for (int i = 0; i < n; i++) {
            bool on = by_host < 2 ? r[i]->indexed && why_store_request_like(r[i], like, by_host)
                                  : r[i]->xindexed && r[i]->xkey == like->xkey;
            if (on && why_ts_cmp(r[i]->req_first_ts, lo) >= 0 && why_ts_cmp(r[i]->req_first_ts, hi) <= 0) {
                assert_true(seen[i]);
                want++;
            }
        }
        assert_int_equal(walked, want);
    }
}

/* The request indexes keep each bucket in the order its requests began, however they were
 * indexed (seeded: begun at one of 40 tenths of a second, ties among them; two hosts; two
 * paths that end alike), and a window's walk meets exactly those begun in it, whichever end
 * of the bucket it starts from: windows below, above, inside and around the bucket's
 * requests, empty ones, one at a tie; again after requests leave the index from its ends and
 * its middle. */
static void requests_in_a_window(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *rc = why_store_conn_new(&f->st, &f->conns[0]);
    struct why_txn *r[64];
    int n = 60;
    uint32_t seed = 12345;
    for (int i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        double at = 1.0 + (double)((seed >> 8) % 40) / 10;
        r[i] = request_at(f, rc, "GET", i % 3 ? "/cart?id=1" : "/app/cart?id=1", i % 2 ? "shop.lab" : "blog.lab",
                          T(at));
    }
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < n; i++) {
            if (r[i]->indexed) {
                chain_in_order(r[i], WHY_TIX_PATH, path_bucket(&f->st, r[i]));
                chain_in_order(r[i], WHY_TIX_HOST, NULL);
            }
            if (r[i]->xindexed)
                chain_in_order(r[i], WHY_TIX_ENDING, why_store_requests_ending(&f->st, r[i]->xkey));
        }
        const double windows[][2] = {{0, 0.5},   {0, 1},     {0.5, 1.05}, {1, 5},   {1.25, 2.35}, {2.2, 2.2},
                                     {3.85, 9},  {4.9, 9},   {2.5, 1.5},  {1.1, 1.1}, {1.05, 1.15}, {0, 9}};
        for (size_t k = 0; k < sizeof windows / sizeof windows[0]; k++)
            for (int l = 0; l < 4; l++)
                window_walks(f, r, n, r[l], T(windows[k][0]), T(windows[k][1]));
        if (round == 0) {
            /* out of the indexes: each bucket's first and last begun, and some between */
            const struct why_tbucket *b = path_bucket(&f->st, r[1]);
            struct why_txn *head = b->head, *tail = b->head->ix[WHY_TIX_PATH].prev;
            why_store_txn_unindex(&f->st, head);
            why_store_txn_unindex(&f->st, tail);
            struct why_txn *client = request_at(f, rc, "GET", "/other", "", T(9));
            const struct why_tbucket *e = why_store_requests_ending(&f->st, r[1]->xkey);
            why_store_claim_txn(&f->st, e->head->ix[WHY_TIX_ENDING].prev, client);
            why_store_claim_txn(&f->st, e->head, client);
            for (int i = 5; i < n; i += 7)
                why_store_claim_txn(&f->st, r[i], client);
            assert_false(head->indexed);
            assert_false(tail->indexed);
        }
    }
}

/* Every bucket of index ix in order (chain_in_order), and as many requests on them as
 * `want`. */
static void index_whole(const struct why_store *st, enum why_tix ix, uint32_t want)
{
    uint32_t on = 0;
    for (uint32_t b = 0; b < st->tix_n[ix]; b++) {
        if (!st->tix[ix][b].head)
            continue;
        chain_in_order(NULL, ix, &st->tix[ix][b]);
        for (const struct why_txn *t = st->tix[ix][b].head; t; t = t->ix[ix].next)
            on++;
    }
    assert_int_equal(on, want);
    assert_int_equal(st->tix_live[ix], want);
}

/* The request indexes start small and double as requests come (more than half as many
 * requests as buckets): 1,500 requests (seeded times with ties, 60 paths, 2 hosts) make each
 * index grow from WHY_INDEX_BUCKETS_MIN buckets several times; after each step every bucket is
 * in the order its requests began, holds every request indexed and only those, and a
 * window's walk meets exactly the requests like the one asked begun in it, as a count of
 * them all says; again once a third of them left the indexes. */
static void indexes_grow(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *rc = why_store_conn_new(&f->st, &f->conns[0]);
    enum { N = 1500 };
    static struct why_txn *r[N];
    struct why_txn *client = NULL; /* (what the round's claims are for; on the ending index) */
    assert_int_equal(f->st.tix_n[WHY_TIX_PATH], WHY_INDEX_BUCKETS_MIN);
    uint32_t seed = 777;
    for (int i = 0; i < N; i++) {
        seed = seed * 1103515245u + 12345u;
        double at = 1.0 + (double)((seed >> 8) % 400) / 100;
        char path[32];
        snprintf(path, sizeof path, "/p/%d/x%d", i % 60, i % 7);
        r[i] = request_at(f, rc, "GET", path, i % 2 ? "shop.lab" : "blog.lab", T(at));
    }
    for (int round = 0; round < 2; round++) {
        uint32_t indexed = 0, xindexed = 0;
        for (int i = 0; i < N; i++) {
            indexed += r[i]->indexed;
            xindexed += r[i]->xindexed;
        }
        assert_true(f->st.tix_n[WHY_TIX_PATH] >= 4 * WHY_INDEX_BUCKETS_MIN);
        assert_true(f->st.tix_n[WHY_TIX_ENDING] >= 4 * WHY_INDEX_BUCKETS_MIN);
        for (int ix = 0; ix < WHY_TIX_N; ix++)
            assert_true(f->st.tix_live[ix] <= f->st.tix_n[ix] / 2);
        index_whole(&f->st, WHY_TIX_PATH, indexed);
        index_whole(&f->st, WHY_TIX_HOST, indexed);
        index_whole(&f->st, WHY_TIX_ENDING, xindexed + (client && client->xindexed));
        const double windows[][2] = {{0, 9}, {1.5, 2.5}, {2.0, 2.0}, {4.5, 9}};
        for (size_t k = 0; k < sizeof windows / sizeof windows[0]; k++) {
            for (int l = 0; l < 120; l += 7) {
                struct why_ts lo = T(windows[k][0]), hi = T(windows[k][1]);
                for (int by_host = 0; by_host < 2; by_host++) {
                    struct why_twalk w;
                    int walked = 0, want = 0;
                    for (struct why_txn *t = why_store_requests(&f->st, r[l], by_host, lo, hi, &w); t;
                         t = why_store_requests_next(&w, r[l], by_host))
                        walked++;
                    for (int i = 0; i < N; i++)
                        want += r[i]->indexed && why_store_request_like(r[i], r[l], by_host) &&
                                why_ts_cmp(r[i]->req_first_ts, lo) >= 0 && why_ts_cmp(r[i]->req_first_ts, hi) <= 0;
                    assert_int_equal(walked, want);
                }
            }
        }
        if (round == 0) {
            client = request_at(f, rc, "GET", "/other", "", T(9));
            for (int i = 0; i < N; i += 3)
                why_store_claim_txn(&f->st, r[i], client);
            why_store_txn_unindex(&f->st, client);
        }
    }
}

/* The queue's index by request and connection ends starts small and doubles as requests are
 * pushed: 900 requests for 30 targets on one connection, sent at seeded times with ties, a
 * third answered below 500, make it grow from WHY_QLIKE_MIN buckets; then a request's walk
 * from the first of its like sent at a time or later meets every queued one like it, in the
 * order sent (ties in the order pushed), and its bucket's count of those answered below 500
 * is the count of its requests marked so; again once a third left the queue. */
static void queue_index_grows(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *rc = why_store_conn_new(&f->st, &f->conns[0]);
    enum { N = 900, K = 30 };
    static struct why_txn *r[N];
    assert_int_equal(f->st.nqlike, WHY_QLIKE_MIN);
    uint32_t seed = 4242;
    for (int i = 0; i < N; i++) {
        seed = seed * 1103515245u + 12345u;
        char target[32];
        snprintf(target, sizeof target, "/q/%d", i % K);
        r[i] = request_at(f, rc, "GET", target, "shop.lab", T(1.0 + (double)((seed >> 8) % 300) / 100));
        why_store_queue_push(&f->st, r[i]);
        if (i % 3 == 0) {
            r[i]->has_resp = true;
            r[i]->status = 200;
            why_store_queue_answered(&f->st, r[i]);
        }
    }
    assert_true(f->st.nqlike >= 4 * WHY_QLIKE_MIN);
    for (int round = 0; round < 2; round++) {
        assert_true(f->st.nqlike_live <= f->st.nqlike / 2);
        for (int k = 0; k < K; k++) {
            uint32_t nok = 0, want_ok = 0;
            int met = 0, want = 0;
            const struct why_txn *prev = NULL;
            /* (from 0: the whole bucket, as the count is the bucket's) */
            for (struct why_txn *q = why_store_queued_like_from(&f->st, r[k], T(0), &nok); q; q = q->lnext) {
                if (q->ok_counted)
                    want_ok++;
                if (strcmp(q->target, r[k]->target) != 0)
                    continue;
                assert_true(q->queued && !q->decided);
                if (prev)
                    assert_true(why_ts_cmp(prev->req_ts, q->req_ts) < 0 ||
                                (why_ts_cmp(prev->req_ts, q->req_ts) == 0 && prev->qseq < q->qseq));
                prev = q;
                met++;
            }
            for (int i = k; i < N; i += K)
                want += r[i]->queued && !r[i]->decided;
            assert_int_equal(met, want);
            assert_int_equal(nok, want_ok);
        }
        if (round == 0)
            for (int i = 1; i < N; i += 3) {
                r[i]->decided = true;
                why_store_queue_remove(&f->st, r[i]);
            }
    }
}

/* t is on its bucket of the index by path ending (walked from the head). */
static bool on_ending(const struct why_store *st, const struct why_txn *t)
{
    for (const struct why_txn *e = why_store_requests_ending(st, t->xkey)->head; e; e = e->ix[WHY_TIX_ENDING].next)
        if (e == t)
            return true;
    return false;
}

/* A decided client request leaves the indexes by path and host, and the index by path ending
 * while it is no upstream candidate (only requests still queued are read there then); one that
 * is a candidate (a gateway's request judged on its own) stays; when the gateway's addresses
 * change so that a decided one becomes a candidate, the split puts it back, in its place. */
static void judged_requests_leave_the_ending_index(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *a = why_store_conn_new(&f->st, &f->conns[0]); /* 198.19.0.1 -> .10 */
    struct why_conn held = f->conns[2];
    held.cli_addr = A("198.18.1.10");
    struct why_conn_rec *b = why_store_conn_new(&f->st, &held); /* 198.18.1.10 -> 198.19.0.11 */
    struct why_txn *early = request_at(f, a, "GET", "/shop/cart?id=1", "backend.lab", T(1));
    struct why_txn *late = request_at(f, a, "GET", "/shop/cart?id=1", "backend.lab", T(3));
    struct why_txn *client = request_at(f, b, "GET", "/cart?id=1", "shop.lab", T(2));
    why_store_classify(&f->st);
    assert_false(early->cand);
    why_store_txn_judged(&f->st, early);
    why_store_txn_judged(&f->st, client);
    assert_false(early->indexed);
    assert_false(early->xindexed);
    assert_false(on_ending(&f->st, early));
    assert_false(on_ending(&f->st, client));
    assert_true(on_ending(&f->st, late));
    chain_in_order(late, WHY_TIX_ENDING, why_store_requests_ending(&f->st, late->xkey));
    /* 198.19.0.1 turns out to be a gateway: a's requests are its upstream requests */
    gateway(f, A("198.19.0.1"));
    why_store_classify(&f->st);
    assert_true(early->cand);
    assert_false(client->cand);
    assert_true(early->xindexed);
    assert_true(on_ending(&f->st, early));
    assert_false(on_ending(&f->st, client));
    assert_ptr_equal(late->ix[WHY_TIX_ENDING].next, early); /* begun before it: after it */
    chain_in_order(late, WHY_TIX_ENDING, why_store_requests_ending(&f->st, late->xkey));
    /* a candidate judged (a gateway's own request, on its own) stays; a split again with
     * nothing changed moves nothing */
    why_store_txn_judged(&f->st, late);
    assert_true(on_ending(&f->st, late));
    why_store_classify(&f->st);
    assert_true(on_ending(&f->st, early));
    /* freed either way, out of the bucket */
    uint64_t key = early->xkey;
    why_store_trim_txns(&f->st, b, T(100), true);
    why_store_trim_txns(&f->st, a, T(100), true);
    assert_null(why_store_requests_ending(&f->st, key)->head);
}

/* The walks by path and by host meet the upstream candidates only, once the split is the
 * gateway set's (why_store_classify); every request like the one asked while the gateway set
 * changed since (the caller tests the roles); and each request where its class puts it once
 * split again, in its bucket's order. */
static void requests_walk_candidates(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *a = why_store_conn_new(&f->st, &f->conns[0]); /* 198.19.0.1 -> .10 */
    struct why_conn held = f->conns[2];
    held.cli_addr = A("198.18.1.10");
    struct why_conn_rec *b = why_store_conn_new(&f->st, &held); /* 198.18.1.10 -> 198.19.0.11 */
    struct why_txn *up1 = request_at(f, a, "GET", "/cart?id=1", "shop.lab", T(1));
    struct why_txn *cl = request_at(f, b, "GET", "/cart?id=1", "shop.lab", T(2));
    struct why_txn *up2 = request_at(f, a, "GET", "/cart?id=1", "shop.lab", T(3));
    for (int by_host = 0; by_host < 2; by_host++) {
        why_store_classify(&f->st);
        struct why_twalk w;
        int n = 0;
        for (struct why_txn *t = why_store_requests(&f->st, cl, by_host, T(0), T(9), &w); t;
             t = why_store_requests_next(&w, cl, by_host))
            n++;
        assert_int_equal(n, 0); /* no gateway yet: no candidate */
    }
    gateway(f, A("198.19.0.1")); /* a's requests are a gateway's: candidates, once split */
    for (int split = 0; split < 2; split++) {
        if (split)
            why_store_classify(&f->st);
        for (int by_host = 0; by_host < 2; by_host++) {
            struct why_twalk w;
            bool seen[3] = {false};
            for (struct why_txn *t = why_store_requests(&f->st, cl, by_host, T(0), T(9), &w); t;
                 t = why_store_requests_next(&w, cl, by_host))
                seen[t == up1 ? 0 : t == cl ? 1 : 2] = true;
            assert_true(seen[0]);
            assert_true(seen[2]);
            assert_int_equal(seen[1], !split); /* before the split: all, the caller tells */
        }
    }
    assert_true(up1->cand);
    assert_false(cl->cand);
    chain_in_order(up2, WHY_TIX_PATH, path_bucket(&f->st, up2));
    assert_ptr_equal(up2->ix[WHY_TIX_PATH].next, up1);
    assert_ptr_equal(path_bucket(&f->st, cl)->head, cl);
    why_store_txn_unindex(&f->st, up1);
    assert_ptr_equal(path_bucket(&f->st, up2)->head, up2);
    assert_null(up2->ix[WHY_TIX_PATH].next);
}

/* rc's transactions, in list order: how many, and whether every answered one nobody joined
 * was answered at or after `since` (none older left) */
static int txns_since(const struct why_conn_rec *rc, struct why_ts since)
{
    int n = 0;
    for (const struct why_txn *t = rc->txn_head; t; t = t->next, n++)
        if (t->has_resp && !t->claimed_by)
            assert_true(why_ts_cmp(t->resp_ts, since) >= 0);
    assert_int_equal(n, (int)rc->ntxn);
    return n;
}

/* GET /r on rc at `at`, answered by `answer` (resp_ts). */
static struct why_txn *answered_at(struct fixture *f, struct why_conn_rec *rc, double at, double answer)
{
    struct why_txn *t = request_at(f, rc, "GET", "/r", "shop.lab", T(at));
    t->has_resp = true;
    t->resp_ts = T(answer);
    return t;
}

/* A connection of upstream requests nobody joins (the gateway's side alone): each trim frees
 * exactly those answered before the stale mark (--settle and WHY_STALE_US before now), read up
 * to the first that is not when their answers came in order, all of them when one came out of
 * order or one was claimed meanwhile; a claimed one goes at the next trim. */
static void trim_frees_stale_in_order(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *a = why_store_conn_new(&f->st, &f->conns[0]);
    struct why_txn *t[42];
    for (int i = 0; i < 40; i++) {
        t[i] = answered_at(f, a, 1 + i * 0.1, 1.05 + i * 0.1);
        t[i]->resp_first_ts = t[i]->resp_ts;
    }
    t[35]->resp_ts = T(2.0); /* (out of order in the run: read all of it until it goes) */
    why_store_trim_txns(&f->st, a, T(5), false);
    assert_int_equal(txns_since(a, T(0)), 40);
    why_store_trim_txns(&f->st, a, T(13.6), false); /* stale: before 1.6 */
    assert_int_equal(txns_since(a, T(1.6)), 34);
    assert_ptr_equal(a->txn_head, t[6]);
    t[40] = answered_at(f, a, 19, 20);
    why_store_trim_txns(&f->st, a, T(14.1), false); /* before 2.1 */
    assert_int_equal(txns_since(a, T(2.1)), 29);
    assert_ptr_equal(a->txn_head, t[11]);
    /* one answered out of order, after the run: freed as it goes stale, the others too */
    t[41] = answered_at(f, a, 2.9, 3.0);
    why_store_trim_txns(&f->st, a, T(15.1), false); /* before 3.1 */
    assert_int_equal(txns_since(a, T(3.1)), 19);
    assert_ptr_equal(a->txn_head, t[21]);
    why_store_trim_txns(&f->st, a, T(15.6), false); /* before 3.6 */
    assert_int_equal(txns_since(a, T(3.6)), 14);
    /* one in the run claimed: gone at the next trim, nothing stale yet besides */
    struct why_txn *client = request_at(f, why_store_conn_new(&f->st, &f->conns[2]), "GET", "/other", "", T(9));
    why_store_claim_txn(&f->st, t[30], client);
    why_store_trim_txns(&f->st, a, T(15.61), false);
    assert_int_equal(txns_since(a, T(3.6)), 13);
    for (const struct why_txn *x = a->txn_head; x; x = x->next)
        assert_ptr_not_equal(x, t[30]);
    why_store_trim_txns(&f->st, a, T(100), true);
}

/* The requests of a key by path ending (compared, as the join does), the last begun first. */
static int ending(const struct why_store *st, const char *method, const char *path, struct why_txn **out)
{
    uint64_t key = why_request_ending_key(method, path, strlen(path));
    int n = 0;
    for (struct why_txn *t = why_store_requests_ending(st, key)->head; t; t = t->ix[WHY_TIX_ENDING].next)
        if (t->xkey == key)
            out[n++] = t;
    return n;
}

/* The index by path ending: a reverse proxy's prefixed path has the key of the client's path
 * (its last segment, the query with it), the method in the key too; a chain is in creation
 * in the order the requests began however they were indexed; a claim or a free takes a
 * request out. */
static void requests_by_path_ending(void **state)
{
    struct fixture *f = *state;
    assert_true(why_request_ending_key("GET", "/app/v1/cart?id=1", 17) == why_request_ending_key("GET", "/cart?id=1", 10));
    assert_true(why_request_ending_key("GET", "/cart?id=1", 10) != why_request_ending_key("POST", "/cart?id=1", 10));
    assert_true(why_request_ending_key("GET", "/cart?id=1", 10) != why_request_ending_key("GET", "/cart?id=2", 10));
    /* only len bytes count; a path without '/' is all last segment */
    assert_true(why_request_ending_key("GET", "/a/cartXX", 7) == why_request_ending_key("GET", "cart", 4));
    assert_true(why_request_ending_key("GET", "", 0) == why_request_ending_key("GET", "/", 1));
    struct why_conn_rec *a = why_store_conn_new(&f->st, &f->conns[0]);
    struct why_conn_rec *b = why_store_conn_new(&f->st, &f->conns[1]);
    struct why_txn *client = request(f, a, "GET", "http://shop.lab/cart?id=1", "");
    struct why_txn *up = request(f, b, "GET", "/shop/cart?id=1", "backend.lab");
    request(f, b, "GET", "/shop/cart?id=2", "backend.lab");
    request(f, b, "POST", "/shop/cart?id=1", "backend.lab");
    /* no Host: the path the join parses again is the one indexed */
    struct why_txn *bare = request(f, b, "GET", "/v2/cart?id=1", "");
    struct why_txn *seen[8];
    assert_int_equal(ending(&f->st, "GET", "/cart?id=1", seen), 3);
    assert_ptr_equal(seen[0], bare);
    assert_ptr_equal(seen[1], up);
    assert_ptr_equal(seen[2], client);
    /* begun before the newest, indexed after it: in its place by its first byte */
    struct why_txn *late = request_at(f, b, "GET", "/old/cart?id=1", "backend.lab", T(2));
    struct why_txn *early = request_at(f, b, "GET", "/new/cart?id=1", "backend.lab", T(1));
    assert_int_equal(ending(&f->st, "GET", "/cart?id=1", seen), 5);
    assert_ptr_equal(seen[0], late);
    assert_ptr_equal(seen[1], early);
    assert_ptr_equal(seen[2], bare);
    assert_ptr_equal(early->ix[WHY_TIX_ENDING].prev, late);
    assert_ptr_equal(why_store_requests_ending(&f->st, early->xkey)->head, late);
    assert_ptr_equal(late->ix[WHY_TIX_ENDING].prev, client); /* the head's prev: the tail */
    /* a claim takes the request out; the client's leaving the request index does not (a
     * request judged on its own may still be another's upstream one) */
    why_store_claim_txn(&f->st, up, client);
    why_store_txn_unindex(&f->st, bare);
    assert_int_equal(ending(&f->st, "GET", "/cart?id=1", seen), 4);
    assert_ptr_equal(seen[2], bare);
    assert_ptr_equal(seen[3], client);
    /* freed with their connection's transactions */
    why_store_trim_txns(&f->st, b, T(100), true);
    assert_int_equal(ending(&f->st, "GET", "/cart?id=1", seen), 1);
    assert_ptr_equal(seen[0], client);
    assert_null(client->ix[WHY_TIX_ENDING].next);
    assert_ptr_equal(client->ix[WHY_TIX_ENDING].prev, client); /* alone: its own tail */
    assert_ptr_equal(why_store_requests_ending(&f->st, client->xkey)->head, client);
    why_store_trim_txns(&f->st, a, T(100), true);
    assert_int_equal(ending(&f->st, "GET", "/cart?id=1", seen), 0);
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

/* why_store_rec_upto: where a walk newest first for the records begun by t may start. No
 * record created after it began by t, however out of order the first times come within the
 * lag the store measured (every tenth here 35 ms early), and it began at most two lags past t:
 * the walk reads none of the records made long after. NULL before the first, the newest after
 * the last. */
static void records_begun_by_a_time(void **state)
{
    struct fixture *f = *state;
    static struct why_conn cs[200];
    for (int i = 0; i < 200; i++) {
        cs[i] = f->conns[0];
        cs[i].cli_port = (uint16_t)(1000 + i);
        cs[i].first_ts = T(1 + 0.01 * i - (i % 10 == 9 ? 0.035 : 0));
        assert_non_null(why_store_conn_new(&f->st, &cs[i]));
    }
    assert_true(f->st.rlag_us >= 25000 && f->st.rlag_us <= 26000);
    for (double t = 0.95; t < 3.1; t += 0.0037) {
        struct why_conn_rec *r = why_store_rec_upto(&f->st, T(t));
        for (struct why_conn_rec *o = r ? r->rnext : f->st.rhead; o; o = o->rnext)
            assert_true(why_ts_cmp(o->c->first_ts, T(t)) > 0);
        if (r)
            assert_true(why_ts_diff_us(T(t), r->c->first_ts) <= 2 * f->st.rlag_us);
    }
    assert_null(why_store_rec_upto(&f->st, T(0.9)));
    assert_ptr_equal(why_store_rec_upto(&f->st, T(3.1)), f->st.rtail);
}

/* why_store_rec_from: the oldest record of the run back from upto of records begun at t or
 * later, found by search where the first times are in order within the lag, is where the walk
 * back from upto stops: for every record as upto and times all over the span (every tenth
 * record 35 ms early), and when the clock went back (the walk itself). */
static struct why_conn_rec *walk_from(struct why_conn_rec *upto, struct why_ts t)
{
    struct why_conn_rec *from = NULL;
    for (struct why_conn_rec *rc = upto; rc && why_ts_cmp(rc->first_ts, t) >= 0; rc = rc->rprev)
        from = rc;
    return from;
}

static void records_from_a_time(void **state)
{
    struct fixture *f = *state;
    static struct why_conn cs[201];
    for (int i = 0; i < 200; i++) {
        cs[i] = f->conns[0];
        cs[i].cli_port = (uint16_t)(1000 + i);
        cs[i].first_ts = T(1 + 0.01 * i - (i % 10 == 9 ? 0.035 : 0));
        assert_non_null(why_store_conn_new(&f->st, &cs[i]));
    }
    int found = 0;
    for (struct why_conn_rec *upto = f->st.rhead; upto; upto = upto->rnext)
        for (double t = 0.95; t < 3.1; t += 0.0037) {
            struct why_conn_rec *want = walk_from(upto, T(t));
            assert_ptr_equal(why_store_rec_from(&f->st, upto, T(t)), want);
            found += want && want != upto && want != f->st.rhead;
        }
    assert_true(found > 1000); /* (the search did the work, not the ends) */
    assert_null(why_store_rec_from(&f->st, NULL, T(1)));
    cs[200] = f->conns[0];
    cs[200].cli_port = 999;
    cs[200].first_ts = T(0.5); /* the clock went back: the walk of the list */
    assert_non_null(why_store_conn_new(&f->st, &cs[200]));
    assert_true(f->st.conns_unordered);
    assert_ptr_equal(why_store_rec_from(&f->st, f->st.rtail->rprev, T(2)), walk_from(f->st.rtail->rprev, T(2)));
    assert_ptr_equal(why_store_rec_from(&f->st, f->st.rtail, T(0.4)), walk_from(f->st.rtail, T(0.4)));
}

/* The records from cli before rc on the index of attempts by client address, newest first. */
static int attempts_from(struct fixture *f, struct why_conn_rec *rc, struct why_conn_rec **out, int max)
{
    int n = 0;
    for (struct why_conn_rec *o = why_store_attempts_from_next(&f->st, rc); o; o = why_store_attempts_from_next(&f->st, o))
        if (why_addr_eq(&o->c->cli_addr, &rc->c->cli_addr) && n < max)
            out[n++] = o;
    return n;
}

/* The index of attempts not seen to connect by client address: from a record to the older
 * ones of its client, never a connection established when made nor another client's; one
 * found connected or claimed leaves it at the walk that meets it, a freed one with its record. */
static void attempts_by_client(void **state)
{
    struct fixture *f = *state;
    static struct why_conn c[6];
    static const char *const cli[6] = {"198.19.0.1", "198.19.0.1", "198.19.0.2", "198.19.0.1", "198.19.0.1", "198.19.0.1"};
    struct why_conn_rec *r[6], *got[8];
    for (int i = 0; i < 6; i++) {
        memset(&c[i], 0, sizeof c[i]);
        c[i].cli_addr = A(cli[i]);
        c[i].srv_addr = A("198.19.0.10");
        c[i].srv_addr.a[3] = (uint8_t)(10 + i);
        c[i].srv_port = 80;
        c[i].syn_count = 1;
        c[i].first_ts = c[i].syn_ts0 = T(1 + i);
        c[i].established = i == 1; /* connected at once: never on the index */
        c[i].more = &why_conn_more_none;
        c[i].miss = &why_conn_miss_none;
        why_conn_set_ends(&c[i], &why_conn_end_none);
        r[i] = why_store_conn_new(&f->st, &c[i]);
        assert_non_null(r[i]);
    }
    assert_false(r[1]->in_attempts);
    assert_int_equal(attempts_from(f, r[5], got, 8), 3);
    assert_ptr_equal(got[0], r[4]);
    assert_ptr_equal(got[1], r[3]);
    assert_ptr_equal(got[2], r[0]);
    assert_int_equal(attempts_from(f, r[3], got, 8), 1); /* only the older ones */
    /* connected, claimed: off the index at the next walk */
    c[4].established = true;
    r[3]->claimed = true;
    assert_int_equal(attempts_from(f, r[5], got, 8), 1);
    assert_ptr_equal(got[0], r[0]);
    assert_false(r[4]->in_attempts || r[3]->in_attempts);
    /* freed (closed long ago): out of the index with its record */
    r[0]->closed = true;
    why_store_conn_active(&f->st, r[0]);
    why_store_prune(&f->st, T(1 + 121), false);
    assert_int_equal(f->pruned_conns, 1);
    assert_int_equal(attempts_from(f, r[5], got, 8), 0);
    assert_true(r[5]->in_attempts);
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

/* The memory of paths when more paths come than it holds (a forward proxy's thousand origin
 * addresses): each path noted is found at once, a path never noted is found by none however
 * full the table, the table ends full, and a connection with no address (a record that lost
 * its connection) is never found. */
static void path_memory_full(void **state)
{
    struct fixture *f = *state;
    struct why_conn c = f->conns[0], other;
    for (int i = 0; i < 2 * WHY_REQ_PATHS; i++) {
        char a[32];
        snprintf(a, sizeof a, "198.18.%d.%d", 100 + i / 250, 1 + i % 250);
        c.srv_addr = A(a);
        why_store_note_req_path(&f->st, &c, T(1.0 + i), T(1.5 + i));
        assert_true(why_store_req_path_seen(&f->st, &c));
        other = c;
        other.srv_port = 8080;
        assert_false(why_store_req_path_seen(&f->st, &other));
    }
    int seen = 0;
    for (int i = 0; i < 2 * WHY_REQ_PATHS; i++) {
        char a[32];
        snprintf(a, sizeof a, "198.18.%d.%d", 100 + i / 250, 1 + i % 250);
        c.srv_addr = A(a);
        seen += why_store_req_path_seen(&f->st, &c);
    }
    assert_int_equal(seen, WHY_REQ_PATHS);
    struct why_conn none = why_conn_none;
    why_store_note_req_path(&f->st, &none, T(9.0), T(9.5));
    assert_false(why_store_req_path_seen(&f->st, &none));
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
    /* a name kept in the record up to 63 bytes, allocated beyond; found the same either way,
     * and cut at WHY_DNS_NAME_MAX as the parser cuts it */
    static const size_t lens[] = {63, 64, 200, WHY_DNS_NAME_MAX, WHY_DNS_NAME_MAX + 40};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        char name[WHY_DNS_NAME_MAX + 64];
        memset(name, 'a' + (int)i, lens[i]);
        name[lens[i]] = '\0';
        uint16_t qid = (uint16_t)(100 + i);
        struct why_dns_rec *d = why_store_dns_new(&f->st, &cli, 41000, &srv, 53, qid, name, WHY_DNS_A);
        assert_non_null(d);
        size_t kept = lens[i] < WHY_DNS_NAME_MAX ? lens[i] : WHY_DNS_NAME_MAX;
        assert_int_equal(strlen(d->qname), kept);
        assert_true(strncmp(d->qname, name, kept) == 0);
        assert_true((d->qname == d->qname_in) == (kept < sizeof d->qname_in));
        assert_ptr_equal(why_store_dns_find(&f->st, &cli, 41000, &srv, qid, name, WHY_DNS_A), d);
    }
}

/* The answers of a name by family, latest answer first (of one family each). */
static int answers(const struct why_store *st, const char *name, uint8_t family, struct why_dns_rec **out)
{
    uint64_t key = why_request_key("", name);
    int n = 0;
    for (struct why_dns_rec *d = why_store_dns_answers(st, key, family); d; d = why_store_dns_answers_next(d, family))
        if (d->nkey == key && strcmp(d->qname, name) == 0)
            out[n++] = d;
    return n;
}

static struct why_dns_rec *answered(struct fixture *f, const char *name, uint16_t qtype, double q, double a,
                                    const char *a1, const char *a2)
{
    struct why_addr cli = A("198.19.0.1"), srv = A("198.19.0.53"), addrs[2];
    static uint16_t qid;
    struct why_dns_rec *d = why_store_dns_new(&f->st, &cli, 40000, &srv, 53, ++qid, name, qtype);
    assert_non_null(d);
    d->q_ts = d->last_q_ts = T(q);
    d->answered = true;
    d->a_ts = T(a);
    uint32_t n = 0;
    if (a1)
        addrs[n++] = A(a1);
    if (a2)
        addrs[n++] = A(a2);
    why_store_dns_answer(&f->st, d, addrs, n);
    return d;
}

/* The span of a name's records a window needs: from the oldest not answered, or else the first
 * asked too late to have been answered before the window (by their longest wait and 1 ms of
 * rounding), to the first asked more than their disorder (and 1 ms) after the window began. */
static void dns_span_of_window(void **state)
{
    struct fixture *f = *state;
    struct why_addr cli = A("198.19.0.2"), srv = A("198.19.0.53"), addr = A("198.19.0.10");
    uint64_t key = why_request_key("", "shop.lab");
    struct why_dns_span sp;
    struct why_dns_rec *first = why_store_dns_new(&f->st, &cli, 40001, &srv, 53, 9, "shop.lab", WHY_DNS_A);
    first->q_ts = first->last_q_ts = T(0);
    for (int i = 1; i <= 100; i++) /* one a second, answered in 1 ms */
        answered(f, "shop.lab", WHY_DNS_A, i, i + 0.001, "198.19.0.10", NULL);
    assert_true(why_store_dns_span(&f->st, key, T(50.5), T(50.5), &sp));
    assert_int_equal(sp.n, 101);
    assert_int_equal(sp.lo, 0);  /* the one not answered */
    assert_int_equal(sp.hi, 51); /* 51 > 50.5 + 0.001: in order */
    first->answered = true;
    first->a_ts = T(0.001);
    why_store_dns_answer(&f->st, first, &addr, 1);
    assert_true(why_store_dns_span(&f->st, key, T(50.5), T(50.5), &sp));
    assert_int_equal(sp.lo, 51); /* 51 >= 50.5 - 0.001 - 0.001 */
    /* an answer that came 10 s after its query: so may any other have, but every one asked
     * before the window was answered before it (their latest query or answer, by the vector) */
    answered(f, "shop.lab", WHY_DNS_A, 101, 111, "198.19.0.10", NULL);
    assert_true(why_store_dns_span(&f->st, key, T(50.5), T(50.5), &sp));
    assert_int_equal(sp.lo, 51);
    assert_int_equal(sp.hi, 51);
    /* one asked 51 s before the latest asked before it: the span reaches past all asked
     * within 51 s of the window's start */
    answered(f, "shop.lab", WHY_DNS_A, 50, 50.001, "198.19.0.10", NULL);
    answered(f, "shop.lab", WHY_DNS_A, 112, 112.001, "198.19.0.10", NULL);
    assert_true(why_store_dns_span(&f->st, key, T(50.5), T(50.5), &sp));
    assert_int_equal(sp.n, 104);
    assert_int_equal(sp.hi, 103); /* 112, past 50.5 + 51 */
    assert_int_equal(sp.lo, 51);
}

/* A lookup answered long after its query widens the span of the windows it was pending in,
 * back to it, and of no window after its answer. */
static void dns_span_after_a_late_answer(void **state)
{
    struct fixture *f = *state;
    uint64_t key = why_request_key("", "api.lab");
    struct why_dns_span sp;
    struct why_addr cli = A("198.19.0.2"), srv = A("198.19.0.53");
    for (int i = 1; i <= 100; i++) { /* one a second, answered in 1 ms; the 40th in 12 s */
        if (i != 70) {
            answered(f, "api.lab", WHY_DNS_A, i, i == 40 ? 52 : i + 0.001, "198.19.0.10", NULL);
            continue;
        }
        struct why_dns_rec *never = why_store_dns_new(&f->st, &cli, 40002, &srv, 53, 7, "api.lab", WHY_DNS_A);
        assert_non_null(never); /* the 70th: never answered */
        never->q_ts = never->last_q_ts = T(70);
    }
    assert_true(why_store_dns_span(&f->st, key, T(50.5), T(50.5), &sp));
    assert_int_equal(sp.lo, 39); /* the 40th, still waiting at 50.5 */
    assert_int_equal(sp.hi, 50);
    assert_true(why_store_dns_span(&f->st, key, T(60.5), T(60.5), &sp));
    assert_int_equal(sp.lo, 60); /* not 48: 60.5 - 12 s (the longest wait) */
    assert_int_equal(sp.hi, 60);
    assert_true(why_store_dns_span(&f->st, key, T(80.5), T(80.5), &sp));
    assert_int_equal(sp.lo, 69); /* the one never answered */
    assert_int_equal(sp.hi, 80);
}

/* The span's bounds, searched, against the vector read entry by entry: for windows at every
 * quarter second of a name asked out of order and answered in 1 ms to 3 s. */
static void dns_span_searched_as_read(void **state)
{
    struct fixture *f = *state;
    uint64_t key = why_request_key("", "img.lab");
    struct why_dns_span sp;
    for (int i = 0; i < 400; i++) {
        double q = 1 + i * 0.1 - (i % 9 == 4 ? 0.25 : 0), wait = i % 23 == 0 ? 3 : 0.001 * (1 + i % 5);
        answered(f, "img.lab", WHY_DNS_A, q, q + wait, "198.19.0.10", NULL);
    }
    for (int w = 1; w <= 180; w++) {
        double t = w * 0.25;
        assert_true(why_store_dns_span(&f->st, key, T(t - 0.002), T(t), &sp));
        int64_t db = why_ts_us(T(t - 0.002)), after = why_ts_us(T(t)) + sp.slack_us + 1001;
        uint32_t hi = 0, lo = 0, open = 0;
        while (hi < sp.n && sp.e[hi].qmax_us < after)
            hi++;
        while (lo < hi && sp.e[lo].qmax_us < db - sp.late_us - 1000)
            lo++;
        while (open < sp.n && sp.e[open].d->answered)
            open++;
        if (lo > open)
            lo = open;
        while (lo < open && sp.e[lo].done_us < db - 1000)
            lo++;
        assert_int_equal(sp.hi, hi);
        assert_int_equal(sp.lo, lo < hi ? lo : hi);
    }
}

/* why_store_dns_upto against a walk from the newest record: the newest asked by t and how
 * many after it, asked for times in any order, after records come and after some go. */
static void dns_upto_matches_walk(struct fixture *f, double t)
{
    uint64_t n = 0, after = 99;
    const struct why_dns_rec *x = f->st.dtail;
    for (; x && why_ts_cmp(x->q_ts, T(t)) > 0; x = x->prev)
        n++;
    assert_ptr_equal(why_store_dns_upto(&f->st, T(t), &after), x);
    assert_int_equal(after, n);
}

static void dns_upto_of_time(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 300; i++) /* ten a second, every seventh asked 5 ms before the one before */
        answered(f, "shop.lab", WHY_DNS_A, 1 + i * 0.1 - (i % 7 == 6 ? 0.105 : 0), 1 + i * 0.1 + 0.001,
                 "198.19.0.10", NULL);
    static const double up[] = {0.5, 1.0, 1.05, 1.6, 1.6, 1.65, 2.0, 5.0, 5.003, 9.0, 20.0, 40.0};
    for (size_t i = 0; i < sizeof up / sizeof up[0]; i++)
        dns_upto_matches_walk(f, up[i]);
    for (size_t i = sizeof up / sizeof up[0]; i-- > 0;)
        dns_upto_matches_walk(f, up[i]);
    for (int i = 0; i < 200; i++)
        dns_upto_matches_walk(f, 1 + (i * 7919 % 300) * 0.1 - 0.02);
    for (int i = 6; i < 300; i += 7) /* between one asked early and the one before it */
        dns_upto_matches_walk(f, 1 + (i - 1) * 0.1 - 0.003);
    answered(f, "shop.lab", WHY_DNS_A, 31.5, 31.501, "198.19.0.10", NULL); /* one more */
    dns_upto_matches_walk(f, 31.6);
    dns_upto_matches_walk(f, 20.0);
    struct why_addr cli = A("198.19.0.1"), srv = A("198.19.0.53");
    why_store_dns_new(&f->st, &cli, 40000, &srv, 53, 9999, "new.lab", WHY_DNS_A)->q_ts = T(31.7); /* unanswered */
    dns_upto_matches_walk(f, 31.8);
    dns_upto_matches_walk(f, 31.6);
    why_store_prune(&f->st, T(16), false); /* those answered before about 14 s go */
    assert_true(f->st.ndns > 0 && f->st.ndns < 301);
    for (int i = 0; i < 60; i++)
        dns_upto_matches_walk(f, 1 + (i * 31 % 320) * 0.1);
}

/* A lookup that may have failed made by upto and asked at `from` or after, through
 * why_store_dns_failed_upto and the list before it, as other_name_failing reads them. */
static bool failed_since(struct why_store *st, const struct why_dns_rec *upto, struct why_ts from)
{
    int64_t lag = why_store_dns_order_lag(st);
    struct why_ts stop = why_ts_add_us(from, lag < 0 ? 0 : -lag);
    for (const struct why_dns_rec *d = why_store_dns_failed_upto(st, upto, from); d; d = why_store_dns_failed_prev(d)) {
        assert_true(d->id <= upto->id);
        if (why_ts_cmp(d->q_ts, from) >= 0)
            return true;
        if (lag >= 0 && why_ts_cmp(d->q_ts, stop) < 0)
            break;
    }
    return false;
}

/* The lookups that may have failed (not answered with an address, no request's own) made by a
 * record and asked from a time on: an NXDOMAIN and one unanswered among answered ones; the
 * unanswered one leaves once answered with an address, a failed one once a request claims it
 * as its own (not when claimed as the gateway's schedule too), and pruned ones go. */
static void dns_failed_upto_of(void **state)
{
    struct fixture *f = *state;
    struct why_dns_rec *ok[10];
    for (int i = 0; i < 10; i++)
        ok[i] = answered(f, "shop.lab", WHY_DNS_A, 1 + i, 1 + i + 0.001, "198.19.0.10", NULL);
    struct why_dns_rec *nx = answered(f, "nx.lab", WHY_DNS_A, 5.5, 5.501, NULL, NULL);
    nx->rcode = WHY_DNS_NXDOMAIN;
    struct why_addr cli = A("198.19.0.1"), srv = A("198.19.0.53"), a = A("198.19.0.11");
    struct why_dns_rec *wait = why_store_dns_new(&f->st, &cli, 40001, &srv, 53, 4242, "slow.lab", WHY_DNS_A);
    wait->q_ts = wait->last_q_ts = T(8.5);
    struct why_dns_rec *last = answered(f, "shop.lab", WHY_DNS_A, 11, 11.001, "198.19.0.10", NULL);
    assert_ptr_equal(why_store_dns_failed_upto(&f->st, last, T(8)), wait);
    assert_null(why_store_dns_failed_upto(&f->st, ok[6], T(1))); /* both made after ok[6] */
    assert_ptr_equal(why_store_dns_failed_upto(&f->st, wait, T(1)), wait);
    assert_ptr_equal(why_store_dns_failed_prev(wait), nx);
    assert_true(failed_since(&f->st, last, T(8)));   /* slow.lab */
    assert_true(failed_since(&f->st, last, T(5.5))); /* both */
    assert_false(failed_since(&f->st, last, T(9)));
    assert_false(failed_since(&f->st, ok[4], T(1))); /* made after ok[4] */
    assert_true(failed_since(&f->st, nx, T(1)));
    wait->answered = true;
    wait->a_ts = T(8.6);
    why_store_dns_answer(&f->st, wait, &a, 1);
    assert_false(failed_since(&f->st, last, T(8)));
    assert_true(failed_since(&f->st, last, T(5)));
    nx->scheduled = true;
    why_store_dns_claim(&f->st, nx); /* the schedule's: it still failed */
    assert_true(failed_since(&f->st, last, T(5)));
    struct why_dns_rec *own = answered(f, "gone.lab", WHY_DNS_A, 12, 12.001, NULL, NULL);
    assert_true(failed_since(&f->st, own, T(12)));
    why_store_dns_claim(&f->st, own); /* a request's own */
    assert_true(own->claimed);
    assert_false(failed_since(&f->st, own, T(12)));
    why_store_prune(&f->st, T(20), false); /* all answered before 17.5 go */
    assert_int_equal(f->st.ndns, 0);
    struct why_dns_rec *again = answered(f, "nx.lab", WHY_DNS_A, 30, 30.001, NULL, NULL);
    assert_true(failed_since(&f->st, again, T(1)));
    assert_ptr_equal(f->st.xhead, again);
}

/* A name's vector compacted by pruning keeps room for what it holds, and grows again past
 * the room it had: every record left and every record added after is in it, in order. */
static void dns_vector_grows_after_compaction(void **state)
{
    struct fixture *f = *state;
    uint64_t key = why_request_key("", "v.lab");
    for (int i = 1; i <= 8; i++) /* the vector's room: 4, then 8 */
        answered(f, "v.lab", WHY_DNS_A, i, i + 0.001, "198.19.1.1", NULL);
    why_store_prune(&f->st, T(7.5), false); /* asked by 5.498: the first five go */
    assert_int_equal(f->pruned_dns, 5);
    for (int i = 9; i <= 26; i++) /* 3 left, 18 more: past 8, then past 16 */
        answered(f, "v.lab", WHY_DNS_A, i, i + 0.001, "198.19.1.1", NULL);
    struct why_dns_span sp;
    assert_true(why_store_dns_span(&f->st, key, T(0), T(100), &sp));
    int n = 0;
    double want = 6;
    for (uint32_t k = sp.lo; k < sp.n; k++) {
        if (!sp.e[k].d)
            continue;
        assert_int_equal(why_ts_cmp(sp.e[k].d->q_ts, T(want)), 0);
        assert_int_equal(sp.e[k].d->npos, k);
        want++;
        n++;
    }
    assert_int_equal(n, 21);
    assert_int_equal(sp.lo, 0);
    assert_int_equal(sp.hi, sp.n);
}

/* Answers by name and family: in answer-time order whatever order they were read in (a
 * capture's times out of order), an answer with both families in both chains, one with no
 * address in none; pruning takes them out and the chains stay whole. */
static void dns_answers_by_family(void **state)
{
    struct fixture *f = *state;
    struct why_dns_rec *a3 = answered(f, "shop.lab", WHY_DNS_A, 3, 3.001, "198.19.1.3", NULL);
    struct why_dns_rec *a1 = answered(f, "shop.lab", WHY_DNS_A, 1, 1.001, "198.19.1.1", NULL); /* read late */
    struct why_dns_rec *six = answered(f, "shop.lab", WHY_DNS_AAAA, 2, 2.001, "fd00::1", NULL);
    struct why_dns_rec *both = answered(f, "shop.lab", WHY_DNS_A, 2.5, 2.501, "198.19.1.2", "fd00::2");
    answered(f, "shop.lab", WHY_DNS_A, 4, 4.001, NULL, NULL); /* NODATA */
    answered(f, "blog.lab", WHY_DNS_A, 5, 5.001, "198.19.1.3", NULL);
    struct why_dns_rec *seen[8];
    assert_int_equal(answers(&f->st, "shop.lab", 4, seen), 3);
    assert_ptr_equal(seen[0], a3);
    assert_ptr_equal(seen[1], both);
    assert_ptr_equal(seen[2], a1);
    assert_int_equal(answers(&f->st, "shop.lab", 6, seen), 2);
    assert_ptr_equal(seen[0], both);
    assert_ptr_equal(seen[1], six);
    assert_null(why_store_dns_answers(&f->st, why_request_key("", "shop.lab"), 0));
    /* the oldest go at pruning (they were answered long before); a later answer read
     * after that takes its place among those left */
    for (struct why_dns_rec *d = f->st.dhead; d; d = d->next)
        if (d != a1 && d != six) {
            d->q_ts = d->last_q_ts = T(d->q_ts.sec - 1700000000 + 200);
            d->a_ts = T(d->a_ts.sec - 1700000000 + 200 + d->a_ts.nsec / 1e9);
        }
    why_store_prune(&f->st, T(1 + 121), false);
    assert_int_equal(f->pruned_dns, 2);
    assert_int_equal(answers(&f->st, "shop.lab", 4, seen), 2);
    assert_ptr_equal(seen[0], a3);
    assert_ptr_equal(seen[1], both);
    assert_null(both->fnext[0]);
    assert_int_equal(answers(&f->st, "shop.lab", 6, seen), 1);
    assert_null(both->fnext[1]);
    assert_null(both->fprev[1]);
    struct why_dns_rec *mid = answered(f, "shop.lab", WHY_DNS_A, 202.6, 202.7, "198.19.1.4", NULL);
    assert_int_equal(answers(&f->st, "shop.lab", 4, seen), 3);
    assert_ptr_equal(seen[0], a3);
    assert_ptr_equal(seen[1], mid);
    assert_ptr_equal(seen[2], both);
    assert_ptr_equal(both->fprev[0], mid);
    why_store_prune(&f->st, T(1000), true);
    assert_null(why_store_dns_answers(&f->st, why_request_key("", "shop.lab"), 4));
    assert_null(why_store_dns_answers(&f->st, why_request_key("", "shop.lab"), 6));
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
    for (uint32_t b = 0; b < f->st.nkbuckets; b++) {
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

/* A record answered (why_store_dns_answer with answered set) leaves the indexes of the
 * records not answered: a query again with the same key is a new record, found then; the
 * indexes grow with the queries waiting (an outage of the resolver), not with every record,
 * and a record answered or pruned leaves no link behind in them. */
static void dns_live_index(void **state)
{
    struct fixture *f = *state;
    struct why_addr cli = A("198.19.0.1"), srv = A("198.19.0.53"), ip = A("198.19.1.1");
    struct why_dns_rec *d = why_store_dns_new(&f->st, &cli, 40000, &srv, 53, 7, "shop.lab", WHY_DNS_A);
    assert_non_null(d);
    assert_int_equal(f->st.nlive, 1);
    assert_ptr_equal(why_store_dns_find(&f->st, &cli, 40000, &srv, 7, "shop.lab", WHY_DNS_A), d);
    assert_ptr_equal(why_store_dns_unanswered(&f->st, &cli, 40000, &srv), d);
    d->answered = true;
    d->a_ts = T(1);
    why_store_dns_answer(&f->st, d, &ip, 1);
    assert_int_equal(f->st.nlive, 0);
    assert_null(why_store_dns_find(&f->st, &cli, 40000, &srv, 7, "shop.lab", WHY_DNS_A));
    assert_null(why_store_dns_unanswered(&f->st, &cli, 40000, &srv));
    assert_int_equal(by_addr(f, &ip), 1); /* (the answer's other indexes keep it) */
    struct why_dns_rec *again = why_store_dns_new(&f->st, &cli, 40000, &srv, 53, 7, "shop.lab", WHY_DNS_A);
    assert_ptr_equal(why_store_dns_find(&f->st, &cli, 40000, &srv, 7, "shop.lab", WHY_DNS_A), again);
    /* a resolver down: every query waits, the indexes grow past their first size */
    enum { N = 3 * WHY_DNS_LIVE_BUCKETS };
    char name[32];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "n%05d.lab", i);
        assert_non_null(why_store_dns_new(&f->st, &cli, (uint16_t)(20000 + i % 7), &srv, 53, (uint16_t)i, name, WHY_DNS_A));
    }
    assert_int_equal(f->st.nlive, N + 1);
    assert_true(f->st.nkbuckets >= N);
    uint32_t keyed = 0, socked = 0;
    for (uint32_t b = 0; b < f->st.nkbuckets; b++) {
        for (const struct why_dns_rec *o = f->st.dkey[b]; o; o = o->knext)
            keyed++;
        for (const struct why_dns_rec *o = f->st.dsock[b]; o; o = o->snext)
            socked++;
    }
    assert_int_equal(keyed, N + 1);
    assert_int_equal(socked, N + 1);
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "n%05d.lab", i);
        assert_non_null(why_store_dns_find(&f->st, &cli, (uint16_t)(20000 + i % 7), &srv, (uint16_t)i, name, WHY_DNS_A));
    }
    /* the latest waiting on a socket, after the relinking */
    snprintf(name, sizeof name, "n%05d.lab", N - 1);
    assert_ptr_equal(why_store_dns_unanswered(&f->st, &cli, (uint16_t)(20000 + (N - 1) % 7), &srv),
                     why_store_dns_find(&f->st, &cli, (uint16_t)(20000 + (N - 1) % 7), &srv, (uint16_t)(N - 1), name, WHY_DNS_A));
    why_store_prune(&f->st, T(1000), true);
    assert_int_equal(f->st.ndns, 0);
    assert_int_equal(f->st.nlive, 0);
    for (uint32_t b = 0; b < f->st.nkbuckets; b++) {
        assert_null(f->st.dkey[b]);
        assert_null(f->st.dsock[b]);
    }
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
    gateway(f, A("198.19.0.1"));
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

/* The places of the gateway's upstream connections in the vector by creation: the held
 * client connections between them are not among them; a record added later is, at the next
 * call; a change of the gateway addresses builds them again. */
static void upstream_slots_skip_held_clients(void **state)
{
    struct fixture *f = *state;
    struct why_conn held = f->conns[0];
    held.cli_addr = A("198.18.1.10");
    held.srv_addr = A("198.18.1.1");
    struct why_conn_rec *first = why_store_conn_new(&f->st, &held);
    struct why_conn_rec *up1 = why_store_conn_new(&f->st, &f->conns[1]);
    for (int i = 0; i < 100; i++) {
        held.cli_port = (uint16_t)(40000 + i);
        assert_non_null(why_store_conn_new(&f->st, &held));
    }
    struct why_conn_rec *up2 = why_store_conn_new(&f->st, &f->conns[2]);
    size_t n = 99;
    /* no gateway known: no upstream connection */
    assert_non_null(why_store_upstream_slots(&f->st, &f->gw, &n));
    assert_int_equal(n, 0);
    /* 198.19.0.1 serves HTTP and opens connections: the gateway, client side of up1, up2 */
    gateway(f, A("198.19.0.1"));
    const uint32_t *us = why_store_upstream_slots(&f->st, &f->gw, &n);
    assert_non_null(us);
    assert_int_equal(n, 2);
    assert_int_equal(us[0], up1->slot);
    assert_int_equal(us[1], up2->slot);
    assert_int_equal(f->st.slots[us[1]].rc, up2);
    /* one more upstream connection: found at the next call, after the others */
    struct why_conn_rec *up3 = why_store_conn_new(&f->st, &f->conns[3]);
    us = why_store_upstream_slots(&f->st, &f->gw, &n);
    assert_int_equal(n, 3);
    assert_int_equal(us[2], up3->slot);
    /* the held clients' address turns out to be a gateway too (a chain of proxies): their
     * connections to 198.18.1.1 are that gateway's upstream connections now */
    gateway(f, A("198.18.1.10"));
    us = why_store_upstream_slots(&f->st, &f->gw, &n);
    assert_int_equal(n, 104);
    assert_int_equal(us[0], first->slot);
    assert_int_equal(us[1], up1->slot);
    for (size_t i = 1; i < n; i++)
        assert_true(us[i - 1] < us[i]);
}

/* The places of the upstream records that could be a try: an established connection that
 * carried HTTP is left out once it is WHY_TRY_SLOTS_AGE_US older than the newest record; a
 * failed attempt, or a connection that carried something else, stays; a record is sorted
 * once, and the ones not sorted yet are beyond the front. */
static void try_slots_leave_out_carried_http(void **state)
{
    struct fixture *f = *state;
    gateway(f, A("198.19.0.1"));
    struct why_conn c[5];
    struct why_conn_rec *rc[5];
    /* the last newer than the others by less than the age (0.1 s) */
    for (int i = 0; i < 5; i++)
        rc[i] = upstream_at(f, &c[i], (uint16_t)(51000 + i), i < 4 ? 1 + i * 0.01 : 1.09, false);
    c[0].established = c[2].established = c[3].established = c[4].established = true;
    rc[0]->app = rc[4]->app = WHY_APP_HTTP;
    rc[2]->app = WHY_APP_TLS; /* carried something else */
    rc[3]->app = WHY_APP_H2;  /* (c[1]: SYNs unanswered) */
    size_t n = 99, front = 99;
    const uint32_t *ts = why_store_try_slots(&f->st, &f->gw, &n, &front);
    assert_non_null(ts);
    /* 1.09 s is the newest: the records of 0.99 s and before are sorted, none is */
    assert_int_equal(front, 0);
    assert_int_equal(n, 0);
    struct why_conn late;
    upstream_at(f, &late, 52000, 1.125, false);
    ts = why_store_try_slots(&f->st, &f->gw, &n, &front);
    assert_int_equal(front, 3); /* 1.00, 1.01, 1.02 sorted (by 1.025) */
    assert_int_equal(n, 2);
    assert_int_equal(ts[0], rc[1]->slot);
    assert_int_equal(ts[1], rc[2]->slot);
    /* sorted once: the failed attempt that connects and carries HTTP later stays */
    c[1].established = true;
    rc[1]->app = WHY_APP_HTTP;
    struct why_conn later;
    upstream_at(f, &later, 52001, 4, false);
    ts = why_store_try_slots(&f->st, &f->gw, &n, &front);
    assert_int_equal(front, 6);
    assert_int_equal(n, 3);
    assert_int_equal(ts[0], rc[1]->slot);
    assert_int_equal(ts[2], f->st.slots[f->st.uslots[5]].rc->slot);
    size_t nus;
    const uint32_t *us = why_store_upstream_slots(&f->st, &f->gw, &nus);
    assert_int_equal(nus, 7);
    assert_int_equal(us[5], ts[2]);
}

/* Compacting the vector by creation (half its entries freed) moves the places of the
 * upstream and try records with their entries: the freed ones leave both, the others are
 * kept as they were sorted, not read again (a record sorted as a try that connected and
 * carried HTTP since stays one), and a later call reads only the records added since. */
static void try_slots_kept_through_compaction(void **state)
{
    struct fixture *f = *state;
    gateway(f, A("198.19.0.1"));
    struct why_conn c[9];
    struct why_conn_rec *rc[9];
    /* the last the newest by far: the eight before it are sorted; the even ones carried
     * HTTP, the odd ones failed */
    for (int i = 0; i < 9; i++) {
        rc[i] = upstream_at(f, &c[i], (uint16_t)(51000 + i), i < 8 ? 1 + i * 0.01 : 2, i % 2 == 0);
        rc[i]->app = i % 2 == 0 ? WHY_APP_HTTP : WHY_APP_UNKNOWN;
    }
    size_t n, front, nus;
    const uint32_t *ts = why_store_try_slots(&f->st, &f->gw, &n, &front);
    assert_int_equal(front, 8);
    assert_int_equal(n, 4);
    for (int k = 0; k < 4; k++)
        assert_ptr_equal(f->st.slots[ts[k]].rc, rc[2 * k + 1]);
    /* the first five close and go (more than half of the nine), and rc[5], sorted as a try,
     * connects and carries HTTP */
    for (int i = 0; i < 5; i++) {
        rc[i]->closed = true;
        why_store_conn_active(&f->st, rc[i]);
        rc[i]->c->half[0].last_ts = rc[i]->c->half[1].last_ts = T(1);
    }
    c[5].established = true;
    rc[5]->app = WHY_APP_HTTP;
    why_store_prune(&f->st, T(1 + 121), false);
    assert_int_equal(f->pruned_conns, 5);
    assert_int_equal(f->st.nslots, 4); /* compacted */
    assert_int_equal(f->st.uslots_upto, 4);
    const uint32_t *us = why_store_upstream_slots(&f->st, &f->gw, &nus);
    assert_int_equal(nus, 4);
    for (int k = 0; k < 4; k++)
        assert_ptr_equal(f->st.slots[us[k]].rc, rc[5 + k]);
    ts = why_store_try_slots(&f->st, &f->gw, &n, &front);
    assert_int_equal(front, 3);
    assert_int_equal(n, 2);
    assert_ptr_equal(f->st.slots[ts[0]].rc, rc[5]); /* as sorted, not read again */
    assert_ptr_equal(f->st.slots[ts[1]].rc, rc[7]);
    /* one more, much later: rc[8] is sorted now, and nothing before it is read */
    struct why_conn late;
    upstream_at(f, &late, 52000, 4, false);
    ts = why_store_try_slots(&f->st, &f->gw, &n, &front);
    assert_int_equal(front, 4);
    assert_int_equal(n, 2); /* rc[8] carried HTTP */
}

/* The index of TLS records is kept from the start: empty (not NULL, which would send its
 * readers over every record held) until a record is found to be TLS, and again once it goes. */
static void tls_records_indexed(void **state)
{
    struct fixture *f = *state;
    size_t n = 99;
    struct why_conn_rec *const *v = why_store_tls_recs(&f->st, &n);
    assert_non_null(v);
    assert_int_equal(n, 0);
    struct why_conn_rec *plain = why_store_conn_new(&f->st, &f->conns[0]);
    struct why_conn_rec *tls = why_store_conn_new(&f->st, &f->conns[1]);
    assert_non_null(plain);
    assert_non_null(tls);
    tls->app = WHY_APP_TLS;
    why_store_tls_add(&f->st, tls);
    v = why_store_tls_recs(&f->st, &n);
    assert_int_equal(n, 1);
    assert_ptr_equal(v[0], tls);
    tls->closed = true;
    why_store_conn_active(&f->st, tls);
    tls->c->half[0].last_ts = tls->c->half[1].last_ts = T(1);
    why_store_prune(&f->st, T(1 + 121), false);
    assert_int_equal(f->pruned_conns, 1);
    v = why_store_tls_recs(&f->st, &n);
    assert_non_null(v);
    assert_int_equal(n, 0);
}

/* A record with a ClientHello of key `key` on the index by random (conn c, left as made). */
static struct why_conn_rec *hello_rec(struct fixture *f, struct why_conn *c, uint64_t key)
{
    struct why_conn_rec *rc = why_store_conn_new(&f->st, c);
    assert_non_null(rc);
    rc->app = WHY_APP_TLS;
    assert_non_null(why_store_tls_facts(&f->st, rc));
    rc->tls->hello_key = key;
    why_store_hello_add(&f->st, rc);
    return rc;
}

/* The index by ClientHello random: the two legs of one handshake find each other, and only
 * each other; a record added twice is there once; a bucket full of one key leaves the rest out
 * (at most WHY_HELLO_SAME - 1 twins, never a walk of them all); growing keeps every pair; a
 * record freed leaves. (The join's use: tests/e2e TESTLIST tls-passthrough.) */
static void hello_twins_indexed(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *tw[WHY_HELLO_SAME];
    struct why_conn_rec *a = hello_rec(f, &f->conns[0], 0x1234567890abcdefu);
    struct why_conn_rec *b = hello_rec(f, &f->conns[1], 0x1234567890abcdefu);
    struct why_conn_rec *other = hello_rec(f, &f->conns[2], 0x1234567890abcdeeu);
    why_store_hello_add(&f->st, a); /* a second ClientHello on a: the same random */
    assert_int_equal(why_store_hello_twins(&f->st, a, tw), 1);
    assert_ptr_equal(tw[0], b);
    assert_int_equal(why_store_hello_twins(&f->st, b, tw), 1);
    assert_ptr_equal(tw[0], a);
    assert_int_equal(why_store_hello_twins(&f->st, other, tw), 0);
    assert_int_equal(f->st.nhello, 3);

    /* many records of one key (a client that repeats its random): the first WHY_HELLO_SAME
     * are indexed, the rest are not, and nothing walks them */
    static struct why_conn same[12];
    for (int i = 0; i < 12; i++) {
        same[i] = f->conns[3];
        same[i].cli_port = (uint16_t)(40000 + i);
        hello_rec(f, &same[i], 0x77u << 17);
    }
    struct why_conn_rec *x = hello_rec(f, &f->conns[3], 0x77u << 17);
    assert_int_equal(f->st.nhello, 3 + WHY_HELLO_SAME); /* x is not on it */
    assert_int_equal(why_store_hello_twins(&f->st, x, tw), WHY_HELLO_SAME - 1); /* the first */

    /* growth: 3,000 pairs more, each pair still found after the table doubled */
    enum { PAIRS = 3000 };
    static struct why_conn pc[2 * PAIRS];
    static struct why_conn_rec *pr[2 * PAIRS];
    uint32_t before = f->st.nhello_ents;
    for (int i = 0; i < 2 * PAIRS; i++) {
        pc[i] = f->conns[0];
        pc[i].cli_port = (uint16_t)(1000 + i);
        pr[i] = hello_rec(f, &pc[i], (uint64_t)(i / 2 + 1) * 0x9e3779b97f4a7c15u);
    }
    assert_true(f->st.nhello_ents > before);
    for (int i = 0; i < 2 * PAIRS; i++) {
        uint32_t n = why_store_hello_twins(&f->st, pr[i], tw);
        assert_int_equal(n, 1);
        assert_ptr_equal(tw[0], pr[i ^ 1]);
    }
    assert_int_equal(why_store_hello_twins(&f->st, a, tw), 1);

    /* freed: b leaves, and a has no twin */
    b->closed = true;
    why_store_conn_active(&f->st, b);
    b->c->half[0].last_ts = b->c->half[1].last_ts = T(1);
    for (int i = 0; i < 2 * PAIRS; i++)
        pr[i]->claimed = true;
    why_store_prune(&f->st, T(1 + 121), false);
    assert_int_equal(why_store_hello_twins(&f->st, a, tw), 0);
}

/* A record leaving the index moves the entries after it back (a key's entries lie before the
 * first free entry, where a walk stops): a twin put past a record freed later is still found.
 * And a pair from two client addresses to two servers, the first open, is a handshake passed
 * through: counted once, the relay's two addresses named; a pair from one address is not. */
static void hello_index_keeps_runs_and_counts_relays(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *tw[WHY_HELLO_SAME];
    /* one home for two keys: a at it, b and its twin b2 after */
    uint64_t k1 = (5ull << 17) | 1u, k2 = (5ull << 17) | 2u;
    struct why_conn_rec *a = hello_rec(f, &f->conns[0], k1);
    struct why_conn_rec *b = hello_rec(f, &f->conns[1], k2);
    struct why_conn_rec *b2 = hello_rec(f, &f->conns[2], k2);
    assert_int_equal(f->sum.tls_passed_through, 0); /* b and b2: one client address */
    a->closed = true;
    why_store_conn_active(&f->st, a);
    a->c->half[0].last_ts = a->c->half[1].last_ts = T(1);
    why_store_prune(&f->st, T(1 + 121), false);
    assert_int_equal(f->st.nhello, 2);
    assert_int_equal(why_store_hello_twins(&f->st, b, tw), 1);
    assert_ptr_equal(tw[0], b2);
    assert_int_equal(why_store_hello_twins(&f->st, b2, tw), 1);
    assert_ptr_equal(tw[0], b);

    /* a relay: the client's leg to 198.19.0.10:80, the relay's from 198.19.0.2 to
     * 198.19.0.20:443 a millisecond later */
    static struct why_conn cl, up;
    cl = f->conns[3];
    cl.srv_addr = A("198.19.0.10");
    cl.half[0].first_data_ts = T(200);
    cl.half[0].first_data_frame = 10;
    up = f->conns[3];
    up.cli_addr = A("198.19.0.2");
    up.srv_addr = A("198.19.0.20");
    up.srv_port = 443;
    up.half[0].first_data_ts = why_ts_add_us(T(200), 1000);
    up.half[0].first_data_frame = 12;
    struct why_conn_rec *u = hello_rec(f, &up, 0xabcdef0123u); /* (indexed first: -i any's order) */
    struct why_conn_rec *c = hello_rec(f, &cl, 0xabcdef0123u);
    struct why_conn_rec *cli, *upl;
    assert_true(why_store_hello_relay(u, c, &cli, &upl));
    assert_ptr_equal(cli, c);
    assert_ptr_equal(upl, u);
    assert_int_equal(f->sum.tls_passed_through, 1);
    assert_int_equal(f->sum.nrelays, 2);
    assert_true(why_addr_eq(&f->sum.relays[0], &cl.srv_addr));
    assert_true(why_addr_eq(&f->sum.relays[1], &up.cli_addr));
    /* the client's leg gone from the table 3 ms before the other's ClientHello: no relay */
    c->closed = true;
    cl.half[0].last_ts = cl.half[1].last_ts = why_ts_add_us(T(200), -2000);
    assert_false(why_store_hello_relay(u, c, &cli, &upl));
}

/* The queued requests of one host from the index by host, in the order they began. */
static int queued_of(const struct fixture *f, const char *host, struct why_txn **out, int max)
{
    int n = 0;
    uint64_t key = why_request_key("", host);
    for (struct why_txn *t = why_store_queued_host(&f->st, key); t; t = t->hqnext)
        if (t->hkey == key && strcmp(t->ihost, host) == 0 && n < max)
            out[n++] = t;
    return n;
}

/* due() for complete_due: requests whose resp_end_ts is at or before the given time are due;
 * the others say they cannot be before their resp_end_ts (us). Counts its calls. */
struct due_probe {
    struct why_ts now;
    int calls;
};

static bool due_by_end(const void *arg, const struct why_txn *t, int64_t *not_before)
{
    struct due_probe *p = (struct due_probe *)arg;
    p->calls++;
    if (why_ts_cmp(t->resp_end_ts, p->now) <= 0)
        return true;
    *not_before = why_ts_us(t->resp_end_ts);
    return false;
}

/* The complete requests due at a sweep, in queue order; one that said it cannot be due before
 * a time is not looked at (not read) until then; leaving the queue takes one out of the middle
 * of the store's vector without losing the others. */
static void complete_due(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *a = why_store_conn_new(&f->st, &f->conns[0]);
    struct why_txn *r[4];
    const double end[4] = {5.0, 1.0, 3.0, 2.0};
    for (int i = 0; i < 4; i++) {
        r[i] = request(f, a, "GET", "/x", "shop.lab");
        r[i]->req_first_ts = r[i]->req_ts = T(0.5);
        why_store_queue_push(&f->st, r[i]);
    }
    /* made complete in another order than the queue's */
    const int order[4] = {2, 0, 3, 1};
    for (int k = 0; k < 4; k++) {
        struct why_txn *t = r[order[k]];
        t->resp_done = true;
        t->resp_end_ts = T(end[order[k]]);
        why_store_txn_complete(&f->st, t);
    }
    struct due_probe p = {T(2.5), 0};
    assert_int_equal(why_store_complete_due(&f->st, due_by_end, &p, p.now), 2);
    assert_int_equal(p.calls, 4);
    assert_ptr_equal(f->st.ready[0], r[1]); /* queue order, not completion order */
    assert_ptr_equal(f->st.ready[1], r[3]);
    why_store_queue_remove(&f->st, r[3]); /* decided: out of the middle of the vector */
    why_store_queue_remove(&f->st, r[1]);
    /* r[0] (5.0) and r[2] (3.0) said when they could be due: before then, neither is read */
    p.calls = 0;
    p.now = T(2.9);
    assert_int_equal(why_store_complete_due(&f->st, due_by_end, &p, p.now), 0);
    assert_int_equal(p.calls, 0);
    p.now = T(3.0);
    assert_int_equal(why_store_complete_due(&f->st, due_by_end, &p, p.now), 1);
    assert_int_equal(p.calls, 1);
    assert_ptr_equal(f->st.ready[0], r[2]);
    why_store_queue_remove(&f->st, r[2]);
    p.calls = 0;
    p.now = T(6.0);
    assert_int_equal(why_store_complete_due(&f->st, due_by_end, &p, p.now), 1);
    assert_int_equal(p.calls, 1);
    assert_ptr_equal(f->st.ready[0], r[0]);
    why_store_queue_remove(&f->st, r[0]);
    assert_int_equal(f->st.ncomplete, 0);
}

/* The queue's index by host: requests with a Host only, the one that began first first
 * whatever the order they were pushed in (equal times: push order), and out of it when they
 * leave the queue (decided, or freed with their record); those without a Host on a
 * list of their own. */
static void queue_by_host(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *a = why_store_conn_new(&f->st, &f->conns[0]);
    struct why_txn *r[5], *got[8];
    const double began[5] = {2.0, 1.0, 3.0, 1.0, 2.5};
    for (int i = 0; i < 5; i++) {
        r[i] = request(f, a, "GET", "/x", i == 4 ? "other.lab" : "shop.lab");
        r[i]->req_first_ts = r[i]->req_ts = T(began[i]);
    }
    struct why_txn *nohost = request(f, a, "GET", "http://shop.lab/y", "");
    nohost->req_first_ts = T(0.5);
    for (int i = 0; i < 5; i++)
        why_store_queue_push(&f->st, r[i]);
    why_store_queue_push(&f->st, nohost);
    struct why_txn *nohost2 = request(f, a, "GET", "/w", "");
    nohost2->req_first_ts = T(0.2);
    why_store_queue_push(&f->st, nohost2);
    /* without a Host: their own list, in push order */
    assert_ptr_equal(why_store_queued_nohost(&f->st), nohost);
    assert_ptr_equal(nohost->hqnext, nohost2);
    assert_null(nohost2->hqnext);
    why_store_queue_remove(&f->st, nohost);
    assert_ptr_equal(why_store_queued_nohost(&f->st), nohost2);
    assert_null(nohost2->hqprev);
    assert_int_equal(queued_of(f, "shop.lab", got, 8), 4);
    assert_ptr_equal(got[0], r[1]); /* 1.0, pushed before r[3] (1.0) */
    assert_ptr_equal(got[1], r[3]);
    assert_ptr_equal(got[2], r[0]);
    assert_ptr_equal(got[3], r[2]);
    assert_false(nohost->in_qhost); /* no Host: never on it */
    assert_int_equal(queued_of(f, "other.lab", got, 8), 1);
    /* decided: out of the queue and of the index (the first, a middle one, the last) */
    why_store_queue_remove(&f->st, r[1]);
    why_store_queue_remove(&f->st, r[0]);
    why_store_queue_remove(&f->st, r[2]);
    assert_int_equal(queued_of(f, "shop.lab", got, 8), 1);
    assert_ptr_equal(got[0], r[3]);
    assert_null(r[3]->hqprev);
    assert_null(r[3]->hqnext);
    /* one pushed later that began earlier goes first */
    struct why_txn *early = request(f, a, "GET", "/z", "shop.lab");
    early->req_first_ts = T(0.1);
    why_store_queue_push(&f->st, early);
    assert_int_equal(queued_of(f, "shop.lab", got, 8), 2);
    assert_ptr_equal(got[0], early);
    assert_ptr_equal(got[1], r[3]);
    /* hosts that differ in their last byte only have buckets of their own */
    struct why_txn *n1 = request(f, a, "GET", "/", "node1"), *n2 = request(f, a, "GET", "/", "node2");
    why_store_queue_push(&f->st, n1);
    why_store_queue_push(&f->st, n2);
    assert_ptr_equal(why_store_queued_host(&f->st, n1->hkey), n1);
    assert_ptr_equal(why_store_queued_host(&f->st, n2->hkey), n2);
    /* freed while still queued (the end of input): out of the index with its record */
    a->closed = true;
    why_store_prune(&f->st, T(1000), true);
    assert_null(why_store_queued_host(&f->st, why_request_key("", "shop.lab")));
    assert_null(why_store_queued_host(&f->st, why_request_key("", "other.lab")));
    assert_null(why_store_queued_nohost(&f->st));
}

/* why_store_queued_may_take answers from its counts and lists what a walk of the whole queue
 * answers (--exhaustive), and the lists by host and without a Host hold exactly the queued
 * requests they say, in their order, through pushes, completions, full joins and decisions
 * in any order (a seeded sequence of them). */
static void queue_counts_as_walked(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *a = why_store_conn_new(&f->st, &f->conns[0]);
    /* (a request without a Host holds every other back: one in eight) */
    static const char *const hosts[] = {"shop.lab", "other.lab", "shop.lab", "other.lab",
                                        "shop.lab", "other.lab", "third.lab", ""};
    static const char *const paths[] = {"/x", "/y", "http://shop.lab/x"};
    struct why_txn *live[64];
    int nlive = 0, answers[2] = {0, 0};
    uint32_t seed = 12345;
    for (int step = 0; step < 2000; step++) {
        seed = seed * 1103515245u + 12345u;
        uint32_t r = seed >> 8;
        if (nlive < 12 && (r % 3 == 0 || nlive == 0)) {
            struct why_txn *t = request(f, a, "GET", paths[(r >> 4) % 3], hosts[(r >> 6) % 8]);
            t->req_first_ts = t->req_ts = T(1.0 + (double)((r >> 9) % 50) / 10);
            why_store_queue_push(&f->st, t);
            live[nlive++] = t;
        } else {
            struct why_txn *t = live[(r >> 4) % (uint32_t)nlive];
            if (r % 3 == 1 && !t->in_complete) {
                why_store_txn_complete(&f->st, t);
            } else if (r % 3 == 1) {
                why_store_queue_full(&f->st, t);
            } else {
                t->decided = true;
                why_store_queue_remove(&f->st, t);
                for (int k = 0; k < nlive; k++)
                    if (live[k] == t)
                        live[k] = live[--nlive];
            }
        }
        for (int k = 0; k < nlive; k++) {
            bool v = why_store_queued_may_take(&f->st, live[k], false);
            assert_int_equal(v, why_store_queued_may_take(&f->st, live[k], true));
            answers[v]++;
        }
        /* the list without a Host: the queue's in_qnohost ones, in push order */
        const struct why_txn *n = why_store_queued_nohost(&f->st);
        for (const struct why_txn *q = f->st.qhead; q; q = q->qnext)
            if (!q->host[0]) {
                assert_ptr_equal(n, q);
                n = n->hqnext;
            }
        assert_null(n);
        /* each queued request with a Host in its bucket, the bucket in the order they began */
        for (int k = 0; k < nlive; k++) {
            if (!live[k]->host[0])
                continue;
            bool found = false;
            for (const struct why_txn *q = why_store_queued_host(&f->st, live[k]->hkey); q; q = q->hqnext) {
                found |= q == live[k];
                assert_true(!q->hqnext || why_ts_cmp(q->req_first_ts, q->hqnext->req_first_ts) <= 0);
            }
            assert_true(found);
        }
    }
    assert_true(answers[0] > 500 && answers[1] > 500); /* both answers, often */
}

static void pruning(void **state)
{
    struct fixture *f = *state;
    struct why_addr cli = A("198.19.0.1"), srv = A("198.19.0.53");
    struct why_dns_rec *d = why_store_dns_new(&f->st, &cli, 40000, &srv, 53, 7, "shop.lab", WHY_DNS_A);
    d->q_ts = d->last_q_ts = T(1);
    struct why_conn_rec *rc = why_store_conn_new(&f->st, &f->conns[0]);
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

/* A request queued after one that began later (within the queue's lag) still holds the
 * horizon back: a closed record from just before it stays until it is decided. */
static void horizon_held_by_a_late_push(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *cli = why_store_conn_new(&f->st, &f->conns[1]);
    const double begun[4] = {10.0, 10.5, 10.8, 10.4}; /* pushed in this order */
    struct why_txn *q[4];
    for (int i = 0; i < 4; i++) {
        q[i] = request(f, cli, "GET", "/q", "shop.lab");
        q[i]->req_first_ts = q[i]->req_ts = T(begun[i]);
        why_store_queue_push(&f->st, q[i]);
    }
    why_store_queue_remove(&f->st, q[0]);
    q[0]->decided = true;
    struct why_conn_rec *rc = why_store_conn_new(&f->st, &f->conns[0]);
    rc->closed = true;
    why_store_conn_active(&f->st, rc);
    /* after the horizon of the request begun at 10.4 (10.4 - settle - skew), before 10.5's */
    rc->c->half[0].last_ts = rc->c->half[1].last_ts = T(8.45);
    why_store_prune(&f->st, T(11), false);
    assert_int_equal(f->pruned_conns, 0);
    /* the request begun at 10.4, walked past the one begun at 10.8, decided: the horizon
     * moves on and the record is due */
    why_store_queue_remove(&f->st, q[3]);
    q[3]->decided = true;
    why_store_prune(&f->st, T(11.5), false);
    assert_int_equal(f->pruned_conns, 1);
}

static struct why_conn_rec *closed_at(struct fixture *f, int i, double last)
{
    struct why_conn_rec *rc = why_store_conn_new(&f->st, &f->conns[i]);
    rc->closed = true;
    why_store_conn_active(&f->st, rc);
    rc->c->half[0].last_ts = rc->c->half[1].last_ts = T(last);
    return rc;
}

/* A closed record held by an old pending request (by the horizon) rests until it may be
 * due: claimed, or read as the gateway's client connection once the gateway is known, it
 * is spent and goes once settled; a spent one goes once settled, not before. */
static void closed_records_rest_until_due(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *cli = why_store_conn_new(&f->st, &f->conns[3]);
    struct why_txn *held = request(f, cli, "GET", "/held", "shop.lab");
    held->req_first_ts = held->req_ts = T(5);
    why_store_queue_push(&f->st, held); /* the horizon: 5 - settle - skew = 2.998 */
    struct why_conn_rec *claimed = closed_at(f, 0, 9);
    struct why_conn_rec *served = closed_at(f, 1, 9.5);
    served->app = WHY_APP_HTTP;
    struct why_conn_rec *spent = closed_at(f, 2, 10);
    spent->app = WHY_APP_HTTP;
    spent->claimed = true;
    why_store_prune(&f->st, T(11), false);
    assert_int_equal(f->pruned_conns, 0);
    assert_false(claimed->in_act);
    assert_false(served->in_act);
    assert_false(spent->in_act);
    why_store_conn_claimed(&f->st, claimed);
    why_store_prune(&f->st, T(11.1), false); /* settled: before 9.098 */
    assert_int_equal(f->pruned_conns, 1);
    assert_int_equal(f->st.nrecs, 3);
    why_store_prune(&f->st, T(11.6), false); /* 9.598: the server is not the gateway yet */
    assert_int_equal(f->pruned_conns, 1);
    gateway(f, f->conns[1].srv_addr);
    why_store_prune(&f->st, T(11.7), false);
    assert_int_equal(f->pruned_conns, 2);
    why_store_prune(&f->st, T(12), false); /* 9.998 */
    assert_int_equal(f->pruned_conns, 2);
    why_store_prune(&f->st, T(12.1), false);
    assert_int_equal(f->pruned_conns, 3);
    assert_int_equal(f->st.nrecs, 1);
}

/* DNS records first asked out of order (within the lag of the records): one asked after a
 * later one expires at the same pass as the records asked before it. */
static void dns_expiry_out_of_order(void **state)
{
    struct fixture *f = *state;
    answered(f, "a.lab", WHY_DNS_A, 10.0, 10.01, "198.19.1.1", NULL);
    answered(f, "b.lab", WHY_DNS_A, 10.6, 10.61, "198.19.1.2", NULL);
    answered(f, "c.lab", WHY_DNS_A, 10.3, 10.31, "198.19.1.3", NULL);
    /* nothing pending: the horizon is now - settle - skew = 10.398 */
    why_store_prune(&f->st, T(12.4), false);
    assert_int_equal(f->pruned_dns, 2);
    assert_int_equal(f->st.ndns, 1);
    assert_non_null(why_store_dns_by_name(&f->st, why_request_key("", "b.lab")));
    why_store_prune(&f->st, T(13), false);
    assert_int_equal(f->pruned_dns, 3);
}

/* An open connection whose requests are all answered and nobody joined rests off the
 * active list until the first answer goes stale (settle + WHY_STALE_US), in that order among
 * such connections; a join, a decision or a new request puts it back at once. */
static struct why_txn *answered_request(struct fixture *f, struct why_conn_rec *rc, double at)
{
    struct why_txn *t = request(f, rc, "GET", "/up", "shop.lab");
    t->req_first_ts = t->req_ts = T(at - 0.01);
    t->has_resp = t->resp_done = true;
    t->resp_first_ts = t->resp_ts = t->resp_end_ts = T(at);
    return t;
}

static void answered_connections_rest(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *rc[4];
    const double at[4] = {7, 5, 6, 4};
    for (int i = 0; i < 4; i++) {
        rc[i] = why_store_conn_new(&f->st, &f->conns[i]);
        answered_request(f, rc[i], at[i]);
    }
    why_store_prune(&f->st, T(8), false);
    for (int i = 0; i < 4; i++) {
        assert_false(rc[i]->in_act);
        assert_int_equal(rc[i]->ntxn, 1);
    }
    /* rc[3]: joined while resting, trimmed at the next pass */
    struct why_txn *client = request(f, rc[0], "GET", "/c", "shop.lab");
    why_store_claim_txn(&f->st, rc[3]->txn_head, client);
    why_store_prune(&f->st, T(8.5), false);
    assert_int_equal(rc[3]->ntxn, 0);
    /* rc[1] (answered at 5) got a new request: looked at again, and the new one waits for
     * its answer while the old one goes stale on time */
    struct why_txn *more = request(f, rc[1], "GET", "/more", "shop.lab");
    rc[1]->unanswered = more;
    why_store_prune(&f->st, T(9), false);
    assert_true(rc[1]->in_act);
    /* stale once the answer is settle + 10 s old: 5 at 17.5, 6 at 18.5, 7 not yet */
    why_store_prune(&f->st, T(16.9), false);
    assert_int_equal(rc[1]->ntxn, 2);
    why_store_prune(&f->st, T(17.5), false);
    assert_int_equal(rc[1]->ntxn, 1);
    assert_ptr_equal(rc[1]->txn_head, more);
    assert_int_equal(rc[2]->ntxn, 1);
    why_store_prune(&f->st, T(18.5), false);
    assert_int_equal(rc[2]->ntxn, 0);
    assert_int_equal(rc[0]->ntxn, 2); /* 7 and the client request, not answered */
    why_store_prune(&f->st, T(19.5), false);
    assert_int_equal(rc[0]->ntxn, 1);
    /* a pending request decided on a resting connection: trimmed at the next pass */
    struct why_conn_rec *p = why_store_conn_new(&f->st, &f->conns[3]);
    answered_request(f, p, 19);
    struct why_txn *pend = request(f, p, "GET", "/p", "shop.lab");
    pend->req_first_ts = pend->req_ts = T(19.1);
    why_store_queue_push(&f->st, pend);
    why_store_prune(&f->st, T(20), false);
    assert_false(p->in_act);
    assert_int_equal(p->ntxn, 2);
    why_store_queue_remove(&f->st, pend);
    pend->decided = pend->is_client_leg = true;
    why_store_prune(&f->st, T(20.5), false);
    assert_int_equal(p->ntxn, 1);
    /* an upstream request decided as the gateway's own (an orphan, judged as a client's):
     * trimmed at the next pass */
    p->txn_head->decided = p->txn_head->is_client_leg = true;
    why_store_txn_decided(&f->st, p->txn_head);
    why_store_prune(&f->st, T(21), false);
    assert_int_equal(p->ntxn, 0);
}

/* A request that had no answer at a pass is read again at the next: answered since (streams
 * answer out of order), it goes stale on its own answer's time, before the one ahead. */
static void answered_after_a_pass(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *rc = why_store_conn_new(&f->st, &f->conns[0]);
    answered_request(f, rc, 8);
    struct why_txn *t = request(f, rc, "GET", "/late", "shop.lab");
    why_store_prune(&f->st, T(9), false);
    assert_int_equal(rc->ntxn, 2);
    t->has_resp = true;
    t->resp_first_ts = t->resp_ts = T(6);
    why_store_prune(&f->st, T(18.5), false);
    assert_int_equal(rc->ntxn, 1);
    assert_ptr_not_equal(rc->txn_head, t);
}

/* Nothing at or after the request still being answered is trimmed, at any pass. */
static void kept_behind_the_unanswered(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *rc = why_store_conn_new(&f->st, &f->conns[0]);
    struct why_txn *head = answered_request(f, rc, 8); /* its answer's head, not its end */
    rc->unanswered = head;
    struct why_txn *next = request(f, rc, "GET", "/next", "shop.lab");
    why_store_prune(&f->st, T(9), false);
    next->has_resp = true; /* (out of order, as streams may) */
    next->resp_first_ts = next->resp_ts = T(5);
    why_store_prune(&f->st, T(17.5), false);
    assert_int_equal(rc->ntxn, 2);
}

/* A keep-alive connection's requests decided out of order, one at a time or a few: each
 * is trimmed at the next pass, the others kept, and an answer ahead of them still goes
 * stale on time. */
static void decided_out_of_order(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *rc = why_store_conn_new(&f->st, &f->conns[0]);
    enum { N = 6 };
    struct why_txn *p[N], *up = NULL;
    for (int i = 0; i < N; i++) {
        if (i == 1)
            up = answered_request(f, rc, 5); /* after the first one decided */
        p[i] = request(f, rc, "GET", "/p", "shop.lab");
        p[i]->req_first_ts = p[i]->req_ts = T(6 + i * 0.1);
        why_store_queue_push(&f->st, p[i]);
    }
    why_store_prune(&f->st, T(7), false);
    assert_int_equal(rc->ntxn, N + 1);
    const int order[N] = {0, 2, 4, 5, 3, 1};
    for (int k = 0; k < N; k++) {
        why_store_queue_remove(&f->st, p[order[k]]);
        p[order[k]]->decided = p[order[k]]->is_client_leg = true;
        if (k == 1 || k == 4)
            continue; /* two at this pass */
        why_store_prune(&f->st, T(7.5 + k * 0.5), false);
        int left = 0;
        for (const struct why_txn *t = rc->txn_head; t; t = t->next)
            left += t != up;
        assert_int_equal(left, N - 1 - k);
        for (int j = 0; j <= k; j++)
            for (const struct why_txn *t = rc->txn_head; t; t = t->next)
                assert_ptr_not_equal(t, p[order[j]]);
        bool kept = false; /* not stale before 17 */
        for (const struct why_txn *t = rc->txn_head; t; t = t->next)
            kept |= t == up;
        assert_true(kept);
    }
    why_store_prune(&f->st, T(17.5), false);
    assert_int_equal(rc->ntxn, 0);
}

/* An answer kept behind a request decided since still goes stale on time. */
static void answer_behind_a_decided_one(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *rc = why_store_conn_new(&f->st, &f->conns[0]);
    struct why_txn *first = request(f, rc, "GET", "/1", "shop.lab");
    why_store_queue_push(&f->st, first);
    struct why_txn *up = answered_request(f, rc, 5);
    struct why_txn *last = request(f, rc, "GET", "/2", "shop.lab");
    why_store_queue_push(&f->st, last);
    why_store_prune(&f->st, T(7), false);
    why_store_queue_remove(&f->st, first);
    first->decided = first->is_client_leg = true;
    why_store_prune(&f->st, T(7.5), false);
    assert_ptr_equal(rc->txn_head, up);
    why_store_prune(&f->st, T(17.5), false);
    assert_ptr_equal(rc->txn_head, last);
    assert_int_equal(rc->ntxn, 1);
}

/* A request the gateway sent on its own (a health check's GET), decided as no client's and
 * joined to none, stays until its answer is stale, as an unjoined one does: a request decided
 * after it reads it as a failing check (a live run: Varnish's probe of 198.19.0.27 answered
 * 500 2 s before `hc` was decided, trimmed the pass before, and `hc` named one failing check
 * of two). One a client's request took goes at the next pass. */
static void own_request_stays_until_stale(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *rc = why_store_conn_new(&f->st, &f->conns[0]);
    struct why_txn *check = answered_request(f, rc, 5);
    why_store_queue_push(&f->st, check);
    why_store_queue_remove(&f->st, check);
    check->decided = true; /* the gateway's own: not a client leg */
    why_store_txn_decided(&f->st, check);
    why_store_prune(&f->st, T(7.5), false);
    assert_ptr_equal(rc->txn_head, check);
    why_store_prune(&f->st, T(16.9), false);
    assert_ptr_equal(rc->txn_head, check);
    why_store_prune(&f->st, T(17.5), false); /* settle + 10 s after its answer */
    assert_null(rc->txn_head);
    struct why_txn *up = answered_request(f, rc, 18);
    why_store_queue_push(&f->st, up);
    why_store_queue_remove(&f->st, up);
    up->decided = true;
    up->claimed_by = up; /* (any request) */
    why_store_txn_decided(&f->st, up);
    why_store_prune(&f->st, T(18.5), false);
    assert_null(rc->txn_head);
}

/* Many resting connections, answered in a scrambled order, some joined while resting: at
 * each pass exactly those whose answer went stale are trimmed. */
static void resting_connections_in_order(void **state)
{
    struct fixture *f = *state;
    enum { N = 64 };
    static struct why_conn conns[N];
    struct why_conn_rec *rc[N];
    double at[N];
    for (int i = 0; i < N; i++) {
        conns[i] = f->conns[0];
        conns[i].cli_port = (uint16_t)(40000 + i);
        rc[i] = why_store_conn_new(&f->st, &conns[i]);
        at[i] = 5 + (double)((i * 37) % N) / 8; /* 5 .. 12.875, each once */
        answered_request(f, rc[i], at[i]);
    }
    why_store_prune(&f->st, T(13), false);
    struct why_txn *client = request(f, rc[0], "GET", "/c", "shop.lab");
    client->has_resp = true;
    client->resp_ts = T(100);
    for (int i = 1; i < N; i++) /* some from deep in the heap, last in first */
        if (i % 5 == 1 || at[i] > 11.5)
            why_store_claim_txn(&f->st, rc[i]->txn_head, client);
    for (double now = 13.5; now < 26; now += 0.5) {
        why_store_prune(&f->st, T(now), false);
        for (int i = 1; i < N; i++) {
            bool gone = i % 5 == 1 || at[i] > 11.5 || at[i] < now - 12;
            assert_int_equal(rc[i]->ntxn, gone ? 0 : 1);
        }
    }
}

/* One joined from the middle of the resting connections: the last in their order takes its
 * place and must still come out when its answer goes stale, before the later ones. */
static void resting_connection_joined_from_the_middle(void **state)
{
    struct fixture *f = *state;
    enum { N = 10 };
    static struct why_conn conns[N];
    /* looked at newest first: they come to rest answered at 1, 10, 2, 11, 12, 3, 4 (+ 5 s),
     * then 20, 21, 22 after the one at 11 is joined */
    const double at[N] = {4, 3, 12, 11, 2, 10, 1, 22, 21, 20};
    struct why_conn_rec *rc[N];
    for (int i = 0; i < N; i++) {
        if (i == 7) {
            struct why_conn_rec *cli = why_store_conn_new(&f->st, &f->conns[1]);
            why_store_prune(&f->st, T(10.9), false);
            why_store_claim_txn(&f->st, rc[3]->txn_head, request(f, cli, "GET", "/c", "shop.lab"));
        }
        conns[i] = f->conns[0];
        conns[i].cli_port = (uint16_t)(40000 + i);
        rc[i] = why_store_conn_new(&f->st, &conns[i]);
        answered_request(f, rc[i], 5 + at[i]);
    }
    why_store_prune(&f->st, T(10.95), false);
    why_store_prune(&f->st, T(21.5), false); /* stale: answered before 4.5 (+ 5) */
    for (int i = 0; i < N; i++)
        assert_int_equal(rc[i]->ntxn, at[i] < 4.5 || i == 3 ? 0 : 1);
}

/* An answer's strings are one allocation sized to them, rewritten whole when one changes: a
 * reader sees each string written, the others kept, each cut at its size as the fixed
 * arrays cut them, and the first bytes of an answer that was not HTTP; a request with no
 * answer reads the shared empty strings. */
static void answer_strings(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *rc = why_store_conn_new(&f->st, &f->conns[0]);
    struct why_txn *t = request(f, rc, "GET", "/a", "shop.lab");
    assert_ptr_equal(t->resp, &why_txn_resp_none);
    for (int k = 0; k < WHY_RESP_NSTR; k++)
        assert_string_equal(why_resp_str(t->resp, (enum why_resp_str)k), "");
    assert_int_equal(t->resp->first_len, 0);

    struct why_resp_view v;
    why_resp_view_of(t->resp, &v);
    v.str[WHY_RESP_SERVER] = "squid/6.13";
    assert_true(why_store_txn_resp_put(&f->st, t, &v));
    assert_ptr_not_equal(t->resp, &why_txn_resp_none);
    assert_string_equal(why_resp_str(t->resp, WHY_RESP_SERVER), "squid/6.13");
    assert_string_equal(why_resp_str(t->resp, WHY_RESP_CLAIM), "");

    /* a title read from the body later, then a claim: the server stays */
    char longclaim[300];
    memset(longclaim, 'c', sizeof longclaim - 1);
    longclaim[sizeof longclaim - 1] = 0;
    why_resp_view_of(t->resp, &v);
    v.str[WHY_RESP_TITLE] = "ERROR: The requested URL could not be retrieved";
    v.via = true;
    assert_true(why_store_txn_resp_put(&f->st, t, &v));
    why_resp_view_of(t->resp, &v); /* the view reads the allocation it replaces */
    v.str[WHY_RESP_CLAIM] = longclaim;
    assert_true(why_store_txn_resp_put(&f->st, t, &v));
    assert_string_equal(why_resp_str(t->resp, WHY_RESP_SERVER), "squid/6.13");
    assert_string_equal(why_resp_str(t->resp, WHY_RESP_TITLE), "ERROR: The requested URL could not be retrieved");
    assert_int_equal(strlen(why_resp_str(t->resp, WHY_RESP_CLAIM)), WHY_RESP_CLAIM_SIZE - 1);
    assert_true(t->resp->via);

    /* first bytes, cut at WHY_RESP_FIRST_MAX; an emptied string reads "" and the rest stay */
    uint8_t first[100];
    for (size_t i = 0; i < sizeof first; i++)
        first[i] = (uint8_t)i;
    why_resp_view_of(t->resp, &v);
    v.first = first;
    v.first_len = sizeof first;
    v.str[WHY_RESP_SERVER] = "";
    assert_true(why_store_txn_resp_put(&f->st, t, &v));
    assert_int_equal(t->resp->first_len, WHY_RESP_FIRST_MAX);
    assert_memory_equal(why_resp_first(t->resp), first, WHY_RESP_FIRST_MAX);
    assert_string_equal(why_resp_str(t->resp, WHY_RESP_SERVER), "");
    assert_string_equal(why_resp_str(t->resp, WHY_RESP_TITLE), "ERROR: The requested URL could not be retrieved");
    assert_string_equal(why_resp_str(t->resp, WHY_RESP_GRPC_MESSAGE), "");
    assert_true(t->resp->via);
    assert_int_equal(f->sum.oom, 0); /* freed with the store (the sanitizer sees a leak) */
}

/* A transaction's HTTP/2 part is allocated at its first write and only then: the shared empty
 * one stays all zero, and every other transaction keeps reading it. */
static void http2_part(void **state)
{
    struct fixture *f = *state;
    struct why_conn_rec *rc = why_store_conn_new(&f->st, &f->conns[0]);
    struct why_txn *a = request(f, rc, "GET", "/a", "shop.lab");
    struct why_txn *b = request(f, rc, "GET", "/b", "shop.lab");
    assert_ptr_equal(a->h2, &why_txn_h2_none);
    struct why_txn_h2 *h2 = why_store_txn_h2(&f->st, a);
    assert_non_null(h2);
    assert_ptr_equal(a->h2, h2);
    assert_int_equal(h2->code, 0);
    h2->code = 7;
    h2->stall_us = 1000;
    assert_ptr_equal(why_store_txn_h2(&f->st, a), h2); /* once */
    assert_int_equal(a->h2->code, 7);
    assert_ptr_equal(b->h2, &why_txn_h2_none);
    assert_int_equal(b->h2->code, 0);
    assert_int_equal(why_txn_h2_none.stall_us, 0);
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

/* rec_make_room's choice as it was made by reading the oldest records each time: of the
 * WHY_STORE_OLDEST oldest, the first closed one no request holds that a flood left (a
 * connection to the capture host that never got an answer), else the first such one; NULL:
 * none (the new record is dropped). */
static struct why_conn_rec *room_by_reading(const struct why_store *st)
{
    struct why_conn_rec *any = NULL;
    int looked = 0;
    for (struct why_conn_rec *rc = st->rhead; rc && looked < WHY_STORE_OLDEST; rc = rc->rnext, looked++) {
        if (!rc->closed || rc->refs > 0 || rc->txn_head || rc->claimed)
            continue;
        if (!any)
            any = rc;
        if (!rc->c->established && rc->c->srv_is_local && !rc->c->cli_is_local)
            return rc;
    }
    return any;
}

/* At the record cap a new connection's record takes the room of the one the oldest records'
 * reading would pick, or is dropped when that finds none, however the oldest came to make
 * room since the last look (a close, a flood's close, a transaction freed, a claim, a record
 * gone): a seeded run of 4,000 such steps against room_by_reading before each new record.
 * The store remembers what it read (room_known) instead of reading the 4,096 oldest again
 * for each new record: a flood of connections held open made that 4,096 reads a SYN. */
static void room_at_cap_as_the_oldest_read(void **state)
{
    struct fixture *f = *state;
    enum { STEPS = 4000, N = WHY_RECORDS_MAX + STEPS };
    struct why_conn *cs = calloc(N, sizeof *cs);
    assert_non_null(cs);
    uint64_t seed = 0x5eed57;
    int made = 0;
    for (; made < WHY_RECORDS_MAX; made++) {
        cs[made] = f->conns[made & 3];
        cs[made].cli_port = (uint16_t)(1024 + made % 60000);
        cs[made].srv_port = (uint16_t)(80 + made / 60000);
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        cs[made].srv_is_local = (seed >> 33) % 5 == 0; /* a fifth towards the capture host */
        assert_non_null(why_store_conn_new(&f->st, &cs[made]));
    }
    int dropped = 0, taken = 0, flood_taken = 0;
    for (int step = 0; step < STEPS; step++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        uint32_t r = (uint32_t)(seed >> 33);
        /* a record among the 5,000 oldest (the reading's reach and a little past it), every
         * other step among the 64 oldest (where what was read lies) */
        struct why_conn_rec *rc = f->st.rhead;
        for (uint32_t k = (r >> 3) % (step & 1 ? 64 : 5000); k && rc; k--)
            rc = rc->rnext;
        switch (r % 7) {
        case 0:
        case 1: /* it closes */
            if (!rc->closed)
                why_store_conn_closed(&f->st, rc, rc->c);
            break;
        case 2: /* its requests gone (their transactions freed), or a first one */
            if (rc->txn_head)
                why_store_trim_txns(&f->st, rc, T(100000), true);
            else
                why_store_txn_new(&f->st, rc);
            break;
        case 3: /* a request on it that stays */
            why_store_txn_new(&f->st, rc);
            break;
        case 4: /* claimed */
            why_store_conn_claimed(&f->st, rc);
            break;
        default: { /* a new connection */
            struct why_conn_rec *want = room_by_reading(&f->st);
            uint64_t want_seq = want ? want->seq : 0;
            bool flood = want && want->c->srv_is_local;
            cs[made] = f->conns[0];
            cs[made].cli_port = (uint16_t)(1024 + made % 60000);
            cs[made].srv_port = (uint16_t)(80 + made / 60000);
            struct why_conn_rec *got = why_store_conn_new(&f->st, &cs[made]);
            made++;
            if (!want) {
                assert_null(got);
                dropped++;
                break;
            }
            assert_non_null(got);
            taken++;
            flood_taken += flood;
            int looked = 0;
            for (const struct why_conn_rec *o = f->st.rhead; o && looked <= WHY_STORE_OLDEST; o = o->rnext, looked++)
                assert_true(o->seq != want_seq); /* the one the reading picked went */
            break;
        }
        }
        assert_int_equal(f->st.nrecs, WHY_RECORDS_MAX);
        /* what the store remembers having read is among the oldest, still there */
        for (int k = 0; k < 2; k++) {
            const struct why_conn_rec *o = f->st.rhead;
            for (int looked = 0; o && o != f->st.room_known[k] && looked < WHY_STORE_OLDEST; looked++)
                o = o->rnext;
            assert_true(f->st.room_known[k] == NULL || o == f->st.room_known[k]);
        }
    }
    /* every kind of answer came up */
    assert_true(dropped > 20);
    assert_true(taken > 20);
    assert_true(flood_taken > 10 && flood_taken < taken);
    why_store_fini(&f->st);
    free(cs);
    assert_int_equal(why_store_init(&f->st, &f->sum, &f->gw, 2000000, NULL), 0); /* for teardown */
}

/* A closed connection's copy comes from the list shared with the flow table's entries
 * (why_store_share_copies), blocks of its size: the entry a close gives back is the next
 * copy's; the record's end gives it back there. A size below a connection's is refused (the
 * store's own list stays). */
static void copies_from_shared_list(void **state)
{
    struct fixture *f = *state;
    struct why_slab sl = {0};
    struct why_spare sp = {.max = 4, .slab = &sl};
    why_store_share_copies(&f->st, &sp, 4); /* too small: not taken */
    assert_ptr_equal(f->st.copies, &f->st.spare_conn);
    why_store_share_copies(&f->st, &sp, sizeof(struct why_conn) + 160);
    assert_ptr_equal(f->st.copies, &sp);
    void *entry = why_spare_get(&sp, sizeof(struct why_conn) + 160, false);
    why_spare_give(&sp, entry); /* as the flow table gives back a closed connection's entry */
    struct why_conn_rec *rc = why_store_conn_new(&f->st, &f->conns[0]);
    assert_non_null(rc);
    why_store_conn_closed(&f->st, rc, &f->conns[0]);
    assert_ptr_equal(rc->c, entry);
    assert_true(rc->c_owned);
    assert_int_equal(sp.n, 0);
    assert_int_equal(rc->c->cli_port, 50000);
    why_store_fini(&f->st); /* the copy back to sp */
    assert_int_equal(sp.n, 1);
    assert_ptr_equal(sp.head, entry);
    why_spare_drain(&sp);
    why_slab_free(&sl);
    assert_int_equal(why_store_init(&f->st, &f->sum, &f->gw, 2000000, NULL), 0); /* for teardown */
}

/* The closed records that are one-way evidence (why_conn_one_way) are counted as they
 * close, and no longer once freed: with the flow table's count of the open ones, what tells
 * the walks of the oldest one-way records (correlate/partial.c) that none can be found. */
static void one_way_closed_counted(void **state)
{
    struct fixture *f = *state;
    static struct why_conn_end ends;
    struct why_conn *a = &f->conns[0], *b = &f->conns[1];
    a->half[WHY_S2C].packets = 0;
    a->half[WHY_S2C].missing = true; /* its server's side proven sent, never captured */
    b->half[WHY_C2S].packets = 0;    /* a reset from the server alone */
    ends = why_conn_end_none;
    ends.half[WHY_S2C].rst_frame = 9;
    why_conn_set_ends(b, &ends);
    struct why_conn_rec *ra = why_store_conn_new(&f->st, a), *rb = why_store_conn_new(&f->st, b);
    assert_non_null(ra);
    assert_non_null(rb);
    assert_false(why_store_may_be_missing(&f->st)); /* open: the flow table's to count */
    assert_false(why_store_may_have_lone_rst(&f->st));
    why_store_open_one_way(&f->st, 1, 1);
    assert_true(why_store_may_be_missing(&f->st) && why_store_may_have_lone_rst(&f->st));
    why_store_open_one_way(&f->st, 0, 0); /* (both closed below) */
    why_store_conn_closed(&f->st, ra, a);
    assert_int_equal(f->st.closed_missing, 1);
    assert_int_equal(f->st.closed_lone_rst, 0);
    why_store_conn_closed(&f->st, rb, b);
    assert_int_equal(f->st.closed_lone_rst, 1);
    assert_true(why_store_may_be_missing(&f->st) && why_store_may_have_lone_rst(&f->st));
    why_store_prune(&f->st, T(1000), true);
    assert_int_equal(f->st.closed_missing, 0);
    assert_int_equal(f->st.closed_lone_rst, 0);
    assert_false(why_store_may_be_missing(&f->st) || why_store_may_have_lone_rst(&f->st));
}

/* An attempt answered leaves the try lists it can no longer be on at once, while its record is
 * in the cache (why_store_conn_answered): its SYN-ACK takes it off the silent tries, its
 * handshake's end off the failed ones, and its neighbours are linked to each other, so that a
 * walk back from the newest try never reads it. A claim takes it off the unclaimed and silent
 * lists the same way; a failed try claimed stays a failed try. The slots carry each record's
 * lists for the walk down them (why_store_try_upto). */
static void answered_tries_leave_at_once(void **state)
{
    struct fixture *f = *state;
    struct why_conn c[3];
    struct why_conn_rec *a = upstream_at(f, &c[0], 40000, 1.0, false);
    struct why_conn_rec *b = upstream_at(f, &c[1], 40001, 1.1, false);
    struct why_conn_rec *d = upstream_at(f, &c[2], 40002, 1.2, false);
    const unsigned failed = 1u << WHY_TRIES_FAILED, silent = 1u << WHY_TRIES_SILENT,
                   unclaimed = 1u << WHY_TRIES_UNCLAIMED;
    unsigned k = why_try_link(WHY_TRIES_FAILED), ks = why_try_link(WHY_TRIES_SILENT);
    struct why_conn_rec *all[3] = {a, b, d};
    for (int i = 0; i < 3; i++)
        assert_int_equal(all[i]->in_tries, failed | silent | unclaimed);

    c[1].synack_frame = 7;
    why_store_conn_answered(&f->st, b);
    assert_int_equal(b->in_tries, failed | unclaimed);
    assert_ptr_equal(a->tnext[ks], d);
    assert_ptr_equal(d->tprev[ks], a);
    assert_ptr_equal(a->tnext[k], b); /* not connected yet: still a try that may fail */

    c[1].established = true;
    why_store_conn_answered(&f->st, b);
    assert_int_equal(b->in_tries, unclaimed);
    assert_ptr_equal(a->tnext[k], d);
    assert_ptr_equal(d->tprev[k], a);
    assert_null(b->tnext[k]);
    assert_null(b->tprev[k]);
    assert_ptr_equal(why_store_try_last(&f->st, WHY_TRIES_FAILED), d);
    assert_ptr_equal(why_store_try_prev(&f->st, d, WHY_TRIES_FAILED), a);
    /* the walk down the slots reads each one's lists from the slot, which follows */
    for (int i = 0; i < 3; i++)
        assert_int_equal(f->st.slots[all[i]->slot].in_tries, all[i]->in_tries);
    assert_ptr_equal(why_store_try_upto(&f->st, b, WHY_TRIES_FAILED), a);
    assert_ptr_equal(why_store_try_upto(&f->st, d, WHY_TRIES_FAILED), d);

    why_store_conn_claimed(&f->st, a);
    assert_int_equal(a->in_tries, failed);
    assert_ptr_equal(why_store_try_prev(&f->st, d, WHY_TRIES_FAILED), a);
    assert_ptr_equal(why_store_try_prev(&f->st, d, WHY_TRIES_SILENT), NULL);
    assert_ptr_equal(b->tprev[why_try_link(WHY_TRIES_UNCLAIMED)], NULL); /* a was before it */
    assert_ptr_equal(d->tprev[why_try_link(WHY_TRIES_UNCLAIMED)], b);
    for (int i = 0; i < 3; i++)
        assert_int_equal(f->st.slots[all[i]->slot].in_tries, all[i]->in_tries);
}

/* The store tells a server's records coming and going apart from other changes
 * (why_store_conns_cut), and remembers which went, per version, in the order they went
 * (why_store_conns_gone): a record made, or the first SYN of its bucket's newest, moves the
 * version only; the first SYN of an older one moves the cut too; records that go are found
 * from the last back, only those of that version, and once WHY_CONNS_GONE more went no
 * longer. */
static void server_records_coming_and_going(void **state)
{
    struct fixture *f = *state;
    static struct why_conn c[15];
    struct why_conn_rec *rc[6];
    for (int i = 0; i < 6; i++)
        rc[i] = upstream_at(f, &c[i], (uint16_t)(51000 + i), 1 + i * 0.1, false);
    uint64_t ver = why_store_conns_version(&f->st, rc[0]), cut = why_store_conns_cut(&f->st, rc[0]);
    struct why_conn_rec *more = upstream_at(f, &c[6], 51006, 2, false);
    assert_true(why_store_conns_version(&f->st, rc[0]) > ver);
    assert_int_equal(why_store_conns_cut(&f->st, rc[0]), cut);
    ver = why_store_conns_version(&f->st, rc[0]);
    why_store_conn_syn(&f->st, more); /* the newest */
    assert_true(why_store_conns_version(&f->st, rc[0]) > ver);
    assert_int_equal(why_store_conns_cut(&f->st, rc[0]), cut);
    why_store_conn_syn(&f->st, rc[2]); /* older */
    assert_true(why_store_conns_cut(&f->st, rc[0]) > cut);
    cut = why_store_conns_cut(&f->st, rc[0]);
    /* rc[1] and rc[4] go, and a record to another server (its version's own) */
    struct why_conn other = f->conns[2];
    other.cli_port = 52000;
    struct why_conn_rec *orc = why_store_conn_new(&f->st, &other);
    assert_non_null(orc);
    bool shared = why_store_conns_vslot(orc) == why_store_conns_vslot(rc[0]);
    uint64_t seq1 = rc[1]->seq, seq4 = rc[4]->seq, oseq = orc->seq;
    uint64_t before = why_store_conns_ngone(&f->st);
    struct why_conn_rec *go[] = {rc[1], orc, rc[4]};
    for (int i = 0; i < 3; i++) {
        go[i]->closed = true;
        why_store_conn_active(&f->st, go[i]);
    }
    why_store_prune(&f->st, T(1 + 121), false);
    assert_int_equal(f->pruned_conns, 3);
    assert_int_equal(why_store_conns_ngone(&f->st), before + 3);
    assert_int_equal(why_store_conns_cut(&f->st, rc[0]), cut);
    uint64_t seen[4], prev = 0;
    int n = 0;
    for (uint64_t g = why_store_conns_gone_last(&f->st, rc[0]); g > before && n < 4; g = prev)
        seen[n++] = why_store_conns_gone(&f->st, g, &prev);
    assert_int_equal(n, shared ? 3 : 2);
    int k = 0;
    for (int i = 0; i < n; i++) /* (in the order pruning took them) */
        k += seen[i] == seq1 || seen[i] == seq4 || (shared && seen[i] == oseq);
    assert_int_equal(k, n);
    /* WHY_CONNS_GONE more go: the first of those three is no longer remembered */
    uint64_t first = why_store_conns_gone_last(&f->st, rc[0]);
    while (why_store_conns_gone(&f->st, first, &prev) && prev > before)
        first = prev;
    assert_true(why_store_conns_gone(&f->st, first, &prev) != 0);
    for (uint32_t i = 0; i < WHY_CONNS_GONE; i++) {
        struct why_conn *x = &c[7 + (i % 8)];
        struct why_conn_rec *r = upstream_at(f, x, (uint16_t)(53000 + i % 8), 3, false);
        r->closed = true;
        why_store_conn_active(&f->st, r);
        if (i % 8 == 7)
            why_store_prune(&f->st, T(3 + 121), false);
    }
    assert_int_equal(why_store_conns_ngone(&f->st), before + 3 + WHY_CONNS_GONE);
    assert_int_equal(why_store_conns_gone(&f->st, first, &prev), 0);
    assert_true(why_store_conns_gone(&f->st, why_store_conns_ngone(&f->st), &prev) != 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(one_way_closed_counted, setup, teardown),
        cmocka_unit_test(empty_connection_parts),
        cmocka_unit_test_setup_teardown(request_index, setup, teardown),
        cmocka_unit_test_setup_teardown(requests_by_path_ending, setup, teardown),
        cmocka_unit_test_setup_teardown(dns_span_of_window, setup, teardown),
        cmocka_unit_test_setup_teardown(dns_span_after_a_late_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(dns_span_searched_as_read, setup, teardown),
        cmocka_unit_test_setup_teardown(dns_upto_of_time, setup, teardown),
        cmocka_unit_test_setup_teardown(dns_failed_upto_of, setup, teardown),
        cmocka_unit_test_setup_teardown(dns_vector_grows_after_compaction, setup, teardown),
        cmocka_unit_test_setup_teardown(connections_by_server, setup, teardown),
        cmocka_unit_test_setup_teardown(records_begun_by_a_time, setup, teardown),
        cmocka_unit_test_setup_teardown(records_from_a_time, setup, teardown),
        cmocka_unit_test_setup_teardown(attempts_by_client, setup, teardown),
        cmocka_unit_test_setup_teardown(dns_answers_by_family, setup, teardown),
        cmocka_unit_test_setup_teardown(servers_of_a_subnet_apart, setup, teardown),
        cmocka_unit_test_setup_teardown(path_memory_keeps_latest, setup, teardown),
        cmocka_unit_test_setup_teardown(transactions_capped, setup, teardown),
        cmocka_unit_test_setup_teardown(dns_records, setup, teardown),
        cmocka_unit_test_setup_teardown(dns_one_port, setup, teardown),
        cmocka_unit_test_setup_teardown(dns_live_index, setup, teardown),
        cmocka_unit_test_setup_teardown(upstream_candidates, setup, teardown),
        cmocka_unit_test_setup_teardown(upstream_slots_skip_held_clients, setup, teardown),
        cmocka_unit_test_setup_teardown(try_slots_leave_out_carried_http, setup, teardown),
        cmocka_unit_test_setup_teardown(try_slots_kept_through_compaction, setup, teardown),
        cmocka_unit_test_setup_teardown(tls_records_indexed, setup, teardown),
        cmocka_unit_test_setup_teardown(hello_twins_indexed, setup, teardown),
        cmocka_unit_test_setup_teardown(hello_index_keeps_runs_and_counts_relays, setup, teardown),
        cmocka_unit_test_setup_teardown(queue_by_host, setup, teardown),
        cmocka_unit_test_setup_teardown(queue_counts_as_walked, setup, teardown),
        cmocka_unit_test_setup_teardown(room_at_cap_as_the_oldest_read, setup, teardown),
        cmocka_unit_test_setup_teardown(pruning, setup, teardown),
        cmocka_unit_test_setup_teardown(horizon_held_by_a_late_push, setup, teardown),
        cmocka_unit_test_setup_teardown(closed_records_rest_until_due, setup, teardown),
        cmocka_unit_test_setup_teardown(dns_expiry_out_of_order, setup, teardown),
        cmocka_unit_test_setup_teardown(answered_connections_rest, setup, teardown),
        cmocka_unit_test_setup_teardown(answered_after_a_pass, setup, teardown),
        cmocka_unit_test_setup_teardown(kept_behind_the_unanswered, setup, teardown),
        cmocka_unit_test_setup_teardown(decided_out_of_order, setup, teardown),
        cmocka_unit_test_setup_teardown(answer_behind_a_decided_one, setup, teardown),
        cmocka_unit_test_setup_teardown(own_request_stays_until_stale, setup, teardown),
        cmocka_unit_test_setup_teardown(resting_connections_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(resting_connection_joined_from_the_middle, setup, teardown),
        cmocka_unit_test_setup_teardown(indexed_host, setup, teardown),
        cmocka_unit_test_setup_teardown(requests_in_a_window, setup, teardown),
        cmocka_unit_test_setup_teardown(requests_walk_candidates, setup, teardown),
        cmocka_unit_test_setup_teardown(indexes_grow, setup, teardown),
        cmocka_unit_test_setup_teardown(queue_index_grows, setup, teardown),
        cmocka_unit_test_setup_teardown(trim_frees_stale_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(judged_requests_leave_the_ending_index, setup, teardown),
        cmocka_unit_test_setup_teardown(request_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(strings_in_room, setup, teardown),
        cmocka_unit_test_setup_teardown(complete_due, setup, teardown),
        cmocka_unit_test(waits_within_an_epoch),
        cmocka_unit_test_setup_teardown(answer_strings, setup, teardown),
        cmocka_unit_test_setup_teardown(http2_part, setup, teardown),
        cmocka_unit_test_setup_teardown(copies_from_shared_list, setup, teardown),
        cmocka_unit_test_setup_teardown(server_records_coming_and_going, setup, teardown),
        cmocka_unit_test_setup_teardown(answered_tries_leave_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(path_memory_full, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
