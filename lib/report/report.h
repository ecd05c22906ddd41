/* Report writers: text for a person at a terminal, JSON Lines for programs (docs/json.md), a
 * self-contained HTML page with a ladder diagram per failure. Text and JSON stream one incident
 * as soon as the session decides it, then the summary; HTML keeps each rendered incident in a
 * temporary file and writes the page (summary first, incidents grouped) at the end.
 * Strings that came from the wire are escaped in exactly one place per format: escape.c. */
#ifndef WHY_REPORT_REPORT_H
#define WHY_REPORT_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "why502/why502.h"

/* A JSON document's bytes gathered before they go to `f` (an incident has hundreds of
 * pieces: one stdio call each cost more than the bytes): appended with the inline functions
 * below, written when the buffer fills and by why_jbuf_flush. */
struct why_jbuf {
    FILE *f;
    size_t n;
    char b[8192];
};
void why_jbuf_flush(struct why_jbuf *j);
static inline void why_jbuf_put(struct why_jbuf *j, char c)
{
    if (j->n == sizeof j->b)
        why_jbuf_flush(j);
    j->b[j->n++] = c;
}
static inline void why_jbuf_write(struct why_jbuf *j, const void *s, size_t n)
{
    if (n > sizeof j->b - j->n) {
        why_jbuf_flush(j);
        if (n > sizeof j->b) {
            fwrite_unlocked(s, 1, n, j->f);
            return;
        }
    }
    memcpy(j->b + j->n, s, n);
    j->n += n;
}
static inline void why_jbuf_puts(struct why_jbuf *j, const char *s) { why_jbuf_write(j, s, strlen(s)); }

/* escape.c: the only functions that write wire-derived strings. */
void why_esc_json(FILE *out, const char *s);   /* a JSON string with quotes; valid UTF-8 kept, other bytes \ufffd */
void why_esc_json_n(FILE *out, const uint8_t *s, size_t n); /* the same for n raw bytes (NUL too) */
void why_jbuf_esc(struct why_jbuf *j, const uint8_t *s, size_t n); /* the same, into j */
void why_esc_text(FILE *out, const char *s);   /* printable ASCII as is, others as \xNN */
/* Where an HTML string lands: element text, an attribute value in double quotes (or <title>),
 * SVG <text>. The same characters are escaped in all three; only the mark around a shown
 * control character or invalid byte differs (none in an attribute). */
enum why_html_ctx { WHY_HTML_TEXT, WHY_HTML_ATTR, WHY_HTML_SVG };
void why_esc_html(FILE *out, enum why_html_ctx ctx, const char *s);
void why_esc_html_n(FILE *out, enum why_html_ctx ctx, const uint8_t *s, size_t n);

struct why_text_opts {
    bool color;        /* ANSI colours (only when writing to a terminal) */
    const char *const *files; /* capture file names, for multi-file evidence */
    size_t nfiles;
};

void why_text_incident(FILE *out, const struct why_incident *inc, const struct why_text_opts *o);
void why_text_summary(FILE *out, const struct why_summary *sum, const char *const *warnings,
                      size_t nwarn, const struct why_text_opts *o);

#define WHY_JSON_SCHEMA 2 /* docs/json.md: 1 had no schema field, no evidence kinds, no conns */

/* files: the input file names, indexed by why_evidence.file (NULL: names not written). */
/* The caps of the summary with their names, for the text and HTML summaries (text.c). */
struct why_cap_count {
    uint64_t n;
    const char *what;
};
#define WHY_CAP_COUNTS 11
void why_report_caps(const struct why_summary *s, struct why_cap_count out[WHY_CAP_COUNTS]);

void why_json_incident(FILE *out, const struct why_incident *inc, const char *const *files);
void why_json_summary(FILE *out, const struct why_summary *sum, const char *const *warnings,
                      size_t nwarn);

/* html.c: one self-contained page (inline CSS and SVG, a Content-Security-Policy that allows
 * no script and no network access). */
struct why_html_opts {
    const char *const *files;  /* capture file names, in command-line order */
    size_t nfiles;
    /* The evidence capture of an incident, as a path relative to the HTML file: writes it
     * into buf (NUL-terminated) or leaves buf empty for none. NULL: no links. */
    void (*evidence_name)(void *ctx, const struct why_incident *inc, char *buf, size_t size);
    void *evidence_ctx;
};

/* Caps: incidents kept for the page (the rest are counted and said to be left out), lanes of
 * one ladder (client, gateway, DNS servers, upstreams, others; more share the last lane). */
#define WHY_HTML_INCIDENTS_MAX 1000000
#define WHY_HTML_LANES_MAX 8

struct why_html;

/* A writer for out (not closed by it); o is copied, the strings it points to must outlive
 * the writer. Returns NULL when memory or a temporary file cannot be had. */
struct why_html *why_html_new(FILE *out, const struct why_html_opts *o);
/* Renders one incident into the writer's temporary file. 0, or -1 when it cannot be written. */
int why_html_incident(struct why_html *h, const struct why_incident *inc);
/* Writes the whole page to out: summary, timeline, incidents grouped by cause and upstream.
 * 0, or -1 when a write failed. */
int why_html_finish(struct why_html *h, const struct why_summary *sum, const char *const *warnings,
                    size_t nwarn);
void why_html_free(struct why_html *h);

#endif
