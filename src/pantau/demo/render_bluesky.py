"""Bluesky AppView XRPC (and the PDS ``listRecords``) for the demo world.

Shapes follow the official AppView output in tests/fixtures/bluesky/ (see PROVENANCE.md):
feed view posts (``post``, ``reply``, ``reason`` = ``app.bsky.feed.defs#reasonRepost``), post
views with ``record`` and ``embed`` views (images, quoted records), ``cursor`` only while more
pages exist. Errors are what the real AppView answers: HTTP 400 with ``{"error", "message"}``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from .media import image_bytes
from .world import DemoAccount, DemoFollow, DemoImage, DemoLike, DemoPost, World, page_before


class XrpcError(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        self.status, self.error, self.message = status, error, message
        super().__init__(message)


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def profile_basic(a: DemoAccount) -> dict[str, Any]:
    return {
        "did": a.platform_id, "handle": a.handle, "displayName": a.display_name,
        "associated": {"activitySubscription": {"allowSubscriptions": "followers"}},
        "viewer": {"muted": False, "blockedBy": False}, "labels": [], "createdAt": iso(a.ms),
    }


def profile_view(a: DemoAccount) -> dict[str, Any]:
    return {**profile_basic(a), "description": a.bio, "indexedAt": iso(a.ms)}


def _facets(text: str) -> list[dict[str, Any]]:
    facets = []
    for m in re.finditer(r"#(\w+)", text):
        start = len(text[: m.start()].encode())
        facets.append({
            "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": m.group(1)}],
            "index": {"byteStart": start, "byteEnd": start + len(m.group(0).encode())},
        })
    return facets


def _blob_size(image: DemoImage) -> int:
    return len(image_bytes(image))  # the true size: rendered posters and hand photos are cached


def record(world: World, post: DemoPost) -> dict[str, Any]:
    text = world.text(post)
    rec: dict[str, Any] = {"$type": "app.bsky.feed.post", "createdAt": iso(post.ms),
                           "langs": ["id"], "text": text}
    facets = _facets(text)
    if facets:
        rec["facets"] = facets
    if post.kind == "reply" and post.target is not None:
        ref = {"cid": post.target.cid, "uri": post.target.native_id}
        rec["reply"] = {"parent": ref, "root": ref}
    if post.kind == "quote" and post.target is not None:
        rec["embed"] = {"$type": "app.bsky.embed.record",
                        "record": {"cid": post.target.cid, "uri": post.target.native_id}}
    elif post.images:
        rec["embed"] = {"$type": "app.bsky.embed.images", "images": [
            {"alt": "", "image": {"$type": "blob", "ref": {"$link": i.key},
                                  "mimeType": "image/jpeg", "size": _blob_size(i)},
             "aspectRatio": {"width": i.width, "height": i.height}} for i in post.images]}
    return rec


def _images_view(post: DemoPost, base: str) -> dict[str, Any]:
    did = post.author.platform_id
    return {"$type": "app.bsky.embed.images#view", "images": [
        {"thumb": f"{base}/img/feed_thumbnail/plain/{did}/{i.key}@jpeg",
         "fullsize": f"{base}/img/feed_fullsize/plain/{did}/{i.key}@jpeg",
         "alt": "", "aspectRatio": {"width": i.width, "height": i.height}} for i in post.images]}


def _counts(world: World, post: DemoPost) -> dict[str, int]:
    ix = world.index
    return {"replyCount": len(ix.replies.get(post.uid, ())),
            "repostCount": len(ix.shares.get(post.uid, ())),
            "likeCount": len(ix.likes_of.get(post.uid, ())),
            "quoteCount": len(ix.quotes.get(post.uid, ())), "bookmarkCount": 0}


def post_view(world: World, post: DemoPost, base: str) -> dict[str, Any]:
    view: dict[str, Any] = {
        "uri": post.native_id, "cid": post.cid, "author": profile_basic(post.author),
        "record": record(world, post), **_counts(world, post), "indexedAt": iso(post.ms),
        "viewer": {"bookmarked": False, "embeddingDisabled": False, "threadMuted": False},
        "labels": [],
    }
    if post.kind == "quote" and post.target is not None:
        t = post.target
        quoted = {
            "$type": "app.bsky.embed.record#viewRecord", "uri": t.native_id, "cid": t.cid,
            "author": profile_basic(t.author), "value": record(world, t), "labels": [],
            "indexedAt": iso(t.ms), "embeds": [_images_view(t, base)] if t.images else [],
            **{k: v for k, v in _counts(world, t).items() if k != "bookmarkCount"},
        }
        view["embed"] = {"$type": "app.bsky.embed.record#view", "record": quoted}
    elif post.images:
        view["embed"] = _images_view(post, base)
    return view


def feed_item(world: World, post: DemoPost, base: str) -> dict[str, Any]:
    if post.kind == "share" and post.target is not None:
        return {"post": post_view(world, post.target, base), "reason": {
            "$type": "app.bsky.feed.defs#reasonRepost", "by": profile_basic(post.author),
            "uri": post.native_id, "cid": post.cid, "indexedAt": iso(post.ms)}}
    item: dict[str, Any] = {"post": post_view(world, post, base)}
    if post.kind == "reply" and post.target is not None:
        parent = {"$type": "app.bsky.feed.defs#postView", **post_view(world, post.target, base)}
        item["reply"] = {"root": parent, "parent": parent}
    return item


# --- paging -------------------------------------------------------------------------------------


def _key(item: DemoPost | DemoLike | DemoFollow) -> tuple[int, int]:
    return (item.ms, item.uid)


def _cursor_of(item) -> str:
    return f"{item.ms}::{item.uid}"


def _parse_cursor(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    ms, sep, uid = text.partition("::")
    if not sep or not ms.isdigit() or not uid.isdigit():
        raise XrpcError(400, "InvalidRequest", "malformed cursor")
    return (int(ms), int(uid))


def _limit(query: dict[str, str], default: int = 50, maximum: int = 100) -> int:
    raw = query.get("limit")
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise XrpcError(400, "InvalidRequest", f"limit must be an integer from 1 to {maximum}")
    return int(raw)


def _page(items: list, query: dict[str, str], default: int = 50) -> tuple[list, dict[str, str]]:
    limit = _limit(query, default)
    cursor = _parse_cursor(query.get("cursor"))
    page = page_before(items, _key, cursor, limit)
    more = bool(page) and _key(page[-1]) > _key(items[0])
    return page, ({"cursor": _cursor_of(page[-1])} if more else {})


# --- methods ------------------------------------------------------------------------------------


def _actor(world: World, query: dict[str, str], name: str = "actor") -> DemoAccount:
    ref = query.get(name)
    if not ref:
        raise XrpcError(400, "InvalidRequest", f'Error: Params must have the property "{name}"')
    account = world.index.find("bluesky", ref)
    if account is None:
        raise XrpcError(400, "InvalidRequest", "Profile not found")
    return account


def _post(world: World, query: dict[str, str]) -> DemoPost:
    uri = query.get("uri")
    if not uri:
        raise XrpcError(400, "InvalidRequest", 'Error: Params must have the property "uri"')
    post = world.index.post.get(("bluesky", uri))
    if post is None or post.kind == "share":
        raise XrpcError(400, "NotFound", f"Post not found: {uri}")
    return post


def get_author_feed(world: World, q: dict[str, str], base: str) -> dict[str, Any]:
    account = _actor(world, q)
    items = world.index.feed.get(account.uid, [])
    mode = q.get("filter", "posts_with_replies")
    if mode == "posts_no_replies" or mode == "posts_and_author_threads":
        items = [p for p in items if p.kind != "reply" or p.target.author is account]
    elif mode == "posts_with_media":
        items = [p for p in items if p.images and p.kind != "share"]
    page, cursor = _page(items, q)
    return {"feed": [feed_item(world, p, base) for p in page], **cursor}


def get_post_thread(world: World, q: dict[str, str], base: str) -> dict[str, Any]:
    post = _post(world, q)

    def node(p: DemoPost, depth: int) -> dict[str, Any]:
        replies = world.index.replies.get(p.uid, []) if depth > 0 else []
        return {"$type": "app.bsky.feed.defs#threadViewPost", "post": post_view(world, p, base),
                "replies": [node(r, depth - 1) for r in replies]}

    depth = int(q["depth"]) if q.get("depth", "").isdigit() else 6
    thread = node(post, depth)
    if post.kind == "reply" and post.target is not None:
        thread["parent"] = {"$type": "app.bsky.feed.defs#threadViewPost",
                            "post": post_view(world, post.target, base), "replies": []}
    return {"thread": thread}


def get_likes(world: World, q: dict[str, str], base: str) -> dict[str, Any]:
    post = _post(world, q)
    page, cursor = _page(world.index.likes_of.get(post.uid, []), q)
    likes = [{"actor": profile_view(x.actor), "createdAt": iso(x.ms), "indexedAt": iso(x.ms)}
             for x in page]
    return {"uri": post.native_id, "cid": post.cid, **cursor, "likes": likes}


def get_reposted_by(world: World, q: dict[str, str], base: str) -> dict[str, Any]:
    post = _post(world, q)
    page, cursor = _page(world.index.shares.get(post.uid, []), q)
    return {"uri": post.native_id, "cid": post.cid, **cursor,
            "repostedBy": [profile_view(p.author) for p in page]}


def get_quotes(world: World, q: dict[str, str], base: str) -> dict[str, Any]:
    post = _post(world, q)
    page, cursor = _page(world.index.quotes.get(post.uid, []), q)
    return {"uri": post.native_id, "cid": post.cid, **cursor,
            "posts": [post_view(world, p, base) for p in page]}


def get_follows(world: World, q: dict[str, str], base: str) -> dict[str, Any]:
    account = _actor(world, q)
    page, cursor = _page(world.index.follows_by.get(account.uid, []), q)
    return {"subject": profile_view(account), **cursor,
            "follows": [profile_view(f.target) for f in page]}


def get_profile(world: World, q: dict[str, str], base: str) -> dict[str, Any]:
    a = _actor(world, q)
    ix = world.index
    return {**profile_view(a), "followersCount": ix.followers.get(a.uid, 0),
            "followsCount": len(ix.follows_by.get(a.uid, ())),
            "postsCount": sum(1 for p in ix.feed.get(a.uid, ()) if p.kind != "share")}


def resolve_handle(world: World, q: dict[str, str], base: str) -> dict[str, Any]:
    account = world.index.find("bluesky", q.get("handle", ""))
    if account is None or account.handle.startswith("did:"):
        raise XrpcError(400, "InvalidRequest", "Unable to resolve handle")
    return {"did": account.platform_id}


def _record_value(item: DemoPost | DemoLike | DemoFollow, world: World) -> dict[str, Any]:
    if isinstance(item, DemoLike):
        return {"$type": "app.bsky.feed.like", "createdAt": iso(item.ms),
                "subject": {"cid": item.target.cid, "uri": item.target.native_id}}
    if isinstance(item, DemoFollow):
        return {"$type": "app.bsky.graph.follow", "createdAt": iso(item.ms),
                "subject": item.target.platform_id}
    if item.kind == "share" and item.target is not None:
        return {"$type": "app.bsky.feed.repost", "createdAt": iso(item.ms),
                "subject": {"cid": item.target.cid, "uri": item.target.native_id}}
    return record(world, item)


COLLECTIONS = ("app.bsky.feed.like", "app.bsky.graph.follow", "app.bsky.feed.post",
               "app.bsky.feed.repost")


def list_records(world: World, q: dict[str, str], base: str) -> dict[str, Any]:
    """``com.atproto.repo.listRecords``: newest record key first, cursor = the last rkey."""
    account = _actor(world, q, "repo")
    collection = q.get("collection", "")
    ix = world.index
    if collection == "app.bsky.feed.like":
        items: list = ix.likes_by.get(account.uid, [])
    elif collection == "app.bsky.graph.follow":
        items = ix.follows_by.get(account.uid, [])
    elif collection in ("app.bsky.feed.post", "app.bsky.feed.repost"):
        share = collection.endswith("repost")
        items = [p for p in ix.feed.get(account.uid, []) if (p.kind == "share") == share]
    else:
        items = []
    items = sorted(items, key=lambda x: x.local_id)
    limit = _limit(q)
    cursor = q.get("cursor")
    if q.get("reverse") == "true":
        start = 0 if cursor is None else next(
            (i for i, x in enumerate(items) if x.local_id > cursor), len(items))
        page = items[start:start + limit]
    else:
        page = page_before(items, lambda x: x.local_id, cursor, limit)
    out: dict[str, Any] = {"records": [
        {"uri": f"at://{account.platform_id}/{collection}/{x.local_id}",
         "cid": "bafyrei" + x.local_id.rjust(52, "a"), "value": _record_value(x, world)}
        for x in page]}
    if page:  # like a real PDS: a cursor whenever records came back (the end is an empty page)
        out["cursor"] = page[-1].local_id
    return out


def describe_repo(world: World, q: dict[str, str], base: str) -> dict[str, Any]:
    a = _actor(world, q, "repo")
    return {"handle": a.handle, "did": a.platform_id, "didDoc": did_document(a, base),
            "collections": list(COLLECTIONS), "handleIsCorrect": True}


def did_document(a: DemoAccount, base: str) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/did/v1"], "id": a.platform_id,
        "alsoKnownAs": [f"at://{a.handle}"], "verificationMethod": [],
        "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                     "serviceEndpoint": base}],
    }


METHODS = {
    "app.bsky.feed.getAuthorFeed": get_author_feed,
    "app.bsky.feed.getPostThread": get_post_thread,
    "app.bsky.feed.getLikes": get_likes,
    "app.bsky.feed.getRepostedBy": get_reposted_by,
    "app.bsky.feed.getQuotes": get_quotes,
    "app.bsky.graph.getFollows": get_follows,
    "app.bsky.actor.getProfile": get_profile,
    "com.atproto.identity.resolveHandle": resolve_handle,
    "com.atproto.repo.listRecords": list_records,
    "com.atproto.repo.describeRepo": describe_repo,
}
