/* The join: a client's request and what the gateway did for it, read from the store.
 *
 * why_join_request() and the why_join_unjoined_*() functions only read (they refresh the
 * records' cached roles, nothing else): they may be called in any order, any number of times,
 * and give the same join for the same store. why_join_apply() then claims what the join took,
 * in one place: a claimed record is offered to no later join.
 *
 * Tie rule: requests are decided one at a time, in the order their evidence became complete
 * (the decision queue's order), so when two requests could own the same record the one
 * decided first takes it. Except for a gateway's own 5xx to requests whose server is named
 * by nothing in the packets (a reverse proxy's fixed servers, no upstream request): the
 * final failed attempt of each is matched over all such requests at once (the pair whose
 * attempt ended closest before the gateway's answer first: a gateway answers right after its
 * last attempt fails), and each request gets the chain that ends there (correlate/join.c). Within one join, of two candidate upstream requests the higher
 * score wins (same host over another host), then the earlier sent; of two connection attempts
 * the one whose first SYN is earlier, then the higher score, then the older record. */
#ifndef WHY_CORRELATE_JOIN_H
#define WHY_CORRELATE_JOIN_H

#include <string.h>

#include "store/gateways.h"
#include "store/store.h"
#include "util/url.h"

#define WHY_JOIN_MAX 16
#define WHY_JOIN_ALTS 3 /* other readings of an ambiguous pairing kept */
#define WHY_JOIN_ALSO 4 /* other requests' attempts in those pairings kept */
#define WHY_CHAIN_GAP_US (3LL * 1000000) /* a gateway's next try of the same server begins
                                            this soon after the previous one ended (HAProxy:
                                            its connect timeout, then min(timeout connect,
                                            1 s); Squid and nginx move on at once) */

#define WHY_FAILOVER_US 2000 /* a gateway moves on to its next server this soon after a
                                  refusal (same event-loop turn: nginx's proxy_next_upstream,
                                  Apache's next member, HAProxy's redispatch); a retry of the
                                  same server waits a timer */

#define WHY_HOLDDOWN_US 260000 /* Varnish holds a refused address down this long (its
                                  backend_remote_error_holddown, 0.25 s, and 10 ms of clocks) */
#define WHY_HOLDDOWN_LOCAL_US 10010000 /* ...and this long after a local error (its
                                         backend_local_error_holddown, 10 s) */

/* How long Varnish holds every backend at c's address and port down after c's connect failed
 * as it did, 0 if it does not. Varnish (VCP_Open) holds down after ECONNREFUSED and ENETUNREACH
 * (backend_remote_error_holddown) and after EACCES, EPERM and EADDRNOTAVAIL
 * (backend_local_error_holddown); Linux gives a connect those from a RST and from ICMP
 * (icmp_err_convert, icmpv6_err_convert): port unreachable ECONNREFUSED; net unreachable,
 * unknown, prohibited and unreachable for its TOS, and ICMPv6 no route, ENETUNREACH; ICMPv6
 * administratively prohibited, policy failed and reject route EACCES. Host unreachable and
 * host or communication administratively prohibited over IPv4 (EHOSTUNREACH) hold nothing
 * down: the next fetch tries again. */
static inline int64_t why_join_holddown_us(const struct why_conn *c)
{
    if (c->half[WHY_S2C].end->rst_frame)
        return WHY_HOLDDOWN_US;
    if (!c->more->icmp_frame)
        return 0;
    uint8_t v = c->more->icmp_ipver, type = c->more->icmp_type, code = c->more->icmp_code;
    if (v == 4 && type == 3)
        return code == 0 || code == 3 || code == 6 || code == 9 || code == 11 ? WHY_HOLDDOWN_US : 0;
    if (v == 6 && type == 1)
        return code == 0 || code == 4 ? WHY_HOLDDOWN_US : code == 1 || code == 5 || code == 6 ? WHY_HOLDDOWN_LOCAL_US : 0;
    return 0;
}

/* Why another reading fits (include/why502/why502.h: the incident's alternatives). */
struct why_join {
    struct why_txn *client;       /* the client's request (NULL for an unjoined failure) */
    struct why_txn *up;           /* the upstream request that carried it, if found (== client
                                     when the client talked straight to the server) */
    struct why_conn_rec *up_conn; /* the connection carrying `up`, or the last attempt */
    struct why_conn_rec *attempts[WHY_JOIN_MAX]; /* connection attempts in order */
    uint32_t nattempts;
    struct why_dns_rec *dns[WHY_JOIN_MAX]; /* DNS queries for the host, oldest first */
    uint32_t ndns;
    bool upstream_visible;        /* the capture shows this gateway's upstream side at all */
    uint8_t upstream_blind;       /* enum why_blind: ...but one of its directions is missing
                                     (one-sided, or an answer the gateway acted on that the
                                     capture missed): what the upstream did cannot be read from
                                     it (correlate/partial.c) */
    struct why_conn_rec *client_conn; /* unjoined TLS, or a direct request of an opaque gateway:
                                         the client's TLS connection served then */
    bool passthrough;             /* unjoined TLS: client_conn's ClientHello went upstream
                                     unchanged (up_conn), the gateway passing TLS through */
    bool relay_cut;               /* unjoined TLS: the gateway cut client_conn in its handshake
                                     after its attempt upstream (up_conn) failed */
    struct why_ts end_ts;         /* when the client leg was answered / given up */
    uint64_t end_frame;           /* frame id of that, 0 if none */
    bool direct;                  /* no gateway hop: `up` is the client's own request */
    bool opaque_gateway;          /* direct, but its requester serves TLS connections we cannot
                                     read: a gateway whose client leg is opaque */
    struct why_dns_rec *self_dns; /* unjoined DNS: the record that started it (claimed too) */
    bool resolved_unused;         /* no attempt for the request, its lookups gave addresses, and
                                     no connection to any of them began while it waited (the
                                     gateway gave up before a SYN reached the wire) */
    uint16_t resolved_tried_failed; /* ...or connections to them began while it waited, each
                                     failed (no handshake) and none taken as its own: how many
                                     (at most 65,535), other requests' by the join */
    struct why_conn_rec *goaway_conn; /* no attempt for the request: the gateway's HTTP/2 upstream
                                         connection the origin sent GOAWAY on before the gateway
                                         answered (not claimed: it may explain several) */
    /* background.c: what the gateway did on its own schedule, for a 5xx with no attempt
     * (not claimed: it explains every request of that time) */
    struct why_conn_rec *checks[WHY_JOIN_MAX]; /* its failed checks, the last per server */
    uint32_t nchecks;
    uint32_t nchecks_ok;          /* servers whose last check in the window passed */
    struct why_conn_rec *attempt_near; /* an attempt of the gateway (not a check) begun while
                                     the request waited, or one refused from WHY_HOLDDOWN_US
                                     before the request to its answer: the request's own, or
                                     one that held its server down (Varnish), NULL if none */
    struct why_conn_rec *near[WHY_JOIN_ALTS]; /* such attempts, one per server, those within
                                                 WHY_HOLDDOWN_US first (near_first), then any
                                                 refused within the holddown its error makes
                                                 (why_join_holddown_us: 10 s for a local one) */
    bool near_first[WHY_JOIN_ALTS];
    uint32_t nnear;
    struct why_dns_rec *bgdns[WHY_JOIN_MAX];   /* its failed lookups of the request's host */
    uint32_t nbgdns;
    bool bgdns_after;             /* ...begun after the answer (none came before it) */
    const struct why_dns_rec *bg_other; /* no attempt and no failed lookup of the host: the
                                     gateway's latest failed lookup on its own, of another name,
                                     in the 30 s before the answer, that name's latest there
                                     (background.c), a name the request's server may have */
    /* background.c: requests their clients lost and repeated (client itself, or queued ones
     * it repeats), marked repeated_ok by why_join_apply */
    struct why_txn *repeated[WHY_JOIN_MAX];
    uint32_t nrepeated;
    /* Parallel requests the gateway failed at once, to servers nothing in the packets names:
     * other pairings of their final attempts fit the packets as well (correlate/join.c
     * finals_alternative), in which this request's final attempt is alt_final[i] (NULL: it
     * made none) and the pair of request alt_with_frame[i] changes too; or it got none, and a
     * failed attempt begun after it ended at once before its answer (tried_by_other: another
     * request's try, alt_with_frame its frame once that one took it, else 0).
     * why_join_alternative builds the join of each. */
    uint32_t nalt;
    struct why_conn_rec *alt_final[WHY_JOIN_ALTS];
    uint64_t alt_with_frame[WHY_JOIN_ALTS];
    enum why_alt_basis alt_basis[WHY_JOIN_ALTS]; /* why each reading fits */
    uint32_t swap_for_file;       /* ...its capture file */
    uint64_t swap_for;            /* the request (frame) that has this one's final attempt in
                                     its cheapest other pairing, 0 if none: marked on that
                                     attempt when claimed, so its join finds the reading too */
    /* the attempts other requests than swap_for have in those pairings (a request's whose
     * final is another's in a pairing of three or more): marked on each when this join is
     * applied, so the later join of that request finds the reading too */
    uint32_t nalso;
    struct why_conn_rec *also[WHY_JOIN_ALSO];
    uint64_t also_for[WHY_JOIN_ALSO];
    uint32_t also_for_file[WHY_JOIN_ALSO];
    bool reading;                 /* this join is another reading (why_join_alternative): the
                                     diagnosis says what it rests on, not what rules others out */
};

#define WHY_LONE_RST_MAX 64 /* resets the cache below holds; more: it is not used */

/* The resets why_join_upstream_blind looks for (a connection's RST whose other direction
 * the capture lacks, from the side a gateway's role allows, among its oldest records), read
 * once while no packet comes: each request then compares their times only. */
struct why_lone_rsts {
    bool valid;                   /* read since the last packet */
    bool overflow;                /* more than WHY_LONE_RST_MAX: each request walks the records */
    uint32_t n;
    struct why_ts ts[WHY_LONE_RST_MAX]; /* the resets' times */
    bool up_valid;                /* up_one_sided read since the last packet */
    bool up_one_sided;            /* one of the oldest records is an upstream connection of
                                     the gateway's of which the capture lacks a side */
};

#define WHY_SCHED_PATH_HELD 257 /* a path's attempts a schedule test reads: 256 besides its own */
#define WHY_SCHED_PATHS 64      /* paths whose attempts are kept, by client, server address
                                   and port (power of two; with 8, two paths of one slot read
                                   their records anew for each other: 158 of the 414 readings
                                   on the bench's retry-200m; with 32, 1,504 of the 6,192 on
                                   balance-2000m, none with 64) */
#define WHY_UNNAMED_MEMO 64     /* requests whose lookups are kept (power of two) */
#define WHY_SCHED_CACHE 8192 /* entries of the cache below (direct-mapped by record sequence) */
#define WHY_BG_MEMO_MAX 1024 /* records that may be checks kept for a sweep's background joins */

/* Answers about an attempt, by its record's sequence number (never reused). SCHEDULED and
 * LOOSE read only the gateway set and the records to the attempt's server (their paths,
 * first times, whether they sent a SYN): valid while the store's version of that server's
 * records (why_store_conns_version) and the gateway set's gen stay, across packets and
 * sweeps; so do TIGHT's and BUSY's (background.c: path_busy). GOES_ON (whether the gateway
 * tried that server again after it: join.c) reads the attempts' ends too: valid while gen
 * stays, which the session moves on at every packet, sweep and freed record. */
enum why_sched_q {
    WHY_SCHED_Q_SCHEDULED,
    WHY_SCHED_Q_LOOSE,
    WHY_SCHED_Q_TIGHT,
    WHY_SCHED_Q_BUSY,
    WHY_SCHED_Q_GOES_ON,
    WHY_SCHED_QS
};

struct why_sched_cache {
    uint64_t gen;
    struct {
        uint64_t seq;             /* the record's (why_conn_rec.seq), 0: none */
        uint64_t ver;             /* gen, or the version of its server's records, when answered */
        uint32_t gw_gen;          /* the gateway set's gen then */
        bool yes;
    } e[WHY_SCHED_QS][WHY_SCHED_CACHE];
    /* the attempts of a path (client, server address and port) as the schedule test takes
     * them from the server-address index, the first WHY_SCHED_PATH_HELD in its order, while
     * the version of that server's records is ver (background.c: sched_path); one path per
     * entry, the entry by the server's address and port */
    struct why_sched_path {
        bool valid;
        struct why_addr cli, srv;
        uint16_t port;
        uint64_t ver, cut;                 /* the server's records' version and cut
                                              (why_store_conns_cut) when last read */
        uint64_t head_seq;                 /* the sequence number of their bucket's head
                                              then (0: none) */
        uint64_t gone;                     /* records gone from the index by then
                                              (why_store_conns_ngone) */
        uint32_t n;
        uint64_t seq[WHY_SCHED_PATH_HELD];  /* their records' sequence numbers, in the index's
                                               order (falling) */
        struct why_ts ts[WHY_SCHED_PATH_HELD];
        uint16_t by_time[WHY_SCHED_PATH_HELD];  /* their places, earliest first */
        uint16_t place[WHY_SCHED_PATH_HELD];    /* each one's place in by_time */
        /* their times by time, and the same in microseconds: tt and us, each WHY_PATH_CHECKS
         * places into its room (where a schedule test puts the path's pruned checks that came
         * before them all, not copying the path's times after them: background.c, path_set) */
        struct why_ts tt_room[WHY_PATH_CHECKS + WHY_SCHED_PATH_HELD], *tt;
        int64_t us_room[WHY_PATH_CHECKS + WHY_SCHED_PATH_HELD], *us;
        bool us_exact;                          /* all on whole microseconds: the distances
                                                   are differences of us (why_ts_diff_us) */
        /* by time, as tt: each one's shortest tight period among the others (background.c:
         * neighbours_keep_time asks it of the attempts nearest the one it judges), once asked */
        int64_t period[WHY_SCHED_PATH_HELD];
        bool period_known[WHY_SCHED_PATH_HELD];
    } path[WHY_SCHED_PATHS]; /* by server address and port */
    /* chain_prev's answers while neither records (gen) nor claims and the queue (dgen: moved on
     * at each decision) change: a join walks the chains of many attempts of one server, each
     * of which reads that server's attempts */
    uint64_t dgen;
    struct {
        uint64_t seq, gen, dgen;  /* the record's, and the gens then (seq 0: none) */
        struct why_conn_rec *prev;
    } cp[WHY_SCHED_CACHE];
    /* the records the search for the gateway's last checks (background.c: last_checks) found
     * may be checks whatever the request (may_check), of the unclaimed upstream records it
     * read from seq lo to hi, by creation, while the records (gen) and the gateway set
     * (gw_gen) stay: a sweep decides several requests that asked no server, and each read the
     * same records of their 30 s; without packets an answer of no stays no (a claim takes a
     * record's own HTTP away, never gives it) */
    struct why_bg_memo {
        bool valid;
        uint64_t gen, lo, hi;
        uint32_t gw_gen, n;
        struct why_conn_rec *rec[WHY_BG_MEMO_MAX];
    } bg;
    /* whether a request's lookups name its server up to a time (join.c: unnamed_server), while
     * the records (gen) do not change: a match asks it of every failed request waiting beside
     * the one it decides, for each of them */
    struct why_unnamed_memo {
        uint64_t id, gen;         /* the request's (why_txn.id, 0: none), and gen then */
        struct why_ts until;
        bool none;                /* no lookup of its host in its wait */
    } unnamed[WHY_UNNAMED_MEMO];
};

/* What the join reads. */
struct why_join_ctx {
    struct why_store *st;
    const struct why_gateways *gw;
    struct why_ts now;            /* the latest packet time */
    bool exhaustive;              /* scan every record instead of the request index */
    int *visible;                 /* NULL, or the session's cache of upstream_visible, valid
                                     while no packet comes (-1: not known yet) */
    struct why_lone_rsts *lone;   /* NULL, or the session's cache of the lone resets, valid
                                     while no packet comes */
    int *opaque;                  /* NULL, or the session's cache of whether the store holds a
                                     TLS connection a gateway served and nothing can read (-1:
                                     not known yet), valid while no packet comes */
    struct why_sched_cache *sched; /* NULL, or the session's cache of why_join_scheduled */
    const struct why_txn *deciding; /* NULL, or the request being decided (out of the queue) */
    bool forced;                  /* this join takes force_final as the final attempt (NULL:
                                     none) of an ambiguous pairing (why_join_alternative) */
    struct why_conn_rec *force_final;
    bool force_none_near;         /* ...and no attempt near either (the reading with none:
                                     otherwise Varnish's attempts near stay, background.c) */
    const struct why_dns_rec *force_bg; /* ...and that name's failed lookups as the host's
                                     (WHY_ALT_OTHER_NAME_UNRESOLVED: background.c) */
    bool force_checks;            /* ...or the gateway's failing checks as the cause, other
                                     names' lookups not read (WHY_ALT_CHECKS_FAILING) */
    struct why_spare_memo *spare; /* NULL, or the session's cache of why_join_tls_spare's
                                     walk, valid for one sweep */
    struct why_addr_names *names; /* NULL, or the session's WHY_ADDR_NAMES_MEMO caches of the
                                     names DNS answered an address with */
    int64_t syn_rtt_max_us;       /* the flow table's syn_rtt_max_us (0: none, or not known) */
    struct why_join_scratch *scratch; /* NULL, or the session's room for a request's walk */
    int64_t attempt_span_us;      /* the flow table's attempt_span_us: an attempt that did not
                                     connect ended at most this long after its first packet (0:
                                     not known, no bound) */
};

/* Room a request's walk of its window's tries uses and gives back (why_join_request), kept
 * between joins so that each walk does not allocate and copy it again as it grows (a storm of
 * requests waiting on one server: every walk reads hundreds of tries). At most as large as the
 * largest window walked. */
struct why_join_scratch {
    void *pool, *cands; /* the walk's own types (join.c), or NULL */
    uint32_t pool_cap, cands_cap;
    bool busy;          /* lent to a walk: a join within it allocates its own */
    /* the last match of final attempts a join made (join.c's struct finals, or NULL), for
     * fin_for, while the records, claims and queue (the sched cache's gen and dgen) and the
     * DNS records (the store's dgen) are as they were then: each other reading of that join
     * (why_join_alternative) asks the same match, only without its other pairings */
    void *fin;
    const struct why_txn *fin_for;
    uint64_t fin_gen, fin_dgen, fin_sdgen;
};
void why_join_scratch_free(struct why_join_scratch *s);

/* The names the DNS records held answered address a with, each once, in the order the index
 * by address gives them first (newest first): the join asks it of every failed try to a, and
 * the index holds every lookup of a backend's name that a resolver with a short TTL made (one
 * a request: thousands). Kept while no record goes (gone: the store's dgone), when the index
 * only gains links at its chains' heads: brought up to date from the links before `head`, the
 * chain's head when it was read last, not read again whole at each new answer. */
#define WHY_ADDR_NAMES 8 /* names told (more: overflow, and the callers read the index) */
#define WHY_ADDR_NAMES_MEMO 16u /* addresses cached (power of two) */
struct why_addr_names {
    bool valid, overflow;
    uint64_t gone;
    const struct why_dns_alink *head;
    struct why_addr a;
    uint32_t n;
    struct {
        uint64_t nkey;
        const char *qname;
    } v[WHY_ADDR_NAMES];
};

/* The names DNS answered a with (struct why_addr_names), NULL when more than WHY_ADDR_NAMES
 * or not cached (the caller reads the index by address). correlate/names.c */
const struct why_addr_names *why_join_addr_names(const struct why_join_ctx *cx, const struct why_addr *a);

/* The last answer of why_join_tls_spare's walk: whether a connection to addr:port showed
 * the certificate `hash` and carried data both ways. The records it reads and their TLS
 * state change only when packets come or records go, so it holds for one sweep's pruning
 * (where that question is asked, for every connection of a refused server in turn). */
struct why_spare_memo {
    bool valid;
    bool twin;
    uint16_t port;
    uint64_t hash;
    struct why_addr addr;
};

/* The queue is in push order, and unless queue_unordered every request pushed began at most
 * qlag_us (the store's measure, under WHY_ORDER_SLACK_US; truncated to the microsecond, so
 * less than a microsecond more) before any pushed earlier: once a queued w began `after` +
 * qlag_us + 2 us or more past t, every request after it in the queue began more than `after`
 * past t. The walks of the queue for requests begun by some time stop there: in a capture in
 * order, at the first begun past it, not a second of requests later. */
static inline bool why_join_queue_past(const struct why_join_ctx *cx, const struct why_txn *w, struct why_ts t,
                                       int64_t after)
{
    return !cx->st->queue_unordered && w != cx->deciding &&
           why_ts_diff_us(t, w->req_first_ts) >= after + cx->st->qlag_us + 2;
}

/* The index by server address (why_store_conns_to) holds records newest first by creation,
 * none begun more than rlag_us before one created earlier, and a record's first SYN comes no
 * more than WHY_SKEW_US after its first packet (a SYN-ACK seen first: the SYN up to that
 * much earlier). Once a walk of it meets o begun more than that before t, o and every record
 * after it began before t - WHY_SKEW_US and sent its first SYN before t: a walk for records
 * begun (or dialled) at t or later stops there. Never with --exhaustive, nor once the clock
 * went back. */
static inline bool why_join_conns_before(const struct why_join_ctx *cx, const struct why_conn_rec *o, struct why_ts t)
{
    return !cx->exhaustive && !cx->st->conns_unordered &&
           why_ts_diff_us(o->first_ts, t) > cx->st->rlag_us + WHY_SKEW_US;
}

/* The client talked straight to the server (no gateway hop in the capture). */
bool why_join_direct(const struct why_join_ctx *cx, const struct why_txn *client);
/* The upstream request that carried client's, from the index only (no scan). */
struct why_txn *why_join_upstream_indexed(const struct why_join_ctx *cx, const struct why_txn *client);
/* The join of a request settled as a success without the full join: up (from the index, or
 * NULL) and the DNS queries for its host the full join would take, so that the two paths
 * claim the same lookups (an AAAA query answered without address for a name whose A query
 * answered is then part of a request that worked, not a failure of its own). */
void why_join_settled(const struct why_join_ctx *cx, struct why_txn *client, struct why_txn *up,
                      struct why_join *x);
#define WHY_JOIN_READS_PAST_US (2 * WHY_SKEW_US + WHY_CAUSAL_US) /* how far past its end (its
                                  answer, or its client gone) a failed request's join reads
                                  other hosts' records: its tries (2 * WHY_SKEW_US after), its
                                  window's edge (WHY_SKEW_US), a cause just before its effect */
/* What x, a settled join (why_join_settled), claims all began after `after`, or was claimed
 * already: the connection that carried its upstream request (one kept alive from before was
 * claimed by the request it carried first) and the lookups of its host (one still pending
 * when the request came may have been asked long before); and it repeats no request. */
bool why_join_settled_after(const struct why_join *x, struct why_ts after);
/* Varnish answered t itself, from the client side (vcl_synth: a `return (synth(...))` in
 * vcl_recv): "Server: Varnish" and no Via. Varnish puts Via on every answer it delivers from a
 * fetch, its backend error page ("503 Backend fetch failed") included: an answer without it
 * had no backend fetch, so no connection attempt is its own. */
bool why_join_varnish_synth(const struct why_txn *t);
/* t's answer says the gateway dialled no server for it: Varnish's own synthetic answer
 * (why_join_varnish_synth), or Caddy's 503: Caddy's reverse_proxy answers a failed dial with
 * the dial's error as 502 (504 for a timeout), also when it tried again and found no upstream
 * left, and 503 only when no upstream was available before any dial (all unhealthy), as for a
 * `respond ... 503` of its own. */
bool why_join_no_dial(const struct why_txn *t);
/* Varnish's own page for a backend fetch that failed ("503 Backend fetch failed", its built-in
 * vcl_backend_error): with no attempt, the backend was not usable: sick (its probes), held down
 * after a refusal of its address, or busy. */
bool why_join_varnish_fetch_failed(const struct why_txn *t);
/* The full join of a client request. */
void why_join_request(const struct why_join_ctx *cx, struct why_txn *client, struct why_join *x);
/* The join of x's request in its other reading i < x->nalt (alt), read only like any join. */
void why_join_alternative(const struct why_join_ctx *cx, const struct why_join *x, uint32_t i, struct why_join *alt);

/* Unjoined failures, when their record is pruned (see unjoined.c). */
bool why_join_conn_failed(const struct why_conn_rec *rc);  /* a failed connection attempt */
bool why_join_tls_failed(const struct why_conn_rec *rc);   /* a TLS failure seen without keys */
/* A failed upstream request of the gateway's that only an opaque (TLS, no keys) client
 * request can have carried: reported on its own (unjoined.c). */
bool why_join_upstream_orphan(const struct why_join_ctx *cx, const struct why_txn *t);
/* q, a readable client request, is being decided: the upstream requests it can have carried
 * are marked (spanned) so that, once its transaction is freed, they still read as covered
 * (why_join_upstream_orphan). O(the requests of the index by q's path ending). */
void why_join_mark_spanned(const struct why_join_ctx *cx, const struct why_txn *q);
/* A gateway holds an opaque client leg (O(TLS records held)), through the cache cx->opaque
 * when it is given: no upstream request can be an orphan without one. */
bool why_join_opaque_held(const struct why_join_ctx *cx);
/* t got a complete answer below 500 (and no gRPC error): never an orphan. */
static inline bool why_join_answered_ok(const struct why_txn *t)
{
    return t->has_resp && t->resp_done && t->status < 500 && t->grpc_status <= 0;
}
/* A later upstream request for the same method, host and target, begun within WHY_GW_RETRY_US
 * of t's end, was answered below 500: the gateway retried t with success. */
#define WHY_GW_RETRY_US (1000LL * 1000)
bool why_join_upstream_retried(const struct why_join_ctx *cx, const struct why_txn *t);
/* How long before a request a GOAWAY on the gateway's upstream connection may have come and
 * still explain an answer without any attempt (why_join.goaway_conn). */
#define WHY_GOAWAY_BEFORE_US (1000LL * 1000)
/* How many TLS connections the gateway served without keys were open when t began, counted
 * up to max (the walk stops there); when fewer, the first in *one, if not NULL. */
uint32_t why_join_opaque_client(const struct why_join_ctx *cx, const struct why_txn *t,
                                struct why_conn_rec **one, uint32_t max);
/* rc closed after the handshake without an alert or a byte of data, while the same
 * certificate carries data both ways on another connection to that server: a spare
 * connection, not a refusal (correlate/partial.c). */
bool why_join_tls_spare(const struct why_join_ctx *cx, const struct why_conn_rec *rc);
/* rc failed to connect and a connection of the other address family to the same port was
 * established right after it: a dual-stack client's fallback (RFC 8305), not a failure. */
bool why_join_family_fallback(const struct why_join_ctx *cx, const struct why_conn_rec *rc);
/* A name whose lookup is expected to fail (WPAD, ISATAP: the list in correlate/partial.c):
 * counted in summary.dns_expected_misses, never an incident. */
bool why_join_dns_expected_miss(const char *qname);
/* Why the upstream side of x cannot be read (why_join_upstream_blind): not at all (NONE: it
 * can), a direction or bytes of it missing (SIDE: a connection of the gateway's whose other
 * direction the ACKs prove but the capture lacks, or one that carried a hole where the request
 * to read would be), or its last attempt got no answer in the capture though the gateway
 * answered before it could have tried again (ANSWER: one SYN given up sooner than any
 * retransmission timer: an answer missed, or that attempt another request's). TAKEN is not
 * why_join_upstream_blind's: the diagnosis says it of a request with no attempt of its own
 * whose looked-up addresses were tried and failed, each try read as another request's
 * (resolved_tried_failed). */
enum why_blind { WHY_BLIND_NONE, WHY_BLIND_SIDE, WHY_BLIND_ANSWER, WHY_BLIND_TAKEN };
enum why_blind why_join_upstream_blind(const struct why_join_ctx *cx, const struct why_join *x);
/* q was waiting at t (its request before, its answer, if any, not before). */
static inline bool why_join_waiting_at(const struct why_txn *q, struct why_ts t)
{
    return why_ts_diff_us(q->req_first_ts, t) >= -WHY_CAUSAL_US &&
           (!q->has_resp || why_ts_diff_us(t, q->resp_first_ts) >= -WHY_CAUSAL_US);
}
/* q is a request other than client, not decided, for name (nkey, qname) as its host. */
static inline bool why_join_other_for_name(const struct why_txn *q, const struct why_txn *client, uint64_t nkey,
                                           const char *qname)
{
    return q != client && !q->decided && q->host[0] && q->hkey == nkey && strcmp(qname, q->ihost) == 0;
}
/* A request other than client, not decided, for a name whose lookups gave rc's server address,
 * was waiting when rc began: rc may be its try (a gateway that names its servers by the
 * request's host, HAProxy's resolvers), so nothing proves it the gateway's own.
 * correlate/names.c */
bool why_join_try_awaited(const struct why_join_ctx *cx, const struct why_txn *client, const struct why_conn_rec *rc);
/* A failed A/AAAA lookup. */
static inline bool why_join_dns_failed(const struct why_dns_rec *d)
{
    if (d->qtype != WHY_DNS_A && d->qtype != WHY_DNS_AAAA)
        return false; /* PTR lookups of clients, HTTPS/SVCB probes: not needed to connect */
    if (d->answered)
        return d->naddrs == 0;
    return d->icmp || d->tries >= 2;
}
/* rc failed: it and the host's further failed attempts at the same address and port. */
void why_join_unjoined_conn(const struct why_join_ctx *cx, struct why_conn_rec *rc, struct why_join *x);
/* rc is a gateway's failed TLS connection: it and the client TLS connection served then. */
void why_join_unjoined_tls(const struct why_join_ctx *cx, struct why_conn_rec *rc, struct why_join *x);
/* d failed: every unclaimed failed query for its name from its host. Returns false when the
 * name (or a shorter name of its search list) resolved for that host: no incident. */
bool why_join_unjoined_dns(const struct why_join_ctx *cx, struct why_dns_rec *d, struct why_join *x);

/* background.c. The gateway gw's (NULL: any of the gateway's addresses) A/AAAA lookups of t's
 * host (its indexed name) in the store: how many began before `before`, whether one of those
 * found an address, whether any (at any time) gave a. */
struct why_host_lookups {
    uint32_t before;              /* lookups asked before `before` */
    bool resolved;                /* one of those gave an address */
    uint32_t all;                 /* lookups so far */
    bool resolved_ever;           /* one of those gave an address */
    bool gave_addr;               /* one of those gave a */
};
/* The walk, newest first, stops at the first lookup that gave a (the rest not counted: a
 * gateway that looks a backend's name up for each request holds thousands), and at the first
 * lookup at all when neither gw nor a (family 0) is given (`all` then 1: any lookup). */
struct why_host_lookups why_join_host_lookups(const struct why_join_ctx *cx, const struct why_txn *t,
                                              const struct why_addr *gw, const struct why_addr *a,
                                              struct why_ts before);

/* join.c. u, a request the gateway answered 5xx whose host the gateway never looked up (a
 * server set by address: nothing in the packets names it), is decided after the queued
 * requests whose names' lookups gave the address of a failed attempt no request has yet, made
 * while u waited (why_join_defer: true while one of those waits). Their tries can be told by their
 * address (the name's) and timer (timer_chain); u's walk takes any failed attempt of its
 * window, and decided first it took theirs (the bench's retry shape: HAProxy's requests for
 * a server set by address, refused, took the unanswered SYNs of requests waiting for a
 * named server that dropped them, and those were read as the gateway's own 503). */
#define WHY_DEFER_NAMES 16      /* names looked at for one request */
#define WHY_DEFER_ADDRS 8       /* server addresses whose names it remembers (more: read again) */
#define WHY_DEFER_MAX_US (30LL * 1000000) /* the longest a request waits so, past its answer */
#define WHY_DEFER_STEP_US 250000 /* asked again this long after (packet time) */
bool why_join_defer(const struct why_join_ctx *cx, const struct why_txn *u);
/* background.c. A 5xx with no attempt: the gateway's failed checks and failed lookups of the
 * host in the 30 s before (x->checks, x->bgdns). */
void why_join_background(const struct why_join_ctx *cx, struct why_join *x);
/* rc, a gateway's connection, is one of its connections to that server on a schedule (a
 * health check's period). */
bool why_join_scheduled(const struct why_join_ctx *cx, const struct why_conn_rec *rc);
/* ...on a schedule that keeps time (within 1/16 of its period, or on the beat of neighbours
 * that do), not on a drifting or loose one: surely a check. */
bool why_join_on_beat(const struct why_join_ctx *cx, const struct why_conn_rec *rc);
/* rc's path is busy with requests' tries: more attempts within 1 s either side of rc than
 * checks can make, so a schedule fits any of them (background.c: path_busy; cached like
 * why_join_scheduled) */
bool why_join_path_busy(const struct why_join_ctx *cx, const struct why_conn_rec *rc);
/* a and b leave from one gateway address to one server address and port. */
static inline bool why_join_same_path(const struct why_conn *a, const struct why_conn *b)
{
    return why_addr_eq(&a->srv_addr, &b->srv_addr) && a->srv_port == b->srv_port &&
           why_addr_eq(&a->cli_addr, &b->cli_addr);
}
/* rc, a gateway's attempt that did not connect, began in one round with the gateway's own
 * check of another server (its HTTP request, no client's), and so did at least two more of
 * its path's attempts, each with a check of that same server: the checks of a balancer's
 * members made on one tick, rc one of them. */
bool why_join_check_round(const struct why_join_ctx *cx, const struct why_conn_rec *rc);
/* n's first upstream request is a client's: n carried one joined to a client's already (its
 * request trimmed since, or not: carried), or its first is one a client still waits for with
 * the same method and a target it ends (a reverse proxy's prefix); a health check (the
 * gateway's own request) is not. */
bool why_join_carries_client_request(const struct why_join_ctx *cx, const struct why_conn_rec *n);
/* ...that client request while it waits (not decided yet), or NULL; NULL too for a request
 * decided already (joined to n's: it may have been freed since). */
const struct why_txn *why_join_carried_client_request(const struct why_join_ctx *cx, const struct why_conn_rec *n);
/* ...within a quarter of its period only, even where the attempts around it keep time (no
 * request's attempt of the join can be told by it): for what no request took. */
bool why_join_scheduled_loose(const struct why_join_ctx *cx, const struct why_conn_rec *rc);
/* answer(cx, rc), from cx->sched's table q while it holds (see why_sched_q; answer computed
 * otherwise). */
bool why_join_cached(const struct why_join_ctx *cx, enum why_sched_q q, const struct why_conn_rec *rc,
                     bool (*answer)(const struct why_join_ctx *cx, const struct why_conn_rec *rc));
/* rc goes to the address that refused the request's previous attempt, after a retry timer
 * (HAProxy's retries wait ~1 s and try the same server again), and is not a health check. */
bool why_join_retry_after_refusal(const struct why_join_ctx *cx, const struct why_conn *refused,
                                  const struct why_conn_rec *rc);
/* rc, a gateway's failed attempt no request took, is one of attempts to that server on a
 * schedule (a health check): x gets rc alone (claimed, no incident). */
bool why_join_unjoined_check(const struct why_join_ctx *cx, struct why_conn_rec *rc, struct why_join *x);
/* Of x->client and a request still queued, one (answered below 500) repeats the other, which
 * its client lost on a connection the gateway closed: the lost ones go to x->repeated
 * (why_join_apply marks them repeated_ok: no failure). Called by both joins. */
void why_join_repeats(const struct why_join_ctx *cx, struct why_join *x);
/* Extra wait before deciding t, so that its client's repeat can be seen (0 or us). */
int64_t why_join_repeat_wait(const struct why_txn *t);
/* The host of t's URL as why_url_parse gives it, and whether it is an address: the index's
 * when that is the URL's whole host, else parsed again into k (which then holds it). */
static inline const char *why_join_url_host(const struct why_txn *t, struct why_url_key *k, bool *is_ip)
{
    if (t->ihost_whole) {
        *is_ip = t->ihost_ip;
        return t->ihost;
    }
    why_url_key(t->method, t->target ? t->target : "", t->target_len, t->host, k);
    *is_ip = k->host_is_ip;
    return k->host;
}

/* When rc, an attempt, ended: its SYN-ACK, else the last of its SYNs, its last ICMP error or
 * its reset (races/run29: HAProxy's third try of 198.19.0.16 reused the second's source port,
 * its SYN drew ICMP 3.3 ms later, 0.4 ms before the 503; the first ICMP's time put the end
 * at that SYN, 3.7 ms before, and a check's refusal 0.1 ms before the answer took it). */
static inline struct why_ts why_join_attempt_end(const struct why_conn_rec *rc)
{
    const struct why_conn *c = why_rec_conn(rc);
    if (c->synack_frame)
        return c->synack_ts;
    struct why_ts t = why_conn_syn_ts(c, c->syn_count > WHY_SYN_TRIES_MAX ? WHY_SYN_TRIES_MAX - 1
                                                                       : (c->syn_count ? c->syn_count - 1 : 0));
    if (c->more->icmp_frame && why_ts_cmp(c->more->icmp_ts, t) > 0)
        t = c->more->icmp_ts;
    if (c->more->icmp_frame && why_ts_cmp(c->more->icmp_last_ts, t) > 0)
        t = c->more->icmp_last_ts;
    if (c->half[WHY_S2C].end->rst_frame && why_ts_cmp(c->half[WHY_S2C].end->rst_ts, t) > 0)
        t = c->half[WHY_S2C].end->rst_ts;
    return t;
}

/* x gets rc alone (claimed with no incident of its own by why_join_apply). */
static inline bool why_join_alone(struct why_join *x, struct why_conn_rec *rc)
{
    memset(x, 0, sizeof *x);
    x->attempts[x->nattempts++] = rc;
    x->up_conn = rc;
    return true;
}

/* The same gateway began a connection to another server within WHY_FAILOVER_US after rc ended
 * (or up to `early` us before: the reorder tolerance asked for): a balancer moved on from rc in
 * the same turn. With `spoke`, only a connection that connected and spoke HTTP or TLS (its
 * requests may be gone already: the protocol says it carried one). */
bool why_join_moved_on(const struct why_join_ctx *cx, const struct why_conn_rec *rc, int64_t early, bool spoke);

/* rc, a gateway's failed attempt no request took, went the path a request's attempt took
 * while that request waited (after its request, by its answer): another try of that request's
 * (a gateway tries a server again for one request: HAProxy's retries, Squid's
 * forward_max_tries, a balancer back at a member; the join gave the request another of them),
 * whose failure the request's own report tells. x gets rc alone (claimed, no incident). */
bool why_join_unjoined_covered(const struct why_join_ctx *cx, struct why_conn_rec *rc, struct why_join *x);
/* rc, a gateway's failed attempt no request took, to one address of a name whose other
 * address it reached right after (happy eyeballs, next address), or to a server a balancer
 * moved on from at once (why_join_moved_on): x gets rc alone. */
bool why_join_unjoined_fallback(const struct why_join_ctx *cx, struct why_conn_rec *rc, struct why_join *x);
/* A gateway's failed lookup of a name it looks up on a schedule: background resolution. */
bool why_join_background_dns(const struct why_join_ctx *cx, const struct why_dns_rec *d);
/* d, about to be pruned, is a gateway's failed lookup no request asked (unclaimed, or claimed
 * as the schedule's): its name's memory keeps its time, so that the schedule is still seen
 * (why_join_background_dns) and still counts before a later request (why_join_background)
 * once the record is gone. */
void why_join_background_gone(const struct why_join_ctx *cx, const struct why_dns_rec *d);

/* Claims what x took (upstream request, attempts, DNS records, connections) and marks the
 * requests x->repeated says were repeated. */
void why_join_apply(struct why_store *st, struct why_join *x);
/* An other reading of a request (why_join_alternative) rests on the gateway's failing lookups
 * of its host: they are claimed as the schedule's, as the request's own would be, and are not
 * reported again as a failure no request was joined to. Nothing else of the reading is. */
void why_join_apply_reading(struct why_store *st, struct why_join *alt);

#endif
