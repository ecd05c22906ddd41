#!/usr/bin/env python3
"""Offline check of every kept lab capture set (ctest e2e.lab-captures; no root needed).

  check-kept.py --why502 BIN [--root tests/captures/lab]

Runs check.py on each directory holding a results.tsv under ROOT: ROOT itself (Squid, nginx,
one-armed Squid, 2026-11-23: its lines added later are skipped, --recorded-only), gateways/ (all
seven runs of one lab) and each races/NAME/ (a rerun whose joining went wrong differently), each
against the known-wrong.tsv kept beside it (--known-exact: why502 must say exactly what it said,
right or wrong, so that any change shows). Exit 1 if any set fails. Stdlib only.
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--why502", required=True)
    ap.add_argument("--root", default=os.path.join(HERE, "..", "captures", "lab"))
    a = ap.parse_args()
    sets = []
    for dirpath, _, files in sorted(os.walk(a.root)):
        if "results.tsv" in files:
            sets.append(dirpath)
    bad = 0
    for d in sets:
        cmd = [sys.executable, os.path.join(HERE, "check.py"), "--why502", a.why502,
               "--scenarios", os.path.join(HERE, "scenarios.tsv"),
               "--results", os.path.join(d, "results.tsv"), "--captures", d]
        if os.path.exists(os.path.join(d, "known-wrong.tsv")):
            cmd += ["--known", os.path.join(d, "known-wrong.tsv"), "--known-exact"]
        if os.path.samefile(d, a.root):
            cmd += ["--recorded-only"]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
        text = p.stdout.decode("utf-8", "replace")
        for line in text.splitlines():
            if line.startswith(("FAIL", "FIXED")) or line == text.splitlines()[-1]:
                print(f"{os.path.relpath(d, a.root) if d != a.root else '.'}: {line}")
        bad += p.returncode != 0
    print(f"{len(sets)} capture sets, {bad} failed")
    return 1 if bad or not sets else 0


if __name__ == "__main__":
    sys.exit(main())
