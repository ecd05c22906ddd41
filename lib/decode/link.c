/* Link layer: Ethernet II with 802.1Q / 802.1ad / QinQ tag stacks (IEEE 802.1Q), Linux
 * cooked SLL and SLL2, BSD NULL/LOOP, raw IP (LINKTYPE_RAW, IPV4, IPV6). Finds the network
 * protocol and the outermost VLAN, tells direction where the link says it (SLL packet type),
 * and hands the rest of the frame to the IP decoders. Link types: tcpdump.org/linktypes.
 * Also the driver of the decode: when the IP or UDP layer finds a tunnel, the loop in
 * why_decode starts again on what the tunnel carries (at most WHY_ENCAP_MAX times). */
#include <stddef.h>
#include <string.h>

#include "decode/internal.h"

enum {
    LT_NULL = 0,
    LT_ETHERNET = 1,
    LT_RAW_OPENBSD = 12,
    LT_RAW_BSDOS = 14,
    LT_RAW = 101,
    LT_LOOP = 108,
    LT_SLL = 113,
    LT_IPV4 = 228,
    LT_IPV6 = 229,
    LT_NETLINK = 253,
    LT_SLL2 = 276,
};

enum { ET_IPV4 = WHY_ET_IPV4, ET_IPV6 = WHY_ET_IPV6, ET_8021Q = 0x8100, ET_8021AD = 0x88A8, ET_QINQ = 0x9100,
       ET_PPPOE_S = 0x8864, ET_MPLS = 0x8847, ET_MPLS_MC = 0x8848 };

#define MPLS_LABELS_MAX 8   /* labels walked in one stack */

#define VLAN_MAX 8          /* tags walked in one stack */
#define ARPHRD_NETLINK 824  /* SLL hatype of nlmon captures: netlink messages, never IP */

static bool is_vlan(uint16_t et) { return et == ET_8021Q || et == ET_8021AD || et == ET_QINQ; }

/* Walks the VLAN tags after an ethertype; *et ends as the inner ethertype. */
static enum why_decode_status vlan_stack(struct why_cur *c, struct why_pkt *p, uint16_t *et)
{
    for (unsigned i = 0; is_vlan(*et); i++) {
        if (i == VLAN_MAX)
            return WHY_DECODE_UNSUPPORTED;
        uint16_t tci = why_cur_be16(c);
        *et = why_cur_be16(c);
        if (!why_cur_ok(c))
            return WHY_DECODE_TRUNCATED;
        if (i == 0)
            p->vlan = tci & 0x0fff;
    }
    return WHY_DECODE_OK;
}

static enum why_decode_status ethernet(struct why_cur *c, struct why_pkt *p, uint16_t *et)
{
    const uint8_t *b = why_cur_peek(c, 14);
    if (!b) {
        why_cur_fail(c);
        *et = 0;
        return WHY_DECODE_TRUNCATED;
    }
    *et = why_be16_at(b + 12); /* after destination, source */
    why_cur_skip(c, 14);
    return is_vlan(*et) ? vlan_stack(c, p, et) : WHY_DECODE_OK;
}

static enum why_link_dir sll_dir(uint16_t pkttype)
{
    /* 0 to us, 1 broadcast, 2 multicast, 3 to another host (promiscuous): all arrived; 4 sent. */
    if (pkttype <= 3)
        return WHY_LINK_DIR_IN;
    if (pkttype == 4)
        return WHY_LINK_DIR_OUT;
    return WHY_LINK_DIR_UNKNOWN;
}

static enum why_decode_status sll(struct why_cur *c, struct why_pkt *p, uint16_t *et)
{
    const uint8_t *b = why_cur_peek(c, 16);
    if (!b) {
        why_cur_fail(c);
        *et = 0;
        return WHY_DECODE_TRUNCATED;
    }
    uint16_t pkttype = why_be16_at(b);
    uint16_t hatype = why_be16_at(b + 2);
    *et = why_be16_at(b + 14); /* after address length, 8 address bytes */
    why_cur_skip(c, 16);
    p->link_dir = sll_dir(pkttype);
    if (hatype == ARPHRD_NETLINK)
        *et = 0;
    return is_vlan(*et) ? vlan_stack(c, p, et) : WHY_DECODE_OK;
}

static enum why_decode_status sll2(struct why_cur *c, struct why_pkt *p, uint16_t *et)
{
    const uint8_t *b = why_cur_peek(c, 20);
    if (!b) {
        why_cur_fail(c);
        *et = 0;
        return WHY_DECODE_TRUNCATED;
    }
    *et = why_be16_at(b);
    /* reserved, interface index */
    uint16_t hatype = why_be16_at(b + 8);
    uint8_t pkttype = b[10];
    why_cur_skip(c, 20); /* address length, 8 address bytes */
    p->link_dir = sll_dir(pkttype);
    if (hatype == ARPHRD_NETLINK)
        *et = 0;
    return is_vlan(*et) ? vlan_stack(c, p, et) : WHY_DECODE_OK;
}

/* NULL/LOOP: a 4-byte address family in the byte order of the machine that wrote it (LOOP
 * is meant to be big-endian, but writers disagree), so the small reading wins. */
static enum why_decode_status null_loop(struct why_cur *c, uint16_t *et)
{
    struct why_cur peek = *c;
    uint32_t le = why_cur_le32(&peek);
    uint32_t be = why_cur_be32(c);
    if (!why_cur_ok(c))
        return WHY_DECODE_TRUNCATED;
    uint32_t af = le < be ? le : be;
    if (af == 2)
        *et = ET_IPV4;
    else if (af == 24 || af == 28 || af == 30) /* AF_INET6 on NetBSD/OpenBSD, FreeBSD, Darwin */
        *et = ET_IPV6;
    else
        *et = 0;
    return WHY_DECODE_OK;
}

static enum why_decode_status raw(struct why_cur *c, uint16_t *et)
{
    struct why_cur peek = *c;
    uint8_t v = why_cur_u8(&peek);
    if (!why_cur_ok(&peek))
        return WHY_DECODE_TRUNCATED;
    if (v >> 4 == 4)
        *et = ET_IPV4;
    else if (v >> 4 == 6)
        *et = ET_IPV6;
    else
        return WHY_DECODE_MALFORMED;
    return WHY_DECODE_OK;
}

/* Carriers between the link and IP that access networks use: a PPPoE session (RFC 2516;
 * PPP protocol 0x0021 IPv4, 0x0057 IPv6) and an MPLS label stack (RFC 3032; the payload's
 * version nibble tells IPv4 from IPv6). */
static enum why_decode_status carrier(struct why_cur *c, uint16_t *et)
{
    if (*et == ET_PPPOE_S) {
        why_cur_skip(c, 6); /* version/type, code, session id, length */
        uint16_t proto = why_cur_be16(c);
        if (!why_cur_ok(c))
            return WHY_DECODE_TRUNCATED;
        *et = proto == 0x0021 ? ET_IPV4 : proto == 0x0057 ? ET_IPV6 : 0;
        return WHY_DECODE_OK;
    }
    if (*et == ET_MPLS || *et == ET_MPLS_MC) {
        for (unsigned i = 0;; i++) {
            if (i == MPLS_LABELS_MAX)
                return WHY_DECODE_UNSUPPORTED;
            uint32_t entry = why_cur_be32(c);
            if (!why_cur_ok(c))
                return WHY_DECODE_TRUNCATED;
            if (entry & 0x100) /* bottom of stack */
                break;
        }
        return raw(c, et);
    }
    return WHY_DECODE_OK;
}

/* From an ethertype to the IP decoders: VLAN tags, carriers, then IPv4 or IPv6. */
static enum why_decode_status network(struct why_cur *c, struct why_pkt *p, uint16_t et, struct why_next *next)
{
    enum why_decode_status st = is_vlan(et) ? vlan_stack(c, p, &et) : WHY_DECODE_OK; /* inside a tunnel */
    if (st == WHY_DECODE_OK)
        st = carrier(c, &et);
    if (st != WHY_DECODE_OK)
        return st;
    struct why_cur l3 = why_cur_make(why_cur_ptr(c), why_cur_left(c));
    if (et == ET_IPV4)
        return why_decode_ipv4(&l3, p, next);
    if (et == ET_IPV6)
        return why_decode_ipv6(&l3, p, next);
    return WHY_DECODE_NOT_IP;
}

/* The view now describes what the tunnel carries: every field but the frame, the link's
 * direction and the tunnels crossed starts again from zero. */
static void enter(struct why_pkt *p, const struct why_encap *layer)
{
    const struct why_frame *f = p->frame;
    enum why_link_dir dir = p->link_dir;
    uint8_t n = p->nencap;
    memset(p, 0, offsetof(struct why_pkt, encap));
    p->frame = f;
    p->link_dir = dir;
    p->encap[n] = *layer;
    p->nencap = (uint8_t)(n + 1);
}

enum why_decode_status why_decode(const struct why_frame *f, struct why_pkt *p)
{
    memset(p, 0, offsetof(struct why_pkt, encap)); /* encap[] is written as tunnels are met */
    p->frame = f;
    struct why_cur c = why_cur_make(f->data, f->caplen);
    uint16_t et = 0;
    enum why_decode_status st;
    switch (f->linktype) {
    case LT_ETHERNET: st = ethernet(&c, p, &et); break;
    case LT_SLL: st = sll(&c, p, &et); break;
    case LT_SLL2: st = sll2(&c, p, &et); break;
    case LT_NULL:
    case LT_LOOP: st = null_loop(&c, &et); break;
    case LT_RAW_OPENBSD:
    case LT_RAW_BSDOS:
    case LT_RAW: st = raw(&c, &et); break;
    case LT_IPV4: et = ET_IPV4; st = WHY_DECODE_OK; break;
    case LT_IPV6: et = ET_IPV6; st = WHY_DECODE_OK; break;
    case LT_NETLINK: return WHY_DECODE_NOT_IP;
    default: return WHY_DECODE_UNSUPPORTED;
    }
    if (st == WHY_DECODE_OK && et == ET_IPV4 && why_decode_ipv4_tcp(&c, p))
        return WHY_DECODE_OK; /* no tunnel: TCP carries none */
    /* One turn per tunnel: each adds a layer to p->encap, so the loop ends by the cap. */
    while (st == WHY_DECODE_OK) {
        struct why_next next;
        next.set = false;
        st = network(&c, p, et, &next);
        if (st != WHY_DECODE_OK || !next.set)
            return st;
        if (p->nencap == WHY_ENCAP_MAX) {
            p->encap_stop = WHY_ENCAP_STOP_DEPTH;
            return WHY_DECODE_UNSUPPORTED;
        }
        enter(p, &next.layer);
        c = next.c;
        et = next.et;
        if (et == WHY_ET_TEB)
            st = ethernet(&c, p, &et);
        else if (et == WHY_ET_80211)
            st = why_decode_80211(&c, p, &et);
    }
    return st;
}
