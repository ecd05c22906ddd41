/* Request-target parsing: absolute-form, origin-form + Host, CONNECT, IPv6 literals, ports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/url.h"

static void parse(const char *method, const char *target, const char *host, struct why_url *u)
{
    why_url_parse(method, target, strlen(target), host, u);
}

static void absolute_form(void **state)
{
    (void)state;
    struct why_url u;
    parse("GET", "http://Example.LAB:8080/a/b?c=d", "", &u);
    assert_string_equal(u.host, "example.lab");
    assert_int_equal(u.port, 8080);
    assert_string_equal(u.path, "/a/b?c=d");
    assert_string_equal(why_url_abs(&u), "http://Example.LAB:8080/a/b?c=d");
    parse("GET", "http://nx.lab", "", &u);
    assert_string_equal(u.path, "/");
    assert_int_equal(u.port, 80);
    parse("GET", "http://user:pw@198.19.0.10/x", "", &u);
    assert_string_equal(u.host, "198.19.0.10");
    assert_true(u.host_is_ip);
}

static void origin_form(void **state)
{
    (void)state;
    struct why_url u;
    parse("GET", "/index.html", "shop.lab:8443", &u);
    assert_string_equal(u.host, "shop.lab");
    assert_int_equal(u.port, 8443);
    assert_string_equal(why_url_abs(&u), "http://shop.lab:8443/index.html");
    parse("GET", "/x", "", &u);
    assert_string_equal(why_url_abs(&u), "http://-/x");
    parse("GET", "/x", "[fd00::10]:81", &u);
    assert_true(u.host_is_ip);
    assert_int_equal(u.ip.family, 6);
    assert_string_equal(why_url_abs(&u), "http://[fd00::10]:81/x");
}

static void connect_form(void **state)
{
    (void)state;
    struct why_url u;
    parse("CONNECT", "secure.lab:443", "", &u);
    assert_string_equal(u.host, "secure.lab");
    assert_int_equal(u.port, 443);
    assert_string_equal(why_url_abs(&u), "secure.lab:443");
    assert_string_equal(u.path, "");
}

static void hostile(void **state)
{
    (void)state;
    struct why_url u;
    char big[5000];
    memset(big, 'a', sizeof big);
    memcpy(big, "http://", 7);
    why_url_parse("GET", big, sizeof big, NULL, &u); /* not NUL-terminated, longer than fields */
    assert_true(strlen(u.host) < sizeof u.host);
    assert_true(strlen(why_url_abs(&u)) < sizeof u.abs);
    why_url_parse("GET", "http://[", 8, NULL, &u);
    why_url_parse("GET", "http:", 5, "[::1", &u);
    why_url_parse(NULL, NULL, 0, NULL, &u);
    assert_true(why_url_path_suffix("/a", "/prefix/a"));
    assert_false(why_url_path_suffix("/", "/prefix/"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(absolute_form),
        cmocka_unit_test(origin_form),
        cmocka_unit_test(connect_form),
        cmocka_unit_test(hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
