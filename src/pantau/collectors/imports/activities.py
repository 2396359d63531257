"""Activities from CSV/JSONL exports of platforms without a free API (X, Instagram, TikTok, ...).

    with Store.open() as store:
        report = import_activities(store, "tweets.csv", platform="x",
                                   mapping="config/mappings/x-generic.toml")

Same rules as the registry imports: all-or-nothing (any bad row raises `ImportRejected`
naming every bad line and column) unless ``skip_invalid=True``, which imports the good rows
and writes the bad ones, with reasons, to a rejects CSV beside the input. The export file is
archived as evidence and every activity points at it; importing the same file again writes
nothing new (ids are stable: platform + native id, or platform + type + actor + target).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import InputError, RowProblem
from ...importing import Problems, finish_checks, write_rejects
from ...records import Activity, ActivityType, Media, Source
from ...registry import normalise_handle, normalise_platform
from ...store import Store
from ...tabular import Row, TableFile, read_table
from ...timeutil import utcnow
from .common import file_evidence, handle_or_raw, parse_time, write
from .mapping import FIELDS, Mapping, identity_mapping, load_mapping

_TYPES = {t.value for t in ActivityType}
_NEEDS_OWN_ID = {ActivityType.POST.value, ActivityType.COMMENT.value, ActivityType.QUOTE.value}
_NEEDS_TARGET = {ActivityType.LIKE.value, ActivityType.FOLLOW.value}


@dataclass(slots=True)
class ActivityImportReport:
    file: Path
    platform: str
    rows_read: int = 0
    new: int = 0                      # activities not in the store before
    unchanged: int = 0                # already imported (same stable id)
    duplicates: int = 0               # rows repeating an id earlier in the file, imported once
    rejected: int = 0                 # bad rows (only non-zero with skip_invalid)
    problems: list[RowProblem] = field(default_factory=list)
    rejects_path: Path | None = None
    evidence_id: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.new


def _columns(table: TableFile, mapping: Mapping) -> dict[str, str]:
    """Our field -> the file's column, checked against the header."""
    if mapping.path is None:  # identity: whatever the file has
        return {f: c for f, c in mapping.columns.items() if c in table.headers}
    missing = [f"{c!r} (for {f})" for f, c in mapping.columns.items() if c not in table.headers]
    if missing:
        found = ", ".join(repr(h) for h in table.original_headers if h) or "none"
        raise InputError(
            f"mapping {mapping.path} names column(s) not in the file: {', '.join(missing)} "
            f"(header has {found})", file=table.path)
    return dict(mapping.columns)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _media(value: str, separator: str | None) -> list[Media]:
    parts = value.split(separator) if separator else value.replace(",", " ").split()
    urls = [p.strip() for p in parts if p.strip()]
    bad = [u for u in urls if not u.startswith(("http://", "https://"))]
    if bad:
        raise ValueError(f"{bad[0]!r} is not an http(s) URL")
    return [Media(url=u, kind="photo" if _looks_like_image(u) else "other") for u in urls]


def _looks_like_image(url: str) -> bool:
    return url.lower().split("?")[0].endswith((".jpg", ".jpeg", ".png", ".webp", ".gif"))


def _row_activity(
    row: Row, cols: dict[str, str], mapping: Mapping, platform: str, problems: Problems,
    extra_columns: list[str],
) -> Activity | None:
    get = {f: _text(row.values.get(c)) for f, c in cols.items()}
    line = row.line
    before = len(problems.by_line.get(line, []))

    def bad(fld: str, reason: str) -> None:
        problems.add(line, cols.get(fld, fld), reason)

    actor_handle = None
    actor_id = get.get("actor_id") or None
    if get.get("actor_handle"):
        try:
            actor_handle = normalise_handle(platform, get["actor_handle"])
        except ValueError as exc:
            bad("actor_handle", str(exc))
    elif not actor_id:
        bad("actor_handle" if "actor_handle" in cols else "actor_id",
            "no actor: the handle (or platform id) of who did it is empty")

    raw_type = get.get("type", "")
    kind = mapping.types.get(raw_type.lower()) or (raw_type.lower() if raw_type.lower() in _TYPES
                                                   else None)
    if raw_type and kind is None:
        bad("type", f"unknown activity type {raw_type!r} (map it under [types]; ours are "
                    f"{', '.join(sorted(_TYPES))})")
    if not raw_type:
        if get.get("forwarded_from"):
            kind = ActivityType.SHARE.value
        elif get.get("reply_to"):
            kind = ActivityType.COMMENT.value
        else:
            kind = mapping.default_type

    created = None
    if not get.get("created_at"):
        bad("created_at", "the time of the act is empty")
    else:
        try:
            created = parse_time(get["created_at"], fmt=mapping.time_format, tz=mapping.timezone)
        except ValueError as exc:
            bad("created_at", str(exc))

    url = get.get("url") or None
    if url and not url.startswith(("http://", "https://")):
        bad("url", f"{url!r} is not an http(s) URL")
    native_id = get.get("native_id") or None
    if kind in _NEEDS_OWN_ID and not native_id:
        native_id = url  # the post's URL is as unique as its id
        if not native_id:
            bad("native_id", f"a {kind} needs its id or its URL to be told apart")
    target_id = get.get("target_id") or None
    if kind in _NEEDS_TARGET and not target_id:
        bad("target_id", f"a {kind} needs the liked post or followed account (target_id)")

    media: list[Media] = []
    if get.get("media_urls"):
        try:
            media = _media(get["media_urls"], mapping.media_separator)
        except ValueError as exc:
            bad("media_urls", str(exc))

    if len(problems.by_line.get(line, [])) > before:
        return None
    forwarded = get.get("forwarded_from") or None
    target_author = get.get("target_author_handle") or None
    extra: dict[str, Any] = {"import_line": line}
    export = {c: row.values[c] for c in extra_columns if _text(row.values.get(c))}
    if export:
        extra["export"] = export  # the export's other columns, kept as given
    return Activity(
        platform=platform,
        type=kind or mapping.default_type,
        actor_id=actor_id,
        actor_handle=actor_handle,
        native_id=native_id,
        target_id=target_id,
        target_author_handle=handle_or_raw(platform, target_author) if target_author else None,
        text=get.get("text", ""),
        created_at=created,
        url=url,
        reply_to=get.get("reply_to") or None,
        forwarded_from=handle_or_raw(platform, forwarded) if forwarded else None,
        media=media,
        media_count=len(media),
        source=Source.IMPORT.value,
        extra=extra,
    )


def import_activities(
    store: Store,
    path: str | Path,
    *,
    platform: str | None,
    mapping: str | Path | Mapping | None = None,
    encoding: str | None = None,
    skip_invalid: bool = False,
    rejects_path: str | Path | None = None,
) -> ActivityImportReport:
    """Import an export (CSV, XLSX or JSONL) as activities with ``source="import"``."""
    path = Path(path)
    if isinstance(mapping, Mapping):
        the_mapping = mapping
    else:
        the_mapping = load_mapping(mapping) if mapping is not None else identity_mapping()
    name = platform or the_mapping.platform
    if not name:
        raise InputError("name the platform (--platform x, instagram, tiktok, ...)", file=path)
    try:
        platform = normalise_platform(name)
    except ValueError as exc:
        raise InputError(str(exc), file=path) from None
    table = read_table(path, encoding=encoding)
    cols = _columns(table, the_mapping)
    if "actor_handle" not in cols and "actor_id" not in cols:
        raise InputError("no actor column: map actor_handle (or actor_id) to the export's "
                         "column of who did it", file=path)
    used = set(cols.values())
    extra_columns = [h for h in table.headers if h and h not in used]

    report = ActivityImportReport(file=path, platform=platform, rows_read=len(table.rows),
                                  warnings=list(table.warnings))
    problems = Problems()
    now = utcnow()
    good: dict[str, Activity] = {}
    for row in table.rows:
        activity = _row_activity(row, cols, the_mapping, platform, problems, extra_columns)
        if activity is None:
            continue
        activity.observed_at = now
        if activity.id in good:
            report.duplicates += 1
            continue
        good[activity.id] = activity
    finish_checks(problems, report, file=path, skip_invalid=skip_invalid)

    if good:
        evidence = file_evidence(store, path, platform)
        report.evidence_id = evidence.sha256
        for activity in good.values():
            activity.evidence_id = evidence.sha256
            activity.extra["import_file"] = path.name
        report.new = write(store, [evidence], list(good.values()))
        report.unchanged = len(good) - report.new
    if skip_invalid:
        report.rejects_path = write_rejects(table, problems, rejects_path)
    return report


__all__ = ["FIELDS", "ActivityImportReport", "import_activities"]
