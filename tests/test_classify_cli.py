"""`pantau classify` on CSV (BOM, ';', latin-1) and JSONL, the hold-out rates, `pantau train --help`."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from pantau.classify.evaluate import holdout_rates
from pantau.cli import main

from classify_helpers import ELECTIONS_DIR, HOLDOUT, shipped_model  # noqa: F401

ELECTION = str(ELECTIONS_DIR / "pemilu-2024-presiden.toml")
ROWS = [
    ("1", "Ayo coblos 02 Prabowo Gibran tanggal 14 Februari! #PrabowoGibran"),
    ("2", "Selamat pagi, semangat kerja rekan-rekan kantor"),
    ("3", "KPU tetapkan jadwal debat capres kelima 4 Februari"),
    ("4", "Pak Ganjar pemimpin merakyat, sat set tas tes! 03 menang"),
]


def write_csv(path: Path, *, delimiter: str = ",", encoding: str = "utf-8",
              extra: str = "") -> Path:
    lines = [delimiter.join(["id", "tweet text", "note"])]
    for i, text in ROWS:
        lines.append(delimiter.join([i, f'"{text}"', f"catatan {extra}"]))
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def read_out(path: Path) -> list[dict[str, str]]:
    # The output is spreadsheet-safe CSV (pantau.csvsafe): UTF-8 with a BOM.
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def check(rows: list[dict[str, str]]) -> None:
    assert [r["id"] for r in rows] == ["1", "2", "3", "4"]
    by_id = {r["id"]: r for r in rows}
    assert by_id["1"]["pantau_flagged"] == "true" and by_id["1"]["pantau_rule"] == "DS-08"
    assert by_id["1"]["pantau_candidate"] == "2"
    assert by_id["4"]["pantau_flagged"] == "true" and by_id["4"]["pantau_candidate"] == "3"
    assert by_id["2"]["pantau_flagged"] == "false" and by_id["3"]["pantau_flagged"] == "false"
    assert " | " in by_id["1"]["pantau_reason"] and "paslon 02" in by_id["1"]["pantau_reason"]
    assert 0 <= float(by_id["1"]["pantau_confidence"]) <= 1


def test_classify_csv_with_bom(tmp_path: Path, shipped_model) -> None:  # noqa: F811
    src = write_csv(tmp_path / "in.csv", encoding="utf-8-sig")
    out = tmp_path / "out.csv"
    code = main(["classify", str(src), "--text-column", "tweet text", "--id-column", "id",
                 "--election", ELECTION, "--at", "2024-01-15", "-o", str(out)])
    assert code == 0
    rows = read_out(out)
    check(rows)
    assert list(rows[0])[:3] == ["id", "tweet text", "note"]  # input columns kept as given


def test_classify_semicolon_and_latin1_warns(tmp_path: Path, capsys: pytest.CaptureFixture,
                                             shipped_model) -> None:  # noqa: F811
    src = write_csv(tmp_path / "in.csv", delimiter=";", encoding="latin-1", extra="café")
    out = tmp_path / "out.csv"
    code = main(["classify", str(src), "--text-column", "tweet_text", "--election", ELECTION,
                 "--at", "2024-01-15", "-o", str(out)])
    assert code == 0
    assert "not UTF-8" in capsys.readouterr().err
    rows = read_out(out)
    check([{**r, "id": r["id"]} for r in rows])
    assert rows[0]["note"] == "catatan café"


def test_classify_jsonl_with_date_column(tmp_path: Path, shipped_model) -> None:  # noqa: F811
    src = tmp_path / "in.jsonl"
    dates = ["2024-01-15", "2024-01-15", "2024-01-15", "2023-11-01T10:00+07:00"]
    src.write_text("".join(json.dumps({"id": i, "text": t, "date": d}) + "\n"
                           for (i, t), d in zip(ROWS, dates, strict=True)), encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["classify", str(src), "--text-column", "text", "--date-column", "date",
                 "--election", ELECTION, "-o", str(out)]) == 0
    rows = {r["id"]: r for r in read_out(out)}
    assert rows["1"]["pantau_rule"] == "DS-08"
    assert rows["4"]["pantau_rule"] == "KE-02"  # before the determination: ethics rule


def test_classify_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    src = write_csv(tmp_path / "in.csv")
    assert main(["classify", str(src), "--text-column", "nope", "--election", ELECTION,
                 "--at", "2024-01-15"]) == 2
    assert "'nope' is not a column" in capsys.readouterr().err
    assert main(["classify", str(src), "--text-column", "tweet text",
                 "--election", ELECTION]) == 2
    assert "--at DATE or --date-column" in capsys.readouterr().err
    assert main(["classify", str(src), "--text-column", "tweet text", "--election", ELECTION,
                 "--at", "kemarin"]) == 2
    assert "not an ISO date" in capsys.readouterr().err


def test_help_has_examples(capsys: pytest.CaptureFixture) -> None:
    for cmd in ("train", "classify", "classify-store"):
        assert main([cmd, "--help"]) == 0
        assert "Example: pantau" in capsys.readouterr().out


def test_holdout_rates_meet_targets(shipped_model) -> None:  # noqa: F811
    """Hand-written tweets, not from the templates: the issue's acceptance targets."""
    rates = holdout_rates(HOLDOUT, ELECTIONS_DIR, shipped_model)
    assert rates["campaign_flagged"] >= 0.85, rates["counts"]
    assert rates["campaign_right_candidate"] >= 0.90, rates["counts"]
    assert rates["general_flagged"] <= 0.02, rates["counts"]
    assert rates["neutral_flagged"] <= 0.10, rates["counts"]
