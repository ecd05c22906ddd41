/* The DNS handler (RFC 1035): queries and answers over UDP (port 53) and over TCP (RFC 7766:
 * each message after a 2-byte length), including a query retried over TCP after a truncated
 * (TC) UDP answer. Each query becomes a DNS record of the store; retransmissions (same
 * client, port, server, id, name and type) count as tries of one record; an answer completes
 * its record; an ICMP error quoting a query marks it. */
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "proto/dns.h"

#define WHY_DNS_TCP_KEEP 4096u /* bytes of a DNS-over-TCP message read (the header, question
                                  and first answers; the rest is skipped) */

static void on_message(const struct why_app_env *env, const struct why_addr *src, uint16_t sport,
                       const struct why_addr *dst, uint16_t dport, bool tcp, const uint8_t *msg,
                       size_t len, const struct why_frame *f, const struct why_encap_chain *encap)
{
    struct why_dns_msg m;
    if (why_dns_parse(msg, len, &m) < 0 || !m.has_question)
        return;
    if (!m.response) {
        env->sum->dns_queries++;
        why_gw_add_originator(env->gw, src);
        struct why_dns_rec *d = why_store_dns_find(env->st, src, sport, dst, m.id, m.qname, m.qtype);
        if (d && !d->answered) {
            d->tries++;
            d->last_q_frame = f->num;
            d->last_q_ts = f->ts;
            return;
        }
        d = why_store_dns_new(env->st, src, sport, dst, dport, m.id, m.qname, m.qtype);
        if (!d)
            return;
        d->tcp = tcp;
        d->q_encap = encap;
        d->q_frame = d->last_q_frame = f->num;
        d->q_ts = d->last_q_ts = f->ts;
    } else {
        struct why_dns_rec *d = why_store_dns_find(env->st, dst, dport, src, m.id, m.qname, m.qtype);
        if (!d || d->answered)
            return;
        if (m.truncated && !tcp) {
            /* TC: the answer did not fit; the client asks again over TCP (a new record) */
            d->truncated = true;
            return;
        }
        d->answered = true;
        d->a_encap = encap;
        d->a_frame = f->num;
        d->a_ts = f->ts;
        d->rcode = m.rcode;
        why_store_dns_answer(env->st, d, m.addrs, m.naddrs);
        if (m.addrs_total > m.naddrs)
            env->sum->cap_dns_addrs_dropped += m.addrs_total - m.naddrs;
    }
}

void why_app_dns_udp(const struct why_app_env *env, const struct why_pkt *p, const struct why_encap_chain *encap)
{
    if (p->icmp_error) {
        /* an ICMP error quoting a DNS query: the resolver is not listening/reachable */
        if (p->quoted.valid && p->quoted.ports && p->quoted.dport == 53) {
            struct why_dns_rec *d =
                why_store_dns_unanswered(env->st, &p->quoted.src, p->quoted.sport, &p->quoted.dst);
            if (d) {
                d->icmp = true;
                d->icmp_frame = p->frame->num;
                d->icmp_ts = p->frame->ts;
                d->icmp_encap = encap;
            }
        }
        return;
    }
    if (p->sport != 53 && p->dport != 53)
        return;
    on_message(env, &p->src, p->sport, &p->dst, p->dport, false, p->payload, p->paylen, p->frame, encap);
}

/* ---- over TCP ---- */

static bool probe(const struct why_conn *c, const uint8_t *d, uint32_t n)
{
    (void)d, (void)n;
    return c->srv_port == 53;
}

static bool tcp_open(const struct why_app_env *env, struct why_conn_rec *rc)
{
    (void)env;
    for (int i = 0; i < 2; i++) {
        rc->st.dns[i] = malloc(sizeof *rc->st.dns[i] + WHY_DNS_TCP_KEEP);
        if (!rc->st.dns[i]) {
            free(rc->st.dns[0]);
            rc->st.dns[0] = NULL;
            return false;
        }
        rc->st.dns[i]->need = rc->st.dns[i]->got = 0;
        rc->st.dns[i]->pfx = 0;
    }
    return true;
}

static void tcp_feed(const struct why_app_env *env, struct why_conn_rec *rc, enum why_dir dir,
                     const uint8_t *d, uint32_t n, const struct why_frame *f)
{
    struct why_app_dns *s = rc->st.dns[dir];
    if (!s)
        return;
    const struct why_conn *c = why_rec_conn(rc);
    while (n > 0) {
        if (s->pfx < 2) { /* the length prefix, maybe split */
            s->need = (uint16_t)(s->need << 8 | *d);
            s->pfx++;
            d++, n--;
            s->got = 0;
            continue;
        }
        uint32_t want = (uint32_t)s->need - s->got;
        uint32_t take = n < want ? n : want;
        if (s->got < WHY_DNS_TCP_KEEP) {
            uint32_t room = WHY_DNS_TCP_KEEP - s->got;
            memcpy(s->buf + s->got, d, take < room ? take : room);
        }
        s->got = (uint16_t)(s->got + take);
        d += take, n -= take;
        if (s->got < s->need)
            break;
        size_t kept = s->got < WHY_DNS_TCP_KEEP ? s->got : WHY_DNS_TCP_KEEP;
        if (dir == WHY_C2S)
            on_message(env, &c->cli_addr, c->cli_port, &c->srv_addr, c->srv_port, true,
                       s->buf, kept, f, c->encap[dir]);
        else
            on_message(env, &c->srv_addr, c->srv_port, &c->cli_addr, c->cli_port, true,
                       s->buf, kept, f, c->encap[dir]);
        s->pfx = 0;
        s->need = 0;
        s->got = 0;
    }
}

static void tcp_gap(const struct why_app_env *env, struct why_conn_rec *rc, enum why_dir dir,
                    uint32_t n, const struct why_frame *f)
{
    (void)env, (void)n, (void)f;
    /* lost bytes: the framing cannot be trusted any more */
    free(rc->st.dns[dir]);
    rc->st.dns[dir] = NULL;
}

static void tcp_release(struct why_conn_rec *rc)
{
    for (int i = 0; i < 2; i++) {
        free(rc->st.dns[i]);
        rc->st.dns[i] = NULL;
    }
}

static void tcp_close(const struct why_app_env *env, struct why_conn_rec *rc, const struct why_frame *f)
{
    (void)env, (void)f;
    tcp_release(rc);
}

const struct why_app_handler why_app_dns_tcp = {
    .name = "dns-tcp",
    .id = WHY_APP_DNS,
    .probe = probe,
    .open = tcp_open,
    .feed = tcp_feed,
    .gap = tcp_gap,
    .close = tcp_close,
    .release = tcp_release,
};
