/* Parts of the HTML writer shared by its two files: html.c (the page, the sections, grouping)
 * and html_ladder.c (the ladder diagrams). Not part of the report API (report.h). */
#ifndef WHY_REPORT_HTML_H
#define WHY_REPORT_HTML_H

#include "report/report.h"

/* The SVG ladder of an incident: <svg class="ladder" data-evidence="N"> holding one
 * <g class="arrow ..." data-frame="F"> per evidence item. nfiles > 1 labels frames [file]#frame. */
void why_html_ladder(FILE *o, const struct why_incident *inc, size_t nfiles);
/* Index of the evidence item the failure shows in (the last that ends or refuses an exchange,
 * else the last before the gateway's answer, else the answer); -1 with no evidence. */
int why_html_failing_step(const struct why_incident *inc);
/* The first max bytes of s cut at a character boundary, escaped for ctx, "…" when cut. */
void why_html_text_cut(FILE *o, enum why_html_ctx ctx, const char *s, size_t max);
/* A duration into buf: "33.2 ms", "4.94 s", "17 s"; with sign: "+33.2 ms", "-0.2 ms". */
char *why_html_dur(int64_t us, bool sign, char *buf, size_t n);

#endif
