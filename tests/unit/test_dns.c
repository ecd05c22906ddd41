/* DNS message parsing: rcodes, negative answers, CNAME chains with compression, hostile names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto/dns.h"

struct msgb {
    uint8_t b[4096];
    size_t n;
};

static void put8(struct msgb *m, unsigned v)
{
    assert_true(m->n < sizeof m->b);
    m->b[m->n++] = (uint8_t)v;
}

static void put16(struct msgb *m, unsigned v)
{
    put8(m, v >> 8);
    put8(m, v & 0xFF);
}

static void put32(struct msgb *m, uint32_t v)
{
    put16(m, v >> 16);
    put16(m, v & 0xFFFF);
}

static void putbytes(struct msgb *m, const void *p, size_t n)
{
    assert_true(m->n + n <= sizeof m->b);
    memcpy(m->b + m->n, p, n);
    m->n += n;
}

/* Labels of a dotted name, without the terminating zero. */
static void putlabels(struct msgb *m, const char *name)
{
    while (*name) {
        const char *dot = strchr(name, '.');
        size_t l = dot ? (size_t)(dot - name) : strlen(name);
        put8(m, (unsigned)l);
        putbytes(m, name, l);
        name += l;
        if (*name == '.')
            name++;
    }
}

static void putname(struct msgb *m, const char *name)
{
    putlabels(m, name);
    put8(m, 0);
}

static void putptr(struct msgb *m, size_t off) { put16(m, 0xC000 | (unsigned)off); }

static void header(struct msgb *m, unsigned flags, unsigned qd, unsigned an, unsigned ns,
                   unsigned ar)
{
    m->n = 0;
    put16(m, 0x1234);
    put16(m, flags);
    put16(m, qd);
    put16(m, an);
    put16(m, ns);
    put16(m, ar);
}

static void question(struct msgb *m, const char *name, unsigned type)
{
    putname(m, name);
    put16(m, type);
    put16(m, 1);
}

/* An SOA RR owned by the name at `owner` (a pointer), with compressed mname/rname. */
static void soa_rr(struct msgb *m, size_t owner)
{
    putptr(m, owner);
    put16(m, WHY_DNS_SOA);
    put16(m, 1);
    put32(m, 300);
    put16(m, 2 + 2 + 20);
    putptr(m, owner);
    putptr(m, owner);
    for (int i = 0; i < 5; i++)
        put32(m, (uint32_t)(i + 1));
}

static void nxdomain_soa(void **state)
{
    (void)state;
    struct msgb m;
    header(&m, 0x8183, 1, 0, 1, 0);
    question(&m, "NX.Lab", WHY_DNS_A);
    soa_rr(&m, 15); /* "lab" */
    struct why_dns_msg d;
    assert_int_equal(why_dns_parse(m.b, m.n, &d), 0);
    assert_int_equal(d.id, 0x1234);
    assert_true(d.response);
    assert_true(d.has_question);
    assert_string_equal(d.qname, "nx.lab");
    assert_int_equal(d.qtype, WHY_DNS_A);
    assert_int_equal(d.qclass, 1);
    assert_int_equal(d.rcode, WHY_DNS_NXDOMAIN);
    assert_string_equal(why_dns_rcode_name(d.rcode), "NXDOMAIN");
    assert_true(d.soa);
    assert_false(d.partial);
    assert_int_equal(d.naddrs, 0);
    assert_int_equal(d.ncname, 0);
}

static void servfail(void **state)
{
    (void)state;
    struct msgb m;
    header(&m, 0x8182, 1, 0, 0, 0);
    question(&m, "api.shop.lab", WHY_DNS_AAAA);
    struct why_dns_msg d;
    assert_int_equal(why_dns_parse(m.b, m.n, &d), 0);
    assert_int_equal(d.rcode, WHY_DNS_SERVFAIL);
    assert_string_equal(why_dns_rcode_name(d.rcode), "SERVFAIL");
    assert_string_equal(d.qname, "api.shop.lab");
    assert_int_equal(d.qtype, WHY_DNS_AAAA);
    assert_false(d.soa);
    assert_false(d.partial);

    /* a query: QR clear, RD set */
    header(&m, 0x0100, 1, 0, 0, 0);
    question(&m, "api.shop.lab", WHY_DNS_A);
    assert_int_equal(why_dns_parse(m.b, m.n, &d), 0);
    assert_false(d.response);
    assert_int_equal(d.opcode, 0);
}

static void answer_chain(void **state)
{
    (void)state;
    struct msgb m;
    header(&m, 0x8180, 1, 4, 0, 0);
    question(&m, "www.Shop.lab", WHY_DNS_A); /* www@12 shop@16 lab@21 */
    /* www.shop.lab CNAME edge.cdn.lab */
    putptr(&m, 12);
    put16(&m, WHY_DNS_CNAME);
    put16(&m, 1);
    put32(&m, 60);
    put16(&m, 5 + 4 + 2);
    size_t edge = m.n;
    putlabels(&m, "EDGE.cdn");
    putptr(&m, 21);
    /* edge.cdn.lab CNAME node7.cdn.lab */
    putptr(&m, edge);
    put16(&m, WHY_DNS_CNAME);
    put16(&m, 1);
    put32(&m, 60);
    put16(&m, 6 + 2);
    size_t node = m.n;
    putlabels(&m, "node7");
    putptr(&m, edge + 5); /* "cdn.lab" */
    /* node7.cdn.lab A 198.19.0.10 and AAAA 2001:db8::10 */
    putptr(&m, node);
    put16(&m, WHY_DNS_A);
    put16(&m, 1);
    put32(&m, 60);
    put16(&m, 4);
    putbytes(&m, "\xc6\x13\x00\x0a", 4);
    putptr(&m, node);
    put16(&m, WHY_DNS_AAAA);
    put16(&m, 1);
    put32(&m, 60);
    put16(&m, 16);
    putbytes(&m, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x10", 16);

    struct why_dns_msg d;
    assert_int_equal(why_dns_parse(m.b, m.n, &d), 0);
    assert_int_equal(d.rcode, WHY_DNS_NOERROR);
    assert_string_equal(d.qname, "www.shop.lab");
    assert_int_equal(d.ncname, 2);
    assert_string_equal(d.cname, "node7.cdn.lab");
    assert_int_equal(d.naddrs, 2);
    assert_int_equal(d.addrs_total, 2);
    assert_int_equal(d.addrs[0].family, 4);
    assert_memory_equal(d.addrs[0].a, "\xc6\x13\x00\x0a", 4);
    assert_int_equal(d.addrs[0].a[4], 0);
    assert_int_equal(d.addrs[1].family, 6);
    assert_int_equal(d.addrs[1].a[0], 0x20);
    assert_int_equal(d.addrs[1].a[15], 0x10);
    assert_false(d.soa);
    assert_false(d.partial);

    /* the same struct for the next message keeps nothing of this one (the parse clears it
     * field by field, not the names' bytes and address slots it does not fill) */
    header(&m, 0x0100, 1, 0, 0, 0);
    question(&m, "x.lab", WHY_DNS_AAAA);
    assert_int_equal(why_dns_parse(m.b, m.n, &d), 0);
    assert_false(d.response);
    assert_string_equal(d.qname, "x.lab");
    assert_int_equal(d.rcode, 0);
    assert_int_equal(d.ancount, 0);
    assert_int_equal(d.ncname, 0);
    assert_string_equal(d.cname, "");
    assert_int_equal(d.naddrs, 0);
    assert_int_equal(d.addrs_total, 0);
    assert_false(d.soa);
    assert_false(d.partial);
    assert_false(d.truncated);
}

static void many_addresses(void **state)
{
    (void)state;
    struct msgb m;
    header(&m, 0x8180, 1, 20, 0, 0);
    question(&m, "big.lab", WHY_DNS_A);
    for (unsigned i = 0; i < 20; i++) {
        putptr(&m, 12);
        put16(&m, WHY_DNS_A);
        put16(&m, 1);
        put32(&m, 60);
        put16(&m, 4);
        put32(&m, 0x0A000000u + i);
    }
    struct why_dns_msg d;
    assert_int_equal(why_dns_parse(m.b, m.n, &d), 0);
    assert_int_equal(d.naddrs, WHY_DNS_ADDRS_MAX);
    assert_int_equal(d.addrs_total, 20);
    assert_int_equal(d.addrs[15].a[3], 15);
    assert_false(d.partial);
}

static void nodata(void **state)
{
    (void)state;
    struct msgb m;
    header(&m, 0x8580, 1, 0, 1, 0);
    question(&m, "v4only.lab", WHY_DNS_AAAA);
    soa_rr(&m, 12);
    struct why_dns_msg d;
    assert_int_equal(why_dns_parse(m.b, m.n, &d), 0);
    assert_int_equal(d.rcode, WHY_DNS_NOERROR);
    assert_int_equal(d.ancount, 0);
    assert_int_equal(d.naddrs, 0);
    assert_true(d.soa);
    assert_false(d.partial);
}

static void pointer_loops(void **state)
{
    (void)state;
    struct msgb m;
    struct why_dns_msg d;
    /* the question name points at itself */
    header(&m, 0x8180, 1, 0, 0, 0);
    putptr(&m, 12);
    put16(&m, 1);
    put16(&m, 1);
    assert_int_equal(why_dns_parse(m.b, m.n, &d), -1);
    assert_false(d.has_question);
    /* ... forwards */
    header(&m, 0x8180, 1, 0, 0, 0);
    putptr(&m, 14);
    putname(&m, "fwd.lab");
    put16(&m, 1);
    put16(&m, 1);
    assert_int_equal(why_dns_parse(m.b, m.n, &d), -1);
    /* ... back to its own first label: a loop through a label */
    header(&m, 0x8180, 1, 0, 0, 0);
    putlabels(&m, "a");
    putptr(&m, 12);
    put16(&m, 1);
    put16(&m, 1);
    assert_int_equal(why_dns_parse(m.b, m.n, &d), -1);
    /* an answer owner name that loops: question kept, answers partial */
    header(&m, 0x8180, 1, 1, 0, 0);
    question(&m, "ok.lab", WHY_DNS_A);
    size_t here = m.n;
    putlabels(&m, "x");
    putptr(&m, here);
    put16(&m, WHY_DNS_A);
    put16(&m, 1);
    put32(&m, 1);
    put16(&m, 4);
    put32(&m, 1);
    assert_int_equal(why_dns_parse(m.b, m.n, &d), 0);
    assert_true(d.has_question);
    assert_string_equal(d.qname, "ok.lab");
    assert_true(d.partial);
    assert_int_equal(d.naddrs, 0);
    /* long chains of backward pointers (kept in the rdata of an unknown type) terminate */
    for (int round = 0; round < 2; round++) {
        size_t chain = round == 0 ? 100 : 300;
        header(&m, 0x8180, 1, 2, 0, 0);
        question(&m, "lab", WHY_DNS_A);
        putptr(&m, 12);
        put16(&m, 99);
        put16(&m, 1);
        put32(&m, 1);
        put16(&m, (unsigned)(2 * chain));
        size_t first = m.n;
        for (size_t i = 0; i < chain; i++)
            putptr(&m, i == 0 ? 12 : m.n - 2);
        putptr(&m, first + 2 * (chain - 1));
        put16(&m, WHY_DNS_A);
        put16(&m, 1);
        put32(&m, 1);
        put16(&m, 4);
        put32(&m, 1);
        assert_int_equal(why_dns_parse(m.b, m.n, &d), 0);
        assert_string_equal(d.qname, "lab");
        assert_int_equal(d.naddrs, round == 0 ? 1 : 0);
        assert_int_equal(d.partial, round == 1);
    }
}

/* A question of n labels of 63 upper-case bytes `up`, its whole form (n * 64 - 1 bytes,
 * lower-case) in want. */
static void long_question(struct msgb *m, int n, char up, char *want)
{
    uint8_t lab[63];
    memset(lab, up, sizeof lab);
    header(m, 0x8180, 1, 0, 0, 0);
    char *w = want;
    for (int i = 0; i < n; i++) {
        put8(m, sizeof lab);
        putbytes(m, lab, sizeof lab);
        if (i)
            *w++ = '.';
        memset(w, up + 32, sizeof lab);
        w += sizeof lab;
    }
    *w = 0;
    put8(m, 0);
    put16(m, 1);
    put16(m, 1);
}

static void too_many_labels(void **state)
{
    (void)state;
    struct msgb m;
    struct why_dns_msg d;
    header(&m, 0x8180, 1, 0, 0, 0);
    for (int i = 0; i < 129; i++)
        putlabels(&m, "a");
    put8(&m, 0);
    put16(&m, 1);
    put16(&m, 1);
    assert_int_equal(why_dns_parse(m.b, m.n, &d), -1);
    /* a presentation form over 255 bytes is cut, never split inside an escape */
    header(&m, 0x8180, 1, 0, 0, 0);
    uint8_t lab[63];
    memset(lab, 0xFF, sizeof lab);
    for (int i = 0; i < 3; i++) {
        put8(&m, sizeof lab);
        putbytes(&m, lab, sizeof lab);
    }
    put8(&m, 0);
    put16(&m, 1);
    put16(&m, 1);
    assert_int_equal(why_dns_parse(m.b, m.n, &d), 0);
    size_t l = strlen(d.qname);
    assert_true(l <= WHY_DNS_NAME_MAX);
    assert_true(l > 200);
    assert_string_equal(d.qname + l - 4, "\\255");
    /* plain upper-case labels over 255 bytes: lower-cased, cut inside the label that does not
     * fit, the name's own prefix (no dot at the end) */
    char full[5 * 64 + 1];
    long_question(&m, 5, 'B', full);
    assert_int_equal(why_dns_parse(m.b, m.n, &d), 0);
    l = strlen(d.qname);
    assert_int_equal(l, WHY_DNS_NAME_MAX);
    assert_memory_equal(d.qname, full, l);
    /* an extended label type */
    header(&m, 0x8180, 1, 0, 0, 0);
    put8(&m, 0x41);
    put8(&m, 0);
    put16(&m, 1);
    put16(&m, 1);
    assert_int_equal(why_dns_parse(m.b, m.n, &d), -1);
}

static void truncated(void **state)
{
    (void)state;
    struct msgb m;
    struct why_dns_msg d;
    header(&m, 0x8180, 1, 2, 0, 0);
    question(&m, "cut.lab", WHY_DNS_A);
    putptr(&m, 12);
    put16(&m, WHY_DNS_A);
    put16(&m, 1);
    put32(&m, 60);
    put16(&m, 4);
    put32(&m, 0x01020304);
    putptr(&m, 12);
    put16(&m, WHY_DNS_A);
    put16(&m, 1);
    put32(&m, 60);
    put16(&m, 4);
    put16(&m, 0x0506); /* two bytes of four */
    assert_int_equal(why_dns_parse(m.b, m.n, &d), 0);
    assert_true(d.has_question);
    assert_true(d.partial);
    assert_int_equal(d.naddrs, 1);
    /* every prefix is handled */
    for (size_t n = 0; n < m.n; n++) {
        int r = why_dns_parse(m.b, n, &d);
        if (n < 12 + 9 + 4)
            assert_int_equal(r, -1);
        else
            assert_int_equal(r, 0);
    }
}

static void odd_bytes(void **state)
{
    (void)state;
    struct msgb m;
    struct why_dns_msg d;
    header(&m, 0x8180, 1, 0, 0, 0);
    put8(&m, 5);
    putbytes(&m, "A.\x07 \\", 5);
    putname(&m, "Lab");
    put16(&m, 1);
    put16(&m, 1);
    assert_int_equal(why_dns_parse(m.b, m.n, &d), 0);
    assert_string_equal(d.qname, "a\\.\\007\\032\\\\.lab");
    /* the root */
    header(&m, 0x8180, 1, 0, 0, 0);
    put8(&m, 0);
    put16(&m, 2);
    put16(&m, 1);
    assert_int_equal(why_dns_parse(m.b, m.n, &d), 0);
    assert_true(d.has_question);
    assert_string_equal(d.qname, "");
}

/* The presentation form (dns.h) of one label's bytes, appended to out. */
static void form_label(char *out, const uint8_t *l, size_t n)
{
    out += strlen(out);
    for (size_t i = 0; i < n; i++) {
        uint8_t b = l[i];
        if (b >= 'A' && b <= 'Z')
            *out++ = (char)(b + 32);
        else if (b == '.' || b == '\\')
            out += sprintf(out, "\\%c", b);
        else if (b < 0x21 || b > 0x7e)
            out += sprintf(out, "\\%03u", b);
        else
            *out++ = (char)b;
    }
    *out = 0;
}

/* A question's name read whole, lower-cased and escaped alike whatever its label's length
 * (across sixteen-byte steps) and wherever a byte that needs escaping lies. */
static void question_forms(void **state)
{
    (void)state;
    struct msgb m;
    struct why_dns_msg d;
    uint8_t lab[40];
    char want[WHY_DNS_NAME_MAX * 4 + 1];
    for (size_t n = 1; n <= sizeof lab; n++) {
        size_t at[3] = {0, n / 2, n - 1};
        for (int k = 0; k < 3; k++) {
            for (unsigned c = 0; c < 256; c++) {
                for (size_t i = 0; i < n; i++)
                    lab[i] = (uint8_t)((i & 1 ? 'A' : 'a') + i % 26);
                lab[at[k]] = (uint8_t)c;
                header(&m, 0x0100, 1, 0, 0, 0);
                put8(&m, (unsigned)n);
                putbytes(&m, lab, n);
                putname(&m, "Example.TEST");
                put16(&m, 1);
                put16(&m, 1);
                want[0] = 0;
                form_label(want, lab, n);
                strcat(want, ".example.test");
                assert_int_equal(why_dns_parse(m.b, m.n, &d), 0);
                assert_string_equal(d.qname, want);
            }
        }
    }
    /* four labels of 63 upper-case bytes: 255 bytes, kept whole */
    long_question(&m, 4, 'Q', want);
    assert_int_equal(why_dns_parse(m.b, m.n, &d), 0);
    assert_int_equal(strlen(d.qname), WHY_DNS_NAME_MAX);
    assert_string_equal(d.qname, want);
}

static void no_question(void **state)
{
    (void)state;
    struct msgb m;
    struct why_dns_msg d;
    header(&m, 0x8180, 0, 0, 0, 0);
    assert_int_equal(why_dns_parse(m.b, m.n, &d), 0);
    assert_false(d.has_question);
    assert_int_equal(why_dns_parse(m.b, 11, &d), -1);
    header(&m, 0x8180, 1, 0, 0, 0);
    assert_int_equal(why_dns_parse(m.b, m.n, &d), -1);
    assert_int_equal(why_dns_parse(NULL, 0, &d), -1);
}

static void names(void **state)
{
    (void)state;
    char buf[16];
    assert_string_equal(why_dns_rcode_name(0), "NOERROR");
    assert_string_equal(why_dns_rcode_name(5), "REFUSED");
    assert_string_equal(why_dns_rcode_name(6), "YXDOMAIN");
    assert_string_equal(why_dns_rcode_name(10), "NOTZONE");
    assert_string_equal(why_dns_rcode_name(11), "RCODE11");
    assert_string_equal(why_dns_type_name(1, buf, sizeof buf), "A");
    assert_string_equal(why_dns_type_name(28, buf, sizeof buf), "AAAA");
    assert_string_equal(why_dns_type_name(65, buf, sizeof buf), "HTTPS");
    assert_string_equal(why_dns_type_name(99, buf, sizeof buf), "TYPE99");
    assert_string_equal(why_dns_type_name(65535, buf, 12), "TYPE65535");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nxdomain_soa),  cmocka_unit_test(servfail),
        cmocka_unit_test(answer_chain),  cmocka_unit_test(many_addresses),
        cmocka_unit_test(nodata),        cmocka_unit_test(pointer_loops),
        cmocka_unit_test(too_many_labels), cmocka_unit_test(truncated),
        cmocka_unit_test(odd_bytes),     cmocka_unit_test(no_question),
        cmocka_unit_test(question_forms),
        cmocka_unit_test(names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
