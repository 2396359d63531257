"""Bluesky AppView / PDS JSON responses -> activities. Pure, no I/O.

Conventions (shared with the client and the runner):

- posts, replies and quotes have their own ``native_id``: the ``at://`` URI of the post;
- likes, reposts and follows get NO native id, so `Activity.id` is platform + type + actor +
  target, and the same like seen from the liked post (getLikes) and from the liker's own
  repository (listRecords) is one activity; the like record's own URI is kept in ``extra``;
- ``created_at`` is the client-set ``createdAt`` (what the author claims); the AppView's
  ``indexedAt`` (what orders feeds and cursors) is kept in ``extra["indexed_at"]``;
- ``forwarded_from`` (reposts) is the original author's DID (also ``target_author_id``; the
  handle, when the response has it, is ``target_author_handle``): both routes to a repost,
  the reposter's feed and the post's getRepostedBy, give the same value;
- test-network snapshots carry placeholders (``user(0)``, ``record(3)``, 1970 dates): they are
  read as given, and a URI that is not ``at://…`` simply gives no post URL.

A whole body that is not JSON, or JSON of the wrong shape, raises `ParseError`; one bad item
goes to ``Parsed.problems`` and the others still parse.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ...errors import ParseError
from ...records import Activity, ActivityType, Media, Platform
from ...timeutil import utcnow
from ..base import ItemProblem, Parsed
from ..jsonbody import each_item, json_time, load_json

APP_URL = "https://bsky.app"
POST_COLLECTION = "app.bsky.feed.post"
LIKE_COLLECTION = "app.bsky.feed.like"
REPOST_REASON = "app.bsky.feed.defs#reasonRepost"
PIN_REASON = "app.bsky.feed.defs#reasonPin"
# Embedded views that are not posts: embedding them is not quoting anyone.
_NOT_POST_VIEWS = (
    "app.bsky.feed.defs#generatorView", "app.bsky.graph.defs#listView",
    "app.bsky.graph.defs#starterPackViewBasic", "app.bsky.labeler.defs#labelerView",
)
_UNAVAILABLE = (
    "app.bsky.feed.defs#notFoundPost", "app.bsky.feed.defs#blockedPost",
)

_BLUESKY = Platform.BLUESKY.value


class _BadItem(ValueError):
    """One item of a response cannot be turned into an activity."""


# --- small readers ----------------------------------------------------------------------------


def _object(body: bytes | str, source: str | None, required: str, what: str) -> dict[str, Any]:
    data = load_json(body, source)
    if not isinstance(data, dict) or not isinstance(data.get(required), list):
        raise ParseError(f"not a {what} response (no {required!r} list)", source=source)
    return data


def split_uri(uri: str | None) -> tuple[str | None, str | None, str | None]:
    """'at://did:plc:x/app.bsky.feed.post/3k' -> ('did:plc:x', 'app.bsky.feed.post', '3k')."""
    if not isinstance(uri, str) or not uri.startswith("at://"):  # any JSON value may come
        return None, None, None
    parts = uri[5:].split("/")
    return (parts[0] or None,
            parts[1] if len(parts) > 1 else None,
            parts[2] if len(parts) > 2 else None)


def author_of(uri: str | None) -> str | None:
    """The DID (or handle) that owns an ``at://`` URI."""
    return split_uri(uri)[0]


def post_url(uri: str | None, handle: str | None = None) -> str | None:
    """``https://bsky.app/profile/<handle or DID>/post/<rkey>``; None for a non-post URI."""
    did, collection, rkey = split_uri(uri)
    if not did or collection != POST_COLLECTION or not rkey:
        return None
    who = handle if handle and handle != "handle.invalid" else did
    return f"{APP_URL}/profile/{who}/post/{rkey}"


def _who(profile: Any, what: str) -> tuple[str, str | None]:
    """(DID, handle) of a profile view; `_BadItem` when there is no DID."""
    if not isinstance(profile, dict) or not profile.get("did"):
        raise _BadItem(f"{what} has no did")
    return str(profile["did"]), profile.get("handle")


def _with_cursor(data: dict[str, Any], parsed: Parsed) -> Parsed:
    cursor = data.get("cursor")
    parsed.cursor = str(cursor) if cursor else None
    return parsed


# --- posts ------------------------------------------------------------------------------------


def _facets(record: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """(links, hashtags, mentioned DIDs) from the rich-text facets of a post record."""
    links: dict[str, None] = {}
    tags: dict[str, None] = {}
    mentions: dict[str, None] = {}
    for facet in record.get("facets") or []:
        for feature in (facet or {}).get("features") or []:
            kind = (feature or {}).get("$type", "")
            if kind.endswith("#link") and feature.get("uri"):
                links[str(feature["uri"])] = None
            elif kind.endswith("#tag") and feature.get("tag"):
                tags[str(feature["tag"])] = None
            elif kind.endswith("#mention") and feature.get("did"):
                mentions[str(feature["did"])] = None
    return list(links), list(tags), list(mentions)


def _media_of(view: dict[str, Any] | None) -> tuple[list[Media], dict[str, Any] | None]:
    """(media, external link card) of an embed view (images, video, external, with-media)."""
    if not isinstance(view, dict):
        return [], None
    kind = view.get("$type", "")
    if kind.startswith("app.bsky.embed.recordWithMedia"):
        return _media_of(view.get("media"))
    if kind.startswith("app.bsky.embed.images"):
        media = []
        for image in view.get("images") or []:
            ratio = image.get("aspectRatio") or {}
            media.append(Media(url=image.get("fullsize") or image.get("thumb") or "",
                               kind="photo", width=ratio.get("width"),
                               height=ratio.get("height")))
        return media, None
    if kind.startswith("app.bsky.embed.video"):
        ratio = view.get("aspectRatio") or {}
        return [Media(url=view.get("playlist") or view.get("thumbnail") or "", kind="video",
                      width=ratio.get("width"), height=ratio.get("height"))], None
    if kind.startswith("app.bsky.embed.external"):
        ext = view.get("external") or {}
        card = {k: ext.get(k) for k in ("uri", "title", "description") if ext.get(k)}
        return [], card or None
    return [], None


def _record_media_count(embed: dict[str, Any] | None) -> int:
    """Images/videos counted from the record itself, when the response has no embed view."""
    if not isinstance(embed, dict):
        return 0
    kind = embed.get("$type", "")
    if kind == "app.bsky.embed.recordWithMedia":
        return _record_media_count(embed.get("media"))
    if kind == "app.bsky.embed.images":
        return len(embed.get("images") or [])
    return 1 if kind == "app.bsky.embed.video" else 0


def _quoted(post: dict[str, Any]) -> tuple[str, str | None, str | None] | None:
    """(URI, author DID, author handle) of the post this one quotes; None if it quotes none."""
    embed = post.get("record", {}).get("embed") or {}
    kind = embed.get("$type", "")
    if kind == "app.bsky.embed.record":
        ref = embed.get("record") or {}
    elif kind == "app.bsky.embed.recordWithMedia":
        ref = (embed.get("record") or {}).get("record") or {}
    else:
        return None
    uri = ref.get("uri")
    if not uri:
        return None
    collection = split_uri(uri)[1]
    if collection is not None and collection != POST_COLLECTION:
        return None  # a feed, list or starter pack: not a quote of a post
    view = post.get("embed") or {}
    if view.get("$type", "").startswith("app.bsky.embed.recordWithMedia"):
        view = view.get("record") or {}
    shown = view.get("record") or {}
    if shown.get("$type") in _NOT_POST_VIEWS:
        return None
    author = shown.get("author") or {}
    return str(uri), author.get("did") or author_of(uri), author.get("handle")


def post_activity(
    post: Any, observed: datetime, *, parent: dict[str, Any] | None = None
) -> Activity:
    """One ``app.bsky.feed.defs#postView`` as a post, comment (a reply) or quote.

    `parent` is the reply's parent post view when the response includes it (author feeds do),
    which gives the replied-to author's handle.
    """
    if not isinstance(post, dict) or not post.get("uri"):
        raise _BadItem("post has no uri")
    record = post.get("record")
    if not isinstance(record, dict):
        raise _BadItem("post has no record")
    did, handle = _who(post.get("author"), "post author")
    uri = str(post["uri"])
    links, tags, mentions = _facets(record)
    media, card = _media_of(post.get("embed"))
    extra: dict[str, Any] = {"cid": post.get("cid")}
    if post.get("indexedAt"):
        extra["indexed_at"] = post["indexedAt"]
    if card:
        extra["external"] = card
        if card.get("uri") and card["uri"] not in links:
            links.append(card["uri"])
    if links:
        extra["links"] = links
    if tags:
        extra["hashtags"] = tags
    if mentions:
        extra["mentions"] = mentions
    if record.get("langs"):
        extra["langs"] = record["langs"]
    labels = [lab.get("val") for lab in post.get("labels") or [] if isinstance(lab, dict)]
    if labels:
        extra["labels"] = labels

    kind = ActivityType.POST
    target_id = target_author_id = target_author_handle = reply_to = None
    reply = record.get("reply")
    quoted = _quoted(post)
    if isinstance(reply, dict) and (reply.get("parent") or {}).get("uri"):
        kind = ActivityType.COMMENT
        reply_to = target_id = str(reply["parent"]["uri"])
        target_author_id = author_of(reply_to)
        if isinstance(parent, dict) and parent.get("uri") == reply_to:
            target_author_id, target_author_handle = _who(parent.get("author"), "parent")
        root = (reply.get("root") or {}).get("uri")
        if root and root != reply_to:
            extra["thread_root"] = root
        if quoted:
            extra["quotes"] = quoted[0]  # a reply that also quotes: the reply is what it is
    elif quoted:
        kind = ActivityType.QUOTE
        target_id, target_author_id, target_author_handle = quoted

    metrics = {name: post[key] for name, key in (
        ("likes", "likeCount"), ("reposts", "repostCount"), ("replies", "replyCount"),
        ("quotes", "quoteCount"),
    ) if isinstance(post.get(key), int)}
    # The client's createdAt, else the AppView's indexedAt; a post with neither cannot be
    # placed in an election stage, so it is quarantined rather than kept without a time.
    created_at = json_time(record.get("createdAt")) or json_time(post.get("indexedAt"))
    if created_at is None:
        raise _BadItem("post has no readable createdAt or indexedAt")
    return Activity(
        platform=_BLUESKY,
        type=kind.value,
        actor_id=did,
        actor_handle=handle,
        native_id=uri,
        target_id=target_id,
        target_author_id=target_author_id,
        target_author_handle=target_author_handle,
        text=str(record.get("text") or ""),
        created_at=created_at,
        observed_at=observed,
        url=post_url(uri, handle),
        reply_to=reply_to,
        media=media,
        media_count=len(media) or _record_media_count(record.get("embed")),
        metrics=metrics,
        extra=extra,
    )


def _repost(item: dict[str, Any], observed: datetime) -> Activity:
    """A repost in an author feed: a share by ``reason.by`` of the post."""
    original = post_activity(item["post"], observed)
    reason = item["reason"]
    did, handle = _who(reason.get("by"), "repost reason")
    extra: dict[str, Any] = {"original": original.native_id}
    if reason.get("indexedAt"):
        extra["indexed_at"] = reason["indexedAt"]
    if reason.get("uri"):
        extra["repost_uri"] = reason["uri"]
    for key in ("links", "hashtags", "external"):
        if key in original.extra:
            extra[key] = original.extra[key]
    return Activity(
        platform=_BLUESKY,
        type=ActivityType.SHARE.value,
        actor_id=did,
        actor_handle=handle,
        native_id=None,  # the same repost from getRepostedBy must get the same id
        target_id=original.native_id,
        target_author_id=original.actor_id,
        target_author_handle=original.actor_handle,
        text=original.text,  # what was shared is what a reader sees
        created_at=json_time(reason.get("indexedAt")),  # the repost time; it has no createdAt here
        observed_at=observed,
        url=original.url,
        forwarded_from=original.actor_id,
        media=original.media,
        media_count=original.media_count,
        metrics=original.metrics,
        extra=extra,
    )


def _feed_item(item: Any, observed: datetime) -> list[Activity]:
    if not isinstance(item, dict) or not isinstance(item.get("post"), dict):
        raise _BadItem("feed item has no post")
    reason = item.get("reason")
    if isinstance(reason, dict) and reason.get("$type") == REPOST_REASON:
        return [_repost(item, observed)]
    parent = (item.get("reply") or {}).get("parent")
    activity = post_activity(item["post"], observed, parent=parent)
    if isinstance(reason, dict) and reason.get("$type") == PIN_REASON:
        activity.extra["pinned"] = True
    return [activity]


def _feed_info(parsed: Parsed) -> None:
    indexed = sorted(
        a.extra["indexed_at"] for a in parsed.activities
        if isinstance(a.extra.get("indexed_at"), str) and a.extra["indexed_at"]
    )
    if indexed:
        parsed.info["min_indexed_at"], parsed.info["max_indexed_at"] = indexed[0], indexed[-1]


# --- public parsers ---------------------------------------------------------------------------


def parse_author_feed(
    body: bytes | str, *, source_url: str | None = None, observed_at: datetime | None = None
) -> Parsed:
    """``app.bsky.feed.getAuthorFeed``: posts, replies (comments), quotes and reposts (shares)."""
    data = _object(body, source_url, "feed", "getAuthorFeed")
    observed = observed_at or utcnow()
    parsed = Parsed()
    each_item(data["feed"], parsed, "feed", lambda item: _feed_item(item, observed))
    _feed_info(parsed)
    return _with_cursor(data, parsed)


def _thread_posts(
    node: Any, observed: datetime, parsed: Parsed, ref: str,
    enclosing: dict[str, Any] | None = None,
) -> None:
    """The post of a thread node and (recursively) its replies; blocked/deleted ones counted.

    `enclosing` is the post whose ``replies`` list holds this node: reply nodes carry no
    ``parent`` of their own, and it gives the replied-to author's handle.
    """
    if not isinstance(node, dict) or "post" not in node:
        if isinstance(node, dict) and node.get("$type") in _UNAVAILABLE:
            unavailable = parsed.info.get("unavailable", 0)
            parsed.info["unavailable"] = (unavailable if isinstance(unavailable, int) else 0) + 1
        return
    parent = node.get("parent")
    try:
        parent_post = parent.get("post") if isinstance(parent, dict) else enclosing
        parsed.activities.append(post_activity(node["post"], observed, parent=parent_post))
    except Exception as exc:  # noqa: BLE001 - one bad post must not lose the thread
        parsed.problems.append(ItemProblem(ref, f"{type(exc).__name__}: {exc}"))
    replies = node.get("replies")
    for i, reply in enumerate(replies if isinstance(replies, list) else []):
        _thread_posts(reply, observed, parsed, f"{ref}.replies[{i}]", node["post"])


def parse_post_thread(
    body: bytes | str, *, source_url: str | None = None, observed_at: datetime | None = None
) -> Parsed:
    """``app.bsky.feed.getPostThread``: the post, its ancestors, and every reply (comments)."""
    data = load_json(body, source_url)
    if not isinstance(data, dict) or not isinstance(data.get("thread"), dict):
        raise ParseError("not a getPostThread response (no 'thread' object)", source=source_url)
    observed = observed_at or utcnow()
    parsed = Parsed()
    thread = data["thread"]
    ancestors = []
    parent = thread.get("parent")
    while isinstance(parent, dict):
        ancestors.append(parent)
        parent = parent.get("parent")
    for i, ancestor in enumerate(reversed(ancestors)):
        _thread_posts({**ancestor, "replies": []}, observed, parsed, f"thread.parent[{i}]")
    _thread_posts(thread, observed, parsed, "thread")
    if isinstance(thread.get("post"), dict):
        parsed.info["uri"] = thread["post"].get("uri")
    return parsed


def _target(data: dict[str, Any], target: str | None, source: str | None, what: str) -> str:
    uri = target or data.get("uri")
    if not uri:
        raise ParseError(f"{what}: the response names no post ('uri'); give the target",
                         source=source)
    return str(uri)


def parse_likes(
    body: bytes | str, *, target: str | None = None, source_url: str | None = None,
    observed_at: datetime | None = None,
) -> Parsed:
    """``app.bsky.feed.getLikes``: one like per liker of the post (`target` or the body's uri)."""
    data = _object(body, source_url, "likes", "getLikes")
    uri = _target(data, target, source_url, "getLikes")
    observed = observed_at or utcnow()

    def like(item: Any) -> list[Activity]:
        if not isinstance(item, dict):
            raise _BadItem("like is not an object")
        did, handle = _who(item.get("actor"), "like actor")
        extra = {"indexed_at": item["indexedAt"]} if item.get("indexedAt") else {}
        return [Activity(
            platform=_BLUESKY, type=ActivityType.LIKE.value, actor_id=did, actor_handle=handle,
            target_id=uri, target_author_id=author_of(uri), created_at=json_time(item.get("createdAt")),
            observed_at=observed, url=post_url(uri), extra=extra,
        )]

    parsed = Parsed(info={"uri": uri})
    each_item(data["likes"], parsed, "likes", like)
    return _with_cursor(data, parsed)


def parse_reposted_by(
    body: bytes | str, *, target: str | None = None, source_url: str | None = None,
    observed_at: datetime | None = None,
) -> Parsed:
    """``app.bsky.feed.getRepostedBy``: one share per reposter (no repost time is given)."""
    data = _object(body, source_url, "repostedBy", "getRepostedBy")
    uri = _target(data, target, source_url, "getRepostedBy")
    observed = observed_at or utcnow()
    original_author = author_of(uri)

    def repost(item: Any) -> list[Activity]:
        did, handle = _who(item, "reposter")
        return [Activity(
            platform=_BLUESKY, type=ActivityType.SHARE.value, actor_id=did, actor_handle=handle,
            target_id=uri, target_author_id=original_author, observed_at=observed,
            url=post_url(uri), forwarded_from=original_author,
        )]

    parsed = Parsed(info={"uri": uri})
    each_item(data["repostedBy"], parsed, "repostedBy", repost)
    return _with_cursor(data, parsed)


def parse_quotes(
    body: bytes | str, *, target: str | None = None, source_url: str | None = None,
    observed_at: datetime | None = None,
) -> Parsed:
    """``app.bsky.feed.getQuotes``: the quoting posts, as quotes of the body's uri."""
    data = _object(body, source_url, "posts", "getQuotes")
    uri = target or data.get("uri")
    observed = observed_at or utcnow()

    def quote(item: Any) -> list[Activity]:
        activity = post_activity(item, observed)
        if uri and activity.type != ActivityType.COMMENT.value:
            activity.type = ActivityType.QUOTE.value
            activity.target_id = activity.target_id or str(uri)
            activity.target_author_id = activity.target_author_id or author_of(str(uri))
        return [activity]

    parsed = Parsed(info={"uri": uri})
    each_item(data["posts"], parsed, "posts", quote)
    return _with_cursor(data, parsed)


def parse_follows(
    body: bytes | str, *, source_url: str | None = None, observed_at: datetime | None = None
) -> Parsed:
    """``app.bsky.graph.getFollows``: one follow by ``subject`` of each listed account.

    The AppView gives no follow time (a profile's ``createdAt`` is the account's), so
    ``created_at`` stays empty."""
    data = _object(body, source_url, "follows", "getFollows")
    try:
        did, handle = _who(data.get("subject"), "getFollows subject")
    except _BadItem as exc:
        raise ParseError(str(exc), source=source_url) from None
    observed = observed_at or utcnow()

    def follow(item: Any) -> list[Activity]:
        followed, followed_handle = _who(item, "followed account")
        return [Activity(
            platform=_BLUESKY, type=ActivityType.FOLLOW.value, actor_id=did, actor_handle=handle,
            target_id=followed, target_author_id=followed, target_author_handle=followed_handle,
            observed_at=observed, url=f"{APP_URL}/profile/{followed_handle or followed}",
        )]

    parsed = Parsed(info={"subject": did, "subject_handle": handle})
    each_item(data["follows"], parsed, "follows", follow)
    return _with_cursor(data, parsed)


def parse_like_records(
    body: bytes | str, *, actor_did: str, source_url: str | None = None,
    observed_at: datetime | None = None,
) -> Parsed:
    """``com.atproto.repo.listRecords`` of ``app.bsky.feed.like``: the actor's own likes."""
    data = _object(body, source_url, "records", "listRecords")
    observed = observed_at or utcnow()

    def like(item: Any) -> list[Activity]:
        if not isinstance(item, dict) or not isinstance(item.get("value"), dict):
            raise _BadItem("record has no value")
        value = item["value"]
        if value.get("$type") not in (None, LIKE_COLLECTION):
            raise _BadItem(f"record is a {value.get('$type')}, not a like")
        subject = (value.get("subject") or {}).get("uri")
        if not subject:
            raise _BadItem("like record has no subject uri")
        return [Activity(
            platform=_BLUESKY, type=ActivityType.LIKE.value, actor_id=actor_did,
            actor_handle=None, target_id=str(subject), target_author_id=author_of(subject),
            created_at=json_time(value.get("createdAt")), observed_at=observed,
            url=post_url(subject), extra={"record_uri": item.get("uri")},
        )]

    parsed = Parsed(info={"actor": actor_did})
    each_item(data["records"], parsed, "records", like)
    return _with_cursor(data, parsed)


def parse_resolve_handle(body: bytes | str, *, source_url: str | None = None) -> str:
    """``com.atproto.identity.resolveHandle`` -> the DID."""
    data = load_json(body, source_url)
    did = data.get("did") if isinstance(data, dict) else None
    if not isinstance(did, str) or not did.startswith("did:"):
        raise ParseError("not a resolveHandle response (no 'did')", source=source_url)
    return did


__all__ = [
    "author_of", "parse_author_feed", "parse_follows", "parse_like_records", "parse_likes",
    "parse_post_thread", "parse_quotes", "parse_reposted_by", "parse_resolve_handle",
    "post_activity", "post_url", "split_uri",
]
