#!/usr/bin/env python3
"""Makes the imperfect captures of the field out of a good one: synthetic variants of a capture
taken on a gateway, to check that why502 never turns what a capture missed into a failure.

    degrade.py VARIANT IN OUT [--gateway ADDR,...] [--seed N] [--rate R]
    degrade.py --check --why502 BIN CAPTURE...

IN is pcap or pcapng (Ethernet with 802.1Q/QinQ tags, Linux SLL and SLL2 as `-i any` writes,
BSD loopback, raw IP); OUT is always pcap (nanosecond stamps) with the input's link type.
Python 3 only, no third-party module.

Variants (TCP only; UDP such as DNS, ICMP and everything else are kept as they are):
  drop-c2g   the client-to-gateway direction removed (a mirror of the gateway's outbound port)
  drop-g2c   the gateway-to-client direction removed
  drop-u2g   on the gateway's upstream leg, the origin-to-gateway direction removed
  drop-g2u   on the gateway's upstream leg, the gateway-to-origin direction removed
  loss       RATE (1 %) of the TCP segments removed, chosen by a fixed seed. Segments that
             carry SYN, FIN or RST are never removed: each is a single packet that says how a
             connection opened or ended, and losing the only copy of a RST would turn "refused"
             into "unanswered", which no analysis of any capture can undo; what this variant
             tests is lost data and ACKs (holes in streams, acknowledged bytes never seen)
  nat        the upstream leg's origin-to-gateway packets rewritten as a NAT or a load
             balancer's virtual address would show them: both addresses differ from those of
             the gateway's SYN (IPv4: first octet XOR 0x40, 198.19.0.10 -> 134.19.0.10; IPv6:
             second byte XOR 0x40, fd00:19::10 -> fd40:19::10); ports kept; IPv4 header and
             TCP checksums adjusted (RFC 1624)

The gateway: its addresses are those given with --gateway; else, on SLL/SLL2 captures, the
source addresses of the packets the capture host sent ("outgoing"); else the addresses that
both receive and send SYNs. Its listening ports are the ports on those addresses that receive
SYNs: a TCP packet to or from one of them is on the client leg, any other TCP packet from or to
a gateway address is on the upstream leg.

--check runs why502 --json on each capture and on each of its variants and asserts:
  direction removed: no incident the complete capture does not have (same cause and URL; an
                     unjoined one, whose client request was removed, by its cause, or by its
                     packets: an unjoined failed attempt whose SYNs and their answers are all
                     evidence of an incident of the complete capture, which named the request
                     from another of its attempts; for a URL the complete capture reports, a
                     cause the partial capture still proves: LESS_KNOWING below), and the
                     summary says the capture is partial (warnings or a capture gap count)
  loss:              the same causes; a cause the lost segments hid may give way to one the
                     partial capture still proves (LESS_KNOWING) for the same URL
  nat:               the same incidents (cause and URL)
--known FILE lists variants known to fail (capture, variant, why): printed as "known", not
counted as failures; a listed variant that passes is a failure (the list must shrink).
Exit status 0 when every check holds, 1 otherwise.
"""
import argparse
import ipaddress
import json
import os
import random
import struct
import subprocess
import sys
import tempfile

LINK_NULL, LINK_ETHER, LINK_RAW, LINK_LOOP, LINK_SLL, LINK_IPV4, LINK_IPV6, LINK_SLL2 = (
    0, 1, 101, 108, 113, 228, 229, 276)
VARIANTS = ("drop-c2g", "drop-g2c", "drop-u2g", "drop-g2u", "loss", "nat")
DROP_VARIANTS = VARIANTS[:4]
MAX_PACKETS = 5_000_000  # a bound on what one run reads


class Packet:
    __slots__ = ("sec", "nsec", "data", "wire", "link")

    def __init__(self, sec, nsec, data, wire, link):
        self.sec, self.nsec, self.data, self.wire, self.link = sec, nsec, data, wire, link


# ---- reading ----

def read_pcap(buf):
    magic = buf[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise ValueError("not a pcap file")
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    link = struct.unpack(end + "I", buf[20:24])[0] & 0x0FFFFFFF
    off, out = 24, []
    while off + 16 <= len(buf) and len(out) < MAX_PACKETS:
        sec, frac, incl, orig = struct.unpack(end + "IIII", buf[off:off + 16])
        off += 16
        if incl > len(buf) - off:
            break
        out.append(Packet(sec, frac if nano else frac * 1000, buf[off:off + incl], orig, link))
        off += incl
    return link, out


def read_pcapng(buf):
    out, ifaces, end, off = [], [], "<", 0
    while off + 12 <= len(buf) and len(out) < MAX_PACKETS:
        btype = struct.unpack(end + "I", buf[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            bom = buf[off + 8:off + 12]
            end = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
            ifaces = []
        blen = struct.unpack(end + "I", buf[off + 4:off + 8])[0]
        if blen < 12 or off + blen > len(buf):
            break
        body = buf[off + 8:off + blen - 4]
        if btype == 1 and len(body) >= 8:  # interface description
            link = struct.unpack(end + "H", body[:2])[0]
            res = 1_000_000
            o = 8
            while o + 4 <= len(body):
                code, olen = struct.unpack(end + "HH", body[o:o + 4])
                if code == 0:
                    break
                if code == 9 and olen >= 1:  # if_tsresol
                    v = body[o + 4]
                    res = 2 ** (v & 0x7F) if v & 0x80 else 10 ** v
                o += 4 + ((olen + 3) & ~3)
            ifaces.append((link, res))
        elif btype == 6 and len(body) >= 20:  # enhanced packet
            iface, hi, lo, incl, orig = struct.unpack(end + "IIIII", body[:20])
            if iface < len(ifaces) and incl <= len(body) - 20:
                link, res = ifaces[iface]
                ts = (hi << 32) | lo
                sec, frac = divmod(ts, res)
                out.append(Packet(sec, frac * 1_000_000_000 // res, body[20:20 + incl], orig, link))
        elif btype == 3 and len(body) >= 4 and ifaces:  # simple packet
            orig = struct.unpack(end + "I", body[:4])[0]
            out.append(Packet(0, 0, body[4:4 + orig], orig, ifaces[0][0]))
        off += blen
    if not ifaces and not out:
        raise ValueError("not a pcapng file")
    links = {p.link for p in out}
    if len(links) > 1:
        raise ValueError("pcapng with several link types: pcap holds one")
    return (links.pop() if links else (ifaces[0][0] if ifaces else LINK_ETHER)), out


def read_capture(path):
    with open(path, "rb") as f:
        buf = f.read()
    if buf[:4] == b"\x0a\x0d\x0d\x0a":
        return read_pcapng(buf)
    return read_pcap(buf)


def write_pcap(path, link, packets):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, link))
        for p in packets:
            f.write(struct.pack("<IIII", p.sec, p.nsec, len(p.data), max(p.wire, len(p.data))))
            f.write(p.data)


# ---- decoding just enough ----

class View:
    """Where a packet's IP header starts and what it says; outgoing per SLL/SLL2."""
    __slots__ = ("ip", "ver", "src", "dst", "proto", "l4", "sport", "dport", "flags", "out")


def ip_offset(link, d):
    """(offset of the IP header, outgoing?) or (None, False)."""
    out = False
    if link == LINK_ETHER:
        off, etype = 12, None
        for _ in range(4):
            if off + 2 > len(d):
                return None, False
            etype = struct.unpack(">H", d[off:off + 2])[0]
            if etype in (0x8100, 0x88A8, 0x9100):
                off += 4
                continue
            break
        off += 2
    elif link == LINK_SLL:
        if len(d) < 16:
            return None, False
        out = struct.unpack(">H", d[0:2])[0] == 4
        etype, off = struct.unpack(">H", d[14:16])[0], 16
    elif link == LINK_SLL2:
        if len(d) < 20:
            return None, False
        etype, out, off = struct.unpack(">H", d[0:2])[0], d[10] == 4, 20
    elif link in (LINK_NULL, LINK_LOOP):
        return 4, False
    elif link in (LINK_RAW, LINK_IPV4, LINK_IPV6):
        return 0, False
    else:
        return None, False
    if etype not in (0x0800, 0x86DD):
        return None, out
    return off, out


def decode(p):
    off, out = ip_offset(p.link, p.data)
    d = p.data
    if off is None or off >= len(d):
        return None
    v = View()
    v.ip, v.out = off, out
    v.ver = d[off] >> 4
    if v.ver == 4 and len(d) >= off + 20:
        ihl = (d[off] & 15) * 4
        v.proto, v.src, v.dst = d[off + 9], d[off + 12:off + 16], d[off + 16:off + 20]
        frag = struct.unpack(">H", d[off + 6:off + 8])[0] & 0x1FFF
        v.l4 = off + ihl if frag == 0 else None
    elif v.ver == 6 and len(d) >= off + 40:
        v.proto, v.src, v.dst, v.l4 = d[off + 6], d[off + 8:off + 24], d[off + 24:off + 40], off + 40
    else:
        return None
    v.sport = v.dport = v.flags = None
    if v.l4 is not None and v.proto in (6, 17) and len(d) >= v.l4 + 4:
        v.sport, v.dport = struct.unpack(">HH", d[v.l4:v.l4 + 4])
        if v.proto == 6 and len(d) >= v.l4 + 14:
            v.flags = d[v.l4 + 13]
    return v


SYN, FIN, RST, ACK = 0x02, 0x01, 0x04, 0x10


# ---- roles ----

def find_gateway(link, views, given):
    if given:
        return {ipaddress.ip_address(a).packed for a in given}
    if link in (LINK_SLL, LINK_SLL2):
        own = {v.src for v in views if v and v.out}
        if own:
            return own
    syn_src, syn_dst = set(), set()
    for v in views:
        if v and v.flags is not None and v.flags & SYN and not v.flags & ACK:
            syn_src.add(v.src)
            syn_dst.add(v.dst)
    return syn_src & syn_dst


def listen_ports(views, gw):
    return {(v.dst, v.dport) for v in views
            if v and v.flags is not None and v.flags & SYN and not v.flags & ACK and v.dst in gw}


def leg(v, gw, listen):
    """'c2g', 'g2c', 'u2g', 'g2u' or None for a TCP packet."""
    if v is None or v.flags is None:
        return None
    if (v.dst, v.dport) in listen:
        return "c2g"
    if (v.src, v.sport) in listen:
        return "g2c"
    if v.src in gw:
        return "g2u"
    if v.dst in gw:
        return "u2g"
    return None


# ---- rewriting ----

def nat_addr(a):
    b = bytearray(a)
    if len(b) == 4:
        b[0] ^= 0x40
    else:
        b[1] ^= 0x40
    return bytes(b)


def csum_adjust(old_sum, old, new):
    """RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') over the 16-bit words that changed."""
    s = (~old_sum) & 0xFFFF
    for i in range(0, len(old), 2):
        s += (~struct.unpack(">H", old[i:i + 2])[0]) & 0xFFFF
        s += struct.unpack(">H", new[i:i + 2])[0]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def rewrite_nat(p, v):
    d = bytearray(p.data)
    alen = len(v.src)
    so = v.ip + (12 if v.ver == 4 else 8)
    old = bytes(d[so:so + 2 * alen])
    new = nat_addr(v.src) + nat_addr(v.dst)
    d[so:so + 2 * alen] = new
    if v.ver == 4:
        hc = struct.unpack(">H", d[v.ip + 10:v.ip + 12])[0]
        d[v.ip + 10:v.ip + 12] = struct.pack(">H", csum_adjust(hc, old, new))
    co = v.l4 + 16  # TCP checksum: the pseudo-header holds both addresses
    if co + 2 <= len(d):
        tc = struct.unpack(">H", d[co:co + 2])[0]
        d[co:co + 2] = struct.pack(">H", csum_adjust(tc, old, new))
    return Packet(p.sec, p.nsec, bytes(d), p.wire, p.link)


def degrade(variant, link, packets, gateway=None, seed=1, rate=0.01):
    """Returns (packets kept or rewritten, a one-line account)."""
    views = [decode(p) for p in packets]
    gw = find_gateway(link, views, gateway)
    listen = listen_ports(views, gw)
    rng = random.Random(seed)
    out, removed, changed = [], 0, 0
    for p, v in zip(packets, views):
        lg = leg(v, gw, listen)
        if variant in DROP_VARIANTS and lg == variant.split("-")[1]:
            removed += 1
            continue
        if variant == "loss" and v is not None and v.flags is not None:
            pick = rng.random() < rate  # drawn for every TCP segment: the choice is stable
            if pick and not v.flags & (SYN | FIN | RST):
                removed += 1
                continue
        if variant == "nat" and lg == "u2g":
            out.append(rewrite_nat(p, v))
            changed += 1
            continue
        out.append(p)
    names = ",".join(sorted(str(ipaddress.ip_address(a)) for a in gw)) or "none found"
    return out, f"{variant}: gateway {names}, {len(listen)} listening endpoints, " \
                f"{removed} packets removed, {changed} rewritten, {len(out)} kept"


# ---- --check ----

def run_json(why, path):
    r = subprocess.run([why, "--json", path], capture_output=True, text=True, timeout=300)
    if r.returncode not in (0, 1):
        raise RuntimeError(f"why502 exit {r.returncode} on {path}: {r.stderr.strip()}")
    incidents, summary = [], {}
    for line in r.stdout.splitlines():
        if not line.strip():
            continue
        o = json.loads(line)
        if o.get("type") == "incident":
            incidents.append(o)
        elif o.get("type") == "summary":
            summary = o
    return incidents, summary


# Causes a partial capture still proves, told with less knowledge than the complete one: the
# gateway's own word (its upstream side half captured), the client giving up (true whatever
# the upstream did), a server silent until its client closed (the gateway's upstream request
# seen as a request of its own when the client leg is missing).
LESS_KNOWING = ("gateway_claim", "client_abort", "server_no_answer")


def key(i):
    return (i.get("detail") or i.get("error"), i.get("url"))


# The packets that make an upstream failure: the gateway's SYNs and what answered them.
FAILURE_KINDS = ("syn", "syn_retry", "icmp", "rst", "syn_ack")


def failure_packets(i):
    """{(time, kind)} of an incident's evidence lines that tell a connection attempt's fate."""
    return {(e.get("time"), e.get("kind")) for e in i.get("evidence") or []
            if e.get("kind") in FAILURE_KINDS}


def told_inside(i, base):
    """An unjoined failed attempt the complete capture tells as part of a request's incident
    (its SYNs and their answers are evidence there, the request's cause named from another of
    its attempts): the same failure, its request lost with the client direction."""
    own = failure_packets(i)
    seen = set().union(*(failure_packets(b) for b in base)) if base else set()
    return bool(own) and own <= seen


def says_partial(summary):
    """The summary names the gap: a one-sided capture, holes the ACKs prove, or a warning."""
    cap = summary.get("capture_gaps") or {}
    if any(v for v in cap.values() if isinstance(v, (int, float))):
        return True
    return any("capture" in w or "direction" in w or "one side" in w
               for w in summary.get("warnings", []) if isinstance(w, str))


def read_known(path):
    """{(capture's folder/name, variant): why} from a degrade-known.tsv."""
    known = {}
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                cap, variant, why = line.rstrip("\n").split("\t", 2)
                known[(cap, variant)] = why
    return known


def check(why, captures, gateway, seed, rate, known=None, variants=VARIANTS):
    """Runs every variant of every capture; returns (failures, passed, known failures)."""
    known = known or {}
    failures = passed = nknown = 0
    with tempfile.TemporaryDirectory(prefix="why502-degrade-") as tmp:
        for cap in captures:
            link, packets = read_capture(cap)
            base, base_summary = run_json(why, cap)
            base_keys = {key(i) for i in base}
            for variant in variants:
                pk, account = degrade(variant, link, packets, gateway, seed, rate)
                path = os.path.join(tmp, f"{os.path.basename(cap)}.{variant}.pcap")
                write_pcap(path, link, pk)
                inc, summary = run_json(why, path)
                errs = []
                if variant in DROP_VARIANTS:
                    # an upstream failure whose client request the capture lost is reported
                    # unjoined (no URL): it is not false if the complete capture has the cause
                    # a failure told with less knowledge (the gateway's own word when its
                    # upstream side is half captured) is the same failure, not a false one
                    base_causes = {c for c, _ in base_keys}
                    base_urls = {u for _, u in base_keys if u}
                    extra = [k for k, i in ((key(i), i) for i in inc)
                             if k not in base_keys and not (k[1] is None and k[0] in base_causes)
                             and not (k[0] in LESS_KNOWING and k[1] in base_urls)
                             and not (k[1] is None and told_inside(i, base))]
                    if extra:
                        errs.append(f"{len(extra)} incidents the complete capture does not have: "
                                    + "; ".join(f"{c} {u}" for c, u in extra[:4]))
                    if not says_partial(summary):
                        errs.append("the summary does not say the capture is partial")
                elif variant == "loss":
                    # every cause is one the complete capture names (or one it still proves,
                    # LESS_KNOWING); every cause of the complete capture is still named, unless
                    # the lost segment held what told it and its URL is reported all the same,
                    # or the lost segment held the answer itself: a request whose answer the
                    # capture missed is counted unreadable, not judged (as many URLs gone as
                    # requests the summary adds to `unreadable`)
                    want = {str(k[0]) for k in base_keys}
                    got = {str(key(i)[0]) for i in inc}
                    urls_left = {key(i)[1] for i in inc}
                    new = got - want - set(LESS_KNOWING)
                    gone = {c for c in want - got
                            if not all(u in urls_left for cc, u in base_keys if cc == c and u)}
                    urls_gone = {u for c, u in base_keys if str(c) in gone and u and u not in urls_left}
                    unjudged = (summary.get("unreadable") or 0) - (base_summary.get("unreadable") or 0)
                    if gone and len(urls_gone) <= unjudged:
                        gone = set()
                    if new or gone:
                        errs.append(f"causes added {sorted(new)}, lost {sorted(gone)}")
                else:
                    got = sorted(map(str, {key(i) for i in inc}))
                    want = sorted(map(str, base_keys))
                    if got != want:
                        errs.append(f"incidents differ: {got} vs {want}")
                where = os.path.basename(os.path.dirname(os.path.abspath(cap)))
                why_known = known.get((f"{where}/{os.path.basename(cap)}", variant))
                if errs and why_known:
                    status = "known"
                    nknown += 1
                elif why_known:
                    status = "FAIL"
                    errs.append("listed as known to fail in degrade-known.tsv, yet passes: remove the line")
                else:
                    status = "FAIL" if errs else "ok  "
                print(f"{status} {os.path.basename(cap)} {account}")
                for e in errs:
                    print(f"     {e}")
                if status == "FAIL":
                    failures += 1
                elif status != "known":
                    passed += 1
    return failures, passed, nknown


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("args", nargs="*", help="VARIANT IN OUT, or with --check the captures")
    ap.add_argument("--gateway", help="the gateway's addresses, comma-separated")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rate", type=float, default=0.01)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--why502")
    ap.add_argument("--known", help="a degrade-known.tsv: variants known to fail, with why")
    a = ap.parse_args()
    gateway = a.gateway.split(",") if a.gateway else None
    if a.check:
        if not a.why502 or not a.args:
            ap.error("--check needs --why502 and captures")
        n, ok, nknown = check(a.why502, a.args, gateway, a.seed, a.rate, read_known(a.known))
        print(f"{ok} passed, {n} failed, {nknown} known to fail (degrade-known.tsv)")
        return 1 if n else 0
    if len(a.args) != 3 or a.args[0] not in VARIANTS:
        ap.error(f"usage: VARIANT IN OUT, VARIANT one of {', '.join(VARIANTS)}")
    link, packets = read_capture(a.args[1])
    out, account = degrade(a.args[0], link, packets, gateway, a.seed, a.rate)
    write_pcap(a.args[2], link, out)
    print(account, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
