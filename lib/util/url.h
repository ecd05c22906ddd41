/* Request targets (RFC 9112 3.2): origin-form with Host, absolute-form (forward proxies),
 * authority-form (CONNECT). Gives the host (lower-case, no port), port, path and the absolute
 * URL as the client asked, all bounded copies. */
#ifndef WHY_UTIL_URL_H
#define WHY_UTIL_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"

#define WHY_URL_HOST_SIZE 256
#define WHY_URL_PATH_SIZE 2048

struct why_url {
    char scheme[8];        /* "http", "https" (CONNECT) */
    char host[WHY_URL_HOST_SIZE]; /* lower-case, without brackets or port */
    bool host_is_ip;
    struct why_addr ip;    /* when host_is_ip */
    uint16_t port;         /* explicit or the scheme's default */
    char path[WHY_URL_PATH_SIZE]; /* path and query, "/" at least; "" for CONNECT */
    char abs[2400];        /* absolute URL: http://host[:port]/path, or host:port for CONNECT;
                              read it with why_url_abs (an origin-form one is built there) */
    bool abs_later;        /* abs not built yet */
};

/* Never fails: missing parts stay empty. `target` is target_len bytes, not NUL-terminated. */
void why_url_parse(const char *method, const char *target, size_t target_len, const char *host_hdr,
                   struct why_url *u);
/* What the request index keys a target by: why_url_parse's host (and whether it is an
 * address), and its path's bytes where they lie, not copied: in the target, or a constant
 * ("/" for an absolute URL without one, "" for CONNECT). path_len is strlen(u->path) of
 * why_url_parse. */
struct why_url_key {
    char host[WHY_URL_HOST_SIZE];
    bool host_is_ip;
    struct why_addr ip;
    const char *path;
    size_t path_len;
};
void why_url_key(const char *method, const char *target, size_t target_len, const char *host_hdr,
                 struct why_url_key *k);
/* The same for a request that came over TLS: origin-form targets are https (port 443). */
void why_url_parse_https(const char *method, const char *target, size_t target_len,
                         const char *host_hdr, struct why_url *u);
/* u->abs, built on first use (snprintf: the join parses URLs without needing it). */
const char *why_url_abs(struct why_url *u);
/* True if `up` ends with `client` (a reverse proxy that prefixes paths). */
bool why_url_path_suffix(const char *client, const char *up);

#endif
