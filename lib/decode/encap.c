/* Words and counts for tunnels: the short names of each kind and each reason a tunnel was not
 * read, the text that shows the tunnels a packet crossed ("ERSPAN II session 3 in GRE
 * 10.0.0.1->10.0.0.2"), and the decode counters a caller keeps over a run. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "decode/decode.h"

enum { PROTO_ICMP = 1, PROTO_TCP = 6, PROTO_UDP = 17, PROTO_ICMPV6 = 58 };

const char *why_encap_kind_name(enum why_encap_kind k)
{
    switch (k) {
    case WHY_ENCAP_GRE: return "gre";
    case WHY_ENCAP_ERSPAN1: return "erspan1";
    case WHY_ENCAP_ERSPAN2: return "erspan2";
    case WHY_ENCAP_ERSPAN3: return "erspan3";
    case WHY_ENCAP_ARUBA: return "aruba_gre";
    case WHY_ENCAP_VXLAN: return "vxlan";
    case WHY_ENCAP_GENEVE: return "geneve";
    case WHY_ENCAP_IP4: return "ipv4_in_ip";
    case WHY_ENCAP_IP6: return "ipv6_in_ip";
    case WHY_ENCAP_NONE:
    case WHY_ENCAP_KINDS: break;
    }
    return "none";
}

const char *why_encap_stop_name(enum why_encap_stop s)
{
    switch (s) {
    case WHY_ENCAP_STOP_GRE_PROTO: return "gre_unsupported_proto";
    case WHY_ENCAP_STOP_GRE_VERSION: return "gre_unsupported_version";
    case WHY_ENCAP_STOP_GRE_ROUTING: return "gre_routing";
    case WHY_ENCAP_STOP_ERSPAN_VERSION: return "erspan_unsupported_version";
    case WHY_ENCAP_STOP_ERSPAN_FRAME: return "erspan3_unsupported_frame_type";
    case WHY_ENCAP_STOP_WLAN_PROTECTED: return "aruba_wlan_encrypted";
    case WHY_ENCAP_STOP_WLAN_AMSDU: return "aruba_wlan_amsdu";
    case WHY_ENCAP_STOP_VXLAN_FLAGS: return "vxlan_without_vni";
    case WHY_ENCAP_STOP_GENEVE_VERSION: return "geneve_unsupported_version";
    case WHY_ENCAP_STOP_GENEVE_PROTO: return "geneve_unsupported_proto";
    case WHY_ENCAP_STOP_DEPTH: return "tunnel_depth";
    case WHY_ENCAP_STOP_FRAGMENT: return "tunnel_fragment";
    case WHY_ENCAP_STOP_NONE:
    case WHY_ENCAP_STOPS: break;
    }
    return "none";
}

/* How the value of a stop reads: a protocol type in hex, a number, or nothing. */
static int stop_value(enum why_encap_stop s, uint16_t v, char *buf, size_t size)
{
    switch (s) {
    case WHY_ENCAP_STOP_GRE_PROTO:
    case WHY_ENCAP_STOP_GENEVE_PROTO:
    case WHY_ENCAP_STOP_VXLAN_FLAGS: return snprintf(buf, size, " 0x%04x", (unsigned)v);
    case WHY_ENCAP_STOP_GRE_VERSION:
    case WHY_ENCAP_STOP_ERSPAN_VERSION:
    case WHY_ENCAP_STOP_ERSPAN_FRAME:
    case WHY_ENCAP_STOP_GENEVE_VERSION: return snprintf(buf, size, " %u", (unsigned)v);
    case WHY_ENCAP_STOP_FRAGMENT: return snprintf(buf, size, " proto %u", (unsigned)v);
    default: break;
    }
    if (size)
        buf[0] = '\0';
    return 0;
}

void why_decode_stats_add(struct why_decode_stats *s, enum why_decode_status st, const struct why_pkt *p)
{
    s->frames++;
    /* most frames: a plain TCP or UDP packet, nothing else to count */
    if (st == WHY_DECODE_OK && p->nencap == 0 && p->encap_stop == WHY_ENCAP_STOP_NONE &&
        (p->proto == PROTO_TCP || p->proto == PROTO_UDP))
        return;
    switch (st) {
    case WHY_DECODE_OK: break;
    case WHY_DECODE_NOT_IP: s->not_ip++; break;
    case WHY_DECODE_UNSUPPORTED: s->unsupported++; break;
    case WHY_DECODE_TRUNCATED: s->truncated++; break;
    case WHY_DECODE_MALFORMED: s->malformed++; break;
    }
    if (p->nencap)
        s->tunnelled++;
    bool head = false;
    for (uint8_t i = 0; i < p->nencap && i < WHY_ENCAP_MAX; i++) {
        if (p->encap[i].kind < WHY_ENCAP_KINDS)
            s->by_encap[p->encap[i].kind]++;
        head |= (p->encap[i].flags & WHY_ENCAP_F_FRAGMENT) != 0;
    }
    if (head)
        s->tunnel_fragment_heads++;
    if (st == WHY_DECODE_OK && p->ipver && !p->fragment && p->proto != PROTO_TCP && p->proto != PROTO_UDP &&
        p->proto != PROTO_ICMP && p->proto != PROTO_ICMPV6)
        s->other_ip_proto++;
    if (p->encap_stop == WHY_ENCAP_STOP_NONE || p->encap_stop >= WHY_ENCAP_STOPS)
        return;
    s->stops[p->encap_stop]++;
    for (uint32_t i = 0; i < s->nnamed; i++) {
        if (s->named[i].stop == p->encap_stop && s->named[i].value == p->encap_stop_value) {
            s->named[i].count++;
            return;
        }
    }
    if (s->nnamed == WHY_DECODE_NAMED_MAX) {
        s->named_over++;
        return;
    }
    s->named[s->nnamed].stop = p->encap_stop;
    s->named[s->nnamed].value = p->encap_stop_value;
    s->named[s->nnamed].count = 1;
    s->nnamed++;
}

char *why_decode_stats_line(const struct why_decode_stats *s, uint32_t i, char *buf, size_t size)
{
    if (size == 0)
        return buf;
    buf[0] = '\0';
    if (i >= s->nnamed || i >= WHY_DECODE_NAMED_MAX)
        return buf;
    char v[24];
    stop_value(s->named[i].stop, s->named[i].value, v, sizeof v);
    snprintf(buf, size, "%s%s: %" PRIu64, why_encap_stop_name(s->named[i].stop), v, s->named[i].count);
    return buf;
}

/* One layer: "VXLAN VNI 7 in UDP 10.0.0.1->10.0.0.2". */
static int layer_str(const struct why_encap *e, char *buf, size_t size)
{
    static const char *const erspan[] = {"I", "II", "III"};
    char key[24] = "", src[48], dst[48];
    why_addr_str(&e->src, src, sizeof src);
    why_addr_str(&e->dst, dst, sizeof dst);
    if (e->flags & WHY_ENCAP_F_KEY)
        snprintf(key, sizeof key, " key 0x%" PRIx32, e->key);
    switch (e->kind) {
    case WHY_ENCAP_GRE: return snprintf(buf, size, "GRE%s %s->%s", key, src, dst);
    case WHY_ENCAP_ERSPAN1: return snprintf(buf, size, "ERSPAN I in GRE%s %s->%s", key, src, dst);
    case WHY_ENCAP_ERSPAN2:
    case WHY_ENCAP_ERSPAN3:
        return snprintf(buf, size, "ERSPAN %s session %" PRIu32 " in GRE%s %s->%s",
                        erspan[e->kind - WHY_ENCAP_ERSPAN1], e->id, key, src, dst);
    case WHY_ENCAP_ARUBA: return snprintf(buf, size, "Aruba 802.11 in GRE%s %s->%s", key, src, dst);
    case WHY_ENCAP_VXLAN: return snprintf(buf, size, "VXLAN VNI %" PRIu32 " in UDP %s->%s", e->id, src, dst);
    case WHY_ENCAP_GENEVE: return snprintf(buf, size, "GENEVE VNI %" PRIu32 " in UDP %s->%s", e->id, src, dst);
    case WHY_ENCAP_IP4:
        return snprintf(buf, size, "%s %s->%s", e->src.family == 6 ? "IPv4-in-IPv6" : "IP-in-IP", src, dst);
    case WHY_ENCAP_IP6:
        return snprintf(buf, size, "%s %s->%s", e->src.family == 6 ? "IPv6-in-IPv6" : "6in4", src, dst);
    default: return snprintf(buf, size, "tunnel %s->%s", src, dst);
    }
}

char *why_encap_str(const struct why_encap *layers, unsigned n, char *buf, size_t size)
{
    if (size == 0)
        return buf;
    buf[0] = '\0';
    size_t used = 0;
    for (unsigned i = n; i-- > 0 && used + 1 < size;) {
        if (i + 1 < n) {
            int k = snprintf(buf + used, size - used, " inside ");
            used += k > 0 ? (size_t)k : 0;
            if (used >= size)
                break;
        }
        int k = layer_str(&layers[i], buf + used, size - used);
        used += k > 0 ? (size_t)k : 0;
    }
    if (used >= size)
        buf[size - 1] = '\0';
    return buf;
}
