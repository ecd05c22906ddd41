/* The HTTP/1 handler: request and response heads become transactions of the store (one per
 * request, its response matched in order, RFC 9112); a CONNECT tunnel's payload goes to the
 * TLS handler (for the SNI). Client requests are queued for a decision; the gateway's own
 * upstream requests wait in the request index to be joined. A cleartext request offering
 * `Upgrade: h2c` is shown to the HTTP/2 handler (which keeps it as stream 1 if it is an h2c
 * offer); when a 101 answers it with `Upgrade: h2c`, the connection becomes HTTP/2 from the
 * byte after the 101's head (RFC 7540 3.2) and the HTTP/1 parsers go.
 * A parser stream exists only while a message is being read or a request awaits its answer:
 * between messages (an idle keep-alive connection) rc->st.hreq / hresp point at a shared
 * read-only stub in the state of a fresh stream, and a real one is taken on the next byte
 * (from the store's spares: a keep-alive connection takes and gives back one per message),
 * so an idle connection costs no parser memory. */
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "proto/http1.h"
#include "proto/http2.h"

struct http_ctx {
    const struct why_app_env *env;
    struct why_conn_rec *rc;
    const struct why_frame *f;    /* the frame whose bytes are being parsed */
    bool offers_upgrade;          /* a request head with Connection: upgrade + Upgrade */
    uint32_t offer_len;           /* bytes of that head */
    bool switched;                /* a 101 accepted an h2c upgrade offer */
};

/* A parser stream and where the message it is reading began (the frame of its first byte) */
struct http_msg {
    struct why_http1_stream s;    /* first: a stream is freed as its http_msg */
    uint64_t first_frame;
    struct why_ts first_ts;
};

/* The message of an allocated (not stub) stream. */
static struct http_msg *msg_of(struct why_http1_stream *s)
{
    return (struct http_msg *)s;
}

/* Read-only stubs: a fresh stream of each side, and one that can no longer be followed (a
 * stream could not be allocated). Never written: every change goes through own_stream. */
static const struct why_http1_stream idle_req = {.request_side = true, .phase = WHY_HTTP_IDLE,
                                                 .expected_len = -1};
static const struct why_http1_stream idle_resp = {.request_side = false, .phase = WHY_HTTP_IDLE,
                                                  .expected_len = -1};
static const struct why_http1_stream dead_stream = {.phase = WHY_HTTP_DEAD, .expected_len = -1};

static bool is_stub(const struct why_http1_stream *s)
{
    return s == &idle_req || s == &idle_resp || s == &dead_stream;
}

/* The stream of dir to change: allocated if it was the idle stub; NULL when it cannot be
 * followed (out of memory: counted, the stream is then dead). */
static struct why_http1_stream *own_stream(const struct why_app_env *env, struct why_conn_rec *rc,
                                           enum why_dir dir)
{
    struct why_http1_stream **p = dir == WHY_C2S ? &rc->st.hreq : &rc->st.hresp;
    if (*p == &dead_stream)
        return NULL;
    if (!is_stub(*p))
        return *p;
    /* a spare of the store's (a keep-alive connection takes one and gives it back per message) */
    struct http_msg *m = why_spare_get(&env->st->spare_http1, sizeof *m, false);
    if (!m) {
        env->sum->oom++;
        *p = (struct why_http1_stream *)&dead_stream; /* read only, never written */
        return NULL;
    }
    struct why_http1_stream *s = &m->s;
    why_http1_stream_init(s, dir == WHY_C2S);
    *p = s;
    return s;
}

/* Streams between messages go back to the stub (their buffers with them), the stream to the
 * store's spares. */
static void park(const struct why_app_env *env, struct why_conn_rec *rc)
{
    struct why_http1_stream **ps[2] = {&rc->st.hreq, &rc->st.hresp};
    for (int i = 0; i < 2; i++) {
        struct why_http1_stream *s = *ps[i];
        if (s && !is_stub(s) && why_http1_stream_idle(s)) {
            why_http1_stream_fini(s);
            why_spare_give(&env->st->spare_http1, s);
            *ps[i] = (struct why_http1_stream *)(i == 0 ? &idle_req : &idle_resp); /* read only */
        }
    }
}

static void on_req_head(void *ctx, const struct why_http_head *h)
{
    struct http_ctx *hc = ctx;
    struct why_conn_rec *rc = hc->rc;
    /* the response parser must know HEAD and CONNECT even when the transaction is not kept */
    struct why_http1_stream *resp = own_stream(hc->env, rc, WHY_S2C);
    if (resp)
        why_http1_stream_expect(resp, h->method);
    if (h->upgrade && !hc->offers_upgrade)
        hc->offer_len = h->head_len;
    hc->offers_upgrade = hc->offers_upgrade || h->upgrade;
    const struct http_msg *m = msg_of(rc->st.hreq); /* the stream being fed */
    why_app_request(hc->env, rc, h, hc->f, m->first_frame, m->first_ts);
}

static void on_resp_head(void *ctx, const struct why_http_head *h)
{
    struct http_ctx *hc = ctx;
    struct why_conn_rec *rc = hc->rc;
    struct why_txn *t = rc->unanswered;
    if (!t)
        return; /* a response with no request seen (capture started mid-connection) */
    if (h->status >= 100 && h->status < 200 && h->status != 101)
        return; /* interim: the real answer follows */
    if (h->status == 101 && h->upgrade && rc->st.h2 && rc->app == WHY_APP_HTTP) {
        /* the h2c offer taken: the answer comes on HTTP/2 stream 1 (checked in http_feed) */
        hc->switched = true;
        return;
    }
    t->has_resp = true;
    t->status = h->status;
    t->resp_first_frame = msg_of(rc->st.hresp)->first_frame; /* the stream being fed */
    t->resp_first_ts = msg_of(rc->st.hresp)->first_ts;
    why_store_queue_answered(hc->env->st, t); /* (a 5xx: the queue's list of them) */
    t->resp_frame = hc->f->num;
    t->resp_ts = hc->f->ts;
    t->expected_len = h->content_length;
    const struct why_conn *live = why_rec_live(rc);
    t->resp_stream_at = live ? live->half[WHY_S2C].bytes : 0;
    t->resp_head_bytes = h->head_len;
    why_app_response_strings(hc->env, t, h);
    if (rc->st.hresp->phase == WHY_HTTP_TUNNEL || h->status == 101) {
        t->resp_done = true;
        t->resp_end_frame = t->resp_frame;
        t->resp_end_ts = t->resp_ts;
        rc->unanswered = t->next;
        why_store_txn_complete(hc->env->st, t);
    }
}

static void on_resp_end(void *ctx, uint64_t body_bytes)
{
    struct http_ctx *hc = ctx;
    struct why_conn_rec *rc = hc->rc;
    struct why_txn *t = rc->unanswered;
    if (!t || !t->has_resp)
        return;
    t->resp_done = true;
    t->body_bytes = body_bytes;
    t->resp_end_frame = hc->f->num;
    t->resp_end_ts = hc->f->ts;
    rc->unanswered = t->next;
    why_store_txn_complete(hc->env->st, t);
}

static void on_resp_peek(void *ctx, const uint8_t *body, size_t n)
{
    struct http_ctx *hc = ctx;
    struct why_txn *t = hc->rc->unanswered;
    if (t && t->has_resp) {
        char title[WHY_RESP_TITLE_SIZE];
        why_http1_html_title(body, n, title, sizeof title);
        if (title[0] || why_resp_str(t->resp, WHY_RESP_TITLE)[0]) {
            struct why_resp_view v;
            why_resp_view_of(t->resp, &v);
            v.str[WHY_RESP_TITLE] = title;
            why_store_txn_resp_put(hc->env->st, t, &v);
        }
        /* HAProxy's built-in 503 page: every server of the backend is down */
        static const char no_server[] = "No server is available to handle this request";
        t->says_no_server = memmem(body, n, no_server, sizeof no_server - 1) != NULL;
    }
}

static void on_resp_error(void *ctx, enum why_http_err err, const uint8_t *first, size_t n)
{
    struct http_ctx *hc = ctx;
    struct why_txn *t = hc->rc->unanswered;
    if (err == WHY_HTTP_ERR_TOO_LONG)
        hc->env->sum->cap_http_head_too_long++;
    if (!t || t->has_resp)
        return;
    t->not_http = true;
    t->resp_first_frame = msg_of(hc->rc->st.hresp)->first_frame; /* the stream being fed */
    t->resp_first_ts = msg_of(hc->rc->st.hresp)->first_ts;
    if (n > 0 || t->resp->first_len) {
        struct why_resp_view v;
        why_resp_view_of(t->resp, &v);
        v.first = first;
        v.first_len = n; /* cut at WHY_RESP_FIRST_MAX */
        why_store_txn_resp_put(hc->env->st, t, &v);
    }
}

static void on_req_error(void *ctx, enum why_http_err err, const uint8_t *first, size_t n)
{
    struct http_ctx *hc = ctx;
    (void)first, (void)n; /* a broken request: nothing to join */
    if (err == WHY_HTTP_ERR_TOO_LONG)
        hc->env->sum->cap_http_head_too_long++;
}
static void on_req_end(void *ctx, uint64_t b) { (void)ctx, (void)b; }
static void on_req_peek(void *ctx, const uint8_t *b, size_t n) { (void)ctx, (void)b, (void)n; }

/* The context of one feed and the callbacks of the stream of dir on it: only the stream of
 * dir is fed, so only its callbacks are set (once per segment). */
static struct why_http1_cb cbs(const struct why_app_env *env, struct why_conn_rec *rc,
                               const struct why_frame *f, struct http_ctx *hc, enum why_dir dir)
{
    hc->env = env;
    hc->rc = rc;
    hc->f = f;
    hc->offers_upgrade = hc->switched = false;
    hc->offer_len = 0;
    if (dir == WHY_C2S)
        return (struct why_http1_cb){hc, on_req_head, on_req_end, on_req_peek, on_req_error};
    return (struct why_http1_cb){hc, on_resp_head, on_resp_end, on_resp_peek, on_resp_error};
}

/* A response stream that cannot be followed any more (DEAD is final): kept as a fact. */
static void note_dead(struct why_conn_rec *rc)
{
    if (rc->st.hresp && rc->st.hresp->phase == WHY_HTTP_DEAD)
        rc->resp_dead = true;
}

static bool probe(const struct why_conn *c, const uint8_t *d, uint32_t n)
{
    (void)c;
    return why_http1_looks_like_request(d, n);
}

/* The parsers of a connection found to carry HTTP (in clear or decrypted). */
static bool http_open(const struct why_app_env *env, struct why_conn_rec *rc)
{
    (void)env;
    /* read-only stubs until the first byte of each side (own_stream) */
    rc->st.hreq = (struct why_http1_stream *)&idle_req;
    rc->st.hresp = (struct why_http1_stream *)&idle_resp;
    rc->http_live = true;
    return true;
}

/* The parsers go: their streams to the store's spares when env is known (the connection
 * closed or switched protocol), else freed (the record itself is being freed). */
static void streams_go(const struct why_app_env *env, struct why_conn_rec *rc)
{
    if (!rc->st.hreq && !rc->st.hresp)
        return;
    note_dead(rc);
    struct why_http1_stream *ss[2] = {rc->st.hreq, rc->st.hresp};
    for (int i = 0; i < 2; i++)
        if (ss[i] && !is_stub(ss[i])) {
            why_http1_stream_fini(ss[i]);
            if (env)
                why_spare_give(&env->st->spare_http1, ss[i]);
            else
                free(ss[i]);
        }
    rc->st.hreq = rc->st.hresp = NULL;
    rc->http_live = false;
}

static void http_release(struct why_conn_rec *rc)
{
    streams_go(NULL, rc);
}

/* A 101 answered the h2c offer: if its Upgrade field names h2c (when the head is in this
 * segment), the transaction of the offer becomes stream 1 and the bytes after the 101's head
 * are HTTP/2's; otherwise the 101 ends the transaction like any other. */
static void switch_h2(const struct why_app_env *env, struct why_conn_rec *rc, const uint8_t *d,
                      size_t used, uint32_t n, bool head_here, const struct why_frame *f)
{
    struct why_txn *t = rc->unanswered;
    if (!t)
        return;
    if (head_here && !why_h2_upgrade_h2c(d, used, NULL, NULL)) {
        /* another protocol (websocket, say) was chosen */
        t->has_resp = t->resp_done = true;
        t->status = 101;
        t->resp_first_frame = t->resp_frame = t->resp_end_frame = f->num;
        t->resp_first_ts = t->resp_ts = t->resp_end_ts = f->ts;
        rc->unanswered = t->next;
        why_store_queue_answered(env->st, t);
        why_store_txn_complete(env->st, t);
        return;
    }
    t->h2_stream = 1;
    t->grpc_status = -1;
    streams_go(env, rc);
    rc->app = WHY_APP_H2;
    rc->http_live = true;
    if (used < n)
        env->nested_feed(env, rc, WHY_APP_H2, WHY_S2C, d + used, (uint32_t)(n - used), f);
}

/* What note_dead and park would do is done (the sanitized build, a Debug one, checks it
 * where http_feed relies on it; a no-op elsewhere). */
static void parked_already(const struct why_conn_rec *rc)
{
#ifndef NDEBUG
    const struct why_http1_stream *ss[2] = {rc->st.hreq, rc->st.hresp};
    for (int i = 0; i < 2; i++)
        if (ss[i] && !is_stub(ss[i]) && why_http1_stream_idle(ss[i]))
            abort(); /* an idle stream not parked */
    if (rc->st.hresp && rc->st.hresp->phase == WHY_HTTP_DEAD && !rc->resp_dead)
        abort(); /* a dead response stream not noted */
#else
    (void)rc;
#endif
}

/* HTTP bytes of one direction, in clear or decrypted. */
static void http_feed(const struct why_app_env *env, struct why_conn_rec *rc, enum why_dir dir,
                      const uint8_t *d, uint32_t n, const struct why_frame *f)
{
    if (!rc->st.hreq)
        return;
    const struct why_http1_stream *s = dir == WHY_C2S ? rc->st.hreq : rc->st.hresp;
    if (rc->app == WHY_APP_HTTP &&
        (s->phase == WHY_HTTP_TUNNEL || rc->st.hresp->phase == WHY_HTTP_TUNNEL)) {
        /* CONNECT: what follows is the tunnel's payload, usually TLS (for the SNI) */
        env->nested_feed(env, rc, WHY_APP_TLS, dir, d, n, f);
        return;
    }
    /* the middle of a body (the stubs are idle or dead: never inside one, never written):
     * nothing to note or park after it, as every feed and gap did after theirs (the stream
     * stays in its body, the other is as that left it) */
    if (d && why_http1_stream_inside_body(dir == WHY_C2S ? rc->st.hreq : rc->st.hresp, n)) {
        parked_already(rc);
        return;
    }
    struct http_ctx hc;
    struct why_http1_cb cb = cbs(env, rc, f, &hc, dir);
    bool at_start = s->phase == WHY_HTTP_IDLE;
    uint32_t held = s->hlen; /* head bytes of earlier segments: a head split across them */
    struct why_http1_stream *w = own_stream(env, rc, dir);
    if (w && at_start) {
        /* IDLE is only seen at a message boundary: this frame holds the message's first byte */
        msg_of(w)->first_frame = f->num;
        msg_of(w)->first_ts = f->ts;
    }
    size_t used = w ? why_http1_stream_feed(w, d, n, &cb) : 0;
    note_dead(rc);
    if (rc->app == WHY_APP_HTTP) { /* h2c is cleartext only */
        /* the offer, kept if h2c: in this segment, or whole in the parser's head buffer when
         * it began in an earlier one (the buffer holds it until the next head) */
        if (hc.offers_upgrade && at_start && !rc->st.h2 && env->nested_open(env, rc, WHY_APP_H2))
            env->nested_feed(env, rc, WHY_APP_H2, dir, d, n, f);
        else if (hc.offers_upgrade && held && w && w->hbuf && hc.offer_len <= WHY_HTTP_HEAD_MAX &&
                 !rc->st.h2 && env->nested_open(env, rc, WHY_APP_H2))
            env->nested_feed(env, rc, WHY_APP_H2, dir, w->hbuf, hc.offer_len, f);
        if (hc.switched)
            switch_h2(env, rc, d, used, n, at_start, f); /* the parsers go: park sees NULL */
    }
    park(env, rc);
}

static void http_gap(const struct why_app_env *env, struct why_conn_rec *rc, enum why_dir dir,
                     uint32_t n, const struct why_frame *f)
{
    if (!rc->st.hreq)
        return;
    struct http_ctx hc;
    struct why_http1_cb cb = cbs(env, rc, f, &hc, dir);
    struct why_http1_stream *w = own_stream(env, rc, dir);
    if (w)
        why_http1_stream_gap(w, n, &cb);
    note_dead(rc);
    park(env, rc);
}

/* The end of the connection ends a response framed by close; the parsers go. */
static void http_close(const struct why_app_env *env, struct why_conn_rec *rc, const struct why_frame *f)
{
    if (why_rec_http(rc) && rc->st.hresp && !is_stub(rc->st.hresp)) {
        struct http_ctx hc;
        struct why_http1_cb cb = cbs(env, rc, f, &hc, WHY_S2C);
        why_http1_stream_close(rc->st.hresp, &cb);
    }
    if (rc->st.hresp && !is_stub(rc->st.hresp)) {
        env->sum->cap_http_pending_dropped += rc->st.hresp->pending_dropped;
        rc->st.hresp->pending_dropped = 0;
    }
    streams_go(env, rc);
}

const struct why_app_handler why_app_http1 = {
    .name = "http1",
    .id = WHY_APP_HTTP,
    .probe = probe,
    .open = http_open,
    .feed = http_feed,
    .gap = http_gap,
    .close = http_close,
    .release = http_release,
};
