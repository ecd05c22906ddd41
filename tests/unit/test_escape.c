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
    char *s = capture_out(why_esc_json, "q\"b\\\n\t\x01\x7f\xc3\xa9");
    assert_string_equal(s, "\"q\\\"b\\\\\\n\\t\\u0001\\u007f\xc3\xa9\"");
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

/* The escaper gathers its output in a buffer of its own: a string longer than the buffer,
 * with escapes on either side of where it fills, comes out whole and in order. */
static void json_longer_than_buffer(void **state)
{
    (void)state;
    enum { N = 20000 };
    uint8_t *in = malloc(N);
    char *want = malloc(2 * N + 3);
    assert_non_null(in);
    assert_non_null(want);
    size_t w = 0;
    want[w++] = '"';
    for (size_t i = 0; i < N; i++) {
        in[i] = (i % 4093 == 7) ? '"' : (uint8_t)('a' + i % 26);
        if (in[i] == '"')
            want[w++] = '\\';
        want[w++] = (char)in[i];
    }
    want[w++] = '"';
    want[w] = 0;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fputs("x", f); /* what the stream held before stays first */
    why_esc_json_n(f, in, N);
    fclose(f);
    assert_int_equal(len, w + 1);
    assert_int_equal(buf[0], 'x');
    assert_string_equal(buf + 1, want);
    free(buf);
    free(want);
    free(in);
}

/* Valid UTF-8 goes out as it is; each byte of an invalid sequence is \ufffd; controls and the
 * JavaScript line separators are escaped. */
static void json_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"caf\xc3\xa9.example", "\"caf\xc3\xa9.example\""},                 /* é */
        {"\xe6\x97\xa5\xe6\x9c\xac", "\"\xe6\x97\xa5\xe6\x9c\xac\""},          /* 日本 */
        {"\xf0\x9f\x98\x80!", "\"\xf0\x9f\x98\x80!\""},                       /* U+1F600 */
        {"\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""},                         /* U+10FFFF */
        {"caf\xe9", "\"caf\\ufffd\""},                                        /* Latin-1 é */
        {"\x80x", "\"\\ufffdx\""},                                            /* lone continuation */
        {"\xc0\xaf", "\"\\ufffd\\ufffd\""},                                   /* overlong '/' */
        {"\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\""},                        /* overlong, 3 bytes */
        {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""},                        /* surrogate U+D800 */
        {"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""},             /* past U+10FFFF */
        {"\xf5\xff\xfe", "\"\\ufffd\\ufffd\\ufffd\""},
        {"a\xe2\x82", "\"a\\ufffd\\ufffd\""},                                  /* cut at the end */
        {"\xe2\x82x\xac", "\"\\ufffd\\ufffdx\\ufffd\""},                       /* cut in the middle */
        {"\xc2\x85\xc2\x9b[", "\"\\u0085\\u009b[\""},                          /* C1 controls (NEL, CSI) */
        {"\xc2\xa0", "\"\xc2\xa0\""},                                          /* U+00A0 is printable */
        {"\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\xaa", "\"\\u2028\\u2029\xe2\x80\xaa\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = capture_out(why_esc_json, cases[i].in);
        assert_string_equal(s, cases[i].out);
        free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_escapes_controls),
        cmocka_unit_test(json_escapes),
        cmocka_unit_test(json_utf8),
        cmocka_unit_test(json_longer_than_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
