#!/usr/bin/env python3
"""Checks with tshark that each lab fault really happened on the wire (independent of why502).

  verify.py --captures DIR [--runs "squid nginx arm haproxy apache varnish caddy"]

Per capture lab-RUN.pcap it looks for the packet evidence of each fault: the DNS answers
(NXDOMAIN, SERVFAIL, REFUSED, NODATA, none), SYNs left unanswered, the RST and ICMP/ICMPv6
errors the firewall sends, what the bad origins send, and that the "no upstream" requests
caused no DNS query and no connection. Last line "N passed, N failed"; exit 1 on failure,
77 when tshark is missing. Stdlib only.
"""
import argparse
import os
import shutil
import subprocess
import sys

FIELDS = ["frame.number", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "tcp.srcport",
          "tcp.dstport", "tcp.flags.syn", "tcp.flags.ack", "tcp.flags.fin", "tcp.flags.reset",
          "tcp.len", "dns.qry.name", "dns.flags.response", "dns.flags.rcode", "dns.count.answers",
          "icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code", "tcp.payload", "sll.pkttype"]


def load(cap):
    p = subprocess.run(["tshark", "-n", "-r", cap, "-T", "fields", "-E", "separator=\t",
                        "-E", "occurrence=a", "-E", "aggregator=,"]
                       + [x for f in FIELDS for x in ("-e", f)],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=120)
    pkts = []
    for line in p.stdout.decode("ascii", "replace").splitlines():
        cols = line.split("\t")
        cols += [""] * (len(FIELDS) - len(cols))
        pk = dict(zip(FIELDS, cols))
        # ICMP errors quote the packet: ip.src/ip.dst then hold "outer,inner".
        for k in ("ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "tcp.srcport", "tcp.dstport"):
            pk[k] = pk[k].split(",")
        pk["src"] = (pk["ip.src"][0] or pk["ipv6.src"][0])
        pk["dst"] = (pk["ip.dst"][0] or pk["ipv6.dst"][0])
        pk["inner_dst"] = (pk["ip.dst"][-1] if len(pk["ip.dst"]) > 1 else
                           pk["ipv6.dst"][-1] if len(pk["ipv6.dst"]) > 1 else "")
        pkts.append(pk)
    return pkts


def dns(pkts, name, resp):
    return [p for p in pkts if p["dns.qry.name"] == name and p["dns.flags.response"] in
            (("1", "True") if resp else ("0", "False"))]


def tcp_from(pkts, src, flag=None, data=None):
    out = [p for p in pkts if p["src"] == src and p["tcp.srcport"][0] != ""]
    if flag:
        out = [p for p in out if p[flag] in ("1", "True")]
    if data is not None:
        out = [p for p in out if (int(p["tcp.len"] or 0) > 0) == data]
    return out


def syns_to(pkts, dst):
    return [p for p in pkts if p["dst"] == dst and p["tcp.flags.syn"] in ("1", "True")
            and p["tcp.flags.ack"] in ("0", "False") and p["inner_dst"] == ""]


def icmp_for(pkts, inner, v6, code):
    if v6:
        return [p for p in pkts if p["icmpv6.type"] == "1" and p["icmpv6.code"] == code
                and p["inner_dst"] == inner]
    return [p for p in pkts if p["icmp.type"] == "3" and p["icmp.code"] == code
            and p["inner_dst"] == inner]


def checks_for(run):
    """(what, predicate(pkts)) for one run; names and addresses as in unbound.conf/run-lab.sh."""
    c = []
    if run in ("squid", "nginx"):
        c += [
            ("NXDOMAIN for nx.lab", lambda p: any(x["dns.flags.rcode"] == "3" for x in dns(p, "nx.lab", True))),
            ("SERVFAIL for servfail.lab", lambda p: any(x["dns.flags.rcode"] == "2" for x in dns(p, "servfail.lab", True))),
            ("REFUSED for refused.lab", lambda p: any(x["dns.flags.rcode"] == "5" for x in dns(p, "refused.lab", True))),
            ("NODATA for nodata.lab", lambda p: dns(p, "nodata.lab", True) and all(
                x["dns.flags.rcode"] == "0" and x["dns.count.answers"] == "0" for x in dns(p, "nodata.lab", True))),
            ("noanswer.lab: queries sent (A and AAAA), never answered",
             lambda p: len(dns(p, "noanswer.lab", False)) >= 2 and not dns(p, "noanswer.lab", True)),
            ("SYNs to 198.19.0.11 retransmitted, no SYN-ACK",
             lambda p: len({x["tcp.srcport"][0] for x in syns_to(p, "198.19.0.11")}) <
             len(syns_to(p, "198.19.0.11")) and not tcp_from(p, "198.19.0.11")),
            ("RST from 198.19.0.12 (refused)", lambda p: tcp_from(p, "198.19.0.12", "tcp.flags.reset")),
            ("ICMP admin prohibited (13) for 198.19.0.13", lambda p: icmp_for(p, "198.19.0.13", False, "13")),
            ("ICMP host prohibited (10) for 198.19.0.14", lambda p: icmp_for(p, "198.19.0.14", False, "10")),
            ("ICMPv6 admin prohibited (1/1) for fd00:19::15", lambda p: icmp_for(p, "fd00:19::15", True, "1")),
            ("ICMP host unreachable (1) for 198.19.0.16", lambda p: icmp_for(p, "198.19.0.16", False, "1")),
            ("SSH banner from 198.19.0.20", lambda p: any(x["tcp.payload"].startswith("5353482d322e30")
                                                          for x in tcp_from(p, "198.19.0.20"))),
            ("TLS alert from 198.19.0.21", lambda p: any(x["tcp.payload"].startswith("15030100020246")
                                                         for x in tcp_from(p, "198.19.0.21"))),
            ("198.19.0.22 FIN, no data", lambda p: tcp_from(p, "198.19.0.22", "tcp.flags.fin")
             and not tcp_from(p, "198.19.0.22", data=True)),
            ("198.19.0.23 RST, no data", lambda p: tcp_from(p, "198.19.0.23", "tcp.flags.reset")
             and not tcp_from(p, "198.19.0.23", data=True)),
            ("198.19.0.24 data then RST", lambda p: tcp_from(p, "198.19.0.24", data=True)
             and tcp_from(p, "198.19.0.24", "tcp.flags.reset")),
            ("198.19.0.25 data then FIN", lambda p: tcp_from(p, "198.19.0.25", data=True)
             and tcp_from(p, "198.19.0.25", "tcp.flags.fin")),
            ("198.19.0.26 never sends data", lambda p: syns_to(p, "198.19.0.26")
             and not tcp_from(p, "198.19.0.26", data=True)),
            ("198.19.0.27 sends its own 500", lambda p: any(x["tcp.payload"].startswith(
                "485454502f312e3120353030") for x in tcp_from(p, "198.19.0.27"))),
            ("slow origin 198.19.0.28 never answered in time", lambda p: syns_to(p, "198.19.0.28")
             and not tcp_from(p, "198.19.0.28", data=True)),
            ("client leg over IPv6 (fd00:1::2)", lambda p: any(x["src"] == "fd00:1::2" for x in p)),
            ("good origin over IPv6 (fd00:19::10)", lambda p: tcp_from(p, "fd00:19::10", data=True)),
        ]
    reverse = ("haproxy", "apache", "varnish", "caddy")
    if run in reverse:
        c += [
            ("RST from 198.19.0.12 (refused)", lambda p: tcp_from(p, "198.19.0.12", "tcp.flags.reset")),
            ("SYNs to 198.19.0.11 unanswered", lambda p: syns_to(p, "198.19.0.11")
             and not tcp_from(p, "198.19.0.11")),
            ("ICMP admin prohibited (13) for 198.19.0.13", lambda p: icmp_for(p, "198.19.0.13", False, "13")),
            ("ICMPv6 admin prohibited (1/1) for fd00:19::15", lambda p: icmp_for(p, "fd00:19::15", True, "1")),
            ("198.19.0.24 data then RST", lambda p: tcp_from(p, "198.19.0.24", data=True)
             and tcp_from(p, "198.19.0.24", "tcp.flags.reset")),
            ("198.19.0.26 never sends data", lambda p: syns_to(p, "198.19.0.26")
             and not tcp_from(p, "198.19.0.26", data=True)),
            ("health checks sent to 198.19.0.12 (Varnish: .17) and 198.19.0.27 (GET /health or SYN)",
             lambda p: syns_to(p, "198.19.0.17" if run == "varnish" else "198.19.0.12")
             and syns_to(p, "198.19.0.27")),
        ]
    if run in ("haproxy", "caddy", "apache", "nginx"):
        c += [("bighead origin 198.19.0.30 sent its 24 KB head",
               lambda p: sum(int(x["tcp.len"] or 0) for x in tcp_from(p, "198.19.0.30")) > 24000)]
    if run in ("squid", "nginx", "haproxy", "apache", "varnish", "caddy"):
        c += [("kept-alive origin 198.19.0.29 closes (FIN) a connection",
               lambda p: tcp_from(p, "198.19.0.29", "tcp.flags.fin"))]
    if run in ("squid", "nginx", "apache", "caddy", "haproxy"):
        c += [("he.lab: RST from fd00:19::12 or no IPv6 tried", lambda p: tcp_from(
            p, "fd00:19::12", "tcp.flags.reset") or not syns_to(p, "fd00:19::12"))]
    if run == "haproxy":
        c += [("resolvers: NXDOMAIN for nx.lab asked in the background",
               lambda p: any(x["dns.flags.rcode"] == "3" for x in dns(p, "nx.lab", True))),
              ("resolvers: SERVFAIL for servfail.lab",
               lambda p: any(x["dns.flags.rcode"] == "2" for x in dns(p, "servfail.lab", True)))]
    if run in ("apache", "caddy"):
        c += [("NXDOMAIN for nx.lab (libc / Go resolver)",
               lambda p: any(x["dns.flags.rcode"] == "3" for x in dns(p, "nx.lab", True)))]
    if run == "squid":
        c += [("nodirect.lab: no DNS query, no upstream", lambda p: not dns(p, "nodirect.lab", False))]
    if run == "nginx":
        c += [("down.lab/maint.lab: no DNS query", lambda p: not dns(p, "down.lab", False)
               and not dns(p, "maint.lab", False))]
    if run == "arm":
        c += [("data then RST from 198.19.0.24 among the good ones",
               lambda p: tcp_from(p, "198.19.0.24", data=True) and tcp_from(p, "198.19.0.24", "tcp.flags.reset")),
              ("both legs on one interface", lambda p: any(x["dst"] == "198.19.0.1" and x["tcp.dstport"][0] == "9090"
                                                           for x in p) and tcp_from(p, "198.19.0.10", data=True))]
    return c


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--captures", required=True)
    ap.add_argument("--runs", default="squid nginx arm haproxy apache varnish caddy")
    a = ap.parse_args()
    if not shutil.which("tshark"):
        print("verify: SKIP: tshark not installed")
        return 77
    passed = failed = 0
    for run in a.runs.split():
        cap = os.path.join(a.captures, f"lab-{run}.pcap")
        if not os.path.exists(cap):
            continue
        pkts = load(cap)
        for what, pred in checks_for(run):
            ok = bool(pred(pkts))
            passed += ok
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'}  {run}: {what}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
