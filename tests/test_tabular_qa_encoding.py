"""Non-UTF-8 registry exports from Windows/Excel read as Windows-1252, not a guessed code page."""

from __future__ import annotations

from pathlib import Path

from pantau.tabular import read_table


def test_short_windows_1252_file_is_not_misread_as_baltic(tmp_path: Path) -> None:
    # charset_normalizer alone reads this as cp775 and yields "J³rgen Simķon".
    f = tmp_path / "asn.csv"
    f.write_bytes("nip,nama\n199001222015032004,Jürgen Siméon\n".encode("latin-1"))
    t = read_table(f)
    assert t.rows[0].values["nama"] == "Jürgen Siméon"
    assert t.encoding == "cp1252"
    assert "read as cp1252" in t.warnings[0]


def test_windows_1252_typographic_quotes_and_dashes(tmp_path: Path) -> None:
    f = tmp_path / "asn.csv"
    f.write_bytes("nip,jabatan\n1,Kepala Seksi – ‘Umum’\n".encode("cp1252"))
    assert read_table(f).rows[0].values["jabatan"] == "Kepala Seksi – ‘Umum’"


def test_non_latin_text_still_goes_to_detection(tmp_path: Path) -> None:
    # Bytes that are undefined in cp1252 (0x81, 0x8d, 0x8f, 0x90, 0x9d) rule it out.
    f = tmp_path / "a.csv"
    f.write_bytes("id,text\n1,".encode() + "Привет".encode("cp1251") + b"\x81\n")
    t = read_table(f)
    assert t.encoding != "cp1252"
