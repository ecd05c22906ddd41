/* DNS message parser on arbitrary bytes. */
#include "fuzz.h"
#include "proto/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct why_dns_msg m;
    if (why_dns_parse(data, size, &m) == 0) {
        char buf[16];
        (void)why_dns_rcode_name(m.rcode);
        (void)why_dns_type_name(m.qtype, buf, sizeof buf);
    }
    return 0;
}
