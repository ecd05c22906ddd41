/* Decode: link layer (Ethernet + 802.1Q/QinQ, Linux SLL and SLL2, BSD NULL/LOOP, raw IPv4/IPv6),
 * IPv4 and IPv6 (extension headers walked with a hard cap), TCP, UDP, ICMP and ICMPv6.
 * For an ICMP error the quoted packet's addresses and ports are decoded too, so the flow
 * table can join the error to the connection it quotes. No state: one frame in, one view out.
 * RFC 791, 8200, 9293, 768, 792, 4443. */
#ifndef WHY_DECODE_DECODE_H
#define WHY_DECODE_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "capture/capture.h"

struct why_addr {
    uint8_t family; /* 4 or 6; 0 = none */
    uint8_t a[16];  /* IPv4 in the first 4 bytes, the rest zero */
};

/* TCP flag bits as on the wire. */
enum {
    WHY_TCP_FIN = 0x01,
    WHY_TCP_SYN = 0x02,
    WHY_TCP_RST = 0x04,
    WHY_TCP_PSH = 0x08,
    WHY_TCP_ACK = 0x10,
};

/* Packet direction as told by the link layer (SLL/SLL2 packet type); UNKNOWN elsewhere. */
enum why_link_dir { WHY_LINK_DIR_UNKNOWN = 0, WHY_LINK_DIR_IN = 1, WHY_LINK_DIR_OUT = 2 };

/* Status of a decode. Truncated (snaplen cut) is told apart from malformed (impossible). */
enum why_decode_status {
    WHY_DECODE_OK = 0,
    WHY_DECODE_NOT_IP,        /* ARP, LLDP, ...: nothing for us; not an anomaly */
    WHY_DECODE_UNSUPPORTED,   /* link type or protocol we do not read (counted) */
    WHY_DECODE_TRUNCATED,     /* headers cut by the snaplen: fields up to the cut are valid */
    WHY_DECODE_MALFORMED,     /* a header that cannot be (bad version, length smaller than header) */
};

struct why_quoted {            /* the packet an ICMP error quotes (RFC 792 / 4443) */
    bool valid;                /* addresses and protocol decoded */
    bool ports;                /* sport/dport decoded (first 8 bytes of L4 present) */
    struct why_addr src, dst;
    uint8_t proto;
    uint16_t sport, dport;
    uint32_t tcp_seq;          /* when proto is TCP and 8 bytes were quoted */
};

struct why_pkt {
    const struct why_frame *frame;
    enum why_link_dir link_dir;
    uint16_t vlan;             /* outermost 802.1Q id, 0 if none */
    uint8_t ipver;             /* 4 or 6 */
    struct why_addr src, dst;
    uint8_t proto;             /* 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, other: not decoded further */
    uint8_t ttl;               /* IPv4 TTL / IPv6 hop limit */
    bool fragment;             /* a non-first fragment or a fragment with more to come: L4 not decoded */
    uint16_t sport, dport;     /* TCP/UDP */
    /* TCP */
    uint32_t seq, ack;
    uint8_t tcp_flags;         /* WHY_TCP_* */
    uint16_t window;
    /* ICMP / ICMPv6 */
    uint8_t icmp_type, icmp_code;
    bool icmp_error;           /* destination unreachable, time exceeded, packet too big, param problem */
    struct why_quoted quoted;  /* when icmp_error */
    /* L4 payload (TCP/UDP data, ICMP body after the 8-byte header) */
    const uint8_t *payload;
    uint32_t paylen;           /* captured payload bytes at payload */
    uint32_t paylen_wire;      /* payload bytes the headers say were sent (>= paylen) */
};

/* Decodes f into *p (which is cleared first). p->frame = f. Returns the status; on
 * TRUNCATED the fields decoded before the cut are valid and `proto` may be 0. */
enum why_decode_status why_decode(const struct why_frame *f, struct why_pkt *p);

/* Address helpers. */
bool why_addr_eq(const struct why_addr *a, const struct why_addr *b);
/* "198.18.0.1" or "fd00::1"; buf >= 46 bytes. Returns buf. */
char *why_addr_str(const struct why_addr *a, char *buf, size_t size);
/* "198.18.0.1:80" or "[fd00::1]:80"; buf >= 54 bytes. */
char *why_endpoint_str(const struct why_addr *a, uint16_t port, char *buf, size_t size);
/* Parses a literal IPv4/IPv6 address ("198.18.0.1", "fd00::1", "[fd00::1]"). 0 or -1. */
int why_addr_parse(const char *s, struct why_addr *out);

#endif
