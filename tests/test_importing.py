"""`pantau.importing`: the rules every row import shares, used directly as a library."""

from __future__ import annotations

import csv
import stat
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pantau.errors import ImportRejected, InputError, RowProblem
from pantau.importing import Problems, finish_checks, require_columns, write_rejects
from pantau.tabular import read_table


@dataclass
class Outcome:
    problems: list[RowProblem] = field(default_factory=list)
    rejected: int = 0


def table_of(tmp_path: Path, text: str):
    path = tmp_path / "laporan.csv"
    path.write_text(text, encoding="utf-8")
    return read_table(path)


def test_problems_are_listed_by_line_in_the_order_found() -> None:
    problems = Problems()
    problems.add(5, "nip", "17 digits")
    problems.add(2, None, "empty row")
    problems.add(5, "nama", "name is empty")
    assert 5 in problems and 3 not in problems
    assert [str(p) for p in problems.all()] == [
        "line 2: empty row",
        "line 5, column 'nip': 17 digits",
        "line 5, column 'nama': name is empty",
    ]


def test_finish_checks_refuses_unless_skipping(tmp_path: Path) -> None:
    problems = Problems()
    problems.add(3, "url", "not a URL")
    problems.add(3, "reporter", "empty")
    problems.add(4, "url", "not a URL")
    outcome = Outcome()
    with pytest.raises(ImportRejected) as info:
        finish_checks(problems, outcome, file=tmp_path / "x.csv", skip_invalid=False)
    assert len(info.value.problems) == 3 and "x.csv: 3 bad row(s)" in str(info.value)
    skipped = Outcome()
    finish_checks(problems, skipped, file=tmp_path / "x.csv", skip_invalid=True)
    assert skipped.rejected == 2 and len(skipped.problems) == 3


def test_finish_checks_without_problems_records_nothing(tmp_path: Path) -> None:
    outcome = Outcome()
    finish_checks(Problems(), outcome, file=tmp_path / "x.csv", skip_invalid=False)
    assert outcome.rejected == 0 and outcome.problems == []


def test_require_columns_names_the_file_and_its_header(tmp_path: Path) -> None:
    table = table_of(tmp_path, "URL,Deskripsi\nhttps://t.me/a/1,ajakan\n")
    require_columns(table, ("url",))
    with pytest.raises(InputError) as info:
        require_columns(table, ("url", "reporter", "description"))
    message = str(info.value)
    assert "laporan.csv" in message
    assert "missing required column 'reporter', 'description'" in message
    assert "(header has 'URL', 'Deskripsi')" in message


def test_write_rejects_beside_the_input_owner_only_and_formula_inert(tmp_path: Path) -> None:
    table = table_of(tmp_path, "URL,Reporter\nhttps://t.me/a/1,ani\n=HYPERLINK(\"x\"),budi\n")
    problems = Problems()
    assert write_rejects(table, problems) is None  # nothing bad: no file
    assert not (tmp_path / "laporan.rejects.csv").exists()
    problems.add(3, "url", "not a URL")
    problems.add(3, None, "second reason")
    target = write_rejects(table, problems)
    assert target == tmp_path / "laporan.rejects.csv"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with target.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows == [{"URL": "'=HYPERLINK(\"x\")", "Reporter": "budi", "line": "3",
                     "reason": "url: not a URL; second reason"}]


def test_write_rejects_to_a_named_path(tmp_path: Path) -> None:
    table = table_of(tmp_path, "url\nbad\n")
    problems = Problems()
    problems.add(2, "url", "not a URL")
    named = tmp_path / "out" / "bad.csv"
    assert write_rejects(table, problems, str(named)) == named and named.is_file()
