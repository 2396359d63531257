"""Two Prefect workers split one collection of the demo world, with no overlap and no loss.

    .venv/bin/python bench/two_workers.py [--scale 0.1] [--keep]

On Prefect's own machinery, all on loopback, everything in a temporary directory:
1. a Prefect server (`prefect server start`, PREFECT_HOME and its SQLite database in the temp
   dir), a `process` work pool, and two workers (`prefect worker start`, one flow run each);
2. the demo world served by `DemoServer`; its registry, accounts and election imported once
   into a base store, copied to a home per shard and one for the single-worker comparison;
3. the real collect flow (flows/collect.py) deployed three times from this source tree:
   shard 0 of 2, shard 1 of 2 (each with its own PANTAU_HOME), and the whole list;
4. both shard runs started at once (each worker takes one), then the whole-list run;
5. the shard stores merged into a copy of the base store (`pantau.sharding.merge_shard`)
   and compared with the single-worker store: the same activities, the same paging state,
   the accounts of the two shards disjoint and together the whole work list.

Why a store file per shard and a merge: the embedded DuckDB file has one writing process at
a time, so two workers on one file would take turns on every commit (the store waits, bounded)
rather than work side by side. A DuckLake store takes many writers and needs no merge; that
is the production path (docs/scaling.md), this is the one that runs on any machine.
Classification is left out of the shard runs (`classify=False`): it runs once on the merged
store, where the flags of both shards meet.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
POOL = "pantau-two-workers"
FAST = {"requests": 100_000, "per_seconds": 1, "burst": 1000}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(api: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"prefect server exited with {proc.returncode}")
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError(f"prefect server at {api} not healthy after {timeout:.0f} s")


def _pantau_env(home: Path, platforms: dict[str, Any]) -> dict[str, str]:
    """What a flow run needs to collect from the demo server into `home`."""
    return {
        "PANTAU_HOME": str(home),
        "PANTAU_PLATFORMS__TELEGRAM_BASE_URL": platforms["telegram_base_url"],
        "PANTAU_PLATFORMS__BLUESKY_APPVIEW_URL": platforms["bluesky_appview_url"],
        "PANTAU_PLATFORMS__BLUESKY_PDS_HOSTS": json.dumps(platforms["bluesky_pds_hosts"]),
        "PANTAU_PLATFORMS__MASTODON_SERVERS": json.dumps(platforms["mastodon_servers"]),
        "PANTAU_PLATFORMS__MASTODON_BASE_URLS": json.dumps(platforms["mastodon_base_urls"]),
        "PANTAU_PLATFORMS__MEDIA_HOSTS": json.dumps(platforms["media_hosts"]),
        "PANTAU_HTTP__BACKOFF_BASE": "0.05",
        "PANTAU_HTTP__BACKOFF_MAX": "0.5",
        "PANTAU_HTTP__RATE_LIMITS": json.dumps({p: FAST for p in
                                                ("telegram", "bluesky", "mastodon", "media")}),
    }


def _base_store(home: Path, files: dict[str, Path]) -> Path:
    from pantau.elections import import_election_file
    from pantau.registry import import_accounts, import_people
    from pantau.store import Store

    db = home / "pantau.duckdb"
    with Store.open(db) as store:
        import_people(store, files["registry"])
        import_accounts(store, files["accounts"])
        import_election_file(store, files["election"])
    return db


def _home_from(base_db: Path, home: Path) -> Path:
    home.mkdir(parents=True, mode=0o700)
    shutil.copy2(base_db, home / "pantau.duckdb")
    return home


async def _run_and_wait(names: list[str], timeout: float) -> list[Any]:
    """Start the deployments' flow runs at once and wait until all are final."""
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    runs = [await run_deployment(n, timeout=0) for n in names]
    deadline = time.monotonic() + timeout
    async with get_client() as client:
        while True:
            current = [await client.read_flow_run(r.id) for r in runs]
            if all(r.state is not None and r.state.is_final() for r in current):
                return current
            if time.monotonic() > deadline:
                raise RuntimeError(f"flow runs not finished after {timeout:.0f} s: "
                                   + ", ".join(f"{r.name} {r.state_name}" for r in current))
            await asyncio.sleep(2)


def _collected(db: Path) -> dict[str, Any]:
    from pantau.store import Store

    with Store.open(db, read_only=True) as store:
        return {
            "activities": {r[0] for r in store.rows("SELECT activity_id FROM activities")},
            # One row per account swept (the per-post engagement sources are keyed by post).
            "accounts": set(store.rows(
                "SELECT source, key FROM collection_state WHERE source IN "
                "('telegram:channel', 'bluesky:author_feed', 'mastodon:statuses')")),
            "state": set(store.rows(
                "SELECT source, key, last_seen_id, status FROM collection_state")),
        }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=0.1, help="demo world scale (default 0.1)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per step")
    args = ap.parse_args(argv)

    from pantau.demo import DemoServer, build_world
    from pantau.sharding import merge_shard
    from pantau.store import Store

    tmp = Path(tempfile.mkdtemp(prefix="pantau-two-workers-"))
    procs: list[subprocess.Popen] = []
    logs: list[Path] = []
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    prefect_env = {**os.environ, "PREFECT_HOME": str(tmp / "prefect"), "PREFECT_API_URL": api,
                   "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                   "PREFECT_API_DATABASE_CONNECTION_URL":
                       f"sqlite+aiosqlite:///{tmp / 'prefect' / 'prefect.db'}"}
    os.environ.update({k: v for k, v in prefect_env.items() if k.startswith("PREFECT_")})
    ok = False
    try:
        print(f"work dir {tmp}; load average {os.getloadavg()[0]:.1f}")
        (tmp / "prefect").mkdir()
        log = tmp / "server.log"
        logs.append(log)
        procs.append(subprocess.Popen(
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=prefect_env, stdout=log.open("w"), stderr=subprocess.STDOUT))
        t0 = time.perf_counter()
        _wait_healthy(api, procs[0], args.timeout)
        print(f"prefect server on {api} ({time.perf_counter() - t0:.0f} s)")
        subprocess.run([str(BIN / "prefect"), "work-pool", "create", POOL, "--type", "process"],
                       env=prefect_env, check=True, capture_output=True)

        world = build_world(scale=args.scale)
        files = world.write_files(tmp / "inputs")
        with DemoServer(world) as demo:
            base = _base_store(tmp / "base", files)
            homes = {name: _home_from(base, tmp / name)
                     for name in ("shard0", "shard1", "single")}
            from prefect import flow

            source = flow.from_source(str(ROOT), "flows/collect.py:collect")
            plan = {"shard0": {"shard": 0, "of": 2}, "shard1": {"shard": 1, "of": 2},
                    "single": {"shard": 0, "of": 1}}
            for name, part in plan.items():
                # `to_deployment().apply()` rather than `deploy()`: Prefect 3.8's `deploy`
                # lists the pool's workers with a request this server version refuses (422).
                source.to_deployment(
                    name=f"collect-{name}", work_pool_name=POOL,
                    parameters={**part, "classify": False},
                    job_variables={"env": _pantau_env(homes[name], demo.platform_settings())},
                ).apply(work_pool_name=POOL)
            for i in (1, 2):
                log = tmp / f"worker-{i}.log"
                logs.append(log)
                procs.append(subprocess.Popen(
                    [str(BIN / "prefect"), "worker", "start", "--pool", POOL,
                     "--name", f"worker-{i}", "--limit", "1"],
                    env=prefect_env, stdout=log.open("w"), stderr=subprocess.STDOUT))
            print(f"demo world x{args.scale:g}: {world.summary()}; 2 workers on pool {POOL}")
            t0 = time.perf_counter()
            shard_runs = asyncio.run(_run_and_wait(
                ["collect/collect-shard0", "collect/collect-shard1"], args.timeout))
            shards_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            (single_run,) = asyncio.run(_run_and_wait(["collect/collect-single"], args.timeout))
            single_s = time.perf_counter() - t0
        for r in [*shard_runs, single_run]:
            print(f"  flow run {r.name}: {r.state_name}")
        if not all(r.state.is_completed() for r in [*shard_runs, single_run]):
            print("a flow run did not complete; logs in", tmp)
            return 1
        ran_on = {}
        for i in (1, 2):
            text = (tmp / f"worker-{i}.log").read_text(errors="replace")
            ran_on[f"worker-{i}"] = [r.name for r in shard_runs if str(r.id) in text]
        print(f"  shard runs by worker: {ran_on}")

        merged = _home_from(base, tmp / "merged")
        with Store.open(merged / "pantau.duckdb") as store:
            for name in ("shard0", "shard1"):
                got = merge_shard(store, homes[name] / "pantau.duckdb")
                print(f"  merged {name}: {got}")
        s0, s1 = (_collected(homes[n] / "pantau.duckdb") for n in ("shard0", "shard1"))
        single = _collected(homes["single"] / "pantau.duckdb")
        union = _collected(merged / "pantau.duckdb")
        checks = {
            "accounts of the two shards disjoint": not (s0["accounts"] & s1["accounts"]),
            "shards' accounts = the whole work list": s0["accounts"] | s1["accounts"]
            == single["accounts"],
            "merged activities = single-worker activities": union["activities"]
            == single["activities"],
            "merged paging state = single-worker state": union["state"] == single["state"],
            "each worker ran one shard": sorted(len(v) for v in ran_on.values()) == [1, 1],
        }
        print(f"  activities: shard0 {len(s0['activities']):,}, shard1 {len(s1['activities']):,},"
              f" merged {len(union['activities']):,}, single worker "
              f"{len(single['activities']):,}; accounts {len(s0['accounts'])} + "
              f"{len(s1['accounts'])} = {len(single['accounts'])}")
        print(f"  time: two shards in parallel {shards_s:.0f} s, one worker {single_s:.0f} s")
        for what, good in checks.items():
            print(f"  {'PASS' if good else 'FAIL'}  {what}")
        ok = all(checks.values())
        return 0 if ok else 1
    finally:
        for proc in reversed(procs):       # only the processes this script started
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        if args.keep or not ok:
            print(f"kept {tmp} (server and worker logs inside)")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
