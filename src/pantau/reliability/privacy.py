"""Personal data at rest and secrets: after a realistic run (registry import with rejects,
election load, a collection with failing Mastodon requests and a token set, classification,
decisions, exports), every file under PANTAU_HOME is owner-only and the token appears nowhere:
not in a file, not in any column of any table, not in a log line, not in an error message."""

from __future__ import annotations

import contextlib
import gzip
import io
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
from pydantic import SecretStr

from .pipeline import (
    EXPORT_NOW, EXPORT_WEEK, RECIPIENTS, confirm_cases, env_for, reliability_model, settings_for,
)
from .result import ScenarioResult, measured

SECRET = "pantau-test-token-7f3a9c1e5b"


def _failing_mastodon(app, seen_auth: list[str]) -> httpx.MockTransport:  # noqa: ANN001
    """The demo world, except that Mastodon answers 500 or 401 (the token must not leak in the
    errors that follow); records whether the token was sent."""
    calls = [0]

    def handler(request: httpx.Request) -> httpx.Response:
        target = request.url.raw_path.decode("ascii")
        if target.startswith("/api/"):
            seen_auth.append(request.headers.get("authorization", ""))
            calls[0] += 1
            if calls[0] % 2:
                return httpx.Response(500, json={"error": "Internal Server Error"})
            return httpx.Response(401, json={"error": "The access token is invalid"})
        resp = app.respond(target, request.url.netloc.decode("ascii"))
        return httpx.Response(resp.status, headers={"content-type": resp.content_type,
                                                    **resp.headers}, content=resp.body)

    return httpx.MockTransport(handler)


def _open_files(home: Path, result: ScenarioResult) -> int:
    checked = 0
    for path in [home, *home.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        checked += 1
        if mode & 0o077:
            kind = "directory" if path.is_dir() else "file"
            result.fail(f"{kind} {path.relative_to(home.parent)} is {oct(mode)} (readable by "
                        "others)", violation=True)
    return checked


def _grep(home: Path, texts: dict[str, str], result: ScenarioResult) -> int:
    """Look for the secret in every file (gzip evidence unpacked), every text column and every
    captured log/message."""
    from ..store import Store

    needle = SECRET.encode()
    looked = 0
    for path in home.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.suffix == ".gz":
            with contextlib.suppress(OSError, EOFError):
                data = gzip.decompress(data)
        looked += 1
        if needle in data:
            result.fail(f"the token is in {path.relative_to(home)}", violation=True)
    with Store.open(home / "pantau.duckdb", settings=settings_for(home),
                    read_only=True) as store:
        columns = store.rows(
            "SELECT table_name, column_name FROM information_schema.columns WHERE "
            "table_catalog = current_database() AND (data_type LIKE 'VARCHAR%' OR "
            "data_type = 'JSON')")
        for table, column in columns:
            looked += 1
            hits = store.rows(f'SELECT count(*) FROM "{table}" WHERE '
                              f'CAST("{column}" AS VARCHAR) LIKE ?', [f"%{SECRET}%"])[0][0]
            if hits:
                result.fail(f"the token is in {table}.{column} ({hits} rows)", violation=True)
    for name, text in texts.items():
        looked += 1
        if SECRET in text:
            result.fail(f"the token is in {name}", violation=True)
    return looked


def privacy(work: Path, *, quick: bool = True) -> ScenarioResult:
    from ..classify.model import TextModel
    from ..classify.pipeline import classify_pending
    from ..collectors.runner import collect
    from ..demo import DemoServer, build_world
    from ..elections import import_election_file
    from ..export import export_all
    from ..http import HttpClient
    from ..registry import import_accounts, import_people
    from ..store import Store

    result = ScenarioResult("owner-only files, no secret in files/store/logs/errors", "privacy")
    old_umask = os.umask(0o022)  # the usual default: pantau must not rely on a strict umask
    log_buffer = io.StringIO()
    handler = logging.StreamHandler(log_buffer)
    handler.setLevel(logging.DEBUG)
    pantau_log = logging.getLogger("pantau")
    old_level = pantau_log.level
    pantau_log.addHandler(handler)
    pantau_log.setLevel(logging.DEBUG)
    texts: dict[str, str] = {}
    try:
        with measured(result):
            world = build_world(seed=2024, scale=0.06)
            inputs = work / "inputs"
            files = world.write_files(inputs)
            bad = inputs / "asn-with-bad-rows.csv"
            bad.write_text(files["registry"].read_text("utf-8") + "123,Salah Satu\n",
                           encoding="utf-8")
            model = reliability_model()
            with DemoServer(world) as server:
                home = work / "home"
                base = settings_for(home, server)
                settings = base.model_copy(update={"platforms": base.platforms.model_copy(
                    update={"mastodon_token": SecretStr(SECRET)})})
                with Store.open(settings=settings) as store:
                    import_people(store, bad, skip_invalid=True,
                                  rejects_path=home / "rejects" / "asn.rejects.csv")
                    import_accounts(store, files["accounts"])
                    import_election_file(store, files["election"])
                    seen_auth: list[str] = []
                    with HttpClient(settings,
                                    transport=_failing_mastodon(server.app, seen_auth)) as http:
                        summary = collect(store, settings, http=http)
                    texts["collection errors"] = "\n".join(summary.errors)
                    texts["run summary"] = summary.as_json()
                    classify_pending(store, model=TextModel.load(model))
                    confirm_cases(store, 4)
                    export_all(store, EXPORT_WEEK, list(RECIPIENTS), settings=settings,
                               now=EXPORT_NOW)
                result.runs += 1
                sent = sum(SECRET in a for a in seen_auth)
                result.note(f"a collection with PANTAU_PLATFORMS__MASTODON_TOKEN set: the token "
                            f"went (as a Bearer header) with {sent} of {len(seen_auth)} Mastodon "
                            f"requests, all answered 500/401; reported as {len(summary.errors)} "
                            f"error(s) and {len(summary.refused)} refused account(s)")
                if not sent:
                    result.fail("the token was never sent: the secret check proves nothing",
                                violation=True)
                # The CLI in its own process, token from the environment, Mastodon failing.
                env = env_for(home, server, model=model)
                env["PANTAU_PLATFORMS__MASTODON_TOKEN"] = SECRET
                env["PANTAU_PLATFORMS__MASTODON_BASE_URLS"] = '{"mastodon.demo": "http://127.0.0.1:9"}'
                env.pop("PANTAU_PLATFORMS", None)
                env["PANTAU_PLATFORMS__TELEGRAM_BASE_URL"] = server.base_url
                env["PANTAU_PLATFORMS__MASTODON_SERVERS"] = '["mastodon.demo"]'
                cli = subprocess.run(
                    [sys.executable, "-c", "import sys; from pantau.cli import main; "
                     "sys.exit(main(sys.argv[1:]))", "collect", "--platform", "mastodon",
                     "--verbose"], env=env, capture_output=True, text=True, timeout=600)
                result.runs += 1
                texts["`pantau collect --verbose` stdout"] = cli.stdout
                texts["`pantau collect --verbose` stderr"] = cli.stderr
                result.note(f"`pantau collect --platform mastodon --verbose` against a closed "
                            f"port with the token in the environment: exit {cli.returncode}, "
                            f"{len(cli.stderr.splitlines())} stderr lines")
            texts["pantau log (DEBUG)"] = log_buffer.getvalue()
            checked = _open_files(home, result)
            looked = _grep(home, texts, result)
            result.inputs = checked + looked
            result.note(f"{checked} files and directories under PANTAU_HOME checked owner-only "
                        "(0600 files, 0700 directories) with umask 022: database and WAL, raw "
                        "evidence, exports and manifests, rejects, audit head")
            result.note(f"the token searched in {looked} places: every file (evidence "
                        "unpacked), every text column of every table, DEBUG log, CLI output, "
                        "error messages and run summaries")
    finally:
        os.umask(old_umask)
        pantau_log.removeHandler(handler)
        pantau_log.setLevel(old_level)
    return result
