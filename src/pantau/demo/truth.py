"""Scoring the pipeline's flags against the demo world's planted truth.

A flag (``flagged`` = True) is matched to a planted act by ``activity_id``. It is correct when
its rule is one of the rules that describe that act (`TruthItem.accept`; e.g. a supportive reply
to a campaign post is both DS-06 and DS-02). Overall:

- precision = correct (activity, rule) flags / all (activity, rule) flags of the election;
- recall    = planted acts with at least one correct flag / planted acts.

Per rule code R: precision over the flags with rule R; recall over the acts planted as R.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pandas as pd

from ..store import Store
from .world import TruthItem, World, activity_id


def _flags(source: Store | pd.DataFrame, election_id: str) -> set[tuple[str, str]]:
    if isinstance(source, Store):
        rows = source.rows(
            "SELECT DISTINCT activity_id, rule FROM flags WHERE flagged AND election_id = ?",
            [election_id],
        )
        return {(a, r) for a, r in rows}
    df = source
    missing = {"activity_id", "rule"} - set(df.columns)
    if missing:
        raise ValueError(f"flags table lacks the column(s) {sorted(missing)}")
    if "flagged" in df.columns:
        df = df[df["flagged"].astype(bool)]
    if "election_id" in df.columns:
        df = df[df["election_id"] == election_id]
    return set(zip(df["activity_id"].astype(str), df["rule"].astype(str), strict=True))


def _aliases(world: World) -> dict[str, str]:
    """Other ids the same follow may be stored under: a follow list read without the actor's
    numeric id names the actor by handle (``mastodon:follow:user@server:<id>``)."""
    return {f"{f.platform}:follow:{f.actor.handle}:{f.target.platform_id}": activity_id(f)
            for f in world.follows}


def verdict_of(world: World) -> Callable[[str, str], TruthItem | None]:
    """``check(activity_id, rule)``: the planted act this flag correctly names, else None.

    Used by the demo reviewer script (`pantau.demo.run`) to confirm or dismiss a case the way
    `score` counts it, follow aliases included."""
    aliases = _aliases(world)
    planted = {t.activity_id: t for t in world.truth if t.planted}

    def check(activity_id: str, rule: str) -> TruthItem | None:
        t = planted.get(aliases.get(activity_id, activity_id))
        return t if t is not None and rule in t.accept else None

    return check


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def score(source: Store | pd.DataFrame, world: World, *, examples: int = 10) -> dict[str, Any]:
    """Precision and recall of the stored flags against `world.truth`, overall and per rule.

    `source` is an open `Store` (its ``flags`` table) or a DataFrame with ``activity_id`` and
    ``rule`` (and optionally ``flagged``, ``election_id``). The result also lists up to
    `examples` missed planted acts and false flags, to explain a low score."""
    flags = {(_aliases(world).get(a, a), r) for a, r in _flags(source, world.election.id)}
    planted: dict[str, TruthItem] = {t.activity_id: t for t in world.truth if t.planted}
    correct = {(a, r) for a, r in flags if a in planted and r in planted[a].accept}
    found = {a for a, _ in correct}

    rules = sorted({t.rule for t in planted.values()} | {r for _, r in flags})
    by_rule: dict[str, dict[str, Any]] = {}
    flags_by_rule: dict[str, int] = defaultdict(int)
    for _, r in flags:
        flags_by_rule[r] += 1
    for rule in rules:
        mine = [t for t in planted.values() if t.rule == rule]
        right = sum(1 for a, r in correct if r == rule)
        hit = sum(1 for t in mine if t.activity_id in found)
        by_rule[rule] = {
            "planted": len(mine), "found": hit, "recall": _ratio(hit, len(mine)),
            "flags": flags_by_rule.get(rule, 0), "correct_flags": right,
            "precision": _ratio(right, flags_by_rule.get(rule, 0)),
        }
    missed = [t for t in planted.values() if t.activity_id not in found]
    false = sorted(f for f in flags if f not in correct)
    return {
        "overall": {
            "planted": len(planted), "found": len(found), "recall": _ratio(len(found), len(planted)),
            "flags": len(flags), "correct_flags": len(correct),
            "precision": _ratio(len(correct), len(flags)),
        },
        "by_rule": by_rule,
        "missed": [{"activity_id": t.activity_id, "rule": t.rule, "kind": t.kind, "url": t.url}
                   for t in missed[:examples]],
        "false_flags": [{"activity_id": a, "rule": r} for a, r in false[:examples]],
    }
