/* Packet ring: the last stretch of captured frames kept in memory, bounded by bytes and by
 * age (packet time), so the frames of an incident can be written out after it is decided
 * (the flight recorder). Frames are copied into one preallocated byte area and evicted
 * oldest first; an index of record offsets in arrival order finds the frames of a time
 * window by binary search instead of scanning everything. Arrival order is time order up
 * to the small reordering of `-i any` (a few milliseconds), which callers absorb by
 * widening the window they ask for. Single-threaded; frames are not changed once held. */
#ifndef WHY_CAPTURE_RING_H
#define WHY_CAPTURE_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "capture/capture.h"

#define WHY_RING_MIN_BYTES (1u << 20)           /* smallest ring accepted (bytes): a few frames
                                                    of the largest size */
#define WHY_RING_DEFAULT_BYTES (256ull << 20)  /* --ring default, bytes */
#define WHY_RING_DEFAULT_US (120LL * 1000000)  /* --ring default, microseconds of packet time */

struct why_ring;

struct why_ring_stats {
    uint64_t cap_bytes;      /* the byte bound */
    int64_t cap_us;          /* the age bound, microseconds (0 = none) */
    uint64_t bytes;          /* bytes held (records, headers included) */
    uint64_t frames;         /* frames held */
    uint64_t pushed;         /* frames ever pushed */
    uint64_t evicted;        /* frames evicted (by bytes or age) */
    struct why_ts oldest, newest; /* times of the oldest and newest frames held (zero if none) */
};

/* A ring of at most max_bytes (>= WHY_RING_MIN_BYTES) holding frames at most max_us older
 * than the newest (0 = no age bound). NULL on out of memory or a size below the minimum. */
struct why_ring *why_ring_new(uint64_t max_bytes, int64_t max_us);
/* Copies f (data included) in, evicting the oldest frames as needed. */
void why_ring_push(struct why_ring *r, const struct why_frame *f);
/* Calls fn for every frame held whose time is within [from, to], in arrival order. The
 * frame (and its data) stays valid until the next push. fn returns false to stop. */
void why_ring_each(const struct why_ring *r, struct why_ts from, struct why_ts to,
                   bool (*fn)(void *ctx, const struct why_frame *f), void *ctx);
void why_ring_get_stats(const struct why_ring *r, struct why_ring_stats *st);
void why_ring_free(struct why_ring *r);

#endif
