/* The names DNS answered an address with, and the requests waiting for those names: what a
 * join and a background join both ask of a server address (a reverse proxy that names its
 * servers by the request's host), apart from either so that neither calls the other. */
#include <string.h>

#include "correlate/join.h"

/* name (nkey, qname) into m's names unless there: false when it is not and m is full */
static bool name_add(struct why_addr_names *m, uint64_t nkey, const char *qname)
{
    uint32_t k = 0;
    while (k < m->n && (m->v[k].nkey != nkey || strcmp(m->v[k].qname, qname) != 0))
        k++;
    if (k < m->n)
        return true;
    if (m->n == WHY_ADDR_NAMES)
        return false;
    m->v[m->n].nkey = nkey;
    m->v[m->n++].qname = qname;
    return true;
}

/* The names of the links from `from` up to `to` (not included) that gave a, in the order met,
 * into m: false when more than it keeps */
static bool names_of(const struct why_dns_alink *from, const struct why_dns_alink *to, const struct why_addr *a,
                     struct why_addr_names *m)
{
    for (const struct why_dns_alink *l = from; l != to; l = l->next)
        if (why_addr_eq(why_dns_alink_addr(l), a) && !name_add(m, l->rec->nkey, l->rec->qname))
            return false;
    return true;
}

const struct why_addr_names *why_join_addr_names(const struct why_join_ctx *cx, const struct why_addr *a)
{
    if (!cx->names)
        return NULL;
    struct why_addr_names *m = &cx->names[why_store_addr_bucket(a, WHY_ADDR_NAMES_MEMO)];
    const struct why_dns_alink *head = why_store_dns_by_addr(cx->st, a);
    if (m->valid && m->gone == cx->st->dgone && why_addr_eq(&m->a, a)) {
        /* no record gone since: the same links after m->head, and maybe new ones before it */
        if (!m->overflow && head != m->head) {
            /* the names of the new links first (they are newer), then the memo's others: the
             * order a reading of the whole chain gives (more names than kept stay so) */
            struct why_addr_names was = *m;
            m->n = 0;
            m->overflow = !names_of(head, was.head, a, m);
            for (uint32_t i = 0; i < was.n && !m->overflow; i++)
                m->overflow = !name_add(m, was.v[i].nkey, was.v[i].qname);
        }
        m->head = head;
        return m->overflow ? NULL : m;
    }
    m->valid = true;
    m->gone = cx->st->dgone;
    m->head = head;
    m->a = *a;
    m->n = 0;
    m->overflow = !names_of(head, NULL, a, m);
    return m->overflow ? NULL : m;
}

#define WHY_AWAITED_READ 256 /* queued requests why_join_try_awaited reads (cap: past it, a
                                 try may be one of theirs) */
#define WHY_AWAITED_WALK 4096 /* answers giving the address it reads without the names' memo
                                 (cap), of WHY_ADDR_NAMES * 4 names at most */

/* A queued request other than client, not decided, for name (nkey, qname), waiting at t, from
 * the queue's index by host; *budget counts the requests read, and none left says yes (the
 * reading that claims no check). */
static bool name_awaited(const struct why_join_ctx *cx, const struct why_txn *client, uint64_t nkey,
                         const char *qname, struct why_ts t, uint32_t *budget)
{
    for (const struct why_txn *q = why_store_queued_host(cx->st, nkey); q; q = q->hqnext) {
        if (*budget == 0)
            return true;
        (*budget)--;
        if (why_join_other_for_name(q, client, nkey, qname) && why_join_waiting_at(q, t))
            return true;
    }
    return false;
}

bool why_join_try_awaited(const struct why_join_ctx *cx, const struct why_txn *client, const struct why_conn_rec *rc)
{
    const struct why_conn *c = why_rec_conn(rc);
    uint32_t budget = WHY_AWAITED_READ;
    const struct why_addr_names *nm = why_join_addr_names(cx, &c->srv_addr);
    for (uint32_t k = 0; nm && k < nm->n; k++)
        if (name_awaited(cx, client, nm->v[k].nkey, nm->v[k].qname, c->syn_ts0, &budget))
            return true;
    if (nm)
        return false;
    /* (more names than the memo keeps, or no memo: the answers that gave the address, each
     * name once) */
    uint64_t seen[WHY_ADDR_NAMES * 4];
    uint32_t nseen = 0, walked = 0;
    for (const struct why_dns_alink *l = why_store_dns_by_addr(cx->st, &c->srv_addr); l; l = l->next) {
        if (++walked > WHY_AWAITED_WALK)
            return true;
        const struct why_dns_rec *d = l->rec;
        if (!why_addr_eq(why_dns_alink_addr(l), &c->srv_addr))
            continue;
        uint32_t i = 0;
        while (i < nseen && seen[i] != d->nkey)
            i++;
        if (i < nseen)
            continue; /* (a name is told by its key: two names of one key are read as one) */
        if (nseen == sizeof seen / sizeof seen[0])
            return true;
        seen[nseen++] = d->nkey;
        if (name_awaited(cx, client, d->nkey, d->qname, c->syn_ts0, &budget))
            return true;
    }
    return false;
}
