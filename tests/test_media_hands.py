"""Hands: pure geometry on hand-made landmarks, and accuracy on the real labelled photos."""

from __future__ import annotations

import csv
from collections import Counter

import numpy as np
import pytest

from media_helpers import HANDS_DIR, synthetic_hand
from pantau.media.hands import FINGERS, HandDetector, classify_landmarks, detect_hands

# --- geometry -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raised", "kwargs", "fingers", "pose"),
    [
        (set(), {}, 0, "fist"),
        ({"thumb"}, {}, 1, "thumbs_up"),
        ({"thumb"}, {"rotate": 180}, 1, "one"),          # thumb pointing down is no thumbs up
        ({"index"}, {}, 1, "one"),
        ({"index", "middle"}, {}, 2, "two"),              # fingers together
        ({"index", "middle"}, {"tilt": {"index": -12, "middle": 8}}, 2, "v_sign"),
        ({"index", "pinky"}, {}, 2, "metal"),
        ({"thumb", "index", "pinky"}, {}, 3, "metal"),
        ({"middle", "ring", "pinky"}, {}, 3, "three"),
        ({"index", "middle", "ring", "pinky"}, {}, 4, "four"),
        (set(FINGERS), {}, 5, "five"),
        (set(), {"heart": True}, 0, "finger_heart"),
    ],
)
def test_pose_from_landmarks(raised, kwargs, fingers, pose):
    reading = classify_landmarks(synthetic_hand(raised, **kwargs))
    assert (reading.fingers, reading.pose) == (fingers, pose)
    assert set(reading.raised) == raised


@pytest.mark.parametrize("raised", [set(), {"thumb"}, {"index", "middle"}, set(FINGERS)])
@pytest.mark.parametrize("rotate", [0.0, 35.0, 90.0, 200.0])
def test_count_does_not_depend_on_left_right_or_rotation(raised, rotate):
    """The thumb test uses the hand's own knuckle axis, not x coordinates and a hand label."""
    right = synthetic_hand(raised, rotate=rotate)
    left = right * np.array([-1.0, 1.0, 1.0])            # the mirror image: the other hand
    assert classify_landmarks(right).fingers == len(raised)
    assert classify_landmarks(left).fingers == len(raised)


def test_borderline_finger_lowers_certainty():
    clear = classify_landmarks(synthetic_hand({"index"}))
    half = synthetic_hand({"index"})
    half[8] = half[6] + (half[8] - half[6]) * 0.35        # index tip pulled halfway in
    assert classify_landmarks(half).certainty < clear.certainty


def test_wrong_shape_is_refused():
    with pytest.raises(ValueError, match="21 landmarks"):
        classify_landmarks(np.zeros((20, 3)))


# --- real photos --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def detector():
    d = HandDetector()
    yield d
    d.close()


def _labels() -> list[tuple[str, int]]:
    with (HANDS_DIR / "labels.csv").open(newline="") as fh:
        return [(r["file"], int(r["open_fingers"])) for r in csv.DictReader(fh)]


@pytest.mark.slow
def test_finger_count_accuracy_on_real_photos(detector):
    """All 42 labelled photos (7 per count 0-5): the model card reports the same numbers."""
    rows = _labels()
    assert len(rows) == 42
    right = 0
    per_class: Counter[int] = Counter()
    for name, label in rows:
        hands = detect_hands(HANDS_DIR / name, detector=detector)
        # One hand per photo in this set; the most confident is the one that counts.
        if hands and hands[0].fingers == label:
            right += 1
            per_class[label] += 1
    assert right / len(rows) >= 0.9, f"{right}/{len(rows)} exactly right"
    assert all(per_class[c] >= 5 for c in range(6)), per_class


def test_hand_report_fields(detector):
    hands = detect_hands(HANDS_DIR / "2_pic00331.jpg", detector=detector)
    assert len(hands) == 1
    hand = hands[0]
    assert (hand.fingers, hand.pose) == (2, "v_sign")
    assert 0.5 < hand.confidence <= 1.0
    assert hand.handedness in {"left", "right"}
    assert len(hand.landmarks) == 21
    assert all(0.0 <= x <= 1.0 and 0.0 <= y <= 1.0 for x, y, _ in hand.landmarks)
    assert hand.to_dict()["pose"] == "v_sign" and "landmarks" not in hand.to_dict()


def test_no_hand_in_a_poster(detector):
    from media_helpers import render_poster

    assert detect_hands(render_poster(["COBLOS NO. 2"]), detector=detector) == []
