/* Capture file reader: classic pcap (micro/nanosecond, both byte orders, Kuznetsov's
 * "modified" 24-byte records) and pcapng (SHB/IDB/EPB/SPB/OPB, several sections of either
 * byte order), streamed with read(2), several files merged by timestamp. Formats:
 * draft-ietf-opsawg-pcap, draft-ietf-opsawg-pcapng. File headers are hostile input too, so every
 * header byte is read through the bounded cursor.
 *
 * Each file goes through one 1 MiB buffer read on the calling thread. Opened with
 * why_reader_open_ahead, a regular file of at least one block is read ahead instead: one
 * thread for all of a reader's files reads each into a small ring of blocks while frames are
 * parsed out of the blocks already read, so the kernel's copy overlaps the analysis (standard
 * input, pipes, small files, or no thread to be had: the buffer as before). */
#include "capture/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "capture/readahead.h"
#include "util/cursor.h"

#define BUF_SIZE (1u << 20)           /* bytes buffered per file; a packet block must fit */
#define RA_BLOCKS 4u                  /* read-ahead blocks per file */
#define RA_PAD BUF_SIZE               /* room before a block for the unread tail of the one before */
#define BLOCK_MAX (64u << 20)         /* pcapng blocks larger than this are corruption */
#define IFACE_MAX 4096u               /* interfaces per pcapng section */
#define OPTION_MAX 1024u              /* options read per IDB/SHB */
#define MSG_SIZE 320u                 /* one warning or error line */
#define SEC_MAX ((int64_t)1 << 40)    /* |seconds| clamp: keeps microsecond math in int64 */
#define NSEC_PER_SEC 1000000000u

#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_IDB 1u
#define PCAPNG_OPB 2u
#define PCAPNG_SPB 3u
#define PCAPNG_EPB 6u
#define PCAPNG_BOM 0x1A2B3C4Du

__extension__ typedef unsigned __int128 u128;

enum fmt { FMT_PCAP, FMT_PCAPNG };

/* One interface of the current pcapng section. */
struct iface {
    uint32_t linktype;
    uint32_t snaplen;  /* bytes; 0 = no limit */
    uint64_t units;    /* timestamp units per second (if_tsresol) */
    int64_t tsoffset;  /* seconds added to every timestamp (if_tsoffset) */
};

/* One read-ahead block: RA_PAD bytes of room, then the data the thread reads. */
struct rblk {
    uint8_t *mem;
    size_t len;  /* data bytes read into it */
    bool sealed; /* the thread is done with it: full, or the file ended in it */
    bool last;   /* the file ended in it (end of file or read error) */
};

struct feeder;

/* A file read ahead. The thread fills blocks wr, wr+1... while the parser reads block rd; a
 * block goes back to the thread when the parser moves on. rd, wr, ended, err and the blocks'
 * len, sealed and last are shared: under the feeder's lock. */
struct ahead {
    struct feeder *feed;
    struct rblk blk[RA_BLOCKS]; /* block i is blk[i % RA_BLOCKS]; only blk[0] until the parser
                                   leaves it (a file that waits its turn in a merge holds one) */
    uint64_t rd, wr;  /* rd <= wr <= rd + RA_BLOCKS */
    bool ended;       /* the thread met the end of the file or a read error, or the parser
                         is done with the file: the thread leaves it */
    int err;          /* errno of that read error, 0 at the end of the file */
    size_t seen;      /* parser's own: data bytes of block rd already in buf[start..end) */
};

/* The read-ahead thread of a reader, started by the first file read ahead. */
struct feeder {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake_main;   /* a block got bytes or was sealed */
    pthread_cond_t wake_thread; /* a block came back, a file was added, or stop */
    bool started, failed, stop;
    struct ahead *busy; /* the file the thread is reading into, outside the lock */
    size_t block;     /* data bytes per block; 0: no file read ahead (why_reader_open) */
    struct src *srcs; /* the reader's files; srcs[0..n) are the thread's to look at (shared) */
    size_t n;
};

/* One input file and its read position. */
struct src {
    const char *name;  /* as given to why_reader_open */
    const char *label; /* for messages: name, or "stdin" for "-" */
    int fd;
    bool own_fd;       /* false for stdin */
    struct ahead *ra;  /* read ahead by the thread, or NULL */
    uint8_t *buf;      /* BUF_SIZE bytes; with ra, the memory of the block being parsed */
    size_t start, end; /* unread bytes are buf[start..end) */
    bool eof;          /* read(2) returned 0 */
    uint64_t off;      /* file offset of buf[start] (bytes) */
    enum fmt fmt;
    bool be;           /* current section / file is big-endian */
    /* classic pcap */
    uint32_t linktype;
    uint64_t units;    /* 1000000 or 1000000000 */
    size_t rec_len;    /* record header bytes: 16, or 24 for the modified format */
    /* pcapng: interfaces of the current section */
    struct iface *ifs;
    uint32_t nifs, ifs_cap;
    /* state */
    uint64_t frames;   /* packet records handed out so far (last frame number) */
    struct why_ts last_ts;
    bool done;
    bool pending;      /* `frame` holds this file's next frame */
    struct why_frame frame;
    size_t consume;    /* bytes of the pending record still in the buffer */
    char warn[MSG_SIZE];
};

struct why_reader {
    struct src *srcs;
    size_t n;
    const char **warns; /* n + 2 slots (files, then time), nwarn used */
    size_t nwarn;
    struct why_time_stats time;
    bool any;           /* a frame has been handed out */
    struct why_ts last_ts; /* time, file and number of the frame handed out last */
    uint32_t last_file;
    uint64_t last_num;
    char back_warn[MSG_SIZE], fwd_warn[MSG_SIZE];
    uint64_t total;     /* sum of file sizes; 0 when one is not a regular file */
    bool primed;        /* every file has been asked for its first frame */
    long last;          /* file whose frame went out last, -1 none */
    char err[MSG_SIZE];
    struct feeder feed;
};

enum step { STEP_IOERR = -1, STEP_END = 0, STEP_FRAME = 1 };

/* ---- buffered input ---------------------------------------------------------------- */

/* fill() on the calling thread, into the one buffer. */
static int fill_plain(struct src *s, size_t n)
{
    if (s->start == s->end) /* drained: the whole buffer is free again */
        s->start = s->end = 0;
    if (s->start + n > BUF_SIZE) {
        memmove(s->buf, s->buf + s->start, s->end - s->start);
        s->end -= s->start;
        s->start = 0;
    }
    while (s->end - s->start < n && !s->eof) {
        ssize_t k = read(s->fd, s->buf + s->end, BUF_SIZE - s->end);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (k == 0)
            s->eof = true;
        s->end += (size_t)k;
    }
    return s->end - s->start >= n ? 1 : 0;
}

/* Gives the parser the rest of a file's blocks: blocks 1.. once it leaves block 0. */
static int ahead_grow(struct ahead *a)
{
    for (unsigned i = 1; i < RA_BLOCKS; i++)
        if (!a->blk[i].mem && !(a->blk[i].mem = malloc(RA_PAD + a->feed->block)))
            return -1;
    return 0;
}

/* fill() from the blocks read ahead: takes what the thread has read into block rd since,
 * waiting when there is nothing new; at the end of a block moves the unread tail (fewer than
 * n <= RA_PAD bytes) into the room before the next block's data, so that a record straddling
 * the two is whole, and gives the block back. */
static int fill_ahead(struct src *s, size_t n)
{
    struct ahead *a = s->ra;
    struct feeder *f = a->feed;
    while (s->end - s->start < n) {
        struct rblk *b = &a->blk[a->rd % RA_BLOCKS];
        pthread_mutex_lock(&f->mu);
        while (b->len == a->seen && !b->sealed)
            pthread_cond_wait(&f->wake_main, &f->mu);
        size_t len = b->len;
        bool last = b->last;
        int err = a->err;
        pthread_mutex_unlock(&f->mu);
        if (len > a->seen) {
            s->end += len - a->seen;
            a->seen = len;
            continue;
        }
        if (last) { /* b is sealed and wholly seen */
            if (err) {
                errno = err;
                return -1;
            }
            s->eof = true;
            return 0;
        }
        if (a->rd == 0 && ahead_grow(a) < 0) {
            errno = ENOMEM;
            return -1;
        }
        struct rblk *next = &a->blk[(a->rd + 1) % RA_BLOCKS];
        size_t left = s->end - s->start;
        memcpy(next->mem + RA_PAD - left, s->buf + s->start, left);
        pthread_mutex_lock(&f->mu);
        b->len = 0;
        b->sealed = b->last = false;
        a->rd++;
        pthread_cond_signal(&f->wake_thread);
        pthread_mutex_unlock(&f->mu);
        s->buf = next->mem;
        s->start = RA_PAD - left;
        s->end = RA_PAD;
        a->seen = 0;
    }
    return 1;
}

/* Makes at least n (<= BUF_SIZE) bytes available at buf+start. Returns 1, 0 when the file
 * ends first (what is there stays), -1 on a read error (errno kept). */
static inline int fill(struct src *s, size_t n)
{
    if (s->end - s->start >= n)
        return 1;
    return s->ra ? fill_ahead(s, n) : fill_plain(s, n);
}

static size_t avail(const struct src *s) { return s->end - s->start; }

static void consume(struct src *s, size_t n)
{
    s->start += n;
    s->off += n;
}

/* ---- the read-ahead thread --------------------------------------------------------- */

/* Reads, one read(2) at a time, into the file with the fewest blocks ready ahead of its
 * parser (the one the parser waits for has none), up to RA_BLOCKS blocks ahead, one while
 * the parser is still in the first block. */
static void *feeder_main(void *arg)
{
    struct feeder *f = arg;
    pthread_mutex_lock(&f->mu);
    while (!f->stop) {
        struct ahead *a = NULL;
        int fd = -1;
        for (size_t i = 0; i < f->n; i++) {
            struct ahead *x = f->srcs[i].ra;
            if (!x || x->ended || x->wr - x->rd >= (x->rd ? RA_BLOCKS : 1u))
                continue;
            if (!a || x->wr - x->rd < a->wr - a->rd) {
                a = x;
                fd = f->srcs[i].fd;
            }
        }
        if (!a) {
            pthread_cond_wait(&f->wake_thread, &f->mu);
            continue;
        }
        struct rblk *b = &a->blk[a->wr % RA_BLOCKS];
        size_t len = b->len;
        f->busy = a;
        pthread_mutex_unlock(&f->mu);
        ssize_t k;
        do
            k = read(fd, b->mem + RA_PAD + len, f->block - len);
        while (k < 0 && errno == EINTR);
        int e = errno;
        pthread_mutex_lock(&f->mu);
        f->busy = NULL;
        if (k > 0) {
            b->len = len + (size_t)k;
            if (b->len == f->block) {
                b->sealed = true;
                a->wr++;
            }
        } else {
            b->sealed = b->last = true;
            a->ended = true;
            a->err = k < 0 ? e : 0;
        }
        pthread_cond_signal(&f->wake_main);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

/* Starts the thread, with every signal blocked in it: signals stay the caller's. 0 or -1. */
static int feeder_start(struct feeder *f, struct src *srcs)
{
    f->failed = true; /* until the thread runs: no second try */
    if (pthread_mutex_init(&f->mu, NULL) != 0)
        return -1;
    if (pthread_cond_init(&f->wake_main, NULL) != 0) {
        pthread_mutex_destroy(&f->mu);
        return -1;
    }
    if (pthread_cond_init(&f->wake_thread, NULL) != 0) {
        pthread_cond_destroy(&f->wake_main);
        pthread_mutex_destroy(&f->mu);
        return -1;
    }
    f->srcs = srcs;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&f->thread, NULL, feeder_main, f);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        pthread_cond_destroy(&f->wake_thread);
        pthread_cond_destroy(&f->wake_main);
        pthread_mutex_destroy(&f->mu);
        return -1;
    }
    f->failed = false;
    f->started = true;
    return 0;
}

/* Hands file s (at index i) to the thread, starting it for the first. false: no memory or no
 * thread, and s is to be read on the calling thread. */
static bool ahead_start(struct feeder *f, struct src *srcs, size_t i)
{
    if (f->failed)
        return false;
    struct ahead *a = calloc(1, sizeof *a);
    if (!a || !(a->blk[0].mem = malloc(RA_PAD + f->block))) {
        free(a);
        return false;
    }
    a->feed = f;
    if (!f->started && feeder_start(f, srcs) < 0) {
        free(a->blk[0].mem);
        free(a);
        return false;
    }
    struct src *s = &srcs[i];
    s->ra = a;
    s->buf = a->blk[0].mem;
    s->start = s->end = RA_PAD;
    pthread_mutex_lock(&f->mu);
    f->n = i + 1;
    pthread_cond_signal(&f->wake_thread);
    pthread_mutex_unlock(&f->mu);
    return true;
}

/* Frees the blocks of a file the parser is done with (at its end, or at damage before it),
 * once the thread has left it: in a merge of rotated files, only the files still to be read
 * hold memory. */
static void ahead_retire(struct src *s)
{
    struct ahead *a = s->ra;
    struct feeder *f = a->feed;
    pthread_mutex_lock(&f->mu);
    a->ended = true;
    while (f->busy == a)
        pthread_cond_wait(&f->wake_main, &f->mu);
    pthread_mutex_unlock(&f->mu);
    for (unsigned i = 0; i < RA_BLOCKS; i++) {
        free(a->blk[i].mem);
        a->blk[i].mem = NULL;
    }
    s->buf = NULL;
}

static void ahead_free(struct ahead *a)
{
    if (!a)
        return;
    for (unsigned i = 0; i < RA_BLOCKS; i++)
        free(a->blk[i].mem);
    free(a);
}

/* Skips n bytes (which may exceed the buffer). 1, 0 if the file ends first, -1 read error. */
static int skip_bytes(struct src *s, uint64_t n)
{
    while (n > 0) {
        if (avail(s) == 0) {
            int r = fill(s, 1);
            if (r <= 0)
                return r;
        }
        size_t k = avail(s) < n ? avail(s) : (size_t)n;
        consume(s, k);
        n -= k;
    }
    return 1;
}

static struct why_cur cur_at(const struct src *s, size_t n) { return why_cur_make(s->buf + s->start, n); }

static inline __attribute__((always_inline)) uint16_t rd16(struct why_cur *c, bool be)
{
    return be ? why_cur_be16(c) : why_cur_le16(c);
}
static inline __attribute__((always_inline)) uint32_t rd32(struct why_cur *c, bool be)
{
    return be ? why_cur_be32(c) : why_cur_le32(c);
}
/* Four bytes known to be there (a header fill() brought in whole). */
static inline uint32_t u32_at(const uint8_t *b, bool be) { return be ? why_be32_at(b) : why_le32_at(b); }
static uint64_t rd64(struct why_cur *c, bool be)
{
    uint64_t a = rd32(c, be), b = rd32(c, be);
    return be ? a << 32 | b : b << 32 | a;
}

/* ---- messages ---------------------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static void msgf(char *dst, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, size, fmt, ap);
    va_end(ap);
}

/* Ends the file with a warning; everything handed out before stays valid. */
static enum step stop_cut(struct src *s, bool in_frame, uint64_t at)
{
    if (in_frame)
        msgf(s->warn, sizeof s->warn, "%s: file ends inside frame %" PRIu64 " (last good frame %" PRIu64 ")",
             s->label, s->frames + 1, s->frames);
    else
        msgf(s->warn, sizeof s->warn,
             "%s: file ends inside a block at offset %" PRIu64 " (last good frame %" PRIu64 ")", s->label, at,
             s->frames);
    s->done = true;
    return STEP_END;
}

static enum step stop_corrupt(struct src *s, uint64_t at, const char *why)
{
    msgf(s->warn, sizeof s->warn, "%s: corrupt %s at offset %" PRIu64 ": %s (last good frame %" PRIu64 ")",
         s->label, s->fmt == FMT_PCAP ? "record" : "block", at, why, s->frames);
    s->done = true;
    return STEP_END;
}

static enum step stop_io(struct src *s, char *err, size_t errsize)
{
    msgf(err, errsize, "%s: read error: %s", s->label, strerror(errno));
    s->done = true;
    return STEP_IOERR;
}

/* ---- time -------------------------------------------------------------------------- */

static int64_t clamp_sec(int64_t v) { return v > SEC_MAX ? SEC_MAX : v < -SEC_MAX ? -SEC_MAX : v; }

/* v units of 1/units second since the epoch, plus offset seconds; clamped, never overflows. */
static struct why_ts ts_from_units(uint64_t v, uint64_t units, int64_t offset)
{
    struct why_ts t = {.epoch = 0}; /* (the frame's epoch is why_frame.epoch: the session sets it) */
    uint64_t sec, frac;
    /* the two resolutions of nearly every capture by constants (multiplications), the
     * others through the 128-bit division; the same values either way */
    if (units == 1000000) {
        sec = v / 1000000;
        frac = v % 1000000;
        t.nsec = (uint32_t)(frac * 1000);
    } else if (units == NSEC_PER_SEC) {
        sec = v / NSEC_PER_SEC;
        frac = v % NSEC_PER_SEC;
        t.nsec = (uint32_t)frac;
    } else {
        sec = v / units;
        frac = v % units;
        t.nsec = (uint32_t)((u128)frac * NSEC_PER_SEC / units);
    }
    int64_t s = sec > (uint64_t)SEC_MAX ? SEC_MAX : (int64_t)sec;
    t.sec = clamp_sec(s + clamp_sec(offset)); /* both within 2^40: the sum cannot overflow */
    return t;
}

/* ---- classic pcap ------------------------------------------------------------------ */

/* s's next frame, in whole 16-byte stores where the processor has them (its epoch 0: the
 * reader's next numbers it, frame_out). The frame is read back at once (the merge, the time
 * step, the copy handed out): a load of 16 bytes cannot be taken from the several smaller
 * stores of fields set one by one, and waited for them to reach the cache, on every frame;
 * a load within one store can be. */
static inline __attribute__((always_inline)) void frame_put(struct src *s, struct why_ts ts, uint32_t linktype,
                                                            uint32_t ifindex, uint32_t caplen, uint32_t wirelen,
                                                            const uint8_t *data)
{
    struct why_frame *f = &s->frame;
    uint64_t num = ++s->frames;
#if defined(__SSE2__)
    _mm_storeu_si128((__m128i *)(void *)f, _mm_set_epi64x((int64_t)((uint64_t)f->file << 32), (int64_t)num));
    _mm_storeu_si128((__m128i *)(void *)&f->ts, _mm_set_epi64x((int64_t)ts.nsec, ts.sec));
    _mm_storeu_si128((__m128i *)(void *)&f->linktype,
                     _mm_set_epi64x((int64_t)((uint64_t)wirelen << 32 | caplen),
                                    (int64_t)((uint64_t)ifindex << 32 | linktype)));
#else
    f->num = num;
    f->epoch = 0;
    f->ts = (struct why_ts){ts.sec, ts.nsec, 0};
    f->linktype = linktype;
    f->ifindex = ifindex;
    f->caplen = caplen;
    f->wirelen = wirelen;
#endif
    f->data = data;
}

/* A record's stamp, sec and frac in the file's units (1000000 or NSEC_PER_SEC): a fraction
 * under one second, as every writer's, is the nanoseconds without a division; one of a
 * second or more (seen in the wild) carries into the seconds. */
static struct why_ts pcap_ts(uint32_t sec, uint32_t frac, uint64_t units)
{
    if (frac >= units)
        return ts_from_units((uint64_t)sec * units + frac, units, 0);
    struct why_ts t = {sec, units == 1000000 ? frac * 1000u : frac, 0};
    return t;
}

static enum step next_pcap(struct src *s, char *err, size_t errsize)
{
    uint64_t at = s->off;
    int r = fill(s, s->rec_len);
    if (r < 0)
        return stop_io(s, err, errsize);
    if (r == 0) {
        if (avail(s) == 0) {
            s->done = true;
            return STEP_END;
        }
        return stop_cut(s, true, at);
    }
    const uint8_t *h = s->buf + s->start; /* fill() brought the whole record header, >= 16 bytes */
    uint32_t sec = u32_at(h, s->be), frac = u32_at(h + 4, s->be);
    uint32_t caplen = u32_at(h + 8, s->be), wirelen = u32_at(h + 12, s->be);
    if (caplen > WHY_FRAME_MAX) {
        char why[96];
        msgf(why, sizeof why, "frame %" PRIu64 " has caplen %" PRIu32 " (limit %u)", s->frames + 1, caplen,
             WHY_FRAME_MAX);
        return stop_corrupt(s, at, why);
    }
    r = fill(s, s->rec_len + caplen);
    if (r < 0)
        return stop_io(s, err, errsize);
    if (r == 0)
        return stop_cut(s, true, at);
    struct why_ts ts = pcap_ts(sec, frac, s->units);
    frame_put(s, ts, s->linktype, 0, caplen, wirelen < caplen ? caplen : wirelen, s->buf + s->start + s->rec_len);
    s->last_ts = ts; /* (from the value, not read back from the frame) */
    s->consume = s->rec_len + caplen;
    return STEP_FRAME;
}

/* ---- pcapng ------------------------------------------------------------------------ */

/* Reads the options [c.off, end) of an IDB into *ifc. */
static void idb_options(struct why_cur *c, bool be, struct iface *ifc)
{
    for (unsigned i = 0; i < OPTION_MAX && why_cur_left(c) >= 4; i++) {
        uint16_t code = rd16(c, be), len = rd16(c, be);
        struct why_cur v = why_cur_sub(c, len);
        why_cur_skip(c, (4u - (len & 3u)) & 3u);
        if (!why_cur_ok(&v) || code == 0)
            return;
        if (code == 9 && len >= 1) { /* if_tsresol: 10^-n, or 2^-n with the top bit */
            uint8_t res = why_cur_u8(&v), n = res & 0x7f;
            if (res & 0x80) {
                if (n <= 63)
                    ifc->units = (uint64_t)1 << n;
            } else if (n <= 19) {
                uint64_t u = 1;
                for (unsigned k = 0; k < n; k++)
                    u *= 10;
                ifc->units = u;
            }
        } else if (code == 14 && len >= 8) { /* if_tsoffset: seconds */
            ifc->tsoffset = (int64_t)rd64(&v, be);
        }
    }
}

/* Parses the SHB at buf+start (type already checked) and enters its section. On success
 * the whole block is consumed; otherwise *why says what is wrong and 0 (file ends inside)
 * or -2 (corrupt) or -1 (read error) is returned. */
static int enter_section(struct src *s, const char **why)
{
    int r = fill(s, 16);
    if (r <= 0)
        return r;
    struct why_cur c = cur_at(s, 16);
    why_cur_skip(&c, 8);
    uint32_t bom = why_cur_le32(&c);
    bool be;
    if (bom == PCAPNG_BOM)
        be = false;
    else if (bom == 0x4D3C2B1Au)
        be = true;
    else {
        *why = "bad byte-order magic in section header";
        return -2;
    }
    struct why_cur l = cur_at(s, 8);
    why_cur_skip(&l, 4);
    uint32_t len = rd32(&l, be);
    uint16_t major = rd16(&c, be);
    if (len % 4 != 0 || len < 28 || len > BLOCK_MAX) {
        *why = "bad section header length";
        return -2;
    }
    if (major != 1) {
        *why = "unsupported pcapng version";
        return -2;
    }
    r = skip_bytes(s, len - 4);
    if (r <= 0)
        return r;
    r = fill(s, 4);
    if (r <= 0)
        return r;
    c = cur_at(s, 4);
    if (rd32(&c, be) != len) {
        *why = "trailing block length differs from the leading one";
        return -2;
    }
    consume(s, 4);
    s->be = be;
    s->nifs = 0;
    return 1;
}

static int add_iface(struct src *s, const struct iface *ifc)
{
    if (s->nifs == s->ifs_cap) {
        if (s->ifs_cap >= IFACE_MAX)
            return -1;
        uint32_t cap = s->ifs_cap ? s->ifs_cap * 2 : 8;
        struct iface *n = realloc(s->ifs, cap * sizeof *n);
        if (!n)
            return -1;
        s->ifs = n;
        s->ifs_cap = cap;
    }
    s->ifs[s->nifs++] = *ifc;
    return 0;
}

static enum step next_pcapng(struct src *s, char *err, size_t errsize)
{
    /* Each turn consumes at least 12 bytes, so the file's size bounds the loop. */
    for (;;) {
        uint64_t at = s->off;
        int r = fill(s, 8);
        if (r < 0)
            return stop_io(s, err, errsize);
        if (r == 0) {
            if (avail(s) == 0) {
                s->done = true;
                return STEP_END;
            }
            return stop_cut(s, false, at);
        }
        struct why_cur c = cur_at(s, 8);
        uint32_t type = rd32(&c, s->be), len = rd32(&c, s->be);
        if (type == PCAPNG_SHB) {
            const char *why = "";
            r = enter_section(s, &why);
            if (r == -1)
                return stop_io(s, err, errsize);
            if (r == 0)
                return stop_cut(s, false, at);
            if (r < 0)
                return stop_corrupt(s, at, why);
            continue;
        }
        if (len % 4 != 0 || len < 12 || len > BLOCK_MAX)
            return stop_corrupt(s, at, "bad block length");
        bool packet = type == PCAPNG_EPB || type == PCAPNG_OPB || type == PCAPNG_SPB;
        if (type != PCAPNG_IDB && !packet) { /* NRB, ISB, DSB, custom, unknown: skip */
            r = skip_bytes(s, len - 4);
            if (r > 0)
                r = fill(s, 4);
            if (r < 0)
                return stop_io(s, err, errsize);
            if (r == 0)
                return stop_cut(s, false, at);
            c = cur_at(s, 4);
            if (rd32(&c, s->be) != len)
                return stop_corrupt(s, at, "trailing block length differs from the leading one");
            consume(s, 4);
            continue;
        }
        if (len > BUF_SIZE)
            return stop_corrupt(s, at, "block larger than the read buffer");
        r = fill(s, len);
        if (r < 0)
            return stop_io(s, err, errsize);
        if (r == 0)
            return stop_cut(s, packet, at);
        c = cur_at(s, len);
        struct why_cur tail = why_cur_at(&c, len - 4);
        if (rd32(&tail, s->be) != len)
            return stop_corrupt(s, at, "trailing block length differs from the leading one");
        why_cur_skip(&c, 8);
        struct why_cur body = why_cur_sub(&c, len - 12);

        if (type == PCAPNG_IDB) {
            if (len < 20)
                return stop_corrupt(s, at, "interface description too short");
            struct iface ifc = {0, 0, 1000000, 0};
            ifc.linktype = rd16(&body, s->be);
            why_cur_skip(&body, 2);
            ifc.snaplen = rd32(&body, s->be);
            idb_options(&body, s->be, &ifc);
            if (add_iface(s, &ifc) < 0)
                return stop_corrupt(s, at, "too many interfaces");
            consume(s, len);
            continue;
        }

        /* A packet record: EPB, OPB (obsolete, 2-byte interface id) or SPB (interface 0). */
        uint32_t ifid = 0, caplen, wirelen;
        uint64_t stamp = 0;
        bool has_ts = type != PCAPNG_SPB;
        if (type == PCAPNG_SPB) {
            if (len < 16)
                return stop_corrupt(s, at, "simple packet block too short");
            wirelen = rd32(&body, s->be);
            caplen = (uint32_t)why_cur_left(&body);
        } else {
            if (len < 32)
                return stop_corrupt(s, at, "packet block too short");
            if (type == PCAPNG_EPB) {
                ifid = rd32(&body, s->be);
            } else {
                ifid = rd16(&body, s->be);
                why_cur_skip(&body, 2); /* drops count */
            }
            uint64_t hi = rd32(&body, s->be), lo = rd32(&body, s->be);
            stamp = hi << 32 | lo;
            caplen = rd32(&body, s->be);
            wirelen = rd32(&body, s->be);
            if (caplen > why_cur_left(&body))
                return stop_corrupt(s, at, "captured length beyond the block");
        }
        if (ifid >= s->nifs)
            return stop_corrupt(s, at, "packet for an interface not described");
        const struct iface *ifc = &s->ifs[ifid];
        if (type == PCAPNG_SPB) { /* the block is padded: the captured part is what was sent, cut */
            if (caplen > wirelen)
                caplen = wirelen;
            if (ifc->snaplen && caplen > ifc->snaplen)
                caplen = ifc->snaplen;
        }
        if (caplen > WHY_FRAME_MAX)
            return stop_corrupt(s, at, "captured length over the frame limit");
        /* An SPB has no timestamp: it takes the file's previous one so time never jumps to 1970. */
        struct why_ts ts = has_ts ? ts_from_units(stamp, ifc->units, ifc->tsoffset) : s->last_ts;
        frame_put(s, ts, ifc->linktype, ifid, caplen, wirelen < caplen ? caplen : wirelen, why_cur_ptr(&body));
        s->last_ts = ts;
        s->consume = len;
        return STEP_FRAME;
    }
}

/* ---- open -------------------------------------------------------------------------- */

/* Reads and checks the file header. 0, or -1 with a one-line message in err. */
static int read_header(struct src *s, char *err, size_t errsize)
{
    int r = fill(s, 4);
    if (r < 0) {
        msgf(err, errsize, "%s: cannot read: %s", s->label, strerror(errno));
        return -1;
    }
    if (r == 0) {
        msgf(err, errsize, "%s: %s", s->label,
             avail(s) == 0 ? "empty file, not a capture" : "too short to be a capture");
        return -1;
    }
    struct why_cur c = cur_at(s, 4);
    uint32_t magic = why_cur_be32(&c);
    if (magic == PCAPNG_SHB) {
        s->fmt = FMT_PCAPNG;
        const char *why = "";
        r = enter_section(s, &why);
        if (r == 1)
            return 0;
        if (r == -1)
            msgf(err, errsize, "%s: cannot read: %s", s->label, strerror(errno));
        else if (r == 0)
            msgf(err, errsize, "%s: file ends inside the pcapng section header", s->label);
        else
            msgf(err, errsize, "%s: not a usable pcapng file (%s)", s->label, why);
        return -1;
    }
    s->fmt = FMT_PCAP;
    s->rec_len = 16;
    switch (magic) {
    case 0xa1b2c3d4u: s->be = true; s->units = 1000000; break;
    case 0xd4c3b2a1u: s->be = false; s->units = 1000000; break;
    case 0xa1b23c4du: s->be = true; s->units = NSEC_PER_SEC; break;
    case 0x4d3cb2a1u: s->be = false; s->units = NSEC_PER_SEC; break;
    case 0xa1b2cd34u: s->be = true; s->units = 1000000; s->rec_len = 24; break;
    case 0x34cdb2a1u: s->be = false; s->units = 1000000; s->rec_len = 24; break;
    default:
        if (magic >> 16 == 0x1f8bu)
            msgf(err, errsize, "%s: gzip-compressed; decompress it first", s->label);
        else
            msgf(err, errsize, "%s: not a pcap or pcapng file (magic 0x%08" PRIx32 ")", s->label, magic);
        return -1;
    }
    r = fill(s, 24);
    if (r <= 0) {
        if (r < 0)
            msgf(err, errsize, "%s: cannot read: %s", s->label, strerror(errno));
        else
            msgf(err, errsize, "%s: file ends inside the pcap file header", s->label);
        return -1;
    }
    c = cur_at(s, 24);
    why_cur_skip(&c, 4);
    uint16_t major = rd16(&c, s->be), minor = rd16(&c, s->be);
    why_cur_skip(&c, 12); /* thiszone, sigfigs, snaplen */
    uint32_t network = rd32(&c, s->be);
    if (major != 2) {
        msgf(err, errsize, "%s: unsupported pcap version %u.%u", s->label, major, minor);
        return -1;
    }
    /* The upper bits carry FCS information and reserved bits; the link type is the low 16. */
    s->linktype = network & 0xffffu;
    consume(s, 24);
    return 0;
}

static int open_one(struct why_reader *r, size_t i, const char *path, bool *stdin_used, uint64_t *total,
                    char *err, size_t errsize)
{
    struct src *s = &r->srcs[i];
    bool ahead = false;
    s->frame.file = (uint32_t)i; /* every frame of the file carries it */
    s->name = path;
    s->label = path;
    s->fd = -1;
    if (strcmp(path, "-") == 0) {
        if (*stdin_used) {
            msgf(err, errsize, "-: standard input given more than once");
            return -1;
        }
        *stdin_used = true;
        s->label = "stdin";
        s->fd = 0;
        *total = 0;
    } else {
        s->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (s->fd < 0) {
            msgf(err, errsize, "%s: cannot open: %s", path, strerror(errno));
            return -1;
        }
        s->own_fd = true;
        struct stat st;
        bool regular = fstat(s->fd, &st) == 0 && S_ISREG(st.st_mode);
        if (regular && *total)
            *total += (uint64_t)st.st_size;
        else
            *total = 0;
        ahead = regular && r->feed.block && (uint64_t)st.st_size >= r->feed.block;
    }
    if (!(ahead && ahead_start(&r->feed, r->srcs, i)) && !(s->buf = malloc(BUF_SIZE))) {
        msgf(err, errsize, "%s: out of memory", s->label);
        return -1;
    }
    return read_header(s, err, errsize);
}

/* block: bytes per read-ahead block, 0 for none (every file read on the calling thread) */
static int reader_open(struct why_reader **out, const char *const *paths, size_t npaths, size_t block, char *err,
                       size_t errsize)
{
    *out = NULL;
    if (errsize)
        err[0] = '\0';
    if (npaths == 0) {
        msgf(err, errsize, "no capture file given");
        return -1;
    }
    struct why_reader *r = calloc(1, sizeof *r);
    if (r) {
        r->srcs = calloc(npaths, sizeof *r->srcs);
        r->warns = calloc(npaths + 2, sizeof *r->warns);
    }
    if (!r || !r->srcs || !r->warns) {
        why_reader_free(r);
        msgf(err, errsize, "out of memory");
        return -1;
    }
    r->last = -1;
    r->feed.block = block;
    bool stdin_used = false;
    uint64_t total = 1; /* 1 stands for "known so far"; subtracted below */
    for (size_t i = 0; i < npaths; i++) {
        r->n = i + 1;
        r->srcs[i].fd = -1;
        if (open_one(r, i, paths[i], &stdin_used, &total, err, errsize) < 0) {
            why_reader_free(r);
            return -1;
        }
    }
    r->total = total ? total - 1 : 0;
    *out = r;
    return 0;
}

int why_reader_open_ahead(struct why_reader **out, const char *const *paths, size_t npaths, size_t block,
                          char *err, size_t errsize)
{
    return reader_open(out, paths, npaths, block ? block : 1, err, errsize);
}

int why_reader_open(struct why_reader **out, const char *const *paths, size_t npaths, char *err,
                    size_t errsize)
{
    return reader_open(out, paths, npaths, 0, err, errsize);
}

/* ---- reading ----------------------------------------------------------------------- */

/* Asks file s for its next frame. */
static enum step load(struct why_reader *r, struct src *s)
{
    s->pending = false;
    if (s->consume) {
        consume(s, s->consume);
        s->consume = 0;
    }
    if (s->done)
        return STEP_END;
    enum step st = s->fmt == FMT_PCAP ? next_pcap(s, r->err, sizeof r->err)
                                      : next_pcapng(s, r->err, sizeof r->err);
    if (st == STEP_FRAME) {
        s->pending = true; /* (its time is the file's last: next_pcap, next_pcapng) */
        /* The next record's header and the start of its frame, while this frame is analysed;
         * the rest comes in order, which the processor's own prefetching follows (prefetching
         * every line of the next KiB took 2-8 % of the instructions and bought no time:
         * bench/README.md). */
        size_t next = s->start + s->consume;
        if (next + 128 <= s->end) {
            __builtin_prefetch(s->buf + next);
            __builtin_prefetch(s->buf + next + 64);
        }
    } else {
        if (s->warn[0])
            r->warns[r->nwarn++] = s->warn;
        if (s->ra)
            ahead_retire(s);
    }
    return st;
}

/* ---- time jumps ------------------------------------------------------------------- */

/* "4.2 years", "13.0 days", "2.5 h", "12.0 s", "0.3 ms" for a step of us microseconds. */
static void duration(int64_t us, char *buf, size_t size)
{
    double a = us < 0 ? -(double)us : (double)us;
    if (a >= 365.25 * 86400e6)
        msgf(buf, size, "%.1f years", a / (365.25 * 86400e6));
    else if (a >= 86400e6)
        msgf(buf, size, "%.1f days", a / 86400e6);
    else if (a >= 3600e6)
        msgf(buf, size, "%.1f h", a / 3600e6);
    else if (a >= 1e6)
        msgf(buf, size, "%.1f s", a / 1e6);
    else
        msgf(buf, size, "%.1f ms", a / 1e3);
}

/* The warning for one kind of jump: where the first was, and how many there were. */
static void jump_warning(const struct why_reader *r, const struct why_time_jump *j, uint64_t count, char *buf,
                         size_t size)
{
    char d[32], where[MSG_SIZE / 2];
    duration(j->us, d, sizeof d);
    if (j->prev_file == j->file)
        msgf(where, sizeof where, "%s: time jumps %s %s at frame %" PRIu64 " (after frame %" PRIu64 ")",
             r->srcs[j->file].label, d, j->us < 0 ? "backward" : "forward", j->frame, j->prev_frame);
    else
        msgf(where, sizeof where, "time jumps %s %s from %s frame %" PRIu64 " to %s frame %" PRIu64, d,
             j->us < 0 ? "backward" : "forward", r->srcs[j->prev_file].label, j->prev_frame,
             r->srcs[j->file].label, j->frame);
    char limit[32];
    duration(j->us < 0 ? WHY_TIME_BACK_US : WHY_TIME_JUMP_US, limit, sizeof limit);
    msgf(buf, size, "%s; %" PRIu64 " jump%s %s over %s: a wait that spans one is not a real wait", where, count,
         count == 1 ? "" : "s", j->us < 0 ? "backward" : "forward", limit);
}

/* r's last time is f's: its seconds and nanoseconds (a reader's times are all of epoch 0),
 * each read as it was written. A copy of the whole struct read it as one 16-byte load, which
 * the processor cannot take from the smaller stores next_pcap had just made: it waited for
 * them to reach the cache, on every frame. */
static void last_ts_set(struct why_reader *r, const struct why_frame *f)
{
    r->last_ts.sec = f->ts.sec;
    r->last_ts.nsec = f->ts.nsec;
}

/* Compares the frame about to go out with the one before it: counts steps back, numbers the
 * epochs, and keeps the warnings up to date. Its epoch (f's is not written: frame_out). */
static uint32_t time_step(struct why_reader *r, const struct why_frame *f)
{
    /* the usual step (most frames): the same second, not back, or on by less than a jump;
     * nothing to count (its difference is 0..WHY_TIME_JUMP_US, not below 0: the slow way
     * gives the same) */
    int64_t ds = f->ts.sec - r->last_ts.sec;
    if (__builtin_expect(r->any && (ds == 0 ? f->ts.nsec >= r->last_ts.nsec
                                            : ds > 0 && ds < WHY_TIME_JUMP_US / 1000000), 1)) {
        last_ts_set(r, f);
        r->last_file = f->file;
        r->last_num = f->num;
        return r->time.epochs - 1;
    }
    if (!r->any) {
        r->any = true;
        r->time.epochs = 1;
    } else {
        int64_t us = why_ts_diff_us(r->last_ts, f->ts);
        struct why_time_jump j = {f->file, f->num, r->last_file, r->last_num, us};
        if (us < 0) {
            r->time.backwards++;
            if (-us > r->time.largest_back_us)
                r->time.largest_back_us = -us;
        }
        if (us < -WHY_TIME_BACK_US) {
            if (r->time.back_jumps++ == 0) {
                r->time.first_back = j;
                r->warns[r->nwarn++] = r->back_warn;
            }
            jump_warning(r, &r->time.first_back, r->time.back_jumps, r->back_warn, sizeof r->back_warn);
            r->time.epochs++;
        } else if (us > WHY_TIME_JUMP_US) {
            if (r->time.fwd_jumps++ == 0) {
                r->time.first_fwd = j;
                r->warns[r->nwarn++] = r->fwd_warn;
            }
            jump_warning(r, &r->time.first_fwd, r->time.fwd_jumps, r->fwd_warn, sizeof r->fwd_warn);
            r->time.epochs++;
        }
    }
    last_ts_set(r, f);
    r->last_file = f->file;
    r->last_num = f->num;
    return r->time.epochs - 1;
}

/* *out = *f (as frame_put wrote it) with its epoch: read and written 16 bytes at a time, as
 * frame_put wrote it, so each load is taken from one store (a copy of the struct, with the
 * epoch stored into f just before, waited on every frame: 5 % of the names shape's samples),
 * and the frame's reader (the session copies it whole) finds each 16 bytes in one store. */
static inline __attribute__((always_inline)) void frame_out(struct why_frame *out, const struct why_frame *f,
                                                            uint32_t epoch)
{
#if defined(__SSE2__)
    _Static_assert(offsetof(struct why_frame, epoch) == 8 && offsetof(struct why_frame, file) == 12 &&
                       offsetof(struct why_frame, ts) == 16 && sizeof(struct why_ts) == 16 &&
                       offsetof(struct why_ts, nsec) == 8 && offsetof(struct why_ts, epoch) == 12 &&
                       offsetof(struct why_frame, linktype) == 32 && offsetof(struct why_frame, ifindex) == 36 &&
                       offsetof(struct why_frame, caplen) == 40 && offsetof(struct why_frame, wirelen) == 44 &&
                       offsetof(struct why_frame, data) == 48 && sizeof(struct why_frame) == 56,
                   "the frame's layout that frame_put and frame_out write");
    const __m128i *from = (const __m128i *)(const void *)f;
    __m128i *to = (__m128i *)(void *)out;
    /* (f's epoch is 0: frame_put) */
    _mm_storeu_si128(to, _mm_or_si128(_mm_loadu_si128(from), _mm_slli_si128(_mm_cvtsi32_si128((int)epoch), 8)));
    _mm_storeu_si128(to + 1, _mm_loadu_si128(from + 1));
    _mm_storeu_si128(to + 2, _mm_loadu_si128(from + 2));
    out->data = f->data;
#else
    *out = *f;
    out->epoch = epoch;
#endif
}

enum why_read_status why_reader_next(struct why_reader *r, struct why_frame *out)
{
    bool ioerr = false;
    if (!r->primed) {
        r->primed = true;
        for (size_t i = 0; i < r->n; i++)
            ioerr |= load(r, &r->srcs[i]) == STEP_IOERR;
    } else if (r->last >= 0) {
        ioerr = load(r, &r->srcs[r->last]) == STEP_IOERR;
    }
    r->last = -1;
    if (ioerr)
        return WHY_READ_ERROR;
    struct src *best = r->srcs[0].pending ? &r->srcs[0] : NULL; /* one file: the only choice */
    for (size_t i = 1; i < r->n; i++) { /* strict < keeps the lower file index on ties */
        struct src *s = &r->srcs[i];
        if (s->pending && (!best || why_ts_cmp(s->frame.ts, best->frame.ts) < 0))
            best = s;
    }
    if (!best)
        return WHY_READ_EOF;
    r->last = best - r->srcs;
    frame_out(out, &best->frame, time_step(r, &best->frame));
    return WHY_READ_FRAME;
}

const char *why_reader_error(const struct why_reader *r) { return r->err; }

const char *const *why_reader_warnings(const struct why_reader *r, size_t *n)
{
    *n = r->nwarn;
    return r->warns;
}

const struct why_time_stats *why_reader_time(const struct why_reader *r) { return &r->time; }

const char *why_reader_filename(const struct why_reader *r, uint32_t i) { return i < r->n ? r->srcs[i].name : ""; }

void why_reader_progress(const struct why_reader *r, uint64_t *done, uint64_t *total)
{
    uint64_t d = 0;
    for (size_t i = 0; i < r->n; i++)
        d += r->srcs[i].off + avail(&r->srcs[i]);
    *done = d;
    *total = r->total;
}

size_t why_reader_ahead_files(const struct why_reader *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += r->srcs[i].ra != NULL;
    return n;
}

void why_reader_free(struct why_reader *r)
{
    if (!r)
        return;
    struct feeder *f = &r->feed;
    if (f->started) { /* the thread is at most one read(2) from seeing stop */
        pthread_mutex_lock(&f->mu);
        f->stop = true;
        pthread_cond_signal(&f->wake_thread);
        pthread_mutex_unlock(&f->mu);
        pthread_join(f->thread, NULL);
        pthread_cond_destroy(&f->wake_thread);
        pthread_cond_destroy(&f->wake_main);
        pthread_mutex_destroy(&f->mu);
    }
    for (size_t i = 0; r->srcs && i < r->n; i++) {
        struct src *s = &r->srcs[i];
        if (s->own_fd && s->fd >= 0)
            close(s->fd);
        if (s->ra)
            ahead_free(s->ra);
        else
            free(s->buf);
        free(s->ifs);
    }
    free(r->srcs);
    free(r->warns);
    free(r);
}
