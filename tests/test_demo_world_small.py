"""Small demo worlds (scale < 0.06, down to a single ASN): they build, every planted rule is in
them (`generate.cover_rules` tops up what the random partisans missed), the truth follows the
election stage, and the real collectors find every planted act on the loopback server."""

from __future__ import annotations

from pathlib import Path

import pytest

from pantau import elections, registry
from pantau.collectors.runner import collect
from pantau.config import load_settings
from pantau.demo import DemoServer, build_world
from pantau.demo.generate import RULE_ACTS
from pantau.demo.world import RULES, UNDATED, activity_id
from pantau.elections import rule_family, stage_at
from pantau.store import Store

ALL_RULES = {code for pair in RULES.values() for code in pair if code}
FAST = {"requests": 10000, "per_seconds": 1, "burst": 1000}


def test_rule_acts_cover_every_rule_a_planted_act_can_carry() -> None:
    assert set(RULE_ACTS) == ALL_RULES
    for rule, (kind, family) in RULE_ACTS.items():
        assert RULES[kind][0 if family == "KE" else 1] == rule


@pytest.mark.parametrize("scale", [0.0005, 0.01, 0.03, 0.05])
@pytest.mark.parametrize("seed", [2024, 1, 7])
def test_small_world_has_every_rule_and_a_consistent_truth(scale: float, seed: int) -> None:
    world = build_world(seed=seed, scale=scale)
    assert {t.rule for t in world.planted()} == ALL_RULES
    items = {activity_id(x): x for x in world.posts + world.likes + world.follows}
    for t in world.planted():
        act = (t.platform, t.kind.split(":")[1])
        when = world.as_of if act in UNDATED else items[t.activity_id].created_at
        family = rule_family(stage_at(world.election, when))
        assert t.family == family and t.rule in RULES[act[1]] and t.rule.startswith(family)
        assert t.candidate in (1, 2, 3) and t.rule in t.accept
    for post in world.posts:
        if post.target is not None:  # shares, replies and quotes come after what they target
            assert post.created_at > post.target.created_at
    assert len({t.activity_id for t in world.truth}) == len(world.truth)
    again = build_world(seed=seed, scale=scale)
    assert [t.activity_id for t in again.truth] == [t.activity_id for t in world.truth]


def test_smallest_world_is_one_asn() -> None:
    world = build_world(seed=2024, scale=0.0001)
    assert len(world.people) == 1
    assert {t.rule for t in world.planted()} == ALL_RULES


def test_every_planted_act_of_a_small_world_is_collected(tmp_path: Path) -> None:
    world = build_world(seed=1, scale=0.01)
    inputs = world.write_files(tmp_path / "inputs")
    with DemoServer(world) as server:
        settings = load_settings(
            home=tmp_path / "home", platforms=server.platform_settings(),
            http={"max_retries": 1, "backoff_base": 0.01, "backoff_max": 0.1,
                  "rate_limits": {p: FAST for p in ("telegram", "bluesky", "mastodon")}})
        with Store.open(settings=settings) as store:
            registry.import_people(store, inputs["registry"])
            registry.import_accounts(store, inputs["accounts"])
            elections.import_election_file(store, inputs["election"])
            summary = collect(store, settings)
            stored = {r[0] for r in store.rows("SELECT activity_id FROM activities")}
    assert summary.errors == [] and summary.quarantined == 0
    planted = {t.activity_id for t in world.planted()}
    assert planted and planted <= stored, sorted(planted - stored)
