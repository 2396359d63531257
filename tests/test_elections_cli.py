"""`pantau election …` end to end through `pantau.cli.main` (PANTAU_HOME is a tmp dir)."""

from __future__ import annotations

from pathlib import Path

import pytest
from elections_helpers import EXAMPLE_FILE, MINIMAL, SHIPPED_FILES, replace_line, write

from pantau.cli import main
from pantau.elections import load_election
from pantau.store import Store


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_load_then_list_show_and_stage(capsys, isolated_home: Path) -> None:
    code, out, _ = run(capsys, "election", "load", str(EXAMPLE_FILE))
    assert code == 0
    assert "loaded" in out and "Pramono Anung" in out and "2024-09-22" in out
    assert "1 watch-listed account(s), 1 keyword(s)" in out
    with Store.open(read_only=True) as store:
        assert load_election(store, "pilkada-2024-dki-jakarta").candidates[0].number == 1

    code, out, _ = run(capsys, "election", "list")
    assert code == 0 and "pilkada-2024-dki-jakarta" in out and "2024-11-27" in out

    code, out, _ = run(capsys, "election", "show", "pilkada-2024-dki-jakarta")
    assert code == 0
    assert "example_campaign_channel" in out and "salam tiga jari" in out

    code, out, _ = run(capsys, "election", "stage", "pilkada-2024-dki-jakarta",
                       "--at", "2024-11-20T10:00+07:00")
    assert code == 0
    assert "2024-11-20 10:00 WIB" in out and "calon (DS rules" in out


@pytest.mark.parametrize(("at", "expected"), [
    ("2024-09-21T16:59:59Z", "bakal_calon (KE rules"),
    ("2024-09-21T17:00:00Z", "calon (DS rules"),
    ("2024-09-21T23:59", "bakal_calon"),      # no offset: read in the election's zone (WIB)
    ("2024-09-22", "calon (DS"),              # a bare date: that local day
    ("2024-12-10", "after (no neutrality rule)"),
    ("2024-01-01", "before (no neutrality rule)"),
])
def test_stage_of_a_file_without_loading_it(capsys, at: str, expected: str) -> None:
    code, out, _ = run(capsys, "election", "stage", str(EXAMPLE_FILE), "--at", at)
    assert code == 0
    assert expected in out


def test_check_accepts_and_refuses(capsys, tmp_path: Path, isolated_home: Path) -> None:
    code, out, _ = run(capsys, "election", "check", str(SHIPPED_FILES[0]))
    assert code == 0 and out.startswith("ok ")
    bad = write(tmp_path, replace_line(MINIMAL, 'name = "Pilkada', 'nmae = "Pilkada'))
    code, _, err = run(capsys, "election", "check", str(bad))
    assert code == 2
    assert str(bad) in err and "line 3" in err and "'election.nmae'" in err
    assert not (isolated_home / "pantau.duckdb").exists()  # check never writes


def test_refused_load_keeps_the_stored_watchlist(capsys, tmp_path: Path) -> None:
    assert run(capsys, "election", "load", str(write(tmp_path, MINIMAL)))[0] == 0
    bad = write(tmp_path, replace_line(MINIMAL, "candidate = 2\n", "candidate = 9\n"), "b.toml")
    code, _, err = run(capsys, "election", "load", str(bad))
    assert code == 2 and "keywords[1].candidate" in err and "line 38" in err
    with Store.open(read_only=True) as store:
        assert load_election(store, "pilkada-2024-contoh").keywords[0].candidate == 2


def test_errors_are_one_line_messages(capsys) -> None:
    code, _, err = run(capsys, "election", "show", "nope")
    assert code == 1 and "no election 'nope'" in err and "Traceback" not in err
    code, _, err = run(capsys, "election", "stage", str(EXAMPLE_FILE), "--at", "next tuesday")
    assert code == 2 and "--at 'next tuesday'" in err
    code, _, err = run(capsys, "election", "load", "missing.toml")
    assert code == 2 and "missing.toml" in err and "cannot read" in err


def test_list_on_an_empty_store(capsys) -> None:
    code, out, _ = run(capsys, "election", "list")
    assert code == 0 and "no election loaded yet" in out


@pytest.mark.parametrize("command", ["load", "check", "list", "show", "stage"])
def test_every_command_has_help_with_an_example(capsys, command: str) -> None:
    code, out, _ = run(capsys, "election", command, "--help")
    assert code == 0 and "Example: pantau election" in out
