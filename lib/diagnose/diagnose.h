/* Diagnosis: ordered rules over one join, first cause wins, phase by phase as a request
 * travels (DNS, connect, TLS, request/response), then the gateway, the client and the
 * capture. Reads the join and its records only; returns the incident (cause from the
 * catalogue, parameters, measured waits, evidence as data: file, frame, time, kind, actors,
 * addresses). */
#ifndef WHY_DIAGNOSE_DIAGNOSE_H
#define WHY_DIAGNOSE_DIAGNOSE_H

#include "correlate/join.h"

struct why_diag_ctx {
    const struct why_gateways *gw;
    struct why_ts now;            /* the latest packet time (the capture's end at finish) */
};

enum why_verdict {
    WHY_VERDICT_OK = 0,           /* not a failure: no incident */
    WHY_VERDICT_FAILED,           /* *inc holds the incident */
    WHY_VERDICT_UNREADABLE,       /* the answer's bytes are missing from the capture: not
                                     judged (counted in summary.unreadable) */
};

/* A client request's join. inc is filled only for WHY_VERDICT_FAILED. */
enum why_verdict why_diagnose(const struct why_diag_ctx *cx, const struct why_join *x,
                              struct why_incident *inc);
/* A failure joined to no request: x holds only DNS records, or only attempts (and for TLS
 * the client connection served then). true when inc holds an incident. */
bool why_diagnose_unjoined(const struct why_diag_ctx *cx, const struct why_join *x,
                           struct why_incident *inc);

#endif
