"""Photos in the review API: a case shows each image with its hands, text, flag and preview."""

from __future__ import annotations

import base64
import gzip
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pantau.cli import main
from pantau.errors import EvidenceError
from pantau.media.annotate import THUMB_MAX_BYTES, THUMB_MAX_SIDE, annotate, jpeg_bytes, thumbnail
from pantau.media.hands import Hand
from pantau.media.images import load_image
from pantau.records import Activity, Media
from pantau.review import show_case
from pantau.store.activities import activities_table
from review_helpers import (PHOTO, PHOTO_ANALYSIS, _archive, photo_world_store,  # noqa: F401
                            wib, world_store)

HOSTILE_OCR = '<script>alert("x")</script> COBLOS NO. 3 & <b>Mas Pram</b>'


def _recorded_hands() -> list[Hand]:
    return [Hand.from_dict(h) for h in json.loads(PHOTO_ANALYSIS.read_text("utf-8"))["hands"]]


def _thumbnails(html: str) -> list[Image.Image]:
    found = re.findall(r'<img src="data:image/jpeg;base64,([A-Za-z0-9+/=]+)"', html)
    return [Image.open(io.BytesIO(base64.b64decode(b))) for b in found]


# --- the case API ------------------------------------------------------------------------------


def test_photo_case_lists_image_hands_text_and_flag(photo_world_store):
    store, world = photo_world_store
    case = show_case(store, world.cases["foto"])
    assert len(case.photos) == 1
    photo = case.photos[0]
    assert photo.sha256 == world.evidence["foto_image"] and photo.verifies
    assert photo.path is not None and photo.path.is_file()
    assert (photo.width, photo.height) == (800, 600)
    assert [(h.pose, h.fingers) for h in photo.hands] == [("three", 3)]
    assert photo.hands[0].confidence == pytest.approx(0.879)
    assert photo.analysis_status == "ok" and photo.ocr_text == ""
    assert [(f.case_id, f.rule, f.candidate) for f in photo.flags] == [
        (world.cases["foto"], "DS-07", 3)]

    text = str(case)
    for part in (str(photo.path), f"sha256 {photo.sha256} — verifies", "800x600",
                 "pose three, 3 finger(s) raised: index, middle, ring",
                 "no text found in the image",
                 "[this case]: Foto bersama calon dengan simbol tiga jari"):
        assert part in text

    html = case._repr_html_()
    (thumb,) = _thumbnails(html)
    assert thumb.format == "JPEG" and max(thumb.size) == THUMB_MAX_SIDE
    assert thumb.size == (THUMB_MAX_SIDE, THUMB_MAX_SIDE * 600 // 800)
    assert 'alt="photo with detected hands: three"' in html
    assert "pose three" in html and "Foto bersama calon dengan simbol tiga jari" in html


def test_preview_is_bounded_and_has_the_hand_drawn(photo_world_store):
    store, world = photo_world_store
    photo = show_case(store, world.cases["foto"]).photos[0]
    assert 0 < len(photo.thumbnail_jpeg) <= THUMB_MAX_BYTES
    drawn = np.asarray(Image.open(io.BytesIO(photo.thumbnail_jpeg)).convert("RGB"), dtype=int)
    plain = np.asarray(thumbnail(load_image(PHOTO)), dtype=int)
    diff = np.abs(drawn - plain).sum(axis=2) > 120        # well above JPEG noise
    h, w = diff.shape
    xs = [x * w for x, _, _ in photo.hands[0].landmarks]
    ys = [y * h for _, y, _ in photo.hands[0].landmarks]
    inside = diff[int(min(ys)):int(max(ys)), int(min(xs)):int(max(xs))]
    assert inside.mean() > 0.05                           # skeleton and dots over the hand
    assert diff[: h // 3, : w // 3].mean() < 0.01         # the far corner is untouched


def test_image_text_is_shown_and_escaped(photo_world_store):
    store, world = photo_world_store
    store.rows("UPDATE media_analyses SET ocr_text = ?, ocr_confidence = 0.81 WHERE sha256 = ?",
               [HOSTILE_OCR, world.evidence["foto_image"]])
    case = show_case(store, world.cases["foto"])
    assert case.photos[0].ocr_text == HOSTILE_OCR
    assert f"text in image (OCR, confidence 0.81): {HOSTILE_OCR}" in str(case)
    html = case._repr_html_()
    assert "<script>" not in html and "<b>Mas Pram</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; COBLOS NO. 3 &amp; " in html


def test_text_only_case_has_no_photos(photo_world_store):
    store, world = photo_world_store
    case = show_case(store, world.cases["ajakan"])
    assert case.photos == []
    assert "photo 1" not in str(case) and "<img" not in case._repr_html_()


def test_photos_not_archived_not_analysed_or_altered_say_so(photo_world_store):
    store, world = photo_world_store
    # A post with three photos: one not downloaded yet, one archived but not analysed, and
    # the analysed one of the world, whose archived file is then edited.
    other = PHOTO.with_name("2_pic00240.jpg").read_bytes()
    sha_other = _archive(store, "media", "https://cdn.example/b.jpg", other,
                         wib(2024, 11, 13, 8), "image/jpeg")
    act = Activity(platform="telegram", type="post", actor_id="budi_guru70",
                   actor_handle="budi_guru70", native_id="budi_guru70/600",
                   text="Salam tiga jari untuk Mas Pram", created_at=wib(2024, 11, 13, 9),
                   url="https://t.me/budi_guru70/600", evidence_id=world.evidence["ajakan"],
                   media=[Media(url="https://cdn.example/a.jpg"),
                          Media(url="https://cdn.example/b.jpg", sha256=sha_other),
                          Media(url="https://cdn.example/c.jpg",
                                sha256=world.evidence["foto_image"])])
    store.upsert("activities", activities_table([act]), key=["activity_id"])
    flag = store.rows("SELECT * FROM flags WHERE case_id = ?", [world.cases["ajakan"]])
    assert flag                                        # copy a flag row onto the new post
    store.rows("INSERT INTO flags SELECT * REPLACE ('c0ffee' || case_id AS case_id, "
               "? AS activity_id) FROM flags WHERE case_id = ?", [act.id, world.cases["ajakan"]])
    rel = store.rows("SELECT path FROM evidence WHERE sha256 = ?",
                     [world.evidence["foto_image"]])[0][0]
    Path(store.path.parent, rel).write_bytes(gzip.compress(b"not the photo any more"))

    case = show_case(store, "c0ffee" + world.cases["ajakan"])
    missing, unanalysed, altered = case.photos
    assert missing.sha256 is None and not missing.verifies and missing.thumbnail_jpeg is None
    assert unanalysed.verifies and unanalysed.analysis_status is None
    assert unanalysed.thumbnail_jpeg and unanalysed.hands == []
    assert not altered.verifies and altered.thumbnail_jpeg is None
    assert "does not match" in altered.detail
    assert altered.hands[0].pose == "three"            # the analysis is still on record
    text = str(case)
    assert "not downloaded yet (pantau media download): https://cdn.example/a.jpg" in text
    assert "not analysed yet (pantau media pending)" in text
    assert "DOES NOT VERIFY" in text
    assert len(_thumbnails(case._repr_html_())) == 1   # only the photo that verifies


def test_larger_annotated_view_is_reverified(photo_world_store):
    store, world = photo_world_store
    photo = show_case(store, world.cases["foto"], thumbnails=False).photos[0]
    assert photo.annotated(960).size == (800, 600)       # never enlarged
    assert photo.annotated(400).size == (400, 300)
    photo.path.write_bytes(gzip.compress(b"swapped after the case was opened"))
    with pytest.raises(EvidenceError, match="does not match its SHA-256"):
        photo.annotated()


def test_terminal_view_skips_previews(photo_world_store):
    store, world = photo_world_store
    case = show_case(store, world.cases["foto"], thumbnails=False)
    assert case.photos[0].verifies and case.photos[0].thumbnail_jpeg is None
    assert "pose three" in str(case)


# --- annotate ----------------------------------------------------------------------------------


def test_annotate_keeps_the_size_and_leaves_the_input_alone():
    loaded = load_image(PHOTO)
    before = loaded.rgb.copy()
    hands = _recorded_hands()
    for source in (loaded, PHOTO, PHOTO.read_bytes(), loaded.rgb, Image.fromarray(loaded.rgb)):
        out = annotate(source, hands)
        assert isinstance(out, Image.Image) and out.mode == "RGB"
        assert out.size == (loaded.width, loaded.height)
    assert np.array_equal(loaded.rgb, before)
    drawn = np.asarray(annotate(loaded, hands))
    assert not np.array_equal(drawn, loaded.rgb)
    # A landmark lies under the drawing: the wrist dot is painted in the hand's colour.
    x, y, _ = hands[0].landmarks[0]
    assert tuple(drawn[int(y * loaded.height), int(x * loaded.width)]) != \
        tuple(loaded.rgb[int(y * loaded.height), int(x * loaded.width)])


def test_annotate_without_hands_or_landmarks():
    img = Image.new("RGB", (300, 200), (40, 40, 40))
    assert np.array_equal(np.asarray(annotate(img, [])), np.asarray(img))
    bare = Hand(fingers=2, pose="v_sign", confidence=0.7, handedness="", landmarks=[])
    labelled = annotate(img, [bare])
    assert labelled.size == img.size
    corner = np.asarray(labelled)[:20, :120]
    assert (corner != 40).any()                         # the label went to the corner


def test_jpeg_bytes_stays_under_its_limit():
    noise = np.random.default_rng(1).integers(0, 256, (900, 1200, 3), dtype=np.uint8)
    big = Image.fromarray(noise)
    data = jpeg_bytes(big, max_bytes=40_000)
    assert len(data) <= 40_000
    assert Image.open(io.BytesIO(data)).format == "JPEG"


def test_recorded_analysis_matches_the_detector():
    from pantau.media import analyze_image

    fresh = analyze_image(PHOTO, ocr=False)
    recorded = _recorded_hands()
    assert [(h.pose, h.fingers, h.raised) for h in fresh.hands] == \
        [(h.pose, h.fingers, h.raised) for h in recorded]
    assert np.allclose(np.array(fresh.hands[0].landmarks)[:, :2],
                       np.array(recorded[0].landmarks)[:, :2], atol=0.01)


# --- CLI ---------------------------------------------------------------------------------------


def test_review_show_prints_hands_text_and_image_path(photo_world_store, capsys):
    store, world = photo_world_store
    path = store.rows("SELECT path FROM evidence WHERE sha256 = ?",
                      [world.evidence["foto_image"]])[0][0]
    store.rows("UPDATE media_analyses SET ocr_text = 'COBLOS [bold]NO. 3[/bold]' "
               "WHERE sha256 = ?", [world.evidence["foto_image"]])
    store.close()
    capsys.readouterr()
    assert main(["review", "show", world.cases["foto"][:8]]) == 0
    out = capsys.readouterr().out
    flat = " ".join(out.split())
    assert "pose three, 3 finger(s) raised" in flat
    assert "COBLOS [bold]NO. 3[/bold]" in flat            # shown as written, not as markup
    assert Path(path).name in flat and "<img" not in out
