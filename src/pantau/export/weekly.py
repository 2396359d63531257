"""Writing one week's files: named by revision, recorded in the store, with a manifest."""

from __future__ import annotations

import getpass
import hashlib
import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import __version__
from ..config import Settings, get_settings
from ..errors import ConfigError, ReviewError
from ..fsutil import move_into_place, private_dir, write_atomic, write_synced
from ..store import Store
from ..timeutil import WIB, to_utc, utcnow
from .cases import WeekRows, select_week
from .layouts import Recipient, load_recipient
from .render import Rendered, render

# 2: row_sha256 is the SHA-256 of each data line as the file holds it (was: of the cells
# joined by U+001F), so a line can be checked against the manifest on its own.
MANIFEST_FORMAT = "pantau-export/2"


@dataclass(slots=True)
class ExportResult:
    export_id: str
    week: str
    recipient: str
    csv_path: Path
    manifest_path: Path
    sha256: str
    row_count: int
    revision: int
    status: str                      # new | revised | unchanged
    case_ids: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        what = {"new": "written", "revised": f"revision {self.revision} written",
                "unchanged": "unchanged (same bytes as before)"}[self.status]
        diff = ""
        if self.status == "revised":
            diff = (f"; added {len(self.added)}, removed {len(self.removed)}, "
                    f"changed {len(self.changed)}")
        return (f"{self.recipient} {self.week}: {self.row_count} case(s), {what}{diff}\n"
                f"  {self.csv_path}\n  {self.manifest_path}")


def _file_sha256(path: Path) -> str | None:
    """SHA-256 of a file on disk; None when it is not there."""
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except FileNotFoundError:
        return None


def _ensure_file(path: Path, data: bytes) -> None:
    if not path.is_file() or path.read_bytes() != data:
        write_atomic(path, data, what="export file")


def _previous(store: Store, week: str, recipient: str) -> dict[str, Any] | None:
    """The newest earlier revision's export id, revision, file, CSV hash and manifest format.

    Read with DuckDB's JSON functions: a format-1 manifest is stored whole (~150 MB of JSON
    for a million rows), and only these fields are needed unless the file changed (then
    `_previous_lines`)."""
    rows = store.rows(
        "SELECT export_id, CAST(json_extract(manifest, '$.revision') AS INTEGER) AS revision, "
        "json_extract_string(manifest, '$.file'), json_extract_string(manifest, '$.csv_sha256'), "
        "json_extract_string(manifest, '$.format') "
        "FROM exports WHERE week = ? AND recipient = ? ORDER BY revision DESC LIMIT 1",
        [week, recipient])
    if not rows:
        return None
    export_id, revision, file, sha, fmt = rows[0]
    return {"export_id": export_id, "revision": revision, "file": file, "csv_sha256": sha,
            "format": fmt}


def _previous_lines(store: Store, export_id: str) -> tuple[list[str], list[str | None]]:
    """The case ids of an earlier export in file order, and their lines' digests (null for
    an export older than manifest format 2, whose digests were of another form)."""
    table = store.arrow("SELECT case_id, row_sha256 FROM export_rows WHERE export_id = ? "
                        "ORDER BY line", [export_id])
    return table.column("case_id").to_pylist(), table.column("row_sha256").to_pylist()


def _stored_manifest(store: Store, previous: dict[str, Any]) -> list[bytes]:
    """The manifest file of an earlier export as it was written (byte chunks): from format 2
    on, the store keeps it without its per-row members, which are its export_rows."""
    text = store.rows("SELECT manifest FROM exports WHERE export_id = ?",
                      [previous["export_id"]])[0][0]
    if previous["format"] != MANIFEST_FORMAT:
        return [text.encode("utf-8")]    # format 1: kept whole
    ids, digests = _member_parts(*_previous_lines(store, previous["export_id"]))
    return _manifest_file(text, [ids], [digests])


def export_week(
    store: Store,
    week: str,
    recipient: str = "bkn",
    out_dir: str | Path | None = None,
    *,
    created_by: str | None = None,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> ExportResult:
    """Write (or confirm unchanged) the weekly file for one recipient; see the module docstring.

    Refuses to export a case whose archived evidence is missing or no longer matches its
    SHA-256 (`EvidenceError` naming the case and the file), and a store whose audit chain does
    not verify (`AuditError`): what leaves the system must stand up.
    """
    return export_all(store, week, [recipient], out_dir, created_by=created_by,
                      settings=settings, now=now)[0]


class _Unchanged(Exception):
    """The file came out as the newest revision's: the export is rolled back to it."""

    def __init__(self, result: ExportResult) -> None:
        super().__init__(result.export_id)
        self.result = result


def _write_week(store: Store, week_rows: WeekRows, layout: Recipient,
                out_dir: str | Path | None, *, created_by: str | None, settings: Settings,
                now: datetime | None) -> ExportResult:
    """One recipient's file of the week (new, revised or unchanged) and its manifest.

    Recorded as the next revision from the start: each batch's lines go to ``export_rows``
    as they are rendered, all in one transaction, which is committed once the files are in
    place, or rolled back when the file is the same as the newest revision's (or anything
    fails). Storing the lines so overlaps building and writing the file."""
    iso = week_rows.iso
    target_dir = private_dir(Path(out_dir) if out_dir else settings.exports_dir / layout.name)
    staged: Path | None = None
    try:
        with store.transaction():
            prev = _previous(store, iso.label, layout.name)
            revision = prev["revision"] + 1 if prev else 1
            export_id = f"{layout.name}-{iso.label}-r{revision}"
            ids = week_rows.case_id_array
            parts: tuple[list[str], list[str]] = ([], [])   # of the manifest, in order

            def record(first: int, digests: list[str]) -> None:
                store.upsert("export_rows", pa.table({
                    "export_id": pa.array([export_id] * len(digests), pa.string()),
                    "case_id": ids.slice(first, len(digests)),
                    "line": pa.array(np.arange(first + 2, first + 2 + len(digests),
                                               dtype=np.int32)),  # line 1 is the header
                    "row_sha256": pa.array(digests, pa.string()),
                }))
                for whole, part in zip(parts, _member_parts(
                        week_rows.case_ids[first:first + len(digests)], digests)):
                    whole.append(part)

            rendered = render(week_rows.chosen, week_rows.people, week_rows.order, layout,
                              target_dir / f"pantau-{layout.name}-{iso.label}.csv", record)
            staged = rendered.staged
            week_rows.evidence.result()  # a case whose evidence does not verify stops it here
            return _record(store, week_rows, layout, target_dir, rendered, prev, revision,
                           parts, created_by=created_by, settings=settings, now=now)
    except _Unchanged as same:
        return same.result
    finally:
        if staged is not None:
            staged.unlink(missing_ok=True)  # when it was not moved into place


def _record(store: Store, week_rows: WeekRows, layout: Recipient, target_dir: Path,
            rendered: Rendered, prev: dict[str, Any] | None, revision: int,
            parts: tuple[list[str], list[str]], *,
            created_by: str | None, settings: Settings, now: datetime | None) -> ExportResult:
    """Name the rendered file (the new revision, or the unchanged previous one: then
    `_Unchanged` rolls back), move it into place, write its manifest and record it."""
    iso, audit, ids, sha = week_rows.iso, week_rows.audit, week_rows.case_ids, rendered.sha256
    if prev is not None and prev["csv_sha256"] == sha:
        # Nothing changed: the same bytes, the same manifest; restore them if they are gone.
        csv_path = target_dir / prev["file"]
        manifest_path = csv_path.with_name(csv_path.name.removesuffix(".csv") + ".manifest.json")
        if _file_sha256(csv_path) != sha:
            move_into_place(rendered.staged, csv_path, what="export file")
        _ensure_file(manifest_path, b"".join(_stored_manifest(store, prev)))
        raise _Unchanged(ExportResult(
            prev["export_id"], iso.label, layout.name, csv_path, manifest_path, sha, len(ids),
            prev["revision"], "unchanged", ids))

    model_versions = set(pc.unique(week_rows.chosen.column("model_version")).to_pylist())
    stem = f"pantau-{layout.name}-{iso.label}" + (f"-r{revision}" if revision > 1 else "")
    csv_path = target_dir / f"{stem}.csv"
    manifest_path = target_dir / f"{stem}.manifest.json"
    export_id = f"{layout.name}-{iso.label}-r{revision}"
    changes = None
    added: list[str] = []
    removed: list[str] = []
    changed: list[str] = []
    if prev is not None:
        before_ids, before_digests = _previous_lines(store, prev["export_id"])
        before = dict(zip(before_ids, before_digests))
        digests = dict(zip(ids, rendered.row_sha256))
        added = [c for c in ids if c not in before]
        removed = sorted(c for c in before if c not in digests)
        comparable = prev["format"] == MANIFEST_FORMAT
        changed = [c for c in ids if c in before and before[c] != digests[c]] if comparable else []
        changes = {
            "previous_export_id": prev["export_id"], "previous_file": prev["file"],
            "previous_csv_sha256": prev["csv_sha256"],
            "added": added, "removed": removed, "changed": changed if comparable else None,
        }
        if not comparable:
            changes["changed_unknown"] = (
                f"the previous revision is {prev['format']}, whose row digests are computed "
                "differently: rows kept from it cannot be compared")
    created_at = to_utc(now or utcnow())
    manifest = {
        "format": MANIFEST_FORMAT,
        "export_id": export_id,
        "week": iso.label,
        "recipient": layout.name,
        "recipient_title": layout.title,
        "layout": {"name": f"{layout.name}.toml", "sha256": layout.sha256},
        "file": csv_path.name,
        "revision": revision,
        "row_count": len(ids),
        "csv_sha256": sha,
        "filters": {
            "verdict": "confirmed (human decision)",
            "confirmed_from": iso.start.astimezone(WIB).isoformat(),
            "confirmed_until": iso.end.astimezone(WIB).isoformat(),
            "four_eyes": settings.review.four_eyes,
        },
        "pantau_version": __version__,
        "model_versions": sorted(model_versions, key=lambda v: (v is None, v or "")),
        "audit_head": {"seq": audit.head_seq, "hash": audit.head_hash},
        "created_at": created_at.isoformat(),
        "created_by": created_by or _whoami(),
        "changes": changes,
    }
    head = json.dumps(manifest, ensure_ascii=False, indent=2)
    if not store.upsert("exports", [{
        "export_id": export_id, "week": iso.label, "recipient": layout.name,
        "path": str(csv_path), "sha256": sha, "row_count": len(ids), "manifest": head,
        "created_by": manifest["created_by"], "created_at": created_at,
    }], key=["export_id"]):
        raise ReviewError(f"export {export_id} was recorded by another run meanwhile; "
                          "run the export again")
    # Each file whole or not at all (temp file, fsync, rename); a full disk is a WriteError.
    move_into_place(rendered.staged, csv_path, what="export file")
    manifest_file = _manifest_file(head, *parts)
    move_into_place(write_synced(manifest_path, manifest_file, what="export file", direct=True),
                    manifest_path, what="export file")
    return ExportResult(export_id, iso.label, layout.name, csv_path, manifest_path, sha,
                        len(ids), revision, "revised" if prev else "new", ids, added, removed,
                        changed)


def _manifest_file(head: str, ids_parts: list[str], digests_parts: list[str]) -> list[bytes]:
    """The manifest file, as byte chunks: `head` (the manifest without its per-row members,
    as JSON indented for people, which the store keeps), then one line each for ``case_ids``
    (the cases in file order) and ``row_sha256`` (case id -> digest of its line), from the
    `_member_parts` of consecutive runs of rows."""
    start = head.rstrip()[:-1].rstrip()   # without its closing brace
    ids = ", ".join(p for p in ids_parts if p)
    digests = ", ".join(p for p in digests_parts if p)
    return [f'{start},\n  "case_ids": ['.encode("utf-8"), ids.encode("utf-8"),
            b'],\n  "row_sha256": {', digests.encode("utf-8"), b"}\n}\n"]


def _member_parts(case_ids: list[str], row_sha256: list[str | None]) -> tuple[str, str]:
    """The inside of the manifest's ``case_ids`` list and ``row_sha256`` object for these rows
    (as json.dumps writes them, without the brackets): parts of runs of rows join with ", ".

    Joined as text when no id needs escaping in JSON (ids are pantau's own hex; the digests
    are hex): for 1M rows the indenting encoder takes ~10 s, the compact one ~1.2 s, the join
    ~0.3 s, spread over the batches as they are recorded."""
    if not case_ids:
        return "", ""
    if _JSON_ESCAPED.search("".join(case_ids)):
        return (json.dumps(case_ids, ensure_ascii=False)[1:-1],
                json.dumps(dict(zip(case_ids, row_sha256)), ensure_ascii=False)[1:-1])
    return ('"' + '", "'.join(case_ids) + '"',
            '"' + '", "'.join(map('": "'.join, zip(case_ids, row_sha256))) + '"')


# What json.dumps(ensure_ascii=False) would not write as it is.
_JSON_ESCAPED = re.compile(r'["\\\x00-\x1f]')


def export_all(
    store: Store,
    week: str,
    recipients: list[str] | None = None,
    out_dir: str | Path | None = None,
    *,
    created_by: str | None = None,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> list[ExportResult]:
    """`export_week` for each recipient (default: ``settings.export.recipients``).

    The week's cases are selected, and the audit chain and evidence verified, once for all
    recipients. File names carry the recipient, so one `out_dir` can take them all.
    """
    settings = settings or get_settings()
    names = recipients or settings.export.recipients
    if not names:
        raise ConfigError("no recipients configured (export.recipients) and none given")
    layouts = [load_recipient(name, settings) for name in names]
    with ThreadPoolExecutor(max_workers=1) as pool:
        week_rows = select_week(store, week, settings, now, pool)  # checked once for all
        try:
            return [_write_week(store, week_rows, layout, out_dir, created_by=created_by,
                                settings=settings, now=now) for layout in layouts]
        finally:
            week_rows.evidence.cancel()  # not needed any more if a file failed first


def _whoami() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return "unknown"
