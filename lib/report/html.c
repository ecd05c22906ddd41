/* HTML writer: one self-contained page (inline CSS and SVG, no script, no network access: a
 * Content-Security-Policy allows only the page's own style block, by hash). A summary with a
 * timeline of the capture, then one section per incident with its ladder diagram
 * (html_ladder.c). Incidents are rendered as they come into a temporary file; the page groups
 * them by cause and upstream at the end. Every wire string goes through why_esc_html
 * (escape.c) only. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "report/html.h"

/* ---- layout ---- */
#define TIMELINE_W 900
#define TIMELINE_H 64
/* Sections open when there are few: every incident up to OPEN_ALL_MAX, the groups (each
 * incident closed) up to GROUPS_OPEN_MAX. */
#define OPEN_ALL_MAX 30
#define GROUPS_OPEN_MAX 200
/* Full sections (facts, ladder, evidence) per group and in all; the other members of a group
 * are one line each (time, client, request, answer, frames): their ladder has the shape of the
 * group's first ones, and a page of 10,000 ladders takes Chromium half a minute to load. */
#define FULL_PER_GROUP 10
#define FULL_MAX 500
#define UPSTREAM_ROWS_MAX 50 /* hosts in the "by upstream" table; the rest are counted */

static const char CSS[] =
    ":root{--fg:#1d1d1f;--mute:#666;--line:#d0d0d6;--bad:#c0172b;--dns:#7a3ea1;--cli:#1f5fa8}"
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);"
    "margin:0 auto;max-width:1200px;padding:0 16px 40px}"
    "h1{font-size:22px;margin:18px 0 6px}h2{font-size:17px;margin:22px 0 6px;border-bottom:1px solid var(--line)}"
    "table{border-collapse:collapse}th,td{text-align:left;vertical-align:top;padding:2px 10px 2px 0}"
    "th{color:var(--mute);font-weight:600;white-space:nowrap}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "code,.mono{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:12.5px}"
    ".x{background:#ffe9a8;color:#6b3d00;border-radius:2px;font-family:monospace}"
    "tspan.x{fill:#8a4b00;font-family:monospace}"
    "details{margin:4px 0}summary{cursor:pointer}"
    "details.grp{border:1px solid var(--line);border-radius:6px;padding:4px 10px}"
    "details.grp>summary{font-weight:600}"
    "details.inc{border-top:1px solid var(--line);padding:4px 0}"
    "details.inc>summary{overflow-wrap:anywhere}"
    "ol.rows{list-style:none;padding:0;margin:4px 0}ol.rows li{border-top:1px solid var(--line);padding:2px 0;overflow-wrap:anywhere}"
    ".err{color:var(--bad);font-weight:600}.fix{color:#11622b}.mute{color:var(--mute)}"
    ".facts td{overflow-wrap:anywhere}"
    "svg.ladder{display:block;margin:8px 0;max-width:100%;height:auto;font:11px system-ui,sans-serif}"
    "svg.ladder .lh{font-weight:700;font-size:12px;text-anchor:middle}"
    "svg.ladder .la{fill:var(--mute);text-anchor:middle;font-size:10.5px}"
    "svg.ladder .ll{stroke:#9a9aa5;stroke-dasharray:3 3}"
    "svg.ladder .t{fill:var(--mute);font-size:10.5px}"
    "svg.ladder .arrow line,svg.ladder .arrow path{stroke:#3a3a40;stroke-width:1.4;fill:none}"
    "svg.ladder .arrow text{fill:var(--fg);text-anchor:middle}"
    "svg.ladder .arrow.self text{text-anchor:start}"
    "svg.ladder .c-dns line,svg.ladder .c-dns path{stroke:var(--dns)}"
    "svg.ladder .c-cli line,svg.ladder .c-cli path{stroke:var(--cli)}"
    "svg.ladder .arrow.fail line,svg.ladder .arrow.fail path{stroke:var(--bad);stroke-width:2.6}"
    "svg.ladder .arrow.fail text{fill:var(--bad);font-weight:700}"
    "svg.ladder .brk rect{fill:#fff6dc;stroke:#d9b44a;stroke-dasharray:5 3}"
    "svg.ladder .brk text{fill:#6b4e00;text-anchor:middle;font-weight:600}"
    "svg.ladder .brk.fail rect{fill:#fde4e7;stroke:var(--bad)}svg.ladder .brk.fail text{fill:var(--bad)}"
    "svg.tl{display:block;max-width:100%;height:auto;font:11px system-ui,sans-serif}"
    "svg.tl .ax{stroke:#888}svg.tl text{fill:var(--mute)}svg.tl .m{fill:var(--bad)}"
    "svg.tl .m.ik-origin{fill:#d9822b}svg.tl .m.ik-client{fill:#888}svg.tl .m.ik-capture{fill:#999}"
    "svg.tl .m.ik-unjoined{fill:var(--dns)}"
    "svg.bar rect{fill:var(--bad)}svg.bar{vertical-align:middle}"
    ".ev td{padding-right:14px}.ev .fail td{color:var(--bad);font-weight:600}"
    ".encap{color:var(--mute);font-size:90%}"
    "svg.defs{position:absolute;width:0;height:0;overflow:hidden}"
    "@media print{body{max-width:none;font-size:11px}code,.mono{font-size:10px}details.inc,svg.ladder{break-inside:avoid}"
    "a{color:inherit;text-decoration:none}}";

struct hent {                  /* one incident kept for the page */
    uint64_t id;
    struct why_ts ts;
    enum why_kind kind;
    uint32_t group;
    long off;                  /* its rendered section in the temporary file, bytes */
    size_t len, head;          /* section length; length of its opening tag before " open" */
    bool row;                  /* a one-line member, not a full section */
};

struct hgroup {                /* incidents with one cause and one upstream */
    const char *error, *detail; /* the catalogue's strings (static) */
    char upstream[256];        /* upstream host, else address, "" when none */
    enum why_kind kind;
    uint64_t count, first_id;
};

struct why_html {
    FILE *out, *tmp;
    struct why_html_opts o;
    struct hent *ents;
    size_t nents, cap_ents, nfull;
    uint64_t left_out;         /* incidents past WHY_HTML_INCIDENTS_MAX */
    struct hgroup *groups;
    size_t ngroups, cap_groups;
    uint32_t *slots;           /* open-addressing table of group index + 1, 0 = empty */
    size_t nslots;
    bool failed;
};

/* ---- small writers ---- */

static void esc(FILE *o, const char *s) { why_esc_html(o, WHY_HTML_TEXT, s); }

static const char *kind_class(enum why_kind k) { return why_kind_name(k); }

/* ---- one incident ---- */

static void row_start(FILE *o, const char *th) { fprintf(o, "<tr><th>%s</th><td>", th); }

static void evidence_table(FILE *o, const struct why_incident *inc, const struct why_html_opts *opt)
{
    int fail = why_html_failing_step(inc);
    char t[32];
    fprintf(o, "<details class=\"evd\"><summary>%u evidence item%s</summary><table class=\"ev\">"
               "<tr><th>frame</th><th>time</th><th>kind</th><th>from</th><th>to</th><th>what</th></tr>",
            inc->nevidence, inc->nevidence == 1 ? "" : "s");
    for (uint32_t i = 0; i < inc->nevidence && i < WHY_EVIDENCE_MAX; i++) {
        const struct why_evidence *e = &inc->evidence[i];
        fprintf(o, "<tr%s><td class=\"n mono\">", (int)i == fail ? " class=\"fail\"" : "");
        if (opt->nfiles > 1 && e->file < opt->nfiles) {
            esc(o, opt->files[e->file]);
            fputc(' ', o);
        }
        fprintf(o, "%" PRIu64 "</td><td class=\"n mono\">%s</td><td>%s</td><td>%s</td><td>%s</td><td>", e->frame,
                why_html_dur(why_ts_diff_us(inc->ts, e->ts), true, t, sizeof t), why_evidence_kind_name(e->kind),
                why_actor_name(e->from), why_actor_name(e->to));
        esc(o, e->what);
        if (e->encap && e->encap <= inc->nencaps) { /* a tunnelled frame: its outer layers */
            fputs(" <span class=\"encap\">via ", o);
            esc(o, inc->encaps[e->encap - 1]);
            fputs("</span>", o);
        }
        fputs("</td></tr>", o);
    }
    fputs("</table></details>", o);
}

/* The section of one incident, from its opening <details> tag (whose first head bytes are
 * the part before where " open" may go). */
static void incident_section(FILE *o, const struct why_incident *inc, const struct why_html_opts *opt,
                             size_t *head)
{
    char ts[40], a[64], b[64], t[32];
    long start = ftell(o);
    fprintf(o, "<details class=\"inc ik-%s\" id=\"i%" PRIu64 "\"", kind_class(inc->kind), inc->id);
    *head = (size_t)(ftell(o) - start);
    fprintf(o, "><summary><b>#%" PRIu64 "</b> <span class=\"mono\">%s</span> <span class=\"err\">%s</span> (%s)",
            inc->id, why_ts_format(inc->ts, ts, sizeof ts), inc->error ? inc->error : "-", inc->detail);
    if (inc->method[0]) {
        fputs(" \xc2\xb7 <code>", o);
        esc(o, inc->method);
        fputc(' ', o);
        why_html_text_cut(o, WHY_HTML_TEXT, inc->url, 140);
        fputs("</code>", o);
    } else if (inc->upstream_host[0]) {
        fputs(" \xc2\xb7 <code>", o);
        why_html_text_cut(o, WHY_HTML_TEXT, inc->upstream_host, 140);
        fputs("</code>", o);
    }
    if (inc->status)
        fprintf(o, " \xe2\x86\x92 %d", inc->status);
    fputs("</summary><table class=\"facts\">", o);
    row_start(o, "cause");
    esc(o, inc->summary);
    fprintf(o, " <span class=\"mute\">[%s]</span></td></tr>", why_kind_name(inc->kind));
    if (inc->detail_text[0]) {
        row_start(o, "detail");
        fputs("<code>", o);
        esc(o, inc->detail_text);
        fputs("</code></td></tr>", o);
    }
    for (uint32_t k = 0; k < inc->nalt; k++) {
        /* another reading the packets fit as well (parallel failures paired another way) */
        const struct why_alternative *alt = &inc->alt[k];
        row_start(o, "or");
        esc(o, alt->summary);
        fprintf(o, " <span class=\"mute\">[%s (%s): ", alt->error ? alt->error : "-", alt->detail);
        esc(o, alt->why);
        for (uint32_t i = 0; i < alt->nframes; i++)
            fprintf(o, "%s%" PRIu64, i ? ", " : "; frames ", alt->frames[i]);
        fputs("]</span></td></tr>", o);
    }
    if (inc->has_client) {
        row_start(o, "client");
        fprintf(o, "%s \xe2\x86\x92 %s %s</td></tr>", why_endpoint_str(&inc->client_addr, inc->client_port, a, sizeof a),
                inc->via_gateway ? "gateway" : "server",
                why_endpoint_str(&inc->gateway_addr, inc->gateway_port, b, sizeof b));
        row_start(o, "request");
        if (inc->method[0]) {
            fputs("<code>", o);
            esc(o, inc->method);
            fputc(' ', o);
            esc(o, inc->url);
            fputs("</code>", o);
        } else if (inc->tls_unfinished) {
            fputs("none: the TLS handshake failed", o);
        } else {
            fputs("encrypted (TLS): --keylog shows it", o);
        }
        if (inc->sni[0]) {
            fputs(" \xc2\xb7 SNI <code>", o);
            esc(o, inc->sni);
            fputs("</code>", o);
        }
        fprintf(o, " <span class=\"mute\">frame %" PRIu64 "</span></td></tr>", inc->request_frame);
        row_start(o, "answer");
        if (inc->status)
            fprintf(o, "<b>%d</b>", inc->status);
        else
            fputs("none", o);
        if (inc->response_frame)
            fprintf(o, " <span class=\"mute\">frame %" PRIu64 "</span>", inc->response_frame);
        if (inc->server[0]) {
            fputs(" \xc2\xb7 Server: <code>", o);
            esc(o, inc->server);
            fputs("</code>", o);
        }
        fputs("</td></tr>", o);
        if (inc->claim[0]) {
            row_start(o, "gateway says");
            fputs("<q>", o);
            esc(o, inc->claim);
            fputs("</q></td></tr>", o);
        }
    }
    if (inc->has_upstream || inc->upstream_host[0]) {
        row_start(o, "upstream");
        if (inc->has_upstream)
            fputs(why_endpoint_str(&inc->upstream_addr, inc->upstream_port, a, sizeof a), o);
        if (inc->upstream_host[0]) {
            fputs(" <code>", o);
            esc(o, inc->upstream_host);
            fputs("</code>", o);
        }
        if (inc->attempts)
            fprintf(o, " \xc2\xb7 %u connection attempt%s", inc->attempts, inc->attempts == 1 ? "" : "s");
        if (inc->upstream_status)
            fprintf(o, " \xc2\xb7 answered %d", inc->upstream_status);
        if (inc->first_len) {
            fputs(" \xc2\xb7 first bytes <code>", o);
            why_esc_html_n(o, WHY_HTML_TEXT, inc->first_bytes, inc->first_len < 32 ? inc->first_len : 32);
            fputs("</code>", o);
        }
        fputs("</td></tr>", o);
    }
    row_start(o, "timing");
    static const char *const tn[] = {"dns", "connect", "first byte", "wait", "total"};
    const int64_t tv[] = {inc->dns_us, inc->connect_us, inc->first_byte_us, inc->wait_us, inc->total_us};
    for (int i = 0; i < 5; i++)
        fprintf(o, "%s%s %s", i ? " \xc2\xb7 " : "", tn[i], tv[i] < 0 ? "\xe2\x80\x93" : why_html_dur(tv[i], false, t, sizeof t));
    fputs("</td></tr>", o);
    row_start(o, "fix");
    fputs("<span class=\"fix\">", o);
    esc(o, inc->fix);
    fputs("</span></td></tr>", o);
    if (opt->evidence_name) {
        char path[1024] = "";
        opt->evidence_name(opt->evidence_ctx, inc, path, sizeof path);
        if (path[0]) {
            row_start(o, "evidence");
            fputs("<a href=\"", o);
            why_esc_html(o, WHY_HTML_ATTR, path);
            fputs("\" download>", o);
            esc(o, path);
            fputs("</a> <span class=\"mute\">(pcapng)</span></td></tr>", o);
        }
    }
    fputs("</table>", o);
    why_html_ladder(o, inc, opt->nfiles);
    evidence_table(o, inc, opt);
    fputs("</details>\n", o);
}

/* One line for a member of a large group: what tells it apart from the others. */
static void incident_row(FILE *o, const struct why_incident *inc)
{
    char ts[40], a[64], t[32];
    fprintf(o, "<li id=\"i%" PRIu64 "\"><b>#%" PRIu64 "</b> <span class=\"mono\">%s</span>", inc->id, inc->id,
            why_ts_format(inc->ts, ts, sizeof ts));
    if (inc->has_client)
        fprintf(o, " %s", why_endpoint_str(&inc->client_addr, inc->client_port, a, sizeof a));
    if (inc->method[0]) {
        fputs(" <code>", o);
        esc(o, inc->method);
        fputc(' ', o);
        why_html_text_cut(o, WHY_HTML_TEXT, inc->url, 120);
        fputs("</code>", o);
    }
    if (inc->status)
        fprintf(o, " \xe2\x86\x92 %d", inc->status);
    if (inc->wait_us >= 0)
        fprintf(o, " \xc2\xb7 wait %s", why_html_dur(inc->wait_us, false, t, sizeof t));
    fputs(" <span class=\"mute\">frames", o);
    for (uint32_t i = 0; i < inc->nevidence && i < WHY_EVIDENCE_MAX; i++)
        fprintf(o, "%s%" PRIu64, i ? "," : " ", inc->evidence[i].frame);
    fputs("</span></li>\n", o);
}

/* ---- the writer ---- */

struct why_html *why_html_new(FILE *out, const struct why_html_opts *o)
{
    struct why_html *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->out = out;
    h->o = *o;
    h->tmp = tmpfile();
    if (!h->tmp) {
        free(h);
        return NULL;
    }
    return h;
}

void why_html_free(struct why_html *h)
{
    if (!h)
        return;
    if (h->tmp)
        fclose(h->tmp);
    free(h->ents);
    free(h->groups);
    free(h->slots);
    free(h);
}

/* Room for one more element in an array of n of cap, doubling it when full. 0 or -1. */
static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 64;
    void *p = realloc(*arr, nc * elem);
    if (!p)
        return -1;
    *arr = p;
    *cap = nc;
    return 0;
}

static void upstream_label(const struct why_incident *inc, char *buf, size_t n)
{
    if (inc->upstream_host[0])
        snprintf(buf, n, "%s", inc->upstream_host);
    else if (inc->has_upstream)
        why_addr_str(&inc->upstream_addr, buf, n);
    else
        buf[0] = 0;
}

static uint64_t group_hash(const char *detail, const char *up)
{
    uint64_t x = 1469598103934665603ULL;
    for (const char *p = detail; *p; p++)
        x = (x ^ (unsigned char)*p) * 1099511628211ULL;
    x = (x ^ 0xff) * 1099511628211ULL;
    for (const char *p = up; *p; p++)
        x = (x ^ (unsigned char)*p) * 1099511628211ULL;
    return x;
}

/* Index of the group of (detail, upstream), made when new; -1 on out of memory. */
static long group_of(struct why_html *h, const struct why_incident *inc)
{
    char up[256];
    upstream_label(inc, up, sizeof up);
    const char *detail = inc->detail ? inc->detail : "";
    if (h->ngroups * 2 >= h->nslots) { /* grow and rehash: load at most 1/2 */
        size_t ns = h->nslots ? h->nslots * 2 : 64;
        uint32_t *s = calloc(ns, sizeof *s);
        if (!s)
            return -1;
        for (size_t g = 0; g < h->ngroups; g++) {
            size_t k = group_hash(h->groups[g].detail, h->groups[g].upstream) & (ns - 1);
            while (s[k])
                k = (k + 1) & (ns - 1);
            s[k] = (uint32_t)g + 1;
        }
        free(h->slots);
        h->slots = s;
        h->nslots = ns;
    }
    size_t k = group_hash(detail, up) & (h->nslots - 1);
    for (; h->slots[k]; k = (k + 1) & (h->nslots - 1)) {
        struct hgroup *g = &h->groups[h->slots[k] - 1];
        if (!strcmp(g->detail, detail) && !strcmp(g->upstream, up))
            return (long)h->slots[k] - 1;
    }
    if (grow((void **)&h->groups, &h->cap_groups, h->ngroups, sizeof *h->groups) < 0)
        return -1;
    struct hgroup *g = &h->groups[h->ngroups];
    memset(g, 0, sizeof *g);
    g->error = inc->error;
    g->detail = detail;
    snprintf(g->upstream, sizeof g->upstream, "%s", up);
    g->kind = inc->kind;
    g->first_id = inc->id;
    h->slots[k] = (uint32_t)h->ngroups + 1;
    return (long)h->ngroups++;
}

int why_html_incident(struct why_html *h, const struct why_incident *inc)
{
    if (h->nents >= WHY_HTML_INCIDENTS_MAX) {
        h->left_out++;
        return 0;
    }
    if (grow((void **)&h->ents, &h->cap_ents, h->nents, sizeof *h->ents) < 0)
        return -1;
    long g = group_of(h, inc);
    if (g < 0)
        return -1;
    struct hent *e = &h->ents[h->nents];
    e->id = inc->id;
    e->ts = inc->ts;
    e->kind = inc->kind;
    e->group = (uint32_t)g;
    e->off = ftell(h->tmp);
    e->row = h->groups[g].count >= FULL_PER_GROUP || h->nfull >= FULL_MAX;
    e->head = 0;
    if (e->row) {
        incident_row(h->tmp, inc);
    } else {
        incident_section(h->tmp, inc, &h->o, &e->head);
        h->nfull++;
    }
    long end = ftell(h->tmp);
    if (e->off < 0 || end < e->off || ferror(h->tmp)) {
        h->failed = true;
        return -1;
    }
    e->len = (size_t)(end - e->off);
    h->groups[g].count++;
    h->nents++;
    return 0;
}

/* ---- the page ---- */

static void style_hash(char *b64, size_t n)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    b64[0] = 0;
    if (n < 48 || !EVP_Digest(CSS, sizeof CSS - 1, md, &mdlen, EVP_sha256(), NULL))
        return;
    EVP_EncodeBlock((unsigned char *)b64, md, (int)mdlen);
}

static void page_head(FILE *o, const struct why_html *h, const struct why_summary *s)
{
    char hash[64];
    style_hash(hash, sizeof hash);
    fprintf(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
               "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
               "style-src 'sha256-%s'; img-src 'none'; base-uri 'none'; form-action 'none'\">\n"
               "<meta name=\"referrer\" content=\"no-referrer\">\n"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
               "<meta name=\"generator\" content=\"why502 " WHY502_VERSION "\">\n<title>why502: %" PRIu64
               " failed request%s",
            hash, s->failed, s->failed == 1 ? "" : "s");
    if (h->o.nfiles) {
        fputs(" in ", o);
        why_esc_html(o, WHY_HTML_ATTR, h->o.files[0]);
        if (h->o.nfiles > 1)
            fprintf(o, " and %zu more", h->o.nfiles - 1);
    }
    fprintf(o, "</title>\n<style>%s</style>\n</head><body>\n", CSS);
    /* arrowheads shared by every ladder */
    fputs("<svg class=\"defs\" aria-hidden=\"true\"><defs>"
          "<marker id=\"ah\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" "
          "orient=\"auto-start-reverse\" markerUnits=\"userSpaceOnUse\"><path d=\"M0 0L10 5L0 10z\" fill=\"#3a3a40\"/></marker>"
          "<marker id=\"ahf\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"10\" markerHeight=\"10\" "
          "orient=\"auto-start-reverse\" markerUnits=\"userSpaceOnUse\"><path d=\"M0 0L10 5L0 10z\" fill=\"#c0172b\"/></marker>"
          "</defs></svg>\n",
          o);
}

static void bar(FILE *o, uint64_t v, uint64_t max)
{
    int w = max ? (int)((double)v * 160.0 / (double)max + 0.5) : 0;
    fprintf(o, "<svg class=\"bar\" width=\"162\" height=\"10\" aria-hidden=\"true\"><rect x=\"0\" y=\"1\" width=\"%d\" height=\"8\"/></svg>",
            w < 1 ? 1 : w);
}

static void summary_facts(FILE *o, const struct why_html *h, const struct why_summary *s)
{
    char t1[40], t2[40], a[64], d[32];
    fputs("<h1>why502 report</h1>\n<table class=\"facts\">", o);
    row_start(o, "capture");
    for (size_t i = 0; i < h->o.nfiles; i++) {
        if (i)
            fputs(", ", o);
        if (h->o.nfiles > 1)
            fprintf(o, "[%zu] ", i + 1);
        fputs("<code>", o);
        esc(o, h->o.files[i]);
        fputs("</code>", o);
    }
    if (s->frames)
        fprintf(o, "<br>%" PRIu64 " frames, %" PRIu64 " bytes, <span class=\"mono\">%s</span> .. "
                   "<span class=\"mono\">%s</span> (%s)",
                s->frames, s->bytes, why_ts_format(s->first_ts, t1, sizeof t1),
                why_ts_format(s->last_ts, t2, sizeof t2), why_html_dur(why_ts_diff_us(s->first_ts, s->last_ts), false, d, sizeof d));
    else
        fputs("<br>no frames", o);
    fputs("</td></tr>", o);
    row_start(o, "gateway");
    if (!s->ngateways)
        fputs("none found (requests are reported as seen)", o);
    for (uint32_t i = 0; i < s->ngateways && i < 8; i++)
        fprintf(o, "%s<span class=\"mono\">%s</span>", i ? ", " : "", why_addr_str(&s->gateways[i], a, sizeof a));
    if (s->tls_passed_through)
        fprintf(o, " (TLS passed through on %" PRIu64 " connection%s)", s->tls_passed_through,
                s->tls_passed_through == 1 ? "" : "s");
    fputs("</td></tr>", o);
    row_start(o, "requests");
    fprintf(o, "%" PRIu64 " from clients, %" PRIu64 " sent upstream, %" PRIu64 " DNS queries, %" PRIu64
               " TCP connections</td></tr>",
            s->requests, s->upstream_requests, s->dns_queries, s->tcp_conns);
    if (s->unreadable) {
        row_start(o, "unreadable");
        fprintf(o, "%" PRIu64 " requests whose answer the capture missed (lost segments): not judged</td></tr>",
                s->unreadable);
    }
    if (s->keylog_used) {
        row_start(o, "keylog");
        fprintf(o, "%" PRIu64 " TLS connections decrypted, %" PRIu64 " without keys, %" PRIu64 " key log lines ignored",
                s->tls_decrypted, s->tls_keyless, s->keylog_lines_ignored);
        if (s->keylog_warning[0]) {
            fputs("; ", o);
            esc(o, s->keylog_warning);
        }
        fputs("</td></tr>", o);
    }
    row_start(o, "failed");
    fprintf(o, "<b>%" PRIu64 "</b>", s->failed);
    for (int k = 0, first = 1; k < 5; k++)
        if (s->by_kind[k]) {
            fprintf(o, "%s%" PRIu64 " %s", first ? " (" : ", ", s->by_kind[k], why_kind_name((enum why_kind)k));
            first = 0;
        }
    fputs(s->failed ? ")</td></tr>" : "</td></tr>", o);
    if (s->decode_truncated || s->decode_malformed || s->decode_unsupported) {
        row_start(o, "anomalies");
        fprintf(o, "%" PRIu64 " truncated, %" PRIu64 " malformed, %" PRIu64 " unsupported frames</td></tr>",
                s->decode_truncated, s->decode_malformed, s->decode_unsupported);
    }
    if (s->caps_hit) {
        row_start(o, "caps hit");
        struct why_cap_count caps[WHY_CAP_COUNTS];
        why_report_caps(s, caps);
        for (size_t i = 0, first = 1; i < WHY_CAP_COUNTS; i++)
            if (caps[i].n) {
                fprintf(o, "%s%" PRIu64 " %s", first ? "" : ", ", caps[i].n, caps[i].what);
                first = 0;
            }
        fputs("</td></tr>", o);
    }
    if (s->oom) {
        row_start(o, "memory");
        fprintf(o, "%" PRIu64 " records not kept for want of memory</td></tr>", s->oom);
    }
    if (h->left_out) {
        row_start(o, "left out");
        fprintf(o, "%" PRIu64 " incidents past the page's cap of %d (the text and JSON reports have them)</td></tr>",
                h->left_out, WHY_HTML_INCIDENTS_MAX);
    }
    fputs("</table>\n", o);
}

static void by_cause(FILE *o, const struct why_summary *s)
{
    size_t ncauses;
    const struct why_cause *cat = why_causes(&ncauses);
    uint64_t max = 0;
    for (size_t i = 0; i < ncauses && i < 64; i++)
        max = s->by_cause[i] > max ? s->by_cause[i] : max;
    if (!max)
        return;
    fputs("<h2>Failures by cause</h2>\n<table><tr><th>count</th><th>error (RFC 9209)</th><th>detail</th><th>kind</th><th></th></tr>", o);
    for (size_t i = 0; i < ncauses && i < 64; i++)
        if (s->by_cause[i]) {
            fprintf(o, "<tr><td class=\"n\">%" PRIu64 "</td><td class=\"err\">%s</td><td><code>%s</code></td><td>%s</td><td>",
                    s->by_cause[i], cat[i].error ? cat[i].error : "-", cat[i].detail, cat[i].kind);
            bar(o, s->by_cause[i], max);
            fputs("</td></tr>", o);
        }
    fputs("</table>\n", o);
}

/* A group's place in the page: rank by count (then first id); by_upstream regroups by host. */
struct gref {
    const struct hgroup *g;
    uint32_t idx, rank;
};

static int gref_by_count(const void *a, const void *b)
{
    const struct hgroup *x = ((const struct gref *)a)->g, *y = ((const struct gref *)b)->g;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return x->first_id < y->first_id ? -1 : x->first_id > y->first_id;
}

static int gref_by_upstream(const void *a, const void *b)
{
    const struct gref *x = a, *y = b;
    int c = strcmp(x->g->upstream, y->g->upstream);
    return c ? c : x->rank < y->rank ? -1 : x->rank > y->rank;
}

struct host_row {                /* one upstream: its groups idx[first..end) */
    size_t first, end;
    uint64_t total;
    const char *name;
};

static int host_by_total(const void *a, const void *b)
{
    const struct host_row *x = a, *y = b;
    if (x->total != y->total)
        return x->total > y->total ? -1 : 1;
    return strcmp(x->name, y->name);
}

static void by_upstream(FILE *o, const struct why_html *h, const struct gref *order)
{
    if (!h->ngroups)
        return;
    struct gref *idx = malloc(h->ngroups * sizeof *idx);
    struct host_row *rows = malloc(h->ngroups * sizeof *rows);
    size_t nrows = 0;
    if (!idx || !rows)
        goto out;
    memcpy(idx, order, h->ngroups * sizeof *idx);
    qsort(idx, h->ngroups, sizeof *idx, gref_by_upstream); /* each host's causes by count */
    for (size_t i = 0, j; i < h->ngroups; i = j) {
        struct host_row *r = &rows[nrows++];
        r->first = i, r->total = 0, r->name = idx[i].g->upstream;
        for (j = i; j < h->ngroups && !strcmp(idx[j].g->upstream, r->name); j++)
            r->total += idx[j].g->count;
        r->end = j;
    }
    qsort(rows, nrows, sizeof *rows, host_by_total);
    fputs("<h2>Failures by upstream</h2>\n<table><tr><th>count</th><th>upstream</th><th>causes</th><th></th></tr>", o);
    for (size_t i = 0; i < nrows && i < UPSTREAM_ROWS_MAX; i++) {
        fprintf(o, "<tr><td class=\"n\">%" PRIu64 "</td><td>", rows[i].total);
        if (rows[i].name[0]) {
            fputs("<code>", o);
            why_html_text_cut(o, WHY_HTML_TEXT, rows[i].name, 80);
            fputs("</code>", o);
        } else {
            fputs("<span class=\"mute\">none (no upstream attempt)</span>", o);
        }
        fputs("</td><td>", o);
        for (size_t k = rows[i].first; k < rows[i].end; k++)
            fprintf(o, "%s%" PRIu64 " <code>%s</code>", k > rows[i].first ? ", " : "", idx[k].g->count,
                    idx[k].g->detail);
        fputs("</td><td>", o);
        bar(o, rows[i].total, rows[0].total);
        fputs("</td></tr>", o);
    }
    if (nrows > UPSTREAM_ROWS_MAX) {
        uint64_t rest = 0;
        for (size_t i = UPSTREAM_ROWS_MAX; i < nrows; i++)
            rest += rows[i].total;
        fprintf(o, "<tr><td class=\"n\">%" PRIu64 "</td><td colspan=\"3\" class=\"mute\">%zu more upstreams</td></tr>",
                rest, nrows - UPSTREAM_ROWS_MAX);
    }
    fputs("</table>\n", o);
out:
    free(idx);
    free(rows);
}

/* The capture on one axis; a mark per pixel column that holds failures, its height growing
 * with their number, linking to the first of them. */
static void timeline(FILE *o, const struct why_html *h, const struct why_summary *s)
{
    if (!h->nents)
        return;
    struct why_ts t0 = s->frames ? s->first_ts : h->ents[0].ts, t1 = s->frames ? s->last_ts : h->ents[0].ts;
    for (size_t i = 0; i < h->nents; i++) {
        if (why_ts_cmp(h->ents[i].ts, t0) < 0)
            t0 = h->ents[i].ts;
        if (why_ts_cmp(h->ents[i].ts, t1) > 0)
            t1 = h->ents[i].ts;
    }
    int64_t span = why_ts_diff_us(t0, t1);
    enum { COLS = TIMELINE_W - 20 };
    struct { uint32_t count; uint32_t first; } *col = calloc(COLS, sizeof *col);
    if (!col)
        return;
    for (size_t i = 0; i < h->nents; i++) {
        int64_t d = why_ts_diff_us(t0, h->ents[i].ts);
        size_t c = span > 0 ? (size_t)((double)d / (double)span * (COLS - 1)) : 0;
        c = c >= COLS ? COLS - 1 : c;
        if (!col[c].count++)
            col[c].first = (uint32_t)i;
    }
    char a[40], b[40], d[32];
    fprintf(o, "<h2>Timeline</h2>\n<svg class=\"tl\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
               "aria-label=\"failures over the capture\"><line class=\"ax\" x1=\"10\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>",
            TIMELINE_W, TIMELINE_H, TIMELINE_W, TIMELINE_H, TIMELINE_H - 18, TIMELINE_W - 10, TIMELINE_H - 18);
    for (size_t c = 0; c < COLS; c++) {
        if (!col[c].count)
            continue;
        const struct hent *e = &h->ents[col[c].first];
        int ht = 8;
        for (uint32_t n = col[c].count; n > 1 && ht < 40; n >>= 1)
            ht += 4;
        fprintf(o, "<a href=\"#i%" PRIu64 "\"><rect class=\"m ik-%s\" x=\"%zu\" y=\"%d\" width=\"2\" height=\"%d\">"
                   "<title>%u failure%s from #%" PRIu64 " at %s</title></rect></a>",
                e->id, kind_class(e->kind), c + 10, TIMELINE_H - 18 - ht, ht, col[c].count, col[c].count == 1 ? "" : "s",
                e->id, why_ts_format(e->ts, a, sizeof a));
    }
    fprintf(o, "<text x=\"10\" y=\"%d\">%s</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>"
               "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text></svg>\n",
            TIMELINE_H - 4, why_ts_format(t0, a, sizeof a), TIMELINE_W - 10, TIMELINE_H - 4,
            why_ts_format(t1, b, sizeof b), TIMELINE_W / 2, TIMELINE_H - 4, why_html_dur(span, false, d, sizeof d));
    free(col);
}

static int copy_section(struct why_html *h, const struct hent *e, bool open)
{
    char buf[8192];
    if (fseek(h->tmp, e->off, SEEK_SET) != 0)
        return -1;
    for (size_t done = 0; done < e->len;) {
        size_t want = e->len - done < sizeof buf ? e->len - done : sizeof buf;
        if (fread(buf, 1, want, h->tmp) != want)
            return -1;
        if (done == 0 && open && !e->row) {
            fwrite(buf, 1, e->head, h->out);
            fputs(" open", h->out);
            fwrite(buf + e->head, 1, want - e->head, h->out);
        } else {
            fwrite(buf, 1, want, h->out);
        }
        done += want;
    }
    return 0;
}

static int incidents(struct why_html *h, const struct gref *order)
{
    if (!h->nents)
        return 0;
    /* members of each group in id order: a counting pass gives each group its slice */
    size_t *start = calloc(h->ngroups + 1, sizeof *start);
    uint32_t *members = malloc(h->nents * sizeof *members);
    if (!start || !members) {
        free(start);
        free(members);
        return -1;
    }
    for (size_t i = 0; i < h->nents; i++)
        start[h->ents[i].group + 1]++;
    for (size_t g = 0; g < h->ngroups; g++)
        start[g + 1] += start[g];
    size_t *fill = calloc(h->ngroups, sizeof *fill);
    if (!fill) {
        free(start);
        free(members);
        return -1;
    }
    for (size_t i = 0; i < h->nents; i++) {
        uint32_t g = h->ents[i].group;
        members[start[g] + fill[g]++] = (uint32_t)i;
    }
    free(fill);
    bool open_all = h->nents <= OPEN_ALL_MAX, groups_open = h->nents <= GROUPS_OPEN_MAX;
    fprintf(h->out, "<h2>Incidents</h2>\n<p class=\"mute\">%zu incident%s in %zu group%s of one cause and one upstream%s",
            h->nents, h->nents == 1 ? "" : "s", h->ngroups, h->ngroups == 1 ? "" : "s",
            open_all ? "" : "; open a group, then an incident, to see its ladder");
    if (h->nfull < h->nents)
        fprintf(h->out, "; the first %d of a group (%d in all) are drawn, the others are one line each "
                        "with their frames", FULL_PER_GROUP, FULL_MAX);
    fputs(".</p>\n", h->out);
    int rc = 0;
    for (size_t r = 0; r < h->ngroups && rc == 0; r++) {
        const struct hgroup *g = order[r].g;
        fprintf(h->out, "<details class=\"grp ik-%s\"%s><summary>%" PRIu64 " \xc3\x97 <span class=\"err\">%s</span> (%s) \xe2\x80\x94 ",
                kind_class(g->kind), groups_open ? " open" : "", g->count, g->error ? g->error : "-", g->detail);
        if (g->upstream[0]) {
            fputs("<code>", h->out);
            why_html_text_cut(h->out, WHY_HTML_TEXT, g->upstream, 100);
            fputs("</code>", h->out);
        } else {
            fputs("no upstream", h->out);
        }
        fputs("</summary>\n", h->out);
        bool in_rows = false;
        for (size_t m = start[order[r].idx]; m < start[order[r].idx + 1] && rc == 0; m++) {
            const struct hent *e = &h->ents[members[m]];
            if (e->row && !in_rows)
                fputs("<ol class=\"rows\">\n", h->out);
            in_rows = e->row;
            rc = copy_section(h, e, open_all);
        }
        if (in_rows)
            fputs("</ol>\n", h->out);
        fputs("</details>\n", h->out);
    }
    free(start);
    free(members);
    return rc;
}

int why_html_finish(struct why_html *h, const struct why_summary *s, const char *const *warnings, size_t nwarn)
{
    struct gref *order = malloc((h->ngroups ? h->ngroups : 1) * sizeof *order);
    if (!order)
        return -1;
    for (size_t i = 0; i < h->ngroups; i++)
        order[i] = (struct gref){&h->groups[i], (uint32_t)i, 0};
    qsort(order, h->ngroups, sizeof *order, gref_by_count);
    for (size_t i = 0; i < h->ngroups; i++)
        order[i].rank = (uint32_t)i;
    FILE *o = h->out;
    page_head(o, h, s);
    summary_facts(o, h, s);
    for (size_t i = 0; i < nwarn; i++) {
        fputs("<p class=\"mute\">warning: ", o);
        esc(o, warnings[i]);
        fputs("</p>\n", o);
    }
    by_cause(o, s);
    by_upstream(o, h, order);
    timeline(o, h, s);
    int rc = incidents(h, order);
    fputs("</body></html>\n", o);
    free(order);
    if (fflush(o) != 0 || ferror(o) || h->failed)
        rc = -1;
    return rc;
}
