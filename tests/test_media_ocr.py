"""OCR on rendered Indonesian campaign posters: read well enough that linking finds the candidate."""

from __future__ import annotations

import pytest

from media_helpers import jakarta_2017, jakarta_2024, render_poster
from pantau.media.analyze import analyze_image, caption_with_image_text
from pantau.media.context import LinkerContext, repair_ocr_hashtags
from pantau.media.ocr import estimate_skew, preprocess, read_text

DEGRADATIONS = {
    "clean": {},
    "skewed": {"skew": 8},
    "skewed-other-way": {"skew": -12},
    "noisy": {"noise": 35, "skew": 4},
    "low-resolution-jpeg": {"scale": 0.3, "jpeg_quality": 55},
    "all-at-once": {"skew": -7, "noise": 25, "scale": 0.4, "jpeg_quality": 60},
    "dark-on-light": {"background": (245, 240, 210), "ink": (20, 20, 90), "scale": 0.45},
}


@pytest.mark.parametrize("kind", DEGRADATIONS)
def test_coblos_poster_links_to_the_candidate(kind):
    poster = render_poster(["COBLOS NO. 3", "Pilih Pramono–Rano"], **DEGRADATIONS[kind])
    result = read_text(poster)
    assert "COBLOS" in result.text.upper()
    assert result.confidence > 0.6
    found = LinkerContext(jakarta_2024())(result.text, "image")
    # The pair's alias "Pramono–Rano" is read as the pair name, "NO. 3" as ballot number 3.
    assert any(m.strong and m.candidate == 3 for m in found)
    assert ("number", 3) in {(m.kind, m.candidate) for m in found}
    assert any(m.kind == "call" and m.value == "coblos" for m in found)


@pytest.mark.parametrize("kind", ["clean", "skewed", "noisy", "all-at-once"])
def test_hashtag_poster_links_to_the_candidate(kind):
    poster = render_poster(["#AniesSandi", "Jakarta Maju Bersama"], **DEGRADATIONS[kind])
    found = LinkerContext(jakarta_2017())(read_text(poster).text, "image")
    assert any(m.strong and m.candidate == 3 for m in found)


def test_a_hash_misread_by_ocr_is_repaired_before_linking():
    assert repair_ocr_hashtags("fAniesSandi\nJakarta Maju") == "#AniesSandi\nJakarta Maju"
    assert repair_ocr_hashtags("HPramonoRano") == "#PramonoRano"
    # Ordinary words and single capitalised words are left alone.
    assert repair_ocr_hashtags("Hebat fokus Halo Fajar") == "Hebat fokus Halo Fajar"
    found = LinkerContext(jakarta_2017())("fAniesSandi", "image")
    assert ("hashtag", 3) in {(m.kind, m.candidate) for m in found}
    assert LinkerContext(jakarta_2017())("fAniesSandi", "caption") == []


def test_deskew_estimates_the_rotation():
    import io

    from PIL import Image

    img = Image.open(io.BytesIO(render_poster(["SALAM TIGA JARI", "Pramono Rano"], skew=9)))
    gray, angle = preprocess(__import__("numpy").asarray(img.convert("RGB")))
    assert angle == pytest.approx(-9, abs=1.0)
    assert estimate_skew(gray) == 0.0  # the prepared image is level


def test_blank_image_reads_no_text():
    result = read_text(render_poster([" "], background=(255, 255, 255)))
    assert result.text == "" and result.confidence == 0.0


def test_image_text_is_marked_for_the_classifier():
    analysis = analyze_image(render_poster(["COBLOS NO. 3", "Pilih Pramono–Rano"]), hands=False)
    assert analysis.image_text.startswith("[gambar] COBLOS NO. 3")
    combined = caption_with_image_text("Semangat pagi!", [analysis])
    assert combined.splitlines()[0] == "Semangat pagi!"
    assert combined.splitlines()[1].startswith("[gambar] ")
