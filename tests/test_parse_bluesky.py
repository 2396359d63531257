"""Bluesky parsers on the real AppView/SDK captures (expected values read off the JSON by hand)
and on hand-made responses (tests/fixtures/bluesky/handmade/, written for these tests)."""

from __future__ import annotations

import json

import pytest

from pantau.collectors.bluesky import parse as P
from pantau.errors import ParseError
from parse_helpers import BLUESKY, OBSERVED, utc

EPOCH = utc(1970, 1, 1)
TIM_POST = "at://did:plc:tim02pemenangan000000000/app.bsky.feed.post/3lbtim0000001"
BUDI = "did:plc:budiasn000000000000000"


def body(*parts: str) -> bytes:
    return BLUESKY.joinpath(*parts).read_bytes()


# --- real captures -----------------------------------------------------------------------------


def test_author_feed_snapshot_alice() -> None:
    parsed = P.parse_author_feed(body("appview", "getAuthorFeed_full.json"),
                                 observed_at=OBSERVED)
    assert parsed.problems == [] and parsed.cursor is None
    got = [(a.type, a.native_id, a.actor_id, a.actor_handle, a.text, a.target_id,
            a.target_author_id, a.target_author_handle, a.reply_to) for a in parsed.activities]
    assert got == [
        # a reply to bob's post record(3) (the response carries the parent, so bob's handle)
        ("comment", "record(0)", "user(0)", "alice.test", "thanks bob", "record(3)", "user(2)",
         "bob.test", "record(3)"),
        # embeds dan's post record(7): a quote
        ("quote", "record(6)", "user(0)", "alice.test", "yoohoo label_me", "record(7)",
         "user(4)", "dan.test", None),
        ("post", "record(2)", "user(0)", "alice.test", "again", None, None, None, None),
        ("post", "record(13)", "user(0)", "alice.test", "hey there", None, None, None, None),
    ]
    # placeholders: 1970 dates are read as given, non-at:// URIs give no URL
    assert all(a.created_at == EPOCH and a.url is None for a in parsed.activities)
    first, _, again, _ = parsed.activities
    assert first.metrics == {"likes": 0, "reposts": 1, "replies": 0, "quotes": 0}
    assert again.metrics == {"likes": 3, "reposts": 1, "replies": 3, "quotes": 0}
    assert first.extra["indexed_at"] == "1970-01-01T00:00:00.000Z"
    assert first.extra["thread_root"] == "record(2)"
    assert first.id == "bluesky:record(0)"


def test_author_feed_snapshot_bob_images() -> None:
    parsed = P.parse_author_feed(body("appview", "getAuthorFeed_full_2.json"))
    assert [(a.type, a.native_id, a.text) for a in parsed.activities] == [
        ("comment", "record(0)", "hear that label_me label_me_2"),
        ("post", "record(6)", "bobby boy here"),
        ("post", "record(7)", "bob back at it again!"),
    ]
    reply = parsed.activities[0]
    assert (reply.actor_handle, reply.reply_to, reply.target_author_handle) == (
        "bob.test", "record(1)", "alice.test")
    assert [(m.kind, m.url) for m in reply.media] == [
        ("photo", "https://bsky.public.url/img/feed_fullsize/plain/user(1)/cids(2)")]
    assert reply.extra["labels"] == ["test-label", "test-label-2"]
    assert parsed.activities[2].metrics["quotes"] == 1
    assert parsed.activities[2].extra["langs"] == ["en-US", "i-klingon"]


def test_likes_snapshot() -> None:
    parsed = P.parse_likes(body("appview", "getLikes_post.json"), observed_at=OBSERVED)
    assert [(a.type, a.actor_id, a.actor_handle, a.target_id, a.created_at)
            for a in parsed.activities] == [
        ("like", "user(0)", "eve.test", "record(5)", EPOCH),
        ("like", "user(1)", "dan.test", "record(5)", EPOCH),
        ("like", "user(2)", "carol.test", "record(5)", EPOCH),
        ("like", "user(3)", "bob.test", "record(5)", EPOCH),
    ]
    assert all(a.native_id is None for a in parsed.activities)
    assert parsed.activities[0].id == "bluesky:like:user(0):record(5)"


def test_follows_snapshot_and_sdk() -> None:
    snap = P.parse_follows(body("appview", "getFollows.json"))
    assert [(a.actor_id, a.actor_handle, a.target_id, a.target_author_handle)
            for a in snap.activities] == [
        ("user(8)", "alice.test", "user(0)", "eve.test"),
        ("user(8)", "alice.test", "user(2)", "dan.test"),
        ("user(8)", "alice.test", "user(4)", "carol.test"),
        ("user(8)", "alice.test", "user(6)", "bob.test"),
    ]
    real = P.parse_follows(body("atproto_sdk", "get_follows.json"), observed_at=OBSERVED)
    assert real.info == {"subject": "did:plc:kvwvcn5iqfooopmyzvb4qzba",
                         "subject_handle": "test.marshal.dev"}
    assert [(a.target_id, a.target_author_handle) for a in real.activities] == [
        ("did:plc:vpkhqolt662uhesyj6nxm7ys", "why.bsky.team"),
        ("did:plc:l3rouwludahu3ui3bt66mfvj", "divy.zone"),
        ("did:plc:oky5czdrnfjpqslsw2a5iclo", "jay.bsky.team"),
        ("did:plc:z72i7hdynmk6r22z27h6tvur", "bsky.app"),
        ("did:plc:m2jwplpernhxkzbo4ev5ljwj", "vercel.com"),
        ("did:plc:s6jnht6koorxz7trghirytmf", "marshal.dev"),
    ]
    first = real.activities[0]
    assert (first.type, first.actor_id, first.created_at, first.url) == (
        "follow", "did:plc:kvwvcn5iqfooopmyzvb4qzba", None,
        "https://bsky.app/profile/why.bsky.team")
    assert first.id == ("bluesky:follow:did:plc:kvwvcn5iqfooopmyzvb4qzba:"
                        "did:plc:vpkhqolt662uhesyj6nxm7ys")


def test_post_thread_quote_with_media() -> None:
    parsed = P.parse_post_thread(body("atproto_sdk", "thread_view_post_with_embed_media.json"))
    (a,) = parsed.activities
    assert a.type == "quote"
    assert a.native_id == "at://did:plc:kvwvcn5iqfooopmyzvb4qzba/app.bsky.feed.post/3kaheyt6vpc22"
    assert a.target_id == "at://did:plc:kvwvcn5iqfooopmyzvb4qzba/app.bsky.feed.post/3kahesw26il2z"
    assert (a.actor_handle, a.target_author_handle, a.text) == (
        "test.marshal.dev", "test.marshal.dev", "")
    assert a.created_at == utc(2023, 9, 28, 12, 49, 36, 735000)
    assert a.extra["indexed_at"] == "2023-09-28T12:49:36.735Z"
    assert a.url == "https://bsky.app/profile/test.marshal.dev/post/3kaheyt6vpc22"
    assert [(m.kind, m.url) for m in a.media] == [(
        "photo", "https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:kvwvcn5iqfooopmyzvb4qzba/"
                 "bafkreic3cp5ky525vsukjvrzxsc2h3jka2gud74l2hgeatw2rhj2qycnmq@jpeg")]


def test_resolve_handle() -> None:
    assert P.parse_resolve_handle(body("atproto_sdk", "resolve_handle.json")) == (
        "did:plc:z72i7hdynmk6r22z27h6tvur")
    with pytest.raises(ParseError, match="no 'did'"):
        P.parse_resolve_handle(b'{"handle": "x"}')


def test_like_records_from_real_records() -> None:
    parsed = P.parse_like_records(body("handmade", "listRecords_likes.json"),
                                  actor_did="did:plc:kvwvcn5iqfooopmyzvb4qzba")
    assert parsed.cursor == "3k5u5ammyg72r"
    assert [(a.type, a.actor_id, a.target_id, a.target_author_id, a.created_at)
            for a in parsed.activities] == [
        ("like", "did:plc:kvwvcn5iqfooopmyzvb4qzba",
         "at://did:plc:kvwvcn5iqfooopmyzvb4qzba/app.bsky.feed.post/3k5u7c7eis72y",
         "did:plc:kvwvcn5iqfooopmyzvb4qzba", utc(2023, 8, 26, 12, 56, 31, 44240)),
        ("like", "did:plc:kvwvcn5iqfooopmyzvb4qzba",
         "at://did:plc:kvwvcn5iqfooopmyzvb4qzba/app.bsky.feed.post/3k5u5amiexh2r",
         "did:plc:kvwvcn5iqfooopmyzvb4qzba", utc(2023, 8, 26, 12, 19, 50, 226623)),
    ]
    assert parsed.activities[0].extra["record_uri"] == (
        "at://did:plc:kvwvcn5iqfooopmyzvb4qzba/app.bsky.feed.like/3k5u7c7j7a52v")


def test_like_seen_from_both_sides_is_one_activity() -> None:
    liked = "at://did:plc:kvwvcn5iqfooopmyzvb4qzba/app.bsky.feed.post/3k5u7c7eis72y"
    get_likes = json.dumps({"uri": liked, "likes": [{
        "actor": {"did": "did:plc:kvwvcn5iqfooopmyzvb4qzba", "handle": "test.marshal.dev"},
        "createdAt": "2023-08-26T12:56:31.044Z", "indexedAt": "2023-08-26T12:56:32.000Z"}]})
    from_likes = P.parse_likes(get_likes).activities[0]
    from_records = P.parse_like_records(
        body("handmade", "listRecords_likes.json"),
        actor_did="did:plc:kvwvcn5iqfooopmyzvb4qzba").activities[0]
    assert from_likes.id == from_records.id


# --- hand-made ---------------------------------------------------------------------------------


def test_feed_repost_reply_quote_and_a_broken_item() -> None:
    parsed = P.parse_author_feed(body("handmade", "getAuthorFeed_repost_reply_quote.json"),
                                 source_url="https://public.api.bsky.app/xrpc/x")
    assert parsed.cursor == "2024-11-20T03:00:01.000Z"
    assert [(p.item_ref, p.error) for p in parsed.problems] == [
        ("feed[3]", "_BadItem: post author has no did")]
    share, comment, quote = parsed.activities

    assert (share.type, share.actor_id, share.actor_handle, share.native_id) == (
        "share", BUDI, "budi.bsky.social", None)
    assert (share.target_id, share.target_author_id, share.target_author_handle) == (
        TIM_POST, "did:plc:tim02pemenangan000000000", "tim02.bsky.social")
    assert share.forwarded_from == "did:plc:tim02pemenangan000000000"
    assert share.created_at == utc(2024, 11, 20, 8)  # the repost's time, not the post's
    assert share.text == "Ayo coblos nomor 2 tanggal 27 November! #Pilkada2024"
    assert share.url == "https://bsky.app/profile/tim02.bsky.social/post/3lbtim0000001"
    assert [(m.kind, m.width, m.height) for m in share.media] == [("photo", 1200, 800)]
    assert share.extra["hashtags"] == ["Pilkada2024"]
    assert share.id == f"bluesky:share:{BUDI}:{TIM_POST}"

    assert (comment.type, comment.reply_to, comment.target_author_handle) == (
        "comment", TIM_POST, "tim02.bsky.social")
    assert comment.created_at == utc(2024, 11, 20, 2, 15)  # +07:00 converted to UTC
    assert comment.text == "Siap, sudah pasti 02 👍"

    assert (quote.type, quote.target_id, quote.target_author_handle) == (
        "quote", TIM_POST, "tim02.bsky.social")
    assert quote.extra["links"] == ["https://example.org/kampanye"]


def test_reposted_by_gives_the_same_share_id_as_the_feed() -> None:
    parsed = P.parse_reposted_by(body("handmade", "getRepostedBy.json"))
    (share,) = parsed.activities
    assert share.id == f"bluesky:share:{BUDI}:{TIM_POST}"
    assert share.forwarded_from == "did:plc:tim02pemenangan000000000"
    assert share.created_at is None and parsed.cursor == "abc"


def test_quotes_and_thread() -> None:
    quotes = P.parse_quotes(body("handmade", "getQuotes.json"))
    assert [(a.type, a.actor_handle, a.target_id) for a in quotes.activities] == [
        ("quote", "budi.bsky.social", TIM_POST)]
    thread = P.parse_post_thread(body("handmade", "getPostThread_replies.json"))
    assert [(a.type, a.actor_handle) for a in thread.activities] == [
        ("post", "tim02.bsky.social"), ("comment", "budi.bsky.social")]
    assert thread.info["unavailable"] == 1  # the blocked reply


# --- whole-body failures -----------------------------------------------------------------------


@pytest.mark.parametrize("parser", [P.parse_author_feed, P.parse_follows, P.parse_post_thread])
def test_invalid_json(parser) -> None:
    with pytest.raises(ParseError, match=r"^feed.json: invalid JSON: .* line 1 column"):
        parser(b'{"feed": [', source_url="feed.json")


def test_wrong_shape() -> None:
    with pytest.raises(ParseError, match="not a getAuthorFeed response"):
        P.parse_author_feed(b'{"likes": []}')
    with pytest.raises(ParseError, match="names no post"):
        P.parse_likes(b'{"likes": []}')
    with pytest.raises(ParseError, match="getFollows subject has no did"):
        P.parse_follows(b'{"follows": []}')


def test_empty_feed() -> None:
    parsed = P.parse_author_feed(b'{"feed": []}')
    assert (parsed.activities, parsed.problems, parsed.cursor) == ([], [], None)


def test_post_urls() -> None:
    assert P.post_url("at://did:plc:a/app.bsky.feed.post/3k", "a.bsky.social") == (
        "https://bsky.app/profile/a.bsky.social/post/3k")
    assert P.post_url("at://did:plc:a/app.bsky.feed.post/3k", "handle.invalid") == (
        "https://bsky.app/profile/did:plc:a/post/3k")
    assert P.post_url("at://did:plc:a/app.bsky.feed.like/3k") is None
    assert P.post_url("record(3)") is None
