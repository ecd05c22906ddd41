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

/* Length of the valid UTF-8 sequence at p (left bytes) whose first byte is >= 0x80, with its
 * code point in *cp; 0 when the byte starts none (shortest form, no surrogates, <= U+10FFFF). */
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

/* printable ASCII but '"' and '\\', as a bit per byte value */
static bool json_plain(uint8_t c)
{
    static const uint64_t set[4] = {0xfffffffb00000000u, 0x7fffffffefffffffu, 0, 0};
    return (set[c >> 6] >> (c & 63)) & 1;
}

void why_esc_json(FILE *out, const char *s) { why_esc_json_n(out, (const uint8_t *)s, strlen(s)); }

void why_esc_json_n(FILE *out, const uint8_t *s, size_t n)
{
    putc_unlocked('"', out);
    for (size_t i = 0; i < n;) {
        size_t run = 0; /* printable ASCII that needs no escape: written in one call */
        while (i + run < n && json_plain(s[i + run]))
            run++;
        if (run) {
            fwrite_unlocked(s + i, 1, run, out);
            i += run;
            continue;
        }
        unsigned char c = s[i];
        if (c >= 0x80) {
            uint32_t cp;
            size_t len = utf8_len(s + i, n - i, &cp);
            if (len == 0) {
                fputs_unlocked("\\ufffd", out);
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
                fwrite_unlocked(s + i, 1, len, out);
            i += len;
            continue;
        }
        switch (c) {
        case '"': fputs_unlocked("\\\"", out); break;
        case '\\': fputs_unlocked("\\\\", out); break;
        case '\n': fputs_unlocked("\\n", out); break;
        case '\r': fputs_unlocked("\\r", out); break;
        case '\t': fputs_unlocked("\\t", out); break;
        default:
            if (c < 0x20 || c == 0x7f)
                fprintf(out, "\\u%04x", c);
            else
                putc_unlocked(c, out);
        }
        i++;
    }
    putc_unlocked('"', out);
}

void why_esc_text(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x20 && *p < 0x7f)
            putc_unlocked(*p, out);
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
static bool hidden_code_point(uint32_t c)
{
    return (c >= 0x80 && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
           c == 0x200e || c == 0x200f || c == 0x061c || c == 0x2028 || c == 0x2029 || c == 0xfeff;
}

static void html_shown(FILE *out, enum why_html_ctx ctx, bool code_point, uint32_t v)
{
    if (ctx == WHY_HTML_TEXT)
        fputs_unlocked("<span class=\"x\">", out);
    else if (ctx == WHY_HTML_SVG)
        fputs_unlocked("<tspan class=\"x\">", out);
    if (code_point)
        fprintf(out, "\\u{%04x}", (unsigned)v);
    else
        fprintf(out, "\\x%02x", (unsigned)v);
    if (ctx == WHY_HTML_TEXT)
        fputs_unlocked("</span>", out);
    else if (ctx == WHY_HTML_SVG)
        fputs_unlocked("</tspan>", out);
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
            fputs_unlocked(ref, out);
            i++;
        } else if (b >= 0x20 && b < 0x7f) {
            putc_unlocked(b, out);
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
                    fwrite_unlocked(s + i, 1, len, out);
                i += len;
            }
        }
    }
}

void why_esc_html(FILE *out, enum why_html_ctx ctx, const char *s)
{
    why_esc_html_n(out, ctx, (const uint8_t *)s, strlen(s));
}
