/* Decode: link layer (Ethernet + 802.1Q/QinQ, Linux SLL and SLL2, BSD NULL/LOOP, raw IPv4/IPv6),
 * IPv4 and IPv6 (extension headers walked with a hard cap), TCP, UDP, ICMP and ICMPv6.
 * For an ICMP error the quoted packet's addresses and ports are decoded too, so the flow
 * table can join the error to the connection it quotes. No state: one frame in, one view out.
 * RFC 791, 8200, 9293, 768, 792, 4443.
 *
 * Tunnels are transparent: GRE (RFC 2784/2890), ERSPAN I/II/III, Aruba's GRE with 802.11
 * inside, VXLAN (RFC 7348), GENEVE (RFC 8926), IP-in-IP / 6in4 / IPv6-in-IPv6 (RFC 2003,
 * 4213, 2473) are walked to the innermost packet, which is what the view describes; each
 * tunnel crossed is recorded in `encap` (outermost first) so evidence can name it. A tunnel
 * that is not read stops the decode with UNSUPPORTED and names why in `encap_stop`. */
#ifndef WHY_DECODE_DECODE_H
#define WHY_DECODE_DECODE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "capture/capture.h"

struct why_addr {
    uint8_t family; /* 4 or 6; 0 = none */
    uint8_t a[16];  /* IPv4 in the first 4 bytes, the rest zero */
};

/* Addresses are written and copied as a family byte and 16 bytes, each in one store where
 * the processor has them: an address built apart (family, then its bytes) and copied whole,
 * or one read whole after such smaller stores, is a 16-byte load the processor cannot take
 * from them and waits for them to reach the cache (on every packet, in the decoder); a load
 * within one store does not wait. A struct copy of an address read just after these reads
 * 16 bytes across the family's store and the bytes' store: use why_addr_copy there. */
/* a = the IPv4 address at b: family 4, its 4 bytes, zeros. */
static inline __attribute__((always_inline)) void why_addr_set4(struct why_addr *a, const uint8_t *b)
{
    a->family = 4;
#if defined(__SSE2__)
    uint32_t v;
    memcpy(&v, b, 4);
    _mm_storeu_si128((__m128i *)(void *)a->a, _mm_cvtsi32_si128((int)v));
#else
    memcpy(a->a, b, 4);
    memset(a->a + 4, 0, 12);
#endif
}
/* a = the IPv6 address at b. */
static inline __attribute__((always_inline)) void why_addr_set6(struct why_addr *a, const uint8_t *b)
{
    a->family = 6;
    memcpy(a->a, b, 16);
}
/* *to = *from, as the family and the 16 bytes (why_addr_set4). */
static inline __attribute__((always_inline)) void why_addr_copy(struct why_addr *to, const struct why_addr *from)
{
    to->family = from->family;
    memcpy(to->a, from->a, 16);
}

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

/* Tunnels crossed before the packet the view describes; one more is a counted stop
 * (WHY_ENCAP_STOP_DEPTH). Real mirrors nest two at most (ERSPAN of a VXLAN overlay). */
#define WHY_ENCAP_MAX 4

enum why_encap_kind {
    WHY_ENCAP_NONE = 0,
    WHY_ENCAP_GRE,      /* GRE carrying IP, Ethernet (0x6558) or MPLS */
    WHY_ENCAP_ERSPAN1,  /* GRE 0x88BE without a sequence number: Ethernet follows directly */
    WHY_ENCAP_ERSPAN2,  /* GRE 0x88BE with a sequence number: 8-byte ERSPAN header */
    WHY_ENCAP_ERSPAN3,  /* GRE 0x22EB: 12-byte header (+ 8-byte platform sub-header) */
    WHY_ENCAP_ARUBA,    /* Aruba's GRE (0x8200...): an 802.11 data frame with LLC/SNAP */
    WHY_ENCAP_VXLAN,    /* UDP 4789 (AWS VPC traffic mirroring writes this) */
    WHY_ENCAP_GENEVE,   /* UDP 6081 */
    WHY_ENCAP_IP4,      /* IPv4 inside IP (protocol 4): IP-in-IP, 4in6 */
    WHY_ENCAP_IP6,      /* IPv6 inside IP (protocol 41): 6in4, IPv6-in-IPv6 */
    WHY_ENCAP_KINDS
};

/* Why a tunnel was not read (the frame is UNSUPPORTED); `encap_stop_value` says more. */
enum why_encap_stop {
    WHY_ENCAP_STOP_NONE = 0,
    WHY_ENCAP_STOP_GRE_PROTO,      /* value: the GRE protocol type */
    WHY_ENCAP_STOP_GRE_VERSION,    /* value: the GRE version (1 is PPTP) */
    WHY_ENCAP_STOP_GRE_ROUTING,    /* RFC 1701 source routing present */
    WHY_ENCAP_STOP_ERSPAN_VERSION, /* value: the version field of the ERSPAN header */
    WHY_ENCAP_STOP_ERSPAN_FRAME,   /* ERSPAN III frame type other than Ethernet; value: it */
    WHY_ENCAP_STOP_WLAN_PROTECTED, /* 802.11 frame encrypted: nothing to read */
    WHY_ENCAP_STOP_WLAN_AMSDU,     /* 802.11 A-MSDU aggregate */
    WHY_ENCAP_STOP_VXLAN_FLAGS,    /* UDP 4789 without the VNI flag; value: the flags */
    WHY_ENCAP_STOP_GENEVE_VERSION, /* value: the version */
    WHY_ENCAP_STOP_GENEVE_PROTO,   /* value: the protocol type */
    WHY_ENCAP_STOP_DEPTH,          /* more than WHY_ENCAP_MAX tunnels */
    WHY_ENCAP_STOP_FRAGMENT,       /* a later fragment of a tunnel packet (not reassembled); value: proto */
    WHY_ENCAP_STOPS
};

enum {
    WHY_ENCAP_F_ID = 0x01,   /* `id` holds a VNI or an ERSPAN session id */
    WHY_ENCAP_F_KEY = 0x02,  /* `key` holds a GRE key (RFC 2890) */
    WHY_ENCAP_F_SEQ = 0x04,  /* `seq` holds a GRE sequence number (RFC 2890) */
    WHY_ENCAP_F_CSUM = 0x08, /* the GRE header carried a checksum (never verified) */
    WHY_ENCAP_F_FRAGMENT = 0x10, /* the outer IP packet was a first fragment: the inner
                                    packet is cut where the fragment ends (later fragments
                                    are not reassembled: WHY_ENCAP_STOP_FRAGMENT) */
};

/* One tunnel crossed: the outer IP header's addresses and the tunnel's identifiers. */
struct why_encap {
    uint8_t kind;              /* enum why_encap_kind */
    uint8_t flags;             /* WHY_ENCAP_F_* */
    uint16_t proto;            /* GRE / GENEVE protocol type; 0 for the others */
    struct why_addr src, dst;  /* outer IP source and destination */
    uint32_t id;               /* VXLAN/GENEVE VNI (24 bits) or ERSPAN session id (10 bits) */
    uint32_t key;              /* GRE key */
    uint32_t seq;              /* GRE sequence number */
};

struct why_pkt {
    const struct why_frame *frame;
    enum why_link_dir link_dir;
    uint8_t nencap;            /* tunnels crossed, 0..WHY_ENCAP_MAX: encap[0..nencap) */
    uint8_t encap_stop;        /* enum why_encap_stop: a tunnel not read (status UNSUPPORTED) */
    uint16_t encap_stop_value; /* protocol type, version or flags the stop is about */
    uint16_t vlan;             /* outermost 802.1Q id of the innermost Ethernet header, 0 if none */
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
    /* Last, and not cleared by why_decode (only encap[0..nencap) is written): a frame with
     * no tunnel pays nothing for it. */
    struct why_encap encap[WHY_ENCAP_MAX]; /* outermost first */
};

/* Decodes f into *p (which is cleared first, but for encap[] past nencap). p->frame = f. Returns the status; on
 * TRUNCATED the fields decoded before the cut are valid and `proto` may be 0. */
enum why_decode_status why_decode(const struct why_frame *f, struct why_pkt *p);

/* Counters over many decodes (the caller owns one and feeds it every status). Each stop is
 * counted by reason, and the first WHY_DECODE_NAMED_MAX distinct (reason, value) pairs by
 * value so a report can name them ("gre_unsupported_proto 0x1234: 12"). */
#define WHY_DECODE_NAMED_MAX 16

struct why_decode_stats {
    uint64_t frames;                    /* decodes counted */
    uint64_t truncated, malformed, unsupported, not_ip; /* frames per status */
    uint64_t tunnelled;                 /* frames read through at least one tunnel */
    uint64_t tunnel_fragment_heads;     /* of which read from a first fragment only (cut) */
    uint64_t by_encap[WHY_ENCAP_KINDS]; /* tunnels crossed, per kind (a frame may add several) */
    uint64_t other_ip_proto;            /* IP frames whose protocol is none we read (ESP, OSPF...) */
    uint64_t stops[WHY_ENCAP_STOPS];    /* tunnels not read, per reason */
    uint32_t nnamed;
    struct {
        uint8_t stop;                   /* enum why_encap_stop */
        uint16_t value;
        uint64_t count;                 /* frames */
    } named[WHY_DECODE_NAMED_MAX];
    uint64_t named_over;                /* stops whose pair did not fit in `named` */
};

/* Counts one decode (its status and the view it filled). */
void why_decode_stats_add(struct why_decode_stats *s, enum why_decode_status st, const struct why_pkt *p);

/* Line i (0..nnamed-1) of the named stops: "gre_unsupported_proto 0x1234: 12". Returns buf. */
char *why_decode_stats_line(const struct why_decode_stats *s, uint32_t i, char *buf, size_t size);

/* Short names: "gre", "erspan2", "vxlan"...; "gre_unsupported_proto", "tunnel_depth"... */
const char *why_encap_kind_name(enum why_encap_kind k);
const char *why_encap_stop_name(enum why_encap_stop s);

/* The tunnels a packet crossed (layers[0..n), outermost first, as in why_pkt.encap), written
 * innermost first: "ERSPAN II session 3 in GRE 10.0.0.1->10.0.0.2", layers joined by
 * " inside ". "" when n is 0. Takes the layers alone so a record that copied them can render
 * them later. Returns buf (truncated to size, always terminated). */
char *why_encap_str(const struct why_encap *layers, unsigned n, char *buf, size_t size);

/* Address helpers. */
/* Same family and address (IPv4: the first 4 bytes; otherwise all 16). Inline: the joins and
 * the gateway sets compare addresses in their walks. */
static inline bool why_addr_eq(const struct why_addr *a, const struct why_addr *b)
{
    if (a->family != b->family)
        return false;
    if (a->family == 4) {
        uint32_t x, y;
        memcpy(&x, a->a, 4);
        memcpy(&y, b->a, 4);
        return x == y;
    }
    uint64_t x[2], y[2];
    memcpy(x, a->a, 16);
    memcpy(y, b->a, 16);
    return x[0] == y[0] && x[1] == y[1];
}
/* "198.18.0.1" or "fd00::1"; buf >= 46 bytes. Returns buf. */
char *why_addr_str(const struct why_addr *a, char *buf, size_t size);
/* "198.18.0.1:80" or "[fd00::1]:80"; buf >= 54 bytes. */
char *why_endpoint_str(const struct why_addr *a, uint16_t port, char *buf, size_t size);
/* Parses a literal IPv4/IPv6 address ("198.18.0.1", "fd00::1", "[fd00::1]"). 0 or -1. */
int why_addr_parse(const char *s, struct why_addr *out);

#endif
