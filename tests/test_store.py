"""The DuckDB store: migrations (fresh, older, newer databases), bulk idempotent upserts,
transactions, read-only opening, file permissions and a database held by another process."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

import pantau.store as store_module
from pantau.errors import SchemaTooNewError, StoreBusyError, StoreError
from pantau.store import Store, latest_version

T0 = datetime(2024, 11, 20, 7, 0, tzinfo=UTC)
REGISTRY_TABLES = {"agencies", "asn", "accounts"}
EXPECTED_TABLES = REGISTRY_TABLES | {
    "elections", "candidates", "watch_accounts", "watch_phrases", "evidence", "activities",
    "collection_state", "classifications", "flags", "decisions", "exports", "schema_migrations",
}


def tables(store: Store) -> set[str]:
    return {r[0] for r in store.rows("SELECT table_name FROM information_schema.tables")}


def agency(name: str) -> dict:
    return {"name": name, "added_at": T0}


def with_extra_migration(monkeypatch: pytest.MonkeyPatch, sql: str) -> None:
    """Pretend this pantau ships one more migration than the database has seen."""
    real = store_module._migrations()
    extra = (real[-1][0] + 1, "test_extra", sql)
    monkeypatch.setattr(store_module, "_migrations", lambda: [*real, extra])


def test_fresh_database_is_migrated(isolated_home: Path) -> None:
    with Store.open() as store:
        assert store.path == isolated_home / "pantau.duckdb"
        assert EXPECTED_TABLES <= tables(store)
        assert store.schema_version == latest_version()
        versions = store.rows("SELECT version, name FROM schema_migrations ORDER BY version")
        assert versions[0] == (1, "initial")
        assert len(versions) == latest_version()


def test_reopening_a_current_database_is_a_no_op(tmp_path: Path) -> None:
    db = tmp_path / "p.duckdb"
    with Store.open(db) as store:
        store.upsert("agencies", [agency("Kementerian Keuangan")], key=["name"])
        migrations = store.rows("SELECT * FROM schema_migrations ORDER BY version")
    with Store.open(db) as store:
        assert store.rows("SELECT * FROM schema_migrations ORDER BY version") == migrations
        assert store.rows("SELECT name FROM agencies") == [("Kementerian Keuangan",)]


def test_version_0_database_is_migrated_and_keeps_its_data(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE notes (text VARCHAR)")
    con.execute("INSERT INTO notes VALUES ('kept')")
    con.close()
    with Store.open(db) as store:
        assert store.schema_version == latest_version()
        assert EXPECTED_TABLES <= tables(store)
        assert store.rows("SELECT text FROM notes") == [("kept",)]


def test_older_database_gets_only_the_pending_migrations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "v1.duckdb"
    with Store.open(db) as store:
        store.upsert("agencies", [agency("Pemkot Bogor")], key=["name"])
        first = store.rows("SELECT * FROM schema_migrations WHERE version = 1")
    with_extra_migration(monkeypatch, "ALTER TABLE agencies ADD COLUMN region VARCHAR")
    newest = latest_version()
    with Store.open(db) as store:
        assert store.schema_version == newest
        assert store.rows("SELECT * FROM schema_migrations WHERE version = 1") == first
        assert store.rows("SELECT name, region FROM agencies") == [("Pemkot Bogor", None)]


def test_failed_migration_leaves_the_database_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "v1.duckdb"
    Store.open(db).close()
    shipped = latest_version()
    with_extra_migration(
        monkeypatch, "ALTER TABLE agencies ADD COLUMN region VARCHAR; SELECT * FROM no_such_table"
    )
    with pytest.raises((duckdb.Error, StoreError)):
        Store.open(db)
    monkeypatch.undo()
    with Store.open(db, read_only=True) as store:
        assert store.schema_version == shipped
        columns = {r[0] for r in store.rows(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'agencies'")}
        assert "region" not in columns


def test_read_only_open_of_an_older_database_asks_for_migration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "v1.duckdb"
    Store.open(db).close()
    with_extra_migration(monkeypatch, "SELECT 1")
    with pytest.raises(StoreError) as exc:
        Store.open(db, read_only=True)
    assert "migrate" in str(exc.value) and str(db) in str(exc.value)


def test_newer_database_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "future.duckdb"
    with Store.open(db) as store:
        store.con.execute("INSERT INTO schema_migrations VALUES (999, 'from_the_future', ?)", [T0])
    with pytest.raises(SchemaTooNewError) as exc:
        Store.open(db)
    message = str(exc.value)
    assert "999" in message and str(db) in message and "upgrade pantau" in message
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT max(version) FROM schema_migrations").fetchone() == (999,)
    finally:
        con.close()


def test_upsert_is_idempotent(tmp_path: Path) -> None:
    batch = [agency("A"), agency("B")]
    with Store.open(tmp_path / "s.duckdb") as store:
        assert store.upsert("agencies", batch, key=["name"]) == 2
        assert store.upsert("agencies", batch, key=["name"]) == 0
        assert store.count("agencies") == 2


def test_upsert_keeps_the_first_of_duplicates_in_one_batch(tmp_path: Path) -> None:
    later = datetime(2025, 1, 1, tzinfo=UTC)
    batch = pa.Table.from_pylist([agency("A"), {"name": "A", "added_at": later}, agency("B")])
    with Store.open(tmp_path / "s.duckdb") as store:
        assert store.upsert("agencies", batch, key=["name"]) == 2
        assert store.rows("SELECT name, added_at FROM agencies ORDER BY name") == [
            ("A", T0), ("B", T0)
        ]


def test_upsert_update_replaces_non_key_columns(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.duckdb") as store:
        store.upsert("collection_state", [
            {"source": "telegram:channel", "key": "kanal", "cursor": "10", "updated_at": T0}
        ], key=["source", "key"])
        later = datetime(2024, 11, 21, tzinfo=UTC)
        frame = pd.DataFrame(
            [{"source": "telegram:channel", "key": "kanal", "cursor": "42", "updated_at": later}]
        )
        store.upsert("collection_state", frame, key=["source", "key"])  # no update: kept
        assert store.rows("SELECT cursor FROM collection_state") == [("10",)]
        store.upsert("collection_state", frame, key=["source", "key"], update=True)
        assert store.rows("SELECT cursor, updated_at FROM collection_state") == [("42", later)]


def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.duckdb") as store:
        with pytest.raises(RuntimeError), store.transaction():
            store.upsert("agencies", [agency("A")], key=["name"])
            with store.transaction():  # nested: joins the outer transaction
                store.upsert("agencies", [agency("B")], key=["name"])
            raise RuntimeError("boom")
        assert store.count("agencies") == 0
        with store.transaction():
            store.upsert("agencies", [agency("C")], key=["name"])
        assert store.count("agencies") == 1


def test_read_only_open_of_a_missing_database(tmp_path: Path) -> None:
    db = tmp_path / "missing" / "pantau.duckdb"
    with pytest.raises(StoreError) as exc:
        Store.open(db, read_only=True)
    assert str(db) in str(exc.value) and "no database yet" in str(exc.value)
    assert not db.parent.exists()


def test_database_file_and_home_are_private(isolated_home: Path) -> None:
    with Store.open() as store:
        store.upsert("agencies", [agency("A")], key=["name"])
    assert stat.S_IMODE(os.stat(isolated_home).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(isolated_home / "pantau.duckdb").st_mode) == 0o600


def test_database_held_by_another_process(tmp_path: Path) -> None:
    db = tmp_path / "busy.duckdb"
    Store.open(db).close()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True);"
         " sys.stdin.read()", str(db)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreBusyError) as exc:
            Store.open(db, wait_seconds=0.5)
        assert "in use by another process" in str(exc.value)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    Store.open(db).close()  # free again once the other process is gone


def test_export_rows_keep_their_rows_when_rebuilt_by_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Migration 2 rebuilds export_rows with each row's line and digest and without its
    primary key: a store written at version 1 keeps every row (line and digest unknown), and
    the rebuilt table takes the rows of a new export."""
    db = tmp_path / "v1.duckdb"
    only_first = store_module._migrations()[:1]
    monkeypatch.setattr(store_module, "_migrations", lambda: only_first)
    with Store.open(db) as store:
        store.upsert("export_rows", [{"export_id": "bkn-2024-W47-r1", "case_id": c}
                                     for c in ("c1", "c2")])
    monkeypatch.undo()
    with Store.open(db) as store:
        assert store.schema_version == latest_version() >= 2
        store.upsert("export_rows", [{"export_id": "bkn-2024-W47-r2", "case_id": "c1",
                                      "line": 2, "row_sha256": "ab" * 32}])
        assert sorted(store.rows("SELECT * FROM export_rows")) == [
            ("bkn-2024-W47-r1", "c1", None, None), ("bkn-2024-W47-r1", "c2", None, None),
            ("bkn-2024-W47-r2", "c1", 2, "ab" * 32)]
        keys = store.rows("SELECT count(*) FROM duckdb_constraints() "
                          "WHERE table_name = 'export_rows' AND constraint_type = 'PRIMARY KEY'")
        assert keys == [(0,)]
