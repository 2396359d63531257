"""The demo world generator: determinism, valid registry data, planted truth, scale."""

from __future__ import annotations

import csv
import time
from collections import Counter
from datetime import date

import pytest

from pantau.demo import build_world
from pantau.demo.world import DATED_BY_ROUTE, RULES, UNDATED, activity_id
from pantau.elections import load_election_file, rule_family, stage_at
from pantau.nip import parse_nip
from pantau.registry import normalise_handle


@pytest.fixture(scope="module")
def world():
    return build_world(seed=2024, scale=1.0)


def _fingerprint(w) -> list[tuple]:
    return [(p.platform, p.native_id, p.ms, w.text(p)) for p in w.posts] + \
           [(x.platform, x.actor.handle, x.local_id, x.ms) for x in w.likes + w.follows]


def test_same_seed_same_world(world) -> None:
    again = build_world(seed=2024, scale=1.0)
    assert _fingerprint(again) == _fingerprint(world)
    assert again.truth == world.truth
    assert [p.nip for p in again.people] == [p.nip for p in world.people]


def test_other_seed_other_world(world) -> None:
    other = build_world(seed=7, scale=1.0)
    assert [p.nip for p in other.people] != [p.nip for p in world.people]


def test_size_matches_the_brief(world) -> None:
    s = world.summary()
    assert 250 <= s["asn"] <= 350
    assert s["posts"] + s["likes"] + s["follows"] > 3000
    assert s["planted"] >= 150 and s["innocent"] > 10 * s["planted"] / 2


def test_nips_are_valid_and_unique(world) -> None:
    kinds = Counter()
    for person in world.people:
        info = parse_nip(person.nip, today=date(2024, 7, 1))
        assert info.kind == person.kind
        assert info.birth_date == person.birth_date and info.gender == person.gender
        kinds[info.kind] += 1
    assert len({p.nip for p in world.people}) == len(world.people)
    assert kinds["PPPK"] > 20 and kinds["PNS"] > 150


def test_handles_are_what_the_registry_accepts(world) -> None:
    for a in world.accounts:
        assert normalise_handle(a.platform, a.handle) == a.handle
    assert len({(a.platform, a.handle) for a in world.accounts}) == len(world.accounts)


def test_every_rule_is_planted_with_innocent_look_alikes(world) -> None:
    rules = Counter(t.rule for t in world.truth if t.planted)
    for rule in ("KE-02", "DS-02", "DS-08", "KE-04", "DS-06", "KE-05", "DS-07", "DS-05"):
        assert rules[rule] >= 5, rule
    kinds = Counter(t.kind for t in world.truth if not t.planted)
    for kind in ("news", "appeal", "kpu", "private", "like_institution", "non_asn_like", "photo"):
        assert kinds[f"innocent:{kind}"] >= 20, kind
    for platform in ("telegram", "bluesky", "mastodon"):
        assert any(t.platform == platform and t.planted for t in world.truth)


def test_truth_rule_follows_the_election_stage(world) -> None:
    items = {activity_id(x): x for x in world.posts + world.likes + world.follows}
    undated = 0
    for t in world.planted():
        item = items[t.activity_id]
        acted = rule_family(stage_at(world.election, item.created_at))
        act = (t.platform, t.kind.split(":")[1])
        # An act the platform gives no time for is judged when observed: at world.as_of.
        family = rule_family(stage_at(world.election, world.as_of)) if act in UNDATED else acted
        undated += act in UNDATED
        assert t.family == family and t.rule.startswith(family)
        assert t.rule in t.accept and t.candidate in (1, 2, 3)
        if act in UNDATED or act in DATED_BY_ROUTE:   # its own stage's code is right too
            assert RULES[act[1]][0 if acted == "KE" else 1] in t.accept
        assert t.rule in RULES[t.kind.split(":")[1]]
    assert undated > 20
    assert len({t.activity_id for t in world.truth}) == len(world.truth)


def test_planted_photos_carry_a_pose_or_a_poster(world) -> None:
    items = {activity_id(p): p for p in world.posts}
    photos = [items[t.activity_id] for t in world.planted() if t.kind == "planted:photo"]
    assert photos
    for post in photos:
        (image,) = post.images
        if image.kind == "hand":
            assert image.fingers == post.candidate
        else:
            assert f"NO. {post.candidate}" in image.source


def test_import_files(world, tmp_path) -> None:
    paths = world.write_files(tmp_path)
    with paths["registry"].open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["nip", "nama", "jabatan", "golongan", "instansi", "unit_kerja", "wilayah"]
    assert len(rows) == len(world.people)
    with paths["accounts"].open(encoding="utf-8") as fh:
        accounts = list(csv.DictReader(fh))
    nips = {r["nip"] for r in rows}
    assert accounts and all(a["nip"] in nips for a in accounts)
    assert {a["platform"] for a in accounts} == {"telegram", "bluesky", "mastodon"}
    election = load_election_file(paths["election"])
    assert election.id == world.election.id and len(election.candidates) == 3
    watched = {(w.platform, w.handle) for w in election.accounts}
    assert watched == {(a.platform, a.handle) for a in world.accounts if a.watched}
    assert {w.platform for w in election.accounts} == {"telegram", "bluesky", "mastodon"}


def test_scale_ten_is_fast_and_linear() -> None:
    # CPU time, not wall time: the test machine may be shared (×10 takes about 2 s of CPU).
    start = time.process_time()
    big = build_world(seed=1, scale=10)
    elapsed = time.process_time() - start
    assert elapsed < 10, f"scale 10 took {elapsed:.1f} s of CPU"
    assert 2900 <= len(big.people) <= 3100
    assert len(big.posts) > 9 * len(build_world(seed=1, scale=1).posts)


def test_scale_must_be_positive() -> None:
    with pytest.raises(ValueError, match="scale"):
        build_world(scale=0)
