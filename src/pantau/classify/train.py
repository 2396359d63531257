"""`pantau train`: build the corpus, validate on a held-out election, tune the threshold, ship.

1. Generate the corpus from the seed (and write it to data/training/corpus.jsonl).
2. Link and mask every text against its own election.
3. Fit each candidate model on all elections but `VALIDATION_ELECTION`; measure per-class
   P/R/F1, log loss and calibration (reliability bins) on the held-out election.
4. Run the rules on the held-out texts (KE and DS stage), measure per-rule P/R/F1 and
   candidate attribution, and pick the threshold with the best flag F1.
5. Refit the chosen model on every election and save it with metrics.json and a model card.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import log_loss, precision_recall_fscore_support

from ..records import Election
from ..timeutil import start_of_day
from .corpus import (CAMPAIGN_LABELS, DEFAULT_SEED, LABELS, PER_ELECTION, VALIDATION_ELECTION,
                     generate, write_corpus)
from .corpus_elections import CORPUS_ELECTIONS
from .linking import Linker
from .model import METRICS_FILE, TextModel, make_version, models_root
from .pipeline import prepare
from .rules import Context, content_flags

CANDIDATE_MODELS = (("svm", 0.3), ("logreg", 8.0))
THRESHOLDS = [round(float(t), 2) for t in np.arange(0.30, 0.91, 0.02)]


@dataclass(slots=True)
class TrainResult:
    directory: Path
    version: str
    metrics: dict[str, Any]


def _prepared_corpus(rows: list[dict[str, Any]]) -> list[str]:
    linkers = {e.id: Linker(e) for e in CORPUS_ELECTIONS}
    out: list[str] = [""] * len(rows)
    by_election: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        by_election.setdefault(row["election_id"], []).append(i)
    for eid, idx in by_election.items():
        _, masked = prepare([rows[i]["text"] for i in idx], linkers[eid], eid)
        for i, m in zip(idx, masked, strict=True):
            out[i] = m
    return out


def _per_class(y_true: list[str], y_pred: list[str]) -> dict[str, dict[str, float]]:
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=list(LABELS),
                                                 zero_division=0)
    return {lab: {"precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4),
                  "f1": round(float(f[i]), 4), "support": int(s[i])}
            for i, lab in enumerate(LABELS)}


def _reliability(proba: np.ndarray, classes: list[str], y_true: list[str],
                 bins: int = 10) -> list[dict[str, float]]:
    """Calibration of P(campaign): predicted vs observed share per probability bin."""
    idx = [classes.index(c) for c in CAMPAIGN_LABELS]
    p = proba[:, idx].sum(axis=1)
    truth = np.array([y in CAMPAIGN_LABELS for y in y_true])
    out = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        sel = (p >= lo) & ((p < hi) if b < bins - 1 else (p <= hi))
        if sel.any():
            out.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": int(sel.sum()),
                        "mean_predicted": round(float(p[sel].mean()), 4),
                        "observed": round(float(truth[sel].mean()), 4)})
    return out


def _stage_dates(election: Election) -> dict[str, datetime]:
    det = election.calendar.candidate_determination or election.calendar.vote
    tz = __import__("zoneinfo").ZoneInfo(election.timezone)
    return {"KE": start_of_day(det - timedelta(days=20), tz),
            "DS": start_of_day(det + timedelta(days=20), tz)}


def _expected_rule(label: str, family: str) -> str | None:
    if label in {"support", "attack"}:
        return f"{family}-02"
    if label == "invitation":
        return "DS-08" if family == "DS" else "KE-02"
    return None


def evaluate_rules(rows: list[dict[str, Any]], prepared: list[str], proba: np.ndarray,
                   classes: list[str], election: Election, thresholds: list[float]
                   ) -> dict[str, Any]:
    """Per-rule P/R/F1 and candidate attribution of the full linker + model + rules chain."""
    from ..elections import stage_at

    linker = Linker(election)
    links, _ = prepare([r["text"] for r in rows], linker, election.id)
    results: dict[str, Any] = {}
    # Confidence of the main content flag per (family, row), computed once, thresholded after.
    found: dict[str, list[tuple[str | None, float, int | None]]] = {}
    member: list[float] = []  # DS-05 confidence per row (DS stage)
    for family, when in _stage_dates(election).items():
        stage = stage_at(election, when)
        ctx = Context("eval", election, stage, "eval", 1.01)
        found[family] = []
        for i, link in enumerate(links):
            p = dict(zip(classes, (float(v) for v in proba[i]), strict=True))
            every = content_flags(ctx, link, p)
            if family == "DS":
                member.append(max((f.confidence for f in every if f.rule == "DS-05"),
                                  default=0.0))
            flags = [f for f in every if f.rule[3:] in {"02", "08"}]
            best = max(flags, key=lambda f: f.confidence, default=None)
            found[family].append((best.rule, best.confidence, best.candidate) if best else
                                 (None, 0.0, None))
    sweep = []
    for t in thresholds:
        tp = fp = fn = 0
        for family in found:
            for row, (rule, conf, _) in zip(rows, found[family], strict=True):
                want = _expected_rule(row["label"], family) is not None
                got = rule is not None and conf >= t
                tp += want and got
                fp += got and not want
                fn += want and not got
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        sweep.append({"threshold": t, "precision": round(prec, 4), "recall": round(rec, 4),
                      "f1": round(f1, 4)})
    best = max(sweep, key=lambda s: (s["f1"], s["threshold"]))
    threshold = best["threshold"]
    per_rule: dict[str, dict[str, float]] = {}
    attribution_ok = attribution_n = 0
    for family in found:
        codes = sorted({c for c in (_expected_rule(lab, family) for lab in LABELS) if c})
        for code in codes:
            tp = fp = fn = 0
            for row, (rule, conf, cand) in zip(rows, found[family], strict=True):
                want = _expected_rule(row["label"], family) == code
                got = rule == code and conf >= threshold
                tp += want and got
                fp += got and not want
                fn += want and not got
            prec = tp / (tp + fp) if tp + fp else 0.0
            rec = tp / (tp + fn) if tp + fn else 0.0
            per_rule[code] = {"precision": round(prec, 4), "recall": round(rec, 4),
                              "f1": round(2 * prec * rec / (prec + rec), 4) if prec + rec else 0.0,
                              "support": tp + fn}
        for row, (rule, conf, cand) in zip(rows, found[family], strict=True):
            if row["label"] in {"support", "invitation"} and rule and conf >= threshold:
                attribution_n += 1
                attribution_ok += cand == row["candidate"]
    tp = sum(r["label"] == "membership" and c >= threshold for r, c in zip(rows, member, strict=True))
    fp = sum(r["label"] != "membership" and c >= threshold for r, c in zip(rows, member, strict=True))
    fn = sum(r["label"] == "membership" and c < threshold for r, c in zip(rows, member, strict=True))
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    per_rule["DS-05"] = {"precision": round(prec, 4), "recall": round(rec, 4),
                         "f1": round(2 * prec * rec / (prec + rec), 4) if prec + rec else 0.0,
                         "support": tp + fn}
    results.update({
        "threshold": threshold, "threshold_sweep": sweep, "per_rule": per_rule,
        "candidate_attribution": round(attribution_ok / attribution_n, 4) if attribution_n else None,
    })
    return results


def train(out: str | Path | None = None, *, seed: int = DEFAULT_SEED,
          corpus_path: str | Path | None = None, scale: float = 1.0,
          models: tuple[tuple[str, float], ...] = CANDIDATE_MODELS,
          log: Callable[[str], None] = lambda _m: None) -> TrainResult:
    """Train, validate and save a model; returns where it went and its metrics.

    `scale` shrinks the corpus (tests); `models` lists the (kind, C) candidates compared.
    """
    started = time.perf_counter()
    counts = {k: max(20, int(v * scale)) for k, v in PER_ELECTION.items()}
    rows = generate(seed, counts)
    corpus_info = None
    if corpus_path is not None:
        corpus_info = write_corpus(corpus_path, seed)
        log(f"corpus: {corpus_info['rows']} rows -> {corpus_path}")
    log(f"corpus: {len(rows)} texts from {len(CORPUS_ELECTIONS)} elections; masking…")
    prepared = _prepared_corpus(rows)
    labels = [r["label"] for r in rows]
    train_idx = [i for i, r in enumerate(rows) if r["election_id"] != VALIDATION_ELECTION]
    val_idx = [i for i, r in enumerate(rows) if r["election_id"] == VALIDATION_ELECTION]
    x_train = [prepared[i] for i in train_idx]
    y_train = [labels[i] for i in train_idx]
    x_val = [prepared[i] for i in val_idx]
    y_val = [labels[i] for i in val_idx]

    candidates = []
    for kind, c in models:
        t0 = time.perf_counter()
        model = TextModel.fit(x_train, y_train, kind=kind, seed=seed, c=c)
        proba = model.predict_proba(x_val)
        pred = [model.classes_[j] for j in proba.argmax(axis=1)]
        macro = float(np.mean([v["f1"] for v in _per_class(y_val, pred).values()]))
        loss = float(log_loss(y_val, proba, labels=model.classes_))
        log(f"  {kind}(C={c}): macro-F1 {macro:.4f}, log loss {loss:.4f} "
            f"({time.perf_counter() - t0:.0f} s)")
        candidates.append((macro - 0.1 * loss, kind, c, model, proba, pred, macro, loss))
    _, kind, c, model, proba, pred, macro, loss = max(candidates, key=lambda t: t[0])
    log(f"chosen: {kind} (C={c})")
    election = next(e for e in CORPUS_ELECTIONS if e.id == VALIDATION_ELECTION)
    val_rows = [rows[i] for i in val_idx]
    rule_metrics = evaluate_rules(val_rows, x_val, proba, model.classes_, election, THRESHOLDS)
    log(f"threshold {rule_metrics['threshold']} (flag F1 "
        f"{max(s['f1'] for s in rule_metrics['threshold_sweep']):.4f})")

    fingerprint = hashlib.sha256(json.dumps(
        {"texts": hashlib.sha256("\n".join(r["text"] + "\t" + r["label"] for r in rows)
                                 .encode()).hexdigest(),
         "kind": kind, "c": c, "seed": seed, "scale": scale}, sort_keys=True).encode()).hexdigest()
    version = make_version(fingerprint)
    log("refitting on every election…")
    final = TextModel.fit(prepared, labels, kind=kind, seed=seed, c=c, version=version)
    metrics = {
        "version": version,
        "seed": seed,
        "model": {"kind": kind, "C": c, "features": "tfidf char_wb 2-5 + word 1-2",
                  "calibration": "sigmoid on 3-fold out-of-fold scores (CalibratedClassifierCV, ensemble=False)"},
        "corpus": {"rows": len(rows), "elections": [e.id for e in CORPUS_ELECTIONS],
                   "validation_election": VALIDATION_ELECTION,
                   "train_rows": len(train_idx), "validation_rows": len(val_idx),
                   **({"sha256": corpus_info["sha256"]} if corpus_info else {})},
        "validation": {
            "per_class": _per_class(y_val, pred),
            "macro_f1": round(macro, 4),
            "log_loss": round(loss, 4),
            "reliability_p_campaign": _reliability(proba, model.classes_, y_val),
            "model_comparison": [{"kind": k, "C": cc, "macro_f1": round(m, 4),
                                  "log_loss": round(lo, 4)}
                                 for _, k, cc, _, _, _, m, lo in candidates],
            **{k: v for k, v in rule_metrics.items() if k != "threshold"},
        },
        "threshold": rule_metrics["threshold"],
        "trained_at": date.today().isoformat(),
        "train_seconds": round(time.perf_counter() - started, 1),
    }
    final.meta = {"threshold": metrics["threshold"], "seed": seed, "kind": kind}
    directory = Path(out) if out is not None else models_root() / version
    final.save(directory)
    (directory / METRICS_FILE).write_text(
        json.dumps(metrics, indent=2, ensure_ascii=False, default=_plain) + "\n", encoding="utf-8")
    (directory / "README.md").write_text(model_card(metrics), encoding="utf-8")
    log(f"saved {directory}")
    return TrainResult(directory, version, metrics)


def _plain(value: Any) -> Any:
    """numpy scalars -> Python numbers for json.dumps."""
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def model_card(m: dict[str, Any]) -> str:
    """The model card (README.md beside the model)."""
    v = m["validation"]
    lines = [
        f"# pantau text model {m['version']}",
        "",
        "Classifies Indonesian social-media text as "
        + ", ".join(f"`{lab}`" for lab in v["per_class"])
        + " for the ASN-neutrality rules (SKB 2022; `membership`: the author states party "
        "membership or office, DS-05, together with the rule patterns). Input is "
        "normalised and candidate-masked by the linker (`__cand__`, `__num__`, `__tag__` …), "
        "so it is not tied to any one election's names.",
        "",
        "## Data",
        f"- In-house templated corpus (`data/training/`, seed {m['seed']}): "
        f"{m['corpus']['rows']} texts, elections {', '.join(m['corpus']['elections'])}.",
        f"- Validation: held-out election `{m['corpus']['validation_election']}` "
        f"({m['corpus']['validation_rows']} texts, never seen in training); the shipped model "
        "is then refitted on all elections with the same settings.",
        "",
        "## Model",
        f"- {m['model']['features']} → {m['model']['kind']} (C={m['model']['C']}), "
        f"{m['model']['calibration']}.",
        f"- Flag threshold (tuned on validation flag F1): **{m['threshold']}**; override with "
        "`classifier.threshold`.",
        "",
        "## Validation metrics (held-out election)",
        f"Macro F1 {v['macro_f1']}, log loss {v['log_loss']}, candidate attribution of "
        f"flagged support/invitation {v['candidate_attribution']}.",
        "",
        "| class | precision | recall | F1 | n |",
        "|---|---|---|---|---|",
    ]
    for lab, s in v["per_class"].items():
        lines.append(f"| {lab} | {s['precision']} | {s['recall']} | {s['f1']} | {s['support']} |")
    lines += ["", "| rule | precision | recall | F1 | n |", "|---|---|---|---|---|"]
    for code, s in v["per_rule"].items():
        lines.append(f"| {code} | {s['precision']} | {s['recall']} | {s['f1']} | {s['support']} |")
    lines += [
        "",
        "## Known limits",
        "- Trained on templated text: real tweets are more varied; check the hand-written "
        "hold-out rates (`bench/holdout_eval.py`) before trusting a new version.",
        "- Sarcasm, irony and coded language are not understood; attacks on a candidate are "
        "attributed to the rival only in two-candidate races.",
        "- A flag needs a candidate link from the election file: support for someone the file "
        "does not name is not found (DS-05 excepted: any party counts). Keep aliases and "
        "hashtags in the file current.",
        "- DS-05 from the model alone (no membership pattern) needs P(membership) >= 0.85, a "
        "named party and no denial or news wording; a passive \"dilantik sebagai ketua DPC …\" "
        "about someone else is still read as a statement.",
        "- Photos are judged on their caption only here (the photo analyser adds the rest).",
        "- A flag is an allegation: every one goes to human review before any export.",
        "",
    ]
    return "\n".join(lines)


__all__ = ["TrainResult", "evaluate_rules", "model_card", "train"]
