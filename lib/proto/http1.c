/* HTTP/1.x heads and body framing (RFC 9112), streaming, one direction at a time.
 * Every byte is attacker controlled: all scans are bounded by the given length, every copy by
 * its destination size. */
#include "proto/http1.h"

#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "util/ascii.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* body_mode values (private) */
enum { BM_NONE, BM_LENGTH, BM_CHUNKED, BM_CLOSE };

/* chunk_state values (private): positions inside the chunked framing */
enum {
    CH_SIZE,      /* hex digits of a chunk-size */
    CH_SIZE_WS,   /* BWS after the size, before ';' or the line end */
    CH_EXT,       /* chunk extensions: skipped to the line end */
    CH_SIZE_LF,   /* CR seen at the end of the size line */
    CH_DATA,      /* chunk data, body_left bytes to go */
    CH_DATA_CR,   /* CRLF after the chunk data */
    CH_DATA_LF,
    CH_TRL_START, /* start of a trailer line (or of the final empty line) */
    CH_TRL_LINE,  /* inside a trailer field line */
    CH_TRL_LF,    /* CR of the final empty line seen */
};

#define CHUNK_LINE_MAX 4096u /* size line incl. extensions; longer is an attack, not HTTP */
#define SNIFF_MAX 32u        /* bytes looks_like_* needs to decide */
#define FIRST_MAX 64u        /* bytes handed to on_error */

/* ---- small helpers ---- */

static bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
static bool is_upper(uint8_t c) { return c >= 'A' && c <= 'Z'; }
static bool is_alpha(uint8_t c) { return is_upper(c) || (c >= 'a' && c <= 'z'); }
static bool is_ows(uint8_t c) { return c == ' ' || c == '\t'; }

/* RFC 9110 5.6.2 tchar: ALPHA, DIGIT and "!#$%&'*+-.^_`|~", one byte per byte value (every
 * byte of every field name goes through it: a load and a test each) */
#define T1(c) [c] = 1
static const uint8_t tchar_tab[256] = {
    T1('!'), T1('#'), T1('$'), T1('%'), T1('&'), T1('\''), T1('*'), T1('+'), T1('-'), T1('.'),
    T1('^'), T1('_'), T1('`'), T1('|'), T1('~'),
    T1('0'), T1('1'), T1('2'), T1('3'), T1('4'), T1('5'), T1('6'), T1('7'), T1('8'), T1('9'),
    T1('A'), T1('B'), T1('C'), T1('D'), T1('E'), T1('F'), T1('G'), T1('H'), T1('I'), T1('J'),
    T1('K'), T1('L'), T1('M'), T1('N'), T1('O'), T1('P'), T1('Q'), T1('R'), T1('S'), T1('T'),
    T1('U'), T1('V'), T1('W'), T1('X'), T1('Y'), T1('Z'),
    T1('a'), T1('b'), T1('c'), T1('d'), T1('e'), T1('f'), T1('g'), T1('h'), T1('i'), T1('j'),
    T1('k'), T1('l'), T1('m'), T1('n'), T1('o'), T1('p'), T1('q'), T1('r'), T1('s'), T1('t'),
    T1('u'), T1('v'), T1('w'), T1('x'), T1('y'), T1('z'),
};
#undef T1

static bool is_tchar(uint8_t c) { return tchar_tab[c]; }

#if defined(__SSE2__)
/* The first byte of s[0..e-s) that is not a tchar, or e. Sixteen bytes at a time, the bytes
 * most names are made of (letters, digits, '-') told by two range tests and a compare each
 * (signed bytes: those from 0x80 fail every test); the first other byte is looked up in the
 * table (the ':' that ends a name, or a tchar such as '_', after which the run goes on). The
 * last 15 bytes before e go byte by byte: nothing is read past e. */
static const uint8_t *tchar_run(const uint8_t *s, const uint8_t *e)
{
    const __m128i after_a = _mm_set1_epi8('a' - 1), before_z = _mm_set1_epi8('z' + 1);
    const __m128i after_0 = _mm_set1_epi8('0' - 1), before_9 = _mm_set1_epi8('9' + 1);
    const __m128i dash = _mm_set1_epi8('-'), case_bit = _mm_set1_epi8(0x20);
    while (e - s >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
        __m128i l = _mm_or_si128(v, case_bit); /* 'A'..'Z' and 'a'..'z' (only) to 'a'..'z' */
        __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(l, after_a), _mm_cmpgt_epi8(before_z, l));
        __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, after_0), _mm_cmpgt_epi8(before_9, v));
        __m128i usual = _mm_or_si128(_mm_or_si128(letter, digit), _mm_cmpeq_epi8(v, dash));
        unsigned other = (unsigned)_mm_movemask_epi8(usual) ^ 0xffffu;
        if (!other) {
            s += 16;
            continue;
        }
        s += __builtin_ctz(other);
        if (!is_tchar(*s))
            return s;
        s++;
    }
    while (s < e && is_tchar(*s))
        s++;
    return s;
}

/* The first '\n' in s[0..e-s), or NULL: sixteen bytes a step inline (a field's value is a
 * few dozen bytes, where memchr's call and setup cost more than the scan), the last 15 bytes
 * by memchr (nothing is read past e). */
static const uint8_t *find_lf(const uint8_t *s, const uint8_t *e)
{
    const __m128i lf = _mm_set1_epi8('\n');
    for (; e - s >= 16; s += 16) {
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)s), lf));
        if (m)
            return s + __builtin_ctz(m);
    }
    return s < e ? memchr(s, '\n', (size_t)(e - s)) : NULL;
}
#else
/* The first byte of s[0..e-s) that is not a tchar, or e. A field name is checked eight bytes
 * per bound test: each byte is then a load and a table test, the loop's own cost spread. */
static const uint8_t *tchar_run(const uint8_t *s, const uint8_t *e)
{
    while (e - s >= 8) {
#pragma GCC unroll 8
        for (int k = 0; k < 8; k++)
            if (!is_tchar(s[k]))
                return s + k;
        s += 8;
    }
    while (s < e && is_tchar(*s))
        s++;
    return s;
}

/* The first '\n' in s[0..e-s), or NULL. */
static const uint8_t *find_lf(const uint8_t *s, const uint8_t *e)
{
    return s < e ? memchr(s, '\n', (size_t)(e - s)) : NULL;
}
#endif

/* The first '\n' in buf[from..end), or end. */
static size_t line_end(const uint8_t *buf, size_t from, size_t end)
{
    const uint8_t *nl = from < end ? memchr(buf + from, '\n', end - from) : NULL;
    return nl ? (size_t)(nl - buf) : end;
}

static uint8_t lower(uint8_t c) { return is_upper(c) ? (uint8_t)(c + 32) : c; }

static int hex_val(uint8_t c)
{
    if (is_digit(c))
        return c - '0';
    c = lower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static inline void trim_ows(const uint8_t **s, size_t *n)
{
    while (*n && is_ows((*s)[0]))
        (*s)++, (*n)--;
    while (*n && is_ows((*s)[*n - 1]))
        (*n)--;
}

/* Iterates the elements of a comma-separated list: returns false when none is left. Elements
 * come back OWS-trimmed and may be empty (the list grammar allows empty elements). */
static inline bool list_next(const uint8_t **p, size_t *left, const uint8_t **e, size_t *elen)
{
    if (*left == 0 && *p == NULL)
        return false;
    const uint8_t *s = *p;
    size_t i = 0;
    while (i < *left && s[i] != ',')
        i++;
    *e = s;
    *elen = i;
    trim_ows(e, elen);
    if (i < *left) {
        *p = s + i + 1;
        *left -= i + 1;
    } else {
        *p = NULL; /* last element consumed */
        *left = 0;
    }
    return true;
}

/* ---- recognition ---- */

static const char *const known_methods[] = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
    "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH", "REPORT",
    "MKCALENDAR", "MKACTIVITY", "CHECKOUT", "MERGE", "ACL", "BIND", "UNBIND", "REBIND",
    "PURGE", "LINK", "UNLINK", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE", "M-SEARCH",
};

bool why_http1_looks_like_request(const uint8_t *data, size_t len)
{
    if (!data || len == 0)
        return false;
    for (size_t k = 0; k < sizeof known_methods / sizeof known_methods[0]; k++) {
        size_t ml = strlen(known_methods[k]);
        if (len <= ml) {
            if (memcmp(data, known_methods[k], len) == 0)
                return true; /* a prefix: cannot rule it out yet */
        } else if (memcmp(data, known_methods[k], ml) == 0 && data[ml] == ' ') {
            return true;
        }
    }
    /* an extension method: upper-case token, SP, then something a target starts with */
    if (!is_upper(data[0]))
        return false;
    size_t i = 1;
    while (i < len && (is_upper(data[i]) || data[i] == '-' || data[i] == '_'))
        i++;
    if (i > 20)
        return false;
    if (i == len)
        return true; /* still inside the token */
    if (data[i] != ' ' || i < 3)
        return false;
    if (i + 1 == len)
        return true;
    return data[i + 1] == '/' || is_alpha(data[i + 1]);
}

bool why_http1_looks_like_response(const uint8_t *data, size_t len)
{
    static const char pfx[] = "HTTP/1.";
    if (!data || len == 0)
        return false;
    size_t n = len < sizeof pfx - 1 ? len : sizeof pfx - 1;
    return memcmp(data, pfx, n) == 0;
}

/* ---- head parsing ---- */

/* Index just past the blank line ending the head in buf[from..len), 0 if not there yet.
 * The blank line is CRLF or a bare LF (tolerated, as most servers do). */
static size_t find_head_end(const uint8_t *buf, size_t from, size_t len)
{
    /* memchr jumps from line end to line end (vectorised in libc) */
    for (size_t i = from; i < len;) {
        const uint8_t *nl = memchr(buf + i, '\n', len - i);
        if (!nl)
            return 0;
        i = (size_t)(nl - buf);
        if (i + 1 < len && buf[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return i + 3;
        i++;
    }
    return 0;
}

/* Content-Length: 1*DIGIT, or a list of identical values (RFC 9110 8.6). -1 if invalid. */
static int64_t parse_content_length(const uint8_t *v, size_t n)
{
    const uint8_t *p = v, *e;
    size_t left = n, elen;
    int64_t val = -1;
    if (n == 0)
        return -1;
    while (list_next(&p, &left, &e, &elen)) {
        if (elen == 0)
            return -1;
        int64_t x = 0;
        for (size_t i = 0; i < elen; i++) {
            if (!is_digit(e[i]) || x > (INT64_MAX - 9) / 10)
                return -1;
            x = x * 10 + (e[i] - '0');
        }
        if (val >= 0 && x != val)
            return -1;
        val = x;
    }
    return val;
}

/* True if the last transfer coding of the list is chunked (parameters ignored). */
static bool last_coding_chunked(const uint8_t *v, size_t n)
{
    const uint8_t *p = v, *e;
    size_t left = n, elen;
    bool chunked = false;
    while (list_next(&p, &left, &e, &elen)) {
        if (elen == 0)
            continue;
        size_t k = 0;
        while (k < elen && e[k] != ';')
            k++;
        const uint8_t *c = e;
        size_t cl = k;
        trim_ows(&c, &cl);
        chunked = why_ascii_ieq(c, cl, "chunked");
    }
    return chunked;
}

struct field_state {
    bool cl_seen, cl_bad, te_seen, ka, close, conn_upgrade, upgrade_hdr;
    int64_t cl;
};

/* The word a with its upper-case ASCII letters lowered, why_ascii_lower on each byte: the
 * high bit of a byte is set where its low seven bits are 'A'..'Z' (no carry leaves a byte),
 * then cleared where the byte itself has it. */
static inline uint64_t word_lower(uint64_t a)
{
    const uint64_t ones = 0x0101010101010101u;
    uint64_t low7 = a & 0x7f * ones;
    uint64_t upper = (low7 + 0x3f * ones) & ~(low7 + 0x25 * ones) & ~a & 0x80 * ones;
    return a | upper >> 2;
}

/* s[0..k) equals the lower-case literal lit[0..k) ignoring ASCII case (k <= 8), as one word;
 * the bytes past k are 0 on both sides. For tchar-only bytes (a field name) OR-ing 0x20 into
 * both is enough: every tchar but the upper-case letters and '^' '_' has that bit set, so the
 * letters are lowered and the rest left, and '^' '_' become bytes no literal below holds
 * (they are letters and '-'). Any other bytes are lowered exactly. */
static inline bool word_ieq(const uint8_t *s, const char *lit, size_t k, bool tchar_only)
{
    const uint64_t m = 0x2020202020202020u;
    uint64_t a = 0, b = 0;
    memcpy(&a, s, k);
    memcpy(&b, lit, k);
    return tchar_only ? (a | m) == (b | m) : word_lower(a) == b;
}

/* s[0..n) equals the lower-case literal `lit` of n bytes, ignoring ASCII case (the answer of
 * why_ascii_ieq), a word at a time, the last word overlapping the one before. n and lit are
 * constants where it is called, so this is one to three loads and compares with immediates
 * instead of a comparison and a branch per byte and case. */
static inline bool lit_ieq(const uint8_t *s, const char *lit, size_t n, bool tchar_only)
{
    size_t k = n >= 8 ? 8 : n >= 4 ? 4 : n >= 2 ? 2 : 1;
    for (size_t i = 0; i + k < n; i += k)
        if (!word_ieq(s + i, lit + i, k, tchar_only))
            return false;
    return word_ieq(s + n - k, lit + n - k, k, tchar_only);
}

/* A field name (tchar only, n bytes) is the field `lit`. */
static inline bool name_is(const uint8_t *name, const char *lit, size_t n)
{
    return lit_ieq(name, lit, n, true);
}

/* An element of a list value (any bytes) is the token `lit` of n bytes. */
static inline bool token_is(const uint8_t *e, size_t elen, const char *lit, size_t n)
{
    return elen == n && lit_ieq(e, lit, n, false);
}

/* The fields a head's readers look at; the others are only counted. */
enum field {
    F_OTHER, F_VIA, F_HOST, F_SERVER, F_UPGRADE, F_CONNECTION, F_PROXY_STATUS, F_CONTENT_TYPE,
    F_X_SQUID_ERROR, F_CONTENT_LENGTH, F_TRANSFER_ENCODING,
};

static enum field field_of(const uint8_t *name, size_t nl)
{
    /* by length first: one name or two to compare, most fields of a head (Accept,
     * User-Agent, Date, ...) none */
    switch (nl) {
    case 3: return name_is(name, "via", 3) ? F_VIA : F_OTHER;
    case 4: return name_is(name, "host", 4) ? F_HOST : F_OTHER;
    case 6: return name_is(name, "server", 6) ? F_SERVER : F_OTHER;
    case 7: return name_is(name, "upgrade", 7) ? F_UPGRADE : F_OTHER;
    case 10: return name_is(name, "connection", 10) ? F_CONNECTION : F_OTHER;
    case 12:
        if (name_is(name, "proxy-status", 12))
            return F_PROXY_STATUS;
        return name_is(name, "content-type", 12) ? F_CONTENT_TYPE : F_OTHER;
    case 13: return name_is(name, "x-squid-error", 13) ? F_X_SQUID_ERROR : F_OTHER;
    case 14: return name_is(name, "content-length", 14) ? F_CONTENT_LENGTH : F_OTHER;
    case 17: return name_is(name, "transfer-encoding", 17) ? F_TRANSFER_ENCODING : F_OTHER;
    default: return F_OTHER;
    }
}

/* The value v[0..vl) (OWS-trimmed) of field f. */
static void take_field(struct why_http_head *h, struct field_state *fs, enum field f,
                       const uint8_t *v, size_t vl)
{
    switch (f) {
    case F_VIA:
        why_ascii_append(h->via, sizeof h->via, v, vl);
        break;
    case F_HOST:
        if (!h->host[0])
            why_ascii_copy(h->host, sizeof h->host, v, vl);
        break;
    case F_SERVER:
        if (!h->server[0])
            why_ascii_copy(h->server, sizeof h->server, v, vl);
        break;
    case F_UPGRADE:
        if (vl)
            fs->upgrade_hdr = true;
        break;
    case F_CONNECTION: {
        const uint8_t *p = v, *e;
        size_t left = vl, elen;
        while (list_next(&p, &left, &e, &elen)) {
            if (token_is(e, elen, "close", 5))
                fs->close = true;
            else if (token_is(e, elen, "keep-alive", 10))
                fs->ka = true;
            else if (token_is(e, elen, "upgrade", 7))
                fs->conn_upgrade = true;
        }
        break;
    }
    case F_PROXY_STATUS:
        why_ascii_append(h->proxy_status, sizeof h->proxy_status, v, vl);
        break;
    case F_CONTENT_TYPE:
        if (!h->content_type[0])
            why_ascii_copy(h->content_type, sizeof h->content_type, v, vl);
        break;
    case F_X_SQUID_ERROR:
        if (!h->x_squid_error[0])
            why_ascii_copy(h->x_squid_error, sizeof h->x_squid_error, v, vl);
        break;
    case F_CONTENT_LENGTH: {
        int64_t x = parse_content_length(v, vl);
        if (x < 0 || (fs->cl_seen && x != fs->cl))
            fs->cl_bad = true; /* conflicting lengths: the framing cannot be trusted */
        fs->cl_seen = true;
        fs->cl = x;
        break;
    }
    case F_TRANSFER_ENCODING:
        /* with several TE lines the combined list's last coding is the last line's */
        fs->te_seen = true;
        h->chunked = last_coding_chunked(v, vl);
        break;
    case F_OTHER:
    default:
        break;
    }
}

/* "HTTP/1.x" at s (n bytes available) -> minor version 0/1, or -1. */
static int parse_version(const uint8_t *s, size_t n)
{
    if (n < 8 || memcmp(s, "HTTP/1.", 7) != 0 || !is_digit(s[7]))
        return -1;
    return s[7] == '0' ? 0 : 1; /* 1.2+ does not exist; read it as 1.1 semantics */
}

static int parse_request_line(const uint8_t *b, size_t l, struct why_http_head *h)
{
    size_t p = 0;
    while (p < l && is_tchar(b[p]))
        p++;
    if (p == 0 || p >= sizeof h->method || p >= l || b[p] != ' ')
        return WHY_HTTP_ERR_NOT_HTTP;
    memcpy(h->method, b, p);
    h->method[p] = 0;
    while (p < l && b[p] == ' ')
        p++;
    /* The version is the last SP-separated word: a target with raw spaces (broken clients)
     * is then kept whole instead of failing the head. */
    size_t ve = l;
    while (ve > p && is_ows(b[ve - 1]))
        ve--;
    size_t vs = ve;
    while (vs > p && b[vs - 1] != ' ')
        vs--;
    if (vs <= p) /* no target, or no version (HTTP/0.9 is not supported) */
        return WHY_HTTP_ERR_BAD_HEAD;
    int minor = ve - vs == 8 ? parse_version(b + vs, 8) : -1;
    if (minor < 0)
        return WHY_HTTP_ERR_BAD_HEAD;
    h->version_minor = (uint8_t)minor;
    size_t te = vs;
    while (te > p && b[te - 1] == ' ')
        te--;
    size_t tl = te - p;
    if (tl > WHY_HTTP_TARGET_MAX) {
        tl = WHY_HTTP_TARGET_MAX;
        h->target_truncated = true;
    }
    memcpy(h->target, b + p, tl);
    h->target[tl] = 0;
    h->target_len = (uint32_t)tl;
    return 0;
}

static int parse_status_line(const uint8_t *b, size_t l, struct why_http_head *h)
{
    if (l < 7 || memcmp(b, "HTTP/1.", 7) != 0)
        return WHY_HTTP_ERR_NOT_HTTP;
    int minor = parse_version(b, l);
    if (minor < 0)
        return WHY_HTTP_ERR_BAD_HEAD;
    h->version_minor = (uint8_t)minor;
    size_t p = 8;
    if (p >= l || b[p] != ' ')
        return WHY_HTTP_ERR_BAD_HEAD;
    while (p < l && b[p] == ' ')
        p++;
    if (l - p < 3 || !is_digit(b[p]) || !is_digit(b[p + 1]) || !is_digit(b[p + 2]) ||
        b[p] == '0')
        return WHY_HTTP_ERR_BAD_HEAD;
    h->status = (b[p] - '0') * 100 + (b[p + 1] - '0') * 10 + (b[p + 2] - '0');
    p += 3;
    if (p < l && !is_ows(b[p]))
        return WHY_HTTP_ERR_BAD_HEAD; /* "2000" or "200OK" */
    const uint8_t *r = b + p;
    size_t rl = l - p;
    trim_ows(&r, &rl);
    why_ascii_copy(h->reason, sizeof h->reason, r, rl);
    return 0;
}

/* Clears a head for parsing. The 2 KB target buffer is not wiped (only terminated): heads
 * are parsed once per message, so this runs for every request and response. */
static void head_init(struct why_http_head *out, bool request)
{
    memset(out, 0, offsetof(struct why_http_head, target));
    out->target[0] = 0;
    memset(&out->target_len, 0, sizeof *out - offsetof(struct why_http_head, target_len));
    out->is_request = request;
    out->version_minor = 9;
    out->content_length = -1;
}

/* The same state for the stream's heads (one per message), the strings cleared by their first
 * byte only: every reader of a head stops at the NUL, and the kilobyte of string buffers
 * after the target is then not written for each message. */
static void head_start(struct why_http_head *h, bool request)
{
    h->is_request = request;
    h->version_minor = 9;
    h->method[0] = h->target[0] = 0;
    h->target_len = 0;
    h->target_truncated = false;
    h->status = 0;
    h->reason[0] = h->req_method[0] = h->host[0] = h->server[0] = h->via[0] = 0;
    h->x_squid_error[0] = h->proxy_status[0] = h->content_type[0] = 0;
    h->content_length = -1;
    h->chunked = h->conn_close = h->upgrade = false;
    h->nfields = h->head_len = 0;
}

static int parse_head_to(const uint8_t *buf, size_t end, bool request, struct why_http_head *out);

int why_http1_parse_head(const uint8_t *buf, size_t len, bool request, struct why_http_head *out)
{
    head_init(out, request);
    if (!buf || len == 0)
        return 0;
    size_t lim = len < WHY_HTTP_HEAD_MAX ? len : WHY_HTTP_HEAD_MAX;
    size_t end = find_head_end(buf, 0, lim);
    if (end == 0) {
        if (len >= WHY_HTTP_HEAD_MAX)
            return WHY_HTTP_ERR_TOO_LONG;
        size_t sn = len < SNIFF_MAX ? len : SNIFF_MAX;
        bool ok = request ? why_http1_looks_like_request(buf, sn)
                          : why_http1_looks_like_response(buf, sn);
        return ok ? 0 : WHY_HTTP_ERR_NOT_HTTP; /* fail early, as picohttpparser does */
    }
    return parse_head_to(buf, end, request, out);
}

/* The head at buf[0..lim), line by line up to its blank line: its length (the blank line
 * included), 0 when no blank line ends it before lim, or an error for the first line that is
 * not HTTP (then the head may still be incomplete: find_head_end tells). One pass over the
 * bytes; the lines before the first blank line are the same whether or not the caller looked
 * for it first, so a complete head gives the same answer either way. */
static int parse_head_scan(const uint8_t *buf, size_t lim, bool request, struct why_http_head *out)
{
    size_t q = line_end(buf, 0, lim);
    if (q == lim)
        return 0;
    size_t l = q;
    if (l && buf[l - 1] == '\r')
        l--;
    int rc = request ? parse_request_line(buf, l, out) : parse_status_line(buf, l, out);
    if (rc < 0)
        return rc;

    struct field_state fs = {0};
    const uint8_t *e = buf + lim, *s = buf + q + 1, *nl;
    for (;;) {
        /* A field line is read once from its start: the name, ':', then the line end from
         * there. Any other line (blank, folded, incomplete, broken) goes the slow way. */
        const uint8_t *n = tchar_run(s, e);
        if (n == s || n == e || *n != ':') {
            nl = s < e ? memchr(s, '\n', (size_t)(e - s)) : NULL;
            if (!nl)
                return 0; /* (s == e too: nothing after the last LF yet) */
            const uint8_t *le = nl > s && nl[-1] == '\r' ? nl - 1 : nl;
            if (le == s)
                break; /* the blank line */
            if (!is_ows(*s))
                return WHY_HTTP_ERR_BAD_HEAD;
            s = nl + 1; /* obsolete line folding: the continuation is dropped, not fatal */
            continue;
        }
        nl = find_lf(n + 1, e);
        if (!nl)
            return 0;
        if (out->nfields < WHY_HTTP_HEADERS_MAX)
            out->nfields++;
        /* fields past the cap are still looked at: ignoring a late Content-Length would
         * desynchronise the framing, which is worse than the (bounded) cost. Only the value
         * of a field that is read is trimmed (of its CR, nl[-1] being at worst the ':', and
         * OWS). */
        enum field f = field_of(s, (size_t)(n - s));
        if (f != F_OTHER) {
            const uint8_t *v = n + 1;
            size_t vl = (size_t)((nl[-1] == '\r' ? nl - 1 : nl) - v);
            trim_ows(&v, &vl);
            take_field(out, &fs, f, v, vl);
        }
        s = nl + 1;
    }
    size_t end = (size_t)(nl + 1 - buf);

    /* Transfer-Encoding overrides Content-Length (RFC 9112 6.3): report it as unusable */
    if (fs.cl_seen && !fs.cl_bad && !fs.te_seen)
        out->content_length = fs.cl;
    out->conn_close = fs.close || (out->version_minor == 0 && !fs.ka);
    out->upgrade = fs.conn_upgrade && fs.upgrade_hdr;
    out->head_len = (uint32_t)end;
    return (int)end;
}

/* buf[0..end) is a whole head, ending with its blank line (the caller found it). */
static int parse_head_to(const uint8_t *buf, size_t end, bool request, struct why_http_head *out)
{
    int rc = parse_head_scan(buf, end, request, out);
    return rc == 0 ? WHY_HTTP_ERR_BAD_HEAD : rc; /* (0: not a head that find_head_end ends) */
}

/* ---- streaming ---- */

static void cb_error(const struct why_http1_cb *cb, enum why_http_err e, const uint8_t *p,
                     size_t n)
{
    if (cb && cb->on_error)
        cb->on_error(cb->ctx, e, p, n > FIRST_MAX ? FIRST_MAX : n);
}

void why_http1_stream_init(struct why_http1_stream *s, bool request_side)
{
    memset(s, 0, sizeof *s);
    s->request_side = request_side;
    s->phase = WHY_HTTP_IDLE;
    s->expected_len = -1;
}

bool why_http1_stream_idle(const struct why_http1_stream *s)
{
    return s->phase == WHY_HTTP_IDLE && s->hlen == 0 && s->pend_count == 0 && !s->peeking &&
           s->pending_dropped == 0;
}

void why_http1_stream_fini(struct why_http1_stream *s)
{
    /* idempotent: the session may call it on close and again when freeing */
    free(s->hbuf);
    free(s->peek);
    free(s->pend_more);
    s->hbuf = NULL;
    s->peek = NULL;
    s->pend_more = NULL;
    s->pend_count = 0;
    s->hlen = 0;
    s->peek_len = 0;
    s->peeking = false;
    s->phase = WHY_HTTP_DEAD; /* a finished stream must not allocate again */
}

/* The FIFO's room and its entry i. */
static uint32_t pend_cap(const struct why_http1_stream *s)
{
    return s->pend_more ? WHY_HTTP_PENDING_MAX : WHY_HTTP_PENDING_INLINE;
}

static char *pend_slot(struct why_http1_stream *s, uint32_t i)
{
    return s->pend_more ? s->pend_more[i] : s->pend_inline[i];
}

void why_http1_stream_expect(struct why_http1_stream *s, const char *method)
{
    if (s->pend_count >= pend_cap(s) && !s->pend_more && s->pend_count < WHY_HTTP_PENDING_MAX) {
        /* more pipelined requests than fit in the stream: the FIFO moves out, in order */
        char(*more)[8] = malloc(WHY_HTTP_PENDING_MAX * sizeof *more);
        if (more) {
            for (uint32_t k = 0; k < s->pend_count; k++)
                memcpy(more[k], s->pend_inline[(s->pend_head + k) % WHY_HTTP_PENDING_INLINE], sizeof *more);
            s->pend_more = more;
            s->pend_head = 0;
        }
    }
    if (s->pend_count >= pend_cap(s)) {
        s->pending_dropped++;
        return;
    }
    char *slot = pend_slot(s, (s->pend_head + s->pend_count) % pend_cap(s));
    size_t n = method ? strlen(method) : 0;
    if (n >= sizeof s->pend_inline[0])
        n = sizeof s->pend_inline[0] - 1; /* only HEAD and CONNECT matter; both fit */
    if (n)
        memcpy(slot, method, n);
    slot[n] = 0;
    s->pend_count++;
}

static void pop_pending(struct why_http1_stream *s, char *out, size_t size)
{
    out[0] = 0;
    if (!s->pend_count)
        return;
    const char *m = pend_slot(s, s->pend_head);
    size_t n = strnlen(m, sizeof s->pend_inline[0]);
    if (n >= size)
        n = size - 1;
    memcpy(out, m, n);
    out[n] = 0;
    s->pend_head = (s->pend_head + 1) % pend_cap(s);
    s->pend_count--;
}

static void flush_peek(struct why_http1_stream *s, const struct why_http1_cb *cb)
{
    if (!s->peeking)
        return;
    s->peeking = false; /* once per message */
    if (s->peek_len && cb && cb->on_peek)
        cb->on_peek(cb->ctx, s->peek, s->peek_len);
}

static void peek_add(struct why_http1_stream *s, const uint8_t *d, size_t n,
                     const struct why_http1_cb *cb)
{
    if (!s->peeking || n == 0)
        return;
    if (!s->peek) {
        s->peek = malloc(WHY_HTTP_PEEK_MAX);
        if (!s->peek) {
            s->peeking = false;
            return;
        }
    }
    size_t room = WHY_HTTP_PEEK_MAX - s->peek_len;
    size_t k = n < room ? n : room;
    memcpy(s->peek + s->peek_len, d, k);
    s->peek_len += (uint32_t)k;
    if (s->peek_len == WHY_HTTP_PEEK_MAX)
        flush_peek(s, cb);
}

static void stream_kill(struct why_http1_stream *s, const struct why_http1_cb *cb)
{
    if (s->phase == WHY_HTTP_BODY)
        flush_peek(s, cb); /* what was seen of an error page is still worth its title */
    s->peeking = false;
    s->phase = WHY_HTTP_DEAD;
}

static void finish_body(struct why_http1_stream *s, const struct why_http1_cb *cb)
{
    flush_peek(s, cb);
    s->phase = WHY_HTTP_IDLE; /* before the callback: it may look at the phase */
    s->body_mode = BM_NONE;
    if (cb && cb->on_end)
        cb->on_end(cb->ctx, s->body_bytes);
}

static void emit_head(const struct why_http1_cb *cb, const struct why_http_head *h)
{
    if (cb && cb->on_head)
        cb->on_head(cb->ctx, h);
}

/* A complete head: decide the body framing (RFC 9112 6.3) and report. */
static void start_message(struct why_http1_stream *s, struct why_http_head *h,
                          const struct why_http1_cb *cb)
{
    s->body_bytes = 0;
    s->body_left = 0;
    s->expected_len = -1;
    s->peeking = false;
    s->peek_len = 0;
    s->chunk_state = CH_SIZE;
    s->chunk_line = 0;
    s->body_mode = BM_NONE;

    if (!h->is_request) {
        if (h->status < 200 && h->status != 101) {
            /* interim: answers nothing yet, has no body, no on_end */
            s->phase = WHY_HTTP_IDLE;
            emit_head(cb, h);
            return;
        }
        pop_pending(s, h->req_method, sizeof h->req_method);
        /* the phase is set before on_head: the session reads it there */
        if (h->status == 101 ||
            (why_str_is(h->req_method, "CONNECT") && h->status >= 200 && h->status < 300)) {
            s->phase = WHY_HTTP_TUNNEL;
            emit_head(cb, h);
            return;
        }
        if (why_str_is(h->req_method, "HEAD") || h->status == 204 || h->status == 304) {
            s->expected_len = 0;
            s->phase = WHY_HTTP_IDLE;
            emit_head(cb, h);
            finish_body(s, cb);
            return;
        }
    }

    if (h->chunked) {
        s->body_mode = BM_CHUNKED;
    } else if (h->content_length >= 0) {
        s->body_mode = BM_LENGTH;
        s->body_left = (uint64_t)h->content_length;
        s->expected_len = h->content_length;
    } else if (!h->is_request) {
        s->body_mode = BM_CLOSE; /* no framing: the body runs until the server closes */
    } else {
        s->expected_len = 0; /* a request without framing has no body */
    }

    if (s->body_mode == BM_NONE || (s->body_mode == BM_LENGTH && s->body_left == 0)) {
        s->phase = WHY_HTTP_IDLE;
        emit_head(cb, h);
        finish_body(s, cb);
        return;
    }
    s->phase = WHY_HTTP_BODY;
    s->peeking = !h->is_request && h->status >= 400;
    emit_head(cb, h);
}

/* Head bytes: accumulate, sniff, parse when complete. Returns bytes consumed. */
static size_t feed_head(struct why_http1_stream *s, const uint8_t *d, size_t n,
                        const struct why_http1_cb *cb)
{
    /* Most heads arrive whole in one segment: parse them where they are, so the head
     * buffer is only allocated (and copied into) for heads split across segments. */
    if (s->hlen == 0) {
        size_t sn = n < SNIFF_MAX ? n : SNIFF_MAX;
        bool ok = s->request_side ? why_http1_looks_like_request(d, sn)
                                  : why_http1_looks_like_response(d, sn);
        size_t lim = n < WHY_HTTP_HEAD_MAX ? n : WHY_HTTP_HEAD_MAX;
        if (ok) {
            /* parsed while its end is looked for: an error counts only once the head is
             * whole (else it is buffered as any incomplete head, and parsed when whole) */
            struct why_http_head h;
            head_start(&h, s->request_side);
            int rc = parse_head_scan(d, lim, s->request_side, &h);
            if (rc > 0) {
                start_message(s, &h, cb);
                return (size_t)rc;
            }
            size_t end = rc < 0 ? find_head_end(d, 0, lim) : 0;
            if (end) {
                s->phase = WHY_HTTP_DEAD;
                cb_error(cb, (enum why_http_err)rc, d, end);
                return n;
            }
        }
    }
    if (!s->hbuf) {
        s->hbuf = malloc(WHY_HTTP_HEAD_MAX);
        if (!s->hbuf) {
            stream_kill(s, cb);
            return n;
        }
    }
    uint32_t old = s->hlen;
    size_t room = WHY_HTTP_HEAD_MAX - old;
    size_t take = n < room ? n : room;
    memcpy(s->hbuf + old, d, take);
    s->hlen = old + (uint32_t)take;

    if (old < SNIFF_MAX) {
        size_t sn = s->hlen < SNIFF_MAX ? s->hlen : SNIFF_MAX;
        bool ok = s->request_side ? why_http1_looks_like_request(s->hbuf, sn)
                                  : why_http1_looks_like_response(s->hbuf, sn);
        if (!ok) {
            s->phase = WHY_HTTP_DEAD;
            cb_error(cb, WHY_HTTP_ERR_NOT_HTTP, s->hbuf, s->hlen);
            return n;
        }
    }

    /* the blank line may straddle the previous feed: rescan its last two bytes */
    size_t end = find_head_end(s->hbuf, old >= 2 ? old - 2 : 0, s->hlen);
    if (end == 0) {
        if (s->hlen >= WHY_HTTP_HEAD_MAX) {
            s->phase = WHY_HTTP_DEAD;
            cb_error(cb, WHY_HTTP_ERR_TOO_LONG, s->hbuf, s->hlen);
            return n;
        }
        return take;
    }
    size_t used = end - old;
    s->hlen = (uint32_t)end;

    struct why_http_head h;
    head_start(&h, s->request_side);
    int rc = parse_head_to(s->hbuf, end, s->request_side, &h);
    s->hlen = 0; /* the next message starts afresh */
    if (rc <= 0) {
        s->phase = WHY_HTTP_DEAD;
        cb_error(cb, rc < 0 ? (enum why_http_err)rc : WHY_HTTP_ERR_BAD_HEAD, s->hbuf, end);
        return n;
    }
    start_message(s, &h, cb);
    return used;
}

static bool chunk_bad(struct why_http1_stream *s, const uint8_t *d, size_t n,
                      const struct why_http1_cb *cb)
{
    stream_kill(s, cb);
    cb_error(cb, WHY_HTTP_ERR_BAD_CHUNK, d, n);
    return false;
}

/* Chunked body: size lines byte by byte, data skipped by count. Returns bytes consumed. */
static size_t feed_chunked(struct why_http1_stream *s, const uint8_t *d, size_t n,
                           const struct why_http1_cb *cb)
{
    size_t i = 0;
    while (i < n) {
        if (s->chunk_state == CH_DATA) {
            size_t k = n - i;
            if (k > s->body_left)
                k = (size_t)s->body_left;
            peek_add(s, d + i, k, cb); /* de-chunked: only data goes to the peek */
            s->body_bytes += k;
            s->body_left -= k;
            i += k;
            if (s->body_left == 0)
                s->chunk_state = CH_DATA_CR;
            continue;
        }
        size_t at = i;
        uint8_t c = d[i++];
        s->chunk_line++;
        bool trailer = s->chunk_state >= CH_TRL_START;
        if (s->chunk_line > (trailer ? WHY_HTTP_HEAD_MAX : CHUNK_LINE_MAX)) {
            chunk_bad(s, d + at, n - at, cb);
            return n;
        }
        bool size_done = false;
        switch (s->chunk_state) {
        case CH_SIZE: {
            int v = hex_val(c);
            if (v >= 0) {
                if (s->body_left > (UINT64_MAX >> 4)) {
                    chunk_bad(s, d + at, n - at, cb);
                    return n;
                }
                s->body_left = (s->body_left << 4) | (uint64_t)v;
                break;
            }
            if (s->chunk_line == 1) { /* no digit before it */
                chunk_bad(s, d + at, n - at, cb);
                return n;
            }
            if (is_ows(c))
                s->chunk_state = CH_SIZE_WS;
            else if (c == ';')
                s->chunk_state = CH_EXT;
            else if (c == '\r')
                s->chunk_state = CH_SIZE_LF;
            else if (c == '\n')
                size_done = true;
            else {
                chunk_bad(s, d + at, n - at, cb);
                return n;
            }
            break;
        }
        case CH_SIZE_WS:
            if (is_ows(c))
                break;
            if (c == ';')
                s->chunk_state = CH_EXT;
            else if (c == '\r')
                s->chunk_state = CH_SIZE_LF;
            else if (c == '\n')
                size_done = true;
            else {
                chunk_bad(s, d + at, n - at, cb);
                return n;
            }
            break;
        case CH_EXT:
            if (c == '\r')
                s->chunk_state = CH_SIZE_LF;
            else if (c == '\n')
                size_done = true;
            break;
        case CH_SIZE_LF:
            if (c != '\n') {
                chunk_bad(s, d + at, n - at, cb);
                return n;
            }
            size_done = true;
            break;
        case CH_DATA_CR:
            if (c == '\r') {
                s->chunk_state = CH_DATA_LF;
                break;
            }
            if (c != '\n') {
                chunk_bad(s, d + at, n - at, cb);
                return n;
            }
            /* bare LF: tolerated like the head's */
            s->chunk_state = CH_SIZE;
            s->chunk_line = 0;
            s->body_left = 0;
            break;
        case CH_DATA_LF:
            if (c != '\n') {
                chunk_bad(s, d + at, n - at, cb);
                return n;
            }
            s->chunk_state = CH_SIZE;
            s->chunk_line = 0;
            s->body_left = 0;
            break;
        case CH_TRL_START:
            if (c == '\r')
                s->chunk_state = CH_TRL_LF;
            else if (c == '\n') {
                finish_body(s, cb);
                return i;
            } else
                s->chunk_state = CH_TRL_LINE;
            break;
        case CH_TRL_LINE:
            if (c == '\n')
                s->chunk_state = CH_TRL_START;
            break;
        case CH_TRL_LF:
            if (c != '\n') {
                chunk_bad(s, d + at, n - at, cb);
                return n;
            }
            finish_body(s, cb);
            return i;
        default:
            chunk_bad(s, d + at, n - at, cb);
            return n;
        }
        if (size_done) {
            if (s->body_left == 0) {
                s->chunk_state = CH_TRL_START; /* last-chunk: trailers follow */
                s->chunk_line = 0;             /* now counts all trailer bytes */
            } else {
                s->chunk_state = CH_DATA;
            }
        }
    }
    return i;
}

static size_t feed_body(struct why_http1_stream *s, const uint8_t *d, size_t n,
                        const struct why_http1_cb *cb)
{
    switch (s->body_mode) {
    case BM_LENGTH: {
        size_t k = n;
        if (k > s->body_left)
            k = (size_t)s->body_left;
        peek_add(s, d, k, cb);
        s->body_bytes += k;
        s->body_left -= k;
        if (s->body_left == 0)
            finish_body(s, cb);
        return k;
    }
    case BM_CLOSE:
        peek_add(s, d, n, cb);
        s->body_bytes += n;
        return n;
    case BM_CHUNKED:
        return feed_chunked(s, d, n, cb);
    default:
        stream_kill(s, cb);
        return n;
    }
}

size_t why_http1_stream_feed(struct why_http1_stream *s, const uint8_t *data, size_t len,
                           const struct why_http1_cb *cb)
{
    size_t i = 0;
    if (!data)
        return 0;
    while (i < len) {
        switch (s->phase) {
        case WHY_HTTP_IDLE:
            /* stray CRLFs between messages (after a POST body, say) are tolerated */
            while (i < len && (data[i] == '\r' || data[i] == '\n'))
                i++;
            if (i < len) {
                s->phase = WHY_HTTP_HEAD;
                s->hlen = 0;
            }
            break;
        case WHY_HTTP_HEAD:
            i += feed_head(s, data + i, len - i, cb);
            break;
        case WHY_HTTP_BODY:
            i += feed_body(s, data + i, len - i, cb);
            break;
        case WHY_HTTP_TUNNEL:
        case WHY_HTTP_DEAD:
        default:
            return i;
        }
    }
    return i;
}

bool why_http1_stream_inside_body(struct why_http1_stream *s, size_t n)
{
    /* a chunk's data is counted as a length's: its size line was read, its end is fed */
    if (s->phase != WHY_HTTP_BODY || s->peeking || n == 0 || n >= s->body_left ||
        (s->body_mode != BM_LENGTH && (s->body_mode != BM_CHUNKED || s->chunk_state != CH_DATA)))
        return false;
    s->body_bytes += n; /* (feed_body's count, without its peek, which is off, and its end) */
    s->body_left -= n;
    return true;
}

void why_http1_stream_gap(struct why_http1_stream *s, uint64_t n, const struct why_http1_cb *cb)
{
    if (n == 0 || s->phase == WHY_HTTP_TUNNEL || s->phase == WHY_HTTP_DEAD)
        return;
    bool counted = s->phase == WHY_HTTP_BODY && n <= s->body_left &&
                   (s->body_mode == BM_LENGTH ||
                    (s->body_mode == BM_CHUNKED && s->chunk_state == CH_DATA));
    if (!counted) {
        stream_kill(s, cb);
        return;
    }
    flush_peek(s, cb); /* the peek must stay contiguous: stop it at the hole */
    s->body_bytes += n;
    s->body_left -= n;
    if (s->body_left == 0) {
        if (s->body_mode == BM_LENGTH)
            finish_body(s, cb);
        else
            s->chunk_state = CH_DATA_CR;
    }
}

void why_http1_stream_close(struct why_http1_stream *s, const struct why_http1_cb *cb)
{
    if (s->phase != WHY_HTTP_BODY)
        return;
    if (s->body_mode == BM_CLOSE) {
        finish_body(s, cb);
        return;
    }
    /* truncated body: no on_end, but the start of an error page still gives its title */
    flush_peek(s, cb);
}

/* ---- HTML ---- */

static bool html_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* Position of the case-insensitive lower-case literal in h[from..len), or len. */
static size_t ifind(const uint8_t *h, size_t from, size_t len, const char *lit)
{
    size_t l = strlen(lit);
    for (size_t i = from; i + l <= len; i++)
        if (why_ascii_ieq(h + i, l, lit))
            return i;
    return len;
}

size_t why_http1_html_title(const uint8_t *html, size_t len, char *out, size_t size)
{
    if (!out || size == 0)
        return 0;
    out[0] = 0;
    if (!html)
        return 0;
    size_t i = 0, start = len;
    while ((i = ifind(html, i, len, "<title")) < len) {
        size_t j = i + 6;
        if (j < len && (html[j] == '>' || html_space(html[j]) || html[j] == '/')) {
            while (j < len && html[j] != '>')
                j++;
            if (j < len)
                start = j + 1;
            break;
        }
        i = j; /* "<titlefoo": not the element */
    }
    if (start >= len)
        return 0;
    size_t stop = ifind(html, start, len, "</title");
    size_t o = 0;
    bool space = false;
    for (size_t k = start; k < stop && o + 1 < size; k++) {
        if (html_space(html[k])) {
            space = o > 0; /* leading whitespace dropped */
            continue;
        }
        if (space) {
            out[o++] = ' ';
            space = false;
            if (o + 1 >= size)
                break;
        }
        out[o++] = (char)html[k];
    }
    out[o] = 0;
    return o;
}
