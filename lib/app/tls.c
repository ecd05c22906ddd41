/* The TLS handler: facts about a connection's handshake seen without keys (RFC 5246, 8446):
 * hellos and SNI, ChangeCipherSpec, the renegotiation a TLS 1.2 server asks for after its
 * Finished (and what the client answered), the first alert, and the server's certificate
 * checked against packet time and the SNI (X.509, RFC 5280; names RFC 6125). With --keylog
 * the records are decrypted: HTTP inside goes to the HTTP handler (env->nested_feed), a
 * decrypted HelloRequest confirms a renegotiation, TLS 1.3 certificates become visible. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "app/app.h"
#include "proto/http1.h"
#include "proto/http2.h"
#include "proto/tls.h"
#include "util/cursor.h"

struct tls_ctx {
    const struct why_app_env *env;
    struct why_conn_rec *rc;
    int dir;
    const struct why_frame *f;
};

static void on_tls_record(void *ctx, uint8_t ctype, uint16_t version, uint16_t len, bool enc)
{
    struct tls_ctx *tc = ctx;
    struct why_conn_rec *rc = tc->rc;
    struct why_tls_facts *t = rc->tls;
    (void)version;
    if (ctype == WHY_TLS_CT_APPDATA) {
        t->appdata[tc->dir] = true;
        if (!(t->version == 0x0304 && len == 19))
            t->data_records[tc->dir]++;
    }
    if (ctype == WHY_TLS_CT_CCS) {
        if (rc->st.tls->dec && !enc)
            why_tlsdec_ccs(rc->st.tls->dec, tc->dir);
        t->ccs[tc->dir] = true;
    }
    /* TLS 1.2: after a side's ChangeCipherSpec its first encrypted handshake record is its
     * Finished; a further one from the server is a renegotiation request (HelloRequest, sent
     * by IIS after reading a request, before any answer), and a further one from the client
     * answers it (ClientHello). TLS 1.3 has no renegotiation and hides handshake records. */
    if (ctype == WHY_TLS_CT_HANDSHAKE && enc && t->version != 0x0304) {
        t->enc_hs[tc->dir]++;
        if (tc->dir == WHY_S2C && t->enc_hs[WHY_S2C] >= 2 && !t->reneg_frame) {
            t->reneg_frame = tc->f->num;
            t->reneg_ts = tc->f->ts;
            why_store_rec_list(tc->env->st, rc, WHY_LIST_RENEG);
        } else if (tc->dir == WHY_C2S && t->reneg_frame && t->enc_hs[WHY_C2S] >= 2 &&
                   !t->reneg_answered) {
            t->reneg_answered = true;
            t->reneg_renegotiated = true; /* a ClientHello back */
            t->reneg_answer_frame = tc->f->num;
        }
    }
    if (ctype == WHY_TLS_CT_ALERT && tc->dir == WHY_C2S && t->reneg_frame && !t->reneg_answered) {
        t->reneg_answered = true; /* e.g. no_renegotiation */
        t->reneg_answer_frame = tc->f->num;
    }
}

/* The ClientHello's 32 random bytes as a 64-bit key: mixed, so that a bucket's bits are not
 * the sender's to choose alone; never 0. */
static uint64_t hello_key(const uint8_t random[32])
{
    uint64_t h = 0x243f6a8885a308d3u;
    for (int i = 0; i < 4; i++) {
        uint64_t w;
        memcpy(&w, random + 8 * i, sizeof w);
        h = (h ^ w) * 0x9e3779b97f4a7c15u;
        h ^= h >> 29;
    }
    return h ? h : 1;
}

static void on_tls_hello(void *ctx, const struct why_tls_hello *h)
{
    struct tls_ctx *tc = ctx;
    struct why_conn_rec *rc = tc->rc;
    rc->tls->hello[tc->dir] = true;
    if (rc->st.tls->dec && h->client)
        why_tlsdec_client_hello(rc->st.tls->dec, h->random);
    else if (rc->st.tls->dec)
        why_tlsdec_server_hello(rc->st.tls->dec, h->random, h->version ? h->version : h->legacy_version,
                                h->cipher);
    if (h->client) {
        if (!rc->tls->hello_key) {
            rc->tls->hello_key = hello_key(h->random);
            why_store_hello_add(tc->env->st, rc);
        }
        if (h->sni[0] && strcmp(rc->tls->sni, h->sni) != 0 && !why_tls_facts_set(&rc->tls->sni, h->sni))
            tc->env->sum->oom++;
        snprintf(rc->tls->alpn_offered, sizeof rc->tls->alpn_offered, "%s", h->alpn);
    } else {
        if (rc->tls->hello_key && !rc->tls->passed_through && !rc->tls->front_told) {
            /* the server answered a ClientHello no other connection carried: it ends TLS
             * itself (a relay sends the ClientHello on before any answer can come back) */
            rc->tls->front_told = true;
            why_store_tls_front(tc->env->st, why_rec_conn(rc), false);
        }
        rc->tls->version = h->version ? h->version : h->legacy_version;
        snprintf(rc->tls->alpn, sizeof rc->tls->alpn, "%s", h->alpn);
    }
}

static void on_tls_alert(void *ctx, uint8_t level, uint8_t desc)
{
    struct tls_ctx *tc = ctx;
    struct why_tls_facts *t = tc->rc->tls;
    if (t->alert_frame)
        return;
    t->alert_frame = tc->f->num;
    t->alert_ts = tc->f->ts;
    t->alert_level = level;
    t->alert_desc = desc;
    t->alert_dir = tc->dir;
}

static void on_tls_handshake(void *ctx, uint8_t type, uint32_t len)
{
    struct tls_ctx *tc = ctx;
    (void)len;
    if (type == WHY_TLS_HS_HELLO_REQUEST && tc->dir == WHY_S2C && !tc->rc->tls->reneg_frame) {
        tc->rc->tls->reneg_frame = tc->f->num;
        tc->rc->tls->reneg_ts = tc->f->ts;
        why_store_rec_list(tc->env->st, tc->rc, WHY_LIST_RENEG);
    }
}

static void on_tls_error(void *ctx) { (void)ctx; }

static void asn1_time_text(const ASN1_TIME *t, char *buf, size_t size)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1 || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, size, "?");
}

/* The servers' certificates parsed last, by their bytes: a gateway's upstream connections
 * show the same few certificates over and over, and parsing one (d2i_X509) costs more than
 * the rest of the handshake's reading (tunnel bench: 16 % of all instructions). The checks
 * below still run for each connection on the parsed certificate, against its own packet
 * time and SNI. Direct-mapped by the bytes' hash; each entry holds its own copy of them. */
#define WHY_CERT_CACHE 16 /* entries (power of two) */

struct cert_entry {
    uint64_t h;
    size_t len;
    uint8_t *der;
    X509 *x;
};

struct why_cert_cache {
    struct cert_entry e[WHY_CERT_CACHE];
};

struct why_cert_cache *why_cert_cache_new(void) { return calloc(1, sizeof(struct why_cert_cache)); }

void why_cert_cache_free(struct why_cert_cache *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < WHY_CERT_CACHE; i++) {
        X509_free(k->e[i].x);
        free(k->e[i].der);
    }
    free(k);
}

/* The certificate der[0..len) parsed (its hash h), from the cache where it holds those bytes;
 * *owned: the caller frees it (no cache, or no room to keep it). NULL where it does not parse. */
static X509 *cert_parse(struct why_cert_cache *k, const uint8_t *der, size_t len, uint64_t h, bool *owned)
{
    *owned = true;
    struct cert_entry *e = k ? &k->e[h & (WHY_CERT_CACHE - 1)] : NULL;
    if (e && e->x && e->h == h && e->len == len && memcmp(e->der, der, len) == 0) {
        *owned = false;
        return e->x;
    }
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    uint8_t *copy = x && e ? malloc(len) : NULL; /* (x: len > 0) */
    if (!copy)
        return x;
    memcpy(copy, der, len);
    X509_free(e->x);
    free(e->der);
    e->h = h;
    e->len = len;
    e->der = copy;
    e->x = x;
    *owned = false;
    return x;
}

/* The server's certificate against packet time and the name the gateway asked for (SNI). */
static void check_cert(const struct why_app_env *env, struct why_conn_rec *rc, const struct why_frame *f,
                       const uint8_t *der, size_t len)
{
    struct why_tls_facts *t = rc->tls;
    if (t->cert_frame || len > 65536)
        return;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ der[i]) * 0x100000001b3ULL;
    bool owned;
    X509 *x = cert_parse(env->certs, der, len, h, &owned);
    if (!x)
        return;
    t->cert_frame = f->num;
    t->cert_ts = f->ts;
    t->cert_hash = h;
    time_t now = (time_t)f->ts.sec;
    char when[40], text[160]; /* (the text's bound: its ASN.1 time and a common name at most) */
    if (X509_cmp_time(X509_get0_notAfter(x), &now) < 0) {
        t->cert_problem = WHY_CERT_EXPIRED;
        asn1_time_text(X509_get0_notAfter(x), when, sizeof when);
        snprintf(text, sizeof text, "expired: not after %s", when);
    } else if (X509_cmp_time(X509_get0_notBefore(x), &now) > 0) {
        t->cert_problem = WHY_CERT_NOT_YET_VALID;
        asn1_time_text(X509_get0_notBefore(x), when, sizeof when);
        snprintf(text, sizeof text, "not valid before %s", when);
    } else if (t->sni[0] && X509_check_host(x, t->sni, strlen(t->sni), 0, NULL) != 1) {
        t->cert_problem = WHY_CERT_NAME_MISMATCH;
        char cn[96] = "";
        X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn);
        snprintf(text, sizeof text, "issued to %s, not %s", cn[0] ? cn : "?", t->sni);
    }
    if (t->cert_problem && !why_tls_facts_set(&t->cert_text, text))
        env->sum->oom++;
    if (owned)
        X509_free(x);
}

static void on_tls_certificate(void *ctx, const uint8_t *der, uint32_t len)
{
    struct tls_ctx *tc = ctx;
    if (tc->dir == WHY_S2C)
        check_cert(tc->env, tc->rc, tc->f, der, len);
}

/* --keylog: a whole record. Decrypted application data is HTTP parsed as in clear; a
 * decrypted HelloRequest confirms a renegotiation request by its type. What cannot be
 * decrypted is left to the diagnosis without keys. */
static void on_tls_body(void *ctx, uint8_t ctype, const uint8_t *body, uint32_t len)
{
    struct tls_ctx *tc = ctx;
    struct why_conn_rec *rc = tc->rc;
    const struct why_app_env *env = tc->env;
    uint8_t *plain = env->plain;
    if (!rc->st.tls->dec || !plain || ctype == WHY_TLS_CT_CCS)
        return; /* ChangeCipherSpec is never protected (it switched the keys on already) */
    bool was_enc = why_tlsdec_encrypted(rc->st.tls->dec, tc->dir);
    uint8_t inner = 0;
    int n = why_tlsdec_record(rc->st.tls->dec, tc->dir, ctype, body, len, plain, WHY_TLSDEC_OUT_MAX, &inner);
    if (n <= 0)
        return;
    if (inner == WHY_TLS_CT_HANDSHAKE && was_enc && tc->dir == WHY_S2C &&
        plain[0] == WHY_TLS_HS_HELLO_REQUEST && rc->tls->version != 0x0304) {
        rc->tls->reneg_confirmed = true;
        if (!rc->tls->reneg_frame) {
            rc->tls->reneg_frame = tc->f->num;
            rc->tls->reneg_ts = tc->f->ts;
            why_store_rec_list(env->st, rc, WHY_LIST_RENEG);
        }
        return;
    }
    if (inner == WHY_TLS_CT_HANDSHAKE && tc->dir == WHY_S2C && !rc->tls->cert_frame) {
        /* decrypted handshake messages (TLS 1.3 hides the certificate) */
        struct why_cur c = why_cur_make(plain, (size_t)n);
        while (why_cur_left(&c) >= 4) {
            uint8_t type = why_cur_u8(&c);
            uint32_t mlen = (uint32_t)why_cur_u8(&c) << 16;
            mlen |= why_cur_be16(&c);
            if (mlen > why_cur_left(&c))
                break; /* spans records: not followed */
            const uint8_t *der, *msg = why_cur_ptr(&c);
            size_t dlen;
            if (type == WHY_TLS_HS_CERTIFICATE &&
                why_tls_first_cert(msg, mlen, rc->tls->version == 0x0304, &der, &dlen))
                check_cert(env, rc, tc->f, der, dlen);
            why_cur_skip(&c, mlen);
        }
        return;
    }
    if (inner != WHY_TLS_CT_APPDATA)
        return;
    rc->tls->dec_data_records[tc->dir]++;
    bool h2_start = tc->dir == WHY_C2S ? n >= 4 && why_h2_looks_like_preface(plain, (size_t)n)
                                       : why_h2_looks_like_server_start(plain, (size_t)n);
    if (rc->st.h2 || (!rc->st.hreq && h2_start)) {
        /* ALPN h2: the client's first decrypted bytes are the HTTP/2 preface, or the server's
         * a SETTINGS frame (an h2 server does not wait for the client's preface) */
        if (!rc->st.h2 && !env->nested_open(env, rc, WHY_APP_H2))
            return;
        rc->dec_http = true;
        env->nested_feed(env, rc, WHY_APP_H2, tc->dir, plain, (uint32_t)n, tc->f);
        return;
    }
    if (!rc->st.hreq) {
        if (tc->dir != WHY_C2S || !why_http1_looks_like_request(plain, (size_t)n) ||
            !env->nested_open(env, rc, WHY_APP_HTTP))
            return;
        rc->dec_http = true;
    }
    env->nested_feed(env, rc, WHY_APP_HTTP, tc->dir, plain, (uint32_t)n, tc->f);
}

static bool probe(const struct why_conn *c, const uint8_t *d, uint32_t n)
{
    (void)c;
    return why_tls_looks_like(d, n);
}

/* rc's TLS part: allocated when TLS is first seen; NULL on out of memory (counted) */
static struct why_app_tls *tls_part(const struct why_app_env *env, struct why_conn_rec *rc)
{
    if (!rc->st.tls && !(rc->st.tls = calloc(1, sizeof *rc->st.tls)))
        env->sum->oom++;
    return rc->st.tls;
}

static bool tls_open(const struct why_app_env *env, struct why_conn_rec *rc)
{
    /* (the record streams start zeroed with the part: a CONNECT tunnel uses them too) */
    env->st->tls_opened++;
    why_store_tls_add(env->st, rc);
    if (env->keylog && tls_part(env, rc)) { /* --keylog: keep whole records for the decryptor */
        rc->st.tls->dec = why_tlsdec_new(env->keylog);
        rc->st.tls->s[0].keep_bodies = rc->st.tls->s[1].keep_bodies = rc->st.tls->dec != NULL;
    }
    return true;
}

static void tls_feed(const struct why_app_env *env, struct why_conn_rec *rc, enum why_dir dir,
                     const uint8_t *d, uint32_t n, const struct why_frame *f)
{
    if (!why_store_tls_facts(env->st, rc) || !tls_part(env, rc))
        return; /* out of memory (counted): the handshake is not followed */
    struct tls_ctx tc = {env, rc, dir, f};
    struct why_tls_cb cb = {&tc, on_tls_record, on_tls_hello, on_tls_alert, on_tls_handshake,
                            on_tls_error, on_tls_certificate, on_tls_body};
    why_tls_stream_feed(&rc->st.tls->s[dir], d, n, &cb);
}

static void tls_gap(const struct why_app_env *env, struct why_conn_rec *rc, enum why_dir dir,
                    uint32_t n, const struct why_frame *f)
{
    (void)f;
    if (tls_part(env, rc))
        why_tls_stream_gap(&rc->st.tls->s[dir], n);
}

static void tls_close(const struct why_app_env *env, struct why_conn_rec *rc, const struct why_frame *f)
{
    (void)f;
    if (!rc->st.tls)
        return;
    if (rc->st.tls->dec) {
        struct why_tlsdec_info info;
        why_tlsdec_get_info(rc->st.tls->dec, &info);
        if (info.decrypted)
            env->sum->tls_decrypted++;
        else
            env->sum->tls_keyless++;
    }
    why_tls_stream_fini(&rc->st.tls->s[0]);
    why_tls_stream_fini(&rc->st.tls->s[1]);
}

static void tls_release(struct why_conn_rec *rc)
{
    if (!rc->st.tls)
        return;
    why_tlsdec_free(rc->st.tls->dec);
    why_tls_stream_fini(&rc->st.tls->s[0]);
    why_tls_stream_fini(&rc->st.tls->s[1]);
    free(rc->st.tls);
    rc->st.tls = NULL;
}

const struct why_app_handler why_app_tls = {
    .name = "tls",
    .id = WHY_APP_TLS,
    .probe = probe,
    .open = tls_open,
    .feed = tls_feed,
    .gap = tls_gap,
    .close = tls_close,
    .release = tls_release,
};
