#!/usr/bin/env python3
"""Checks why502 on an HTTP/2 lab capture (run-h2.sh) against scenarios.tsv.

With the key log every URL the client fetched is judged on its own: `ok` means no incident
names that URL, otherwise the incident's detail must be one of the listed causes. Without
keys the client legs are opaque: the causes listed for that column must each appear, and no
incident may name a cause the column does not list (no false incident). Every failure named
with keys whose upstream request is in the clear must be named without keys too, on the same
upstream request (the gateway's own request, its client request hidden in TLS), by a cause
the scenario's no-keys column lists and the same cause as with keys (the upstream leg is read
the same way): a cleartext client leg in the same capture does not hide them.

    check-h2.py --why502 BIN --scenarios TSV --results TSV --capture PCAP --keylog FILE"""
import argparse
import json
import subprocess
import sys


def read_tsv(path):
    rows = []
    with open(path) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                rows.append(line.rstrip("\n").split("\t"))
    return rows


def incidents(why502, capture, keylog):
    cmd = [why502, "--json", capture]
    if keylog:
        cmd[2:2] = ["--keylog", keylog]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    objs = [json.loads(l) for l in out.stdout.splitlines() if l.strip()]
    return [o for o in objs if o.get("type") == "incident"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--why502", required=True)
    ap.add_argument("--scenarios", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--capture", required=True)
    ap.add_argument("--keylog", required=True)
    a = ap.parse_args()
    results = read_tsv(a.results)
    # the scenarios of the gateways this capture was taken for
    gateways = {r[0] for r in results}
    scen = [r for r in read_tsv(a.scenarios) if r[0] in gateways]
    bad = 0

    def scenario(gw, path):
        # an exact path, or a prefix ending in '*' (a load of similar URLs)
        for row in scen:
            if row[0] == gw and (row[1] == path or
                                 (row[1].endswith("*") and path.startswith(row[1][:-1]))):
                return row
        return None

    keyed = incidents(a.why502, a.capture, a.keylog)
    url_gw = {url: gw for gw, url, _ in results}
    by_url = {}
    for inc in keyed:
        by_url.setdefault(inc.get("url") or "", []).append(inc)
    fetched = set()
    quiet = {}
    for gw, url, got in results:
        path = "/" + url.split("/", 3)[3]
        row = scenario(gw, path)
        if not row:
            print(f"FAIL keys    {gw} {path}: no scenario")
            bad += 1
            continue
        fetched.add((row[0], row[1]))
        found = by_url.pop(url, [])
        details = sorted({i["detail"] for i in found})
        allowed = row[2].split("|")
        ok = (not found and "ok" in allowed) or (found and all(d in allowed for d in details))
        if row[1].endswith("*") and ok:
            quiet[(gw, row[1])] = quiet.get((gw, row[1]), 0) + 1
            continue
        print(f"{'ok  ' if ok else 'FAIL'} keys    {gw:8} {path:8} client got {got:10} why502: "
              f"{', '.join(details) or 'no incident'} (want {row[2]})")
        bad += not ok
    for (gw, path), n in sorted(quiet.items()):
        print(f"ok   keys    {gw:8} {path:8} {n} URLs, no incident")
    for gw, path, _, _ in scen:
        if (gw, path) not in fetched:
            print(f"FAIL {gw} {path}: not fetched in this run")
            bad += 1
    for url, rest in by_url.items():
        for inc in rest:
            print(f"FAIL keys    extra incident {inc['detail']} for {url or inc.get('sni')}: {inc['summary']}")
            bad += 1

    plain = incidents(a.why502, a.capture, None)
    seen = sorted(i["detail"] for i in plain)
    allowed, needed = set(), []
    for gw, path, _, want in scen:
        alts = want.split("|")
        allowed.update(alts)
        if "ok" not in alts:
            needed.append((gw, path, alts))
    for gw, path, alts in needed:
        hit = next((d for d in seen if d in alts), None)
        print(f"{'ok  ' if hit else 'FAIL'} no-keys {gw:8} {path:8} why502: {hit or 'nothing'} (want {'|'.join(alts)})")
        if hit:
            seen.remove(hit)
        else:
            bad += 1
    for d in seen:
        if d not in allowed:
            print(f"FAIL no-keys extra incident {d}")
            bad += 1
    # the same upstream request named with and without keys
    by_frame = {}
    for inc in plain:
        for fr in inc.get("frames", []):
            by_frame.setdefault(fr, []).append(inc)
    same = 0
    for inc in keyed:
        up = [e["frame"] for e in inc.get("evidence", []) if e.get("kind") == "upstream_request"]
        url = inc.get("url") or ""
        row = scenario(url_gw.get(url, ""), "/" + url.split("/", 3)[3]) if url.count("/") >= 3 else None
        if not up or not row:
            continue
        got = [i["detail"] for i in by_frame.get(up[0], [])]
        ok = inc["detail"] in got and inc["detail"] in row[3].split("|")
        same += ok
        if not ok:
            print(f"FAIL no-keys {url}: upstream request frame {up[0]} ({inc['detail']} with keys) "
                  f"named {', '.join(got) or 'by nothing'} without keys (want {inc['detail']}, one of {row[3]})")
            bad += 1
    print(f"ok   no-keys {same} failures named with keys named on the same upstream request without")
    print(f"h2-check: {len(scen)} URLs, {len(keyed)} incidents with keys, {len(plain)} without, "
          f"{bad} failures")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
