"""Pages committed in groups, with the same guarantee as one transaction per page.

One DuckDB commit costs tens of milliseconds, more than fetching and parsing a page, so the
runner hands pages to a `PageBuffer` that commits them together: every `every_pages` pages or
once the oldest buffered page is `every_seconds` old (checked as pages arrive), before any
read that must see them (`flush`), and at the end of the run.

What a group commits, in ONE transaction: the evidence rows of its pages, their activities
(``DO NOTHING`` on ``activity_id``), their quarantined items, the resolved account ids, and per
(source, key) the `collection_state` row of the source's *last* buffered page. State therefore
never runs ahead of the activities it covers: a run killed with a group in memory loses that
group, and the next run resumes from the last committed state and fetches exactly it again.
The evidence files are written (content-addressed, atomically) before the transaction, so a
re-fetch after a kill finds its file already there.

With ``background=True`` (what the runner uses) a group that is due is handed to one
committer thread and the next group fills meanwhile: files, DuckDB and fsync mostly run
outside the GIL, so committing overlaps fetching and parsing. Nothing else changes: one group
is in flight at a time (the next waits for it), groups commit in the order they were taken,
each in one transaction after its files, and a kill still loses only uncommitted groups. The
store connection is used by one thread at a time (`store_lock`).

While pages wait in the buffer, the collection still sees them: `state`, `knows` and
`identity` answer from the buffer first (`runner._Ctx` asks them before the store). `state`
and `identity` also remember what this run committed, so the runner reads the states of a
source and the watch list once per run instead of once per account.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyarrow as pa

from ..evidence import archive_many, evidence_table
from ..records import Activity, Evidence, stable_id
from ..store import Store
from ..store.activities import activities_table
from ..store.quarantine import QUARANTINE_SCHEMA  # re-exported (see __all__) for old importers
from ..timeutil import utcnow
from .paging import Identity, Page, StateUpdate

if TYPE_CHECKING:
    from .runner import RunSummary

STATE_SCHEMA = pa.schema([
    ("source", pa.string()), ("key", pa.string()), ("cursor", pa.string()),
    ("last_seen_id", pa.string()), ("status", pa.string()), ("note", pa.string()),
    ("updated_at", pa.timestamp("us", tz="UTC")),
])
IDENTITY_SCHEMA = pa.schema([
    ("platform", pa.string()), ("handle", pa.string()), ("platform_id", pa.string()),
])
IDENTITY_VIEW = "_pantau_identities"


def has_content(page: Page) -> bool:
    """Whether the page's response is archived: it produced activities or problems, or it
    was unusable as a whole (quarantined with its evidence). Empty pages are not kept."""
    parsed = page.parsed
    return page.fetched is not None and (
        page.page_error is not None
        or (parsed is not None and bool(parsed.activities or parsed.problems)))


@dataclass(slots=True)
class _Buffered:
    page: Page
    platform: str


@dataclass(slots=True)
class _Group:
    """What one commit writes, taken from the buffer at once."""

    pages: list[_Buffered]
    states: list[StateUpdate]          # per (source, key): the state of its last page
    identities: list[Identity]
    activity_ids: set[str]


@dataclass(slots=True)
class FlushResult:
    pages: int = 0
    activities_new: int = 0
    activities_seen: int = 0
    quarantined: int = 0
    evidence: list[Evidence] = field(default_factory=list)


class PageBuffer:
    """Pages waiting to be committed together; see the module docstring."""

    def __init__(
        self,
        store: Store,
        summary: RunSummary,
        collector_version: str,
        *,
        every_pages: int = 50,
        every_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        background: bool = False,
        on_commit: Callable[[set[str]], None] | None = None,
    ) -> None:
        if every_pages < 1 or every_seconds <= 0:
            raise ValueError("commit every >= 1 page and > 0 seconds")
        self.store = store
        self.summary = summary
        self.collector_version = collector_version
        self.every_pages = every_pages
        self.every_seconds = every_seconds
        self.clock = clock
        self.commits = 0                      # transactions committed (for tests and stats)
        # Called with a group's activity ids once it is committed, by the committing thread,
        # without `store_lock` (e.g. `classify.alongside.ClassifyAlongside.committed`).
        self.on_commit = on_commit
        self._pages: list[_Buffered] = []
        self._since: float | None = None      # when the oldest buffered page arrived
        # The latest state of every source seen in this run (committed or not) and which of
        # them the next commit must write.
        self._states: dict[tuple[str, str], StateUpdate] = {}
        self._dirty: set[tuple[str, str]] = set()
        self._identities: dict[tuple[str, str], Identity] = {}   # to save with the next commit
        # Every id resolved in this run, committed or not: the runner answers watch-list
        # questions from one read of watch_accounts plus these, not a query per account.
        self._resolved: dict[tuple[str, str], str] = {}
        self._activity_ids: set[str] = set()
        # One user of the store connection at a time: the committer thread, or a reader
        # (`runner._Ctx`) holding this lock.
        self.store_lock = threading.RLock()
        # With `background`, a group that is due is committed by one committer thread while
        # pages keep arriving; groups commit one at a time, in order (see the module
        # docstring). Its activity ids stay known until its commit is done.
        self._committer = (ThreadPoolExecutor(1, thread_name_prefix="pantau-commit")
                           if background else None)
        self._inflight: tuple[_Group, Future[FlushResult]] | None = None
        self._inflight_ids: set[str] = set()

    def __len__(self) -> int:
        return len(self._pages)

    # --- what the collection sees before the commit -------------------------------------
    def state(self, source: str, key: str) -> StateUpdate | None:
        """The state this run gave the source, buffered or committed; None if it did not."""
        return self._states.get((source, key))

    def knows(self, activity_ids: list[str]) -> set[str]:
        return {i for i in activity_ids if i in self._activity_ids or i in self._inflight_ids}

    def identity(self, platform: str, handle: str) -> str | None:
        """The platform id this run resolved for the handle (buffered or committed)."""
        return self._resolved.get((platform, handle))

    def posts_of(self, platform: str, actor: str) -> list[Activity]:
        """The posts (with a native id) by `actor` (platform id or handle) on the pages not
        committed yet: buffered, or in the group committing in the background."""
        groups = [self._pages] + ([self._inflight[0].pages] if self._inflight else [])
        return [a for pages in groups for b in pages
                if b.platform == platform and b.page.parsed is not None
                for a in b.page.parsed.activities
                if a.type == "post" and a.native_id and actor in (a.actor_id, a.actor_handle)]

    # --- adding and committing -----------------------------------------------------------
    def add(self, page: Page, platform: str) -> bool:
        """Buffer one page (committing the group when it is due); True if it committed."""
        if not self._pages:
            self._since = self.clock()
        self._pages.append(_Buffered(page, platform))
        if page.state is not None:
            self._states[(page.state.source, page.state.key)] = page.state
            self._dirty.add((page.state.source, page.state.key))
        for ident in page.identities:
            self._identities[(ident.platform, ident.handle)] = ident
            self._resolved[(ident.platform, ident.handle)] = ident.platform_id
        if page.parsed is not None:
            self._activity_ids.update(a.id for a in page.parsed.activities)
        if (len(self._pages) >= self.every_pages
                or self.clock() - (self._since or 0.0) >= self.every_seconds):
            if self._committer is None:
                self.flush()
            else:
                self._wait()   # the previous group first: one in flight, in order
                group = self._take()
                self._inflight_ids = group.activity_ids
                self._inflight = (group, self._committer.submit(self._commit, group))
            return True
        return False

    def flush(self) -> FlushResult:
        """Archive the buffered pages' bodies, then commit everything in one transaction
        (after the group committing in the background, if any; its error is raised here)."""
        self._wait()
        if not self._pages:
            return FlushResult()
        group = self._take()
        try:
            return self._commit(group)
        except BaseException:
            self._restore(group)
            raise

    def close(self) -> None:
        """Wait for a background commit (raising its error) and stop the committer thread."""
        try:
            self._wait()
        finally:
            if self._committer is not None:
                self._committer.shutdown(wait=True)
                self._committer = None

    def _wait(self) -> None:
        inflight, self._inflight = self._inflight, None
        if inflight is None:
            return
        group, future = inflight
        try:
            future.result()
        except BaseException:
            # Back in front of the pages buffered since: a later commit (the run's last
            # flush) takes them all together, so no state gets ahead of a failed group.
            self._restore(group)
            raise
        finally:
            self._inflight_ids = set()

    def _restore(self, group: _Group) -> None:
        """Put a group whose commit failed back into the buffer, before the newer pages."""
        if not self._pages:
            self._since = self.clock()
        self._pages = group.pages + self._pages
        self._dirty |= {(st.source, st.key) for st in group.states}
        for ident in group.identities:
            self._identities.setdefault((ident.platform, ident.handle), ident)
        self._activity_ids |= group.activity_ids

    def _take(self) -> _Group:
        """The buffered pages with what their commit must write; the buffer starts afresh."""
        group = _Group(self._pages, [self._states[k] for k in sorted(self._dirty)],
                       list(self._identities.values()), self._activity_ids)
        self._pages = []
        self._since = None
        self._dirty = set()
        self._identities = {}
        self._activity_ids = set()
        return group

    def _commit(self, group: _Group) -> FlushResult:
        buffered = group.pages
        archived = [b.page for b in buffered if has_content(b.page)]
        # Files first (before the transaction): a kill after this leaves files with no row,
        # which `evidence verify` lists as unlisted and the re-fetch reuses. The store lock
        # is held only while the connection is used, not while files are compressed and
        # synced: the collection threads' reads (`runner._Ctx`) wait for it.
        records = archive_many(self.store, [p.fetched for p in archived],  # type: ignore[misc]
                               self.collector_version, store_lock=self.store_lock)
        evidence_of = {id(p): r for p, r in zip(archived, records, strict=True)}
        now = utcnow()
        activities: list[Activity] = []
        quarantine: list[dict] = []
        # "Seen" counts per page, as when each page committed alone: an activity on two pages
        # of one group (a repost and a like list) is new once and seen once.
        per_page = 0
        for b in buffered:
            page = b.page
            evidence = evidence_of.get(id(page))
            if page.parsed is not None:
                for a in page.parsed.activities:
                    if evidence is not None:
                        a.evidence_id = evidence.sha256
                activities.extend(page.parsed.activities)
                per_page += len({a.id for a in page.parsed.activities})
            quarantine += _quarantine_rows(page, b.platform, evidence, now)
        states, identities = group.states, group.identities

        def unit(store: Store) -> FlushResult:
            counts = FlushResult(pages=len(buffered), evidence=records)
            if records:
                store.upsert("evidence", evidence_table(records), key=["sha256"])
            if activities:
                new = store.upsert("activities", activities_table(activities),
                                   key=["activity_id"])
                counts.activities_new, counts.activities_seen = new, per_page - new
            if quarantine:
                counts.quarantined = store.upsert(
                    "quarantine", pa.Table.from_pylist(quarantine, schema=QUARANTINE_SCHEMA),
                    key=["quarantine_id"])
            if states:
                store.upsert("collection_state", pa.Table.from_pylist([{
                    "source": s.source, "key": s.key, "cursor": s.cursor,
                    "last_seen_id": s.last_seen_id, "status": s.status, "note": s.note,
                    "updated_at": now} for s in states], schema=STATE_SCHEMA),
                    key=["source", "key"], update=True)
            if identities:
                _save_identities(store, identities)
            return counts

        # store.write: on a DuckLake a conflicting writer makes the whole group run again.
        with self.store_lock:
            result = self.store.write(unit)
        self.commits += 1
        self.summary.activities_new += result.activities_new
        self.summary.activities_seen += result.activities_seen
        self.summary.quarantined += result.quarantined
        if self.on_commit is not None:
            self.on_commit(group.activity_ids)
        return result


def _quarantine_rows(page: Page, platform: str, evidence: Evidence | None,
                     now: object) -> list[dict]:
    items: list[tuple[str, str]] = []
    if evidence is not None and page.page_error is not None:
        items.append(("page", page.page_error))
    if page.parsed is not None:
        items += [(p.item_ref, p.error) for p in page.parsed.problems]
    anchor = evidence.sha256 if evidence else page.key
    return [{"quarantine_id": stable_id(anchor, ref), "platform": platform,
             "evidence_id": evidence.sha256 if evidence else None,
             "url": page.fetched.url if page.fetched else None, "item_ref": ref,
             "error": error, "created_at": now} for ref, error in items]


def _save_identities(store: Store, identities: list[Identity]) -> None:
    """Cache resolved ids on accounts and watch_accounts: one statement per table."""
    table = pa.Table.from_pylist(
        [{"platform": i.platform, "handle": i.handle, "platform_id": i.platform_id}
         for i in identities], schema=IDENTITY_SCHEMA)
    with store.registered(IDENTITY_VIEW, table):
        for name in ("accounts", "watch_accounts"):
            store.con.execute(
                f"UPDATE {name} SET platform_id = i.platform_id FROM {IDENTITY_VIEW} AS i "
                f"WHERE {name}.platform = i.platform AND {name}.handle = i.handle "
                f"AND {name}.platform_id IS DISTINCT FROM i.platform_id")


__all__ = ["FlushResult", "PageBuffer", "QUARANTINE_SCHEMA", "STATE_SCHEMA", "has_content"]
