/* HTTP/1 streams on arbitrary bytes: the first byte picks the side and how the input is cut
 * into feeds, so split heads, chunk lines and gaps are all reached. A second stream gets the
 * same feeds but counts those that lie inside a body without feeding them
 * (why_http1_stream_inside_body, as the session does): the two must report the same. */
#include "fuzz.h"
#include "proto/http1.h"

#include <stdlib.h>

/* what a stream reported, in order (a running mix of every callback and its values) */
struct seen {
    uint64_t mix;
};

static void note(void *ctx, uint64_t kind, uint64_t v)
{
    struct seen *r = ctx;
    r->mix = (r->mix ^ kind) * 0x100000001b3ULL;
    r->mix = (r->mix ^ v) * 0x100000001b3ULL;
}

static void on_head(void *ctx, const struct why_http_head *h)
{
    note(ctx, 1, (uint64_t)h->status << 32 | (uint64_t)h->content_length << 1 | h->chunked);
}
static void on_end(void *ctx, uint64_t n) { note(ctx, 2, n); }
static void on_peek(void *ctx, const uint8_t *b, size_t n)
{
    char title[120];
    why_http1_html_title(b, n, title, sizeof title);
    note(ctx, 3, n);
}
static void on_error(void *ctx, enum why_http_err e, const uint8_t *b, size_t n)
{
    (void)b;
    note(ctx, 4, (uint64_t)e << 32 | n);
}

static void start(struct why_http1_stream *s, uint8_t ctl)
{
    why_http1_stream_init(s, ctl & 1);
    if (!(ctl & 1)) {
        why_http1_stream_expect(s, (ctl & 2) ? "HEAD" : "GET");
        why_http1_stream_expect(s, (ctl & 4) ? "CONNECT" : "GET");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t ctl = data[0];
    data++, size--;
    struct why_http_head h;
    why_http1_parse_head(data, size, ctl & 1, &h);
    why_http1_looks_like_request(data, size);
    why_http1_looks_like_response(data, size);

    struct seen rs = {0}, rt = {0};
    struct why_http1_cb cs = {&rs, on_head, on_end, on_peek, on_error};
    struct why_http1_cb ct = {&rt, on_head, on_end, on_peek, on_error};
    struct why_http1_stream s, t;
    start(&s, ctl);
    start(&t, ctl);
    size_t step = (size_t)(ctl >> 3) + 1, off = 0;
    while (off < size) {
        size_t n = size - off < step ? size - off : step;
        why_http1_stream_feed(&s, data + off, n, &cs);
        if (!why_http1_stream_inside_body(&t, n))
            why_http1_stream_feed(&t, data + off, n, &ct);
        off += n;
        if ((ctl & 0x80) && off < size && data[off] == 0xff) {
            why_http1_stream_gap(&s, data[off - 1], &cs);
            why_http1_stream_gap(&t, data[off - 1], &ct);
        }
        if (rs.mix != rt.mix || s.phase != t.phase)
            abort(); /* a counted segment changed what the stream reports */
    }
    why_http1_stream_close(&s, &cs);
    why_http1_stream_close(&t, &ct);
    if (rs.mix != rt.mix)
        abort();
    why_http1_stream_fini(&s);
    why_http1_stream_fini(&t);
    return 0;
}
