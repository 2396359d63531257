"""`pantau parse PLATFORM FILE`: re-parse one saved raw response, print JSON lines."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ..collectors.reparse import KINDS, parse_saved
from ..collectors.serialize import activity_to_json
from ._common import err, require_file

_KIND_HELP = "Response kind when it cannot be told from the body: " + "; ".join(
    f"{platform}: {', '.join(kinds)}" for platform, kinds in KINDS.items()
)


def parse_cmd(
    platform: str = typer.Argument(..., help="telegram, bluesky or mastodon."),
    file: Path = typer.Argument(..., help="A saved response body (HTML page/fragment or JSON)."),
    target: str | None = typer.Option(
        None, "--target",
        help="The post (URL/URI/id) or account a list of likers, reposters or follows refers "
             "to, when the body does not name it."),
    kind: str | None = typer.Option(None, "--kind", help=_KIND_HELP),
) -> None:
    """Print one JSON object per normalised activity (problems go to stderr).

    Example: pantau parse bluesky getLikes.json --target at://did:plc:x/app.bsky.feed.post/3k
    """
    require_file(file)
    result = parse_saved(platform, file, target=target, kind=kind)
    if result.record is not None:
        typer.echo(json.dumps(result.record, ensure_ascii=False))
    for activity in result.activities:
        typer.echo(json.dumps(activity_to_json(activity), ensure_ascii=False))
    for problem in result.parsed.problems:
        err.print(f"{file}: {problem.item_ref}: {problem.error}", markup=False, soft_wrap=True)
    cursor = f", next page cursor {result.parsed.cursor}" if result.parsed.cursor else ""
    err.print(
        f"{file}: {result.platform} {result.kind}: {len(result.activities)} activities, "
        f"{len(result.parsed.problems)} problem(s){cursor}",
        markup=False, soft_wrap=True, highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.command("parse")(parse_cmd)
