from __future__ import annotations

import os
import stat
from pathlib import Path

from pantau.fsutil import write_atomic


def test_existing_user_directory_keeps_its_mode(tmp_path: Path) -> None:
    user_dir = tmp_path / "shared-folder"
    user_dir.mkdir()
    os.chmod(user_dir, 0o755)
    out = write_atomic(user_dir / "asn.rejects.csv", b"x")
    assert stat.S_IMODE(user_dir.stat().st_mode) == 0o755
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_private_parent_tightens_pantau_directories(tmp_path: Path) -> None:
    own = tmp_path / "raw"
    own.mkdir()
    os.chmod(own, 0o755)
    write_atomic(own / "f.gz", b"x", private_parent=True)
    assert stat.S_IMODE(own.stat().st_mode) == 0o700
