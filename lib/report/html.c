/* HTML writer: one self-contained page (inline CSS and SVG, no script, no network access: a
 * Content-Security-Policy allows only the page's own style block, by hash). A summary with a
 * timeline of the capture, then one section per incident with a ladder (sequence) diagram
 * drawn from the structured evidence: lanes client | gateway | DNS servers | upstreams, one
 * arrow per evidence item, waits shown as labelled breaks, the failing step highlighted.
 * Incidents are rendered as they come into a temporary file; the page groups them by cause and
 * upstream at the end. Every wire string goes through why_esc_html (escape.c) only. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "report/report.h"

/* ---- layout (SVG user units = CSS pixels) ---- */
#define LANE_W 176         /* width of one lane */
#define LADDER_LEFT 70     /* room for the time labels */
#define LADDER_TOP 46      /* lane names and addresses */
#define ROW_H 30           /* one evidence item */
#define BREAK_H 28         /* a wait drawn as a break */
#define WAIT_BREAK_US 100000 /* a gap this long (100 ms) or more is drawn as a labelled break */
#define LABEL_CHARS_PER_LANE 27
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

/* The first max bytes of s cut at a character boundary, escaped for ctx, "…" when cut. */
static void esc_cut(FILE *o, enum why_html_ctx ctx, const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max) {
        why_esc_html_n(o, ctx, (const uint8_t *)s, n);
        return;
    }
    while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
        max--;
    why_esc_html_n(o, ctx, (const uint8_t *)s, max);
    fputs("\xe2\x80\xa6", o);
}

/* "33.2 ms", "4.94 s", "17 s"; with sign when asked ("+33.2 ms", "-0.2 ms"). */
static char *fmt_us(int64_t us, bool sign, char *buf, size_t n)
{
    const char *sg = us < 0 ? "-" : sign ? "+" : "";
    double a = (double)(us < 0 ? -us : us);
    if (a >= 10e6)
        snprintf(buf, n, "%s%.0f s", sg, a / 1e6);
    else if (a >= 1e6)
        snprintf(buf, n, "%s%.2f s", sg, a / 1e6);
    else
        snprintf(buf, n, "%s%.1f ms", sg, a / 1e3);
    return buf;
}

static const char *kind_class(enum why_kind k) { return why_kind_name(k); }

/* ---- who sent what: the lanes of the ladder ---- */

struct ep {
    enum why_actor role;
    struct why_addr addr;
};

static bool addr_set(const struct why_addr *a) { return a->family != 0; }

/* The role of an address in this incident when the evidence does not name it. */
static enum why_actor role_by_addr(const struct why_incident *inc, const struct why_addr *a)
{
    if (!addr_set(a))
        return WHY_ACTOR_OTHER;
    if (inc->has_client && why_addr_eq(a, &inc->client_addr))
        return WHY_ACTOR_CLIENT;
    if (addr_set(&inc->gateway_addr) && why_addr_eq(a, &inc->gateway_addr))
        return WHY_ACTOR_GATEWAY;
    if (inc->has_upstream && why_addr_eq(a, &inc->upstream_addr))
        return WHY_ACTOR_UPSTREAM;
    for (uint32_t i = 0; i < inc->nconns && i < WHY_INCIDENT_CONNS_MAX; i++) {
        if (inc->conns[i].a_role != WHY_ACTOR_OTHER && why_addr_eq(a, &inc->conns[i].a))
            return inc->conns[i].a_role;
        if (inc->conns[i].b_role != WHY_ACTOR_OTHER && why_addr_eq(a, &inc->conns[i].b))
            return inc->conns[i].b_role;
    }
    return WHY_ACTOR_OTHER;
}

/* Sender and receiver an evidence kind implies, for items that name neither actor nor address. */
static void kind_default(enum why_evidence_kind k, enum why_actor *from, enum why_actor *to)
{
    enum why_actor f = WHY_ACTOR_OTHER, t = WHY_ACTOR_OTHER;
    switch (k) {
    case WHY_EVK_REQUEST: f = WHY_ACTOR_CLIENT, t = WHY_ACTOR_GATEWAY; break;
    case WHY_EVK_RESPONSE: f = WHY_ACTOR_GATEWAY, t = WHY_ACTOR_CLIENT; break;
    case WHY_EVK_UPSTREAM_REQUEST:
    case WHY_EVK_SYN:
    case WHY_EVK_SYN_RETRY:
    case WHY_EVK_TLS_HELLO:
    case WHY_EVK_GIVE_UP: f = WHY_ACTOR_GATEWAY, t = WHY_ACTOR_UPSTREAM; break;
    case WHY_EVK_UPSTREAM_RESPONSE:
    case WHY_EVK_DATA:
    case WHY_EVK_SYN_ACK:
    case WHY_EVK_RST:
    case WHY_EVK_FIN:
    case WHY_EVK_ICMP:
    case WHY_EVK_TLS_HELLO_REQUEST:
    case WHY_EVK_TLS_ALERT:
    case WHY_EVK_TLS_CERTIFICATE: f = WHY_ACTOR_UPSTREAM, t = WHY_ACTOR_GATEWAY; break;
    case WHY_EVK_DNS_QUERY: f = WHY_ACTOR_GATEWAY, t = WHY_ACTOR_DNS; break;
    case WHY_EVK_DNS_ANSWER: f = WHY_ACTOR_DNS, t = WHY_ACTOR_GATEWAY; break;
    default: break;
    }
    *from = f;
    *to = t;
}

/* Both ends of an evidence item: the actors it names, else its addresses' roles in the
 * incident, else the client's request and the gateway's answer by frame, else its kind. */
static void endpoints(const struct why_incident *inc, const struct why_evidence *e, struct ep *from,
                      struct ep *to)
{
    from->addr = e->from_addr;
    to->addr = e->to_addr;
    from->role = e->from != WHY_ACTOR_OTHER ? e->from : role_by_addr(inc, &e->from_addr);
    to->role = e->to != WHY_ACTOR_OTHER ? e->to : role_by_addr(inc, &e->to_addr);
    enum why_actor df, dt;
    kind_default(e->kind, &df, &dt);
    if (e->frame && e->file == inc->file && e->kind <= WHY_EVK_RESPONSE) {
        if (e->frame == inc->request_frame)
            df = WHY_ACTOR_CLIENT, dt = WHY_ACTOR_GATEWAY;
        else if (e->frame == inc->response_frame)
            df = WHY_ACTOR_GATEWAY, dt = WHY_ACTOR_CLIENT;
    }
    if (from->role == WHY_ACTOR_OTHER && !addr_set(&from->addr))
        from->role = df;
    if (to->role == WHY_ACTOR_OTHER && !addr_set(&to->addr))
        to->role = dt;
    if (!inc->has_client && from->role == WHY_ACTOR_CLIENT) /* no client lane: at the gateway */
        from->role = WHY_ACTOR_GATEWAY;
    if (!inc->has_client && to->role == WHY_ACTOR_CLIENT)
        to->role = WHY_ACTOR_GATEWAY;
    struct ep *both[2] = {from, to};
    for (int i = 0; i < 2; i++)
        if (both[i]->role == WHY_ACTOR_UPSTREAM && !addr_set(&both[i]->addr) && inc->has_upstream)
            both[i]->addr = inc->upstream_addr;
}

struct lanes {
    struct ep l[WHY_HTML_LANES_MAX];
    uint32_t n;
};

static bool ep_unknown(const struct ep *e) { return e->role == WHY_ACTOR_OTHER && !addr_set(&e->addr); }

/* Client and gateway have one lane each; DNS servers, upstreams and others one per address. */
static bool lane_match(const struct ep *lane, const struct ep *e)
{
    if (lane->role != e->role)
        return false;
    if (e->role == WHY_ACTOR_CLIENT || e->role == WHY_ACTOR_GATEWAY)
        return true;
    return lane->addr.family == e->addr.family && (!addr_set(&e->addr) || why_addr_eq(&lane->addr, &e->addr));
}

static int lane_find(const struct lanes *L, const struct ep *e)
{
    int last_of_role = -1;
    for (uint32_t i = 0; i < L->n; i++) {
        if (lane_match(&L->l[i], e))
            return (int)i;
        if (L->l[i].role == e->role)
            last_of_role = (int)i;
    }
    return last_of_role; /* past the cap: the last lane of that role */
}

static void lane_add(struct lanes *L, const struct ep *e)
{
    if (!ep_unknown(e) && lane_find(L, e) < 0 && L->n < WHY_HTML_LANES_MAX)
        L->l[L->n++] = *e;
}

/* Lanes in the order of the picture: client, gateway, DNS servers, upstreams, others. */
static void lanes_build(struct lanes *L, const struct why_incident *inc, const struct ep *from,
                        const struct ep *to, uint32_t n)
{
    static const enum why_actor order[] = {WHY_ACTOR_CLIENT, WHY_ACTOR_GATEWAY, WHY_ACTOR_DNS,
                                           WHY_ACTOR_UPSTREAM, WHY_ACTOR_OTHER};
    L->n = 0;
    for (size_t r = 0; r < sizeof order / sizeof order[0]; r++) {
        struct ep fixed = {order[r], {0}};
        if (order[r] == WHY_ACTOR_CLIENT && inc->has_client)
            fixed.addr = inc->client_addr, lane_add(L, &fixed);
        if (order[r] == WHY_ACTOR_GATEWAY)
            fixed.addr = inc->gateway_addr, L->l[L->n++] = fixed; /* always drawn */
        if (order[r] == WHY_ACTOR_UPSTREAM && inc->has_upstream)
            fixed.addr = inc->upstream_addr, lane_add(L, &fixed);
        for (uint32_t i = 0; i < n; i++) {
            if (from[i].role == order[r])
                lane_add(L, &from[i]);
            if (to[i].role == order[r])
                lane_add(L, &to[i]);
        }
    }
}

/* The lane an end is drawn at; an unknown end is drawn at the other end (a note), and a note
 * with neither end known at the gateway. */
static int lane_x(const struct lanes *L, const struct ep *e, const struct ep *other)
{
    int i = ep_unknown(e) ? -1 : lane_find(L, e);
    if (i < 0 && !ep_unknown(other))
        i = lane_find(L, other);
    if (i < 0)
        for (uint32_t j = 0; j < L->n; j++)
            if (L->l[j].role == WHY_ACTOR_GATEWAY)
                i = (int)j;
    return LADDER_LEFT + LANE_W * (i < 0 ? 0 : i) + LANE_W / 2;
}

/* The step that failed: the last item of a kind that ends or refuses an exchange; else the
 * last one before the gateway's answer; else the answer. -1 when there is no evidence. */
static int failing_step(const struct why_incident *inc)
{
    const char *err = inc->error ? inc->error : "";
    for (int i = (int)inc->nevidence - 1; i >= 0; i--) {
        enum why_evidence_kind k = inc->evidence[i].kind;
        if (k == WHY_EVK_RST || k == WHY_EVK_ICMP || k == WHY_EVK_TLS_ALERT || k == WHY_EVK_GIVE_UP ||
            k == WHY_EVK_TLS_HELLO_REQUEST || (k == WHY_EVK_DATA && !strcmp(err, "http_protocol_error")) ||
            (k == WHY_EVK_DNS_ANSWER && !strncmp(err, "dns_", 4)) ||
            (k == WHY_EVK_UPSTREAM_RESPONSE && inc->kind == WHY_KIND_ORIGIN))
            return i;
    }
    for (int i = (int)inc->nevidence - 1; i >= 0; i--) {
        enum why_evidence_kind k = inc->evidence[i].kind;
        if ((k == WHY_EVK_SYN_RETRY || k == WHY_EVK_SYN) && !strcmp(err, "connection_timeout"))
            return i;
        if (k == WHY_EVK_FIN && !strcmp(err, "connection_terminated"))
            return i;
    }
    for (int i = (int)inc->nevidence - 1; i >= 0; i--) {
        const struct why_evidence *e = &inc->evidence[i];
        bool client_leg = e->file == inc->file && (e->frame == inc->request_frame || e->frame == inc->response_frame);
        if (!client_leg && e->kind != WHY_EVK_REQUEST && e->kind != WHY_EVK_RESPONSE)
            return i;
    }
    return (int)inc->nevidence - 1;
}

static const char *arrow_colour(const struct ep *f, const struct ep *t)
{
    if (f->role == WHY_ACTOR_DNS || t->role == WHY_ACTOR_DNS)
        return " c-dns";
    if (f->role == WHY_ACTOR_CLIENT || t->role == WHY_ACTOR_CLIENT)
        return " c-cli";
    return "";
}

static void lane_head(FILE *o, const struct ep *l, int x)
{
    static const char *const names[] = {"other", "client", "gateway", "upstream", "DNS server"};
    char a[64];
    fprintf(o, "<text class=\"lh\" x=\"%d\" y=\"16\">%s</text>", x, names[(unsigned)l->role < 5 ? l->role : 0]);
    if (addr_set(&l->addr))
        fprintf(o, "<text class=\"la\" x=\"%d\" y=\"31\">%s</text>", x, why_addr_str(&l->addr, a, sizeof a));
}

/* The ladder: lanes, one arrow per evidence item (class "arrow", data-frame), breaks for waits. */
static void ladder(FILE *o, const struct why_incident *inc, const struct why_html_opts *opt)
{
    uint32_t n = inc->nevidence < WHY_EVIDENCE_MAX ? inc->nevidence : WHY_EVIDENCE_MAX;
    struct ep from[WHY_EVIDENCE_MAX], to[WHY_EVIDENCE_MAX];
    for (uint32_t i = 0; i < n; i++)
        endpoints(inc, &inc->evidence[i], &from[i], &to[i]);
    struct lanes L;
    lanes_build(&L, inc, from, to, n);
    int fail = failing_step(inc);
    /* rows: a fixed step, plus a break before an item that follows a long wait */
    int y[WHY_EVIDENCE_MAX];
    bool brk[WHY_EVIDENCE_MAX];
    int cur = LADDER_TOP;
    for (uint32_t i = 0; i < n; i++) {
        brk[i] = i > 0 && why_ts_diff_us(inc->evidence[i - 1].ts, inc->evidence[i].ts) >= WAIT_BREAK_US;
        cur += ROW_H + (brk[i] ? BREAK_H : 0);
        y[i] = cur - 8;
    }
    /* a note drawn at the last lane writes its label past it: room for it on the right */
    int last_x = LADDER_LEFT + LANE_W * ((int)L.n - 1) + LANE_W / 2, extra = 0;
    for (uint32_t i = 0; i < n; i++)
        if (lane_x(&L, &from[i], &to[i]) == last_x && lane_x(&L, &to[i], &from[i]) == last_x)
            extra = 190;
    int width = LADDER_LEFT + LANE_W * (int)L.n + 10 + extra, height = cur + 14;
    fprintf(o, "<svg class=\"ladder\" data-evidence=\"%u\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
               "role=\"img\" aria-label=\"ladder diagram of incident %" PRIu64 "\">",
            n, width, height, width, height, inc->id);
    for (uint32_t i = 0; i < L.n; i++) {
        int x = LADDER_LEFT + LANE_W * (int)i + LANE_W / 2;
        lane_head(o, &L.l[i], x);
        fprintf(o, "<line class=\"ll\" x1=\"%d\" y1=\"38\" x2=\"%d\" y2=\"%d\"/>", x, x, height - 6);
    }
    char t[32];
    for (uint32_t i = 0; i < n; i++) {
        const struct why_evidence *e = &inc->evidence[i];
        if (brk[i]) { /* red when the wait ends in the failure (not in the gateway's next try) */
            int64_t gap = why_ts_diff_us(inc->evidence[i - 1].ts, e->ts);
            fprintf(o, "<g class=\"brk%s\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>"
                       "<text x=\"%d\" y=\"%d\">wait %s</text></g>",
                    (int)i == fail && e->kind != WHY_EVK_SYN && e->kind != WHY_EVK_SYN_RETRY ? " fail" : "", LADDER_LEFT - 6, y[i] - ROW_H - BREAK_H + 14,
                    width - LADDER_LEFT - 4, BREAK_H - 6, (width + LADDER_LEFT) / 2, y[i] - ROW_H + 4,
                    fmt_us(gap, false, t, sizeof t));
        }
        int x1 = lane_x(&L, &from[i], &to[i]), x2 = lane_x(&L, &to[i], &from[i]);
        bool self = x1 == x2;
        fprintf(o, "<g class=\"arrow k-%s%s%s%s\" data-frame=\"%" PRIu64 "\">", why_evidence_kind_name(e->kind),
                arrow_colour(&from[i], &to[i]), self ? " self" : "", (int)i == fail ? " fail" : "", e->frame);
        const char *mk = (int)i == fail ? "ahf" : "ah";
        int tx, ty = y[i] - 5;
        size_t room = LABEL_CHARS_PER_LANE * (size_t)(abs(x2 - x1) / LANE_W);
        if (self) {
            fprintf(o, "<path d=\"M%d %dh26v12h-24\" marker-end=\"url(#%s)\"/>", x1, y[i] - 8, mk);
            tx = x1 + 32, ty = y[i] + 2, room = LABEL_CHARS_PER_LANE + 8;
        } else {
            fprintf(o, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" marker-end=\"url(#%s)\"/>", x1, y[i],
                    x2 + (x2 > x1 ? -2 : 2), y[i], mk);
            tx = (x1 + x2) / 2;
        }
        /* label: kind (a note says its words), try and back-off of a retry, frame, time */
        fprintf(o, "<text x=\"%d\" y=\"%d\">", tx, ty);
        char lab[160];
        size_t used = 0;
        if (e->kind == WHY_EVK_NOTE)
            used = (size_t)snprintf(lab, sizeof lab, "%s", e->what);
        else
            used = (size_t)snprintf(lab, sizeof lab, "%s", why_evidence_kind_name(e->kind));
        if (e->kind == WHY_EVK_SYN_RETRY)
            for (int j = (int)i - 1; j >= 0; j--)
                if (inc->evidence[j].kind == WHY_EVK_SYN || inc->evidence[j].kind == WHY_EVK_SYN_RETRY) {
                    snprintf(lab + used, sizeof lab - used, " after %s",
                             fmt_us(why_ts_diff_us(inc->evidence[j].ts, e->ts), false, t, sizeof t));
                    break;
                }
        char tail[64];
        int tl = opt->nfiles > 1 ? snprintf(tail, sizeof tail, " \xc2\xb7 [%u]#%" PRIu64, e->file + 1, e->frame)
                                 : snprintf(tail, sizeof tail, " \xc2\xb7 #%" PRIu64, e->frame);
        esc_cut(o, WHY_HTML_SVG, lab, room > (size_t)tl + 10 ? room - (size_t)tl : 10);
        fputs(tail, o);
        fputs("</text><title>", o);
        why_esc_html(o, WHY_HTML_ATTR, e->what); /* a tooltip: plain text */
        fputs("</title></g>", o);
        fprintf(o, "<text class=\"t\" x=\"4\" y=\"%d\">%s</text>", y[i] + 4,
                fmt_us(why_ts_diff_us(inc->ts, e->ts), true, t, sizeof t));
    }
    fputs("</svg>", o);
}

/* ---- one incident ---- */

static void row_start(FILE *o, const char *th) { fprintf(o, "<tr><th>%s</th><td>", th); }

static void evidence_table(FILE *o, const struct why_incident *inc, const struct why_html_opts *opt)
{
    int fail = failing_step(inc);
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
                fmt_us(why_ts_diff_us(inc->ts, e->ts), true, t, sizeof t), why_evidence_kind_name(e->kind),
                why_actor_name(e->from), why_actor_name(e->to));
        esc(o, e->what);
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
        esc_cut(o, WHY_HTML_TEXT, inc->url, 140);
        fputs("</code>", o);
    } else if (inc->upstream_host[0]) {
        fputs(" \xc2\xb7 <code>", o);
        esc_cut(o, WHY_HTML_TEXT, inc->upstream_host, 140);
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
        fprintf(o, "%s%s %s", i ? " \xc2\xb7 " : "", tn[i], tv[i] < 0 ? "\xe2\x80\x93" : fmt_us(tv[i], false, t, sizeof t));
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
    ladder(o, inc, opt);
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
        esc_cut(o, WHY_HTML_TEXT, inc->url, 120);
        fputs("</code>", o);
    }
    if (inc->status)
        fprintf(o, " \xe2\x86\x92 %d", inc->status);
    if (inc->wait_us >= 0)
        fprintf(o, " \xc2\xb7 wait %s", fmt_us(inc->wait_us, false, t, sizeof t));
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
                why_ts_format(s->last_ts, t2, sizeof t2), fmt_us(why_ts_diff_us(s->first_ts, s->last_ts), false, d, sizeof d));
    else
        fputs("<br>no frames", o);
    fputs("</td></tr>", o);
    row_start(o, "gateway");
    if (!s->ngateways)
        fputs("none found (requests are reported as seen)", o);
    for (uint32_t i = 0; i < s->ngateways && i < 8; i++)
        fprintf(o, "%s<span class=\"mono\">%s</span>", i ? ", " : "", why_addr_str(&s->gateways[i], a, sizeof a));
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
        fprintf(o, "%" PRIu64 " connections evicted, %" PRIu64 " out-of-order bytes dropped, %" PRIu64
                   " heads too long, %" PRIu64 " requests not tracked, %" PRIu64 " records dropped</td></tr>",
                s->cap_conns_evicted, s->cap_ooo_dropped, s->cap_http_head_too_long, s->cap_pending_dropped,
                s->cap_records_dropped);
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
            esc_cut(o, WHY_HTML_TEXT, rows[i].name, 80);
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
            why_ts_format(t1, b, sizeof b), TIMELINE_W / 2, TIMELINE_H - 4, fmt_us(span, false, d, sizeof d));
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
            esc_cut(h->out, WHY_HTML_TEXT, g->upstream, 100);
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
