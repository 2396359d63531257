"""Column mappings: which column of an analyst's export holds which activity field.

A mapping is a small TOML file (examples in ``config/mappings/``)::

    platform = "x"                 # optional: the platform when --platform is not given
    [columns]                      # our field = the export's column name (case-insensitive)
    native_id = "id"
    created_at = "created_at"
    text = "text"
    actor_handle = "username"
    url = "url"
    forwarded_from = "retweeted_from"
    [types]                        # optional: the export's type values -> ours
    retweet = "share"
    [options]                      # optional
    default_type = "post"          # without a type column (forwarded_from: share, reply_to: comment)
    time_format = "%a %b %d %H:%M:%S %z %Y"   # strptime format; default: ISO 8601 / epoch
    timezone = "Asia/Jakarta"      # for times written without an offset; default UTC
    media_separator = "|"          # between URLs in the media_urls column; default: spaces/commas

Without a mapping file, columns named like our fields are used as they are.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ...errors import InputError
from ...records import ActivityType
from ...tabular import normalise_header
from ...tomlpos import TomlPositions

FIELDS = (
    "native_id", "type", "actor_handle", "actor_id", "text", "created_at", "url", "target_id",
    "target_author_handle", "reply_to", "forwarded_from", "media_urls",
)
_TOP_KEYS = {"platform", "columns", "types", "options", "description"}
_OPTIONS = {"default_type", "time_format", "timezone", "media_separator"}
_TYPES = {t.value for t in ActivityType}


@dataclass(slots=True)
class Mapping:
    columns: dict[str, str]                      # our field -> normalised export column
    types: dict[str, str] = field(default_factory=dict)   # export value (lower) -> ours
    default_type: str = ActivityType.POST.value
    time_format: str | None = None
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    media_separator: str | None = None
    platform: str | None = None
    path: Path | None = None

    def column(self, name: str) -> str | None:
        return self.columns.get(name)


def identity_mapping() -> Mapping:
    """Columns named like the fields themselves."""
    return Mapping(columns={f: f for f in FIELDS})


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file; errors name the file, line and key."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise InputError(f"cannot read mapping: {exc.strerror}", file=path) from None
    except UnicodeDecodeError:
        raise InputError("mapping is not UTF-8 text", file=path) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=path) from None
    where = TomlPositions(text)

    def bad(reason: str, *key: str) -> InputError:
        return InputError(f"{'.'.join(key)}: {reason}" if key else reason, file=path,
                          line=where.line_of(key) if key else None)

    for key in data:
        if key not in _TOP_KEYS:
            raise bad(f"unknown key (known: {', '.join(sorted(_TOP_KEYS))})", key)
    columns_in = data.get("columns")
    if not isinstance(columns_in, dict) or not columns_in:
        raise bad("a mapping needs a [columns] table: our field = the export's column")
    columns: dict[str, str] = {}
    for name, column in columns_in.items():
        if name not in FIELDS:
            raise bad(f"unknown field (fields: {', '.join(FIELDS)})", "columns", name)
        if not isinstance(column, str) or not column.strip():
            raise bad("must be the export's column name (a string)", "columns", name)
        columns[name] = normalise_header(column)

    types: dict[str, str] = {}
    for value, ours in (data.get("types") or {}).items():
        if ours not in _TYPES:
            raise bad(f"{ours!r} is not an activity type ({', '.join(sorted(_TYPES))})",
                      "types", value)
        types[str(value).strip().lower()] = ours

    options: dict[str, Any] = data.get("options") or {}
    for key in options:
        if key not in _OPTIONS:
            raise bad(f"unknown option (known: {', '.join(sorted(_OPTIONS))})", "options", key)
    mapping = Mapping(columns=columns, types=types, path=path)
    default_type = options.get("default_type", mapping.default_type)
    if default_type not in _TYPES:
        raise bad(f"{default_type!r} is not an activity type", "options", "default_type")
    mapping.default_type = default_type
    mapping.time_format = options.get("time_format")
    mapping.media_separator = options.get("media_separator")
    if "timezone" in options:
        try:
            mapping.timezone = ZoneInfo(str(options["timezone"]))
        except (ZoneInfoNotFoundError, ValueError):
            raise bad(f"unknown time zone {options['timezone']!r}", "options", "timezone") from None
    if "platform" in data:
        mapping.platform = str(data["platform"])
    return mapping
