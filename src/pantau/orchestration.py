"""What the scheduled flows share beyond glue: batching the work, the previous week, run reports.

Prefect-free on purpose: `pantau.flows` wraps these in tasks, and `pantau demo` (or a notebook)
can call them directly and print the same markdown.

    plan = plan_collection(store, ["telegram"], batch_size=50)     # -> [CollectBatch, ...]
    week = previous_week()                                          # "2024-W47" (WIB)
    text = collect_markdown(CollectReport.of(plan, summaries), by_rule={"DS-08": 3})
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from .collectors.runner import PLATFORMS, RunSummary, work_list
from .sharding import Shard, select
from .store import Store
from .timeutil import WIB, to_utc, utcnow

if TYPE_CHECKING:
    from .classify.pipeline import PendingSummary
    from .evidence import VerifyReport
    from .export import ExportResult
    from .retention import PurgeReport

T = TypeVar("T")

# How many problems a report lists before it says "and N more": artifacts stay readable.
MAX_LISTED = 20


def batches(items: Sequence[T], size: int) -> list[list[T]]:
    """`items` cut into lists of at most `size`, in order."""
    if size <= 0:
        raise ValueError(f"batch size must be positive, not {size}")
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


@dataclass(frozen=True, slots=True)
class CollectBatch:
    """Some accounts of one platform: the work of one collection task."""

    platform: str
    index: int                   # 1-based within the platform
    total: int                   # batches of this platform
    handles: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.platform} {self.index}/{self.total}"


def plan_collection(store: Store, platforms: Iterable[str] | None = None,
                    batch_size: int = 50, shard: Shard | None = None) -> list[CollectBatch]:
    """The work list (registered ASN + watch-listed accounts) as batches per platform.

    With `shard`, only the accounts that shard owns (`pantau.sharding`: a stable hash of the
    account, so N workers with shards 0..N-1 of N split the list with no overlap or loss).
    """
    chosen = list(platforms) if platforms else list(PLATFORMS)
    targets = work_list(store, chosen, None)
    if shard is not None:
        targets = select(targets, shard)
    plan: list[CollectBatch] = []
    for platform in chosen:
        handles = sorted({t.handle for t in targets if t.platform == platform})
        parts = batches(handles, batch_size)
        plan += [CollectBatch(platform, i, len(parts), tuple(p)) for i, p in enumerate(parts, 1)]
    return plan


def previous_week(now: datetime | None = None, tz: ZoneInfo = WIB) -> str:
    """The ISO week before the one `now` falls in, in `tz` (the export runs Monday morning)."""
    day = to_utc(now or utcnow()).astimezone(tz).date() - timedelta(days=7)
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def flagged_by_rule(store: Store, since: datetime) -> dict[str, int]:
    """Flags that entered the review queue since `since`, per rule code."""
    rows = store.rows("SELECT rule, count(*) FROM flags WHERE flagged AND classified_at >= ? "
                      "GROUP BY rule ORDER BY rule", [to_utc(since)])
    return {rule: int(n) for rule, n in rows}


# --- reports -----------------------------------------------------------------------------------


@dataclass(slots=True)
class PlatformTotals:
    batches: int = 0
    accounts: int = 0
    pages: int = 0
    new: int = 0
    seen: int = 0
    quarantined: int = 0
    requests: int = 0
    retries: int = 0


@dataclass(slots=True)
class CollectReport:
    """The collection runs of one flow run, added up per platform."""

    platforms: dict[str, PlatformTotals] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)       # fetch/parse errors, naming the URL
    refused: list[str] = field(default_factory=list)      # refused/hidden/skipped sources
    failed: list[str] = field(default_factory=list)       # batches that raised

    @classmethod
    def of(cls, done: Iterable[tuple[CollectBatch, RunSummary]],
           failed: Iterable[tuple[CollectBatch, str]] = ()) -> CollectReport:
        report = cls()
        for batch, s in done:
            t = report.platforms.setdefault(batch.platform, PlatformTotals())
            t.batches += 1
            t.accounts += s.accounts
            t.pages += s.pages
            t.new += s.activities_new
            t.seen += s.activities_seen
            t.quarantined += s.quarantined
            t.requests += s.requests
            t.retries += s.retries
            report.errors += s.errors
            report.refused += s.refused + s.hidden + s.skipped
        for batch, reason in failed:
            report.platforms.setdefault(batch.platform, PlatformTotals()).batches += 1
            report.failed.append(f"{batch.label}: {reason}")
        return report

    @property
    def new(self) -> int:
        return sum(t.new for t in self.platforms.values())

    def as_dict(self) -> dict[str, Any]:
        return {"new": self.new,
                "platforms": {p: {k: getattr(t, k) for k in t.__slots__}
                              for p, t in self.platforms.items()},
                "errors": len(self.errors), "refused": len(self.refused),
                "failed": list(self.failed)}


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|])")


def md(text: object) -> str:
    """Text made inert in markdown (a post URL or error cannot add links, HTML or table cells)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def _listing(title: str, items: Sequence[str]) -> list[str]:
    if not items:
        return []
    lines = ["", f"**{title}** ({len(items)})", ""]
    lines += [f"- {md(item)}" for item in items[:MAX_LISTED]]
    if len(items) > MAX_LISTED:
        lines.append(f"- … and {len(items) - MAX_LISTED} more")
    return lines


def _rules_table(by_rule: Mapping[str, int]) -> list[str]:
    if not by_rule:
        return ["", "No new flags entered the review queue."]
    lines = ["", "| rule | flagged |", "|---|---:|"]
    lines += [f"| {md(rule)} | {n} |" for rule, n in sorted(by_rule.items())]
    return lines


def classify_lines(summary: PendingSummary | None, by_rule: Mapping[str, int],
                   error: str | None = None) -> list[str]:
    if error is not None:
        return ["", "## Classification", "", f"Failed: {md(error)}"]
    if summary is None:
        return []
    lines = ["", "## Classification", "",
             f"Model `{md(summary.model_version)}`, {len(summary.elections)} election(s): "
             f"{summary.activities} (activity, election) pair(s) classified, "
             f"{summary.flags} flag row(s), {summary.flagged} entered the review queue."]
    return lines + _rules_table(by_rule)


def collect_markdown(report: CollectReport, summary: PendingSummary | None = None,
                     by_rule: Mapping[str, int] | None = None,
                     classify_error: str | None = None) -> str:
    lines = ["# Collection", "",
             "| platform | batches | accounts | pages | new | already seen | quarantined "
             "| requests | retries |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for platform, t in sorted(report.platforms.items()):
        lines.append(f"| {platform} | {t.batches} | {t.accounts} | {t.pages} | {t.new} | "
                     f"{t.seen} | {t.quarantined} | {t.requests} | {t.retries} |")
    if not report.platforms:
        lines.append("| (no accounts to collect) | | | | | | | | |")
    lines += _listing("Batches failed", report.failed)
    lines += _listing("Errors", report.errors)
    lines += _listing("Refused, hidden or skipped", report.refused)
    lines += classify_lines(summary, by_rule or {}, classify_error)
    return "\n".join(lines) + "\n"


def classify_markdown(summary: PendingSummary, by_rule: Mapping[str, int]) -> str:
    return "\n".join(classify_lines(summary, by_rule)).lstrip("\n").replace(
        "## Classification", "# Classification", 1) + "\n"


def export_markdown(week: str, results: Sequence[ExportResult],
                    failed: Sequence[str] = ()) -> str:
    lines = [f"# Weekly export {md(week)}", "",
             "| recipient | cases | status | file | manifest |", "|---|---:|---|---|---|"]
    for r in results:
        lines.append(f"| {md(r.recipient)} | {r.row_count} | {r.status} r{r.revision} | "
                     f"{md(r.csv_path)} | {md(r.manifest_path.name)} |")
    lines += _listing("Recipients failed", list(failed))
    return "\n".join(lines) + "\n"


def maintenance_markdown(purge: PurgeReport | None, verify: VerifyReport | None,
                         errors: Sequence[str] = ()) -> str:
    lines = ["# Maintenance"]
    if purge is not None:
        lines += ["", "## Retention purge", "",
                  f"Cutoff {purge.cutoff:%Y-%m-%d %H:%M} UTC.", "",
                  "| what | count |", "|---|---:|",
                  f"| activities purged | {purge.activities} |",
                  f"| classifications purged | {purge.classifications} |",
                  f"| unflagged flag rows purged | {purge.flags} |",
                  f"| evidence rows purged | {purge.evidence} |",
                  f"| files deleted | {purge.files_deleted} |",
                  f"| orphan files deleted | {purge.orphan_files} |",
                  f"| older activities kept (flagged or decided) | {purge.kept_flagged} |"]
        lines += _listing("Files not deleted", purge.errors)
    if verify is not None:
        state = "all intact" if verify.ok else "PROBLEMS"
        lines += ["", "## Evidence verification", "",
                  f"{verify.checked} file(s) checked: {state}; {len(verify.missing)} missing, "
                  f"{len(verify.altered)} altered, {len(verify.unlisted)} not in the store."]
        lines += _listing("Missing", verify.missing)
        lines += _listing("Altered", verify.altered)
    lines += _listing("Errors", list(errors))
    return "\n".join(lines) + "\n"


__all__ = ["CollectBatch", "CollectReport", "batches", "classify_markdown", "collect_markdown",
           "export_markdown", "flagged_by_rule", "maintenance_markdown", "md",
           "plan_collection", "previous_week"]
