/* why_fmt: util/fmt.h. */
#include "util/fmt.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* v in decimal, ending at end (no NUL): its first byte */
static char *decimal(char *end, unsigned long long v)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

/* s[0..len) at out[*n], as much as fits before the NUL's place; *n counts it all */
static void put(char *out, size_t size, size_t *n, const char *s, size_t len)
{
    if (*n + 1 < size) {
        size_t room = size - 1 - *n;
        memcpy(out + *n, s, len < room ? len : room);
    }
    *n += len;
}

int why_fmt(char *out, size_t size, const char *fmt, ...)
{
    va_list ap, whole;
    va_start(ap, fmt);
    va_copy(whole, ap);
    size_t n = 0; /* the length so far, written or not */
    for (const char *p = fmt; *p;) {
        const char *pct = strchr(p, '%');
        size_t lit = pct ? (size_t)(pct - p) : strlen(p);
        put(out, size, &n, p, lit);
        if (!pct)
            break;
        const char *q = pct + 1;
        int l = 0;
        bool z = false;
        while (*q == 'l' && l < 2) {
            l++;
            q++;
        }
        if (!l && *q == 'z') {
            z = true;
            q++;
        }
        char num[24], *d = num + sizeof num;
        if (*q == '%' && q == pct + 1) {
            put(out, size, &n, "%", 1);
        } else if (*q == 's' && !l && !z) {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)"; /* (glibc's) */
            put(out, size, &n, s, strlen(s));
        } else if (*q == 'd' && !z) {
            long long v = l == 2 ? va_arg(ap, long long) : l ? va_arg(ap, long) : va_arg(ap, int);
            d = decimal(d, v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v);
            if (v < 0)
                *--d = '-';
            put(out, size, &n, d, (size_t)(num + sizeof num - d));
        } else if (*q == 'u') {
            unsigned long long v = l == 2 ? va_arg(ap, unsigned long long)
                                   : l   ? va_arg(ap, unsigned long)
                                   : z   ? va_arg(ap, size_t)
                                         : va_arg(ap, unsigned);
            d = decimal(d, v);
            put(out, size, &n, d, (size_t)(num + sizeof num - d));
        } else { /* a flag, width, precision or other conversion: stdio's, whole */
            va_end(ap);
            int r = vsnprintf(out, size, fmt, whole);
            va_end(whole);
            return r;
        }
        p = q + 1;
    }
    if (size)
        out[n < size ? n : size - 1] = 0;
    va_end(ap);
    va_end(whole);
    return (int)n;
}
