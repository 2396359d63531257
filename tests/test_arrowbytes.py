"""`arrowbytes`: a string column's bytes and per-value hashes, as Python would give them."""

from __future__ import annotations

import hashlib

import pyarrow as pa
import pytest

from pantau import arrowbytes


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string(), pa.binary()])
def test_values_bytes_and_hashes_match_python(kind) -> None:
    values = ["ab\r\n", "", "naïve 😀\r\n", None, "x" * 5000]
    column = pa.array(values, kind)
    for part, texts in ((column, values), (column.slice(1, 3), values[1:4])):
        raw = [(t or "").encode() if isinstance(t, str) or t is None else t for t in texts]
        assert arrowbytes.data(part).tobytes() == b"".join(raw)
        assert arrowbytes.sha256_each(part) == [hashlib.sha256(r).hexdigest() for r in raw]
    lines = pa.array(["a;b\r\n", "c\r\n"], kind)
    assert arrowbytes.sha256_each(lines, drop_end=2) == [
        hashlib.sha256(b"a;b").hexdigest(), hashlib.sha256(b"c").hexdigest()]


def test_empty_columns() -> None:
    for empty in (pa.array([], pa.string()), pa.array(["a"]).slice(1, 0)):
        assert arrowbytes.data(empty).tobytes() == b""
        assert arrowbytes.sha256_each(empty) == []
