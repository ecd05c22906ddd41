/* Which addresses are the gateway. In order: the --gateway addresses; the capture host's own
 * addresses when the link layer tells direction (SLL/SLL2 "outgoing") and one of them serves
 * HTTP; else addresses that both serve HTTP and open connections or send DNS queries.
 * Connection records cache their roles until one of the sets changes (gen). */
#ifndef WHY_STORE_GATEWAYS_H
#define WHY_STORE_GATEWAYS_H

#include "store/records.h"

#define WHY_GW_LOCAL_MAX 32      /* local addresses remembered (cap) */
#define WHY_GW_PORTS_MAX 8       /* --gateway ports (cap) */
#define WHY_GW_SEEN_MAX 64       /* addresses serving HTTP / originating, each (cap) */

struct why_gateways {
    struct why_addr local[WHY_GW_LOCAL_MAX]; /* from the link layer's direction or --gateway */
    uint32_t nlocal;
    bool from_option;            /* --gateway given: only those */
    uint16_t ports[WHY_GW_PORTS_MAX];
    uint32_t nports;
    struct why_addr served[WHY_GW_SEEN_MAX];  /* addresses that served an HTTP request */
    uint32_t nserved;
    struct why_addr originators[WHY_GW_SEEN_MAX]; /* addresses that opened connections/DNS */
    uint32_t norig;
    uint32_t gen;                /* bumped when any of the sets above changes */
    struct why_addr gws[WHY_GW_SEEN_MAX]; /* the gateway addresses the sets above make,
                                             recomputed at each change (why_gw_is_gateway) */
    uint32_t ngws;
    struct why_addr last_local[2]; /* the two local addresses seen last (why_gw_learn_local:
                                     a gateway's packets alternate between its two sides) */
};

/* "ADDR[:PORT][,ADDR...]" (IPv6 in brackets with a port): 0, or -1 with a message in err. */
int why_gw_parse(struct why_gateways *g, const char *spec, char *err, size_t errsize);
void why_gw_add_served(struct why_gateways *g, const struct why_addr *a);
void why_gw_add_originator(struct why_gateways *g, const struct why_addr *a);
/* The packet's local address, when the link layer says which side is this host. */
void why_gw_learn_local(struct why_gateways *g, const struct why_pkt *p);
bool why_gw_is_local(const struct why_gateways *g, const struct why_addr *a);
bool why_gw_is_gateway(const struct why_gateways *g, const struct why_addr *a);
/* Fills rc->gw_cli / gw_srv, recomputed only when the sets changed. */
void why_gw_roles(const struct why_gateways *g, struct why_conn_rec *rc);
/* The gateway addresses found, for the summary (at most max). */
uint32_t why_gw_list(const struct why_gateways *g, struct why_addr *out, uint32_t max);
bool why_addr_in(const struct why_addr *set, uint32_t n, const struct why_addr *a);

#endif
