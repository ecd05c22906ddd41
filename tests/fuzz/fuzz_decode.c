/* Link, IP, tunnel and transport decode of one frame: the first two bytes pick the link type;
 * the tunnel text and the counters are rendered too. */
#include "decode/decode.h"
#include "fuzz.h"

static const uint32_t linktypes[] = {0, 1, 12, 14, 101, 108, 113, 228, 229, 253, 276};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct why_frame f = {0};
    f.num = 1;
    f.linktype = linktypes[data[0] % (sizeof linktypes / sizeof linktypes[0])];
    f.caplen = (uint32_t)(size - 2);
    f.wirelen = f.caplen + data[1];
    f.data = data + 2;
    struct why_pkt p;
    enum why_decode_status st = why_decode(&f, &p);
    struct why_decode_stats stats = {0};
    why_decode_stats_add(&stats, st, &p);
    char line[128];
    why_decode_stats_line(&stats, 0, line, sizeof line);
    why_encap_str(p.encap, p.nencap, line, sizeof line);
    char buf[64];
    why_addr_str(&p.src, buf, sizeof buf);
    why_endpoint_str(&p.dst, p.dport, buf, sizeof buf);
    if (p.icmp_error && p.quoted.valid)
        why_addr_str(&p.quoted.dst, buf, sizeof buf);
    return 0;
}
