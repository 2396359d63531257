"""Collection throughput against the loopback demo world: pages/s and activities/s.

    .venv/bin/python bench/bench_collect.py [--scale 1] [--server-process] [--json FILE]
        [--commit-every-pages N] [--workers N] [--profile out.html]

Builds the demo world at `scale`, imports its registry, accounts and election into a fresh
temporary home, and runs `pantau.collectors.runner.collect` once over HTTP (all platforms),
exactly as `pantau collect` would but with the demo's loopback rate limits. Prints wall time,
this process's CPU time, pages/s and activities/s, and the load average (other engineers run
tests on this 2-core machine: compare CPU time when the machine is busy).

`--server-process` runs the demo server in a child process, so the numbers are the
collector's alone (by default it is a thread of this process, as in `pantau demo`, and its
CPU time is counted here). `--profile out.prof` writes a cProfile of the collector's CPU time
(read it with `python -m pstats`); any other name a pyinstrument wall-clock profile, HTML or,
for a .txt name, text (`pip install pyinstrument`; not a project dependency).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pantau.config import load_settings
from pantau.demo import DemoServer, build_world

LOOPBACK_LIMIT = {"requests": 10000, "per_seconds": 1, "burst": 1000}


def _serve(seed: int, scale: float, port_out: Any, stop: Any) -> None:
    world = build_world(seed=seed, scale=scale)
    with DemoServer(world) as server:
        port_out.put(server.port)
        stop.wait()


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run(scale: float, seed: int, server_process: bool, overrides: dict[str, Any],
        profile: str | None) -> dict[str, Any]:
    from pantau import elections, registry
    from pantau.collectors.runner import collect
    from pantau.store import Store

    world = build_world(seed=seed, scale=scale)
    with tempfile.TemporaryDirectory(prefix="pantau-bench-collect-") as tmp:
        home = Path(tmp)
        inputs = world.write_files(home / "inputs")
        child = None
        if server_process:
            ctx = multiprocessing.get_context("spawn")
            port_q, stop = ctx.Queue(), ctx.Event()
            child = ctx.Process(target=_serve, args=(seed, scale, port_q, stop), daemon=True)
            child.start()
            port = port_q.get(timeout=120)
            server = DemoServer(world, port=port)
            server._httpd = object()  # only base_url/platform_settings are used below
            platforms = server.platform_settings()
            server._httpd = None
        else:
            server = DemoServer(world).start()
            platforms = server.platform_settings()
        try:
            http = {
                "connect_timeout": 5.0, "read_timeout": 15.0, "max_retries": 2,
                "backoff_base": 0.1, "backoff_max": 1.0,
                "rate_limits": {p: LOOPBACK_LIMIT
                                for p in ("telegram", "bluesky", "mastodon", "media")},
            }
            settings = load_settings(home=home, platforms=platforms, http=http,
                                     **({"collect": overrides} if overrides else {}))
            with Store.open(home / "pantau.duckdb", settings=settings) as store:
                registry.import_people(store, inputs["registry"])
                registry.import_accounts(store, inputs["accounts"])
                elections.import_election_file(store, inputs["election"])
                profiler: Any = None
                if profile and profile.endswith(".prof"):
                    # CPU time of this thread only: where the collector spends the processor.
                    profiler = cProfile.Profile(time.process_time)
                    profiler.enable()
                elif profile:
                    from pyinstrument import Profiler
                    profiler = Profiler(interval=0.001)
                    profiler.start()
                load = os.getloadavg()
                cpu0, wall0 = _cpu(), time.perf_counter()
                summary = collect(store, settings)
                wall, cpu = time.perf_counter() - wall0, _cpu() - cpu0
                if isinstance(profiler, cProfile.Profile):
                    profiler.disable()
                    profiler.dump_stats(profile)
                elif profiler is not None:
                    profiler.stop()
                    text = profile.endswith(".txt")
                    Path(profile).write_text(
                        profiler.output_text(unicode=True, show_all=False) if text
                        else profiler.output_html(), encoding="utf-8")
                stored = store.rows("SELECT count(*) FROM activities")[0][0]
        finally:
            if child is not None:
                stop.set()
                child.join(timeout=10)
            else:
                server.stop()
    acts = summary.activities_new + summary.activities_seen
    return {
        "scale": scale, "server": "process" if server_process else "thread",
        "settings": overrides, "accounts": summary.accounts, "pages": summary.pages,
        "requests": summary.requests, "activities": acts, "stored": stored,
        "errors": len(summary.errors), "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
        "pages_per_s": round(summary.pages / wall, 1),
        "activities_per_s": round(acts / wall, 1),
        "activities_per_cpu_s": round(acts / cpu, 1) if cpu else None,
        "ms_per_page": round(1000 * wall / max(summary.pages, 1), 2),
        "loadavg_before": [round(x, 2) for x in load],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--server-process", action="store_true")
    ap.add_argument("--commit-every-pages", type=int)
    ap.add_argument("--commit-every-seconds", type=float)
    ap.add_argument("--workers", type=int)
    ap.add_argument("--profile")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    overrides: dict[str, Any] = {}
    for name in ("commit_every_pages", "commit_every_seconds", "workers"):
        if getattr(args, name) is not None:
            overrides[name] = getattr(args, name)
    result = run(args.scale, args.seed, args.server_process, overrides, args.profile)
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
