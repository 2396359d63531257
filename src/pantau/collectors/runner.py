"""One collection run: the work list, the platform clients, pages committed in groups.

    from pantau.collectors.runner import collect
    with Store.open() as store:
        summary = collect(store, get_settings(), platforms=["telegram"])

Every page a client yields goes to a `PageBuffer` (collectors/commit.py) that commits a group
of pages in ONE transaction: their evidence rows (the raw bodies archived first, atomically),
activities (``DO NOTHING`` on ``activity_id``: collecting twice never duplicates), quarantined
items and, per source, the `collection_state` of its last page in the group. Killed anywhere,
the next run resumes from the last committed group; an archive file written just before a kill
is reused (same hash, same file). `settings.collect` sets the group size.

`settings.collect.workers` accounts are collected at once, by threads that share the HTTP
client (and so its per-platform token buckets: the rate limits hold whatever the count), the
buffer and the store connection (under one lock). Each account's pages reach the buffer in
the order its client yields them, so the per-source state of a group is still that of its
last page; what threads change is only how accounts interleave.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from .. import __version__
from ..config import Settings
from ..errors import InputError
from ..http import HttpClient
from ..records import Activity
from ..store import Store
from ..timeutil import to_utc, utcnow
from .commit import PageBuffer
from .paging import Page, SourceState, Target

if TYPE_CHECKING:
    from ..classify.alongside import ClassifyAlongside

log = logging.getLogger("pantau.collect")

COLLECTOR_VERSION = f"pantau-collect/{__version__}"
PLATFORMS = ("telegram", "bluesky", "mastodon")

Progress = Callable[[str, "RunSummary"], None]


@dataclass(slots=True)
class RunSummary:
    run_id: str
    started_at: datetime
    finished_at: datetime | None = None
    accounts: int = 0
    pages: int = 0
    activities_new: int = 0
    activities_seen: int = 0
    quarantined: int = 0
    errors: list[str] = field(default_factory=list)     # each names the URL
    refused: list[str] = field(default_factory=list)    # "source key: note"
    hidden: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    waited_seconds: float = 0.0
    bytes: int = 0

    def as_json(self) -> str:
        data = asdict(self)
        for key in ("started_at", "finished_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return json.dumps(data, ensure_ascii=False)


class _Ctx:
    """The `Context` clients see: the HTTP client and read access to state and activities.

    Reads see the pages still waiting in `buffer` as if they were committed: state, known
    activities and recent posts are answered from the buffer and the store together."""

    def __init__(self, store: Store, settings: Settings, http: HttpClient,
                 since: datetime | None, buffer: PageBuffer) -> None:
        self.store = store
        self.settings = settings
        self.http = http
        self.since = since
        self.buffer = buffer
        # source -> key -> state as committed before this run: one query per source instead
        # of one per listing (the buffer knows what this run changed since).
        self._states: dict[str, dict[str, SourceState]] = {}
        self._watch: dict[str, list[tuple[str, str | None]]] = {}
        # The collection threads share the store connection and the buffer: every use of
        # either (reads here, `add` and commits in `collect`) holds this lock.
        self.lock = threading.RLock()

    def state(self, source: str, key: str) -> SourceState | None:
        with self.lock:
            ours = self.buffer.state(source, key)
            if ours is not None:
                return SourceState(ours.cursor, ours.last_seen_id, ours.status, ours.note)
            if source not in self._states:
                self._states[source] = {r[0]: SourceState(*r[1:]) for r in self._rows(
                    "SELECT key, cursor, last_seen_id, status, note FROM collection_state "
                    "WHERE source = ?", [source])}
            return self._states[source].get(key)

    def known(self, activity_ids: list[str], *, stored: bool = True) -> set[str]:
        if not activity_ids:
            return set()
        with self.lock:
            ours = self.buffer.knows(activity_ids)
        if not stored:
            return ours
        # The store after the buffer, outside `lock` (the other threads go on adding pages
        # while a background commit holds the store): an id committed in between was in the
        # buffer when we looked, so the union misses nothing.
        # A scan of activities.activity_id (no index there, see docs/scaling.md): asked
        # only by lists that a previous sweep got to (`walk` passes stored=False else).
        rows = self._rows(
            "SELECT activity_id FROM activities WHERE activity_id IN (SELECT unnest(?))",
            [activity_ids])
        return {r[0] for r in rows} | ours

    def recent_posts(self, platform: str, actor_id: str, limit: int) -> list[Activity]:
        """The actor's `limit` latest posts (since `since`), committed or still buffered."""
        # Buffered first, then the store (as in `known`): committing the buffer to ask the
        # store alone made every collection thread wait for that commit.
        with self.lock:
            buffered = self.buffer.posts_of(platform, actor_id)
        stored = self._recent_posts(platform, actor_id, limit)
        seen = {post.native_id for post in stored}
        since = self.since
        posts = stored + [a for a in buffered if a.native_id not in seen and (
            since is None or (a.created_at is not None and to_utc(a.created_at) >= since))]
        # created_at DESC NULLS LAST, as the store query orders them
        posts.sort(key=lambda a: (a.created_at is not None,
                                  to_utc(a.created_at) if a.created_at else None), reverse=True)
        unique: dict[str | None, Activity] = {}
        for post in posts:
            unique.setdefault(post.native_id, post)
        return list(unique.values())[:limit]

    def _rows(self, sql: str, params: list) -> list[tuple]:
        # The background committer uses the same connection: one of us at a time.
        with self.buffer.store_lock:
            return self.store.rows(sql, params)

    def _recent_posts(self, platform: str, actor_id: str, limit: int) -> list[Activity]:
        since = self.since
        rows = self._rows(
            "SELECT native_id, actor_id, actor_handle, created_at FROM activities "
            "WHERE platform = ? AND type = 'post' AND native_id IS NOT NULL "
            "AND (actor_id = ? OR actor_handle = ?) AND (? IS NULL OR created_at >= ?) "
            "ORDER BY created_at DESC NULLS LAST LIMIT ?",
            [platform, actor_id, actor_id, since, since, limit])
        return [Activity(platform=platform, type="post", actor_id=r[1], actor_handle=r[2],
                         native_id=r[0], created_at=r[3]) for r in rows]

    def _watch_list(self, platform: str) -> list[tuple[str, str | None]]:
        # (handle, platform id as stored before this run), read once per platform: a run does
        # not change the watch list, only resolves ids, and the buffer remembers those.
        if platform not in self._watch:
            self._watch[platform] = [tuple(r) for r in self._rows(
                "SELECT DISTINCT handle, platform_id FROM watch_accounts WHERE platform = ? "
                "ORDER BY handle", [platform])]
        return self._watch[platform]

    def watched_ids(self, platform: str) -> set[str]:
        with self.lock:
            return {self.buffer.identity(platform, handle) or platform_id or handle
                    for handle, platform_id in self._watch_list(platform)}

    def unresolved_watched(self, platform: str) -> list[str]:
        """Watch-listed handles whose platform id is not known yet, sorted."""
        with self.lock:
            unresolved = {h for h, pid in self._watch_list(platform) if pid is None}
            return sorted(h for h in unresolved if self.buffer.identity(platform, h) is None)


def work_list(
    store: Store, platforms: Iterable[str], accounts: Iterable[str] | None
) -> list[Target]:
    """Registered ASN accounts and watch-listed accounts, merged per (platform, handle)."""
    wanted = {a.strip().lstrip("@").lower() for a in accounts} if accounts else None
    platforms = list(platforms)
    targets: dict[tuple[str, str], Target] = {}
    registered = store.rows(
        "SELECT platform, handle, platform_id FROM accounts WHERE list_contains(?, platform) "
        "ORDER BY platform, handle", [platforms])
    watched = store.rows(
        "SELECT platform, handle, max(platform_id) FROM watch_accounts "
        "WHERE list_contains(?, platform) GROUP BY platform, handle ORDER BY platform, handle",
        [platforms])
    for rows, flag in ((registered, "registered"), (watched, "watched")):
        for platform, handle, platform_id in rows:
            if wanted is not None and handle.lower() not in wanted:
                continue
            t = targets.setdefault((platform, handle), Target(platform, handle, platform_id))
            t.platform_id = t.platform_id or platform_id
            setattr(t, flag, True)
    return list(targets.values())


def _client(platform: str) -> Callable[..., Iterator[Page]]:
    # Imported lazily: collecting one platform does not load the others' parsers.
    if platform == "telegram":
        from .telegram.client import collect as run
    elif platform == "bluesky":
        from .bluesky.client import collect as run
    else:
        from .mastodon.client import collect as run
    return run


def collect(
    store: Store,
    settings: Settings,
    *,
    platforms: Iterable[str] | None = None,
    accounts: Iterable[str] | None = None,
    since: datetime | None = None,
    http: HttpClient | None = None,
    progress: Progress | None = None,
    engagement_posts: int = 20,
    classifier: ClassifyAlongside | None = None,
) -> RunSummary:
    """Collect every source of the work list once; see the module docstring.

    `platforms` limits to some of telegram/bluesky/mastodon; `accounts` to some handles;
    `since` stops backwards paging at that time (a first run's backfill horizon) and limits
    which watch-listed posts get their likers collected. `progress(event, summary)` is called
    with "start" (summary.accounts set), after every page ("page") and account ("account").
    `classifier` is handed every committed group (`classify.alongside`).
    """
    chosen = list(platforms) if platforms else list(PLATFORMS)
    unknown = sorted(set(chosen) - set(PLATFORMS))
    if unknown:
        raise InputError(f"cannot collect from {', '.join(unknown)}: collectors exist for "
                         f"{', '.join(PLATFORMS)} (import the others with `pantau import`)")
    since = to_utc(since) if since else None
    own_http = http is None
    http = http or HttpClient(settings)
    summary = RunSummary(run_id=uuid.uuid4().hex, started_at=utcnow())
    store.upsert("collection_runs", [{"run_id": summary.run_id, "started_at": summary.started_at,
                                      "finished_at": None, "summary": None}], key=["run_id"])
    base_stats = http.stats.as_dict()
    buffer = PageBuffer(store, summary, COLLECTOR_VERSION,
                        every_pages=settings.collect.commit_every_pages,
                        every_seconds=settings.collect.commit_every_seconds,
                        background=True,
                        on_commit=classifier.committed if classifier is not None else None)
    if classifier is not None:
        classifier.use_lock(buffer.store_lock)
    ctx = _Ctx(store, settings, http, since, buffer)
    targets = work_list(store, chosen, accounts)
    summary.accounts = len(targets)
    if progress:
        progress("start", summary)
    lock = ctx.lock
    stop = threading.Event()

    def take(target: Target) -> None:
        log.info("collecting %s %s", target.platform, target.handle)
        run = _client(target.platform)
        for page in run(ctx, target, engagement_posts=engagement_posts):
            with lock:
                if stop.is_set():
                    return  # another thread failed: this page (and its state) is not kept
                buffer.add(page, target.platform)
                count_page(summary, page)
                _copy_stats(summary, http, base_stats)
                if progress:
                    progress("page", summary)
        with lock:
            if progress:
                progress("account", summary)

    try:
        workers = min(settings.collect.workers, len(targets))
        if workers <= 1:
            for target in targets:
                take(target)
        else:
            _in_threads(take, targets, workers, stop)
        with lock:
            buffer.flush()
    except BaseException:
        # The buffered pages are whole pages with their state: keep them (Ctrl-C, a client
        # bug) unless committing is what failed; the original error is what gets raised.
        try:
            buffer.flush()
        except Exception as exc:  # noqa: BLE001
            log.warning("could not commit the last %d page(s): %s", len(buffer), exc)
        raise
    finally:
        try:
            buffer.close()
        except Exception as exc:  # noqa: BLE001 - only after a failed run: flush raised it
            log.warning("the last background commit failed: %s", exc)
        if classifier is not None:
            classifier.settle()   # its thread is done with the store connection
        _copy_stats(summary, http, base_stats)
        summary.finished_at = utcnow()
        store.upsert("collection_runs", [{"run_id": summary.run_id,
                                          "started_at": summary.started_at,
                                          "finished_at": summary.finished_at,
                                          "summary": summary.as_json()}],
                     key=["run_id"], update=True)
        if own_http:
            http.close()
    return summary


def _in_threads(work: Callable[[Target], None], targets: list[Target], workers: int,
                stop: threading.Event) -> None:
    """`work(target)` for every target, `workers` at a time; the first error stops the rest
    (each thread finishes the page it has) and is raised here.

    Why threads in one process: collecting is mostly waiting (for servers, for fsync, for
    DuckDB's commit, all outside the GIL), and the pages go to one buffer and one store
    connection, so one process keeps the commit guarantees of a single run unchanged."""
    pending = iter(targets)
    take_lock = threading.Lock()
    errors: list[BaseException] = []

    def loop() -> None:
        while not stop.is_set():
            with take_lock:
                target = next(pending, None)
            if target is None:
                return
            try:
                work(target)
            except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
                errors.append(exc)
                stop.set()
                return

    threads = [threading.Thread(target=loop, name=f"pantau-collect-{i}", daemon=True)
               for i in range(workers)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except BaseException:  # Ctrl-C while waiting: let the threads finish their page, stop
        stop.set()
        for thread in threads:
            thread.join()
        raise
    if errors:
        raise errors[0]


_STAT_FIELDS = ("requests", "retries", "rate_limit_waits", "waited_seconds", "bytes")


def count_page(summary: RunSummary, page: Page) -> None:
    """What a page adds to the summary besides the activities (counted when committed)."""
    fetched = page.fetched
    if fetched is not None:
        summary.pages += 1
    if page.fetch_error:
        summary.errors.append(page.fetch_error)
    if page.page_error:
        where = fetched.url if fetched else page.key
        # ParseError messages usually start with the URL already.
        summary.errors.append(page.page_error if page.page_error.startswith(where)
                              else f"{where}: {page.page_error}")
    if page.state is not None and page.state.status in ("refused", "hidden", "skipped"):
        bucket = {"refused": summary.refused, "hidden": summary.hidden,
                  "skipped": summary.skipped}[page.state.status]
        bucket.append(f"{page.state.source} {page.state.key}: {page.state.note}")


def _copy_stats(summary: RunSummary, http: HttpClient, base: dict[str, float | int]) -> None:
    # Read field by field: `as_dict` (dataclasses.asdict) per page cost more than a request.
    stats = http.stats
    now = {name: getattr(stats, name) for name in _STAT_FIELDS}
    summary.requests = int(now["requests"] - base["requests"])
    summary.retries = int(now["retries"] - base["retries"])
    summary.rate_limit_waits = int(now["rate_limit_waits"] - base["rate_limit_waits"])
    summary.waited_seconds = round(float(now["waited_seconds"] - base["waited_seconds"]), 3)
    summary.bytes = int(now["bytes"] - base["bytes"])
