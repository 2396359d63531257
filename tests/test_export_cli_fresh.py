from __future__ import annotations

from pathlib import Path

from pantau.cli import main


def test_export_on_a_fresh_home_refuses_and_creates_nothing(isolated_home: Path, capsys) -> None:
    assert main(["export", "--week", "2024-W47"]) != 0
    assert "no database yet" in capsys.readouterr().err
    assert not isolated_home.exists()
