/* The one place where strings that may hold wire bytes are escaped, per output format.
 * Nothing from a capture reaches a terminal or a JSON document any other way: no control
 * characters, no ANSI escapes, no invalid UTF-8 (bytes >= 0x80 are written as escapes). */
#include <string.h>

#include "report/report.h"

void why_esc_json(FILE *out, const char *s) { why_esc_json_n(out, (const uint8_t *)s, strlen(s)); }

void why_esc_json_n(FILE *out, const uint8_t *s, size_t n)
{
    fputc('"', out);
    for (const unsigned char *p = s; p < s + n; p++) {
        switch (*p) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (*p < 0x20 || *p >= 0x7f)
                fprintf(out, "\\u%04x", *p);
            else
                fputc(*p, out);
        }
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
