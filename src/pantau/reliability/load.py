"""Load: many activities from many ASN accounts, collected, classified, stored and exported.

At the issue's size (issue 8): 100,000 registered ASN with valid NIPs, each with a Telegram
channel of 10 messages on a loopback server = 1,000,000 activities, and everything goes
through the real code, measured stage by stage (time, rate, peak resident memory):

1. registry: the ASN and their accounts written to the store;
2. collection: `collectors.runner.collect` reads every channel's t.me/s page from the demo
   server in its synthetic-channels mode (`demo.synthetic`: pages rendered on request with the
   real markup, nothing held in memory), parses it, archives the raw page as evidence and
   commits the activities; optionally as 2 account shards (`pantau.sharding`) collected by 2
   processes into their own store files and merged (`merge_shard`);
3. checks: exactly `n` activities stored, each once, 10 per channel, one evidence per page;
4. classification: `classify_pending` with the shipped model (the small reliability model
   when none is installed), every activity classified exactly once;
5. review and export: decisions on the most confident cases, the weekly export per recipient.

Nothing is extrapolated: the figures in RELIABILITY.md are what this run measured.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pyarrow as pa

from ..store import Store
from .pipeline import (
    DECIDED_AT, EXPORT_NOW, EXPORT_WEEK, RECIPIENTS, reliability_model, settings_for,
)
from .result import ScenarioResult, measured, peak_rss_mib, reset_peak_rss, stage_peak_rss_mib

TARGET = 1_000_000  # issue 8: activities (from 100,000 accounts) the pipeline must carry
PER_CHANNEL = 10


def _people(n_accounts: int) -> tuple[pa.Table, pa.Table]:
    """`n` ASN with valid NIPs (distinct birth date + sequence) and one Telegram channel each."""
    from ..demo.synthetic import handle
    from ..timeutil import utcnow

    now = utcnow()
    nips, handles = [], []
    for i in range(n_accounts):
        day = (timedelta(days=i // 999)).days
        birth = f"{1970 + day // 365:04d}{1 + (day // 28) % 12:02d}{1 + day % 28:02d}"
        nips.append(f"{birth}200501{1 + i % 2}{i % 999 + 1:03d}")
        handles.append(handle(i))
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


@dataclass(slots=True)
class Stage:
    name: str
    seconds: float = 0.0
    peak_mib: float = 0.0
    items: int = 0

    @property
    def rate(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0


@contextmanager
def _stage(stages: list[Stage], name: str) -> Iterator[Stage]:
    """Time a stage and read its own peak RSS (the count is restarted at its start)."""
    stage = Stage(name)
    reset_peak_rss()
    started = time.perf_counter()
    try:
        yield stage
    finally:
        stage.seconds = time.perf_counter() - started
        stage.peak_mib = max(stage.peak_mib, stage_peak_rss_mib())
        stages.append(stage)


def _channels(election, n: int):  # noqa: ANN001, ANN202 - demo types, imported lazily
    from ..demo.synthetic import SyntheticChannels
    from ..elections import stage_window

    window = stage_window(election)
    return SyntheticChannels(n, election, start=window.start, end=window.end,
                             per_channel=PER_CHANNEL, seed=2024)


def _progress(log: Callable[[str], None], every: int = 10_000):  # noqa: ANN202
    started = time.perf_counter()

    def report(event: str, summary) -> None:  # noqa: ANN001 - runner.RunSummary
        if event == "page" and summary.pages % every == 0:
            s = time.perf_counter() - started
            log(f"  collected {summary.pages:,} pages in {s:.0f} s ({summary.pages / s:.0f} "
                f"pages/s), RSS peak {stage_peak_rss_mib():.0f} MiB")

    return report


def collect_shard(home: Path, base_url: str, index: int, count: int) -> dict[str, object]:
    """Collect shard `index` of `count` into the store under `home` (run in a child process).

    The shard's store is a copy of the prepared main store (registry, accounts, election), so
    its work list is the main one's; only the accounts the shard owns are collected."""
    from ..collectors.runner import collect, work_list
    from ..sharding import Shard, select

    settings = settings_for(home, _BaseUrlOnly(base_url))
    with Store.open(settings=settings) as store:
        targets = select(work_list(store, ["telegram"], None), Shard(index, count))
        started = time.perf_counter()
        summary = collect(store, settings, platforms=["telegram"],
                          accounts=[t.handle for t in targets],
                          progress=_progress(lambda m: print(f"[shard {index}]{m}", flush=True)))
        seconds = time.perf_counter() - started
    return {"pages": summary.pages, "activities_new": summary.activities_new,
            "errors": summary.errors[:5], "n_errors": len(summary.errors),
            "quarantined": summary.quarantined, "seconds": seconds,
            "peak_mib": peak_rss_mib()}


class _BaseUrlOnly:
    """What `settings_for` asks of a server, for a child process given only its URL."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def platform_settings(self) -> dict[str, object]:
        from urllib.parse import urlsplit

        return {"telegram_base_url": self.base_url,
                "media_hosts": [urlsplit(self.base_url).hostname or "127.0.0.1"]}


def _collect(store: Store, settings, server, home: Path, shards: int,  # noqa: ANN001
             log: Callable[[str], None]) -> tuple[dict[str, object], float]:
    """Collect every channel, in this process or as `shards` child processes + merge.
    Returns (what was collected, the largest child's peak MiB or 0)."""
    from ..collectors.runner import collect
    from ..sharding import merge_shard

    if shards <= 1:
        summary = collect(store, settings, platforms=["telegram"], progress=_progress(log))
        return {"pages": summary.pages, "activities_new": summary.activities_new,
                "errors": summary.errors[:5], "n_errors": len(summary.errors),
                "quarantined": summary.quarantined}, 0.0
    # Each shard starts from a copy of the prepared store (CHECKPOINT first: one file).
    store.con.execute("CHECKPOINT")
    db = Path(store.path)
    shard_homes = []
    for i in range(shards):
        shard_home = home.parent / f"{home.name}-shard{i}"
        shard_home.mkdir(parents=True, exist_ok=True, mode=0o700)
        (shard_home / db.name).write_bytes(db.read_bytes())
        shard_homes.append(shard_home)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}
    procs = [subprocess.Popen(
        [sys.executable, "-m", "pantau.reliability.load", "collect-shard", str(h),
         server.base_url, str(i), str(shards)], stdout=subprocess.PIPE, text=True, env=env)
        for i, h in enumerate(shard_homes)]
    results = []
    for p in procs:
        last = ""
        assert p.stdout is not None
        for line in p.stdout:
            if line.startswith("{"):
                last = line
            else:
                log(line.rstrip())
        if p.wait() != 0 or not last:
            raise RuntimeError(f"collection shard exited with {p.returncode}")
        results.append(json.loads(last))
    merged: dict[str, object] = {
        key: sum(int(r[key]) for r in results)  # type: ignore[call-overload]
        for key in ("pages", "activities_new", "n_errors", "quarantined")}
    merged["errors"] = [e for r in results for e in r["errors"]][:5]
    started = time.perf_counter()
    for h in shard_homes:
        merge_shard(store, h / db.name)
    merged["merge_seconds"] = time.perf_counter() - started
    merged["shard_seconds"] = [round(float(r["seconds"]), 1) for r in results]
    return merged, max(float(r["peak_mib"]) for r in results)


def load(work: Path, *, activities: int = TARGET, accounts: int = 100_000, shards: int = 1,
         log: Callable[[str], None] = print) -> ScenarioResult:
    """The load scenario at `activities` / `accounts` (a multiple of 10 per account)."""
    if accounts <= 0 or activities != accounts * PER_CHANNEL:
        raise ValueError(f"the load test serves {PER_CHANNEL} messages per channel: "
                         f"activities must be {PER_CHANNEL} x accounts (got {activities:,} / "
                         f"{accounts:,})")
    result = ScenarioResult(f"load: {activities:,} activities / {accounts:,} accounts", "load")
    stages: list[Stage] = []
    home = work / "load-home"
    with measured(result):
        try:
            _run_stages(result, stages, home, work, activities, accounts, shards, log)
        except Exception as exc:  # noqa: BLE001 - a crash is a figure too, after those measured
            import traceback

            result.fail(f"{type(exc).__name__}: {exc}\n{traceback.format_exc()[-1500:]}",
                        crash=True)
        if home.is_dir():
            size = sum(p.stat().st_size for p in home.rglob("*") if p.is_file())
            result.note(f"store on disk (database and evidence): {size / 2**20:,.0f} MiB")
    result.peak_rss_mib = round(max([result.peak_rss_mib, *(s.peak_mib for s in stages)]), 1)
    result.note(f"peak resident memory {result.peak_rss_mib:,.0f} MiB of the 24 GiB budget; "
                f"total {result.seconds:,.0f} s on {os.cpu_count()} CPU")
    return result


def _run_stages(result: ScenarioResult, stages: list[Stage], home: Path, work: Path,
                activities: int, accounts: int, shards: int,
                log: Callable[[str], None]) -> None:
    """The stages in order, each noted in `result` as soon as it is done (so what was
    measured is reported even if a later stage fails)."""
    from ..classify.model import TextModel, default_model_dir
    from ..classify.pipeline import classify_pending
    from ..demo import DemoServer, build_world
    from ..demo.synthetic import NEUTRAL
    from ..elections import import_election_file
    from ..errors import ModelError

    try:
        model_dir = default_model_dir()
        model_note = "the shipped model"
    except ModelError:
        model_dir = reliability_model()
        model_note = "the small reliability model (no shipped model yet)"
    # The demo world's election file (its candidates, calendar and watch list).
    files = build_world(seed=2024, scale=0.06).write_files(work / "load-inputs")
    with Store.open(settings=settings_for(home)) as store:
        election = import_election_file(store, files["election"])
        with _stage(stages, "registry") as st:
            asn, accs = _people(accounts)
            store.upsert("asn", asn, key=["nip"])
            store.upsert("accounts", accs, key=["platform", "handle"])
            st.items = store.count("accounts")
        result.note(f"registry: {accounts:,} ASN with valid NIPs and {accounts:,} Telegram "
                    f"accounts written in {st.seconds:.1f} s, peak {st.peak_mib:,.0f} MiB")
        channels = _channels(election, accounts)
        log(f"  collecting {accounts:,} channels x {PER_CHANNEL} messages")
        with DemoServer(channels) as server:
            settings = settings_for(home, server)
            with _stage(stages, "collect") as st:
                got, child_peak = _collect(store, settings, server, home, shards, log)
                st.items = int(got["activities_new"])  # type: ignore[call-overload]
            st.peak_mib = max(st.peak_mib, child_peak)
            requests = server.requests
        result.runs += 1
        evidence_files = sum(1 for _ in (home / "raw").rglob("*.gz"))
        if shards <= 1:
            how = "in this process"
        else:
            took = ", ".join(f"{s:.0f}" for s in got["shard_seconds"])  # type: ignore[attr-defined]
            how = (f"as {shards} account shards (`pantau.sharding`) in {shards} processes, "
                   f"each into its own store file, then `merge_shard` (shards took {took} s; "
                   f"merge {float(got['merge_seconds']):.0f} s, included)")  # type: ignore[arg-type]
        result.note(
            f"collection: `collectors.runner.collect` read {got['pages']:,} t.me/s pages of "
            f"{accounts:,} synthetic channels ({PER_CHANNEL} messages each, plus the "
            f"election's watch-listed Telegram channels) from the demo server on loopback "
            f"(`demo.synthetic`, real markup, no rate limit), {how}: {st.items:,} new "
            f"activities in {st.seconds:,.0f} s = {st.rate:,.0f} activities/s "
            f"({int(got['pages']) / st.seconds:,.0f} pages/s), "  # type: ignore[call-overload]
            f"{evidence_files:,} raw pages archived as evidence; peak {st.peak_mib:,.0f} MiB")
        result.note(_check_collection(store, result, channels, got, requests))
        log("  classifying")
        with _stage(stages, "classify") as st:
            model = TextModel.load(model_dir)
            summary = classify_pending(store, model=model)
            st.items = summary.activities
        result.runs += 1
        result.note(
            f"classification (`classify_pending`, {model_note}, {model.version}): "
            f"{st.items:,} activities in {st.seconds:,.0f} s = {st.rate:,.0f}/s, "
            f"{summary.flags:,} flags, {summary.flagged:,} in the review queue; peak "
            f"{st.peak_mib:,.0f} MiB")
        result.note(_check_classification(store, result, summary, activities, NEUTRAL))
        result.inputs = activities
        log("  reviewing and exporting")
        # Imported here, not at the top: the review and export code is what this stage runs.
        from ..export import export_all
        from ..review import decide

        with _stage(stages, "review + export") as st:
            cases = [r[0] for r in store.rows(
                "SELECT case_id FROM flags WHERE flagged GROUP BY case_id "
                "ORDER BY max(confidence) DESC, case_id LIMIT 500")]
            for c in cases:
                decide(store, c, "confirmed", "Load Reviewer", now=DECIDED_AT)
            exported = export_all(store, EXPORT_WEEK, list(RECIPIENTS),
                                  settings=settings, now=EXPORT_NOW)
            rows = sum(r.row_count for r in exported)
            st.items = len(cases)
        result.runs += 1
        result.note(f"review + export: {st.items} decisions and {len(exported)} weekly files "
                    f"({rows:,} rows) in {st.seconds:,.0f} s; peak {st.peak_mib:,.0f} MiB")
        if rows != len(cases) * len(exported):
            result.fail(f"exported {rows} rows, expected {len(cases) * len(exported)}",
                        violation=True)


def _check_collection(store: Store, result: ScenarioResult, channels, got: dict,  # noqa: ANN001
                      requests: int) -> str:
    """Every served message stored exactly once; one evidence per page; nothing quarantined.
    Failures are counted in `result`; returns the note saying what was checked."""
    expected = channels.total
    n, distinct, wrong = store.rows(
        "SELECT count(*), count(DISTINCT a.activity_id), "
        "  (SELECT count(*) FROM (SELECT actor_handle FROM activities a2 JOIN accounts c2 "
        "     ON c2.platform = a2.platform AND c2.handle = lower(a2.actor_handle) "
        "     GROUP BY 1 HAVING count(*) <> ?)) "
        "FROM activities a JOIN accounts c ON c.platform = a.platform "
        "AND c.handle = lower(a.actor_handle)", [channels.per_channel])[0]
    total = store.count("activities")
    evidence = store.count("evidence")
    quarantined = store.count("quarantine")
    note = (f"collection checks: {n:,} ASN activities stored ({distinct:,} distinct ids) of "
                f"{expected:,} served, {wrong} channel(s) with other than "
                f"{channels.per_channel} messages; {total - n} activities of watch-listed "
                f"channels; {evidence:,} evidence rows for {got['pages']:,} pages "
                f"({requests:,} HTTP requests served); {got['n_errors']} error(s), "
                f"{quarantined} quarantined")
    if n < expected:
        result.lost += expected - n
        result.fail(f"stored {n:,} of {expected:,} served activities")
    if n > expected or distinct != n:
        result.duplicates += (n - distinct) + max(0, distinct - expected)
        result.fail(f"stored {n:,} rows, {distinct:,} distinct, for {expected:,} served")
    if wrong:
        result.fail(f"{wrong} channel(s) stored with other than {channels.per_channel} "
                    "messages", violation=True)
    if got["n_errors"] or quarantined:
        result.fail(f"collection reported {got['n_errors']} error(s) (e.g. {got['errors']}) "
                    f"and {quarantined} quarantined item(s)", violation=True)
    return note


def _check_classification(store: Store, result: ScenarioResult, summary,  # noqa: ANN001
                          expected: int, neutral: tuple[str, ...]) -> str:
    """Every ASN activity classified once; what got flagged, against the texts served."""
    n, distinct = store.rows(
        "SELECT count(*), count(DISTINCT activity_id) FROM classifications")[0]
    campaign, flagged_campaign, flagged_neutral = store.rows(
        "WITH f AS (SELECT DISTINCT activity_id FROM flags WHERE flagged) "
        "SELECT count(*) FILTER (WHERE NOT list_contains(?, a.text)), "
        "  count(f.activity_id) FILTER (WHERE NOT list_contains(?, a.text)), "
        "  count(f.activity_id) FILTER (WHERE list_contains(?, a.text)) "
        "FROM activities a JOIN accounts c ON c.platform = a.platform "
        "  AND c.handle = lower(a.actor_handle) "
        "LEFT JOIN f ON f.activity_id = a.activity_id",
        [list(neutral)] * 3)[0]
    note = (f"classification checks: {n:,} classifications ({distinct:,} distinct "
                f"activities) for {expected:,} activities; {flagged_campaign:,} of "
                f"{campaign:,} campaign texts naming a candidate flagged, {flagged_neutral:,} "
                f"neutral texts flagged")
    if summary.activities != expected or n != expected or distinct != expected:
        result.lost += max(0, expected - distinct)
        result.duplicates += max(0, n - distinct)
        result.fail(f"classified {summary.activities:,} now, {n:,} rows ({distinct:,} "
                    f"distinct) of {expected:,} activities")
    return note


def main(argv: list[str]) -> int:
    """``python -m pantau.reliability.load collect-shard HOME BASE_URL INDEX COUNT``: one
    collection shard (what `_collect` starts per shard); prints its figures as JSON."""
    if len(argv) != 5 or argv[0] != "collect-shard":
        print(main.__doc__, file=sys.stderr)
        return 2
    out = collect_shard(Path(argv[1]), argv[2], int(argv[3]), int(argv[4]))
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
