/* why_fmt against snprintf: the same return value and the same bytes in the buffer (those
 * past what is written untouched), for every size from 0 to past the whole, for the
 * conversions it formats itself and for those it hands to vsnprintf. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "util/fmt.h"

#define ROOM 96

/* each size 0..ROOM, both into buffers filled with '#' */
#define SAME(...)                                                                                  \
    do {                                                                                           \
        for (size_t size = 0; size <= ROOM; size++) {                                              \
            char a[ROOM + 8], b[ROOM + 8];                                                         \
            memset(a, '#', sizeof a);                                                              \
            memset(b, '#', sizeof b);                                                              \
            int ra = snprintf(size ? a : NULL, size, __VA_ARGS__);                                 \
            int rb = why_fmt(size ? b : NULL, size, __VA_ARGS__);                                  \
            assert_int_equal(ra, rb);                                                              \
            assert_memory_equal(a, b, sizeof a);                                                   \
        }                                                                                          \
    } while (0)

static void own_conversions(void **state)
{
    (void)state;
    SAME("%s", "");
    SAME("plain words, no conversion");
    SAME("SYN to %s retransmitted (try %u)", "198.19.0.12:80", 3u);
    SAME("%s answered %d and %s%%", "gateway", 503, "100");
    SAME("%d %d %d %d", 0, -1, INT_MAX, INT_MIN);
    SAME("%u %u", 0u, UINT_MAX);
    SAME("%ld %lu", LONG_MIN, ULONG_MAX);
    SAME("%lld %llu", LLONG_MIN, ULLONG_MAX);
    SAME("%" PRId64 " body bytes of %" PRIu64, INT64_C(-9007199254740993), UINT64_C(18446744073709551615));
    SAME("%zu records", (size_t)123456789);
    SAME("%%%s%%", "x");
    SAME("%s%s%s%s", "a", "bc", "", "def");
    SAME("the last %u of %s", 12u, "a longer string that does not fit in the smaller of the buffers at all");
}

static void handed_to_stdio(void **state)
{
    (void)state;
    SAME("after %.1f ms", 12.25);
    SAME("%.0f s, %.2f s, %.3f", 3.5, 0.125, 1.0005);
    SAME("%5d|%-4s|%02u", 42, "ab", 7u);
    SAME("%s waited %.3f s (%u tries)", "drop.example", 2.5, 3u);
    SAME("%c%x", 'y', 255u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(own_conversions),
        cmocka_unit_test(handed_to_stdio),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
