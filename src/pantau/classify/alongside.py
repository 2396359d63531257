"""Classify while collecting: what a commit stored is classified on the second core at once.

    from pantau.classify.alongside import collect_and_classify
    with Store.open() as store:
        result = collect_and_classify(store, get_settings())

Collecting holds one core (its threads share the GIL); classifying afterwards (`classify_pending`)
then ran on that same core while the other one idled. Here each group the collection commits
(collectors/commit.py) is handed to `ClassifyAlongside`: its thread reads which of the group's
activities are pending, one child process computes their flags (`classify_rows` with the
model it was forked with), and the same thread writes the results as they come back, one
transaction per batch (`write_results`, as `classify_pending` does). The store keeps its single
writer process; the child never opens it, and the collection's threads and this one take
turns on the connection (the buffer's `store_lock`).

Exactly `classify_pending`'s flags, whatever the order or a kill:

- Only activities whose flags nothing collected later can change are classified alongside: no
  target (the watch-list index of `classify_pending` only ever decides acts on a target, and
  the collection still adds watch-listed posts and resolved ids to it) and no media (photos are
  downloaded and analysed after the collection; their text and hand poses count). An activity
  is stored once (``DO NOTHING``), so what the group committed is what `classify_pending` would
  read.
- "Pending" is `classify_pending`'s query (`pending_sql`) narrowed to the group's ids: an
  activity classified with this model is never classified again, and one waiting in the child
  is not sent twice.
- Results are written like `classify_pending`'s, a batch per transaction, so a kill loses only
  batches not written yet; the next run's `classify_pending` (here, or the `classify` flow)
  classifies them, and everything that waited (targets, media) in the same way.

A failure here (the child cannot start, a batch raises) never fails the collection: it is
logged, classifying alongside stops, and the pass after the collection classifies the rest.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Collection, Iterable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from ..config import Settings, get_settings
from ..elections import load_election, stage_window
from ..records import Election, Flag
from ..store import Store
from .linking import linker_for
from .model import TextModel
from .pipeline import (
    PendingSummary,
    classify_pending,
    classify_rows,
    pending_sql,
    resolve_threshold,
    write_results,
)

log = logging.getLogger("pantau.classify")

# Pending (`pending_sql`) among the activities of one commit (the first parameter, their ids)
# and final already: see the module docstring for why targets and media wait for the pass
# after the collection.
_FINAL_PENDING_SQL = pending_sql("""(
    SELECT * FROM activities WHERE activity_id IN (SELECT unnest(?))
      AND target_id IS NULL AND target_author_id IS NULL AND target_author_handle IS NULL
      AND coalesce(media_count, 0) = 0)""")

# --- the child process ---------------------------------------------------------------------

PARENT_CHECK_SECONDS = 0.5
# The longest the collecting process waits on the child for one answer (its start, or a
# batch at the end of the run): a child that hangs (say on a lock some thread held when it
# was forked) is killed and the pass after the collection classifies what it had.
CHILD_SECONDS = 300.0

_child_model: TextModel | None = None


def _start_child(model: TextModel, parent: int) -> None:
    global _child_model
    _child_model = model
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: int) -> None:
    """End the child when its parent is gone (SIGKILLed): a pool's worker waits for work
    forever otherwise, an orphan holding a copy of the collecting process."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


def _ready() -> bool:
    return _child_model is not None


def _classify_final(rows: list[dict[str, Any]], election: Election, threshold: float
                    ) -> tuple[list[Flag], dict[str, int]]:
    # No watch-list index and no photos: the rows have no target and no media (the SQL
    # above), so `classify_rows` would consult neither.
    assert _child_model is not None, "the child process starts with the model"
    return classify_rows(rows, election, linker_for(election), _child_model, threshold,
                         {}, {}, None)


# --- the collecting process ----------------------------------------------------------------


@dataclass(slots=True)
class _Batch:
    election_id: str
    ids: list[str]
    future: Future[tuple[list[Flag], dict[str, int]]]


class ClassifyAlongside:
    """Classifies the final pending activities of each committed group in a child process;
    see the module docstring. `committed` is the `PageBuffer`'s commit hook; `close` waits for
    the child and writes what it still had."""

    def __init__(self, store: Store, model: TextModel, *, threshold: float | None = None,
                 batch_size: int | None = None,
                 election_ids: Iterable[str] | None = None) -> None:
        self.store = store
        self.model = model
        self.threshold = resolve_threshold(model, threshold)
        self.batch_size = batch_size or get_settings().classifier.batch_size
        ids = list(election_ids) if election_ids is not None else [
            r[0] for r in store.rows("SELECT election_id FROM elections ORDER BY 1")]
        self.elections = {eid: load_election(store, eid) for eid in ids}
        self._windows = {eid: stage_window(e) for eid, e in self.elections.items()}
        self.summary = PendingSummary(model.version, ids)
        self.store_lock: AbstractContextManager[Any] = threading.RLock()
        self._lock = threading.Lock()          # the batches below, between committing threads
        self._batches: list[_Batch] = []
        self._sent: set[tuple[str, str]] = set()   # (election, activity) waiting in the child
        self._pool: ProcessPoolExecutor | None = None
        # The store work of a hand-over (the pending query, writing results) runs on its own
        # thread, not the committing one: that one goes on to the next group's files meanwhile.
        self._feeder = ThreadPoolExecutor(1, thread_name_prefix="pantau-alongside")
        self._failed = not self.elections

    def __enter__(self) -> ClassifyAlongside:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def use_lock(self, store_lock: AbstractContextManager[Any]) -> None:
        """Share the lock that guards the store connection between threads (the buffer's)."""
        self.store_lock = store_lock

    def committed(self, activity_ids: Collection[str]) -> None:
        """Commit hook: classify what the group just committed (if final), write what the
        child finished since; on the feeder thread, in commit order."""
        if not self._failed and activity_ids:
            self._feeder.submit(self._hand_over, list(activity_ids))

    def settle(self) -> None:
        """Wait until every committed group has been handed over: the caller may use the store
        connection again (`collect` does before it returns; the child may still be busy)."""
        self._feeder.submit(lambda: None).result()

    def close(self) -> PendingSummary:
        """Wait for the hand-overs and the child, write its last results, stop it; the summary
        of what was classified alongside."""
        try:
            self._feeder.shutdown(wait=True)
            if not self._failed:
                self._write(done_only=False)
        except Exception as exc:  # noqa: BLE001 - the pass after the collection does it
            self._give_up(exc)
        finally:
            self._stop()
        return self.summary

    def _hand_over(self, activity_ids: list[str]) -> None:
        # Never raises: classifying alongside just stops (see the module docstring).
        if self._failed:
            return
        try:
            self._write(done_only=True)
            self._send(activity_ids)
        except Exception as exc:  # noqa: BLE001 - the pass after the collection does it
            self._give_up(exc)

    def _send(self, activity_ids: Collection[str]) -> None:
        ids = list(activity_ids)
        for eid, election in self.elections.items():
            window = self._windows[eid]
            with self.store_lock:
                frame = self.store.df(_FINAL_PENDING_SQL, [ids, window.start, window.end, eid,
                                                           self.model.version])
            with self._lock:
                rows = [r for r in frame.to_dict("records")
                        if (eid, r["activity_id"]) not in self._sent]
                for start in range(0, len(rows), self.batch_size):
                    batch = rows[start:start + self.batch_size]
                    future = self._child().submit(_classify_final, batch, election,
                                                  self.threshold)
                    batch_ids = [r["activity_id"] for r in batch]
                    self._sent.update((eid, i) for i in batch_ids)
                    self._batches.append(_Batch(eid, batch_ids, future))

    def _write(self, *, done_only: bool) -> None:
        ready: list[_Batch] = []
        with self._lock:
            waiting: list[_Batch] = []
            for batch in self._batches:
                (ready if not done_only or batch.future.done() else waiting).append(batch)
            self._batches = waiting
        for batch in ready:
            flags, done = batch.future.result(timeout=CHILD_SECONDS)
            with self.store_lock:
                write_results(self.store, flags, done, batch.election_id, self.model.version)
            self.summary.record(flags, done)
            with self._lock:
                self._sent.difference_update((batch.election_id, i) for i in batch.ids)

    def start(self) -> None:
        """Start the child now, before the collection's threads (see `_child`)."""
        if not self._failed:
            try:
                self._child().submit(_ready).result(timeout=CHILD_SECONDS)
            except Exception as exc:  # noqa: BLE001
                self._give_up(exc)

    def _child(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # fork: the child has the model and its imports at once (a spawned one spends
            # about 1.5 s of CPU importing scikit-learn and the rest, as much as classifying
            # a demo world x1 takes). Forked before the collection threads start (`start`),
            # it runs only `classify_rows`: no store, no HTTP, none of their locks.
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context(method),
                                             initializer=_start_child,
                                             initargs=(self.model, os.getpid()))
        return self._pool

    def _give_up(self, exc: BaseException) -> None:
        log.warning("classifying alongside the collection stopped (%s: %s); the rest is "
                    "classified after it", type(exc).__name__, exc)
        self._failed = True
        self._stop(kill=True)

    def _stop(self, *, kill: bool = False) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            if kill:
                # A child that stopped answering would keep `shutdown` waiting for ever; what
                # it had is still pending in the store.
                for process in list((getattr(pool, "_processes", None) or {}).values()):
                    process.kill()
            pool.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            self._batches = []
            self._sent = set()


@dataclass(slots=True)
class CollectClassifyResult:
    collect: Any                   # collectors.runner.RunSummary
    classify: PendingSummary       # alongside and after, together
    alongside: int                 # (activity, election) pairs classified during collection
    collect_seconds: float         # until the collection's last commit
    classify_seconds: float        # after it: the child's last batches and the rest


def collect_and_classify(store: Store, settings: Settings, *, model: TextModel | None = None,
                         threshold: float | None = None, alongside: bool = True,
                         **collect_options: Any) -> CollectClassifyResult:
    """Collect (`collectors.runner.collect`, `collect_options` passed on), classifying
    alongside (unless `alongside` is false), then classify what is still pending
    (`classify_pending`): the same flags as collecting, then classifying."""
    from ..collectors.runner import collect

    model = model or TextModel.load()
    started = time.perf_counter()
    classifier = ClassifyAlongside(store, model, threshold=threshold) if alongside else None
    if classifier is not None:
        classifier.start()
    try:
        summary = collect(store, settings, classifier=classifier, **collect_options)
        collected = time.perf_counter()
    finally:
        early = classifier.close() if classifier is not None else PendingSummary(model.version)
    rest = classify_pending(store, model=model, threshold=threshold)
    total = early.merged(rest)
    return CollectClassifyResult(summary, total, early.activities, collected - started,
                                 time.perf_counter() - collected)


__all__ = ["ClassifyAlongside", "CollectClassifyResult", "collect_and_classify"]
