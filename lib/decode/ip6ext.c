/* The IPv6 extension header chain (RFC 8200 section 4; AH, RFC 4302): hop-by-hop, routing,
 * fragment, destination options and AH walked with a hard cap (WHY_DECODE_EXT_MAX). Used by
 * the IPv6 decoder and by the decoder of the packet an ICMPv6 error quotes. */
#include "decode/internal.h"

enum { EXT_HOP = 0, EXT_ROUTING = 43, EXT_FRAGMENT = 44, EXT_AH = 51, EXT_DSTOPTS = 60 };

static bool is_ext(uint8_t nh)
{
    return nh == EXT_HOP || nh == EXT_ROUTING || nh == EXT_FRAGMENT || nh == EXT_AH || nh == EXT_DSTOPTS;
}

enum why_decode_status why_decode_ip6_ext(struct why_cur *c, uint32_t wire, uint8_t *nh, uint32_t *used,
                                          bool *frag, bool *first)
{
    *used = 0;
    *frag = false;
    *first = false;
    for (unsigned i = 0; is_ext(*nh); i++) {
        if (i == WHY_DECODE_EXT_MAX)
            return WHY_DECODE_UNSUPPORTED;
        struct why_cur h = *c;
        uint8_t next = why_cur_u8(&h);
        uint8_t hlen = why_cur_u8(&h);
        uint32_t size;
        if (*nh == EXT_FRAGMENT)
            size = 8;
        else if (*nh == EXT_AH)
            size = ((uint32_t)hlen + 2) * 4;
        else
            size = ((uint32_t)hlen + 1) * 8;
        if (!why_cur_ok(&h))
            return wire - *used < 2 ? WHY_DECODE_MALFORMED : WHY_DECODE_TRUNCATED;
        if (size > wire - *used)
            return WHY_DECODE_MALFORMED;
        if (*nh == EXT_FRAGMENT) {
            uint16_t offflags = why_cur_be16(&h);
            if (!why_cur_ok(&h))
                return WHY_DECODE_TRUNCATED;
            if ((offflags >> 3) != 0 || (offflags & 1))
                *frag = true;
            *first = (offflags >> 3) == 0;
        }
        if (!why_cur_skip(c, size))
            return WHY_DECODE_TRUNCATED;
        *used += size;
        *nh = next;
        if (*frag)
            break;
    }
    return WHY_DECODE_OK;
}
