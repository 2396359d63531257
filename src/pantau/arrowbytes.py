"""The bytes behind an Arrow string column, for work done per value without a Python object
per value: its offsets, its data, and the SHA-256 of each value.

The export hashes each line of a million-line file this way, the audit check each decision
of the chain, and the spreadsheet-safety check scans a column's bytes at once.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa


def offsets(values: pa.Array) -> np.ndarray | None:
    """Where each value starts in `data` (one more entry than values: the last one's end);
    None when the column has no offsets buffer (some empty arrays)."""
    buffer = values.buffers()[1]
    if buffer is None:
        return None
    width = np.int64 if pa.types.is_large_string(values.type) or \
        pa.types.is_large_binary(values.type) else np.int32
    return np.frombuffer(buffer, width, len(values) + 1, values.offset * np.dtype(width).itemsize)


def data(values: pa.Array) -> memoryview:
    """All the bytes of the column's values, back to back (no copy)."""
    starts = offsets(values)
    buffer = values.buffers()[2]
    if starts is None or buffer is None or not len(values):
        return memoryview(b"")
    return memoryview(buffer)[starts[0]:starts[-1]]


def sha256_each(values: pa.Array, *, drop_end: int = 0) -> list[str]:
    """The hex SHA-256 of each value's bytes, without its last `drop_end` bytes (a null
    value hashes as empty): slices of one buffer, not a bytes object per value."""
    starts = offsets(values)
    buffer = values.buffers()[2]
    if starts is None or buffer is None or not len(values):
        return [hashlib.sha256(b"").hexdigest()] * len(values)
    whole = memoryview(buffer)
    sha256 = hashlib.sha256
    return [sha256(whole[a:b]).hexdigest()
            for a, b in zip(starts[:-1].tolist(), (starts[1:] - drop_end).tolist())]
