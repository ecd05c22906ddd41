#!/usr/bin/env python3
"""hold-conns.py: many client connections open at once through the benchmark's Squid.

Opens --conns keep-alive connections to the proxy (198.18.1.1:9090) from the client addresses
198.18.1.2-.33, each sending one GET and reading the whole answer, then leaves them idle.
While the ordinary load runs, a quarter of them send a second request (spread over the run),
and --slow connections each download a 16 MB file at about 32 KB/s, so they stay busy the
whole time. When the file --stop exists, writes counts to --report and keeps every socket open
until it is killed: the capture ends with the connections still open, as on a gateway.

Each socket is an open file: where one process may not have --conns of them, several run, each
with its share and its own --id (in the requests' query strings, so no two ask the same URL).

Standard library only (selectors over non-blocking sockets, one thread). Bounded: at most
--conns + --slow sockets, at most 600 connecting at once, every loop ends on --stop or after
--max-time seconds.
"""
import argparse
import os
import selectors
import socket
import sys
import time

PROXY = ("198.18.1.1", 9090)
CLIENTS = ["198.18.1.%d" % h for h in range(2, 34)]


def request(path):
    return ("GET http://www.bench%s HTTP/1.1\r\nHost: www.bench\r\n"
            "User-Agent: why502-bench-hold\r\nAccept: */*\r\n\r\n" % path).encode()


class Conn:
    __slots__ = ("sock", "buf", "need", "state", "slow", "got")

    def __init__(self, sock, slow):
        self.sock = sock
        self.buf = b""
        self.need = -1       # body bytes still to read, -1 while the head is not complete
        self.state = "connecting"
        self.slow = slow
        self.got = 0         # body bytes read (slow downloads)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--conns", type=int, default=20000)
    ap.add_argument("--slow", type=int, default=64)
    ap.add_argument("--stop", required=True)
    ap.add_argument("--report", required=True)
    ap.add_argument("--max-time", type=float, default=3600)
    ap.add_argument("--id", type=int, default=0)
    a = ap.parse_args()
    sel = selectors.DefaultSelector()
    t0 = time.monotonic()
    stats = dict(opened=0, failed=0, answered=0, second_sent=0, second_answered=0, slow_bytes=0)
    conns = []
    pending = 0
    i = 0
    total = a.conns + a.slow
    idle = []   # connections answered and idle, in the order they became so

    def start(n):
        slow = n >= a.conns
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        if slow:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
        s.bind((CLIENTS[n % len(CLIENTS)], 0))
        c = Conn(s, slow)
        try:
            s.connect(PROXY)
        except BlockingIOError:
            pass
        sel.register(s, selectors.EVENT_WRITE, c)
        conns.append(c)

    def handle_read(c):
        try:
            data = c.sock.recv(4096 if c.slow else 65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            c.state = "closed"
            if not c.slow:
                sel.unregister(c.sock)
            return
        if c.need < 0:
            c.buf += data
            end = c.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = c.buf[:end].decode("latin-1").lower()
            body = len(c.buf) - end - 4
            c.buf = b""
            length = 0
            for line in head.split("\r\n"):
                if line.startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            c.need = length - body
        else:
            c.need -= len(data)
        if c.slow:
            c.got += len(data)
            stats["slow_bytes"] += len(data)
        if c.need <= 0:
            c.need = -1
            if c.state == "first":
                stats["answered"] += 1
            elif c.state == "second":
                stats["second_answered"] += 1
            c.state = "idle"
            if not c.slow:
                idle.append(c)

    opened_reported = False
    considered = 0
    last_second = time.monotonic()
    slow_tick = time.monotonic()
    while time.monotonic() - t0 < a.max_time:
        while i < total and pending < 600:
            start(i)
            i += 1
            pending += 1
        for key, ev in sel.select(timeout=0.05):
            c = key.data
            if c.state == "connecting":
                err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    stats["failed"] += 1
                    c.state = "closed"
                    sel.unregister(c.sock)
                    pending -= 1
                    continue
                stats["opened"] += 1
                path = "/big/16.bin" if c.slow else "/f/000.html?c=%d-%d" % (a.id, stats["opened"])
                c.sock.send(request(path))
                c.state = "first"
                if c.slow:   # read on the clock only, below
                    sel.unregister(c.sock)
                else:
                    sel.modify(c.sock, selectors.EVENT_READ, c)
                pending -= 1
            elif ev & selectors.EVENT_READ:
                handle_read(c)
        now = time.monotonic()
        if now - slow_tick >= 0.125:   # slow downloads: 4 KB each per 1/8 s
            slow_tick = now
            for c in conns[a.conns:]:
                if c.state not in ("closed", "connecting"):
                    handle_read(c)
        if not opened_reported and i >= total and pending == 0:
            opened_reported = True
            print("open %d connections (%d failed) after %.1f s" %
                  (stats["opened"], stats["failed"], now - t0), flush=True)
        if opened_reported and idle and now - last_second >= 0.02:
            # a second request on a quarter of the idle connections, about 50 a second
            last_second = now
            c = idle.pop(0)
            considered += 1
            if considered % 4 == 0:
                c.sock.send(request("/f/001.css?second=%d-%d" % (a.id, stats["second_sent"])))
                c.state = "second"
                stats["second_sent"] += 1
        if os.path.exists(a.stop):
            break
    still = sum(1 for c in conns if c.state not in ("closed", "connecting"))
    stats["open_at_stop"] = still
    stats["slow_open_at_stop"] = sum(1 for c in conns[a.conns:] if c.state != "closed")
    with open(a.report, "w") as f:
        for k, v in stats.items():
            f.write("%s=%d\n" % (k, v))
    print("stop: %s" % stats, flush=True)
    # keep every socket open until killed (bounded by --max-time)
    while time.monotonic() - t0 < a.max_time:
        time.sleep(1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
