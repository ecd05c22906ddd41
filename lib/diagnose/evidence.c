/* The evidence of a diagnosis as data, and the small helpers every rule uses: the cause,
 * its parameters (detail_text), the phrases of its words, the connections it involves. The
 * diagnosis is assembled in a struct why_diagnosis whose first member is the incident. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose/evidence.h"
#include "util/ascii.h"

/* The diagnosis being made: the incident is its first member, so the rules, which fill an
 * incident, reach the words beside it. */
struct why_diagnosis *why_dg_of(struct why_incident *inc)
{
    return (struct why_diagnosis *)(void *)inc;
}

static void put(char *dst, const char *src)
{
    why_str_copy(dst, WHY_WORDS_S, src ? src : "");
}

/* The summary: a phrase of render/words.h and its arguments (NULL strings are ""). */
void why_dg_say(struct why_incident *inc, enum why_phrase ph, const char *s0, const char *s1,
                const char *s2, int64_t n0, int64_t n1, int64_t n2, int64_t n3)
{
    struct why_words *w = &why_dg_of(inc)->summary;
    memset(w, 0, sizeof *w);
    w->phrase = ph;
    put(w->s[0], s0);
    put(w->s[1], s1);
    put(w->s[2], s2);
    w->n[0] = n0, w->n[1] = n1, w->n[2] = n2, w->n[3] = n3;
}

/* The index (1-based) of a tunnel path in the incident's list, added on first use; 0 when
 * there is none or the list is full. */
static uint8_t encap_ref(struct why_incident *inc, const struct why_encap_chain *ch)
{
    if (!ch || ch->n == 0)
        return 0;
    char text[WHY_ENCAP_TEXT_MAX];
    why_encap_str(ch->layer, ch->n, text, sizeof text);
    for (uint32_t i = 0; i < inc->nencaps; i++)
        if (!strcmp(inc->encaps[i], text))
            return (uint8_t)(i + 1);
    if (inc->nencaps >= WHY_INCIDENT_ENCAPS_MAX)
        return 0;
    memcpy(inc->encaps[inc->nencaps], text, sizeof text);
    return (uint8_t)++inc->nencaps;
}

/* Adds an evidence item: frame is a frame id (0: none, nothing added; an item per frame);
 * ch the tunnels its frame crossed (NULL: none or not known). */
static void ev_add(struct why_incident *inc, const struct why_encap_chain *ch, enum why_evidence_kind kind, enum why_actor from,
                   const struct why_addr *fa, uint16_t fp, enum why_actor to,
                   const struct why_addr *ta, uint16_t tp, uint64_t frame, struct why_ts ts,
                   enum why_phrase ph, const char *s0, const char *s1, const char *s2, int64_t n0,
                   int64_t n1, int64_t n2)
{
    if (!frame)
        return;
    uint32_t file = why_frame_file(frame);
    uint64_t num = why_frame_num(frame);
    for (uint32_t i = 0; i < inc->nevidence; i++)
        if (inc->evidence[i].frame == num && inc->evidence[i].file == file)
            return;
    if (inc->nevidence >= WHY_EVIDENCE_MAX)
        return;
    struct why_words *w = &why_dg_of(inc)->evidence[inc->nevidence];
    struct why_evidence *e = &inc->evidence[inc->nevidence++];
    memset(e, 0, sizeof *e);
    e->file = file;
    e->frame = num;
    e->ts = ts;
    e->kind = kind;
    e->from = from;
    e->to = to;
    if (fa)
        e->from_addr = *fa;
    if (ta)
        e->to_addr = *ta;
    e->from_port = fp;
    e->to_port = tp;
    e->encap = encap_ref(inc, ch);
    memset(w, 0, sizeof *w);
    w->phrase = ph;
    put(w->s[0], s0);
    put(w->s[1], s1);
    put(w->s[2], s2);
    w->n[0] = n0, w->n[1] = n1, w->n[2] = n2;
}

/* The actors of a connection's two ends, from the gateway's addresses. */
static enum why_actor cli_actor(const struct why_conn_rec *rc)
{
    return rc->gw_cli ? WHY_ACTOR_GATEWAY : WHY_ACTOR_CLIENT;
}
static enum why_actor srv_actor(const struct why_conn_rec *rc)
{
    return rc->gw_srv ? WHY_ACTOR_GATEWAY : WHY_ACTOR_UPSTREAM;
}

/* Evidence on a TCP connection, sent in direction dir (WHY_C2S: by the side that opened it). */
void why_dg_ev_conn3(struct why_incident *inc, enum why_evidence_kind kind, const struct why_conn_rec *rc,
                enum why_dir dir, uint64_t frame, struct why_ts ts, enum why_phrase ph,
                const char *s0, const char *s1, const char *s2, int64_t n0, int64_t n1)
{
    const struct why_conn *c = why_rec_conn(rc);
    if (dir == WHY_C2S)
        ev_add(inc, c->encap[dir], kind, cli_actor(rc), &c->cli_addr, c->cli_port, srv_actor(rc), &c->srv_addr,
               c->srv_port, frame, ts, ph, s0, s1, s2, n0, n1, 0);
    else
        ev_add(inc, c->encap[dir], kind, srv_actor(rc), &c->srv_addr, c->srv_port, cli_actor(rc), &c->cli_addr,
               c->cli_port, frame, ts, ph, s0, s1, s2, n0, n1, 0);
}

void why_dg_ev_conn(struct why_incident *inc, enum why_evidence_kind kind, const struct why_conn_rec *rc,
                enum why_dir dir, uint64_t frame, struct why_ts ts, enum why_phrase ph,
                const char *s0, const char *s1, int64_t n0, int64_t n1)
{
    why_dg_ev_conn3(inc, kind, rc, dir, frame, ts, ph, s0, s1, NULL, n0, n1);
}

/* The server's answer to another connection's SYN while rc's SYNs went unanswered: from the
 * server, to a client the connection does not name. */
void why_dg_ev_other_synack(struct why_incident *inc, const struct why_conn_rec *rc)
{
    const struct why_conn *c = why_rec_conn(rc);
    char dst[64];
    why_endpoint_str(&c->srv_addr, c->srv_port, dst, sizeof dst);
    ev_add(inc, c->encap[WHY_S2C], WHY_EVK_SYN_ACK, srv_actor(rc), &c->srv_addr, c->srv_port, WHY_ACTOR_OTHER,
           NULL, 0, c->more->syn_other_frame, c->more->syn_other_ts, WHY_P_EV_SYN_ACK_OTHER, dst, NULL, NULL,
           c->more->syn_others_answered, 0, 0);
}

/* An ICMP error about a connection's SYN: from the router or host that sent it. */
static void evi(struct why_incident *inc, const struct why_conn_rec *rc, const char *dst)
{
    const struct why_conn *c = why_rec_conn(rc);
    enum why_actor from = why_addr_eq(&c->more->icmp_from, &c->srv_addr) ? srv_actor(rc) : WHY_ACTOR_OTHER;
    ev_add(inc, c->more->icmp_encap, WHY_EVK_ICMP, from, &c->more->icmp_from, 0, cli_actor(rc), &c->cli_addr, 0, c->more->icmp_frame,
           c->more->icmp_ts, WHY_P_EV_SYN_ICMP, dst, NULL, NULL, c->more->icmp_ipver, c->more->icmp_type, c->more->icmp_code);
}

/* Evidence of a DNS exchange: dir WHY_C2S is the query's direction. The host asking is the
 * gateway when it is one of the gateway's addresses. */
void why_dg_ev_dns(struct why_incident *inc, enum why_evidence_kind kind, const struct why_gateways *gw,
                const struct why_dns_rec *d, enum why_dir dir, uint64_t frame, struct why_ts ts,
                enum why_phrase ph, const char *s1, int64_t n0, int64_t n1)
{
    enum why_actor host = gw && why_gw_is_gateway(gw, &d->cli) ? WHY_ACTOR_GATEWAY : WHY_ACTOR_CLIENT;
    if (kind == WHY_EVK_ICMP)
        ev_add(inc, d->icmp_encap, kind, WHY_ACTOR_OTHER, NULL, 0, host, &d->cli, d->cli_port, frame, ts, ph,
               d->qname, s1, NULL, n0, n1, 0);
    else if (dir == WHY_C2S)
        ev_add(inc, d->q_encap, kind, host, &d->cli, d->cli_port, WHY_ACTOR_DNS, &d->srv, d->srv_port, frame,
               ts, ph, d->qname, s1, NULL, n0, n1, 0);
    else
        ev_add(inc, d->a_encap, kind, WHY_ACTOR_DNS, &d->srv, d->srv_port, host, &d->cli, d->cli_port, frame,
               ts, ph, d->qname, s1, NULL, n0, n1, 0);
}

static int ev_cmp(const void *a, const void *b)
{
    const struct why_evidence *x = a, *y = b;
    if (x->file != y->file)
        return x->file < y->file ? -1 : 1;
    return x->frame < y->frame ? -1 : x->frame > y->frame;
}

void why_dg_cause(struct why_incident *inc, enum why_cause_id id)
{
    const struct why_cause *c = why_cause_get(id);
    inc->cause = id;
    inc->detail = c->detail;
    inc->error = c->error;
    if (!strcmp(c->kind, "origin"))
        inc->kind = WHY_KIND_ORIGIN;
    else if (!strcmp(c->kind, "client"))
        inc->kind = WHY_KIND_CLIENT;
    else if (!strcmp(c->kind, "capture"))
        inc->kind = WHY_KIND_CAPTURE;
    else
        inc->kind = WHY_KIND_GATEWAY;
}

void why_dg_param(struct why_incident *inc, const char *fmt, ...)
{
    size_t used = strlen(inc->detail_text);
    if (used + 2 >= sizeof inc->detail_text)
        return;
    if (used)
        inc->detail_text[used++] = ' ';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(inc->detail_text + used, sizeof inc->detail_text - used, fmt, ap);
    va_end(ap);
}

void why_dg_conn_evidence(struct why_incident *inc, const struct why_conn_rec *rc)
{
    const struct why_conn *c = why_rec_conn(rc);
    char dst[64];
    why_endpoint_str(&c->srv_addr, c->srv_port, dst, sizeof dst);
    uint32_t n = c->syn_count < WHY_SYN_TRIES_MAX ? c->syn_count : WHY_SYN_TRIES_MAX;
    for (uint32_t i = 0; i < n; i++)
        why_dg_ev_conn(inc, i ? WHY_EVK_SYN_RETRY : WHY_EVK_SYN, rc, WHY_C2S, why_conn_syn_frame(c, i), why_conn_syn_ts(c, i),
            i ? WHY_P_EV_SYN_RETRY : WHY_P_EV_SYN, dst, NULL, i + 1, 0);
    why_dg_ev_conn(inc, WHY_EVK_SYN_ACK, rc, WHY_S2C, c->synack_frame, c->synack_ts, WHY_P_EV_SYN_ACK, dst, NULL, 0, 0);
    evi(inc, rc, dst);
    why_dg_ev_conn(inc, WHY_EVK_RST, rc, WHY_S2C, c->half[WHY_S2C].end->rst_frame, c->half[WHY_S2C].end->rst_ts, WHY_P_EV_RST_FROM, dst, NULL, 0, 0);
    why_dg_ev_conn(inc, WHY_EVK_FIN, rc, WHY_S2C, c->half[WHY_S2C].end->fin_frame, c->half[WHY_S2C].end->fin_ts, WHY_P_EV_FIN_FROM, dst, NULL, 0, 0);
    why_dg_ev_conn(inc, WHY_EVK_RST, rc, WHY_C2S, c->half[WHY_C2S].end->rst_frame, c->half[WHY_C2S].end->rst_ts, WHY_P_EV_RST_TO, dst, NULL, 0, 0);
    why_dg_ev_conn(inc, WHY_EVK_FIN, rc, WHY_C2S, c->half[WHY_C2S].end->fin_frame, c->half[WHY_C2S].end->fin_ts, WHY_P_EV_FIN_TO, dst, NULL, 0, 0);
}

/* A connection (or DNS exchange) of the incident, for cutting its slice of the capture. */
static void add_conn(struct why_incident *inc, const struct why_conn_rec *rc)
{
    for (uint32_t i = 0; i < inc->nconns; i++)
        if (inc->conns[i].proto == 6 && inc->conns[i].first_frame == why_frame_num(why_rec_conn(rc)->first_frame) &&
            inc->conns[i].first_file == why_frame_file(why_rec_conn(rc)->first_frame))
            return;
    if (inc->nconns >= WHY_INCIDENT_CONNS_MAX)
        return;
    const struct why_conn *c = why_rec_conn(rc);
    struct why_incident_conn *o = &inc->conns[inc->nconns++];
    memset(o, 0, sizeof *o);
    o->proto = 6;
    o->a_role = cli_actor(rc);
    o->b_role = srv_actor(rc);
    o->a = c->cli_addr;
    o->b = c->srv_addr;
    o->aport = c->cli_port;
    o->bport = c->srv_port;
    uint64_t last = c->half[0].last_frame;
    struct why_ts last_ts = c->half[0].last_ts;
    if (c->half[1].last_frame > last) {
        last = c->half[1].last_frame;
        last_ts = c->half[1].last_ts;
    }
    o->first_file = why_frame_file(c->first_frame);
    o->first_frame = why_frame_num(c->first_frame);
    o->first_ts = c->first_ts;
    o->last_file = why_frame_file(last ? last : c->first_frame);
    o->last_frame = why_frame_num(last ? last : c->first_frame);
    o->last_ts = last ? last_ts : c->first_ts;
}

static void add_dns(struct why_incident *inc, const struct why_gateways *gw, const struct why_dns_rec *d)
{
    if (inc->nconns >= WHY_INCIDENT_CONNS_MAX)
        return;
    struct why_incident_conn *o = &inc->conns[inc->nconns++];
    memset(o, 0, sizeof *o);
    o->proto = d->tcp ? 6 : 17;
    o->a_role = gw && why_gw_is_gateway(gw, &d->cli) ? WHY_ACTOR_GATEWAY : WHY_ACTOR_CLIENT;
    o->b_role = WHY_ACTOR_DNS;
    o->a = d->cli;
    o->b = d->srv;
    o->aport = d->cli_port;
    o->bport = d->srv_port;
    uint64_t last = d->answered ? d->a_frame : d->last_q_frame;
    struct why_ts last_ts = d->answered ? d->a_ts : d->last_q_ts;
    if (d->icmp_frame > last) {
        last = d->icmp_frame;
        last_ts = d->icmp_ts;
    }
    o->first_file = why_frame_file(d->q_frame);
    o->first_frame = why_frame_num(d->q_frame);
    o->first_ts = d->q_ts;
    o->last_file = why_frame_file(last);
    o->last_frame = why_frame_num(last);
    o->last_ts = last_ts;
}

/* Frame ids become file + number; evidence in capture order; the connections involved,
 * the client leg first. */
void why_dg_finish(struct why_incident *inc, const struct why_join *x, const struct why_gateways *gw)
{
    inc->file = why_frame_file(inc->request_frame);
    inc->request_frame = why_frame_num(inc->request_frame);
    inc->response_frame = why_frame_num(inc->response_frame);
    /* evidence in capture order, its words along */
    struct why_diagnosis *dg = why_dg_of(inc);
    struct { struct why_evidence e; uint32_t i; } order[WHY_EVIDENCE_MAX];
    for (uint32_t i = 0; i < inc->nevidence; i++) {
        order[i].e = inc->evidence[i];
        order[i].i = i;
    }
    qsort(order, inc->nevidence, sizeof order[0], ev_cmp);
    struct why_words words[WHY_EVIDENCE_MAX];
    memcpy(words, dg->evidence, inc->nevidence * sizeof words[0]);
    for (uint32_t i = 0; i < inc->nevidence; i++) {
        inc->evidence[i] = order[i].e;
        dg->evidence[i] = words[order[i].i];
    }
    inc->nconns = 0;
    if (x->client)
        add_conn(inc, x->client->rc);
    else if (x->client_conn)
        add_conn(inc, x->client_conn);
    for (uint32_t i = 0; i < x->ndns; i++)
        add_dns(inc, gw, x->dns[i]);
    for (uint32_t i = 0; i < x->nattempts; i++)
        add_conn(inc, x->attempts[i]);
    if (x->up && x->up != x->client)
        add_conn(inc, x->up->rc);
    if (x->up_conn)
        add_conn(inc, x->up_conn);
}

