/* TLS record stream on arbitrary bytes, fed in pieces whose size the first byte picks. */
#include "fuzz.h"
#include "proto/tls.h"

static void on_record(void *c, uint8_t t, uint16_t v, uint16_t l, bool e) { (void)c; (void)t; (void)v; (void)l; (void)e; }
static void on_hello(void *c, const struct why_tls_hello *h) { (void)c; (void)h; }
static void on_alert(void *c, uint8_t l, uint8_t d)
{
    (void)c; (void)l;
    char buf[16];
    (void)why_tls_alert_name(d, buf, sizeof buf);
}
static void on_handshake(void *c, uint8_t t, uint32_t l) { (void)c; (void)t; (void)l; }
static void on_error(void *c) { (void)c; }
static void on_body(void *c, uint8_t t, const uint8_t *b, uint32_t l) { (void)c; (void)t; (void)b; (void)l; }
static void on_cert(void *c, const uint8_t *d, uint32_t l) { (void)c; (void)d; (void)l; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = (size_t)data[0] + 1, off = 0;
    data++, size--;
    why_tls_looks_like(data, size);
    struct why_tls_cb cb = {NULL, on_record, on_hello, on_alert, on_handshake, on_error, on_cert, on_body};
    struct why_tls_stream s;
    why_tls_stream_init(&s);
    s.keep_bodies = step & 1; /* the decryption path's record collection too */
    while (off < size) {
        size_t n = size - off < step ? size - off : step;
        why_tls_stream_feed(&s, data + off, n, &cb);
        off += n;
    }
    why_tls_stream_gap(&s, step);
    why_tls_stream_feed(&s, data, size < 16 ? size : 16, &cb);
    why_tls_stream_fini(&s);
    return 0;
}
