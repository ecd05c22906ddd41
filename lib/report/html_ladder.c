/* Ladder (sequence) diagrams of the HTML report, drawn from an incident's structured evidence:
 * lanes client | gateway | DNS servers | upstreams | others (one per address), one arrow per
 * evidence item from its sender's lane to its receiver's, waits of 100 ms or more as labelled
 * breaks, a retry with its back-off, the failing step in red. Items whose actors are not named
 * are placed by their addresses' roles in the incident, then by frame (the client's request and
 * the gateway's answer), then by kind; one with nothing known is a note at the gateway.
 * Wire strings go through why_esc_html only. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report/html.h"

/* Text helpers shared with the page (html.c), kept here so that html.c -> html_ladder.c is
 * the only direction between the two. */
void why_html_text_cut(FILE *o, enum why_html_ctx ctx, const char *s, size_t max)
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

char *why_html_dur(int64_t us, bool sign, char *buf, size_t n)
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


/* layout, in SVG user units (CSS pixels) */
#define LANE_W 176         /* width of one lane */
#define LADDER_LEFT 70     /* room for the time labels */
#define LADDER_TOP 46      /* lane names and addresses */
#define ROW_H 30           /* one evidence item */
#define BREAK_H 28         /* a wait drawn as a break */
#define WAIT_BREAK_US 100000 /* a gap this long (100 ms) or more is drawn as a labelled break */
#define LABEL_CHARS_PER_LANE 27

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
int why_html_failing_step(const struct why_incident *inc)
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
void why_html_ladder(FILE *o, const struct why_incident *inc, size_t nfiles)
{
    uint32_t n = inc->nevidence < WHY_EVIDENCE_MAX ? inc->nevidence : WHY_EVIDENCE_MAX;
    struct ep from[WHY_EVIDENCE_MAX], to[WHY_EVIDENCE_MAX];
    for (uint32_t i = 0; i < n; i++)
        endpoints(inc, &inc->evidence[i], &from[i], &to[i]);
    struct lanes L;
    lanes_build(&L, inc, from, to, n);
    int fail = why_html_failing_step(inc);
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
                    why_html_dur(gap, false, t, sizeof t));
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
                             why_html_dur(why_ts_diff_us(inc->evidence[j].ts, e->ts), false, t, sizeof t));
                    break;
                }
        char tail[64];
        int tl = nfiles > 1 ? snprintf(tail, sizeof tail, " \xc2\xb7 [%u]#%" PRIu64, e->file + 1, e->frame)
                                 : snprintf(tail, sizeof tail, " \xc2\xb7 #%" PRIu64, e->frame);
        why_html_text_cut(o, WHY_HTML_SVG, lab, room > (size_t)tl + 10 ? room - (size_t)tl : 10);
        fputs(tail, o);
        fputs("</text><title>", o);
        why_esc_html(o, WHY_HTML_ATTR, e->what); /* a tooltip: plain text */
        fputs("</title></g>", o);
        fprintf(o, "<text class=\"t\" x=\"4\" y=\"%d\">%s</text>", y[i] + 4,
                why_html_dur(why_ts_diff_us(inc->ts, e->ts), true, t, sizeof t));
    }
    fputs("</svg>", o);
}
