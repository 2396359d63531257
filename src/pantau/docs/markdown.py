"""Small Markdown helpers for the generated reference pages."""

from __future__ import annotations

import re

# Outside code spans these would be read as HTML, emphasis or table syntax.
_SPECIAL = re.compile(r"([\\*<>|\[\]])")


def escape(text: str) -> str:
    """Escape Markdown specials outside `code spans` (which are kept as written)."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: no code spans to protect
        return _SPECIAL.sub(r"\\\1", text)
    return "`".join(
        part if i % 2 else _SPECIAL.sub(r"\\\1", part) for i, part in enumerate(parts)
    )


def code(text: str) -> str:
    """An inline code span that survives backticks inside `text` and pipes in tables."""
    text = text.replace("|", "\\|")
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def cell(text: str) -> str:
    """Table cell text: one line, specials escaped."""
    return escape(" ".join(text.split()))


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A GitHub-flavoured Markdown table; cells must already be formatted."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def anchor(title: str) -> str:
    """The anchor GitHub gives a heading: lower case, spaces to dashes, punctuation dropped."""
    slug = re.sub(r"[^\w\- ]", "", title.strip().lower())
    return slug.replace(" ", "-")
