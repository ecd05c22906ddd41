/* Which addresses are the gateway (see gateways.h). */
#include "store/gateways.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/ascii.h"

bool why_addr_in(const struct why_addr *set, uint32_t n, const struct why_addr *a)
{
    for (uint32_t i = 0; i < n; i++)
        if (why_addr_eq(&set[i], a))
            return true;
    return false;
}

/* The local addresses count as the gateway when one of them serves HTTP (a capture taken on
 * the gateway, where the link layer tells direction), or when given with --gateway.
 * Otherwise a gateway is an address that both serves HTTP and opens connections/DNS.
 * Computed once per change of the sets, so that the question, asked per request and per
 * sweep, is a look at the one or two addresses it makes. */
static void gws_compute(struct why_gateways *g)
{
    bool local_serves = g->from_option;
    for (uint32_t i = 0; i < g->nlocal && !local_serves; i++)
        local_serves = why_addr_in(g->served, g->nserved, &g->local[i]);
    g->ngws = 0;
    if (local_serves) {
        for (uint32_t i = 0; i < g->nlocal && g->ngws < WHY_GW_SEEN_MAX; i++)
            g->gws[g->ngws++] = g->local[i];
        return;
    }
    for (uint32_t i = 0; i < g->nserved; i++)
        if (why_addr_in(g->originators, g->norig, &g->served[i]))
            g->gws[g->ngws++] = g->served[i];
}

/* Adds a to one of the sets that decide who the gateway is; a change invalidates the roles
 * cached in the connection records. */
static void addr_add(struct why_gateways *g, struct why_addr *set, uint32_t *n, uint32_t cap,
                     const struct why_addr *a)
{
    if (a->family == 0 || *n >= cap || why_addr_in(set, *n, a))
        return;
    set[(*n)++] = *a;
    g->gen++;
    gws_compute(g);
}

void why_gw_add_served(struct why_gateways *g, const struct why_addr *a)
{
    addr_add(g, g->served, &g->nserved, WHY_GW_SEEN_MAX, a);
}

void why_gw_add_originator(struct why_gateways *g, const struct why_addr *a)
{
    addr_add(g, g->originators, &g->norig, WHY_GW_SEEN_MAX, a);
}

void why_gw_roles(const struct why_gateways *g, struct why_conn_rec *rc)
{
    if (rc->gw_gen_seen == g->gen + 1)
        return;
    const struct why_conn *c = why_rec_conn(rc);
    rc->gw_cli = why_gw_is_gateway(g, &c->cli_addr);
    rc->gw_srv = why_gw_is_gateway(g, &c->srv_addr);
    rc->gw_gen_seen = g->gen + 1;
}

bool why_gw_is_local(const struct why_gateways *g, const struct why_addr *a)
{
    return why_addr_in(g->local, g->nlocal, a);
}

bool why_gw_is_gateway(const struct why_gateways *g, const struct why_addr *a)
{
    return why_addr_in(g->gws, g->ngws, a);
}

/* Multicast, broadcast and link-local addresses say nothing about which host is the gateway
 * (a packet "to us" may be to a group we joined). */
static bool unicast_global(const struct why_addr *a)
{
    if (a->family == 4)
        return a->a[0] < 224 && !(a->a[0] == 169 && a->a[1] == 254) && a->a[0] != 0;
    if (a->family == 6)
        return a->a[0] != 0xff && !(a->a[0] == 0xfe && (a->a[1] & 0xc0) == 0x80);
    return false;
}

void why_gw_learn_local(struct why_gateways *g, const struct why_pkt *p)
{
    if (g->from_option)
        return;
    const struct why_addr *a = p->link_dir == WHY_LINK_DIR_OUT ? &p->src
                               : p->link_dir == WHY_LINK_DIR_IN ? &p->dst : NULL;
    if (!a || why_addr_eq(a, &g->last_local[0]) || why_addr_eq(a, &g->last_local[1]) || !unicast_global(a))
        return; /* (most packets repeat one of the last two local addresses: no set scan) */
    g->last_local[1] = g->last_local[0];
    g->last_local[0] = *a;
    addr_add(g, g->local, &g->nlocal, WHY_GW_LOCAL_MAX, a);
}

int why_gw_parse(struct why_gateways *g, const char *spec, char *err, size_t errsize)
{
    char buf[512];
    why_str_copy(buf, sizeof buf, spec);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char addr[128];
        why_str_copy(addr, sizeof addr, tok);
        /* ADDR, ADDR:PORT, [V6], [V6]:PORT */
        char *port = NULL;
        if (addr[0] == '[') {
            char *close = strchr(addr, ']');
            if (close && close[1] == ':')
                port = close + 2;
            if (close)
                close[1] = 0;
        } else {
            char *colon = strchr(addr, ':');
            if (colon && !strchr(colon + 1, ':')) {
                *colon = 0;
                port = colon + 1;
            }
        }
        struct why_addr a;
        if (why_addr_parse(addr, &a) < 0) {
            snprintf(err, errsize, "--gateway: '%s' is not an IP address", tok);
            return -1;
        }
        addr_add(g, g->local, &g->nlocal, WHY_GW_LOCAL_MAX, &a);
        if (port && *port && g->nports < WHY_GW_PORTS_MAX) {
            char *end;
            long v = strtol(port, &end, 10);
            if (*end || v <= 0 || v > 65535) {
                snprintf(err, errsize, "--gateway: bad port in '%s'", tok);
                return -1;
            }
            g->ports[g->nports++] = (uint16_t)v;
        }
    }
    g->from_option = true;
    gws_compute(g);
    return 0;
}

uint32_t why_gw_list(const struct why_gateways *g, struct why_addr *out, uint32_t max)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < g->nlocal && n < max; i++)
        if (why_gw_is_gateway(g, &g->local[i]))
            out[n++] = g->local[i];
    for (uint32_t i = 0; i < g->nserved && n < max; i++)
        if (why_gw_is_gateway(g, &g->served[i]) && !why_addr_in(out, n, &g->served[i]))
            out[n++] = g->served[i];
    return n;
}
