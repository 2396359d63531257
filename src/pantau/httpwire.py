"""The wire under `pantau.http.HttpClient`: HTTP/1.1 GETs on kept-alive connections.

`HttpClient` decides *what* to fetch (allowed hosts, rate limits, retries, redirects, size
limits); a wire only sends one GET and hands back the answer. Two wires exist:

- `StdlibWire` (the default, every real request): sockets kept alive per (scheme, host, port)
  and reused; `http.client` connects them (TLS verified with certifi's roots, as httpx does)
  and reads the answers; the request head is written in one piece. A loopback GET costs
  about 0.15 ms of CPU this way against about 0.6 ms through `httpx.Client` (bench/e2e.py
  sends ~16,000 of them at demo scale ×10), which is why real sockets skip httpx.
- `HttpxWire`: an `httpx.Client` over an injected transport (`httpx.MockTransport` in tests
  and in the reliability suite).

Both raise httpx's exception types (`httpx.ConnectError`, `httpx.ReadTimeout`,
`httpx.RemoteProtocolError`, ...), so retry decisions and messages do not depend on the wire.
Both are safe to share between threads: a connection serves one request at a time.
"""

from __future__ import annotations

import http.client
import itertools
import re
import select
import socket
import ssl
import threading
import zlib
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol
from urllib.parse import urlsplit

import httpx

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
READ_CHUNK = 64 * 1024
# Decoded bytes handed out per piece: a gzip bomb is cut by the caller's size limit after at
# most this much more, never inflated whole into memory.
DECODED_PIECE = 1024 * 1024
MAX_IDLE_PER_HOST = 8


class WireResponse(Protocol):
    status_code: int
    headers: Mapping[str, str]      # names in lower case

    @property
    def is_redirect(self) -> bool: ...

    def iter_bytes(self) -> Iterator[bytes]:
        """The body, content-decoded (gzip, deflate), in pieces."""
        ...


class Wire(Protocol):
    def stream(self, url: str, headers: Mapping[str, str]
               ) -> AbstractContextManager[WireResponse]: ...

    def close(self) -> None: ...


# --- httpx over an injected transport ----------------------------------------------------------


class _HttpxResponse:
    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self.status_code = response.status_code
        self.headers = {k.lower(): v for k, v in response.headers.items()}

    @property
    def is_redirect(self) -> bool:
        return self._response.is_redirect

    def iter_bytes(self) -> Iterator[bytes]:
        return self._response.iter_bytes()


class HttpxWire:
    """GETs through an `httpx.Client` built on `transport` (tests' `httpx.MockTransport`)."""

    def __init__(self, transport: httpx.BaseTransport, *, connect_timeout: float,
                 read_timeout: float, headers: Mapping[str, str]) -> None:
        self.client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            headers=dict(headers),
            follow_redirects=False,   # HttpClient follows them itself, checking every hop
            trust_env=False,
        )

    @contextmanager
    def stream(self, url: str, headers: Mapping[str, str]) -> Iterator[WireResponse]:
        with self.client.stream("GET", url, headers=dict(headers)) as response:
            yield _HttpxResponse(response)

    def close(self) -> None:
        self.client.close()


# --- http.client, kept alive -------------------------------------------------------------------


def _decoders(encoding: str, first_chunk: bytes) -> list[zlib._Decompress] | None:
    """zlib decoders for a Content-Encoding, in the order to apply them; None for identity
    and for unknown encodings (passed through undecoded, as httpx does)."""
    names = [e.strip().lower() for e in encoding.split(",") if e.strip()]
    out = []
    for name in reversed(names):
        if name in ("gzip", "x-gzip"):
            out.append(zlib.decompressobj(16 + zlib.MAX_WBITS))
        elif name == "deflate":
            # Should be zlib-wrapped; some servers send raw deflate (httpx accepts both).
            wrapped = not out and _zlib_header(first_chunk)
            out.append(zlib.decompressobj() if wrapped or out else
                       zlib.decompressobj(-zlib.MAX_WBITS))
        elif name != "identity":
            return None
    return out or None


def _zlib_header(data: bytes) -> bool:
    return len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0


def _decode(dec: zlib._Decompress, chunks: Iterator[bytes]) -> Iterator[bytes]:
    try:
        for data in chunks:
            yield dec.decompress(data, DECODED_PIECE)
            while dec.unconsumed_tail:
                yield dec.decompress(dec.unconsumed_tail, DECODED_PIECE)
        yield dec.flush()
    except zlib.error as exc:
        raise httpx.DecodingError(f"cannot decode the body: {exc}") from None


class _Headers(dict):
    """Response headers as lower-case name -> value, a repeated name's values joined with
    ", " (as httpx gives them). Enough of `http.client.HTTPMessage` for `HTTPResponse`."""

    def get_all(self, name: str, failobj: object = None) -> object:
        value = self.get(name.lower())
        return failobj if value is None else [value]


def _parse_headers(fp: object) -> _Headers:
    # http.client hands header parsing to the email package: about a third of a GET's CPU
    # on loopback. HTTP header lines need much less (RFC 9112 section 5).
    headers = _Headers()
    last = None
    for raw in http.client._read_headers(fp):  # noqa: SLF001 - the stdlib's bounded reader
        line = raw.decode("iso-8859-1").rstrip("\r\n")
        if not line:
            break
        if line[0] in " \t" and last is not None:      # obsolete line folding
            headers[last] = f"{headers[last]} {line.strip()}".strip()
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue                                    # not a header line: ignored
        last = name.strip().lower()
        value = value.strip()
        headers[last] = f"{headers[last]}, {value}" if last in headers else value
    return headers


class _Response(http.client.HTTPResponse):
    """`http.client.HTTPResponse` with `_parse_headers`; `begin` is the stdlib's (3.11) with
    that one call changed. Reading the body (length, chunked, close) is the stdlib's."""

    def begin(self) -> None:
        if self.headers is not None:
            return
        while True:
            version, status, reason = self._read_status()
            if status != http.client.CONTINUE:
                break
            http.client._read_headers(self.fp)  # noqa: SLF001 - a 100 Continue's headers
        self.code = self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            raise http.client.UnknownProtocol(version)
        self.headers = self.msg = _parse_headers(self.fp)
        tr_enc = self.headers.get("transfer-encoding")
        self.chunked = bool(tr_enc and tr_enc.lower() == "chunked")
        if self.chunked:
            self.chunk_left = None
        self.will_close = self._check_close()
        self.length = None
        length = self.headers.get("content-length")
        if length and not self.chunked:
            try:
                self.length = int(length)
            except ValueError:
                self.length = None
            else:
                if self.length < 0:
                    self.length = None
        if (status in (http.client.NO_CONTENT, http.client.NOT_MODIFIED)
                or 100 <= status < 200 or self._method == "HEAD"):
            self.length = 0
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True


class _StdlibResponse:
    """One answer on a kept-alive connection; returns the connection to the pool when the
    body has been read to its end, closes it otherwise."""

    def __init__(self, wire: StdlibWire, key: tuple[str, str, int],
                 conn: http.client.HTTPConnection, response: http.client.HTTPResponse) -> None:
        self._wire = wire
        self._key = key
        self._conn: http.client.HTTPConnection | None = conn
        self._response = response
        self.status_code = response.status
        self.headers: Mapping[str, str] = response.headers  # a _Headers: lower-case names
        self._done = False

    @property
    def is_redirect(self) -> bool:
        return self.status_code in REDIRECT_STATUSES and "location" in self.headers

    def _raw(self) -> Iterator[bytes]:
        declared = self.headers.get("content-length", "")
        expected = int(declared) if declared.isdigit() else None
        got = 0
        while True:
            try:
                chunk = self._response.read(READ_CHUNK)
            except TimeoutError as exc:
                raise httpx.ReadTimeout(str(exc) or "timed out") from None
            except http.client.IncompleteRead as exc:
                raise httpx.RemoteProtocolError(
                    f"peer closed connection without sending complete message body: {exc}"
                ) from None
            except http.client.HTTPException as exc:
                raise httpx.RemoteProtocolError(f"{type(exc).__name__}: {exc}") from None
            except OSError as exc:
                raise httpx.ReadError(str(exc) or type(exc).__name__) from None
            if not chunk:
                break
            got += len(chunk)
            yield chunk
        # http.client's read(amt) returns b"" when the peer closes early instead of raising.
        if expected is not None and got < expected:
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body "
                f"(received {got} bytes, expected {expected})")
        self._done = True

    def iter_bytes(self) -> Iterator[bytes]:
        raw = self._raw()
        encoding = self.headers.get("content-encoding", "")
        first = next(raw, b"")
        decoders = _decoders(encoding, first) if encoding else None
        pieces: Iterator[bytes] = itertools.chain((first,), raw)
        for dec in decoders or ():
            pieces = _decode(dec, pieces)   # lazily: one bounded piece at a time
        yield from (p for p in pieces if p)

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        self._response.close()   # its file object only; the socket belongs to `conn`
        if self._done and not self._response.will_close:
            self._wire._release(self._key, conn)
        else:
            conn.close()


class StdlibWire:
    """GETs on `http.client` connections kept alive per (scheme, host, port)."""

    def __init__(self, *, connect_timeout: float, read_timeout: float,
                 headers: Mapping[str, str]) -> None:
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.headers = dict(headers)
        self._idle: dict[tuple[str, str, int], list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()
        self._tls: ssl.SSLContext | None = None

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            # The same trust store httpx uses (certifi), verifying names and certificates.
            try:
                import certifi
                self._tls = ssl.create_default_context(cafile=certifi.where())
            except ImportError:  # pragma: no cover - certifi comes with httpx
                self._tls = ssl.create_default_context()
            self._tls.set_alpn_protocols(["http/1.1"])
        return self._tls

    def _acquire(self, key: tuple[str, str, int], *, fresh: bool = False
                 ) -> tuple[http.client.HTTPConnection, bool]:
        """An idle connection still open (True: reused), else a new unconnected one."""
        with self._lock:
            idle = self._idle.get(key, []) if not fresh else []
            while idle:
                conn = idle.pop()
                if _still_open(conn):
                    return conn, True
                conn.close()
        scheme, host, port = key
        if scheme == "https":
            return http.client.HTTPSConnection(host, port, timeout=self.connect_timeout,
                                               context=self._tls_context()), False
        # Only its connect() is used (TLS, timeouts); requests are written by `_send`.
        return http.client.HTTPConnection(host, port, timeout=self.connect_timeout), False

    def _release(self, key: tuple[str, str, int], conn: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(key, [])
            if len(idle) < MAX_IDLE_PER_HOST:
                idle.append(conn)
                return
        conn.close()

    @contextmanager
    def stream(self, url: str, headers: Mapping[str, str]) -> Iterator[WireResponse]:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise httpx.UnsupportedProtocol(f"cannot fetch {url!r}")
        port = parts.port or (443 if scheme == "https" else 80)
        key = (scheme, parts.hostname, port)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        request = _request_head(target, parts.netloc.rsplit("@", 1)[-1],
                                {**self.headers, **headers})
        conn, reused = self._acquire(key)
        try:
            response = self._send(conn, request)
        except (httpx.RemoteProtocolError, httpx.ReadError):
            if not reused:
                raise
            # The server closed the kept-alive connection as we reused it (its idle timeout):
            # nothing was answered, so the GET goes once more on a fresh connection.
            conn, _ = self._acquire(key, fresh=True)
            response = self._send(conn, request)
        answer = _StdlibResponse(self, key, conn, response)
        try:
            yield answer
        finally:
            answer.close()

    def _send(self, conn: http.client.HTTPConnection, request: bytes) -> _Response:
        if conn.sock is None:
            try:
                conn.connect()
            except TimeoutError as exc:
                conn.close()
                raise httpx.ConnectTimeout(str(exc) or "timed out") from None
            except OSError as exc:  # refused, unreachable, DNS, TLS handshake
                conn.close()
                raise httpx.ConnectError(str(exc) or type(exc).__name__) from None
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock = conn.sock
        sock.settimeout(self.read_timeout)
        try:
            sock.sendall(request)
            response = _Response(sock, method="GET")
            response.begin()
            return response
        except TimeoutError as exc:
            conn.close()
            raise httpx.ReadTimeout(str(exc) or "timed out") from None
        except http.client.RemoteDisconnected:
            conn.close()
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.") from None
        except http.client.HTTPException as exc:
            conn.close()
            raise httpx.RemoteProtocolError(f"{type(exc).__name__}: {exc}") from None
        except OSError as exc:   # reset, broken pipe
            conn.close()
            raise httpx.ReadError(str(exc) or type(exc).__name__) from None

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()


_UNSAFE = re.compile(r"[^\x21-\x7e]")   # anything but printable ASCII


def _request_head(target: str, host: str, headers: Mapping[str, str]) -> bytes:
    """The GET request head, written in one piece: http.client's putrequest/putheader checks
    cost more than the rest of a loopback exchange. Nothing may split it: the target and host
    must be quoted already (HttpClient passes URLs as httpx writes them), header values must
    be one line."""
    if _UNSAFE.search(target) or _UNSAFE.search(host):
        raise httpx.InvalidURL(f"cannot send a request for {host}{target!r}: not quoted")
    lines = [f"GET {target} HTTP/1.1", f"Host: {host}"]
    for name, value in headers.items():
        if "\r" in value or "\n" in value or _UNSAFE.search(name):
            raise httpx.LocalProtocolError(f"header {name!r} is not one line")
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _still_open(conn: http.client.HTTPConnection) -> bool:
    """An idle kept-alive socket is usable when nothing is waiting to be read on it: a closed
    one reads as EOF (readable), and an idle one must not have unsolicited data."""
    sock = conn.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


__all__ = ["HttpxWire", "StdlibWire", "Wire", "WireResponse"]
