"""`pantau review list|show|decide` from the terminal."""

from __future__ import annotations

from pantau.cli import main
from pantau.store import Store
from review_helpers import world_store  # noqa: F401  (pytest fixture)


def test_review_list_show_decide(world_store, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    store, world = world_store
    store.close()
    cid = world.cases["ajakan"]

    assert main(["review", "list", "--platform", "telegram"]) == 0
    out = capsys.readouterr().out
    assert cid[:10] in out and "Budi Santoso" in out and "2 case(s)" in out

    assert main(["review", "show", cid[:8]]) == 0
    out = capsys.readouterr().out
    assert "2024-11-18 09:15 WIB" in out and "verifies" in out and "decisions none yet" in out

    assert main(["review", "decide", cid[:8], "--verdict", "confirmed", "--reviewer", "Sari",
                 "--note", "ajakan memilih 01"]) == 0
    assert "case is now confirmed (exportable)" in capsys.readouterr().out
    with Store.open(read_only=True) as ro:
        assert ro.rows("SELECT case_id, verdict, reviewer, note FROM decisions") == [
            (cid, "confirmed", "Sari", "ajakan memilih 01")]

    assert main(["review", "list", "--status", "confirmed"]) == 0
    assert "1 case(s)" in capsys.readouterr().out
    assert main(["review", "decide", cid, "--verdict", "approve", "--reviewer", "Sari"]) == 2
    assert "unknown verdict" in capsys.readouterr().err
    assert main(["review", "show", "ffffffffff"]) == 2
    assert "unknown case" in capsys.readouterr().err


def test_review_list_without_a_store_says_so(isolated_home, capsys):
    assert main(["review", "list"]) != 0
    assert "no database yet" in capsys.readouterr().err


def test_every_command_has_help_with_an_example(capsys):
    for argv in (["review", "list"], ["review", "show"], ["review", "decide"],
                 ["audit", "verify"], ["export"]):
        assert main([*argv, "--help"]) == 0
        assert "Example: pantau" in capsys.readouterr().out
