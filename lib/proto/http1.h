/* HTTP/1.x message heads and body framing, streaming, one direction at a time (RFC 9112).
 * A head is accumulated in a capped buffer until CRLFCRLF, then parsed; the body is skipped by
 * its framing (Content-Length, chunked, or until close) without copying, except the first
 * WHY_HTTP_PEEK_MAX bytes of an error response's body (kept so the report can quote a block
 * page's <title>). Recognition is by content, never by port: see why_http1_looks_like_*.
 *
 * Parser contract (picohttpparser's): why_http1_parse_head returns bytes consumed (> 0) for a
 * complete head, 0 when more bytes are needed, < 0 when the bytes cannot be HTTP. */
#ifndef WHY_PROTO_HTTP1_H
#define WHY_PROTO_HTTP1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WHY_HTTP_HEAD_MAX (32u * 1024u) /* bytes of one head (cap); longer: WHY_HTTP_ERR_TOO_LONG */
#define WHY_HTTP_HEADERS_MAX 200        /* header fields per head (cap) */
#define WHY_HTTP_TARGET_MAX 2048        /* request-target bytes kept (longer is truncated, flagged) */
#define WHY_HTTP_PEEK_MAX 1024          /* body bytes kept of a response with status >= 400 */
#define WHY_HTTP_PENDING_MAX 64         /* requests awaiting a response on one connection (cap) */
#define WHY_HTTP_PENDING_INLINE 2       /* of which kept in the stream itself; more pipelined
                                           requests move the FIFO to an allocated one */

enum why_http_err {
    WHY_HTTP_ERR_NONE = 0,
    WHY_HTTP_ERR_NOT_HTTP = -1,    /* first bytes are not a request / status line */
    WHY_HTTP_ERR_BAD_HEAD = -2,    /* started as HTTP, but a header line is broken */
    WHY_HTTP_ERR_TOO_LONG = -3,    /* head longer than WHY_HTTP_HEAD_MAX */
    WHY_HTTP_ERR_BAD_CHUNK = -4,   /* chunked framing broken */
};

struct why_http_head {
    bool is_request;
    uint8_t version_minor;          /* 0 or 1 (HTTP/1.x); 9 for nothing recognisable */
    /* request */
    char method[24];                /* NUL-terminated; as sent (token chars only) */
    char target[WHY_HTTP_TARGET_MAX + 1]; /* request-target as sent, NUL-terminated, bytes may be any */
    uint32_t target_len;            /* bytes in target (<= WHY_HTTP_TARGET_MAX) */
    bool target_truncated;
    /* response */
    int status;                     /* 100..999 */
    char reason[64];
    char req_method[24];            /* response: method of the request it answers ("" unknown) */
    /* selected fields (values trimmed, truncated to fit, NUL-terminated; "" if absent) */
    char host[256];
    char server[96];
    char via[160];
    char x_squid_error[96];
    char proxy_status[160];         /* RFC 9209 Proxy-Status, when a gateway sends it */
    char content_type[96];
    int64_t content_length;         /* -1 if absent or invalid */
    bool chunked;                   /* Transfer-Encoding ends in chunked */
    bool conn_close;                /* Connection: close (or HTTP/1.0 without keep-alive) */
    bool upgrade;                   /* Connection: upgrade + Upgrade header */
    uint32_t nfields;               /* header fields seen (<= WHY_HTTP_HEADERS_MAX counted) */
    uint32_t head_len;              /* bytes of the head incl. the final CRLFCRLF */
};

/* True if data (len >= 1) could be the start of an HTTP/1 request: a known method token
 * ("GET ", "POST ", "CONNECT ", ... or any upper-case token followed by SP when len allows)
 * followed by a target. With fewer bytes than needed to decide, answers on what is there. */
bool why_http1_looks_like_request(const uint8_t *data, size_t len);
/* True if data could be the start of a response ("HTTP/1." prefix, or a prefix of it). */
bool why_http1_looks_like_response(const uint8_t *data, size_t len);

/* Parses one complete head at buf[0..len). See the contract above. `*out` is cleared first. */
int why_http1_parse_head(const uint8_t *buf, size_t len, bool request, struct why_http_head *out);

/* Streaming, one direction. Events are reported through the callbacks below. */
struct why_http1_cb {
    void *ctx;
    /* A complete head. For a response, h->req_method is the method it answers. */
    void (*on_head)(void *ctx, const struct why_http_head *h);
    /* The body of the current message ended (framing satisfied); body_bytes received. */
    void (*on_end)(void *ctx, uint64_t body_bytes);
    /* The peek buffer of an error response filled or the body ended: first bytes of the body. */
    void (*on_peek)(void *ctx, const uint8_t *body, size_t n);
    /* Bytes that cannot be HTTP, or broken framing. `first`/`n`: up to 64 bytes at the error. */
    void (*on_error)(void *ctx, enum why_http_err err, const uint8_t *first, size_t n);
};

enum why_http_phase { WHY_HTTP_IDLE, WHY_HTTP_HEAD, WHY_HTTP_BODY, WHY_HTTP_TUNNEL, WHY_HTTP_DEAD };

struct why_http1_stream {
    bool request_side;              /* parses requests (true) or responses (false) */
    enum why_http_phase phase;
    uint8_t *hbuf;                  /* head accumulation, allocated on first use, WHY_HTTP_HEAD_MAX */
    uint32_t hlen;
    /* body framing */
    int body_mode;                  /* private */
    uint64_t body_left;             /* Content-Length bytes left, or bytes left of this chunk */
    uint64_t body_bytes;            /* body bytes seen for the current message */
    int chunk_state;                /* private */
    uint32_t chunk_line;            /* private: bytes of the current chunk-size line */
    int64_t expected_len;           /* Content-Length of the current message, -1 unknown */
    uint8_t *peek;                  /* first body bytes of an error response, allocated on use */
    uint32_t peek_len;
    bool peeking;
    /* response side: methods of requests still awaiting a response, FIFO (HEAD, CONNECT) */
    char pend_inline[WHY_HTTP_PENDING_INLINE][8];
    char (*pend_more)[8];           /* WHY_HTTP_PENDING_MAX entries once more than
                                       WHY_HTTP_PENDING_INLINE wait (else NULL) */
    uint32_t pend_head, pend_count; /* the FIFO: pend_more if allocated, else pend_inline */
    uint64_t pending_dropped;       /* requests not queued because the FIFO was full (cap) */
};

void why_http1_stream_init(struct why_http1_stream *s, bool request_side);
/* At a message boundary with nothing to remember (no head bytes, no request awaiting its
 * answer, nothing counted): a stream fresh from why_http1_stream_init would behave the same,
 * so the caller may free it and start a new one on the next byte. */
bool why_http1_stream_idle(const struct why_http1_stream *s);
void why_http1_stream_fini(struct why_http1_stream *s);
/* Response side: a request with this method was sent (for HEAD/CONNECT framing). */
void why_http1_stream_expect(struct why_http1_stream *s, const char *method);
/* Feeds in-order bytes. Calls back for every head, end and error found in them. After an
 * error the stream is DEAD and ignores further bytes. After a 2xx answer to CONNECT, or a
 * 101, the stream is TUNNEL and further bytes are not HTTP (the caller takes them over).
 * Returns the bytes read: len, or fewer when the stream turned TUNNEL or DEAD in them (the
 * rest, after a 101's head say, belongs to the protocol that follows). */
size_t why_http1_stream_feed(struct why_http1_stream *s, const uint8_t *data, size_t len,
                           const struct why_http1_cb *cb);
/* n bytes were lost. Inside a body of known length they are counted as body; anywhere else
 * the stream can no longer be followed and becomes DEAD (no error callback: a gap is a
 * capture problem, never the peer's fault). */
/* n bytes that fall wholly inside a body framed by its length, or inside one chunk's data,
 * none of which is kept (no peek at it), without ending the body or the chunk: counted as
 * why_http1_stream_feed would count them, and true;
 * false, nothing done, for any other (then feed them). A segment in the middle of a body
 * then costs a few tests, not a feed. */
bool why_http1_stream_inside_body(struct why_http1_stream *s, size_t n);
void why_http1_stream_gap(struct why_http1_stream *s, uint64_t n, const struct why_http1_cb *cb);
/* The peer closed: a body framed "until close" ends here (on_end); other bodies stay
 * incomplete (the caller reads body_bytes vs expected_len). */
void why_http1_stream_close(struct why_http1_stream *s, const struct why_http1_cb *cb);

/* Extracts the text of the first <title>...</title> from an HTML fragment, whitespace
 * collapsed, into out (NUL-terminated, truncated to size-1). Returns its length, 0 if none. */
size_t why_http1_html_title(const uint8_t *html, size_t len, char *out, size_t size);

#endif
