"""Batch writes (`fsutil.write_unsynced` + `publish`, what the evidence archive uses for a
commit group): every file whole and owner-only, or nothing new and no temporary file left."""

from __future__ import annotations

import errno
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pantau import fsutil
from pantau.collectors.base import Fetched
from pantau.errors import WriteError
from pantau.evidence import archive_many, read_evidence
from pantau.fsutil import publish, write_unsynced


def _batch(tmp_path: Path) -> list[tuple[Path, bytes]]:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    return [(tmp_path / "a" / "one", b"1" * 10), (tmp_path / "a" / "two", b""),
            (tmp_path / "b" / "three", os.urandom(100_000))]


def _leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob(".*.tmp"))


@pytest.mark.parametrize("syncfs", [True, False], ids=["syncfs", "fsync-per-file"])
def test_publish_writes_every_file_whole_and_owner_only(tmp_path: Path, monkeypatch,
                                                        syncfs: bool) -> None:
    if not syncfs:
        monkeypatch.setattr(fsutil, "_SYNCFS", None)
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(fsutil.os, "fsync", lambda fd: synced.append(fd) or real_fsync(fd))
    old = os.umask(0o022)
    try:
        files = _batch(tmp_path)
        publish([(write_unsynced(path, data), path) for path, data in files])
    finally:
        os.umask(old)
    for path, data in files:
        assert path.read_bytes() == data
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _leftovers(tmp_path) == []
    # Two directories synced, plus each file when there is no syncfs.
    assert len(synced) == (2 if syncfs else 2 + len(files))


def test_a_failed_sync_leaves_the_old_files_and_no_temporary_one(tmp_path: Path,
                                                                  monkeypatch) -> None:
    files = _batch(tmp_path)
    files[0][0].write_bytes(b"old")

    def full(paths: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fsutil, "_sync_files", full)
    staged = [(write_unsynced(path, data), path) for path, data in files]
    with pytest.raises(WriteError, match="cannot write the file: the disk is full"):
        publish(staged)
    assert files[0][0].read_bytes() == b"old"
    assert not files[1][0].exists() and not files[2][0].exists()
    assert _leftovers(tmp_path) == []


def test_archive_many_on_a_full_disk_leaves_no_partial_file(tmp_path: Path,
                                                             monkeypatch) -> None:
    now = datetime(2024, 11, 1, tzinfo=UTC)
    responses = [Fetched(f"https://t.me/s/x?before={i}", 200, {}, f"page {i}".encode(), now,
                         "telegram") for i in range(5)]

    def failing(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fsutil.os, "fsync", failing)
    with pytest.raises(WriteError, match="evidence file.*the disk is full"):
        archive_many(tmp_path, responses, "test/1")
    # Files renamed before the failing sync are whole (the contents were synced first): the
    # commit fails, and the next run's archive reuses them like a killed run's files.
    assert _leftovers(tmp_path) == []
    monkeypatch.undo()
    records = archive_many(tmp_path, responses, "test/1")
    assert [read_evidence(tmp_path, r) for r in records] == [f.content for f in responses]
