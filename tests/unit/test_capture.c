/* Capture reader on hand-built files: classic pcap (µs/ns, both byte orders, the modified
 * 24-byte records), pcapng (sections of either byte order, interfaces of mixed link types,
 * if_tsresol/if_tsoffset, EPB/SPB, unknown blocks skipped), files cut short or corrupt (frames
 * before the damage, then one warning naming the file and the last good frame), files that are
 * not captures (one-line error at open), standard input, and the merge of several files by
 * time, with time that steps back or jumps ahead counted, numbered into epochs and warned about.
 * Files read ahead on the reader's thread, in blocks made tiny so that records straddle them,
 * give what the plain read gives. Every file is written byte by byte into a temporary
 * directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture/capture.h"
#include "capture/filter.h"
#include "capture/readahead.h"

/* ---- temporary directory ---------------------------------------------------------- */

#define MAX_FILES 64
static char g_dir[256];
static char g_paths[MAX_FILES][320];
static int g_nfiles;

static int group_setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/why502-capture-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    for (int i = 0; i < g_nfiles; i++)
        unlink(g_paths[i]);
    rmdir(g_dir);
    return 0;
}

/* ---- byte builder ------------------------------------------------------------------ */

struct bb {
    uint8_t *p;
    size_t n, cap;
    bool be; /* byte order of the multi-byte fields written next */
};

static void put(struct bb *b, const void *d, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        assert_non_null(b->p);
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->n, d, n);
    b->n += n;
}

static void u8(struct bb *b, uint8_t v) { put(b, &v, 1); }

static void u16(struct bb *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)(b->be ? v >> 8 : v), (uint8_t)(b->be ? v : v >> 8)};
    put(b, x, 2);
}

static void set32(struct bb *b, size_t at, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b->p[at + (size_t)i] = (uint8_t)(v >> (b->be ? 24 - 8 * i : 8 * i));
}

static void u32(struct bb *b, uint32_t v)
{
    uint8_t x[4] = {0};
    put(b, x, 4);
    set32(b, b->n - 4, v);
}

static void u64(struct bb *b, uint64_t v)
{
    u32(b, (uint32_t)(b->be ? v >> 32 : v));
    u32(b, (uint32_t)(b->be ? v : v >> 32));
}

static void zeros(struct bb *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        u8(b, 0);
}

static void pad4(struct bb *b)
{
    while (b->n % 4)
        u8(b, 0);
}

/* Frame bytes: a pattern derived from seed so each frame's content can be checked. */
static void pattern(struct bb *b, uint32_t n, uint8_t seed)
{
    for (uint32_t i = 0; i < n; i++)
        u8(b, (uint8_t)(seed + i * 7));
}

static void check_pattern(const struct why_frame *f, uint8_t seed)
{
    for (uint32_t i = 0; i < f->caplen; i++)
        if (f->data[i] != (uint8_t)(seed + i * 7))
            fail_msg("frame %llu byte %u differs", (unsigned long long)f->num, i);
}

static void bb_free(struct bb *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* classic pcap */
static void pcap_hdr(struct bb *b, uint32_t magic, uint32_t network)
{
    u32(b, magic);
    u16(b, 2);
    u16(b, 4);
    u32(b, 0);     /* thiszone */
    u32(b, 0);     /* sigfigs */
    u32(b, 65535); /* snaplen */
    u32(b, network);
}

static void pcap_rec(struct bb *b, uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t wirelen, uint8_t seed)
{
    u32(b, sec);
    u32(b, frac);
    u32(b, caplen);
    u32(b, wirelen);
    pattern(b, caplen, seed);
}

/* pcapng */
static size_t blk_begin(struct bb *b, uint32_t type)
{
    size_t at = b->n;
    u32(b, type);
    u32(b, 0); /* length, set by blk_end */
    return at;
}

static void blk_end(struct bb *b, size_t at)
{
    pad4(b);
    uint32_t len = (uint32_t)(b->n - at + 4);
    set32(b, at + 4, len);
    u32(b, len);
}

static void shb(struct bb *b)
{
    size_t at = blk_begin(b, 0x0A0D0D0Au);
    u32(b, 0x1A2B3C4Du);
    u16(b, 1);
    u16(b, 0);
    u64(b, UINT64_MAX); /* section length unknown */
    u16(b, 4);          /* shb_userappl */
    u16(b, 5);
    put(b, "tests", 5);
    pad4(b);
    u16(b, 0);
    u16(b, 0);
    blk_end(b, at);
}

/* tsresol < 0: no if_tsresol option; tsoffset 0: no if_tsoffset option. */
static void idb(struct bb *b, uint16_t linktype, uint32_t snaplen, int tsresol, int64_t tsoffset)
{
    size_t at = blk_begin(b, 1);
    u16(b, linktype);
    u16(b, 0);
    u32(b, snaplen);
    u16(b, 2); /* if_name: 5 bytes, so the next option follows padding */
    u16(b, 5);
    put(b, "wlan0", 5);
    pad4(b);
    if (tsresol >= 0) {
        u16(b, 9);
        u16(b, 1);
        u8(b, (uint8_t)tsresol);
        pad4(b);
    }
    if (tsoffset) {
        u16(b, 14);
        u16(b, 8);
        u64(b, (uint64_t)tsoffset);
    }
    u16(b, 0);
    u16(b, 0);
    blk_end(b, at);
}

static void epb(struct bb *b, uint32_t ifid, uint64_t stamp, uint32_t caplen, uint32_t wirelen, uint8_t seed)
{
    size_t at = blk_begin(b, 6);
    u32(b, ifid);
    u32(b, (uint32_t)(stamp >> 32));
    u32(b, (uint32_t)stamp);
    u32(b, caplen);
    u32(b, wirelen);
    pattern(b, caplen, seed);
    pad4(b);
    u16(b, 1); /* epb_flags: inbound */
    u16(b, 4);
    u32(b, 1);
    u16(b, 0);
    u16(b, 0);
    blk_end(b, at);
}

static void spb(struct bb *b, uint32_t wirelen, uint32_t datalen, uint8_t seed)
{
    size_t at = blk_begin(b, 3);
    u32(b, wirelen);
    pattern(b, datalen, seed);
    blk_end(b, at);
}

/* The obsolete packet block: a 2-byte interface id, a drops count. */
static void opb(struct bb *b, uint16_t ifid, uint64_t stamp, uint32_t caplen, uint8_t seed)
{
    size_t at = blk_begin(b, 2);
    u16(b, ifid);
    u16(b, 0); /* drops */
    u32(b, (uint32_t)(stamp >> 32));
    u32(b, (uint32_t)stamp);
    u32(b, caplen);
    u32(b, caplen);
    pattern(b, caplen, seed);
    blk_end(b, at);
}

/* Any block the reader does not know (or need): skipped whole. */
static void other_block(struct bb *b, uint32_t type, size_t bodylen)
{
    size_t at = blk_begin(b, type);
    zeros(b, bodylen);
    blk_end(b, at);
}

/* ---- files and readers ------------------------------------------------------------- */

static const char *write_file(const char *name, const void *data, size_t n)
{
    assert_true(g_nfiles < MAX_FILES);
    char *path = g_paths[g_nfiles++];
    snprintf(path, sizeof g_paths[0], "%s/%s", g_dir, name);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    if (n)
        assert_int_equal(fwrite(data, 1, n, fp), n);
    assert_int_equal(fclose(fp), 0);
    return path;
}

static const char *write_bb(const char *name, const struct bb *b) { return write_file(name, b->p, b->n); }

static struct why_reader *open_n(const char *const *paths, size_t n)
{
    struct why_reader *r = NULL;
    char err[512];
    int rc = why_reader_open(&r, paths, n, err, sizeof err);
    if (rc != 0)
        fail_msg("open failed: %s", err);
    assert_non_null(r);
    assert_string_equal(why_reader_error(r), "");
    return r;
}

static struct why_reader *open1(const char *path) { return open_n(&path, 1); }

static void next_frame(struct why_reader *r, struct why_frame *f)
{
    memset(f, 0, sizeof *f);
    enum why_read_status st = why_reader_next(r, f);
    if (st != WHY_READ_FRAME)
        fail_msg("expected a frame, got status %d (error '%s')", (int)st, why_reader_error(r));
}

static void expect_eof(struct why_reader *r)
{
    struct why_frame f;
    assert_int_equal(why_reader_next(r, &f), WHY_READ_EOF);
    assert_int_equal(why_reader_next(r, &f), WHY_READ_EOF); /* and stays there */
}

static size_t nwarnings(const struct why_reader *r)
{
    size_t n = 99;
    why_reader_warnings(r, &n);
    return n;
}

/* Exactly one warning, containing every string given (NULL-terminated list). */
static void expect_one_warning(const struct why_reader *r, ...)
{
    size_t n = 0;
    const char *const *w = why_reader_warnings(r, &n);
    assert_int_equal(n, 1);
    assert_null(strchr(w[0], '\n'));
    va_list ap;
    va_start(ap, r);
    for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
        if (!strstr(w[0], s))
            fail_msg("warning '%s' lacks '%s'", w[0], s);
    va_end(ap);
}

/* Opening must fail with one line that contains every string given. */
static void expect_open_error(const char *const *paths, size_t n, ...)
{
    struct why_reader *r = (struct why_reader *)&r; /* not NULL: open must clear it */
    char err[512];
    assert_int_equal(why_reader_open(&r, paths, n, err, sizeof err), -1);
    assert_null(r);
    assert_true(err[0] != '\0');
    assert_null(strchr(err, '\n'));
    va_list ap;
    va_start(ap, n);
    for (const char *s; (s = va_arg(ap, const char *)) != NULL;)
        if (!strstr(err, s))
            fail_msg("error '%s' lacks '%s'", err, s);
    va_end(ap);
}

/* ---- classic pcap ------------------------------------------------------------------ */

static void pcap_usec_le(void **state)
{
    (void)state;
    struct bb b = {.be = false};
    pcap_hdr(&b, 0xa1b2c3d4u, 1);
    pcap_rec(&b, 1700000000, 123456, 60, 60, 0x10);
    pcap_rec(&b, 1700000001, 999999, 20, 10, 0x20); /* wirelen < caplen: raised */
    pcap_rec(&b, 1700000002, 2500000, 5, 1500, 0x30); /* fraction >= 1 s carries */
    pcap_rec(&b, 1700000009, 0, 0, 0, 0);
    assert_int_equal(b.p[0], 0xd4); /* little-endian on disk */
    const char *path = write_bb("us-le.pcap", &b);
    struct why_reader *r = open1(path);
    uint64_t done, total;
    why_reader_progress(r, &done, &total);
    assert_int_equal(total, b.n);

    struct why_frame f;
    next_frame(r, &f);
    assert_int_equal(f.num, 1);
    assert_int_equal(f.file, 0);
    assert_int_equal(f.ts.sec, 1700000000);
    assert_int_equal(f.ts.nsec, 123456000);
    assert_int_equal(f.linktype, 1);
    assert_int_equal(f.ifindex, 0);
    assert_int_equal(f.caplen, 60);
    assert_int_equal(f.wirelen, 60);
    check_pattern(&f, 0x10);

    next_frame(r, &f);
    assert_int_equal(f.num, 2);
    assert_int_equal(f.ts.nsec, 999999000);
    assert_int_equal(f.caplen, 20);
    assert_int_equal(f.wirelen, 20);
    check_pattern(&f, 0x20);

    next_frame(r, &f);
    assert_int_equal(f.num, 3);
    assert_int_equal(f.ts.sec, 1700000004);
    assert_int_equal(f.ts.nsec, 500000000);
    assert_int_equal(f.caplen, 5);
    assert_int_equal(f.wirelen, 1500);
    check_pattern(&f, 0x30);

    next_frame(r, &f);
    assert_int_equal(f.num, 4);
    assert_int_equal(f.caplen, 0);
    assert_int_equal(f.wirelen, 0);

    expect_eof(r);
    assert_int_equal(nwarnings(r), 0);
    assert_string_equal(why_reader_error(r), "");
    assert_string_equal(why_reader_filename(r, 0), path);
    assert_string_equal(why_reader_filename(r, 1), "");
    why_reader_progress(r, &done, &total);
    assert_int_equal(done, b.n);
    assert_int_equal(total, b.n);
    why_reader_free(r);
    bb_free(&b);
}

static void pcap_nsec_be(void **state)
{
    (void)state;
    struct bb b = {.be = true};
    /* The upper bits of the link type field carry FCS information, not the link type. */
    pcap_hdr(&b, 0xa1b23c4du, 0x10000000u | 101);
    pcap_rec(&b, 1700000000, 999999999, 40, 40, 0x01);
    pcap_rec(&b, 1700000000, 1500000000, 41, 41, 0x02);
    assert_int_equal(b.p[0], 0xa1); /* big-endian on disk */
    const char *path = write_bb("ns-be.pcap", &b);
    struct why_reader *r = open1(path);
    struct why_frame f;
    next_frame(r, &f);
    assert_int_equal(f.num, 1);
    assert_int_equal(f.ts.sec, 1700000000);
    assert_int_equal(f.ts.nsec, 999999999);
    assert_int_equal(f.linktype, 101);
    assert_int_equal(f.caplen, 40);
    check_pattern(&f, 0x01);
    next_frame(r, &f);
    assert_int_equal(f.num, 2);
    assert_int_equal(f.ts.sec, 1700000001);
    assert_int_equal(f.ts.nsec, 500000000);
    check_pattern(&f, 0x02);
    expect_eof(r);
    assert_int_equal(nwarnings(r), 0);
    why_reader_free(r);
    bb_free(&b);
}

/* A record's fraction at the edges of one second, in both units: just under it is the
 * nanoseconds as they are, one second or more carries; the largest seconds stay unsigned. */
static void pcap_fraction_edges(void **state)
{
    (void)state;
    static const struct {
        uint32_t magic, sec, frac;
        int64_t want_sec;
        uint32_t want_nsec;
    } t[] = {
        {0xa1b2c3d4u, 10, 999999, 10, 999999000},
        {0xa1b2c3d4u, 10, 1000000, 11, 0},
        {0xa1b2c3d4u, 0xffffffffu, 999999, 4294967295LL, 999999000},
        {0xa1b2c3d4u, 0xffffffffu, 0xffffffffu, 4294967295LL + 4294, 967295000},
        {0xa1b23c4du, 10, 999999999, 10, 999999999},
        {0xa1b23c4du, 10, 1000000000, 11, 0},
        {0xa1b23c4du, 0xffffffffu, 0xffffffffu, 4294967295LL + 4, 294967295},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        struct bb b = {.be = false};
        pcap_hdr(&b, t[i].magic, 1);
        pcap_rec(&b, t[i].sec, t[i].frac, 4, 4, 0x40);
        const char *path = write_bb("frac.pcap", &b);
        struct why_reader *r = open1(path);
        struct why_frame f;
        next_frame(r, &f);
        assert_int_equal(f.ts.sec, t[i].want_sec);
        assert_int_equal(f.ts.nsec, t[i].want_nsec);
        expect_eof(r);
        why_reader_free(r);
        bb_free(&b);
    }
}

/* The other two magic/order pairs: µs big-endian, ns little-endian. */
static void pcap_other_orders(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++) {
        struct bb b = {.be = i == 0};
        pcap_hdr(&b, i == 0 ? 0xa1b2c3d4u : 0xa1b23c4du, 113);
        pcap_rec(&b, 7, 5, 3, 3, 0x44);
        const char *path = write_bb(i == 0 ? "us-be.pcap" : "ns-le.pcap", &b);
        struct why_reader *r = open1(path);
        struct why_frame f;
        next_frame(r, &f);
        assert_int_equal(f.ts.sec, 7);
        assert_int_equal(f.ts.nsec, i == 0 ? 5000 : 5);
        assert_int_equal(f.linktype, 113);
        check_pattern(&f, 0x44);
        expect_eof(r);
        why_reader_free(r);
        bb_free(&b);
    }
}

/* Kuznetsov's modified format: 24-byte records (ifindex, protocol, packet type, pad). */
static void pcap_modified(void **state)
{
    (void)state;
    struct bb b = {.be = false};
    pcap_hdr(&b, 0xa1b2cd34u, 1);
    for (uint8_t i = 0; i < 2; i++) {
        u32(&b, 100 + i);
        u32(&b, 1);
        u32(&b, 30);
        u32(&b, 30);
        u32(&b, 2);  /* ifindex */
        u16(&b, 8);  /* protocol */
        u8(&b, 0);   /* packet type */
        u8(&b, 0);   /* pad */
        pattern(&b, 30, (uint8_t)(0x50 + i));
    }
    const char *path = write_bb("modified.pcap", &b);
    struct why_reader *r = open1(path);
    struct why_frame f;
    for (uint8_t i = 0; i < 2; i++) {
        next_frame(r, &f);
        assert_int_equal(f.num, i + 1);
        assert_int_equal(f.ts.sec, 100 + i);
        assert_int_equal(f.caplen, 30);
        check_pattern(&f, (uint8_t)(0x50 + i));
    }
    expect_eof(r);
    assert_int_equal(nwarnings(r), 0);
    why_reader_free(r);
    bb_free(&b);
}

/* The largest frame accepted, between small ones; many frames so the 1 MiB buffer wraps. */
static void pcap_big_and_many(void **state)
{
    (void)state;
    struct bb b = {.be = false};
    pcap_hdr(&b, 0xa1b2c3d4u, 1);
    pcap_rec(&b, 1, 0, 100, 100, 1);
    pcap_rec(&b, 2, 0, WHY_FRAME_MAX, WHY_FRAME_MAX, 2);
    uint32_t n = 3;
    for (; b.n < 5u * 1024 * 1024; n++)
        pcap_rec(&b, 2 + n, 0, (n * 977) % 9000, 9000, (uint8_t)n);
    pcap_rec(&b, 2 + n, 0, WHY_FRAME_MAX, WHY_FRAME_MAX, (uint8_t)n);
    const char *path = write_bb("many.pcap", &b);
    struct why_reader *r = open1(path);
    struct why_frame f;
    next_frame(r, &f);
    assert_int_equal(f.caplen, 100);
    check_pattern(&f, 1);
    next_frame(r, &f);
    assert_int_equal(f.caplen, WHY_FRAME_MAX);
    check_pattern(&f, 2);
    for (uint32_t i = 3; i <= n; i++) {
        next_frame(r, &f);
        assert_int_equal(f.num, i);
        assert_int_equal(f.caplen, i == n ? WHY_FRAME_MAX : (i * 977) % 9000);
        check_pattern(&f, (uint8_t)i);
    }
    expect_eof(r);
    assert_int_equal(nwarnings(r), 0);
    uint64_t done, total;
    why_reader_progress(r, &done, &total);
    assert_int_equal(done, b.n);
    why_reader_free(r);
    bb_free(&b);
}

/* ---- pcapng ------------------------------------------------------------------------ */

/* One section with an Ethernet interface (µs) and an SLL2 interface (if_tsresol 9 = ns),
 * EPBs on both, an SPB, a skipped statistics block; then a big-endian section whose only
 * interface is SLL with a binary resolution (2^-10) and an offset. Frame numbers run on. */
static void pcapng_sections_interfaces(void **state)
{
    (void)state;
    struct bb b = {.be = false};
    shb(&b);
    idb(&b, 1, 0, -1, 0);
    idb(&b, 276, 65535, 9, 0);
    epb(&b, 0, 1700000000123456ull, 60, 60, 0x11);
    other_block(&b, 5, 20); /* interface statistics */
    epb(&b, 1, 1700000000500000001ull, 33, 40, 0x22);
    spb(&b, 30, 32, 0x33);  /* 30 bytes sent, block padded: caplen is 30 */
    epb(&b, 0, 1700000001000000ull, 10, 4, 0x44); /* wirelen < caplen: raised */
    b.be = true;
    shb(&b);
    idb(&b, 113, 0, 0x80 | 10, 1000);
    epb(&b, 0, 5 * 1024 + 512, 21, 21, 0x55);
    const char *path = write_bb("mixed.pcapng", &b);
    struct why_reader *r = open1(path);
    struct why_frame f;

    next_frame(r, &f);
    assert_int_equal(f.num, 1);
    assert_int_equal(f.linktype, 1);
    assert_int_equal(f.ifindex, 0);
    assert_int_equal(f.ts.sec, 1700000000);
    assert_int_equal(f.ts.nsec, 123456000);
    assert_int_equal(f.caplen, 60);
    assert_int_equal(f.wirelen, 60);
    check_pattern(&f, 0x11);

    next_frame(r, &f);
    assert_int_equal(f.num, 2);
    assert_int_equal(f.linktype, 276);
    assert_int_equal(f.ifindex, 1);
    assert_int_equal(f.ts.sec, 1700000000);
    assert_int_equal(f.ts.nsec, 500000001);
    assert_int_equal(f.caplen, 33);
    assert_int_equal(f.wirelen, 40);
    check_pattern(&f, 0x22);

    next_frame(r, &f); /* SPB: interface 0, the previous frame's time */
    assert_int_equal(f.num, 3);
    assert_int_equal(f.linktype, 1);
    assert_int_equal(f.ifindex, 0);
    assert_int_equal(f.ts.sec, 1700000000);
    assert_int_equal(f.ts.nsec, 500000001);
    assert_int_equal(f.caplen, 30);
    assert_int_equal(f.wirelen, 30);
    check_pattern(&f, 0x33);

    next_frame(r, &f);
    assert_int_equal(f.num, 4);
    assert_int_equal(f.caplen, 10);
    assert_int_equal(f.wirelen, 10);
    check_pattern(&f, 0x44);

    next_frame(r, &f); /* second section */
    assert_int_equal(f.num, 5);
    assert_int_equal(f.linktype, 113);
    assert_int_equal(f.ifindex, 0);
    assert_int_equal(f.ts.sec, 1005);
    assert_int_equal(f.ts.nsec, 500000000);
    assert_int_equal(f.caplen, 21);
    check_pattern(&f, 0x55);
    assert_int_equal(f.epoch, 1); /* the second section's clock is 53 years behind */

    expect_eof(r);
    expect_one_warning(r, "mixed.pcapng: time jumps 53.9 years backward at frame 5 (after frame 4)", NULL);
    why_reader_free(r);
    bb_free(&b);
}

/* A big-endian file from the first byte; an unknown block larger than the read buffer. */
static void pcapng_big_endian_and_big_block(void **state)
{
    (void)state;
    struct bb b = {.be = true};
    shb(&b);
    idb(&b, 101, 0, 9, 0);
    epb(&b, 0, 1000000000ull * 42 + 7, 20, 20, 0x66);
    other_block(&b, 0x40000BADu, 3u << 20);
    epb(&b, 0, 1000000000ull * 43, 20, 20, 0x77);
    const char *path = write_bb("be.pcapng", &b);
    struct why_reader *r = open1(path);
    struct why_frame f;
    next_frame(r, &f);
    assert_int_equal(f.linktype, 101);
    assert_int_equal(f.ts.sec, 42);
    assert_int_equal(f.ts.nsec, 7);
    check_pattern(&f, 0x66);
    next_frame(r, &f);
    assert_int_equal(f.num, 2);
    assert_int_equal(f.ts.sec, 43);
    check_pattern(&f, 0x77);
    expect_eof(r);
    assert_int_equal(nwarnings(r), 0);
    why_reader_free(r);
    bb_free(&b);
}

/* The obsolete OPB (2-byte interface id), an SPB cut to the interface snaplen, a negative
 * if_tsoffset; then an EPB whose caplen runs past its block ends the file as corrupt. */
static void pcapng_opb_snaplen_offset(void **state)
{
    (void)state;
    struct bb b = {.be = false};
    shb(&b);
    idb(&b, 1, 16, 3, -100); /* snaplen 16, milliseconds, 100 s earlier */
    idb(&b, 0, 0, -1, 0);
    opb(&b, 1, 1234567, 9, 0x12);
    spb(&b, 100, 100, 0x13);
    epb(&b, 0, 1234567, 10, 10, 0x14);
    size_t at = b.n;
    epb(&b, 0, 0, 10, 10, 0x15);
    set32(&b, at + 20, 200); /* caplen 200 in a block with 10 bytes of data */
    const char *path = write_bb("opb.pcapng", &b);
    struct why_reader *r = open1(path);
    struct why_frame f;
    next_frame(r, &f);
    assert_int_equal(f.ifindex, 1);
    assert_int_equal(f.linktype, 0);
    assert_int_equal(f.ts.sec, 1); /* interface 1: default µs, no offset */
    assert_int_equal(f.ts.nsec, 234567000);
    check_pattern(&f, 0x12);
    next_frame(r, &f);
    assert_int_equal(f.ifindex, 0);
    assert_int_equal(f.caplen, 16);
    assert_int_equal(f.wirelen, 100);
    check_pattern(&f, 0x13);
    next_frame(r, &f);
    assert_int_equal(f.ts.sec, 1234 - 100);
    assert_int_equal(f.ts.nsec, 567000000);
    expect_eof(r);
    expect_one_warning(r, path, "corrupt", "last good frame 3", NULL);
    why_reader_free(r);
    bb_free(&b);
}

/* A new section forgets the interfaces of the one before. */
static void pcapng_section_resets_interfaces(void **state)
{
    (void)state;
    struct bb b = {.be = false};
    shb(&b);
    idb(&b, 1, 0, -1, 0);
    idb(&b, 1, 0, -1, 0);
    epb(&b, 1, 1, 10, 10, 1);
    shb(&b);
    idb(&b, 1, 0, -1, 0);
    epb(&b, 1, 2, 10, 10, 2); /* interface 1 is not described in this section */
    const char *path = write_bb("reset.pcapng", &b);
    struct why_reader *r = open1(path);
    struct why_frame f;
    next_frame(r, &f);
    assert_int_equal(f.ifindex, 1);
    expect_eof(r);
    expect_one_warning(r, path, "corrupt", "interface", "last good frame 1", NULL);
    why_reader_free(r);
    bb_free(&b);
}

/* ---- damaged files ----------------------------------------------------------------- */

static void cut_pcap_in_data(void **state)
{
    (void)state;
    struct bb b = {.be = false};
    pcap_hdr(&b, 0xa1b2c3d4u, 1);
    for (uint8_t i = 1; i <= 3; i++)
        pcap_rec(&b, i, 0, 40, 40, i);
    const char *path = write_file("cut-data.pcap", b.p, 24 + 2 * 56 + 16 + 20);
    struct why_reader *r = open1(path);
    struct why_frame f;
    next_frame(r, &f);
    check_pattern(&f, 1);
    next_frame(r, &f);
    assert_int_equal(f.num, 2);
    check_pattern(&f, 2);
    expect_eof(r);
    expect_one_warning(r, path, "inside frame 3", "last good frame 2", NULL);
    assert_string_equal(why_reader_error(r), "");
    why_reader_free(r);
    bb_free(&b);
}

static void cut_pcap_in_record_header(void **state)
{
    (void)state;
    struct bb b = {.be = true};
    pcap_hdr(&b, 0xa1b23c4du, 1);
    pcap_rec(&b, 1, 0, 40, 40, 1);
    pcap_rec(&b, 2, 0, 40, 40, 2);
    const char *path = write_file("cut-rec.pcap", b.p, 24 + 56 + 7);
    struct why_reader *r = open1(path);
    struct why_frame f;
    next_frame(r, &f);
    expect_eof(r);
    expect_one_warning(r, path, "last good frame 1", NULL);
    why_reader_free(r);
    bb_free(&b);
}

static void cut_pcapng(void **state)
{
    (void)state;
    struct bb b = {.be = false};
    shb(&b);
    idb(&b, 1, 0, -1, 0);
    epb(&b, 0, 1, 50, 50, 1);
    size_t second = b.n;
    epb(&b, 0, 2, 50, 50, 2);
    /* inside the packet data of the second EPB */
    const char *path = write_file("cut-epb.pcapng", b.p, second + 40);
    struct why_reader *r = open1(path);
    struct why_frame f;
    next_frame(r, &f);
    check_pattern(&f, 1);
    expect_eof(r);
    expect_one_warning(r, path, "inside frame 2", "last good frame 1", NULL);
    why_reader_free(r);

    /* inside the 8-byte block header */
    path = write_file("cut-head.pcapng", b.p, second + 5);
    r = open1(path);
    next_frame(r, &f);
    expect_eof(r);
    expect_one_warning(r, path, "last good frame 1", NULL);
    why_reader_free(r);

    /* inside an interface block of a second section, after two frames */
    b.n = second;
    epb(&b, 0, 2, 50, 50, 2);
    shb(&b);
    size_t idb_at = b.n;
    idb(&b, 1, 0, -1, 0);
    path = write_file("cut-idb.pcapng", b.p, idb_at + 12);
    r = open1(path);
    next_frame(r, &f);
    next_frame(r, &f);
    assert_int_equal(f.num, 2);
    expect_eof(r);
    char at[32];
    snprintf(at, sizeof at, "offset %zu", idb_at);
    expect_one_warning(r, path, at, "last good frame 2", NULL);
    why_reader_free(r);
    bb_free(&b);
}

static void corrupt_pcapng_trailer(void **state)
{
    (void)state;
    struct bb b = {.be = false};
    shb(&b);
    idb(&b, 1, 0, -1, 0);
    epb(&b, 0, 1, 50, 50, 1);
    epb(&b, 0, 2, 50, 50, 2);
    set32(&b, b.n - 4, 12345); /* trailing length of the last block */
    epb(&b, 0, 3, 50, 50, 3);
    const char *path = write_bb("trailer.pcapng", &b);
    struct why_reader *r = open1(path);
    struct why_frame f;
    next_frame(r, &f);
    expect_eof(r);
    expect_one_warning(r, path, "corrupt", "trailing block length", "last good frame 1", NULL);
    why_reader_free(r);
    bb_free(&b);
}

static void caplen_over_limit(void **state)
{
    (void)state;
    struct bb b = {.be = false};
    pcap_hdr(&b, 0xa1b2c3d4u, 1);
    pcap_rec(&b, 1, 0, 40, 40, 1);
    pcap_rec(&b, 2, 0, WHY_FRAME_MAX + 1, WHY_FRAME_MAX + 1, 2);
    pcap_rec(&b, 3, 0, 40, 40, 3);
    const char *path = write_bb("huge.pcap", &b);
    struct why_reader *r = open1(path);
    struct why_frame f;
    next_frame(r, &f);
    check_pattern(&f, 1);
    expect_eof(r);
    char lim[32];
    snprintf(lim, sizeof lim, "caplen %u", WHY_FRAME_MAX + 1);
    expect_one_warning(r, path, "corrupt", lim, "last good frame 1", NULL);
    why_reader_free(r);
    bb_free(&b);

    /* pcapng: a whole, well-formed EPB whose packet is over the limit */
    b.be = true;
    shb(&b);
    idb(&b, 1, 0, -1, 0);
    epb(&b, 0, 1, 40, 40, 1);
    epb(&b, 0, 2, WHY_FRAME_MAX + 1, WHY_FRAME_MAX + 1, 2);
    epb(&b, 0, 3, 40, 40, 3);
    path = write_bb("huge.pcapng", &b);
    r = open1(path);
    next_frame(r, &f);
    expect_eof(r);
    expect_one_warning(r, path, "corrupt", "last good frame 1", NULL);
    why_reader_free(r);
    bb_free(&b);
}

/* ---- not captures ------------------------------------------------------------------ */

static void not_a_capture(void **state)
{
    (void)state;
    const char *html = "<html><body>502 Bad Gateway</body></html>\n";
    const char *path = write_file("page.txt", html, strlen(html));
    struct why_reader *r = NULL;
    char err[512], want[512];
    assert_int_equal(why_reader_open(&r, &path, 1, err, sizeof err), -1);
    assert_null(r);
    snprintf(want, sizeof want, "%s: not a pcap or pcapng file (magic 0x3c68746d)", path);
    assert_string_equal(err, want);

    /* the bad one second: nothing opened, the message names it */
    struct bb b = {.be = false};
    pcap_hdr(&b, 0xa1b2c3d4u, 1);
    const char *good = write_bb("header-only.pcap", &b);
    const char *both[2] = {good, path};
    expect_open_error(both, 2, path, "not a pcap or pcapng file", NULL);
    bb_free(&b);

    const uint8_t gz[] = {0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0};
    path = write_file("x.pcap.gz", gz, sizeof gz);
    expect_open_error(&path, 1, path, "gzip", NULL);

    path = write_file("empty.pcap", "", 0);
    expect_open_error(&path, 1, path, "empty", NULL);

    path = write_file("tiny.pcap", "\xd4\xc3", 2);
    expect_open_error(&path, 1, path, "too short", NULL);

    path = write_file("short-hdr.pcap", "\xd4\xc3\xb2\xa1\x02\x00\x04\x00", 8);
    expect_open_error(&path, 1, path, "pcap file header", NULL);

    b.be = false;
    pcap_hdr(&b, 0xa1b2c3d4u, 1);
    b.p[4] = 9; /* version 9.4 */
    path = write_bb("v9.pcap", &b);
    expect_open_error(&path, 1, path, "version", NULL);
    bb_free(&b);

    shb(&b);
    b.p[8] = 0x11; /* byte-order magic */
    path = write_bb("bom.pcapng", &b);
    expect_open_error(&path, 1, path, "byte-order", NULL);
    bb_free(&b);

    shb(&b);
    path = write_file("cut-shb.pcapng", b.p, 20);
    expect_open_error(&path, 1, path, "section header", NULL);
    bb_free(&b);

    char missing[320];
    snprintf(missing, sizeof missing, "%s/does-not-exist.pcap", g_dir);
    const char *m = missing;
    expect_open_error(&m, 1, missing, "cannot open", NULL);

    const char *dir = g_dir; /* opens, but cannot be read */
    expect_open_error(&dir, 1, g_dir, "cannot read", NULL);

    expect_open_error(NULL, 0, "no capture", NULL);
}

/* Files with a header and nothing else are fine and simply empty. */
static void header_only(void **state)
{
    (void)state;
    struct bb b = {.be = true};
    pcap_hdr(&b, 0xa1b2c3d4u, 1);
    const char *p1 = write_bb("hdr.pcap", &b);
    bb_free(&b);
    shb(&b);
    idb(&b, 1, 0, -1, 0);
    const char *p2 = write_bb("hdr.pcapng", &b);
    bb_free(&b);
    const char *paths[2] = {p1, p2};
    struct why_reader *r = open_n(paths, 2);
    expect_eof(r);
    assert_int_equal(nwarnings(r), 0);
    why_reader_free(r);
}

/* ---- several files ----------------------------------------------------------------- */

/* A (pcap, µs): 10, 12, 14, then 11 (out of order in its own file: never moved).
 * B (pcapng, ns): 11.5, 12 (tie with A's 12: the lower file index goes first), 13. */
static void merge_by_time(void **state)
{
    (void)state;
    struct bb a = {.be = false}, b = {.be = true};
    pcap_hdr(&a, 0xa1b2c3d4u, 1);
    pcap_rec(&a, 10, 0, 10, 10, 0xa1);
    pcap_rec(&a, 12, 0, 10, 10, 0xa2);
    pcap_rec(&a, 14, 0, 10, 10, 0xa3);
    pcap_rec(&a, 11, 0, 10, 10, 0xa4);
    shb(&b);
    idb(&b, 276, 0, 9, 0);
    epb(&b, 0, 11500000000ull, 12, 12, 0xb1);
    epb(&b, 0, 12000000000ull, 12, 12, 0xb2);
    epb(&b, 0, 13000000000ull, 12, 12, 0xb3);
    const char *paths[2] = {write_bb("a.pcap", &a), write_bb("b.pcapng", &b)};
    struct why_reader *r = open_n(paths, 2);
    uint64_t done, total;
    why_reader_progress(r, &done, &total);
    assert_int_equal(total, a.n + b.n);

    static const struct {
        uint32_t file;
        uint64_t num;
        int64_t sec;
        uint32_t nsec;
        uint8_t seed;
        uint32_t linktype;
    } want[] = {
        {0, 1, 10, 0, 0xa1, 1},         {1, 1, 11, 500000000, 0xb1, 276}, {0, 2, 12, 0, 0xa2, 1},
        {1, 2, 12, 0, 0xb2, 276},       {1, 3, 13, 0, 0xb3, 276},         {0, 3, 14, 0, 0xa3, 1},
        {0, 4, 11, 0, 0xa4, 1},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        struct why_frame f;
        next_frame(r, &f);
        assert_int_equal(f.file, want[i].file);
        assert_int_equal(f.num, want[i].num);
        assert_int_equal(f.ts.sec, want[i].sec);
        assert_int_equal(f.ts.nsec, want[i].nsec);
        assert_int_equal(f.linktype, want[i].linktype);
        check_pattern(&f, want[i].seed);
        assert_int_equal(f.epoch, i < 6 ? 0 : 1); /* 14 -> 11: a jump back */
    }
    expect_eof(r);
    expect_one_warning(r, "a.pcap: time jumps 3.0 s backward at frame 4 (after frame 3)", "1 jump backward",
                       "a wait that spans one is not a real wait", NULL);
    assert_string_equal(why_reader_filename(r, 1), paths[1]);
    why_reader_progress(r, &done, &total);
    assert_int_equal(done, total);
    why_reader_free(r);
    bb_free(&a);
    bb_free(&b);
}

/* The edges of the usual step (the same second not back, or on by less than the jump limit's
 * seconds), which the reader takes without counting, against the steps next to them, which
 * it measures: a step back of less than a microsecond is not one (it measures 0), one of 1.5
 * us is; a step of exactly the limit is not a jump, one of the limit and a microsecond is. */
static void time_step_edges(void **state)
{
    (void)state;
    struct bb a = {.be = false};
    pcap_hdr(&a, 0xa1b23c4du, 1); /* nanoseconds */
    pcap_rec(&a, 200, 500000000, 10, 10, 1);
    pcap_rec(&a, 200, 499999500, 10, 10, 2);          /* 500 ns back: measures 0 */
    pcap_rec(&a, 200, 499998000, 10, 10, 3);          /* 1.5 us back: one step back */
    pcap_rec(&a, 200 + 3599, 0, 10, 10, 4);           /* the last second under the limit */
    pcap_rec(&a, 200 + 7199, 0, 10, 10, 5);           /* the limit exactly: no jump */
    pcap_rec(&a, 200 + 10799, 1000, 10, 10, 6);       /* the limit and 1 us: a jump */
    pcap_rec(&a, 200 + 10800, 0, 10, 10, 7);          /* a second on, fewer nanoseconds */
    pcap_rec(&a, 200 + 10800, 5, 10, 10, 8);          /* the same second, on */
    const char *paths[1] = {write_bb("edges.pcap", &a)};
    struct why_reader *r = open_n(paths, 1);
    static const uint32_t epochs[] = {0, 0, 0, 0, 0, 1, 1, 1};
    for (size_t i = 0; i < sizeof epochs / sizeof epochs[0]; i++) {
        struct why_frame f;
        next_frame(r, &f);
        assert_int_equal(f.epoch, epochs[i]);
    }
    expect_eof(r);
    const struct why_time_stats *t = why_reader_time(r);
    assert_int_equal(t->backwards, 1);
    assert_int_equal(t->largest_back_us, 1);
    assert_int_equal(t->back_jumps, 0);
    assert_int_equal(t->fwd_jumps, 1);
    assert_int_equal(t->first_fwd.frame, 6);
    assert_int_equal(t->first_fwd.us, 3600LL * 1000000 + 1);
    assert_int_equal(t->epochs, 2);
    why_reader_free(r);
    bb_free(&a);
}

/* Time that steps back a little (reordering), back far, and jumps ahead within a file and
 * between merged files: counted, numbered into epochs, warned with the first place. */
static void time_jumps(void **state)
{
    (void)state;
    struct bb a = {.be = false}, b = {.be = false};
    pcap_hdr(&a, 0xa1b2c3d4u, 1);
    pcap_rec(&a, 100, 500000, 10, 10, 1);
    pcap_rec(&a, 100, 499000, 10, 10, 2);  /* 1 ms back: reordering, not a jump */
    pcap_rec(&a, 100, 600000, 10, 10, 3);
    pcap_rec(&a, 100 + 4 * 86400, 0, 10, 10, 4); /* 4 days ahead */
    pcap_rec(&a, 100 + 4 * 86400 + 10, 0, 10, 10, 5);
    pcap_rec(&a, 100 + 4 * 86400 + 5, 0, 10, 10, 6); /* 5 s back */
    pcap_hdr(&b, 0xa1b2c3d4u, 1);
    pcap_rec(&b, 100 + 9 * 86400, 0, 10, 10, 7); /* the next file, 5 days later */
    pcap_rec(&b, 100 + 9 * 86400 + 3599, 0, 10, 10, 8); /* just under the forward limit */
    const char *paths[2] = {write_bb("jumpy-a.pcap", &a), write_bb("jumpy-b.pcap", &b)};
    struct why_reader *r = open_n(paths, 2);
    static const uint32_t epochs[] = {0, 0, 0, 1, 1, 2, 3, 3};
    for (size_t i = 0; i < sizeof epochs / sizeof epochs[0]; i++) {
        struct why_frame f;
        next_frame(r, &f);
        check_pattern(&f, (uint8_t)(i + 1));
        assert_int_equal(f.epoch, epochs[i]);
    }
    expect_eof(r);
    const struct why_time_stats *t = why_reader_time(r);
    assert_int_equal(t->backwards, 2);
    assert_int_equal(t->back_jumps, 1);
    assert_int_equal(t->fwd_jumps, 2);
    assert_int_equal(t->epochs, 4);
    assert_int_equal(t->largest_back_us, 5000000);
    assert_int_equal(t->first_back.file, 0);
    assert_int_equal(t->first_back.frame, 6);
    assert_int_equal(t->first_back.prev_frame, 5);
    assert_int_equal(t->first_back.us, -5000000);
    assert_int_equal(t->first_fwd.frame, 4);
    assert_int_equal(t->first_fwd.us, 4LL * 86400 * 1000000 - 600000);
    size_t n = 0;
    const char *const *w = why_reader_warnings(r, &n);
    assert_int_equal(n, 2);
    assert_non_null(strstr(w[0], "jumpy-a.pcap: time jumps 4.0 days forward at frame 4 (after frame 3); 2 jumps forward over 1.0 h"));
    assert_non_null(strstr(w[1], "jumpy-a.pcap: time jumps 5.0 s backward at frame 6 (after frame 5); 1 jump backward over 10.0 ms"));
    why_reader_free(r);

    /* the jump between two files names both */
    struct bb c = {.be = false};
    pcap_hdr(&c, 0xa1b2c3d4u, 1);
    pcap_rec(&c, 50, 0, 10, 10, 9);
    const char *merged[2] = {write_bb("early.pcap", &c), paths[1]};
    r = open_n(merged, 2);
    for (int i = 0; i < 3; i++) {
        struct why_frame f;
        next_frame(r, &f);
        assert_int_equal(f.epoch, i == 0 ? 0 : 1);
    }
    expect_eof(r);
    expect_one_warning(r, "time jumps 9.0 days forward from", "early.pcap frame 1 to", "jumpy-b.pcap frame 1", NULL);
    why_reader_free(r);
    bb_free(&a);
    bb_free(&b);
    bb_free(&c);
}

/* The filter keeps one program per link type: a twelfth link type is filtered like the first
 * (it once matched everything past the eighth), and raw IP's link types (101, 12, 14; DLT_RAW
 * for libpcap) compile. */
static void filter_many_linktypes(void **state)
{
    (void)state;
    static const uint32_t linktypes[] = {1, 101, 113, 276, 0, 108, 228, 229, 9, 105, 127, 147, 12, 14};
    static uint8_t data[2000];
    struct why_filter *flt = why_filter_new("len > 1000");
    assert_non_null(flt);
    char err[256];
    for (int round = 0; round < 2; round++) { /* compiled, then reused */
        for (size_t i = 0; i < sizeof linktypes / sizeof linktypes[0]; i++) {
            struct why_frame f = {.num = i + 1, .linktype = linktypes[i], .data = data};
            f.caplen = f.wirelen = 60;
            assert_int_equal(why_filter_match(flt, &f, err, sizeof err), 0);
            f.caplen = f.wirelen = 1500;
            assert_int_equal(why_filter_match(flt, &f, err, sizeof err), 1);
        }
    }
    assert_int_equal(why_filter_over_cap(flt), 0);
    why_filter_free(flt);
    why_filter_free(NULL);

    flt = why_filter_new("tcp port (");
    struct why_frame f = {.num = 1, .linktype = 1, .data = data, .caplen = 60, .wirelen = 60};
    assert_int_equal(why_filter_match(flt, &f, err, sizeof err), -1);
    assert_non_null(strstr(err, "--filter: "));
    why_filter_free(flt);
}

/* One file cut short ends with its warning; the other goes on to its end. */
static void merge_with_cut_file(void **state)
{
    (void)state;
    struct bb a = {.be = false}, b = {.be = false};
    pcap_hdr(&a, 0xa1b2c3d4u, 1);
    pcap_rec(&a, 1, 0, 10, 10, 1);
    pcap_rec(&a, 3, 0, 10, 10, 3);
    pcap_hdr(&b, 0xa1b2c3d4u, 1);
    pcap_rec(&b, 2, 0, 10, 10, 2);
    pcap_rec(&b, 4, 0, 10, 10, 4);
    pcap_rec(&b, 5, 0, 10, 10, 5);
    const char *paths[2] = {write_file("cut-a.pcap", a.p, a.n - 3), write_bb("whole-b.pcap", &b)};
    struct why_reader *r = open_n(paths, 2);
    struct why_frame f;
    next_frame(r, &f);
    assert_int_equal(f.file, 0);
    next_frame(r, &f);
    assert_int_equal(f.file, 1);
    assert_int_equal(f.num, 1);
    next_frame(r, &f);
    assert_int_equal(f.file, 1);
    assert_int_equal(f.ts.sec, 4);
    next_frame(r, &f);
    assert_int_equal(f.file, 1);
    assert_int_equal(f.num, 3);
    expect_eof(r);
    expect_one_warning(r, paths[0], "last good frame 1", NULL);
    why_reader_free(r);

    /* both cut: one warning each, in the order the files ended */
    paths[1] = write_file("cut-b.pcap", b.p, b.n - 1);
    r = open_n(paths, 2);
    for (int i = 0; i < 3; i++) /* a: 1; b: 2, 4 */
        next_frame(r, &f);
    expect_eof(r);
    size_t n = 0;
    const char *const *w = why_reader_warnings(r, &n);
    assert_int_equal(n, 2);
    assert_non_null(strstr(w[0], paths[0]));
    assert_non_null(strstr(w[0], "last good frame 1"));
    assert_non_null(strstr(w[1], paths[1]));
    assert_non_null(strstr(w[1], "last good frame 2"));
    why_reader_free(r);
    bb_free(&a);
    bb_free(&b);
}

/* "-" reads standard input (once); messages call it "stdin"; the total size is unknown. */
static void standard_input(void **state)
{
    (void)state;
    struct bb b = {.be = false};
    pcap_hdr(&b, 0xa1b2c3d4u, 1);
    pcap_rec(&b, 1, 0, 10, 10, 1);
    pcap_rec(&b, 2, 0, 10, 10, 2);
    const char *path = write_file("stdin.pcap", b.p, b.n - 1);
    int saved = dup(0);
    assert_true(saved >= 0);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(dup2(fd, 0), 0);
    close(fd);

    const char *twice[2] = {"-", "-"};
    expect_open_error(twice, 2, "standard input", NULL);
    assert_int_equal(lseek(0, 0, SEEK_SET), 0); /* the failed open read some of it */

    struct bb c = {.be = false};
    pcap_hdr(&c, 0xa1b2c3d4u, 1);
    const char *paths[2] = {write_bb("other.pcap", &c), "-"};
    struct why_reader *r = open_n(paths, 2);
    uint64_t done, total;
    why_reader_progress(r, &done, &total);
    assert_int_equal(total, 0);
    struct why_frame f;
    next_frame(r, &f);
    assert_int_equal(f.file, 1);
    check_pattern(&f, 1);
    expect_eof(r);
    expect_one_warning(r, "stdin", "last good frame 1", NULL);
    assert_string_equal(why_reader_filename(r, 1), "-");
    why_reader_free(r);

    assert_int_equal(dup2(saved, 0), 0);
    close(saved);
    bb_free(&b);
    bb_free(&c);
}

/* Standard input as a pipe fed in small pieces: short reads are waited for. */
static void standard_input_pipe(void **state)
{
    (void)state;
    struct bb b = {.be = true};
    pcap_hdr(&b, 0xa1b23c4du, 1);
    for (uint32_t i = 1; i <= 200; i++)
        pcap_rec(&b, i, i, 1000 + i, 1000 + i, (uint8_t)i);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        for (size_t off = 0; off < b.n; off += 333) {
            size_t k = b.n - off < 333 ? b.n - off : 333;
            if (write(fds[1], b.p + off, k) != (ssize_t)k)
                _exit(1);
            if (off % 33300 == 0)
                usleep(1000);
        }
        _exit(0);
    }
    close(fds[1]);
    int saved = dup(0);
    assert_int_equal(dup2(fds[0], 0), 0);
    close(fds[0]);
    const char *dash = "-";
    struct why_reader *r = open1(dash);
    struct why_frame f;
    for (uint32_t i = 1; i <= 200; i++) {
        next_frame(r, &f);
        assert_int_equal(f.num, i);
        assert_int_equal(f.ts.nsec, i);
        assert_int_equal(f.caplen, 1000 + i);
        check_pattern(&f, (uint8_t)i);
    }
    expect_eof(r);
    assert_int_equal(nwarnings(r), 0);
    why_reader_free(r);
    assert_int_equal(dup2(saved, 0), 0);
    close(saved);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    bb_free(&b);
}

/* ---- read ahead ------------------------------------------------------------------- */

/* Opens paths with read-ahead blocks of `block` bytes; `ahead` files must be read ahead. */
static struct why_reader *open_ahead(const char *const *paths, size_t n, size_t block, size_t ahead)
{
    struct why_reader *r = NULL;
    char err[512];
    if (why_reader_open_ahead(&r, paths, n, block, err, sizeof err) != 0)
        fail_msg("open failed: %s", err);
    assert_int_equal(why_reader_ahead_files(r), ahead);
    return r;
}

/* Reads paths to the end through blocks of each size given (0-terminated) and through the
 * plain path (blocks larger than any file), and wants the same frames, bytes, warnings,
 * error and progress from each; but for a file that stops at damage before its end, the
 * plain read counts the bytes it had buffered past the damage as read, the read ahead only
 * those handed to the parser. Returns the frames read. */
static uint64_t same_as_plain(const char *const *paths, size_t n, size_t ahead, const size_t *blocks, bool damaged)
{
    uint64_t frames = 0;
    for (const size_t *blk = blocks; *blk; blk++) {
        struct why_reader *plain = open_ahead(paths, n, SIZE_MAX, 0);
        struct why_reader *r = open_ahead(paths, n, *blk, ahead);
        uint64_t k = 0;
        for (;; k++) {
            struct why_frame a, b;
            memset(&a, 0, sizeof a);
            memset(&b, 0, sizeof b);
            enum why_read_status sa = why_reader_next(plain, &a), sb = why_reader_next(r, &b);
            if (sa != sb)
                fail_msg("block %zu, frame %llu: status %d, plain %d", *blk, (unsigned long long)k, (int)sb, (int)sa);
            if (sa != WHY_READ_FRAME)
                break;
            if (a.num != b.num || a.file != b.file || a.epoch != b.epoch || a.ts.sec != b.ts.sec ||
                a.ts.nsec != b.ts.nsec || a.linktype != b.linktype || a.ifindex != b.ifindex ||
                a.caplen != b.caplen || a.wirelen != b.wirelen || (a.caplen && memcmp(a.data, b.data, a.caplen)))
                fail_msg("block %zu: frame %llu of file %u differs from the plain read", *blk,
                         (unsigned long long)a.num, a.file);
        }
        assert_string_equal(why_reader_error(r), why_reader_error(plain));
        size_t nw = 0, nwp = 0;
        const char *const *w = why_reader_warnings(r, &nw), *const *wp = why_reader_warnings(plain, &nwp);
        assert_int_equal(nw, nwp);
        for (size_t i = 0; i < nw; i++)
            assert_string_equal(w[i], wp[i]);
        uint64_t done, total, pdone, ptotal;
        why_reader_progress(r, &done, &total);
        why_reader_progress(plain, &pdone, &ptotal);
        if (damaged)
            assert_true(done < pdone);
        else
            assert_int_equal(done, pdone);
        assert_int_equal(total, ptotal);
        why_reader_free(r);
        why_reader_free(plain);
        if (blk != blocks)
            assert_int_equal(k, frames);
        frames = k;
    }
    return frames;
}

/* why_reader_open reads every file on the calling thread, a file of two read-ahead blocks
 * too: a second thread is asked for (why_reader_open_ahead, --read-ahead), never taken by
 * default (it cost more CPU on every shape the benchmark has). */
static void default_reads_on_one_thread(void **state)
{
    (void)state;
    struct bb b = {.be = false};
    pcap_hdr(&b, 0xa1b23c4du, 1);
    uint32_t n = 0;
    for (; b.n < 2 * WHY_READAHEAD_BLOCK + 4096; n++)
        pcap_rec(&b, 1000 + n, n, 1500, 1500, (uint8_t)n);
    const char *path = write_bb("default-big.pcap", &b);
    struct why_reader *r = NULL;
    char err[512];
    if (why_reader_open(&r, &path, 1, err, sizeof err) != 0)
        fail_msg("open failed: %s", err);
    assert_int_equal(why_reader_ahead_files(r), 0);
    struct why_frame f;
    for (uint32_t i = 0; i < n; i++) {
        next_frame(r, &f);
        assert_int_equal(f.num, i + 1);
        check_pattern(&f, (uint8_t)i);
    }
    expect_eof(r);
    why_reader_free(r);
    why_reader_free(open_ahead(&path, 1, WHY_READAHEAD_BLOCK, 1)); /* asked for: taken */
    bb_free(&b);
}

/* Classic pcap records of every size from empty to a few hundred bytes, and a few of the
 * largest: the 16-byte record headers and the data straddle blocks at every offset, and
 * a largest record spans many blocks. */
static void ahead_pcap_blocks(void **state)
{
    (void)state;
    struct bb b = {.be = false};
    pcap_hdr(&b, 0xa1b23c4du, 1);
    uint32_t n = 0;
    for (uint32_t len = 0; len < 300; len++, n++)
        pcap_rec(&b, 1000 + n, n, len, len + 4, (uint8_t)n);
    pcap_rec(&b, 1000 + n, 0, WHY_FRAME_MAX, WHY_FRAME_MAX, (uint8_t)n);
    n++;
    for (uint32_t len = 300; len >= 7; len -= 7, n++)
        pcap_rec(&b, 1000 + n, n, len, len, (uint8_t)n);
    const char *path = write_bb("ahead.pcap", &b);
    static const size_t big[] = {4096, 65536, 300000, 0};
    assert_int_equal(same_as_plain(&path, 1, 1, big, false), n);
    /* tiny blocks on the small records only (a largest one through 1-byte blocks is slow) */
    const char *small = write_file("ahead-small.pcap", b.p, 24 + 300 * 16 + 299 * 300 / 2);
    static const size_t tiny[] = {1, 2, 3, 5, 16, 17, 23, 100, 0};
    assert_int_equal(same_as_plain(&small, 1, 1, tiny, false), 300);

    /* and the frames are the ones written, not merely the plain read's */
    struct why_reader *r = open_ahead(&path, 1, 7, 1);
    struct why_frame f;
    for (uint32_t i = 0; i < n; i++) {
        next_frame(r, &f);
        assert_int_equal(f.num, i + 1);
        assert_int_equal(f.ts.sec, 1000 + i);
        check_pattern(&f, (uint8_t)i);
    }
    expect_eof(r);
    why_reader_free(r);

    /* the modified format's 24-byte record headers */
    bb_free(&b);
    pcap_hdr(&b, 0xa1b2cd34u, 1);
    for (uint32_t i = 0; i < 100; i++) {
        u32(&b, 100 + i);
        u32(&b, 1);
        u32(&b, i);
        u32(&b, i);
        zeros(&b, 8);
        pattern(&b, i, (uint8_t)i);
    }
    path = write_bb("ahead-modified.pcap", &b);
    static const size_t some[] = {1, 5, 24, 25, 64, 0};
    assert_int_equal(same_as_plain(&path, 1, 1, some, false), 100);
    bb_free(&b);
}

/* pcapng: section headers, interfaces, EPBs, SPBs, an OPB, skipped blocks longer than a
 * block, a second section of the other byte order: each straddling blocks somewhere. */
static void ahead_pcapng_blocks(void **state)
{
    (void)state;
    struct bb b = {.be = false};
    shb(&b);
    idb(&b, 1, 0, -1, 0);
    idb(&b, 276, 0, 9, 0);
    for (uint32_t i = 0; i < 120; i++) {
        epb(&b, i % 2, 1700000000000000ull + i, i * 3, i * 3 + 1, (uint8_t)i);
        if (i % 10 == 0)
            spb(&b, i, i, (uint8_t)(i + 1));
        if (i % 25 == 0)
            other_block(&b, 5, 4 * i + 300); /* statistics, skipped */
    }
    opb(&b, 1, 1234567, 9, 0x12);
    b.be = true;
    shb(&b);
    idb(&b, 113, 0, 6, 0);
    for (uint32_t i = 0; i < 60; i++)
        epb(&b, 0, 1800000000000000ull + i, 100 + i, 200, (uint8_t)(0x80 + i));
    const char *path = write_bb("ahead.pcapng", &b);
    static const size_t blocks[] = {1, 3, 4, 7, 12, 28, 64, 333, 4096, 0};
    assert_int_equal(same_as_plain(&path, 1, 1, blocks, false), 120 + 12 + 1 + 60);
    bb_free(&b);
}

/* Several files each read ahead (and one too small to be), merged by time; files cut inside
 * their last record, in its header or its data, read ahead to the same warnings; a file
 * damaged early, merged with a whole one. */
static void ahead_merged_and_cut(void **state)
{
    (void)state;
    struct bb a = {.be = false}, c = {.be = false}, t = {.be = false};
    pcap_hdr(&a, 0xa1b2c3d4u, 1);
    shb(&c);
    idb(&c, 1, 0, 9, 0);
    size_t a_last = 0, c_last = 0;
    for (uint32_t i = 0; i < 200; i++) {
        a_last = a.n;
        c_last = c.n;
        pcap_rec(&a, 10 + 2 * i, 0, (i * 37) % 200, 200, (uint8_t)i);
        epb(&c, 0, (11 + 2ull * i) * 1000000000ull, (i * 53) % 180, 180, (uint8_t)(i + 9));
    }
    pcap_hdr(&t, 0xa1b2c3d4u, 1);
    pcap_rec(&t, 15, 0, 10, 10, 1);
    const char *paths[3] = {write_bb("ahead-a.pcap", &a), write_bb("ahead-c.pcapng", &c),
                            write_bb("ahead-tiny.pcap", &t)};
    static const size_t blocks[] = {64, 97, 1000, 0}, tiny[] = {1, 5, 13, 0};
    assert_int_equal(same_as_plain(paths, 3, 2, blocks, false), 401);
    assert_int_equal(same_as_plain(paths, 2, 2, tiny, false), 400);

    /* cut inside the last record's data, inside its header, at its start */
    const char *cut[3] = {write_file("ahead-cut-data.pcap", a.p, a.n - 5),
                          write_file("ahead-cut-hdr.pcapng", c.p, c_last + 6),
                          write_file("ahead-cut-rec.pcap", a.p, a_last + 9)};
    for (int i = 0; i < 3; i++) {
        static const size_t few[] = {7, 64, 0};
        assert_int_equal(same_as_plain(&cut[i], 1, 1, few, false), 199);
        struct why_reader *r = open_ahead(&cut[i], 1, 7, 1);
        struct why_frame f;
        for (int k = 0; k < 199; k++)
            next_frame(r, &f);
        expect_eof(r);
        expect_one_warning(r, cut[i], "last good frame 199", NULL);
        why_reader_free(r);
    }

    /* damage early in a long file ends it while the thread may still be reading it; the
     * other file goes on */
    struct bb d = {.be = false};
    pcap_hdr(&d, 0xa1b2c3d4u, 1);
    pcap_rec(&d, 9, 0, 10, 10, 1);
    pcap_rec(&d, 10, 0, WHY_FRAME_MAX + 1, 10, 2);
    zeros(&d, 20000);
    const char *damaged[2] = {write_bb("ahead-damaged.pcap", &d), paths[0]};
    static const size_t some[] = {16, 64, 1000, 0};
    assert_int_equal(same_as_plain(damaged, 2, 2, some, true), 201);
    bb_free(&d);
    bb_free(&a);
    bb_free(&c);
    bb_free(&t);
}

/* A reader freed before its files end, or before any frame, stops its thread. */
static void ahead_early_free(void **state)
{
    (void)state;
    struct bb b = {.be = false};
    pcap_hdr(&b, 0xa1b2c3d4u, 1);
    for (uint32_t i = 0; i < 2000; i++)
        pcap_rec(&b, i, 0, 100, 100, (uint8_t)i);
    const char *path = write_bb("ahead-stop.pcap", &b);
    const char *two[2] = {path, path};
    for (int k = 0; k < 20; k++) {
        struct why_reader *r = open_ahead(two, 2, (size_t)(k + 1) * 97, 2);
        struct why_frame f;
        for (int i = 0; i < k * 50; i++)
            next_frame(r, &f);
        why_reader_free(r);
    }
    bb_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pcap_usec_le),
        cmocka_unit_test(pcap_nsec_be),
        cmocka_unit_test(pcap_fraction_edges),
        cmocka_unit_test(pcap_other_orders),
        cmocka_unit_test(pcap_modified),
        cmocka_unit_test(pcap_big_and_many),
        cmocka_unit_test(pcapng_sections_interfaces),
        cmocka_unit_test(pcapng_big_endian_and_big_block),
        cmocka_unit_test(pcapng_opb_snaplen_offset),
        cmocka_unit_test(pcapng_section_resets_interfaces),
        cmocka_unit_test(cut_pcap_in_data),
        cmocka_unit_test(cut_pcap_in_record_header),
        cmocka_unit_test(cut_pcapng),
        cmocka_unit_test(corrupt_pcapng_trailer),
        cmocka_unit_test(caplen_over_limit),
        cmocka_unit_test(not_a_capture),
        cmocka_unit_test(header_only),
        cmocka_unit_test(merge_by_time),
        cmocka_unit_test(merge_with_cut_file),
        cmocka_unit_test(time_step_edges),
        cmocka_unit_test(time_jumps),
        cmocka_unit_test(filter_many_linktypes),
        cmocka_unit_test(standard_input),
        cmocka_unit_test(standard_input_pipe),
        cmocka_unit_test(default_reads_on_one_thread),
        cmocka_unit_test(ahead_pcap_blocks),
        cmocka_unit_test(ahead_pcapng_blocks),
        cmocka_unit_test(ahead_merged_and_cut),
        cmocka_unit_test(ahead_early_free),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
