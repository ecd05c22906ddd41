/* The stream table of an HTTP/2 connection (RFC 9113 section 5), private to lib/proto/http2*.c:
 * each stream one transaction (struct why_h2_stream in proto/http2.h), opened by a request
 * header block or a PUSH_PROMISE, answered, and ended by END_STREAM from both sides, RST_STREAM,
 * a GOAWAY's last-stream-id, a gap or the end of the connection; with the per-stream flow-control
 * windows (RFC 9113 6.9) and the stalls they measure. The connection reader (http2.c) decodes
 * frames and header blocks and calls these; nothing here reads packet bytes.
 *
 * Storage: c->streams, an array of c->cap_streams slots (grown 4, 8, ... up to
 * WHY_H2_STREAMS_MAX), the first c->nstreams in use, in no order. A stream that ends is handed
 * to cb->on_stream_end and its slot is refilled with the last one: a pointer to a stream is
 * good until the next call that may end a stream.
 * Cap: WHY_H2_STREAMS_MAX open streams per connection. A stream opened past it (or when memory
 * runs out) is not tracked: c->streams_dropped counts it, a WHY_H2_EV_CAP event
 * (WHY_H2_CAP_STREAMS) says so at the cap; c->streams_total counts every stream opened.
 * Units: windows in bytes (int64_t, negative after a peer shrank SETTINGS_INITIAL_WINDOW_SIZE),
 * times are packet times, frames capture frame numbers, waits microseconds. */
#ifndef WHY_PROTO_H2_STREAM_H
#define WHY_PROTO_H2_STREAM_H

#include "proto/http2.h"

/* The other side. */
enum why_h2_side why_h2_other(enum why_h2_side s);
/* Hands ev to cb->on_event (cb or its on_event may be NULL). */
void why_h2_emit(const struct why_h2_cb *cb, const struct why_h2_event *ev);
/* An event of `kind` from `from` about d's current frame (its stream, type, packet). */
struct why_h2_event why_h2_event_at(const struct why_h2_dir *d, enum why_h2_ev_kind kind,
                                    enum why_h2_side from);
/* Reports that `cap` was hit on `from`'s current frame (WHY_H2_EV_CAP). */
void why_h2_cap_hit(struct why_h2_conn *c, enum why_h2_side from, enum why_h2_cap cap,
                    const struct why_h2_cb *cb);

/* The open stream of that id, or NULL (never opened, ended, or not tracked). */
struct why_h2_stream *why_h2_stream_find(struct why_h2_conn *c, uint32_t id);
/* A new stream opened by `by` (the id is its own; c->max_id[by] follows it), its windows at
 * what each peer announced in SETTINGS_INITIAL_WINDOW_SIZE; NULL when not tracked (the cap,
 * or memory). */
struct why_h2_stream *why_h2_stream_open(struct why_h2_conn *c, enum why_h2_side by,
                                         uint32_t id, const struct why_h2_cb *cb);
/* The stream leaves the table (end, code, by, ts, frame recorded in it): stalls still open
 * end unresolved, then cb->on_stream_end. st is gone after the call. */
void why_h2_stream_finish(struct why_h2_conn *c, struct why_h2_stream *st, enum why_h2_end end,
                          uint32_t code, enum why_h2_side by, struct why_ts ts, uint64_t frame,
                          const struct why_h2_cb *cb);
/* END_STREAM from s on its current frame: s's stall ends unresolved; once both sides have
 * ended, the stream finishes COMPLETE. Once per side. */
void why_h2_stream_side_end(struct why_h2_conn *c, struct why_h2_stream *st, enum why_h2_side s,
                            const struct why_h2_cb *cb);
/* Keeps the request of head h (method, authority, path up to WHY_H2_PATH_MAX bytes) and its
 * :scheme. */
void why_h2_stream_take_request(struct why_h2_stream *st, const struct why_http_head *h,
                                const char *scheme);
/* A header block from s on an open stream, its fields in h (NULL when memory ran out), the
 * block's other facts in d (scheme, grpc-status, cap, current frame). Records it and says what
 * kind of block it was; *no_status: a readable final response without :status. */
enum why_h2_block why_h2_stream_block(struct why_h2_stream *st, enum why_h2_side s,
                                      const struct why_h2_dir *d, struct why_http_head *h,
                                      bool unread, bool *no_status);

/* A DATA frame of `length` payload bytes (padding included) from s on st, at d's current
 * frame: counted, taken from s's stream window; a window at or below 0 starts a stall unless
 * the frame ends s's half or is empty. END_STREAM is the caller's (why_h2_stream_side_end). */
void why_h2_stream_data(struct why_h2_stream *st, enum why_h2_side s,
                        const struct why_h2_dir *d, uint32_t length, bool end);
/* A WINDOW_UPDATE of `increment` bytes for the sending side `to` on st: its window now. */
int64_t why_h2_stream_credit(struct why_h2_stream *st, enum why_h2_side to, uint32_t increment);
/* Every open stream's window of `to` moves by delta bytes (its peer changed
 * SETTINGS_INITIAL_WINDOW_SIZE); a window back above 0 ends its stall, resolved, at ts. */
void why_h2_streams_shift(struct why_h2_conn *c, enum why_h2_side to, int64_t delta,
                          struct why_ts ts, uint64_t frame, const struct why_h2_cb *cb);
/* A window stuck at 0 ends (*stalled was set): WHY_H2_EV_STALL for `blocked` on stream_id (0:
 * the connection), since..ts added to *total; resolved when a WINDOW_UPDATE or SETTINGS
 * reopened it. Nothing when *stalled is false. */
void why_h2_stall_end(struct why_h2_dir *at, enum why_h2_side blocked, uint32_t stream_id,
                      bool *stalled, struct why_ts since, uint64_t since_frame, int64_t *total,
                      bool resolved, struct why_ts ts, uint64_t frame, const struct why_h2_cb *cb);
/* st's stall of side s ends (why_h2_stall_end). */
void why_h2_stream_stall_end(struct why_h2_conn *c, struct why_h2_stream *st, enum why_h2_side s,
                             bool resolved, struct why_ts ts, uint64_t frame,
                             const struct why_h2_cb *cb);

/* A GOAWAY from s: the peer's streams above last_id end GOAWAY (never processed, RFC 9113
 * 6.8), with code. */
void why_h2_streams_goaway(struct why_h2_conn *c, enum why_h2_side s, uint32_t last_id,
                           uint32_t code, struct why_ts ts, uint64_t frame,
                           const struct why_h2_cb *cb);
/* Every open stream ends with `end` (LOST, CLOSED), last slot first. */
void why_h2_streams_end_all(struct why_h2_conn *c, enum why_h2_end end, enum why_h2_side by,
                            struct why_ts ts, uint64_t frame, const struct why_h2_cb *cb);
/* Frees the table without calling back. */
void why_h2_streams_free(struct why_h2_conn *c);

#endif
