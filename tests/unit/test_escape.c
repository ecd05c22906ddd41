/* The escapers: the only path from wire bytes to a terminal or a JSON document. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report/report.h"

static char *capture_out(void (*fn)(FILE *, const char *), const char *in)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fn(f, in);
    fclose(f);
    return buf;
}

static void text_escapes_controls(void **state)
{
    (void)state;
    char *s = capture_out(why_esc_text, "a\033[31mred\r\n\x7f\xff");
    assert_string_equal(s, "a\\x1b[31mred\\x0d\\x0a\\x7f\\xff");
    free(s);
}

static void json_escapes(void **state)
{
    (void)state;
    char *s = capture_out(why_esc_json, "q\"b\\\n\t\x01\xc3\xa9");
    assert_string_equal(s, "\"q\\\"b\\\\\\n\\t\\u0001\\u00c3\\u00a9\"");
    free(s);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    const uint8_t raw[] = {'S', 0, 'H'};
    why_esc_json_n(f, raw, sizeof raw);
    fclose(f);
    assert_string_equal(buf, "\"S\\u0000H\"");
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_escapes_controls),
        cmocka_unit_test(json_escapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
