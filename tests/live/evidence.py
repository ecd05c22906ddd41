#!/usr/bin/env python3
"""Evidence files from capture files (no root needed; 77 when tshark is missing).

For the bundled Squid capture and the TLS lab's captures with their key logs:
  - one .pcapng per incident; tshark reads each and shows its comments; the section comment
    holds the cause and the fix; the blocks are well formed (own walk of the pcapng layout);
  - why502 on an evidence file alone names the same cause;
  - no frame of an unrelated connection: every TCP stream in a file carries an evidence
    comment or is the client's connection, every DNS message asks for the incident's host;
  - with --keylog the Decryption Secrets Block holds exactly the key log lines of the
    ClientHellos in the file, and tshark decrypts the upstream HTTP with it alone;
  - --evidence-max keeps the directory under the bound, oldest first, counted;
  - a ring too short to hold the evidence (--ring 1s): the second pass over the file cuts
    files byte-identical to those of a ring that held everything;
  - a ring that wraps many times still gives whole files; -w -C -W write classic pcap and
    rotate with tcpdump's names, every input frame kept;
  - a ring too small is refused with one line and exit status 2."""
import argparse, json, os, shutil, struct, subprocess, sys, tempfile

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(argv):
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


def jsonl(text):
    return [json.loads(l) for l in text.splitlines() if l.startswith("{")]


def blocks(path):
    """Walks the pcapng blocks; returns [(type, body)] or raises on a malformed layout."""
    data = open(path, "rb").read()
    out, off = [], 0
    while off < len(data):
        btype, blen = struct.unpack_from("<II", data, off)
        assert blen >= 12 and blen % 4 == 0 and off + blen <= len(data), f"bad block at {off}"
        (trail,) = struct.unpack_from("<I", data, off + blen - 4)
        assert trail == blen, f"trailing length differs at {off}"
        out.append((btype, data[off + 8: off + blen - 4]))
        off += blen
    return out


def pcap_frames(path):
    """(link type, frames) of a classic pcap file, as tcpdump -w writes it; AssertionError if it
    is not one or is cut short."""
    data = open(path, "rb").read()
    assert len(data) >= 24 and data[:4] in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4"), f"{path}: not pcap"
    e = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    link = struct.unpack_from(e + "I", data, 20)[0]
    off, n = 24, 0
    while off < len(data):
        assert off + 16 <= len(data), f"{path}: record header cut"
        incl = struct.unpack_from(e + "I", data, off + 8)[0]
        assert off + 16 + incl <= len(data), f"{path}: record cut"
        off += 16 + incl
        n += 1
    return link, n


def tshark(path, *args):
    return run(["tshark", "-r", path] + list(args))


# These causes rest on the absence of upstream traffic in the whole capture, which a cut
# cannot prove; why502 then names the gateway's own claim instead.
TSHARK = True
ALONE_DIFFERS = {"no_upstream_attempt": "gateway_claim"}


def shb_comment(bl):
    """The opt_comment of the section header block."""
    body = bl[0][1]
    off = 16  # byte-order magic, version, section length
    while off + 4 <= len(body):
        code, olen = struct.unpack_from("<HH", body, off)
        if code == 0:
            break
        if code == 1:
            return body[off + 4: off + 4 + olen].decode(errors="replace")
        off += 4 + (olen + 3) // 4 * 4
    return ""


FIELDS = ["frame.comment", "tcp.stream", "tcp.srcport", "tcp.dstport", "dns.qry.name",
          "tls.handshake.type", "tls.handshake.random"]


def check_dir(why, d, incs, label, keylog=None):
    """Checks every file of d (tshark: one file per cause); returns (files naming the same
    cause alone, {file read by tshark: set of its ClientHello randoms})."""
    files = sorted(f for f in os.listdir(d) if f.endswith(".pcapng"))
    check(len(files) == len(incs) and not [f for f in os.listdir(d) if f.startswith(".")],
          f"{label}: one file per incident ({len(files)} for {len(incs)}), no temporary file")
    same, hellos, seen_causes = 0, {}, set()
    for inc in incs:
        name = [f for f in files if f"-{inc['id']}-" in f]
        if not name:
            check(False, f"{label}: incident {inc['id']} has a file")
            continue
        path = os.path.join(d, name[0])
        try:
            bl = blocks(path)
            layout = bl[0][0] == 0x0A0D0D0A and any(t == 1 for t, _ in bl) and any(t == 6 for t, _ in bl)
        except AssertionError:
            bl, layout = [(0, b"")], False
        check(layout, f"{label} {name[0]}: well-formed pcapng")
        comment = shb_comment(bl)
        check(inc["detail"] in comment and "Fix:" in comment,
              f"{label} {name[0]}: section comment names the cause and the fix")
        alone = [o["detail"] for o in jsonl(run([why, "--json"] + (["--keylog", keylog] if keylog else []) + [path]).stdout)
                 if o.get("type") == "incident"]
        want = ALONE_DIFFERS.get(inc["detail"], inc["detail"])
        check(want in alone, f"{label} {name[0]}: why502 on the file alone names {want} (got {alone})")
        same += inc["detail"] in alone
        # tshark (slow to start) reads one file per cause
        if not TSHARK or inc["detail"] in seen_causes:
            continue
        seen_causes.add(inc["detail"])
        args = ["-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,"]
        for f in FIELDS:
            args += ["-e", f]
        r = tshark(path, *args)
        rows = [l.split("\t") for l in r.stdout.splitlines()]
        check(r.returncode == 0 and any(row[0].strip() for row in rows),
              f"{label} {name[0]}: tshark reads it and shows its frame comments")
        streams, names, randoms = {}, set(), set()
        for row in rows:
            row += [""] * (len(FIELDS) - len(row))
            if row[1]:
                st = streams.setdefault(row[1], [False, set()])
                st[0] |= bool(row[0].strip())
                st[1].update(row[2:4])
            names.update(n for n in row[4].split(",") if n)
            types, rnds = row[5].split(","), row[6].split(",")
            randoms.update(r.replace(":", "") for t, r in zip(types, rnds) if t == "1" and r)
        hellos[path] = randoms
        cport = str(inc.get("client") or "").rsplit(":", 1)[-1]
        stray = [k for k, v in streams.items() if not v[0] and cport not in v[1]]
        host = (inc.get("upstream_host") or "").lower()
        odd = [n for n in names if host and not n.lower().startswith(host)]
        check(not stray and not odd, f"{label} {name[0]}: no unrelated frame (streams {stray}, DNS names {odd})")
    return same, hellos


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--why502", required=True)
    ap.add_argument("--no-tshark", action="store_true",
                    help="leave out the tshark reads (the sanitized build: same files, slower binary)")
    a = ap.parse_args()
    why = os.path.abspath(a.why502)
    global TSHARK
    TSHARK = not a.no_tshark
    if not shutil.which("tshark"):
        print("evidence: SKIP: tshark not installed")
        return 77
    work = tempfile.mkdtemp(prefix="w5v-evidence-")
    try:
        # the Squid lab capture: 24 incidents of every connect/DNS/response cause
        d = f"{work}/squid"
        r = run([why, "--json", "--evidence", d, "examples/squid-forward-proxy.pcap"])
        incs = [o for o in jsonl(r.stdout) if o.get("type") == "incident"]
        cap = [o for o in jsonl(r.stdout) if o.get("type") == "capture"]
        check(r.returncode == 1 and len(incs) >= 20 and cap and cap[0]["evidence_files"] == len(incs),
              f"squid: {len(incs)} incidents, capture line {cap}")
        same, _ = check_dir(why, d, incs, "squid")
        print(f"     squid: {same}/{len(incs)} evidence files name exactly the same cause alone")

        # TLS: the key log lines of exactly the file's ClientHellos, decrypting on their own
        for gw in ("squid", "caddy"):
            d = f"{work}/tls-{gw}"
            keys = f"tests/captures/tls/tls-{gw}.keys"
            r = run([why, "--json", "--keylog", keys, "--evidence", d, f"tests/captures/tls/tls-{gw}.pcap"])
            incs = [o for o in jsonl(r.stdout) if o.get("type") == "incident"]
            _, hellos = check_dir(why, d, incs, f"tls-{gw}", keys)
            klines = open(keys).read().splitlines()
            for path, randoms in sorted(hellos.items()):
                f = os.path.basename(path)
                dsb = [b for t, b in blocks(path) if t == 0x0A]
                want = sorted(l for l in klines if len(l.split()) == 3 and l.split()[1].lower() in randoms)
                got = []
                if dsb:
                    stype, slen = struct.unpack_from("<II", dsb[0])
                    check(stype == 0x544C534B, f"tls-{gw} {f}: DSB of type TLS key log")
                    got = sorted(dsb[0][8:8 + slen].decode().splitlines())
                check(got == want, f"tls-{gw} {f}: DSB holds the {len(want)} key log lines of its {len(randoms)} ClientHellos")
                if "renegotiation" in f:
                    plain = tshark(path, "-Y", "http and tcp.port == 443").stdout
                    check("GET" in plain, f"tls-{gw} {f}: tshark decrypts the upstream request with the file alone")

        # --evidence-max: the oldest go first, counted
        d = f"{work}/max"
        r = run([why, "--json", "--evidence", d, "--evidence-max", "100K", "examples/squid-forward-proxy.pcap"])
        cap = [o for o in jsonl(r.stdout) if o.get("type") == "capture"][0]
        total = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
        check(total <= 100 * 1024 and cap["evidence_removed"] > 0 and
              cap["evidence_files"] - cap["evidence_removed"] == len(os.listdir(d)),
              f"--evidence-max 100K: {total} bytes kept in {len(os.listdir(d))} files, {cap['evidence_removed']} removed")
        newest = sorted(os.listdir(f"{work}/squid"))[-1]
        check(newest in os.listdir(d), "--evidence-max kept the newest file")

        # a ring that lost the evidence: from capture files, a second pass over them cuts the
        # same files as a ring that held everything, byte for byte
        d = f"{work}/short"
        r = run([why, "--json", "--ring", "1s", "--evidence", d, "examples/squid-forward-proxy.pcap"])
        cap = [o for o in jsonl(r.stdout) if o.get("type") == "capture"][0]
        full = sorted(os.listdir(f"{work}/squid"))
        same = [f for f in full if os.path.exists(os.path.join(d, f)) and
                open(os.path.join(d, f), "rb").read() == open(os.path.join(work, "squid", f), "rb").read()]
        check(sorted(os.listdir(d)) == full and same == full and cap["evidence_second_pass"] > 0
              and cap["evidence_missing_frames"] == 0,
              f"--ring 1s: {cap['evidence_second_pass']} incidents cut again from the file, {len(same)}/{len(full)} "
              f"files byte-identical to those of a ring that held everything, {cap['evidence_missing_frames']} frames missing")
        # a ring that wraps many times (1M over ten copies of the capture, 3 MB): every file
        # is still whole
        if shutil.which("editcap") and shutil.which("mergecap"):
            parts = []
            for i in range(10):
                parts.append(f"{work}/part{i}.pcap")
                run(["editcap", "-t", str(i * 10), "examples/squid-forward-proxy.pcap", parts[-1]])
            run(["mergecap", "-F", "pcap", "-a", "-w", f"{work}/big.pcap"] + parts)
            d = f"{work}/wrap"
            r = run([why, "--json", "--ring", "1M", "--evidence", d, f"{work}/big.pcap"])
            n = len([o for o in jsonl(r.stdout) if o.get("type") == "incident"])
            bad = []
            for f in os.listdir(d):
                try:
                    blocks(os.path.join(d, f))
                except AssertionError:
                    bad.append(f)
            check(n > 100 and len(os.listdir(d)) == n and not bad,
                  f"--ring 1M over 3 MB: {len(os.listdir(d))} files for {n} incidents, malformed {bad}")
            # -w -C -W as tcpdump: classic pcap; FILE, FILE1, ... without -W (every frame of
            # the input, in order, nothing lost); FILE0..FILE(N-1) rotating with it
            link, total = pcap_frames(f"{work}/big.pcap")
            for sub, extra in (("w1", []), ("w2", ["-W", "3"])):
                os.makedirs(f"{work}/{sub}")
                run([why, "-q", "-w", f"{work}/{sub}/y", "-C", "1"] + extra + [f"{work}/big.pcap"])
                names = sorted(os.listdir(f"{work}/{sub}"), key=lambda n: int(n[1:] or 0))
                sizes_ok = all(os.path.getsize(f"{work}/{sub}/{f}") < 1000000 + 300000 for f in names)
                got = [pcap_frames(f"{work}/{sub}/{f}") for f in names]
                links = {lk for lk, _ in got}
                if extra:
                    check(names == ["y0", "y1", "y2"] and sizes_ok and links == {link},
                          f"-w -C 1 -W 3: pcap files {names} of link type {links}")
                else:
                    check(len(names) >= 3 and names == ["y"] + [f"y{i}" for i in range(1, len(names))] and sizes_ok
                          and links == {link} and sum(n for _, n in got) == total,
                          f"-w -C 1: pcap files {names} of link type {links} holding {sum(n for _, n in got)} "
                          f"of the {total} frames")
        r = run([why, "--ring", "100K", "--evidence", f"{work}/x", "examples/squid-forward-proxy.pcap"])
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        check(r.returncode == 2 and len(lines) == 1 and "--ring" in lines[0], f"--ring 100K: exit {r.returncode}, {lines}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"evidence: {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
