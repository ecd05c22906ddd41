/* pcapng writer: SHB, IDB per link type, EPB with opt_comment, DSB with TLS key log lines.
 * Layouts from draft-ietf-opsawg-pcapng sections 4.1 (SHB), 4.2 (IDB), 4.3 (EPB), 4.7 (DSB)
 * and 3.5 (options: code, length, value padded to 32 bits). */
#include "capture/pcapng_write.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "why502/why502.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define BT_DSB 0x0000000Au
#define BOM 0x1A2B3C4Du
#define SECRETS_TLS 0x544c534bu /* "TLSK": NSS key log */
#define OPT_END 0
#define OPT_COMMENT 1
#define OPT_SHB_USERAPPL 4
#define OPT_IF_TSRESOL 9

struct why_pcapng_w {
    FILE *f;
    uint64_t bytes;                          /* written so far */
    uint32_t linktypes[WHY_PCAPNG_IFACES_MAX]; /* interface id = index */
    uint32_t nifaces;
};

static size_t pad4(size_t n) { return (n + 3u) & ~(size_t)3u; }

static int put(struct why_pcapng_w *w, const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, w->f) != n)
        return -1;
    w->bytes += n;
    return 0;
}

static int put32(struct why_pcapng_w *w, uint32_t v) { return put(w, &v, 4); }

static int put_pad(struct why_pcapng_w *w, size_t n)
{
    static const uint8_t zero[4];
    return put(w, zero, pad4(n) - n);
}

static size_t opt_len(size_t vlen) { return vlen ? 4 + pad4(vlen) : 0; }

static int put_opt(struct why_pcapng_w *w, uint16_t code, const void *v, size_t vlen)
{
    if (!vlen)
        return 0;
    uint16_t h[2] = {code, (uint16_t)vlen};
    if (put(w, h, 4) < 0 || put(w, v, vlen) < 0)
        return -1;
    return put_pad(w, vlen);
}

static size_t comment_len(const char *c)
{
    size_t n = c ? strlen(c) : 0;
    return n > WHY_PCAPNG_COMMENT_MAX ? WHY_PCAPNG_COMMENT_MAX : n;
}

int why_pcapng_open(struct why_pcapng_w **out, FILE *f, const char *shb_comment)
{
    *out = NULL;
    struct why_pcapng_w *w = calloc(1, sizeof *w);
    if (!w)
        return -1;
    w->f = f;
    static const char appl[] = "why502 " WHY502_VERSION;
    size_t clen = comment_len(shb_comment);
    size_t len = 24 + opt_len(clen) + opt_len(sizeof appl - 1) + 4 + 4;
    uint16_t ver[2] = {1, 0};
    int64_t section_len = -1;
    uint32_t end = OPT_END;
    if (put32(w, BT_SHB) < 0 || put32(w, (uint32_t)len) < 0 || put32(w, BOM) < 0 ||
        put(w, ver, 4) < 0 || put(w, &section_len, 8) < 0 ||
        put_opt(w, OPT_COMMENT, shb_comment, clen) < 0 ||
        put_opt(w, OPT_SHB_USERAPPL, appl, sizeof appl - 1) < 0 || put(w, &end, 4) < 0 ||
        put32(w, (uint32_t)len) < 0) {
        int e = errno;
        free(w);
        errno = e;
        return -1;
    }
    *out = w;
    return 0;
}

int why_pcapng_tls_secrets(struct why_pcapng_w *w, const char *keylog, size_t len)
{
    if (len > 64u << 20) {
        errno = EOVERFLOW;
        return -1;
    }
    /* type, length, secrets type, secrets length, data, length (no options) */
    size_t blen = 4 + 4 + 4 + 4 + pad4(len) + 4;
    if (put32(w, BT_DSB) < 0 || put32(w, (uint32_t)blen) < 0 || put32(w, SECRETS_TLS) < 0 ||
        put32(w, (uint32_t)len) < 0 || put(w, keylog, len) < 0 || put_pad(w, len) < 0 ||
        put32(w, (uint32_t)blen) < 0)
        return -1;
    return 0;
}

/* Interface id for a link type, writing its IDB the first time. -1 on error. */
static int iface_for(struct why_pcapng_w *w, uint32_t linktype)
{
    for (uint32_t i = 0; i < w->nifaces; i++)
        if (w->linktypes[i] == linktype)
            return (int)i;
    if (w->nifaces == WHY_PCAPNG_IFACES_MAX) {
        errno = EOVERFLOW;
        return -1;
    }
    uint8_t tsresol = 9; /* nanoseconds */
    size_t len = 16 + opt_len(1) + 4 + 4;
    uint16_t lt[2] = {(uint16_t)linktype, 0};
    uint32_t end = OPT_END;
    if (put32(w, BT_IDB) < 0 || put32(w, (uint32_t)len) < 0 || put(w, lt, 4) < 0 ||
        put32(w, WHY_FRAME_MAX) < 0 || put_opt(w, OPT_IF_TSRESOL, &tsresol, 1) < 0 ||
        put(w, &end, 4) < 0 || put32(w, (uint32_t)len) < 0)
        return -1;
    w->linktypes[w->nifaces] = linktype;
    return (int)w->nifaces++;
}

int why_pcapng_packet(struct why_pcapng_w *w, const struct why_frame *f, const char *comment)
{
    int ifid = iface_for(w, f->linktype);
    if (ifid < 0)
        return -1;
    size_t clen = comment_len(comment);
    size_t len = 28 + pad4(f->caplen) + (clen ? opt_len(clen) + 4 : 0) + 4;
    int64_t sec = f->ts.sec < 0 ? 0 : f->ts.sec;
    uint64_t ns = (uint64_t)sec * 1000000000u + f->ts.nsec;
    uint32_t wire = f->wirelen < f->caplen ? f->caplen : f->wirelen;
    uint32_t end = OPT_END;
    if (put32(w, BT_EPB) < 0 || put32(w, (uint32_t)len) < 0 || put32(w, (uint32_t)ifid) < 0 ||
        put32(w, (uint32_t)(ns >> 32)) < 0 || put32(w, (uint32_t)ns) < 0 ||
        put32(w, f->caplen) < 0 || put32(w, wire) < 0 || put(w, f->data, f->caplen) < 0 ||
        put_pad(w, f->caplen) < 0)
        return -1;
    if (clen && (put_opt(w, OPT_COMMENT, comment, clen) < 0 || put(w, &end, 4) < 0))
        return -1;
    return put32(w, (uint32_t)len);
}

uint64_t why_pcapng_bytes(const struct why_pcapng_w *w) { return w->bytes; }

void why_pcapng_free(struct why_pcapng_w *w) { free(w); }
