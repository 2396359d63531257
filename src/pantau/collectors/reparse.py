"""Re-parse one saved raw response (archived evidence, a capture) without knowing its endpoint.

    result = parse_saved("bluesky", Path("getLikes.json"))        # kind detected from the body
    for a in result.activities: ...

What kind of response a body is can be told from its shape (a Bluesky ``feed`` list is an
author feed, ``likes`` + ``uri`` is getLikes, ...). Only a Mastodon list of *accounts* cannot:
favourited_by, reblogged_by and following all look the same, so the file name is consulted and,
failing that, the caller must name the kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from .base import Parsed
from .bluesky import parse as bsky
from .jsonbody import load_json
from .mastodon import parse as masto
from .telegram.parse import parse_channel_page

KINDS: dict[str, tuple[str, ...]] = {
    "telegram": ("channel_page",),
    "bluesky": ("author_feed", "post_thread", "likes", "reposted_by", "quotes", "follows",
                "like_records", "resolve_handle"),
    "mastodon": ("statuses", "context", "account", "favourited_by", "reblogged_by",
                 "following"),
}
# Top-level keys of a Bluesky response -> its kind, most specific first.
_BLUESKY_KEYS = (
    ("feed", "author_feed"), ("thread", "post_thread"), ("likes", "likes"),
    ("repostedBy", "reposted_by"), ("follows", "follows"), ("posts", "quotes"),
    ("records", "like_records"),
)
_ACCOUNT_LIST_HINTS = (
    ("favourited", "favourited_by"), ("favorited", "favourited_by"),
    ("reblogged", "reblogged_by"), ("following", "following"),
)


@dataclass(slots=True)
class SavedResult:
    """What one saved response holds: activities (most kinds) or one record (lookups)."""

    platform: str
    kind: str
    parsed: Parsed = field(default_factory=Parsed)
    record: dict[str, Any] | None = None     # account summary, resolved DID

    @property
    def activities(self):  # noqa: ANN201 - list[Activity]
        return self.parsed.activities


def detect_kind(
    platform: str, body: bytes, path: Path | None = None, target: str | None = None
) -> str:
    """The response kind of `body` (see `KINDS`), or `InputError` saying what to give.

    A Mastodon list of accounts is told by the file name (``…favourited_by…``) or, when
    `target` is an account rather than a status, is a following list."""
    source = str(path) if path else None
    if platform == "telegram":
        return "channel_page"
    if platform not in KINDS:
        raise InputError(f"unknown platform {platform!r} (one of: {', '.join(KINDS)})")
    data = load_json(body, source)
    if platform == "bluesky":
        if isinstance(data, dict):
            for key, kind in _BLUESKY_KEYS:
                if isinstance(data.get(key), (list, dict)):
                    return kind
            if isinstance(data.get("did"), str):
                return "resolve_handle"
        raise InputError("not a Bluesky response pantau reads (getAuthorFeed, getPostThread, "
                         "getLikes, getRepostedBy, getQuotes, getFollows, listRecords, "
                         "resolveHandle)", file=path)
    if isinstance(data, dict):
        if isinstance(data.get("descendants"), list):
            return "context"
        if "acct" in data:
            return "account"
    if isinstance(data, list):
        first = next((item for item in data if isinstance(item, dict)), None)
        if first is None or "content" in first or "reblog" in first:
            return "statuses"  # an empty list parses to nothing whatever it was
        if "acct" in first:
            name = path.name.lower() if path else ""
            for hint, kind in _ACCOUNT_LIST_HINTS:
                if hint in name:
                    return kind
            if target and masto.status_id_of(target) is None:
                return "following"  # the target is an account: whom it follows
            raise InputError("a list of accounts: say which list it is with --kind "
                             "favourited_by, reblogged_by or following", file=path)
    raise InputError("not a Mastodon response pantau reads (statuses, context, account, "
                     "favourited_by, reblogged_by, following)", file=path)


def parse_saved(
    platform: str, path: str | Path, *, target: str | None = None, kind: str | None = None
) -> SavedResult:
    """Parse a saved response file; `target` names the post/account a list refers to."""
    path = Path(path)
    try:
        body = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=path) from None
    return parse_body(platform, body, source=path, target=target, kind=kind)


def parse_body(
    platform: str, body: bytes, *, source: Path | None = None, target: str | None = None,
    kind: str | None = None,
) -> SavedResult:
    """Parse one saved response body (see `parse_saved`)."""
    platform = platform.strip().lower()
    if platform not in KINDS:
        raise InputError(f"unknown platform {platform!r} (one of: {', '.join(KINDS)})")
    kind = kind or detect_kind(platform, body, source, target)
    if kind not in KINDS[platform]:
        raise InputError(f"unknown {platform} kind {kind!r} (one of: "
                         f"{', '.join(KINDS[platform])})")
    src = str(source) if source else None
    result = SavedResult(platform, kind)
    if kind == "resolve_handle":
        result.record = {"did": bsky.parse_resolve_handle(body, source_url=src)}
    elif kind == "account":
        result.record = masto.parse_account(body, source_url=src)
    else:
        result.parsed = _PARSERS[kind](body, src, target)
    return result


def _need(value: str | None, what: str) -> str:
    if not value:
        raise InputError(f"give --target: {what}")
    return value


def _like_records(body: bytes, src: str | None, target: str | None) -> Parsed:
    actor = target
    if not actor:  # each record's URI names the repository it lives in
        data = load_json(body, src)
        records = data.get("records") if isinstance(data, dict) else None
        uris = [r.get("uri") for r in records or [] if isinstance(r, dict)]
        actor = next((bsky.author_of(u) for u in uris if bsky.author_of(u)), None)
    return bsky.parse_like_records(body, actor_did=actor or "", source_url=src)


_PARSERS: dict[str, Callable[[bytes, str | None, str | None], Parsed]] = {
    "channel_page": lambda b, s, t: parse_channel_page(b, source_url=s),
    "author_feed": lambda b, s, t: bsky.parse_author_feed(b, source_url=s),
    "post_thread": lambda b, s, t: bsky.parse_post_thread(b, source_url=s),
    "likes": lambda b, s, t: bsky.parse_likes(b, target=t, source_url=s),
    "reposted_by": lambda b, s, t: bsky.parse_reposted_by(b, target=t, source_url=s),
    "quotes": lambda b, s, t: bsky.parse_quotes(b, target=t, source_url=s),
    "follows": lambda b, s, t: bsky.parse_follows(b, source_url=s),
    "like_records": _like_records,
    "statuses": lambda b, s, t: masto.parse_statuses(b, source_url=s),
    "context": lambda b, s, t: masto.parse_context(b, target=t, source_url=s),
    "favourited_by": lambda b, s, t: masto.parse_favourited_by(
        b, target=_need(t, "the status URL or id the favourites are of"), source_url=s),
    "reblogged_by": lambda b, s, t: masto.parse_reblogged_by(
        b, target=_need(t, "the status URL or id the reblogs are of"), source_url=s),
    "following": lambda b, s, t: masto.parse_following(
        b, actor=_need(t, "the account (user@server) whose following list this is"),
        source_url=s),
}

__all__ = ["KINDS", "SavedResult", "detect_kind", "parse_body", "parse_saved"]
