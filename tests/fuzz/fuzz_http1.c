/* HTTP/1 streams on arbitrary bytes: the first byte picks the side and how the input is cut
 * into feeds, so split heads, chunk lines and gaps are all reached. */
#include "fuzz.h"
#include "proto/http1.h"

static void on_head(void *ctx, const struct why_http_head *h) { (void)ctx; (void)h; }
static void on_end(void *ctx, uint64_t n) { (void)ctx; (void)n; }
static void on_peek(void *ctx, const uint8_t *b, size_t n)
{
    (void)ctx;
    char title[120];
    why_http1_html_title(b, n, title, sizeof title);
}
static void on_error(void *ctx, enum why_http_err e, const uint8_t *b, size_t n)
{
    (void)ctx; (void)e; (void)b; (void)n;
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

    struct why_http1_cb cb = {NULL, on_head, on_end, on_peek, on_error};
    struct why_http1_stream s;
    why_http1_stream_init(&s, ctl & 1);
    if (!(ctl & 1)) {
        why_http1_stream_expect(&s, (ctl & 2) ? "HEAD" : "GET");
        why_http1_stream_expect(&s, (ctl & 4) ? "CONNECT" : "GET");
    }
    size_t step = (size_t)(ctl >> 3) + 1, off = 0;
    while (off < size) {
        size_t n = size - off < step ? size - off : step;
        why_http1_stream_feed(&s, data + off, n, &cb);
        off += n;
        if ((ctl & 0x80) && off < size && data[off] == 0xff)
            why_http1_stream_gap(&s, data[off - 1], &cb);
    }
    why_http1_stream_close(&s, &cb);
    why_http1_stream_fini(&s);
    return 0;
}
