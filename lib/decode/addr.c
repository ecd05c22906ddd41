/* IP address helpers: equality, text form (inet_ntop's: RFC 5952 compressed IPv6) and the
 * endpoint form with brackets for IPv6 (RFC 3986 host syntax), and parsing of literals. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "decode/decode.h"

/* s into buf as snprintf("%s") would: cut to size, always terminated. */
static void put_str(char *buf, size_t size, const char *s, size_t n)
{
    if (size == 0)
        return;
    if (n >= size)
        n = size - 1;
    memcpy(buf, s, n);
    buf[n] = 0;
}

/* tmp gets the text of a (>= INET6_ADDRSTRLEN bytes); its length. IPv4 by hand (every
 * evidence line has two addresses), IPv6 through inet_ntop (RFC 5952's compression). */
static size_t addr_text(const struct why_addr *a, char *tmp)
{
    if (a->family == 4) {
        char *p = tmp;
        for (int i = 0; i < 4; i++) {
            unsigned v = a->a[i];
            if (v >= 100)
                *p++ = (char)('0' + v / 100);
            if (v >= 10)
                *p++ = (char)('0' + v / 10 % 10);
            *p++ = (char)('0' + v % 10);
            if (i < 3)
                *p++ = '.';
        }
        *p = 0;
        return (size_t)(p - tmp);
    }
    const char *s = a->family == 6 ? inet_ntop(AF_INET6, a->a, tmp, INET6_ADDRSTRLEN) : NULL;
    if (!s)
        strcpy(tmp, "-");
    return strlen(tmp);
}

char *why_addr_str(const struct why_addr *a, char *buf, size_t size)
{
    if (size == 0)
        return buf;
    char tmp[INET6_ADDRSTRLEN];
    put_str(buf, size, tmp, addr_text(a, tmp));
    return buf;
}

char *why_endpoint_str(const struct why_addr *a, uint16_t port, char *buf, size_t size)
{
    char s[INET6_ADDRSTRLEN + 8], *p = s;
    if (a->family == 6)
        *p++ = '[';
    p += addr_text(a, p);
    if (a->family == 6)
        *p++ = ']';
    *p++ = ':';
    char d[5];
    int n = 0;
    unsigned v = port;
    do
        d[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n)
        *p++ = d[--n];
    put_str(buf, size, s, (size_t)(p - s));
    return buf;
}

int why_addr_parse(const char *s, struct why_addr *out)
{
    memset(out, 0, sizeof *out);
    char tmp[INET6_ADDRSTRLEN + 2];
    size_t n = strlen(s);
    if (n >= sizeof tmp)
        return -1;
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
        memcpy(tmp, s + 1, n - 2);
        tmp[n - 2] = '\0';
        if (inet_pton(AF_INET6, tmp, out->a) != 1)
            return -1;
        out->family = 6;
        return 0;
    }
    if (inet_pton(AF_INET, s, out->a) == 1) {
        out->family = 4;
        return 0;
    }
    if (inet_pton(AF_INET6, s, out->a) == 1) {
        out->family = 6;
        return 0;
    }
    memset(out, 0, sizeof *out);
    return -1;
}
