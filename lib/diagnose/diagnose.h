/* Diagnosis: ordered rules over one join, first cause wins, phase by phase as a request
 * travels (DNS, connect, TLS, request/response), then the gateway, the client and the
 * capture. Reads the join and its records only; returns the incident (cause from the
 * catalogue, parameters, measured waits, evidence as data: file, frame, time, kind, actors,
 * addresses) and the phrases that say it; no English here (lib/render words them). */
#ifndef WHY_DIAGNOSE_DIAGNOSE_H
#define WHY_DIAGNOSE_DIAGNOSE_H

#include "correlate/join.h"
#include "render/words.h"

struct why_diag_ctx {
    const struct why_gateways *gw;
    struct why_ts now;            /* the latest packet time (the capture's end at finish) */
};

/* A diagnosis: the incident (data) and what its words will say (phrases and arguments of
 * render/words.h, turned into English by why_render). The incident is the first member. */
struct why_diagnosis {
    struct why_incident inc;                     /* summary, fix, evidence[].what left empty */
    struct why_words summary;
    struct why_words evidence[WHY_EVIDENCE_MAX]; /* one per inc.evidence[i] */
    struct why_fix_args fix;
};

enum why_verdict {
    WHY_VERDICT_OK = 0,           /* not a failure: no incident */
    WHY_VERDICT_FAILED,           /* *inc holds the incident */
    WHY_VERDICT_UNREADABLE,       /* the answer's bytes are missing from the capture: not
                                     judged (counted in summary.unreadable) */
};

/* A client request's join. *d is filled only for WHY_VERDICT_FAILED. */
enum why_verdict why_diagnose(const struct why_diag_ctx *cx, const struct why_join *x,
                              struct why_diagnosis *d);
/* The client gave up before the answer's first byte (its FIN), and its RST answered the
 * answer (the socket was gone): what a gateway logs as 499, whatever status it wrote after. */
bool why_diagnose_client_left_first(const struct why_txn *t);
/* A failure joined to no request: x holds only DNS records, or only attempts (and for TLS
 * the client connection served then). true when inc holds an incident. */
bool why_diagnose_unjoined(const struct why_diag_ctx *cx, const struct why_join *x,
                           struct why_diagnosis *d);

#endif
