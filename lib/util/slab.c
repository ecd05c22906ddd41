#include "util/slab.h"

#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>

/* A new region for a block of size bytes; false when memory was refused. */
static bool grow(struct why_slab *sl, size_t size)
{
    size_t n = sl->next ? sl->next : WHY_SLAB_FIRST;
    while (n < size)
        n *= 2;
    if (sl->n == sl->cap) {
        uint32_t cap = sl->cap ? sl->cap * 2 : 16;
        void **v = realloc(sl->regions, cap * sizeof *v);
        if (!v)
            return false;
        sl->regions = v;
        sl->cap = cap;
    }
    void *r = NULL;
    if (n >= WHY_SLAB_HUGE) {
        if (posix_memalign(&r, WHY_SLAB_HUGE, n) != 0)
            r = NULL;
#ifdef MADV_HUGEPAGE
        if (r)
            (void)madvise(r, n, MADV_HUGEPAGE); /* advice: refused or THP off, 4 KiB pages */
#endif
    } else {
        r = malloc(n);
    }
    if (!r)
        return false;
    sl->regions[sl->n++] = r;
    sl->cur = r;
    sl->end = (uint8_t *)r + n;
    sl->next = n < WHY_SLAB_HUGE ? n * 2 : WHY_SLAB_HUGE; /* (a block past a region had its own) */
    return true;
}

void *why_slab_take(struct why_slab *sl, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (size == 0 || (size_t)(sl->end - sl->cur) < size) {
        if (size == 0 || !grow(sl, size))
            return NULL;
    }
    void *p = sl->cur;
    sl->cur += size;
    return p;
}

void why_slab_free(struct why_slab *sl)
{
    for (uint32_t i = 0; i < sl->n; i++)
        free(sl->regions[i]);
    free(sl->regions);
    *sl = (struct why_slab){0};
}
