/* Frame filter: a pcap-filter(7) expression compiled by libpcap's compiler once per link type
 * met (a pcapng file may mix them), on a dead handle, and run on each frame's captured bytes.
 * Programs are kept for up to WHY_FILTER_LINKTYPES_MAX distinct link types; frames of link
 * types past the cap never match and are counted (no link type we decode is ever past it). */
#ifndef WHY_CAPTURE_FILTER_H
#define WHY_CAPTURE_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"

#define WHY_FILTER_LINKTYPES_MAX 64

struct why_filter;

/* A filter for expr (kept by pointer: it must outlive the filter). Returns NULL on out of
 * memory. The expression is compiled when the first frame of each link type comes. */
struct why_filter *why_filter_new(const char *expr);

/* 1 the frame matches, 0 it does not, -1 the expression does not compile for the frame's
 * link type (one line in err, "--filter: ..."). */
int why_filter_match(struct why_filter *f, const struct why_frame *fr, char *err, size_t errsize);

/* Frames not matched because their link type came past WHY_FILTER_LINKTYPES_MAX. */
uint64_t why_filter_over_cap(const struct why_filter *f);

void why_filter_free(struct why_filter *f);

#endif
