/* Rules for imperfect captures (one direction missing, lost segments, replies not
 * captured): predicates over a client request's records, used by the diagnosis so that a
 * capture's gap is never a failure. Pure: they read records only. */
#ifndef WHY_DIAGNOSE_PARTIAL_H
#define WHY_DIAGNOSE_PARTIAL_H

#include <stdbool.h>
#include <string.h>

#include "store/records.h"

/* The request has no answer in the capture, yet the client acknowledged answer bytes the
 * capture never saw, after the request: not judged (summary.unreadable). */
bool why_partial_answer_unseen(const struct why_txn *t);
#define WHY_PARTIAL_RETRANSMIT_US (10LL * 1000000) /* a client that got no ACK has retransmitted
                                                     its request by then (RFC 6298) */

/* The request's packet is all the capture holds of its connection (mid-stream, nothing else
 * in either direction) while the capture ran WHY_PARTIAL_RETRANSMIT_US longer: the capture
 * did not follow the connection. Not judged. */
bool why_partial_conn_unfollowed(const struct why_txn *t, struct why_ts now);
/* A CONNECT whose reply was not captured, followed by bytes both ways: the tunnel opened. */
bool why_partial_tunnel_open(const struct why_txn *t);

#endif
