/* The stream table of an HTTP/2 connection (contract: http2_stream.h): streams opened,
 * answered and ended, their flow-control windows and stalls. Reads no packet bytes: the
 * connection reader (http2.c) hands it decoded frames and header blocks. */
#include "proto/http2_stream.h"

#include <stdlib.h>
#include <string.h>

#include "util/ascii.h"

enum why_h2_side why_h2_other(enum why_h2_side s)
{
    return s == WHY_H2_CLIENT ? WHY_H2_SERVER : WHY_H2_CLIENT;
}

void why_h2_emit(const struct why_h2_cb *cb, const struct why_h2_event *ev)
{
    if (cb && cb->on_event)
        cb->on_event(cb->ctx, ev);
}

struct why_h2_event why_h2_event_at(const struct why_h2_dir *d, enum why_h2_ev_kind kind,
                                    enum why_h2_side from)
{
    struct why_h2_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.from = from;
    ev.stream_id = d->cur.stream_id;
    ev.frame_type = d->cur.type;
    ev.ts = d->cur_ts;
    ev.frame = d->cur_frame;
    return ev;
}

void why_h2_cap_hit(struct why_h2_conn *c, enum why_h2_side from, enum why_h2_cap cap,
                    const struct why_h2_cb *cb)
{
    struct why_h2_event ev = why_h2_event_at(&c->dir[from], WHY_H2_EV_CAP, from);
    ev.cap = cap;
    why_h2_emit(cb, &ev);
}

struct why_h2_stream *why_h2_stream_find(struct why_h2_conn *c, uint32_t id)
{
    for (uint32_t i = 0; i < c->nstreams; i++)
        if (c->streams[i].id == id)
            return &c->streams[i];
    return NULL;
}

struct why_h2_stream *why_h2_stream_open(struct why_h2_conn *c, enum why_h2_side by,
                                         uint32_t id, const struct why_h2_cb *cb)
{
    if (id > c->max_id[by])
        c->max_id[by] = id;
    c->streams_total++;
    if (c->nstreams >= WHY_H2_STREAMS_MAX) {
        c->streams_dropped++;
        why_h2_cap_hit(c, by, WHY_H2_CAP_STREAMS, cb);
        return NULL;
    }
    if (c->nstreams == c->cap_streams) {
        uint32_t n = c->cap_streams ? c->cap_streams * 2 : 4;
        if (n > WHY_H2_STREAMS_MAX)
            n = WHY_H2_STREAMS_MAX;
        struct why_h2_stream *s = realloc(c->streams, n * sizeof *s);
        if (!s) {
            c->streams_dropped++;
            return NULL;
        }
        c->streams = s;
        c->cap_streams = n;
    }
    struct why_h2_stream *st = &c->streams[c->nstreams++];
    memset(st, 0, sizeof *st);
    st->id = id;
    st->grpc_status = -1;
    /* a side's send window starts at what its peer announced */
    st->window[WHY_H2_CLIENT] = c->dir[WHY_H2_SERVER].settings.initial_window_size;
    st->window[WHY_H2_SERVER] = c->dir[WHY_H2_CLIENT].settings.initial_window_size;
    return st;
}

void why_h2_stall_end(struct why_h2_dir *at, enum why_h2_side blocked, uint32_t stream_id,
                      bool *stalled, struct why_ts since, uint64_t since_frame, int64_t *total,
                      bool resolved, struct why_ts ts, uint64_t frame, const struct why_h2_cb *cb)
{
    if (!*stalled)
        return;
    *stalled = false;
    struct why_h2_event ev = why_h2_event_at(at, WHY_H2_EV_STALL, blocked);
    ev.stream_id = stream_id;
    ev.ts = ts;
    ev.frame = frame;
    ev.since = since;
    ev.since_frame = since_frame;
    ev.wait_us = why_ts_diff_us(since, ts);
    if (ev.wait_us < 0)
        ev.wait_us = 0;
    ev.resolved = resolved;
    *total += ev.wait_us;
    why_h2_emit(cb, &ev);
}

void why_h2_stream_stall_end(struct why_h2_conn *c, struct why_h2_stream *st, enum why_h2_side s,
                             bool resolved, struct why_ts ts, uint64_t frame,
                             const struct why_h2_cb *cb)
{
    why_h2_stall_end(&c->dir[s], s, st->id, &st->stalled[s], st->stall_since[s],
                     st->stall_frame[s], &st->stall_us[s], resolved, ts, frame, cb);
}

void why_h2_stream_finish(struct why_h2_conn *c, struct why_h2_stream *st, enum why_h2_end end,
                          uint32_t code, enum why_h2_side by, struct why_ts ts, uint64_t frame,
                          const struct why_h2_cb *cb)
{
    st->end = end;
    st->code = code;
    st->closed_by = by;
    st->t_close = ts;
    st->f_close = frame;
    for (int s = 0; s < 2; s++)
        why_h2_stream_stall_end(c, st, (enum why_h2_side)s, false, ts, frame, cb);
    if (cb && cb->on_stream_end)
        cb->on_stream_end(cb->ctx, st);
    size_t i = (size_t)(st - c->streams);
    c->streams[i] = c->streams[--c->nstreams];
}

void why_h2_stream_side_end(struct why_h2_conn *c, struct why_h2_stream *st, enum why_h2_side s,
                            const struct why_h2_cb *cb)
{
    const struct why_h2_dir *d = &c->dir[s];
    if (st->ended[s])
        return;
    st->ended[s] = true;
    st->t_end[s] = d->cur_ts;
    st->f_end[s] = d->cur_frame;
    /* a side that ends its half waits for window no more; an empty END_STREAM while the
     * window stands at 0 is giving up, not a reopened window: the stall ends unresolved */
    why_h2_stream_stall_end(c, st, s, false, d->cur_ts, d->cur_frame, cb);
    if (cb && cb->on_side_end)
        cb->on_side_end(cb->ctx, st, s);
    if (st->ended[why_h2_other(s)])
        why_h2_stream_finish(c, st, WHY_H2_END_COMPLETE, WHY_H2_NO_ERROR, s, d->cur_ts,
                             d->cur_frame, cb);
}

void why_h2_stream_take_request(struct why_h2_stream *st, const struct why_http_head *h,
                                const char *scheme)
{
    st->have_request = true;
    why_ascii_copy(st->method, sizeof st->method, (const uint8_t *)h->method, strlen(h->method));
    why_ascii_copy(st->authority, sizeof st->authority, (const uint8_t *)h->host, strlen(h->host));
    why_ascii_copy(st->scheme, sizeof st->scheme, (const uint8_t *)scheme, strlen(scheme));
    size_t k = h->target_len > WHY_H2_PATH_MAX ? WHY_H2_PATH_MAX : h->target_len;
    memcpy(st->path, h->target, k);
    st->path[k] = 0;
    st->path_len = (uint32_t)k;
    st->path_truncated = h->target_truncated || h->target_len > k;
}

enum why_h2_block why_h2_stream_block(struct why_h2_stream *st, enum why_h2_side s,
                                      const struct why_h2_dir *d, struct why_http_head *h,
                                      bool unread, bool *no_status)
{
    enum why_h2_block kind;
    *no_status = false;
    st->headers_unread = st->headers_unread || unread;
    st->headers_capped = st->headers_capped || d->block_capped;
    if (why_ts_zero(st->t_head[s]) && st->f_head[s] == 0) {
        st->t_head[s] = d->cur_ts;
        st->f_head[s] = d->cur_frame;
    }
    if (s == WHY_H2_CLIENT) {
        kind = st->have_request ? WHY_H2_BLOCK_TRAILERS : WHY_H2_BLOCK_REQUEST;
        if (!st->have_request && h)
            why_h2_stream_take_request(st, h, d->block_scheme);
    } else if (st->status >= 200) {
        kind = WHY_H2_BLOCK_TRAILERS;
        st->trailers = true;
    } else if (h && h->status >= 100 && h->status < 200) {
        kind = WHY_H2_BLOCK_INTERIM;
        st->interim = h->status;
    } else {
        kind = WHY_H2_BLOCK_RESPONSE;
        *no_status = h && h->status == 0 && !unread;
        st->status = h && h->status ? h->status : st->status;
        st->t_final = d->cur_ts;
        st->f_final = d->cur_frame;
        if (h) {
            st->grpc = strncmp(h->content_type, "application/grpc", 16) == 0;
            why_ascii_copy(h->req_method, sizeof h->req_method, (const uint8_t *)st->method,
                           strlen(st->method));
        }
    }
    if (s == WHY_H2_SERVER && d->block_grpc_status >= 0 &&
        (kind == WHY_H2_BLOCK_TRAILERS || kind == WHY_H2_BLOCK_RESPONSE)) {
        /* trailers, or a Trailers-Only answer (some gateways split it into HEADERS and an
         * empty DATA with END_STREAM) */
        st->grpc_status = d->block_grpc_status;
        why_ascii_copy(st->grpc_message, sizeof st->grpc_message,
                       (const uint8_t *)d->block_grpc_message, strlen(d->block_grpc_message));
    }
    return kind;
}

void why_h2_stream_data(struct why_h2_stream *st, enum why_h2_side s,
                        const struct why_h2_dir *d, uint32_t length, bool end)
{
    st->data_bytes[s] += length;
    st->t_data[s] = d->cur_ts;
    st->f_data[s] = d->cur_frame;
    st->window[s] -= length;
    if (st->window[s] <= 0 && !end && !st->stalled[s] && length > 0) {
        st->stalled[s] = true;
        st->stall_since[s] = d->cur_ts;
        st->stall_frame[s] = d->cur_frame;
    }
}

int64_t why_h2_stream_credit(struct why_h2_stream *st, enum why_h2_side to, uint32_t increment)
{
    st->window[to] += increment;
    return st->window[to];
}

void why_h2_streams_shift(struct why_h2_conn *c, enum why_h2_side to, int64_t delta,
                          struct why_ts ts, uint64_t frame, const struct why_h2_cb *cb)
{
    for (uint32_t i = 0; i < c->nstreams; i++) {
        struct why_h2_stream *st = &c->streams[i];
        st->window[to] += delta;
        if (st->window[to] > 0)
            why_h2_stream_stall_end(c, st, to, true, ts, frame, cb);
    }
}

void why_h2_streams_goaway(struct why_h2_conn *c, enum why_h2_side s, uint32_t last_id,
                           uint32_t code, struct why_ts ts, uint64_t frame,
                           const struct why_h2_cb *cb)
{
    unsigned peer_parity = s == WHY_H2_SERVER ? 1u : 0u;
    for (uint32_t i = c->nstreams; i-- > 0;) {
        struct why_h2_stream *st = &c->streams[i];
        if (st->id % 2 == peer_parity && st->id > last_id)
            why_h2_stream_finish(c, st, WHY_H2_END_GOAWAY, code, s, ts, frame, cb);
    }
}

void why_h2_streams_end_all(struct why_h2_conn *c, enum why_h2_end end, enum why_h2_side by,
                            struct why_ts ts, uint64_t frame, const struct why_h2_cb *cb)
{
    for (uint32_t i = c->nstreams; i-- > 0;)
        why_h2_stream_finish(c, &c->streams[i], end, 0, by, ts, frame, cb);
}

void why_h2_streams_free(struct why_h2_conn *c)
{
    free(c->streams);
    c->streams = NULL;
    c->nstreams = c->cap_streams = 0;
}
