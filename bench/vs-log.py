#!/usr/bin/env python3
"""vs-log: why502's incidents on a benchmark capture against the gateway's own log.

The benchmark's gateways (Squid, nginx, HAProxy, Varnish through varnishncsa, Apache) log
every request they answered, in one layout (bench/squid.conf, nginx-gateway.conf,
haproxy-gateway.conf, make-shape.sh for Varnish, apache-gateway.conf; make-shape.sh and
make-capture.sh copy the log beside the capture as FILE.access.log):

    TIME DURATION CLIENT:PORT TAG/STATUS BYTES METHOD URL HIERARCHY err=DETAIL

(a status logged with 0 bytes is shown so: the gateway logged it and sent nothing, as HAProxy
does when it closes the client's connection instead of answering)

Each request the gateway answered 5xx is looked for among why502's incidents (by the client's
address and port and the URL's path), and counted by what the gateway said of it (the URL's
host and the error tag for Squid and nginx, the backend and termination state for HAProxy) and
what why502 said (`detail`). Then every incident (not `unjoined`) whose request the gateway
did not log as 5xx: a failure reported that the gateway's own log does not show.

    bench/vs-log.py [--why502 BIN | --json FILE] [--log LOG] [--hosts] CAPTURE

  --why502 BIN   run BIN --json on CAPTURE (default: build/why502 beside this directory)
  --json FILE    read why502's JSON (one object a line) from FILE instead
  --log LOG      the gateway's log (default: CAPTURE.access.log)
  --hosts        keep each host of a URL apart (default: names made at random, such as the
                 names shape's nosuch-N.bench, are counted as one, nosuch-*.bench)

Prints a Markdown table, then the incidents with no 5xx log line (up to 20). Exit 0 when every
5xx of the log has an incident and every incident a 5xx log line, 1 otherwise, 2 on a usage or
input error.
"""
import collections
import json
import os
import re
import subprocess
import sys


def die(msg):
    print(f"vs-log: {msg}", file=sys.stderr)
    sys.exit(2)


def addr_port(s):
    """'[fd00:1::2]:80' and 'fd00:1::2:80' (nginx, HAProxy, Squid) as one spelling."""
    if s.startswith("["):
        a, _, p = s[1:].partition("]:")
        return f"{a}:{p}"
    return s


def path_of(url):
    """The path and query of an absolute URL, or the target as it is."""
    m = re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/]*(/.*)?$", url)
    if m:
        return m.group(1) or "/"
    return url


def host_of(url, keep):
    m = re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://([^/]*)", url)
    if not m:
        return ""
    h = m.group(1)
    return h if keep else re.sub(r"-\d+(?=\.)", "-*", h)


def main(argv):
    binary, jpath, log, keep, cap = None, None, None, False, None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--why502", "--json", "--log") and i + 1 < len(argv):
            if a == "--why502":
                binary = argv[i + 1]
            elif a == "--json":
                jpath = argv[i + 1]
            else:
                log = argv[i + 1]
            i += 2
        elif a == "--hosts":
            keep = True
            i += 1
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        elif a.startswith("-") or cap:
            die(f"unexpected argument {a!r} (--help)")
        else:
            cap = a
            i += 1
    if not cap:
        die("no capture given (--help)")
    log = log or cap + ".access.log"
    if not os.path.isfile(log):
        die(f"{log}: no such log (make-shape.sh writes FILE.access.log beside FILE)")

    if jpath:
        with open(jpath, encoding="utf-8") as f:
            lines = f.read().splitlines()
    else:
        binary = binary or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "why502")
        r = subprocess.run([binary, "-q", "--json", cap], capture_output=True, text=True)
        if r.returncode not in (0, 1):  # 1: failures found
            die(f"{binary} exited {r.returncode}: {r.stderr.strip()}")
        lines = r.stdout.splitlines()

    incidents = collections.defaultdict(list)  # (client, path) -> incidents, in file order
    for line in lines:
        if not line.strip():
            continue
        d = json.loads(line)
        if d.get("type") != "incident" or d.get("kind") == "unjoined" or not d.get("client"):
            continue
        incidents[(addr_port(d["client"]), path_of(d.get("url") or ""))].append(d)

    nincidents = sum(len(v) for v in incidents.values())
    table = collections.Counter()
    logged_5xx = collections.Counter()
    nlog = 0
    with open(log, encoding="utf-8", errors="replace") as f:
        for line in f:
            v = line.split()
            if len(v) < 9 or "/" not in v[3]:
                continue
            nlog += 1
            status = v[3].rsplit("/", 1)[1]
            key = (addr_port(v[2]), path_of(v[6]))
            if not status.startswith("5"):
                continue
            logged_5xx[key] += 1
            hier = v[7].split("/")
            if v[3].startswith("HAPROXY/") and len(hier) >= 2:
                said = (hier[1], v[8])  # backend, termination state
            else:
                said = (host_of(v[6], keep), v[8])
            got = incidents.get(key)
            if v[4] == "0":  # logged, but not a byte of it sent (HAProxy closes instead)
                status += ", 0 bytes"
            table[said + (status, got.pop(0)["detail"] if got else "(no incident)")] += 1
    if nlog == 0:
        die(f"{log}: no line in the benchmark's layout")

    extra = [d for k, ds in incidents.items() for d in ds]
    print(f"{cap}: {nlog} requests logged, {sum(logged_5xx.values())} answered 5xx; why502: "
          f"{nincidents} incidents")
    print()
    print("| gateway said (host or backend) | its detail | status | why502 `detail` | requests |")
    print("|---|---|---|---|---:|")
    for k in sorted(table):
        print(f"| {k[0]} | {k[1]} | {k[2]} | {k[3]} | {table[k]} |")
    print()
    print(f"incidents whose request the gateway did not log as 5xx: {len(extra)}")
    for d in extra[:20]:
        print(f"  {d['client']} {d.get('method')} {d.get('url')} status {d.get('status')}: {d['detail']}")
    return 0 if not extra and not table_missing(table) else 1


def table_missing(table):
    return sum(n for k, n in table.items() if k[3] == "(no incident)")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
