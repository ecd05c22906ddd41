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

/* HTML: '&', '<', '>', '"', '\'' and '`' become character references in every context, so one
 * function serves element text, double-quoted attribute values, <title> and SVG <text>.
 * Well-formed UTF-8 passes through, except code points that hide or reorder text (C1
 * controls, bidirectional overrides and isolates, line/paragraph separators, the BOM), which
 * are shown as \u{XXXX}. Control characters, DEL and each byte of invalid UTF-8 (overlong
 * forms, surrogates, truncated sequences) are shown as \xNN. In element text and SVG text the
 * shown escapes are wrapped in a span/tspan of class "x" so the page can mark them. */
static size_t utf8_len(const unsigned char *p, size_t left, uint32_t *cp)
{
    unsigned char b = p[0];
    size_t n;
    uint32_t lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    if (b >= 0xc2 && b <= 0xdf)
        n = 2;
    else if (b >= 0xe0 && b <= 0xef) {
        n = 3;
        if (b == 0xe0)
            lo = 0xa0;
        else if (b == 0xed)
            hi = 0x9f; /* no UTF-16 surrogates */
    } else if (b >= 0xf0 && b <= 0xf4) {
        n = 4;
        if (b == 0xf0)
            lo = 0x90;
        else if (b == 0xf4)
            hi = 0x8f;
    } else
        return 0;
    if (left < n || p[1] < lo || p[1] > hi)
        return 0;
    uint32_t c = b & (0x7f >> n);
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (p[i] & 0x3f);
    }
    *cp = c;
    return n;
}

static bool hidden_code_point(uint32_t c)
{
    return (c >= 0x80 && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
           c == 0x200e || c == 0x200f || c == 0x061c || c == 0x2028 || c == 0x2029 || c == 0xfeff;
}

static void html_shown(FILE *out, enum why_html_ctx ctx, bool code_point, uint32_t v)
{
    if (ctx == WHY_HTML_TEXT)
        fputs("<span class=\"x\">", out);
    else if (ctx == WHY_HTML_SVG)
        fputs("<tspan class=\"x\">", out);
    if (code_point)
        fprintf(out, "\\u{%04x}", (unsigned)v);
    else
        fprintf(out, "\\x%02x", (unsigned)v);
    if (ctx == WHY_HTML_TEXT)
        fputs("</span>", out);
    else if (ctx == WHY_HTML_SVG)
        fputs("</tspan>", out);
}

void why_esc_html_n(FILE *out, enum why_html_ctx ctx, const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char b = s[i];
        const char *ref = NULL;
        switch (b) {
        case '&': ref = "&amp;"; break;
        case '<': ref = "&lt;"; break;
        case '>': ref = "&gt;"; break;
        case '"': ref = "&quot;"; break;
        case '\'': ref = "&#39;"; break;
        case '`': ref = "&#96;"; break;
        default: break;
        }
        if (ref) {
            fputs(ref, out);
            i++;
        } else if (b >= 0x20 && b < 0x7f) {
            fputc(b, out);
            i++;
        } else if (b < 0x80) {
            html_shown(out, ctx, false, b);
            i++;
        } else {
            uint32_t cp = 0;
            size_t len = utf8_len(s + i, n - i, &cp);
            if (len == 0) {
                html_shown(out, ctx, false, b);
                i++;
            } else {
                if (hidden_code_point(cp))
                    html_shown(out, ctx, true, cp);
                else
                    fwrite(s + i, 1, len, out);
                i += len;
            }
        }
    }
}

void why_esc_html(FILE *out, enum why_html_ctx ctx, const char *s)
{
    why_esc_html_n(out, ctx, (const uint8_t *)s, strlen(s));
}
