/* Request-target parsing: absolute-form, origin-form + Host, CONNECT, IPv6 literals, ports;
 * the report's time and address text (util/wtime.c, decode/addr.c) against the libc's. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "decode/decode.h"
#include "util/url.h"
#include "util/wtime.h"

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

/* why_url_key gives the host and path why_url_parse gives (the path in place, not copied) */
static void key_as_parse(const char *method, const char *target, size_t n, const char *host)
{
    struct why_url u;
    struct why_url_key k;
    why_url_parse(method, target, n, host, &u);
    why_url_key(method, target, n, host, &k);
    assert_string_equal(k.host, u.host);
    assert_int_equal(k.host_is_ip, u.host_is_ip);
    if (u.host_is_ip)
        assert_memory_equal(&k.ip, &u.ip, sizeof u.ip);
    assert_int_equal(k.path_len, strlen(u.path));
    assert_memory_equal(k.path, u.path, k.path_len);
}

static void key_of_target(void **state)
{
    (void)state;
    static const char *const targets[] = {
        "/", "/a/b?c=d", "*", "", "http://Example.LAB:8080/a/b?c=d", "HTTPS://h.lab", "http://h.lab",
        "http://user:pw@H.lab.:81/x", "http://[2001:DB8::1]:8080/p", "http://[::1", "http://198.19.0.1/",
        "http:/x", "ftp://h/x", "shop.lab:443", "[2001:db8::2]:443", "x", "/a//b/", "h://",
        "verylongscheme://h/x", "http://h.lab/a\0b", "http://h.lab\0/x",
    };
    static const char *const methods[] = {"GET", "CONNECT", "HEAD", ""};
    static const char *const hosts[] = {"", "Shop.LAB", "shop.lab:8080", "[2001:db8::3]:80", "198.19.0.9",
                                        "a@b", "[::1", NULL};
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++)
        for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++)
            for (size_t h = 0; h < sizeof hosts / sizeof hosts[0]; h++) {
                /* "\0" in the table stands for a NUL byte in the target */
                char t[64];
                size_t n = 0;
                for (const char *c = targets[i]; *c; c++)
                    t[n++] = (c[0] == '\\' && c[1] == '0') ? (c++, '\0') : *c;
                key_as_parse(methods[m], t, n, hosts[h]);
            }
    /* a path longer than why_url_parse's copy; no target at all */
    static char big[3000];
    memset(big, 'b', sizeof big);
    memcpy(big, "http://h/", 9);
    for (size_t n = WHY_URL_PATH_SIZE - 2; n <= WHY_URL_PATH_SIZE + 10; n++) /* at the copy's bound */
        key_as_parse("GET", big, n, NULL);
    key_as_parse("GET", big, sizeof big, NULL);
    big[0] = '/';
    for (size_t n = WHY_URL_PATH_SIZE - 2; n <= WHY_URL_PATH_SIZE + 2; n++)
        key_as_parse("GET", big, n, "h");
    key_as_parse("GET", big, sizeof big, "h");
    key_as_parse("GET", NULL, 0, "h");
    key_as_parse(NULL, "/x", 2, NULL);
    /* bytes of every kind where the parse splits a URL */
    uint64_t r = 7;
    static const char alphabet[] = "/:@[]%.AZaz09*?# \t\x80\xff";
    for (int round = 0; round < 20000; round++) {
        char t[24];
        size_t n = 0;
        static const char *const starts[] = {"", "http://", "https://", "/", "["};
        r = r * 6364136223846793005u + 1442695040888963407u;
        const char *st = starts[(r >> 33) % 5];
        n = strlen(st);
        memcpy(t, st, n);
        size_t len = n + (size_t)((r >> 40) % 12);
        for (; n < len; n++) {
            r = r * 6364136223846793005u + 1442695040888963407u;
            t[n] = (r >> 60) == 0 ? '\0' : alphabet[(r >> 33) % (sizeof alphabet - 1)];
        }
        key_as_parse((r >> 20) % 7 == 0 ? "CONNECT" : "GET", t, n, (r >> 24) % 3 == 0 ? "H.lab:1" : "");
    }
}

/* what gmtime_r and snprintf give, the way the times were written before */
static void libc_ts(int64_t sec, uint32_t nsec, char *buf, size_t size)
{
    if (sec < -62135596800LL)
        sec = -62135596800LL;
    if (sec > 253402300799LL)
        sec = 253402300799LL;
    time_t tt = (time_t)sec;
    struct tm tm;
    gmtime_r(&tt, &tm);
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)((nsec % 1000000000u) / 1000));
}

static void ts_text_as_libc(void **state)
{
    (void)state;
    static const int64_t edges[] = {0, -1, 59, 86399, 86400, -86400, -86401, 951782400, 951868800,
                                    4107542400, 1798761599, 1798761600, -62135596800LL,
                                    -62135596801LL, 253402300799LL, 253402300800LL, INT64_MAX / 2,
                                    -INT64_MAX / 2};
    char want[96], got[96];
    uint64_t x = 88172645463325252u;
    for (size_t i = 0; i < sizeof edges / sizeof edges[0] + 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int64_t sec = i < sizeof edges / sizeof edges[0] ? edges[i]
                                                          : (int64_t)(x % 320000000000u) - 64000000000LL;
        uint32_t nsec = (uint32_t)(x >> 20) % 1000000000u;
        libc_ts(sec, nsec, want, sizeof want);
        assert_string_equal(why_ts_format((struct why_ts){sec, nsec, 0}, got, sizeof got), want);
    }
    why_ts_format((struct why_ts){0, 0, 0}, got, 5); /* cut like snprintf */
    assert_string_equal(got, "1970");
}

static void addr_text_as_libc(void **state)
{
    (void)state;
    char want[64], got[64], host[INET6_ADDRSTRLEN];
    uint64_t x = 2463534242u;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        struct why_addr a = {.family = 4};
        memcpy(a.a, &x, 4);
        if (i < 256)
            memset(a.a, i, 4); /* 0.0.0.0, 9.9.9.9, 10.10.10.10, 100..., 255... */
        inet_ntop(AF_INET, a.a, host, sizeof host);
        assert_string_equal(why_addr_str(&a, got, sizeof got), host);
        uint16_t port = (uint16_t)(x >> 40);
        snprintf(want, sizeof want, "%s:%u", host, (unsigned)port);
        assert_string_equal(why_endpoint_str(&a, port, got, sizeof got), want);
        why_endpoint_str(&a, port, got, 8);
        want[7] = 0;
        assert_string_equal(got, want);
    }
}

/* A host is an address exactly when inet_pton takes it, whatever its case, however near a
 * name it looks: hex-only names, a trailing dot, zones and stray letters. */
static void host_literal_or_name(void **state)
{
    (void)state;
    static const struct {
        const char *host; /* as a Host header has it */
        int family;       /* 0: a name */
    } cases[] = {
        {"198.19.0.10", 4},  {"198.19.0.10.", 4},   {"[DEAD::BEEF]", 6}, {"[::ffff:198.19.0.1]", 6},
        {"[fd00::10]:81", 6}, {"cafe.bad", 0},      {"abc", 0},          {"[fe80::1%eth0]", 0},
        {"198.19.0.1x", 0},  {"1.2.3", 0},          {"[g::1]", 0},       {"[face:b00c::]", 6},
        {"", 0},             {"CAFE.BAD:8080", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct why_url u;
        parse("GET", "/", cases[i].host, &u);
        assert_int_equal(u.host_is_ip, cases[i].family != 0);
        assert_int_equal(u.ip.family, cases[i].family);
        struct why_addr want; /* what the parser makes of the host it kept */
        if (why_addr_parse(u.host, &want) != 0)
            memset(&want, 0, sizeof want);
        assert_memory_equal(&u.ip, &want, sizeof want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(absolute_form),
        cmocka_unit_test(origin_form),
        cmocka_unit_test(connect_form),
        cmocka_unit_test(host_literal_or_name),
        cmocka_unit_test(hostile),
        cmocka_unit_test(key_of_target),
        cmocka_unit_test(ts_text_as_libc),
        cmocka_unit_test(addr_text_as_libc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
