"""The scheduled work as Prefect 3 flows: thin wrappers over the library (issue 7).

    collect          every platform's accounts in batches, one task per batch, then `classify`
    classify         activities not yet classified with the current model, one task per election
    export-weekly    the previous ISO week (Asia/Jakarta) for every configured recipient
    maintenance      the retention purge, then re-hashing the evidence archive

Rules these follow:
- No task retries: the HTTP layer (`pantau.http`) already retries with backoff and honours
  Retry-After; stacking retries here would multiply the load on a struggling platform. A task
  that fails is reported in the run's artifact, the others go on, and the flow run ends failed.
- No caching (`NO_CACHE`): every task writes to the store; a cached "result" would skip work.
- Tasks run one after another: the DuckDB store has one writer, and each platform is paced
  by its own rate limit anyway. Every write is one transaction per page or batch, so a killed
  run resumes where it stopped.
- A flow opens the store with a long bounded wait (`STORE_WAIT_SECONDS`): an export or
  maintenance run scheduled while a collection holds the store waits for it, not fails.
- Classification is a subflow at the end of each collect run rather than an event trigger: it
  needs no Prefect event system (works with the embedded server), and it always sees exactly
  what the collection committed. It is also served as its own deployment for manual runs.
  While the batches collect, what they commit is already classified on the second core
  (`classify.alongside`, as `collect_and_classify` does); the subflow classifies the rest
  (acts on a target, photo posts once their photos are read) with the same result.

The `flows/` folder at the repository root holds one-line entry points for `prefect deploy`;
these definitions are the one source of truth.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from . import evidence
from .classify.alongside import ClassifyAlongside
from .classify.pipeline import PendingSummary, classify_pending
from .collectors.runner import RunSummary, collect
from .config import Settings, get_settings
from .errors import FlowError
from .export import ExportResult, export_week
from .http import HttpClient
from .orchestration import (
    CollectBatch,
    CollectReport,
    classify_markdown,
    collect_markdown,
    export_markdown,
    flagged_by_rule,
    maintenance_markdown,
    plan_collection,
    previous_week,
)
from .retention import PurgeReport, purge
from .sharding import Shard
from .store import Store
from .timeutil import WIB, utcnow

STORE_WAIT_SECONDS = 30 * 60
DEFAULT_BATCH_SIZE = 50            # accounts per collection task


def _stamp() -> str:
    return f"{utcnow().astimezone(WIB):%Y-%m-%d-%H%M}"


def _open_store(settings: Settings) -> Store:
    return Store.open(settings=settings, wait_seconds=STORE_WAIT_SECONDS)


def _artifact(key: str, markdown: str, description: str) -> None:
    create_markdown_artifact(markdown=markdown, key=key, description=description)


# --- collect ---------------------------------------------------------------------------------


def _collect_run_name() -> str:
    platforms = flow_run.parameters.get("platforms") or ["all"]
    of = flow_run.parameters.get("of") or 1
    part = f"-shard{flow_run.parameters.get('shard', 0) + 1}of{of}" if of > 1 else ""
    return f"collect-{'-'.join(platforms)}{part}-{_stamp()}"


@task(name="collect-batch",
      task_run_name="collect {batch.platform} batch {batch.index}/{batch.total}",
      cache_policy=NO_CACHE, retries=0)
def collect_batch(store: Store, http: HttpClient, batch: CollectBatch,
                  since: datetime | None,
                  classifier: ClassifyAlongside | None = None) -> RunSummary:
    """Collect one batch of accounts of one platform (pages commit in groups), classifying
    alongside with `classifier` if given."""
    logger = get_run_logger()
    summary = collect(store, http.settings, platforms=[batch.platform],
                      accounts=list(batch.handles), since=since, http=http,
                      classifier=classifier)
    logger.info("%s: %d account(s), %d page(s), %d new, %d already seen, %d quarantined, "
                "%d error(s)", batch.label, summary.accounts, summary.pages,
                summary.activities_new, summary.activities_seen, summary.quarantined,
                len(summary.errors))
    for line in summary.errors:
        logger.warning("%s", line)
    return summary


@task(name="process-media", task_run_name="photos: download and analyse",
      cache_policy=NO_CACHE, retries=0)
def process_media(store: Store, settings: Settings, http: HttpClient) -> dict[str, Any]:
    """Download the new photos of registered ASN's activities and read them (OCR, hands), so
    classification judges photo posts too (KE-05 / DS-07)."""
    from .media.stage import process_pending_media

    summary = process_pending_media(store, settings, http=http, registered_only=True)
    get_run_logger().info("photos: %s", summary.to_dict())
    return summary.to_dict()


@flow(name="collect", flow_run_name=_collect_run_name, log_prints=False)
def collect_flow(platforms: list[str] | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
                 since: datetime | None = None, classify: bool = True,
                 shard: int = 0, of: int = 1, media: bool = True) -> dict[str, Any]:
    """Collect registered ASN and watch-listed accounts, `batch_size` accounts per task, then
    download and analyse their new photos (unless `media` is false) and classify what is new
    (unless `classify` is false). With `of` > 1, only the accounts of
    shard `shard` (0-based) of `of`: N workers given shards 0..N-1 split the work list with
    no overlap or loss (`pantau.sharding`, docs/scaling.md)."""
    logger = get_run_logger()
    settings = get_settings()
    part = Shard(shard, of)
    done: list[tuple[CollectBatch, RunSummary]] = []
    failed: list[tuple[CollectBatch, str]] = []
    started = utcnow()
    early: PendingSummary | None = None
    with _open_store(settings) as store, HttpClient(settings) as http:
        plan = plan_collection(store, platforms, batch_size, shard=part)
        logger.info("%d batch(es) of at most %d account(s)%s", len(plan), batch_size,
                    "" if part.everything else f", {part}")
        classifier = _classifier(store) if classify else None
        try:
            for batch in plan:
                state = collect_batch(store, http, batch, since, classifier, return_state=True)
                if state.is_completed():
                    done.append((batch, state.result()))
                else:
                    failed.append((batch, _reason(state)))
                    logger.error("%s failed: %s", batch.label, failed[-1][1])
        finally:
            if classifier is not None:
                early = classifier.close()
                logger.info("%d activit(ies) classified during the collection",
                            early.activities)
        media_error = None
        if media:
            media_state = process_media(store, settings, http, return_state=True)
            if not media_state.is_completed():
                media_error = _reason(media_state)
                logger.error("photos failed: %s", media_error)
    report = CollectReport.of(done, failed)
    result: dict[str, Any] = {"collect": report.as_dict()}
    summary, by_rule, classify_error = None, None, None
    if classify:
        try:
            outcome = classify_flow()
            summary, by_rule = outcome["summary"], outcome["flagged_by_rule"]
            if early is not None and early.activities:
                # What was classified during the collection counts in this run's report.
                summary = outcome["summary"] = early.merged(summary)
                with _open_store(settings) as store:
                    by_rule = outcome["flagged_by_rule"] = flagged_by_rule(store, started)
            result["classify"] = outcome
        except Exception as exc:  # reported in the artifact; the run still fails below
            classify_error = str(exc)
    _artifact("collect-summary", collect_markdown(report, summary, by_rule, classify_error),
              "Activities collected per platform, flags by rule, errors")
    if failed or classify_error or media_error:
        raise FlowError(f"{len(failed)} batch(es) failed"
                         + (f"; photos failed: {media_error}" if media_error else "")
                         + (f"; classification failed: {classify_error}" if classify_error
                            else "") + " (see the collect-summary artifact)")
    return result


def _classifier(store: Store) -> ClassifyAlongside | None:
    """The alongside classifier of a collect run, started before the first batch; None when
    there is no model to classify with (the classify subflow then reports why)."""
    from .classify.model import TextModel

    try:
        model = TextModel.load()
    except Exception as exc:  # noqa: BLE001 - the classify subflow fails on it, reported
        get_run_logger().warning("no classification during the collection: %s", exc)
        return None
    classifier = ClassifyAlongside(store, model)
    classifier.start()
    return classifier


def _reason(state: Any) -> str:
    try:
        state.result()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return state.message or state.name


# --- classify --------------------------------------------------------------------------------


@task(name="classify-election", task_run_name="classify {election_id}", cache_policy=NO_CACHE,
      retries=0)
def classify_election(store: Store, model: Any, election_id: str,
                      batch_size: int | None) -> PendingSummary:
    """Classify the pending activities for one election, one transaction per batch."""
    logger = get_run_logger()
    summary = classify_pending(
        store, model=model, batch_size=batch_size, election_ids=[election_id],
        progress=lambda done, total: logger.info("%s: %d/%d classified", election_id, done,
                                                 total))
    logger.info("%s: %d classified, %d flag row(s), %d flagged", election_id,
                summary.activities, summary.flags, summary.flagged)
    return summary


def _classify_run_name() -> str:
    return f"classify-{_stamp()}"


@flow(name="classify", flow_run_name=_classify_run_name, log_prints=False)
def classify_flow(batch_size: int | None = None) -> dict[str, Any]:
    """Classify every activity not yet classified with the current model, per election, in
    batches of `batch_size` (default: settings.classifier.batch_size)."""
    from .classify.model import TextModel

    logger = get_run_logger()
    settings = get_settings()
    model = TextModel.load()
    started = utcnow()
    total = PendingSummary(model.version)
    with _open_store(settings) as store:
        elections = [r[0] for r in store.rows("SELECT election_id FROM elections ORDER BY 1")]
        logger.info("model %s, %d election(s)", model.version, len(elections))
        for eid in elections:
            s = classify_election(store, model, eid, batch_size or settings.classifier.batch_size)
            total.elections.append(eid)
            total.activities += s.activities
            total.flags += s.flags
            total.flagged += s.flagged
        by_rule = flagged_by_rule(store, started)
    _artifact("classify-summary", classify_markdown(total, by_rule),
              "Activities classified and flags by rule")
    return {"summary": total, "flagged_by_rule": by_rule}


# --- weekly export ---------------------------------------------------------------------------


def _export_run_name() -> str:
    week = flow_run.parameters.get("week") or previous_week()
    return f"export-weekly-{week}"


@task(name="export-recipient", task_run_name="export {week} for {recipient}",
      cache_policy=NO_CACHE, retries=0)
def export_recipient(store: Store, week: str, recipient: str, created_by: str) -> ExportResult:
    result = export_week(store, week, recipient, created_by=created_by, settings=get_settings())
    get_run_logger().info("%s", str(result).replace("\n", " "))
    return result


@flow(name="export-weekly", flow_run_name=_export_run_name, log_prints=False)
def export_weekly_flow(week: str | None = None,
                       recipients: list[str] | None = None) -> dict[str, Any]:
    """Write the weekly file of confirmed cases for `week` (default: the previous ISO week in
    Asia/Jakarta) and every recipient (default: settings.export.recipients)."""
    logger = get_run_logger()
    settings = get_settings()
    week = week or previous_week()
    names = recipients or settings.export.recipients
    # Attributable (issue 8): the manifest names the flow run that wrote it.
    created_by = f"prefect flow run {flow_run.name or 'export-weekly'}"
    results: list[ExportResult] = []
    failed: list[str] = []
    with _open_store(settings) as store:
        for name in names:
            state = export_recipient(store, week, name, created_by, return_state=True)
            if state.is_completed():
                results.append(state.result())
            else:
                failed.append(f"{name}: {_reason(state)}")
                logger.error("%s", failed[-1])
    _artifact("export-weekly-summary", export_markdown(week, results, failed),
              f"Weekly export {week}: files and case counts per recipient")
    if failed:
        raise FlowError(f"export {week}: {len(failed)} recipient(s) failed: " + "; ".join(failed))
    return {"week": week, "exports": [
        {"recipient": r.recipient, "rows": r.row_count, "status": r.status,
         "csv": str(r.csv_path), "manifest": str(r.manifest_path)} for r in results]}


# --- maintenance -----------------------------------------------------------------------------


@task(name="retention-purge", task_run_name="retention-purge", cache_policy=NO_CACHE,
      retries=0)
def purge_task(store: Store, older_than_days: int | None, dry_run: bool) -> PurgeReport:
    period = timedelta(days=older_than_days) if older_than_days else None
    report = purge(store, get_settings(), older_than=period, dry_run=dry_run)
    get_run_logger().info("%s", str(report).replace("\n", "; "))
    return report


@task(name="evidence-verify", task_run_name="evidence-verify", cache_policy=NO_CACHE,
      retries=0)
def verify_task(store: Store) -> evidence.VerifyReport:
    report = evidence.verify(store)
    logger = get_run_logger()
    logger.info("%d evidence file(s) checked: %d missing, %d altered, %d not in the store",
                report.checked, len(report.missing), len(report.altered), len(report.unlisted))
    for rel in report.missing + report.altered:
        logger.error("evidence problem: %s", rel)
    return report


def _maintenance_run_name() -> str:
    return f"maintenance-{_stamp()}"


@flow(name="maintenance", flow_run_name=_maintenance_run_name, log_prints=False)
def maintenance_flow(older_than_days: int | None = None, dry_run: bool = False) -> dict[str, Any]:
    """Purge never-flagged data past retention (default settings.retention_days), then re-hash
    the evidence archive. Fails when a file could not be deleted or evidence is missing or
    altered."""
    settings = get_settings()
    with _open_store(settings) as store:
        purged = purge_task(store, older_than_days, dry_run)
        verified = verify_task(store)
    _artifact("maintenance-summary", maintenance_markdown(purged, verified),
              "Retention purge counts and evidence verification")
    problems = purged.errors + [f"missing {p}" for p in verified.missing] + [
        f"altered {p}" for p in verified.altered]
    if problems:
        raise FlowError(f"maintenance: {len(problems)} problem(s): " + "; ".join(problems[:5]))
    return {"purged_activities": purged.activities, "purged_evidence": purged.evidence,
            "files_deleted": purged.files_deleted, "evidence_checked": verified.checked,
            "evidence_ok": verified.ok}


__all__ = ["FlowError", "classify_flow", "collect_flow", "export_weekly_flow",
           "maintenance_flow"]
