"""`pantau parse` on every capture, the response kind told from the body."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pantau.cli import main
from pantau.collectors.reparse import detect_kind
from parse_helpers import FIXTURES

REQUIRED_KEYS = {"id", "platform", "type", "actor", "target", "text", "created_at", "url",
                 "forwarded_from", "actor_id", "actor_handle", "native_id", "reply_to", "media",
                 "metrics", "target_author"}

CASES = [
    # platform, file, detected kind, number of activities, first activity id
    ("telegram", "telegram/full.html", "channel_page", 12, "telegram:topwar_official/70989"),
    ("telegram", "telegram/message_media_file.html", "channel_page", 1,
     "telegram:oper_goblin/16936"),
    ("bluesky", "bluesky/appview/getAuthorFeed_full.json", "author_feed", 4, "bluesky:record(0)"),
    ("bluesky", "bluesky/appview/getLikes_post.json", "likes", 4,
     "bluesky:like:user(0):record(5)"),
    ("bluesky", "bluesky/appview/getFollows.json", "follows", 4,
     "bluesky:follow:user(8):user(0)"),
    ("bluesky", "bluesky/atproto_sdk/get_follows.json", "follows", 6,
     "bluesky:follow:did:plc:kvwvcn5iqfooopmyzvb4qzba:did:plc:vpkhqolt662uhesyj6nxm7ys"),
    ("bluesky", "bluesky/atproto_sdk/thread_view_post_with_embed_media.json", "post_thread", 1,
     "bluesky:at://did:plc:kvwvcn5iqfooopmyzvb4qzba/app.bsky.feed.post/3kaheyt6vpc22"),
    ("bluesky", "bluesky/handmade/getRepostedBy.json", "reposted_by", 1,
     "bluesky:share:did:plc:budiasn000000000000000:"
     "at://did:plc:tim02pemenangan000000000/app.bsky.feed.post/3lbtim0000001"),
    ("bluesky", "bluesky/handmade/getQuotes.json", "quotes", 1,
     "bluesky:at://did:plc:budiasn000000000000000/app.bsky.feed.post/3lbbudi000003"),
    ("bluesky", "bluesky/handmade/listRecords_likes.json", "like_records", 2,
     "bluesky:like:did:plc:kvwvcn5iqfooopmyzvb4qzba:"
     "at://did:plc:kvwvcn5iqfooopmyzvb4qzba/app.bsky.feed.post/3k5u7c7eis72y"),
    ("mastodon", "mastodon/account_statuses_page1.json", "statuses", 5,
     "mastodon:117020580518794573"),
    ("mastodon", "mastodon/status_context.json", "context", 0, None),
    ("mastodon", "mastodon/status_reblogged_by_empty.json", "statuses", 0, None),
    ("mastodon", "mastodon/account_following_hidden.json", "statuses", 0, None),
]


def run(argv: list[str], capsys) -> tuple[int, list[dict], str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines() if line.strip()], err


@pytest.mark.parametrize("platform, name, kind, count, first_id", CASES)
def test_parse_every_capture(platform, name, kind, count, first_id, capsys) -> None:
    path = FIXTURES / name
    assert detect_kind(platform, path.read_bytes(), path) == kind
    code, lines, err = run(["parse", platform, str(path)], capsys)
    assert code == 0, err
    assert len(lines) == count
    assert f"{platform} {kind}: {count} activities, 0 problem(s)" in err
    if lines:
        assert lines[0]["id"] == first_id
        assert REQUIRED_KEYS <= set(lines[0])


def test_parse_output_values(capsys) -> None:
    code, lines, _ = run(["parse", "telegram", str(FIXTURES / "telegram/full.html")], capsys)
    assert code == 0
    share = next(line for line in lines if line["native_id"] == "topwar_official/70996")
    assert share["type"] == "share"
    assert share["actor"] == "topwar_official"
    assert share["target"] == "yaremshooter/1066"
    assert share["forwarded_from"] == "yaremshooter"
    assert share["created_at"] == "2023-02-28T09:06:02Z"
    assert share["url"] == "https://t.me/topwar_official/70996"
    assert share["metrics"] == {"views": 32900}


def test_parse_reports_problems_and_cursor(capsys) -> None:
    code, lines, err = run(
        ["parse", "telegram", str(FIXTURES / "telegram/handmade/edge_cases.html")], capsys)
    assert code == 0 and len(lines) == 8
    assert "data-post=KawalPilkada/509: _BadMessage: message has no time" in err
    code, _, err = run(["parse", "telegram", str(FIXTURES / "telegram/full.html")], capsys)
    assert "next page cursor 70989" in err


def test_mastodon_account_lists_need_a_kind_or_a_telling_name(tmp_path: Path, capsys) -> None:
    src = FIXTURES / "mastodon/status_favourited_by.json"
    plain = tmp_path / "accounts.json"
    shutil.copy(src, plain)
    code, lines, err = run(["parse", "mastodon", str(plain)], capsys)
    assert code == 2 and lines == []
    assert "accounts.json: a list of accounts: say which list it is with --kind" in err

    code, lines, err = run(["parse", "mastodon", str(plain), "--kind", "favourited_by"], capsys)
    assert code == 2 and "give --target" in err

    code, lines, _ = run(["parse", "mastodon", str(plain), "--kind", "favourited_by",
                          "--target", "http://localhost:3000/@a/117020585802289163"], capsys)
    assert code == 0
    assert [(line["type"], line["target"]) for line in lines] == [("like", "117020585802289163")]

    # An account as target: the list is whom it follows.
    code, lines, _ = run(["parse", "mastodon", str(plain), "--target",
                          "http://localhost:3000/@budi"], capsys)
    assert code == 0
    assert [(line["type"], line["actor"], line["target"]) for line in lines] == [
        ("follow", "budi@localhost:3000", "117020565966271181")]

    # The capture's own name says what it is.
    code, lines, _ = run(["parse", "mastodon", str(src), "--target", "117020585802289163"],
                         capsys)
    assert code == 0 and lines[0]["id"] == "mastodon:like:117020565966271181:117020585802289163"


def test_lookups_print_their_record(capsys) -> None:
    code, lines, _ = run(["parse", "mastodon", str(FIXTURES / "mastodon/account.json")], capsys)
    assert code == 0 and lines[0]["acct"] == "mastodonpy_test@localhost:3000"
    code, lines, _ = run(["parse", "bluesky",
                          str(FIXTURES / "bluesky/atproto_sdk/resolve_handle.json")], capsys)
    assert code == 0 and lines == [{"did": "did:plc:z72i7hdynmk6r22z27h6tvur"}]


def test_bluesky_target_overrides_the_body(capsys) -> None:
    target = "at://did:plc:abc/app.bsky.feed.post/3kxyz"
    code, lines, _ = run(["parse", "bluesky", str(FIXTURES / "bluesky/appview/getLikes_post.json"),
                          "--target", target], capsys)
    assert code == 0
    assert {line["target"] for line in lines} == {target}
    assert {line["target_author"] for line in lines} == {"did:plc:abc"}
    assert lines[0]["url"] == "https://bsky.app/profile/did:plc:abc/post/3kxyz"


@pytest.mark.parametrize("platform, content, message", [
    ("bluesky", b'{"feed": [', "bad.json: invalid JSON: Expecting value at line 1 column 11"),
    ("mastodon", b"<html>", "bad.json: invalid JSON"),
    ("bluesky", b'{"something": []}', "bad.json: not a Bluesky response pantau reads"),
    ("telegram", b"<html><body>login</body></html>",
     "bad.json: not a Telegram channel page"),
])
def test_unusable_input_names_the_file(platform, content, message, tmp_path: Path,
                                       capsys) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    code, lines, err = run(["parse", platform, str(bad)], capsys)
    assert code != 0 and lines == []
    assert message in " ".join(err.split())


def test_missing_file_and_unknown_platform(tmp_path: Path, capsys) -> None:
    code, _, err = run(["parse", "telegram", str(tmp_path / "nope.html")], capsys)
    assert code == 2 and "nope.html: file not found" in err
    page = FIXTURES / "telegram/message_text.html"
    code, _, err = run(["parse", "myspace", str(page)], capsys)
    assert code == 2 and "unknown platform 'myspace'" in err
    code, _, err = run(["parse", "bluesky", str(page), "--kind", "timeline"], capsys)
    assert code == 2 and "unknown bluesky kind 'timeline'" in err
