"""Scoring stored flags against the demo world's planted truth."""

from __future__ import annotations

import pandas as pd
import pytest

from pantau.demo import build_world, score
from pantau.demo.world import DemoFollow, activity_id
from pantau.store import Store


@pytest.fixture(scope="module")
def world():
    return build_world(seed=2024, scale=1.0)


def _flags(rows: list[tuple[str, str]], election: str, flagged: bool = True) -> pd.DataFrame:
    return pd.DataFrame({"activity_id": [a for a, _ in rows], "rule": [r for _, r in rows],
                         "flagged": flagged, "election_id": election})


def test_perfect_flags_score_one(world) -> None:
    rows = [(t.activity_id, t.rule) for t in world.planted()]
    result = score(_flags(rows, world.election.id), world)
    assert result["overall"]["precision"] == 1.0 and result["overall"]["recall"] == 1.0
    assert all(v["recall"] == 1.0 for v in result["by_rule"].values())
    assert result["missed"] == [] and result["false_flags"] == []


def test_misses_wrong_rules_and_innocents_count_against(world) -> None:
    planted = world.planted()
    half = planted[: len(planted) // 2]
    innocent = [t for t in world.truth if not t.planted][:10]
    rows = [(t.activity_id, t.rule) for t in half]
    rows += [(t.activity_id, "DS-02") for t in innocent]
    like = next(t for t in half if t.kind == "planted:like")
    rows.append((like.activity_id, "DS-05"))  # a like is never party membership
    result = score(_flags(rows, world.election.id), world)
    o = result["overall"]
    assert o["found"] == len(half) and o["recall"] == pytest.approx(len(half) / len(planted))
    assert o["flags"] == len(rows) and o["correct_flags"] == len(half)
    assert result["by_rule"]["DS-05"]["flags"] >= 1
    # Unflagged rows and other elections are ignored.
    ignored = pd.concat([_flags(rows, world.election.id, flagged=False),
                         _flags([(t.activity_id, t.rule) for t in planted], "another-election")])
    assert score(ignored, world)["overall"]["flags"] == 0


def test_alternative_rule_and_follow_alias_are_accepted(world) -> None:
    reply = next(t for t in world.planted() if t.kind == "planted:comment")
    campaigning = "DS-02" if reply.family == "DS" else "KE-02"
    follow_t = next(t for t in world.planted() if t.kind == "planted:follow" and t.platform == "mastodon")
    follow = next(f for f in world.follows if activity_id(f) == follow_t.activity_id)
    assert isinstance(follow, DemoFollow)
    by_handle = f"mastodon:follow:{follow.actor.handle}:{follow.target.platform_id}"
    result = score(_flags([(reply.activity_id, campaigning), (by_handle, follow_t.rule)],
                          world.election.id), world)
    assert result["overall"]["correct_flags"] == 2 and result["overall"]["found"] == 2


def test_score_reads_the_store(world, isolated_home) -> None:
    t = world.planted()[0]
    with Store.open() as store:
        store.upsert("flags", [{
            "case_id": "c1", "model_version": "m1", "activity_id": t.activity_id,
            "election_id": world.election.id, "rule": t.rule, "stage": "calon",
            "candidate": t.candidate, "confidence": 0.9, "flagged": True, "reason_id": "x",
            "reason_en": "x", "signals": None, "classified_at": pd.Timestamp("2024-12-01", tz="UTC"),
        }], key=["case_id", "model_version"])
        result = score(store, world)
    assert result["overall"]["flags"] == 1 and result["overall"]["found"] == 1
