from __future__ import annotations

from pathlib import Path

import pytest

from pantau.errors import InputError
from pantau.tabular import read_table


def test_semicolon_bom_and_header_case(tmp_path: Path) -> None:
    f = tmp_path / "a.csv"
    f.write_bytes("\ufeffNIP;Nama;Unit Kerja\n1;Ani;Dinas A\n\n2;Budi;Dinas B\n".encode())
    t = read_table(f)
    assert t.headers == ["nip", "nama", "unit_kerja"]
    assert t.delimiter == ";"
    assert [r.line for r in t.rows] == [2, 4]
    assert t.rows[1].values == {"nip": "2", "nama": "Budi", "unit_kerja": "Dinas B"}
    assert t.warnings == []


def test_multiline_cell_keeps_start_line(tmp_path: Path) -> None:
    f = tmp_path / "a.csv"
    f.write_text('id,text\n1,"two\nlines"\n2,three\n', encoding="utf-8")
    t = read_table(f)
    assert [r.line for r in t.rows] == [2, 4]
    assert t.rows[0].values["text"] == "two\nlines"


def test_latin1_detected_with_warning(tmp_path: Path) -> None:
    f = tmp_path / "a.csv"
    f.write_bytes("id,text\n1,Caf\xe9 di Bogor yang sangat ramai sekali hari ini\n".encode("latin-1"))
    t = read_table(f)
    assert "é" in t.rows[0].values["text"]
    assert t.warnings and "not UTF-8" in t.warnings[0]


def test_named_encoding_mismatch_names_line(tmp_path: Path) -> None:
    f = tmp_path / "a.csv"
    f.write_bytes(b"id,text\n1,ok\n2,\xff\xfe\n")
    with pytest.raises(InputError) as exc:
        read_table(f, encoding="utf-8")
    assert exc.value.line == 3
    assert "a.csv" in str(exc.value)


def test_too_many_fields_names_line(tmp_path: Path) -> None:
    f = tmp_path / "a.csv"
    f.write_text("a,b\n1,2\n3,4,5\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_table(f)
    assert exc.value.line == 3


def test_nul_byte_refused(tmp_path: Path) -> None:
    f = tmp_path / "a.csv"
    f.write_bytes(b"a,b\n1,2\n3,\x004\n")
    with pytest.raises(InputError) as exc:
        read_table(f)
    assert exc.value.line == 3


def test_jsonl_bad_line(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    f.write_text('{"Text": "ok"}\n{"text": \n', encoding="utf-8")
    with pytest.raises(InputError) as exc:
        read_table(f)
    assert exc.value.line == 2


def test_jsonl_headers_normalised(tmp_path: Path) -> None:
    f = tmp_path / "a.jsonl"
    f.write_text('{"Text": "ok", "ID": 1}\n\n{"text": "b", "id": 2}\n', encoding="utf-8")
    t = read_table(f)
    assert [r.values["text"] for r in t.rows] == ["ok", "b"]
    assert [r.line for r in t.rows] == [1, 3]


def test_xlsx(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["NIP", "Nama"])
    ws.append(["198705122009121001", "Ani"])
    ws.append([198705122009121001, "Budi"])  # typed as a number: digits lost in Excel
    f = tmp_path / "a.xlsx"
    wb.save(f)
    t = read_table(f)
    assert t.rows[0].values["nip"] == "198705122009121001"
    assert t.rows[1].values["nip"] != "198705122009121001"
    assert t.rows[1].line == 3


def test_missing_and_empty(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_table(tmp_path / "none.csv")
    f = tmp_path / "empty.csv"
    f.write_text("")
    with pytest.raises(InputError, match="empty"):
        read_table(f)
