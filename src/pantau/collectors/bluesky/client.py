"""Bluesky through the public AppView XRPC API (no login) and, for own likes, the user's PDS.

- registered accounts: author feed (posts, replies, reposts, quotes), follows, own like
  records (kept only when they point at a watch-listed author: collect what the purpose needs);
- watch-listed accounts: author feed, then likers, reposters and quoters of their recent posts.

Handles are resolved to DIDs once and cached (`Page.identities` -> accounts.platform_id).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from ...errors import ParseError
from ..paging import (
    Context,
    Identity,
    Listing,
    Page,
    Request,
    StateUpdate,
    Target,
    created_mark,
    expect_json,
    fetch_one,
    lookup_failed,
    walk,
)
from . import parse as P

FEED_LIMIT = 100
LIKE_COLLECTION = "app.bsky.feed.like"


def _xrpc(ctx: Context, method: str) -> str:
    return f"{ctx.settings.platforms.bluesky_appview_url.rstrip('/')}/xrpc/{method}"


def _paged(url: str, params: dict[str, str | int]):
    def request(cursor: str | None) -> Request:
        return (url, {**params, "cursor": cursor} if cursor else dict(params))

    return request


def resolve_did(ctx: Context, target: Target) -> tuple[str | None, list[Page], list[Identity]]:
    """The DID of `target`: given, cached, or asked of the AppView (resolveHandle)."""
    handle = target.handle.lstrip("@")
    if handle.startswith("did:"):
        return handle, [], []
    if target.platform_id:
        return target.platform_id, [], []
    source = "bluesky:resolve"
    fetched, failed = fetch_one(ctx, source, handle,
                                _xrpc(ctx, "com.atproto.identity.resolveHandle"),
                                {"handle": handle}, "bluesky")
    if failed:
        return None, [failed], []
    assert fetched is not None
    try:
        did = P.parse_resolve_handle(fetched.content)
    except ParseError as exc:
        return None, [lookup_failed(source, handle, fetched, exc)], []
    return did, [], [Identity("bluesky", target.handle, did)]


def author_feed_listing(ctx: Context, did: str, identities: list[Identity]) -> Listing:
    return Listing(
        source="bluesky:author_feed",
        key=did,
        platform="bluesky",
        validate=expect_json,
        request=_paged(_xrpc(ctx, "app.bsky.feed.getAuthorFeed"),
                       {"actor": did, "limit": FEED_LIMIT}),
        parse=lambda f: P.parse_author_feed(f.content, source_url=f.url),
        # createdAt is set by clients, so a page is "old" only when its newest item is.
        mark=created_mark,
        stop_on_oldest=False,
        identities=identities,
    )


def follows_listing(ctx: Context, did: str) -> Listing:
    return Listing(
        source="bluesky:follows",
        key=did,
        platform="bluesky",
        validate=expect_json,
        request=_paged(_xrpc(ctx, "app.bsky.graph.getFollows"),
                       {"actor": did, "limit": FEED_LIMIT}),
        parse=lambda f: P.parse_follows(f.content, source_url=f.url),
    )


def _author_of(uri: str | None) -> str | None:
    # at://did:plc:abc/app.bsky.feed.post/3k... -> did:plc:abc
    if uri and uri.startswith("at://"):
        return uri[5:].split("/", 1)[0]
    return None


def pds_base(ctx: Context, did: str) -> str | None:
    """Where the DID's repository lives: from its DID document when plc.directory is an allowed
    host, else the first configured PDS host without a wildcard; None when neither works."""
    plc = f"https://plc.directory/{did}"
    if did.startswith("did:plc:") and ctx.http.policy.allows(plc, "bluesky"):
        fetched, _failed = fetch_one(ctx, "bluesky:pds", did, plc, None, "bluesky")
        if fetched is not None:
            try:
                doc = json.loads(fetched.content)
                for service in doc.get("service", []):
                    if service.get("id", "").endswith("#atproto_pds"):
                        endpoint = str(service["serviceEndpoint"]).rstrip("/")
                        if ctx.http.policy.allows(endpoint + "/xrpc/", "bluesky"):
                            return endpoint
            except (ValueError, AttributeError, KeyError, TypeError):
                pass  # fall back to the configured PDS
    for host in ctx.settings.platforms.bluesky_pds_hosts:
        if "*" not in host:
            return host.rstrip("/") if "://" in host else f"https://{host}"
    return None


def own_likes_listing(ctx: Context, did: str, pds: str, watched: set[str]) -> Listing:
    def keep(activity) -> bool:
        author = activity.target_author_id or _author_of(activity.target_id)
        return author in watched

    return Listing(
        source="bluesky:own_likes",
        key=did,
        platform="bluesky",
        validate=expect_json,
        request=_paged(f"{pds}/xrpc/com.atproto.repo.listRecords",
                       {"repo": did, "collection": LIKE_COLLECTION, "limit": FEED_LIMIT}),
        parse=lambda f: P.parse_like_records(f.content, actor_did=did, source_url=f.url),
        mark=created_mark,
        stop_on_oldest=False,
        keep=keep,
    )


def engagement_listings(ctx: Context, post_uri: str) -> list[Listing]:
    """Likers, reposters and quoters of one watch-listed post (stop at a page already known)."""
    def listing(source: str, method: str, parse) -> Listing:
        return Listing(
            source=source,
            key=post_uri,
            platform="bluesky",
            validate=expect_json,
            request=_paged(_xrpc(ctx, method), {"uri": post_uri, "limit": FEED_LIMIT}),
            parse=parse,
        )

    return [
        listing("bluesky:likes", "app.bsky.feed.getLikes",
                lambda f: P.parse_likes(f.content, target=post_uri, source_url=f.url)),
        listing("bluesky:reposted_by", "app.bsky.feed.getRepostedBy",
                lambda f: P.parse_reposted_by(f.content, target=post_uri, source_url=f.url)),
        listing("bluesky:quotes", "app.bsky.feed.getQuotes",
                lambda f: P.parse_quotes(f.content, target=post_uri, source_url=f.url)),
    ]


def _resolve_watched(ctx: Context, watched: set[str]) -> Iterator[Page]:
    """Replace the watch-listed handles not resolved yet in `watched` by their DIDs.

    Like records name the liked post's author by DID only, so a watch-listed account whose
    own feed has not been collected yet (it sorts after this ASN) would otherwise not match
    and the ASN's likes of it would be dropped. The resolved DID is stored (Identity) so this
    happens once per account."""
    for handle in ctx.unresolved_watched("bluesky"):
        did, pages, identities = resolve_did(ctx, Target("bluesky", handle, watched=True))
        yield from pages
        if did is not None:
            watched.discard(handle)
            watched.add(did)
            yield Page("bluesky:resolve", handle, identities=identities)


def collect(ctx: Context, target: Target, *, engagement_posts: int = 20) -> Iterator[Page]:
    did, pages, identities = resolve_did(ctx, target)
    yield from pages
    if did is None:
        return
    yield from walk(ctx, author_feed_listing(ctx, did, identities))
    if target.registered:
        yield from walk(ctx, follows_listing(ctx, did))
        watched = ctx.watched_ids("bluesky")
        yield from _resolve_watched(ctx, watched)
        if watched:
            pds = pds_base(ctx, did)
            if pds is None:
                yield Page("bluesky:own_likes", did, state=StateUpdate(
                    "bluesky:own_likes", did, None, None, "skipped",
                    "no PDS host without a wildcard in settings.platforms.bluesky_pds_hosts"))
            else:
                yield from walk(ctx, own_likes_listing(ctx, did, pds, watched))
    if target.watched:
        for post in ctx.recent_posts("bluesky", did, engagement_posts):
            if post.native_id:
                for listing in engagement_listings(ctx, post.native_id):
                    yield from walk(ctx, listing)


__all__ = ["collect", "resolve_did", "pds_base", "author_feed_listing", "follows_listing",
           "own_likes_listing", "engagement_listings"]
