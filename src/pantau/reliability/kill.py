"""SIGKILL a collector, classifier or export process at many points, restart it, and check the
store ends exactly as after an uninterrupted run: the same activity ids, evidence, quarantine,
flags, classifications, decisions, export rows and export file bytes.

Kill points come from two sources, alternating: a self-kill at the N-th write event
(`worker.CrashPoints`: before/after each upsert, commit and file rename, N drawn uniformly over
the events of an uninterrupted run) and a SIGKILL from this process at a random moment of the
run's wall-clock time. Every restart is an ordinary run of the same stage.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..store import Store
from .pipeline import (
    EXPORT_WEEK, compare, confirm_cases, copy_home, env_for, leftover_temp_files, prepare_home,
    reliability_model, settings_for, snapshot,
)
from .result import ScenarioResult, measured
from .worker import KILL_ENV

# Evidence is not compared row for row: a restarted collection may re-read a page from a
# different position (a cursor committed before the kill), archiving an extra raw response that
# holds the same activities. What must hold is that every activity keeps verifiable evidence.
STAGE_TABLES = {
    "collect": ("activities", "quarantine"),
    "classify": ("classifications", "flags"),
    "export": ("exports", "export_rows", "decisions"),
    # What the collect flow runs: collecting with classification alongside (a forked child),
    # then the rest; from the same start as "collect".
    "collect-classify": ("activities", "quarantine", "classifications", "flags"),
}
FROM_START = {"collect", "collect-classify"}
TIMEOUT = 900.0


@dataclass(slots=True)
class Finished:
    events: int
    seconds: float
    stdout: str


def _spawn(stage: str, env: dict[str, str], kill_at: int = 0) -> subprocess.Popen[str]:
    env = dict(env)
    if kill_at:
        env[KILL_ENV] = str(kill_at)
    return subprocess.Popen([sys.executable, "-m", "pantau.reliability.worker", stage], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_to_end(stage: str, env: dict[str, str], result: ScenarioResult) -> Finished | None:
    """One uninterrupted run; a non-zero exit is recorded as a crash (with its stderr)."""
    start = time.perf_counter()
    proc = _spawn(stage, env)
    out, err = proc.communicate(timeout=TIMEOUT)
    result.runs += 1
    if proc.returncode != 0:
        result.fail(f"{stage} exited {proc.returncode}: {err.strip()[-1500:]}", crash=True)
        return None
    events = next((int(line.split()[1]) for line in out.splitlines()
                   if line.startswith("events ")), 0)
    return Finished(events, time.perf_counter() - start, out)


def killed_runs(stage: str, env: dict[str, str], reference: Finished, kills: int,
                rng: random.Random, result: ScenarioResult) -> None:
    """`kills` runs, each ended by SIGKILL (unless it finished first), then one to the end."""
    for i in range(kills):
        if i % 2 == 0:
            point = rng.randint(1, max(1, reference.events))
            proc = _spawn(stage, env, kill_at=point)
            _out, err = proc.communicate(timeout=TIMEOUT)
            how = f"write event {point}"
        else:
            delay = rng.uniform(0.3, max(0.4, reference.seconds))
            proc = _spawn(stage, env)
            deadline = time.monotonic() + delay
            while proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
            _out, err = proc.communicate(timeout=TIMEOUT)
            how = f"{delay:.2f} s"
        result.runs += 1
        if proc.returncode == -signal.SIGKILL:
            result.faults += 1
        elif proc.returncode != 0:
            result.fail(f"{stage} run killed at {how} exited {proc.returncode} before the kill: "
                        f"{err.strip()[-1500:]}", crash=True)
    run_to_end(stage, env, result)


def _check(stage: str, ref_home: Path, home: Path, result: ScenarioResult) -> None:
    tables = STAGE_TABLES[stage]
    ref, got = snapshot(ref_home, tables), snapshot(home, tables)
    diff = compare(ref, got, tables, files=stage == "export")
    result.lost += diff.lost
    result.duplicates += diff.duplicates
    result.inputs += sum(ref.count(t) for t in tables) + len(ref.files)
    for d in diff.details:
        result.fail(d)
    counts = ", ".join(f"{ref.count(t)} {t}" for t in tables)
    files = f", {len(ref.files)} export files" if stage == "export" else ""
    result.note(f"uninterrupted run: {counts}{files}; the killed-and-restarted home holds "
                f"the same ({diff.lost} lost, {diff.duplicates} extra or repeated)")
    with Store.open(home / "pantau.duckdb", settings=settings_for(home),
                    read_only=True) as store:
        if stage in FROM_START:
            from ..evidence import verify

            report = verify(store)
            if not report.ok:
                result.fail(f"evidence archive does not verify after kills: {report}", crash=True)
            orphans = store.rows(
                "SELECT count(*) FROM activities a WHERE a.evidence_id IS NOT NULL AND NOT EXISTS "
                "(SELECT 1 FROM evidence e WHERE e.sha256 = a.evidence_id)")[0][0]
            if orphans:
                result.lost += orphans
                result.fail(f"{orphans} activities lost their evidence row after kills")
            n_ev = store.rows("SELECT count(*) FROM evidence")[0][0]
            ref_ev = snapshot(ref_home, ("evidence",)).count("evidence")
            result.note(f"evidence: every activity's raw response present and verified; "
                        f"{n_ev} archived responses ({ref_ev} in the uninterrupted run: pages "
                        "re-read from another position after a restart are archived too)")
        if stage == "export":
            from ..review import verify_audit

            audit = verify_audit(store)
            if not audit.ok:
                result.fail(f"audit chain does not verify after kills: {audit}", crash=True)
    temps = leftover_temp_files(home)
    if temps:
        result.note(f"{len(temps)} temporary file(s) of interrupted writes left beside the "
                    "real ones (never read as data): "
                    + ", ".join(p.name for p in temps[:3]))


def kill_scenarios(work: Path, *, quick: bool = True, seed: int = 8,
                   kills: int | None = None) -> list[ScenarioResult]:
    """The kill scenarios, sharing one demo world and one chain of homes (collect, classify,
    export; collecting with classification alongside starts where collect does); `kills` per
    stage defaults to 4 (quick) or 8 (full)."""
    from ..demo import DemoServer, build_world

    scale = 0.06 if quick else 0.1  # below 0.06 build_world fails (demo bug, reported)
    kills = kills if kills is not None else (4 if quick else 8)
    rng = random.Random(seed)
    results = {s: ScenarioResult(f"SIGKILL {s} process, restart", "kill") for s in STAGE_TABLES}
    world = build_world(seed=2024, scale=scale)
    model = reliability_model()
    with DemoServer(world) as server:
        base = work / "base"
        with Store.open(settings=settings_for(base, server)) as store:
            prepare_home(store, world, base / "inputs")
        homes = {}
        previous = base
        for stage in STAGE_TABLES:
            result = results[stage]
            start = base if stage in FROM_START else previous
            with measured(result):
                ref = copy_home(start, work / f"{stage}-ref")
                killed = copy_home(start, work / f"{stage}-killed")
                if stage == "export":
                    # Human decisions are made once, before the copies diverge.
                    for home in (ref, killed):
                        with Store.open(settings=settings_for(home)) as store:
                            confirm_cases(store, 6)
                # Small classifier batches: many commits, so many places to be killed in.
                env_ref = env_for(ref, server, model=model, batch_size=25)
                env_killed = env_for(killed, server, model=model, batch_size=25)
                reference = run_to_end(stage, env_ref, result)
                if reference is None:
                    break
                killed_runs(stage, env_killed, reference, kills, rng, result)
                _check(stage, ref, killed, result)
                result.note(f"demo world scale {scale} (seed 2024); {kills} kill attempts, "
                            f"{result.faults} landed before the run finished; uninterrupted "
                            f"run {reference.seconds:.1f} s, {reference.events} write events")
                if stage == "export":
                    result.note(f"week {EXPORT_WEEK}, recipients bkn, kasn, bawaslu; files "
                                "compared byte for byte")
            homes[stage] = ref
            previous = ref
    return list(results.values())
