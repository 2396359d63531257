"""A collection killed with SIGKILL at arbitrary points, then restarted, ends with exactly the
rows of an uninterrupted run: nothing lost, nothing duplicated. Both with a commit per page and
with one large commit group (a kill then loses many fetched pages, which the restart fetches
again)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from collect_helpers import World, activity_rows, loopback_env, seed_work_list
from pantau.config import load_settings
from pantau.evidence import verify
from pantau.store import Store

SCRIPT = """
from pantau.collectors.runner import collect
from pantau.config import get_settings
from pantau.store import Store

settings = get_settings()
with Store.open(settings=settings) as store:
    collect(store, settings, engagement_posts=2)
"""


def _env(home: Path, base: str, group: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}
    env.update(loopback_env(base), PANTAU_HOME=str(home),
               PANTAU_COLLECT__COMMIT_EVERY_PAGES=str(group),
               PANTAU_COLLECT__COMMIT_EVERY_SECONDS="3600")
    return env


def _store(home: Path, read_only: bool = False) -> Store:
    # An explicit path: this process's PANTAU_HOME (from conftest) is not the run's home.
    return Store.open(home / "pantau.duckdb", settings=load_settings(), read_only=read_only)


def _seed(home: Path) -> None:
    with _store(home) as store:
        seed_work_list(store)


def _run(home: Path, base: str, group: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", SCRIPT], env=_env(home, base, group), cwd=home,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.slow
@pytest.mark.parametrize("group", [1, 1000], ids=["commit-per-page", "one-large-group"])
def test_sigkill_mid_run_then_restart_matches_an_uninterrupted_run(
    tmp_path: Path, group: int
) -> None:
    world = World(delay=0.01)
    server, base = world.serve()
    try:
        clean, killed = tmp_path / "clean", tmp_path / "killed"
        for home in (clean, killed):
            home.mkdir()
            _seed(home)

        proc = _run(clean, base, 1)
        _, stderr = proc.communicate(timeout=180)
        assert proc.returncode == 0, stderr.decode()
        total_requests = len(world.requests)
        assert total_requests > 21  # every kill point below lands mid-run

        # Kill after a growing number of requests so the kills land at different stages
        # (mid-page, between commit and next request, during resolution, during paging).
        kills = 0
        for after in (3, 8, 14, 21):
            start = len(world.requests)
            proc = _run(killed, base, group)
            while proc.poll() is None and len(world.requests) < start + after:
                time.sleep(0.002)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                kills += 1
        assert kills >= 3, "the runs finished before they could be killed"
        proc = _run(killed, base, group)
        _, stderr = proc.communicate(timeout=180)
        assert proc.returncode == 0, stderr.decode()
    finally:
        server.shutdown()

    with _store(clean, read_only=True) as a, _store(killed, read_only=True) as b:
        rows_a, rows_b = activity_rows(a), activity_rows(b)
        assert len(rows_a) > 30
        assert rows_b == rows_a
        unfinished = b.rows("SELECT count(*) FROM collection_runs WHERE finished_at IS NULL")
        assert unfinished[0][0] == kills
        assert verify(b).ok
