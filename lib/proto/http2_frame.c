/* HTTP/2 frames one at a time (RFC 9113 sections 4 and 6): the names of codes and types, the
 * 9-byte head, the fixed fields of each type and the faults they show, SETTINGS entries,
 * recognition of a connection's start (the client preface, a server's SETTINGS, an HTTP/1.1
 * `Upgrade: h2c` offer) and base64url for HTTP2-Settings. No state: every function reads its
 * arguments only, every read of packet bytes goes through the bounded cursor (or an explicit
 * length), and nothing is kept. The streaming connection reader and its stream table are in
 * http2.c; what both share is declared in http2_frame.h. */
#include "proto/http2_frame.h"

#include <stdio.h>
#include <string.h>

#include "util/ascii.h"

/* ---- names ---- */

const char *why_h2_error_name(uint32_t code, char *buf, size_t size)
{
    static const char *const names[] = {
        "NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR",
        "SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL",
        "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY",
        "HTTP_1_1_REQUIRED",
    };
    if (code < sizeof names / sizeof names[0])
        return names[code];
    if (buf && size)
        snprintf(buf, size, "0x%x", code);
    return buf ? buf : "";
}

const char *why_h2_type_name(uint8_t type, char *buf, size_t size)
{
    static const char *const names[] = {
        "DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE", "PING",
        "GOAWAY", "WINDOW_UPDATE", "CONTINUATION",
    };
    if (type < sizeof names / sizeof names[0])
        return names[type];
    if (buf && size)
        snprintf(buf, size, "TYPE%u", type);
    return buf ? buf : "";
}

/* ---- frames ---- */

int why_h2_frame_head_parse(const uint8_t *buf, size_t len, struct why_h2_frame *out)
{
    memset(out, 0, sizeof *out);
    if (!buf || len < WHY_H2_FRAME_HEAD_LEN)
        return 0;
    struct why_cur c = why_cur_make(buf, WHY_H2_FRAME_HEAD_LEN);
    out->length = why_cur_be24(&c);
    out->type = why_cur_u8(&c);
    out->flags = why_cur_u8(&c);
    out->stream_id = why_cur_be32(&c) & 0x7fffffffu; /* the reserved bit is ignored */
    return (int)WHY_H2_FRAME_HEAD_LEN;
}

static bool padded(const struct why_h2_frame *f)
{
    return (f->flags & WHY_H2_FLAG_PADDED) &&
           (f->type == WHY_H2_DATA || f->type == WHY_H2_HEADERS || f->type == WHY_H2_PUSH_PROMISE);
}

/* Bytes of fixed fields at the start of the payload (pad length, priority, ids, codes). */
uint32_t why_h2_fixed_size(const struct why_h2_frame *f)
{
    uint32_t n = padded(f) ? 1 : 0;
    switch (f->type) {
    case WHY_H2_HEADERS:
        return n + ((f->flags & WHY_H2_FLAG_PRIORITY) ? 5u : 0u);
    case WHY_H2_PUSH_PROMISE:
        return n + 4;
    case WHY_H2_PRIORITY:
        return 5;
    case WHY_H2_RST_STREAM:
    case WHY_H2_WINDOW_UPDATE:
        return 4;
    case WHY_H2_PING:
    case WHY_H2_GOAWAY:
        return 8;
    default:
        return n; /* DATA; SETTINGS and CONTINUATION have none; unknown types are skipped */
    }
}

bool why_h2_known_type(uint8_t type) { return type <= WHY_H2_CONTINUATION; }

/* The head's own faults (RFC 9113 section 6): stream ids and lengths. The frame length
 * against the receiver's limit is checked apart (a soft fault for the streaming reader). */
enum why_h2_err why_h2_check_head(const struct why_h2_frame *f)
{
    bool on_stream = f->type == WHY_H2_DATA || f->type == WHY_H2_HEADERS ||
                     f->type == WHY_H2_PRIORITY || f->type == WHY_H2_RST_STREAM ||
                     f->type == WHY_H2_PUSH_PROMISE || f->type == WHY_H2_CONTINUATION;
    bool on_conn = f->type == WHY_H2_SETTINGS || f->type == WHY_H2_PING ||
                   f->type == WHY_H2_GOAWAY;
    if ((on_stream && f->stream_id == 0) || (on_conn && f->stream_id != 0))
        return WHY_H2_ERR_PROTOCOL;
    switch (f->type) {
    case WHY_H2_PRIORITY:
    case WHY_H2_RST_STREAM:
    case WHY_H2_WINDOW_UPDATE:
    case WHY_H2_PING:
        return f->length == why_h2_fixed_size(f) ? WHY_H2_ERR_NONE : WHY_H2_ERR_FRAME_SIZE;
    case WHY_H2_SETTINGS:
        if ((f->flags & WHY_H2_FLAG_ACK) ? f->length != 0 : f->length % 6 != 0)
            return WHY_H2_ERR_FRAME_SIZE;
        return WHY_H2_ERR_NONE;
    default:
        if (why_h2_known_type(f->type) && f->length < why_h2_fixed_size(f))
            return WHY_H2_ERR_FRAME_SIZE;
        return WHY_H2_ERR_NONE;
    }
}

/* Reads the fixed fields from c (why_h2_fixed_size(f) bytes). */
void why_h2_read_fixed(struct why_h2_frame *f, struct why_cur *c)
{
    if (padded(f))
        f->pad_len = why_cur_u8(c);
    if (f->type == WHY_H2_PRIORITY ||
        (f->type == WHY_H2_HEADERS && (f->flags & WHY_H2_FLAG_PRIORITY))) {
        uint32_t v = why_cur_be32(c);
        f->exclusive = (v >> 31) != 0;
        f->dep_stream = v & 0x7fffffffu;
        f->weight = why_cur_u8(c);
    }
    switch (f->type) {
    case WHY_H2_PUSH_PROMISE:
        f->promised_id = why_cur_be32(c) & 0x7fffffffu;
        break;
    case WHY_H2_RST_STREAM:
        f->error_code = why_cur_be32(c);
        break;
    case WHY_H2_WINDOW_UPDATE:
        f->increment = why_cur_be32(c) & 0x7fffffffu;
        break;
    case WHY_H2_PING:
        why_cur_copy(c, f->opaque, sizeof f->opaque);
        break;
    case WHY_H2_GOAWAY:
        f->last_stream_id = why_cur_be32(c) & 0x7fffffffu;
        f->error_code = why_cur_be32(c);
        break;
    default:
        break;
    }
}

/* Faults only the fixed fields show: padding past the payload, a zero window increment, a
 * stream depending on itself, a promised id that is not a new server stream. */
enum why_h2_err why_h2_check_fixed(const struct why_h2_frame *f)
{
    if (padded(f) && f->pad_len > f->length - why_h2_fixed_size(f))
        return WHY_H2_ERR_PROTOCOL;
    if (f->type == WHY_H2_WINDOW_UPDATE && f->increment == 0)
        return WHY_H2_ERR_PROTOCOL;
    if ((f->type == WHY_H2_PRIORITY ||
         (f->type == WHY_H2_HEADERS && (f->flags & WHY_H2_FLAG_PRIORITY))) &&
        f->dep_stream == f->stream_id)
        return WHY_H2_ERR_PROTOCOL;
    if (f->type == WHY_H2_PUSH_PROMISE && (f->promised_id == 0 || f->promised_id % 2))
        return WHY_H2_ERR_PROTOCOL;
    return WHY_H2_ERR_NONE;
}

/* Applies one SETTINGS entry to s; the fault it raises, if any (RFC 9113 6.5.2). */
enum why_h2_err why_h2_settings_entry(struct why_h2_settings *s, uint16_t id, uint32_t v,
                                      uint32_t *code)
{
    switch (id) {
    case WHY_H2_SET_HEADER_TABLE_SIZE:
        s->header_table_size = v;
        break;
    case WHY_H2_SET_ENABLE_PUSH:
        if (v > 1) {
            *code = WHY_H2_PROTOCOL_ERROR;
            return WHY_H2_ERR_PROTOCOL;
        }
        s->enable_push = v;
        break;
    case WHY_H2_SET_MAX_CONCURRENT_STREAMS:
        s->max_concurrent_streams = v;
        break;
    case WHY_H2_SET_INITIAL_WINDOW_SIZE:
        if (v > (uint32_t)WHY_H2_WINDOW_LIMIT) {
            *code = WHY_H2_FLOW_CONTROL_ERROR;
            return WHY_H2_ERR_FLOW;
        }
        s->initial_window_size = v;
        break;
    case WHY_H2_SET_MAX_FRAME_SIZE:
        if (v < WHY_H2_DEFAULT_FRAME_SIZE || v > WHY_H2_FRAME_LEN_LIMIT) {
            *code = WHY_H2_PROTOCOL_ERROR;
            return WHY_H2_ERR_PROTOCOL;
        }
        s->max_frame_size = v;
        break;
    case WHY_H2_SET_MAX_HEADER_LIST_SIZE:
        s->max_header_list_size = v;
        break;
    default:
        break; /* unknown settings are ignored */
    }
    return WHY_H2_ERR_NONE;
}

void why_h2_settings_defaults(struct why_h2_settings *s)
{
    s->header_table_size = WHY_H2_DEFAULT_TABLE;
    s->enable_push = 1;
    s->max_concurrent_streams = UINT32_MAX;
    s->initial_window_size = WHY_H2_DEFAULT_WINDOW;
    s->max_frame_size = WHY_H2_DEFAULT_FRAME_SIZE;
    s->max_header_list_size = UINT32_MAX;
}

int why_h2_frame_parse(const uint8_t *buf, size_t len, uint32_t max_len, struct why_h2_frame *out)
{
    if (why_h2_frame_head_parse(buf, len, out) == 0)
        return 0;
    if (out->length > max_len)
        return WHY_H2_ERR_FRAME_SIZE;
    enum why_h2_err e = why_h2_check_head(out);
    if (e != WHY_H2_ERR_NONE)
        return e;
    if (len - WHY_H2_FRAME_HEAD_LEN < out->length)
        return 0;
    struct why_cur c = why_cur_make(buf + WHY_H2_FRAME_HEAD_LEN, out->length);
    why_h2_read_fixed(out, &c);
    if (!why_cur_ok(&c))
        return WHY_H2_ERR_FRAME_SIZE;
    e = why_h2_check_fixed(out);
    if (e != WHY_H2_ERR_NONE)
        return e;
    size_t rest = why_cur_left(&c) - out->pad_len;
    switch (out->type) {
    case WHY_H2_DATA:
    case WHY_H2_HEADERS:
    case WHY_H2_PUSH_PROMISE:
    case WHY_H2_CONTINUATION:
    case WHY_H2_GOAWAY:
        out->frag = why_cur_ptr(&c);
        out->frag_len = (uint32_t)rest;
        break;
    case WHY_H2_SETTINGS: {
        out->settings = why_cur_ptr(&c);
        out->nsettings = (uint32_t)(rest / 6);
        struct why_h2_settings s;
        why_h2_settings_defaults(&s);
        for (uint32_t i = 0; i < out->nsettings; i++) {
            uint32_t code = 0;
            uint16_t id = why_cur_be16(&c);
            e = why_h2_settings_entry(&s, id, why_cur_be32(&c), &code);
            if (e != WHY_H2_ERR_NONE)
                return e;
        }
        break;
    }
    default:
        break;
    }
    return (int)(WHY_H2_FRAME_HEAD_LEN + out->length);
}

/* ---- recognition ---- */

bool why_h2_looks_like_preface(const uint8_t *data, size_t len)
{
    if (!data || len == 0)
        return false;
    size_t n = len < WHY_H2_PREFACE_LEN ? len : WHY_H2_PREFACE_LEN;
    return memcmp(data, WHY_H2_PREFACE, n) == 0;
}

bool why_h2_looks_like_server_start(const uint8_t *data, size_t len)
{
    if (!data || len == 0)
        return false;
    uint8_t h[WHY_H2_FRAME_HEAD_LEN] = {0};
    size_t n = len < sizeof h ? len : sizeof h;
    memcpy(h, data, n);
    /* a server's SETTINGS holds at most the six defined settings, a few more at most:
     * a length over 0x0400 (171 entries) is not a SETTINGS a server sends first */
    if (h[0] != 0 || (n >= 2 && h[1] > 0x04))
        return false;
    if (n >= 3 && (((uint32_t)h[1] << 8 | h[2]) % 6) != 0)
        return false;
    if (n >= 4 && h[3] != WHY_H2_SETTINGS)
        return false;
    if (n >= 5 && (h[4] & WHY_H2_FLAG_ACK))
        return false;
    for (size_t i = 5; i < n; i++)
        if ((h[i] & (i == 5 ? 0x7f : 0xff)) != 0)
            return false;
    return true;
}

static bool is_ows(uint8_t c) { return c == ' ' || c == '\t'; }

bool why_h2_upgrade_h2c(const uint8_t *head, size_t len, const uint8_t **settings,
                        size_t *settings_len)
{
    bool h2c = false;
    if (settings)
        *settings = NULL;
    if (settings_len)
        *settings_len = 0;
    if (!head)
        return false;
    size_t p = 0;
    while (p < len && head[p] != '\n') /* the request line */
        p++;
    for (p++; p < len;) {
        size_t q = p;
        while (q < len && head[q] != '\n')
            q++;
        size_t le = q;
        if (le > p && head[le - 1] == '\r')
            le--;
        if (le == p)
            break; /* the blank line */
        const uint8_t *colon = memchr(head + p, ':', le - p);
        if (colon) {
            size_t nl = (size_t)(colon - head) - p;
            const uint8_t *v = colon + 1;
            size_t vl = le - (size_t)(v - head);
            while (vl && is_ows(v[0]))
                v++, vl--;
            while (vl && is_ows(v[vl - 1]))
                vl--;
            if (why_ascii_ieq(head + p, nl, "upgrade")) {
                /* a comma-separated list of protocols */
                size_t s = 0;
                for (size_t i = 0; i <= vl; i++) {
                    if (i < vl && v[i] != ',')
                        continue;
                    const uint8_t *e = v + s;
                    size_t el = i - s;
                    while (el && is_ows(e[0]))
                        e++, el--;
                    while (el && is_ows(e[el - 1]))
                        el--;
                    h2c = h2c || why_ascii_ieq(e, el, "h2c");
                    s = i + 1;
                }
            } else if (why_ascii_ieq(head + p, nl, "http2-settings") && settings && settings_len) {
                *settings = v;
                *settings_len = vl;
            }
        }
        p = q + 1;
    }
    return h2c;
}

/* base64url without padding (RFC 4648 section 5), as HTTP2-Settings carries it. Returns the
 * decoded length, or -1 for a character outside the alphabet or an output longer than size. */
long why_h2_b64url_decode(const uint8_t *in, size_t n, uint8_t *out, size_t size)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = in[i];
        int v;
        if (ch >= 'A' && ch <= 'Z')
            v = ch - 'A';
        else if (ch >= 'a' && ch <= 'z')
            v = ch - 'a' + 26;
        else if (ch >= '0' && ch <= '9')
            v = ch - '0' + 52;
        else if (ch == '-' || ch == '+')
            v = 62;
        else if (ch == '_' || ch == '/')
            v = 63;
        else if (ch == '=')
            break;
        else
            return -1;
        acc = (acc << 6 | (uint32_t)v) & 0xffffffu;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= size)
                return -1;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return (long)o;
}
