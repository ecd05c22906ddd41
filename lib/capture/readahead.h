/* Capture reader internals, for its tests: the read-ahead block size. A regular file of at
 * least one block is read by a second thread into a few blocks of that size while frames are
 * parsed out of the blocks already read; tests make the blocks tiny so that records straddle
 * them everywhere. Not part of the public API. */
#ifndef WHY_CAPTURE_READAHEAD_H
#define WHY_CAPTURE_READAHEAD_H

#include <stddef.h>

#include "capture/capture.h"

#define WHY_READAHEAD_BLOCK (1u << 20) /* bytes per read-ahead block, by default */

/* why_reader_open with blocks of `block` bytes (>= 1): files shorter than one block, and
 * anything not a regular file (standard input, pipes), are read on the calling thread. */
int why_reader_open_ahead(struct why_reader **out, const char *const *paths, size_t npaths, size_t block,
                          char *err, size_t errsize);

/* Files of r that the read-ahead thread reads. */
size_t why_reader_ahead_files(const struct why_reader *r);

#endif
