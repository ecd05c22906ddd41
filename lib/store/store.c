/* The record store (see store.h): records, their indexes, claims, the decision queue and
 * pruning by packet time. */
#include "store/store.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util/ascii.h"
#include "util/sort.h"
#include "util/url.h"

/* ---- hashing ---- */

/* The keys hash a string eight bytes at a time: each word multiplied in (a golden-ratio
 * multiplier, the high half folded down so the next word's multiply mixes it), the last
 * 0-7 bytes read as one word with their count, and the whole length mixed in first. Byte at
 * a time (FNV-1a, as before) cost four or five dependent instructions a byte, and a request
 * is hashed over its method, path, host and target several times (the indexes, the queue,
 * the DNS names): about 2,000 instructions a request. Only equality of keys is used (and
 * buckets, through bucket_of's mixing); no key is written out. */
#define KEY_MUL 0x9e3779b97f4a7c15u

/* The last n (< 8) bytes at p as one word: every byte read (overlapping reads for 3 to 7), so
 * two runs of one length differ in the word when they differ at all. */
static inline uint64_t key_tail(const uint8_t *p, size_t n)
{
    if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + n - 4, 4);
        return a | (uint64_t)b << 32;
    }
    return n ? (uint64_t)p[0] | (uint64_t)p[n / 2] << 8 | (uint64_t)p[n - 1] << 16 : 0;
}

static inline uint64_t key_bytes(uint64_t h, const char *s, size_t n)
{
    const uint8_t *p = (const uint8_t *)s;
    h = (h ^ n) * KEY_MUL;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * KEY_MUL;
        h ^= h >> 32;
    }
    h = (h ^ key_tail(p, n) ^ (uint64_t)n << 56) * KEY_MUL;
    return h ^ h >> 29;
}

/* The request key's hash: the method, then the path's first n bytes. */
static inline uint64_t request_key_n(const char *method, const char *path, size_t n)
{
    return key_bytes(key_bytes(14695981039346656037u, method, strlen(method)), path, n);
}

uint64_t why_request_key(const char *method, const char *path)
{
    return request_key_n(method, path, strlen(path));
}

/* The path's last segment (after its last '/', up to len). */
uint64_t why_request_ending_key(const char *method, const char *path, size_t len)
{
    const char *slash = len ? memrchr(path, '/', len) : NULL; /* (vectorised in libc) */
    size_t i = slash ? (size_t)(slash + 1 - path) : 0;
    return request_key_n(method, path + i, len - i);
}

static uint64_t addr_hash(uint64_t h, const struct why_addr *a)
{
    uint64_t w[2];
    memcpy(w, a->a, sizeof w);
    h = (h ^ a->family ^ w[0]) * KEY_MUL; /* (an IPv4 address's other twelve bytes are 0) */
    if (a->family != 4)
        h = (h ^ h >> 32 ^ w[1]) * KEY_MUL;
    return h ^ h >> 29;
}

/* A bucket from a hash: a last step that multiplies a byte in (FNV-1a's, as the socket and
 * path hashes end) only moves the hash's low bits and the bits from 40 up, so the bits
 * between are mixed first (MurmurHash3's finaliser), or keys that differ in their last byte
 * only (the servers of a /24, host names that end in a number) would share one bucket. */
static uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    return h ^ (h >> 33);
}

static uint32_t bucket_of(uint64_t h, uint32_t nbuckets)
{
    return (uint32_t)(mix64(h) >> 24) & (nbuckets - 1);
}

static uint32_t host_bits(uint64_t pkey, uint64_t hkey)
{
    return (uint32_t)((pkey ^ (hkey * 0x9e3779b97f4a7c15u)) >> 20);
}

/* The socket (client, client port, server): a resolver may send every query from one port,
 * so this chain is walked only for an ICMP error, which quotes no more than the socket. */
static uint64_t dns_sock_hash(const struct why_addr *cli, uint16_t cport, const struct why_addr *srv)
{
    uint64_t h = addr_hash(addr_hash(14695981039346656037u, cli), srv);
    return (h ^ cport) * 1099511628211u;
}

/* The query key: the socket, the query id and the name's key (nkey, hashed once per message
 * for both indexes; the type is compared only). */
static uint64_t dns_key_hash(uint64_t sock_hash, uint16_t qid, uint64_t nkey)
{
    return mix64(sock_hash ^ qid) ^ nkey;
}

/* The name as a record keeps it: at most WHY_DNS_NAME_MAX bytes. */
static size_t dns_name_len(const char *qname)
{
    const char *end = memchr(qname, '\0', WHY_DNS_NAME_MAX + 1);
    return end ? (size_t)(end - qname) : WHY_DNS_NAME_MAX;
}

/* why_request_key("", name) of the name's first n bytes. */
static uint64_t dns_name_key(const char *qname, size_t n)
{
    return request_key_n("", qname, n);
}

/* The queue's index: method, host, target and the connection's addresses and server port;
 * its bucket in a table of n is this & (n - 1) (bucket_of's). */
static uint32_t like_hash(const struct why_txn *t)
{
    const struct why_conn *c = why_rec_conn(t->rc);
    uint64_t h = key_bytes(why_request_key(t->method, t->host), t->target ? t->target : "", t->target_len);
    h = addr_hash(addr_hash(h, &c->cli_addr), &c->srv_addr);
    h = (h ^ c->srv_port) * 1099511628211u;
    return (uint32_t)(mix64(h) >> 24);
}

/* t's bucket of the queue's index (pushed: its hash then; else its hash now) */
static struct why_qlike *like_of(const struct why_store *st, const struct why_txn *t)
{
    return &st->qlike[(t->qseq ? t->lhash : like_hash(t)) & (st->nqlike - 1)];
}

static uint32_t addr_bucket(const struct why_addr *a, uint32_t nbuckets)
{
    return bucket_of(addr_hash(14695981039346656037u, a), nbuckets);
}

uint32_t why_store_addr_bucket(const struct why_addr *a, uint32_t nbuckets)
{
    return addr_bucket(a, nbuckets);
}

static uint32_t qhost_bucket(uint64_t hkey)
{
    return bucket_of(hkey, WHY_QHOST_BUCKETS);
}

/* t, queued, not complete yet: on the end of its bucket's list of those (push order). */
static void open_link(struct why_store *st, struct why_txn *t)
{
    struct why_qhost *b = &st->qhost[qhost_bucket(t->hkey)];
    t->qoprev = b->open_tail;
    t->qonext = NULL;
    if (b->open_tail)
        b->open_tail->qonext = t;
    else
        b->open_head = t;
    b->open_tail = t;
    t->q_open = true;
}

static void open_unlink(struct why_store *st, struct why_txn *t)
{
    if (!t->q_open)
        return;
    struct why_qhost *b = &st->qhost[qhost_bucket(t->hkey)];
    if (t->qoprev)
        t->qoprev->qonext = t->qonext;
    else
        b->open_head = t->qonext;
    if (t->qonext)
        t->qonext->qoprev = t->qoprev;
    else
        b->open_tail = t->qoprev;
    t->qonext = t->qoprev = NULL;
    t->q_open = false;
}

/* A request's bucket by method, path and host (qpath). */
static uint32_t qpath_bucket(const struct why_txn *t)
{
    return bucket_of(t->pkey ^ (t->hkey * 0x9e3779b97f4a7c15u), WHY_QHOST_BUCKETS);
}

/* The index of attempts: client address, server address and port. */
static uint32_t path_bucket(const struct why_addr *cli, const struct why_addr *srv, uint16_t port)
{
    uint64_t h = addr_hash(addr_hash(14695981039346656037u, cli), srv);
    h = (h ^ port) * 1099511628211u;
    return bucket_of(h, WHY_ADDR_BUCKETS);
}

/* ---- spare records ---- */

#define DNS_REC_SIZE (sizeof(struct why_dns_rec) + WHY_DNS_REC_ADDRS * sizeof(struct why_dns_alink))

/* ---- life cycle ---- */

int why_store_init(struct why_store *st, struct why_summary *sum, const struct why_gateways *gw,
                   int64_t settle_us, const struct why_store_hooks *hooks)
{
    memset(st, 0, sizeof *st);
    st->sum = sum;
    st->gw = gw;
    st->settle_us = settle_us;
    st->slots_ok = true;
    st->uslots_ok = true;
    st->tls_ok = true;
    if (hooks)
        st->hooks = *hooks;
    st->spare_txn.max = WHY_SPARE_TXN_MAX;
    st->spare_txn.lines = true; /* what the sweep reads of each is in its first line */
    st->spare_dns.max = st->spare_rec.max = st->spare_conn.max = WHY_SPARE_MAX;
    st->spare_cmore.max = st->spare_cend.max = WHY_SPARE_MAX;
    st->spare_http1.max = WHY_SPARE_MAX;
    st->copies = &st->spare_conn;
    st->copy_size = sizeof(struct why_conn);
    for (int i = 0; i < WHY_TIX_N; i++) {
        st->tix[i] = calloc(WHY_INDEX_BUCKETS_MIN, sizeof *st->tix[i]);
        st->tix_n[i] = WHY_INDEX_BUCKETS_MIN;
    }
    st->abuckets = calloc(WHY_ADDR_BUCKETS, sizeof *st->abuckets);
    st->clog = calloc(1, sizeof *st->clog);
    st->ubuckets = calloc(WHY_ADDR_BUCKETS, sizeof *st->ubuckets);
    st->fbuckets = calloc(WHY_ADDR_BUCKETS, sizeof *st->fbuckets);
    st->uc_tails = calloc(WHY_ADDR_BUCKETS, sizeof *st->uc_tails);
    st->dkey = calloc(WHY_DNS_LIVE_BUCKETS, sizeof *st->dkey);
    st->dsock = calloc(WHY_DNS_LIVE_BUCKETS, sizeof *st->dsock);
    st->nkbuckets = WHY_DNS_LIVE_BUCKETS;
    st->dnb = aligned_alloc(64, WHY_DNS_BUCKETS * sizeof *st->dnb); /* a bucket a line */
    if (st->dnb)
        memset(st->dnb, 0, WHY_DNS_BUCKETS * sizeof *st->dnb);
    st->daddr = calloc(WHY_DNS_BUCKETS, sizeof *st->daddr);
    st->qlike = calloc(WHY_QLIKE_MIN, sizeof *st->qlike);
    st->nqlike = WHY_QLIKE_MIN;
    st->qhost = calloc(WHY_QHOST_BUCKETS, sizeof *st->qhost);
    st->qpath = calloc(WHY_QHOST_BUCKETS, sizeof *st->qpath);
    if (!st->qlike || !st->qhost || !st->qpath || !st->tix[WHY_TIX_PATH] || !st->tix[WHY_TIX_HOST] ||
        !st->tix[WHY_TIX_ENDING] || !st->abuckets || !st->clog ||
        !st->ubuckets || !st->fbuckets || !st->uc_tails || !st->dkey || !st->dsock || !st->dnb || !st->daddr) {
        why_store_fini(st);
        return -1;
    }
    return 0;
}

static const char no_host[] = ""; /* a transaction's ihost before it is indexed */

/* t leaves the vector of complete requests: the last entry takes its place. O(1). */
static void complete_unlink(struct why_store *st, struct why_txn *t)
{
    if (!t->in_complete)
        return;
    struct why_complete *last = &st->complete[--st->ncomplete];
    st->complete[t->cpos] = *last;
    last->t->cpos = t->cpos;
    t->cpos = 0;
    t->in_complete = false;
}

/* The bucket of index ix for t's keys in a table of n buckets. The indexes by path and by
 * host keep the upstream candidates (cand) and the other requests in buckets apart (the
 * candidates in the first half of the table, the others in the second): the one reader of
 * those two indexes wants candidates only (the join's upstream request of a client's), and a
 * URL's clients' requests are as many as its upstream ones, or, where no upstream request is
 * sent (a backend dropping every SYN), all there is: a walk of a request's wait read hundreds
 * a second of them for each failed request, and each failed request waiting beside asked it
 * again (bench/make-flood.py --dropped, 30,000 in a minute: 7 s). In a table twice the size a
 * request's bucket is one of the two its bucket became (tix_grow). */
static uint32_t tix_index(enum why_tix ix, const struct why_txn *t, bool cand, uint32_t n)
{
    if (ix == WHY_TIX_ENDING)
        return (uint32_t)t->xkey & (n - 1);
    uint32_t k = ix == WHY_TIX_PATH ? (uint32_t)t->pkey : host_bits(t->pkey, t->hkey);
    return (k & (n / 2 - 1)) | (cand ? 0 : n / 2);
}

static struct why_tbucket *tix_bucket_as(const struct why_store *st, enum why_tix ix, const struct why_txn *t,
                                         bool cand)
{
    return &st->tix[ix][tix_index(ix, t, cand, st->tix_n[ix])];
}

/* t's bucket of index ix (its keys set, and its class: why_store_classify moves it). */
static struct why_tbucket *tix_bucket(const struct why_store *st, enum why_tix ix, const struct why_txn *t)
{
    return tix_bucket_as(st, ix, t, t->cand);
}

/* Index ix in a table twice the size: each bucket's requests, in their order, split between
 * the two buckets it becomes (every bucket of the new table is made from one of the old), so
 * each stays in the order a bucket keeps. Left as it was when there is no memory for it. */
static void tix_grow(struct why_store *st, enum why_tix ix)
{
    uint32_t n = st->tix_n[ix] * 2;
    struct why_tbucket *nb = calloc(n, sizeof *nb);
    if (!nb)
        return;
    struct why_tbucket *ob = st->tix[ix];
    for (uint32_t i = 0; i < st->tix_n[ix]; i++) {
        for (struct why_txn *t = ob[i].head, *next; t; t = next) {
            next = t->ix[ix].next;
            struct why_tbucket *b = &nb[tix_index(ix, t, t->cand, n)];
            t->ix[ix].next = NULL;
            if (!b->head) {
                t->ix[ix].prev = t; /* (the head's prev is the tail) */
                b->head = t;
            } else {
                struct why_txn *tail = b->head->ix[ix].prev;
                tail->ix[ix].next = t;
                t->ix[ix].prev = tail;
                b->head->ix[ix].prev = t;
            }
        }
    }
    free(ob);
    st->tix[ix] = nb;
    st->tix_n[ix] = n;
}

/* t joins its bucket of index ix in its place by req_first_ts, after those that began at the
 * same time: from the bucket's head, as requests are indexed nearly in the order they began
 * (O(those of the bucket that began later)). */
static void tix_link(struct why_store *st, enum why_tix ix, struct why_txn *t)
{
    struct why_tbucket *b = tix_bucket(st, ix, t);
    struct why_txn *head = b->head, *prev = NULL, *n = head;
    while (n && why_ts_cmp(n->req_first_ts, t->req_first_ts) > 0) {
        prev = n;
        n = n->ix[ix].next;
    }
    t->ix[ix].next = n;
    if (!prev) { /* the new head: the tail stays the head's prev (itself, alone) */
        t->ix[ix].prev = head ? head->ix[ix].prev : t;
        if (head)
            head->ix[ix].prev = t;
        b->head = t;
    } else {
        t->ix[ix].prev = prev;
        prev->ix[ix].next = t;
        if (n)
            n->ix[ix].prev = t;
        else
            head->ix[ix].prev = t; /* the new tail */
    }
    if (++st->tix_live[ix] > st->tix_n[ix] / 2 && st->tix_n[ix] < WHY_INDEX_BUCKETS)
        tix_grow(st, ix);
}

static void tix_unlink(struct why_store *st, enum why_tix ix, struct why_txn *t)
{
    struct why_tbucket *b = tix_bucket(st, ix, t);
    struct why_tlink *l = &t->ix[ix];
    if (t == b->head) {
        b->head = l->next;
        if (l->next)
            l->next->ix[ix].prev = l->prev; /* the tail */
    } else {
        l->prev->ix[ix].next = l->next;
        if (l->next)
            l->next->ix[ix].prev = l->prev;
        else
            b->head->ix[ix].prev = l->prev; /* the new tail */
    }
    l->next = l->prev = NULL;
    st->tix_live[ix]--;
}

struct why_txn *why_twalk_start(struct why_twalk *w, const struct why_tbucket *b, enum why_tix ix,
                                struct why_ts lo, struct why_ts hi)
{
    struct why_txn *head = b->head;
    w->head = head;
    w->ix = ix;
    w->lo = lo;
    w->hi = hi;
    w->up = true;
    if (!head || why_ts_cmp(lo, hi) > 0)
        return w->t = NULL;
    /* a from the one that began first, z from the one that began last, in turn: the first
     * to reach the window is in it (or the window is empty: the bucket is in order) */
    for (struct why_txn *a = head->ix[ix].prev, *z = head;; a = a->ix[ix].prev, z = z->ix[ix].next) {
        if (why_ts_cmp(a->req_first_ts, lo) >= 0)
            return w->t = why_ts_cmp(a->req_first_ts, hi) <= 0 ? a : NULL;
        if (why_ts_cmp(z->req_first_ts, hi) <= 0) {
            w->up = false;
            return w->t = why_ts_cmp(z->req_first_ts, lo) >= 0 ? z : NULL;
        }
        if (a == head || !z->ix[ix].next)
            return w->t = NULL; /* (not while the bucket is in order: the two meet the window first) */
    }
}

/* t leaves the index by path ending. */
static void ending_unlink(struct why_store *st, struct why_txn *t)
{
    if (!t->xindexed)
        return;
    tix_unlink(st, WHY_TIX_ENDING, t);
    t->xindexed = false;
}

/* t joins the index by path ending (its key made from path). */
static void ending_link(struct why_store *st, struct why_txn *t, const char *path, size_t len)
{
    ending_unlink(st, t);
    t->xkey = why_request_ending_key(t->method, path, len);
    tix_link(st, WHY_TIX_ENDING, t);
    t->xindexed = true;
    t->x_out = false;
}

/* Under AddressSanitizer the room's bytes not handed out, and those given up, are poisoned:
 * a string read past its end, or an answer's strings read after they were replaced, is then
 * seen as it would be in an allocation of its own. */
#ifdef WHY_SPARE_ASAN /* (util/spare.h) */
#include <sanitizer/asan_interface.h>
#define ROOM_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define ROOM_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define ROOM_POISON(p, n) ((void)0)
#define ROOM_UNPOISON(p, n) ((void)0)
#endif

/* n bytes of t's own room for strings (str), NULL when they no longer fit there (the caller
 * allocates them). Bytes given up (an answer's strings replaced) are not taken again. */
static void *txn_room(struct why_txn *t, size_t n)
{
    if (n > sizeof t->str - t->str_used)
        return NULL;
    void *p = t->str + t->str_used;
    t->str_used = (uint8_t)(t->str_used + n);
    ROOM_UNPOISON(p, n);
    return p;
}

/* p is in t's room: freed with t, never on its own */
static bool in_room(const struct why_txn *t, const void *p)
{
    return (uintptr_t)p - (uintptr_t)t->str < sizeof t->str;
}

/* A string of t's (n bytes) that t no longer uses: freed, or poisoned where it is in the room
 * (the room is not given back before t goes). */
static void room_release(const struct why_txn *t, void *p, size_t n)
{
    if (!in_room(t, p))
        free(p);
    else
        ROOM_POISON(p, n);
    (void)n;
}

/* t's Host and Via, already measured, written at b (hl + vl + 2 bytes). */
static void names_fill(struct why_txn *t, char *b, const char *host, size_t hl, const char *via, size_t vl)
{
    why_ascii_copy(b, hl + 1, (const uint8_t *)host, hl);
    why_ascii_copy(b + hl + 1, vl + 1, (const uint8_t *)via, vl);
    t->host = b;
    t->via = b + hl + 1;
}

/* Host and Via were written right after the target, in its allocation (why_store_txn_request) */
static bool names_in_target(const struct why_txn *t)
{
    return t->target && t->host == t->target + t->target_len + 1;
}

static void fq_unlink(struct why_store *st, struct why_txn *t);

static bool room_flood(const struct why_conn_rec *rc);

/* rc may make room now (rec_make_room): a run of records read as unable to make room no
 * longer reaches it; a run read as holding no flood's record able to, only where rc is a
 * flood's (settled when it closes: an open record makes no room). */
static void room_may(struct why_store *st, const struct why_conn_rec *rc)
{
    if (st->room_known[0] && rc->seq <= st->room_known[0]->seq)
        st->room_known[0] = rc->rprev;
    if (st->room_known[1] && rc->seq <= st->room_known[1]->seq && rc->closed && room_flood(rc))
        st->room_known[1] = rc->rprev;
}

static void txn_free(struct why_store *st, struct why_txn *t)
{
    if (!t)
        return;
    if (t->ihost != no_host && t->ihost != t->host && !in_room(t, t->ihost))
        free((char *)t->ihost);
    if (t->host != no_host && !names_in_target(t))
        free((char *)t->host); /* via is in the same allocation */
    if (t->resp != &why_txn_resp_none && !in_room(t, t->resp))
        free(t->resp);
    if (t->h2 != &why_txn_h2_none)
        free(t->h2);
    why_store_txn_unindex(st, t);
    ending_unlink(st, t);
    if (t->queued && !t->decided)
        why_store_queue_unindex(st, t);
    fq_unlink(st, t); /* (one marked decided while queued: the session takes it off first) */
    complete_unlink(st, t);
    struct why_txn **head = t->cand ? &st->cand_head : &st->oth_head;
    struct why_txn **tail = t->cand ? &st->cand_tail : &st->oth_tail;
    if (t->tprev)
        t->tprev->tnext = t->tnext;
    else
        *head = t->tnext;
    if (t->tnext)
        t->tnext->tprev = t->tprev;
    else
        *tail = t->tprev;
    if (st->tlast == t)
        st->tlast = NULL;
    t->rc->refs--;
    room_may(st, t->rc);
    if (!in_room(t, t->target))
        free(t->target);
    why_spare_give(&st->spare_txn, t);
}

/* rc leaves the index of attempts not yet seen to connect (if on it). O(1). */
static void attempt_remove(struct why_store *st, struct why_conn_rec *rc)
{
    if (!rc->in_attempts)
        return;
    if (rc->uprev)
        rc->uprev->unext = rc->unext;
    else
        st->ubuckets[path_bucket(&rc->c->cli_addr, &rc->c->srv_addr, rc->c->srv_port)] = rc->unext;
    if (rc->unext)
        rc->unext->uprev = rc->uprev;
    if (rc->fprev)
        rc->fprev->fnext = rc->fnext;
    else
        st->fbuckets[rc->fbucket] = rc->fnext;
    if (rc->fnext)
        rc->fnext->fprev = rc->fprev;
    rc->unext = rc->uprev = rc->fnext = rc->fprev = NULL;
    rc->in_attempts = false;
}

/* The end of the try list l that rc is on (or goes on): the unclaimed records' lists are
 * one per bucket of the client address (fbucket). */
static struct why_conn_rec **try_tail_of(struct why_store *st, const struct why_conn_rec *rc, enum why_try_list l)
{
    return l == WHY_TRIES_UNCLAIMED ? &st->uc_tails[rc->fbucket] : &st->try_tail[l];
}

/* rc leaves try list l (if on it). O(1). */
static void try_remove(struct why_store *st, struct why_conn_rec *rc, enum why_try_list l)
{
    if (!(rc->in_tries & 1u << l))
        return;
    unsigned k = why_try_link(l);
    if (l >= WHY_TRIES_REFUSED && st->refused_cur[l - WHY_TRIES_REFUSED] == rc)
        st->refused_cur[l - WHY_TRIES_REFUSED] = rc->tprev[k] ? rc->tprev[k] : rc->tnext[k];
    if (rc->tprev[k])
        rc->tprev[k]->tnext[k] = rc->tnext[k];
    if (rc->tnext[k])
        rc->tnext[k]->tprev[k] = rc->tprev[k];
    else
        *try_tail_of(st, rc, l) = rc->tprev[k];
    rc->tnext[k] = rc->tprev[k] = NULL;
    rc->in_tries &= (uint8_t)~(1u << l);
    if (st->slots_ok)
        st->slots[rc->slot].in_tries = rc->in_tries & ((1u << WHY_TRY_LISTS) - 1);
}

/* rc goes at the end of try list l. O(1). */
static void try_append(struct why_store *st, struct why_conn_rec *rc, enum why_try_list l)
{
    unsigned k = why_try_link(l);
    struct why_conn_rec **tail = try_tail_of(st, rc, l);
    rc->tprev[k] = *tail;
    rc->tnext[k] = NULL;
    if (*tail)
        (*tail)->tnext[k] = rc;
    *tail = rc;
    rc->in_tries |= (uint8_t)(1u << l);
    if (st->slots_ok)
        st->slots[rc->slot].in_tries = rc->in_tries & ((1u << WHY_TRY_LISTS) - 1);
}

/* rc can never again be on try list l: claimed (unclaimed), or midstream or connected, and
 * for a silent try also claimed or answered by a reset or ICMP (each is for good). */
static bool try_over(const struct why_conn_rec *rc, enum why_try_list l)
{
    const struct why_conn *c = why_rec_conn(rc);
    if (l == WHY_TRIES_UNCLAIMED)
        return rc->claimed;
    if (c->midstream || c->established)
        return true;
    return l == WHY_TRIES_SILENT &&
           (rc->claimed || c->synack_frame || c->half[WHY_S2C].end->rst_frame || c->more->icmp_frame);
}

/* rc, or the first record before it on list l that is not over; those over leave on the way
 * (each once). */
static struct why_conn_rec *try_live(struct why_store *st, struct why_conn_rec *rc, enum why_try_list l)
{
    while (rc && try_over(rc, l)) {
        struct why_conn_rec *p = rc->tprev[why_try_link(l)];
        try_remove(st, rc, l);
        rc = p;
    }
    return rc;
}

struct why_conn_rec *why_store_try_last(struct why_store *st, enum why_try_list l)
{
    return l == WHY_TRIES_UNCLAIMED ? NULL : try_live(st, st->try_tail[l], l);
}

struct why_conn_rec *why_store_try_prev(struct why_store *st, const struct why_conn_rec *rc, enum why_try_list l)
{
    return try_live(st, rc->tprev[why_try_link(l)], l);
}

/* rc leaves the try lists it can never be on again (try_over). */
static void tries_over(struct why_store *st, struct why_conn_rec *rc)
{
    for (int l = 0; rc->in_tries >> l; l++)
        if ((rc->in_tries & 1u << l) && try_over(rc, (enum why_try_list)l))
            try_remove(st, rc, (enum why_try_list)l);
}

void why_store_conn_answered(struct why_store *st, struct why_conn_rec *rc)
{
    if (rc->in_tries & ~(1u << WHY_TRIES_UNCLAIMED)) /* (a claim takes it off that one) */
        tries_over(st, rc);
}

void why_store_conn_refused(struct why_store *st, struct why_conn_rec *rc, struct why_ts at, bool long_hd)
{
    const struct why_conn *c = why_rec_conn(rc);
    if (c->established || c->midstream)
        return; /* an abort, not a refusal */
    try_remove(st, rc, WHY_TRIES_SILENT);
    try_remove(st, rc, WHY_TRIES_REFUSED); /* (a reset after an ICMP error: its time now) */
    try_remove(st, rc, WHY_TRIES_REFUSED_LONG);
    if (why_ts_cmp(at, st->refused_max) > 0 || !st->refused_seen)
        st->refused_max = at;
    else if (why_ts_diff_us(at, st->refused_max) > st->refused_lag_us)
        st->refused_lag_us = why_ts_diff_us(at, st->refused_max);
    st->refused_seen = true;
    try_append(st, rc, long_hd ? WHY_TRIES_REFUSED_LONG : WHY_TRIES_REFUSED);
}

/* The list is in the order of its refusal times within refused_lag_us: a record put on it
 * after one refused at r was refused at r - refused_lag_us or later. So after any record
 * refused later than t + refused_lag_us, every one was refused after t: the answer is the
 * one before the first such record the walk from the cursor meets. */
struct why_conn_rec *why_store_refused_by(struct why_store *st, enum why_try_list l, struct why_ts t)
{
    unsigned k = why_try_link(l);
    struct why_conn_rec **cur = &st->refused_cur[l - WHY_TRIES_REFUSED];
    struct why_ts lim = why_ts_add_us(t, st->refused_lag_us);
    struct why_conn_rec *rc = *cur ? *cur : st->try_tail[l];
    if (!rc)
        return NULL;
    if (why_ts_cmp(why_conn_refused_at(why_rec_conn(rc)), lim) <= 0) {
        while (rc->tnext[k] && why_ts_cmp(why_conn_refused_at(why_rec_conn(rc->tnext[k])), lim) <= 0)
            rc = rc->tnext[k];
        *cur = rc;
        return try_live(st, rc, l);
    }
    while (rc->tprev[k] && why_ts_cmp(why_conn_refused_at(why_rec_conn(rc->tprev[k])), lim) > 0)
        rc = rc->tprev[k];
    *cur = rc;
    return try_live(st, rc->tprev[k], l);
}

#define WHY_TRY_SLOT_WALK 64 /* slots read down from upto for a try list's member */

struct why_conn_rec *why_store_try_upto(struct why_store *st, const struct why_conn_rec *upto, enum why_try_list l)
{
    if (!upto || l == WHY_TRIES_UNCLAIMED)
        return NULL;
    /* the slots down from upto's place, a few, by each slot's copy of its record's lists (a
     * record made just before it may be on the list: not answered yet, or answered without
     * the event that takes it off), else the list from its end past those made since (the
     * failed tries made after upto: few, however many connected) */
    for (size_t i = upto->slot + 1, k = 0; st->slots_ok && i-- > 0 && k < WHY_TRY_SLOT_WALK; k++) {
        struct why_conn_rec *rc = st->slots[i].rc;
        if (rc && (st->slots[i].in_tries & 1u << l))
            return try_live(st, rc, l);
    }
    struct why_conn_rec *rc = why_store_try_last(st, l);
    while (rc && rc->seq > upto->seq)
        rc = why_store_try_prev(st, rc, l);
    return rc;
}

#define WHY_UC_TAIL_WALK 64 /* records made since upto read from an unclaimed list's end */

struct why_conn_rec *why_store_unclaimed_upto(struct why_store *st, const struct why_gateways *g,
                                              const struct why_addr *cli, const struct why_conn_rec *upto,
                                              const struct why_conn_rec *from)
{
    uint32_t b = addr_bucket(cli, WHY_ADDR_BUCKETS);
    if (!upto || !from)
        return NULL;
    /* from the list's end while few were made since (an address of the gateway that makes no
     * connection, or few: at once), else by the slots */
    struct why_conn_rec *rc = try_live(st, st->uc_tails[b], WHY_TRIES_UNCLAIMED);
    for (int k = 0; rc && rc->seq > upto->seq && (k < WHY_UC_TAIL_WALK || !st->slots_ok); k++)
        rc = why_store_try_prev(st, rc, WHY_TRIES_UNCLAIMED);
    if (!rc || rc->seq <= upto->seq)
        return rc && rc->seq >= from->seq ? rc : NULL;
    /* the slots down from upto's place: the first upstream one still on that list (a
     * record of the bucket that is not upstream is left to the walk, which skips it) */
    for (size_t i = upto->slot + 1; i-- > from->slot;) {
        struct why_rec_slot *s = &st->slots[i];
        if (s->rc && (s->in_tries & 1u << WHY_TRIES_UNCLAIMED) && why_store_slot_upstream(g, s) &&
            s->rc->fbucket == b)
            return try_live(st, s->rc, WHY_TRIES_UNCLAIMED);
    }
    return NULL;
}

/* ---- the heaps of parked records, each by the time its records may be due ---- */

static bool park_before(const struct why_park *a, const struct why_park *b)
{
    return why_ts_cmp(a->at, b->at) < 0;
}

static void park_set(struct why_parked *h, size_t i, struct why_park e)
{
    h->v[i] = e;
    e.rc->ppos = (uint32_t)i + 1;
}

static void park_up(struct why_parked *h, size_t i)
{
    struct why_park e = h->v[i];
    while (i > 0 && park_before(&e, &h->v[(i - 1) / 2])) {
        park_set(h, i, h->v[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    park_set(h, i, e);
}

static void park_down(struct why_parked *h, size_t i)
{
    struct why_park e = h->v[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && park_before(&h->v[c + 1], &h->v[c]))
            c++;
        if (!park_before(&h->v[c], &e))
            break;
        park_set(h, i, h->v[c]);
        i = c;
    }
    park_set(h, i, e);
}

/* rc leaves its heap of parked records (if on one). O(log n). */
static void park_remove(struct why_store *st, struct why_conn_rec *rc)
{
    if (!rc->ppos)
        return;
    struct why_parked *h = &st->park[rc->pheap];
    size_t i = rc->ppos - 1;
    rc->ppos = 0;
    struct why_park last = h->v[--h->n];
    if (i == h->n)
        return;
    park_set(h, i, last);
    if (i > 0 && park_before(&last, &h->v[(i - 1) / 2]))
        park_up(h, i);
    else
        park_down(h, i);
}

/* rc (off the active list) goes on heap k until at; false if there is no room (then it
 * stays where it is). O(log n). */
static bool park_add(struct why_store *st, int k, struct why_conn_rec *rc, struct why_ts at)
{
    struct why_parked *h = &st->park[k];
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 256;
        struct why_park *p = realloc(h->v, cap * sizeof *p);
        if (!p)
            return false;
        h->v = p;
        h->cap = cap;
    }
    h->v[h->n] = (struct why_park){at, rc};
    rc->pheap = (uint8_t)k;
    park_up(h, h->n++);
    return true;
}

/* The records of heap k due by limit (at before it) back on the active list. */
static void park_due(struct why_store *st, int k, struct why_ts limit)
{
    struct why_parked *h = &st->park[k];
    while (h->n && why_ts_cmp(h->v[0].at, limit) < 0)
        why_store_conn_active(st, h->v[0].rc);
}

static void act_remove(struct why_store *st, struct why_conn_rec *rc)
{
    park_remove(st, rc);
    if (!rc->in_act)
        return;
    if (rc->actprev)
        rc->actprev->actnext = rc->actnext;
    else
        st->act_head = rc->actnext;
    if (rc->actnext)
        rc->actnext->actprev = rc->actprev;
    rc->actnext = rc->actprev = NULL;
    rc->in_act = false;
}

void why_store_conn_active(struct why_store *st, struct why_conn_rec *rc)
{
    if (rc->in_act)
        return;
    park_remove(st, rc); /* something changed before it was due: looked at now */
    rc->in_act = true;
    rc->actprev = NULL;
    rc->actnext = st->act_head;
    if (rc->actnext)
        rc->actnext->actprev = rc;
    st->act_head = rc;
}

/* t may be freed now: if it is one the last trim kept at the head of its list, the next
 * trim reads the list up to it again (ids grow along the list). */
static void trim_again(const struct why_txn *t)
{
    struct why_conn_rec *rc = t->rc;
    if (rc->trim_kept && t->id <= rc->trim_kept->id && t->id > rc->trim_redo)
        rc->trim_redo = t->id;
}

void why_store_conn_claimed(struct why_store *st, struct why_conn_rec *rc)
{
    rc->claimed = true;
    tries_over(st, rc);
    if (rc->ppos && rc->pheap == WHY_PARK_CLOSED)
        why_store_conn_active(st, rc); /* spent: due once settled */
}

void why_store_txn_decided(struct why_store *st, struct why_txn *t)
{
    trim_again(t);
    why_store_conn_active(st, t->rc);
}

/* The records to rc's server address changed (why_store_conns_version); `cut`: other than
 * by one coming or going (why_store_conns_cut). */
static void conns_touch(struct why_store *st, const struct why_conn_rec *rc, bool cut)
{
    uint32_t v = why_store_conns_vslot(rc);
    st->conns_ver[v] = ++st->conns_stamp;
    if (cut)
        st->clog->cut[v] = st->conns_stamp;
}

void why_store_conn_syn(struct why_store *st, struct why_conn_rec *rc)
{
    conns_touch(st, rc, st->abuckets[rc->abucket] != rc);
    const struct why_conn *c = why_rec_conn(rc);
    if (st->slots_ok)
        st->slots[rc->slot].syn_first = why_ts_cmp(c->syn_ts0, c->first_ts) == 0;
    if (why_ts_diff_us(c->first_ts, c->syn_ts0) > st->syn_late_us)
        st->syn_late_us = why_ts_diff_us(c->first_ts, c->syn_ts0);
}

void why_store_one_drop(struct why_store *st, struct why_conn_rec *rc)
{
    if (!rc->in_one)
        return;
    if (rc->oprev)
        rc->oprev->onext = rc->onext;
    else
        st->one_head = rc->onext;
    if (rc->onext)
        rc->onext->oprev = rc->oprev;
    else
        st->one_tail = rc->oprev;
    rc->onext = rc->oprev = NULL;
    rc->in_one = false;
}

static void rec_unlink(struct why_store *st, struct why_conn_rec *rc)
{
    for (int k = 0; k < 2; k++) /* (the runs read by rec_make_room end before it now) */
        if (st->room_known[k] == rc)
            st->room_known[k] = rc->rprev;
    /* one of the oldest goes: the next record by creation joins them */
    if (st->oldest_last && rc->seq <= st->oldest_last->seq)
        st->oldest_last = st->oldest_last->rnext;
    why_store_one_drop(st, rc);
    if (rc->rprev)
        rc->rprev->rnext = rc->rnext;
    else
        st->rhead = rc->rnext;
    if (rc->rnext)
        rc->rnext->rprev = rc->rprev;
    else
        st->rtail = rc->rprev;
    if (rc->aprev)
        rc->aprev->anext = rc->anext;
    else
        st->abuckets[rc->abucket] = rc->anext;
    if (rc->anext)
        rc->anext->aprev = rc->aprev;
    conns_touch(st, rc, false);
    uint32_t v = why_store_conns_vslot(rc);
    struct why_conns_log *cl = st->clog;
    cl->gone[cl->ngone & (WHY_CONNS_GONE - 1)] = (struct why_conns_gone){.seq = rc->seq, .prev = cl->gone_last[v]};
    cl->gone_last[v] = ++cl->ngone;
    attempt_remove(st, rc);
    for (int l = 0; rc->in_tries && l < WHY_TRY_LISTS; l++)
        try_remove(st, rc, (enum why_try_list)l);
    act_remove(st, rc);
    for (int l = 0; rc->in_lists && l < WHY_REC_LISTS; l++) {
        struct why_rec_more *m = rc->more;
        if (!(rc->in_lists & 1u << l))
            continue;
        if (m->lprev[l])
            m->lprev[l]->more->lnext[l] = m->lnext[l];
        else
            st->list_head[l] = m->lnext[l];
        if (m->lnext[l])
            m->lnext[l]->more->lprev[l] = m->lprev[l];
    }
    st->nrecs--;
}

/* rc leaves the index of TLS records (if on it): the last entry takes its place. O(1). */
static void tls_remove(struct why_store *st, struct why_conn_rec *rc)
{
    uint32_t pos = st->slots[rc->slot].tls_pos;
    if (!pos)
        return;
    struct why_conn_rec *last = st->tls_recs[--st->ntls];
    st->tls_recs[pos - 1] = last;
    st->slots[last->slot].tls_pos = pos & WHY_SLOT_TLS_POS_MASK;
    st->slots[rc->slot].tls_pos = 0;
}

/* rc's part in closed_missing and closed_lone_rst is now `now` (why_conn_one_way bits). */
static void one_way_set(struct why_store *st, struct why_conn_rec *rc, unsigned now)
{
    st->closed_missing += (now & WHY_CONN_ONE_WAY_MISSING) != 0;
    st->closed_missing -= (rc->one_way & WHY_CONN_ONE_WAY_MISSING) != 0;
    st->closed_lone_rst += (now & WHY_CONN_ONE_WAY_LONE_RST) != 0;
    st->closed_lone_rst -= (rc->one_way & WHY_CONN_ONE_WAY_LONE_RST) != 0;
    rc->one_way = (uint8_t)now;
}

static void hello_remove(struct why_store *st, struct why_conn_rec *rc);

static void rec_free(struct why_store *st, struct why_conn_rec *rc)
{
    one_way_set(st, rc, 0);
    if (st->slots_ok) {
        tls_remove(st, rc);
        st->slots[rc->slot].rc = NULL;
        st->slots_dead++;
    }
    if (st->hooks.release)
        st->hooks.release(st->hooks.ctx, rc);
    if (rc->tls != &why_tls_facts_none) { /* (a record without TLS facts is on no index of them) */
        hello_remove(st, rc);
        why_tls_facts_fini(rc->tls);
        free(rc->tls);
    }
    if (rc->more != &why_rec_more_none)
        free(rc->more);
    if (rc->c_owned) {
        if (rc->c->more != &why_conn_more_none)
            why_spare_give(&st->spare_cmore, (struct why_conn_more *)rc->c->more);
        if (why_conn_ends(rc->c) != &why_conn_end_none)
            why_spare_give(&st->spare_cend, (struct why_conn_end *)why_conn_ends(rc->c));
        if (rc->c->miss != &why_conn_miss_none)
            free((struct why_conn_miss *)rc->c->miss);
        why_spare_give(st->copies, rc->c);
    }
    why_spare_give(&st->spare_rec, rc);
}

/* The entries a vector of n has room for at least: its allocation starts at 4 and doubles
 * when full, and a vector's compaction (dns_nvec_remove) keeps it, so the room is a power of
 * two of at least 4 and n; the least such is what the vector can count on. */
static uint64_t nvec_room(uint32_t n)
{
    uint64_t r = 4;
    while (r < n)
        r *= 2;
    return r;
}

/* The latest first query up to each entry, from the first not set yet, and how far a record
 * was asked before that of the records before it (the vector's disorder). */
static void dns_nvec_bound(struct why_dns_nvec *v)
{
    int64_t run = v->nmax ? v->e[v->nmax - 1].qmax_us : INT64_MIN;
    for (uint32_t i = v->nmax; i < v->n; i++) {
        if (v->e[i].d) {
            int64_t q = why_ts_us(v->e[i].d->q_ts);
            if (run != INT64_MIN && run - q > v->slack_us)
                v->slack_us = run - q;
            if (q > run)
                run = q;
        }
        v->e[i].qmax_us = run;
    }
    v->nmax = v->n;
}

/* The latest of `run` and an answered record's first query and answer (us). */
static int64_t dns_done_us(int64_t run, const struct why_dns_rec *r)
{
    int64_t q = why_ts_us(r->q_ts), a = why_ts_us(r->a_ts);
    if (q > run)
        run = q;
    return a > run ? a : run;
}

#define WHY_DNS_COMPACT_AHEAD 8 /* records a vector's compaction asks for ahead of its walk */

/* d leaves its vector; once half of it is pruned entries, they go (order kept: the bounds
 * are taken again over the records left, still bounds of what came before each). */
static void dns_nvec_remove(struct why_store *st, struct why_dns_rec *d)
{
    if (d->npos == UINT32_MAX)
        return;
    struct why_dns_nvec *v = &st->dnb[d->nbucket].v;
    v->e[d->npos].d = NULL;
    d->npos = UINT32_MAX;
    if (++v->dead * 2 <= v->n)
        return;
    uint32_t k = 0, nmax = 0, open_from = 0;
    int64_t run = INT64_MIN, done = INT64_MIN;
    for (uint32_t i = 0; i < v->n; i++) {
        /* the records a compaction reads (their times) and writes (npos) were made seconds
         * to minutes apart, as the name was asked, and are read from memory: eight entries
         * ahead they are asked for, so that the walk waits for them together, not one by one
         * (inline, not in a helper: GCC drops the calls of a function whose only effect is a
         * prefetch) */
        if (i + WHY_DNS_COMPACT_AHEAD < v->n && v->e[i + WHY_DNS_COMPACT_AHEAD].d) {
            const struct why_dns_rec *a = v->e[i + WHY_DNS_COMPACT_AHEAD].d;
            __builtin_prefetch(&a->q_ts);
            __builtin_prefetch(&a->npos, 1);
        }
        struct why_dns_rec *r = v->e[i].d;
        if (!r)
            continue;
        if (i < v->nmax) {
            if (why_ts_us(r->q_ts) > run)
                run = why_ts_us(r->q_ts);
            v->e[k].qmax_us = run;
            nmax = k + 1;
        }
        if (i < v->open_from) {
            done = dns_done_us(done, r);
            v->e[k].done_us = done;
            open_from = k + 1;
        }
        v->e[k].d = r;
        r->npos = k++;
    }
    v->n = k;
    v->nmax = nmax;
    v->open_from = open_from;
    v->dead = 0;
}

/* d leaves the list of records that may have failed (if on it). */
static void dns_failed_leave(struct why_store *st, struct why_dns_rec *d)
{
    if (!d->in_failed)
        return;
    if (d->xprev)
        d->xprev->xnext = d->xnext;
    else
        st->xhead = d->xnext;
    if (d->xnext)
        d->xnext->xprev = d->xprev;
    else
        st->xtail = d->xprev;
    d->xnext = d->xprev = NULL;
    d->in_failed = false;
}

/* d leaves the indexes of the records not answered (by query key, by socket). */
static void dns_live_leave(struct why_store *st, struct why_dns_rec *d)
{
    if (!d->live)
        return;
    if (d->kprev)
        d->kprev->knext = d->knext;
    else
        st->dkey[d->kbucket] = d->knext;
    if (d->knext)
        d->knext->kprev = d->kprev;
    if (d->sprev)
        d->sprev->snext = d->snext;
    else
        st->dsock[d->sbucket] = d->snext;
    if (d->snext)
        d->snext->sprev = d->sprev;
    d->live = false;
    st->nlive--;
}

static void dns_unlink(struct why_store *st, struct why_dns_rec *d)
{
    if (d->prev)
        d->prev->next = d->next;
    else
        st->dhead = d->next;
    if (d->next)
        d->next->prev = d->prev;
    else
        st->dtail = d->prev;
    dns_live_leave(st, d);
    if (d->nprev)
        d->nprev->nnext = d->nnext;
    else
        st->dnb[d->nbucket].name = d->nnext;
    if (d->nnext)
        d->nnext->nprev = d->nprev;
    dns_nvec_remove(st, d);
    for (int f = 0; f < 2; f++) {
        if (!d->findexed[f])
            continue;
        if (d->fprev[f])
            d->fprev[f]->fnext[f] = d->fnext[f];
        else
            st->dnb[d->nbucket].fam[f] = d->fnext[f];
        if (d->fnext[f])
            d->fnext[f]->fprev[f] = d->fprev[f];
    }
    struct why_dns_alink *links = (struct why_dns_alink *)(d + 1);
    st->dgen++;
    st->dgone++;
    if (st->dupto.x == d)
        st->dupto.x = NULL; /* why_store_dns_upto starts from the newest again */
    else if (st->dupto.x && d->id > st->dupto.x->id)
        st->dupto.after--;
    dns_failed_leave(st, d);
    for (uint32_t i = 0; i < d->naddrs; i++) {
        struct why_dns_alink *l = &links[i];
        if (l->prev)
            l->prev->next = l->next;
        else
            st->daddr[l->bucket] = l->next;
        if (l->next)
            l->next->prev = l->prev;
    }
    st->ndns--;
}

/* A DNS record (unlinked, or never linked) back to the spares, its name's allocation freed;
 * NULL. */
static struct why_dns_rec *dns_free(struct why_store *st, struct why_dns_rec *d)
{
    if (d->qname != d->qname_in)
        free(d->qname);
    why_spare_give(&st->spare_dns, d);
    return NULL;
}

void why_store_share_copies(struct why_store *st, struct why_spare *sp, size_t size)
{
    if (sp && size >= sizeof(struct why_conn)) {
        st->copies = sp;
        st->copy_size = size;
    }
}

void why_store_fini(struct why_store *st)
{
    st->room_known[0] = st->room_known[1] = NULL; /* (records go below without rec_unlink) */
    while (st->rhead) {
        struct why_conn_rec *rc = st->rhead;
        st->rhead = rc->rnext;
        while (rc->txn_head) {
            struct why_txn *t = rc->txn_head;
            rc->txn_head = t->next;
            txn_free(st, t);
        }
        rec_free(st, rc);
    }
    while (st->dhead) {
        struct why_dns_rec *d = st->dhead;
        st->dhead = d->next;
        dns_free(st, d);
    }
    why_spare_drain(&st->spare_txn);
    why_spare_drain(&st->spare_dns);
    why_spare_drain(&st->spare_rec);
    why_spare_drain(&st->spare_conn);
    why_spare_drain(&st->spare_cmore);
    why_spare_drain(&st->spare_cend);
    why_spare_drain(&st->spare_http1);
    free(st->slots);
    free(st->uslots);
    free(st->tslots);
    free(st->tls_recs);
    free(st->hello);
    free(st->fronts);
    free(st->ready);
    free(st->complete);
    for (int i = 0; i < WHY_TIX_N; i++)
        free(st->tix[i]);
    free(st->abuckets);
    free(st->clog);
    free(st->ubuckets);
    free(st->fbuckets);
    free(st->uc_tails);
    free(st->dkey);
    free(st->dsock);
    for (uint32_t i = 0; st->dnb && i < WHY_DNS_BUCKETS; i++)
        free(st->dnb[i].v.e);
    free(st->dnb);
    free(st->daddr);
    free(st->qlike);
    free(st->qhost);
    free(st->qpath);
    free(st->batch);
    for (int k = 0; k < WHY_PARK_HEAPS; k++)
        free(st->park[k].v);
    free(st->dbatch);
    memset(st, 0, sizeof *st);
}

/* ---- connection records ---- */

const char why_facts_empty[1];
const struct why_tls_facts why_tls_facts_none = {.sni = why_facts_empty, .cert_text = why_facts_empty};
const struct why_rec_more why_rec_more_none;
const struct why_conn why_conn_none = {.more = &why_conn_more_none,
                                       .miss = &why_conn_miss_none,
                                       .half = {{.end = &why_conn_end_none.half[WHY_C2S]},
                                                 {.end = &why_conn_end_none.half[WHY_S2C]}}};

void why_store_conn_closed(struct why_store *st, struct why_conn_rec *rc, const struct why_conn *c)
{
    struct why_conn *copy = rc->c_owned ? rc->c : why_spare_get(st->copies, st->copy_size, false);
    if (copy) {
        if (rc->c_owned && copy->more != &why_conn_more_none)
            why_spare_give(&st->spare_cmore, (struct why_conn_more *)copy->more);
        if (rc->c_owned && why_conn_ends(copy) != &why_conn_end_none)
            why_spare_give(&st->spare_cend, (struct why_conn_end *)why_conn_ends(copy));
        if (rc->c_owned && copy->miss != &why_conn_miss_none)
            free((struct why_conn_miss *)copy->miss);
        *copy = *c;
        copy->app = NULL;
        if (c->more != &why_conn_more_none) { /* the flow table frees its own */
            struct why_conn_more *more = why_spare_get(&st->spare_cmore, sizeof *more, false);
            if (more)
                *more = *c->more;
            else
                st->sum->oom++; /* its later SYNs and translation are lost */
            copy->more = more ? more : &why_conn_more_none;
        }
        if (why_conn_ends(c) != &why_conn_end_none) { /* as more */
            struct why_conn_end *e = why_spare_get(&st->spare_cend, sizeof *e, false);
            if (e)
                *e = *why_conn_ends(c);
            else
                st->sum->oom++; /* its FINs and RSTs are lost */
            why_conn_set_ends(copy, e ? e : &why_conn_end_none);
        }
        if (c->miss != &why_conn_miss_none) { /* as more */
            struct why_conn_miss *m = malloc(sizeof *m);
            if (m)
                *m = *c->miss;
            else
                st->sum->oom++; /* what its capture missed is lost */
            copy->miss = m ? m : &why_conn_miss_none;
        }
        rc->c = copy;
        rc->c_owned = true;
    } else {
        st->sum->oom++;
        attempt_remove(st, rc); /* its path is lost (and it has no SYN now) */
        conns_touch(st, rc, true);
        rc->c = (struct why_conn *)&why_conn_none; /* read only */
        rc->first_ts = why_conn_none.first_ts;
        if (st->slots_ok) {
            st->slots[rc->slot].first_ts = why_conn_none.first_ts;
            st->slots[rc->slot].syn_first = 0; /* (no SYN now) */
        }
    }
    rc->closed = true;
    room_may(st, rc);
    one_way_set(st, rc, why_conn_one_way(rc->c));
    why_store_conn_active(st, rc); /* pruning looks at it again */
    for (struct why_txn *t = rc->txn_head; t; t = t->next)
        why_store_txn_complete(st, t); /* a request whose connection is gone is complete */
}

/* A record's part apart, zeroed; NULL on out of memory (counted). */
static void *part_new(struct why_store *st, size_t size)
{
    void *p = calloc(1, size);
    if (!p)
        st->sum->oom++;
    return p;
}

struct why_tls_facts *why_store_tls_facts(struct why_store *st, struct why_conn_rec *rc)
{
    if (rc->tls == &why_tls_facts_none) {
        if ((rc->tls = part_new(st, sizeof *rc->tls)) == NULL)
            rc->tls = (struct why_tls_facts *)&why_tls_facts_none;
        else
            why_tls_facts_init(rc->tls);
    }
    return rc->tls == &why_tls_facts_none ? NULL : rc->tls;
}

struct why_rec_more *why_store_rec_more(struct why_store *st, struct why_conn_rec *rc)
{
    if (rc->more == &why_rec_more_none && (rc->more = part_new(st, sizeof *rc->more)) == NULL)
        rc->more = (struct why_rec_more *)&why_rec_more_none;
    return rc->more == &why_rec_more_none ? NULL : rc->more;
}

/* rc can make room: closed, and no request holds it */
static bool room_free(const struct why_conn_rec *rc)
{
    return rc->closed && rc->refs <= 0 && !rc->txn_head && !rc->claimed;
}

/* rc is a flood's: a connection opened towards the capture host that never got an answer */
static bool room_flood(const struct why_conn_rec *rc)
{
    return !rc->c->established && rc->c->srv_is_local && !rc->c->cli_is_local;
}

/* The first of the WHY_STORE_OLDEST oldest records that can make room (a flood's only with
 * `flood`), or NULL; the records read before it that cannot are remembered (room_known). */
static struct why_conn_rec *room_first(struct why_store *st, bool flood)
{
    struct why_conn_rec **known = &st->room_known[flood];
    for (struct why_conn_rec *rc = *known ? (*known)->rnext : st->rhead; rc && why_store_in_oldest(st, rc);
         rc = rc->rnext) {
        if (room_free(rc) && (!flood || room_flood(rc)))
            return rc;
        *known = rc;
    }
    return NULL;
}

/* At the cap, a closed record that no request holds makes room (counted): of the
 * WHY_STORE_OLDEST oldest, the first of a connection opened towards the capture host that
 * never got an answer (a flood's), else the first. */
static bool rec_make_room(struct why_store *st)
{
    struct why_conn_rec *any = room_first(st, true);
    if (!any)
        any = room_first(st, false);
    if (!any)
        return false;
    rec_unlink(st, any);
    rec_free(st, any);
    st->sum->cap_records_dropped++;
    return true;
}

struct why_conn_rec *why_store_conn_new(struct why_store *st, struct why_conn *c)
{
    if (st->nrecs >= WHY_RECORDS_MAX && !rec_make_room(st)) {
        st->sum->cap_records_dropped++;
        return NULL;
    }
    struct why_conn_rec *rc = why_spare_get(&st->spare_rec, sizeof *rc, true);
    if (!rc) {
        st->sum->oom++;
        return NULL;
    }
    rc->c = c;
    rc->first_ts = c->first_ts;
    if (st->slots_ok && st->nslots == st->slots_cap) {
        size_t cap = st->slots_cap ? st->slots_cap * 2 : 1024;
        struct why_rec_slot *v = realloc(st->slots, cap * sizeof *v);
        if (v) {
            st->slots = v;
            st->slots_cap = cap;
        } else {
            st->sum->oom++;
            st->slots_ok = false;
        }
    }
    if (st->slots_ok) {
        rc->slot = (uint32_t)st->nslots;
        st->slots[st->nslots++] = (struct why_rec_slot){.first_ts = c->first_ts, .rc = rc};
    }
    rc->tls = (struct why_tls_facts *)&why_tls_facts_none; /* read only until TLS is seen */
    rc->more = (struct why_rec_more *)&why_rec_more_none;  /* read only until written */
    rc->seq = ++st->next_rec_seq;
    if (st->rtail && why_ts_diff_us(c->first_ts, st->rtail->c->first_ts) >= WHY_ORDER_SLACK_US)
        st->conns_unordered = true; /* for good: the join then scans every record */
    if (why_ts_diff_us(c->first_ts, st->rfirst_max) > st->rlag_us && st->rhead)
        st->rlag_us = why_ts_diff_us(c->first_ts, st->rfirst_max);
    if (!st->rhead || why_ts_cmp(c->first_ts, st->rfirst_max) > 0)
        st->rfirst_max = c->first_ts;
    rc->rprev = st->rtail;
    if (st->rtail)
        st->rtail->rnext = rc;
    else
        st->rhead = rc;
    st->rtail = rc;
    rc->abucket = addr_bucket(&c->srv_addr, WHY_ADDR_BUCKETS);
    rc->anext = st->abuckets[rc->abucket];
    if (rc->anext)
        rc->anext->aprev = rc;
    st->abuckets[rc->abucket] = rc;
    conns_touch(st, rc, false);
    rc->fbucket = addr_bucket(&c->cli_addr, WHY_ADDR_BUCKETS);
    if (!c->midstream && !c->established) {
        uint32_t b = path_bucket(&c->cli_addr, &c->srv_addr, c->srv_port);
        rc->unext = st->ubuckets[b];
        if (rc->unext)
            rc->unext->uprev = rc;
        st->ubuckets[b] = rc;
        rc->fnext = st->fbuckets[rc->fbucket];
        if (rc->fnext)
            rc->fnext->fprev = rc;
        st->fbuckets[rc->fbucket] = rc;
        rc->in_attempts = true;
        rc->in_tries = 1u << WHY_TRIES_FAILED | 1u << WHY_TRIES_SILENT;
    }
    rc->in_tries |= 1u << WHY_TRIES_UNCLAIMED; /* (every record: a claim alone takes it off) */
    for (int l = 0; l < WHY_TRY_LISTS; l++)
        if (rc->in_tries & 1u << l)
            try_append(st, rc, (enum why_try_list)l);
    rc->oprev = st->one_tail; /* a direction has no packet yet */
    if (st->one_tail)
        st->one_tail->onext = rc;
    else
        st->one_head = rc;
    st->one_tail = rc;
    rc->in_one = true;
    st->nrecs++;
    if (st->nrecs == WHY_STORE_OLDEST)
        st->oldest_last = rc;
    return rc;
}

void why_store_rec_list(struct why_store *st, struct why_conn_rec *rc, enum why_rec_list l)
{
    struct why_rec_more *m;
    if ((rc->in_lists & 1u << l) || !(m = why_store_rec_more(st, rc)))
        return; /* on the list already, or out of memory (counted) */
    rc->in_lists |= (uint8_t)(1u << l);
    m->lprev[l] = NULL;
    m->lnext[l] = st->list_head[l];
    if (m->lnext[l])
        m->lnext[l]->more->lprev[l] = rc;
    st->list_head[l] = rc;
}

/* rc can never again be an attempt that did not connect: claimed, midstream, or connected
 * (each is for good; a record whose state was lost to an allocation failure has no SYN). */
static bool attempt_over(const struct why_conn_rec *rc)
{
    const struct why_conn *c = why_rec_conn(rc);
    return rc->claimed || c->midstream || c->established;
}

/* o, or the first record after it on its chain of attempts (by path, or with `from` by client
 * address) that is not over; those over are taken off on the way (each once). */
static struct why_conn_rec *attempt_live(struct why_store *st, struct why_conn_rec *o, bool from)
{
    while (o && attempt_over(o)) {
        struct why_conn_rec *n = from ? o->fnext : o->unext;
        attempt_remove(st, o);
        o = n;
    }
    return o;
}

struct why_conn_rec *why_store_attempts(struct why_store *st, const struct why_conn *like)
{
    return attempt_live(st, st->ubuckets[path_bucket(&like->cli_addr, &like->srv_addr, like->srv_port)], false);
}

struct why_conn_rec *why_store_attempts_next(struct why_store *st, const struct why_conn_rec *rc)
{
    return attempt_live(st, rc->unext, false);
}

struct why_conn_rec *why_store_attempts_before(struct why_store *st, const struct why_conn_rec *rc, struct why_ts t)
{
    if (!rc->in_attempts || st->conns_unordered)
        return why_store_attempts(st, rc->c);
    struct why_ts lim = why_ts_add_us(t, WHY_SKEW_US + st->rlag_us);
    struct why_conn_rec *o = (struct why_conn_rec *)rc;
    while (o->uprev && why_ts_cmp(o->uprev->first_ts, lim) <= 0)
        o = o->uprev;
    return attempt_live(st, o, false);
}

struct why_conn_rec *why_store_attempts_from_next(struct why_store *st, const struct why_conn_rec *rc)
{
    return attempt_live(st, rc->fnext, true);
}

/* A path's home slot in the memory of requests' paths, mixed to the last bit: servers whose
 * addresses differ in their last byte only must not share one. A path is kept in one of the
 * WHY_REQ_PATH_PROBES slots from its home on; with all of them taken by others, it replaces
 * the one at home. */
#define WHY_REQ_PATH_PROBES 16

static uint64_t req_path_hash(const struct why_conn *c)
{
    uint64_t h = addr_hash(addr_hash(14695981039346656037u, &c->cli_addr), &c->srv_addr);
    h = (h ^ c->srv_port) * 1099511628211u;
    return mix64(h);
}

static bool req_path_is(const struct why_req_path *p, const struct why_conn *c)
{
    return p->port == c->srv_port && why_addr_eq(&p->srv, &c->srv_addr) && why_addr_eq(&p->cli, &c->cli_addr);
}

/* c's entry: found, or when `make` taken (an empty slot, else the home one given over). The
 * probes read the tags; an entry only where its tag is the path's (a tag is the hash's top
 * bits, its lowest set: never 0, which marks an empty slot). */
static struct why_req_path *path_entry(struct why_store *st, const struct why_conn *c, bool make)
{
    uint64_t h = req_path_hash(c);
    size_t home = (size_t)h & (WHY_REQ_PATHS - 1), at = home; /* home: replaced when the probes
                                                                 find no room */
    uint16_t tag = (uint16_t)(h >> 48 | 1);
    for (size_t i = 0; i < WHY_REQ_PATH_PROBES; i++) {
        size_t j = (home + i) & (WHY_REQ_PATHS - 1);
        if (!st->req_path_tags[j]) {
            at = j;
            break;
        }
        if (st->req_path_tags[j] == tag && req_path_is(&st->req_paths[j], c))
            return &st->req_paths[j];
    }
    if (!make)
        return NULL;
    struct why_req_path *p = &st->req_paths[at];
    memset(p, 0, sizeof *p);
    p->cli = c->cli_addr;
    p->srv = c->srv_addr;
    p->port = c->srv_port;
    /* (a record that lost its connection has no address: its entry stays empty, found by
     * none and taken by the next path, as an entry of family 0 was) */
    st->req_path_tags[at] = c->srv_addr.family ? tag : 0;
    return p;
}

static const struct why_req_path *path_find(const struct why_store *st, const struct why_conn *c)
{
    return path_entry((struct why_store *)st, c, false);
}

/* The slot of n kept times (cap max) that a new one takes: the next, or the oldest. */
static uint32_t time_slot(const struct why_ts *ts, uint8_t *n, uint32_t max)
{
    if (*n < max)
        return (*n)++;
    uint32_t k = 0;
    for (uint32_t i = 1; i < max; i++)
        if (why_ts_cmp(ts[i], ts[k]) < 0)
            k = i;
    return k;
}

void why_store_note_req_path(struct why_store *st, const struct why_conn *c, struct why_ts from, struct why_ts to)
{
    struct why_req_path *p = path_entry(st, c, true);
    p->taken = true;
    for (uint32_t i = 0; i < p->nwaits; i++)
        if (why_ts_cmp(p->wait_from[i], from) == 0) {
            if (why_ts_cmp(to, p->wait_to[i]) > 0)
                p->wait_to[i] = to;
            return; /* the same request's other attempt */
        }
    uint8_t n = p->nwaits;
    uint32_t k = time_slot(p->wait_from, &p->nwaits, WHY_PATH_WAITS);
    if (n < WHY_PATH_WAITS || why_ts_cmp(from, p->wait_from[k]) > 0) {
        p->wait_from[k] = from;
        p->wait_to[k] = to;
    }
}

bool why_store_req_path_seen(const struct why_store *st, const struct why_conn *c)
{
    const struct why_req_path *p = path_find(st, c);
    return p && p->taken;
}

bool why_store_req_path_waited(const struct why_store *st, const struct why_conn *c, struct why_ts at, int64_t slack)
{
    const struct why_req_path *p = path_find(st, c);
    for (uint32_t i = 0; p && i < p->nwaits; i++)
        if (why_ts_diff_us(p->wait_from[i], at) >= -slack && why_ts_diff_us(at, p->wait_to[i]) >= -slack)
            return true;
    return false;
}

void why_store_note_check(struct why_store *st, const struct why_conn *c)
{
    struct why_req_path *p = path_entry(st, c, true);
    for (uint32_t i = 0; i < p->nchecks; i++)
        if (why_ts_cmp(p->checks[i], c->first_ts) == 0)
            return;
    uint8_t n = p->nchecks;
    uint32_t k = time_slot(p->checks, &p->nchecks, WHY_PATH_CHECKS);
    if (n < WHY_PATH_CHECKS || why_ts_cmp(c->first_ts, p->checks[k]) > 0)
        p->checks[k] = c->first_ts;
}

uint32_t why_store_checks_gone(const struct why_store *st, const struct why_conn *c, struct why_ts *out, uint32_t max)
{
    const struct why_req_path *p = path_find(st, c);
    uint32_t n = 0;
    for (uint32_t i = 0; p && i < p->nchecks && n < max; i++)
        out[n++] = p->checks[i];
    return n;
}

struct why_conn_rec *why_store_conns_to(const struct why_store *st, const struct why_addr *srv)
{
    return st->abuckets[addr_bucket(srv, WHY_ADDR_BUCKETS)];
}

struct why_conn_rec *why_store_rec_upto(const struct why_store *st, struct why_ts t)
{
    if (!st->slots_ok || st->conns_unordered || st->nslots == 0)
        return st->rtail;
    /* a slot begun after t + 2 lag: every record created after it began after its time less
     * the lag (rlag_us), so after t. The search finds such a slot whose one before began by
     * then (the times are not sorted, but any such boundary will do), and the walk starts at
     * the newest record held before it. */
    struct why_ts lim = why_ts_add_us(t, 2 * st->rlag_us);
    size_t hi = st->nslots - 1;
    if (why_ts_cmp(st->slots[hi].first_ts, lim) <= 0)
        return st->rtail;
    size_t lo = 0;
    if (why_ts_cmp(st->slots[0].first_ts, lim) > 0)
        return NULL;
    while (hi - lo > 1) { /* slots[lo] by lim, slots[hi] after */
        size_t mid = lo + (hi - lo) / 2;
        if (why_ts_cmp(st->slots[mid].first_ts, lim) > 0)
            hi = mid;
        else
            lo = mid;
    }
    for (size_t i = hi; i-- > 0;)
        if (st->slots[i].rc)
            return st->slots[i].rc;
    return NULL;
}

struct why_conn_rec *why_store_rec_from(const struct why_store *st, struct why_conn_rec *upto, struct why_ts t)
{
    if (!upto || why_ts_cmp(upto->first_ts, t) < 0)
        return NULL;
    if (!st->slots_ok || st->conns_unordered) {
        struct why_conn_rec *from = upto;
        while (from->rprev && why_ts_cmp(from->rprev->first_ts, t) >= 0)
            from = from->rprev;
        return from;
    }
    /* a slot begun at t + lag or later: every record created after it began at t or later.
     * The search finds such a slot (the times are not sorted, but any such one will do),
     * and the walk down from it stops at the first record begun before t, within the records
     * begun by t + 2 lag: the walk back from upto would stop there too. */
    struct why_ts lim = why_ts_add_us(t, st->rlag_us);
    size_t top = upto->slot; /* a place below which every record created began at t or later */
    if (why_ts_cmp(st->slots[top].first_ts, lim) >= 0) {
        size_t lo = 0, hi = top;
        if (why_ts_cmp(st->slots[0].first_ts, lim) >= 0) {
            hi = 0;
        } else {
            while (hi - lo > 1) { /* slots[lo] before lim, slots[hi] at or after */
                size_t mid = lo + (hi - lo) / 2;
                if (why_ts_cmp(st->slots[mid].first_ts, lim) >= 0)
                    hi = mid;
                else
                    lo = mid;
            }
        }
        top = hi;
    }
    struct why_conn_rec *from = st->slots[top].rc;
    for (size_t i = top; i-- > 0;) {
        const struct why_rec_slot *s = &st->slots[i];
        if (!s->rc)
            continue;
        if (why_ts_cmp(s->first_ts, t) < 0)
            break;
        from = s->rc;
    }
    if (!from) /* (slots[top] freed and none below it: the first held after it) */
        for (size_t i = top + 1; i <= upto->slot && !from; i++)
            from = st->slots[i].rc;
    return from;
}

void why_store_tls_add(struct why_store *st, struct why_conn_rec *rc)
{
    if (!st->slots_ok || !st->tls_ok || st->slots[rc->slot].tls_pos)
        return;
    if (st->ntls == st->tls_cap) {
        size_t cap = st->tls_cap ? st->tls_cap * 2 : 64;
        struct why_conn_rec **v = realloc(st->tls_recs, cap * sizeof *v);
        if (!v) {
            st->sum->oom++;
            st->tls_ok = false; /* for good: the walks go over every record */
            return;
        }
        st->tls_recs = v;
        st->tls_cap = cap;
    }
    st->tls_recs[st->ntls++] = rc;
    st->slots[rc->slot].tls_pos = (uint32_t)st->ntls & WHY_SLOT_TLS_POS_MASK;
}

/* ---- TLS records by their ClientHello's random ---- */

/* An entry of key's reach in v (nv entries): the i-th from its home (the key is a hash: its
 * bits are taken as they are). */
static inline struct why_hello_ent *hello_at(struct why_hello_ent *v, uint32_t nv, uint64_t key, uint32_t i)
{
    return &v[((uint32_t)(key >> 17) + i) & (nv - 1)];
}

/* rc leaves the index, and the entries after it move back into the room (linear probing's
 * deletion by backward shift): every key's entries then lie before the first free entry of
 * its reach, so a walk from a key's home stops there (why_store_hello_add, _twins). An
 * entry moves back only within its reach: the walk ends at a free entry, or after
 * WHY_HELLO_REACH - 1 that cannot move from the last room made (each move lowers the entries'
 * distance from home, which an insertion raises by less than the reach: amortised O(1)). */
static void hello_remove(struct why_store *st, struct why_conn_rec *rc)
{
    uint64_t key = rc->tls->hello_key;
    if (!rc->tls->hello_indexed)
        return;
    uint32_t mask = st->nhello_ents - 1, at = UINT32_MAX;
    for (uint32_t i = 0; i < WHY_HELLO_REACH && at == UINT32_MAX; i++) {
        struct why_hello_ent *e = hello_at(st->hello, st->nhello_ents, key, i);
        if (e->rc == rc)
            at = (uint32_t)(e - st->hello);
    }
    if (at == UINT32_MAX)
        return;
    for (uint32_t k = 1; k < WHY_HELLO_REACH; k++) {
        uint32_t j = (at + k) & mask;
        struct why_hello_ent *e = &st->hello[j];
        if (!e->key)
            break;
        uint32_t home = (uint32_t)(e->key >> 17) & mask;
        if (((j - home) & mask) >= k) { /* the room at `at` is within its reach: it moves */
            st->hello[at] = *e;
            at = j;
            k = 0;
        }
    }
    st->hello[at] = (struct why_hello_ent){0};
    st->nhello--;
    rc->tls->hello_indexed = false;
}

/* rc with key into v (nv entries): the first free entry of its reach, unless WHY_HELLO_SAME
 * before it hold that key already or none is free (randoms repeated, or keys made to meet: rc
 * is then not indexed). Only the entries up to the free one are read: at most half are used,
 * so that is one or two, where reading the whole reach for each ClientHello would be eight
 * cache lines. true when put. */
static bool hello_put(struct why_hello_ent *v, uint32_t nv, uint64_t key, struct why_conn_rec *rc)
{
    uint32_t same = 0;
    for (uint32_t i = 0; i < WHY_HELLO_REACH; i++) {
        struct why_hello_ent *e = hello_at(v, nv, key, i);
        if (!e->key) {
            e->key = key;
            e->rc = rc;
            return true;
        }
        if (e->key == key && ++same >= WHY_HELLO_SAME)
            return false;
    }
    return false;
}

/* Twice the entries, each put again. false when out of memory (the index stays as it was). */
static bool hello_grow(struct why_store *st)
{
    uint32_t nv = st->nhello_ents ? st->nhello_ents * 2 : 1024;
    struct why_hello_ent *v = calloc(nv, sizeof *v);
    if (!v)
        return false;
    uint32_t n = 0;
    for (uint32_t i = 0; i < st->nhello_ents; i++) {
        struct why_hello_ent *e = &st->hello[i];
        if (!e->key)
            continue;
        e->rc->tls->hello_indexed = hello_put(v, nv, e->key, e->rc); /* (false: its new reach
                                                                        is full) */
        n += e->rc->tls->hello_indexed;
    }
    free(st->hello);
    st->hello = v;
    st->nhello_ents = nv;
    st->nhello = n;
    return true;
}

bool why_store_hello_relay(struct why_conn_rec *a, struct why_conn_rec *b, struct why_conn_rec **cli,
                           struct why_conn_rec **up)
{
    const struct why_conn *ac = why_rec_conn(a), *bc = why_rec_conn(b);
    int ord = why_ts_cmp(ac->half[WHY_C2S].first_data_ts, bc->half[WHY_C2S].first_data_ts);
    if (ord == 0)
        ord = ac->half[WHY_C2S].first_data_frame < bc->half[WHY_C2S].first_data_frame ? -1 : 1;
    *cli = ord < 0 ? a : b;
    *up = ord < 0 ? b : a;
    const struct why_conn *cc = why_rec_conn(*cli), *uc = why_rec_conn(*up);
    return !why_addr_eq(&cc->cli_addr, &uc->cli_addr) &&
           !(why_addr_eq(&cc->srv_addr, &uc->srv_addr) && cc->srv_port == uc->srv_port) &&
           (!(*cli)->closed || why_ts_diff_us(why_conn_last_ts(cc), uc->half[WHY_C2S].first_data_ts) <= WHY_SKEW_US);
}

/* c's server's entry (its place when absent: family 0), NULL without the table */
static struct why_tls_front *front_at(const struct why_store *st, const struct why_conn *c)
{
    if (!st->fronts)
        return NULL;
    uint32_t n = 2 * WHY_TLS_FRONTS;
    uint32_t i = (why_store_addr_bucket(&c->srv_addr, n) ^ c->srv_port) & (n - 1);
    for (;; i = (i + 1) & (n - 1)) { /* (at most half used: an empty entry ends the walk) */
        struct why_tls_front *e = &st->fronts[i];
        if (!e->addr.family || (e->port == c->srv_port && why_addr_eq(&e->addr, &c->srv_addr)))
            return e;
    }
}

void why_store_tls_front(struct why_store *st, const struct why_conn *c, bool relayed)
{
    if (!st->fronts && !(st->fronts = calloc(2 * WHY_TLS_FRONTS, sizeof *st->fronts))) {
        st->sum->oom++;
        return;
    }
    struct why_tls_front *e = front_at(st, c);
    if (!e->addr.family) {
        if (st->nfronts >= WHY_TLS_FRONTS)
            return;
        e->addr = c->srv_addr;
        e->port = c->srv_port;
        st->nfronts++;
    }
    *(relayed ? &e->relayed : &e->terminated) += 1;
}

bool why_store_tls_front_terminates(const struct why_store *st, const struct why_conn *c)
{
    const struct why_tls_front *e = front_at(st, c);
    return e && e->addr.family && e->terminated && !e->relayed;
}

/* a among the summary's relay addresses (at most 8, the first seen) */
static void relay_note(struct why_summary *sum, const struct why_addr *a)
{
    for (uint32_t i = 0; i < sum->nrelays; i++)
        if (why_addr_eq(&sum->relays[i], a))
            return;
    if (sum->nrelays < sizeof sum->relays / sizeof sum->relays[0])
        sum->relays[sum->nrelays++] = *a;
}

void why_store_hello_add(struct why_store *st, struct why_conn_rec *rc)
{
    uint64_t key = rc->tls->hello_key;
    if (!key || rc->tls->hello_indexed)
        return; /* (indexed: a second ClientHello on it, after a HelloRetryRequest, the same random) */
    if ((uint64_t)(st->nhello + 1) * 2 > st->nhello_ents && !hello_grow(st)) {
        st->sum->oom++;
        return;
    }
    /* the records of its key lie before the first free entry (hello_remove): read to there,
     * rc put there unless WHY_HELLO_SAME of its key came first */
    struct why_conn_rec *tw[WHY_HELLO_SAME];
    uint32_t n = 0;
    for (uint32_t i = 0; i < WHY_HELLO_REACH; i++) {
        struct why_hello_ent *e = hello_at(st->hello, st->nhello_ents, key, i);
        if (!e->key) {
            if (n < WHY_HELLO_SAME) {
                e->key = key;
                e->rc = rc;
                rc->tls->hello_indexed = true;
                st->nhello++;
            }
            break;
        }
        if (e->key == key && n < WHY_HELLO_SAME)
            tw[n++] = e->rc;
    }
    /* a handshake a relay passed on: the leg sent on is counted once, the relay's two
     * addresses (the one its client reached, the one it sent from) named */
    bool counted = false;
    for (uint32_t i = 0; i < n; i++) {
        struct why_conn_rec *cli, *up;
        if (!why_store_hello_relay(tw[i], rc, &cli, &up))
            continue;
        if (!counted) {
            st->sum->tls_passed_through++;
            why_store_tls_front(st, why_rec_conn(cli), true);
        }
        counted = true;
        tw[i]->tls->passed_through = rc->tls->passed_through = true;
        relay_note(st->sum, &why_rec_conn(cli)->srv_addr);
        relay_note(st->sum, &why_rec_conn(up)->cli_addr);
    }
}

uint32_t why_store_hello_twins(const struct why_store *st, const struct why_conn_rec *rc,
                               struct why_conn_rec **out)
{
    uint64_t key = rc->tls->hello_key;
    uint32_t n = 0;
    if (!key || !st->hello)
        return 0;
    for (uint32_t i = 0; i < WHY_HELLO_REACH && n < WHY_HELLO_SAME - 1; i++) {
        const struct why_hello_ent *e = hello_at(st->hello, st->nhello_ents, key, i);
        if (!e->key)
            break; /* (none of the key past it: hello_remove) */
        if (e->key == key && e->rc != rc)
            out[n++] = e->rc;
    }
    return n;
}

struct why_conn_rec *const *why_store_tls_recs(const struct why_store *st, size_t *n)
{
    static struct why_conn_rec *const none[1]; /* kept, and empty: no TLS record yet */
    *n = st->ntls;
    if (!st->slots_ok || !st->tls_ok)
        return NULL;
    return st->tls_recs ? st->tls_recs : none;
}

/* ---- transactions and the request index ---- */

static void txn_append(struct why_store *st, struct why_txn *t, bool cand)
{
    struct why_txn **head = cand ? &st->cand_head : &st->oth_head;
    struct why_txn **tail = cand ? &st->cand_tail : &st->oth_tail;
    t->cand = cand;
    t->tnext = NULL;
    t->tprev = *tail;
    if (*tail)
        (*tail)->tnext = t;
    else
        *head = t;
    *tail = t;
}

void why_store_classify(struct why_store *st)
{
    if (st->txns_gen == st->gw->gen + 1)
        return;
    /* both lists are in creation (id) order: merged by id, split again */
    struct why_txn *a = st->cand_head, *b = st->oth_head;
    st->cand_head = st->cand_tail = st->oth_head = st->oth_tail = NULL;
    while (a || b) {
        struct why_txn *t;
        if (!b || (a && a->id < b->id)) {
            t = a;
            a = a->tnext;
        } else {
            t = b;
            b = b->tnext;
        }
        why_gw_roles(st->gw, t->rc);
        bool cand = t->rc->gw_cli && !t->rc->gw_srv;
        if (t->indexed && cand != t->cand) { /* to the buckets of its new class */
            tix_unlink(st, WHY_TIX_PATH, t);
            tix_unlink(st, WHY_TIX_HOST, t);
            t->cand = cand;
            tix_link(st, WHY_TIX_PATH, t);
            tix_link(st, WHY_TIX_HOST, t);
        }
        txn_append(st, t, cand);
        if (t->cand && t->x_out && !t->xindexed) { /* a decided request become a candidate */
            t->x_out = false;
            tix_link(st, WHY_TIX_ENDING, t);
            t->xindexed = true;
        }
    }
    st->txns_gen = st->gw->gen + 1;
}

bool why_store_cands_ordered(const struct why_store *st)
{
    if (st->txns_gen != st->gw->gen + 1 || st->txns_unordered)
        return false;
    return !st->tlast || why_ts_diff_us(st->tlast->req_ts, st->tlast_max) < WHY_ORDER_SLACK_US;
}

struct why_txn *why_store_txn_new(struct why_store *st, struct why_conn_rec *rc)
{
    if (rc->ntxn >= WHY_TXN_PER_CONN_MAX) {
        st->sum->cap_pending_dropped++;
        return NULL;
    }
    struct why_txn *t = why_spare_get(&st->spare_txn, sizeof *t, false);
    if (!t) {
        st->sum->oom++;
        return NULL;
    }
    memset(t, 0, offsetof(struct why_txn, str)); /* the room is read up to str_used only */
    ROOM_POISON(t->str, sizeof t->str);
    t->id = ++st->next_txn_id;
    t->rc = rc;
    t->ihost = t->host = t->via = no_host;
    t->resp = (struct why_txn_resp *)&why_txn_resp_none; /* read only until an answer */
    t->h2 = (struct why_txn_h2 *)&why_txn_h2_none; /* read only until HTTP/2 writes it */
    why_store_conn_active(st, rc);
    /* the caller sets req_ts after this: the one created before is checked now (and the
     * newest by why_store_cands_ordered) */
    if (st->tlast) {
        if (why_ts_diff_us(st->tlast->req_ts, st->tlast_max) >= WHY_ORDER_SLACK_US)
            st->txns_unordered = true; /* for good: the join then scans every record */
        if (why_ts_cmp(st->tlast->req_ts, st->tlast_max) > 0)
            st->tlast_max = st->tlast->req_ts;
    }
    st->tlast = t;
    why_gw_roles(st->gw, rc);
    txn_append(st, t, rc->gw_cli && !rc->gw_srv);
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

const struct why_txn_resp why_txn_resp_none;
const struct why_txn_h2 why_txn_h2_none;

struct why_txn_h2 *why_store_txn_h2(struct why_store *st, struct why_txn *t)
{
    if (t->h2 == &why_txn_h2_none) {
        struct why_txn_h2 *h2 = calloc(1, sizeof *h2);
        if (!h2) {
            st->sum->oom++;
            return NULL;
        }
        t->h2 = h2;
    }
    return t->h2;
}

void why_store_txn_names(struct why_store *st, struct why_txn *t, const char *host, const char *via)
{
    size_t hl = strnlen(host, WHY_TXN_HOST_MAX), vl = strnlen(via, WHY_TXN_VIA_MAX);
    if (t->host != no_host || (!hl && !vl))
        return;
    char *b = malloc(hl + vl + 2);
    if (!b) {
        st->sum->oom++;
        return;
    }
    names_fill(t, b, host, hl, via, vl);
}

void why_store_txn_request(struct why_store *st, struct why_txn *t, const char *target,
                           size_t target_len, const char *host, const char *via)
{
    size_t hl = strnlen(host, WHY_TXN_HOST_MAX), vl = strnlen(via, WHY_TXN_VIA_MAX);
    bool names = t->host == no_host && (hl || vl);
    size_t need = target_len + 1 + (names ? hl + vl + 2 : 0);
    char *b = txn_room(t, need);
    if (!b)
        b = malloc(need);
    if (!b) {
        st->sum->oom++;
        why_store_txn_names(st, t, host, via);
        return;
    }
    memcpy(b, target, target_len);
    b[target_len] = 0;
    t->target = b;
    t->target_len = (uint32_t)target_len;
    if (!names)
        return;
    names_fill(t, b + target_len + 1, host, hl, via, vl);
}

/* The bytes of answer strings made by resp_fill. */
static inline size_t resp_bytes(const struct why_txn_resp *r)
{
    size_t n = sizeof *r + r->first_len;
    for (int i = 0; i < WHY_RESP_NSTR; i++)
        n += r->len[i] + 1u;
    return n;
}

/* The bytes of v's answer strings (why_txn_resp_make), with each string's length in len. */
static size_t resp_size(const struct why_resp_view *v, size_t len[WHY_RESP_NSTR])
{
    static const size_t size[WHY_RESP_NSTR] = {WHY_RESP_CLAIM_SIZE, WHY_RESP_SERVER_SIZE,
                                               WHY_RESP_TITLE_SIZE, WHY_RESP_GRPC_MESSAGE_SIZE};
    size_t total = 0;
    for (int i = 0; i < WHY_RESP_NSTR; i++) {
        len[i] = strnlen(v->str[i], size[i] - 1);
        total += len[i] + 1;
    }
    size_t first = v->first_len > WHY_RESP_FIRST_MAX ? WHY_RESP_FIRST_MAX : v->first_len;
    return sizeof(struct why_txn_resp) + total + first;
}

static void resp_fill(struct why_txn_resp *r, const struct why_resp_view *v,
                      const size_t len[WHY_RESP_NSTR])
{
    char *p = r->s;
    for (int i = 0; i < WHY_RESP_NSTR; i++) {
        r->len[i] = (uint8_t)len[i];
        memcpy(p, v->str[i], len[i]);
        p[len[i]] = 0;
        p += len[i] + 1;
    }
    size_t first = v->first_len > WHY_RESP_FIRST_MAX ? WHY_RESP_FIRST_MAX : v->first_len;
    r->first_len = (uint8_t)first;
    if (first)
        memcpy(p, v->first, first);
    r->via = v->via;
}

struct why_txn_resp *why_txn_resp_make(const struct why_resp_view *v)
{
    size_t len[WHY_RESP_NSTR];
    struct why_txn_resp *r = malloc(resp_size(v, len));
    if (r)
        resp_fill(r, v, len);
    return r;
}

bool why_store_txn_resp_put(struct why_store *st, struct why_txn *t, const struct why_resp_view *v)
{
    /* v may point into the old one: the new one is written apart from it (the room is never
     * given back before t goes) */
    size_t len[WHY_RESP_NSTR], size = resp_size(v, len);
    struct why_txn_resp *r = txn_room(t, size);
    if (!r)
        r = malloc(size);
    if (!r) {
        st->sum->oom++;
        return false;
    }
    resp_fill(r, v, len);
    if (t->resp != &why_txn_resp_none)
        room_release(t, t->resp, resp_bytes(t->resp));
    t->resp = r;
    return true;
}

void why_store_txn_index(struct why_store *st, struct why_txn *t)
{
    /* the host as why_url_parse gives it (a lower-case copy), the path's bytes where they
     * lie: in the target, or the "/" of an absolute URL without a path (any run with the
     * same bytes will do: the join compares them) */
    struct why_url_key u;
    why_url_key(t->method, t->target ? t->target : "", t->target_len, t->host, &u);
    size_t plen = u.path_len;
    t->pkey = request_key_n(t->method, u.path, plen);
    t->hkey = why_request_key("", u.host);
    t->ipath = plen ? u.path : "";
    t->ipath_len = (uint32_t)plen;
    size_t hl = strnlen(u.host, sizeof u.host - 1);
    if (t->ihost != no_host && t->ihost != t->host)
        room_release(t, (char *)t->ihost, strlen(t->ihost) + 1);
    if (strcmp(t->host, u.host) == 0) {
        t->ihost = t->host; /* the Host as sent is the URL's host (or both are ""): shared */
    } else {
        char *h = txn_room(t, hl + 1); /* a Host with a port, in upper case: the URL's apart */
        if (!h)
            h = malloc(hl + 1);
        if (h) {
            memcpy(h, u.host, hl);
            h[hl] = 0;
            t->ihost = h;
        } else {
            st->sum->oom++;
            t->ihost = no_host;
        }
    }
    t->ihost_whole = strcmp(t->ihost, u.host) == 0;
    t->ihost_ip = u.host_is_ip;
    tix_link(st, WHY_TIX_PATH, t);
    tix_link(st, WHY_TIX_HOST, t);
    t->indexed = true;
    /* the path the join compares (ipath, or the one it parses again when there is no ihost:
     * the same bytes) */
    ending_link(st, t, t->ipath, t->ipath_len);
}

void why_store_txn_unindex(struct why_store *st, struct why_txn *t)
{
    if (!t->indexed)
        return;
    tix_unlink(st, WHY_TIX_PATH, t);
    tix_unlink(st, WHY_TIX_HOST, t);
    t->indexed = false;
}

void why_store_txn_judged(struct why_store *st, struct why_txn *t)
{
    why_store_txn_unindex(st, t);
    if (t->xindexed && !t->cand) {
        ending_unlink(st, t);
        t->x_out = true;
    }
}

/* Equal keys are not taken for equal strings: the strings are compared too. */
bool why_store_request_like(const struct why_txn *t, const struct why_txn *like, bool by_host)
{
    if (t->pkey != like->pkey || strcmp(t->method, like->method) != 0)
        return false;
    if (t->ipath_len != like->ipath_len || memcmp(t->ipath, like->ipath, t->ipath_len) != 0)
        return false;
    return !by_host || (t->hkey == like->hkey && strcmp(t->ihost, like->ihost) == 0);
}

/* t, where walk w stands, or the next of w's like `like` */
static struct why_txn *requests_from(struct why_twalk *w, struct why_txn *t, const struct why_txn *like, bool by_host)
{
    while (t && !why_store_request_like(t, like, by_host))
        t = why_twalk_next(w);
    return t;
}

/* ...and, past the end of the candidates' bucket, the others' when the split is not the
 * gateway set's of now (its roles changed since why_store_classify: a request may be a
 * candidate now in the others' bucket, or the reverse; the caller tests each one's roles) */
static struct why_txn *requests_more(struct why_twalk *w, struct why_txn *t, const struct why_txn *like, bool by_host)
{
    t = requests_from(w, t, like, by_host);
    if (!t && w->more) {
        const struct why_tbucket *b = w->more;
        w->more = NULL;
        t = requests_from(w, why_twalk_start(w, b, w->ix, w->lo, w->hi), like, by_host);
    }
    return t;
}

struct why_txn *why_store_requests_next(struct why_twalk *w, const struct why_txn *like, bool by_host)
{
    return requests_more(w, w->t ? why_twalk_next(w) : NULL, like, by_host);
}

struct why_txn *why_store_requests(const struct why_store *st, const struct why_txn *like, bool by_host,
                                   struct why_ts lo, struct why_ts hi, struct why_twalk *w)
{
    enum why_tix ix = by_host ? WHY_TIX_HOST : WHY_TIX_PATH;
    w->more = st->txns_gen == st->gw->gen + 1 ? NULL : tix_bucket_as(st, ix, like, false);
    return requests_more(w, why_twalk_start(w, tix_bucket_as(st, ix, like, true), ix, lo, hi), like, by_host);
}

static void like_count_ok(struct why_store *st, struct why_txn *t);

/* The queue's index in a table twice the size: each bucket's requests, in their order, split
 * between the two buckets it becomes (each new bucket is made from one old one), and each
 * new bucket's count of those answered below 500. Left as it was when there is no memory
 * for it. */
static void qlike_grow(struct why_store *st)
{
    uint32_t n = st->nqlike * 2;
    struct why_qlike *nb = calloc(n, sizeof *nb);
    if (!nb)
        return;
    for (uint32_t i = 0; i < st->nqlike; i++) {
        for (struct why_txn *t = st->qlike[i].head, *next; t; t = next) {
            next = t->lnext;
            struct why_qlike *b = &nb[t->lhash & (n - 1)];
            t->lprev = b->tail;
            t->lnext = NULL;
            if (b->tail)
                b->tail->lnext = t;
            else
                b->head = t;
            b->tail = t;
            b->nok += t->ok_counted;
        }
    }
    free(st->qlike);
    st->qlike = nb;
    st->nqlike = n;
}

/* t is in like bucket lb (pushed, not left yet). */
static bool in_like(const struct why_qlike *lb, const struct why_txn *t)
{
    return t->lprev || lb->head == t;
}

void why_store_queue_push(struct why_store *st, struct why_txn *t)
{
    if (why_ts_diff_us(t->req_first_ts, st->qfirst_max) >= WHY_ORDER_SLACK_US)
        st->queue_unordered = true; /* for good: oldest_pending walks the whole queue */
    else if (why_ts_diff_us(t->req_first_ts, st->qfirst_max) > st->qlag_us)
        st->qlag_us = why_ts_diff_us(t->req_first_ts, st->qfirst_max);
    if (why_ts_cmp(t->req_first_ts, st->qfirst_max) > 0)
        st->qfirst_max = t->req_first_ts;
    t->queued = true;
    t->qseq = ++st->qseq;
    t->lhash = like_hash(t);
    /* after the last one not sent later (from the newest: pushes come in the order sent,
     * but for a capture's disorder) */
    struct why_qlike *lb = like_of(st, t);
    struct why_txn *lafter = lb->tail;
    while (lafter && why_ts_cmp(lafter->req_ts, t->req_ts) > 0)
        lafter = lafter->lprev;
    t->lprev = lafter;
    t->lnext = lafter ? lafter->lnext : lb->head;
    if (t->lnext)
        t->lnext->lprev = t;
    else
        lb->tail = t;
    if (lafter)
        lafter->lnext = t;
    else
        lb->head = t;
    like_count_ok(st, t);
    if (++st->nqlike_live > st->nqlike / 2 && st->nqlike < WHY_QLIKE_MAX)
        qlike_grow(st);
    if (t->host[0]) {
        /* after the last one that did not begin later (from the newest: pushes come nearly
         * in the order requests began) */
        struct why_qhost *b = &st->qhost[qhost_bucket(t->hkey)];
        struct why_txn *after = b->tail;
        while (after && why_ts_cmp(after->req_first_ts, t->req_first_ts) > 0)
            after = after->hqprev;
        t->hqprev = after;
        t->hqnext = after ? after->hqnext : b->head;
        if (t->hqnext)
            t->hqnext->hqprev = t;
        else
            b->tail = t;
        if (after)
            after->hqnext = t;
        else
            b->head = t;
        t->in_qhost = true;
    } else {
        t->hqnext = NULL;
        t->hqprev = st->qnh_tail;
        if (st->qnh_tail)
            st->qnh_tail->hqnext = t;
        else
            st->qnh_head = t;
        st->qnh_tail = t;
        t->in_qnohost = true;
        st->qnohost++;
    }
    open_link(st, t);
    t->in_qpath = true;
    st->qpath[qpath_bucket(t)]++;
    t->qprev = st->qtail;
    if (st->qtail)
        st->qtail->qnext = t;
    else
        st->qhead = t;
    st->qtail = t;
    if (t->resp_done || t->h2_end || t->rc->closed)
        why_store_txn_complete(st, t);
    why_store_queue_answered(st, t);
}

void why_store_queue_answered(struct why_store *st, struct why_txn *t)
{
    if (t->queued)
        like_count_ok(st, t);
    if (!t->queued || t->decided || t->in_fq || !t->has_resp || t->status < 500)
        return;
    struct why_txn *after = st->fqtail;
    while (after && after->qseq > t->qseq)
        after = after->fqprev;
    t->fqprev = after;
    t->fqnext = after ? after->fqnext : st->fqhead;
    if (t->fqnext)
        t->fqnext->fqprev = t;
    else
        st->fqtail = t;
    if (after)
        after->fqnext = t;
    else
        st->fqhead = t;
    t->in_fq = true;
}

void why_store_txn_complete(struct why_store *st, struct why_txn *t)
{
    open_unlink(st, t);
    if (!t->queued || t->decided || t->in_complete || st->complete_lost)
        return;
    if (st->ncomplete == st->complete_cap) {
        size_t cap = st->complete_cap ? st->complete_cap * 2 : 256;
        struct why_complete *v = realloc(st->complete, cap * sizeof *v);
        if (!v) {
            st->sum->oom++;
            st->complete_lost = true; /* why_store_complete_due says so: the queue is walked */
            return;
        }
        st->complete = v;
        st->complete_cap = cap;
    }
    t->in_complete = true;
    t->cpos = (uint32_t)st->ncomplete;
    st->complete[st->ncomplete++] = (struct why_complete){INT64_MIN, t};
}

void why_store_queue_remove(struct why_store *st, struct why_txn *t)
{
    if (t->qprev)
        t->qprev->qnext = t->qnext;
    else if (st->qhead == t)
        st->qhead = t->qnext;
    if (t->qnext)
        t->qnext->qprev = t->qprev;
    else if (st->qtail == t)
        st->qtail = t->qprev;
    t->qnext = t->qprev = NULL;
    why_store_queue_unindex(st, t);
    complete_unlink(st, t);
    why_store_txn_decided(st, t); /* pruning may trim it */
}

WHY_SORT_BY_KEY(sort_txns_by_qseq, struct why_txn, p->qseq)

/* The list of complete requests is nearly in queue order (answers come in about the order
 * the requests were sent): an insertion sort does it in one pass and a few moves, without
 * a call per comparison; past 8 moves per request on average, a radix sort finishes the job. */
static void sort_by_qseq(struct why_txn **v, size_t n)
{
    size_t moves = 0;
    for (size_t i = 1; i < n; i++) {
        struct why_txn *t = v[i];
        size_t j = i;
        while (j > 0 && v[j - 1]->qseq > t->qseq) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = t;
        moves += i - j;
        if (moves > 8 * n) {
            sort_txns_by_qseq(v, n);
            return;
        }
    }
}

size_t why_store_complete_due(struct why_store *st,
                              bool (*due)(const void *arg, const struct why_txn *t, int64_t *not_before),
                              const void *arg, struct why_ts now)
{
    if (st->complete_lost)
        return SIZE_MAX;
    size_t n = 0;
    int64_t now_us = why_ts_us(now);
    for (size_t i = 0; i < st->ncomplete; i++) {
        struct why_complete *e = &st->complete[i];
        if (now_us < e->not_before)
            continue; /* not due yet, and not read: most of those settling */
        struct why_txn *t = e->t;
        e->not_before = INT64_MIN;
        if (!due(arg, t, &e->not_before))
            continue;
        if (n == st->ready_cap) {
            size_t cap = st->ready_cap ? st->ready_cap * 2 : 256;
            struct why_txn **v = realloc(st->ready, cap * sizeof *v);
            if (!v) {
                st->sum->oom++;
                return SIZE_MAX;
            }
            st->ready = v;
            st->ready_cap = cap;
        }
        st->ready[n++] = t;
    }
    sort_by_qseq(st->ready, n); /* decided in queue order */
    return n;
}

/* t leaves the queue's list of 5xx (if on it). O(1). */
static void fq_unlink(struct why_store *st, struct why_txn *t)
{
    if (!t->in_fq)
        return;
    if (t->fqprev)
        t->fqprev->fqnext = t->fqnext;
    else
        st->fqhead = t->fqnext;
    if (t->fqnext)
        t->fqnext->fqprev = t->fqprev;
    else
        st->fqtail = t->fqprev;
    t->fqnext = t->fqprev = NULL;
    t->in_fq = false;
}

/* t leaves the list (head, tail) its hqnext links it on: its bucket of the queue's index by
 * host, or the list of the queued requests without a Host. */
static void hq_unlink(struct why_txn **head, struct why_txn **tail, struct why_txn *t)
{
    if (t->hqprev)
        t->hqprev->hqnext = t->hqnext;
    else
        *head = t->hqnext;
    if (t->hqnext)
        t->hqnext->hqprev = t->hqprev;
    else
        *tail = t->hqprev;
    t->hqnext = t->hqprev = NULL;
}

void why_store_queue_unindex(struct why_store *st, struct why_txn *t)
{
    fq_unlink(st, t);
    struct why_qlike *lb = like_of(st, t);
    if (in_like(lb, t)) {
        if (t->lprev)
            t->lprev->lnext = t->lnext;
        else
            lb->head = t->lnext;
        if (t->lnext)
            t->lnext->lprev = t->lprev;
        else
            lb->tail = t->lprev;
        st->nqlike_live--;
    }
    if (t->ok_counted) {
        lb->nok--;
        t->ok_counted = false;
    }
    t->lnext = t->lprev = NULL;
    if (t->in_qhost) {
        struct why_qhost *b = &st->qhost[qhost_bucket(t->hkey)];
        hq_unlink(&b->head, &b->tail, t);
        t->in_qhost = false;
    }
    if (t->in_qnohost) {
        hq_unlink(&st->qnh_head, &st->qnh_tail, t);
        t->in_qnohost = false;
        st->qnohost--;
    }
    open_unlink(st, t);
    if (t->q_full) {
        t->q_full = false;
        st->qhost[qhost_bucket(t->hkey)].full--;
    }
    if (t->in_qpath) {
        t->in_qpath = false;
        st->qpath[qpath_bucket(t)]--;
    }
}

struct why_txn *why_store_queued_host(const struct why_store *st, uint64_t hkey)
{
    return st->qhost[qhost_bucket(hkey)].head;
}

void why_store_queue_full(struct why_store *st, struct why_txn *t)
{
    if (t->queued && !t->decided && !t->q_full) {
        t->q_full = true;
        st->qhost[qhost_bucket(t->hkey)].full++;
    }
}

bool why_store_queued_may_take(const struct why_store *st, const struct why_txn *t, bool every)
{
    uint32_t hb = qhost_bucket(t->hkey), pb = qpath_bucket(t);
    if (every) {
        for (const struct why_txn *q = st->qhead; q; q = q->qnext) {
            bool host = qhost_bucket(q->hkey) == hb && ((q->q_open && q->qseq < t->qseq) || q->q_full);
            if (q != t && (q->in_qnohost || host || (q->in_qpath && qpath_bucket(q) == pb)))
                return true;
        }
        return false;
    }
    const struct why_qhost *b = &st->qhost[hb];
    if (st->qnohost > (t->in_qnohost ? 1u : 0u) || b->full > (t->q_full ? 1u : 0u) ||
        st->qpath[pb] > (t->in_qpath ? 1u : 0u))
        return true;
    /* one not complete yet pushed before t: the first of the bucket's (push order) */
    return b->open_head && b->open_head != t && b->open_head->qseq < t->qseq;
}

struct why_txn *why_store_queued_like(const struct why_store *st, const struct why_txn *t)
{
    /* (a request pushed once keeps its bucket: what it hashes is set before the push) */
    return like_of(st, t)->head;
}

struct why_txn *why_store_queued_like_from(const struct why_store *st, const struct why_txn *t, struct why_ts lo,
                                           uint32_t *nok)
{
    const struct why_qlike *lb = like_of(st, t);
    *nok = lb->nok;
    struct why_txn *q = lb->head;
    if (t->qseq && in_like(lb, t) && why_ts_cmp(t->req_ts, lo) >= 0) {
        q = (struct why_txn *)t; /* (in the bucket: back to the first sent at lo or later) */
        while (q->lprev && why_ts_cmp(q->lprev->req_ts, lo) >= 0)
            q = q->lprev;
        return q;
    }
    while (q && why_ts_cmp(q->req_ts, lo) < 0)
        q = q->lnext;
    return q;
}

/* t counts in its bucket's nok once it is there and answered below 500. */
static void like_count_ok(struct why_store *st, struct why_txn *t)
{
    struct why_qlike *lb = like_of(st, t);
    if (!t->ok_counted && t->queued && in_like(lb, t) && t->has_resp && t->status < 500) {
        lb->nok++;
        t->ok_counted = true;
    }
}

void why_store_claim_txn(struct why_store *st, struct why_txn *up, struct why_txn *client)
{
    up->claimed_by = client;
    up->rc->carried = true;
    trim_again(up); /* joined: pruning may trim it */
    why_store_conn_active(st, up->rc);
    why_store_txn_unindex(st, up); /* joined once: no other request may look at it again */
    ending_unlink(st, up);
}

/* ---- DNS records ---- */

/* d at the head of its chains of the indexes of the records not answered (its socket and key
 * set): newest first in every chain, so a lookup finds the latest record. */
static void dns_live_link(struct why_store *st, struct why_dns_rec *d)
{
    uint64_t sh = dns_sock_hash(&d->cli, d->cli_port, &d->srv);
    d->kbucket = bucket_of(dns_key_hash(sh, d->qid, d->nkey), st->nkbuckets);
    d->kprev = NULL;
    d->knext = st->dkey[d->kbucket];
    if (d->knext)
        d->knext->kprev = d;
    st->dkey[d->kbucket] = d;
    d->sbucket = bucket_of(sh, st->nkbuckets);
    d->sprev = NULL;
    d->snext = st->dsock[d->sbucket];
    if (d->snext)
        d->snext->sprev = d;
    st->dsock[d->sbucket] = d;
}

/* Doubles the indexes of the records not answered once they hold more records than buckets,
 * so a lookup by query key (two per query: the query's own and its answer's) passes about one
 * record; relinked from the oldest, every chain stays newest first (at most
 * log2(WHY_DNS_KEY_BUCKETS_MAX / WHY_DNS_LIVE_BUCKETS) walks of the records in all). On
 * failure the chains grow longer, no more. */
static void dns_live_grow(struct why_store *st)
{
    if (st->nlive < st->nkbuckets || st->nkbuckets >= WHY_DNS_KEY_BUCKETS_MAX)
        return;
    uint32_t n = st->nkbuckets * 2;
    struct why_dns_rec **b = calloc(n, sizeof *b), **sb = calloc(n, sizeof *sb);
    if (!b || !sb) {
        free(b);
        free(sb);
        return;
    }
    free(st->dkey);
    free(st->dsock);
    st->dkey = b;
    st->dsock = sb;
    st->nkbuckets = n;
    for (struct why_dns_rec *d = st->dhead; d; d = d->next)
        if (d->live)
            dns_live_link(st, d);
}

struct why_dns_rec *why_store_dns_find(const struct why_store *st, const struct why_addr *cli,
                                       uint16_t cport, const struct why_addr *srv, uint16_t qid,
                                       const char *qname, uint16_t qtype)
{
    /* the copy of the name dns_new keeps is at most WHY_DNS_NAME_MAX bytes: so is the key's */
    size_t n = dns_name_len(qname);
    uint64_t nkey = dns_name_key(qname, n);
    uint64_t h = dns_key_hash(dns_sock_hash(cli, cport, srv), qid, nkey);
    for (struct why_dns_rec *d = st->dkey[bucket_of(h, st->nkbuckets)]; d; d = d->knext)
        if (d->qid == qid && d->cli_port == cport && d->qtype == qtype && d->nkey == nkey &&
            why_addr_eq(&d->cli, cli) && why_addr_eq(&d->srv, srv) && d->qname[n] == '\0' &&
            memcmp(d->qname, qname, n) == 0)
            return d;
    return NULL;
}

struct why_dns_rec *why_store_dns_unanswered(const struct why_store *st, const struct why_addr *cli,
                                             uint16_t cport, const struct why_addr *srv)
{
    for (struct why_dns_rec *d = st->dsock[bucket_of(dns_sock_hash(cli, cport, srv), st->nkbuckets)]; d;
         d = d->snext)
        if (!d->answered && d->cli_port == cport && why_addr_eq(&d->cli, cli) &&
            why_addr_eq(&d->srv, srv))
            return d;
    return NULL;
}

/* dns_lag's reading of d, the record made after the last one it read. */
static void dns_scan(struct why_store *st, const struct why_dns_rec *d)
{
    if (st->dscan_id && why_ts_diff_us(d->q_ts, st->dscan_max) > st->dlag_us)
        st->dlag_us = why_ts_diff_us(d->q_ts, st->dscan_max);
    if (!st->dscan_id || why_ts_cmp(d->q_ts, st->dscan_max) > 0)
        st->dscan_max = d->q_ts;
    st->dscan_id = d->id;
}

struct why_dns_rec *why_store_dns_new(struct why_store *st, const struct why_addr *cli,
                                      uint16_t cport, const struct why_addr *srv, uint16_t sport,
                                      uint16_t qid, const char *qname, uint16_t qtype)
{
    if (st->ndns >= WHY_RECORDS_MAX) {
        st->sum->cap_records_dropped++;
        return NULL;
    }
    /* the record, then its links in the index by address */
    struct why_dns_rec *d = why_spare_get(&st->spare_dns, DNS_REC_SIZE, true);
    size_t n = dns_name_len(qname);
    if (d && n >= sizeof d->qname_in && !(d->qname = malloc(n + 1)))
        d = dns_free(st, d); /* (a name that does not fit in the record: allocated) */
    if (!d) {
        st->sum->oom++;
        return NULL;
    }
    if (!d->qname)
        d->qname = d->qname_in;
    memcpy(d->qname, qname, n);
    d->qname[n] = '\0';
    d->id = ++st->next_dns_id;
    d->cli = *cli;
    d->srv = *srv;
    d->cli_port = cport;
    d->srv_port = sport;
    d->qid = qid;
    d->nkey = dns_name_key(qname, n);
    d->qtype = qtype;
    d->tries = 1;
    /* the caller sets q_ts after this: the record created before is checked now (and the
     * newest by dns_ordered) */
    if (st->dtail) {
        if (why_ts_diff_us(st->dtail->q_ts, st->dns_qmax) >= WHY_ORDER_SLACK_US)
            st->dns_unordered = true; /* for good: pruning then walks every DNS record */
        if (why_ts_cmp(st->dtail->q_ts, st->dns_qmax) > 0)
            st->dns_qmax = st->dtail->q_ts;
        if (st->dtail->id > st->dscan_id)
            dns_scan(st, st->dtail); /* (in cache now, not at the next pruning) */
    }
    d->prev = st->dtail;
    if (st->dtail)
        st->dtail->next = d;
    else
        st->dhead = d;
    st->dtail = d;
    st->dgen++;
    if (st->dupto.x)
        st->dupto.after++;
    d->xprev = st->xtail; /* not answered yet */
    d->xnext = NULL;
    if (st->xtail)
        st->xtail->xnext = d;
    else
        st->xhead = d;
    st->xtail = d;
    d->in_failed = true;
    dns_live_link(st, d);
    d->live = true;
    st->nlive++;
    d->nbucket = bucket_of(d->nkey, WHY_DNS_BUCKETS);
    struct why_dns_nbucket *nb = &st->dnb[d->nbucket];
    d->nnext = nb->name;
    if (d->nnext)
        d->nnext->nprev = d;
    nb->name = d;
    d->npos = UINT32_MAX;
    struct why_dns_nvec *v = &nb->v;
    if (!st->dnvec_lost && (!v->e || v->n == nvec_room(v->n))) {
        struct why_dns_nent *e = realloc(v->e, (v->e ? 2 * (size_t)v->n : 4) * sizeof *e);
        if (e) {
            v->e = e;
        } else {
            st->sum->oom++;
            st->dnvec_lost = true;
        }
    }
    if (!st->dnvec_lost) {
        d->npos = v->n;
        v->e[v->n++] = (struct why_dns_nent){d, 0, 0};
    }
    st->ndns++;
    dns_live_grow(st);
    return d;
}

void why_store_dns_answer(struct why_store *st, struct why_dns_rec *d, const struct why_addr *addrs,
                          uint32_t n)
{
    if (n > WHY_DNS_REC_ADDRS) {
        st->sum->cap_dns_addrs_dropped += n - WHY_DNS_REC_ADDRS;
        n = WHY_DNS_REC_ADDRS;
    }
    struct why_dns_alink *links = (struct why_dns_alink *)(d + 1);
    st->dgen += n != 0;
    if (d->answered)
        dns_live_leave(st, d); /* no query or answer looks for it now */
    if (d->answered && d->rcode == 0 && n)
        dns_failed_leave(st, d); /* answered with an address: it did not fail */
    for (uint32_t i = 0; i < n; i++) {
        why_addr_copy(&d->addrs[i], &addrs[i]); /* (written so by the parser) */
        struct why_dns_alink *l = &links[i];
        l->rec = d;
        l->bucket = addr_bucket(&addrs[i], WHY_DNS_BUCKETS);
        l->prev = NULL;
        l->next = st->daddr[l->bucket];
        if (l->next)
            l->next->prev = l;
        st->daddr[l->bucket] = l;
    }
    d->naddrs = n;
    /* the vector's bound for walks by time (why_store_dns_span) */
    if (d->answered && !d->a_indexed) {
        d->a_indexed = true;
        int64_t took = why_ts_diff_us(d->q_ts, d->a_ts);
        if (took > st->dnb[d->nbucket].v.late_us)
            st->dnb[d->nbucket].v.late_us = took;
    }
    /* by name and family, in its place by answer time: from the newest, so an answer in
     * packet order goes first at once */
    for (int f = 0; f < 2; f++) {
        bool has = false;
        for (uint32_t i = 0; i < n && !has; i++)
            has = addrs[i].family == (f ? 6 : 4);
        if (!has || d->findexed[f])
            continue;
        struct why_dns_rec **b = &st->dnb[d->nbucket].fam[f], *prev = NULL, *o = *b;
        while (o && why_ts_cmp(o->a_ts, d->a_ts) > 0) {
            prev = o;
            o = o->fnext[f];
        }
        d->fprev[f] = prev;
        d->fnext[f] = o;
        if (prev)
            prev->fnext[f] = d;
        else
            *b = d;
        if (o)
            o->fprev[f] = d;
        d->findexed[f] = true;
    }
}

/* The first entry of [0, end) whose bound is at least t (end if none): the bounds only grow.
 * Searched from end back in steps that double, then by halves: a window near the vector's
 * newest records (a request's, most often) reads a few entries there. */
static uint32_t dns_nvec_search_to(const struct why_dns_nvec *v, int64_t t, uint32_t end)
{
    uint32_t lo = 0, hi = end;
    uint64_t step = 1;
    while (step <= end && v->e[end - step].qmax_us >= t) {
        hi = end - (uint32_t)step;
        step *= 2;
    }
    if (step <= end)
        lo = end - (uint32_t)step + 1; /* e[end - step] is below t */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (v->e[mid].qmax_us < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Before lo: each record c was asked at c.q_ts <= its bound < done_before - late_us - 1 ms and
 * answered (a_indexed, before open_from) at c.a_ts <= c.q_ts + late_us: both before
 * done_before (1 ms for the rounding of microseconds). From hi on: the record at hi set the
 * bound, above `after` by more than the vector's disorder (slack_us), and each later one was
 * asked no more than that before the bound of those before it. The disorder is measured over
 * the records as they were when bounded: packing drops records, which only lowers the bounds. */
bool why_store_dns_span(const struct why_store *st, uint64_t key, struct why_ts done_before,
                        struct why_ts after, struct why_dns_span *sp)
{
    if (st->dnvec_lost)
        return false;
    struct why_dns_nvec *v = &st->dnb[bucket_of(key, WHY_DNS_BUCKETS)].v;
    dns_nvec_bound(v);
    while (v->open_from < v->n && (!v->e[v->open_from].d || v->e[v->open_from].d->a_indexed)) {
        struct why_dns_nent *x = &v->e[v->open_from];
        int64_t done = v->open_from ? x[-1].done_us : INT64_MIN;
        x->done_us = x->d ? dns_done_us(done, x->d) : done;
        v->open_from++;
    }
    int64_t db = why_ts_us(done_before);
    uint32_t hi = dns_nvec_search_to(v, why_ts_us(after) + v->slack_us + 1001, v->n);
    uint32_t lo = dns_nvec_search_to(v, db - v->late_us - 1000, hi);
    if (lo > v->open_from)
        lo = v->open_from;
    /* the records before the first whose done_us reaches done_before (less 1 ms of rounding)
     * were all asked and answered before it: a wait for an answer longer than most (late_us)
     * then widens the span only while that lookup could still be pending */
    uint32_t a = lo, b = v->open_from;
    while (a < b) {
        uint32_t mid = a + (b - a) / 2;
        if (v->e[mid].done_us < db - 1000)
            a = mid + 1;
        else
            b = mid;
    }
    if (a > lo)
        lo = a;
    *sp = (struct why_dns_span){v->e, lo < hi ? lo : hi, hi, v->n, v->slack_us, v->late_us};
    return true;
}

struct why_dns_rec *why_store_dns_answers(const struct why_store *st, uint64_t key, uint8_t family)
{
    if (family != 4 && family != 6)
        return NULL;
    return st->dnb[bucket_of(key, WHY_DNS_BUCKETS)].fam[family == 6];
}

struct why_dns_rec *why_store_dns_by_name(const struct why_store *st, uint64_t key)
{
    return st->dnb[bucket_of(key, WHY_DNS_BUCKETS)].name;
}

struct why_dns_alink *why_store_dns_by_addr(const struct why_store *st, const struct why_addr *a)
{
    return st->daddr[addr_bucket(a, WHY_DNS_BUCKETS)];
}

/* ---- pruning records no pending request can still use ---- */

/* The queue is in push order, and (unless queue_unordered) every request pushed began at
 * most qlag_us (< WHY_ORDER_SLACK_US) before any pushed earlier: once a request began more
 * than that after the oldest seen so far, none after it can be older. So the walk stops near
 * the queue's head: O(requests pushed within that lag of the oldest), not O(queue); requests
 * pushed in the order they began (the usual gateway) make it a few. (+ 2: the lags are
 * truncated to the microsecond.) */
static struct why_ts oldest_pending(const struct why_store *st, struct why_ts now)
{
    struct why_ts o = now;
    for (const struct why_txn *t = st->qhead; t; t = t->qnext) {
        if (why_ts_cmp(t->req_first_ts, o) < 0)
            o = t->req_first_ts;
        else if (!st->queue_unordered && why_ts_diff_us(o, t->req_first_ts) >= st->qlag_us + 2)
            break;
    }
    return o;
}

/* DNS records are created in the order of their first query (within WHY_ORDER_SLACK_US, unless
 * dns_unordered), and a record's last activity (answer or retry) is no earlier than its first
 * query: a record first asked WHY_ORDER_SLACK_US after the expiry time or later, and every
 * record after it, cannot have expired. The walk of the expired stops there. */
static bool dns_ordered(const struct why_store *st)
{
    return !st->dns_unordered &&
           (!st->dtail || why_ts_diff_us(st->dtail->q_ts, st->dns_qmax) < WHY_ORDER_SLACK_US);
}

static int64_t dns_lag(struct why_store *st);

struct why_dns_rec *why_store_dns_upto(struct why_store *st, struct why_ts t, uint64_t *after)
{
    if (!dns_ordered(st)) {
        *after = 0;
        return st->dtail;
    }
    struct why_dns_rec *x = st->dupto.x;
    uint64_t n = st->dupto.after;
    if (!x) {
        /* from the newest: the first asked by t */
        n = 0;
        for (x = st->dtail; x && why_ts_cmp(x->q_ts, t) > 0; x = x->prev)
            n++;
    } else {
        /* from the last answer: back to one asked by t, then toward the newest, where those
         * after it were first asked after t once one was asked more than the records' lag
         * (dns_lag, every record read; truncated: + 1) after t (records made since the last
         * answer may be any of those) */
        while (x && why_ts_cmp(x->q_ts, t) > 0) {
            x = x->prev;
            n++;
        }
        struct why_ts past = why_ts_add_us(t, dns_lag(st) + 1);
        uint64_t k = 0;
        for (struct why_dns_rec *o = x ? x->next : st->dhead; o && why_ts_cmp(o->q_ts, past) <= 0; o = o->next) {
            k++;
            if (why_ts_cmp(o->q_ts, t) <= 0) {
                x = o;
                n -= k;
                k = 0;
            }
        }
    }
    st->dupto.x = x;
    st->dupto.after = n;
    *after = n;
    return x;
}

struct why_dns_rec *why_store_dns_failed_upto(struct why_store *st, const struct why_dns_rec *upto,
                                              struct why_ts from)
{
    bool ordered = dns_ordered(st);
    struct why_ts stop = why_ts_add_us(from, ordered ? -(dns_lag(st) + 1) : 0);
    /* two walks in turn, the first to end answers: the records from upto back to one on the
     * list (few where many may have failed), and the list from its newest back to one made by
     * upto (few where few did) */
    const struct why_dns_rec *a = upto, *x = st->xtail;
    for (;;) {
        if (a) {
            if (ordered && why_ts_cmp(a->q_ts, stop) < 0)
                return NULL; /* every one made before it was first asked before from */
            if (a->in_failed)
                return (struct why_dns_rec *)a;
            a = a->prev;
            if (!a)
                return NULL;
        }
        if (!x)
            return NULL;
        if (x->id <= upto->id) {
            if (ordered && why_ts_cmp(x->q_ts, stop) < 0)
                return NULL;
            return (struct why_dns_rec *)x;
        }
        x = x->xprev;
        if (!ordered)
            a = NULL; /* (out of order: the list alone, down to its first) */
    }
}

int64_t why_store_dns_order_lag(struct why_store *st)
{
    return dns_ordered(st) ? dns_lag(st) + 1 : -1;
}

void why_store_dns_claim(struct why_store *st, struct why_dns_rec *d)
{
    d->claimed = true;
    if (!d->scheduled)
        dns_failed_leave(st, d); /* a request's own: no lookup of the gateway's that failed */
}

bool why_store_dns_name_from(struct why_store *st, uint64_t key, struct why_ts t, struct why_dns_span *sp)
{
    if (st->dnvec_lost)
        return false;
    struct why_dns_nvec *v = &st->dnb[bucket_of(key, WHY_DNS_BUCKETS)].v;
    dns_nvec_bound(v);
    uint32_t lo = dns_nvec_search_to(v, why_ts_us(t), v->n);
    *sp = (struct why_dns_span){v->e, lo, lo, v->n, v->slack_us, v->late_us};
    return true;
}

/* How far any DNS record was first asked before one created earlier (dlag_us), reading the
 * records created since the last call once each: from the newest back to the first not read,
 * then forward. why_store_dns_new reads each record as the next one is made (dns_scan), so
 * the walk is the newest record's alone. */
static int64_t dns_lag(struct why_store *st)
{
    struct why_dns_rec *d = st->dtail;
    if (!d || d->id <= st->dscan_id)
        return st->dlag_us;
    while (d->prev && d->prev->id > st->dscan_id)
        d = d->prev;
    for (; d; d = d->next)
        dns_scan(st, d);
    return st->dlag_us;
}

/* rc, an HTTP/2 connection, carried a request for the host of key hkey, which the pruning
 * takes: kept among its first WHY_GONE_HOSTS (0 stands for none: a key of 0 is not kept). */
static void gone_host(struct why_store *st, struct why_conn_rec *rc, uint64_t hkey)
{
    uint32_t k = 0;
    while (k < WHY_GONE_HOSTS && rc->more->gone_hosts[k] && rc->more->gone_hosts[k] != hkey)
        k++;
    if (k == WHY_GONE_HOSTS || rc->more->gone_hosts[k] || !hkey)
        return;
    struct why_rec_more *m = why_store_rec_more(st, rc);
    if (m)
        m->gone_hosts[k] = hkey;
}

/* Frees the transactions of rc nothing needs any more: decided client requests, upstream
 * requests already joined (or answered long ago and never joined: their client request was
 * decided without them), anywhere in the list but never one still awaiting its response.
 * With all, every transaction that is not a pending client request.
 * The ones at the list's head that only a decision, a join or time can free (pending
 * requests, answered ones before rc->unanswered) are remembered (trim_kept, trim_at): until
 * the oldest answer among them is stale, the next trim reads only the transactions after
 * them, and those up to the newest of them decided or joined since (trim_redo): a
 * keep-alive connection carries many, decided nearly in order. Once the oldest answer is
 * stale, the run is read from its start only up to its first answer that is not, when the
 * run's answers came in its order (trim_sorted) and nothing in it was decided or joined since:
 * the rest of it is as it was (a connection of upstream requests that nobody joins, the
 * gateway's side alone in the capture, holds some 12 s of them: past the per-connection cap
 * each new one trimmed, freed one and read all the others). */
void why_store_trim_txns(struct why_store *st, struct why_conn_rec *rc, struct why_ts now, bool all)
{
    struct why_ts stale = why_ts_add_us(now, -(st->settle_us + WHY_STALE_US));
    struct why_txn **pp = &rc->txn_head, *prev = NULL;
    bool waiting = false; /* at or after rc->unanswered: responses still to come */
    struct why_txn *kept = NULL, *resume = NULL;
    struct why_ts kept_at = {INT64_MAX, 0, 0};
    uint64_t redo = rc->trim_redo;
    rc->trim_redo = 0;
    if (!all && rc->trim_kept && why_ts_cmp(rc->trim_at, stale) >= 0) {
        if (!redo) {
            kept = prev = rc->trim_kept; /* before rc->unanswered, which only moves on */
            kept_at = rc->trim_at;
            pp = &prev->next;
        } else if (rc->trim_kept->id > redo) {
            resume = rc->trim_kept; /* once past the ones decided or joined */
        }
    }
    bool extend = !all; /* the kept ones at the head go on */
    /* the last run kept, when the first answer in it that is not stale says the rest of it is
     * not either; and the order of this run's answers */
    struct why_txn *old = !all && !redo && rc->trim_sorted ? rc->trim_kept : NULL;
    bool sorted = true;
    struct why_ts last_resp = {INT64_MIN, 0, 0};
    while (*pp) {
        struct why_txn *t = *pp;
        if (resume && t->id > redo) {
            /* the rest up to resume are kept ones the last trim read, unchanged */
            if (extend) {
                kept = prev = resume;
                if (why_ts_cmp(rc->trim_at, kept_at) < 0)
                    kept_at = rc->trim_at;
                pp = &prev->next;
                resume = NULL;
                continue;
            }
            resume = NULL;
        }
        if (t == rc->unanswered)
            waiting = true;
        if (waiting && !all)
            break; /* (what waits for its answer, and all after it, stays: a connection of
                      requests never answered, pipelined past the cap, walked them all for
                      each new one) */
        /* (a request the gateway sent on its own, decided as no client's and joined to none,
         * a health check, stays until stale like an unjoined one: a later request's
         * background reads it) */
        bool own = t->decided && !t->is_client_leg && !t->claimed_by && t->has_resp;
        bool done = (t->decided && (!own || all)) || (own && why_ts_cmp(t->resp_ts, stale) < 0) ||
                    (!t->queued && (t->claimed_by || all ||
                                    (t->has_resp && why_ts_cmp(t->resp_ts, stale) < 0)));
        if (!done || (t->queued && !t->decided)) {
            bool pending = t->queued && !t->decided;
            if (extend && !waiting && (pending || (!done && t->has_resp))) {
                kept = t;
                if (!pending && why_ts_cmp(t->resp_ts, kept_at) < 0)
                    kept_at = t->resp_ts;
                if (!pending) {
                    sorted = sorted && why_ts_cmp(t->resp_ts, last_resp) >= 0;
                    last_resp = t->resp_ts;
                }
                if (!pending && sorted && old && t->id < old->id) {
                    /* answered, not stale: neither is the rest of the old run, nor anything
                     * else there changed; it goes on to its end, unread */
                    kept = prev = old;
                    if (old->has_resp && !(old->queued && !old->decided))
                        last_resp = old->resp_ts; /* its last answer, the newest */
                    else
                        sorted = false; /* (not known: the next trim reads it all) */
                    pp = &old->next;
                    old = NULL;
                    continue;
                }
            } else {
                extend = false;
            }
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
        if (rc->app == WHY_APP_H2 && t->host[0] && (!t->is_client_leg || rc->gw_cli))
            gone_host(st, rc, t->hkey); /* (an upstream request: a client's connection keeps none) */
        txn_free(st, t);
    }
    rc->trim_kept = kept;
    rc->trim_at = kept_at;
    rc->trim_sorted = sorted;
}

/* A DNS record no pending request can use any more (or any, at the end). */
static bool dns_expired(const struct why_dns_rec *d, bool all, struct why_ts horizon, struct why_ts recent)
{
    struct why_ts last = d->answered ? d->a_ts : d->last_q_ts;
    return all || why_ts_cmp(last, horizon) < 0 || why_ts_cmp(last, recent) < 0;
}

/* Freed records' entries out of the vector once they are half of it (order kept: each
 * compaction writes every live record's place, a cold record each, so not more often; the
 * walks over the vector skip the freed entries, 32 bytes each, in order). The
 * places held in uslots and tslots (both in increasing order) move with their entries, and
 * those of freed records go, as do the places the two were looked at up to: what they held
 * stays held, and the records their walks had read are not read again (each is a cold record
 * and its connection; reading every upstream record again after each compaction was most of
 * why_store_try_slots' cost). Freed entries are skipped by every reader of the two, so
 * leaving them out changes no walk. */
static void slots_compact(struct why_store *st)
{
    if (!st->slots_ok || st->slots_dead * 2 < st->nslots)
        return;
    bool held = st->uslots_ok && st->uslots_gen != 0;
    size_t n = 0, ku = 0, nu = 0, kt = 0, nt = 0;
    size_t uupto = SIZE_MAX, tupto = SIZE_MAX; /* (SIZE_MAX: at the end) */
    for (size_t i = 0; i < st->nslots; i++) {
        bool live = st->slots[i].rc != NULL;
        if (held) {
            if (i == st->uslots_upto)
                uupto = n;
            for (; ku < st->nuslots && st->uslots[ku] == i; ku++) {
                if (ku == st->tslots_upto)
                    tupto = nu;
                if (live)
                    st->uslots[nu++] = (uint32_t)n;
            }
            for (; kt < st->ntslots && st->tslots[kt] == i; kt++)
                if (live)
                    st->tslots[nt++] = (uint32_t)n;
        }
        if (!live)
            continue;
        st->slots[n] = st->slots[i];
        st->slots[n].rc->slot = (uint32_t)n;
        n++;
    }
    if (held) {
        st->uslots_upto = uupto == SIZE_MAX ? n : uupto;
        st->tslots_upto = tupto == SIZE_MAX ? nu : tupto;
        st->nuslots = nu;
        st->ntslots = nt;
    }
    st->nslots = n;
    st->slots_dead = 0;
#ifndef NDEBUG
    /* both still in increasing order, each place below where its vector was looked at up to,
     * and every try place among the upstream ones looked at */
    for (size_t i = 0, j = 0; held && i < st->nuslots; i++) {
        if (st->uslots[i] >= st->uslots_upto || (i > 0 && st->uslots[i - 1] >= st->uslots[i]) ||
            !st->slots[st->uslots[i]].rc)
            abort();
        for (; j < st->ntslots && i < st->tslots_upto && st->tslots[j] == st->uslots[i]; j++)
            ;
        if (i + 1 == st->nuslots && j != st->ntslots)
            abort(); /* a try place not among the upstream ones, or out of order */
    }
#endif
}

/* Room for one more place in a vector of places (uslots, tslots) holding n of *cap (false,
 * and neither vector kept, when refused: the walks then read every slot). */
static bool places_room(struct why_store *st, uint32_t **v, size_t *cap, size_t n)
{
    if (*v && n < *cap)
        return true;
    size_t c = *cap ? *cap * 2 : 256;
    uint32_t *nv = realloc(*v, c * sizeof *nv);
    if (!nv) {
        st->sum->oom++;
        st->uslots_ok = false;
        return false;
    }
    *v = nv;
    *cap = c;
    return true;
}

static bool uslots_room(struct why_store *st)
{
    return places_room(st, &st->uslots, &st->uslots_cap, st->nuslots);
}

const uint32_t *why_store_upstream_slots(struct why_store *st, const struct why_gateways *g, size_t *n)
{
    *n = 0;
    if (!st->slots_ok || !st->uslots_ok || !uslots_room(st))
        return NULL;
    if (st->uslots_gen != g->gen + 1) {
        st->nuslots = st->uslots_upto = 0;
        st->ntslots = st->tslots_upto = 0;
        st->uslots_gen = g->gen + 1;
    }
    for (; st->uslots_upto < st->nslots; st->uslots_upto++) {
        struct why_rec_slot *s = &st->slots[st->uslots_upto];
        if (!s->rc || !why_store_slot_upstream(g, s))
            continue;
        if (!uslots_room(st))
            return NULL;
        st->uslots[st->nuslots++] = (uint32_t)st->uslots_upto;
    }
    *n = st->nuslots;
    return st->uslots;
}

const uint32_t *why_store_try_slots(struct why_store *st, const struct why_gateways *g, size_t *n, size_t *front)
{
    *n = *front = 0;
    size_t nus;
    const uint32_t *us = why_store_upstream_slots(st, g, &nus);
    if (!us || !places_room(st, &st->tslots, &st->tslots_cap, st->ntslots))
        return NULL;
    struct why_ts by = st->nslots ? why_ts_add_us(st->slots[st->nslots - 1].first_ts, -WHY_TRY_SLOTS_AGE_US)
                                  : (struct why_ts){0};
    for (; st->tslots_upto < nus; st->tslots_upto++) {
        const struct why_rec_slot *s = &st->slots[us[st->tslots_upto]];
        if (s->rc && why_ts_cmp(s->first_ts, by) > 0)
            break;
        if (!s->rc || (why_rec_conn(s->rc)->established && (s->rc->app == WHY_APP_HTTP || s->rc->app == WHY_APP_H2)))
            continue;
        if (!places_room(st, &st->tslots, &st->tslots_cap, st->ntslots))
            return NULL;
        st->tslots[st->ntslots++] = us[st->tslots_upto];
    }
    *n = st->ntslots;
    *front = st->tslots_upto;
    return st->tslots;
}

/* Whether the open record rc (just trimmed, not idle) can leave the active list until the
 * sweep whose stale time (why_store_trim_txns) passes *at: every transaction it keeps is a
 * pending client request or an answered one nobody joined, with no answer still to come.
 * Until then a sweep would trim nothing there and leave it as it is; what else can change
 * that (a new transaction, a decision, a join, the close) puts it back on the list. */
static bool parkable(const struct why_conn_rec *rc, struct why_ts *at)
{
    /* the trim's kept ones at the head are such transactions: all of them here */
    if (rc->unanswered || !rc->trim_kept || rc->trim_kept != rc->txn_tail || rc->trim_at.sec == INT64_MAX)
        return false;
    *at = rc->trim_at;
    return true;
}

WHY_SORT_BY_KEY(sort_recs_by_seq, struct why_conn_rec, p->seq)

void why_store_prune(struct why_store *st, struct why_ts now, bool all)
{
    struct why_ts horizon = why_ts_add_us(oldest_pending(st, now), -(WHY_SKEW_US + st->settle_us));
    struct why_ts pin_limit = why_ts_add_us(now, -WHY_PIN_US);
    if (why_ts_cmp(horizon, pin_limit) < 0)
        horizon = pin_limit;
    struct why_ts recent = why_ts_add_us(now, -WHY_HORIZON_US);
    struct why_ts settled = why_ts_add_us(now, -(WHY_SKEW_US + st->settle_us));
    struct why_ts stale = why_ts_add_us(now, -(st->settle_us + WHY_STALE_US));
    /* parked records that may be due now are looked at again: open ones whose oldest answer
     * is stale, closed ones old by the horizon, or settled if spent; closed ones parked as
     * not spent all when the gateway's roles changed (they may be spent now) */
    if (!all) {
        struct why_ts old = why_ts_cmp(horizon, recent) > 0 ? horizon : recent;
        park_due(st, WHY_PARK_OPEN, stale);
        park_due(st, WHY_PARK_SPENT, why_ts_cmp(settled, old) > 0 ? settled : old);
        park_due(st, WHY_PARK_CLOSED, old);
        if (st->park_gen != st->gw->gen + 1) {
            struct why_parked *h = &st->park[WHY_PARK_CLOSED];
            while (h->n)
                why_store_conn_active(st, h->v[h->n - 1].rc);
            st->park_gen = st->gw->gen + 1;
        }
    }
    /* Only the records on the active list (closed, or carrying transactions) can change;
     * an open one without transactions leaves it until it closes or carries a request. */
    size_t nbatch = 0;
    bool batch_oom = false;
    for (struct why_conn_rec *rc = all ? st->rhead : st->act_head, *next; rc; rc = next) {
        next = all ? rc->rnext : rc->actnext;
        if (!rc->closed) {
            why_store_trim_txns(st, rc, now, false); /* keep-alive connections carry many */
            /* nothing to trim until it closes, gets a transaction or one of its requests
             * is decided (each puts it back): a held connection waiting for its answer */
            bool idle = true;
            for (const struct why_txn *t = rc->txn_head; t && idle; t = t->next)
                idle = t->queued && !t->decided;
            struct why_ts at = now;
            if (idle)
                act_remove(st, rc);
            else if (!all && parkable(rc, &at)) { /* nothing to trim before at goes stale */
                act_remove(st, rc);
                if (!park_add(st, WHY_PARK_OPEN, rc, at))
                    why_store_conn_active(st, rc); /* no room: looked at every sweep */
            }
            continue;
        }
        struct why_ts last = why_conn_last_ts(rc->c);
        /* A record already joined to a request, or a client's own connection, can be
         * nothing else's evidence: it goes once settled, whatever is still pending. */
        why_gw_roles(st->gw, rc);
        bool spent = rc->claimed || (why_rec_http(rc) && rc->gw_srv && !rc->gw_cli);
        /* (an opaque HTTPS client connection stays: a TLS failure upstream may name it) */
        bool old = why_ts_cmp(last, horizon) < 0 || why_ts_cmp(last, recent) < 0 ||
                   (spent && why_ts_cmp(last, settled) < 0);
        /* queued (pending) transactions keep their connection */
        bool pending = false;
        for (struct why_txn *t = rc->txn_head; t && !pending; t = t->next)
            pending = t->queued && !t->decided;
        if (!all && (!old || pending)) { /* (else all go below) */
            why_store_trim_txns(st, rc, now, false);
            if (!old && !rc->txn_head) {
                /* nothing changes until it is old (by last: the horizon or its settling), or
                 * claimed (why_store_conn_claimed) */
                act_remove(st, rc);
                if (!park_add(st, spent ? WHY_PARK_SPENT : WHY_PARK_CLOSED, rc, last))
                    why_store_conn_active(st, rc); /* no room: looked at every sweep */
            }
            continue;
        }
        why_store_trim_txns(st, rc, now, true);
        if (rc->txn_head && !all)
            continue;
        while (rc->txn_head) { /* all: free whatever is left */
            struct why_txn *t = rc->txn_head;
            rc->txn_head = t->next;
            txn_free(st, t);
        }
        rc->prunable = true;
        if (nbatch == st->batch_cap && !batch_oom) {
            size_t cap = st->batch_cap ? st->batch_cap * 2 : 256;
            struct why_conn_rec **b = realloc(st->batch, cap * sizeof *b);
            if (b) {
                st->batch = b;
                st->batch_cap = cap;
            } else {
                st->sum->oom++;
                batch_oom = true; /* the walk of every record below does it */
            }
        }
        if (!batch_oom)
            st->batch[nbatch++] = rc;
    }
    /* Failures nothing was joined to are reported before any record goes, so they can still
     * name the client connection they belong to; in creation order (the output's order). */
    if (batch_oom) {
        nbatch = 0;
        for (struct why_conn_rec *rc = st->rhead; rc; rc = rc->rnext)
            if (rc->prunable && st->hooks.on_prune_conn)
                st->hooks.on_prune_conn(st->hooks.ctx, rc);
        for (struct why_conn_rec *rc = st->rhead, *next; rc; rc = next) {
            next = rc->rnext;
            if (rc->prunable) {
                rec_unlink(st, rc);
                rec_free(st, rc);
            }
        }
    }
    if (nbatch > 1)
        sort_recs_by_seq(st->batch, nbatch);
    for (size_t i = 0; i < nbatch && st->hooks.on_prune_conn; i++)
        st->hooks.on_prune_conn(st->hooks.ctx, st->batch[i]);
    for (size_t i = 0; i < nbatch; i++) {
        rec_unlink(st, st->batch[i]);
        rec_free(st, st->batch[i]);
    }
    slots_compact(st);
    /* only the old records can have expired (dns_ordered): the walk ends at the first one
     * asked more than the records' lag after the expiry time (+ 2: the lag is truncated) */
    bool dstop = !all && dns_ordered(st);
    struct why_ts dlimit = why_ts_add_us(why_ts_cmp(horizon, recent) > 0 ? horizon : recent,
                                         dstop ? dns_lag(st) + 2 : WHY_ORDER_SLACK_US);
    /* unjoined failures first, while every record they are compared with is still here; the
     * expired ones are kept in dbatch, so that freeing them does not walk the others again */
    size_t ndbatch = 0;
    bool dbatch_ok = st->hooks.on_prune_dns != NULL;
    for (struct why_dns_rec *d = st->dhead; d && st->hooks.on_prune_dns; d = d->next) {
        if (dstop && why_ts_cmp(d->q_ts, dlimit) >= 0)
            break;
        if (!dns_expired(d, all, horizon, recent))
            continue;
        st->hooks.on_prune_dns(st->hooks.ctx, d);
        if (dbatch_ok && ndbatch == st->dbatch_cap) {
            size_t cap = st->dbatch_cap ? st->dbatch_cap * 2 : 256;
            struct why_dns_rec **b = realloc(st->dbatch, cap * sizeof *b);
            if (b) {
                st->dbatch = b;
                st->dbatch_cap = cap;
            } else {
                dbatch_ok = false; /* the walk below finds them again */
            }
        }
        if (dbatch_ok)
            st->dbatch[ndbatch++] = d;
    }
    if (dbatch_ok) {
        for (size_t i = 0; i < ndbatch; i++) {
            dns_unlink(st, st->dbatch[i]);
            dns_free(st, st->dbatch[i]);
        }
        return;
    }
    for (struct why_dns_rec *d = st->dhead, *next; d; d = next) {
        next = d->next;
        if (dstop && why_ts_cmp(d->q_ts, dlimit) >= 0)
            break;
        if (!dns_expired(d, all, horizon, recent))
            continue;
        dns_unlink(st, d);
        dns_free(st, d);
    }
}
