/* HTTP/2 frames (whole-frame parser and its contract, flush against an unreadable page),
 * recognition, and connections fed whole and byte by byte: streams as transactions, RST_STREAM,
 * GOAWAY, gRPC trailers, SETTINGS and ACKs, PING, flow-control stalls, h2c upgrade, hostile
 * HPACK, caps, gaps. Header blocks are encoded with libnghttp2's deflater, frames from structs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>
#include <nghttp2/nghttp2.h>

#include "proto/http2.h"
#include "proto/http2_stream.h"
#include "why502/why502.h"

/* ---- building frames ---- */

struct frame_spec {
    uint8_t type, flags;
    uint32_t stream;
    const uint8_t *payload;
    size_t len;
    int32_t length_override; /* >= 0: the length field says this instead */
};

struct wire {
    uint8_t b[256 * 1024];
    size_t n;
};

static void put(struct wire *w, const void *p, size_t n)
{
    assert_true(w->n + n <= sizeof w->b);
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

static void put_frame(struct wire *w, const struct frame_spec *f)
{
    uint32_t len = f->length_override >= 0 ? (uint32_t)f->length_override : (uint32_t)f->len;
    uint8_t h[9] = {(uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len, f->type, f->flags,
                    (uint8_t)(f->stream >> 24), (uint8_t)(f->stream >> 16),
                    (uint8_t)(f->stream >> 8), (uint8_t)f->stream};
    put(w, h, 9);
    if (f->len)
        put(w, f->payload, f->len);
}

static void frame(struct wire *w, uint8_t type, uint8_t flags, uint32_t stream, const void *p,
                  size_t len)
{
    struct frame_spec f = {type, flags, stream, p, len, -1};
    put_frame(w, &f);
}

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static void settings(struct wire *w, const uint16_t *ids, const uint32_t *vals, size_t n)
{
    uint8_t p[64];
    assert_true(n * 6 <= sizeof p);
    for (size_t i = 0; i < n; i++) {
        p[i * 6] = (uint8_t)(ids[i] >> 8);
        p[i * 6 + 1] = (uint8_t)ids[i];
        be32(p + i * 6 + 2, vals[i]);
    }
    frame(w, WHY_H2_SETTINGS, 0, 0, p, n * 6);
}

static void u32_frame(struct wire *w, uint8_t type, uint32_t stream, uint32_t v)
{
    uint8_t p[4];
    be32(p, v);
    frame(w, type, 0, stream, p, 4);
}

static void goaway(struct wire *w, uint32_t last, uint32_t code, const char *debug)
{
    uint8_t p[64];
    be32(p, last);
    be32(p + 4, code);
    size_t dl = strlen(debug);
    memcpy(p + 8, debug, dl);
    frame(w, WHY_H2_GOAWAY, 0, 0, p, 8 + dl);
}

#define NV(n, v) {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1, NGHTTP2_NV_FLAG_NONE}

/* An HPACK block through the deflater of that side (its table follows the blocks). */
static size_t block(nghttp2_hd_deflater *def, const nghttp2_nv *nv, size_t n, uint8_t *out,
                    size_t size)
{
    ssize_t r = nghttp2_hd_deflate_hd(def, out, size, nv, n);
    assert_true(r >= 0);
    return (size_t)r;
}

static void headers(struct wire *w, nghttp2_hd_deflater *def, uint32_t stream, bool end_stream,
                    const nghttp2_nv *nv, size_t n)
{
    uint8_t b[4096];
    size_t bl = block(def, nv, n, b, sizeof b);
    frame(w, WHY_H2_HEADERS, (uint8_t)(WHY_H2_FLAG_END_HEADERS | (end_stream ? 1 : 0)), stream, b,
          bl);
}

static const char preface[] = WHY_H2_PREFACE;

/* ---- a recorder of connection callbacks ---- */

#define REC_MAX 300

struct rec_head {
    uint32_t id;
    bool tracked;
    enum why_h2_side from;
    enum why_h2_block kind;
    int status;
    char method[24], target[64], host[64], server[32], ctype[48];
    int64_t clen;
};

struct rec {
    int nhead, nend, nev;
    struct rec_head head[REC_MAX];
    struct why_h2_stream end[REC_MAX];
    struct why_h2_event ev[REC_MAX];
    char goaway_debug[WHY_H2_DEBUG_MAX + 1];
};


static void cpy(char *dst, size_t size, const char *src)
{
    size_t n = strnlen(src, size - 1);
    memcpy(dst, src, n);
    dst[n] = 0;
}

static void r_headers(void *ctx, const struct why_h2_stream *st, enum why_h2_side from,
                      enum why_h2_block kind, const struct why_http_head *h)
{
    struct rec *r = ctx;
    assert_int_equal(h->version_minor, 2);
    if (r->nhead < REC_MAX) {
        struct rec_head *x = &r->head[r->nhead];
        x->id = st ? st->id : 0;
        x->tracked = st != NULL;
        x->from = from;
        x->kind = kind;
        x->status = h->status;
        cpy(x->method, sizeof x->method, h->method);
        cpy(x->target, sizeof x->target, h->target);
        cpy(x->host, sizeof x->host, h->host);
        cpy(x->server, sizeof x->server, h->server);
        cpy(x->ctype, sizeof x->ctype, h->content_type);
        x->clen = h->content_length;
    }
    r->nhead++;
}

static void r_end(void *ctx, const struct why_h2_stream *st)
{
    struct rec *r = ctx;
    if (r->nend < REC_MAX)
        memcpy(&r->end[r->nend], st, sizeof *st);
    r->nend++;
}

static void r_event(void *ctx, const struct why_h2_event *ev)
{
    struct rec *r = ctx;
    if (ev->kind == WHY_H2_EV_GOAWAY)
        snprintf(r->goaway_debug, sizeof r->goaway_debug, "%.*s", (int)ev->debug_len,
                 (const char *)ev->debug);
    if (r->nev < REC_MAX) {
        r->ev[r->nev] = *ev;
        r->ev[r->nev].debug = NULL;
        r->ev[r->nev].settings = NULL;
    }
    r->nev++;
}

static struct why_h2_cb cbs(struct rec *r)
{
    memset(r, 0, sizeof *r);
    return (struct why_h2_cb){r, r_headers, r_end, r_event, NULL};
}

static int count_ev(const struct rec *r, enum why_h2_ev_kind k)
{
    int n = 0;
    for (int i = 0; i < r->nev && i < REC_MAX; i++)
        n += r->ev[i].kind == k;
    return n;
}

static const struct why_h2_event *find_ev(const struct rec *r, enum why_h2_ev_kind k, int nth)
{
    for (int i = 0; i < r->nev && i < REC_MAX; i++)
        if (r->ev[i].kind == k && nth-- == 0)
            return &r->ev[i];
    return NULL;
}

static int count_err(const struct rec *r, enum why_h2_err e)
{
    int n = 0;
    for (int i = 0; i < r->nev && i < REC_MAX; i++)
        n += r->ev[i].kind == WHY_H2_EV_ERROR && r->ev[i].err == e;
    return n;
}

static struct why_ts T(int64_t us) { return why_ts_add_us((struct why_ts){1700000000, 0, 0}, us); }

/* Feeds a side's bytes whole, or one byte per call (each byte its own packet). */
static void feed(struct why_h2_conn *c, enum why_h2_side s, const struct wire *w, bool bytewise,
                 int64_t at_us, uint64_t fno, const struct why_h2_cb *cb)
{
    if (!bytewise) {
        why_h2_conn_feed(c, s, w->b, w->n, T(at_us), fno, cb);
        return;
    }
    for (size_t i = 0; i < w->n; i++)
        why_h2_conn_feed(c, s, w->b + i, 1, T(at_us), fno, cb);
}

/* ---- whole frames ---- */

static void frame_parse_contract(void **state)
{
    (void)state;
    struct why_h2_frame f;
    struct wire *w = calloc(1, sizeof *w);
    assert_non_null(w);

    /* HEADERS, padded with priority: fixed fields, fragment and padding found */
    uint8_t hp[] = {3, 0x80, 0, 0, 7, 200, 0x82, 0x84, 0, 0, 0};
    frame(w, WHY_H2_HEADERS, WHY_H2_FLAG_PADDED | WHY_H2_FLAG_PRIORITY | WHY_H2_FLAG_END_HEADERS,
          5, hp, sizeof hp);
    int n = why_h2_frame_parse(w->b, w->n, 16384, &f);
    assert_int_equal(n, 9 + (int)sizeof hp);
    assert_int_equal(f.type, WHY_H2_HEADERS);
    assert_int_equal(f.stream_id, 5);
    assert_int_equal(f.pad_len, 3);
    assert_true(f.exclusive);
    assert_int_equal(f.dep_stream, 7);
    assert_int_equal(f.weight, 200);
    assert_int_equal(f.frag_len, 2);
    assert_memory_equal(f.frag, "\x82\x84", 2);
    /* every shorter prefix needs more */
    for (size_t k = 0; k < w->n; k++)
        assert_int_equal(why_h2_frame_parse(w->b, k, 16384, &f), 0);

    /* the reserved bit of the stream id is dropped; GOAWAY fields and debug data */
    w->n = 0;
    uint8_t ga[] = {0x80, 0, 0, 3, 0, 0, 0, 0xb, 'c', 'a', 'l', 'm'};
    frame(w, WHY_H2_GOAWAY, 0, 0, ga, sizeof ga);
    assert_int_equal(why_h2_frame_parse(w->b, w->n, 16384, &f), 9 + 12);
    assert_int_equal(f.last_stream_id, 3);
    assert_int_equal(f.error_code, WHY_H2_ENHANCE_YOUR_CALM);
    assert_int_equal(f.frag_len, 4);
    w->n = 0;
    uint8_t rs[] = {0x80, 0, 0, 1};
    uint8_t hd[9] = {0, 0, 4, WHY_H2_RST_STREAM, 0, 0x80, 0, 0, 9};
    put(w, hd, 9);
    put(w, rs, 4);
    assert_int_equal(why_h2_frame_parse(w->b, w->n, 16384, &f), 13);
    assert_int_equal(f.stream_id, 9);
    assert_int_equal(f.error_code, 0x80000001u);

    /* SETTINGS entries; PING; WINDOW_UPDATE */
    w->n = 0;
    uint16_t ids[] = {WHY_H2_SET_INITIAL_WINDOW_SIZE, WHY_H2_SET_MAX_FRAME_SIZE, 0x99};
    uint32_t vals[] = {1u << 20, 1u << 15, 7};
    settings(w, ids, vals, 3);
    assert_int_equal(why_h2_frame_parse(w->b, w->n, 16384, &f), 9 + 18);
    assert_int_equal(f.nsettings, 3);
    w->n = 0;
    frame(w, WHY_H2_PING, WHY_H2_FLAG_ACK, 0, "12345678", 8);
    assert_int_equal(why_h2_frame_parse(w->b, w->n, 16384, &f), 17);
    assert_memory_equal(f.opaque, "12345678", 8);
    w->n = 0;
    u32_frame(w, WHY_H2_WINDOW_UPDATE, 0, 0x80000010u);
    assert_int_equal(why_h2_frame_parse(w->b, w->n, 16384, &f), 13);
    assert_int_equal(f.increment, 0x10);

    /* faults */
    struct {
        struct frame_spec spec;
        uint32_t max;
        int want;
    } bad[] = {
        {{WHY_H2_RST_STREAM, 0, 1, (const uint8_t *)"\0\0\0", 3, -1}, 16384, WHY_H2_ERR_FRAME_SIZE},
        {{WHY_H2_PING, 0, 0, (const uint8_t *)"1234567", 7, -1}, 16384, WHY_H2_ERR_FRAME_SIZE},
        {{WHY_H2_SETTINGS, 0, 0, (const uint8_t *)"12345", 5, -1}, 16384, WHY_H2_ERR_FRAME_SIZE},
        {{WHY_H2_SETTINGS, 1, 0, (const uint8_t *)"123456", 6, -1}, 16384, WHY_H2_ERR_FRAME_SIZE},
        {{WHY_H2_SETTINGS, 0, 1, NULL, 0, -1}, 16384, WHY_H2_ERR_PROTOCOL},
        {{WHY_H2_DATA, 0, 0, (const uint8_t *)"x", 1, -1}, 16384, WHY_H2_ERR_PROTOCOL},
        {{WHY_H2_HEADERS, 4, 0, (const uint8_t *)"x", 1, -1}, 16384, WHY_H2_ERR_PROTOCOL},
        {{WHY_H2_DATA, WHY_H2_FLAG_PADDED, 1, (const uint8_t *)"\x05xy", 3, -1}, 16384,
         WHY_H2_ERR_PROTOCOL},
        {{WHY_H2_DATA, WHY_H2_FLAG_PADDED, 1, NULL, 0, -1}, 16384, WHY_H2_ERR_FRAME_SIZE},
        {{WHY_H2_WINDOW_UPDATE, 0, 3, (const uint8_t *)"\0\0\0\0", 4, -1}, 16384,
         WHY_H2_ERR_PROTOCOL},
        {{WHY_H2_PRIORITY, 0, 3, (const uint8_t *)"\0\0\0\3\1", 5, -1}, 16384,
         WHY_H2_ERR_PROTOCOL},
        {{WHY_H2_SETTINGS, 0, 0, (const uint8_t *)"\0\2\0\0\0\2", 6, -1}, 16384,
         WHY_H2_ERR_PROTOCOL},
        {{WHY_H2_SETTINGS, 0, 0, (const uint8_t *)"\0\4\x80\0\0\0", 6, -1}, 16384,
         WHY_H2_ERR_FLOW},
        {{WHY_H2_SETTINGS, 0, 0, (const uint8_t *)"\0\5\0\0\0\1", 6, -1}, 16384,
         WHY_H2_ERR_PROTOCOL},
        {{WHY_H2_PUSH_PROMISE, 4, 1, (const uint8_t *)"\0\0\0\3", 4, -1}, 16384,
         WHY_H2_ERR_PROTOCOL},
        {{WHY_H2_DATA, 0, 1, NULL, 0, 20000}, 16384, WHY_H2_ERR_FRAME_SIZE},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        w->n = 0;
        put_frame(w, &bad[i].spec);
        if (bad[i].spec.length_override >= 0) /* claims more than is there: the head decides */
            assert_int_equal(why_h2_frame_parse(w->b, w->n, bad[i].max, &f), bad[i].want);
        else
            assert_int_equal(why_h2_frame_parse(w->b, w->n, bad[i].max, &f), bad[i].want);
    }
    /* an extension frame type is a frame like any other */
    w->n = 0;
    frame(w, 0xfa, 0xff, 3, "abc", 3);
    assert_int_equal(why_h2_frame_parse(w->b, w->n, 16384, &f), 12);
    assert_int_equal(why_h2_frame_parse(NULL, 0, 16384, &f), 0);
    free(w);
}

/* Each prefix of frames placed flush against a PROT_NONE page: a read past the end faults. */
static void frame_parse_flush(void **state)
{
    (void)state;
    long pg = sysconf(_SC_PAGESIZE);
    uint8_t *map = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                        -1, 0);
    assert_true(map != MAP_FAILED);
    assert_int_equal(mprotect(map + pg, (size_t)pg, PROT_NONE), 0);
    struct wire *w = calloc(1, sizeof *w);
    assert_non_null(w);
    uint8_t hp[] = {3, 0x80, 0, 0, 7, 200, 0x82, 0x84, 0, 0, 0};
    frame(w, WHY_H2_HEADERS, WHY_H2_FLAG_PADDED | WHY_H2_FLAG_PRIORITY, 5, hp, sizeof hp);
    frame(w, WHY_H2_GOAWAY, 0, 0, "\0\0\0\1\0\0\0\0dbg", 11);
    uint16_t ids[] = {1, 4};
    uint32_t vals[] = {0, 1};
    settings(w, ids, vals, 2);
    frame(w, WHY_H2_PING, 0, 0, "abcdefgh", 8);
    frame(w, WHY_H2_PUSH_PROMISE, WHY_H2_FLAG_PADDED, 1, "\1\0\0\0\2\x82\0", 7);
    size_t off = 0;
    while (off < w->n) {
        struct why_h2_frame f;
        int whole = why_h2_frame_parse(w->b + off, w->n - off, 16384, &f);
        assert_true(whole > 0);
        for (size_t k = 0; k <= (size_t)whole; k++) {
            uint8_t *at = map + pg - k;
            memcpy(at, w->b + off, k);
            int r = why_h2_frame_parse(at, k, 16384, &f);
            assert_int_equal(r, k == (size_t)whole ? whole : 0);
            why_h2_looks_like_preface(at, k);
            why_h2_looks_like_server_start(at, k);
            why_h2_upgrade_h2c(at, k, NULL, NULL);
        }
        off += (size_t)whole;
    }
    free(w);
    munmap(map, (size_t)pg * 2);
}

static void recognition(void **state)
{
    (void)state;
    const uint8_t *p = (const uint8_t *)preface;
    for (size_t k = 1; k <= WHY_H2_PREFACE_LEN; k++)
        assert_true(why_h2_looks_like_preface(p, k));
    assert_false(why_h2_looks_like_preface((const uint8_t *)"PRI * HTTP/1.1", 14));
    assert_false(why_h2_looks_like_preface((const uint8_t *)"GET / HTTP/1.1", 14));
    assert_false(why_h2_looks_like_preface(NULL, 0));

    uint8_t srv[] = {0, 0, 18, 4, 0, 0, 0, 0, 0};
    for (size_t k = 1; k <= sizeof srv; k++)
        assert_true(why_h2_looks_like_server_start(srv, k));
    uint8_t ack[] = {0, 0, 0, 4, 1, 0, 0, 0, 0};
    assert_false(why_h2_looks_like_server_start(ack, sizeof ack));
    uint8_t odd[] = {0, 0, 7, 4, 0, 0, 0, 0, 0};
    assert_false(why_h2_looks_like_server_start(odd, sizeof odd));
    uint8_t onstream[] = {0, 0, 6, 4, 0, 0, 0, 0, 1};
    assert_false(why_h2_looks_like_server_start(onstream, sizeof onstream));
    assert_false(why_h2_looks_like_server_start((const uint8_t *)"HTTP/1.1 400", 12));
    assert_false(why_h2_looks_like_server_start((const uint8_t *)"\x16\x03\x03", 3));

    const char *up = "GET /x HTTP/1.1\r\nHost: h2.lab\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                     "Upgrade: websocket, H2C\r\nHTTP2-Settings:  AAMAAABkAAQAoAAAAAIAAAAA \r\n\r\n";
    const uint8_t *s = NULL;
    size_t sl = 0;
    assert_true(why_h2_upgrade_h2c((const uint8_t *)up, strlen(up), &s, &sl));
    assert_int_equal(sl, 24);
    assert_memory_equal(s, "AAMAAABkAAQAoAAAAAIAAAAA", 24);
    const char *ws = "GET /x HTTP/1.1\r\nUpgrade: websocket\r\nX-Upgrade: h2c\r\n\r\nUpgrade: h2c";
    assert_false(why_h2_upgrade_h2c((const uint8_t *)ws, strlen(ws), &s, &sl));
    assert_null(s);
    const char *h2 = "GET /x HTTP/1.1\r\nUpgrade: h2\r\n\r\n"; /* h2 is TLS-only: not h2c */
    assert_false(why_h2_upgrade_h2c((const uint8_t *)h2, strlen(h2), NULL, NULL));

    char buf[16];
    assert_string_equal(why_h2_error_name(WHY_H2_REFUSED_STREAM, buf, sizeof buf), "REFUSED_STREAM");
    assert_string_equal(why_h2_error_name(0x1f, buf, sizeof buf), "0x1f");
    assert_string_equal(why_h2_type_name(WHY_H2_GOAWAY, buf, sizeof buf), "GOAWAY");
    assert_string_equal(why_h2_type_name(0xfa, buf, sizeof buf), "TYPE250");
}

/* ---- a connection ---- */

struct convo {
    struct wire c1, s1, c2, s2, c3;
};

/* The usual exchange: preface and SETTINGS both ways, ACKs, two GETs, a 200 with a body over
 * CONTINUATION and padding, a 404, a POST with trailers; then PING. */
static void build_convo(struct convo *v)
{
    nghttp2_hd_deflater *cd, *sd;
    assert_int_equal(nghttp2_hd_deflate_new(&cd, 4096), 0);
    assert_int_equal(nghttp2_hd_deflate_new(&sd, 4096), 0);
    memset(v, 0, sizeof *v);
    put(&v->c1, preface, WHY_H2_PREFACE_LEN);
    uint16_t cid[] = {WHY_H2_SET_ENABLE_PUSH, WHY_H2_SET_INITIAL_WINDOW_SIZE};
    uint32_t cv[] = {0, 6291456};
    settings(&v->c1, cid, cv, 2);
    u32_frame(&v->c1, WHY_H2_WINDOW_UPDATE, 0, 15663105);
    nghttp2_nv r1[] = {NV(":method", "GET"), NV(":scheme", "https"), NV(":authority", "h2.lab"),
                       NV(":path", "/index.html"), NV("user-agent", "curl/7.88")};
    headers(&v->c1, cd, 1, true, r1, 5);
    nghttp2_nv r3[] = {NV(":method", "GET"), NV(":scheme", "https"), NV(":authority", "h2.lab"),
                       NV(":path", "/missing"), NV("user-agent", "curl/7.88")};
    headers(&v->c1, cd, 3, true, r3, 5);

    uint16_t sid[] = {WHY_H2_SET_MAX_CONCURRENT_STREAMS, WHY_H2_SET_INITIAL_WINDOW_SIZE};
    uint32_t sv[] = {128, 65536};
    settings(&v->s1, sid, sv, 2);
    frame(&v->s1, WHY_H2_SETTINGS, WHY_H2_FLAG_ACK, 0, NULL, 0);
    /* the 200: a block split over HEADERS (padded) and CONTINUATION */
    nghttp2_nv a1[] = {NV(":status", "200"), NV("server", "nginx/1.22.1"),
                       NV("content-type", "text/html"), NV("content-length", "5")};
    uint8_t b[512], pl[600];
    size_t bl = block(sd, a1, 4, b, sizeof b);
    size_t cut = bl / 2;
    pl[0] = 4; /* pad length */
    memcpy(pl + 1, b, cut);
    memset(pl + 1 + cut, 0, 4);
    frame(&v->s1, WHY_H2_HEADERS, WHY_H2_FLAG_PADDED, 1, pl, 1 + cut + 4);
    frame(&v->s1, WHY_H2_CONTINUATION, WHY_H2_FLAG_END_HEADERS, 1, b + cut, bl - cut);
    frame(&v->s1, WHY_H2_DATA, WHY_H2_FLAG_END_STREAM, 1, "hello", 5);
    nghttp2_nv a3[] = {NV(":status", "404"), NV("server", "nginx/1.22.1")};
    headers(&v->s1, sd, 3, true, a3, 2);

    frame(&v->c2, WHY_H2_SETTINGS, WHY_H2_FLAG_ACK, 0, NULL, 0);
    nghttp2_nv r5[] = {NV(":method", "POST"), NV(":scheme", "https"), NV(":authority", "h2.lab"),
                       NV(":path", "/api"), NV("content-type", "application/json")};
    headers(&v->c2, cd, 5, false, r5, 5);
    frame(&v->c2, WHY_H2_DATA, 0, 5, "{\"a\":1}", 7);
    nghttp2_nv t5[] = {NV("x-checksum", "abc")};
    headers(&v->c2, cd, 5, true, t5, 1);
    frame(&v->c2, WHY_H2_PING, 0, 0, "pingpong", 8);

    nghttp2_nv a5[] = {NV(":status", "100")};
    headers(&v->s2, sd, 5, false, a5, 1);
    nghttp2_nv a5b[] = {NV(":status", "201"), NV("server", "nginx/1.22.1")};
    headers(&v->s2, sd, 5, false, a5b, 2);
    frame(&v->s2, WHY_H2_DATA, 0, 5, "ok", 2);
    nghttp2_nv t5s[] = {NV("x-trailer", "1")};
    headers(&v->s2, sd, 5, true, t5s, 1);
    frame(&v->s2, WHY_H2_PING, WHY_H2_FLAG_ACK, 0, "pingpong", 8);
    nghttp2_hd_deflate_del(cd);
    nghttp2_hd_deflate_del(sd);
}

static void run_convo(struct rec *r, bool bytewise)
{
    static struct convo v;
    build_convo(&v);
    struct why_h2_cb cb = cbs(r);
    struct why_h2_conn c;
    why_h2_conn_init(&c);
    feed(&c, WHY_H2_CLIENT, &v.c1, bytewise, 0, 1, &cb);
    feed(&c, WHY_H2_SERVER, &v.s1, bytewise, 1000, 2, &cb);
    feed(&c, WHY_H2_CLIENT, &v.c2, bytewise, 1500, 3, &cb);
    feed(&c, WHY_H2_SERVER, &v.s2, bytewise, 4000, 4, &cb);
    why_h2_conn_close(&c, T(5000), 5, &cb);
    assert_int_equal(c.nstreams, 0);
    assert_int_equal(c.streams_total, 3);
    assert_int_equal(c.dir[WHY_H2_CLIENT].errors + c.dir[WHY_H2_SERVER].errors, 0);
    /* settings in force after both ACKs */
    assert_int_equal(c.dir[WHY_H2_CLIENT].settings.initial_window_size, 6291456);
    assert_int_equal(c.dir[WHY_H2_CLIENT].settings.enable_push, 0);
    assert_int_equal(c.dir[WHY_H2_SERVER].settings.max_concurrent_streams, 128);
    why_h2_conn_fini(&c);
    why_h2_conn_fini(&c); /* idempotent */
}

static void conversation(void **state)
{
    (void)state;
    struct rec *r = malloc(sizeof *r);
    assert_non_null(r);
    run_convo(r, false);
    assert_int_equal(count_ev(r, WHY_H2_EV_ERROR), 0);
    assert_int_equal(count_ev(r, WHY_H2_EV_PREFACE), 1);
    assert_int_equal(count_ev(r, WHY_H2_EV_SETTINGS), 2);
    assert_int_equal(count_ev(r, WHY_H2_EV_SETTINGS_ACK), 2);
    assert_int_equal(count_ev(r, WHY_H2_EV_SETTINGS_UNACKED), 0);
    const struct why_h2_event *ack = find_ev(r, WHY_H2_EV_SETTINGS_ACK, 0);
    assert_int_equal(ack->from, WHY_H2_SERVER);
    assert_int_equal(ack->wait_us, 1000);
    const struct why_h2_event *ping = find_ev(r, WHY_H2_EV_PING_ACK, 0);
    assert_non_null(ping);
    assert_int_equal(ping->from, WHY_H2_SERVER);
    assert_int_equal(ping->wait_us, 2500);
    assert_int_equal(ping->frame, 4);
    assert_int_equal(ping->since_frame, 3);

    /* header blocks in order: two requests, 200, 404, POST, its trailers, 100, 201, trailers */
    assert_int_equal(r->nhead, 9);
    assert_int_equal(r->head[0].kind, WHY_H2_BLOCK_REQUEST);
    assert_string_equal(r->head[0].method, "GET");
    assert_string_equal(r->head[0].target, "/index.html");
    assert_string_equal(r->head[0].host, "h2.lab");
    assert_int_equal(r->head[2].kind, WHY_H2_BLOCK_RESPONSE);
    assert_int_equal(r->head[2].id, 1);
    assert_int_equal(r->head[2].status, 200);
    assert_string_equal(r->head[2].server, "nginx/1.22.1");
    assert_string_equal(r->head[2].ctype, "text/html");
    assert_int_equal(r->head[2].clen, 5);
    assert_int_equal(r->head[3].status, 404);
    assert_int_equal(r->head[4].kind, WHY_H2_BLOCK_REQUEST);
    assert_string_equal(r->head[4].method, "POST");
    assert_int_equal(r->head[5].kind, WHY_H2_BLOCK_TRAILERS);
    assert_int_equal(r->head[5].from, WHY_H2_CLIENT);
    assert_int_equal(r->head[6].kind, WHY_H2_BLOCK_INTERIM);
    assert_int_equal(r->head[7].kind, WHY_H2_BLOCK_RESPONSE);
    assert_int_equal(r->head[7].status, 201);
    assert_int_equal(r->head[8].kind, WHY_H2_BLOCK_TRAILERS);

    /* streams end in order, complete, with what they carried */
    assert_int_equal(r->nend, 3);
    const struct why_h2_stream *s1 = &r->end[0], *s3 = &r->end[1], *s5 = &r->end[2];
    assert_int_equal(s1->id, 1);
    assert_int_equal(s1->end, WHY_H2_END_COMPLETE);
    assert_string_equal(s1->method, "GET");
    assert_string_equal(s1->scheme, "https");
    assert_string_equal(s1->authority, "h2.lab");
    assert_string_equal(s1->path, "/index.html");
    assert_int_equal(s1->status, 200);
    assert_int_equal(s1->data_bytes[WHY_H2_SERVER], 5);
    assert_int_equal(s1->f_head[WHY_H2_CLIENT], 1);
    assert_int_equal(s1->f_final, 2);
    assert_int_equal(why_ts_diff_us(s1->t_head[WHY_H2_CLIENT], s1->t_end[WHY_H2_SERVER]), 1000);
    assert_int_equal(s1->grpc_status, -1);
    assert_int_equal(s3->id, 3);
    assert_int_equal(s3->status, 404);
    assert_int_equal(s5->id, 5);
    assert_int_equal(s5->status, 201);
    assert_int_equal(s5->interim, 100);
    assert_true(s5->trailers);
    assert_int_equal(s5->data_bytes[WHY_H2_CLIENT], 7);
    /* windows: the client's 6 MiB initial window, after the server sent 2 bytes */
    assert_int_equal(s5->window[WHY_H2_SERVER], 6291456 - 2);
    assert_int_equal(s5->window[WHY_H2_CLIENT], 65536 - 7);
    free(r);
}

/* Field by field: times carry padding bytes a memory comparison would trip on. */
static void same_stream(const struct why_h2_stream *x, const struct why_h2_stream *y)
{
    assert_int_equal(x->id, y->id);
    assert_int_equal(x->end, y->end);
    assert_int_equal(x->status, y->status);
    assert_int_equal(x->interim, y->interim);
    assert_int_equal(x->trailers, y->trailers);
    assert_string_equal(x->method, y->method);
    assert_string_equal(x->authority, y->authority);
    assert_string_equal(x->path, y->path);
    assert_int_equal(x->f_final, y->f_final);
    assert_int_equal(why_ts_cmp(x->t_final, y->t_final), 0);
    assert_int_equal(why_ts_cmp(x->t_close, y->t_close), 0);
    for (int s = 0; s < 2; s++) {
        assert_int_equal(x->ended[s], y->ended[s]);
        assert_int_equal(x->f_head[s], y->f_head[s]);
        assert_int_equal(x->f_end[s], y->f_end[s]);
        assert_int_equal(why_ts_cmp(x->t_head[s], y->t_head[s]), 0);
        assert_int_equal(why_ts_cmp(x->t_end[s], y->t_end[s]), 0);
        assert_int_equal(x->data_bytes[s], y->data_bytes[s]);
        assert_int_equal(x->window[s], y->window[s]);
        assert_int_equal(x->stall_us[s], y->stall_us[s]);
    }
}

static void conversation_bytewise(void **state)
{
    (void)state;
    struct rec *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    run_convo(a, false);
    run_convo(b, true);
    assert_int_equal(a->nhead, b->nhead);
    assert_int_equal(a->nend, b->nend);
    assert_int_equal(a->nev, b->nev);
    for (int i = 0; i < a->nhead; i++)
        assert_memory_equal(&a->head[i], &b->head[i], sizeof a->head[i]);
    for (int i = 0; i < a->nend; i++)
        same_stream(&a->end[i], &b->end[i]);
    for (int i = 0; i < a->nev; i++) {
        assert_int_equal(a->ev[i].kind, b->ev[i].kind);
        assert_int_equal(a->ev[i].frame, b->ev[i].frame);
        assert_int_equal(a->ev[i].wait_us, b->ev[i].wait_us);
    }
    free(a);
    free(b);
}

/* A connection set up (preface, SETTINGS both ways, ACKs) with deflaters for both sides. */
struct setup {
    struct why_h2_conn c;
    nghttp2_hd_deflater *cd, *sd;
    struct wire w;
};

static void setup_conn(struct setup *u, const struct why_h2_cb *cb)
{
    why_h2_conn_init(&u->c);
    assert_int_equal(nghttp2_hd_deflate_new(&u->cd, 4096), 0);
    assert_int_equal(nghttp2_hd_deflate_new(&u->sd, 4096), 0);
    u->w.n = 0;
    put(&u->w, preface, WHY_H2_PREFACE_LEN);
    frame(&u->w, WHY_H2_SETTINGS, 0, 0, NULL, 0);
    feed(&u->c, WHY_H2_CLIENT, &u->w, false, 0, 1, cb);
    u->w.n = 0;
    frame(&u->w, WHY_H2_SETTINGS, 0, 0, NULL, 0);
    frame(&u->w, WHY_H2_SETTINGS, WHY_H2_FLAG_ACK, 0, NULL, 0);
    feed(&u->c, WHY_H2_SERVER, &u->w, false, 10, 2, cb);
    u->w.n = 0;
    frame(&u->w, WHY_H2_SETTINGS, WHY_H2_FLAG_ACK, 0, NULL, 0);
    feed(&u->c, WHY_H2_CLIENT, &u->w, false, 20, 3, cb);
    u->w.n = 0;
}

static void teardown_conn(struct setup *u)
{
    why_h2_conn_fini(&u->c);
    nghttp2_hd_deflate_del(u->cd);
    nghttp2_hd_deflate_del(u->sd);
}

/* The fixture of most tests: a recorder and a connection set up. */
struct fx {
    struct rec r;
    struct setup u;
    struct why_h2_cb cb;
};

static int fx_up(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    fx->cb = cbs(&fx->r);
    setup_conn(&fx->u, &fx->cb);
    *state = fx;
    return 0;
}

static int fx_down(void **state)
{
    struct fx *fx = *state;
    teardown_conn(&fx->u);
    free(fx);
    return 0;
}

/* A fresh connection and recorder in the same fixture. */
static void fx_again(struct fx *fx)
{
    teardown_conn(&fx->u);
    fx->cb = cbs(&fx->r);
    setup_conn(&fx->u, &fx->cb);
}

static void get(struct setup *u, uint32_t id, const char *path, int64_t at, uint64_t fno,
                const struct why_h2_cb *cb)
{
    nghttp2_nv nv[] = {NV(":method", "GET"), NV(":scheme", "http"), NV(":authority", "app.lab"),
                       {(uint8_t *)":path", (uint8_t *)path, 5, strlen(path), 0}};
    u->w.n = 0;
    headers(&u->w, u->cd, id, true, nv, 4);
    feed(&u->c, WHY_H2_CLIENT, &u->w, false, at, fno, cb);
    u->w.n = 0;
}

static void send_server(struct setup *u, int64_t at, uint64_t fno, const struct why_h2_cb *cb)
{
    feed(&u->c, WHY_H2_SERVER, &u->w, false, at, fno, cb);
    u->w.n = 0;
}

static void rst_and_goaway(void **state)
{
    struct fx *fx = *state;
    struct rec *r = &fx->r;
    struct setup *u = &fx->u;
    struct why_h2_cb cb = fx->cb;
    get(u, 1, "/a", 100, 10, &cb);
    get(u, 3, "/b", 110, 11, &cb);
    get(u, 5, "/c", 120, 12, &cb);
    get(u, 7, "/d", 130, 13, &cb);
    /* the server refuses stream 3 */
    u32_frame(&u->w, WHY_H2_RST_STREAM, 3, WHY_H2_REFUSED_STREAM);
    send_server(u, 200, 14, &cb);
    /* the gateway (client) gives up on stream 7 after 30 s */
    u32_frame(&u->w, WHY_H2_RST_STREAM, 7, WHY_H2_CANCEL);
    feed(&u->c, WHY_H2_CLIENT, &u->w, false, 30000130, 15, &cb);
    u->w.n = 0;
    /* GOAWAY: stream 1 was processed, 5 was not */
    goaway(&u->w, 1, WHY_H2_NO_ERROR, "graceful");
    nghttp2_nv a[] = {NV(":status", "200")};
    headers(&u->w, u->sd, 1, true, a, 1);
    send_server(u, 30000200, 16, &cb);
    /* a RST on a stream already gone and one for stream 0 */
    u32_frame(&u->w, WHY_H2_RST_STREAM, 3, WHY_H2_CANCEL);
    u32_frame(&u->w, WHY_H2_RST_STREAM, 0, WHY_H2_CANCEL);
    send_server(u, 30000300, 17, &cb);

    assert_int_equal(r->nend, 4);
    assert_int_equal(r->end[0].id, 3);
    assert_int_equal(r->end[0].end, WHY_H2_END_RST);
    assert_int_equal(r->end[0].code, WHY_H2_REFUSED_STREAM);
    assert_int_equal(r->end[0].closed_by, WHY_H2_SERVER);
    assert_int_equal(r->end[0].f_close, 14);
    assert_int_equal(r->end[1].id, 7);
    assert_int_equal(r->end[1].end, WHY_H2_END_RST);
    assert_int_equal(r->end[1].code, WHY_H2_CANCEL);
    assert_int_equal(r->end[1].closed_by, WHY_H2_CLIENT);
    /* the wait until the gateway's timeout, measured */
    assert_int_equal(why_ts_diff_us(r->end[1].t_end[WHY_H2_CLIENT], r->end[1].t_close), 30000000);
    assert_int_equal(r->end[1].status, 0);
    assert_int_equal(r->end[2].id, 5);
    assert_int_equal(r->end[2].end, WHY_H2_END_GOAWAY);
    assert_int_equal(r->end[2].closed_by, WHY_H2_SERVER);
    assert_int_equal(r->end[3].id, 1);
    assert_int_equal(r->end[3].end, WHY_H2_END_COMPLETE);
    const struct why_h2_event *g = find_ev(r, WHY_H2_EV_GOAWAY, 0);
    assert_non_null(g);
    assert_int_equal(g->last_stream_id, 1);
    assert_int_equal(g->from, WHY_H2_SERVER);
    assert_int_equal(g->frame, 16);
    assert_string_equal(r->goaway_debug, "graceful");
    assert_int_equal(count_ev(r, WHY_H2_EV_RST_STREAM), 3); /* stream 0's is a fault */
    assert_int_equal(count_err(r, WHY_H2_ERR_PROTOCOL), 1); /* RST on stream 0 */
    assert_true(u->c.dir[WHY_H2_SERVER].goaway);
}

static void grpc(void **state)
{
    struct fx *fx = *state;
    struct rec *r = &fx->r;
    struct setup *u = &fx->u;
    struct why_h2_cb cb = fx->cb;
    nghttp2_nv req[] = {NV(":method", "POST"), NV(":scheme", "http"), NV(":path", "/pkg.Svc/Get"),
                        NV(":authority", "grpc.lab"), NV("content-type", "application/grpc"),
                        NV("te", "trailers")};
    headers(&u->w, u->cd, 1, false, req, 6);
    frame(&u->w, WHY_H2_DATA, WHY_H2_FLAG_END_STREAM, 1, "\0\0\0\0\0", 5);
    headers(&u->w, u->cd, 3, false, req, 6);
    frame(&u->w, WHY_H2_DATA, WHY_H2_FLAG_END_STREAM, 3, "\0\0\0\0\0", 5);
    feed(&u->c, WHY_H2_CLIENT, &u->w, false, 100, 10, &cb);
    u->w.n = 0;
    /* stream 1: the origin's answer, NOT_FOUND in trailers */
    nghttp2_nv h1[] = {NV(":status", "200"), NV("content-type", "application/grpc")};
    headers(&u->w, u->sd, 1, false, h1, 2);
    frame(&u->w, WHY_H2_DATA, 0, 1, "\0\0\0\0\0", 5);
    nghttp2_nv t1[] = {NV("grpc-status", "5"), NV("grpc-message", "no such key")};
    headers(&u->w, u->sd, 1, true, t1, 2);
    /* stream 3: a gateway's own error, trailers-only, UNAVAILABLE */
    nghttp2_nv h3[] = {NV(":status", "200"), NV("content-type", "application/grpc"),
                       NV("grpc-status", "14"), NV("grpc-message", "upstream connect error"),
                       NV("server", "envoy")};
    headers(&u->w, u->sd, 3, true, h3, 5);
    send_server(u, 200, 11, &cb);
    assert_int_equal(r->nend, 2);
    assert_int_equal(r->end[0].id, 1);
    assert_true(r->end[0].grpc);
    assert_true(r->end[0].trailers);
    assert_int_equal(r->end[0].grpc_status, 5);
    assert_string_equal(r->end[0].grpc_message, "no such key");
    assert_int_equal(r->end[1].id, 3);
    assert_false(r->end[1].trailers);
    assert_int_equal(r->end[1].grpc_status, 14);
    assert_string_equal(r->end[1].grpc_message, "upstream connect error");
}

/* GET /big on stream 1, answered with 65535 bytes at 1 ms (frame 20): stream 1's window and
 * the connection's are empty, the body is not over. */
static void fill_window(struct setup *u, const struct why_h2_cb *cb)
{
    static uint8_t chunk[16384];
    nghttp2_nv a[] = {NV(":status", "200")};
    get(u, 1, "/big", 100, 10, cb);
    headers(&u->w, u->sd, 1, false, a, 1);
    for (int i = 0; i < 3; i++)
        frame(&u->w, WHY_H2_DATA, 0, 1, chunk, 16384);
    frame(&u->w, WHY_H2_DATA, 0, 1, chunk, 16383);
    send_server(u, 1000, 20, cb);
}

static void flow_control_stall(void **state)
{
    struct fx *fx = *state;
    struct rec *r = &fx->r;
    struct setup *u = &fx->u;
    struct why_h2_cb cb = fx->cb;
    static uint8_t chunk[16384];
    get(u, 1, "/big", 100, 10, &cb);
    get(u, 3, "/small", 100, 10, &cb);
    nghttp2_nv a[] = {NV(":status", "200")};
    headers(&u->w, u->sd, 1, false, a, 1);
    /* 65535 bytes: stream 1's window and the connection's are empty, the body is not over */
    for (int i = 0; i < 3; i++)
        frame(&u->w, WHY_H2_DATA, 0, 1, chunk, 16384);
    frame(&u->w, WHY_H2_DATA, 0, 1, chunk, 16383);
    send_server(u, 1000, 20, &cb);
    assert_true(u->c.dir[WHY_H2_SERVER].stalled);
    assert_int_equal(u->c.dir[WHY_H2_SERVER].window, 0);
    assert_int_equal(count_ev(r, WHY_H2_EV_STALL), 0);
    /* the client reopens the connection 2 s later, stream 1 only at 3 s */
    u32_frame(&u->w, WHY_H2_WINDOW_UPDATE, 0, 65535);
    feed(&u->c, WHY_H2_CLIENT, &u->w, false, 2001000, 21, &cb);
    u->w.n = 0;
    assert_int_equal(count_ev(r, WHY_H2_EV_STALL), 1);
    const struct why_h2_event *e = find_ev(r, WHY_H2_EV_STALL, 0);
    assert_int_equal(e->stream_id, 0);
    assert_int_equal(e->from, WHY_H2_SERVER);
    assert_true(e->resolved);
    assert_int_equal(e->wait_us, 2000000);
    assert_int_equal(e->since_frame, 20);
    assert_int_equal(e->frame, 21);
    u32_frame(&u->w, WHY_H2_WINDOW_UPDATE, 1, 100);
    feed(&u->c, WHY_H2_CLIENT, &u->w, false, 3001000, 22, &cb);
    u->w.n = 0;
    e = find_ev(r, WHY_H2_EV_STALL, 1);
    assert_non_null(e);
    assert_int_equal(e->stream_id, 1);
    assert_int_equal(e->wait_us, 3000000);
    /* 100 more bytes: empty again; this time the client never updates */
    frame(&u->w, WHY_H2_DATA, 0, 1, chunk, 100);
    send_server(u, 3002000, 23, &cb);
    why_h2_conn_close(&u->c, T(13002000), 30, &cb);
    e = find_ev(r, WHY_H2_EV_STALL, 2);
    assert_non_null(e);
    assert_int_equal(e->stream_id, 1);
    assert_false(e->resolved);
    assert_int_equal(e->wait_us, 10000000);
    assert_int_equal(r->nend, 2);
    const struct why_h2_stream *s1 = r->end[0].id == 1 ? &r->end[0] : &r->end[1];
    assert_int_equal(s1->end, WHY_H2_END_CLOSED);
    assert_int_equal(s1->stall_us[WHY_H2_SERVER], 13000000);
    assert_int_equal(s1->window[WHY_H2_SERVER], 0);
    assert_int_equal(s1->data_bytes[WHY_H2_SERVER], 65635);
    fx_again(fx);

    /* a SETTINGS raising the initial window reopens a stalled stream; one never ACKed is
     * reported at close */
    fill_window(u, &cb);
    uint16_t id[] = {WHY_H2_SET_INITIAL_WINDOW_SIZE};
    uint32_t val[] = {1 << 20};
    settings(&u->w, id, val, 1);
    u32_frame(&u->w, WHY_H2_WINDOW_UPDATE, 0, 1 << 20);
    feed(&u->c, WHY_H2_CLIENT, &u->w, false, 5000, 21, &cb);
    u->w.n = 0;
    assert_int_equal(count_ev(r, WHY_H2_EV_STALL), 1); /* the connection's; not yet stream 1 */
    frame(&u->w, WHY_H2_SETTINGS, WHY_H2_FLAG_ACK, 0, NULL, 0);
    send_server(u, 6000, 22, &cb);
    assert_int_equal(count_ev(r, WHY_H2_EV_STALL), 2);
    e = find_ev(r, WHY_H2_EV_STALL, 1);
    assert_int_equal(e->stream_id, 1);
    assert_true(e->resolved);
    assert_int_equal(e->wait_us, 5000);
    settings(&u->w, NULL, NULL, 0);
    feed(&u->c, WHY_H2_CLIENT, &u->w, false, 7000, 23, &cb);
    u->w.n = 0;
    why_h2_conn_close(&u->c, T(9000), 24, &cb);
    e = find_ev(r, WHY_H2_EV_SETTINGS_UNACKED, 0);
    assert_non_null(e);
    assert_int_equal(e->from, WHY_H2_CLIENT);
    assert_int_equal(e->wait_us, 2000);
    assert_int_equal(e->since_frame, 23);
    fx_again(fx);

    /* the sender gives up at 0 (HAProxy's empty END_STREAM, then RST_STREAM CANCEL): the
     * stall ends there, unresolved */
    fill_window(u, &cb);
    frame(&u->w, WHY_H2_DATA, WHY_H2_FLAG_END_STREAM, 1, NULL, 0);
    u32_frame(&u->w, WHY_H2_RST_STREAM, 1, WHY_H2_CANCEL);
    send_server(u, 2001000, 21, &cb);
    e = find_ev(r, WHY_H2_EV_STALL, 0);
    assert_non_null(e);
    assert_int_equal(e->stream_id, 1);
    assert_false(e->resolved);
    assert_int_equal(e->wait_us, 2000000);
    assert_int_equal(e->frame, 21);
}

static void upgrade_h2c(void **state)
{
    (void)state;
    struct rec *r = malloc(sizeof *r);
    struct setup *u = malloc(sizeof *u);
    assert_non_null(r);
    assert_non_null(u);
    struct why_h2_cb cb = cbs(r);
    const char *up = "GET /up HTTP/1.1\r\nHost: h2c.lab\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                     "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAQAAAAIAAAAA\r\n\r\n";
    struct why_http_head req;
    assert_true(why_http1_parse_head((const uint8_t *)up, strlen(up), true, &req) > 0);
    const uint8_t *sv;
    size_t sl;
    assert_true(why_h2_upgrade_h2c((const uint8_t *)up, strlen(up), &sv, &sl));
    why_h2_conn_init(&u->c);
    assert_int_equal(why_h2_conn_upgrade(&u->c, &req, sv, sl, T(0), 1, &cb), 0);
    /* AAMAAABkAAQAAQAAAAIAAAAA: max streams 100, initial window 65536, push off */
    assert_int_equal(u->c.dir[WHY_H2_CLIENT].settings.max_concurrent_streams, 100);
    assert_int_equal(u->c.dir[WHY_H2_CLIENT].settings.initial_window_size, 65536);
    assert_int_equal(u->c.dir[WHY_H2_CLIENT].settings.enable_push, 0);
    assert_int_equal(nghttp2_hd_deflate_new(&u->sd, 4096), 0);
    u->w.n = 0;
    frame(&u->w, WHY_H2_SETTINGS, 0, 0, NULL, 0);
    nghttp2_nv a[] = {NV(":status", "200"), NV("content-length", "2")};
    headers(&u->w, u->sd, 1, false, a, 2);
    frame(&u->w, WHY_H2_DATA, WHY_H2_FLAG_END_STREAM, 1, "ok", 2);
    /* the 101's head and the server's first frames in one segment: the HTTP/1 reader stops
     * after the head and says so, the rest is HTTP/2 */
    const char *sw = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n";
    size_t swl = strlen(sw);
    uint8_t *seg = malloc(swl + u->w.n);
    struct why_http1_stream *hs = malloc(sizeof *hs);
    assert_non_null(seg);
    assert_non_null(hs);
    memcpy(seg, sw, swl);
    memcpy(seg + swl, u->w.b, u->w.n);
    why_http1_stream_init(hs, false);
    size_t used = why_http1_stream_feed(hs, seg, swl + u->w.n, NULL);
    assert_int_equal(used, swl);
    assert_int_equal(hs->phase, WHY_HTTP_TUNNEL);
    why_h2_conn_feed(&u->c, WHY_H2_SERVER, seg + used, u->w.n, T(100), 3, &cb);
    why_http1_stream_fini(hs);
    free(hs);
    free(seg);
    u->w.n = 0;
    put(&u->w, preface, WHY_H2_PREFACE_LEN);
    frame(&u->w, WHY_H2_SETTINGS, 0, 0, NULL, 0);
    feed(&u->c, WHY_H2_CLIENT, &u->w, false, 90, 2, &cb);
    assert_int_equal(count_ev(r, WHY_H2_EV_ERROR), 0);
    assert_int_equal(r->nend, 1);
    assert_int_equal(r->end[0].id, 1);
    assert_string_equal(r->end[0].method, "GET");
    assert_string_equal(r->end[0].path, "/up");
    assert_string_equal(r->end[0].authority, "h2c.lab");
    assert_int_equal(r->end[0].status, 200);
    assert_int_equal(r->end[0].window[WHY_H2_SERVER], 65536 - 2);
    why_h2_conn_fini(&u->c);
    /* settings that do not decode */
    why_h2_conn_init(&u->c);
    assert_int_equal(why_h2_conn_upgrade(&u->c, &req, (const uint8_t *)"AA*A", 4, T(0), 1, &cb),
                     WHY_H2_ERR_PROTOCOL);
    assert_int_equal(u->c.nstreams, 1);
    why_h2_conn_fini(&u->c);
    nghttp2_hd_deflate_del(u->sd);
    free(u);
    free(r);
}

/* ---- the Upgrade: h2c offer through the whole pipeline, whole or split across segments ---- */

struct pkts {
    uint8_t buf[8192];
    size_t off[32], len[32];
    int n;
    uint32_t seq[2];                  /* next sequence number of client (0) and server (1) */
};

/* An IPv4 (raw link type) TCP segment from the client (0) or the server (1). */
static void seg(struct pkts *p, int from, uint8_t flags, const void *data, size_t n)
{
    static const uint8_t cli[4] = {198, 18, 5, 2}, srv[4] = {198, 18, 5, 1};
    assert_true(p->n < 32);
    size_t at = p->n ? p->off[p->n - 1] + p->len[p->n - 1] : 0;
    assert_true(at + 40 + n <= sizeof p->buf);
    uint8_t *b = p->buf + at;
    memset(b, 0, 40);
    size_t tot = 40 + n;
    b[0] = 0x45, b[2] = (uint8_t)(tot >> 8), b[3] = (uint8_t)tot, b[8] = 64, b[9] = 6;
    memcpy(b + 12, from ? srv : cli, 4);
    memcpy(b + 16, from ? cli : srv, 4);
    uint16_t sp = from ? 8081 : 40000, dp = from ? 40000 : 8081;
    b[20] = (uint8_t)(sp >> 8), b[21] = (uint8_t)sp, b[22] = (uint8_t)(dp >> 8), b[23] = (uint8_t)dp;
    be32(b + 24, p->seq[from]);
    be32(b + 28, (flags & 0x02) && !from ? 0 : p->seq[!from]);
    b[32] = 5 << 4, b[33] = flags | (flags & 0x02 && !from ? 0 : 0x10), b[34] = 0xff, b[35] = 0xff;
    if (n)
        memcpy(b + 40, data, n);
    p->seq[from] += (uint32_t)n + ((flags & 0x03) ? 1u : 0u);
    p->off[p->n] = at;
    p->len[p->n++] = tot;
}

struct sink_rec {
    int n;
    int status;
    bool url_up;                      /* the incident's URL names /up */
};

static void on_inc(void *ctx, const struct why_incident *inc)
{
    struct sink_rec *k = ctx;
    k->n++;
    k->status = inc->status;
    k->url_up = strstr(inc->url, "/up") != NULL;
}

/* curl's h2c upgrade answered 101, then 503 on stream 1; the offer cut at `cut` bytes (0:
 * whole). */
static struct sink_rec run_upgrade(size_t cut)
{
    struct pkts *p = calloc(1, sizeof *p);
    struct wire *w = calloc(1, sizeof *w);
    assert_non_null(p);
    assert_non_null(w);
    p->seq[0] = 1000, p->seq[1] = 5000;
    const char *up = "GET /up HTTP/1.1\r\nHost: h2c.lab:8081\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n"
                     "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                     "HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n";
    size_t ul = strlen(up);
    seg(p, 0, 0x02, NULL, 0);
    seg(p, 1, 0x12, NULL, 0);
    seg(p, 0, 0x10, NULL, 0);
    if (cut) {
        seg(p, 0, 0x18, up, cut);
        seg(p, 1, 0x10, NULL, 0);
        seg(p, 0, 0x18, up + cut, ul - cut);
    } else {
        seg(p, 0, 0x18, up, ul);
    }
    const char *sw = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n";
    nghttp2_hd_deflater *def;
    assert_int_equal(nghttp2_hd_deflate_new(&def, 4096), 0);
    put(w, sw, strlen(sw));
    frame(w, WHY_H2_SETTINGS, 0, 0, NULL, 0);
    nghttp2_nv a[] = {NV(":status", "503"), NV("content-length", "0")};
    headers(w, def, 1, true, a, 2);
    nghttp2_hd_deflate_del(def);
    seg(p, 1, 0x18, w->b, w->n);
    w->n = 0;
    put(w, preface, WHY_H2_PREFACE_LEN);
    frame(w, WHY_H2_SETTINGS, 0, 0, NULL, 0);
    frame(w, WHY_H2_SETTINGS, WHY_H2_FLAG_ACK, 0, NULL, 0);
    seg(p, 0, 0x18, w->b, w->n);
    seg(p, 0, 0x11, NULL, 0);
    seg(p, 1, 0x11, NULL, 0);
    seg(p, 0, 0x10, NULL, 0);

    struct sink_rec k = {0, 0, false};
    struct why_sink sink = {&k, on_inc};
    struct why_options o;
    why_options_init(&o);
    char err[128];
    struct why_session *s = why_session_new(&o, &sink, err, sizeof err);
    assert_non_null(s);
    for (int i = 0; i < p->n; i++) {
        struct why_frame f = {0};
        f.num = (uint64_t)i + 1;
        f.ts = T(1000 * (int64_t)i);
        f.linktype = 101;
        f.caplen = f.wirelen = (uint32_t)p->len[i];
        f.data = p->buf + p->off[i];
        why_session_frame(s, &f);
    }
    why_session_finish(s);
    why_session_free(s);
    free(w);
    free(p);
    return k;
}

static void upgrade_h2c_split_offer(void **state)
{
    (void)state;
    /* whole, cut inside "Upgrade: h2c", before the blank line, and after the request line */
    size_t cuts[] = {0, 100, 160, 18};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        struct sink_rec k = run_upgrade(cuts[i]);
        assert_int_equal(k.n, 1); /* the 503 on stream 1, read as HTTP/2 after the 101 */
        assert_int_equal(k.status, 503);
        assert_true(k.url_up);
    }
}

static void not_h2(void **state)
{
    (void)state;
    struct rec *r = malloc(sizeof *r);
    assert_non_null(r);
    struct why_h2_cb cb = cbs(r);
    struct why_h2_conn c;
    why_h2_conn_init(&c);
    const char *get1 = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    why_h2_conn_feed(&c, WHY_H2_CLIENT, (const uint8_t *)get1, strlen(get1), T(0), 1, &cb);
    const char *resp = "HTTP/1.1 400 Bad Request\r\n\r\n";
    why_h2_conn_feed(&c, WHY_H2_SERVER, (const uint8_t *)resp, strlen(resp), T(1), 2, &cb);
    assert_int_equal(count_err(r, WHY_H2_ERR_NOT_H2), 2);
    assert_true(c.dir[0].dead);
    assert_true(c.dir[1].dead);
    why_h2_conn_feed(&c, WHY_H2_SERVER, (const uint8_t *)resp, strlen(resp), T(1), 3, &cb);
    assert_int_equal(count_err(r, WHY_H2_ERR_NOT_H2), 2); /* once */
    why_h2_conn_close(&c, T(2), 4, &cb);
    why_h2_conn_fini(&c);
    free(r);
}

/* ---- hostile HPACK ---- */

/* One hostile block on a fresh connection (the fixture is set up again after it). */
static void hostile_block(struct fx *fx, const uint8_t *blk, size_t n)
{
    struct rec *r = &fx->r;
    struct setup *u = &fx->u;
    struct why_h2_cb cb = fx->cb;
    frame(&u->w, WHY_H2_HEADERS, WHY_H2_FLAG_END_HEADERS | WHY_H2_FLAG_END_STREAM, 1, blk, n);
    feed(&u->c, WHY_H2_CLIENT, &u->w, false, 100, 10, &cb);
    u->w.n = 0;
    assert_int_equal(count_err(r, WHY_H2_ERR_HPACK), 1);
    assert_true(u->c.dir[WHY_H2_CLIENT].hpack_broken);
    /* the stream is still opened (unread), later blocks are unread, frames still followed */
    get(u, 3, "/next", 200, 11, &cb);
    u32_frame(&u->w, WHY_H2_RST_STREAM, 1, WHY_H2_COMPRESSION_ERROR);
    goaway(&u->w, 3, WHY_H2_COMPRESSION_ERROR, "");
    send_server(u, 300, 12, &cb);
    assert_int_equal(r->nhead, 2);
    assert_string_equal(r->head[0].method, "");
    assert_int_equal(r->nend, 1);
    assert_int_equal(r->end[0].id, 1);
    assert_true(r->end[0].headers_unread);
    assert_int_equal(r->end[0].end, WHY_H2_END_RST);
    assert_int_equal(r->end[0].code, WHY_H2_COMPRESSION_ERROR);
    assert_int_equal(count_ev(r, WHY_H2_EV_GOAWAY), 1);
    assert_int_equal(count_err(r, WHY_H2_ERR_HPACK), 1); /* reported once */
    fx_again(fx);
}

static void hostile_hpack(void **state)
{
    struct fx *fx = *state;
    /* a dynamic table size update to ~2^28 bytes, over the 4096 announced */
    static const uint8_t huge_table[] = {0x3f, 0xe1, 0xff, 0xff, 0x7f, 0x82};
    hostile_block(fx, huge_table, sizeof huge_table);
    /* index 126 with an empty dynamic table (61 static entries) */
    static const uint8_t bad_index[] = {0x82, 0xfe};
    hostile_block(fx, bad_index, sizeof bad_index);
    /* index 0 */
    static const uint8_t zero_index[] = {0x80};
    hostile_block(fx, zero_index, sizeof zero_index);
    /* a Huffman name whose padding is zeros ('a' is 00011, then 000) */
    static const uint8_t bad_pad[] = {0x00, 0x81, 0x18, 0x01, 'x'};
    hostile_block(fx, bad_pad, sizeof bad_pad);
    /* Huffman padding of 8 bits or more (a whole 0xff byte after 'a' = 00011111 11111111) */
    static const uint8_t long_pad[] = {0x00, 0x82, 0x1f, 0xff, 0x01, 'x'};
    hostile_block(fx, long_pad, sizeof long_pad);
    /* a block that ends inside a field (length 10, 2 bytes there) */
    static const uint8_t cut[] = {0x00, 0x0a, 'a', 'b'};
    hostile_block(fx, cut, sizeof cut);
    /* an integer that overflows */
    static const uint8_t overflow[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
    hostile_block(fx, overflow, sizeof overflow);
}

/* A peer announcing a table past the cap: capped and counted; an encoder that uses it is
 * reported as a cap, not as the peer's fault only. */
static void hpack_table_cap(void **state)
{
    struct fx *fx = *state;
    struct rec *r = &fx->r;
    struct setup *u = &fx->u;
    struct why_h2_cb cb = fx->cb;
    uint16_t id[] = {WHY_H2_SET_HEADER_TABLE_SIZE};
    uint32_t val[] = {1u << 20};
    settings(&u->w, id, val, 1);
    send_server(u, 100, 10, &cb);
    frame(&u->w, WHY_H2_SETTINGS, WHY_H2_FLAG_ACK, 0, NULL, 0);
    /* a table size update to 1 MiB (allowed by the server, over our cap): 31 + 1048545 */
    nghttp2_nv nv[] = {NV(":method", "GET"), NV(":scheme", "http"), NV(":authority", "a"),
                       NV(":path", "/")};
    uint8_t b[256] = {0x3f, 0xe1, 0xff, 0x3f};
    size_t bl = 4 + block(u->cd, nv, 4, b + 4, sizeof b - 4);
    frame(&u->w, WHY_H2_HEADERS, WHY_H2_FLAG_END_HEADERS | WHY_H2_FLAG_END_STREAM, 1, b, bl);
    feed(&u->c, WHY_H2_CLIENT, &u->w, false, 200, 11, &cb);
    u->w.n = 0;
    assert_int_equal(u->c.hpack_table_capped, 1);
    assert_int_equal(count_err(r, WHY_H2_ERR_HPACK), 1);
    int caps = 0;
    for (int i = 0; i < r->nev; i++)
        caps += r->ev[i].kind == WHY_H2_EV_CAP && r->ev[i].cap == WHY_H2_CAP_HPACK_TABLE;
    assert_int_equal(caps, 2); /* when announced, and when the block failed */
    fx_again(fx);

    /* a table shrunk at the ACK and honoured by the encoder: no fault */
    val[0] = 0;
    settings(&u->w, id, val, 1);
    send_server(u, 100, 10, &cb);
    frame(&u->w, WHY_H2_SETTINGS, WHY_H2_FLAG_ACK, 0, NULL, 0);
    nghttp2_hd_deflate_change_table_size(u->cd, 0);
    bl = block(u->cd, nv, 4, b, sizeof b);
    frame(&u->w, WHY_H2_HEADERS, WHY_H2_FLAG_END_HEADERS | WHY_H2_FLAG_END_STREAM, 1, b, bl);
    feed(&u->c, WHY_H2_CLIENT, &u->w, false, 200, 11, &cb);
    u->w.n = 0;
    assert_int_equal(count_ev(r, WHY_H2_EV_ERROR), 0);
    assert_string_equal(r->head[0].method, "GET");
}

static void caps(void **state)
{
    struct fx *fx = *state;
    struct rec *r = &fx->r;
    struct setup *u = &fx->u;
    struct why_h2_cb cb = fx->cb;
    /* more open streams than tracked: counted, and their header blocks still decoded */
    for (uint32_t i = 0; i < WHY_H2_STREAMS_MAX + 5; i++) {
        nghttp2_nv nv[] = {NV(":method", "POST"), NV(":scheme", "http"), NV(":authority", "a"),
                           NV(":path", "/upload")};
        headers(&u->w, u->cd, 1 + 2 * i, false, nv, 4);
    }
    feed(&u->c, WHY_H2_CLIENT, &u->w, false, 100, 10, &cb);
    u->w.n = 0;
    assert_int_equal(u->c.nstreams, WHY_H2_STREAMS_MAX);
    assert_int_equal(u->c.streams_dropped, 5);
    assert_int_equal(u->c.streams_total, WHY_H2_STREAMS_MAX + 5);
    assert_int_equal(r->nhead, WHY_H2_STREAMS_MAX + 5);
    assert_false(r->head[WHY_H2_STREAMS_MAX].tracked);
    assert_string_equal(r->head[WHY_H2_STREAMS_MAX + 4].target, "/upload");
    int ncap = 0;
    for (int i = 0; i < r->nev && i < REC_MAX; i++)
        ncap += r->ev[i].kind == WHY_H2_EV_CAP && r->ev[i].cap == WHY_H2_CAP_STREAMS;
    assert_int_equal(ncap, 5);
    why_h2_conn_close(&u->c, T(1000), 11, &cb);
    assert_int_equal(r->nend, WHY_H2_STREAMS_MAX);
    fx_again(fx);

    /* a header list past the cap: the fields after it are dropped, the table kept in step */
    static char big[8000];
    memset(big, 'v', sizeof big - 1);
    nghttp2_nv nv[16] = {NV(":method", "GET"), NV(":scheme", "http"), NV(":authority", "a"),
                         NV(":path", "/")};
    for (int i = 4; i < 16; i++)
        nv[i] = (nghttp2_nv){(uint8_t *)"x-big", (uint8_t *)big, 5, sizeof big - 1,
                             NGHTTP2_NV_FLAG_NO_INDEX};
    nv[15] = (nghttp2_nv)NV("server", "late"); /* 11 x 8 KB before it: past 64 KiB */
    uint8_t *b = malloc(120000);
    assert_non_null(b);
    size_t bl = block(u->cd, nv, 16, b, 120000);
    /* frames of at most 16384 bytes: HEADERS then CONTINUATIONs */
    size_t off = 0;
    while (off < bl) {
        size_t k = bl - off > 16384 ? 16384 : bl - off;
        uint8_t type = off == 0 ? WHY_H2_HEADERS : WHY_H2_CONTINUATION;
        uint8_t fl = (uint8_t)((off + k == bl ? WHY_H2_FLAG_END_HEADERS : 0) |
                               (off == 0 ? WHY_H2_FLAG_END_STREAM : 0));
        frame(&u->w, type, fl, 1, b + off, k);
        off += k;
    }
    feed(&u->c, WHY_H2_CLIENT, &u->w, true, 100, 10, &cb);
    u->w.n = 0;
    free(b);
    assert_int_equal(u->c.header_lists_capped, 1);
    assert_int_equal(r->nhead, 1);
    assert_string_equal(r->head[0].method, "GET");
    assert_string_equal(r->head[0].server, "");
    get(u, 3, "/after", 200, 11, &cb);
    assert_string_equal(r->head[1].target, "/after");
    assert_int_equal(count_ev(r, WHY_H2_EV_ERROR), 0);
    /* a frame over the receiver's SETTINGS_MAX_FRAME_SIZE: counted, still read */
    static uint8_t chunk[20000];
    frame(&u->w, WHY_H2_DATA, WHY_H2_FLAG_END_STREAM, 1, chunk, sizeof chunk);
    send_server(u, 300, 12, &cb);
    assert_int_equal(u->c.frames_oversize, 1);
    assert_int_equal(count_err(r, WHY_H2_ERR_FRAME_SIZE), 1);
}

static void protocol_faults(void **state)
{
    struct fx *fx = *state;
    struct rec *r = &fx->r;
    struct setup *u = &fx->u;
    struct why_h2_cb cb = fx->cb;
    /* a HEADERS without END_HEADERS, then DATA instead of CONTINUATION */
    nghttp2_nv nv[] = {NV(":method", "GET"), NV(":scheme", "http"), NV(":authority", "a"),
                       NV(":path", "/")};
    uint8_t b[128];
    size_t bl = block(u->cd, nv, 4, b, sizeof b);
    frame(&u->w, WHY_H2_HEADERS, 0, 1, b, bl);
    frame(&u->w, WHY_H2_DATA, 0, 1, "x", 1);
    /* CONTINUATION with no block open; a bad SETTINGS value; PING of 7 bytes; extension */
    frame(&u->w, WHY_H2_CONTINUATION, WHY_H2_FLAG_END_HEADERS, 1, b, bl);
    settings(&u->w, (const uint16_t[]){WHY_H2_SET_ENABLE_PUSH}, (const uint32_t[]){7}, 1);
    frame(&u->w, WHY_H2_PING, 0, 0, "1234567", 7);
    frame(&u->w, 0xfa, 0, 0, "ext", 3);
    u32_frame(&u->w, WHY_H2_WINDOW_UPDATE, 0, 0);
    feed(&u->c, WHY_H2_CLIENT, &u->w, false, 100, 10, &cb);
    u->w.n = 0;
    assert_int_equal(count_err(r, WHY_H2_ERR_PROTOCOL), 4);
    assert_int_equal(count_err(r, WHY_H2_ERR_FRAME_SIZE), 1);
    assert_true(u->c.dir[WHY_H2_CLIENT].hpack_broken);
    assert_int_equal(u->c.dir[WHY_H2_CLIENT].frames, 2 + 7);
    /* the server's answer without :status, and a window pushed past 2^31-1 */
    nghttp2_nv a[] = {NV("server", "odd")};
    get(u, 3, "/", 200, 11, &cb); /* unread: the client's table is lost */
    headers(&u->w, u->sd, 3, true, a, 1);
    u32_frame(&u->w, WHY_H2_WINDOW_UPDATE, 0, 0x7fffffff);
    send_server(u, 300, 12, &cb);
    assert_int_equal(count_err(r, WHY_H2_ERR_PROTOCOL), 5);
    assert_int_equal(count_err(r, WHY_H2_ERR_FLOW), 1);
    /* first frame of a client that is not SETTINGS: a fault, not the end */
    struct why_h2_conn c;
    why_h2_conn_init(&c);
    cb = cbs(r);
    u->w.n = 0;
    put(&u->w, preface, WHY_H2_PREFACE_LEN);
    frame(&u->w, WHY_H2_PING, 0, 0, "abcdefgh", 8);
    feed(&c, WHY_H2_CLIENT, &u->w, false, 0, 1, &cb);
    assert_int_equal(count_err(r, WHY_H2_ERR_PROTOCOL), 1);
    assert_false(c.dir[WHY_H2_CLIENT].dead);
    why_h2_conn_fini(&c);
}

/* The client's GET /page on stream 1, then the server's PUSH_PROMISE of /style.css on it,
 * promising stream `promised` (written, not yet fed). */
static void get_and_promise(struct setup *u, uint32_t promised, const struct why_h2_cb *cb)
{
    get(u, 1, "/page", 100, 10, cb);
    nghttp2_nv pr[] = {NV(":method", "GET"), NV(":scheme", "https"), NV(":authority", "a"),
                       NV(":path", "/style.css")};
    uint8_t b[128], p[140];
    size_t bl = block(u->sd, pr, 4, b, sizeof b);
    be32(p, promised);
    memcpy(p + 4, b, bl);
    frame(&u->w, WHY_H2_PUSH_PROMISE, WHY_H2_FLAG_END_HEADERS, 1, p, 4 + bl);
}

static void push_promise(void **state)
{
    struct fx *fx = *state;
    struct rec *r = &fx->r;
    struct setup *u = &fx->u;
    struct why_h2_cb cb = fx->cb;
    get_and_promise(u, 2, &cb);
    nghttp2_nv a[] = {NV(":status", "200")};
    headers(&u->w, u->sd, 1, true, a, 1);
    headers(&u->w, u->sd, 2, true, a, 1);
    send_server(u, 200, 11, &cb);
    assert_int_equal(count_ev(r, WHY_H2_EV_ERROR), 0);
    assert_int_equal(r->nend, 2);
    assert_int_equal(r->end[1].id, 2);
    assert_true(r->end[1].pushed);
    assert_string_equal(r->end[1].path, "/style.css");
    assert_int_equal(r->end[1].status, 200);
}

/* A promised stream id must be a new even one (RFC 9113 8.4): an odd one (a client's id) is
 * the server's protocol error (the frame reader's check), and no stream is opened for it. */
static void push_promise_odd_id(void **state)
{
    struct fx *fx = *state;
    struct rec *r = &fx->r;
    struct setup *u = &fx->u;
    struct why_h2_cb cb = fx->cb;
    get_and_promise(u, 3, &cb);
    send_server(u, 200, 11, &cb);
    assert_int_equal(count_ev(r, WHY_H2_EV_ERROR), 1);
    for (int i = 0; i < r->nend; i++)
        assert_false(r->end[i].pushed);
}

static void gaps(void **state)
{
    struct fx *fx = *state;
    struct rec *r = &fx->r;
    struct setup *u = &fx->u;
    struct why_h2_cb cb = fx->cb;
    static uint8_t chunk[1000];
    get(u, 1, "/a", 100, 10, &cb);
    get(u, 3, "/b", 100, 10, &cb);
    nghttp2_nv a[] = {NV(":status", "200")};
    headers(&u->w, u->sd, 1, false, a, 1);
    frame(&u->w, WHY_H2_DATA, WHY_H2_FLAG_END_STREAM, 1, chunk, sizeof chunk);
    /* a gap of 500 bytes inside the DATA payload: counted, reading goes on */
    size_t head_end = u->w.n - sizeof chunk;
    why_h2_conn_feed(&u->c, WHY_H2_SERVER, u->w.b, head_end + 100, T(200), 11, &cb);
    why_h2_conn_gap(&u->c, WHY_H2_SERVER, 500, &cb);
    why_h2_conn_feed(&u->c, WHY_H2_SERVER, u->w.b + head_end + 600, 400, T(201), 12, &cb);
    u->w.n = 0;
    assert_int_equal(r->nend, 1);
    assert_int_equal(r->end[0].end, WHY_H2_END_COMPLETE);
    assert_false(u->c.dir[WHY_H2_SERVER].dead);
    /* a gap inside a header block: the server's table is lost, the stream still answered */
    nghttp2_nv a3[] = {NV(":status", "503"), NV("server", "x")};
    headers(&u->w, u->sd, 3, true, a3, 2);
    why_h2_conn_feed(&u->c, WHY_H2_SERVER, u->w.b, 10, T(300), 13, &cb);
    why_h2_conn_gap(&u->c, WHY_H2_SERVER, 1, &cb);
    why_h2_conn_feed(&u->c, WHY_H2_SERVER, u->w.b + 11, u->w.n - 11, T(300), 14, &cb);
    u->w.n = 0;
    assert_int_equal(r->nend, 2);
    assert_true(r->end[1].headers_unread);
    assert_true(u->c.dir[WHY_H2_SERVER].hpack_broken);
    /* a gap between frames: the side cannot be followed; open streams end LOST */
    get(u, 5, "/c", 400, 15, &cb);
    why_h2_conn_gap(&u->c, WHY_H2_SERVER, 100, &cb);
    assert_true(u->c.dir[WHY_H2_SERVER].dead);
    assert_int_equal(r->nend, 3);
    assert_int_equal(r->end[2].end, WHY_H2_END_LOST);
}

/* ---- the stream table on its own (http2_stream.h) ---- */

/* Sets the packet a side's current frame came in (what the table stamps on its changes). */
static void at(struct why_h2_conn *c, enum why_h2_side s, int64_t us, uint64_t fno)
{
    c->dir[s].cur_ts = T(us);
    c->dir[s].cur_frame = fno;
}

static void stream_table(void **state)
{
    (void)state;
    struct rec *r = malloc(sizeof *r);
    assert_non_null(r);
    struct why_h2_cb cb = cbs(r);
    struct why_h2_conn *c = malloc(sizeof *c);
    assert_non_null(c);
    why_h2_conn_init(c);

    /* open: ids and windows; lookups of an unknown id find nothing */
    assert_null(why_h2_stream_find(c, 1));
    struct why_h2_stream *st = why_h2_stream_open(c, WHY_H2_CLIENT, 1, &cb);
    assert_non_null(st);
    assert_int_equal(st->id, 1);
    assert_int_equal(st->grpc_status, -1);
    assert_int_equal(st->window[WHY_H2_CLIENT], WHY_H2_DEFAULT_WINDOW);
    assert_int_equal(st->window[WHY_H2_SERVER], WHY_H2_DEFAULT_WINDOW);
    assert_int_equal(c->max_id[WHY_H2_CLIENT], 1);
    assert_int_equal(c->nstreams, 1);
    assert_int_equal(c->streams_total, 1);
    assert_ptr_equal(why_h2_stream_find(c, 1), st);
    assert_null(why_h2_stream_find(c, 3));
    assert_null(why_h2_stream_find(c, 0));
    assert_null(why_h2_stream_find(c, 0x7fffffff));

    /* close: END_STREAM from both sides ends it COMPLETE, once, and it is gone */
    at(c, WHY_H2_CLIENT, 100, 2);
    why_h2_stream_side_end(c, st, WHY_H2_CLIENT, &cb);
    why_h2_stream_side_end(c, st, WHY_H2_CLIENT, &cb); /* twice: once only */
    assert_int_equal(r->nend, 0);
    assert_true(st->ended[WHY_H2_CLIENT]);
    assert_int_equal(st->f_end[WHY_H2_CLIENT], 2);
    at(c, WHY_H2_SERVER, 300, 3);
    why_h2_stream_side_end(c, st, WHY_H2_SERVER, &cb);
    assert_int_equal(r->nend, 1);
    assert_int_equal(r->end[0].id, 1);
    assert_int_equal(r->end[0].end, WHY_H2_END_COMPLETE);
    assert_int_equal(r->end[0].code, WHY_H2_NO_ERROR);
    assert_int_equal(r->end[0].closed_by, WHY_H2_SERVER);
    assert_int_equal(r->end[0].f_close, 3);
    assert_int_equal(c->nstreams, 0);
    assert_null(why_h2_stream_find(c, 1));

    /* reset: RST_STREAM ends it with the code and its sender; the other stream stays */
    struct why_h2_stream *a = why_h2_stream_open(c, WHY_H2_CLIENT, 3, &cb);
    assert_non_null(why_h2_stream_open(c, WHY_H2_CLIENT, 5, &cb));
    assert_non_null(a);
    why_h2_stream_finish(c, a, WHY_H2_END_RST, WHY_H2_CANCEL, WHY_H2_SERVER, T(400), 4, &cb);
    assert_int_equal(r->nend, 2);
    assert_int_equal(r->end[1].id, 3);
    assert_int_equal(r->end[1].end, WHY_H2_END_RST);
    assert_int_equal(r->end[1].code, WHY_H2_CANCEL);
    assert_int_equal(r->end[1].closed_by, WHY_H2_SERVER);
    assert_null(why_h2_stream_find(c, 3));
    assert_non_null(why_h2_stream_find(c, 5)); /* moved into the freed slot, still found */
    assert_int_equal(c->nstreams, 1);

    /* window to 0 and back: DATA empties it (a stall starts), WINDOW_UPDATE reopens it */
    st = why_h2_stream_find(c, 5);
    at(c, WHY_H2_CLIENT, 1000, 5);
    why_h2_stream_data(st, WHY_H2_CLIENT, &c->dir[WHY_H2_CLIENT], 65000, false);
    assert_false(st->stalled[WHY_H2_CLIENT]);
    at(c, WHY_H2_CLIENT, 2000, 6);
    why_h2_stream_data(st, WHY_H2_CLIENT, &c->dir[WHY_H2_CLIENT], 535, false);
    assert_int_equal(st->window[WHY_H2_CLIENT], 0);
    assert_int_equal(st->data_bytes[WHY_H2_CLIENT], 65535);
    assert_true(st->stalled[WHY_H2_CLIENT]);
    assert_int_equal(st->stall_frame[WHY_H2_CLIENT], 6);
    int nev = r->nev;
    assert_int_equal(why_h2_stream_credit(st, WHY_H2_CLIENT, 1000), 1000);
    why_h2_stream_stall_end(c, st, WHY_H2_CLIENT, true, T(52000), 7, &cb);
    assert_false(st->stalled[WHY_H2_CLIENT]);
    assert_int_equal(st->stall_us[WHY_H2_CLIENT], 50000);
    assert_int_equal(r->nev, nev + 1);
    const struct why_h2_event *ev = &r->ev[nev];
    assert_int_equal(ev->kind, WHY_H2_EV_STALL);
    assert_int_equal(ev->from, WHY_H2_CLIENT);
    assert_int_equal(ev->stream_id, 5);
    assert_true(ev->resolved);
    assert_int_equal(ev->wait_us, 50000);
    assert_int_equal(ev->since_frame, 6);
    assert_int_equal(ev->frame, 7);
    why_h2_stream_stall_end(c, st, WHY_H2_CLIENT, true, T(60000), 8, &cb); /* not stalled */
    assert_int_equal(r->nev, nev + 1);
    /* a smaller SETTINGS_INITIAL_WINDOW_SIZE takes it below 0 (a stall again when DATA is
     * sent at 0 or less); a larger one brings it back above 0, resolved */
    why_h2_streams_shift(c, WHY_H2_CLIENT, -2000, T(61000), 9, &cb);
    assert_int_equal(st->window[WHY_H2_CLIENT], -1000);
    at(c, WHY_H2_CLIENT, 62000, 10);
    why_h2_stream_data(st, WHY_H2_CLIENT, &c->dir[WHY_H2_CLIENT], 0, false);
    assert_false(st->stalled[WHY_H2_CLIENT]); /* an empty DATA does not start one */
    why_h2_stream_data(st, WHY_H2_CLIENT, &c->dir[WHY_H2_CLIENT], 10, false);
    assert_true(st->stalled[WHY_H2_CLIENT]);
    why_h2_streams_shift(c, WHY_H2_CLIENT, 5000, T(72000), 11, &cb);
    assert_int_equal(st->window[WHY_H2_CLIENT], 3990);
    assert_false(st->stalled[WHY_H2_CLIENT]);
    assert_int_equal(r->nev, nev + 2);
    assert_true(r->ev[nev + 1].resolved);
    assert_int_equal(r->ev[nev + 1].wait_us, 10000);
    assert_int_equal(st->stall_us[WHY_H2_CLIENT], 60000);
    /* a stall still open when the stream ends is reported unresolved */
    at(c, WHY_H2_SERVER, 80000, 12);
    why_h2_stream_data(st, WHY_H2_SERVER, &c->dir[WHY_H2_SERVER], 65535, false);
    assert_true(st->stalled[WHY_H2_SERVER]);
    why_h2_stream_finish(c, st, WHY_H2_END_RST, WHY_H2_FLOW_CONTROL_ERROR, WHY_H2_CLIENT,
                         T(90000), 13, &cb);
    assert_int_equal(r->nev, nev + 3);
    assert_false(r->ev[nev + 2].resolved);
    assert_int_equal(r->ev[nev + 2].from, WHY_H2_SERVER);
    assert_int_equal(r->ev[nev + 2].wait_us, 10000);
    assert_int_equal(r->nend, 3);
    assert_int_equal(r->end[2].stall_us[WHY_H2_SERVER], 10000);
    assert_int_equal(c->nstreams, 0);

    /* cap reached: WHY_H2_STREAMS_MAX open, the next is not tracked, counted and reported */
    uint32_t id = 7;
    for (int i = 0; i < WHY_H2_STREAMS_MAX; i++, id += 2)
        assert_non_null(why_h2_stream_open(c, WHY_H2_CLIENT, id, &cb));
    assert_int_equal(c->nstreams, WHY_H2_STREAMS_MAX);
    assert_int_equal(c->cap_streams, WHY_H2_STREAMS_MAX);
    nev = r->nev;
    at(c, WHY_H2_CLIENT, 100000, 14);
    assert_null(why_h2_stream_open(c, WHY_H2_CLIENT, id, &cb));
    assert_int_equal(c->max_id[WHY_H2_CLIENT], id); /* the id is used all the same */
    assert_null(why_h2_stream_find(c, id));
    assert_int_equal(c->streams_dropped, 1);
    assert_int_equal(c->streams_total, 3 + WHY_H2_STREAMS_MAX + 1);
    assert_int_equal(r->nev, nev + 1);
    assert_int_equal(r->ev[nev].kind, WHY_H2_EV_CAP);
    assert_int_equal(r->ev[nev].cap, WHY_H2_CAP_STREAMS);
    assert_int_equal(r->ev[nev].frame, 14);
    /* a server's push past the cap is not tracked either */
    assert_null(why_h2_stream_open(c, WHY_H2_SERVER, 2, &cb));
    assert_int_equal(c->streams_dropped, 2);
    assert_int_equal(c->max_id[WHY_H2_SERVER], 2);

    /* GOAWAY from the server: the client's streams above last-stream-id end GOAWAY */
    uint32_t last = 7 + 2 * (WHY_H2_STREAMS_MAX / 2 - 1); /* half of them were processed */
    int nend = r->nend;
    why_h2_streams_goaway(c, WHY_H2_SERVER, last, WHY_H2_NO_ERROR, T(110000), 15, &cb);
    assert_int_equal(c->nstreams, WHY_H2_STREAMS_MAX / 2);
    assert_int_equal(r->nend, nend + WHY_H2_STREAMS_MAX / 2);
    for (int i = nend; i < r->nend && i < REC_MAX; i++) {
        assert_int_equal(r->end[i].end, WHY_H2_END_GOAWAY);
        assert_true(r->end[i].id > last);
        assert_int_equal(r->end[i].closed_by, WHY_H2_SERVER);
    }
    assert_non_null(why_h2_stream_find(c, last));
    assert_null(why_h2_stream_find(c, last + 2));
    /* room again under the cap */
    assert_non_null(why_h2_stream_open(c, WHY_H2_CLIENT, id + 2, &cb));

    /* the end of the connection ends every open stream CLOSED */
    nend = r->nend;
    why_h2_streams_end_all(c, WHY_H2_END_CLOSED, WHY_H2_CLIENT, T(120000), 16, &cb);
    assert_int_equal(c->nstreams, 0);
    assert_int_equal(r->nend, nend + WHY_H2_STREAMS_MAX / 2 + 1);
    assert_int_equal(r->end[nend].end, WHY_H2_END_CLOSED);
    assert_int_equal(r->end[nend].f_close, 16);

    why_h2_streams_free(c);
    assert_null(c->streams);
    assert_int_equal(c->cap_streams, 0);
    why_h2_conn_fini(c);
    free(c);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(frame_parse_contract),
        cmocka_unit_test(frame_parse_flush),
        cmocka_unit_test(recognition),
        cmocka_unit_test(conversation),
        cmocka_unit_test(conversation_bytewise),
        cmocka_unit_test_setup_teardown(rst_and_goaway, fx_up, fx_down),
        cmocka_unit_test_setup_teardown(grpc, fx_up, fx_down),
        cmocka_unit_test_setup_teardown(flow_control_stall, fx_up, fx_down),
        cmocka_unit_test(upgrade_h2c),
        cmocka_unit_test(upgrade_h2c_split_offer),
        cmocka_unit_test(not_h2),
        cmocka_unit_test_setup_teardown(hostile_hpack, fx_up, fx_down),
        cmocka_unit_test_setup_teardown(hpack_table_cap, fx_up, fx_down),
        cmocka_unit_test_setup_teardown(caps, fx_up, fx_down),
        cmocka_unit_test_setup_teardown(protocol_faults, fx_up, fx_down),
        cmocka_unit_test_setup_teardown(push_promise, fx_up, fx_down),
        cmocka_unit_test_setup_teardown(push_promise_odd_id, fx_up, fx_down),
        cmocka_unit_test_setup_teardown(gaps, fx_up, fx_down),
        cmocka_unit_test(stream_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
