"""`pantau train`, `pantau classify` and `pantau classify-store`: thin commands over
`pantau.classify`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ._common import err, out, print_warnings

PROGRESS_MIN_ROWS = 2000  # smaller files finish before a bar would help


def _progress(total_hint: int) -> Progress:
    return Progress(TextColumn("[bold]classifying"), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), console=err, transient=True,
                    disable=total_hint < PROGRESS_MIN_ROWS)


def train_cmd(
    out_dir: Annotated[Path | None, typer.Option("--out", help="Where to write the model "
                                                 "(default: models/<version>).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the corpus generator and the models.")] = 20261123,
    corpus: Annotated[Path | None, typer.Option(help="Also write the corpus JSONL here.")] = Path(
        "data/training/corpus.jsonl"),
) -> None:
    """Build the corpus, validate on a held-out election, tune the threshold and save a model.

    Reproducible: the same seed gives the same corpus, metrics and threshold. Writes
    model.skops + manifest.json (SHA-256), metrics.json and README.md (the model card).

    Example: pantau train --out models/dev --seed 20261123
    """
    from ..classify.train import train

    result = train(out_dir, seed=seed, corpus_path=corpus, log=lambda m: err.print(m))
    m = result.metrics
    v = m["validation"]
    out.print(f"model {result.version} -> {result.directory}")
    out.print(f"held-out election {m['corpus']['validation_election']}: macro F1 "
              f"{v['macro_f1']}, threshold {m['threshold']}, candidate attribution "
              f"{v['candidate_attribution']}")
    for code, s in v["per_rule"].items():
        out.print(f"  {code}: P {s['precision']:.3f} R {s['recall']:.3f} F1 {s['f1']:.3f}")


def classify_cmd(
    input: Annotated[Path, typer.Argument(help="CSV, JSONL or XLSX file of posts.")],
    text_column: Annotated[str, typer.Option("--text-column", help="Column with the text.")],
    election: Annotated[str, typer.Option("--election", help="Election file (.toml) or the id "
                                          "of a loaded election.")],
    id_column: Annotated[str | None, typer.Option("--id-column", help="Column with a row id.")] = None,
    at: Annotated[str | None, typer.Option("--at", help="Date for rows without one "
                                           "(decides KE vs DS), e.g. 2024-01-15.")] = None,
    date_column: Annotated[str | None, typer.Option("--date-column", help="Column with each "
                                                    "post's date or time (ISO).")] = None,
    encoding: Annotated[str | None, typer.Option("--encoding", help="Text encoding if not "
                                                 "UTF-8 (else detected, with a warning).")] = None,
    output: Annotated[Path | None, typer.Option("-o", "--out", help="Output file (.csv or "
                                                ".jsonl); default INPUT.pantau.csv.")] = None,
    model_dir: Annotated[Path | None, typer.Option("--model", help="Model directory "
                                                   "(default: the newest shipped).")] = None,
    threshold: Annotated[float | None, typer.Option(min=0, max=1, help="Flag threshold "
                                                    "(default: settings, else the model's).")] = None,
) -> None:
    """Classify a file of posts against an election: every row plus pantau_flagged,
    pantau_rule, pantau_candidate, pantau_confidence and pantau_reason.

    Example: pantau classify tweets.csv --text-column text --election elections/pemilu-2024-presiden.toml --at 2024-01-15 -o flagged.csv
    """
    from ..classify.files import classify_file, parse_when
    from ..classify.model import TextModel
    from ..elections import election_from_file_or_store
    from ..store import Store

    chosen = election_from_file_or_store(election, lambda: Store.open(read_only=True))
    when = parse_when(at, chosen, column="--at") if at else None
    model = TextModel.load(model_dir)
    with _progress(PROGRESS_MIN_ROWS) as bar:
        task = bar.add_task("classify", total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        summary = classify_file(input, chosen, text_column=text_column, out=output,
                                id_column=id_column, date_column=date_column, at=when,
                                encoding=encoding, model=model, threshold=threshold,
                                progress=tick)
    print_warnings(summary.warnings)
    out.print(f"{summary.rows} rows -> {summary.output} (model {summary.model_version}, "
              f"threshold {summary.threshold:.2f})", soft_wrap=True)
    out.print(f"  flagged for review: {summary.flagged}; below the threshold: "
              f"{summary.with_flag - summary.flagged}; no date: {summary.no_date}")
    if summary.by_rule:
        out.print("  by rule: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.by_rule.items())))
    if summary.by_candidate:
        out.print("  by candidate: " + ", ".join(
            f"{k:02d}: {v}" for k, v in sorted(summary.by_candidate.items())))


def classify_store_cmd(
    election: Annotated[list[str] | None, typer.Option("--election", help="Only this loaded "
                                                       "election (repeatable).")] = None,
    model_dir: Annotated[Path | None, typer.Option("--model", help="Model directory.")] = None,
    batch_size: Annotated[int | None, typer.Option(min=1, help="Activities per batch.")] = None,
) -> None:
    """Classify the store's activities by registered ASN not yet classified with this model.

    Safe to run again: already classified activities are skipped; a new model version
    classifies everything again and keeps the old results beside the new.

    Example: pantau classify-store --election pemilu-2024-presiden
    """
    from ..classify.model import TextModel
    from ..classify.pipeline import classify_pending
    from ..store import Store

    model = TextModel.load(model_dir)
    with Store.open() as store, _progress(PROGRESS_MIN_ROWS) as bar:
        task = bar.add_task("classify", total=None)
        summary = classify_pending(
            store, model=model, batch_size=batch_size, election_ids=election,
            progress=lambda done, total: bar.update(task, completed=done, total=total))
    out.print(f"model {summary.model_version}: {summary.activities} activity x election "
              f"classified, {summary.flags} flags, {summary.flagged} for review")
    if summary.by_rule:
        out.print("  by rule: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.by_rule.items())))


def register(app: typer.Typer) -> None:
    app.command("train")(train_cmd)
    app.command("classify")(classify_cmd)
    app.command("classify-store")(classify_store_cmd)
