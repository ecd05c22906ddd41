/* What the protocol handlers (lib/app/) learn about a connection, kept in its record after
 * the parsers are gone: the TLS handshake's facts (versions, SNI, renegotiation, alerts, the
 * server's certificate) and the first bytes of a server that spoke something unknown.
 * Written by app/ only; the join and the diagnosis read them. Frame numbers are frame ids
 * (store/records.h: file index in the high bits). */
#ifndef WHY_APP_FACTS_H
#define WHY_APP_FACTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/wtime.h"

/* The application protocol of a connection, decided from the first bytes the client sends
 * (never from the port, except DNS over TCP on port 53). */
enum why_app_id { WHY_APP_UNKNOWN = 0, WHY_APP_HTTP, WHY_APP_TLS, WHY_APP_OTHER, WHY_APP_DNS,
                  WHY_APP_H2 };

enum why_cert_problem { WHY_CERT_OK = 0, WHY_CERT_EXPIRED, WHY_CERT_NOT_YET_VALID,
                        WHY_CERT_NAME_MISMATCH };

/* TLS facts (no keys needed): index 0 is the client's direction, 1 the server's. */
struct why_tls_facts {
    bool hello[2];                /* a hello seen from client (0) / server (1) */
    bool passed_through;          /* one leg of a handshake a relay passed on (the other had
                                     its ClientHello: why_store_hello_relay) */
    bool front_told;              /* its server's handshake counted (why_store_tls_front) */
    const char *sni;              /* the client's server name, "" when none (never NULL:
                                     why_facts_empty, or a copy of its own that
                                     why_tls_facts_set made and why_tls_facts_fini frees) */
    char alpn[16];                /* the protocol the server chose (ALPN: "h2", "http/1.1"),
                                     "" when none or hidden (TLS 1.3 sends it encrypted) */
    char alpn_offered[16];        /* the client's first ALPN offer, "" when none */
    uint64_t hello_key;           /* a hash of the client's ClientHello random, never 0 (0: no
                                     ClientHello yet): the same on the two legs of a gateway
                                     that passes TLS through (why_store_hello_twins) */
    bool hello_indexed;           /* on the store's index by random (why_store_hello_add) */
    uint16_t version;             /* the server's chosen version (0x0303 TLS 1.2, 0x0304 1.3) */
    bool appdata[2];              /* application data seen in each direction */
    bool ccs[2];                  /* ChangeCipherSpec seen */
    uint32_t data_records[2];     /* application-data records (TLS 1.3: not counting 19-byte
                                     ones, the size of an encrypted alert) */
    uint32_t dec_data_records[2]; /* decrypted records that held application data (--keylog) */
    uint32_t enc_hs[2];           /* encrypted handshake records (the first is Finished) */
    uint64_t reneg_frame;         /* first server handshake record after its Finished (1.2) */
    struct why_ts reneg_ts;
    bool reneg_answered;          /* client sent a handshake record or an alert after it */
    bool reneg_renegotiated;      /* ...a handshake record: it renegotiated (no failure) */
    uint64_t reneg_answer_frame;
    bool reneg_confirmed;         /* a decrypted HelloRequest from the server (--keylog) */
    uint8_t alert_desc, alert_level;
    uint64_t alert_frame;         /* first alert, 0 when none */
    struct why_ts alert_ts;
    int alert_dir;                /* enum why_dir of the first alert */
    /* the server's certificate, checked against packet time and the SNI (TLS 1.2 in clear,
     * TLS 1.3 with --keylog) */
    uint8_t cert_problem;         /* enum why_cert_problem */
    uint64_t cert_frame;
    struct why_ts cert_ts;        /* the certificate's own frame's time */
    uint64_t cert_hash;           /* FNV-1a of its DER: the same certificate on two connections */
    const char *cert_text;        /* "expired: not after 2020-01-01T00:00:00Z", ...; "" when
                                     none (as sni) */
};

/* The empty string of facts that have none: why_tls_facts_set's copies are apart from it. */
extern const char why_facts_empty[1];

/* Facts as made: no string. */
static inline void why_tls_facts_init(struct why_tls_facts *t)
{
    t->sni = t->cert_text = why_facts_empty;
}

/* *dst (sni or cert_text) becomes a copy of s, the one before freed; false on out of memory
 * (then "") */
static inline bool why_tls_facts_set(const char **dst, const char *s)
{
    if (*dst != why_facts_empty)
        free((char *)*dst);
    *dst = why_facts_empty;
    size_t n = strlen(s);
    if (n == 0)
        return true;
    char *p = malloc(n + 1);
    if (!p)
        return false;
    memcpy(p, s, n + 1);
    *dst = p;
    return true;
}

/* The strings of facts going. */
static inline void why_tls_facts_fini(struct why_tls_facts *t)
{
    why_tls_facts_set(&t->sni, "");
    why_tls_facts_set(&t->cert_text, "");
}

/* HTTP/2 facts of a connection (app/http2.c): what ended it or made it unreadable. */
struct why_h2_facts {
    uint64_t goaway_frame;        /* first GOAWAY, 0 when none */
    struct why_ts goaway_ts;
    uint32_t goaway_code;         /* RFC 9113 error code */
    uint32_t goaway_last_id;      /* last-stream-id */
    int goaway_dir;               /* enum why_dir of its sender */
    uint64_t error_frame;         /* first protocol fault seen in the frames, 0 when none */
    int error_dir;
    int error;                    /* enum why_h2_err */
    uint64_t settings_unacked_frame; /* a SETTINGS never acknowledged, 0 when none */
    int settings_unacked_dir;
    int64_t settings_unacked_us;  /* how long it waited, microseconds */
};

/* A server that spoke first, or a connection that is neither HTTP nor TLS. */
struct why_other_facts {
    uint64_t first_frame;         /* first bytes seen from the server, 0 when none */
    uint8_t first[64];
    uint32_t first_len;           /* bytes */
    uint64_t early_bytes;         /* bytes the server sent before the client's first (kept in
                                   * first[] when they fit) */
};

#endif
