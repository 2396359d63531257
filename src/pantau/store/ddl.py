"""Translate pantau's migrations (written for embedded DuckDB) into DDL a DuckLake accepts.

There is ONE schema source, `migrations/NNN_*.sql`. The embedded file keeps its PRIMARY KEYs
(they guard it against a buggy writer); DuckLake 1.5.5 refuses PRIMARY KEY, UNIQUE, CHECK,
FOREIGN KEY, indexes and sequences, so for the lake:

- a column's inline ``PRIMARY KEY`` becomes ``NOT NULL`` and a table-level
  ``PRIMARY KEY (a, b)`` is dropped after marking ``a`` and ``b`` NOT NULL: key columns stay
  non-null, and `Store.upsert` keeps keys unique by an anti-join instead of a constraint;
- ``UNIQUE`` is dropped the same way (upserts are what keep rows unique);
- anything that cannot be expressed without a constraint (CHECK, REFERENCES, CREATE INDEX,
  CREATE SEQUENCE, nextval) is refused with the statement named, so a future migration that
  needs one fails loudly on the lake instead of silently changing meaning.

Types (JSON, VARCHAR[], TIMESTAMPTZ, TINYINT) and literal DEFAULTs work in DuckLake as they are.
"""

from __future__ import annotations

import re

from ..errors import StoreError

_WORD = r"(?<![\w\"])({})(?![\w\"])"
_TABLE_KEY = re.compile(r"^\s*(?:CONSTRAINT\s+\S+\s+)?(PRIMARY\s+KEY|UNIQUE)\s*\((.*)\)\s*$", re.I | re.S)
_INLINE_KEY = re.compile(_WORD.format(r"PRIMARY\s+KEY|UNIQUE"), re.I)
_NOT_NULL = re.compile(_WORD.format(r"NOT\s+NULL"), re.I)
_REFUSED = {
    "CHECK constraints": re.compile(_WORD.format("CHECK"), re.I),
    "foreign keys": re.compile(_WORD.format("REFERENCES|FOREIGN"), re.I),
    "sequences": re.compile(_WORD.format("SEQUENCE|nextval|currval"), re.I),
    "indexes": re.compile(r"^\s*CREATE\s+(UNIQUE\s+)?INDEX\b", re.I),
}
_CREATE_TABLE = re.compile(r"^\s*CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?([\w\".]+)\s*\(", re.I)


def strip_comments(sql: str) -> str:
    """`sql` without ``--`` and ``/* */`` comments; quoted text is left alone."""
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            end = i + 1
            while end < n:
                if sql[end] == ch:
                    if end + 1 < n and sql[end + 1] == ch:  # doubled quote inside the literal
                        end += 2
                        continue
                    break
                end += 1
            out.append(sql[i : end + 1])
            i = end + 1
        elif sql.startswith("--", i):
            while i < n and sql[i] != "\n":
                i += 1
        elif sql.startswith("/*", i):
            close = sql.find("*/", i + 2)
            i = n if close < 0 else close + 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def split_top_level(text: str, sep: str = ",") -> list[str]:
    """Split on `sep` outside parentheses and quotes (comments already removed)."""
    parts: list[str] = []
    depth, start, quote = 0, 0, ""
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p for p in parts if p.strip()]


def _mask_literals(text: str) -> tuple[str, list[str]]:
    """`text` with each '...' literal replaced by a NUL-delimited marker, and the literals."""
    literals: list[str] = []

    def keep(match: re.Match[str]) -> str:
        literals.append(match.group(0))
        return f"\0{len(literals) - 1}\0"

    return re.sub(r"'(?:[^']|'')*'", keep, text), literals


def _unmask(text: str, literals: list[str]) -> str:
    return re.sub("\0(\\d+)\0", lambda m: literals[int(m.group(1))], text)


def _unquote(name: str) -> str:
    return name.strip().strip('"').lower()


def _translate_create_table(statement: str, match: re.Match[str]) -> str:
    body_start = match.end()
    body_end = statement.rindex(")")
    items = split_top_level(statement[body_start:body_end])
    key_columns: set[str] = set()
    kept: list[str] = []
    for item in items:
        table_key = _TABLE_KEY.match(item)
        if table_key:
            if table_key.group(1).upper().startswith("PRIMARY"):
                key_columns.update(_unquote(c) for c in split_top_level(table_key.group(2)))
            continue
        kept.append(item)
    columns: list[str] = []
    for item in kept:
        # Keywords are looked for outside string literals (a DEFAULT may quote anything).
        masked, literals = _mask_literals(item)
        name = _unquote(masked.split()[0])
        inline_pk = re.search(_WORD.format(r"PRIMARY\s+KEY"), masked, re.I) is not None
        masked = _INLINE_KEY.sub("", masked)
        if (inline_pk or name in key_columns) and not _NOT_NULL.search(masked):
            masked = masked.rstrip() + " NOT NULL"
        columns.append("    " + _unmask(" ".join(masked.split()), literals))
    return statement[:body_start] + "\n" + ",\n".join(columns) + "\n" + statement[body_end:]


def to_ducklake(sql: str, *, source: str = "migration") -> str:
    """The DuckLake form of a migration script (statements separated by semicolons)."""
    statements = split_top_level(strip_comments(sql), ";")
    translated: list[str] = []
    for statement in statements:
        for what, pattern in _REFUSED.items():
            if pattern.search(statement):
                head = " ".join(statement.split())[:80]
                raise StoreError(
                    f"{source}: DuckLake does not support {what}; this statement needs a "
                    f"DuckLake-compatible form: {head}"
                )
        create = _CREATE_TABLE.match(statement)
        lake_form = _translate_create_table(statement, create) if create else statement
        translated.append(lake_form.strip())
    return ";\n".join(translated) + ";\n" if translated else ""
