"""The only network layer: allowed hosts, per-host token buckets, retries, size limits.

Every request pantau makes goes through `HttpClient.get`. It is synchronous; a collection
run may call it from a few threads at once (`settings.collect.workers`), which share the
token buckets, so politeness (the per-platform rate) does not depend on how many there are.
Retries live here and only here; callers get either a `Fetched` (any status below 500 except
429, so a Mastodon 401/403 reaches the platform client that records it) or a `FetchError`
that names the URL. The bytes go over a wire (pantau.httpwire): kept-alive stdlib sockets,
or an injected httpx transport in tests.

    with HttpClient(settings) as http:
        page = http.get("https://t.me/s/somechannel", platform="telegram")
"""

from __future__ import annotations

import email.utils
import fnmatch
import ipaddress
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

import httpx

from .collectors.base import Fetched
from .config import RateLimit, Settings
from .errors import FetchError, HostNotAllowed, ResponseTooLarge
from .httpwire import HttpxWire, StdlibWire, Wire
from .timeutil import parse_iso, real_utcnow, utcnow

log = logging.getLogger("pantau.http")

MAX_REDIRECTS = 5
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
# Transport failures worth another try: timeouts, refused/reset connections, bodies cut short.
RETRY_EXCEPTIONS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


@dataclass(slots=True)
class HttpStats:
    """What the HTTP layer did, for the run summary."""

    requests: int = 0            # attempts sent, retries included
    retries: int = 0
    rate_limit_waits: int = 0    # times a token bucket made us wait
    waited_seconds: float = 0.0  # total time slept (rate limits + retry back-off)
    bytes: int = 0               # body bytes received

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


class TokenBucket:
    """`requests` per `per_seconds`, bursts of up to `burst`; time comes from `clock`."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float]) -> None:
        self.capacity = float(limit.burst)
        self.rate = limit.requests / limit.per_seconds  # tokens per second
        self.clock = clock
        self.tokens = self.capacity
        self.updated = clock()

    def reserve(self) -> float:
        """Take one token; return how long the caller must wait before using it."""
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        self.tokens -= 1.0
        if self.tokens >= 0:
            return 0.0
        # In debt: the token becomes ours once the bucket has refilled to zero.
        return -self.tokens / self.rate


# --- allowed hosts --------------------------------------------------------------------------


def _netloc(url_or_host: str) -> tuple[str, str]:
    """(scheme, host[:port]) of a configured entry: a URL or a bare host pattern."""
    if "://" in url_or_host:
        parts = urlsplit(url_or_host)
        return parts.scheme.lower(), parts.netloc.lower().rsplit("@", 1)[-1]
    return "https", url_or_host.strip().lower().rstrip("/")


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class HostPolicy:
    """Which hosts may be fetched, derived from `settings.platforms`.

    Entries are host names, ``host:port`` or URLs; ``*`` wildcards are allowed in host names
    (``*.bsky.network``) but never match an IP address, so no pattern can open the door to an
    internal address: an IP host must be configured literally (as the loopback tests do).
    """

    def __init__(self, settings: Settings) -> None:
        p = settings.platforms
        self.patterns: dict[str, list[str]] = {
            "telegram": [_netloc(p.telegram_base_url)[1]],
            "bluesky": [_netloc(p.bluesky_appview_url)[1]]
            + [_netloc(h)[1] for h in p.bluesky_pds_hosts],
            "mastodon": [_netloc(h)[1] for h in p.mastodon_servers]
            + [_netloc(u)[1] for u in p.mastodon_base_urls.values()],
            "media": [_netloc(h)[1] for h in p.media_hosts],
        }
        # Images may also come from the platforms' own configured hosts (a Mastodon server
        # without a file host serves /system/media_attachments itself; the demo's loopback
        # server serves everything), never from anywhere else.
        self.patterns["media"] += [
            h for group in ("telegram", "bluesky", "mastodon") for h in self.patterns[group]
        ]
        self._allowed: dict[tuple[str, str | None], bool] = {}

    def allows(self, url: str, platform: str | None = None) -> bool:
        # The answer depends on the scheme, the authority and the platform only: remembered
        # per (scheme://authority, platform), as a run asks it for every request.
        scheme_end = url.find("://")
        end = len(url) if scheme_end < 0 else next(
            (i for i in (url.find(c, scheme_end + 3) for c in "/?#") if i >= 0), len(url))
        key = (url[:end], platform)
        known = self._allowed.get(key)
        if known is None:
            known = self._allows(url, platform)
            if len(self._allowed) < 10_000:   # bounded: hosts come from server answers too
                self._allowed[key] = known
        return known

    def _allows(self, url: str, platform: str | None) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False
        if parts.username or parts.password:
            return False  # credentials in URLs are never ours to send
        host = parts.hostname.lower()
        netloc = host if parts.port is None else f"{host}:{parts.port}"
        groups = [platform] if platform else list(self.patterns)
        for group in groups:
            for pattern in self.patterns.get(group, []):
                if pattern == netloc or (parts.port is None and pattern == host):
                    return True
                if "*" in pattern and not _is_ip_literal(host) and fnmatch.fnmatchcase(
                    netloc, pattern
                ):
                    return True
        return False

    def check(self, url: str, platform: str) -> None:
        if not self.allows(url, platform):
            raise HostNotAllowed(
                f"host is not a configured {platform} host (settings.platforms); not fetched",
                url=url,
            )


# --- waiting hints from the server -----------------------------------------------------------


def retry_after_seconds(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds the server asks us to wait: ``Retry-After`` (seconds or HTTP date), else a
    rate-limit reset header (``x-ratelimit-reset`` as used by Mastodon: an ISO time;
    ``ratelimit-reset`` as used by Bluesky: epoch seconds). None when there is no usable hint."""
    # The server's dates are on its real clock: compare with ours, never a simulated one.
    now = now or real_utcnow()
    value = headers.get("retry-after")
    if value:
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
                return max(0.0, (when - now).total_seconds())
    for name in ("x-ratelimit-reset", "ratelimit-reset"):
        value = headers.get(name)
        if not value:
            continue
        value = value.strip()
        try:
            number = float(value)
        except ValueError:
            try:
                return max(0.0, (parse_iso(value) - now).total_seconds())
            except ValueError:
                continue
        # Large numbers are epoch seconds; small ones are a delay (draft RateLimit headers).
        return max(0.0, number - now.timestamp()) if number > 1e9 else max(0.0, number)
    return None


# --- URLs -----------------------------------------------------------------------------------

# A URL that httpx would leave exactly as it is: lower-case http(s) scheme and host name, no
# user info, a non-default port without leading zeros, only characters that need no quoting,
# valid %-escapes and no dot segments. Most URLs pantau fetches look like this and skip the
# (costly) full parse; any other goes through `httpx.URL`, so the URL fetched and archived
# is the same either way (tests/test_http.py compares the two on generated URLs).
_PLAIN_URL = re.compile(
    r"(?P<scheme>https?)://[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::(?P<port>[1-9][0-9]{0,4}))?"
    r"(?:/[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*)?(?:\?[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*)?\Z")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _plain(url: str) -> bool:
    match = _PLAIN_URL.match(url)
    return bool(match and match["port"] != _DEFAULT_PORTS[match["scheme"]]
                and "/." not in url and not ("%" in url and _BAD_ESCAPE.search(url)))


def normal_url(url: str) -> str:
    """`url` as httpx writes it (quoted, default port dropped, host lower case)."""
    return url if _plain(url) else str(httpx.URL(url))


def with_params(url: str, params: Mapping[str, str | int]) -> str:
    """`url` with its query replaced by `params`, as ``httpx.URL(url, params=...)`` does."""
    if not params:
        return normal_url(url)
    if "?" not in url and _plain(url):
        return url + "?" + urlencode([(k, str(v)) for k, v in params.items()])
    return str(httpx.URL(url, params={k: str(v) for k, v in params.items()}))


# --- the client -----------------------------------------------------------------------------


# Checks that a 2xx answer is the kind of document asked for (JSON, a Telegram page); returns
# why not, or None. Catches CDN challenge pages and bodies cut short that still say 200.
Validator = Callable[[Fetched], str | None]


class _Retryable(Exception):
    def __init__(self, reason: str, status: int | None = None, wait: float | None = None,
                 fetched: Fetched | None = None):
        super().__init__(reason)
        self.status = status
        self.wait = wait
        self.fetched = fetched  # a complete but unexpected answer, returned if retries run out


class HttpClient:
    """Polite, bounded, retried GETs to configured platform hosts only."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self.http = settings.http
        self.policy = HostPolicy(settings)
        self.clock = clock
        self.sleep = sleep
        self.rng = rng
        self.stats = HttpStats()
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        # Collection threads share one client: buckets and counters change under this lock
        # (a bucket's reservation is read-modify-write); sleeping happens outside it.
        self._lock = threading.Lock()
        token = settings.platforms.mastodon_token
        self._mastodon_token = token.get_secret_value() if token else None
        # Redirects are followed by hand (every hop is checked against the policy) and
        # proxies from the environment are ignored (they would bypass the policy's intent; a
        # proxy must be configured deliberately, not supported yet): both wires do neither.
        wire_options = {
            "connect_timeout": self.http.connect_timeout,
            "read_timeout": self.http.read_timeout,
            "headers": {"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate",
                        "Accept": "*/*"},
        }
        self.wire: Wire = (HttpxWire(transport, **wire_options) if transport is not None
                           else StdlibWire(**wire_options))

    # -- context manager
    def close(self) -> None:
        self.wire.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public
    def get(
        self,
        url: str,
        params: Mapping[str, str | int] | None = None,
        *,
        platform: str,
        validate: Validator | None = None,
    ) -> Fetched:
        """GET `url` (with `params`) as `platform` traffic.

        Raises `HostNotAllowed` before any request when the host is not configured,
        `ResponseTooLarge` when the body passes `settings.http.max_response_bytes`, and
        `FetchError` when retries are exhausted. Other 4xx statuses are returned, not raised.
        A 2xx answer that `validate` rejects is retried like a 5xx; if it persists it is
        returned as it is, so that the caller can archive and quarantine it.
        """
        url = with_params(url, params) if params else normal_url(url)
        self.policy.check(url, platform)
        attempts = self.http.max_retries + 1
        for attempt in range(attempts):
            try:
                return self._attempt(url, platform, validate)
            except _Retryable as exc:
                if attempt + 1 >= attempts and exc.fetched is not None:
                    log.warning("%s: %s after %d attempt(s); passing it on", url, exc, attempts)
                    return exc.fetched
                if attempt + 1 >= attempts:
                    raise FetchError(
                        f"gave up after {attempts} attempt(s): {exc}", url=url, status=exc.status
                    ) from None
                delay = self._backoff(attempt, exc.wait)
                with self._lock:
                    self.stats.retries += 1
                log.warning(
                    "%s: %s; retry %d/%d in %.1f s", url, exc, attempt + 1, attempts - 1, delay
                )
                self._wait(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- internals
    def _backoff(self, attempt: int, server_wait: float | None) -> float:
        cap = self.http.backoff_max
        if server_wait is not None:
            return min(server_wait, cap)
        # Exponential back-off with full jitter (AWS architecture blog): spreads retries out.
        return self.rng() * min(cap, self.http.backoff_base * (2**attempt))

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            with self._lock:
                self.stats.waited_seconds += seconds
            self.sleep(seconds)

    def _throttle(self, url: str, platform: str) -> None:
        host = urlsplit(url).netloc.lower()
        key = (platform, host)
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                limit = self.http.rate_limits.get(platform)
                if limit is None:
                    return
                bucket = self._buckets[key] = TokenBucket(limit, self.clock)
            # Each caller reserves its own slot: with several threads the bucket runs into
            # debt and every one of them waits its turn, so the rate holds.
            wait = bucket.reserve()
            if wait > 0:
                self.stats.rate_limit_waits += 1
        if wait > 0:
            log.debug("%s: rate limit (%s), waiting %.2f s", host, platform, wait)
            self._wait(wait)

    def _headers_for(self, url: str, platform: str) -> dict[str, str]:
        if platform == "mastodon" and self._mastodon_token:
            # Only ever sent to configured Mastodon servers (the policy checked the host).
            return {"Authorization": f"Bearer {self._mastodon_token}"}
        return {}

    def _attempt(self, url: str, platform: str, validate: Validator | None) -> Fetched:
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            self._throttle(current, platform)
            requested_at = utcnow()
            with self._lock:
                self.stats.requests += 1
            try:
                with self.wire.stream(current, self._headers_for(current, platform)
                                      ) as response:
                    if response.is_redirect:
                        location = response.headers.get("location", "")
                        target = str(httpx.URL(current).join(location))
                        if not self.policy.allows(target, platform):
                            raise HostNotAllowed(
                                f"redirect from {current} to a host that is not configured; "
                                "not followed",
                                url=target,
                            )
                        log.info("%s: redirected to %s", current, target)
                        current = target
                        continue
                    status = response.status_code
                    if status in RETRY_STATUSES:
                        wait = retry_after_seconds(response.headers)
                        raise _Retryable(f"HTTP {status}", status=status, wait=wait)
                    body = self._read_body(response, current)
                    fetched = Fetched(
                        url=current,
                        status=status,
                        headers=dict(response.headers),
                        content=body,
                        requested_at=requested_at,
                        platform=platform,
                    )
                    if validate is not None and 200 <= status < 300:
                        problem = validate(fetched)
                        if problem:
                            raise _Retryable(problem, status=status, fetched=fetched)
                    return fetched
            except RETRY_EXCEPTIONS as exc:
                raise _Retryable(f"{type(exc).__name__}: {exc or 'no detail'}") from None
        raise FetchError(f"more than {MAX_REDIRECTS} redirects", url=url)

    def _count_bytes(self, size: int) -> None:
        with self._lock:
            self.stats.bytes += size

    def _read_body(self, response: httpx.Response, url: str) -> bytes:
        limit = self.http.max_response_bytes
        declared = response.headers.get("content-length")
        encoded = "content-encoding" in response.headers
        if declared and declared.isdigit() and not encoded and int(declared) > limit:
            raise ResponseTooLarge(
                f"declared size {int(declared)} bytes exceeds the limit of {limit}", url=url
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > limit:
                self._count_bytes(size)
                raise ResponseTooLarge(f"body exceeds the limit of {limit} bytes", url=url)
            chunks.append(chunk)
        self._count_bytes(size)
        # httpx checks Content-Length on real sockets; check again so a body cut short by any
        # transport is retried rather than archived and parsed as if complete.
        if declared and declared.isdigit() and not encoded and size < int(declared):
            raise _Retryable(f"truncated body: {size} of {declared} bytes")
        return b"".join(chunks)
