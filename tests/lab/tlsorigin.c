/* tlsorigin: a small HTTPS origin (OpenSSL libssl) that misbehaves in TLS, for why502's lab.
 *
 * One process, one thread per connection (at most -n at once; further connections wait in the
 * listen queue). At start it makes a lab CA and one certificate per listener (EC P-256, in
 * memory) and writes the CA certificate to -c so that gateways can verify the origins. Every
 * TLS session's secrets go to the key log file -k (SSLKEYLOGFILE format, as Wireshark reads
 * it). It exits by itself after -t seconds.
 *
 *   tlsorigin -k KEYLOG -c CA.pem [-w RENEG_WAIT] [-t SECONDS] [-n MAXCONN] SPEC ...
 *   SPEC = MODE[,OPTION...]@ADDR:PORT        ADDR: a.b.c.d or [v6]
 *   OPTION = name=HOST (certificate name, default MODE.tls) | tls12 (TLS 1.2 at most)
 *
 * Modes:
 *   ok         HTTP/1.1 200 with Content-Length, keep-alive (GET .../size/N gives N body bytes)
 *   reneg      TLS 1.2 at most. After the first request head of a connection it asks for a
 *              client certificate by renegotiation, as IIS does for a per-path client
 *              certificate: SSL_renegotiate() + SSL_do_handshake() send a HelloRequest, then
 *              it waits for the client's new ClientHello. If the handshake is redone within
 *              -w seconds (default 8; IIS waits 120 s) it answers 200; if nothing comes it closes
 *              the TCP connection without a byte of answer (no close_notify), as IIS does; if
 *              the client refuses (no_renegotiation alert) OpenSSL ends the session with a fatal
 *              handshake_failure alert and it closes.
 *   alert      aborts every handshake with a fatal handshake_failure alert (ClientHello callback)
 *   badcert    presents a certificate that expired yesterday (right name, lab CA)
 *   wrongname  presents a valid certificate for another name (wrong.invalid), whatever the SNI
 *
 * Each connection writes one line to standard error: peer, mode, TLS version, what happened,
 * the renegotiation wait measured.
 *
 * Build: cc -std=c17 -O2 -Wall -Wextra -o tlsorigin tlsorigin.c -lssl -lcrypto
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

enum { MAX_LISTEN = 32, HEAD_CAP = 16384, IDLE_MS = 5000, HANDSHAKE_MS = 10000 };

struct listener {
    int fd;
    char mode[16];
    char name[128];
    char where[96];
    int tls12;
    SSL_CTX *ctx;
};

static double g_reneg_wait = 8.0; /* seconds the reneg origin waits for the new ClientHello */
static int g_lifetime = 120;
static int g_maxconn = 64;
static FILE *g_keylog;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static int g_active;
static double g_t0;
static int g_exdata = -1; /* per-SSL struct conn_info */

struct conn_info {
    char peer[200];
    char alert_in[64]; /* last alert received */
    char alert_out[64];
    int handshakes_done;
};

struct job {
    int fd;
    struct listener *l;
    char peer[80];
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void logf_(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&g_lock);
    fprintf(stderr, "tlsorigin: [%7.3f] %s\n", now_s() - g_t0, line);
    fflush(stderr);
    pthread_mutex_unlock(&g_lock);
}

/* ------------------------------------------------------------------ certificates */

static EVP_PKEY *g_ca_key, *g_leaf_key;
static X509 *g_ca;

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    if (!ext)
        return -1;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

/* A certificate for `cn` valid from now+from_days to now+to_days, signed by the CA (or by
 * itself when issuer is NULL: the CA). */
static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                       long from_days, long to_days, long serial)
{
    X509 *c = X509_new();
    if (!c)
        return NULL;
    X509_set_version(c, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(c), serial);
    X509_gmtime_adj(X509_getm_notBefore(c), from_days * 86400L);
    X509_gmtime_adj(X509_getm_notAfter(c), to_days * 86400L);
    X509_set_pubkey(c, key);
    X509_NAME *n = X509_get_subject_name(c);
    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"why502 lab", -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : n);
    int bad = 0;
    if (!issuer) {
        bad |= add_ext(c, c, NID_basic_constraints, "critical,CA:TRUE");
        bad |= add_ext(c, c, NID_key_usage, "critical,keyCertSign,cRLSign");
        bad |= add_ext(c, c, NID_subject_key_identifier, "hash");
    } else {
        char san[200];
        snprintf(san, sizeof san, "DNS:%s", cn);
        bad |= add_ext(c, issuer, NID_basic_constraints, "critical,CA:FALSE");
        bad |= add_ext(c, issuer, NID_key_usage, "critical,digitalSignature");
        bad |= add_ext(c, issuer, NID_ext_key_usage, "serverAuth");
        bad |= add_ext(c, issuer, NID_subject_alt_name, san);
        bad |= add_ext(c, issuer, NID_authority_key_identifier, "keyid");
    }
    if (bad || !X509_sign(c, issuer_key, EVP_sha256())) {
        X509_free(c);
        return NULL;
    }
    return c;
}

static int make_ca(const char *ca_out)
{
    g_ca_key = EVP_EC_gen("P-256");
    g_leaf_key = EVP_EC_gen("P-256");
    if (!g_ca_key || !g_leaf_key)
        return -1;
    g_ca = make_cert("why502 lab TLS CA", g_ca_key, NULL, g_ca_key, -2, 30, 1);
    if (!g_ca)
        return -1;
    FILE *f = fopen(ca_out, "w");
    if (!f)
        return -1;
    int ok = PEM_write_X509(f, g_ca);
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

/* ------------------------------------------------------------------ TLS callbacks */

static void keylog_cb(const SSL *ssl, const char *line)
{
    (void)ssl;
    pthread_mutex_lock(&g_lock);
    fprintf(g_keylog, "%s\n", line);
    fflush(g_keylog);
    pthread_mutex_unlock(&g_lock);
}

static void info_cb(const SSL *ssl, int where, int ret)
{
    struct conn_info *ci = SSL_get_ex_data(ssl, g_exdata);
    if (!ci)
        return;
    if (where & SSL_CB_ALERT) {
        char *dst = (where & SSL_CB_READ) ? ci->alert_in : ci->alert_out;
        snprintf(dst, sizeof ci->alert_in, "%s %s", SSL_alert_type_string_long(ret),
                 SSL_alert_desc_string_long(ret));
    }
    if (where & SSL_CB_HANDSHAKE_DONE)
        ci->handshakes_done++;
}

/* mode alert: refuse every ClientHello with a fatal handshake_failure alert */
static int hello_refuse_cb(SSL *ssl, int *al, void *arg)
{
    (void)ssl;
    (void)arg;
    *al = SSL_AD_HANDSHAKE_FAILURE;
    return SSL_CLIENT_HELLO_ERROR;
}

/* mode reneg: ask for a client certificate in the new handshake, accept whatever comes */
static int verify_any_cb(int ok, X509_STORE_CTX *x)
{
    (void)ok;
    (void)x;
    return 1;
}

static SSL_CTX *make_ctx(struct listener *l)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx)
        return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (l->tls12 || strcmp(l->mode, "reneg") == 0)
        SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_keylog_callback(ctx, keylog_cb);
    SSL_CTX_set_info_callback(ctx, info_cb);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx, 0);
    /* A peer that closes without close_notify is common (gateways drop idle upstream
     * connections): take its FIN as the end, do not answer it with a decode_error alert that
     * would look like a TLS failure in the capture. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
    if (strcmp(l->mode, "reneg") == 0)
        SSL_CTX_clear_options(ctx, SSL_OP_NO_RENEGOTIATION);
    if (strcmp(l->mode, "alert") == 0)
        SSL_CTX_set_client_hello_cb(ctx, hello_refuse_cb, NULL);

    long from = -1, to = 30;
    const char *cn = l->name;
    if (strcmp(l->mode, "badcert") == 0) {
        from = -30;
        to = -1; /* expired yesterday */
    } else if (strcmp(l->mode, "wrongname") == 0) {
        cn = "wrong.invalid";
    }
    static long serial = 100;
    X509 *leaf = make_cert(cn, g_leaf_key, g_ca, g_ca_key, from, to, serial++);
    if (!leaf || SSL_CTX_use_certificate(ctx, leaf) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, g_leaf_key) != 1 || SSL_CTX_add1_chain_cert(ctx, g_ca) != 1) {
        X509_free(leaf);
        SSL_CTX_free(ctx);
        return NULL;
    }
    X509_free(leaf);
    return ctx;
}

/* ------------------------------------------------------------------ non-blocking TLS I/O */

/* After an SSL call returned r: wait for what it wants until deadline. 0 = call again,
 * -1 = error or timeout (*why says which). */
static int tls_wait(SSL *ssl, int fd, int r, double deadline, const char **why)
{
    int e = SSL_get_error(ssl, r);
    short ev;
    if (e == SSL_ERROR_WANT_READ)
        ev = POLLIN;
    else if (e == SSL_ERROR_WANT_WRITE)
        ev = POLLOUT;
    else {
        *why = e == SSL_ERROR_ZERO_RETURN ? "close_notify" : e == SSL_ERROR_SYSCALL ? "tcp_closed" : "tls_error";
        return -1;
    }
    for (;;) {
        int left = (int)((deadline - now_s()) * 1000);
        if (left <= 0) {
            *why = "timeout";
            return -1;
        }
        struct pollfd p = {fd, ev, 0};
        int pr = poll(&p, 1, left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr == 0) {
            *why = "timeout";
            return -1;
        }
        return pr < 0 ? -1 : 0;
    }
}

static int tls_write_all(SSL *ssl, int fd, const void *buf, size_t len, const char **why)
{
    const char *p = buf;
    double deadline = now_s() + 10;
    while (len > 0) {
        size_t n = 0;
        int r = SSL_write_ex(ssl, p, len, &n);
        if (r == 1) {
            p += n;
            len -= n;
            continue;
        }
        if (tls_wait(ssl, fd, r, deadline, why) < 0)
            return -1;
    }
    return 0;
}

/* Reads into buf until it holds a request head; returns the head's length, 0 if the peer
 * closed before a byte, -1 otherwise. */
static int tls_read_head(SSL *ssl, int fd, char *buf, size_t cap, size_t *have, int timeout_ms,
                         const char **why)
{
    double deadline = now_s() + timeout_ms / 1000.0;
    for (;;) {
        buf[*have] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end)
            return (int)(end + 4 - buf);
        if (*have + 1 >= cap) {
            *why = "head_too_long";
            return -1;
        }
        size_t n = 0;
        int r = SSL_read_ex(ssl, buf + *have, cap - 1 - *have, &n);
        if (r == 1) {
            *have += n;
            continue;
        }
        if (tls_wait(ssl, fd, r, deadline, why) < 0)
            return (*have == 0 && strcmp(*why, "timeout") != 0) ? 0 : -1;
    }
}

/* ------------------------------------------------------------------ HTTP */

static size_t body_size_for(const char *head)
{
    const char *p = strstr(head, "/size/");
    const char *eol = strstr(head, "\r\n");
    if (p && eol && p < eol) {
        long v = strtol(p + 6, NULL, 10);
        if (v >= 0 && v <= 1000000)
            return (size_t)v;
    }
    return 3;
}

static int wants_close(const char *head, size_t len)
{
    char tmp[HEAD_CAP];
    size_t n = len < sizeof tmp - 1 ? len : sizeof tmp - 1;
    for (size_t i = 0; i < n; i++)
        tmp[i] = (char)((head[i] >= 'A' && head[i] <= 'Z') ? head[i] + 32 : head[i]);
    tmp[n] = '\0';
    if (strstr(tmp, "\r\nconnection: close"))
        return 1;
    const char *eol = strstr(tmp, "\r\n");
    return eol && eol - tmp >= 8 && memcmp(eol - 8, "http/1.0", 8) == 0 &&
           !strstr(tmp, "\r\nconnection: keep-alive");
}

static int send_200(SSL *ssl, int fd, size_t body_len, int keep, const char *note, const char **why)
{
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 200 OK\r\nServer: tlsorigin\r\nContent-Type: text/plain\r\n"
                     "Content-Length: %zu\r\nX-Lab: %s\r\n%s\r\n",
                     body_len, note, keep ? "" : "Connection: close\r\n");
    if (tls_write_all(ssl, fd, head, (size_t)n, why) < 0)
        return -1;
    static const char chunk[64] = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk\n";
    while (body_len > 0) {
        size_t k = body_len < sizeof chunk ? body_len : sizeof chunk;
        if (tls_write_all(ssl, fd, chunk, k, why) < 0)
            return -1;
        body_len -= k;
    }
    return 0;
}

static void consume(char *buf, size_t *have, size_t n)
{
    memmove(buf, buf + n, *have - n);
    *have -= n;
}

/* The HelloRequest and the wait for the client's answer. 1 = renegotiated, 0 = nothing came
 * (stall), -1 = refused or closed. *waited = seconds from the HelloRequest to the outcome. */
static int renegotiate(SSL *ssl, int fd, struct conn_info *ci, char *buf, size_t cap,
                       size_t *have, double *waited)
{
    const char *why = "";
    SSL_set_verify(ssl, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, verify_any_cb);
    int before = ci->handshakes_done;
    if (SSL_renegotiate(ssl) != 1) {
        logf_("%s reneg: SSL_renegotiate failed", ci->peer);
        return -1;
    }
    double t0 = now_s(), deadline = t0 + g_reneg_wait;
    int r;
    while ((r = SSL_do_handshake(ssl)) != 1) /* writes the HelloRequest */
        if (tls_wait(ssl, fd, r, deadline, &why) < 0) {
            *waited = now_s() - t0;
            return -1;
        }
    logf_("%s reneg: HelloRequest sent, waiting up to %.1f s for the ClientHello", ci->peer,
          g_reneg_wait);
    for (;;) {
        if (!SSL_renegotiate_pending(ssl) && ci->handshakes_done > before) {
            *waited = now_s() - t0;
            return 1;
        }
        size_t n = 0;
        if (*have + 1 >= cap)
            *have = 0; /* a client that pipelines a lot: forget it */
        r = SSL_read_ex(ssl, buf + *have, cap - 1 - *have, &n);
        if (r == 1) {
            *have += n;
            continue;
        }
        /* the new handshake may have ended inside this SSL_read, which then wants more */
        if (!SSL_renegotiate_pending(ssl) && ci->handshakes_done > before) {
            *waited = now_s() - t0;
            return 1;
        }
        if (tls_wait(ssl, fd, r, deadline, &why) < 0) {
            *waited = now_s() - t0;
            if (strcmp(why, "timeout") == 0)
                return 0;
            logf_("%s reneg: ended while waiting: %s%s%s", ci->peer, why,
                  ci->alert_in[0] ? ", received alert " : "", ci->alert_in);
            return -1;
        }
    }
}

static void serve(struct job *j)
{
    int fd = j->fd;
    struct listener *l = j->l;
    struct conn_info ci;
    memset(&ci, 0, sizeof ci);
    snprintf(ci.peer, sizeof ci.peer, "%s->%s %s", j->peer, l->where, l->mode);
    SSL *ssl = SSL_new(l->ctx);
    if (!ssl) {
        close(fd);
        return;
    }
    SSL_set_ex_data(ssl, g_exdata, &ci);
    SSL_set_fd(ssl, fd);
    const char *why = "";
    double deadline = now_s() + HANDSHAKE_MS / 1000.0;
    int r;
    while ((r = SSL_accept(ssl)) != 1) {
        if (tls_wait(ssl, fd, r, deadline, &why) < 0) {
            logf_("%s: handshake failed (%s)%s%s%s%s", ci.peer, why,
                  ci.alert_out[0] ? ", sent alert " : "", ci.alert_out,
                  ci.alert_in[0] ? ", received alert " : "", ci.alert_in);
            SSL_free(ssl);
            close(fd);
            return;
        }
    }
    const char *sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    logf_("%s: handshake done, %s, SNI %s", ci.peer, SSL_get_version(ssl), sni ? sni : "(none)");

    static __thread char buf[HEAD_CAP];
    size_t have = 0;
    int reqs = 0, clean = 1;
    for (;;) {
        int h = tls_read_head(ssl, fd, buf, sizeof buf, &have, IDLE_MS, &why);
        if (h <= 0) {
            if (h < 0 && strcmp(why, "timeout") != 0)
                logf_("%s: after %d request(s): %s%s%s", ci.peer, reqs, why,
                      ci.alert_in[0] ? ", received alert " : "", ci.alert_in);
            clean = h == 0 || strcmp(why, "timeout") == 0;
            break;
        }
        reqs++;
        int keep = !wants_close(buf, (size_t)h);
        size_t size = body_size_for(buf);
        char line[160];
        const char *eol = strstr(buf, "\r\n");
        snprintf(line, sizeof line, "%.*s", eol ? (int)(eol - buf) : 0, buf);
        consume(buf, &have, (size_t)h);
        const char *note = "ok";
        if (strcmp(l->mode, "reneg") == 0 && reqs == 1) {
            double waited = 0;
            int rr = renegotiate(ssl, fd, &ci, buf, sizeof buf, &have, &waited);
            if (rr == 0) {
                logf_("%s: \"%s\": no ClientHello within %.3f s: closing without an answer",
                      ci.peer, line, waited);
                close(fd); /* FIN (RST if the client sent more), no close_notify, no answer */
                SSL_free(ssl);
                return;
            }
            if (rr < 0) {
                logf_("%s: \"%s\": renegotiation refused after %.3f s%s%s%s%s", ci.peer, line,
                      waited, ci.alert_in[0] ? ", received alert " : "", ci.alert_in,
                      ci.alert_out[0] ? ", sent alert " : "", ci.alert_out);
                SSL_free(ssl);
                close(fd);
                return;
            }
            logf_("%s: \"%s\": renegotiated after %.3f s (%s)", ci.peer, line, waited,
                  SSL_get_version(ssl));
            note = "renegotiated";
        }
        if (send_200(ssl, fd, size, keep, note, &why) < 0) {
            clean = 0;
            break;
        }
        logf_("%s: \"%s\" 200 %zu", ci.peer, line, size);
        if (!keep)
            break;
    }
    if (clean) {
        double d = now_s() + 1;
        while ((r = SSL_shutdown(ssl)) < 0 && tls_wait(ssl, fd, r, d, &why) == 0)
            ;
    }
    SSL_free(ssl);
    close(fd);
}

static void *conn_thread(void *arg)
{
    struct job *j = arg;
    serve(j);
    free(j);
    ERR_clear_error();
    pthread_mutex_lock(&g_lock);
    g_active--;
    pthread_cond_signal(&g_cond);
    pthread_mutex_unlock(&g_lock);
    return NULL;
}

/* ------------------------------------------------------------------ listeners, main */

static int open_listener(struct listener *l, const char *spec)
{
    const char *at = strrchr(spec, '@');
    if (!at || at == spec)
        return -1;
    char modepart[256];
    if ((size_t)(at - spec) >= sizeof modepart)
        return -1;
    memcpy(modepart, spec, (size_t)(at - spec));
    modepart[at - spec] = '\0';
    char *save = NULL, *tok = strtok_r(modepart, ",", &save);
    if (!tok || strlen(tok) >= sizeof l->mode)
        return -1;
    snprintf(l->mode, sizeof l->mode, "%s", tok);
    snprintf(l->name, sizeof l->name, "%s.tls", l->mode);
    l->tls12 = 0;
    while ((tok = strtok_r(NULL, ",", &save))) {
        if (strcmp(tok, "tls12") == 0)
            l->tls12 = 1;
        else if (strncmp(tok, "name=", 5) == 0 && strlen(tok + 5) < sizeof l->name)
            snprintf(l->name, sizeof l->name, "%s", tok + 5);
        else
            return -1;
    }
    if (strcmp(l->mode, "ok") && strcmp(l->mode, "reneg") && strcmp(l->mode, "alert") &&
        strcmp(l->mode, "badcert") && strcmp(l->mode, "wrongname"))
        return -1;
    snprintf(l->where, sizeof l->where, "%s", at + 1);

    char host[64];
    const char *hp = at + 1, *colon;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t sl;
    int fam;
    if (*hp == '[') {
        const char *rb = strchr(hp, ']');
        if (!rb || rb[1] != ':' || (size_t)(rb - hp - 1) >= sizeof host)
            return -1;
        memcpy(host, hp + 1, (size_t)(rb - hp - 1));
        host[rb - hp - 1] = '\0';
        colon = rb + 1;
        fam = AF_INET6;
    } else {
        colon = strrchr(hp, ':');
        if (!colon || (size_t)(colon - hp) >= sizeof host)
            return -1;
        memcpy(host, hp, (size_t)(colon - hp));
        host[colon - hp] = '\0';
        fam = AF_INET;
    }
    int port = atoi(colon + 1);
    if (port <= 0 || port > 65535)
        return -1;
    if (fam == AF_INET) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
            return -1;
        sl = sizeof *s4;
    } else {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
            return -1;
        sl = sizeof *s6;
    }
    int fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fam == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 256) < 0) {
        close(fd);
        return -1;
    }
    l->fd = fd;
    l->ctx = make_ctx(l);
    if (!l->ctx) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    return 0;
}

static void on_alarm(int sig)
{
    (void)sig;
    _exit(0);
}

static void usage(void)
{
    fprintf(stderr, "usage: tlsorigin -k KEYLOG -c CA.pem [-w RENEG_WAIT] [-t SECONDS] [-n MAXCONN] "
                    "MODE[,name=HOST][,tls12]@ADDR:PORT ...\n"
                    "modes: ok reneg alert badcert wrongname\n");
}

int main(int argc, char **argv)
{
    static struct listener ls[MAX_LISTEN];
    const char *keylog = NULL, *ca_out = NULL;
    int nl = 0, opt;
    while ((opt = getopt(argc, argv, "k:c:w:t:n:h")) != -1) {
        switch (opt) {
        case 'k': keylog = optarg; break;
        case 'c': ca_out = optarg; break;
        case 'w': g_reneg_wait = atof(optarg); break;
        case 't': g_lifetime = atoi(optarg); break;
        case 'n': g_maxconn = atoi(optarg); break;
        default: usage(); return 2;
        }
    }
    if (!keylog || !ca_out || optind >= argc) {
        usage();
        return 2;
    }
    if (g_reneg_wait <= 0 || g_reneg_wait > 600)
        g_reneg_wait = 8;
    if (g_lifetime <= 0 || g_lifetime > 3600)
        g_lifetime = 120;
    if (g_maxconn <= 0 || g_maxconn > 1024)
        g_maxconn = 64;
    g_t0 = now_s();
    signal(SIGPIPE, SIG_IGN);
    signal(SIGALRM, on_alarm);
    alarm((unsigned)g_lifetime);

    g_keylog = fopen(keylog, "a");
    if (!g_keylog) {
        fprintf(stderr, "tlsorigin: cannot open key log %s: %s\n", keylog, strerror(errno));
        return 1;
    }
    g_exdata = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    if (make_ca(ca_out) < 0) {
        fprintf(stderr, "tlsorigin: cannot make the lab CA (%s)\n", ca_out);
        ERR_print_errors_fp(stderr);
        return 1;
    }
    for (int i = optind; i < argc && nl < MAX_LISTEN; i++) {
        if (open_listener(&ls[nl], argv[i]) < 0) {
            fprintf(stderr, "tlsorigin: cannot listen on %s: %s\n", argv[i], strerror(errno));
            ERR_print_errors_fp(stderr);
            return 1;
        }
        nl++;
    }
    logf_("%d listeners, renegotiation wait %.1f s, lifetime %d s, at most %d connections", nl,
          g_reneg_wait, g_lifetime, g_maxconn);

    struct pollfd pf[MAX_LISTEN];
    for (int i = 0; i < nl; i++)
        pf[i] = (struct pollfd){ls[i].fd, POLLIN, 0};
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    for (;;) {
        pthread_mutex_lock(&g_lock);
        while (g_active >= g_maxconn)
            pthread_cond_wait(&g_cond, &g_lock); /* bounded: the rest wait in the listen queue */
        pthread_mutex_unlock(&g_lock);
        int r = poll(pf, (nfds_t)nl, 1000);
        if (r <= 0)
            continue;
        for (int i = 0; i < nl; i++) {
            if (!(pf[i].revents & POLLIN))
                continue;
            struct sockaddr_storage peer;
            socklen_t pl = sizeof peer;
            int c = accept4(ls[i].fd, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (c < 0)
                continue;
            int one = 1;
            setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            struct job *j = calloc(1, sizeof *j);
            if (!j) {
                close(c);
                continue;
            }
            j->fd = c;
            j->l = &ls[i];
            char a[INET6_ADDRSTRLEN] = "?";
            int port = 0;
            if (peer.ss_family == AF_INET) {
                struct sockaddr_in *s4 = (struct sockaddr_in *)&peer;
                inet_ntop(AF_INET, &s4->sin_addr, a, sizeof a);
                port = ntohs(s4->sin_port);
                snprintf(j->peer, sizeof j->peer, "%s:%d", a, port);
            } else {
                struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&peer;
                inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof a);
                port = ntohs(s6->sin6_port);
                snprintf(j->peer, sizeof j->peer, "[%s]:%d", a, port);
            }
            pthread_mutex_lock(&g_lock);
            g_active++;
            pthread_mutex_unlock(&g_lock);
            pthread_t t;
            if (pthread_create(&t, &attr, conn_thread, j) != 0) {
                close(c);
                free(j);
                pthread_mutex_lock(&g_lock);
                g_active--;
                pthread_mutex_unlock(&g_lock);
            }
        }
    }
}
