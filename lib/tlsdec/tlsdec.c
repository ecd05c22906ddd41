/* TLS record decryption: see tlsdec.h.
 * State per direction: `cur`, the keys records are opened with now, and `next`: in TLS 1.2
 * the keys the last ServerHello made, taken on at that direction's ChangeCipherSpec; in TLS
 * 1.3 the application keys, taken on after the direction's Finished (or when a record opens
 * only with them). Each epoch owns its cipher context, keyed once. TLS 1.2 handshakes are
 * numbered (gen): a ChangeCipherSpec installs `next` only if a newer ServerHello made it, so
 * repeats are harmless. Decrypted handshake data is scanned message by message (headers and
 * the first bytes of each body, whatever the record boundaries) for HelloRequest, the hellos
 * of a renegotiation, Finished and KeyUpdate.
 * Everything from the wire is bounded: record length against WHY_TLSDEC_REC_MAX and the
 * caller's buffer, every field read from plaintext against what was decrypted. */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "tlsdec/tlsdec.h"

enum { M_GCM, M_CHACHA, M_CBC };
enum { H_NONE, H_SHA1, H_SHA256, H_SHA384 };

#define TAG_LEN 16
#define AEAD_NONCE 12
#define CBC_BLOCK 16
#define HS_BODY_KEEP 80           /* body bytes kept per handshake message: a ServerHello's
                                     version, random, session id and cipher fit */

enum { HS_HELLO_REQUEST = 0, HS_CLIENT_HELLO = 1, HS_SERVER_HELLO = 2, HS_FINISHED = 20,
       HS_KEY_UPDATE = 24 };
enum { CT_CCS = 20, CT_ALERT = 21, CT_HANDSHAKE = 22, CT_APPDATA = 23 };

struct suite {
    uint16_t id;
    uint8_t tls13;
    uint8_t mode;
    uint8_t key_len;
    uint8_t mac;                  /* CBC MAC hash */
    uint8_t prf;                  /* TLS 1.2 PRF hash / TLS 1.3 HKDF hash */
};

/* IANA TLS cipher suite registry. */
static const struct suite suites[] = {
    {0x1301, 1, M_GCM, 16, H_NONE, H_SHA256},    /* TLS_AES_128_GCM_SHA256 */
    {0x1302, 1, M_GCM, 32, H_NONE, H_SHA384},    /* TLS_AES_256_GCM_SHA384 */
    {0x1303, 1, M_CHACHA, 32, H_NONE, H_SHA256}, /* TLS_CHACHA20_POLY1305_SHA256 */
    /* AES-GCM: RSA, DHE_RSA, DH_RSA, DHE_DSS, DH_DSS, DH_anon, PSK, DHE_PSK, RSA_PSK */
    {0x009C, 0, M_GCM, 16, H_NONE, H_SHA256}, {0x009D, 0, M_GCM, 32, H_NONE, H_SHA384},
    {0x009E, 0, M_GCM, 16, H_NONE, H_SHA256}, {0x009F, 0, M_GCM, 32, H_NONE, H_SHA384},
    {0x00A0, 0, M_GCM, 16, H_NONE, H_SHA256}, {0x00A1, 0, M_GCM, 32, H_NONE, H_SHA384},
    {0x00A2, 0, M_GCM, 16, H_NONE, H_SHA256}, {0x00A3, 0, M_GCM, 32, H_NONE, H_SHA384},
    {0x00A4, 0, M_GCM, 16, H_NONE, H_SHA256}, {0x00A5, 0, M_GCM, 32, H_NONE, H_SHA384},
    {0x00A6, 0, M_GCM, 16, H_NONE, H_SHA256}, {0x00A7, 0, M_GCM, 32, H_NONE, H_SHA384},
    {0x00A8, 0, M_GCM, 16, H_NONE, H_SHA256}, {0x00A9, 0, M_GCM, 32, H_NONE, H_SHA384},
    {0x00AA, 0, M_GCM, 16, H_NONE, H_SHA256}, {0x00AB, 0, M_GCM, 32, H_NONE, H_SHA384},
    {0x00AC, 0, M_GCM, 16, H_NONE, H_SHA256}, {0x00AD, 0, M_GCM, 32, H_NONE, H_SHA384},
    /* AES-GCM: ECDHE_ECDSA, ECDH_ECDSA, ECDHE_RSA, ECDH_RSA, ECDHE_PSK */
    {0xC02B, 0, M_GCM, 16, H_NONE, H_SHA256}, {0xC02C, 0, M_GCM, 32, H_NONE, H_SHA384},
    {0xC02D, 0, M_GCM, 16, H_NONE, H_SHA256}, {0xC02E, 0, M_GCM, 32, H_NONE, H_SHA384},
    {0xC02F, 0, M_GCM, 16, H_NONE, H_SHA256}, {0xC030, 0, M_GCM, 32, H_NONE, H_SHA384},
    {0xC031, 0, M_GCM, 16, H_NONE, H_SHA256}, {0xC032, 0, M_GCM, 32, H_NONE, H_SHA384},
    {0xD001, 0, M_GCM, 16, H_NONE, H_SHA256}, {0xD002, 0, M_GCM, 32, H_NONE, H_SHA384},
    /* ChaCha20-Poly1305 (RFC 7905) */
    {0xCCA8, 0, M_CHACHA, 32, H_NONE, H_SHA256}, {0xCCA9, 0, M_CHACHA, 32, H_NONE, H_SHA256},
    {0xCCAA, 0, M_CHACHA, 32, H_NONE, H_SHA256}, {0xCCAB, 0, M_CHACHA, 32, H_NONE, H_SHA256},
    {0xCCAC, 0, M_CHACHA, 32, H_NONE, H_SHA256}, {0xCCAD, 0, M_CHACHA, 32, H_NONE, H_SHA256},
    {0xCCAE, 0, M_CHACHA, 32, H_NONE, H_SHA256},
    /* AES-CBC with HMAC-SHA1 (PRF SHA-256 in TLS 1.2) */
    {0x002F, 0, M_CBC, 16, H_SHA1, H_SHA256}, {0x0030, 0, M_CBC, 16, H_SHA1, H_SHA256},
    {0x0031, 0, M_CBC, 16, H_SHA1, H_SHA256}, {0x0032, 0, M_CBC, 16, H_SHA1, H_SHA256},
    {0x0033, 0, M_CBC, 16, H_SHA1, H_SHA256}, {0x0034, 0, M_CBC, 16, H_SHA1, H_SHA256},
    {0x0035, 0, M_CBC, 32, H_SHA1, H_SHA256}, {0x0036, 0, M_CBC, 32, H_SHA1, H_SHA256},
    {0x0037, 0, M_CBC, 32, H_SHA1, H_SHA256}, {0x0038, 0, M_CBC, 32, H_SHA1, H_SHA256},
    {0x0039, 0, M_CBC, 32, H_SHA1, H_SHA256}, {0x003A, 0, M_CBC, 32, H_SHA1, H_SHA256},
    {0x008C, 0, M_CBC, 16, H_SHA1, H_SHA256}, {0x008D, 0, M_CBC, 32, H_SHA1, H_SHA256},
    {0x0090, 0, M_CBC, 16, H_SHA1, H_SHA256}, {0x0091, 0, M_CBC, 32, H_SHA1, H_SHA256},
    {0x0094, 0, M_CBC, 16, H_SHA1, H_SHA256}, {0x0095, 0, M_CBC, 32, H_SHA1, H_SHA256},
    {0xC004, 0, M_CBC, 16, H_SHA1, H_SHA256}, {0xC005, 0, M_CBC, 32, H_SHA1, H_SHA256},
    {0xC009, 0, M_CBC, 16, H_SHA1, H_SHA256}, {0xC00A, 0, M_CBC, 32, H_SHA1, H_SHA256},
    {0xC00E, 0, M_CBC, 16, H_SHA1, H_SHA256}, {0xC00F, 0, M_CBC, 32, H_SHA1, H_SHA256},
    {0xC013, 0, M_CBC, 16, H_SHA1, H_SHA256}, {0xC014, 0, M_CBC, 32, H_SHA1, H_SHA256},
    {0xC018, 0, M_CBC, 16, H_SHA1, H_SHA256}, {0xC019, 0, M_CBC, 32, H_SHA1, H_SHA256},
    {0xC035, 0, M_CBC, 16, H_SHA1, H_SHA256}, {0xC036, 0, M_CBC, 32, H_SHA1, H_SHA256},
    /* AES-CBC with HMAC-SHA256 */
    {0x003C, 0, M_CBC, 16, H_SHA256, H_SHA256}, {0x003D, 0, M_CBC, 32, H_SHA256, H_SHA256},
    {0x003E, 0, M_CBC, 16, H_SHA256, H_SHA256}, {0x003F, 0, M_CBC, 16, H_SHA256, H_SHA256},
    {0x0040, 0, M_CBC, 16, H_SHA256, H_SHA256}, {0x0067, 0, M_CBC, 16, H_SHA256, H_SHA256},
    {0x0068, 0, M_CBC, 32, H_SHA256, H_SHA256}, {0x0069, 0, M_CBC, 32, H_SHA256, H_SHA256},
    {0x006A, 0, M_CBC, 32, H_SHA256, H_SHA256}, {0x006B, 0, M_CBC, 32, H_SHA256, H_SHA256},
    {0x006C, 0, M_CBC, 16, H_SHA256, H_SHA256}, {0x006D, 0, M_CBC, 32, H_SHA256, H_SHA256},
    {0x00AE, 0, M_CBC, 16, H_SHA256, H_SHA256}, {0x00B2, 0, M_CBC, 16, H_SHA256, H_SHA256},
    {0x00B6, 0, M_CBC, 16, H_SHA256, H_SHA256}, {0xC023, 0, M_CBC, 16, H_SHA256, H_SHA256},
    {0xC025, 0, M_CBC, 16, H_SHA256, H_SHA256}, {0xC027, 0, M_CBC, 16, H_SHA256, H_SHA256},
    {0xC029, 0, M_CBC, 16, H_SHA256, H_SHA256}, {0xC037, 0, M_CBC, 16, H_SHA256, H_SHA256},
    /* AES-CBC with HMAC-SHA384 (PRF SHA-384) */
    {0x00AF, 0, M_CBC, 32, H_SHA384, H_SHA384}, {0x00B3, 0, M_CBC, 32, H_SHA384, H_SHA384},
    {0x00B7, 0, M_CBC, 32, H_SHA384, H_SHA384}, {0xC024, 0, M_CBC, 32, H_SHA384, H_SHA384},
    {0xC026, 0, M_CBC, 32, H_SHA384, H_SHA384}, {0xC028, 0, M_CBC, 32, H_SHA384, H_SHA384},
    {0xC02A, 0, M_CBC, 32, H_SHA384, H_SHA384}, {0xC038, 0, M_CBC, 32, H_SHA384, H_SHA384},
};

static const uint8_t hrr_random[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

struct epoch {
    const struct suite *s;        /* NULL: no keys, nothing opens */
    uint8_t key[32];
    uint8_t iv[AEAD_NONCE];       /* TLS 1.3 and ChaCha: nonce base; 1.2 GCM: 4-byte salt */
    uint8_t mac[48];              /* CBC MAC key */
    uint8_t secret[WHY_KEYLOG_SECRET_MAX]; /* TLS 1.3 traffic secret, for KeyUpdate */
    uint8_t secret_len;
    uint8_t etm;                  /* CBC: 0 not known yet, 1 MAC-then-encrypt, 2 EtM */
    uint64_t seq;
    uint64_t ok;                  /* records opened with these keys */
    EVP_CIPHER_CTX *ctx;          /* keyed on first use */
};

struct hs_track {                 /* decrypted handshake stream of one direction */
    uint8_t hdr[4];
    uint8_t hdr_len;
    uint32_t left;                /* body bytes of the current message still to come */
    uint8_t body[HS_BODY_KEEP];
    uint8_t body_len;
    bool finished;                /* seen in the current record */
    bool key_update;
};

struct dir_state {
    bool active;                  /* records are protected (1.3: those of type 23) */
    bool app;                     /* 1.3: application keys in cur */
    uint32_t gen;                 /* 1.2: handshake whose keys are in cur */
    struct epoch cur, next;
    struct hs_track hs;
};

struct why_tlsdec {
    const struct why_keylog *kl;
    uint8_t cr[32], sr[32];
    bool have_cr, have_sr;
    bool tls13;
    uint32_t gen;                 /* ServerHellos processed */
    struct dir_state dir[2];
    EVP_MAC *mac;                 /* HMAC, fetched for the first CBC record */
    EVP_MAC_CTX *macctx;
    int mac_h;                    /* digest set in macctx (H_NONE: none yet) */
    struct why_tlsdec_info info;
};

/* ---- primitives ---- */

static const struct suite *find_suite(uint16_t version, uint16_t cipher)
{
    if (version != 0x0303 && version != 0x0304)
        return NULL;
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
        if (suites[i].id == cipher && suites[i].tls13 == (version == 0x0304))
            return &suites[i];
    return NULL;
}

/* A non-const name, as OSSL_PARAM_construct_utf8_string wants (never written to). */
static char *md_name(int h)
{
    return h == H_SHA1 ? "SHA1" : h == H_SHA384 ? "SHA384" : "SHA256";
}

static size_t md_len(int h)
{
    return h == H_SHA1 ? 20 : h == H_SHA384 ? 48 : h == H_SHA256 ? 32 : 0;
}

static const EVP_CIPHER *cipher_of(const struct suite *s)
{
    switch (s->mode) {
    case M_GCM:
        return s->key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
    case M_CHACHA:
        return EVP_chacha20_poly1305();
    default:
        return s->key_len == 16 ? EVP_aes_128_cbc() : EVP_aes_256_cbc();
    }
}

/* HKDF-Expand-Label(secret, label, "", outlen) (RFC 8446 7.1). */
static bool hkdf_label(int h, const uint8_t *secret, size_t slen, const char *label,
                       uint8_t *out, size_t outlen)
{
    size_t ll = strlen(label);
    uint8_t info[4 + 6 + 16];
    if (ll > 16 || outlen > 255)
        return false;
    info[0] = 0;
    info[1] = (uint8_t)outlen;
    info[2] = (uint8_t)(6 + ll);
    memcpy(info + 3, "tls13 ", 6);
    memcpy(info + 9, label, ll);
    info[9 + ll] = 0;                         /* empty context */
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    if (!kdf)
        return false;
    EVP_KDF_CTX *kctx = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf);
    if (!kctx)
        return false;
    int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
    OSSL_PARAM p[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, md_name(h), 0),
        OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, slen),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, 10 + ll),
        OSSL_PARAM_construct_end(),
    };
    bool ok = EVP_KDF_derive(kctx, out, outlen, p) == 1;
    EVP_KDF_CTX_free(kctx);
    return ok;
}

/* TLS 1.2 key block: PRF(master, "key expansion", server_random + client_random). */
static bool prf12(int h, const uint8_t master[48], const uint8_t sr[32], const uint8_t cr[32],
                  uint8_t *out, size_t outlen)
{
    uint8_t seed[13 + 64];
    memcpy(seed, "key expansion", 13);
    memcpy(seed + 13, sr, 32);
    memcpy(seed + 45, cr, 32);
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
    if (!kdf)
        return false;
    EVP_KDF_CTX *kctx = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf);
    if (!kctx)
        return false;
    OSSL_PARAM p[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, md_name(h), 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)master, 48),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed, sizeof seed),
        OSSL_PARAM_construct_end(),
    };
    bool ok = EVP_KDF_derive(kctx, out, outlen, p) == 1;
    EVP_KDF_CTX_free(kctx);
    return ok;
}

static bool hmac(struct why_tlsdec *d, int h, const uint8_t *key, const uint8_t hdr[13],
                 const uint8_t *data, size_t n, uint8_t out[64])
{
    if (!d->mac && !(d->mac = EVP_MAC_fetch(NULL, "HMAC", NULL)))
        return false;
    if (!d->macctx && !(d->macctx = EVP_MAC_CTX_new(d->mac)))
        return false;
    OSSL_PARAM p[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, md_name(h), 0),
        OSSL_PARAM_construct_end(),
    };
    /* The digest is set (and fetched) only when it changes; the key every record. */
    bool set = d->mac_h != h;
    if (EVP_MAC_init(d->macctx, key, md_len(h), set ? p : NULL) != 1) {
        d->mac_h = H_NONE;
        return false;
    }
    d->mac_h = h;
    size_t outl = 0;
    return EVP_MAC_update(d->macctx, hdr, 13) == 1 &&
           (n == 0 || EVP_MAC_update(d->macctx, data, n) == 1) &&
           EVP_MAC_final(d->macctx, out, &outl, 64) == 1 && outl == md_len(h);
}

static void be64(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)v;
        v >>= 8;
    }
}

/* ---- epochs ---- */

static void epoch_clear(struct epoch *e)
{
    EVP_CIPHER_CTX_free(e->ctx);
    OPENSSL_cleanse(e, sizeof *e);
}

/* Moves src into dst (dst's keys are dropped), leaving src empty. */
static void epoch_move(struct epoch *dst, struct epoch *src)
{
    epoch_clear(dst);
    *dst = *src;
    OPENSSL_cleanse(src, sizeof *src);
}

static bool epoch_ctx(struct epoch *e)
{
    if (e->ctx)
        return true;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx)
        return false;
    bool ok = EVP_DecryptInit_ex(ctx, cipher_of(e->s), NULL, NULL, NULL) == 1 &&
              (e->s->mode == M_CBC ||
               EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, AEAD_NONCE, NULL) == 1) &&
              EVP_DecryptInit_ex(ctx, NULL, NULL, e->key, NULL) == 1;
    if (ok && e->s->mode == M_CBC)
        ok = EVP_CIPHER_CTX_set_padding(ctx, 0) == 1;
    if (!ok) {
        EVP_CIPHER_CTX_free(ctx);
        return false;
    }
    e->ctx = ctx;
    return true;
}

/* TLS 1.3 traffic keys from a traffic secret. */
static bool epoch_13(struct epoch *e, const struct suite *s, const uint8_t *secret, size_t slen)
{
    epoch_clear(e);
    if (!s || slen != md_len(s->prf) || slen > sizeof e->secret)
        return false;
    if (!hkdf_label(s->prf, secret, slen, "key", e->key, s->key_len) ||
        !hkdf_label(s->prf, secret, slen, "iv", e->iv, AEAD_NONCE)) {
        epoch_clear(e);
        return false;
    }
    memcpy(e->secret, secret, slen);
    e->secret_len = (uint8_t)slen;
    e->s = s;
    return true;
}

/* TLS 1.2: both directions' keys from the master secret. */
static bool epochs_12(struct epoch *c, struct epoch *sv, const struct suite *s,
                      const uint8_t master[48], const uint8_t sr[32], const uint8_t cr[32])
{
    epoch_clear(c);
    epoch_clear(sv);
    size_t ml = s->mode == M_CBC ? md_len(s->mac) : 0;
    size_t kl = s->key_len;
    size_t il = s->mode == M_GCM ? 4 : s->mode == M_CHACHA ? AEAD_NONCE : 0;
    uint8_t kb[2 * 48 + 2 * 32 + 2 * AEAD_NONCE];
    size_t need = 2 * (ml + kl + il);
    if (!prf12(s->prf, master, sr, cr, kb, need)) {
        OPENSSL_cleanse(kb, sizeof kb);
        return false;
    }
    memcpy(c->mac, kb, ml);
    memcpy(sv->mac, kb + ml, ml);
    memcpy(c->key, kb + 2 * ml, kl);
    memcpy(sv->key, kb + 2 * ml + kl, kl);
    memcpy(c->iv, kb + 2 * (ml + kl), il);
    memcpy(sv->iv, kb + 2 * (ml + kl) + il, il);
    OPENSSL_cleanse(kb, sizeof kb);
    c->s = sv->s = s;
    return true;
}

/* ---- opening records ---- */

static bool aead_open(EVP_CIPHER_CTX *ctx, const uint8_t nonce[AEAD_NONCE], const uint8_t *aad,
                      size_t aadlen, const uint8_t *ct, size_t ctlen, const uint8_t *tag,
                      uint8_t *out)
{
    uint8_t t[TAG_LEN];
    int outl = 0, fl = 0;
    memcpy(t, tag, TAG_LEN);
    if (EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, nonce) != 1 ||
        EVP_DecryptUpdate(ctx, NULL, &outl, aad, (int)aadlen) != 1)
        return false;
    outl = 0;
    if (ctlen > 0 && EVP_DecryptUpdate(ctx, out, &outl, ct, (int)ctlen) != 1)
        return false;
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, t) != 1 ||
        EVP_DecryptFinal_ex(ctx, out + outl, &fl) != 1)
        return false;
    return (size_t)outl + (size_t)fl == ctlen;
}

static bool cbc_decrypt(EVP_CIPHER_CTX *ctx, const uint8_t iv[CBC_BLOCK], const uint8_t *ct,
                        size_t ctlen, uint8_t *out)
{
    int outl = 0, fl = 0;
    if (EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, iv) != 1 ||
        EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
        EVP_DecryptUpdate(ctx, out, &outl, ct, (int)ctlen) != 1 ||
        EVP_DecryptFinal_ex(ctx, out + outl, &fl) != 1)
        return false;
    return (size_t)outl + (size_t)fl == ctlen;
}

/* TLS padding at the end of n decrypted bytes: the bytes it takes (pad + 1), or 0 if bad. */
static size_t cbc_pad(const uint8_t *p, size_t n)
{
    if (n == 0)
        return 0;
    size_t pad = p[n - 1];
    if (pad + 1 > n)
        return 0;
    for (size_t i = 0; i < pad; i++)
        if (p[n - 2 - i] != pad)
            return 0;
    return pad + 1;
}

static void mac_hdr(uint8_t hdr[13], uint64_t seq, uint8_t ctype, size_t len)
{
    be64(hdr, seq);
    hdr[8] = ctype;
    hdr[9] = 3;
    hdr[10] = 3;
    hdr[11] = (uint8_t)(len >> 8);
    hdr[12] = (uint8_t)len;
}

/* TLS 1.2 CBC, MAC-then-encrypt: IV | E(content | MAC | padding). */
static long cbc_mte(struct why_tlsdec *d, struct epoch *e, uint8_t ctype, const uint8_t *rec,
                    size_t len, uint8_t *out, size_t outsize)
{
    size_t ml = md_len(e->s->mac);
    if (len < 2 * CBC_BLOCK || (len - CBC_BLOCK) % CBC_BLOCK != 0 || len - CBC_BLOCK > outsize)
        return -1;
    size_t ctlen = len - CBC_BLOCK;
    if (!cbc_decrypt(e->ctx, rec, rec + CBC_BLOCK, ctlen, out))
        return -1;
    size_t padlen = cbc_pad(out, ctlen);
    if (padlen == 0 || padlen + ml > ctlen)
        return -1;
    size_t clen = ctlen - padlen - ml;
    uint8_t hdr[13], mac[64];
    mac_hdr(hdr, e->seq, ctype, clen);
    if (!hmac(d, e->s->mac, e->mac, hdr, out, clen, mac) || CRYPTO_memcmp(mac, out + clen, ml) != 0)
        return -1;
    return (long)clen;
}

/* TLS 1.2 CBC, encrypt-then-MAC (RFC 7366): IV | E(content | padding) | MAC. The MAC is
 * checked before decrypting, so a MAC-then-encrypt record fails here cheaply. */
static long cbc_etm(struct why_tlsdec *d, struct epoch *e, uint8_t ctype, const uint8_t *rec,
                    size_t len, uint8_t *out, size_t outsize)
{
    size_t ml = md_len(e->s->mac);
    if (len < 2 * CBC_BLOCK + ml || (len - ml - CBC_BLOCK) % CBC_BLOCK != 0)
        return -1;
    size_t enc = len - ml, ctlen = enc - CBC_BLOCK;
    uint8_t hdr[13], mac[64];
    mac_hdr(hdr, e->seq, ctype, enc);
    if (!hmac(d, e->s->mac, e->mac, hdr, rec, enc, mac) || CRYPTO_memcmp(mac, rec + enc, ml) != 0)
        return -1;
    if (ctlen > outsize || !cbc_decrypt(e->ctx, rec, rec + CBC_BLOCK, ctlen, out))
        return -1;
    size_t padlen = cbc_pad(out, ctlen);
    if (padlen == 0)
        return -1;
    return (long)(ctlen - padlen);
}

/* Opens one record with epoch e: the plaintext length (inner type in *inner), or -1.
 * Advances e->seq only on success. */
static long epoch_open(struct why_tlsdec *d, struct epoch *e, uint8_t ctype, const uint8_t *rec,
                       size_t len, uint8_t *out, size_t outsize, uint8_t *inner)
{
    if (!e->s || !epoch_ctx(e))
        return -1;
    uint8_t nonce[AEAD_NONCE], aad[13];
    long n = -1;
    if (e->s->tls13) {
        if (len < TAG_LEN + 1 || len - TAG_LEN > outsize)
            return -1;
        memcpy(nonce, e->iv, AEAD_NONCE);
        uint8_t sq[8];
        be64(sq, e->seq);
        for (int i = 0; i < 8; i++)
            nonce[4 + i] ^= sq[i];
        aad[0] = CT_APPDATA;
        aad[1] = 3;
        aad[2] = 3;
        aad[3] = (uint8_t)(len >> 8);
        aad[4] = (uint8_t)len;
        size_t ctlen = len - TAG_LEN;
        if (!aead_open(e->ctx, nonce, aad, 5, rec, ctlen, rec + ctlen, out))
            return -1;
        size_t m = ctlen;
        while (m > 0 && out[m - 1] == 0)
            m--;
        if (m == 0)
            return -1;                        /* no content type: unexpected_message */
        *inner = out[m - 1];
        n = (long)(m - 1);
    } else if (e->s->mode == M_GCM) {
        if (len < 8 + TAG_LEN || len - 8 - TAG_LEN > outsize)
            return -1;
        size_t ctlen = len - 8 - TAG_LEN;
        memcpy(nonce, e->iv, 4);
        memcpy(nonce + 4, rec, 8);
        mac_hdr(aad, e->seq, ctype, ctlen);
        if (!aead_open(e->ctx, nonce, aad, 13, rec + 8, ctlen, rec + 8 + ctlen, out))
            return -1;
        *inner = ctype;
        n = (long)ctlen;
    } else if (e->s->mode == M_CHACHA) {
        if (len < TAG_LEN || len - TAG_LEN > outsize)
            return -1;
        size_t ctlen = len - TAG_LEN;
        memcpy(nonce, e->iv, AEAD_NONCE);
        uint8_t sq[8];
        be64(sq, e->seq);
        for (int i = 0; i < 8; i++)
            nonce[4 + i] ^= sq[i];
        mac_hdr(aad, e->seq, ctype, ctlen);
        if (!aead_open(e->ctx, nonce, aad, 13, rec, ctlen, rec + ctlen, out))
            return -1;
        *inner = ctype;
        n = (long)ctlen;
    } else {
        if (e->etm != 1) {
            n = cbc_etm(d, e, ctype, rec, len, out, outsize);
            if (n >= 0)
                e->etm = 2;
        }
        if (n < 0 && e->etm != 2) {
            n = cbc_mte(d, e, ctype, rec, len, out, outsize);
            if (n >= 0)
                e->etm = 1;
        }
        if (n < 0)
            return -1;
        *inner = ctype;
    }
    e->seq++;
    e->ok++;
    return n;
}

/* ---- handshake state ---- */

static void hs_reset(struct hs_track *t)
{
    memset(t, 0, sizeof *t);
}

static void hello_server(struct why_tlsdec *d, const uint8_t random[32], uint16_t version,
                         uint16_t cipher)
{
    if (memcmp(random, hrr_random, 32) == 0)
        return;
    if (d->have_sr && memcmp(random, d->sr, 32) == 0 && d->info.version == version &&
        d->info.cipher == cipher)
        return;
    memcpy(d->sr, random, 32);
    d->have_sr = true;
    d->gen++;
    d->info.version = version;
    d->info.cipher = cipher;
    const struct suite *s = find_suite(version, cipher);
    d->info.suite_supported = s != NULL;
    struct why_keylog_keys k;
    bool found = d->have_cr && why_keylog_find(d->kl, d->cr, &k);
    if (!found)
        memset(&k, 0, sizeof k);
    d->tls13 = version == 0x0304;
    if (d->tls13) {
        d->info.keys_found = found && (k.len[WHY_KL_CLIENT_HS] || k.len[WHY_KL_SERVER_HS] ||
                                       k.len[WHY_KL_CLIENT_AP] || k.len[WHY_KL_SERVER_AP]);
        const int hs[2] = {WHY_KL_CLIENT_HS, WHY_KL_SERVER_HS};
        const int ap[2] = {WHY_KL_CLIENT_AP, WHY_KL_SERVER_AP};
        for (int i = 0; i < 2; i++) {
            struct dir_state *ds = &d->dir[i];
            epoch_13(&ds->cur, s, k.secret[hs[i]], k.len[hs[i]]);
            epoch_13(&ds->next, s, k.secret[ap[i]], k.len[ap[i]]);
            ds->active = true;
            ds->app = false;
            ds->gen = d->gen;
            hs_reset(&ds->hs);
        }
    } else {
        d->info.keys_found = found && k.has_master;
        epoch_clear(&d->dir[0].next);
        epoch_clear(&d->dir[1].next);
        if (s && k.has_master)
            epochs_12(&d->dir[0].next, &d->dir[1].next, s, k.master, d->sr, d->cr);
    }
    OPENSSL_cleanse(&k, sizeof k);
}

/* TLS 1.2: dir's ChangeCipherSpec takes on the keys of the last ServerHello, once. */
static void ccs_apply(struct why_tlsdec *d, int dir)
{
    struct dir_state *ds = &d->dir[dir];
    if (d->tls13 || (ds->active && ds->gen == d->gen))
        return;
    epoch_move(&ds->cur, &ds->next);
    ds->active = true;
    ds->gen = d->gen;
    hs_reset(&ds->hs);
}

static void hs_message(struct why_tlsdec *d, int dir)
{
    struct hs_track *t = &d->dir[dir].hs;
    const uint8_t *b = t->body;
    switch (t->hdr[0]) {
    case HS_HELLO_REQUEST:
        if (dir == 1)
            d->info.hello_requests++;
        break;
    case HS_CLIENT_HELLO:
        if (dir == 0) {
            d->info.encrypted_client_hellos++;
            if (!d->tls13 && t->body_len >= 34) {
                memcpy(d->cr, b + 2, 32);
                d->have_cr = true;
            }
        }
        break;
    case HS_SERVER_HELLO:
        if (dir == 1 && !d->tls13 && t->body_len >= 35) {
            size_t sid = b[34];
            if (sid <= 32 && t->body_len >= 35 + sid + 2) {
                uint16_t version = (uint16_t)(b[0] << 8 | b[1]);
                uint16_t cipher = (uint16_t)(b[35 + sid] << 8 | b[36 + sid]);
                hello_server(d, b + 2, version, cipher);
            }
        }
        break;
    case HS_FINISHED:
        t->finished = true;
        break;
    case HS_KEY_UPDATE:
        t->key_update = true;
        break;
    default:
        break;
    }
    t->hdr_len = 0;
    t->body_len = 0;
    t->left = 0;
}

static void hs_feed(struct why_tlsdec *d, int dir, const uint8_t *p, size_t n)
{
    struct hs_track *t = &d->dir[dir].hs;
    size_t i = 0;
    while (i < n) {
        if (t->hdr_len < 4) {
            t->hdr[t->hdr_len++] = p[i++];
            if (t->hdr_len == 4) {
                t->left = (uint32_t)t->hdr[1] << 16 | (uint32_t)t->hdr[2] << 8 | t->hdr[3];
                t->body_len = 0;
                if (t->left == 0)
                    hs_message(d, dir);
            }
            continue;
        }
        size_t take = n - i < t->left ? n - i : t->left;
        size_t room = sizeof t->body - t->body_len;
        size_t keep = take < room ? take : room;
        memcpy(t->body + t->body_len, p + i, keep);
        t->body_len = (uint8_t)(t->body_len + keep);
        i += take;
        t->left -= (uint32_t)take;
        if (t->left == 0)
            hs_message(d, dir);
    }
}

/* TLS 1.3 KeyUpdate: the next traffic secret, new keys, sequence from 0. */
static void key_update(struct why_tlsdec *d, struct epoch *e)
{
    if (!e->s || e->secret_len == 0) {
        epoch_clear(e);
        return;
    }
    const struct suite *s = e->s;
    uint8_t next[WHY_KEYLOG_SECRET_MAX];
    size_t sl = e->secret_len;
    if (hkdf_label(s->prf, e->secret, sl, "traffic upd", next, sl))
        epoch_13(e, s, next, sl);
    else
        epoch_clear(e);
    OPENSSL_cleanse(next, sizeof next);
    d->info.key_updates++;
}

/* ---- API ---- */

struct why_tlsdec *why_tlsdec_new(const struct why_keylog *kl)
{
    struct why_tlsdec *d = calloc(1, sizeof *d);
    if (d)
        d->kl = kl;
    return d;
}

void why_tlsdec_free(struct why_tlsdec *d)
{
    if (!d)
        return;
    for (int i = 0; i < 2; i++) {
        epoch_clear(&d->dir[i].cur);
        epoch_clear(&d->dir[i].next);
    }
    EVP_MAC_CTX_free(d->macctx);
    EVP_MAC_free(d->mac);
    OPENSSL_cleanse(d, sizeof *d);
    free(d);
}

void why_tlsdec_client_hello(struct why_tlsdec *d, const uint8_t random[32])
{
    if (!d || !random)
        return;
    memcpy(d->cr, random, 32);
    d->have_cr = true;
}

void why_tlsdec_server_hello(struct why_tlsdec *d, const uint8_t random[32], uint16_t version,
                             uint16_t cipher)
{
    if (!d || !random)
        return;
    hello_server(d, random, version, cipher);
}

void why_tlsdec_ccs(struct why_tlsdec *d, int dir)
{
    if (!d || (dir != 0 && dir != 1) || d->dir[dir].active)
        return;
    ccs_apply(d, dir);
}

int why_tlsdec_record(struct why_tlsdec *d, int dir, uint8_t ctype, const uint8_t *rec,
                      size_t len, uint8_t *out, size_t outsize, uint8_t *inner_ctype)
{
    if (!d || (dir != 0 && dir != 1) || (!rec && len > 0) || !out || !inner_ctype ||
        len > WHY_TLSDEC_REC_MAX)
        return -1;
    struct dir_state *ds = &d->dir[dir];
    bool prot = d->tls13 ? ds->active && ctype == CT_APPDATA : ds->active;
    if (!prot) {
        if (ctype == CT_APPDATA || len > outsize) {
            d->info.failed++;            /* application data is never cleartext */
            return -1;
        }
        if (len > 0)
            memcpy(out, rec, len);
        *inner_ctype = ctype;
        if (ctype == CT_CCS)
            why_tlsdec_ccs(d, dir);
        return (int)len;
    }
    uint8_t inner = 0;
    long n = epoch_open(d, &ds->cur, ctype, rec, len, out, outsize, &inner);
    if (n < 0 && d->tls13 && !ds->app && ds->next.s) {
        /* Finished missed (or not parsed): the application keys may open it. */
        n = epoch_open(d, &ds->next, ctype, rec, len, out, outsize, &inner);
        if (n >= 0) {
            epoch_move(&ds->cur, &ds->next);
            ds->app = true;
            hs_reset(&ds->hs);
        }
    }
    if (n < 0) {
        d->info.failed++;
        if (!d->tls13 || ds->cur.ok > 0)
            ds->cur.seq++;
        hs_reset(&ds->hs);
        return -1;
    }
    d->info.decrypted++;
    *inner_ctype = inner;
    if (inner == CT_HANDSHAKE)
        hs_feed(d, dir, out, (size_t)n);
    else if (inner == CT_CCS && !d->tls13)
        ccs_apply(d, dir);                 /* a renegotiation's ChangeCipherSpec */
    if (d->tls13) {
        if (ds->hs.finished && !ds->app) {
            epoch_move(&ds->cur, &ds->next);
            ds->app = true;
        }
        if (ds->hs.key_update && ds->app)
            key_update(d, &ds->cur);
    }
    ds->hs.finished = ds->hs.key_update = false;
    return (int)n;
}

bool why_tlsdec_encrypted(const struct why_tlsdec *d, int dir)
{
    return d && (dir == 0 || dir == 1) && d->dir[dir].active;
}

void why_tlsdec_get_info(const struct why_tlsdec *d, struct why_tlsdec_info *info)
{
    if (!info)
        return;
    memset(info, 0, sizeof *info);
    if (d)
        *info = d->info;
}

bool why_tlsdec_suite_supported(uint16_t version, uint16_t cipher)
{
    return find_suite(version, cipher) != NULL;
}
