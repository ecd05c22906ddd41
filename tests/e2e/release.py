#!/usr/bin/env python3
"""The Release build that bench/ measures says what the tested build says: builds it with
scripts/build-release.sh (link-time and, with GCC, profile-guided optimisation) and compares
its text and JSON reports, and exit statuses, with the tested build's on every capture under
tests/captures and examples, and on the public gateway-failure captures.
Last line: "N passed, N failed"."""
import argparse, glob, os, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.environ.get("WHY_CORPUS_DIR", os.path.join(os.path.dirname(ROOT), "shared", "corpus"))


def run(binary, args, cap):
    keys = os.path.splitext(cap)[0] + ".keys"  # the TLS lab's; the HTTP/2 lab's is keys.log beside
    if not os.path.exists(keys):
        keys = os.path.join(os.path.dirname(cap), "keys.log")
    extra = ["--keylog", keys] if os.path.exists(keys) and os.path.getsize(keys) else []
    r = subprocess.run([binary] + args + extra + [cap], capture_output=True, timeout=300)
    return r.returncode, r.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--why502", default=os.path.join(ROOT, "build", "why502"), help="the tested build")
    ap.add_argument("--dir", required=True, help="build directory for the Release build")
    a = ap.parse_args()
    b = subprocess.run([os.path.join(ROOT, "scripts", "build-release.sh"), "--dir", a.dir],
                       capture_output=True, text=True, timeout=1800)
    print(b.stderr.strip())
    if b.returncode != 0:
        print("FAIL scripts/build-release.sh exited %d" % b.returncode)
        print("0 passed, 1 failed")
        sys.exit(1)
    rel = os.path.join(a.dir, "why502")
    caps = sorted(glob.glob(os.path.join(ROOT, "examples", "*.pcap*")))
    caps += sorted(p for p in glob.glob(os.path.join(ROOT, "tests", "captures", "**", "*.pcap*"), recursive=True))
    caps += sorted(glob.glob(os.path.join(CORPUS, "gateway-failures", "*.pcap*")))
    passed = failed = 0
    for cap in caps:
        for args in (["--json", "-q"], ["-q"]):
            if run(a.why502, args, cap) == run(rel, args, cap):
                passed += 1
            else:
                failed += 1
                print(f"FAIL {os.path.relpath(cap, ROOT)} {' '.join(args)}: the Release build differs")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
