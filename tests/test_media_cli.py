"""`pantau media analyze` and `pantau media pending` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from media_helpers import HANDS_DIR, render_poster
from pantau.cli import main

ELECTION_TOML = """
[election]
id = "pilkada-2024-dki-jakarta"
name = "Pilkada 2024 Provinsi DKI Jakarta"
kind = "pilkada"
region = "DKI Jakarta"
timezone = "Asia/Jakarta"

[election.calendar]
candidate_registration = 2024-08-27
candidate_determination = 2024-09-22
campaign_start = 2024-09-25
campaign_end = 2024-11-23
vote = 2024-11-27

[[candidates]]
number = 1
names = ["Ridwan Kamil", "Suswono"]

[[candidates]]
number = 2
names = ["Dharma Pongrekun", "Kun Wardana"]
aliases = ["Dharma-Kun"]

[[candidates]]
number = 3
names = ["Pramono Anung", "Rano Karno"]
aliases = ["Pramono-Rano"]
"""


def _lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.mark.slow
def test_analyze_prints_one_object_per_file_and_goes_on_after_a_bad_one(tmp_path, capsys):
    bad = tmp_path / "not-a-photo.jpg"
    bad.write_text("<html>forbidden</html>")
    poster = tmp_path / "poster.png"
    poster.write_bytes(render_poster(["COBLOS NO. 3", "Pilih Pramono–Rano"], skew=5, scale=0.5))
    photo = HANDS_DIR / "3_1528505750.77_pic00008.jpg"  # four raised fingers

    code = main(["media", "analyze", str(bad), str(photo), str(poster)])

    assert code == 1
    first, second, third = _lines(capsys.readouterr().out)
    assert first["file"] == str(bad) and "not an image" in first["error"]
    assert second["file"] == str(photo) and len(second["sha256"]) == 64
    assert [(h["fingers"], h["pose"]) for h in second["hands"]] == [(4, "four")]
    assert 0 < second["hands"][0]["confidence"] <= 1
    assert "flags" not in second
    assert third["hands"] == [] and "COBLOS NO. 3" in third["ocr_text"]


@pytest.mark.slow
def test_analyze_with_an_election_prints_the_flags(tmp_path, capsys):
    election = tmp_path / "jakarta.toml"
    election.write_text(ELECTION_TOML)
    photo = HANDS_DIR / "2_pic00331.jpg"  # V sign

    code = main(["media", "analyze", str(photo), "--election", str(election),
                 "--at", "2024-11-01", "--caption", "Salam dua jari, Dharma-Kun!", "--no-ocr"])

    assert code == 0
    (record,) = _lines(capsys.readouterr().out)
    (flag,) = record["flags"]
    assert (flag["rule"], flag["candidate"], flag["flagged"]) == ("DS-07", 2, True)
    assert flag["case_id"] and "Dharma Pongrekun" in flag["reason_en"]


def test_analyze_help_has_an_example(capsys):
    assert main(["media", "analyze", "--help"]) == 0
    assert "Example: pantau media analyze" in capsys.readouterr().out


def test_bad_election_file_is_a_clean_error(tmp_path, capsys):
    photo = HANDS_DIR / "2_pic00331.jpg"
    missing = Path(tmp_path / "nope.toml")
    assert main(["media", "analyze", str(photo), "--election", str(missing)]) != 0
    assert "nope.toml" in capsys.readouterr().err


def test_pending_on_an_empty_store_prints_a_summary(capsys):
    assert main(["media", "pending", "--no-ocr"]) == 0
    summary = json.loads(capsys.readouterr().out)
    analysis, download = summary["analysis"], summary["download"]
    assert analysis["pending"] == 0 and analysis["analyzed"] == 0 and analysis["errors"] == []
    assert download["pending"] == 0 and download["downloaded"] == 0


def test_download_records_a_disallowed_host_without_fetching(capsys):
    from datetime import UTC, datetime

    from pantau.records import Activity, Media
    from pantau.store import Store
    from pantau.store.activities import activities_table

    with Store.open() as store:
        store.upsert("activities", activities_table([Activity(
            platform="telegram", type="post", actor_id="dinas_x", actor_handle="dinas_x",
            native_id="dinas_x/1", text="foto", created_at=datetime(2024, 11, 1, tzinfo=UTC),
            media=[Media("https://evil.example/x.jpg")])]), key=["activity_id"])
    assert main(["media", "download"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["pending"], summary["disallowed"], summary["downloaded"]) == (1, 1, 0)
    assert "https://evil.example/x.jpg" in summary["errors"][0]
    with Store.open(read_only=True) as store:
        assert store.rows("SELECT url FROM quarantine") == [("https://evil.example/x.jpg",)]


def test_download_help_has_an_example(capsys):
    assert main(["media", "download", "--help"]) == 0
    assert "Example: pantau media download" in capsys.readouterr().out
