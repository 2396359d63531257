"""The weekly file's bytes: each layout field as spreadsheet-inert cells, the cells as CSV
lines, the lines written and hashed a batch at a time.

`field_values` is the definition, one case at a time; `_field_cells` gives the same for a
whole column (tests check them byte for byte), and `render` writes the file from them.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import arrowbytes
from ..csvsafe import render_csv, safe_cell, safe_column, unchanged_cells
from ..errors import ConfigError
from ..fsutil import write_synced
from ..review import CaseState, excerpt
from ..rules_table import RULES
from ..timeutil import to_utc
from .cases import PERSON_FIELDS
from .layouts import ACTIVITY_ID, STAGE_ID, Recipient


def format_time(value: Any, recipient: Recipient) -> str:
    """A time in the layout's zone and date format ('' for none)."""
    if value is None or pd.isna(value):
        return ""
    return to_utc(value).astimezone(recipient.tz).strftime(recipient.date_format)


def field_values(row: dict[str, Any], state: CaseState, notes: str,
                 recipient: Recipient) -> dict[str, Any]:
    """Every field of one case's row (a `review.cases_frame` row and its state): the
    definition `_field_cells` follows column by column."""
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
        "acted_at": format_time(row["acted_at"], recipient),
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
        "decided_at": format_time(state.exportable_at, recipient),
        "confidence": f"{float(row['confidence']):.2f}",
        "model_version": row["model_version"],
    }


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


def time_cells(stamps: pa.Array, recipient: Recipient) -> pa.Array:
    """`format_time` of a column, formatted once per distinct value shown.

    Formats made of ``%Y %m %d %H %M %S %%`` and literal text: the local times are cut to
    the finest unit the format shows (a week has 10,080 minutes, whatever the rows) and
    those are assembled from Arrow's date parts (Arrow's own strftime costs ~1 µs a value).
    Any other format goes through Python, once per distinct time."""
    tokens = re.findall(r"%(.)|([^%]+)", recipient.date_format)
    shown = [d for d, _ in tokens if d and d != "%"]
    if not all(d in _DATE_PARTS for d in shown):
        return _per_distinct(stamps, lambda v: format_time(v, recipient))
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


def _excerpt_cells(values: pa.Array, limit: int) -> pa.Array:
    """`safe_cell` of the `excerpt` of every text. A text `safe_cell` leaves as it is has
    single spaces between words only, so `excerpt` leaves it too when it is short enough:
    those pass as they are, one check for both; the others go through both, one by one."""
    values = _string(values)
    fast = pc.and_(unchanged_cells(values),
                   pc.fill_null(pc.less_equal(pc.utf8_length(values), limit), True))
    if pc.all(fast).as_py():
        return pc.fill_null(values, "")
    out = values.to_pylist()
    for i in pc.indices_nonzero(pc.invert(fast)).to_pylist():
        out[i] = safe_cell(excerpt(out[i], limit))
    return pc.fill_null(pa.array(out, pa.string()), "")


_DIRECT = {"case_id": "case_id", "platform": "platform", "account": "actor_handle",
           "activity_type": "activity_type", "url": "url", "rule": "rule", "stage": "stage",
           "evidence_sha256": "evidence_id", "model_version": "model_version",
           "reviewers": "reviewers", "notes": "notes"}
_RULE_ATTR = {"rule_description": "description_id", "rule_description_en": "description_en",
              "sanction": "sanction_id", "legal_source": "legal_source"}


def _field_cells(chosen: pa.Table | _Rows, name: str, recipient: Recipient,
                 people: pa.Table) -> pa.Array:
    """One layout field for every row as the file's cells: `safe_cell` of what `field_values`
    gives for one row. Fields with few distinct values are formatted and made safe once per
    value, a person's from `people` (`cases._people_of`); the others are made safe a column
    at a time (`safe_column`)."""
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
        return safe_column(time_cells(col(name).combine_chunks(), recipient))
    if name == "excerpt":
        return _excerpt_cells(col("text").combine_chunks(), recipient.excerpt_chars)
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
    """Whether the bytes of `cells` hold a quote: one memchr-speed scan of the column's
    bytes (a match kernel works value by value and costs ten times more)."""
    return b'"' in arrowbytes.data(cells).tobytes()


def _joined(cells: list[pa.Array], delimiter: str) -> pa.Array:
    quoted = list(cells)
    quoted[0] = pc.binary_join_element_wise('"', quoted[0], "")
    quoted[-1] = pc.binary_join_element_wise(quoted[-1], '"\r\n', "")
    return pc.binary_join_element_wise(*quoted, f'"{delimiter}"')


class _Rows:
    """Some rows of the week's table, each column taken when a field first asks for it: a
    layout shows only some of the columns."""

    def __init__(self, table: pa.Table, rows: pa.Array) -> None:
        self.table, self.rows = table, rows
        self.taken: dict[str, pa.ChunkedArray] = {}

    def column(self, name: str) -> pa.ChunkedArray:
        if name not in self.taken:
            self.taken[name] = self.table.column(name).take(self.rows)
        return self.taken[name]


def _batch_lines(chosen: pa.Table, rows: pa.Array, layout: Recipient,
                 people: pa.Table) -> pa.Array:
    part = _Rows(chosen, rows)
    return _lines([_field_cells(part, c.field, layout, people) for c in layout.columns],
                  layout.delimiter)


@dataclass(slots=True)
class Rendered:
    """A weekly file written under a temporary name, with its digests."""

    staged: Path                     # the file, complete and synced, under a temporary name
    sha256: str
    row_sha256: list[str]            # one per row, in file order


def render(chosen: pa.Table, people: pa.Table, order: pa.Array, layout: Recipient,
           path: Path, record: Callable[[int, list[str]], None]) -> Rendered:
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

            def written(first: int, rendering: Future[pa.Array]) -> memoryview:
                lines = rendering.result()
                digests = hasher.submit(_digests, lines, file_sha)
                hashed.append(digests)
                recorded.append(recorder.submit(lambda: record(first, digests.result())))
                return arrowbytes.data(lines)

            pending: deque[tuple[int, Future[pa.Array]]] = deque()
            for start in range(0, len(order), BATCH_ROWS):
                pending.append((start, pool.submit(
                    _batch_lines, chosen, order.slice(start, BATCH_ROWS), layout, people)))
                if len(pending) == _AHEAD:
                    yield written(*pending.popleft())
            while pending:
                yield written(*pending.popleft())

    staged = write_synced(path, chunks(), what="export file", direct=True)
    try:
        for done in recorded:
            done.result()
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return Rendered(staged, file_sha.hexdigest(), [d for f in hashed for d in f.result()])


def _digests(lines: pa.Array, file_sha: Any) -> list[str]:
    """Adds the batch to the file's hash; returns each line's SHA-256 (without its CRLF)."""
    file_sha.update(arrowbytes.data(lines))
    return arrowbytes.sha256_each(lines, drop_end=2)
