"""Load: many activities from many ASN accounts, collected, classified, stored and exported.

Two measurements, both reported with time and peak memory:

1. Collection through the real collectors from the demo world's loopback server at a medium
   scale: activities per second end to end (HTTP, parsing, evidence archive, one transaction
   per page). The figure for the target size is extrapolated from it, and said to be.
2. The store, the classifier and the export at the full target size: `n` synthetic activities
   of `n / 10` registered ASN accounts written in Arrow batches (as the collectors write them),
   `classify_pending` with the real model code, human decisions on the most confident cases,
   and the weekly export for every recipient.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta
from pathlib import Path

import pyarrow as pa

from ..store import Store
from .pipeline import (
    DECIDED_AT, EXPORT_NOW, EXPORT_WEEK, RECIPIENTS, prepare_home, reliability_model,
    settings_for,
)
from .result import ScenarioResult, measured, peak_rss_mib

TARGET = 1_000_000  # issue 8: activities (from 100,000 accounts) the pipeline must carry

_NEUTRAL = [
    "ASN wajib netral! Mari sukseskan pilkada dengan damai #ASNNetral",
    "Jangan lupa datang ke TPS dan gunakan hak pilih Anda",
    "Selamat pagi rekan-rekan, semangat melayani masyarakat hari ini",
    "Resep rendang padang untuk acara keluarga akhir pekan",
    "Rapat koordinasi pelayanan publik di kantor kecamatan",
    "Jadwal kampanye resmi dari KPU sudah diumumkan",
    "Olahraga pagi bersama tim di lapangan kantor",
]
_CAMPAIGN = [
    "Ayo coblos nomor {num}, {name} pasti menang!",
    "Dukung {name} untuk daerah kita yang lebih baik, nomor {num}",
    "Salam {num} jari! Pilih {name} tanggal pemungutan suara",
    "Bapak ibu guru, mari kita menangkan {name} nomor urut {num}",
]


def _people(n_accounts: int) -> tuple[pa.Table, pa.Table]:
    from ..timeutil import utcnow

    now = utcnow()
    nips, handles = [], []
    for i in range(n_accounts):
        day = (timedelta(days=i // 999)).days
        birth = f"{1970 + day // 365:04d}{1 + (day // 28) % 12:02d}{1 + day % 28:02d}"
        nips.append(f"{birth}200501{1 + i % 2}{i % 999 + 1:03d}")
        handles.append(f"asn{i:06d}")
    asn = pa.table({
        "nip": nips, "nama": [f"ASN Sintetis {i}" for i in range(n_accounts)],
        "jabatan": ["Analis"] * n_accounts, "golongan": ["III/a"] * n_accounts,
        "instansi": [f"Dinas {i % 40}" for i in range(n_accounts)],
        "kind": ["PNS"] * n_accounts,
        "imported_at": pa.array([now] * n_accounts, pa.timestamp("us", "UTC")),
    })
    accounts = pa.table({
        "platform": ["telegram"] * n_accounts, "handle": handles, "nip": nips,
        "added_at": pa.array([now] * n_accounts, pa.timestamp("us", "UTC")),
    })
    return asn, accounts


def _write_activities(store: Store, election, n: int, n_accounts: int,  # noqa: ANN001
                      batch: int = 100_000) -> None:
    from ..elections import stage_window
    from ..records import Activity
    from ..store.activities import activities_table

    rnd = random.Random(1_000_000)
    window = stage_window(election)
    span = (window.end - window.start).total_seconds() - 3600
    names = [(c.number, c.names[0]) for c in election.candidates]
    for start in range(0, n, batch):
        acts = []
        for i in range(start, min(n, start + batch)):
            account = i % n_accounts
            if rnd.random() < 0.05:
                num, name = rnd.choice(names)
                text = rnd.choice(_CAMPAIGN).format(num=num, name=name)
            else:
                text = rnd.choice(_NEUTRAL)
            acts.append(Activity(
                platform="telegram", type="post", actor_id=f"asn{account:06d}",
                actor_handle=f"asn{account:06d}", native_id=f"asn{account:06d}/{i}", text=text,
                created_at=window.start + timedelta(seconds=1800 + rnd.random() * span),
                observed_at=DECIDED_AT))
        with store.transaction():
            store.upsert("activities", activities_table(acts), key=["activity_id"])


def collection_rate(work: Path, *, scale: float) -> tuple[int, float, float]:
    """(activities, seconds, peak MiB) of one real collection of the demo world at `scale`."""
    from ..collectors.runner import collect
    from ..demo import DemoServer, build_world

    world = build_world(seed=2024, scale=scale)
    with DemoServer(world) as server:
        home = work / "collect-rate"
        settings = settings_for(home, server)
        with Store.open(settings=settings) as store:
            prepare_home(store, world, work / "collect-rate-inputs")
            started = time.perf_counter()
            summary = collect(store, settings)
            seconds = time.perf_counter() - started
    return summary.activities_new, seconds, peak_rss_mib()


def load(work: Path, *, activities: int = 1_000_000, accounts: int = 100_000,
         collect_scale: float = 0.3) -> ScenarioResult:
    from ..classify.model import TextModel, default_model_dir
    from ..classify.pipeline import classify_pending
    from ..elections import import_election_file
    from ..errors import ModelError
    from ..export import export_all
    from ..review import decide

    result = ScenarioResult(f"load: {activities:,} activities / {accounts:,} accounts",
                            "load")
    with measured(result):
        collected, c_seconds, c_peak = collection_rate(work, scale=collect_scale)
        rate = collected / c_seconds if c_seconds else 0.0
        result.runs += 1
        result.note(f"collection (real collectors, demo loopback server, scale "
                    f"{collect_scale}): {collected:,} activities in {c_seconds:.0f} s = "
                    f"{rate:.0f} activities/s, peak {c_peak:.0f} MiB; at that rate "
                    f"{TARGET:,} would take about {TARGET / rate / 3600:.1f} h "
                    "(extrapolated, not measured)" if rate else "collection: nothing collected")
        try:
            model_dir = default_model_dir()
            model_note = "the shipped model"
        except ModelError:
            model_dir = reliability_model()
            model_note = "the small reliability model (no shipped model yet)"
        from ..demo import build_world

        world = build_world(seed=2024, scale=0.06)
        files = world.write_files(work / "load-inputs")
        home = work / "load-home"
        settings = settings_for(home)
        with Store.open(settings=settings) as store:
            election = import_election_file(store, files["election"])
            asn, accs = _people(accounts)
            t = time.perf_counter()
            store.upsert("asn", asn, key=["nip"])
            store.upsert("accounts", accs, key=["platform", "handle"])
            _write_activities(store, election, activities, accounts)
            store_s = time.perf_counter() - t
            stored = store.count("activities")
            result.note(f"store: {stored:,} activities and {accounts:,} accounts written in "
                        f"Arrow batches of 100,000 in {store_s:.0f} s "
                        f"({stored / store_s:,.0f}/s), peak {peak_rss_mib():.0f} MiB")
            t = time.perf_counter()
            model = TextModel.load(model_dir)
            summary = classify_pending(store, model=model)
            cls_s = time.perf_counter() - t
            result.note(f"classify ({model_note}, {model.version}): {summary.activities:,} "
                        f"activities in {cls_s:.0f} s ({summary.activities / cls_s:,.0f}/s; "
                        f"{TARGET:,} extrapolated: {TARGET / summary.activities * cls_s / 60:,.0f}"
                        " min), "
                        f"{summary.flags:,} flags, {summary.flagged:,} in the review queue, "
                        f"peak {peak_rss_mib():.0f} MiB")
            t = time.perf_counter()
            cases = [r[0] for r in store.rows(
                "SELECT case_id FROM flags WHERE flagged ORDER BY confidence DESC, case_id "
                "LIMIT 500")]
            for c in cases:
                decide(store, c, "confirmed", "Load Reviewer", now=DECIDED_AT)
            exported = export_all(store, EXPORT_WEEK, list(RECIPIENTS), settings=settings,
                                  now=EXPORT_NOW)
            exp_s = time.perf_counter() - t
            rows = sum(r.row_count for r in exported)
            result.note(f"review + export: {len(cases)} decisions and {len(exported)} weekly "
                        f"files ({rows:,} rows) in {exp_s:.0f} s")
            result.inputs = stored
            if stored != activities:
                result.lost = activities - stored
            if summary.activities != activities:
                result.fail(f"classified {summary.activities:,} of {activities:,} activities")
                result.lost += max(0, activities - summary.activities)
            if rows != len(cases) * len(exported):
                result.fail(f"exported {rows} rows, expected {len(cases) * len(exported)}")
        size = sum(p.stat().st_size for p in home.rglob("*") if p.is_file())
        result.runs += 1
        result.note(f"store on disk: {size / 2**20:,.0f} MiB")
    result.note(f"peak resident memory {result.peak_rss_mib:,.0f} MiB of the 24 GiB budget; "
                f"total {result.seconds:.0f} s")
    return result
