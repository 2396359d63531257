"""The weekly export on a store holding many confirmed cases (issue 9: 1,000,000 rows < 10 s).

    .venv/bin/python bench/export_bench.py [ROWS]       # default 1,000,000

Building a million confirmed cases through `review.decide` would take hours (one audited
transaction each), so the store is filled here with bulk Arrow inserts straight into the
tables `export_week` reads: `asn`, `accounts`, `activities`, `evidence`, `flags` and a
`decisions` audit chain whose hashes are the real `review.decision_hash` chain (the export
re-verifies it and would refuse a forged one). The election is the demo world's real file.

Evidence: one archived page (a small gzip file, really written and really re-hashed by the
export) per `CASES_PER_PAGE` cases, as a Telegram page of 20 messages carries 20 acts.
Only `export_week` itself is timed; the build is reported apart.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from pantau.config import load_settings
from pantau.elections import import_election_file
from pantau.export import export_week
from pantau.records import case_id_for
from pantau.review import GENESIS_HASH, decision_hash
from pantau.store import Store
from pantau.store.activities import ACTIVITIES_SCHEMA

ELECTION_FILE = Path(__file__).resolve().parents[1] / "src/pantau/demo/demo-election.toml"
ELECTION_ID = "demo-pilkada-2024-jakarta"
WEEK = "2024-W47"                                   # Mon 18 – Sun 24 Nov 2024 (WIB)
WEEK_START = datetime(2024, 11, 18, 1, tzinfo=UTC)  # 08:00 WIB on the Monday
CASES_PER_PAGE = 20
CASES_PER_PERSON = 20
TS = pa.timestamp("us", tz="UTC")
TEXT = ("Ayo dukung pasangan nomor urut {n} di TPS tanggal 27 November, jangan golput! "
        "#RIDOuntukJakarta warga kota {i}")


def _ts(values: list[datetime] | np.ndarray) -> pa.Array:
    return pa.array(values, TS)


def build(home: Path, rows: int, log: Any = print) -> dict[str, float]:
    """Fill a fresh store under `home` with `rows` confirmed cases of one ISO week."""
    started = time.perf_counter()
    people = max(1, rows // CASES_PER_PERSON)
    pages = max(1, -(-rows // CASES_PER_PAGE))
    with Store.open(home / "pantau.duckdb") as store:
        import_election_file(store, ELECTION_FILE)
        now = datetime(2024, 11, 25, tzinfo=UTC)
        # Distinct 18-digit NIPs (the export does not re-validate them).
        nips = [f"19850314{i:010d}" for i in range(people)]
        handles = [f"asn_kanal_{i}" for i in range(people)]
        store.upsert("asn", pa.table({
            "nip": nips, "nama": [f"Pegawai Demo {i}" for i in range(people)],
            "jabatan": ["Analis Kebijakan"] * people, "golongan": ["III/c"] * people,
            "instansi": [f"Dinas {i % 40}" for i in range(people)],
            "unit_kerja": ["Sekretariat"] * people, "wilayah": ["DKI Jakarta"] * people,
            "kind": ["PNS"] * people, "imported_at": _ts([now] * people),
        }))
        store.upsert("accounts", pa.table({
            "platform": ["telegram"] * people, "handle": handles, "nip": nips,
            "url": [f"https://t.me/{h}" for h in handles], "added_at": _ts([now] * people),
        }))
        # Evidence pages: small real gzip files, re-hashed by the export.
        ev_sha, ev_path = [], []
        for p in range(pages):
            body = f"<html><body>page {p} of the benchmark channel</body></html>".encode()
            sha = hashlib.sha256(body).hexdigest()
            rel = Path("raw", "telegram", "2024", "11", "20", f"{sha}.gz")
            target = home / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(gzip.compress(body, compresslevel=1, mtime=0))
            ev_sha.append(sha)
            ev_path.append(rel.as_posix())
        store.upsert("evidence", pa.table({
            "sha256": ev_sha, "platform": ["telegram"] * pages,
            "url": [f"https://t.me/s/asn_kanal_{p}" for p in range(pages)],
            "requested_at": _ts([now] * pages), "status": pa.array([200] * pages, pa.int32()),
            "content_type": ["text/html"] * pages, "size": pa.array([60] * pages, pa.int64()),
            "path": ev_path, "collector_version": ["bench"] * pages,
        }))
        built_files = time.perf_counter()
        idx = np.arange(rows)
        owner = idx // CASES_PER_PERSON
        activity_ids = [f"telegram:{handles[o]}/{i}" for i, o in zip(idx.tolist(), owner.tolist())]
        created = np.datetime64("2024-11-10T03:00:00", "us") + (idx * 1_000_000).astype(
            "timedelta64[us]")
        n = rows
        acts = {
            "activity_id": activity_ids, "platform": ["telegram"] * n, "type": ["post"] * n,
            "actor_id": [handles[o] for o in owner.tolist()],
            "actor_handle": [handles[o] for o in owner.tolist()],
            "native_id": [str(i) for i in idx.tolist()],
            "text": [TEXT.format(n=1 + i % 3, i=i) for i in idx.tolist()],
            "created_at": pa.array(created, TS), "observed_at": _ts([now] * n),
            "url": [f"https://t.me/{a.split(':', 1)[1]}" for a in activity_ids],
            "media_count": pa.array(np.zeros(n, np.int32)),
            "evidence_id": [ev_sha[i // CASES_PER_PAGE] for i in idx.tolist()],
            "source": ["collector"] * n,
        }
        store.upsert("activities", pa.table(
            [acts.get(f.name, pa.nulls(n, f.type)) for f in ACTIVITIES_SCHEMA],
            schema=ACTIVITIES_SCHEMA))
        candidates = (1 + idx % 3).tolist()
        case_ids = [case_id_for(a, ELECTION_ID, "DS-06", c)
                    for a, c in zip(activity_ids, candidates)]
        store.upsert("flags", pa.table({
            "case_id": case_ids, "model_version": ["bench"] * n, "activity_id": activity_ids,
            "election_id": [ELECTION_ID] * n, "rule": ["DS-06"] * n, "stage": ["calon"] * n,
            "candidate": pa.array(candidates, pa.int32()),
            "confidence": pa.array(0.9 + (idx % 10) / 100.0), "flagged": [True] * n,
            "reason_id": ["Ajakan memilih pasangan calon"] * n,
            "reason_en": ["Invitation to vote for a candidate pair"] * n,
            "signals": ['{"phrases": ["ayo dukung"]}'] * n, "classified_at": _ts([now] * n),
        }))
        # The audit chain, hashed exactly as review.decide does (the export re-verifies it).
        decided = [WEEK_START + timedelta(seconds=int(s)) for s in (idx * 400_000 // n).tolist()]
        prev, hashes, prevs = GENESIS_HASH, [], []
        for seq, (cid, at) in enumerate(zip(case_ids, decided), start=1):
            prevs.append(prev)
            prev = decision_hash(prev, seq, cid, "confirmed", "Reviewer Demo", "", at)
            hashes.append(prev)
        store.upsert("decisions", pa.table({
            "seq": pa.array(np.arange(1, n + 1), pa.int64()), "case_id": case_ids,
            "verdict": ["confirmed"] * n, "reviewer": ["Reviewer Demo"] * n, "note": [""] * n,
            "decided_at": _ts(decided), "prev_hash": prevs, "hash": hashes,
        }))
        store.con.execute("CHECKPOINT")
    # Everything built goes to disk now: an archive is written long before it is exported,
    # and the export's own fsyncs would otherwise also wait for the 50,000 files just made.
    os.sync()
    took = time.perf_counter() - started
    log(f"  export store: {rows:,} confirmed cases, {people:,} ASN, {pages:,} evidence files "
        f"built in {took:.1f} s")
    return {"build_s": took, "files_s": built_files - started}


def measure(rows: int, workdir: Path | None = None, log: Any = print) -> dict[str, Any]:
    """Build the store and time `export_week` (wall and CPU); the file is checked for rows."""
    with tempfile.TemporaryDirectory(prefix="pantau-bench-export-", dir=workdir) as tmp:
        home = Path(tmp)
        built = build(home, rows, log)
        settings = load_settings(home=home)
        with Store.open(home / "pantau.duckdb", settings=settings) as store:
            wall, cpu = time.perf_counter(), time.process_time()
            result = export_week(store, WEEK, "bkn", created_by="bench", settings=settings)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if result.row_count != rows:
            raise RuntimeError(f"export wrote {result.row_count} rows, expected {rows}")
        lines = result.csv_path.read_bytes().count(b"\r\n")
        if lines != rows + 1:
            raise RuntimeError(f"{result.csv_path}: {lines} lines, expected {rows + 1}")
        size = result.csv_path.stat().st_size
    return {"rows": rows, "wall_s": wall, "cpu_s": cpu, "rows_per_s": rows / wall,
            "csv_bytes": size, **built}


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    got = measure(n)
    print(f"export_week: {n:,} rows in {got['wall_s']:.2f} s wall, {got['cpu_s']:.2f} s CPU "
          f"({got['rows_per_s']:,.0f} rows/s), {got['csv_bytes'] / 1e6:.0f} MB")
