/* The vocabulary of an incident's sentences: which sentence (a phrase id) and its arguments.
 * The diagnosis picks phrases and fills their arguments (data: addresses as text, names,
 * counts, microseconds); lib/render/render.c is the only place that turns them into words.
 * Each phrase below lists its arguments: s[] strings, n[] numbers. */
#ifndef WHY_RENDER_WORDS_H
#define WHY_RENDER_WORDS_H

#include <stdint.h>

#define WHY_WORDS_S 256 /* bytes of each string argument */

enum why_phrase {
    WHY_P_NONE = 0,
    /* summaries (the cause in one sentence) */
    WHY_P_DNS_RCODE,        /* s0 server, s1 name; n0 rcode, n1 queries, n2 wait us */
    WHY_P_DNS_NODATA,       /* s0 server, s1 name; n1 queries, n2 wait us */
    WHY_P_DNS_NO_ANSWER,    /* s0 server, s1 name; n0 queries, n1 sends, n2 wait us */
    WHY_P_SYN_ICMP,         /* s0 who, s1 destination, s2 ICMP sender; n0 IP version,
                               n1 type, n2 code, n3 tries; who "" = the gateway */
    WHY_P_SYN_RST,          /* s0 destination, s1 who; n0 tries, n1 the answer this long after the
                               last refusal, n2 the first this long after the request (us; 0:
                               at once) */
    WHY_P_SYN_UNANSWERED,   /* s0 who, s1 destination; n0 tries, n1 wait us, n2 other
                               connections' SYNs the destination answered meanwhile; the
                               schedule is the incident's */
    WHY_P_NOT_HTTP,         /* s0 destination, s1 first bytes (sample) */
    WHY_P_CLOSED_EARLY,     /* s0 destination; n0 1 = reset, n1 wait us */
    WHY_P_NO_RESPONSE,      /* s0 destination; n0 wait us */
    WHY_P_CUT_IN_BODY,      /* s0 destination; n0 1 = reset, n1 status, n2 body bytes,
                               n3 1 = length announced */
    WHY_P_BANNER,           /* s0 destination, s1 first bytes (sample) */
    WHY_P_RENEG_REFUSED,    /* s0 destination, s1 SNI; n0 1 = by an alert */
    WHY_P_RENEG_STALL,      /* s0 destination, s1 SNI; n0 wait us */
    WHY_P_CERT_REFUSED,     /* s0 destination, s1 SNI, s2 certificate problem ("" none);
                               n0 1 = certificate alert */
    WHY_P_TLS_ALERT,        /* s0 destination, s1 SNI, s2 alert name; n0 1 = from the origin */
    WHY_P_TLS_GATEWAY_LEFT, /* s0 destination, s1 SNI; n0 1 = TLS 1.3 */
    WHY_P_TLS_PASSTHROUGH_ALERT, /* s0 destination, s1 SNI, s2 alert name; n0 1 = from the
                               origin (0: from the client) */
    WHY_P_TLS_CUT,          /* s0 destination, s1 SNI; n0 1 = reset */
    WHY_P_CLAIM,            /* s0 the gateway's words; n0 status; n1 enum why_blind: why the
                               upstream side tells nothing (none in the capture, a direction
                               or bytes missing, the last attempt's answer not captured) */
    WHY_P_ORIGIN_5XX,       /* s0 origin address, s1 port; n0 status */
    WHY_P_SERVER_5XX,       /* s0 server; n0 status */
    WHY_P_NO_CONNECT,       /* s0 host, s1 the address it resolved to; n0 status */
    WHY_P_NO_UPSTREAM,      /* n0 status, n1 servers whose health checks were failing (the
                               fix's checks), n2 an attempt to s0 near the request (Varnish):
                               1 refused (it may have held the backend down 0.25 s), 2 begun
                               while the request waited, 3 refused by a local error (10 s); n3
                               from it to the request us (< 0: after) */
    WHY_P_GATEWAY_ERROR,    /* n0 status */
    WHY_P_CLIENT_RESET,     /* n0 status */
    WHY_P_CLIENT_ABORT,     /* n0 wait us */
    WHY_P_CLOSED_NO_ANSWER,
    WHY_P_CUT_SHORT,        /* n0 status */
    WHY_P_CAPTURE_ENDED,
    WHY_P_SERVER_NO_ANSWER, /* s0 server address, s1 port, s2 method; n0 wait us */
    WHY_P_STALL_IN_BODY,    /* s0 sender's address; n0 status, n1 body bytes, n2 silence us,
                               n3 1 = the gateway sent it */
    WHY_P_CERT_REFUSED_BY,  /* s0 who refused, s1 destination, s2 certificate problem; the
                               SNI in s3 would not fit: s1 is "addr:port (SNI name)" */
    WHY_P_CUT_SHORT_HALF,   /* n0 status: cut short, the upstream side captured from one side */
    /* evidence items */
    WHY_P_EV_SYN,           /* s0 destination */
    WHY_P_EV_SYN_RETRY,     /* s0 destination; n0 try */
    WHY_P_EV_SYN_ACK,       /* s0 destination */
    WHY_P_EV_SYN_ACK_OTHER, /* s0 the server; n0 other connections' SYNs it answered */
    WHY_P_EV_SYN_ICMP,      /* s0 destination; n0 IP version, n1 type, n2 code */
    WHY_P_EV_RST_FROM,      /* s0 peer */
    WHY_P_EV_FIN_FROM,      /* s0 peer */
    WHY_P_EV_RST_TO,        /* s0 peer */
    WHY_P_EV_FIN_TO,        /* s0 peer */
    WHY_P_EV_DNS_QUERY,     /* s0 name, s1 server; n0 type */
    WHY_P_EV_DNS_RETRY,     /* s0 name; n0 type, n1 tries */
    WHY_P_EV_DNS_ANSWER,    /* s0 name; n0 type, n1 rcode */
    WHY_P_EV_DNS_ICMP,      /* s0 name */
    WHY_P_EV_DNS_QUERY_FOR, /* s0 name */
    WHY_P_EV_UPSTREAM_REQ,  /* s0 method ("" none), s1 destination */
    WHY_P_EV_FIRST_BYTES,   /* s0 peer */
    WHY_P_EV_CLOSE_EARLY,   /* s0 peer; n0 1 = RST */
    WHY_P_EV_GIVES_UP,      /* s0 peer */
    WHY_P_EV_CLOSE_IN_BODY, /* s0 peer; n0 1 = RST */
    WHY_P_EV_BANNER,        /* s0 peer */
    WHY_P_EV_RENEG,         /* s0 peer */
    WHY_P_EV_RENEG_ALERT,
    WHY_P_EV_CERT,          /* s0 peer, s1 problem ("" = none seen) */
    WHY_P_EV_GW_ALERT,      /* s0 alert name */
    WHY_P_EV_ALERT,         /* s0 alert name; n0 1 = from the origin */
    WHY_P_EV_TLS_LEFT,      /* s0 peer */
    WHY_P_EV_REQUEST,       /* s0 method, s1 client */
    WHY_P_EV_ORIGIN_ANSWERS,/* n0 status */
    WHY_P_EV_CLIENT_ENDS,
    WHY_P_EV_CLIENT_GIVES_UP,
    WHY_P_EV_GW_CLOSES,
    WHY_P_EV_ANSWERS,       /* n0 status, n1 1 = the server (no gateway) */
    WHY_P_EV_CLIENT_CONN,   /* s0 client, s1 SNI */
    WHY_P_EV_LAST_BYTES,    /* the last response bytes before a silence */
    WHY_P_EV_CLIENT_ENDS_AFTER, /* n0 silence us */
    WHY_P_EV_CLIENT_CLOSES,
    WHY_P_EV_PT_HELLO,      /* s0 destination; n0 1 = the gateway's copy of the client's
                               ClientHello (the same random), 0 = the client's own */
    WHY_P_EV_PT_ALERT,      /* s0 alert name; n0 1 = the origin's (0: the client's), n1 1 = the
                               gateway's copy of it to the other side, 2 = that copy where the
                               sender's own was not captured */
    /* the gateways' habits: keep-alive reuse, their own schedule, their buffers */
    WHY_P_CLOSED_ON_REUSE,  /* s0 destination; n0 idle us, n1 1 = reset, n2 close-to-request us
                               (>= 0), n3 1 = the close came before the request left */
    WHY_P_BACKEND_DNS,      /* s0 name, s1 rcode name (n3 2); n0 status, n1 lookups, n2 last
                               lookup to the request us (< 0: after it), n3 0 no answer,
                               1 no address, 2 an error rcode; s2 NULL, or when they were
                               asked when not before the answer */
    WHY_P_HEALTH_CHECKS,    /* s0 the gateway's words ("" none); n0 status, n1 1 = Varnish (no
                               refusal in its holddown before); the checks are the fix's
                               (why_fix_args.checks) */
    WHY_P_HEAD_TOO_BIG,     /* n0 the origin's status, n1 head bytes */
    WHY_P_EV_LAST_ANSWER,   /* the last answer on a kept-alive connection ends */
    WHY_P_EV_OWN_DNS_QUERY, /* s0 name, s1 server; n0 type */
    WHY_P_EV_CHECK_REQ,     /* s0 method, s1 target, s2 server */
    WHY_P_EV_CHECK_ANSWER,  /* n0 status */
    WHY_P_EV_CHECK_SYN,     /* s0 server */
    WHY_P_EV_CHECK_ICMP,    /* s0 server */
    WHY_P_EV_HEAD_BEGINS,   /* n0 status */
    WHY_P_EV_HEAD_DONE,     /* n0 head bytes */
    /* HTTP/2 */
    WHY_P_H2_RESET,         /* s0 destination, s1 error code; n0 stream, n1 wait us, n2 1 = in the
                               body, n3 1 = by the gateway */
    WHY_P_H2_UNANSWERED,    /* s0 destination, s1 error code; n0 stream, n1 wait us */
    WHY_P_H2_GOAWAY,        /* s0 destination, s1 error code; n0 last-stream-id, n1 stream (0: GOAWAY
                               came before the gateway sent the request) */
    WHY_P_H2_STALL,         /* s0 destination; n0 stream, n1 wait us, n2 1 = the origin blocked */
    WHY_P_H2_PROTOCOL,      /* s0 destination; n0 stream; the fault and who are the fix's
                               (why_fix_args.h2_fault, h2_code, h2_by) */
    WHY_P_GRPC_ORIGIN,      /* s0 origin address, s1 port, s2 grpc status text; n0 1 = no gateway */
    WHY_P_EV_H2_HEADERS,    /* s0 method ("" for a response), s1 peer; n0 stream, n1 status,
                               n2 1 = from the peer */
    WHY_P_EV_H2_RST,        /* s0 error code, s1 sender ("" the gateway); n0 stream */
    WHY_P_EV_H2_GOAWAY,     /* s0 error code, s1 sender ("": n1 WHY_H2_BY_*); n0 last-stream-id */
    WHY_P_EV_H2_STALL,      /* n0 stream, n1 1 = the origin's window */
    WHY_P_EV_H2_FAULT,      /* s1 sender ("" the gateway); n0 1 SETTINGS never acknowledged,
                               2 a malformed frame */
    WHY_P_EV_GRPC_END,      /* n0 grpc-status */
    WHY_P_EV_CLIENT_CONN_ALPN, /* s0 client, s1 SNI; n0 open us, n1 bit 0: offered (TLS 1.3 hides
                                  the chosen one), bit 1: h2 (else http/1.1) */
};

/* One sentence to say. */
struct why_words {
    enum why_phrase phrase;
    int64_t n[4];
    char s[3][WHY_WORDS_S];
};

/* The parameters of the catalogue's fix templates ({host}, {addr} ...). */
struct why_fix_args {
    char host[256], claim[200], addr[64], port[8], dns[64], icmp_from[64], alert[48], cert[160];
    char got[24], status[8];     /* decimal numbers, "" when none */
    char who[64];                /* {who}: the host that acted when no gateway did ("": the
                                    gateway) */
    char h2_code[32], stall_who[64], grpc[120]; /* HTTP/2 and gRPC causes: an error code's name,
                                                  the origin's address, a grpc-status */
    int h2_fault;                /* {h2_code}: 0 the code in h2_code, 1 SETTINGS never
                                    acknowledged, 2 a malformed frame */
    int h2_by;                   /* {h2_who}: WHY_H2_BY_ORIGIN or WHY_H2_BY_GATEWAY */
    int stall_gateway;           /* {stall_who}: 1 the gateway, 0 stall_who (the origin) */
    int64_t wait_us;             /* {wait}, -1 when none */
    int claim_none;              /* 1: an empty claim reads "no reason given" */
    int claim_blind;             /* {capture}: enum why_blind, why only the gateway's words
                                    tell (correlate/join.h) */
    int upstream_state;          /* {upstream_state}: 0 none, 1 nothing pending upstream,
                                    2 the origin had not answered, 3 not sent upstream yet */
    /* {checks}: a gateway's failing health checks, one per server */
    uint32_t nchecks;
    struct {
        char server[64];         /* address:port */
        int outcome;             /* WHY_CHECK_* */
        int status;              /* WHY_CHECK_ANSWERED: the status */
    } checks[8];
};

enum { WHY_H2_BY_NONE = 0, WHY_H2_BY_ORIGIN, WHY_H2_BY_GATEWAY };
enum { WHY_CHECK_ANSWERED = 0, WHY_CHECK_REFUSED, WHY_CHECK_ICMP, WHY_CHECK_SILENT };

#endif
