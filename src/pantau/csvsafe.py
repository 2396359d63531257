"""Spreadsheet-inert CSV: what every CSV pantau writes (exports, import rejects, `pantau
classify` output) goes through.

Cells are made inert for spreadsheets: text that would start with ``= + - @`` (also after
leading spaces or quotes, and the full-width forms) or with a tab/CR gets a leading ``'``
(OWASP "CSV injection"); control characters are dropped, line breaks become spaces, and
bidirectional overrides (U+202A–202E, U+2066–2069) are shown as ``[U+202E]`` so reordered text
cannot disguise a cell. Files are UTF-8 with BOM, every cell quoted, CRLF line ends.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import arrowbytes

_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
# C0/C1 controls, DEL, and invisible format characters that hide or reorder text.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\ufeff]")
_TRIGGERS = set("=+-@\uff1d\uff0b\uff0d\uff20")
_LEADING = " \u00a0\"'\u201c\u201d\u2018\u2019"


def safe_cell(value: Any) -> str:
    """A value as spreadsheet-inert text (see the module docstring)."""
    raw = "" if value is None else str(value)
    text = _BIDI.sub(lambda m: f"[U+{ord(m.group()):04X}]", raw)
    text = " ".join(_CONTROL.sub("", text).split())  # every line break or tab -> one space
    starts_blank = raw.lstrip(_LEADING)[:1] in {"\t", "\r", "\n"}
    if starts_blank or text.lstrip(_LEADING)[:1] in _TRIGGERS:
        text = "'" + text
    return text


def _re2_class(chars: Iterable[str]) -> str:
    """A RE2 character class body (``\\x{hhhh}`` ranges) matching exactly `chars`."""
    codes = sorted({ord(c) for c in chars})
    parts: list[str] = []
    i = 0
    while i < len(codes):
        j = i
        while j + 1 < len(codes) and codes[j + 1] == codes[j] + 1:
            j += 1
        parts.append(f"\\x{{{codes[i]:x}}}" + (f"-\\x{{{codes[j]:x}}}" if j > i else ""))
        i = j + 1
    return "".join(parts)


@functools.cache
def _every_character() -> str:
    """Every Unicode scalar value (no surrogates: no UTF-8 text holds them), as one str."""
    codes = np.arange(0x110000, dtype="<u4")
    return codes[(codes < 0xD800) | (codes >= 0xE000)].tobytes().decode("utf-32-le")


@functools.cache
def blanks() -> str:
    """Every character `str.split()` splits on, in code point order. Python's ``\\s`` in a
    str pattern is that same set (Unicode whitespace), so one C-speed scan finds them."""
    return "".join(re.findall(r"\s", _every_character()))


@functools.cache
def _unchanged_pattern() -> str:
    """RE2 pattern of a cell `safe_cell` returns unchanged: empty, or not starting with a
    blank, quote or trigger, and holding no character it rewrites (whitespace as `str.split`
    sees it, controls, bidi overrides) except single spaces between words. Derived from the
    patterns above so the rules stay defined once; built on first use (a scan of Unicode)."""
    every = _every_character()
    rewritten = [*blanks(), *_CONTROL.findall(every), *_BIDI.findall(every)]
    x = _re2_class(rewritten)
    xl = _re2_class(rewritten + list(_LEADING) + sorted(_TRIGGERS))
    return f"^(?:[^{xl}][^{x}]*(?: [^{x}]+)*)?$"


def safe_column(values: Any) -> pa.Array:
    """`safe_cell` of every value of a column (list, pandas Series or pyarrow array of str/None),
    as a pyarrow string array: the same strings `safe_cell` gives, one by one.

    The common cell needs no change; RE2 finds those in bulk, and only the others (and
    non-text values) go through `safe_cell` itself, once per distinct value.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        items = list(values)
        if not all(v is None or type(v) is str for v in items):
            return pa.array([safe_cell(v) for v in items], pa.string())
        values = pa.array(items, pa.string())
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        return pa.array([safe_cell(v) for v in values.to_pylist()], pa.string())
    values = values.cast(pa.string())
    keep = unchanged_cells(values)
    if pc.all(keep).as_py():
        return pc.fill_null(values, "")
    todo = pc.invert(keep)
    odd = pc.filter(values, todo).to_pylist()
    memo: dict[str, str] = {}
    fixed = [memo[v] if v in memo else memo.setdefault(v, safe_cell(v)) for v in odd]
    out = pc.replace_with_mask(values, todo, pa.array(fixed, pa.string()))
    return pc.fill_null(out, "")


def unchanged_cells(values: pa.Array) -> pa.Array:
    """Which cells of a string column `safe_cell` leaves as they are (true for nulls, which it
    makes ''): RE2 over the column, or numpy over its bytes when they are printable ASCII."""
    keep = _plain_ascii_unchanged(values)
    if keep is None:
        keep = pc.fill_null(pc.match_substring_regex(values, _unchanged_pattern()), True)
    return keep


# In a cell of printable ASCII without a double space, `safe_cell` changes nothing unless
# the first character is one of these (a blank or quote before the character that counts,
# or a trigger) or the last is a space.
_ASCII_EDGE = np.zeros(256, bool)
_ASCII_EDGE[[ord(c) for c in _LEADING + "".join(_TRIGGERS) if ord(c) < 0x80]] = True


def _plain_ascii_unchanged(values: pa.Array) -> pa.Array | None:
    """Which cells `safe_cell` leaves unchanged, for a column whose bytes are all printable
    ASCII (ids, NIPs, hashes, URLs, most names): decided by each cell's first and last byte,
    numpy over the column's bytes at a fraction of the regular expression's cost per cell.
    None for any other column (`_unchanged_pattern` decides). A cell it cannot settle so
    cheaply (a leading quote) is reported as changed: `safe_cell` itself then decides it."""
    offsets = arrowbytes.offsets(values)
    if not len(values) or offsets is None or offsets[-1] == offsets[0]:
        return None
    data = np.frombuffer(arrowbytes.data(values), np.uint8)
    if data.max() >= 0x7F or data.min() < 0x20:
        return None                      # controls, DEL or non-ASCII text
    space = data == 0x20
    if np.any(space[1:] & space[:-1]):
        return None                      # a run of spaces
    starts, ends = offsets[:-1] - offsets[0], offsets[1:] - offsets[0]
    empty = ends == starts
    first = data[np.minimum(starts, len(data) - 1)]
    last = data[ends - 1]
    return pa.array(empty | ~(_ASCII_EDGE[first] | (last == 0x20)))


def printable(value: Any) -> str:
    """Text safe to print on a terminal: control characters (escape sequences included)
    dropped, bidirectional overrides shown as ``[U+202E]``; line breaks kept."""
    raw = "" if value is None else str(value)
    text = _BIDI.sub(lambda m: f"[U+{ord(m.group()):04X}]", raw)
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def render_csv(header: list[str], rows: list[list[Any]], delimiter: str) -> bytes:
    """UTF-8 with BOM, every cell quoted, CRLF line ends, every cell passed through `safe_cell`."""
    return b"".join(iter_csv(header, rows, delimiter))


def iter_csv(header: Sequence[Any], rows: Iterable[Sequence[Any]], delimiter: str, *,
             batch: int = 5000) -> Iterator[bytes]:
    """`render_csv` a batch of rows at a time (for `fsutil.write_atomic_stream`): the BOM and
    header first, then the encoded text of every `batch` rows, so a large file never sits in
    memory as a whole."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    yield b"\xef\xbb\xbf" + _drain(buf)
    pending = 0
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
        pending += 1
        if pending >= batch:
            yield _drain(buf)
            pending = 0
    if pending:
        yield _drain(buf)


def _drain(buf: io.StringIO) -> bytes:
    """The text written to `buf` so far, encoded; `buf` is emptied for the next batch."""
    data = buf.getvalue().encode("utf-8")
    buf.seek(0)
    buf.truncate()
    return data


def formula_cells(data: bytes | str) -> list[tuple[int, int, str]]:
    """(row, column, cell) of every cell of a CSV a spreadsheet would run or reorder.

    The check the reliability suite applies to every CSV pantau writes: a cell is unsafe when,
    after leading blanks and quotes, it starts with a formula trigger (and not with the ``'``
    text marker), or it holds a control character or a bidirectional override.
    """
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    bad: list[tuple[int, int, str]] = []
    for r, row in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)):
        for c, cell in enumerate(row):
            # A leading ' is the spreadsheet's own "this is text" marker (what safe_cell adds).
            head = cell.lstrip(_LEADING + "\t\r\n")[:1]
            formula = cell[:1] != "'" and (head in _TRIGGERS or cell[:1] in {"\t", "\r"})
            if formula or _BIDI.search(cell) or _CONTROL.search(cell):
                bad.append((r, c, cell[:80]))
    return bad


__all__ = ["formula_cells", "iter_csv", "printable", "render_csv", "safe_cell", "safe_column"]
