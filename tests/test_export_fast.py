"""The column-at-a-time export gives the very bytes of the row-by-row definition.

The reference here is the original per-row path, kept in `pantau.export.render` as `field_values`
(one case's cells) and `csvsafe.render_csv`/`safe_cell` (the file): the bulk path must match
it byte for byte, digests included, for every shipped layout and a layout using every field.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pantau.csvsafe import render_csv, safe_cell, safe_column
from pantau.export import FIELDS, export_week, load_recipient, parse_recipient, parse_week
from pantau.export.render import field_values
from pantau.reliability.hostile import HOSTILE as RELIABILITY_HOSTILE
from pantau.review import _decision_rows, case_state, cases_frame, decide
from pantau.timeutil import to_utc
from review_helpers import add_telegram_post, wib, world_store  # noqa: F401  (fixture)
from test_export_weekly import HOSTILE

WEEK = "2024-W47"

EVERY_FIELD = "[recipient]\nname = \"all\"\ndate_format = \"%d %b %Y %H:%M:%S\"\n" \
    "timezone = \"Asia/Makassar\"\nexcerpt_chars = 40\n\n" + "".join(
        f"[[columns]]\nfield = \"{f}\"\nheader = \"{f}\"\n\n" for f in FIELDS)


def _selected(store, four_eyes: bool):
    """(case id, state) of the cases made exportable in the week, in export order, and their
    notes: from the Python definition `review.case_state`, one case at a time."""
    iso = parse_week(WEEK)
    history: dict[str, list] = {}
    for d in _decision_rows(store):
        history.setdefault(d.case_id, []).append(d)
    chosen = []
    for cid, decisions in history.items():
        state = case_state(decisions, four_eyes)
        if state.exportable and iso.start <= to_utc(state.exportable_at) < iso.end:
            chosen.append((cid, state))
    chosen.sort(key=lambda item: (item[1].exportable_seq, item[0]))
    notes = {}
    for cid, state in chosen:
        run: list[str] = []
        for d in history[cid]:
            if d.seq > state.exportable_seq:
                break
            run = [] if d.verdict != "confirmed" else run + ([d.note] if d.note else [])
        notes[cid] = " | ".join(run)
    return chosen, notes


def _reference(store, layout, four_eyes: bool = False) -> tuple[bytes, dict[str, str]]:
    """The export's CSV and row digests computed one case at a time (the original way)."""
    selected, notes = _selected(store, four_eyes)
    ids = [cid for cid, _ in selected]
    frame = cases_frame(store, case_ids=ids)
    by_id = {r["case_id"]: r for r in frame.to_dict("records")}
    rows, digests = [], {}
    header = [c.header for c in layout.columns]
    for cid, state in selected:
        row = {k: (None if v is None or v != v else v) for k, v in by_id[cid].items()}
        values = field_values(row, state, notes.get(cid, ""), layout)
        cells = [values[c.field] for c in layout.columns]
        rows.append(cells)
        # the manifest's row digest: the row's line as the file holds it, without its CRLF
        line = render_csv(header, [cells], layout.delimiter).split(b"\r\n")[1]
        digests[cid] = hashlib.sha256(line).hexdigest()
    return render_csv(header, rows, layout.delimiter), digests


@pytest.fixture
def hostile_week(world_store):
    """Every world case plus hostile posts confirmed in week 47, with awkward notes."""
    store, world = world_store
    ids = list(world.cases.values())
    for i, text in enumerate(HOSTILE + list(RELIABILITY_HOSTILE)):
        ids.append(add_telegram_post(store, world, f"h{i}", text, handle="budi_asn", post_id=9000 + i,
                                     at=wib(2024, 11, 20, 8, i % 60)))
    for i, cid in enumerate(ids):
        note = ["", '=HYPERLINK("x")', "catatan;\r\nbaris \u202e dua", "  spasi  "][i % 4]
        decide(store, cid, "confirmed", "Sari", note, now=wib(2024, 11, 21, 9, i % 60))
    return store, world


@pytest.mark.parametrize("recipient", ["bkn", "kasn", "bawaslu", "all"])
def test_bulk_export_matches_the_row_by_row_definition(hostile_week, tmp_path, recipient):
    store, _ = hostile_week
    if recipient == "all":
        layout = parse_recipient(EVERY_FIELD, "all.toml")
        (tmp_path / "layouts").mkdir()
        (tmp_path / "layouts" / "all.toml").write_text(EVERY_FIELD, "utf-8")
        from pantau.config import get_settings
        settings = get_settings().model_copy(deep=True)
        settings.export.recipients_dir = tmp_path / "layouts"
    else:
        layout, settings = load_recipient(recipient), None
    expected, digests = _reference(store, layout)
    result = export_week(store, WEEK, recipient, tmp_path / "out", settings=settings)
    assert result.row_count > 30
    assert result.csv_path.read_bytes() == expected
    manifest = json.loads(result.manifest_path.read_text("utf-8"))
    assert manifest["row_sha256"] == digests


def test_small_batches_give_the_same_file_and_records(hostile_week, tmp_path, monkeypatch):
    """The file is built a batch at a time (several in flight): batches of a few rows give
    the same bytes, the same line digests, and every line recorded once, in order."""
    import pantau.export.render as render

    store, _ = hostile_week
    layout = load_recipient("bkn")
    expected, digests = _reference(store, layout)
    monkeypatch.setattr(render, "BATCH_ROWS", 5)
    result = export_week(store, WEEK, "bkn", tmp_path / "out")
    assert result.row_count > 30 and result.csv_path.read_bytes() == expected
    manifest = json.loads(result.manifest_path.read_text("utf-8"))
    assert manifest["row_sha256"] == digests
    assert store.rows("SELECT case_id, line, row_sha256 FROM export_rows ORDER BY line") == [
        (c, i + 2, digests[c]) for i, c in enumerate(manifest["case_ids"])]


def test_safe_column_is_safe_cell_on_every_hostile_text():
    values = list(HOSTILE) + list(RELIABILITY_HOSTILE) + [
        None, "", "plain words", " lead", "trail ", "two  spaces", "=1", "\uff1dSUM(A1)",
        "\u00a0-1", "'@x", "a\u2028b", "a\x1cb", "x\u200by", "\tTAB", "\r\n=1", "ok\u202eko",
        '"quoted"', "-", "naïve café", "😀 emoji",
    ]
    assert safe_column(values).to_pylist() == [safe_cell(v) for v in values]
    # other input forms: non-text values go through safe_cell one by one
    assert safe_column([1, None, 2.5]).to_pylist() == ["1", "", "2.5"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=" \"'=+-@ab.:/0\t\x7f", max_size=6),
                          st.text(alphabet=st.characters(max_codepoint=0x7e), max_size=8)),
                max_size=12),
       st.integers(0, 3))
def test_safe_column_on_ascii_columns_is_safe_cell(values, cut):
    """The printable-ASCII shortcut of `safe_column` (first and last byte, runs of spaces)
    gives what `safe_cell` gives, also on a slice of a column."""
    import pyarrow as pa

    column = pa.array(values, pa.string())
    if cut and len(values) > 2 * cut:
        column, values = column.slice(cut, len(values) - 2 * cut), values[cut:-cut]
    assert safe_column(column).to_pylist() == [safe_cell(v) for v in values]


@pytest.mark.parametrize("fmt, zone", [
    ("%Y-%m-%d %H:%M", "Asia/Jakarta"), ("%d/%m/%Y %H.%M.%S WIB", "Europe/Berlin"),
    ("%%%Y%%", "America/New_York"), ("tanggal", "Asia/Makassar"), ("%d %b %Y", "Asia/Jayapura"),
])
def test_time_columns_match_python_strftime_across_zones_and_dst(fmt, zone):
    """The bulk time formatting (Arrow date parts, or Python for other directives) gives what
    `format_time` gives for each value, across daylight-saving changes, with nulls empty."""
    import numpy as np
    import pyarrow as pa

    from pantau.export import Recipient
    from pantau.export.render import format_time, time_cells

    raw = np.datetime64("2024-03-10T03:00:00", "us") + (
        np.arange(3_000) * 9_700_000_003).astype("timedelta64[us]")
    stamps = pa.concat_arrays([pa.array(raw, pa.timestamp("us", tz="UTC")),
                               pa.array([None], pa.timestamp("us", tz="UTC"))])
    layout = Recipient("x", "x", (), date_format=fmt, timezone=zone)
    assert time_cells(stamps, layout).to_pylist() == [format_time(v, layout)
                                                  for v in stamps.to_pylist()]
