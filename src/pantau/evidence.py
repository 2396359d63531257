"""The raw evidence archive: every response that produced activities, kept once, as proof.

Files live under ``PANTAU_HOME/raw/<platform>/<yyyy>/<mm>/<dd>/<sha256>.gz`` where the hash is
of the raw (uncompressed) body and the date is the UTC request date. Compression is
deterministic (gzip with mtime 0) so the same body always gives the same file; writes go to a
temporary file first and are renamed into place, so a crash never leaves half a file. Posts get
deleted; these files are what a report can point at.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from .collectors.base import Fetched
from .errors import EvidenceError
from .fsutil import private_dir, publish, write_atomic, write_unsynced
from .records import Evidence
from .store import Store

EVIDENCE_SCHEMA = pa.schema(
    [
        ("sha256", pa.string()),
        ("platform", pa.string()),
        ("url", pa.string()),
        ("requested_at", pa.timestamp("us", tz="UTC")),
        ("status", pa.int32()),
        ("content_type", pa.string()),
        ("size", pa.int64()),
        ("path", pa.string()),
        ("collector_version", pa.string()),
    ]
)


def home_of(store_or_home: Store | str | Path) -> Path:
    """PANTAU_HOME for a store (the directory of its database file) or a path."""
    if isinstance(store_or_home, Store):
        return store_or_home.path.parent
    return Path(store_or_home)


# Level 1, not 6: on a 100 kB Telegram page it takes about a third less CPU for about 13 %
# more bytes (bench/bench_collect.py); archives are written once and rarely read.
COMPRESS_LEVEL = 1
# Files of one batch are compressed and written by a few threads: zlib and fsync release the
# GIL, so on two cores they overlap with each other and with the rest of the run.
WRITE_THREADS = 4


def compress(body: bytes) -> bytes:
    """Deterministic gzip: no file name, mtime 0, so equal bodies give equal files."""
    return gzip.compress(body, compresslevel=COMPRESS_LEVEL, mtime=0)


def archive(
    store_or_home: Store | str | Path, fetched: Fetched, collector_version: str
) -> Evidence:
    """Archive one response and return its `Evidence` record (not yet written to the store).

    With a `Store`, a body already archived (same SHA-256, any day) is not written again and
    the existing record is returned, so the evidence row and the file always agree.
    """
    return archive_many(store_or_home, [fetched], collector_version)[0]


def _record(fetched: Fetched, digest: str, collector_version: str) -> Evidence:
    day = fetched.requested_at
    return Evidence(
        sha256=digest,
        platform=fetched.platform,
        url=fetched.url,
        requested_at=fetched.requested_at,
        status=fetched.status,
        content_type=fetched.content_type,
        size=len(fetched.content),
        path=f"raw/{fetched.platform}/{day:%Y/%m/%d}/{digest}.gz",
        collector_version=collector_version,
    )


def _write_if_absent(home: Path, record: Evidence, body: bytes) -> None:
    target = home / record.path
    if not target.is_file():
        # Owner-only, temp file + fsync + rename; a full disk is a WriteError naming the
        # file. The directory was made private once for the batch (`archive_many`).
        write_atomic(target, compress(body), what="evidence file")


def _stage_if_absent(home: Path, record: Evidence, body: bytes) -> tuple[Path, Path] | None:
    """(temporary file, target) of a file of a batch (`fsutil.publish`), None if it exists."""
    target = home / record.path
    if target.is_file():
        return None
    return write_unsynced(target, compress(body), what="evidence file"), target


def archive_many(
    store_or_home: Store | str | Path, responses: Sequence[Fetched], collector_version: str,
    *, store_lock: AbstractContextManager[object] | None = None,
) -> list[Evidence]:
    """`archive` for a batch: one `Evidence` per response, in order, every file on disk when it
    returns. One query finds the bodies already archived; equal bodies share one record (the
    first); new files are compressed and written by a few threads at once.

    `store_lock` is held around that query only: a store connection shared between threads
    stays free for the others while the files are compressed and synced."""
    home = home_of(store_or_home)
    digests = [hashlib.sha256(f.content).hexdigest() for f in responses]
    records: dict[str, Evidence] = {}
    if isinstance(store_or_home, Store) and digests:
        with store_lock or nullcontext():
            stored = store_or_home.rows(
                "SELECT sha256, platform, url, requested_at, status, content_type, size, "
                "path, collector_version FROM evidence WHERE sha256 IN (SELECT unnest(?))",
                [sorted(set(digests))])
        for row in stored:
            if (home / row[7]).is_file():
                records[row[0]] = Evidence(*row)
    to_write: list[tuple[Evidence, bytes]] = []
    for fetched, digest in zip(responses, digests, strict=True):
        if digest not in records:
            records[digest] = _record(fetched, digest, collector_version)
            to_write.append((records[digest], fetched.content))
    # Each day's directory is created (0700) once per batch, not once per file.
    for directory in sorted({(home / r.path).parent for r, _ in to_write}):
        private_dir(directory)
    if len(to_write) > 1:
        # Atomic per file as `write_atomic`, but synced once for the batch (`fsutil.publish`).
        with ThreadPoolExecutor(min(WRITE_THREADS, len(to_write)),
                                thread_name_prefix="pantau-evidence") as pool:
            futures = [pool.submit(_stage_if_absent, home, *item) for item in to_write]
        staged = [f.result() for f in futures if f.exception() is None]
        failed = next((f.exception() for f in futures if f.exception() is not None), None)
        if failed is not None:
            for item in staged:
                if item is not None:
                    item[0].unlink(missing_ok=True)
            raise failed
        publish([item for item in staged if item is not None], what="evidence file")
    elif to_write:
        _write_if_absent(home, *to_write[0])
    return [records[d] for d in digests]


def evidence_table(records: Iterable[Evidence]) -> pa.Table:
    """Evidence records as an Arrow table for `store.upsert("evidence", ..., key=["sha256"])`."""
    rows = [
        {name: getattr(r, name) for name in EVIDENCE_SCHEMA.names} for r in records
    ]
    return pa.Table.from_pylist(rows, schema=EVIDENCE_SCHEMA)


def _field(row: Evidence | Mapping[str, Any], name: str) -> Any:
    return row[name] if isinstance(row, Mapping) else getattr(row, name)


def _gunzip(path: str | Path) -> bytes:
    """The file's gzip content. zlib directly (the CRC and length are still checked): the
    export re-reads tens of thousands of these, and `gzip.decompress` parses the header in
    Python. A file of several gzip members (not written by pantau) takes the general path."""
    with open(path, "rb") as fh:
        data = fh.read()
    inflater = zlib.decompressobj(wbits=31)
    body = inflater.decompress(data)
    if inflater.unused_data or not inflater.eof:
        return gzip.decompress(data)
    return body


def intact(home: str, sha256: str, rel_path: str) -> bool:
    """Whether the archived file ``home/rel_path`` holds content with this SHA-256:
    `read_evidence`'s check without building its error, for re-checking many files at a few
    microseconds each (`read_evidence` says what is wrong with one that is not intact)."""
    try:
        body = _gunzip(os.path.join(home, rel_path))
    except (OSError, EOFError, zlib.error):
        return False
    return hashlib.sha256(body).hexdigest() == sha256


def read_evidence(home: str | Path, evidence_row: Evidence | Mapping[str, Any]) -> bytes:
    """The raw body of an archived response, checked against its hash."""
    path = Path(home) / _field(evidence_row, "path")
    expected = _field(evidence_row, "sha256")
    try:
        body = _gunzip(path)
    except FileNotFoundError:
        raise EvidenceError(f"{path}: evidence file is missing") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise EvidenceError(f"{path}: evidence file is damaged: {exc}") from None
    if hashlib.sha256(body).hexdigest() != expected:
        raise EvidenceError(f"{path}: content does not match its SHA-256 {expected}")
    return body


@dataclass(slots=True)
class VerifyReport:
    checked: int = 0
    missing: list[str] = field(default_factory=list)    # relative paths listed but absent
    altered: list[str] = field(default_factory=list)    # present but hash/gzip wrong
    unlisted: list[str] = field(default_factory=list)   # archive files with no evidence row

    @property
    def ok(self) -> bool:
        """Missing or altered evidence fails; unlisted files (left by a killed run) do not."""
        return not self.missing and not self.altered


def verify(
    store: Store,
    home: str | Path | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> VerifyReport:
    """Re-hash every archived file listed in `evidence`; report missing, altered and unlisted."""
    home = Path(home) if home is not None else home_of(store)
    rows = store.rows("SELECT sha256, path FROM evidence ORDER BY path")
    report = VerifyReport()
    listed: set[str] = set()
    for i, (sha, rel) in enumerate(rows, 1):
        listed.add(rel)
        report.checked += 1
        path = home / rel
        if not path.is_file():
            report.missing.append(rel)
        else:
            try:
                read_evidence(home, {"sha256": sha, "path": rel})
            except EvidenceError:
                report.altered.append(rel)
        if progress:
            progress(i, len(rows))
    raw = home / "raw"
    if raw.is_dir():
        for f in sorted(raw.rglob("*.gz")):
            rel = f.relative_to(home).as_posix()
            if rel not in listed:
                report.unlisted.append(rel)
    return report


def find(store: Store, sha_prefix: str) -> list[dict[str, Any]]:
    """Evidence rows whose hash starts with `sha_prefix` (at least 6 hex digits)."""
    prefix = sha_prefix.strip().lower()
    if len(prefix) < 6 or any(c not in "0123456789abcdef" for c in prefix):
        raise EvidenceError(f"{sha_prefix!r}: give at least 6 hex digits of a SHA-256")
    df = store.df(
        "SELECT e.*, (SELECT count(*) FROM activities a WHERE a.evidence_id = e.sha256) "
        "AS activities FROM evidence e WHERE e.sha256 LIKE ? ORDER BY requested_at",
        [prefix + "%"],
    )
    return df.to_dict("records")
