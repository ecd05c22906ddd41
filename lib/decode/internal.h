/* Decode internals shared by link.c, ip.c and l4.c: each layer hands the next a cursor over
 * exactly the bytes that layer owns (captured bytes, already cut to the length the outer
 * header declares) plus the length the headers say was sent. Not part of the public API. */
#ifndef WHY_DECODE_INTERNAL_H
#define WHY_DECODE_INTERNAL_H

#include "decode/decode.h"
#include "util/cursor.h"

/* Hard cap on IPv6 extension headers walked in one packet (or one quoted packet). */
#define WHY_DECODE_EXT_MAX 8

/* Ethertypes, and the pseudo-type a tunnel gives for an 802.11 frame (Aruba's GRE). */
enum {
    WHY_ET_IPV4 = 0x0800,
    WHY_ET_IPV6 = 0x86DD,
    WHY_ET_TEB = 0x6558,     /* transparent Ethernet bridging: an Ethernet frame follows */
    WHY_ET_80211 = 0xFFFF,   /* not a real ethertype: an 802.11 frame follows */
};

/* What a tunnel carries, handed back to why_decode's loop (no recursion on wire data):
 * the tunnel found by the IP or UDP layer, and the bytes it carries. */
struct why_next {
    bool set;              /* a tunnel was found */
    uint16_t et;           /* what the payload is: an ethertype, WHY_ET_TEB or WHY_ET_80211 */
    struct why_cur c;      /* the captured payload bytes */
    struct why_encap layer; /* the tunnel, outer addresses filled */
};

/* c covers the IP packet from its first byte to the end of the capture. Fills the IP fields
 * of p and goes on into the transport header; a tunnel fills *next (may be NULL: none read). */
enum why_decode_status why_decode_ipv4(struct why_cur *c, struct why_pkt *p, struct why_next *next);
enum why_decode_status why_decode_ipv6(struct why_cur *c, struct why_pkt *p, struct why_next *next);
/* The packet nearly every capture is made of, read with one bounds check: IPv4 without
 * options, not a fragment, carrying TCP whose whole header was captured and fits the lengths
 * the headers declare. Fills p as why_decode_ipv4 would (status OK) and returns true; returns
 * false with p untouched for anything else, which why_decode_ipv4 reads field by field. c as
 * for why_decode_ipv4 (not moved). */
bool why_decode_ipv4_tcp(const struct why_cur *c, struct why_pkt *p);

/* The TCP header's first 16 bytes at b (captured: the caller checked) into p, from the ports
 * to the window; returns the data offset and flags word. */
static inline uint16_t why_tcp_fixed(const uint8_t *b, struct why_pkt *p)
{
    p->sport = why_be16_at(b);
    p->dport = why_be16_at(b + 2);
    p->seq = why_be32_at(b + 4);
    p->ack = why_be32_at(b + 8);
    uint16_t offflags = why_be16_at(b + 12);
    p->tcp_flags = (uint8_t)(offflags & 0xff);
    p->window = why_be16_at(b + 14);
    return offflags;
}

/* Walks the IPv6 extension headers at c (captured bytes, at most `wire` long on the wire;
 * ip6ext.c). On return *nh is the upper-layer protocol and *used the header bytes walked. A
 * fragment that is not the first, or has more to come, stops the walk with *frag set (*first:
 * it is the first, offset 0). */
enum why_decode_status why_decode_ip6_ext(struct why_cur *c, uint32_t wire, uint8_t *nh, uint32_t *used,
                                          bool *frag, bool *first);

/* c covers the captured transport bytes (never beyond the IP length); wire is the transport
 * length in bytes the IP header declares. Decodes TCP, UDP, ICMP, ICMPv6 per p->proto, and
 * the tunnels IP protocols 4, 41, 47 and UDP 4789, 6081 announce (into *next). */
enum why_decode_status why_decode_l4(struct why_cur *c, uint32_t wire, struct why_pkt *p, struct why_next *next);

/* Tunnel headers (tunnel.c). c: the captured bytes after the outer IP header (GRE) or the
 * UDP payload (VXLAN, GENEVE); wire: their length on the wire. On OK *next is set. On
 * UNSUPPORTED p->encap_stop says why. */
enum why_decode_status why_decode_gre(struct why_cur *c, uint32_t wire, struct why_pkt *p, struct why_next *next);
enum why_decode_status why_decode_vxlan(struct why_cur *c, uint32_t wire, struct why_pkt *p, struct why_next *next);
enum why_decode_status why_decode_geneve(struct why_cur *c, uint32_t wire, struct why_pkt *p, struct why_next *next);
/* An 802.11 frame (from Aruba's GRE): data frames with LLC/SNAP give their ethertype in *et
 * and leave c at the network header; other frames are NOT_IP. */
enum why_decode_status why_decode_80211(struct why_cur *c, struct why_pkt *p, uint16_t *et);

/* Starts the tunnel record in next from the outer header p describes. */
void why_next_start(struct why_next *next, const struct why_pkt *p, enum why_encap_kind kind);

/* Decodes the IP header and first transport bytes an ICMP error quotes, from c (the
 * captured ICMP body). Returns q->valid. */
bool why_decode_quoted(struct why_cur *c, struct why_quoted *q);

#endif
