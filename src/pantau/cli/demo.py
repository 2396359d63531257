"""`pantau demo`: the whole pipeline against a local demo world (thin over `pantau.demo.run`)."""

from __future__ import annotations

import importlib.util
import shlex
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ..demo.run import DEFAULT_HOME, REVIEWER_BANNER, DemoSummary, run_demo
from ..demo.server import DemoServer

out = Console()


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def print_summary(summary: DemoSummary, console: Console = out) -> None:
    """The demo's results: collection, flags, precision/recall, exports, what to do next."""
    world = summary.world
    console.rule("[bold]pantau demo: summary")
    console.print(f"Demo world seed {summary.seed}, scale {summary.scale}: {world['asn']} ASN, "
                  f"{world['accounts']} accounts, {world['posts']} posts, {world['likes']} likes, "
                  f"{world['follows']} follows; {world['planted']} planted violations.")
    if summary.as_of is not None:
        console.print(f"[bold]{summary.clock_line}[/]: collection, review and export ran as if "
                      "during the demo election; Prefect's run times are real.")

    collected = Table(title="Activities collected", title_justify="left")
    collected.add_column("platform")
    collected.add_column("activities", justify="right")
    for platform, n in summary.collected.items():
        collected.add_row(platform, str(n))
    collected.add_row("[bold]total", f"[bold]{sum(summary.collected.values())}")
    console.print(collected)

    by_rule = summary.score.get("by_rule", {})
    rules = Table(title="Flags by rule (review queue) against the planted truth",
                  title_justify="left")
    for column in ("rule", "flagged", "correct", "precision", "planted", "found", "recall"):
        rules.add_column(column, justify="left" if column == "rule" else "right")
    for rule in sorted(set(summary.flags_by_rule) | set(by_rule)):
        r = by_rule.get(rule, {})
        rules.add_row(rule, str(summary.flags_by_rule.get(rule, 0)),
                      str(r.get("correct_flags", 0)), _pct(r.get("precision")),
                      str(r.get("planted", 0)), str(r.get("found", 0)), _pct(r.get("recall")))
    console.print(rules)
    o = summary.score.get("overall", {})
    console.print(f"[bold]Precision {_pct(summary.precision)}[/] ({o.get('correct_flags')} of "
                  f"{o.get('flags')} flags correct), [bold]recall {_pct(summary.recall)}[/] "
                  f"({o.get('found')} of {o.get('planted')} planted violations found).")
    for miss in summary.score.get("missed", []):
        console.print(f"  missed {miss['rule']} {miss['kind']}: {miss['activity_id']}",
                      style="dim", soft_wrap=True)
    for false in summary.score.get("false_flags", []):
        console.print(f"  false flag {false['rule']}: {false['activity_id']}", style="dim",
                      soft_wrap=True)

    console.print(f"\n{REVIEWER_BANNER}: "
                  + ", ".join(f"{n} {v}" for v, n in summary.reviewed.items()))
    exports = Table(title=f"Weekly export {summary.week}", title_justify="left")
    for column in ("recipient", "cases", "file", "manifest"):
        exports.add_column(column, overflow="fold")
    for e in summary.exports:
        exports.add_row(e["recipient"], str(e["rows"]), e["csv"], e["manifest"])
    console.print(exports)

    for note in summary.notes:
        console.print(f"note: {note}", style="yellow", soft_wrap=True)
    t = summary.timings
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in t.items() if k != "total")
    console.print(f"Finished in {t.get('total', 0):.1f} s ({steps}); "
                  f"{sum(summary.cpu.values()):.0f} CPU-s in this process.", soft_wrap=True)

    home = shlex.quote(str(summary.home))
    console.print("\n[bold]Next[/]: open the review queue on the demo store:")
    if importlib.util.find_spec("jupyterlab") is not None:
        console.print(f"  PANTAU_HOME={home} jupyter lab notebooks/01-review-queue.ipynb",
                      soft_wrap=True)
    else:
        console.print("  JupyterLab is not installed (pip install jupyterlab), then:\n"
                      f"  PANTAU_HOME={home} jupyter lab notebooks/01-review-queue.ipynb\n"
                      "  or run it headless now:\n"
                      f"  PANTAU_HOME={home} jupyter execute notebooks/01-review-queue.ipynb",
                      soft_wrap=True)
    console.print(f"  PANTAU_HOME={home} pantau review list", soft_wrap=True)
    if summary.prefect is not None and summary.prefect.home is not None:
        console.print("  The flow runs and their artifacts: "
                      f"PREFECT_HOME={shlex.quote(str(summary.prefect.home))} "
                      "prefect server start", soft_wrap=True)


def _hold(server: DemoServer, summary: DemoSummary) -> None:
    print_summary(summary)
    out.print(f"\nThe demo world stays up at [bold]{server.base_url}[/] "
              f"(t.me/s pages under /s/, Bluesky under /xrpc/, Mastodon under /api/v1/).\n"
              f"Collect from it again: PANTAU_CONFIG={shlex.quote(str(summary.config))} "
              "pantau collect\nPress Ctrl-C to stop it.", soft_wrap=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        out.print("stopping the demo world")


def demo_cmd(
    home: Path = typer.Option(DEFAULT_HOME, "--home", help="Demo home, wiped and recreated on "
                              "every run (never your PANTAU_HOME)."),
    seed: int = typer.Option(2024, "--seed", help="Seed of the generated world."),
    scale: float = typer.Option(1.0, "--scale", min=0.05, help="Size of the world (1.0: 300 "
                                "ASN, ~4 000 posts)."),
    keep_server: bool = typer.Option(False, "--keep-server", help="Keep the demo world's "
                                     "loopback server running after the summary, until Ctrl-C."),
    model: Path | None = typer.Option(None, "--model", help="Classify with this model "
                                      "directory instead of the shipped one."),
    no_progress: bool = typer.Option(False, "--no-progress", help="No progress display."),
) -> None:
    """Run pantau end to end against a generated demo world on loopback.

    Builds a reproducible world (agencies, ASN, campaign accounts, posts, likes, follows, with
    planted violations and innocent look-alikes), serves it as t.me/s pages, Bluesky XRPC and
    Mastodon REST on 127.0.0.1, imports the registry and election, runs the real collect and
    classify flows over HTTP, lets a clearly labelled DEMO REVIEWER decide the flags from the
    planted truth, writes the weekly export, and prints precision and recall.

    Example: pantau demo --home data/demo --seed 2024
    """
    summary = run_demo(home, seed=seed, scale=scale, progress=not no_progress,
                       model_dir=model, hold=_hold if keep_server else None)
    if not keep_server:
        print_summary(summary)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_cmd)
