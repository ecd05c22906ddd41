/* The frame layer of HTTP/2 (RFC 9113 sections 4 and 6), private to lib/proto/http2*.c: the
 * checks and fixed fields of one frame, SETTINGS entries, and base64url for HTTP2-Settings,
 * shared by the whole-frame parser (why_h2_frame_parse, http2_frame.c) and the streaming
 * connection reader (http2.c). Pure functions of their arguments: no connection state. */
#ifndef WHY_PROTO_H2_FRAME_H
#define WHY_PROTO_H2_FRAME_H

#include "proto/http2.h"
#include "util/cursor.h"

/* Bytes of fixed fields at the start of f's payload (pad length, priority, ids, codes). */
uint32_t why_h2_fixed_size(const struct why_h2_frame *f);
/* A frame type RFC 9113 defines (others are skipped, section 4.1). */
bool why_h2_known_type(uint8_t type);
/* The head's own faults: stream id 0 where a stream is needed (or the reverse), a fixed-size
 * frame of another length. Not the length against the receiver's limit. */
enum why_h2_err why_h2_check_head(const struct why_h2_frame *f);
/* Reads the fixed fields from c (why_h2_fixed_size(f) bytes). */
void why_h2_read_fixed(struct why_h2_frame *f, struct why_cur *c);
/* Faults only the fixed fields show: padding past the payload, a zero window increment. */
enum why_h2_err why_h2_check_fixed(const struct why_h2_frame *f);
/* Applies one SETTINGS entry to s; the fault it raises (code: its RFC 9113 error code). */
enum why_h2_err why_h2_settings_entry(struct why_h2_settings *s, uint16_t id, uint32_t v,
                                      uint32_t *code);
/* RFC 9113 6.5.2 defaults (what a side has before its first SETTINGS). */
void why_h2_settings_defaults(struct why_h2_settings *s);
/* base64url without padding (RFC 4648 section 5) into out: the decoded length, or -1 for a
 * character outside the alphabet or an output longer than size. */
long why_h2_b64url_decode(const uint8_t *in, size_t n, uint8_t *out, size_t size);

#endif
