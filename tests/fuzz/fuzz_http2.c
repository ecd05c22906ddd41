/* HTTP/2 connections on arbitrary bytes. The first byte sets up the connection (bit 0: the
 * client preface is fed first, so inputs reach frames at once; bit 1: it starts as an h2c
 * upgrade with stream 1 open). The rest is a list of records, each a byte b then bytes:
 * b & 1 is the side (0 client, 1 server); b >> 1 == 127 is a gap of the next byte's value on
 * that side; otherwise (b >> 1) + 1 bytes of that side follow. The whole-frame parser and the
 * recognisers also run over the raw input. After every step the stream table is held to its
 * contract (http2_stream.h): within its cap, every open stream found by its id. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "proto/http2.h"
#include "proto/http2_stream.h"

static void on_headers(void *ctx, const struct why_h2_stream *st, enum why_h2_side from,
                       enum why_h2_block kind, const struct why_http_head *h)
{
    (void)ctx; (void)st; (void)from; (void)kind;
    /* the strings must be terminated within their fields */
    (void)strnlen(h->method, sizeof h->method);
    (void)strnlen(h->host, sizeof h->host);
}

static void on_end(void *ctx, const struct why_h2_stream *st)
{
    (void)ctx;
    if (st->end == WHY_H2_END_NONE)
        abort(); /* a stream leaves the table with the reason why */
    (void)strnlen(st->path, sizeof st->path);
    (void)strnlen(st->grpc_message, sizeof st->grpc_message);
}

static void on_event(void *ctx, const struct why_h2_event *ev)
{
    (void)ctx;
    char buf[16];
    why_h2_error_name(ev->code, buf, sizeof buf);
    why_h2_type_name(ev->frame_type, buf, sizeof buf);
}

static void check_table(struct why_h2_conn *c)
{
    if (c->nstreams > c->cap_streams || c->cap_streams > WHY_H2_STREAMS_MAX ||
        c->streams_dropped > c->streams_total || c->nstreams > c->streams_total)
        abort();
    for (uint32_t i = 0; i < c->nstreams; i++) {
        const struct why_h2_stream *st = why_h2_stream_find(c, c->streams[i].id);
        if (!st || st->id != c->streams[i].id || st->end != WHY_H2_END_NONE)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t ctl = data[0];
    data++, size--;

    struct why_h2_frame f;
    for (size_t off = 0; off < size;) {
        int n = why_h2_frame_parse(data + off, size - off, WHY_H2_FRAME_LEN_LIMIT, &f);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    why_h2_looks_like_preface(data, size);
    why_h2_looks_like_server_start(data, size);
    const uint8_t *sv;
    size_t sl;
    why_h2_upgrade_h2c(data, size, &sv, &sl);

    struct why_h2_cb cb = {NULL, on_headers, on_end, on_event, NULL};
    struct why_h2_conn c;
    why_h2_conn_init(&c);
    struct why_ts ts = {1700000000, 0};
    uint64_t frame = 1;
    if (ctl & 2) {
        struct why_http_head req;
        static const char up[] = "GET /up HTTP/1.1\r\nHost: h2c.lab\r\n\r\n";
        why_http1_parse_head((const uint8_t *)up, sizeof up - 1, true, &req);
        why_h2_conn_upgrade(&c, &req, sv, sl, ts, frame++, &cb);
    }
    if (ctl & 1)
        why_h2_conn_feed(&c, WHY_H2_CLIENT, (const uint8_t *)WHY_H2_PREFACE, WHY_H2_PREFACE_LEN,
                         ts, frame++, &cb);
    size_t i = 0;
    while (i < size) {
        uint8_t b = data[i++];
        enum why_h2_side side = (b & 1) ? WHY_H2_SERVER : WHY_H2_CLIENT;
        ts = why_ts_add_us(ts, 1000);
        if ((b >> 1) == 127) {
            if (i < size)
                why_h2_conn_gap(&c, side, data[i++], &cb);
            check_table(&c);
            continue;
        }
        size_t n = (size_t)(b >> 1) + 1;
        if (n > size - i)
            n = size - i;
        why_h2_conn_feed(&c, side, data + i, n, ts, frame++, &cb);
        check_table(&c);
        i += n;
    }
    why_h2_conn_close(&c, ts, frame, &cb);
    if (c.nstreams != 0)
        abort(); /* the end of the connection ends every stream */
    why_h2_conn_fini(&c);
    return 0;
}
