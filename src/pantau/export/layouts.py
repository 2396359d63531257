"""Recipient layouts (which fields, in which order, under which headers) and ISO weeks.

A layout is a TOML file: shipped in ``pantau/recipients/`` (bkn, kasn, bawaslu) and any
``<name>.toml`` in ``settings.export.recipients_dir`` (which wins over a shipped one).
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..config import Settings, get_settings
from ..errors import ConfigError, ReviewError
from ..timeutil import WIB, to_utc, utcnow

# Every column a recipient layout may choose: field name -> what it holds.
FIELDS: dict[str, str] = {
    "case_id": "case id (stable across model versions)",
    "nip": "NIP, 18 digits",
    "nama": "name",
    "jabatan": "position",
    "golongan": "rank (pangkat/golongan)",
    "instansi": "agency",
    "unit_kerja": "work unit",
    "wilayah": "region",
    "platform": "platform (telegram, bluesky, ...)",
    "account": "the account that acted, as the platform writes it",
    "activity_type": "post | comment | share | quote | like | follow",
    "activity_type_id": "the same in Indonesian (unggahan, komentar, ...)",
    "acted_at": "time of the act, in the layout's time zone and date format",
    "url": "link to the act",
    "target": "what was liked, shared or followed, with its author",
    "excerpt": "the post's text, cut to the layout's excerpt_chars",
    "rule": "rule code (KE-02, DS-06, ...)",
    "rule_description": "rule description in Indonesian (SKB 2022 Lampiran II)",
    "rule_description_en": "rule description in English",
    "sanction": "sanction the rule carries (Indonesian)",
    "legal_source": "legal source of the rule",
    "stage": "bakal_calon | calon",
    "stage_id": "tahapan in Indonesian (bakal calon / calon)",
    "candidate": "candidate number and names",
    "election": "election name",
    "evidence_sha256": "SHA-256 of the archived raw response (pantau evidence show <hash>)",
    "reviewers": "reviewers of the standing confirmation, '; '-separated",
    "notes": "their notes",
    "decided_at": "time of the decision that made the case exportable",
    "confidence": "classifier confidence (0-1)",
    "model_version": "classifier model version of the shown flag",
}

ACTIVITY_ID = {
    "post": "unggahan", "comment": "komentar", "share": "bagikan ulang", "quote": "kutipan",
    "like": "suka", "follow": "mengikuti",
}
STAGE_ID = {"bakal_calon": "bakal calon", "calon": "calon"}


# --- recipients ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    field: str
    header: str


@dataclass(frozen=True, slots=True)
class Recipient:
    name: str
    title: str
    columns: tuple[Column, ...]
    delimiter: str = ","
    date_format: str = "%Y-%m-%d %H:%M"
    timezone: str = "Asia/Jakarta"
    excerpt_chars: int = 280
    source: str = ""               # the layout file
    sha256: str = ""               # of the layout text, recorded in manifests

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


_RECIPIENT_KEYS = {"name", "title", "delimiter", "date_format", "timezone", "excerpt_chars"}


def recipient_files(settings: Settings | None = None) -> dict[str, Path | Any]:
    """name -> layout file, the configured directory's files winning over the shipped ones."""
    settings = settings or get_settings()
    found: dict[str, Any] = {}
    for entry in resources.files("pantau.recipients").iterdir():
        if entry.name.endswith(".toml"):
            found[entry.name.removesuffix(".toml")] = entry
    extra = settings.export.recipients_dir
    if extra is not None:
        if not Path(extra).is_dir():
            raise ConfigError(f"export.recipients_dir {extra}: not a directory")
        for path in sorted(Path(extra).glob("*.toml")):
            found[path.stem] = path
    return found


def _line_of(text: str, key: str) -> int | None:
    match = re.search(rf"^\s*{re.escape(key)}\s*=", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _layout_error(source: str, text: str, key: str, reason: str) -> ConfigError:
    line = _line_of(text, key.split(".")[-1].split("[")[0])
    where = f"{source}, line {line}" if line else source
    return ConfigError(f"{where}: key {key!r}: {reason}")


def parse_recipient(text: str, source: str) -> Recipient:
    """Validate a layout; every error names the file, the line where known, and the key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    for key in data:
        if key not in {"recipient", "columns"}:
            raise _layout_error(source, text, key, "unknown key (expected [recipient], [[columns]])")
    head = data.get("recipient")
    if not isinstance(head, dict):
        raise ConfigError(f"{source}: missing the [recipient] table")
    for key in head:
        if key not in _RECIPIENT_KEYS:
            raise _layout_error(source, text, f"recipient.{key}", "unknown key (check the spelling)")
    name = head.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
        raise _layout_error(source, text, "recipient.name",
                            "needs a lower-case name (letters, digits, - and _)")
    delimiter = head.get("delimiter", ",")
    if delimiter not in {",", ";", "\t", "|"}:
        raise _layout_error(source, text, "recipient.delimiter", "one of ',', ';', '\\t', '|'")
    tz = head.get("timezone", "Asia/Jakarta")
    try:
        ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError):
        raise _layout_error(source, text, "recipient.timezone", f"unknown time zone {tz!r}") from None
    fmt = head.get("date_format", "%Y-%m-%d %H:%M")
    if not isinstance(fmt, str) or "%" not in fmt:
        raise _layout_error(source, text, "recipient.date_format", "a strftime format such as '%d-%m-%Y %H:%M'")
    chars = head.get("excerpt_chars", 280)
    if not isinstance(chars, int) or not 20 <= chars <= 5000:
        raise _layout_error(source, text, "recipient.excerpt_chars", "a whole number from 20 to 5000")
    raw_columns = data.get("columns")
    if not isinstance(raw_columns, list) or not raw_columns:
        raise ConfigError(f"{source}: needs at least one [[columns]] entry")
    columns: list[Column] = []
    for i, col in enumerate(raw_columns):
        where = f"columns[{i}]"
        unknown = set(col) - {"field", "header"}
        if unknown:
            raise _layout_error(source, text, f"{where}.{sorted(unknown)[0]}", "unknown key")
        fld, header = col.get("field"), col.get("header")
        if fld not in FIELDS:
            raise ConfigError(
                f"{source}: key '{where}.field': unknown field {fld!r} "
                f"(available: {', '.join(FIELDS)})"
            )
        if not isinstance(header, str) or not header.strip():
            raise ConfigError(f"{source}: key '{where}.header': needs a non-empty header")
        columns.append(Column(fld, header.strip()))
    headers = [c.header for c in columns]
    if len(set(headers)) != len(headers):
        raise ConfigError(f"{source}: two columns share a header")
    return Recipient(
        name=name, title=str(head.get("title", name)), columns=tuple(columns),
        delimiter=delimiter, date_format=fmt, timezone=str(tz), excerpt_chars=chars,
        source=source, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def load_recipient(name: str, settings: Settings | None = None) -> Recipient:
    """The layout called `name` (shipped, or from ``export.recipients_dir``)."""
    files = recipient_files(settings)
    entry = files.get(name.strip().lower())
    if entry is None:
        raise ReviewError(f"unknown recipient {name!r} (known: {', '.join(sorted(files))})")
    recipient = parse_recipient(entry.read_text(encoding="utf-8"), str(entry))
    if recipient.name != entry.name.removesuffix(".toml"):
        raise ConfigError(f"{entry}: recipient.name {recipient.name!r} differs from the file name")
    return recipient


# --- weeks -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IsoWeek:
    label: str                       # 2024-W47
    start: datetime                  # Monday 00:00 WIB, as UTC
    end: datetime                    # the next Monday 00:00 WIB, as UTC (exclusive)


def parse_week(text: str, *, now: datetime | None = None) -> IsoWeek:
    """``2024-W47`` (also ``2024W47``, ``2024-w47``), or ``last``/``this`` relative to `now`."""
    value = str(text or "").strip().lower()
    if value in {"last", "this"}:
        today = to_utc(now or utcnow()).astimezone(WIB).date()
        if value == "last":
            today -= timedelta(days=7)
        year, week, _ = today.isocalendar()
    else:
        match = re.fullmatch(r"(\d{4})-?w(\d{1,2})", value)
        if not match:
            raise ReviewError(f"week {text!r}: write it as an ISO week like 2024-W47, or 'last'")
        year, week = int(match[1]), int(match[2])
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ReviewError(f"week {text!r}: {year} has no ISO week {week}") from None
    start = datetime.combine(monday, datetime.min.time(), tzinfo=WIB)
    return IsoWeek(f"{year}-W{week:02d}", to_utc(start), to_utc(start + timedelta(days=7)))
