#!/usr/bin/env python3
"""Wraps every frame of a capture in one tunnel, as a switch's mirror or a cloud's traffic
mirroring would deliver it, so that a test can check why502 sees through the tunnel: the
incidents of the wrapped capture must be identical to those of the original.

    wrap.py MODE IN OUT            write OUT (classic pcap, nanosecond) from IN (pcap or pcapng)
    wrap.py --check --why502 BIN CAPTURE...
                                   every capture in every mode: incidents identical

MODES (outer addresses in 198.18.0.0/15, fd00::/8 for the IPv6 outer header):
    gre          GRE (RFC 2784) carrying the IP packet
    gre-keyseq   GRE with key and sequence number (RFC 2890) carrying the IP packet
    gre-teb      GRE with key and checksum carrying the Ethernet frame (0x6558)
    erspan1      ERSPAN type I (GRE 0x88BE, no sequence number)
    erspan2      ERSPAN type II (GRE 0x88BE, sequence number, 8-byte header)
    erspan3      ERSPAN type III (GRE 0x22EB, 12-byte header + platform sub-header)
    aruba        Aruba GRE (0x8200) carrying an 802.11 QoS data frame with LLC/SNAP
    vxlan        VXLAN, UDP 4789 (as AWS VPC traffic mirroring writes it)
    geneve       GENEVE, UDP 6081, with one option, carrying the Ethernet frame
    ipip         IPv4 outer: IP-in-IP for IPv4 packets, 6in4 for IPv6 packets
    ip6          IPv6 outer: IPv4-in-IPv6 and IPv6-in-IPv6

One frame in, one frame out, with the same timestamp, so frame numbers are kept. The frame's
link header stays outside the tunnel when it tells direction (Linux cooked SLL/SLL2, as
`tcpdump -i any` writes) and is the capture's only link type, else the output is Ethernet. Tunnels that carry Ethernet get the
original frame (or one made for it when the capture has no Ethernet); tunnels that carry IP
get the IP packet. A frame that is not IP is written unwrapped in the modes that carry IP.
A frame cut by the snaplen stays cut: the outer lengths say what the wire carried.
Python 3 standard library only."""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

MODES = ["gre", "gre-keyseq", "gre-teb", "erspan1", "erspan2", "erspan3", "aruba", "vxlan", "geneve",
         "ipip", "ip6"]

OUTER_SRC4, OUTER_DST4 = bytes([198, 18, 255, 1]), bytes([198, 18, 255, 2])
OUTER_SRC6 = bytes.fromhex("fd00ffff000000000000000000000001")
OUTER_DST6 = bytes.fromhex("fd00ffff000000000000000000000002")
MAC_A, MAC_B = bytes.fromhex("020000ff0001"), bytes.fromhex("020000ff0002")
LT_NULL, LT_ETH, LT_RAW, LT_LOOP, LT_SLL, LT_IPV4, LT_IPV6, LT_SLL2 = 0, 1, 101, 108, 113, 228, 229, 276
ET_IPV4, ET_IPV6, ET_TEB = 0x0800, 0x86DD, 0x6558
VLAN_TYPES = (0x8100, 0x88A8, 0x9100)


class Unwrappable(Exception):
    """A capture this script cannot rewrite as classic pcap."""


# ---- reading ---------------------------------------------------------------------------

def read_capture(path):
    """Yields (linktype, ts_ns, caplen_data, wirelen) for each packet of a pcap or pcapng file."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic == b"\x0a\x0d\x0d\x0a":
        yield from read_pcapng(data)
        return
    table = {b"\xd4\xc3\xb2\xa1": ("<", 1000), b"\xa1\xb2\xc3\xd4": (">", 1000),
             b"\x4d\x3c\xb2\xa1": ("<", 1), b"\xa1\xb2\x3c\x4d": (">", 1)}
    if magic not in table:
        raise SystemExit(f"{path}: not a pcap or pcapng file")
    e, mult = table[magic]
    lt = struct.unpack(e + "I", data[20:24])[0] & 0xFFFF
    off = 24
    while off + 16 <= len(data):
        sec, frac, caplen, wirelen = struct.unpack(e + "IIII", data[off:off + 16])
        yield lt, sec * 1_000_000_000 + frac * mult, data[off + 16:off + 16 + caplen], wirelen
        off += 16 + caplen


def read_pcapng(data):
    off, e, ifaces, last = 0, "<", [], 0
    while off + 12 <= len(data):
        btype = struct.unpack(e + "I", data[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            e = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            ifaces = []
        blen = struct.unpack(e + "I", data[off + 4:off + 8])[0]
        if blen < 12:
            break
        body = data[off + 8:off + blen - 4]
        if btype == 1:
            lt = struct.unpack(e + "H", body[0:2])[0]
            units, offset = 1_000_000, 0
            o = 8
            while o + 4 <= len(body):
                code, olen = struct.unpack(e + "HH", body[o:o + 4])
                if code == 0:
                    break
                if code == 9 and olen >= 1:
                    r = body[o + 4]
                    units = 2 ** (r & 0x7F) if r & 0x80 else 10 ** r
                if code == 14 and olen >= 8:
                    offset = struct.unpack(e + "q", body[o + 4:o + 12])[0]
                o += 4 + ((olen + 3) & ~3)
            ifaces.append((lt, units, offset))
        elif btype == 6:
            ifid, hi, lo, caplen, wirelen = struct.unpack(e + "IIIII", body[0:20])
            lt, units, offset = ifaces[ifid]
            stamp = hi << 32 | lo
            last = stamp * 1_000_000_000 // units + offset * 1_000_000_000
            yield lt, last, body[20:20 + caplen], wirelen
        elif btype == 3:
            wirelen = struct.unpack(e + "I", body[0:4])[0]
            yield ifaces[0][0], last, body[4:4 + wirelen], wirelen  # no time: the previous one
        off += blen


# ---- taking a frame apart ----------------------------------------------------------------

def split(lt, frame):
    """(link header kept outside or None, ethernet frame or None, ethertype, l3 bytes); a frame
    too short for its link header gives ethertype 0 (not IP)."""
    need = {LT_ETH: 14, LT_SLL: 16, LT_SLL2: 20, LT_NULL: 4, LT_LOOP: 4}.get(lt, 1)
    if len(frame) < need:
        return (frame if lt in (LT_SLL, LT_SLL2) else None), (frame if lt == LT_ETH else None), 0, b""
    if lt == LT_ETH:
        et, o = struct.unpack(">H", frame[12:14])[0], 14
        while et in VLAN_TYPES and o + 4 <= len(frame):
            et, o = struct.unpack(">H", frame[o + 2:o + 4])[0], o + 4
        return None, frame, et, frame[o:]
    if lt == LT_SLL:
        et, hdr, o = struct.unpack(">H", frame[14:16])[0], frame[:16], 16
    elif lt == LT_SLL2:
        et, hdr, o = struct.unpack(">H", frame[0:2])[0], frame[:20], 20
    elif lt in (LT_NULL, LT_LOOP):
        af = min(struct.unpack("<I", frame[:4])[0], struct.unpack(">I", frame[:4])[0])
        et, hdr, o = ET_IPV4 if af == 2 else ET_IPV6 if af in (24, 28, 30) else 0, None, 4
    elif lt in (LT_RAW, LT_IPV4, LT_IPV6):
        v = frame[0] >> 4 if frame else 0
        et, hdr, o = ET_IPV4 if v == 4 else ET_IPV6 if v == 6 else 0, None, 0
    else:  # netlink and the like: never IP
        return None, None, 0, b""
    while et in VLAN_TYPES and o + 4 <= len(frame):
        et, o = struct.unpack(">H", frame[o + 2:o + 4])[0], o + 4
    return hdr, None, et, frame[o:]


def cooked_with(hdr, lt, et):
    """The SLL/SLL2 header with its protocol field set to et."""
    if lt == LT_SLL:
        return hdr[:14] + struct.pack(">H", et)
    return struct.pack(">H", et) + hdr[2:]


# ---- tunnels -----------------------------------------------------------------------------

def ipv4(proto, payload_wire_len, ident):
    total = 20 + payload_wire_len
    if total > 0xFFFF:
        total = 0  # what Linux shows for a GSO super-packet: the capture is the packet
    return struct.pack(">BBHHHBBH4s4s", 0x45, 0, total, ident & 0xFFFF, 0x4000, 64, proto, 0,
                       OUTER_SRC4, OUTER_DST4)


def ipv6(nh, payload_wire_len):
    plen = payload_wire_len if payload_wire_len <= 0xFFFF else 0
    return struct.pack(">IHBB16s16s", 0x60000000, plen, nh, 64, OUTER_SRC6, OUTER_DST6)


def gre(flags, proto, key=0, seq=0):
    h = struct.pack(">HH", flags, proto)
    if flags & 0x8000:
        h += b"\x00\x00\x00\x00"  # checksum: never verified by readers of mirrors
    if flags & 0x2000:
        h += struct.pack(">I", key)
    if flags & 0x1000:
        h += struct.pack(">I", seq)
    return h


def wlan_snap(et):
    """802.11 QoS data, to the distribution system, then LLC/SNAP with the ethertype."""
    fc = bytes([0x88, 0x01])
    return (fc + b"\x2c\x00" + MAC_B + MAC_A + MAC_B + b"\x10\x00" + b"\x00\x00"
            + b"\xaa\xaa\x03\x00\x00\x00" + struct.pack(">H", et))


def wrap(mode, lt, frame, wirelen, n, keep_link):
    """(output link type, bytes, wire length) for frame number n (1-based); keep_link: the
    capture has one link type, and an SLL/SLL2 header stays outside."""
    hdr, ethf, et, l3 = split(lt, frame)
    lost = wirelen - len(frame)          # bytes the snaplen cut off
    out_lt = lt if keep_link and lt in (LT_SLL, LT_SLL2) else LT_ETH
    is_ip = et in (ET_IPV4, ET_IPV6)
    if ethf is None:
        ethf = MAC_B + MAC_A + struct.pack(">H", et) + l3
    carries_ip = mode in ("gre", "gre-keyseq", "aruba", "ipip", "ip6")
    if carries_ip and not is_ip:
        if out_lt == lt:
            return out_lt, frame, wirelen
        return out_lt, ethf, len(ethf) + lost

    inner = l3 if carries_ip else ethf
    if mode == "gre":
        tun, proto = gre(0, et), 47
    elif mode == "gre-keyseq":
        tun, proto = gre(0x3000, et, key=0x2A, seq=n), 47
    elif mode == "gre-teb":
        tun, proto = gre(0xA000, ET_TEB, key=7), 47
    elif mode == "erspan1":
        tun, proto = gre(0, 0x88BE), 47
    elif mode == "erspan2":
        tun = gre(0x1000, 0x88BE, seq=n) + struct.pack(">HHI", 1 << 12 | 10, 0x1800 | 3, n & 0xFFFFF)
        proto = 47
    elif mode == "erspan3":
        tun = (gre(0x1000, 0x22EB, seq=n) + struct.pack(">HHIHH", 2 << 12 | 10, 5, n, 0, 7 << 4 | 1)
               + struct.pack(">II", 3 << 26, n))
        proto = 47
    elif mode == "aruba":
        tun, proto = gre(0, 0x8200) + wlan_snap(et), 47
    elif mode == "vxlan":
        tun, proto = struct.pack(">BBBBI", 0x08, 0, 0, 0, 4242 << 8), 17
    elif mode == "geneve":
        opt = struct.pack(">HBB", 0x0108, 1, 1) + b"\x00\x00\x00\x2a"
        tun, proto = struct.pack(">BBHI", len(opt) // 4, 0, ET_TEB, 77 << 8) + opt, 17
    elif mode in ("ipip", "ip6"):
        tun, proto = b"", 4 if et == ET_IPV4 else 41
    else:
        raise SystemExit(f"unknown mode {mode}")

    inner_wire = len(inner) + lost
    if proto == 17:
        dport = 4789 if mode == "vxlan" else 6081
        sport = 49152 + (n * 7919) % 16384
        ulen = 8 + len(tun) + inner_wire
        tun = struct.pack(">HHHH", sport, dport, ulen if ulen <= 0xFFFF else 0, 0) + tun
    body_wire = len(tun) + inner_wire
    if mode == "ip6":
        outer_ip = ipv6(proto, body_wire)
        link_et = ET_IPV6
    else:
        outer_ip = ipv4(proto, body_wire, n)
        link_et = ET_IPV4
    if out_lt == LT_ETH:
        link = MAC_A + MAC_B + struct.pack(">H", link_et)
    else:
        link = cooked_with(hdr, lt, link_et)
    data = link + outer_ip + tun + inner
    return out_lt, data, len(data) + lost


def write(mode, src, dst):
    frames = list(read_capture(src))
    keep_link = len({lt for lt, _, _, _ in frames}) == 1  # several (pcapng): all go out as Ethernet
    out, out_lt = [], None
    for n, (lt, ts, frame, wirelen) in enumerate(frames, 1):
        flt, data, wire = wrap(mode, lt, frame, wirelen, n, keep_link)
        out_lt = flt
        if not 0 <= ts < 2**32 * 1_000_000_000:
            raise Unwrappable(f"{src}: frame {n}: a time classic pcap cannot hold")
        out.append(struct.pack("<IIII", ts // 1_000_000_000, ts % 1_000_000_000, len(data), wire) + data)
    with open(dst, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, out_lt if out_lt is not None else 1))
        f.write(b"".join(out))


# ---- the check ---------------------------------------------------------------------------

def unnamed(o):
    """o without the capture's file name (the wrapped copy has another): every "file_name",
    and "file" where it is a name rather than an index; and without the tunnels an evidence
    item crossed ("encap", checked apart by encaps())."""
    if isinstance(o, dict):
        return {k: unnamed(v) for k, v in o.items()
                if k not in ("file_name", "encap") and not (k == "file" and isinstance(v, str))}
    if isinstance(o, list):
        return [unnamed(v) for v in o]
    return o


# What an evidence item's "encap" says in each mode (one of these words, for the inner IPv4
# or IPv6 packet): the evidence names the tunnel its frame crossed.
ENCAP_WORDS = {"gre": ("GRE 198.18.255.1",), "gre-keyseq": ("GRE key 0x",), "gre-teb": ("GRE key 0x",),
               "erspan1": ("ERSPAN I in GRE",), "erspan2": ("ERSPAN II session",),
               "erspan3": ("ERSPAN III session",), "aruba": ("Aruba 802.11 in GRE",),
               "vxlan": ("VXLAN VNI",), "geneve": ("GENEVE VNI",), "ipip": ("IP-in-IP", "6in4"),
               "ip6": ("IPv4-in-IPv6", "IPv6-in-IPv6")}


def encaps(incs):
    """(evidence items that name a tunnel, the distinct texts) over the incidents."""
    items = [e["encap"] for i in incs for e in i.get("evidence", []) if "encap" in e]
    return len(items), sorted(set(items))


def incidents(why502, path, raw=None):
    p = subprocess.run([why502, "--json", path], capture_output=True, text=True, timeout=300)
    if p.returncode not in (0, 1):
        raise RuntimeError(f"{path}: exit status {p.returncode}: {p.stderr.strip()}")
    objs = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    summary = [o for o in objs if o.get("type") == "summary"]
    incs = [o for o in objs if o.get("type") == "incident"]
    if raw is not None:
        raw.extend(incs)
    return [unnamed(o) for o in incs], summary[0] if summary else {}


# Summary fields that must not move when a tunnel is added (frames and bytes do, and so may
# the decode anomalies for frames that were already not IP).
SUMMARY_SAME = ("frames", "requests", "upstream_requests", "failed", "unreadable", "by_kind", "by_cause",
                "tcp_connections", "dns_queries", "gateways", "first_time", "last_time")


def sampled(modes, i, n):
    """The n modes of the i-th capture: consecutive in the list from i * n, so that enough
    captures cover every mode, and the same run always picks the same."""
    if not n or n >= len(modes):
        return modes
    return [modes[(i * n + k) % len(modes)] for k in range(n)]


def check(why502, captures, modes, sample=0):
    failures = runs = 0
    with tempfile.TemporaryDirectory(prefix="why502-wrap-") as tmp:
        for ci, cap in enumerate(captures):
            plain = []
            want, want_sum = incidents(why502, cap, plain)
            if encaps(plain)[0]:
                print(f"FAIL {os.path.basename(cap)}: evidence names a tunnel the capture does not have")
                failures += 1
            for mode in sampled(modes, ci, sample):
                runs += 1
                out = os.path.join(tmp, f"{mode}.pcap")
                try:
                    write(mode, cap, out)
                except Unwrappable as e:
                    print(f"skip {e}")
                    break
                raw = []
                got, got_sum = incidents(why502, out, raw)
                problems = []
                # every incident with TCP evidence names the tunnel, in the mode's words
                nitems, texts = encaps(raw)
                if want and not nitems:
                    problems.append("no evidence item names the tunnel")
                wrong = [t for t in texts if not any(w in t for w in ENCAP_WORDS[mode])]
                if wrong:
                    problems.append(f"tunnel named as {wrong[0]!r}")
                if len(got) != len(want):
                    problems.append(f"{len(got)} incidents, unwrapped {len(want)}")
                for a, b in zip(want, got):
                    if a != b:
                        keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
                        problems.append(f"incident {a.get('id')} differs in {', '.join(keys)}")
                        break
                for k in SUMMARY_SAME:
                    if want_sum.get(k) != got_sum.get(k):
                        problems.append(f"summary {k}: {got_sum.get(k)!r}, unwrapped {want_sum.get(k)!r}")
                status = "ok" if not problems else "FAIL"
                print(f"{status} {os.path.basename(cap)} {mode}: {len(got)} incidents"
                      + ("" if not problems else ": " + "; ".join(problems)))
                failures += bool(problems)
    print(f"{runs - failures} passed, {failures} failed")
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="wrap each capture in each mode and compare")
    ap.add_argument("--why502", help="the binary, for --check")
    ap.add_argument("--modes", default=",".join(MODES), help="comma-separated modes for --check")
    ap.add_argument("--sample", type=int, default=0,
                    help="with --check: N modes per capture, in turn (every mode once N x captures >= modes)")
    ap.add_argument("args", nargs="+", help="MODE IN OUT, or with --check the captures")
    a = ap.parse_args()
    if a.check:
        if not a.why502:
            ap.error("--check needs --why502")
        return check(a.why502, a.args, a.modes.split(","), a.sample)
    if len(a.args) != 3 or a.args[0] not in MODES:
        ap.error("MODE IN OUT, MODE one of " + ", ".join(MODES))
    try:
        write(a.args[0], a.args[1], a.args[2])
    except Unwrappable as e:
        print(f"wrap.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
