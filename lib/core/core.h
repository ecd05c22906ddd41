/* Internal records of the session, shared by session.c (builds them from flows and protocol
 * events), correlate.c (joins a client request to the upstream activity it caused) and
 * diagnose.c (names the cause). Records outlive the flow table's connections: a connection
 * summary stays until no pending request can still be joined to it. */
#ifndef WHY_CORE_CORE_H
#define WHY_CORE_CORE_H

#include "flow/flow.h"
#include "proto/dns.h"
#include "proto/http1.h"
#include "proto/tls.h"
#include "tlsdec/tlsdec.h"
#include "why502/why502.h"

#define WHY_TXN_PER_CONN_MAX 1024     /* HTTP transactions remembered per connection (cap) */
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
#define WHY_HOSTMAP_MAX 4096          /* host -> addresses remembered from DNS answers (cap) */

enum app_proto { APP_UNKNOWN = 0, APP_HTTP, APP_TLS, APP_OTHER };
enum why_cert_problem { CERT_OK = 0, CERT_EXPIRED, CERT_NOT_YET_VALID, CERT_NAME_MISMATCH };

struct txn;

/* A TCP connection as the correlator sees it. */
struct rec_conn {
    struct why_conn c;            /* snapshot; refreshed from the live connection on events */
    struct why_conn *live;        /* the flow table's connection while it exists */
    enum app_proto app;
    bool app_decided;
    /* HTTP parsers: allocated when the connection turns out to be HTTP, freed when it
     * closes, so a record costs little once closed (or when it never carried HTTP) */
    struct why_http1_stream *hreq, *hresp;
    bool resp_dead;               /* the response stream could not be followed (kept at close) */
    struct why_tls_stream tls[2];
    /* TLS facts (no keys) */
    bool tls_hello[2];            /* a hello seen from client (0) / server (1) */
    char sni[256];
    uint16_t tls_version;
    bool tls_appdata[2];          /* application data seen in each direction */
    bool tls_ccs[2];
    uint32_t tls_data_records[2]; /* application-data records (TLS 1.3: not counting 19-byte
                                     ones, the size of an encrypted alert) */
    uint32_t dec_data_records[2]; /* decrypted records that held application data */
    uint32_t tls_enc_hs[2];       /* encrypted handshake records (the first is Finished) */
    uint64_t reneg_frame;         /* first server handshake record after its Finished (TLS 1.2) */
    struct why_ts reneg_ts;
    bool reneg_answered;          /* client sent a handshake record or an alert after it */
    bool reneg_renegotiated;      /* ...a handshake record: it renegotiated (no failure) */
    uint64_t reneg_answer_frame;
    uint8_t alert_desc, alert_level;
    uint64_t alert_frame;
    struct why_ts alert_ts;
    /* the server's certificate, checked against packet time and the SNI (TLS 1.2 in clear,
     * TLS 1.3 with --keylog) */
    uint8_t cert_problem;         /* enum why_cert_problem */
    uint64_t cert_frame;
    char cert_text[160];          /* "not after 2020-01-01T00:00:00Z", "names: a.example, ..." */
    int alert_dir;
    /* HTTP transactions on this connection, oldest first; `unanswered` is the first one
     * still waiting for a response head */
    struct txn *txn_head, *txn_tail, *unanswered;
    uint32_t ntxn;
    uint64_t hreq_first_frame, hresp_first_frame; /* first byte of the message being parsed */
    struct why_ts hreq_first_ts, hresp_first_ts;
    uint64_t gap_bytes[2];        /* bytes of each direction the capture missed */
    /* --keylog: the decryptor, and HTTP found inside (then hreq/hresp parse the plaintext) */
    struct why_tlsdec *dec;
    bool dec_http;
    bool reneg_confirmed;         /* a decrypted HelloRequest from the server */
    uint64_t other_first_frame;   /* APP_OTHER: first bytes seen from the server */
    uint8_t other_first[64];
    uint32_t other_first_len;
    /* joining */
    bool claimed;                 /* joined to a client request as an upstream attempt */
    bool client_leg;              /* decided: the server is the gateway */
    struct rec_conn *rnext, *rprev; /* all records, by creation */
    int refs;                     /* txns alive that point here */
    bool closed;                  /* left the flow table */
    bool prunable;                /* the next pruning pass frees it */
    /* roles, cached until the gateway's address sets change (why_core_roles) */
    uint32_t gw_gen_seen;
    bool gw_cli, gw_srv;          /* the client / the server side is the gateway */
};

struct txn {
    uint64_t id;                  /* creation order */
    struct rec_conn *rc;
    struct txn *next;             /* next on the same connection */
    struct txn *qnext;            /* decision queue */
    /* request */
    char method[24];
    char *target;                 /* bounded copy (<= WHY_HTTP_TARGET_MAX) */
    uint32_t target_len;
    char host[256];
    char via[160];
    uint64_t req_first_frame, req_frame;
    struct why_ts req_first_ts, req_ts;
    /* response */
    bool has_resp;
    int status;
    uint64_t resp_first_frame, resp_frame, resp_end_frame;
    struct why_ts resp_first_ts, resp_ts, resp_end_ts;
    bool resp_done;               /* framing satisfied */
    uint64_t body_bytes;
    int64_t expected_len;
    char claim[200];
    char server[96];
    char title[120];
    /* a response that was not HTTP */
    bool not_http;
    uint8_t first_bytes[64];
    uint32_t first_len;
    /* the request index (method + path), for joining without scanning every record */
    uint64_t pkey, hkey;          /* keys of method + path, and of the host (64-bit FNV-1a:
                                     equal keys are taken as equal strings) */
    struct txn *inext, *iprev;    /* chain in the index by method + path */
    struct txn *hnext, *hprev;    /* chain in the index by method + path + host */
    bool indexed;
    /* decision */
    bool queued, decided;
    struct txn *claimed_by;       /* client txn this upstream txn was joined to */
    bool is_client_leg;
};

struct rec_dns {
    struct rec_dns *next, *prev;
    uint64_t id;
    struct why_addr cli, srv;
    uint16_t cli_port, srv_port, qid;
    bool tcp;
    char qname[WHY_DNS_NAME_MAX + 1];
    uint16_t qtype;
    uint64_t q_frame;
    struct why_ts q_ts;
    uint32_t tries;               /* queries with the same id and name (retransmissions) */
    uint64_t last_q_frame;
    struct why_ts last_q_ts;
    bool answered;
    uint64_t a_frame;
    struct why_ts a_ts;
    uint8_t rcode;
    uint32_t naddrs;
    struct why_addr addrs[4];
    bool icmp;                    /* the query drew an ICMP error (port unreachable ...) */
    uint64_t icmp_frame;
    bool claimed;
};

#define WHY_INDEX_BUCKETS 65536u   /* request index buckets (power of two) */

struct why_session {
    struct why_options opt;
    struct txn **index;               /* requests by why_core_request_key(), chained */
    struct txn **hindex;              /* the same, by method + path + host (forward proxies) */
    struct why_keylog *keylog;        /* --keylog, NULL without */
    uint8_t *plain;                   /* decrypted record (WHY_TLSDEC_OUT_MAX bytes) */
    struct why_sink sink;
    struct why_flow *flow;
    struct why_summary sum;
    const struct why_frame *cur_frame; /* never NULL once a frame was seen: at the end of input
                                          it points to last_frame, so late events (flushed
                                          reassembly, closes) carry the last frame's number */
    struct why_frame last_frame;      /* number and time of the latest frame, no data */
    struct why_ts now;            /* latest packet time seen */
    struct why_ts last_sweep;     /* packet time of the last decision sweep and pruning */
    uint64_t next_txn_id, next_dns_id, next_incident_id;
    struct rec_conn *rhead, *rtail;   /* connection records by creation */
    uint64_t nrecs;
    struct rec_dns *dhead, *dtail;    /* DNS records by creation */
    uint64_t ndns;
    struct txn *qhead, *qtail;        /* client txns waiting for a decision, in order */
    /* local (gateway) addresses: from the link layer's direction or --gateway */
    struct why_addr local[32];
    uint32_t nlocal;
    bool local_from_option;
    uint16_t gw_ports[8];
    uint32_t ngw_ports;
    /* auto-detected gateways (serve HTTP and originate connections/DNS) */
    struct why_addr served[64];
    uint32_t nserved;
    struct why_addr originators[64];
    uint32_t norig;
    uint32_t gw_gen;                  /* bumped when any of the sets above changes */
    struct why_addr last_local;       /* the local address seen last (learn_local) */
};

/* session.c */
/* The connection carries HTTP we can read: in clear, or decrypted with --keylog. */
static inline bool why_core_http(const struct rec_conn *rc)
{
    return rc->app == APP_HTTP || (rc->dec_http && rc->hreq);
}
uint64_t why_core_request_key(const char *method, const char *path);
static inline uint32_t why_core_host_bucket(uint64_t pkey, uint64_t hkey)
{
    return (uint32_t)((pkey ^ (hkey * 0x9e3779b97f4a7c15u)) >> 20) & (WHY_INDEX_BUCKETS - 1);
}
/* up carried client's request: mark it joined and take it out of the request index. */
void why_core_claim(struct why_session *s, struct txn *up, struct txn *client);
bool why_core_is_local(const struct why_session *s, const struct why_addr *a);
bool why_core_is_gateway_addr(const struct why_session *s, const struct why_addr *a);
const struct why_conn *why_core_conn(const struct rec_conn *rc);
/* Fills rc->gw_cli / gw_srv, recomputed only when the gateway's address sets changed. */
void why_core_roles(const struct why_session *s, struct rec_conn *rc);
/* The gateway (client side) sent application data (a request) on a TLS connection. */
bool why_core_tls_sent_data(const struct rec_conn *rc);
/* The server closed a TLS connection before finishing its side of the handshake. */
bool why_core_tls_handshake_cut(const struct rec_conn *rc);

/* The join of one client request with what the gateway did for it (correlate.c). */
#define WHY_JOIN_MAX 16
struct why_exchange {
    struct txn *client;           /* the client's request (NULL for an unjoined failure) */
    struct txn *up;               /* the upstream request that carried it, if found */
    struct rec_conn *up_conn;     /* the connection carrying `up`, or the last attempt */
    struct rec_conn *attempts[WHY_JOIN_MAX]; /* connection attempts in order */
    uint32_t nattempts;
    struct rec_dns *dns[WHY_JOIN_MAX];
    uint32_t ndns;
    bool upstream_visible;        /* the capture shows this gateway's upstream side at all */
    struct rec_conn *client_conn; /* unjoined TLS: the client's TLS connection served then */
    struct why_ts end_ts;         /* when the client leg was answered / given up */
    uint64_t end_frame;
};

void why_correlate(struct why_session *s, struct txn *client, struct why_exchange *x);
/* The client talked straight to the server (no gateway hop in the capture). */
bool why_correlate_direct(const struct why_session *s, const struct txn *client);
/* The upstream request that carried client's, from the index only (no claim, no scan). */
struct txn *why_correlate_upstream_indexed(struct why_session *s, const struct txn *client);
/* Fills inc from x; returns false when the exchange is not a failure. */
bool why_diagnose(struct why_session *s, const struct why_exchange *x, struct why_incident *inc);
/* Fills inc for a failure joined to no request: x holds only DNS records or only attempts. */
bool why_diagnose_unjoined(struct why_session *s, const struct why_exchange *x,
                           struct why_incident *inc);

#endif
