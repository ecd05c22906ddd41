/* The HTTP/1 handler: request and response heads become transactions of the store (one per
 * request, its response matched in order, RFC 9112); a CONNECT tunnel's payload goes to the
 * TLS handler (for the SNI). Client requests are queued for a decision; the gateway's own
 * upstream requests wait in the request index to be joined. */
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "proto/http1.h"

struct http_ctx {
    const struct why_app_env *env;
    struct why_conn_rec *rc;
    const struct why_frame *f;    /* the frame whose bytes are being parsed */
};

static void copy_str(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

static void on_req_head(void *ctx, const struct why_http_head *h)
{
    struct http_ctx *hc = ctx;
    struct why_store *st = hc->env->st;
    struct why_conn_rec *rc = hc->rc;
    if (rc->ntxn >= WHY_TXN_PER_CONN_MAX)
        why_store_trim_txns(st, rc, hc->f->ts, false);
    struct why_txn *t = why_store_txn_new(st, rc);
    if (!t)
        return;
    copy_str(t->method, sizeof t->method, h->method);
    t->target = malloc(h->target_len + 1u);
    if (t->target) {
        memcpy(t->target, h->target, h->target_len);
        t->target[h->target_len] = 0;
        t->target_len = h->target_len;
    } else {
        hc->env->sum->oom++;
    }
    copy_str(t->host, sizeof t->host, h->host);
    copy_str(t->via, sizeof t->via, h->via);
    why_store_txn_index(st, t);
    t->req_first_frame = rc->st.hreq_first_frame;
    t->req_first_ts = rc->st.hreq_first_ts;
    t->req_frame = hc->f->num;
    t->req_ts = hc->f->ts;
    if (!rc->unanswered)
        rc->unanswered = t;
    why_http1_stream_expect(rc->st.hresp, h->method);
    const struct why_conn *c = why_rec_conn(rc);
    why_gw_add_served(hc->env->gw, &c->srv_addr);
    why_gw_roles(hc->env->gw, rc);
    if (rc->gw_cli && !rc->gw_srv) {
        hc->env->sum->upstream_requests++;
    } else {
        hc->env->sum->requests++;
        why_store_queue_push(st, t);
    }
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
    t->has_resp = true;
    t->status = h->status;
    t->resp_first_frame = rc->st.hresp_first_frame;
    t->resp_first_ts = rc->st.hresp_first_ts;
    t->resp_frame = hc->f->num;
    t->resp_ts = hc->f->ts;
    t->expected_len = h->content_length;
    copy_str(t->server, sizeof t->server, h->server);
    if (h->proxy_status[0])
        copy_str(t->claim, sizeof t->claim, h->proxy_status);
    else if (h->x_squid_error[0])
        copy_str(t->claim, sizeof t->claim, h->x_squid_error);
    if (rc->st.hresp->phase == WHY_HTTP_TUNNEL || h->status == 101) {
        t->resp_done = true;
        t->resp_end_frame = t->resp_frame;
        t->resp_end_ts = t->resp_ts;
        rc->unanswered = t->next;
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
}

static void on_resp_peek(void *ctx, const uint8_t *body, size_t n)
{
    struct http_ctx *hc = ctx;
    struct why_txn *t = hc->rc->unanswered;
    if (t && t->has_resp)
        why_http1_html_title(body, n, t->title, sizeof t->title);
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
    t->resp_first_frame = hc->rc->st.hresp_first_frame;
    t->resp_first_ts = hc->rc->st.hresp_first_ts;
    t->first_len = (uint32_t)(n > sizeof t->first_bytes ? sizeof t->first_bytes : n);
    memcpy(t->first_bytes, first, t->first_len);
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

static void cbs(const struct why_app_env *env, struct why_conn_rec *rc, const struct why_frame *f,
                struct http_ctx *hc, struct why_http1_cb *req, struct why_http1_cb *resp)
{
    hc->env = env;
    hc->rc = rc;
    hc->f = f;
    *req = (struct why_http1_cb){hc, on_req_head, on_req_end, on_req_peek, on_req_error};
    *resp = (struct why_http1_cb){hc, on_resp_head, on_resp_end, on_resp_peek, on_resp_error};
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
    rc->st.hreq = malloc(sizeof *rc->st.hreq);
    rc->st.hresp = malloc(sizeof *rc->st.hresp);
    if (!rc->st.hreq || !rc->st.hresp) {
        free(rc->st.hreq);
        free(rc->st.hresp);
        rc->st.hreq = rc->st.hresp = NULL;
        return false;
    }
    why_http1_stream_init(rc->st.hreq, true);
    why_http1_stream_init(rc->st.hresp, false);
    rc->http_live = true;
    return true;
}

static void http_release(struct why_conn_rec *rc)
{
    if (!rc->st.hreq && !rc->st.hresp)
        return;
    note_dead(rc);
    if (rc->st.hreq)
        why_http1_stream_fini(rc->st.hreq);
    if (rc->st.hresp)
        why_http1_stream_fini(rc->st.hresp);
    free(rc->st.hreq);
    free(rc->st.hresp);
    rc->st.hreq = rc->st.hresp = NULL;
    rc->http_live = false;
}

/* HTTP bytes of one direction, in clear or decrypted. */
static void http_feed(const struct why_app_env *env, struct why_conn_rec *rc, enum why_dir dir,
                      const uint8_t *d, uint32_t n, const struct why_frame *f)
{
    if (!rc->st.hreq)
        return;
    struct http_ctx hc;
    struct why_http1_cb req, resp;
    cbs(env, rc, f, &hc, &req, &resp);
    struct why_http1_stream *s = dir == WHY_C2S ? rc->st.hreq : rc->st.hresp;
    if (rc->app == WHY_APP_HTTP &&
        (s->phase == WHY_HTTP_TUNNEL || rc->st.hresp->phase == WHY_HTTP_TUNNEL)) {
        /* CONNECT: what follows is the tunnel's payload, usually TLS (for the SNI) */
        env->nested_feed(env, rc, WHY_APP_TLS, dir, d, n, f);
        return;
    }
    if (s->phase == WHY_HTTP_IDLE) {
        /* IDLE is only seen at a message boundary: this frame holds the message's first byte */
        if (dir == WHY_C2S) {
            rc->st.hreq_first_frame = f->num;
            rc->st.hreq_first_ts = f->ts;
        } else {
            rc->st.hresp_first_frame = f->num;
            rc->st.hresp_first_ts = f->ts;
        }
    }
    why_http1_stream_feed(s, d, n, dir == WHY_C2S ? &req : &resp);
    note_dead(rc);
}

static void http_gap(const struct why_app_env *env, struct why_conn_rec *rc, enum why_dir dir,
                     uint32_t n, const struct why_frame *f)
{
    if (!rc->st.hreq)
        return;
    struct http_ctx hc;
    struct why_http1_cb req, resp;
    cbs(env, rc, f, &hc, &req, &resp);
    why_http1_stream_gap(dir == WHY_C2S ? rc->st.hreq : rc->st.hresp, n, dir == WHY_C2S ? &req : &resp);
    note_dead(rc);
}

/* The end of the connection ends a response framed by close; the parsers go. */
static void http_close(const struct why_app_env *env, struct why_conn_rec *rc, const struct why_frame *f)
{
    if (why_rec_http(rc) && rc->st.hresp) {
        struct http_ctx hc;
        struct why_http1_cb req, resp;
        cbs(env, rc, f, &hc, &req, &resp);
        why_http1_stream_close(rc->st.hresp, &resp);
    }
    if (rc->st.hresp)
        env->sum->cap_http_pending_dropped += rc->st.hresp->pending_dropped;
    if (rc->st.hresp)
        rc->st.hresp->pending_dropped = 0;
    http_release(rc);
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
