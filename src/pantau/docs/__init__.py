"""Generated reference pages: docs/cli.md (every command) and docs/configuration.md
(every setting and the PANTAU_HOME layout), written from the code so they stay true.

    python scripts/gen_docs.py            # or: python -m pantau.docs
    python scripts/gen_docs.py --check    # exit 1 and name the stale pages, write nothing

From Python:

    from pantau.docs import render_all, write_docs, stale_docs
    write_docs(Path("docs"))              # -> [Path("docs/cli.md"), ...] the pages changed
    stale_docs(Path("docs"))              # -> ["docs/cli.md"] when a page differs
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ..errors import WriteError
from ..fsutil import describe_os_error
from .cli_ref import command_tree, render_cli
from .config_ref import render_configuration

GENERATOR = "python scripts/gen_docs.py"
# docs/ of the source tree: src/pantau/docs/__init__.py -> <repo>/docs
DEFAULT_DOCS_DIR = Path(__file__).resolve().parents[3] / "docs"


def render_all() -> dict[str, str]:
    """File name -> Markdown text of every generated page."""
    return {
        "cli.md": render_cli(command_tree(), GENERATOR),
        "configuration.md": render_configuration(GENERATOR),
    }


def stale_docs(docs_dir: Path = DEFAULT_DOCS_DIR) -> list[Path]:
    """The generated pages in `docs_dir` that are missing or differ from the code."""
    stale = []
    for name, text in render_all().items():
        path = docs_dir / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(path)
    return stale


def write_docs(docs_dir: Path = DEFAULT_DOCS_DIR) -> list[Path]:
    """(Re)write the pages that changed; returns them. Unchanged files are left untouched."""
    changed = []
    for name, text in render_all().items():
        path = docs_dir / name
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        try:
            docs_dir.mkdir(parents=True, exist_ok=True)
            # Docs are public and versioned: a plain write, not fsutil's owner-only one.
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise WriteError(f"{path}: cannot write: {describe_os_error(exc)}") from exc
        changed.append(path)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=GENERATOR, description="Write docs/cli.md and docs/configuration.md from the code.")
    parser.add_argument("--out", type=Path, default=DEFAULT_DOCS_DIR,
                        help="directory for the pages (default: the repository's docs/)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a page is missing or out of date")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_docs(args.out)
        for path in stale:
            print(f"{path}: out of date; run {GENERATOR}", file=sys.stderr)
        return 1 if stale else 0
    try:
        changed = write_docs(args.out)
    except WriteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    for path in changed:
        print(f"wrote {path}")
    if not changed:
        print(f"{args.out}: up to date")
    return 0
