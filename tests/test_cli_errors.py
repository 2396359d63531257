from __future__ import annotations

from pathlib import Path

from pantau.cli import main


def test_error_messages_cannot_drive_the_terminal(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "asn\x1b[31m.csv"
    assert main(["registry", "import", str(bad)]) == 2
    message = capsys.readouterr().err
    assert "file not found" in message
    assert "\x1b" not in message


def test_multi_line_refusal_keeps_its_lines(tmp_path: Path, capsys) -> None:
    f = tmp_path / "asn.csv"
    f.write_text("nip,nama\n123,A\n456,B\n", encoding="utf-8")
    assert main(["registry", "import", str(f)]) == 2
    message = capsys.readouterr().err
    assert "line 2" in message and "line 3" in message
