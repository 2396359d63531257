"""The week's cases: which were made exportable during the week, with everything their
rows show, checked (audit chain, evidence) once for every recipient's file."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from .. import evidence as evidence_archive, review_sql
from ..config import Settings
from ..csvsafe import safe_column
from ..errors import EvidenceError, ReviewError
from ..review import AuditReport, _person_key, cases_sql, check_evidence, verify_audit
from ..store import Store
from .layouts import IsoWeek, parse_week


def _select_cases(store: Store, week: IsoWeek, four_eyes: bool) -> pa.Table:
    """Every case made exportable during the week, with everything its row shows: one
    query, one Arrow table, in no particular order (`_export_order` gives the file's).

    A case made exportable in the week has a decision in the week, so only those cases'
    histories are worked out (`review_sql.states_sql`, the rules of `review.case_state`)."""
    touched = ("s.case_id IN (SELECT case_id FROM decisions "
               "WHERE decided_at >= $start AND decided_at < $end)")
    in_chosen = "case_id IN (SELECT case_id FROM chosen)"
    sql = review_sql.states_sql(touched, four_eyes) + f""",
chosen AS (
    SELECT * FROM states
    WHERE exportable_seq IS NOT NULL AND exportable_at >= $start AND exportable_at < $end
)
SELECT st.case_id, st.exportable_seq, st.exportable_at AS decided_at,
       array_to_string(st.confirmed_by, '; ') AS reviewers, st.notes,
       c.election_id, c.election_name, c.rule, c.stage, c.confidence, c.model_version,
       c.platform, c.activity_type, c.actor_handle, c.text, c.url, c.target_id, c.acted_at,
       c.evidence_id, c.nip,
       -- `field_values`' formatting, finished per distinct value in `field_cells`
       CASE WHEN c.candidate IS NOT NULL THEN
            CASE WHEN c.candidate BETWEEN 0 AND 9 THEN '0' ELSE '' END
            || CAST(c.candidate AS VARCHAR) || ' ' || coalesce(c.candidate_names, '')
       END AS candidate_text,
       CASE WHEN coalesce(c.target_author_handle, '') <> '' THEN
            coalesce(c.target_id, '') || ' (@' || c.target_author_handle || ')'
       END AS target_with_handle
FROM chosen st LEFT JOIN ({cases_sql(decisions=False, flags_where=in_chosen)}) c
     ON c.case_id = st.case_id"""
    with review_sql.person_keys(store, _person_key):
        return store.arrow(sql, {"start": week.start, "end": week.end})


# The registry's fields of the ASN, and where the export's evidence lies: looked up once per
# person or file (a person has many cases, a page many acts), not carried on every row.
PERSON_FIELDS = ("nip", "nama", "jabatan", "golongan", "instansi", "unit_kerja", "wilayah")


def _lookup(store: Store, keys: pa.Array, sql: str) -> pa.Table:
    """`sql`, a query over ``{keys}`` (one column, ``key``), for the distinct non-null `keys`."""
    with store.registered("_pantau_export_keys",
                          pa.table({"key": pc.unique(keys.drop_null())})) as view:
        return store.arrow(sql.format(keys=view))


def _people_of(store: Store, chosen: pa.Table) -> tuple[pa.Table, pa.Table]:
    """`chosen` with ``person_row`` (its ASN's row in the second table, null when not linked),
    and the `PERSON_FIELDS` of those people as spreadsheet-safe cells, made safe once each."""
    people = _lookup(store, chosen.column("nip").combine_chunks(),
                     f"SELECT {', '.join(PERSON_FIELDS)} FROM asn WHERE nip IN "
                     "(SELECT key FROM {keys})")
    rows = pc.index_in(chosen.column("nip"), people.column("nip"))
    cells = pa.table({f: safe_column(people.column(f)) for f in PERSON_FIELDS})
    return chosen.append_column("person_row", rows), cells


def _export_order(chosen: pa.Table) -> pa.Array:
    """Row positions in the order the cases were confirmed (ties by case id). The rows are
    taken in this order a batch at a time as the file is written: sorting the wide table
    itself, by DuckDB or Arrow, would copy all of it once more."""
    return pc.sort_indices(chosen, [("exportable_seq", "ascending"), ("case_id", "ascending")])


def _evidence_files(store: Store, chosen: pa.Table) -> pa.Table:
    """(sha256, path) of every archived response the cases point to (path null when the
    store has no evidence row for the hash)."""
    return _lookup(store, chosen.column("evidence_id").combine_chunks(),
                   "SELECT k.key AS sha256, e.path FROM {keys} k "
                   "LEFT JOIN evidence e ON e.sha256 = k.key")


def _check_evidence_files(home: Path, files: pa.Table, chosen: pa.Table,
                          order: pa.Array) -> None:
    """Re-hash each archived file once (one t.me/s page carries many acts); the first case
    (in export order) whose evidence does not verify stops the export, with the reason.

    One thread, run beside the rendering: for small files the per-file Python costs more
    than the hashing and threads only contend for the GIL; zlib and hashlib let the other
    threads run while a large file is hashed."""
    root = str(home)
    bad = {}
    for sha, path in zip(files.column("sha256").to_pylist(), files.column("path").to_pylist()):
        if not (path and evidence_archive.intact(root, sha, path)):
            check = check_evidence(home, sha, path)  # says why
            if check is not None and not check.verifies:
                bad[sha] = check
    if not bad:
        return
    in_order = chosen.select(["case_id", "evidence_id"]).take(order)
    for cid, ev in zip(*(in_order.column(c).to_pylist() for c in ("case_id", "evidence_id"))):
        if ev in bad:
            raise EvidenceError(f"case {cid}: evidence does not verify, not exported: "
                                f"{bad[ev].detail}")


@dataclass(slots=True)
class WeekRows:
    """What every recipient's file of one week is made from, checked once."""

    iso: IsoWeek
    audit: AuditReport               # verified
    chosen: pa.Table                 # `_select_cases`, with ``person_row``
    people: pa.Table                 # their ASN's fields (`_people_of`)
    order: pa.Array                  # `_export_order(chosen)`
    case_ids: list[str]              # in that order
    case_id_array: pa.Array          # the same, for Arrow
    evidence: Future[None]           # `_check_evidence_files`: waited for before publishing


def select_week(store: Store, week: str, settings: Settings, now: datetime | None,
                pool: ThreadPoolExecutor) -> WeekRows:
    """The week's cases, the audit chain verified; the evidence files are re-hashed in `pool`
    while the files are rendered (nothing is published before that check passes).

    The chain is verified on a second connection while the cases are selected: its hashing
    is Python's, the selection DuckDB's, so each runs while the other waits."""
    if store.read_only:
        raise ReviewError(f"{store.path}: an export is recorded in the store; open it read-write")
    iso = parse_week(week, now=now)
    with store.twin() as second:
        verified = pool.submit(verify_audit, second)
        try:
            chosen = _select_cases(store, iso, settings.review.four_eyes)
        finally:
            audit = verified.result()  # the twin is closed only once its query is done
    audit.raise_for_problems()
    order = _export_order(chosen)
    evidence = pool.submit(_check_evidence_files, store.path.parent,
                           _evidence_files(store, chosen), chosen, order)
    chosen, people = _people_of(store, chosen)
    ids = chosen.column("case_id").combine_chunks().take(order)
    return WeekRows(iso, audit, chosen, people, order, ids.to_pylist(), ids, evidence)
