/* Join rules for what a capture shows only in part: a TLS connection opened and left unused
 * while its twin carries the traffic. Reads the store only. */
#include "correlate/join.h"
#include "store/store.h"

#define SPARE_IDLE_US (1LL * 1000000) /* a client that refuses a certificate leaves at once */

/* Browsers open spare connections and close them after the handshake, without an alert.
 * Such a connection was not refused when the client finished its handshake (its
 * ChangeCipherSpec and Finished, TLS 1.2: sent only once it took the certificate) and then
 * stayed idle more than SPARE_IDLE_US before closing, or when the same certificate carries
 * application data both ways on another connection to the same server. */
bool why_join_tls_spare(const struct why_join_ctx *cx, const struct why_conn_rec *rc)
{
    const struct why_tls_facts *t = &rc->tls;
    if (!t->cert_frame || why_rec_tls_sent_data(rc) ||
        (t->alert_frame && t->alert_dir == WHY_C2S))
        return false;
    const struct why_conn *c = why_rec_conn(rc);
    const struct why_tcp_half *cl = &c->half[WHY_C2S];
    struct why_ts left = cl->fin_frame ? cl->fin_ts : cl->rst_ts;
    if (t->version != 0x0304 && t->ccs[WHY_C2S] && t->ccs[WHY_S2C] &&
        (cl->fin_frame || cl->rst_frame) && why_ts_diff_us(t->cert_ts, left) > SPARE_IDLE_US)
        return true;
    for (const struct why_conn_rec *o = why_store_conns_to(cx->st, &c->srv_addr); o;
         o = why_store_conns_next(o))
        if (o != rc && o->app == WHY_APP_TLS && o->tls.cert_frame &&
            o->tls.cert_hash == t->cert_hash && why_rec_tls_sent_data(o) &&
            o->tls.appdata[WHY_S2C] && why_rec_conn(o)->srv_port == c->srv_port)
            return true;
    return false;
}
