#!/usr/bin/env python3
"""TLS lab checks (run-tls.sh): the wire facts (tshark), and why502's diagnosis (stdlib only).

  tls-check.py --wire --captures DIR [--runs "nginx ..."]
      From each tls-RUN.pcap, decrypted with tls-RUN.keys: how the gateway met the origin's
      HelloRequest (answered with a ClientHello, refused with an alert or by closing, never
      answered) and how long the origin waited; that the alert origin sent handshake_failure.
      Exit 1 when a gateway did not behave as recorded in EXPECTED_RENEG.

  tls-check.py --why502 BIN --scenarios tls-scenarios.tsv --results results.tsv --captures DIR
               [--runs ...] [--json-out DIR] [--keylog-pass 0|1] [--print-incidents]
      Runs `why502 --json tls-RUN.pcap` and, with --keylog-pass 1, `why502 --json --keylog
      tls-RUN.keys tls-RUN.pcap`, and checks each pass as check.py does for the lab: every
      failing URL once with the expected error/detail/kind, the client's status and address; no
      incident for a success; none for a URL the lab never asked for. Lines with the option
      `keylog` are held to their expectation only in the pass with keys; without keys any TLS
      incident (or none) is accepted for them, and an incident without URL is accepted from an
      HTTPS client's address. Lines with `passthrough` (the gateway passes TLS through) are
      told by the client's address: one incident as expected for a failure, none for a success. Last line "N passed, N failed"; exit 1 if anything failed.
"""
import argparse
import collections
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import check  # noqa: E402  (read_results, client_addr, Tally of the lab's check.py)

RENEG_ORIGIN = "198.19.3.11"
ALERT_ORIGIN = "198.19.3.12"
# What each gateway did with the HelloRequest in this lab (Debian 12 packages).
EXPECTED_RENEG = {
    "nginx": "answered", "haproxy": "answered", "apache": "answered",
    "squid": "refused_close", "caddy": "refused_alert", "mitmproxy": "never_answered",
}
TLS_ERRORS = ("tls_protocol_error", "tls_certificate_error")
ALERTS = {0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 40: "handshake_failure",
          42: "bad_certificate", 45: "certificate_expired", 46: "certificate_unknown",
          48: "unknown_ca", 50: "decode_error", 51: "decrypt_error", 80: "internal_error",
          90: "user_canceled", 100: "no_renegotiation", 112: "unrecognized_name"}
HS = {0: "HelloRequest", 1: "ClientHello", 2: "ServerHello", 4: "NewSessionTicket",
      8: "EncryptedExtensions", 11: "Certificate", 12: "ServerKeyExchange",
      13: "CertificateRequest", 14: "ServerHelloDone", 15: "CertificateVerify",
      16: "ClientKeyExchange", 20: "Finished"}

FIELDS = ["frame.number", "frame.time_relative", "tcp.stream", "ip.src", "tcp.srcport", "ip.dst",
          "tcp.dstport", "tcp.flags.syn", "tcp.flags.fin", "tcp.flags.reset", "tcp.len",
          "tls.record.content_type", "tls.handshake.type", "tls.alert_message.level",
          "tls.alert_message.desc", "http.request.uri", "http.response.code"]


def ints(s):
    out = []
    for x in s.split(","):
        x = x.strip()
        if x:
            try:
                out.append(int(x, 0))
            except ValueError:
                pass
    return out


def load(cap, keys):
    cmd = ["tshark", "-n", "-r", cap, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
           "-E", "aggregator=,"]
    if keys and os.path.exists(keys):
        cmd += ["-o", f"tls.keylog_file:{keys}"]
    cmd += [x for f in FIELDS for x in ("-e", f)]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=120)
    pkts = []
    for line in p.stdout.decode("ascii", "replace").splitlines():
        cols = line.split("\t")
        cols += [""] * (len(FIELDS) - len(cols))
        k = dict(zip(FIELDS, cols))
        if not k["tcp.stream"]:
            continue
        pkts.append(dict(
            frame=int(k["frame.number"]), t=float(k["frame.time_relative"] or 0),
            stream=int(k["tcp.stream"]), src=k["ip.src"], sport=k["tcp.srcport"], dst=k["ip.dst"],
            dport=k["tcp.dstport"], syn=k["tcp.flags.syn"] in ("1", "True"),
            fin=k["tcp.flags.fin"] in ("1", "True"), rst=k["tcp.flags.reset"] in ("1", "True"),
            hs=ints(k["tls.handshake.type"]), alerts=ints(k["tls.alert_message.desc"]),
            ctype=ints(k["tls.record.content_type"]), uri=k["http.request.uri"],
            code=k["http.response.code"]))
    return pkts


def describe(p):
    parts = [HS.get(h, f"hs{h}") for h in p["hs"]]
    parts += [f"alert {ALERTS.get(a, a)}" for a in p["alerts"]]
    if p["uri"]:
        parts.append(f"request {p['uri']}")
    if p["code"]:
        parts.append(f"response {p['code']}")
    if not parts and 23 in p["ctype"]:
        parts.append("application data")
    if p["fin"]:
        parts.append("FIN")
    if p["rst"]:
        parts.append("RST")
    return ", ".join(parts)


def reneg_story(pkts, origin):
    """Per upstream connection to `origin` that saw a HelloRequest: (verdict, text lines)."""
    by = collections.defaultdict(list)
    for p in pkts:
        if origin in (p["src"], p["dst"]):
            by[p["stream"]].append(p)
    stories = []
    for s, ps in sorted(by.items()):
        hr = next((p for p in ps if p["src"] == origin and 0 in p["hs"]), None)
        if not hr:
            continue
        gw = ps[0]["src"] if ps[0]["dst"] == origin else ps[0]["dst"]
        after = [p for p in ps if p["frame"] > hr["frame"]]
        end = next((p for p in after if p["src"] == origin and (p["fin"] or p["rst"])), None)
        verdict, answer = "never_answered", None
        for p in after:
            if end and p["frame"] > end["frame"]:
                break  # what the gateway does after the origin gave up is no answer
            if p["src"] == origin:
                continue
            if 1 in p["hs"]:
                verdict, answer = "answered", p
            elif 100 in p["alerts"]:
                verdict, answer = "refused_alert", p
            elif 0 in p["alerts"] or p["fin"] or p["rst"]:
                verdict, answer = "refused_close", p
            else:
                continue
            break
        lines = [f"  stream {s} {gw}:{ps[0]['sport'] if ps[0]['src'] == gw else ps[0]['dport']} -> "
                 f"{origin}:443, HelloRequest in frame {hr['frame']} at {hr['t']:.3f} s"]
        for p in after[:12]:
            d = describe(p)
            if d:
                who = "origin " if p["src"] == origin else "gateway"
                lines.append(f"    {p['t'] - hr['t']:+8.3f} s  {who}  frame {p['frame']}: {d}")
        if answer:
            lines.append(f"    gateway's reaction after {answer['t'] - hr['t']:.3f} s: {verdict}")
        else:
            lines.append("    gateway's reaction: none")
        if end:
            lines.append(f"    origin closed {end['t'] - hr['t']:.3f} s after its HelloRequest")
        stories.append((verdict, end["t"] - hr["t"] if end else None, lines))
    return stories


def wire(a):
    if not shutil.which("tshark"):
        print("tls-check: SKIP: tshark not installed")
        return 77
    passed = failed = 0
    for run in a.runs.split():
        cap = os.path.join(a.captures, f"tls-{run}.pcap")
        if not os.path.exists(cap):
            continue
        pkts = load(cap, os.path.join(a.captures, f"tls-{run}.keys"))
        stories = reneg_story(pkts, RENEG_ORIGIN)
        print(f"{run}: {len(stories)} upstream connection(s) with a HelloRequest")
        for verdict, wait, lines in stories:
            print("\n".join(lines))
        verdicts = sorted({v for v, _, _ in stories})
        want = EXPECTED_RENEG.get(run)
        ok = bool(stories) and verdicts == [want]
        passed += ok
        failed += not ok
        waits = [w for _, w, _ in stories if w is not None]
        print(f"{'ok  ' if ok else 'FAIL'}  {run}: HelloRequest {', '.join(verdicts) or 'not seen'}"
              f" (recorded: {want})" + (f"; origin waited {', '.join(f'{w:.3f}' for w in waits)} s"
                                         if verdicts == ['never_answered'] else ""))
        al = [p for p in pkts if p["src"] == ALERT_ORIGIN and 40 in p["alerts"]]
        ok = bool(al)
        passed += ok
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'}  {run}: handshake_failure alert from {ALERT_ORIGIN} "
              f"({len(al)} connection(s))")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


# ------------------------------------------------------------------ why502's diagnosis

def read_scenarios(path):
    """check.py's reader, with the TLS lab's options: keylog, https."""
    rows = check.read_scenarios(path)
    for r in rows:
        r["keylog"] = "keylog" in r["opts"]
        r["https"] = "https" in r["opts"]
        r["passthrough"] = "passthrough" in r["opts"]
    return rows


def run_why502(binary, cap, keys):
    cmd = [binary, "--json"] + (["--keylog", keys] if keys else []) + [cap]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    objs, bad = [], 0
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        if line.strip():
            try:
                objs.append(json.loads(line))
            except ValueError:
                bad += 1
    return p.returncode, objs, bad, p.stderr.decode("utf-8", "replace"), p.stdout


def one_pass(a, t, rows, results, with_keys):
    label = "with --keylog" if with_keys else "without keys"
    for run in a.runs.split():
        cap = os.path.join(a.captures, f"tls-{run}.pcap")
        run_rows = [r for r in rows if r["run"] == run]
        if not run_rows or not os.path.exists(cap):
            continue
        keys = os.path.join(a.captures, f"tls-{run}.keys") if with_keys else None
        try:
            rc, objs, bad, err, raw = run_why502(a.why502, cap, keys)
        except subprocess.TimeoutExpired:
            t.check(False, f"{run} ({label}): why502 finished within 120 s")
            continue
        if a.json_out:
            os.makedirs(a.json_out, exist_ok=True)
            name = f"tls-{run}{'.keylog' if with_keys else ''}.jsonl"
            with open(os.path.join(a.json_out, name), "wb") as f:
                f.write(raw)
        summaries = [o for o in objs if o.get("type") == "summary"]
        t.check(rc in (0, 1) and bad == 0 and len(summaries) == 1,
                f"{run} ({label}): why502 ran (exit {rc}, {bad} unparsable lines, "
                f"{len(summaries)} summary){': ' + err.strip()[:300] if err.strip() else ''}")
        incidents = [o for o in objs if o.get("type") == "incident"]
        if a.print_incidents:
            print(f"--- {run} ({label}): {len(incidents)} incident(s)")
            for inc in incidents:
                print(f"    {inc.get('url')}  {inc.get('error')}/{inc.get('detail')}/{inc.get('kind')}"
                      f"  status {inc.get('status')}  client {inc.get('client')}"
                      f"  {inc.get('detail_text') or ''}")
        by_url, by_client = collections.defaultdict(list), collections.defaultdict(list)
        for inc in incidents:
            by_url[inc.get("url")].append(inc)
            if inc.get("url") is None:
                by_client[inc.get("client")].append(inc)
        known, lenient_clients, pt_clients = set(), set(), set()
        for r in run_rows:
            lenient = r["keylog"] and not with_keys
            if r["passthrough"]:
                # the gateway passes TLS through: no request to name, the client's address
                # tells its incident (with keys the successes' requests are read, and no
                # incident may name them either)
                for url in r["urls"]:
                    known.add(url)
                    res = results.get((run, url))
                    ca = check.client_addr(res) if res else None
                    if not ca:
                        t.check(False, f"{run}/{r['name']}: {url} has a result with the client's address")
                        continue
                    pt_clients.add(ca)
                    got = by_client.get(ca, []) + by_url.get(url, [])
                    if r["detail"] == "none":
                        t.check(not got and res["status"] == "200",
                                f"{run}/{r['name']} ({label}): {url} answered {res['status']}, "
                                f"{len(got)} incident(s) for its client {ca}")
                        continue
                    want = dict(error=r["error"], detail=r["detail"], kind=r["kind"], status=None)
                    have = [{k: i.get(k) for k in want} for i in got]
                    t.check(have == [want], f"{run}/{r['name']} ({label}): client {ca} (passed "
                            f"through, saw {res['status']}) -> "
                            + (", ".join(f"{h['error']}/{h['detail']}/{h['kind']}/{h['status']}"
                                         for h in have) or "no incident")
                            + ("" if have == [want] else f" (want {want['error']}/{want['detail']}/"
                                                         f"{want['kind']}/None)"))
                continue
            if r["detail"] == "none":
                known.update(r["urls"])
                asked = [u for u in r["urls"] if (run, u) in results]
                false = [(u, i) for u in r["urls"] for i in by_url.get(u, [])]
                t.check(len(asked) == len(r["urls"]) and not false,
                        f"{run}/{r['name']} ({label}): no incident for {len(r['urls'])} successful "
                        f"URL(s), {len(asked)} answered" + (
                            f"; got {len(false)}, e.g. {false[0][0]}: {false[0][1].get('error')}/"
                            f"{false[0][1].get('detail')}" if false else ""))
                continue
            for url in r["urls"]:
                known.add(url)
                res = results.get((run, url))
                if res is None:
                    t.check(False, f"{run}/{r['name']}: {url} has a result (curl ran)")
                    continue
                got = by_url.get(url, [])
                status = None if res["status"] in ("000", "") else int(res["status"])
                if lenient:
                    if r["https"] and check.client_addr(res):
                        lenient_clients.add(check.client_addr(res))
                    t.check(len(got) <= 1 and all(i.get("error") in TLS_ERRORS for i in got),
                            f"{run}/{r['name']} ({label}, needs keys): {url} -> "
                            + (", ".join(f"{i.get('error')}/{i.get('detail')}" for i in got) or "no incident"))
                    continue
                if len(got) != 1:
                    t.check(False, f"{run}/{r['name']} ({label}): one incident for {url} "
                            f"(got {len(got)}; client saw {res['status']})")
                    continue
                inc = got[0]
                want = dict(error=r["error"], detail=r["detail"], kind=r["kind"], status=status)
                have = {k: inc.get(k) for k in want}
                t.check(have == want, f"{run}/{r['name']} ({label}): {url} -> "
                        f"{have['error']}/{have['detail']}/{have['kind']}/{have['status']}"
                        + ("" if have == want else f" (want {want['error']}/{want['detail']}/"
                           f"{want['kind']}/{want['status']})"))
                ca = check.client_addr(res)
                if ca:
                    t.check(inc.get("client") == ca, f"{run}/{r['name']} ({label}): client "
                            f"{inc.get('client')}" + ("" if inc.get("client") == ca else f" (want {ca})"))
        for url, incs in sorted(by_url.items(), key=lambda kv: str(kv[0])):
            if url in known:
                continue
            for inc in incs:
                if url is None and inc.get("client") in lenient_clients and inc.get("error") in TLS_ERRORS:
                    continue  # an HTTPS client leg read without keys: no URL to name
                if url is None and inc.get("client") in pt_clients:
                    continue  # a client passed through (checked above)
                t.check(False, f"{run} ({label}): unexpected incident for {url}: {inc.get('error')}/"
                        f"{inc.get('detail')} status {inc.get('status')} client {inc.get('client')}")


def diagnose(a):
    rows = read_scenarios(a.scenarios)
    results = check.read_results(a.results)
    t = check.Tally(a.verbose)
    one_pass(a, t, rows, results, with_keys=False)
    if a.keylog_pass:
        one_pass(a, t, rows, results, with_keys=True)
    print(f"{t.passed} passed, {t.failed} failed")
    return 1 if t.failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wire", action="store_true")
    ap.add_argument("--why502")
    ap.add_argument("--scenarios")
    ap.add_argument("--results")
    ap.add_argument("--captures", required=True)
    ap.add_argument("--runs", default=" ".join(EXPECTED_RENEG))
    ap.add_argument("--json-out")
    ap.add_argument("--keylog-pass", type=int, default=0)
    ap.add_argument("--print-incidents", action="store_true")
    ap.add_argument("--verbose", "-v", action="store_true")
    a = ap.parse_args()
    if a.wire:
        return wire(a)
    if not (a.why502 and a.scenarios and a.results):
        ap.error("--why502, --scenarios and --results are needed (or --wire)")
    return diagnose(a)


if __name__ == "__main__":
    sys.exit(main())
