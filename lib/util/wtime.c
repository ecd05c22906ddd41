/* Packet-time formatting: UTC only, so output is the same on every machine. */
#include "util/wtime.h"

#include <string.h>

static char *digits(char *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + n;
}

/* The proleptic Gregorian date of a day count from 1970-01-01 (H. Hinnant's civil_from_days,
 * what gmtime gives), without gmtime_r's locking and snprintf: every evidence line has a time. */
char *why_ts_format(struct why_ts t, char *buf, size_t size)
{
    /* Clamp to years 0001..9999 so the string stays one fixed-width token. */
    int64_t sec = t.sec;
    if (sec < -62135596800LL)
        sec = -62135596800LL;
    if (sec > 253402300799LL)
        sec = 253402300799LL;
    int64_t days = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
    int64_t rem = sec - days * 86400; /* 0..86399 */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    uint64_t doe = (uint64_t)(z - era * 146097);
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    uint64_t mp = (5 * doy + 2) / 153;
    uint64_t d = doy - (153 * mp + 2) / 5 + 1;
    uint64_t m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = (int64_t)yoe + era * 400 + (m <= 2);
    char s[32], *p = s;
    p = digits(p, (uint64_t)y, 4);
    *p++ = '-';
    p = digits(p, m, 2);
    *p++ = '-';
    p = digits(p, d, 2);
    *p++ = 'T';
    p = digits(p, (uint64_t)rem / 3600, 2);
    *p++ = ':';
    p = digits(p, (uint64_t)rem / 60 % 60, 2);
    *p++ = ':';
    p = digits(p, (uint64_t)rem % 60, 2);
    *p++ = '.';
    p = digits(p, (t.nsec % 1000000000u) / 1000, 6);
    *p++ = 'Z';
    if (size) { /* as snprintf: cut to size, always terminated */
        size_t n = (size_t)(p - s) < size ? (size_t)(p - s) : size - 1;
        memcpy(buf, s, n);
        buf[n] = 0;
    }
    return buf;
}
