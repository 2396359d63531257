"""`write_synced(direct=True)`: the export's big files written around the page cache.

Direct I/O writes whole aligned blocks, so the writer pads the last one and cuts the file
back; where the file system has no direct I/O (tmpfs) it writes as usual. Either way the
bytes must be exactly the chunks, the file private, and nothing left behind on an error.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import pantau.fsutil as fsutil
from pantau.errors import WriteError
from pantau.fsutil import move_into_place, write_synced

SIZES = [[], [0], [1], [4096], [4095, 1], [3, 9000, 4093], [fsutil._DIRECT_BUFFER],
         [fsutil._DIRECT_BUFFER + 1, 7], [5_000_000, 5_000_000, 123]]


@pytest.mark.parametrize("direct", [True, False])
@pytest.mark.parametrize("sizes", SIZES)
def test_the_file_holds_exactly_the_chunks(tmp_path: Path, sizes: list[int], direct: bool) -> None:
    chunks = [os.urandom(n) for n in sizes]
    target = tmp_path / "out" / "file.csv"
    staged = write_synced(target, chunks, direct=direct)
    assert staged.parent == target.parent and staged.name.startswith(".file.csv.")
    assert staged.read_bytes() == b"".join(chunks)
    assert staged.stat().st_mode & 0o777 == 0o600
    move_into_place(staged, target)
    assert target.read_bytes() == b"".join(chunks) and not staged.exists()


def test_memoryviews_of_arrow_buffers_are_taken(tmp_path: Path) -> None:
    import pyarrow as pa

    lines = pa.array(["a;b\r\n", "ccc\r\n"])
    body = memoryview(lines.buffers()[2])
    staged = write_synced(tmp_path / "f", [b"head\r\n", body], direct=True)
    assert staged.read_bytes() == b"head\r\na;b\r\nccc\r\n"


def test_a_file_system_without_direct_io_is_written_as_usual(tmp_path: Path,
                                                            monkeypatch) -> None:
    """O_DIRECT refused when the file is opened, or at the first write (EINVAL)."""
    real_open = os.open

    def refusing_open(path, flags, *args):
        if flags & fsutil._O_DIRECT:
            raise OSError(22, "Invalid argument")
        return real_open(path, flags, *args)

    monkeypatch.setattr(fsutil.os, "open", refusing_open)
    data = os.urandom(10_000)
    assert write_synced(tmp_path / "a", [data], direct=True).read_bytes() == data
    monkeypatch.undo()

    real_write = os.write
    refused = []

    def refusing_write(fd, data):
        import fcntl
        if fcntl.fcntl(fd, fcntl.F_GETFL) & fsutil._O_DIRECT:
            refused.append(len(data))
            raise OSError(22, "Invalid argument")
        return real_write(fd, data)

    monkeypatch.setattr(fsutil.os, "write", refusing_write)
    big = os.urandom(fsutil._DIRECT_BUFFER + 5000)
    staged = write_synced(tmp_path / "b", [big], direct=True)
    assert staged.read_bytes() == big
    if fsutil._O_DIRECT and refused:          # only where the fd really was direct
        assert len(refused) == 1


def test_a_failing_source_leaves_nothing(tmp_path: Path) -> None:
    def chunks():
        yield os.urandom(fsutil._DIRECT_BUFFER + 10)
        raise ValueError("source broke")

    with pytest.raises(ValueError, match="source broke"):
        write_synced(tmp_path / "f.csv", chunks(), direct=True)
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_is_a_write_error_and_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    def full(fd, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fsutil.os, "write", full)
    with pytest.raises(WriteError, match="export file: the disk is full"):
        write_synced(tmp_path / "f.csv", [os.urandom(fsutil._DIRECT_BUFFER)],
                     what="export file", direct=True)
    assert list(tmp_path.iterdir()) == []
