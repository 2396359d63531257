"""Retention purge (UU 27/2022 PDP): drop what was never flagged once the retention period is over.

    from pantau.retention import purge
    with Store.open() as store:
        report = purge(store, get_settings())                  # settings.retention_days
        report = purge(store, settings, older_than=timedelta(days=30), dry_run=True)

What goes: activities **observed** more than the period ago that were never flagged and never
decided — no `flags` row with ``flagged = true`` under any model version, no decision and no
export on any of their cases — together with their `classifications` and (unflagged) `flags`
rows. Then the evidence no longer referenced: `evidence` rows (and their raw files) that no
remaining activity (as its page or one of its images) and no quarantined item points at, and
that were requested before the cutoff; image analyses (OCR text is content) go with their image.

Why `observed_at` and not `created_at`: it is always set, by our own clock, whereas
`created_at` is missing for likes and follows and set by the poster's client. It also gives an
old post found today the full period in the review queue.

Kept, always: flagged and decided cases with their activity and evidence, and the posts those
acts were about (the liked, shared or replied-to post, when we have it) — a reviewer or a
disciplinary case needs the context.

Order: every database change in ONE transaction; files are deleted only after the commit. A
crash between leaves files without a row (never a row without its file); `evidence verify`
lists them as unlisted and the next purge deletes them once they are older than the cutoff,
with the temporary files a killed collection leaves (``.<hash>.gz.<pid>.tmp``, never read).
What was purged is recorded in `purge_log`: counts and ids/hashes, never content. All set-based
SQL: no statement per row, only one `unlink` per file.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from .config import Settings
from .errors import InputError, StoreError
from .evidence import home_of
from .fsutil import temporary_of
from .store import Store
from .timeutil import to_utc, utcnow

_PERIOD = re.compile(r"\s*(\d+)\s*([dwm]?)\s*", re.IGNORECASE)
_UNIT_DAYS = {"": 1, "d": 1, "w": 7, "m": 30}


def parse_period(text: str) -> timedelta:
    """``90d``, ``12w``, ``6m`` (a month counts as 30 days) or a bare number of days."""
    match = _PERIOD.fullmatch(str(text))
    if not match or int(match[1]) <= 0:
        raise InputError(f"period {text!r}: write a positive number of days, weeks or months, "
                         "e.g. 90d, 12w or 6m")
    return timedelta(days=int(match[1]) * _UNIT_DAYS[match[2].lower()])


@dataclass(slots=True)
class PurgeReport:
    cutoff: datetime                 # activities observed before this went (UTC)
    dry_run: bool
    activities: int = 0
    unclassified: int = 0            # of those, never classified (outside every election window)
    classifications: int = 0
    flags: int = 0                   # unflagged flag rows of the purged activities
    kept_flagged: int = 0            # older than the cutoff but flagged or decided: kept
    evidence: int = 0                # evidence rows no longer referenced
    media_analyses: int = 0
    files_deleted: int = 0
    files_missing: int = 0           # evidence rows whose file was already gone
    orphan_files: int = 0            # files with no evidence row, temporaries (a crashed run)
    bytes_freed: int = 0
    errors: list[str] = field(default_factory=list)   # files that could not be deleted

    def __str__(self) -> str:
        verb = "would purge" if self.dry_run else "purged"
        lines = [
            f"{verb} {self.activities} activit{'y' if self.activities == 1 else 'ies'} observed "
            f"before {self.cutoff:%Y-%m-%d %H:%M} UTC ({self.unclassified} never classified), "
            f"{self.classifications} classification(s), {self.flags} unflagged flag row(s)",
            f"{verb} {self.evidence} evidence row(s), {self.media_analyses} image analysis(es), "
            f"{self.orphan_files} orphan file(s)",
            f"kept {self.kept_flagged} older activit{'y' if self.kept_flagged == 1 else 'ies'} "
            "that were flagged or decided",
        ]
        if not self.dry_run:
            lines.append(f"deleted {self.files_deleted} file(s), "
                         f"{self.bytes_freed / 1e6:.1f} MB freed"
                         + (f"; {self.files_missing} already missing" if self.files_missing
                            else ""))
        lines += [f"could not delete {e}" for e in self.errors]
        return "\n".join(lines)


# Activities that must stay whatever their age: a flag in the queue, a decision or an export
# on one of their cases. A case id is the same under every model version.
_KEEP_SQL = """
CREATE TEMP TABLE _purge_keep AS
SELECT DISTINCT f.activity_id
FROM flags f
WHERE f.flagged
   OR f.case_id IN (SELECT case_id FROM decisions)
   OR f.case_id IN (SELECT case_id FROM export_rows)
"""

# The acts a kept activity was about (liked/shared/quoted/replied-to post), by native or own id.
_CONTEXT_SQL = """
CREATE TEMP TABLE _purge_context AS
SELECT DISTINCT platform, ref FROM (
    SELECT a.platform, a.target_id AS ref FROM activities a
    WHERE a.activity_id IN (SELECT activity_id FROM _purge_keep)
    UNION ALL
    SELECT a.platform, a.reply_to FROM activities a
    WHERE a.activity_id IN (SELECT activity_id FROM _purge_keep)
) WHERE ref IS NOT NULL
"""

_ACTIVITIES_SQL = """
CREATE TEMP TABLE _purge_activities AS
SELECT a.activity_id, a.evidence_id, a.media
FROM activities a
WHERE a.observed_at < ?
  AND a.activity_id NOT IN (SELECT activity_id FROM _purge_keep)
  AND NOT EXISTS (SELECT 1 FROM _purge_context c WHERE c.platform = a.platform
                  AND (c.ref = a.native_id OR c.ref = a.activity_id))
"""

# Image hashes named in the `media` JSON of activities (photo evidence).
_MEDIA_REFS = """
SELECT DISTINCT json_extract_string(item, '$.sha256') AS sha256
FROM (SELECT unnest(CAST(media AS JSON[])) AS item FROM {source}
      WHERE media IS NOT NULL AND media_count > 0)
WHERE json_extract_string(item, '$.sha256') IS NOT NULL
"""

# Evidence nothing that remains points at. Runs after the activities are deleted (or, in a dry
# run, treats the doomed activities as gone).
_EVIDENCE_SQL = """
CREATE TEMP TABLE _purge_evidence AS
SELECT e.sha256, e.path, e.size
FROM evidence e
WHERE e.requested_at < ?
  AND e.sha256 NOT IN (SELECT evidence_id FROM _purge_remaining WHERE evidence_id IS NOT NULL)
  AND e.sha256 NOT IN ({media_refs})
  AND e.sha256 NOT IN (SELECT evidence_id FROM quarantine WHERE evidence_id IS NOT NULL)
"""

_TEMP_TABLES = ("_purge_keep", "_purge_context", "_purge_activities", "_purge_remaining",
                "_purge_evidence")


def purge(
    store: Store,
    settings: Settings,
    *,
    older_than: timedelta | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> PurgeReport:
    """Remove never-flagged activities past the retention period and evidence nothing needs.

    `older_than` defaults to ``settings.retention_days``. With `dry_run` nothing changes (the
    store may then be read-only) and the report says what would go. See the module docstring.
    """
    period = older_than if older_than is not None else timedelta(days=settings.retention_days)
    if period <= timedelta(0):
        raise InputError(f"retention period {period}: must be positive")
    if store.read_only and not dry_run:
        raise StoreError(f"{store.path}: the store is open read-only; a purge needs it "
                         "read-write (or use a dry run)")
    cutoff = to_utc(now or utcnow()) - period
    report = PurgeReport(cutoff=cutoff, dry_run=dry_run)
    home = home_of(store)
    doomed: list[tuple[str, str, int]] = []
    try:
        with store.transaction():
            _select(store, cutoff, report)
            doomed = [(r[0], r[1], int(r[2] or 0)) for r in store.rows(
                "SELECT sha256, path, size FROM _purge_evidence ORDER BY path")]
            if not dry_run:
                _delete(store, cutoff)
    finally:
        for name in _TEMP_TABLES:
            store.con.execute(f"DROP TABLE IF EXISTS {name}")
    # Files only after the commit: at worst a file outlives its row, never the reverse.
    listed = {p for (p,) in store.rows("SELECT path FROM evidence")}
    orphans = _orphan_files(home, listed, cutoff)
    report.orphan_files = len(orphans)
    if dry_run:
        return report
    for _sha, rel, size in doomed:
        _unlink(home / rel, report, size)
    for path, size in orphans:
        _unlink(path, report, size, orphan=True)
    if orphans:
        with store.transaction():
            store.con.execute(
                "INSERT INTO purge_log (purged_at, kind, count, hashes, cutoff) "
                "VALUES (?, 'orphan_files', ?, ?, ?)",
                [utcnow(), len(orphans),
                 json.dumps(sorted(_archive_hash(p) for p, _ in orphans)), cutoff])
    return report


def _count(store: Store, sql: str, params: list | None = None) -> int:
    return int(store.rows(sql, params)[0][0])


def _select(store: Store, cutoff: datetime, report: PurgeReport) -> None:
    """Fill the temp tables: what stays, what goes, and the evidence it leaves unreferenced."""
    store.con.execute(_KEEP_SQL)
    store.con.execute(_CONTEXT_SQL)
    store.con.execute(_ACTIVITIES_SQL, [cutoff])
    report.activities = store.count("_purge_activities")
    report.kept_flagged = _count(
        store, "SELECT count(*) FROM activities WHERE observed_at < ? "
        "AND activity_id NOT IN (SELECT activity_id FROM _purge_activities)", [cutoff])
    report.unclassified = _count(
        store, "SELECT count(*) FROM _purge_activities p WHERE NOT EXISTS "
        "(SELECT 1 FROM classifications k WHERE k.activity_id = p.activity_id)")
    report.classifications = _count(
        store, "SELECT count(*) FROM classifications WHERE activity_id IN "
        "(SELECT activity_id FROM _purge_activities)")
    report.flags = _count(
        store, "SELECT count(*) FROM flags WHERE activity_id IN "
        "(SELECT activity_id FROM _purge_activities)")
    store.con.execute(
        "CREATE TEMP TABLE _purge_remaining AS SELECT activity_id, evidence_id, media, "
        "media_count FROM activities WHERE activity_id NOT IN "
        "(SELECT activity_id FROM _purge_activities)")
    media_refs = _MEDIA_REFS.format(source="_purge_remaining")
    store.con.execute(_EVIDENCE_SQL.format(media_refs=media_refs), [cutoff])
    report.evidence = store.count("_purge_evidence")
    report.media_analyses = _count(
        store, "SELECT count(*) FROM media_analyses WHERE sha256 IN "
        "(SELECT sha256 FROM _purge_evidence)")


def _delete(store: Store, cutoff: datetime) -> None:
    """Delete what `_select` chose and log ids/hashes (set-based; inside the caller's tx)."""
    now = utcnow()
    con = store.con
    con.execute(
        "INSERT INTO purge_log (purged_at, kind, count, hashes, cutoff) "
        "SELECT ?, 'activities', count(*), to_json(list(activity_id ORDER BY activity_id)), ? "
        "FROM _purge_activities HAVING count(*) > 0", [now, cutoff])
    con.execute(
        "INSERT INTO purge_log (purged_at, kind, count, hashes, cutoff) "
        "SELECT ?, 'evidence', count(*), to_json(list(sha256 ORDER BY sha256)), ? "
        "FROM _purge_evidence HAVING count(*) > 0", [now, cutoff])
    for table in ("flags", "classifications", "activities"):
        con.execute(f"DELETE FROM {table} WHERE activity_id IN "
                    "(SELECT activity_id FROM _purge_activities)")
    con.execute("DELETE FROM media_analyses WHERE sha256 IN (SELECT sha256 FROM _purge_evidence)")
    con.execute("DELETE FROM evidence WHERE sha256 IN (SELECT sha256 FROM _purge_evidence)")


def _orphan_files(home: Path, listed: set[str], cutoff: datetime) -> list[tuple[Path, int]]:
    """Archive files with no evidence row, and temporary files of interrupted writes
    (``.<name>.gz.<pid>.tmp``), last written before the cutoff.

    The age test keeps a file that a running collection has just written and not yet
    committed; a crash leaves such files behind, and they are old by the next purges.
    """
    raw = home / "raw"
    if not raw.is_dir():
        return []
    limit = cutoff.timestamp()
    found = []
    for path in raw.rglob("*"):
        if not (temporary_of(path.name) or path.name).endswith(".gz"):
            continue
        rel = path.relative_to(home).as_posix()
        if rel in listed or not path.is_file():
            continue
        stat = path.stat()
        if stat.st_mtime < limit:
            found.append((path, stat.st_size))
    return sorted(found)


def _archive_hash(path: Path) -> str:
    """The content hash an archive file (or a temporary file of one) is named after."""
    return (temporary_of(path.name) or path.name).removesuffix(".gz")


def _unlink(path: Path, report: PurgeReport, size: int, *, orphan: bool = False) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        if not orphan:
            report.files_missing += 1
        return
    except OSError as exc:
        report.errors.append(f"{path}: {exc.strerror}")
        return
    report.files_deleted += 1
    report.bytes_freed += size
    _prune_empty_dirs(path.parent)


def _prune_empty_dirs(directory: Path) -> None:
    """Remove the now-empty day/month/year folders, never raw/<platform> itself."""
    # raw/<platform>/<yyyy>/<mm>/<dd>: only the three dated levels.
    for _ in range(3):
        if directory.name == "raw" or directory.parent.name == "raw":
            return
        try:
            os.rmdir(directory)
        except OSError:
            return  # not empty (or not ours): stop here
        directory = directory.parent


__all__ = ["PurgeReport", "parse_period", "purge"]
