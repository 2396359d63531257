"""Classification fanned out by batch over a Prefect process pool (issue 9, docs/scaling.md).

    from pantau.fanout import classify_fanout_flow
    classify_fanout_flow(batch_size=2000, workers=2)

The `classify` flow (pantau.flows) runs batches one after another in one process: right for
a small machine. This flow computes the batches in parallel on Prefect's
`ProcessPoolTaskRunner`, one task per batch: each worker process loads the model once (and
keeps it), the flow process alone reads the pending activities and writes the results, one
transaction per batch as they come back. So the store keeps a single writer (the embedded
file allows no other) while the CPU-heavy part, linking and the model, uses every core.

The results are the same as `classify_pending`'s: the same batch function computes them and
the same writer stores them (tests/test_fanout.py compares the two on one store).
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ProcessPoolTaskRunner

from .classify.linking import linker_for
from .classify.model import TextModel
from .classify.pipeline import (
    PENDING_SQL,
    PendingSummary,
    classify_rows,
    watch_index,
    write_results,
    resolve_threshold,
)
from .config import get_settings
from .elections import load_election, stage_window
from .media.photos import activity_photos
from .records import Election, Flag
from .store import Store

STORE_WAIT_SECONDS = 30 * 60


@lru_cache(maxsize=2)
def _model(model_dir: str) -> TextModel:
    """The model, loaded once per worker process (tasks of one flow run share it)."""
    return TextModel.load(model_dir)


@task(name="classify-batch", task_run_name="classify {election.id} batch {index}",
      cache_policy=NO_CACHE, retries=0)
def classify_batch(index: int, rows: list[dict[str, Any]], election: Election, model_dir: str,
                   threshold: float, accounts: dict, posts: dict,
                   photos: dict) -> tuple[list[Flag], dict[str, int]]:
    """Flags of one batch of pending activities; pure computation, no store access."""
    return classify_rows(rows, election, linker_for(election), _model(model_dir), threshold,
                           accounts, posts, photos)


def _workers_default() -> int:
    return max(1, os.cpu_count() or 1)


@flow(name="classify-fanout", log_prints=False,
      task_runner=ProcessPoolTaskRunner(max_workers=_workers_default()))
def classify_fanout_flow(batch_size: int | None = None) -> dict[str, Any]:
    """Classify every pending activity with the current model, batches computed in parallel
    on a process pool (one process per core; PREFECT_TASKS_RUNNER_PROCESS_POOL_MAX_WORKERS
    overrides), results written by this flow one transaction per batch."""
    logger = get_run_logger()
    settings = get_settings()
    model = TextModel.load()
    model_dir = str(model.path)
    threshold = resolve_threshold(model)
    size = batch_size or settings.classifier.batch_size
    summary = PendingSummary(model.version)
    with Store.open(settings=settings, wait_seconds=STORE_WAIT_SECONDS) as store:
        ids = [r[0] for r in store.rows("SELECT election_id FROM elections ORDER BY 1")]
        summary.elections = ids
        for eid in ids:
            election = load_election(store, eid)
            window = stage_window(election)
            accounts, posts = watch_index(store, election)
            frame = store.df(PENDING_SQL, [window.start, window.end, eid, model.version])
            futures = []
            for index, start in enumerate(range(0, len(frame), size), start=1):
                rows = frame.iloc[start:start + size].to_dict("records")
                photos = activity_photos(store, [r["activity_id"] for r in rows])
                futures.append(classify_batch.submit(index, rows, election, model_dir,
                                                     threshold, accounts, posts, photos))
            logger.info("%s: %d pending in %d batch(es)", eid, len(frame), len(futures))
            for future in futures:
                flags, done = future.result()
                write_results(store, flags, done, eid, model.version)
                summary.record(flags, done)
    logger.info("%d classified, %d flag row(s), %d flagged", summary.activities, summary.flags,
                summary.flagged)
    return {"model_version": summary.model_version, "elections": summary.elections,
            "activities": summary.activities, "flags": summary.flags,
            "flagged": summary.flagged, "by_rule": summary.by_rule}


__all__ = ["classify_batch", "classify_fanout_flow"]
