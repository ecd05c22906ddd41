/* Names of the result model's enums: the words the text report shows and the names the JSON
 * schema uses (docs/json.md). Append only. */
#include "render/render.h"

const char *why_kind_name(enum why_kind k)
{
    static const char *const names[] = {"gateway", "origin", "client", "capture", "unjoined"};
    return (unsigned)k < 5 ? names[k] : "gateway";
}

const char *why_alt_basis_name(enum why_alt_basis b)
{
    static const char *const names[] = {"swapped_pairing", "taken_try", "attempt_near", "no_attempt_near",
                                        "name_unresolved", "check_schedule",
                                        "other_name_unresolved", "busy_path", "checks_failing"};
    return (unsigned)b < sizeof names / sizeof names[0] ? names[b] : "swapped_pairing";
}

const char *why_actor_name(enum why_actor a)
{
    static const char *const names[] = {"other", "client", "gateway", "upstream", "dns_server"};
    return (unsigned)a < 5 ? names[a] : "other";
}

const char *why_evidence_kind_name(enum why_evidence_kind k)
{
    static const char *const names[WHY_EVK_KIND_COUNT] = {
        "note", "request", "response", "upstream_request", "upstream_response", "data", "syn",
        "syn_retry", "syn_ack", "rst", "fin", "icmp", "dns_query", "dns_answer", "tls_hello",
        "tls_hello_request", "tls_alert", "tls_certificate", "give_up", "h2_rst_stream",
        "h2_goaway", "h2_stall"};
    return (unsigned)k < WHY_EVK_KIND_COUNT ? names[k] : "note";
}
