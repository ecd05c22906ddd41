/* Transport headers: TCP (RFC 9293), UDP (RFC 768), ICMP (RFC 792) and ICMPv6 (RFC 4443).
 * Ports, sequence numbers, flags and window; the payload span cut to what the headers
 * declare; for ICMP errors the quoted packet, so the flow table can join the error to the
 * connection it is about. Checksums are never verified (offload makes them meaningless).
 * The tunnels an IP protocol (4, 41, 47) or a UDP port (4789 VXLAN, 6081 GENEVE) announces
 * are handed to tunnel.c, which tells why_decode's loop where the inner packet starts. */
#include "decode/internal.h"

enum { PROTO_ICMP = 1, PROTO_IPV4 = 4, PROTO_TCP = 6, PROTO_UDP = 17, PROTO_IPV6 = 41, PROTO_GRE = 47,
       PROTO_ICMPV6 = 58 };
enum { PORT_VXLAN = 4789, PORT_GENEVE = 6081 }; /* IANA; decapsulated by destination port */

/* Sets the payload to the rest of c; wire is how many payload bytes were sent. */
static void set_payload(struct why_cur *c, uint32_t wire, struct why_pkt *p)
{
    size_t left = why_cur_left(c);
    p->payload = why_cur_ptr(c);
    p->paylen = (uint32_t)(left < wire ? left : wire);
    p->paylen_wire = wire;
}

/* A header cut short: truncated if the wire had room for it, malformed if it did not. */
static enum why_decode_status short_header(uint32_t wire, uint32_t need)
{
    return wire < need ? WHY_DECODE_MALFORMED : WHY_DECODE_TRUNCATED;
}

static enum why_decode_status tcp_tail(struct why_cur *c, uint32_t wire, struct why_pkt *p, uint16_t offflags)
{
    uint32_t hlen = (uint32_t)(offflags >> 12) * 4;
    if (wire < 20 || hlen < 20 || hlen > wire)
        return WHY_DECODE_MALFORMED;
    if (!why_cur_skip(c, hlen - 16)) /* checksum, urgent pointer, options */
        return WHY_DECODE_TRUNCATED;
    set_payload(c, wire - hlen, p);
    return WHY_DECODE_OK;
}

static enum why_decode_status tcp(struct why_cur *c, uint32_t wire, struct why_pkt *p)
{
    const uint8_t *b = why_cur_peek(c, 16);
    if (b) { /* ports to window captured: one check for them all */
        uint16_t offflags = why_tcp_fixed(b, p);
        why_cur_skip(c, 16);
        return tcp_tail(c, wire, p, offflags);
    }
    uint16_t sport = why_cur_be16(c), dport = why_cur_be16(c);
    if (!why_cur_ok(c))
        return short_header(wire, 20);
    p->sport = sport;
    p->dport = dport;
    uint32_t seq = why_cur_be32(c), ack = why_cur_be32(c);
    if (!why_cur_ok(c))
        return short_header(wire, 20);
    p->seq = seq;
    p->ack = ack;
    uint16_t offflags = why_cur_be16(c), window = why_cur_be16(c);
    if (!why_cur_ok(c))
        return short_header(wire, 20);
    p->tcp_flags = (uint8_t)(offflags & 0xff);
    p->window = window;
    return tcp_tail(c, wire, p, offflags);
}

static enum why_decode_status udp(struct why_cur *c, uint32_t wire, struct why_pkt *p)
{
    uint32_t ulen;
    const uint8_t *b = why_cur_peek(c, 8);
    if (b) { /* the whole header captured: one check */
        p->sport = why_be16_at(b);
        p->dport = why_be16_at(b + 2);
        ulen = why_be16_at(b + 4);
        why_cur_skip(c, 8); /* and the checksum */
    } else {
        uint16_t sport = why_cur_be16(c), dport = why_cur_be16(c);
        if (!why_cur_ok(c))
            return short_header(wire, 8);
        p->sport = sport;
        p->dport = dport;
        ulen = why_cur_be16(c);
        why_cur_skip(c, 2); /* checksum */
        if (!why_cur_ok(c))
            return short_header(wire, 8);
    }
    if (ulen == 0 && wire > 0xffff) /* inside an IPv6 jumbogram (RFC 2675) */
        ulen = wire;
    if (wire < 8 || ulen < 8 || ulen > wire)
        return WHY_DECODE_MALFORMED;
    set_payload(c, ulen - 8, p);
    return WHY_DECODE_OK;
}

static bool icmp4_error(uint8_t type) { return type == 3 || type == 11 || type == 12; }
static bool icmp6_error(uint8_t type) { return type >= 1 && type <= 4; }

static enum why_decode_status icmp(struct why_cur *c, uint32_t wire, struct why_pkt *p)
{
    uint8_t type = why_cur_u8(c), code = why_cur_u8(c);
    if (!why_cur_ok(c))
        return short_header(wire, 8);
    p->icmp_type = type;
    p->icmp_code = code;
    p->icmp_error = p->proto == PROTO_ICMP ? icmp4_error(type) : icmp6_error(type);
    why_cur_skip(c, 6); /* checksum, rest of header (unused / MTU / pointer) */
    if (!why_cur_ok(c))
        return short_header(wire, 8);
    if (wire < 8)
        return WHY_DECODE_MALFORMED;
    set_payload(c, wire - 8, p);
    if (!p->icmp_error)
        return WHY_DECODE_OK;
    struct why_cur body = why_cur_make(p->payload, p->paylen);
    if (why_decode_quoted(&body, &p->quoted))
        return WHY_DECODE_OK;
    /* An error must quote an IP header: missing because of the snaplen, or never sent. */
    return p->paylen < p->paylen_wire ? WHY_DECODE_TRUNCATED : WHY_DECODE_MALFORMED;
}

/* A UDP tunnel: VXLAN or GENEVE by destination port, read from the UDP payload. */
static enum why_decode_status udp_tunnel(struct why_pkt *p, struct why_next *next)
{
    struct why_cur pl = why_cur_make(p->payload, p->paylen);
    if (p->dport == PORT_VXLAN)
        return why_decode_vxlan(&pl, p->paylen_wire, p, next);
    if (p->dport == PORT_GENEVE)
        return why_decode_geneve(&pl, p->paylen_wire, p, next);
    return WHY_DECODE_OK;
}

/* IP in IP (RFC 2003, 4213, 2473): the rest is the inner IP packet. */
static enum why_decode_status ip_in_ip(struct why_cur *c, struct why_pkt *p, struct why_next *next)
{
    why_next_start(next, p, p->proto == PROTO_IPV4 ? WHY_ENCAP_IP4 : WHY_ENCAP_IP6);
    next->et = p->proto == PROTO_IPV4 ? WHY_ET_IPV4 : WHY_ET_IPV6;
    next->c = why_cur_make(why_cur_ptr(c), why_cur_left(c));
    return WHY_DECODE_OK;
}

enum why_decode_status why_decode_l4(struct why_cur *c, uint32_t wire, struct why_pkt *p, struct why_next *next)
{
    enum why_decode_status st;
    switch (p->proto) {
    case PROTO_TCP: return tcp(c, wire, p);
    case PROTO_UDP:
        st = udp(c, wire, p);
        return st == WHY_DECODE_OK && next ? udp_tunnel(p, next) : st;
    case PROTO_IPV4:
    case PROTO_IPV6: return next ? ip_in_ip(c, p, next) : WHY_DECODE_OK;
    case PROTO_GRE: return next ? why_decode_gre(c, wire, p, next) : WHY_DECODE_OK;
    case PROTO_ICMP:
        if (p->ipver != 4)
            return WHY_DECODE_OK;
        return icmp(c, wire, p);
    case PROTO_ICMPV6:
        if (p->ipver != 6)
            return WHY_DECODE_OK;
        return icmp(c, wire, p);
    default: return WHY_DECODE_OK;
    }
}
