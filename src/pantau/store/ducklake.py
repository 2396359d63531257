"""Attach a DuckLake (catalog in PostgreSQL or a local DuckDB file, data in Parquet files).

DuckDB cannot download extensions here (nor on locked-down government machines), so the
`ducklake` and `postgres_scanner` extensions are loaded by path from the PyPI wheels
``duckdb-extension-ducklake`` / ``duckdb-extension-postgres-scanner``. Each wheel carries
``extensions/v<duckdb version>/<name>.duckdb_extension`` and DuckDB only loads an extension
built for its own version: that is why pyproject.toml pins all three to the same release.

The lake is attached as catalog ``pantau`` and made the default (``USE pantau``), so every
query other modules write (``SELECT ... FROM activities``) runs unchanged on it.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..config import Settings
from ..errors import StoreError

CATALOG_ALIAS = "pantau"
_SECRET = "pantau_catalog_password"
# Object-store data paths need DuckDB's httpfs extension (duckdb-extension-httpfs wheel).
_REMOTE_PREFIXES = ("s3://", "gs://", "gcs://", "r2://", "az://", "abfss://", "https://", "http://")


@dataclass(frozen=True, slots=True)
class LakeTarget:
    """Where a lake lives, resolved from the settings. Holds no password."""

    kind: str          # postgres | duckdb
    spec: str          # libpq conninfo, or the catalog file path
    data_path: str     # directory (absolute, ending in "/") or object-store URL

    @property
    def label(self) -> str:
        """A printable name for messages: the catalog and data path, never a password."""
        return f"DuckLake {self.kind}:{self.spec} (data {self.data_path})"

    @property
    def is_local_data(self) -> bool:
        return not self.data_path.startswith(_REMOTE_PREFIXES)


def target_from(settings: Settings) -> LakeTarget:
    cfg = settings.store
    if not cfg.catalog:  # guarded by the settings validator; kept for direct callers
        raise StoreError("store.catalog is not set (needed for backend 'ducklake')")
    kind, _, spec = cfg.catalog.partition(":")
    spec = spec.strip()
    if kind == "duckdb":
        spec = str(_under_home(settings, spec))
    data = cfg.data_path or "lake"
    if not data.startswith(_REMOTE_PREFIXES):
        # DuckLake compares the DATA_PATH given at attach with the one it recorded: one
        # spelling (absolute, trailing slash) keeps every writer's configuration matching.
        data = str(_under_home(settings, data)).rstrip("/") + "/"
    return LakeTarget(kind=kind, spec=spec, data_path=data)


def _under_home(settings: Settings, value: str) -> Path:
    path = Path(value).expanduser()
    return (path if path.is_absolute() else settings.home / path).resolve()


def extension_file(name: str) -> Path:
    """The extension `name` shipped in the `duckdb-extension-<name>` wheel for this DuckDB."""
    package = "duckdb_extension_" + name
    dist = "duckdb-extension-" + name.replace("_", "-")
    version = duckdb.__version__
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise StoreError(
            f"the DuckLake store needs the {name} DuckDB extension: pip install '{dist}=={version}'"
        )
    base = Path(list(spec.submodule_search_locations)[0]) / "extensions"
    path = base / f"v{version}" / f"{name}.duckdb_extension"
    if not path.is_file():
        built_for = ", ".join(sorted(p.name for p in base.glob("v*"))) or "nothing"
        raise StoreError(
            f"{path}: missing; the installed {dist} is built for {built_for} but this is DuckDB "
            f"v{version}: install '{dist}=={version}' (the versions must match)"
        )
    return path


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def attach(
    con: duckdb.DuckDBPyConnection, target: LakeTarget, *, read_only: bool, password: str | None
) -> None:
    """Load the extensions and attach the lake on `con` as the default catalog.

    Raises duckdb.Error from ATTACH unchanged so that the caller can tell a busy catalog
    file (retry) from anything else.
    """
    # Fail at once with our message rather than try a download that cannot work offline.
    con.execute("SET autoinstall_known_extensions = false")
    con.load_extension(str(extension_file("ducklake")))
    if target.kind == "postgres":
        con.load_extension(str(extension_file("postgres_scanner")))
    if not target.is_local_data:
        con.load_extension(str(extension_file("httpfs")))
    options: list[str] = []
    if read_only:
        options.append("READ_ONLY")
    else:
        options.append(f"DATA_PATH {_sql_string(target.data_path)}")
    if password is not None and target.kind == "postgres":
        # A temporary (in-memory) secret: the password never appears in the conninfo, so not
        # in DuckDB's error messages either, and is gone when the connection closes.
        con.execute(
            f"CREATE OR REPLACE TEMPORARY SECRET {_SECRET} "
            f"(TYPE postgres, PASSWORD {_sql_string(password)})"
        )
        options.append(f"METADATA_PARAMETERS MAP {{'SECRET': '{_SECRET}'}}")
    location = f"{target.kind}:{target.spec}" if target.kind == "postgres" else target.spec
    con.execute(
        f"ATTACH {_sql_string('ducklake:' + location)} AS {CATALOG_ALIAS} ({', '.join(options)})"
    )
    con.execute(f"USE {CATALOG_ALIAS}")


def explain_attach_error(target: LakeTarget, exc: duckdb.Error) -> str:
    """A one-line, actionable message for a failed ATTACH (no password can be in it)."""
    text = str(exc)
    if "does not match existing data path" in text:
        return (
            f"{target.label}: store.data_path differs from the data path this lake was created "
            "with; every writer must use the same one"
        )
    if "creating a new DuckLake is explicitly disabled" in text:
        return (
            f"{target.label}: no lake here yet; open it once read-write (any pantau command) "
            "to create and migrate it"
        )
    unreachable = re.search(r'Unable to connect to Postgres at "[^"]*": ([^\n]*)', text)
    if unreachable:  # libpq's own reason: refused, no such database, no password supplied...
        return f"{target.label}: cannot reach the catalog database: {unreachable.group(1).strip()}"
    return f"{target.label}: cannot open the lake: {text.splitlines()[0].strip()}"


def is_conflict(exc: Exception) -> bool:
    """True for DuckLake's optimistic-concurrency failure: another writer committed first."""
    text = str(exc)
    return "Transaction conflict" in text or "Failed to commit DuckLake transaction" in text


def is_creation_race(exc: Exception) -> bool:
    """True when ATTACH failed because another process was creating the same lake."""
    text = str(exc)
    return "Failed to initialize DuckLake" in text and (
        "duplicate key" in text or "already exists" in text or is_conflict(exc)
    )
