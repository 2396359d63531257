"""The store: an embedded DuckDB file (default) or a DuckLake for many writers; same schema,
same code.

    from pantau.store import Store
    with Store.open() as store:            # read-write, migrates an older database
        store.upsert("asn", table, key=["nip"])
    with Store.open(read_only=True) as store:
        df = store.df("SELECT * FROM asn")

`[store] backend` in the settings picks the backend: "duckdb" is one file under PANTAU_HOME
(one writing process at a time), "ducklake" a DuckLake whose catalog is in PostgreSQL and whose
data are Parquet files in a shared directory (`ducklake.py`, docs/scaling.md). The lake is
the connection's default catalog, so SQL written against the file runs unchanged.

Writes go in Arrow/DataFrame batches (`upsert`), never one INSERT per row. Keys are kept
unique by the upsert itself (an anti-join), not by constraints: DuckLake has none, and on the
embedded file the anti-join measured faster than ON CONFLICT (bench/store_upsert.py).
DuckDB 2.x needs a result fetched fully before the next statement on the same connection:
`rows` and `df` do that.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..config import Settings, get_settings
from ..errors import SchemaTooNewError, StoreBusyError, StoreError
from .. import timeutil
from . import ddl, ducklake

Tabular = pa.Table | pd.DataFrame | Sequence[dict[str, Any]]
T = TypeVar("T")

SCHEMA_MIGRATIONS_DDL = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)"
)
# A DuckLake write that lost a race with another writer is tried again this many times when
# it is safe to (a lone upsert is idempotent); the wait doubles from CONFLICT_BACKOFF seconds.
CONFLICT_ATTEMPTS = 6
CONFLICT_BACKOFF = 0.05


def _migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration shipped with this pantau, in order."""
    found = []
    for entry in resources.files("pantau.store.migrations").iterdir():
        if entry.name.endswith(".sql"):
            number, _, rest = entry.name.partition("_")
            found.append((int(number), rest.removesuffix(".sql"), entry.read_text("utf-8")))
    found.sort()
    return found


def latest_version() -> int:
    return _migrations()[-1][0]


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable only by the owner: it holds personal data."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.chmod(path, 0o700)
    except PermissionError:
        pass  # not ours to change (e.g. a shared parent); files inside are still 0600
    return path


class Store:
    """A connection to pantau's database (embedded DuckDB file or DuckLake)."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        path: Path,
        read_only: bool,
        *,
        backend: str = "duckdb",
        location: str | None = None,
    ) -> None:
        self.con = con
        # The database file, or for a lake <home>/pantau.ducklake (not a file): other modules
        # keep side files next to it and take `path.parent` as PANTAU_HOME on both backends.
        self.path = path
        self.read_only = read_only
        self.backend = backend
        # What messages call this store: the file, or the lake's catalog and data path.
        self.location = location or str(path)
        self._in_tx = False

    # --- opening ------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        path: str | Path | None = None,
        *,
        settings: Settings | None = None,
        read_only: bool = False,
        wait_seconds: float = 10.0,
    ) -> Store:
        """Open (and if needed create and migrate) the database.

        An explicit `path` is always an embedded DuckDB file; otherwise `settings.store.backend`
        decides. A file held by another process (or a DuckLake catalog file) is waited for up to
        `wait_seconds`, then `StoreBusyError`. A database from a newer pantau is refused
        (`SchemaTooNewError`).
        """
        settings = settings or get_settings()
        if path is None and settings.store.backend == "ducklake":
            return cls._open_lake(settings, read_only=read_only, wait_seconds=wait_seconds)
        db = Path(path) if path is not None else settings.db_path
        if read_only and not db.exists():
            raise StoreError(f"{db}: no database yet (run an import or `pantau demo` first)")
        if not read_only:
            ensure_private_dir(db.parent)
        con = _connect_waiting(
            lambda: duckdb.connect(str(db), read_only=read_only), str(db), wait_seconds
        )
        con.execute("SET TimeZone = 'UTC'")
        if not read_only:
            for f in (db, db.with_name(db.name + ".wal")):
                if f.exists():
                    os.chmod(f, 0o600)
        return cls(con, db, read_only)._migrated()

    @classmethod
    def _open_lake(cls, settings: Settings, *, read_only: bool, wait_seconds: float) -> Store:
        target = ducklake.target_from(settings)
        if not read_only:
            ensure_private_dir(settings.home)
            if target.is_local_data:
                ensure_private_dir(Path(target.data_path))
        if target.kind == "duckdb" and not read_only:
            ensure_private_dir(Path(target.spec).parent)
        password = settings.store.password
        secret = password.get_secret_value() if password is not None else None

        def connect() -> duckdb.DuckDBPyConnection:
            con = duckdb.connect()  # in memory: the lake is attached to it
            try:
                ducklake.attach(con, target, read_only=read_only, password=secret)
            except BaseException:
                con.close()
                raise
            return con

        for attempt in range(CONFLICT_ATTEMPTS):
            try:
                con = _connect_waiting(connect, target.label, wait_seconds, explain=False)
                break
            except duckdb.Error as exc:
                # Two processes creating the same new lake at once: the loser's ATTACH fails
                # half-way; attaching again finds the lake the winner made.
                if read_only or not ducklake.is_creation_race(exc) or (
                    attempt == CONFLICT_ATTEMPTS - 1
                ):
                    raise StoreError(ducklake.explain_attach_error(target, exc)) from None
                _backoff(attempt)
        con.execute("SET TimeZone = 'UTC'")
        store = cls(
            con, settings.home / "pantau.ducklake", read_only,
            backend="ducklake", location=target.label,
        )
        return store._migrated()

    def _migrated(self) -> Store:
        try:
            for attempt in range(CONFLICT_ATTEMPTS):
                try:
                    self._migrate()
                    break
                except StoreError as exc:
                    # Two writers migrated a fresh lake at once and the other one won (a
                    # commit conflict, or its tables appeared under ours): look again, its
                    # migrations are now ours too.
                    raced = isinstance(exc, StoreBusyError) or "already exists" in str(exc)
                    if self.backend != "ducklake" or not raced or attempt == CONFLICT_ATTEMPTS - 1:
                        raise
                    _backoff(attempt)
        except BaseException:
            self.con.close()
            raise
        return self

    @contextmanager
    def registered(self, name: str, table: pa.Table) -> Iterator[str]:
        """`table` (Arrow) readable as `name` by this connection's queries inside the block."""
        self.con.register(name, table)
        try:
            yield name
        finally:
            self.con.unregister(name)

    @contextmanager
    def twin(self) -> Iterator[Store]:
        """A second connection to this database, to run a query in another thread while this
        one runs its own (DuckDB cursors share the database, not the statement). It sees
        what is committed, not this connection's open transaction; closed on exit."""
        cursor = self.con.cursor()
        try:
            cursor.execute("SET TimeZone = 'UTC'")
            if self.backend == "ducklake":
                cursor.execute(f"USE {ducklake.CATALOG_ALIAS}")
            yield Store(cursor, self.path, self.read_only, backend=self.backend,
                        location=self.location)
        finally:
            cursor.close()

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- migrations ---------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        exists = self.rows(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_name = 'schema_migrations' AND table_catalog = current_database()"
        )[0][0]
        if not exists:
            return 0
        return self.rows("SELECT coalesce(max(version), 0) FROM schema_migrations")[0][0]

    def _ddl(self, sql: str, source: str) -> str:
        """The migration as this backend takes it: unchanged for the file, translated for a lake."""
        return ddl.to_ducklake(sql, source=source) if self.backend == "ducklake" else sql

    def _migrate(self) -> None:
        current = self.schema_version
        known = latest_version()
        if current > known:
            raise SchemaTooNewError(
                f"{self.location}: database schema version {current} is newer than this pantau "
                f"understands ({known}); upgrade pantau instead of opening it with this one"
            )
        pending = [m for m in _migrations() if m[0] > current]
        if not pending:
            return
        if self.read_only:
            raise StoreError(
                f"{self.location}: database is at schema version {current}, this pantau needs "
                f"{known}; open it once read-write (any pantau command) to migrate"
            )
        # Translate everything before touching the database: a migration the lake cannot
        # take is refused with nothing applied.
        scripts = [
            (version, name, self._ddl(sql, f"migration {version:03d}_{name}.sql"))
            for version, name, sql in pending
        ]
        with self.transaction():
            self.con.execute(self._ddl(SCHEMA_MIGRATIONS_DDL, "schema_migrations"))
            for version, name, sql in scripts:
                try:
                    self.con.execute(sql)
                except duckdb.Error as exc:
                    raise StoreError(
                        f"{self.location}: migration {version} ({name}) failed, database left "
                        f"unchanged: {exc}"
                    ) from exc
                self.con.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    [version, name, timeutil.utcnow()],
                )

    # --- reading ------------------------------------------------------------------------
    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[tuple]:
        """Run a statement and fetch every row."""
        return self.con.execute(sql, params or []).fetchall()

    def df(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pd.DataFrame:
        """Run a query and return a DataFrame."""
        return self.con.execute(sql, params or []).df()

    def arrow(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pa.Table:
        result = self.con.execute(sql, params or []).to_arrow_table()
        return result

    def count(self, table: str) -> int:
        return self.rows(f'SELECT count(*) FROM "{table}"')[0][0]

    # --- writing ------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """All writes inside commit together or not at all. Nested calls join the outer one.

        On a DuckLake another writer may commit a conflicting change first (DuckLake checks at
        commit, per table): then nothing is written and `StoreBusyError` is raised; use
        `write` to have the whole unit run again.
        """
        if self._in_tx:
            yield self
            return
        self.con.execute("BEGIN TRANSACTION")
        self._in_tx = True
        try:
            yield self
        except BaseException:
            self._in_tx = False
            self._rollback_quietly()
            raise
        self._in_tx = False
        try:
            self.con.execute("COMMIT")
        except duckdb.Error as exc:
            self._rollback_quietly()
            if ducklake.is_conflict(exc):
                raise StoreBusyError(_conflict_message(self.location, exc)) from None
            raise

    def _rollback_quietly(self) -> None:
        try:
            self.con.execute("ROLLBACK")
        except duckdb.TransactionException:
            pass  # a failed COMMIT has already ended the transaction

    def write(self, unit: Callable[[Store], T], *, attempts: int = CONFLICT_ATTEMPTS) -> T:
        """Run `unit(store)` in one transaction; if another DuckLake writer committed a
        conflicting change first, run it again (up to `attempts` times, with a growing pause).

        `unit` must be repeatable: it re-reads what it depends on (as upserts do). On the
        embedded file there are no such conflicts and it runs once.
        """
        for attempt in range(attempts):
            try:
                with self.transaction():
                    return unit(self)
            except StoreBusyError:
                if self._in_tx or self.backend != "ducklake" or attempt == attempts - 1:
                    raise
                _backoff(attempt)
        raise AssertionError("unreachable")  # the loop returns or raises

    def upsert(
        self,
        table: str,
        data: Tabular,
        *,
        key: Sequence[str] | None = None,
        update: bool = False,
    ) -> int:
        """Insert a batch; rows whose `key` already exists are skipped (or replaced with `update`).

        Rows repeating a key within the batch keep the first. `update` sets the batch's
        non-key columns on existing rows (columns not in the batch are left as they are).
        Returns the number of rows written (inserted, plus updated with `update`). Outside a
        transaction, a DuckLake write conflict is retried: the upsert is idempotent.
        """
        arrow = as_arrow(data)
        if arrow.num_rows == 0:
            return 0
        if key:
            arrow = first_per_key(arrow, key)
        view = f"_pantau_in_{table}"
        sql = upsert_sql(table, view, arrow.column_names, key, update)
        with self.registered(view, arrow):
            if self._in_tx or self.backend != "ducklake":
                written = self.con.execute(sql).fetchall()
            else:
                written = self._autocommit_retrying(sql)
        return int(written[0][0]) if written else 0

    def _autocommit_retrying(self, sql: str) -> list[tuple]:
        for attempt in range(CONFLICT_ATTEMPTS):
            try:
                return self.con.execute(sql).fetchall()
            except duckdb.Error as exc:
                if not ducklake.is_conflict(exc):
                    raise
                self._rollback_quietly()
                if attempt == CONFLICT_ATTEMPTS - 1:
                    raise StoreBusyError(_conflict_message(self.location, exc)) from None
                _backoff(attempt)
        raise AssertionError("unreachable")


def upsert_sql(
    table: str, view: str, columns: Sequence[str], key: Sequence[str] | None, update: bool
) -> str:
    """The statement `Store.upsert` runs: a plain INSERT without `key`, an anti-join INSERT
    (skip existing keys) or, with `update`, a MERGE. No constraint is needed on `table`."""
    cols = ", ".join(f'"{c}"' for c in columns)
    if not key:
        return f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM "{view}"'
    match = " AND ".join(f'e."{k}" = b."{k}"' for k in key)
    if not update:
        return (
            f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM "{view}" AS b '
            f'WHERE NOT EXISTS (SELECT 1 FROM "{table}" AS e WHERE {match})'
        )
    assignments = ", ".join(f'"{c}" = b."{c}"' for c in columns if c not in key)
    values = ", ".join(f'b."{c}"' for c in columns)
    matched = f" WHEN MATCHED THEN UPDATE SET {assignments}" if assignments else ""
    return (
        f'MERGE INTO "{table}" AS e USING "{view}" AS b ON ({match}){matched} '
        f"WHEN NOT MATCHED THEN INSERT ({cols}) VALUES ({values})"
    )


def first_per_key(arrow: pa.Table, key: Sequence[str]) -> pa.Table:
    """`arrow` keeping only the first row of each key, in the original order.

    Done in Arrow before the SQL so "first" is exact (a window function without an order is
    not) and a batch without repeats, the usual case, costs one distinct count.
    """
    missing = [k for k in key if k not in arrow.column_names]
    if missing:
        raise StoreError(f"upsert: key column(s) {missing} not in the batch")
    if any(pa.types.is_null(arrow.schema.field(k).type) for k in key):
        return arrow  # keys all missing: nothing to compare; the NOT NULL key refuses them
    if len(key) == 1:
        if pc.count_distinct(arrow.column(key[0]), mode="all").as_py() == arrow.num_rows:
            return arrow
    index = pa.array(np.arange(arrow.num_rows, dtype=np.int64))
    firsts = (
        arrow.select(list(key))
        .append_column("_pantau_row", index)
        .group_by(list(key), use_threads=False)
        .aggregate([("_pantau_row", "min")])
        .column("_pantau_row_min")
    )
    if len(firsts) == arrow.num_rows:
        return arrow
    return arrow.take(pc.take(firsts, pc.sort_indices(firsts)))  # back in batch order


def _connect_waiting(
    connect: Callable[[], duckdb.DuckDBPyConnection], label: str, wait_seconds: float,
    *, explain: bool = True,
) -> duckdb.DuckDBPyConnection:
    """`connect()`, waiting while another process holds the file's lock. Other errors become
    a StoreError naming `label`, or pass through unchanged when not `explain`."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return connect()
        except duckdb.Error as exc:
            if not _is_lock_error(exc):
                if not explain:
                    raise
                raise StoreError(f"{label}: cannot open database: {exc}") from exc
            if time.monotonic() >= deadline:
                raise StoreBusyError(
                    f"{label}: the database is in use by another process (a running collection "
                    f"or a notebook?); waited {wait_seconds:.0f} s. Close it and try again."
                ) from None
            time.sleep(0.2)


def _conflict_message(location: str, exc: Exception) -> str:
    detail = str(exc).strip().split("\n")[-1]
    return (
        f"{location}: another writer changed the same table first, nothing was written "
        f"({detail}); try again"
    )


def _backoff(attempt: int) -> None:
    # Jitter keeps two writers that collided from colliding again in lock step.
    time.sleep(CONFLICT_BACKOFF * (2**attempt) * (0.5 + random.random()))


def as_arrow(data: Tabular) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pd.DataFrame):
        return pa.Table.from_pandas(data, preserve_index=False)
    return pa.Table.from_pylist(list(data))
