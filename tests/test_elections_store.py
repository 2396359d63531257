"""Elections in the store: round trip, atomic replacement of the watchlist, listing."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
from elections_helpers import EXAMPLE_FILE, MINIMAL, SHIPPED_FILES, replace_line, write

from pantau.elections import (
    import_election_file,
    list_elections,
    load_election,
    load_election_file,
    save_election,
)
from pantau.errors import NotInStore, StoreError
from pantau.records import Keyword, WatchAccount
from pantau.store import Store


@pytest.fixture
def store(tmp_path: Path):
    with Store.open(tmp_path / "pantau.duckdb") as s:
        yield s


def _watchlist(store: Store, election_id: str) -> dict[str, list[tuple]]:
    return {
        table: store.rows(f"SELECT * FROM {table} WHERE election_id = ? ORDER BY ALL",
                          [election_id])
        for table in ("candidates", "watch_accounts", "watch_phrases")
    }


def test_round_trip_keeps_everything(store: Store) -> None:
    election = import_election_file(store, EXAMPLE_FILE)
    assert load_election(store, election.id) == election
    row = store.rows("SELECT source_file, source_sha256, length(source_text) FROM elections")[0]
    assert row[0] == str(EXAMPLE_FILE) and len(row[1]) == 64 and row[2] > 100


def test_every_shipped_file_saves_and_lists(store: Store) -> None:
    for path in SHIPPED_FILES:
        import_election_file(store, path)
    frame = list_elections(store, at=datetime(2024, 11, 20, 3, 0, tzinfo=UTC))
    assert len(frame) == len(SHIPPED_FILES)
    row = frame.set_index("election_id").loc["pilkada-2024-dki-jakarta"]
    assert (row["stage"], row["candidates"], row["keywords"]) == ("calon", 3, 5)
    assert frame.set_index("election_id").loc["pemilu-2024-presiden", "stage"] == "after"
    assert list(frame["vote"]) == sorted(frame["vote"])


def test_reload_replaces_the_watchlist(store: Store, tmp_path: Path) -> None:
    first = write(tmp_path, MINIMAL, "v1.toml")
    import_election_file(store, first)
    changed = replace_line(MINIMAL, 'phrase = "coblos nomor 2"', 'phrase = "pilih nomor dua"')
    changed = changed.split("[[accounts]]")[0] + "[[keywords]]" + changed.split("[[keywords]]")[1]
    import_election_file(store, write(tmp_path, changed, "v2.toml"))
    election = load_election(store, "pilkada-2024-contoh")
    assert election.accounts == []
    assert election.keywords == [Keyword("pilih nomor dua", 2)]
    assert store.count("elections") == 1
    assert store.rows("SELECT source_file FROM elections")[0][0].endswith("v2.toml")


def test_reload_keeps_platform_ids_resolved_by_collectors(store: Store, tmp_path: Path) -> None:
    election = import_election_file(store, write(tmp_path, MINIMAL))
    store.rows("UPDATE watch_accounts SET platform_id = 'chan-123'")
    import_election_file(store, write(tmp_path, MINIMAL))
    assert store.rows("SELECT handle, platform_id FROM watch_accounts") == [
        ("kanal_satu", "chan-123")]
    assert load_election(store, election.id) == election


def test_failing_save_leaves_the_old_watchlist_intact(store: Store, tmp_path: Path) -> None:
    election = import_election_file(store, write(tmp_path, MINIMAL))
    before = _watchlist(store, election.id)
    head_before = store.rows("SELECT * FROM elections")
    # A caller-built election that breaks a key of the store fails after the delete of the
    # old watchlist has run inside the transaction: all of it must roll back.
    broken = dataclasses.replace(
        election,
        name="changed",
        accounts=[WatchAccount("telegram", "kanal_baru", "campaign", None)],
        keywords=[Keyword("sama", 1), Keyword("sama", 2)],
    )
    with pytest.raises(StoreError, match="was not saved"):
        save_election(store, broken)
    assert _watchlist(store, election.id) == before
    assert store.rows("SELECT * FROM elections") == head_before
    assert load_election(store, election.id) == election


def test_other_elections_are_untouched_by_a_reload(store: Store, tmp_path: Path) -> None:
    import_election_file(store, EXAMPLE_FILE)
    other = _watchlist(store, "pilkada-2024-dki-jakarta")
    import_election_file(store, write(tmp_path, MINIMAL))
    import_election_file(store, write(tmp_path, MINIMAL))
    assert _watchlist(store, "pilkada-2024-dki-jakarta") == other


def test_unknown_election_names_the_loaded_ones(store: Store) -> None:
    import_election_file(store, EXAMPLE_FILE)
    with pytest.raises(NotInStore, match="pilkada-2024-dki-jakarta"):
        load_election(store, "pemilu-2099")


def test_loading_the_file_twice_is_the_same_election(tmp_path: Path) -> None:
    assert load_election_file(EXAMPLE_FILE) == load_election_file(EXAMPLE_FILE)
