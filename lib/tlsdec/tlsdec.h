/* Per-connection TLS record decryption with a key log (keylog.h), for reading what a TLS
 * leg carried: the HTTP inside HTTPS, and handshake messages sent under encryption (a TLS 1.2
 * renegotiation's HelloRequest, type 0). Passive and streaming: the record parser that
 * already frames the connection's records feeds the hello facts and then every record body,
 * in order, one call per record; the decryptor keeps each direction's sequence numbers.
 *
 * TLS 1.2 (version 0x0303): keys from CLIENT_RANDOM's master secret (PRF "key expansion",
 * P_SHA256 or P_SHA384), switched on per direction by ChangeCipherSpec. Suites: AES-128/256-
 * GCM (RFC 5288), ChaCha20-Poly1305 (RFC 7905), AES-128/256-CBC with HMAC-SHA1/256/384,
 * MAC-then-encrypt or encrypt-then-MAC (RFC 7366, found from the first record), RSA, DHE,
 * ECDHE and PSK key exchanges alike. A renegotiation is followed: the hellos and the
 * ChangeCipherSpec it sends under encryption are read from the decrypted records, and the
 * key log's line for the new client random gives the new keys.
 * TLS 1.3 (0x0304): TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,
 * TLS_CHACHA20_POLY1305_SHA256. Handshake traffic keys from the *_HANDSHAKE_TRAFFIC_SECRETs,
 * application keys from the *_TRAFFIC_SECRET_0s, taken on after that direction's Finished
 * (or when a record opens only with them), KeyUpdate followed. 0-RTT data is not decrypted.
 * Not supported: TLS 1.0/1.1, SSL 3, CCM, 3DES, Camellia/ARIA, compression. */
#ifndef WHY_TLSDEC_TLSDEC_H
#define WHY_TLSDEC_TLSDEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlsdec/keylog.h"

#define WHY_TLSDEC_REC_MAX (16384u + 2048u) /* largest record body accepted (2^14 + 2048) */
#define WHY_TLSDEC_OUT_MAX WHY_TLSDEC_REC_MAX /* an out buffer of this size always suffices */

struct why_tlsdec;

struct why_tlsdec_info {
    uint16_t version;            /* negotiated (last ServerHello), 0 before it */
    uint16_t cipher;
    bool suite_supported;        /* version and cipher are decryptable */
    bool keys_found;             /* the key log had secrets for the client random */
    uint64_t decrypted;          /* protected records opened */
    uint64_t failed;             /* protected records that could not be opened */
    uint32_t hello_requests;     /* HelloRequest messages in decrypted server handshake data */
    uint32_t encrypted_client_hellos; /* ClientHellos under encryption (renegotiations) */
    uint32_t key_updates;        /* TLS 1.3 KeyUpdates followed */
};

/* kl may be NULL (nothing will decrypt). kl must outlive the decryptor. NULL if out of memory. */
struct why_tlsdec *why_tlsdec_new(const struct why_keylog *kl);
void why_tlsdec_free(struct why_tlsdec *d);

/* The cleartext ClientHello's random. */
void why_tlsdec_client_hello(struct why_tlsdec *d, const uint8_t random[32]);
/* The cleartext ServerHello: its random, the negotiated version (0x0303 or 0x0304, from
 * supported_versions) and the cipher suite. A HelloRetryRequest (its fixed random) is
 * ignored, as is a repeat of the same ServerHello. */
void why_tlsdec_server_hello(struct why_tlsdec *d, const uint8_t random[32], uint16_t version,
                             uint16_t cipher);
/* A cleartext ChangeCipherSpec in direction dir (TLS 1.2: that direction's records are
 * protected from the next one on). Ignored for TLS 1.3, and once dir is protected (the
 * ChangeCipherSpec of a renegotiation is itself encrypted: why_tlsdec_record finds it). */
void why_tlsdec_ccs(struct why_tlsdec *d, int dir);

/* One record body (after the 5-byte header) in direction dir (0 client->server, 1
 * server->client), with the header's content type. A protected record is decrypted into out:
 * returns the plaintext length and sets *inner_ctype to the real content type (TLS 1.3: the
 * inner type, padding removed). A record that is not protected (sent before encryption) is
 * copied to out as is, with *inner_ctype = ctype; a cleartext ChangeCipherSpec record counts
 * as why_tlsdec_ccs. Returns -1 when the record is protected but cannot be opened (no keys,
 * unsupported suite, bad tag/MAC/padding, truncated, out too small); the contents of out are
 * then undefined. out must hold len bytes (WHY_TLSDEC_OUT_MAX always suffices) and must not
 * overlap rec. A record that fails still takes its sequence number, except in TLS 1.3
 * before the first success under the current keys (it may be 0-RTT data, keyed otherwise). */
int why_tlsdec_record(struct why_tlsdec *d, int dir, uint8_t ctype, const uint8_t *rec,
                      size_t len, uint8_t *out, size_t outsize, uint8_t *inner_ctype);

/* Whether records in direction dir are protected now (TLS 1.3: records of type 23). */
bool why_tlsdec_encrypted(const struct why_tlsdec *d, int dir);
void why_tlsdec_get_info(const struct why_tlsdec *d, struct why_tlsdec_info *info);
/* Whether a version/cipher pair can be decrypted given the keys. */
bool why_tlsdec_suite_supported(uint16_t version, uint16_t cipher);

#endif
