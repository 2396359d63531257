"""The demo server: real response shapes (checked against real captures), paging, errors,
loopback binding, fault injection, and the real Telegram parser reading it."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser

from pantau.collectors.telegram.parse import parse_channel_page
from pantau.demo import DemoApp, DemoServer, Faults, build_world

FIXTURES = Path(__file__).parent / "fixtures"
HOST = "127.0.0.1:8000"


@pytest.fixture(scope="module")
def world():
    return build_world(seed=2024, scale=1.0)


@pytest.fixture(scope="module")
def app(world):
    return DemoApp(world)


def get_json(app: DemoApp, target: str):
    resp = app.respond(target, HOST)
    assert resp.status == 200, (target, resp.body[:200])
    assert resp.content_type.startswith("application/json")
    return json.loads(resp.body), resp


def _account(world, platform: str, role: str = "asn", pick=lambda a: True):
    return next(a for a in world.accounts if a.platform == platform and a.role == role and pick(a))


# --- shapes match the real captures -------------------------------------------------------------

TELEGRAM_SELECTORS = [
    "div.tgme_widget_message[data-post]", ".tgme_widget_message_text", "time[datetime]",
    "span.tgme_widget_message_views", ".tgme_widget_message_owner_name",
    "a.tgme_widget_message_date", ".tgme_widget_message_forwarded_from_name",
    "a.tgme_widget_message_photo_wrap", "a.tme_messages_more[data-before]",
    "main.tgme_main[data-url]",
]


def test_telegram_page_has_the_real_markup(world, app) -> None:
    real = LexborHTMLParser((FIXTURES / "telegram" / "full.html").read_text("utf-8"))
    # Concatenate a few demo pages so every kind of message (forward, photo) is present.
    pages = [app.respond("/s/rido_jakarta_demo", HOST)]
    for t in world.truth:
        if t.platform == "telegram" and t.kind in ("planted:share", "planted:photo"):
            channel, msg = t.activity_id.split(":", 1)[1].split("/")
            pages.append(app.respond(f"/s/{channel}?before={int(msg) + 1}", HOST))
    assert all(p.status == 200 and p.content_type.startswith("text/html") for p in pages)
    demo = LexborHTMLParser(b"".join(p.body for p in pages).decode())
    for selector in TELEGRAM_SELECTORS:
        assert real.css_first(selector) is not None, f"fixture lacks {selector}"
        assert demo.css_first(selector) is not None, f"demo page lacks {selector}"
    photo = demo.css_first("a.tgme_widget_message_photo_wrap").attributes["style"]
    assert f"background-image:url('http://{HOST}/file/" in photo


def _keys_present(real: dict, ours: dict, optional: set[str] = frozenset()) -> None:
    missing = set(real) - set(ours) - set(optional)
    assert not missing, f"missing keys {missing}"


def test_bluesky_shapes_match_the_appview(world, app) -> None:
    real_feed = json.loads((FIXTURES / "bluesky/appview/getAuthorFeed_full.json").read_text())
    real_post = real_feed["feed"][2]["post"]
    planted = {t.kind: t for t in world.truth if t.platform == "bluesky" and t.planted}
    reply_uri = planted["planted:comment"].activity_id.removeprefix("bluesky:")
    did = reply_uri.split("/")[2]
    feed, _ = get_json(app, f"/xrpc/app.bsky.feed.getAuthorFeed?actor={did}&limit=100")
    items = feed["feed"]
    for item in items:
        _keys_present(real_post, item["post"])
        _keys_present(real_post["author"], item["post"]["author"], {"avatar"})
        _keys_present(real_post["record"], item["post"]["record"])
    reply = next(i for i in items if i["post"]["uri"] == reply_uri)
    assert set(reply["reply"]) >= {"root", "parent"}
    assert reply["post"]["record"]["reply"]["parent"]["uri"] == reply["reply"]["parent"]["uri"]

    real_likes = json.loads((FIXTURES / "bluesky/appview/getLikes_post.json").read_text())
    target = reply["reply"]["parent"]["uri"]
    likes, _ = get_json(app, f"/xrpc/app.bsky.feed.getLikes?uri={target}")
    assert set(likes) >= set(real_likes)
    for like in likes["likes"]:
        assert set(like) == set(real_likes["likes"][0])
    follows, _ = get_json(app, f"/xrpc/app.bsky.graph.getFollows?actor={did}")
    real_follows = json.loads((FIXTURES / "bluesky/atproto_sdk/get_follows.json").read_text())
    assert set(follows) >= {"follows", "subject"}
    _keys_present(real_follows["follows"][0], follows["follows"][0], {"avatar"})
    resolved, _ = get_json(app, f"/xrpc/com.atproto.identity.resolveHandle?handle={items[0]['post']['author']['handle']}")
    assert set(resolved) == set(json.loads((FIXTURES / "bluesky/atproto_sdk/resolve_handle.json").read_text()))
    thread, _ = get_json(app, f"/xrpc/app.bsky.feed.getPostThread?uri={target}")
    real_thread = json.loads((FIXTURES / "bluesky/atproto_sdk/thread_view_post_with_embed_media.json").read_text())
    assert set(thread["thread"]) >= set(real_thread["thread"])
    assert any(r["post"]["uri"] == reply_uri for r in thread["thread"]["replies"])


def test_bluesky_repost_quote_and_images(world, app) -> None:
    truth = {t.kind: t for t in world.truth if t.platform == "bluesky" and t.planted}
    # bluesky:share:<did>:<post uri>; both parts contain colons.
    actor, subject = truth["planted:share"].activity_id.removeprefix("bluesky:share:").split(":at://")
    subject = "at://" + subject
    feed, _ = get_json(app, f"/xrpc/app.bsky.feed.getAuthorFeed?actor={actor}&limit=100")
    repost = next(i for i in feed["feed"] if "reason" in i and i["post"]["uri"] == subject)
    assert repost["reason"]["$type"] == "app.bsky.feed.defs#reasonRepost"
    assert repost["reason"]["by"]["did"] == actor
    quote_uri = truth["planted:quote"].activity_id.removeprefix("bluesky:")
    quotes_feed, _ = get_json(app, f"/xrpc/app.bsky.feed.getAuthorFeed?actor={quote_uri.split('/')[2]}&limit=100")
    quote = next(i["post"] for i in quotes_feed["feed"] if i["post"]["uri"] == quote_uri)
    assert quote["embed"]["$type"] == "app.bsky.embed.record#view"
    assert quote["embed"]["record"]["$type"] == "app.bsky.embed.record#viewRecord"
    assert quote["record"]["embed"]["$type"] == "app.bsky.embed.record"
    photo_uri = truth["planted:photo"].activity_id.removeprefix("bluesky:")
    photo_feed, _ = get_json(app, f"/xrpc/app.bsky.feed.getAuthorFeed?actor={photo_uri.split('/')[2]}&limit=100")
    photo = next(i["post"] for i in photo_feed["feed"] if i["post"]["uri"] == photo_uri)
    assert photo["embed"]["$type"] == "app.bsky.embed.images#view"
    url = photo["embed"]["images"][0]["fullsize"]
    image = app.respond(url.removeprefix(f"http://{HOST}"), HOST)
    assert image.status == 200 and image.content_type == "image/jpeg"
    assert image.body[:3] == b"\xff\xd8\xff"


def test_mastodon_entities_have_the_real_keys(world, app) -> None:
    real_status = json.loads((FIXTURES / "mastodon/account_statuses_page1.json").read_text())[0]
    real_account = json.loads((FIXTURES / "mastodon/account.json").read_text())
    account, _ = get_json(app, "/api/v1/accounts/lookup?acct=rido")
    assert set(account) == set(real_account)
    statuses, _ = get_json(app, f"/api/v1/accounts/{account['id']}/statuses")
    assert statuses and all(set(s) == set(real_status) for s in statuses)
    fav, _ = get_json(app, f"/api/v1/statuses/{statuses[0]['id']}/favourited_by")
    assert all(set(a) == set(real_account) for a in fav)
    context, _ = get_json(app, f"/api/v1/statuses/{statuses[0]['id']}/context")
    assert set(context) == set(json.loads((FIXTURES / "mastodon/status_context.json").read_text()))


def test_mastodon_reblog_reply_and_hidden_network(world, app) -> None:
    truth = {t.kind: t for t in world.truth if t.platform == "mastodon" and t.planted}
    _, _, actor, status_id = truth["planted:share"].activity_id.split(":")
    statuses, _ = get_json(app, f"/api/v1/accounts/{actor}/statuses?limit=40")
    while not any(s["reblog"] and s["reblog"]["id"] == status_id for s in statuses):
        statuses, _ = get_json(app, f"/api/v1/accounts/{actor}/statuses?limit=40&max_id={statuses[-1]['id']}")
    reply_id = truth["planted:comment"].activity_id.split(":")[1]
    reply, _ = get_json(app, f"/api/v1/statuses/{reply_id}")
    assert reply["in_reply_to_id"] and reply["mentions"][0]["id"] == reply["in_reply_to_account_id"]
    context, _ = get_json(app, f"/api/v1/statuses/{reply['in_reply_to_id']}/context")
    assert reply_id in [s["id"] for s in context["descendants"]]
    hidden = _account(world, "mastodon", pick=lambda a: a.hidden_network)
    following, resp = get_json(app, f"/api/v1/accounts/{hidden.platform_id}/following")
    assert following == [] and "Link" not in resp.headers


def test_errors_are_the_platforms_own(app) -> None:
    assert app.respond("/s/no_such_channel_here", HOST).status == 404
    resp = app.respond("/api/v1/accounts/lookup?acct=nobody", HOST)
    assert resp.status == 404 and json.loads(resp.body) == {"error": "Record not found"}
    resp = app.respond("/xrpc/app.bsky.feed.getAuthorFeed?actor=nobody.bsky.demo", HOST)
    assert resp.status == 400 and json.loads(resp.body)["error"] == "InvalidRequest"
    resp = app.respond("/xrpc/app.bsky.feed.getAuthorFeed?actor=rido.bsky.demo&limit=101", HOST)
    assert resp.status == 400
    assert app.respond("/xrpc/app.bsky.nope", HOST).status == 501
    assert app.respond("/file/unknown.jpg", HOST).status == 404


# --- paging walks every item exactly once ------------------------------------------------------


def test_telegram_paging_with_the_real_parser(world, app) -> None:
    channel = _account(world, "telegram", role="campaign")
    expected = [f"{channel.handle}/{p.local_id}" for p in world.index.feed[channel.uid]]
    assert len(expected) > 20
    seen: list[str] = []
    target = f"/s/{channel.handle}"
    while True:
        parsed = parse_channel_page(app.respond(target, HOST).body, source_url=target)
        assert not parsed.problems
        assert len(parsed.activities) <= 20
        seen += [a.native_id for a in parsed.activities]
        if parsed.cursor is None:
            break
        target = f"/s/{channel.handle}?before={parsed.cursor}"
    assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen))


def test_bluesky_cursor_paging(world, app) -> None:
    post = max((p for p in world.posts if p.platform == "bluesky"),
               key=lambda p: len(world.index.likes_of.get(p.uid, ())))
    expected = {like.actor.platform_id for like in world.index.likes_of[post.uid]}
    assert len(expected) > 3
    seen: list[str] = []
    cursor = ""
    while True:
        page, _ = get_json(app, f"/xrpc/app.bsky.feed.getLikes?uri={post.native_id}&limit=2{cursor}")
        seen += [x["actor"]["did"] for x in page["likes"]]
        if "cursor" not in page:
            break
        cursor = f"&cursor={page['cursor']}"
    assert sorted(seen) == sorted(expected)

    actor = max((a for a in world.accounts if a.platform == "bluesky" and a.role == "asn"),
                key=lambda a: len(world.index.likes_by.get(a.uid, ())))
    records: list[str] = []
    cursor = ""
    while True:
        page, _ = get_json(app, "/xrpc/com.atproto.repo.listRecords?collection=app.bsky.feed.like"
                                f"&repo={actor.platform_id}&limit=2{cursor}")
        if not page["records"]:
            break
        records += [r["value"]["subject"]["uri"] for r in page["records"]]
        cursor = f"&cursor={page['cursor']}"
    assert sorted(records) == sorted(x.target.native_id for x in world.index.likes_by[actor.uid])


def test_mastodon_link_paging(world, app) -> None:
    account = _account(world, "mastodon", role="campaign")
    expected = [p.local_id for p in world.index.feed[account.uid]][::-1]
    seen: list[str] = []
    target = f"/api/v1/accounts/{account.platform_id}/statuses?limit=7"
    prev = None
    while True:
        page, resp = get_json(app, target)
        seen += [s["id"] for s in page]
        links = httpx.Response(200, headers={"link": resp.headers.get("Link", "")}).links
        prev = prev or links.get("prev", {}).get("url")
        if "next" not in links:
            break
        target = links["next"]["url"].removeprefix(f"http://{HOST}")
    assert seen == expected  # newest first, each once (the last full page leads to an empty one)
    # min_id returns the `limit` statuses just newer than it, newest first (as the fixture shows).
    newer, _ = get_json(app, f"/api/v1/accounts/{account.platform_id}/statuses?limit=3&min_id={expected[10]}")
    assert [s["id"] for s in newer] == expected[7:10]
    assert prev is not None and "min_id=" in prev


# --- determinism, loopback, faults ---------------------------------------------------------------


def test_same_seed_same_bytes(world, app) -> None:
    other = DemoApp(build_world(seed=2024, scale=1.0))
    bsky = _account(world, "bluesky")
    masto = _account(world, "mastodon")
    for target in ["/s/rido_jakarta_demo", f"/xrpc/app.bsky.feed.getAuthorFeed?actor={bsky.handle}",
                   f"/api/v1/accounts/{masto.platform_id}/statuses",
                   f"/file/{next(iter(world.images))}.jpg"]:
        assert app.respond(target, HOST).body == other.respond(target, HOST).body


def test_binds_to_loopback_only(world) -> None:
    with pytest.raises(ValueError, match="loopback"):
        DemoServer(world, host="0.0.0.0")
    with DemoServer(world) as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        assert server._httpd.socket.getsockname()[0] == "127.0.0.1"
        resp = httpx.get(server.base_url + "/api/v1/accounts/lookup", params={"acct": "rido"})
        assert resp.status_code == 200 and resp.json()["username"] == "rido"
        assert server.platform_settings()["mastodon_base_urls"] == {"mastodon.demo": server.base_url}
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{server.port}/s/rido_jakarta_demo", timeout=2)


def _outcome(client: httpx.Client, url: str) -> str:
    try:
        resp = client.get(url)
    except httpx.RemoteProtocolError:
        return "truncate_or_reset"
    except (httpx.ReadError, httpx.ConnectError):
        return "truncate_or_reset"
    if resp.status_code == 429:
        assert resp.headers["Retry-After"] == "3"
        return "rate_limit"
    if resp.status_code == 500:
        return "server_error"
    if resp.headers["content-type"].startswith("text/html"):
        return "html"
    resp.json()
    return "ok"


def test_faults_are_injected_as_configured(world) -> None:
    faults = Faults(rate_limit=0.2, server_error=0.2, html=0.2, truncate=0.1, reset=0.1,
                    retry_after=3, seed=5)
    with DemoServer(world, faults=faults) as server:
        url = server.base_url + "/api/v1/accounts/lookup?acct=rido"
        outcomes = []
        for _ in range(120):
            with httpx.Client(timeout=5) as client:  # a fresh connection: resets kill it
                outcomes.append(_outcome(client, url))
        counts = server.fault_counts
    for kind in ("rate_limit", "server_error", "html"):
        assert outcomes.count(kind) == counts[kind] > 5, kind
    assert outcomes.count("truncate_or_reset") == counts["truncate"] + counts["reset"] > 5
    assert outcomes.count("ok") == 120 - sum(counts.values()) > 5


def test_slow_fault_and_faults_off_by_default(world) -> None:
    with DemoServer(world, faults=Faults(slow=1.0, slow_seconds=0.3)) as server:
        start = time.perf_counter()
        assert httpx.get(server.base_url + "/s/rido_jakarta_demo").status_code == 200
        assert time.perf_counter() - start >= 0.3
    with DemoServer(world) as server:
        with httpx.Client() as client:
            assert all(_outcome(client, server.base_url + "/api/v1/accounts/lookup?acct=rido") == "ok"
                       for _ in range(30))
        assert server.fault_counts == {}
    with pytest.raises(ValueError):
        Faults(rate_limit=0.7, server_error=0.7)


def test_server_port_is_free_after_stop(world) -> None:
    with DemoServer(world) as server:
        port = server.port
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))


def test_keep_alive_answers_do_not_wait_for_delayed_acks(world) -> None:
    """Headers and body are two writes: with Nagle's algorithm on, every keep-alive answer
    waited ~40 ms for the client's delayed ACK (the demo's collection was 10x slower)."""
    with DemoServer(world) as server, httpx.Client() as client:
        url = server.base_url + "/api/v1/accounts/lookup?acct=rido"
        client.get(url)
        took = []
        for _ in range(30):
            start = time.perf_counter()
            assert client.get(url).status_code == 200
            took.append(time.perf_counter() - start)
    took.sort()
    assert took[len(took) // 2] < 0.035
