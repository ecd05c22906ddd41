/* DNS messages (RFC 1035, 3596): header, the first question, and from the answer section the
 * A/AAAA addresses and CNAMEs; an SOA in the authority section marks a negative answer.
 * Names are decoded with compression pointers that must point strictly backwards, a hard cap
 * on labels and name length, and no recursion. DNS over TCP is the same message after a
 * two-byte length (RFC 7766), which the caller strips. */
#ifndef WHY_PROTO_DNS_H
#define WHY_PROTO_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"

#define WHY_DNS_NAME_MAX 255     /* presentation bytes of a name, without the final dot */
#define WHY_DNS_ADDRS_MAX 16     /* addresses kept from one answer (cap, counted in addrs_total) */
#define WHY_DNS_RR_MAX 256       /* resource records walked per message (cap) */

enum {
    WHY_DNS_NOERROR = 0, WHY_DNS_FORMERR = 1, WHY_DNS_SERVFAIL = 2, WHY_DNS_NXDOMAIN = 3,
    WHY_DNS_NOTIMP = 4, WHY_DNS_REFUSED = 5,
};
enum { WHY_DNS_A = 1, WHY_DNS_CNAME = 5, WHY_DNS_SOA = 6, WHY_DNS_AAAA = 28, WHY_DNS_HTTPS = 65 };

struct why_dns_msg {
    uint16_t id;
    bool response;                  /* QR bit */
    uint8_t opcode, rcode;
    bool truncated;                 /* TC bit */
    uint16_t qdcount, ancount, nscount, arcount;
    bool has_question;
    char qname[WHY_DNS_NAME_MAX + 1]; /* lower-case, no trailing dot; "" for the root */
    uint16_t qtype, qclass;
    uint32_t naddrs;                /* addresses kept in addrs */
    uint32_t addrs_total;           /* A/AAAA records seen (may exceed WHY_DNS_ADDRS_MAX) */
    struct why_addr addrs[WHY_DNS_ADDRS_MAX];
    uint32_t ncname;                /* CNAME records in the answer */
    char cname[WHY_DNS_NAME_MAX + 1]; /* the last CNAME target, lower-case ("" if none) */
    bool soa;                       /* SOA in the authority section (negative answer) */
    bool partial;                   /* records after the question could not all be read */
};

/* Parses a DNS message. Returns 0 when the header and question were read (answers may be
 * partial: see `partial`), -1 when the bytes cannot be a DNS message. */
int why_dns_parse(const uint8_t *msg, size_t len, struct why_dns_msg *out);

/* "NXDOMAIN", "SERVFAIL", ... or "RCODE7". Static string. */
const char *why_dns_rcode_name(uint8_t rcode);
/* "A", "AAAA", "HTTPS", ... or "TYPE99" (written into buf, >= 12 bytes). */
const char *why_dns_type_name(uint16_t qtype, char *buf, size_t size);

#endif
