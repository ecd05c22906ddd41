/* Protocol handlers: what a connection's bytes mean.
 *
 * The flow table hands the session each connection's in-order bytes, the gaps it could not
 * fill and its close; the session hands them to lib/app/app.c, which picks a handler for the
 * connection from the first bytes the client sends (never from the port, except DNS over
 * TCP on 53) and then calls that handler. A handler wraps one parser of lib/proto/ and turns
 * what it parses into records of the store: transactions (HTTP requests and responses), DNS
 * records, facts about the connection (TLS: hello, SNI, renegotiation, alerts, certificate).
 * It never diagnoses and never reads another connection.
 *
 * ADDING A PROTOCOL (e.g. HTTP/2): write lib/app/<proto>.c defining one
 * `const struct why_app_handler why_app_<proto>` and add it to the table in app.c (one
 * line); add its id to enum why_app_id (app/facts.h) and its parser state to
 * struct why_app_state (app/state.h). The contract of each member:
 *   probe   (required) the client's first bytes (n >= 1, maybe fewer than a whole message)
 *           and the connection (ports, addresses): true when they are this protocol. Probes
 *           run in table order, the first true wins; no state may be touched.
 *   open    (optional) the connection is this protocol: allocate parsers in rc->st. false on
 *           out of memory (the connection is then APP_OTHER, counted in summary.oom).
 *   feed    (required) n in-order bytes of direction dir, carried by frame f (f->num is a
 *           frame id: store/records.h). Called once per byte, in order; any split.
 *   gap     (optional) n bytes of direction dir were never captured: resynchronise or stop.
 *   close   (optional) the connection left the flow table (f is the last frame seen): emit
 *           what the end of the stream completes (a response framed by close), free parsers.
 *           Called for every handler, whatever rc->app is: each frees only its own state.
 *   release (optional) the record is freed: free whatever close did not.
 * Transactions: why_store_txn_new + fill + why_store_txn_index; client requests (not the
 * gateway's own upstream ones) go to why_store_queue_push to be decided. A handler that
 * carries another protocol inside (a CONNECT tunnel, decrypted TLS) hands the inner bytes to
 * env->nested_feed, never to the other handler's functions directly. */
#ifndef WHY_APP_APP_H
#define WHY_APP_APP_H

#include "proto/http1.h"
#include "store/gateways.h"
#include "store/store.h"
#include "tlsdec/keylog.h"

struct why_app_env {
    struct why_store *st;
    struct why_gateways *gw;
    struct why_summary *sum;
    struct why_keylog *keylog;     /* --keylog, NULL without */
    uint8_t *plain;                /* WHY_TLSDEC_OUT_MAX bytes for one decrypted record */
    struct why_cert_cache *certs;  /* the servers' certificates parsed last (tls.c), NULL: none kept */
    /* bytes of another protocol carried inside rc (its parsers opened on first use) */
    void (*nested_feed)(const struct why_app_env *env, struct why_conn_rec *rc,
                        enum why_app_id id, enum why_dir dir, const uint8_t *d, uint32_t n,
                        const struct why_frame *f);
    bool (*nested_open)(const struct why_app_env *env, struct why_conn_rec *rc, enum why_app_id id);
};

struct why_app_handler {
    const char *name;
    enum why_app_id id;
    bool (*probe)(const struct why_conn *c, const uint8_t *d, uint32_t n);
    bool (*open)(const struct why_app_env *env, struct why_conn_rec *rc);
    void (*feed)(const struct why_app_env *env, struct why_conn_rec *rc, enum why_dir dir,
                 const uint8_t *d, uint32_t n, const struct why_frame *f);
    void (*gap)(const struct why_app_env *env, struct why_conn_rec *rc, enum why_dir dir,
                uint32_t n, const struct why_frame *f);
    void (*close)(const struct why_app_env *env, struct why_conn_rec *rc, const struct why_frame *f);
    void (*release)(struct why_conn_rec *rc);
};

extern const struct why_app_handler why_app_http1, why_app_h2, why_app_tls, why_app_dns_tcp;

/* tls.c: the cache of parsed certificates an env points to (why_cert_cache_free(NULL) does
 * nothing). */
struct why_cert_cache *why_cert_cache_new(void);
void why_cert_cache_free(struct why_cert_cache *k);

/* app.c: the dispatcher the session calls (the env's nested_* point into it). */
void why_app_env_init(struct why_app_env *env);
void why_app_data(const struct why_app_env *env, struct why_conn_rec *rc, enum why_dir dir,
                  const uint8_t *d, uint32_t n, const struct why_frame *f);
void why_app_gap(const struct why_app_env *env, struct why_conn_rec *rc, enum why_dir dir,
                 uint32_t n, const struct why_frame *f);
void why_app_close(const struct why_app_env *env, struct why_conn_rec *rc, const struct why_frame *f);
void why_app_release(struct why_conn_rec *rc);

/* app.c: a request head (HTTP/1 or an HTTP/2 stream's) becomes a transaction of rc: fields
 * copied, indexed, queued for a decision when it is a client's request (counted as an upstream
 * request when the gateway sent it). first_*: the frame of the head's first byte. NULL at the
 * cap or out of memory (counted). */
struct why_txn *why_app_request(const struct why_app_env *env, struct why_conn_rec *rc,
                                const struct why_http_head *h, const struct why_frame *f,
                                uint64_t first_frame, struct why_ts first_ts);
/* request.c: the strings of a response head h to t (Server, and Proxy-Status or else
 * X-Squid-Error as its claim), allocated only when one of them is not empty. */
void why_app_response_strings(const struct why_app_env *env, struct why_txn *t,
                              const struct why_http_head *h);

/* dns.c: a UDP datagram to or from port 53, or an ICMP error quoting one. */
/* encap: the tunnels p crossed (flow/flow.h why_flow_encap; NULL: none) */
void why_app_dns_udp(const struct why_app_env *env, const struct why_pkt *p, const struct why_encap_chain *encap);

#endif
