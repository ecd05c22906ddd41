/* The packet an ICMP or ICMPv6 error quotes (RFC 792, RFC 4443): its IPv4 or IPv6 header, the
 * protocol, and the ports (and TCP sequence number) when the quote reaches them, so the error
 * can be joined to the connection it is about. Never goes deeper than the quoted transport. */
#include "decode/internal.h"

enum { PROTO_TCP = 6, PROTO_UDP = 17 };

static void quoted_ports(struct why_cur *c, struct why_quoted *q)
{
    if (q->proto != PROTO_TCP && q->proto != PROTO_UDP)
        return;
    uint16_t sport = why_cur_be16(c), dport = why_cur_be16(c);
    if (!why_cur_ok(c))
        return;
    q->sport = sport;
    q->dport = dport;
    q->ports = true;
    uint32_t seq = why_cur_be32(c);
    if (q->proto == PROTO_TCP && why_cur_ok(c))
        q->tcp_seq = seq;
}

bool why_decode_quoted(struct why_cur *c, struct why_quoted *q)
{
    struct why_cur peek = *c;
    uint8_t v = why_cur_u8(&peek) >> 4;
    if (v == 4) {
        uint8_t vihl = why_cur_u8(c);
        why_cur_skip(c, 5); /* tos, total length, identification */
        uint16_t offflags = why_cur_be16(c);
        why_cur_skip(c, 1); /* ttl */
        uint8_t proto = why_cur_u8(c);
        why_cur_skip(c, 2);
        struct why_addr src = {4, {0}}, dst = {4, {0}};
        why_cur_copy(c, src.a, 4);
        why_cur_copy(c, dst.a, 4);
        uint32_t hlen = (uint32_t)(vihl & 0x0f) * 4;
        if (!why_cur_ok(c) || hlen < 20)
            return false;
        q->valid = true;
        q->src = src;
        q->dst = dst;
        q->proto = proto;
        if ((offflags & 0x1fff) == 0 && why_cur_skip(c, hlen - 20))
            quoted_ports(c, q);
        return true;
    }
    if (v == 6) {
        why_cur_skip(c, 6); /* version/class/flow, payload length: the quote is cut anyway */
        uint8_t nh = why_cur_u8(c);
        why_cur_skip(c, 1);
        struct why_addr src = {6, {0}}, dst = {6, {0}};
        why_cur_copy(c, src.a, 16);
        why_cur_copy(c, dst.a, 16);
        if (!why_cur_ok(c))
            return false;
        q->valid = true;
        q->src = src;
        q->dst = dst;
        uint32_t used;
        bool frag, first;
        enum why_decode_status st = why_decode_ip6_ext(c, (uint32_t)why_cur_left(c), &nh, &used, &frag, &first);
        q->proto = nh;
        if (st == WHY_DECODE_OK && !frag)
            quoted_ports(c, q);
        return true;
    }
    return false;
}
