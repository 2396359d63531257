"""Pages committed in groups (collectors/commit.py): the same rows and states as one commit per
page, nothing written before its group commits, state never ahead of its activities, groups
cut by page count and by age, and buffered pages kept when a run stops on an error."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from collect_helpers import (
    DAN_DID,
    World,
    activity_rows,
    loopback_settings,
    seed_work_list,
)
from pantau.collectors.base import Fetched
from pantau.collectors.commit import PageBuffer
from pantau.collectors.paging import Identity, Page, StateUpdate
from pantau.collectors.runner import COLLECTOR_VERSION, RunSummary, collect
from pantau.collectors.telegram.parse import parse_channel_page
from pantau.config import load_settings
from pantau.evidence import verify
from pantau.http import HttpClient
from pantau.store import Store

STATE_COLUMNS = "source, key, cursor, last_seen_id, status, note"


def _run(tmp_path: Path, **collect_settings: object) -> tuple[Store, RunSummary]:
    world = World()
    settings = load_settings(**loopback_settings(world.base), collect=collect_settings)
    store = Store.open(tmp_path / "pantau.duckdb", settings=settings)
    seed_work_list(store)
    http = HttpClient(settings, transport=world.transport(), sleep=lambda s: None)
    with http:
        summary = collect(store, settings, http=http, engagement_posts=2)
    return store, summary


def _states(store: Store) -> list[tuple]:
    return store.rows(f"SELECT {STATE_COLUMNS} FROM collection_state ORDER BY source, key")


def test_one_group_per_run_gives_the_same_rows_as_one_commit_per_page(tmp_path: Path) -> None:
    single, s1 = _run(tmp_path / "single", commit_every_pages=1)
    grouped, s2 = _run(tmp_path / "grouped", commit_every_pages=10_000,
                       commit_every_seconds=3600)
    with single, grouped:
        assert activity_rows(grouped) == activity_rows(single)
        assert len(activity_rows(single)) > 30
        assert _states(grouped) == _states(single)
        assert grouped.rows("SELECT sha256, path FROM evidence ORDER BY 1") == \
            single.rows("SELECT sha256, path FROM evidence ORDER BY 1")
        assert verify(grouped).ok
        # Ids resolved while their pages sat in the buffer reach the accounts table too.
        assert grouped.rows("SELECT platform_id FROM accounts WHERE handle = 'dan.test'") == [
            (DAN_DID,)]
    assert (s2.pages, s2.activities_new, s2.activities_seen, s2.quarantined) == \
        (s1.pages, s1.activities_new, s1.activities_seen, s1.quarantined)
    assert s2.errors == s1.errors == []


def _telegram_pages(world: World, channel: str = "topwar_official") -> list[Page]:
    """The real channel capture served in pages, parsed, with the state `walk` would give."""
    pages, before = [], None
    for n in range(3):
        body = world.channel.page(int(before) if before else None)
        url = f"https://t.me/s/{channel}" + (f"?before={before}" if before else "")
        fetched = Fetched(url=url, status=200, headers={"content-type": "text/html"},
                          content=body, requested_at=datetime(2024, 11, 20, 1, n, tzinfo=UTC),
                          platform="telegram")
        parsed = parse_channel_page(body, source_url=url)
        before = parsed.cursor
        state = StateUpdate("telegram:channel", channel, f'{{"next": "{before}"}}', None, "ok")
        pages.append(Page("telegram:channel", channel, fetched=fetched, parsed=parsed,
                          state=state))
    return pages


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_group_commits_after_n_pages_and_nothing_before(tmp_path: Path) -> None:
    pages = _telegram_pages(World())
    summary = RunSummary(run_id="t", started_at=datetime.now(UTC))
    with Store.open(tmp_path / "pantau.duckdb", settings=load_settings()) as store:
        buffer = PageBuffer(store, summary, COLLECTOR_VERSION, every_pages=3,
                            every_seconds=60, clock=FakeClock())
        assert buffer.add(pages[0], "telegram") is False
        assert buffer.add(pages[1], "telegram") is False
        # Nothing in the store or the archive yet, but the run sees its own pages.
        assert store.count("activities") == store.count("collection_state") == 0
        assert not (tmp_path / "raw").exists()
        assert buffer.state("telegram:channel", "topwar_official") == pages[1].state
        first_ids = [a.id for a in pages[0].parsed.activities]
        assert buffer.knows(first_ids + ["telegram:nope/1"]) == set(first_ids)

        assert buffer.add(pages[2], "telegram") is True       # the third page: commit
        assert buffer.commits == 1 and len(buffer) == 0
        expected = {a.id for p in pages for a in p.parsed.activities}
        assert {r[0] for r in store.rows("SELECT activity_id FROM activities")} == expected
        assert summary.activities_new == len(expected)
        # The source's state is that of its last page, committed with the activities.
        assert store.rows("SELECT cursor FROM collection_state") == [(pages[2].state.cursor,)]
        assert store.count("evidence") == 3 and verify(store).ok
        assert buffer.state("telegram:channel", "topwar_official") == pages[2].state


def test_a_group_also_commits_when_its_oldest_page_is_old_enough(tmp_path: Path) -> None:
    pages = _telegram_pages(World())
    clock = FakeClock()
    summary = RunSummary(run_id="t", started_at=datetime.now(UTC))
    with Store.open(tmp_path / "pantau.duckdb", settings=load_settings()) as store:
        buffer = PageBuffer(store, summary, COLLECTOR_VERSION, every_pages=50,
                            every_seconds=2.0, clock=clock)
        buffer.add(pages[0], "telegram")
        clock.now += 1.5
        assert buffer.add(pages[1], "telegram") is False
        clock.now += 0.6                                      # the first page is 2.1 s old
        assert buffer.add(pages[2], "telegram") is True
        assert buffer.commits == 1 and store.count("evidence") == 3


def test_a_lost_group_leaves_state_matching_the_committed_activities(tmp_path: Path) -> None:
    """A kill drops the buffer: the committed state still points at the committed pages."""
    pages = _telegram_pages(World())
    summary = RunSummary(run_id="t", started_at=datetime.now(UTC))
    with Store.open(tmp_path / "pantau.duckdb", settings=load_settings()) as store:
        buffer = PageBuffer(store, summary, COLLECTOR_VERSION, every_pages=2,
                            every_seconds=60, clock=FakeClock())
        for page in pages:
            buffer.add(page, "telegram")
        del buffer                                            # killed with page 3 buffered
        assert store.rows("SELECT cursor FROM collection_state") == [(pages[1].state.cursor,)]
        committed = {r[0] for r in store.rows("SELECT activity_id FROM activities")}
        assert committed == {a.id for p in pages[:2] for a in p.parsed.activities}


def test_identities_of_buffered_pages_are_cached_on_commit(tmp_path: Path) -> None:
    summary = RunSummary(run_id="t", started_at=datetime.now(UTC))
    with Store.open(tmp_path / "pantau.duckdb", settings=load_settings()) as store:
        seed_work_list(store)
        buffer = PageBuffer(store, summary, COLLECTOR_VERSION, every_pages=10,
                            every_seconds=60, clock=FakeClock())
        buffer.add(Page("bluesky:resolve", "dan.test",
                        identities=[Identity("bluesky", "dan.test", DAN_DID)]), "bluesky")
        assert buffer.identity("bluesky", "dan.test") == DAN_DID
        assert store.rows("SELECT platform_id FROM accounts WHERE handle = 'dan.test'") == [
            (None,)]
        buffer.flush()
        assert store.rows("SELECT platform_id FROM accounts WHERE handle = 'dan.test'") == [
            (DAN_DID,)]


def test_buffered_pages_are_committed_when_the_run_stops_on_an_error(tmp_path: Path) -> None:
    world = World()
    settings = load_settings(**loopback_settings(world.base),
                             collect={"commit_every_pages": 10_000, "commit_every_seconds": 3600})
    seen: list[int] = []

    def progress(event: str, summary: RunSummary) -> None:
        if event == "page":
            seen.append(summary.pages)
            if summary.pages == 4:
                raise RuntimeError("stop here")

    with Store.open(tmp_path / "pantau.duckdb", settings=settings) as store, \
            HttpClient(settings, transport=world.transport(), sleep=lambda s: None) as http:
        seed_work_list(store)
        with pytest.raises(RuntimeError, match="stop here"):
            collect(store, settings, http=http, progress=progress, platforms=["telegram"])
        # The four pages fetched before the error are committed with their state.
        assert seen[-1] == 4
        assert store.count("activities") > 0
        assert store.count("evidence") == store.rows(
            "SELECT count(DISTINCT evidence_id) FROM activities")[0][0]
        assert store.rows("SELECT count(*) FROM collection_state")[0][0] >= 1
        assert store.rows("SELECT finished_at IS NOT NULL FROM collection_runs") == [(True,)]
        # The next run completes the work and duplicates nothing.
        collect(store, settings, http=http, platforms=["telegram"])
        ids = [r[0] for r in store.rows("SELECT activity_id FROM activities")]
        assert len(ids) == len(set(ids)) == 12


def test_commit_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANTAU_COLLECT__COMMIT_EVERY_PAGES", "7")
    monkeypatch.setenv("PANTAU_COLLECT__COMMIT_EVERY_SECONDS", "0.5")
    settings = load_settings()
    assert (settings.collect.commit_every_pages, settings.collect.commit_every_seconds) == (7, 0.5)


def test_recent_posts_come_from_the_store_and_the_buffer_without_a_commit(
        tmp_path: Path) -> None:
    from pantau.collectors.base import Parsed
    from pantau.collectors.runner import _Ctx
    from pantau.records import Activity

    settings = load_settings(**loopback_settings(World().base))
    store = Store.open(tmp_path / "pantau.duckdb", settings=settings)

    def post(n: int, day: int, actor: str = "did:plc:w") -> Activity:
        return Activity(platform="bluesky", type="post", actor_id=actor, actor_handle="w.test",
                        native_id=f"at://w/{n}", created_at=datetime(2024, 11, day, tzinfo=UTC))

    def page(*acts: Activity) -> Page:
        fetched = Fetched("https://x.test/feed", 200, {}, b"{}", datetime.now(UTC), "bluesky")
        return Page("bluesky:feed", "w", fetched, Parsed(list(acts)))

    summary = RunSummary(run_id="r", started_at=datetime.now(UTC))
    buffer = PageBuffer(store, summary, COLLECTOR_VERSION, every_pages=100, every_seconds=3600)
    with store:
        buffer.add(page(post(1, 1), post(3, 3)), "bluesky")
        buffer.flush()                                   # committed: days 1 and 3
        buffer.add(page(post(2, 2), post(4, 4), post(3, 3), post(9, 9, "did:plc:other")),
                   "bluesky")                            # buffered: days 2, 4 and 3 again
        ctx = _Ctx(store, settings, None, None, buffer)  # type: ignore[arg-type]
        latest = ctx.recent_posts("bluesky", "did:plc:w", 3)
        assert [p.native_id for p in latest] == ["at://w/4", "at://w/3", "at://w/2"]
        assert buffer.commits == 1 and len(buffer) == 1  # nothing committed to answer it
        ctx.since = datetime(2024, 11, 3, tzinfo=UTC)
        assert [p.native_id for p in ctx.recent_posts("bluesky", "did:plc:w", 5)] == [
            "at://w/4", "at://w/3"]
