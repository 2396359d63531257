"""End to end on the demo world at a scale: HTTP response -> parsed -> stored -> classified.

    .venv/bin/python bench/e2e.py [SCALE ...]         # default: 1 10

Per scale, two fresh processes:
- the demo server (`pantau.demo.DemoServer` on loopback) in its own process: it builds the
  world, writes the registry/accounts/election files pantau imports, and serves it. Its CPU
  is not pantau's, so it is kept out of pantau's figures (on this 2-core machine it still
  competes for the cores: the wall-clock rate pays for it);
- pantau in another process: imports the files (not timed), then runs the library's
  `collect_and_classify` (what the collect flow does: `collect` of all three platforms with
  the default `settings.collect` (commit grouping and collection threads, loopback rate
  limits), classifying each committed group alongside in a child process, then
  `classify_pending` for the rest, with the shipped model) and counts what was stored and
  classified. Its CPU includes the classifying child's. Peak memory is that process's max
  RSS (`resource.getrusage`), one process per scale so the figures do not mix.

Linear cost is checked by comparing per-activity CPU and memory across scales.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

LOOPBACK_LIMIT = {"requests": 100_000, "per_seconds": 1, "burst": 1000}


def _serve(scale: float, home: str, ready: Any, stop: Any) -> None:
    from pantau.demo import DemoServer, build_world

    t0 = time.perf_counter()
    world = build_world(scale=scale)
    files = world.write_files(Path(home) / "inputs")
    with DemoServer(world) as server:
        ready.put({"platforms": server.platform_settings(),
                   "files": {k: str(v) for k, v in files.items()},
                   "world": world.summary(), "build_s": time.perf_counter() - t0})
        serving = _cpu_self()
        stop.wait()
        # The server's CPU while pantau ran (and waited for it), apart from building the world.
        ready.put({"server_cpu_s": _cpu_self() - serving, "server_requests": server.requests})


def _cpu_self() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _cpu_with_children() -> float:
    """This process's CPU and that of its children once they ended (the classifying one)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return _cpu_self() + r.ru_utime + r.ru_stime


def _pantau(home: str, platforms: dict[str, Any], files: dict[str, str], model_dir: str,
            out: Any) -> None:
    os.environ["OMP_NUM_THREADS"] = "1"
    from pantau.classify.alongside import collect_and_classify
    from pantau.classify.model import TextModel
    from pantau.config import load_settings
    from pantau.elections import import_election_file
    from pantau.registry import import_accounts, import_people
    from pantau.store import Store

    settings = load_settings(
        home=Path(home), platforms=platforms,
        http={"backoff_base": 0.05, "backoff_max": 0.5, "max_retries": 3,
              "rate_limits": {p: LOOPBACK_LIMIT for p in ("telegram", "bluesky", "mastodon",
                                                          "media")}},
        classifier={"model_dir": model_dir})
    model = TextModel.load(model_dir)
    with Store.open(Path(home) / "pantau.duckdb", settings=settings) as store:
        store.con.execute("SET enable_progress_bar = false")
        import_people(store, files["registry"])
        import_accounts(store, files["accounts"])
        import_election_file(store, files["election"])
        load0 = os.getloadavg()[0]
        cpu0, wall0 = _cpu_with_children(), time.perf_counter()
        result = collect_and_classify(store, settings, model=model)
        cpu2, wall2 = _cpu_with_children(), time.perf_counter()
        summary, classified = result.collect, result.classify
        stored = store.count("activities")
        flags = store.rows("SELECT count(*) FROM flags WHERE flagged")[0][0]
    out.put({
        "accounts": summary.accounts, "pages": summary.pages, "requests": summary.requests,
        "errors": len(summary.errors), "activities": stored,
        "classified_pairs": classified.activities, "flagged": int(flags),
        "classified_alongside": result.alongside,
        # Classification overlaps the collection: the classify figure is what is left after
        # the collection's last commit.
        "collect_wall_s": result.collect_seconds, "classify_wall_s": result.classify_seconds,
        "wall_s": wall2 - wall0, "cpu_s": cpu2 - cpu0,
        "activities_per_s": stored / (wall2 - wall0),
        "activities_per_cpu_s": stored / (cpu2 - cpu0),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "loadavg": [round(load0, 2), round(os.getloadavg()[0], 2)],
    })


def run_scale(scale: float, model_dir: str | Path, timeout: float = 3600) -> dict[str, Any]:
    """One scale, in fresh processes (see the module docstring)."""
    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix=f"pantau-bench-e2e-{scale:g}-") as home:
        ready, stop, out = ctx.Queue(), ctx.Event(), ctx.Queue()
        server = ctx.Process(target=_serve, args=(scale, home, ready, stop), daemon=True)
        server.start()
        try:
            info = ready.get(timeout=timeout)
            worker = ctx.Process(target=_pantau, args=(home, info["platforms"], info["files"],
                                                       str(model_dir), out))
            worker.start()
            result = out.get(timeout=timeout)
            worker.join(timeout=60)
            stop.set()
            result.update(ready.get(timeout=60))
        finally:
            stop.set()
            server.join(timeout=30)
            if server.is_alive():
                server.terminate()
    result.update(scale=scale, world=info["world"], world_build_s=info["build_s"])
    return result


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from sections import bench_model_dir

    model_dir = bench_model_dir(print)
    for scale in [float(a) for a in argv] or [1.0, 10.0]:
        r = run_scale(scale, model_dir)
        print(f"x{scale:g}: {r['activities']:,} activities, {r['pages']:,} pages in "
              f"{r['wall_s']:.1f} s wall / {r['cpu_s']:.1f} s CPU -> "
              f"{r['activities_per_s']:,.0f}/s wall, {r['activities_per_cpu_s']:,.0f}/s CPU; "
              f"collect {r['collect_wall_s']:.1f} s, then classify {r['classify_wall_s']:.1f} s "
              f"({r['classified_alongside']:,} of {r['classified_pairs']:,} classified "
              f"alongside); "
              f"demo server {r['server_cpu_s']:.1f} s CPU; "
              f"peak RSS {r['peak_rss_mb']:.0f} MB; errors {r['errors']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
