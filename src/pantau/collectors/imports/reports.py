"""Public reports ("masyarakat sebagai CCTV"): a URL, what the reporter saw, who reported it.

    with Store.open() as store:
        activity = add_report(store, PublicReport(url=..., description=..., reporter=...,
                                                  screenshot=Path("capture.png")))
        report = import_reports(store, "laporan.csv")

Each report becomes one activity with ``source="public_report"``: the description is its text
(the only account of the act pantau has until a reviewer opens the link), the reporter and the
reported URL are in ``extra``. The report itself (as canonical JSON) and the screenshot, when
given, are archived as evidence; the activity's ``evidence_id`` is the screenshot's, else the
report's. Platform and actor are taken from the URL when not given (``x.com/<user>/status/…``,
``t.me/<channel>/<id>``, ``bsky.app/profile/<handle>/post/…``, ``tiktok.com/@<user>/…``,
``instagram.com``/``facebook.com``/``youtube.com`` for the platform only).

CSV columns: ``url``, ``description``, ``reporter`` (required); ``screenshot`` (a path,
relative to the CSV's folder), ``platform``, ``actor``, ``at`` (when it happened), ``type``.
"""

from __future__ import annotations

import json
import mimetypes
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ...errors import InputError, RowProblem
from ...importing import Problems, finish_checks, require_columns, write_rejects
from ...records import Activity, ActivityType, Evidence, Media, Platform, Source, stable_id
from ...registry import normalise_handle, normalise_platform
from ...store import Store
from ...tabular import read_table
from ...timeutil import WIB, utcnow
from .common import file_evidence, parse_time, write

REQUIRED = ("url", "description", "reporter")
_HOSTS = {
    "t.me": "telegram", "telegram.me": "telegram", "bsky.app": "bluesky",
    "x.com": "x", "twitter.com": "x", "mobile.twitter.com": "x", "instagram.com": "instagram",
    "facebook.com": "facebook", "fb.com": "facebook", "m.facebook.com": "facebook",
    "tiktok.com": "tiktok", "vm.tiktok.com": "tiktok", "youtube.com": "youtube",
    "youtu.be": "youtube", "m.youtube.com": "youtube",
}
_TYPES = {t.value for t in ActivityType}


@dataclass(slots=True)
class PublicReport:
    url: str
    description: str
    reporter: str                     # contact: e-mail, phone, name
    screenshot: Path | None = None
    platform: str | None = None
    actor: str | None = None
    at: datetime | str | None = None  # when the act happened (a date is read in WIB)
    type: str = ActivityType.POST.value


@dataclass(slots=True)
class ReportImportReport:
    file: Path
    rows_read: int = 0
    new: int = 0
    unchanged: int = 0
    rejected: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    rejects_path: Path | None = None
    warnings: list[str] = field(default_factory=list)


def platform_of(url: str) -> str:
    """The platform a URL belongs to; ``other`` for unknown hosts (a Mastodon server, a blog)."""
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    return _HOSTS.get(host, Platform.OTHER.value)


def actor_of(platform: str, url: str) -> str | None:
    """The account a post URL names, where the URL names one."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    if not parts:
        return None
    if platform == "x" and len(parts) >= 1 and parts[0] not in ("i", "intent", "search"):
        return parts[0]
    if platform == "telegram":
        return parts[1] if parts[0] == "s" and len(parts) > 1 else parts[0]
    if platform == "bluesky" and parts[0] == "profile" and len(parts) > 1:
        return parts[1]
    if platform in ("tiktok", "youtube") and parts[0].startswith("@"):
        return parts[0]
    return None


def _check(rep: PublicReport) -> tuple[list[tuple[str, str]], dict[str, Any]]:
    """(problems as (field, reason), cleaned values)."""
    problems: list[tuple[str, str]] = []
    clean: dict[str, Any] = {}
    url = (rep.url or "").strip()
    if not url:
        problems.append(("url", "the reported URL is empty"))
    elif not url.startswith(("http://", "https://")):
        problems.append(("url", f"{url!r} is not an http(s) URL"))
    clean["url"] = url
    for name in ("description", "reporter"):
        value = " ".join(str(getattr(rep, name) or "").split())
        if not value:
            problems.append((name, f"the {name} is empty"))
        clean[name] = value
    try:
        platform = normalise_platform(rep.platform) if rep.platform else platform_of(url)
    except ValueError as exc:
        problems.append(("platform", str(exc)))
        platform = Platform.OTHER.value
    clean["platform"] = platform
    actor = (rep.actor or "").strip() or (actor_of(platform, url) if url else None)
    clean["actor"] = None
    if actor:
        try:
            clean["actor"] = normalise_handle(platform, actor)
        except ValueError as exc:
            problems.append(("actor", str(exc)))
    kind = (rep.type or ActivityType.POST.value).strip().lower()
    if kind not in _TYPES:
        problems.append(("type", f"unknown activity type {kind!r} ({', '.join(sorted(_TYPES))})"))
    clean["type"] = kind
    clean["at"] = None
    if isinstance(rep.at, datetime):
        clean["at"] = rep.at
    elif rep.at and str(rep.at).strip():
        try:
            clean["at"] = parse_time(str(rep.at), tz=WIB)
        except ValueError as exc:
            problems.append(("at", str(exc)))
    if rep.screenshot is not None and not Path(rep.screenshot).is_file():
        problems.append(("screenshot", f"file not found: {rep.screenshot}"))
    return problems, clean


def _activity(
    store: Store, rep: PublicReport, clean: dict[str, Any]
) -> tuple[Activity, list[Evidence]]:
    """The report's activity and its evidence (report JSON, screenshot), archived."""
    evidence: list[Evidence] = []
    shot: Evidence | None = None
    if rep.screenshot is not None:
        shot = file_evidence(store, Path(rep.screenshot), clean["platform"], url=clean["url"])
        evidence.append(shot)
    record = {
        "url": clean["url"], "description": clean["description"], "reporter": clean["reporter"],
        "platform": clean["platform"], "actor": clean["actor"], "type": clean["type"],
        "at": clean["at"].isoformat() if clean["at"] else None,
        "screenshot": {"file": Path(rep.screenshot).name, "sha256": shot.sha256} if shot else None,
    }
    body = json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8")
    report_ev = file_evidence(store, Path("public-report.json"), clean["platform"],
                              url=clean["url"], content=body)
    evidence.append(report_ev)
    extra: dict[str, Any] = {
        "reporter": clean["reporter"], "description": clean["description"],
        "reported_url": clean["url"], "report_evidence": report_ev.sha256,
    }
    media: list[Media] = []
    if shot is not None:
        extra["screenshot"] = record["screenshot"]
        # The screenshot is the post's picture as far as pantau knows: with its hash set, the
        # photo analysis (OCR, hand poses) reads it like a downloaded image.
        path = Path(rep.screenshot)
        is_image = (mimetypes.guess_type(path.name)[0] or "").startswith("image/")
        media.append(Media(url=path.resolve().as_uri(), kind="photo" if is_image else "file",
                           sha256=shot.sha256))
    activity = Activity(
        platform=clean["platform"],
        type=clean["type"],
        actor_id=None,
        actor_handle=clean["actor"],
        # One report = one activity: the same report entered twice is one row, two reporters
        # of the same post are two (each with its own reporter and account of it).
        native_id="report:" + stable_id(clean["url"], clean["reporter"], clean["description"]),
        text=clean["description"],
        created_at=clean["at"],
        observed_at=utcnow(),
        url=clean["url"],
        evidence_id=(shot or report_ev).sha256,
        source=Source.PUBLIC_REPORT.value,
        extra=extra,
        media=media,
        media_count=len(media),
    )
    return activity, evidence


def add_report(store: Store, report: PublicReport) -> tuple[Activity, bool]:
    """Record one public report; returns (its activity, whether it was new).

    A bad field raises `InputError` naming the field (``--url``, ``--at``, ...)."""
    problems, clean = _check(report)
    if problems:
        name, reason = problems[0]
        raise InputError(f"--{name}: {reason}" + (
            f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""))
    activity, evidence = _activity(store, report, clean)
    written = write(store, evidence, [activity])
    return activity, written == 1


def import_reports(
    store: Store, path: str | Path, *, encoding: str | None = None, skip_invalid: bool = False,
    rejects_path: str | Path | None = None,
) -> ReportImportReport:
    """Import public reports from CSV/XLSX/JSONL (all-or-nothing unless `skip_invalid`)."""
    path = Path(path)
    table = read_table(path, encoding=encoding)
    require_columns(table, REQUIRED)
    result = ReportImportReport(file=path, rows_read=len(table.rows),
                                warnings=list(table.warnings))
    problems = Problems()
    good: list[tuple[PublicReport, dict[str, Any]]] = []
    for row in table.rows:
        v = row.values
        shot = str(v.get("screenshot") or "").strip()
        rep = PublicReport(
            url=str(v.get("url") or ""), description=str(v.get("description") or ""),
            reporter=str(v.get("reporter") or ""),
            screenshot=(path.parent / shot) if shot else None,
            platform=str(v.get("platform") or "").strip() or None,
            actor=str(v.get("actor") or "").strip() or None,
            at=str(v.get("at") or "").strip() or None,
            type=str(v.get("type") or "").strip() or ActivityType.POST.value,
        )
        row_problems, clean = _check(rep)
        for name, reason in row_problems:
            problems.add(row.line, name, reason)
        if not row_problems:
            good.append((rep, clean))
    finish_checks(problems, result, file=path, skip_invalid=skip_invalid)
    activities: dict[str, Activity] = {}
    evidence: dict[str, Evidence] = {}
    for rep, clean in good:
        activity, ev = _activity(store, rep, clean)
        activities.setdefault(activity.id, activity)
        evidence.update({e.sha256: e for e in ev})
    if activities:
        result.new = write(store, list(evidence.values()), list(activities.values()))
        result.unchanged = len(activities) - result.new
    if skip_invalid:
        result.rejects_path = write_rejects(table, problems, rejects_path)
    return result


__all__ = ["PublicReport", "ReportImportReport", "add_report", "actor_of", "import_reports",
           "platform_of"]
