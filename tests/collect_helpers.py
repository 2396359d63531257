"""A fake world of platforms for collection tests, serving the real captures in tests/fixtures.

The same `World` answers through `httpx.MockTransport` (in-process tests) and through a real
`http.server` on 127.0.0.1 (kill-and-restart and CLI tests). Faults are injected per request
key (path + sorted query) and consumed one per request: 429, 500, 403, a body cut short on the
wire, truncated HTML, invalid JSON, an HTML challenge page with status 200.

Hand-made parts (everything else is a capture, unchanged):
- Telegram: `full.html` (one real page of 12 posts) is re-paged into pages of `page_size` posts
  by cutting it at message boundaries and rewriting the "load older" link, so that paging with
  ``?before=`` can be exercised; an empty channel is that page with no posts.
- Bluesky: a ``cursor`` is added to `getAuthorFeed_full.json` to chain it to `_full_2`;
  resolveHandle, empty getRepostedBy/getQuotes and one like record in listRecords are
  hand-made (the other record is the captured like_record.json).
- Mastodon: the lookup answers `account.json` with the id of the statuses' author; `Link`
  headers are those recorded with the captures (PROVENANCE.md), pointed at the test host;
  the third statuses page is an empty list.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

FIX = Path(__file__).parent / "fixtures"

Response = tuple[int, dict[str, str], bytes]
MASTODON_SERVER = "mastodon.test"    # handles are user@mastodon.test, served by the world
ATTEMPTS = 4  # max_retries (3) + 1: a fault repeated this often outlasts the HTTP layer
MASTODON_ACCOUNT = f"mastodonpy_test@{MASTODON_SERVER}"  # registered and watch-listed
STATUSES_ACCOUNT = "117020565966271181"  # author of the captured statuses pages
DAN_DID = "did:plc:dantestdantestdantest00"  # registered ASN account dan.test (hand-made)
WATCHED_POST = "at://user(0)/app.bsky.feed.post/3kwatchedpost2"  # by alice.test, watch-listed
WATCHED_LIKE_AT = "2024-11-20T01:02:03.000Z"


class TelegramChannel:
    """The real `full.html` channel page, served in pages of `page_size` posts."""

    def __init__(self, page_size: int = 4, *, empty: bool = False) -> None:
        html = (FIX / "telegram" / "full.html").read_text("utf-8")
        more = re.search(r'<div class="tgme_widget_message_centered js-messages_more_wrap">'
                         r".*?</div>\s*", html, re.S)
        assert more is not None
        start = more.start()
        end = html.index("</section>", start)
        body = html[more.end():end]
        blocks = re.split(r'(?=<div class="tgme_widget_message_wrap js-widget_message_wrap">)',
                          body)
        self.posts = [(int(re.search(r'data-post="[^"]+/(\d+)"', b).group(1)), b)
                      for b in blocks if "data-post=" in b]
        if empty:
            self.posts = []
        self.head, self.tail = html[:start], html[end:]
        self.channel = re.search(r'data-post="([^"/]+)/', html).group(1)
        self.page_size = page_size

    @property
    def ids(self) -> list[int]:
        return [i for i, _ in self.posts]

    def page(self, before: int | None) -> bytes:
        older = [(i, b) for i, b in self.posts if before is None or i < before]
        shown = older[-self.page_size:]
        more = ""
        if len(shown) < len(older):
            first = shown[0][0]
            more = (f'<div class="tgme_widget_message_centered js-messages_more_wrap">'
                    f'<a href="/s/{self.channel}?before={first}" class="tme_messages_more '
                    f'js-messages_more" data-before="{first}"></a></div>\n')
        return (self.head + more + "".join(b for _, b in shown) + self.tail).encode("utf-8")


def _json(path: str, **extra: object) -> bytes:
    data = json.loads((FIX / path).read_text("utf-8"))
    if extra:
        data.update(extra)
    return json.dumps(data).encode("utf-8")


class World:
    """Routes requests to captured bodies; `base` is the URL the world is reached at."""

    def __init__(self, base: str = "http://127.0.0.1:8999", *, telegram_page_size: int = 4,
                 delay: float = 0.0) -> None:
        self.base = base.rstrip("/")
        self.channel = TelegramChannel(telegram_page_size)
        self.empty_channel = TelegramChannel(empty=True)
        self.faults: dict[str, list[str]] = {}
        self.requests: list[str] = []
        self.delay = delay
        self.lock = threading.Lock()

    def fault(self, path: str, query: dict[str, str] | None, *kinds: str) -> None:
        self.faults.setdefault(self._key(path, query or {}), []).extend(kinds)

    @staticmethod
    def _key(path: str, query: dict[str, str]) -> str:
        return path + ("?" + urlencode(sorted(query.items())) if query else "")

    # -- routing
    def respond(self, path: str, query: dict[str, str]) -> Response:
        key = self._key(path, query)
        with self.lock:
            self.requests.append(key)
            pending = self.faults.get(key)
            fault = pending.pop(0) if pending else None
        if fault == "429":
            return 429, {"Retry-After": "0"}, b"slow down"
        if fault == "500":
            return 500, {}, b"oops"
        if fault == "html":
            # What a CDN challenge looks like: status 200, HTML instead of the answer.
            return 200, {"content-type": "text/html"}, (
                b"<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
                b"<body>Checking your browser before accessing.</body></html>")
        if fault == "403":
            return 403, {"content-type": "application/json"}, b'{"error":"login required"}'
        status, headers, body = self._route(path, query)
        if fault == "truncated":
            body = body[: len(body) // 2]
        elif fault == "invalid_json":
            body = body[: len(body) // 3]
        elif fault == "cutoff":
            headers = {**headers, "x-cutoff": "1"}   # the transports cut the body on the wire
        return status, headers, body

    def _route(self, path: str, q: dict[str, str]) -> Response:
        html = {"content-type": "text/html; charset=utf-8"}
        js = {"content-type": "application/json; charset=utf-8"}
        if path == f"/s/{self.channel.channel}":
            before = int(q["before"]) if "before" in q else None
            return 200, html, self.channel.page(before)
        if path == "/s/emptychan":
            return 200, html, self.empty_channel.page(None)
        if path == "/xrpc/com.atproto.identity.resolveHandle":
            dids = {"dan.test": DAN_DID}
            if q.get("handle") in dids:
                return 200, js, json.dumps({"did": dids[q["handle"]]}).encode()
            return 400, js, b'{"error":"InvalidRequest","message":"Unable to resolve handle"}'
        if path == "/xrpc/app.bsky.feed.getAuthorFeed":
            if q.get("cursor") == "page2":
                return 200, js, _json("bluesky/appview/getAuthorFeed_full_2.json")
            return 200, js, _json("bluesky/appview/getAuthorFeed_full.json", cursor="page2")
        if path == "/xrpc/app.bsky.feed.getLikes":
            return 200, js, _json("bluesky/appview/getLikes_post.json", uri=q.get("uri", ""))
        if path == "/xrpc/app.bsky.feed.getRepostedBy":
            return 200, js, json.dumps({"repostedBy": [], "uri": q.get("uri", "")}).encode()
        if path == "/xrpc/app.bsky.feed.getQuotes":
            return 200, js, json.dumps({"posts": [], "uri": q.get("uri", "")}).encode()
        if path == "/xrpc/app.bsky.graph.getFollows":
            return 200, js, _json("bluesky/appview/getFollows.json")
        if path == "/xrpc/com.atproto.repo.listRecords":
            # The captured like (of the liker's own post: not kept) and a hand-made like of a
            # watch-listed author's post (kept).
            like = json.loads((FIX / "bluesky/atproto_sdk/like_record.json").read_text())
            watched = {"uri": f"at://{DAN_DID}/app.bsky.feed.like/3kwatchlike22", "cid": "cids(9)",
                       "value": {"$type": "app.bsky.feed.like", "createdAt": WATCHED_LIKE_AT,
                                 "subject": {"uri": WATCHED_POST, "cid": "cids(8)"}}}
            return 200, js, json.dumps({"records": [watched, like]}).encode()
        if path == "/api/v1/accounts/lookup":
            if q.get("acct") == "mastodonpy_test":
                # The captured account, given the id of the account whose statuses were
                # captured, so that its statuses are "its own" (hand-made link).
                return 200, js, _json("mastodon/account.json", id=STATUSES_ACCOUNT)
            if q.get("acct") == "private":
                return 403, js, b'{"error":"This method requires an authenticated user"}'
            return 404, js, b'{"error":"Record not found"}'
        m = re.fullmatch(r"/api/v1/accounts/(\d+)/(statuses|following)", path)
        if m and m.group(2) == "statuses":
            url = f"{self.base}{path}"

            def link(next_max: str, prev_min: str) -> dict[str, str]:
                return {**js, "link": f'<{url}?limit=40&max_id={next_max}>; rel="next", '
                                      f'<{url}?limit=40&min_id={prev_min}>; rel="prev"'}

            if q.get("max_id") == "117020580489281910":
                return (200, link("117020580452511285", "117020580481736214"),
                        (FIX / "mastodon/account_statuses_page2_max_id.json").read_bytes())
            if q.get("max_id") == "117020580452511285":
                return 200, js, b"[]"
            return (200, link("117020580489281910", "117020580518794573"),
                    (FIX / "mastodon/account_statuses_page1.json").read_bytes())
        if m:
            return 200, js, (FIX / "mastodon/account_following_hidden.json").read_bytes()
        m = re.fullmatch(r"/api/v1/statuses/(\d+)/(favourited_by|reblogged_by|context)", path)
        if m:
            name = {"favourited_by": "status_favourited_by.json",
                    "reblogged_by": "status_reblogged_by.json",
                    "context": "status_context.json"}[m.group(2)]
            return 200, js, (FIX / "mastodon" / name).read_bytes()
        return 404, {"content-type": "text/plain"}, b"not found"

    # -- transports
    def transport(self) -> httpx.MockTransport:
        def handler(request: httpx.Request) -> httpx.Response:
            status, headers, body = self.respond(request.url.path, dict(request.url.params))
            if headers.pop("x-cutoff", None):
                headers["content-length"] = str(len(body) + 100)
            return httpx.Response(status, headers=headers, content=body)

        return httpx.MockTransport(handler)

    def serve(self) -> tuple[ThreadingHTTPServer, str]:
        """Serve on 127.0.0.1 (a free port) in a daemon thread; returns (server, base URL)."""
        world = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                if world.delay:
                    threading.Event().wait(world.delay)
                status, headers, body = world.respond(parts.path, dict(parse_qsl(parts.query)))
                cut = headers.pop("x-cutoff", None)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body) + (100 if cut else 0)))
                self.end_headers()
                self.wfile.write(body)
                if cut:
                    self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        base = f"http://127.0.0.1:{server.server_address[1]}"
        self.base = base
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server, base


def loopback_settings(base: str) -> dict[str, object]:
    """Settings (as `load_settings` overrides) pointing every platform at `base`, fast limits."""
    fast = {"requests": 10000, "per_seconds": 1, "burst": 100}
    return {
        "platforms": {
            "telegram_base_url": base,
            "bluesky_appview_url": base,
            "bluesky_pds_hosts": [base],
            "mastodon_servers": [MASTODON_SERVER],
            "mastodon_base_urls": {MASTODON_SERVER: base},
        },
        "http": {"backoff_base": 0.001, "backoff_max": 0.01, "max_retries": 3,
                 "rate_limits": {k: fast for k in ("telegram", "bluesky", "mastodon", "media")}},
    }


def loopback_env(base: str) -> dict[str, str]:
    """The same settings as PANTAU_* environment variables (for a subprocess)."""
    s = loopback_settings(base)
    return {
        "PANTAU_PLATFORMS__TELEGRAM_BASE_URL": base,
        "PANTAU_PLATFORMS__BLUESKY_APPVIEW_URL": base,
        "PANTAU_PLATFORMS__BLUESKY_PDS_HOSTS": json.dumps([base]),
        "PANTAU_PLATFORMS__MASTODON_SERVERS": json.dumps([MASTODON_SERVER]),
        "PANTAU_PLATFORMS__MASTODON_BASE_URLS": json.dumps({MASTODON_SERVER: base}),
        "PANTAU_HTTP__BACKOFF_BASE": "0.001",
        "PANTAU_HTTP__BACKOFF_MAX": "0.01",
        "PANTAU_HTTP__MAX_RETRIES": "3",
        "PANTAU_HTTP__RATE_LIMITS": json.dumps(s["http"]["rate_limits"]),  # type: ignore[index]
    }


def seed_work_list(store) -> None:
    """Registered ASN accounts and watch-listed accounts on every platform of the world."""
    from pantau.timeutil import utcnow

    now = utcnow()
    nip = "198503142010011002"
    store.upsert("accounts", [
        {"platform": "telegram", "handle": "topwar_official", "nip": nip, "added_at": now},
        {"platform": "telegram", "handle": "emptychan", "nip": nip, "added_at": now},
        {"platform": "bluesky", "handle": "dan.test", "nip": nip, "added_at": now},
        {"platform": "mastodon", "handle": MASTODON_ACCOUNT, "nip": nip, "added_at": now},
        {"platform": "mastodon", "handle": f"private@{MASTODON_SERVER}", "nip": nip,
         "added_at": now},
    ], key=["platform", "handle"])
    store.upsert("watch_accounts", [
        # Resolved by an earlier run: the capture's placeholder DID (not a did: string, so
        # resolveHandle could not have answered it).
        {"election_id": "test", "platform": "bluesky", "handle": "alice.test", "role": "campaign",
         "platform_id": "user(0)"},
        {"election_id": "test", "platform": "mastodon", "handle": MASTODON_ACCOUNT,
         "role": "campaign"},
    ], key=["election_id", "platform", "handle"])


ACTIVITY_COLUMNS = ("activity_id, platform, type, actor_id, actor_handle, native_id, target_id, "
                    "text, created_at, url, reply_to, forwarded_from, media_count, evidence_id")


def activity_rows(store) -> list[tuple]:
    """Every activity, minus when it was observed (which differs between runs)."""
    return store.rows(f"SELECT {ACTIVITY_COLUMNS} FROM activities ORDER BY activity_id")

