"""The configuration reference (docs/configuration.md), read from `pantau.config.Settings`.

Every setting with its `pantau.toml` key, `PANTAU_*` variable, type (with its bounds),
default and `Field(description=...)`; each section's text is its model's docstring. The page
ends with the layout of `PANTAU_HOME`, whose names come from `Settings` where it has them.

    from pantau.docs.config_ref import settings_docs, render_configuration
    for section in settings_docs():
        print(section.title, [s.key for s in section.settings])
"""

from __future__ import annotations

import inspect
import json
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from ..config import DEFAULT_CONFIG_FILE, Settings
from .markdown import cell, code, escape, table

ENV_PREFIX = Settings.model_config.get("env_prefix", "PANTAU_")
ENV_NESTED = Settings.model_config.get("env_nested_delimiter", "__")

# A short pantau.toml shown on the page; tests/test_docs.py loads it, so it stays valid.
EXAMPLE_TOML = """\
home = "/srv/pantau"
contact = "pantau@example.go.id"

[platforms]
mastodon_servers = ["mastodon.social"]

[review]
four_eyes = true

[export]
recipients = ["bkn", "kasn"]
"""


@dataclass(frozen=True)
class SettingDoc:
    key: str          # dotted pantau.toml key, e.g. "http.read_timeout"
    env: str          # e.g. "PANTAU_HTTP__READ_TIMEOUT"; "" when not settable on its own
    type: str         # e.g. "number (> 0)"
    default: str      # a TOML value, "" when unset
    description: str
    secret: bool = False
    required: bool = False  # only inside a table entry (a rate limit needs `requests`)


@dataclass
class SectionDoc:
    name: str                      # "" for the top-level keys, else the [table] name
    description: str
    settings: list[SettingDoc] = field(default_factory=list)
    # TOML blocks shown under the table: defaults too long for a cell.
    blocks: list[tuple[str, str]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"[{self.name}]" if self.name else "Top level"


# --- types and values ---------------------------------------------------------------------

_SCALARS: dict[Any, str] = {
    str: "string", int: "integer", float: "number", bool: "boolean",
    Path: "path", SecretStr: "secret string",
}
# Field(gt=..., ge=..., ...) constraints, kept by pydantic as objects with that attribute.
_BOUNDS = (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="))


def type_name(annotation: Any) -> str:
    """A TOML-minded name for a settings type: "list of string", "path or unset", …"""
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        parts = [type_name(a) for a in get_args(annotation) if a is not type(None)]
        optional = type(None) in get_args(annotation)
        return " or ".join(parts) + (" or unset" if optional else "")
    if origin is Literal:
        return "one of " + ", ".join(json.dumps(a) for a in get_args(annotation))
    if origin is list:
        return f"list of {type_name(get_args(annotation)[0])}"
    if origin is dict:
        value = get_args(annotation)[1]
        inner = f"{value.__name__} tables" if _is_model(value) else type_name(value)
        return f"table of {inner}"
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    return getattr(annotation, "__name__", str(annotation))


def _bounds(info: FieldInfo) -> str:
    found = []
    for meta in info.metadata:
        for attr, symbol in _BOUNDS:
            if getattr(meta, attr, None) is not None:
                found.append(f"{symbol} {getattr(meta, attr)}")
    return f" ({', '.join(found)})" if found else ""


def toml_value(value: Any) -> str:
    """`value` written as in pantau.toml ("" for None: the key is left out)."""
    if value is None or isinstance(value, SecretStr):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, PurePath):
        return json.dumps(value.as_posix(), ensure_ascii=False)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, BaseModel):
        return toml_value(dict(value))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = ", ".join(f"{_toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }"
    raise TypeError(f"no TOML form for {value!r}")


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _doc(cls: type) -> str:
    """A class docstring as one paragraph per blank-line-separated block."""
    text = inspect.cleandoc(cls.__doc__ or "")
    return "\n\n".join(" ".join(p.split()) for p in text.split("\n\n") if p.strip())


# --- walking Settings ---------------------------------------------------------------------


def settings_docs() -> list[SectionDoc]:
    """The top-level settings, then one section per [table] of `Settings`, in model order."""
    top = SectionDoc("", f"Keys written before any [table] in {DEFAULT_CONFIG_FILE}.")
    sections = [top]
    for name, info in Settings.model_fields.items():
        if _is_model(info.annotation):
            section = SectionDoc(name, _doc(info.annotation))
            _add_model(section, info.annotation, (name,))
            sections.append(section)
        else:
            top.settings.append(_setting((name,), info))
    return sections


def _add_model(section: SectionDoc, model: type[BaseModel], path: tuple[str, ...]) -> None:
    for name, info in model.model_fields.items():
        key = (*path, name)
        section.settings.append(_setting(key, info))
        origin, args = get_origin(info.annotation), get_args(info.annotation)
        if origin is dict and _is_model(args[1]):
            # A table of tables (http.rate_limits): its default as a block, its entries' keys
            # as rows. The environment variable sets the whole table as JSON.
            default = info.get_default(call_default_factory=True)
            lines = [f"[{'.'.join(key)}]"]
            lines += [f"{_toml_key(k)} = {toml_value(v)}" for k, v in default.items()]
            entry = args[1]
            doc = _doc(entry)
            title = f"Default `{'.'.join(key)}`. Each entry is {doc[:1].lower()}{doc[1:]}"
            section.blocks.append((title, "\n".join(lines)))
            for sub, sub_info in entry.model_fields.items():
                row = _setting((*key, "<name>", sub), sub_info)
                section.settings.append(SettingDoc(
                    row.key, "", row.type, row.default, row.description,
                    required=sub_info.is_required()))


def _setting(key: tuple[str, ...], info: FieldInfo) -> SettingDoc:
    annotation = info.annotation
    secret = SecretStr in (annotation, *get_args(annotation))
    if info.is_required():
        default = ""
    else:
        value = info.get_default(call_default_factory=True)
        default = "see below" if _is_table_of_models(value) else toml_value(value)
    return SettingDoc(
        key=".".join(key),
        env=ENV_PREFIX + ENV_NESTED.join(key).upper(),
        type=type_name(annotation) + _bounds(info),
        default=default,
        description=" ".join((info.description or "").split()),
        secret=secret,
    )


def _is_table_of_models(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(
        isinstance(v, BaseModel) for v in value.values())


# --- PANTAU_HOME ------------------------------------------------------------------------


def data_layout() -> list[tuple[str, str]]:
    """(path under PANTAU_HOME, what it is), from the code that writes each path."""
    s = Settings.model_construct()  # defaults only: no file, no environment

    def rel(p: Path) -> str:
        return p.relative_to(s.home).as_posix()

    db, raw, exports = rel(s.db_path), rel(s.raw_dir), rel(s.exports_dir)
    return [
        (db, "The database (store.backend \"duckdb\"): registry, accounts, elections, "
             "activities, flags, review decisions, export records, quarantine. One writing "
             "process at a time; others wait, then fail with exit code 75."),
        (f"{db}.wal", "DuckDB's write-ahead log: present while a writer has the database open, "
                      "or after a crash (replayed on the next open)."),
        (f"{db}.audit-head.json", "The head of the review audit chain, {\"seq\", \"hash\"}, "
                                  "rewritten after every decision; `pantau audit verify` "
                                  "compares the decisions table with it (and with export "
                                  "manifests) to notice a cut-off tail. With DuckLake: "
                                  "`pantau.ducklake.audit-head.json`."),
        (f"{raw}/<platform>/<yyyy>/<mm>/<dd>/<sha256>.gz",
         "Raw evidence: each response that produced activities, gzip-compressed, named by the "
         "SHA-256 of the uncompressed body, filed under the UTC request date. <platform> is "
         "telegram, bluesky, mastodon, media (downloaded photos), or the platform of an "
         "imported export or public-report screenshot. Written once; `pantau evidence verify` "
         "re-hashes every file; `pantau purge` removes files nothing refers to after the "
         "retention period."),
        (f"{exports}/<recipient>/pantau-<recipient>-<yyyy>-W<ww>.csv",
         "The weekly export for a recipient (bkn, kasn, bawaslu, …): Excel-safe CSV. "
         "A later export of the same week whose content changed is written beside it as "
         "`…-r2.csv`, `…-r3.csv`; unchanged content is not written again."),
        (f"{exports}/<recipient>/pantau-<recipient>-<yyyy>-W<ww>.manifest.json",
         "Its manifest (format pantau-export/2): filters, SHA-256 of the CSV and of each "
         "line (the line's bytes without its CRLF, so any line can be checked on its own), "
         "model versions, the audit head, and for a revision the cases added, removed and "
         "changed."),
        ("lake/", "With store.backend \"ducklake\": the Parquet data files (default "
                  "store.data_path). The catalog is in PostgreSQL, or in the file named by "
                  "store.catalog = \"duckdb:<file>\" (relative paths are under PANTAU_HOME)."),
    ]


_OUTSIDE_HOME = [
    ("<input stem>.rejects.csv", "Rows an import rejected (with --skip-invalid), with line "
                                 "and reason, beside the input file unless --rejects names "
                                 "another path."),
    ("models/<version>/", "Classifier models in the source tree (`pantau train` writes here; "
                          "classifier.model_dir overrides which one is used)."),
    ("data/training/corpus.jsonl", "The training corpus `pantau train` writes (relative to "
                                   "the working directory)."),
    ("data/demo/", "`pantau demo`'s own home (--home), wiped and recreated on every run; it is "
                   "marked with a `.pantau-demo` file and is never your PANTAU_HOME."),
]


# --- rendering ----------------------------------------------------------------------------


def _section_markdown(section: SectionDoc) -> list[str]:
    out = [f"### {section.title}", ""]
    if section.description:
        out += [escape(p) + "\n" for p in section.description.split("\n\n")]
    rows = []
    for s in section.settings:
        desc = s.description + (" Secret: never shown in messages." if s.secret else "")
        rows.append([
            code(s.key.rsplit(".", 1)[-1] if section.name == "" else s.key),
            code(s.env) if s.env else "—",
            cell(s.type),
            _default_cell(s),
            cell(desc),
        ])
    out += table(["Key", "Environment variable", "Type", "Default", "Description"], rows)
    out.append("")
    for title, block in section.blocks:
        out += [escape(title), "", "```toml", block, "```", ""]
    return out


def _default_cell(s: SettingDoc) -> str:
    if s.required:
        return "*required*"
    if s.default == "see below":
        return s.default
    return code(s.default) if s.default else "*unset*"


def render_configuration(generator: str) -> str:
    """docs/configuration.md."""
    out = [
        "# Configuration",
        "",
        f"<!-- Generated by `{generator}` from src/pantau/config.py. Do not edit: change the "
        "settings' descriptions in the code and run the generator again (tests/test_docs.py "
        "fails while this page is out of date). -->",
        "",
        "pantau reads its settings once, at start, in this order (later wins):",
        "",
        "1. the defaults below;",
        f"2. the TOML file named by `PANTAU_CONFIG`, else `./{DEFAULT_CONFIG_FILE}` when it "
        "exists (a `PANTAU_CONFIG` that names a missing file is an error);",
        f"3. environment variables `{ENV_PREFIX}<KEY>`. Keys in a [table] join with a double "
        f"underscore: `[http] read_timeout` is `{ENV_PREFIX}HTTP{ENV_NESTED}READ_TIMEOUT`. "
        "Lists and tables are given as JSON, e.g. "
        f"`{ENV_PREFIX}PLATFORMS{ENV_NESTED}MASTODON_SERVERS='[\"mastodon.social\"]'`.",
        "",
        "An unknown key, a wrong type or a value out of bounds stops pantau with exit code 2 "
        "and a message naming the key and its environment variable. Secrets (tokens, the "
        "catalog password) belong in the environment; `store.password` is refused in the "
        "file.",
        "",
        "Example `pantau.toml`:",
        "",
        "```toml",
        EXAMPLE_TOML.rstrip("\n"),
        "```",
        "",
        "## Settings",
        "",
    ]
    for section in settings_docs():
        out += _section_markdown(section)
    out += [
        "## Data layout",
        "",
        "Everything pantau keeps lives under `PANTAU_HOME` (setting `home`, default "
        f"`{Settings.model_fields['home'].default.as_posix()}` relative to the working "
        "directory). It holds personal data: pantau creates its directories 0700 and its "
        "files 0600, and writes every file atomically (a temporary file renamed into place), "
        "so a crash or a full disk never leaves half a file.",
        "",
        *table(["Path under PANTAU_HOME", "What it is"],
               [[code(p), cell(d)] for p, d in data_layout()]),
        "",
        "Outside `PANTAU_HOME`:",
        "",
        *table(["Path", "What it is"], [[code(p), cell(d)] for p, d in _OUTSIDE_HOME]),
        "",
    ]
    return "\n".join(out).rstrip("\n") + "\n"
