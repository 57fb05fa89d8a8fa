"""A protobuf and ttrpc frame encoder of our own, independent of the C
code, for the ttrpc tests (test_containerd.py) and the fuzz seeds
(make_fuzz_seeds.py)."""
import struct
import time

REQUEST, RESPONSE, DATA = 1, 2, 3


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def fbytes(num, b):
    """A length-delimited field (string, bytes, message)."""
    if isinstance(b, str):
        b = b.encode()
    return varint(num << 3 | 2) + varint(len(b)) + b


def fvarint(num, v):
    return varint(num << 3) + varint(v & 0xFFFFFFFFFFFFFFFF)


def frame(sid, typ, payload=b"", flags=0):
    return struct.pack(">IIBB", len(payload), sid, typ, flags) + payload


def header(length, sid, typ, flags=0):
    return struct.pack(">IIBB", length, sid, typ, flags)


def request_body(service, method, payload=b"", timeout_ns=0, metadata=()):
    body = fbytes(1, service) + fbytes(2, method)
    if payload:
        body += fbytes(3, payload)
    if timeout_ns:
        body += fvarint(4, timeout_ns)
    for k, v in metadata:
        body += fbytes(5, fbytes(1, k) + fbytes(2, v))
    return body


def request(sid, service, method, payload=b"", **kw):
    return frame(sid, REQUEST, request_body(service, method, payload, **kw))


def response(sid, code=None, message="", payload=b""):
    body = b""
    if code is not None:
        st = (fvarint(1, code) if code else b"") + (fbytes(2, message) if message else b"")
        body += fbytes(1, st)
    if payload:
        body += fbytes(2, payload)
    return frame(sid, RESPONSE, body)


def forward_request(ns="default", topic="/tasks/start", ts=True, cid="cocoon-raw", pid=7):
    """containerd.services.events.ttrpc.v1.ForwardRequest with a TaskStart;
    ts: True = now, False = no timestamp, an int = those seconds."""
    start = fbytes(1, cid) + fvarint(2, pid)
    anyv = fbytes(1, "containerd.events.TaskStart") + fbytes(2, start)
    env = b""
    if ts is not False:
        secs = int(time.time()) if ts is True else ts
        env += fbytes(1, fvarint(1, secs) + fvarint(2, 5))
    env += fbytes(2, ns) + fbytes(3, topic) + fbytes(4, anyv)
    return fbytes(1, env)
