#!/usr/bin/env python3
"""capture-figures.py FILE [--proxy-port 9090]: what a benchmark capture holds, read from the
capture itself (not from what the clients or Squid say they did), as FILE.info lines.

  client_conns_*   client connections to the proxy port: seen (SYN from a client), established
                   (the proxy's SYN-ACK seen), open_at_end (established, no FIN or RST either way
                   by the last packet), peak_open (the most established and not yet closed at
                   one time)
  dns_*            UDP DNS: queries (QR 0, to port 53), answers, NXDOMAIN answers, queries per
                   second over the packet-time span, and the fewest, median and most in one
                   whole second while queries were made (is the rate sustained or a burst)
  dns_packet_share DNS packets / all packets

Standard library only; reads pcap (microsecond or nanosecond) with the link types tcpdump
writes: Linux cooked v1 and v2 (-i any), Ethernet, raw IP.
"""
import struct
import sys

SYN, FIN, RST, ACK = 0x02, 0x01, 0x04, 0x10


def packets(path):
    """Yields (seconds, link type, bytes) for every record."""
    with open(path, "rb") as f:
        head = f.read(24)
        if len(head) < 24:
            raise SystemExit("capture-figures: %s: not a pcap file" % path)
        magic = head[:4]
        if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
            e = "<"
        elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
            e = ">"
        else:
            raise SystemExit("capture-figures: %s: not a pcap file (pcapng is not read)" % path)
        div = 1e9 if magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d") else 1e6
        link = struct.unpack(e + "I", head[20:24])[0] & 0x0FFFFFFF
        rec = struct.Struct(e + "IIII")
        read = f.read
        while True:
            h = read(16)
            if len(h) < 16:
                return
            sec, frac, incl, _ = rec.unpack(h)
            data = read(incl)
            if len(data) < incl:
                return
            yield sec + frac / div, link, data


def l3(link, d):
    """(ethertype, offset of the IP header) or None."""
    if link == 276:                      # LINUX_SLL2: protocol first, 20 bytes
        return struct.unpack_from(">H", d, 0)[0], 20
    if link == 113:                      # LINUX_SLL: protocol last, 16 bytes
        return struct.unpack_from(">H", d, 14)[0], 16
    if link == 1:                        # Ethernet (one VLAN tag at most)
        t = struct.unpack_from(">H", d, 12)[0]
        if t == 0x8100:
            return struct.unpack_from(">H", d, 16)[0], 18
        return t, 14
    if link in (101, 12, 14):            # raw IP
        return (0x0800 if d[0] >> 4 == 4 else 0x86DD), 0
    return None


def main():
    args = sys.argv[1:]
    port = 9090
    if "--proxy-port" in args:
        i = args.index("--proxy-port")
        port = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 1:
        raise SystemExit("usage: capture-figures.py FILE [--proxy-port N]")
    conns = {}          # (client addr, client port, proxy addr) -> 0 SYN seen, 1 established, 2 closed
    seen = established = open_now = peak = 0
    queries = answers = nxdomain = dns_packets = total = 0
    per_second = {}
    first = last = None
    for ts, link, d in packets(args[0]):
        total += 1
        if first is None:
            first = ts
        last = ts
        if len(d) < 44:
            continue
        r = l3(link, d)
        if r is None:
            continue
        etype, o = r
        if etype == 0x0800:
            ihl = (d[o] & 0x0F) * 4
            proto = d[o + 9]
            src, dst = d[o + 12:o + 16], d[o + 16:o + 20]
            o += ihl
        elif etype == 0x86DD:
            proto = d[o + 6]
            src, dst = d[o + 8:o + 24], d[o + 24:o + 40]
            o += 40
        else:
            continue
        if len(d) < o + 14:
            continue
        sport, dport = struct.unpack_from(">HH", d, o)
        if proto == 6:
            flags = d[o + 13]
            if dport == port:
                key, from_client = (src, sport, dst), True
            elif sport == port:
                key, from_client = (dst, dport, src), False
            else:
                continue
            st = conns.get(key)
            if flags & SYN and not flags & ACK and from_client:
                if st != 0:              # a new connection (or the port used again)
                    if st == 1:
                        open_now -= 1
                    conns[key] = 0
                    seen += 1
            elif flags & SYN and flags & ACK and not from_client:
                if st == 0:
                    conns[key] = 1
                    established += 1
                    open_now += 1
                    peak = max(peak, open_now)
            elif flags & (FIN | RST) and st is not None and st != 2:
                if st == 1:
                    open_now -= 1
                conns[key] = 2
        elif proto == 17 and (dport == 53 or sport == 53) and len(d) >= o + 12:
            dns_packets += 1
            dflags = struct.unpack_from(">H", d, o + 10)[0]
            if dport == 53 and not dflags & 0x8000:
                queries += 1
                s = int(ts)
                per_second[s] = per_second.get(s, 0) + 1
            elif sport == 53 and dflags & 0x8000:
                answers += 1
                if dflags & 0x000F == 3:
                    nxdomain += 1
    span = (last - first) if first is not None else 0.0
    print("client_conns_seen=%d" % seen)
    print("client_conns_established=%d" % established)
    print("client_conns_open_at_end=%d" % sum(1 for v in conns.values() if v == 1))
    print("client_conns_peak_open=%d" % peak)
    print("dns_queries=%d dns_answers=%d dns_nxdomain=%d" % (queries, answers, nxdomain))
    print("dns_queries_per_s=%.0f" % (queries / span if span > 0 else 0))
    # whole seconds between the first and the last query (the first and the last are partial,
    # and after the load stops a capture goes on quietly for its last FINs)
    whole = [per_second.get(s, 0) for s in range(min(per_second) + 1, max(per_second))] if per_second else []
    if whole:
        whole.sort()
        print("dns_queries_per_whole_s_min=%d median=%d max=%d seconds=%d"
              % (whole[0], whole[len(whole) // 2], whole[-1], len(whole)))
    else:
        print("dns_queries_per_whole_s_min=- (no whole second with queries)")
    print("dns_packet_share=%.3f" % (dns_packets / total if total else 0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
