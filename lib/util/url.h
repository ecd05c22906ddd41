/* Request targets (RFC 9112 3.2): origin-form with Host, absolute-form (forward proxies),
 * authority-form (CONNECT). Gives the host (lower-case, no port), port, path and the absolute
 * URL as the client asked, all bounded copies. */
#ifndef WHY_UTIL_URL_H
#define WHY_UTIL_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"

struct why_url {
    char scheme[8];        /* "http", "https" (CONNECT) */
    char host[256];        /* lower-case, without brackets or port */
    bool host_is_ip;
    struct why_addr ip;    /* when host_is_ip */
    uint16_t port;         /* explicit or the scheme's default */
    char path[2048];       /* path and query, "/" at least; "" for CONNECT */
    char abs[2400];        /* absolute URL: http://host[:port]/path, or host:port for CONNECT;
                              read it with why_url_abs (an origin-form one is built there) */
    bool abs_later;        /* abs not built yet */
};

/* Never fails: missing parts stay empty. `target` is target_len bytes, not NUL-terminated. */
void why_url_parse(const char *method, const char *target, size_t target_len, const char *host_hdr,
                   struct why_url *u);
/* The same for a request that came over TLS: origin-form targets are https (port 443). */
void why_url_parse_https(const char *method, const char *target, size_t target_len,
                         const char *host_hdr, struct why_url *u);
/* u->abs, built on first use (snprintf: the join parses URLs without needing it). */
const char *why_url_abs(struct why_url *u);
/* True if `up` ends with `client` (a reverse proxy that prefixes paths). */
bool why_url_path_suffix(const char *client, const char *up);

#endif
