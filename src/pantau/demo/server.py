"""A loopback HTTP server that speaks the real platform interfaces for the demo world.

    with DemoServer(build_world()) as server:
        settings = load_settings(platforms=server.platform_settings())
        ...   # the real collectors now read server.base_url as t.me, the AppView and mastodon.demo

One port serves all three platforms; their paths do not overlap: Telegram ``/s/<channel>``,
Bluesky ``/xrpc/<method>`` (AppView and PDS), Mastodon ``/api/v1/...``, and the images under
``/file/`` (Telegram CDN), ``/img/`` (Bluesky CDN) and ``/system/media_attachments/`` (Mastodon).

Why the standard library's `ThreadingHTTPServer`: no dependency, one thread per connection is
plenty for a demo, and HTTP/1.1 keep-alive lets clients reuse connections. Responses are
computed by `DemoApp.respond`, a pure function of the request, so tests can call it directly.

`SyntheticChannels` (demo/synthetic.py) can stand in for the world: the load test's
100,000 Telegram channels, rendered when asked for; the other platforms then answer 404.

Fault injection (`Faults`, off by default) lets reliability tests meet what real platforms do:
429 with Retry-After, 500, slow answers, truncated bodies, HTML where JSON was expected, and
connections reset mid-request. Faults are drawn from their own seeded RNG.
"""

from __future__ import annotations

import ipaddress
import json
import random
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from . import render_bluesky as BS
from . import render_mastodon as MA
from . import render_telegram as TG
from .media import image_bytes
from .synthetic import SyntheticChannels
from .world import MASTODON_SERVER, World

JSON = "application/json; charset=utf-8"
HTML = "text/html; charset=utf-8"


@dataclass(slots=True)
class Response:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def _json(status: int, data: Any, **headers: str) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status, JSON, body, headers)


def _html(status: int, text: str) -> Response:
    return Response(status, HTML, text.encode("utf-8"))


class DemoApp:
    """Routes a request to the platform renderers: no sockets, no state, no clock."""

    def __init__(self, world: World | SyntheticChannels) -> None:
        self.world = world
        # Synthetic channels have no Bluesky or Mastodon side: those routes are not found.
        self.telegram_only = isinstance(world, SyntheticChannels)

    def respond(self, target: str, host: str) -> Response:
        """The response to ``GET target`` (path and query) sent to ``Host: host``."""
        parts = urlsplit(target)
        path = unquote(parts.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        base = f"http://{host}"
        if path.startswith("/s/"):
            return self._telegram(path[3:].strip("/"), query, base)
        if self.telegram_only:
            return _html(404, "<html><body><h1>404 Not Found</h1></body></html>")
        if path.startswith("/xrpc/"):
            return self._xrpc(path[6:], query, base)
        if path.startswith("/api/v1/"):
            try:
                data, link = MA.handle(self.world, [p for p in path[8:].split("/") if p], query, base)
            except MA.ApiError as exc:
                return _json(exc.status, {"error": exc.error})
            return _json(200, data, **({"Link": link} if link else {}))
        if path.startswith(("/file/", "/img/", "/system/media_attachments/")):
            return self._image(path)
        return _html(404, "<html><body><h1>404 Not Found</h1></body></html>")

    def _telegram(self, channel: str, query: dict[str, str], base: str) -> Response:
        account = self.world.index.find("telegram", channel)
        if account is None or "/" in channel:
            return _html(404, f"<html><head><title>Telegram: Contact @{channel}</title></head>"
                              "<body><div class=\"tgme_page\">This channel can't be displayed."
                              "</div></body></html>")
        # Synthetic channels quack like the World the renderer is typed for.
        page = TG.channel_page(self.world, account, query, base)  # type: ignore[arg-type]
        return _html(200, page)

    def _xrpc(self, method: str, query: dict[str, str], base: str) -> Response:
        handler = BS.METHODS.get(method)
        if handler is None:
            return _json(501, {"error": "MethodNotImplemented", "message": "Method Not Implemented"})
        try:
            return _json(200, handler(self.world, query, base))
        except BS.XrpcError as exc:
            return _json(exc.status, {"error": exc.error, "message": exc.message})

    def _image(self, path: str) -> Response:
        # /file/<key>.jpg, /img/feed_fullsize/plain/<did>/<key>@jpeg,
        # /system/media_attachments/files/<key>.jpg: the last segment names the image.
        name = path.rsplit("/", 1)[-1].removesuffix("@jpeg").removesuffix(".jpg")
        image = self.world.index.images.get(name)
        if image is None:
            return _html(404, "<html><body>Not Found</body></html>")
        return Response(200, "image/jpeg", image_bytes(image),
                        {"Cache-Control": "public, max-age=31536000"})


# --- faults -----------------------------------------------------------------------------------

FAULT_KINDS = ("rate_limit", "server_error", "slow", "truncate", "html", "reset")


@dataclass(slots=True)
class Faults:
    """Probabilities (0-1) of each fault per request; all zero (off) by default."""

    rate_limit: float = 0.0       # 429 with Retry-After
    server_error: float = 0.0     # 500
    slow: float = 0.0             # the right answer, `slow_seconds` late
    truncate: float = 0.0         # Content-Length promises more than is sent
    html: float = 0.0             # an HTML error page with status 200 instead of the answer
    reset: float = 0.0            # the connection is reset without an answer
    retry_after: int = 1
    slow_seconds: float = 2.0
    seed: int = 0

    def __post_init__(self) -> None:
        total = sum(getattr(self, k) for k in FAULT_KINDS)
        if any(getattr(self, k) < 0 for k in FAULT_KINDS) or total > 1:
            raise ValueError(f"fault probabilities must be >= 0 and sum to at most 1 (got {total})")

    @property
    def active(self) -> bool:
        return any(getattr(self, k) for k in FAULT_KINDS)


class _FaultDraw:
    """Draws at most one fault per request from a seeded RNG, thread-safely."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.rng = random.Random(faults.seed)
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def draw(self) -> str | None:
        if not self.faults.active:
            return None
        with self.lock:
            x = self.rng.random()
            for kind in FAULT_KINDS:
                x -= getattr(self.faults, kind)
                if x < 0:
                    self.counts[kind] += 1
                    return kind
        return None


# --- the HTTP server --------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"          # keep-alive: clients reuse the connection
    # Headers and body go out in two writes; with Nagle on, the second waits for the client's
    # delayed ACK (~40 ms) on every keep-alive request, which made the demo's collection slow.
    disable_nagle_algorithm = True
    server_version = "pantau-demo/1"
    server: _HttpServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        self.server.owner.requests += 1    # counted, not printed: the demo has its own display

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        owner = self.server.owner
        fault = owner.draw.draw()
        if fault == "reset":
            # SO_LINGER 0 makes close() send RST: the client sees "connection reset by peer".
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if fault == "rate_limit":
            resp = _json(429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
                         **{"Retry-After": str(owner.faults.retry_after)})
        elif fault == "server_error":
            resp = _json(500, {"error": "InternalServerError", "message": "Internal Server Error"})
        elif fault == "html":
            resp = _html(200, "<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
                              "<body>Checking your browser before accessing.</body></html>")
        else:
            if fault == "slow":
                time.sleep(owner.faults.slow_seconds)
            resp = owner.app.respond(self.path, self.headers.get("Host") or owner.host_port)
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        for name, value in resp.headers.items():
            self.send_header(name, value)
        if fault == "truncate":
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(resp.body[: len(resp.body) // 2])
            self.close_connection = True
            return
        self.end_headers()
        self.wfile.write(resp.body)

    def do_HEAD(self) -> None:  # noqa: N802
        resp = self.server.owner.app.respond(self.path, self.headers.get("Host") or "")
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: DemoServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up mid-answer (or a reset we caused) is not worth a traceback.
        pass


def _check_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ValueError(f"the demo server binds to loopback only (127.0.0.1, ::1), not {host!r}")


class DemoServer:
    """The demo world on ``http://127.0.0.1:<port>``, started and stopped as a context manager."""

    def __init__(self, world: World | SyntheticChannels, host: str = "127.0.0.1", port: int = 0,
                 faults: Faults | None = None) -> None:
        _check_loopback(host)
        self.world = world
        self.app = DemoApp(world)
        self.host = host
        self.port = port
        self.faults = faults or Faults()
        self.draw = _FaultDraw(self.faults)
        self.requests = 0
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def fault_counts(self) -> dict[str, int]:
        return dict(self.draw.counts)

    @property
    def host_port(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the demo server is not running (use it as a context manager)")
        return f"http://{self.host_port}"

    def start(self) -> DemoServer:
        cls = _HttpServer
        if ":" in self.host:
            cls = type("_HttpServer6", (_HttpServer,), {"address_family": socket.AF_INET6})
        self._httpd = cls((self.host, self.port), _Handler)
        self._httpd.owner = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        name="pantau-demo-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def platform_settings(self) -> dict[str, Any]:
        """`PlatformSettings` values that point the real collectors at this server."""
        base = self.base_url
        return {
            "telegram_base_url": base,
            "bluesky_appview_url": base,
            "bluesky_pds_hosts": [base],
            "mastodon_servers": [MASTODON_SERVER],
            "mastodon_base_urls": {MASTODON_SERVER: base},
            "media_hosts": [self.host],
        }
