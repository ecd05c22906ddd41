/* The dispatcher of protocol handlers (see app.h): picks a connection's handler from the
 * client's first bytes and routes its bytes, gaps and close. A server that speaks first keeps
 * its first bytes as a fact (a banner: SSH, SMTP) for the diagnosis; an HTTP/2 server's
 * SETTINGS sent on accept, before the client's preface, are handed to the HTTP/2 handler once
 * the client's bytes chose it (or, when they did not fit, a gap: that side is not followed). */
#include "app/app.h"

#include <stdlib.h>
#include <string.h>


/* The handlers, probed in this order. Adding a protocol is one line here. */
static const struct why_app_handler *const handlers[] = {
    &why_app_dns_tcp, /* port 53 only: before the others, whose probes read content */
    &why_app_h2,     /* the preface "PRI * HTTP/2.0": before HTTP/1, whose probe reads "PR" as a method */
    &why_app_http1,
    &why_app_tls,
};
#define NHANDLERS (sizeof handlers / sizeof handlers[0])

static const struct why_app_handler *handler_of(enum why_app_id id)
{
    for (size_t i = 0; i < NHANDLERS; i++)
        if (handlers[i]->id == id)
            return handlers[i];
    return NULL;
}

static void keep_first(const struct why_app_env *env, struct why_conn_rec *rc, const uint8_t *d,
                       uint32_t n, const struct why_frame *f)
{
    struct why_rec_more *m = why_store_rec_more(env->st, rc);
    if (!m)
        return; /* out of memory (counted) */
    m->other.first_frame = f->num;
    m->other.first_len = n > sizeof m->other.first ? (uint32_t)sizeof m->other.first : n;
    memcpy(m->other.first, d, m->other.first_len);
}

static void decide(const struct why_app_env *env, struct why_conn_rec *rc, const uint8_t *d, uint32_t n)
{
    rc->app = WHY_APP_OTHER;
    for (size_t i = 0; i < NHANDLERS; i++) {
        const struct why_app_handler *h = handlers[i];
        if (!h->probe(why_rec_conn(rc), d, n))
            continue;
        if (h->open && !h->open(env, rc)) {
            env->sum->oom++; /* not followed */
            break;
        }
        rc->app = h->id;
        break;
    }
    rc->app_decided = true;
}

/* HTTP/2 with prior knowledge: the server may send its SETTINGS at once (python3-h2,
 * nghttpd), before the client's preface decides the handler. */
static void replay_early(const struct why_app_env *env, struct why_conn_rec *rc,
                         const struct why_app_handler *h, const struct why_frame *f)
{
    const struct why_other_facts *o = &rc->more->other;
    if (rc->app != WHY_APP_H2 || !o->early_bytes)
        return;
    struct why_frame first = *f;
    first.num = o->first_frame;
    first.ts = why_rec_conn(rc)->half[WHY_S2C].first_data_ts;
    if (o->early_bytes == o->first_len)
        h->feed(env, rc, WHY_S2C, o->first, o->first_len, &first);
    else if (h->gap)
        h->gap(env, rc, WHY_S2C, (uint32_t)o->early_bytes, &first);
}

void why_app_data(const struct why_app_env *env, struct why_conn_rec *rc, enum why_dir dir,
                  const uint8_t *d, uint32_t n, const struct why_frame *f)
{
    if (n == 0)
        return;
    if (!rc->app_decided) {
        if (dir == WHY_S2C) {
            /* the server spoke first: keep its first bytes (a banner) for the diagnosis */
            if (!rc->more->other.first_frame)
                keep_first(env, rc, d, n, f);
            if (rc->more != &why_rec_more_none) /* else out of memory (counted) */
                rc->more->other.early_bytes += n;
            if (!why_rec_conn(rc)->midstream)
                return;
        }
        decide(env, rc, d, n);
        const struct why_app_handler *h = handler_of(rc->app);
        if (h && dir == WHY_C2S)
            replay_early(env, rc, h, f);
    }
    const struct why_app_handler *h = handler_of(rc->app);
    if (h)
        h->feed(env, rc, dir, d, n, f);
    else if (dir == WHY_S2C && !rc->more->other.first_frame)
        keep_first(env, rc, d, n, f);
}

void why_app_gap(const struct why_app_env *env, struct why_conn_rec *rc, enum why_dir dir,
                 uint32_t n, const struct why_frame *f)
{
    if (!rc->app_decided)
        return;
    const struct why_app_handler *h = handler_of(rc->app);
    if (h && h->gap)
        h->gap(env, rc, dir, n, f);
}

void why_app_close(const struct why_app_env *env, struct why_conn_rec *rc, const struct why_frame *f)
{
    for (size_t i = 0; i < NHANDLERS; i++)
        if (handlers[i]->close)
            handlers[i]->close(env, rc, f);
}

void why_app_release(struct why_conn_rec *rc)
{
    for (size_t i = 0; i < NHANDLERS; i++)
        if (handlers[i]->release)
            handlers[i]->release(rc);
}

static void nested_feed(const struct why_app_env *env, struct why_conn_rec *rc, enum why_app_id id,
                        enum why_dir dir, const uint8_t *d, uint32_t n, const struct why_frame *f)
{
    const struct why_app_handler *h = handler_of(id);
    if (h)
        h->feed(env, rc, dir, d, n, f);
}

static bool nested_open(const struct why_app_env *env, struct why_conn_rec *rc, enum why_app_id id)
{
    const struct why_app_handler *h = handler_of(id);
    return h && (!h->open || h->open(env, rc));
}

void why_app_env_init(struct why_app_env *env)
{
    env->nested_feed = nested_feed;
    env->nested_open = nested_open;
}
