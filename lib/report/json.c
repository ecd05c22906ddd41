/* JSON Lines writer: one object per incident, then one summary object (docs/json.md).
 * Field order is fixed and numbers are integers (microseconds) so output is byte-identical
 * for the same input. Wire strings go through why_jbuf_esc (escape.c) only. */
#include <stdint.h>
#include <string.h>

#include "report/report.h"

/* The writers of one key and value are inlined where they are called: the key is a literal
 * there, so its length is known when compiled (an incident writes some 150 of them). */
#define JSON_INLINE static inline __attribute__((always_inline))

/* a JSON string (escape.c) */
JSON_INLINE void jstr(struct why_jbuf *o, const char *v) { why_jbuf_esc(o, (const uint8_t *)v, strlen(v)); }

JSON_INLINE void key(struct why_jbuf *o, const char *k, bool *first)
{
    if (!*first)
        why_jbuf_put(o, ',');
    why_jbuf_put(o, '"');
    why_jbuf_puts(o, k);
    why_jbuf_write(o, "\":", 2);
    *first = false;
}

/* A string the program made: a name from its own tables, a time or an address it formatted
 * (digits, hex, '.', ':', '-'). No byte of it is a wire byte as it was, and none needs an
 * escape: written as it is (an incident writes some fifty). */
JSON_INLINE void jraw(struct why_jbuf *o, const char *v)
{
    why_jbuf_put(o, '"');
    why_jbuf_puts(o, v);
    why_jbuf_put(o, '"');
}

/* A key and its string, null when there is none; raw (jraw) or escaped (jstr). Inlined where
 * it is called, raw is a constant there: no branch on it is left. */
JSON_INLINE void kval(struct why_jbuf *o, const char *k, const char *v, bool raw, bool *first)
{
    key(o, k, first);
    if (!v || !v[0])
        why_jbuf_puts(o, "null");
    else if (raw)
        jraw(o, v);
    else
        jstr(o, v);
}

JSON_INLINE void kstr(struct why_jbuf *o, const char *k, const char *v, bool *first) { kval(o, k, v, false, first); }
JSON_INLINE void kraw(struct why_jbuf *o, const char *k, const char *v, bool *first) { kval(o, k, v, true, first); }

/* A string an incident writes more than once (a capture file's name in every evidence item and
 * connection, an evidence item's words as "what" and "text"), escaped once into j: only when
 * its escaped form fits (six bytes a byte at most, and the quotes), so j never flushes. */
#define JSON_ONCE_MAX ((sizeof ((struct why_jbuf *)0)->b - 8) / 6)
static bool esc_once(struct why_jbuf *j, const char *v)
{
    size_t n = strlen(v);
    if (n > JSON_ONCE_MAX)
        return false;
    j->f = NULL;
    j->n = 0;
    why_jbuf_esc(j, (const uint8_t *)v, n);
    return true;
}

/* A capture file's name, escaped once per incident (file: which one j holds, or UINT32_MAX). */
struct file_once {
    uint32_t file;
    struct why_jbuf j;
};

static void kfile(struct why_jbuf *o, const char *k, const char *const *files, uint32_t file, struct file_once *fo,
                  bool *first)
{
    const char *v = files ? files[file] : NULL;
    if (!v || !v[0]) {
        kstr(o, k, v, first);
        return;
    }
    if (fo->file != file && esc_once(&fo->j, v))
        fo->file = file;
    if (fo->file != file) {
        kstr(o, k, v, first);
        return;
    }
    key(o, k, first);
    why_jbuf_write(o, fo->j.b, fo->j.n);
}

/* by hand: an incident has dozens of numbers */
JSON_INLINE void num(struct why_jbuf *o, int64_t v)
{
    char b[24], *e = b + sizeof b, *p = e;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do
        *--p = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        *--p = '-';
    why_jbuf_write(o, p, (size_t)(e - p));
}

JSON_INLINE void kint(struct why_jbuf *o, const char *k, int64_t v, bool null_if_negative, bool *first)
{
    key(o, k, first);
    if (null_if_negative && v < 0)
        why_jbuf_puts(o, "null");
    else
        num(o, v);
}

static void kendpoint(struct why_jbuf *o, const char *k, const struct why_addr *a, uint16_t port, bool *first)
{
    char buf[64];
    key(o, k, first);
    if (a->family && port == 0) /* a host without a connection (unjoined DNS failure) */
        jraw(o, why_addr_str(a, buf, sizeof buf));
    else if (a->family)
        jraw(o, why_endpoint_str(a, port, buf, sizeof buf));
    else
        why_jbuf_puts(o, "null");
}

/* {"actor":..,"address":..,"port":..} */
static void kactor(struct why_jbuf *o, const char *k, enum why_actor a, const struct why_addr *addr,
                   uint16_t port, bool *first)
{
    char buf[64];
    bool g = true;
    key(o, k, first);
    why_jbuf_put(o, '{');
    kraw(o, "actor", why_actor_name(a), &g);
    kraw(o, "address", addr->family ? why_addr_str(addr, buf, sizeof buf) : NULL, &g);
    kint(o, "port", port ? port : -1, true, &g);
    why_jbuf_put(o, '}');
}

/* {"file":..,"file_name":..,"frame":..,"time":..} */
static void kframe(struct why_jbuf *o, const char *k, uint32_t file, uint64_t frame, struct why_ts ts,
                   const char *const *files, struct file_once *fo, bool *first)
{
    char t[40];
    bool g = true;
    key(o, k, first);
    why_jbuf_put(o, '{');
    kint(o, "file", file, false, &g);
    kfile(o, "file_name", files, file, fo, &g);
    kint(o, "frame", (int64_t)frame, false, &g);
    kraw(o, "time", why_ts_format(ts, t, sizeof t), &g);
    why_jbuf_put(o, '}');
}

static void incident(struct why_jbuf *out, const struct why_incident *inc, const char *const *files)
{
    bool f = true;
    char ts[40];
    struct file_once fo; /* (the file named last, and an evidence item's words: escaped once) */
    struct why_jbuf words;
    fo.file = UINT32_MAX;
    why_jbuf_put(out, '{');
    kraw(out, "type", "incident", &f);
    kint(out, "schema", WHY_JSON_SCHEMA, false, &f);
    kint(out, "id", (int64_t)inc->id, false, &f);
    kraw(out, "time", why_ts_format(inc->ts, ts, sizeof ts), &f);
    kraw(out, "kind", why_kind_name(inc->kind), &f);
    kstr(out, "error", inc->error, &f);
    kstr(out, "detail", inc->detail, &f);
    kstr(out, "detail_text", inc->detail_text, &f);
    kendpoint(out, "client", &inc->client_addr, inc->client_port, &f);
    /* with no gateway in the capture the client talked to the server itself: no gateway */
    static const struct why_addr none;
    bool direct = inc->has_client && !inc->via_gateway;
    kendpoint(out, "gateway", direct ? &none : &inc->gateway_addr, inc->gateway_port, &f);
    key(out, "via_gateway", &f);
    why_jbuf_puts(out, inc->has_client ? (inc->via_gateway ? "true" : "false") : "null");
    kendpoint(out, "direct_server", direct ? &inc->gateway_addr : &none, inc->gateway_port, &f);
    kstr(out, "method", inc->method, &f);
    kstr(out, "url", inc->url, &f);
    kstr(out, "sni", inc->sni, &f);
    key(out, "tls_unfinished", &f);
    why_jbuf_puts(out, inc->tls_unfinished ? "true" : "false");
    kint(out, "status", inc->status ? inc->status : -1, true, &f);
    kstr(out, "gateway_claim", inc->claim, &f);
    kstr(out, "server", inc->server, &f);
    key(out, "upstream", &f);
    if (inc->has_upstream || inc->upstream_host[0]) {
        bool g = true;
        why_jbuf_put(out, '{');
        kstr(out, "host", inc->upstream_host, &g);
        kendpoint(out, "address", &inc->upstream_addr, inc->upstream_port, &g);
        kint(out, "status", inc->upstream_status ? inc->upstream_status : -1, true, &g);
        kint(out, "attempts", inc->attempts, false, &g);
        kint(out, "syn_tries", inc->syn_tries, false, &g);
        key(out, "syn_schedule_us", &g);
        why_jbuf_put(out, '[');
        for (uint32_t i = 0; i < inc->nschedule; i++) {
            if (i)
                why_jbuf_put(out, ',');
            num(out, inc->schedule_us[i]);
        }
        why_jbuf_put(out, ']');
        kint(out, "dns_queries", inc->dns_queries, false, &g);
        if (inc->first_len) {
            key(out, "first_bytes", &g);
            why_jbuf_esc(out, inc->first_bytes, inc->first_len);
        }
        why_jbuf_put(out, '}');
    } else {
        why_jbuf_puts(out, "null");
    }
    key(out, "timings_us", &f);
    {
        bool g = true;
        why_jbuf_put(out, '{');
        kint(out, "dns", inc->dns_us, true, &g);
        kint(out, "connect", inc->connect_us, true, &g);
        kint(out, "first_byte", inc->first_byte_us, true, &g);
        kint(out, "wait", inc->wait_us, true, &g);
        kint(out, "total", inc->total_us, true, &g);
        why_jbuf_put(out, '}');
    }
    kint(out, "request_frame", (int64_t)inc->request_frame, true, &f);
    kint(out, "response_frame", inc->response_frame ? (int64_t)inc->response_frame : -1, true, &f);
    key(out, "frames", &f);
    why_jbuf_put(out, '[');
    for (uint32_t i = 0; i < inc->nevidence; i++) {
        if (i)
            why_jbuf_put(out, ',');
        num(out, (int64_t)inc->evidence[i].frame);
    }
    why_jbuf_put(out, ']');
    if (files)
        kstr(out, "file", files[inc->file], &f);
    kstr(out, "summary", inc->summary, &f);
    kstr(out, "fix", inc->fix, &f);
    key(out, "alternatives", &f);
    why_jbuf_put(out, '[');
    for (uint32_t k = 0; k < inc->nalt; k++) {
        const struct why_alternative *a = &inc->alt[k];
        bool g = true;
        why_jbuf_puts(out, k ? ",{" : "{");
        kstr(out, "basis", why_alt_basis_name(a->basis), &g);
        kint(out, "with_request_frame", a->with_request_frame ? (int64_t)a->with_request_frame : -1, true, &g);
        kstr(out, "error", a->error, &g);
        kstr(out, "detail", a->detail, &g);
        kstr(out, "detail_text", a->detail_text, &g);
        kendpoint(out, "upstream", a->has_upstream ? &a->upstream_addr : &none, a->upstream_port, &g);
        key(out, "frames", &g);
        why_jbuf_put(out, '[');
        for (uint32_t i = 0; i < a->nframes; i++) {
            if (i)
                why_jbuf_put(out, ',');
            num(out, (int64_t)a->frames[i]);
        }
        why_jbuf_put(out, ']');
        kstr(out, "summary", a->summary, &g);
        kstr(out, "why", a->why, &g);
        why_jbuf_put(out, '}');
    }
    why_jbuf_put(out, ']');
    if (inc->capture_drops)
        kint(out, "capture_drops", (int64_t)inc->capture_drops, false, &f);
    key(out, "evidence", &f);
    why_jbuf_put(out, '[');
    for (uint32_t i = 0; i < inc->nevidence; i++) {
        bool g = true;
        why_jbuf_puts(out, i ? ",{" : "{");
        const struct why_evidence *e = &inc->evidence[i];
        kint(out, "frame", (int64_t)e->frame, false, &g);
        kraw(out, "time", why_ts_format(e->ts, ts, sizeof ts), &g);
        bool once = e->what[0] && esc_once(&words, e->what); /* ("what" and "text" alike) */
        if (once) {
            key(out, "what", &g);
            why_jbuf_write(out, words.b, words.n);
        } else {
            kstr(out, "what", e->what, &g);
        }
        kint(out, "file", e->file, false, &g);
        kfile(out, "file_name", files, e->file, &fo, &g);
        kraw(out, "kind", why_evidence_kind_name(e->kind), &g);
        kactor(out, "from", e->from, &e->from_addr, e->from_port, &g);
        kactor(out, "to", e->to, &e->to_addr, e->to_port, &g);
        if (once) {
            key(out, "text", &g);
            why_jbuf_write(out, words.b, words.n);
        } else {
            kstr(out, "text", e->what, &g);
        }
        if (e->encap && e->encap <= inc->nencaps)
            kstr(out, "encap", inc->encaps[e->encap - 1], &g);
        why_jbuf_put(out, '}');
    }
    why_jbuf_put(out, ']');
    key(out, "conns", &f);
    why_jbuf_put(out, '[');
    for (uint32_t i = 0; i < inc->nconns; i++) {
        const struct why_incident_conn *c = &inc->conns[i];
        bool g = true;
        why_jbuf_puts(out, i ? ",{" : "{");
        kraw(out, "proto", c->proto == 17 ? "udp" : "tcp", &g);
        kactor(out, "a", c->a_role, &c->a, c->aport, &g);
        kactor(out, "b", c->b_role, &c->b, c->bport, &g);
        kframe(out, "first", c->first_file, c->first_frame, c->first_ts, files, &fo, &g);
        kframe(out, "last", c->last_file, c->last_frame, c->last_ts, files, &fo, &g);
        why_jbuf_put(out, '}');
    }
    why_jbuf_puts(out, "]}\n");
}

static void summary(struct why_jbuf *out, const struct why_summary *s, const char *const *warnings,
                    size_t nwarn)
{
    bool f = true;
    char ts[40];
    why_jbuf_put(out, '{');
    kstr(out, "type", "summary", &f);
    kint(out, "schema", WHY_JSON_SCHEMA, false, &f);
    kint(out, "frames", (int64_t)s->frames, false, &f);
    kint(out, "bytes", (int64_t)s->bytes, false, &f);
    kstr(out, "first_time", s->frames ? why_ts_format(s->first_ts, ts, sizeof ts) : NULL, &f);
    kstr(out, "last_time", s->frames ? why_ts_format(s->last_ts, ts, sizeof ts) : NULL, &f);
    key(out, "gateways", &f);
    why_jbuf_put(out, '[');
    for (uint32_t i = 0; i < s->ngateways; i++) {
        char a[64];
        if (i)
            why_jbuf_put(out, ',');
        jstr(out, why_addr_str(&s->gateways[i], a, sizeof a));
    }
    why_jbuf_put(out, ']');
    kint(out, "tls_passed_through", (int64_t)s->tls_passed_through, false, &f);
    kint(out, "requests", (int64_t)s->requests, false, &f);
    kint(out, "upstream_requests", (int64_t)s->upstream_requests, false, &f);
    kint(out, "failed", (int64_t)s->failed, false, &f);
    kint(out, "unreadable", (int64_t)s->unreadable, false, &f);
    key(out, "keylog", &f);
    if (!s->keylog_used) {
        why_jbuf_puts(out, "null");
    } else {
        bool g = true;
        why_jbuf_put(out, '{');
        kstr(out, "warning", s->keylog_warning[0] ? s->keylog_warning : NULL, &g);
        kint(out, "lines_ignored", (int64_t)s->keylog_lines_ignored, false, &g);
        kint(out, "tls_decrypted", (int64_t)s->tls_decrypted, false, &g);
        kint(out, "tls_without_keys", (int64_t)s->tls_keyless, false, &g);
        why_jbuf_put(out, '}');
    }
    key(out, "by_kind", &f);
    {
        bool g = true;
        why_jbuf_put(out, '{');
        for (int k = 0; k < 5; k++)
            kint(out, why_kind_name((enum why_kind)k), (int64_t)s->by_kind[k], false, &g);
        why_jbuf_put(out, '}');
    }
    key(out, "by_cause", &f);
    {
        bool g = true;
        size_t ncauses;
        const struct why_cause *cat = why_causes(&ncauses);
        why_jbuf_put(out, '{');
        for (size_t i = 0; i < ncauses && i < 64; i++)
            if (s->by_cause[i])
                kint(out, cat[i].detail, (int64_t)s->by_cause[i], false, &g);
        why_jbuf_put(out, '}');
    }
    kint(out, "tcp_connections", (int64_t)s->tcp_conns, false, &f);
    kint(out, "dns_queries", (int64_t)s->dns_queries, false, &f);
    key(out, "anomalies", &f);
    {
        bool g = true;
        why_jbuf_put(out, '{');
        kint(out, "truncated_frames", (int64_t)s->decode_truncated, false, &g);
        kint(out, "malformed_frames", (int64_t)s->decode_malformed, false, &g);
        kint(out, "unsupported_frames", (int64_t)s->decode_unsupported, false, &g);
        why_jbuf_put(out, '}');
    }
    key(out, "tunnels", &f);
    {
        /* frames read through tunnels, tunnels per kind, and those not read by reason+value */
        const struct why_decode_stats *d = &s->decode;
        bool g = true;
        why_jbuf_put(out, '{');
        kint(out, "frames", (int64_t)d->tunnelled, false, &g);
        kint(out, "first_fragment_only", (int64_t)d->tunnel_fragment_heads, false, &g);
        for (int k = WHY_ENCAP_NONE + 1; k < WHY_ENCAP_KINDS; k++)
            if (d->by_encap[k])
                kint(out, why_encap_kind_name((enum why_encap_kind)k), (int64_t)d->by_encap[k], false, &g);
        key(out, "not_read", &g);
        why_jbuf_put(out, '{');
        bool h = true;
        for (uint32_t i = 0; i < d->nnamed && i < WHY_DECODE_NAMED_MAX; i++) {
            char name[96];
            why_decode_stats_line(d, i, name, sizeof name);
            char *colon = strrchr(name, ':');
            if (colon)
                *colon = 0;
            kint(out, name, (int64_t)d->named[i].count, false, &h);
        }
        if (d->named_over)
            kint(out, "other", (int64_t)d->named_over, false, &h);
        why_jbuf_put(out, '}');
        why_jbuf_put(out, '}');
    }
    key(out, "caps_hit", &f);
    {
        bool g = true;
        why_jbuf_put(out, '{');
        kint(out, "connections_evicted", (int64_t)s->cap_conns_evicted, false, &g);
        kint(out, "out_of_order_bytes_dropped", (int64_t)s->cap_ooo_dropped, false, &g);
        kint(out, "http_heads_too_long", (int64_t)s->cap_http_head_too_long, false, &g);
        kint(out, "requests_not_tracked", (int64_t)s->cap_pending_dropped, false, &g);
        kint(out, "records_dropped", (int64_t)s->cap_records_dropped, false, &g);
        kint(out, "dns_addresses_dropped", (int64_t)s->cap_dns_addrs_dropped, false, &g);
        kint(out, "pipelined_requests_unmatched", (int64_t)s->cap_http_pending_dropped, false, &g);
        kint(out, "tunnel_paths_not_kept", (int64_t)s->cap_encap_chains_over, false, &g);
        kint(out, "midstream_not_paired", (int64_t)s->cap_orphans_over, false, &g);
        kint(out, "nat_answers_not_paired", (int64_t)s->cap_nat_ambiguous, false, &g);
        kint(out, "schedule_names_forgotten", (int64_t)s->cap_bg_names_over, false, &g);
        why_jbuf_put(out, '}');
    }
    kint(out, "out_of_memory", (int64_t)s->oom, false, &f);
    key(out, "capture_gaps", &f);
    {
        bool g = true;
        why_jbuf_put(out, '{');
        kint(out, "client_direction_missing", (int64_t)s->gap_one_sided[0], false, &g);
        kint(out, "server_direction_missing", (int64_t)s->gap_one_sided[1], false, &g);
        kint(out, "hole_bytes", (int64_t)s->gap_hole_bytes, false, &g);
        kint(out, "hole_bytes_acknowledged", (int64_t)s->gap_hole_acked_bytes, false, &g);
        kint(out, "acknowledged_bytes_after_capture", (int64_t)s->gap_tail_bytes, false, &g);
        kint(out, "synack_not_captured", (int64_t)s->gap_synack_unseen, false, &g);
        kint(out, "pauses", (int64_t)s->pauses, false, &g);
        kint(out, "longest_pause_us", s->pauses ? s->pause_longest_us : -1, true, &g);
        char pt[40];
        kstr(out, "longest_pause_at", s->pauses ? why_ts_format(s->pause_longest_at, pt, sizeof pt) : NULL, &g);
        why_jbuf_put(out, '}');
    }
    kint(out, "translated_connections", (int64_t)s->translated_conns, false, &f);
    kint(out, "challenge_acks", (int64_t)s->challenge_acked, false, &f);
    kint(out, "dns_expected_misses", (int64_t)s->dns_expected_misses, false, &f);
    kint(out, "tls_background_failed", (int64_t)s->tls_background_failed, false, &f);
    kint(out, "dns_background_failed", (int64_t)s->dns_background_failed, false, &f);
    key(out, "warnings", &f);
    why_jbuf_put(out, '[');
    for (size_t i = 0; i < nwarn; i++) {
        if (i)
            why_jbuf_put(out, ',');
        jstr(out, warnings[i]);
    }
    why_jbuf_puts(out, "]}\n");
}

/* Each object gathered in a buffer on the stack (not cleared: only its first n bytes are
 * read), written with one call when done. */
void why_json_incident(FILE *out, const struct why_incident *inc, const char *const *files)
{
    struct why_jbuf j;
    j.f = out;
    j.n = 0;
    incident(&j, inc, files);
    why_jbuf_flush(&j);
}

void why_json_summary(FILE *out, const struct why_summary *s, const char *const *warnings,
                      size_t nwarn)
{
    struct why_jbuf j;
    j.f = out;
    j.n = 0;
    summary(&j, s, warnings, nwarn);
    why_jbuf_flush(&j);
}
