/* Freed blocks of one size kept for the next one (a request, an answer, a connection every
 * few packets would otherwise each be a malloc and a free): chained through their first
 * bytes, at most `max` (0 under AddressSanitizer, which then sees a block used after it was
 * given back as it would any freed memory). Every block of one list has one size. A list
 * with `lines` hands out blocks that begin a cache line (malloc'd with a line more).
 *
 * A list with a slab (util/slab.h; why_spare_slab, none under AddressSanitizer) takes its new
 * blocks from it and keeps every block given back, whatever `max`: a slab's block is never
 * freed on its own, only with the slab. Its memory is then the most of its blocks in use at
 * once, as the blocks' owner bounds them (open connections, pending requests). */
#ifndef WHY_UTIL_SPARE_H
#define WHY_UTIL_SPARE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/slab.h"

#if defined(__SANITIZE_ADDRESS__)
#define WHY_SPARE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WHY_SPARE_ASAN 1
#endif
#endif

/* The cap most lists use: 0 under AddressSanitizer. */
#ifdef WHY_SPARE_ASAN
#define WHY_SPARE_MAX 0u
#else
#define WHY_SPARE_MAX 1024u
#endif

struct why_spare {
    void *head;
    uint32_t n, max;
    struct why_slab *slab;        /* where new blocks come from (NULL: malloc) */
    bool lines;                   /* (without a slab) each block begins a cache line
                                     (WHY_SPARE_LINE): a record whose first line holds what
                                     its walks read is read in one, where malloc's 16-byte
                                     alignment split those 64 bytes over two lines three
                                     times in four; a block costs WHY_SPARE_LINE bytes more */
};

#define WHY_SPARE_LINE 64 /* bytes of a cache line (x86-64, most arm64) */

/* A new block of `size` bytes for sp from malloc: with lines, at the first line boundary past
 * the start of size + WHY_SPARE_LINE bytes, the distance to that start (1 to 64; 16 to 64
 * where malloc aligns to 16) in the byte before the block, which spare_free reads. */
static inline void *spare_alloc(const struct why_spare *sp, size_t size, bool zero)
{
    if (!sp->lines)
        return zero ? calloc(1, size) : malloc(size);
    uint8_t *raw = malloc(size + WHY_SPARE_LINE);
    if (!raw)
        return NULL;
    uint8_t *p = (uint8_t *)(((uintptr_t)raw + WHY_SPARE_LINE) & ~(uintptr_t)(WHY_SPARE_LINE - 1));
    p[-1] = (uint8_t)(p - raw);
    if (zero)
        memset(p, 0, size);
    return p;
}

static inline void spare_free(const struct why_spare *sp, void *p)
{
    free(sp->lines ? (uint8_t *)p - ((uint8_t *)p)[-1] : p);
}

/* The slab an owner gives its lists: its own, or none under AddressSanitizer. */
static inline struct why_slab *why_spare_slab(struct why_slab *own)
{
#ifdef WHY_SPARE_ASAN
    (void)own;
    return NULL;
#else
    return own;
#endif
}

/* A block of `size` bytes: a spare one, or a new one; zeroed when `zero` (NULL on out of
 * memory). */
static inline void *why_spare_get(struct why_spare *sp, size_t size, bool zero)
{
    void *p = sp->head;
    if (!p && sp->slab) {
        p = why_slab_take(sp->slab, size);
        if (p && zero)
            memset(p, 0, size);
        return p;
    }
    if (!p)
        return spare_alloc(sp, size, zero);
    memcpy(&sp->head, p, sizeof sp->head);
    sp->n--;
    if (zero)
        memset(p, 0, size);
    return p;
}

/* p (may be NULL) back to the list, or freed when it is full (a slab's: always kept). */
static inline void why_spare_give(struct why_spare *sp, void *p)
{
    if (!p)
        return;
    if (sp->n >= sp->max && !sp->slab) {
        spare_free(sp, p);
        return;
    }
    memcpy(p, &sp->head, sizeof sp->head);
    sp->head = p;
    sp->n++;
}

/* Frees every spare block (a slab's stay until the slab is freed). */
static inline void why_spare_drain(struct why_spare *sp)
{
    while (sp->head && !sp->slab) {
        void *p = sp->head;
        memcpy(&sp->head, p, sizeof sp->head);
        spare_free(sp, p);
    }
    sp->head = NULL;
    sp->n = 0;
}

#endif
