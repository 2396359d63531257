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
    assert [r.name.split()[1] for r in results] == ["collect", "classify", "export"]
    for r in results:
        _assert_ok(r)
        assert r.faults >= 1, f"no kill landed: {r.summary()}"
        assert r.inputs > 0
    collect, classify, export = results
    assert "0 lost" in collect.notes[0] and "quarantine" in collect.notes[0]
    assert "flags" in classify.notes[0]
    assert "3 export files" in export.notes[0]


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
