/* Capture reader internals, for its tests (why_reader_open_ahead, capture.h, reads files
 * ahead; tests make the blocks tiny so that records straddle them everywhere). Not part of
 * the public API. */
#ifndef WHY_CAPTURE_READAHEAD_H
#define WHY_CAPTURE_READAHEAD_H

#include <stddef.h>

#include "capture/capture.h"

/* Files of r that the read-ahead thread reads. */
size_t why_reader_ahead_files(const struct why_reader *r);

#endif
