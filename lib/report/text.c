/* Text report for a person at a terminal: one block per incident, evidence by frame, then a
 * summary by cause. Wire strings go through why_esc_text only; colour only on a terminal. */
#include <inttypes.h>
#include <string.h>

#include "report/report.h"

static const char *c_on(const struct why_text_opts *o, const char *code) { return o->color ? code : ""; }
static const char *c_off(const struct why_text_opts *o) { return o->color ? "\033[0m" : ""; }

static void dur(FILE *out, int64_t us)
{
    if (us < 0)
        fputs("-", out);
    else if (us >= 10000000)
        fprintf(out, "%.0f s", (double)us / 1e6);
    else if (us >= 1000000)
        fprintf(out, "%.2f s", (double)us / 1e6);
    else
        fprintf(out, "%.1f ms", (double)us / 1e3);
}

void why_text_incident(FILE *out, const struct why_incident *inc, const struct why_text_opts *o)
{
    char ts[40], a[64], b[64];
    fprintf(out, "%s#%" PRIu64 "  %s  %s", c_on(o, "\033[1m"), inc->id,
            why_ts_format(inc->ts, ts, sizeof ts), inc->error ? inc->error : "-");
    fprintf(out, " (%s)  [%s]%s\n", inc->detail, why_kind_name(inc->kind), c_off(o));
    if (inc->has_client) {
        fprintf(out, "  client    %s -> %s %s\n",
                why_endpoint_str(&inc->client_addr, inc->client_port, a, sizeof a),
                inc->via_gateway ? "gateway" : "server",
                why_endpoint_str(&inc->gateway_addr, inc->gateway_port, b, sizeof b));
        fputs("  request   ", out);
        if (inc->method[0]) {
            why_esc_text(out, inc->method);
            fputc(' ', out);
            why_esc_text(out, inc->url);
        } else if (inc->tls_unfinished) { /* no request: the handshake failed */
            fputs("none: the TLS handshake failed", out);
            if (inc->sni[0]) {
                fputs(" (SNI ", out);
                why_esc_text(out, inc->sni);
                fputc(')', out);
            }
        } else { /* an HTTPS client leg without keys */
            fputs("encrypted (TLS", out);
            if (inc->sni[0]) {
                fputs(", SNI ", out);
                why_esc_text(out, inc->sni);
            }
            fputs("): --keylog shows it", out);
        }
        fprintf(out, "  (frame %" PRIu64 ")", inc->request_frame);
        if (inc->method[0] && inc->sni[0]) {
            fputs("  SNI ", out);
            why_esc_text(out, inc->sni);
        }
        fputc('\n', out);
        fputs("  answer    ", out);
        if (inc->status)
            fprintf(out, "%d", inc->status);
        else
            fputs("none", out);
        if (inc->claim[0]) {
            fputs("  \"", out);
            why_esc_text(out, inc->claim);
            fputc('"', out);
        }
        if (inc->response_frame)
            fprintf(out, "  (frame %" PRIu64 ")", inc->response_frame);
        fputc('\n', out);
    }
    if (inc->has_upstream) {
        fprintf(out, "  upstream  %s", why_endpoint_str(&inc->upstream_addr, inc->upstream_port, a, sizeof a));
        if (inc->upstream_host[0]) {
            fputs(" (", out);
            why_esc_text(out, inc->upstream_host);
            fputc(')', out);
        }
        if (inc->attempts)
            fprintf(out, ", %u connection attempt%s", inc->attempts, inc->attempts == 1 ? "" : "s");
        if (inc->upstream_status)
            fprintf(out, ", answered %d", inc->upstream_status);
        fputc('\n', out);
    }
    fprintf(out, "  %scause%s     ", c_on(o, "\033[1;31m"), c_off(o));
    why_esc_text(out, inc->summary);
    fputc('\n', out);
    if (inc->detail_text[0]) {
        fputs("  detail    ", out);
        why_esc_text(out, inc->detail_text);
        fputc('\n', out);
    }
    for (uint32_t k = 0; k < inc->nalt; k++) {
        /* the packets fit other readings as well: the cause is one of these */
        const struct why_alternative *alt = &inc->alt[k];
        fprintf(out, "  %sor%s        ", c_on(o, "\033[1;33m"), c_off(o));
        why_esc_text(out, alt->summary);
        fputs("\n            (", out);
        why_esc_text(out, alt->why);
        for (uint32_t i = 0; i < alt->nframes; i++)
            fprintf(out, "%s%" PRIu64, i ? ", " : "; frames ", alt->frames[i]);
        fputs(")\n", out);
    }
    fputs("  timing    dns ", out);
    dur(out, inc->dns_us);
    fputs(" | connect ", out);
    dur(out, inc->connect_us);
    fputs(" | first byte ", out);
    dur(out, inc->first_byte_us);
    fputs(" | wait ", out);
    dur(out, inc->wait_us);
    fputs(" | total ", out);
    dur(out, inc->total_us);
    fputc('\n', out);
    for (uint32_t i = 0; i < inc->nevidence; i++) {
        const struct why_evidence *e = &inc->evidence[i];
        why_ts_format(e->ts, ts, sizeof ts);
        fprintf(out, "  %s frame %-7" PRIu64 " %.15s  ", i ? "         " : "evidence", e->frame, ts + 11);
        if (o->nfiles > 1 && e->file < o->nfiles) { /* rotated input: frame numbers are per file */
            fputc('[', out);
            why_esc_text(out, o->files[e->file]);
            fputs("] ", out);
        }
        why_esc_text(out, e->what);
        if (e->encap && e->encap <= inc->nencaps) { /* a tunnelled frame: its outer layers */
            fputs("  [via ", out);
            why_esc_text(out, inc->encaps[e->encap - 1]);
            fputc(']', out);
        }
        fputc('\n', out);
    }
    fprintf(out, "  %sfix%s       ", c_on(o, "\033[1;32m"), c_off(o));
    why_esc_text(out, inc->fix);
    fputs("\n\n", out);
}

/* Tunnels read ("tunnels     12 frames (gre 12)") and one line per tunnel not read, by
 * reason and value ("not read    gre_unsupported_proto 0x1234: 3"); nothing without tunnels. */
static void tunnels(FILE *out, const struct why_decode_stats *d)
{
    if (d->tunnelled) {
        fprintf(out, "  tunnels     %" PRIu64 " frames (", d->tunnelled);
        bool first = true;
        for (int k = WHY_ENCAP_NONE + 1; k < WHY_ENCAP_KINDS; k++)
            if (d->by_encap[k]) {
                fprintf(out, "%s%s %" PRIu64, first ? "" : ", ", why_encap_kind_name((enum why_encap_kind)k),
                        d->by_encap[k]);
                first = false;
            }
        if (d->tunnel_fragment_heads)
            fprintf(out, "; %" PRIu64 " from a first fragment only", d->tunnel_fragment_heads);
        fputs(")\n", out);
    }
    char line[96];
    for (uint32_t i = 0; i < d->nnamed && i < WHY_DECODE_NAMED_MAX; i++)
        fprintf(out, "  not read    %s\n", why_decode_stats_line(d, i, line, sizeof line));
    if (d->named_over)
        fprintf(out, "  not read    %" PRIu64 " more tunnelled frames of other kinds\n", d->named_over);
}

/* What the capture missed: a capture seen from one side, holes and tails the ACKs prove,
 * translated addresses. Said once, in the summary; never an incident. */
static void capture_gaps(FILE *out, const struct why_summary *s)
{
    if (s->gap_one_sided[0] || s->gap_one_sided[1] || s->gap_tail_bytes || s->gap_hole_bytes ||
        s->gap_synack_unseen) {
        fputs("  partial     ", out);
        const char *sep = "";
        if (s->gap_one_sided[1]) {
            fprintf(out, "%" PRIu64 " connections seen from the client's side only (the server's "
                         "direction is missing; the client's ACKs prove what it sent)",
                    s->gap_one_sided[1]);
            sep = "; ";
        }
        if (s->gap_one_sided[0]) {
            fprintf(out, "%s%" PRIu64 " connections seen from the server's side only (the client's "
                         "direction is missing)", sep, s->gap_one_sided[0]);
            sep = "; ";
        }
        if (s->gap_hole_bytes) {
            fprintf(out, "%s%" PRIu64 " stream bytes not captured (%" PRIu64 " of them acknowledged "
                         "by the receiver)", sep, s->gap_hole_bytes, s->gap_hole_acked_bytes);
            sep = "; ";
        }
        if (s->gap_tail_bytes) {
            fprintf(out, "%s%" PRIu64 " bytes acknowledged after the last one captured", sep,
                    s->gap_tail_bytes);
            sep = "; ";
        }
        if (s->gap_synack_unseen)
            fprintf(out, "%s%" PRIu64 " SYN-ACKs not captured (proven by ACKs)", sep,
                    s->gap_synack_unseen);
        fputc('\n', out);
    }
    if (s->pauses) {
        char at[40];
        fprintf(out, "  paused      no packet for %.1f s after %s, which came after 1000 or more a second",
                (double)s->pause_longest_us / 1e6, why_ts_format(s->pause_longest_at, at, sizeof at));
        if (s->pauses > 1)
            fprintf(out, " (the longest of %" PRIu64 " such silences of 5 s or more)", s->pauses);
        fputs(": the capturing host stalled (a paused VM, a lost buffer); the times of requests that "
              "waited across it are the capture's\n", out);
    }
    if (s->dns_expected_misses)
        fprintf(out, "  expected    %" PRIu64 " DNS lookups failed as expected (WPAD, ISATAP): not "
                     "failures\n", s->dns_expected_misses);
    if (s->dns_background_failed) {
        fprintf(out, "  background  %" PRIu64 " DNS lookups the gateway made on its own schedule failed (",
                s->dns_background_failed);
        why_esc_text(out, s->dns_background_name);
        fputs(s->dns_background_failed > 1 ? ", ...)" : ")", out);
        fputs(": a request is an incident only where the capture shows one waiting on them\n", out);
    }
    if (s->tls_background_failed)
        fprintf(out, "  background  %" PRIu64 " upstream TLS connections of the gateway's own failed "
                     "while no client request failed (probes, checks): not failures\n",
                s->tls_background_failed);
    if (s->translated_conns) {
        char a[4][64];
        fprintf(out, "  translated  %" PRIu64 " connections answered from other addresses (NAT or a "
                     "virtual address), paired by sequence numbers: %s -> %s answered as %s -> %s\n",
                s->translated_conns,
                why_endpoint_str(&s->nat_first[0], s->nat_first_port[0], a[0], sizeof a[0]),
                why_endpoint_str(&s->nat_first[1], s->nat_first_port[1], a[1], sizeof a[1]),
                why_endpoint_str(&s->nat_first[2], s->nat_first_port[2], a[2], sizeof a[2]),
                why_endpoint_str(&s->nat_first[3], s->nat_first_port[3], a[3], sizeof a[3]));
    }
}

void why_report_caps(const struct why_summary *s, struct why_cap_count out[WHY_CAP_COUNTS])
{
    const struct why_cap_count caps[WHY_CAP_COUNTS] = {
        {s->cap_conns_evicted, "connections evicted"},
        {s->cap_ooo_dropped, "out-of-order bytes dropped"},
        {s->cap_http_head_too_long, "heads too long"},
        {s->cap_pending_dropped, "requests not tracked"},
        {s->cap_records_dropped, "records dropped"},
        {s->cap_dns_addrs_dropped, "DNS answer addresses not kept (4 per query are)"},
        {s->cap_http_pending_dropped, "pipelined requests not matched to responses"},
        {s->cap_encap_chains_over, "packets whose tunnel path was not kept (their evidence names no tunnel)"},
        {s->cap_orphans_over, "mid-stream connections not offered for NAT pairing"},
        {s->cap_nat_ambiguous, "answers from other addresses not paired (more than one SYN had their ISN)"},
        {s->cap_bg_names_over, "names on the gateway's lookup schedule forgotten"},
    };
    memcpy(out, caps, sizeof caps);
}

void why_text_summary(FILE *out, const struct why_summary *s, const char *const *warnings,
                      size_t nwarn, const struct why_text_opts *o)
{
    char a[64], t1[40], t2[40];
    fprintf(out, "%sSummary%s\n", c_on(o, "\033[1m"), c_off(o));
    if (s->frames)
        fprintf(out, "  capture     %" PRIu64 " frames, %s .. %s\n", s->frames,
                why_ts_format(s->first_ts, t1, sizeof t1), why_ts_format(s->last_ts, t2, sizeof t2));
    else
        fputs("  capture     no frames\n", out);
    fputs("  gateway     ", out);
    if (!s->ngateways)
        fputs("none found (requests are reported as seen)", out);
    for (uint32_t i = 0; i < s->ngateways; i++)
        fprintf(out, "%s%s", i ? ", " : "", why_addr_str(&s->gateways[i], a, sizeof a));
    if (s->tls_passed_through)
        fprintf(out, " (TLS passed through on %" PRIu64 " connection%s)", s->tls_passed_through,
                s->tls_passed_through == 1 ? "" : "s");
    fputc('\n', out);
    fprintf(out, "  requests    %" PRIu64 " from clients, %" PRIu64 " sent upstream, %" PRIu64 " DNS queries, %" PRIu64 " TCP connections\n",
            s->requests, s->upstream_requests, s->dns_queries, s->tcp_conns);
    if (s->keylog_used) {
        fprintf(out, "  keylog      %" PRIu64 " TLS connections decrypted, %" PRIu64 " without keys",
                s->tls_decrypted, s->tls_keyless);
        if (s->keylog_lines_ignored)
            fprintf(out, ", %" PRIu64 " key log lines ignored", s->keylog_lines_ignored);
        if (s->keylog_warning[0]) {
            fputs("; ", out);
            why_esc_text(out, s->keylog_warning);
        }
        fputc('\n', out);
    }
    if (s->unreadable)
        fprintf(out, "  unreadable  %" PRIu64 " requests whose answer the capture missed (lost segments, a direction not captured): not judged\n",
                s->unreadable);
    capture_gaps(out, s);
    fprintf(out, "  failed      %" PRIu64, s->failed);
    if (s->failed) {
        fputs(" (", out);
        bool first = true;
        for (int k = 0; k < 5; k++)
            if (s->by_kind[k]) {
                fprintf(out, "%s%" PRIu64 " %s", first ? "" : ", ", s->by_kind[k],
                        why_kind_name((enum why_kind)k));
                first = false;
            }
        fputc(')', out);
    }
    fputc('\n', out);
    size_t ncauses;
    const struct why_cause *cat = why_causes(&ncauses);
    for (size_t i = 0; i < ncauses && i < 64; i++)
        if (s->by_cause[i])
            fprintf(out, "  %8" PRIu64 "  %s (%s)\n", s->by_cause[i], cat[i].error ? cat[i].error : "-",
                    cat[i].detail);
    if (s->decode_truncated || s->decode_malformed || s->decode_unsupported)
        fprintf(out, "  anomalies   %" PRIu64 " truncated, %" PRIu64 " malformed, %" PRIu64 " unsupported frames\n",
                s->decode_truncated, s->decode_malformed, s->decode_unsupported);
    tunnels(out, &s->decode);
    if (s->caps_hit) {
        struct why_cap_count caps[WHY_CAP_COUNTS];
        why_report_caps(s, caps);
        fputs("  caps hit    ", out);
        bool first = true;
        for (size_t i = 0; i < WHY_CAP_COUNTS; i++)
            if (caps[i].n) {
                fprintf(out, "%s%" PRIu64 " %s", first ? "" : ", ", caps[i].n, caps[i].what);
                first = false;
            }
        fputc('\n', out);
    }
    if (s->oom)
        fprintf(out, "  memory      %" PRIu64 " records not kept for want of memory\n", s->oom);
    for (size_t i = 0; i < nwarn; i++) {
        fputs("  warning     ", out);
        why_esc_text(out, warnings[i]);
        fputc('\n', out);
    }
}
