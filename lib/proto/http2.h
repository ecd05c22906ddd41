/* HTTP/2 connections (RFC 9113) read from both directions: frames, header blocks decoded by
 * libnghttp2's HPACK inflater (RFC 7541; no HPACK is written here), and a table of streams,
 * each stream one transaction (:method :authority :path, :status, trailers with grpc-status,
 * END_STREAM, RST_STREAM, GOAWAY), with SETTINGS and their ACK, PING, and the flow-control
 * windows of both sides so a window stuck at 0 is measured (how long, who did not send
 * WINDOW_UPDATE). Recognition by content: the client preface (h2c prior knowledge, or h2 after
 * TLS ALPN) and the HTTP/1.1 `Upgrade: h2c` path (101, then h2 with stream 1 open).
 *
 * Parser contract (picohttpparser's): why_h2_frame_parse returns bytes consumed (> 0) for a
 * complete frame, 0 when more bytes are needed, < 0 (enum why_h2_err) when the frame breaks
 * RFC 9113. The streaming reader (why_h2_conn_*) never buffers a frame: payloads are skipped
 * by count, header block fragments go to the inflater as they arrive, and only the small
 * fixed fields of a frame are collected; anomalies are events, not failures. */
#ifndef WHY_PROTO_H2_H
#define WHY_PROTO_H2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/http1.h"
#include "util/wtime.h"

#define WHY_H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define WHY_H2_PREFACE_LEN 24u
#define WHY_H2_FRAME_HEAD_LEN 9u
#define WHY_H2_FRAME_LEN_LIMIT 16777215u    /* largest frame payload the format allows, bytes */
#define WHY_H2_DEFAULT_FRAME_SIZE 16384u    /* SETTINGS_MAX_FRAME_SIZE until announced, bytes */
#define WHY_H2_DEFAULT_WINDOW 65535         /* initial flow-control window, bytes */
#define WHY_H2_WINDOW_LIMIT 2147483647      /* largest legal window, bytes (2^31 - 1) */
#define WHY_H2_DEFAULT_TABLE 4096u          /* SETTINGS_HEADER_TABLE_SIZE until announced, bytes */

#define WHY_H2_STREAMS_MAX 128              /* open streams tracked per connection (cap) */
#define WHY_H2_HEADER_LIST_MAX (64u * 1024u) /* header list size kept per block, RFC 9113 6.5.2
                                               * (name + value + 32 per field), bytes (cap) */
#define WHY_H2_HPACK_TABLE_MAX (64u * 1024u) /* HPACK dynamic table the inflater allows, bytes
                                               * (cap on what a peer may announce) */
#define WHY_H2_SETTINGS_PENDING_MAX 8       /* SETTINGS awaiting their ACK, per side (cap) */
#define WHY_H2_PATH_MAX 1024                /* :path bytes kept (longer is truncated, flagged) */
#define WHY_H2_DEBUG_MAX 128                /* GOAWAY debug data bytes kept */

enum why_h2_type {
    WHY_H2_DATA = 0, WHY_H2_HEADERS = 1, WHY_H2_PRIORITY = 2, WHY_H2_RST_STREAM = 3,
    WHY_H2_SETTINGS = 4, WHY_H2_PUSH_PROMISE = 5, WHY_H2_PING = 6, WHY_H2_GOAWAY = 7,
    WHY_H2_WINDOW_UPDATE = 8, WHY_H2_CONTINUATION = 9,
};
enum {
    WHY_H2_FLAG_END_STREAM = 0x01, WHY_H2_FLAG_ACK = 0x01, WHY_H2_FLAG_END_HEADERS = 0x04,
    WHY_H2_FLAG_PADDED = 0x08, WHY_H2_FLAG_PRIORITY = 0x20,
};
/* RFC 9113 section 7 error codes (RST_STREAM, GOAWAY). */
enum {
    WHY_H2_NO_ERROR = 0x0, WHY_H2_PROTOCOL_ERROR = 0x1, WHY_H2_INTERNAL_ERROR = 0x2,
    WHY_H2_FLOW_CONTROL_ERROR = 0x3, WHY_H2_SETTINGS_TIMEOUT = 0x4, WHY_H2_STREAM_CLOSED = 0x5,
    WHY_H2_FRAME_SIZE_ERROR = 0x6, WHY_H2_REFUSED_STREAM = 0x7, WHY_H2_CANCEL = 0x8,
    WHY_H2_COMPRESSION_ERROR = 0x9, WHY_H2_CONNECT_ERROR = 0xa, WHY_H2_ENHANCE_YOUR_CALM = 0xb,
    WHY_H2_INADEQUATE_SECURITY = 0xc, WHY_H2_HTTP_1_1_REQUIRED = 0xd,
};
enum {
    WHY_H2_SET_HEADER_TABLE_SIZE = 1, WHY_H2_SET_ENABLE_PUSH = 2,
    WHY_H2_SET_MAX_CONCURRENT_STREAMS = 3, WHY_H2_SET_INITIAL_WINDOW_SIZE = 4,
    WHY_H2_SET_MAX_FRAME_SIZE = 5, WHY_H2_SET_MAX_HEADER_LIST_SIZE = 6,
};

enum why_h2_err {
    WHY_H2_ERR_NONE = 0,
    WHY_H2_ERR_NOT_H2 = -1,     /* not an HTTP/2 start: no client preface, or the server's first
                                 * frame is not SETTINGS */
    WHY_H2_ERR_FRAME_SIZE = -2, /* longer than the receiver's SETTINGS_MAX_FRAME_SIZE, or a
                                 * fixed-size frame (PING, RST_STREAM...) of another length */
    WHY_H2_ERR_PROTOCOL = -3,   /* against RFC 9113's rules: stream 0 where a stream is needed
                                 * (or the reverse), padding past the payload, CONTINUATION out
                                 * of place, a bad SETTINGS value, a WINDOW_UPDATE of 0 */
    WHY_H2_ERR_HPACK = -4,      /* a header block the inflater refused (COMPRESSION_ERROR) */
    WHY_H2_ERR_FLOW = -5,       /* a window pushed past 2^31 - 1 (FLOW_CONTROL_ERROR) */
};

/* One frame: the 9-byte head, and the fields of its payload (why_h2_frame_parse). */
struct why_h2_frame {
    uint32_t length;                /* payload bytes (24 bits) */
    uint8_t type;                   /* enum why_h2_type, or an extension type */
    uint8_t flags;
    uint32_t stream_id;             /* 31 bits, reserved bit dropped */
    /* payload, by type */
    uint8_t pad_len;                /* PADDED: padding bytes at the end */
    const uint8_t *frag;            /* DATA data, or a header block fragment (HEADERS,
                                     * PUSH_PROMISE, CONTINUATION): points into the input */
    uint32_t frag_len;              /* bytes at frag */
    uint32_t dep_stream;            /* PRIORITY, HEADERS with PRIORITY: stream it depends on */
    uint8_t weight;                 /* ... its weight - 1 (0..255) */
    bool exclusive;
    uint32_t promised_id;           /* PUSH_PROMISE */
    uint32_t error_code;            /* RST_STREAM, GOAWAY (RFC 9113 section 7) */
    uint32_t last_stream_id;        /* GOAWAY */
    uint32_t increment;             /* WINDOW_UPDATE, bytes */
    uint8_t opaque[8];              /* PING */
    uint32_t nsettings;             /* SETTINGS: entries at settings, 6 bytes each */
    const uint8_t *settings;
};

/* Reads the 9-byte frame head at buf: WHY_H2_FRAME_HEAD_LEN, or 0 if len < 9. The payload
 * fields of `*out` are cleared. Never fails: any 9 bytes are a frame head. */
int why_h2_frame_head_parse(const uint8_t *buf, size_t len, struct why_h2_frame *out);
/* Parses one whole frame at buf[0..len): 9 + payload length (> 0), 0 when the frame is not
 * all there, or < 0 (WHY_H2_ERR_FRAME_SIZE when longer than max_len, the receiver's
 * SETTINGS_MAX_FRAME_SIZE, or of a wrong fixed length; WHY_H2_ERR_PROTOCOL for a stream id
 * or padding against the rules). Spans in `*out` point into buf. */
int why_h2_frame_parse(const uint8_t *buf, size_t len, uint32_t max_len, struct why_h2_frame *out);

/* True if data could be the start of the client preface (a prefix of it, or all of it). */
bool why_h2_looks_like_preface(const uint8_t *data, size_t len);
/* True if data could be a server's first bytes: a SETTINGS frame head (stream 0, no ACK,
 * length a multiple of 6), or a prefix of one. */
bool why_h2_looks_like_server_start(const uint8_t *data, size_t len);
/* True if the HTTP/1.1 request head at head[0..len) asks to upgrade to h2c (an Upgrade field
 * listing "h2c"). `*settings`/`*settings_len` get its HTTP2-Settings value (base64url) or
 * NULL/0. The head is scanned within len only. */
bool why_h2_upgrade_h2c(const uint8_t *head, size_t len, const uint8_t **settings,
                        size_t *settings_len);

/* Also "ENHANCE_YOUR_CALM"...; "0x1f" form for unknown codes (written into buf, >= 12). */
const char *why_h2_error_name(uint32_t code, char *buf, size_t size);
const char *why_h2_type_name(uint8_t type, char *buf, size_t size);

/* ---- connections ---- */

enum why_h2_side { WHY_H2_CLIENT = 0, WHY_H2_SERVER = 1 };

/* Why a stream left the table. */
enum why_h2_end {
    WHY_H2_END_NONE = 0,
    WHY_H2_END_COMPLETE,    /* END_STREAM from both sides */
    WHY_H2_END_RST,         /* RST_STREAM (rst_code, rst_from) */
    WHY_H2_END_GOAWAY,      /* above the last-stream-id of a GOAWAY from the peer: never
                             * processed, safe to retry (RFC 9113 6.8) */
    WHY_H2_END_CLOSED,      /* the connection ended with the stream open */
    WHY_H2_END_LOST,        /* bytes of the connection were not captured: cannot be followed */
};

/* Values one side announced in SETTINGS (RFC 9113 6.5.2 defaults until it does). */
struct why_h2_settings {
    uint32_t header_table_size;     /* bytes */
    uint32_t enable_push;           /* 0 or 1 */
    uint32_t max_concurrent_streams; /* UINT32_MAX when not announced (unlimited) */
    uint32_t initial_window_size;   /* bytes */
    uint32_t max_frame_size;        /* bytes */
    uint32_t max_header_list_size;  /* bytes, UINT32_MAX when not announced */
};

/* A stream: one request and its answer. Times are packet times, frames are capture frame
 * numbers of the packet where the HTTP/2 frame's head completed; [side] arrays are indexed by
 * enum why_h2_side. */
struct why_h2_stream {
    uint32_t id;
    bool pushed;                    /* opened by the server's PUSH_PROMISE */
    bool have_request;              /* request header block decoded */
    char method[24];                /* :method ("" unknown) */
    char scheme[16];                /* :scheme */
    char authority[256];            /* :authority, or Host when absent */
    char path[WHY_H2_PATH_MAX + 1]; /* :path as sent, NUL-terminated, bytes may be any */
    uint32_t path_len;              /* bytes in path */
    bool path_truncated;
    int status;                     /* final :status (>= 200), 0 none yet */
    int interim;                    /* last 1xx :status, 0 none */
    bool trailers;                  /* a response header block after the final one */
    bool grpc;                      /* content-type application/grpc* */
    int grpc_status;                /* grpc-status of the answer (trailers, else the response
                                     * head: Trailers-Only), -1 absent */
    char grpc_message[128];
    bool headers_capped;            /* a block passed WHY_H2_HEADER_LIST_MAX: fields dropped */
    bool headers_unread;            /* a block could not be decoded (HPACK state lost) */
    struct why_ts t_head[2];        /* first header block from the side */
    uint64_t f_head[2];
    struct why_ts t_final;          /* the final response header block (status >= 200) */
    uint64_t f_final;
    bool ended[2];                  /* END_STREAM from the side */
    struct why_ts t_end[2];
    uint64_t f_end[2];
    uint64_t data_bytes[2];         /* DATA payload bytes incl. padding, per sender */
    struct why_ts t_data[2];        /* the side's last DATA frame */
    uint64_t f_data[2];
    /* how it left the table */
    enum why_h2_end end;
    struct why_ts t_close;
    uint64_t f_close;
    uint32_t code;                  /* RST_STREAM or GOAWAY error code */
    enum why_h2_side closed_by;     /* sender of the RST_STREAM or GOAWAY */
    /* flow control: window of the side sending on this stream, bytes (negative after the
     * peer shrank SETTINGS_INITIAL_WINDOW_SIZE) */
    int64_t window[2];
    bool stalled[2];                /* the side's stream window stands at 0 and the side has not
                                     * ended its half (the connection window: why_h2_dir) */
    struct why_ts stall_since[2];
    uint64_t stall_frame[2];        /* the DATA frame that emptied the window */
    int64_t stall_us[2];            /* total time stalled, microseconds (closed stalls) */
};

enum why_h2_ev_kind {
    WHY_H2_EV_PREFACE,          /* the client preface */
    WHY_H2_EV_SETTINGS,         /* a SETTINGS frame (settings: the sender's values now) */
    WHY_H2_EV_SETTINGS_ACK,     /* its ACK: wait_us since the SETTINGS it acknowledges */
    WHY_H2_EV_SETTINGS_UNACKED, /* at close: a SETTINGS never acknowledged (since..) */
    WHY_H2_EV_PING,             /* a PING (not ACK) */
    WHY_H2_EV_PING_ACK,         /* its ACK: wait_us round trip when the PING was seen */
    WHY_H2_EV_RST_STREAM,       /* stream_id, code */
    WHY_H2_EV_GOAWAY,           /* last_stream_id, code, debug */
    WHY_H2_EV_STALL,            /* a window at 0 ended (resolved) or was still at 0 when the
                                 * stream or connection ended; from: the side whose sending was
                                 * blocked (the other side did not send WINDOW_UPDATE);
                                 * stream_id 0 for the connection window; since..ts, wait_us */
    WHY_H2_EV_ERROR,            /* an anomaly: err, and code for the RFC error it would raise */
    WHY_H2_EV_CAP,              /* a cap was hit: cap */
};

enum why_h2_cap {
    WHY_H2_CAP_NONE = 0,
    WHY_H2_CAP_STREAMS,         /* WHY_H2_STREAMS_MAX */
    WHY_H2_CAP_HEADER_LIST,     /* WHY_H2_HEADER_LIST_MAX */
    WHY_H2_CAP_HPACK_TABLE,     /* WHY_H2_HPACK_TABLE_MAX */
    WHY_H2_CAP_SETTINGS_PENDING, /* WHY_H2_SETTINGS_PENDING_MAX */
};

struct why_h2_event {
    enum why_h2_ev_kind kind;
    enum why_h2_side from;          /* sender of the frame (STALL: see above) */
    uint32_t stream_id;
    uint32_t code;                  /* RFC 9113 error code (RST_STREAM, GOAWAY, ERROR) */
    uint32_t last_stream_id;        /* GOAWAY */
    enum why_h2_err err;            /* ERROR */
    enum why_h2_cap cap;            /* CAP */
    uint8_t frame_type;             /* type of the HTTP/2 frame that raised it */
    struct why_ts ts;               /* when it was seen */
    uint64_t frame;
    struct why_ts since;            /* STALL, SETTINGS_ACK, SETTINGS_UNACKED, PING_ACK: start */
    uint64_t since_frame;
    int64_t wait_us;                /* ts - since, microseconds */
    bool resolved;                  /* STALL: a WINDOW_UPDATE (or SETTINGS) reopened it */
    const uint8_t *debug;           /* GOAWAY debug data (up to WHY_H2_DEBUG_MAX bytes) */
    uint32_t debug_len;
    const struct why_h2_settings *settings; /* SETTINGS */
};

enum why_h2_block {
    WHY_H2_BLOCK_REQUEST,           /* request head (client, or a PUSH_PROMISE) */
    WHY_H2_BLOCK_INTERIM,           /* 1xx response */
    WHY_H2_BLOCK_RESPONSE,          /* final response head */
    WHY_H2_BLOCK_TRAILERS,          /* trailers of either side */
};

struct why_h2_cb {
    void *ctx;
    /* A decoded header block. h is the block as an HTTP/1 head (method, target = :path or the
     * CONNECT authority, host = :authority, status, and the selected fields); version_minor
     * is 2 (no HTTP/1 version applies). st is NULL for a stream not tracked (cap). */
    void (*on_headers)(void *ctx, const struct why_h2_stream *st, enum why_h2_side from,
                       enum why_h2_block kind, const struct why_http_head *h);
    /* A stream left the table (st->end says why); st is gone after the call. */
    void (*on_stream_end)(void *ctx, const struct why_h2_stream *st);
    void (*on_event)(void *ctx, const struct why_h2_event *ev);
    /* One side sent its END_STREAM (st->ended[side] is set; the stream may stay open for the
     * other side: a server's complete answer before the request's end, RFC 9113 8.1).
     * Optional. */
    void (*on_side_end)(void *ctx, const struct why_h2_stream *st, enum why_h2_side side);
};

struct why_h2_pending_settings {
    struct why_h2_settings values;  /* the sender's values once this is applied */
    struct why_ts ts;
    uint64_t frame;
};

struct nghttp2_hd_inflater;

/* What one side sends, and the reader of its bytes. */
struct why_h2_dir {
    /* reader (private) */
    int phase;
    uint32_t preface_got;           /* client preface bytes matched */
    uint8_t fixed[8];               /* fixed payload fields being collected */
    uint32_t fixed_len, fixed_need;
    uint32_t left;                  /* payload bytes of the current frame still to come */
    uint32_t frag_left;             /* of those, fragment (data, header block) bytes */
    uint32_t debug_len;             /* GOAWAY debug bytes kept in debug */
    uint8_t debug[WHY_H2_DEBUG_MAX];
    uint8_t hbuf[WHY_H2_FRAME_HEAD_LEN]; /* frame head being collected */
    uint32_t hlen;
    bool started;                   /* the first frame was seen */
    struct why_h2_frame cur;        /* the current frame's head and fixed fields */
    struct why_ts cur_ts;           /* the packet where the current frame's head completed */
    uint64_t cur_frame;
    struct why_ts pkt_ts;           /* the packet being fed */
    uint64_t pkt_frame;
    bool dead;                      /* not HTTP/2, or lost to a gap */
    /* header blocks (HPACK state of this side's encoder) */
    struct nghttp2_hd_inflater *hd; /* allocated on the first block */
    bool hpack_broken;              /* a block failed or was lost: later blocks are unread */
    bool in_block;                  /* a header block awaits CONTINUATION */
    uint32_t block_stream;
    uint8_t block_type;             /* HEADERS or PUSH_PROMISE */
    bool block_end_stream;
    uint32_t block_list;            /* header list size so far, bytes */
    bool block_capped;
    uint32_t block_promised;        /* PUSH_PROMISE: the promised stream */
    uint32_t block_bytes;           /* header block bytes so far */
    struct why_http_head *head;     /* the block being decoded, allocated on first use */
    char block_scheme[16];          /* fields of the block kept beside the head */
    int block_grpc_status;          /* -1 absent */
    char block_grpc_message[128];
    /* what this side announced */
    struct why_h2_settings settings; /* values in force (applied when the peer ACKed) */
    struct why_h2_settings announced; /* values after the last SETTINGS sent */
    bool settings_seen;
    struct why_h2_pending_settings pending[WHY_H2_SETTINGS_PENDING_MAX];
    uint32_t npending;
    /* flow control: this side's send window on the connection, bytes */
    int64_t window;
    bool stalled;
    struct why_ts stall_since;
    uint64_t stall_frame;
    int64_t stall_us;               /* total, microseconds */
    /* PING awaiting its ACK */
    bool ping_out;
    uint8_t ping_opaque[8];
    struct why_ts ping_ts;
    uint64_t ping_frame;
    /* GOAWAY sent */
    bool goaway;
    uint32_t goaway_last_id;
    uint32_t goaway_code;
    /* counters */
    uint64_t frames;                /* frames seen */
    uint64_t bytes;                 /* bytes fed */
    uint64_t errors;                /* WHY_H2_EV_ERROR raised for this side's frames */
};

struct why_h2_conn {
    struct why_h2_dir dir[2];       /* [enum why_h2_side]: what that side sends */
    struct why_h2_stream *streams;  /* open streams (grows up to WHY_H2_STREAMS_MAX slots) */
    uint32_t nstreams, cap_streams;
    uint32_t max_id[2];             /* highest stream id opened by each side */
    bool upgraded;                  /* reached through HTTP/1.1 Upgrade: h2c */
    bool closed;
    /* totals */
    uint64_t streams_total;         /* streams opened (tracked or not) */
    uint64_t streams_dropped;       /* not tracked: WHY_H2_STREAMS_MAX open already (cap) */
    uint64_t header_lists_capped;   /* blocks past WHY_H2_HEADER_LIST_MAX (cap) */
    uint64_t hpack_table_capped;    /* announced tables cut to WHY_H2_HPACK_TABLE_MAX (cap) */
    uint64_t settings_dropped;      /* SETTINGS applied at once: pending queue full (cap) */
    uint64_t frames_oversize;       /* frames past the receiver's SETTINGS_MAX_FRAME_SIZE */
};

void why_h2_conn_init(struct why_h2_conn *c);
/* Frees what the connection allocated. Idempotent; does not call back (see close). */
void why_h2_conn_fini(struct why_h2_conn *c);
/* The connection was reached through `Upgrade: h2c`: stream 1 is the upgraded request
 * (client half closed, RFC 7540 3.2), with the method, target and host of req; settings is the
 * request's HTTP2-Settings value (base64url, may be NULL), which the server applies at once.
 * Call before feeding any HTTP/2 bytes (the server's start follows the 101's head, the
 * client's preface follows the request). Returns 0, or WHY_H2_ERR_PROTOCOL when the settings
 * do not decode (stream 1 is still opened). */
int why_h2_conn_upgrade(struct why_h2_conn *c, const struct why_http_head *req,
                        const uint8_t *settings, size_t settings_len, struct why_ts ts,
                        uint64_t frame, const struct why_h2_cb *cb);
/* In-order bytes sent by `from`, captured at ts in frame `frame`. Calls back for every
 * header block, stream end and event they complete. A client's bytes must start with the
 * preface, a server's with SETTINGS: otherwise an ERROR event (WHY_H2_ERR_NOT_H2) and that
 * side is ignored from then on. */
void why_h2_conn_feed(struct why_h2_conn *c, enum why_h2_side from, const uint8_t *data,
                      size_t len, struct why_ts ts, uint64_t frame, const struct why_h2_cb *cb);
/* n bytes sent by `from` were not captured. Inside a DATA payload or a skipped payload they
 * are counted and reading goes on; inside a header block the side's HPACK state is lost (later
 * blocks unread); anywhere else the side cannot be followed: its open streams end LOST. */
void why_h2_conn_gap(struct why_h2_conn *c, enum why_h2_side from, uint64_t n,
                     const struct why_h2_cb *cb);
/* The connection ended at ts (FIN, RST, or the end of the capture): open stalls are reported
 * unresolved, SETTINGS never acknowledged are reported, open streams end CLOSED. Once. */
void why_h2_conn_close(struct why_h2_conn *c, struct why_ts ts, uint64_t frame,
                       const struct why_h2_cb *cb);

#endif
