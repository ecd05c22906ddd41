#!/usr/bin/env python3
"""Small captures written here byte by byte (raw IPv4), for behaviour no real capture of the
project shows yet. Each case: the packets, and what why502 --json must say.

  search-list  a resolver's search list tries www.example.corp.test (NXDOMAIN) before
               www.example (answered): no failure; nosuch.example (NXDOMAIN): one.
  dns-tcp      two lookups whose UDP answers are truncated (TC) are asked again over TCP
               (RFC 7766: a 2-byte length before each message, split across segments): the
               first is answered with an address (no failure, the TC answer is not NODATA),
               the second NXDOMAIN over TCP (one incident, its exchange a TCP one).
  keepalive    3,000 requests for one URL in 1.5 s on one kept-alive connection (a load tool
               with keep-alive, no gateway between), the 2,500th answered 502: every request
               is tracked (each success waits --settle for its decision, so the connection
               holds thousands at once) and the one failure is reported.
  client-gone  three requests through a gateway that the origin never answers: the client
               closes 12 ms after its request and the gateway, whose own request went 4 ms
               after it, closes its upstream connection 1 ms later, the origin's FIN after
               it (a client giving up, not the origin closing: the gateway's FIN came soon
               after its own request only because the client left); the client closes 5 ms
               after its request (a FIN that soon may
               be a half-close) and the gateway closes upstream 2 ms later (it took the FIN
               as the client leaving: a 499 too); the client half-closes 1 ms after its
               request and the gateway waits 30 s before closing upstream (its timeout: the
               origin's silence, not the client).
  half-close   no gateway: a client half-closes 3 ms after its request and the server closes
               2 ms later without answering: the server's close (README: the wait runs until
               the server answers, closes or resets), not the client giving up.
  dropped      300 requests for one URL in 60 s through a gateway (bench/make-flood.py
               --dropped): each one's SYN upstream, sent 0.1 ms after it, draws nothing and the
               gateway answers 504 0.999 s later (a 1 s connect timeout); the requests come at
               random within their turns, five a second, so their tries keep a rough beat: each
               is its request's own connection_timeout, not a check of the gateway's.
  dropped-busy the same with 3,000 requests, fifty a second: fifty wait at once, more than the
               match of final tries holds; each keeps its own try still.
  dropped-slow the same with 60, 90 and 120 requests, one to two a second: a request answered
               just after the next one's dial keeps its one try; the next one's dial is the
               next one's, not a retry.
Last line: "N passed, N failed"."""
import argparse, json, os, struct, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))  # LINKTYPE_RAW
        for t, fr in frames:
            f.write(struct.pack("<IIII", int(t), int((t % 1) * 1e6), len(fr), len(fr)))
            f.write(fr)


def ipv4(src, dst, proto, payload):
    return struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0, 64, proto, 0,
                       bytes(src), bytes(dst)) + payload


def dns(qid, name, qtype, rcode=None, addr=None):
    flags = 0x0100 if rcode is None else 0x8180 | rcode
    q = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack(">HH", qtype, 1)
    an = b""
    if addr:
        an = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + bytes(addr)
    return struct.pack(">HHHHHH", qid, flags, 1, 1 if addr else 0, 0, 0) + q + an


def udp(sport, dport, payload):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp(sport, dport, seq, ack, flags, payload=b""):
    return struct.pack(">HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload


def dns_tcp(tmp):
    cli, srv = [198, 18, 9, 2], [198, 18, 9, 53]
    frames, t = [], 1700000000.0
    for qid, name, rcode, addr in ((7, "a.example", 0, [198, 18, 9, 80]), (8, "b.example", 3, None)):
        q = dns(qid, name, 1)
        tc = bytearray(dns(qid, name, 1, 0))
        tc[2] |= 0x02  # TC
        frames.append((t, ipv4(cli, srv, 17, udp(40000 + qid, 53, q))))
        frames.append((t + 0.001, ipv4(srv, cli, 17, udp(53, 40000 + qid, bytes(tc)))))
        sp = 41000 + qid
        ans = dns(qid, name, 1, rcode, addr)
        qm, am = struct.pack(">H", len(q)) + q, struct.pack(">H", len(ans)) + ans
        frames += [(t + 0.002, ipv4(cli, srv, 6, tcp(sp, 53, 1000, 0, 0x02))),
                   (t + 0.003, ipv4(srv, cli, 6, tcp(53, sp, 5000, 1001, 0x12))),
                   (t + 0.004, ipv4(cli, srv, 6, tcp(sp, 53, 1001, 5001, 0x10))),
                   (t + 0.005, ipv4(cli, srv, 6, tcp(sp, 53, 1001, 5001, 0x18, qm[:1]))),
                   (t + 0.006, ipv4(cli, srv, 6, tcp(sp, 53, 1002, 5001, 0x18, qm[1:]))),
                   (t + 0.007, ipv4(srv, cli, 6, tcp(53, sp, 5001, 1001 + len(qm), 0x18, am))),
                   (t + 0.008, ipv4(cli, srv, 6, tcp(sp, 53, 1001 + len(qm), 5001 + len(am), 0x11))),
                   (t + 0.009, ipv4(srv, cli, 6, tcp(53, sp, 5001 + len(am), 1002 + len(qm), 0x11)))]
        t += 1
    path = os.path.join(tmp, "dns-tcp.pcap")
    pcap(path, frames)
    return path, lambda incs, summ: [(i["detail"], i["upstream"]["host"], i["upstream"]["dns_queries"],
                                sorted(c["proto"] for c in i.get("conns", []))) for i in incs] == \
        [("nxdomain", "b.example", 1, ["tcp"])]


def search_list(tmp):
    cli, srv = [198, 18, 9, 2], [198, 18, 9, 53]
    frames, t = [], 1700000000.0
    for qid, name, rcode, addr in ((1, "www.example.corp.test", 3, None), (2, "www.example", 0, [198, 18, 9, 80]),
                                   (3, "nosuch.example", 3, None)):
        frames.append((t, ipv4(cli, srv, 17, udp(40000 + qid, 53, dns(qid, name, 1)))))
        frames.append((t + 0.01, ipv4(srv, cli, 17, udp(53, 40000 + qid, dns(qid, name, 1, rcode, addr)))))
        t += 1
    path = os.path.join(tmp, "search-list.pcap")
    pcap(path, frames)
    return path, lambda incs, summ: [(i["error"], i["detail"], i["upstream"]["host"]) for i in incs] == \
        [("dns_error", "nxdomain", "nosuch.example")]


def keepalive(tmp):
    cli, srv = [198, 18, 9, 2], [198, 18, 9, 80]
    req = b"GET /api/v1/items HTTP/1.1\r\nHost: api.example\r\n\r\n"
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    bad = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 3\r\n\r\nbad"
    t, step = 1700000000.0, 0.0005
    cs, ss = 1000, 5000
    frames = [(t, ipv4(cli, srv, 6, tcp(40000, 80, cs, 0, 0x02))),
              (t + 0.0001, ipv4(srv, cli, 6, tcp(80, 40000, ss, cs + 1, 0x12))),
              (t + 0.0002, ipv4(cli, srv, 6, tcp(40000, 80, cs + 1, ss + 1, 0x10)))]
    cs, ss, n = cs + 1, ss + 1, 3000
    for i in range(n):
        at = t + 0.001 + i * step
        resp = bad if i == 2499 else ok
        frames.append((at, ipv4(cli, srv, 6, tcp(40000, 80, cs, ss, 0x18, req))))
        cs += len(req)
        frames.append((at + 0.0002, ipv4(srv, cli, 6, tcp(80, 40000, ss, cs, 0x18, resp))))
        ss += len(resp)
        frames.append((at + 0.0003, ipv4(cli, srv, 6, tcp(40000, 80, cs, ss, 0x10))))
    path = os.path.join(tmp, "keepalive.pcap")
    pcap(path, frames)
    return path, lambda incs, summ: (
        summ.get("requests") == n and summ.get("caps_hit", {}).get("requests_not_tracked") == 0 and
        [(i.get("status"), i.get("url")) for i in incs] == [(502, "http://api.example/api/v1/items")])


def client_gone(tmp):
    cli, gw, srv = [198, 18, 9, 2], [198, 18, 9, 1], [198, 19, 9, 80]
    req = b"GET /slow HTTP/1.1\r\nHost: www.example\r\n\r\n"
    frames = []

    def one(t, port, up_at, client_fin, gw_close):
        # (times after the client's request, at t + 1 ms)
        cs, ss, us, vs = 1000, 5000, 7000, 9000
        up, u = port + 1000, t + 0.001 + up_at
        frames.extend([
            (t, ipv4(cli, gw, 6, tcp(port, 8080, cs, 0, 0x02))),
            (t + 0.0001, ipv4(gw, cli, 6, tcp(8080, port, ss, cs + 1, 0x12))),
            (t + 0.0002, ipv4(cli, gw, 6, tcp(port, 8080, cs + 1, ss + 1, 0x10))),
            (t + 0.001, ipv4(cli, gw, 6, tcp(port, 8080, cs + 1, ss + 1, 0x18, req))),
            (u, ipv4(gw, srv, 6, tcp(up, 80, us, 0, 0x02))),
            (u + 0.0001, ipv4(srv, gw, 6, tcp(80, up, vs, us + 1, 0x12))),
            (u + 0.0002, ipv4(gw, srv, 6, tcp(up, 80, us + 1, vs + 1, 0x10))),
            (u + 0.0003, ipv4(gw, srv, 6, tcp(up, 80, us + 1, vs + 1, 0x18, req))),
            (t + 0.001 + client_fin, ipv4(cli, gw, 6, tcp(port, 8080, cs + 1 + len(req), ss + 1, 0x11))),
            (t + 0.001 + gw_close, ipv4(gw, srv, 6, tcp(up, 80, us + 1 + len(req), vs + 1, 0x11))),
            (t + 0.001 + gw_close + 0.0001, ipv4(gw, cli, 6, tcp(8080, port, ss + 1, cs + 2 + len(req), 0x11))),
            (t + 0.001 + gw_close + 0.0002, ipv4(srv, gw, 6, tcp(80, up, vs + 1, us + 2 + len(req), 0x11)))])

    one(1700000000.0, 40001, 0.004, 0.012, 0.013)
    one(1700000010.0, 40002, 0.0002, 0.005, 0.007)
    one(1700000020.0, 40003, 0.0002, 0.001, 30.0)
    frames.sort(key=lambda f: f[0])
    path = os.path.join(tmp, "client-gone.pcap")
    pcap(path, frames)
    return path, lambda incs, summ: [(i["detail"], i["kind"]) for i in incs] == \
        [("client_abort", "client"), ("client_abort", "client"), ("no_response", "gateway")]


def half_close(tmp):
    cli, srv = [198, 18, 9, 2], [198, 19, 9, 80]
    req = b"GET /slow HTTP/1.1\r\nHost: www.example\r\n\r\n"
    t, cs, ss = 1700000000.0, 1000, 5000
    frames = [(t, ipv4(cli, srv, 6, tcp(40001, 80, cs, 0, 0x02))),
              (t + 0.0001, ipv4(srv, cli, 6, tcp(80, 40001, ss, cs + 1, 0x12))),
              (t + 0.0002, ipv4(cli, srv, 6, tcp(40001, 80, cs + 1, ss + 1, 0x10))),
              (t + 0.001, ipv4(cli, srv, 6, tcp(40001, 80, cs + 1, ss + 1, 0x18, req))),
              (t + 0.004, ipv4(cli, srv, 6, tcp(40001, 80, cs + 1 + len(req), ss + 1, 0x11))),
              (t + 0.006, ipv4(srv, cli, 6, tcp(80, 40001, ss + 1, cs + 2 + len(req), 0x11)))]
    path = os.path.join(tmp, "half-close.pcap")
    pcap(path, frames)
    return path, lambda incs, summ: [(i["detail"], i["kind"]) for i in incs] == [("closed", "origin")]


def dropped(tmp, n=300):
    path = os.path.join(tmp, "dropped-%d.pcap" % n)
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "make-flood.py"), path, str(n), "--gateway",
                    "--dropped"], check=True, timeout=60)
    return path, lambda incs, summ: (
        len(incs) == n and all((i.get("error"), i.get("detail"), i.get("status"), i["upstream"]["attempts"]) ==
                               ("connection_timeout", "syn_unanswered", 504, 1) for i in incs))


def dropped_busy(tmp):
    return dropped(tmp, 3000)


def dropped_slow(tmp):
    cases = [dropped(tmp, n) for n in (60, 90, 120)]
    return cases[0][0], None, cases


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--why502", default=os.path.join(ROOT, "build", "why502"))
    a = ap.parse_args()
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="why502-synthetic-") as tmp:
        for name, case in (("search-list", search_list), ("dns-tcp", dns_tcp), ("keepalive", keepalive),
                           ("client-gone", client_gone), ("half-close", half_close), ("dropped", dropped),
                           ("dropped-busy", dropped_busy), ("dropped-slow", dropped_slow)):
            made = case(tmp)
            for path, ok in (made[2] if len(made) == 3 else [made]):
                p = subprocess.run([a.why502, "--json", "-q", path], capture_output=True, timeout=60)
                objs = list(map(json.loads, p.stdout.decode().splitlines()))
                incs = [o for o in objs if o.get("type") == "incident"]
                summ = next((o for o in objs if o.get("type") == "summary"), {})
                label = name if len(made) == 2 else f"{name} ({os.path.basename(path)})"
                if ok(incs, summ):
                    passed += 1
                    print(f"ok   {label}")
                else:
                    failed += 1
                    print(f"FAIL {label}: {len(incs)} incidents: " +
                          "; ".join(f"{i['error']}/{i['detail']}/{i['kind']} {i['upstream']}" for i in incs[:8]) +
                          ("; ..." if len(incs) > 8 else "") + f" (requests {summ.get('requests')}, caps {summ.get('caps_hit')})")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
