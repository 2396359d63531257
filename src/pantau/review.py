"""Reviewing flags: the notebook API and the append-only, hash-chained audit trail.

    from pantau.review import open_store, queue, show_case, decide, verify_audit
    store = open_store()                        # read-only: safe beside a running collection
    q = queue(store, agency="Dinas Pendidikan", min_confidence=0.7)
    show_case(store, q.case_id[0])              # rich text in a terminal, HTML in Jupyter
    store.close()
    with open_store(read_only=False) as rw:     # recording needs write access
        decide(rw, case_id, "confirmed", reviewer="Sari", note="caption calls to vote")

A *case* is one rule about one activity for one election (`records.case_id_for`); its id stays
the same across model versions and the newest classification is the one shown. A case of a
post with photos carries them in `Case.photos` (`media.casephotos.CasePhoto`: archive check,
hands, image text, the photo flags; in HTML an annotated preview). A flag is an
allegation until a person decides: `decide` appends a row to `decisions`, never updates one.
Each row carries ``hash = sha256(prev_hash + canonical JSON of its fields)`` (the first
``prev_hash`` is 64 zeros), so editing, deleting, reordering or slipping in a row breaks the
chain and `verify_audit` says where. A chain can always be cut at its end without breaking a
link, so the newest head is also written beside the database (``<db>.audit-head.json``) and
into every export manifest; `verify_audit` checks the table against both.

The latest decision on a case stands. With ``settings.review.four_eyes`` a confirmation only
counts once two *different* reviewers have confirmed after the last non-confirming decision.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from . import evidence as evidence_archive
from . import review_sql
from .config import Settings, get_settings
from .errors import AuditError, EvidenceError, ReviewError
from .fsutil import write_atomic
from .media.casephotos import CasePhoto, case_photos
from .records import Decision, Verdict
from .rules_table import RULES
from .store import Store
from .timeutil import show, to_utc, utcnow

GENESIS_HASH = "0" * 64
STATUSES = ("open", "confirmed", "dismissed", "needs_more_info", "awaiting_second", "all")
EXCERPT_CHARS = 160

_DEC_CTE = """dec AS (
    SELECT case_id, count(*) AS n_decisions,
           arg_max(verdict, seq) AS last_verdict,
           arg_max(reviewer, seq) AS last_reviewer,
           arg_max(decided_at, seq) AS last_decided_at,
           min(decided_at) AS first_decided_at
    FROM decisions GROUP BY case_id
)"""
_DEC_COLUMNS = """,
       coalesce(d.n_decisions, 0) AS n_decisions, d.last_verdict, d.last_reviewer,
       d.last_decided_at, d.first_decided_at"""
_DEC_JOIN = "LEFT JOIN dec d ON d.case_id = f.case_id\n"


# The newest flag row of every case (the latest model's view), the ASN behind the actor (a
# platform-id match beats a handle match; handles are stored lower case without '@'), and
# the decision summary. Everything the queue, a case page and the export show comes from here.
def cases_sql(*, decisions: bool = True, flags_where: str = "true") -> str:
    """`CASES_SQL`; without the decision summary columns when `decisions` is False (the
    export has its own, and summarising every decision costs a pass over the table), and
    only for the flags matching `flags_where` (a condition on ``flags``)."""
    dec_cte, dec_cols, dec_join = ",\n" + _DEC_CTE, _DEC_COLUMNS, _DEC_JOIN
    if not decisions:
        dec_cte = dec_cols = dec_join = ""
    return f"""
WITH latest_key AS (
    -- Chosen on the key columns only, then joined back: carrying whole flag rows through
    -- the grouping costs more. (case_id, model_version) is the primary key. A grouping, not
    -- a window: no sort.
    SELECT case_id, arg_max(model_version, (classified_at, model_version)) AS model_version
    FROM flags WHERE {flags_where} GROUP BY case_id
),
latest_flag AS (
    SELECT f.* FROM flags f JOIN latest_key k USING (case_id, model_version)
),
-- Two equality joins, not one join ON (id match OR handle match): DuckDB runs an OR
-- condition as a nested loop over activities x accounts (10 s for 30k x 3k, so every
-- case page and `review decide` took that long). Only the actors of flagged activities are
-- looked up, each once: a channel's thousand posts share one link.
flagged_actors AS (
    SELECT DISTINCT a.platform, a.actor_id, lower(ltrim(a.actor_handle, '@')) AS handle
    FROM activities a WHERE a.activity_id IN (SELECT activity_id FROM latest_flag)
),
linked AS (
    SELECT platform, actor_id, handle, arg_min_null(nip, (by_handle, account_handle)) AS nip
    FROM (
        SELECT fa.*, acc.nip, acc.handle AS account_handle, 0 AS by_handle
        FROM flagged_actors fa
        JOIN accounts acc ON acc.platform = fa.platform AND acc.platform_id = fa.actor_id
        UNION ALL
        SELECT fa.*, acc.nip, acc.handle AS account_handle, 1 AS by_handle
        FROM flagged_actors fa
        JOIN accounts acc ON acc.platform = fa.platform AND acc.handle = fa.handle
    )
    GROUP BY platform, actor_id, handle
){dec_cte}
SELECT f.case_id, f.election_id, e.name AS election_name, f.rule, f.stage, f.candidate,
       array_to_string(c.names, ' – ') AS candidate_names,
       f.confidence, f.flagged, f.model_version, f.reason_id, f.reason_en,
       CAST(f.signals AS VARCHAR) AS signals, f.classified_at,
       f.activity_id, a.platform, a.type AS activity_type, a.actor_id, a.actor_handle,
       a.text, a.url, a.target_id, a.target_author_handle,
       -- likes and follows carry no time of their own: when we saw them is the best we know
       coalesce(a.created_at, a.observed_at) AS acted_at,
       a.created_at IS NULL AS acted_at_is_observed,
       a.evidence_id, ev.path AS evidence_path,
       p.nip, p.nama, p.jabatan, p.golongan, p.instansi, p.unit_kerja, p.wilayah{dec_cols}
FROM latest_flag f
LEFT JOIN activities a ON a.activity_id = f.activity_id
LEFT JOIN elections e ON e.election_id = f.election_id
LEFT JOIN candidates c ON c.election_id = f.election_id AND c.number = f.candidate
LEFT JOIN linked l ON l.platform = a.platform AND l.actor_id IS NOT DISTINCT FROM a.actor_id
     AND l.handle IS NOT DISTINCT FROM lower(ltrim(a.actor_handle, '@'))
LEFT JOIN asn p ON p.nip = l.nip
LEFT JOIN evidence ev ON ev.sha256 = a.evidence_id
{dec_join}"""


CASES_SQL = cases_sql()


# --- opening ---------------------------------------------------------------------------------


def open_store(
    path: str | Path | None = None, *, read_only: bool = True, settings: Settings | None = None
) -> Store:
    """Open the store; read-only by default (reading never blocks on, or risks, the data).

    A notebook holding a read-only store must `close()` it before opening read-write to
    `decide` (DuckDB allows one writer, or readers, per file).
    """
    return Store.open(path, settings=settings, read_only=read_only)


# --- decisions and the audit chain -----------------------------------------------------------


@dataclass(slots=True)
class AuditedDecision(Decision):
    """A recorded decision: a `records.Decision` with its place in the audit chain."""

    seq: int = 0
    prev_hash: str = ""
    hash: str = ""


def _iso(value: datetime) -> str:
    return to_utc(value).isoformat(timespec="microseconds")


def decision_hash(
    prev_hash: str,
    seq: int,
    case_id: str,
    verdict: str,
    reviewer: str,
    note: str | None,
    decided_at: datetime,
) -> str:
    """sha256(prev_hash + canonical JSON of the decision's fields), hex."""
    fields = {
        "case_id": case_id,
        "decided_at": _iso(decided_at),
        "note": note or "",
        "reviewer": reviewer,
        "seq": int(seq),
        "verdict": verdict,
    }
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def _anchor_path(store: Store) -> Path:
    return store.path.with_name(store.path.name + ".audit-head.json")


def _write_anchor(store: Store, seq: int, digest: str) -> None:
    """Record the chain head outside the database (atomically): cutting the tail shows."""
    path = _anchor_path(store)
    write_atomic(path, (json.dumps({"seq": seq, "hash": digest}) + "\n").encode("utf-8"),
                 what="audit head", private_parent=True)


def _decision_rows(store: Store, case_ids: Sequence[str] | None = None) -> list[AuditedDecision]:
    sql = (
        "SELECT case_id, verdict, reviewer, note, decided_at, seq, prev_hash, hash "
        "FROM decisions"
    )
    params: list[Any] = []
    if case_ids is not None:
        sql += " WHERE case_id IN (SELECT unnest(?))"
        params.append(list(case_ids))
    sql += " ORDER BY seq"
    return [
        AuditedDecision(
            case_id=r[0], verdict=r[1], reviewer=r[2], note=r[3] or "",
            decided_at=to_utc(r[4]), seq=r[5], prev_hash=r[6], hash=r[7],
        )
        for r in store.rows(sql, params)
    ]


def _verdict(value: str | Verdict) -> str:
    text = str(value).strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return Verdict(text).value
    except ValueError:
        known = ", ".join(v.value for v in Verdict)
        raise ReviewError(f"unknown verdict {value!r} (one of: {known})") from None


def decide(
    store: Store,
    case_id: str,
    verdict: str | Verdict,
    reviewer: str,
    note: str = "",
    *,
    now: datetime | None = None,
) -> AuditedDecision:
    """Append one decision on a case to the audit chain and return it.

    Refuses a read-only store, an unknown case (a unique prefix of at least 6 characters is
    accepted), an unknown verdict and an empty reviewer name. Nothing is ever updated.
    """
    if store.read_only:
        raise ReviewError(
            f"{store.path}: the store is open read-only; close it and use "
            "open_store(read_only=False) to record a decision"
        )
    verdict = _verdict(verdict)
    reviewer = " ".join(str(reviewer or "").split())
    if not reviewer:
        raise ReviewError("a decision needs the reviewer's name (--reviewer)")
    note = str(note or "").strip()
    decided_at = to_utc(now) if now is not None else utcnow()
    with store.transaction():
        case_id = resolve_case_id(store, case_id)
        # The head row gives both links of the chain: its hash, and max(seq) + 1 inside the
        # transaction (not a sequence: a DuckLake store has no sequences).
        head = store.rows("SELECT seq, hash FROM decisions ORDER BY seq DESC LIMIT 1")
        seq = int(head[0][0]) + 1 if head else 1
        prev_hash = head[0][1] if head else GENESIS_HASH
        digest = decision_hash(prev_hash, seq, case_id, verdict, reviewer, note, decided_at)
        row = {
            "seq": seq, "case_id": case_id, "verdict": verdict, "reviewer": reviewer,
            "note": note, "decided_at": decided_at, "prev_hash": prev_hash, "hash": digest,
        }
        store.upsert("decisions", [row], key=["seq"])
    _write_anchor(store, seq, digest)
    return AuditedDecision(
        case_id=case_id, verdict=verdict, reviewer=reviewer, note=note,
        decided_at=decided_at, seq=seq, prev_hash=prev_hash, hash=digest,
    )


@dataclass(frozen=True, slots=True)
class AuditProblem:
    seq: int | None
    kind: str                       # altered | broken_link | cut | anchor
    detail: str

    def __str__(self) -> str:
        where = f"decision #{self.seq}" if self.seq is not None else "audit chain"
        return f"{where}: {self.kind}: {self.detail}"


@dataclass(slots=True)
class AuditReport:
    n_decisions: int
    head_seq: int | None
    head_hash: str
    problems: list[AuditProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_for_problems(self) -> None:
        if self.problems:
            shown = "; ".join(str(p) for p in self.problems[:5])
            more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
            raise AuditError(
                f"audit chain does not verify: {len(self.problems)} problem(s): {shown}{more}"
            )

    def __str__(self) -> str:
        if self.ok:
            head = f"#{self.head_seq} {self.head_hash[:16]}…" if self.head_seq else "empty"
            lines = [f"audit chain OK: {self.n_decisions} decision(s), head {head}"]
        else:
            lines = [f"audit chain BROKEN: {len(self.problems)} problem(s)"]
            lines += [f"  {p}" for p in self.problems]
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def verify_audit(store: Store, *, raise_on_error: bool = False) -> AuditReport:
    """Re-hash the whole decision chain and check it against the recorded heads.

    Reports rows whose content no longer matches their hash (altered), rows whose prev_hash
    is not the previous row's hash (deleted, reordered or inserted out of chain), and a chain
    shorter than a head recorded in the anchor file or an export manifest (cut at the end).
    """
    count, head_seq, head_hash, suspects = review_sql.chain_suspects(store, GENESIS_HASH)
    problems: list[AuditProblem] = []
    warnings: list[str] = []
    # SQL re-hashes every row at once; only the rows it flags are judged here, with the
    # Python hash (the definition). Each row is checked against the stored hash of the row
    # before it, so one edited row is one problem, not a cascade.
    for (seq, case_id, verdict, reviewer, note, decided_at, prev_hash, digest, before_seq,
         before_hash) in suspects:
        if prev_hash != (before_hash if before_seq is not None else GENESIS_HASH):
            after = f"decision #{before_seq}" if before_seq is not None else \
                "the start of the chain"
            problems.append(AuditProblem(
                seq, "broken_link",
                f"prev_hash does not match {after}: a decision was deleted, reordered or "
                "inserted out of chain",
            ))
        expected = decision_hash(prev_hash, seq, case_id, verdict, reviewer, note,
                                 to_utc(decided_at))
        if digest != expected:
            problems.append(AuditProblem(
                seq, "altered", "the row's content does not match its hash (edited in place)"
            ))

    heads: list[tuple[str, int, str]] = []
    anchor = _anchor_path(store)
    if anchor.is_file():
        try:
            data = json.loads(anchor.read_text("utf-8"))
            heads.append((str(anchor), int(data["seq"]), str(data["hash"])))
        except (ValueError, KeyError, TypeError):
            problems.append(AuditProblem(None, "anchor", f"{anchor}: unreadable head record"))
    elif count:
        warnings.append(f"{anchor}: no head record beside the database; a cut at the end of "
                        "the chain would go unnoticed")
    # Only the recorded head is read (by DuckDB): a manifest of a big export is ~100 MB.
    for path, seq, digest in store.rows(
        "SELECT path, CAST(json_extract(manifest, '$.audit_head.seq') AS BIGINT), "
        "json_extract_string(manifest, '$.audit_head.hash') FROM exports ORDER BY created_at"
    ):
        if seq is not None:
            heads.append((f"export {path}", int(seq), str(digest)))
    by_seq = review_sql.hashes_at(store, sorted({seq for _, seq, _ in heads}))
    for source, seq, digest in heads:
        if seq not in by_seq:
            problems.append(AuditProblem(
                seq, "cut", f"recorded as the chain head in {source} but no longer in the table"
            ))
        elif by_seq[seq] != digest:
            problems.append(AuditProblem(
                seq, "anchor", f"hash differs from the head recorded in {source}"
            ))

    report = AuditReport(
        n_decisions=count,
        head_seq=head_seq,
        head_hash=head_hash if count else GENESIS_HASH,
        problems=problems,
        warnings=warnings,
    )
    if raise_on_error:
        report.raise_for_problems()
    return report


# --- case state ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseState:
    """Where a case stands after its decisions."""

    status: str                     # open | confirmed | dismissed | needs_more_info | awaiting_second
    exportable: bool
    exportable_at: datetime | None  # the decision that made it exportable
    exportable_seq: int | None
    confirmed_by: tuple[str, ...]   # reviewers of the standing confirmation, in order


def _person_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def case_state(decisions: Sequence[Decision], four_eyes: bool) -> CaseState:
    """The standing verdict of a case from its decisions (oldest first).

    Only the trailing run of `confirmed` decisions counts: a dismissal or a request for more
    information resets it. The case becomes exportable at the decision where that run first
    has one reviewer (two different ones in four-eyes mode); later confirmations do not move
    it, so each confirmed case belongs to exactly one export week.
    """
    if not decisions:
        return CaseState("open", False, None, None, ())
    run: list[Decision] = []
    for d in reversed(decisions):
        if d.verdict != Verdict.CONFIRMED.value:
            break
        run.append(d)
    run.reverse()
    if not run:
        return CaseState(decisions[-1].verdict, False, None, None, ())
    needed = 2 if four_eyes else 1
    seen: dict[str, str] = {}
    made: Decision | None = None
    for d in run:
        seen.setdefault(_person_key(d.reviewer), d.reviewer)
        if made is None and len(seen) >= needed:
            made = d
    confirmers = tuple(seen.values())
    if made is None:
        return CaseState("awaiting_second", False, None, None, confirmers)
    return CaseState(
        "confirmed", True, made.decided_at, getattr(made, "seq", None), confirmers
    )


def case_states(
    store: Store, case_ids: Sequence[str] | None = None, *, four_eyes: bool | None = None
) -> dict[str, CaseState]:
    """`case_state` for every decided case (or the given ones); undecided cases are absent."""
    if four_eyes is None:
        four_eyes = get_settings().review.four_eyes
    table = review_sql.case_state_table(store, case_ids, four_eyes, _person_key)
    return {
        row["case_id"]: CaseState(
            row["status"], row["exportable_seq"] is not None,
            to_utc(row["exportable_at"]) if row["exportable_at"] is not None else None,
            row["exportable_seq"], tuple(row["confirmed_by"]))
        for row in table.to_pylist()
    }


# --- the queue -------------------------------------------------------------------------------


def excerpt(text: str | None, limit: int = EXCERPT_CHARS) -> str:
    """Whitespace collapsed to single spaces, cut at a word boundary with '…' past `limit`."""
    flat = " ".join((text or "").split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip() + "…"


def _display_tz(settings: Settings | None) -> ZoneInfo:
    return ZoneInfo((settings or get_settings()).display_timezone)


def resolve_case_id(store: Store, case_id: str) -> str:
    """The full case id for an id or a unique prefix of at least 6 characters."""
    text = str(case_id or "").strip().lower()
    if len(text) < 6:
        raise ReviewError(f"case id {case_id!r} is too short: give at least 6 characters")
    found = [r[0] for r in store.rows(
        "SELECT DISTINCT case_id FROM flags WHERE starts_with(case_id, ?) ORDER BY 1 LIMIT 3",
        [text],
    )]
    if text in found:
        return text
    if not found:
        raise ReviewError(f"unknown case {case_id!r} (see `pantau review list`)")
    if len(found) > 1:
        raise ReviewError(f"case id {case_id!r} is ambiguous ({', '.join(found)}, …)")
    return found[0]


def _as_list(value: str | Iterable[str] | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def cases_frame(
    store: Store,
    *,
    election: str | None = None,
    agency: str | None = None,
    region: str | None = None,
    platform: str | Iterable[str] | None = None,
    rule: str | Iterable[str] | None = None,
    min_confidence: float | None = None,
    case_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Every case (newest flag row each) with its activity, ASN and decision summary, raw.

    `agency` and `region` match case-insensitively anywhere in the name; `platform` and
    `rule` match exactly (one value or a list). The queue, case pages and export use this.
    """
    where: list[str] = []
    params: list[Any] = []
    if election:
        where.append("election_id = ?")
        params.append(election)
    if agency:
        where.append("instansi ILIKE ?")
        params.append(f"%{agency}%")
    if region:
        where.append("wilayah ILIKE ?")
        params.append(f"%{region}%")
    if (platforms := _as_list(platform)) is not None:
        where.append("platform IN (SELECT unnest(?))")
        params.append([p.strip().lower() for p in platforms])
    if (rules := _as_list(rule)) is not None:
        where.append("rule IN (SELECT unnest(?))")
        params.append([r.strip().upper() for r in rules])
    if min_confidence is not None:
        where.append("confidence >= ?")
        params.append(float(min_confidence))
    if case_ids is not None:
        where.append("case_id IN (SELECT unnest(?))")
        params.append(list(case_ids))
    sql = f"SELECT * FROM ({CASES_SQL}) cases"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return store.df(sql + " ORDER BY case_id", params)


QUEUE_COLUMNS = [
    "case_id", "rule", "candidate", "confidence", "stage", "acted_at", "platform",
    "activity_type", "actor_handle", "nip", "nama", "instansi", "wilayah", "excerpt", "url",
    "status", "last_verdict", "last_reviewer", "last_decided_at", "first_decided_at",
    "n_decisions", "exportable", "election_id", "model_version", "flagged",
]


def queue(
    store: Store,
    *,
    election: str | None = None,
    agency: str | None = None,
    region: str | None = None,
    platform: str | Iterable[str] | None = None,
    rule: str | Iterable[str] | None = None,
    min_confidence: float | None = None,
    status: str = "open",
    limit: int | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """The review queue: one row per case, most confident first.

    `status`: ``open`` (no decision yet), ``confirmed`` (exportable), ``dismissed``,
    ``needs_more_info``, ``awaiting_second`` (four-eyes: one confirmation so far) or ``all``.
    Cases below the classifier's threshold appear only once someone has decided on them.
    Times (`acted_at`, `*_decided_at`) are in the display time zone (WIB by default).
    """
    if status not in STATUSES:
        raise ReviewError(f"unknown status {status!r} (one of: {', '.join(STATUSES)})")
    if limit is not None and limit < 0:
        raise ReviewError("limit must be 0 or more")
    settings = settings or get_settings()
    df = cases_frame(
        store, election=election, agency=agency, region=region, platform=platform, rule=rule,
        min_confidence=min_confidence,
    )
    df = df[df["flagged"].astype(bool) | (df["n_decisions"] > 0)]
    states = case_states(store, list(df["case_id"]), four_eyes=settings.review.four_eyes)
    df = df.assign(
        status=[states[c].status if c in states else "open" for c in df["case_id"]],
        exportable=[c in states and states[c].exportable for c in df["case_id"]],
        excerpt=[excerpt(t) for t in df["text"]],
    )
    if status != "all":
        df = df[df["status"] == status]
    tz = _display_tz(settings)
    for column in ("acted_at", "last_decided_at", "first_decided_at"):
        df[column] = pd.to_datetime(df[column], utc=True).dt.tz_convert(tz)
    df = df.sort_values(["confidence", "acted_at", "case_id"], ascending=[False, False, True])
    if limit is not None:
        df = df.head(limit)
    return df[QUEUE_COLUMNS].reset_index(drop=True)


# --- one case --------------------------------------------------------------------------------


@dataclass(slots=True)
class EvidenceCheck:
    sha256: str
    path: Path | None               # absolute path of the archived file
    verifies: bool
    detail: str                     # "ok" or what is wrong


def check_evidence(home: Path, sha256: str | None, rel_path: str | None) -> EvidenceCheck | None:
    """Re-hash an archived response (None when the activity has no evidence)."""
    if not sha256:
        return None
    if not rel_path:
        return EvidenceCheck(sha256, None, False, "no evidence row in the store for this hash")
    path = home / rel_path
    try:
        evidence_archive.read_evidence(home, {"sha256": sha256, "path": rel_path})
    except EvidenceError as exc:
        return EvidenceCheck(sha256, path, False, str(exc))
    return EvidenceCheck(sha256, path, True, "ok")


def _safe_url(url: str | None) -> str | None:
    """Only http(s) links become clickable: a post's URL is not ours to trust."""
    return url if url and re.match(r"^https?://", url, re.IGNORECASE) else None


@dataclass(slots=True)
class Case:
    """Everything a reviewer needs to decide one case."""

    case_id: str
    election_id: str
    election_name: str | None
    rule: str
    rule_description_id: str
    rule_description_en: str
    stage: str
    candidate: int | None
    candidate_names: str | None
    confidence: float
    flagged: bool
    model_version: str
    reason_id: str
    reason_en: str
    signals: dict[str, Any]
    activity_id: str
    platform: str | None
    activity_type: str | None
    actor_handle: str | None
    target: str | None              # what was liked/shared/followed, with its author
    text: str
    url: str | None
    acted_at: datetime | None       # UTC
    acted_at_display: str           # in the display time zone
    person: dict[str, Any] | None   # nip, nama, jabatan, golongan, instansi, unit_kerja, wilayah
    evidence: EvidenceCheck | None
    decisions: list[AuditedDecision]
    state: CaseState
    display_tz: str = "Asia/Jakarta"
    photos: list[CasePhoto] = field(default_factory=list)  # the activity's photos, in order

    def _when(self, value: datetime | None) -> str:
        return show(value, ZoneInfo(self.display_tz))

    def _signal_lines(self) -> list[str]:
        return [f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in self.signals.items()]

    def __str__(self) -> str:
        p = self.person or {}
        who = (
            f"{p.get('nama')} (NIP {p.get('nip')}) — {p.get('jabatan') or '-'}, "
            f"{p.get('golongan') or '-'}; {p.get('instansi') or '-'} / "
            f"{p.get('unit_kerja') or '-'}; {p.get('wilayah') or '-'}"
            if p else "not linked to a registered ASN"
        )
        cand = f"{self.candidate:02d} {self.candidate_names or ''}".strip() if self.candidate else "-"
        lines = [
            f"case {self.case_id}  [{self.state.status}]",
            f"rule      {self.rule} ({self.stage}): {self.rule_description_id}",
            f"          {self.rule_description_en}",
            f"election  {self.election_name or self.election_id}; candidate {cand}",
            f"model     {self.model_version}, confidence {self.confidence:.2f}"
            + ("" if self.flagged else " (below threshold)"),
            f"ASN       {who}",
            f"act       {self.activity_type} on {self.platform} by @{self.actor_handle} "
            f"at {self.acted_at_display}",
            f"target    {self.target or '-'}",
            f"link      {self.url or '-'}",
            "text      " + (self.text or "").replace("\n", "\n          "),
            f"reason    {self.reason_id}",
            f"          {self.reason_en}",
        ]
        if self.signals:
            lines.append("signals   " + "\n          ".join(self._signal_lines()))
        if self.evidence is None:
            lines.append("evidence  none archived")
        else:
            e = self.evidence
            mark = "verifies" if e.verifies else f"DOES NOT VERIFY: {e.detail}"
            lines.append(f"evidence  {e.path or '-'}\n          sha256 {e.sha256} — {mark}")
        for i, photo in enumerate(self.photos, 1):
            lines.append(f"photo {i:<3} " + "\n          ".join(photo.text_lines(self.case_id)))
        if self.decisions:
            lines.append("decisions")
            for d in self.decisions:
                note = f" — {d.note}" if d.note else ""
                lines.append(f"  #{d.seq} {self._when(d.decided_at)} {d.verdict} by {d.reviewer}{note}")
        else:
            lines.append("decisions none yet")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        p = self.person or {}
        url = _safe_url(self.url)
        link = f'<a href="{esc(url)}" target="_blank" rel="noopener">{esc(url)}</a>' if url else esc(self.url or "-")
        person = (
            "<br>".join(esc(str(x)) for x in (
                f"{p.get('nama')} — NIP {p.get('nip')}",
                f"{p.get('jabatan') or '-'}, {p.get('golongan') or '-'}",
                f"{p.get('instansi') or '-'} / {p.get('unit_kerja') or '-'}",
                p.get("wilayah") or "-",
            )) if p else "<i>not linked to a registered ASN</i>"
        )
        if self.evidence is None:
            ev = "none archived"
        else:
            e = self.evidence
            ok = ('<span style="color:green">verifies</span>' if e.verifies
                  else f'<b style="color:red">does not verify: {esc(e.detail)}</b>')
            ev = f"<code>{esc(str(e.path or '-'))}</code><br>sha256 <code>{esc(e.sha256)}</code> {ok}"
        decisions = "".join(
            f"<li>#{d.seq} {esc(self._when(d.decided_at))} <b>{esc(d.verdict)}</b> by "
            f"{esc(d.reviewer)}{' — ' + esc(d.note) if d.note else ''}</li>"
            for d in self.decisions
        ) or "<li>none yet</li>"
        signals = "<br>".join(esc(s) for s in self._signal_lines()) or "-"
        rows = [
            ("rule", f"<b>{esc(self.rule)}</b> ({esc(self.stage)}): {esc(self.rule_description_id)}"
                     f"<br><i>{esc(self.rule_description_en)}</i>"),
            ("election", esc(f"{self.election_name or self.election_id}; candidate "
                             f"{self.candidate or '-'} {self.candidate_names or ''}")),
            ("model", esc(f"{self.model_version}, confidence {self.confidence:.2f}")),
            ("ASN", person),
            ("act", esc(f"{self.activity_type} on {self.platform} by @{self.actor_handle} "
                        f"at {self.acted_at_display}")),
            ("target", esc(self.target or "-")),
            ("link", link),
            ("text", f'<div style="white-space:pre-wrap">{esc(self.text or "")}</div>'),
            ("reason", f"{esc(self.reason_id)}<br><i>{esc(self.reason_en)}</i>"),
            ("signals", signals),
            ("evidence", ev),
            *((f"photo {i}", photo.to_html(self.case_id))
              for i, photo in enumerate(self.photos, 1)),
            ("decisions", f"<ul style='margin:0'>{decisions}</ul>"),
        ]
        body = "".join(
            f'<tr><th style="text-align:left;vertical-align:top">{k}</th>'
            f'<td style="text-align:left">{v}</td></tr>' for k, v in rows
        )
        return (f"<div><h4>case <code>{esc(self.case_id)}</code> "
                f"[{esc(self.state.status)}]</h4><table>{body}</table></div>")


def _none(value: Any) -> Any:
    """pandas' missing values (NaN, NaT, <NA>) as None."""
    try:
        return None if pd.isna(value) else value
    except (TypeError, ValueError):
        return value


def _target(target_id: str | None, author: str | None) -> str | None:
    if not target_id and not author:
        return None
    return f"{target_id or ''} (@{author})".strip() if author else target_id


def show_case(
    store: Store, case_id: str, *, settings: Settings | None = None, thumbnails: bool = True
) -> Case:
    """One case with its activity, ASN, reasons, evidence check, photos and earlier decisions.

    Each photo of the activity comes with its archive check, the hands and text found in it,
    the photo flags it raised and (unless `thumbnails=False`) an annotated preview for HTML.
    """
    settings = settings or get_settings()
    case_id = resolve_case_id(store, case_id)
    row = {k: _none(v) for k, v in cases_frame(store, case_ids=[case_id]).iloc[0].items()}
    decisions = _decision_rows(store, [case_id])
    tz = _display_tz(settings)
    acted_at = to_utc(row["acted_at"].to_pydatetime()) if row["acted_at"] is not None else None
    rule = RULES.get(row["rule"])
    person = None
    if row["nip"] is not None:
        person = {k: row[k] for k in ("nip", "nama", "jabatan", "golongan", "instansi",
                                       "unit_kerja", "wilayah")}
    shown = show(acted_at, tz) if acted_at else "unknown"
    if row["acted_at_is_observed"]:
        shown += " (when observed; the platform gives no time for this act)"
    return Case(
        case_id=case_id,
        election_id=row["election_id"],
        election_name=row["election_name"],
        rule=row["rule"],
        rule_description_id=rule.description_id if rule else row["rule"],
        rule_description_en=rule.description_en if rule else row["rule"],
        stage=row["stage"],
        candidate=int(row["candidate"]) if row["candidate"] is not None else None,
        candidate_names=row["candidate_names"],
        confidence=float(row["confidence"]),
        flagged=bool(row["flagged"]),
        model_version=row["model_version"],
        reason_id=row["reason_id"],
        reason_en=row["reason_en"],
        signals=json.loads(row["signals"]) if row["signals"] else {},
        activity_id=row["activity_id"],
        platform=row["platform"],
        activity_type=row["activity_type"],
        actor_handle=row["actor_handle"],
        target=_target(row["target_id"], row["target_author_handle"]),
        text=row["text"] or "",
        url=row["url"],
        acted_at=acted_at,
        acted_at_display=shown,
        person=person,
        evidence=check_evidence(store.path.parent, row["evidence_id"], row["evidence_path"]),
        decisions=decisions,
        state=case_state(decisions, settings.review.four_eyes),
        display_tz=str(tz),
        photos=case_photos(store, row["activity_id"], thumbnails=thumbnails)
        if row["activity_id"] is not None else [],
    )

