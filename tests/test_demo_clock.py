"""The simulated clock (`timeutil.frozen_clock`), the demo world's "now" (`World.as_of`), and
undated acts judged by when they were observed (`classify_pending`)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from pantau import timeutil
from pantau.classify.model import TextModel
from pantau.classify.pipeline import classify_pending
from pantau.demo import build_world
from pantau.elections import rule_family, save_election, stage_at
from pantau.http import retry_after_seconds
from pantau.nip import parse_nip
from pantau.records import Activity, Stage
from pantau.store import Store
from pantau.store.activities import activities_table
from pantau.timeutil import WIB, frozen_clock, utcnow

from classify_helpers import pemilu_2024, small_model_dir  # noqa: F401

AT = datetime(2024, 1, 10, 3, tzinfo=UTC)


# --- the clock ---------------------------------------------------------------------------------


def test_frozen_clock_ticks_from_the_given_moment_and_restores() -> None:
    before = utcnow()
    with frozen_clock(AT) as start:
        assert start == AT and timeutil.clock_is_simulated()
        first = utcnow()
        time.sleep(0.02)
        second = utcnow()
        assert AT <= first < second < AT + timedelta(seconds=5)
        assert second - first >= timedelta(seconds=0.015)   # real speed
        assert timeutil.today(WIB).isoformat() == "2024-01-10"
    assert not timeutil.clock_is_simulated()
    assert abs(utcnow() - before) < timedelta(minutes=5)


def test_frozen_clock_without_tick_nests_and_reads_naive_as_utc() -> None:
    with frozen_clock(datetime(2024, 1, 10, 3), tick=False):
        assert utcnow() == AT and utcnow() == AT
        with frozen_clock(AT + timedelta(days=1), tick=False):
            assert utcnow() == AT + timedelta(days=1)
        assert utcnow() == AT


def test_worker_threads_see_the_simulated_clock() -> None:
    seen: list[datetime] = []
    with frozen_clock(AT, tick=False):
        worker = threading.Thread(target=lambda: seen.append(utcnow()))
        worker.start()
        worker.join()
    assert seen == [AT]


def test_data_timestamps_follow_the_clock_but_other_machines_dates_do_not() -> None:
    with frozen_clock(AT, tick=False):
        # A stored activity without observed_at is observed "now" on the simulated clock.
        table = activities_table([Activity("bluesky", "post", "did:plc:x", "x.example",
                                                 native_id="p")])
        assert table.column("observed_at")[0].as_py() == AT
        # A NIP whose service began after the simulated day is in the future.
        with pytest.raises(ValueError, match="future"):
            parse_nip("199001012024051001")
        # Retry-After as an HTTP date is on the server's real clock: compared with ours.
        later = (timeutil.real_utcnow() + timedelta(seconds=30)).strftime(
            "%a, %d %b %Y %H:%M:%S GMT")
        assert 0 < retry_after_seconds({"retry-after": later}) <= 31
    assert parse_nip("199001012024051001").tmt.year == 2024


# --- the demo world's now ------------------------------------------------------------------------


def test_world_as_of_is_a_daytime_moment_in_the_ds_stage_after_every_act() -> None:
    world = build_world(seed=7, scale=0.2)
    assert world.as_of == build_world(seed=7, scale=0.2).as_of      # deterministic
    last = max(x.created_at for x in world.posts + world.likes + world.follows)
    assert last < world.as_of <= last + timedelta(days=2)
    assert stage_at(world.election, world.as_of) is Stage.CALON
    assert rule_family(stage_at(world.election, world.as_of)) == "DS"
    local = world.as_of.astimezone(WIB)
    assert (local.hour, local.minute) == (10, 0)
    vote = world.election.calendar.vote
    assert 0 < (vote - local.date()).days <= 5                     # a few days before the vote


# --- undated acts in the classifier ------------------------------------------------------------


def _seed(store: Store, observed_at: datetime) -> None:
    election = pemilu_2024()
    save_election(store, election)
    store.upsert("accounts", pa.Table.from_pylist([
        {"platform": "bluesky", "handle": "ani.example", "nip": "198705122009122001",
         "url": None, "platform_id": "did:plc:ani", "added_at": observed_at},
    ]), key=["platform", "handle"])
    # A follow of the watch-listed campaign account: getFollows gives no time (created_at NULL).
    follow = Activity("bluesky", "follow", "did:plc:ani", "ani.example",
                      target_id="did:plc:tkn", target_author_id="did:plc:tkn",
                      target_author_handle="tkn.prabowogibran.example",
                      observed_at=observed_at)
    assert follow.created_at is None
    store.upsert("activities", activities_table([follow]), key=["activity_id"])


@pytest.mark.parametrize(("observed", "expected"), [
    (datetime(2024, 1, 10, 3, tzinfo=UTC), {"DS-06"}),     # observed in the campaign (DS)
    (datetime(2023, 10, 25, 3, tzinfo=UTC), {"KE-04"}),    # observed before determination (KE)
    (datetime(2025, 6, 1, 3, tzinfo=UTC), set()),          # after the result: outside all windows
    (datetime(2023, 1, 1, 3, tzinfo=UTC), set()),          # before registration
])
def test_undated_follow_is_judged_when_it_was_observed(
    tmp_path: Path, small_model_dir: Path, observed: datetime, expected: set[str]  # noqa: F811
) -> None:
    model = TextModel.load(small_model_dir)
    with Store.open(tmp_path / "p.duckdb") as store:
        _seed(store, observed)
        summary = classify_pending(store, model=model, threshold=0.5)
        rows = store.rows("SELECT rule, stage, flagged, signals FROM flags")
        assert {r for r, _, flagged, _ in rows if flagged} == expected
        for _, stage, _, signals in rows:
            assert '"dated_by": "observed_at"' in signals
            assert stage == stage_at(pemilu_2024(), observed).value
        # In a window it is classified (and recorded as such); outside, not even looked at.
        assert summary.activities == (1 if expected else 0)


def test_the_demo_observes_follows_at_its_simulated_now(tmp_path: Path,
                                                        small_model_dir: Path) -> None:  # noqa: F811
    """What `pantau demo` does: the collector stamps observed_at from the frozen clock."""
    model = TextModel.load(small_model_dir)
    with frozen_clock(AT), Store.open(tmp_path / "p.duckdb") as store:
        _seed(store, utcnow())
        classify_pending(store, model=model, threshold=0.5)
        (rule, decided), = store.rows("SELECT rule, classified_at FROM flags WHERE flagged")
        assert rule == "DS-06" and AT <= decided < AT + timedelta(minutes=5)
