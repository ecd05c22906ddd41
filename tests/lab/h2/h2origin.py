#!/usr/bin/python3
"""A misbehaving HTTP/2 origin for the HTTP/2 lab (Debian's python3-h2, cleartext h2c with
prior knowledge). What it does depends on the path:
  /ok      200 with a short body
  /rst     RST_STREAM INTERNAL_ERROR, no response
  /goaway  GOAWAY NO_ERROR with a last-stream-id below the stream: never processed
  /hang    nothing: the stream is never answered
  /grpc    a trailers-only gRPC answer, grpc-status 14 UNAVAILABLE
  /*/Ok    a gRPC answer: an empty message, then trailers with grpc-status 0
  /*/Down  as /grpc
  (the gRPC answers, /grpc, /*/Ok and /*/Down, come once the request has ended, as a unary
  gRPC server's do)
  /stall   reads the upload but never opens the window (no WINDOW_UPDATE) and never answers:
           the sender stalls at 0; when the stream is reset the connection window comes back
The data of other streams is acknowledged at once (WINDOW_UPDATE). On port+1 an HTTP/1.1
origin: /ok 200, /hang never answers, /close closes at once. On port+2 an h2c origin that
sends its SETTINGS but never acknowledges the peer's and answers nothing; on port+3 one that
answers the peer's SETTINGS and first request with GOAWAY PROTOCOL_ERROR, last-stream-id 0.

    h2origin.py ADDR PORT"""
import socket
import struct
import sys
import threading

import h2.config
import h2.connection
import h2.errors
import h2.events


def answer(conn, sid, path):
    if path.startswith("/rst"):
        conn.reset_stream(sid, h2.errors.ErrorCodes.INTERNAL_ERROR)
    elif path.startswith("/goaway"):
        conn.close_connection(error_code=h2.errors.ErrorCodes.NO_ERROR,
                              last_stream_id=max(0, sid - 2), additional_data=b"draining")
    elif path.startswith("/hang"):
        pass
    elif path.endswith("/Ok"):
        conn.send_headers(sid, [(":status", "200"), ("content-type", "application/grpc")])
        conn.send_data(sid, b"\0\0\0\0\0")
        conn.send_headers(sid, [("grpc-status", "0")], end_stream=True)
    elif path.startswith("/grpc") or path.endswith("/Down"):
        conn.send_headers(sid, [(":status", "200"), ("content-type", "application/grpc"),
                                ("grpc-status", "14"), ("grpc-message", "backend down")],
                          end_stream=True)
    else:
        conn.send_headers(sid, [(":status", "200"), ("content-length", "3"),
                                ("server", "h2origin")])
        conn.send_data(sid, b"ok\n", end_stream=True)


def grpc_call(path):
    return path.startswith("/grpc") or path.endswith("/Ok") or path.endswith("/Down")


def serve_h2(sock):
    stalled = {}  # stream -> bytes held without WINDOW_UPDATE
    calls = {}  # stream -> path of a gRPC call whose request message has not all come
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
                    if path.startswith("/stall"):
                        stalled[ev.stream_id] = 0
                    elif grpc_call(path):
                        # a unary gRPC server answers once the request message has come: an
                        # answer before the client's DATA makes nginx reset the client's
                        # stream (its request unfinished), a race the lab would lose at times
                        calls[ev.stream_id] = path
                    else:
                        answer(conn, ev.stream_id, path)
                elif isinstance(ev, h2.events.StreamEnded) and ev.stream_id in calls:
                    answer(conn, ev.stream_id, calls.pop(ev.stream_id))
                elif isinstance(ev, h2.events.DataReceived):
                    if ev.stream_id in stalled:
                        stalled[ev.stream_id] += ev.flow_controlled_length
                    elif ev.flow_controlled_length:
                        try:
                            conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                        except h2.exceptions.StreamClosedError:
                            conn.increment_flow_control_window(ev.flow_controlled_length)
                elif isinstance(ev, h2.events.StreamReset) and ev.stream_id in stalled:
                    held = stalled.pop(ev.stream_id)
                    if held:
                        conn.increment_flow_control_window(held)
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


def read_until(sock, ftype):
    """Reads the client preface and frames until one of type ftype; False at EOF."""
    buf = b""
    need = 24
    while True:
        while len(buf) < need + 9:
            data = sock.recv(65535)
            if not data:
                return False
            buf += data
        length = struct.unpack(">I", b"\0" + buf[need:need + 3])[0]
        if buf[need + 3] == ftype:
            return True
        need += 9 + length


def serve_noack(sock):
    try:
        sock.sendall(b"\0\0\0\x04\0\0\0\0\0")  # our SETTINGS, empty
        while sock.recv(65535):
            pass  # the peer's SETTINGS are never acknowledged, nothing is answered
    except OSError:
        pass
    finally:
        sock.close()


def serve_settings_error(sock):
    try:
        sock.sendall(b"\0\0\0\x04\0\0\0\0\0")
        if read_until(sock, 1):  # the first HEADERS: the peer's SETTINGS came before it
            # GOAWAY, last stream 0, PROTOCOL_ERROR
            sock.sendall(b"\0\0\x08\x07\0\0\0\0\0" + struct.pack(">II", 0, 1))
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
    threading.Thread(target=listen, args=(addr, port + 2, serve_noack), daemon=True).start()
    threading.Thread(target=listen, args=(addr, port + 3, serve_settings_error), daemon=True).start()
    listen(addr, port, serve_h2)


if __name__ == "__main__":
    main()
