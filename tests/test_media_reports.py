"""A public report's screenshot is archived and analysed like a downloaded photo."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from media_helpers import render_poster
from pantau.collectors.imports.reports import PublicReport, add_report
from pantau.media.pending import analyze_pending
from pantau.media.photos import activity_photos
from pantau.store import Store


@pytest.mark.slow
def test_report_screenshot_reaches_the_photo_analysis(isolated_home, tmp_path):
    shot = tmp_path / "tangkapan-layar.png"
    shot.write_bytes(render_poster(["COBLOS NO. 3", "Pilih Pramono–Rano"], scale=0.5))
    notes = tmp_path / "catatan.txt"
    notes.write_text("bukan gambar")
    with Store.open() as store:
        activity, new = add_report(store, PublicReport(
            url="https://t.me/dinas_x/41", description="ASN membagikan poster paslon",
            reporter="warga@example.org", screenshot=shot,
            at=datetime(2024, 11, 1, 5, tzinfo=UTC)))
        assert new
        (media,) = json.loads(store.rows("SELECT media FROM activities WHERE activity_id = ?",
                                         [activity.id])[0][0])
        assert media["kind"] == "photo" and media["sha256"] == activity.evidence_id
        assert store.rows("SELECT count(*) FROM evidence WHERE sha256 = ?",
                          [media["sha256"]])[0][0] == 1

        # A report whose attachment is no image is kept, but not sent to the photo analysis.
        other, _ = add_report(store, PublicReport(
            url="https://t.me/dinas_x/42", description="lihat catatan",
            reporter="warga@example.org", screenshot=notes))
        (item,) = json.loads(store.rows("SELECT media FROM activities WHERE activity_id = ?",
                                        [other.id])[0][0])
        assert item["kind"] == "file"

        summary = analyze_pending(store, isolated_home)
        assert (summary.pending, summary.analyzed) == (1, 1)
        (photo,) = activity_photos(store, [activity.id])[activity.id]
        assert "COBLOS" in photo.ocr_text.upper()
        assert photo.image_text.startswith("[gambar] ")
