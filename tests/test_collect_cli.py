"""`pantau collect`, `pantau errors` and `pantau evidence verify|show` against a loopback server."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from collect_helpers import ATTEMPTS, World, loopback_env, seed_work_list
from pantau.cli import main
from pantau.cli.collect import parse_since
from pantau.config import get_settings
from pantau.errors import InputError
from pantau.store import Store


@pytest.fixture()
def world_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    world = World()
    world.fault("/s/topwar_official", {"before": "70996"}, *["truncated"] * ATTEMPTS)
    server, base = world.serve()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PANTAU_HOME", str(tmp_path / "home"))
    for key, value in loopback_env(base).items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    with Store.open() as store:
        seed_work_list(store)
    yield tmp_path / "home"
    server.shutdown()
    get_settings.cache_clear()


def test_collect_errors_and_evidence_commands(world_env: Path, capsys) -> None:
    assert main(["collect", "--platform", "telegram", "--platform", "mastodon"]) == 0
    out = capsys.readouterr()
    assert "Collection run" in out.out and "quarantined" in out.out
    assert "before=70996" in out.err and "refused" in out.err

    assert main(["errors", "--limit", "5"]) == 0
    out = capsys.readouterr().out
    assert "truncated HTML" in out and "Quarantined items (1 of 1)" in out

    assert main(["evidence", "verify"]) == 0
    assert "all intact" in capsys.readouterr().out

    with Store.open(read_only=True) as store:
        sha, rel = store.rows("SELECT sha256, path FROM evidence ORDER BY path LIMIT 1")[0]
    assert main(["evidence", "show", sha[:10]]) == 0
    shown = capsys.readouterr().out
    assert sha in shown and rel in shown and "activities" in shown

    (world_env / rel).write_bytes(gzip.compress(b"edited by hand"))
    assert main(["evidence", "verify"]) == 1
    assert "altered" in capsys.readouterr().err
    (world_env / rel).unlink()
    assert main(["evidence", "verify"]) == 1
    assert "missing" in capsys.readouterr().err

    assert main(["evidence", "show", "abcdef12"]) == 1


def test_collect_rejects_a_bad_since(world_env: Path, capsys) -> None:
    assert main(["collect", "--since", "next tuesday"]) == 2
    assert "--since 'next tuesday'" in capsys.readouterr().err


def test_parse_since_reads_dates_in_wib() -> None:
    assert parse_since("2024-11-01").isoformat() == "2024-10-31T17:00:00+00:00"
    assert parse_since("2024-11-01T08:00:00Z").isoformat() == "2024-11-01T08:00:00+00:00"
    assert parse_since(None) is None
    with pytest.raises(InputError):
        parse_since("2024-13-01")


def test_every_command_has_help_with_an_example(capsys) -> None:
    for argv in (["collect"], ["errors"], ["evidence", "verify"], ["evidence", "show"]):
        assert main([*argv, "--help"]) == 0
        assert "Example: pantau" in capsys.readouterr().out
