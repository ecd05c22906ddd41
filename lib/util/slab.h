/* Memory for the blocks of a spare list (util/spare.h): carved from regions freed all at
 * once, never block by block. The flow table's connection entries (and the store's copies of
 * closed ones, on the same list: session.c) are tens of thousands at once on a busy gateway;
 * from malloc each page of them is faulted in on first touch and takes a TLB entry of its
 * own. Past the first 2 MiB the regions are 2 MiB, aligned, and asked of the kernel as
 * transparent huge pages (madvise MADV_HUGEPAGE, nothing where THP is off): one fault and
 * one TLB entry for some 3,000 entries (bench/README.md, 22,000 connections held open). A
 * small capture stays on the first, small regions. */
#ifndef WHY_UTIL_SLAB_H
#define WHY_UTIL_SLAB_H

#include <stddef.h>
#include <stdint.h>

struct why_slab {
    uint8_t *cur, *end;  /* the free part of the newest region */
    void **regions;      /* every region, to free them at the end */
    uint32_t n, cap;
    size_t next;         /* bytes of the next region (0: the first, WHY_SLAB_FIRST) */
};

#define WHY_SLAB_FIRST ((size_t)64 << 10) /* then doubling up to WHY_SLAB_HUGE */
#define WHY_SLAB_HUGE ((size_t)2 << 20)   /* a transparent huge page on x86-64 and arm64 */

/* size bytes (rounded up to 16, aligned to 16) of sl, not zeroed; NULL on out of memory. */
void *why_slab_take(struct why_slab *sl, size_t size);

/* Frees every region (every block taken is gone); sl is empty again. */
void why_slab_free(struct why_slab *sl);

#endif
