/* Request-target parsing for joining and reporting (RFC 9112 3.2, RFC 3986 3.2). */
#include "util/url.h"
#include "util/ascii.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Where a parse puts the host: the why_url's fields, or a why_url_key's. */
struct host_out {
    char *host; /* WHY_URL_HOST_SIZE bytes */
    bool *host_is_ip;
    struct why_addr *ip;
    uint16_t *port;
};

static void set_host(const struct host_out *o, const char *h, size_t n)
{
    if (n >= WHY_URL_HOST_SIZE)
        n = WHY_URL_HOST_SIZE - 1;
    bool maybe_ip = true; /* only hex digits, '.' and ':' (an address literal's bytes) so far */
    for (size_t i = 0; i < n; i++) {
        char l = (char)why_ascii_lower((uint8_t)h[i]);
        o->host[i] = l;
        maybe_ip = maybe_ip && ((l >= '0' && l <= '9') || (l >= 'a' && l <= 'f') || l == '.' || l == ':');
    }
    o->host[n] = 0;
    /* a trailing dot names the same host */
    if (n > 1 && o->host[n - 1] == '.')
        o->host[n - 1] = 0;
    /* (a name with another letter is no address: inet_pton is not asked twice; the address
     * stays as the parse cleared it, or as a failed parse clears it) */
    *o->host_is_ip = maybe_ip && why_addr_parse(o->host, o->ip) == 0;
}

/* authority = [userinfo@]host[:port]; IPv6 in brackets. */
static void parse_authority(const struct host_out *o, const char *a, size_t n)
{
    const char *at = memchr(a, '@', n);
    if (at) {
        n -= (size_t)(at + 1 - a);
        a = at + 1;
    }
    const char *hs = a, *port = NULL;
    size_t hn = n;
    if (n && a[0] == '[') {
        const char *close = memchr(a, ']', n);
        if (close) {
            hs = a + 1;
            hn = (size_t)(close - hs);
            if ((size_t)(close + 1 - a) < n && close[1] == ':')
                port = close + 2;
        }
    } else {
        const char *colon = memchr(a, ':', n);
        if (colon) {
            hn = (size_t)(colon - a);
            port = colon + 1;
        }
    }
    set_host(o, hs, hn);
    if (port) {
        unsigned v = 0;
        size_t i = 0, left = n - (size_t)(port - a);
        for (; i < left && i < 5 && isdigit((unsigned char)port[i]); i++)
            v = v * 10 + (unsigned)(port[i] - '0');
        if (i > 0 && v > 0 && v < 65536)
            *o->port = (uint16_t)v;
    }
}

/* The form of a target: CONNECT's authority, an absolute URL (its scheme's length in *sl), or
 * a path (origin-form, '*', anything else). */
enum form { FORM_CONNECT, FORM_ABSOLUTE, FORM_PATH };

static enum form target_form(const char *method, const char *target, size_t target_len, size_t *sl)
{
    if (method && why_str_is(method, "CONNECT"))
        return FORM_CONNECT;
    const char *sep = target_len >= 3 ? memchr(target, ':', target_len < 10 ? target_len : 10) : NULL;
    if (sep && (size_t)(sep - target) + 3 <= target_len && sep[1] == '/' && sep[2] == '/') {
        *sl = (size_t)(sep - target);
        return FORM_ABSOLUTE;
    }
    return FORM_PATH;
}

/* An absolute URL's authority (after the scheme of sl bytes) parsed into o; where its path
 * begins (NULL: it has none), and that path's bytes to the target's end in *pn. */
static const char *absolute_path(const struct host_out *o, const char *target, size_t target_len, size_t sl,
                                 size_t *pn)
{
    const char *a = target + sl + 3;
    size_t rest = target_len - (size_t)(a - target);
    const char *slash = memchr(a, '/', rest);
    size_t an = slash ? (size_t)(slash - a) : rest;
    parse_authority(o, a, an);
    *pn = rest - an;
    return slash;
}

static void copy_bounded(char *dst, size_t size, const char *src, size_t n)
{
    if (n >= size)
        n = size - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = 0;
}

/* origin-form: scheme://host[:port]path, the port shown when not the scheme's default */
static void build_abs(struct why_url *u)
{
    char port[8] = "";
    bool dflt = (u->port == 80 && strcmp(u->scheme, "http") == 0) ||
                (u->port == 443 && strcmp(u->scheme, "https") == 0);
    if (!dflt)
        snprintf(port, sizeof port, ":%u", (unsigned)u->port);
    const char *lb = u->host_is_ip && u->ip.family == 6 ? "[" : "";
    const char *rb = u->host_is_ip && u->ip.family == 6 ? "]" : "";
    snprintf(u->abs, sizeof u->abs, "%s://%s%s%s%s%s", u->scheme, lb, u->host[0] ? u->host : "-",
             rb, port, u->path);
    u->abs_later = false;
}

const char *why_url_abs(struct why_url *u)
{
    if (u->abs_later)
        build_abs(u);
    return u->abs;
}

void why_url_parse(const char *method, const char *target, size_t target_len, const char *host_hdr,
                   struct why_url *u)
{
    /* the fields one by one, not the 4.7 KB of buffers: the join parses a URL per candidate */
    memset(u->scheme, 0, sizeof u->scheme);
    u->host[0] = 0;
    u->host_is_ip = false;
    memset(&u->ip, 0, sizeof u->ip);
    u->path[0] = 0;
    u->abs[0] = 0;
    u->abs_later = false;
    if (!target)
        target_len = 0;
    strcpy(u->scheme, "http");
    u->port = 80;
    const struct host_out o = {u->host, &u->host_is_ip, &u->ip, &u->port};
    size_t sl = 0;
    switch (target_form(method, target, target_len, &sl)) {
    case FORM_CONNECT:
        strcpy(u->scheme, "https");
        u->port = 443;
        parse_authority(&o, target, target_len);
        copy_bounded(u->abs, sizeof u->abs, target, target_len);
        return;
    case FORM_ABSOLUTE: {
        copy_bounded(u->scheme, sizeof u->scheme, target, sl);
        for (char *p = u->scheme; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        if (strcmp(u->scheme, "https") == 0)
            u->port = 443;
        size_t pn;
        const char *slash = absolute_path(&o, target, target_len, sl, &pn);
        if (slash)
            copy_bounded(u->path, sizeof u->path, slash, pn);
        else
            strcpy(u->path, "/");
        copy_bounded(u->abs, sizeof u->abs, target, target_len);
        return;
    }
    case FORM_PATH:
        break;
    }
    copy_bounded(u->path, sizeof u->path, target, target_len);
    if (host_hdr && host_hdr[0])
        parse_authority(&o, host_hdr, strlen(host_hdr));
    if (target_len == 1 && target[0] == '*')
        strcpy(u->path, "*");
    u->abs_later = true; /* built by why_url_abs: only a report needs it */
}

void why_url_key(const char *method, const char *target, size_t target_len, const char *host_hdr,
                 struct why_url_key *k)
{
    k->host[0] = 0;
    k->host_is_ip = false;
    memset(&k->ip, 0, sizeof k->ip);
    if (!target) {
        target = "";
        target_len = 0;
    }
    uint16_t port = 0; /* (not kept) */
    const struct host_out o = {k->host, &k->host_is_ip, &k->ip, &port};
    const char *path = target;
    size_t n = target_len, sl = 0;
    switch (target_form(method, target, target_len, &sl)) {
    case FORM_CONNECT:
        parse_authority(&o, target, target_len);
        path = "";
        n = 0;
        break;
    case FORM_ABSOLUTE: {
        const char *slash = absolute_path(&o, target, target_len, sl, &n);
        path = slash ? slash : "/";
        n = slash ? n : 1;
        break;
    }
    case FORM_PATH:
        if (host_hdr && host_hdr[0])
            parse_authority(&o, host_hdr, strlen(host_hdr));
        break;
    }
    /* why_url_parse's path: a bounded copy, read as a string (up to a NUL in the target) */
    if (n > WHY_URL_PATH_SIZE - 1)
        n = WHY_URL_PATH_SIZE - 1;
    const char *nul = n ? memchr(path, '\0', n) : NULL;
    k->path = path;
    k->path_len = nul ? (size_t)(nul - path) : n;
}

void why_url_parse_https(const char *method, const char *target, size_t target_len,
                         const char *host_hdr, struct why_url *u)
{
    why_url_parse(method, target, target_len, host_hdr, u);
    if (target_len == 0 || (target[0] != '/' && target[0] != '*'))
        return; /* absolute-form or authority-form name their own scheme */
    const char *close = host_hdr ? strrchr(host_hdr, ']') : NULL;
    bool explicit_port = host_hdr && strchr(close ? close : host_hdr, ':') != NULL;
    snprintf(u->scheme, sizeof u->scheme, "https");
    if (!explicit_port)
        u->port = 443;
    u->abs_later = true;
}

bool why_url_path_suffix(const char *client, const char *up)
{
    size_t cn = strlen(client), un = strlen(up);
    return cn > 1 && un > cn && strcmp(up + un - cn, client) == 0;
}
