/* Decode internals shared by link.c, ip.c and l4.c: each layer hands the next a cursor over
 * exactly the bytes that layer owns (captured bytes, already cut to the length the outer
 * header declares) plus the length the headers say was sent. Not part of the public API. */
#ifndef WHY_DECODE_INTERNAL_H
#define WHY_DECODE_INTERNAL_H

#include "decode/decode.h"
#include "util/cursor.h"

/* Hard cap on IPv6 extension headers walked in one packet (or one quoted packet). */
#define WHY_DECODE_EXT_MAX 8

/* c covers the IP packet from its first byte to the end of the capture. Fills the IP fields
 * of p and goes on into the transport header. */
enum why_decode_status why_decode_ipv4(struct why_cur *c, struct why_pkt *p);
enum why_decode_status why_decode_ipv6(struct why_cur *c, struct why_pkt *p);

/* c covers the captured transport bytes (never beyond the IP length); wire is the transport
 * length in bytes the IP header declares. Decodes TCP, UDP, ICMP, ICMPv6 per p->proto. */
enum why_decode_status why_decode_l4(struct why_cur *c, uint32_t wire, struct why_pkt *p);

/* Decodes the IP header and first transport bytes an ICMP error quotes, from c (the
 * captured ICMP body). Returns q->valid. */
bool why_decode_quoted(struct why_cur *c, struct why_quoted *q);

#endif
