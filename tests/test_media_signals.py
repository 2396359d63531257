"""The photo rule: symbol + election context -> KE-05 / DS-07; a pose alone -> review item only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from media_helpers import HANDS_DIR, jakarta_2024
from pantau.media.analyze import ImageAnalysis, analyze_image
from pantau.media.context import ContextMatch
from pantau.media.hands import Hand
from pantau.media.signals import NO_CONTEXT_MAX, photo_flags

DURING_CAMPAIGN = datetime(2024, 11, 1, 5, 0, tzinfo=UTC)       # DS stage, campaign period
AFTER_DETERMINATION = datetime(2024, 9, 23, 5, 0, tzinfo=UTC)   # DS stage, before the campaign
BAKAL_CALON = datetime(2024, 9, 1, 5, 0, tzinfo=UTC)            # KE stage
LONG_BEFORE = datetime(2023, 1, 1, tzinfo=UTC)


def _photo(*poses: tuple[int, str], ocr: str = "", confidence: float = 0.9) -> ImageAnalysis:
    hands = [Hand(fingers=n, pose=p, confidence=confidence, handedness="right",
                  landmarks=[(0.5, 0.5, 0.0)] * 21) for n, p in poses]
    return ImageAnalysis(sha256="ab" * 32, hands=hands, ocr_text=ocr, ocr_confidence=0.9 if ocr else 0.0)


def test_three_fingers_with_candidate_caption_is_ds07():
    flags = photo_flags(_photo((3, "three")), "Salam tiga jari bareng Bang Doel!",
                        jakarta_2024(), when=DURING_CAMPAIGN)
    assert len(flags) == 1
    flag = flags[0]
    assert (flag.rule, flag.stage, flag.candidate, flag.flagged) == ("DS-07", "calon", 3, True)
    assert flag.confidence >= 0.8
    assert "tiga jari" in flag.reason_id and "nomor urut 3" in flag.reason_id
    assert "Bang Doel" in flag.reason_en and "3 raised fingers" in flag.reason_en
    assert "campaign period" in flag.reason_en
    assert flag.signals["context_found"] is True and flag.signals["fingers"] == 3


def test_same_photo_before_determination_is_ke05():
    flags = photo_flags(_photo((3, "three")), "Bersama Mas Pramono Anung",
                        jakarta_2024(), when=BAKAL_CALON)
    assert [(f.rule, f.stage, f.flagged) for f in flags] == [("KE-05", "bakal_calon", True)]


def test_pose_without_context_is_only_a_low_review_item():
    flags = photo_flags(_photo((2, "v_sign")), "Liburan di pantai bersama keluarga",
                        jakarta_2024(), when=DURING_CAMPAIGN)
    assert len(flags) == 1
    assert flags[0].flagged is False
    assert flags[0].confidence <= NO_CONTEXT_MAX
    assert flags[0].signals["context_found"] is False
    assert "not a violation by itself" in flags[0].reason_en


def test_outside_the_election_window_nothing_is_flagged():
    assert photo_flags(_photo((3, "three")), "Salam tiga jari Pramono-Rano",
                       jakarta_2024(), when=LONG_BEFORE) == []


def test_fist_or_no_hands_and_no_poster_raise_nothing():
    election = jakarta_2024()
    assert photo_flags(_photo((0, "fist")), "Pramono-Rano", election, when=DURING_CAMPAIGN) == []
    assert photo_flags(_photo(), "Pramono-Rano", election, when=DURING_CAMPAIGN) == []


def test_count_without_a_matching_candidate_is_not_a_symbol():
    # Five fingers (a wave) in an election with three candidates.
    assert photo_flags(_photo((5, "five")), "Pramono-Rano", jakarta_2024(),
                       when=DURING_CAMPAIGN) == []


def test_thumbs_up_takes_the_candidate_from_the_hashtag():
    flags = photo_flags(_photo((1, "thumbs_up")), "Mantap! #RIDO", jakarta_2024(),
                        when=AFTER_DETERMINATION)
    assert [(f.rule, f.candidate, f.flagged) for f in flags] == [("DS-07", 1, True)]
    assert "jempol" in flags[0].reason_id and "thumbs up" in flags[0].reason_en
    assert "campaign period" not in flags[0].reason_en


def test_watch_listed_account_tagged_is_context():
    election = jakarta_2024()
    from pantau.records import WatchAccount

    election.accounts.append(WatchAccount("instagram", "timpemenangan3", "campaign", 3))
    flags = photo_flags(_photo((1, "thumbs_up")), "bareng tim @timpemenangan3", election,
                        when=DURING_CAMPAIGN)
    assert [(f.candidate, f.flagged) for f in flags] == [(3, True)]
    assert "@timpemenangan3" in flags[0].reason_en


def test_poster_text_in_the_image_is_campaign_text():
    flags = photo_flags(_photo(ocr="COBLOS NO. 3\nPilih Pramono-Rano"), "", jakarta_2024(),
                        when=DURING_CAMPAIGN)
    assert [(f.rule, f.candidate, f.flagged) for f in flags] == [("DS-07", 3, True)]
    assert "campaign text in the image" in flags[0].reason_en
    assert "teks gambar" in flags[0].reason_id


def test_two_fingers_under_a_three_finger_caption_is_weaker():
    agree = photo_flags(_photo((3, "three")), "salam tiga jari", jakarta_2024(),
                        when=DURING_CAMPAIGN)[0]
    disagree = photo_flags(_photo((2, "two")), "salam tiga jari", jakarta_2024(),
                           when=DURING_CAMPAIGN)[0]
    assert disagree.flagged and disagree.confidence < agree.confidence


def test_unsure_hands_are_not_evidence():
    assert photo_flags(_photo((3, "three"), confidence=0.3), "Pramono-Rano", jakarta_2024(),
                       when=DURING_CAMPAIGN) == []


def test_a_linker_can_be_passed_in():
    calls = []

    def linker(text: str, source: str):
        calls.append(source)
        return [ContextMatch("alias", "Mas Pram", 3, source)] if "pram" in text.lower() else []

    flags = photo_flags(_photo((3, "three")), "sama mas pram", jakarta_2024(),
                        when=DURING_CAMPAIGN, linker=linker, activity_id="telegram:ch/7")
    assert calls == ["caption", "image"]
    assert flags[0].activity_id == "telegram:ch/7" and flags[0].candidate == 3


@pytest.mark.slow
def test_real_photo_end_to_end():
    analysis = analyze_image(HANDS_DIR / "2_pic00331.jpg")  # two raised fingers, V
    flags = photo_flags(analysis, "Salam dua jari untuk Dharma-Kun!", jakarta_2024(),
                        when=DURING_CAMPAIGN)
    assert [(f.rule, f.candidate, f.flagged) for f in flags] == [("DS-07", 2, True)]
    assert flags[0].signals["pose"] == "v_sign"
