"""Typed records shared by every stage: registry -> collectors -> classify -> store -> review.

Records are plain dataclasses. Times are timezone-aware UTC `datetime`s; helpers in
`pantau.timeutil` convert. The store turns lists of records into Arrow tables in bulk.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any


class Platform(StrEnum):
    TELEGRAM = "telegram"
    BLUESKY = "bluesky"
    MASTODON = "mastodon"
    X = "x"
    INSTAGRAM = "instagram"
    FACEBOOK = "facebook"
    TIKTOK = "tiktok"
    YOUTUBE = "youtube"
    OTHER = "other"


class ActivityType(StrEnum):
    POST = "post"
    COMMENT = "comment"
    SHARE = "share"
    QUOTE = "quote"
    LIKE = "like"
    FOLLOW = "follow"


class Source(StrEnum):
    COLLECTOR = "collector"
    IMPORT = "import"
    PUBLIC_REPORT = "public_report"


class Stage(StrEnum):
    """Where an election stands on a date (domain.md, 'Stage and timing')."""

    BEFORE = "before"            # before the election window: no neutrality rule applies yet
    BAKAL_CALON = "bakal_calon"  # prospective candidates: ethics rules (KE-)
    CALON = "calon"              # determined candidates: discipline rules (DS-)
    AFTER = "after"              # after the result


class Verdict(StrEnum):
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"
    NEEDS_MORE_INFO = "needs_more_info"


# --- registry -----------------------------------------------------------------------------


@dataclass(slots=True)
class Person:
    """An ASN (PNS or PPPK) as registered."""

    nip: str                      # 18 digits
    nama: str
    jabatan: str = ""
    golongan: str = ""
    instansi: str = ""
    unit_kerja: str = ""
    wilayah: str = ""
    kind: str = "PNS"             # "PNS" | "PPPK"
    birth_date: date | None = None
    gender: int | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Account:
    """A known account of a registered ASN on one platform."""

    nip: str
    platform: str
    handle: str                   # normalised: see registry.normalise_handle
    url: str | None = None
    platform_id: str | None = None


# --- elections ----------------------------------------------------------------------------


@dataclass(slots=True)
class Candidate:
    number: int
    names: list[str]
    aliases: list[str] = field(default_factory=list)
    parties: list[str] = field(default_factory=list)
    slogans: list[str] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.number:02d} " + " – ".join(self.names)


@dataclass(slots=True)
class WatchAccount:
    platform: str
    handle: str
    role: str                     # candidate | campaign | party | supporter_group
    candidate: int | None = None


@dataclass(slots=True)
class Keyword:
    phrase: str
    candidate: int | None = None


@dataclass(slots=True)
class Calendar:
    vote: date
    candidate_registration: date | None = None
    candidate_determination: date | None = None
    campaign_start: date | None = None
    campaign_end: date | None = None
    result: date | None = None


@dataclass(slots=True)
class Election:
    id: str
    name: str
    kind: str                     # pemilu | pilkada
    timezone: str
    calendar: Calendar
    region: str | None = None
    candidates: list[Candidate] = field(default_factory=list)
    accounts: list[WatchAccount] = field(default_factory=list)
    keywords: list[Keyword] = field(default_factory=list)

    def candidate(self, number: int) -> Candidate | None:
        return next((c for c in self.candidates if c.number == number), None)


# --- collection ---------------------------------------------------------------------------


@dataclass(slots=True)
class Media:
    """An image or other file attached to an activity."""

    url: str
    kind: str = "photo"           # photo | video | file | sticker | voice | round_video | other
    width: int | None = None
    height: int | None = None
    sha256: str | None = None     # set once downloaded into the evidence archive


@dataclass(slots=True)
class Evidence:
    """One raw response, archived compressed and content-addressed by its SHA-256."""

    sha256: str
    platform: str
    url: str
    requested_at: datetime
    status: int
    content_type: str
    size: int
    path: str                     # relative to PANTAU_HOME
    collector_version: str


def stable_id(*parts: object) -> str:
    """A short, stable id built from natural-key parts."""
    raw = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:24]


@dataclass(slots=True)
class Activity:
    """One act on a platform, normalised across platforms.

    `target_*` name what was acted on: the liked/shared/quoted/replied-to post (its id and its
    author) or, for a follow, the followed account.
    """

    platform: str
    type: str                     # ActivityType value
    actor_id: str | None          # platform id (Bluesky DID, Mastodon id, Telegram channel)
    actor_handle: str | None
    native_id: str | None = None  # the platform's id for posts/comments/shares with one
    target_id: str | None = None
    target_author_id: str | None = None
    target_author_handle: str | None = None
    text: str = ""
    created_at: datetime | None = None
    observed_at: datetime | None = None
    url: str | None = None
    reply_to: str | None = None
    forwarded_from: str | None = None
    media: list[Media] = field(default_factory=list)
    media_count: int = 0
    metrics: dict[str, Any] = field(default_factory=dict)
    evidence_id: str | None = None
    source: str = Source.COLLECTOR.value
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """Stable across collections: platform + native id, else platform + type + actor + target."""
        if self.native_id:
            return f"{self.platform}:{self.native_id}"
        actor = self.actor_id or self.actor_handle
        return f"{self.platform}:{self.type}:{actor}:{self.target_id}"


# --- classification and review -------------------------------------------------------------


def case_id_for(activity_id: str, election_id: str, rule: str, candidate: int | None) -> str:
    """A case is one rule about one activity; re-classifying with a new model keeps its id."""
    return stable_id(activity_id, election_id, rule, candidate)


@dataclass(slots=True)
class Flag:
    activity_id: str
    election_id: str
    rule: str                     # KE-02, DS-06, ...
    stage: str
    candidate: int | None
    confidence: float
    reason_id: str                # Bahasa Indonesia
    reason_en: str
    model_version: str
    flagged: bool                 # at or above the threshold: enters the review queue
    signals: dict[str, Any] = field(default_factory=dict)

    @property
    def case_id(self) -> str:
        return case_id_for(self.activity_id, self.election_id, self.rule, self.candidate)


@dataclass(slots=True)
class Decision:
    case_id: str
    verdict: str                  # Verdict value
    reviewer: str
    note: str = ""
    decided_at: datetime | None = None
