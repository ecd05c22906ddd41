/* IPv4 (RFC 791) and IPv6 (RFC 8200) headers: addresses, protocol, TTL, fragments, the IPv6
 * extension header chain (hop-by-hop, routing, fragment, destination options, AH; RFC 4302)
 * walked with a hard cap (ip6ext.c). Cuts the transport span to the length the IP header declares, so
 * Ethernet padding never reaches the payload. The packet an ICMP error quotes: quoted.c.
 * A fragment is not reassembled; the first fragment of a tunnel packet is read (cut where it
 * ends), later ones are a named stop. */
#include "decode/internal.h"

enum { PROTO_IPV4 = 4, PROTO_TCP = 6, PROTO_IPV6 = 41, PROTO_GRE = 47 };

static bool tunnel_proto(uint8_t proto)
{
    return proto == PROTO_IPV4 || proto == PROTO_IPV6 || proto == PROTO_GRE;
}

/* A fragment of a tunnel packet past the first: what it carries cannot be read without
 * reassembly. */
static enum why_decode_status fragment(struct why_pkt *p, struct why_next *next)
{
    p->fragment = true;
    if (!next || !tunnel_proto(p->proto))
        return WHY_DECODE_OK;
    p->encap_stop = WHY_ENCAP_STOP_FRAGMENT;
    p->encap_stop_value = p->proto;
    return WHY_DECODE_UNSUPPORTED;
}

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

enum why_decode_status why_decode_ipv4(struct why_cur *c, struct why_pkt *p, struct why_next *next)
{
    p->ipver = 4;
    uint32_t hlen, total;
    uint16_t offflags;
    uint8_t ttl, proto;
    const uint8_t *b = why_cur_peek(c, 20);
    if (b) { /* the whole fixed header captured: one check for every field */
        if (b[0] >> 4 != 4)
            return WHY_DECODE_MALFORMED;
        hlen = (uint32_t)(b[0] & 0x0f) * 4;
        if (hlen < 20)
            return WHY_DECODE_MALFORMED;
        total = why_be16_at(b + 2);
        offflags = why_be16_at(b + 6);
        ttl = b[8];
        proto = b[9];
        why_addr_set4(&p->src, b + 12);
        why_addr_set4(&p->dst, b + 16);
        why_cur_skip(c, 20);
    } else {
        uint8_t vihl = why_cur_u8(c);
        if (!why_cur_ok(c))
            return WHY_DECODE_TRUNCATED;
        if (vihl >> 4 != 4)
            return WHY_DECODE_MALFORMED;
        hlen = (uint32_t)(vihl & 0x0f) * 4;
        if (hlen < 20)
            return WHY_DECODE_MALFORMED;
        why_cur_skip(c, 1); /* type of service */
        total = why_cur_be16(c);
        why_cur_skip(c, 2); /* identification */
        offflags = why_cur_be16(c);
        ttl = why_cur_u8(c);
        proto = why_cur_u8(c);
        why_cur_skip(c, 2); /* checksum: never trusted (offload) */
        uint8_t ab[8];
        why_cur_copy(c, ab, 8);
        if (!why_cur_ok(c))
            return WHY_DECODE_TRUNCATED;
        why_addr_set4(&p->src, ab);
        why_addr_set4(&p->dst, ab + 4);
    }
    p->ttl = ttl;
    p->proto = proto;
    /* Total length 0 is what Linux shows for TSO super-segments: the capture is the packet. */
    if (total == 0)
        total = (uint32_t)c->len;
    if (total < hlen)
        return WHY_DECODE_MALFORMED;
    if (!why_cur_skip(c, hlen - 20)) /* options */
        return WHY_DECODE_TRUNCATED;
    bool head = false;
    if ((offflags & 0x1fff) != 0 || (offflags & 0x2000) != 0) {
        /* The first fragment of a tunnel packet holds the inner headers: read on, and the
         * inner packet is cut where the fragment ends, as a snaplen would cut it. */
        if ((offflags & 0x1fff) != 0 || !next || !tunnel_proto(proto))
            return fragment(p, next);
        head = true;
    }
    size_t cap = min_size(c->len, total) - hlen;
    struct why_cur l4 = why_cur_make(why_cur_ptr(c), cap);
    enum why_decode_status st = why_decode_l4(&l4, total - hlen, p, next);
    if (head && next->set)
        next->layer.flags |= WHY_ENCAP_F_FRAGMENT;
    return st;
}

bool why_decode_ipv4_tcp(const struct why_cur *c, struct why_pkt *p)
{
    const uint8_t *b = why_cur_peek(c, 40); /* both fixed headers: one check */
    if (!b || b[0] != 0x45 || b[9] != PROTO_TCP || (why_be16_at(b + 6) & 0x3fff) != 0)
        return false; /* options, another protocol, a fragment: the general path */
    size_t len = c->len - c->off;
    uint32_t total = why_be16_at(b + 2);
    if (total == 0) /* a TSO super-segment, as why_decode_ipv4 reads it */
        total = (uint32_t)len;
    const uint8_t *t = b + 20;
    uint32_t wire = total - 20, thlen = (uint32_t)(t[12] >> 4) * 4;
    size_t cap = min_size(len, total) - 20;
    /* a length that cannot hold both headers, or a TCP header longer than what was sent or
     * captured: malformed or truncated, which the general path tells apart */
    if (total < 40 || thlen < 20 || thlen > wire || thlen > cap)
        return false;
    p->ipver = 4;
    why_addr_set4(&p->src, b + 12);
    why_addr_set4(&p->dst, b + 16);
    p->ttl = b[8];
    p->proto = PROTO_TCP;
    why_tcp_fixed(t, p);
    p->payload = t + thlen;
    p->paylen = (uint32_t)min_size(cap - thlen, wire - thlen);
    p->paylen_wire = wire - thlen;
    return true;
}

enum why_decode_status why_decode_ipv6(struct why_cur *c, struct why_pkt *p, struct why_next *next)
{
    p->ipver = 6;
    uint32_t first = why_cur_be32(c);
    if (!why_cur_ok(c))
        return WHY_DECODE_TRUNCATED;
    if (first >> 28 != 6)
        return WHY_DECODE_MALFORMED;
    uint32_t plen = why_cur_be16(c);
    uint8_t nh = why_cur_u8(c);
    uint8_t hlim = why_cur_u8(c);
    uint8_t ab[32];
    why_cur_copy(c, ab, 32);
    if (!why_cur_ok(c))
        return WHY_DECODE_TRUNCATED;
    why_addr_set6(&p->src, ab); /* (as why_addr_set4: no address built apart and copied) */
    why_addr_set6(&p->dst, ab + 16);
    p->ttl = hlim;
    /* Payload length 0: a jumbogram (RFC 2675) or a GSO super-packet: the capture is it. */
    if (plen == 0)
        plen = (uint32_t)why_cur_left(c);
    struct why_cur pl = why_cur_make(why_cur_ptr(c), min_size(why_cur_left(c), plen));
    uint32_t used;
    bool frag, first_frag;
    enum why_decode_status st = why_decode_ip6_ext(&pl, plen, &nh, &used, &frag, &first_frag);
    if (st != WHY_DECODE_OK)
        return st;
    p->proto = nh;
    bool head = false;
    if (frag) { /* the first fragment of a tunnel packet is read, as for IPv4 */
        if (!first_frag || !next || !tunnel_proto(nh))
            return fragment(p, next);
        head = true;
    }
    struct why_cur l4 = why_cur_make(why_cur_ptr(&pl), why_cur_left(&pl));
    st = why_decode_l4(&l4, plen - used, p, next);
    if (head && next->set)
        next->layer.flags |= WHY_ENCAP_F_FRAGMENT;
    return st;
}

/* The first 8 transport bytes of a quoted packet: ports, and the TCP sequence number. */
