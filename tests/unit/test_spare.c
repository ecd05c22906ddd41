/* util/spare.h: blocks given back are handed out again (zeroed when asked), at most `max` are
 * kept, the rest freed, and a drain frees them all (LeakSanitizer, in the ASan build, holds
 * the test to that); with lines, each block begins a cache line. A list on a slab (util/slab.h) takes its blocks from it and keeps every
 * one given back; the slab's regions grow to 2 MiB, aligned. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/slab.h"
#include "util/spare.h"

struct block {
    uint64_t words[16];
};

static void reused_and_zeroed(void **state)
{
    (void)state;
    struct why_spare sp = {.max = 4};
    struct block *a = why_spare_get(&sp, sizeof *a, true), *b = why_spare_get(&sp, sizeof *b, false);
    assert_non_null(a);
    assert_non_null(b);
    for (int i = 0; i < 16; i++)
        assert_int_equal(a->words[i], 0);
    memset(a, 0xab, sizeof *a);
    memset(b, 0xcd, sizeof *b);
    why_spare_give(&sp, a);
    why_spare_give(&sp, b);
    why_spare_give(&sp, NULL); /* nothing */
    assert_int_equal(sp.n, 2);
    /* the last given comes back first; zeroed when asked, as it was left when not */
    struct block *c = why_spare_get(&sp, sizeof *c, true);
    assert_ptr_equal(c, b);
    for (int i = 0; i < 16; i++)
        assert_int_equal(c->words[i], 0);
    struct block *d = why_spare_get(&sp, sizeof *d, false);
    assert_ptr_equal(d, a);
    assert_int_equal(d->words[15], 0xababababababababu);
    assert_int_equal(sp.n, 0);
    why_spare_give(&sp, c);
    why_spare_give(&sp, d);
    why_spare_drain(&sp);
    assert_null(sp.head);
    assert_int_equal(sp.n, 0);
}

static void at_most_max(void **state)
{
    (void)state;
    struct why_spare sp = {.max = 3};
    struct block *v[10];
    for (int i = 0; i < 10; i++) {
        v[i] = why_spare_get(&sp, sizeof *v[i], false);
        assert_non_null(v[i]);
    }
    for (int i = 0; i < 10; i++)
        why_spare_give(&sp, v[i]); /* the first three kept, the others freed */
    assert_int_equal(sp.n, 3);
    uint32_t n = 0;
    for (void *p = sp.head; p; memcpy(&p, p, sizeof p))
        n++;
    assert_int_equal(n, 3);
    why_spare_drain(&sp);
    assert_int_equal(sp.n, 0);
    /* max 0 (AddressSanitizer builds): every block freed at once */
    struct why_spare none = {.max = 0};
    why_spare_give(&none, why_spare_get(&none, sizeof(struct block), true));
    assert_null(none.head);
}

/* A list with lines: every block begins a cache line, whatever malloc gave (lists of several
 * sizes, so that malloc's 16-byte steps land on each offset), is written whole and zeroed when
 * asked; past max and at a drain it is freed (LeakSanitizer and the allocator's checks hold
 * the test to freeing what malloc gave, not the block). */
static void blocks_on_lines(void **state)
{
    (void)state;
    static const size_t sizes[] = {64, 80, 96, 112, 600};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        struct why_spare sp = {.max = 2, .lines = true};
        uint8_t *v[5];
        for (int i = 0; i < 5; i++) {
            v[i] = why_spare_get(&sp, sizes[s], i % 2 == 0);
            assert_non_null(v[i]);
            assert_int_equal((uintptr_t)v[i] % WHY_SPARE_LINE, 0);
            for (size_t k = 0; i % 2 == 0 && k < sizes[s]; k++)
                assert_int_equal(v[i][k], 0);
            memset(v[i], 0x77, sizes[s]);
        }
        for (int i = 0; i < 5; i++)
            why_spare_give(&sp, v[i]); /* the first two kept, the others freed */
        assert_int_equal(sp.n, 2);
        uint8_t *again = why_spare_get(&sp, sizes[s], true);
        assert_ptr_equal(again, v[1]);
        assert_int_equal(again[sizes[s] - 1], 0);
        why_spare_give(&sp, again);
        why_spare_drain(&sp);
        assert_null(sp.head);
    }
}

/* A slab hands out 16-byte aligned blocks one after another, each region as large as the one
 * before twice over up to WHY_SLAB_HUGE, those aligned to it; a block larger than a region
 * gets one of its own size. */
static void slab_regions(void **state)
{
    (void)state;
    struct why_slab sl = {0};
    uint8_t *a = why_slab_take(&sl, 1), *b = why_slab_take(&sl, 100);
    assert_non_null(a);
    assert_ptr_equal(b, a + 16); /* rounded up to 16 */
    assert_int_equal((uintptr_t)a % 16, 0);
    assert_int_equal(sl.n, 1);
    assert_null(why_slab_take(&sl, 0));
    /* fill regions until one is WHY_SLAB_HUGE: each block written (no overlap, no fault) */
    size_t taken = 0;
    while (sl.n < 8) {
        uint8_t *p = why_slab_take(&sl, 1000);
        assert_non_null(p);
        memset(p, 0x5a, 1000);
        taken += 1008;
    }
    assert_true(taken >= (WHY_SLAB_HUGE - WHY_SLAB_FIRST)); /* 64 KiB .. 1 MiB, then 2 MiB */
    assert_int_equal((uintptr_t)sl.regions[sl.n - 1] % WHY_SLAB_HUGE, 0);
    uint8_t *big = why_slab_take(&sl, 3 * WHY_SLAB_HUGE); /* past a region: its own */
    assert_non_null(big);
    memset(big, 1, 3 * WHY_SLAB_HUGE);
    uint32_t n = sl.n;
    assert_non_null(why_slab_take(&sl, 16)); /* the big one's region, then 2 MiB ones again */
    assert_non_null(why_slab_take(&sl, (size_t)5 * WHY_SLAB_HUGE / 2 - 32));
    assert_int_equal(sl.n, n + 1);
    assert_int_equal(sl.next, WHY_SLAB_HUGE);
    why_slab_free(&sl);
    assert_int_equal(sl.n, 0);
    assert_null(sl.regions);
}

/* A list on a slab: new blocks from the slab, every block given back kept (max is not a cap:
 * the slab's blocks cannot be freed one by one), zeroed when asked; a drain empties the list
 * and the slab's free returns the memory. */
static void spare_on_slab(void **state)
{
    (void)state;
    struct why_slab sl = {0};
    struct why_spare sp = {.max = 1, .slab = &sl};
    struct block *v[5];
    for (int i = 0; i < 5; i++) {
        v[i] = why_spare_get(&sp, sizeof *v[i], i % 2 == 0);
        assert_non_null(v[i]);
        memset(v[i], 0xee, sizeof *v[i]);
    }
    assert_ptr_equal(v[1], v[0] + 1); /* one after another in the region */
    for (int i = 0; i < 5; i++)
        why_spare_give(&sp, v[i]);
    assert_int_equal(sp.n, 5);
    struct block *z = why_spare_get(&sp, sizeof *z, true);
    assert_ptr_equal(z, v[4]);
    for (int i = 0; i < 16; i++)
        assert_int_equal(z->words[i], 0);
    why_spare_give(&sp, z);
    why_spare_drain(&sp);
    assert_null(sp.head);
    assert_int_equal(sp.n, 0);
    why_slab_free(&sl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reused_and_zeroed),
        cmocka_unit_test(at_most_max),
        cmocka_unit_test(blocks_on_lines),
        cmocka_unit_test(slab_regions),
        cmocka_unit_test(spare_on_slab),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
