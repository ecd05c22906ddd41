/* Packet time: integer seconds + nanoseconds, never floating point, never the wall clock.
 * Durations are signed microseconds (int64_t): `-i any` captures are not strictly ordered
 * across CPUs, so a "later" packet can carry an earlier stamp; callers clamp where a
 * negative wait would mislead. */
#ifndef WHY_UTIL_WTIME_H
#define WHY_UTIL_WTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct why_ts {
    int64_t sec;    /* seconds since 1970-01-01 UTC */
    uint32_t nsec;  /* 0..999999999 */
    uint32_t epoch; /* the capture's time epoch of the frame it came from (capture/capture.h:
                       +1 after each time jump); not part of the order (why_ts_cmp) */
};

static inline int64_t why_ts_us(struct why_ts t) { return t.sec * 1000000 + (int64_t)(t.nsec / 1000); }

/* b - a in microseconds (may be negative). */
static inline int64_t why_ts_diff_us(struct why_ts a, struct why_ts b)
{
    return (b.sec - a.sec) * 1000000 + ((int64_t)b.nsec - (int64_t)a.nsec) / 1000;
}

/* A wait from a to b in microseconds, or -1 when it cannot be measured: a and b lie in
 * different time epochs (a time jump between them, capture/capture.h), so their difference
 * is the clock's step, not a wait. Every wait the diagnosis reports goes through here. */
static inline int64_t why_ts_wait_us(struct why_ts a, struct why_ts b)
{
    return a.epoch != b.epoch ? -1 : why_ts_diff_us(a, b);
}

static inline int why_ts_cmp(struct why_ts a, struct why_ts b)
{
    if (a.sec != b.sec)
        return a.sec < b.sec ? -1 : 1;
    if (a.nsec != b.nsec)
        return a.nsec < b.nsec ? -1 : 1;
    return 0;
}

static inline bool why_ts_zero(struct why_ts t) { return t.sec == 0 && t.nsec == 0; }

static inline struct why_ts why_ts_add_us(struct why_ts t, int64_t us)
{
    int64_t ns = (int64_t)t.nsec + (us % 1000000) * 1000;
    t.sec += us / 1000000;
    if (ns < 0) {
        ns += 1000000000;
        t.sec--;
    } else if (ns >= 1000000000) {
        ns -= 1000000000;
        t.sec++;
    }
    t.nsec = (uint32_t)ns;
    return t;
}

/* Formats t as "2026-11-22T13:41:54.123456Z" (microseconds, UTC) into buf (>= 32 bytes).
 * Returns buf. Years outside 0..9999 print as clamped so output stays one token. */
char *why_ts_format(struct why_ts t, char *buf, size_t size);

#endif
