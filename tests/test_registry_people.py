"""Importing ASN people: validation, atomicity, --skip-invalid, re-import, XLSX, headers."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from pantau.errors import ImportRejected, InputError
from pantau.registry import get_person, import_people, list_people
from pantau.store import Store

from registry_helpers import SAMPLES, read_csv, snapshot, write_csv

HEADER = ["nip", "nama", "jabatan", "golongan", "instansi", "unit_kerja", "wilayah"]
ANI = ["198705122009122001", "Ani Wulandari", "Analis", "III/b", "Pemkot Bogor", "Dinas Kominfo",
       "Jawa Barat"]
BUDI = ["197911302005011002", "Budi Hartono", "Camat", "IV/a", "Pemkab Bogor", "Kecamatan Cibinong",
        "Jawa Barat"]
CITRA = ["199203152022212004", "Citra Lestari", "Guru", "IX", "Pemkot Depok", "SDN 1 Depok",
         "Jawa Barat"]


@pytest.fixture
def store(isolated_home: Path):
    with Store.open() as s:
        yield s


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    """A copy of data/samples, so rejects files land in tmp_path."""
    target = tmp_path / "samples"
    shutil.copytree(SAMPLES, target)
    return target


def test_sample_registry_imports(store: Store, samples: Path) -> None:
    report = import_people(store, samples / "asn.csv")
    assert (report.rows_read, report.new, report.updated, report.unchanged) == (20, 20, 0, 0)
    assert report.rejected == 0 and report.rejects_path is None
    kinds = dict(store.rows("SELECT kind, count(*) FROM asn GROUP BY kind"))
    assert kinds == {"PNS": 18, "PPPK": 2}
    agencies = {r[0] for r in store.rows("SELECT name FROM agencies")}
    assert "Kementerian Keuangan" in agencies and len(agencies) == report.agencies_new == 8


def test_mixed_file_refused_with_every_bad_line_and_nothing_written(
    store: Store, samples: Path
) -> None:
    import_people(store, samples / "asn.csv")
    before = snapshot(store)
    with pytest.raises(ImportRejected) as exc:
        import_people(store, samples / "asn_with_errors.csv")
    assert snapshot(store) == before
    problems = exc.value.problems
    assert [p.line for p in problems] == [3, 4, 5, 6, 7, 8, 9, 11]
    assert {p.column for p in problems} == {"nip"}
    reasons = {p.line: p.reason for p in problems}
    assert "17 digits" in reasons[3]
    assert "found 'A'" in reasons[4]
    assert "gender 3" in reasons[5]
    assert "sequence 000" in reasons[6]
    assert "in the future" in reasons[7]
    assert "TMT month 13 is not a month" in reasons[8]
    assert "also on line 11" in reasons[9] and "also on line 9" in reasons[11]
    message = str(exc.value)
    assert "asn_with_errors.csv" in message and "nothing was imported" in message
    for line in (3, 4, 5, 6, 7, 8, 9, 11):
        assert f"line {line}, column 'nip'" in message
    assert not (samples / "asn_with_errors.rejects.csv").exists()


def test_skip_invalid_imports_exactly_the_good_rows(store: Store, samples: Path) -> None:
    report = import_people(store, samples / "asn_with_errors.csv", skip_invalid=True)
    assert (report.rows_read, report.new, report.rejected) == (11, 3, 8)
    nips = {r[0] for r in store.rows("SELECT nip FROM asn")}
    assert nips == {"198404162009012003", "199602142021212006", "197712242002121002"}
    assert report.rejects_path == samples / "asn_with_errors.rejects.csv"
    rejects = read_csv(report.rejects_path)
    # Original header names and values, plus line and reason.
    assert list(rejects[0]) == ["NIP", "Nama", "Jabatan", "Golongan", "Instansi", "Unit Kerja",
                                "Wilayah", "line", "reason"]
    assert [r["line"] for r in rejects] == ["3", "4", "5", "6", "7", "8", "9", "11"]
    assert rejects[0]["NIP"] == "19860722201001100"
    assert rejects[0]["Nama"] == "Andi Firmansyah"
    assert "17 digits" in rejects[0]["reason"]
    assert all(r["reason"] for r in rejects)


def test_skip_invalid_custom_rejects_path(store: Store, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "in.csv", [HEADER, ANI, ["123", "X", "", "", "", "", ""]])
    target = tmp_path / "out" / "bad.csv"
    report = import_people(store, f, skip_invalid=True, rejects_path=target)
    assert report.rejects_path == target and report.new == 1
    assert [r["line"] for r in read_csv(target)] == ["3"]


def test_skip_invalid_with_no_bad_rows_writes_no_rejects_file(store: Store, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "in.csv", [HEADER, ANI])
    report = import_people(store, f, skip_invalid=True)
    assert report.rejects_path is None and not (tmp_path / "in.rejects.csv").exists()


def test_reimport_is_a_no_op(store: Store, samples: Path) -> None:
    import_people(store, samples / "asn.csv")
    before = snapshot(store)
    report = import_people(store, samples / "asn.csv")
    assert (report.new, report.updated, report.unchanged, report.agencies_new) == (0, 0, 20, 0)
    assert snapshot(store) == before  # not even imported_at moved


def test_changed_person_is_updated(store: Store, tmp_path: Path) -> None:
    import_people(store, write_csv(tmp_path / "a.csv", [HEADER, ANI, BUDI]))
    budi_before = store.rows("SELECT * FROM asn WHERE nip = ?", [BUDI[0]])
    promoted = [*ANI[:2], "Analis Ahli Madya", "IV/a", *ANI[4:]]
    report = import_people(store, write_csv(tmp_path / "b.csv", [HEADER, promoted, BUDI]))
    assert (report.new, report.updated, report.unchanged) == (0, 1, 1)
    person = get_person(store, ANI[0])
    assert person is not None
    assert (person["jabatan"], person["golongan"]) == ("Analis Ahli Madya", "IV/a")
    assert store.rows("SELECT * FROM asn WHERE nip = ?", [BUDI[0]]) == budi_before


def test_conflicting_duplicate_nip_names_both_lines(store: Store, tmp_path: Path) -> None:
    other = [ANI[0], "Ani W.", *ANI[2:]]
    f = write_csv(tmp_path / "dup.csv", [HEADER, ANI, BUDI, other])
    with pytest.raises(ImportRejected) as exc:
        import_people(store, f)
    assert [(p.line, p.column) for p in exc.value.problems] == [(2, "nip"), (4, "nip")]
    assert "also on line 4" in exc.value.problems[0].reason
    assert "nama differ" in exc.value.problems[0].reason
    assert store.count("asn") == 0


def test_identical_duplicate_rows_are_fine(store: Store, tmp_path: Path) -> None:
    spaced = ["19870512 200912 2 001", *ANI[1:]]  # same NIP, typed with spaces
    report = import_people(store, write_csv(tmp_path / "d.csv", [HEADER, ANI, spaced, BUDI]))
    assert (report.rows_read, report.new, report.duplicates) == (3, 2, 1)


def test_every_bad_row_reported_with_line_and_column(store: Store, tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "bad.csv",
        [HEADER, ["198705122009122001", "", "", "", "", "", ""], ANI,
         ["19870512200912200", "   ", "", "", "", "", ""]],
    )
    with pytest.raises(ImportRejected) as exc:
        import_people(store, f)
    assert [(p.line, p.column) for p in exc.value.problems] == [
        (2, "nama"), (4, "nip"), (4, "nama")
    ]


def test_header_case_insensitive_extra_columns_kept(store: Store, tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "h.csv",
        [["NIP", "NAMA", "Jabatan", "Unit Kerja", "Email Dinas", "No HP"],
         [ANI[0], "  Ani   Wulandari ", "Analis", "Dinas Kominfo", "ani@bogorkota.go.id", ""]],
        delimiter=";",
    )
    report = import_people(store, f)
    assert report.new == 1
    assert any("instansi" in w for w in report.warnings)  # absent expected columns are named
    person = get_person(store, "19870512.200912.2.001")
    assert person is not None
    assert person["nama"] == "Ani Wulandari"  # whitespace collapsed
    assert person["unit_kerja"] == "Dinas Kominfo"
    assert person["instansi"] is None
    assert person["extra"] == {"email_dinas": "ani@bogorkota.go.id", "no_hp": ""}
    assert person["birth_date"] == date(1987, 5, 12) and person["gender"] == 2
    raw = store.rows("SELECT extra FROM asn")[0][0]
    assert json.loads(raw)["email_dinas"] == "ani@bogorkota.go.id"


def test_absent_column_keeps_stored_value(store: Store, tmp_path: Path) -> None:
    import_people(store, write_csv(tmp_path / "full.csv", [HEADER, ANI]))
    report = import_people(
        store, write_csv(tmp_path / "short.csv", [["nip", "nama"], ANI[:2]])
    )
    assert (report.updated, report.unchanged) == (0, 1)
    person = get_person(store, ANI[0])
    assert person is not None and person["instansi"] == "Pemkot Bogor"


def test_missing_required_column_is_named(store: Store, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "m.csv", [["NIP", "jabatan"], [ANI[0], "Analis"]])
    with pytest.raises(InputError) as exc:
        import_people(store, f)
    assert "missing required column 'nama'" in str(exc.value)
    assert "m.csv" in str(exc.value)


def test_xlsx_import(store: Store, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["NIP", "Nama", "Jabatan", "Golongan", "Instansi", "Unit Kerja", "Wilayah",
                  "Catatan"])
    sheet.append([*ANI, "pindahan 2023"])
    sheet.append(CITRA + [None])
    sheet.append([1.98705122009122e17, "Rusak Excel", "", "", "", "", "", None])
    path = tmp_path / "asn.xlsx"
    book.save(path)
    with pytest.raises(ImportRejected) as exc:
        import_people(store, path)
    assert [(p.line, p.column) for p in exc.value.problems] == [(4, "nip")]
    assert "rounded by a spreadsheet" in exc.value.problems[0].reason
    report = import_people(store, path, skip_invalid=True)
    assert report.new == 2 and report.rejects_path == tmp_path / "asn.rejects.csv"
    citra = get_person(store, CITRA[0])
    assert citra is not None and citra["kind"] == "PPPK" and citra["golongan"] == "IX"
    ani = get_person(store, ANI[0])
    assert ani is not None and ani["extra"] == {"catatan": "pindahan 2023"}


def test_list_people_filters(store: Store, samples: Path) -> None:
    import_people(store, samples / "asn.csv")
    everyone = list_people(store)
    assert len(everyone) == 20 and "accounts" in everyone.columns
    sleman = list_people(store, instansi="sleman")
    assert len(sleman) == 4 and set(sleman["instansi"]) == {"Pemerintah Kabupaten Sleman"}
    jabar = list_people(store, wilayah="JAWA BARAT", instansi="kota bandung")
    assert len(jabar) == 3
    assert len(list_people(store, limit=5)) == 5
    assert list_people(store, instansi="tidak ada").empty


def test_get_person_unknown(store: Store) -> None:
    assert get_person(store, "198705122009122001") is None
