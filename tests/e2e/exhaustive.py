#!/usr/bin/env python3
"""The fast path changes nothing: on every lab capture and every public gateway-failure
capture, `why502 --json` prints exactly what `why502 --json --exhaustive` prints (every
request joined by scanning every record, no index, no window). Every kept capture, at any
depth under tests/captures/ (the lab's races/ and gateways/ runs included). A capture of
1 MiB or more (a read-ahead block) is read with `--read-ahead` too, which must print the
same. Last line: "N passed, N failed"."""
import argparse, glob, os, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
READAHEAD_BLOCK = 1 << 20  # lib/capture/capture.h WHY_READAHEAD_BLOCK: smaller files are read on one thread
CORPUS = os.environ.get("WHY_CORPUS_DIR", os.path.join(os.path.dirname(ROOT), "shared", "corpus"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--why502", default=os.path.join(ROOT, "build", "why502"))
    a = ap.parse_args()
    caps = sorted(glob.glob(os.path.join(ROOT, "tests", "captures", "**", "*.pcap*"), recursive=True))
    caps += sorted(glob.glob(os.path.join(CORPUS, "gateway-failures", "*.pcap*")))
    passed = failed = 0
    for cap in caps:
        fast = subprocess.run([a.why502, "--json", "-q", cap], capture_output=True, timeout=300)
        # (option, what differs when its output is not the default's)
        others = [("--exhaustive", "the fast path differs from --exhaustive")]
        if os.path.getsize(cap) >= READAHEAD_BLOCK:
            others.append(("--read-ahead", "--read-ahead differs from reading on one thread"))
        for opt, differs in others:
            other = subprocess.run([a.why502, "--json", "-q", opt, cap], capture_output=True, timeout=600)
            if fast.stdout == other.stdout and fast.returncode == other.returncode:
                passed += 1
            else:
                failed += 1
                print(f"FAIL {os.path.relpath(cap, os.path.dirname(ROOT))}: {differs}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
