"""The Prefect backend the demo's flows report to, and a quiet console while they run.

`pantau demo` must work on a fresh machine with nothing configured, and must not write demo
runs into a Prefect server the user runs for real work. So by default (`own_prefect_server`)
it starts a temporary Prefect API server of its own, the same subprocess server Prefect starts
in its embedded/ephemeral mode, with its SQLite database under ``<demo home>/prefect``, and
stops it at the end. The demo's flow runs, task runs, logs and markdown artifacts stay in that
database: ``PREFECT_HOME=data/demo/prefect prefect server start`` shows them afterwards.

Tests and notebooks that already have a Prefect backend (Prefect's test harness, a server
named by PREFECT_API_URL) pass ``prefect="current"`` to `run_demo` and share it instead of
paying the start-up again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# The server's first start creates and migrates its SQLite database: slow on a small machine.
STARTUP_TIMEOUT_SECONDS = 180


@dataclass(slots=True)
class PrefectBackend:
    """Where the demo's flow runs went, and what starting it cost."""

    mode: str                     # "own" (temporary server of the demo) or "current"
    api_url: str | None           # None: Prefect's default (embedded/ephemeral or harness)
    home: Path | None             # PREFECT_HOME of the own server
    startup_seconds: float = 0.0


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def own_prefect_server(prefect_home: Path) -> Iterator[PrefectBackend]:
    """A temporary Prefect API server on loopback with its database under `prefect_home`.

    Every Prefect setting changed here is changed only inside the block (Prefect's
    `temporary_settings`), so the user's profile and PREFECT_API_URL are left alone.
    """
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_HOME,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        PREFECT_SERVER_DATABASE_CONNECTION_URL,
        temporary_settings,
    )

    prefect_home = prefect_home.resolve()
    prefect_home.mkdir(parents=True, exist_ok=True)
    database = f"sqlite+aiosqlite:///{prefect_home / 'prefect.db'}"
    # Analytics off: a demo phones nowhere, and the server's telemetry write on a database
    # still being migrated logs a spurious "database is locked" traceback.
    with temporary_settings(updates={
        PREFECT_HOME: prefect_home,
        PREFECT_SERVER_DATABASE_CONNECTION_URL: database,
        PREFECT_SERVER_ANALYTICS_ENABLED: False,
    }):
        started = time.perf_counter()
        server = SubprocessASGIServer(port=_free_port())
        with _quiet("prefect"):
            server.start(timeout=STARTUP_TIMEOUT_SECONDS)
        backend = PrefectBackend("own", server.api_url, prefect_home,
                                 round(time.perf_counter() - started, 2))
        try:
            with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
                try:
                    yield backend
                finally:
                    _drain()
        finally:
            with _quiet("prefect"):
                server.stop()


def _drain() -> None:
    """Send the logs and events still queued to the server before it stops (else Prefect
    prints "Error logging to API" at exit)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        try:
            worker.drain_all(timeout=5)
        except Exception as exc:  # best effort: the runs themselves are already recorded
            logging.getLogger("pantau.demo").debug("draining %s: %s", worker.__name__, exc)


@contextmanager
def current_prefect() -> Iterator[PrefectBackend]:
    """Whatever Prefect backend is configured: PREFECT_API_URL, a test harness, or Prefect's
    embedded default (which starts on the first flow call)."""
    from prefect.settings import PREFECT_API_URL

    yield PrefectBackend("current", PREFECT_API_URL.value() or None, None)


@contextmanager
def _quiet(*names: str, level: int = logging.WARNING) -> Iterator[None]:
    """Raise the given loggers to `level` inside the block."""
    loggers = [logging.getLogger(n) for n in names]
    before = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(max(level, lg.getEffectiveLevel()))
    try:
        yield
    finally:
        for lg, lvl in zip(loggers, before, strict=True):
            lg.setLevel(lvl)


@contextmanager
def quiet_prefect_console(level: int = logging.WARNING) -> Iterator[None]:
    """Only warnings from Prefect's console handlers while the demo's progress display runs.

    The flows still log at INFO to the Prefect API (the run pages and artifacts keep
    everything); only the terminal copy of "Beginning flow run …" lines is held back."""
    import prefect.main  # noqa: F401 - Prefect sets up its logging handlers on this import
    from prefect.logging.handlers import PrefectConsoleHandler

    seen: dict[int, tuple[logging.Handler, int]] = {}
    for logger in [logging.getLogger(), *[logging.getLogger(n) for n in
                                          list(logging.root.manager.loggerDict)
                                          if n.startswith("prefect")]]:
        for handler in getattr(logger, "handlers", []):
            if isinstance(handler, PrefectConsoleHandler) and id(handler) not in seen:
                seen[id(handler)] = (handler, handler.level)
                handler.setLevel(max(level, handler.level))
    try:
        yield
    finally:
        for handler, lvl in seen.values():
            handler.setLevel(lvl)


__all__ = ["PrefectBackend", "current_prefect", "own_prefect_server", "quiet_prefect_console"]
