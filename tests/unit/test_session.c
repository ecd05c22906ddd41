/* The session as a driver: frames in, incidents out as soon as their evidence is complete,
 * and why_session_tick deciding what waits when no packet comes (live capture), so that the
 * end of input (why_session_finish) only adds what the capture cut short. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "capture/capture.h"
#include "why502/why502.h"

#ifndef WHY_SOURCE_DIR
#define WHY_SOURCE_DIR "."
#endif

struct count {
    int n;
    uint64_t last_id;
};

static void on_incident(void *ctx, const struct why_incident *inc)
{
    struct count *c = ctx;
    c->n++;
    assert_int_equal(inc->id, c->last_id + 1);
    c->last_id = inc->id;
    assert_true(inc->summary[0] && inc->fix[0]);
    for (uint32_t i = 0; i < inc->nevidence; i++)
        assert_true(inc->evidence[i].frame > 0 && inc->evidence[i].what[0]);
}

static int run(bool tick, int *before_tick, int *after_tick)
{
    const char *path = WHY_SOURCE_DIR "/examples/squid-forward-proxy.pcap";
    struct why_reader *r;
    char err[256];
    assert_int_equal(why_reader_open(&r, &path, 1, err, sizeof err), 0);
    struct count c = {0, 0};
    struct why_sink sink = {&c, on_incident};
    struct why_options o;
    why_options_init(&o);
    struct why_session *s = why_session_new(&o, &sink, err, sizeof err);
    assert_non_null(s);
    struct why_frame f;
    struct why_ts last = {0, 0};
    while (why_reader_next(r, &f) == WHY_READ_FRAME) {
        why_session_frame(s, &f);
        last = f.ts;
    }
    *before_tick = c.n;
    if (tick) {
        why_session_tick(s, why_ts_add_us(last, 1000)); /* too early: nothing settles */
        why_session_tick(s, why_ts_add_us(last, 60LL * 1000000));
    }
    *after_tick = c.n;
    why_session_finish(s);
    int total = c.n;
    assert_int_equal((int)why_session_summary(s)->failed, total);
    why_session_free(s);
    why_reader_free(r);
    return total;
}

static void tick_decides_without_packets(void **state)
{
    (void)state;
    int before, after, b2, a2;
    int total = run(true, &before, &after);
    int total_no_tick = run(false, &b2, &a2);
    assert_int_equal(total, total_no_tick);   /* the same incidents either way */
    assert_int_equal(before, b2);
    assert_true(after > before);              /* the tick decided the last requests */
    assert_true(total > 0);
}

static void bad_gateway_option(void **state)
{
    (void)state;
    struct why_options o;
    char err[256];
    why_options_init(&o);
    o.gateways = "not-an-address";
    assert_int_equal(why_options_check(&o, err, sizeof err), -1);
    assert_non_null(strstr(err, "not-an-address"));
    o.gateways = "198.18.1.1:9090,[fd00:1::1]:9090";
    assert_int_equal(why_options_check(&o, err, sizeof err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tick_decides_without_packets),
        cmocka_unit_test(bad_gateway_option),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
