"""The real collectors' parsers read the demo server's pages and recover every planted act."""

from __future__ import annotations

import pytest

from pantau.collectors.telegram.parse import parse_channel_page
from pantau.demo import DemoApp, build_world

HOST = "127.0.0.1:8000"


@pytest.fixture(scope="module")
def world():
    return build_world(seed=2024, scale=1.0)


def _walk_channel(app: DemoApp, channel: str) -> list:
    found = []
    target = f"/s/{channel}"
    while True:
        parsed = parse_channel_page(app.respond(target, HOST).body, source_url=target)
        assert not parsed.problems, parsed.problems
        found += parsed.activities
        if parsed.cursor is None:
            return found
        target = f"/s/{channel}?before={parsed.cursor}"


def test_telegram_parser_recovers_every_act(world) -> None:
    app = DemoApp(world)
    activities = {}
    for account in world.accounts:
        if account.platform == "telegram":
            for activity in _walk_channel(app, account.handle):
                activities[activity.id] = activity
    truth = [t for t in world.truth if t.platform == "telegram"]
    assert sum(t.planted for t in truth) > 20
    missing = [t for t in truth if t.activity_id not in activities]
    assert not missing, missing[:5]
    posts = {p.native_id: p for p in world.posts if p.platform == "telegram"}
    for t in truth:
        activity = activities[t.activity_id]
        post = posts[activity.native_id]
        assert activity.created_at == post.created_at.replace(microsecond=0)
        assert activity.text == world.text(post)
        if post.kind == "share":  # forwards point at the forwarded campaign/KPU message
            assert activity.type == "share" and activity.target_id == post.target.native_id
            assert activity.forwarded_from == post.target.author.handle
        if post.images:
            assert [m.url for m in activity.media] == [
                f"http://{HOST}/file/{i.key}.jpg" for i in post.images]


def _walk_xrpc(app: DemoApp, method: str, params: str, parse) -> list:
    found, cursor = [], ""
    while True:
        target = f"/xrpc/{method}?{params}&limit=100{cursor}"
        resp = app.respond(target, HOST)
        assert resp.status == 200, (target, resp.body[:200])
        parsed = parse(resp.body, target)
        assert not parsed.problems, parsed.problems
        found += parsed.activities
        if not parsed.cursor or not parsed.activities:
            return found
        cursor = f"&cursor={parsed.cursor}"


def test_bluesky_parser_recovers_every_act(world) -> None:
    from pantau.collectors.bluesky import parse as BP

    app = DemoApp(world)
    ids = set()
    for a in world.accounts:
        if a.platform != "bluesky":
            continue
        feed = _walk_xrpc(app, "app.bsky.feed.getAuthorFeed", f"actor={a.platform_id}",
                          lambda b, u: BP.parse_author_feed(b, source_url=u))
        ids |= {x.id for x in feed}
        if a.role == "asn":  # what the collector reads of a registered account
            ids |= {x.id for x in _walk_xrpc(app, "app.bsky.graph.getFollows", f"actor={a.platform_id}",
                                             lambda b, u: BP.parse_follows(b, source_url=u))}
            ids |= {x.id for x in _walk_xrpc(
                app, "com.atproto.repo.listRecords",
                f"repo={a.platform_id}&collection=app.bsky.feed.like",
                lambda b, u, did=a.platform_id: BP.parse_like_records(b, actor_did=did, source_url=u))}
        if a.watched:  # engagement with a campaign account's posts
            for post in world.index.feed[a.uid]:
                uri = post.native_id
                ids |= {x.id for x in _walk_xrpc(app, "app.bsky.feed.getLikes", f"uri={uri}",
                                                 lambda b, u, t=uri: BP.parse_likes(b, target=t, source_url=u))}
                ids |= {x.id for x in _walk_xrpc(app, "app.bsky.feed.getRepostedBy", f"uri={uri}",
                                                 lambda b, u, t=uri: BP.parse_reposted_by(b, target=t, source_url=u))}
    # Everything but the public's follows (nobody reads a non-ASN's follow list).
    truth = [t for t in world.truth if t.platform == "bluesky" and t.kind != "innocent:non_asn_follow"]
    assert sum(t.planted for t in truth) > 50
    missing = [t for t in truth if t.activity_id not in ids]
    assert not missing, missing[:5]


def test_mastodon_parser_recovers_every_act(world) -> None:
    from pantau.collectors.mastodon import parse as MP
    from pantau.demo.world import ENGAGEMENT_WINDOW

    app = DemoApp(world)
    ids = set()

    def walk(target: str, parse) -> None:
        nonlocal ids
        while target:
            resp = app.respond(target, HOST)
            assert resp.status == 200, (target, resp.body[:200])
            parsed = parse(resp.body, target)
            assert not parsed.problems, parsed.problems
            ids |= {x.id for x in parsed.activities}
            nxt = MP.parse_link_header(resp.headers.get("Link")).get("next")
            target = nxt.removeprefix(f"http://{HOST}") if nxt else ""

    for a in world.accounts:
        if a.platform != "mastodon":
            continue
        walk(f"/api/v1/accounts/{a.platform_id}/statuses?limit=40",
             lambda b, u: MP.parse_statuses(b, source_url=u))
        if a.role == "asn":
            walk(f"/api/v1/accounts/{a.platform_id}/following?limit=80",
                 lambda b, u, h=a.handle, i=a.platform_id: MP.parse_following(
                     b, actor=h, actor_id=i, source_url=u))
        if a.watched:  # the collector reads the engagement of the newest statuses only
            for post in world.index.feed[a.uid][-ENGAGEMENT_WINDOW:]:
                sid = post.local_id
                walk(f"/api/v1/statuses/{sid}/favourited_by?limit=80",
                     lambda b, u, s=sid: MP.parse_favourited_by(b, target=s, source_url=u))
                walk(f"/api/v1/statuses/{sid}/reblogged_by?limit=80",
                     lambda b, u, s=sid: MP.parse_reblogged_by(b, target=s, source_url=u))
    truth = [t for t in world.truth if t.platform == "mastodon" and t.planted]
    assert len(truth) > 40
    missing = [t for t in truth if t.activity_id not in ids]
    assert not missing, missing[:5]
