"""Reading the tabular files people hand us: CSV (any delimiter, encoding), XLSX and JSONL.

One reader serves every importer (registry, accounts, activity imports, public reports,
`pantau classify`), so they all share the same tolerance and the same error messages:
header names are matched case-insensitively (``Unit Kerja`` -> ``unit_kerja``), the
delimiter is sniffed, UTF-8 with or without BOM is read silently and other encodings are
detected with a warning, and every problem names the file and line.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError

csv.field_size_limit(64 * 1024 * 1024)  # a long post is not an error; a 64 MiB cell is


def normalise_header(name: object) -> str:
    text = str(name if name is not None else "").replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


@dataclass(slots=True)
class Row:
    line: int                       # line (CSV/JSONL) or row number (XLSX) where it starts
    values: dict[str, Any]          # normalised header -> value (str for CSV/XLSX)


@dataclass(slots=True)
class TableFile:
    path: Path
    kind: str                       # csv | xlsx | jsonl
    headers: list[str]              # normalised
    original_headers: list[str]
    rows: list[Row]
    encoding: str | None = None
    delimiter: str | None = None
    warnings: list[str] = field(default_factory=list)


def decode_bytes(data: bytes, path: Path, encoding: str | None = None) -> tuple[str, str, list[str]]:
    """Decode a file's bytes: the named encoding, else UTF-8 (BOM or not), else a detected one."""
    warnings: list[str] = []
    if encoding:
        try:
            return data.decode(encoding), encoding, warnings
        except LookupError:
            raise InputError(f"unknown encoding {encoding!r}", file=path) from None
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise InputError(
                f"not valid {encoding} at byte {exc.start}", file=path, line=line
            ) from None
    try:
        return data.decode("utf-8-sig"), "utf-8", warnings
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    western = _as_windows_1252(data)
    if western is not None:
        warnings.append(f"{path}: not UTF-8; read as cp1252 (name it with --encoding if wrong)")
        return western, "cp1252", warnings
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        line = data[:first_bad].count(b"\n") + 1
        raise InputError(
            "unknown text encoding (not UTF-8 and none detected); name it with --encoding",
            file=path,
            line=line,
        )
    warnings.append(f"{path}: not UTF-8; read as {best.encoding} (name it with --encoding if wrong)")
    return str(best), best.encoding, warnings


def _as_windows_1252(data: bytes) -> str | None:
    """The text if ``data`` reads cleanly as Windows-1252, else None.

    Non-UTF-8 files we get are Excel/Windows exports of Indonesian names (Windows-1252). On
    such short texts charset_normalizer guesses a Baltic or Central-European code page
    (cp775, cp1250) and turns "Jürgen" into "J³rgen", so Windows-1252 is tried first and kept
    only if every non-ASCII character is a Latin letter or common typographic punctuation.
    """
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:  # one of the five bytes cp1252 leaves undefined
        return None
    for ch in set(text):
        if ch.isascii():
            continue
        if unicodedata.category(ch).startswith("C"):
            return None
        if not ("LATIN" in unicodedata.name(ch, "") or ch in _WESTERN_PUNCTUATION):
            return None
    return text


_WESTERN_PUNCTUATION = frozenset("\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u00a0\u00b7\u00b0\u00a9\u00ae\u20ac")


def sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        counts = {d: first.count(d) for d in ",;\t|"}
        best = max(counts, key=counts.__getitem__)
        return best if counts[best] else ","


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        return "xlsx"
    if suffix in {".jsonl", ".ndjson"}:
        return "jsonl"
    return "csv"


def read_table(path: str | Path, *, encoding: str | None = None) -> TableFile:
    """Read a whole CSV, XLSX or JSONL file into rows with their line numbers."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=path)
    kind = _kind(path)
    if kind == "xlsx":
        return _read_xlsx(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=path) from None
    text, used, warnings = decode_bytes(data, path, encoding)
    if kind == "jsonl":
        table = _read_jsonl(path, text)
    else:
        table = _read_csv(path, text)
    table.encoding = used
    table.warnings.extend(warnings)
    return table


def _read_csv(path: Path, text: str) -> TableFile:
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputError("contains a NUL byte (is this really a CSV file?)", file=path, line=line)
    delimiter = sniff_delimiter(text[:64 * 1024])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[Row] = []
    headers: list[str] = []
    original: list[str] = []
    start = 1
    try:
        for record in reader:
            if not headers:
                if not any(cell.strip() for cell in record):
                    start = reader.line_num + 1
                    continue
                original = [c.replace("\ufeff", "").strip() for c in record]
                headers = [normalise_header(c) for c in record]
                _check_headers(path, headers, reader.line_num)
                start = reader.line_num + 1
                continue
            if any(cell.strip() for cell in record):
                if len(record) > len(headers):
                    extra = record[len(headers):]
                    if any(c.strip() for c in extra):
                        raise InputError(
                            f"{len(record)} fields where the header has {len(headers)} "
                            f"(delimiter {delimiter!r}; a quote missing?)",
                            file=path,
                            line=start,
                        )
                values = dict(zip(headers, (c.strip() for c in record), strict=False))
                for name in headers[len(record):]:
                    values[name] = ""
                rows.append(Row(start, values))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", file=path, line=reader.line_num) from None
    if not headers:
        raise InputError("empty file: no header row", file=path)
    return TableFile(path, "csv", headers, original, rows, delimiter=delimiter)


def _check_headers(path: Path, headers: list[str], line: int) -> None:
    seen: set[str] = set()
    for h in headers:
        if h and h in seen:
            raise InputError(f"column {h!r} appears twice in the header", file=path, line=line)
        seen.add(h)


def _read_jsonl(path: Path, text: str) -> TableFile:
    rows: list[Row] = []
    headers: dict[str, None] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg} (column {exc.colno})", file=path, line=number) from None
        if not isinstance(obj, dict):
            raise InputError("each line must be a JSON object", file=path, line=number)
        values = {normalise_header(k): v for k, v in obj.items()}
        headers.update(dict.fromkeys(values))
        rows.append(Row(number, values))
    names = list(headers)
    return TableFile(path, "jsonl", names, names, rows)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # An 18-digit NIP typed as a number has lost digits in Excel: keep what Excel kept
        # (e.g. '1.98705122009122e+17') so validation says it is not 18 digits.
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def _read_xlsx(path: Path) -> TableFile:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise InputError(f"not a readable .xlsx workbook: {exc}", file=path) from None
    try:
        sheet = book.worksheets[0]
        rows: list[Row] = []
        headers: list[str] = []
        original: list[str] = []
        for number, record in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell_text(v) for v in record]
            if not headers:
                if any(cells):
                    original = cells
                    headers = [normalise_header(c) for c in cells]
                    _check_headers(path, headers, number)
                continue
            if any(cells):
                values = dict(zip(headers, cells, strict=False))
                rows.append(Row(number, values))
    finally:
        book.close()
    if not headers:
        raise InputError("empty workbook: no header row", file=path)
    return TableFile(path, "xlsx", headers, original, rows)


def iter_values(table: TableFile, column: str) -> Iterator[tuple[int, Any]]:
    for row in table.rows:
        yield row.line, row.values.get(column, "")
