#!/usr/bin/env python3
"""Hostile and broken input, end to end (stdlib only). Each check runs the real binary:

  cut        lab-squid.pcap cut at 40 places: the file header cut is one error line (exit 3);
             anywhere else everything before the cut is reported, at most one warning naming
             the file and the last good frame, and no cause that the whole file contradicts
             (a request cut short may only become "no answer in the capture").
  notcap     a text file, an empty file, a gzip file: exit 3, one line on stderr naming it.
  flood      250,000 SYNs from random ports (more than the connection cap), a DNS answer
             whose name points at itself, a 100 KB request head without end, all merged by
             time with lab-squid.pcap: the cap counters show, every connection is counted,
             memory stays bounded, and the lab's real incidents are all still reported with
             the same causes.
  flat       lab-squid.pcap repeated 10 times over (shifted in time): 10 times the incidents,
             the same peak memory as once.
  names      lab-squid.pcap under a name with a quote, a backslash, a control byte, a byte
             that is no UTF-8 and an accent, and under a 1,500-byte path: every incident,
             evidence item and connection names the file as given (bad bytes as U+FFFD).
  shapes     every shape of bench/make-hostile.py (one thing repeated: one DNS name, one
             pipelined connection, N clients, ClientHellos never answered, ...) and the flood
             of one ISN (bench/make-flood.py --isn), 2,000 each: exit 0 or 1, every frame
             read, no allocation refused, and what each was made of counted (its requests,
             upstream requests, DNS queries, connections or failures: N). Where the N are
             connections held open at once (ClientHellos unanswered, clients that never close,
             SYNs that drew ICMP ...), the peak memory over that of 10 of them is at most
             8 KiB a connection (a hello's 16 KiB buffer kept with each made 18). Their cost
             against N is bench/hostile.sh's; here, under the sanitizers too, that they are
             read whole.
Last line: "N passed, N failed"."""
import argparse, importlib.util, json, os, random, struct, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB = os.path.join(ROOT, "tests", "captures", "lab", "lab-squid.pcap")
MEMORY = True


def run(why, args):
    """Runs why502 --json; returns (exit, incidents, summary, stderr, peak RSS in KiB)."""
    # GNU time measures the peak of why502 alone (a child forked from this Python process
    # would start with Python's pages counted)
    p = subprocess.run(["/usr/bin/time", "-q", "-f", "WHY502_MAXRSS %M", why, "--json", "-q"] + args,
                       capture_output=True, timeout=300)
    lines = p.stderr.decode("utf-8", "replace").splitlines()
    peak = int(lines[-1].split()[1]) if lines and lines[-1].startswith("WHY502_MAXRSS") else 0
    p.stderr = "\n".join(lines[:-1]).encode() + (b"\n" if len(lines) > 1 else b"")
    incs, summ = [], {}
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        o = json.loads(line)
        if o.get("type") == "incident":
            incs.append(o)
        elif o.get("type") == "summary":
            summ = o
    return p.returncode, incs, summ, p.stderr.decode("utf-8", "replace"), peak


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    hdr, recs, off = data[:24], [], 24
    while off + 16 <= len(data):
        sec, usec, cap, wire = struct.unpack("<IIII", data[off:off + 16])
        recs.append((sec, usec, data[off + 16:off + 16 + cap], wire))
        off += 16 + cap
    return hdr, recs


def write_pcap(path, hdr, recs):
    with open(path, "wb") as f:
        f.write(hdr)
        for sec, usec, frame, wire in recs:
            f.write(struct.pack("<IIII", sec, usec, len(frame), wire))
            f.write(frame)


def key(i):
    return (i.get("url"), i.get("client"))


def check_cut(why, tmp):
    errors = []
    data = open(LAB, "rb").read()
    _, full, _, _, _ = run(why, [LAB])
    truth = {key(i): i["detail"] for i in full}
    cuts = [10, 23, 24, 30] + [len(data) * k // 37 for k in range(1, 37)]
    for n in cuts:
        path = os.path.join(tmp, f"cut-{n}.pcap")
        with open(path, "wb") as f:
            f.write(data[:n])
        rc, incs, summ, err, _ = run(why, [path])
        if n < 24:
            if rc != 3 or len(err.strip().splitlines()) != 1 or "cut-" not in err:
                errors.append(f"cut at {n}: want exit 3 and one line naming the file, got {rc}: {err!r}")
            continue
        if rc not in (0, 1):
            errors.append(f"cut at {n}: exit {rc}: {err.strip()}")
            continue
        warns = summ.get("warnings", [])
        if len(warns) > 1 or any(("cut-" not in w or "last good frame" not in w) for w in warns):
            errors.append(f"cut at {n}: warnings {warns}")
        for i in incs:
            want = truth.get(key(i))
            if i["kind"] in ("capture", "unjoined"):
                continue
            if want is not None and want != i["detail"]:
                errors.append(f"cut at {n}: {i['url']} named {i['detail']}, the whole file says {want}")
            if want is None and i["kind"] != "client":
                errors.append(f"cut at {n}: {i['url']} named {i['detail']}, the whole file has no incident")
    return errors


def check_notcap(why, tmp):
    errors = []
    for name, content in (("text.pcap", b"hello, this is not a capture\n"), ("empty.pcap", b""),
                          ("gz.pcap", b"\x1f\x8b\x08\x00" + bytes(40))):
        path = os.path.join(tmp, name)
        with open(path, "wb") as f:
            f.write(content)
        rc, _, _, err, _ = run(why, [path])
        lines = err.strip().splitlines()
        if rc != 3 or len(lines) != 1 or name not in lines[0]:
            errors.append(f"{name}: want exit 3 and one line naming it, got {rc}: {err!r}")
    return errors


def ipv4(src, dst, proto, payload):
    h = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0, 64, proto, 0, bytes(src), bytes(dst))
    return h + payload


def sll2(ip):
    # protocol IPv4, reserved, ifindex 1, ARPHRD_ETHER, packet type 0 (to us), addr len 6
    return struct.pack(">HHIHBB8s", 0x0800, 0, 1, 1, 0, 6, bytes(8)) + ip


def tcp(sport, dport, seq, flags, payload=b""):
    return struct.pack(">HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0) + payload


def check_flood(why, tmp):
    errors = []
    hdr, lab = read_pcap(LAB)
    t0, t1 = lab[0][0], lab[-1][0] + 1
    rnd = random.Random(502)
    recs = []
    n = 250000
    for k in range(n):
        t = t0 + (t1 - t0) * k / n
        src = [198, 18, 7, rnd.randrange(1, 255)]
        frame = sll2(ipv4(src, [198, 18, 1, 1], 6, tcp(rnd.randrange(1024, 65536), 9090, rnd.getrandbits(32), 0x02)))
        recs.append((int(t), int((t % 1) * 1e6), frame, len(frame)))
    # a DNS answer whose question name points at itself, from the resolver to the gateway
    dns = struct.pack(">HHHHHH", 7, 0x8180, 1, 1, 0, 0) + b"\xc0\x0c" + struct.pack(">HH", 1, 1)
    udp = struct.pack(">HHHH", 53, 4000, 8 + len(dns), 0) + dns
    f = sll2(ipv4([198, 19, 0, 53], [198, 19, 0, 1], 17, udp))
    recs.append((t0, 1, f, len(f)))
    # a request head that never ends: 100 KB of header lines in 1000-byte segments
    seq = 1000
    syn = sll2(ipv4([198, 18, 7, 1], [198, 18, 1, 1], 6, tcp(4444, 9090, seq - 1, 0x02)))
    recs.append((t0, 2, syn, len(syn)))
    body = b"GET http://endless.lab/ HTTP/1.1\r\n" + b"X-Pad: " + b"a" * 100000
    for k in range(0, len(body), 1000):
        seg = sll2(ipv4([198, 18, 7, 1], [198, 18, 1, 1], 6, tcp(4444, 9090, seq + k, 0x18, body[k:k + 1000])))
        recs.append((t0, 3 + k // 1000, seg, len(seg)))
    recs.sort(key=lambda r: (r[0], r[1]))
    path = os.path.join(tmp, "flood.pcap")
    write_pcap(path, hdr, recs)
    _, alone, alone_summ, _, _ = run(why, [LAB])
    rc, incs, summ, err, peak = run(why, [path, LAB])
    caps = summ.get("caps_hit", {})
    # every connection seen is counted, those past the caps too (one evicted and seen again
    # is opened again: counted twice at most)
    want_conns = n + 1 + alone_summ.get("tcp_connections", 0)
    got_conns = summ.get("tcp_connections", 0)
    if not want_conns <= got_conns <= want_conns + caps.get("connections_evicted", 0):
        errors.append(f"flood: {got_conns} TCP connections counted, {want_conns} in the capture "
                      f"({caps.get('connections_evicted', 0)} evicted)")
    if caps.get("connections_evicted", 0) <= 0:
        errors.append(f"flood: the connection cap was not hit: {caps}")
    if caps.get("http_heads_too_long", 0) <= 0:
        errors.append(f"flood: the endless head was not counted: {caps}")
    want = sorted((i["url"], i["detail"]) for i in alone)
    got = sorted((i["url"], i["detail"]) for i in incs if i["kind"] != "unjoined" and i.get("url") and "endless" not in i["url"])
    if want != got:
        errors.append(f"flood: the lab's incidents changed: missing {sorted(set(want) - set(got))}, extra {sorted(set(got) - set(want))}")
    print(f"     flood: {n} SYNs, peak memory {peak // 1024} MiB, caps {caps}")
    if MEMORY and peak > 1024 * 1024:
        errors.append(f"flood: peak memory {peak // 1024} MiB")
    return errors


def check_flat(why, tmp):
    errors = []
    hdr, lab = read_pcap(LAB)
    span = lab[-1][0] - lab[0][0] + 30
    recs = []
    for k in range(10):
        recs += [(sec + k * span, usec, fr, w) for sec, usec, fr, w in lab]
    path = os.path.join(tmp, "ten.pcap")
    write_pcap(path, hdr, recs)
    _, once, _, _, peak1 = run(why, [LAB])
    _, ten, _, _, peak10 = run(why, [path])
    if len(ten) != 10 * len(once):
        errors.append(f"flat: {len(ten)} incidents for 10 copies of {len(once)}")
    print(f"     flat: peak memory once {peak1} KiB, ten times {peak10} KiB")
    if MEMORY and peak10 > peak1 * 1.25 + 2048:
        errors.append(f"flat: peak memory grows with the file: {peak1} KiB once, {peak10} KiB ten times")
    return errors


def check_names(why, tmp):
    """The capture read under names JSON must escape (a quote, a backslash, a control byte, a
    byte that is no UTF-8, a valid accent) and under a path longer than a JSON writer's buffer
    holds escaped: every incident names it, and every evidence item and connection, as given
    (invalid bytes as U+FFFD)."""
    errors = []
    odd = os.path.join(tmp.encode(), b'we"ird\\n\x01\xff\xc3\xa9.pcap')
    deep = tmp.encode()
    for k in range(12):
        deep = os.path.join(deep, (b"d%02d" % k) * 40)
    os.makedirs(deep)
    deep = os.path.join(deep, b"lab.pcap")
    with open(LAB, "rb") as f:
        data = f.read()
    _, once, _, _, _ = run(why, [LAB])
    for path in (odd, deep):
        with open(path, "wb") as f:
            f.write(data)
        want = path.decode("utf-8", "replace")
        label = f"{len(path)}-byte name"
        try:
            _, incs, _, _, _ = run(why, [os.fsdecode(path)])
        except ValueError as e:
            errors.append(f"names: {label}: a line that is no JSON: {e}")
            continue
        if len(incs) != len(once) or not incs:
            errors.append(f"names: {label}: {len(incs)} incidents, {len(once)} under its own name")
        for o in incs:
            named = [o.get("file")] + [e["file_name"] for e in o["evidence"]] + \
                    [c[w]["file_name"] for c in o["conns"] for w in ("first", "last")]
            bad = [n for n in named if n != want]
            if bad:
                errors.append(f"names: {label}: incident {o['id']} names {bad[0]!r}")
                break
    return errors


# what each shape holds N of, by its generator's design (the summary's key)
SHAPE_COUNTS = {
    "dnsname": ["dns_queries"], "dnsnx": ["dns_queries"], "dnsfail": ["dns_queries", "failed"],
    "dnstcp": ["dns_queries"], "dnsmany": ["dns_queries"],
    "pipeline": ["requests", "failed"], "kaerr": ["requests", "failed"], "urls": ["requests", "failed"],
    "longhead": ["requests", "failed"],
    "conns": ["requests", "tcp_connections", "failed"], "clients": ["requests", "tcp_connections", "failed"],
    "v6conns": ["requests", "tcp_connections", "failed"], "gre": ["requests", "tcp_connections", "failed"],
    "hosts": ["requests", "dns_queries", "failed"], "sameaddr": ["requests", "dns_queries", "failed"],
    "unused": ["requests", "dns_queries", "failed"],
    "orphans": ["upstream_requests"], "upipe": ["upstream_requests"],
    "rst": ["tcp_connections"], "synack": ["tcp_connections"], "tlshello": ["tcp_connections"],
    "icmpmany": ["tcp_connections", "failed"], "isn": ["tcp_connections"],
    "tlsalert": ["failed"], "opaque": ["failed"], "tlscert": ["tcp_connections", "failed"],
    "crossed": ["requests", "failed"], "resolver": ["requests", "dns_queries", "failed"],
    "relaycut": ["failed"],
}


def crossed_pairs(incs):
    """crossed: each 502 follows at once the refusal of the try it answers (the frame before
    it), though the answers cross the order of the requests"""
    for o in incs:
        rst = [e["frame"] for e in o.get("evidence", []) if e.get("kind") == "rst"]
        if o.get("response_frame") is None or rst != [o["response_frame"] - 1]:
            return f"incident {o['id']}: answer frame {o.get('response_frame')}, resets {rst}"
    return None


def relayed(detail, kind):
    """a gateway relaying TLS: every incident joins a client's leg to the gateway's try, told
    as `detail` of `kind` (none unjoined, none naming the gateway as the origin)"""
    def check(incs):
        for o in incs:
            if o.get("detail") != detail or o.get("kind") != kind or not o.get("client") or \
                    (o.get("upstream") or {}).get("address", "").startswith("198.18.1.1:"):
                return (f"incident {o['id']}: {o.get('detail')}/{o.get('kind')} client {o.get('client')} "
                        f"upstream {(o.get('upstream') or {}).get('address')} (want {detail}/{kind})")
        return None
    return check


# what a shape's incidents must say besides their number (None: all right)
SHAPE_CHECKS = {"crossed": crossed_pairs, "tlsalert": relayed("tls_passthrough_alert", "origin"),
                "relaycut": relayed("rst", "gateway")}


# shapes whose N are connections open at once (their peak memory grows by N of them)
SHAPE_HELD = ("tlshello", "conns", "clients", "v6conns", "gre", "icmpmany", "synack")
SHAPE_HELD_MAX = 8192  # bytes a held connection may add to the peak


def check_shapes(why, tmp):
    errors = []
    n = 2000
    spec = importlib.util.spec_from_file_location("make_hostile", os.path.join(ROOT, "bench", "make-hostile.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    def make(shape, size):
        path = os.path.join(tmp, f"shape-{shape}-{size}.pcap")
        if shape == "isn":
            gen = [sys.executable, os.path.join(ROOT, "bench", "make-flood.py"), path, str(size), "--isn", "0x12345678"]
        else:
            gen = [sys.executable, os.path.join(ROOT, "bench", "make-hostile.py"), shape, str(size), path]
        subprocess.run(gen, check=True, timeout=120, stdout=subprocess.DEVNULL)
        return path

    for shape in list(mod.SHAPES) + ["isn"]:
        path = make(shape, n)
        frames = len(read_pcap(path)[1])
        rc, incs, summ, err, peak = run(why, [path])
        if rc not in (0, 1) or not summ:
            errors.append(f"shapes: {shape}: exit {rc}, summary {'found' if summ else 'missing'}: {err.strip()[:200]}")
            continue
        if summ.get("frames") != frames or summ.get("out_of_memory"):
            errors.append(f"shapes: {shape}: {summ.get('frames')} of {frames} frames read, "
                          f"{summ.get('out_of_memory')} allocations refused")
        for k in SHAPE_COUNTS.get(shape, []):
            if summ.get(k) != n:
                errors.append(f"shapes: {shape}: {k} {summ.get(k)}, made {n}")
        bad = SHAPE_CHECKS[shape](incs) if shape in SHAPE_CHECKS else None
        if bad:
            errors.append(f"shapes: {shape}: {bad}")
        if MEMORY and shape in SHAPE_HELD:
            base = run(why, [make(shape, 10)])[4]
            if base and peak and (peak - base) * 1024 > SHAPE_HELD_MAX * n:
                errors.append(f"shapes: {shape}: peak {peak} KiB against {base} KiB with 10 held: "
                              f"{(peak - base) * 1024 // n} bytes a held connection")
    return errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--why502", default=os.path.join(ROOT, "build", "why502"))
    ap.add_argument("--no-memory", action="store_true",
                    help="skip the memory figures (sanitizer builds: their allocator keeps freed memory)")
    ap.add_argument("checks", nargs="*", default=["cut", "notcap", "flood", "flat", "names", "shapes"])
    a = ap.parse_args()
    global MEMORY
    MEMORY = not a.no_memory
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="why502-hostile-") as tmp:
        for name in a.checks:
            errors = globals()["check_" + name](a.why502, tmp)
            if errors:
                failed += 1
                print(f"FAIL {name}")
                for e in errors[:20]:
                    print(f"     {e}")
            else:
                passed += 1
                print(f"ok   {name}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
