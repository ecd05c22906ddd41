/* The join: a client's request and what the gateway did for it, read from the store.
 *
 * why_join_request() and the why_join_unjoined_*() functions only read (they refresh the
 * records' cached roles, nothing else): they may be called in any order, any number of times,
 * and give the same join for the same store. why_join_apply() then claims what the join took,
 * in one place: a claimed record is offered to no later join.
 *
 * Tie rule: requests are decided one at a time, in the order their evidence became complete
 * (the decision queue's order), so when two requests could own the same record the one
 * decided first takes it. Within one join, of two candidate upstream requests the higher
 * score wins (same host over another host), then the earlier sent; of two connection attempts
 * the one whose first SYN is earlier, then the higher score, then the older record. */
#ifndef WHY_CORRELATE_JOIN_H
#define WHY_CORRELATE_JOIN_H

#include "store/gateways.h"
#include "store/store.h"

#define WHY_JOIN_MAX 16

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
    struct why_conn_rec *client_conn; /* unjoined TLS: the client's TLS connection served then */
    struct why_ts end_ts;         /* when the client leg was answered / given up */
    uint64_t end_frame;           /* frame id of that, 0 if none */
    bool direct;                  /* no gateway hop: `up` is the client's own request */
    struct why_dns_rec *self_dns; /* unjoined DNS: the record that started it (claimed too) */
};

/* What the join reads. */
struct why_join_ctx {
    struct why_store *st;
    const struct why_gateways *gw;
    struct why_ts now;            /* the latest packet time */
    bool exhaustive;              /* scan every record instead of the request index */
};

/* The client talked straight to the server (no gateway hop in the capture). */
bool why_join_direct(const struct why_join_ctx *cx, const struct why_txn *client);
/* The upstream request that carried client's, from the index only (no scan). */
struct why_txn *why_join_upstream_indexed(const struct why_join_ctx *cx, const struct why_txn *client);
/* The full join of a client request. */
void why_join_request(const struct why_join_ctx *cx, struct why_txn *client, struct why_join *x);

/* Unjoined failures, when their record is pruned (see unjoined.c). */
bool why_join_conn_failed(const struct why_conn_rec *rc);  /* a failed connection attempt */
bool why_join_tls_failed(const struct why_conn_rec *rc);   /* a TLS failure seen without keys */
bool why_join_dns_failed(const struct why_dns_rec *d);     /* a failed A/AAAA lookup */
/* rc failed: it and the host's further failed attempts at the same address and port. */
void why_join_unjoined_conn(const struct why_join_ctx *cx, struct why_conn_rec *rc, struct why_join *x);
/* rc is a gateway's failed TLS connection: it and the client TLS connection served then. */
void why_join_unjoined_tls(const struct why_join_ctx *cx, struct why_conn_rec *rc, struct why_join *x);
/* d failed: every unclaimed failed query for its name from its host. Returns false when the
 * name (or a shorter name of its search list) resolved for that host: no incident. */
bool why_join_unjoined_dns(const struct why_join_ctx *cx, struct why_dns_rec *d, struct why_join *x);

/* Claims what x took (upstream request, attempts, DNS records, connections). */
void why_join_apply(struct why_store *st, struct why_join *x);

#endif
