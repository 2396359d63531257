"""Classify in batches: texts against one election, or the store's pending activities.

    from pantau.classify.pipeline import classify_texts, classify_pending
    flags = classify_texts(["Ayo coblos no 2 #PrabowoGibran"], election, at=datetime(2024, 1, 5))
    with Store.open() as store:
        summary = classify_pending(store)

Linking and masking run per text (precompiled regexes); the model runs once per batch.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa

from .. import timeutil
from ..config import get_settings
from ..elections import load_election, stage_window
from ..media.analyze import ImageAnalysis
from ..media.photos import activity_photos, caption_with_image_text, photo_flags_for
from ..records import Election, Flag, Stage, WatchAccount
from ..store import Store
from .linking import Linker, Links
from .model import TextModel
from .normalise import normalise
from .rules import Context, campaign_probability, content_flags, interaction_flag

CONTENT_TYPES = frozenset({"post", "comment", "share", "quote"})
DEFAULT_THRESHOLD = 0.5


def prepare(texts: Sequence[str], linker: Linker, election_id: str | None = None
            ) -> tuple[list[Links], list[str]]:
    """Normalise, link and mask each text: (links per text, model input per text)."""
    links = [linker.link("", election_id, normalised=normalise(t or "")) for t in texts]
    return links, [lk.masked() for lk in links]


def resolve_threshold(model: TextModel, threshold: float | None = None) -> float:
    """Explicit value, else settings.classifier.threshold, else the model's tuned one."""
    if threshold is not None:
        return threshold
    configured = get_settings().classifier.threshold
    if configured is not None:
        return configured
    return model.threshold if model.threshold is not None else DEFAULT_THRESHOLD


def stage_function(election: Election) -> Callable[[datetime | None], Stage]:
    """`elections.stage_at` with the window computed once (it is asked per activity).

    A missing date is outside every window (BEFORE): no rule applies without a date (the
    store's pending acts pass their observation time when the platform gives none).
    """
    window = stage_window(election)

    def stage(when: datetime | None) -> Stage:
        if when is None:
            return Stage.BEFORE
        when = timeutil.to_utc(when)
        if when < window.start:
            return Stage.BEFORE
        if when < window.determination:
            return Stage.BAKAL_CALON
        return Stage.CALON if when < window.end else Stage.AFTER

    return stage


def classify_texts(
    texts: Sequence[str],
    election: Election,
    *,
    at: datetime | None = None,
    dates: Sequence[datetime | None] | None = None,
    ids: Sequence[str] | None = None,
    model: TextModel | None = None,
    threshold: float | None = None,
    explain: bool = True,
    linker: Linker | None = None,
) -> list[list[Flag]]:
    """Flags for each text (content rules only). `dates[i]` or else `at` decides the stage.

    A text without a date (neither given) is outside every window and gets no flag.
    """
    model = model or TextModel.load()
    threshold = resolve_threshold(model, threshold)
    linker = linker or Linker(election)
    links, prepared = prepare(texts, linker, election.id)
    x = model.transform(prepared)
    proba = model.proba_from_features(x)
    classes = model.classes_
    stage_of = stage_function(election)
    out: list[list[Flag]] = []
    for i, link in enumerate(links):
        when = dates[i] if dates is not None and dates[i] is not None else at
        stage = stage_of(when)
        ctx = Context(ids[i] if ids is not None else f"row:{i}", election, stage, model.version,
                      threshold)
        out.append(_content(ctx, link, proba[i], classes, (x, i), model, explain))
    return out


def _content(ctx: Context, link: Links, row: np.ndarray, classes: list[str],
             features_row: tuple[Any, int], model: TextModel, explain: bool) -> list[Flag]:
    """Content flags of one text; `features_row` is (batch feature matrix, row index)."""
    if ctx.family is None or not link.signals:
        return []
    p = dict(zip(classes, (float(v) for v in row), strict=True))
    features: list[str] = []
    if explain and campaign_probability(p) >= 0.2:
        label = max(("support", "invitation", "attack"), key=lambda k: p.get(k, 0.0))
        features = model.explain_row(*features_row, label, k=4)
    return content_flags(ctx, link, p, features)


def strongest(flags: Sequence[Flag]) -> Flag | None:
    """The flag to show for an act: flagged first, then the highest confidence."""
    if not flags:
        return None
    return max(flags, key=lambda f: (f.flagged, f.confidence))


# --- the store -----------------------------------------------------------------------------


@dataclass(slots=True)
class PendingSummary:
    model_version: str
    elections: list[str] = field(default_factory=list)
    activities: int = 0            # (activity, election) pairs classified now
    flags: int = 0
    flagged: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)

    def record(self, flags: list[Flag], done: dict[str, int]) -> None:
        """Count one written batch."""
        self.activities += len(done)
        self.flags += len(flags)
        for f in flags:
            self.flagged += f.flagged
            self.by_rule[f.rule] = self.by_rule.get(f.rule, 0) + 1

    def merged(self, later: PendingSummary) -> PendingSummary:
        """This pass and a later one of the same model as one summary."""
        both = PendingSummary(later.model_version,
                              list(dict.fromkeys(self.elections + later.elections)),
                              self.activities + later.activities, self.flags + later.flags,
                              self.flagged + later.flagged, dict(self.by_rule))
        for rule, count in later.by_rule.items():
            both.by_rule[rule] = both.by_rule.get(rule, 0) + count
        return both


def pending_sql(activities: str = "activities") -> str:
    """The query of the pending activities (parameters: window start, window end, election id,
    model version) among `activities`: the table, or a parenthesised query of its rows (one
    commit group's, `classify.alongside`: narrowed before the joins, not after)."""
    return f"""
SELECT a.activity_id, a.platform, a.type, a.actor_handle, a.target_id, a.target_author_id,
       a.target_author_handle, a.text, a.created_at, a.observed_at, a.media_count
FROM {activities} a
-- an act without a platform date (a follow, a Mastodon favourite) is judged when observed
WHERE coalesce(a.created_at, a.observed_at) >= ? AND coalesce(a.created_at, a.observed_at) < ?
  -- two EXISTS rather than one with an OR inside: each is a hash join; the OR made it a
  -- nested loop (activities x accounts), hours at a million activities of 100,000 accounts
  AND (EXISTS (SELECT 1 FROM accounts c WHERE c.platform = a.platform
                 AND c.handle = lower(ltrim(a.actor_handle, '@')))
       OR EXISTS (SELECT 1 FROM accounts c WHERE c.platform = a.platform
                 AND c.platform_id IS NOT NULL AND c.platform_id = a.actor_id))
  AND NOT EXISTS (SELECT 1 FROM classifications k WHERE k.activity_id = a.activity_id
        AND k.election_id = ? AND k.model_version = ?
        -- a photo of the act analysed after it was classified: classify it again
        AND NOT EXISTS (SELECT 1 FROM media_analyses m
              WHERE a.media IS NOT NULL AND m.status = 'ok'
                AND m.analyzed_at > k.classified_at
                AND list_contains(list_transform(CAST(a.media AS JSON[]),
                                  x -> json_extract_string(x, '$.sha256')), m.sha256)))
ORDER BY a.activity_id
"""


PENDING_SQL = pending_sql()

# The pending set is decided once (its ids, ordered, as one Arrow column: ~50 bytes per
# activity) and its rows read batch by batch: a backlog of a million activities read into one
# DataFrame took several GiB; this keeps one batch of rows in memory at a time.
_PENDING_IDS_SQL = f"SELECT activity_id FROM ({PENDING_SQL}) ORDER BY activity_id"
_PENDING_ROWS_SQL = """
SELECT a.activity_id, a.platform, a.type, a.actor_handle, a.target_id, a.target_author_id,
       a.target_author_handle, a.text, a.created_at, a.observed_at, a.media_count
FROM activities a WHERE a.activity_id IN (SELECT unnest(?))
ORDER BY a.activity_id
"""


def pending_batches(store: Store, params: Sequence[Any], batch_size: int
                    ) -> tuple[int, Iterator[list[dict[str, Any]]]]:
    """(how many are pending, their rows in batches of `batch_size`) for `PENDING_SQL` with
    `params` (window start, window end, election id, model version); rows as
    `DataFrame.to_dict("records")` gives them, which is what `classify_rows` reads."""
    ids = store.arrow(_PENDING_IDS_SQL, list(params)).column(0)

    def batches() -> Iterator[list[dict[str, Any]]]:
        for start in range(0, len(ids), batch_size):
            chunk = ids.slice(start, batch_size).to_pylist()
            yield store.df(_PENDING_ROWS_SQL, [chunk]).to_dict("records")

    return len(ids), batches()


def watch_index(store: Store, election: Election) -> tuple[dict, dict]:
    """(platform, handle or id) -> WatchAccount, and (platform, post id) -> WatchAccount of
    posts written by watch-listed accounts (the targets of likes and shares)."""
    accounts: dict[tuple[str, str], WatchAccount] = {}
    for acc in election.accounts:
        accounts[(acc.platform, acc.handle.lower().lstrip("@"))] = acc
    for platform, handle, pid in store.rows(
        "SELECT platform, handle, platform_id FROM watch_accounts "
        "WHERE election_id = ? AND platform_id IS NOT NULL", [election.id]
    ):
        acc = accounts.get((platform, handle.lower().lstrip("@")))
        if acc is not None:
            accounts[(platform, pid)] = acc
    posts: dict[tuple[str, str], WatchAccount] = {}
    if accounts:
        # Only the watch-listed accounts' own acts are read (the same test as below, done by
        # the database): reading every act of a store of a million ASN posts into Python took
        # hundreds of MiB and most of the time.
        keys = [f"{platform}\x1f{key}" for platform, key in accounts]
        for platform, handle, actor_id, native_id, activity_id in store.rows(
            "SELECT platform, actor_handle, actor_id, native_id, activity_id FROM activities "
            "WHERE type IN ('post', 'share', 'quote', 'comment') AND ("
            "list_contains(?, platform || chr(31) || lower(ltrim(coalesce(actor_handle, ''), "
            "'@'))) OR list_contains(?, platform || chr(31) || coalesce(actor_id, '')))",
            [keys, keys]
        ):
            acc = accounts.get((platform, (handle or "").lower().lstrip("@"))) or accounts.get(
                (platform, actor_id or ""))
            if acc is not None:
                for key in (native_id, activity_id):
                    if key:
                        posts[(platform, key)] = acc
    return accounts, posts


def _interaction(row: dict[str, Any], accounts: dict, posts: dict) -> tuple[WatchAccount, str] | None:
    platform = row["platform"]
    for value, via in ((row["target_author_handle"], "target_author_handle"),
                       (row["target_author_id"], "target_author_id"),
                       (row["target_id"], "target_id")):
        if value:
            acc = accounts.get((platform, str(value).lower().lstrip("@"))) or accounts.get(
                (platform, str(value)))
            if acc is not None:
                return acc, via
    if row["target_id"]:
        acc = posts.get((platform, str(row["target_id"])))
        if acc is not None:
            return acc, "target_post"
    return None


def classify_pending(
    store: Store,
    *,
    model: TextModel | None = None,
    batch_size: int | None = None,
    threshold: float | None = None,
    election_ids: Sequence[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PendingSummary:
    """Classify activities of registered ASN not yet classified with this model.

    For each loaded election whose window covers the act's date; writes `flags` and
    `classifications` in bulk, one transaction per batch. Running it again does nothing new;
    a new model version classifies everything again beside the old results.
    """
    model = model or TextModel.load()
    threshold = resolve_threshold(model, threshold)
    batch_size = batch_size or get_settings().classifier.batch_size
    ids = list(election_ids) if election_ids is not None else [
        r[0] for r in store.rows("SELECT election_id FROM elections ORDER BY 1")]
    summary = PendingSummary(model.version, ids)
    for eid in ids:
        election = load_election(store, eid)
        window = stage_window(election)
        linker = Linker(election)
        accounts, posts = watch_index(store, election)
        total, batches = pending_batches(
            store, [window.start, window.end, eid, model.version], batch_size)
        for start, batch in zip(range(0, total, batch_size), batches, strict=True):
            photos = activity_photos(store, [r["activity_id"] for r in batch])
            flags, done = classify_rows(batch, election, linker, model, threshold,
                                          accounts, posts, photos)
            write_results(store, flags, done, eid, model.version)
            summary.record(flags, done)
            if progress is not None:
                progress(min(start + batch_size, total), total)
    return summary


def classify_rows(rows: list[dict[str, Any]], election: Election, linker: Linker,
                    model: TextModel, threshold: float, accounts: dict, posts: dict,
                    photos: dict[str, list[ImageAnalysis]] | None = None,
                    ) -> tuple[list[Flag], dict[str, int]]:
    photos = photos or {}
    # The text of a photo post is its caption plus the text read in its images ("[gambar]
    # ..."): a shared poster is judged like campaign text.
    texts = [caption_with_image_text(r["text"] or "", photos.get(r["activity_id"], []))
             if r["type"] in CONTENT_TYPES else "" for r in rows]
    links, prepared = prepare(texts, linker, election.id)
    has_text = [i for i, t in enumerate(texts) if t.strip()]
    # A batch of likes and follows only has no text for the model (which refuses 0 rows).
    x = model.transform([prepared[i] for i in has_text]) if has_text else None
    proba = model.proba_from_features(x) if has_text else None
    row_of = {i: j for j, i in enumerate(has_text)}
    classes = model.classes_
    stage_of = stage_function(election)
    flags: list[Flag] = []
    done: dict[str, int] = {}
    for i, row in enumerate(rows):
        created = _moment(row["created_at"])
        # The stage of an act the platform gives no time for (follows, Mastodon favourites,
        # shares seen only in a reposted-by list) is the stage when we observed it: the act
        # existed then, so a follow observed during the campaign is a follow during it.
        when = created if created is not None else _moment(row["observed_at"])
        ctx = Context(row["activity_id"], election, stage_of(when), model.version,
                      threshold, row["type"], int(row["media_count"] or 0))
        found: list[Flag] = []
        hit = _interaction(row, accounts, posts)
        target_is_campaign = False
        if i in row_of:
            j = row_of[i]
            content = _content(ctx, links[i], proba[j], classes, (x, j), model, True)
            found.extend(content)
            target_is_campaign = any(f.flagged for f in content)
        if hit is not None:
            flag = interaction_flag(ctx, hit[0], via=hit[1], target_is_campaign=target_is_campaign)
            if flag is not None:
                found.append(flag)
        if row["type"] in CONTENT_TYPES and row["activity_id"] in photos:
            # Hand poses and campaign text in the images (KE-05 / DS-07).
            found.extend(photo_flags_for(
                row["activity_id"], row["text"] or "", photos[row["activity_id"]], election,
                when=when, linker=linker, model_version=model.version))
        if created is None:   # tell the reviewer which time decided the stage
            for f in found:
                f.signals["dated_by"] = "observed_at"
        # One flag per case (rule + candidate): keep the most confident.
        unique: dict[str, Flag] = {}
        for f in found:
            if f.case_id not in unique or f.confidence > unique[f.case_id].confidence:
                unique[f.case_id] = f
        flags.extend(unique.values())
        done[row["activity_id"]] = len(unique)
    return flags, done


def _moment(value: Any) -> datetime | None:
    """A timestamp cell of a DataFrame row as a datetime; None for NULL (NaT)."""
    if value is None or value != value:   # NaT is the one timestamp unequal to itself
        return None
    return value.to_pydatetime() if hasattr(value, "to_pydatetime") else value


_FLAG_SCHEMA = pa.schema([
    ("case_id", pa.string()), ("model_version", pa.string()), ("activity_id", pa.string()),
    ("election_id", pa.string()), ("rule", pa.string()), ("stage", pa.string()),
    ("candidate", pa.int32()), ("confidence", pa.float64()), ("flagged", pa.bool_()),
    ("reason_id", pa.string()), ("reason_en", pa.string()), ("signals", pa.string()),
    ("classified_at", pa.timestamp("us", tz="UTC")),
])
_CLASSIFIED_SCHEMA = pa.schema([
    ("activity_id", pa.string()), ("election_id", pa.string()), ("model_version", pa.string()),
    ("classified_at", pa.timestamp("us", tz="UTC")), ("n_flags", pa.int32()),
])


def flags_table(flags: Sequence[Flag], classified_at: datetime) -> pa.Table:
    cols: dict[str, list[Any]] = {name: [] for name in _FLAG_SCHEMA.names}
    for f in flags:
        cols["case_id"].append(f.case_id)
        cols["model_version"].append(f.model_version)
        cols["activity_id"].append(f.activity_id)
        cols["election_id"].append(f.election_id)
        cols["rule"].append(f.rule)
        cols["stage"].append(f.stage)
        cols["candidate"].append(f.candidate)
        cols["confidence"].append(f.confidence)
        cols["flagged"].append(f.flagged)
        cols["reason_id"].append(f.reason_id)
        cols["reason_en"].append(f.reason_en)
        cols["signals"].append(json.dumps(f.signals, ensure_ascii=False, default=str))
        cols["classified_at"].append(classified_at)
    return pa.table(cols, schema=_FLAG_SCHEMA)


def write_results(store: Store, flags: list[Flag], done: dict[str, int], election_id: str,
           version: str) -> None:
    now = timeutil.utcnow()
    classified = pa.table({
        "activity_id": list(done), "election_id": [election_id] * len(done),
        "model_version": [version] * len(done), "classified_at": [now] * len(done),
        "n_flags": list(done.values()),
    }, schema=_CLASSIFIED_SCHEMA)
    # `update`: an act classified again (a photo analysed since) replaces its earlier rows.
    with store.transaction():
        if flags:
            store.upsert("flags", flags_table(flags, now), key=["case_id", "model_version"],
                         update=True)
        store.upsert("classifications", classified,
                     key=["activity_id", "election_id", "model_version"], update=True)


__all__ = ["PENDING_SQL", "PendingSummary", "classify_pending", "classify_rows",
           "classify_texts", "flags_table", "pending_batches", "pending_sql", "prepare",
           "resolve_threshold", "strongest", "watch_index", "write_results"]
