"""A real, throw-away PostgreSQL server for the DuckLake store tests.

`initdb` into a fresh directory, `pg_ctl start` on a free loopback port with its unix socket
in the same directory, stopped at teardown. The binaries are looked up in $PANTAU_PG_BIN,
on PATH, in /usr/local/bin and in Debian's /usr/lib/postgresql/<version>/bin (the
`postgresql` package). Without them the tests skip, except under CI=true, where they fail:
a CI machine that cannot run them must say so.

PostgreSQL refuses to run as root; as root the server runs as the `postgres` user (or
`nobody`), in a directory handed over to it.
"""

from __future__ import annotations

import itertools
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from pantau.store.ducklake import extension_file

SUPERUSER = "pantau"
_PG_TOOLS = ("initdb", "pg_ctl", "postgres")


def find_pg_bin() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres, or None."""
    candidates: list[Path] = []
    if os.environ.get("PANTAU_PG_BIN"):
        candidates.append(Path(os.environ["PANTAU_PG_BIN"]))
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    candidates.append(Path("/usr/local/bin"))
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates.extend(debian)
    for directory in candidates:
        if all((directory / tool).is_file() for tool in _PG_TOOLS):
            return directory
    return None


def require_pg_bin() -> Path:
    found = find_pg_bin()
    if found is not None:
        return found
    reason = (
        "PostgreSQL binaries (initdb, pg_ctl, postgres) not found in $PANTAU_PG_BIN, PATH, "
        "/usr/local/bin or /usr/lib/postgresql/*/bin; install Debian's `postgresql` package"
    )
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_as() -> str | None:
    """The unprivileged user to run PostgreSQL as when we are root (it refuses root)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root and no 'postgres' or 'nobody' user to run PostgreSQL as")


@dataclass
class PostgresServer:
    bin_dir: Path
    root: Path             # data directory, socket and log live here
    port: int
    password: str          # the superuser's, needed over TCP (scram); the socket trusts
    user: str | None
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root

    def conninfo(self, dbname: str, *, tcp: bool = False) -> str:
        host = "127.0.0.1" if tcp else str(self.socket_dir)
        return f"dbname={dbname} host={host} port={self.port} user={SUPERUSER}"

    def _tool(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin_dir / args[0]), *args[1:]], user=self.user, check=True,
            capture_output=True, text=True, timeout=timeout, cwd=self.root,
        )

    def start(self) -> None:
        pwfile = self.root / "pw"
        pwfile.write_text(self.password)
        if self.user:
            os.chown(pwfile, pwd.getpwnam(self.user).pw_uid, -1)
        self._tool(
            "initdb", "-D", str(self.data_dir), "-U", SUPERUSER, "--pwfile", str(pwfile),
            "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync",
        )
        pwfile.unlink()
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c max_connections=50"
        )
        try:
            self._tool(
                "pg_ctl", "-D", str(self.data_dir), "-l", str(self.root / "server.log"),
                "-o", options, "-w", "-t", "60", "start",
            )
        except subprocess.CalledProcessError as exc:
            log = (self.root / "server.log")
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {exc.stderr}\n{tail}") from exc

    def stop(self) -> None:
        try:
            # immediate: the cluster is thrown away, no need for a shutdown checkpoint.
            self._tool("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def create_database(self, template: str | None = None) -> str:
        """A fresh database (one per lake), empty or a copy of `template`, created through
        DuckDB's postgres extension (no psql needed)."""
        name = f"lake_{next(self._names)}"
        copy = f" TEMPLATE {template}" if template else ""
        con = duckdb.connect()
        try:
            con.execute("SET autoinstall_known_extensions = false")
            con.load_extension(str(extension_file("postgres_scanner")))
            con.execute(f"ATTACH '{self.conninfo('postgres')}' AS pg (TYPE postgres)")
            con.execute(
                f"CALL postgres_execute('pg', 'CREATE DATABASE {name}{copy}', use_transaction := false)"
            )
        finally:
            con.close()
        return name


def start_postgres() -> PostgresServer:
    bin_dir = require_pg_bin()
    user = _run_as()
    # Not pytest's tmp_path: its parents are private to root, and the server may not be root.
    root = Path(tempfile.mkdtemp(prefix="pantau-pg-"))
    if user:
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    server = PostgresServer(
        bin_dir=bin_dir, root=root, port=_free_port(), password=secrets.token_urlsafe(16),
        user=user,
    )
    try:
        server.start()
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return server
