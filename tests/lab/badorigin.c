/* badorigin: a small misbehaving HTTP origin for the why502 lab.
 *
 * Listens on several address:port pairs, each with one behaviour ("mode"), and forks one
 * child per connection. It exits by itself after -t seconds (children too: alarm() plus
 * PR_SET_PDEATHSIG), so a lab run that dies never leaves it behind for long.
 *
 *   badorigin -t SECONDS [-d SLOW_SECONDS] [-m MID_BYTES] MODE@ADDR:PORT ...  (ADDR: a.b.c.d or [v6])
 *
 * Modes (what happens after the request head has been read):
 *   ok         HTTP/1.1 200 with Content-Length, keep-alive (GET /size/N gives N body bytes)
 *   garbage    an SSH server: banner "SSH-2.0-OpenSSH_9.2" on accept, then an SSH complaint, FIN
 *   binary     a TLS server spoken to in plain HTTP: TLS alert record, FIN
 *   close      FIN without a byte of response
 *   reset      RST (SO_LINGER 0) without a byte of response
 *   midreset   200 + headers announcing 200000 body bytes, -m of them (default 20000), then RST
 *   midclose   the same, then FIN
 *   hang       never answers; closes when the peer closes or after 30 s
 *   status500  the origin's own 500 (with Content-Length, keep-alive)
 *   slow       200, but only after -d seconds (default 8)
 *   kaclose    200 keep-alive to the first request of a connection; a later request on the same
 *              connection meets a FIN and no answer (an origin whose idle timeout ran out just
 *              as the gateway reused the connection: the two cross on the wire)
 *   bighead    a valid 200 whose head is BIGHEAD_BYTES (~24 KB: 24 X-Pad fields of 1000
 *              bytes), more than nginx's proxy_buffer_size or HAProxy's tune.bufsize
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/sockios.h>

enum { MAX_LISTEN = 64, HEAD_CAP = 16384, MAX_REQS_PER_CONN = 10000, BIGHEAD_FIELDS = 24,
       BIGHEAD_FIELD_BYTES = 1000 };

struct listener {
    int fd;
    char mode[16];
    char where[80];
};

static int g_slow = 8;       /* seconds, mode slow */
static int g_lifetime = 60;  /* seconds, whole process */
static int g_mid = 20000;    /* bytes of body sent by midreset/midclose */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads one request head (through CRLFCRLF) into buf; returns its length, 0 on EOF,
 * -1 on error/timeout/overlong. Bytes after the head stay in buf (pipelining), *have says how
 * many bytes buf holds. */
static int read_head(int fd, char *buf, size_t cap, size_t *have, int timeout_ms)
{
    double deadline = now_s() + timeout_ms / 1000.0;
    for (int guard = 0; guard < 100000; guard++) {
        buf[*have] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end)
            return (int)(end + 4 - buf);
        if (*have + 1 >= cap)
            return -1;
        int left = (int)((deadline - now_s()) * 1000);
        if (left <= 0)
            return -1;
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        ssize_t n = recv(fd, buf + *have, cap - 1 - *have, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
        *have += (size_t)n;
    }
    return -1;
}

static void consume(char *buf, size_t *have, size_t n)
{
    memmove(buf, buf + n, *have - n);
    *have -= n;
}

/* Waits until everything written has been acknowledged (or 3 s), so that an RST that follows
 * does not throw away unsent body bytes. */
static void drain_sendq(int fd)
{
    for (int i = 0; i < 300; i++) {
        int q = 0;
        if (ioctl(fd, SIOCOUTQ, &q) < 0 || q == 0)
            return;
        usleep(10000);
    }
}

static void rst_close(int fd)
{
    struct linger l = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(fd);
}

static void fin_close(int fd)
{
    shutdown(fd, SHUT_WR);
    /* Read until the peer closes too (bounded), so our FIN is not followed by an RST for
     * unread data. */
    char b[4096];
    double deadline = now_s() + 5;
    while (now_s() < deadline) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0)
            continue;
        if (recv(fd, b, sizeof b, 0) <= 0)
            break;
    }
    close(fd);
}

/* Waits until the peer closes or `secs` pass; returns 1 if the peer closed. */
static int wait_peer(int fd, int secs)
{
    char b[4096];
    double deadline = now_s() + secs;
    while (now_s() < deadline) {
        int left = (int)((deadline - now_s()) * 1000) + 1;
        struct pollfd p = {fd, POLLIN | POLLRDHUP, 0};
        int r = poll(&p, 1, left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return 0;
        ssize_t n = recv(fd, b, sizeof b, 0);
        if (n <= 0)
            return 1;
    }
    return 0;
}

static int send_response(int fd, int status, const char *reason, size_t body_len, int keep)
{
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nServer: badorigin\r\nContent-Type: text/plain\r\n"
                     "Content-Length: %zu\r\n%s\r\n",
                     status, reason, body_len, keep ? "" : "Connection: close\r\n");
    if (write_all(fd, head, (size_t)n) < 0)
        return -1;
    static char chunk[16384];
    if (chunk[0] == '\0')
        for (size_t i = 0; i < sizeof chunk; i++)
            chunk[i] = (i % 64 == 63) ? '\n' : (char)('a' + i % 26);
    while (body_len > 0) {
        size_t k = body_len < sizeof chunk ? body_len : sizeof chunk;
        if (write_all(fd, chunk, k) < 0)
            return -1;
        body_len -= k;
    }
    return 0;
}

static size_t body_size_for(const char *head)
{
    /* "GET /size/N ..." or "GET http://host/size/N ..." asks for N bytes; default 3. */
    const char *p = strstr(head, "/size/");
    const char *sp = strchr(head, ' ');
    const char *eol = strstr(head, "\r\n");
    if (p && eol && p < eol && sp && p > sp) {
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
    if (eol && eol - tmp >= 8 && memcmp(eol - 8, "http/1.0", 8) == 0 &&
        !strstr(tmp, "\r\nconnection: keep-alive"))
        return 1;
    return 0;
}

static void serve(int fd, const char *mode)
{
    static char buf[HEAD_CAP];
    size_t have = 0;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    if (strcmp(mode, "garbage") == 0) {
        const char *banner = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";
        write_all(fd, banner, strlen(banner));
        int h = read_head(fd, buf, sizeof buf, &have, 10000);
        (void)h;
        const char *bye = "Invalid SSH identification string.\r\n";
        write_all(fd, bye, strlen(bye));
        fin_close(fd);
        return;
    }

    for (int reqs = 0; reqs < MAX_REQS_PER_CONN; reqs++) {
        int h = read_head(fd, buf, sizeof buf, &have, 15000);
        if (h <= 0) {
            close(fd);
            return;
        }
        int keep = !wants_close(buf, (size_t)h);
        size_t size = body_size_for(buf);
        consume(buf, &have, (size_t)h); /* GET/HEAD only: no request bodies in the lab */

        if (strcmp(mode, "ok") == 0) {
            if (send_response(fd, 200, "OK", size, keep) < 0 || !keep) {
                fin_close(fd);
                return;
            }
        } else if (strcmp(mode, "status500") == 0) {
            if (send_response(fd, 500, "Internal Server Error", 22, keep) < 0 || !keep) {
                fin_close(fd);
                return;
            }
        } else if (strcmp(mode, "binary") == 0) {
            /* TLS alert record: fatal, protocol_version (what a TLS port answers to HTTP) */
            static const unsigned char alert[] = {0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46};
            write_all(fd, alert, sizeof alert);
            fin_close(fd);
            return;
        } else if (strcmp(mode, "close") == 0) {
            fin_close(fd);
            return;
        } else if (strcmp(mode, "reset") == 0) {
            rst_close(fd);
            return;
        } else if (strcmp(mode, "midreset") == 0 || strcmp(mode, "midclose") == 0) {
            const char *head = "HTTP/1.1 200 OK\r\nServer: badorigin\r\nContent-Type: "
                               "application/octet-stream\r\nContent-Length: 200000\r\n\r\n";
            write_all(fd, head, strlen(head));
            static char body[200000];
            memset(body, 'x', sizeof body);
            write_all(fd, body, (size_t)g_mid);
            drain_sendq(fd);
            if (mode[3] == 'r')
                rst_close(fd);
            else
                fin_close(fd);
            return;
        } else if (strcmp(mode, "kaclose") == 0) {
            if (reqs > 0) { /* the reused connection: the origin's idle timer fired */
                fin_close(fd);
                return;
            }
            if (send_response(fd, 200, "OK", size, keep) < 0 || !keep) {
                fin_close(fd);
                return;
            }
        } else if (strcmp(mode, "bighead") == 0) {
            static char big[BIGHEAD_FIELDS * (BIGHEAD_FIELD_BYTES + 16) + 256];
            size_t n = (size_t)snprintf(big, sizeof big, "HTTP/1.1 200 OK\r\nServer: badorigin\r\n"
                                        "Content-Type: text/plain\r\nContent-Length: 3\r\n");
            for (int i = 0; i < BIGHEAD_FIELDS; i++) {
                n += (size_t)snprintf(big + n, sizeof big - n, "X-Pad-%02d: ", i);
                memset(big + n, 'p', BIGHEAD_FIELD_BYTES);
                n += BIGHEAD_FIELD_BYTES;
                n += (size_t)snprintf(big + n, sizeof big - n, "\r\n");
            }
            n += (size_t)snprintf(big + n, sizeof big - n, "%s\r\nabc",
                                  keep ? "" : "Connection: close\r\n");
            if (write_all(fd, big, n) < 0 || !keep) {
                fin_close(fd);
                return;
            }
        } else if (strcmp(mode, "hang") == 0) {
            wait_peer(fd, 30);
            close(fd);
            return;
        } else if (strcmp(mode, "slow") == 0) {
            if (wait_peer(fd, g_slow)) {
                close(fd);
                return;
            }
            send_response(fd, 200, "OK", size, 0);
            fin_close(fd);
            return;
        } else {
            rst_close(fd);
            return;
        }
    }
    close(fd);
}

static int open_listener(struct listener *l, const char *spec)
{
    const char *at = strchr(spec, '@');
    if (!at || (size_t)(at - spec) >= sizeof l->mode)
        return -1;
    memcpy(l->mode, spec, (size_t)(at - spec));
    l->mode[at - spec] = '\0';
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
    int fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fam == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    /* IP_FREEBIND: the address may still be in IPv6 DAD when we start */
    setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 512) < 0) {
        close(fd);
        return -1;
    }
    l->fd = fd;
    return 0;
}

static void on_alarm(int sig)
{
    (void)sig;
    _exit(0);
}

int main(int argc, char **argv)
{
    struct listener ls[MAX_LISTEN];
    int nl = 0, opt;
    while ((opt = getopt(argc, argv, "t:d:m:")) != -1) {
        if (opt == 't')
            g_lifetime = atoi(optarg);
        else if (opt == 'd')
            g_slow = atoi(optarg);
        else if (opt == 'm')
            g_mid = atoi(optarg);
        else {
            fprintf(stderr, "usage: badorigin -t SECONDS [-d SLOW] [-m MID_BYTES] MODE@ADDR:PORT ...\n");
            return 2;
        }
    }
    if (g_lifetime <= 0 || g_lifetime > 3600)
        g_lifetime = 60;
    if (g_mid < 0 || g_mid >= 200000)
        g_mid = 20000;
    for (int i = optind; i < argc && nl < MAX_LISTEN; i++) {
        if (open_listener(&ls[nl], argv[i]) < 0) {
            fprintf(stderr, "badorigin: cannot listen on %s: %s\n", argv[i], strerror(errno));
            return 1;
        }
        nl++;
    }
    if (nl == 0) {
        fprintf(stderr, "badorigin: nothing to listen on\n");
        return 2;
    }
    signal(SIGALRM, on_alarm);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_DFL);
    alarm((unsigned)g_lifetime);
    double end = now_s() + g_lifetime;
    fprintf(stderr, "badorigin: %d listeners, lifetime %d s\n", nl, g_lifetime);

    struct pollfd pf[MAX_LISTEN];
    for (int i = 0; i < nl; i++)
        pf[i] = (struct pollfd){ls[i].fd, POLLIN, 0};
    long conns = 0;
    while (now_s() < end) {
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        int r = poll(pf, (nfds_t)nl, 500);
        if (r <= 0)
            continue;
        for (int i = 0; i < nl; i++) {
            if (!(pf[i].revents & POLLIN))
                continue;
            struct sockaddr_storage peer;
            socklen_t pl = sizeof peer;
            int c = accept4(ls[i].fd, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC);
            if (c < 0)
                continue;
            conns++;
            pid_t pid = fork();
            if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() == 1)
                    _exit(0);
                for (int j = 0; j < nl; j++)
                    close(ls[j].fd);
                unsigned left = (unsigned)(end - now_s()) + 1;
                alarm(left < 40 ? left : 40);
                serve(c, ls[i].mode);
                _exit(0);
            }
            close(c);
        }
    }
    fprintf(stderr, "badorigin: lifetime over after %ld connections\n", conns);
    return 0;
}
