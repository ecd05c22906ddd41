/* An HTTP request read by a handler (HTTP/1 message or HTTP/2 stream) becomes a transaction
 * in the store: bounded copies of method, target, Host and Via, its frames and times, the
 * request index, and the decision queue when it came from a client. Shared by the HTTP
 * handlers; apart from the dispatcher (app.c), which calls the handlers. The strings of a
 * response head go with the transaction too (why_app_response_strings). */
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "util/ascii.h"

struct why_txn *why_app_request(const struct why_app_env *env, struct why_conn_rec *rc,
                                const struct why_http_head *h, const struct why_frame *f,
                                uint64_t first_frame, struct why_ts first_ts)
{
    struct why_store *st = env->st;
    if (rc->ntxn >= WHY_TXN_PER_CONN_MAX)
        why_store_trim_txns(st, rc, f->ts, false);
    struct why_txn *t = why_store_txn_new(st, rc);
    if (!t)
        return NULL;
    why_str_copy(t->method, sizeof t->method, h->method);
    why_store_txn_request(st, t, h->target, h->target_len, h->host, h->via);
    t->req_first_frame = first_frame;
    t->req_first_ts = first_ts; /* (the indexes keep the order requests began) */
    t->req_frame = f->num;
    t->req_ts = f->ts;
    why_store_txn_index(st, t);
    if (!rc->unanswered)
        rc->unanswered = t;
    const struct why_conn *c = why_rec_conn(rc);
    why_gw_add_served(env->gw, &c->srv_addr);
    why_gw_roles(env->gw, rc);
    if (rc->gw_cli && !rc->gw_srv) {
        env->sum->upstream_requests++;
    } else {
        env->sum->requests++;
        why_store_queue_push(st, t);
    }
    return t;
}

void why_app_response_strings(const struct why_app_env *env, struct why_txn *t,
                              const struct why_http_head *h)
{
    if (t->resp == &why_txn_resp_none && !h->server[0] && !h->proxy_status[0] && !h->x_squid_error[0])
        return;
    struct why_resp_view v;
    why_resp_view_of(t->resp, &v);
    char server[WHY_RESP_SERVER_SIZE], claim[WHY_RESP_CLAIM_SIZE];
    why_str_copy(server, sizeof server, h->server);
    v.str[WHY_RESP_SERVER] = server;
    v.via = h->via[0] != 0;
    if (h->proxy_status[0] || h->x_squid_error[0]) {
        why_str_copy(claim, sizeof claim, h->proxy_status[0] ? h->proxy_status : h->x_squid_error);
        v.str[WHY_RESP_CLAIM] = claim;
    }
    why_store_txn_resp_put(env->st, t, &v);
}
