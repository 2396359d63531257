"""Rates on a labelled evaluation file of real-looking posts (the hand-written hold-out).

The file is CSV with columns ``id, election, date, category, candidate, text``; ``election``
names a file ``<elections_dir>/<election>.toml``; ``category`` is ``support`` / ``invitation``
(should be flagged, for ``candidate``), ``general`` (private chatter) or ``neutral_*`` (news,
neutrality appeals, official information: should not be flagged).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..elections import load_election_file
from ..errors import InputError
from ..tabular import read_table
from ..timeutil import start_of_day
from .linking import Linker
from .model import TextModel
from .pipeline import classify_texts, resolve_threshold, strongest

CAMPAIGN = {"support", "invitation"}


def holdout_rates(path: str | Path, elections_dir: str | Path, model: TextModel,
                  threshold: float | None = None) -> dict[str, Any]:
    """Flag rates per category group, and the per-row outcome."""
    table = read_table(path)
    threshold = resolve_threshold(model, threshold)
    groups: dict[str, list] = {}
    for row in table.rows:
        groups.setdefault(row.values["election"], []).append(row)
    rows_out: list[dict[str, Any]] = []
    for eid, rows in groups.items():
        file = Path(elections_dir) / f"{eid}.toml"
        if not file.is_file():
            raise InputError(f"no election file {file} for election {eid!r}", file=path,
                             line=rows[0].line)
        election = load_election_file(file)
        tz = ZoneInfo(election.timezone)
        dates = [start_of_day(date.fromisoformat(r.values["date"]), tz).replace(hour=5)
                 for r in rows]
        flags = classify_texts([r.values["text"] for r in rows], election, dates=dates,
                               ids=[r.values["id"] for r in rows], model=model,
                               threshold=threshold, linker=Linker(election))
        for r, fl in zip(rows, flags, strict=True):
            best = strongest(fl)
            category = r.values["category"]
            flagged = bool(best and best.flagged)
            want = category in CAMPAIGN
            expected = int(r.values["candidate"]) if r.values["candidate"] else None
            right = flagged and best is not None and best.candidate == expected
            rows_out.append({
                "id": r.values["id"], "category": category, "text": r.values["text"],
                "flagged": flagged, "rule": best.rule if best else None,
                "candidate": best.candidate if best else None,
                "confidence": best.confidence if best else 0.0,
                "wrong": flagged != want or (want and flagged and not right),
                "right_candidate": right,
            })
    camp = [r for r in rows_out if r["category"] in CAMPAIGN]
    camp_flagged = [r for r in camp if r["flagged"]]
    general = [r for r in rows_out if r["category"] == "general"]
    neutral = [r for r in rows_out if r["category"].startswith("neutral")]

    def rate(part: list, whole: list) -> float:
        return len(part) / len(whole) if whole else 0.0

    return {
        "threshold": threshold,
        "campaign_flagged": rate(camp_flagged, camp),
        "campaign_right_candidate": rate([r for r in camp_flagged if r["right_candidate"]],
                                         camp_flagged),
        "general_flagged": rate([r for r in general if r["flagged"]], general),
        "neutral_flagged": rate([r for r in neutral if r["flagged"]], neutral),
        "counts": {
            "campaign_flagged": f"{len(camp_flagged)}/{len(camp)}",
            "campaign_right_candidate": f"{sum(r['right_candidate'] for r in camp_flagged)}/"
                                        f"{len(camp_flagged)}",
            "general_flagged": f"{sum(r['flagged'] for r in general)}/{len(general)}",
            "neutral_flagged": f"{sum(r['flagged'] for r in neutral)}/{len(neutral)}",
        },
        "rows": rows_out,
    }


__all__ = ["holdout_rates"]
