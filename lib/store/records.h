/* The records the store keeps for joining: a TCP connection's summary (with what its protocol
 * handlers found), each HTTP transaction, each DNS query. Records outlive the flow table's
 * connections: a connection summary stays until no pending request can still be joined to it.
 *
 * Frame ids: every frame number in a record is a frame id, the frame's number within its file
 * with the file's index in the bits from WHY_FRAME_FILE_SHIFT up (file 0: the plain number).
 * Ids of one file compare in file order; rotated files (tcpdump -C) compare in time order;
 * 0 is "none". why_frame_file()/why_frame_num() split an id for the writers. */
#ifndef WHY_STORE_RECORDS_H
#define WHY_STORE_RECORDS_H

#include <stddef.h>

#include "app/facts.h"
#include "app/state.h"
#include "flow/flow.h"
#include "proto/dns.h"
#include "why502/why502.h"

#define WHY_FRAME_FILE_SHIFT 40       /* a file holds fewer than 2^40 frames */
static inline uint64_t why_frame_id(uint32_t file, uint64_t num)
{
    return ((uint64_t)file << WHY_FRAME_FILE_SHIFT) | num;
}
static inline uint32_t why_frame_file(uint64_t id) { return (uint32_t)(id >> WHY_FRAME_FILE_SHIFT); }
static inline uint64_t why_frame_num(uint64_t id)
{
    return id & ((1ull << WHY_FRAME_FILE_SHIFT) - 1);
}

#define WHY_TXN_PER_CONN_MAX 65536    /* HTTP transactions remembered per connection (cap):
                                         a success may wait --settle for its decision, so a
                                         keep-alive connection holds its rate times that
                                         (this is some 26,000 a second with the 2 s default
                                         and a sweep's half second between) */
#define WHY_STALE_US (10LL * 1000000) /* an answered upstream request nobody joined is dropped
                                         this long after the settle time */
#define WHY_RECORDS_MAX 100000        /* connection records, and DNS records, kept for joining
                                         (cap each; the oldest closed ones go first) */
#define WHY_HORIZON_US (30LL * 60 * 1000000) /* longest request we join (packet time) */
#define WHY_PIN_US (120LL * 1000000)  /* closed records a pending request keeps alive at most:
                                         memory follows this window, not the file; a request
                                         pending longer is joined to what is left */
#define WHY_CAUSAL_US 200             /* an effect may precede its cause by this much at most
                                         (timestamps of one host, different CPUs) */
#define WHY_SKEW_US 2000              /* -i any reorder tolerance when comparing times: packets
                                         handled on different CPUs come out of order by
                                         microseconds, rarely a millisecond */
#define WHY_DNS_REC_ADDRS 4           /* addresses kept per DNS record (more: counted) */
#define WHY_DNS_NAME_INLINE 64        /* a DNS record's name up to this many bytes with its NUL
                                         is kept in the record; a longer one is allocated */
#define WHY_ALSO_MARKS 2              /* other pairings' requests marked per attempt */
#define WHY_GONE_HOSTS 4              /* hosts of an HTTP/2 connection's trimmed requests kept */

struct why_txn;

/* The TLS facts of every record that saw no TLS: all zero, read only. */
extern const struct why_tls_facts why_tls_facts_none;
/* The lists of the few records the join asks about by what they carry, so that it reads those
 * and not every record held (why_store_rec_list; a record is on each list at most once, and
 * leaves it when it is freed). */
enum why_rec_list {
    WHY_LIST_RENEG,   /* its server asked for a TLS renegotiation (app/tls.c) */
    WHY_LIST_GOAWAY,  /* its server sent an HTTP/2 GOAWAY (app/http2.c) */
    WHY_LIST_MARKED,  /* a decided request marked it for another (alt_for, also_for) */
    WHY_REC_LISTS
};

/* The lists of the records made as connection attempts (not midstream, not connected when
 * made; the unclaimed list: every record), by creation, and of those refused, by refusal,
 * that the join walks by time for tries: each record leaves a list when something rules it
 * out for good (why_store_try_last). */
enum why_try_list {
    WHY_TRIES_FAILED, /* not connected yet: a failed try, or one still dialling */
    WHY_TRIES_SILENT, /* ...nor reset, refused by ICMP or claimed: nothing came back */
    WHY_TRIES_UNCLAIMED, /* no request's (a check, an attempt no join took yet), connected
                            or not, midstream or not */
    WHY_TRIES_REFUSED,   /* refused (a reset, or an ICMP error held down as briefly), in the
                            order of the refusals (why_store_conn_refused) */
    WHY_TRIES_REFUSED_LONG, /* ...by an ICMP error held down long (a local one, 10 s) */
    WHY_TRY_LISTS
};
#define WHY_TRY_LINKS 3 /* a refused record is no silent try: its refusal list takes the
                           silent list's links (why_try_link) */

/* The links list l uses in a record. */
static inline unsigned why_try_link(enum why_try_list l)
{
    return l >= WHY_TRIES_REFUSED ? (unsigned)WHY_TRIES_SILENT : (unsigned)l;
}

/* What few records carry, kept apart (why_conn_rec.more): HTTP/2 connection facts, the
 * first bytes of a server that spoke first or of a protocol no handler reads, and the links
 * of the lists above. */
struct why_rec_more {
    struct why_h2_facts h2;       /* app/http2.c */
    struct why_other_facts other; /* app/app.c */
    struct why_conn_rec *lnext[WHY_REC_LISTS], *lprev[WHY_REC_LISTS]; /* the lists' links,
                                             while the record is on them (in_lists) */
    uint64_t tried_for;           /* a failed try a request took before the connection that
                                     carried it: that request's frame (0: none) */
    uint64_t alt_for, alt_by;     /* the final attempt request alt_by took, which request
                                     alt_for (its frame; 0: none) has in another pairing of
                                     the two (correlate/join.c finals_alternative) */
    uint32_t alt_for_file;        /* ...its capture file (frames count per file) */
    /* an attempt another request than alt_by's and alt_for's has in another pairing of the
     * match request also_by[k] was decided in (its own final and the others changed with
     * it): that request's frame also_for[k] and file (0: none) */
    uint64_t also_for[WHY_ALSO_MARKS], also_by[WHY_ALSO_MARKS];
    uint32_t also_file[WHY_ALSO_MARKS];
    /* HTTP/2: the keys of the hosts (why_txn.hkey) of the requests the pruning took from the
     * connection, the first WHY_GONE_HOSTS different ones (0: none): what it carried, read
     * the same before and after the trim (correlate/join.c goaway_before) */
    uint64_t gone_hosts[WHY_GONE_HOSTS];
};

/* The part apart of every record that has none: all zero, read only. */
extern const struct why_rec_more why_rec_more_none;
/* The connection of a closed record whose copy could not be allocated: all zero, read only. */
extern const struct why_conn why_conn_none;

/* A TCP connection as the join sees it. The 4-byte fields and the flags together, beside the
 * list links the walks follow: no padding holes. */
struct why_conn_rec {
    struct why_conn *c;           /* the connection: the flow table's own while it lives (no
                                     copy, why_rec_live), then the record's copy from its close
                                     (c_owned) */
    struct why_app_state st;      /* parsers: app/ only */
    struct why_tls_facts *tls;    /* app/tls.c: allocated when TLS bytes are first seen
                                     (why_store_tls_facts); until then the shared all-zero
                                     why_tls_facts_none, never NULL, never written */
    struct why_rec_more *more;    /* HTTP/2 facts, a first speaker's bytes: allocated when the
                                     first of them is written (why_store_rec_more); until then
                                     the shared all-zero why_rec_more_none, never NULL, never
                                     written */
    /* HTTP transactions on this connection, oldest first; `unanswered` is the first one
     * still waiting for a response head */
    struct why_txn *txn_head, *txn_tail, *unanswered;
    /* joining */
    uint64_t seq;                 /* creation order */
    enum why_app_id app;          /* decided by the first bytes (app/) */
    uint32_t ntxn;                /* transactions on the list above */
    uint32_t slot;                /* its entry in the store's vector by creation (slots) */
    uint32_t abucket;             /* its bucket in the index by server address */
    uint32_t fbucket;             /* ...in the index of attempts by client address, and of
                                     the unclaimed records' lists (every record's) */
    int refs;                     /* txns alive that point here */
    uint32_t gw_gen_seen;         /* roles, cached until the gateway's address sets change
                                     (why_gw_roles): the gen they were read at */
    bool gw_cli, gw_srv;          /* the client / the server side is the gateway */
    bool c_owned;                 /* c is the record's copy (why_store_conn_closed): freed
                                     with the record */
    bool app_decided;
    bool http_live;               /* HTTP parsers allocated (in clear or decrypted) */
    bool resp_dead;               /* the response stream could not be followed */
    bool claimed;                 /* joined to a request (or to an unjoined incident) */
    uint8_t in_lists;             /* bit 1 << L: on the store's list L (enum why_rec_list) */
    bool in_act;                  /* on the list of records pruning looks at */
    bool closed;                  /* left the flow table */
    bool prunable;                /* the next pruning pass frees it */
    bool in_attempts;             /* on the index of attempts not yet seen to connect (its
                                     bucket: the path of why_rec_conn(rc)) */
    bool carried : 1;             /* an upstream request on it was joined to a client's (kept
                                     after the request itself is trimmed) */
    bool in_one : 1;              /* on the list of records not known to be seen both ways */
    bool dec_http : 1;            /* --keylog: HTTP found inside the TLS records (a bit: the
                                     record's one-byte fields then fill the word before ppos) */
    bool trim_sorted : 1;         /* the answers of the trim's kept ones (trim_kept) came in
                                     the list's order: those time frees are at its start */
    uint8_t in_tries;             /* bit 1 << L: on the store's try list L (enum why_try_list) */
    uint8_t pheap;                /* the heap of parked records it is on (with ppos) */
    uint8_t one_way;              /* closed: why_conn_one_way of its copy, as counted in the
                                     store's closed_missing and closed_lone_rst */
    uint32_t ppos;                /* place + 1 on the store's heap pheap of parked records
                                     (0: on none; why_store_prune) */
    struct why_conn_rec *rnext, *rprev; /* all records, by creation */
    struct why_ts first_ts;       /* why_rec_conn(rc)->first_ts, kept beside the list links so a
                                     walk by time reads the record only */
    struct why_conn_rec *anext, *aprev; /* chain of the index by server address */
    struct why_conn_rec *unext, *uprev; /* chain of the index of attempts not yet seen to
                                           connect, by path (why_store_attempts) */
    struct why_conn_rec *fnext, *fprev; /* ...and of the same index by client address (its
                                           bucket: fbucket) */
    struct why_conn_rec *actnext, *actprev; /* list of records pruning looks at: closed, or
                                               carrying transactions (any order) */
    struct why_conn_rec *onext, *oprev; /* list of records not known to be seen both ways, by
                                           creation (why_store_one_head) */
    struct why_conn_rec *tnext[WHY_TRY_LINKS], *tprev[WHY_TRY_LINKS]; /* lists of the records
                                           that may be a failed, a silent or an unclaimed try,
                                           by creation (why_store_try_last) */
    struct why_txn *trim_kept;    /* the last of the transactions at the list's head that the
                                     last trim kept and only time (trim_at), a decision or a
                                     join can free: the next trim goes on after it (NULL:
                                     none) */
    struct why_ts trim_at;        /* the oldest answer among them (sec INT64_MAX: none) */
    uint64_t trim_redo;           /* the newest of them decided or joined since (its id; 0:
                                     none): the next trim reads the list up to it again */
};
/* One for every connection held, open or awaiting its decisions (bench/README.md counts the
 * bytes per open connection): 344 bytes is a malloc chunk of 352. */
_Static_assert(sizeof(void *) != 8 || sizeof(struct why_conn_rec) <= 344,
               "the connection record grew past 344 bytes on a 64-bit target");

#define WHY_TXN_HOST_MAX 255          /* bytes of a request's Host kept (longer: truncated) */
#define WHY_TXN_STR_ROOM 96u          /* bytes of a transaction for its strings: a target,
                                         Host and Via of some 70 bytes and an answer's Server;
                                         the transaction is then 552 bytes, a malloc chunk of
                                         560 as were the 456 of its fields (464) with the two
                                         chunks its strings took apart (64 and 32) */
_Static_assert(WHY_TXN_STR_ROOM <= UINT8_MAX, "str_used counts the room in a byte");
#define WHY_TXN_VIA_MAX 159           /* bytes of its Via kept (longer: truncated) */

/* The strings of a transaction's answer, apart, in one allocation sized to them
 * (why_txn_resp_make): a request awaiting its answer has none, and an answer carries a Server
 * of a few bytes far more often than a claim, a title or first bytes. The strings follow the
 * header, each NUL-terminated, in the order of enum why_resp_str, then the first bytes; read
 * them with why_resp_str() and why_resp_first(). Rewritten whole when one changes
 * (why_store_txn_resp_put): each is written once or twice per answer. */
enum why_resp_str {
    WHY_RESP_CLAIM,               /* Proxy-Status, else X-Squid-Error */
    WHY_RESP_SERVER,
    WHY_RESP_TITLE,               /* of the HTML page of the answer */
    WHY_RESP_GRPC_MESSAGE,        /* HTTP/2: grpc-message of the answer */
    WHY_RESP_NSTR
};
#define WHY_RESP_CLAIM_SIZE 200       /* bytes kept of each, its NUL included (longer: cut) */
#define WHY_RESP_SERVER_SIZE 96
#define WHY_RESP_TITLE_SIZE 120
#define WHY_RESP_GRPC_MESSAGE_SIZE 96
#define WHY_RESP_FIRST_MAX 64         /* first bytes kept of a response that was not HTTP */

struct why_txn_resp {
    uint8_t len[WHY_RESP_NSTR];   /* bytes of each string, its NUL not counted */
    uint8_t first_len;            /* a response that was not HTTP: bytes of its first bytes */
    bool via;                     /* the answer carries a Via field */
    char s[];                     /* the strings, then the first bytes */
};

/* The answer's strings of every transaction that has none: all zero, read only. */
extern const struct why_txn_resp why_txn_resp_none;

/* String k of an answer, "" when empty (why_txn_resp_none has no bytes after its header). */
static inline const char *why_resp_str(const struct why_txn_resp *r, enum why_resp_str k)
{
    if (!r->len[k])
        return "";
    size_t off = 0;
    for (int i = 0; i < (int)k; i++)
        off += r->len[i] + 1u;
    return r->s + off;
}

/* The first bytes of a response that was not HTTP (r->first_len of them). */
static inline const uint8_t *why_resp_first(const struct why_txn_resp *r)
{
    static const uint8_t none[1];
    if (!r->first_len)
        return none;
    size_t off = 0;
    for (int i = 0; i < WHY_RESP_NSTR; i++)
        off += r->len[i] + 1u;
    return (const uint8_t *)r->s + off;
}

/* An answer's strings as values, to read them or to make new ones from them (each string at
 * most its size - 1 bytes, first_len at most WHY_RESP_FIRST_MAX: longer ones are cut). */
struct why_resp_view {
    const char *str[WHY_RESP_NSTR];
    const uint8_t *first;
    size_t first_len;
    bool via;
};

static inline void why_resp_view_of(const struct why_txn_resp *r, struct why_resp_view *v)
{
    for (int i = 0; i < WHY_RESP_NSTR; i++)
        v->str[i] = why_resp_str(r, (enum why_resp_str)i);
    v->first = why_resp_first(r);
    v->first_len = r->first_len;
    v->via = r->via;
}

/* A new allocation holding v (free() it), NULL when out of memory. */
struct why_txn_resp *why_txn_resp_make(const struct why_resp_view *v);

/* What only a request carried by HTTP/2 has (why_txn.h2), kept apart: how its stream ended
 * (app/http2.c) and the longest time one of its flow-control windows stood at 0. */
struct why_txn_h2 {
    uint32_t code;                /* RST_STREAM / GOAWAY error code */
    int by;                       /* enum why_dir of the RST_STREAM / GOAWAY sender */
    uint64_t end_frame;           /* frame id of the frame that ended it */
    struct why_ts end_ts;
    struct why_ts req_end_ts;     /* the request's END_STREAM (its body sent) */
    int64_t stall_us;             /* longest time a window of this stream stood at 0 (us) */
    uint64_t stall_frame;         /* the DATA frame that emptied it */
    struct why_ts stall_ts;
    int stall_dir;                /* enum why_dir of the side that could not send */
    bool stall_open;              /* still at 0 when the stream ended */
};

/* The HTTP/2 part of every transaction that has none: all zero, read only. */
extern const struct why_txn_h2 why_txn_h2_none;

/* The store's request indexes (struct why_txn's ix, struct why_store's tix). */
enum why_tix {
    WHY_TIX_PATH,   /* by method + path (why_request_key) */
    WHY_TIX_HOST,   /* by method + path + host (forward proxies) */
    WHY_TIX_ENDING, /* by method + the path's last segment (why_request_ending_key) */
    WHY_TIX_N
};

/* Fields ordered by size, the flags together: no padding holes. */
struct why_txn {
    uint64_t id;                  /* creation order */
    struct why_conn_rec *rc;
    struct why_txn *next;         /* next on the same connection */
    struct why_txn *qnext;        /* decision queue */
    struct why_txn *tnext, *tprev; /* the store's list of transactions it is on, by creation */
    /* read by every sweep of the queue, kept in the first cache line with qnext */
    bool resp_done;               /* framing satisfied */
    uint8_t h2_end;               /* enum why_h2_end: how the stream ended, 0 while open */
    bool cand;                    /* on the list of upstream candidates (else the other) */
    bool has_resp;
    bool queued, decided;         /* decision */
    bool in_complete;             /* in the store's vector of complete requests (cpos) */
    bool indexed;                 /* in the request index below */
    struct why_txn *claimed_by;   /* client txn this upstream txn was joined to (read with
                                     the flags above by every pruning pass) */
    /* request */
    char method[24];
    char *target;                 /* bounded copy (<= WHY_HTTP_TARGET_MAX bytes): in str
                                     when it fits, else allocated (why_store_txn_request) */
    const char *host;             /* Host, at most WHY_TXN_HOST_MAX bytes, and Via, at most
                                     WHY_TXN_VIA_MAX: after target (why_store_txn_request),
                                     or one allocation sized to them (why_store_txn_names),
                                     the shared "" while both empty;
                                     never NULL */
    const char *via;
    uint64_t req_first_frame, req_frame; /* frame ids: first and last byte of the head */
    struct why_ts req_first_ts, req_ts;
    /* response */
    uint64_t resp_first_frame, resp_frame, resp_end_frame;
    struct why_ts resp_first_ts, resp_ts, resp_end_ts;
    uint64_t body_bytes;
    uint64_t resp_stream_at;      /* the answer stream's bytes delivered (gaps included) when
                                     the head was read: what came after is body (bytes) */
    int64_t expected_len;         /* Content-Length, -1 unknown */
    struct why_txn_resp *resp;    /* the answer's strings: in str, or allocated, when the
                                     first of them is written (why_store_txn_resp_put); until
                                     then the shared all-zero why_txn_resp_none, never NULL,
                                     never written */
    uint32_t resp_head_bytes;     /* bytes of the response head, final CRLFCRLF included */
    /* the request index (method + path), for joining without scanning every record */
    uint32_t ipath_len;           /* bytes of ipath */
    uint64_t pkey, hkey;          /* 64-bit hashes of method + path, and of the host: the
                                     index compares the strings too (ipath, ihost) */
    const char *ipath;            /* the indexed path: ipath_len bytes, in `target` or static */
    const char *ihost;            /* the indexed host (lower-case, at most 255 bytes): once
                                     indexed `host` itself when the two are the same, else in
                                     str or its own allocation; the shared "" before */
    /* the index by method and the path's last segment (why_request_ending_key): from
     * why_store_txn_index until claimed or freed, or decided while no upstream candidate
     * (xindexed) */
    uint64_t xkey;
    /* its chains in the three request indexes (enum why_tix; the first two while `indexed`,
     * the third while xindexed): a bucket's transactions in the order their requests began
     * (req_first_ts), `next` toward the one that began first (struct why_tbucket) */
    struct why_tlink {
        struct why_txn *next, *prev;
    } ix[WHY_TIX_N];
    /* HTTP/2: the stream that carried it (app/http2.c), 0 for HTTP/1 */
    uint32_t h2_stream;
    int grpc_status;              /* grpc-status of the answer, -1 none (its message: resp) */
    struct why_txn_h2 *h2;        /* how its stream ended or stalled: allocated when first
                                     written (why_store_txn_h2); until then the shared all-zero
                                     why_txn_h2_none, never NULL, never written */
    /* decision */
    struct why_txn *qprev;        /* decision queue, the other way */
    uint64_t qseq;                /* its place in the queue: pushed qseq-th */
    struct why_txn *lnext, *lprev; /* while queued: chain of the queue's index by request and
                                      connection ends (why_store_queued_like) */
    struct why_txn *hqnext, *hqprev; /* while queued with a Host: chain of the queue's index by
                                        host (why_store_queued_host; in_qhost); without one,
                                        the store's list of those (why_store_queued_nohost;
                                        in_qnohost) */
    struct why_txn *qonext, *qoprev; /* while queued and not complete: its qhost bucket's list
                                        of them, in push order (q_open) */
    struct why_txn *fqnext, *fqprev; /* while queued and answered 5xx: the queue's list of them,
                                        in queue order (why_store_queued_failed; in_fq) */
    int status;                   /* of the answer */
    uint32_t target_len;          /* bytes of target */
    uint32_t lhash;               /* its hash in the queue's index (lnext), set when pushed:
                                     its bucket is lhash & (nqlike - 1) */
    bool says_no_server;          /* the page says no server is available (HAProxy's 503) */
    bool repeated_ok;             /* lost, then repeated by its client on a new connection and
                                     answered below 500 (correlate/background.c) */
    bool not_http;                /* a response that was not HTTP (its first bytes: resp) */
    bool in_qhost;                /* on the queue's index by host (hqnext) */
    bool in_qnohost;              /* queued without a Host: counted in the store's qnohost */
    bool q_open, q_full, in_qpath; /* on its qhost bucket's open list, counted in its full, and
                                      in qpath */
    bool hot_blocks;              /* counted in the session's hot_blockers (session.c) */
    bool in_fq;                   /* on the queue's list of 5xx (fqnext) */
    bool ok_counted;              /* counted in its queue bucket's nok (answered below 500) */
    bool xindexed;                /* on the index by the path's last segment (WHY_TIX_ENDING) */
    bool x_out;                   /* out of it at its decision, not an upstream candidate then
                                     (why_store_txn_judged): back if it becomes one */
    bool is_client_leg;
    bool ihost_whole;             /* ihost is the host of the URL as parsed for the index,
                                     whole (not "" for want of memory): the join reads it
                                     there instead of parsing the URL again */
    bool ihost_ip;                /* ...and that host is an address literal */
    bool spanned;                 /* an upstream request a readable client request decided
                                     can have carried (correlate/unjoined.c
                                     why_join_mark_spanned): no orphan */
    uint8_t str_used;             /* bytes of str taken */
    uint32_t cpos;                /* while in_complete: its entry in the store's vector of
                                     complete requests (complete) */
    /* the request's strings (target, Host, Via) and the answer's (resp), here when they fit:
     * most requests then allocate nothing of their own. Last, and not cleared when a spare
     * transaction is taken again (str_used is). */
    char str[WHY_TXN_STR_ROOM];
};

struct why_dns_rec {
    /* What the walks read of every record they pass, first: the chains by name (the join's
     * lookups of a request's host) and by creation (pruning, why_store_dns_upto), and what a
     * lookup's time window and pruning test, in the first 64 bytes; then what pruning reads
     * and unlinks, in the next three lines (the record's links, buckets and claims, the asker
     * and the name); the rest after them. */
    struct why_dns_rec *nnext;    /* index by name */
    struct why_dns_rec *next;     /* all, by creation */
    uint64_t nkey;                /* hash of qname */
    struct why_ts q_ts;           /* the first query */
    struct why_ts a_ts;
    uint16_t qtype;
    uint16_t qid;
    uint16_t cli_port;
    bool answered;
    uint8_t rcode;
    struct why_ts last_q_ts;
    struct why_dns_rec *nprev, *prev;
    struct why_dns_rec *knext, *kprev;   /* index by query key (client, port, server, id,
                                            name), while live: its chains are the few queries
                                            in flight, in cache */
    struct why_dns_rec *snext, *sprev;   /* index by socket (client, port, server), while live */
    /* index by name and the family of an address answered ([0]: IPv4, [1]: IPv6), in the
     * order of the answers' times, newest first; in one only when the answer gave both */
    struct why_dns_rec *fnext[2], *fprev[2];
    uint32_t kbucket, sbucket, nbucket;
    uint32_t npos;                /* its entry in its name chain's vector (UINT32_MAX: none) */
    uint32_t tries;               /* queries with the same id and name (retransmissions) */
    uint32_t naddrs;
    bool findexed[2];
    bool claimed;
    bool scheduled;               /* claimed as one of the gateway's lookups on its own schedule
                                     (no request asked it: correlate/background.c) */
    bool bg_evidence;             /* claimed as such by a request whose answer rests on it (not
                                     counted with the schedule's failures yet) */
    bool icmp;                    /* the query drew an ICMP error (port unreachable ...) */
    bool tcp;                     /* over TCP (port 53) */
    bool truncated;               /* the answer had TC set (the client retries over TCP) */
    bool a_indexed;               /* answered, and the answer given to the store
                                     (why_store_dns_answer) */
    bool in_failed;               /* on the list of those that may have failed (xnext): read
                                     by every pruning, beside the flags above, its links last */
    bool live;                    /* in the indexes by query key and by socket: no answer
                                     given to the store yet (why_store_dns_answer) */
    uint16_t srv_port;
    struct why_addr cli, srv;
    char *qname;                  /* the question's name, lower-case, at most WHY_DNS_NAME_MAX
                                     bytes: qname_in when it fits there (most names), else
                                     allocated with the record (why_store_dns_new) */
    uint64_t id;
    uint64_t q_frame;             /* frame id of the first query */
    uint64_t last_q_frame;
    uint64_t a_frame;
    uint64_t icmp_frame;
    struct why_ts icmp_ts;
    struct why_addr addrs[WHY_DNS_REC_ADDRS];
    char qname_in[WHY_DNS_NAME_INLINE]; /* qname's bytes when they fit */
    /* the tunnels the first query, the answer and the ICMP error crossed (the flow table's
     * copies, NULL: none or not kept) */
    const struct why_encap_chain *q_encap, *a_encap, *icmp_encap;
    /* the records that may have failed (not answered with an address yet, no request's own),
     * by creation (why_store_dns_failed_upto), while in_failed */
    struct why_dns_rec *xnext, *xprev;
};
_Static_assert(sizeof(void *) != 8 || (offsetof(struct why_dns_rec, qname) + sizeof(char *) <= 4 * 64 &&
                                       offsetof(struct why_dns_rec, in_failed) < 4 * 64),
               "what pruning reads of a DNS record is in its first four cache lines");

/* The connection carries HTTP we can read: in clear, or decrypted with --keylog. */
static inline bool why_rec_http(const struct why_conn_rec *rc)
{
    return rc->app == WHY_APP_HTTP || rc->app == WHY_APP_H2 || (rc->dec_http && rc->http_live);
}

static inline const struct why_conn *why_rec_conn(const struct why_conn_rec *rc)
{
    return rc->c;
}

/* When an attempt was refused, as the refusal lists and the join read it: its reset's time,
 * else its ICMP error's. */
static inline struct why_ts why_conn_refused_at(const struct why_conn *c)
{
    return c->half[WHY_S2C].end->rst_frame ? c->half[WHY_S2C].end->rst_ts : c->more->icmp_ts;
}

/* The flow table's connection while it is in the table (the record not closed), else NULL. */
static inline const struct why_conn *why_rec_live(const struct why_conn_rec *rc)
{
    return rc->closed ? NULL : rc->c;
}

/* The gateway (client side) sent application data (a request) on a TLS connection. */
static inline bool why_rec_tls_sent_data(const struct why_conn_rec *rc)
{
    if (rc->tls->dec_data_records[WHY_C2S])
        return true;
    /* TLS 1.3: the client's Finished travels as application data */
    return rc->tls->data_records[WHY_C2S] > (rc->tls->version == 0x0304 ? 1u : 0u);
}

/* The server closed a TLS connection before finishing its side of the handshake. */
static inline bool why_rec_tls_handshake_cut(const struct why_conn_rec *rc)
{
    const struct why_conn *c = why_rec_conn(rc);
    const struct why_tcp_half *srv = &c->half[WHY_S2C], *cli = &c->half[WHY_C2S];
    if (!rc->tls->hello[WHY_C2S] || rc->tls->ccs[WHY_S2C] || rc->tls->appdata[WHY_S2C])
        return false; /* the server finished its side of the handshake */
    uint64_t sf = srv->end->rst_frame ? srv->end->rst_frame : srv->end->fin_frame;
    uint64_t cf = cli->end->rst_frame ? cli->end->rst_frame : cli->end->fin_frame;
    return sf && (!cf || sf < cf); /* the server closed first */
}

#endif
