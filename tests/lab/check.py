#!/usr/bin/env python3
"""Checks why502's diagnosis of the lab's captures against scenarios.tsv (stdlib only).

For every run (capture lab-RUN.pcap) it runs `why502 --json` and asserts:
  * every failing URL is reported once, with the expected error / detail / kind, the status
    the client really saw (results.tsv, from curl; 000 = none = null) and the client address;
  * no incident names a URL that succeeded (detail "none" in the table);
  * no incident names a URL the lab never asked for (a false cause).
A line with opts ok_if_2xx expects its failure only for the URLs whose client got no 2xx (which
request of a batch meets the fault depends on the gateway's connection pool); the others must
have no incident.

--recorded-only skips the lines a results file has no request of (older kept captures).
Known wrong (--known FILE, repeatable; known-wrong.tsv): what why502 names today where it is wrong, one line
per check key ("run/name/url" or "run/unexpected/error/detail/url") with what it said. A failed
check listed there counts as "known", not failed, if why502 still says exactly that (with
--known-exact, as for the kept captures) or anything at all (without: live runs, where races
change the wrong answer). A listed check that now passes is printed "FIXED" (the line can go).
--write-known FILE writes every failure of this run in that format.
An incident one of whose `alternatives` (parallel failures the packets pair two ways) names the expected
cause, where its own cause does not, counts as "ambiguous": neither passed nor failed.
Last line: "N passed, [N ambiguous (...), ]N known wrong, N failed"; exit 1 if anything failed,
0 otherwise.

  check.py --why502 BIN --scenarios scenarios.tsv --results results.tsv --captures DIR
           [--json-out DIR] [--known FILE [--known-exact]] [--write-known FILE] [--verbose]
"""
import argparse
import json
import os
import subprocess
import sys

WHY502_EXIT_OK, WHY502_EXIT_FOUND = 0, 1


def read_scenarios(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) != 7:
                raise SystemExit(f"check: {path}: bad line (want 7 columns): {line!r}")
            run, name, url, error, detail, kind, opts = cols
            o = {}
            for item in opts.split(","):
                if "=" in item:
                    k, v = item.split("=", 1)
                    o[k] = v
                elif item not in ("", "-"):
                    o[item] = "1"
            count = int(o.get("count", "1"))
            urls = [url.replace("{i}", str(i)) for i in range(1, count + 1)] if "{i}" in url else [url]
            rows.append(dict(run=run, name=name, urls=urls, error=None if error == "-" else error,
                             detail=detail, kind=None if kind == "-" else kind,
                             tunnel="tunnel" in o, opts=o))
    return rows


def read_results(path):
    """url -> result row (the last one if a URL was asked twice: it never is)."""
    res = {}
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) != len(header):
                continue
            r = dict(zip(header, cols))
            res[(r["run"], r["url"])] = r
    return res


def client_addr(r):
    ip = r.get("local_ip", "")
    if not ip or not r.get("local_port"):
        return None
    return f"[{ip}]:{r['local_port']}" if ":" in ip else f"{ip}:{r['local_port']}"


def incident_url(row, url):
    """The URL an incident names for this request: a CONNECT tunnel's is host:port."""
    if not row.get("tunnel"):
        return url
    rest = url.split("://", 1)[-1]
    authority = rest.split("/", 1)[0]
    return authority if ":" in authority.rsplit("]", 1)[-1] else authority + ":80"


def run_why502(binary, cap):
    p = subprocess.run([binary, "--json", cap], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    objs, bad = [], 0
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        if not line.strip():
            continue
        try:
            objs.append(json.loads(line))
        except ValueError:
            bad += 1
    return p.returncode, objs, bad, p.stderr.decode("utf-8", "replace"), p.stdout


def read_known(paths):
    """check key -> what why502 said (known-wrong.tsv: key TAB said), over several files."""
    known = {}
    for path in paths or []:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if line and not line.startswith("#") and "\t" in line:
                    k, said = line.split("\t", 1)
                    known[k] = said
    return known


class Tally:
    def __init__(self, verbose, known=None, exact=False):
        self.passed = 0
        self.failed = 0
        self.known_wrong = 0
        self.ambiguous = 0
        self.swapped = 0
        self.verbose = verbose
        self.known = known or {}
        self.exact = exact
        self.failures = []  # (key, said) of every failed check, known or not
        self.seen = set()

    def check(self, ok, what, key=None, said=None, swap=False, alt_ok=False):
        if key is not None:
            self.seen.add(key)
        if not ok and alt_ok and not (self.exact and key in self.known and self.known[key] != said):
            # the expected cause is one of the incident's alternatives: the packets fit more
            # than one pairing of parallel failures, and why502 says so (counted apart, neither
            # passed nor failed; kept in --write-known, so a kept capture's line stays exact)
            self.ambiguous += 1
            self.failures.append((key or what, said if said is not None else what))
            if self.verbose or key not in self.known:
                print(f"ambig {what}")
            return
        if ok:
            self.passed += 1
            if key in self.known:
                print(f"FIXED {what} (known wrong: {self.known[key]})")
            elif self.verbose:
                print(f"ok    {what}")
            return
        self.failures.append((key or what, said if said is not None else what))
        if key in self.known and (not self.exact or self.known[key] == said):
            self.known_wrong += 1
            if self.verbose:
                print(f"known {what}")
            return
        if swap:  # --swaps: another fault's cause, taken by the known race (counted, not passed)
            self.known_wrong += 1
            self.swapped += 1
            print(f"swap  {what}")
            return
        self.failed += 1
        print(f"FAIL  {what}" + (f" [known wrong said: {self.known[key]}]" if key in self.known else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--why502", required=True)
    ap.add_argument("--scenarios", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--captures", required=True, help="directory with lab-RUN.pcap")
    ap.add_argument("--json-out", help="directory to write each run's why502 JSON to")
    ap.add_argument("--known", action="append",
                    help="known-wrong.tsv: what why502 names today where it is wrong (repeatable)")
    ap.add_argument("--recorded-only", action="store_true",
                    help="skip scenario lines the results file has no request of (captures "
                         "made before those lines were added)")
    ap.add_argument("--known-exact", action="store_true")
    ap.add_argument("--swaps", action="store_true",
                    help="live runs: a URL named with the expected cause of another fault of the same "
                         "gateway's run (the races still seen live, docs/lab-matrix.md: a health check "
                         "refused inside a request's wait, an origin's banner before the request), "
                         "or a failing name named as the request's lookup instead of the gateway's "
                         "background round (or the reverse), counts as known wrong, not failed; so "
                         "does an attempt of one of the run's faults left unjoined by such a swap")
    ap.add_argument("--write-known", help="write every failure of this run as known-wrong lines")
    ap.add_argument("--verbose", "-v", action="store_true")
    a = ap.parse_args()

    rows = read_scenarios(a.scenarios)
    results = read_results(a.results)
    t = Tally(a.verbose, read_known(a.known), a.known_exact)
    runs = []
    for r in rows:
        if r["run"] not in runs:
            runs.append(r["run"])

    for run in runs:
        cap = os.path.join(a.captures, f"lab-{run}.pcap")
        run_rows = [r for r in rows if r["run"] == run]
        if not any((run, u) in results for r in run_rows for u in r["urls"]):
            continue  # this run was not made (--runs)
        if not os.path.exists(cap):
            t.check(False, f"{run}: capture {cap} exists")
            continue
        try:
            rc, objs, bad, err, raw = run_why502(a.why502, cap)
        except subprocess.TimeoutExpired:
            t.check(False, f"{run}: why502 --json {cap} finished within 120 s")
            continue
        if a.json_out:
            os.makedirs(a.json_out, exist_ok=True)
            with open(os.path.join(a.json_out, f"lab-{run}.jsonl"), "wb") as f:
                f.write(raw)
        summaries = [o for o in objs if o.get("type") == "summary"]
        t.check(rc in (WHY502_EXIT_OK, WHY502_EXIT_FOUND) and bad == 0 and len(summaries) == 1,
                f"{run}: why502 ran (exit {rc}, {bad} unparsable lines, "
                f"{len(summaries)} summary){': ' + err.strip()[:300] if err.strip() else ''}")
        incidents = [o for o in objs if o.get("type") == "incident"]
        by_url = {}
        for inc in incidents:
            by_url.setdefault(inc.get("url"), []).append(inc)
        known = set()

        for r in run_rows:
            if a.recorded_only and not any((run, u) in results for u in r["urls"]):
                print(f"note  {run}/{r['name']}: not in these captures (made before the line)")
                continue
            if r["detail"] == "none":  # a batch of successes: one check for the whole batch
                asked = [u for u in r["urls"] if (run, u) in results]
                known.update(incident_url(r, u) for u in r["urls"])
                false = [(u, i) for u in r["urls"] for i in by_url.get(incident_url(r, u), [])]
                said = ", ".join(sorted(f"{i.get('error')}/{i.get('detail')}" for _, i in false))
                t.check(len(asked) == len(r["urls"]) and not false,
                        f"{run}/{r['name']}: no incident for {len(r['urls'])} successful URL(s), "
                        f"{len(asked)} answered" + (f"; got {len(false)}, e.g. {false[0][0]}: "
                        f"{false[0][1].get('error')}/{false[0][1].get('detail')}" if false else ""),
                        key=f"{run}/{r['name']}", said=f"{len(false)} incident(s): {said}")
                continue
            for url in r["urls"]:
                known.add(incident_url(r, url))
                res = results.get((run, url))
                if res is None:
                    t.check(False, f"{run}/{r['name']}: {url} has a result (curl ran)")
                    continue
                got = by_url.get(incident_url(r, url), [])
                status = None if res["status"] in ("000", "") else int(res["status"])
                key = f"{run}/{r['name']}/{url}"
                said = ", ".join(f"{i.get('error')}/{i.get('detail')}/{i.get('kind')}/"
                                 f"{i.get('status')}" for i in got) or "no incident"
                if "ok_if_2xx" in r["opts"] and status is not None and 200 <= status < 300:
                    t.check(not got, f"{run}/{r['name']}: no incident for {url} (client saw "
                            f"{status}){'' if not got else '; got ' + said}", key=key, said=said)
                    continue
                if len(got) != 1:
                    t.check(False, f"{run}/{r['name']}: one incident for {url} (got {len(got)}; "
                            f"client saw {res['status']})", key=key, said=said)
                    continue
                inc = got[0]
                want = dict(error=r["error"], detail=r["detail"], kind=r["kind"], status=status)
                have = {k: inc.get(k) for k in want}
                others = {(x["error"], x["detail"]) for x in run_rows
                          if x is not r and x["detail"] != "none"}
                # HAProxy's own lookup round can fall inside a request's window: the same
                # failing name, named as the request's lookup or as the background one
                dns_round = (have["error"] == want["error"] == "dns_error" or
                             have["error"] == want["error"] == "dns_timeout") and \
                    "backend_dns_failed" in (have["detail"], want["detail"])
                swap = a.swaps and ((have["error"], have["detail"]) in others or dns_round)
                alts = inc.get("alternatives") or []
                alt_ok = any(x.get("error") == want["error"] and x.get("detail") == want["detail"]
                             for x in alts) and have["kind"] == want["kind"] and have["status"] == want["status"]
                t.check(have == want, f"{run}/{r['name']}: {url} -> "
                        f"{have['error']}/{have['detail']}/{have['kind']}/{have['status']}"
                        + ("" if have == want else f" (want {want['error']}/{want['detail']}/"
                           f"{want['kind']}/{want['status']})")
                        + "".join(f" or {x.get('error')}/{x.get('detail')}" for x in alts),
                        key=key, said=said, swap=swap, alt_ok=alt_ok)
                ca = client_addr(res)
                if ca and have == want:
                    t.check(inc.get("client") == ca, f"{run}/{r['name']}: client {inc.get('client')}"
                            + ("" if inc.get("client") == ca else f" (want {ca})"),
                            key=key + "/client", said=str(inc.get("client")))
        unexpected = {}
        for url, incs in sorted(by_url.items(), key=lambda kv: str(kv[0])):
            if url not in known:
                for inc in incs:  # (a CONNECT's incident names host:port)
                    k = f"{run}/unexpected/{inc.get('error')}/{inc.get('detail')}/{url}"
                    unexpected.setdefault(k, []).append(inc)
        faults = {(x["error"], x["detail"]) for x in rows if x["run"] == run and x["detail"] != "none"}
        for k, incs in sorted(unexpected.items()):
            inc = incs[0]
            # --swaps: attempts of the run's own faults left unjoined when parallel failures
            # were matched to the wrong requests (the other side of a swap)
            left = a.swaps and inc.get("url") is None and inc.get("status") is None and \
                (inc.get("error"), inc.get("detail")) in faults
            t.check(False, f"{run}: {len(incs)} unexpected incident(s) for {inc.get('url')}: "
                    f"{inc.get('error')}/{inc.get('detail')} status {inc.get('status')} client "
                    f"{inc.get('client')}", key=k, said=f"{len(incs)}x", swap=left)

    if a.known:
        for k in sorted(set(t.known) - t.seen):
            run = k.split("/", 1)[0]
            if any((run, u) in results for r in rows if r["run"] == run for u in r["urls"]) \
                    and "/unexpected/" in k:
                print(f"FIXED {k} (known wrong: {t.known[k]}; no such incident now)")
    if a.write_known:
        with open(a.write_known, "w", encoding="utf-8") as f:
            f.write("# check key\twhat why502 names today (wrong): written by check.py "
                    "--write-known\n")
            for k, said in t.failures:
                f.write(f"{k}\t{said}\n")
    if t.swapped:
        print(f"{t.swapped} of the known wrong were swapped by a race of the live lab (--swaps)")
    print(f"{t.passed} passed, " + (f"{t.ambiguous} ambiguous (the right cause named as the other "
          f"reading), " if t.ambiguous else "") + f"{t.known_wrong} known wrong, {t.failed} failed")
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
