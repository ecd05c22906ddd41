/* TLS record layer and cleartext handshake messages: see tls.h.
 * Record headers are assembled in s->hdr (they may arrive split across feeds). Payloads of
 * records sent after this direction's ChangeCipherSpec are skipped by length. Cleartext
 * handshake records carry messages (4-byte header) that may span records or share one; the
 * hellos are accumulated (up to WHY_TLS_HELLO_MAX bytes, header included) and parsed, any
 * other message - and a hello too big to keep - is reported at its header and skipped by
 * length. Cleartext alerts are two bytes that may be split across feeds or records.
 * The private state beyond the public fields lives in one lazily allocated block that
 * s->hs points to; a hello's bytes are kept in a buffer of its own size, allocated at its
 * header and freed once it is parsed, so that a connection held open after its hellos (a
 * client's hello unanswered, a tunnel idle after its handshake) keeps a few bytes, not the
 * 16 KiB of the largest hello (20,000 such connections took 370 MiB). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/tls.h"
#include "util/cursor.h"

#define TLS_REC_MAX (16384u + 2048u)
#define TLS_HS_HDR 4
#define TLS_EXT_SNI 0
#define TLS_EXT_ALPN 16
#define TLS_EXT_SUPPORTED_VERSIONS 43

struct tls_priv {
    uint8_t *msg;                   /* the hello being read: header + body (s->hs_len bytes of
                                       TLS_HS_HDR + its length), NULL until its header is read
                                       whole and after it is parsed */
    uint32_t skip;                  /* handshake bytes still to skip (message not kept) */
    uint8_t head[TLS_HS_HDR];       /* the current message's header (its first s->hs_len bytes
                                       while fewer than TLS_HS_HDR) */
    uint8_t alert[2];               /* partial alert */
    uint8_t alert_len;
};

static uint32_t head_len(const struct tls_priv *pv)
{
    return (uint32_t)pv->head[1] << 16 | (uint32_t)pv->head[2] << 8 | pv->head[3];
}

static const uint8_t hrr_random[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

static struct tls_priv *priv_get(struct why_tls_stream *s)
{
    if (!s->hs) {
        struct tls_priv *p = calloc(1, sizeof *p);
        if (!p)
            return NULL;
        s->hs = (uint8_t *)p;
        s->hs_len = 0;
    }
    return (struct tls_priv *)(void *)s->hs;
}

static void priv_free(struct why_tls_stream *s)
{
    if (s->hs)
        free(((struct tls_priv *)(void *)s->hs)->msg);
    free(s->hs);
    s->hs = NULL;
    s->hs_len = 0;
}

bool why_tls_looks_like(const uint8_t *data, size_t len)
{
    if (!data || len == 0)
        return false;
    if (data[0] < WHY_TLS_CT_CCS || data[0] > WHY_TLS_CT_APPDATA)
        return false;
    if (len >= 2 && data[1] != 3)
        return false;
    if (len >= 3 && data[2] > 4)
        return false;
    return true;
}

void why_tls_stream_init(struct why_tls_stream *s)
{
    memset(s, 0, sizeof *s);
}

void why_tls_stream_fini(struct why_tls_stream *s)
{
    if (!s)
        return;
    priv_free(s);
    free(s->body);
    s->body = NULL;
    s->body_len = 0;
}

/* keep_bodies: whole record bodies go to on_body at their end. */
static void body_bytes(struct why_tls_stream *s, const uint8_t *d, size_t n)
{
    if (!s->body) {
        s->body = malloc(TLS_REC_MAX);
        if (!s->body) {
            s->body_lost = true;
            return;
        }
    }
    if (s->body_len + n > TLS_REC_MAX) {
        s->body_lost = true;
        return;
    }
    memcpy(s->body + s->body_len, d, n);
    s->body_len += (uint32_t)n;
}

static void body_end(struct why_tls_stream *s, const struct why_tls_cb *cb)
{
    if (!s->body_lost && cb && cb->on_body)
        cb->on_body(cb->ctx, s->ctype, s->body ? s->body : (const uint8_t *)"", s->body_len);
    s->body_len = 0;
    s->body_lost = false;
}

/* ---- hello parsing ---- */

static bool is_grease(uint16_t v)
{
    return (v & 0x0F0F) == 0x0A0A && (v >> 8) == (v & 0xFF);
}

/* Copies a host name or protocol id: printable ASCII, others as '?'; lower-case if asked. */
static void copy_text(char *dst, size_t size, const uint8_t *src, size_t n, bool lower)
{
    if (size == 0)
        return;
    if (n > size - 1)
        n = size - 1;
    for (size_t i = 0; i < n; i++) {
        uint8_t b = src[i];
        if (b < 0x20 || b > 0x7E)
            b = '?';
        else if (lower && b >= 'A' && b <= 'Z')
            b = (uint8_t)(b + ('a' - 'A'));
        dst[i] = (char)b;
    }
    dst[n] = '\0';
}

static void ext_sni(struct why_cur *e, struct why_tls_hello *h)
{
    uint16_t list = why_cur_be16(e);
    struct why_cur l = why_cur_sub(e, list);
    while (why_cur_ok(&l) && why_cur_left(&l) >= 3) {
        uint8_t type = why_cur_u8(&l);
        uint16_t n = why_cur_be16(&l);
        struct why_cur name = why_cur_sub(&l, n);
        if (!why_cur_ok(&name))
            return;
        if (type == 0) {
            copy_text(h->sni, sizeof h->sni, why_cur_ptr(&name), n, true);
            return;
        }
    }
}

static void ext_alpn(struct why_cur *e, struct why_tls_hello *h)
{
    uint16_t list = why_cur_be16(e);
    struct why_cur l = why_cur_sub(e, list);
    uint8_t n = why_cur_u8(&l);
    struct why_cur proto = why_cur_sub(&l, n);
    if (why_cur_ok(&proto) && n > 0)
        copy_text(h->alpn, sizeof h->alpn, why_cur_ptr(&proto), n, false);
}

static void ext_versions(struct why_cur *e, struct why_tls_hello *h)
{
    if (!h->client) {
        uint16_t v = why_cur_be16(e);
        if (why_cur_ok(e))
            h->version = v;
        return;
    }
    uint8_t n = why_cur_u8(e);
    struct why_cur l = why_cur_sub(e, n);
    uint16_t best = 0;
    while (why_cur_ok(&l) && why_cur_left(&l) >= 2) {
        uint16_t v = why_cur_be16(&l);
        if (!is_grease(v) && v > best)
            best = v;
    }
    if (best)
        h->version = best;
}

static void parse_extensions(struct why_cur *c, struct why_tls_hello *h)
{
    if (why_cur_left(c) < 2)
        return; /* no extensions (allowed before TLS 1.3) */
    uint16_t total = why_cur_be16(c);
    struct why_cur all = why_cur_sub(c, total);
    while (why_cur_ok(&all) && why_cur_left(&all) >= 4) {
        uint16_t type = why_cur_be16(&all);
        uint16_t n = why_cur_be16(&all);
        struct why_cur e = why_cur_sub(&all, n);
        if (!why_cur_ok(&e))
            return;
        switch (type) {
        case TLS_EXT_SNI:
            if (h->client)
                ext_sni(&e, h);
            break;
        case TLS_EXT_ALPN: ext_alpn(&e, h); break;
        case TLS_EXT_SUPPORTED_VERSIONS: ext_versions(&e, h); break;
        default: break;
        }
    }
}

/* Parses a ClientHello/ServerHello body; false when the fixed part cannot be read. */
static bool parse_hello(const uint8_t *body, size_t n, bool client, struct why_tls_hello *h)
{
    memset(h, 0, sizeof *h);
    h->client = client;
    struct why_cur c = why_cur_make(body, n);
    h->legacy_version = why_cur_be16(&c);
    uint8_t random[32];
    why_cur_copy(&c, random, sizeof random);
    uint8_t sid = why_cur_u8(&c);
    if (sid > 32)
        return false;
    why_cur_skip(&c, sid);
    if (client) {
        uint16_t ciphers = why_cur_be16(&c);
        why_cur_skip(&c, ciphers);
        uint8_t comp = why_cur_u8(&c);
        why_cur_skip(&c, comp);
    } else {
        h->cipher = why_cur_be16(&c);
        why_cur_u8(&c); /* compression */
        h->hrr = memcmp(random, hrr_random, sizeof random) == 0;
    }
    memcpy(h->random, random, sizeof random);
    if (!why_cur_ok(&c))
        return false;
    parse_extensions(&c, h);
    if (!h->version)
        h->version = h->legacy_version;
    return true;
}

/* ---- handshake and alert payloads ---- */

bool why_tls_first_cert(const uint8_t *body, size_t len, bool tls13, const uint8_t **der,
                        size_t *der_len)
{
    struct why_cur c = why_cur_make(body, len);
    if (tls13)
        why_cur_skip(&c, why_cur_u8(&c)); /* certificate_request_context */
    uint32_t list = (uint32_t)why_cur_u8(&c) << 16;
    list |= why_cur_be16(&c);
    uint32_t clen = (uint32_t)why_cur_u8(&c) << 16;
    clen |= why_cur_be16(&c);
    if (!why_cur_ok(&c) || list < 3 || clen == 0 || clen > list - 3 || clen > why_cur_left(&c))
        return false;
    *der = why_cur_ptr(&c);
    *der_len = clen;
    return true;
}

static void hs_message(const uint8_t *m, uint32_t mlen, const struct why_tls_cb *cb)
{
    uint8_t type = m[0];
    if (type == WHY_TLS_HS_CERTIFICATE) {
        const uint8_t *der;
        size_t dlen;
        /* on_handshake was called when its header arrived */
        if (cb && cb->on_certificate && why_tls_first_cert(m + TLS_HS_HDR, mlen, false, &der, &dlen))
            cb->on_certificate(cb->ctx, der, (uint32_t)dlen);
        return;
    }
    struct why_tls_hello h;
    if (parse_hello(m + TLS_HS_HDR, mlen, type == WHY_TLS_HS_CLIENT_HELLO, &h)) {
        if (cb && cb->on_hello)
            cb->on_hello(cb->ctx, &h);
    } else if (cb && cb->on_handshake) {
        cb->on_handshake(cb->ctx, type, mlen); /* a hello that does not parse */
    }
}

static void hs_bytes(struct why_tls_stream *s, const uint8_t *p, size_t n,
                     const struct why_tls_cb *cb)
{
    struct tls_priv *pv = priv_get(s);
    if (!pv)
        return;
    while (n > 0) {
        if (pv->skip) {
            size_t take = n < pv->skip ? n : pv->skip;
            pv->skip -= (uint32_t)take;
            p += take;
            n -= take;
            continue;
        }
        if (s->hs_len < TLS_HS_HDR) {
            pv->head[s->hs_len++] = *p++;
            n--;
            if (s->hs_len < TLS_HS_HDR)
                continue;
            uint8_t type = pv->head[0];
            uint32_t mlen = head_len(pv);
            bool hello = type == WHY_TLS_HS_CLIENT_HELLO || type == WHY_TLS_HS_SERVER_HELLO ||
                         type == WHY_TLS_HS_CERTIFICATE; /* kept too: expiry and names */
            if (type == WHY_TLS_HS_CERTIFICATE && mlen <= WHY_TLS_HELLO_MAX - TLS_HS_HDR && cb &&
                cb->on_handshake)
                cb->on_handshake(cb->ctx, type, mlen); /* now: a gap may drop the body */
            if (hello && mlen > 0 && mlen <= WHY_TLS_HELLO_MAX - TLS_HS_HDR &&
                (pv->msg = malloc(TLS_HS_HDR + mlen)) != NULL) {
                memcpy(pv->msg, pv->head, TLS_HS_HDR);
            } else if (hello && mlen == 0) {
                hs_message(pv->head, 0, cb);
                s->hs_len = 0;
            } else { /* not a hello, too big to keep, or no memory for it: at its header */
                if (cb && cb->on_handshake && (type != WHY_TLS_HS_CERTIFICATE || mlen > WHY_TLS_HELLO_MAX - TLS_HS_HDR))
                    cb->on_handshake(cb->ctx, type, mlen);
                pv->skip = mlen;
                s->hs_len = 0;
            }
            continue;
        }
        uint32_t mlen = head_len(pv);
        uint32_t need = TLS_HS_HDR + mlen - s->hs_len;
        size_t take = n < need ? n : need;
        memcpy(pv->msg + s->hs_len, p, take);
        s->hs_len += (uint32_t)take;
        p += take;
        n -= take;
        if (s->hs_len == TLS_HS_HDR + mlen) {
            s->hs_len = 0;
            hs_message(pv->msg, mlen, cb);
            free(pv->msg);
            pv->msg = NULL;
        }
    }
}

static void alert_bytes(struct why_tls_stream *s, const uint8_t *p, size_t n,
                        const struct why_tls_cb *cb)
{
    /* the common case, a whole alert in one piece, needs no state */
    struct tls_priv *pv = s->hs ? (struct tls_priv *)(void *)s->hs : NULL;
    while (n > 0) {
        if ((!pv || pv->alert_len == 0) && n >= 2) {
            if (cb && cb->on_alert)
                cb->on_alert(cb->ctx, p[0], p[1]);
            p += 2;
            n -= 2;
            continue;
        }
        if (!pv && !(pv = priv_get(s)))
            return;
        pv->alert[pv->alert_len++] = *p++;
        n--;
        if (pv->alert_len == 2) {
            pv->alert_len = 0;
            if (cb && cb->on_alert)
                cb->on_alert(cb->ctx, pv->alert[0], pv->alert[1]);
        }
    }
}

/* ---- record layer ---- */

static void fail(struct why_tls_stream *s, const struct why_tls_cb *cb)
{
    s->dead = true;
    priv_free(s);
    if (cb && cb->on_error)
        cb->on_error(cb->ctx);
}

void why_tls_stream_feed(struct why_tls_stream *s, const uint8_t *data, size_t len,
                         const struct why_tls_cb *cb)
{
    if (!s || s->dead || !data)
        return;
    while (len > 0) {
        if (s->rec_left == 0) {
            /* a record header, possibly in pieces */
            size_t take = 5 - s->hdr_len;
            if (take > len)
                take = len;
            memcpy(s->hdr + s->hdr_len, data, take);
            s->hdr_len += (uint32_t)take;
            data += take;
            len -= take;
            if (s->hdr_len < 5)
                return;
            s->hdr_len = 0;
            uint8_t ctype = s->hdr[0];
            uint16_t version = (uint16_t)(s->hdr[1] << 8 | s->hdr[2]);
            uint16_t rlen = (uint16_t)(s->hdr[3] << 8 | s->hdr[4]);
            if (ctype < WHY_TLS_CT_CCS || ctype > 24 || s->hdr[1] != 3 || rlen > TLS_REC_MAX) {
                fail(s, cb);
                return;
            }
            s->records++;
            s->ctype = ctype;
            s->rec_left = rlen;
            bool enc = s->encrypted;
            if (cb && cb->on_record)
                cb->on_record(cb->ctx, ctype, version, rlen, enc);
            if (ctype == WHY_TLS_CT_CCS && !s->encrypted) {
                s->encrypted = true;
                priv_free(s); /* nothing in clear any more: the hello buffer goes */
            }
            if (s->keep_bodies && rlen == 0)
                body_end(s, cb);
            continue;
        }
        size_t take = len < s->rec_left ? len : s->rec_left;
        if (s->keep_bodies)
            body_bytes(s, data, take);
        if (!s->encrypted) {
            if (s->ctype == WHY_TLS_CT_HANDSHAKE)
                hs_bytes(s, data, take, cb);
            else if (s->ctype == WHY_TLS_CT_ALERT)
                alert_bytes(s, data, take, cb);
        }
        s->rec_left -= (uint32_t)take;
        data += take;
        len -= take;
        if (s->keep_bodies && s->rec_left == 0)
            body_end(s, cb);
    }
}

void why_tls_stream_gap(struct why_tls_stream *s, uint64_t n)
{
    if (!s || s->dead || n == 0)
        return;
    if (s->hdr_len > 0 || n > s->rec_left) {
        s->dead = true; /* record boundaries are lost */
        priv_free(s);
        return;
    }
    s->rec_left -= (uint32_t)n;
    s->body_lost = true; /* this record cannot be decrypted */
    if (s->rec_left == 0) {
        s->body_len = 0;
        s->body_lost = false;
    }
    if (s->encrypted || !s->hs)
        return;
    struct tls_priv *pv = (struct tls_priv *)(void *)s->hs;
    if (s->ctype == WHY_TLS_CT_ALERT) {
        pv->alert_len = 0; /* a split alert is lost */
        return;
    }
    if (s->ctype != WHY_TLS_CT_HANDSHAKE)
        return;
    /* The message being read is dropped. If the gap ends inside it, skip to its end;
     * otherwise where the next message starts is unknown: skip the rest of this record
     * and expect a message to start with the next one. */
    uint64_t remaining = 0; /* bytes of the current message after the gap's start */
    bool known = false;
    if (pv->skip) {
        remaining = pv->skip;
        known = true;
    } else if (s->hs_len >= TLS_HS_HDR) {
        remaining = (uint64_t)TLS_HS_HDR + head_len(pv) - s->hs_len;
        known = true;
    }
    s->hs_len = 0;
    free(pv->msg); /* (the message being read is dropped) */
    pv->msg = NULL;
    if (known && n <= remaining)
        pv->skip = (uint32_t)(remaining - n);
    else
        pv->skip = s->rec_left;
}

const char *why_tls_alert_name(uint8_t desc, char *buf, size_t size)
{
    switch (desc) {
    case 0: return "close_notify";
    case 10: return "unexpected_message";
    case 20: return "bad_record_mac";
    case 21: return "decryption_failed";
    case 22: return "record_overflow";
    case 30: return "decompression_failure";
    case 40: return "handshake_failure";
    case 41: return "no_certificate";
    case 42: return "bad_certificate";
    case 43: return "unsupported_certificate";
    case 44: return "certificate_revoked";
    case 45: return "certificate_expired";
    case 46: return "certificate_unknown";
    case 47: return "illegal_parameter";
    case 48: return "unknown_ca";
    case 49: return "access_denied";
    case 50: return "decode_error";
    case 51: return "decrypt_error";
    case 60: return "export_restriction";
    case 70: return "protocol_version";
    case 71: return "insufficient_security";
    case 80: return "internal_error";
    case 86: return "inappropriate_fallback";
    case 90: return "user_canceled";
    case 100: return "no_renegotiation";
    case 109: return "missing_extension";
    case 110: return "unsupported_extension";
    case 111: return "certificate_unobtainable";
    case 112: return "unrecognized_name";
    case 113: return "bad_certificate_status_response";
    case 114: return "bad_certificate_hash_value";
    case 115: return "unknown_psk_identity";
    case 116: return "certificate_required";
    case 120: return "no_application_protocol";
    case 121: return "ech_required";
    default: break;
    }
    if (!buf || size == 0)
        return "alert_?";
    snprintf(buf, size, "alert_%u", (unsigned)desc);
    return buf;
}
