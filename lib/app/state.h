/* The protocol handlers' parser state of one connection, embedded in its record so that no
 * packet allocates: private to lib/app/ (nothing else reads it). The HTTP parsers are
 * allocated when a connection turns out to carry HTTP and freed when it closes, so a closed
 * record costs little. */
#ifndef WHY_APP_STATE_H
#define WHY_APP_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/http1.h"
#include "proto/http2.h"
#include "proto/tls.h"
#include "tlsdec/tlsdec.h"
#include "util/wtime.h"

/* TLS records of each direction (also a CONNECT tunnel's) and the --keylog decryptor:
 * allocated when TLS is first seen (most connections never carry it) */
struct why_app_tls {
    struct why_tls_stream s[2];
    struct why_tlsdec *dec;        /* --keylog: the decryptor, NULL without */
};

/* DNS over TCP, one direction: allocated when the connection is DNS */
struct why_app_dns {
    uint16_t need;                 /* the length of the message being read (bytes) */
    uint16_t got;                  /* bytes of it seen (the first WHY_DNS_TCP_KEEP kept) */
    uint8_t pfx;                   /* bytes of the length prefix seen (0..2) */
    uint8_t buf[];                 /* WHY_DNS_TCP_KEEP bytes */
};

struct why_app_state {
    struct why_http1_stream *hreq, *hresp; /* NULL until HTTP is found (in clear, in a CONNECT
                                              tunnel's peer, or decrypted); with the frame of
                                              the message's first byte (app/http1.c) */
    struct why_h2_conn *h2;        /* HTTP/2 (prior knowledge, or decrypted after ALPN h2), NULL
                                      until found */
    struct why_app_tls *tls;       /* NULL until TLS is found */
    struct why_app_dns *dns[2];    /* NULL until DNS over TCP is found, and after a gap */
};

#endif
