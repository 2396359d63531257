"""The real collectors against the loopback demo world: every follow, post and like of the
world's ASN accounts comes back with the activity id the world's truth uses for it (the ids
the truth scoring and the reviewers' evidence links depend on)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pantau import elections, registry
from pantau.collectors.runner import collect
from pantau.config import load_settings
from pantau.demo import DemoServer, build_world
from pantau.demo.world import activity_id
from pantau.store import Store

FAST = {"requests": 10000, "per_seconds": 1, "burst": 1000}


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory):
    world = build_world(seed=2024, scale=0.1)
    home = tmp_path_factory.mktemp("demo-collect")
    inputs = world.write_files(home / "inputs")
    with DemoServer(world) as server:
        settings = load_settings(
            home=home, platforms=server.platform_settings(),
            http={"max_retries": 1, "backoff_base": 0.01, "backoff_max": 0.1,
                  "rate_limits": {p: FAST for p in ("telegram", "bluesky", "mastodon")}},
            collect={"commit_every_pages": 25})
        store = Store.open(home / "pantau.duckdb", settings=settings)
        registry.import_people(store, inputs["registry"])
        registry.import_accounts(store, inputs["accounts"])
        elections.import_election_file(store, inputs["election"])
        summary = collect(store, settings)
    yield world, store, summary
    store.close()


def _stored(store: Store, platform: str, kind: str) -> set[str]:
    return {r[0] for r in store.rows(
        "SELECT activity_id FROM activities WHERE platform = ? AND type = ?", [platform, kind])}


def test_the_run_is_clean(collected) -> None:
    _, store, summary = collected
    assert summary.errors == [] and summary.quarantined == 0
    assert summary.activities_new == store.count("activities") > 100


def test_mastodon_follows_carry_the_account_id_of_the_follower(collected) -> None:
    world, store, _ = collected
    expected = {activity_id(f) for f in world.follows if f.platform == "mastodon"
                and f.actor.nip and not f.actor.hidden_network}
    assert expected, "the demo world has Mastodon follows by ASN accounts"
    stored = _stored(store, "mastodon", "follow")
    # mastodon:follow:<numeric account id>:<id>, never the user@server handle.
    assert stored == expected
    assert not [i for i in stored if "@" in i]


@pytest.mark.parametrize("platform", ["telegram", "bluesky", "mastodon"])
def test_every_post_of_an_asn_account_is_collected_under_its_truth_id(
    collected, platform: str
) -> None:
    world, store, _ = collected
    expected = {activity_id(p) for p in world.posts
                if p.platform == platform and p.author.nip}
    assert expected
    assert expected <= {r[0] for r in store.rows(
        "SELECT activity_id FROM activities WHERE platform = ?", [platform])}
