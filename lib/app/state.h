/* The protocol handlers' parser state of one connection, embedded in its record so that no
 * packet allocates: private to lib/app/ (nothing else reads it). The HTTP parsers are
 * allocated when a connection turns out to carry HTTP and freed when it closes, so a closed
 * record costs little. */
#ifndef WHY_APP_STATE_H
#define WHY_APP_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/http1.h"
#include "proto/tls.h"
#include "tlsdec/tlsdec.h"
#include "util/wtime.h"

struct why_app_state {
    struct why_http1_stream *hreq, *hresp; /* NULL until HTTP is found (in clear, in a CONNECT
                                              tunnel's peer, or decrypted) */
    uint64_t hreq_first_frame, hresp_first_frame; /* first byte of the message being parsed */
    struct why_ts hreq_first_ts, hresp_first_ts;
    struct why_tls_stream tls[2];  /* TLS records of each direction (also a CONNECT tunnel's) */
    struct why_tlsdec *dec;        /* --keylog: the decryptor, NULL without */
    uint8_t dns_pfx[2];            /* DNS over TCP: bytes of the length prefix seen (0..2) */
    uint16_t dns_need[2];          /* ...the length of the message being read (bytes) */
    uint16_t dns_got[2];           /* ...bytes of it seen (the first WHY_DNS_TCP_KEEP kept) */
    uint8_t *dns_buf[2];           /* ...allocated when the connection is DNS */
};

#endif
