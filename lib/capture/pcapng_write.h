/* pcapng writer (draft-ietf-opsawg-pcapng): one section with a comment, one interface
 * description block per link type met, enhanced packet blocks with nanosecond timestamps
 * and an optional comment each, and a Decryption Secrets Block holding TLS key log lines
 * (secrets type 0x544c534b, as `editcap --inject-secrets tls,FILE` writes it) so Wireshark
 * opens the file decrypted. Blocks are written in host byte order (the byte-order magic
 * says which). The writer never reorders: the caller hands frames in the order wanted. */
#ifndef WHY_CAPTURE_PCAPNG_WRITE_H
#define WHY_CAPTURE_PCAPNG_WRITE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "capture/capture.h"

#define WHY_PCAPNG_IFACES_MAX 16u     /* distinct link types per file (cap); frames of further
                                         link types are refused with -1 */
#define WHY_PCAPNG_COMMENT_MAX 65000u /* bytes of one comment option; longer ones are cut */

struct why_pcapng_w;

/* Writes the section header (with shb_comment when not NULL or "") to f, which stays the
 * caller's to close after why_pcapng_free. Returns 0, or -1 with errno set on a write error
 * or out of memory. */
int why_pcapng_open(struct why_pcapng_w **out, FILE *f, const char *shb_comment);
/* A Decryption Secrets Block with len bytes of TLS key log text (NSS format lines). Written
 * before the packets so readers have the keys when they meet the handshakes. 0 or -1. */
int why_pcapng_tls_secrets(struct why_pcapng_w *w, const char *keylog, size_t len);
/* One frame (an interface description block first when its link type is new); comment may
 * be NULL. 0, or -1 (errno set; EOVERFLOW for too many link types). */
int why_pcapng_packet(struct why_pcapng_w *w, const struct why_frame *f, const char *comment);
/* Bytes written so far (what the file holds when the FILE is flushed). */
uint64_t why_pcapng_bytes(const struct why_pcapng_w *w);
/* Frees the writer (not the FILE); NULL is accepted. */
void why_pcapng_free(struct why_pcapng_w *w);

#endif
