#!/usr/bin/env python3
"""Seeds the parser fuzz corpora (tests/fuzz/corpus/{decode,dns,http1,tls}/) from the
project's lab captures: raw frames for decode, UDP/53 payloads for dns, the first TCP payload
of each direction of HTTP and TLS connections for http1 and tls. Classic pcap only (the lab
writes it); SLL2 and Ethernet frames. Deterministic: names are content hashes.

    tests/fuzz/make-seeds.py tests/captures/lab/*.pcap"""
import hashlib, os, struct, sys

HERE = os.path.dirname(os.path.abspath(__file__))
LT_INDEX = {0: 0, 1: 1, 12: 2, 14: 3, 101: 4, 108: 5, 113: 6, 228: 7, 229: 8, 253: 9, 276: 10}
LIMIT = 60  # seeds per target and capture: enough variety, small repository


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return
    lt = struct.unpack(e + "I", data[20:24])[0] & 0x0FFFFFFF
    off = 24
    while off + 16 <= len(data):
        caplen = struct.unpack(e + "I", data[off + 8:off + 12])[0]
        yield lt, data[off + 16:off + 16 + caplen]
        off += 16 + caplen


def ip_of(lt, fr):
    if lt == 276:
        proto, fr = struct.unpack(">H", fr[0:2])[0], fr[20:]
    elif lt == 1:
        proto, fr = struct.unpack(">H", fr[12:14])[0], fr[14:]
    else:
        return None
    if proto == 0x0800 and len(fr) >= 20:
        hl = (fr[0] & 15) * 4
        return fr[9], fr[hl:]
    if proto == 0x86DD and len(fr) >= 40:
        return fr[6], fr[40:]
    return None


def save(target, blob, counts):
    if counts.get(target, 0) >= LIMIT or not blob:
        return
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(blob).hexdigest()[:16]
    p = os.path.join(d, name)
    if not os.path.exists(p):
        with open(p, "wb") as f:
            f.write(blob)
        counts[target] = counts.get(target, 0) + 1


def main():
    for path in sys.argv[1:]:
        counts, seen = {}, set()
        for lt, fr in frames(path):
            if lt in LT_INDEX:
                save("decode", bytes([LT_INDEX[lt], 0]) + fr, counts)
            ip = ip_of(lt, fr)
            if not ip:
                continue
            proto, l4 = ip
            if proto == 17 and len(l4) > 8 and 53 in struct.unpack(">HH", l4[0:4]):
                save("dns", l4[8:], counts)
            elif proto == 6 and len(l4) >= 20:
                pl = l4[(l4[12] >> 4) * 4:]
                key = l4[0:4]
                if not pl or key in seen:
                    continue
                seen.add(key)
                if pl[:5] == b"HTTP/":
                    save("http1", b"\x00" + pl, counts)
                elif pl[:1].isupper():
                    save("http1", b"\x01" + pl, counts)
                elif pl[0] in (20, 21, 22, 23) and pl[1] == 3:
                    save("tls", b"\x40" + pl, counts)
        print(path, counts)


if __name__ == "__main__":
    main()
