"""The SQL statement of the decision rules agrees with the Python definition.

`review.case_state` (one case, Python) defines where a case stands; `review.case_states` and
the export use `review_sql.states_sql` for many cases at once. `review.verify_audit` re-hashes
the chain in SQL and judges suspects in Python. Random histories (hypothesis), with reviewer
names that differ only in case and spacing, notes with quotes, control characters and
non-ASCII text, and tampered rows, must give the same answers as the Python loops.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pantau.records import Decision
from pantau.review import (
    GENESIS_HASH, _person_key, case_state, case_states, decision_hash, verify_audit,
)
from pantau.review_sql import case_state_table
from pantau.store import Store

REVIEWERS = ["Ani", "ani ", " ANI", "Budi  Santoso", "budi santoso", "Çiğdem", "Straße",
             "STRASSE"]
NOTES = ["", "", "ok", 'kata "kutip"', "baris\nbaru", "tab\there", "\x01ctl", "é ü 中文",
         "\u2028sep", "back\\slash", "  "]
VERDICTS = ["confirmed", "confirmed", "confirmed", "dismissed", "needs_more_info"]
T0 = datetime(2024, 11, 18, 1, 0, tzinfo=UTC)

decision = st.tuples(st.integers(0, 3), st.sampled_from(VERDICTS), st.sampled_from(REVIEWERS),
                     st.sampled_from(NOTES))


def _fill(store: Store, history: list[tuple[int, str, str, str]]) -> list[dict]:
    rows, prev = [], GENESIS_HASH
    for seq, (case, verdict, reviewer, note) in enumerate(history, start=1):
        at = T0 + timedelta(minutes=seq, microseconds=seq * 7)
        digest = decision_hash(prev, seq, f"case{case}", verdict, reviewer, note, at)
        rows.append({"seq": seq, "case_id": f"case{case}", "verdict": verdict,
                     "reviewer": reviewer, "note": note, "decided_at": at,
                     "prev_hash": prev, "hash": digest})
        prev = digest
    store.con.execute("DELETE FROM decisions")
    if rows:
        store.upsert("decisions", pa.Table.from_pylist(rows, schema=pa.schema([
            ("seq", pa.int64()), ("case_id", pa.string()), ("verdict", pa.string()),
            ("reviewer", pa.string()), ("note", pa.string()),
            ("decided_at", pa.timestamp("us", tz="UTC")), ("prev_hash", pa.string()),
            ("hash", pa.string())])))
    return rows


def _python_states(rows: list[dict], four_eyes: bool) -> dict[str, tuple]:
    by_case: dict[str, list] = {}
    for r in rows:
        by_case.setdefault(r["case_id"], []).append(
            Decision(r["case_id"], r["verdict"], r["reviewer"], r["note"], r["decided_at"]))
    out = {}
    for cid, ds in by_case.items():
        state = case_state(ds, four_eyes)
        seq = None
        if state.exportable_at is not None:
            seq = next(r["seq"] for r in rows
                       if r["case_id"] == cid and r["decided_at"] == state.exportable_at)
        notes: list[str] = []
        for r in rows:  # the export's notes: the standing run up to the deciding decision
            if r["case_id"] != cid or seq is None or r["seq"] > seq:
                continue
            if r["verdict"] != "confirmed":
                notes = []
            elif r["note"]:
                notes.append(r["note"])
        out[cid] = (state.status, state.exportable, state.exportable_at, seq,
                    state.confirmed_by, " | ".join(notes))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=st.lists(decision, max_size=14), four_eyes=st.booleans())
def test_case_states_in_sql_match_the_python_rule(tmp_path_factory, history, four_eyes):
    home = tmp_path_factory.mktemp("states")
    with Store.open(home / "pantau.duckdb") as store:
        rows = _fill(store, history)
        expected = _python_states(rows, four_eyes)
        got = case_states(store, four_eyes=four_eyes)
        assert {c: (s.status, s.exportable, s.exportable_at, s.exportable_seq, s.confirmed_by)
                for c, s in got.items()} == {c: v[:5] for c, v in expected.items()}
        table = case_state_table(store, None, four_eyes, _person_key).to_pylist()
        assert {r["case_id"]: r["notes"] for r in table} == {
            c: v[5] for c, v in expected.items()}


def _python_audit(rows: list[dict]) -> list[tuple[int, str]]:
    """The original per-row audit loop: (seq, kind) of every problem, in order."""
    problems, prev = [], GENESIS_HASH
    for r in rows:
        if r["prev_hash"] != prev:
            problems.append((r["seq"], "broken_link"))
        if r["hash"] != decision_hash(r["prev_hash"], r["seq"], r["case_id"], r["verdict"],
                                      r["reviewer"], r["note"], r["decided_at"]):
            problems.append((r["seq"], "altered"))
        prev = r["hash"]
    return problems


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=st.lists(decision, min_size=1, max_size=12),
       tamper=st.lists(st.tuples(st.integers(0, 11), st.sampled_from(
           ["note", "verdict", "delete", "reviewer", "time"])), max_size=3))
def test_audit_in_sql_finds_what_the_python_loop_finds(tmp_path_factory, history, tamper):
    home = tmp_path_factory.mktemp("audit")
    with Store.open(home / "pantau.duckdb") as store:
        rows = _fill(store, history)
        for index, how in tamper:
            if index >= len(rows):
                continue
            seq = rows[index]["seq"]
            if how == "delete":
                store.con.execute("DELETE FROM decisions WHERE seq = ?", [seq])
            elif how == "time":
                store.con.execute("UPDATE decisions SET decided_at = decided_at + INTERVAL 1 "
                                  "MICROSECOND WHERE seq = ?", [seq])
            else:
                value = {"note": "diubah\x07", "verdict": "dismissed", "reviewer": "Orang Lain"}
                store.con.execute(f"UPDATE decisions SET {how} = ? WHERE seq = ?",
                                  [value[how], seq])
        left = [dict(zip(["seq", "case_id", "verdict", "reviewer", "note", "decided_at",
                          "prev_hash", "hash"], r)) for r in store.rows(
            "SELECT seq, case_id, verdict, reviewer, coalesce(note, ''), decided_at, "
            "prev_hash, hash FROM decisions ORDER BY seq")]
        report = verify_audit(store)
        got = [(p.seq, p.kind) for p in report.problems if p.kind in {"broken_link", "altered"}]
        assert got == _python_audit(left)
        assert report.n_decisions == len(left)
        assert report.head_seq == (left[-1]["seq"] if left else None)


def test_sql_hash_matches_python_hash_for_ordinary_text(tmp_path):
    """No suspects at all on an untouched chain of ordinary (non-control) text: the SQL hash is
    the Python hash, so the Python fallback stays for rare rows only."""
    from pantau.review_sql import chain_suspects

    history = [(i % 3, "confirmed", REVIEWERS[i % 6], NOTES[i % 6]) for i in range(30)]
    with Store.open(tmp_path / "pantau.duckdb") as store:
        _fill(store, [h for h in history if "\x01" not in h[3]])
        count, _, _, suspects = chain_suspects(store, GENESIS_HASH)
        assert count > 20
        assert suspects == []


def test_chain_checked_in_seq_order_whatever_the_storage_order(tmp_path):
    """The chain is judged in seq order even when the rows are stored out of it (a restored
    backup, a DuckLake merge): shuffled storage is no problem, a swapped pair of hashes is."""
    import random

    from pantau.review_sql import chain_suspects

    history = [(i % 4, "confirmed", REVIEWERS[i % 3], "") for i in range(40)]
    with Store.open(tmp_path / "pantau.duckdb") as store:
        rows = _fill(store, history)
        shuffled = rows[:]
        random.Random(7).shuffle(shuffled)
        store.con.execute("DELETE FROM decisions")
        store.upsert("decisions", pa.Table.from_pylist(shuffled))
        count, head_seq, head_hash, suspects = chain_suspects(store, GENESIS_HASH)
        assert (count, head_seq, head_hash, suspects) == (40, 40, rows[-1]["hash"], [])
        store.con.execute("UPDATE decisions SET prev_hash = 'x' WHERE seq = 17")
        assert [s[0] for s in chain_suspects(store, GENESIS_HASH)[3]] == [17]
