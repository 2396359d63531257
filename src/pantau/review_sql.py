"""The decision history worked out in SQL, for every case at once.

`review.case_state` defines where one case stands after its decisions, in Python, for one
list of decisions. The review queue and the weekly export need it for up to millions of cases,
and `review.verify_audit` re-hashes the whole audit chain: one Python object per decision made
a 1,000,000-row export spend most of its time here. This module states the same rules as
DuckDB queries over the ``decisions`` table (tests check both agree on random histories).

The one piece SQL does not do as Python does is the reviewer identity (`review._person_key`:
`str.split` whitespace and `str.casefold`), so it is computed in Python for the few distinct
reviewer names and joined in as a small table (`person_keys`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from . import arrowbytes
from .store import Store

PERSON_KEYS = "pantau_person_keys"


@contextmanager
def person_keys(store: Store, key: Callable[[str], str]) -> Iterator[None]:
    """Register ``pantau_person_keys(reviewer, person)`` for every reviewer name in the store."""
    names = [r[0] for r in store.rows("SELECT DISTINCT reviewer FROM decisions")]
    with store.registered(PERSON_KEYS, pa.table({
        "reviewer": pa.array(names, pa.string()),
        "person": pa.array([key(n) for n in names], pa.string()),
    })):
        yield


def states_sql(where: str, four_eyes: bool) -> str:
    """CTEs ending in ``states(case_id, status, exportable_seq, exportable_at, confirmed_by,
    notes)`` over the decisions matching `where` (a condition on ``s``, the decisions row;
    it must take every decision of a case or none).

    As `review.case_state`: only the trailing run of confirmations counts (after the last
    decision of another verdict); the case becomes exportable at the decision where that run
    first holds one reviewer (two different people in four-eyes mode). ``notes`` are the
    non-empty notes of that run up to the deciding decision, ``' | '``-joined (the export's).
    A case with one decision, the usual case, is read off that decision in the grouping pass;
    only cases with several go through the run, reviewer and notes steps.
    Needs `person_keys` registered.
    """
    needed = 2 if four_eyes else 1
    single_confirmed = "'confirmed'" if needed == 1 else "'awaiting_second'"
    exportable = "t.last_verdict = 'confirmed'" if needed == 1 else "false"
    return f"""
WITH d AS (
    SELECT s.case_id, s.seq, s.verdict, s.reviewer, coalesce(s.note, '') AS note,
           s.decided_at
    FROM decisions s WHERE {where}
),
tail AS (
    SELECT case_id, count(*) AS n, max(seq) AS last_seq, arg_max(verdict, seq) AS last_verdict,
           coalesce(max(seq) FILTER (WHERE verdict <> 'confirmed'), -1) AS run_after,
           -- the decision itself when it is the only one
           arg_max(reviewer, seq) AS last_reviewer, arg_max(note, seq) AS last_note,
           arg_max(decided_at, seq) AS last_at
    FROM d GROUP BY case_id
),
run AS (
    SELECT d.*, k.person FROM d
    JOIN tail t ON t.case_id = d.case_id AND t.n > 1 AND d.seq > t.run_after
    JOIN {PERSON_KEYS} k ON k.reviewer = d.reviewer
),
firsts AS (
    SELECT case_id, person, min(seq) AS first_seq, arg_min(reviewer, seq) AS spelled
    FROM run GROUP BY case_id, person
),
made AS (
    -- The first two reviewers by name, the rare others sorted afterwards: an ordered
    -- aggregate (list ... ORDER BY) over every case costs more than the rest of this query.
    SELECT case_id, max(first_seq) FILTER (WHERE n = {needed}) AS made_seq,
           list_concat(list_filter([max(spelled) FILTER (WHERE n = 1),
                                    max(spelled) FILTER (WHERE n = 2)], x -> x IS NOT NULL),
                       coalesce(list_transform(list_sort(
                                    list(struct_pack(n := n, name := spelled)) FILTER (WHERE n > 2)),
                                x -> x.name), []::VARCHAR[])) AS confirmed_by
    FROM (SELECT *, row_number() OVER (PARTITION BY case_id ORDER BY first_seq) AS n
          FROM firsts)
    GROUP BY case_id
),
run_notes AS (
    SELECT r.case_id, string_agg(r.note, ' | ' ORDER BY r.seq) AS notes
    FROM run r JOIN made m USING (case_id)
    WHERE r.note <> '' AND r.seq <= m.made_seq
    GROUP BY r.case_id
),
states AS (
    SELECT t.case_id,
           CASE WHEN t.last_verdict = 'confirmed' THEN {single_confirmed}
                ELSE t.last_verdict END AS status,
           CASE WHEN {exportable} THEN t.last_seq END AS exportable_seq,
           CASE WHEN {exportable} THEN t.last_at END AS exportable_at,
           CASE WHEN t.last_verdict = 'confirmed' THEN [t.last_reviewer]
                ELSE []::VARCHAR[] END AS confirmed_by,
           CASE WHEN {exportable} THEN t.last_note ELSE '' END AS notes
    FROM tail t WHERE t.n = 1
    UNION ALL
    SELECT t.case_id,
           CASE WHEN m.case_id IS NULL THEN t.last_verdict
                WHEN m.made_seq IS NULL THEN 'awaiting_second'
                ELSE 'confirmed' END AS status,
           m.made_seq AS exportable_seq, x.decided_at AS exportable_at,
           coalesce(m.confirmed_by, []::VARCHAR[]) AS confirmed_by,
           coalesce(n.notes, '') AS notes
    FROM tail t
    LEFT JOIN made m ON m.case_id = t.case_id
    LEFT JOIN run x ON x.seq = m.made_seq
    LEFT JOIN run_notes n ON n.case_id = t.case_id
    WHERE t.n > 1
)"""


def case_state_table(store: Store, case_ids: Sequence[str] | None, four_eyes: bool,
                     key: Callable[[str], str]) -> pa.Table:
    """`states_sql` for the given cases (all decided cases when None), as one Arrow table."""
    where, params = "true", []
    if case_ids is not None:
        where, params = "s.case_id IN (SELECT unnest(?))", [list(case_ids)]
    with person_keys(store, key):
        return store.arrow(f"{states_sql(where, four_eyes)} SELECT * FROM states", params)


# prev_hash + the canonical JSON `review.decision_hash` hashes, built by DuckDB (its to_json
# escaping matches json.dumps(ensure_ascii=False) for ordinary text) and hashed by Python's
# hashlib (`arrowbytes.sha256_each`), five times faster than DuckDB's sha256. A row whose
# escaping differs (rare control characters) comes out as a suspect and is re-hashed by
# `decision_hash` itself, so the verdict is always Python's. One concat, and the UTC time formatted from its microseconds
# (a plain TIMESTAMP): `||` chains and an ICU time zone conversion cost twice as much.
_HASHED_TEXT = """concat(prev_hash, '{"case_id":', to_json(case_id), ',"decided_at":"',
    strftime(make_timestamp(epoch_us(decided_at)), '%Y-%m-%dT%H:%M:%S.%f'),
    '+00:00","note":', to_json(coalesce(note, '')), ',"reviewer":', to_json(reviewer),
    ',"seq":', seq, ',"verdict":', to_json(verdict), '}')"""

_SUSPECT_ROWS = """
    SELECT seq, case_id, verdict, reviewer, coalesce(note, ''), decided_at, prev_hash, hash,
           before_seq, before_hash
    FROM (SELECT *, lag(seq) OVER w AS before_seq, lag(hash) OVER w AS before_hash
          FROM decisions WINDOW w AS (ORDER BY seq))
    WHERE seq IN (SELECT unnest(?)) ORDER BY seq"""


def chain_suspects(store: Store, genesis: str) -> tuple[int, Any, Any, list[tuple]]:
    """(decisions, head seq, head hash, suspects): the rows whose hash is not reproduced from
    their content or whose ``prev_hash`` is not the previous row's hash, with what Python needs
    to judge them: (seq, case_id, verdict, reviewer, note, decided_at, prev_hash, hash,
    before_seq, before_hash), in chain order."""
    table = store.arrow(f"SELECT seq, prev_hash, hash, {_HASHED_TEXT} AS hashed FROM decisions")
    # Chain order and the links are worked out in Arrow: a window (lag over seq) in DuckDB
    # sorts on one thread.
    seq = table.column("seq")
    if len(seq) > 1 and not pc.all(pc.greater(seq[1:], seq[:-1])).as_py():
        table = table.take(pc.sort_indices(seq))
        seq = table.column("seq")
    hashes = table.column("hash")
    digests = arrowbytes.sha256_each(table.column("hashed").combine_chunks())
    altered = pc.fill_null(pc.not_equal(hashes, pa.array(digests, pa.string())), True)
    # the previous row's hash (the genesis for the first row, and after a row without one)
    previous = [pa.array([genesis], pa.string()), *hashes[:-1].chunks] if len(hashes) else []
    expected = pc.fill_null(pa.chunked_array(previous, pa.string()), genesis)
    unlinked = pc.fill_null(pc.not_equal(table.column("prev_hash"), expected), True)
    chosen = pc.filter(seq, pc.or_(altered, unlinked)).to_pylist()
    count = len(seq)
    head_seq, head_hash = (seq[-1].as_py(), hashes[-1].as_py()) if count else (None, None)
    return count, head_seq, head_hash, store.rows(_SUSPECT_ROWS, [chosen]) if chosen else []


def hashes_at(store: Store, seqs: Sequence[int]) -> dict[int, str]:
    """seq -> hash for the given positions of the chain (the recorded heads)."""
    if not seqs:
        return {}
    return dict(store.rows("SELECT seq, hash FROM decisions WHERE seq IN (SELECT unnest(?))",
                           [list(seqs)]))
