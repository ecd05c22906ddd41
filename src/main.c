/* why502 command line: reads captures, runs the session, writes the report.
 * One option table drives the parser, --help and the man page (--man), so they cannot
 * disagree. Exit statuses are those of enum why_exit (why502.h) and the man page. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture/filter.h"
#include "flight.h"
#include "report/report.h"
#include "util/heap.h"
#include "why502/why502.h"

enum opt_id {
    OPT_READ = 'r', OPT_JSON = 'j', OPT_OUT = 'o', OPT_GATEWAY = 'g', OPT_FILTER = 'f',
    OPT_QUIET = 'q', OPT_HELP = 'h', OPT_VERSION = 'V',
    OPT_IFACE = 'i', OPT_SNAPLEN = 's', OPT_BUFFER = 'B', OPT_COUNT = 'c', OPT_USER = 'Z',
    OPT_WRITE = 'w', OPT_FILESIZE = 'C', OPT_FILECOUNT = 'W',
    OPT_SETTLE = 256, OPT_NO_UNJOINED, OPT_EXHAUSTIVE, OPT_KEYLOG, OPT_COLOR, OPT_CAUSES, OPT_MAN,
    OPT_RING, OPT_EVIDENCE, OPT_EVIDENCE_MAX, OPT_METRICS,
    OPT_HTML, OPT_READ_AHEAD,
};

struct opt_def {
    int id;
    const char *lng;
    int has_arg;
    const char *arg;
    const char *help;
};

static const struct opt_def opts[] = {
    {OPT_READ, "read", 1, "FILE", "Read this capture (pcap or pcapng; '-' is standard input). May be given several times; plain arguments are read too. Several files are merged by time, as written by tcpdump -C/-G."},
    {OPT_JSON, "json", 0, NULL, "Write JSON Lines (one object per incident, then a summary object) instead of text. Fields: docs/json.md."},
    {OPT_OUT, "output", 1, "FILE", "Write the report to FILE instead of standard output."},
    {OPT_HTML, "html", 1, "FILE", "Also write a self-contained HTML report to FILE: a summary with a timeline of the failures, and for each one a ladder diagram of the packets that prove it (no script, no network access; opens from disk and prints)."},
    {OPT_GATEWAY, "gateway", 1, "ADDR[:PORT][,...]", "The gateway's addresses (all of them when it has one per side). By default they are found: the host the capture was taken on when the link layer tells direction (tcpdump -i any), else the host that both serves HTTP and opens connections."},
    {OPT_FILTER, "filter", 1, "EXPR", "Only frames matching this pcap-filter(7) expression (libpcap's compiler), e.g. 'host 198.18.1.2 or port 53'. Leaving out one leg of the gateway hides causes. With -i the words after the options are the filter too, as for tcpdump."},
    {OPT_IFACE, "interface", 1, "DEVICE", "Capture live on this device (may be given several times; 'any', the default when no capture file is given, is every device). Incidents are printed as soon as they are decided; Ctrl-C or SIGTERM decides what is pending, prints the summary and ends; SIGUSR1 prints a status line on standard error (packets, drops, connections seen and open, incidents, memory, ring). Packets the kernel or the interface dropped (pcap_stats) are named on every incident decided while drops occurred (JSON capture_drops) and in the summary: evidence may be incomplete."},
    {OPT_SNAPLEN, "snapshot-length", 1, "BYTES", "Live: keep at most this many bytes of each frame (default 262144, as tcpdump)."},
    {OPT_BUFFER, "buffer-size", 1, "KIB", "Live: the kernel's capture buffer per device, in KiB (as tcpdump -B; default libpcap's, 2048). On Linux libpcap makes it whole blocks of 256 KiB, each handed over when full or 100 ms after a packet came; with one block (up to 256 KiB) what arrives while why502 reads it is dropped. Raise it when the summary shows kernel drops."},
    {OPT_COUNT, "count", 1, "N", "Stop after N frames."},
    {OPT_USER, "relinquish-privileges", 1, "USER", "After opening the devices, the evidence directory, the -w file and the --metrics socket, change to this user before reading any packet. Started as root for a live capture without -Z, why502 changes to the user why502, or else nobody, and says which."},
    {OPT_RING, "ring", 1, "LIMITS", "Keep the last stretch of traffic in memory for --evidence: a duration, a size or both ('120s', '256M', '10m,1G'). Default 120s,256M: whichever is reached first evicts the oldest frames. The ring and the session's named caps bound the memory used."},
    {OPT_EVIDENCE, "evidence", 1, "DIR", "For each incident write DIR/TIME-ID-CAUSE.pcapng (created if missing): the frames of its connections (both legs), its DNS and ICMP frames, in its time window, with the summary and fix as the file's comment, each evidence frame's role as the frame's comment and, with --keylog, the TLS secrets of those connections (Wireshark opens it decrypted). Works for files and live capture. Live, frames that left the --ring before the incident was decided are named as missing in the file's comment; from capture files, such incidents are cut again by a second pass over the files at the end, so their files are complete (at most 4096 such incidents, and at most 512 MiB of their frames held at once; past that the file's comment says where it was cut)."},
    {OPT_EVIDENCE_MAX, "evidence-max", 1, "SIZE", "Keep at most SIZE ('500M', '2G') of .pcapng files in the --evidence directory: the oldest go first, counted in the summary."},
    {OPT_WRITE, "write", 1, "FILE", "Also write every frame read to FILE as tcpdump -w does: classic pcap (microsecond timestamps) of one link type; -i any gives Linux cooked v2 for every device. Devices of different link types are refused with one line (capture with -i any instead); from capture files, a frame of another link type than the first ends the -w file with one line."},
    {OPT_FILESIZE, "file-size", 1, "MB", "With -w: before writing a frame, start a new file when this one exceeds MB millions of bytes; files after the first are named FILE1, FILE2, ... (tcpdump -C). Files opened after the change of user (-Z) are created as that user."},
    {OPT_FILECOUNT, "file-count", 1, "N", "With -w -C: rotate through N files FILE0..FILE(N-1), overwriting the oldest; the number is padded with zeros to the digits of N-1 (-W 100: FILE00..FILE99), as tcpdump -W."},
    {OPT_METRICS, "metrics", 1, "ADDR:PORT", "Serve Prometheus text exposition at http://ADDR:PORT/metrics: incidents by cause and by upstream, packets, drops, connections seen and open now (why502_open_connections), ring and evidence use, memory."},
    {OPT_KEYLOG, "keylog", 1, "FILE", "Decrypt TLS with this key log (SSLKEYLOGFILE format, TLS 1.2 and 1.3): renegotiation requests are confirmed by type and HTTP inside HTTPS legs is diagnosed like HTTP in clear. A missing or partial key log is a warning; what cannot be decrypted is diagnosed without keys."},
    {OPT_SETTLE, "settle", 1, "SECONDS", "Packet-time wait after an answer before a request is decided (default 2), so late closing packets are counted. A request answered completely below 500, through an upstream request answered completely, is decided as soon as its answer is in (no closing packet changes its reading), unless a request still waiting could take what it claims."},
    {OPT_EXHAUSTIVE, "exhaustive", 0, NULL, "Join every request by scanning every record, without the request indexes and windows (a successful request is still settled as by default, its upstream request found by the scan): slow, obviously correct; the tests compare it with the default."},
    {OPT_READ_AHEAD, "read-ahead", 0, NULL, "Read capture files on a second thread, ahead of the analysis: less elapsed time where a core is spare or the file is not in the page cache, more CPU time in all (each block read moves between the two cores' caches). By default files are read on the analysis thread, one core in all."},
    {OPT_NO_UNJOINED, "no-unjoined", 0, NULL, "Report only failed requests: leave out DNS failures and failed connection attempts that no request was joined to."},
    {OPT_COLOR, "color", 1, "WHEN", "Colour in the text report: auto (default: when writing to a terminal), always, never."},
    {OPT_QUIET, "quiet", 0, NULL, "No progress and no warnings on standard error."},
    {OPT_CAUSES, "causes", 0, NULL, "Print the cause catalogue (Markdown) and exit."},
    {OPT_MAN, "man", 0, NULL, "Print this manual page (roff) and exit."},
    {OPT_HELP, "help", 0, NULL, "Show this help and exit."},
    {OPT_VERSION, "version", 0, NULL, "Show the version and exit."},
};
#define NOPTS (sizeof opts / sizeof opts[0])

static const char *const exits[][2] = {
    {"0", "No failed request found."},
    {"1", "At least one failed request (incident) found."},
    {"2", "Bad command line (also a filter that does not compile, a --ring below 1M, an unknown -Z user)."},
    {"3", "A capture could not be read at all (not a capture, cannot open; others given are still read), or a device could not be opened (no such device, no permission) or failed."},
    {"4", "The report, an evidence file or the -w capture could not be written, or the --metrics socket could not be opened (the rest of the report is still written; files already written stay complete)."},
    {"5", "Out of memory or an internal error."},
};

static void usage_line(FILE *o)
{
    fprintf(o, "usage: why502 [OPTIONS] [-r] CAPTURE...\n       why502 [OPTIONS] [-i DEVICE]... [FILTER WORDS]\n");
}

static void help(FILE *o)
{
    usage_line(o);
    fputs("Explains every request that failed at an HTTP gateway (502, 503, 504, 499, hangs) from a\n"
          "capture taken on it (tcpdump -s 0 -i any -w x.pcap): which client, which request, what\n"
          "the gateway answered, what it tried upstream, the cause, the frames that prove it, a fix.\n\n"
          "Options:\n",
          o);
    for (size_t i = 0; i < NOPTS; i++) {
        char left[64];
        if (opts[i].id < 256)
            snprintf(left, sizeof left, "-%c, --%s%s%s", opts[i].id, opts[i].lng, opts[i].arg ? " " : "",
                     opts[i].arg ? opts[i].arg : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", opts[i].lng, opts[i].arg ? " " : "",
                     opts[i].arg ? opts[i].arg : "");
        /* a long option name gets the help on the next line */
        if (strlen(left) > 28)
            fprintf(o, "  %s\n%31s", left, "");
        else
            fprintf(o, "  %-28s ", left);
        /* wrap the help text at 78 columns, no trailing blanks */
        const char *h = opts[i].help;
        int col = 31;
        bool first = true;
        while (*h) {
            const char *sp = strchr(h, ' ');
            size_t wl = sp ? (size_t)(sp - h) : strlen(h);
            if (col + (int)wl + 1 > 78 && !first) {
                fprintf(o, "\n%31s", "");
                col = 31;
            } else if (!first) {
                fputc(' ', o);
                col++;
            }
            fprintf(o, "%.*s", (int)wl, h);
            col += (int)wl;
            first = false;
            h += wl;
            while (*h == ' ')
                h++;
        }
        fputc('\n', o);
    }
    fputs("\nExit status: 0 nothing failed, 1 failures found, 2 usage, 3 unreadable capture,\n"
          "4 cannot write the report, 5 internal error. Causes: why502 --causes; man why502.\n",
          o);
}

static void roff_text(FILE *o, const char *s)
{
    for (; *s; s++) {
        if (*s == '-' || *s == '\\')
            fputc('\\', o);
        if (*s == '.' && s[-1] == '\n')
            fputs("\\&", o);
        fputc(*s, o);
    }
}

static void man(FILE *o)
{
    fputs(".\\\" Generated by why502 --man from the option table in src/main.c. Do not edit.\n"
          ".TH WHY502 1 \"\" \"why502 " WHY502_VERSION "\" \"User Commands\"\n"
          ".SH NAME\nwhy502 \\- explain failed requests at an HTTP gateway from a packet capture\n"
          ".SH SYNOPSIS\n.B why502\n[\\fIOPTIONS\\fR] [\\fB\\-r\\fR] \\fICAPTURE\\fR...\n"
          ".SH DESCRIPTION\n"
          "why502 reads a capture taken on or next to an HTTP gateway (forward proxy, reverse proxy,\n"
          "WAF, load balancer), for example with\n.B tcpdump \\-s 0 \\-i any \\-w x.pcap\n"
          "and reports every request that failed there: the client, the request, what the gateway\n"
          "answered, what it tried upstream (DNS queries, connection attempts, the upstream request),\n"
          "the cause named with an RFC 9209 Proxy\\-Status error type and a finer detail, the frame\n"
          "numbers that prove it, measured waits and a fix. It joins the client leg to the upstream\n"
          "leg in one streaming pass. HTTP/1.x and TLS are recognised by content on any port.\n"
          ".SH OPTIONS\n",
          o);
    for (size_t i = 0; i < NOPTS; i++) {
        fputs(".TP\n", o);
        if (opts[i].id < 256)
            fprintf(o, ".BR \\-%c \", \" \\-\\-", opts[i].id);
        else
            fputs(".B \\-\\-", o);
        roff_text(o, opts[i].lng);
        if (opts[i].arg) {
            fputs(" \" \" \\fI", o);
            roff_text(o, opts[i].arg);
            fputs("\\fR", o);
        }
        fputc('\n', o);
        roff_text(o, opts[i].help);
        fputc('\n', o);
    }
    fputs(".SH OUTPUT\nThe text report has one block per failed request (cause, detail, timings, evidence\n"
          "frames, fix) and a summary. With \\fB\\-\\-json\\fR each incident is one JSON object per line;\n"
          "the fields are documented in docs/json.md. Output is deterministic: times are UTC and ids\n"
          "follow the order in which incidents are decided. Where the packets fit another pairing of\n"
          "parallel failures as well (requests failed at once, to servers nothing in the packets\n"
          "names), the block adds each other reading on an \\fBor\\fR line (JSON \\fBalternatives\\fR):\n"
          "the cause is the one named or one of those.\n"
          ".SH CAUSES\nEach cause is listed by \\fBwhy502 \\-\\-causes\\fR and in docs/causes.md.\n"
          ".SH EXIT STATUS\n",
          o);
    for (size_t i = 0; i < sizeof exits / sizeof exits[0]; i++)
        fprintf(o, ".TP\n.B %s\n%s\n", exits[i][0], exits[i][1]);
    fputs(".SH EXAMPLES\n.nf\ntcpdump \\-s 0 \\-i any \\-w x.pcap    # on the gateway, while the problem happens\n"
          "why502 x.pcap\nwhy502 \\-\\-json x.pcap | jq 'select(.type==\"incident\")'\n"
          "why502 \\-\\-gateway 198.18.1.1,198.19.0.1 x.pcap\n"
          "why502 \\-i any \\-\\-evidence /var/lib/why502 \\-\\-evidence\\-max 2G   # flight recorder\n"
          "why502 \\-\\-evidence out x.pcap    # one pcapng per failed request\n.fi\n"
          ".SH NOTES\nwhy502 asks the kernel for transparent huge pages for its heap (madvise\n"
          "MADV_HUGEPAGE, with glibc's malloc): what it keeps is touched a little at a time all over,\n"
          "and a TLB miss is dear, most of all in a virtual machine. Where\n"
          "/sys/kernel/mm/transparent_hugepage/enabled says never, the advice is ignored and nothing\n"
          "else changes. Peak memory is a few MiB more than without it.\n"
          ".SH SEE ALSO\n.BR tcpdump (1),\n.BR pcap\\-filter (7)\n",
          o);
}

static void causes_md(FILE *o)
{
    size_t n;
    const struct why_cause *c = why_causes(&n);
    fputs("# Cause catalogue\n\n"
          "Every cause why502 can name. `error` is the RFC 9209 Proxy-Status error type (none where\n"
          "RFC 9209 has no type for it); `detail` is why502's finer cause, the `detail` field of the\n"
          "JSON output; `kind` says who the cause lies with. Generated by `why502 --causes`.\n\n"
          "| detail | error | kind | seen in the traffic | fix (template) |\n"
          "|---|---|---|---|---|\n",
          o);
    for (size_t i = 0; i < n; i++)
        fprintf(o, "| `%s` | %s | %s | %s | %s |\n", c[i].detail, c[i].error ? c[i].error : "-",
                c[i].kind, c[i].seen, c[i].fix);
}

/* ---- running ---- */

static volatile sig_atomic_t stop_requested, status_requested;
static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        status_requested = 1;
    else
        stop_requested = 1;
}

struct cli {
    FILE *out;
    bool json;
    struct why_text_opts topts;
    const char *const *files;
    bool write_failed;
    struct why_html *html;
    const char *htmlpath;
    struct flight *fl;
};

static void sink_incident(void *ctx, const struct why_incident *inc)
{
    struct cli *c = ctx;
    struct why_incident annotated;
    inc = flight_annotate(c->fl, inc, &annotated);
    if (c->json)
        why_json_incident(c->out, inc, c->files);
    else
        why_text_incident(c->out, inc, &c->topts);
    if (ferror(c->out))
        c->write_failed = true;
    flight_incident(c->fl, inc); /* first: the HTML links the evidence file it writes */
    if (c->html && why_html_incident(c->html, inc) < 0)
        c->write_failed = true;
}

/* The HTML report's link to an incident's evidence file (--evidence with --html). */
static void html_evidence_name(void *ctx, const struct why_incident *inc, char *buf, size_t size)
{
    const struct cli *c = ctx;
    (void)inc; /* called right after that incident's evidence file was written */
    flight_evidence_link(c->fl, c->htmlpath, buf, size);
}

/* The live and evidence options into fo: 1 when c was one of them, 0 when not, -1 after a
 * message for a bad value. */
static int flight_option(int c, const char *arg, struct flight_opts *fo)
{
    char *end;
    unsigned long long v = 0;
    char err[256];
    bool number = c == OPT_SNAPLEN || c == OPT_BUFFER || c == OPT_COUNT || c == OPT_FILESIZE || c == OPT_FILECOUNT;
    if (number) {
        errno = 0;
        v = strtoull(arg, &end, 10);
        if (!*arg || *end || errno || v > (c == OPT_COUNT ? UINT64_MAX / 2 : 1u << 30) || (v == 0 && c != OPT_COUNT)) {
            fprintf(stderr, "why502: -%c: '%s' is not a positive number\n", c, arg);
            return -1;
        }
    }
    switch (c) {
    case OPT_IFACE:
        if (fo->ndevices == WHY_LIVE_DEVICES_MAX) {
            fprintf(stderr, "why502: -i: at most %d devices\n", WHY_LIVE_DEVICES_MAX);
            return -1;
        }
        fo->devices[fo->ndevices++] = arg;
        fo->live = true;
        return 1;
    case OPT_SNAPLEN: fo->snaplen = (int)v; return 1;
    case OPT_BUFFER: fo->buffer_bytes = (int)(v * 1024 > INT32_MAX ? INT32_MAX : v * 1024); return 1;
    case OPT_COUNT: fo->count = v; return 1;
    case OPT_USER: fo->user = arg; return 1;
    case OPT_WRITE: fo->wfile = arg; return 1;
    case OPT_FILESIZE: fo->wsize = v * 1000000; return 1;
    case OPT_FILECOUNT: fo->wcount = (unsigned)v; return 1;
    case OPT_EVIDENCE: fo->evidence_dir = arg; return 1;
    case OPT_METRICS: fo->metrics = arg; return 1;
    case OPT_EVIDENCE_MAX:
        if (flight_parse_size(arg, &fo->evidence_max) < 0 || !fo->evidence_max) {
            fprintf(stderr, "why502: --evidence-max: '%s' is not a size (e.g. 500M, 2G)\n", arg);
            return -1;
        }
        return 1;
    case OPT_RING:
        if (flight_parse_ring(arg, &fo->ring_bytes, &fo->ring_us, err, sizeof err) < 0) {
            fprintf(stderr, "why502: %s\n", err);
            return -1;
        }
        return 1;
    default: return 0;
    }
}

/* Joins the words after the options into one filter (tcpdump's trailing expression). */
static char *join_words(char **w, int n)
{
    size_t len = 1;
    for (int i = 0; i < n; i++)
        len += strlen(w[i]) + 1;
    char *s = calloc(len, 1);
    for (int i = 0; s && i < n; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, w[i]);
    }
    return s;
}

/* main's body: `files` (room for every argument) and the joined filter words are main's,
 * freed there on every way out. */
static int run(int argc, char **argv, const char **files, char **words)
{
    struct option lopts[NOPTS + 1];
    char short_opts[64] = "";
    size_t so = 0;
    for (size_t i = 0; i < NOPTS; i++) {
        lopts[i] = (struct option){opts[i].lng, opts[i].has_arg ? required_argument : no_argument, NULL, opts[i].id};
        if (opts[i].id < 256) {
            short_opts[so++] = (char)opts[i].id;
            if (opts[i].has_arg)
                short_opts[so++] = ':';
        }
    }
    lopts[NOPTS] = (struct option){NULL, 0, NULL, 0};

    size_t nfiles = 0;
    const char *outpath = NULL, *color = "auto", *htmlpath = NULL;
    bool json = false, quiet = false, read_ahead = false;
    struct why_options wo;
    why_options_init(&wo);
    const char *filter_expr = NULL;
    struct flight_opts fo = {.ring_bytes = WHY_RING_DEFAULT_BYTES, .ring_us = WHY_RING_DEFAULT_US};
    int c;
    while ((c = getopt_long(argc, argv, short_opts, lopts, NULL)) != -1) {
        switch (c) {
        case OPT_READ: files[nfiles++] = optarg; break;
        case OPT_JSON: json = true; break;
        case OPT_OUT: outpath = optarg; break;
        case OPT_HTML: htmlpath = optarg; break;
        case OPT_GATEWAY: wo.gateways = optarg; break;
        case OPT_FILTER: filter_expr = optarg; break;
        case OPT_QUIET: quiet = true; break;
        case OPT_NO_UNJOINED: wo.include_unjoined = false; break;
        case OPT_EXHAUSTIVE: wo.exhaustive = true; break;
        case OPT_READ_AHEAD: read_ahead = true; break;
        case OPT_KEYLOG: wo.keylog = optarg; break;
        case OPT_COLOR: color = optarg; break;
        case OPT_SETTLE: {
            char *end;
            double v = strtod(optarg, &end);
            if (*end || v < 0 || v > 3600) {
                fprintf(stderr, "why502: --settle: '%s' is not a number of seconds (0..3600)\n", optarg);
                return WHY_EXIT_USAGE;
            }
            wo.settle_us = (int64_t)(v * 1e6);
            break;
        }
        case OPT_CAUSES: causes_md(stdout); return WHY_EXIT_OK;
        case OPT_MAN: man(stdout); return WHY_EXIT_OK;
        case OPT_HELP: help(stdout); return WHY_EXIT_OK;
        case OPT_VERSION: printf("why502 %s\n", WHY502_VERSION); return WHY_EXIT_OK;
        default:
            if ((c = flight_option(c, optarg, &fo)) != 0) {
                if (c > 0)
                    break;
                return WHY_EXIT_USAGE;
            }
            usage_line(stderr);
            fputs("Try 'why502 --help'.\n", stderr);
            return WHY_EXIT_USAGE;
        }
    }
    if (fo.live && optind < argc) { /* tcpdump's trailing filter words */
        if (filter_expr) {
            fputs("why502: give the filter either with -f or as trailing words, not both\n", stderr);
            return WHY_EXIT_USAGE;
        }
        filter_expr = *words = join_words(argv + optind, argc - optind);
    } else {
        for (int i = optind; i < argc; i++)
            files[nfiles++] = argv[i];
    }
    if (nfiles == 0)
        fo.live = true; /* no capture file: capture live, on 'any' unless -i says otherwise */
    if (fo.live && nfiles) {
        fputs("why502: -i and capture files cannot be mixed\n", stderr);
        return WHY_EXIT_USAGE;
    }
    if (fo.live && read_ahead) {
        fputs("why502: --read-ahead reads capture files, not -i\n", stderr);
        return WHY_EXIT_USAGE;
    }
    if ((fo.wsize || fo.wcount) && !fo.wfile) {
        fputs("why502: -C and -W go with -w FILE\n", stderr);
        return WHY_EXIT_USAGE;
    }
    if (fo.wcount && !fo.wsize) {
        fputs("why502: -W needs -C (the size at which files rotate)\n", stderr);
        return WHY_EXIT_USAGE;
    }
    fo.filter = filter_expr;
    fo.keylog = wo.keylog;
    fo.quiet = quiet;
    if (strcmp(color, "auto") && strcmp(color, "always") && strcmp(color, "never")) {
        fprintf(stderr, "why502: --color: '%s' is not auto, always or never\n", color);
        return WHY_EXIT_USAGE;
    }

    /* from here every exit goes through `done`, which frees what was made */
    char err[512] = "";
    int rc = WHY_EXIT_OK;
    struct why_filter *filt = NULL;
    struct why_reader *r = NULL;
    struct why_session *s = NULL;
    FILE *out = stdout, *html = NULL;
    const char **warn = NULL;
    struct cli cli = {.json = json, .files = files, .htmlpath = htmlpath};
    if (filter_expr && !(filt = why_filter_new(filter_expr))) {
        fprintf(stderr, "why502: out of memory\n");
        rc = WHY_EXIT_INTERNAL;
        goto done;
    }
    if (!fo.live && (read_ahead ? why_reader_open_ahead(&r, files, nfiles, WHY_READAHEAD_BLOCK, err, sizeof err)
                                : why_reader_open(&r, files, nfiles, err, sizeof err)) < 0) {
        fprintf(stderr, "why502: %s\n", err);
        rc = WHY_EXIT_INPUT;
        goto done;
    }
    if (outpath && !(out = fopen(outpath, "w"))) {
        out = stdout;
        fprintf(stderr, "why502: %s: %s\n", outpath, strerror(errno));
        rc = WHY_EXIT_OUTPUT;
        goto done;
    }
    cli.out = out;
    if (htmlpath && (!(html = fopen(htmlpath, "w")) ||
                     !(cli.html = why_html_new(html, &(struct why_html_opts){
                         .files = files, .nfiles = nfiles, .evidence_ctx = &cli,
                         .evidence_name = fo.evidence_dir ? html_evidence_name : NULL})))) {
        fprintf(stderr, "why502: %s: %s\n", htmlpath, strerror(errno));
        rc = WHY_EXIT_OUTPUT;
        goto done;
    }
    cli.topts.color = !strcmp(color, "always") || (!strcmp(color, "auto") && !json && isatty(fileno(out)));
    cli.topts.files = files;
    cli.topts.nfiles = nfiles;
    struct why_sink sink = {&cli, sink_incident};
    if (why_options_check(&wo, err, sizeof err) < 0) {
        fprintf(stderr, "why502: %s\n", err);
        rc = WHY_EXIT_USAGE;
        goto done;
    }
    if (!(s = why_session_new(&wo, &sink, err, sizeof err))) { /* the options passed: only memory is left to fail */
        fprintf(stderr, "why502: %s\n", err);
        rc = WHY_EXIT_INTERNAL;
        goto done;
    }
    if ((rc = flight_start(&cli.fl, &fo)) != 0) /* devices, evidence, then the privilege drop */
        goto done;
    if (fo.live)
        setvbuf(out, NULL, _IOLBF, 0); /* each incident as soon as it is decided */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);

    bool progress = !quiet && isatty(STDERR_FILENO);
    time_t last_progress = time(NULL);
    struct why_frame fr;
    enum why_read_status st = WHY_READ_EOF;
    uint64_t n = 0; /* frames read */
    if (fo.live)
        rc = flight_run(cli.fl, s, &stop_requested, &status_requested, out);
    while (!fo.live && !stop_requested && !flight_count_done(cli.fl) &&
           (st = why_reader_next(r, &fr)) == WHY_READ_FRAME) {
        int m = filt ? why_filter_match(filt, &fr, err, sizeof err) : 1;
        if (m < 0) {
            fprintf(stderr, "why502: %s\n", err);
            rc = WHY_EXIT_USAGE;
            goto done;
        }
        if (m) {
            flight_frame(cli.fl, &fr);
            why_session_frame(s, &fr);
        }
        if ((++n & 0xffff) != 0)
            continue;
        why_heap_grown(); /* the heap's part past its first step (util/heap.h) */
        if (progress && time(NULL) != last_progress) {
            uint64_t done, total;
            why_reader_progress(r, &done, &total);
            last_progress = time(NULL);
            if (total)
                fprintf(stderr, "\rwhy502: %3.0f%% (%" PRIu64 " frames)", 100.0 * (double)done / (double)total, n);
            else
                fprintf(stderr, "\rwhy502: %" PRIu64 " frames", n);
        }
    }
    if (progress && n >= 0x10000)
        fputs("\r\033[K", stderr);
    if (!stop_requested && st == WHY_READ_ERROR) {
        fprintf(stderr, "why502: %s\n", why_reader_error(r));
        rc = WHY_EXIT_INPUT;
    }
    why_session_finish(s);
    flight_files_done(cli.fl, files, nfiles); /* also after -c, Ctrl-C or a read error: every
                                                  incident decided gets its file */
    size_t nwarn = 0;
    const char *const *rwarn = r ? why_reader_warnings(r, &nwarn) : NULL;
    /* the reader's warnings, then the live capture's drops */
    if (!(warn = calloc(nwarn + 1, sizeof *warn))) {
        fputs("why502: out of memory\n", stderr);
        rc = WHY_EXIT_INTERNAL;
        goto done;
    }
    for (size_t i = 0; i < nwarn; i++)
        warn[i] = rwarn[i];
    if ((warn[nwarn] = flight_drop_warning(cli.fl)) != NULL)
        nwarn++;
    if (!quiet)
        for (size_t i = 0; i < nwarn; i++)
            fprintf(stderr, "why502: warning: %s\n", warn[i]);
    const struct why_summary *sum = why_session_summary(s);
    if (!quiet && sum->keylog_warning[0])
        fprintf(stderr, "why502: warning: keylog: %s\n", sum->keylog_warning);
    if (json)
        why_json_summary(out, sum, warn, nwarn);
    else
        why_text_summary(out, sum, warn, nwarn, &cli.topts);
    flight_summary(cli.fl, out, json);
    if (cli.html) {
        bool html_failed = why_html_finish(cli.html, sum, warn, nwarn) < 0;
        if (fclose(html) != 0 || html_failed)
            cli.write_failed = true;
        html = NULL;
    }
    if (fflush(out) != 0 || ferror(out) || cli.write_failed) {
        fprintf(stderr, "why502: cannot write the report: %s\n", strerror(errno));
        rc = WHY_EXIT_OUTPUT;
    }
    if (rc == WHY_EXIT_OK && flight_status(cli.fl))
        rc = flight_status(cli.fl);
    if (rc == WHY_EXIT_OK && sum->failed)
        rc = WHY_EXIT_FOUND;
done:
    why_session_free(s);
    flight_free(cli.fl);
    why_reader_free(r);
    why_filter_free(filt);
    why_html_free(cli.html);
    if (html)
        fclose(html);
    if (out != stdout)
        fclose(out);
    free(warn);
    return rc;
}

int main(int argc, char **argv)
{
    why_heap_huge(); /* before anything is allocated (util/heap.h) */
    const char **files = calloc((size_t)argc + 1, sizeof *files);
    if (!files) {
        fputs("why502: out of memory\n", stderr);
        return WHY_EXIT_INTERNAL;
    }
    char *words = NULL;
    int rc = run(argc, argv, files, &words);
    free(words);
    free(files);
    return rc;
}
