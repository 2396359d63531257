"""Classify a CSV/JSONL file of posts against one election (`pantau classify INPUT …`).

Every input row is written back with five columns added: ``pantau_flagged`` (true/false:
enters the review queue), ``pantau_rule``, ``pantau_candidate`` (number or empty),
``pantau_confidence`` and ``pantau_reason`` (Indonesian | English), from the strongest flag
of the row. Reading goes through `pantau.tabular.read_table` (delimiter sniffed, UTF-8 with or
without BOM, other encodings detected with a warning or named). A CSV output is
spreadsheet-inert (`pantau.csvsafe`: UTF-8 with BOM, every cell quoted, text that would start a
formula gets a leading ``'``); any output is written atomically and owner-only (`pantau.fsutil`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..csvsafe import iter_csv
from ..errors import InputError
from ..fsutil import write_atomic_stream
from ..records import Election, Flag
from ..tabular import read_table
from ..timeutil import to_utc
from .linking import Linker
from .model import TextModel
from .pipeline import classify_texts, resolve_threshold, strongest

OUTPUT_COLUMNS = ("pantau_flagged", "pantau_rule", "pantau_candidate", "pantau_confidence",
                  "pantau_reason")
CHUNK = 5000


@dataclass(slots=True)
class FileSummary:
    input: Path
    output: Path
    rows: int = 0
    flagged: int = 0
    with_flag: int = 0              # rows with any flag (in the queue or below the threshold)
    no_date: int = 0                # rows with neither a date nor --at: not classified
    by_rule: dict[str, int] = field(default_factory=dict)
    by_candidate: dict[int, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    model_version: str = ""
    threshold: float = 0.0


def parse_when(value: Any, election: Election, *, file: Path | None = None,
               line: int | None = None, column: str | None = None) -> datetime | None:
    """A date or timestamp from a cell or --at; a bare date means noon in the election's zone."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return to_utc(value, assume=ZoneInfo(election.timezone))
    text = str(value).strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return to_utc(datetime.combine(day, time(12)), assume=ZoneInfo(election.timezone))
        return to_utc(datetime.fromisoformat(text.replace("Z", "+00:00")),
                      assume=ZoneInfo(election.timezone))
    except ValueError:
        raise InputError(f"{text!r} is not an ISO date or time (e.g. 2024-01-15 or "
                         "2024-01-15T10:00+07:00)", file=file, line=line, column=column) from None


def _cells(flag: Flag | None, no_date: bool) -> dict[str, str]:
    if flag is None:
        reason = ("tanpa tanggal: tidak dinilai | no date: not classified (give --at)"
                  if no_date else "")
        return {"pantau_flagged": "false", "pantau_rule": "", "pantau_candidate": "",
                "pantau_confidence": "0.00" if not no_date else "", "pantau_reason": reason}
    return {
        "pantau_flagged": "true" if flag.flagged else "false",
        "pantau_rule": flag.rule,
        "pantau_candidate": "" if flag.candidate is None else str(flag.candidate),
        "pantau_confidence": f"{flag.confidence:.2f}",
        "pantau_reason": f"{flag.reason_id} | {flag.reason_en}",
    }


def classify_file(
    path: str | Path,
    election: Election,
    *,
    text_column: str,
    out: str | Path | None = None,
    id_column: str | None = None,
    date_column: str | None = None,
    at: datetime | None = None,
    encoding: str | None = None,
    model: TextModel | None = None,
    threshold: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> FileSummary:
    """Classify every row of a CSV/JSONL/XLSX file and write it out with the pantau columns."""
    path = Path(path)
    if at is None and date_column is None:
        raise InputError("give --at DATE or --date-column COL: the date of each post decides "
                         "the stage (KE before the determination of candidates, DS after)",
                         file=path)
    table = read_table(path, encoding=encoding)
    text_key = text_column.strip().lower().replace(" ", "_")
    for name, key in (("--text-column", text_key), ("--id-column", id_column),
                      ("--date-column", date_column)):
        if key and key.strip().lower().replace(" ", "_") not in table.headers:
            raise InputError(f"{name} {key!r} is not a column (columns: "
                             f"{', '.join(table.headers)})", file=path)
    date_key = date_column.strip().lower().replace(" ", "_") if date_column else None
    id_key = id_column.strip().lower().replace(" ", "_") if id_column else None
    model = model or TextModel.load()
    threshold = resolve_threshold(model, threshold)
    out_path = Path(out) if out else path.with_name(f"{path.stem}.pantau.csv")
    summary = FileSummary(path, out_path, warnings=list(table.warnings),
                          model_version=model.version, threshold=threshold)
    linker = Linker(election)
    results: list[dict[str, str]] = []
    total = len(table.rows)
    for start in range(0, total, CHUNK):
        rows = table.rows[start:start + CHUNK]
        dates: list[datetime | None] = []
        for r in rows:
            when = parse_when(r.values.get(date_key), election, file=path, line=r.line,
                              column=date_column) if date_key else None
            dates.append(when or at)
        texts = [str(r.values.get(text_key) or "") for r in rows]
        ids = [str(r.values.get(id_key) or r.line) if id_key else f"line:{r.line}" for r in rows]
        flags = classify_texts(texts, election, dates=dates, ids=ids, model=model,
                               threshold=threshold, linker=linker)
        for when, row_flags in zip(dates, flags, strict=True):
            best = strongest(row_flags)
            summary.no_date += when is None
            results.append(_cells(best, when is None))
            if best is not None:
                summary.with_flag += 1
                if best.flagged:
                    summary.flagged += 1
                    summary.by_rule[best.rule] = summary.by_rule.get(best.rule, 0) + 1
                    if best.candidate is not None:
                        summary.by_candidate[best.candidate] = (
                            summary.by_candidate.get(best.candidate, 0) + 1)
        if progress is not None:
            progress(min(start + CHUNK, total), total)
    summary.rows = total
    _write(out_path, table, results)
    return summary


def _write(out: Path, table: Any, results: list[dict[str, str]]) -> None:
    """Write the output atomically (temporary file, then rename: never half a file), a batch of
    rows at a time; a CSV goes through `csvsafe` so no input text reaches a spreadsheet as a
    formula (UTF-8 with BOM, every cell quoted)."""
    if out.suffix.lower() in {".jsonl", ".ndjson"}:
        write_atomic_stream(out, _jsonl_lines(table, results), what="output file",
                            private_parent=False)
        return
    # Keep the input's own header names (and order); JSONL keys become columns.
    headers = list(table.original_headers) if table.kind != "jsonl" else list(table.headers)
    keys = list(table.headers)
    rows = ([*(_cell(row.values.get(k)) for k in keys), *(extra[c] for c in OUTPUT_COLUMNS)]
            for row, extra in zip(table.rows, results, strict=True))
    write_atomic_stream(out, iter_csv([*headers, *OUTPUT_COLUMNS], rows, ",", batch=CHUNK),
                        what="output file", private_parent=False)


def _jsonl_lines(table: Any, results: list[dict[str, str]]) -> Iterator[bytes]:
    """One encoded JSON line per input row with the pantau fields added, CHUNK rows a time."""
    lines: list[str] = []
    for row, extra in zip(table.rows, results, strict=True):
        record = {**row.values, **extra}
        record["pantau_flagged"] = extra["pantau_flagged"] == "true"
        lines.append(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        if len(lines) >= CHUNK:
            yield "".join(lines).encode("utf-8")
            lines.clear()
    if lines:
        yield "".join(lines).encode("utf-8")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


__all__ = ["FileSummary", "OUTPUT_COLUMNS", "classify_file", "parse_when"]
