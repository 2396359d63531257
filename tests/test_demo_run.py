"""`pantau demo` end to end at a small scale: real flows over HTTP, review, export, scoring.

One temporary Prefect server (the demo's own `own_prefect_server`) is shared by both demo runs
of this module, so its start-up is paid once.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from pantau import cli
from pantau.classify.model import default_model_dir
from pantau.cli.demo import print_summary
from pantau.config import get_settings
from pantau.demo import build_world
from pantau.demo.prefect_env import own_prefect_server
from pantau.demo.run import MARKER, REVIEWER, DemoSummary, prepare_home, run_demo
from pantau.demo.world import activity_id
from pantau.errors import InputError, ModelError
from pantau.store import Store

SCALE = 0.2


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped model; while none is shipped, a small one from the same training code."""
    try:
        return default_model_dir()
    except ModelError:
        from pantau.classify.train import train

        out = tmp_path_factory.mktemp("model") / "small"
        return train(out, scale=0.05, models=(("svm", 0.3),)).directory


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory):
    with own_prefect_server(tmp_path_factory.mktemp("prefect")) as backend:
        yield backend


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, prefect_server, model_dir: Path
         ) -> tuple[Path, DemoSummary]:
    home = tmp_path_factory.mktemp("demo") / "home"
    user_home = tmp_path_factory.mktemp("user") / "pantau-home"
    with pytest.MonkeyPatch.context() as mp:
        # A user's own PANTAU_HOME (and a stray setting) while the demo runs. This module-scoped
        # fixture runs before conftest's per-test env clean-up, so the environment may already
        # hold PANTAU_* variables (CI's, a developer's): compare against what was there.
        USER["env_before"] = {k: v for k, v in os.environ.items()
                              if k.startswith("PANTAU_") and k not in ENV_SET_HERE}
        mp.setenv("PANTAU_HOME", str(user_home))
        mp.setenv("PANTAU_EXPORT__RECIPIENTS", '["kasn"]')
        get_settings.cache_clear()
        summary = run_demo(home, scale=SCALE, progress=False, prefect="current",
                           model_dir=model_dir)
        USER["home"] = user_home
        USER["env_after"] = {k: v for k, v in os.environ.items() if k.startswith("PANTAU_")}
    get_settings.cache_clear()
    return home, summary


USER: dict[str, object] = {}
ENV_SET_HERE = ("PANTAU_HOME", "PANTAU_EXPORT__RECIPIENTS")


def test_the_pipeline_runs_end_to_end(demo) -> None:
    home, s = demo
    assert set(s.collected) == {"telegram", "bluesky", "mastodon"}
    assert all(n > 0 for n in s.collected.values())
    assert s.world["planted"] > 0 and sum(s.flags_by_rule.values()) > 0
    o = s.score["overall"]
    assert o["planted"] == s.world["planted"]
    assert 0.0 <= s.precision <= 1.0 and 0.0 <= s.recall <= 1.0
    assert s.recall == pytest.approx(o["found"] / o["planted"])
    # Every flagged case was decided by the labelled demo reviewer, as the truth says.
    assert s.reviewed["confirmed"] + s.reviewed["dismissed"] == sum(s.flags_by_rule.values())
    assert s.reviewed["confirmed"] >= o["correct_flags"] > 0
    with Store.open(home / "pantau.duckdb", read_only=True) as store:
        reviewers = store.rows("SELECT DISTINCT reviewer, left(note, 5) FROM decisions")
        assert reviewers == [(REVIEWER, "DEMO:")]
        runs = store.rows("SELECT count(*) FROM collection_runs WHERE finished_at IS NOT NULL")
        assert runs[0][0] >= 3   # one per platform batch, written by the collect flow's tasks
        # Every planted act was collected over HTTP (whether the classifier flags it or not).
        world = build_world(seed=s.seed, scale=s.scale)
        collected = {a for (a,) in store.rows("SELECT activity_id FROM activities")}
        aliases = {f"{f.platform}:follow:{f.actor.handle}:{f.target.platform_id}": activity_id(f)
                   for f in world.follows}
        collected |= {aliases.get(a, a) for a in collected}
        missing = [t.activity_id for t in world.planted() if t.activity_id not in collected]
        assert missing == []


def test_the_export_and_manifest_exist_for_every_recipient(demo) -> None:
    home, s = demo
    assert {e["recipient"] for e in s.exports} == {"bkn", "kasn", "bawaslu"}
    for e in s.exports:
        csv, manifest = Path(e["csv"]), Path(e["manifest"])
        assert csv.is_file() and manifest.is_file()
        assert home in csv.parents
        data = json.loads(manifest.read_text("utf-8"))
        assert data["week"] == s.week and data["recipient"] == e["recipient"]
        # Each confirmed case is one exported row; the manifest was written by the flow run.
        assert data["row_count"] == e["rows"] == s.reviewed["confirmed"]
        assert data["created_by"] == f"prefect flow run export-weekly-{s.week}"


def test_the_demo_home_is_separate_from_pantau_home(demo) -> None:
    home, s = demo
    assert s.home == home.resolve() and s.store_path.is_file()
    assert (home / MARKER).is_file() and (home / "pantau.toml").is_file()
    user_home = USER["home"]
    assert isinstance(user_home, Path) and not user_home.exists()
    # The user's environment is back as it was after the run; the demo's settings are gone.
    assert USER["env_after"] == {**USER["env_before"], "PANTAU_HOME": str(user_home),
                                 "PANTAU_EXPORT__RECIPIENTS": '["kasn"]'}


def test_rerun_wipes_and_recreates_the_home(demo, model_dir: Path) -> None:
    home, first = demo
    (home / "left-over.txt").write_text("from before", encoding="utf-8")
    served: list[int] = []

    def hold(server, summary: DemoSummary) -> None:   # `pantau demo --keep-server`'s hook
        channel = next(a.handle for a in server.world.accounts if a.platform == "telegram")
        served.append(httpx.get(f"{server.base_url}/s/{channel}").status_code)

    again = run_demo(home, scale=SCALE, progress=False, prefect="current", model_dir=model_dir,
                     hold=hold)
    assert not (home / "left-over.txt").exists()
    assert served == [200]
    # Same seed, same world, fresh store: the same results, one decision per case again.
    assert again.collected == first.collected
    assert again.flags_by_rule == first.flags_by_rule
    assert again.score["overall"] == first.score["overall"]
    with Store.open(home / "pantau.duckdb", read_only=True) as store:
        assert store.rows("SELECT min(seq), count(*) FROM decisions")[0] == (
            1, sum(again.reviewed.values()))


def test_summary_prints_the_results_and_next_steps(demo) -> None:
    home, s = demo
    console = Console(record=True, width=200)
    print_summary(s, console)
    text = console.export_text()
    assert f"recall {s.recall:.1%}" in text and f"Precision {s.precision:.1%}" in text
    assert "DEMO REVIEWER" in text and s.exports[0]["manifest"] in text
    assert f"PANTAU_HOME={home.resolve()}" in text and "01-review-queue.ipynb" in text


def test_refuses_to_wipe_what_is_not_a_demo_home(tmp_path: Path, isolated_home: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "precious.csv").write_text("nip\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a demo home"):
        prepare_home(mine)
    assert (mine / "precious.csv").is_file()
    isolated_home.mkdir(parents=True, exist_ok=True)
    with pytest.raises(InputError, match="PANTAU_HOME"):
        prepare_home(isolated_home)
    with pytest.raises(InputError, match="PANTAU_HOME"):
        prepare_home(isolated_home.parent)
    fresh = prepare_home(tmp_path / "new" / "demo")
    assert (fresh / MARKER).is_file()


def test_rewipe_keeps_only_the_prefect_database(tmp_path: Path, isolated_home: Path) -> None:
    home = prepare_home(tmp_path / "demo")
    (home / "prefect").mkdir()
    (home / "prefect" / "prefect.db").write_bytes(b"migrated once")
    (home / "inputs").mkdir()
    (home / "inputs" / "demo-asn.csv").write_text("nip\n", encoding="utf-8")
    (home / "pantau.duckdb").write_bytes(b"old store")
    again = prepare_home(home)
    assert sorted(p.name for p in again.iterdir()) == [MARKER, "prefect"]
    assert (again / "prefect" / "prefect.db").read_bytes() == b"migrated once"


def test_demo_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo", "--help"]) == 0
    text = capsys.readouterr().out
    assert "Example: pantau demo" in text and "--keep-server" in text and "--scale" in text
