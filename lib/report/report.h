/* Report writers: text for a person at a terminal, JSON Lines for programs (docs/json.md).
 * Each writer streams one incident as soon as the session decides it, then the summary.
 * Strings that came from the wire are escaped in exactly one place per format: escape.c. */
#ifndef WHY_REPORT_REPORT_H
#define WHY_REPORT_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "why502/why502.h"

/* escape.c: the only functions that write wire-derived strings. */
void why_esc_json(FILE *out, const char *s);   /* a JSON string with quotes; bytes >= 0x80 as \u00XX */
void why_esc_json_n(FILE *out, const uint8_t *s, size_t n); /* the same for n raw bytes (NUL too) */
void why_esc_text(FILE *out, const char *s);   /* printable ASCII as is, others as \xNN */

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
void why_json_incident(FILE *out, const struct why_incident *inc, const char *const *files);
void why_json_summary(FILE *out, const struct why_summary *sum, const char *const *warnings,
                      size_t nwarn);

#endif
