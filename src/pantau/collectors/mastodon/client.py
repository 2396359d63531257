"""Mastodon through the public REST API of configured servers (``https://<server>/api/v1/``).

- every account: lookup (id cached), statuses paged backwards with the ``Link`` header
  (``max_id``) until the last id seen;
- registered accounts: the accounts they follow (an empty list means the network is hidden);
- watch-listed accounts: favourited_by / reblogged_by / context of their recent statuses.

A server that answers 401/403 refuses unauthenticated reads: recorded as ``refused`` in
`collection_state`, never a crash. Accounts on servers not in settings are skipped with a note.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from ...errors import ParseError
from ..base import Fetched
from ..paging import (
    Context,
    Identity,
    Listing,
    Page,
    Request,
    StateUpdate,
    Target,
    as_int,
    expect_json,
    fetch_one,
    lookup_failed,
    numeric_id,
    walk,
)
from . import parse as P

STATUSES_LIMIT = 40
ACCOUNTS_LIMIT = 80


def server_base(ctx: Context, server: str) -> str | None:
    """The base URL of a configured server named in a handle (``user@server``).

    `mastodon_servers` entries are server names (``https://`` is implied) or URLs;
    `mastodon_base_urls` may send a configured server's requests elsewhere (demo, tests)."""
    platforms = ctx.settings.platforms
    server = server.lower()
    for entry in platforms.mastodon_servers:
        if "://" in entry:
            parts = urlsplit(entry)
            if parts.netloc.lower() == server:
                return f"{parts.scheme}://{parts.netloc}"
        elif entry.lower().rstrip("/") == server:
            overrides = {k.lower(): v for k, v in platforms.mastodon_base_urls.items()}
            return overrides.get(server, f"https://{server}").rstrip("/")
    return None


def _link_next(fetched: Fetched, _parsed: object = None) -> str | None:
    return P.parse_link_header(fetched.headers.get("link")).get("next")


def _linked(first_url: str, params: dict[str, str | int]):
    # The Link header's next URL is the cursor; it is re-checked against the host policy.
    def request(cursor: str | None) -> Request:
        return (cursor, None) if cursor else (first_url, params)

    return request


def lookup(
    ctx: Context, base: str, target: Target
) -> tuple[str | None, list[Page], list[Identity]]:
    """The account id of `target`: cached, or from accounts/lookup."""
    if target.platform_id:
        return target.platform_id, [], []
    user = target.handle.lstrip("@").split("@", 1)[0]
    source = "mastodon:account"
    fetched, failed = fetch_one(ctx, source, target.handle, f"{base}/api/v1/accounts/lookup",
                                {"acct": user}, "mastodon")
    if failed:
        return None, [failed], []
    assert fetched is not None
    try:
        account = P.parse_account(fetched.content)
        account_id = str(account["id"])
    except (ParseError, KeyError, TypeError) as exc:
        return None, [lookup_failed(source, target.handle, fetched, exc)], []
    return account_id, [], [Identity("mastodon", target.handle, account_id)]


def statuses_listing(base: str, account_id: str, identities: list[Identity]) -> Listing:
    return Listing(
        source="mastodon:statuses",
        key=f"{base}#{account_id}",
        platform="mastodon",
        validate=expect_json,
        request=_linked(f"{base}/api/v1/accounts/{account_id}/statuses", {"limit": STATUSES_LIMIT}),
        parse=lambda f: P.parse_statuses(f.content, source_url=f.url),
        next_cursor=_link_next,
        mark=numeric_id,
        order=as_int,
        identities=identities,
    )


def following_listing(base: str, account_id: str, handle: str) -> Listing:
    """Whom a registered account follows; an empty first page means "hidden"."""
    return Listing(
        source="mastodon:following",
        key=f"{base}#{account_id}",
        platform="mastodon",
        validate=expect_json,
        request=_linked(f"{base}/api/v1/accounts/{account_id}/following",
                        {"limit": ACCOUNTS_LIMIT}),
        parse=lambda f: P.parse_following(f.content, actor=handle, actor_id=account_id,
                                          source_url=f.url),
        next_cursor=_link_next,
        empty_status=("hidden", "following list is empty or hidden by the account"),
    )


def status_listings(base: str, status_id: str, author_id: str) -> list[Listing]:
    """Who favourited and reblogged one watch-listed status, and the replies to it."""
    root = f"{base}/api/v1/statuses/{status_id}"
    key = f"{base}#{status_id}"
    return [
        Listing("mastodon:favourited_by", key, "mastodon",
                _linked(f"{root}/favourited_by", {"limit": ACCOUNTS_LIMIT}),
                lambda f: P.parse_favourited_by(f.content, target=status_id,
                                                target_author=author_id, source_url=f.url),
                next_cursor=_link_next, validate=expect_json),
        Listing("mastodon:reblogged_by", key, "mastodon",
                _linked(f"{root}/reblogged_by", {"limit": ACCOUNTS_LIMIT}),
                lambda f: P.parse_reblogged_by(f.content, target=status_id,
                                               target_author=author_id, source_url=f.url),
                next_cursor=_link_next, validate=expect_json),
        # One response holds the whole thread; it is fetched again each run for new replies.
        Listing("mastodon:context", key, "mastodon", _linked(f"{root}/context", {}),
                lambda f: P.parse_context(f.content, target=status_id, source_url=f.url),
                next_cursor=lambda f, p: None, validate=expect_json),
    ]


def collect(ctx: Context, target: Target, *, engagement_posts: int = 20) -> Iterator[Page]:
    handle = target.handle.lstrip("@")
    _, _, server = handle.partition("@")
    base = server_base(ctx, server) if server else None
    if base is None:
        note = (f"server {server!r} is not in settings.platforms.mastodon_servers"
                if server else "handle has no server part (user@server)")
        yield Page("mastodon:account", target.handle, state=StateUpdate(
            "mastodon:account", target.handle, None, None, "skipped", note))
        return
    account_id, pages, identities = lookup(ctx, base, target)
    yield from pages
    if account_id is None:
        return
    yield from walk(ctx, statuses_listing(base, account_id, identities))
    if target.registered:
        yield from walk(ctx, following_listing(base, account_id, handle))
    if target.watched:
        for post in ctx.recent_posts("mastodon", account_id, engagement_posts):
            status_id = numeric_id(post)
            if status_id:
                for listing in status_listings(base, status_id, account_id):
                    yield from walk(ctx, listing)
