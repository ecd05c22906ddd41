#!/usr/bin/env python3
"""Small captures written here byte by byte (raw IPv4), for behaviour no real capture of the
project shows yet. Each case: the packets, and what why502 --json must say.

  search-list  a resolver's search list tries www.example.corp.test (NXDOMAIN) before
               www.example (answered): no failure; nosuch.example (NXDOMAIN): one.
Last line: "N passed, N failed"."""
import argparse, json, os, struct, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))  # LINKTYPE_RAW
        for t, fr in frames:
            f.write(struct.pack("<IIII", int(t), int((t % 1) * 1e6), len(fr), len(fr)))
            f.write(fr)


def ipv4(src, dst, proto, payload):
    return struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0, 64, proto, 0,
                       bytes(src), bytes(dst)) + payload


def dns(qid, name, qtype, rcode=None, addr=None):
    flags = 0x0100 if rcode is None else 0x8180 | rcode
    q = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack(">HH", qtype, 1)
    an = b""
    if addr:
        an = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + bytes(addr)
    return struct.pack(">HHHHHH", qid, flags, 1, 1 if addr else 0, 0, 0) + q + an


def udp(sport, dport, payload):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def search_list(tmp):
    cli, srv = [198, 18, 9, 2], [198, 18, 9, 53]
    frames, t = [], 1700000000.0
    for qid, name, rcode, addr in ((1, "www.example.corp.test", 3, None), (2, "www.example", 0, [198, 18, 9, 80]),
                                   (3, "nosuch.example", 3, None)):
        frames.append((t, ipv4(cli, srv, 17, udp(40000 + qid, 53, dns(qid, name, 1)))))
        frames.append((t + 0.01, ipv4(srv, cli, 17, udp(53, 40000 + qid, dns(qid, name, 1, rcode, addr)))))
        t += 1
    path = os.path.join(tmp, "search-list.pcap")
    pcap(path, frames)
    return path, lambda incs: [(i["error"], i["detail"], i["upstream"]["host"]) for i in incs] == \
        [("dns_error", "nxdomain", "nosuch.example")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--why502", default=os.path.join(ROOT, "build", "why502"))
    a = ap.parse_args()
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="why502-synthetic-") as tmp:
        for name, case in (("search-list", search_list),):
            path, ok = case(tmp)
            p = subprocess.run([a.why502, "--json", "-q", path], capture_output=True, timeout=60)
            incs = [o for o in map(json.loads, p.stdout.decode().splitlines()) if o.get("type") == "incident"]
            if ok(incs):
                passed += 1
                print(f"ok   {name}")
            else:
                failed += 1
                print(f"FAIL {name}: " + "; ".join(f"{i['error']}/{i['detail']} {i['upstream']}" for i in incs))
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
