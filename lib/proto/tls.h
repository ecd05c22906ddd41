/* TLS record layer and the handshake messages that can be read without keys (RFC 5246,
 * 8446, 6066 SNI, 7301 ALPN): ClientHello (SNI, ALPN, offered versions), ServerHello
 * (version, cipher), alerts in clear, ChangeCipherSpec, and - after the handshake - any
 * further handshake record, which in TLS 1.2 is a renegotiation (HelloRequest from a server,
 * ClientHello from a client). Streaming, one direction at a time; records are skipped by
 * length, never buffered beyond the first WHY_TLS_HELLO_MAX bytes of a hello. */
#ifndef WHY_PROTO_TLS_H
#define WHY_PROTO_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WHY_TLS_HELLO_MAX (16u * 1024u) /* bytes of a hello message kept for parsing (cap) */

enum {
    WHY_TLS_CT_CCS = 20, WHY_TLS_CT_ALERT = 21, WHY_TLS_CT_HANDSHAKE = 22, WHY_TLS_CT_APPDATA = 23,
};
enum {
    WHY_TLS_HS_HELLO_REQUEST = 0, WHY_TLS_HS_CLIENT_HELLO = 1, WHY_TLS_HS_SERVER_HELLO = 2,
    WHY_TLS_HS_CERTIFICATE = 11,
};

struct why_tls_hello {
    bool client;                    /* ClientHello (true) or ServerHello */
    uint16_t legacy_version;        /* 0x0303 for TLS 1.2 and 1.3 */
    uint16_t version;               /* negotiated (ServerHello supported_versions) or offered max */
    char sni[256];                  /* server_name, "" if none */
    char alpn[64];                  /* first ALPN protocol (client: offered, server: chosen) */
    uint16_t cipher;                /* ServerHello cipher suite */
    uint8_t random[32];             /* the hello's random (keys the key log by client random) */
    bool hrr;                       /* ServerHello is a HelloRetryRequest */
};

struct why_tls_cb {
    void *ctx;
    /* Every record header: content type, record version, length, and whether it was sent
     * after this direction's ChangeCipherSpec (encrypted). */
    void (*on_record)(void *ctx, uint8_t ctype, uint16_t version, uint16_t len, bool encrypted);
    void (*on_hello)(void *ctx, const struct why_tls_hello *h);
    /* A cleartext alert (level 1 warning / 2 fatal, description). */
    void (*on_alert)(void *ctx, uint8_t level, uint8_t desc);
    /* A cleartext handshake message other than the hellos (e.g. HelloRequest type 0). */
    void (*on_handshake)(void *ctx, uint8_t hs_type, uint32_t len);
    /* The bytes are not TLS records (bad content type or version): the stream stops. */
    void (*on_error)(void *ctx);
    /* The server's certificate (the first of a TLS 1.2 Certificate message in clear), DER.
     * May be NULL. */
    void (*on_certificate)(void *ctx, const uint8_t *der, uint32_t len);
    /* With keep_bodies set: every whole record's body, at its end (for decryption). Records
     * cut by a gap are not delivered. May be NULL. */
    void (*on_body)(void *ctx, uint8_t ctype, const uint8_t *body, uint32_t len);
};

struct why_tls_stream {
    bool encrypted;                 /* ChangeCipherSpec seen in this direction */
    bool dead;
    uint8_t hdr[5];                 /* private: partial record header */
    uint32_t hdr_len;
    uint8_t ctype;                  /* private: current record */
    uint32_t rec_left;              /* bytes of the current record still to come */
    uint8_t *hs;                    /* handshake message accumulation (cap WHY_TLS_HELLO_MAX) */
    uint32_t hs_len;
    uint64_t records;               /* records seen */
    bool keep_bodies;               /* collect record bodies for on_body (set by the caller) */
    bool body_lost;                 /* private: part of the current body was not captured */
    uint8_t *body;                  /* private: the current record's body (keep_bodies) */
    uint32_t body_len;
};

/* True if data could start a TLS record (type 20..23, version 3.x). */
bool why_tls_looks_like(const uint8_t *data, size_t len);
void why_tls_stream_init(struct why_tls_stream *s);
void why_tls_stream_fini(struct why_tls_stream *s);
void why_tls_stream_feed(struct why_tls_stream *s, const uint8_t *data, size_t len,
                         const struct why_tls_cb *cb);
/* n bytes lost: the stream resynchronises only if they fall inside the current record. */
void why_tls_stream_gap(struct why_tls_stream *s, uint64_t n);
/* The first certificate of a Certificate handshake message body (after the 4-byte header):
 * TLS 1.2 form, or TLS 1.3 form (request context, per-entry extensions). false if none. */
bool why_tls_first_cert(const uint8_t *body, size_t len, bool tls13, const uint8_t **der,
                        size_t *der_len);
/* "handshake_failure", "bad_certificate", ... or "alert_N" (static or written into buf). */
const char *why_tls_alert_name(uint8_t desc, char *buf, size_t size);

#endif
