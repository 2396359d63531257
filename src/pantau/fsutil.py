"""Writing files that hold personal data: owner-only, all or nothing, with a clear error.

Every file pantau writes under PANTAU_HOME (raw evidence, exports and their manifests,
import rejects, the audit head) goes through `write_atomic`: the bytes go to a temporary file
created 0600 beside the target, are flushed to disk, then renamed over the target. A reader,
or the next run after a crash, sees the old file or the new one, never half of one. A full
disk or a read-only directory becomes a `WriteError` naming the file; the temporary file is
removed, so nothing half-written is left behind.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import mmap
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from .errors import WriteError

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700

_HINTS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
}


def describe_os_error(exc: OSError) -> str:
    """A short reason for an OSError, e.g. 'the disk is full (No space left on device)'."""
    detail = exc.strerror or str(exc)
    hint = _HINTS.get(exc.errno or 0)
    return f"{hint} ({detail})" if hint else detail


def private_dir(path: Path) -> Path:
    """Create `path` 0700, and every missing parent 0700 too (``mkdir(parents=True)`` would
    give parents the umask's mode, e.g. ``raw/`` 0755); `path` itself is tightened if it exists.
    """
    missing = [p for p in (path, *path.parents) if not p.exists()]
    try:
        for directory in reversed(missing):
            directory.mkdir(mode=PRIVATE_DIR, exist_ok=True)
            os.chmod(directory, PRIVATE_DIR)  # mkdir's mode is masked by the umask
    except OSError as exc:
        raise WriteError(f"cannot create the directory: {describe_os_error(exc)}",
                         file=path) from None
    try:
        os.chmod(path, PRIVATE_DIR)
    except OSError:
        pass  # not ours to change (a shared parent); the files inside are still 0600
    return path


def write_atomic(path: str | Path, data: bytes, *, what: str = "file",
                 private_parent: bool = False) -> Path:
    """Write `data` to `path` owner-only and atomically (temporary file, fsync, rename).

    Raises `WriteError` naming `path` (and saying `what` it is) when the disk is full or the
    directory cannot be written; no temporary or partial file is left in that case.
    ``private_parent=True`` also tightens an existing parent directory to 0700: only for
    directories pantau owns (under PANTAU_HOME), never beside a user's own files.
    """
    return write_atomic_stream(path, (data,), what=what, private_parent=private_parent)


def temporary_path(path: Path) -> Path:
    """Where `write_atomic` and `write_unsynced` write `path` before renaming it: a hidden
    ``.<name>.<pid>.tmp`` beside it (a killed write leaves it behind, never `path` itself)."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def temporary_of(name: str) -> str | None:
    """The file name a `temporary_path` file was to become; None for any other name."""
    match = re.fullmatch(r"\.(.+)\.\d+\.tmp", name)
    return match[1] if match else None


def write_atomic_stream(path: str | Path, chunks: Iterable[bytes], *, what: str = "file",
                        private_parent: bool = False) -> Path:
    """`write_atomic` for output too big to hold as one `bytes`: `chunks` (e.g. a generator
    rendering a batch of rows at a time) are written to the temporary file one by one, so
    memory stays bounded by the largest chunk.

    By default missing directories are created 0700 but an existing one (a user's working
    directory, /tmp, the folder of an import file) keeps its mode; ``private_parent=True``
    tightens it too, for directories under PANTAU_HOME. An exception raised by `chunks` itself
    also leaves nothing behind.
    """
    path = Path(path)
    return move_into_place(write_synced(path, chunks, what=what, private_parent=private_parent),
                           path, what=what)


def write_synced(path: str | Path, chunks: Iterable[bytes | memoryview], *, what: str = "file",
                 private_parent: bool = False, direct: bool = False) -> Path:
    """The first half of `write_atomic_stream`, for a writer that names the file only once it
    has seen the content (an export's revision): `chunks` in ``temporary_path(path)``, complete
    and flushed to disk. Returns that temporary file; `move_into_place` finishes the write
    under any name in the same directory. On an error nothing is left behind.

    ``direct=True`` writes around the page cache (O_DIRECT, where the file system takes it):
    for a file of hundreds of MB, copying it into the cache costs more CPU than producing it,
    and the cache would only be flushed again by the fsync."""
    path = Path(path)
    if private_parent:
        private_dir(path.parent)
    elif not path.parent.is_dir():
        private_dir(path.parent)  # only what is missing is ours to create
    tmp = temporary_path(path)
    try:
        fd = _open_new(tmp, direct)
        try:
            os.fchmod(fd, PRIVATE_FILE)  # O_CREAT's mode is only used for a new file
            with _DirectFile(fd) if direct else os.fdopen(fd, "wb", closefd=False) as fh:
                for chunk in chunks:
                    fh.write(chunk)
            os.fsync(fd)
        except BaseException:
            _remove_quietly(tmp)
            raise
        finally:
            os.close(fd)
    except OSError as exc:
        raise WriteError(f"cannot write the {what}: {describe_os_error(exc)}; nothing was "
                         "written (the previous version, if any, is intact)", file=path) from None
    return tmp


def _open_new(path: Path, direct: bool) -> int:
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    if direct and _O_DIRECT:
        try:
            return os.open(path, flags | _O_DIRECT, PRIVATE_FILE)
        except OSError as exc:
            if exc.errno != errno.EINVAL:  # EINVAL: this file system has no direct I/O
                raise
    return os.open(path, flags, PRIVATE_FILE)


_O_DIRECT = getattr(os, "O_DIRECT", 0)
_BLOCK = 4096                 # direct I/O offsets and lengths: multiples of the block size
_DIRECT_BUFFER = 8 << 20


class _DirectFile:
    """Writes to an fd opened with O_DIRECT through an aligned buffer, whole blocks at a time;
    the last block is padded and the file cut back to its true size. Where the fd is not
    direct (the file system refused it), or a direct write is refused, it writes as usual."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.direct = bool(_O_DIRECT and fcntl.fcntl(fd, fcntl.F_GETFL) & _O_DIRECT)
        self.buffer = mmap.mmap(-1, _DIRECT_BUFFER)   # page-aligned
        self.filled = 0
        self.size = 0

    def __enter__(self) -> _DirectFile:
        return self

    def __exit__(self, kind: object, *rest: object) -> None:
        try:
            if kind is None:
                self._finish()
        finally:
            self.buffer.close()

    def write(self, data: bytes | memoryview) -> None:
        with memoryview(data) as view, view.cast("B") as rest:
            while rest:
                n = min(len(rest), _DIRECT_BUFFER - self.filled)
                self.buffer[self.filled:self.filled + n] = rest[:n]
                self.filled += n
                rest = rest[n:]
                if self.filled == _DIRECT_BUFFER:
                    self._flush(self.filled)

    def _flush(self, length: int) -> None:
        with memoryview(self.buffer) as whole, whole[:length] as block:
            if self.direct:
                try:
                    written = os.write(self.fd, block)
                except OSError as exc:
                    if exc.errno != errno.EINVAL or self.size:
                        raise
                    self._undirect()         # refused at the first write: no direct I/O here
                    written = 0
                if self.direct and written != length:
                    raise OSError(errno.EIO, f"short direct write ({written} of {length} bytes)")
            if not self.direct:
                _write_all(self.fd, block)
        self.size += min(length, self.filled)
        self.filled = 0

    def _undirect(self) -> None:
        fcntl.fcntl(self.fd, fcntl.F_SETFL, fcntl.fcntl(self.fd, fcntl.F_GETFL) & ~_O_DIRECT)
        self.direct = False

    def _finish(self) -> None:
        if not self.filled:
            return
        if not self.direct:
            self._flush(self.filled)
            return
        padded = -(-self.filled // _BLOCK) * _BLOCK
        self.buffer[self.filled:padded] = bytes(padded - self.filled)
        size = self.size + self.filled
        self._flush(padded)
        os.ftruncate(self.fd, size)
        self.size = size


def _write_all(fd: int, data: memoryview) -> None:
    while data:
        data = data[os.write(fd, data):]


def move_into_place(tmp: Path, path: str | Path, *, what: str = "file") -> Path:
    """Rename a `write_synced` temporary file over `path` (same directory): the new content
    whole, or on an error the old one intact and the temporary file removed."""
    path = Path(path)
    try:
        os.replace(tmp, path)
    except OSError as exc:
        _remove_quietly(tmp)
        raise WriteError(f"cannot write the {what}: {describe_os_error(exc)}; nothing was "
                         "written (the previous version, if any, is intact)", file=path) from None
    return path


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass  # the original error says more


def write_unsynced(path: Path, data: bytes, *, what: str = "file") -> Path:
    """The first half of a batch write (`publish` is the second): `data` in a temporary file
    created 0600 beside `path`, not yet flushed to disk nor renamed. Returns its path. The
    parent directory must exist."""
    tmp = temporary_path(path)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
        try:
            os.fchmod(fd, PRIVATE_FILE)   # O_CREAT's mode is only used for a new file
            _write_all(fd, memoryview(data))
        finally:
            os.close(fd)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise WriteError(f"cannot write the {what}: {describe_os_error(exc)}; nothing was "
                         "written", file=path) from None
    return tmp


def publish(staged: Sequence[tuple[Path, Path]], *, what: str = "file") -> None:
    """Make a batch of `write_unsynced` files durable, then rename each (temporary, target)
    over its target: the atomicity of `write_atomic` with two syncs for the whole batch
    instead of one per file (on Linux; one per file elsewhere).

    A crash before the end leaves old targets or new complete ones, never a partial one, and
    maybe temporary files. On an error every temporary file is removed and `WriteError` names
    a target; targets renamed before it (a directory that could not be synced) are complete
    but may not survive a crash. The renames are durable when this returns (their directories
    are synced)."""
    if not staged:
        return
    try:
        _sync_files([tmp for tmp, _ in staged])      # the contents, before any rename
        for tmp, target in staged:
            os.replace(tmp, target)
        for directory in sorted({target.parent for _, target in staged}):
            _fsync_path(directory)                    # the renames
    except OSError as exc:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        target = next((t for _, t in staged if not t.is_file()), staged[0][1])
        raise WriteError(f"cannot write the {what}: {describe_os_error(exc)}",
                         file=target) from None


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _syncfs() -> object | None:
    """libc's syncfs(2) (Linux): flushes one file system; None where there is none."""
    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (AttributeError, OSError):
        return None


_SYNCFS = _syncfs()


def _sync_files(paths: Sequence[Path]) -> None:
    """Flush these files' contents to disk: one syncfs per file system they are on (fsync
    costs a journal commit per file: a third of the CPU of writing a small evidence file),
    else an fsync per file."""
    if _SYNCFS is None:
        for path in paths:
            _fsync_path(path)
        return
    devices: dict[int, Path] = {}
    for path in paths:
        devices.setdefault(os.stat(path).st_dev, path)
    for path in devices.values():
        fd = os.open(path, os.O_RDONLY)
        try:
            if _SYNCFS(fd) != 0:  # type: ignore[operator]
                err = ctypes.get_errno()
                raise OSError(err, os.strerror(err))
        finally:
            os.close(fd)


__all__ = ["PRIVATE_DIR", "PRIVATE_FILE", "describe_os_error", "move_into_place", "private_dir",
           "publish", "temporary_of", "temporary_path", "write_atomic", "write_atomic_stream",
           "write_synced", "write_unsynced"]
