"""The short version of the reliability suite (issue 8), one test per scenario.

Each test runs the same scenario function `bench/reliability.py` runs (from
`pantau.reliability`), at the small size, and asserts what RELIABILITY.md claims: nothing lost,
nothing duplicated, no crash, no violation (no formula or control character in any CSV, no
secret anywhere, no file readable by others, no request to an internal address).
"""

from __future__ import annotations

import csv
import io
import os
import stat
from pathlib import Path

import pytest

from pantau.csvsafe import formula_cells, iter_csv, render_csv
from pantau.errors import WriteError
from pantau.fsutil import write_atomic, write_atomic_stream
from pantau.reliability.result import ScenarioResult


def _assert_ok(result: ScenarioResult) -> None:
    assert result.ok, result.summary()
    assert not result.examples, result.summary()


@pytest.mark.slow
def test_sigkill_collector_classifier_export_then_restart_loses_nothing(tmp_path: Path) -> None:
    from pantau.reliability.kill import kill_scenarios

    results = kill_scenarios(tmp_path, quick=True, kills=2)
    assert [r.name.split()[1] for r in results] == ["collect", "classify", "export",
                                                    "collect-classify"]
    for r in results:
        _assert_ok(r)
        assert r.faults >= 1, f"no kill landed: {r.summary()}"
        assert r.inputs > 0
    collect, classify, export, both = results
    assert "0 lost" in collect.notes[0] and "quarantine" in collect.notes[0]
    assert "flags" in classify.notes[0]
    assert "3 export files" in export.notes[0]
    assert "0 lost" in both.notes[0] and "activities" in both.notes[0] and \
        "flags" in both.notes[0]


@pytest.mark.slow
def test_platform_faults_finish_report_and_lose_nothing(tmp_path: Path) -> None:
    from pantau.reliability.faults import platform_faults

    r = platform_faults(tmp_path)
    _assert_ok(r)
    assert r.faults > 10 and r.inputs > 100
    assert any("the faulty run finished" in n for n in r.notes), r.summary()


def test_layout_change_is_quarantined_and_reported(tmp_path: Path) -> None:
    from pantau.reliability.faults import layout_change

    r = layout_change(tmp_path)
    _assert_ok(r)
    assert r.faults > 0


def test_busy_store_bounded_wait_and_no_corruption(tmp_path: Path) -> None:
    from pantau.reliability.faults import busy_store

    r = busy_store(tmp_path)
    _assert_ok(r)
    assert r.faults >= 4 and r.inputs > 0  # whole batches written before the kills


def test_disk_full_and_read_only_leave_nothing_half_written(tmp_path: Path) -> None:
    from pantau.reliability.faults import disk_faults

    r = disk_faults(tmp_path)
    _assert_ok(r)
    assert r.faults == 6  # evidence, rejects, export x (full, read-only)


def test_fuzzed_parsers_never_crash_and_name_the_source(tmp_path: Path) -> None:
    from pantau.reliability.fuzz import fuzz_parsers

    r = fuzz_parsers(tmp_path, examples=25)
    _assert_ok(r)
    assert r.inputs >= 19 * 25


def test_fuzzed_importers_never_crash_and_name_the_file(tmp_path: Path) -> None:
    from pantau.reliability.fuzz import fuzz_importers

    r = fuzz_importers(tmp_path, examples=20)
    _assert_ok(r)
    assert r.inputs == 5 * 20


def test_no_formula_or_control_character_survives_into_any_output(tmp_path: Path) -> None:
    from pantau.reliability.hostile import hostile_outputs

    r = hostile_outputs(tmp_path, examples=10)
    _assert_ok(r)
    assert r.runs >= 6  # 3 recipients, review list, rejects, parse


def test_no_internal_address_is_ever_fetched(tmp_path: Path) -> None:
    from pantau.reliability.hostile import ssrf

    r = ssrf(tmp_path)
    _assert_ok(r)
    assert r.inputs > 100


def test_files_owner_only_and_token_nowhere_after_a_realistic_run(tmp_path: Path) -> None:
    from pantau.reliability.privacy import privacy

    r = privacy(tmp_path)
    _assert_ok(r)
    assert r.inputs > 100


# --- the building blocks the scenarios rely on --------------------------------------------------


def test_formula_cells_finds_what_a_spreadsheet_would_run() -> None:
    raw = '"=1+1","ok","\u202eabc"\r\n" @SUM(A1)","x\x07","\'=1+1"\r\n'
    assert [(r, c) for r, c, _ in formula_cells(raw)] == [(0, 0), (0, 2), (1, 0), (1, 1)]
    assert formula_cells(render_csv(["h"], [["=1+1"], ["\t=2"], ["\u202e"], ["\x1b[31m"]], ",")) == []


def test_write_atomic_is_owner_only_even_with_a_lax_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        target = write_atomic(tmp_path / "a" / "b" / "f.csv", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    for d in (tmp_path / "a", tmp_path / "a" / "b"):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700


def test_write_atomic_failure_names_the_file_and_leaves_the_old_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from pantau import fsutil

    target = write_atomic(tmp_path / "f.csv", b"old")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fsutil.os, "fsync", full)
    with pytest.raises(WriteError, match="f.csv: cannot write the file: the disk is full"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.csv"]


# --- `pantau classify -o`: the same CSV safety for a user-chosen path ---------------------------


def test_classify_output_csv_carries_no_formula(tmp_path: Path) -> None:
    from pantau.classify.files import classify_file
    from pantau.classify.model import TextModel
    from pantau.demo import build_world
    from pantau.reliability.hostile import HOSTILE
    from pantau.reliability.pipeline import DECIDED_AT, reliability_model

    election = build_world(seed=2024, scale=0.06).election
    src = tmp_path / "posts.csv"
    src.write_text("text\n" + "\n".join('"' + t[:200].replace('"', '""').replace("\x00", "")
                                        + '"' for t in HOSTILE[:10]) + "\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    dir_mode = stat.S_IMODE(tmp_path.stat().st_mode)
    summary = classify_file(src, election, text_column="text", out=out, at=DECIDED_AT,
                            model=TextModel.load(reliability_model()))
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and formula_cells(data) == []
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert summary.rows == 10 and len(rows) == 11 and rows[0][0] == "text"
    assert any(r[0].startswith("'") for r in rows[1:])   # hostile text kept, made inert
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    # The user's own directory keeps its mode (only PANTAU_HOME directories are tightened).
    assert stat.S_IMODE(tmp_path.stat().st_mode) == dir_mode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "posts.csv"]


def test_classify_output_jsonl_is_written_whole(tmp_path: Path) -> None:
    import json

    from pantau.classify.files import CHUNK, classify_file
    from pantau.classify.model import TextModel
    from pantau.demo import build_world
    from pantau.reliability.pipeline import DECIDED_AT, reliability_model

    election = build_world(seed=2024, scale=0.06).election
    src = tmp_path / "posts.jsonl"
    n = CHUNK + 7  # more than one streamed batch
    src.write_text("".join(json.dumps({"id": i, "text": f"=HYPERLINK(\"x\") {i}"}) + "\n"
                           for i in range(n)), encoding="utf-8")
    out = tmp_path / "out" / "flags.jsonl"
    classify_file(src, election, text_column="text", id_column="id", out=out, at=DECIDED_AT,
                  model=TextModel.load(reliability_model()))
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == list(range(n))
    assert all(isinstance(r["pantau_flagged"], bool) for r in records)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert stat.S_IMODE(out.parent.stat().st_mode) == 0o700  # created by pantau: private


def test_iter_csv_streams_in_batches_and_equals_render_csv() -> None:
    rows = [[i, f"-{i}", "a\nb"] for i in range(12)]
    chunks = list(iter_csv(["n", "v", "t"], iter(rows), ";", batch=5))
    assert len(chunks) == 1 + 3  # BOM + header, then 5 + 5 + 2 rows
    assert chunks[0].startswith(b"\xef\xbb\xbf") and chunks[0].count(b"\r\n") == 1
    assert b"".join(chunks) == render_csv(["n", "v", "t"], rows, ";")
    assert b'"\'-3";"a b"' in b"".join(chunks)


def test_write_atomic_stream_failing_source_leaves_the_old_file(tmp_path: Path) -> None:
    target = write_atomic(tmp_path / "f.csv", b"old")

    def chunks():
        yield b"new part"
        raise ValueError("source broke")

    with pytest.raises(ValueError, match="source broke"):
        write_atomic_stream(target, chunks(), private_parent=False)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.csv"]


# --- load: synthetic channels through the real collectors ---------------------------------------


def test_load_collects_classifies_and_exports_every_activity(tmp_path: Path) -> None:
    """The load scenario at CI size: every served message collected once, classified once."""
    from pantau.reliability.load import load

    r = load(tmp_path, activities=2000, accounts=200, log=lambda _m: None)
    _assert_ok(r)
    assert r.inputs == 2000 and r.runs == 3
    text = "\n".join(r.notes)
    assert "2,000 ASN activities stored (2,000 distinct ids) of 2,000 served" in text
    assert "0 channel(s) with other than 10 messages" in text
    assert "0 error(s), 0 quarantined" in text
    assert "2,000 classifications (2,000 distinct activities) for 2,000 activities" in text
    assert "0 neutral texts flagged" in text
    assert "3 weekly files" in text
    assert r.peak_rss_mib > 0


def test_load_refuses_a_size_the_channels_cannot_serve(tmp_path: Path) -> None:
    from pantau.reliability.load import load

    with pytest.raises(ValueError, match="10 messages per channel"):
        load(tmp_path, activities=1001, accounts=100)


def test_synthetic_channels_render_real_pages_deterministically() -> None:
    from pantau.collectors.telegram.parse import parse_channel_page
    from pantau.demo import build_world
    from pantau.demo.server import DemoApp
    from pantau.demo.synthetic import CAMPAIGN, NEUTRAL, SyntheticChannels
    from pantau.elections import stage_window

    election = build_world(seed=2024, scale=0.06).election
    window = stage_window(election)
    app = DemoApp(SyntheticChannels(1000, election, start=window.start, end=window.end))
    page = app.respond("/s/asn000042", "127.0.0.1:1")
    assert page.status == 200
    assert page.body == app.respond("/s/asn000042", "127.0.0.1:1").body  # same bytes
    parsed = parse_channel_page(page.body, source_url="http://127.0.0.1:1/s/asn000042")
    acts = parsed.activities
    assert [a.native_id for a in acts] == [f"asn000042/{i}" for i in range(1, 11)]
    assert all(window.start <= a.created_at < window.end for a in acts)
    names = {c.names[0] for c in election.candidates}
    for a in acts:
        assert a.text in NEUTRAL or any(n in a.text for n in names), a.text
    # About 5% campaign texts over many channels, each naming one of the election's candidates.
    channels = app.world
    served = [channels.text(p) for i in range(1000) for p in channels.posts(i)]
    campaign = [t for t in served if t not in NEUTRAL]
    assert 0.03 < len(campaign) / len(served) < 0.07
    assert len(CAMPAIGN) > 1 and all(any(n in t for n in names) for t in campaign)
    # Beyond the channel count, other platforms, and watch-listed channels.
    assert app.respond("/s/asn001000", "h").status == 404
    assert app.respond("/xrpc/app.bsky.feed.getAuthorFeed?actor=x", "h").status == 404
    assert app.respond("/api/v1/accounts/lookup?acct=x", "h").status == 404
    watched = next(a.handle for a in election.accounts if a.platform == "telegram")
    assert app.respond(f"/s/{watched}", "h").status == 200


def test_report_after_only_some_scenarios_keeps_the_others_marked(tmp_path: Path) -> None:
    from pantau.reliability.suite import write_report

    def result(name: str, seconds: float) -> ScenarioResult:
        r = ScenarioResult(name, "x", runs=1, seconds=seconds)
        r.note(f"{name} measured")
        return r

    out = tmp_path / "R.md"
    write_report(out, [result("kill one", 1.0), result("load: 10 activities / 1 accounts", 2.0),
                       result("fuzz two", 3.0)], quick=False, seconds=6.0)
    out.write_text(out.read_text() + "\n## Hand-written extrapolation\n\nnot measured\n")
    write_report(out, [result("load: 20 activities / 2 accounts", 4.0)], quick=False,
                 seconds=4.0, only=["load"])
    text = out.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| ") and "scenario" not in line]
    assert [r.split(" | ")[0] for r in rows] == [
        "| kill one *(earlier run)*", "| load: 20 activities / 2 accounts",
        "| fuzz two *(earlier run)*"]
    assert "kill one measured" in text and "fuzz two measured" in text
    assert "load: 10 activities" not in text and "Hand-written" not in text
    assert "measured by this earlier run: `python bench/reliability.py` on" in text
    # A second partial run keeps the rows (marked once) and names where they came from.
    write_report(out, [result("load: 30 activities / 3 accounts", 5.0)], quick=False,
                 seconds=5.0, only=["load"])
    again = out.read_text()
    assert again.count("*(earlier run)*") == 3  # 2 rows + the explanation
    assert "measured by this earlier run: `python bench/reliability.py` on" in again


def test_stage_peak_rss_restarts_from_the_current_size() -> None:
    from pantau.reliability.result import reset_peak_rss, stage_peak_rss_mib

    if not reset_peak_rss():
        pytest.skip("no /proc/self/clear_refs here")
    import mmap

    base = stage_peak_rss_mib()
    block = mmap.mmap(-1, 64 * 2**20)   # anonymous: unmapped on close, whatever the allocator
    block.write(b"x" * len(block))       # every page written: resident
    peak = stage_peak_rss_mib()
    assert peak >= base + 60
    block.close()
    assert stage_peak_rss_mib() >= peak - 1    # the peak stays after the memory is freed...
    reset_peak_rss()
    assert stage_peak_rss_mib() < peak - 32    # ...until the count is restarted
