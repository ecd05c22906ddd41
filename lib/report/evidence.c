/* Evidence export (evidence.h). The frames of an incident are found in three passes over
 * the ring's time window: the evidence frames themselves (by file and frame number), whose
 * addresses and ports name the connections and DNS exchanges involved together with the
 * incident's own connection list; then every frame of those flows, ICMP errors quoting them
 * and DNS messages about the upstream host; then, from the ClientHellos among them, the key
 * log lines to embed. Frames are written sorted by time (-i any delivers them a little out
 * of order). */
#include "report/evidence.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture/pcapng_write.h"
#include "capture/capture.h"
#include "decode/decode.h"
#include "proto/dns.h"
#include "tlsdec/keylog.h"
#include "util/cursor.h"

#define TUPLES_MAX 64u          /* flows per incident */
#define COMMENT_SIZE 8192u      /* section comment, bytes */
#define FRAME_COMMENT_SIZE 512u /* one frame's comment, bytes */
#define NAMES_MAX 4u            /* DNS names asked for an incident */

struct tuple {
    uint8_t proto;              /* 6 TCP, 17 UDP, 0 either */
    struct why_addr a, b;
    uint16_t ap, bp;
};

struct picked {
    struct why_frame f;         /* data points into the ring */
    uint64_t order;             /* arrival order, for a stable sort */
    int ev;                     /* first evidence item on this frame, -1 none */
};

struct tracked {
    char *name;                 /* file name within dir */
    uint64_t bytes;
};

struct why_export {
    struct why_export_opts o;
    char *dir;
    struct tracked *files;      /* oldest first */
    size_t nfiles, cap;
    struct why_export_stats st;
    struct deferred *def;       /* WHY_EXPORT_DEFER_MAX at most */
    size_t ndef;
};

/* one incident being cut */
struct cut {
    const struct why_incident *inc;
    struct tuple tuples[TUPLES_MAX];
    uint32_t ntuples;
    char names[NAMES_MAX][WHY_DNS_NAME_MAX + 1]; /* DNS questions that are the incident's */
    uint32_t nnames;
    bool *ev_found;             /* per evidence item */
    struct picked *frames;
    size_t n, cap;
    bool capped;
    bool copy;                  /* second pass: frames are copied (the reader reuses its buffer) */
    uint64_t *held;             /* second pass: bytes copied, all incidents together */
    uint64_t seen;
};

/* An incident whose frames had left the ring: cut again from the capture files at the end. */
struct deferred {
    struct why_incident *inc;   /* a copy */
    struct why_ts lo, hi;       /* its window, padded */
    uint64_t drops;
    bool found[WHY_EVIDENCE_MAX];
    struct cut cut;
    bool done;
};

/* ---- the files kept in dir ---- */

static bool track(struct why_export *x, const char *name, uint64_t bytes)
{
    if (x->nfiles == WHY_EXPORT_TRACKED_MAX)
        return false;
    if (x->nfiles == x->cap) {
        size_t ncap = x->cap ? x->cap * 2 : 64;
        struct tracked *n = realloc(x->files, ncap * sizeof *n);
        if (!n)
            return false;
        x->files = n;
        x->cap = ncap;
    }
    char *copy = strdup(name);
    if (!copy)
        return false;
    x->files[x->nfiles++] = (struct tracked){copy, bytes};
    x->st.held_bytes += bytes;
    return true;
}

static int tracked_cmp(const void *a, const void *b)
{
    return strcmp(((const struct tracked *)a)->name, ((const struct tracked *)b)->name);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

struct why_export *why_export_new(const struct why_export_opts *o, char *err, size_t errsize)
{
    struct why_export *x = calloc(1, sizeof *x);
    if (!x || !(x->dir = strdup(o->dir))) {
        free(x);
        snprintf(err, errsize, "out of memory");
        return NULL;
    }
    x->o = *o;
    x->o.dir = x->dir;
    DIR *d = opendir(o->dir);
    if (!d) {
        snprintf(err, errsize, "--evidence %s: %s", o->dir, strerror(errno));
        why_export_free(x);
        return NULL;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        struct stat sb;
        if (de->d_name[0] == '.' || !ends_with(de->d_name, ".pcapng") ||
            fstatat(dirfd(d), de->d_name, &sb, 0) < 0 || !S_ISREG(sb.st_mode))
            continue;
        track(x, de->d_name, (uint64_t)sb.st_size);
    }
    closedir(d);
    if (x->nfiles > 1)
        qsort(x->files, x->nfiles, sizeof *x->files, tracked_cmp);
    return x;
}

/* Removes the oldest files until `incoming` more bytes fit under the bound. */
static void make_room(struct why_export *x, uint64_t incoming)
{
    size_t k = 0;
    while (k < x->nfiles && x->st.held_bytes + incoming > x->o.max_bytes) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", x->dir, x->files[k].name);
        if (unlink(path) == 0 || errno == ENOENT) {
            x->st.removed++;
            x->st.removed_bytes += x->files[k].bytes;
        }
        x->st.held_bytes -= x->files[k].bytes;
        free(x->files[k].name);
        k++;
    }
    if (k) {
        memmove(x->files, x->files + k, (x->nfiles - k) * sizeof *x->files);
        x->nfiles -= k;
    }
}

/* ---- choosing the frames ---- */

static bool tuple_eq(const struct tuple *t, uint8_t proto, const struct why_addr *s, uint16_t sp,
                     const struct why_addr *d, uint16_t dp)
{
    if (t->proto && t->proto != proto)
        return false;
    return (why_addr_eq(&t->a, s) && t->ap == sp && why_addr_eq(&t->b, d) && t->bp == dp) ||
           (why_addr_eq(&t->a, d) && t->ap == dp && why_addr_eq(&t->b, s) && t->bp == sp);
}

static bool has_tuple(const struct cut *c, uint8_t proto, const struct why_addr *s, uint16_t sp,
                      const struct why_addr *d, uint16_t dp)
{
    for (uint32_t i = 0; i < c->ntuples; i++)
        if (tuple_eq(&c->tuples[i], proto, s, sp, d, dp))
            return true;
    return false;
}

static void add_tuple(struct cut *c, uint8_t proto, const struct why_addr *s, uint16_t sp,
                      const struct why_addr *d, uint16_t dp)
{
    if (!s->family || !d->family || (!sp && !dp) || c->ntuples == TUPLES_MAX ||
        has_tuple(c, proto, s, sp, d, dp))
        return;
    c->tuples[c->ntuples++] = (struct tuple){proto, *s, *d, sp, dp};
}

static int find_ev(const struct why_incident *inc, const struct why_frame *f)
{
    for (uint32_t i = 0; i < inc->nevidence; i++)
        if (inc->evidence[i].frame == f->num && inc->evidence[i].file == f->file)
            return (int)i;
    return -1;
}

/* DNS over UDP is matched by question, not by flow: one resolver socket carries every
 * lookup of the gateway. */
static bool is_dns(const struct why_pkt *p)
{
    return p->proto == 17 && !p->fragment && (p->sport == 53 || p->dport == 53) && p->paylen;
}

static void add_name(struct cut *c, const char *name)
{
    if (!name[0] || c->nnames == NAMES_MAX)
        return;
    for (uint32_t i = 0; i < c->nnames; i++)
        if (!strcasecmp(c->names[i], name))
            return;
    snprintf(c->names[c->nnames++], sizeof c->names[0], "%s", name);
}

/* pass 1: the evidence frames name the flows */
static bool learn_flows(void *ctx, const struct why_frame *f)
{
    struct cut *c = ctx;
    int e = find_ev(c->inc, f);
    if (e < 0)
        return true;
    for (uint32_t i = (uint32_t)e; i < c->inc->nevidence; i++)
        if (c->inc->evidence[i].frame == f->num && c->inc->evidence[i].file == f->file)
            c->ev_found[i] = true;
    struct why_pkt p;
    enum why_decode_status st = why_decode(f, &p);
    if (st != WHY_DECODE_OK && st != WHY_DECODE_TRUNCATED)
        return true;
    struct why_dns_msg m;
    if (is_dns(&p)) {
        if (c->nnames < NAMES_MAX && why_dns_parse(p.payload, p.paylen, &m) == 0 && m.has_question)
            add_name(c, m.qname);
    } else if ((p.proto == 6 || p.proto == 17) && !p.fragment) {
        add_tuple(c, p.proto, &p.src, p.sport, &p.dst, p.dport);
    }
    else if (p.icmp_error && p.quoted.valid && p.quoted.ports)
        add_tuple(c, p.quoted.proto, &p.quoted.src, p.quoted.sport, &p.quoted.dst, p.quoted.dport);
    return true;
}

/* a DNS message over UDP asking for one of the incident's names */
static bool dns_about(const struct cut *c, const struct why_pkt *p)
{
    if (!c->nnames || !is_dns(p))
        return false;
    struct why_dns_msg m;
    if (why_dns_parse(p->payload, p->paylen, &m) < 0 || !m.has_question)
        return false;
    for (uint32_t i = 0; i < c->nnames; i++) {
        size_t n = strlen(c->names[i]);
        /* the name, or the name tried through a search-list suffix (host.corp.example) */
        if (!strcasecmp(m.qname, c->names[i]) || (!strncasecmp(m.qname, c->names[i], n) && m.qname[n] == '.'))
            return true;
    }
    return false;
}

static bool wanted(const struct cut *c, const struct why_frame *f)
{
    struct why_pkt p;
    enum why_decode_status st = why_decode(f, &p);
    if (st != WHY_DECODE_OK && st != WHY_DECODE_TRUNCATED)
        return false;
    if (is_dns(&p))
        return dns_about(c, &p);
    if ((p.proto == 6 || p.proto == 17) && !p.fragment &&
        has_tuple(c, p.proto, &p.src, p.sport, &p.dst, p.dport))
        return true;
    if (p.icmp_error && p.quoted.valid && p.quoted.ports &&
        has_tuple(c, p.quoted.proto, &p.quoted.src, p.quoted.sport, &p.quoted.dst, p.quoted.dport))
        return true;
    return false;
}

/* pass 2: every frame of those flows */
static bool pick(void *ctx, const struct why_frame *f)
{
    struct cut *c = ctx;
    uint64_t order = c->seen++;
    if (c->capped)
        return false;
    int e = find_ev(c->inc, f);
    if (e < 0 && !wanted(c, f))
        return true;
    if (c->n == WHY_EXPORT_FRAMES_MAX || (c->copy && *c->held + f->caplen > WHY_EXPORT_SECOND_BYTES)) {
        c->capped = true;
        return false;
    }
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 256;
        struct picked *np = realloc(c->frames, ncap * sizeof *np);
        if (!np) {
            c->capped = true;
            return false;
        }
        c->frames = np;
        c->cap = ncap;
    }
    c->frames[c->n] = (struct picked){*f, order, e};
    if (c->copy) {
        uint8_t *d = malloc(f->caplen ? f->caplen : 1);
        if (!d) {
            c->capped = true;
            return false;
        }
        memcpy(d, f->data, f->caplen);
        c->frames[c->n].f.data = d;
        *c->held += f->caplen;
    }
    c->n++;
    return true;
}

static void cut_free(struct cut *c)
{
    for (size_t i = 0; c->copy && i < c->n; i++) {
        *c->held -= c->frames[i].f.caplen;
        free((void *)c->frames[i].f.data);
    }
    free(c->frames);
    c->frames = NULL;
    c->n = c->cap = 0;
}

static int picked_cmp(const void *a, const void *b)
{
    const struct picked *x = a, *y = b;
    int t = why_ts_cmp(x->f.ts, y->f.ts);
    if (t)
        return t;
    return x->order < y->order ? -1 : x->order > y->order;
}

static void widen(struct why_ts *lo, struct why_ts *hi, struct why_ts t)
{
    if (why_ts_zero(t))
        return;
    if (why_ts_zero(*lo) || why_ts_cmp(t, *lo) < 0)
        *lo = t;
    if (why_ts_zero(*hi) || why_ts_cmp(t, *hi) > 0)
        *hi = t;
}

/* ---- TLS secrets ---- */

/* The client random of a ClientHello starting this TCP payload (the first segment of a
 * hello holds it: record header 5, handshake header 4, version 2, random 32). */
static bool client_random(const struct why_frame *f, uint8_t out[32])
{
    struct why_pkt p;
    if (why_decode(f, &p) != WHY_DECODE_OK || p.proto != 6 || p.paylen < 43)
        return false;
    struct why_cur cur = why_cur_make(p.payload, p.paylen);
    uint8_t ctype = why_cur_u8(&cur);
    uint8_t major = why_cur_u8(&cur);
    why_cur_skip(&cur, 3);
    uint8_t hs = why_cur_u8(&cur);
    why_cur_skip(&cur, 3 + 2);
    if (ctype != 22 || major != 3 || hs != 1 || !why_cur_ok(&cur) || why_cur_left(&cur) < 32)
        return false;
    memcpy(out, why_cur_ptr(&cur), 32);
    return true;
}

/* Key log lines for the randoms, appended to a growing buffer. Returns the byte count,
 * *out owned by the caller (NULL when none). */
static size_t keylog_lines(const char *path, uint8_t (*randoms)[32], uint32_t nr, char **out)
{
    *out = NULL;
    FILE *f = nr ? fopen(path, "r") : NULL;
    if (!f)
        return 0;
    char line[WHY_KEYLOG_LINE_MAX + 2];
    char *buf = NULL;
    size_t len = 0, cap = 0;
    while (fgets(line, sizeof line, f)) {
        uint8_t r[32];
        const char *nl = strchr(line, '\n');
        if (!nl || !why_keylog_line_random(line, (size_t)(nl - line), r))
            continue;
        bool match = false;
        for (uint32_t i = 0; i < nr && !match; i++)
            match = !memcmp(r, randoms[i], 32);
        size_t n = strlen(line);
        if (!match || len + n > (16u << 20))
            continue;
        if (len + n > cap) {
            size_t ncap = (len + n) * 2;
            char *nb = realloc(buf, ncap);
            if (!nb)
                break;
            buf = nb;
            cap = ncap;
        }
        memcpy(buf + len, line, n);
        len += n;
    }
    fclose(f);
    *out = buf;
    return len;
}

/* ---- the file ---- */

static void safe_name(char *dst, size_t size, const char *s)
{
    size_t k = 0;
    for (; s && *s && k + 1 < size; s++)
        dst[k++] = (char)((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'
                              ? *s : '_');
    dst[k] = 0;
}

static void appendf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void appendf(char *buf, size_t size, const char *fmt, ...)
{
    size_t n = strlen(buf);
    if (n + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + n, size - n, fmt, ap);
    va_end(ap);
}

static void section_comment(char *c, size_t size, const struct cut *cut, const struct why_ring_stats *rs,
                            uint64_t drops, struct why_ts lo, struct why_ts hi)
{
    const struct why_incident *inc = cut->inc;
    char t1[40], t2[40];
    c[0] = 0;
    appendf(c, size, "why502 incident %" PRIu64 ": %s%s%s%s\n", inc->id, inc->detail ? inc->detail : "?",
            inc->error ? " (Proxy-Status error=" : "", inc->error ? inc->error : "", inc->error ? ")" : "");
    appendf(c, size, "%s\nFix: %s\n", inc->summary, inc->fix);
    if (inc->has_client)
        appendf(c, size, "Request: %s %s -> %d\n", inc->method, inc->url, inc->status);
    appendf(c, size, "Frames: %zu of the incident's connections, DNS and ICMP between %s and %s.\n",
            cut->n, why_ts_format(lo, t1, sizeof t1), why_ts_format(hi, t2, sizeof t2));
    if (drops)
        appendf(c, size, "Evidence may be incomplete: %" PRIu64 " packets dropped by the capture while the incident was under way.\n",
                drops);
    if (cut->capped)
        appendf(c, size, "Cut at %u frames%s.\n", WHY_EXPORT_FRAMES_MAX,
                cut->copy ? " or at the second pass's memory bound" : "");
    for (uint32_t i = 0; i < inc->nevidence; i++) {
        const struct why_evidence *e = &inc->evidence[i];
        if (!e->frame || cut->ev_found[i])
            continue;
        if (!rs) {
            appendf(c, size, "Not in this file: frame %" PRIu64 " (%s): not found again in the capture file.\n",
                    e->frame, e->what);
            continue;
        }
        appendf(c, size, "Not in this file: frame %" PRIu64 " (%s): the ring no longer held it", e->frame, e->what);
        if (rs->frames)
            appendf(c, size, " (it held %s .. %s)", why_ts_format(rs->oldest, t1, sizeof t1),
                    why_ts_format(rs->newest, t2, sizeof t2));
        appendf(c, size, ".\n");
    }
}

/* Every evidence item of frame i's kind, joined ("; "): the frame's comment. */
static void frame_comment(char *buf, size_t size, const struct why_incident *inc, const struct picked *p)
{
    buf[0] = 0;
    if (p->ev < 0)
        return;
    for (uint32_t i = (uint32_t)p->ev; i < inc->nevidence; i++)
        if (inc->evidence[i].frame == p->f.num && inc->evidence[i].file == p->f.file)
            appendf(buf, size, "%s%s", buf[0] ? "; " : "", inc->evidence[i].what);
}

static int write_file(struct why_export *x, struct cut *cut, const char *tmp, const char *comment,
                      uint64_t *bytes)
{
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return -1;
    struct why_pcapng_w *w = NULL;
    int rc = why_pcapng_open(&w, f, comment);
    if (rc == 0 && x->o.keylog) {
        uint8_t randoms[WHY_EXPORT_TLS_MAX][32];
        uint32_t nr = 0;
        for (size_t i = 0; i < cut->n && nr < WHY_EXPORT_TLS_MAX; i++)
            if (client_random(&cut->frames[i].f, randoms[nr]))
                nr++;
        char *lines;
        size_t len = keylog_lines(x->o.keylog, randoms, nr, &lines);
        if (len)
            rc = why_pcapng_tls_secrets(w, lines, len);
        free(lines);
    }
    char fc[FRAME_COMMENT_SIZE];
    for (size_t i = 0; rc == 0 && i < cut->n; i++) {
        frame_comment(fc, sizeof fc, cut->inc, &cut->frames[i]);
        rc = why_pcapng_packet(w, &cut->frames[i].f, fc[0] ? fc : NULL);
    }
    *bytes = w ? why_pcapng_bytes(w) : 0;
    why_pcapng_free(w);
    int e = errno;
    if (rc == 0 && (fflush(f) != 0 || fsync(fileno(f)) != 0))
        rc = -1, e = errno;
    if (fclose(f) != 0 && rc == 0)
        rc = -1, e = errno;
    errno = e;
    return rc;
}

/* The incident's window and its first flows and names (before any frame is read). */
static void cut_start(struct cut *cut, const struct why_incident *inc, struct why_ts *plo, struct why_ts *phi)
{
    cut->inc = inc;
    struct why_ts lo = {0}, hi = {0};
    widen(&lo, &hi, inc->ts);
    if (inc->total_us > 0)
        widen(&lo, &hi, why_ts_add_us(inc->ts, inc->total_us));
    for (uint32_t i = 0; i < inc->nevidence; i++)
        widen(&lo, &hi, inc->evidence[i].ts);
    for (uint32_t i = 0; i < inc->nconns && i < WHY_INCIDENT_CONNS_MAX; i++) {
        const struct why_incident_conn *k = &inc->conns[i];
        widen(&lo, &hi, k->first_ts);
        widen(&lo, &hi, k->last_ts);
        if (!(k->proto == 17 && (k->aport == 53 || k->bport == 53))) /* DNS: by question */
            add_tuple(cut, k->proto, &k->a, k->aport, &k->b, k->bport);
    }
    if (inc->has_client)
        add_tuple(cut, 6, &inc->client_addr, inc->client_port, &inc->gateway_addr, inc->gateway_port);
    add_name(cut, inc->upstream_host);
    *plo = why_ts_add_us(lo, -WHY_EXPORT_PAD_US);
    *phi = why_ts_add_us(hi, WHY_EXPORT_PAD_US);
}

/* The file's name: incident time, id and cause. */
static void file_name(char *name, size_t size, const struct why_incident *inc)
{
    char stamp[40], cause[64];
    struct why_ts t = inc->ts;
    time_t sec = (time_t)t.sec;
    struct tm tm;
    gmtime_r(&sec, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
    safe_name(cause, sizeof cause, inc->detail);
    snprintf(name, size, "%s.%06uZ-%" PRIu64 "-%s.pcapng", stamp, t.nsec / 1000, inc->id, cause);
}

/* Writes the cut frames (sorted here) as the incident's file. rs: the ring's stats, NULL on
 * the second pass over the files. */
static int cut_write(struct why_export *x, struct cut *cut, const struct why_ring_stats *rs, uint64_t drops,
                     struct why_ts lo, struct why_ts hi, char *path, size_t pathsize, char *err, size_t errsize)
{
    const struct why_incident *inc = cut->inc;
    path[0] = 0;
    if (cut->n > 1)
        qsort(cut->frames, cut->n, sizeof *cut->frames, picked_cmp);
    for (uint32_t i = 0; i < inc->nevidence; i++)
        if (inc->evidence[i].frame && !cut->ev_found[i])
            x->st.missing++;
    char *comment = malloc(COMMENT_SIZE);
    if (!comment) {
        snprintf(err, errsize, "out of memory");
        return -1;
    }
    section_comment(comment, COMMENT_SIZE, cut, rs, drops, lo, hi);
    char name[160], tmp[4096 + 200];
    file_name(name, sizeof name, inc);
    snprintf(path, pathsize, "%s/%s", x->dir, name);
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", x->dir, name);

    uint64_t bytes = 0;
    int rc = write_file(x, cut, tmp, comment, &bytes);
    free(comment);
    bool keep = !x->o.max_bytes || bytes <= x->o.max_bytes;
    if (rc == 0 && keep && x->o.max_bytes)
        make_room(x, bytes);
    if (rc < 0 || (keep && rename(tmp, path) < 0)) {
        snprintf(err, errsize, "evidence %s: %s", path, strerror(errno));
        unlink(tmp);
        x->st.failed++;
        path[0] = 0;
        return -1;
    }
    if (!keep) { /* this file alone is over the bound */
        unlink(tmp);
        x->st.skipped++;
        path[0] = 0;
        return 0;
    }
    track(x, name, bytes);
    x->st.written++;
    x->st.bytes_written += bytes;
    x->st.frames_written += cut->n;
    return 0;
}

/* Keeps inc for the second pass when the ring lost some of its frames. false when it is not
 * kept (live input, the cap reached, out of memory): the ring's cut is written. */
static bool defer(struct why_export *x, const struct why_incident *inc, uint64_t drops, struct why_ts lo,
                  struct why_ts hi, char *path, size_t pathsize)
{
    if (!x->o.second_pass || x->ndef == WHY_EXPORT_DEFER_MAX)
        return false;
    if (!x->def && !(x->def = calloc(WHY_EXPORT_DEFER_MAX, sizeof *x->def)))
        return false;
    struct deferred *d = &x->def[x->ndef];
    if (!(d->inc = malloc(sizeof *d->inc)))
        return false;
    *d->inc = *inc;
    d->lo = lo;
    d->hi = hi;
    d->drops = drops;
    x->ndef++;
    x->st.deferred++;
    char name[160];
    file_name(name, sizeof name, inc);
    snprintf(path, pathsize, "%s/%s", x->dir, name); /* written by why_export_second_pass */
    return true;
}

int why_export_incident(struct why_export *x, const struct why_incident *inc,
                        const struct why_ring *ring, uint64_t drops, char *path, size_t pathsize,
                        char *err, size_t errsize)
{
    path[0] = 0;
    struct cut cut = {0};
    bool found[WHY_EVIDENCE_MAX] = {0};
    cut.ev_found = found;
    struct why_ts lo, hi;
    cut_start(&cut, inc, &lo, &hi);
    why_ring_each(ring, lo, hi, learn_flows, &cut);
    why_ring_each(ring, lo, hi, pick, &cut);
    struct why_ring_stats rs;
    why_ring_get_stats(ring, &rs);
    bool lost = rs.evicted && why_ts_cmp(lo, rs.oldest) < 0;
    for (uint32_t i = 0; i < inc->nevidence && !lost; i++)
        lost = inc->evidence[i].frame && !found[i];
    if (lost && defer(x, inc, drops, lo, hi, path, pathsize)) {
        cut_free(&cut);
        return 0;
    }
    int rc = cut_write(x, &cut, &rs, drops, lo, hi, path, pathsize, err, errsize);
    cut_free(&cut);
    return rc;
}

/* ---- the second pass over the capture files ---- */

static int def_lo_cmp(const void *a, const void *b)
{
    return why_ts_cmp(((const struct deferred *)a)->lo, ((const struct deferred *)b)->lo);
}

/* Writes d's file and frees its frames; keeps the first failure in err. */
static void def_write(struct why_export *x, struct deferred *d, int *rc, char *err, size_t errsize)
{
    char path[4352], e2[4608];
    if (cut_write(x, &d->cut, NULL, d->drops, d->lo, d->hi, path, sizeof path, e2, sizeof e2) < 0 && !*rc) {
        snprintf(err, errsize, "%s", e2);
        *rc = -1;
    }
    cut_free(&d->cut);
    d->done = true;
}

/* One read of the files: fn on every frame for each incident whose window holds it; with
 * write, an incident's file is written as soon as the read passes its window (the reader
 * hands frames in time order). */
static int pass_over(struct why_export *x, const char *const *paths, size_t npaths,
                     bool (*fn)(void *ctx, const struct why_frame *f), bool write, char *err, size_t errsize)
{
    struct why_reader *r = NULL;
    if (why_reader_open(&r, paths, npaths, err, errsize) < 0)
        return -1;
    size_t *active = malloc(x->ndef * sizeof *active), nact = 0, next = 0;
    if (!active) {
        why_reader_free(r);
        snprintf(err, errsize, "out of memory");
        return -1;
    }
    int rc = 0;
    struct why_frame f;
    while (why_reader_next(r, &f) == WHY_READ_FRAME) {
        while (next < x->ndef && why_ts_cmp(x->def[next].lo, f.ts) <= 0)
            active[nact++] = next++;
        for (size_t k = 0; k < nact;) {
            struct deferred *d = &x->def[active[k]];
            if (why_ts_cmp(f.ts, d->hi) > 0) {
                if (write)
                    def_write(x, d, &rc, err, errsize);
                active[k] = active[--nact];
                continue;
            }
            fn(&d->cut, &f);
            k++;
        }
    }
    /* a read error ends the pass where it ended the first one (reported there): the windows
     * still open are written with what was read */
    free(active);
    why_reader_free(r);
    return rc;
}

int why_export_second_pass(struct why_export *x, const char *const *paths, size_t npaths, char *err,
                           size_t errsize)
{
    if (!x->ndef)
        return 0;
    qsort(x->def, x->ndef, sizeof *x->def, def_lo_cmp);
    uint64_t held = 0;
    for (size_t i = 0; i < x->ndef; i++) {
        struct deferred *d = &x->def[i];
        d->cut = (struct cut){.ev_found = d->found, .copy = true, .held = &held};
        struct why_ts lo, hi;
        cut_start(&d->cut, d->inc, &lo, &hi);
    }
    int rc = pass_over(x, paths, npaths, learn_flows, false, err, errsize);
    if (rc == 0)
        rc = pass_over(x, paths, npaths, pick, true, err, errsize);
    for (size_t i = 0; i < x->ndef; i++) { /* windows that reach the end of the files */
        if (!x->def[i].done)
            def_write(x, &x->def[i], &rc, err, errsize);
        free(x->def[i].inc);
    }
    free(x->def);
    x->def = NULL;
    x->ndef = 0;
    return rc;
}

void why_export_get_stats(const struct why_export *x, struct why_export_stats *st) { *st = x->st; }

void why_export_free(struct why_export *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->ndef; i++)
        free(x->def[i].inc);
    free(x->def);
    for (size_t i = 0; i < x->nfiles; i++)
        free(x->files[i].name);
    free(x->files);
    free(x->dir);
    free(x);
}
