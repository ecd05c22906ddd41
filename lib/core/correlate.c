/* Joining a client's request to what the gateway did for it: the DNS queries for its host, the
 * connection attempts (tried one after another), and the upstream request that carried it.
 * Forward proxies (absolute-form, CONNECT) are joined by host and path, reverse proxies by path
 * and time; keep-alive and parallel requests are told apart because each upstream request and
 * each failed attempt is joined to one client request only (the earliest that can own it). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/url.h"

static bool in_window(struct why_ts t, struct why_ts from, struct why_ts to)
{
    return why_ts_diff_us(from, t) >= -WHY_SKEW_US && why_ts_diff_us(t, to) >= -WHY_SKEW_US;
}

/* When the client leg ended for this request: the answer's first byte, or whoever closed. */
static struct why_ts client_end(const struct why_session *s, const struct txn *c, uint64_t *frame)
{
    const struct why_conn *cc = why_core_conn(c->rc);
    if (c->has_resp) {
        *frame = c->resp_first_frame;
        return c->resp_first_ts;
    }
    struct why_ts best = s->now;
    *frame = 0;
    for (int d = 0; d < 2; d++) {
        const struct why_tcp_half *h = &cc->half[d];
        if (h->fin_frame && why_ts_cmp(h->fin_ts, best) < 0 &&
            why_ts_cmp(h->fin_ts, c->req_ts) >= 0) {
            best = h->fin_ts;
            *frame = h->fin_frame;
        }
        if (h->rst_frame && why_ts_cmp(h->rst_ts, best) < 0 &&
            why_ts_cmp(h->rst_ts, c->req_ts) >= 0) {
            best = h->rst_ts;
            *frame = h->rst_frame;
        }
    }
    return best;
}

static bool addr_in_dns(const struct why_exchange *x, const struct why_addr *a)
{
    for (uint32_t i = 0; i < x->ndns; i++)
        for (uint32_t j = 0; j < x->dns[i]->naddrs; j++)
            if (why_addr_eq(&x->dns[i]->addrs[j], a))
                return true;
    return false;
}

/* A forward proxy's client names the address itself; a reverse proxy's Host does not tell
 * where the gateway connects. Absolute-form (and CONNECT) requests are forward proxying. */
static bool direct_addr_known(const struct why_session *s, const struct txn *client)
{
    (void)s;
    return strcmp(client->method, "CONNECT") == 0 || client->target_len == 0 ||
           client->target[0] != '/';
}

/* The capture shows DNS answering this address for another name (and never for host): a
 * connection to it was made for a request to that other name. */
static bool addr_for_other_name(const struct why_session *s, const struct why_addr *a, const char *host)
{
    bool other = false;
    for (const struct rec_dns *d = s->dhead; d; d = d->next)
        for (uint32_t j = 0; j < d->naddrs; j++)
            if (why_addr_eq(&d->addrs[j], a)) {
                if (strcmp(d->qname, host) == 0)
                    return false;
                other = true;
            }
    return other;
}

static bool tls_healthy(const struct rec_conn *rc)
{
    return rc->tls_data_records[WHY_S2C] > (rc->tls_version == 0x0304 ? 1u : 0u) &&
           why_core_tls_sent_data(rc) && !rc->alert_frame && !rc->reneg_frame && !rc->cert_problem;
}

/* A request joined without address knowledge (a reverse proxy's fixed upstream, no DNS of
 * its own) must not take the attempt another pending request is waiting for: one whose
 * gateway looked its host up and got this address. The first attempt there after that
 * answer is that request's. */
static bool reserved_for_other(const struct why_session *s, const struct txn *client,
                               const struct rec_conn *rc)
{
    const struct why_conn *c = why_core_conn(rc);
    for (const struct txn *q = s->qhead; q; q = q->qnext) {
        if (q == client || q->decided || !q->host[0])
            continue;
        for (const struct rec_dns *d = s->dhead; d; d = d->next) {
            /* q->hkey: the key of q's host, as the request index made it */
            if (!d->answered || why_core_request_key("", d->qname) != q->hkey ||
                why_ts_diff_us(q->req_first_ts, d->q_ts) < -WHY_CAUSAL_US ||
                why_ts_cmp(d->a_ts, c->syn_ts[0]) > 0)
                continue;
            bool has = false;
            for (uint32_t j = 0; j < d->naddrs && !has; j++)
                has = why_addr_eq(&d->addrs[j], &c->srv_addr);
            if (!has)
                continue;
            /* is rc the first attempt to that address after the answer? */
            const struct rec_conn *first = NULL;
            for (const struct rec_conn *o = s->rhead; o; o = o->rnext) {
                const struct why_conn *oc = why_core_conn(o);
                if (o->claimed || oc->syn_count == 0 || !why_addr_eq(&oc->srv_addr, &c->srv_addr) ||
                    why_ts_cmp(oc->syn_ts[0], d->a_ts) < 0)
                    continue;
                if (!first || why_ts_cmp(oc->syn_ts[0], why_core_conn(first)->syn_ts[0]) < 0)
                    first = o;
            }
            if (first == rc)
                return true;
        }
    }
    return false;
}

static bool is_upstream_conn(const struct why_session *s, struct rec_conn *rc)
{
    why_core_roles(s, rc);
    return rc->gw_cli && !rc->gw_srv;
}

static bool attempt_failed(const struct rec_conn *rc)
{
    return !why_core_conn(rc)->established;
}

/* When an attempt was over, so the next one of the same request must start after it. */
static struct why_ts attempt_end(const struct rec_conn *rc)
{
    const struct why_conn *c = why_core_conn(rc);
    if (c->synack_frame)
        return c->synack_ts;
    struct why_ts t = c->syn_ts[c->syn_count > WHY_SYN_TRIES_MAX ? WHY_SYN_TRIES_MAX - 1
                                                                 : (c->syn_count ? c->syn_count - 1 : 0)];
    if (c->icmp_frame && why_ts_cmp(c->icmp_ts, t) > 0)
        t = c->icmp_ts;
    if (c->half[WHY_S2C].rst_frame && why_ts_cmp(c->half[WHY_S2C].rst_ts, t) > 0)
        t = c->half[WHY_S2C].rst_ts;
    return t;
}

bool why_correlate_direct(const struct why_session *s, const struct txn *client)
{
    const struct why_conn *cc = why_core_conn(client->rc);
    /* a host talking to itself (loopback) is never a gateway hop */
    why_core_roles(s, client->rc);
    return !client->rc->gw_srv || why_addr_eq(&cc->cli_addr, &cc->srv_addr);
}

/* Is t (a request on another connection) the gateway's upstream request for client's? Same
 * method, a path that is the same or a suffix (reverse proxies may add a prefix), sent while
 * client's request waited, not joined before. Returns a score (0 = no). */
static int upstream_score(const struct why_session *s, const struct txn *client, const struct why_url *u,
                          struct why_ts from, struct why_ts to, const struct txn *t)
{
    struct rec_conn *rc = t->rc;
    if (t->claimed_by || rc == client->rc || !why_core_http(rc) || !is_upstream_conn(s, rc) ||
        strcmp(t->method, client->method) != 0 || !in_window(t->req_first_ts, from, to))
        return 0;
    struct why_url tu;
    why_url_parse(t->method, t->target ? t->target : "", t->target_len, t->host, &tu);
    if (strcmp(tu.path, u->path) != 0 && !why_url_path_suffix(u->path, tu.path))
        return 0;
    /* forward proxies keep the host (the same path on another host is another request);
     * reverse proxies may rewrite it */
    if (strcmp(tu.host, u->host) == 0)
        return 2;
    return direct_addr_known(s, client) ? 0 : 1;
}

static struct txn *pick_better(struct txn *best, int *best_score, struct txn *t, int score)
{
    if (score > 0 && (!best || score > *best_score ||
                      (score == *best_score && why_ts_cmp(t->req_first_ts, best->req_first_ts) < 0))) {
        *best_score = score;
        return t;
    }
    return best;
}

/* upstream_score for a candidate of the index: its keys already say method, path (and
 * host) are the client's, so nothing is parsed again. */
static int indexed_score(const struct why_session *s, const struct txn *client, bool same_host,
                         struct why_ts to, const struct txn *t)
{
    struct rec_conn *rc = t->rc;
    if (t->claimed_by || rc == client->rc || !why_core_http(rc) || !is_upstream_conn(s, rc) ||
        !in_window(t->req_first_ts, client->req_first_ts, to))
        return 0;
    if (t->hkey == client->hkey)
        return 2;
    return same_host ? 0 : 1;
}

struct txn *why_correlate_upstream_indexed(struct why_session *s, const struct txn *client)
{
    uint64_t end_frame;
    struct why_ts to = client_end(s, client, &end_frame);
    uint64_t key = client->pkey, hkey = client->hkey; /* set when the request was indexed */
    bool same_host = direct_addr_known(s, client); /* forward proxy: the host must match */
    struct txn *best = NULL;
    int best_score = 0;
    if (same_host) {
        for (struct txn *t = s->hindex[why_core_host_bucket(key, hkey)]; t; t = t->hnext)
            if (t->pkey == key && t->hkey == hkey)
                best = pick_better(best, &best_score, t, indexed_score(s, client, true, to, t));
    } else {
        for (struct txn *t = s->index[key & (WHY_INDEX_BUCKETS - 1)]; t; t = t->inext)
            if (t->pkey == key)
                best = pick_better(best, &best_score, t, indexed_score(s, client, false, to, t));
    }
    return best;
}

void why_correlate(struct why_session *s, struct txn *client, struct why_exchange *x)
{
    memset(x, 0, sizeof *x);
    x->client = client;
    x->end_ts = client_end(s, client, &x->end_frame);
    if (why_correlate_direct(s, client)) {
        /* no gateway in between: the request's own connection is the "upstream" */
        x->up = client;
        x->up_conn = client->rc;
        x->attempts[x->nattempts++] = client->rc;
        x->upstream_visible = true;
        return;
    }
    struct why_url u;
    why_url_parse(client->method, client->target, client->target_len, client->host, &u);
    struct why_ts from = client->req_first_ts, to = x->end_ts;

    for (struct rec_conn *rc = s->rhead; rc && !x->upstream_visible; rc = rc->rnext)
        x->upstream_visible = is_upstream_conn(s, rc);
    for (struct rec_dns *d = s->dhead; d && !x->upstream_visible; d = d->next)
        x->upstream_visible = why_core_is_gateway_addr(s, &d->cli);

    /* DNS: queries for the host made while the request waited (or still pending at its start:
     * resolvers coalesce concurrent lookups of one name) */
    if (u.host[0] && !u.host_is_ip) {
        for (struct rec_dns *d = s->dhead; d && x->ndns < WHY_JOIN_MAX; d = d->next) {
            if (strcmp(d->qname, u.host) != 0)
                continue;
            bool during = in_window(d->q_ts, from, to);
            bool pending = why_ts_cmp(d->q_ts, from) < 0 &&
                           (!d->answered || why_ts_cmp(d->a_ts, from) >= 0);
            if (during || pending) {
                d->claimed = true;
                x->dns[x->ndns++] = d;
            }
        }
    }

    /* The upstream request: from the index (same method and path), else any request whose
     * path ends like the client's (a reverse proxy's prefix). */
    struct txn *best = s->opt.exhaustive ? NULL : why_correlate_upstream_indexed(s, client);
    int best_score = 0;
    for (struct rec_conn *rc = best ? NULL : s->rhead; rc; rc = rc->rnext)
        for (struct txn *t = rc->txn_head; t; t = t->next)
            best = pick_better(best, &best_score, t, upstream_score(s, client, &u, from, to, t));
    if (best) {
        why_core_claim(s, best, client);
        x->up = best;
        x->up_conn = best->rc;
    }

    /* Connection attempts, one after another: each starts after the previous one ended.
     * An address that refused (RST, ICMP) is not tried again by the same request: a second
     * attempt there belongs to another request (gateways move on to the next address). */
    struct why_ts after = why_ts_add_us(from, -WHY_SKEW_US);
    const struct why_conn *refused = NULL;
    for (;;) {
        struct rec_conn *pick = NULL;
        int pick_score = 0;
        for (struct rec_conn *rc = s->rhead; rc; rc = rc->rnext) {
            if (refused && why_addr_eq(&why_core_conn(rc)->srv_addr, &refused->srv_addr) &&
                why_core_conn(rc)->srv_port == refused->srv_port)
                continue;
            const struct why_conn *c = why_core_conn(rc);
            if (rc->claimed || rc == client->rc || c->midstream || c->syn_count == 0 ||
                !is_upstream_conn(s, rc))
                continue;
            /* a gateway cannot connect for a request it has not received: packet times are
             * exact to microseconds even when -i any hands packets out of order */
            if (!in_window(c->syn_ts[0], from, to) || why_ts_diff_us(from, c->syn_ts[0]) < -WHY_CAUSAL_US ||
                why_ts_diff_us(after, c->syn_ts[0]) < -WHY_SKEW_US)
                continue;
            /* An opaque HTTPS connection that carried data both ways without a TLS fault
             * served a request that worked: not the one of a request the gateway failed. */
            if (client->has_resp && client->status >= 500 && rc->app == APP_TLS &&
                !why_core_http(rc) && tls_healthy(rc))
                continue;
            /* A failed attempt still retrying after the gateway answered the client is not
             * why it answered: it belongs to another request. */
            if (attempt_failed(rc) && client->has_resp &&
                why_ts_diff_us(client->resp_first_ts, attempt_end(rc)) > WHY_SKEW_US)
                continue;
            if (x->up && rc != x->up_conn && !attempt_failed(rc))
                continue; /* a working connection that did not carry our request */
            if (x->up_conn && rc != x->up_conn && why_ts_cmp(c->syn_ts[0], why_core_conn(x->up_conn)->syn_ts[0]) > 0)
                continue; /* after the connection that carried it */
            /* Where the request had to go, when that is known: the literal address, or what
             * the gateway's DNS answered for the host. A name that did not resolve leads
             * nowhere, so no attempt belongs to it. Otherwise (reverse proxy with fixed
             * upstreams, cached names, a parent proxy) any attempt in the window may. */
            int score = 1;
            if (rc == x->up_conn)
                score = 5;
            else if (u.host_is_ip && direct_addr_known(s, client))
                score = why_addr_eq(&u.ip, &c->srv_addr) ? 4 : -1;
            else if (x->ndns > 0 && !u.host_is_ip)
                score = addr_in_dns(x, &c->srv_addr) ? 4 : -1;
            else if (rc->app == APP_TLS && rc->sni[0] && u.host[0] && !u.host_is_ip)
                /* an HTTPS upstream connection names its host in the SNI */
                score = strcmp(rc->sni, u.host) == 0 ? 4 : -1;
            else if (direct_addr_known(s, client) && !u.host_is_ip && u.host[0] &&
                     addr_for_other_name(s, &c->srv_addr, u.host))
                /* a forward proxy connects where the name resolves, so an address the
                 * capture shows resolved for another name only is not this request's */
                score = -1;
            else if (c->srv_port == u.port)
                score = 2;
            if (score > 0 && score < 4 && !direct_addr_known(s, client) &&
                reserved_for_other(s, client, rc))
                score = -1; /* (forward proxies: addr_for_other_name above says it) */
            if (score < 0)
                continue;
            if (!attempt_failed(rc) && why_core_http(rc) && rc != x->up_conn)
                continue; /* carried other requests */
            if (!pick || why_ts_cmp(c->syn_ts[0], why_core_conn(pick)->syn_ts[0]) < 0 ||
                (why_ts_cmp(c->syn_ts[0], why_core_conn(pick)->syn_ts[0]) == 0 && score > pick_score)) {
                pick = rc;
                pick_score = score;
            }
        }
        if (!pick || x->nattempts >= WHY_JOIN_MAX)
            break;
        pick->claimed = true;
        x->attempts[x->nattempts++] = pick;
        if (pick == x->up_conn || !attempt_failed(pick)) {
            if (!x->up_conn)
                x->up_conn = pick;
            break;
        }
        after = attempt_end(pick);
        const struct why_conn *pc = why_core_conn(pick);
        if (pc->half[WHY_S2C].rst_frame || pc->icmp_frame)
            refused = pc;
    }
    /* An HTTPS upstream leg is opaque without keys. A TLS connection of the gateway's on
     * which the origin asked for renegotiation while this request waited is what carried it
     * (the WAF/IIS stall): the one with the request's host as SNI first. */
    if (!x->up && !(x->up_conn && x->up_conn->app == APP_TLS && x->up_conn->reneg_frame &&
                    !x->up_conn->reneg_renegotiated)) {
        struct rec_conn *tls = NULL;
        for (struct rec_conn *rc = s->rhead; rc; rc = rc->rnext) {
            if (rc->app != APP_TLS || !rc->reneg_frame || rc->reneg_renegotiated || rc->claimed ||
                !is_upstream_conn(s, rc) ||
                !in_window(rc->reneg_ts, from, to))
                continue;
            if (!tls || (strcmp(rc->sni, u.host) == 0 && strcmp(tls->sni, u.host) != 0))
                tls = rc;
        }
        if (tls) {
            tls->claimed = true;
            x->up_conn = tls;
        }
    }
    if (!x->up_conn && x->nattempts)
        x->up_conn = x->attempts[x->nattempts - 1];
    if (x->up_conn)
        x->up_conn->claimed = true;
}
