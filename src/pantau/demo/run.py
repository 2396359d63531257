"""`pantau demo`: the whole pipeline, end to end, against the loopback demo world.

    summary = run_demo(Path("data/demo"))        # -> DemoSummary (also what the CLI prints)

1. A fresh demo home (wiped and recreated, except the Prefect database of earlier runs;
   never the user's PANTAU_HOME) with its own ``pantau.toml`` pointing the collectors at the
   loopback `DemoServer`. The demo's own Prefect server is launched first and starts while
   the world is built (`prefect_env`).
2. Registry, accounts and election imported with the library functions the CLI uses.
3. The real Prefect flows over HTTP: ``collect`` (all three platforms), the photos downloaded
   and analysed, ``classify``; then a DEMO REVIEWER script, clearly labelled, confirms the
   flags that match the planted truth and dismisses the rest through `pantau.review.decide`;
   then the ``export-weekly`` flow writes the week of those decisions for every recipient.
4. Precision and recall of the flags against the planted truth (`score`).

Steps 2-4 run on a SIMULATED CLOCK (`timeutil.frozen_clock`) starting at `World.as_of`, a
moment in the demo election's discipline stage after the world's last act: observed_at,
decided_at, the export's week and created_at are in 2024, as if pantau had run during that
campaign, and undated acts (follows, Mastodon favourites) are judged at that moment as they
are in real use. Prefect's own run timestamps stay real.

While it runs, the process environment's ``PANTAU_*`` variables are replaced by the demo's
(and restored afterwards), because the flows read the process-wide settings; the settings
cache is cleared on the way in and out.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from ..config import get_settings
from ..errors import FlowError, InputError
from ..store import Store
from ..timeutil import WIB, frozen_clock, show, utcnow
from .prefect_env import (
    PrefectBackend,
    current_prefect,
    launch_own_prefect_server,
    quiet_prefect_console,
)
from .server import DemoServer
from .truth import score, verdict_of
from .world import World, build_world

DEFAULT_HOME = Path("data/demo")
MARKER = ".pantau-demo"               # only a directory carrying this is ever wiped
PREFECT_DIR = "prefect"               # the own Prefect server's database: kept across runs
REVIEWER = "demo-reviewer"
REVIEWER_BANNER = "DEMO REVIEWER — decisions taken from the planted truth, not by a person"
RECIPIENTS = ("bkn", "kasn", "bawaslu")   # every shipped recipient layout
COLLECT_BATCH_SIZE = 100

log = logging.getLogger("pantau.demo")


@dataclass(slots=True)
class DemoSummary:
    """What `run_demo` did and found; the CLI prints it."""

    home: Path
    config: Path
    seed: int
    scale: float
    world: dict[str, int]
    as_of: datetime | None = None                                   # the simulated clock's start
    collected: dict[str, int] = field(default_factory=dict)        # activities per platform
    flags_by_rule: dict[str, int] = field(default_factory=dict)    # flagged (review queue)
    score: dict[str, Any] = field(default_factory=dict)            # pantau.demo.truth.score
    reviewed: dict[str, int] = field(default_factory=dict)         # verdict -> cases
    week: str = ""
    exports: list[dict[str, Any]] = field(default_factory=list)    # recipient, rows, csv, manifest
    timings: dict[str, float] = field(default_factory=dict)        # step -> seconds
    # step -> CPU seconds of this process (not the Prefect server): a load-independent measure
    cpu: dict[str, float] = field(default_factory=dict)
    prefect: PrefectBackend | None = None
    notes: list[str] = field(default_factory=list)                 # errors and skipped parts

    @property
    def precision(self) -> float | None:
        return self.score.get("overall", {}).get("precision")

    @property
    def recall(self) -> float | None:
        return self.score.get("overall", {}).get("recall")

    @property
    def store_path(self) -> Path:
        return self.home / "pantau.duckdb"

    @property
    def clock_line(self) -> str:
        """'demo clock: 2024-11-25 10:00 WIB (simulated)'."""
        return f"demo clock: {show(self.as_of)} (simulated)" if self.as_of else ""


# --- the demo home ---------------------------------------------------------------------------


def prepare_home(home: Path) -> Path:
    """Wipe and recreate `home` as a demo home; refuse anything that is not one.

    A non-empty directory without the demo marker, or one that is (or contains) the user's
    configured PANTAU_HOME, is never deleted. The Prefect database in `PREFECT_DIR` is kept:
    creating and migrating it again would cost every run a slow start (it only holds the
    demo's own flow runs)."""
    home = home.expanduser().resolve()
    real = get_settings().home.expanduser().resolve()
    if home == real or home in real.parents:
        raise InputError(f"{home}: this is (or contains) your PANTAU_HOME {real}; the demo "
                         "wipes its home on every run, so give it another --home")
    if home.exists():
        if not home.is_dir():
            raise InputError(f"{home}: exists and is not a directory")
        if any(home.iterdir()) and not (home / MARKER).is_file():
            raise InputError(f"{home}: not empty and not a demo home (no {MARKER} file); "
                             "refusing to wipe it, give the demo an empty or new --home")
        for child in home.iterdir():
            if child.name == PREFECT_DIR and child.is_dir() and not child.is_symlink():
                continue
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    home.mkdir(parents=True, exist_ok=True)
    (home / MARKER).write_text("Created by `pantau demo`; wiped and recreated on every run.\n",
                               encoding="utf-8")
    return home


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_value(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def write_config(home: Path, server: DemoServer, model_dir: Path | None = None) -> Path:
    """The demo's ``pantau.toml``: its home, the loopback platforms, no politeness delays
    (it is our own server), and every shipped recipient."""
    lines = [
        "# Written by `pantau demo` for its loopback world; the platform URLs die with the run.",
        f"home = {_toml_value(str(home))}",
        'contact = "pantau demo (loopback only)"',
        "",
        "[platforms]",
        *(f"{k} = {_toml_value(v)}" for k, v in server.platform_settings().items()),
        "",
        "[http]",
        # Loopback answers at once: short timeouts and back-off keep a stall visible, not long.
        "connect_timeout = 5.0",
        "read_timeout = 15.0",
        "max_retries = 2",
        "backoff_base = 0.1",
        "backoff_max = 1.0",
        "",
        "[http.rate_limits]",
        *(f"{p} = {{ requests = 10000, per_seconds = 1, burst = 1000 }}"
          for p in ("telegram", "bluesky", "mastodon", "media")),
        "",
        "[export]",
        f"recipients = {_toml_value(list(RECIPIENTS))}",
    ]
    if model_dir is not None:
        lines += ["", "[classifier]", f"model_dir = {_toml_value(str(model_dir.resolve()))}"]
    path = home / "pantau.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@contextmanager
def demo_environment(home: Path, config: Path) -> Iterator[None]:
    """The process sees only the demo's settings inside the block (see the module docstring)."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("PANTAU_")}
    for name in saved:
        del os.environ[name]
    os.environ["PANTAU_CONFIG"] = str(config)
    os.environ["PANTAU_HOME"] = str(home)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for name in [k for k in os.environ if k.startswith("PANTAU_")]:
            del os.environ[name]
        os.environ.update(saved)
        get_settings.cache_clear()


# --- the flows: the one place that knows how the pipeline is orchestrated --------------------


class Pipeline:
    """The scheduled flows of `pantau.flows`, called in-process as `pantau serve` would."""

    def collect(self) -> dict[str, Any]:
        from ..flows import collect_flow

        # Classification runs as its own flow after the photos are analysed (below).
        return collect_flow(batch_size=COLLECT_BATCH_SIZE, classify=False, media=False)

    def media(self, store: Store) -> tuple[Any, Any]:
        from ..media.stage import process_pending_media

        # Only what the classifier reads: photos of registered ASN accounts' activities, not
        # every poster of the watch-listed campaign accounts.
        summary = process_pending_media(store, get_settings(), registered_only=True)
        return summary.download, summary.analysis

    def classify(self) -> dict[str, Any]:
        from ..flows import classify_flow

        return classify_flow()

    def export(self, week: str) -> dict[str, Any]:
        from ..flows import export_weekly_flow

        return export_weekly_flow(week=week)


# --- progress ----------------------------------------------------------------------------------


class _Steps:
    """A rich progress display (or nothing), one line per step, and the step timings."""

    def __init__(self, progress: Progress | None, timings: dict[str, float],
                 cpu: dict[str, float]) -> None:
        self.progress = progress
        self.timings = timings
        self.cpu = cpu

    @contextmanager
    def step(self, key: str, label: str, total: int | None = None) -> Iterator[_Step]:
        task = self.progress.add_task(label, total=total) if self.progress else None
        started, cpu = time.perf_counter(), time.process_time()
        s = _Step(self.progress, task)
        try:
            yield s
        finally:
            self.timings[key] = round(time.perf_counter() - started, 2)
            self.cpu[key] = round(time.process_time() - cpu, 2)
            if self.progress is not None and task is not None:
                t = self.progress.tasks[task]
                done_total = t.total if t.total is not None else 1
                self.progress.update(task, total=done_total, completed=done_total,
                                     description=f"{label} [dim]({self.timings[key]:.1f} s)")


class _Step:
    def __init__(self, progress: Progress | None, task: TaskID | None) -> None:
        self.progress = progress
        self.task = task

    def total(self, n: int) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, total=n)

    def advance(self, n: int = 1) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.advance(self.task, n)

    def done(self, completed: int, total: int) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, completed=completed, total=total)


class _CountAccounts(logging.Handler):
    """Advances the collection bar on the runner's "collecting <platform> <handle>" lines."""

    def __init__(self, step: _Step) -> None:
        super().__init__(logging.INFO)
        self.step = step

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "collecting %s %s":
            self.step.advance()


@contextmanager
def _listen(logger_name: str, handler: logging.Handler) -> Iterator[None]:
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.addHandler(handler)
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


# --- the demo --------------------------------------------------------------------------------


def run_demo(
    home: Path = DEFAULT_HOME,
    *,
    seed: int = 2024,
    scale: float = 1.0,
    progress: bool = True,
    console: Console | None = None,
    prefect: Literal["own", "current"] = "own",
    model_dir: Path | None = None,
    hold: Callable[[DemoServer, DemoSummary], None] | None = None,
) -> DemoSummary:
    """Run the whole pipeline against a fresh demo world in `home`; see the module docstring.

    `prefect`: ``own`` starts a temporary Prefect server whose database lives under
    ``<home>/prefect``; ``current`` uses the configured one (a test harness, PREFECT_API_URL).
    `model_dir` classifies with that model instead of the shipped one. `hold(server, summary)`
    is called at the end while the demo server still runs (``pantau demo --keep-server``).
    """
    console = console or Console(stderr=True)
    started = time.perf_counter()
    home = prepare_home(Path(home))
    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}
    display = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                       MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                       transient=False) if progress else None
    steps = _Steps(display, timings, cpu)
    with ExitStack() as stack:
        if display is not None:
            stack.enter_context(display)
        # The Prefect server starts first and is waited for only before the first flow: it
        # comes up while the world is built and the registry imported.
        startup = stack.enter_context(launch_own_prefect_server(home / PREFECT_DIR)) \
            if prefect == "own" else None

        def prefect_ready() -> None:
            if startup is not None:
                summary.prefect = startup.ready()
            else:
                summary.prefect = stack.enter_context(current_prefect())
            stack.enter_context(quiet_prefect_console())

        with steps.step("world", f"Building the demo world (seed {seed}, scale {scale})"):
            world = build_world(seed=seed, scale=scale)
            inputs = world.write_files(home / "inputs")
        server = stack.enter_context(DemoServer(world))
        config = write_config(home, server, model_dir)
        stack.enter_context(demo_environment(home, config))
        summary = DemoSummary(home, config, seed, scale, world.summary(), world.as_of,
                              timings=timings, cpu=cpu)
        if progress:
            console.print(f"[bold cyan]{summary.clock_line}[/]")
        label = "Waiting for Prefect" + (
            f" (temporary server, {home.name}/{PREFECT_DIR})" if startup is not None else "")
        # Everything pantau timestamps from here on happens "at" world.as_of (module docstring).
        with frozen_clock(world.as_of):
            _pipeline(Pipeline(), world, inputs, summary, steps, console if progress else None,
                      prefect=(label, prefect_ready))
        summary.timings["total"] = round(time.perf_counter() - started, 2)
        if hold is not None:
            if display is not None:
                display.stop()
            hold(server, summary)
    return summary


def _pipeline(pipeline: Pipeline, world: World, inputs: dict[str, Path], summary: DemoSummary,
              steps: _Steps, console: Console | None,
              prefect: tuple[str, Callable[[], None]] | None = None) -> None:
    """The steps after the world is served; `prefect` = (label, wait for the backend), run
    after the import, before the first flow."""
    from .. import elections, registry

    with steps.step("import", "Importing registry, accounts and election"):
        with Store.open() as store:
            registry.import_people(store, inputs["registry"])
            registry.import_accounts(store, inputs["accounts"])
            elections.import_election_file(store, inputs["election"])
            from ..orchestration import plan_collection

            accounts = sum(len(b.handles) for b in plan_collection(store))

    if prefect is not None:
        with steps.step("prefect", prefect[0]):
            prefect[1]()

    with steps.step("collect", "Collecting over HTTP (flow: collect)", total=accounts) as s:
        with _listen("pantau.collect", _CountAccounts(s)):
            try:
                result = pipeline.collect()
                report = result["collect"]
                summary.notes += [f"collection: {report['errors']} page error(s)"] \
                    if report["errors"] else []
            except FlowError as exc:   # some batches failed: classify what was collected
                summary.notes.append(f"collection: {exc}")

    with steps.step("media", "Downloading and analysing photos"), Store.open() as store:
        downloaded, analysed = pipeline.media(store)
        summary.notes += [f"media: {e}" for e in (downloaded.errors + analysed.errors)[:5]]

    with steps.step("classify", "Classifying (flow: classify)"):
        pipeline.classify()

    with steps.step("review", "DEMO REVIEWER deciding the flagged cases") as s:
        if console is not None:
            console.print(f"[bold yellow]{REVIEWER_BANNER}[/]")
        with Store.open() as store:
            summary.reviewed = review_by_truth(store, world, on_case=s.done)
    # The export covers the ISO week (Asia/Jakarta) in which the cases were confirmed.
    year, week, _ = utcnow().astimezone(WIB).isocalendar()
    summary.week = f"{year}-W{week:02d}"

    with steps.step("export", f"Weekly export {summary.week} (flow: export-weekly)"):
        summary.exports = pipeline.export(summary.week)["exports"]

    with steps.step("score", "Scoring against the planted truth"), \
            Store.open(read_only=True) as store:
        summary.collected = {p: int(n) for p, n in store.rows(
            "SELECT platform, count(*) FROM activities GROUP BY 1 ORDER BY 1")}
        summary.flags_by_rule = {r: int(n) for r, n in store.rows(
            "SELECT rule, count(*) FROM flags WHERE flagged AND election_id = ? "
            "GROUP BY 1 ORDER BY 1", [world.election.id])}
        summary.score = score(store, world)


def review_by_truth(store: Store, world: World,
                    on_case: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """The DEMO REVIEWER: confirm each open flagged case of the demo election that names a
    planted act with an accepted rule, dismiss the others; every decision goes through
    `pantau.review.decide` (audit chain) as reviewer ``demo-reviewer`` with a note saying so."""
    from ..review import decide, queue

    open_cases = queue(store, election=world.election.id, status="open")
    ids = list(open_cases["case_id"])
    facts = {cid: (aid, rule) for cid, aid, rule in store.rows(
        "SELECT case_id, activity_id, rule FROM flags WHERE list_contains(?, case_id)", [ids])}
    check = verdict_of(world)
    counts = {"confirmed": 0, "dismissed": 0}
    for n, cid in enumerate(ids, start=1):
        activity, rule = facts[cid]
        planted = check(activity, rule)
        if planted is not None:
            verdict = "confirmed"
            note = f"DEMO: planted {planted.kind.removeprefix('planted:')} ({planted.rule})"
        else:
            verdict = "dismissed"
            note = "DEMO: not a planted violation with this rule"
        decide(store, cid, verdict, REVIEWER, note)
        counts[verdict] += 1
        if on_case is not None:
            on_case(n, len(ids))
    return counts


__all__ = ["DEFAULT_HOME", "DemoSummary", "Pipeline", "REVIEWER", "REVIEWER_BANNER",
           "demo_environment", "prepare_home", "review_by_truth", "run_demo", "write_config"]
