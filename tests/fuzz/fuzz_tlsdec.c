/* Key log parser and the record decryptor on arbitrary bytes: the input is split into a key
 * log (up to the first NUL) and records fed both ways after hellos whose randoms, version and
 * cipher come from the input too, so wrong keys, bad tags and cut records are all reached. */
#include <string.h>

#include "fuzz.h"
#include "tlsdec/keylog.h"
#include "tlsdec/tlsdec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t klen = nul ? (size_t)(nul - data) : size;
    struct why_keylog *kl = NULL;
    char err[128];
    if (why_keylog_parse((const char *)data, klen, &kl, err, sizeof err) < 0)
        return 0;
    const uint8_t *p = nul ? nul + 1 : data + size;
    size_t left = (size_t)(data + size - p);
    struct why_tlsdec *d = why_tlsdec_new(kl);
    if (d && left >= 68) {
        static const uint16_t suites[] = {0xc02f, 0xc030, 0xcca8, 0xc027, 0x0035, 0x1301, 0x1302, 0x1303};
        why_tlsdec_client_hello(d, p);
        why_tlsdec_server_hello(d, p + 32, (p[64] & 1) ? 0x0304 : 0x0303, suites[p[65] % 8]);
        if (p[66] & 1)
            why_tlsdec_ccs(d, 0);
        if (p[66] & 2)
            why_tlsdec_ccs(d, 1);
        p += 68;
        left -= 68;
        static uint8_t out[WHY_TLSDEC_OUT_MAX];
        while (left >= 3) { /* dir+type, 2-byte length, body */
            uint8_t ctl = p[0];
            size_t len = (size_t)(p[1] << 8 | p[2]);
            p += 3;
            left -= 3;
            if (len > left)
                len = left;
            uint8_t inner;
            why_tlsdec_record(d, ctl & 1, (uint8_t)(20 + (ctl >> 1) % 4), p, len, out, sizeof out, &inner);
            p += len;
            left -= len;
        }
        struct why_tlsdec_info info;
        why_tlsdec_get_info(d, &info);
    }
    why_tlsdec_free(d);
    why_keylog_free(kl);
    return 0;
}
