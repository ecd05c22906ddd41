/* util/heap.h: after why_heap_huge() the heap where malloc puts blocks below
 * WHY_HEAP_MMAP_MAX is advised as transparent huge pages (the kernel's own record of a
 * mapping, /proc/self/smaps, says "hg" among its flags), and so is the part it grows into past
 * the first step once why_heap_grown() has been called. Skipped where the call is documented
 * to do nothing (a sanitizer's allocator) and on a kernel without transparent huge pages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/heap.h"

#ifndef WHY_HEAP_SANITIZED
/* 1 when the mapping holding p is advised for huge pages, 0 when not, -1 when not found. */
static int advised(const void *p)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f)
        return -1;
    char line[512];
    int in = 0, r = -1;
    uintptr_t a = (uintptr_t)p;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            in = a >= lo && a < hi;
            continue;
        }
        if (in && strncmp(line, "VmFlags:", 8) == 0) {
            r = strstr(line, " hg") != NULL;
            break;
        }
    }
    fclose(f);
    return r;
}

static bool thp_kernel(void)
{
    return access("/sys/kernel/mm/transparent_hugepage/enabled", R_OK) == 0;
}
#endif

static void heap_advised_and_grown(void **state)
{
    (void)state;
#ifdef WHY_HEAP_SANITIZED
    assert_false(why_heap_huge()); /* documented: nothing under a sanitizer */
    skip();
#else
    if (!thp_kernel())
        skip();
    assert_true(why_heap_huge());
    assert_true(why_heap_huge()); /* (again: the same answer, nothing more done) */
    /* a block of a few MiB, below WHY_HEAP_MMAP_MAX: in the heap, advised from the first
     * huge page boundary past the heap's top when why_heap_huge() grew it on. The block
     * begins at or a little below that top (what was left of the first heap), so its last
     * byte is past the boundary, at most 2 MiB up; its middle may not be (the heap's start
     * moves with address space randomisation) */
    size_t an = (size_t)4 << 20;
    char *a = malloc(an);
    assert_non_null(a);
    memset(a, 1, an);
    assert_int_equal(advised(a + an - 1), 1);
    /* past the first step: the new part is advised once why_heap_grown() has seen it */
    enum { N = 40 };
    char *b[N];
    size_t each = (size_t)4 << 20; /* N * 4 MiB: well past one step */
    for (int i = 0; i < N; i++)
        assert_non_null(b[i] = malloc(each));
    char *last = b[N - 1];
    assert_true(last > a + WHY_HEAP_STEP); /* the heap grew (upwards) past its first step */
    assert_int_equal(advised(last + each / 2), 0);
    why_heap_grown();
    assert_int_equal(advised(last + each / 2), 1);
    for (int i = 0; i < N; i++)
        free(b[i]);
    free(a);
    why_heap_grown(); /* (trimmed or not: nothing to fail) */
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(heap_advised_and_grown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
