/* Decode on hand-built frames: every link type (Ethernet with 802.1Q/QinQ, SLL, SLL2,
 * NULL/LOOP, raw), IPv4 with options and fragments, IPv6 with extension headers, TCP, UDP,
 * ICMP/ICMPv6 errors with their quoted packet, the snaplen cut (TRUNCATED, or OK with less
 * payload captured than sent) told apart from impossible headers (MALFORMED), and the address
 * helpers; tunnels (GRE with its options, ERSPAN I/II/III, Aruba 802.11, VXLAN, GENEVE,
 * IP-in-IP, nesting, the depth cap, fragments) each cut at every offset, and their counters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>

#include <cmocka.h>

#include "decode/decode.h"

/* ---- frame builder (network byte order) -------------------------------------------- */

struct pk {
    uint8_t b[72 * 1024];
    size_t n;
};

static void put(struct pk *k, const void *d, size_t n)
{
    assert_true(k->n + n <= sizeof k->b);
    memcpy(k->b + k->n, d, n);
    k->n += n;
}

static void p8(struct pk *k, uint8_t v) { put(k, &v, 1); }

static void p16(struct pk *k, uint16_t v)
{
    p8(k, (uint8_t)(v >> 8));
    p8(k, (uint8_t)v);
}

static void p32(struct pk *k, uint32_t v)
{
    p16(k, (uint16_t)(v >> 16));
    p16(k, (uint16_t)v);
}

static void set16(struct pk *k, size_t at, uint16_t v)
{
    k->b[at] = (uint8_t)(v >> 8);
    k->b[at + 1] = (uint8_t)v;
}

static void fill(struct pk *k, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++)
        p8(k, v);
}

static struct why_addr A(const char *s)
{
    struct why_addr a;
    assert_int_equal(why_addr_parse(s, &a), 0);
    return a;
}

static void addr(struct pk *k, const char *s)
{
    struct why_addr a = A(s);
    put(k, a.a, a.family == 4 ? 4 : 16);
}

static void assert_addr(const struct why_addr *a, const char *want)
{
    char buf[64];
    why_addr_str(a, buf, sizeof buf);
    assert_string_equal(buf, want);
}

static void eth(struct pk *k, uint16_t ethertype)
{
    static const uint8_t macs[12] = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2};
    put(k, macs, sizeof macs);
    p16(k, ethertype);
}

/* IPv4 header without options; total length set later by ip4_done (unless fixed here). */
static size_t ip4(struct pk *k, uint8_t proto, const char *src, const char *dst, uint16_t offflags)
{
    size_t at = k->n;
    p8(k, 0x45);
    p8(k, 0);
    p16(k, 0);      /* total length */
    p16(k, 0x1234); /* identification */
    p16(k, offflags);
    p8(k, 64);
    p8(k, proto);
    p16(k, 0xbeef); /* checksum: never checked */
    addr(k, src);
    addr(k, dst);
    return at;
}

static void ip4_done(struct pk *k, size_t at) { set16(k, at + 2, (uint16_t)(k->n - at)); }

static size_t ip6(struct pk *k, uint8_t nh, const char *src, const char *dst)
{
    size_t at = k->n;
    p32(k, 0x60012345u); /* version 6, class 0, flow label */
    p16(k, 0);           /* payload length */
    p8(k, nh);
    p8(k, 57);
    addr(k, src);
    addr(k, dst);
    return at;
}

static void ip6_done(struct pk *k, size_t at) { set16(k, at + 4, (uint16_t)(k->n - at - 40)); }

/* TCP header of 20 + optlen bytes (optlen a multiple of 4, options given). */
static void tcp(struct pk *k, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                const uint8_t *opts, size_t optlen)
{
    p16(k, sport);
    p16(k, dport);
    p32(k, seq);
    p32(k, ack);
    p8(k, (uint8_t)(((20 + optlen) / 4) << 4));
    p8(k, flags);
    p16(k, 64240);
    p16(k, 0xcafe); /* checksum */
    p16(k, 0);      /* urgent pointer */
    if (optlen)
        put(k, opts, optlen);
}

static const uint8_t syn_opts[20] = {
    0x02, 0x04, 0x05, 0xb4,                         /* MSS 1460 */
    0x04, 0x02,                                     /* SACK permitted */
    0x08, 0x0a, 0, 0, 0x12, 0x34, 0, 0, 0, 0,       /* timestamps */
    0x01,                                           /* NOP */
    0x03, 0x03, 0x07,                               /* window scale 7 */
};

static size_t udp(struct pk *k, uint16_t sport, uint16_t dport)
{
    size_t at = k->n;
    p16(k, sport);
    p16(k, dport);
    p16(k, 0); /* length, set by udp_done */
    p16(k, 0);
    return at;
}

static void udp_done(struct pk *k, size_t at) { set16(k, at + 4, (uint16_t)(k->n - at)); }

static enum why_decode_status decode_n(uint32_t linktype, const struct pk *k, size_t caplen, struct why_frame *f,
                                       struct why_pkt *p)
{
    memset(f, 0, sizeof *f);
    f->linktype = linktype;
    f->data = k->b;
    f->caplen = (uint32_t)caplen;
    f->wirelen = (uint32_t)k->n;
    memset(p, 0xa5, sizeof *p); /* why_decode must clear it */
    return why_decode(f, p);
}

static enum why_decode_status decode(uint32_t linktype, const struct pk *k, struct why_frame *f, struct why_pkt *p)
{
    return decode_n(linktype, k, k->n, f, p);
}

enum { LT_NULL = 0, LT_ETH = 1, LT_RAW = 101, LT_LOOP = 108, LT_SLL = 113, LT_IPV4 = 228, LT_IPV6 = 229,
       LT_SLL2 = 276 };

/* An IPv4/TCP SYN with 20 bytes of options from 198.18.0.1:40000 to 198.18.1.2:80. */
static void ipv4_syn(struct pk *k)
{
    size_t ip = ip4(k, 6, "198.18.0.1", "198.18.1.2", 0x4000 /* DF: not a fragment */);
    tcp(k, 40000, 80, 0x11223344u, 0, WHY_TCP_SYN, syn_opts, sizeof syn_opts);
    ip4_done(k, ip);
}

/* ---- link layers ------------------------------------------------------------------- */

static void ethernet_ipv4_tcp_syn(void **state)
{
    (void)state;
    struct pk k = {0};
    eth(&k, 0x0800);
    ipv4_syn(&k);
    struct why_frame f;
    struct why_pkt p;
    assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_OK);
    assert_ptr_equal(p.frame, &f);
    assert_int_equal(p.link_dir, WHY_LINK_DIR_UNKNOWN);
    assert_int_equal(p.vlan, 0);
    assert_int_equal(p.ipver, 4);
    assert_addr(&p.src, "198.18.0.1");
    assert_addr(&p.dst, "198.18.1.2");
    assert_int_equal(p.proto, 6);
    assert_int_equal(p.ttl, 64);
    assert_false(p.fragment);
    assert_int_equal(p.sport, 40000);
    assert_int_equal(p.dport, 80);
    assert_int_equal(p.seq, 0x11223344u);
    assert_int_equal(p.ack, 0);
    assert_int_equal(p.tcp_flags, WHY_TCP_SYN);
    assert_int_equal(p.window, 64240);
    assert_false(p.icmp_error);
    assert_false(p.quoted.valid);
    assert_ptr_equal(p.payload, k.b + k.n);
    assert_int_equal(p.paylen, 0);
    assert_int_equal(p.paylen_wire, 0);
}

/* A short segment padded to the Ethernet minimum (and a trailing FCS): neither is payload. */
static void ethernet_padding(void **state)
{
    (void)state;
    struct pk k = {0};
    eth(&k, 0x0800);
    size_t ip = ip4(&k, 6, "198.18.0.1", "198.18.1.2", 0);
    tcp(&k, 40000, 80, 1, 2, WHY_TCP_ACK | WHY_TCP_PSH, NULL, 0);
    put(&k, "hi", 2);
    ip4_done(&k, ip);
    fill(&k, 4, 0xee); /* padding to 60 */
    fill(&k, 4, 0xfc); /* FCS */
    struct why_frame f;
    struct why_pkt p;
    assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_OK);
    assert_int_equal(p.tcp_flags, WHY_TCP_ACK | WHY_TCP_PSH);
    assert_int_equal(p.seq, 1);
    assert_int_equal(p.ack, 2);
    assert_int_equal(p.paylen, 2);
    assert_int_equal(p.paylen_wire, 2);
    assert_memory_equal(p.payload, "hi", 2);
}

/* IPv4/TCP is read on a fast path with one bounds check; PPPoE in front of the same packet
 * takes the general one. Both give the same view and status for every capture cut, declared
 * IP length (0: a TSO super-segment) and TCP data offset. */
static void ipv4_tcp_fast_path_same_view(void **state)
{
    (void)state;
    static const uint16_t totals[] = {0, 19, 20, 39, 40, 59, 60, 69, 70, 71, 100, 0xffff};
    static const uint8_t offsets[] = {0, 4, 5, 9, 10, 11, 15};
    for (size_t ti = 0; ti < sizeof totals / sizeof totals[0]; ti++) {
        for (size_t oi = 0; oi < sizeof offsets / sizeof offsets[0]; oi++) {
            struct pk ip = {0};
            ipv4_syn(&ip);
            put(&ip, "0123456789", 10); /* 70 bytes in all */
            set16(&ip, 2, totals[ti]);
            ip.b[32] = (uint8_t)(offsets[oi] << 4);
            struct pk pp = {0};
            eth(&pp, 0x8864);
            put(&pp, "\x11\x00\x00\x01\x00\x48", 6); /* PPPoE session */
            p16(&pp, 0x0021);                         /* PPP: IPv4 */
            size_t hdr = pp.n;
            put(&pp, ip.b, ip.n);
            for (size_t cut = 0; cut <= ip.n; cut++) {
                struct why_frame f1, f2;
                struct why_pkt a, b;
                enum why_decode_status sa = decode_n(LT_RAW, &ip, cut, &f1, &a);
                enum why_decode_status sb = decode_n(LT_ETH, &pp, hdr + cut, &f2, &b);
                assert_int_equal(sa, sb);
                if (cut == 0)
                    continue; /* raw IP of no byte is told before the IP header */
                assert_int_equal(a.ipver, b.ipver);
                assert_memory_equal(&a.src, &b.src, sizeof a.src);
                assert_memory_equal(&a.dst, &b.dst, sizeof a.dst);
                assert_int_equal(a.ttl, b.ttl);
                assert_int_equal(a.proto, b.proto);
                assert_int_equal(a.fragment, b.fragment);
                assert_int_equal(a.sport, b.sport);
                assert_int_equal(a.dport, b.dport);
                assert_int_equal(a.seq, b.seq);
                assert_int_equal(a.ack, b.ack);
                assert_int_equal(a.tcp_flags, b.tcp_flags);
                assert_int_equal(a.window, b.window);
                assert_int_equal(a.paylen, b.paylen);
                assert_int_equal(a.paylen_wire, b.paylen_wire);
                assert_int_equal(a.payload ? a.payload - ip.b : -1, b.payload ? b.payload - pp.b - (ptrdiff_t)hdr : -1);
            }
        }
    }
}

static void vlan_and_qinq(void **state)
{
    (void)state;
    struct why_frame f;
    struct why_pkt p;

    struct pk k = {0};
    eth(&k, 0x8100);
    p16(&k, 0x2000 | 100); /* priority 1, VLAN 100 */
    p16(&k, 0x0800);
    ipv4_syn(&k);
    assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_OK);
    assert_int_equal(p.vlan, 100);
    assert_int_equal(p.dport, 80);

    static const uint16_t outer[] = {0x88a8, 0x9100, 0x8100};
    for (size_t i = 0; i < 3; i++) { /* QinQ: the outer tag is reported */
        memset(&k, 0, sizeof k);
        eth(&k, outer[i]);
        p16(&k, 0xf000 | 200);
        p16(&k, 0x8100);
        p16(&k, 100);
        p16(&k, 0x0800);
        ipv4_syn(&k);
        assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_OK);
        assert_int_equal(p.vlan, 200);
        assert_int_equal(p.sport, 40000);
        assert_int_equal(p.tcp_flags, WHY_TCP_SYN);
    }

    /* cut inside the second tag */
    memset(&k, 0, sizeof k);
    eth(&k, 0x88a8);
    p16(&k, 200);
    p16(&k, 0x8100);
    p8(&k, 0);
    assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_TRUNCATED);

    /* a tag stack deeper than anything real */
    memset(&k, 0, sizeof k);
    eth(&k, 0x8100);
    for (int i = 0; i < 20; i++) {
        p16(&k, 7);
        p16(&k, 0x8100);
    }
    assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_UNSUPPORTED);

    /* ARP inside a VLAN */
    memset(&k, 0, sizeof k);
    eth(&k, 0x8100);
    p16(&k, 100);
    p16(&k, 0x0806);
    fill(&k, 28, 0);
    assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_NOT_IP);
    assert_int_equal(p.vlan, 100);
}

static void sll_header(struct pk *k, uint16_t pkttype, uint16_t hatype, uint16_t proto)
{
    p16(k, pkttype);
    p16(k, hatype);
    p16(k, 6);
    static const uint8_t a[8] = {0x02, 0, 0, 0, 0, 9, 0, 0};
    put(k, a, 8);
    p16(k, proto);
}

static void sll2_header(struct pk *k, uint8_t pkttype, uint16_t hatype, uint16_t proto)
{
    p16(k, proto);
    p16(k, 0);  /* reserved */
    p32(k, 3);  /* interface index */
    p16(k, hatype);
    p8(k, pkttype);
    p8(k, 6);
    static const uint8_t a[8] = {0x02, 0, 0, 0, 0, 9, 0, 0};
    put(k, a, 8);
}

static void linux_cooked(void **state)
{
    (void)state;
    struct why_frame f;
    struct why_pkt p;
    static const struct {
        uint16_t pkttype;
        enum why_link_dir dir;
    } cases[] = {{4, WHY_LINK_DIR_OUT}, {0, WHY_LINK_DIR_IN}, {1, WHY_LINK_DIR_IN},
                 {3, WHY_LINK_DIR_IN},  {5, WHY_LINK_DIR_UNKNOWN}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pk k = {0};
        sll_header(&k, cases[i].pkttype, 1, 0x0800);
        ipv4_syn(&k);
        assert_int_equal(decode(LT_SLL, &k, &f, &p), WHY_DECODE_OK);
        assert_int_equal(p.link_dir, cases[i].dir);
        assert_addr(&p.dst, "198.18.1.2");
        assert_int_equal(p.dport, 80);

        memset(&k, 0, sizeof k);
        sll2_header(&k, (uint8_t)cases[i].pkttype, 1, 0x86dd);
        size_t ip = ip6(&k, 6, "fd00::1", "fd00:1::7");
        tcp(&k, 50000, 443, 7, 8, WHY_TCP_SYN | WHY_TCP_ACK, NULL, 0);
        ip6_done(&k, ip);
        assert_int_equal(decode(LT_SLL2, &k, &f, &p), WHY_DECODE_OK);
        assert_int_equal(p.link_dir, cases[i].dir);
        assert_int_equal(p.ipver, 6);
        assert_addr(&p.src, "fd00::1");
        assert_addr(&p.dst, "fd00:1::7");
        assert_int_equal(p.ttl, 57);
        assert_int_equal(p.sport, 50000);
        assert_int_equal(p.tcp_flags, WHY_TCP_SYN | WHY_TCP_ACK);
    }

    /* VLAN tag after the cooked header (SLL shows 802.1Q when the NIC does not strip it) */
    struct pk k = {0};
    sll_header(&k, 0, 1, 0x8100);
    p16(&k, 42);
    p16(&k, 0x0800);
    ipv4_syn(&k);
    assert_int_equal(decode(LT_SLL, &k, &f, &p), WHY_DECODE_OK);
    assert_int_equal(p.vlan, 42);

    /* nlmon: netlink messages, whatever the protocol field says */
    memset(&k, 0, sizeof k);
    sll_header(&k, 4, 824, 0x0800);
    ipv4_syn(&k);
    assert_int_equal(decode(LT_SLL, &k, &f, &p), WHY_DECODE_NOT_IP);
    memset(&k, 0, sizeof k);
    sll2_header(&k, 4, 824, 0x0800);
    ipv4_syn(&k);
    assert_int_equal(decode(LT_SLL2, &k, &f, &p), WHY_DECODE_NOT_IP);

    /* ARP, and headers cut short */
    memset(&k, 0, sizeof k);
    sll2_header(&k, 0, 1, 0x0806);
    fill(&k, 28, 0);
    assert_int_equal(decode(LT_SLL2, &k, &f, &p), WHY_DECODE_NOT_IP);
    assert_int_equal(decode_n(LT_SLL2, &k, 19, &f, &p), WHY_DECODE_TRUNCATED);
    assert_int_equal(decode_n(LT_SLL, &k, 15, &f, &p), WHY_DECODE_TRUNCATED);
}

static void null_and_loop(void **state)
{
    (void)state;
    struct why_frame f;
    struct why_pkt p;
    static const uint32_t inet6[] = {24, 28, 30};
    for (int order = 0; order < 2; order++) {     /* written little- or big-endian */
        for (size_t i = 0; i < 4; i++) {
            uint32_t af = i < 3 ? inet6[i] : 2;
            struct pk k = {0};
            if (order == 0) {
                p8(&k, (uint8_t)af);
                fill(&k, 3, 0);
            } else {
                p32(&k, af);
            }
            size_t ip;
            if (af == 2) {
                ipv4_syn(&k);
            } else {
                ip = ip6(&k, 6, "::1", "::1");
                tcp(&k, 1234, 8080, 1, 0, WHY_TCP_SYN, NULL, 0);
                ip6_done(&k, ip);
            }
            for (int lt = 0; lt < 2; lt++) {
                assert_int_equal(decode(lt ? LT_LOOP : LT_NULL, &k, &f, &p), WHY_DECODE_OK);
                assert_int_equal(p.ipver, af == 2 ? 4 : 6);
                assert_int_equal(p.dport, af == 2 ? 80 : 8080);
            }
        }
    }
    struct pk k = {0};
    p8(&k, 7); /* AF_OSI or whatever: not ours */
    fill(&k, 3, 0);
    fill(&k, 20, 0x45);
    assert_int_equal(decode(LT_NULL, &k, &f, &p), WHY_DECODE_NOT_IP);
    assert_int_equal(decode_n(LT_NULL, &k, 3, &f, &p), WHY_DECODE_TRUNCATED);
}

/* Raw IPv6 with hop-by-hop (8 bytes) and destination options (16 bytes) before TCP. */
static void raw_ipv6_extension_headers(void **state)
{
    (void)state;
    struct pk k = {0};
    size_t ip = ip6(&k, 0, "fd00::1", "fd00::2");
    p8(&k, 60); /* hop-by-hop: next is destination options */
    p8(&k, 0);
    p8(&k, 1); /* PadN of 4 */
    p8(&k, 4);
    fill(&k, 4, 0);
    p8(&k, 6); /* destination options: next is TCP, 16 bytes */
    p8(&k, 1);
    p8(&k, 1); /* PadN of 12 */
    p8(&k, 12);
    fill(&k, 12, 0);
    tcp(&k, 40001, 80, 99, 100, WHY_TCP_ACK | WHY_TCP_PSH, NULL, 0);
    put(&k, "hello", 5);
    ip6_done(&k, ip);
    struct why_frame f;
    struct why_pkt p;
    for (int lt = 0; lt < 2; lt++) {
        assert_int_equal(decode(lt ? LT_IPV6 : LT_RAW, &k, &f, &p), WHY_DECODE_OK);
        assert_int_equal(p.ipver, 6);
        assert_addr(&p.src, "fd00::1");
        assert_addr(&p.dst, "fd00::2");
        assert_int_equal(p.proto, 6);
        assert_false(p.fragment);
        assert_int_equal(p.sport, 40001);
        assert_int_equal(p.dport, 80);
        assert_int_equal(p.seq, 99);
        assert_int_equal(p.paylen, 5);
        assert_int_equal(p.paylen_wire, 5);
        assert_memory_equal(p.payload, "hello", 5);
    }
    /* cut inside the destination options header */
    assert_int_equal(decode_n(LT_RAW, &k, 40 + 8 + 10, &f, &p), WHY_DECODE_TRUNCATED);
    assert_addr(&p.src, "fd00::1");
    /* cut in the payload */
    assert_int_equal(decode_n(LT_RAW, &k, k.n - 2, &f, &p), WHY_DECODE_OK);
    assert_int_equal(p.paylen, 3);
    assert_int_equal(p.paylen_wire, 5);

    /* an extension header longer than the payload length allows */
    set16(&k, 4, 8 + 4);
    assert_int_equal(decode(LT_RAW, &k, &f, &p), WHY_DECODE_MALFORMED);

    /* a chain longer than the cap */
    memset(&k, 0, sizeof k);
    ip = ip6(&k, 60, "fd00::1", "fd00::2");
    for (int i = 0; i < 12; i++) {
        p8(&k, i == 11 ? 6 : 60);
        p8(&k, 0);
        p8(&k, 1);
        p8(&k, 4);
        fill(&k, 4, 0);
    }
    tcp(&k, 1, 2, 3, 4, WHY_TCP_SYN, NULL, 0);
    ip6_done(&k, ip);
    assert_int_equal(decode(LT_RAW, &k, &f, &p), WHY_DECODE_UNSUPPORTED);

    /* raw: a version that is neither 4 nor 6 */
    memset(&k, 0, sizeof k);
    p8(&k, 0x55);
    fill(&k, 30, 0);
    assert_int_equal(decode(LT_RAW, &k, &f, &p), WHY_DECODE_MALFORMED);
    assert_int_equal(decode_n(LT_RAW, &k, 0, &f, &p), WHY_DECODE_TRUNCATED);
}

/* ---- IPv4 / UDP -------------------------------------------------------------------- */

static void ipv4_options(void **state)
{
    (void)state;
    struct pk k = {0};
    size_t ip = ip4(&k, 17, "10.0.0.1", "10.0.0.2", 0);
    k.b[ip] = 0x46; /* IHL 6 */
    p32(&k, 0x94040000u); /* router alert */
    size_t u = udp(&k, 5353, 5353);
    put(&k, "abc", 3);
    udp_done(&k, u);
    ip4_done(&k, ip);
    struct why_frame f;
    struct why_pkt p;
    assert_int_equal(decode(LT_RAW, &k, &f, &p), WHY_DECODE_OK);
    assert_int_equal(p.proto, 17);
    assert_int_equal(p.sport, 5353);
    assert_int_equal(p.paylen, 3);
    assert_memory_equal(p.payload, "abc", 3);

    /* IHL 15: 40 bytes of options, then TCP */
    memset(&k, 0, sizeof k);
    ip = ip4(&k, 6, "10.0.0.1", "10.0.0.2", 0);
    k.b[ip] = 0x4f;
    fill(&k, 39, 1); /* NOPs */
    p8(&k, 0);       /* end of options */
    tcp(&k, 1111, 2222, 5, 6, WHY_TCP_RST, NULL, 0);
    ip4_done(&k, ip);
    assert_int_equal(decode(LT_IPV4, &k, &f, &p), WHY_DECODE_OK);
    assert_int_equal(p.sport, 1111);
    assert_int_equal(p.dport, 2222);
    assert_int_equal(p.tcp_flags, WHY_TCP_RST);
    /* cut inside the options */
    assert_int_equal(decode_n(LT_IPV4, &k, 30, &f, &p), WHY_DECODE_TRUNCATED);
    assert_addr(&p.dst, "10.0.0.2");
}

static const uint8_t dns_query[] = {
    0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, /* id, RD, 1 question */
    2, 'n', 'x', 3, 'l', 'a', 'b', 0, 0, 1, 0, 1,   /* nx.lab A IN */
};

static void udp_dns(void **state)
{
    (void)state;
    struct pk k = {0};
    eth(&k, 0x0800);
    size_t ip = ip4(&k, 17, "198.18.0.1", "198.18.0.53", 0);
    size_t u = udp(&k, 53000, 53);
    put(&k, dns_query, sizeof dns_query);
    udp_done(&k, u);
    ip4_done(&k, ip);
    fill(&k, 6, 0); /* Ethernet padding */
    struct why_frame f;
    struct why_pkt p;
    assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_OK);
    assert_int_equal(p.proto, 17);
    assert_int_equal(p.sport, 53000);
    assert_int_equal(p.dport, 53);
    assert_ptr_equal(p.payload, k.b + u + 8);
    assert_int_equal(p.paylen, sizeof dns_query);
    assert_int_equal(p.paylen_wire, sizeof dns_query);
    assert_memory_equal(p.payload, dns_query, sizeof dns_query);

    /* UDP length shorter than the IP payload: the UDP length wins */
    set16(&k, u + 4, 8 + 12);
    assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_OK);
    assert_int_equal(p.paylen, 12);
    assert_int_equal(p.paylen_wire, 12);
    /* longer than the IP payload, or shorter than its own header: impossible */
    set16(&k, u + 4, (uint16_t)(8 + sizeof dns_query + 1));
    assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_MALFORMED);
    set16(&k, u + 4, 7);
    assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_MALFORMED);
    set16(&k, u + 4, (uint16_t)(8 + sizeof dns_query));
    /* snaplen cut in the DNS message */
    assert_int_equal(decode_n(LT_ETH, &k, u + 8 + 5, &f, &p), WHY_DECODE_OK);
    assert_int_equal(p.paylen, 5);
    assert_int_equal(p.paylen_wire, sizeof dns_query);
    /* cut in the UDP header */
    assert_int_equal(decode_n(LT_ETH, &k, u + 6, &f, &p), WHY_DECODE_TRUNCATED);
    assert_int_equal(p.sport, 53000);
}

/* ---- ICMP errors ------------------------------------------------------------------- */

/* ICMP destination unreachable, host administratively prohibited (3/10), quoting the IPv4
 * header and first 8 bytes of a SYN from 198.18.0.1:40000 to 198.51.100.7:443. */
static void icmp_admin_prohibited(void **state)
{
    (void)state;
    struct pk k = {0};
    eth(&k, 0x0800);
    size_t ip = ip4(&k, 1, "198.18.0.254", "198.18.0.1", 0);
    p8(&k, 3);
    p8(&k, 10);
    p16(&k, 0);
    p32(&k, 0);
    size_t q = ip4(&k, 6, "198.18.0.1", "198.51.100.7", 0x4000);
    set16(&k, q + 2, 60);
    p16(&k, 40000);
    p16(&k, 443);
    p32(&k, 0xdeadbeefu);
    ip4_done(&k, ip);
    struct why_frame f;
    struct why_pkt p;
    assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_OK);
    assert_int_equal(p.proto, 1);
    assert_addr(&p.src, "198.18.0.254");
    assert_int_equal(p.icmp_type, 3);
    assert_int_equal(p.icmp_code, 10);
    assert_true(p.icmp_error);
    assert_int_equal(p.paylen, 28);
    assert_true(p.quoted.valid);
    assert_true(p.quoted.ports);
    assert_int_equal(p.quoted.proto, 6);
    assert_addr(&p.quoted.src, "198.18.0.1");
    assert_addr(&p.quoted.dst, "198.51.100.7");
    assert_int_equal(p.quoted.sport, 40000);
    assert_int_equal(p.quoted.dport, 443);
    assert_int_equal(p.quoted.tcp_seq, 0xdeadbeefu);
    assert_int_equal(p.sport, 0); /* the outer packet has no ports */

    /* only 4 bytes of the transport header quoted: ports, no sequence number */
    assert_int_equal(decode_n(LT_ETH, &k, k.n - 4, &f, &p), WHY_DECODE_OK);
    assert_true(p.quoted.ports);
    assert_int_equal(p.quoted.dport, 443);
    assert_int_equal(p.quoted.tcp_seq, 0);
    /* only the quoted IP header: addresses, no ports */
    assert_int_equal(decode_n(LT_ETH, &k, k.n - 8, &f, &p), WHY_DECODE_OK);
    assert_true(p.quoted.valid);
    assert_false(p.quoted.ports);
    assert_addr(&p.quoted.dst, "198.51.100.7");
    /* cut inside the quoted IP header: the snaplen, not the sender */
    assert_int_equal(decode_n(LT_ETH, &k, k.n - 16, &f, &p), WHY_DECODE_TRUNCATED);
    assert_true(p.icmp_error);
    assert_false(p.quoted.valid);
    /* an error that quotes nothing at all */
    k.n = ip + 28;
    ip4_done(&k, ip);
    assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_MALFORMED);

    /* a quoted header with options and a UDP datagram */
    memset(&k, 0, sizeof k);
    ip = ip4(&k, 1, "198.18.0.254", "198.18.0.1", 0);
    p8(&k, 11); /* time exceeded */
    p8(&k, 0);
    p16(&k, 0);
    p32(&k, 0);
    q = ip4(&k, 17, "198.18.0.1", "198.18.0.53", 0);
    k.b[q] = 0x46;
    p32(&k, 0x01010100u);
    p16(&k, 53001);
    p16(&k, 53);
    p16(&k, 40);
    p16(&k, 0);
    ip4_done(&k, ip);
    assert_int_equal(decode(LT_RAW, &k, &f, &p), WHY_DECODE_OK);
    assert_int_equal(p.icmp_type, 11);
    assert_true(p.icmp_error);
    assert_int_equal(p.quoted.proto, 17);
    assert_true(p.quoted.ports);
    assert_int_equal(p.quoted.sport, 53001);
    assert_int_equal(p.quoted.dport, 53);
    assert_int_equal(p.quoted.tcp_seq, 0);
}

static void icmp_echo_not_error(void **state)
{
    (void)state;
    struct pk k = {0};
    size_t ip = ip4(&k, 1, "198.18.0.1", "198.18.0.2", 0);
    p8(&k, 8);
    p8(&k, 0);
    p16(&k, 0);
    p32(&k, 0x00010002u);
    put(&k, "ping-data", 9);
    ip4_done(&k, ip);
    struct why_frame f;
    struct why_pkt p;
    assert_int_equal(decode(LT_RAW, &k, &f, &p), WHY_DECODE_OK);
    assert_int_equal(p.icmp_type, 8);
    assert_false(p.icmp_error);
    assert_false(p.quoted.valid);
    assert_int_equal(p.paylen, 9);
    assert_memory_equal(p.payload, "ping-data", 9);
    /* cut inside the 8-byte ICMP header */
    assert_int_equal(decode_n(LT_RAW, &k, 25, &f, &p), WHY_DECODE_TRUNCATED);
}

/* ICMPv6 destination unreachable, administratively prohibited (1/1), quoting a SYN. */
static void icmpv6_admin_prohibited(void **state)
{
    (void)state;
    struct pk k = {0};
    eth(&k, 0x86dd);
    size_t ip = ip6(&k, 58, "fd00::fe", "fd00::1");
    p8(&k, 1);
    p8(&k, 1);
    p16(&k, 0);
    p32(&k, 0);
    size_t q = ip6(&k, 6, "fd00::1", "fd00:1::7");
    tcp(&k, 40002, 443, 0x01020304u, 0, WHY_TCP_SYN, syn_opts, sizeof syn_opts);
    ip6_done(&k, q);
    ip6_done(&k, ip);
    struct why_frame f;
    struct why_pkt p;
    assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_OK);
    assert_int_equal(p.ipver, 6);
    assert_int_equal(p.proto, 58);
    assert_int_equal(p.icmp_type, 1);
    assert_int_equal(p.icmp_code, 1);
    assert_true(p.icmp_error);
    assert_true(p.quoted.valid);
    assert_true(p.quoted.ports);
    assert_int_equal(p.quoted.proto, 6);
    assert_addr(&p.quoted.src, "fd00::1");
    assert_addr(&p.quoted.dst, "fd00:1::7");
    assert_int_equal(p.quoted.sport, 40002);
    assert_int_equal(p.quoted.dport, 443);
    assert_int_equal(p.quoted.tcp_seq, 0x01020304u);

    /* quoted packet with a destination options header before TCP; packet too big (2) */
    memset(&k, 0, sizeof k);
    ip = ip6(&k, 58, "fd00::fe", "fd00::1");
    p8(&k, 2);
    p8(&k, 0);
    p16(&k, 0);
    p32(&k, 1280);
    q = ip6(&k, 60, "fd00::1", "fd00:1::7");
    p8(&k, 6);
    p8(&k, 0);
    p8(&k, 1);
    p8(&k, 4);
    fill(&k, 4, 0);
    tcp(&k, 40003, 80, 5, 0, WHY_TCP_ACK, NULL, 0);
    ip6_done(&k, q);
    ip6_done(&k, ip);
    assert_int_equal(decode(LT_RAW, &k, &f, &p), WHY_DECODE_OK);
    assert_int_equal(p.icmp_type, 2);
    assert_true(p.icmp_error);
    assert_int_equal(p.quoted.proto, 6);
    assert_true(p.quoted.ports);
    assert_int_equal(p.quoted.sport, 40003);

    /* echo request: not an error */
    memset(&k, 0, sizeof k);
    ip = ip6(&k, 58, "fd00::1", "fd00::2");
    p8(&k, 128);
    p8(&k, 0);
    p16(&k, 0);
    p32(&k, 1);
    ip6_done(&k, ip);
    assert_int_equal(decode(LT_RAW, &k, &f, &p), WHY_DECODE_OK);
    assert_int_equal(p.icmp_type, 128);
    assert_false(p.icmp_error);
    assert_int_equal(p.paylen, 0);
}

/* ---- snaplen cuts and impossible headers ------------------------------------------- */

static void snaplen_cuts(void **state)
{
    (void)state;
    struct pk k = {0};
    eth(&k, 0x0800);
    size_t ip = ip4(&k, 6, "198.18.0.1", "198.18.1.2", 0);
    size_t th = k.n;
    tcp(&k, 40000, 80, 1, 1, WHY_TCP_ACK, syn_opts, sizeof syn_opts);
    for (int i = 0; i < 100; i++)
        p8(&k, (uint8_t)i);
    ip4_done(&k, ip);
    struct why_frame f;
    struct why_pkt p;

    /* in the TCP fixed header: ports read, the rest not */
    assert_int_equal(decode_n(LT_ETH, &k, th + 10, &f, &p), WHY_DECODE_TRUNCATED);
    assert_int_equal(p.ipver, 4);
    assert_addr(&p.src, "198.18.0.1");
    assert_int_equal(p.proto, 6);
    assert_int_equal(p.sport, 40000);
    assert_int_equal(p.dport, 80);
    /* in the TCP options */
    assert_int_equal(decode_n(LT_ETH, &k, th + 30, &f, &p), WHY_DECODE_TRUNCATED);
    assert_int_equal(p.tcp_flags, WHY_TCP_ACK);
    /* in the payload: a whole header, part of the data */
    assert_int_equal(decode_n(LT_ETH, &k, th + 40 + 30, &f, &p), WHY_DECODE_OK);
    assert_int_equal(p.paylen, 30);
    assert_int_equal(p.paylen_wire, 100);
    assert_ptr_equal(p.payload, k.b + th + 40);
    assert_true(p.paylen < p.paylen_wire);
    /* exactly the headers */
    assert_int_equal(decode_n(LT_ETH, &k, th + 40, &f, &p), WHY_DECODE_OK);
    assert_int_equal(p.paylen, 0);
    assert_int_equal(p.paylen_wire, 100);
    /* in the IP header, and in the Ethernet header */
    assert_int_equal(decode_n(LT_ETH, &k, ip + 12, &f, &p), WHY_DECODE_TRUNCATED);
    assert_int_equal(p.ipver, 4);
    assert_int_equal(decode_n(LT_ETH, &k, 13, &f, &p), WHY_DECODE_TRUNCATED);
    assert_int_equal(decode_n(LT_ETH, &k, 0, &f, &p), WHY_DECODE_TRUNCATED);

    /* IPv6: in the fixed header, in TCP */
    memset(&k, 0, sizeof k);
    ip = ip6(&k, 6, "fd00::1", "fd00::2");
    tcp(&k, 1, 2, 3, 4, WHY_TCP_SYN, NULL, 0);
    ip6_done(&k, ip);
    assert_int_equal(decode_n(LT_RAW, &k, 30, &f, &p), WHY_DECODE_TRUNCATED);
    assert_int_equal(decode_n(LT_RAW, &k, 50, &f, &p), WHY_DECODE_TRUNCATED);
    assert_int_equal(p.proto, 6);
    assert_int_equal(p.dport, 2);
}

static void malformed(void **state)
{
    (void)state;
    struct why_frame f;
    struct why_pkt p;
    struct pk k = {0};
    eth(&k, 0x0800);
    size_t ip = ip4(&k, 6, "198.18.0.1", "198.18.1.2", 0);
    tcp(&k, 40000, 80, 1, 1, WHY_TCP_ACK, NULL, 0);
    ip4_done(&k, ip);
    assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_OK);

    set16(&k, ip + 2, 19); /* total length smaller than the header */
    assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_MALFORMED);
    set16(&k, ip + 2, 30); /* room for only 10 bytes of TCP header */
    assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_MALFORMED);
    ip4_done(&k, ip);

    k.b[ip] = 0x44; /* IHL 4 */
    assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_MALFORMED);
    k.b[ip] = 0x65; /* version 6 behind an IPv4 ethertype */
    assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_MALFORMED);
    k.b[ip] = 0x45;

    k.b[ip + 20 + 12] = 0x40; /* TCP data offset 4 words */
    assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_MALFORMED);
    k.b[ip + 20 + 12] = 0xf0; /* 60 bytes, in a 20-byte segment */
    assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_MALFORMED);
    k.b[ip + 20 + 12] = 0x50;

    memset(&k, 0, sizeof k); /* the IPv6 ethertype in front of an IPv4 header */
    eth(&k, 0x86dd);
    ip = ip4(&k, 6, "1.2.3.4", "5.6.7.8", 0);
    fill(&k, 40, 0);
    assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_MALFORMED);
}

/* Length 0: Linux's TSO/GSO super-segments and jumbograms; the capture is the packet. */
static void tso_zero_length(void **state)
{
    (void)state;
    struct pk k = {0};
    eth(&k, 0x0800);
    ip4(&k, 6, "198.18.0.1", "198.18.1.2", 0);
    tcp(&k, 40000, 80, 1, 1, WHY_TCP_ACK, NULL, 0);
    fill(&k, 3000, 'x');
    struct why_frame f;
    struct why_pkt p;
    assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_OK);
    assert_int_equal(p.paylen, 3000);
    assert_int_equal(p.paylen_wire, 3000);

    /* IPv6 payload length 0 with a UDP length 0: a jumbogram (RFC 2675) */
    memset(&k, 0, sizeof k);
    ip6(&k, 17, "fd00::1", "fd00::2");
    udp(&k, 4000, 4001);
    fill(&k, 70000, 'j');
    assert_int_equal(decode(LT_RAW, &k, &f, &p), WHY_DECODE_OK);
    assert_int_equal(p.sport, 4000);
    assert_int_equal(p.paylen, 70000);
    assert_int_equal(p.paylen_wire, 70000);
}

static void fragments(void **state)
{
    (void)state;
    struct why_frame f;
    struct why_pkt p;
    static const uint16_t frag[] = {0x2000 /* MF, offset 0 */, 185 /* last */, 0x2000 | 185};
    for (size_t i = 0; i < 3; i++) {
        struct pk k = {0};
        eth(&k, 0x0800);
        size_t ip = ip4(&k, 6, "198.18.0.1", "198.18.1.2", frag[i]);
        tcp(&k, 40000, 80, 1, 1, WHY_TCP_ACK, NULL, 0);
        ip4_done(&k, ip);
        assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_OK);
        assert_true(p.fragment);
        assert_int_equal(p.proto, 6);
        assert_addr(&p.src, "198.18.0.1");
        assert_int_equal(p.sport, 0);
        assert_int_equal(p.dport, 0);
        assert_int_equal(p.tcp_flags, 0);
    }

    /* IPv6 fragment header: first fragment with more to come, then a later one */
    static const uint16_t off6[] = {0x0001, 0x0100, 0x0000};
    for (size_t i = 0; i < 3; i++) {
        struct pk k = {0};
        size_t ip = ip6(&k, 44, "fd00::1", "fd00::2");
        p8(&k, 6);
        p8(&k, 0);
        p16(&k, off6[i]);
        p32(&k, 0xabcdef01u);
        tcp(&k, 40000, 80, 1, 1, WHY_TCP_ACK, NULL, 0);
        ip6_done(&k, ip);
        assert_int_equal(decode(LT_RAW, &k, &f, &p), WHY_DECODE_OK);
        assert_int_equal(p.proto, 6);
        if (i < 2) {
            assert_true(p.fragment);
            assert_int_equal(p.sport, 0);
        } else { /* atomic fragment (RFC 6946): a whole packet */
            assert_false(p.fragment);
            assert_int_equal(p.sport, 40000);
        }
    }
}

static void not_ip_and_unsupported(void **state)
{
    (void)state;
    struct why_frame f;
    struct why_pkt p;
    struct pk k = {0};
    eth(&k, 0x0806); /* ARP request */
    p16(&k, 1);
    p16(&k, 0x0800);
    p8(&k, 6);
    p8(&k, 4);
    p16(&k, 1);
    fill(&k, 20, 0x11);
    assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_NOT_IP);
    assert_int_equal(p.ipver, 0);
    k.b[12] = 0x88; /* LLDP */
    k.b[13] = 0xcc;
    assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_NOT_IP);
    k.b[12] = 0x00; /* 802.3 length field */
    k.b[13] = 0x26;
    assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_NOT_IP);
    assert_int_equal(decode(253, &k, &f, &p), WHY_DECODE_NOT_IP);      /* netlink */
    assert_int_equal(decode(147, &k, &f, &p), WHY_DECODE_UNSUPPORTED); /* user 0 */
    assert_int_equal(decode(127, &k, &f, &p), WHY_DECODE_UNSUPPORTED); /* radiotap */

    /* an IP protocol we do not read (ESP): OK, nothing past IP */
    memset(&k, 0, sizeof k);
    size_t ip = ip4(&k, 50, "198.18.0.1", "198.18.0.2", 0);
    fill(&k, 8, 0);
    ip4_done(&k, ip);
    assert_int_equal(decode(LT_RAW, &k, &f, &p), WHY_DECODE_OK);
    assert_int_equal(p.proto, 50);
    assert_int_equal(p.sport, 0);
    assert_int_equal(p.nencap, 0);
}

/* ---- tunnels ------------------------------------------------------------------------ */

enum { GRE_C = 0x8000, GRE_R = 0x4000, GRE_K = 0x2000, GRE_S = 0x1000 };

/* A GRE header (RFC 2784/2890) with the optional fields its flags announce. */
static void gre(struct pk *k, uint16_t flags, uint16_t proto, uint32_t key, uint32_t seq)
{
    p16(k, flags);
    p16(k, proto);
    if (flags & GRE_C)
        p32(k, 0xc5c50000u); /* checksum + reserved1: never checked */
    if (flags & GRE_K)
        p32(k, key);
    if (flags & GRE_S)
        p32(k, seq);
}

/* ERSPAN II header: version 1, VLAN, COS/En/T, 10-bit session id, index. */
static void erspan2(struct pk *k, uint16_t vlan, uint16_t session)
{
    p16(k, (uint16_t)(1u << 12 | vlan));
    p16(k, (uint16_t)(0x1800u | session)); /* COS 0, En 3 (trunk), T 0 */
    p32(k, 0x00000abc);                   /* reserved, index */
}

/* ERSPAN III header: version 2, session id, timestamp, SGT, frame type 0 (Ethernet), O bit. */
static void erspan3(struct pk *k, uint16_t session, uint8_t frame_type, bool subheader)
{
    p16(k, (uint16_t)(2u << 12 | 10));
    p16(k, session);
    p32(k, 0x01020304u);                                          /* timestamp */
    p16(k, 0);                                                    /* SGT */
    p16(k, (uint16_t)((frame_type & 0x1fu) << 10 | 7u << 4 | (subheader ? 1u : 0u)));
    if (subheader) {
        p32(k, 0x0c000000u); /* platform id 3, hardware... */
        p32(k, 0);
    }
}

/* The packet every tunnel test carries: IPv4, TCP SYN 198.18.5.5:40000 -> 198.18.6.6:443;
 * and the same in an Ethernet frame. */
static void inner_ip_syn(struct pk *k)
{
    size_t ip = ip4(k, 6, "198.18.5.5", "198.18.6.6", 0x4000);
    tcp(k, 40000, 443, 0x01020304u, 0, WHY_TCP_SYN, NULL, 0);
    ip4_done(k, ip);
}

static void inner_eth_syn(struct pk *k)
{
    eth(k, 0x0800);
    inner_ip_syn(k);
}

static void assert_inner_syn(const struct why_pkt *p)
{
    assert_int_equal(p->ipver, 4);
    assert_addr(&p->src, "198.18.5.5");
    assert_addr(&p->dst, "198.18.6.6");
    assert_int_equal(p->proto, 6);
    assert_int_equal(p->sport, 40000);
    assert_int_equal(p->dport, 443);
    assert_int_equal(p->seq, 0x01020304u);
    assert_int_equal(p->tcp_flags, WHY_TCP_SYN);
    assert_int_equal(p->encap_stop, WHY_ENCAP_STOP_NONE);
}

static void assert_encap_str(const struct why_pkt *p, const char *want)
{
    char buf[256];
    assert_string_equal(why_encap_str(p->encap, p->nencap, buf, sizeof buf), want);
}

/* Every cut of a tunnelled frame inside its headers (its first `headers` bytes) is TRUNCATED,
 * never OK, MALFORMED or a read past the cut; a cut in the payload is OK with less captured
 * than sent. The stats count each one. */
static void assert_cuts_at(uint32_t linktype, const struct pk *k, size_t headers)
{
    struct why_decode_stats st;
    memset(&st, 0, sizeof st);
    struct why_frame f;
    struct why_pkt p;
    for (size_t n = 0; n < k->n; n++) {
        /* a copy of exactly n bytes, so ASan sees any read past the cut */
        uint8_t *copy = test_malloc(n ? n : 1);
        memcpy(copy, k->b, n);
        memset(&f, 0, sizeof f);
        f.linktype = linktype;
        f.data = copy;
        f.caplen = (uint32_t)n;
        f.wirelen = (uint32_t)k->n;
        enum why_decode_status r = why_decode(&f, &p);
        enum why_decode_status want = n < headers ? WHY_DECODE_TRUNCATED : WHY_DECODE_OK;
        if (r != want)
            print_error("cut at %zu of %zu: status %d\n", n, k->n, (int)r);
        assert_int_equal(r, want);
        if (r == WHY_DECODE_OK)
            assert_true(p.paylen < p.paylen_wire);
        why_decode_stats_add(&st, r, &p);
        test_free(copy);
    }
    assert_int_equal(st.frames, k->n);
    assert_int_equal(st.truncated, headers);
    assert_true(st.tunnelled > 0);
}

static void assert_cuts_truncated(uint32_t linktype, const struct pk *k) { assert_cuts_at(linktype, k, k->n); }

static void gre_ip_with_options(void **state)
{
    (void)state;
    struct why_frame f;
    struct why_pkt p;
    static const uint16_t flag_sets[] = {0, GRE_K, GRE_S, GRE_K | GRE_S, GRE_C | GRE_K | GRE_S};
    for (size_t i = 0; i < sizeof flag_sets / sizeof flag_sets[0]; i++) {
        uint16_t fl = flag_sets[i];
        struct pk k = {0};
        eth(&k, 0x0800);
        size_t outer = ip4(&k, 47, "10.0.0.1", "10.0.0.2", 0);
        gre(&k, fl, 0x0800, 0x2a, 77);
        inner_ip_syn(&k);
        ip4_done(&k, outer);
        assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_OK);
        assert_inner_syn(&p);
        assert_int_equal(p.nencap, 1);
        assert_int_equal(p.encap[0].kind, WHY_ENCAP_GRE);
        assert_int_equal(p.encap[0].proto, 0x0800);
        assert_addr(&p.encap[0].src, "10.0.0.1");
        assert_addr(&p.encap[0].dst, "10.0.0.2");
        assert_int_equal(!!(p.encap[0].flags & WHY_ENCAP_F_KEY), !!(fl & GRE_K));
        assert_int_equal(!!(p.encap[0].flags & WHY_ENCAP_F_SEQ), !!(fl & GRE_S));
        assert_int_equal(!!(p.encap[0].flags & WHY_ENCAP_F_CSUM), !!(fl & GRE_C));
        assert_int_equal(p.encap[0].key, fl & GRE_K ? 0x2a : 0);
        assert_int_equal(p.encap[0].seq, fl & GRE_S ? 77 : 0);
        assert_encap_str(&p, fl & GRE_K ? "GRE key 0x2a 10.0.0.1->10.0.0.2" : "GRE 10.0.0.1->10.0.0.2");
        assert_cuts_truncated(LT_ETH, &k);
    }

    /* IPv6 inside GRE inside IPv6, with the payload's bytes */
    struct pk k = {0};
    size_t outer = ip6(&k, 47, "fd00::1", "fd00::2");
    gre(&k, GRE_K, 0x86dd, 7, 0);
    size_t in = ip6(&k, 17, "fd00:1::5", "fd00:1::6");
    size_t u = udp(&k, 5353, 53);
    put(&k, "dns!", 4);
    udp_done(&k, u);
    ip6_done(&k, in);
    ip6_done(&k, outer);
    assert_int_equal(decode(LT_RAW, &k, &f, &p), WHY_DECODE_OK);
    assert_int_equal(p.ipver, 6);
    assert_addr(&p.src, "fd00:1::5");
    assert_int_equal(p.dport, 53);
    assert_int_equal(p.paylen, 4);
    assert_memory_equal(p.payload, "dns!", 4);
    assert_encap_str(&p, "GRE key 0x7 fd00::1->fd00::2");
    assert_cuts_at(LT_RAW, &k, k.n - 4);
}

/* Transparent Ethernet bridging (0x6558) with a QinQ stack and an MPLS label inside. */
static void gre_ethernet_qinq_mpls(void **state)
{
    (void)state;
    struct pk k = {0};
    size_t outer = ip4(&k, 47, "10.200.0.3", "10.200.0.224", 0);
    gre(&k, GRE_K, 0x6558, 0x02000000u, 0);
    eth(&k, 0x88a8);
    p16(&k, 300);
    p16(&k, 0x8100);
    p16(&k, 42);
    p16(&k, 0x8847);
    p32(&k, 16u << 12 | 0x100 | 64); /* label 16, bottom of stack, TTL 64 */
    inner_ip_syn(&k);
    ip4_done(&k, outer);
    struct why_frame f;
    struct why_pkt p;
    assert_int_equal(decode(LT_RAW, &k, &f, &p), WHY_DECODE_OK);
    assert_inner_syn(&p);
    assert_int_equal(p.vlan, 300); /* the inner frame's outer tag */
    assert_int_equal(p.encap[0].kind, WHY_ENCAP_GRE);
    assert_int_equal(p.encap[0].proto, 0x6558);
    assert_encap_str(&p, "GRE key 0x2000000 10.200.0.3->10.200.0.224");
    assert_cuts_truncated(LT_RAW, &k);
}

static void erspan_types(void **state)
{
    (void)state;
    struct why_frame f;
    struct why_pkt p;
    for (int type = 1; type <= 4; type++) { /* I, II, III, III with the platform sub-header */
        struct pk k = {0};
        eth(&k, 0x0800);
        size_t outer = ip4(&k, 47, "10.0.0.1", "10.0.0.2", 0);
        if (type == 1) {
            gre(&k, 0, 0x88be, 0, 0);
        } else if (type == 2) {
            gre(&k, GRE_S, 0x88be, 0, 5);
            erspan2(&k, 10, 3);
        } else {
            gre(&k, GRE_S, 0x22eb, 0, 5);
            erspan3(&k, 1023, 0, type == 4);
        }
        inner_eth_syn(&k);
        ip4_done(&k, outer);
        assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_OK);
        assert_inner_syn(&p);
        assert_int_equal(p.nencap, 1);
        assert_int_equal(p.encap[0].kind, type == 1 ? WHY_ENCAP_ERSPAN1 : type == 2 ? WHY_ENCAP_ERSPAN2 : WHY_ENCAP_ERSPAN3);
        assert_encap_str(&p, type == 1   ? "ERSPAN I in GRE 10.0.0.1->10.0.0.2"
                             : type == 2 ? "ERSPAN II session 3 in GRE 10.0.0.1->10.0.0.2"
                                         : "ERSPAN III session 1023 in GRE 10.0.0.1->10.0.0.2");
        assert_cuts_truncated(LT_ETH, &k);
    }

    /* ERSPAN III carrying an IP frame (frame type 2), and a type II header of version 2 */
    struct pk k = {0};
    size_t outer = ip4(&k, 47, "10.0.0.1", "10.0.0.2", 0);
    gre(&k, GRE_S, 0x22eb, 0, 5);
    erspan3(&k, 1, 2, false);
    inner_eth_syn(&k);
    ip4_done(&k, outer);
    assert_int_equal(decode(LT_RAW, &k, &f, &p), WHY_DECODE_UNSUPPORTED);
    assert_int_equal(p.encap_stop, WHY_ENCAP_STOP_ERSPAN_FRAME);
    assert_int_equal(p.encap_stop_value, 2);
    memset(&k, 0, sizeof k);
    outer = ip4(&k, 47, "10.0.0.1", "10.0.0.2", 0);
    gre(&k, GRE_S, 0x88be, 0, 5);
    p16(&k, 2u << 12);
    fill(&k, 6, 0);
    inner_eth_syn(&k);
    ip4_done(&k, outer);
    assert_int_equal(decode(LT_RAW, &k, &f, &p), WHY_DECODE_UNSUPPORTED);
    assert_int_equal(p.encap_stop, WHY_ENCAP_STOP_ERSPAN_VERSION);
    assert_int_equal(p.encap_stop_value, 2);
}

/* IEEE 802.11 data header as an Aruba controller's GRE carries it (frame control, duration,
 * three addresses, sequence control, QoS control when the subtype says so). */
static void wlan(struct pk *k, uint8_t subtype, uint8_t flags)
{
    p8(k, (uint8_t)(subtype << 4 | 2u << 2)); /* type data */
    p8(k, flags);
    p16(k, 0x2c00); /* duration */
    static const uint8_t macs[18] = {0x00, 0x1a, 0x1e, 0, 0, 1, 0x02, 0, 0, 0, 0, 5, 0x00, 0x1a, 0x1e, 0, 0, 2};
    put(k, macs, sizeof macs);
    p16(k, 0x1230); /* sequence control */
    if ((flags & 3) == 3)
        fill(k, 6, 0x44); /* address 4 */
    if (subtype & 8)
        p16(k, 0x0000); /* QoS control: TID 0, no A-MSDU */
}

static void snap(struct pk *k, uint16_t ethertype)
{
    static const uint8_t llc[6] = {0xaa, 0xaa, 0x03, 0, 0, 0};
    put(k, llc, sizeof llc);
    p16(k, ethertype);
}

static void aruba_wlan(void **state)
{
    (void)state;
    struct why_frame f;
    struct why_pkt p;
    static const struct {
        uint16_t proto;
        uint8_t subtype, flags;
    } cases[] = {{0x8200, 8, 0x01}, {0x8210, 0, 0x01}, {0x8370, 8, 0x02}, {0x9000, 8, 0x03}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pk k = {0};
        eth(&k, 0x8100); /* the controller's VLAN, outside the tunnel */
        p16(&k, 33);
        p16(&k, 0x0800);
        size_t outer = ip4(&k, 47, "10.3.34.171", "10.33.10.23", 0);
        gre(&k, 0, cases[i].proto, 0, 0);
        wlan(&k, cases[i].subtype, cases[i].flags);
        snap(&k, 0x0800);
        inner_ip_syn(&k);
        ip4_done(&k, outer);
        assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_OK);
        assert_inner_syn(&p);
        assert_int_equal(p.encap[0].kind, WHY_ENCAP_ARUBA);
        assert_int_equal(p.encap[0].proto, cases[i].proto);
        assert_encap_str(&p, "Aruba 802.11 in GRE 10.3.34.171->10.33.10.23");
        assert_cuts_truncated(LT_ETH, &k);
    }

    /* encrypted, null data, management, other LLC */
    static const struct {
        uint8_t fc0, flags;
        bool snap_hdr;
        enum why_decode_status want;
        enum why_encap_stop stop;
    } others[] = {
        {0x88, 0x41, true, WHY_DECODE_UNSUPPORTED, WHY_ENCAP_STOP_WLAN_PROTECTED},
        {0xc8, 0x01, false, WHY_DECODE_NOT_IP, WHY_ENCAP_STOP_NONE},  /* QoS null */
        {0x80, 0x00, false, WHY_DECODE_NOT_IP, WHY_ENCAP_STOP_NONE},  /* beacon */
        {0x08, 0x01, false, WHY_DECODE_NOT_IP, WHY_ENCAP_STOP_NONE},  /* data, STP's LLC */
    };
    static const uint8_t stp_llc[8] = {0x42, 0x42, 0x03, 0, 0, 0, 0, 0};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        struct pk k = {0};
        size_t outer = ip4(&k, 47, "10.3.34.171", "10.33.10.23", 0);
        gre(&k, 0, 0x8200, 0, 0);
        p8(&k, others[i].fc0);
        p8(&k, others[i].flags);
        fill(&k, 22, 0);
        if (others[i].fc0 & 0x80)
            p16(&k, 0);
        if (others[i].snap_hdr)
            snap(&k, 0x0800);
        else
            put(&k, stp_llc, sizeof stp_llc);
        fill(&k, 20, 0x45);
        ip4_done(&k, outer);
        assert_int_equal(decode(LT_RAW, &k, &f, &p), others[i].want);
        assert_int_equal(p.encap_stop, others[i].stop);
    }
}

static void vxlan_and_geneve(void **state)
{
    (void)state;
    struct why_frame f;
    struct why_pkt p;

    /* VXLAN as AWS VPC traffic mirroring writes it */
    struct pk k = {0};
    eth(&k, 0x0800);
    size_t outer = ip4(&k, 17, "172.31.1.10", "172.31.9.9", 0);
    size_t u = udp(&k, 65012, 4789);
    p8(&k, 0x08);
    fill(&k, 3, 0);
    p8(&k, 0x12);
    p16(&k, 0x3456); /* VNI 0x123456 */
    p8(&k, 0);
    inner_eth_syn(&k);
    udp_done(&k, u);
    ip4_done(&k, outer);
    assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_OK);
    assert_inner_syn(&p);
    assert_int_equal(p.encap[0].kind, WHY_ENCAP_VXLAN);
    assert_int_equal(p.encap[0].id, 0x123456);
    assert_encap_str(&p, "VXLAN VNI 1193046 in UDP 172.31.1.10->172.31.9.9");
    assert_cuts_truncated(LT_ETH, &k);
    k.b[14 + 20 + 8] = 0; /* no VNI flag */
    assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_UNSUPPORTED);
    assert_int_equal(p.encap_stop, WHY_ENCAP_STOP_VXLAN_FLAGS);
    assert_int_equal(p.nencap, 0);

    /* GENEVE with 12 bytes of options, carrying Ethernet; and one carrying IPv4 directly */
    for (int direct = 0; direct < 2; direct++) {
        memset(&k, 0, sizeof k);
        outer = ip4(&k, 17, "10.0.0.1", "10.0.0.2", 0);
        u = udp(&k, 50000, 6081);
        p8(&k, 3); /* version 0, 3 words of options */
        p8(&k, 0);
        p16(&k, direct ? 0x0800 : 0x6558);
        p8(&k, 0);
        p16(&k, 7); /* VNI 7 */
        p8(&k, 0);
        p16(&k, 0x0108); /* option class */
        p8(&k, 1);       /* type */
        p8(&k, 2);       /* 2 words of data */
        fill(&k, 8, 0x77);
        if (direct) {
            inner_ip_syn(&k);
        } else {
            inner_eth_syn(&k);
        }
        udp_done(&k, u);
        ip4_done(&k, outer);
        assert_int_equal(decode(LT_RAW, &k, &f, &p), WHY_DECODE_OK);
        assert_inner_syn(&p);
        assert_int_equal(p.encap[0].kind, WHY_ENCAP_GENEVE);
        assert_int_equal(p.encap[0].id, 7);
        assert_encap_str(&p, "GENEVE VNI 7 in UDP 10.0.0.1->10.0.0.2");
        assert_cuts_truncated(LT_RAW, &k);
    }
    k.b[20 + 8 + 2] = 0x12; /* protocol 0x1200 */
    assert_int_equal(decode(LT_RAW, &k, &f, &p), WHY_DECODE_UNSUPPORTED);
    assert_int_equal(p.encap_stop, WHY_ENCAP_STOP_GENEVE_PROTO);
    assert_int_equal(p.encap_stop_value, 0x1200);
}

static void ip_in_ip(void **state)
{
    (void)state;
    struct why_frame f;
    struct why_pkt p;
    /* IPv4 in IPv4, IPv6 in IPv4 (6in4), IPv6 in IPv6, IPv4 in IPv6 */
    static const struct {
        bool outer6, inner6;
        const char *text;
    } cases[] = {{false, false, "IP-in-IP 10.0.0.1->10.0.0.2"},
                 {false, true, "6in4 10.0.0.1->10.0.0.2"},
                 {true, true, "IPv6-in-IPv6 fd00::1->fd00::2"},
                 {true, false, "IPv4-in-IPv6 fd00::1->fd00::2"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pk k = {0};
        uint8_t proto = cases[i].inner6 ? 41 : 4;
        size_t outer = cases[i].outer6 ? ip6(&k, proto, "fd00::1", "fd00::2") : ip4(&k, proto, "10.0.0.1", "10.0.0.2", 0);
        size_t in = cases[i].inner6 ? ip6(&k, 6, "fd00:9::5", "fd00:9::6") : ip4(&k, 6, "198.18.5.5", "198.18.6.6", 0);
        tcp(&k, 40000, 443, 0x01020304u, 0, WHY_TCP_SYN, NULL, 0);
        if (cases[i].inner6)
            ip6_done(&k, in);
        else
            ip4_done(&k, in);
        if (cases[i].outer6)
            ip6_done(&k, outer);
        else
            ip4_done(&k, outer);
        assert_int_equal(decode(LT_RAW, &k, &f, &p), WHY_DECODE_OK);
        assert_int_equal(p.ipver, cases[i].inner6 ? 6 : 4);
        assert_int_equal(p.dport, 443);
        assert_int_equal(p.tcp_flags, WHY_TCP_SYN);
        assert_int_equal(p.nencap, 1);
        assert_int_equal(p.encap[0].kind, cases[i].inner6 ? WHY_ENCAP_IP6 : WHY_ENCAP_IP4);
        assert_encap_str(&p, cases[i].text);
        assert_cuts_truncated(LT_RAW, &k);
    }
}

/* Tunnels inside tunnels: up to WHY_ENCAP_MAX are read, one more is a named stop. */
static void nesting_and_depth(void **state)
{
    (void)state;
    struct why_frame f;
    struct why_pkt p;
    /* ERSPAN II of a VXLAN overlay packet */
    struct pk k = {0};
    eth(&k, 0x0800);
    size_t o1 = ip4(&k, 47, "10.0.0.1", "10.0.0.2", 0);
    gre(&k, GRE_S, 0x88be, 0, 9);
    erspan2(&k, 0, 3);
    eth(&k, 0x0800);
    size_t o2 = ip4(&k, 17, "172.16.0.1", "172.16.0.2", 0);
    size_t u = udp(&k, 1000, 4789);
    p32(&k, 0x08000000u);
    p32(&k, 0x00000500u); /* VNI 5 */
    inner_eth_syn(&k);
    udp_done(&k, u);
    ip4_done(&k, o2);
    ip4_done(&k, o1);
    assert_int_equal(decode(LT_ETH, &k, &f, &p), WHY_DECODE_OK);
    assert_inner_syn(&p);
    assert_int_equal(p.nencap, 2);
    assert_encap_str(&p, "VXLAN VNI 5 in UDP 172.16.0.1->172.16.0.2 inside ERSPAN II session 3 in GRE 10.0.0.1->10.0.0.2");
    assert_cuts_truncated(LT_ETH, &k);

    for (unsigned depth = WHY_ENCAP_MAX; depth <= WHY_ENCAP_MAX + 1; depth++) {
        memset(&k, 0, sizeof k);
        size_t at[WHY_ENCAP_MAX + 2];
        for (unsigned d = 0; d < depth; d++)
            at[d] = ip4(&k, 4, "10.0.0.1", "10.0.0.2", 0);
        at[depth] = ip4(&k, 6, "198.18.5.5", "198.18.6.6", 0);
        tcp(&k, 40000, 443, 0x01020304u, 0, WHY_TCP_SYN, NULL, 0);
        for (unsigned d = depth + 1; d-- > 0;)
            ip4_done(&k, at[d]);
        if (depth == WHY_ENCAP_MAX) {
            assert_int_equal(decode(LT_RAW, &k, &f, &p), WHY_DECODE_OK);
            assert_int_equal(p.nencap, WHY_ENCAP_MAX);
            assert_int_equal(p.dport, 443);
        } else {
            assert_int_equal(decode(LT_RAW, &k, &f, &p), WHY_DECODE_UNSUPPORTED);
            assert_int_equal(p.encap_stop, WHY_ENCAP_STOP_DEPTH);
        }
    }
}

/* A fragmented tunnel packet: the first fragment is read (cut where it ends), later ones are
 * a named stop. */
static void tunnel_fragments(void **state)
{
    (void)state;
    struct why_frame f;
    struct why_pkt p;
    struct pk k = {0};
    size_t outer = ip4(&k, 47, "10.0.0.1", "10.0.0.2", 0x2000 /* more fragments */);
    gre(&k, GRE_K, 0x0800, 1, 0);
    size_t in = ip4(&k, 6, "198.18.5.5", "198.18.6.6", 0x4000);
    tcp(&k, 80, 40000, 1, 2, WHY_TCP_ACK, NULL, 0);
    fill(&k, 40, 'x');
    ip4_done(&k, in);
    set16(&k, in + 2, 1400); /* the inner packet goes on in the next fragment */
    ip4_done(&k, outer);
    assert_int_equal(decode(LT_RAW, &k, &f, &p), WHY_DECODE_OK);
    assert_int_equal(p.sport, 80);
    assert_int_equal(p.paylen, 40);
    assert_int_equal(p.paylen_wire, 1400 - 40);
    assert_true(p.encap[0].flags & WHY_ENCAP_F_FRAGMENT);
    struct why_decode_stats st;
    memset(&st, 0, sizeof st);
    why_decode_stats_add(&st, WHY_DECODE_OK, &p);
    assert_int_equal(st.tunnel_fragment_heads, 1);

    set16(&k, outer + 6, 0x2000 | 185); /* a middle fragment */
    assert_int_equal(decode(LT_RAW, &k, &f, &p), WHY_DECODE_UNSUPPORTED);
    assert_int_equal(p.encap_stop, WHY_ENCAP_STOP_FRAGMENT);
    assert_int_equal(p.encap_stop_value, 47);
    assert_true(p.fragment);

    /* IPv6: the fragment header (RFC 8200 4.5) before GRE; first, then a later fragment */
    for (int later = 0; later < 2; later++) {
        memset(&k, 0, sizeof k);
        outer = ip6(&k, 44, "fd00::1", "fd00::2");
        p8(&k, 47);
        p8(&k, 0);
        p16(&k, (uint16_t)((later ? 181u : 0u) << 3 | 1u)); /* offset, M */
        p32(&k, 0xabcdef01u);
        gre(&k, 0, 0x86dd, 0, 0);
        in = ip6(&k, 6, "fd00:9::5", "fd00:9::6");
        tcp(&k, 80, 40000, 1, 2, WHY_TCP_ACK, NULL, 0);
        fill(&k, 40, 'y');
        ip6_done(&k, in);
        set16(&k, in + 4, 1400);
        ip6_done(&k, outer);
        if (later) {
            assert_int_equal(decode(LT_RAW, &k, &f, &p), WHY_DECODE_UNSUPPORTED);
            assert_int_equal(p.encap_stop, WHY_ENCAP_STOP_FRAGMENT);
        } else {
            assert_int_equal(decode(LT_RAW, &k, &f, &p), WHY_DECODE_OK);
            assert_int_equal(p.ipver, 6);
            assert_int_equal(p.sport, 80);
            assert_int_equal(p.paylen, 40);
            assert_true(p.encap[0].flags & WHY_ENCAP_F_FRAGMENT);
        }
    }
}

/* Tunnels not read are counted by reason and named by value. */
static void unsupported_named(void **state)
{
    (void)state;
    struct why_frame f;
    struct why_pkt p;
    struct why_decode_stats st;
    memset(&st, 0, sizeof st);
    static const struct {
        uint16_t flags, proto;
        enum why_encap_stop stop;
    } cases[] = {{0, 0x1234, WHY_ENCAP_STOP_GRE_PROTO},   {0, 0x1234, WHY_ENCAP_STOP_GRE_PROTO},
                 {0, 0x5678, WHY_ENCAP_STOP_GRE_PROTO},   {0x2001, 0x880b, WHY_ENCAP_STOP_GRE_VERSION},
                 {GRE_R, 0x0800, WHY_ENCAP_STOP_GRE_ROUTING}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pk k = {0};
        size_t outer = ip4(&k, 47, "10.0.0.1", "10.0.0.2", 0);
        p16(&k, cases[i].flags);
        p16(&k, cases[i].proto);
        fill(&k, 40, 0);
        ip4_done(&k, outer);
        enum why_decode_status r = decode(LT_RAW, &k, &f, &p);
        assert_int_equal(r, WHY_DECODE_UNSUPPORTED);
        assert_int_equal(p.encap_stop, cases[i].stop);
        why_decode_stats_add(&st, r, &p);
    }
    assert_int_equal(st.unsupported, 5);
    assert_int_equal(st.stops[WHY_ENCAP_STOP_GRE_PROTO], 3);
    assert_int_equal(st.nnamed, 4);
    char line[80];
    assert_string_equal(why_decode_stats_line(&st, 0, line, sizeof line), "gre_unsupported_proto 0x1234: 2");
    assert_string_equal(why_decode_stats_line(&st, 1, line, sizeof line), "gre_unsupported_proto 0x5678: 1");
    assert_string_equal(why_decode_stats_line(&st, 2, line, sizeof line), "gre_unsupported_version 1: 1");
    assert_string_equal(why_decode_stats_line(&st, 3, line, sizeof line), "gre_routing: 1");
    assert_string_equal(why_decode_stats_line(&st, 4, line, sizeof line), "");

    /* past the named cap: still counted by reason */
    for (uint16_t v = 0; v < WHY_DECODE_NAMED_MAX + 4; v++) {
        p.encap_stop = WHY_ENCAP_STOP_GENEVE_PROTO;
        p.encap_stop_value = v;
        p.nencap = 0;
        why_decode_stats_add(&st, WHY_DECODE_UNSUPPORTED, &p);
    }
    assert_int_equal(st.nnamed, WHY_DECODE_NAMED_MAX);
    assert_int_equal(st.named_over, 8);
    assert_int_equal(st.stops[WHY_ENCAP_STOP_GENEVE_PROTO], WHY_DECODE_NAMED_MAX + 4);

    /* other IP protocols and tunnels crossed are counted too */
    struct pk k = {0};
    size_t ip = ip4(&k, 4, "10.0.0.1", "10.0.0.2", 0);
    size_t in = ip4(&k, 89, "198.18.5.5", "198.18.6.6", 0); /* OSPF inside IP-in-IP */
    fill(&k, 20, 0);
    ip4_done(&k, in);
    ip4_done(&k, ip);
    memset(&st, 0, sizeof st);
    why_decode_stats_add(&st, decode(LT_RAW, &k, &f, &p), &p);
    assert_int_equal(st.other_ip_proto, 1);
    assert_int_equal(st.tunnelled, 1);
    assert_int_equal(st.by_encap[WHY_ENCAP_IP4], 1);
    char small[12];
    assert_string_equal(why_encap_str(p.encap, p.nencap, small, sizeof small), "IP-in-IP 10");

    /* every kind and every reason has a name of its own */
    for (int a = 1; a < WHY_ENCAP_KINDS; a++) {
        assert_string_not_equal(why_encap_kind_name((enum why_encap_kind)a), "none");
        for (int b = a + 1; b < WHY_ENCAP_KINDS; b++)
            assert_string_not_equal(why_encap_kind_name((enum why_encap_kind)a),
                                    why_encap_kind_name((enum why_encap_kind)b));
    }
    for (int a = 1; a < WHY_ENCAP_STOPS; a++) {
        assert_string_not_equal(why_encap_stop_name((enum why_encap_stop)a), "none");
        for (int b = a + 1; b < WHY_ENCAP_STOPS; b++)
            assert_string_not_equal(why_encap_stop_name((enum why_encap_stop)a),
                                    why_encap_stop_name((enum why_encap_stop)b));
    }
}

/* ---- addresses --------------------------------------------------------------------- */

static void addresses(void **state)
{
    (void)state;
    struct why_addr a, b;
    char buf[64];
    assert_int_equal(why_addr_parse("198.18.0.1", &a), 0);
    assert_int_equal(a.family, 4);
    assert_int_equal(a.a[0], 198);
    assert_int_equal(a.a[3], 1);
    for (int i = 4; i < 16; i++)
        assert_int_equal(a.a[i], 0);
    assert_string_equal(why_addr_str(&a, buf, sizeof buf), "198.18.0.1");
    assert_string_equal(why_endpoint_str(&a, 80, buf, sizeof buf), "198.18.0.1:80");

    assert_int_equal(why_addr_parse("fd00:0:0::1", &a), 0);
    assert_int_equal(a.family, 6);
    assert_string_equal(why_addr_str(&a, buf, sizeof buf), "fd00::1");
    assert_string_equal(why_endpoint_str(&a, 443, buf, sizeof buf), "[fd00::1]:443");
    assert_int_equal(why_addr_parse("[fd00::1]", &b), 0);
    assert_true(why_addr_eq(&a, &b));
    assert_int_equal(why_addr_parse("[::ffff:198.18.0.1]", &b), 0);
    assert_int_equal(b.family, 6);
    assert_false(why_addr_eq(&a, &b));
    assert_int_equal(why_addr_parse("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", &b), 0);
    assert_string_equal(why_endpoint_str(&b, 65535, buf, sizeof buf), "[2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff]:65535");

    struct why_addr v4 = A("10.0.0.1"), v4b = A("10.0.0.1"), v4c = A("10.0.0.2");
    assert_true(why_addr_eq(&v4, &v4b));
    assert_false(why_addr_eq(&v4, &v4c));
    assert_false(why_addr_eq(&v4, &a));

    static const char *bad[] = {"", "[", "[]", "[fd00::1", "fd00::1]", "198.18.0.256", "[198.18.0.1]",
                                "fd00::1%eth0", "nx.lab", "1.2.3", "[[fd00::1]]",
                                "0000:0000:0000:0000:0000:0000:0000:0000:0000:0000"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&b, 0x5a, sizeof b);
        if (why_addr_parse(bad[i], &b) != -1)
            fail_msg("'%s' parsed", bad[i]);
        assert_int_equal(b.family, 0);
    }

    struct why_addr none;
    memset(&none, 0, sizeof none);
    assert_string_equal(why_addr_str(&none, buf, sizeof buf), "-");
    /* small buffers are cut, never overrun */
    char small[8];
    memset(small, 'z', sizeof small);
    why_endpoint_str(&a, 443, small, 6);
    assert_string_equal(small, "[fd00");
    assert_int_equal(small[6], 'z');
    why_addr_str(&a, small, 3);
    assert_string_equal(small, "fd");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ethernet_ipv4_tcp_syn),
        cmocka_unit_test(ethernet_padding),
        cmocka_unit_test(ipv4_tcp_fast_path_same_view),
        cmocka_unit_test(vlan_and_qinq),
        cmocka_unit_test(linux_cooked),
        cmocka_unit_test(null_and_loop),
        cmocka_unit_test(raw_ipv6_extension_headers),
        cmocka_unit_test(ipv4_options),
        cmocka_unit_test(udp_dns),
        cmocka_unit_test(icmp_admin_prohibited),
        cmocka_unit_test(icmp_echo_not_error),
        cmocka_unit_test(icmpv6_admin_prohibited),
        cmocka_unit_test(snaplen_cuts),
        cmocka_unit_test(malformed),
        cmocka_unit_test(tso_zero_length),
        cmocka_unit_test(fragments),
        cmocka_unit_test(not_ip_and_unsupported),
        cmocka_unit_test(addresses),
        cmocka_unit_test(gre_ip_with_options),
        cmocka_unit_test(gre_ethernet_qinq_mpls),
        cmocka_unit_test(erspan_types),
        cmocka_unit_test(aruba_wlan),
        cmocka_unit_test(vxlan_and_geneve),
        cmocka_unit_test(ip_in_ip),
        cmocka_unit_test(nesting_and_depth),
        cmocka_unit_test(tunnel_fragments),
        cmocka_unit_test(unsupported_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
