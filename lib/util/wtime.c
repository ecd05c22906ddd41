/* Packet-time formatting: UTC only, so output is the same on every machine. */
#include "util/wtime.h"

#include <stdio.h>
#include <time.h>

char *why_ts_format(struct why_ts t, char *buf, size_t size)
{
    /* Clamp to years 0001..9999 so the string stays one fixed-width token. */
    int64_t sec = t.sec;
    if (sec < -62135596800LL)
        sec = -62135596800LL;
    if (sec > 253402300799LL)
        sec = 253402300799LL;
    time_t tt = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&tt, &tm)) {
        snprintf(buf, size, "1970-01-01T00:00:00.000000Z");
        return buf;
    }
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)((t.nsec % 1000000000u) / 1000));
    return buf;
}
