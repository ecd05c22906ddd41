/* The HTTP/2 handler (RFC 9113): each stream of a connection becomes a transaction of the
 * store, like an HTTP/1 request and its response, so the join and the diagnosis work whichever
 * HTTP version each leg of a gateway speaks. Found by the client preface (h2c prior knowledge)
 * or, with --keylog, in the decrypted records of a TLS connection (ALPN h2, from app/tls.c),
 * or after a 101 answering an HTTP/1.1 `Upgrade: h2c` offer (app/http1.c shows it the offer's
 * head while the connection is still HTTP/1: stream 1 is that request, RFC 7540 3.2).
 * How a stream ended (RST_STREAM with its code and sender, above a GOAWAY's last-stream-id,
 * the connection closing), its gRPC status and its flow-control stalls go into the
 * transaction; GOAWAY and protocol faults of the connection into its facts. */
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "proto/http2.h"
#include "util/ascii.h"

struct h2_ctx {
    const struct why_app_env *env;
    struct why_conn_rec *rc;
    const struct why_frame *f;    /* the frame whose bytes are being parsed */
};

static int dir_of(enum why_h2_side s) { return s == WHY_H2_CLIENT ? WHY_C2S : WHY_S2C; }

/* The transaction of a stream (ids are not reused on a connection). A client opens each
 * stream above the last (the parser opens no other), so the transactions are in the order of
 * their ids: one at or above the oldest still open (`unanswered`, as most frames are) is
 * looked for from there, not past the answered ones a keep-alive connection holds until
 * their decisions (thousands at a few thousand requests a second). */
static struct why_txn *txn_of(struct why_conn_rec *rc, uint32_t id)
{
    struct why_txn *u = rc->unanswered;
    for (struct why_txn *t = u && u->h2_stream && u->h2_stream <= id ? u : rc->txn_head; t; t = t->next)
        if (t->h2_stream == id)
            return t;
    return NULL;
}

/* `unanswered` is the oldest stream still open: the store keeps it and all after it. */
static void advance_unanswered(struct why_conn_rec *rc)
{
    struct why_txn *t = rc->unanswered;
    while (t && t->h2_end)
        t = t->next;
    rc->unanswered = t;
}

static void on_request(struct h2_ctx *hc, const struct why_h2_stream *s, const struct why_http_head *h)
{
    struct why_txn *t = why_app_request(hc->env, hc->rc, h, hc->f, hc->f->num, hc->f->ts);
    if (t) {
        t->h2_stream = s->id;
        t->grpc_status = -1;
    }
}

static void on_headers(void *ctx, const struct why_h2_stream *s, enum why_h2_side from,
                       enum why_h2_block kind, const struct why_http_head *h)
{
    struct h2_ctx *hc = ctx;
    if (!s || s->pushed)
        return; /* a stream not tracked (cap), or a push: no request the client made */
    if (kind == WHY_H2_BLOCK_REQUEST && from == WHY_H2_CLIENT) {
        on_request(hc, s, h);
        return;
    }
    if (kind != WHY_H2_BLOCK_RESPONSE)
        return; /* interim answers and trailers: the stream's end tells the rest */
    struct why_txn *t = txn_of(hc->rc, s->id);
    if (!t || t->has_resp)
        return;
    t->has_resp = true;
    t->status = h->status;
    t->resp_first_frame = t->resp_frame = hc->f->num;
    t->resp_first_ts = t->resp_ts = hc->f->ts;
    why_store_queue_answered(hc->env->st, t); /* (a 5xx: the queue's list of them) */
    t->expected_len = h->content_length;
    why_app_response_strings(hc->env, t, h);
}

/* What the stream's server side said of the answer once it ended it, or once the stream
 * left: the gRPC status, the body's size, and whether the answer is whole. */
static void take_answer_end(struct h2_ctx *hc, struct why_txn *t, const struct why_h2_stream *s)
{
    t->grpc_status = s->grpc_status;
    if (s->grpc_message[0] || why_resp_str(t->resp, WHY_RESP_GRPC_MESSAGE)[0]) {
        struct why_resp_view v;
        why_resp_view_of(t->resp, &v);
        char msg[WHY_RESP_GRPC_MESSAGE_SIZE];
        why_str_copy(msg, sizeof msg, s->grpc_message);
        v.str[WHY_RESP_GRPC_MESSAGE] = msg;
        why_store_txn_resp_put(hc->env->st, t, &v);
    }
    t->body_bytes = s->data_bytes[WHY_H2_SERVER];
    /* the server's END_STREAM ends its answer, whatever ends the stream after it: a server
     * may answer before the request has all come and then reset the stream with NO_ERROR to
     * stop the upload (RFC 9113 8.1; nginx's gRPC proxy after an early trailers-only answer),
     * and the connection may close with the request unfinished */
    if (t->has_resp && s->ended[WHY_H2_SERVER] && s->end != WHY_H2_END_LOST) {
        t->resp_done = true;
        t->resp_end_frame = s->f_end[WHY_H2_SERVER];
        t->resp_end_ts = s->t_end[WHY_H2_SERVER];
    } else if (t->has_resp && t->expected_len > 0 && s->end != WHY_H2_END_LOST &&
               s->data_bytes[WHY_H2_SERVER] >= (uint64_t)t->expected_len) {
        /* all the content-length came, the END_STREAM did not (Apache sends it apart; curl
         * closes once it has the body): the answer is whole, as in HTTP/1 */
        t->resp_done = true;
        t->resp_end_frame = s->f_data[WHY_H2_SERVER];
        t->resp_end_ts = s->t_data[WHY_H2_SERVER];
    }
}

/* The server ended its side, the client's still open: the answer is whole now (the stream
 * leaves when the client ends too, resets it, or the connection goes). */
static void on_side_end(void *ctx, const struct why_h2_stream *s, enum why_h2_side side)
{
    struct h2_ctx *hc = ctx;
    struct why_txn *t;
    if (side != WHY_H2_SERVER || s->ended[WHY_H2_CLIENT] || (t = txn_of(hc->rc, s->id)) == NULL || !t->has_resp)
        return;
    take_answer_end(hc, t, s);
}

static void on_stream_end(void *ctx, const struct why_h2_stream *s)
{
    struct h2_ctx *hc = ctx;
    struct why_txn *t = txn_of(hc->rc, s->id);
    if (!t)
        return;
    t->h2_end = (uint8_t)s->end;
    struct why_txn_h2 *h2 = why_store_txn_h2(hc->env->st, t);
    if (h2) { /* else out of memory (counted): read as a stream that ended without a code */
        h2->code = s->code;
        h2->by = dir_of(s->closed_by);
        h2->end_frame = s->f_close;
        h2->end_ts = s->t_close;
        h2->req_end_ts = s->ended[WHY_H2_CLIENT] ? s->t_end[WHY_H2_CLIENT] : t->req_ts;
    }
    take_answer_end(hc, t, s);
    if (s->end == WHY_H2_END_LOST)
        hc->rc->resp_dead = true;
    advance_unanswered(hc->rc);
    why_store_txn_complete(hc->env->st, t);
}

/* A window stood at 0: kept on the stream's transaction (the longest, and whether it was
 * still at 0 when the stream ended); a connection window on every stream still open. */
static void note_stall(struct why_store *st, struct why_txn *t, const struct why_h2_event *ev)
{
    if (!ev->resolved || ev->wait_us > t->h2->stall_us) {
        struct why_txn_h2 *h2 = why_store_txn_h2(st, t);
        if (!h2)
            return; /* counted */
        h2->stall_us = ev->wait_us > h2->stall_us ? ev->wait_us : h2->stall_us;
        h2->stall_dir = dir_of(ev->from);
        h2->stall_open = h2->stall_open || !ev->resolved;
        h2->stall_frame = ev->since_frame;
        h2->stall_ts = ev->since;
    }
}

static void on_event(void *ctx, const struct why_h2_event *ev)
{
    struct h2_ctx *hc = ctx;
    struct why_conn_rec *rc = hc->rc;
    /* the connection's facts, allocated when the first is written (NULL: out of memory) */
    struct why_h2_facts *fx = NULL;
    if (ev->kind == WHY_H2_EV_GOAWAY || ev->kind == WHY_H2_EV_ERROR ||
        ev->kind == WHY_H2_EV_SETTINGS_UNACKED) {
        struct why_rec_more *m = why_store_rec_more(hc->env->st, rc);
        if (!m)
            return; /* counted */
        fx = &m->h2;
    }
    switch (ev->kind) {
    case WHY_H2_EV_GOAWAY:
        if (!fx->goaway_frame) {
            fx->goaway_frame = ev->frame;
            fx->goaway_ts = ev->ts;
            fx->goaway_code = ev->code;
            fx->goaway_last_id = ev->last_stream_id;
            fx->goaway_dir = dir_of(ev->from);
            if (fx->goaway_dir == WHY_S2C) /* the join reads these (goaway_before) */
                why_store_rec_list(hc->env->st, rc, WHY_LIST_GOAWAY);
        }
        break;
    case WHY_H2_EV_ERROR:
        if (!fx->error_frame) {
            fx->error_frame = ev->frame ? ev->frame : hc->f->num;
            fx->error_dir = dir_of(ev->from);
            fx->error = ev->err;
        }
        break;
    case WHY_H2_EV_SETTINGS_UNACKED:
        if (!fx->settings_unacked_frame) {
            fx->settings_unacked_frame = ev->since_frame;
            fx->settings_unacked_dir = dir_of(ev->from);
            fx->settings_unacked_us = ev->wait_us;
        }
        break;
    case WHY_H2_EV_STALL:
        if (ev->stream_id) {
            struct why_txn *t = txn_of(rc, ev->stream_id);
            if (t)
                note_stall(hc->env->st, t, ev);
        } else {
            for (struct why_txn *t = rc->unanswered; t; t = t->next)
                if (!t->h2_end && t->h2_stream)
                    note_stall(hc->env->st, t, ev);
        }
        break;
    case WHY_H2_EV_CAP:
        if (ev->cap == WHY_H2_CAP_STREAMS)
            hc->env->sum->cap_pending_dropped++;
        break;
    default:
        break;
    }
}

static struct why_h2_cb cbs(const struct why_app_env *env, struct why_conn_rec *rc,
                            const struct why_frame *f, struct h2_ctx *hc)
{
    hc->env = env;
    hc->rc = rc;
    hc->f = f;
    return (struct why_h2_cb){hc, on_headers, on_stream_end, on_event, on_side_end};
}

static bool probe(const struct why_conn *c, const uint8_t *d, uint32_t n)
{
    (void)c;
    return n >= 4 && why_h2_looks_like_preface(d, n); /* "PRI " at least: "P" may be POST */
}

static bool h2_open(const struct why_app_env *env, struct why_conn_rec *rc)
{
    (void)env;
    if (rc->st.h2)
        return true;
    rc->st.h2 = malloc(sizeof *rc->st.h2);
    if (!rc->st.h2)
        return false;
    why_h2_conn_init(rc->st.h2);
    rc->http_live = true;
    return true;
}

static void h2_release(struct why_conn_rec *rc)
{
    if (!rc->st.h2)
        return;
    why_h2_conn_fini(rc->st.h2);
    free(rc->st.h2);
    rc->st.h2 = NULL;
    rc->http_live = rc->st.hreq != NULL;
}

/* While the connection is HTTP/1, the bytes are a request head offering an upgrade: kept as
 * stream 1 (with its HTTP2-Settings) if it offers h2c, else the state goes. */
static void take_offer(const struct why_app_env *env, struct why_conn_rec *rc, enum why_dir dir, const uint8_t *d, uint32_t n,
                       const struct why_frame *f, const struct why_h2_cb *cb)
{
    while (n && (d[0] == '\r' || d[0] == '\n'))
        d++, n--;
    const uint8_t *sv = NULL;
    size_t sl = 0;
    struct why_http_head *h = NULL;
    if (dir == WHY_C2S && why_h2_upgrade_h2c(d, n, &sv, &sl) && (h = malloc(sizeof *h)) &&
        why_http1_parse_head(d, n, true, h) > 0) {
        struct why_rec_more *m;
        if (why_h2_conn_upgrade(rc->st.h2, h, sv, sl, f->ts, f->num, cb) != 0 &&
            !rc->more->h2.error_frame && (m = why_store_rec_more(env->st, rc))) {
            m->h2.error_frame = f->num; /* HTTP2-Settings that do not decode */
            m->h2.error_dir = WHY_C2S;
            m->h2.error = WHY_H2_ERR_PROTOCOL;
        }
        free(h);
        return;
    }
    free(h);
    h2_release(rc);
}

static void h2_feed(const struct why_app_env *env, struct why_conn_rec *rc, enum why_dir dir,
                    const uint8_t *d, uint32_t n, const struct why_frame *f)
{
    if (!rc->st.h2)
        return;
    struct h2_ctx hc;
    struct why_h2_cb cb = cbs(env, rc, f, &hc);
    if (rc->app == WHY_APP_HTTP) {
        take_offer(env, rc, dir, d, n, f, &cb);
        return;
    }
    enum why_h2_side side = dir == WHY_C2S ? WHY_H2_CLIENT : WHY_H2_SERVER;
    why_h2_conn_feed(rc->st.h2, side, d, n, f->ts, f->num, &cb);
    if (rc->st.h2->dir[WHY_H2_SERVER].dead)
        rc->resp_dead = true;
}

static void h2_gap(const struct why_app_env *env, struct why_conn_rec *rc, enum why_dir dir,
                   uint32_t n, const struct why_frame *f)
{
    if (!rc->st.h2)
        return;
    struct h2_ctx hc;
    struct why_h2_cb cb = cbs(env, rc, f, &hc);
    why_h2_conn_gap(rc->st.h2, dir == WHY_C2S ? WHY_H2_CLIENT : WHY_H2_SERVER, n, &cb);
    if (rc->st.h2->dir[WHY_H2_SERVER].dead)
        rc->resp_dead = true;
}

/* The end of the connection ends its open streams (CLOSED) and any stall still open. */
static void h2_close(const struct why_app_env *env, struct why_conn_rec *rc, const struct why_frame *f)
{
    if (!rc->st.h2)
        return;
    struct h2_ctx hc;
    struct why_h2_cb cb = cbs(env, rc, f, &hc);
    why_h2_conn_close(rc->st.h2, f->ts, f->num, &cb);
    h2_release(rc);
}

const struct why_app_handler why_app_h2 = {
    .name = "http2",
    .id = WHY_APP_H2,
    .probe = probe,
    .open = h2_open,
    .feed = h2_feed,
    .gap = h2_gap,
    .close = h2_close,
    .release = h2_release,
};
