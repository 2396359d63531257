"""The stdlib wire under HttpClient: decoding, framing, keep-alive and its failure modes,
against a real loopback socket (tests/test_http.py covers HttpClient over MockTransport)."""

from __future__ import annotations

import gzip
import socket
import threading
import zlib
from collections.abc import Callable, Iterator

import httpx
import pytest

from pantau.httpwire import StdlibWire

BODY = ("<html>halo dunia " * 2000 + "</html>").encode()


def _raw_server(answer: Callable[[int], bytes | None]) -> Iterator[tuple[str, list[int]]]:
    """A server answering the n-th request (over all connections) with `answer(n)` raw bytes
    (closing after a "Connection: close" one); None closes the connection without answering.
    Yields (base URL, accepted connections)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    accepted: list[int] = []
    count = [0]

    def serve(conn: socket.socket) -> None:
        with conn:
            buf = b""
            while True:
                while b"\r\n\r\n" not in buf:
                    data = conn.recv(65536)
                    if not data:
                        return
                    buf += data
                _, buf = buf.split(b"\r\n\r\n", 1)
                count[0] += 1
                out = answer(count[0])
                if out is None:
                    return
                conn.sendall(out)
                if b"Connection: close" in out:
                    return

    def accept() -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            accepted.append(1)
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", accepted
    finally:
        sock.close()


def _response(body: bytes, *headers: str, status: str = "200 OK") -> bytes:
    head = [f"HTTP/1.1 {status}", *headers]
    if not any(h.lower().startswith(("content-length", "transfer-encoding")) for h in headers):
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def _get(wire: StdlibWire, url: str) -> tuple[int, dict[str, str], bytes]:
    with wire.stream(url, {}) as r:
        return r.status_code, dict(r.headers), b"".join(r.iter_bytes())


@pytest.fixture
def wire() -> Iterator[StdlibWire]:
    w = StdlibWire(connect_timeout=2, read_timeout=2, headers={"User-Agent": "t"})
    yield w
    w.close()


@pytest.mark.parametrize("encoding,encoded", [
    ("gzip", gzip.compress(BODY)),
    ("deflate", zlib.compress(BODY)),
    ("deflate", zlib.compress(BODY)[2:-4]),      # raw deflate, as some servers send it
    ("identity", BODY),
    ("br", b"not-decoded"),                      # unknown: passed through, as httpx does
])
def test_bodies_are_decoded(wire: StdlibWire, encoding: str, encoded: bytes) -> None:
    for base, _ in _raw_server(lambda n: _response(encoded, f"Content-Encoding: {encoding}")):
        status, headers, body = _get(wire, base + "/x")
    assert status == 200 and headers["content-encoding"] == encoding
    assert body == (b"not-decoded" if encoding == "br" else BODY)


def test_chunked_body_and_repeated_headers(wire: StdlibWire) -> None:
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (BODY[:5000], BODY[5000:])) + \
        b"0\r\n\r\n"
    answer = _response(chunked, "Transfer-Encoding: chunked", "Link: <a>; rel=next",
                       "link: <b>; rel=prev", "X-Folded: one", "\ttwo")
    for base, _ in _raw_server(lambda n: answer):
        status, headers, body = _get(wire, base + "/x")
    assert body == BODY
    assert headers["link"] == "<a>; rel=next, <b>; rel=prev"   # as httpx joins them
    assert headers["x-folded"] == "one two"


def test_connections_are_kept_alive_and_reopened_when_the_server_closed_them(
        wire: StdlibWire) -> None:
    # Requests 1-3 on one connection; the server then drops it unanswered (an idle timeout
    # racing our reuse): the GET goes again on a new connection, unseen by the caller.
    for base, accepted in _raw_server(lambda n: None if n == 4 else _response(b"ok %d" % n)):
        bodies = [_get(wire, base + f"/{i}")[2] for i in range(5)]
    assert bodies == [b"ok 1", b"ok 2", b"ok 3", b"ok 5", b"ok 6"]
    assert len(accepted) == 2


def test_cut_bodies_and_silent_servers_are_transport_errors(wire: StdlibWire) -> None:
    cut = _response(BODY, f"Content-Length: {len(BODY) + 10}", "Connection: close")
    for base, _ in _raw_server(lambda n: cut):
        with pytest.raises(httpx.RemoteProtocolError, match="complete message body"):
            _get(wire, base + "/x")
    for base, _ in _raw_server(lambda n: None):
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            _get(wire, base + "/x")
    for base, _ in _raw_server(lambda n: _response(b"garbage", "Content-Encoding: gzip")):
        with pytest.raises(httpx.DecodingError):
            _get(wire, base + "/x")


def test_refused_connection_is_a_connect_error(wire: StdlibWire) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    with pytest.raises(httpx.ConnectError):
        _get(wire, f"http://127.0.0.1:{port}/x")


def test_slow_server_is_a_read_timeout() -> None:
    wire = StdlibWire(connect_timeout=1, read_timeout=0.2, headers={})
    gate = threading.Event()

    def late(n: int) -> bytes:
        gate.wait(2)
        return _response(b"late")

    try:
        for base, _ in _raw_server(late):
            with pytest.raises(httpx.ReadTimeout):
                _get(wire, base + "/x")
            gate.set()
    finally:
        wire.close()
