/* Generates tests/unit/tlsdec_vectors.h: real TLS sessions between an OpenSSL client and
 * server in one process (memory BIOs), one per cipher suite, with the records both ways in
 * the order they were sent and the client's key log lines. Not part of the build; run once
 * and commit the output:
 *
 *   cc -std=c17 -O1 -o /tmp/tlsdec-gen tests/unit/tlsdec-vectors/gen.c -lssl -lcrypto
 *   /tmp/tlsdec-gen > tests/unit/tlsdec_vectors.h
 *
 * Each session: handshake, the client's request, then
 *   TLS 1.2: a server-initiated renegotiation (HelloRequest, then a new handshake under the
 *            old keys: a full one where the server's session cache is off, an abbreviated
 *            one resuming the session otherwise), the response under the new keys,
 *            close_notify both ways;
 *   TLS 1.3: the response, a KeyUpdate (update_requested) by the client with a second
 *            request, the server's KeyUpdate and second response, close_notify both ways.
 * Cleartext handshake records (the hellos, and in TLS 1.2 the certificate flight) are left
 * out to keep the file small: their facts (randoms, version, cipher) are fields of the
 * session. Cleartext ChangeCipherSpec records are kept. Certificates are made here: RSA-1024
 * for TLS 1.2 (RSA key exchange and ECDHE_RSA suites), EC P-256 for TLS 1.3. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define MAXREC 256
#define MAXKEYLOG 4096

struct rec {
    int dir;
    unsigned char ctype;
    unsigned char *body;
    size_t len;
};

static struct rec recs[MAXREC];
static int nrec;
static char keylog[MAXKEYLOG];
static size_t keylog_len;

static void die(const char *what)
{
    fprintf(stderr, "gen: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

static void keylog_cb(const SSL *ssl, const char *line)
{
    (void)ssl;
    size_t n = strlen(line);
    if (keylog_len + n + 2 > sizeof keylog)
        die("key log too long");
    memcpy(keylog + keylog_len, line, n);
    keylog_len += n;
    keylog[keylog_len++] = '\n';
    keylog[keylog_len] = 0;
}

static EVP_PKEY *make_key(int rsa)
{
    EVP_PKEY *k = rsa ? EVP_RSA_gen(1024) : EVP_EC_gen("P-256");
    if (!k)
        die("keygen");
    return k;
}

static X509 *make_cert(EVP_PKEY *k)
{
    X509 *x = X509_new();
    if (!x)
        die("X509_new");
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600L * 24 * 365 * 30);
    X509_set_pubkey(x, k);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"t", -1, -1, 0);
    X509_set_issuer_name(x, n);
    if (!X509_sign(x, k, EVP_sha256()))
        die("X509_sign");
    return x;
}

/* Per-direction state while splitting the byte streams into records. */
struct split {
    int encrypted;                 /* TLS 1.2: CCS seen in this direction */
    unsigned char buf[65536];
    size_t len;
};

static struct split sp[2];
static int tls13;

static void split_records(int dir)
{
    struct split *s = &sp[dir];
    size_t off = 0;
    while (s->len - off >= 5) {
        size_t len = (size_t)s->buf[off + 3] << 8 | s->buf[off + 4];
        if (s->len - off < 5 + len)
            break;
        unsigned char ct = s->buf[off];
        int cleartext_hs = ct == 22 && (tls13 || !s->encrypted);
        if (!cleartext_hs) {
            if (nrec == MAXREC)
                die("too many records");
            struct rec *r = &recs[nrec++];
            r->dir = dir;
            r->ctype = ct;
            r->len = len;
            r->body = malloc(len ? len : 1);
            memcpy(r->body, s->buf + off + 5, len);
        }
        if (ct == 20 && !tls13)
            s->encrypted = 1;
        off += 5 + len;
    }
    memmove(s->buf, s->buf + off, s->len - off);
    s->len -= off;
}

static SSL *cli, *srv;
static BIO *c_in, *c_out, *s_in, *s_out;

/* Moves what each side wrote to the other, recording it. */
static int pump(void)
{
    int moved = 0;
    unsigned char tmp[16384];
    int n;
    while ((n = BIO_read(c_out, tmp, sizeof tmp)) > 0) {
        if (sp[0].len + (size_t)n > sizeof sp[0].buf)
            die("stream too long");
        memcpy(sp[0].buf + sp[0].len, tmp, (size_t)n);
        sp[0].len += (size_t)n;
        split_records(0);
        BIO_write(s_in, tmp, n);
        moved = 1;
    }
    while ((n = BIO_read(s_out, tmp, sizeof tmp)) > 0) {
        if (sp[1].len + (size_t)n > sizeof sp[1].buf)
            die("stream too long");
        memcpy(sp[1].buf + sp[1].len, tmp, (size_t)n);
        sp[1].len += (size_t)n;
        split_records(1);
        BIO_write(c_in, tmp, n);
        moved = 1;
    }
    return moved;
}

static void handshake(void)
{
    for (int i = 0; i < 100; i++) {
        int rc = SSL_do_handshake(cli);
        int rs = SSL_do_handshake(srv);
        pump();
        if (rc == 1 && rs == 1)
            return;
    }
    die("handshake did not finish");
}

static void send_text(SSL *from, SSL *to, const char *text, int key_update)
{
    if (key_update && SSL_key_update(from, SSL_KEY_UPDATE_REQUESTED) != 1)
        die("SSL_key_update");
    if (SSL_write(from, text, (int)strlen(text)) != (int)strlen(text))
        die("SSL_write");
    pump();
    char buf[4096];
    size_t got = 0;
    for (int i = 0; i < 20 && got < strlen(text); i++) {
        size_t n = 0;
        if (SSL_read_ex(to, buf + got, sizeof buf - 1 - got, &n) == 1)
            got += n;
        pump();
    }
    buf[got] = 0;
    if (strcmp(buf, text) != 0)
        die("text did not arrive");
}

static void renegotiate(void)
{
    if (SSL_renegotiate(srv) != 1)
        die("SSL_renegotiate");
    SSL_do_handshake(srv);
    pump();
    char b[16];
    size_t n;
    for (int i = 0; i < 50 && (SSL_renegotiate_pending(srv) || SSL_in_init(cli)); i++) {
        SSL_read_ex(cli, b, sizeof b, &n);
        pump();
        SSL_read_ex(srv, b, sizeof b, &n);
        pump();
    }
    if (SSL_renegotiate_pending(srv) || SSL_in_init(cli))
        die("renegotiation did not finish");
}

static void shutdown_both(void)
{
    SSL_shutdown(cli);
    pump();
    char b[16];
    size_t n;
    SSL_read_ex(srv, b, sizeof b, &n);
    SSL_shutdown(srv);
    pump();
}

static void print_bytes(const unsigned char *p, size_t n, const char *indent)
{
    printf("%s\"", indent);
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && i % 24 == 0)
            printf("\"\n%s\"", indent);
        printf("\\x%02x", p[i]);
    }
    printf("\"");
}

static void print_text(const char *t)
{
    printf("\"");
    for (const char *p = t; *p; p++) {
        if (*p == '\r')
            printf("\\r");
        else if (*p == '\n')
            printf("\\n");
        else
            putchar(*p);
    }
    printf("\"");
}

static const char *req1 = "GET / HTTP/1.1\r\nHost: up.lab\r\n\r\n";
static const char *req2 = "GET /2 HTTP/1.1\r\nHost: up.lab\r\n\r\n";
static const char *resp1 = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
static const char *resp2 = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n";

static void session(const char *name, const char *suite, int v13, int no_etm, int full,
                    EVP_PKEY *key, X509 *cert, int idx)
{
    nrec = 0;
    keylog_len = 0;
    keylog[0] = 0;
    memset(sp, 0, sizeof sp);
    tls13 = v13;

    SSL_CTX *sc = SSL_CTX_new(TLS_server_method()), *cc = SSL_CTX_new(TLS_client_method());
    if (!sc || !cc)
        die("SSL_CTX_new");
    int ver = v13 ? TLS1_3_VERSION : TLS1_2_VERSION;
    SSL_CTX_set_min_proto_version(sc, ver);
    SSL_CTX_set_max_proto_version(sc, ver);
    SSL_CTX_set_min_proto_version(cc, ver);
    SSL_CTX_set_max_proto_version(cc, ver);
    SSL_CTX_set_security_level(sc, 0);
    SSL_CTX_set_security_level(cc, 0);
    if (v13) {
        if (!SSL_CTX_set_ciphersuites(sc, suite) || !SSL_CTX_set_ciphersuites(cc, suite))
            die("ciphersuites");
        SSL_CTX_set_num_tickets(sc, 0);
    } else if (!SSL_CTX_set_cipher_list(sc, suite) || !SSL_CTX_set_cipher_list(cc, suite)) {
        die("cipher list");
    }
    SSL_CTX_set_options(sc, SSL_OP_NO_TICKET);
    SSL_CTX_set_options(cc, SSL_OP_NO_TICKET);
    if (no_etm)
        SSL_CTX_set_options(cc, SSL_OP_NO_ENCRYPT_THEN_MAC);
    if (full)
        SSL_CTX_set_session_cache_mode(sc, SSL_SESS_CACHE_OFF);
    if (SSL_CTX_use_certificate(sc, cert) != 1 || SSL_CTX_use_PrivateKey(sc, key) != 1)
        die("server certificate");
    SSL_CTX_set_keylog_callback(cc, keylog_cb);

    cli = SSL_new(cc);
    srv = SSL_new(sc);
    c_in = BIO_new(BIO_s_mem());
    c_out = BIO_new(BIO_s_mem());
    s_in = BIO_new(BIO_s_mem());
    s_out = BIO_new(BIO_s_mem());
    SSL_set_bio(cli, c_in, c_out);
    SSL_set_bio(srv, s_in, s_out);
    SSL_set_connect_state(cli);
    SSL_set_accept_state(srv);

    handshake();
    unsigned char cr[32], sr[32];
    SSL_get_client_random(cli, cr, sizeof cr);
    SSL_get_server_random(cli, sr, sizeof sr);
    unsigned cipher = SSL_CIPHER_get_protocol_id(SSL_get_current_cipher(cli));
    int version = SSL_version(cli);

    send_text(cli, srv, req1, 0);
    if (v13) {
        send_text(srv, cli, resp1, 0);
        send_text(cli, srv, req2, 1);
        send_text(srv, cli, resp2, 0);
    } else {
        renegotiate();
        send_text(srv, cli, resp1, 0);
    }
    shutdown_both();
    if (sp[0].len || sp[1].len)
        die("partial record left");

    printf("/* %s: %s%s, %d records */\n", name, suite,
           v13 ? "" : full ? ", full renegotiation" : ", abbreviated renegotiation", nrec);
    printf("static const struct tv_rec tv_recs_%d[] = {\n", idx);
    for (int i = 0; i < nrec; i++) {
        printf("    {%d, %u, %zu,\n", recs[i].dir, recs[i].ctype, recs[i].len);
        print_bytes(recs[i].body, recs[i].len, "        ");
        printf("},\n");
        free(recs[i].body);
    }
    printf("};\n");
    printf("static const struct tv_session tv_session_%d = {\n", idx);
    printf("    \"%s\", 0x%04x, 0x%04x,\n", name, (unsigned)version, cipher);
    print_bytes(cr, 32, "    ");
    printf(",\n");
    print_bytes(sr, 32, "    ");
    printf(",\n    ");
    /* key log: one string, newline-separated */
    printf("\"");
    for (size_t i = 0; i < keylog_len; i++) {
        if (keylog[i] == '\n')
            printf(i + 1 < keylog_len ? "\\n\"\n    \"" : "\\n\"");
        else
            putchar(keylog[i]);
    }
    printf(",\n    tv_recs_%d, %d,\n};\n\n", idx, nrec);

    SSL_free(cli);
    SSL_free(srv);
    SSL_CTX_free(sc);
    SSL_CTX_free(cc);
}

int main(void)
{
    EVP_PKEY *rsa = make_key(1), *ec = make_key(0);
    X509 *rsa_cert = make_cert(rsa), *ec_cert = make_cert(ec);
    static const struct {
        const char *name, *suite;
        int v13, no_etm, full;
    } runs[] = {
        {"tls12-aes128-gcm", "ECDHE-RSA-AES128-GCM-SHA256", 0, 0, 1},
        {"tls12-aes256-gcm", "ECDHE-RSA-AES256-GCM-SHA384", 0, 0, 0},
        {"tls12-chacha20", "ECDHE-RSA-CHACHA20-POLY1305", 0, 0, 1},
        {"tls12-aes128-cbc-sha256-etm", "ECDHE-RSA-AES128-SHA256", 0, 0, 0},
        {"tls12-aes256-cbc-sha1", "AES256-SHA", 0, 1, 1},
        {"tls13-aes128-gcm", "TLS_AES_128_GCM_SHA256", 1, 0, 0},
        {"tls13-aes256-gcm", "TLS_AES_256_GCM_SHA384", 1, 0, 0},
        {"tls13-chacha20", "TLS_CHACHA20_POLY1305_SHA256", 1, 0, 0},
    };
    size_t n = sizeof runs / sizeof runs[0];
    printf("/* Generated by tests/unit/tlsdec-vectors/gen.c: real OpenSSL sessions for the TLS\n"
           " * decryptor's tests (see the command at the top of gen.c). Do not edit. */\n"
           "#ifndef TLSDEC_VECTORS_H\n#define TLSDEC_VECTORS_H\n\n"
           "#include <stddef.h>\n#include <stdint.h>\n\n"
           "struct tv_rec {\n    int dir;           /* 0 client->server, 1 server->client */\n"
           "    uint8_t ctype;     /* record header content type */\n"
           "    size_t len;\n    const char *body;\n};\n\n"
           "struct tv_session {\n    const char *name;\n    uint16_t version, cipher;\n"
           "    const char *client_random, *server_random; /* 32 bytes each */\n"
           "    const char *keylog;\n    const struct tv_rec *recs;\n    size_t nrec;\n};\n\n");
    printf("#define TV_REQ1 ");
    print_text(req1);
    printf("\n#define TV_REQ2 ");
    print_text(req2);
    printf("\n#define TV_RESP1 ");
    print_text(resp1);
    printf("\n#define TV_RESP2 ");
    print_text(resp2);
    printf("\n\n");
    for (size_t i = 0; i < n; i++)
        session(runs[i].name, runs[i].suite, runs[i].v13, runs[i].no_etm, runs[i].full,
                runs[i].v13 ? ec : rsa, runs[i].v13 ? ec_cert : rsa_cert, (int)i);
    printf("static const struct tv_session *const tv_sessions[] = {\n");
    for (size_t i = 0; i < n; i++)
        printf("    &tv_session_%zu,\n", i);
    printf("};\n#define TV_NSESSIONS %zu\n\n#endif\n", n);
    X509_free(rsa_cert);
    X509_free(ec_cert);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec);
    return 0;
}
