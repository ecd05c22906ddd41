#!/usr/bin/env python3
"""Runs every capture of the shared corpus (../shared/corpus: real, malformed and fuzzer-found
files from public test suites) through why502 and checks that it behaves: no crash, no
sanitizer report, no hang (30 s each), stdout valid JSON Lines ending in one summary, a
one-line error on stderr for files that cannot be read, and the exit status documented for
that file in tests/e2e/corpus-status.tsv (`--update` records the current statuses)."""
import argparse, json, os, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.environ.get("WHY_CORPUS_DIR", os.path.join(os.path.dirname(ROOT), "shared", "corpus"))
STATUS = os.path.join(ROOT, "tests", "e2e", "corpus-status.tsv")
CAPTURE_EXT = (".pcap", ".pcapng", ".cap", ".pcap.gz", ".dmp", ".trace", ".out")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--why502", default=os.path.join(ROOT, "build", "why502"))
    ap.add_argument("--update", action="store_true")
    a = ap.parse_args()
    if not os.path.isdir(CORPUS):
        print(f"corpus not found at {CORPUS}: skipped")
        sys.exit(77)
    documented, notes = {}, {}
    if os.path.exists(STATUS):
        for line in open(STATUS):
            if line.strip() and not line.startswith("#"):
                cols = line.rstrip("\n").split("\t")
                documented[cols[0]] = int(cols[1])
                if len(cols) > 2:
                    notes[cols[0]] = cols[2:]
    files = []
    for sub in sorted(os.listdir(CORPUS)):
        d = os.path.join(CORPUS, sub)
        if os.path.isdir(d):
            files += [f"{sub}/{n}" for n in sorted(os.listdir(d)) if not n.endswith((".keys", ".txt", ".md", ".tsv"))]
    passed = failed = 0
    seen = {}
    for rel in files:
        path = os.path.join(CORPUS, rel)
        errs = []
        try:
            p = subprocess.run([a.why502, "--json", "-q", path], capture_output=True, timeout=30)
        except subprocess.TimeoutExpired:
            print(f"FAIL {rel}: hang (30 s)")
            failed += 1
            continue
        err = p.stderr.decode("utf-8", "replace")
        seen[rel] = p.returncode
        if p.returncode < 0 or p.returncode > 3:
            errs.append(f"exit status {p.returncode}")
        if "Sanitizer" in err or "runtime error" in err:
            errs.append("sanitizer report: " + err.strip().splitlines()[0][:200])
        if p.returncode == 3:
            if len(err.strip().splitlines()) != 1:
                errs.append(f"unreadable file must give one line on stderr, got: {err.strip()[:200]}")
        elif p.returncode in (0, 1):
            try:
                objs = [json.loads(l) for l in p.stdout.decode("utf-8").splitlines()]
                if not objs or objs[-1].get("type") != "summary":
                    errs.append("output does not end with a summary object")
            except ValueError as e:
                errs.append(f"invalid JSON: {e}")
        if not a.update and rel in documented and documented[rel] != p.returncode:
            errs.append(f"exit status {p.returncode}, documented {documented[rel]}")
        if not a.update and rel not in documented:
            errs.append("no documented exit status (run corpus.py --update and review)")
        if errs:
            print(f"FAIL {rel}: " + "; ".join(errs))
            failed += 1
        else:
            passed += 1
    if a.update:
        with open(STATUS, "w") as f:
            f.write("# corpus file\texit status of `why502 --json` (0 nothing failed, 1 incidents, 3 unreadable)"
                    "\t[the status the packets call for\twhat the file holds, read from its packets]\n")
            for rel in files:
                if rel in seen:
                    f.write("\t".join([rel, str(seen[rel])] + notes.get(rel, [])) + "\n")
    # Files where why502 still says something other than what the packets call for: listed so
    # that the gap stays visible (it is not a failure of this test, which guards against change).
    wrong = [r for r in files if r in notes and notes[r][0] != "" and r in seen and str(seen[r]) != notes[r][0]]
    for r in wrong:
        print(f"known wrong: {r}: exit {seen[r]}, the packets call for {notes[r][0]}: {notes[r][1] if len(notes[r]) > 1 else ''}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
