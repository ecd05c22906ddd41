/* HTTP/1 heads, recognition, streaming framing (CL, chunked, until close, tunnels), gaps,
 * peek of error bodies and <title> extraction; heads parsed flush against an unreadable page
 * at every length, so a read past the input faults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "proto/http1.h"

/* ---- a recorder of stream callbacks ---- */

#define REC_MAX 16

struct rec {
    int nhead, nend, npeek, nerr;
    int status[REC_MAX];
    char req_method[REC_MAX][24];
    char method[REC_MAX][24];
    enum why_http_phase phase_at_head[REC_MAX];
    uint64_t end_bytes[REC_MAX];
    uint8_t peek[WHY_HTTP_PEEK_MAX];
    size_t peek_n;
    int peek_before_end; /* nend when on_peek ran */
    enum why_http_err err;
    uint8_t first[64];
    size_t first_n;
    struct why_http1_stream *st;
};

static void r_head(void *ctx, const struct why_http_head *h)
{
    struct rec *r = ctx;
    if (r->nhead < REC_MAX) {
        r->status[r->nhead] = h->status;
        strcpy(r->req_method[r->nhead], h->req_method);
        strcpy(r->method[r->nhead], h->method);
        r->phase_at_head[r->nhead] = r->st->phase;
    }
    r->nhead++;
}

static void r_end(void *ctx, uint64_t n)
{
    struct rec *r = ctx;
    if (r->nend < REC_MAX)
        r->end_bytes[r->nend] = n;
    r->nend++;
}

static void r_peek(void *ctx, const uint8_t *b, size_t n)
{
    struct rec *r = ctx;
    assert_true(n <= WHY_HTTP_PEEK_MAX);
    memcpy(r->peek, b, n);
    r->peek_n = n;
    r->peek_before_end = r->nend;
    r->npeek++;
}

static void r_err(void *ctx, enum why_http_err e, const uint8_t *first, size_t n)
{
    struct rec *r = ctx;
    assert_true(n <= 64);
    r->err = e;
    memcpy(r->first, first, n);
    r->first_n = n;
    r->nerr++;
}

static struct why_http1_cb cbs(struct rec *r, struct why_http1_stream *st)
{
    memset(r, 0, sizeof *r);
    r->st = st;
    return (struct why_http1_cb){r, r_head, r_end, r_peek, r_err};
}

static void feed_str(struct why_http1_stream *s, const char *d, const struct why_http1_cb *cb)
{
    why_http1_stream_feed(s, (const uint8_t *)d, strlen(d), cb);
}

static void feed_bytewise(struct why_http1_stream *s, const char *d, const struct why_http1_cb *cb)
{
    for (size_t i = 0; d[i]; i++)
        why_http1_stream_feed(s, (const uint8_t *)d + i, 1, cb);
}

static int parse(const char *s, bool req, struct why_http_head *h)
{
    return why_http1_parse_head((const uint8_t *)s, strlen(s), req, h);
}

/* ---- heads ---- */

/* A head is parsed while its end is looked for: a broken line in a head that has not ended
 * yet is not an error until the head's end comes (the head is kept, and parsed whole), and
 * a whole head with a broken line is an error at once, the same as when fed in one piece or
 * byte by byte. */
static void broken_line_counts_once_whole(void **state)
{
    (void)state;
    struct why_http1_stream s;
    struct rec r;
    why_http1_stream_init(&s, true);
    struct why_http1_cb cb = cbs(&r, &s);
    feed_str(&s, "GET /a HTTP/1.1\r\nHost: a.lab\r\nbroken line\r\n", &cb);
    assert_int_equal(r.nerr, 0); /* no end yet */
    assert_int_equal(r.nhead, 0);
    assert_int_not_equal(s.phase, WHY_HTTP_DEAD);
    feed_str(&s, "\r\n", &cb);
    assert_int_equal(r.nerr, 1);
    assert_int_equal(r.err, WHY_HTTP_ERR_BAD_HEAD);
    assert_int_equal(s.phase, WHY_HTTP_DEAD);
    why_http1_stream_fini(&s);

    const char *whole = "GET /a HTTP/1.1\r\nHost: a.lab\r\nbroken line\r\n\r\n";
    why_http1_stream_init(&s, true);
    cb = cbs(&r, &s);
    feed_str(&s, whole, &cb);
    assert_int_equal(r.nerr, 1);
    assert_int_equal(r.err, WHY_HTTP_ERR_BAD_HEAD);
    assert_int_equal(r.first_n, strlen(whole)); /* the head up to its end */
    why_http1_stream_fini(&s);
    why_http1_stream_init(&s, true);
    cb = cbs(&r, &s);
    feed_bytewise(&s, whole, &cb);
    assert_int_equal(r.nerr, 1);
    assert_int_equal(r.err, WHY_HTTP_ERR_BAD_HEAD);
    why_http1_stream_fini(&s);

    /* a whole head, then the next message's first bytes in the same segment */
    why_http1_stream_init(&s, true);
    cb = cbs(&r, &s);
    feed_str(&s, "GET /a HTTP/1.1\r\nHost: a.lab\r\n\r\nGET /b HTTP/1.1\r\nHo", &cb);
    assert_int_equal(r.nhead, 1);
    assert_string_equal(r.method[0], "GET");
    feed_str(&s, "st: a.lab\r\n\r\n", &cb);
    assert_int_equal(r.nhead, 2);
    assert_int_equal(r.nerr, 0);
    why_http1_stream_fini(&s);
}

/* Field names are matched ignoring case only: a name whose '-' is a '_' or a '^' (tchar
 * both, one bit away from letters' case) is another field. */
static void field_names_case(void **state)
{
    (void)state;
    struct why_http_head *h = malloc(sizeof *h);
    assert_non_null(h);
    const char *resp = "HTTP/1.1 200 OK\r\n"
                       "CONTENT-LENGTH: 5\r\n"
                       "Content_Length: 9\r\n"
                       "sErVeR: edge\r\n"
                       "X-Squid^Error: no\r\n"
                       "X-SQUID-ERROR: ERR_X 0\r\n"
                       "Transfer_Encoding: chunked\r\n"
                       "HOST: h.lab\r\n"
                       "\r\n";
    assert_true(parse(resp, false, h) > 0);
    assert_int_equal(h->content_length, 5);
    assert_false(h->chunked);
    assert_string_equal(h->server, "edge");
    assert_string_equal(h->x_squid_error, "ERR_X 0");
    assert_string_equal(h->host, "h.lab");
    free(h);
}

/* The parsed fields a head's readers see, as one string. */
static void fields_text(const struct why_http_head *h, char *out, size_t size)
{
    snprintf(out, size, "%s|%s|%s|%s|%s|%s|%lld|%d%d%d", h->host, h->server, h->via,
             h->x_squid_error, h->proxy_status, h->content_type, (long long)h->content_length,
             h->chunked, h->conn_close, h->upgrade);
}

/* Each known field name is taken in any case, and not with any one byte changed to another
 * tchar: names are compared a word at a time, the last word overlapping. */
static void field_names_each_byte(void **state)
{
    (void)state;
    static const struct {
        const char *name, *value;
    } known[] = {
        {"via", "1.1 a"}, {"host", "h.lab"}, {"server", "edge"}, {"upgrade", "h2c"},
        {"connection", "close"}, {"proxy-status", "edge; error=x"},
        {"content-type", "text/html"}, {"x-squid-error", "ERR_X 0"},
        {"content-length", "7"}, {"transfer-encoding", "chunked"},
    };
    struct why_http_head *h = malloc(sizeof *h);
    assert_non_null(h);
    char head[256], name[32], none[1024], got[1024];
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        const char *v = known[i].value;
        snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nConnection: upgrade\r\nX-Other: %s\r\n\r\n", v);
        assert_true(parse(head, false, h) > 0);
        fields_text(h, none, sizeof none);
        size_t n = strlen(known[i].name);
        for (size_t k = 0; k <= n; k++) {
            strcpy(name, known[i].name);
            if (k < n) /* k == n: the name as it is */
                name[k] = name[k] == 'q' ? 'z' : 'q';
            for (int upper = 0; upper < 2; upper++) {
                for (size_t j = 0; upper && j < n; j++)
                    name[j] = name[j] >= 'a' && name[j] <= 'z' ? (char)(name[j] - 32) : name[j];
                snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nConnection: upgrade\r\n%s: %s\r\n\r\n",
                         name, v);
                assert_true(parse(head, false, h) > 0);
                fields_text(h, got, sizeof got);
                if (k < n)
                    assert_string_equal(got, none);
                else
                    assert_string_not_equal(got, none);
            }
        }
    }
    free(h);
}

/* Connection's tokens are matched ignoring case only, whatever the bytes: a byte that is a
 * letter's other case is that letter, and no other byte is (not '\r' for '-', nor a byte with
 * the high bit set for the letter in its low bits). */
static void connection_tokens_case(void **state)
{
    (void)state;
    static const struct {
        const char *value;
        bool close; /* conn_close of an HTTP/1.0 request: keep-alive unset, or close set */
        bool upgrade;
    } cases[] = {
        {"keep-alive", false, false},  {"KEEP-ALIVE", false, false},
        {"Keep-Alive", false, false},  {"keep\ralive", true, false},
        {"\xcb" "eep-alive", true, false}, {"keep-alivE", false, false},
        {"keep-aliv", true, false},    {"keep-alive, close", true, false},
        {"CLOSE", true, false},        {"\xc3lose", true, false},
        {"clos\xc5", true, false},     {"keep-alive,  UPGRADE ", false, true},
        {"keep-alive, upgradE", false, true}, {"keep-alive, upgrad\x05", false, false},
        {"keep-alive, up\x07rade", false, false},
    };
    struct why_http_head *h = malloc(sizeof *h);
    assert_non_null(h);
    char head[160];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(head, sizeof head, "GET / HTTP/1.0\r\nUpgrade: h2c\r\nConnection: %s\r\n\r\n",
                 cases[i].value);
        assert_true(parse(head, true, h) > 0);
        assert_int_equal(h->conn_close, cases[i].close);
        assert_int_equal(h->upgrade, cases[i].upgrade);
    }
    free(h);
}

static void request_head(void **state)
{
    (void)state;
    struct why_http_head *h = malloc(sizeof *h);
    assert_non_null(h);
    const char *req = "GET http://example.lab:8080/a?b=c HTTP/1.1\r\n"
                      "Host: example.lab:8080\r\n"
                      "User-Agent: curl/8.0\r\n"
                      "Via:  1.1 edge  \r\n"
                      "via: 1.0 inner\r\n"
                      "Proxy-Connection: keep-alive\r\n"
                      "\r\n"
                      "BODY";
    int n = parse(req, true, h);
    assert_int_equal(n, (int)(strlen(req) - 4));
    assert_int_equal(h->head_len, (uint32_t)n);
    assert_true(h->is_request);
    assert_string_equal(h->method, "GET");
    assert_string_equal(h->target, "http://example.lab:8080/a?b=c");
    assert_int_equal(h->target_len, strlen("http://example.lab:8080/a?b=c"));
    assert_false(h->target_truncated);
    assert_int_equal(h->version_minor, 1);
    assert_string_equal(h->host, "example.lab:8080");
    assert_string_equal(h->via, "1.1 edge, 1.0 inner");
    assert_int_equal(h->nfields, 5);
    assert_int_equal(h->content_length, -1);
    assert_false(h->conn_close);

    /* incomplete -> 0, more -> complete; bare LF line ends */
    assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\n", true, h), 0);
    assert_int_equal(parse("GET / HTTP/1.0\nHost: a\n\n", true, h), 24);
    assert_true(h->conn_close); /* 1.0 default */
    assert_int_equal(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true, h), 42);
    assert_false(h->conn_close);

    /* CONNECT authority-form, upgrade */
    assert_true(parse("CONNECT shop.lab:443 HTTP/1.1\r\nHost: shop.lab:443\r\n\r\n", true, h) > 0);
    assert_string_equal(h->method, "CONNECT");
    assert_string_equal(h->target, "shop.lab:443");
    assert_true(parse("GET /ws HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n",
                      true, h) > 0);
    assert_true(h->upgrade);

    /* errors */
    assert_int_equal(parse("\x16\x03\x01\x02\x00", true, h), WHY_HTTP_ERR_NOT_HTTP);
    assert_int_equal(parse("G@T / HTTP/1.1\r\n\r\n", true, h), WHY_HTTP_ERR_NOT_HTTP);
    assert_true(parse("get / HTTP/1.1\r\n\r\n", true, h) > 0); /* a token; the sniffer is stricter */
    assert_int_equal(parse("GET / HTTP/2.0\r\n\r\n", true, h), WHY_HTTP_ERR_BAD_HEAD);
    assert_int_equal(parse("GET / HTTP/1.1\r\nNo colon here\r\n\r\n", true, h),
                     WHY_HTTP_ERR_BAD_HEAD);
    assert_int_equal(parse("GET / HTTP/1.1\r\nBad name: x\r\n\r\n", true, h),
                     WHY_HTTP_ERR_BAD_HEAD);
    /* a field name is tchars (RFC 9110 5.6.2): each of them passes, every other byte fails */
    for (int c = 1; c < 256; c++) {
        char head[64];
        snprintf(head, sizeof head, "GET / HTTP/1.1\r\nX%cY: v\r\n\r\n", c);
        bool tchar = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                     strchr("!#$%&'*+-.^_`|~", c) != NULL;
        if (c == ':' || c == '\n')
            continue; /* the name ends, or the line: another head */
        assert_int_equal(parse(head, true, h) > 0, tchar);
    }
    /* ...at every place of a long name (the name is read sixteen bytes at a time where it
     * can be: each place of such a step, and the bytes after the last whole one), NUL too,
     * with a value long enough that its line end is searched the same way */
    for (int c = 0; c < 256; c++) {
        bool tchar = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                     (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
        if (c == ':' || c == '\n' || c == ' ' || c == '\t' || c == '\r')
            continue; /* the name ends; the line; a folded line, dropped */
        for (size_t at = 0; at < 40; at++) {
            uint8_t head[160];
            static const char line[] = "GET / HTTP/1.1\r\n";
            static const char name[] = "Abcdefghijklmnopqrstuvwxyz-0123456789_Z.Q";
            size_t n = 0;
            memcpy(head + n, line, sizeof line - 1);
            n += sizeof line - 1;
            memcpy(head + n, name, sizeof name - 1);
            head[n + at] = (uint8_t)c;
            n += sizeof name - 1;
            static const char rest[] = ": a value of some forty bytes, to its end\r\nHost: h\r\n\r\n";
            memcpy(head + n, rest, sizeof rest - 1);
            n += sizeof rest - 1;
            int rc = why_http1_parse_head(head, n, true, h);
            if (tchar) {
                assert_int_equal(rc, (int)n);
                assert_int_equal(h->nfields, 2);
                assert_string_equal(h->host, "h");
            } else {
                assert_int_equal(rc, WHY_HTTP_ERR_BAD_HEAD);
            }
        }
    }
    /* a value right at the line end (CR or not), or only OWS, is empty; no OWS is needed */
    assert_true(parse("GET / HTTP/1.1\r\nVia:\r\nVia:\nVia: \t\r\nVia:x\r\nHost:\t\n"
                      "Content-Length:5\r\n\r\n", true, h) > 0);
    assert_string_equal(h->via, "x");
    assert_string_equal(h->host, "");
    assert_int_equal(h->content_length, 5);
    assert_int_equal(h->nfields, 6);
    assert_true(parse("GET / HTTP/1.1\r\nContent-Length:\r\n\r\n", true, h) > 0);
    assert_int_equal(h->content_length, -1);
    /* obsolete folding is skipped, not fatal */
    assert_true(parse("GET / HTTP/1.1\r\nX-A: 1\r\n  folded\r\nHost: h\r\n\r\n", true, h) > 0);
    assert_string_equal(h->host, "h");

    /* a long target is truncated and flagged */
    size_t big = WHY_HTTP_TARGET_MAX + 100;
    char *lt = malloc(big + 64);
    assert_non_null(lt);
    strcpy(lt, "GET /");
    memset(lt + 5, 'a', big);
    strcpy(lt + 5 + big, " HTTP/1.1\r\n\r\n");
    assert_true(parse(lt, true, h) > 0);
    assert_true(h->target_truncated);
    assert_int_equal(h->target_len, WHY_HTTP_TARGET_MAX);
    assert_int_equal(strlen(h->target), WHY_HTTP_TARGET_MAX);
    free(lt);
    free(h);
}

static void response_head(void **state)
{
    (void)state;
    struct why_http_head *h = malloc(sizeof *h);
    assert_non_null(h);
    const char *r = "HTTP/1.1 503 Service Unavailable\r\n"
                    "Server: squid/5.7\r\n"
                    "X-Squid-Error: ERR_CONNECT_FAIL 111\r\n"
                    "Proxy-Status: squid; error=connection_refused\r\n"
                    "Content-Type: text/html;charset=utf-8\r\n"
                    "Content-Length: 3904\r\n"
                    "Connection: close\r\n\r\n";
    assert_int_equal(parse(r, false, h), (int)strlen(r));
    assert_false(h->is_request);
    assert_int_equal(h->status, 503);
    assert_string_equal(h->reason, "Service Unavailable");
    assert_string_equal(h->server, "squid/5.7");
    assert_string_equal(h->x_squid_error, "ERR_CONNECT_FAIL 111");
    assert_string_equal(h->proxy_status, "squid; error=connection_refused");
    assert_string_equal(h->content_type, "text/html;charset=utf-8");
    assert_int_equal(h->content_length, 3904);
    assert_true(h->conn_close);
    assert_false(h->chunked);

    /* content-length: identical list ok, conflict invalid, non-digits invalid */
    assert_true(parse("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n", false, h) > 0);
    assert_int_equal(h->content_length, 5);
    assert_true(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", false, h) > 0);
    assert_int_equal(h->content_length, -1);
    assert_true(parse("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n", false, h) > 0);
    assert_int_equal(h->content_length, -1);
    /* transfer-encoding: last coding decides; TE overrides CL */
    assert_true(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\nContent-Length: 9\r\n\r\n",
                      false, h) > 0);
    assert_true(h->chunked);
    assert_int_equal(h->content_length, -1);
    assert_true(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", false, h) > 0);
    assert_false(h->chunked);
    /* no reason phrase */
    assert_true(parse("HTTP/1.1 204\r\n\r\n", false, h) > 0);
    assert_int_equal(h->status, 204);
    assert_string_equal(h->reason, "");
    assert_int_equal(parse("HTTP/1.1 20 OK\r\n\r\n", false, h), WHY_HTTP_ERR_BAD_HEAD);
    assert_int_equal(parse("SSH-2.0-OpenSSH_9.0\r\n", false, h), WHY_HTTP_ERR_NOT_HTTP);
    /* values truncated to the field */
    char longv[400];
    memset(longv, 's', sizeof longv);
    char buf[600];
    snprintf(buf, sizeof buf, "HTTP/1.1 200 OK\r\nServer: %.*s\r\n\r\n", (int)sizeof longv, longv);
    assert_true(parse(buf, false, h) > 0);
    assert_int_equal(strlen(h->server), sizeof h->server - 1);
    free(h);
}

static void looks_like(void **state)
{
    (void)state;
#define LREQ(s) why_http1_looks_like_request((const uint8_t *)(s), strlen(s))
#define LRESP(s) why_http1_looks_like_response((const uint8_t *)(s), strlen(s))
    assert_true(LREQ("G"));
    assert_true(LREQ("GE"));
    assert_true(LREQ("GET"));
    assert_true(LREQ("GET "));
    assert_true(LREQ("GET /x HTTP/1.1"));
    assert_true(LREQ("CONN"));
    assert_true(LREQ("CONNECT a:443 HTTP/1.1"));
    assert_true(LREQ("OPTIONS * HTTP/1.1"));
    assert_true(LREQ("PROPFIND /dav HTTP/1.1"));
    assert_true(LREQ("FOOBAR /x"));  /* extension method */
    assert_true(LREQ("FOOBAR "));
    assert_false(LREQ("FOOBAR 1"));
    assert_false(LREQ("PRI * HTTP/2.0")); /* h2 preface is not HTTP/1 */
    assert_true(LREQ("GETX"));  /* could still be an extension method */
    assert_false(LREQ("GET/"));
    assert_false(LREQ("ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
    assert_false(LREQ("get / HTTP/1.1"));
    assert_false(LREQ("\x16\x03\x01"));
    assert_false(LREQ("SSH-2.0-x"));
    assert_false(LREQ("HTTP/1.1 200 OK"));
    assert_true(LRESP("H"));
    assert_true(LRESP("HTTP/"));
    assert_true(LRESP("HTTP/1.1 200 OK"));
    assert_false(LRESP("HTTP/2 200"));
    assert_false(LRESP("X"));
    assert_false(LRESP("GET / HTTP/1.1"));
}

/* ---- streaming ---- */

static const char chunked_resp[] = "HTTP/1.1 200 OK\r\n"
                                   "Transfer-Encoding: chunked\r\n\r\n"
                                   "5;name=val;q=\"x\"\r\nhello\r\n"
                                   "1A  ;ext\r\nabcdefghijklmnopqrstuvwxyz\r\n"
                                   "0\r\n"
                                   "X-Trailer: 1\r\n"
                                   "X-Other: 2\r\n"
                                   "\r\n";

static void chunked_block_and_bytewise(void **state)
{
    (void)state;
    for (int mode = 0; mode < 2; mode++) {
        struct why_http1_stream s;
        struct rec r;
        why_http1_stream_init(&s, false);
        struct why_http1_cb cb = cbs(&r, &s);
        why_http1_stream_expect(&s, "GET");
        char buf[512];
        snprintf(buf, sizeof buf, "%sHTTP/1.1 204 No Content\r\n\r\n", chunked_resp);
        if (mode)
            feed_bytewise(&s, buf, &cb);
        else
            feed_str(&s, buf, &cb);
        assert_int_equal(r.nerr, 0);
        assert_int_equal(r.nhead, 2);
        assert_int_equal(r.nend, 2);
        assert_int_equal(r.end_bytes[0], 5 + 26);
        assert_int_equal(r.end_bytes[1], 0);
        assert_int_equal(s.phase, WHY_HTTP_IDLE);
        why_http1_stream_fini(&s);
        why_http1_stream_fini(&s); /* idempotent */
    }
}

static void chunked_broken(void **state)
{
    (void)state;
    struct why_http1_stream s;
    struct rec r;
    why_http1_stream_init(&s, false);
    struct why_http1_cb cb = cbs(&r, &s);
    feed_str(&s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX", &cb);
    assert_int_equal(r.nerr, 1);
    assert_int_equal(r.err, WHY_HTTP_ERR_BAD_CHUNK);
    assert_int_equal(r.first[0], 'X');
    assert_int_equal(s.phase, WHY_HTTP_DEAD);
    feed_str(&s, "HTTP/1.1 200 OK\r\n\r\n", &cb); /* ignored */
    assert_int_equal(r.nhead, 1);
    why_http1_stream_fini(&s);

    why_http1_stream_init(&s, false);
    cb = cbs(&r, &s);
    feed_str(&s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", &cb);
    assert_int_equal(r.err, WHY_HTTP_ERR_BAD_CHUNK);
    why_http1_stream_fini(&s);
}

static void pipelining_keepalive(void **state)
{
    (void)state;
    struct why_http1_stream s;
    struct rec r;
    why_http1_stream_init(&s, false);
    struct why_http1_cb cb = cbs(&r, &s);
    why_http1_stream_expect(&s, "GET");
    why_http1_stream_expect(&s, "HEAD");
    why_http1_stream_expect(&s, "POST");
    feed_str(&s,
             "HTTP/1.1 100 Continue\r\n\r\n"
             "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
             "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" /* HEAD: no body */
             "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
             &cb);
    assert_int_equal(r.nerr, 0);
    assert_int_equal(r.nhead, 4);
    assert_int_equal(r.status[0], 100);
    assert_string_equal(r.req_method[0], ""); /* interim: no request popped */
    assert_string_equal(r.req_method[1], "GET");
    assert_string_equal(r.req_method[2], "HEAD");
    assert_string_equal(r.req_method[3], "POST");
    assert_int_equal(r.nend, 3);
    assert_int_equal(r.end_bytes[0], 3);
    assert_int_equal(r.end_bytes[1], 0);
    assert_int_equal(r.end_bytes[2], 2);
    assert_int_equal(s.pend_count, 0);
    assert_int_equal(s.phase, WHY_HTTP_IDLE);
    why_http1_stream_fini(&s);

    /* request side: 3 pipelined requests, one with a body, split at odd places */
    why_http1_stream_init(&s, true);
    cb = cbs(&r, &s);
    feed_str(&s, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nContent-Le", &cb);
    feed_str(&s, "ngth: 4\r\n\r\nab", &cb);
    feed_str(&s, "cd\r\nHEAD /c HTTP/1.1\r", &cb);
    feed_str(&s, "\n\r\n", &cb);
    assert_int_equal(r.nerr, 0);
    assert_int_equal(r.nhead, 3);
    assert_string_equal(r.method[1], "POST");
    assert_string_equal(r.method[2], "HEAD");
    assert_int_equal(r.nend, 3);
    assert_int_equal(r.end_bytes[1], 4);
    why_http1_stream_fini(&s);
}

/* The middle of a body framed by length or of a chunk's data, counted without a feed
 * (why_http1_stream_inside_body), ends as fed whole: the same end and byte count; not the
 * body's or the chunk's last byte, not a size line, not a peeked (4xx/5xx) body, not a stream
 * between messages. */
static void inside_body(void **state)
{
    (void)state;
    struct why_http1_stream s;
    struct rec r;
    why_http1_stream_init(&s, false);
    struct why_http1_cb cb = cbs(&r, &s);
    why_http1_stream_expect(&s, "GET");
    why_http1_stream_expect(&s, "GET");
    assert_false(why_http1_stream_inside_body(&s, 10)); /* between messages */
    feed_str(&s, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", &cb);
    assert_false(why_http1_stream_inside_body(&s, 0));
    assert_true(why_http1_stream_inside_body(&s, 30));
    assert_true(why_http1_stream_inside_body(&s, 69));
    assert_false(why_http1_stream_inside_body(&s, 1)); /* its last byte: fed, to end it */
    assert_int_equal(r.nend, 0);
    char last[] = "x";
    feed_str(&s, last, &cb);
    assert_int_equal(r.nend, 1);
    assert_int_equal(r.end_bytes[0], 100);
    assert_int_equal(s.phase, WHY_HTTP_IDLE);
    /* an error page is kept for its title: fed, never counted past */
    feed_str(&s, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 50\r\n\r\n<html>", &cb);
    assert_false(why_http1_stream_inside_body(&s, 10));
    why_http1_stream_fini(&s);

    why_http1_stream_init(&s, false);
    cb = cbs(&r, &s);
    why_http1_stream_expect(&s, "GET");
    why_http1_stream_expect(&s, "GET");
    feed_str(&s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc", &cb);
    assert_true(why_http1_stream_inside_body(&s, 3));   /* 13 of the chunk's 16 left */
    assert_false(why_http1_stream_inside_body(&s, 10)); /* its last byte: fed, to end it */
    assert_true(why_http1_stream_inside_body(&s, 9));
    feed_str(&s, "0\r\n", &cb);                     /* the chunk's end and CRLF */
    assert_false(why_http1_stream_inside_body(&s, 1)); /* a size line: the parser reads it */
    feed_str(&s, "8\r\nab", &cb);
    assert_true(why_http1_stream_inside_body(&s, 5));
    assert_int_equal(r.nend, 0);
    feed_str(&s, "c\r\n0\r\n\r\n", &cb);
    assert_int_equal(r.nerr, 0);
    assert_int_equal(r.nend, 1);
    assert_int_equal(r.end_bytes[0], 24); /* 16 + 8: the counted bytes are the body's */
    assert_int_equal(s.phase, WHY_HTTP_IDLE);
    /* a chunked error page: fed, never counted past */
    feed_str(&s, "HTTP/1.1 502 Bad Gateway\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n<html>", &cb);
    assert_false(why_http1_stream_inside_body(&s, 10));
    why_http1_stream_fini(&s);
}

static void no_body_statuses(void **state)
{
    (void)state;
    struct why_http1_stream s;
    struct rec r;
    why_http1_stream_init(&s, false);
    struct why_http1_cb cb = cbs(&r, &s);
    why_http1_stream_expect(&s, "GET");
    why_http1_stream_expect(&s, "GET");
    feed_str(&s,
             "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n"
             "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
             &cb);
    assert_int_equal(r.nhead, 2);
    assert_int_equal(r.nend, 2);
    assert_int_equal(r.end_bytes[0], 0);
    assert_int_equal(r.end_bytes[1], 0);
    assert_int_equal(s.phase, WHY_HTTP_IDLE);
    why_http1_stream_fini(&s);
}

static void connect_tunnel(void **state)
{
    (void)state;
    struct why_http1_stream s;
    struct rec r;
    why_http1_stream_init(&s, false);
    struct why_http1_cb cb = cbs(&r, &s);
    why_http1_stream_expect(&s, "CONNECT");
    feed_str(&s, "HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03\x00\x10", &cb);
    assert_int_equal(r.nhead, 1);
    assert_int_equal(r.phase_at_head[0], WHY_HTTP_TUNNEL); /* the session reads it there */
    assert_string_equal(r.req_method[0], "CONNECT");
    assert_int_equal(r.nerr, 0);
    assert_int_equal(r.nend, 0);
    assert_int_equal(s.phase, WHY_HTTP_TUNNEL);
    why_http1_stream_gap(&s, 100, &cb); /* ignored */
    assert_int_equal(s.phase, WHY_HTTP_TUNNEL);
    why_http1_stream_fini(&s);

    /* a refused CONNECT keeps HTTP framing */
    why_http1_stream_init(&s, false);
    cb = cbs(&r, &s);
    why_http1_stream_expect(&s, "CONNECT");
    feed_str(&s, "HTTP/1.1 407 Proxy Auth\r\nContent-Length: 2\r\n\r\nno", &cb);
    assert_int_equal(r.nend, 1);
    assert_int_equal(s.phase, WHY_HTTP_IDLE);
    why_http1_stream_fini(&s);

    /* 101 switching protocols */
    why_http1_stream_init(&s, false);
    cb = cbs(&r, &s);
    why_http1_stream_expect(&s, "GET");
    feed_str(&s, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x00", &cb);
    assert_int_equal(s.phase, WHY_HTTP_TUNNEL);
    assert_int_equal(r.nerr, 0);
    why_http1_stream_fini(&s);
}

static void until_close(void **state)
{
    (void)state;
    struct why_http1_stream s;
    struct rec r;
    why_http1_stream_init(&s, false);
    struct why_http1_cb cb = cbs(&r, &s);
    feed_str(&s, "HTTP/1.0 200 OK\r\n\r\nsome body", &cb);
    feed_str(&s, " more", &cb);
    assert_int_equal(r.nend, 0);
    assert_int_equal(s.expected_len, -1);
    why_http1_stream_close(&s, &cb);
    assert_int_equal(r.nend, 1);
    assert_int_equal(r.end_bytes[0], 14);
    why_http1_stream_fini(&s);
}

static void truncated_body(void **state)
{
    (void)state;
    struct why_http1_stream s;
    struct rec r;
    why_http1_stream_init(&s, false);
    struct why_http1_cb cb = cbs(&r, &s);
    feed_str(&s, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789", &cb);
    why_http1_stream_close(&s, &cb);
    assert_int_equal(r.nend, 0);
    assert_int_equal(s.body_bytes, 10);
    assert_int_equal(s.expected_len, 100);
    assert_true(s.body_bytes < (uint64_t)s.expected_len);
    why_http1_stream_fini(&s);
}

static void not_http_and_too_long(void **state)
{
    (void)state;
    struct why_http1_stream s;
    struct rec r;
    why_http1_stream_init(&s, false);
    struct why_http1_cb cb = cbs(&r, &s);
    why_http1_stream_expect(&s, "GET");
    feed_str(&s, "SSH-2.0-OpenSSH_9.6\r\n", &cb);
    assert_int_equal(r.nerr, 1);
    assert_int_equal(r.err, WHY_HTTP_ERR_NOT_HTTP);
    assert_int_equal(r.first_n, strlen("SSH-2.0-OpenSSH_9.6\r\n"));
    assert_memory_equal(r.first, "SSH-2.0", 7);
    assert_int_equal(s.phase, WHY_HTTP_DEAD);
    why_http1_stream_fini(&s);

    /* garbage longer than 64 bytes: first 64 reported; detected across feeds */
    why_http1_stream_init(&s, false);
    cb = cbs(&r, &s);
    feed_str(&s, "HTT", &cb);
    assert_int_equal(r.nerr, 0);
    uint8_t junk[200];
    memset(junk, 'Z', sizeof junk);
    why_http1_stream_feed(&s, junk, sizeof junk, &cb);
    assert_int_equal(r.err, WHY_HTTP_ERR_NOT_HTTP);
    assert_int_equal(r.first_n, 64);
    assert_memory_equal(r.first, "HTTZ", 4);
    why_http1_stream_fini(&s);

    /* request side */
    why_http1_stream_init(&s, true);
    cb = cbs(&r, &s);
    why_http1_stream_feed(&s, (const uint8_t *)"\x16\x03\x01\x00\xa5\x01", 6, &cb);
    assert_int_equal(r.err, WHY_HTTP_ERR_NOT_HTTP);
    assert_int_equal(r.first_n, 6);
    why_http1_stream_fini(&s);

    /* a head that never ends */
    why_http1_stream_init(&s, true);
    cb = cbs(&r, &s);
    feed_str(&s, "GET / HTTP/1.1\r\n", &cb);
    char line[100];
    snprintf(line, sizeof line, "X-Filler: %080d\r\n", 0);
    for (int i = 0; i < 400 && s.phase != WHY_HTTP_DEAD; i++)
        feed_str(&s, line, &cb);
    assert_int_equal(r.nerr, 1);
    assert_int_equal(r.err, WHY_HTTP_ERR_TOO_LONG);
    assert_int_equal(r.first_n, 64);
    assert_memory_equal(r.first, "GET / ", 6);
    assert_int_equal(s.phase, WHY_HTTP_DEAD);
    why_http1_stream_fini(&s);
}

static void gaps(void **state)
{
    (void)state;
    struct why_http1_stream s;
    struct rec r;
    why_http1_stream_init(&s, false);
    struct why_http1_cb cb = cbs(&r, &s);
    feed_str(&s, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789", &cb);
    why_http1_stream_gap(&s, 80, &cb);
    assert_int_equal(s.phase, WHY_HTTP_BODY);
    assert_int_equal(s.body_bytes, 90);
    feed_str(&s, "0123456789HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", &cb);
    assert_int_equal(r.nerr, 0);
    assert_int_equal(r.nend, 2);
    assert_int_equal(r.end_bytes[0], 100);
    /* a gap larger than what is left loses the framing */
    feed_str(&s, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", &cb);
    why_http1_stream_gap(&s, 11, &cb);
    assert_int_equal(s.phase, WHY_HTTP_DEAD);
    assert_int_equal(r.nerr, 0);
    why_http1_stream_fini(&s);

    /* gap inside chunk data counts; a gap ending the chunk leaves the CRLF to come */
    why_http1_stream_init(&s, false);
    cb = cbs(&r, &s);
    feed_str(&s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n01", &cb);
    why_http1_stream_gap(&s, 8, &cb);
    feed_str(&s, "\r\n0\r\n\r\n", &cb);
    assert_int_equal(r.nerr, 0);
    assert_int_equal(r.nend, 1);
    assert_int_equal(r.end_bytes[0], 10);
    why_http1_stream_fini(&s);

    /* gap in a head: dead, silently */
    why_http1_stream_init(&s, false);
    cb = cbs(&r, &s);
    feed_str(&s, "HTTP/1.1 200 OK\r\nConte", &cb);
    why_http1_stream_gap(&s, 5, &cb);
    assert_int_equal(s.phase, WHY_HTTP_DEAD);
    assert_int_equal(r.nerr, 0);
    feed_str(&s, "nt-Length: 0\r\n\r\n", &cb);
    assert_int_equal(r.nhead, 0);
    why_http1_stream_fini(&s);

    /* gap in an until-close body: length unknown, dead */
    why_http1_stream_init(&s, false);
    cb = cbs(&r, &s);
    feed_str(&s, "HTTP/1.1 200 OK\r\n\r\nabc", &cb);
    why_http1_stream_gap(&s, 5, &cb);
    assert_int_equal(s.phase, WHY_HTTP_DEAD);
    why_http1_stream_close(&s, &cb);
    assert_int_equal(r.nend, 0);
    why_http1_stream_fini(&s);
}

static const char squid_page[] =
    "<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \"http://www.w3.org/TR/html4/strict.dtd\">\n"
    "<html><head>\n"
    "<meta type=\"copyright\" content=\"Copyright (C) 1996-2023 The Squid Software Foundation\">\n"
    "<meta http-equiv=\"Content-Type\" CONTENT=\"text/html; charset=utf-8\">\n"
    "<TITLE>ERROR: The requested URL could not be retrieved</title>\n"
    "<style type=\"text/css\"><!--\n body { font-family: verdana; }\n --></style>\n"
    "</head><body id=ERR_CONNECT_FAIL>\n"
    "<div id=\"titles\"><h1>ERROR</h1><h2>The requested URL could not be retrieved</h2></div>\n";

static void peek_and_title(void **state)
{
    (void)state;
    struct why_http1_stream s;
    struct rec r;
    char hdr[256];
    size_t plen = strlen(squid_page);

    /* body shorter than the peek: on_peek at the end, before on_end */
    why_http1_stream_init(&s, false);
    struct why_http1_cb cb = cbs(&r, &s);
    why_http1_stream_expect(&s, "GET");
    snprintf(hdr, sizeof hdr,
             "HTTP/1.1 503 Service Unavailable\r\nServer: squid/6.6\r\n"
             "Content-Type: text/html\r\nContent-Length: %zu\r\n\r\n",
             plen);
    feed_str(&s, hdr, &cb);
    feed_bytewise(&s, squid_page, &cb);
    assert_int_equal(r.npeek, 1);
    assert_int_equal(r.peek_before_end, 0);
    assert_int_equal(r.nend, 1);
    assert_int_equal(r.peek_n, plen);
    char title[128];
    size_t tl = why_http1_html_title(r.peek, r.peek_n, title, sizeof title);
    assert_string_equal(title, "ERROR: The requested URL could not be retrieved");
    assert_int_equal(tl, strlen(title));
    why_http1_stream_fini(&s);

    /* long chunked body: peek fills at WHY_HTTP_PEEK_MAX de-chunked bytes */
    why_http1_stream_init(&s, false);
    cb = cbs(&r, &s);
    feed_str(&s, "HTTP/1.1 502 Bad Gateway\r\nTransfer-Encoding: chunked\r\n\r\n", &cb);
    char chunk[700];
    memset(chunk, 'p', sizeof chunk - 1);
    chunk[sizeof chunk - 1] = 0;
    for (int i = 0; i < 3; i++) {
        char sz[32];
        snprintf(sz, sizeof sz, "%zx\r\n", strlen(chunk));
        feed_str(&s, sz, &cb);
        feed_str(&s, chunk, &cb);
        feed_str(&s, "\r\n", &cb);
    }
    assert_int_equal(r.npeek, 1);
    assert_int_equal(r.peek_n, WHY_HTTP_PEEK_MAX);
    for (size_t i = 0; i < r.peek_n; i++)
        assert_int_equal(r.peek[i], 'p');
    feed_str(&s, "0\r\n\r\n", &cb);
    assert_int_equal(r.npeek, 1); /* once */
    assert_int_equal(r.nend, 1);
    assert_int_equal(r.end_bytes[0], 3 * 699);
    why_http1_stream_fini(&s);

    /* success responses are not peeked */
    why_http1_stream_init(&s, false);
    cb = cbs(&r, &s);
    feed_str(&s, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd", &cb);
    assert_int_equal(r.npeek, 0);
    assert_null(s.peek);
    why_http1_stream_fini(&s);
}

static void html_title(void **state)
{
    (void)state;
    char t[16];
#define TITLE(s, o, n) why_http1_html_title((const uint8_t *)(s), strlen(s), (o), (n))
    assert_int_equal(TITLE("<title lang=en>  A \r\n\t B  </TITLE>", t, sizeof t), 3);
    assert_string_equal(t, "A B");
    assert_int_equal(TITLE("<titlex>no</titlex><title>yes</title>", t, sizeof t), 3);
    assert_string_equal(t, "yes");
    assert_int_equal(TITLE("no title here", t, sizeof t), 0);
    assert_string_equal(t, "");
    assert_int_equal(TITLE("<title", t, sizeof t), 0);
    assert_int_equal(TITLE("<title>0123456789abcdefghij</title>", t, sizeof t), 15);
    assert_string_equal(t, "0123456789abcde");
    assert_int_equal(TITLE("<title>cut off at the end", t, sizeof t), 15);
    assert_int_equal(TITLE("<title>x</title>", t, 1), 0);
    assert_string_equal(t, "");
}

/* Random bytes and cut points must never crash or overrun (ASan watches). */
static void robustness(void **state)
{
    (void)state;
    uint32_t seed = 12345;
    uint8_t buf[512];
    struct why_http_head *h = malloc(sizeof *h);
    assert_non_null(h);
    for (int round = 0; round < 2000; round++) {
        size_t n = 0;
        const char *base = round % 2 ? chunked_resp : "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
        size_t bl = strlen(base);
        memcpy(buf, base, bl);
        n = bl;
        for (size_t i = 0; i < sizeof buf - bl; i++) {
            seed = seed * 1103515245u + 12345u;
            buf[n++] = (uint8_t)(seed >> 16);
        }
        seed = seed * 1103515245u + 12345u;
        buf[(seed >> 8) % n] = (uint8_t)(seed >> 24);
        (void)why_http1_parse_head(buf, n, round % 2 == 0, h);
        struct why_http1_stream s;
        struct rec r;
        why_http1_stream_init(&s, round % 2 == 0);
        struct why_http1_cb cb = cbs(&r, &s);
        size_t cut = (seed >> 4) % n;
        why_http1_stream_feed(&s, buf, cut, &cb);
        why_http1_stream_gap(&s, seed % 7, &cb);
        why_http1_stream_feed(&s, buf + cut, n - cut, &cb);
        why_http1_stream_close(&s, &cb);
        why_http1_stream_fini(&s);
    }
    free(h);
}

/* ---- input flush against an unreadable page ---- */

/* Two pages, the second unreadable: bytes copied to the end of the first end where the
 * mapping's readable part ends, so any read past them is a fault, not a silent overread. */
struct guard {
    uint8_t *map;
    size_t page;
};

static struct guard guard_new(void)
{
    struct guard g;
    g.page = (size_t)sysconf(_SC_PAGESIZE);
    void *m = mmap(NULL, 2 * g.page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(m != MAP_FAILED);
    g.map = m;
    assert_int_equal(mprotect(g.map + g.page, g.page, PROT_NONE), 0);
    return g;
}

static const uint8_t *guard_put(const struct guard *g, const void *data, size_t n)
{
    assert_true(n <= g->page);
    uint8_t *at = g->map + g->page - n;
    memcpy(at, data, n);
    return at;
}

static void guard_free(struct guard *g) { munmap(g->map, 2 * g->page); }

/* Every prefix of heads, good and broken, parsed flush against the page: no read past the
 * input (a fault), and the whole head gives its length or a negative error. */
static void head_flush_against_page(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        bool request;
        int want; /* for the whole text: > 0 its length, or an error */
    } heads[] = {
        {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true, 27},
        {"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n", false, 47},
        {"HTTP/1.0 200 OK\n\n", false, 17},
        {"GET / HTTP/1.1\n\n", true, 16},
        {"GET / HTTP/1.1\r\nBad header\r\n\r\n", true, WHY_HTTP_ERR_BAD_HEAD},
        {"HTTP/1.1 200 OK\r\n folded\r\nX: y\r\n\r\n", false, 34},
        {"\n\n", true, WHY_HTTP_ERR_NOT_HTTP},
        {"\r\n\r\n", false, WHY_HTTP_ERR_NOT_HTTP},
    };
    struct guard g = guard_new();
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
        size_t len = strlen(heads[i].text);
        for (size_t n = 0; n <= len; n++) {
            const uint8_t *at = guard_put(&g, heads[i].text, n);
            struct why_http_head h;
            int rc = why_http1_parse_head(at, n, heads[i].request, &h);
            if (n == len)
                assert_int_equal(rc, heads[i].want);
            else
                assert_true(rc <= 0); /* a prefix is never a whole head */
        }
    }
    guard_free(&g);
}

/* The last head a stream reported. */
static struct why_http_head split_head;
static int split_nhead, split_nerr;
static enum why_http_err split_err;

static void split_on_head(void *ctx, const struct why_http_head *h)
{
    (void)ctx;
    split_head = *h;
    split_nhead++;
}

static void split_on_error(void *ctx, enum why_http_err e, const uint8_t *first, size_t n)
{
    (void)ctx, (void)first, (void)n;
    split_err = e;
    split_nerr++;
}

/* text fed in two segments split at k, each flush against the page */
static void feed_split(struct guard *g, const char *text, size_t k, bool request)
{
    static const struct why_http1_cb cb = {NULL, split_on_head, NULL, NULL, split_on_error};
    struct why_http1_stream s;
    why_http1_stream_init(&s, request);
    split_nhead = split_nerr = 0;
    size_t len = strlen(text);
    const uint8_t *at = guard_put(g, text, k);
    size_t used = k ? why_http1_stream_feed(&s, at, k, &cb) : 0;
    assert_int_equal(used, k);
    at = guard_put(g, text + k, len - k);
    why_http1_stream_feed(&s, at, len - k, &cb);
    why_http1_stream_fini(&s);
}

/* A head split anywhere (in a name, at its ':', in the OWS, in a value, between CR and LF, in
 * a folded line) is parsed as when whole: a segment's partial last line is left for the next
 * segment, and never read past. A broken line is an error once, when its head is whole. */
static void head_split_everywhere(void **state)
{
    (void)state;
    const char *resp = "HTTP/1.1 200 OK\r\n"
                       "Server:\t squid/5.7 \t\r\n"
                       "X-Folded: a\r\n"
                       " \tcontinued: here\r\n"
                       "Via: 1.1 a\n"
                       "X-Empty:\r\n"
                       "X-Ows: \t \r\n"
                       "X-Cr: a\rb\r\r\n"
                       "Content-Length: 3\r\n"
                       "Connection: close\r\n"
                       "\r\n"
                       "abc";
    struct guard g = guard_new();
    for (size_t k = 0; k <= strlen(resp); k++) {
        feed_split(&g, resp, k, false);
        assert_int_equal(split_nerr, 0);
        assert_int_equal(split_nhead, 1);
        assert_string_equal(split_head.server, "squid/5.7");
        assert_string_equal(split_head.via, "1.1 a");
        assert_int_equal(split_head.content_length, 3);
        assert_true(split_head.conn_close);
        assert_int_equal(split_head.nfields, 8);
        assert_int_equal(split_head.head_len, strlen(resp) - 3);
    }
    const char *broken[] = {
        "GET / HTTP/1.1\r\nHost: a\r\nBad name: x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nNo-colon\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n:empty-name\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n\rX: y\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++)
        for (size_t k = 0; k <= strlen(broken[i]); k++) {
            feed_split(&g, broken[i], k, true);
            assert_int_equal(split_nhead, 0);
            assert_int_equal(split_nerr, 1);
            assert_int_equal(split_err, WHY_HTTP_ERR_BAD_HEAD);
        }
    guard_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(request_head),
        cmocka_unit_test(head_flush_against_page),
        cmocka_unit_test(response_head),
        cmocka_unit_test(looks_like),
        cmocka_unit_test(chunked_block_and_bytewise),
        cmocka_unit_test(chunked_broken),
        cmocka_unit_test(pipelining_keepalive),
        cmocka_unit_test(inside_body),
        cmocka_unit_test(no_body_statuses),
        cmocka_unit_test(connect_tunnel),
        cmocka_unit_test(until_close),
        cmocka_unit_test(truncated_body),
        cmocka_unit_test(not_http_and_too_long),
        cmocka_unit_test(gaps),
        cmocka_unit_test(peek_and_title),
        cmocka_unit_test(html_title),
        cmocka_unit_test(robustness),
        cmocka_unit_test(field_names_case),
        cmocka_unit_test(field_names_each_byte),
        cmocka_unit_test(connection_tokens_case),
        cmocka_unit_test(broken_line_counts_once_whole),
        cmocka_unit_test(head_split_everywhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
