"""`pantau registry …` and `pantau accounts …` as a user runs them: exit codes and output."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pantau.cli import main
from pantau.store import Store

from registry_helpers import SAMPLES, read_csv


@pytest.fixture
def samples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "samples"
    shutil.copytree(SAMPLES, target)
    monkeypatch.setenv("COLUMNS", "200")  # wide enough that rich tables do not fold cells
    return target


def people_count(home: Path) -> int:
    db = home / "pantau.duckdb"
    if not db.exists():
        return 0
    with Store.open(db, read_only=True) as store:
        return store.count("asn")


def test_import_list_show(samples: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["registry", "import", str(samples / "asn.csv")]) == 0
    out = capsys.readouterr().out
    assert "rows read" in out and "unchanged" in out and "rejected" in out
    assert "20" in out

    assert main(["accounts", "import", str(samples / "accounts.csv")]) == 0
    assert "13" in capsys.readouterr().out

    assert main(["registry", "list", "--instansi", "sleman"]) == 0
    out = capsys.readouterr().out
    assert "Ayu Lestari Ningrum" in out and "PPPK" in out and "Arif Wicaksono" not in out

    assert main(["registry", "list", "--limit", "3"]) == 0
    assert "3 shown" in capsys.readouterr().out

    assert main(["registry", "show", "19900122 201503 2 004"]) == 0
    out = capsys.readouterr().out
    assert "Dewi Kartikasari" in out and "perempuan" in out
    assert "dewikartika.bsky.social" in out and "dewikartika_jkt" in out


def test_reimport_reports_nothing_new(samples: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["registry", "import", str(samples / "asn.csv")]) == 0
    capsys.readouterr()
    assert main(["registry", "import", str(samples / "asn.csv")]) == 0
    out = capsys.readouterr().out
    # rows read 20, new 0, updated 0, unchanged 20, rejected 0
    assert "│        20 │   0 │       0 │        20 │        0 │" in out


def test_mixed_file_refused_every_line_printed(
    samples: Path, isolated_home: Path, capsys: pytest.CaptureFixture
) -> None:
    code = main(["registry", "import", str(samples / "asn_with_errors.csv")])
    assert code != 0
    err = capsys.readouterr().err
    assert "8 bad row(s); nothing was imported" in err
    for line in (3, 4, 5, 6, 7, 8, 9, 11):
        assert f"asn_with_errors.csv: line {line}, column 'nip'" in err
    assert "--skip-invalid" in err
    assert people_count(isolated_home) == 0


def test_skip_invalid_and_rejects_option(
    samples: Path, isolated_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    rejects = tmp_path / "ditolak.csv"
    code = main(["registry", "import", str(samples / "asn_with_errors.csv"), "--skip-invalid",
                 "--rejects", str(rejects)])
    assert code == 0
    captured = capsys.readouterr()
    assert "ditolak.csv" in captured.out
    assert "line 5, column 'nip'" in captured.err
    assert people_count(isolated_home) == 3
    assert len(read_csv(rejects)) == 8


def test_accounts_refused_exit_code(samples: Path, capsys: pytest.CaptureFixture) -> None:
    # No people imported yet: every account's NIP is unknown.
    assert main(["accounts", "import", str(samples / "accounts.csv")]) != 0
    assert "not in the registry" in capsys.readouterr().err


def test_show_unknown_and_invalid_nip(samples: Path, capsys: pytest.CaptureFixture) -> None:
    main(["registry", "import", str(samples / "asn.csv")])
    capsys.readouterr()
    assert main(["registry", "show", "198705122009122001"]) == 1
    assert "not in the registry" in capsys.readouterr().err
    assert main(["registry", "show", "12345"]) == 2
    assert "not a valid NIP" in capsys.readouterr().err


def test_missing_file_and_list_without_database(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["registry", "import", str(tmp_path / "nope.csv")]) == 2
    assert "nope.csv: file not found" in capsys.readouterr().err
    assert main(["registry", "list"]) != 0
    assert "no database yet" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [["registry", "--help"], ["registry", "import", "--help"], ["registry", "list", "--help"],
     ["registry", "show", "--help"], ["accounts", "--help"], ["accounts", "import", "--help"]],
)
def test_help_has_an_example(argv: list[str], capsys: pytest.CaptureFixture) -> None:
    assert main(argv) == 0
    assert "Example: pantau" in capsys.readouterr().out
