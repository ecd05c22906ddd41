/* TLS record layer: hellos (SNI, ALPN, versions), HRR, cleartext alerts, CCS and encrypted
 * records, HelloRequest, garbage, split records and gaps; the TLS handler's check of the
 * server's certificate, each connection on its own though the parse is kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "app/app.h"
#include "proto/tls.h"

/* ---- byte builder ---- */

struct buf {
    uint8_t b[40000];
    size_t n;
};

static void put8(struct buf *m, unsigned v)
{
    assert_true(m->n < sizeof m->b);
    m->b[m->n++] = (uint8_t)v;
}

static void put16(struct buf *m, unsigned v)
{
    put8(m, (v >> 8) & 0xFF);
    put8(m, v & 0xFF);
}

static void put24(struct buf *m, unsigned v)
{
    put8(m, (v >> 16) & 0xFF);
    put16(m, v & 0xFFFF);
}

static void putbytes(struct buf *m, const void *p, size_t n)
{
    assert_true(m->n + n <= sizeof m->b);
    memcpy(m->b + m->n, p, n);
    m->n += n;
}

static void putzero(struct buf *m, size_t n)
{
    assert_true(m->n + n <= sizeof m->b);
    memset(m->b + m->n, 0, n);
    m->n += n;
}

/* Fixes a 16-bit length at `at` to cover everything after it. */
static void fix16(struct buf *m, size_t at)
{
    size_t l = m->n - at - 2;
    m->b[at] = (uint8_t)(l >> 8);
    m->b[at + 1] = (uint8_t)l;
}

static void fix24(struct buf *m, size_t at)
{
    size_t l = m->n - at - 3;
    m->b[at] = (uint8_t)(l >> 16);
    m->b[at + 1] = (uint8_t)(l >> 8);
    m->b[at + 2] = (uint8_t)l;
}

static void record(struct buf *m, unsigned ctype, const struct buf *payload)
{
    put8(m, ctype);
    put16(m, 0x0303);
    put16(m, (unsigned)payload->n);
    putbytes(m, payload->b, payload->n);
}

static const uint8_t hrr_random[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
};

/* A ClientHello as a browser sends it: GREASE, SNI, ALPN h2 + http/1.1, versions 1.3 and 1.2. */
static void client_hello(struct buf *m)
{
    m->n = 0;
    put8(m, 1);
    size_t hl = m->n;
    put24(m, 0);
    put16(m, 0x0303);
    for (unsigned i = 0; i < 32; i++)
        put8(m, i);
    put8(m, 32);
    for (unsigned i = 0; i < 32; i++)
        put8(m, 0x80 + i);
    put16(m, 8);
    put16(m, 0x2A2A);
    put16(m, 0x1301);
    put16(m, 0x1302);
    put16(m, 0xC02F);
    put8(m, 1);
    put8(m, 0);
    size_t el = m->n;
    put16(m, 0);
    put16(m, 0x0A0A); /* GREASE extension */
    put16(m, 0);
    put16(m, 0); /* server_name */
    size_t sl = m->n;
    put16(m, 0);
    put16(m, 11);
    put8(m, 0);
    put16(m, 8);
    putbytes(m, "Shop.Lab", 8);
    fix16(m, sl);
    put16(m, 16); /* ALPN */
    size_t al = m->n;
    put16(m, 0);
    put16(m, 12);
    put8(m, 2);
    putbytes(m, "h2", 2);
    put8(m, 8);
    putbytes(m, "http/1.1", 8);
    fix16(m, al);
    put16(m, 43); /* supported_versions */
    put16(m, 7);
    put8(m, 6);
    put16(m, 0x3A3A);
    put16(m, 0x0304);
    put16(m, 0x0303);
    put16(m, 0xFF01); /* renegotiation_info */
    put16(m, 1);
    put8(m, 0);
    fix16(m, el);
    fix24(m, hl);
}

static void server_hello(struct buf *m, bool hrr, unsigned cipher, unsigned sv)
{
    m->n = 0;
    put8(m, 2);
    size_t hl = m->n;
    put24(m, 0);
    put16(m, 0x0303);
    if (hrr)
        putbytes(m, hrr_random, 32);
    else
        for (unsigned i = 0; i < 32; i++)
            put8(m, 0x40 + i);
    put8(m, 0);
    put16(m, cipher);
    put8(m, 0);
    size_t el = m->n;
    put16(m, 0);
    put16(m, 0xFF01);
    put16(m, 1);
    put8(m, 0);
    if (sv) {
        put16(m, 43);
        put16(m, 2);
        put16(m, sv);
    }
    fix16(m, el);
    fix24(m, hl);
}

/* ---- recorded callbacks ---- */

struct rec {
    uint8_t ctype;
    uint16_t version, len;
    bool enc;
};

struct seen {
    struct rec rec[64];
    int nrec;
    struct why_tls_hello hello[4];
    int nhello;
    uint8_t alert[8][2];
    int nalert;
    uint8_t hs_type[16];
    uint32_t hs_len[16];
    int nhs;
    int nerr;
};

static void on_record(void *ctx, uint8_t ctype, uint16_t version, uint16_t len, bool enc)
{
    struct seen *s = ctx;
    if (s->nrec < 64)
        s->rec[s->nrec] = (struct rec){ctype, version, len, enc};
    s->nrec++;
}

static void on_hello(void *ctx, const struct why_tls_hello *h)
{
    struct seen *s = ctx;
    if (s->nhello < 4)
        s->hello[s->nhello] = *h;
    s->nhello++;
}

static void on_alert(void *ctx, uint8_t level, uint8_t desc)
{
    struct seen *s = ctx;
    if (s->nalert < 8) {
        s->alert[s->nalert][0] = level;
        s->alert[s->nalert][1] = desc;
    }
    s->nalert++;
}

static void on_handshake(void *ctx, uint8_t type, uint32_t len)
{
    struct seen *s = ctx;
    if (s->nhs < 16) {
        s->hs_type[s->nhs] = type;
        s->hs_len[s->nhs] = len;
    }
    s->nhs++;
}

static void on_error(void *ctx)
{
    struct seen *s = ctx;
    s->nerr++;
}

static struct why_tls_cb cbs(struct seen *s)
{
    memset(s, 0, sizeof *s);
    return (struct why_tls_cb){s, on_record, on_hello, on_alert, on_handshake, on_error, NULL, NULL};
}

/* ---- tests ---- */

static void check_client_hello(const struct seen *s)
{
    assert_int_equal(s->nerr, 0);
    assert_int_equal(s->nrec, 1);
    assert_int_equal(s->rec[0].ctype, WHY_TLS_CT_HANDSHAKE);
    assert_false(s->rec[0].enc);
    assert_int_equal(s->nhello, 1);
    const struct why_tls_hello *h = &s->hello[0];
    assert_true(h->client);
    assert_int_equal(h->legacy_version, 0x0303);
    assert_int_equal(h->version, 0x0304);
    assert_string_equal(h->sni, "shop.lab");
    assert_string_equal(h->alpn, "h2");
    assert_false(h->hrr);
    assert_int_equal(s->nhs, 0);
}

static void client_hello_whole_and_bytewise(void **state)
{
    (void)state;
    struct buf hs, wire;
    client_hello(&hs);
    wire.n = 0;
    record(&wire, WHY_TLS_CT_HANDSHAKE, &hs);
    assert_true(why_tls_looks_like(wire.b, wire.n));

    struct seen s;
    struct why_tls_cb cb = cbs(&s);
    struct why_tls_stream st;
    why_tls_stream_init(&st);
    why_tls_stream_feed(&st, wire.b, wire.n, &cb);
    check_client_hello(&s);
    assert_int_equal(st.records, 1);
    why_tls_stream_fini(&st);

    cb = cbs(&s);
    why_tls_stream_init(&st);
    for (size_t i = 0; i < wire.n; i++)
        why_tls_stream_feed(&st, wire.b + i, 1, &cb);
    check_client_hello(&s);
    why_tls_stream_fini(&st);
    why_tls_stream_fini(&st); /* twice is harmless */

    /* the same message split over three records */
    wire.n = 0;
    struct buf part;
    size_t cut[4] = {0, 3, 60, hs.n};
    for (int i = 0; i < 3; i++) {
        part.n = 0;
        putbytes(&part, hs.b + cut[i], cut[i + 1] - cut[i]);
        record(&wire, WHY_TLS_CT_HANDSHAKE, &part);
    }
    cb = cbs(&s);
    why_tls_stream_init(&st);
    why_tls_stream_feed(&st, wire.b, wire.n, &cb);
    assert_int_equal(s.nrec, 3);
    assert_int_equal(s.nhello, 1);
    assert_string_equal(s.hello[0].sni, "shop.lab");
    why_tls_stream_fini(&st);

    /* no callbacks at all */
    struct why_tls_cb none = {NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    why_tls_stream_init(&st);
    why_tls_stream_feed(&st, wire.b, wire.n, &none);
    why_tls_stream_feed(&st, (const uint8_t *)"garbage!", 8, &none);
    assert_true(st.dead);
    why_tls_stream_fini(&st);
}

static void server_hello_tls12(void **state)
{
    (void)state;
    struct buf hs, payload, wire;
    server_hello(&hs, false, 0xC02F, 0);
    payload.n = 0;
    putbytes(&payload, hs.b, hs.n);
    put8(&payload, WHY_TLS_HS_CERTIFICATE); /* Certificate, 10 bytes */
    put24(&payload, 10);
    putzero(&payload, 10);
    put8(&payload, 14); /* ServerHelloDone */
    put24(&payload, 0);
    wire.n = 0;
    record(&wire, WHY_TLS_CT_HANDSHAKE, &payload);

    struct seen s;
    struct why_tls_cb cb = cbs(&s);
    struct why_tls_stream st;
    why_tls_stream_init(&st);
    why_tls_stream_feed(&st, wire.b, wire.n, &cb);
    assert_int_equal(s.nhello, 1);
    assert_false(s.hello[0].client);
    assert_int_equal(s.hello[0].version, 0x0303);
    assert_int_equal(s.hello[0].cipher, 0xC02F);
    assert_false(s.hello[0].hrr);
    assert_int_equal(s.nhs, 2);
    assert_int_equal(s.hs_type[0], WHY_TLS_HS_CERTIFICATE);
    assert_int_equal(s.hs_len[0], 10);
    assert_int_equal(s.hs_type[1], 14);
    assert_int_equal(s.hs_len[1], 0);
    why_tls_stream_fini(&st);
}

static void hello_retry_request(void **state)
{
    (void)state;
    struct buf hs, wire;
    server_hello(&hs, true, 0x1301, 0x0304);
    wire.n = 0;
    record(&wire, WHY_TLS_CT_HANDSHAKE, &hs);
    struct seen s;
    struct why_tls_cb cb = cbs(&s);
    struct why_tls_stream st;
    why_tls_stream_init(&st);
    why_tls_stream_feed(&st, wire.b, wire.n, &cb);
    assert_int_equal(s.nhello, 1);
    assert_true(s.hello[0].hrr);
    assert_int_equal(s.hello[0].version, 0x0304);
    assert_int_equal(s.hello[0].legacy_version, 0x0303);
    assert_int_equal(s.hello[0].cipher, 0x1301);
    why_tls_stream_fini(&st);
}

static void alerts_in_clear(void **state)
{
    (void)state;
    struct seen s;
    struct why_tls_cb cb = cbs(&s);
    struct why_tls_stream st;
    why_tls_stream_init(&st);
    const uint8_t whole[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28};
    why_tls_stream_feed(&st, whole, sizeof whole, &cb);
    assert_int_equal(s.nalert, 1);
    assert_int_equal(s.alert[0][0], 2);
    assert_int_equal(s.alert[0][1], 40);
    /* split across feeds */
    const uint8_t a1[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x01};
    const uint8_t a2[] = {0x00};
    why_tls_stream_feed(&st, a1, sizeof a1, &cb);
    assert_int_equal(s.nalert, 1);
    why_tls_stream_feed(&st, a2, sizeof a2, &cb);
    assert_int_equal(s.nalert, 2);
    assert_int_equal(s.alert[1][0], 1);
    assert_int_equal(s.alert[1][1], 0);
    /* split across records */
    const uint8_t r[] = {0x15, 0x03, 0x03, 0x00, 0x01, 0x02, 0x15, 0x03, 0x03, 0x00, 0x01, 0x70};
    why_tls_stream_feed(&st, r, sizeof r, &cb);
    assert_int_equal(s.nalert, 3);
    assert_int_equal(s.alert[2][0], 2);
    assert_int_equal(s.alert[2][1], 112);
    assert_int_equal(s.nerr, 0);
    assert_int_equal(st.records, 4);
    why_tls_stream_fini(&st);

    char buf[16];
    assert_string_equal(why_tls_alert_name(40, buf, sizeof buf), "handshake_failure");
    assert_string_equal(why_tls_alert_name(0, buf, sizeof buf), "close_notify");
    assert_string_equal(why_tls_alert_name(100, buf, sizeof buf), "no_renegotiation");
    assert_string_equal(why_tls_alert_name(120, buf, sizeof buf), "no_application_protocol");
    assert_string_equal(why_tls_alert_name(200, buf, sizeof buf), "alert_200");
}

static void ccs_then_encrypted(void **state)
{
    (void)state;
    struct seen s;
    struct why_tls_cb cb = cbs(&s);
    struct why_tls_stream st;
    why_tls_stream_init(&st);
    struct buf wire = {.n = 0}, p = {.n = 0};
    put8(&p, 1);
    record(&wire, WHY_TLS_CT_CCS, &p);
    p.n = 0;
    putzero(&p, 4); /* would read as a HelloRequest if it were parsed */
    putzero(&p, 28);
    record(&wire, WHY_TLS_CT_HANDSHAKE, &p);
    p.n = 0;
    put8(&p, 2);
    put8(&p, 40);
    record(&wire, WHY_TLS_CT_ALERT, &p); /* encrypted alert: not decoded */
    why_tls_stream_feed(&st, wire.b, wire.n, &cb);
    assert_int_equal(s.nrec, 3);
    assert_int_equal(s.rec[0].ctype, WHY_TLS_CT_CCS);
    assert_false(s.rec[0].enc);
    assert_int_equal(s.rec[1].ctype, WHY_TLS_CT_HANDSHAKE);
    assert_true(s.rec[1].enc);
    assert_int_equal(s.rec[1].len, 32);
    assert_int_equal(s.rec[1].version, 0x0303);
    assert_true(s.rec[2].enc);
    assert_int_equal(s.nhs, 0);
    assert_int_equal(s.nalert, 0);
    assert_true(st.encrypted);
    why_tls_stream_fini(&st);
}

static void hello_request(void **state)
{
    (void)state;
    struct seen s;
    struct why_tls_cb cb = cbs(&s);
    struct why_tls_stream st;
    why_tls_stream_init(&st);
    const uint8_t hr[] = {0x16, 0x03, 0x03, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00};
    why_tls_stream_feed(&st, hr, sizeof hr, &cb);
    assert_int_equal(s.nhs, 1);
    assert_int_equal(s.hs_type[0], WHY_TLS_HS_HELLO_REQUEST);
    assert_int_equal(s.hs_len[0], 0);
    assert_int_equal(s.nhello, 0);
    why_tls_stream_fini(&st);
}

static void garbage(void **state)
{
    (void)state;
    const char *get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_false(why_tls_looks_like((const uint8_t *)get, strlen(get)));
    assert_true(why_tls_looks_like((const uint8_t *)"\x16", 1));
    assert_true(why_tls_looks_like((const uint8_t *)"\x16\x03", 2));
    assert_false(why_tls_looks_like((const uint8_t *)"\x16\x02", 2));
    assert_false(why_tls_looks_like((const uint8_t *)"\x16\x03\x05", 3));
    assert_false(why_tls_looks_like((const uint8_t *)"\x18\x03\x03", 3));
    assert_false(why_tls_looks_like(NULL, 0));

    struct seen s;
    struct why_tls_cb cb = cbs(&s);
    struct why_tls_stream st;
    why_tls_stream_init(&st);
    why_tls_stream_feed(&st, (const uint8_t *)get, strlen(get), &cb);
    why_tls_stream_feed(&st, (const uint8_t *)get, strlen(get), &cb);
    assert_int_equal(s.nerr, 1);
    assert_int_equal(s.nrec, 0);
    assert_true(st.dead);
    why_tls_stream_fini(&st);

    /* a valid record then an oversized one */
    cb = cbs(&s);
    why_tls_stream_init(&st);
    const uint8_t r[] = {0x17, 0x03, 0x03, 0x00, 0x01, 0xAA, 0x17, 0x03, 0x03, 0x48, 0x01};
    why_tls_stream_feed(&st, r, sizeof r, &cb);
    assert_int_equal(s.nrec, 1);
    assert_int_equal(s.nerr, 1);
    why_tls_stream_fini(&st);

    /* heartbeat (24) is tolerated */
    cb = cbs(&s);
    why_tls_stream_init(&st);
    const uint8_t hb[] = {0x18, 0x03, 0x03, 0x00, 0x03, 1, 2, 3};
    why_tls_stream_feed(&st, hb, sizeof hb, &cb);
    assert_int_equal(s.nrec, 1);
    assert_int_equal(s.nerr, 0);
    why_tls_stream_fini(&st);
}

static void record_split(void **state)
{
    (void)state;
    struct seen s;
    struct why_tls_cb cb = cbs(&s);
    struct why_tls_stream st;
    why_tls_stream_init(&st);
    struct buf wire = {.n = 0}, p = {.n = 0};
    putzero(&p, 300);
    record(&wire, WHY_TLS_CT_APPDATA, &p);
    record(&wire, WHY_TLS_CT_APPDATA, &p);
    size_t cuts[] = {2, 4, 100, 306, 309, wire.n};
    size_t at = 0;
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        why_tls_stream_feed(&st, wire.b + at, cuts[i] - at, &cb);
        at = cuts[i];
    }
    assert_int_equal(s.nrec, 2);
    assert_int_equal(s.rec[0].len, 300);
    assert_int_equal(s.rec[1].len, 300);
    assert_int_equal(s.nerr, 0);
    assert_int_equal(st.rec_left, 0);
    why_tls_stream_fini(&st);
}

static void gaps(void **state)
{
    (void)state;
    struct seen s;
    struct why_tls_cb cb = cbs(&s);
    struct why_tls_stream st;
    /* inside an application data record */
    why_tls_stream_init(&st);
    struct buf wire = {.n = 0}, p = {.n = 0};
    putzero(&p, 256);
    record(&wire, WHY_TLS_CT_APPDATA, &p);
    const uint8_t alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x50};
    putbytes(&wire, alert, sizeof alert);
    why_tls_stream_feed(&st, wire.b, 15, &cb);
    why_tls_stream_gap(&st, 200);
    why_tls_stream_feed(&st, wire.b + 215, wire.n - 215, &cb);
    assert_int_equal(s.nrec, 2);
    assert_int_equal(s.nalert, 1);
    assert_int_equal(s.alert[0][1], 80);
    why_tls_stream_fini(&st);

    /* inside a Certificate: the message is dropped, the next one in the record is read */
    cb = cbs(&s);
    why_tls_stream_init(&st);
    wire.n = 0;
    p.n = 0;
    put8(&p, WHY_TLS_HS_CERTIFICATE);
    put24(&p, 100);
    putzero(&p, 100);
    put8(&p, 14);
    put24(&p, 0);
    record(&wire, WHY_TLS_CT_HANDSHAKE, &p);
    why_tls_stream_feed(&st, wire.b, 5 + 4 + 20, &cb);
    why_tls_stream_gap(&st, 30);
    why_tls_stream_feed(&st, wire.b + 59, wire.n - 59, &cb);
    assert_int_equal(s.nhs, 2);
    assert_int_equal(s.hs_type[1], 14);
    assert_false(st.dead);
    why_tls_stream_fini(&st);

    /* inside a ClientHello being accumulated: dropped, the next record is read */
    cb = cbs(&s);
    why_tls_stream_init(&st);
    struct buf hs;
    client_hello(&hs);
    wire.n = 0;
    record(&wire, WHY_TLS_CT_HANDSHAKE, &hs);
    size_t first = wire.n;
    const uint8_t hr[] = {0x16, 0x03, 0x03, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00};
    putbytes(&wire, hr, sizeof hr);
    why_tls_stream_feed(&st, wire.b, 50, &cb);
    why_tls_stream_gap(&st, 10);
    why_tls_stream_feed(&st, wire.b + 60, wire.n - 60, &cb);
    assert_int_equal(s.nhello, 0);
    assert_int_equal(s.nhs, 1);
    assert_int_equal(s.hs_type[0], WHY_TLS_HS_HELLO_REQUEST);
    assert_int_equal(s.nrec, 2);
    why_tls_stream_fini(&st);

    /* beyond the record: the stream stops, silently */
    cb = cbs(&s);
    why_tls_stream_init(&st);
    why_tls_stream_feed(&st, wire.b, 50, &cb);
    why_tls_stream_gap(&st, first);
    assert_true(st.dead);
    why_tls_stream_feed(&st, hr, sizeof hr, &cb);
    assert_int_equal(s.nrec, 1);
    assert_int_equal(s.nerr, 0);
    why_tls_stream_fini(&st);

    /* between records */
    why_tls_stream_init(&st);
    why_tls_stream_gap(&st, 1);
    assert_true(st.dead);
    why_tls_stream_fini(&st);
}

static void big_hello_skipped(void **state)
{
    (void)state;
    struct seen s;
    struct why_tls_cb cb = cbs(&s);
    struct why_tls_stream st;
    why_tls_stream_init(&st);
    struct buf *wire = calloc(1, sizeof *wire);
    struct buf *p = calloc(1, sizeof *p);
    assert_non_null(wire);
    assert_non_null(p);
    const uint32_t mlen = 17000;
    put8(p, WHY_TLS_HS_CLIENT_HELLO);
    put24(p, mlen);
    putzero(p, 16384 - 4);
    record(wire, WHY_TLS_CT_HANDSHAKE, p);
    p->n = 0;
    putzero(p, mlen + 4 - 16384);
    record(wire, WHY_TLS_CT_HANDSHAKE, p);
    const uint8_t hr[] = {0x16, 0x03, 0x03, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00};
    putbytes(wire, hr, sizeof hr);
    why_tls_stream_feed(&st, wire->b, wire->n, &cb);
    assert_int_equal(s.nerr, 0);
    assert_int_equal(s.nrec, 3);
    assert_int_equal(s.nhello, 0);
    assert_int_equal(s.nhs, 2);
    assert_int_equal(s.hs_type[0], WHY_TLS_HS_CLIENT_HELLO);
    assert_int_equal(s.hs_len[0], mlen);
    assert_int_equal(s.hs_type[1], WHY_TLS_HS_HELLO_REQUEST);
    why_tls_stream_fini(&st);

    /* a hello that does not parse is reported as a plain handshake message */
    cb = cbs(&s);
    why_tls_stream_init(&st);
    const uint8_t bad[] = {0x16, 0x03, 0x03, 0x00, 0x06, 0x02, 0x00, 0x00, 0x02, 0x03, 0x03};
    why_tls_stream_feed(&st, bad, sizeof bad, &cb);
    assert_int_equal(s.nhello, 0);
    assert_int_equal(s.nhs, 1);
    assert_int_equal(s.hs_type[0], WHY_TLS_HS_SERVER_HELLO);
    why_tls_stream_fini(&st);
    free(wire);
    free(p);
}

static void hostile_prefixes(void **state)
{
    (void)state;
    /* every truncation and every single-byte corruption of a ClientHello stays in bounds */
    struct buf hs, wire;
    client_hello(&hs);
    wire.n = 0;
    record(&wire, WHY_TLS_CT_HANDSHAKE, &hs);
    struct seen s;
    for (size_t i = 5; i < wire.n; i++) {
        for (unsigned v = 0; v < 256; v += 51) {
            uint8_t saved = wire.b[i];
            wire.b[i] = (uint8_t)v;
            struct why_tls_cb cb = cbs(&s);
            struct why_tls_stream st;
            why_tls_stream_init(&st);
            why_tls_stream_feed(&st, wire.b, wire.n, &cb);
            assert_true(s.nhello <= 1);
            if (s.nhello)
                assert_true(strlen(s.hello[0].sni) < sizeof s.hello[0].sni);
            why_tls_stream_fini(&st);
            wire.b[i] = saved;
        }
    }
}

/* ---- the handler's certificate check ---- */

/* A self-signed certificate for CN=shop.lab valid from t0 - 1 day to t0 + 1 day, as DER. */
static size_t make_cert(int64_t t0, uint8_t *out, size_t cap)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    assert_non_null(key);
    X509 *x = X509_new();
    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)(t0 - 86400));
    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)(t0 + 86400));
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"shop.lab", -1, -1, 0);
    X509_set_issuer_name(x, n);
    X509_set_pubkey(x, key);
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    int len = i2d_X509(x, NULL);
    assert_true(len > 0 && (size_t)len <= cap);
    uint8_t *p = out;
    i2d_X509(x, &p);
    X509_free(x);
    EVP_PKEY_free(key);
    return (size_t)len;
}

/* One connection's handshake through the TLS handler at time t: the client's hello naming sni
 * (8 letters), the server's hello and certificate; what the handler said of the certificate. */
static enum why_cert_problem handshake_at(const struct why_app_env *env, struct why_conn *c, int64_t t,
                                          const char *sni, const uint8_t *der, size_t dlen)
{
    struct why_conn_rec *rc = why_store_conn_new(env->st, c);
    assert_non_null(rc);
    rc->app = WHY_APP_TLS;
    assert_true(why_app_tls.open(env, rc));
    struct why_frame f = {0};
    f.num = c->id * 10;
    f.ts.sec = t;
    static struct buf m, w;
    client_hello(&m);
    uint8_t *at = memmem(m.b, m.n, "Shop.Lab", 8);
    assert_non_null(at);
    memcpy(at, sni, 8);
    w.n = 0;
    record(&w, 22, &m);
    why_app_tls.feed(env, rc, WHY_C2S, w.b, (uint32_t)w.n, &f);
    server_hello(&m, false, 0xC02F, 0);
    put8(&m, 11); /* the Certificate message after it */
    put24(&m, (unsigned)(dlen + 6));
    put24(&m, (unsigned)(dlen + 3));
    put24(&m, (unsigned)dlen);
    putbytes(&m, der, dlen);
    w.n = 0;
    record(&w, 22, &m);
    f.num++;
    why_app_tls.feed(env, rc, WHY_S2C, w.b, (uint32_t)w.n, &f);
    assert_non_null(rc->tls);
    assert_int_equal(rc->tls->cert_frame, f.num);
    enum why_cert_problem v = rc->tls->cert_problem;
    why_app_tls.close(env, rc, &f);
    why_app_tls.release(rc);
    return v;
}

/* The parse of a certificate is kept for the next connection that shows the same bytes; what
 * the check says is each connection's own: its packet time against the validity, its SNI
 * against the names (a cached verdict would say the first connection's of all of them). */
static void certificate_checked_per_connection(void **state)
{
    (void)state;
    struct why_summary sum = {0};
    struct why_gateways gw;
    char err[128];
    assert_int_equal(why_gw_parse(&gw, "198.19.0.1", err, sizeof err), 0);
    struct why_store st;
    assert_int_equal(why_store_init(&st, &sum, &gw, 2000000, NULL), 0);
    struct why_app_env env = {.st = &st, .gw = &gw, .sum = &sum};
    why_app_env_init(&env);
    env.certs = why_cert_cache_new();
    assert_non_null(env.certs);
    static uint8_t der[4096];
    int64_t t0 = 1700000000;
    size_t dlen = make_cert(t0, der, sizeof der);
    static struct why_conn c[5];
    static struct why_conn_more more[5];
    static struct why_conn_end ends[5];
    for (int i = 0; i < 5; i++) {
        c[i].id = (uint64_t)i + 1;
        assert_int_equal(why_addr_parse("198.19.0.1", &c[i].cli_addr), 0);
        assert_int_equal(why_addr_parse("198.19.0.10", &c[i].srv_addr), 0);
        c[i].cli_port = (uint16_t)(40000 + i);
        c[i].srv_port = 443;
        c[i].more = &more[i];
        c[i].miss = &why_conn_miss_none;
        why_conn_set_ends(&c[i], &ends[i]);
        c[i].first_ts.sec = t0;
    }
    assert_int_equal(handshake_at(&env, &c[0], t0, "Shop.Lab", der, dlen), WHY_CERT_OK);
    assert_int_equal(handshake_at(&env, &c[1], t0 + 2 * 86400, "Shop.Lab", der, dlen), WHY_CERT_EXPIRED);
    assert_int_equal(handshake_at(&env, &c[2], t0, "Shop.Lax", der, dlen), WHY_CERT_NAME_MISMATCH);
    assert_int_equal(handshake_at(&env, &c[3], t0 - 2 * 86400, "Shop.Lab", der, dlen), WHY_CERT_NOT_YET_VALID);
    assert_int_equal(handshake_at(&env, &c[4], t0, "Shop.Lab", der, dlen), WHY_CERT_OK);
    why_cert_cache_free(env.certs);
    why_store_fini(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(client_hello_whole_and_bytewise),
        cmocka_unit_test(server_hello_tls12),
        cmocka_unit_test(hello_retry_request),
        cmocka_unit_test(alerts_in_clear),
        cmocka_unit_test(ccs_then_encrypted),
        cmocka_unit_test(hello_request),
        cmocka_unit_test(garbage),
        cmocka_unit_test(record_split),
        cmocka_unit_test(gaps),
        cmocka_unit_test(big_hello_skipped),
        cmocka_unit_test(hostile_prefixes),
        cmocka_unit_test(certificate_checked_per_connection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
