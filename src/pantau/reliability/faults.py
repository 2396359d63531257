"""Platform misbehaviour, a busy database, a full disk and a read-only data directory."""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from ..collectors.base import Fetched
from ..errors import PantauError, StoreBusyError, WriteError
from ..store import Store
from ..timeutil import utcnow
from .pipeline import compare, prepare_home, settings_for, snapshot
from .result import ScenarioResult, measured

COLLECT_TABLES = ("activities", "evidence")


# --- platform misbehaviour ------------------------------------------------------------------


def platform_faults(work: Path, *, quick: bool = True) -> ScenarioResult:
    """429 storms, 5xx bursts, slow answers past the timeout, resets, truncated bodies and
    HTML where JSON was expected, from the demo server: the run finishes, reports what failed,
    and the next (healthy) run leaves nothing lost or duplicated."""
    from ..collectors.runner import collect
    from ..demo import DemoServer, Faults, build_world

    result = ScenarioResult("platform faults (429, 5xx, slow, reset, truncated, HTML)",
                            "platform")
    scale = 0.06 if quick else 0.1
    world = build_world(seed=2024, scale=scale)
    with measured(result):
        with DemoServer(world) as server:
            ref = work / "ref"
            settings = settings_for(ref, server)
            with Store.open(settings=settings) as store:
                prepare_home(store, world, ref / "inputs")
                collect(store, settings)
            result.runs += 1
        faults = Faults(rate_limit=0.08, server_error=0.08, slow=0.04, truncate=0.06, html=0.05,
                        reset=0.06, retry_after=1, slow_seconds=1.5, seed=8)
        with DemoServer(world, faults=faults) as server:
            home = work / "faulty"
            # read_timeout below slow_seconds: every slow answer is a timeout, then a retry.
            settings = settings_for(home, server, http={"read_timeout": 0.7})
            with Store.open(settings=settings) as store:
                prepare_home(store, world, home / "inputs")
                try:
                    first = collect(store, settings)
                except PantauError as exc:
                    result.fail(f"the faulty run stopped: {exc}", crash=True)
                    first = None
                except Exception as exc:  # noqa: BLE001 - this is what the scenario counts
                    result.fail(f"the faulty run crashed: {type(exc).__name__}: {exc}",
                                crash=True)
                    first = None
                result.runs += 1
                counts = server.fault_counts
                result.faults += sum(counts.values())
                if first is not None:
                    unnamed = [e for e in first.errors if "http" not in e]
                    for e in unnamed:
                        result.fail(f"error without its URL: {e}", violation=True)
                    result.note(
                        f"faults served: {json.dumps(counts, sort_keys=True)}; the faulty run "
                        f"finished: {first.pages} pages, {first.activities_new} activities, "
                        f"{first.retries} retries, {len(first.errors)} error(s) reported, "
                        f"{first.quarantined} item(s) quarantined")
                quarantined = store.rows("SELECT count(*) FROM quarantine")[0][0]
                # The platform recovers: the next scheduled run completes the picture.
                for name in ("rate_limit", "server_error", "slow", "truncate", "html", "reset"):
                    setattr(server.faults, name, 0.0)
                second = collect(store, settings)
                result.runs += 1
                result.note(f"the next run (platform healthy): {second.activities_new} "
                            f"activities added, {len(second.errors)} error(s); quarantine "
                            f"holds {quarantined} item(s) from the faulty run")
        tables = COLLECT_TABLES
        diff = compare(snapshot(ref, ("activities",)), snapshot(home, ("activities",)),
                       ("activities",))
        result.lost, result.duplicates = diff.lost, diff.duplicates
        result.inputs = len(snapshot(ref, tables).items["activities"])
        for d in diff.details:
            result.fail(d)
        result.note(f"demo world scale {scale}: {result.inputs} activities in the "
                    "uninterrupted reference run; compared by activity id")
    return result


# --- a layout change ------------------------------------------------------------------------

# Each platform's answer, changed the way a redesign would change it.
_LAYOUT_CHANGES: dict[str, Callable[[bytes], bytes]] = {
    "telegram": lambda b: b.replace(b"tgme_widget_message_text", b"tgme_post_body")
                           .replace(b"tgme_widget_message_date", b"tgme_post_date"),
    "bluesky": lambda b: re.sub(rb'"(createdAt|indexedAt)"', rb'"\1_v2"', b),
    "mastodon": lambda b: re.sub(rb'"(created_at|account)"', rb'"\1_v2"', b),
}


def _layout_transport(app: Any, changed: set[str], served: dict[str, int]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        target = request.url.raw_path.decode("ascii")
        resp = app.respond(target, request.url.netloc.decode("ascii"))
        body = resp.body
        platform = ("telegram" if target.startswith("/s/") else
                    "bluesky" if target.startswith("/xrpc/") else
                    "mastodon" if target.startswith("/api/") else None)
        if platform in changed and resp.status == 200:
            new = _LAYOUT_CHANGES[platform](body)
            if new != body:
                served[platform] = served.get(platform, 0) + 1
            body = new
        return httpx.Response(resp.status, headers={"content-type": resp.content_type,
                                                    **resp.headers}, content=body)

    return httpx.MockTransport(handler)


def layout_change(work: Path, *, quick: bool = True) -> ScenarioResult:
    """Every platform changes its markup: the run finishes, quarantines what it cannot read and
    says so; no platform's data silently vanishes."""
    from ..collectors.runner import collect
    from ..demo import DemoServer, build_world
    from ..http import HttpClient

    result = ScenarioResult("layout change (unknown markup/JSON)", "platform")
    world = build_world(seed=2024, scale=0.06)
    with measured(result), DemoServer(world) as server:
        home = work / "layout"
        settings = settings_for(home, server)
        served: dict[str, int] = {}
        platforms = set(_LAYOUT_CHANGES)
        with Store.open(settings=settings) as store:
            prepare_home(store, world, home / "inputs")
            http = HttpClient(settings, transport=_layout_transport(server.app, platforms, served))
            try:
                summary = collect(store, settings, http=http)
            except Exception as exc:  # noqa: BLE001 - counted, not hidden
                result.fail(f"collection crashed on changed markup: {type(exc).__name__}: {exc}",
                            crash=True)
                return result
            finally:
                http.close()
            result.runs += 1
            result.faults = sum(served.values())
            for platform in sorted(platforms):
                got = store.rows("SELECT count(*) FROM activities WHERE platform = ?",
                                 [platform])[0][0]
                quarantined = store.rows("SELECT count(*) FROM quarantine WHERE platform = ?",
                                         [platform])[0][0]
                errors = [e for e in summary.errors if platform in e or
                          (platform == "telegram" and "/s/" in e)]
                result.inputs += served.get(platform, 0)
                result.note(f"{platform}: {served.get(platform, 0)} changed responses -> "
                            f"{got} activities kept, {quarantined} quarantined, "
                            f"{len(errors)} error(s) reported")
                if served.get(platform) and not quarantined and not errors:
                    result.fail(f"{platform}: the changed layout went unnoticed (nothing "
                                "quarantined, no error reported)", violation=True)
    return result


# --- the database busy ----------------------------------------------------------------------

_HOLDER = """
import sys, time
from pantau.store import Store
from pantau.config import load_settings
read_only = sys.argv[2] == "ro"
store = Store.open(sys.argv[1], settings=load_settings(home=sys.argv[3]), read_only=read_only)
print("ready", flush=True)
time.sleep(float(sys.argv[4]))
store.close()
"""

_WRITER = """
import sys, time
import pyarrow as pa
from pantau.store import Store
from pantau.config import load_settings
from pantau.timeutil import utcnow
store = Store.open(sys.argv[1], settings=load_settings(home=sys.argv[2]))
print("ready", flush=True)
batch = int(sys.argv[3])
n = 0
while True:
    rows = [{"run_id": f"busy-{n}-{i}", "started_at": utcnow(), "finished_at": None,
             "summary": '"' + "x" * 200 + '"'} for i in range(batch)]
    with store.transaction():
        store.upsert("collection_runs", pa.Table.from_pylist(rows), key=["run_id"])
    n += 1
"""


def _holder(script: str, *args: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    if line.strip() != "ready":
        proc.kill()
        _out, err = proc.communicate()
        raise RuntimeError(f"the holder process did not start: {err.strip()[-500:]}")
    return proc


def busy_store(work: Path, *, quick: bool = True) -> ScenarioResult:
    """A second process (a writer, or a notebook reading) holds the database: a bounded wait,
    then StoreBusyError naming the file; a writer SIGKILLed mid-transaction never corrupts it."""
    from ..cli import main as cli_main
    from ..config import get_settings

    result = ScenarioResult("database busy / writer killed mid-write", "store")
    home = work / "busy"
    db = home / "pantau.duckdb"
    wait = 1.5
    with measured(result):
        with Store.open(db, settings=settings_for(home)):
            pass
        for mode in ("rw", "ro"):
            proc = _holder(_HOLDER, str(db), mode, str(home), "60")
            try:
                started = time.monotonic()
                try:
                    Store.open(db, settings=settings_for(home), wait_seconds=wait).close()
                    result.fail(f"opened while another process held it ({mode})", violation=True)
                except StoreBusyError as exc:
                    took = time.monotonic() - started
                    if str(db) not in str(exc):
                        result.fail(f"busy message does not name the file: {exc}",
                                    violation=True)
                    if not wait <= took <= wait + 3:
                        result.fail(f"waited {took:.1f} s, expected about {wait} s",
                                    violation=True)
                    result.note(f"held {'read-write' if mode == 'rw' else 'read-only (a notebook)'}"
                                f": StoreBusyError after {took:.1f} s (bound {wait} s): {exc}")
                except Exception as exc:  # noqa: BLE001
                    result.fail(f"{type(exc).__name__}: {exc}", crash=True)
                result.faults += 1
                result.runs += 1
                if mode == "rw":
                    # The CLI: a one-line message and exit code 75 (EX_TEMPFAIL).
                    old = os.environ.get("PANTAU_HOME")
                    os.environ["PANTAU_HOME"] = str(home)
                    get_settings.cache_clear()
                    try:
                        code = cli_main(["election", "list"])
                    finally:
                        if old is None:
                            os.environ.pop("PANTAU_HOME", None)
                        else:
                            os.environ["PANTAU_HOME"] = old
                        get_settings.cache_clear()
                    result.runs += 1
                    if code != StoreBusyError.exit_code:
                        result.fail(f"`pantau election list` exited {code} while busy, "
                                    f"expected {StoreBusyError.exit_code}", violation=True)
                    else:
                        result.note("`pantau election list` while busy: exit code 75 with a "
                                    "one-line message (after the default 10 s bounded wait)")
            finally:
                proc.kill()
                proc.communicate()
        # Writers killed mid-transaction: every batch is all there or not at all.
        batch = 500
        kills = 4 if quick else 15
        delays = [0.2 + (0.37 * i) % 1.3 for i in range(kills)]  # spread over 0.2-1.5 s
        n = 0
        for delay in delays:
            proc = _holder(_WRITER, str(db), str(home), str(batch))
            time.sleep(delay)
            if proc.poll() is not None:
                _out, err = proc.communicate()
                result.fail(f"the writer died before it was killed: {err.strip()[-500:]}",
                            crash=True)
                continue
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            result.faults += 1
            result.runs += 1
            try:
                with Store.open(db, settings=settings_for(home), wait_seconds=10) as store:
                    n = store.rows("SELECT count(*) FROM collection_runs "
                                   "WHERE run_id LIKE 'busy-%'")[0][0]
                    store.con.execute("CHECKPOINT")
                if n % batch:
                    result.fail(f"{n} rows after a kill: a batch of {batch} was half-written",
                                violation=True)
                    result.lost += batch - n % batch
            except Exception as exc:  # noqa: BLE001 - a store that no longer opens is the failure
                result.fail(f"store unusable after SIGKILL of a writer: {type(exc).__name__}: "
                            f"{exc}", crash=True)
        result.inputs = n
        result.note(f"{kills} writers SIGKILLed mid-transaction (batches of {batch}): the store "
                    f"reopened every time with whole batches only ({result.inputs} rows), "
                    "CHECKPOINT succeeded")
        result.note("notebooks open the store with `review.open_store()`, read-only by default; "
                    "only the decision cell opens it read-write, and closes it")
    return result


# --- disk full and read-only ----------------------------------------------------------------


@contextmanager
def tiny_filesystem(path: Path, size: str = "4m") -> Iterator[str]:
    """A small tmpfs at `path` (needs root), else a plain directory with the write path
    simulated; yields how the fault is produced ("tmpfs" or "simulated")."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = False
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs",
                               str(path)], capture_output=True, text=True)
        mounted = done.returncode == 0
    try:
        yield "tmpfs" if mounted else "simulated"
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _fill(path: Path) -> None:
    """Fill the file system holding `path` to the last byte."""
    with open(path / "filler", "wb") as fh:
        chunk = b"\0" * (64 * 1024)
        try:
            while True:
                fh.write(chunk)
                fh.flush()
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
    for size in (4096, 512, 1):
        try:
            with open(path / "filler", "ab") as fh:
                while True:
                    fh.write(b"\0" * size)
                    fh.flush()
        except OSError:
            pass


@contextmanager
def _simulated(err: int) -> Iterator[None]:
    """Without a mount: every write under pantau's atomic writer fails with `err`."""
    from .. import fsutil

    real = fsutil.os.fsync

    def failing(fd: int) -> None:
        raise OSError(err, os.strerror(err))

    fsutil.os.fsync = failing  # type: ignore[assignment]
    try:
        yield
    finally:
        fsutil.os.fsync = real  # type: ignore[assignment]


def _writes(work: Path, target: Path, result: ScenarioResult, label: str) -> None:
    """Evidence, an export and a rejects file written into `target`: each must fail with a
    WriteError naming the file and leave no file (final or temporary) behind."""
    from ..evidence import archive
    from ..export import export_week
    from ..registry import import_people

    before = {p for p in target.rglob("*")}
    body = os.urandom(256 * 1024)  # incompressible: bigger than what is left
    fetched = Fetched(url="https://t.me/s/diskfull", status=200,
                      headers={"content-type": "text/html"}, content=body,
                      requested_at=utcnow(), platform="telegram")
    home = work / f"home-{label}"
    settings = settings_for(home)
    bad_csv = work / f"asn-{label}.csv"
    bad_csv.write_text("nip,nama\n198503122010011001,Budi Santoso\n123,=HYPERLINK(\"x\")\n",
                       encoding="utf-8")
    checks: list[tuple[str, Callable[[], Any]]] = [
        ("evidence", lambda: archive(target, fetched, "reliability/1")),
        ("rejects", lambda: import_people(store, bad_csv, skip_invalid=True,
                                          rejects_path=target / "rejects.csv")),
    ]
    with Store.open(settings=settings) as store:
        _export_ready(store)
        checks.append(("export", lambda: export_week(store, "2024-W49", "bkn", target,
                                                     settings=settings,
                                                     now=_export_now())))
        for what, call in checks:
            result.inputs += 1
            result.faults += 1
            try:
                call()
                result.fail(f"{label}: writing the {what} into a {label} directory succeeded",
                            violation=True)
            except WriteError as exc:
                if str(target) not in str(exc):
                    result.fail(f"{label}: {what}: message does not name the file: {exc}",
                                violation=True)
                result.note(f"{label}, {what}: {exc}")
            except Exception as exc:  # noqa: BLE001 - an unclear error is the failure
                result.fail(f"{label}: {what}: {type(exc).__name__}: {exc}", crash=True)
        exported = store.rows("SELECT count(*) FROM exports")[0][0]
        if exported:
            result.fail(f"{label}: an export was recorded although its file was not written",
                        violation=True)
    after = {p for p in target.rglob("*")} - before
    left = [p for p in after if p.is_file()]
    if left:
        result.fail(f"{label}: files left behind: {[p.name for p in left]}", violation=True)


def _export_now() -> Any:
    from .pipeline import EXPORT_NOW

    return EXPORT_NOW


def _export_ready(store: Store) -> None:
    """One confirmed case in week 2024-W49 (hand-made minimal records)."""
    from ..records import Activity, Flag
    from ..review import decide
    from ..store.activities import activities_table
    from .pipeline import DECIDED_AT

    if store.rows("SELECT count(*) FROM decisions")[0][0]:
        return
    act = Activity(platform="telegram", type="post", actor_id="diskfull", actor_handle="diskfull",
                   native_id="diskfull/1", text="Ayo dukung nomor 1", created_at=DECIDED_AT,
                   observed_at=DECIDED_AT)
    store.upsert("activities", activities_table([act]), key=["activity_id"])
    flag = Flag(activity_id=act.id, election_id="e", rule="DS-08", stage="calon", candidate=1,
                confidence=0.9, reason_id="ajakan", reason_en="call to vote",
                model_version="m", flagged=True)
    from ..classify.pipeline import flags_table

    store.upsert("flags", flags_table([flag], DECIDED_AT), key=["case_id", "model_version"])
    decide(store, flag.case_id, "confirmed", "Reliability Reviewer", now=DECIDED_AT)


def disk_faults(work: Path, *, quick: bool = True) -> ScenarioResult:
    """A full disk, then a read-only one, under evidence, export and rejects writes."""
    result = ScenarioResult("disk full / read-only data directory", "disk")
    with measured(result):
        mnt = work / "tinyfs"
        with tiny_filesystem(mnt) as how:
            if how == "tmpfs":
                target = mnt / "data"
                target.mkdir()
                _fill(mnt)
                _writes(work, target, result, "full")
                (mnt / "filler").unlink()
                subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True,
                               capture_output=True)
                _writes(work, target, result, "read-only")
                result.note("produced with a 4 MiB tmpfs filled to the last byte, then "
                            "remounted read-only (root in this sandbox); chmod would not stop "
                            "root")
            else:
                target = mnt
                with _simulated(errno.ENOSPC):
                    _writes(work, target, result, "full")
                with _simulated(errno.EROFS):
                    _writes(work, target, result, "read-only")
                result.note("simulated: no tmpfs mount possible here (not root), so the atomic "
                            "writer's fsync raises ENOSPC / EROFS")
        result.runs = 2
    return result
