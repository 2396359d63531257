"""Sharding the collection work list: every shard count splits it with no overlap and no loss.

The two-worker demonstration over HTTP with a real Prefect work pool is bench/two_workers.py;
these are the library-level guarantees it rests on.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pantau.errors import InputError
from pantau.orchestration import plan_collection
from pantau.sharding import Shard, select, shard_of
from pantau.store import Store
from pantau.timeutil import utcnow

PLATFORMS = ("telegram", "bluesky", "mastodon")
NIP = "198503142010011002"

handles = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_.", min_size=1, max_size=20)
accounts = st.sets(st.tuples(st.sampled_from(PLATFORMS), handles), max_size=300)


class _Target:
    def __init__(self, platform: str, handle: str) -> None:
        self.platform, self.handle = platform, handle


@settings(max_examples=150, deadline=None)
@given(accounts, st.integers(min_value=1, max_value=9))
def test_shards_partition_any_work_list(items: set[tuple[str, str]], count: int) -> None:
    targets = [_Target(p, h) for p, h in sorted(items)]
    seen: Counter[tuple[str, str]] = Counter()
    for index in range(count):
        for t in select(targets, Shard(index, count)):
            seen[(t.platform, t.handle)] += 1
    assert set(seen) == items                       # no loss
    assert all(n == 1 for n in seen.values())       # no overlap


def test_shard_keeps_order_and_one_shard_is_everything() -> None:
    targets = [_Target("telegram", f"kanal_{i}") for i in range(50)]
    assert select(targets, Shard()) == targets
    part = select(targets, Shard(1, 3))
    assert part == [t for t in targets if t in part]   # original order
    assert 0 < len(part) < len(targets)


def test_shard_ignores_case_and_at_sign() -> None:
    for n in (2, 3, 7):
        assert shard_of("bluesky", "@Dan.Test", n) == shard_of("bluesky", "dan.test", n)


def test_shards_are_roughly_even() -> None:
    sizes = Counter(shard_of("telegram", f"asn_{i}", 4) for i in range(4000))
    assert set(sizes) == {0, 1, 2, 3}
    assert all(800 < n < 1200 for n in sizes.values()), sizes


def test_same_shard_in_another_process_with_another_hash_seed() -> None:
    """Two workers are two processes: the owner of an account may not depend on PYTHONHASHSEED."""
    names = [f"asn_{i}" for i in range(40)]
    here = [shard_of("mastodon", n, 5) for n in names]
    code = ("import sys; from pantau.sharding import shard_of; "
            f"print([shard_of('mastodon', n, 5) for n in {names!r}])")
    for seed in ("1", "12345"):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True, env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout
        assert out.strip() == str(here)


@pytest.mark.parametrize("index,count", [(0, 0), (2, 2), (-1, 3)])
def test_bad_shard_is_refused(index: int, count: int) -> None:
    with pytest.raises(InputError, match="shard"):
        Shard(index, count)


def test_plan_collection_shards_partition_the_store_work_list() -> None:
    """Registered and watch-listed accounts (some both) on three platforms, batched."""
    now = utcnow()
    registered = [{"platform": PLATFORMS[i % 3], "handle": f"asn_{i}", "nip": NIP,
                   "added_at": now} for i in range(240)]
    watched = [{"election_id": "e", "platform": PLATFORMS[i % 3], "handle": f"asn_{i}",
                "role": "campaign"} for i in range(200, 260)]   # 40 of them also registered
    with Store.open() as store:
        store.upsert("accounts", registered, key=["platform", "handle"])
        store.upsert("watch_accounts", watched, key=["election_id", "platform", "handle"])
        whole = plan_collection(store, None, batch_size=7)
        everything = Counter((b.platform, h) for b in whole for h in b.handles)
        assert len(everything) == 260 and max(everything.values()) == 1
        for count in (2, 3):
            union: Counter[tuple[str, str]] = Counter()
            for index in range(count):
                plan = plan_collection(store, None, batch_size=7, shard=Shard(index, count))
                assert all(len(b.handles) <= 7 for b in plan)
                union.update((b.platform, h) for b in plan for h in b.handles)
            assert union == everything


def test_two_shard_stores_merge_into_exactly_the_single_collection(tmp_path) -> None:
    """Collect over HTTP (the collector tests' loopback world of real captures) once whole and
    once as two shards into two store files, merge the shards: the same activities, evidence
    and paging state, and merging again adds nothing."""
    from collect_helpers import World, loopback_settings, seed_work_list

    from pantau.collectors.runner import collect
    from pantau.config import load_settings
    from pantau.sharding import merge_shard

    world = World()
    server, base = world.serve()

    def collected(home, shard: Shard | None) -> Store:
        settings = load_settings(home=home, **loopback_settings(base))
        store = Store.open(home / "pantau.duckdb", settings=settings)
        seed_work_list(store)
        for batch in plan_collection(store, None, batch_size=50, shard=shard):
            collect(store, settings, platforms=[batch.platform], accounts=batch.handles)
        return store

    def snapshot(store: Store) -> dict[str, list[tuple]]:
        return {
            "activities": store.rows("SELECT activity_id, text, evidence_id FROM activities "
                                     "ORDER BY 1"),
            "evidence": store.rows("SELECT sha256, path FROM evidence ORDER BY 1"),
            "state": store.rows("SELECT source, key, last_seen_id, status FROM "
                                "collection_state ORDER BY 1, 2"),
        }

    try:
        single = collected(tmp_path / "single", None)
        want = snapshot(single)
        single.close()
        shards = []
        for index in (0, 1):
            store = collected(tmp_path / f"shard{index}", Shard(index, 2))
            shards.append(set(r[0] for r in store.rows("SELECT activity_id FROM activities")))
            store.close()
        assert shards[0] and shards[1]                  # both shards had work
        main = Store.open(tmp_path / "main" / "pantau.duckdb")
        seed_work_list(main)
        for index in (0, 1):
            merge_shard(main, tmp_path / f"shard{index}" / "pantau.duckdb")
        assert snapshot(main) == want
        again = merge_shard(main, tmp_path / "shard0" / "pantau.duckdb")
        assert again["activities"] == 0 and again["evidence_files"] == 0
        for _sha, rel in want["evidence"]:
            assert (tmp_path / "main" / rel).is_file()
        main.close()
    finally:
        server.shutdown()
