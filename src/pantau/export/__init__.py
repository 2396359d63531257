"""The weekly export: human-confirmed cases, one Excel-safe CSV per recipient, with a manifest.

    from pantau.export import export_week
    result = export_week(store, "2024-W47", "bkn")     # -> PANTAU_HOME/exports/bkn/...

What goes in: the cases *confirmed during* the ISO week (Monday 00:00 – Sunday 24:00,
Asia/Jakarta), whatever the date of the act. "Confirmed during the week" is the decision that
made the case exportable (`review.case_state`: its latest decision is `confirmed`, and in
four-eyes mode the second reviewer's confirmation), so each confirmed case belongs to exactly
one weekly file and a late confirmation of an old act lands in the week it was decided.
Unreviewed, dismissed and needs-more-info cases never go out. Re-running an old week reflects
today's decisions: a case dismissed since drops out, and the manifest says so.

The file: UTF-8 with BOM (Excel detects the encoding), every cell quoted, CRLF line ends
(RFC 4180, what Excel writes itself), the recipient's delimiter. Cells are made inert for
spreadsheets: text that would start with ``= + - @`` (also after leading spaces or quotes, and
the full-width forms) or with a tab/CR gets a leading ``'``; control characters are dropped,
line breaks become spaces, and bidirectional overrides (U+202A–202E, U+2066–2069) are shown
as ``[U+202E]`` so reordered text cannot disguise a cell. Post text goes out as an excerpt.

Reproducible: the same week and recipient give byte-identical files until a decision that
affects the week changes. Then a new revision is written beside the old one
(``pantau-bkn-2024-W47-r2.csv``) and its manifest lists the case ids added, removed and
changed. The manifest gives the SHA-256 of the file and of each line (``row_sha256``, the
line's bytes without its CRLF), so a recipient can check any line on its own. Files are
written to a temporary name and renamed, and recorded in ``exports`` and ``export_rows``
(which case went to whom, on which line of which file, with the line's digest).

The parts: `layouts` (recipient layouts, ISO weeks), `cases` (the week's cases, the audit
chain and the evidence checked once for every recipient), `render` (fields -> cells ->
lines -> the file, a batch at a time) and `weekly` (revisions, manifests, the record).

Recipients are TOML layouts: shipped in ``pantau/recipients/`` (bkn, kasn, bawaslu) and any
``<name>.toml`` in ``settings.export.recipients_dir`` (which wins over a shipped one).
"""

from __future__ import annotations

from ..csvsafe import safe_cell
from .layouts import (
    ACTIVITY_ID, FIELDS, STAGE_ID, Column, IsoWeek, Recipient, load_recipient,
    parse_recipient, parse_week, recipient_files,
)
from .weekly import MANIFEST_FORMAT, ExportResult, export_all, export_week

__all__ = [
    "ACTIVITY_ID", "FIELDS", "MANIFEST_FORMAT", "STAGE_ID", "Column", "ExportResult", "IsoWeek",
    "Recipient", "export_all", "export_week", "load_recipient", "parse_recipient",
    "parse_week", "recipient_files", "safe_cell",
]
