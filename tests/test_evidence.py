"""The evidence archive: content addressing, dedup, atomic private files, verify."""

from __future__ import annotations

import gzip
import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pantau.collectors.base import Fetched
from pantau.config import load_settings
from pantau.errors import EvidenceError
from pantau.evidence import archive, evidence_table, find, read_evidence, verify
from pantau.store import Store


def fetched(body: bytes, day: int = 20, url: str = "https://t.me/s/chan") -> Fetched:
    return Fetched(url=url, status=200, headers={"content-type": "text/html; charset=utf-8"},
                   content=body, requested_at=datetime(2024, 11, day, 23, 30, tzinfo=UTC),
                   platform="telegram")


@pytest.fixture()
def store(tmp_path: Path):
    settings = load_settings(home=tmp_path)
    with Store.open(settings=settings) as s:
        yield s


def test_archive_is_content_addressed_private_and_deterministic(tmp_path: Path) -> None:
    body = b"<html>post 1</html>"
    ev = archive(tmp_path, fetched(body), "test/1")
    sha = hashlib.sha256(body).hexdigest()
    assert ev.sha256 == sha and ev.size == len(body)
    assert ev.path == f"raw/telegram/2024/11/20/{sha}.gz"
    path = tmp_path / ev.path
    assert gzip.decompress(path.read_bytes()) == body
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    first = path.read_bytes()
    mtime = path.stat().st_mtime_ns
    again = archive(tmp_path, fetched(body), "test/1")
    assert again.path == ev.path and path.stat().st_mtime_ns == mtime  # not rewritten
    path.unlink()
    archive(tmp_path, fetched(body), "test/1")
    assert path.read_bytes() == first                                   # byte-identical gzip
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_same_body_on_another_day_reuses_the_stored_file(store: Store) -> None:
    body = b'{"feed": []}'
    ev = archive(store, fetched(body, day=20), "test/1")
    store.upsert("evidence", evidence_table([ev]), key=["sha256"])
    later = archive(store, fetched(body, day=21), "test/1")
    assert later.path == ev.path
    assert not (store.path.parent / "raw/telegram/2024/11/21").exists()
    assert read_evidence(store.path.parent, ev) == body
    assert find(store, ev.sha256[:8])[0]["url"] == "https://t.me/s/chan"


def test_verify_detects_missing_altered_and_unlisted(store: Store) -> None:
    home = store.path.parent
    evs = [archive(store, fetched(f"<p>{i}</p>".encode()), "test/1") for i in range(3)]
    store.upsert("evidence", evidence_table(evs), key=["sha256"])
    report = verify(store, home)
    assert report.ok and report.checked == 3

    altered = home / evs[0].path
    altered.write_bytes(gzip.compress(b"<p>edited by hand</p>"))
    (home / evs[1].path).unlink()
    orphan = archive(home, fetched(b"<p>orphan</p>"), "test/1")   # a killed run's leftover
    seen: list[tuple[int, int]] = []
    report = verify(store, home, progress=lambda i, n: seen.append((i, n)))
    assert not report.ok
    assert report.altered == [evs[0].path]
    assert report.missing == [evs[1].path]
    assert report.unlisted == [orphan.path]
    assert seen[-1] == (3, 3)
    with pytest.raises(EvidenceError, match="does not match"):
        read_evidence(home, evs[0])
    with pytest.raises(EvidenceError, match="missing"):
        read_evidence(home, evs[1])
    # A file that is not gzip at all is "altered", not a crash.
    altered.write_bytes(b"not gzip")
    assert verify(store, home).altered == [evs[0].path]


def test_find_needs_a_hex_prefix(store: Store) -> None:
    with pytest.raises(EvidenceError, match="6 hex"):
        find(store, "xyz")


def test_archive_dir_is_private(tmp_path: Path) -> None:
    ev = archive(tmp_path, fetched(b"x"), "test/1")
    assert oct(os.stat((tmp_path / ev.path).parent).st_mode & 0o777) == "0o700"
