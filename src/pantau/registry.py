"""The ASN registry: people (by NIP) and their known social-media accounts.

The registry file an agency hands over is the source of truth: importing it again with changed
data updates the store, importing the same file again changes nothing. Imports are
all-or-nothing unless `skip_invalid=True`, which imports the good rows and writes the bad ones,
with their line and reason, to a rejects CSV beside the input (the rules every import shares
live in `pantau.importing`).

    from pantau.registry import import_people, import_accounts, account_index
    with Store.open() as store:
        report = import_people(store, "asn.csv")
        import_accounts(store, "accounts.csv")
        index = account_index(store)       # {("bluesky", "ani.bsky.social"): "1987…", …}

NIP rules live in `pantau.nip`; this module only applies them to rows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pyarrow as pa

from . import timeutil
from .errors import RowProblem
from .importing import Problems, finish_checks, require_columns, write_rejects
from .nip import NipError, clean_nip, parse_nip
from .records import Platform
from .store import Store
from .tabular import Row, TableFile, read_table

PEOPLE_REQUIRED = ("nip", "nama")
PEOPLE_EXPECTED = ("jabatan", "golongan", "instansi", "unit_kerja", "wilayah")
ACCOUNTS_REQUIRED = ("nip", "platform", "handle")
ACCOUNTS_OPTIONAL = ("url",)

# Names people write for a platform in a spreadsheet -> `records.Platform` value.
PLATFORM_ALIASES = {
    "twitter": "x",
    "x.com": "x",
    "ig": "instagram",
    "fb": "facebook",
    "bsky": "bluesky",
    "tg": "telegram",
    "yt": "youtube",
}


@dataclass(slots=True)
class ImportReport:
    """What an import did. Counts are of distinct records (NIPs, or platform+handle)."""

    file: Path
    what: str                         # "people" | "accounts"
    rows_read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0                 # bad rows (lines), only non-zero with skip_invalid
    duplicates: int = 0               # identical repeated rows, imported once
    agencies_new: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    rejects_path: Path | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.new + self.updated


# --- shared row machinery --------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """A cell as stored: whitespace collapsed, empty -> None."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _flag_conflicts(
    keyed: dict[Any, list[tuple[Row, tuple]]],
    problems: Problems,
    column: str,
    describe: Callable[[Any], str],
    differ: Callable[[tuple, tuple], str],
) -> int:
    """Same key on several lines: identical rows are fine (counted), differing ones are errors.

    Every line of a conflicting group is named, so the rejects file holds all of them: which
    one is right is for the person who made the file to decide. Returns the identical repeats.
    """
    repeats = 0
    for key, entries in keyed.items():
        if len(entries) < 2:
            continue
        first_row, first_data = entries[0]
        if all(data == first_data for _, data in entries[1:]):
            repeats += len(entries) - 1
            continue
        lines = [row.line for row, _ in entries]
        for row, data in entries:
            others = [str(n) for n in lines if n != row.line]
            other_data = first_data if row is not first_row else entries[1][1]
            problems.add(
                row.line,
                column,
                f"{describe(key)} also on line {', '.join(others)} with different data "
                f"({differ(data, other_data)})",
            )
    return repeats


# --- people ----------------------------------------------------------------------------------

_PEOPLE_FIELDS = ("nama", *PEOPLE_EXPECTED, "kind", "birth_date", "gender", "extra")


def _person_from_row(row: Row, table: TableFile, problems: Problems) -> dict[str, Any] | None:
    values = row.values
    record: dict[str, Any] = {}
    try:
        info = parse_nip(values.get("nip", ""))
    except NipError as exc:
        problems.add(row.line, "nip", f"{values.get('nip', '')!r}: {exc}")
        info = None
    nama = _text(values.get("nama"))
    if not nama:
        problems.add(row.line, "nama", "name is empty")
    if info is None or not nama:
        return None
    record["nip"] = info.nip
    record["nama"] = nama
    for column in PEOPLE_EXPECTED:
        record[column] = _text(values.get(column))
    record["kind"] = info.kind
    record["birth_date"] = info.birth_date
    record["gender"] = info.gender
    known = {*PEOPLE_REQUIRED, *PEOPLE_EXPECTED}
    extra = {h: values.get(h, "") for h in table.headers if h and h not in known}
    record["extra"] = extra
    return record


def _differences(a: dict[str, Any], b: dict[str, Any], fields: Iterable[str]) -> list[str]:
    return [f for f in fields if a.get(f) != b.get(f)]


def _existing(store: Store, table: str, key_sql: str, keys: pa.Table) -> list[dict[str, Any]]:
    """Rows of `table` whose key is in `keys`, fetched in one query (not one per key), as
    plain Python values (str, date, datetime, int) comparable with freshly built records."""
    with store.registered(f"_pantau_keys_{table}", keys) as view:
        cursor = store.con.execute(
            f"SELECT t.* FROM {table} t JOIN (SELECT DISTINCT * FROM {view}) k USING ({key_sql})"
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def import_people(
    store: Store,
    path: str | Path,
    *,
    skip_invalid: bool = False,
    rejects_path: str | Path | None = None,
    encoding: str | None = None,
) -> ImportReport:
    """Import ASN people from a CSV/XLSX registry file (columns `nip, nama` + expected ones).

    All-or-nothing unless `skip_invalid`: any bad row raises `ImportRejected` listing every
    bad row and nothing is written. A column the file lacks keeps its stored value.
    """
    table = read_table(path, encoding=encoding)
    require_columns(table, PEOPLE_REQUIRED)
    report = ImportReport(file=table.path, what="people", rows_read=len(table.rows))
    report.warnings.extend(table.warnings)
    absent = [c for c in PEOPLE_EXPECTED if c not in table.headers]
    if absent:
        report.warnings.append(
            f"{table.path}: no column {', '.join(absent)}; stored values are kept"
        )

    problems = Problems()
    by_nip: dict[str, list[tuple[Row, tuple]]] = {}
    records: dict[int, dict[str, Any]] = {}
    for row in table.rows:
        record = _person_from_row(row, table, problems)
        if record is None:
            continue
        records[row.line] = record
        comparable = tuple(
            json.dumps(record[f], sort_keys=True) if f == "extra" else record[f]
            for f in _PEOPLE_FIELDS
        )
        by_nip.setdefault(record["nip"], []).append((row, comparable))

    def differ(a: tuple, b: tuple) -> str:
        names = [f for f, x, y in zip(_PEOPLE_FIELDS, a, b, strict=True) if x != y]
        return ", ".join(names) + " differ"

    report.duplicates = _flag_conflicts(
        by_nip, problems, "nip", lambda nip: f"NIP {nip}", differ
    )
    finish_checks(problems, report, file=table.path, skip_invalid=skip_invalid)

    # One record per NIP, from the good rows only.
    good: dict[str, dict[str, Any]] = {}
    for line, record in records.items():
        if line not in problems:
            good.setdefault(record["nip"], record)

    now = timeutil.utcnow()
    with store.transaction():
        changed = _classify_people(store, good, absent, report)
        if changed:
            batch = pa.Table.from_pylist(
                [
                    {**r, "extra": json.dumps(r["extra"], ensure_ascii=False, sort_keys=True),
                     "source_file": str(table.path.resolve()), "imported_at": now}
                    for r in changed
                ],
                schema=_ASN_SCHEMA,
            )
            store.upsert("asn", batch, key=["nip"], update=True)
        agencies = sorted({r["instansi"] for r in good.values() if r.get("instansi")})
        if agencies:
            report.agencies_new = store.upsert(
                "agencies",
                pa.table({"name": agencies, "added_at": pa.array([now] * len(agencies),
                                                                  pa.timestamp("us", "UTC"))}),
                key=["name"],
            )
    if skip_invalid:
        report.rejects_path = write_rejects(table, problems, rejects_path)
    return report


_ASN_SCHEMA = pa.schema(
    [
        ("nip", pa.string()),
        ("nama", pa.string()),
        *((c, pa.string()) for c in PEOPLE_EXPECTED),
        ("kind", pa.string()),
        ("birth_date", pa.date32()),
        ("gender", pa.int8()),
        ("extra", pa.string()),
        ("source_file", pa.string()),
        ("imported_at", pa.timestamp("us", "UTC")),
    ]
)


def _classify_people(
    store: Store, good: dict[str, dict[str, Any]], absent: list[str], report: ImportReport
) -> list[dict[str, Any]]:
    """Sort the file's people into new / updated / unchanged; return those to write."""
    if not good:
        return []
    existing = _existing(store, "asn", "nip", pa.table({"nip": list(good)}))
    stored = {row["nip"]: row for row in existing}
    changed: list[dict[str, Any]] = []
    for nip, record in good.items():
        old = stored.get(nip)
        if old is None:
            report.new += 1
            changed.append(record)
            continue
        old["extra"] = json.loads(old["extra"]) if old.get("extra") else {}
        for column in absent:  # the file says nothing about it: keep what we have
            record[column] = old.get(column)
        if _differences(record, old, _PEOPLE_FIELDS):
            report.updated += 1
            changed.append(record)
        else:
            report.unchanged += 1
    return changed


# --- handles ---------------------------------------------------------------------------------

_HANDLE_RULES: dict[str, tuple[re.Pattern[str], str]] = {
    "telegram": (re.compile(r"[a-z][a-z0-9_]{3,31}"), "5–32 letters, digits or _"),
    "x": (re.compile(r"[a-z0-9_]{1,15}"), "1–15 letters, digits or _"),
    "instagram": (re.compile(r"[a-z0-9._]{1,30}"), "1–30 letters, digits, . or _"),
    "tiktok": (re.compile(r"[a-z0-9._]{2,24}"), "2–24 letters, digits, . or _"),
    "bluesky": (
        re.compile(r"(did:[a-z]+:[a-z0-9._:%-]+|([a-z0-9-]+\.)+[a-z0-9-]+)"),
        "a domain such as name.bsky.social, or a did:",
    ),
    "mastodon": (
        re.compile(r"[a-z0-9_.-]+@([a-z0-9-]+\.)+[a-z0-9-]+"),
        "user@server, e.g. ani@mastodon.social",
    ),
}

_URL_HOSTS = {
    "telegram": {"t.me", "telegram.me", "telegram.dog"},
    "x": {"x.com", "twitter.com", "mobile.twitter.com"},
    "instagram": {"instagram.com"},
    "tiktok": {"tiktok.com", "vm.tiktok.com"},
    "bluesky": {"bsky.app"},
    "facebook": {"facebook.com", "m.facebook.com", "fb.com"},
    "youtube": {"youtube.com", "m.youtube.com"},
}


def _looks_like_url(text: str) -> bool:
    if text.startswith(("http://", "https://")):
        return True
    head = text.split("/", 1)[0]
    return "/" in text and "." in head and "@" not in head


def _handle_from_url(platform: str, text: str) -> str:
    url = text if "://" in text else "https://" + text
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    segments = [s for s in parts.path.split("/") if s]
    if platform == "mastodon":
        # https://mastodon.social/@user -> user@mastodon.social (also /users/user)
        if segments and segments[0].startswith("@"):
            return f"{segments[0][1:]}@{host}"
        if len(segments) >= 2 and segments[0] == "users":
            return f"{segments[1]}@{host}"
        raise ValueError(f"not a Mastodon profile URL: {text}")
    known = _URL_HOSTS.get(platform)
    if known is not None and host not in known:
        raise ValueError(f"{host or text!r} is not a {platform} address")
    if platform == "telegram" and segments and segments[0] == "s":
        segments = segments[1:]  # t.me/s/<channel> is the public web preview
    if platform == "bluesky":
        if len(segments) >= 2 and segments[0] == "profile":
            return segments[1]
        raise ValueError(f"not a Bluesky profile URL: {text}")
    if platform == "facebook" and segments and segments[0] == "profile.php":
        ids = parse_qs(parts.query).get("id")
        if ids:
            return ids[0]
    if platform == "youtube" and len(segments) >= 2 and segments[0] in {"channel", "c", "user"}:
        return segments[1]
    if not segments:
        raise ValueError(f"no account name in the URL {text}")
    return segments[0]


def normalise_handle(platform: str, handle: str) -> str:
    """The stored form of an account name: lower case, no leading @, no URL.

    Profile URLs are accepted: ``https://t.me/s/name`` -> ``name``,
    ``https://bsky.app/profile/name.bsky.social`` -> ``name.bsky.social``,
    ``https://mastodon.social/@user`` and ``@user@mastodon.social`` -> ``user@mastodon.social``,
    X/Instagram/TikTok profile URLs -> the bare handle. Raises `ValueError` with the reason.
    """
    platform = normalise_platform(platform)
    text = str(handle or "").strip()
    if not text:
        raise ValueError("handle is empty")
    if _looks_like_url(text):
        text = _handle_from_url(platform, text)
    text = text.strip().lower()
    text = text.removeprefix("@")
    if platform in {"x", "instagram", "tiktok", "youtube", "telegram"}:
        text = text.removeprefix("@")  # tiktok.com/@name and youtube.com/@name
    if not text:
        raise ValueError("handle is empty")
    rule = _HANDLE_RULES.get(platform)
    if rule is not None:
        pattern, expected = rule
        if not pattern.fullmatch(text):
            raise ValueError(f"{text!r} is not a {platform} handle ({expected})")
    elif re.search(r"[\s/]", text):
        raise ValueError(f"{text!r} is not a {platform} handle (no spaces or slashes)")
    return text


def normalise_platform(name: str) -> str:
    """A platform name from a file -> a `records.Platform` value; `ValueError` if unknown."""
    text = str(name or "").strip().lower()
    text = PLATFORM_ALIASES.get(text, text)
    try:
        return Platform(text).value
    except ValueError:
        known = ", ".join(p.value for p in Platform)
        raise ValueError(f"unknown platform {name!r} (one of: {known})") from None


# --- accounts --------------------------------------------------------------------------------

_ACCOUNT_FIELDS = ("nip", "url")


def import_accounts(
    store: Store,
    path: str | Path,
    *,
    skip_invalid: bool = False,
    rejects_path: str | Path | None = None,
    encoding: str | None = None,
) -> ImportReport:
    """Import ASN accounts (`nip, platform, handle` + optional `url`) from CSV/XLSX.

    The NIP must be valid and already in the registry; one handle belongs to one NIP (in the
    file and in the store). Same all-or-nothing / `skip_invalid` rules as `import_people`.
    """
    table = read_table(path, encoding=encoding)
    require_columns(table, ACCOUNTS_REQUIRED)
    report = ImportReport(file=table.path, what="accounts", rows_read=len(table.rows))
    report.warnings.extend(table.warnings)
    ignored = [h for h in table.headers if h and h not in {*ACCOUNTS_REQUIRED, *ACCOUNTS_OPTIONAL}]
    if ignored:
        report.warnings.append(f"{table.path}: columns ignored: {', '.join(ignored)}")

    problems = Problems()
    records: dict[int, dict[str, Any]] = {}
    for row in table.rows:
        record = _account_from_row(row, problems)
        if record is not None:
            records[row.line] = record

    # Registered NIPs and the store's owners of these handles, each in one query.
    nips = sorted({r["nip"] for r in records.values()})
    known_nips = {
        row["nip"]
        for row in _existing(store, "asn", "nip", pa.table({"nip": pa.array(nips, pa.string())}))
    }
    keys = pa.table(
        {
            "platform": pa.array([r["platform"] for r in records.values()], pa.string()),
            "handle": pa.array([r["handle"] for r in records.values()], pa.string()),
        }
    )
    stored = {
        (row["platform"], row["handle"]): row
        for row in _existing(store, "accounts", "platform, handle", keys)
    }

    by_key: dict[tuple[str, str], list[tuple[Row, tuple]]] = {}
    rows_by_line = {row.line: row for row in table.rows}
    for line, record in records.items():
        if record["nip"] not in known_nips:
            problems.add(line, "nip", f"NIP {record['nip']} is not in the registry "
                                      "(import it with `pantau registry import` first)")
            continue
        key = (record["platform"], record["handle"])
        old = stored.get(key)
        if old is not None and old["nip"] != record["nip"]:
            problems.add(line, "handle", f"{key[0]} account {key[1]!r} is already registered "
                                         f"to NIP {old['nip']}")
            continue
        by_key.setdefault(key, []).append(
            (rows_by_line[line], tuple(record[f] for f in _ACCOUNT_FIELDS))
        )

    def differ(a: tuple, b: tuple) -> str:
        if a[0] != b[0]:
            return f"NIP {a[0]} vs {b[0]}: one account belongs to one person"
        return "url differs"

    report.duplicates = _flag_conflicts(
        by_key, problems, "handle", lambda k: f"{k[0]} account {k[1]!r}", differ
    )
    finish_checks(problems, report, file=table.path, skip_invalid=skip_invalid)

    good: dict[tuple[str, str], dict[str, Any]] = {}
    for line, record in records.items():
        if line not in problems:
            good.setdefault((record["platform"], record["handle"]), record)

    now = timeutil.utcnow()
    batch: list[dict[str, Any]] = []
    for key, record in good.items():
        old = stored.get(key)
        if old is None:
            report.new += 1
            batch.append({**record, "added_at": now})
        elif record["url"] is not None and record["url"] != old.get("url"):
            # Keep added_at and the collector-filled platform_id: only the URL changed.
            report.updated += 1
            batch.append({**record, "added_at": old["added_at"]})
        else:
            report.unchanged += 1
    with store.transaction():
        if batch:
            store.upsert("accounts", pa.Table.from_pylist(batch, schema=_ACCOUNT_SCHEMA),
                         key=["platform", "handle"], update=True)
    if skip_invalid:
        report.rejects_path = write_rejects(table, problems, rejects_path)
    return report


_ACCOUNT_SCHEMA = pa.schema(
    [
        ("platform", pa.string()),
        ("handle", pa.string()),
        ("nip", pa.string()),
        ("url", pa.string()),
        ("added_at", pa.timestamp("us", "UTC")),
    ]
)


def _account_from_row(row: Row, problems: Problems) -> dict[str, Any] | None:
    values = row.values
    ok = True
    try:
        nip = parse_nip(values.get("nip", "")).nip
    except NipError as exc:
        problems.add(row.line, "nip", f"{values.get('nip', '')!r}: {exc}")
        ok = False
    try:
        platform = normalise_platform(values.get("platform", ""))
    except ValueError as exc:
        problems.add(row.line, "platform", str(exc))
        return None
    url = _text(values.get("url"))
    raw_handle = _text(values.get("handle")) or url  # a profile URL alone is enough
    try:
        handle = normalise_handle(platform, raw_handle or "")
    except ValueError as exc:
        problems.add(row.line, "handle", str(exc))
        ok = False
    if not ok:
        return None
    return {"platform": platform, "handle": handle, "nip": nip, "url": url}


# --- queries ---------------------------------------------------------------------------------

_LIST_COLUMNS = "nip, nama, jabatan, golongan, instansi, unit_kerja, wilayah, kind"


def list_people(
    store: Store,
    *,
    instansi: str | None = None,
    wilayah: str | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Registered people, optionally filtered by agency / region (case-insensitive, part of
    the name is enough), with their number of known accounts."""
    where, params = [], []
    for column, value in (("instansi", instansi), ("wilayah", wilayah)):
        if value:
            where.append(f"contains(lower(coalesce(a.{column}, '')), lower(?))")
            params.append(value.strip())
    sql = (
        f"SELECT {', '.join('a.' + c.strip() for c in _LIST_COLUMNS.split(','))}, "
        "count(acc.handle) AS accounts FROM asn a LEFT JOIN accounts acc USING (nip)"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " GROUP BY ALL ORDER BY a.instansi NULLS LAST, a.nama, a.nip"
    )
    if limit is not None:
        if limit < 0:
            raise ValueError("limit must be 0 or more")
        sql += " LIMIT ?"
        params.append(limit)
    return store.df(sql, params)


def get_person(store: Store, nip: str) -> dict[str, Any] | None:
    """One person with their accounts (list of dicts), or None. The NIP may carry spaces or dots."""
    digits = clean_nip(nip)
    found = _existing(store, "asn", "nip", pa.table({"nip": pa.array([digits], pa.string())}))
    if not found:
        return None
    person = found[0]
    person["extra"] = json.loads(person["extra"]) if person.get("extra") else {}
    cursor = store.con.execute(
        "SELECT platform, handle, url, platform_id, added_at FROM accounts "
        "WHERE nip = ? ORDER BY platform, handle",
        [digits],
    )
    names = [d[0] for d in cursor.description]
    person["accounts"] = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    return person


def account_index(store: Store) -> dict[tuple[str, str], str]:
    """(platform, normalised handle) and (platform, platform_id) -> NIP of every known account.

    Collectors and the classifier use it to recognise registered ASN among actors; look a
    handle up in its normalised form (`normalise_handle`).
    """
    index: dict[tuple[str, str], str] = {}
    for platform, handle, platform_id, nip in store.rows(
        "SELECT platform, handle, platform_id, nip FROM accounts"
    ):
        index[(platform, handle)] = nip
        if platform_id:
            index[(platform, platform_id)] = nip
    return index
