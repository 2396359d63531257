"""analyze_pending: archived images of activities -> media_analyses, corrupt ones quarantined."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from media_helpers import HANDS_DIR, render_poster
from pantau.collectors.base import Fetched
from pantau.evidence import archive, evidence_table
from pantau.media.analyze import ANALYZER_VERSION
from pantau.media.pending import analyze_pending, load_analyses
from pantau.records import Activity, Media
from pantau.store import Store
from pantau.store.activities import activities_table

WHEN = datetime(2024, 11, 1, 3, 0, tzinfo=UTC)


def _archive(store: Store, body: bytes, name: str) -> str:
    fetched = Fetched(url=f"https://cdn4.telesco.pe/file/{name}", status=200,
                      headers={"content-type": "image/jpeg"}, content=body,
                      requested_at=WHEN, platform="telegram")
    record = archive(store, fetched, "test-1")
    store.upsert("evidence", evidence_table([record]), key=["sha256"])
    return record.sha256


def _post(native_id: str, *media: Media) -> Activity:
    return Activity(platform="telegram", type="post", actor_id="dinas_x", actor_handle="dinas_x",
                    native_id=f"dinas_x/{native_id}", text="foto kegiatan", created_at=WHEN,
                    media=list(media))


@pytest.mark.slow
def test_pending_images_are_analysed_once_and_corrupt_ones_quarantined(isolated_home):
    photo = (HANDS_DIR / "2_pic00331.jpg").read_bytes()
    poster = render_poster(["COBLOS NO. 3", "Pilih Pramono–Rano"], scale=0.5)
    corrupt = photo[: len(photo) // 4]
    with Store.open() as store:
        sha_photo = _archive(store, photo, "a.jpg")
        sha_poster = _archive(store, poster, "b.png")
        sha_corrupt = _archive(store, corrupt, "c.jpg")
        store.upsert("activities", activities_table([
            _post("1", Media("https://cdn4.telesco.pe/file/a.jpg", sha256=sha_photo)),
            # the same photo shared again, plus a poster, a video and one not downloaded yet
            _post("2", Media("https://cdn4.telesco.pe/file/a.jpg", sha256=sha_photo),
                  Media("https://cdn4.telesco.pe/file/b.png", sha256=sha_poster),
                  Media("https://cdn4.telesco.pe/file/v.mp4", kind="video", sha256="f" * 64),
                  Media("https://cdn4.telesco.pe/file/d.jpg", sha256="e" * 64)),
            _post("3", Media("https://cdn4.telesco.pe/file/c.jpg", sha256=sha_corrupt)),
            _post("4"),
        ]), key=["activity_id"])

        summary = analyze_pending(store, isolated_home)

        assert (summary.pending, summary.analyzed, summary.quarantined) == (3, 2, 1)
        assert summary.not_archived == 1
        assert "c.jpg" in summary.errors[0] and "corrupt" in summary.errors[0]
        rows = {r[0]: r[1:] for r in store.rows(
            "SELECT sha256, status, error, hands, ocr_text FROM media_analyses "
            "WHERE analyzer_version = ?", [ANALYZER_VERSION])}
        assert rows[sha_corrupt][0] == "quarantined" and "corrupt" in rows[sha_corrupt][1]
        status, error, hands, _ = rows[sha_photo]
        assert (status, error) == ("ok", None)
        assert [(h["fingers"], h["pose"]) for h in json.loads(hands)] == [(2, "v_sign")]
        assert "COBLOS" in rows[sha_poster][3]

        again = analyze_pending(store, isolated_home)
        assert (again.pending, again.analyzed, again.quarantined) == (0, 0, 0)

        loaded = load_analyses(store, [sha_photo, sha_poster, sha_corrupt])
        assert set(loaded) == {sha_photo, sha_poster}
        assert loaded[sha_photo].hands[0].pose == "v_sign"
        assert loaded[sha_photo].width == 800 and loaded[sha_poster].ocr_confidence > 0.5
        assert len(loaded[sha_photo].hands[0].landmarks) == 21


def test_missing_archive_file_is_quarantined_not_a_crash(isolated_home):
    with Store.open() as store:
        sha = _archive(store, render_poster(["X"], scale=0.2), "gone.png")
        path = store.rows("SELECT path FROM evidence WHERE sha256 = ?", [sha])[0][0]
        (isolated_home / path).unlink()
        store.upsert("activities", activities_table([
            _post("9", Media("https://cdn4.telesco.pe/file/gone.png", sha256=sha)),
        ]), key=["activity_id"])
        summary = analyze_pending(store, isolated_home, ocr=False)
        assert (summary.analyzed, summary.quarantined) == (0, 1)
        assert "missing" in summary.errors[0]
