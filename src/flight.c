/* The flight recorder side of the CLI (flight.h): live loop, ring, evidence files, the
 * rotating capture, the Prometheus text exposition (the one place that escapes its label
 * values) and dropping privileges, as tcpdump -Z does: devices, sockets and directories are
 * opened first, then setgroups/setgid/setuid, checked, before any packet is parsed. */
#include "flight.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "capture/ring.h"
#include "flow/flow.h"
#include "report/evidence.h"
#include "util/heap.h"

#define UPSTREAMS_MAX 256u     /* upstream label values kept for the metrics (cap; the rest
                                  are counted as "other") */
#define UPSTREAM_SLOTS 512u    /* their index: open addressing, twice the cap (power of two) */
#define DROP_SAMPLES_MAX 4096u /* drop-count changes remembered, for "dropped while under way" */
#define METRICS_BODY_MAX (256u << 10) /* bytes of one exposition */
#define DEFAULT_USERS {"why502", "nobody"}

struct upstream_count {
    char name[128];
    uint64_t n;
};

struct drop_sample {
    struct why_ts t;           /* wall clock when the count was read */
    uint64_t cum;              /* kernel + interface drops so far */
};

struct rotation {              /* -w FILE -C -W, as tcpdump: classic pcap, one link type */
    const char *base;
    uint64_t size;             /* bytes per file, 0 = one file */
    unsigned count;            /* files in the rotation, 0 = no limit */
    unsigned width;            /* digits of the file number (tcpdump's: those of count - 1) */
    unsigned idx;              /* current file number */
    int linktype;              /* DLT_* of every file, -1 until the first frame (files) */
    int snaplen;
    uid_t uid;                 /* owner of the files when started as root, else -1 */
    gid_t gid;
    pcap_t *dead;              /* the link type and snapshot length pcap_dump writes */
    pcap_dumper_t *d;
    bool failed;
};

struct flight {
    struct flight_opts o;
    struct why_live *live;
    struct why_ring *ring;
    struct why_export *exp;
    struct why_session *s;     /* during flight_run, for the metrics and the status line */
    struct rotation rot;
    int metrics_fd;
    uint64_t frames;           /* frames handed to the session */
    uint64_t incidents;
    uint64_t incidents_dropped; /* incidents decided while the capture had dropped packets */
    char drop_warning[160];    /* the summary's warning, "" while nothing was dropped */
    bool evidence_failed;
    char last_evidence[4352];     /* the file written for the latest incident, "" for none */
    struct upstream_count *ups; /* in the order first seen (the exposition's order) */
    uint32_t nups;
    uint16_t upslot[UPSTREAM_SLOTS]; /* by name's hash: 1 + its place in ups, 0 empty */
    uint64_t ups_other;
    struct drop_sample drops[DROP_SAMPLES_MAX];
    uint32_t ndrops;
    struct why_live_stats ls;  /* last read */
    time_t last_stats;
    const char *user;          /* user dropped to, NULL when none */
};

/* ---- option values ---- */

int flight_parse_size(const char *s, uint64_t *bytes)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || v < 0)
        return -1;
    double mult = 1;
    switch (toupper((unsigned char)*end)) {
    case 0: break;
    case 'K': mult = 1024.0; end++; break;
    case 'M': mult = 1024.0 * 1024; end++; break;
    case 'G': mult = 1024.0 * 1024 * 1024; end++; break;
    case 'T': mult = 1024.0 * 1024 * 1024 * 1024; end++; break;
    default: return -1;
    }
    if (*end == 'i' || *end == 'I')
        end++;
    if (*end == 'b' || *end == 'B')
        end++;
    if (*end || v * mult > 1e18)
        return -1;
    *bytes = (uint64_t)(v * mult);
    return 0;
}

int flight_parse_ring(const char *s, uint64_t *bytes, int64_t *us, char *err, size_t errsize)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        size_t n = strlen(tok);
        char last = n ? (char)tolower((unsigned char)tok[n - 1]) : 0;
        if (last == 's' || (last == 'm' && n > 1 && tok[n - 1] == 'm') || last == 'h') {
            char *end;
            double v = strtod(tok, &end);
            double mult = last == 's' ? 1 : last == 'm' ? 60 : 3600;
            if (end != tok + n - 1 || v <= 0 || v * mult > 86400.0 * 30) {
                snprintf(err, errsize, "--ring: '%s' is not a duration (e.g. 120s, 10m, 1h)", tok);
                return -1;
            }
            *us = (int64_t)(v * mult * 1e6);
        } else {
            if (flight_parse_size(tok, bytes) < 0) {
                snprintf(err, errsize, "--ring: '%s' is not a size (e.g. 256M, 1G) or a duration (120s)", tok);
                return -1;
            }
            if (*bytes < WHY_RING_MIN_BYTES) {
                snprintf(err, errsize, "--ring: %s is too small: the ring needs at least 1M (it must hold the largest frames)", tok);
                return -1;
            }
        }
    }
    return 0;
}

/* ---- privileges ---- */

static uint64_t status_field(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    char line[256];
    uint64_t v = 0;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, field, n) && line[n] == ':') {
            const char *p = line + n + 1;
            while (*p == ' ' || *p == '\t')
                p++;
            v = strtoull(p, NULL, !strcmp(field, "CapEff") || !strcmp(field, "CapPrm") ? 16 : 10);
            break;
        }
    fclose(f);
    return v;
}

static int drop_privileges(struct flight *fl, const struct passwd *pw)
{
    gid_t gid = pw->pw_gid;
    if (setgroups(1, &gid) < 0 || setgid(gid) < 0 || setuid(pw->pw_uid) < 0) {
        fprintf(stderr, "why502: -Z %s: cannot change to this user: %s\n", pw->pw_name, strerror(errno));
        return WHY_EXIT_INTERNAL;
    }
    /* check it took: ids, no way back, no capabilities left */
    if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid || getgid() != gid || getegid() != gid ||
        (pw->pw_uid != 0 && (setuid(0) == 0 || status_field("CapEff") || status_field("CapPrm")))) {
        fprintf(stderr, "why502: -Z %s: the change of user did not take\n", pw->pw_name);
        return WHY_EXIT_INTERNAL;
    }
    fl->user = pw->pw_name;
    return 0;
}

/* The user to drop to: -Z, or for a live capture started as root a default one. */
static const struct passwd *target_user(const struct flight_opts *o, int *rc)
{
    *rc = 0;
    if (o->user) {
        const struct passwd *pw = getpwnam(o->user);
        if (!pw) {
            fprintf(stderr, "why502: -Z %s: no such user\n", o->user);
            *rc = WHY_EXIT_USAGE;
        }
        return pw;
    }
    if (!o->live || geteuid() != 0)
        return NULL;
    static const char *const names[] = DEFAULT_USERS;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const struct passwd *pw = getpwnam(names[i]);
        if (pw && pw->pw_uid != 0)
            return pw;
    }
    fprintf(stderr, "why502: started as root and no unprivileged user (why502, nobody) to run as: give -Z USER\n");
    *rc = WHY_EXIT_USAGE;
    return NULL;
}

/* ---- the rotating capture (-w -C -W, as tcpdump means them) ---- */

/* tcpdump's file names: FILE alone while no -W and no rotation yet, else FILE followed by the
 * number padded to the digits of (-W) - 1. */
static void rot_name(const struct rotation *r, char *name, size_t size)
{
    if (r->idx == 0 && r->width == 0)
        snprintf(name, size, "%s", r->base);
    else
        snprintf(name, size, "%s%0*u", r->base, (int)r->width, r->idx);
}

static int rot_open(struct rotation *r)
{
    char name[4096];
    rot_name(r, name, sizeof name);
    if (!r->dead)
        r->dead = pcap_open_dead_with_tstamp_precision(r->linktype, r->snaplen, PCAP_TSTAMP_PRECISION_MICRO);
    FILE *f = r->dead ? fopen(name, "wb") : NULL;
    if (f && r->uid != (uid_t)-1)
        (void)!fchown(fileno(f), r->uid, r->gid);
    r->d = f ? pcap_dump_fopen(r->dead, f) : NULL;
    if (!r->d) {
        fprintf(stderr, "why502: -w %s: %s\n", name, f ? pcap_geterr(r->dead) : strerror(errno));
        if (f)
            fclose(f);
        r->failed = true;
        return -1;
    }
    return 0;
}

static void rot_close(struct rotation *r)
{
    if (r->d) {
        pcap_dump_flush(r->d);
        FILE *f = pcap_dump_file(r->d);
        if ((ferror(f) || fflush(f) != 0) && !r->failed) {
            fprintf(stderr, "why502: -w %s: %s\n", r->base, strerror(errno));
            r->failed = true;
        }
        pcap_dump_close(r->d);
        r->d = NULL;
    }
}

/* pcap_dump wants a DLT_ value; the reader's frames carry LINKTYPE_ values, equal but for
 * LINKTYPE_RAW. */
static int frame_dlt(uint32_t linktype) { return linktype == 101 ? DLT_RAW : (int)linktype; }

static void rot_write(struct rotation *r, const struct why_frame *f)
{
    if (r->failed)
        return;
    if (r->linktype < 0) { /* capture files: the first frame's link type */
        r->linktype = frame_dlt(f->linktype);
        if (rot_open(r) < 0)
            return;
    }
    if (frame_dlt(f->linktype) != r->linktype) {
        fprintf(stderr, "why502: -w %s: frame %" PRIu64 " has link type %u and the file %d; a pcap file "
                        "holds one link type: the full capture stops here\n", r->base, f->num, f->linktype, r->linktype);
        r->failed = true;
        rot_close(r);
        return;
    }
    /* as tcpdump: before a packet, a file already past -C is closed and the next one opened */
    if (r->size && r->d && (uint64_t)pcap_dump_ftell64(r->d) > r->size) {
        rot_close(r);
        r->idx++;
        if (r->count && r->idx >= r->count)
            r->idx = 0;
        if (rot_open(r) < 0)
            return;
    }
    if (!r->d)
        return;
    struct pcap_pkthdr h = {.ts = {.tv_sec = (time_t)f->ts.sec, .tv_usec = (suseconds_t)(f->ts.nsec / 1000)},
                            .caplen = f->caplen, .len = f->wirelen};
    pcap_dump((u_char *)r->d, &h, f->data);
    if (ferror(pcap_dump_file(r->d))) {
        fprintf(stderr, "why502: -w %s: %s; the full capture stops here\n", r->base, strerror(errno));
        r->failed = true;
        rot_close(r);
    }
}

/* ---- metrics ---- */

static int metrics_open(const char *spec)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    if (!colon || !colon[1]) {
        fprintf(stderr, "why502: --metrics %s: expected ADDR:PORT (e.g. 127.0.0.1:9502, [::]:9502, :9502)\n", spec);
        return -WHY_EXIT_USAGE;
    }
    size_t hl = (size_t)(colon - spec);
    if (hl >= sizeof host)
        hl = sizeof host - 1;
    memcpy(host, spec, hl);
    host[hl] = 0;
    char *h = host;
    if (h[0] == '[' && hl > 1 && h[hl - 1] == ']') {
        h[hl - 1] = 0;
        h++;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    int g = getaddrinfo(*h ? h : NULL, colon + 1, &hints, &ai);
    if (g) {
        fprintf(stderr, "why502: --metrics %s: %s\n", spec, gai_strerror(g));
        return -WHY_EXIT_USAGE;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 16) < 0) {
        fprintf(stderr, "why502: --metrics %s: %s\n", spec, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return -WHY_EXIT_OUTPUT;
    }
    freeaddrinfo(ai);
    return fd;
}

/* The one escaper of Prometheus label values: \\, \", \n; other bytes outside printable
 * ASCII become '?'. */
static void prom_label(char *dst, size_t size, const char *s)
{
    size_t k = 0;
    for (; *s && k + 3 < size; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '\\' || ch == '"') {
            dst[k++] = '\\';
            dst[k++] = (char)ch;
        } else if (ch == '\n') {
            dst[k++] = '\\';
            dst[k++] = 'n';
        } else {
            dst[k++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
        }
    }
    dst[k] = 0;
}

struct buf {
    char *p;
    size_t len, cap;
};

static void bprintf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bprintf(struct buf *b, const char *fmt, ...)
{
    if (b->len + 1 >= b->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        b->len = b->len + (size_t)n < b->cap ? b->len + (size_t)n : b->cap - 1;
}

static void metric(struct buf *b, const char *name, const char *type, const char *help)
{
    bprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A metric with one value and no labels. */
static void metric1(struct buf *b, const char *name, const char *type, const char *help, uint64_t v)
{
    metric(b, name, type, help);
    bprintf(b, "%s %" PRIu64 "\n", name, v);
}

static void exposition(struct flight *fl, struct buf *b)
{
    const struct why_summary *sum = fl->s ? why_session_summary(fl->s) : NULL;
    metric1(b, "why502_packets_total", "counter", "Frames captured and analysed.", fl->frames);
    metric(b, "why502_drops_total", "counter", "Frames the capture lost (pcap_stats).");
    bprintf(b, "why502_drops_total{where=\"kernel\"} %" PRIu64 "\n", fl->ls.kernel_drops);
    bprintf(b, "why502_drops_total{where=\"interface\"} %" PRIu64 "\n", fl->ls.iface_drops);
    metric1(b, "why502_incidents_total", "counter", "Failed requests explained.", fl->incidents);
    metric(b, "why502_incidents_by_cause_total", "counter", "Incidents by cause (docs/causes.md).");
    size_t nc;
    const struct why_cause *c = why_causes(&nc);
    for (size_t i = 0; sum && i < nc && i < 64; i++)
        if (sum->by_cause[i])
            bprintf(b, "why502_incidents_by_cause_total{cause=\"%s\",error=\"%s\"} %" PRIu64 "\n", c[i].detail,
                    c[i].error ? c[i].error : "", sum->by_cause[i]);
    metric(b, "why502_incidents_by_upstream_total", "counter", "Incidents by upstream host (the first 256 hosts; then \"other\").");
    for (uint32_t i = 0; i < fl->nups; i++) {
        char lab[300];
        prom_label(lab, sizeof lab, fl->ups[i].name);
        bprintf(b, "why502_incidents_by_upstream_total{upstream=\"%s\"} %" PRIu64 "\n", lab, fl->ups[i].n);
    }
    if (fl->ups_other)
        bprintf(b, "why502_incidents_by_upstream_total{upstream=\"other\"} %" PRIu64 "\n", fl->ups_other);
    if (sum) {
        metric1(b, "why502_requests_total", "counter", "HTTP requests seen on client legs.", sum->requests);
        metric1(b, "why502_connections_total", "counter", "TCP connections seen.", sum->tcp_conns);
        metric1(b, "why502_open_connections", "gauge", "TCP connections open now (seen, not yet closed or expired).",
                why_session_open_conns(fl->s));
    }
    if (fl->ring) {
        struct why_ring_stats rs;
        why_ring_get_stats(fl->ring, &rs);
        metric1(b, "why502_ring_bytes", "gauge", "Bytes of frames held in the packet ring.", rs.bytes);
        metric1(b, "why502_ring_capacity_bytes", "gauge", "The ring's byte bound (--ring).", rs.cap_bytes);
        metric1(b, "why502_ring_frames", "gauge", "Frames held in the ring.", rs.frames);
        metric(b, "why502_ring_span_seconds", "gauge", "Packet time between the oldest and newest frame held.");
        bprintf(b, "why502_ring_span_seconds %.3f\n", (double)why_ts_diff_us(rs.oldest, rs.newest) / 1e6);
    }
    if (fl->exp) {
        struct why_export_stats es;
        why_export_get_stats(fl->exp, &es);
        metric1(b, "why502_evidence_files_total", "counter", "Evidence files written.", es.written);
        metric1(b, "why502_evidence_removed_total", "counter", "Evidence files removed to stay under --evidence-max.", es.removed);
        metric1(b, "why502_evidence_failed_total", "counter", "Evidence files that could not be written.", es.failed);
        metric1(b, "why502_evidence_bytes", "gauge", "Bytes of evidence files in the directory.", es.held_bytes);
    }
    metric1(b, "why502_resident_memory_bytes", "gauge", "Resident memory of the process.", status_field("VmRSS") * 1024);
}

/* Answers whoever connected, one exposition each; a client gets 200 ms to send its request. */
static void metrics_serve(struct flight *fl)
{
    for (int k = 0; k < 4; k++) {
        int c = accept4(fl->metrics_fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            return;
        char req[2048];
        struct pollfd p = {.fd = c, .events = POLLIN};
        ssize_t got = poll(&p, 1, 200) > 0 ? recv(c, req, sizeof req - 1, 0) : -1;
        if (got > 0) {
            req[got] = 0;
            bool get = !strncmp(req, "GET ", 4);
            struct buf b = {malloc(METRICS_BODY_MAX), 0, METRICS_BODY_MAX};
            if (b.p) {
                b.p[0] = 0;
                if (get)
                    exposition(fl, &b);
                char head[256];
                int hn = snprintf(head, sizeof head,
                                  "HTTP/1.0 %s\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                                  "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                                  get ? "200 OK" : "405 Method Not Allowed", b.len);
                (void)!send(c, head, (size_t)hn, MSG_NOSIGNAL);
                (void)!send(c, b.p, b.len, MSG_NOSIGNAL);
                free(b.p);
            }
            shutdown(c, SHUT_WR);
        }
        close(c);
    }
}

/* ---- drops ---- */

static struct why_ts wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (struct why_ts){.sec = (int64_t)ts.tv_sec, .nsec = (uint32_t)ts.tv_nsec}; /* epoch 0, as live frames */
}

static void read_stats(struct flight *fl)
{
    if (!fl->live)
        return;
    uint64_t before = fl->ls.kernel_drops + fl->ls.iface_drops;
    why_live_get_stats(fl->live, &fl->ls);
    uint64_t cum = fl->ls.kernel_drops + fl->ls.iface_drops;
    if (cum != before) {
        if (fl->ndrops == DROP_SAMPLES_MAX) {
            memmove(fl->drops, fl->drops + 1, (DROP_SAMPLES_MAX - 1) * sizeof *fl->drops);
            fl->ndrops--;
        }
        fl->drops[fl->ndrops++] = (struct drop_sample){wall_now(), cum};
    }
}

/* Drops counted after t (the incident's start): now's total minus the total before t. */
static uint64_t drops_since(const struct flight *fl, struct why_ts t)
{
    uint64_t cum = fl->ls.kernel_drops + fl->ls.iface_drops, before = 0;
    for (uint32_t i = 0; i < fl->ndrops && why_ts_cmp(fl->drops[i].t, t) < 0; i++)
        before = fl->drops[i].cum;
    if (fl->ndrops == DROP_SAMPLES_MAX && why_ts_cmp(fl->drops[0].t, t) >= 0)
        before = 0; /* history shorter than the incident: count everything */
    return cum - before;
}

/* ---- start, frames, incidents ---- */

/* -w on devices: one link type for the pcap file. Devices of different link types are refused
 * with one line (classic pcap holds one; -i any gives one cooked link type for all). */
static int rot_live_linktype(struct flight *fl)
{
    size_t n = why_live_ndevices(fl->live);
    int lt = (int)why_live_linktype(fl->live, 0);
    for (size_t i = 1; i < n; i++)
        if ((int)why_live_linktype(fl->live, i) != lt) {
            fprintf(stderr, "why502: -w: %s is %s and %s is %s: a pcap file holds one link type; capture with "
                            "-i any (one cooked link type for every device) or run one why502 -w per device\n",
                    why_live_device(fl->live, 0), pcap_datalink_val_to_name(lt), why_live_device(fl->live, i),
                    pcap_datalink_val_to_name((int)why_live_linktype(fl->live, i)));
            return WHY_EXIT_USAGE;
        }
    fl->rot.linktype = lt;
    return 0;
}

int flight_start(struct flight **out, const struct flight_opts *o)
{
    *out = NULL;
    struct flight *fl = calloc(1, sizeof *fl);
    if (!fl) {
        fputs("why502: out of memory\n", stderr);
        return WHY_EXIT_INTERNAL;
    }
    fl->o = *o;
    fl->metrics_fd = -1;
    *out = fl;
    int rc;
    const struct passwd *pw = target_user(o, &rc);
    if (rc)
        return rc;
    struct passwd pwcopy;
    char pwname[256];
    if (pw) { /* getpwnam's buffer does not survive later calls */
        pwcopy = *pw;
        snprintf(pwname, sizeof pwname, "%s", pw->pw_name);
        pwcopy.pw_name = pwname;
        pw = &pwcopy;
    }
    char err[512] = "";
    if (o->live) {
        struct why_live_opts lo = {.devices = o->devices, .ndevices = o->ndevices, .snaplen = o->snaplen,
                                   .buffer_bytes = o->buffer_bytes, .filter = o->filter};
        rc = why_live_open(&fl->live, &lo, err, sizeof err);
        if (rc != WHY_LIVE_OK) {
            fprintf(stderr, "why502: %s\n", err);
            return rc == WHY_LIVE_ERR_FILTER ? WHY_EXIT_USAGE : rc == WHY_LIVE_ERR_MEMORY ? WHY_EXIT_INTERNAL : WHY_EXIT_INPUT;
        }
    }
    if (o->evidence_dir) {
        if (mkdir(o->evidence_dir, 0750) == 0) {
            if (pw && geteuid() == 0 && chown(o->evidence_dir, pw->pw_uid, pw->pw_gid) < 0) {
                fprintf(stderr, "why502: --evidence %s: %s\n", o->evidence_dir, strerror(errno));
                return WHY_EXIT_OUTPUT;
            }
        } else if (errno != EEXIST) {
            fprintf(stderr, "why502: --evidence %s: %s\n", o->evidence_dir, strerror(errno));
            return WHY_EXIT_OUTPUT;
        }
        struct why_export_opts eo = {.dir = o->evidence_dir, .max_bytes = o->evidence_max, .keylog = o->keylog,
                                     .second_pass = !o->live};
        if (!(fl->exp = why_export_new(&eo, err, sizeof err))) {
            fprintf(stderr, "why502: %s\n", err);
            return WHY_EXIT_OUTPUT;
        }
        if (!(fl->ring = why_ring_new(o->ring_bytes, o->ring_us))) {
            fputs("why502: --ring: cannot allocate the ring\n", stderr);
            return WHY_EXIT_INTERNAL;
        }
    }
    if (o->metrics) {
        fl->metrics_fd = metrics_open(o->metrics);
        if (fl->metrics_fd < 0)
            return -fl->metrics_fd;
    }
    if (o->wfile) {
        fl->rot = (struct rotation){.base = o->wfile, .size = o->wsize, .count = o->wcount, .linktype = -1,
                                    .snaplen = o->snaplen > 0 ? o->snaplen : WHY_LIVE_DEFAULT_SNAPLEN,
                                    .uid = pw && geteuid() == 0 ? pw->pw_uid : (uid_t)-1,
                                    .gid = pw && geteuid() == 0 ? pw->pw_gid : (gid_t)-1};
        for (unsigned n = o->wcount ? o->wcount - 1 : 0; n; n /= 10) /* tcpdump: digits of -W minus one */
            fl->rot.width++;
        if (fl->live && (rc = rot_live_linktype(fl)) != 0)
            return rc;
        if (fl->live && rot_open(&fl->rot) < 0)
            return WHY_EXIT_OUTPUT;
    }
    if (pw && (rc = drop_privileges(fl, pw)) != 0)
        return rc;
    if (o->evidence_dir && access(o->evidence_dir, W_OK | X_OK) < 0) {
        fprintf(stderr, "why502: --evidence %s: not writable%s%s: %s\n", o->evidence_dir,
                fl->user ? " by user " : "", fl->user ? fl->user : "", strerror(errno));
        return WHY_EXIT_OUTPUT;
    }
    if (!o->quiet && o->live) {
        fprintf(stderr, "why502: capturing on");
        for (size_t i = 0; i < why_live_ndevices(fl->live); i++)
            fprintf(stderr, " %s", why_live_device(fl->live, i));
        if (o->filter)
            fprintf(stderr, " (filter '%s')", o->filter);
        if (fl->ring)
            fprintf(stderr, "; memory: ring %" PRIu64 " MiB / %" PRId64 " s, plus at most %u connections",
                    o->ring_bytes >> 20, o->ring_us / 1000000, WHY_FLOW_CONN_MAX);
        else
            fprintf(stderr, "; memory: at most %u connections", WHY_FLOW_CONN_MAX);
        if (o->evidence_dir) {
            fprintf(stderr, "; evidence to %s", o->evidence_dir);
            if (o->evidence_max)
                fprintf(stderr, " (at most %" PRIu64 " MiB)", o->evidence_max >> 20);
        }
        fputc('\n', stderr);
    }
    if (!o->quiet && fl->user)
        fprintf(stderr, "why502: running as user %s (uid %u)%s\n", fl->user, (unsigned)getuid(),
                o->user ? "" : ", as no -Z USER was given");
    return 0;
}

bool flight_wants_frames(const struct flight *fl) { return fl && (fl->ring || fl->o.wfile || fl->o.count); }

bool flight_count_done(const struct flight *fl) { return fl && fl->o.count && fl->frames >= fl->o.count; }

void flight_frame(struct flight *fl, const struct why_frame *f)
{
    fl->frames++;
    if (fl->ring)
        why_ring_push(fl->ring, f);
    if (fl->o.wfile)
        rot_write(&fl->rot, f);
}

const struct why_incident *flight_annotate(struct flight *fl, const struct why_incident *inc,
                                           struct why_incident *copy)
{
    if (!fl || !fl->live)
        return inc;
    read_stats(fl);
    uint64_t d = drops_since(fl, why_ts_add_us(inc->ts, -WHY_EXPORT_PAD_US));
    if (!d)
        return inc;
    fl->incidents_dropped++;
    *copy = *inc;
    copy->capture_drops = d;
    size_t n = strlen(copy->summary);
    snprintf(copy->summary + n, sizeof copy->summary - n,
             " (evidence may be incomplete: %" PRIu64 " packets dropped)", d);
    return copy;
}

/* One more incident of upstream `up`, by its label as kept (cut to the label's room: a longer
 * name is counted with the others that begin the same, not kept once per incident). */
static void count_upstream(struct flight *fl, const char *up)
{
    char name[sizeof fl->ups[0].name];
    snprintf(name, sizeof name, "%s", up);
    uint32_t h = 2166136261u; /* FNV-1a: a few short names */
    for (const char *c = name; *c; c++)
        h = (h ^ (uint8_t)*c) * 16777619u;
    uint32_t i = h & (UPSTREAM_SLOTS - 1);
    for (; fl->upslot[i]; i = (i + 1) & (UPSTREAM_SLOTS - 1)) {
        struct upstream_count *u = &fl->ups[fl->upslot[i] - 1];
        if (strcmp(u->name, name) == 0) {
            u->n++;
            return;
        }
    }
    if (fl->nups == UPSTREAMS_MAX) { /* (the slots never fill: twice the cap) */
        fl->ups_other++;
        return;
    }
    if (!fl->ups && !(fl->ups = calloc(UPSTREAMS_MAX, sizeof *fl->ups)))
        return;
    memcpy(fl->ups[fl->nups].name, name, sizeof name);
    fl->ups[fl->nups].n = 1;
    fl->upslot[i] = (uint16_t)++fl->nups;
}

void flight_incident(struct flight *fl, const struct why_incident *inc)
{
    if (!fl)
        return;
    fl->incidents++;
    const char *up = inc->upstream_host[0] ? inc->upstream_host : "";
    char ep[64];
    if (!up[0] && inc->upstream_addr.family)
        up = why_addr_str(&inc->upstream_addr, ep, sizeof ep);
    if (up[0])
        count_upstream(fl, up);
    if (!fl->exp)
        return;
    char err[4608];
    char *path = fl->last_evidence;
    path[0] = '\0';
    uint64_t drops = fl->live ? drops_since(fl, why_ts_add_us(inc->ts, -WHY_EXPORT_PAD_US)) : 0;
    if (why_export_incident(fl->exp, inc, fl->ring, drops, path, sizeof fl->last_evidence, err, sizeof err) < 0) {
        path[0] = '\0';
        /* one line for the first failure; later ones are counted in the summary */
        if (!fl->evidence_failed)
            fprintf(stderr, "why502: %s (further failures are counted in the summary)\n", err);
        fl->evidence_failed = true;
    }
}

void flight_evidence_link(const struct flight *fl, const char *html_path, char *buf, size_t size)
{
    buf[0] = '\0';
    if (!fl || !fl->last_evidence[0] || size == 0)
        return;
    /* relative to the HTML file's folder when both resolve, else the path as written */
    char dir[4096], file[4096];
    const char *slash = strrchr(html_path, '/');
    int dn = slash ? (int)(slash - html_path) : 1;
    snprintf(dir, sizeof dir, "%.*s", dn ? dn : 1, slash ? html_path : ".");
    char *rd = realpath(dir, NULL), *rf = realpath(fl->last_evidence, file);
    if (rd && rf) {
        size_t n = strlen(rd);
        if (strncmp(rd, file, n) == 0 && file[n] == '/')
            snprintf(buf, size, "%s", file + n + 1);
        else
            snprintf(buf, size, "%s", file);
    } else {
        snprintf(buf, size, "%s", fl->last_evidence);
    }
    free(rd);
}

/* ---- the live loop ---- */

struct live_ctx {
    struct flight *fl;
    struct why_session *s;
};

static void on_live_frame(void *ctx, const struct why_frame *f)
{
    struct live_ctx *lc = ctx;
    if (flight_count_done(lc->fl))
        return;
    flight_frame(lc->fl, f);
    why_session_frame(lc->s, f);
    if ((lc->fl->frames & 0xffff) == 0) /* (flight_frame counted this one) */
        why_heap_grown();
}

static void status_line(struct flight *fl)
{
    read_stats(fl);
    const struct why_summary *sum = why_session_summary(fl->s);
    fprintf(stderr,
            "why502: %" PRIu64 " packets, %" PRIu64 " dropped (kernel %" PRIu64 ", interface %" PRIu64 "), %" PRIu64
            " connections seen, %" PRIu64 " open, %" PRIu64 " incidents, memory %" PRIu64 " KiB",
            fl->frames, fl->ls.kernel_drops + fl->ls.iface_drops, fl->ls.kernel_drops, fl->ls.iface_drops,
            sum->tcp_conns, why_session_open_conns(fl->s), fl->incidents, status_field("VmRSS"));
    if (fl->ring) {
        struct why_ring_stats rs;
        why_ring_get_stats(fl->ring, &rs);
        fprintf(stderr, ", ring %" PRIu64 "/%" PRIu64 " KiB (%" PRIu64 " frames)", rs.bytes >> 10, rs.cap_bytes >> 10,
                rs.frames);
    }
    fputc('\n', stderr);
}

int flight_run(struct flight *fl, struct why_session *s, volatile sig_atomic_t *stop,
               volatile sig_atomic_t *status, FILE *out)
{
    fl->s = s;
    struct live_ctx lc = {fl, s};
    char err[512];
    while (!*stop && !flight_count_done(fl)) {
        if (*status) {
            *status = 0;
            status_line(fl);
        }
        if (fl->metrics_fd >= 0)
            metrics_serve(fl);
        if (why_live_wait(fl->live, 250) < 0 && errno != EINTR) {
            fprintf(stderr, "why502: waiting for packets: %s\n", strerror(errno));
            return WHY_EXIT_INPUT;
        }
        if (why_live_dispatch(fl->live, 10000, on_live_frame, &lc, err, sizeof err) < 0) {
            fprintf(stderr, "why502: %s\n", err);
            return WHY_EXIT_INPUT;
        }
        /* decide what waits when no packet comes: on a live capture the wall clock is
         * packet time */
        why_session_tick(s, wall_now());
        time_t t = time(NULL);
        if (t != fl->last_stats) {
            fl->last_stats = t;
            read_stats(fl);
        }
        fflush(out);
    }
    read_stats(fl);
    return 0;
}

/* ---- end ---- */

void flight_summary(struct flight *fl, FILE *out, bool json)
{
    if (!fl || (!fl->live && !fl->exp && !fl->o.wfile))
        return;
    struct why_export_stats es = {0};
    if (fl->exp)
        why_export_get_stats(fl->exp, &es);
    if (json) {
        fprintf(out, "{\"type\":\"capture\",\"live\":%s,\"packets\":%" PRIu64, fl->live ? "true" : "false", fl->frames);
        if (fl->live)
            fprintf(out, ",\"kernel_drops\":%" PRIu64 ",\"interface_drops\":%" PRIu64 ",\"capture_drops\":%" PRIu64
                         ",\"incidents_with_drops\":%" PRIu64,
                    fl->ls.kernel_drops, fl->ls.iface_drops, fl->ls.kernel_drops + fl->ls.iface_drops,
                    fl->incidents_dropped);
        if (fl->exp)
            fprintf(out, ",\"evidence_files\":%" PRIu64 ",\"evidence_bytes\":%" PRIu64 ",\"evidence_removed\":%" PRIu64
                         ",\"evidence_skipped\":%" PRIu64 ",\"evidence_failed\":%" PRIu64 ",\"evidence_missing_frames\":%" PRIu64
                         ",\"evidence_second_pass\":%" PRIu64,
                    es.written, es.bytes_written, es.removed, es.skipped, es.failed, es.missing, es.deferred);
        fputs("}\n", out);
        return;
    }
    if (fl->live)
        fprintf(out, "  live        %" PRIu64 " packets, %" PRIu64 " dropped by the kernel, %" PRIu64 " by the interface%s\n",
                fl->frames, fl->ls.kernel_drops, fl->ls.iface_drops,
                fl->ls.kernel_drops + fl->ls.iface_drops ? ": evidence may be incomplete" : "");
    if (fl->exp) {
        fprintf(out, "  evidence    %" PRIu64 " files (%" PRIu64 " bytes) in %s", es.written, es.bytes_written, fl->o.evidence_dir);
        if (es.removed)
            fprintf(out, ", %" PRIu64 " older removed (--evidence-max)", es.removed);
        if (es.skipped)
            fprintf(out, ", %" PRIu64 " larger than --evidence-max not kept", es.skipped);
        if (es.failed)
            fprintf(out, ", %" PRIu64 " could not be written", es.failed);
        if (es.deferred)
            fprintf(out, ", %" PRIu64 " cut again from the capture files (their frames had left the ring)", es.deferred);
        if (es.missing)
            fprintf(out, ", %" PRIu64 " evidence frames %s", es.missing,
                    fl->live ? "no longer in the ring" : "missing (named in their files)");
        fputc('\n', out);
    }
}

void flight_files_done(struct flight *fl, const char *const *paths, size_t npaths)
{
    if (!fl || fl->live || !fl->exp)
        return;
    char err[4608];
    if (why_export_second_pass(fl->exp, paths, npaths, err, sizeof err) < 0) {
        if (!fl->evidence_failed)
            fprintf(stderr, "why502: %s\n", err);
        fl->evidence_failed = true;
    }
}

const char *flight_drop_warning(struct flight *fl)
{
    if (!fl || !fl->live)
        return NULL;
    read_stats(fl);
    uint64_t d = fl->ls.kernel_drops + fl->ls.iface_drops;
    if (!d)
        return NULL;
    snprintf(fl->drop_warning, sizeof fl->drop_warning,
             "evidence may be incomplete: %" PRIu64 " packets dropped (kernel %" PRIu64 ", interface %" PRIu64
             "; %" PRIu64 " incidents decided while drops occurred)",
             d, fl->ls.kernel_drops, fl->ls.iface_drops, fl->incidents_dropped);
    return fl->drop_warning;
}

int flight_status(const struct flight *fl)
{
    return fl && (fl->evidence_failed || fl->rot.failed) ? WHY_EXIT_OUTPUT : 0;
}

void flight_free(struct flight *fl)
{
    if (!fl)
        return;
    rot_close(&fl->rot);
    if (fl->rot.dead)
        pcap_close(fl->rot.dead);
    why_live_free(fl->live);
    why_ring_free(fl->ring);
    why_export_free(fl->exp);
    if (fl->metrics_fd >= 0)
        close(fl->metrics_fd);
    free(fl->ups);
    free(fl);
}
