/* The record store: owns connection, transaction and DNS records, their indexes, the claims
 * that join them to requests, the queue of client requests waiting for a decision, and the
 * pruning of what no pending request can use any more. Answers the join's queries:
 *   - upstream requests by method + path (+ host), O(1): why_store_requests_*;
 *   - requests by method and the path's last segment, newest first, O(those):
 *     why_store_requests_ending (a reverse proxy's prefixed path ends like the client's);
 *   - DNS records no answer has come to, by query key (client, port, server, id, name),
 *     O(1): why_store_dns_find; by socket (client, port, server), O(those of that socket):
 *     why_store_dns_unanswered (ICMP errors only: a resolver may use one port for all);
 *   - DNS records by name, O(records of that name): why_store_dns_by_name; the same in
 *     vectors by creation with the latest first query up to each record, where a search
 *     bounds the part a window of time needs, O(log records of that name):
 *     why_store_dns_span;
 *   - queued requests with a Host by their indexed host, oldest request first, O(those of the
 *     bucket): why_store_queued_host;
 *   - DNS records by an address they answered, O(records with it): why_store_dns_by_addr;
 *   - answers by name and the family of an address they gave, newest answer first, so the
 *     latest before a time is found from the newest, O(answers after it in that chain):
 *     why_store_dns_answers;
 *   - connection records by server address, O(records to it): why_store_conns_to;
 *   - connection records found to be TLS, O(such records): why_store_tls_recs;
 *   - TLS records by their ClientHello's random, O(1): why_store_hello_twins (a gateway
 *     that passes TLS through sends its client's ClientHello upstream unchanged);
 *   - connection attempts not seen to connect (not midstream, no SYN-ACK, not claimed) by
 *     path (client address, server address and port), newest first, O(such records on
 *     it) amortised: why_store_attempts; a record that connects or is claimed leaves at
 *     the next walk that meets it (the flow table does not tell the store), O(1), once; the
 *     same records by client address, from one of them to the older ones:
 *     why_store_attempts_from_next;
 *   - connection records by creation in a vector (slots) that holds each one's first packet
 *     time, cached role and whether its first SYN was that packet: a walk by time reads one
 *     32-byte entry per record, and the record only when it is the gateway's upstream
 *     connection (why_store_slot_upstream) and, for a request's tries, may have sent its SYN
 *     within the request's window;
 *     the places of the gateway's upstream connections among them, by creation, for the
 *     gateways' current gen (why_store_upstream_slots): a walk by time of the upstream
 *     connections reads none of the client connections between them, however many are held
 *     open; O(records added since) amortised, O(records) after the gen changed or the
 *     vector was compacted; and of those, the ones that can still be a try, sorted once,
 *     a tenth of a second after they open (why_store_try_slots): the walk of the tries of
 *     a request no connection carried reads none of the connections that carried others;
 *     the first record of a window of time, by search of the vector: why_store_rec_upto,
 *     why_store_rec_from, O(log records);
 *   - connection records made as attempts, by creation, on lists the join walks by time:
 *     those not connected, and those to which nothing came back (why_store_try_last,
 *     why_store_try_upto); the refused ones in the order of their refusals
 *     (why_store_conn_refused); and every record no join claimed, one list per bucket of the
 *     client address (why_store_unclaimed_upto): O(records on the list in the window)
 *     amortised; a record ruled out for good leaves when its answer or its claim rules it
 *     out (why_store_conn_answered, why_store_conn_claimed), else at the next walk that
 *     meets it, O(1), once: a walk of a failed request's window for failed tries, silent
 *     tries or the gateway's checks reads none of the connections that carried requests;
 *   - connection records whose server asked for a TLS renegotiation, or sent an HTTP/2
 *     GOAWAY, and those a decided request marked for another (why_rec_more's alt_for,
 *     also_for), each a list, O(1) to add and remove: why_store_rec_list;
 *   - connection records of which a direction may have no packet, by creation, down to the
 *     WHY_STORE_OLDEST oldest records held (why_store_in_oldest), O(such records there)
 *     amortised: why_store_one_head; a record seen both ways leaves at the next walk that
 *     meets it (the flow table does not tell the store), O(1), once;
 *   - transactions on a connection whose client side is the gateway (upstream candidates),
 *     by creation: walked newest first down to a time, the held client connections' requests
 *     are not among them (valid while txns_gen is the gateways' gen + 1: why_store_classify).
 * The store calls nothing above it: the parsers' state of a record is released through the
 * `release` hook the session gives, and records about to be pruned are shown to `on_prune`
 * (unjoined failures are reported from there) before they go. Times are packet times. */
#ifndef WHY_STORE_STORE_H
#define WHY_STORE_STORE_H

#include "store/gateways.h"
#include "store/records.h"
#include "util/spare.h"

#define WHY_INDEX_BUCKETS 65536u     /* request index buckets at most (power of two) */
#define WHY_INDEX_BUCKETS_MIN 256u   /* ... and at first */
#define WHY_QLIKE_MIN 256u           /* the queue's index by request: buckets at first */
#define WHY_QLIKE_MAX 16384u         /* ... and at most (the fixed size it had) */
#define WHY_DNS_BUCKETS 16384u       /* DNS indexes' buckets (power of two) */
#define WHY_DNS_LIVE_BUCKETS 1024u  /* the indexes of queries not answered yet (by query key,
                                        by socket): buckets at first (power of two) */
#define WHY_DNS_KEY_BUCKETS_MAX (1u << 17) /* ... and at most (above WHY_RECORDS_MAX: chains stay
                                               ~1 long when every query waits) */
#define WHY_ADDR_BUCKETS 16384u
#define WHY_CONNS_VERS 1024u        /* versions of the server-address index (power of two) */
#define WHY_CONNS_GONE 4096u        /* records gone from that index remembered (power of two) */
#define WHY_QHOST_BUCKETS 16384u     /* queued requests by host buckets (power of two) */
#define WHY_BG_NAMES_MAX 64u         /* names remembered on a gateway's lookup schedule (cap) */
#define WHY_BG_GONE_MAX 4u           /* pruned lookups remembered per name (cap) */
#define WHY_ORDER_SLACK_US (1000LL * 1000) /* how far a record's first packet may precede the
                                              previous record's and still count as in order */      /* connection-by-server-address buckets (power of two) */

/* freed records of each kind kept for reuse (caps); none under AddressSanitizer, so that it
 * still sees a record used after it was freed. A list only ever holds records that were in
 * use at once, so it never holds more than the peak of its kind, and never more than its
 * cap. Requests get a higher cap: a pruning pass frees thousands at once, and the requests
 * that follow take them again instead of going back to calloc one by one; above some 4096
 * the spares start to keep memory that records of other kinds would have reused (peak RSS
 * +4 % on a capture of many short connections with 65536). */
#ifdef WHY_SPARE_ASAN /* (WHY_SPARE_MAX, util/spare.h, is 0 then too) */
#define WHY_SPARE_TXN_MAX 0u
#else
#define WHY_SPARE_TXN_MAX 4096u
#endif

#define WHY_SLOT_TLS_POS_BITS 25 /* why_rec_slot.tls_pos: the slot's other bits are flags */
#define WHY_SLOT_TLS_POS_MASK ((1u << WHY_SLOT_TLS_POS_BITS) - 1u)

/* One record in the vector by creation: what a walk by time reads without the record. */
/* An entry of the index of TLS records by their ClientHello's random: a key's entries lie in
 * the WHY_HELLO_REACH from its home (open addressing), at most WHY_HELLO_SAME of one key. */
#define WHY_HELLO_REACH 32
#define WHY_HELLO_SAME 4
struct why_hello_ent {
    uint64_t key;                     /* the record's facts' hello_key; 0: empty */
    struct why_conn_rec *rc;
};

/* A server TLS handshakes were told for (rc's server address and port): how many a relay
 * passed through (why_store_hello_add) and how many it answered itself (its ServerHello to a
 * ClientHello no other connection carried: it ends TLS there). */
#define WHY_TLS_FRONTS 256 /* servers kept (the first seen), in twice the entries */
struct why_tls_front {
    struct why_addr addr; /* family 0: an empty entry */
    uint16_t port;
    uint32_t relayed, terminated;
};

struct why_rec_slot {
    struct why_ts first_ts;           /* why_rec_conn(rc)->first_ts */
    struct why_conn_rec *rc;          /* NULL: the record was freed (the entry goes at the
                                         next compaction) */
    uint32_t gw_gen;                  /* the gateways' gen + 1 `upstream` was read at (0: never) */
    uint32_t tls_pos : WHY_SLOT_TLS_POS_BITS; /* rc's place in tls_recs + 1; 0: not there
                                         (at most WHY_RECORDS_MAX records) */
    uint32_t upstream : 1;            /* rc->gw_cli && !rc->gw_srv at that gen */
    uint32_t syn_first : 1;           /* the connection's first SYN came at its first packet's
                                         time (it was that packet): its syn_ts0 is first_ts
                                         (why_store_conn_syn), so a walk for a request's tries
                                         tells a SYN outside its window from the slot, without
                                         reading the record */
    uint32_t in_tries : WHY_TRY_LISTS; /* rc->in_tries: the try lists it is on, so that the
                                         walk down the slots for a list's member
                                         (why_store_try_upto) reads no record that is not */
};
_Static_assert(WHY_RECORDS_MAX <= WHY_SLOT_TLS_POS_MASK, "a slot's tls_pos holds a place among the records");
_Static_assert(sizeof(void *) != 8 || sizeof(struct why_rec_slot) == 32,
               "the vector's entry is read for every record a walk by time passes: 32 bytes");

/* A record parked off the active list until at: an open one until its oldest answer goes
 * stale (that answer's resp_ts), a closed one until it is old (its last packet). */
struct why_park {
    struct why_ts at;
    struct why_conn_rec *rc;
};

/* A min-heap of parked records by at. */
struct why_parked {
    struct why_park *v;
    size_t n, cap;
};

enum {
    WHY_PARK_OPEN,   /* open, their transactions all answered (due when the oldest is stale) */
    WHY_PARK_SPENT,  /* closed and spent (due when settled, or past the horizon) */
    WHY_PARK_CLOSED, /* closed, other (due past the horizon) */
    WHY_PARK_HEAPS
};

/* Hooks into the session (pointers, so that the store calls nothing above it). */
struct why_store_hooks {
    void *ctx;
    void (*release)(void *ctx, struct why_conn_rec *rc); /* free rc's parsers */
    /* A closed connection record goes at this pass (rc->prunable); called for each before any
     * is freed, so an incident can still name the others. */
    void (*on_prune_conn)(void *ctx, struct why_conn_rec *rc);
    /* A DNS record goes at this pass; called for each before any is freed. */
    void (*on_prune_dns)(void *ctx, struct why_dns_rec *d);
};

#define WHY_REQ_PATHS 1024 /* paths (gateway address, server address and port) remembered as
                              ones a request's attempt took, beyond their records' pruning
                              (open addressing; a path that finds no room replaces another) */

#define WHY_PATH_WAITS 4  /* the latest waits of requests that took a path, kept */
#define WHY_PATH_CHECKS 8 /* the latest checks of a path, kept */

/* A path a request's attempt took, or the gateway checked (its records may be gone). */
struct why_req_path {
    struct why_addr cli, srv;
    uint16_t port;
    bool taken;                               /* by a request's attempt */
    uint8_t nwaits, nchecks;                  /* filled (then the oldest gives way) */
    struct why_ts wait_from[WHY_PATH_WAITS];  /* such a request's first byte */
    struct why_ts wait_to[WHY_PATH_WAITS];    /* its answer (or its connection's last packet) */
    struct why_ts checks[WHY_PATH_CHECKS];    /* first SYNs of failed checks pruned */
};

/* A bucket of a request index: its transactions in the order their requests began
 * (req_first_ts; those that began at the same time in the order they were indexed), head the
 * one that began last. ->ix[index].next goes toward the one that began first (NULL past it),
 * .prev toward the head, and the head's .prev is the one that began first: a bucket is one
 * pointer, and its two ends are at hand. */
struct why_tbucket {
    struct why_txn *head;
};

/* How the records of the server-address index changed, by version slot
 * (why_store_conns_cut, why_store_conns_gone). */
struct why_conns_log {
    uint64_t cut[WHY_CONNS_VERS];     /* the version when one of those buckets' records last
                                         changed other than by coming or going */
    uint64_t gone_last[WHY_CONNS_VERS]; /* 1 + the number of the last gone from those
                                         buckets (0: none) */
    uint64_t ngone;                   /* records gone from the index so far */
    struct why_conns_gone {
        uint64_t seq;                 /* the record's */
        uint64_t prev;                /* 1 + the number of the one gone before it from the
                                         buckets of its version (0: none) */
    } gone[WHY_CONNS_GONE];           /* the last of them, the i-th gone at i % WHY_CONNS_GONE */
};

struct why_store {
    struct why_store_hooks hooks;
    struct why_summary *sum;          /* counters (caps, OOM) are added here */
    const struct why_gateways *gw;    /* roles, for what a settled record can still serve */
    int64_t settle_us;                /* --settle */
    /* the request indexes (enum why_tix): by why_request_key(method, path), by that and the
     * host (forward proxies), by why_request_ending_key; a bucket in the order its requests
     * began. Each has tix_n buckets (a power of two, WHY_INDEX_BUCKETS_MIN up to
     * WHY_INDEX_BUCKETS; never fewer again), doubled when it holds more than half that many
     * requests (tix_live): the hundreds to thousands a busy gateway has in flight keep a table
     * of a few to some tens of kilobytes, which stays in cache, where a bucket of a table of
     * half a megabyte was read from memory for nearly every request */
    struct why_tbucket *tix[WHY_TIX_N];
    uint32_t tix_n[WHY_TIX_N], tix_live[WHY_TIX_N];
    struct why_conn_rec *rhead, *rtail; /* connection records by creation */
    uint64_t nrecs;
    /* What rec_make_room has read of the oldest records, at the record cap: room_known[0]
     * is the last of a run from rhead of records none of which can make room (a closed record
     * no request holds), room_known[1] the last of a run none of which is a flood's (a
     * connection to the capture host that never got an answer) able to; NULL: none read. A
     * record that may come to make room (closed, a transaction gone) cuts a run that holds
     * it, a record gone shortens a run it ends: a flood of connections held open reads each
     * record once, not the oldest 4,096 again for each new one. */
    struct why_conn_rec *room_known[2];
    struct why_req_path req_paths[WHY_REQ_PATHS]; /* why_store_note_req_path (tag 0: none) */
    uint16_t req_path_tags[WHY_REQ_PATHS]; /* each entry's bits of its path's hash (0: none): a
                                              probe reads these, an entry only where its tag
                                              matches (the entries are 296 bytes) */
    uint64_t tls_opened;              /* connections whose bytes were found to be TLS, ever
                                         (the join looks for an opaque client leg only then) */
    struct why_conn_rec **tls_recs;   /* the records found to be TLS, in no order (their
                                         slot holds the place): valid while tls_ok */
    size_t ntls, tls_cap;
    bool tls_ok;                      /* false for good after an allocation failed */
    struct why_hello_ent *hello;      /* TLS records by their ClientHello's random (facts'
                                         hello_key), open addressing, at most half the entries
                                         used; a record whose reach is full is not on it */
    uint32_t nhello_ents, nhello;     /* entries (a power of two), records on it */
    struct why_tls_front *fronts;     /* 2 * WHY_TLS_FRONTS entries, open addressing by
                                         server (NULL until the first; why_store_tls_front) */
    uint32_t nfronts;
    struct why_rec_slot *slots;       /* the records by creation (rhead..rtail), with freed ones */
    size_t nslots, slots_cap, slots_dead; /* entries used, allocated, of them freed */
    bool slots_ok;                    /* every record has its entry (false for good after an
                                         allocation failed: walks then follow the list) */
    uint32_t *uslots;                 /* places in slots of the upstream connections' entries,
                                         in slots' order (why_store_upstream_slots) */
    size_t nuslots, uslots_cap, uslots_upto; /* places held, allocated; slots looked at */
    uint32_t uslots_gen;              /* the gateways' gen + 1 uslots holds (0: none held) */
    bool uslots_ok;                   /* false for good after an allocation failed */
    uint32_t *tslots;                 /* of uslots[0..tslots_upto), the places of the records
                                         that could still be a try (why_store_try_slots) */
    size_t ntslots, tslots_cap, tslots_upto; /* places held, allocated; uslots looked at */
    struct why_conn_rec *try_tail[WHY_TRY_LISTS]; /* the newest record that may be a failed,
                                         a silent try (why_store_try_last), by creation; the
                                         latest refused (why_store_conn_refused) */
    struct why_conn_rec **uc_tails;   /* per bucket of the client address: the newest record
                                         no join claimed (why_store_unclaimed_upto) */
    struct why_ts refused_max;        /* the latest refusal time put on a refusal list */
    int64_t refused_lag_us;           /* the most a refusal came before refused_max when put
                                         on its list (us): the lists' order is that of their
                                         times within it */
    bool refused_seen;
    struct why_conn_rec *refused_cur[2]; /* per refusal list, a record on it where the last
                                         why_store_refused_by stopped (NULL: none) */
    /* records that are one-way evidence (why_conn_one_way): the closed ones, and the open
     * connections as the flow table counted them when the session last said
     * (why_store_open_one_way) */
    uint32_t closed_missing, closed_lone_rst, open_missing, open_lone_rst;
    struct why_conn_rec *one_head, *one_tail; /* records of which a direction had no packet
                                         when last looked at, by creation (a direction that
                                         had one always has: seen both ways, a record leaves) */
    struct why_conn_rec *oldest_last; /* the WHY_STORE_OLDEST-th record by creation (NULL:
                                         fewer held) */
    struct why_conn_rec *list_head[WHY_REC_LISTS]; /* the records on each list, newest
                                         added first (enum why_rec_list) */
    struct why_conn_rec *act_head;    /* records pruning looks at (closed, or with
                                         transactions): an idle open connection is not */
    struct why_conn_rec **batch;      /* records a pruning pass frees, put in creation order */
    size_t batch_cap;                 /* entries */
    struct why_parked park[WHY_PARK_HEAPS]; /* records off the active list until they may be
                                         due (why_store_prune) */
    uint32_t park_gen;                /* the gateways' gen + 1 the closed ones not spent were
                                         parked at (their roles) */
    struct why_dns_rec **dbatch;      /* DNS records a pruning pass frees */
    size_t dbatch_cap;
    uint64_t next_rec_seq;
    bool conns_unordered;             /* a record began WHY_ORDER_SLACK_US or more before the
                                         one created before it (the capture's clock went
                                         back): creation order is not time order */
    struct why_ts rfirst_max;         /* the latest first_ts of a record created */
    int64_t rlag_us;                  /* the most any record began before rfirst_max when it
                                         was created (us): a record created after one that
                                         began at t began at t - rlag_us or later */
    int64_t syn_late_us;              /* the most a record's first SYN came after its first
                                         packet (us; why_store_conn_syn) */
    struct why_conn_rec **abuckets;   /* connection records by server address */
    uint64_t conns_ver[WHY_CONNS_VERS]; /* versions of those buckets (why_store_conns_version) */
    struct why_conns_log *clog;       /* how those buckets' records changed (apart: read
                                         only by the schedule test) */
    uint64_t conns_stamp;             /* the last version given */
    struct why_conn_rec **ubuckets;   /* attempts not seen to connect, by client address,
                                         server address and port (WHY_ADDR_BUCKETS) */
    struct why_conn_rec **fbuckets;   /* the same records by client address, newest first */
    struct why_dns_rec *dhead, *dtail; /* DNS records by creation */
    struct why_dns_rec *xhead, *xtail; /* ...those not answered with an address (yet) */
    uint64_t ndns;
    uint64_t dgen;                /* moves on whenever a DNS record comes or goes or the index
                                     by address gains links (an answer's addresses) */
    uint64_t dgone;               /* moves on whenever a DNS record goes: until it does, the
                                     index by address only gains links, at its chains' heads */
    struct {                      /* why_store_dns_upto's last answer, kept as records come
                                     and go (x NULL: none, or it went) */
        uint64_t after;
        struct why_dns_rec *x;
    } dupto;
    struct why_ts dns_qmax;           /* the latest q_ts of the records before dtail */
    bool dns_unordered;               /* a record's first query came WHY_ORDER_SLACK_US or more
                                         before one created before it: pruning then walks
                                         every DNS record, not only the old ones */
    uint64_t dscan_id;                /* the newest DNS record dns_lag has read (its id) */
    struct why_ts dscan_max;          /* the latest first query of those */
    int64_t dlag_us;                  /* the most one of them was first asked before an earlier
                                         one (us, truncated): how far pruning's walk must look */
    /* The DNS records no answer has come to (through why_store_dns_answer), by (client, client
     * port, server, id, name) and by (client, client port, server): all a query's or an
     * answer's lookup and an ICMP error's look for. An answered record leaves both, so they
     * hold the queries in flight and those that failed, a table of some kilobytes that stays
     * in cache where one sized to every record of the window (a megabyte, on a resolver's
     * thousand queries a second) was read from memory at every query, with an unrelated
     * record of the chain. */
    struct why_dns_rec **dkey;
    struct why_dns_rec **dsock;
    uint32_t nkbuckets;               /* of each (power of two, grows with nlive) */
    uint32_t nlive;                   /* records in them (why_dns_rec.live) */
    struct why_dns_nbucket *dnb;      /* DNS records by name: each bucket's chain, its vector
                                         and its answers by family, in one cache line */
    bool dnvec_lost;                  /* a record could not be added to a vector (out of
                                         memory): the chains serve every walk from then on */
    struct why_dns_alink **daddr;     /* DNS records by answered address */
    struct why_txn *qhead, *qtail;    /* client requests waiting for a decision, in order */
    struct why_txn *fqhead, *fqtail;  /* of them those answered 5xx, in the same order */
    uint64_t qseq;                    /* requests pushed on the queue so far */
    struct why_complete {             /* queued requests made complete (answered, stream
                                         ended, connection gone), in no order: the only ones
                                         a sweep needs to look at */
        int64_t not_before;           /* packet time (us) before which it cannot be due, as
                                         the last look at it found (INT64_MIN: look) */
        struct why_txn *t;            /* its place here: t->cpos */
    } *complete;
    size_t ncomplete, complete_cap;
    bool complete_lost;               /* an entry could not be added (out of memory): the
                                         sweeps walk the whole queue from then on */
    struct why_txn **ready;           /* a sweep's requests due for a decision (ready_cap) */
    size_t ready_cap;
    struct why_qlike {
        struct why_txn *head, *tail;  /* by the time sent (req_ts), oldest first; ties in
                                         the order pushed */
        uint32_t nok;                 /* of them, those answered below 500 */
    } *qlike;                         /* the queue by request and connection ends: nqlike
                                         buckets (a power of two, from WHY_QLIKE_MIN up to
                                         WHY_QLIKE_MAX), doubled when more than half as
                                         many requests are on them (nqlike_live) */
    uint32_t nqlike, nqlike_live;
    struct why_qhost {                /* the queued requests with a Host, by the key of their
                                         indexed host (hkey), in the order they began
                                         (req_first_ts; equal times in push order) */
        struct why_txn *head, *tail;
        struct why_txn *open_head, *open_tail; /* those of the bucket's hosts (with a Host or
                                         not) not complete yet, in push order (q_open,
                                         qonext) */
        uint32_t full;                /* ...complete, that the full join may decide (q_full) */
    } *qhost;
    size_t qnohost;                   /* queued requests without a Host (not on qhost) */
    struct why_txn *qnh_head, *qnh_tail; /* ...those, in push order (linked by hqnext) */
    uint32_t *qpath;                  /* queued requests by method, path and host, in
                                         WHY_QHOST_BUCKETS buckets (in_qpath) */
    struct why_ts qfirst_max;         /* the latest req_first_ts pushed on the queue */
    int64_t qlag_us;                  /* the most any request pushed began before qfirst_max
                                         (us, truncated): how far oldest_pending must look */
    bool queue_unordered;             /* a request pushed began WHY_ORDER_SLACK_US or more
                                         before one pushed earlier: the oldest pending request
                                         is then found by walking the whole queue */
    struct why_txn *cand_head, *cand_tail; /* transactions of upstream candidates, by creation */
    struct why_txn *oth_head, *oth_tail;   /* the other transactions, by creation */
    uint32_t txns_gen;                /* the gateways' gen + 1 the lists were split at */
    struct why_txn *tlast;            /* the transaction created last (NULL once freed) */
    struct why_ts tlast_max;          /* the latest req_ts of those created before it */
    bool txns_unordered;              /* a head ended WHY_ORDER_SLACK_US or more before one
                                         created before it: creation order is not time order */
    uint64_t next_txn_id, next_dns_id;
    struct why_spare spare_txn, spare_dns, spare_rec, spare_conn; /* struct why_txn, a DNS
                                         record with its links, struct why_conn_rec, the
                                         copy of a closed connection (struct why_conn) */
    struct why_spare spare_http1;     /* a parser stream of app/http1.c (one per message being
                                         read: taken and given back per request) */
    struct why_spare spare_cmore, spare_cend; /* a closed connection's copied parts (struct
                                         why_conn_more, struct why_conn_end) */
    struct why_spare *copies;         /* where a closed connection's copy comes from (copy_size
                                         bytes): &spare_conn, or the flow table's entries
                                         (why_store_share_copies) */
    size_t copy_size;
    /* names a gateway was seen looking up on its own schedule, or asking with no request
     * (correlate/background.c): the schedule outlives the records that proved it, which
     * pruning frees */
    struct why_bg_name {
        uint64_t nkey;                /* hash of the name (why_dns_rec.nkey) */
        struct why_addr cli;          /* the host asking */
        uint16_t qtype;
        bool known;                   /* `last` is set: the name is known on the schedule */
        struct why_ts last;           /* its latest lookup known to be on the schedule */
        uint32_t ngone;               /* of gone[] (at most WHY_BG_GONE_MAX) */
        struct why_ts gone[WHY_BG_GONE_MAX]; /* first queries of its latest failed lookups that
                                         no request asked, pruned (any order) */
    } bg_names[WHY_BG_NAMES_MAX];
    uint32_t nbg_names;
    uint64_t bg_names_over;           /* names that replaced the one seen longest ago */
};

/* A record of a name chain's vector: the record (NULL once pruned) and the latest first query
 * (us) of the records up to it, a bound that only grows along the vector; before the vector's
 * open_from, also the latest first query or answer of the records up to it (every one of them
 * answered, or pruned), another such bound. */
struct why_dns_nent {
    struct why_dns_rec *d;
    int64_t qmax_us;
    int64_t done_us;
};

struct why_dns_nvec {
    struct why_dns_nent *e;           /* room for at least the least power of two >= max(n, 4)
                                         entries (store.c: nvec_room) */
    int64_t late_us;                  /* the longest wait for an answer of its records so far
                                         (never lowered) */
    int64_t slack_us;                 /* the most a record was asked before the latest first
                                         query of those before it (never lowered) */
    uint32_t n;
    uint32_t dead;                    /* entries whose record was pruned */
    uint32_t nmax;                    /* entries whose qmax_us is set (a record's q_ts is set
                                         after why_store_dns_new: the bound is taken later) */
    uint32_t open_from;               /* every record before it was pruned or is a_indexed
                                         (and its entry's done_us is set) */
};

/* One bucket of the DNS indexes by name (the name's hash): what a DNS message, a prune and a
 * request's join of that name read and write, in one cache line rather than one line in each
 * of four arrays. */
struct why_dns_nbucket {
    struct why_dns_nvec v;            /* its records by creation */
    struct why_dns_rec *name;         /* its records, newest first */
    struct why_dns_rec *fam[2];       /* its answers by family (IPv4, IPv6), newest answer
                                         first */
};

_Static_assert(sizeof(void *) != 8 || sizeof(struct why_dns_nbucket) == 64, "a name's bucket is one cache line");

/* The part of a name chain's vector a walk by time reads: records from hi on were first asked
 * after `after` (so in no order that matters to a window starting then), each record at k > hi
 * after e[k - 1].qmax_us - slack_us - 1000 (us); before lo, each was first asked and answered
 * before done_before (and given to the store). Entries may be NULL (pruned). */
struct why_dns_span {
    const struct why_dns_nent *e;
    uint32_t lo, hi, n;
    int64_t slack_us;
    int64_t late_us;                  /* the longest wait for an answer of its records so far */
};

/* Entry k of sp (k > 0) and every later one were first asked after `us` (the bound of those
 * before it, less the vector's disorder and 1 ms of rounding): a walk by time may stop. */
static inline bool why_dns_span_past(const struct why_dns_span *sp, uint32_t k, int64_t us)
{
    return sp->e[k - 1].qmax_us - sp->slack_us - 1000 > us;
}

/* A DNS record's place in the index by answered address (one per address kept). */
struct why_dns_alink {
    struct why_dns_rec *rec;
    struct why_dns_alink *next, *prev;
    uint32_t bucket;
};

/* The address a link of the index by address stands for. */
static inline const struct why_addr *why_dns_alink_addr(const struct why_dns_alink *l)
{
    return &l->rec->addrs[l - (const struct why_dns_alink *)(l->rec + 1)];
}

/* 0, or -1 on out of memory (st is then finalised). */
int why_store_init(struct why_store *st, struct why_summary *sum, const struct why_gateways *gw,
                   int64_t settle_us, const struct why_store_hooks *hooks);
/* Frees every record (the parsers' state through hooks.release). */
void why_store_fini(struct why_store *st);
/* Closed connections' copies (why_store_conn_closed) from sp, blocks of size bytes (at least a
 * struct why_conn; else the store's own list stays): the flow table's entries
 * (why_flow_share_entries), so that an entry freed at a close is the next copy's. sp must
 * outlive st; set before the first record. */
void why_store_share_copies(struct why_store *st, struct why_spare *sp, size_t size);

/* A 64-bit hash of method and path, a word at a time (store.c, key_bytes): the request
 * index's key. */
uint64_t why_request_key(const char *method, const char *path);
/* The same over method and the last segment of path (len bytes: those after its last '/',
 * all of them without one): the key of the index by path
 * ending. A path that ends with another which holds a '/' (a reverse proxy's prefix before
 * the client's path) has the same last segment, so the same key. */
uint64_t why_request_ending_key(const char *method, const char *path, size_t len);

/* ---- connection records ---- */
/* A new record for a connection the flow table opened; NULL at the cap (counted in
 * cap_records_dropped, after trying to make room) or on out of memory (counted). */
struct why_conn_rec *why_store_conn_new(struct why_store *st, struct why_conn *c);
/* rc's connection left the flow table: the record keeps a copy of its last state (rc->c,
 * until now the flow table's own) and is closed. On out of memory (counted) rc->c is the
 * shared all-zero why_conn_none. */
void why_store_conn_closed(struct why_store *st, struct why_conn_rec *rc, const struct why_conn *c);
/* rc's TLS facts, to write: allocated on the first call (until then rc->tls is the shared
 * why_tls_facts_none); NULL on out of memory (counted). */
struct why_tls_facts *why_store_tls_facts(struct why_store *st, struct why_conn_rec *rc);
/* rc's part apart (HTTP/2 facts, a first speaker's bytes), to write: allocated at its first
 * use (until then rc->more is the shared why_rec_more_none); NULL on out of memory (counted). */
struct why_rec_more *why_store_rec_more(struct why_store *st, struct why_conn_rec *rc);
/* c's path (gateway address, server address and port) was taken by the attempt of a request
 * that waited from `from` to `to`: remembered past the record's pruning (WHY_REQ_PATHS). */
void why_store_note_req_path(struct why_store *st, const struct why_conn *c, struct why_ts from, struct why_ts to);
/* A request's attempt took c's path, as far as why_store_note_req_path remembers. */
bool why_store_req_path_seen(const struct why_store *st, const struct why_conn *c);
/* A request whose attempt took c's path was waiting at `at` (within slack us either side), as
 * far as the latest WHY_PATH_WAITS remembered say. */
bool why_store_req_path_waited(const struct why_store *st, const struct why_conn *c, struct why_ts at, int64_t slack);
/* c, a failed attempt found to be one of the gateway's checks, goes: its time is remembered,
 * so that its path's later attempts still find the schedule (the latest WHY_PATH_CHECKS). */
void why_store_note_check(struct why_store *st, const struct why_conn *c);
/* The remembered checks of c's path: their times in out[0..max), how many. */
uint32_t why_store_checks_gone(const struct why_store *st, const struct why_conn *c, struct why_ts *out, uint32_t max);
/* The server-address index is filled when the record is created. */
struct why_conn_rec *why_store_conns_to(const struct why_store *st, const struct why_addr *srv);
/* Where a walk of the records newest first (rprev) that wants those begun at t or before may
 * start: no record created after the one returned began by t (NULL: none began by t). A
 * binary search of the slots by first packet time, which is in order within the records' lag
 * (rlag_us); rtail when the slots are not kept or the clock went back. O(log records). */
struct why_conn_rec *why_store_rec_upto(const struct why_store *st, struct why_ts t);
/* The oldest record of the run back from upto (by creation) of records begun at t or later:
 * where a walk from upto back to t ends (NULL: upto began before t). A binary search of the
 * slots when they are kept and in order within the records' lag, then a walk of the records
 * begun within that lag of t; the walk of the list otherwise. O(log records) and the band. */
struct why_conn_rec *why_store_rec_from(const struct why_store *st, struct why_conn_rec *upto, struct why_ts t);
/* The version of the records to rc's server address: moved on whenever one comes or goes, or
 * one's connection sends its first SYN (why_store_conn_syn), or its copy is lost; never
 * given twice (a few addresses share one: the version's slot, why_store_conns_vslot). What
 * reads only those records' paths, first times and SYN counts holds while it stays. */
static inline uint32_t why_store_conns_vslot(const struct why_conn_rec *rc)
{
    return rc->abucket & (WHY_CONNS_VERS - 1);
}
static inline uint64_t why_store_conns_version(const struct why_store *st, const struct why_conn_rec *rc)
{
    return st->conns_ver[why_store_conns_vslot(rc)];
}
/* Moved on with the version where a record's path, first time or SYN count changed, or a
 * record's first SYN came while it was not its bucket's head; not where records came (at the
 * head of their bucket, why_store_conns_to, in the order of their sequence numbers) or went
 * (why_store_conns_gone). While it stays, a bucket's records are the ones there when it was
 * read, less those gone, the newer ones before them, and the same but the SYN of the one
 * that was its head then. */
static inline uint64_t why_store_conns_cut(const struct why_store *st, const struct why_conn_rec *rc)
{
    return st->clog->cut[why_store_conns_vslot(rc)];
}
/* Records gone from the server-address index so far. */
static inline uint64_t why_store_conns_ngone(const struct why_store *st)
{
    return st->clog->ngone;
}
/* 1 + the number (from 0, in the order they went) of the last record gone from the buckets
 * of rc's version: 0 where none went. */
static inline uint64_t why_store_conns_gone_last(const struct why_store *st, const struct why_conn_rec *rc)
{
    return st->clog->gone_last[why_store_conns_vslot(rc)];
}
/* The record gone numbered g - 1 (g as why_store_conns_gone_last gives), where it is still
 * remembered (one of the last WHY_CONNS_GONE): its sequence number, and in *prev the g of the
 * one gone before it from the buckets of its version (0: none); 0 where it is not. */
static inline uint64_t why_store_conns_gone(const struct why_store *st, uint64_t g, uint64_t *prev)
{
    if (g == 0 || g > st->clog->ngone || st->clog->ngone - (g - 1) > WHY_CONNS_GONE)
        return 0;
    const struct why_conns_gone *x = &st->clog->gone[(g - 1) & (WHY_CONNS_GONE - 1)];
    *prev = x->prev;
    return x->seq;
}
#define WHY_STORE_OLDEST 4096 /* the records "the oldest" names (why_store_in_oldest) */

/* rc is one of the WHY_STORE_OLDEST oldest records held (by creation). */
static inline bool why_store_in_oldest(const struct why_store *st, const struct why_conn_rec *rc)
{
    return !st->oldest_last || rc->seq <= st->oldest_last->seq;
}
/* The records of which a direction may have no packet (every such record, and others not
 * looked at since both directions had one), by creation: walk with rc->onext. What asks about
 * a record seen one way only reads these, not every record. */
static inline struct why_conn_rec *why_store_one_head(const struct why_store *st)
{
    return st->one_head;
}
/* The flow table's counts of open connections that are one-way evidence (why_flow_stats'
 * open_missing, open_lone_rst), as of now: the session gives them before each sweep. */
static inline void why_store_open_one_way(struct why_store *st, uint32_t missing, uint32_t lone_rst)
{
    st->open_missing = missing;
    st->open_lone_rst = lone_rst;
}
/* Some record (or connection not followed) may have a direction proven missing, or a reset
 * alone (why_conn_one_way): false when none has, so no walk need look for one. */
static inline bool why_store_may_be_missing(const struct why_store *st)
{
    return st->open_missing || st->closed_missing;
}
static inline bool why_store_may_have_lone_rst(const struct why_store *st)
{
    return st->open_lone_rst || st->closed_lone_rst;
}
/* rc (on that list) was seen both ways: it leaves the list for good (packets are never
 * taken back). */
void why_store_one_drop(struct why_store *st, struct why_conn_rec *rc);
/* The newest record on try list l, by creation: of the records made as attempts, one not
 * connected (WHY_TRIES_FAILED: midstream and connected ones leave), or one to which nothing
 * came back (WHY_TRIES_SILENT: a SYN-ACK, reset or ICMP, or a claim, rules it out); of all
 * records, one no join claimed (WHY_TRIES_UNCLAIMED: a list per bucket of the client
 * address, begun with why_store_unclaimed_upto);
 * why_store_try_prev: the one made before rc. Records ruled out leave for good when answered
 * or claimed, and those found ruled out on the way (each once: what rules one out stays), so
 * a walk by time of the failed or the silent tries reads none of the connections that were
 * answered (or claimed), however many the gateway makes. A record may still have no SYN (a
 * SYN-ACK read before it). NULL: none. */
struct why_conn_rec *why_store_try_last(struct why_store *st, enum why_try_list l);
struct why_conn_rec *why_store_try_prev(struct why_store *st, const struct why_conn_rec *rc, enum why_try_list l);
/* The newest record on try list l made by upto (its seq or before): from the slots down from
 * upto's place when they are kept, so a walk by time that ends at upto reads none of the
 * records made since (connections not claimed yet, however many); else from the list's end.
 * NULL: none. */
struct why_conn_rec *why_store_try_upto(struct why_store *st, const struct why_conn_rec *upto, enum why_try_list l);
/* rc's attempt was refused at `at` (the server's reset, or an ICMP error: the first of
 * them, and a reset after an ICMP error again): unless it connected, it goes on the refusal
 * list (WHY_TRIES_REFUSED, or WHY_TRIES_REFUSED_LONG for an error a gateway holds down long),
 * in the order of the refusals, so a walk back from the newest reads those refused since a
 * time (within refused_lag_us). O(1). */
void why_store_conn_refused(struct why_store *st, struct why_conn_rec *rc, struct why_ts at, bool long_hd);
/* rc's connection was answered (its SYN-ACK, its handshake's end): it leaves the try lists it
 * can never be on again now (try_over), while its record is in the cache, instead of at the
 * first walk to pass it, long after. O(1). */
void why_store_conn_answered(struct why_store *st, struct why_conn_rec *rc);
/* The newest record on refusal list l (WHY_TRIES_REFUSED or WHY_TRIES_REFUSED_LONG) that may
 * have been refused by t: every one after it on the list was refused after t, so a walk back
 * from it reads none of the refusals since. From the record the last call stopped at, which
 * moves as the times asked move: O(1) amortised while they go forward, as a sweep's answers
 * do, where the walk from the list's end read every refusal of the decision's delay. NULL:
 * none. */
struct why_conn_rec *why_store_refused_by(struct why_store *st, enum why_try_list l, struct why_ts t);
/* The newest upstream record (why_store_slot_upstream) from client address cli that no join
 * claimed, made from `from` to upto (by creation); the next older ones of its bucket's list
 * with why_store_try_prev(.., WHY_TRIES_UNCLAIMED), which may be from another address of the
 * bucket, or not upstream. The walk of a gateway's unclaimed connections (its checks, the
 * tries no request took) reads none of its clients' connections nor those claimed. */
struct why_conn_rec *why_store_unclaimed_upto(struct why_store *st, const struct why_gateways *g,
                                              const struct why_addr *cli, const struct why_conn_rec *upto,
                                              const struct why_conn_rec *from);
/* rc's connection sent its first SYN (syn_count went from 0): its slot's syn_first is set
 * when that SYN was its first packet, and syn_late_us grows when it came later. */
void why_store_conn_syn(struct why_store *st, struct why_conn_rec *rc);
/* How far before a window a walk of the records newest first by creation goes on for those
 * whose first SYN (or first packet) came in it: a record created before one begun earlier
 * than that began before the window (rlag_us), and its first SYN came at most syn_late_us
 * after its first packet. At most WHY_ORDER_SLACK_US, the bound the walks had before the
 * lags were measured: in a capture in order, and with SYNs first, the walks read their
 * window and not the second before it. */
static inline int64_t why_store_rec_back_us(const struct why_store *st)
{
    int64_t b = st->rlag_us + st->syn_late_us;
    return b < WHY_ORDER_SLACK_US ? b : WHY_ORDER_SLACK_US;
}
/* rc's bytes were found to be TLS (the TLS reader's open): it joins the index of TLS records. */
void why_store_tls_add(struct why_store *st, struct why_conn_rec *rc);
/* rc's ClientHello was read (its facts' hello_key set): it joins the index by that random. A
 * record of that random already there that why_store_hello_relay pairs with rc makes rc a
 * handshake passed through: the summary counts it (tls_passed_through) and names the relay's
 * addresses (relays). */
void why_store_hello_add(struct why_store *st, struct why_conn_rec *rc);
/* a and b, two records of one ClientHello random: one handshake a relay passed on (a gateway
 * passing TLS through, any TCP relay), when they came from two client addresses to two
 * servers and the earlier (*cli: the client's leg, by its ClientHello's time) was still open
 * (in the flow table, or its last packet within WHY_SKEW_US of it) when the other (*up) sent
 * it on. */
bool why_store_hello_relay(struct why_conn_rec *a, struct why_conn_rec *b, struct why_conn_rec **cli,
                           struct why_conn_rec **up);
/* c's server, a TLS handshake told for it: passed through by a relay, or else answered by the
 * server itself (its ServerHello). Past WHY_TLS_FRONTS servers, nothing is kept of more. */
void why_store_tls_front(struct why_store *st, const struct why_conn *c, bool relayed);
/* c's server ended TLS itself (it answered a ClientHello no other connection carried) and never
 * passed a handshake through: not a relay, so a handshake it cut is not its upstream's. */
bool why_store_tls_front_terminates(const struct why_store *st, const struct why_conn *c);
/* a's bucket of nbuckets (a power of two), as the store's indexes by address place it. */
uint32_t why_store_addr_bucket(const struct why_addr *a, uint32_t nbuckets);
/* The other records whose ClientHello had rc's random, at most WHY_HELLO_SAME - 1 of them in
 * out (their number). A random is the client's: the same one on two connections is one
 * handshake sent on, or a client that repeats its randoms (none of them then tells). */
uint32_t why_store_hello_twins(const struct why_store *st, const struct why_conn_rec *rc,
                               struct why_conn_rec **out);
/* The records found to be TLS, in no order (*n of them; none yet: an empty vector); NULL when
 * the index is not kept (an allocation failed): then every record must be walked. */
struct why_conn_rec *const *why_store_tls_recs(const struct why_store *st, size_t *n);
/* s's record is the gateway's upstream connection (client side the gateway, server side not):
 * from the entry while the gateways' sets are unchanged, else from the record (refreshed). */
static inline bool why_store_slot_upstream(const struct why_gateways *g, struct why_rec_slot *s)
{
    if (s->gw_gen != g->gen + 1) {
        why_gw_roles(g, s->rc);
        s->upstream = s->rc->gw_cli && !s->rc->gw_srv;
        s->gw_gen = g->gen + 1;
    }
    return s->upstream;
}

/* The places in st->slots of the gateway's upstream connections (why_store_slot_upstream at
 * the gateways' current gen), in the vector's order, *n of them: a place's entry may since
 * have been freed (rc NULL). NULL when not kept (the slots are not, or an allocation
 * failed): then walk every slot. Valid until a record is added or pruned. */
const uint32_t *why_store_upstream_slots(struct why_store *st, const struct why_gateways *g, size_t *n);

#define WHY_TRY_SLOTS_AGE_US 100000 /* an upstream record is sorted into why_store_try_slots
                                       once it opened this long before the newest record: a
                                       connection a gateway opens for a request carries it at
                                       once after its handshake (one that has not by then is
                                       kept, and only read). The walks read the newest records
                                       unsorted: 1 s made that 1,300 records a try on a busy
                                       `hang` capture, most of the walk */

/* Of the upstream places (why_store_upstream_slots, which it extends first), the records that
 * could be a request's try when no connection is known to have carried it: all but the
 * established connections found to carry HTTP (an established connection that carried HTTP
 * stays so: rc->app is decided once, and HTTP/1 only becomes HTTP/2). A record is sorted once,
 * when it opened WHY_TRY_SLOTS_AGE_US before the newest record; the first *front upstream
 * places are sorted (the others are to be read from the upstream places), *n of them kept.
 * The same validity as why_store_upstream_slots; NULL when not kept. A walk of the tries of
 * a request that waited reads the gateway's failed and unused connections, not the thousands
 * that carried other requests while it waited (a reverse proxy without upstream keep-alive
 * opens one per request). */
const uint32_t *why_store_try_slots(struct why_store *st, const struct why_gateways *g, size_t *n, size_t *front);

/* The records in the bucket of like's path (client address, server address, server port)
 * that are not claimed, not midstream and not established, newest first (creation order):
 * every such record on that path, and maybe others of the bucket (callers test the path
 * and the rest). Walk with why_store_attempts_next. Takes records found connected or
 * claimed off the index (hence not const). */
struct why_conn_rec *why_store_attempts(struct why_store *st, const struct why_conn *like);
struct why_conn_rec *why_store_attempts_next(struct why_store *st, const struct why_conn_rec *rc);
/* Where a walk of rc's path (why_store_attempts) for the records whose first SYN came before
 * t can begin: past the records made after rc that began later than t by more than the
 * reorder tolerance and the records' lag (none made after such a one sent its SYN by t), found
 * from rc's place toward the newer ones; the list's newest when rc is not on it or the clock
 * went back. A failed try asked for the one before it in its chain, decided seconds after it,
 * reads the tries made since in a step each, not a read of each. */
struct why_conn_rec *why_store_attempts_before(struct why_store *st, const struct why_conn_rec *rc, struct why_ts t);
/* The records of the same index made before rc (rc on it: in_attempts) whose client address
 * may be rc's (callers compare it), newest first: each such record that is not claimed, not
 * midstream, not established, and maybe others of the bucket. Walk on with the record
 * returned; records found connected or claimed leave the index on the way. */
struct why_conn_rec *why_store_attempts_from_next(struct why_store *st, const struct why_conn_rec *rc);

static inline struct why_conn_rec *why_store_conns_next(const struct why_conn_rec *rc)
{
    return rc->anext;
}

/* For a long walk of the index by server address that reads each record's connection: the
 * record after rc asked of memory now (its connection pointer and its link), so that the walk
 * waits for one line a record, its connection's, instead of three in a row. Only a hint.
 * (Inlined: GCC drops the calls of a function whose only effect is a prefetch.) */
static inline __attribute__((always_inline)) void why_store_conns_ahead(const struct why_conn_rec *rc)
{
    const struct why_conn_rec *n = rc->anext;
    if (n) {
        __builtin_prefetch(n);
        __builtin_prefetch(&n->anext);
    }
}

/* rc closed (the caller must say so: pruning walks only this list) or got a transaction
 * (the store does that itself): pruning looks at it again. */
void why_store_conn_active(struct why_store *st, struct why_conn_rec *rc);

/* t was decided (or is about to be): pruning looks at its record again, and reads its
 * transactions up to t again. */
void why_store_txn_decided(struct why_store *st, struct why_txn *t);

/* rc was joined to a request (or to an unjoined incident): claimed, and pruning looks at it
 * again (a closed record claimed is due once settled). */
void why_store_conn_claimed(struct why_store *st, struct why_conn_rec *rc);

/* rc joins list l the join reads (a TLS renegotiation request, a server's GOAWAY, a mark):
 * at its head, unless on it already. O(1); out of memory for rc's facts: counted, not added. */
void why_store_rec_list(struct why_store *st, struct why_conn_rec *rc, enum why_rec_list l);

/* ---- transactions ---- */
/* A new transaction at the end of rc's list: NULL at WHY_TXN_PER_CONN_MAX (counted in
 * cap_pending_dropped) or on out of memory (counted in oom). The request fields are the
 * caller's to fill before why_store_txn_index, which must come before any join runs: the
 * join's walk by path ending meets only indexed transactions. */
struct why_txn *why_store_txn_new(struct why_store *st, struct why_conn_rec *rc);
/* t's Host and Via: bounded copies (WHY_TXN_HOST_MAX, WHY_TXN_VIA_MAX bytes) in one
 * allocation sized to them; both "" when empty or on out of memory (counted). Once. */
void why_store_txn_names(struct why_store *st, struct why_txn *t, const char *host, const char *via);
/* t's target (target_len bytes, at most WHY_HTTP_TARGET_MAX) with its Host and Via (as
 * why_store_txn_names), all three in one allocation (t->target's): a request costs one
 * malloc for its strings, not two. On out of memory (counted) target is NULL and the names
 * are tried on their own. */
void why_store_txn_request(struct why_store *st, struct why_txn *t, const char *target,
                           size_t target_len, const char *host, const char *via);
/* t's HTTP/2 part, to write: allocated at the first call (all zero), NULL on out of memory
 * (counted; t->h2 then stays the shared why_txn_h2_none). */
struct why_txn_h2 *why_store_txn_h2(struct why_store *st, struct why_txn *t);
/* t's answer strings become v's (why_txn_resp_make; v may be read from t->resp): false on out
 * of memory (counted), t->resp then unchanged. The callers leave t->resp the shared
 * why_txn_resp_none while every string of the answer is empty. */
bool why_store_txn_resp_put(struct why_store *st, struct why_txn *t, const struct why_resp_view *v);
/* Puts t in the request indexes (its method, target, host and req_first_ts set: each bucket
 * is in the order its requests began). */
void why_store_txn_index(struct why_store *st, struct why_txn *t);
/* Takes t out of the request indexes by path and host: a client's request, or one already
 * joined. */
void why_store_txn_unindex(struct why_store *st, struct why_txn *t);
/* t, a client's request, is decided: out of the indexes by path and host, and out of the index
 * by path ending unless it is an upstream candidate (a later join may take a gateway's request
 * judged on its own): the only readers of the others there want requests still queued
 * (why_join_carried_client_request). why_store_classify puts it back when it becomes one. So a
 * lookup by path ending does not step over the decided requests of a keep-alive connection
 * until its trim frees them. */
void why_store_txn_judged(struct why_store *st, struct why_txn *t);
/* A walk of one bucket of a request index over the transactions whose request began
 * within [lo, hi] (req_first_ts), each once: from the bucket's end that reaches the window
 * first, its two ends stepped in turn until one does, then through the window. O(the
 * window's transactions + twice the fewer of those before and after it): a request decided
 * in the sweep, seconds after it began, is not walked to past the thousands of the same
 * URL that came since, nor one decided at once past those still waiting. Which end it
 * starts from is its bucket's business: a caller's answer must not depend on the order. */
struct why_twalk {
    struct why_txn *t, *head; /* where it is, the bucket's head */
    const struct why_tbucket *more; /* a bucket to walk after this one (why_store_requests) */
    struct why_ts lo, hi;
    enum why_tix ix;
    bool up; /* toward the one that began last */
};
struct why_txn *why_twalk_start(struct why_twalk *w, const struct why_tbucket *b, enum why_tix ix,
                                struct why_ts lo, struct why_ts hi);
static inline struct why_txn *why_twalk_next(struct why_twalk *w)
{
    struct why_txn *t = !w->up ? w->t->ix[w->ix].next : w->t == w->head ? NULL : w->t->ix[w->ix].prev;
    if (t && (w->up ? why_ts_cmp(t->req_first_ts, w->hi) > 0 : why_ts_cmp(t->req_first_ts, w->lo) < 0))
        t = NULL;
    return w->t = t;
}
/* Candidates of the index: same method and path (and host when by_host) as like, begun
 * within [lo, hi], those upstream candidates as of why_store_classify (struct why_txn's
 * cand); every such request when the gateway set changed since (the caller tests the roles).
 * Go on with why_store_requests_next. */
struct why_txn *why_store_requests(const struct why_store *st, const struct why_txn *like, bool by_host,
                                   struct why_ts lo, struct why_ts hi, struct why_twalk *w);
struct why_txn *why_store_requests_next(struct why_twalk *w, const struct why_txn *like, bool by_host);
/* t is one of those candidates (the index's test, for a walk without it). */
bool why_store_request_like(const struct why_txn *t, const struct why_txn *like, bool by_host);
/* The transactions whose key by path ending (why_request_ending_key of the method and the path
 * the join compares: ipath, or the parsed path when there is no ihost) may be key: key's
 * bucket (callers compare ->xkey). Every transaction indexed by why_store_txn_index is there
 * until it is claimed or freed, but a decided client request while it is no upstream
 * candidate (why_store_txn_judged). */
static inline const struct why_tbucket *why_store_requests_ending(const struct why_store *st, uint64_t key)
{
    return &st->tix[WHY_TIX_ENDING][key & (st->tix_n[WHY_TIX_ENDING] - 1)];
}
/* Splits the transactions again into upstream candidates and others if the gateway
 * addresses changed since (O(transactions); the sets are capped, so it happens rarely). */
void why_store_classify(struct why_store *st);
/* The newest upstream candidate's transaction may be walked down to a time: the split is
 * current and creation order is time order (within WHY_ORDER_SLACK_US). */
bool why_store_cands_ordered(const struct why_store *st);
/* The decision queue. */
void why_store_queue_push(struct why_store *st, struct why_txn *t);
/* t leaves the queue (the caller unlinks it from qhead's list): out of its index too. */
void why_store_queue_unindex(struct why_store *st, struct why_txn *t);
/* t leaves the queue for its decision: out of the queue's list, its index and the list of
 * complete requests; its record is looked at by the next pruning again. O(1). */
void why_store_queue_remove(struct why_store *st, struct why_txn *t);
/* The protocol readers say t was made complete (its answer ended, its HTTP/2 stream ended;
 * the store itself does it when its connection goes): a queued request joins the list of
 * complete ones, once. O(1). */
void why_store_txn_complete(struct why_store *st, struct why_txn *t);
/* The queued requests among the complete ones for which due(t) holds, put in queue order in
 * st->ready; their number. due() may set *not_before, when t is not due, to a packet time
 * (us, as why_ts_us) before which it cannot be: until `now` reaches it t is passed over
 * without being read. SIZE_MAX when a vector could not grow (counted in oom): the caller
 * then walks the whole queue. O(complete requests not yet decided). */
size_t why_store_complete_due(struct why_store *st,
                              bool (*due)(const void *arg, const struct why_txn *t, int64_t *not_before),
                              const void *arg, struct why_ts now);
/* The protocol readers say t was answered (has_resp, status): a queued request answered 5xx
 * joins the queue's list of them, in queue order (from its end: answers come nearly in the
 * order of the requests), once; it leaves with the queue. */
void why_store_queue_answered(struct why_store *st, struct why_txn *t);
/* The queued requests answered 5xx, in queue order: walk ->fqnext. O(1) to the first. */
static inline struct why_txn *why_store_queued_failed(const struct why_store *st)
{
    return st->fqhead;
}
/* The queued requests with a Host whose indexed host may be the one of key hkey (the callers
 * compare hkey and ihost), the one that began first first: walk ->hqnext. O(1) to the first;
 * a request joins its bucket at its push in the order of req_first_ts, walked from the
 * bucket's newest (O(those of the bucket that began later): requests are pushed nearly in
 * the order they began), and leaves it with the queue (why_store_queue_unindex). */
struct why_txn *why_store_queued_host(const struct why_store *st, uint64_t hkey);
/* The queued requests without a Host (in_qnohost), in push order: walk ->hqnext. O(1) to the
 * first. */
static inline struct why_txn *why_store_queued_nohost(const struct why_store *st)
{
    return st->qnh_head;
}
/* t, queued and complete, may be decided by the full join (the session says so): counted
 * until it leaves the queue (why_store_queued_may_take). O(1). */
void why_store_queue_full(struct why_store *st, struct why_txn *t);
/* Another request than t still queued may take what t's settled decision claims (its upstream
 * request, the connection that carried it, the lookups of its host), or read it, before t would
 * be decided: one without a Host (any host); one of t's bucket by host that the full join may
 * decide, or pushed before t and not complete yet; one of t's bucket by method, path and host.
 * Hosts or paths that share a bucket count as t's. O(1); with `every`, the whole queue walked
 * instead of the counts and lists (--exhaustive), the same answer. */
bool why_store_queued_may_take(const struct why_store *st, const struct why_txn *t, bool every);
/* Queued requests that may be the same request as t sent again by the same client to the same
 * server (same method, host, target, client and server addresses and server port: the caller
 * compares them), in the order they were sent (req_ts; ties in the order pushed): the oldest;
 * walk ->lnext to the newer, ->lprev back. t need not be queued. */
struct why_txn *why_store_queued_like(const struct why_store *st, const struct why_txn *t);
/* ...the first of them sent at lo or later (NULL: none): from t's place when t is among them,
 * so a walk of those sent near t reads them only, not the bucket from its oldest; and how many
 * of the bucket were answered below 500 (*nok). */
struct why_txn *why_store_queued_like_from(const struct why_store *st, const struct why_txn *t, struct why_ts lo,
                                           uint32_t *nok);

/* ---- DNS records ---- */
/* The latest record of the query (client, port, server, id, name, type) no answer has come
 * to (why_store_dns_answer with answered set takes a record out of this index: a query again
 * after the answer is a new record, and a second answer finds none); NULL if none. */
struct why_dns_rec *why_store_dns_find(const struct why_store *st, const struct why_addr *cli,
                                       uint16_t cport, const struct why_addr *srv, uint16_t qid,
                                       const char *qname, uint16_t qtype);
/* The latest unanswered record of a query from (client, port) to srv, for an ICMP error that
 * quotes it; NULL if none. */
struct why_dns_rec *why_store_dns_unanswered(const struct why_store *st, const struct why_addr *cli,
                                             uint16_t cport, const struct why_addr *srv);
/* A new record, linked and indexed; NULL at the cap (counted) or out of memory (counted). */
struct why_dns_rec *why_store_dns_new(struct why_store *st, const struct why_addr *cli,
                                      uint16_t cport, const struct why_addr *srv, uint16_t sport,
                                      uint16_t qid, const char *qname, uint16_t qtype);
/* Sets the addresses of an answer (the first WHY_DNS_REC_ADDRS; more are counted), d->a_ts
 * already set (the index by name and family is in its order); d->answered set, d leaves the
 * indexes of the records not answered (why_store_dns_find, why_store_dns_unanswered). Once
 * per record. */
void why_store_dns_answer(struct why_store *st, struct why_dns_rec *d, const struct why_addr *addrs,
                          uint32_t n);
/* Records for a name, newest first: key is why_request_key("", name). */
struct why_dns_rec *why_store_dns_by_name(const struct why_store *st, uint64_t key);
static inline struct why_dns_rec *why_store_dns_name_next(const struct why_dns_rec *d)
{
    return d->nnext;
}
/* The span of key's chain for a window from `after` (see struct why_dns_span). False when the
 * vectors are lost: walk the chain. */
bool why_store_dns_span(const struct why_store *st, uint64_t key, struct why_ts done_before,
                        struct why_ts after, struct why_dns_span *sp);
/* Records whose answer gave an address of family (4 or 6) for a name of key's bucket (key:
 * why_request_key("", name)), latest answer (a_ts) first (of one time, the one set last
 * first); NULL for another family. Walk with why_store_dns_answers_next (callers compare
 * ->nkey and the name). */
struct why_dns_rec *why_store_dns_answers(const struct why_store *st, uint64_t key, uint8_t family);
static inline struct why_dns_rec *why_store_dns_answers_next(const struct why_dns_rec *d, uint8_t family)
{
    return d->fnext[family == 6];
}
/* Index links of the records that answered address a (walk ->next, use ->rec). */
struct why_dns_alink *why_store_dns_by_addr(const struct why_store *st, const struct why_addr *a);
/* The newest DNS record (by creation) first asked by t, and in *after how many were made after
 * it (each first asked after t): where a walk of the records newest first for those asked by
 * t may start. From the last answer (a sweep's decisions ask for their answers' times in
 * turn): back to one asked by t, then forward over those asked within the records' lag of t;
 * from the newest record when the last answer went. The newest record and 0 when the records
 * are not in the order of their first query (within WHY_ORDER_SLACK_US). */
struct why_dns_rec *why_store_dns_upto(struct why_store *st, struct why_ts t, uint64_t *after);
/* The newest DNS record made by upto (upto or before it, by creation) that may have failed: not
 * answered with an address, and no request's own (why_store_dns_claim); NULL if none first
 * asked at `from` or after, less the records' lag, is left. The ones before it that may have
 * failed follow with why_store_dns_failed_prev: those asked at `from` or after are among them
 * until one asked before from less why_store_dns_order_lag. */
struct why_dns_rec *why_store_dns_failed_upto(struct why_store *st, const struct why_dns_rec *upto,
                                              struct why_ts from);
static inline struct why_dns_rec *why_store_dns_failed_prev(const struct why_dns_rec *d)
{
    return d->xprev;
}
/* How far a DNS record may have been first asked before one made earlier, + 1 (us); -1 when the
 * records are not in the order of their first query (within WHY_ORDER_SLACK_US). */
int64_t why_store_dns_order_lag(struct why_store *st);
/* d is claimed; unless on the gateway's schedule too, it is a request's own lookup, which leaves
 * the records that may have failed (why_store_dns_failed_upto). */
void why_store_dns_claim(struct why_store *st, struct why_dns_rec *d);
/* The part of key's chain vector from its first record that may have been first asked at t or
 * later (sp->lo; each before it was asked before t) to its end (sp->n): the record at k > lo was
 * asked after t' once e[k - 1].qmax_us - slack_us - 1000 > t' (us); each was answered within
 * sp->late_us of its first query. False when the vectors are lost. */
bool why_store_dns_name_from(struct why_store *st, uint64_t key, struct why_ts t, struct why_dns_span *sp);

/* ---- claims ---- */
/* up (an upstream request) carried client's: marked, and out of the index for good. */
void why_store_claim_txn(struct why_store *st, struct why_txn *up, struct why_txn *client);

/* ---- pruning ---- */
/* Frees what nothing needs: decided transactions, records older than the oldest pending
 * request (at most WHY_PIN_US), records already joined once settled; `all` frees everything
 * (end of input). Calls the on_prune hooks first. now: the latest packet time. */
void why_store_prune(struct why_store *st, struct why_ts now, bool all);
/* Frees rc's transactions nothing needs any more (open keep-alive connections carry many). */
void why_store_trim_txns(struct why_store *st, struct why_conn_rec *rc, struct why_ts now, bool all);

#endif
