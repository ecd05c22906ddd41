/* Shared by the diagnosis rules (diagnose.c) and the evidence helpers (evidence.c): private
 * to lib/diagnose. All frame numbers taken are frame ids (store/records.h). */
#ifndef WHY_DIAGNOSE_EVIDENCE_H
#define WHY_DIAGNOSE_EVIDENCE_H

#include "diagnose/diagnose.h"

/* The parameters of the fix and who acted, threaded through the rules. */
struct why_dg_ctx {
    const struct why_gateways *gw; /* for the actors of DNS evidence */
    const char *who;              /* "" for the gateway, or the host's address (unjoined) */
    struct why_fix_args *a;       /* the fix template's parameters */
};

struct why_diagnosis *why_dg_of(struct why_incident *inc);
/* The summary: a phrase of render/words.h and its arguments (NULL strings are ""). */
void why_dg_say(struct why_incident *inc, enum why_phrase ph, const char *s0, const char *s1,
         const char *s2, int64_t n0, int64_t n1, int64_t n2, int64_t n3);
void why_dg_cause(struct why_incident *inc, enum why_cause_id id);
/* Appends "key=value ..." parameters to detail_text. */
void why_dg_param(struct why_incident *inc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An evidence item on a TCP connection, sent in direction dir (WHY_C2S: by its opener);
 * nothing when frame is 0 or already listed. */
void why_dg_ev_conn(struct why_incident *inc, enum why_evidence_kind kind, const struct why_conn_rec *rc,
         enum why_dir dir, uint64_t frame, struct why_ts ts, enum why_phrase ph, const char *s0,
         const char *s1, int64_t n0, int64_t n1);
/* The same with a third string argument (s2). */
void why_dg_ev_other_synack(struct why_incident *inc, const struct why_conn_rec *rc);
void why_dg_ev_conn3(struct why_incident *inc, enum why_evidence_kind kind, const struct why_conn_rec *rc,
         enum why_dir dir, uint64_t frame, struct why_ts ts, enum why_phrase ph, const char *s0,
         const char *s1, const char *s2, int64_t n0, int64_t n1);
/* An evidence item of a DNS exchange (dir WHY_C2S: the query's direction); s0 is the name. */
void why_dg_ev_dns(struct why_incident *inc, enum why_evidence_kind kind, const struct why_gateways *gw,
         const struct why_dns_rec *d, enum why_dir dir, uint64_t frame, struct why_ts ts,
         enum why_phrase ph, const char *s1, int64_t n0, int64_t n1);
/* Every packet of a connection attempt: SYNs, SYN-ACK, ICMP, RST and FIN each way. */
void why_dg_conn_evidence(struct why_incident *inc, const struct why_conn_rec *rc);
/* Frame ids become file + number, evidence in capture order, the connections listed. */
void why_dg_finish(struct why_incident *inc, const struct why_join *x, const struct why_gateways *gw);

#endif
