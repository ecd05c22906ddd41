/* Flow table: open-addressed hash of TCP connections keyed by the symmetric 5-tuple, three
 * intrusive lists per connection (LRU by activity, creation order, lingering after close), and per
 * direction in-order delivery with a small sorted out-of-order store. Every list is ordered
 * by the flow clock (the largest packet time seen), so expiry only ever looks at list ends:
 * O(1) per packet whatever the capture's size or its timestamps' disorder. A connection is
 * keyed by its tuple and, once its server is seen answering from other addresses, by the
 * translated tuple too; SYNs waiting for an answer are indexed by ISN so that such an answer
 * finds them. The peer's acknowledgements are checked against what was captured in each
 * direction. RFC 9293, 5961. */
#include "flow/flow.h"

#include <stdlib.h>
#include <string.h>

#include "util/sort.h"
#include "util/spare.h"
#include "util/wtime.h"

/* Lists every connection is on: by last activity (creation order is the ids'), closed and
 * lingering, and half-open (nothing heard from the server yet: what a SYN flood fills the
 * table with, so what the cap evicts first), inbound ones (opened towards the capture host,
 * as a flood of the gateway is) apart from the rest (the gateway's own attempts, which are
 * evidence). */
enum { WHY_L_LRU, WHY_L_LINGER, WHY_L_ORPHAN, WHY_L_HALF_IN, WHY_L_HALF, WHY_L_N };
/* A connection's links: one per list, but the two half-open lists share one (a connection is
 * on one of them at most: half_list), link[WHY_LK_HALF]; and the orphan list shares its link
 * with the chain of the ISN index, link[WHY_LK_ISN]: an orphan began mid-stream, without a
 * SYN, and a connection in the index began with one (a client's SYN on an orphan's tuple makes
 * a new connection; isn_link takes an orphan off its list all the same). */
#define WHY_LINKS WHY_L_HALF
#define WHY_LK_HALF WHY_L_HALF_IN
#define WHY_LK_ISN WHY_L_ORPHAN

enum { WHY_PROTO_ICMP = 1, WHY_PROTO_TCP = 6, WHY_PROTO_UDP = 17, WHY_PROTO_ICMPV6 = 58 };

/* The same SYN seen again this soon is a second copy of one packet (`-i any` on a bridge),
 * not a retransmission: the kernel never retransmits a SYN sooner than its minimum RTO. */
#define WHY_SYN_DUP_US 10000
/* Charged per stored segment on top of its bytes, so segments with no captured bytes
 * (snaplen cut) still count against WHY_FLOW_OOO_MAX and the store stays bounded. */
#define WHY_SEG_COST 64u
/* A FIN further ahead than this is nonsense (or a wrapped sequence), not lost bytes. */
#define WHY_FIN_GAP_MAX (1u << 30)
#define WHY_BUCKETS_MIN 1024u
#define WHY_BUCKETS_MAX (1u << 18) /* >= WHY_FLOW_CONN_MAX: chains stay ~1 long at the cap */
#define WHY_KSLOTS_MIN 2048u
#define WHY_KSLOTS_MAX (1u << 20)  /* > 2 * 2 * WHY_FLOW_CONN_MAX (a tuple and a translated
                                      one each): at most half full at the cap */

struct why_seg {           /* one buffered out-of-order segment */
    struct why_seg *next;  /* sorted by sequence, relative to next_seq */
    uint32_t seq;
    uint32_t wlen;         /* sequence space covered */
    uint32_t clen;         /* captured bytes in data (<= wlen; the rest becomes a gap) */
    uint8_t data[];
};

struct why_fconn;

/* A slot of the table of keys: the key's hash and what the tuple compare needs, so a probe
 * reads only slots (four to a cache line) until the hash matches, then the one connection.
 * A connection has one key, the SYN's tuple, and a second when translated (why_fconn.hash,
 * nat_hash). */
struct why_kslot {
    struct why_fconn *x;       /* NULL: empty */
    uint32_t hash;
    bool nat;                  /* the translated tuple (why_conn.nat_*), not the SYN's */
};

struct why_span {              /* sequence range [lo, hi) */
    uint32_t lo, hi;
};

#define WHY_SPANS 4            /* holes remembered per direction for each purpose (cap) */

struct why_seg;

struct why_spans {             /* the holes and the out-of-order store of one direction */
    struct why_span holes[WHY_SPANS];  /* gaps the peer has not acknowledged yet, in order */
    struct why_span gaveup[WHY_SPANS]; /* holes given up at the store's cap (a ring) */
    struct why_seg *ooo;       /* segments past a hole, waiting for it, by sequence */
    uint32_t ooo_used;         /* bytes charged to them (WHY_FLOW_OOO_MAX) */
};

struct why_fhalf {             /* flow-private state of one direction */
    uint32_t base;             /* first sequence number the capture knows (ISN + 1, or where a
                                  mid-stream capture started), valid with seq_known */
    uint32_t seen_end;         /* one past the highest sequence number captured (data, FIN) */
    uint32_t ack_step;         /* how far the peer's last new acknowledgement moved (bytes) */
    uint8_t nholes;            /* of sp->holes */
    uint8_t ngaveup, gaveup_next; /* of sp->gaveup */
    struct why_spans *sp;      /* allocated at the direction's first hole or segment out of
                                  order: most have none */
};

struct why_link {
    struct why_fconn *prev, *next;
};

struct why_list {
    struct why_fconn *head, *tail;
};

struct why_fconn {
    struct why_conn c;          /* what the consumer sees */
    uint32_t hash;              /* the hash of the SYN's tuple: its key's */
    uint32_t nat_hash;          /* ...and of the translated one, when c.translated */
    struct why_link link[WHY_LINKS]; /* by list, the half-open ones' WHY_LK_HALF, the ISN
                                        index's chain WHY_LK_ISN (while in_isn) */
    struct why_fhalf fh[2];     /* indexed by enum why_dir */
    struct why_ts last_act;     /* flow clock at the last packet (monotonic, unlike p->ts) */
    uint32_t listen_gen;        /* the listener slot of the server at the first SYN: its gen */
    uint32_t listen_answered;   /* and its count of answered SYNs then */
    bool lingering;             /* on the linger list */
    bool half_open;             /* on a half-open list: half_list */
    uint8_t half_list;          /* WHY_L_HALF_IN or WHY_L_HALF */
    bool est_sent;              /* WHY_EV_ESTABLISHED delivered */
    bool orphan;                /* on the orphan list: mid-stream, the other direction unseen */
    bool in_isn;                /* a SYN waiting for its first answer, indexed by its ISN */
    uint8_t one_way;            /* why_conn_one_way(&c) as counted in why_flow_stats */
};
/* Every connection open at once holds one (bench/README.md counts the bytes per open
 * connection): a field more is a budget decision, not a side effect. */
_Static_assert(sizeof(void *) != 8 || sizeof(struct why_fconn) <= 584,
               "the flow table's entry grew past 584 bytes on a 64-bit target");

/* A server's answers to SYNs, by address and port: a set-associative table (a set's oldest
 * slot taken by another server starts again at a new gen), so that a connection whose SYNs
 * go unanswered can tell whether the same server answered other SYNs meanwhile
 * (c.syn_others_answered). Its sets come from a hash with no per-run seed: which servers
 * share a set, and so which slot goes, reaches the output (not_accepting against
 * syn_unanswered), which must not depend on where the table lies in memory. */
#define WHY_FLOW_LISTEN_SLOTS 1024 /* power of two */
#define WHY_FLOW_LISTEN_WAYS 4     /* slots of a set, a power of two */
#define WHY_FLOW_LISTEN_HASH 0x2545f4914f6cdd1dULL /* the sets' fixed hash key */
struct why_listen {
    struct why_addr addr;
    uint16_t port;
    uint32_t gen;               /* 0: the slot was never taken */
    uint32_t answered;          /* SYNs of distinct connections answered (SYN-ACK, seen or
                                   proven by the client's ACK) */
    uint64_t last_frame;        /* the last of those answers: its frame and time */
    struct why_ts last_ts;
};

/* Closed connections' blocks are kept for the next ones (one opens and closes every few
 * packets on a busy gateway: a calloc and a free each otherwise), WHY_SPARE_MAX of each.
 * (Out of line: connections open and close far less often than packets come, and the
 * packet path's own functions are then inlined as they were) */
static __attribute__((noinline)) void *spare_new(struct why_spare *sp, size_t size)
{
    return why_spare_get(sp, size, true);
}

static __attribute__((noinline)) void spare_back(struct why_spare *sp, void *p)
{
    why_spare_give(sp, p);
}

struct why_flow {
    struct why_flow_cb cb;
    struct why_flow_stats st;
    struct why_fconn *one_way_dirty; /* whose side proven missing changed with the packet
                                        (one_way_note after it), NULL: none */
    struct why_kslot *kslot;    /* the keys (linear probing, at most half full) */
    uint32_t nkslot;            /* power of two */
    uint32_t nkeys;
    struct why_fconn **ibucket; /* SYNs waiting for an answer, by ISN */
    uint32_t nbucket;           /* power of two */
    uint32_t count;
    uint32_t norphan;           /* connections on the orphan list (<= WHY_FLOW_ORPHANS_MAX) */
    uint32_t nlinger;           /* connections on the linger list (closed, kept for stragglers) */
    struct why_list list[WHY_L_N];
    struct why_ts now;          /* the flow clock: largest packet time seen */
    bool have_now;
    int64_t now_us;             /* the flow clock in microseconds (why_ts_us) */
    int64_t sweep_at;           /* no connection expires before the flow clock reaches this
                                   (microseconds): the earliest the ends of the linger and
                                   activity lists may (a lower bound, lowered as they are
                                   pushed) */
    uint64_t next_id;
    uint64_t seed;
    struct why_encap_chain *chains[WHY_FLOW_ENCAP_CHAINS_MAX]; /* distinct tunnel paths */
    struct why_listen listen[WHY_FLOW_LISTEN_SLOTS];
    uint32_t listen_gen;        /* the last gen given to a slot */
    struct why_spare spare_conn, spare_end; /* closed connections' blocks for the next ones */
    struct why_slab slab;       /* where their blocks come from (util/slab.h) */
    struct why_spare *entries;  /* &spare_conn, or the consumer's (why_flow_share_entries) */
};

/* ---- small helpers ---- */

const struct why_conn_more why_conn_more_none;

/* c's part apart, to write: allocated at its first use; NULL on out of memory (counted). */
static struct why_conn_more *more_of(struct why_flow *f, struct why_conn *c)
{
    if (c->more == &why_conn_more_none) {
        struct why_conn_more *m = calloc(1, sizeof *m);
        if (!m) {
            f->st.nomem++;
            return NULL;
        }
        c->more = m;
    }
    return (struct why_conn_more *)c->more;
}

const struct why_conn_miss why_conn_miss_none;

/* What c's capture missed, to write: allocated at the first thing missed; NULL on out of
 * memory (counted). */
static struct why_conn_miss *miss_of(struct why_flow *f, struct why_conn *c)
{
    if (c->miss == &why_conn_miss_none) {
        struct why_conn_miss *m = calloc(1, sizeof *m);
        if (!m) {
            f->st.nomem++;
            return NULL;
        }
        c->miss = m;
    }
    return (struct why_conn_miss *)c->miss;
}

static void free_miss(struct why_conn *c)
{
    if (c->miss != &why_conn_miss_none)
        free((struct why_conn_miss *)c->miss);
}

const struct why_conn_end why_conn_end_none;

/* A connection's ends as the flow table allocates them: with when it closed, which only a
 * FIN or a RST does. */
struct why_fend {
    struct why_conn_end e;      /* first: why_conn_ends(c) is the allocation */
    struct why_ts closed_at;    /* flow clock when `closed` became true */
    uint32_t fin_seq[2];        /* each direction's FIN's sequence number, when fin_frame */
};

/* c's ends, to write: both directions' allocated at the first FIN or RST; NULL on out of
 * memory (counted). */
static struct why_conn_end *ends_of(struct why_flow *f, struct why_conn *c)
{
    if (why_conn_ends(c) == &why_conn_end_none) {
        struct why_fend *e = spare_new(&f->spare_end, sizeof *e);
        if (!e) {
            f->st.nomem++;
            return NULL;
        }
        why_conn_set_ends(c, &e->e);
    }
    return (struct why_conn_end *)why_conn_ends(c);
}

/* Direction d's FIN's sequence number, once its FIN is in the ends (fin_frame). */
static uint32_t fin_seq(const struct why_fconn *x, enum why_dir d)
{
    return ((const struct why_fend *)(const void *)why_conn_ends(&x->c))->fin_seq[d];
}

/* When x closed; zero when its ends could not be allocated (it leaves at the next sweep). */
static struct why_ts closed_at(const struct why_fconn *x)
{
    const struct why_conn_end *e = why_conn_ends(&x->c);
    struct why_ts z = {0};
    return e == &why_conn_end_none ? z : ((const struct why_fend *)(const void *)e)->closed_at;
}

static void free_ends(struct why_flow *f, struct why_conn *c)
{
    if (why_conn_ends(c) != &why_conn_end_none)
        spare_back(&f->spare_end, (struct why_conn_end *)why_conn_ends(c));
}

static void inc32(uint32_t *v)
{
    if (*v != UINT32_MAX)
        (*v)++;
}

static uint64_t frame_num(const struct why_pkt *p) { return p && p->frame ? p->frame->num : 0; }

static struct why_ts frame_ts(const struct why_pkt *p)
{
    struct why_ts z = {0};
    return p && p->frame ? p->frame->ts : z;
}

/* All 16 bytes, as two words: the flow table's lookups compare four addresses a packet. */
static bool addr_same(const struct why_addr *a, const struct why_addr *b)
{
    uint64_t x[2], y[2];
    memcpy(x, a->a, sizeof x);
    memcpy(y, b->a, sizeof y);
    return a->family == b->family && ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
}

static void l_remove(struct why_list *l, struct why_fconn *x, int k)
{
    struct why_link *lk = &x->link[k];
    if (lk->prev)
        lk->prev->link[k].next = lk->next;
    else
        l->head = lk->next;
    if (lk->next)
        lk->next->link[k].prev = lk->prev;
    else
        l->tail = lk->prev;
    lk->prev = lk->next = NULL;
}

static void l_push_front(struct why_list *l, struct why_fconn *x, int k)
{
    x->link[k].prev = NULL;
    x->link[k].next = l->head;
    if (l->head)
        l->head->link[k].prev = x;
    else
        l->tail = x;
    l->head = x;
}

static void l_push_back(struct why_list *l, struct why_fconn *x, int k)
{
    x->link[k].next = NULL;
    x->link[k].prev = l->tail;
    if (l->tail)
        l->tail->link[k].next = x;
    else
        l->head = x;
    l->tail = x;
}

/* ---- hashing ---- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static uint64_t ep_hash(uint64_t seed, const struct why_addr *a, uint16_t port)
{
    uint64_t w0, w1;
    memcpy(&w0, a->a, 8);
    memcpy(&w1, a->a + 8, 8);
    uint64_t h = mix64(seed ^ w0);
    h = mix64(h ^ w1);
    return mix64(h ^ ((uint64_t)port << 8 | a->family));
}

/* One endpoint of a tuple, cheaply: key_hash mixes the pair in full, so this only has to
 * keep endpoints apart (each step is one-to-one on its word). The seed keeps an attacker
 * from choosing colliding tuples. */
static uint64_t ep_key(uint64_t seed, const struct why_addr *a, uint16_t port)
{
    uint64_t w0, w1;
    memcpy(&w0, a->a, 8);
    memcpy(&w1, a->a + 8, 8);
    uint64_t h = (w0 ^ seed) * 0x9e3779b97f4a7c15ULL;
    h = ((h ^ h >> 32) + w1) * 0xbf58476d1ce4e5b9ULL;
    return (h ^ h >> 29) + ((uint64_t)port << 8 | a->family);
}

/* Symmetric in its two endpoints so both directions land in the same bucket. 32 bits: more
 * than the buckets use (WHY_BUCKETS_MAX), and a match is checked on the whole tuple. */
static inline __attribute__((always_inline)) uint32_t
key_hash(const struct why_flow *f, const struct why_addr *a, uint16_t ap, const struct why_addr *b, uint16_t bp)
{
    uint64_t x = ep_key(f->seed, a, ap), y = ep_key(f->seed, b, bp);
    return (uint32_t)mix64((x ^ y) + (x + y) * 0x9e3779b97f4a7c15ULL);
}

/* The listener slot of c's server; taken for it (a new gen) when find is false. NULL when
 * another server holds it and find is true. */
static struct why_listen *listen_slot(struct why_flow *f, const struct why_conn *c, bool find)
{
    uint64_t h = ep_hash(WHY_FLOW_LISTEN_HASH, &c->srv_addr, c->srv_port);
    struct why_listen *set = &f->listen[h & (WHY_FLOW_LISTEN_SLOTS - WHY_FLOW_LISTEN_WAYS)];
    struct why_listen *l = set; /* the free slot, else the one taken longest ago */
    for (uint32_t i = 0; i < WHY_FLOW_LISTEN_WAYS; i++) {
        struct why_listen *w = &set[i];
        if (w->gen && w->port == c->srv_port && addr_same(&w->addr, &c->srv_addr))
            return w;
        if (l->gen && (!w->gen || w->gen < l->gen))
            l = w;
    }
    if (find)
        return NULL;
    l->addr = c->srv_addr;
    l->port = c->srv_port;
    l->gen = ++f->listen_gen ? f->listen_gen : ++f->listen_gen;
    l->answered = 0;
    l->last_frame = 0;
    return l;
}

/* The connection keyed by the tuple, its direction in *dir; *hash gets the tuple's key hash
 * either way, for the caller that keys a new connection or a translation on it. Inlined:
 * every TCP packet asks it once. */
static inline __attribute__((always_inline)) struct why_fconn *
lookup(const struct why_flow *f, const struct why_addr *src, uint16_t sport, const struct why_addr *dst,
       uint16_t dport, enum why_dir *dir, uint32_t *hash)
{
    uint32_t h = key_hash(f, src, sport, dst, dport), mask = f->nkslot - 1;
    *hash = h;
    for (uint32_t i = h & mask; f->kslot[i].x; i = (i + 1) & mask) {
        const struct why_kslot *k = &f->kslot[i];
        if (k->hash != h)
            continue;
        const struct why_conn *c = &k->x->c;
        const struct why_addr *ca = k->nat ? &c->more->nat_cli_addr : &c->cli_addr;
        const struct why_addr *sa = k->nat ? &c->more->nat_srv_addr : &c->srv_addr;
        uint16_t cp = k->nat ? c->more->nat_cli_port : c->cli_port;
        uint16_t sp = k->nat ? c->more->nat_srv_port : c->srv_port;
        if (cp == sport && sp == dport && addr_same(ca, src) && addr_same(sa, dst)) {
            *dir = WHY_C2S;
            return k->x;
        }
        if (sp == sport && cp == dport && addr_same(sa, src) && addr_same(ca, dst)) {
            *dir = WHY_S2C;
            return k->x;
        }
    }
    return NULL;
}

/* The connection of the last TCP packet (the activity list's head) when p is of it too, by
 * its SYN's tuple, in lookup's order (a packet to itself is the client's): a run of one
 * connection's packets is found without hashing. Its tuple is keyed (every connection's
 * is) and no other key has it, so lookup would give the same answer. NULL: ask lookup. */
static struct why_fconn *lookup_recent(const struct why_flow *f, const struct why_pkt *p, enum why_dir *dir)
{
    struct why_fconn *x = f->list[WHY_L_LRU].head;
    if (!x)
        return NULL;
    const struct why_conn *c = &x->c;
    if (c->cli_port == p->sport && c->srv_port == p->dport && addr_same(&c->cli_addr, &p->src) &&
        addr_same(&c->srv_addr, &p->dst)) {
        *dir = WHY_C2S;
        return x;
    }
    if (c->srv_port == p->sport && c->cli_port == p->dport && addr_same(&c->srv_addr, &p->src) &&
        addr_same(&c->cli_addr, &p->dst)) {
        *dir = WHY_S2C;
        return x;
    }
    return NULL;
}

static void kslot_put(struct why_kslot *slots, uint32_t n, struct why_kslot e)
{
    uint32_t i = e.hash & (n - 1);
    while (slots[i].x)
        i = (i + 1) & (n - 1);
    slots[i] = e;
}

/* Doubles the table of keys; false when that fails (out of memory). */
static bool kslot_grow(struct why_flow *f)
{
    uint32_t n = f->nkslot * 2;
    struct why_kslot *s = calloc(n, sizeof *s);
    if (!s)
        return false;
    for (uint32_t i = 0; i < f->nkslot; i++)
        if (f->kslot[i].x)
            kslot_put(s, n, f->kslot[i]);
    free(f->kslot);
    f->kslot = s;
    f->nkslot = n;
    return true;
}

/* A key in the table (no tuple is in it twice: a connection or a translated tuple is keyed
 * only when the lookup of its tuple found nothing). False when it cannot be: the table is
 * half full and cannot grow (out of memory, counted by the caller), or at its cap. */
static bool hash_link(struct why_flow *f, struct why_kslot e)
{
    if ((f->nkeys + 1) * 2 > f->nkslot) {
        if (f->nkslot >= WHY_KSLOTS_MAX || !kslot_grow(f)) {
            if (f->nkeys + 1 >= f->nkslot)
                return false; /* one slot stays empty: a probe always ends */
        }
    }
    kslot_put(f->kslot, f->nkslot, e);
    f->nkeys++;
    return true;
}

/* Takes e out; the slots after it in its run move back so every probe still reaches its key
 * before an empty slot. */
static void hash_unlink(struct why_flow *f, struct why_kslot e)
{
    uint32_t mask = f->nkslot - 1, i = e.hash & mask;
    while (f->kslot[i].x && !(f->kslot[i].x == e.x && f->kslot[i].nat == e.nat))
        i = (i + 1) & mask;
    if (!f->kslot[i].x)
        return; /* not in the table */
    for (uint32_t j = (i + 1) & mask; f->kslot[j].x; j = (j + 1) & mask) {
        uint32_t home = f->kslot[j].hash & mask;
        /* the slot at j may move to i when its home is not in (i, j] (cyclically) */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            f->kslot[i] = f->kslot[j];
            i = j;
        }
    }
    f->kslot[i].x = NULL;
    f->nkeys--;
}

static uint32_t isn_slot(const struct why_flow *f, uint32_t isn)
{
    return (uint32_t)(mix64(f->seed ^ isn) & (f->nbucket - 1));
}

static void orphan_unlink(struct why_flow *f, struct why_fconn *x);

/* A chain of the ISN index is doubly linked, so that a connection leaves it in O(1) however
 * many SYNs share its ISN (a tool that sends every SYN with one, or a hostile capture: with a
 * walk to find it, 200,000 such SYNs took minutes). */
static void isn_link(struct why_flow *f, struct why_fconn *x)
{
    orphan_unlink(f, x); /* the link is shared: see WHY_LK_ISN */
    struct why_fconn **slot = &f->ibucket[isn_slot(f, x->c.half[WHY_C2S].isn)];
    struct why_link *lk = &x->link[WHY_LK_ISN];
    lk->prev = NULL;
    lk->next = *slot;
    if (*slot)
        (*slot)->link[WHY_LK_ISN].prev = x;
    *slot = x;
    x->in_isn = true;
}

static void isn_unlink(struct why_flow *f, struct why_fconn *x)
{
    if (!x->in_isn)
        return;
    struct why_link *lk = &x->link[WHY_LK_ISN];
    if (lk->prev)
        lk->prev->link[WHY_LK_ISN].next = lk->next;
    else
        f->ibucket[isn_slot(f, x->c.half[WHY_C2S].isn)] = lk->next;
    if (lk->next)
        lk->next->link[WHY_LK_ISN].prev = lk->prev;
    lk->prev = lk->next = NULL;
    x->in_isn = false;
}

static int by_id(const void *a, const void *b)
{
    uint64_t x = (*(struct why_fconn *const *)a)->c.id, y = (*(struct why_fconn *const *)b)->c.id;
    return (x > y) - (x < y);
}

/* Doubles the ISN index; on failure it keeps working with longer chains. */
static void grow(struct why_flow *f)
{
    /* every indexed connection is in the table (it leaves the index as it closes): count
     * bounds them */
    uint32_t n = f->nbucket * 2, m = 0;
    struct why_fconn **ib = calloc(n, sizeof *ib), **v = malloc((f->count ? f->count : 1) * sizeof *v);
    if (!ib || !v) {
        free(ib);
        free(v);
        return;
    }
    for (uint32_t i = 0; i < f->nbucket; i++)
        for (struct why_fconn *x = f->ibucket[i]; x && m < f->count; x = x->link[WHY_LK_ISN].next)
            v[m++] = x;
    free(f->ibucket);
    f->ibucket = ib;
    f->nbucket = n;
    /* linked again in the order they were made, each chain newest first */
    qsort(v, m, sizeof *v, by_id);
    for (uint32_t i = 0; i < m; i++)
        isn_link(f, v[i]);
    free(v);
}

/* ---- what the capture missed, as the peer's acknowledgements prove it ---- */

/* The capture learns where direction d's stream stands: seq is its next byte. */
static void seq_start(struct why_fconn *x, enum why_dir d, uint32_t seq)
{
    struct why_tcp_half *h = &x->c.half[d];
    h->seq_known = true;
    h->next_seq = seq;
    x->fh[d].base = seq;
    x->fh[d].seen_end = seq;
}

/* x's part in why_flow_stats' open_missing and open_lone_rst, brought up to date after what
 * why_conn_one_way reads may have changed (out of line: rarely). */
static __attribute__((noinline)) void one_way_note(struct why_flow *f, struct why_fconn *x)
{
    unsigned now = why_conn_one_way(&x->c), was = x->one_way;
    f->st.open_missing += (now & WHY_CONN_ONE_WAY_MISSING) != 0;
    f->st.open_missing -= (was & WHY_CONN_ONE_WAY_MISSING) != 0;
    f->st.open_lone_rst += (now & WHY_CONN_ONE_WAY_LONE_RST) != 0;
    f->st.open_lone_rst -= (was & WHY_CONN_ONE_WAY_LONE_RST) != 0;
    x->one_way = (uint8_t)now;
}

/* h, a direction of x, just had its first packet: it is not missing, and a reset of the other
 * direction is no longer alone (out of line: once a direction). */
static __attribute__((noinline, cold)) void first_packet(struct why_flow *f, struct why_fconn *x,
                                                         struct why_tcp_half *h)
{
    h->missing = false;
    if (x->one_way)
        one_way_note(f, x);
}

/* Recomputes direction d's proof fields from the peer's highest acknowledgement. */
static inline __attribute__((always_inline)) void proof_update(struct why_flow *f, struct why_fconn *x,
                                                               enum why_dir d)
{
    struct why_tcp_half *h = &x->c.half[d];
    struct why_fhalf *fh = &x->fh[d];
    uint32_t a = h->acked_max;
    /* the first ACK only says where the stream stands (mid-stream), or that a SYN was sent
     * (a lone SYN-ACK, as backscatter shows): proof needs bytes acknowledged, or the client
     * completing a handshake the capture did not see the server's side of */
    if (h->packets == 0) { /* (with a packet, tcp_in made it false, and it stays) */
        bool was_missing = h->missing;
        h->missing = h->peer_acked &&
                     (a != fh->base || (d == WHY_S2C && x->c.syn_answer == WHY_SYN_SYNACK_UNSEEN));
        if (__builtin_expect(h->missing != was_missing, 0))
            f->one_way_dirty = x; /* (noted once the packet is done: no call in here) */
    }
    if (!h->peer_acked)
        return;
    while (fh->nholes && why_seq_lt(fh->sp->holes[0].lo, a)) {
        struct why_span *s = &fh->sp->holes[0];
        uint32_t to = why_seq_lt(a, s->hi) ? a : s->hi;
        struct why_conn_miss *m = miss_of(f, &x->c); /* (made by the gap) */
        if (m)
            m->half[d].gap_acked_bytes += to - s->lo;
        s->lo = to;
        if (s->lo != s->hi)
            break;
        memmove(&fh->sp->holes[0], &fh->sp->holes[1], (size_t)(fh->nholes - 1) * sizeof fh->sp->holes[0]);
        fh->nholes--;
    }
    bool fin_seen = h->end->fin_frame != 0;
    uint32_t beyond = why_seq_lt(fh->seen_end, a) ? a - fh->seen_end : 0;
    /* a FIN takes one sequence number and is the last thing sent: a final step of one past
     * the stream is its acknowledgement (a single data byte would look the same: rare) */
    h->fin_acked_unseen = !fin_seen && beyond >= 1 && fh->ack_step == 1;
    uint32_t unseen = beyond - (h->fin_acked_unseen ? 1u : 0u);
    if (unseen != x->c.miss->half[d].unseen_acked_bytes) {
        struct why_conn_miss *m = miss_of(f, &x->c);
        if (m)
            m->half[d].unseen_acked_bytes = unseen;
    }
    bool fin_acked = h->fin_acked_unseen || (fin_seen && why_seq_lt(fin_seq(x, d), a));
    h->acked_bytes = (uint64_t)(a - fh->base) - (fin_acked ? 1u : 0u);
}

/* The peer acknowledged direction d up to ack. Acknowledgements before the first byte the
 * capture knows, or implausibly far ahead, prove nothing. */
static void ack_in(struct why_flow *f, struct why_fconn *x, enum why_dir d, uint32_t ack, const struct why_pkt *p)
{
    struct why_tcp_half *h = &x->c.half[d];
    struct why_fhalf *fh = &x->fh[d];
    if (!h->seq_known || why_seq_lt(ack, fh->base) || ack - fh->base > WHY_FIN_GAP_MAX)
        return;
    if (h->peer_acked && !why_seq_lt(h->acked_max, ack))
        return;
    fh->ack_step = h->peer_acked ? ack - h->acked_max : ack - fh->base;
    h->acked_max = ack;
    h->acked_frame = frame_num(p);
    h->peer_acked = true;
    proof_update(f, x, d);
}

/* Direction d's stream was captured up to end (exclusive). */
static void seen_to(struct why_flow *f, struct why_fconn *x, enum why_dir d, uint32_t end)
{
    struct why_fhalf *fh = &x->fh[d];
    if (x->c.half[d].seq_known && why_seq_lt(fh->seen_end, end) &&
        end - fh->seen_end < WHY_FIN_GAP_MAX)
        fh->seen_end = end;
    proof_update(f, x, d);
}

/* The holes of direction d, allocated at its first; NULL when memory was refused (counted in
 * nomem: the hole is then not remembered, as past the cap). */
static struct why_spans *spans_of(struct why_flow *f, struct why_fconn *x, enum why_dir d)
{
    struct why_fhalf *fh = &x->fh[d];
    if (!fh->sp && !(fh->sp = calloc(1, sizeof *fh->sp)))
        f->st.nomem++;
    return fh->sp;
}

/* A gap [lo, lo+n) of direction d: proven by the peer at once, or remembered until it is. */
static void hole_add(struct why_flow *f, struct why_fconn *x, enum why_dir d, uint32_t lo, uint32_t n)
{
    struct why_fhalf *fh = &x->fh[d];
    if (n == 0)
        return;
    if (fh->nholes < WHY_SPANS && spans_of(f, x, d))
        fh->sp->holes[fh->nholes++] = (struct why_span){lo, lo + n};
    proof_update(f, x, d); /* a hole past the cap stays unproven: gap_acked_bytes undercounts */
}

/* A hole of direction d given up at the out-of-order cap: never captured, so far. */
static void gave_up(struct why_flow *f, struct why_fconn *x, enum why_dir d, uint32_t lo,
                    uint32_t n)
{
    struct why_fhalf *fh = &x->fh[d];
    if (n == 0)
        return;
    f->st.ooo_unseen += n;
    if (!spans_of(f, x, d))
        return;
    fh->sp->gaveup[fh->gaveup_next] = (struct why_span){lo, lo + n};
    fh->gaveup_next = (uint8_t)((fh->gaveup_next + 1) % WHY_SPANS);
    if (fh->ngaveup < WHY_SPANS)
        fh->ngaveup++;
}

/* Captured bytes [seq, seq+clen) that fall in a hole already given up arrived too late:
 * they were seen, and dropped because of the cap. */
static void late_fill(struct why_flow *f, struct why_fconn *x, enum why_dir d, uint32_t seq,
                      uint32_t clen)
{
    struct why_fhalf *fh = &x->fh[d];
    for (uint8_t i = 0; i < fh->ngaveup && clen; i++) {
        struct why_span *s = &fh->sp->gaveup[i];
        uint32_t lo = why_seq_lt(seq, s->lo) ? s->lo : seq;
        uint32_t hi = why_seq_lt(seq + clen, s->hi) ? seq + clen : s->hi;
        if (!why_seq_lt(lo, hi))
            continue;
        uint32_t n = hi - lo;
        f->st.ooo_dropped += n;
        f->st.ooo_unseen = f->st.ooo_unseen > n ? f->st.ooo_unseen - n : 0;
        if (lo == s->lo)
            s->lo = hi; /* counted once: a second copy of these bytes is a retransmission */
        else if (hi == s->hi)
            s->hi = lo;
        else
            s->lo = hi;
    }
}

/* ---- delivery ---- */

static void emit_data(struct why_flow *f, struct why_fconn *x, enum why_dir dir,
                      const uint8_t *d, uint32_t n, const struct why_pkt *p)
{
    struct why_tcp_half *h = &x->c.half[dir];
    h->next_seq += n;
    h->bytes += n;
    if (f->cb.on_data)
        f->cb.on_data(f->cb.ctx, &x->c, dir, d, n, p);
}

static void emit_gap(struct why_flow *f, struct why_fconn *x, enum why_dir dir, uint32_t n,
                     const struct why_pkt *p)
{
    struct why_tcp_half *h = &x->c.half[dir];
    uint32_t lo = h->next_seq;
    h->next_seq += n;
    h->bytes += n;
    struct why_conn_miss *m = miss_of(f, &x->c);
    if (m)
        m->half[dir].gap_bytes += n;
    hole_add(f, x, dir, lo, n);
    if (f->cb.on_gap)
        f->cb.on_gap(f->cb.ctx, &x->c, dir, n, p);
}

/* Delivers sequence space [skip, wlen) of a segment that starts at or before next_seq:
 * captured bytes as data, the uncaptured rest as a gap. */
static void deliver(struct why_flow *f, struct why_fconn *x, enum why_dir dir, const uint8_t *d,
                    uint32_t clen, uint32_t wlen, uint32_t skip, const struct why_pkt *p)
{
    if (skip >= wlen)
        return;
    if (skip < clen)
        emit_data(f, x, dir, d + skip, clen - skip, p);
    uint32_t from = skip > clen ? skip : clen;
    if (wlen > from)
        emit_gap(f, x, dir, wlen - from, p);
}

/* The first segment stored out of order (NULL: none). */
static struct why_seg *ooo_first(const struct why_fconn *x, enum why_dir dir)
{
    return x->fh[dir].sp ? x->fh[dir].sp->ooo : NULL;
}

/* The store's list, where a segment is stored (sp allocated). */
static struct why_seg **ooo_head(struct why_fconn *x, enum why_dir dir)
{
    return &x->fh[dir].sp->ooo;
}

static uint32_t ooo_used(const struct why_fconn *x, enum why_dir dir)
{
    return x->fh[dir].sp ? x->fh[dir].sp->ooo_used : 0;
}

static void seg_free(struct why_fconn *x, enum why_dir dir, struct why_seg *s)
{
    uint32_t cost = s->clen + WHY_SEG_COST;
    uint32_t *used = &x->fh[dir].sp->ooo_used;
    *used = *used > cost ? *used - cost : 0;
    free(s);
}

/* Delivers buffered segments that now start at or before next_seq. */
static void drain(struct why_flow *f, struct why_fconn *x, enum why_dir dir, const struct why_pkt *p)
{
    struct why_seg **hp = ooo_head(x, dir);
    struct why_tcp_half *h = &x->c.half[dir];
    struct why_seg *s;
    while ((s = *hp) && why_seq_leq(s->seq, h->next_seq)) {
        *hp = s->next;
        deliver(f, x, dir, s->data, s->clen, s->wlen, h->next_seq - s->seq, p);
        seg_free(x, dir, s);
    }
}

/* Gives up on the first hole: reports it as a gap, then delivers what follows it. */
static uint32_t flush_first(struct why_flow *f, struct why_fconn *x, enum why_dir dir,
                            const struct why_pkt *p)
{
    struct why_seg *s = ooo_first(x, dir);
    struct why_tcp_half *h = &x->c.half[dir];
    uint32_t hole = 0;
    if (!s)
        return 0;
    if (why_seq_lt(h->next_seq, s->seq)) {
        hole = s->seq - h->next_seq;
        emit_gap(f, x, dir, hole, p);
    }
    drain(f, x, dir, p);
    return hole;
}

static void flush_all(struct why_flow *f, struct why_fconn *x, enum why_dir dir,
                      const struct why_pkt *p)
{
    while (ooo_first(x, dir))
        flush_first(f, x, dir, p);
}

/* Stores an out-of-order segment, trimmed against its neighbours so no sequence byte is
 * stored twice. Offsets are taken from next_seq so the order is well defined across wrap. */
static void ooo_insert(struct why_flow *f, struct why_fconn *x, enum why_dir dir, uint32_t seq,
                       const uint8_t *d, uint32_t clen, uint32_t wlen)
{
    struct why_tcp_half *h = &x->c.half[dir];
    if (!spans_of(f, x, dir))
        return; /* (counted) the segment becomes part of a gap */
    struct why_seg **hp = ooo_head(x, dir);
    uint32_t base = h->next_seq;
    uint64_t off = seq - base;
    struct why_seg *prev = NULL, *cur = *hp;
    while (cur && (uint32_t)(cur->seq - base) <= off) {
        prev = cur;
        cur = cur->next;
    }
    if (prev) {
        uint64_t pend = (uint64_t)(uint32_t)(prev->seq - base) + prev->wlen;
        if (pend >= off + wlen) {
            inc32(&h->retrans);
            return;
        }
        if (pend > off) {
            uint32_t k = (uint32_t)(pend - off);
            uint32_t kc = k < clen ? k : clen;
            d += kc;
            clen -= kc;
            wlen -= k;
            seq += k;
            off += k;
        }
    }
    while (cur && (uint64_t)(uint32_t)(cur->seq - base) + cur->wlen <= off + wlen) {
        struct why_seg *nx = cur->next; /* wholly covered by the new segment */
        seg_free(x, dir, cur);
        cur = nx;
    }
    if (cur && (uint32_t)(cur->seq - base) < off + wlen) {
        wlen = (uint32_t)((uint32_t)(cur->seq - base) - off);
        if (clen > wlen)
            clen = wlen;
    }
    struct why_seg *s = NULL;
    if (wlen > 0 && (s = malloc(sizeof *s + clen)) != NULL) {
        s->seq = seq;
        s->wlen = wlen;
        s->clen = clen;
        if (clen)
            memcpy(s->data, d, clen);
        x->fh[dir].sp->ooo_used += clen + WHY_SEG_COST;
    } else if (wlen > 0) {
        f->st.nomem++; /* the segment becomes part of a gap */
    }
    /* relink: prev -> s (if any) -> cur; removed segments are skipped either way */
    struct why_seg *after = s ? s : cur;
    if (s)
        s->next = cur;
    if (prev)
        prev->next = after;
    else
        *hp = after;
}

/* One segment of payload in direction dir covering [seq, seq+wlen), clen bytes captured. */
static void segment(struct why_flow *f, struct why_fconn *x, enum why_dir dir, uint32_t seq,
                    const uint8_t *d, uint32_t clen, uint32_t wlen, const struct why_pkt *p)
{
    struct why_tcp_half *h = &x->c.half[dir];
    if (!h->seq_known) /* mid-stream: this segment defines the start */
        seq_start(x, dir, seq);
    if (x->fh[dir].ngaveup && clen && why_seq_lt(seq, h->next_seq))
        late_fill(f, x, dir, seq, why_seq_lt(seq + clen, h->next_seq) ? clen : h->next_seq - seq);
    for (;;) {
        if (why_seq_leq(seq + wlen, h->next_seq)) {
            inc32(&h->retrans);
            return;
        }
        if (why_seq_leq(seq, h->next_seq)) {
            deliver(f, x, dir, d, clen, wlen, h->next_seq - seq, p);
            if (ooo_first(x, dir)) /* most streams come in order: nothing stored */
                drain(f, x, dir, p);
            return;
        }
        if ((uint64_t)ooo_used(x, dir) + clen + WHY_SEG_COST <= WHY_FLOW_OOO_MAX) {
            ooo_insert(f, x, dir, seq, d, clen, wlen);
            return;
        }
        /* the store is full: the oldest hole will not be filled in time */
        uint32_t lo = h->next_seq;
        if (ooo_first(x, dir)) {
            gave_up(f, x, dir, lo, flush_first(f, x, dir, p));
        } else {
            uint32_t hole = seq - h->next_seq; /* the segment alone exceeds the store */
            gave_up(f, x, dir, lo, hole);
            emit_gap(f, x, dir, hole, p);
        }
    }
}

/* ---- connection life ---- */

/* why_ts_diff_us(a, now) > us, us a whole number of seconds. Whole seconds apart fewer than
 * us's (the usual answer, asked twice a packet) settle it without the microseconds: the
 * nanoseconds add less than one second. */
_Static_assert(WHY_FLOW_IDLE_US % 1000000 == 0 && WHY_FLOW_LINGER_US % 1000000 == 0,
               "older_than takes whole seconds");
static bool older_than(struct why_ts a, struct why_ts now, int64_t us)
{
    if (now.sec - a.sec < us / 1000000)
        return false;
    return why_ts_diff_us(a, now) > us;
}

/* A list end stamped a, which expires us after it, is not older_than while the flow clock is
 * below why_ts_us(a) + us - 1: the two stamps' microseconds, floored, are then at most
 * us - 2 apart, their nanoseconds less than us - 1, and why_ts_diff_us (which rounds the
 * nanoseconds toward zero) at most us. The sweep is due from there at the latest. */
static void sweep_due(struct why_flow *f, struct why_ts a, int64_t us)
{
    int64_t at = why_ts_us(a) + us - 1;
    if (at < f->sweep_at)
        f->sweep_at = at;
}

static void mark_closed(struct why_flow *f, struct why_fconn *x)
{
    if (x->c.closed)
        return;
    struct why_fend *e = (struct why_fend *)(void *)ends_of(f, &x->c); /* made by its FIN or RST */
    x->c.closed = true;
    if (e)
        e->closed_at = f->now;
    x->lingering = true;
    f->nlinger++;
    l_push_back(&f->list[WHY_L_LINGER], x, WHY_L_LINGER);
    sweep_due(f, closed_at(x), WHY_FLOW_LINGER_US);
}

/* What a connection leaving the table says the capture missed. */
static void gaps_count(struct why_flow *f, const struct why_conn *c)
{
    for (int d = 0; d < 2; d++) {
        const struct why_half_miss *m = &c->miss->half[d];
        f->st.one_sided[d] += c->half[d].missing;
        f->st.hole_bytes += m->gap_bytes;
        f->st.hole_acked_bytes += m->gap_acked_bytes;
        f->st.tail_unseen_bytes += m->unseen_acked_bytes;
    }
    f->st.synack_unseen += c->syn_answer == WHY_SYN_SYNACK_UNSEEN;
    f->st.challenge_acked += c->more->challenge_acks != 0;
}

static void orphan_unlink(struct why_flow *f, struct why_fconn *x)
{
    if (!x->orphan)
        return;
    l_remove(&f->list[WHY_L_ORPHAN], x, WHY_L_ORPHAN);
    x->orphan = false;
    f->norphan--;
}

/* Removes x from the table: holes left in its streams are reported, then on_close. */
static void conn_close(struct why_flow *f, struct why_fconn *x, const struct why_pkt *p)
{
    flush_all(f, x, WHY_C2S, p);
    flush_all(f, x, WHY_S2C, p);
    hash_unlink(f, (struct why_kslot){x, x->hash, false});
    if (x->c.translated)
        hash_unlink(f, (struct why_kslot){x, x->nat_hash, true});
    isn_unlink(f, x);
    orphan_unlink(f, x);
    l_remove(&f->list[WHY_L_LRU], x, WHY_L_LRU);
    if (x->lingering) {
        l_remove(&f->list[WHY_L_LINGER], x, WHY_L_LINGER);
        f->nlinger--;
    }
    if (x->half_open)
        l_remove(&f->list[x->half_list], x, WHY_LK_HALF);
    f->count--;
    gaps_count(f, &x->c);
    if (f->cb.on_close)
        f->cb.on_close(f->cb.ctx, &x->c, p);
    if (f->one_way_dirty == x)
        f->one_way_dirty = NULL;
    one_way_note(f, x); /* (what the packet so far changed) */
    f->st.open_missing -= (x->one_way & WHY_CONN_ONE_WAY_MISSING) != 0;
    f->st.open_lone_rst -= (x->one_way & WHY_CONN_ONE_WAY_LONE_RST) != 0;
    free(x->fh[WHY_C2S].sp);
    free(x->fh[WHY_S2C].sp);
    if (x->c.more != &why_conn_more_none)
        free((struct why_conn_more *)x->c.more);
    free_ends(f, &x->c);
    free_miss(&x->c);
    spare_back(f->entries, x);
}

/* The entry's cache lines, asked of memory ahead of their use. (Inlined, as linger_ahead:
 * GCC finds a function that only prefetches free of effects, and drops its calls.) */
static inline __attribute__((always_inline)) void prefetch_entry(const struct why_fconn *x)
{
    for (size_t o = 0; o < sizeof *x; o += 64)
        __builtin_prefetch((const char *)x + o);
}

/* The linger list's next two connections to close, read ahead of their turn. A connection
 * lingers five seconds after it closed, so what its close reads (its entry, its ends, its
 * consumer's record, its neighbours on the activity list) has long left the cache, and the
 * sweep used to wait for each line in turn: first for the head's close time, right after
 * the connection before it closed, then for every part conn_close touches. After each
 * close here, the new head's successor (asked ahead at the close before: its lines are
 * here by now) has what its pointers reach asked for, and the one after it its entry;
 * both are closed a few packets later, on a busy gateway (hundreds of closes a second,
 * thousands of packets), as the list's order says. Only hints: nothing is read that the
 * lists do not hold. */
static inline __attribute__((always_inline)) void linger_ahead(const struct why_flow *f)
{
    const struct why_fconn *h = f->list[WHY_L_LINGER].head;
    const struct why_fconn *n = h ? h->link[WHY_L_LINGER].next : NULL;
    if (!n)
        return;
    const struct why_fend *e = (const struct why_fend *)(const void *)why_conn_ends(&n->c);
    __builtin_prefetch(e);
    __builtin_prefetch(&e->closed_at); /* (the ends' second line: closed_at is past 64 bytes) */
    __builtin_prefetch(n->c.app);
    __builtin_prefetch(n->link[WHY_L_LRU].prev);
    __builtin_prefetch(n->link[WHY_L_LRU].next);
    if (n->link[WHY_L_LINGER].next)
        prefetch_entry(n->link[WHY_L_LINGER].next);
}

/* Closes the connections past their time. Run for every packet, it looks at the lists
 * only once the flow clock reaches sweep_at: both lists are ordered by the flow clock, so
 * until then neither end can be past its time. */
static void sweep(struct why_flow *f)
{
    if (f->now_us < f->sweep_at)
        return;
    struct why_fconn *x;
    while ((x = f->list[WHY_L_LINGER].head) && older_than(closed_at(x), f->now, WHY_FLOW_LINGER_US)) {
        conn_close(f, x, NULL);
        linger_ahead(f);
    }
    while ((x = f->list[WHY_L_LRU].tail) && older_than(x->last_act, f->now, WHY_FLOW_IDLE_US))
        conn_close(f, x, NULL);
    f->sweep_at = INT64_MAX;
    if ((x = f->list[WHY_L_LINGER].head))
        sweep_due(f, closed_at(x), WHY_FLOW_LINGER_US);
    if ((x = f->list[WHY_L_LRU].tail))
        sweep_due(f, x->last_act, WHY_FLOW_IDLE_US);
}

/* A connection for p, whose tuple hashes to hash (lookup's). */
static struct why_fconn *conn_new(struct why_flow *f, const struct why_pkt *p, uint32_t hash,
                                  bool cli_is_src, bool midstream)
{
    if (f->count >= WHY_FLOW_CONN_MAX) {
        /* a finished connection is the cheapest loss, then the oldest half-open one (a
         * flood of SYNs evicts itself, not the connections that carry requests), else the
         * least recently active */
        struct why_fconn *v = f->list[WHY_L_LINGER].head;
        if (!v)
            v = f->list[WHY_L_HALF_IN].head;
        if (!v)
            v = f->list[WHY_L_HALF].head;
        if (!v)
            v = f->list[WHY_L_LRU].tail;
        f->st.conns_evicted++;
        conn_close(f, v, p);
    }
    if (f->count >= f->nbucket && f->nbucket < WHY_BUCKETS_MAX)
        grow(f);
    struct why_fconn *x = spare_new(f->entries, sizeof *x);
    if (!x) {
        f->st.nomem++;
        return NULL;
    }
    struct why_conn *c = &x->c;
    c->id = ++f->next_id;
    why_addr_copy(&c->cli_addr, cli_is_src ? &p->src : &p->dst); /* (as the decoder wrote them) */
    why_addr_copy(&c->srv_addr, cli_is_src ? &p->dst : &p->src);
    c->cli_port = cli_is_src ? p->sport : p->dport;
    c->srv_port = cli_is_src ? p->dport : p->sport;
    c->file = p->frame ? p->frame->file : 0;
    c->midstream = midstream;
    c->first_frame = frame_num(p);
    c->first_ts = frame_ts(p);
    c->more = &why_conn_more_none;
    c->miss = &why_conn_miss_none;
    why_conn_set_ends(c, &why_conn_end_none);
    x->hash = hash;
    x->last_act = f->now;
    sweep_due(f, x->last_act, WHY_FLOW_IDLE_US); /* the activity list may have been empty */
    if (!hash_link(f, (struct why_kslot){x, hash, false})) {
        f->st.nomem++;
        spare_back(f->entries, x);
        return NULL;
    }
    l_push_front(&f->list[WHY_L_LRU], x, WHY_L_LRU);
    /* inbound: the link layer says the first packet arrived at the capture host */
    x->half_list = p->link_dir == WHY_LINK_DIR_IN ? WHY_L_HALF_IN : WHY_L_HALF;
    l_push_back(&f->list[x->half_list], x, WHY_LK_HALF);
    x->half_open = true;
    f->count++;
    f->st.conns++;
    if (f->count > f->st.conns_peak)
        f->st.conns_peak = f->count;
    if (f->cb.on_open)
        f->cb.on_open(f->cb.ctx, c, p);
    return x;
}

static void event(struct why_flow *f, struct why_fconn *x, enum why_tcp_event ev, enum why_dir dir,
                  const struct why_pkt *p)
{
    if (f->cb.on_event)
        f->cb.on_event(f->cb.ctx, &x->c, ev, dir, p);
}

/* Over for the purpose of a new SYN: the 5-tuple may be reused (TIME_WAIT and after). */
static bool conn_over(const struct why_conn *c)
{
    return c->closed || c->midstream || c->half[0].end->fin_frame || c->half[1].end->fin_frame ||
           c->half[0].end->rst_frame || c->half[1].end->rst_frame;
}

/* The packet time of x's last counted SYN (zero before the first): the first one's, the
 * WHY_SYN_TRIES_MAX - 1 next ones' in the part apart, then one kept there. */
static struct why_ts last_syn_ts(const struct why_fconn *x)
{
    const struct why_conn *c = &x->c;
    if (c->syn_count <= 1)
        return c->syn_ts0;
    if (c->syn_count <= WHY_SYN_TRIES_MAX)
        return c->more->syn_ts[c->syn_count - 2];
    return c->more->last_syn_ts;
}

/* A second copy of the SYN just counted, not a retransmission. */
static bool syn_dup(const struct why_fconn *x, const struct why_pkt *p)
{
    int64_t dt = why_ts_diff_us(last_syn_ts(x), frame_ts(p));
    return dt > -WHY_SYN_DUP_US && dt < WHY_SYN_DUP_US;
}

static void on_rst(struct why_flow *f, struct why_fconn *x, enum why_dir dir,
                   const struct why_pkt *p)
{
    struct why_tcp_half *h = &x->c.half[dir];
    /* an aborted connection never fills its holes */
    flush_all(f, x, WHY_C2S, p);
    flush_all(f, x, WHY_S2C, p);
    struct why_conn_end *e = h->end->rst_frame ? NULL : ends_of(f, &x->c);
    if (e) {
        e->half[dir].rst_frame = frame_num(p);
        e->half[dir].rst_ts = frame_ts(p);
        if (!x->c.half[!dir].packets)
            one_way_note(f, x);
        event(f, x, WHY_EV_RST, dir, p);
    }
    mark_closed(f, x);
}

static void on_fin(struct why_flow *f, struct why_fconn *x, enum why_dir dir, uint32_t fseq,
                   const struct why_pkt *p)
{
    struct why_tcp_half *h = &x->c.half[dir];
    if (!h->seq_known)
        seq_start(x, dir, fseq);
    /* nothing more will be sent before the FIN: what is missing is lost */
    flush_all(f, x, dir, p);
    if (why_seq_lt(h->next_seq, fseq) && fseq - h->next_seq < WHY_FIN_GAP_MAX)
        emit_gap(f, x, dir, fseq - h->next_seq, p);
    if (h->next_seq == fseq)
        h->next_seq++; /* the FIN's own sequence number */
    struct why_conn_end *e = h->end->fin_frame ? NULL : ends_of(f, &x->c);
    if (e) {
        e->half[dir].fin_frame = frame_num(p);
        e->half[dir].fin_ts = frame_ts(p);
        ((struct why_fend *)(void *)e)->fin_seq[dir] = fseq;
        seen_to(f, x, dir, fseq + 1);
        event(f, x, WHY_EV_FIN, dir, p);
    }
    if (x->c.half[0].end->fin_frame && x->c.half[1].end->fin_frame)
        mark_closed(f, x);
}

/* The first answer to the client's SYN (a SYN-ACK, seen or proven, replaces a challenge
 * ACK): the SYN no longer waits in the ISN index. */
/* A SYN of x (syn_count not yet counted): the first takes note of how many SYNs its server
 * had answered; a retransmission learns how many it answered since. */
static void syn_listen(struct why_flow *f, struct why_fconn *x)
{
    struct why_conn *c = &x->c;
    if (c->midstream)
        return;
    if (c->syn_count == 0) {
        struct why_listen *l = listen_slot(f, c, false);
        x->listen_gen = l->gen;
        x->listen_answered = l->answered;
        return;
    }
    struct why_listen *l = listen_slot(f, c, true);
    struct why_conn_more *m;
    if (l && l->gen == x->listen_gen && l->answered != x->listen_answered && (m = more_of(f, c))) {
        m->syn_others_answered = l->answered - x->listen_answered;
        m->syn_other_frame = l->last_frame;
        m->syn_other_ts = l->last_ts;
    }
}

static void syn_answered(struct why_flow *f, struct why_fconn *x, enum why_syn_answer a,
                         const struct why_pkt *p)
{
    struct why_conn *c = &x->c;
    if (c->syn_answer == WHY_SYN_NO_ANSWER && c->syn_count && (a == WHY_SYN_SYNACK || a == WHY_SYN_RST) &&
        (c->syn_count == 1 || c->more != &why_conn_more_none)) {
        struct why_ts last = c->syn_count > WHY_SYN_TRIES_MAX ? c->more->last_syn_ts : why_conn_syn_ts(c, c->syn_count - 1);
        int64_t rtt = why_ts_diff_us(last, frame_ts(p));
        if (rtt > f->st.syn_rtt_max_us)
            f->st.syn_rtt_max_us = rtt;
    }
    bool better = c->syn_answer == WHY_SYN_CHALLENGE_ACK &&
                  (a == WHY_SYN_SYNACK || a == WHY_SYN_SYNACK_UNSEEN);
    if ((a == WHY_SYN_SYNACK || a == WHY_SYN_SYNACK_UNSEEN) && c->syn_count &&
        (c->syn_answer == WHY_SYN_NO_ANSWER || better)) {
        struct why_listen *l = listen_slot(f, c, true);
        if (l) {
            inc32(&l->answered);
            l->last_frame = frame_num(p);
            l->last_ts = frame_ts(p);
        }
    }
    if (c->syn_answer == WHY_SYN_NO_ANSWER || better) {
        c->syn_answer = (uint8_t)a;
        /* a SYN-ACK is its own record (synack_frame), a reset too (on_rst, next: the
         * server's first, rst_frame) */
        struct why_conn_more *m;
        if (a != WHY_SYN_SYNACK && a != WHY_SYN_RST && (m = more_of(f, c)) != NULL) {
            m->answer_frame = frame_num(p);
            m->answer_ts = frame_ts(p);
        }
    }
    isn_unlink(f, x);
}

/* Records that the server's packets of x come as p does: from other addresses (p's tuple
 * hashes to hash). False when that could not be kept (out of memory, counted): the answer is
 * not paired. */
static bool translate(struct why_flow *f, struct why_fconn *x, const struct why_pkt *p, uint32_t hash)
{
    struct why_conn *c = &x->c;
    struct why_conn_more *m = more_of(f, c);
    if (!m)
        return false;
    x->nat_hash = hash;
    if (!hash_link(f, (struct why_kslot){x, hash, true})) {
        f->st.nomem++;
        return false;
    }
    c->translated = true;
    m->nat_srv_addr = p->src;
    m->nat_cli_addr = p->dst;
    m->nat_srv_port = p->sport;
    m->nat_cli_port = p->dport;
    f->st.nat_paired++;
    return true;
}

/* A SYN-ACK or a reset whose tuple no connection has, that acknowledges the ISN of a SYN
 * waiting for its answer: the server's side of that connection, seen with other addresses
 * (a NAT or a virtual address between the capture's two vantage points). Only when one SYN
 * alone fits: two waiting with that ISN (a tool that sends one ISN always) could each be the
 * one answered, and past WHY_FLOW_NAT_ISN_SAME of that ISN the walk stops without knowing
 * (both counted, unpaired), so a capture of many SYNs of one ISN costs no walk of them all. */
static struct why_fconn *nat_pair(struct why_flow *f, const struct why_pkt *p, uint32_t hash)
{
    uint32_t isn = p->ack - 1, same = 0;
    struct why_fconn *found = NULL;
    for (struct why_fconn *x = f->ibucket[isn_slot(f, isn)]; x; x = x->link[WHY_LK_ISN].next) {
        struct why_conn *c = &x->c;
        if (c->half[WHY_C2S].isn != isn)
            continue;
        if (++same > WHY_FLOW_NAT_ISN_SAME) {
            f->st.nat_ambiguous++;
            return NULL;
        }
        int64_t dt = why_ts_diff_us(last_syn_ts(x), frame_ts(p));
        if (c->half[WHY_S2C].packets || c->closed || c->srv_addr.family != p->src.family ||
            dt < -WHY_SYN_DUP_US || dt > WHY_FLOW_NAT_PAIR_US)
            continue;
        if (found) {
            f->st.nat_ambiguous++;
            return NULL;
        }
        found = x;
    }
    return found && translate(f, found, p, hash) ? found : NULL;
}

/* A packet whose tuple no connection has, neither SYN nor RST, that carries the sequence
 * number a mid-stream connection's acknowledgements expect from its silent side and
 * acknowledges that connection's bytes: the silent side, seen with other addresses (a NAT
 * on a keep-alive connection older than the capture). Both numbers must fall within
 * WHY_FLOW_NAT_SEQ_WINDOW of what the connection shows, so a chance match is about one in
 * 2^22 squared per candidate. */
static struct why_fconn *nat_pair_midstream(struct why_flow *f, const struct why_pkt *p, uint32_t hash)
{
    for (struct why_fconn *x = f->list[WHY_L_ORPHAN].head; x; x = x->link[WHY_L_ORPHAN].next) {
        const struct why_conn *c = &x->c;
        const struct why_tcp_half *cl = &c->half[WHY_C2S], *sv = &c->half[WHY_S2C];
        if (c->srv_addr.family != p->src.family || !cl->seq_known || !sv->peer_acked)
            continue;
        uint32_t want_seq = sv->acked_max, want_ack = cl->next_seq;
        if ((uint32_t)(p->seq - want_seq + WHY_FLOW_NAT_SEQ_WINDOW) > 2u * WHY_FLOW_NAT_SEQ_WINDOW ||
            (uint32_t)(p->ack - want_ack + WHY_FLOW_NAT_SEQ_WINDOW) > 2u * WHY_FLOW_NAT_SEQ_WINDOW)
            continue;
        if (!translate(f, x, p, hash))
            return NULL;
        orphan_unlink(f, x);
        return x;
    }
    return NULL;
}

/* The server's handshake is proven though not captured (its SYN-ACK's sequence number is
 * known from an acknowledgement: srv_next is the server's next byte). */
static void synack_unseen(struct why_flow *f, struct why_fconn *x, uint32_t srv_next,
                          const struct why_pkt *p)
{
    struct why_conn *c = &x->c;
    c->established = true;
    if (!c->half[WHY_S2C].seq_known) {
        c->half[WHY_S2C].isn = srv_next - 1;
        seq_start(x, WHY_S2C, srv_next);
    }
    syn_answered(f, x, WHY_SYN_SYNACK_UNSEEN, p);
    if (!x->est_sent) {
        x->est_sent = true;
        event(f, x, WHY_EV_ESTABLISHED, WHY_C2S, p);
    }
}

/* Handshake packets; returns false when the packet says nothing about the streams (a
 * challenge ACK acknowledges an older connection's bytes). Inlined in its one caller, always:
 * the profile-guided build put it out of line when the session's packet path grew by a call
 * (3 % more instructions on bench/ proxy-200m). */
static inline __attribute__((always_inline)) bool handshake(struct why_flow *f, struct why_fconn *x,
                                                            enum why_dir dir, const struct why_pkt *p)
{
    struct why_conn *c = &x->c;
    struct why_tcp_half *h = &c->half[dir];
    uint8_t fl = p->tcp_flags;
    bool syn = fl & WHY_TCP_SYN, ack = fl & WHY_TCP_ACK, fin = fl & WHY_TCP_FIN;
    bool waiting = c->syn_count && !c->midstream && !c->synack_frame &&
                   c->syn_answer != WHY_SYN_SYNACK_UNSEEN;
    if (syn && !ack && dir == WHY_C2S && !(c->syn_count && syn_dup(x, p))) {
        if (c->syn_count == 0) {
            h->isn = p->seq;
            seq_start(x, WHY_C2S, p->seq + 1);
            isn_link(f, x);
        }
        if (c->syn_count == 0) {
            c->syn_frame = frame_num(p);
            c->syn_ts0 = frame_ts(p);
        } else if (c->syn_count < WHY_SYN_TRIES_MAX) {
            struct why_conn_more *m = more_of(f, c);
            if (m) {
                m->syn_frames[c->syn_count - 1] = frame_num(p);
                m->syn_ts[c->syn_count - 1] = frame_ts(p);
            }
        }
        syn_listen(f, x);
        inc32(&c->syn_count);
        struct why_conn_more *m;
        if (c->syn_count > WHY_SYN_TRIES_MAX && (m = more_of(f, c)))
            m->last_syn_ts = frame_ts(p); /* past those kept */
        event(f, x, WHY_EV_SYN, WHY_C2S, p);
    } else if (syn && ack && dir == WHY_S2C && !c->synack_frame) {
        c->synack_frame = frame_num(p);
        c->synack_ts = frame_ts(p);
        c->established = true;
        if (!h->seq_known) {
            h->isn = p->seq;
            seq_start(x, WHY_S2C, p->seq + 1);
        }
        struct why_tcp_half *ch = &c->half[WHY_C2S];
        if (!ch->seq_known) { /* the client's SYN was not captured: its ack tells the ISN */
            ch->isn = p->ack - 1;
            seq_start(x, WHY_C2S, p->ack);
        }
        syn_answered(f, x, WHY_SYN_SYNACK, p);
        event(f, x, WHY_EV_SYNACK, WHY_S2C, p);
    } else if (ack && !syn && dir == WHY_C2S && c->synack_frame && !x->est_sent) {
        x->est_sent = true;
        event(f, x, WHY_EV_ESTABLISHED, WHY_C2S, p);
    } else if (ack && !syn && waiting && dir == WHY_C2S && p->seq == c->half[WHY_C2S].isn + 1 &&
               c->syn_answer != WHY_SYN_RST) {
        /* the client acknowledges a SYN-ACK the capture missed: its handshake ACK */
        synack_unseen(f, x, p->ack, p);
    } else if (ack && !syn && waiting && dir == WHY_S2C) {
        uint32_t cisn = c->half[WHY_C2S].isn;
        if (why_seq_lt(cisn, p->ack) && why_seq_leq(p->ack, x->fh[WHY_C2S].seen_end)) {
            /* the server acknowledges the SYN (and maybe the client's bytes): it answered,
             * the SYN-ACK was not captured */
            synack_unseen(f, x, p->seq, p);
        } else if (!fin && !p->paylen_wire) {
            /* RFC 5961 4.2: a SYN on a 4-tuple the server still holds draws a bare ACK of
             * the old connection's sequence: an answer, though not a handshake */
            struct why_conn_more *m = more_of(f, c);
            if (m)
                inc32(&m->challenge_acks);
            syn_answered(f, x, WHY_SYN_CHALLENGE_ACK, p);
            event(f, x, WHY_EV_CHALLENGE_ACK, WHY_S2C, p);
            return false;
        }
    }
    return true;
}

/* ---- tunnel paths ---- */

static bool layer_same(const struct why_encap *a, const struct why_encap *b)
{
    enum { PER_PACKET = WHY_ENCAP_F_SEQ | WHY_ENCAP_F_FRAGMENT };
    return a->kind == b->kind && (a->flags & ~PER_PACKET) == (b->flags & ~PER_PACKET) &&
           a->proto == b->proto && addr_same(&a->src, &b->src) && addr_same(&a->dst, &b->dst) &&
           a->id == b->id && a->key == b->key;
}

static bool chain_is(const struct why_encap_chain *ch, const struct why_pkt *p)
{
    if (!ch || ch->n != p->nencap)
        return false;
    for (uint8_t i = 0; i < ch->n; i++)
        if (!layer_same(&ch->layer[i], &p->encap[i]))
            return false;
    return true;
}

/* The kept copy of the tunnels p crossed (added on first sight), NULL when p crossed none or
 * the cap is reached. */
static const struct why_encap_chain *flow_encap(struct why_flow *f, const struct why_pkt *p)
{
    if (p->nencap == 0 || p->nencap > WHY_ENCAP_MAX)
        return NULL;
    for (uint32_t i = 0; i < f->st.encap_chains; i++)
        if (chain_is(f->chains[i], p))
            return f->chains[i];
    struct why_encap_chain *ch = NULL;
    if (f->st.encap_chains < WHY_FLOW_ENCAP_CHAINS_MAX)
        ch = calloc(1, sizeof *ch);
    if (!ch) {
        f->st.encap_chains_over++;
        return NULL;
    }
    ch->n = p->nencap;
    for (uint8_t i = 0; i < ch->n; i++) {
        struct why_encap *l = &ch->layer[i];
        *l = p->encap[i];
        l->flags &= (uint8_t)~(WHY_ENCAP_F_SEQ | WHY_ENCAP_F_FRAGMENT);
        l->seq = 0;
    }
    f->chains[f->st.encap_chains++] = ch;
    return ch;
}

/* The first packet of a direction names its tunnels; a later one that crossed others is
 * noted (a path that changed mid-connection), its path not kept. */
static void conn_encap(struct why_flow *f, struct why_conn *c, enum why_dir dir, const struct why_pkt *p)
{
    if (c->half[dir].packets == 1) {
        c->encap[dir] = flow_encap(f, p);
        return;
    }
    if (p->nencap ? !chain_is(c->encap[dir], p) : c->encap[dir] != NULL)
        c->encap_varied = true;
}

/* c, not established nor begun mid-stream, has a packet (or an ICMP error) at t: its span
 * so far counts toward the table's attempt_span_us */
static void attempt_span(struct why_flow *f, const struct why_conn *c, struct why_ts t)
{
    int64_t us = why_ts_diff_us(c->first_ts, t);
    if (us < 1)
        us = 1; /* (0 says none) */
    if (us > f->st.attempt_span_us)
        f->st.attempt_span_us = us;
}

static void tcp_in(struct why_flow *f, const struct why_pkt *p)
{
    uint8_t fl = p->tcp_flags;
    if (!(fl & (WHY_TCP_SYN | WHY_TCP_ACK | WHY_TCP_RST | WHY_TCP_FIN)))
        return; /* no flags: a cut header or a scan, nothing to track */
    bool syn = fl & WHY_TCP_SYN, ack = fl & WHY_TCP_ACK, rst = fl & WHY_TCP_RST,
         fin = fl & WHY_TCP_FIN;
    enum why_dir dir = WHY_C2S;
    uint32_t hash = 0; /* the tuple's key hash, when x is NULL below */
    struct why_fconn *x = lookup_recent(f, p, &dir);
    if (!x)
        x = lookup(f, &p->src, p->sport, &p->dst, p->dport, &dir, &hash);

    /* port reuse: a handshake packet that cannot belong to the connection in the table */
    if (x && syn && !rst) {
        const struct why_conn *c = &x->c;
        bool replace;
        if (!ack) /* same ISN from the client: a retransmission; otherwise a new attempt */
            replace = !(dir == WHY_C2S && c->syn_count && p->seq == c->half[WHY_C2S].isn) &&
                      (dir == WHY_C2S || conn_over(c));
        else
            replace = conn_over(c) && !(dir == WHY_S2C && c->synack_frame &&
                                        p->seq == c->half[WHY_S2C].isn);
        if (replace) {
            conn_close(f, x, p);
            x = NULL;
            hash = key_hash(f, &p->src, p->sport, &p->dst, p->dport); /* lookup_recent has none */
        }
    }
    bool paired = false;
    if (!x && ack && (syn != rst) && (x = nat_pair(f, p, hash)) != NULL) {
        dir = WHY_S2C;
        paired = true;
    }
    if (!x && ack && !syn && !rst && f->norphan && (x = nat_pair_midstream(f, p, hash)) != NULL) {
        dir = WHY_S2C;
        paired = true;
    }
    if (!x) {
        bool cli_is_src = !(syn && ack && !rst); /* a SYN-ACK's receiver is the client */
        bool midstream = !(syn && !rst);
        x = conn_new(f, p, hash, cli_is_src, midstream);
        if (!x)
            return;
        dir = cli_is_src ? WHY_C2S : WHY_S2C;
        if (midstream && !syn && !rst && f->norphan < WHY_FLOW_ORPHANS_MAX) {
            l_push_back(&f->list[WHY_L_ORPHAN], x, WHY_L_ORPHAN); /* its other side may come translated */
            x->orphan = true;
            f->norphan++;
        } else if (midstream && !syn && !rst) {
            f->st.orphans_over++;
        }
    } else if (x->orphan && dir == WHY_S2C) {
        orphan_unlink(f, x); /* its other side came untranslated */
    }

    struct why_conn *c = &x->c;
    struct why_tcp_half *h = &c->half[dir];
    x->last_act = f->now;
    if (f->list[WHY_L_LRU].head != x) { /* a run of one connection's packets moves nothing */
        l_remove(&f->list[WHY_L_LRU], x, WHY_L_LRU);
        l_push_front(&f->list[WHY_L_LRU], x, WHY_L_LRU);
    }
    if (x->half_open && (dir == WHY_S2C || p->paylen_wire || p->paylen)) {
        l_remove(&f->list[x->half_list], x, WHY_LK_HALF);
        x->half_open = false;
    }
    if (p->link_dir == WHY_LINK_DIR_OUT)
        *(dir == WHY_C2S ? &c->cli_is_local : &c->srv_is_local) = true;
    else if (p->link_dir == WHY_LINK_DIR_IN)
        *(dir == WHY_C2S ? &c->srv_is_local : &c->cli_is_local) = true;
    inc32(&h->packets);
    conn_encap(f, c, dir, p);
    h->last_frame = frame_num(p);
    h->last_ts = frame_ts(p);
    if (__builtin_expect(!c->established && !c->midstream, 0))
        attempt_span(f, c, h->last_ts);
    if (__builtin_expect(h->packets == 1, 0))
        first_packet(f, x, h);
    if (paired)
        event(f, x, WHY_EV_TRANSLATED, WHY_S2C, p);

    if (rst && dir == WHY_C2S && c->syn_answer == WHY_SYN_CHALLENGE_ACK && !c->established) {
        /* the client resets the stale connection the challenge ACK spoke of (RFC 5961 4.2),
         * then retries its SYN: this connection is not aborted */
        struct why_conn_more *m = c->more->challenge_rst_frame ? NULL : more_of(f, c);
        if (m) {
            m->challenge_rst_frame = frame_num(p);
            m->challenge_rst_ts = frame_ts(p);
        }
        return;
    }
    if (rst) { /* a RST's payload is not stream data (some stacks put text there) */
        if (dir == WHY_S2C && c->syn_count && !c->established)
            syn_answered(f, x, WHY_SYN_RST, p);
        on_rst(f, x, dir, p);
        return;
    }
    if (!handshake(f, x, dir, p))
        return;

    /* Mid-stream, an ACK tells where the other direction's stream stands: its next bytes
     * are expected there, so a segment lost before them is a gap, not the start of a
     * message (a response body taken for a status line would be a false diagnosis). */
    if (ack && c->midstream && !c->half[!dir].seq_known)
        seq_start(x, !dir, p->ack);

    uint32_t clen = p->payload ? p->paylen : 0;
    uint32_t wlen = p->paylen_wire > clen ? p->paylen_wire : clen;
    uint32_t seq = p->seq + (syn ? 1u : 0u); /* data on a SYN (TFO) follows the SYN */
    if (wlen) {
        if (!h->first_data_frame) {
            h->first_data_frame = frame_num(p);
            h->first_data_ts = frame_ts(p);
        }
        h->last_data_frame = frame_num(p);
        h->last_data_ts = frame_ts(p);
        segment(f, x, dir, seq, p->payload, clen, wlen, p);
        seen_to(f, x, dir, seq + wlen);
        if (c->midstream && c->half[0].first_data_frame && c->half[1].first_data_frame)
            c->established = true;
    }
    if (fin)
        on_fin(f, x, dir, seq + wlen, p);
    if (ack)
        ack_in(f, x, (enum why_dir)!dir, p->ack, p);
    /* seen_to brought dir's proof up to date, and ack_in only touches the other direction's:
     * a FIN or a packet without data changed what it rests on since */
    if (!wlen || fin)
        proof_update(f, x, dir);
}

static void icmp_in(struct why_flow *f, const struct why_pkt *p)
{
    const struct why_quoted *q = &p->quoted;
    if (!p->icmp_error)
        return;
    if (q->valid && q->proto == WHY_PROTO_UDP) {
        if (f->cb.on_udp)
            f->cb.on_udp(f->cb.ctx, p);
        return;
    }
    enum why_dir dir = WHY_C2S;
    struct why_fconn *x = NULL;
    uint32_t hash;
    if (q->valid && q->proto == WHY_PROTO_TCP && q->ports)
        x = lookup(f, &q->src, q->sport, &q->dst, q->dport, &dir, &hash);
    if (!x) {
        f->st.icmp_unmatched++;
        return;
    }
    struct why_conn *c = &x->c;
    if (!c->established && !c->midstream)
        attempt_span(f, c, frame_ts(p));
    /* the first error's details, and every error's time as the last (NULL: out of memory,
     * counted: this error is not kept) */
    struct why_conn_more *m = more_of(f, c);
    if (m && m->icmp_count == 0) {
        m->icmp_frame = frame_num(p);
        m->icmp_ts = frame_ts(p);
        m->icmp_type = p->icmp_type;
        m->icmp_code = p->icmp_code;
        m->icmp_ipver = p->ipver;
        m->icmp_from = p->src;
        m->icmp_encap = flow_encap(f, p);
    }
    if (m) {
        m->icmp_last_ts = frame_ts(p);
        inc32(&m->icmp_count);
    }
    event(f, x, WHY_EV_ICMP, dir, p);
}

/* ---- API ---- */

struct why_flow *why_flow_new(const struct why_flow_cb *cb)
{
    struct why_flow *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->kslot = calloc(WHY_KSLOTS_MIN, sizeof *f->kslot);
    f->ibucket = calloc(WHY_BUCKETS_MIN, sizeof *f->ibucket);
    if (!f->kslot || !f->ibucket) {
        free(f->kslot);
        free(f->ibucket);
        free(f);
        return NULL;
    }
    f->nbucket = WHY_BUCKETS_MIN;
    f->nkslot = WHY_KSLOTS_MIN;
    f->spare_conn.max = f->spare_end.max = WHY_SPARE_MAX;
    f->spare_conn.slab = f->spare_end.slab = why_spare_slab(&f->slab);
    f->entries = &f->spare_conn;
    if (cb)
        f->cb = *cb;
    /* per-table seed: bucket order never reaches the output (lists decide every order) */
    f->seed = mix64((uint64_t)(uintptr_t)f ^ 0x5bd1e9955bd1e995ULL);
    return f;
}

void why_flow_packet(struct why_flow *f, const struct why_pkt *p)
{
    if (!f || !p)
        return;
    if (p->frame && (!f->have_now || why_ts_cmp(p->frame->ts, f->now) > 0)) {
        f->now = p->frame->ts; /* never backwards: `-i any` stamps are not ordered */
        f->now_us = why_ts_us(f->now);
        f->have_now = true;
    }
    sweep(f);
    if (p->fragment) { /* no L4 header to key on */
        f->st.other_packets++;
        return;
    }
    switch (p->proto) {
    case WHY_PROTO_TCP:
        f->st.tcp_packets++;
        tcp_in(f, p);
        if (__builtin_expect(f->one_way_dirty != NULL, 0)) {
            one_way_note(f, f->one_way_dirty);
            f->one_way_dirty = NULL;
        }
        break;
    case WHY_PROTO_UDP:
        f->st.udp_packets++;
        if (f->cb.on_udp)
            f->cb.on_udp(f->cb.ctx, p);
        break;
    case WHY_PROTO_ICMP:
    case WHY_PROTO_ICMPV6:
        f->st.icmp_packets++;
        icmp_in(f, p);
        break;
    default:
        f->st.other_packets++;
        break;
    }
}

/* An entry of the activity list and its connection's id, for lru_by_id. */
struct id_at {
    uint64_t id;
    struct why_fconn *x;
};

WHY_SORT_BY_KEY(sort_id_at, struct id_at, p->id)

#define WHY_FLOW_SORT_ARRAY_MIN 64 /* entries from which lru_by_id goes through an array */

/* Sorts the activity list (n entries) by connection id, oldest first, through an array of
 * the ids: each entry is read once to fill it and once to link it again, where a merge sort
 * of the list's links reads each about log2(n) times, cold at the end of a capture with
 * thousands of held connections. False, the list untouched, for a short list (the merge
 * sort's reads stay in the caches) and when the arrays cannot be had. */
static bool lru_by_id_array(struct why_list *l, size_t n)
{
    if (n < WHY_FLOW_SORT_ARRAY_MIN)
        return false;
    struct id_at *v = malloc(n * sizeof *v), **pv = malloc(n * sizeof *pv);
    struct why_fconn *x = l->head;
    size_t k = 0;
    for (; v && pv && x && k < n; x = x->link[WHY_L_LRU].next, k++) {
        v[k] = (struct id_at){x->c.id, x};
        pv[k] = &v[k];
    }
    if (!v || !pv || x) { /* no memory, or more than counted: the links are walked as they are */
        free(v);
        free(pv);
        return false;
    }
    sort_id_at(pv, k); /* (the ids are distinct, as util/sort.h asks) */
    struct why_fconn *prev = NULL;
    for (size_t i = 0; i < k; i++) {
        pv[i]->x->link[WHY_L_LRU].prev = prev;
        pv[i]->x->link[WHY_L_LRU].next = i + 1 < k ? pv[i + 1]->x : NULL;
        prev = pv[i]->x;
    }
    l->head = k ? pv[0]->x : NULL;
    l->tail = prev;
    free(v);
    free(pv);
    return true;
}

/* Sorts the activity list by connection id, oldest first: by lru_by_id_array, else a merge
 * sort of its own links (which needs no memory). */
static void lru_by_id(struct why_list *l, size_t n)
{
    if (lru_by_id_array(l, n))
        return;
    struct why_fconn *x = l->head;
    for (size_t run = 1;; run *= 2) {
        struct why_fconn *in = x, *out = NULL, **tail = &out;
        size_t merges = 0;
        while (in) {
            merges++;
            struct why_fconn *a = in, *b = in;
            size_t na = 0, nb = run;
            while (b && na < run) {
                na++;
                b = b->link[WHY_L_LRU].next;
            }
            while (na || (nb && b)) {
                struct why_fconn **from = !na ? &b : (!nb || !b) ? &a : a->c.id <= b->c.id ? &a : &b;
                struct why_fconn *e = *from;
                *from = e->link[WHY_L_LRU].next;
                if (from == &a)
                    na--;
                else
                    nb--;
                *tail = e;
                tail = &e->link[WHY_L_LRU].next;
            }
            in = b;
        }
        *tail = NULL;
        x = out;
        if (merges <= 1)
            break;
    }
    l->head = x;
    l->tail = NULL;
    for (struct why_fconn *prev = NULL; x; prev = x, x = x->link[WHY_L_LRU].next) {
        x->link[WHY_L_LRU].prev = prev;
        l->tail = x;
    }
}

void why_flow_finish(struct why_flow *f)
{
    if (!f)
        return;
    struct why_list *l = &f->list[WHY_L_LRU];
    lru_by_id(l, f->count); /* closed in creation order */
    for (struct why_fconn *x; (x = l->head);)
        conn_close(f, x, NULL);
}

const struct why_flow_stats *why_flow_stats(const struct why_flow *f) { return &f->st; }

void why_flow_share_entries(struct why_flow *f, struct why_spare *sp) { f->entries = sp ? sp : &f->spare_conn; }

size_t why_flow_entry_size(void) { return sizeof(struct why_fconn); }

const struct why_encap_chain *why_flow_encap(struct why_flow *f, const struct why_pkt *p) { return flow_encap(f, p); }

uint32_t why_flow_open_count(const struct why_flow *f)
{
    return f->count - f->nlinger;
}

void why_flow_free(struct why_flow *f)
{
    if (!f)
        return;
    struct why_fconn *x = f->list[WHY_L_LRU].head; /* every connection */
    while (x) { /* no callbacks: the consumer may already be gone */
        struct why_fconn *nx = x->link[WHY_L_LRU].next;
        for (int d = 0; d < 2; d++) {
            struct why_seg *s = ooo_first(x, (enum why_dir)d);
            while (s) {
                struct why_seg *sn = s->next;
                free(s);
                s = sn;
            }
            free(x->fh[d].sp);
        }
        if (x->c.more != &why_conn_more_none)
            free((struct why_conn_more *)x->c.more);
        free_ends(f, &x->c);
        free_miss(&x->c);
        spare_back(f->entries, x);
        x = nx;
    }
    why_spare_drain(&f->spare_conn);
    why_spare_drain(&f->spare_end);
    why_slab_free(&f->slab);
    for (uint32_t i = 0; i < f->st.encap_chains; i++)
        free(f->chains[i]);
    free(f->kslot);
    free(f->ibucket);
    free(f);
}
