"""Collection against a fake world serving the real captures: paging, state, faults, dedup."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from collect_helpers import (
    ATTEMPTS,
    DAN_DID,
    FIX,
    MASTODON_SERVER,
    WATCHED_POST,
    World,
    activity_rows,
    loopback_settings,
    seed_work_list,
)
from pantau.collectors.bluesky.parse import parse_author_feed
from pantau.collectors.mastodon.parse import parse_statuses
from pantau.collectors.runner import collect
from pantau.collectors.telegram.parse import parse_channel_page
from pantau.config import load_settings
from pantau.errors import InputError
from pantau.evidence import verify
from pantau.http import HttpClient
from pantau.store import Store



def open_world(tmp_path: Path, world: World | None = None):
    world = world or World()
    settings = load_settings(**loopback_settings(world.base))
    # An explicit database path: PANTAU_HOME (set by conftest) would win over `home=`.
    store = Store.open(tmp_path / "pantau.duckdb", settings=settings)
    seed_work_list(store)
    http = HttpClient(settings, transport=world.transport(), sleep=lambda s: None)
    return world, settings, store, http


def ids(store: Store, platform: str) -> set[str]:
    return {r[0] for r in store.rows(
        "SELECT activity_id FROM activities WHERE platform = ?", [platform])}


def state(store: Store, source: str, key: str) -> tuple:
    rows = store.rows("SELECT cursor, last_seen_id, status, note FROM collection_state "
                      "WHERE source = ? AND key = ?", [source, key])
    return rows[0] if rows else None


def expected_telegram_ids() -> set[str]:
    return {a.id for a in parse_channel_page((FIX / "telegram/full.html").read_bytes()).activities}


def expected_mastodon_status_ids() -> set[str]:
    found = set()
    for name in ("account_statuses_page1.json", "account_statuses_page2_max_id.json"):
        found |= {a.id for a in parse_statuses((FIX / "mastodon" / name).read_bytes()).activities}
    return found


def test_collection_pages_records_state_and_never_duplicates(tmp_path: Path) -> None:
    world, settings, store, http = open_world(tmp_path)
    with store:
        first = collect(store, settings, http=http, engagement_posts=2)

        # Telegram: 12 posts served 4 per page, paged backwards with ?before=.
        assert ids(store, "telegram") == expected_telegram_ids()
        tg = [r for r in world.requests if r.startswith("/s/topwar_official")]
        assert tg == ["/s/topwar_official", "/s/topwar_official?before=71000",
                      "/s/topwar_official?before=70996"]
        cursor, last_seen, status, _ = state(store, "telegram:channel", "topwar_official")
        assert (cursor, last_seen, status) == (None, "71008", "ok")
        # An empty channel is fine and leaves no evidence.
        assert state(store, "telegram:channel", "emptychan")[2] == "ok"

        # Mastodon: Link paging until an empty page; following hidden; a 403 is "refused".
        assert expected_mastodon_status_ids() <= ids(store, "mastodon")
        key = f"{world.base}#117020565966271181"
        assert state(store, "mastodon:following", key)[2] == "hidden"
        refused = state(store, "mastodon:account", f"private@{MASTODON_SERVER}")
        assert refused[2] == "refused" and "403" in refused[3]
        assert any("private@" in r for r in first.refused)
        mastodon_types = {r[0] for r in store.rows(
            "SELECT DISTINCT type FROM activities WHERE platform = 'mastodon'")}
        assert {"post", "like", "share"} <= mastodon_types   # favourited_by, reblogged_by

        # Bluesky: two feed pages chained by cursor; likers of the watch-listed posts.
        feed = {a.id for name in ("getAuthorFeed_full.json", "getAuthorFeed_full_2.json")
                for a in parse_author_feed((FIX / "bluesky/appview" / name).read_bytes())
                .activities}
        assert feed <= ids(store, "bluesky")
        assert store.rows("SELECT count(*) FROM activities WHERE platform = 'bluesky' "
                          "AND type = 'like'")[0][0] > 0

        # Own likes (listRecords on the PDS) are kept only when they point at a watched author.
        own = store.rows("SELECT target_id FROM activities WHERE platform = 'bluesky' "
                         "AND type = 'like' AND actor_id = ?", [DAN_DID])
        assert own == [(WATCHED_POST,)]

        # Handles resolved once and cached.
        cached = dict(store.rows("SELECT handle, platform_id FROM accounts"))
        assert cached["dan.test"] == DAN_DID
        assert cached[f"mastodonpy_test@{MASTODON_SERVER}"] == "117020565966271181"

        # Every activity points at archived evidence, and the archive verifies.
        assert store.rows("SELECT count(*) FROM activities a LEFT JOIN evidence e "
                          "ON a.evidence_id = e.sha256 WHERE e.sha256 IS NULL")[0][0] == 0
        assert verify(store).ok
        assert first.activities_new == store.count("activities") and first.errors == []
        run = store.rows("SELECT finished_at, summary FROM collection_runs")
        assert run[0][0] is not None and json.loads(run[0][1])["pages"] == first.pages

        # Again: nothing new, nothing duplicated; Telegram stops at the last id seen.
        before = activity_rows(store)
        world.requests.clear()
        second = collect(store, settings, http=http, engagement_posts=2)
        assert activity_rows(store) == before
        assert second.activities_new == 0 and second.activities_seen > 0
        assert [r for r in world.requests if r.startswith("/s/topwar_official")] == [
            "/s/topwar_official"]
        assert store.count("collection_runs") == 2


def test_faults_are_retried_or_quarantined_and_a_rerun_loses_nothing(tmp_path: Path) -> None:
    clean_world, settings, clean, http = open_world(tmp_path / "clean")
    with clean:
        collect(clean, settings, http=http, engagement_posts=2)
        expected = activity_rows(clean)

    world = World()
    world.fault("/s/topwar_official", None, "429", "500")                 # retried
    world.fault("/s/topwar_official", {"before": "71000"}, "cutoff")     # retried
    world.fault("/s/topwar_official", {"before": "70996"}, *["truncated"] * ATTEMPTS)  # kept
    world.fault("/api/v1/accounts/117020565966271181/statuses", {"limit": "40"}, "html")
    world.fault("/xrpc/app.bsky.feed.getAuthorFeed",                       # not JSON: kept
                {"actor": "user(0)", "limit": "100", "cursor": "page2"}, "invalid_json")
    world, settings, store, http = open_world(tmp_path / "faulty", world)
    with store:
        first = collect(store, settings, http=http, engagement_posts=2)
        assert first.retries == 2 + 1 + (ATTEMPTS - 1) + 1   # 429+500, cutoff, truncated, html
        assert first.quarantined == 2
        assert any("before=70996" in e and "truncated" in e for e in first.errors)
        assert any("getAuthorFeed" in e and "cursor=page2" in e for e in first.errors)
        quarantined = store.rows("SELECT q.url, q.item_ref, e.sha256 FROM quarantine q "
                                 "JOIN evidence e ON q.evidence_id = e.sha256 ORDER BY q.url")
        assert len(quarantined) == 2 and all(item == "page" for _, item, _ in quarantined)
        cursor, _, status, note = state(store, "telegram:channel", "topwar_official")
        assert status == "error" and json.loads(cursor)["next"] == "70996"
        # The two pages before the truncated one are in; the rest waits for the next run.
        assert len(ids(store, "telegram")) == 8

        second = collect(store, settings, http=http, engagement_posts=2)
        assert second.errors == [] and second.quarantined == 0
        assert activity_rows(store) == [r for r in expected]  # same rows, evidence included
        assert verify(store).ok


def test_unknown_platform_is_refused(tmp_path: Path) -> None:
    _, settings, store, http = open_world(tmp_path)
    with store, pytest.raises(InputError, match="instagram"):
        collect(store, settings, platforms=["instagram"], http=http)


def test_filters_by_platform_and_account(tmp_path: Path) -> None:
    world, settings, store, http = open_world(tmp_path)
    with store:
        summary = collect(store, settings, platforms=["telegram"], accounts=["@EmptyChan"],
                          http=http)
        assert summary.accounts == 1 and world.requests == ["/s/emptychan"]
        assert store.count("activities") == 0 and store.count("evidence") == 0


def test_since_stops_the_backfill(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    world, settings, store, http = open_world(tmp_path)
    with store:
        # Every post of the capture is from 2023-02-28; a later --since needs one page only.
        collect(store, settings, platforms=["telegram"], accounts=["topwar_official"],
                since=datetime(2023, 3, 1, tzinfo=UTC), http=http)
        assert world.requests == ["/s/topwar_official"]
        assert len(ids(store, "telegram")) == 4
