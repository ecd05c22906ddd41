/* The one place where strings that may hold wire bytes are escaped, per output format.
 * Nothing from a capture reaches a terminal or a JSON document any other way: no control
 * characters, no ANSI escapes, no invalid UTF-8.
 *
 * JSON (RFC 8259): valid UTF-8 (RFC 3629: shortest form, no surrogates, at most U+10FFFF) is
 * written as it is, so host names and header values read as they were sent. Each byte that is
 * not part of a valid sequence is written as \ufffd (U+FFFD, the replacement character, one
 * per byte: what WHATWG decoders and Go's encoding/json do); the frame number lets the byte
 * itself be read from the capture. Controls (U+0000-U+001F, U+007F-U+009F) and the line
 * separators U+2028/U+2029, which JavaScript cannot take raw, are written as \uXXXX. */
#include <stdbool.h>
#include <string.h>

#include "report/report.h"

/* Length of the valid UTF-8 sequence at p (n bytes left) whose first byte is >= 0x80, or 0
 * when the byte starts none. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned char b = p[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* range of the second byte */
    if (b >= 0xC2 && b <= 0xDF)
        len = 2;
    else if (b >= 0xE0 && b <= 0xEF) {
        len = 3;
        if (b == 0xE0)
            lo = 0xA0; /* no overlong forms */
        else if (b == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (b >= 0xF0 && b <= 0xF4) {
        len = 4;
        if (b == 0xF0)
            lo = 0x90;
        else if (b == 0xF4)
            hi = 0x8F; /* nothing past U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return len;
}

void why_esc_json(FILE *out, const char *s) { why_esc_json_n(out, (const uint8_t *)s, strlen(s)); }

void why_esc_json_n(FILE *out, const uint8_t *s, size_t n)
{
    fputc('"', out);
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c >= 0x80) {
            size_t len = utf8_len(s + i, n - i);
            if (len == 0) {
                fputs("\\ufffd", out);
                i++;
                continue;
            }
            bool c1 = c == 0xC2 && s[i + 1] < 0xA0;                                  /* U+0080-U+009F */
            bool sep = c == 0xE2 && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9); /* U+2028/9 */
            if (c1)
                fprintf(out, "\\u%04x", (unsigned)s[i + 1]);
            else if (sep)
                fprintf(out, "\\u%04x", 0x2000u | (s[i + 2] & 0x3Fu));
            else
                fwrite(s + i, 1, len, out);
            i += len;
            continue;
        }
        switch (c) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (c < 0x20 || c == 0x7f)
                fprintf(out, "\\u%04x", c);
            else
                fputc(c, out);
        }
        i++;
    }
    fputc('"', out);
}

void why_esc_text(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x20 && *p < 0x7f)
            fputc(*p, out);
        else
            fprintf(out, "\\x%02x", *p);
    }
}
