/* TLS key log files (the NSS "SSLKEYLOGFILE" format written by browsers, curl, OpenSSL's
 * SSL_CTX_set_keylog_callback, ...): one secret per line, `LABEL <client random hex>
 * <secret hex>`. Kept: CLIENT_RANDOM (TLS 1.2 master secret, 48 bytes) and the TLS 1.3
 * traffic secrets CLIENT_/SERVER_HANDSHAKE_TRAFFIC_SECRET and CLIENT_/SERVER_TRAFFIC_SECRET_0
 * (32 or 48 bytes). Recognised but not needed, and not warned about: EXPORTER_SECRET,
 * EARLY_EXPORTER_SECRET, CLIENT_EARLY_TRAFFIC_SECRET, and RSA (an RSA key exchange's
 * pre-master secret, which OpenSSL writes next to the CLIENT_RANDOM line). Comments ('#') and
 * blank lines are skipped; anything else (unknown label, bad hex, wrong lengths, lines longer
 * than WHY_KEYLOG_LINE_MAX) is ignored and counted, never fatal. Secrets are indexed by client
 * random in a hash table; at most WHY_KEYLOG_MAX_ENTRIES client randoms are kept, lines for
 * further ones are counted (over_cap). Read-only after loading: one key log can serve any
 * number of decryptors. */
#ifndef WHY_TLSDEC_KEYLOG_H
#define WHY_TLSDEC_KEYLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WHY_KEYLOG_MAX_ENTRIES 1000000u /* distinct client randoms kept (cap, counted) */
#define WHY_KEYLOG_LINE_MAX 1024u       /* longer lines are junk */
#define WHY_KEYLOG_SECRET_MAX 48u       /* largest secret (SHA-384) */

/* TLS 1.3 traffic secrets, index into why_keylog_keys.secret. */
enum {
    WHY_KL_CLIENT_HS, /* CLIENT_HANDSHAKE_TRAFFIC_SECRET */
    WHY_KL_SERVER_HS, /* SERVER_HANDSHAKE_TRAFFIC_SECRET */
    WHY_KL_CLIENT_AP, /* CLIENT_TRAFFIC_SECRET_0 */
    WHY_KL_SERVER_AP, /* SERVER_TRAFFIC_SECRET_0 */
    WHY_KL_TLS13_N,
};

/* Everything the key log holds for one client random. */
struct why_keylog_keys {
    bool has_master;                                   /* CLIENT_RANDOM line seen */
    uint8_t master[48];                                /* TLS 1.2 master secret */
    uint8_t len[WHY_KL_TLS13_N];                       /* 0 = absent, else 32 or 48 */
    uint8_t secret[WHY_KL_TLS13_N][WHY_KEYLOG_SECRET_MAX];
};

struct why_keylog_stats {
    uint64_t lines;              /* lines read */
    uint64_t used;               /* lines whose secret was kept */
    uint64_t comments;           /* '#' lines (and blank lines are not counted anywhere) */
    uint64_t unused;             /* well-formed lines not needed (EXPORTER_SECRET, RSA ...) */
    uint64_t ignored;            /* junk: unknown label, bad hex or length, line too long */
    uint64_t over_cap;           /* well-formed lines dropped at WHY_KEYLOG_MAX_ENTRIES */
    uint64_t first_ignored_line; /* 1-based line number of the first junk line, 0 if none */
    size_t entries;              /* distinct client randoms kept */
};

struct why_keylog;

/* Reads a key log file. 0 on success (even with junk lines: see the stats), -1 with a
 * one-line message in err when the file cannot be opened or read, or memory runs out. */
int why_keylog_load(const char *path, struct why_keylog **out, char *err, size_t errsize);
/* The same from memory (len bytes, need not be NUL-terminated). */
int why_keylog_parse(const char *text, size_t len, struct why_keylog **out, char *err,
                     size_t errsize);
void why_keylog_free(struct why_keylog *kl);
/* The client random of one key log line (len bytes, without its newline) that holds a
 * well-formed secret of a known label, as the loader reads it; false for anything else
 * (comments, RSA lines, junk). For copying the lines of chosen connections elsewhere. */
bool why_keylog_line_random(const char *s, size_t len, uint8_t cr[32]);

/* Copies the secrets known for a client random into *keys; false (keys zeroed) if none. */
bool why_keylog_find(const struct why_keylog *kl, const uint8_t client_random[32],
                     struct why_keylog_keys *keys);

void why_keylog_get_stats(const struct why_keylog *kl, struct why_keylog_stats *st);
/* Lines ignored with reason to warn: junk plus over the cap. */
uint64_t why_keylog_ignored(const struct why_keylog *kl);

#endif
