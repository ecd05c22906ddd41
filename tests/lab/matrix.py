#!/usr/bin/env python3
"""Markdown matrix of a lab run: fault x gateway -> status the client saw, why502's diagnosis.

  matrix.py --results results.tsv --scenarios scenarios.tsv [--json DIR | --why502 BIN
            --captures DIR] [--status-only] [-o FILE]

--json DIR reads lab-RUN.jsonl written by check.py --json-out; --why502 runs the binary on
lab-RUN.pcap itself. Without either, cells show the status only. --status-only also checks that
every line of the table got a result (exit 1 if not), as run-lab.sh does after each run.
Stdlib only.
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check import incident_url, read_known, read_results, read_scenarios  # noqa: E402

RUN_TITLES = {"squid": "Squid 9090 (forward)", "nginx": "nginx (reverse)",
              "arm": "Squid one-armed (Ethernet)", "haproxy": "HAProxy", "apache": "Apache httpd",
              "varnish": "Varnish", "caddy": "Caddy"}


def write_lines(lines, path):
    """The table's lines to path, or to stdout without one."""
    text = "\n".join(lines) + "\n"
    if path:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


def load_incidents(run, a):
    lines = None
    if a.json:
        p = os.path.join(a.json, f"lab-{run}.jsonl")
        if os.path.exists(p):
            with open(p, encoding="utf-8") as f:
                lines = f.read().splitlines()
    elif a.why502 and a.captures:
        cap = os.path.join(a.captures, f"lab-{run}.pcap")
        if os.path.exists(cap):
            p = subprocess.run([a.why502, "--json", cap], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, timeout=120)
            lines = p.stdout.decode("utf-8", "replace").splitlines()
    if lines is None:
        return None
    by_url = {}
    for line in lines:
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if o.get("type") == "incident":
            by_url.setdefault(o.get("url"), []).append(o)
    return by_url


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", required=True)
    ap.add_argument("--scenarios", required=True)
    ap.add_argument("--json")
    ap.add_argument("--why502")
    ap.add_argument("--captures")
    ap.add_argument("--status-only", action="store_true")
    ap.add_argument("--before", help="a known-wrong.tsv of an earlier why502 on the same "
                    "captures: each cell then says what it named before where that was wrong")
    ap.add_argument("-o", "--output")
    a = ap.parse_args()

    rows = read_scenarios(a.scenarios)
    results = read_results(a.results)
    runs = []
    for r in rows:
        if r["run"] not in runs and any((r["run"], u) in results for u in r["urls"]):
            runs.append(r["run"])
    missing = [(r["run"], u) for r in rows if r["run"] in runs for u in r["urls"]
               if (r["run"], u) not in results]
    incidents = {run: (None if a.status_only else load_incidents(run, a)) for run in runs}
    before = read_known([a.before]) if a.before else None

    def was_wrong(run, name):
        """What the earlier why502 named wrong for this cell ("" if it was right)."""
        said = [v.split("/")[1] if "/" in v and not v[0].isdigit() else v
                for k, v in before.items() if k == f"{run}/{name}" or k.startswith(f"{run}/{name}/")]
        return ", ".join(sorted(set(said)))

    # One table line per scenario name (the fault), one column per run.
    names = []
    for r in rows:
        if r["run"] in runs and r["name"] not in names:
            names.append(r["name"])
    out = []
    out.append("| scenario | expected (error / detail) | "
               + " | ".join(RUN_TITLES.get(x, x) for x in runs) + " |")
    out.append("|---|---|" + "---|" * len(runs))
    def expect(r):
        return (f"{r['error'] or 'null'} / {r['detail']}" if r["detail"] != "none"
                else "success, no incident")

    for name in names:
        exps = {expect(x) for x in rows if x["run"] in runs and x["name"] == name}
        exp = exps.pop() if len(exps) == 1 else "per gateway (in each cell)"
        cells = []
        for run in runs:
            r = next((x for x in rows if x["run"] == run and x["name"] == name), None)
            if r is None:
                cells.append("")
                continue
            stats = [results[(run, u)]["status"] for u in r["urls"] if (run, u) in results]
            if len(r["urls"]) > 1:
                counts = {}
                for s in stats:
                    counts[s] = counts.get(s, 0) + 1
                cell = ", ".join(f"{n}x {s}" for s, n in sorted(counts.items()))
            else:
                s = stats[0] if stats else "?"
                cell = "none (client gave up)" if s == "000" and r["kind"] == "client" else \
                    ("none (000)" if s == "000" else s)
            inc = incidents.get(run)
            if exp != expect(r):
                cell = f"want {expect(r)}: " + cell
            if inc is not None:
                got = [i for u in r["urls"] for i in inc.get(incident_url(r, u), [])]
                if "ok_if_2xx" in r["opts"]:
                    # only the URLs whose client got no 2xx are expected to fail
                    ok2 = [u for u in r["urls"] if (run, u) in results and
                           results[(run, u)]["status"].startswith("2")]
                    bad = [u for u in r["urls"] if u not in ok2]
                    false = [i for u in ok2 for i in inc.get(u, [])]
                    good = [u for u in bad if len(inc.get(u, [])) == 1 and
                            inc[u][0].get("error") == r["error"] and
                            inc[u][0].get("detail") == r["detail"]]
                    said = sorted({f"{i.get('error') or 'null'} / {i.get('detail')}"
                                   for u in bad for i in inc.get(u, [])}) or ["not reported"]
                    if bad:
                        cell += " → " + ", ".join(said)
                    cell += (f" · {len(false)} false incident(s)" if false else "") + \
                        (" ✓" if not false and len(good) == len(bad) else " ✗")
                elif r["detail"] == "none":
                    cell += " · no incident ✓" if not got else f" · {len(got)} false incident(s) ✗"
                elif got:
                    g = got[0]
                    ok = (g.get("error") == r["error"] and g.get("detail") == r["detail"]
                          and g.get("kind") == r["kind"])
                    cell += f" → {g.get('error') or 'null'} / {g.get('detail')}" + \
                        (" ✓" if ok else " ✗")
                else:
                    cell += " → not reported ✗"
            if before is not None and inc is not None:
                w = was_wrong(run, name)
                cell += f" (before: ✗ {w})" if w else " (before: ✓)"
            cells.append(cell)
        out.append(f"| {name} | {exp} | " + " | ".join(cells) + " |")
    # Incidents that name no URL the lab asked for: health checks, background DNS, attempts
    # left unjoined. Each one is a false claim.
    cells = []
    for run in runs:
        inc = incidents.get(run)
        if inc is None:
            cells.append("")
            continue
        asked = {u for r in rows if r["run"] == run for u in r["urls"]}
        asked |= {incident_url(r, u) for r in rows if r["run"] == run for u in r["urls"]}
        extra = {}
        for url, incs in inc.items():
            if url not in asked:
                for i in incs:
                    k = f"{i.get('error') or 'null'} / {i.get('detail')}"
                    extra[k] = extra.get(k, 0) + 1
        cell = ("none ✓" if not extra else
                "; ".join(f"{n}x {k}" for k, n in sorted(extra.items())) + " ✗")
        if before is not None:
            nb = sum(int(v.rstrip("x")) for k, v in before.items()
                     if k.startswith(f"{run}/unexpected/") and v.rstrip("x").isdigit())
            cell += f" (before: {nb} ✗)" if nb else " (before: ✓)"
        cells.append(cell)
    if any(incidents.get(run) is not None for run in runs):
        out.append("| (no request) | no incident that names no request | " + " | ".join(cells) + " |")
    write_lines(out, a.output)
    if missing:
        print(f"matrix: {len(missing)} request(s) without a result, e.g. {missing[0]}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
