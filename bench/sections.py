"""The figures of bench/run.py, each measured beside a naive baseline in the same process.

Every function returns a list of `Figure`s. Rates use this process's CPU time
(`time.process_time`) where the work is one process on one core, because the machine is
shared (other engineers run tests) and wall time then counts their turns too; wall time is
kept beside it. A figure with a `target` gets PASS/FAIL.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))


@dataclass(slots=True)
class Figure:
    section: str
    name: str
    value: float
    unit: str
    baseline: str | None = None
    baseline_value: float | None = None
    target: float | None = None
    # "min": value must be >= target; "max": value must be <= target (e.g. seconds).
    target_kind: str = "min"
    wall_value: float | None = None      # the same figure by wall clock, when `value` is CPU
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.baseline_value in (None, 0):
            return None
        if self.target_kind == "max":      # seconds: smaller is better
            return self.baseline_value / self.value if self.value else None
        return self.value / self.baseline_value

    @property
    def passed(self) -> bool | None:
        if self.target is None:
            return None
        return self.value >= self.target if self.target_kind == "min" else self.value <= self.target

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(ratio=self.ratio, passed=self.passed)
        return data


def _rate(work: Callable[[], int], min_seconds: float) -> tuple[float, float, int]:
    """(items per CPU second, items per wall second, items) of `work` repeated for at least
    `min_seconds` of CPU time; `work()` returns the number of items it processed."""
    done = 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    while True:
        done += work()
        cpu = time.process_time() - cpu0
        if cpu >= min_seconds:
            break
    wall = time.perf_counter() - wall0
    return done / cpu, done / wall, done


# --- parsing ---------------------------------------------------------------------------------


def demo_pages(scale: float = 1.0, per_platform: int = 40) -> dict[str, list[tuple[str, bytes]]]:
    """Real responses of the demo server (rendered by its app, no sockets): full Telegram
    channel pages (20 messages each), Bluesky author feeds and Mastodon status lists."""
    from pantau.collectors.bluesky.parse import parse_author_feed
    from pantau.collectors.mastodon.parse import parse_statuses
    from pantau.collectors.telegram.parse import parse_channel_page
    from pantau.demo import DemoApp, build_world

    world = build_world(scale=scale)
    app = DemoApp(world)
    host = "127.0.0.1:8000"
    out: dict[str, list[tuple[str, bytes]]] = {"telegram": [], "bluesky": [], "mastodon": []}
    for account in world.accounts:
        platform = account.platform
        if len(out[platform]) >= per_platform:
            continue
        if platform == "telegram":
            target = f"/s/{account.handle}"
            resp = app.respond(target, host)
            if resp.status == 200 and len(parse_channel_page(resp.body).activities) >= 20:
                out[platform].append((f"http://{host}{target}", resp.body))
        elif platform == "bluesky":
            target = f"/xrpc/app.bsky.feed.getAuthorFeed?actor={account.handle}&limit=100"
            resp = app.respond(target, host)
            if resp.status == 200 and len(parse_author_feed(resp.body).activities) >= 5:
                out[platform].append((f"http://{host}{target}", resp.body))
        else:
            look = app.respond(f"/api/v1/accounts/lookup?acct={account.handle}", host)
            if look.status != 200:
                continue
            target = f"/api/v1/accounts/{json.loads(look.body)['id']}/statuses?limit=40"
            resp = app.respond(target, host)
            url = f"https://{account.handle.split('@')[-1]}{target}"
            if resp.status == 200 and len(parse_statuses(resp.body, source_url=url).activities) >= 5:
                out[platform].append((url, resp.body))
    return out


def _bs4_telegram(body: bytes) -> list[dict[str, Any]]:
    """The naive baseline: BeautifulSoup walking the same page for the same fields."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(body, "html.parser")
    found = []
    for msg in soup.select("div.tgme_widget_message[data-post]"):
        text = msg.select_one(".tgme_widget_message_text")
        when = msg.select_one("time[datetime]")
        views = msg.select_one(".tgme_widget_message_views")
        found.append({
            "post": msg.get("data-post"),
            "text": text.get_text("\n") if text else None,
            "datetime": when.get("datetime") if when else None,
            "views": views.get_text() if views else None,
            "photos": len(msg.select(".tgme_widget_message_photo_wrap")),
        })
    return found


def _naive_bluesky(body: bytes) -> list[dict[str, Any]]:
    """json + dict walking: the same fields, no normalisation, no checks, no ids."""
    out = []
    for item in json.loads(body)["feed"]:
        post = item["post"]
        record = post.get("record", {})
        out.append({"uri": post.get("uri"), "author": post.get("author", {}).get("handle"),
                    "text": record.get("text"), "created": record.get("createdAt"),
                    "reason": (item.get("reason") or {}).get("$type"),
                    "reply": (record.get("reply") or {}).get("parent", {}).get("uri")})
    return out


def _naive_mastodon(body: bytes) -> list[dict[str, Any]]:
    out = []
    for status in json.loads(body):
        out.append({"id": status.get("id"), "acct": status.get("account", {}).get("acct"),
                    "content": status.get("content"), "created": status.get("created_at"),
                    "reblog": (status.get("reblog") or {}).get("id"),
                    "reply": status.get("in_reply_to_id")})
    return out


def parsing(quick: bool) -> list[Figure]:
    from pantau.collectors.bluesky.parse import parse_author_feed
    from pantau.collectors.mastodon.parse import parse_statuses
    from pantau.collectors.telegram.parse import parse_channel_page

    seconds = 1.0 if quick else 3.0
    pages = demo_pages()
    full = (ROOT / "tests/fixtures/telegram/full.html").read_bytes()
    figures: list[Figure] = []
    tele = [b for _, b in pages["telegram"]]
    sets = [("t.me/s demo pages (20 messages)", tele), ("t.me/s real full.html", [full])]
    for label, bodies in sets:
        msgs = sum(len(parse_channel_page(b).activities) for b in bodies)

        def ours(bodies: Sequence[bytes] = bodies) -> int:
            for b in bodies:
                parse_channel_page(b)
            return len(bodies)

        def naive(bodies: Sequence[bytes] = bodies) -> int:
            for b in bodies:
                _bs4_telegram(b)
            return len(bodies)

        got, got_wall, _ = _rate(ours, seconds)
        base, _, _ = _rate(naive, seconds / 2)
        per_page = msgs / len(bodies)
        size = sum(map(len, bodies)) / len(bodies)
        figures.append(Figure("parse", f"{label}: pages/s", got, "pages/s (CPU)",
                              "BeautifulSoup (html.parser), same fields", base, 1000,
                              wall_value=got_wall,
                              note=f"{len(bodies)} page(s), {per_page:.0f} msgs, {size / 1000:.0f} KB"))
        figures.append(Figure("parse", f"{label}: messages/s", got * per_page, "messages/s (CPU)",
                              "BeautifulSoup", base * per_page, wall_value=got_wall * per_page))
    for platform, parse, naive_fn in (
        ("bluesky", lambda u, b: parse_author_feed(b, source_url=u), _naive_bluesky),
        ("mastodon", lambda u, b: parse_statuses(b, source_url=u), _naive_mastodon),
    ):
        items = pages[platform]
        n_items = sum(len(parse(u, b).activities) for u, b in items)

        def ours_j(items: Sequence[tuple[str, bytes]] = items, parse: Any = parse) -> int:
            for u, b in items:
                parse(u, b)
            return 1

        def naive_j(items: Sequence[tuple[str, bytes]] = items, fn: Any = naive_fn) -> int:
            for _, b in items:
                fn(b)
            return 1

        got, got_wall, _ = _rate(ours_j, seconds)
        base, _, _ = _rate(naive_j, seconds / 2)
        figures.append(Figure("parse", f"{platform} JSON: items/s", got * n_items,
                              "items/s (CPU)", "json + dict walking, no normalisation",
                              base * n_items, wall_value=got_wall * n_items,
                              note=f"{len(items)} demo responses, {n_items} items"))
    return figures


# --- classification --------------------------------------------------------------------------

CLASSIFY_ELECTION = ROOT / "elections" / "pemilu-2024-presiden.toml"
CLASSIFY_AT = datetime(2024, 1, 10, 3, tzinfo=UTC)     # DS stage of that election
_WORKER: dict[str, Any] = {}


def bench_model_dir(log: Callable[[str], None]) -> Path:
    """The shipped model; if none is shipped yet, one trained now into a temporary folder."""
    from pantau.classify.model import default_model_dir
    from pantau.errors import ModelError

    try:
        return default_model_dir()
    except ModelError:
        cached = Path(tempfile.gettempdir()) / "pantau-bench-model"
        if (cached / "manifest.json").is_file():
            return cached
        from pantau.classify.train import train

        log("  no shipped model under models/: training one (svm) for the benchmark …")
        return train(cached, models=(("svm", 0.3),)).directory


def _texts(n: int) -> list[str]:
    from pantau.classify.corpus import generate

    texts = [r["text"] for r in generate(seed=7)]   # not the training seed
    return (texts * (n // len(texts) + 1))[:n]


def _init_worker(model_dir: str) -> None:
    os.environ["OMP_NUM_THREADS"] = "1"
    from pantau.classify.linking import Linker
    from pantau.classify.model import TextModel
    from pantau.elections import load_election_file

    election = load_election_file(CLASSIFY_ELECTION)
    _WORKER.update(model=TextModel.load(model_dir), election=election, linker=Linker(election))


def _classify_chunk(texts: list[str]) -> int:
    from pantau.classify.pipeline import classify_texts

    classify_texts(texts, _WORKER["election"], at=CLASSIFY_AT, model=_WORKER["model"],
                   linker=_WORKER["linker"])
    return len(texts)


def classifying(quick: bool, log: Callable[[str], None]) -> list[Figure]:
    from pantau.classify.linking import Linker
    from pantau.classify.model import TextModel
    from pantau.classify.pipeline import classify_texts
    from pantau.elections import load_election_file

    model_dir = bench_model_dir(log)
    model = TextModel.load(model_dir)
    election = load_election_file(CLASSIFY_ELECTION)
    linker = Linker(election)
    n = 10_000 if quick else 40_000
    texts = _texts(n)
    classify_texts(texts[:500], election, at=CLASSIFY_AT, model=model, linker=linker)  # warm
    model.estimator.predict_proba(texts[:500])
    cpu0, wall0 = time.process_time(), time.perf_counter()
    classify_texts(texts, election, at=CLASSIFY_AT, model=model, linker=linker)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    base_n = n // 4
    bcpu0 = time.process_time()
    model.estimator.predict_proba(texts[:base_n])      # plain scikit-learn, raw text
    bcpu = time.process_time() - bcpu0
    one = n / cpu
    figures = [Figure("classify", "one core: activities/s", one, "activities/s (CPU)",
                      "plain scikit-learn pipeline (no linking/masking)", base_n / bcpu, 5000,
                      wall_value=n / wall,
                      note=f"model {model.version}; normalise+link+mask+model+rules+reasons")]
    workers = os.cpu_count() or 1
    chunks = [texts[i:i + 2000] for i in range(0, len(texts), 2000)]
    with ProcessPoolExecutor(workers, initializer=_init_worker,
                             initargs=(str(model_dir),)) as pool:
        list(pool.map(_classify_chunk, [c[:100] for c in chunks[:workers]]))   # load + warm
        wall0 = time.perf_counter()
        done = sum(pool.map(_classify_chunk, chunks))
        wall = time.perf_counter() - wall0
    # The ratio here is the speed-up over one core: ~cores on an idle machine, less when
    # other processes take turns (the load average is printed with the table).
    figures.append(Figure("classify", f"all {workers} cores (process pool): activities/s",
                          done / wall, "activities/s (wall)", "our pipeline on one core (CPU)",
                          one, note="batches of 2,000 texts across a process pool"))
    return figures


# --- storing ---------------------------------------------------------------------------------


def storing(quick: bool) -> list[Figure]:
    """Arrow bulk upsert into `activities` vs one INSERT per row (bench_store's helpers)."""
    import bench_store as bs

    n = 100_000 if quick else 1_000_000
    batch = bs.activity_batch(0, n)
    with tempfile.TemporaryDirectory(prefix="pantau-bench-store-") as tmp:
        work = Path(tmp)
        got = bs.measure(bs.upsert_anti_join, batch, 0, False, 1 if quick else 3, work)
        again = bs.measure(bs.upsert_anti_join, batch, 0, True, 1, work)
        base = bs.measure(bs.insert_row_by_row, batch.slice(0, 500 if quick else 2000), 0,
                          False, 1, work, keyed=True)
    return [
        Figure("store", f"Arrow bulk upsert, {n:,} new rows", got["rows_per_cpu_s"],
               "rows/s (CPU)", "one INSERT per row", base["rows_per_cpu_s"], 200_000,
               wall_value=got["rows_per_s"],
               note="embedded DuckDB file, `activities`; CPU summed over DuckDB threads"),
        Figure("store", f"same {n:,} rows again (all keys exist)", again["rows_per_cpu_s"],
               "rows/s (CPU)", "one INSERT per row", base["rows_per_cpu_s"], 200_000,
               wall_value=again["rows_per_s"], note="idempotent re-collection"),
    ]


# --- export ----------------------------------------------------------------------------------


def exporting(quick: bool, log: Callable[[str], None]) -> list[Figure]:
    """`export_week` on 1,000,000 confirmed cases, measured at that size also with
    `--quick`: the target is stated for a million rows, and a smaller run would project the
    fixed costs of the batch pipeline (filling and draining it) ten times over."""
    import export_bench

    rows = 1_000_000
    got = export_bench.measure(rows, log=log)
    return [Figure("export", f"export_week, {rows:,} confirmed cases (measured)", got["wall_s"],
                   "s (wall)", None, None, 10.0, target_kind="max", note=(
                       f"{got['rows_per_s']:,.0f} rows/s wall, {got['cpu_s']:.1f} s CPU, "
                       f"{got['csv_bytes'] / 1e6:.0f} MB CSV; store built in "
                       f"{got['build_s']:.0f} s"),
                   extra=got)]


# --- media -----------------------------------------------------------------------------------


def media(quick: bool) -> list[Figure]:
    import media_throughput

    got = media_throughput.measure(1 if quick else 2)
    return [
        Figure("media", "hand poses: images/s", got["hands_images_per_second"], "images/s (wall)",
               note=f"{got['images']['hands']} real 800x600 photos, MediaPipe", extra=got),
        Figure("media", "OCR: images/s", got["ocr_images_per_second"], "images/s (wall)",
               note=f"{got['images']['ocr']} rendered posters, Tesseract"),
    ]
