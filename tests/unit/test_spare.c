/* util/spare.h: blocks given back are handed out again (zeroed when asked), at most `max` are
 * kept, the rest freed, and a drain frees them all (LeakSanitizer, in the ASan build, holds
 * the test to that). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reused_and_zeroed),
        cmocka_unit_test(at_most_max),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
