/* The HTML writer on incidents built by hand: page structure, one arrow per evidence item,
 * lanes from actors and from addresses, escaping of hostile wire strings in every context,
 * grouping and collapsing, the evidence link hook, byte-identical output. */
#include <setjmp.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report/report.h"

static const char *const FILES[] = {"one.pcap", "two.pcap"};

static struct why_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    struct why_addr x = {4, {a, b, c, d}};
    return x;
}

static struct why_ts at(int64_t us) { return why_ts_add_us((struct why_ts){.sec = 1700000000}, us); }

static void add_ev(struct why_incident *inc, uint64_t frame, int64_t us, enum why_evidence_kind k,
                   enum why_actor from, enum why_actor to, const char *what)
{
    struct why_evidence *e = &inc->evidence[inc->nevidence++];
    memset(e, 0, sizeof *e);
    e->frame = frame;
    e->ts = at(us);
    e->kind = k;
    e->from = from;
    e->to = to;
    snprintf(e->what, sizeof e->what, "%s", what);
}

/* A SYN timeout through a gateway: actors named, three tries, a 4 s wait, a 503. */
static void syn_timeout(struct why_incident *inc, uint64_t id)
{
    memset(inc, 0, sizeof *inc);
    inc->id = id;
    inc->kind = WHY_KIND_GATEWAY;
    inc->error = "connection_timeout";
    inc->detail = "syn_unanswered";
    inc->ts = at(0);
    inc->has_client = inc->via_gateway = inc->has_upstream = true;
    inc->client_addr = v4(198, 18, 1, 2);
    inc->gateway_addr = v4(198, 18, 1, 1);
    inc->upstream_addr = v4(198, 19, 0, 11);
    inc->client_port = 40000, inc->gateway_port = 3128, inc->upstream_port = 80;
    strcpy(inc->method, "GET");
    strcpy(inc->url, "http://drop.lab/");
    strcpy(inc->upstream_host, "drop.lab");
    inc->status = 503;
    inc->request_frame = 1, inc->response_frame = 9;
    inc->dns_us = inc->first_byte_us = -1;
    inc->connect_us = inc->wait_us = inc->total_us = 4000000;
    strcpy(inc->summary, "SYNs unanswered");
    strcpy(inc->fix, "allow port 80");
    add_ev(inc, 1, 0, WHY_EVK_REQUEST, WHY_ACTOR_CLIENT, WHY_ACTOR_GATEWAY, "request GET");
    add_ev(inc, 2, 1000, WHY_EVK_DNS_QUERY, WHY_ACTOR_GATEWAY, WHY_ACTOR_DNS, "DNS query for drop.lab");
    add_ev(inc, 3, 2000, WHY_EVK_DNS_ANSWER, WHY_ACTOR_DNS, WHY_ACTOR_GATEWAY, "DNS answer");
    add_ev(inc, 4, 3000, WHY_EVK_SYN, WHY_ACTOR_GATEWAY, WHY_ACTOR_UPSTREAM, "SYN");
    add_ev(inc, 5, 1003000, WHY_EVK_SYN_RETRY, WHY_ACTOR_GATEWAY, WHY_ACTOR_UPSTREAM, "SYN try 2");
    add_ev(inc, 6, 3003000, WHY_EVK_SYN_RETRY, WHY_ACTOR_GATEWAY, WHY_ACTOR_UPSTREAM, "SYN try 3");
    add_ev(inc, 9, 4000000, WHY_EVK_RESPONSE, WHY_ACTOR_GATEWAY, WHY_ACTOR_CLIENT, "gateway answers 503");
    inc->evidence[1].to_addr = v4(198, 19, 0, 53);
    inc->evidence[2].from_addr = v4(198, 19, 0, 53);
}

/* Everything from the wire carries markup, a javascript: URL, controls and invalid UTF-8. */
#define HOSTILE "<script>document.title='X'</script>\"><img src=x onerror=alert(1)>javascript:alert(2)</style>\x1b[31m\xff\xc0\xaf\xe2\x80\xae"

static void hostile(struct why_incident *inc, uint64_t id)
{
    memset(inc, 0, sizeof *inc);
    inc->id = id;
    inc->kind = WHY_KIND_GATEWAY;
    inc->error = "dns_error";
    inc->detail = "nxdomain";
    inc->ts = at(10000000);
    inc->has_client = inc->via_gateway = true;
    inc->client_addr = v4(198, 18, 1, 2);
    inc->gateway_addr = v4(198, 18, 1, 1);
    strcpy(inc->method, "GET");
    snprintf(inc->url, sizeof inc->url, "http://x/%s", HOSTILE);
    snprintf(inc->claim, sizeof inc->claim, "%s", HOSTILE);
    snprintf(inc->server, sizeof inc->server, "%.60s", HOSTILE);
    snprintf(inc->sni, sizeof inc->sni, "%s", HOSTILE);
    snprintf(inc->upstream_host, sizeof inc->upstream_host, "%s", HOSTILE);
    snprintf(inc->summary, sizeof inc->summary, "NXDOMAIN for %s", HOSTILE);
    snprintf(inc->fix, sizeof inc->fix, "add %s", HOSTILE);
    snprintf(inc->detail_text, sizeof inc->detail_text, "name=%s", HOSTILE);
    inc->dns_us = inc->connect_us = inc->first_byte_us = inc->wait_us = inc->total_us = -1;
    inc->request_frame = 20, inc->response_frame = 24;
    /* actors unknown (all zero): placed by frame and by address */
    add_ev(inc, 20, 10000000, WHY_EVK_NOTE, WHY_ACTOR_OTHER, WHY_ACTOR_OTHER, HOSTILE);
    add_ev(inc, 21, 10001000, WHY_EVK_NOTE, WHY_ACTOR_OTHER, WHY_ACTOR_OTHER, HOSTILE);
    add_ev(inc, 24, 10002000, WHY_EVK_NOTE, WHY_ACTOR_OTHER, WHY_ACTOR_OTHER, "answer 502 \x01\xff");
    inc->evidence[1].from_addr = v4(198, 18, 1, 1);
    inc->evidence[1].to_addr = v4(198, 19, 0, 99); /* an address no role knows: its own lane */
}

struct page {
    char *buf;
    size_t len;
};

static void evidence_name(void *ctx, const struct why_incident *inc, char *buf, size_t size)
{
    (void)ctx;
    snprintf(buf, size, "ev dir/%" PRIu64 "-\"x\".pcapng", inc->id);
}

static struct page render_files(struct why_incident *incs, size_t n, bool links, size_t nfiles)
{
    struct page p = {0};
    FILE *f = open_memstream(&p.buf, &p.len);
    struct why_html_opts o = {.files = FILES, .nfiles = nfiles};
    if (links)
        o.evidence_name = evidence_name;
    struct why_html *h = why_html_new(f, &o);
    assert_non_null(h);
    struct why_summary s;
    memset(&s, 0, sizeof s);
    s.frames = 100;
    s.first_ts = at(0);
    s.last_ts = at(20000000);
    s.failed = n;
    s.caps_hit = 1;
    s.cap_dns_addrs_dropped = 3;
    for (size_t i = 0; i < n; i++)
        assert_int_equal(why_html_incident(h, &incs[i]), 0);
    const char *warn[] = {HOSTILE};
    assert_int_equal(why_html_finish(h, &s, warn, 1), 0);
    why_html_free(h);
    fclose(f);
    return p;
}

static struct page render(struct why_incident *incs, size_t n, bool links)
{
    return render_files(incs, n, links, 1);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static char *esc_str(enum why_html_ctx ctx, const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    why_esc_html(f, ctx, s);
    fclose(f);
    return buf;
}

static void escaper_contexts(void **state)
{
    (void)state;
    char *t = esc_str(WHY_HTML_TEXT, "<a href='x'>&\"`\x01\xff\xc3\xa9\xe2\x80\xae");
    assert_string_equal(t, "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&#96;<span class=\"x\">\\x01</span>"
                           "<span class=\"x\">\\xff</span>\xc3\xa9<span class=\"x\">\\u{202e}</span>");
    char *a = esc_str(WHY_HTML_ATTR, "\"><img>\x7f");
    assert_string_equal(a, "&quot;&gt;&lt;img&gt;\\x7f");
    char *s = esc_str(WHY_HTML_SVG, "</text>\x0a");
    assert_string_equal(s, "&lt;/text&gt;<tspan class=\"x\">\\x0a</tspan>");
    /* overlong, surrogate, truncated, beyond U+10FFFF: each byte shown */
    char *bad = esc_str(WHY_HTML_ATTR, "\xc0\xaf|\xed\xa0\x80|\xe2\x82|\xf4\x90\x80\x80|\xf0\x9f\x98\x80");
    assert_string_equal(bad, "\\xc0\\xaf|\\xed\\xa0\\x80|\\xe2\\x82|\\xf4\\x90\\x80\\x80|\xf0\x9f\x98\x80");
    free(t);
    free(a);
    free(s);
    free(bad);
}

static void page_structure(void **state)
{
    (void)state;
    struct why_incident incs[2];
    syn_timeout(&incs[0], 1);
    hostile(&incs[1], 2);
    struct page p = render(incs, 2, false);
    assert_true(strncmp(p.buf, "<!DOCTYPE html>", 15) == 0);
    assert_non_null(strstr(p.buf, "Content-Security-Policy\" content=\"default-src 'none'; style-src 'sha256-"));
    assert_null(strstr(p.buf, "script-src"));
    assert_int_equal(count(p.buf, "<svg class=\"ladder\""), 2);
    /* one arrow per evidence item, per diagram and in all */
    assert_int_equal(count(p.buf, "<g class=\"arrow"), incs[0].nevidence + incs[1].nevidence);
    assert_non_null(strstr(p.buf, "data-evidence=\"7\""));
    assert_non_null(strstr(p.buf, "data-evidence=\"3\""));
    /* lanes: client, gateway, the DNS server, the upstream; the hostile one adds an "other" */
    assert_int_equal(count(p.buf, ">DNS server</text>"), 1);
    assert_int_equal(count(p.buf, ">upstream</text>"), 1);
    assert_int_equal(count(p.buf, ">other</text>"), 1);
    /* the 2 s wait between tries is a labelled break; the retry carries its back-off */
    assert_non_null(strstr(p.buf, ">wait 2.00 s</text>"));
    assert_non_null(strstr(p.buf, "syn_retry after 1.00 s"));
    assert_non_null(strstr(p.buf, "syn_retry after 2.00 s"));
    /* the failing step: the last SYN of a connection timeout */
    assert_non_null(strstr(p.buf, "<g class=\"arrow k-syn_retry fail\" data-frame=\"6\">"));
    /* few incidents: every section open, summary sections present */
    assert_int_equal(count(p.buf, "<details class=\"inc ik-gateway\" id=\"i1\" open>"), 1);
    assert_non_null(strstr(p.buf, "<h2>Failures by upstream</h2>"));
    assert_non_null(strstr(p.buf, "<h2>Timeline</h2>"));
    assert_non_null(strstr(p.buf, "<tr><th>caps hit</th><td>3 DNS answer addresses not kept (4 per query are)</td></tr>"));
    assert_non_null(strstr(p.buf, "href=\"#i2\""));
    free(p.buf);
}

static void unknown_actors_by_frame(void **state)
{
    (void)state;
    struct why_incident inc;
    hostile(&inc, 1);
    struct page p = render(&inc, 1, false);
    /* lanes: client at x=158, gateway at x=334; the request frame goes client -> gateway and the
     * answer frame back; the note with no address at all is drawn at the gateway */
    assert_non_null(strstr(p.buf, "data-frame=\"20\"><line x1=\"158\" y1=\"68\" x2=\"332\""));
    assert_non_null(strstr(p.buf, "data-frame=\"24\"><line x1=\"334\" y1=\"128\" x2=\"160\""));
    assert_non_null(strstr(p.buf, "data-frame=\"21\"><line x1=\"334\" y1=\"98\" x2=\"508\""));
    free(p.buf);
}

static void hostile_strings_escaped(void **state)
{
    (void)state;
    struct why_incident inc;
    hostile(&inc, 1);
    struct page p = render(&inc, 1, true);
    /* no markup from the wire: the only tags are ours */
    assert_null(strstr(p.buf, "<script"));
    assert_null(strstr(p.buf, "<img"));
    assert_null(strstr(p.buf, "</style>\x1b"));
    assert_int_equal(count(p.buf, "</style>"), 1);
    assert_null(strstr(p.buf, "\x1b"));
    assert_null(strstr(p.buf, "\xff"));
    assert_null(strstr(p.buf, "\xe2\x80\xae"));
    assert_true(count(p.buf, "&lt;script&gt;document.title=&#39;X&#39;&lt;/script&gt;") >= 8);
    assert_true(count(p.buf, "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;") >= 8);
    assert_non_null(strstr(p.buf, "answer 502 <tspan class=\"x\">\\x01</tspan><tspan class=\"x\">\\xff</tspan>"));
    assert_non_null(strstr(p.buf, "<title>answer 502 \\x01\\xff</title>"));
    assert_non_null(strstr(p.buf, "<span class=\"x\">\\x1b</span>"));
    /* the evidence link: escaped in the attribute, no javascript: possible (a relative path) */
    assert_non_null(strstr(p.buf, "<a href=\"ev dir/1-&quot;x&quot;.pcapng\" download>"));
    free(p.buf);
}

static void grouped_and_collapsed(void **state)
{
    (void)state;
    enum { N = 40 };
    struct why_incident *incs = calloc(N, sizeof *incs);
    for (int i = 0; i < N; i++) {
        syn_timeout(&incs[i], (uint64_t)i + 1);
        if (i % 4 == 3)
            strcpy(incs[i].upstream_host, "other.lab");
    }
    struct page p = render(incs, N, false);
    assert_int_equal(count(p.buf, "<details class=\"grp"), 2);
    assert_non_null(strstr(p.buf, "<details class=\"grp ik-gateway\" open><summary>30 \xc3\x97"));
    assert_non_null(strstr(p.buf, "<summary>10 \xc3\x97"));
    /* the first 10 of each group in full, the other 20 of the large group one line each */
    assert_int_equal(count(p.buf, "<details class=\"inc"), 20);
    assert_int_equal(count(p.buf, "<li id=\"i"), 20);
    assert_int_equal(count(p.buf, "<ol class=\"rows\">"), 1);
    assert_non_null(strstr(p.buf, "<li id=\"i39\"><b>#39</b>"));
    assert_non_null(strstr(p.buf, "frames 1,2,3,4,5,6,9</span></li>"));
    assert_int_equal(count(p.buf, "\" open>"), 2); /* the groups only */
    assert_int_equal(count(p.buf, "<g class=\"arrow"), 20 * 7);
    /* the larger group first, its members in id order */
    const char *g1 = strstr(p.buf, "id=\"i1\""), *g2 = strstr(p.buf, "id=\"i4\""), *i2 = strstr(p.buf, "id=\"i2\"");
    assert_true(g1 && g2 && i2 && g1 < i2 && i2 < g2);
    free(p.buf);
    free(incs);
}

static void several_files(void **state)
{
    (void)state;
    struct why_incident inc;
    syn_timeout(&inc, 1);
    inc.evidence[4].file = 1; /* a retry seen in the second file */
    struct page p = render_files(&inc, 1, false, 2);
    assert_non_null(strstr(p.buf, "syn_retry after 1.00 s \xc2\xb7 [2]#5</text>"));
    assert_non_null(strstr(p.buf, "request \xc2\xb7 [1]#1</text>"));
    assert_non_null(strstr(p.buf, "<td class=\"n mono\">two.pcap 5</td>"));
    assert_non_null(strstr(p.buf, "[2] <code>two.pcap</code>"));
    free(p.buf);
}

static void many_upstreams(void **state)
{
    (void)state;
    enum { N = 60 };
    struct why_incident *incs = calloc(N, sizeof *incs);
    for (int i = 0; i < N; i++) {
        syn_timeout(&incs[i], (uint64_t)i + 1);
        snprintf(incs[i].upstream_host, sizeof incs[i].upstream_host, "h%02d.lab", i);
    }
    struct page p = render(incs, N, false);
    assert_non_null(strstr(p.buf, "<code>h49.lab</code>"));
    assert_non_null(strstr(p.buf, ">10 more upstreams</td>"));
    /* every group still has its section */
    assert_int_equal(count(p.buf, "<details class=\"grp"), N);
    free(p.buf);
    free(incs);
}

static void deterministic(void **state)
{
    (void)state;
    struct why_incident incs[2];
    syn_timeout(&incs[0], 1);
    hostile(&incs[1], 2);
    struct page a = render(incs, 2, true), b = render(incs, 2, true);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.buf, b.buf, a.len);
    free(a.buf);
    free(b.buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(escaper_contexts),      cmocka_unit_test(page_structure),
        cmocka_unit_test(unknown_actors_by_frame), cmocka_unit_test(hostile_strings_escaped),
        cmocka_unit_test(grouped_and_collapsed), cmocka_unit_test(several_files),
        cmocka_unit_test(many_upstreams),        cmocka_unit_test(deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
