/* Flow table and TCP connection state. Keys are symmetric 5-tuples; a TCP connection's
 * "client" is the side that sent the first SYN (or, when the capture starts mid-stream, the
 * side that sent the first packet seen, with `midstream` set). Tracks SYN tries (times and
 * frames, for the back-off schedule), SYN-ACK, RST/FIN per direction, the ICMP errors that
 * quote the connection, and delivers each direction's payload in sequence order, once:
 * retransmitted bytes are dropped, small out-of-order holes are filled from a capped buffer,
 * and bytes never captured (snaplen, capture drops) are reported as gaps.
 * Knows nothing of HTTP: consumers attach their state to why_conn.app.
 * Time is packet time; idle connections expire on a packet-time timer. RFC 9293. */
#ifndef WHY_FLOW_FLOW_H
#define WHY_FLOW_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "decode/decode.h"

#define WHY_SYN_TRIES_MAX 8            /* SYN transmissions remembered per connection (Linux
                                          sends 7 by default; later ones are only counted) */
#define WHY_FLOW_CONN_MAX 200000       /* connections in the table at once (cap, counted) */
#define WHY_FLOW_OOO_MAX (64u * 1024u) /* out-of-order bytes buffered per direction (cap) */
#define WHY_FLOW_IDLE_US (300LL * 1000000)   /* an idle connection expires after this */
#define WHY_FLOW_LINGER_US (5LL * 1000000)   /* a closed connection stays this long for stragglers */

enum why_dir { WHY_C2S = 0, WHY_S2C = 1 };

enum why_tcp_event {
    WHY_EV_SYN,          /* a SYN from the client (first or retransmitted: see syn_count) */
    WHY_EV_SYNACK,       /* the server's SYN-ACK (first one only) */
    WHY_EV_ESTABLISHED,  /* the client's ACK of the SYN-ACK, or first data after it */
    WHY_EV_FIN,          /* first FIN in direction dir */
    WHY_EV_RST,          /* RST sent in direction dir (first one only) */
    WHY_EV_ICMP,         /* an ICMP/ICMPv6 error quoting this connection (dir = direction of
                            the quoted packet, usually C2S); see why_conn.icmp_* */
};

struct why_tcp_half {             /* one direction of a connection */
    bool seq_known;               /* next_seq is valid */
    uint32_t isn;                 /* initial sequence number (the SYN's seq), if seen */
    uint32_t next_seq;            /* next in-order byte expected */
    uint64_t bytes;               /* payload bytes delivered in order, gaps included */
    uint64_t gap_bytes;           /* of which never captured */
    uint32_t retrans;             /* segments that carried only bytes already delivered */
    uint64_t first_data_frame;    /* 0 if no payload yet */
    struct why_ts first_data_ts;
    uint64_t last_data_frame;
    struct why_ts last_data_ts;
    uint64_t fin_frame;           /* 0 if no FIN */
    struct why_ts fin_ts;
    uint64_t rst_frame;           /* 0 if no RST */
    struct why_ts rst_ts;
    uint64_t last_frame;          /* last packet in this direction */
    struct why_ts last_ts;
    uint32_t packets;
    void *ooo;                    /* flow-private out-of-order store */
};

struct why_conn {
    uint64_t id;                  /* 1-based, in creation order: stable across runs */
    struct why_addr cli_addr, srv_addr;
    uint16_t cli_port, srv_port;
    uint32_t file;                /* capture file index of the first packet */
    bool midstream;               /* no SYN seen from the client: roles guessed */
    bool established;             /* SYN-ACK seen (or mid-stream data both ways) */
    bool closed;                  /* RST seen, or FIN both ways */
    uint32_t syn_count;           /* SYNs sent by the client (including retransmissions) */
    uint64_t syn_frames[WHY_SYN_TRIES_MAX];  /* first WHY_SYN_TRIES_MAX SYN frames */
    struct why_ts syn_ts[WHY_SYN_TRIES_MAX];
    uint64_t synack_frame;        /* 0 if none */
    struct why_ts synack_ts;
    uint64_t first_frame;         /* first packet of the connection */
    struct why_ts first_ts;
    uint32_t icmp_count;          /* ICMP errors quoting this connection */
    uint64_t icmp_frame;          /* the first one */
    struct why_ts icmp_ts;
    uint8_t icmp_type, icmp_code, icmp_ipver;
    struct why_addr icmp_from;    /* who sent the ICMP error (a router or the host) */
    struct why_tcp_half half[2];  /* indexed by enum why_dir */
    /* set by the link layer when known: which side is this capture host (SLL direction) */
    bool cli_is_local, srv_is_local;
    void *app;                    /* consumer's state; consumer frees it in on_close */
};

/* Callbacks into the consumer (the analyzer). `p` is the packet being processed (its frame
 * gives number and time); it is NULL for on_close called from a timer or at the end. */
struct why_flow_cb {
    void *ctx;
    void (*on_open)(void *ctx, struct why_conn *c, const struct why_pkt *p);
    void (*on_event)(void *ctx, struct why_conn *c, enum why_tcp_event ev, enum why_dir dir,
                     const struct why_pkt *p);
    /* In-order payload bytes of direction dir. Called once per byte delivered. */
    void (*on_data)(void *ctx, struct why_conn *c, enum why_dir dir, const uint8_t *data,
                    uint32_t len, const struct why_pkt *p);
    /* len bytes of direction dir were sent but not captured (or could not be reassembled). */
    void (*on_gap)(void *ctx, struct why_conn *c, enum why_dir dir, uint32_t len,
                   const struct why_pkt *p);
    /* The connection leaves the table (closed and lingered, idle, evicted at the cap, or the
     * end of input). Last call for c: the consumer must release c->app here. */
    void (*on_close)(void *ctx, struct why_conn *c, const struct why_pkt *p);
    /* A UDP datagram (any port), or an ICMP error quoting UDP (p->icmp_error). */
    void (*on_udp)(void *ctx, const struct why_pkt *p);
};

struct why_flow_stats {
    uint64_t tcp_packets, udp_packets, icmp_packets, other_packets;
    uint64_t conns;               /* connections created */
    uint64_t conns_evicted;       /* removed early because WHY_FLOW_CONN_MAX was reached */
    uint64_t ooo_dropped;         /* out-of-order bytes dropped at WHY_FLOW_OOO_MAX (become gaps) */
    uint64_t icmp_unmatched;      /* ICMP errors quoting no known connection */
    uint32_t conns_peak;          /* most connections in the table at once */
};

struct why_flow;

struct why_flow *why_flow_new(const struct why_flow_cb *cb);
/* Processes one decoded packet (TCP, UDP, ICMP errors; others are counted and ignored).
 * Also runs the packet-time timer: connections idle or lingering past their time close. */
void why_flow_packet(struct why_flow *f, const struct why_pkt *p);
/* Closes every connection still open (on_close with p = NULL), in creation order. */
void why_flow_finish(struct why_flow *f);
const struct why_flow_stats *why_flow_stats(const struct why_flow *f);
void why_flow_free(struct why_flow *f);

/* Sequence comparison modulo 2^32 (RFC 9293 3.4). */
static inline bool why_seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool why_seq_leq(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }

#endif
