/* why502 public API: a session takes capture frames (from files or live), and hands each
 * incident to a sink as soon as its evidence is complete; reports read the result.
 * The library never prints, exits or reads globals. Time is packet time only. */
#ifndef WHY502_H
#define WHY502_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"
#include "decode/decode.h"
#include "util/wtime.h"

#define WHY502_VERSION "0.1.0"

/* Exit statuses of the CLI (like diff): also documented in the man page. */
enum why_exit {
    WHY_EXIT_OK = 0,        /* no failed request found */
    WHY_EXIT_FOUND = 1,     /* at least one incident */
    WHY_EXIT_USAGE = 2,     /* bad command line */
    WHY_EXIT_INPUT = 3,     /* a capture could not be read at all */
    WHY_EXIT_OUTPUT = 4,    /* the report could not be written */
    WHY_EXIT_INTERNAL = 5,  /* out of memory or a bug */
};

/* Who the cause lies with. */
enum why_kind {
    WHY_KIND_GATEWAY = 0,   /* the gateway or what lies beyond it (DNS, network, origin) failed */
    WHY_KIND_ORIGIN,        /* the origin answered 5xx itself; the gateway passed it through */
    WHY_KIND_CLIENT,        /* the client gave up before any answer (499) */
    WHY_KIND_CAPTURE,       /* the capture ended before the request was answered */
    WHY_KIND_UNJOINED,      /* a failure seen with no client request to join it to */
};

/* The causes of the catalogue (docs/causes.md), in its order; why_causes()[id]. Append only. */
enum why_cause_id {
    WHY_CAUSE_NXDOMAIN = 0, WHY_CAUSE_SERVFAIL, WHY_CAUSE_REFUSED, WHY_CAUSE_DNS_RCODE,
    WHY_CAUSE_NODATA, WHY_CAUSE_NO_ANSWER, WHY_CAUSE_DNS_UNREACHABLE, WHY_CAUSE_SYN_UNANSWERED,
    WHY_CAUSE_RST, WHY_CAUSE_PORT_UNREACHABLE, WHY_CAUSE_ADMIN_PROHIBITED,
    WHY_CAUSE_HOST_UNREACHABLE, WHY_CAUSE_NET_UNREACHABLE, WHY_CAUSE_TTL_EXCEEDED,
    WHY_CAUSE_NOT_HTTP, WHY_CAUSE_CLOSED, WHY_CAUSE_CLOSED_ON_REUSE, WHY_CAUSE_RESET, WHY_CAUSE_RESET_IN_BODY,
    WHY_CAUSE_CLOSED_IN_BODY, WHY_CAUSE_NO_RESPONSE, WHY_CAUSE_RENEGOTIATION_STALL,
    WHY_CAUSE_RENEGOTIATION_REFUSED, WHY_CAUSE_TLS_ALERT, WHY_CAUSE_TLS_CERTIFICATE,
    WHY_CAUSE_TLS_GATEWAY_LEFT, WHY_CAUSE_TLS_HANDSHAKE_CLOSED, WHY_CAUSE_BACKEND_DNS_FAILED,
    WHY_CAUSE_HEALTH_CHECK_FAILED, WHY_CAUSE_HEAD_TOO_BIG, WHY_CAUSE_NO_UPSTREAM_ATTEMPT,
    WHY_CAUSE_GATEWAY_ERROR, WHY_CAUSE_CLOSED_WITHOUT_RESPONSE, WHY_CAUSE_GATEWAY_CLAIM,
    WHY_CAUSE_CLIENT_RESET_RESPONSE, WHY_CAUSE_CLIENT_ABORT, WHY_CAUSE_ORIGIN_5XX,
    WHY_CAUSE_NO_RESPONSE_IN_CAPTURE, WHY_CAUSE_SERVER_NO_ANSWER, WHY_CAUSE_STALL_IN_BODY,
    WHY_CAUSE_H2_STREAM_RESET, WHY_CAUSE_H2_STREAM_RESET_IN_BODY,
    WHY_CAUSE_H2_STREAM_UNANSWERED, WHY_CAUSE_H2_GOAWAY_UNPROCESSED, WHY_CAUSE_H2_FLOW_STALL,
    WHY_CAUSE_H2_PROTOCOL_ERROR, WHY_CAUSE_GRPC_ORIGIN_STATUS, WHY_CAUSE_NOT_ACCEPTING,
    WHY_CAUSE_TLS_PASSTHROUGH_ALERT,
    WHY_CAUSE_COUNT
};

#define WHY_EVIDENCE_MAX 24
#define WHY_SCHEDULE_MAX 16
#define WHY_INCIDENT_CONNS_MAX 8
#define WHY_INCIDENT_ENCAPS_MAX 4  /* distinct tunnel paths named by one incident's evidence */
#define WHY_ENCAP_TEXT_MAX 240     /* bytes of one tunnel path's text, NUL included */

/* Who sent or received an evidence packet, as the join sees it. */
enum why_actor {
    WHY_ACTOR_OTHER = 0,     /* none of the roles below (or not known) */
    WHY_ACTOR_CLIENT,        /* the client of the failed request */
    WHY_ACTOR_GATEWAY,       /* the gateway (proxy, load balancer) */
    WHY_ACTOR_UPSTREAM,      /* an origin or next hop the gateway connected to */
    WHY_ACTOR_DNS,           /* a DNS server */
};

/* What an evidence item is. The text writer shows `what`; a ladder diagram, an evidence
 * pcapng comment or a live view uses the kind and the actors. Append only: the JSON names
 * (why_evidence_kind_name) are part of the schema. */
enum why_evidence_kind {
    WHY_EVK_NOTE = 0,         /* a fact with no single packet of its own */
    WHY_EVK_REQUEST,          /* the client's request (its last byte) */
    WHY_EVK_RESPONSE,         /* the gateway's answer to the client */
    WHY_EVK_UPSTREAM_REQUEST, /* the gateway's request to the upstream */
    WHY_EVK_UPSTREAM_RESPONSE,/* the upstream's answer (status line) */
    WHY_EVK_DATA,             /* other payload: the first bytes of a non-HTTP answer, body */
    WHY_EVK_SYN,
    WHY_EVK_SYN_RETRY,        /* a retransmitted SYN (try n) */
    WHY_EVK_SYN_ACK,
    WHY_EVK_RST,
    WHY_EVK_FIN,
    WHY_EVK_ICMP,             /* an ICMP/ICMPv6 error quoting the connection */
    WHY_EVK_DNS_QUERY,
    WHY_EVK_DNS_ANSWER,
    WHY_EVK_TLS_HELLO,        /* ClientHello / ServerHello */
    WHY_EVK_TLS_HELLO_REQUEST,/* a renegotiation request */
    WHY_EVK_TLS_ALERT,
    WHY_EVK_TLS_CERTIFICATE,
    WHY_EVK_GIVE_UP,          /* the gateway (or client) closing/leaving after a wait */
    WHY_EVK_H2_RST_STREAM,    /* an HTTP/2 stream reset (RST_STREAM) */
    WHY_EVK_H2_GOAWAY,        /* an HTTP/2 GOAWAY */
    WHY_EVK_H2_STALL,         /* the DATA frame that left an HTTP/2 flow-control window at 0 */
    WHY_EVK_KIND_COUNT
};

struct why_evidence {
    uint32_t file;           /* index of the input file (0-based, in command-line order) */
    uint64_t frame;          /* frame number (tshark's, 1-based) within that file; 0 = none */
    struct why_ts ts;        /* packet time */
    enum why_evidence_kind kind;
    enum why_actor from, to; /* sender and receiver */
    struct why_addr from_addr, to_addr; /* family 0 when not known */
    uint16_t from_port, to_port; /* 0 for ICMP or when not known */
    char what[112];          /* rendered words; bytes from the wire escaped by the writers */
    uint8_t encap;           /* the tunnels the frame crossed: encaps[encap - 1] of its
                                incident; 0 when none (or not known: DNS, ICMP) */
};

/* A connection (or a DNS exchange over UDP) an incident involves: enough to cut a slice of
 * the capture for it (all its frames between first and last). */
struct why_incident_conn {
    uint8_t proto;           /* 6 TCP, 17 UDP */
    enum why_actor a_role, b_role; /* a is the side that opened it (client side) */
    struct why_addr a, b;
    uint16_t aport, bport;
    uint32_t first_file, last_file;
    uint64_t first_frame, last_frame; /* within first_file / last_file */
    struct why_ts first_ts, last_ts;
};

#define WHY_INCIDENT_ALTS_MAX 3 /* other readings kept per incident */

/* Why another reading of an incident fits the packets (JSON names: why_alt_basis_name). */
enum why_alt_basis {
    WHY_ALT_SWAPPED_PAIRING = 0, /* parallel requests' final attempts paired another way */
    WHY_ALT_TAKEN_TRY,           /* an attempt another request took as a try, or a chain went
                                    on from, failed at once before this request's answer */
    WHY_ALT_ATTEMPT_NEAR,        /* Varnish: an attempt near the request (its own, taken, or
                                    a refusal that held its backend down) */
    WHY_ALT_NO_ATTEMPT_NEAR,     /* Varnish: that attempt not this request's, nothing held down */
    WHY_ALT_NAME_UNRESOLVED,     /* no attempt: the gateway's lookups of the request's host
                                    never gave an address (its server may be named so) */
    WHY_ALT_CHECK_SCHEDULE,      /* no attempt: the request's one attempt fits the gateway's
                                    own check schedule of that server (a check, then) */
    WHY_ALT_OTHER_NAME_UNRESOLVED, /* no attempt: the gateway's own lookups of another name than
                                      the request's host were failing (its server may be named
                                      so) */
    WHY_ALT_BUSY_PATH,           /* no attempt: the request's one attempt, failed at once, went
                                    to a server other requests' tries reach many times a second
                                    (another's, then) */
    WHY_ALT_CHECKS_FAILING,      /* no attempt: the gateway's own checks of some server were
                                    failing, and its lookups of another name too (the incident
                                    names neither: its answer does not say which was the
                                    request's) */
};
const char *why_alt_basis_name(enum why_alt_basis b);

struct why_incident {
    uint64_t id;             /* 1-based, in decision order: stable for the same input */
    enum why_kind kind;
    const char *error;       /* RFC 9209 Proxy-Status error type, NULL when none applies */
    const char *detail;      /* our finer cause (catalogue id, docs/causes.md) */
    enum why_cause_id cause; /* the same as an enum */
    char detail_text[200];   /* parameters of the detail: "tries=3 schedule=0,1.0,3.0s" */
    struct why_ts ts;        /* when the client's request was complete (or the failure began) */
    uint32_t file;           /* capture file of the client request */
    /* the client leg */
    bool has_client;
    bool via_gateway;        /* the client talked to a gateway (false: straight to the server) */
    struct why_addr client_addr, gateway_addr;
    uint16_t client_port, gateway_port;
    char method[24];
    char url[2400];           /* absolute URL as the client asked (built from Host for origin-form) */
    int status;              /* status the client saw, 0 if none */
    char claim[200];         /* the gateway's own words: X-Squid-Error, Proxy-Status, page title */
    char server[96];         /* Server header of the gateway's response */
    char sni[256];           /* the client's TLS server name, when its request is encrypted */
    bool tls_unfinished;     /* ...and its handshake never finished (a gateway passing TLS
                                through: the origin's or the client's alert): no request left */
    /* the upstream leg */
    bool has_upstream;
    struct why_addr upstream_addr;
    uint16_t upstream_port;
    char upstream_host[256]; /* host name asked of DNS or in the upstream Host header */
    int upstream_status;     /* status the origin sent, 0 if none */
    uint32_t attempts;       /* upstream connection attempts joined to this request */
    uint32_t syn_tries;      /* SYNs sent in the failing attempt(s) */
    uint32_t nschedule;
    int64_t schedule_us[WHY_SCHEDULE_MAX]; /* SYN send times relative to the first, microseconds */
    uint32_t dns_queries;    /* DNS queries for the host joined to this request */
    /* durations in microseconds, -1 when not applicable */
    int64_t dns_us;          /* first query -> last answer (or last query when unanswered) */
    int64_t connect_us;      /* first SYN -> SYN-ACK, or -> giving up */
    int64_t first_byte_us;   /* upstream request sent -> first response byte */
    int64_t wait_us;         /* the measured wait that matters for this cause */
    int64_t total_us;        /* client request -> answer to the client (or its giving up) */
    uint8_t first_bytes[32]; /* http_protocol_error: the first bytes the origin sent, raw */
    uint32_t first_len;
    char summary[400];       /* one sentence: what happened */
    char fix[300];           /* one sentence: what to do */
    /* Other readings the packets fit as well (docs/json.md `alternatives`): requests the
     * gateway failed at once, to servers nothing in the packets names, whose attempts pair
     * with them in more than one way; this request's cause is the one above or one of these. */
    uint32_t nalt;
    struct why_alternative {
        enum why_alt_basis basis;
        uint64_t with_request_frame; /* the other request whose pairing changes; 0 = not known */
        const char *error, *detail;
        enum why_cause_id cause;
        char detail_text[200];
        bool has_upstream;
        struct why_addr upstream_addr;
        uint16_t upstream_port;
        uint32_t nframes;
        uint64_t frames[8];      /* its upstream evidence frames */
        char summary[400];
        char why[240];           /* one sentence: why the packets fit it as well */
    } alt[WHY_INCIDENT_ALTS_MAX];
    uint64_t capture_drops;  /* live capture: packets it dropped (pcap_stats, kernel and
                                interface) from shortly before the request to the decision;
                                0 = none or not live */
    uint64_t request_frame, response_frame; /* client request / response frames, 0 if none */
    uint32_t nevidence;
    struct why_evidence evidence[WHY_EVIDENCE_MAX]; /* in time order */
    uint32_t nconns;
    struct why_incident_conn conns[WHY_INCIDENT_CONNS_MAX]; /* client leg first */
    /* the tunnel paths the evidence crossed, once each, innermost first: "ERSPAN II session 3
     * in GRE 10.0.0.1->10.0.0.2" (a mirror's or an overlay's outer layers) */
    uint32_t nencaps;
    char encaps[WHY_INCIDENT_ENCAPS_MAX][WHY_ENCAP_TEXT_MAX];
};

struct why_options {
    const char *gateways;    /* "ADDR[:PORT][,ADDR...]" from --gateway, NULL = automatic */
    const char *keylog;      /* SSLKEYLOGFILE path, NULL = none */
    bool include_unjoined;   /* report failures not joined to any request (default on) */
    int64_t settle_us;       /* wait after a response before deciding (packet time) */
    bool exhaustive;         /* join every request by scanning every record (no index; a
                                success is settled as by default, its upstream request
                                found by the scan): the slow reference path */
};

void why_options_init(struct why_options *o);
/* Checks the options a session would refuse (a bad --gateway): 0, or -1 with a message in
 * err. After it passed, why_session_new fails only for want of memory. */
int why_options_check(const struct why_options *o, char *err, size_t errsize);

/* Counters reported in the summary. */
struct why_summary {
    uint64_t frames, bytes;
    uint64_t requests;       /* HTTP requests seen on client legs (or direct) */
    uint64_t upstream_requests;
    uint64_t failed;         /* incidents */
    uint64_t unreadable;     /* requests whose answer the capture missed (lost segments,
                                snaplen): not judged, never a false diagnosis */
    uint64_t by_kind[5];
    uint64_t by_cause[64];   /* incidents per catalogue entry (index into why_causes()) */
    uint64_t dns_queries, tcp_conns;
    uint64_t decode_truncated, decode_malformed, decode_unsupported;
    uint64_t caps_hit;       /* any named cap reached (see the cap counters) */
    uint64_t cap_conns_evicted, cap_ooo_dropped, cap_http_head_too_long, cap_pending_dropped,
        cap_records_dropped;
    /* --keylog */
    bool keylog_used;
    char keylog_warning[256];        /* "" when the key log was read */
    uint64_t keylog_lines_ignored;   /* lines that were not key log entries */
    uint64_t tls_decrypted, tls_keyless; /* TLS connections decrypted / without keys */
    uint32_t ngateways;
    struct why_addr gateways[8];
    struct why_ts first_ts, last_ts;
    uint64_t cap_dns_addrs_dropped;  /* DNS answer addresses not kept (4 per query are) */
    uint64_t cap_http_pending_dropped; /* pipelined requests not matched to responses */
    uint64_t cap_encap_chains_over;  /* packets whose tunnel path was not kept: their evidence
                                        names no tunnel (flow/flow.h WHY_FLOW_ENCAP_CHAINS_MAX) */
    uint64_t cap_orphans_over;       /* mid-stream connections not offered for NAT pairing
                                        (WHY_FLOW_ORPHANS_MAX) */
    uint64_t cap_nat_ambiguous;      /* answers from other addresses not paired: more than one
                                        SYN waiting with their ISN (WHY_FLOW_NAT_ISN_SAME) */
    uint64_t cap_bg_names_over;      /* names on a gateway's lookup schedule forgotten for a
                                        newer one (store/store.h WHY_BG_NAMES_MAX) */
    uint64_t oom;                    /* records not kept for want of memory */
    struct why_decode_stats decode;  /* every frame's decode: tunnels crossed per kind, tunnels
                                        not read per reason (decode/decode.h) */
    /* What the capture missed, as the peers' acknowledgements prove it (never a failure) */
    uint64_t gap_one_sided[2];       /* connections whose client's [0] / server's [1] direction
                                        was never captured, though the other's ACKs prove it */
    uint64_t gap_hole_bytes;         /* stream bytes never captured (holes) */
    uint64_t gap_hole_acked_bytes;   /* of which the receiver acknowledged (bytes) */
    uint64_t gap_tail_bytes;         /* bytes acknowledged past the last one captured */
    uint64_t gap_synack_unseen;      /* handshakes whose SYN-ACK an ACK proves, not captured */
    uint64_t pauses;                 /* silences of WHY_PAUSE_MIN_US or more in packet time right
                                        after WHY_PAUSE_RATE packets or more within a second:
                                        the capturing host stalled (a paused VM, a lost buffer) */
    int64_t pause_longest_us;        /* the longest of them (us) */
    struct why_ts pause_longest_at;  /* ...and its last packet before it */
    uint64_t translated_conns;       /* connections whose answers carry other addresses (NAT,
                                        virtual address), paired by sequence numbers */
    uint64_t challenge_acked;        /* SYNs answered by a challenge ACK (RFC 5961) */
    struct why_addr nat_first[4];    /* the first translated connection: client, server (as
                                        the client's SYN), then the server's answer's source
                                        and destination */
    uint16_t nat_first_port[4];
    uint64_t dns_expected_misses;    /* failed lookups of names expected to fail (WPAD,
                                        ISATAP): noted, not failures */
    uint64_t tls_background_failed;  /* the gateway's own upstream TLS connections that failed
                                        while no client request was failing and its client
                                        leg was read (a probe of a peer marked down, a TLS
                                        health check): noted, not incidents */
    uint64_t dns_background_failed;  /* failed lookups the gateway made on its own schedule
                                        (its servers' names), not claimed by an incident's
                                        request: noted, no incident of their own */
    char dns_background_name[256];   /* the first of their names (a DNS name is 255 bytes
                                        at most) */
    uint64_t tls_passed_through;     /* TLS connections whose ClientHello, random and all, a
                                        relay had read on another connection of the capture
                                        (a gateway passing TLS through): each leg sent on */
    uint32_t nrelays;
    struct why_addr relays[8];       /* those relays' addresses (the one the client reached,
                                        the one the relay sent from), the first 8: also in
                                        gateways (why_session_summary) */
};

/* Incidents are handed over as soon as decided; the sink copies what it keeps. */
struct why_sink {
    void *ctx;
    void (*on_incident)(void *ctx, const struct why_incident *inc);
};

struct why_session;

/* Returns NULL on out of memory or a bad option (message in err). */
struct why_session *why_session_new(const struct why_options *o, const struct why_sink *sink,
                                    char *err, size_t errsize);
/* One captured frame. */
void why_session_frame(struct why_session *s, const struct why_frame *f);
/* No packet came, and packet time is now `now` (a live capture's clock, mapped to packet
 * time): requests whose evidence is complete are decided and handed to the sink, and what
 * nothing pending can use is pruned, as a frame would. Connections the flow table holds only
 * expire with the next frame. Cheap when called often (works every 0.5 s of packet time). */
void why_session_tick(struct why_session *s, struct why_ts now);
/* End of input: everything still pending is decided and handed to the sink. */
void why_session_finish(struct why_session *s);
const struct why_summary *why_session_summary(const struct why_session *s);
/* TCP connections open now (seen, not closed or expired): for a live gauge, not per frame. */
uint64_t why_session_open_conns(const struct why_session *s);
void why_session_free(struct why_session *s);

/* The cause catalogue (docs/causes.md is generated from it). */
struct why_cause {
    const char *detail;      /* our id: "nxdomain" */
    const char *error;       /* RFC 9209 type, NULL for none */
    const char *kind;        /* "gateway", "origin", "client", "capture" */
    const char *seen;        /* what the traffic shows */
    const char *fix;         /* what to do */
};
const struct why_cause *why_causes(size_t *n);
const struct why_cause *why_cause_find(const char *detail);
const struct why_cause *why_cause_get(enum why_cause_id id); /* NULL when out of range */

const char *why_kind_name(enum why_kind k);
const char *why_actor_name(enum why_actor a);                 /* "client", "gateway", ... */
const char *why_evidence_kind_name(enum why_evidence_kind k); /* "syn_retry", ... */

#endif
