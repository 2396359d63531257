"""Resumable paging, shared by every platform client.

A platform client describes each paged list as a `Listing` (how to ask for a page, how to
parse it, how to tell old from new) and `walk` turns it into `Page`s. The runner commits pages
in groups (collectors/commit.py), each page's collection state together with its activities,
so a run killed at any point resumes from the last committed page.

State per (source, key) in `collection_state`:
- ``last_seen_id``: the watermark (newest item) of the last *completed* sweep; a sweep stops
  when it reaches it. Only promoted when a sweep completes.
- ``cursor``: JSON ``{"next": <page cursor>, "top": <newest item of this sweep>}`` while a
  sweep is in progress, else NULL. A restart resumes at ``next`` and, when the sweep finishes,
  promotes ``top``, so posts that appear meanwhile are caught by the next sweep.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import FetchError, ParseError
from ..records import Activity
from ..timeutil import to_utc
from .base import Fetched, Parsed

if TYPE_CHECKING:
    from ..config import Settings
    from ..http import HttpClient, Validator

REFUSED_STATUSES = (401, 403)


@dataclass(slots=True)
class SourceState:
    cursor: str | None
    last_seen_id: str | None
    status: str | None
    note: str | None


@dataclass(slots=True)
class StateUpdate:
    source: str
    key: str
    cursor: str | None
    last_seen_id: str | None
    status: str                      # ok | refused | hidden | error | skipped
    note: str | None = None


@dataclass(slots=True)
class Identity:
    """A handle resolved to a platform id, cached in accounts / watch_accounts."""

    platform: str
    handle: str
    platform_id: str


@dataclass(slots=True)
class Page:
    """One unit the runner commits atomically."""

    source: str
    key: str
    fetched: Fetched | None = None
    parsed: Parsed | None = None
    page_error: str | None = None    # the whole body was unusable: quarantined with evidence
    fetch_error: str | None = None   # no usable response (names the URL)
    state: StateUpdate | None = None
    identities: list[Identity] = field(default_factory=list)


class Context(Protocol):
    """What clients may ask of the runner."""

    http: HttpClient
    settings: Settings
    since: datetime | None

    def state(self, source: str, key: str) -> SourceState | None: ...

    def known(self, activity_ids: list[str], *, stored: bool = True) -> set[str]:
        """Which of the ids this run buffered or (with `stored`) the store already has."""
        ...

    def recent_posts(self, platform: str, actor_id: str, limit: int) -> list[Activity]: ...

    def watched_ids(self, platform: str) -> set[str]: ...

    def unresolved_watched(self, platform: str) -> list[str]: ...


Request = tuple[str, dict[str, str | int] | None]


def as_int(value: str) -> int:
    return int(value)


def as_text(value: str) -> str:
    return value


@dataclass(slots=True)
class Listing:
    """One paged list of one source and key."""

    source: str
    key: str
    platform: str
    request: Callable[[str | None], Request]              # page cursor -> (url, params)
    parse: Callable[[Fetched], Parsed]
    next_cursor: Callable[[Fetched, Parsed], str | None] = lambda f, p: p.cursor
    # Watermark of one activity (sortable with `order`); None: stop when a page is all known.
    mark: Callable[[Activity], str | None] | None = None
    order: Callable[[str], Any] = as_text
    # Ids strictly ordered (Telegram, Mastodon): stop once the oldest item is old. Times that
    # clients set (Bluesky createdAt) are not: stop only when the newest item is old.
    stop_on_oldest: bool = True
    keep: Callable[[Activity], bool] | None = None        # filter after paging decisions
    empty_status: tuple[str, str] | None = None           # first page empty -> (status, note)
    max_pages: int | None = None
    identities: list[Identity] = field(default_factory=list)
    validate: Validator | None = None                     # see HttpClient.get


def expect_json(fetched: Fetched) -> str | None:
    """A JSON API answered: anything else (an HTML challenge page with 200) is retried."""
    ctype = fetched.content_type.lower()
    if "json" not in ctype:
        return f"expected JSON, got {ctype or 'no content type'}"
    return None


def numeric_id(activity: Activity) -> str | None:
    """The trailing number of a native id ('channel/123' -> '123', '1170...' -> itself)."""
    match = re.search(r"(\d+)$", activity.native_id or "")
    return match.group(1) if match else None


def created_mark(activity: Activity) -> str | None:
    return to_utc(activity.created_at).isoformat() if activity.created_at else None


def _load_cursor(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def fetch_one(
    ctx: Context, source: str, key: str, url: str, params: dict[str, str | int] | None,
    platform: str,
) -> tuple[Fetched | None, Page | None]:
    """One unpaged JSON request (a handle lookup): the response, or the `Page` saying why not."""
    try:
        fetched = ctx.http.get(url, params, platform=platform, validate=expect_json)
    except FetchError as exc:
        return None, Page(source, key, fetch_error=str(exc),
                          state=StateUpdate(source, key, None, None, "error", str(exc)))
    if fetched.status in REFUSED_STATUSES:
        note = f"HTTP {fetched.status} at {fetched.url}: the server refuses unauthenticated reads"
        return None, Page(source, key, state=StateUpdate(source, key, None, None, "refused", note))
    if fetched.status >= 400:
        msg = f"{fetched.url}: HTTP {fetched.status}"
        return None, Page(source, key, fetch_error=msg,
                          state=StateUpdate(source, key, None, None, "error", msg))
    return fetched, None


def lookup_failed(source: str, key: str, fetched: Fetched, exc: Exception) -> Page:
    """A lookup response that could not be read: quarantined with its evidence."""
    msg = f"{fetched.url}: {exc}"
    return Page(source, key, fetched=fetched, page_error=str(exc),
                state=StateUpdate(source, key, None, None, "error", msg))


def walk(ctx: Context, listing: Listing) -> Iterator[Page]:
    """Fetch the pages of `listing` from where the last run stopped; one `Page` per response."""
    L = listing
    state = ctx.state(L.source, L.key)
    prev = state.last_seen_id if state else None
    resume = _load_cursor(state.cursor if state else None)
    top: str | None = resume.get("top")
    cursor: str | None = resume.get("next")
    fresh_sweep = cursor is None
    kept_cursor = state.cursor if state else None
    pages = 0

    def update(status: str, note: str | None = None, *, cursor_value: str | None = None,
               last: str | None = prev) -> StateUpdate:
        return StateUpdate(L.source, L.key, cursor_value, last, status, note)

    identities = list(L.identities)
    while True:
        url, params = L.request(cursor)
        try:
            fetched = ctx.http.get(url, params, platform=L.platform, validate=L.validate)
        except FetchError as exc:
            yield Page(L.source, L.key, fetch_error=str(exc), identities=identities,
                       state=update("error", str(exc), cursor_value=kept_cursor))
            return
        if fetched.status in REFUSED_STATUSES:
            note = (f"HTTP {fetched.status} at {fetched.url}: "
                    "the server refuses unauthenticated reads")
            yield Page(L.source, L.key, identities=identities,
                       state=update("refused", note, cursor_value=kept_cursor))
            return
        if fetched.status >= 400:
            msg = f"{fetched.url}: HTTP {fetched.status}"
            yield Page(L.source, L.key, fetch_error=msg, identities=identities,
                       state=update("error", msg, cursor_value=kept_cursor))
            return
        try:
            parsed = L.parse(fetched)
        except Exception as exc:  # noqa: BLE001 - even a parser bug must not stop the run
            reason = str(exc) if isinstance(exc, ParseError) else f"{type(exc).__name__}: {exc}"
            yield Page(L.source, L.key, fetched=fetched, page_error=reason,
                       identities=identities,
                       state=update("error", reason, cursor_value=kept_cursor))
            return
        pages += 1
        items = parsed.activities
        marks = [m for m in (L.mark(a) for a in items) if m is not None] if L.mark else []
        ordered = sorted(marks, key=L.order)
        if ordered and (top is None or L.order(ordered[-1]) > L.order(top)):
            top = ordered[-1]
        nxt = L.next_cursor(fetched, parsed)

        reached = False
        if L.mark is not None and prev is not None and ordered:
            edge = ordered[0] if L.stop_on_oldest else ordered[-1]
            reached = L.order(edge) <= L.order(prev)
        elif L.mark is None and items:
            # A list no sweep has got to yet (no state) is read to its end: what the store
            # holds from other lists (a like seen from the liker's side) says nothing about
            # where this one stopped, so only this run's own pages count (a server repeating
            # a page), and the store is not asked.
            ids = [a.id for a in items]
            reached = ctx.known(ids, stored=state is not None) >= set(ids)
        too_old = False
        if ctx.since is not None:
            times = [to_utc(a.created_at) for a in items if a.created_at]
            too_old = bool(times) and max(times) < ctx.since
        empty = not items and not parsed.problems
        done = (nxt is None or empty or reached or too_old
                or (L.max_pages is not None and pages >= L.max_pages))

        if L.keep is not None:
            parsed.activities = [a for a in items if L.keep(a)]
        if done:
            status, note = "ok", None
            if empty and fresh_sweep and pages == 1 and L.empty_status:
                status, note = L.empty_status
            st = update(status, note, cursor_value=None, last=top or prev)
        else:
            st = update("ok", cursor_value=json.dumps({"next": nxt, "top": top}))
        yield Page(L.source, L.key, fetched=fetched, parsed=parsed, state=st,
                   identities=identities)
        identities = []
        if done:
            return
        cursor = nxt
        kept_cursor = st.cursor


@dataclass(slots=True)
class Target:
    """One account on the work list: a registered ASN account, a watch-listed one, or both."""

    platform: str
    handle: str
    platform_id: str | None = None
    registered: bool = False
    watched: bool = False
