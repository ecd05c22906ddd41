/* util/sort.h: pointers sorted by a 64-bit key of what they point to, by insertion for few
 * entries and by radix over the keys' span for more, against qsort's order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/sort.h"

struct item {
    uint64_t key;
    int payload;
};

WHY_SORT_BY_KEY(sort_items, struct item, p->key)

static int by_key(const void *a, const void *b)
{
    uint64_t x = (*(struct item *const *)a)->key, y = (*(struct item *const *)b)->key;
    return x < y ? -1 : x > y;
}

/* splitmix64: the test's own reproducible numbers */
static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* n items of distinct keys base + k * step (k a permutation of 0..n-1), shuffled or nearly in
 * order, sorted both ways: the same pointers in the same order. */
static void check(size_t n, uint64_t base, uint64_t step, bool nearly, uint64_t seed)
{
    struct item *items = malloc((n ? n : 1) * sizeof *items);
    struct item **a = malloc((n ? n : 1) * sizeof *a), **b = malloc((n ? n : 1) * sizeof *b);
    assert_non_null(items);
    assert_non_null(a);
    assert_non_null(b);
    for (size_t i = 0; i < n; i++) {
        items[i].key = base + (uint64_t)i * step;
        items[i].payload = (int)i;
        a[i] = &items[i];
    }
    uint64_t s = seed;
    for (size_t i = n; i > 1; i--) {
        size_t j = nearly ? (i - 1 - (next(&s) % 3 < 1 ? 1 : 0)) : (size_t)(next(&s) % i);
        struct item *t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
    memcpy(b, a, n * sizeof *a);
    sort_items(a, n);
    qsort(b, n, sizeof *b, by_key);
    for (size_t i = 0; i < n; i++)
        assert_ptr_equal(a[i], b[i]);
    for (size_t i = 1; i < n; i++)
        assert_true(a[i - 1]->key < a[i]->key);
    free(items);
    free(a);
    free(b);
}

static void as_qsort(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 2, 3, 23, 24, 25, 26, 100, 255, 256, 257, 1000, 4097, 70001};
    /* spans of one byte, two, three, and keys across the whole 64 bits */
    static const uint64_t steps[] = {1, 3, 251, 65537, 0x0123456789abcdefu};
    static const uint64_t bases[] = {0, 1000000, UINT64_MAX / 2, 0xff00000000000000u};
    uint64_t seed = 1;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++)
            for (size_t m = 0; m < sizeof bases / sizeof bases[0]; m++) {
                size_t n = sizes[i];
                /* base + (n - 1) * step must not wrap (distinct keys) */
                if (n > 1 && (UINT64_MAX - bases[m]) / (n - 1) < steps[k])
                    continue;
                check(n, bases[m], steps[k], false, seed++);
                check(n, bases[m], steps[k], true, seed++);
            }
}

/* Keys in order already are found so by the pass over them and left as they are; one pair out
 * of order anywhere (first, middle, last) is not taken for order. */
static void in_order_kept(void **state)
{
    (void)state;
    enum { N = 300 };
    static struct item items[N];
    struct item *a[N];
    for (size_t i = 0; i < N; i++) {
        items[i].key = 1000 + 7 * (uint64_t)i;
        a[i] = &items[i];
    }
    sort_items(a, N);
    for (size_t i = 0; i < N; i++)
        assert_ptr_equal(a[i], &items[i]);
    static const size_t at[] = {0, N / 2, N - 2};
    for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
        for (size_t i = 0; i < N; i++)
            a[i] = &items[i];
        a[at[k]] = &items[at[k] + 1];
        a[at[k] + 1] = &items[at[k]];
        sort_items(a, N);
        for (size_t i = 0; i < N; i++)
            assert_ptr_equal(a[i], &items[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(as_qsort),
        cmocka_unit_test(in_order_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
