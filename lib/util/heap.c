#include "util/heap.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__GLIBC__) && defined(__linux__) && defined(MADV_HUGEPAGE) && !defined(WHY_HEAP_SANITIZED)
#include <malloc.h>

#define HUGE_PAGE ((uintptr_t)2 << 20) /* x86-64's and arm64's (with 4 KiB base pages) */

static uintptr_t advised_lo, advised_hi; /* the heap is advised from lo up to hi (0: not) */

static uintptr_t up(uintptr_t a) { return (a + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1); }
static uintptr_t down(uintptr_t a) { return a & ~(HUGE_PAGE - 1); }

bool why_heap_huge(void)
{
    if (advised_hi)
        return true;
    /* the heap grows by a step at a time and is trimmed only past two (no shrinking and
     * growing again across one boundary); allocations up to WHY_HEAP_MMAP_MAX stay in it */
    if (!mallopt(M_TOP_PAD, (int)WHY_HEAP_STEP) || !mallopt(M_TRIM_THRESHOLD, (int)(2 * WHY_HEAP_STEP)) ||
        !mallopt(M_MMAP_THRESHOLD, (int)WHY_HEAP_MMAP_MAX))
        return false;
    /* a first allocation larger than what is left at the heap's top makes it grow by a step
     * now: that part, whole huge pages of it, is advised before anything is in it */
    const size_t first = (size_t)1 << 20;
    uintptr_t b0 = (uintptr_t)sbrk(0);
    void *p = malloc(first);
    uintptr_t b1 = (uintptr_t)sbrk(0);
    /* (the block starts where the top was, below b0, and ends in the part grown) */
    bool in_heap = p && b0 != (uintptr_t)-1 && b1 != (uintptr_t)-1 && b1 - b0 >= WHY_HEAP_STEP &&
                   (uintptr_t)p < b0 && (uintptr_t)p + first > b0;
    free(p);
    if (!in_heap)
        return false; /* not a brk heap, or it did not grow: nothing is advised */
    uintptr_t lo = up(b0), hi = down(b1);
    if (hi <= lo || madvise((void *)lo, hi - lo, MADV_HUGEPAGE) != 0)
        return false;
    advised_lo = lo;
    advised_hi = hi;
    return true;
}

void why_heap_grown(void)
{
    if (!advised_hi)
        return;
    uintptr_t b = (uintptr_t)sbrk(0); /* (no system call: the break glibc keeps) */
    if (b == (uintptr_t)-1)
        return;
    if (b < advised_hi) {
        /* trimmed: what grows back there is a new mapping (the first step is never given
         * back: glibc keeps a step at the top; the clamp is only a bound) */
        advised_hi = down(b) > advised_lo ? down(b) : advised_lo;
        return;
    }
    uintptr_t hi = down(b);
    if (hi > advised_hi && madvise((void *)advised_hi, hi - advised_hi, MADV_HUGEPAGE) == 0)
        advised_hi = hi;
}

#else

bool why_heap_huge(void) { return false; }

void why_heap_grown(void) {}

#endif
