/* Rules for imperfect captures: what a capture that missed packets (one direction, lost
 * segments, a reply never captured) still proves, so that a gap in the capture is never
 * reported as a failure. The peer's acknowledgements are the evidence (RFC 9293 3.4: an ACK
 * acknowledges every sequence number below it; lib/flow records them per direction). */
#include "diagnose/partial.h"

#include "util/ascii.h"

/* The client's connection's answer direction: bytes of it the capture never saw (a hole or
 * a tail, or the whole direction) were acknowledged by the client after the request was
 * sent (in a later packet): the answer exists, the capture missed it. */
bool why_partial_answer_unseen(const struct why_txn *t)
{
    const struct why_conn *c = why_rec_conn(t->rc);
    const struct why_tcp_half *h = &c->half[WHY_S2C];
    const struct why_half_miss *m = &c->miss->half[WHY_S2C];
    if (!h->peer_acked || h->acked_frame <= t->req_frame)
        return false; /* the client acknowledged nothing new after its request */
    return h->missing || m->unseen_acked_bytes || m->gap_acked_bytes;
}

/* A client whose request is not acknowledged sends it again within seconds (RFC 6298:
 * the retransmission timer starts at 1 s and doubles); a connection seen as the request's
 * packet alone, mid-stream, while the capture goes on far longer, is one whose packets the
 * capture did not keep (a filtered or sampled capture), not one the server left unanswered. */
bool why_partial_conn_unfollowed(const struct why_txn *t, struct why_ts now)
{
    const struct why_conn *c = why_rec_conn(t->rc);
    return c->midstream && c->half[WHY_S2C].packets == 0 && c->half[WHY_C2S].packets <= 1 &&
           why_ts_diff_us(t->req_ts, now) > WHY_PARTIAL_RETRANSMIT_US;
}

/* A CONNECT whose reply the capture missed, after which bytes went both ways on the
 * connection: the tunnel was open (a proxy that refuses relays nothing). */
bool why_partial_tunnel_open(const struct why_txn *t)
{
    const struct why_conn *c = why_rec_conn(t->rc);
    if (!why_str_is(t->method, "CONNECT"))
        return false;
    return why_ts_cmp(c->half[WHY_C2S].last_data_ts, t->req_ts) > 0 &&
           (why_ts_cmp(c->half[WHY_S2C].last_data_ts, t->req_ts) > 0 ||
            c->miss->half[WHY_S2C].unseen_acked_bytes || c->miss->half[WHY_S2C].gap_acked_bytes);
}
