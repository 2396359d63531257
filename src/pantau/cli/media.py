"""`pantau media …`: photo evidence (OCR text and hand poses), thin over `pantau.media`."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import typer

from ..config import get_settings
from ..errors import MediaError

media_app = typer.Typer(
    help="Photo evidence: read the text in images and detect partisan hand poses "
    "(KE-05 / DS-07). Faces are never identified.\n\n"
    "Example: pantau media analyze photo.jpg --election elections/pilkada-2024-dki-jakarta.toml",
    no_args_is_help=True,
)


def _flag_dict(flag) -> dict:  # type: ignore[no-untyped-def]
    out = asdict(flag)
    out["case_id"] = flag.case_id
    return out


@media_app.command("analyze")
def analyze_cmd(
    files: list[Path] = typer.Argument(..., help="Image files (JPEG, PNG, WebP, GIF, BMP, TIFF)."),
    election_ref: str | None = typer.Option(
        None, "--election", help="Election file (.toml) or loaded election id: also print the "
        "KE-05 / DS-07 flags each image would raise."),
    at: str | None = typer.Option(
        None, "--at", help="When the photo was posted (ISO date or time; default now): decides "
        "KE or DS and the campaign period."),
    caption: str = typer.Option("", "--caption", help="The post's caption, read for election "
                                "context together with the text in the image."),
    ocr: bool = typer.Option(True, "--ocr/--no-ocr", help="Read text with Tesseract."),
    landmarks: bool = typer.Option(False, "--landmarks", help="Include the 21 hand landmarks."),
) -> None:
    """Print one JSON object per image: file, sha256, hands, ocr_text (and flags).

    A file that is not a usable image prints {"file", "error"} and the run goes on; the exit
    code is 1 if any file failed.

    Example: pantau media analyze poster.png --election pilkada-2024-dki-jakarta --at 2024-11-01 --caption "salam 3 jari"
    """
    from ..media.analyze import analyze_image
    from ..media.hands import default_detector

    election = None
    when = None
    if election_ref is not None:
        from .. import elections
        from ..store import Store
        from ._common import parse_at

        election = elections.election_from_file_or_store(
            election_ref, lambda: Store.open(read_only=True))
        when = parse_at(at, election)
    detector = default_detector()
    failed = 0
    for path in files:
        try:
            analysis = analyze_image(path, detector=detector, ocr=ocr)
        except MediaError as exc:
            failed += 1
            print(json.dumps({"file": str(path), "error": str(exc)}, ensure_ascii=False),
                  flush=True)
            continue
        record = {"file": str(path), **analysis.to_dict(landmarks=landmarks)}
        if election is not None and when is not None:
            from ..media.signals import photo_flags

            record["flags"] = [_flag_dict(f) for f in
                               photo_flags(analysis, caption, election, when=when)]
        print(json.dumps(record, ensure_ascii=False, default=str), flush=True)
    if failed:
        raise typer.Exit(code=1)


@media_app.command("download")
def download_cmd(
    limit: int | None = typer.Option(None, "--limit", min=1, help="Fetch at most N images."),
    retry_quarantined: bool = typer.Option(
        False, "--retry-quarantined", help="Try quarantined image URLs again (after adding a "
        "media host to the settings, say)."),
) -> None:
    """Download the photos of collected activities into the evidence archive.

    Only from the platforms' media hosts (settings.platforms.media_hosts) and configured
    platform hosts, at the media rate limit. Non-images, corrupt or oversized files, HTTP
    errors and disallowed hosts (never fetched) go to the quarantine table with the URL and
    reason. Prints a JSON summary.

    Example: pantau media download --limit 200
    """
    from ..media.download import download_pending_media
    from ..store import Store

    settings = get_settings()
    with Store.open(settings=settings) as store:
        summary = download_pending_media(store, settings, limit=limit,
                                         retry_quarantined=retry_quarantined)
    print(json.dumps(summary.to_dict(), ensure_ascii=False))


@media_app.command("pending")
def pending_cmd(
    limit: int | None = typer.Option(None, "--limit", min=1,
                                     help="Download and analyse at most N images each."),
    ocr: bool = typer.Option(True, "--ocr/--no-ocr", help="Read text with Tesseract."),
    download: bool = typer.Option(True, "--download/--no-download",
                                  help="First download pending photos (`pantau media download`)."),
) -> None:
    """Download pending photos, then analyse archived images not analysed yet; store results.

    Corrupt or oversized images are quarantined with their error. `pantau classify` (or the
    collect flow) then reads the results. Prints a JSON summary {"download", "analysis"}.

    Example: pantau media pending --limit 500
    """
    from ..media.stage import process_pending_media
    from ..store import Store

    settings = get_settings()
    with Store.open(settings=settings) as store:
        summary = process_pending_media(store, settings, download=download, limit=limit,
                                        ocr=ocr)
    print(json.dumps(summary.to_dict(), ensure_ascii=False))


def register(app: typer.Typer) -> None:
    app.add_typer(media_app, name="media")

