/* snprintf for the report's sentences, without stdio's machinery.
 *
 * Every failed request's diagnosis, evidence lines and summary are sentences formatted with
 * snprintf, a few dozen a request: glibc's snprintf sets up a string stream and walks its
 * general formatter for each, some 900 instructions a call, which at 20 % of requests failing
 * was a twentieth of why502's work. why_fmt gives the same bytes and the same return value
 * for the conversions the sentences use: %s, %d and %u with no length or with l, ll or z (so
 * PRId64 and PRIu64), and %%, with no flag, width or precision; a format with anything else
 * (a precision: %.1f) is formatted by vsnprintf, whole. */
#ifndef WHY_UTIL_FMT_H
#define WHY_UTIL_FMT_H

#include <stddef.h>

/* As snprintf(out, size, fmt, ...): at most size - 1 bytes and a NUL (size > 0), and the
 * length the whole would have. */
__attribute__((format(printf, 3, 4))) int why_fmt(char *out, size_t size, const char *fmt, ...);

#endif
