#!/usr/bin/python3
"""Writes the seeds of the HTTP/2 fuzz target (tests/fuzz/corpus/http2/): conversations between
two python3-h2 state machines (Debian's python3-h2), recorded in the target's input format
(see tests/fuzz/fuzz_http2.c): a control byte, then records of (side, up to 127 bytes).
Deterministic: names are content hashes.

    tests/lab/h2/make-fuzz-seeds.py"""
import hashlib
import os

import h2.config
import h2.connection
import h2.errors
import h2.settings

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "fuzz", "corpus", "http2")


class Convo:
    """A client and a server; every byte either sends is kept in order with its side."""

    def __init__(self):
        self.c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.s = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, validate_inbound_headers=False))
        self.rec = []
        self.c.initiate_connection()
        self.s.initiate_connection()
        self.flush()

    def flush(self):
        for _ in range(8):
            moved = False
            for side, a, b in ((0, self.c, self.s), (1, self.s, self.c)):
                data = a.data_to_send()
                if data:
                    moved = True
                    self.rec.append((side, data))
                    try:
                        b.receive_data(data)
                    except h2.exceptions.ProtocolError:
                        pass
            if not moved:
                return

    def raw(self, side, data):
        self.rec.append((side, data))

    def encode(self):
        out = bytearray([0])  # the preface is in the recorded client bytes
        for side, data in self.rec:
            for i in range(0, len(data), 127):
                part = data[i:i + 127]
                out.append(((len(part) - 1) << 1) | side)
                out += part
        return bytes(out)


def req(path, method="GET", extra=()):
    return [(":method", method), (":scheme", "https"), (":authority", "h2.lab"),
            (":path", path)] + list(extra)


def simple():
    v = Convo()
    v.c.send_headers(1, req("/index.html"), end_stream=True)
    v.flush()
    v.s.send_headers(1, [(":status", "200"), ("server", "nginx"), ("content-length", "5")])
    v.s.send_data(1, b"hello", end_stream=True)
    v.flush()
    return v


def post_trailers():
    v = Convo()
    v.c.send_headers(1, req("/api", "POST", [("content-type", "application/json")]))
    v.c.send_data(1, b'{"a":1}')
    v.c.send_headers(1, [("x-sum", "1")], end_stream=True)
    v.flush()
    v.s.send_headers(1, [(":status", "201")])
    v.s.send_data(1, b"ok")
    v.s.send_headers(1, [("x-trailer", "y")], end_stream=True)
    v.flush()
    return v


def rst():
    v = Convo()
    v.c.send_headers(1, req("/a"), end_stream=True)
    v.c.send_headers(3, req("/b"), end_stream=True)
    v.flush()
    v.s.reset_stream(1, h2.errors.ErrorCodes.REFUSED_STREAM)
    v.c.reset_stream(3, h2.errors.ErrorCodes.CANCEL)
    v.flush()
    return v


def goaway():
    v = Convo()
    for sid in (1, 3, 5):
        v.c.send_headers(sid, req("/g%d" % sid), end_stream=True)
    v.flush()
    v.s.send_headers(1, [(":status", "200")], end_stream=True)
    v.s.close_connection(error_code=h2.errors.ErrorCodes.NO_ERROR, last_stream_id=1,
                         additional_data=b"shutting down")
    v.flush()
    return v


def grpc():
    v = Convo()
    v.c.send_headers(1, req("/pkg.Svc/Get", "POST", [("content-type", "application/grpc"),
                                                     ("te", "trailers")]))
    v.c.send_data(1, b"\0\0\0\0\0", end_stream=True)
    v.flush()
    v.s.send_headers(1, [(":status", "200"), ("content-type", "application/grpc"),
                         ("grpc-status", "14"), ("grpc-message", "upstream connect error")],
                     end_stream=True)
    v.flush()
    return v


def flow():
    v = Convo()
    v.c.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1000})
    v.flush()
    v.c.send_headers(1, req("/big"), end_stream=True)
    v.flush()
    v.s.send_headers(1, [(":status", "200")])
    v.s.send_data(1, b"x" * 1000)
    v.flush()
    v.c.increment_flow_control_window(5000, stream_id=1)
    v.flush()
    v.s.send_data(1, b"y" * 500, end_stream=True)
    v.flush()
    return v


def ping_push_settings():
    v = Convo()
    v.c.ping(b"12345678")
    v.s.update_settings({h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 10,
                         h2.settings.SettingCodes.HEADER_TABLE_SIZE: 8192})
    v.flush()
    v.c.send_headers(1, req("/page"), end_stream=True)
    v.flush()
    v.s.push_stream(1, 2, req("/style.css"))
    v.s.send_headers(1, [(":status", "200")], end_stream=True)
    v.s.send_headers(2, [(":status", "200")], end_stream=True)
    v.flush()
    return v


def many_streams():
    v = Convo()
    for i in range(40):
        v.c.send_headers(1 + 2 * i, req("/s/%d" % i, extra=[("x-n", str(i))]), end_stream=True)
    v.flush()
    for i in range(40):
        v.s.send_headers(1 + 2 * i, [(":status", "503" if i % 7 == 0 else "200")],
                         end_stream=True)
    v.flush()
    return v


def hostile_hpack():
    """Hand-made header blocks after a real start: a huge table size update, an index out of
    range, Huffman padding of zeros."""
    v = Convo()
    blocks = [b"\x3f\xe1\xff\xff\x7f\x82", b"\x82\xfe", b"\x00\x81\x18\x01x"]
    for i, blk in enumerate(blocks):
        sid = 1 + 2 * i
        head = len(blk).to_bytes(3, "big") + bytes([1, 5]) + sid.to_bytes(4, "big")
        v.raw(0, head + blk)
    return v


def main():
    os.makedirs(OUT, exist_ok=True)
    for make in (simple, post_trailers, rst, goaway, grpc, flow, ping_push_settings,
                 many_streams, hostile_hpack):
        blob = make().encode()
        name = hashlib.sha1(blob).hexdigest()[:16]
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(blob)
        print(name, make.__name__, len(blob))


if __name__ == "__main__":
    main()
