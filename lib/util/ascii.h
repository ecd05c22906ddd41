/* Small helpers for header names and values taken from the wire: case-insensitive comparison
 * with a lower-case literal, and bounded copies into fixed fields. Values are counted byte
 * strings, never assumed NUL-terminated; every copy is truncated to its destination. */
#ifndef WHY_UTIL_ASCII_H
#define WHY_UTIL_ASCII_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint8_t why_ascii_lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* s (NUL-terminated) is the literal `lit` (a method name: "CONNECT", "HEAD"): its first byte
 * compared inline, so the usual answer (a GET is neither) costs no call into the library's
 * strcmp, which each request's head, index and join asked several times. */
static inline bool why_str_is(const char *s, const char *lit)
{
    return s[0] == lit[0] && strcmp(s, lit) == 0;
}

/* True if s[0..n) equals the lower-case literal `lit`, ignoring ASCII case. */
static inline bool why_ascii_ieq(const uint8_t *s, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    if (n != l)
        return false;
    for (size_t i = 0; i < n; i++)
        if (why_ascii_lower(s[i]) != (uint8_t)lit[i])
            return false;
    return true;
}

/* Copies v[0..n) into a field of `size` (>= 1) bytes, truncated, NUL-terminated. */
static inline void why_ascii_copy(char *dst, size_t size, const uint8_t *v, size_t n)
{
    if (n >= size)
        n = size - 1;
    if (n)
        memcpy(dst, v, n);
    dst[n] = 0;
}

/* Copies the string src into a field of `size` (>= 1) bytes, truncated, NUL-terminated:
 * snprintf(dst, size, "%s", src) without the format's cost (an incident copies dozens). */
static inline void why_str_copy(char *dst, size_t size, const char *src)
{
    why_ascii_copy(dst, size, (const uint8_t *)src, strnlen(src, size - 1));
}

/* Appends v[0..n) to the list in dst (", " between elements), truncated: for list-valued
 * fields (Via, Proxy-Status) split over several lines or header fields. */
static inline void why_ascii_append(char *dst, size_t size, const uint8_t *v, size_t n)
{
    size_t cur = strlen(dst);
    if (n == 0)
        return;
    if (cur && cur + 2 < size) {
        memcpy(dst + cur, ", ", 2);
        cur += 2;
    }
    if (cur + 1 >= size)
        return;
    if (n > size - 1 - cur)
        n = size - 1 - cur;
    memcpy(dst + cur, v, n);
    dst[cur + n] = 0;
}

#endif
