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

/* printable ASCII but '"' (0x22) and '\\' (0x5c), one byte per byte value */
#define P8(c) [c] = 1, [c + 1] = 1, [c + 2] = 1, [c + 3] = 1, [c + 4] = 1, [c + 5] = 1, [c + 6] = 1, [c + 7] = 1
static const uint8_t json_plain_tab[256] = {
    [0x20] = 1, [0x21] = 1, [0x23] = 1, [0x24] = 1, [0x25] = 1, [0x26] = 1, [0x27] = 1,
    P8(0x28), P8(0x30), P8(0x38), P8(0x40), P8(0x48), P8(0x50),
    [0x58] = 1, [0x59] = 1, [0x5a] = 1, [0x5b] = 1, [0x5d] = 1, [0x5e] = 1, [0x5f] = 1,
    P8(0x60), P8(0x68), P8(0x70),
    [0x78] = 1, [0x79] = 1, [0x7a] = 1, [0x7b] = 1, [0x7c] = 1, [0x7d] = 1, [0x7e] = 1,
};
#undef P8

void why_jbuf_flush(struct why_jbuf *j)
{
    if (j->n)
        fwrite_unlocked(j->b, 1, j->n, j->f);
    j->n = 0;
}

/* \uXXXX for a code point below 0x10000 */
static void jbuf_u4(struct why_jbuf *j, unsigned v)
{
    static const char hex[] = "0123456789abcdef";
    char e[6] = {'\\', 'u', hex[(v >> 12) & 15], hex[(v >> 8) & 15], hex[(v >> 4) & 15], hex[v & 15]};
    why_jbuf_write(j, e, sizeof e);
}

void why_jbuf_esc(struct why_jbuf *j, const uint8_t *s, size_t n)
{
    why_jbuf_put(j, '"');
    for (size_t i = 0; i < n;) {
        size_t run = 0; /* printable ASCII that needs no escape: copied at once */
        while (i + run < n && json_plain_tab[s[i + run]])
            run++;
        if (run) {
            why_jbuf_write(j, s + i, run);
            i += run;
            continue;
        }
        unsigned char c = s[i];
        if (c >= 0x80) {
            uint32_t cp;
            size_t len = utf8_len(s + i, n - i, &cp);
            if (len == 0) {
                why_jbuf_write(j, "\\ufffd", 6);
                i++;
                continue;
            }
            bool c1 = c == 0xC2 && s[i + 1] < 0xA0;                                  /* U+0080-U+009F */
            bool sep = c == 0xE2 && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9); /* U+2028/9 */
            if (c1)
                jbuf_u4(j, s[i + 1]);
            else if (sep)
                jbuf_u4(j, 0x2000u | (s[i + 2] & 0x3Fu));
            else
                why_jbuf_write(j, s + i, len);
            i += len;
            continue;
        }
        switch (c) {
        case '"': why_jbuf_write(j, "\\\"", 2); break;
        case '\\': why_jbuf_write(j, "\\\\", 2); break;
        case '\n': why_jbuf_write(j, "\\n", 2); break;
        case '\r': why_jbuf_write(j, "\\r", 2); break;
        case '\t': why_jbuf_write(j, "\\t", 2); break;
        default: jbuf_u4(j, c); break; /* the other controls and DEL */
        }
        i++;
    }
    why_jbuf_put(j, '"');
}

void why_esc_json(FILE *out, const char *s) { why_esc_json_n(out, (const uint8_t *)s, strlen(s)); }

void why_esc_json_n(FILE *out, const uint8_t *s, size_t n)
{
    struct why_jbuf j;
    j.f = out;
    j.n = 0;
    why_jbuf_esc(&j, s, n);
    why_jbuf_flush(&j);
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
