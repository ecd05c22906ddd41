#!/usr/bin/env python3
"""The gateway's own words per lab fault: status line, telling headers and error page text.

  words.py --captures DIR --scenarios scenarios.tsv [--runs "squid nginx ..."] [-o FILE]

Reads every response the gateway sent its client in lab-RUN.pcap (tshark) and prints one
markdown table line per (run, scenario) whose client got a status >= 400: the status and
reason, Server / Via / X-Squid-Error / X-Varnish / Content-Type, and the page's words (its
<title>, <h1> and first paragraph, or a plain-text body's first line). These are the claims
why502 has to check against the packets. Exit 77 if tshark is missing. Stdlib only.
"""
import argparse
import html
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check import read_scenarios  # noqa: E402
from matrix import write_lines  # noqa: E402

CLIENTS = ("198.18.1.2", "fd00:1::2", "198.19.0.2")
TELLING = ("server", "via", "x-squid-error", "x-varnish", "content-type")


def responses(cap):
    flt = "http.response and (" + " or ".join(
        f"{'ipv6' if ':' in c else 'ip'}.dst=={c}" for c in CLIENTS) + ")"
    p = subprocess.run(["tshark", "-n", "-r", cap, "-Y", flt, "-T", "fields", "-E",
                        "separator=\x1f", "-e", "http.response_for.uri", "-e", "http.response.code",
                        "-e", "http.response.phrase", "-e", "http.response.line",
                        "-e", "http.file_data"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=120)
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        cols = (line.split("\x1f") + [""] * 5)[:5]
        yield cols


def page_words(body):
    body = body.replace("\\n", "\n").replace("\\r", "")
    out = []
    # Squid says what failed in <blockquote id="error"> and <p id="sysmsg">; the others in
    # their title, heading and first paragraph.
    pats = [r"<title[^>]*>(.*?)</title>", r'<blockquote id="error">(.*?)</blockquote>',
            r'<p id="sysmsg">(.*?)</p>', r"<h1[^>]*>(.*?)</h1>", r"<h2[^>]*>(.*?)</h2>",
            r"<p[^>]*>(.*?)</p>"]
    for pat in pats:
        m = re.search(pat, body, re.S | re.I)
        if m:
            t = " ".join(html.unescape(re.sub(r"<[^>]+>", "", m.group(1))).split())
            if t and not any(t in x or x in t for x in out):
                out.append(t)
    if not out:
        first = body.strip().split("\n", 1)[0].strip()
        if first:
            out.append(first)
    text = " · ".join(out)
    return (text[:220] + "…") if len(text) > 220 else text


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--captures", required=True)
    ap.add_argument("--scenarios", required=True)
    ap.add_argument("--runs", default="squid arm nginx haproxy apache varnish caddy")
    ap.add_argument("-o", "--output")
    a = ap.parse_args()
    if not shutil.which("tshark"):
        print("words: SKIP: tshark not installed")
        return 77
    rows = read_scenarios(a.scenarios)
    out = ["| gateway | scenario | status | headers | the gateway's words |", "|---|---|---|---|---|"]
    for run in a.runs.split():
        cap = os.path.join(a.captures, f"lab-{run}.pcap")
        if not os.path.exists(cap):
            continue
        name_of = {}
        for r in rows:
            if r["run"] == run:
                for u in r["urls"]:
                    name_of[u] = r["name"]
        seen = set()
        for uri, code, phrase, lines, body in responses(cap):
            name = name_of.get(uri) or name_of.get("http://" + uri.split("://")[-1])
            if not name or not code.isdigit() or int(code) < 400 or (name, code) in seen:
                continue
            seen.add((name, code))
            hdrs = []
            for h in lines.split("\\r\\n,"):
                h = h.replace("\\r\\n", "").strip(", ")
                k = h.split(":", 1)[0].lower()
                if k in TELLING:
                    hdrs.append(h)
            words = page_words(body).replace("|", "\\|")
            out.append(f"| {run} | {name} | {code} {phrase} | {'; '.join(hdrs).replace('|', '/')} "
                       f"| {words} |")
    write_lines(out, a.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
