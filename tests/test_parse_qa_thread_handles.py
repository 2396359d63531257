"""getPostThread replies name the replied-to author's handle (QA walkthrough finding).

The thread is hand-made in the shape of app.bsky.feed.getPostThread: a root post, a reply to
it and a reply to that reply; reply nodes carry no ``parent`` of their own.
"""

from __future__ import annotations

import json
from typing import Any

from pantau.collectors.bluesky.parse import parse_post_thread


def _post(did: str, handle: str, rkey: str, text: str, parent: str | None = None) -> dict[str, Any]:
    uri = f"at://{did}/app.bsky.feed.post/{rkey}"
    record: dict[str, Any] = {"$type": "app.bsky.feed.post", "text": text,
                              "createdAt": "2024-11-01T03:00:00.000Z"}
    if parent:
        record["reply"] = {"root": {"uri": "at://did:plc:kampanye/app.bsky.feed.post/root",
                                    "cid": "c0"}, "parent": {"uri": parent, "cid": "c"}}
    return {"uri": uri, "cid": f"c-{rkey}", "author": {"did": did, "handle": handle},
            "record": record, "indexedAt": "2024-11-01T03:00:01.000Z"}


def test_nested_replies_carry_parent_handle() -> None:
    root = _post("did:plc:kampanye", "kampanye.bsky.social", "root", "Coblos nomor 3!")
    first = _post("did:plc:asn1", "budi.bsky.social", "r1", "Setuju!", root["uri"])
    second = _post("did:plc:asn2", "sari.bsky.social", "r2", "Mantap", first["uri"])
    body = {"thread": {"$type": "app.bsky.feed.defs#threadViewPost", "post": root, "replies": [
        {"$type": "app.bsky.feed.defs#threadViewPost", "post": first, "replies": [
            {"$type": "app.bsky.feed.defs#threadViewPost", "post": second, "replies": []}]},
    ]}}
    parsed = parse_post_thread(json.dumps(body))
    by_text = {a.text: a for a in parsed.activities}
    assert by_text["Setuju!"].target_author_handle == "kampanye.bsky.social"
    assert by_text["Setuju!"].target_author_id == "did:plc:kampanye"
    assert by_text["Mantap"].target_author_handle == "budi.bsky.social"
    assert by_text["Coblos nomor 3!"].target_author_handle is None
