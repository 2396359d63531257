"""Bulk upsert speed of the store on activity-shaped rows, beside one INSERT per row.

    .venv/bin/python bench/bench_store.py [--quick] [--json FILE]

Embedded DuckDB file, `activities` table. For each situation (fresh table, table already
holding many rows, the same batch upserted again) it times:

- `Store.upsert` as shipped: Arrow batch, duplicates dropped in Arrow, anti-join INSERT into
  `activities`, which has no key index (the schema leaves it out for this reason);
- (full run only) the alternatives it was chosen over, on the table given a PRIMARY KEY:
  the anti-join again, and the ON CONFLICT (activity_id) DO NOTHING the store used before;
- the naive baseline: one autocommitted INSERT ... ON CONFLICT per row, on a keyed table
  (on a sample, the rate extrapolated; it would take hours on the full batch).

Rates are rows/s by wall clock, best of `repeats` (each on a fresh database), plus the CPU
time of the process: on a busy shared machine the ratio to the baseline is what holds.
Target (issue 9): >= 200,000 rows/s for Arrow bulk upserts.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from pantau.store import Store
from pantau.store.activities import ACTIVITIES_SCHEMA

TARGET_ROWS_PER_S = 200_000
WORDS = ("ayo dukung pasangan nomor urut coblos tanggal kampanye relawan warga kota "
         "selamat pagi rapat dinas pelayanan publik jadwal posyandu").split()


def activity_batch(start: int, n: int, seed: int = 0) -> pa.Table:
    """`n` activity rows with ids start..start+n, shaped like collected Telegram posts."""
    rng = np.random.default_rng(seed + start)
    ids = np.arange(start, start + n)
    channels = rng.integers(0, 20_000, n)
    words = np.array(WORDS)[rng.integers(0, len(WORDS), (n, 12))]
    text = [" ".join(w) for w in words]
    base = np.datetime64("2024-11-20T00:00:00", "us")
    created = base + rng.integers(0, 86_400_000_000, n).astype("timedelta64[us]")
    ts = pa.timestamp("us", tz="UTC")
    handle = [f"kanal_{c}" for c in channels]
    columns = {
        "activity_id": pa.array([f"telegram:{h}/{i}" for h, i in zip(handle, ids, strict=True)]),
        "platform": pa.array(["telegram"] * n),
        "type": pa.array(["post"] * n),
        "actor_id": pa.array(handle),
        "actor_handle": pa.array(handle),
        "native_id": pa.array(ids.astype(str)),
        "text": pa.array(text),
        "created_at": pa.array(created, ts),
        "observed_at": pa.array(np.full(n, base + np.timedelta64(1, "D")), ts),
        "url": pa.array([f"https://t.me/{h}/{i}" for h, i in zip(handle, ids, strict=True)]),
        "media_count": pa.array(np.zeros(n, np.int32)),
        "metrics": pa.array(['{"views": %d}' % v for v in rng.integers(0, 10_000, n)]),
        "evidence_id": pa.array([f"{c:064x}" for c in channels]),
        "source": pa.array(["collector"] * n),
    }
    return pa.table(
        [columns.get(f.name, pa.nulls(n, f.type)) for f in ACTIVITIES_SCHEMA],
        schema=ACTIVITIES_SCHEMA,
    )


def upsert_anti_join(store: Store, batch: pa.Table) -> int:
    return store.upsert("activities", batch, key=["activity_id"])


def upsert_on_conflict(store: Store, batch: pa.Table) -> int:
    """The statement Store.upsert ran before the anti-join (kept here for comparison)."""
    cols = ", ".join(f'"{c}"' for c in batch.column_names)
    store.con.register("_bench_in", batch)
    try:
        return store.con.execute(
            f"INSERT INTO activities ({cols}) SELECT {cols} FROM (SELECT *, row_number() OVER "
            f"(PARTITION BY activity_id) AS _n FROM _bench_in) WHERE _n = 1 "
            f"ON CONFLICT (activity_id) DO NOTHING"
        ).fetchall()[0][0]
    finally:
        store.con.unregister("_bench_in")


def insert_row_by_row(store: Store, batch: pa.Table) -> int:
    cols = ", ".join(f'"{c}"' for c in batch.column_names)
    marks = ", ".join("?" for _ in batch.column_names)
    sql = f"INSERT INTO activities ({cols}) VALUES ({marks}) ON CONFLICT DO NOTHING"
    for row in batch.to_pylist():
        store.con.execute(sql, list(row.values()))
    return batch.num_rows


def _timed(work: Callable[[], int]) -> tuple[int, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    written = work()
    return written, time.perf_counter() - wall, time.process_time() - cpu


def measure(
    method: Callable[[Store, pa.Table], int], batch: pa.Table, preload: int, again: bool,
    repeats: int, workdir: Path, *, keyed: bool = False,
) -> dict:
    """Best-of-`repeats` rate of `method` writing `batch` into a table holding `preload` rows
    (with a PRIMARY KEY on activity_id if `keyed`)."""
    best: dict | None = None
    for r in range(repeats):
        path = workdir / f"bench-{r}.duckdb"
        with Store.open(path) as store:
            if keyed:
                store.con.execute("ALTER TABLE activities ADD PRIMARY KEY (activity_id)")
            if preload:
                step = 250_000
                for start in range(0, preload, step):
                    upsert_anti_join(store, activity_batch(10**9 + start, min(step, preload - start)))
                store.con.execute("CHECKPOINT")
            if again:
                upsert_anti_join(store, batch)
                store.con.execute("CHECKPOINT")
            written, wall, cpu = _timed(lambda: method(store, batch))
            store.con.execute("CHECKPOINT")
        path.unlink()
        path.with_name(path.name + ".wal").unlink(missing_ok=True)
        result = {"rows": batch.num_rows, "written": written, "wall_s": wall, "cpu_s": cpu,
                  "rows_per_s": batch.num_rows / wall, "rows_per_cpu_s": batch.num_rows / cpu}
        if best is None or result["rows_per_s"] > best["rows_per_s"]:
            best = result
    assert best is not None
    return best


def run(quick: bool = False, repeats: int | None = None) -> list[dict]:
    sizes = [100_000] if quick else [100_000, 1_000_000]
    preload = 200_000 if quick else 1_000_000
    repeats = repeats or (1 if quick else 3)
    baseline_rows = 200 if quick else 1_000
    methods: list[tuple[str, Callable[[Store, pa.Table], int], bool]] = [
        ("Store.upsert (anti-join)", upsert_anti_join, False)]
    if not quick:
        methods += [("anti-join, keyed table", upsert_anti_join, True),
                    ("ON CONFLICT, keyed table", upsert_on_conflict, True)]
    results: list[dict] = []
    workdir = Path(tempfile.mkdtemp(prefix="pantau-bench-store-"))
    try:
        for n in sizes:
            batch = activity_batch(0, n)
            for situation, pre, again in (("fresh table", 0, False),
                                          (f"table holding {preload:,} rows", preload, False),
                                          ("same batch again (all keys exist)", 0, True)):
                base = measure(insert_row_by_row, batch.slice(0, baseline_rows), pre, again,
                               1, workdir, keyed=True)
                for name, method, keyed in methods:
                    got = measure(method, batch, pre, again, repeats, workdir, keyed=keyed)
                    got.update(method=name, situation=situation,
                               baseline_rows_per_s=base["rows_per_s"],
                               ratio_to_baseline=got["rows_per_s"] / base["rows_per_s"],
                               target_rows_per_s=TARGET_ROWS_PER_S)
                    results.append(got)
                    print(f"{n:>9,} rows, {situation:<34} {name:<26} "
                          f"{got['rows_per_s']:>10,.0f} rows/s (cpu {got['rows_per_cpu_s']:>10,.0f})"
                          f"  x{got['ratio_to_baseline']:,.0f} vs one INSERT per row "
                          f"({base['rows_per_s']:,.0f} rows/s)", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100k rows, 200k preloaded")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    results = run(args.quick, args.repeats)
    if args.json:
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        args.json.write_text(json.dumps({"measured_at": stamp, "results": results}, indent=2))


if __name__ == "__main__":
    main()
