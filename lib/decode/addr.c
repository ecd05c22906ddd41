/* IP address helpers: equality, text form (inet_ntop's: RFC 5952 compressed IPv6) and the
 * endpoint form with brackets for IPv6 (RFC 3986 host syntax), and parsing of literals. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "decode/decode.h"

char *why_addr_str(const struct why_addr *a, char *buf, size_t size)
{
    if (size == 0)
        return buf;
    char tmp[INET6_ADDRSTRLEN];
    const char *s = NULL;
    if (a->family == 4)
        s = inet_ntop(AF_INET, a->a, tmp, sizeof tmp);
    else if (a->family == 6)
        s = inet_ntop(AF_INET6, a->a, tmp, sizeof tmp);
    snprintf(buf, size, "%s", s ? s : "-");
    return buf;
}

char *why_endpoint_str(const struct why_addr *a, uint16_t port, char *buf, size_t size)
{
    char host[INET6_ADDRSTRLEN];
    why_addr_str(a, host, sizeof host);
    if (size)
        snprintf(buf, size, a->family == 6 ? "[%s]:%u" : "%s:%u", host, (unsigned)port);
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
