"""The many-writers store: DuckLake with its catalog in a real PostgreSQL server (started by
the tests) and its data files in a directory. Same schema and same code paths as the
embedded DuckDB file: migrations, idempotent upserts, update, rollback, read-only, two
writing processes, and the registry / elections / review / export code running on it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import pantau.store as store_module
from pantau import elections, registry
from pantau.config import get_settings
from pantau.errors import SchemaTooNewError, StoreError
from pantau.export import export_week
from pantau.review import decide, verify_audit
from pantau.store import Store, ddl, ducklake, latest_version
from review_helpers import build_world, wib
from store_helpers import PostgresServer, start_postgres

T0 = datetime(2024, 11, 20, 7, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def pg() -> Iterator[PostgresServer]:
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


def _lake_env(catalog: str, data_path: Path) -> dict[str, str]:
    return {
        "PANTAU_STORE__BACKEND": "ducklake",
        "PANTAU_STORE__CATALOG": "postgres:" + catalog,
        "PANTAU_STORE__DATA_PATH": str(data_path),
    }


def _use(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    return env


@pytest.fixture(scope="session")
def migrated_template(pg: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """A lake created and migrated once; each test copies its catalog (CREATE DATABASE ...
    TEMPLATE), which is much quicker than creating a lake. The copies share this data path,
    safe because data file names are unique and each catalog lists only its own."""
    data_path = tmp_path_factory.mktemp("lake-data")
    template = pg.create_database()
    with pytest.MonkeyPatch.context() as mp:
        _use(_lake_env(pg.conninfo(template), data_path), mp)
        Store.open(settings=get_settings()).close()
    get_settings.cache_clear()
    return template, data_path


@pytest.fixture
def lake(pg: PostgresServer, migrated_template: tuple, isolated_home: Path,
         monkeypatch: pytest.MonkeyPatch) -> dict:
    """Settings (environment) selecting a migrated lake of its own."""
    template, data_path = migrated_template
    return _use(_lake_env(pg.conninfo(pg.create_database(template)), data_path), monkeypatch)


@pytest.fixture
def blank_lake(pg: PostgresServer, isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """Settings selecting a lake not created yet: an empty database, a new data directory."""
    env = _lake_env(pg.conninfo(pg.create_database()), isolated_home.parent / "lake-data")
    return _use(env, monkeypatch)


def agency(name: str, when: datetime = T0) -> dict:
    return {"name": name, "added_at": when}


def columns(store: Store) -> set[tuple[str, str, str]]:
    return {
        tuple(r) for r in store.rows(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = current_database()"
        )
    }


# --- opening and migrations ------------------------------------------------------------------


def test_lake_gets_the_same_schema_as_the_embedded_file(blank_lake: dict, tmp_path: Path) -> None:
    lake = blank_lake
    with Store.open() as store:
        assert store.backend == "ducklake"
        assert "postgres:dbname=" in store.location and "lake-data" in store.location
        assert store.schema_version == latest_version()
        lake_columns = columns(store)
        parquet_root = Path(lake["PANTAU_STORE__DATA_PATH"])
        assert parquet_root.is_dir()
    with Store.open(tmp_path / "embedded.duckdb") as embedded:
        assert embedded.backend == "duckdb"
        assert lake_columns == columns(embedded)  # one migration source, translated
    with Store.open() as again:  # reopening a current lake applies nothing
        assert again.rows("SELECT version, name FROM schema_migrations ORDER BY version") == [
            (version, name) for version, name, _ in store_module._migrations()]


def test_read_only_lake(blank_lake: dict) -> None:
    with pytest.raises(StoreError, match="no lake here yet; open it once read-write"):
        Store.open(read_only=True)  # nothing created yet
    with Store.open() as store:
        store.upsert("agencies", [agency("A")], key=["name"])
    with Store.open(read_only=True) as ro:
        assert ro.rows("SELECT name FROM agencies") == [("A",)]
        with pytest.raises(Exception, match="read-only"):
            ro.upsert("agencies", [agency("B")], key=["name"])


def test_newer_lake_is_refused(lake: dict) -> None:
    with Store.open() as store:
        store.con.execute("INSERT INTO schema_migrations VALUES (999, 'from_the_future', ?)", [T0])
    with pytest.raises(SchemaTooNewError, match="999.*upgrade pantau"):
        Store.open()


def test_pending_migration_is_translated_and_applied(
    lake: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    Store.open().close()
    real = store_module._migrations()
    extra = (real[-1][0] + 1, "regions",
             "CREATE TABLE regions (code VARCHAR PRIMARY KEY, name VARCHAR);")
    monkeypatch.setattr(store_module, "_migrations", lambda: [*real, extra])
    with Store.open() as store:
        assert store.schema_version == extra[0]
        store.upsert("regions", [{"code": "31", "name": "DKI"}], key=["code"])
        assert store.upsert("regions", [{"code": "31", "name": "x"}], key=["code"]) == 0
        with pytest.raises(Exception, match="NOT NULL"):
            store.upsert("regions", [{"code": None, "name": "no key"}], key=["code"])


def test_data_path_must_match_the_lake(lake: dict, monkeypatch: pytest.MonkeyPatch,
                                       tmp_path: Path) -> None:
    Store.open().close()
    monkeypatch.setenv("PANTAU_STORE__DATA_PATH", str(tmp_path / "elsewhere"))
    get_settings.cache_clear()
    with pytest.raises(StoreError, match="data_path differs"):
        Store.open()


def test_password_comes_from_the_environment_and_is_never_shown(
    lake: dict, pg: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Over TCP the server asks for the password (scram); the socket trusts.
    dbname = lake["PANTAU_STORE__CATALOG"].split("dbname=")[1].split()[0]
    monkeypatch.setenv("PANTAU_STORE__CATALOG", "postgres:" + pg.conninfo(dbname, tcp=True))
    get_settings.cache_clear()
    with pytest.raises(StoreError, match="cannot reach the catalog database") as exc:
        Store.open()
    assert "password" in str(exc.value)  # libpq: "no password supplied"
    monkeypatch.setenv("PANTAU_STORE__PASSWORD", "wrong-" + pg.password)
    get_settings.cache_clear()
    with pytest.raises(StoreError) as exc:
        Store.open()
    assert pg.password not in str(exc.value)
    monkeypatch.setenv("PANTAU_STORE__PASSWORD", pg.password)
    get_settings.cache_clear()
    with Store.open() as store:
        assert store.schema_version == latest_version()
        assert pg.password not in store.location
        secrets = store.rows("SELECT secret_string FROM duckdb_secrets()")
        assert all(pg.password not in s[0] for s in secrets)


def test_unreachable_catalog_names_it(lake: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "PANTAU_STORE__CATALOG", "postgres:dbname=nothing host=127.0.0.1 port=1 connect_timeout=2"
    )
    get_settings.cache_clear()
    with pytest.raises(StoreError, match="dbname=nothing.*cannot reach the catalog database"):
        Store.open()


# --- writing ---------------------------------------------------------------------------------


def test_upsert_is_idempotent_by_key(lake: dict) -> None:
    later = datetime(2025, 1, 1, tzinfo=UTC)
    with Store.open() as store:
        assert store.upsert("agencies", [agency("A"), agency("A", later), agency("B")],
                            key=["name"]) == 2
        assert store.upsert("agencies", [agency("A", later), agency("C")], key=["name"]) == 1
        assert store.rows("SELECT name, added_at FROM agencies ORDER BY name") == [
            ("A", T0), ("B", T0), ("C", T0)
        ]


def test_upsert_update_replaces_only_the_given_columns(lake: dict) -> None:
    key = ["source", "key"]
    with Store.open() as store:
        store.upsert("collection_state", [{"source": "telegram:channel", "key": "kanal",
                     "cursor": "10", "note": "first", "updated_at": T0}], key=key)
        later = datetime(2024, 11, 21, tzinfo=UTC)
        changed = [{"source": "telegram:channel", "key": "kanal", "cursor": "42",
                    "updated_at": later},
                   {"source": "telegram:channel", "key": "baru", "cursor": "1",
                    "updated_at": later}]
        assert store.upsert("collection_state", changed, key=key, update=True) == 2
        assert store.rows("SELECT key, cursor, note, updated_at FROM collection_state "
                          "ORDER BY key") == [("baru", "1", None, later),
                                              ("kanal", "42", "first", later)]


def test_transaction_rolls_back_on_the_lake(lake: dict) -> None:
    with Store.open() as store:
        with pytest.raises(RuntimeError), store.transaction():
            store.upsert("agencies", [agency("A")], key=["name"])
            store.upsert("collection_state", [{"source": "s", "key": "k",
                         "updated_at": T0}], key=["source", "key"], update=True)
            raise RuntimeError("boom")
        assert store.count("agencies") == 0 and store.count("collection_state") == 0
        assert store.write(lambda s: s.upsert("agencies", [agency("B")], key=["name"])) == 1
        assert store.count("agencies") == 1


WRITER = textwrap.dedent(
    """
    import json, sys
    from datetime import UTC, datetime
    import pyarrow as pa
    from pantau.store import Store
    from pantau.store.activities import ACTIVITIES_SCHEMA

    name, rounds, per_round = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    now = datetime.now(UTC)
    retries = 0
    with Store.open() as store:
        for r in range(rounds):
            batch = pa.Table.from_pylist([
                {"activity_id": f"telegram:{name}/{r * per_round + i}", "platform": "telegram",
                 "type": "post", "text": f"pesan {i}", "observed_at": now, "media_count": 0,
                 "source": "collector"} for i in range(per_round)], schema=ACTIVITIES_SCHEMA)
            state = [{"source": "telegram:channel", "key": name, "cursor": str(r),
                      "updated_at": now}]
            attempts = []

            def page(s):
                # What a collector writes per page: activities, then its resume point.
                attempts.append(1)
                s.upsert("activities", batch, key=["activity_id"])
                s.upsert("collection_state", state, key=["source", "key"], update=True)

            store.write(page, attempts=20)
            retries += len(attempts) - 1
    print(json.dumps({"writer": name, "retries": retries}))
    """
)


def test_two_processes_write_at_once_without_loss(blank_lake: dict, tmp_path: Path) -> None:
    # A blank lake: both writers also race to create and migrate it.
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    rounds, per_round = 5, 200
    procs = [
        subprocess.Popen([sys.executable, str(script), name, str(rounds), str(per_round)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("kanal_a", "kanal_b")
    ]
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-3000:]
        reports.append(json.loads(out.strip().splitlines()[-1]))
    with Store.open(read_only=True) as store:
        total, distinct = store.rows(
            "SELECT count(*), count(DISTINCT activity_id) FROM activities")[0]
        assert total == distinct == 2 * rounds * per_round
        assert store.rows("SELECT key, cursor FROM collection_state ORDER BY key") == [
            ("kanal_a", str(rounds - 1)), ("kanal_b", str(rounds - 1))]
    print("write conflicts retried:", reports)


# --- the rest of pantau on the lake ----------------------------------------------------------


def _scenario(store: Store) -> dict:
    """Registry import, an election file, review decisions, audit and the weekly export."""
    people = registry.import_people(store, ROOT / "data/samples/asn.csv")
    accounts = registry.import_accounts(store, ROOT / "data/samples/accounts.csv")
    again = registry.import_people(store, ROOT / "data/samples/asn.csv")
    election = elections.import_election_file(store, ROOT / "elections/pemilu-2024-presiden.toml")
    world = build_world(store)
    decide(store, world.cases["ajakan"], "confirmed", "Sari", "ajakan memilih",
           now=wib(2024, 11, 20, 10))
    decide(store, world.cases["ajakan"], "dismissed", "Budi", now=wib(2024, 11, 20, 11))
    decide(store, world.cases["ajakan"], "confirmed", "Sari", now=wib(2024, 11, 20, 12))
    audit = verify_audit(store)
    exported = export_week(store, "2024-W47", "bkn", now=wib(2024, 11, 25, 9))
    return {
        "people": (people.new, people.updated, again.new, again.unchanged),
        "accounts": accounts.new,
        "election": (election.id, len(elections.load_election(store, election.id).candidates)),
        "audit": (audit.ok, audit.n_decisions),
        "seqs": [r[0] for r in store.rows("SELECT seq FROM decisions ORDER BY seq")],
        "export": (exported.row_count, sorted(exported.case_ids),
                   exported.csv_path.read_bytes()),
        "person": registry.get_person(store, people_first_nip())["nama"],
    }


def people_first_nip() -> str:
    return (ROOT / "data/samples/asn.csv").read_text().splitlines()[1].split(",")[0]


def test_other_modules_give_the_same_results_on_both_backends(
    lake: dict, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open() as store:
        on_lake = _scenario(store)
    for name in lake:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PANTAU_HOME", str(isolated_home.parent / "embedded-home"))
    get_settings.cache_clear()
    with Store.open() as store:
        assert store.backend == "duckdb"
        embedded = _scenario(store)
    assert on_lake == embedded
    assert on_lake["audit"] == (True, 3) and on_lake["seqs"] == [1, 2, 3]
    assert on_lake["export"][0] >= 1


# --- pieces that need no server --------------------------------------------------------------


def test_translation_keeps_keys_not_null_and_drops_constraints() -> None:
    sql = """
    -- a comment with PRIMARY KEY and 'quotes'
    CREATE TABLE t (
        a VARCHAR PRIMARY KEY,      -- the key; UNIQUE in a comment is ignored
        b INTEGER DEFAULT 0,
        c VARCHAR UNIQUE,
        note VARCHAR DEFAULT 'PRIMARY KEY; -- not a comment'
    );
    CREATE TABLE u (x INTEGER, y VARCHAR, z JSON, PRIMARY KEY (x, y));
    """
    out = ddl.to_ducklake(sql)
    assert "PRIMARY" not in out.replace("'PRIMARY KEY; -- not a comment'", "")
    assert "UNIQUE" not in out and "a VARCHAR NOT NULL" in out and "c VARCHAR," in out
    assert "x INTEGER NOT NULL" in out and "y VARCHAR NOT NULL" in out and "z JSON\n" in out
    assert "DEFAULT 'PRIMARY KEY; -- not a comment'" in out


@pytest.mark.parametrize("statement, what", [
    ("CREATE SEQUENCE s START 1", "sequences"),
    ("CREATE TABLE t (a INTEGER CHECK (a > 0))", "CHECK constraints"),
    ("CREATE INDEX i ON t (a)", "indexes"),
    ("CREATE TABLE t (a INTEGER REFERENCES p (a))", "foreign keys"),
])
def test_translation_refuses_what_a_lake_cannot_hold(statement: str, what: str) -> None:
    with pytest.raises(StoreError, match=f"002_x.sql: DuckLake does not support {what}"):
        ddl.to_ducklake(statement, source="002_x.sql")


def test_extension_for_another_duckdb_version_is_explained(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ducklake.duckdb, "__version__", "9.9.9")
    with pytest.raises(StoreError, match=r"v1\.5\.5 but this is DuckDB v9\.9\.9.*==9\.9\.9"):
        ducklake.extension_file("ducklake")


def test_lake_settings_are_checked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from pantau.config import load_settings
    from pantau.errors import ConfigError

    with pytest.raises(ConfigError, match="needs store.catalog"):
        load_settings(store={"backend": "ducklake"})
    with pytest.raises(ConfigError, match="no password in the catalog"):
        load_settings(store={"backend": "ducklake", "catalog": "postgres:dbname=p password=x"})
    config = tmp_path / "pantau.toml"
    config.write_text('[store]\nbackend = "ducklake"\ncatalog = "postgres:dbname=p"\n'
                      'password = "hunter2"\n')
    with pytest.raises(ConfigError, match="PANTAU_STORE__PASSWORD") as exc:
        load_settings(config)
    assert "hunter2" not in str(exc.value)
