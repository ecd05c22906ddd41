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
    WHY_P_SYN_RST,          /* s0 destination, s1 who; n0 tries */
    WHY_P_SYN_UNANSWERED,   /* s0 who, s1 destination; n0 tries, n1 wait us; the schedule
                               is the incident's */
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
    WHY_P_TLS_CUT,          /* s0 destination, s1 SNI; n0 1 = reset */
    WHY_P_CLAIM,            /* s0 the gateway's words; n0 status */
    WHY_P_ORIGIN_5XX,       /* s0 origin address, s1 port; n0 status */
    WHY_P_SERVER_5XX,       /* s0 server; n0 status */
    WHY_P_NO_UPSTREAM,      /* n0 status */
    WHY_P_GATEWAY_ERROR,    /* n0 status */
    WHY_P_CLIENT_RESET,     /* n0 status */
    WHY_P_CLIENT_ABORT,     /* n0 wait us */
    WHY_P_CLOSED_NO_ANSWER,
    WHY_P_CUT_SHORT,        /* n0 status */
    WHY_P_CAPTURE_ENDED,
    /* evidence items */
    WHY_P_EV_SYN,           /* s0 destination */
    WHY_P_EV_SYN_RETRY,     /* s0 destination; n0 try */
    WHY_P_EV_SYN_ACK,       /* s0 destination */
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
    int64_t wait_us;             /* {wait}, -1 when none */
    int claim_none;              /* 1: an empty claim reads "no reason given" */
    int upstream_state;          /* {upstream_state}: 0 none, 1 nothing pending upstream,
                                    2 the origin had not answered, 3 not sent upstream yet */
};

#endif
