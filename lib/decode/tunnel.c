/* Tunnel headers: GRE (RFC 2784, keys and sequence numbers RFC 2890), ERSPAN types I, II and
 * III as Cisco's switches write them inside GRE (draft-foschiano-erspan), Aruba's GRE (protocol
 * types 0x8200-0x82F0, 0x8300-0x8370 and 0x9000, as Wireshark and Zeek read them) carrying
 * IEEE 802.11 data frames with LLC/SNAP (RFC 1042), VXLAN (RFC 7348) and GENEVE (RFC 8926).
 * Each fills the caller's struct why_next with the tunnel's identifiers and the bytes it
 * carries; why_decode's loop goes on from there. A tunnel we do not read is UNSUPPORTED with
 * its reason in p->encap_stop, never a silent drop. Checksums are never verified. */
#include "decode/internal.h"

enum {
    GRE_C = 0x8000,   /* checksum present (with the reserved1 field) */
    GRE_R = 0x4000,   /* RFC 1701 routing present */
    GRE_K = 0x2000,   /* key present */
    GRE_S = 0x1000,   /* sequence number present */
    GRE_VER = 0x0007,
};
enum {
    GP_ERSPAN12 = 0x88BE,
    GP_ERSPAN3 = 0x22EB,
    GP_MPLS = 0x8847,
    GP_MPLS_MC = 0x8848,
    GP_8021Q = 0x8100,
    GP_8021AD = 0x88A8,
};
enum { ERSPAN2_LEN = 8, ERSPAN3_LEN = 12, ERSPAN3_SUB_LEN = 8 };
enum { VXLAN_LEN = 8, VXLAN_I = 0x08, GENEVE_LEN = 8 };

void why_next_start(struct why_next *next, const struct why_pkt *p, enum why_encap_kind kind)
{
    memset(&next->layer, 0, sizeof next->layer);
    next->set = true;
    next->layer.kind = (uint8_t)kind;
    next->layer.src = p->src;
    next->layer.dst = p->dst;
}

static enum why_decode_status stop(struct why_pkt *p, enum why_encap_stop why, uint16_t value)
{
    p->encap_stop = (uint8_t)why;
    p->encap_stop_value = value;
    return WHY_DECODE_UNSUPPORTED;
}

/* A header cut short: truncated if the wire had room for it, malformed if it did not. */
static enum why_decode_status cut(uint32_t wire, uint32_t need)
{
    return wire < need ? WHY_DECODE_MALFORMED : WHY_DECODE_TRUNCATED;
}

static bool aruba_proto(uint16_t t)
{
    if ((t & 0x000f) != 0)
        return false;
    return (t >= 0x8200 && t <= 0x82f0) || (t >= 0x8300 && t <= 0x8370) || t == 0x9000;
}

/* GRE payloads read as an ethertype by the link layer's network step. */
static bool gre_ethertype(uint16_t t)
{
    return t == WHY_ET_IPV4 || t == WHY_ET_IPV6 || t == WHY_ET_TEB || t == GP_MPLS || t == GP_MPLS_MC ||
           t == GP_8021Q || t == GP_8021AD;
}

/* The rest of c is what the tunnel carries. */
static enum why_decode_status carry(struct why_cur *c, struct why_next *next, uint16_t et)
{
    next->et = et;
    next->c = why_cur_make(why_cur_ptr(c), why_cur_left(c));
    return WHY_DECODE_OK;
}

/* ERSPAN II (8 bytes) and III (12, + 8 with the O bit): version, VLAN, session id. need: the
 * GRE header bytes before it. */
static enum why_decode_status erspan(struct why_cur *c, uint32_t wire, uint32_t need, bool three,
                                     struct why_pkt *p, struct why_next *next)
{
    uint16_t ver_vlan = why_cur_be16(c);
    uint16_t session = why_cur_be16(c);
    why_cur_skip(c, 4); /* II: reserved + index; III: timestamp */
    uint16_t word = 0;
    if (three) {
        why_cur_skip(c, 2); /* security group tag */
        word = why_cur_be16(c); /* P, frame type (5), hardware id (6), D, Gra (2), O */
        need += ERSPAN3_LEN;
    } else {
        need += ERSPAN2_LEN;
    }
    if (!why_cur_ok(c))
        return cut(wire, need);
    unsigned version = ver_vlan >> 12;
    if (version != (three ? 2u : 1u))
        return stop(p, WHY_ENCAP_STOP_ERSPAN_VERSION, (uint16_t)version);
    if (three && (word & 1u) && !why_cur_skip(c, ERSPAN3_SUB_LEN))
        return cut(wire, need + ERSPAN3_SUB_LEN);
    unsigned frame_type = (word >> 10) & 0x1fu;
    if (frame_type != 0) /* 0: Ethernet; 2: IP, which no switch we know sends */
        return stop(p, WHY_ENCAP_STOP_ERSPAN_FRAME, (uint16_t)frame_type);
    next->layer.kind = three ? WHY_ENCAP_ERSPAN3 : WHY_ENCAP_ERSPAN2;
    next->layer.id = session & 0x3ffu;
    next->layer.flags |= WHY_ENCAP_F_ID;
    return carry(c, next, WHY_ET_TEB);
}

enum why_decode_status why_decode_gre(struct why_cur *c, uint32_t wire, struct why_pkt *p, struct why_next *next)
{
    uint16_t fv = why_cur_be16(c), proto = why_cur_be16(c);
    if (!why_cur_ok(c))
        return cut(wire, 4);
    if (fv & GRE_VER)
        return stop(p, WHY_ENCAP_STOP_GRE_VERSION, fv & GRE_VER);
    if (fv & GRE_R)
        return stop(p, WHY_ENCAP_STOP_GRE_ROUTING, 0);
    why_next_start(next, p, WHY_ENCAP_GRE);
    struct why_encap *e = &next->layer;
    e->proto = proto;
    uint32_t need = 4;
    if (fv & GRE_C) {
        why_cur_skip(c, 4); /* checksum, reserved1 */
        e->flags |= WHY_ENCAP_F_CSUM;
        need += 4;
    }
    if (fv & GRE_K) {
        e->key = why_cur_be32(c);
        e->flags |= WHY_ENCAP_F_KEY;
        need += 4;
    }
    if (fv & GRE_S) {
        e->seq = why_cur_be32(c);
        e->flags |= WHY_ENCAP_F_SEQ;
        need += 4;
    }
    if (!why_cur_ok(c))
        return cut(wire, need);
    if (proto == GP_ERSPAN12) {
        if (!(fv & GRE_S)) { /* type I: the mirrored frame follows the GRE header */
            e->kind = WHY_ENCAP_ERSPAN1;
            return carry(c, next, WHY_ET_TEB);
        }
        return erspan(c, wire, need, false, p, next);
    }
    if (proto == GP_ERSPAN3)
        return erspan(c, wire, need, true, p, next);
    if (aruba_proto(proto)) {
        e->kind = WHY_ENCAP_ARUBA;
        return carry(c, next, WHY_ET_80211);
    }
    if (gre_ethertype(proto))
        return carry(c, next, proto);
    return stop(p, WHY_ENCAP_STOP_GRE_PROTO, proto);
}

enum why_decode_status why_decode_vxlan(struct why_cur *c, uint32_t wire, struct why_pkt *p, struct why_next *next)
{
    uint8_t flags = why_cur_u8(c);
    why_cur_skip(c, 3);
    uint32_t vni = why_cur_be24(c);
    why_cur_skip(c, 1);
    if (!why_cur_ok(c))
        return cut(wire, VXLAN_LEN);
    if (!(flags & VXLAN_I))
        return stop(p, WHY_ENCAP_STOP_VXLAN_FLAGS, flags);
    why_next_start(next, p, WHY_ENCAP_VXLAN);
    next->layer.id = vni;
    next->layer.flags |= WHY_ENCAP_F_ID;
    return carry(c, next, WHY_ET_TEB);
}

enum why_decode_status why_decode_geneve(struct why_cur *c, uint32_t wire, struct why_pkt *p, struct why_next *next)
{
    uint8_t ver_optlen = why_cur_u8(c);
    why_cur_skip(c, 1); /* O, C, reserved */
    uint16_t proto = why_cur_be16(c);
    uint32_t vni = why_cur_be24(c);
    why_cur_skip(c, 1);
    if (!why_cur_ok(c))
        return cut(wire, GENEVE_LEN);
    if (ver_optlen >> 6 != 0)
        return stop(p, WHY_ENCAP_STOP_GENEVE_VERSION, (uint16_t)(ver_optlen >> 6));
    uint32_t optlen = (uint32_t)(ver_optlen & 0x3fu) * 4; /* at most 252 bytes of options */
    if (!why_cur_skip(c, optlen))
        return cut(wire, GENEVE_LEN + optlen);
    if (proto != WHY_ET_TEB && proto != WHY_ET_IPV4 && proto != WHY_ET_IPV6)
        return stop(p, WHY_ENCAP_STOP_GENEVE_PROTO, proto);
    why_next_start(next, p, WHY_ENCAP_GENEVE);
    next->layer.proto = proto;
    next->layer.id = vni;
    next->layer.flags |= WHY_ENCAP_F_ID;
    return carry(c, next, proto);
}

/* IEEE 802.11-2020 9.2.4.1 frame control: version (2 bits), type (2), subtype (4); flags. */
enum { WLAN_TYPE_DATA = 2, WLAN_TO_DS = 0x01, WLAN_FROM_DS = 0x02, WLAN_PROTECTED = 0x40, WLAN_ORDER = 0x80 };
enum { WLAN_SUB_NODATA = 0x4, WLAN_SUB_QOS = 0x8, WLAN_QOS_AMSDU = 0x80 };

enum why_decode_status why_decode_80211(struct why_cur *c, struct why_pkt *p, uint16_t *et)
{
    uint8_t fc0 = why_cur_u8(c), fc1 = why_cur_u8(c);
    if (!why_cur_ok(c))
        return WHY_DECODE_TRUNCATED;
    if ((fc0 & 3u) != 0)
        return WHY_DECODE_MALFORMED; /* only protocol version 0 exists */
    unsigned type = (fc0 >> 2) & 3u, subtype = fc0 >> 4;
    if (type != WLAN_TYPE_DATA)
        return WHY_DECODE_NOT_IP; /* management and control frames */
    /* duration, address 1-3, sequence control; address 4 between two distribution systems */
    why_cur_skip(c, 22);
    if ((fc1 & (WLAN_TO_DS | WLAN_FROM_DS)) == (WLAN_TO_DS | WLAN_FROM_DS))
        why_cur_skip(c, 6);
    bool amsdu = false;
    if (subtype & WLAN_SUB_QOS) {
        amsdu = (why_cur_u8(c) & WLAN_QOS_AMSDU) != 0;
        why_cur_skip(c, 1);
        if (fc1 & WLAN_ORDER)
            why_cur_skip(c, 4); /* HT control */
    }
    if (!why_cur_ok(c))
        return WHY_DECODE_TRUNCATED;
    if (subtype & WLAN_SUB_NODATA)
        return WHY_DECODE_NOT_IP; /* null function: power management, keep-alive */
    if (fc1 & WLAN_PROTECTED)
        return stop(p, WHY_ENCAP_STOP_WLAN_PROTECTED, 0);
    if (amsdu)
        return stop(p, WHY_ENCAP_STOP_WLAN_AMSDU, 0);
    uint8_t llc[6];
    why_cur_copy(c, llc, sizeof llc);
    uint16_t type_field = why_cur_be16(c);
    if (!why_cur_ok(c))
        return WHY_DECODE_TRUNCATED;
    /* SNAP with the RFC 1042 OUI (00-00-00) or the bridge-tunnel one (00-00-F8) */
    if (llc[0] != 0xAA || llc[1] != 0xAA || llc[2] != 0x03 || llc[3] != 0 || llc[4] != 0 ||
        (llc[5] != 0 && llc[5] != 0xF8))
        return WHY_DECODE_NOT_IP;
    *et = type_field;
    return WHY_DECODE_OK;
}
