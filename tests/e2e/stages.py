#!/usr/bin/env python3
"""The benchmark's stages program (bench/stages.c, bench/run.sh --stages) runs why502's own
first stages: on every example, kept test capture and public capture of the corpus, `why502-stages flows` reads the frames
why502 reads and its flow table opens the TCP connections why502 counts (the summary's
`frames` and `tcp_connections`) after decoding them as why502 does (its `anomalies`: frames
truncated, malformed, unsupported), and `read` and `decode` read the same frames; a capture
why502 cannot read (exit 3, no report) the stages program cannot either (exit 1). Last line:
"N passed, N failed"."""
import argparse, glob, json, os, re, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.environ.get("WHY_CORPUS_DIR", os.path.join(os.path.dirname(ROOT), "shared", "corpus"))
LINE = re.compile(r"^frames (\d+) ip (\d+) tcp (\d+) udp (\d+) conns (\d+) "
                  r"truncated (\d+) malformed (\d+) unsupported (\d+)$")


def stages(prog, stage, cap):
    r = subprocess.run([prog, stage, cap], capture_output=True, text=True, timeout=300)
    m = LINE.match(r.stdout.strip())
    return r.returncode, (tuple(int(x) for x in m.groups()) if m else None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--why502", default=os.path.join(ROOT, "build", "why502"))
    ap.add_argument("--stages", default=os.path.join(ROOT, "build", "why502-stages"))
    a = ap.parse_args()
    caps = sorted(glob.glob(os.path.join(ROOT, "examples", "*.pcap*")))
    caps += sorted(glob.glob(os.path.join(ROOT, "tests", "captures", "**", "*.pcap*"), recursive=True))
    caps += sorted(glob.glob(os.path.join(CORPUS, "**", "*.pcap*"), recursive=True))
    passed = failed = 0
    for cap in caps:
        name = os.path.relpath(cap, os.path.dirname(ROOT))
        w = subprocess.run([a.why502, "--json", "-q", cap], capture_output=True, text=True, timeout=300)
        rc, got = stages(a.stages, "flows", cap)
        problems = []
        if not w.stdout.strip():
            # unreadable from the start (exit 3, no report): the stages program says so too
            if w.returncode != 3 or rc != 1:
                problems.append(f"why502 exit {w.returncode} with no report, why502-stages exit {rc}")
        else:
            summary = json.loads(w.stdout.strip().splitlines()[-1])
            if got is None:
                problems.append(f"why502-stages flows printed no counts (exit {rc})")
            elif (got[0], got[4]) != (summary["frames"], summary["tcp_connections"]):
                problems.append(f"frames, connections: why502 {summary['frames']}, "
                                f"{summary['tcp_connections']}; why502-stages {got[0]}, {got[4]}")
            an = summary["anomalies"]
            want = (an["truncated_frames"], an["malformed_frames"], an["unsupported_frames"])
            if got is not None and got[5:8] != want:
                problems.append(f"truncated, malformed, unsupported: why502 {want}, why502-stages {got[5:8]}")
            for st in ("read", "decode"):
                src, sgot = stages(a.stages, st, cap)
                if got is not None and (sgot is None or src != rc or sgot[0] != got[0]):
                    problems.append(f"{st}: exit {src}, {sgot and sgot[0]} frames; flows: exit {rc}, {got[0]}")
        if problems:
            failed += 1
            print(f"FAIL {name}: " + "; ".join(problems))
        else:
            passed += 1
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
