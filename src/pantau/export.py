"""The weekly export: human-confirmed cases, one Excel-safe CSV per recipient, with a manifest.

    from pantau.export import export_week
    result = export_week(store, "2024-W47", "bkn")     # -> PANTAU_HOME/exports/bkn/...

What goes in: the cases *confirmed during* the ISO week (Monday 00:00 – Sunday 24:00,
Asia/Jakarta), whatever the date of the act. "Confirmed during the week" is the decision that
made the case exportable (`review.case_state`: its latest decision is `confirmed`, and in
four-eyes mode the second reviewer's confirmation), so each confirmed case belongs to exactly
one weekly file and a late confirmation of an old act lands in the week it was decided.
Unreviewed, dismissed and needs-more-info cases never go out. Re-running an old week reflects
today's decisions: a case dismissed since drops out, and the manifest says so.

The file: UTF-8 with BOM (Excel detects the encoding), every cell quoted, CRLF line ends
(RFC 4180, what Excel writes itself), the recipient's delimiter. Cells are made inert for
spreadsheets: text that would start with ``= + - @`` (also after leading spaces or quotes, and
the full-width forms) or with a tab/CR gets a leading ``'``; control characters are dropped,
line breaks become spaces, and bidirectional overrides (U+202A–202E, U+2066–2069) are shown
as ``[U+202E]`` so reordered text cannot disguise a cell. Post text goes out as an excerpt.

Reproducible: the same week and recipient give byte-identical files until a decision that
affects the week changes. Then a new revision is written beside the old one
(``pantau-bkn-2024-W47-r2.csv``) and its manifest lists the case ids added, removed and
changed. Files are written to a temporary name and renamed, and recorded in ``exports`` and
``export_rows`` (which case went to whom in which file).

Recipients are TOML layouts: shipped in ``pantau/recipients/`` (bkn, kasn, bawaslu) and any
``<name>.toml`` in ``settings.export.recipients_dir`` (which wins over a shipped one).
"""

from __future__ import annotations

import functools
import getpass
import hashlib
import json
import os
import re
import tomllib
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import __version__
from .config import Settings, get_settings
from .errors import ConfigError, EvidenceError, ReviewError
from .csvsafe import _re2_class, blanks, render_csv, safe_cell, safe_column  # safe_cell: re-exported
from .fsutil import move_into_place, private_dir, write_atomic, write_synced
from . import evidence as evidence_archive, review_sql
from .review import (
    AuditReport, CaseState, _person_key, cases_sql, check_evidence, excerpt, verify_audit,
)
from .rules_table import RULES
from .store import Store
from .timeutil import WIB, to_utc, utcnow

# 2: row_sha256 is the SHA-256 of each data line as the file holds it (was: of the cells
# joined by U+001F), so a line can be checked against the manifest on its own.
MANIFEST_FORMAT = "pantau-export/2"

# Every column a recipient layout may choose: field name -> what it holds.
FIELDS: dict[str, str] = {
    "case_id": "case id (stable across model versions)",
    "nip": "NIP, 18 digits",
    "nama": "name",
    "jabatan": "position",
    "golongan": "rank (pangkat/golongan)",
    "instansi": "agency",
    "unit_kerja": "work unit",
    "wilayah": "region",
    "platform": "platform (telegram, bluesky, ...)",
    "account": "the account that acted, as the platform writes it",
    "activity_type": "post | comment | share | quote | like | follow",
    "activity_type_id": "the same in Indonesian (unggahan, komentar, ...)",
    "acted_at": "time of the act, in the layout's time zone and date format",
    "url": "link to the act",
    "target": "what was liked, shared or followed, with its author",
    "excerpt": "the post's text, cut to the layout's excerpt_chars",
    "rule": "rule code (KE-02, DS-06, ...)",
    "rule_description": "rule description in Indonesian (SKB 2022 Lampiran II)",
    "rule_description_en": "rule description in English",
    "sanction": "sanction the rule carries (Indonesian)",
    "legal_source": "legal source of the rule",
    "stage": "bakal_calon | calon",
    "stage_id": "tahapan in Indonesian (bakal calon / calon)",
    "candidate": "candidate number and names",
    "election": "election name",
    "evidence_sha256": "SHA-256 of the archived raw response (pantau evidence show <hash>)",
    "reviewers": "reviewers of the standing confirmation, '; '-separated",
    "notes": "their notes",
    "decided_at": "time of the decision that made the case exportable",
    "confidence": "classifier confidence (0-1)",
    "model_version": "classifier model version of the shown flag",
}

ACTIVITY_ID = {
    "post": "unggahan", "comment": "komentar", "share": "bagikan ulang", "quote": "kutipan",
    "like": "suka", "follow": "mengikuti",
}
STAGE_ID = {"bakal_calon": "bakal calon", "calon": "calon"}


# --- recipients ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    field: str
    header: str


@dataclass(frozen=True, slots=True)
class Recipient:
    name: str
    title: str
    columns: tuple[Column, ...]
    delimiter: str = ","
    date_format: str = "%Y-%m-%d %H:%M"
    timezone: str = "Asia/Jakarta"
    excerpt_chars: int = 280
    source: str = ""               # the layout file
    sha256: str = ""               # of the layout text, recorded in manifests

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


_RECIPIENT_KEYS = {"name", "title", "delimiter", "date_format", "timezone", "excerpt_chars"}


def recipient_files(settings: Settings | None = None) -> dict[str, Path | Any]:
    """name -> layout file, the configured directory's files winning over the shipped ones."""
    settings = settings or get_settings()
    found: dict[str, Any] = {}
    for entry in resources.files("pantau.recipients").iterdir():
        if entry.name.endswith(".toml"):
            found[entry.name.removesuffix(".toml")] = entry
    extra = settings.export.recipients_dir
    if extra is not None:
        if not Path(extra).is_dir():
            raise ConfigError(f"export.recipients_dir {extra}: not a directory")
        for path in sorted(Path(extra).glob("*.toml")):
            found[path.stem] = path
    return found


def _line_of(text: str, key: str) -> int | None:
    match = re.search(rf"^\s*{re.escape(key)}\s*=", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _layout_error(source: str, text: str, key: str, reason: str) -> ConfigError:
    line = _line_of(text, key.split(".")[-1].split("[")[0])
    where = f"{source}, line {line}" if line else source
    return ConfigError(f"{where}: key {key!r}: {reason}")


def parse_recipient(text: str, source: str) -> Recipient:
    """Validate a layout; every error names the file, the line where known, and the key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    for key in data:
        if key not in {"recipient", "columns"}:
            raise _layout_error(source, text, key, "unknown key (expected [recipient], [[columns]])")
    head = data.get("recipient")
    if not isinstance(head, dict):
        raise ConfigError(f"{source}: missing the [recipient] table")
    for key in head:
        if key not in _RECIPIENT_KEYS:
            raise _layout_error(source, text, f"recipient.{key}", "unknown key (check the spelling)")
    name = head.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
        raise _layout_error(source, text, "recipient.name",
                            "needs a lower-case name (letters, digits, - and _)")
    delimiter = head.get("delimiter", ",")
    if delimiter not in {",", ";", "\t", "|"}:
        raise _layout_error(source, text, "recipient.delimiter", "one of ',', ';', '\\t', '|'")
    tz = head.get("timezone", "Asia/Jakarta")
    try:
        ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError):
        raise _layout_error(source, text, "recipient.timezone", f"unknown time zone {tz!r}") from None
    fmt = head.get("date_format", "%Y-%m-%d %H:%M")
    if not isinstance(fmt, str) or "%" not in fmt:
        raise _layout_error(source, text, "recipient.date_format", "a strftime format such as '%d-%m-%Y %H:%M'")
    chars = head.get("excerpt_chars", 280)
    if not isinstance(chars, int) or not 20 <= chars <= 5000:
        raise _layout_error(source, text, "recipient.excerpt_chars", "a whole number from 20 to 5000")
    raw_columns = data.get("columns")
    if not isinstance(raw_columns, list) or not raw_columns:
        raise ConfigError(f"{source}: needs at least one [[columns]] entry")
    columns: list[Column] = []
    for i, col in enumerate(raw_columns):
        where = f"columns[{i}]"
        unknown = set(col) - {"field", "header"}
        if unknown:
            raise _layout_error(source, text, f"{where}.{sorted(unknown)[0]}", "unknown key")
        fld, header = col.get("field"), col.get("header")
        if fld not in FIELDS:
            raise ConfigError(
                f"{source}: key '{where}.field': unknown field {fld!r} "
                f"(available: {', '.join(FIELDS)})"
            )
        if not isinstance(header, str) or not header.strip():
            raise ConfigError(f"{source}: key '{where}.header': needs a non-empty header")
        columns.append(Column(fld, header.strip()))
    headers = [c.header for c in columns]
    if len(set(headers)) != len(headers):
        raise ConfigError(f"{source}: two columns share a header")
    return Recipient(
        name=name, title=str(head.get("title", name)), columns=tuple(columns),
        delimiter=delimiter, date_format=fmt, timezone=str(tz), excerpt_chars=chars,
        source=source, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def load_recipient(name: str, settings: Settings | None = None) -> Recipient:
    """The layout called `name` (shipped, or from ``export.recipients_dir``)."""
    files = recipient_files(settings)
    entry = files.get(name.strip().lower())
    if entry is None:
        raise ReviewError(f"unknown recipient {name!r} (known: {', '.join(sorted(files))})")
    recipient = parse_recipient(entry.read_text(encoding="utf-8"), str(entry))
    if recipient.name != entry.name.removesuffix(".toml"):
        raise ConfigError(f"{entry}: recipient.name {recipient.name!r} differs from the file name")
    return recipient


# --- weeks -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IsoWeek:
    label: str                       # 2024-W47
    start: datetime                  # Monday 00:00 WIB, as UTC
    end: datetime                    # the next Monday 00:00 WIB, as UTC (exclusive)


def parse_week(text: str, *, now: datetime | None = None) -> IsoWeek:
    """``2024-W47`` (also ``2024W47``, ``2024-w47``), or ``last``/``this`` relative to `now`."""
    value = str(text or "").strip().lower()
    if value in {"last", "this"}:
        today = to_utc(now or utcnow()).astimezone(WIB).date()
        if value == "last":
            today -= timedelta(days=7)
        year, week, _ = today.isocalendar()
    else:
        match = re.fullmatch(r"(\d{4})-?w(\d{1,2})", value)
        if not match:
            raise ReviewError(f"week {text!r}: write it as an ISO week like 2024-W47, or 'last'")
        year, week = int(match[1]), int(match[2])
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ReviewError(f"week {text!r}: {year} has no ISO week {week}") from None
    start = datetime.combine(monday, datetime.min.time(), tzinfo=WIB)
    return IsoWeek(f"{year}-W{week:02d}", to_utc(start), to_utc(start + timedelta(days=7)))


# --- the export ------------------------------------------------------------------------------


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


def _fmt_time(value: Any, recipient: Recipient) -> str:
    if value is None or pd.isna(value):
        return ""
    return to_utc(value).astimezone(recipient.tz).strftime(recipient.date_format)


def _field_values(row: dict[str, Any], state: CaseState, notes: str, recipient: Recipient) -> dict[str, Any]:
    rule = RULES.get(row["rule"])
    candidate = ""
    if row["candidate"] is not None and not pd.isna(row["candidate"]):
        candidate = f"{int(row['candidate']):02d} {row['candidate_names'] or ''}".strip()
    target = row["target_id"] or ""
    if row["target_author_handle"]:
        target = f"{target} (@{row['target_author_handle']})".strip()
    return {
        "case_id": row["case_id"],
        "nip": row["nip"],
        "nama": row["nama"],
        "jabatan": row["jabatan"],
        "golongan": row["golongan"],
        "instansi": row["instansi"],
        "unit_kerja": row["unit_kerja"],
        "wilayah": row["wilayah"],
        "platform": row["platform"],
        "account": row["actor_handle"],
        "activity_type": row["activity_type"],
        "activity_type_id": ACTIVITY_ID.get(row["activity_type"] or "", row["activity_type"]),
        "acted_at": _fmt_time(row["acted_at"], recipient),
        "url": row["url"],
        "target": target,
        "excerpt": excerpt(row["text"], recipient.excerpt_chars),
        "rule": row["rule"],
        "rule_description": rule.description_id if rule else "",
        "rule_description_en": rule.description_en if rule else "",
        "sanction": rule.sanction_id if rule else "",
        "legal_source": rule.legal_source if rule else "",
        "stage": row["stage"],
        "stage_id": STAGE_ID.get(row["stage"], row["stage"]),
        "candidate": candidate,
        "election": row["election_name"] or row["election_id"],
        "evidence_sha256": row["evidence_id"],
        "reviewers": "; ".join(state.confirmed_by),
        "notes": notes,
        "decided_at": _fmt_time(state.exportable_at, recipient),
        "confidence": f"{float(row['confidence']):.2f}",
        "model_version": row["model_version"],
    }


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

    Read with DuckDB's JSON functions: a manifest of a million rows is ~150 MB of JSON, and
    only these fields are needed unless the file changed (then `_previous_lines`)."""
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


def _chosen(store: Store, week: IsoWeek, four_eyes: bool) -> pa.Table:
    """Every case made exportable during the week, with everything its row shows: one
    query, one Arrow table, in no particular order (`_export_order` gives the file's).

    A case made exportable in the week has a decision in the week, so only those cases'
    histories are worked out (`review_sql.states_sql`, the rules of `review.case_state`)."""
    touched = ("s.case_id IN (SELECT case_id FROM decisions "
               "WHERE decided_at >= $start AND decided_at < $end)")
    in_chosen = "case_id IN (SELECT case_id FROM chosen)"
    sql = review_sql.states_sql(touched, four_eyes) + f""",
chosen AS (
    SELECT * FROM states
    WHERE exportable_seq IS NOT NULL AND exportable_at >= $start AND exportable_at < $end
)
SELECT st.case_id, st.exportable_seq, st.exportable_at AS decided_at,
       array_to_string(st.confirmed_by, '; ') AS reviewers, st.notes,
       c.election_id, c.election_name, c.rule, c.stage, c.confidence, c.model_version,
       c.platform, c.activity_type, c.actor_handle, c.text, c.url, c.target_id, c.acted_at,
       c.evidence_id, c.nip,
       -- `_field_values`' formatting, finished per distinct value in `_field_cells`
       CASE WHEN c.candidate IS NOT NULL THEN
            CASE WHEN c.candidate BETWEEN 0 AND 9 THEN '0' ELSE '' END
            || CAST(c.candidate AS VARCHAR) || ' ' || coalesce(c.candidate_names, '')
       END AS candidate_text,
       CASE WHEN coalesce(c.target_author_handle, '') <> '' THEN
            coalesce(c.target_id, '') || ' (@' || c.target_author_handle || ')'
       END AS target_with_handle
FROM chosen st LEFT JOIN ({cases_sql(decisions=False, flags_where=in_chosen)}) c
     ON c.case_id = st.case_id"""
    with review_sql.person_keys(store, _person_key):
        return store.arrow(sql, {"start": week.start, "end": week.end})


# The registry's fields of the ASN, and where the export's evidence lies: looked up once per
# person or file (a person has many cases, a page many acts), not carried on every row.
PERSON_FIELDS = ("nip", "nama", "jabatan", "golongan", "instansi", "unit_kerja", "wilayah")


def _lookup(store: Store, keys: pa.Array, sql: str) -> pa.Table:
    """`sql` (a query over ``keys(key)``) for the distinct non-null `keys`."""
    view = "_pantau_export_keys"
    store.con.register(view, pa.table({"key": pc.unique(keys.drop_null())}))
    try:
        return store.arrow(sql.replace("keys", view))
    finally:
        store.con.unregister(view)


def _people(store: Store, chosen: pa.Table) -> tuple[pa.Table, pa.Table]:
    """`chosen` with ``person_row`` (its ASN's row in the second table, null when not linked),
    and the `PERSON_FIELDS` of those people as spreadsheet-safe cells, made safe once each."""
    people = _lookup(store, chosen.column("nip").combine_chunks(),
                     f"SELECT {', '.join(PERSON_FIELDS)} FROM asn WHERE nip IN "
                     "(SELECT key FROM keys)")
    rows = pc.index_in(chosen.column("nip"), people.column("nip"))
    cells = pa.table({f: safe_column(people.column(f)) for f in PERSON_FIELDS})
    return chosen.append_column("person_row", rows), cells


def _export_order(chosen: pa.Table) -> pa.Array:
    """Row positions in the order the cases were confirmed (ties by case id). The rows are
    taken in this order a batch at a time as the file is written: sorting the wide table
    itself, by DuckDB or Arrow, would copy all of it once more."""
    return pc.sort_indices(chosen, [("exportable_seq", "ascending"), ("case_id", "ascending")])


def _evidence_files(store: Store, chosen: pa.Table) -> pa.Table:
    """(sha256, path) of every archived response the cases point to (path null when the
    store has no evidence row for the hash)."""
    return _lookup(store, chosen.column("evidence_id").combine_chunks(),
                   "SELECT k.key AS sha256, e.path FROM keys k "
                   "LEFT JOIN evidence e ON e.sha256 = k.key")


def _check_evidence_files(home: Path, files: pa.Table, chosen: pa.Table,
                          order: pa.Array) -> None:
    """Re-hash each archived file once (one t.me/s page carries many acts); the first case
    (in export order) whose evidence does not verify stops the export, with the reason.

    One thread, run beside the rendering: for small files the per-file Python costs more
    than the hashing and threads only contend for the GIL; zlib and hashlib let the other
    threads run while a large file is hashed."""
    root = str(home)
    bad = {}
    for sha, path in zip(files.column("sha256").to_pylist(), files.column("path").to_pylist()):
        if not (path and evidence_archive.intact(root, sha, path)):
            check = check_evidence(home, sha, path)  # says why
            if check is not None and not check.verifies:
                bad[sha] = check
    if not bad:
        return
    in_order = chosen.select(["case_id", "evidence_id"]).take(order)
    for cid, ev in zip(*(in_order.column(c).to_pylist() for c in ("case_id", "evidence_id"))):
        if ev in bad:
            raise EvidenceError(f"case {cid}: evidence does not verify, not exported: "
                                f"{bad[ev].detail}")


def _per_distinct(values: pa.Array, fn: Any) -> pa.Array:
    """`fn` of every value as strings (None stays null where `fn(None)` is None), computed
    once per distinct value."""
    encoded = pc.dictionary_encode(values)
    mapped = pa.array([fn(v) for v in encoded.dictionary.to_pylist()], pa.string())
    out = pc.take(mapped, encoded.indices)
    if values.null_count and (for_none := fn(None)) is not None:
        out = pc.fill_null(out, for_none)
    return out


def _string(values: pa.Array) -> pa.Array:
    return values if pa.types.is_string(values.type) else pc.cast(values, pa.string())


_DATE_PARTS = {"Y": (pc.year, 4), "m": (pc.month, 2), "d": (pc.day, 2), "H": (pc.hour, 2),
               "M": (pc.minute, 2), "S": (pc.second, 2)}
_DATE_UNITS = {"Y": "year", "m": "month", "d": "day", "H": "hour", "M": "minute", "S": "second"}


def _times(stamps: pa.Array, recipient: Recipient) -> pa.Array:
    """`_fmt_time` of a column, formatted once per distinct value shown.

    Formats made of ``%Y %m %d %H %M %S %%`` and literal text: the local times are cut to
    the finest unit the format shows (a week has 10,080 minutes, whatever the rows) and
    those are assembled from Arrow's date parts (Arrow's own strftime costs ~1 µs a value).
    Any other format goes through Python, once per distinct time."""
    tokens = re.findall(r"%(.)|([^%]+)", recipient.date_format)
    shown = [d for d, _ in tokens if d and d != "%"]
    if not all(d in _DATE_PARTS for d in shown):
        return _per_distinct(stamps, lambda v: _fmt_time(v, recipient))
    local = pc.local_timestamp(pc.cast(pc.cast(stamps, pa.timestamp("us", tz="UTC")),
                                       pa.timestamp("us", tz=recipient.timezone)))
    finest = max(shown, key=list(_DATE_UNITS).index, default="Y")
    encoded = pc.dictionary_encode(pc.floor_temporal(local, unit=_DATE_UNITS[finest]))
    distinct = encoded.dictionary
    parts: list[Any] = []
    for directive, literal in tokens:
        if literal or directive == "%":
            parts.append(literal or "%")
        else:
            part, width = _DATE_PARTS[directive]
            parts.append(pc.utf8_lpad(pc.cast(part(distinct), pa.string()), width, "0"))
    if not any(isinstance(p, pa.Array) for p in parts):
        parts.append(pa.array([""] * len(distinct), pa.string()))  # no directive
    text = pc.binary_join_element_wise(*parts, "")
    return pc.fill_null(pc.take(text, encoded.indices), "")


def _excerpts(values: pa.Array, limit: int) -> pa.Array:
    """`excerpt` of every text: texts already flat and short enough pass as they are."""
    values = _string(values)
    fast = pc.fill_null(pc.and_(
        pc.match_substring_regex(values, _flat_pattern()),
        pc.less_equal(pc.utf8_length(values), limit)), False)
    if pc.all(fast).as_py():
        return values
    out = values.to_pylist()
    for i in pc.indices_nonzero(pc.invert(fast)).to_pylist():
        out[i] = excerpt(out[i], limit)
    return pa.array(out, pa.string())


@functools.cache
def _flat_pattern() -> str:
    """RE2 pattern of a text `excerpt` leaves flat as it is: words (no blank in the sense of
    `str.split`, which is wider than RE2's ``\\s``) separated by single spaces."""
    return f"^(?:[^{_re2_class(blanks())}]+(?: [^{_re2_class(blanks())}]+)*)?$"


_DIRECT = {"case_id": "case_id", "platform": "platform", "account": "actor_handle",
           "activity_type": "activity_type", "url": "url", "rule": "rule", "stage": "stage",
           "evidence_sha256": "evidence_id", "model_version": "model_version",
           "reviewers": "reviewers", "notes": "notes"}
_RULE_ATTR = {"rule_description": "description_id", "rule_description_en": "description_en",
              "sanction": "sanction_id", "legal_source": "legal_source"}


def _field_cells(chosen: pa.Table, name: str, recipient: Recipient,
                 people: pa.Table) -> pa.Array:
    """One layout field for every row as the file's cells: `safe_cell` of what `_field_values`
    gives for one row. Fields with few distinct values are formatted and made safe once per
    value, a person's from `people` (`_people`); the others are made safe a column at a
    time (`safe_column`)."""
    col = chosen.column
    if name in PERSON_FIELDS:
        return pc.fill_null(people.column(name).take(col("person_row")), "").combine_chunks()

    def per_value(source: str, fn: Any) -> pa.Array:
        return _per_distinct(col(source).combine_chunks(), lambda v: safe_cell(fn(v)))

    if name in _DIRECT:
        return safe_column(_string(col(_DIRECT[name]).combine_chunks()))
    if name == "activity_type_id":
        return per_value("activity_type", lambda t: ACTIVITY_ID.get(t or "", t))
    if name == "stage_id":
        return per_value("stage", lambda t: STAGE_ID.get(t, t))
    if name in _RULE_ATTR:
        attr = _RULE_ATTR[name]
        return per_value("rule", lambda r: getattr(RULES[r], attr) if r in RULES else "")
    if name in {"acted_at", "decided_at"}:
        return safe_column(_times(col(name).combine_chunks(), recipient))
    if name == "excerpt":
        return safe_column(_excerpts(col("text").combine_chunks(), recipient.excerpt_chars))
    if name == "candidate":
        return per_value("candidate_text", lambda t: (t or "").strip())
    if name == "target":
        # f"{target} (@{handle})".strip() when there is a handle, else the target as it is
        with_handle = _per_distinct(col("target_with_handle").combine_chunks(),
                                    lambda t: t.strip() if t is not None else None)
        return safe_column(pc.if_else(pc.is_null(with_handle),
                                      col("target_id").combine_chunks(), with_handle))
    if name == "election":
        return safe_column(pc.coalesce(
            pc.if_else(pc.equal(col("election_name"), ""), None, col("election_name")),
            col("election_id")).combine_chunks())
    if name == "confidence":
        return per_value("confidence", lambda c: f"{float(c):.2f}" if c is not None else "")
    raise ConfigError(f"export field {name!r} has no definition")  # FIELDS and this differ


BATCH_ROWS = 16_384
_AHEAD = 4   # batches rendered ahead of the writer: bounds memory to a few batches


def _lines(cells: list[pa.Array], delimiter: str) -> pa.Array:
    """Each row as the file holds it: every cell quoted with its quotes doubled, `delimiter`
    between cells, CRLF at the end (what `render_csv` writes). The cells are already safe,
    so none is null and no line break is left inside a cell: one row, one line."""
    return _joined([pc.replace_substring(c, '"', '""') if _may_hold_quote(c) else c
                    for c in cells], delimiter)


def _may_hold_quote(cells: pa.Array) -> bool:
    """Whether the bytes behind `cells` hold a quote: one memchr-speed scan of the column's
    data buffer (a match kernel works value by value and costs ten times more)."""
    data = cells.buffers()[2]
    return data is not None and data.to_pybytes().find(b'"') >= 0


def _joined(cells: list[pa.Array], delimiter: str) -> pa.Array:
    quoted = list(cells)
    quoted[0] = pc.binary_join_element_wise('"', quoted[0], "")
    quoted[-1] = pc.binary_join_element_wise(quoted[-1], '"\r\n', "")
    return pc.binary_join_element_wise(*quoted, f'"{delimiter}"')


def _batch_lines(chosen: pa.Table, rows: pa.Array, layout: Recipient,
                 people: pa.Table) -> pa.Array:
    part = chosen.take(rows)
    return _lines([_field_cells(part, c.field, layout, people) for c in layout.columns],
                  layout.delimiter)


@dataclass(slots=True)
class _Rendered:
    staged: Path                     # the file, complete and synced, under a temporary name
    sha256: str
    row_sha256: list[str]            # one per row, in file order


def _render(chosen: pa.Table, people: pa.Table, order: pa.Array, layout: Recipient,
            path: Path, record: Callable[[int, list[str]], None]) -> _Rendered:
    """Write the CSV (rows in `order`) to a temporary file beside `path`, with the SHA-256 of
    the file and of each data line (its bytes without the CRLF: what the manifest lists, so
    a recipient can check any line of the file on its own). ``record(first, digests)`` is
    called with each batch's position and line digests, in another thread.

    A batch of rows at a time, in four lanes: worker threads render the next batches with
    Arrow's kernels, one thread hashes the batch before, one records it, and this one writes
    it to disk. Each batch's memory is reused by the next instead of the whole file being
    built, copied and sorted at once."""
    file_sha = hashlib.sha256()
    hashed: list[Future[list[str]]] = []
    recorded: list[Future[None]] = []

    def chunks() -> Iterator[Any]:
        head = render_csv([c.header for c in layout.columns], [], layout.delimiter)
        file_sha.update(head)
        yield head
        workers = min(2, os.cpu_count() or 1)
        with ThreadPoolExecutor(max_workers=workers) as pool, \
                ThreadPoolExecutor(max_workers=1) as hasher, \
                ThreadPoolExecutor(max_workers=1) as recorder:  # one each: in order
            pending: deque[tuple[int, Future[pa.Array]]] = deque()
            for start in [*range(0, len(order), BATCH_ROWS), None]:
                if start is not None:
                    pending.append((start, pool.submit(
                        _batch_lines, chosen, order.slice(start, BATCH_ROWS), layout, people)))
                    if len(pending) < _AHEAD:
                        continue
                while pending and (start is None or len(pending) >= _AHEAD):
                    first, rendering = pending.popleft()
                    lines = rendering.result()
                    digests = hasher.submit(_digests, lines, file_sha)
                    hashed.append(digests)
                    recorded.append(recorder.submit(
                        lambda first=first, digests=digests: record(first, digests.result())))
                    yield _body(lines)

    staged = write_synced(path, chunks(), what="export file", direct=True)
    try:
        for done in recorded:
            done.result()
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return _Rendered(staged, file_sha.hexdigest(), [d for f in hashed for d in f.result()])


def _offsets(lines: pa.Array) -> np.ndarray:
    return np.frombuffer(lines.buffers()[1], np.int32, len(lines) + 1, lines.offset * 4)


def _body(lines: pa.Array) -> memoryview:
    """The batch's bytes as the file holds them (the lines' data, without a copy)."""
    offsets = _offsets(lines)
    return memoryview(lines.buffers()[2])[offsets[0]:offsets[-1]] if len(lines) else \
        memoryview(b"")


def _digests(lines: pa.Array, file_sha: Any) -> list[str]:
    """Adds the batch to the file's hash; returns each line's SHA-256 (without its CRLF)."""
    file_sha.update(_body(lines))
    offsets = _offsets(lines)
    whole = memoryview(lines.buffers()[2]) if len(lines) else memoryview(b"")
    sha256 = hashlib.sha256
    return [sha256(whole[a:b]).hexdigest()
            for a, b in zip(offsets[:-1].tolist(), (offsets[1:] - 2).tolist())]


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


@dataclass(slots=True)
class _WeekRows:
    """What every recipient's file of one week is made from, checked once."""

    iso: IsoWeek
    audit: AuditReport               # verified
    chosen: pa.Table                 # `_chosen`, with ``person_row``
    people: pa.Table                 # their ASN's fields (`_people`)
    order: pa.Array                  # `_export_order(chosen)`
    case_ids: list[str]              # in that order
    case_id_array: pa.Array          # the same, for Arrow
    evidence: Future[None]           # `_check_evidence_files`: waited for before publishing


def _week_rows(store: Store, week: str, settings: Settings, now: datetime | None,
               pool: ThreadPoolExecutor) -> _WeekRows:
    """The week's cases, the audit chain verified; the evidence files are re-hashed in `pool`
    while the files are rendered (nothing is published before that check passes).

    The chain is verified on a second connection while the cases are selected: its hashing
    is Python's, the selection DuckDB's, so each runs while the other waits."""
    if store.read_only:
        raise ReviewError(f"{store.path}: an export is recorded in the store; open it read-write")
    iso = parse_week(week, now=now)
    with store.twin() as second:
        verified = pool.submit(verify_audit, second)
        try:
            chosen = _chosen(store, iso, settings.review.four_eyes)
        finally:
            audit = verified.result()  # the twin is closed only once its query is done
    audit.raise_for_problems()
    order = _export_order(chosen)
    evidence = pool.submit(_check_evidence_files, store.path.parent,
                           _evidence_files(store, chosen), chosen, order)
    chosen, people = _people(store, chosen)
    ids = chosen.column("case_id").combine_chunks().take(order)
    return _WeekRows(iso, audit, chosen, people, order, ids.to_pylist(), ids, evidence)


class _Unchanged(Exception):
    """The file came out as the newest revision's: the export is rolled back to it."""

    def __init__(self, result: ExportResult) -> None:
        super().__init__(result.export_id)
        self.result = result


def _write_week(store: Store, week_rows: _WeekRows, layout: Recipient,
                out_dir: str | Path | None, *, created_by: str | None, settings: Settings,
                now: datetime | None) -> ExportResult:
    """One recipient's file of the week (new, revised or unchanged) and its manifest.

    Recorded as the next revision from the start: each batch's lines go to ``export_rows``
    as they are rendered, all in one transaction, which is committed once the files are in
    place, or rolled back when the file is the same as the newest revision's (or anything
    fails). So storing a million lines costs no time of its own."""
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

            rendered = _render(week_rows.chosen, week_rows.people, week_rows.order, layout,
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


def _record(store: Store, week_rows: _WeekRows, layout: Recipient, target_dir: Path,
            rendered: _Rendered, prev: dict[str, Any] | None, revision: int,
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
        week_rows = _week_rows(store, week, settings, now, pool)  # checked once for all
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
