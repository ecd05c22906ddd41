/* An HTTP/2 connection read from both directions (RFC 9113): the streaming reader of each
 * side's frames and its header blocks, with SETTINGS and their ACKs, PING, GOAWAY and the
 * connection's flow-control windows; the streams they open, answer and end are kept by the
 * stream table (http2_stream.c), which this reader drives. Every byte is attacker
 * controlled: frame heads and fixed fields are collected (at most 9 and 8 bytes) and read
 * through the bounded cursor by the frame layer (http2_frame.c), payloads are skipped by
 * count, header block fragments go straight to libnghttp2's HPACK inflater (RFC 7541), whose
 * dynamic table is capped. Nothing is buffered beyond a frame's fixed fields and the first
 * WHY_H2_DEBUG_MAX bytes of a GOAWAY's debug data; the stream table holds at most
 * WHY_H2_STREAMS_MAX open streams. */
#include "proto/http2.h"
#include "proto/http2_frame.h"
#include "proto/http2_stream.h"

#include <stdlib.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "util/ascii.h"
#include "util/cursor.h"

/* reader phases (private) */
enum {
    PH_PREFACE,  /* client: matching the 24-byte preface */
    PH_HEAD,     /* collecting a 9-byte frame head */
    PH_FIXED,    /* collecting the fixed fields at the start of the payload */
    PH_SETTINGS, /* collecting SETTINGS entries, 6 bytes each */
    PH_FRAG,     /* DATA data, a header block fragment, or GOAWAY debug data */
    PH_SKIP,     /* padding, or a payload not read */
};

#define INFLATE_ROUNDS_MIN 16u /* inflater calls allowed per fragment besides one per byte */

/* Non-negative decimal, at most 9 digits (statuses, grpc-status); -1 otherwise. */
static int small_int(const uint8_t *v, size_t n)
{
    int x = 0;
    if (n == 0 || n > 9)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        x = x * 10 + (v[i] - '0');
    }
    return x;
}

/* ---- connections: helpers ---- */

static void anomaly(struct why_h2_conn *c, enum why_h2_side from, enum why_h2_err err,
                    uint32_t code, const struct why_h2_cb *cb)
{
    struct why_h2_dir *d = &c->dir[from];
    struct why_h2_event ev = why_h2_event_at(d, WHY_H2_EV_ERROR, from);
    ev.err = err;
    ev.code = code;
    d->errors++;
    why_h2_emit(cb, &ev);
}








/* ---- header blocks ---- */

static void hd_table_sync(struct why_h2_conn *c, enum why_h2_side s)
{
    struct why_h2_dir *d = &c->dir[s];
    if (!d->hd || d->in_block)
        return; /* applied when the inflater is made, or when the block ends */
    uint32_t v = c->dir[why_h2_other(s)].settings.header_table_size;
    if (v > WHY_H2_HPACK_TABLE_MAX)
        v = WHY_H2_HPACK_TABLE_MAX;
    if (nghttp2_hd_inflate_get_max_dynamic_table_size(d->hd) != v &&
        nghttp2_hd_inflate_change_table_size(d->hd, v) != 0)
        d->hpack_broken = true;
}

/* An empty head (the 2 KB target is terminated, not wiped: this runs for every block). */
static void head_blank(struct why_http_head *h, bool request)
{
    memset(h, 0, offsetof(struct why_http_head, target));
    h->target[0] = 0;
    memset(&h->target_len, 0, sizeof *h - offsetof(struct why_http_head, target_len));
    h->version_minor = 2;
    h->content_length = -1;
    h->is_request = request;
}

static void block_start(struct why_h2_conn *c, enum why_h2_side s)
{
    struct why_h2_dir *d = &c->dir[s];
    d->in_block = true;
    d->block_stream = d->cur.stream_id;
    d->block_type = d->cur.type;
    d->block_end_stream = (d->cur.flags & WHY_H2_FLAG_END_STREAM) != 0;
    d->block_promised = d->cur.promised_id;
    d->block_list = 0;
    d->block_bytes = 0;
    d->block_capped = false;
    d->block_scheme[0] = 0;
    d->block_grpc_status = -1;
    d->block_grpc_message[0] = 0;
    if (!d->head)
        d->head = malloc(sizeof *d->head);
    if (!d->hd && !d->hpack_broken) {
        if (nghttp2_hd_inflate_new(&d->hd) != 0) {
            d->hd = NULL;
            d->hpack_broken = true;
        } else {
            d->in_block = false;
            hd_table_sync(c, s);
            d->in_block = true;
        }
    }
    if (!d->head) {
        d->hpack_broken = true; /* no room to decode into: the block is skipped */
        return;
    }
    head_blank(d->head, s == WHY_H2_CLIENT || d->block_type == WHY_H2_PUSH_PROMISE);
}

static void take_field(struct why_h2_conn *c, enum why_h2_side s, const uint8_t *n, size_t nl,
                       const uint8_t *v, size_t vl, const struct why_h2_cb *cb)
{
    struct why_h2_dir *d = &c->dir[s];
    struct why_http_head *h = d->head;
    uint64_t size = (uint64_t)d->block_list + nl + vl + 32;
    d->block_list = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
    if (d->block_list > WHY_H2_HEADER_LIST_MAX) {
        if (!d->block_capped) {
            d->block_capped = true;
            c->header_lists_capped++;
            why_h2_cap_hit(c, s, WHY_H2_CAP_HEADER_LIST, cb);
        }
        return; /* still inflated (the table must stay in step), no longer kept */
    }
    if (h->nfields < WHY_HTTP_HEADERS_MAX)
        h->nfields++;
    if (why_ascii_ieq(n, nl, ":method")) {
        why_ascii_copy(h->method, sizeof h->method, v, vl);
    } else if (why_ascii_ieq(n, nl, ":path")) {
        size_t k = vl > WHY_HTTP_TARGET_MAX ? WHY_HTTP_TARGET_MAX : vl;
        why_ascii_copy(h->target, sizeof h->target, v, k);
        h->target_len = (uint32_t)k;
        h->target_truncated = vl > k;
    } else if (why_ascii_ieq(n, nl, ":authority")) {
        why_ascii_copy(h->host, sizeof h->host, v, vl);
    } else if (why_ascii_ieq(n, nl, "host")) {
        if (!h->host[0])
            why_ascii_copy(h->host, sizeof h->host, v, vl);
    } else if (why_ascii_ieq(n, nl, ":scheme")) {
        why_ascii_copy(d->block_scheme, sizeof d->block_scheme, v, vl);
    } else if (why_ascii_ieq(n, nl, ":status")) {
        int st = vl == 3 ? small_int(v, vl) : -1;
        h->status = st >= 100 ? st : 0;
    } else if (why_ascii_ieq(n, nl, "server")) {
        why_ascii_copy(h->server, sizeof h->server, v, vl);
    } else if (why_ascii_ieq(n, nl, "via")) {
        why_ascii_append(h->via, sizeof h->via, v, vl);
    } else if (why_ascii_ieq(n, nl, "proxy-status")) {
        why_ascii_append(h->proxy_status, sizeof h->proxy_status, v, vl);
    } else if (why_ascii_ieq(n, nl, "x-squid-error")) {
        why_ascii_copy(h->x_squid_error, sizeof h->x_squid_error, v, vl);
    } else if (why_ascii_ieq(n, nl, "content-type")) {
        why_ascii_copy(h->content_type, sizeof h->content_type, v, vl);
    } else if (why_ascii_ieq(n, nl, "content-length")) {
        int64_t x = 0;
        bool ok = vl > 0 && vl <= 18;
        for (size_t i = 0; ok && i < vl; i++) {
            ok = v[i] >= '0' && v[i] <= '9';
            x = x * 10 + (v[i] - '0');
        }
        h->content_length = ok ? x : -1;
    } else if (why_ascii_ieq(n, nl, "grpc-status")) {
        d->block_grpc_status = small_int(v, vl);
    } else if (why_ascii_ieq(n, nl, "grpc-message")) {
        why_ascii_copy(d->block_grpc_message, sizeof d->block_grpc_message, v, vl);
    }
}

static void hpack_failed(struct why_h2_conn *c, enum why_h2_side s, const struct why_h2_cb *cb)
{
    struct why_h2_dir *d = &c->dir[s];
    d->hpack_broken = true;
    /* a table the peer announced past the cap may be what the encoder used: say so */
    uint32_t announced = c->dir[why_h2_other(s)].settings.header_table_size;
    if (announced > WHY_H2_HPACK_TABLE_MAX)
        why_h2_cap_hit(c, s, WHY_H2_CAP_HPACK_TABLE, cb);
    anomaly(c, s, WHY_H2_ERR_HPACK, WHY_H2_COMPRESSION_ERROR, cb);
}

static void block_done(struct why_h2_conn *c, enum why_h2_side s, const struct why_h2_cb *cb);

/* Fragment bytes of the open block; final with the last bytes of the END_HEADERS frame. */
static void block_feed(struct why_h2_conn *c, enum why_h2_side s, const uint8_t *p, size_t n,
                       bool final, const struct why_h2_cb *cb)
{
    struct why_h2_dir *d = &c->dir[s];
    uint64_t b = (uint64_t)d->block_bytes + n;
    d->block_bytes = b > UINT32_MAX ? UINT32_MAX : (uint32_t)b;
    if (d->hpack_broken || !d->hd)
        return;
    /* each call consumes bytes or emits a field made of consumed bytes: bounded */
    size_t rounds = 2 * n + INFLATE_ROUNDS_MIN;
    while (rounds--) {
        nghttp2_nv nv;
        int flags = 0;
        ssize_t rv = nghttp2_hd_inflate_hd2(d->hd, &nv, &flags, p, n, final ? 1 : 0);
        if (rv < 0 || (size_t)rv > n) {
            hpack_failed(c, s, cb);
            return;
        }
        if (rv > 0) {
            p += rv;
            n -= (size_t)rv;
        }
        if (flags & NGHTTP2_HD_INFLATE_EMIT)
            take_field(c, s, nv.name, nv.namelen, nv.value, nv.valuelen, cb);
        if (flags & NGHTTP2_HD_INFLATE_FINAL) {
            nghttp2_hd_inflate_end_headers(d->hd);
            return;
        }
        if (!(flags & NGHTTP2_HD_INFLATE_EMIT) && n == 0) {
            if (final)
                hpack_failed(c, s, cb); /* the block ended inside a field */
            return;
        }
    }
    hpack_failed(c, s, cb);
}

static void emit_headers(const struct why_h2_cb *cb, const struct why_h2_stream *st,
                         enum why_h2_side from, enum why_h2_block kind,
                         const struct why_http_head *h)
{
    if (cb && cb->on_headers && h)
        cb->on_headers(cb->ctx, st, from, kind, h);
}


/* The whole block is in: it opens a stream, answers one, or ends one with trailers. */
static void block_done(struct why_h2_conn *c, enum why_h2_side s, const struct why_h2_cb *cb)
{
    struct why_h2_dir *d = &c->dir[s];
    struct why_http_head *h = d->head; /* NULL only when memory ran out */
    bool unread = d->hpack_broken;
    d->in_block = false;
    if (h && unread)
        head_blank(h, h->is_request); /* what the inflater gave before it failed is dropped */
    hd_table_sync(c, s); /* a size announced while the block was open */
    if (h) {
        h->head_len = d->block_bytes;
        if (h->is_request && why_str_is(h->method, "CONNECT") && h->target_len == 0) {
            why_ascii_copy(h->target, sizeof h->target, (const uint8_t *)h->host, strlen(h->host));
            h->target_len = (uint32_t)strlen(h->target);
        }
    }
    uint32_t id = d->block_stream;
    struct why_h2_stream *st;

    if (d->block_type == WHY_H2_PUSH_PROMISE) {
        if (s != WHY_H2_SERVER || d->block_promised <= c->max_id[WHY_H2_SERVER]) {
            anomaly(c, s, WHY_H2_ERR_PROTOCOL, WHY_H2_PROTOCOL_ERROR, cb);
            return;
        }
        st = why_h2_stream_open(c, WHY_H2_SERVER, d->block_promised, cb);
        if (st) {
            st->pushed = true;
            st->ended[WHY_H2_CLIENT] = true; /* a promised request has no body */
            st->t_head[WHY_H2_CLIENT] = st->t_end[WHY_H2_CLIENT] = d->cur_ts;
            st->f_head[WHY_H2_CLIENT] = st->f_end[WHY_H2_CLIENT] = d->cur_frame;
            st->headers_unread = unread;
            st->headers_capped = d->block_capped;
            if (h)
                why_h2_stream_take_request(st, h, d->block_scheme);
        }
        emit_headers(cb, st, s, WHY_H2_BLOCK_REQUEST, h);
        return;
    }

    st = why_h2_stream_find(c, id);
    enum why_h2_block kind;
    if (!st) {
        if (s != WHY_H2_CLIENT || id <= c->max_id[WHY_H2_CLIENT] || id % 2 == 0) {
            /* a closed or untracked stream, or one the sender may not open */
            if (s == WHY_H2_CLIENT && id % 2 == 0)
                anomaly(c, s, WHY_H2_ERR_PROTOCOL, WHY_H2_PROTOCOL_ERROR, cb);
            return;
        }
        st = why_h2_stream_open(c, WHY_H2_CLIENT, id, cb);
        if (st) {
            st->t_head[s] = d->cur_ts;
            st->f_head[s] = d->cur_frame;
            st->headers_unread = unread;
            st->headers_capped = d->block_capped;
            if (h)
                why_h2_stream_take_request(st, h, d->block_scheme);
        }
        emit_headers(cb, st, s, WHY_H2_BLOCK_REQUEST, h);
        if (st && d->block_end_stream)
            why_h2_stream_side_end(c, st, s, cb);
        return;
    }

    bool no_status;
    kind = why_h2_stream_block(st, s, d, h, unread, &no_status);
    if (no_status)
        anomaly(c, s, WHY_H2_ERR_PROTOCOL, WHY_H2_PROTOCOL_ERROR, cb); /* no :status */
    emit_headers(cb, st, s, kind, h);
    if (d->block_end_stream)
        why_h2_stream_side_end(c, st, s, cb);
}

/* ---- frames of a side ---- */

/* Applies the oldest SETTINGS `to` sent: its peer has acknowledged it. */
static void settings_apply(struct why_h2_conn *c, enum why_h2_side to,
                           const struct why_h2_settings *v, const struct why_h2_cb *cb)
{
    struct why_h2_dir *d = &c->dir[to];
    enum why_h2_side peer = why_h2_other(to);
    int64_t delta = (int64_t)v->initial_window_size - (int64_t)d->settings.initial_window_size;
    d->settings = *v;
    hd_table_sync(c, peer);
    if (delta == 0)
        return;
    const struct why_h2_dir *pd = &c->dir[peer];
    why_h2_streams_shift(c, peer, delta, pd->cur_ts, pd->cur_frame, cb);
}

static void on_settings(struct why_h2_conn *c, enum why_h2_side s, const struct why_h2_cb *cb)
{
    struct why_h2_dir *d = &c->dir[s];
    d->settings_seen = true;
    if (d->announced.header_table_size > WHY_H2_HPACK_TABLE_MAX) {
        c->hpack_table_capped++;
        why_h2_cap_hit(c, s, WHY_H2_CAP_HPACK_TABLE, cb);
    }
    struct why_h2_event ev = why_h2_event_at(d, WHY_H2_EV_SETTINGS, s);
    ev.settings = &d->announced;
    why_h2_emit(cb, &ev);
    if (d->npending >= WHY_H2_SETTINGS_PENDING_MAX) {
        c->settings_dropped++;
        why_h2_cap_hit(c, s, WHY_H2_CAP_SETTINGS_PENDING, cb);
        settings_apply(c, s, &d->announced, cb);
        return;
    }
    struct why_h2_pending_settings *p = &d->pending[d->npending++];
    p->values = d->announced;
    p->ts = d->cur_ts;
    p->frame = d->cur_frame;
}

static void on_settings_ack(struct why_h2_conn *c, enum why_h2_side s, const struct why_h2_cb *cb)
{
    struct why_h2_dir *pd = &c->dir[why_h2_other(s)];
    if (pd->npending == 0)
        return; /* its SETTINGS was not captured */
    struct why_h2_pending_settings p = pd->pending[0];
    memmove(&pd->pending[0], &pd->pending[1], (pd->npending - 1) * sizeof pd->pending[0]);
    pd->npending--;
    struct why_h2_event ev = why_h2_event_at(&c->dir[s], WHY_H2_EV_SETTINGS_ACK, s);
    ev.since = p.ts;
    ev.since_frame = p.frame;
    ev.wait_us = why_ts_diff_us(p.ts, ev.ts);
    settings_apply(c, why_h2_other(s), &p.values, cb);
    why_h2_emit(cb, &ev);
}

static void on_data(struct why_h2_conn *c, enum why_h2_side s, const struct why_h2_cb *cb)
{
    struct why_h2_dir *d = &c->dir[s];
    const struct why_h2_frame *f = &d->cur;
    bool end = (f->flags & WHY_H2_FLAG_END_STREAM) != 0;
    d->window -= f->length;
    struct why_h2_stream *st = why_h2_stream_find(c, f->stream_id);
    if (st)
        why_h2_stream_data(st, s, d, f->length, end);
    if (d->window <= 0 && !end && !d->stalled && f->length > 0) {
        d->stalled = true;
        d->stall_since = d->cur_ts;
        d->stall_frame = d->cur_frame;
    }
    if (st && end)
        why_h2_stream_side_end(c, st, s, cb);
}

static void on_window_update(struct why_h2_conn *c, enum why_h2_side s, const struct why_h2_cb *cb)
{
    struct why_h2_dir *d = &c->dir[s];
    enum why_h2_side peer = why_h2_other(s);
    const struct why_h2_frame *f = &d->cur;
    int64_t w;
    struct why_h2_stream *st = NULL;
    if (f->stream_id == 0) {
        c->dir[peer].window += f->increment;
        w = c->dir[peer].window;
    } else {
        st = why_h2_stream_find(c, f->stream_id);
        if (!st)
            return;
        w = why_h2_stream_credit(st, peer, f->increment);
    }
    if (w > WHY_H2_WINDOW_LIMIT)
        anomaly(c, s, WHY_H2_ERR_FLOW, WHY_H2_FLOW_CONTROL_ERROR, cb);
    if (w <= 0)
        return;
    if (st) {
        why_h2_stream_stall_end(c, st, peer, true, d->cur_ts, d->cur_frame, cb);
    } else {
        struct why_h2_dir *pd = &c->dir[peer];
        why_h2_stall_end(pd, peer, 0, &pd->stalled, pd->stall_since, pd->stall_frame, &pd->stall_us,
                  true, d->cur_ts, d->cur_frame, cb);
    }
}

static void on_goaway(struct why_h2_conn *c, enum why_h2_side s, const struct why_h2_cb *cb)
{
    struct why_h2_dir *d = &c->dir[s];
    const struct why_h2_frame *f = &d->cur;
    d->goaway = true;
    d->goaway_last_id = f->last_stream_id;
    d->goaway_code = f->error_code;
    struct why_h2_event ev = why_h2_event_at(d, WHY_H2_EV_GOAWAY, s);
    ev.code = f->error_code;
    ev.last_stream_id = f->last_stream_id;
    ev.debug = d->debug;
    ev.debug_len = d->debug_len;
    why_h2_emit(cb, &ev);
    /* the peer's streams above last-stream-id were never processed (RFC 9113 6.8) */
    why_h2_streams_goaway(c, s, f->last_stream_id, f->error_code, d->cur_ts, d->cur_frame, cb);
}

static void on_ping(struct why_h2_conn *c, enum why_h2_side s, const struct why_h2_cb *cb)
{
    struct why_h2_dir *d = &c->dir[s];
    struct why_h2_dir *pd = &c->dir[why_h2_other(s)];
    if (!(d->cur.flags & WHY_H2_FLAG_ACK)) {
        d->ping_out = true;
        memcpy(d->ping_opaque, d->cur.opaque, 8);
        d->ping_ts = d->cur_ts;
        d->ping_frame = d->cur_frame;
        struct why_h2_event ev = why_h2_event_at(d, WHY_H2_EV_PING, s);
        why_h2_emit(cb, &ev);
        return;
    }
    if (!pd->ping_out || memcmp(pd->ping_opaque, d->cur.opaque, 8) != 0)
        return;
    pd->ping_out = false;
    struct why_h2_event ev = why_h2_event_at(d, WHY_H2_EV_PING_ACK, s);
    ev.since = pd->ping_ts;
    ev.since_frame = pd->ping_frame;
    ev.wait_us = why_ts_diff_us(pd->ping_ts, ev.ts);
    why_h2_emit(cb, &ev);
}

/* The fixed fields are in (or there are none): act on frames that are only that, and set
 * the reader for the rest of the payload. */
static void fixed_done(struct why_h2_conn *c, enum why_h2_side s, const struct why_h2_cb *cb)
{
    struct why_h2_dir *d = &c->dir[s];
    struct why_h2_frame *f = &d->cur;
    uint32_t fs = why_h2_fixed_size(f);
    struct why_cur cur = why_cur_make(d->fixed, fs);
    why_h2_read_fixed(f, &cur);
    d->left = f->length - fs;
    enum why_h2_err e = why_h2_check_fixed(f);
    if (e != WHY_H2_ERR_NONE) {
        anomaly(c, s, e, WHY_H2_PROTOCOL_ERROR, cb);
        if (f->type == WHY_H2_HEADERS || f->type == WHY_H2_PUSH_PROMISE)
            d->hpack_broken = true; /* the block is not read: the encoder's table moved on */
        d->phase = PH_SKIP;
        return;
    }
    switch (f->type) {
    case WHY_H2_HEADERS:
    case WHY_H2_PUSH_PROMISE:
        block_start(c, s);
        /* fall through */
    case WHY_H2_DATA:
    case WHY_H2_CONTINUATION:
    case WHY_H2_GOAWAY:
        d->frag_left = d->left - f->pad_len;
        d->debug_len = 0;
        d->phase = PH_FRAG;
        return;
    case WHY_H2_RST_STREAM: {
        struct why_h2_event ev = why_h2_event_at(d, WHY_H2_EV_RST_STREAM, s);
        ev.code = f->error_code;
        why_h2_emit(cb, &ev);
        struct why_h2_stream *st = why_h2_stream_find(c, f->stream_id);
        if (st)
            why_h2_stream_finish(c, st, WHY_H2_END_RST, f->error_code, s, d->cur_ts, d->cur_frame, cb);
        break;
    }
    case WHY_H2_WINDOW_UPDATE:
        on_window_update(c, s, cb);
        break;
    case WHY_H2_PING:
        on_ping(c, s, cb);
        break;
    default:
        break; /* PRIORITY: nothing to keep; unknown types: skipped */
    }
    d->phase = PH_SKIP;
}

/* The fragment part of the payload is over: padding may follow. */
static void frag_done(struct why_h2_conn *c, enum why_h2_side s, const struct why_h2_cb *cb)
{
    struct why_h2_dir *d = &c->dir[s];
    const struct why_h2_frame *f = &d->cur;
    d->phase = PH_SKIP;
    d->left = f->pad_len;
    switch (f->type) {
    case WHY_H2_HEADERS:
    case WHY_H2_PUSH_PROMISE:
    case WHY_H2_CONTINUATION:
        if (f->flags & WHY_H2_FLAG_END_HEADERS) {
            block_feed(c, s, NULL, 0, true, cb);
            block_done(c, s, cb);
        }
        break;
    case WHY_H2_GOAWAY:
        on_goaway(c, s, cb);
        break;
    default:
        break;
    }
}

/* A whole frame head: check it against the rules and the receiver's limit, then set the
 * reader for its payload. */
static void head_done(struct why_h2_conn *c, enum why_h2_side s, const struct why_h2_cb *cb)
{
    struct why_h2_dir *d = &c->dir[s];
    struct why_h2_frame *f = &d->cur;
    why_h2_frame_head_parse(d->hbuf, sizeof d->hbuf, f);
    d->hlen = 0;
    d->cur_ts = d->pkt_ts;
    d->cur_frame = d->pkt_frame;
    d->frames++;
    bool first = !d->started;
    d->started = true;
    d->left = f->length;
    d->fixed_len = 0;
    d->fixed_need = 0;
    d->phase = PH_SKIP;

    if (first && (f->type != WHY_H2_SETTINGS || (f->flags & WHY_H2_FLAG_ACK))) {
        if (s == WHY_H2_SERVER) {
            d->dead = true; /* a server speaks SETTINGS first, or it is not HTTP/2 */
            anomaly(c, s, WHY_H2_ERR_NOT_H2, WHY_H2_PROTOCOL_ERROR, cb);
            return;
        }
        anomaly(c, s, WHY_H2_ERR_PROTOCOL, WHY_H2_PROTOCOL_ERROR, cb);
    }
    if (f->length > c->dir[why_h2_other(s)].settings.max_frame_size) {
        c->frames_oversize++;
        anomaly(c, s, WHY_H2_ERR_FRAME_SIZE, WHY_H2_FRAME_SIZE_ERROR, cb);
    }
    /* nothing may come between a header block's frames (RFC 9113 6.10) */
    bool cont = f->type == WHY_H2_CONTINUATION;
    if (d->in_block && (!cont || f->stream_id != d->block_stream)) {
        anomaly(c, s, WHY_H2_ERR_PROTOCOL, WHY_H2_PROTOCOL_ERROR, cb);
        d->in_block = false;
        d->hpack_broken = true;
        if (d->hd)
            nghttp2_hd_inflate_end_headers(d->hd);
    } else if (!d->in_block && cont) {
        anomaly(c, s, WHY_H2_ERR_PROTOCOL, WHY_H2_PROTOCOL_ERROR, cb);
        return;
    }
    enum why_h2_err e = why_h2_check_head(f);
    if (e != WHY_H2_ERR_NONE) {
        anomaly(c, s, e, e == WHY_H2_ERR_FRAME_SIZE ? WHY_H2_FRAME_SIZE_ERROR : WHY_H2_PROTOCOL_ERROR,
                cb);
        if (f->type == WHY_H2_HEADERS || f->type == WHY_H2_PUSH_PROMISE || cont) {
            d->hpack_broken = true;
            d->in_block = false;
        }
        return;
    }
    switch (f->type) {
    case WHY_H2_DATA:
        on_data(c, s, cb);
        break;
    case WHY_H2_SETTINGS:
        if (f->flags & WHY_H2_FLAG_ACK) {
            on_settings_ack(c, s, cb);
            return;
        }
        d->phase = PH_SETTINGS;
        d->fixed_need = 6;
        return;
    default:
        break;
    }
    if (!why_h2_known_type(f->type))
        return; /* extension frames are skipped */
    d->fixed_need = why_h2_fixed_size(f);
    d->phase = PH_FIXED;
}

static void settings_entry_done(struct why_h2_conn *c, enum why_h2_side s,
                                const struct why_h2_cb *cb)
{
    struct why_h2_dir *d = &c->dir[s];
    struct why_cur cur = why_cur_make(d->fixed, 6);
    uint16_t id = why_cur_be16(&cur);
    uint32_t v = why_cur_be32(&cur);
    uint32_t code = 0;
    enum why_h2_err e = why_h2_settings_entry(&d->announced, id, v, &code);
    if (e != WHY_H2_ERR_NONE)
        anomaly(c, s, e, code, cb);
    d->fixed_len = 0;
}

/* Runs the steps that need no more bytes (empty payloads, ends of frames). */
static void settle(struct why_h2_conn *c, enum why_h2_side s, const struct why_h2_cb *cb)
{
    struct why_h2_dir *d = &c->dir[s];
    for (int guard = 0; guard < 8 && !d->dead; guard++) {
        switch (d->phase) {
        case PH_FIXED:
            if (d->fixed_len < d->fixed_need)
                return;
            fixed_done(c, s, cb);
            continue;
        case PH_SETTINGS:
            if (d->left > 0)
                return;
            d->phase = PH_SKIP;
            on_settings(c, s, cb);
            continue;
        case PH_FRAG:
            if (d->frag_left > 0)
                return;
            frag_done(c, s, cb);
            continue;
        case PH_SKIP:
            if (d->left > 0)
                return;
            d->phase = PH_HEAD;
            return;
        default:
            return;
        }
    }
}

static void frag_bytes(struct why_h2_conn *c, enum why_h2_side s, const uint8_t *p, size_t n,
                       const struct why_h2_cb *cb)
{
    struct why_h2_dir *d = &c->dir[s];
    const struct why_h2_frame *f = &d->cur;
    d->frag_left -= (uint32_t)n;
    d->left -= (uint32_t)n;
    switch (f->type) {
    case WHY_H2_HEADERS:
    case WHY_H2_PUSH_PROMISE:
    case WHY_H2_CONTINUATION:
        if (d->in_block)
            block_feed(c, s, p, n, d->frag_left == 0 && (f->flags & WHY_H2_FLAG_END_HEADERS), cb);
        break;
    case WHY_H2_GOAWAY: {
        size_t k = WHY_H2_DEBUG_MAX - d->debug_len;
        if (k > n)
            k = n;
        memcpy(d->debug + d->debug_len, p, k);
        d->debug_len += (uint32_t)k;
        break;
    }
    default:
        break; /* DATA: counted at the head */
    }
}

static void feed_dir(struct why_h2_conn *c, enum why_h2_side s, const uint8_t *p, size_t n,
                     const struct why_h2_cb *cb)
{
    struct why_h2_dir *d = &c->dir[s];
    size_t i = 0;
    while (i < n && !d->dead) {
        size_t k, avail = n - i;
        switch (d->phase) {
        case PH_PREFACE:
            k = WHY_H2_PREFACE_LEN - d->preface_got;
            if (k > avail)
                k = avail;
            if (memcmp(p + i, &WHY_H2_PREFACE[d->preface_got], k) != 0) {
                d->dead = true;
                anomaly(c, s, WHY_H2_ERR_NOT_H2, WHY_H2_PROTOCOL_ERROR, cb);
                return;
            }
            d->preface_got += (uint32_t)k;
            i += k;
            if (d->preface_got == WHY_H2_PREFACE_LEN) {
                d->phase = PH_HEAD;
                d->cur_ts = d->pkt_ts;
                d->cur_frame = d->pkt_frame;
                struct why_h2_event ev = why_h2_event_at(d, WHY_H2_EV_PREFACE, s);
                why_h2_emit(cb, &ev);
            }
            break;
        case PH_HEAD:
            k = WHY_H2_FRAME_HEAD_LEN - d->hlen;
            if (k > avail)
                k = avail;
            memcpy(d->hbuf + d->hlen, p + i, k);
            d->hlen += (uint32_t)k;
            i += k;
            if (d->hlen == WHY_H2_FRAME_HEAD_LEN) {
                head_done(c, s, cb);
                settle(c, s, cb);
            }
            break;
        case PH_FIXED:
        case PH_SETTINGS:
            k = d->fixed_need - d->fixed_len;
            if (k > avail)
                k = avail;
            memcpy(d->fixed + d->fixed_len, p + i, k);
            d->fixed_len += (uint32_t)k;
            i += k;
            if (d->phase == PH_SETTINGS) {
                d->left -= (uint32_t)k;
                if (d->fixed_len == 6)
                    settings_entry_done(c, s, cb);
            }
            settle(c, s, cb);
            break;
        case PH_FRAG:
            k = d->frag_left < avail ? d->frag_left : avail;
            frag_bytes(c, s, p + i, k, cb);
            i += k;
            settle(c, s, cb);
            break;
        case PH_SKIP:
        default:
            k = d->left < avail ? d->left : avail;
            d->left -= (uint32_t)k;
            i += k;
            settle(c, s, cb);
            break;
        }
    }
}

/* ---- connections ---- */

void why_h2_conn_init(struct why_h2_conn *c)
{
    memset(c, 0, sizeof *c);
    for (int s = 0; s < 2; s++) {
        struct why_h2_dir *d = &c->dir[s];
        why_h2_settings_defaults(&d->settings);
        d->announced = d->settings;
        d->window = WHY_H2_DEFAULT_WINDOW;
        d->phase = s == WHY_H2_CLIENT ? PH_PREFACE : PH_HEAD;
    }
}

void why_h2_conn_fini(struct why_h2_conn *c)
{
    for (int s = 0; s < 2; s++) {
        struct why_h2_dir *d = &c->dir[s];
        if (d->hd)
            nghttp2_hd_inflate_del(d->hd);
        free(d->head);
        d->hd = NULL;
        d->head = NULL;
        d->dead = true;
    }
    why_h2_streams_free(c);
}

int why_h2_conn_upgrade(struct why_h2_conn *c, const struct why_http_head *req,
                        const uint8_t *settings, size_t settings_len, struct why_ts ts,
                        uint64_t frame, const struct why_h2_cb *cb)
{
    struct why_h2_dir *cd = &c->dir[WHY_H2_CLIENT];
    int rc = 0;
    c->upgraded = true;
    if (settings && settings_len) {
        uint8_t raw[6 * 64];
        long n = why_h2_b64url_decode(settings, settings_len, raw, sizeof raw);
        if (n < 0 || n % 6 != 0) {
            rc = WHY_H2_ERR_PROTOCOL;
        } else {
            struct why_cur cur = why_cur_make(raw, (size_t)n);
            while (why_cur_left(&cur) >= 6) {
                uint32_t code = 0;
                uint16_t id = why_cur_be16(&cur);
                if (why_h2_settings_entry(&cd->announced, id, why_cur_be32(&cur), &code) != 0)
                    rc = WHY_H2_ERR_PROTOCOL;
            }
            cd->settings_seen = true;
            /* applied by the server at once: the 101 acknowledges them (RFC 7540 3.2.1) */
            settings_apply(c, WHY_H2_CLIENT, &cd->announced, cb);
        }
    }
    struct why_h2_stream *st = why_h2_stream_find(c, 1);
    if (!st && c->max_id[WHY_H2_CLIENT] < 1)
        st = why_h2_stream_open(c, WHY_H2_CLIENT, 1, cb);
    if (st) {
        st->t_head[WHY_H2_CLIENT] = st->t_end[WHY_H2_CLIENT] = ts;
        st->f_head[WHY_H2_CLIENT] = st->f_end[WHY_H2_CLIENT] = frame;
        st->ended[WHY_H2_CLIENT] = true;
        if (req)
            why_h2_stream_take_request(st, req, "http");
    }
    return rc;
}

void why_h2_conn_feed(struct why_h2_conn *c, enum why_h2_side from, const uint8_t *data,
                      size_t len, struct why_ts ts, uint64_t frame, const struct why_h2_cb *cb)
{
    if (!data || len == 0 || c->closed || (from != WHY_H2_CLIENT && from != WHY_H2_SERVER))
        return;
    struct why_h2_dir *d = &c->dir[from];
    d->bytes += len;
    d->pkt_ts = ts;
    d->pkt_frame = frame;
    feed_dir(c, from, data, len, cb);
}

void why_h2_conn_gap(struct why_h2_conn *c, enum why_h2_side from, uint64_t n,
                     const struct why_h2_cb *cb)
{
    if (n == 0 || c->closed || (from != WHY_H2_CLIENT && from != WHY_H2_SERVER))
        return;
    struct why_h2_dir *d = &c->dir[from];
    if (d->dead)
        return;
    bool header_frag = d->cur.type == WHY_H2_HEADERS || d->cur.type == WHY_H2_PUSH_PROMISE ||
                       d->cur.type == WHY_H2_CONTINUATION;
    if (d->phase == PH_FRAG && n <= d->frag_left && d->cur.type != WHY_H2_GOAWAY) {
        if (header_frag)
            d->hpack_broken = true; /* the block is not whole: the table cannot be followed */
        d->frag_left -= (uint32_t)n;
        d->left -= (uint32_t)n;
        settle(c, from, cb);
        return;
    }
    if (d->phase == PH_SKIP && n <= d->left) {
        d->left -= (uint32_t)n;
        settle(c, from, cb);
        return;
    }
    d->dead = true;
    d->hpack_broken = true;
    why_h2_streams_end_all(c, WHY_H2_END_LOST, from, d->cur_ts, d->cur_frame, cb);
}

void why_h2_conn_close(struct why_h2_conn *c, struct why_ts ts, uint64_t frame,
                       const struct why_h2_cb *cb)
{
    if (c->closed)
        return;
    for (int s = 0; s < 2; s++) {
        struct why_h2_dir *d = &c->dir[s];
        why_h2_stall_end(d, (enum why_h2_side)s, 0, &d->stalled, d->stall_since, d->stall_frame,
                  &d->stall_us, false, ts, frame, cb);
        for (uint32_t i = 0; i < d->npending; i++) {
            struct why_h2_event ev = why_h2_event_at(d, WHY_H2_EV_SETTINGS_UNACKED, (enum why_h2_side)s);
            ev.stream_id = 0;
            ev.frame_type = WHY_H2_SETTINGS;
            ev.ts = ts;
            ev.frame = frame;
            ev.since = d->pending[i].ts;
            ev.since_frame = d->pending[i].frame;
            ev.wait_us = why_ts_diff_us(ev.since, ts);
            why_h2_emit(cb, &ev);
        }
    }
    why_h2_streams_end_all(c, WHY_H2_END_CLOSED, WHY_H2_CLIENT, ts, frame, cb);
    c->closed = true;
}
