#!/usr/bin/env python3
"""stall-origin.py: an origin that accepts connections and never answers.

Listens on --addr (default 198.19.0.19) port --port (default 80), accepts every connection,
reads and drops what comes and answers nothing; a connection is closed when its peer closes
it (the gateway giving up after its read timeout). The gateway's request waits its whole
timeout, as on an origin that hangs. When the file --stop exists, writes its counts to
--report and goes on as before: the connections still waiting stay open until it is killed
(after the capture), as the origin's would.

Standard library only (selectors over non-blocking sockets, one thread). Bounded: at most
--max-conns sockets open (past that, new ones are closed at once), ends after --max-time
seconds.
"""
import argparse
import os
import selectors
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--addr", default="198.19.0.19")
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--stop", default="")
    ap.add_argument("--report", default="")
    ap.add_argument("--max-time", type=float, default=7200.0)
    ap.add_argument("--max-conns", type=int, default=8000)
    a = ap.parse_args()

    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.addr, a.port))
    ls.listen(4096)
    ls.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ, None)
    print("listening %s:%d" % (a.addr, a.port), flush=True)
    t_end = time.monotonic() + a.max_time
    accepted = closed = 0
    reported = False
    while time.monotonic() < t_end:
        if not reported and a.stop and os.path.exists(a.stop):
            reported = True
            if a.report:
                with open(a.report, "w") as f:
                    f.write("accepted=%d closed=%d open=%d\n" % (accepted, closed, len(sel.get_map()) - 1))
        for key, _ in sel.select(timeout=0.5):
            if key.data is None:
                for _ in range(64):
                    try:
                        c, _ = ls.accept()
                    except (BlockingIOError, InterruptedError):
                        break
                    accepted += 1
                    if len(sel.get_map()) > a.max_conns:
                        c.close()
                        closed += 1
                        continue
                    c.setblocking(False)
                    sel.register(c, selectors.EVENT_READ, True)
            else:
                c = key.fileobj
                try:
                    d = c.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    d = b""
                if not d:
                    sel.unregister(c)
                    c.close()
                    closed += 1
    print("accepted=%d closed=%d open=%d" % (accepted, closed, len(sel.get_map()) - 1), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
