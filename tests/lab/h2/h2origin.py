#!/usr/bin/python3
"""A misbehaving HTTP/2 origin for the HTTP/2 lab (Debian's python3-h2, cleartext h2c with
prior knowledge). What it does depends on the path:
  /ok      200 with a short body
  /rst     RST_STREAM INTERNAL_ERROR, no response
  /goaway  GOAWAY NO_ERROR with a last-stream-id below the stream: never processed
  /hang    nothing: the stream is never answered
  /grpc    a trailers-only gRPC answer, grpc-status 14 UNAVAILABLE
and, on port+1, an HTTP/1.1 origin: /ok 200, /hang never answers, /close closes at once.

    h2origin.py ADDR PORT"""
import socket
import sys
import threading

import h2.config
import h2.connection
import h2.errors
import h2.events


def serve_h2(sock):
    conn = h2.connection.H2Connection(
        h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    try:
        while True:
            data = sock.recv(65535)
            if not data:
                return
            for ev in conn.receive_data(data):
                if isinstance(ev, h2.events.RequestReceived):
                    path = dict(ev.headers).get(":path", "/")
                    sid = ev.stream_id
                    if path.startswith("/rst"):
                        conn.reset_stream(sid, h2.errors.ErrorCodes.INTERNAL_ERROR)
                    elif path.startswith("/goaway"):
                        conn.close_connection(error_code=h2.errors.ErrorCodes.NO_ERROR,
                                              last_stream_id=max(0, sid - 2),
                                              additional_data=b"draining")
                    elif path.startswith("/hang"):
                        pass
                    elif path.startswith("/grpc"):
                        conn.send_headers(sid, [(":status", "200"),
                                                ("content-type", "application/grpc"),
                                                ("grpc-status", "14"),
                                                ("grpc-message", "backend down")],
                                          end_stream=True)
                    else:
                        conn.send_headers(sid, [(":status", "200"), ("content-length", "3"),
                                                ("server", "h2origin")])
                        conn.send_data(sid, b"ok\n", end_stream=True)
            out = conn.data_to_send()
            if out:
                sock.sendall(out)
    except (OSError, h2.exceptions.ProtocolError):
        return
    finally:
        sock.close()


def serve_h1(sock):
    try:
        buf = b""
        while b"\r\n\r\n" not in buf:
            data = sock.recv(65535)
            if not data:
                return
            buf += data
        path = buf.split(b" ", 2)[1]
        if path.startswith(b"/hang"):
            sock.recv(1)  # until the gateway gives up
        elif path.startswith(b"/close"):
            pass
        else:
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
    except OSError:
        pass
    finally:
        sock.close()


def listen(addr, port, handler):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(64)
    while True:
        s, _ = ls.accept()
        threading.Thread(target=handler, args=(s,), daemon=True).start()


def main():
    addr, port = sys.argv[1], int(sys.argv[2])
    threading.Thread(target=listen, args=(addr, port + 1, serve_h1), daemon=True).start()
    listen(addr, port, serve_h2)


if __name__ == "__main__":
    main()
