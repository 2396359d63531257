"""Classifying alongside the collection (`classify.alongside`) stores exactly what collecting,
then classifying stores: the same flags and classifications, each activity classified once,
whether the child process works, fails, or the whole run is killed and run again.

One small demo world served on loopback; every store is a fresh home importing its files.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from classify_helpers import fit_tiny_model
from pantau import elections, registry
from pantau.classify import alongside
from pantau.classify.alongside import collect_and_classify
from pantau.classify.model import TextModel
from pantau.classify.pipeline import classify_pending
from pantau.collectors.runner import collect
from pantau.config import Settings, load_settings
from pantau.demo import DemoServer, build_world
from pantau.store import Store

FAST = {"requests": 10000, "per_seconds": 1, "burst": 1000}
GROUP_PAGES = 10     # many commit groups: many hand-overs to the child
FLAG_COLUMNS = ("case_id, model_version, activity_id, election_id, rule, stage, candidate, "
                "round(confidence, 9), flagged, reason_id, reason_en, CAST(signals AS VARCHAR)")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    world = build_world(seed=2024, scale=0.1)
    root = tmp_path_factory.mktemp("alongside")
    model_dir = fit_tiny_model("0.0.0-alongside").save(root / "model")
    with DemoServer(world) as server:
        yield {"world": world, "inputs": world.write_files(root / "inputs"),
               "platforms": server.platform_settings(), "model_dir": model_dir,
               "model": TextModel.load(model_dir)}


def _settings(demo: dict[str, Any], home: Path) -> Settings:
    return load_settings(
        home=home, platforms=demo["platforms"],
        http={"max_retries": 1, "backoff_base": 0.01, "backoff_max": 0.1,
              "rate_limits": {p: FAST for p in ("telegram", "bluesky", "mastodon")}},
        collect={"commit_every_pages": GROUP_PAGES},
        classifier={"model_dir": str(demo["model_dir"])})


def _home(demo: dict[str, Any], home: Path) -> Path:
    home.mkdir(parents=True)
    with Store.open(home / "pantau.duckdb", settings=_settings(demo, home)) as store:
        registry.import_people(store, demo["inputs"]["registry"])
        registry.import_accounts(store, demo["inputs"]["accounts"])
        elections.import_election_file(store, demo["inputs"]["election"])
    return home


def _results(store: Store) -> dict[str, list[tuple]]:
    return {
        "flags": store.rows(f"SELECT {FLAG_COLUMNS} FROM flags ORDER BY case_id"),
        "classifications": store.rows(
            "SELECT activity_id, election_id, model_version, n_flags FROM classifications "
            "ORDER BY ALL"),
        "activities": store.rows("SELECT activity_id FROM activities ORDER BY 1"),
    }


@pytest.fixture(scope="module")
def reference(demo: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
              ) -> dict[str, list[tuple]]:
    """Collect, then classify: what every run below must store."""
    home = _home(demo, tmp_path_factory.mktemp("reference") / "home")
    settings = _settings(demo, home)
    with Store.open(home / "pantau.duckdb", settings=settings) as store:
        collect(store, settings)
        classify_pending(store, model=demo["model"])
        got = _results(store)
    assert len(got["classifications"]) > 50 and got["flags"]
    return got


def _run_alongside(demo: dict[str, Any], home: Path) -> tuple[Any, dict[str, list[tuple]]]:
    settings = _settings(demo, home)
    with Store.open(home / "pantau.duckdb", settings=settings) as store:
        result = collect_and_classify(store, settings, model=demo["model"])
        return result, _results(store)


def test_alongside_stores_what_collect_then_classify_stores(demo, reference, tmp_path: Path,
                                                            monkeypatch) -> None:
    written: list[str] = []
    original = alongside.write_results

    def recording(store, flags, done, election_id, version):  # noqa: ANN001
        written.extend(done)
        return original(store, flags, done, election_id, version)

    monkeypatch.setattr(alongside, "write_results", recording)
    result, got = _run_alongside(demo, _home(demo, tmp_path / "home"))
    assert got == reference
    total = len(reference["classifications"])
    # Most is classified during the collection; what waits (targets, photos) comes after.
    assert 0 < result.alongside < total
    assert result.classify.activities == total
    assert len(written) == len(set(written)) == result.alongside
    with Store.open(tmp_path / "home" / "pantau.duckdb", read_only=True) as store:
        early = store.rows(
            "SELECT count(*) FROM activities WHERE list_contains(?, activity_id) AND "
            "(target_id IS NOT NULL OR target_author_id IS NOT NULL "
            "OR target_author_handle IS NOT NULL OR media_count > 0)", [written])[0][0]
    assert early == 0, "an act whose flags the collection could still change went early"


def test_a_failing_child_leaves_everything_to_the_pass_after(demo, reference,
                                                              tmp_path: Path,
                                                              monkeypatch) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("the model fell over")

    # The child is forked after this: it runs the broken function.
    monkeypatch.setattr(alongside, "_classify_final", broken)
    result, got = _run_alongside(demo, _home(demo, tmp_path / "home"))
    assert got == reference
    assert result.alongside == 0
    assert result.classify.activities == len(reference["classifications"])


def _hang(*_: object) -> None:
    time.sleep(120)


def test_a_hung_child_is_killed_and_the_pass_after_does_its_work(demo, reference,
                                                                 tmp_path: Path,
                                                                 monkeypatch) -> None:
    # Module level, so the forked child can unpickle it; the run must not wait 120 s.
    monkeypatch.setattr(alongside, "_classify_final", _hang)
    monkeypatch.setattr(alongside, "CHILD_SECONDS", 1.0)
    started = time.monotonic()
    result, got = _run_alongside(demo, _home(demo, tmp_path / "home"))
    assert time.monotonic() - started < 100
    assert got == reference
    assert result.alongside == 0
    assert result.classify.activities == len(reference["classifications"])


def test_without_alongside_the_same(demo, reference, tmp_path: Path) -> None:
    home = _home(demo, tmp_path / "home")
    settings = _settings(demo, home)
    with Store.open(home / "pantau.duckdb", settings=settings) as store:
        result = collect_and_classify(store, settings, model=demo["model"], alongside=False)
        assert _results(store) == reference
    assert result.alongside == 0


SCRIPT = """
from pantau.classify.alongside import collect_and_classify
from pantau.config import get_settings
from pantau.store import Store

settings = get_settings()
with Store.open(settings=settings) as store:
    collect_and_classify(store, settings)
"""


def _env(demo: dict[str, Any], home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}
    env.update({f"PANTAU_PLATFORMS__{key.upper()}": value if isinstance(value, str)
                else json.dumps(value) for key, value in demo["platforms"].items()})
    env.update(PANTAU_HOME=str(home), PANTAU_CLASSIFIER__MODEL_DIR=str(demo["model_dir"]),
               PANTAU_COLLECT__COMMIT_EVERY_PAGES=str(GROUP_PAGES),
               PANTAU_HTTP__MAX_RETRIES="1", PANTAU_HTTP__BACKOFF_BASE="0.01",
               PANTAU_HTTP__RATE_LIMITS=json.dumps(
                   {p: FAST for p in ("telegram", "bluesky", "mastodon")}))
    return env


@pytest.mark.slow
def test_killed_anywhere_then_run_again_stores_the_same(demo, reference,
                                                        tmp_path: Path) -> None:
    home = _home(demo, tmp_path / "home")
    env = _env(demo, home)
    kills = 0
    # Kills spread over the run: during start-up, the collection (with batches in the
    # child), and the pass after it.
    for delay in (0.3, 0.8, 1.5, 2.5, 4.0):
        proc = subprocess.Popen([sys.executable, "-c", SCRIPT], env=env, cwd=home,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + delay
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)   # the classifying child follows by itself
            proc.wait()
            kills += 1
    assert kills >= 2, "the runs finished before they could be killed"
    proc = subprocess.run([sys.executable, "-c", SCRIPT], env=env, cwd=home,
                          capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()
    with Store.open(home / "pantau.duckdb", settings=load_settings(), read_only=True) as store:
        assert _results(store) == reference
