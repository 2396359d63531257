"""Every scenario, in the order of the table, with its short (CI) and full sizes."""

from __future__ import annotations

import shutil
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .result import ScenarioResult, read_earlier, render_markdown


@dataclass(frozen=True, slots=True)
class Scenario:
    key: str
    run: Callable[[Path, bool], list[ScenarioResult]]
    full_only: bool = False


def _kill(work: Path, quick: bool) -> list[ScenarioResult]:
    from .kill import kill_scenarios

    return kill_scenarios(work, quick=quick)


def _platform(work: Path, quick: bool) -> list[ScenarioResult]:
    from .faults import layout_change, platform_faults

    return [platform_faults(work, quick=quick), layout_change(work, quick=quick)]


def _busy(work: Path, quick: bool) -> list[ScenarioResult]:
    from .faults import busy_store

    return [busy_store(work, quick=quick)]


def _disk(work: Path, quick: bool) -> list[ScenarioResult]:
    from .faults import disk_faults

    return [disk_faults(work, quick=quick)]


def _fuzz(work: Path, quick: bool) -> list[ScenarioResult]:
    from .fuzz import fuzz_importers, fuzz_parsers

    n = 25 if quick else 300
    return [fuzz_parsers(work, examples=n), fuzz_importers(work, examples=n if quick else 100)]


def _hostile(work: Path, quick: bool) -> list[ScenarioResult]:
    from .hostile import hostile_outputs, ssrf

    return [hostile_outputs(work, examples=20 if quick else 200), ssrf(work, quick=quick)]


def _privacy(work: Path, quick: bool) -> list[ScenarioResult]:
    from .privacy import privacy

    return [privacy(work, quick=quick)]


SCENARIOS: list[Scenario] = [
    Scenario("kill", _kill),
    Scenario("platform", _platform),
    Scenario("busy", _busy),
    Scenario("disk", _disk),
    Scenario("fuzz", _fuzz),
    Scenario("hostile", _hostile),
    Scenario("privacy", _privacy),
]


def run_scenario(scenario: Scenario, work: Path, quick: bool) -> list[ScenarioResult]:
    """Run one scenario; an exception escaping it is itself a crash in the table."""
    work.mkdir(parents=True, exist_ok=True)
    try:
        return scenario.run(work, quick)
    except Exception as exc:  # noqa: BLE001 - reported, not swallowed
        failed = ScenarioResult(f"{scenario.key} (scenario aborted)", scenario.key)
        failed.fail(f"{type(exc).__name__}: {exc}\n{traceback.format_exc()[-1500:]}",
                    crash=True)
        return [failed]


def run_all(*, quick: bool, only: list[str] | None = None, load_activities: int = 1_000_000,
            load_accounts: int = 100_000, load_shards: int = 1,
            log: Callable[[str], None] = print,
            keep: Path | None = None) -> tuple[list[ScenarioResult], float]:
    """Run the scenarios (all, or those named in `only`), returning results and seconds."""
    started = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="pantau-reliability-", dir=keep))
    results: list[ScenarioResult] = []
    try:
        for scenario in SCENARIOS:
            if only and scenario.key not in only:
                continue
            log(f"== {scenario.key}")
            for r in run_scenario(scenario, root / scenario.key, quick):
                log(r.summary() + f"  ({r.seconds:.0f} s)")
                results.append(r)
        if not quick and (not only or "load" in only):
            from .load import load

            log("== load")
            try:
                r = load(root / "load", activities=load_activities, accounts=load_accounts,
                         shards=load_shards, log=log)
            except Exception as exc:  # noqa: BLE001
                r = ScenarioResult("load (aborted)", "load")
                r.fail(f"{type(exc).__name__}: {exc}\n{traceback.format_exc()[-1500:]}",
                       crash=True)
            log(r.summary())
            results.append(r)
    finally:
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)
    return results, time.perf_counter() - started


def write_report(path: Path, results: list[ScenarioResult], *, quick: bool,
                 seconds: float, only: list[str] | None = None) -> Path:
    """Write the report. After a run of `only` some scenarios, the other scenarios' rows
    and sections are kept from the file being replaced (marked as from that earlier run)
    instead of being dropped; hand-written sections are not kept."""
    earlier = None
    if only and path.is_file():
        earlier = read_earlier(path.read_text(encoding="utf-8"))
    text = render_markdown(results, mode="quick" if quick else "full", seconds=seconds,
                           earlier=earlier, only=only)
    path.write_text(text, encoding="utf-8")
    return path
