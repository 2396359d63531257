"""The Prefect backend the demo's flows report to, and a quiet console while they run.

`pantau demo` must work on a fresh machine with nothing configured, and must not write demo
runs into a Prefect server the user runs for real work. So by default it starts a temporary
Prefect API server of its own (`launch_own_prefect_server`), the same uvicorn process Prefect
starts in its embedded/ephemeral mode, with its SQLite database under ``<demo home>/prefect``,
and stops it at the end. The demo's flow runs, task runs, logs and markdown artifacts stay in
that database: ``PREFECT_HOME=data/demo/prefect prefect server start`` shows them afterwards.

Start-up is most of the demo's fixed cost, so it is paid as little as possible:

- the server process is launched first and waited for only when the first flow runs
  (`PrefectStartup.ready`), so it starts while the world is built and the registry imported;
- it is launched directly, not through ``prefect.server.api.server.SubprocessASGIServer``:
  importing that module would load the whole server stack into this process as well (about
  10 s on a loaded 2-CPU machine) for nothing;
- the demo keeps ``<home>/prefect`` when it wipes its home (`run.prepare_home`), so the
  database is created and migrated once, not on every run.

Tests and notebooks that already have a Prefect backend (Prefect's test harness, a server
named by PREFECT_API_URL) pass ``prefect="current"`` to `run_demo` and share it instead of
paying the start-up again.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import FlowError

# The server's first start creates and migrates its SQLite database: slow on a small machine.
STARTUP_TIMEOUT_SECONDS = 180
SERVER_LOG = "server.log"     # the server process's output, under the Prefect home


@dataclass(slots=True)
class PrefectBackend:
    """Where the demo's flow runs went, and what starting it cost."""

    mode: str                     # "own" (temporary server of the demo) or "current"
    api_url: str | None           # None: Prefect's default (embedded/ephemeral or harness)
    home: Path | None             # PREFECT_HOME of the own server
    startup_seconds: float = 0.0  # from launch until it answered (own server)


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_command(port: int) -> list[str]:
    """Prefect's own ephemeral server command: uvicorn on its app factory, loopback only."""
    import prefect

    return [sys.executable, "-m", "uvicorn", "--app-dir",
            str(Path(prefect.__file__).resolve().parent.parent),
            "--factory", "prefect.server.api.server:create_app",
            "--host", "127.0.0.1", "--port", str(port),
            "--log-level", "error", "--lifespan", "on"]


class PrefectStartup:
    """A launched Prefect server; `ready` waits for it (once) and points this process at it."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, home: Path,
                 stack: ExitStack) -> None:
        self.process = process
        self.api_url = f"http://127.0.0.1:{port}/api"
        self.home = home
        self.log = home / SERVER_LOG
        self.launched = time.perf_counter()
        self.backend: PrefectBackend | None = None
        self._stack = stack

    def ready(self, timeout: float = STARTUP_TIMEOUT_SECONDS) -> PrefectBackend:
        """Block until the server answers ``/health``; then flows in this process report to it.
        Raises `FlowError` naming the server log when it exits or does not answer in time."""
        if self.backend is not None:
            return self.backend
        import httpx
        from prefect.settings import PREFECT_API_URL, temporary_settings

        deadline = self.launched + timeout
        with httpx.Client(timeout=2.0) as client:
            while True:
                if self.process.poll() is not None:
                    raise FlowError(f"the demo's Prefect server exited with code "
                                    f"{self.process.returncode}; see {self.log}")
                try:
                    if client.get(f"{self.api_url}/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.perf_counter() > deadline:
                    raise FlowError(f"the demo's Prefect server did not answer at {self.api_url} "
                                    f"within {timeout:.0f} s; see {self.log}")
                time.sleep(0.1)
        self._stack.enter_context(temporary_settings(updates={PREFECT_API_URL: self.api_url}))
        self.backend = PrefectBackend("own", self.api_url, self.home,
                                      round(time.perf_counter() - self.launched, 2))
        return self.backend


@contextmanager
def launch_own_prefect_server(prefect_home: Path) -> Iterator[PrefectStartup]:
    """Launch a temporary Prefect API server on loopback with its database under
    `prefect_home`, without waiting for it (call `PrefectStartup.ready` before the first flow).

    Every Prefect setting changed here is changed only inside the block (Prefect's
    `temporary_settings`), so the user's profile and PREFECT_API_URL are left alone.
    """
    from prefect.settings import (
        PREFECT_HOME,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        PREFECT_SERVER_DATABASE_CONNECTION_URL,
        get_current_settings,
        temporary_settings,
    )

    prefect_home = prefect_home.resolve()
    prefect_home.mkdir(parents=True, exist_ok=True)
    database = f"sqlite+aiosqlite:///{prefect_home / 'prefect.db'}"
    with ExitStack() as stack:
        # Analytics off: a demo phones nowhere, and the server's telemetry write on a database
        # still being migrated logs a spurious "database is locked" traceback.
        stack.enter_context(temporary_settings(updates={
            PREFECT_HOME: prefect_home,
            PREFECT_SERVER_DATABASE_CONNECTION_URL: database,
            PREFECT_SERVER_ANALYTICS_ENABLED: False,
        }))
        port = _free_port()
        env = {**os.environ, **get_current_settings().to_environment_variables(exclude_unset=True),
               # What Prefect's ephemeral mode sets: no UI, no background services.
               "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
               "PREFECT__SERVER_FINAL": "1"}
        with (prefect_home / SERVER_LOG).open("ab") as log:
            process = subprocess.Popen(_server_command(port), env=env, stdout=log,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        stack.callback(_stop, process)
        startup = PrefectStartup(process, port, prefect_home, stack)
        try:
            yield startup
        finally:
            if startup.backend is not None:
                _drain()


@contextmanager
def own_prefect_server(prefect_home: Path) -> Iterator[PrefectBackend]:
    """`launch_own_prefect_server`, waited for at once: a ready backend inside the block."""
    with launch_own_prefect_server(prefect_home) as startup:
        yield startup.ready()


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


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


__all__ = ["PrefectBackend", "PrefectStartup", "current_prefect", "launch_own_prefect_server",
           "own_prefect_server", "quiet_prefect_console"]
