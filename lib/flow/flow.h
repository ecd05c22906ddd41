/* Flow table and TCP connection state. Keys are symmetric 5-tuples; a TCP connection's
 * "client" is the side that sent the first SYN (or, when the capture starts mid-stream, the
 * side that sent the first packet seen, with `midstream` set). Tracks SYN tries (times and
 * frames, for the back-off schedule), SYN-ACK, RST/FIN per direction, the ICMP errors that
 * quote the connection, and delivers each direction's payload in sequence order, once:
 * retransmitted bytes are dropped, small out-of-order holes are filled from a capped buffer,
 * and bytes never captured (snaplen, capture drops) are reported as gaps.
 * Captures are imperfect, and the peer's acknowledgements are evidence of what the capture
 * missed (an ACK acknowledges every sequence number below it, RFC 9293 3.4): per direction,
 * a direction never captured at all, holes the peer acknowledged, bytes and a FIN acknowledged
 * beyond what was captured, a SYN-ACK proven by the client's handshake ACK. Any answer to a SYN
 * is recorded (SYN-ACK, RFC 5961 challenge ACK, RST). A server's answer that carries other
 * addresses than the client's SYN (NAT, a virtual address) is paired by its acknowledgement
 * number and the translation recorded; on a connection older than the capture (no SYN), the
 * silent side's first packet is paired by its sequence and acknowledgement numbers. Not
 * paired: a translated side seen before the other one mid-stream (two connections then).
 * Knows nothing of HTTP: consumers attach their state to why_conn.app.
 * Time is packet time; idle connections expire on a packet-time timer. RFC 9293, 5961. */
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
#define WHY_FLOW_NAT_PAIR_US (5LL * 1000000) /* a translated answer pairs with a SYN sent at
                                                most this long before it */
#define WHY_FLOW_NAT_SEQ_WINDOW (1u << 20)   /* mid-stream: a translated packet's sequence and
                                                acknowledgement numbers within this of what the
                                                connection's captured side shows (bytes) */
#define WHY_FLOW_NAT_ISN_SAME 16              /* SYNs of one ISN a translated answer is
                                                tried against (cap, counted) */
#define WHY_FLOW_ORPHANS_MAX 256             /* mid-stream connections whose other side is
                                                unseen, waiting to pair (cap, counted) */

#define WHY_FLOW_ENCAP_CHAINS_MAX 64  /* distinct tunnel paths kept (cap, counted): a mirror
                                          session or two per capture is the usual case */

enum why_dir { WHY_C2S = 0, WHY_S2C = 1 };

/* The tunnels a packet crossed (outermost first, as why_pkt.encap), as evidence names them.
 * The flow table keeps one copy of each distinct path and connections point to it, so a
 * tunnelled capture costs a pointer per direction, not a copy per packet. What changes from
 * packet to packet (GRE sequence numbers, the outer fragment flag) is not part of it. */
struct why_encap_chain {
    uint8_t n;                          /* layers, 1..WHY_ENCAP_MAX */
    struct why_encap layer[WHY_ENCAP_MAX];
};

enum why_tcp_event {
    WHY_EV_SYN,          /* a SYN from the client (first or retransmitted: see syn_count) */
    WHY_EV_SYNACK,       /* the server's SYN-ACK (first one only) */
    WHY_EV_ESTABLISHED,  /* the client's ACK of the SYN-ACK, or first data after it */
    WHY_EV_FIN,          /* first FIN in direction dir */
    WHY_EV_RST,          /* RST sent in direction dir (first one only) */
    WHY_EV_ICMP,         /* an ICMP/ICMPv6 error quoting this connection (dir = direction of
                            the quoted packet, usually C2S); see why_conn.icmp_* */
    WHY_EV_CHALLENGE_ACK, /* the server answered the client's SYN with a bare ACK (RFC 5961
                            4.2: it still holds an older connection on this 4-tuple) */
    WHY_EV_TRANSLATED,   /* the server's first packet with other addresses than the client's
                            (NAT, virtual address) joined this connection; see why_conn.nat_* */
};

/* What answered the client's SYN, first answer only. A SYN with any answer was heard. */
enum why_syn_answer {
    WHY_SYN_NO_ANSWER = 0,   /* nothing captured (yet) from the server */
    WHY_SYN_SYNACK,          /* a SYN-ACK was captured (synack_frame) */
    WHY_SYN_SYNACK_UNSEEN,   /* no SYN-ACK captured, but the client's handshake ACK (seq ISN+1,
                                an acknowledgement number) proves one arrived */
    WHY_SYN_CHALLENGE_ACK,   /* a bare ACK that does not acknowledge the SYN (RFC 5961) */
    WHY_SYN_RST,             /* a reset (connection refused, or the reset a challenge ACK draws
                                is the client's: see half[WHY_C2S].rst_frame) */
};

/* A direction's first FIN and first RST, kept apart (why_tcp_half.end): a connection idle
 * open has neither. */
struct why_half_end {
    uint64_t fin_frame;           /* 0 if no FIN */
    struct why_ts fin_ts;
    uint64_t rst_frame;           /* 0 if no RST */
    struct why_ts rst_ts;
};

/* The first of e's FIN and RST at or after `from` (the FIN on a tie): its time and frame;
 * false when neither came then. */
static inline bool why_half_end_first(const struct why_half_end *e, struct why_ts from, struct why_ts *ts,
                                      uint64_t *frame)
{
    bool fin = e->fin_frame && why_ts_cmp(e->fin_ts, from) >= 0;
    bool rst = e->rst_frame && why_ts_cmp(e->rst_ts, from) >= 0;
    if (rst && (!fin || why_ts_cmp(e->rst_ts, e->fin_ts) < 0)) {
        *ts = e->rst_ts;
        *frame = e->rst_frame;
        return true;
    }
    if (fin) {
        *ts = e->fin_ts;
        *frame = e->fin_frame;
    }
    return fin;
}

/* Both directions' ends in one allocation, made at the connection's first FIN or RST. */
struct why_conn_end {
    struct why_half_end half[2];  /* indexed by enum why_dir */
};

/* The ends of every connection without a FIN or RST yet: all zero, read only. */
extern const struct why_conn_end why_conn_end_none;

struct why_tcp_half {             /* one direction of a connection (no padding holes; the
                                     fields read by every packet first) */
    bool seq_known;               /* next_seq is valid */
    bool peer_acked;              /* the peer acknowledged bytes of this direction (below) */
    bool fin_acked_unseen;        /* the peer acknowledged a FIN the capture never saw (a last
                                     pure ACK one past the stream: the FIN's sequence number) */
    bool missing;                 /* no packet of this direction captured, yet the peer's ACKs
                                     prove it sent (a one-sided capture) */
    uint32_t isn;                 /* initial sequence number (the SYN's seq), if seen */
    uint32_t next_seq;            /* next in-order byte expected */
    uint32_t retrans;             /* segments that carried only bytes already delivered */
    uint64_t bytes;               /* payload bytes delivered in order, gaps included (of
                                     which never captured: why_conn.miss) */
    uint64_t first_data_frame;    /* 0 if no payload yet */
    struct why_ts first_data_ts;
    uint64_t last_data_frame;
    struct why_ts last_data_ts;
    uint64_t last_frame;          /* last packet in this direction */
    struct why_ts last_ts;
    uint32_t packets;
    uint32_t acked_max;           /* highest acknowledgement number the peer sent (sequence;
                                     valid when peer_acked, as the fields below) */
    /* this direction's FIN and RST: &why_conn_end_none.half[dir] until the connection's first
     * FIN or RST in either direction, then both directions' in one allocation (struct
     * why_conn_end, half[WHY_C2S].end its start; owned by whoever owns why_conn.more: a copy
     * of the connection must copy it too); never NULL. Not allocated: lost (nomem) */
    const struct why_half_end *end;
    /* What the other direction's acknowledgements prove about this one. Valid when
     * peer_acked; sequence numbers compare modulo 2^32 (why_seq_lt). */
    uint64_t acked_frame;         /* the peer's packet that last moved acked_max forward */
    uint64_t acked_bytes;         /* bytes the peer acknowledged from the first byte the capture
                                     knows (after the SYN, or the stream start mid-stream);
                                     a FIN's sequence number excluded (bytes) */
};

/* What the capture missed of one direction (why_conn.miss): bytes the stream skipped, and
 * what the peer's acknowledgements prove of them (valid as why_tcp_half's acked fields). */
struct why_half_miss {
    uint64_t gap_bytes;           /* of why_tcp_half.bytes, those never captured */
    uint64_t gap_acked_bytes;     /* of gap_bytes, those the peer acknowledged: holes proven to
                                     be the capture's loss, not the network's (bytes) */
    uint64_t unseen_acked_bytes;  /* acknowledged beyond the last byte captured: sent and
                                     received, but the capture missed them (bytes) */
};

/* Both directions' in one allocation, made when the first of them is not zero: a capture
 * that missed nothing of a connection costs it none. */
struct why_conn_miss {
    struct why_half_miss half[2]; /* indexed by enum why_dir */
};

/* What a connection that missed nothing shares: all zero, read only. */
extern const struct why_conn_miss why_conn_miss_none;

/* What few connections carry, kept apart (why_conn.more): SYNs after the first (most
 * connections send one), a challenge ACK and its reset, a translation, ICMP errors. */
struct why_conn_more {
    uint64_t syn_frames[WHY_SYN_TRIES_MAX - 1]; /* the 2nd to WHY_SYN_TRIES_MAX-th SYN frames */
    struct why_ts syn_ts[WHY_SYN_TRIES_MAX - 1];
    uint64_t challenge_rst_frame; /* the client's reset of the stale connection a challenge ACK
                                     spoke of (RFC 5961 4.2), 0 if none: not an abort of this
                                     connection (not in rst_frame); its SYN is retried */
    struct why_ts challenge_rst_ts;
    /* Translation (NAT, a virtual address in front of a real server): when why_conn's
     * `translated`, the server's packets go from nat_srv_addr:nat_srv_port to
     * nat_cli_addr:nat_cli_port, not from srv_addr:srv_port to cli_addr:cli_port (which are
     * the client's SYN's). The two were paired by the server's acknowledgement of the
     * client's ISN. */
    struct why_addr nat_srv_addr, nat_cli_addr;
    uint16_t nat_srv_port, nat_cli_port;
    uint32_t syn_others_answered; /* SYN-ACKs the same server address and port sent to other
                                     connections between this one's first SYN and its last
                                     counted one (the server was up and listening), as far
                                     as the flow table's listener slots tell: 0 when unknown */
    uint64_t syn_other_frame;     /* the last of those SYN-ACKs (another connection's), 0 if none */
    struct why_ts syn_other_ts;
    struct why_ts last_syn_ts;    /* the last SYN's time once more than WHY_SYN_TRIES_MAX came */
    /* the frame and time of syn_answer when it is neither the SYN-ACK (synack_frame) nor a
     * reset (the server's rst_frame): for WHY_SYN_SYNACK_UNSEEN the packet that proves one,
     * for WHY_SYN_CHALLENGE_ACK the challenge ACK; read through why_conn_answer_frame/_ts */
    uint64_t answer_frame;
    struct why_ts answer_ts;
    /* the first ICMP error quoting the connection: its frame (0 if none), time and facts */
    uint64_t icmp_frame;
    uint32_t icmp_count;          /* ICMP errors quoting this connection */
    uint32_t challenge_acks;      /* bare ACKs from the server that did not acknowledge the SYN
                                     (RFC 5961 4.2) */
    struct why_ts icmp_ts;
    struct why_ts icmp_last_ts;   /* the last one's time (a SYN sent again drew another) */
    const struct why_encap_chain *icmp_encap; /* the tunnels it crossed (NULL: none, or past
                                     WHY_FLOW_ENCAP_CHAINS_MAX; as why_conn's encap[]) */
    struct why_addr icmp_from;    /* who sent it (a router or the host) */
    uint8_t icmp_type, icmp_code, icmp_ipver;
};

/* The part apart of every connection that has none: all zero, read only. */
extern const struct why_conn_more why_conn_more_none;

struct why_conn {
    uint64_t id;                  /* 1-based, in creation order: stable across runs */
    struct why_addr cli_addr, srv_addr;
    uint16_t cli_port, srv_port;
    uint8_t syn_answer;           /* enum why_syn_answer: first answer to the client's SYN */
    bool encap_varied;            /* a later packet of a direction crossed other tunnels (encap) */
    uint32_t file;                /* capture file index of the first packet */
    bool midstream;               /* no SYN seen from the client: roles guessed */
    bool established;             /* SYN-ACK seen (or mid-stream data both ways) */
    bool closed;                  /* RST seen, or FIN both ways */
    bool translated;              /* the server answers from other addresses: more->nat_* */
    uint32_t syn_count;           /* SYNs sent by the client (including retransmissions) */
    /* set by the link layer when known: which side is this capture host (SLL direction) */
    bool cli_is_local, srv_is_local;
    uint64_t syn_frame;           /* the first SYN's frame (0 if none); the next ones up to
                                     WHY_SYN_TRIES_MAX in more: why_conn_syn_frame/_ts */
    struct why_ts syn_ts0;
    uint64_t synack_frame;        /* 0 if none captured */
    struct why_ts synack_ts;
    /* what few connections carry: allocated by the flow table at its first use (then owned
     * by it, valid until on_close returns: a copy of c must copy it too), until then the
     * shared why_conn_more_none; never NULL. Not allocated: the facts are lost (counted in
     * nomem) */
    const struct why_conn_more *more;
    /* what the capture missed of each direction: the shared why_conn_miss_none until the
     * first gap or byte acknowledged unseen, then allocated by the flow table (owned as
     * `more`: a copy of c must copy it too); never NULL. Not allocated: lost (nomem) */
    const struct why_conn_miss *miss;
    uint64_t first_frame;         /* first packet of the connection */
    struct why_ts first_ts;
    struct why_tcp_half half[2];  /* indexed by enum why_dir */
    /* the tunnels the first captured packet of each direction crossed (NULL: none, or past
     * WHY_FLOW_ENCAP_CHAINS_MAX); owned by the flow table, valid until why_flow_free */
    const struct why_encap_chain *encap[2];
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
    uint64_t ooo_unseen;          /* bytes of holes given up when the out-of-order store hit
                                     WHY_FLOW_OOO_MAX that the capture never saw (before the
                                     capture started mid-stream, or lost by it): gaps (bytes) */
    uint64_t ooo_dropped;         /* bytes captured after their hole was given up at
                                     WHY_FLOW_OOO_MAX: really dropped at the cap (bytes) */
    uint64_t nomem;               /* allocations refused: connections not followed, segments
                                     not stored (they become gaps) */
    uint64_t nat_paired;          /* connections whose server answered from other addresses,
                                     paired by acknowledgement number (the SYN's ISN, or
                                     mid-stream the sequence and acknowledgement numbers) */
    uint64_t orphans_over;        /* mid-stream connections not offered for pairing: the
                                     orphan list was at WHY_FLOW_ORPHANS_MAX */
    uint64_t nat_ambiguous;       /* answers from other addresses not paired: more than one
                                     SYN waiting with the ISN they acknowledge fit (or more
                                     than WHY_FLOW_NAT_ISN_SAME waited, not told apart) */
    /* What the capture missed, summed over the connections that left the table (each
     * counted as it closes: read after why_flow_finish for the whole capture) */
    uint64_t one_sided[2];        /* connections whose direction (enum why_dir) was never
                                     captured while the other's ACKs prove it sent */
    uint64_t hole_bytes;          /* stream bytes never captured (gaps), both directions */
    uint64_t hole_acked_bytes;    /* of which the peer acknowledged: the capture's loss */
    uint64_t tail_unseen_bytes;   /* bytes acknowledged past the last one captured */
    uint64_t synack_unseen;       /* handshakes whose SYN-ACK an ACK proves, not captured */
    uint64_t challenge_acked;     /* connections whose SYN drew a challenge ACK (RFC 5961) */
    uint64_t icmp_unmatched;      /* ICMP errors quoting no known connection */
    int64_t syn_rtt_max_us;       /* the longest a captured SYN-ACK or reset answering a SYN
                                     came after the last SYN before it (us; 0: none yet): how
                                     late an answer the capture missed could have come */
    int64_t attempt_span_us;      /* the longest from a connection's first packet to a later
                                     one, or an ICMP error quoting it, while it was neither
                                     established nor begun mid-stream (us, at least 1; 0: none
                                     yet): an attempt that never connected ended (its last
                                     SYN, SYN-ACK, reset or ICMP error) at most this long
                                     after it began */
    uint32_t encap_chains;        /* distinct tunnel paths kept (<= WHY_FLOW_ENCAP_CHAINS_MAX) */
    uint64_t encap_chains_over;   /* packets whose tunnel path did not fit: their connection
                                     names no tunnel in its evidence (cap) */
    uint32_t conns_peak;          /* most connections in the table at once */
    /* open connections now one-way evidence (why_conn_one_way): a direction proven missing,
     * a reset alone */
    uint32_t open_missing, open_lone_rst;
};

struct why_flow;
struct why_spare; /* util/spare.h */

struct why_flow *why_flow_new(const struct why_flow_cb *cb);
/* The connection entries' blocks (why_flow_entry_size bytes each) come from and go back to
 * sp from now on, not the table's own list: a consumer that copies each closed connection
 * (why_store_conn_closed) takes its copies from sp too, so that what one frees the other
 * reuses, as it would from malloc (sp's blocks may come from a slab: util/spare.h). sp must
 * outlive f; set before the first packet. */
void why_flow_share_entries(struct why_flow *f, struct why_spare *sp);
size_t why_flow_entry_size(void);
/* Processes one decoded packet (TCP, UDP, ICMP errors; others are counted and ignored).
 * Also runs the packet-time timer: connections idle or lingering past their time close. */
void why_flow_packet(struct why_flow *f, const struct why_pkt *p);
/* Closes every connection still open (on_close with p = NULL), in creation order. */
void why_flow_finish(struct why_flow *f);
const struct why_flow_stats *why_flow_stats(const struct why_flow *f);
/* The kept copy of the tunnels p crossed, for a record made from a packet outside the
 * connection table (a DNS message over UDP): NULL when p crossed none or past
 * WHY_FLOW_ENCAP_CHAINS_MAX (counted). Owned by the flow table, valid until why_flow_free. */
const struct why_encap_chain *why_flow_encap(struct why_flow *f, const struct why_pkt *p);
/* Connections in the table now that have not closed (closed ones lingering for stragglers
 * left out), from two counters. */
uint32_t why_flow_open_count(const struct why_flow *f);
void why_flow_free(struct why_flow *f);

/* The i-th SYN of c (0-based, i < WHY_SYN_TRIES_MAX): its frame and time, 0 past what was
 * captured. */
/* The time of c's last packet, either direction. */
static inline struct why_ts why_conn_last_ts(const struct why_conn *c)
{
    return why_ts_cmp(c->half[1].last_ts, c->half[0].last_ts) > 0 ? c->half[1].last_ts : c->half[0].last_ts;
}

static inline uint64_t why_conn_syn_frame(const struct why_conn *c, uint32_t i)
{
    return i == 0 ? c->syn_frame : c->more->syn_frames[i - 1];
}
static inline struct why_ts why_conn_syn_ts(const struct why_conn *c, uint32_t i)
{
    return i == 0 ? c->syn_ts0 : c->more->syn_ts[i - 1];
}

/* The frame and time of c's first answer to its SYN (syn_answer), 0 if none: a SYN-ACK and
 * a reset are recorded as such, the other answers apart. */
static inline uint64_t why_conn_answer_frame(const struct why_conn *c)
{
    return c->syn_answer == WHY_SYN_SYNACK ? c->synack_frame
           : c->syn_answer == WHY_SYN_RST  ? c->half[WHY_S2C].end->rst_frame
                                           : c->more->answer_frame;
}
static inline struct why_ts why_conn_answer_ts(const struct why_conn *c)
{
    return c->syn_answer == WHY_SYN_SYNACK ? c->synack_ts
           : c->syn_answer == WHY_SYN_RST  ? c->half[WHY_S2C].end->rst_ts
                                           : c->more->answer_ts;
}

/* c's ends (both directions' FIN and RST), &why_conn_end_none while it has none. */
static inline const struct why_conn_end *why_conn_ends(const struct why_conn *c)
{
    return (const struct why_conn_end *)(const void *)c->half[WHY_C2S].end;
}

/* Points c's halves at e (why_conn_end_none, or a copy c owns). */
static inline void why_conn_set_ends(struct why_conn *c, const struct why_conn_end *e)
{
    c->half[WHY_C2S].end = &e->half[WHY_C2S];
    c->half[WHY_S2C].end = &e->half[WHY_S2C];
}

/* What makes c one-way evidence (correlate/partial.c reads it of the oldest records): a
 * direction proven sent and never captured (WHY_CONN_ONE_WAY_MISSING), a direction reset
 * while the other has no packet (WHY_CONN_ONE_WAY_LONE_RST). Counted over the open
 * connections (why_flow_stats) and the store's closed records, so that a walk finds nothing
 * without reading them where both counts are 0. */
#define WHY_CONN_ONE_WAY_MISSING 1u
#define WHY_CONN_ONE_WAY_LONE_RST 2u
static inline unsigned why_conn_one_way(const struct why_conn *c)
{
    bool lone = (!c->half[WHY_S2C].packets && c->half[WHY_C2S].end->rst_frame) ||
                (!c->half[WHY_C2S].packets && c->half[WHY_S2C].end->rst_frame);
    return (c->half[WHY_C2S].missing || c->half[WHY_S2C].missing ? WHY_CONN_ONE_WAY_MISSING : 0u) |
           (lone ? WHY_CONN_ONE_WAY_LONE_RST : 0u);
}

/* Sequence comparison modulo 2^32 (RFC 9293 3.4). */
static inline bool why_seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool why_seq_leq(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }

#endif
