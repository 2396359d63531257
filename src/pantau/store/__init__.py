"""The DuckDB store: one file under PANTAU_HOME, versioned migrations, bulk idempotent writes.

    from pantau.store import Store
    with Store.open() as store:            # read-write, migrates an older database
        store.upsert("asn", table, key=["nip"])
    with Store.open(read_only=True) as store:
        df = store.df("SELECT * FROM asn")

Writes go in Arrow/DataFrame batches (`upsert`), never one INSERT per row. DuckDB 2.x needs a
result fetched fully before the next statement on the same connection: `rows` and `df` do that.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from ..config import Settings, get_settings
from ..errors import SchemaTooNewError, StoreBusyError, StoreError
from .. import timeutil

Tabular = pa.Table | pd.DataFrame | Sequence[dict[str, Any]]


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
    """A connection to pantau's DuckDB database."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, read_only: bool) -> None:
        self.con = con
        self.path = path
        self.read_only = read_only
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

        Another process holding the file is waited for up to `wait_seconds`, then
        `StoreBusyError`. A database from a newer pantau is refused (`SchemaTooNewError`).
        """
        settings = settings or get_settings()
        db = Path(path) if path is not None else settings.db_path
        if read_only and not db.exists():
            raise StoreError(f"{db}: no database yet (run an import or `pantau demo` first)")
        if not read_only:
            ensure_private_dir(db.parent)
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                con = duckdb.connect(str(db), read_only=read_only)
                break
            except duckdb.Error as exc:
                if not _is_lock_error(exc):
                    raise StoreError(f"{db}: cannot open database: {exc}") from exc
                if time.monotonic() >= deadline:
                    raise StoreBusyError(
                        f"{db}: the database is in use by another process (a running collection "
                        f"or a notebook?); waited {wait_seconds:.0f} s. Close it and try again."
                    ) from None
                time.sleep(0.2)
        con.execute("SET TimeZone = 'UTC'")
        if not read_only:
            for f in (db, db.with_name(db.name + ".wal")):
                if f.exists():
                    os.chmod(f, 0o600)
        store = cls(con, db, read_only)
        try:
            store._migrate()
        except BaseException:
            con.close()
            raise
        return store

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
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
        )[0][0]
        if not exists:
            return 0
        return self.rows("SELECT coalesce(max(version), 0) FROM schema_migrations")[0][0]

    def _migrate(self) -> None:
        current = self.schema_version
        known = latest_version()
        if current > known:
            raise SchemaTooNewError(
                f"{self.path}: database schema version {current} is newer than this pantau "
                f"understands ({known}); upgrade pantau instead of opening it with this one"
            )
        pending = [m for m in _migrations() if m[0] > current]
        if not pending:
            return
        if self.read_only:
            raise StoreError(
                f"{self.path}: database is at schema version {current}, this pantau needs "
                f"{known}; open it once read-write (any pantau command) to migrate"
            )
        with self.transaction():
            self.con.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
                " applied_at TIMESTAMPTZ NOT NULL)"
            )
            for version, name, sql in pending:
                try:
                    self.con.execute(sql)
                except duckdb.Error as exc:
                    raise StoreError(
                        f"{self.path}: migration {version} ({name}) failed, database left "
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
        result = self.con.execute(sql, params or []).fetch_arrow_table()
        return result

    def count(self, table: str) -> int:
        return self.rows(f'SELECT count(*) FROM "{table}"')[0][0]

    # --- writing ------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """All writes inside commit together or not at all. Nested calls join the outer one."""
        if self._in_tx:
            yield self
            return
        self.con.execute("BEGIN TRANSACTION")
        self._in_tx = True
        try:
            yield self
        except BaseException:
            self._in_tx = False
            self.con.execute("ROLLBACK")
            raise
        self._in_tx = False
        self.con.execute("COMMIT")

    def upsert(
        self,
        table: str,
        data: Tabular,
        *,
        key: Sequence[str] | None = None,
        update: bool = False,
    ) -> int:
        """Insert a batch; rows whose `key` already exists are skipped (or replaced with `update`).

        `key` must be the table's primary key when given; rows repeating a key within the batch
        keep the first. Returns the number of rows written.
        """
        arrow = as_arrow(data)
        if arrow.num_rows == 0:
            return 0
        columns = ", ".join(f'"{c}"' for c in arrow.column_names)
        view = f"_pantau_in_{table}"
        self.con.register(view, arrow)
        try:
            source = f"SELECT {columns} FROM {view}"
            if key:
                keys = ", ".join(f'"{k}"' for k in key)
                source = (
                    f"SELECT {columns} FROM (SELECT *, row_number() OVER (PARTITION BY {keys}) "
                    f"AS _n FROM {view}) WHERE _n = 1"
                )
                if update:
                    assignments = ", ".join(
                        f'"{c}" = excluded."{c}"' for c in arrow.column_names if c not in key
                    )
                    action = f"DO UPDATE SET {assignments}" if assignments else "DO NOTHING"
                else:
                    action = "DO NOTHING"
                sql = f'INSERT INTO "{table}" ({columns}) {source} ON CONFLICT ({keys}) {action}'
            else:
                sql = f'INSERT INTO "{table}" ({columns}) {source}'
            written = self.con.execute(sql).fetchall()
        finally:
            self.con.unregister(view)
        return int(written[0][0]) if written else 0


def as_arrow(data: Tabular) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pd.DataFrame):
        return pa.Table.from_pandas(data, preserve_index=False)
    return pa.Table.from_pylist(list(data))
