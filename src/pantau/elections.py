"""Election files (watchlists): load and validate them, keep them in the store, and tell the stage.

The file format is described in ``election-file.md`` (sections ``[election]``,
``[election.calendar]``, ``[[candidates]]``, ``[[accounts]]``, ``[[keywords]]``). Every problem
raises `ElectionFileError` naming the file, the line and the dotted key. Keys count arrays of
tables and array items from 1, as a person reads the file: ``candidates[2].aliases[3]`` is the
third alias of the second ``[[candidates]]`` block.

The stage on a date (domain.md, "Stage and timing"; SKB 2022 Lampiran II) comes from the
calendar read in the election's time zone, each date meaning that whole local day:

    before          until the earliest calendar date (normally ``candidate_registration``)
    bakal_calon     from then until the day before ``candidate_determination``  -> KE rules
    calon           from ``candidate_determination`` 00:00 through the ``result`` day -> DS rules
    after           from the day after ``result``

Without ``candidate_determination`` the DS window opens on ``campaign_start`` (candidates are
always determined before the campaign), and without that on the vote day. Without ``result``
the window closes at the end of vote day + `RESULT_FALLBACK_DAYS` (KPU recapitulation takes two
to five weeks: Pilkada 2024 DKI Jakarta 11 days, Pemilu 2024 35 days).
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import pandas as pd
import pyarrow as pa

from . import timeutil
from .errors import ElectionFileError, NotInStore, StoreError
from .records import (
    Calendar,
    Candidate,
    Election,
    Keyword,
    Platform,
    Stage,
    WatchAccount,
)
from .store import Store
from .tomlpos import TomlPath, TomlPositions

RESULT_FALLBACK_DAYS = 30

KINDS = ("pemilu", "pilkada")
ROLES = ("candidate", "campaign", "party", "supporter_group")
PLATFORMS = tuple(p.value for p in Platform)
# In the order the calendar must run; equal dates are allowed.
CALENDAR_KEYS = (
    "candidate_registration",
    "candidate_determination",
    "campaign_start",
    "campaign_end",
    "vote",
    "result",
)
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# A hashtag as platforms link it: '#' then letters, digits and underscores (any script).
_HASHTAG = re.compile(r"#\w+")

_TOP_KEYS = ("election", "candidates", "accounts", "keywords")
_ELECTION_KEYS = ("id", "name", "kind", "region", "timezone", "calendar")
_CANDIDATE_KEYS = ("number", "names", "aliases", "parties", "slogans", "hashtags")
_ACCOUNT_KEYS = ("platform", "handle", "role", "candidate")
_KEYWORD_KEYS = ("phrase", "candidate")


# --- reading and validating the file -------------------------------------------------------


def load_election_file(path: str | Path) -> Election:
    """Read and validate an election file; `ElectionFileError` names file, line and key."""
    path = Path(path)
    return parse_election(read_election_text(path), file=path)


def read_election_text(path: str | Path) -> str:
    """The file's text (UTF-8, a BOM tolerated); unreadable files raise `ElectionFileError`."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ElectionFileError(f"cannot read the file: {exc.strerror}", file=path) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ElectionFileError(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
            file=path,
            line=line,
        ) from None


def parse_election(text: str, *, file: str | Path = "<string>") -> Election:
    """Validate the TOML text of an election file and build the `Election`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(exc, file) from None
    return _Reader(text, file).election(data)


def _syntax_error(exc: tomllib.TOMLDecodeError, file: str | Path) -> ElectionFileError:
    # tomllib before 3.14 puts the position only in the message: "... (at line 3, column 5)".
    message = str(exc)
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if match:
        reason = f"not valid TOML: {message[: match.start()]} (column {match.group(2)})"
        return ElectionFileError(reason, file=file, line=int(match.group(1)))
    return ElectionFileError(f"not valid TOML: {message}", file=file)


def dotted_key(path: TomlPath) -> str:
    """('candidates', 1, 'aliases') -> 'candidates[2].aliases' (1-based, as people count)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += ("." if out else "") + part
    return out


class _Reader:
    """Checks one parsed file against the format, failing on the first problem found."""

    def __init__(self, text: str, file: str | Path) -> None:
        self.file = file
        self.source = text

    @functools.cached_property
    def positions(self) -> TomlPositions:
        # Scanning the source costs more than validating it: only done to report a problem.
        return TomlPositions(self.source)

    def fail(self, path: TomlPath, reason: str) -> NoReturn:
        raise ElectionFileError(
            reason, file=self.file, line=self.positions.line_of(path), key=dotted_key(path)
        )

    # --- building blocks ----------------------------------------------------------------
    def table(self, value: Any, path: TomlPath, allowed: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(path, f"must be a table, not {_kind(value)}")
        for key in value:
            if key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                did_you = f" (did you mean {hint[0]!r}?)" if hint else ""
                self.fail((*path, key), f"unknown key{did_you}; allowed: {', '.join(allowed)}")
        return value

    def tables(self, data: dict[str, Any], key: str, allowed: tuple[str, ...]) -> list[dict]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.fail((key,), f"must be written as [[{key}]] blocks")
        return [self.table(item, (key, i), allowed) for i, item in enumerate(value)]

    def text(self, table: dict, path: TomlPath, *, required: bool = True) -> str | None:
        value = table.get(path[-1])
        if value is None:
            if required:
                self.fail(path, "required key is missing")
            return None
        if not isinstance(value, str):
            self.fail(path, f"must be a string, not {_kind(value)}")
        value = value.strip()
        if not value:
            self.fail(path, "must not be empty")
        return value

    def choice(self, table: dict, path: TomlPath, options: tuple[str, ...]) -> str:
        value = self.text(table, path)
        assert value is not None
        if value not in options:
            hint = difflib.get_close_matches(value, options, n=1)
            did_you = f" (did you mean {hint[0]!r}?)" if hint else ""
            self.fail(path, f"{value!r} is not one of {', '.join(options)}{did_you}")
        return value

    def integer(self, table: dict, path: TomlPath, *, required: bool) -> int | None:
        value = table.get(path[-1])
        if value is None:
            if required:
                self.fail(path, "required key is missing")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, f"must be a whole number, not {_kind(value)}")
        if value < 1:
            self.fail(path, f"must be 1 or more, not {value}")
        return value

    def texts(
        self, table: dict, path: TomlPath, check: Callable[[str], str | None] | None = None
    ) -> list[str]:
        value = table.get(path[-1], [])
        if not isinstance(value, list):
            self.fail(path, f"must be a list of strings, e.g. [\"a\", \"b\"], not {_kind(value)}")
        out: list[str] = []
        for i, item in enumerate(value):
            item_path = (*path, i)
            if not isinstance(item, str):
                self.fail(item_path, f"must be a string, not {_kind(item)}")
            item = item.strip()
            if not item:
                self.fail(item_path, "must not be empty")
            problem = check(item) if check else None
            if problem:
                self.fail(item_path, problem)
            if item in out:
                self.fail(item_path, f"{item!r} is listed twice")
            out.append(item)
        return out

    def day(self, table: dict, path: TomlPath) -> date | None:
        value = table.get(path[-1])
        if value is None:
            return None
        # tomllib gives datetime for values with a time; datetime is a subclass of date.
        if isinstance(value, datetime) or not isinstance(value, date):
            self.fail(path, f"must be a date such as 2024-11-27 (no time, no quotes), "
                            f"not {_kind(value)}")
        return value

    # --- the sections -------------------------------------------------------------------
    def election(self, data: dict[str, Any]) -> Election:
        self.table(data, (), _TOP_KEYS)
        if "election" not in data:
            self.fail(("election",), "the [election] table is missing")
        head = self.table(data["election"], ("election",), _ELECTION_KEYS)
        p = ("election",)
        election_id = self.text(head, (*p, "id"))
        assert election_id is not None
        if not _SLUG.fullmatch(election_id):
            self.fail((*p, "id"), f"{election_id!r} is not a slug: use lower-case letters, "
                                  "digits and single hyphens, e.g. \"pilkada-2024-dki-jakarta\"")
        name = self.text(head, (*p, "name"))
        kind = self.choice(head, (*p, "kind"), KINDS)
        region = self.text(head, (*p, "region"), required=kind == "pilkada")
        timezone = self.text(head, (*p, "timezone"))
        assert name is not None and timezone is not None
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            self.fail((*p, "timezone"), f"unknown time zone {timezone!r} (Indonesia: "
                                        "Asia/Jakarta, Asia/Makassar or Asia/Jayapura)")
        calendar = self.calendar(head.get("calendar"))
        candidates = self.candidates(data)
        numbers = {c.number for c in candidates}
        return Election(
            id=election_id,
            name=name,
            kind=kind,
            timezone=timezone,
            calendar=calendar,
            region=region,
            candidates=candidates,
            accounts=self.accounts(data, numbers),
            keywords=self.keywords(data, numbers),
        )

    def calendar(self, value: Any) -> Calendar:
        p: TomlPath = ("election", "calendar")
        if value is None:
            self.fail((*p, "vote"), "the [election.calendar] table with at least `vote` is missing")
        table = self.table(value, p, CALENDAR_KEYS)
        days = {k: self.day(table, (*p, k)) for k in CALENDAR_KEYS}
        if days["vote"] is None:
            self.fail((*p, "vote"), "required key is missing (the vote day)")
        given = [k for k in CALENDAR_KEYS if days[k] is not None]
        order = CALENDAR_KEYS.index
        # The vote day is the anchor: a date on the wrong side of it is the one to blame.
        # Otherwise, of two dates out of order, the later one in the list is blamed.
        pairs = [(k, "vote") if order(k) < order("vote") else ("vote", k)
                 for k in given if k != "vote"]
        pairs += [(a, b) for i, a in enumerate(given) for b in given[i + 1 :]]
        for early, late in pairs:
            if days[early] > days[late]:  # type: ignore[operator]
                blamed, other = (early, late) if late == "vote" else (late, early)
                word = "after" if blamed == early else "before"
                self.fail((*p, blamed), f"{days[blamed]} is {word} {other} {days[other]} "
                                        f"(line {self.positions.line_of((*p, other))}); "
                                        "the calendar must run " + " <= ".join(CALENDAR_KEYS))
        return Calendar(**days)  # type: ignore[arg-type]

    def candidates(self, data: dict[str, Any]) -> list[Candidate]:
        out: list[Candidate] = []
        seen_numbers: dict[int, int] = {}
        seen_words: dict[str, tuple[int, str]] = {}  # alias/hashtag (folded) -> (number, kind)
        for i, table in enumerate(self.tables(data, "candidates", _CANDIDATE_KEYS)):
            p: TomlPath = ("candidates", i)
            number = self.integer(table, (*p, "number"), required=True)
            assert number is not None
            if number in seen_numbers:
                self.fail((*p, "number"), f"number {number} is already used by "
                                          f"candidates[{seen_numbers[number] + 1}]")
            seen_numbers[number] = i
            names = self.texts(table, (*p, "names"))
            if not names:
                self.fail((*p, "names"), "give the candidate's name (or the pair's two names)")
            candidate = Candidate(
                number=number,
                names=names,
                aliases=self.texts(table, (*p, "aliases")),
                parties=self.texts(table, (*p, "parties")),
                slogans=self.texts(table, (*p, "slogans")),
                hashtags=self.texts(table, (*p, "hashtags"), _check_hashtag),
            )
            # An alias or hashtag naming two candidates would make every match ambiguous.
            for kind in ("aliases", "hashtags"):
                for j, word in enumerate(getattr(candidate, kind)):
                    folded = word.casefold()
                    owner = seen_words.get(folded)
                    if owner and owner[0] != number:
                        self.fail((*p, kind, j), f"{word!r} is also given for candidate "
                                                 f"{owner[0]} ({owner[1]})")
                    seen_words[folded] = (number, kind)
            out.append(candidate)
        return out

    def candidate_ref(self, table: dict, path: TomlPath, numbers: set[int]) -> int | None:
        number = self.integer(table, path, required=False)
        if number is not None and number not in numbers:
            known = ", ".join(str(n) for n in sorted(numbers)) or "none are listed"
            self.fail(path, f"no [[candidates]] block has number {number} (numbers: {known})")
        return number

    def accounts(self, data: dict[str, Any], numbers: set[int]) -> list[WatchAccount]:
        from .registry import normalise_handle  # the registry owns the handle rules

        out: list[WatchAccount] = []
        seen: dict[tuple[str, str], int] = {}
        for i, table in enumerate(self.tables(data, "accounts", _ACCOUNT_KEYS)):
            p: TomlPath = ("accounts", i)
            platform = self.choice(table, (*p, "platform"), PLATFORMS)
            raw_handle = self.text(table, (*p, "handle"))
            assert raw_handle is not None
            try:
                handle = normalise_handle(platform, raw_handle)
            except ValueError as exc:
                self.fail((*p, "handle"), str(exc))
            if (platform, handle) in seen:
                self.fail((*p, "handle"), f"{platform} account {handle!r} is already listed "
                                          f"in accounts[{seen[platform, handle] + 1}]")
            seen[platform, handle] = i
            role = self.choice(table, (*p, "role"), ROLES)
            candidate = self.candidate_ref(table, (*p, "candidate"), numbers)
            out.append(WatchAccount(platform=platform, handle=handle, role=role,
                                    candidate=candidate))
        return out

    def keywords(self, data: dict[str, Any], numbers: set[int]) -> list[Keyword]:
        out: list[Keyword] = []
        seen: dict[str, int] = {}
        for i, table in enumerate(self.tables(data, "keywords", _KEYWORD_KEYS)):
            p: TomlPath = ("keywords", i)
            phrase = self.text(table, (*p, "phrase"))
            assert phrase is not None
            phrase = " ".join(phrase.split())  # matching ignores runs of whitespace
            folded = phrase.casefold()
            if folded in seen:
                self.fail((*p, "phrase"), f"{phrase!r} is already listed in "
                                          f"keywords[{seen[folded] + 1}]")
            seen[folded] = i
            out.append(Keyword(phrase=phrase,
                               candidate=self.candidate_ref(table, (*p, "candidate"), numbers)))
        return out


def _check_hashtag(text: str) -> str | None:
    if not text.startswith("#"):
        return f"{text!r} must start with '#', e.g. '#{text.lstrip('#')}'"
    if not _HASHTAG.fullmatch(text):
        return f"{text!r} is not a hashtag (only letters, digits and _ after '#')"
    return None


def _kind(value: Any) -> str:
    names = {bool: "true/false", int: "a number", float: "a number", str: "a string",
             list: "a list", dict: "a table", datetime: "a date with a time", date: "a date"}
    return names.get(type(value), type(value).__name__)


# --- stages --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StageWindow:
    """The UTC instants at which an election's stages begin; `end` is the first instant after."""

    start: datetime          # BEFORE -> BAKAL_CALON (or straight to CALON)
    determination: datetime  # -> CALON (DS rules)
    end: datetime            # -> AFTER


def stage_window(election: Election) -> StageWindow:
    """The stage boundaries of `election` in UTC (see the module docstring for the rules)."""
    tz = ZoneInfo(election.timezone)
    cal = election.calendar
    days = [getattr(cal, k) for k in CALENDAR_KEYS if getattr(cal, k) is not None]
    determination = cal.candidate_determination or cal.campaign_start or cal.vote
    if cal.result is not None:
        last_day = cal.result
    else:
        last_day = cal.vote + timedelta(days=RESULT_FALLBACK_DAYS)
    return StageWindow(
        start=timeutil.start_of_day(min(days), tz),
        determination=timeutil.start_of_day(determination, tz),
        end=timeutil.start_of_day(last_day + timedelta(days=1), tz),  # result day inclusive
    )


def stage_at(election: Election, when: datetime) -> Stage:
    """The stage of `election` at `when` (aware; a naive datetime is taken as UTC)."""
    when = timeutil.to_utc(when)
    window = stage_window(election)
    if when < window.start:
        return Stage.BEFORE
    if when < window.determination:
        return Stage.BAKAL_CALON
    if when < window.end:
        return Stage.CALON
    return Stage.AFTER


def rule_family(stage: Stage | str) -> str | None:
    """'KE' (ethics, bakal calon), 'DS' (discipline, calon) or None outside the window."""
    return {Stage.BAKAL_CALON: "KE", Stage.CALON: "DS"}.get(Stage(stage))


# --- the store -----------------------------------------------------------------------------

_CANDIDATE_SCHEMA = pa.schema([
    ("election_id", pa.string()), ("number", pa.int32()), ("names", pa.list_(pa.string())),
    ("aliases", pa.list_(pa.string())), ("parties", pa.list_(pa.string())),
    ("slogans", pa.list_(pa.string())), ("hashtags", pa.list_(pa.string())),
])
_ACCOUNT_SCHEMA = pa.schema([
    ("election_id", pa.string()), ("platform", pa.string()), ("handle", pa.string()),
    ("role", pa.string()), ("candidate", pa.int32()), ("platform_id", pa.string()),
])
_PHRASE_SCHEMA = pa.schema([
    ("election_id", pa.string()), ("phrase", pa.string()), ("candidate", pa.int32()),
])


def save_election(
    store: Store,
    election: Election,
    *,
    source_file: str | Path | None = None,
    source_text: str | None = None,
) -> None:
    """Write `election` and replace its previous watchlist, all in one transaction.

    Candidates, watch-listed accounts and keywords of an earlier load are deleted and the new
    ones inserted in bulk; if anything fails the old watchlist stays as it was. Platform ids
    that collectors resolved for accounts still on the list are kept.
    """
    eid = election.id
    head = {
        "election_id": eid,
        "name": election.name,
        "kind": election.kind,
        "region": election.region,
        "timezone": election.timezone,
        "calendar": json.dumps(
            {k: getattr(election.calendar, k).isoformat() for k in CALENDAR_KEYS
             if getattr(election.calendar, k) is not None}
        ),
        "source_file": str(source_file) if source_file is not None else None,
        "source_sha256": (hashlib.sha256(source_text.encode("utf-8")).hexdigest()
                          if source_text is not None else None),
        "source_text": source_text,
        "loaded_at": timeutil.utcnow(),
    }
    candidates = pa.Table.from_pylist(
        [{"election_id": eid, "number": c.number, "names": c.names, "aliases": c.aliases,
          "parties": c.parties, "slogans": c.slogans, "hashtags": c.hashtags}
         for c in election.candidates],
        schema=_CANDIDATE_SCHEMA,
    )
    phrases = pa.Table.from_pylist(
        [{"election_id": eid, "phrase": k.phrase, "candidate": k.candidate}
         for k in election.keywords],
        schema=_PHRASE_SCHEMA,
    )
    try:
        with store.transaction():
            resolved = {
                (platform, handle): pid for platform, handle, pid in store.rows(
                    "SELECT platform, handle, platform_id FROM watch_accounts "
                    "WHERE election_id = ? AND platform_id IS NOT NULL", [eid])
            }
            accounts = pa.Table.from_pylist(
                [{"election_id": eid, "platform": a.platform, "handle": a.handle,
                  "role": a.role, "candidate": a.candidate,
                  "platform_id": resolved.get((a.platform, a.handle))}
                 for a in election.accounts],
                schema=_ACCOUNT_SCHEMA,
            )
            store.upsert("elections", [head], key=["election_id"], update=True)
            for table in ("candidates", "watch_accounts", "watch_phrases"):
                store.rows(f"DELETE FROM {table} WHERE election_id = ?", [eid])
            # No `key`: a duplicate is a bug in the caller and must fail the whole save.
            store.upsert("candidates", candidates)
            store.upsert("watch_accounts", accounts)
            store.upsert("watch_phrases", phrases)
    except duckdb.Error as exc:
        raise StoreError(f"{store.path}: election {eid!r} was not saved (the previous "
                         f"watchlist is unchanged): {exc}") from exc


def import_election_file(store: Store, path: str | Path) -> Election:
    """Validate an election file and save it (replacing that election's watchlist)."""
    path = Path(path)
    text = read_election_text(path)
    election = parse_election(text, file=path)
    save_election(store, election, source_file=path, source_text=text)
    return election


def load_election(store: Store, election_id: str) -> Election:
    """The election `election_id` as last saved; `NotInStore` if it was never loaded."""
    rows = store.rows(
        "SELECT name, kind, region, timezone, calendar FROM elections WHERE election_id = ?",
        [election_id],
    )
    if not rows:
        known = [r[0] for r in store.rows("SELECT election_id FROM elections ORDER BY 1")]
        hint = f"; loaded: {', '.join(known)}" if known else "; none is loaded yet"
        raise NotInStore(f"no election {election_id!r} in {store.path}{hint} "
                         "(load one with `pantau election load FILE.toml`)")
    name, kind, region, timezone, calendar_json = rows[0]
    calendar = Calendar(**{k: date.fromisoformat(v) for k, v in json.loads(calendar_json).items()})
    candidates = [
        Candidate(number=n, names=list(names), aliases=list(aliases or []),
                  parties=list(parties or []), slogans=list(slogans or []),
                  hashtags=list(hashtags or []))
        for n, names, aliases, parties, slogans, hashtags in store.rows(
            "SELECT number, names, aliases, parties, slogans, hashtags FROM candidates "
            "WHERE election_id = ? ORDER BY number", [election_id])
    ]
    accounts = [
        WatchAccount(platform=p, handle=h, role=r, candidate=c)
        for p, h, r, c in store.rows(
            "SELECT platform, handle, role, candidate FROM watch_accounts "
            "WHERE election_id = ? ORDER BY platform, handle", [election_id])
    ]
    keywords = [
        Keyword(phrase=p, candidate=c)
        for p, c in store.rows(
            "SELECT phrase, candidate FROM watch_phrases WHERE election_id = ? "
            "ORDER BY candidate NULLS FIRST, phrase", [election_id])
    ]
    return Election(id=election_id, name=name, kind=kind, timezone=timezone, calendar=calendar,
                    region=region, candidates=candidates, accounts=accounts, keywords=keywords)


def list_elections(store: Store, *, at: datetime | None = None) -> pd.DataFrame:
    """One row per loaded election: ids, vote day, counts and the stage at `at` (default now)."""
    at = at or timeutil.utcnow()
    frame = store.df(
        """
        SELECT e.election_id, e.name, e.kind, e.region, e.timezone,
               CAST(json_extract_string(e.calendar, '$.vote') AS DATE) AS vote,
               (SELECT count(*) FROM candidates c WHERE c.election_id = e.election_id)
                   AS candidates,
               (SELECT count(*) FROM watch_accounts a WHERE a.election_id = e.election_id)
                   AS accounts,
               (SELECT count(*) FROM watch_phrases k WHERE k.election_id = e.election_id)
                   AS keywords,
               e.loaded_at, e.source_file
        FROM elections e ORDER BY vote, e.election_id
        """
    )
    stages = [stage_at(load_election(store, eid), at).value for eid in frame["election_id"]]
    frame.insert(5, "stage", pd.Series(stages, index=frame.index, dtype="object"))
    return frame


def election_from_file_or_store(ref: str | Path, store_factory: Callable[[], Store]) -> Election:
    """`ref` is an election file (a path that exists or ends in .toml) or a loaded election id.

    `store_factory` opens the store only when `ref` is an id (e.g. ``lambda:
    Store.open(read_only=True)``); the store is closed again afterwards.
    """
    path = Path(ref)
    if path.suffix.lower() == ".toml" or path.is_file():
        return load_election_file(path)
    store = store_factory()
    try:
        return load_election(store, str(ref))
    finally:
        store.close()


def as_local(when: datetime, election: Election) -> datetime:
    """`when` shown in the election's own time zone."""
    return timeutil.to_utc(when).astimezone(ZoneInfo(election.timezone))


__all__ = [
    "CALENDAR_KEYS",
    "RESULT_FALLBACK_DAYS",
    "StageWindow",
    "as_local",
    "dotted_key",
    "election_from_file_or_store",
    "import_election_file",
    "list_elections",
    "load_election",
    "load_election_file",
    "parse_election",
    "read_election_text",
    "rule_family",
    "save_election",
    "stage_at",
    "stage_window",
]
