/* DNS message parsing (RFC 1035, 3596): see dns.h.
 * Names: labels are followed forward; a compression pointer must point strictly before the
 * start of the segment being read (so the segment start strictly decreases and a loop is
 * impossible), at most DNS_LABELS_MAX labels and DNS_JUMPS_MAX pointers per name, no
 * recursion. The presentation form is lower-case, without the final dot; bytes outside
 * 0x21..0x7e are written as \DDD and '.' / '\' inside a label as "\." / "\\" (dig's form),
 * and a form longer than WHY_DNS_NAME_MAX is cut at an escape boundary. */
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include "proto/dns.h"
#include "util/cursor.h"
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define DNS_HDR_LEN 12
#define DNS_LABELS_MAX 128
#define DNS_JUMPS_MAX 128

struct name_out {
    char *buf;   /* NULL: only walk the name */
    size_t size; /* bytes of buf, including the NUL */
    size_t len;
    bool full;   /* something did not fit: nothing more is appended */
};

static void out_put(struct name_out *o, const char *s, size_t n)
{
    if (!o->buf || o->full)
        return;
    if (o->len + n + 1 > o->size) {
        o->full = true;
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void out_byte(struct name_out *o, uint8_t b)
{
    char tmp[5];
    if (b >= 'A' && b <= 'Z') {
        tmp[0] = (char)(b + ('a' - 'A'));
        out_put(o, tmp, 1);
    } else if (b == '.' || b == '\\') {
        tmp[0] = '\\';
        tmp[1] = (char)b;
        out_put(o, tmp, 2);
    } else if (b < 0x21 || b > 0x7e) {
        tmp[0] = '\\';
        tmp[1] = (char)('0' + b / 100);
        tmp[2] = (char)('0' + (b / 10) % 10);
        tmp[3] = (char)('0' + b % 10);
        out_put(o, tmp, 4);
    } else {
        tmp[0] = (char)b;
        out_put(o, tmp, 1);
    }
}

/* A name's plain bytes (printable ASCII but ' ', '.' and '\\') lower-cased; 0 for the others,
 * which go through out_byte. */
static const uint8_t dns_plain_lc[256] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x00, 0x2f,
    0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
    0x40, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
    0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x5b, 0x00, 0x5d, 0x5e, 0x5f,
    0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
    0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* The usual name, a question's: no pointer, plain bytes only (dns_plain_lc), its form fits
 * buf (size bytes). Then its bytes are copied whole, lower-cased sixteen a step, the length
 * bytes after the first made dots, and the answer is dns_name's; false for any other name,
 * which dns_name's walk reads (buf may then hold anything). */
static bool dns_name_plain(const uint8_t *msg, size_t len, size_t off, size_t *end, char *buf,
                           size_t size)
{
    size_t pos = off;
    unsigned labels = 0;
    for (;;) { /* the labels' lengths only */
        if (pos >= len)
            return false;
        uint8_t b = msg[pos];
        if (b == 0)
            break;
        if (b & 0xC0 || ++labels > DNS_LABELS_MAX || len - pos - 1 < b)
            return false;
        pos += 1 + (size_t)b;
    }
    size_t m = pos > off ? pos - off - 1 : 0; /* the form's bytes: labels and dots */
    if (m + 1 > size || m > WHY_DNS_NAME_MAX)
        return false;
    uint8_t t[WHY_DNS_NAME_MAX + 16]; /* room for the last step's sixteen */
    memcpy(t, msg + off + 1, m);
    memset(t + m, 0, 16); /* (the last step reads past the form: bytes set, then masked out) */
    for (size_t d = msg[off]; d < m; d += 1u + msg[off + 1 + d])
        t[d] = '-'; /* a plain byte while the bytes are checked, a dot after */
#if defined(__SSE2__)
    const __m128i after_sp = _mm_set1_epi8(0x20), before_del = _mm_set1_epi8(0x7f);
    const __m128i dot = _mm_set1_epi8('.'), bsl = _mm_set1_epi8('\\');
    const __m128i after_at = _mm_set1_epi8('A' - 1), before_lb = _mm_set1_epi8('Z' + 1);
    const __m128i case_bit = _mm_set1_epi8(0x20);
    for (size_t i = 0; i < m; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(t + i));
        /* 0x21..0x7e (bytes from 0x80 compare as negative), not '.' or '\\' */
        __m128i printable = _mm_and_si128(_mm_cmpgt_epi8(v, after_sp),
                                          _mm_cmpgt_epi8(before_del, v));
        __m128i escaped = _mm_or_si128(_mm_cmpeq_epi8(v, dot), _mm_cmpeq_epi8(v, bsl));
        __m128i plain = _mm_andnot_si128(escaped, printable);
        unsigned want = m - i >= 16 ? 0xffffu : (1u << (m - i)) - 1u;
        if (((unsigned)_mm_movemask_epi8(plain) & want) != want)
            return false;
        __m128i upper = _mm_and_si128(_mm_cmpgt_epi8(v, after_at), _mm_cmpgt_epi8(before_lb, v));
        v = _mm_or_si128(v, _mm_and_si128(upper, case_bit));
        _mm_storeu_si128((__m128i *)(void *)(t + i), v);
    }
#else
    for (size_t i = 0; i < m; i++) {
        if (!dns_plain_lc[t[i]])
            return false;
        t[i] = dns_plain_lc[t[i]];
    }
#endif
    for (size_t d = msg[off]; d < m; d += 1u + msg[off + 1 + d])
        t[d] = '.';
    memcpy(buf, t, m);
    buf[m] = '\0';
    *end = pos + 1;
    return true;
}

/* Decodes the name at `off` of msg[0..len). On success returns 0 and sets *end to the offset
 * just after the name as it appears at `off` (after the first pointer, if any). */
static int dns_name(const uint8_t *msg, size_t len, size_t off, size_t *end, char *buf,
                    size_t size)
{
    if (buf && size && dns_name_plain(msg, len, off, end, buf, size))
        return 0;
    struct name_out o = {buf, size, 0, false};
    if (buf && size)
        buf[0] = '\0';
    if (buf && !size)
        o.buf = NULL;
    size_t pos = off, seg = off;
    unsigned labels = 0, jumps = 0;
    bool jumped = false;
    for (;;) {
        if (pos >= len)
            return -1;
        uint8_t b = msg[pos];
        if ((b & 0xC0) == 0xC0) {
            if (pos + 1 >= len)
                return -1;
            size_t target = (size_t)(b & 0x3F) << 8 | msg[pos + 1];
            if (target >= seg || ++jumps > DNS_JUMPS_MAX)
                return -1; /* self, forward or looping pointer */
            if (!jumped) {
                *end = pos + 2;
                jumped = true;
            }
            pos = seg = target;
            continue;
        }
        if (b & 0xC0)
            return -1; /* extended label types (01, 10) are not used */
        if (b == 0) {
            if (!jumped)
                *end = pos + 1;
            return 0;
        }
        if (++labels > DNS_LABELS_MAX || len - pos - 1 < b)
            return -1;
        size_t before = o.len;
        if (labels > 1)
            out_put(&o, ".", 1);
        /* plain bytes (printable, not '.' or '\\') written in place, lower-cased, with one
         * NUL at the end; any other byte, or one that does not fit, through out_byte. A label
         * of plain bytes only that fits whole (the usual one) is copied in one pass. */
        size_t i = 0;
        if (o.buf && !o.full && o.len + b + 1 <= o.size) {
            char *w = o.buf + o.len;
            const uint8_t *r = msg + pos + 1;
            for (; i < b; i++) {
                uint8_t lc = dns_plain_lc[r[i]];
                if (!lc)
                    break;
                w[i] = (char)lc;
            }
            o.len += i;
        }
        for (; o.buf && i < b; i++) {
            uint8_t ch = msg[pos + 1 + i];
            if (!o.full && dns_plain_lc[ch] && o.len + 2 <= o.size) {
                o.buf[o.len++] = (char)dns_plain_lc[ch];
                continue;
            }
            if (!o.full)
                o.buf[o.len] = '\0';
            out_byte(&o, ch);
        }
        if (o.buf && !o.full)
            o.buf[o.len] = '\0';
        if (o.buf && o.full && labels > 1 && o.len == before + 1) {
            o.len = before; /* no separator before a label that did not fit */
            o.buf[before] = '\0';
        }
        pos += 1 + (size_t)b;
    }
}

/* Reads the name at c->off into buf (NULL: skip it) and advances c past it. */
static bool skip_name(struct why_cur *c, char *buf, size_t size)
{
    size_t end = 0;
    if (c->err || dns_name(c->p, c->len, c->off, &end, buf, size) < 0)
        return why_cur_fail(c);
    c->off = end;
    return true;
}

int why_dns_parse(const uint8_t *msg, size_t len, struct why_dns_msg *out)
{
    if (!out)
        return -1;
    /* every field but the two names' bytes and the addresses' slots, which are written as
     * they are filled (a kilobyte not cleared for each message) */
    memset(out, 0, offsetof(struct why_dns_msg, qname));
    out->qname[0] = out->cname[0] = '\0';
    out->qtype = out->qclass = 0;
    out->naddrs = out->addrs_total = out->ncname = 0;
    out->soa = out->partial = false;
    if (!msg || len < DNS_HDR_LEN)
        return -1;
    struct why_cur c = why_cur_make(msg, len);
    out->id = why_cur_be16(&c);
    uint16_t flags = why_cur_be16(&c);
    out->response = (flags & 0x8000) != 0;
    out->opcode = (uint8_t)((flags >> 11) & 0x0F);
    out->truncated = (flags & 0x0200) != 0;
    out->rcode = (uint8_t)(flags & 0x0F);
    out->qdcount = why_cur_be16(&c);
    out->ancount = why_cur_be16(&c);
    out->nscount = why_cur_be16(&c);
    out->arcount = why_cur_be16(&c);
    if (out->qdcount == 0)
        return 0;

    /* first question */
    if (!skip_name(&c, out->qname, sizeof out->qname)) {
        out->qname[0] = '\0';
        return -1;
    }
    out->qtype = why_cur_be16(&c);
    out->qclass = why_cur_be16(&c);
    if (!why_cur_ok(&c)) {
        out->qname[0] = '\0';
        out->qtype = out->qclass = 0;
        return -1;
    }
    out->has_question = true;

    /* further questions are skipped */
    for (uint32_t i = 1; i < out->qdcount; i++) {
        skip_name(&c, NULL, 0);
        why_cur_skip(&c, 4);
        if (!why_cur_ok(&c)) {
            out->partial = true;
            return 0;
        }
    }

    /* answer and authority sections */
    uint32_t total = (uint32_t)out->ancount + out->nscount;
    for (uint32_t i = 0; i < total; i++) {
        if (i >= WHY_DNS_RR_MAX) {
            out->partial = true;
            break;
        }
        bool answer = i < out->ancount;
        skip_name(&c, NULL, 0);
        uint16_t type = why_cur_be16(&c);
        why_cur_be16(&c); /* class */
        why_cur_be32(&c); /* ttl */
        uint16_t rdlen = why_cur_be16(&c);
        size_t rdoff = c.off;
        struct why_cur rd = why_cur_sub(&c, rdlen);
        if (!why_cur_ok(&c) || !why_cur_ok(&rd)) {
            out->partial = true;
            break;
        }
        if (answer) {
            if ((type == WHY_DNS_A && rdlen == 4) || (type == WHY_DNS_AAAA && rdlen == 16)) {
                const uint8_t *b = why_cur_peek(&rd, rdlen); /* (rd holds rdlen bytes) */
                if (b && out->naddrs < WHY_DNS_ADDRS_MAX) {
                    struct why_addr *a = &out->addrs[out->naddrs++];
                    if (type == WHY_DNS_A)
                        why_addr_set4(a, b);
                    else
                        why_addr_set6(a, b);
                }
                out->addrs_total++;
            } else if (type == WHY_DNS_CNAME) {
                out->ncname++;
                char tmp[WHY_DNS_NAME_MAX + 1];
                size_t end = 0;
                /* the target lies in the rdata; its pointers may reach back into the message */
                if (dns_name(msg, rdoff + rdlen, rdoff, &end, tmp, sizeof tmp) == 0)
                    memcpy(out->cname, tmp, sizeof tmp);
            }
        } else if (type == WHY_DNS_SOA) {
            out->soa = true;
        }
    }
    return 0;
}

const char *why_dns_rcode_name(uint8_t rcode)
{
    static const char *const names[16] = {
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
        "NXRRSET", "NOTAUTH", "NOTZONE",  "RCODE11",  "RCODE12", "RCODE13", "RCODE14",  "RCODE15",
    };
    if (rcode < 16)
        return names[rcode];
    /* header rcodes are 4 bits; extended (EDNS) codes are not decoded */
    static const char *const ext[] = {"RCODE16", "RCODE17", "RCODE18", "RCODE19",
                                      "RCODE20", "RCODE21", "RCODE22", "RCODE23"};
    if (rcode < 24)
        return ext[rcode - 16];
    return "RCODE?";
}

const char *why_dns_type_name(uint16_t qtype, char *buf, size_t size)
{
    switch (qtype) {
    case 1: return "A";
    case 2: return "NS";
    case 5: return "CNAME";
    case 6: return "SOA";
    case 12: return "PTR";
    case 15: return "MX";
    case 16: return "TXT";
    case 28: return "AAAA";
    case 33: return "SRV";
    case 64: return "SVCB";
    case 65: return "HTTPS";
    case 255: return "ANY";
    default: break;
    }
    if (!buf || size == 0)
        return "TYPE?";
    snprintf(buf, size, "TYPE%u", (unsigned)qtype);
    return buf;
}
