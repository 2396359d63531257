"""The HTTP layer: token buckets, retries, server wait hints, size limits, allowed hosts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from pantau.config import RateLimit, load_settings
from pantau.errors import FetchError, HostNotAllowed, ResponseTooLarge
from pantau.http import HostPolicy, HttpClient, TokenBucket, retry_after_seconds


class FakeTime:
    """A clock and a sleep that only advance when slept on."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def make_client(handler, fake: FakeTime | None = None, **http) -> tuple[HttpClient, FakeTime]:
    fake = fake or FakeTime()
    settings = load_settings(
        http={"max_retries": 3, "backoff_base": 1.0, "backoff_max": 30.0, **http},
        platforms={"mastodon_servers": ["mastodon.example"]},
        contact="ops@example.org",
    )
    client = HttpClient(settings, transport=httpx.MockTransport(handler), clock=fake.clock,
                        sleep=fake.sleep, rng=lambda: 0.5)
    return client, fake


def test_token_bucket_spaces_requests_after_the_burst() -> None:
    fake = FakeTime()
    bucket = TokenBucket(RateLimit(requests=2, per_seconds=1, burst=2), fake.clock)
    assert [bucket.reserve(), bucket.reserve()] == [0.0, 0.0]   # the burst
    assert bucket.reserve() == pytest.approx(0.5)               # then 2 per second
    fake.now += 0.5
    assert bucket.reserve() == pytest.approx(0.5)
    fake.now += 10                                              # idle: refills to burst only
    assert [bucket.reserve(), bucket.reserve(), bucket.reserve()] == [0.0, 0.0, pytest.approx(0.5)]


def test_telegram_requests_are_half_a_second_apart() -> None:
    client, fake = make_client(lambda r: httpx.Response(200, text="ok"))
    for _ in range(4):
        client.get("https://t.me/s/chan", platform="telegram")
    assert fake.slept == [pytest.approx(0.5)] * 3
    assert client.stats.rate_limit_waits == 3
    assert client.stats.waited_seconds == pytest.approx(1.5)


def test_user_agent_names_pantau_and_contact() -> None:
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["ua"] = request.headers["user-agent"]
        return httpx.Response(200, text="ok")

    client, _ = make_client(handler)
    client.get("https://t.me/s/chan", platform="telegram")
    assert seen["ua"].startswith("pantau/") and "ops@example.org" in seen["ua"]


def test_429_with_retry_after_then_success() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url)
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "7"})
        return httpx.Response(200, json={"feed": []})

    client, fake = make_client(handler)
    fetched = client.get("https://public.api.bsky.app/xrpc/app.bsky.feed.getAuthorFeed",
                         {"actor": "did:plc:x"}, platform="bluesky")
    assert fetched.status == 200 and fetched.content == b'{"feed":[]}'
    assert fetched.url.endswith("getAuthorFeed?actor=did%3Aplc%3Ax")
    assert 7.0 in fake.slept
    assert client.stats.retries == 1 and client.stats.requests == 2


def test_500_then_success_backs_off_with_jitter() -> None:
    statuses = iter([500, 503, 200])
    client, fake = make_client(lambda r: httpx.Response(next(statuses), text="body"))
    # Mastodon's bucket has a burst of 10: every sleep here is back-off.
    fetched = client.get("https://mastodon.example/api/v1/x", platform="mastodon")
    assert fetched.status == 200
    # Full jitter with rng=0.5: 0.5 * base * 2**attempt.
    assert fake.slept == [pytest.approx(0.5), pytest.approx(1.0)]
    assert client.stats.retries == 2


def test_timeout_then_success() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ReadTimeout("read timed out", request=request)
        return httpx.Response(200, text="fine")

    client, _ = make_client(handler)
    assert client.get("https://t.me/s/chan", platform="telegram").content == b"fine"
    assert client.stats.retries == 1


def test_truncated_body_is_retried() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            # Declares 100 bytes, sends 10: what a connection cut mid-body looks like.
            return httpx.Response(200, headers={"Content-Length": "100"}, content=b"<html><bod")
        return httpx.Response(200, text="<html></html>")

    client, _ = make_client(handler)
    assert client.get("https://t.me/s/chan", platform="telegram").content == b"<html></html>"
    assert client.stats.retries == 1


def test_gives_up_after_max_retries_naming_the_url() -> None:
    client, fake = make_client(lambda r: httpx.Response(502))
    with pytest.raises(FetchError) as info:
        client.get("https://t.me/s/chan", {"before": 5}, platform="telegram")
    assert info.value.url == "https://t.me/s/chan?before=5"
    assert "https://t.me/s/chan?before=5" in str(info.value) and "4 attempt" in str(info.value)
    assert info.value.status == 502
    assert client.stats.requests == 4 and client.stats.retries == 3


def test_retry_after_is_capped_by_backoff_max() -> None:
    statuses = iter([429, 200])
    client, fake = make_client(
        lambda r: httpx.Response(next(statuses), headers={"Retry-After": "3600"}), backoff_max=12
    )
    client.get("https://t.me/s/chan", platform="telegram")
    assert 12.0 in fake.slept and 3600.0 not in fake.slept


def test_4xx_is_returned_not_retried() -> None:
    client, _ = make_client(lambda r: httpx.Response(403, json={"error": "auth"}))
    fetched = client.get("https://mastodon.example/api/v1/accounts/1/statuses", platform="mastodon")
    assert fetched.status == 403 and client.stats.retries == 0


def test_size_limit_while_streaming() -> None:
    client, _ = make_client(lambda r: httpx.Response(200, content=b"x" * 5000),
                            max_response_bytes=1000)
    with pytest.raises(ResponseTooLarge, match="t.me/s/chan"):
        client.get("https://t.me/s/chan", platform="telegram")

    def chunked(request: httpx.Request) -> httpx.Response:
        # No Content-Length: only counting while streaming catches it.
        return httpx.Response(200, content=iter([b"y" * 600, b"y" * 600]))

    client, _ = make_client(chunked, max_response_bytes=1000)
    with pytest.raises(ResponseTooLarge):
        client.get("https://t.me/s/chan", platform="telegram")


def test_disallowed_hosts_are_refused_before_any_request() -> None:
    calls = []
    client, _ = make_client(lambda r: calls.append(r) or httpx.Response(200))
    for url, platform in [
        ("https://evil.example/s/chan", "telegram"),
        ("https://t.me/s/chan", "bluesky"),          # right host, wrong platform
        ("http://127.0.0.1:8080/", "telegram"),
        ("file:///etc/passwd", "telegram"),
        ("https://user:pw@t.me/s/chan", "telegram"),
        ("https://mastodon.other/api/v1/x", "mastodon"),
    ]:
        with pytest.raises(HostNotAllowed):
            client.get(url, platform=platform)
    assert calls == []


def test_redirect_to_internal_address_is_not_followed() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://127.0.0.1:6379/"})

    client, _ = make_client(handler)
    with pytest.raises(HostNotAllowed, match="127.0.0.1"):
        client.get("https://t.me/s/chan", platform="telegram")
    assert calls == ["https://t.me/s/chan"]


def test_redirect_within_allowed_hosts_is_followed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/s/old":
            return httpx.Response(301, headers={"Location": "/s/new"})
        return httpx.Response(200, text="moved")

    client, _ = make_client(handler)
    fetched = client.get("https://t.me/s/old", platform="telegram")
    assert fetched.url == "https://t.me/s/new" and fetched.content == b"moved"


def test_wildcards_never_match_ip_addresses() -> None:
    settings = load_settings(
        platforms={"media_hosts": ["*"], "bluesky_pds_hosts": ["*.bsky.network"]})
    policy = HostPolicy(settings)
    assert policy.allows("https://cdn.example/a.jpg", "media")
    assert not policy.allows("http://10.0.0.1/a.jpg", "media")
    assert policy.allows("https://morel.us-east.host.bsky.network/xrpc/x", "bluesky")
    assert not policy.allows("https://bsky.network.evil.example/xrpc/x", "bluesky")


def test_mastodon_token_only_to_mastodon_and_never_in_errors(monkeypatch) -> None:
    monkeypatch.setenv("PANTAU_PLATFORMS__MASTODON_TOKEN", "s3cret-token")
    seen: dict[str, str | None] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen[request.url.host] = request.headers.get("authorization")
        return httpx.Response(500)

    client, _ = make_client(handler)
    with pytest.raises(FetchError) as info:
        client.get("https://mastodon.example/api/v1/x", platform="mastodon")
    with pytest.raises(FetchError):
        client.get("https://t.me/s/chan", platform="telegram")
    assert seen == {"mastodon.example": "Bearer s3cret-token", "t.me": None}
    assert "s3cret" not in str(info.value)


def test_retry_after_forms() -> None:
    now = datetime(2024, 11, 20, 12, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert retry_after_seconds({"retry-after": "12"}, now) == 12
    assert retry_after_seconds({"retry-after": later}, now) == pytest.approx(90)
    assert retry_after_seconds({"x-ratelimit-reset": "2024-11-20T12:05:00.000Z"}, now) == 300
    assert retry_after_seconds({"ratelimit-reset": str(int(now.timestamp()) + 40)}, now) == 40
    assert retry_after_seconds({}, now) is None


def test_unexpected_200_is_retried_then_passed_on() -> None:
    bodies = iter([b"<html>Just a moment...</html>", b'{"ok": true}'])

    def handler(request: httpx.Request) -> httpx.Response:
        body = next(bodies)
        ctype = "application/json" if body.startswith(b"{") else "text/html"
        return httpx.Response(200, headers={"content-type": ctype}, content=body)

    def want_json(f) -> str | None:
        return None if "json" in f.content_type else f"expected JSON, got {f.content_type}"

    client, _ = make_client(handler)
    url = "https://public.api.bsky.app/xrpc/x"
    assert client.get(url, platform="bluesky", validate=want_json).content == b'{"ok": true}'
    assert client.stats.retries == 1

    # Still wrong after every retry: handed back (to be archived and quarantined), not raised.
    client, _ = make_client(lambda r: httpx.Response(200, text="<html>challenge</html>"))
    fetched = client.get(url, platform="bluesky", validate=want_json)
    assert fetched.content == b"<html>challenge</html>" and client.stats.retries == 3


def test_fast_url_normalisation_agrees_with_httpx() -> None:
    # HttpClient skips httpx's URL parser for plain URLs; whatever it does must equal it.
    import random
    import string

    from pantau.http import normal_url, with_params

    rng = random.Random(7)
    chars = string.ascii_letters + string.digits + "-._~!$&'()*+,;=:@/%?# []éAB"
    hosts = ["t.me", "127.0.0.1", "Example.COM", "a-b.c", "x.y:80", "h:8080", "h:443",
             "h:0080", "[::1]:99", "bsky.social"]
    for _ in range(20_000):
        url = f"{rng.choice(['http', 'https', 'HTTP'])}://{rng.choice(hosts)}"
        if rng.random() < 0.9:
            url += "/" + "".join(rng.choice(chars) for _ in range(rng.randint(0, 12)))
        params = {"limit": 100, "cursor": "".join(rng.choice(chars) for _ in range(5))}
        for ours, theirs in ((lambda: normal_url(url), lambda: str(httpx.URL(url))),
                             (lambda: with_params(url, params),
                              lambda: str(httpx.URL(url, params={k: str(v) for k, v
                                                                 in params.items()})))):
            try:
                expected: object = theirs()
            except Exception as exc:  # noqa: BLE001 - the same failure either way
                expected = type(exc)
            try:
                got: object = ours()
            except Exception as exc:  # noqa: BLE001
                got = type(exc)
            assert got == expected, url
