"""Hands in a photo: MediaPipe Hands landmarks -> raised-finger count and named pose.

The BKN guidance forbids civil servants to post photos with partisan hand symbols: one to five
raised fingers (the candidate's number, "salam dua jari"), thumbs up, "metal", finger heart and
the V sign (domain.md). MediaPipe gives 21 landmarks per hand (0 wrist; thumb 1-4; index 5-8;
middle 9-12; ring 13-16; pinky 17-20, each finger MCP -> PIP -> DIP -> TIP). `classify_landmarks`
is pure geometry on those points, so it is tested without images; `detect_hands` runs the model.

Only hands are looked at: pantau never identifies faces or people (who is in a photo comes from
the account and the caption). The models ship inside the mediapipe 0.10.14 wheel; nothing is
downloaded at run time. Accuracy on real photos: models/hands/README.md.
"""

from __future__ import annotations

import math
import os
import threading
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .images import ImageInput, load_image

FINGERS = ("thumb", "index", "middle", "ring", "pinky")
NUMBER_POSES = ("fist", "one", "two", "three", "four", "five")
POSES = NUMBER_POSES + ("thumbs_up", "metal", "finger_heart", "v_sign")

# MCP, PIP, DIP, TIP landmark indices of the four long fingers.
_LONG_FINGERS = {
    "index": (5, 6, 7, 8),
    "middle": (9, 10, 11, 12),
    "ring": (13, 14, 15, 16),
    "pinky": (17, 18, 19, 20),
}
WRIST, THUMB_CMC, THUMB_MCP, THUMB_IP, THUMB_TIP = 0, 1, 2, 3, 4

# Thresholds, tuned on tests/fixtures/hands (see the model card). Each criterion becomes a soft
# score with a logistic around its threshold, so a finger right on the edge gets ~0.5 and lowers
# the hand's confidence instead of flipping silently.
# Long finger: how far the tip reaches from the wrist compared with its PIP joint (a curled
# finger folds its tip back towards the palm: < 1; a straight one: ~1.3-1.5) ...
REACH_THRESHOLD, REACH_SCALE = 1.15, 0.08
# ... and how straight the PIP joint is (180 = straight; a curled finger bends to < 140).
PIP_ANGLE_THRESHOLD, PIP_ANGLE_SCALE = 150.0, 10.0
# Thumb: how far the tip sticks out sideways past the index knuckle, along the palm's
# pinky->index axis, in palm widths (folded across the palm: < 0.2; spread out: > 0.7). The axis
# comes from the hand's own knuckles, so it holds for left and right hands, palm or back to the
# camera and any rotation, unlike comparing x coordinates with a handedness label.
THUMB_OUT_THRESHOLD, THUMB_OUT_SCALE = 0.4, 0.12
# ... how far the tip is from the pinky knuckle compared with the thumb's own MCP joint ...
THUMB_SPREAD_THRESHOLD, THUMB_SPREAD_SCALE = 1.15, 0.08
# ... and how straight its MCP joint is.
THUMB_ANGLE_THRESHOLD, THUMB_ANGLE_SCALE = 162.0, 6.0
# Finger heart: thumb tip on the index finger's last two segments, index half bent (not a fist).
HEART_TOUCH = 0.35          # in palm lengths (wrist -> middle MCP)
HEART_MIN_INDEX_REACH = 0.85
# V sign: index and middle fingers spread by at least this angle (degrees), else "two".
V_SPREAD_DEGREES = 12.0
# Thumbs up: the raised thumb points within this angle of straight up in the image.
THUMBS_UP_DEGREES = 60.0


@dataclass(slots=True)
class Hand:
    """One detected hand: raised-finger count, named pose and how sure we are."""

    fingers: int                          # raised fingers, 0-5
    pose: str                             # one of POSES
    confidence: float                     # detection score x geometric certainty, 0-1
    handedness: str                       # "left" | "right" (as seen in an unmirrored photo)
    landmarks: list[tuple[float, float, float]] = field(repr=False)  # 21 (x, y, z), 0-1 of the image
    raised: tuple[str, ...] = ()          # which fingers are raised, from FINGERS

    def to_dict(self, *, landmarks: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "fingers": self.fingers,
            "pose": self.pose,
            "confidence": round(self.confidence, 3),
            "handedness": self.handedness,
            "raised": list(self.raised),
        }
        if landmarks:
            out["landmarks"] = [[round(v, 4) for v in p] for p in self.landmarks]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Hand:
        """The inverse of `to_dict` (as stored in `media_analyses.hands`); landmarks optional."""
        return cls(
            fingers=int(data["fingers"]), pose=str(data["pose"]),
            confidence=float(data["confidence"]), handedness=data.get("handedness") or "",
            landmarks=[tuple(p) for p in data.get("landmarks") or []],
            raised=tuple(data.get("raised") or ()),
        )


@dataclass(slots=True)
class PoseReading:
    """What the geometry says about one hand, before the detector's own score is folded in."""

    fingers: int
    pose: str
    certainty: float                      # 0-1: how far every finger is from its threshold
    raised: tuple[str, ...]
    scores: dict[str, float]              # per-finger extension score, 0-1


def _sigmoid(value: float, threshold: float, scale: float) -> float:
    return 1.0 / (1.0 + math.exp(-(value - threshold) / scale))


def _angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    """The angle at `b` between b->a and b->c, in degrees."""
    v1, v2 = a - b, c - b
    denom = float(np.linalg.norm(v1) * np.linalg.norm(v2)) or 1e-9
    return math.degrees(math.acos(max(-1.0, min(1.0, float(v1 @ v2) / denom))))


def _dist(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b))


def _long_finger_score(p: np.ndarray, mcp: int, pip: int, dip: int, tip: int) -> float:
    reach = _dist(p[tip], p[WRIST]) / max(_dist(p[pip], p[WRIST]), 1e-9)
    straight = _angle(p[mcp], p[pip], p[dip])
    return 0.5 * (
        _sigmoid(reach, REACH_THRESHOLD, REACH_SCALE)
        + _sigmoid(straight, PIP_ANGLE_THRESHOLD, PIP_ANGLE_SCALE)
    )


def _thumb_score(p: np.ndarray) -> float:
    axis = p[5] - p[17]                      # pinky knuckle -> index knuckle
    width = max(float(np.linalg.norm(axis)), 1e-9)
    out = float((p[THUMB_TIP] - p[5]) @ (axis / width)) / width
    spread = _dist(p[THUMB_TIP], p[17]) / max(_dist(p[THUMB_MCP], p[17]), 1e-9)
    straight = _angle(p[THUMB_CMC], p[THUMB_MCP], p[THUMB_IP])
    return (
        _sigmoid(out, THUMB_OUT_THRESHOLD, THUMB_OUT_SCALE)
        + _sigmoid(spread, THUMB_SPREAD_THRESHOLD, THUMB_SPREAD_SCALE)
        + _sigmoid(straight, THUMB_ANGLE_THRESHOLD, THUMB_ANGLE_SCALE)
    ) / 3.0


def _direction_degrees(v: np.ndarray) -> float:
    """Angle of a 2-D image direction from straight up (image y grows downwards)."""
    return math.degrees(math.atan2(abs(float(v[0])), -float(v[1])))


def classify_landmarks(points: np.ndarray | list[list[float]]) -> PoseReading:
    """Raised fingers and pose from 21 landmarks in pixel-proportional units.

    `points` is (21, 3): x and y in pixels (or any unit with the image's aspect ratio) and z in
    the same unit as x, as MediaPipe's normalised landmarks scaled by the image width/height.
    """
    p = np.asarray(points, dtype=float)
    if p.shape != (21, 3):
        raise ValueError(f"expected 21 landmarks of (x, y, z), got shape {p.shape}")
    scores = {"thumb": _thumb_score(p)}
    for name, (mcp, pip, dip, tip) in _LONG_FINGERS.items():
        scores[name] = _long_finger_score(p, mcp, pip, dip, tip)
    raised = tuple(f for f in FINGERS if scores[f] > 0.5)
    certainty = min(abs(s - 0.5) * 2.0 for s in scores.values())
    return PoseReading(
        fingers=len(raised), pose=_name_pose(p, raised), certainty=certainty,
        raised=raised, scores=scores,
    )


def _name_pose(p: np.ndarray, raised: tuple[str, ...]) -> str:
    up = set(raised)
    if up == {"thumb"} and _direction_degrees(p[THUMB_TIP] - p[THUMB_MCP]) <= THUMBS_UP_DEGREES:
        return "thumbs_up"
    if {"index", "pinky"} <= up and not up & {"middle", "ring"}:
        return "metal"
    if up == {"index", "middle"}:
        # Angle between the index (MCP->TIP) and middle (MCP->TIP) finger directions.
        spread = _angle(p[5] + (p[8] - p[5]), p[5], p[5] + (p[12] - p[9]))
        return "v_sign" if spread >= V_SPREAD_DEGREES else "two"
    if not up & {"index", "middle", "ring", "pinky"}:
        palm = max(_dist(p[WRIST], p[9]), 1e-9)
        touch = min(_dist(p[THUMB_TIP], p[k]) for k in (6, 7, 8)) / palm
        index_reach = _dist(p[8], p[WRIST]) / max(_dist(p[6], p[WRIST]), 1e-9)
        if touch <= HEART_TOUCH and index_reach >= HEART_MIN_INDEX_REACH:
            return "finger_heart"
    return NUMBER_POSES[len(up)]


class HandDetector:
    """MediaPipe Hands in still-image mode, loaded once and reused (loading costs ~0.2 s).

    MediaPipe graphs are not thread-safe, so calls are serialised with a lock.
    """

    def __init__(
        self,
        *,
        max_num_hands: int = 4,
        min_detection_confidence: float = 0.5,
        model_complexity: int = 1,
        flip_fallback: bool = True,
    ) -> None:
        # MediaPipe's C++ logging (glog) floods stderr with INFO lines per image otherwise.
        os.environ.setdefault("GLOG_minloglevel", "2")
        import mediapipe as mp  # heavy import (TFLite, protobuf): only when hands are wanted

        self._hands = mp.solutions.hands.Hands(
            static_image_mode=True,
            max_num_hands=max_num_hands,
            min_detection_confidence=min_detection_confidence,
            model_complexity=model_complexity,
        )
        self.flip_fallback = flip_fallback
        self._lock = threading.Lock()

    def close(self) -> None:
        self._hands.close()

    def _run(self, rgb: np.ndarray, flipped: bool) -> list[Hand]:
        height, width = rgb.shape[:2]
        frame = np.ascontiguousarray(rgb[:, ::-1]) if flipped else rgb
        with self._lock, warnings.catch_warnings():
            # protobuf 4 deprecation warning raised from inside mediapipe on every call.
            warnings.filterwarnings("ignore", message="SymbolDatabase.GetPrototype")
            result = self._hands.process(frame)
        hands: list[Hand] = []
        for lms, cls in zip(result.multi_hand_landmarks or [], result.multi_handedness or []):
            norm = [(1.0 - lm.x if flipped else lm.x, lm.y, lm.z) for lm in lms.landmark]
            pts = np.array(norm) * np.array([width, height, width])
            reading = classify_landmarks(pts)
            top = cls.classification[0]
            # MediaPipe labels hands as if the image were a mirrored selfie; a flip undoes that.
            label = top.label.lower()
            if not flipped:
                label = "left" if label == "right" else "right"
            confidence = float(top.score) * (0.5 + 0.5 * reading.certainty)
            hands.append(Hand(
                fingers=reading.fingers, pose=reading.pose, confidence=confidence,
                handedness=label, landmarks=norm, raised=reading.raised,
            ))
        return hands

    def detect(self, rgb: np.ndarray) -> list[Hand]:
        """Hands in an RGB uint8 array, most confident first."""
        hands = self._run(rgb, flipped=False)
        if not hands and self.flip_fallback:
            # The palm detector is not mirror-symmetric: a missed hand is sometimes found in
            # the mirrored image. Only tried when nothing was found, so it costs little.
            hands = self._run(rgb, flipped=True)
        return sorted(hands, key=lambda h: h.confidence, reverse=True)


_default: HandDetector | None = None
_default_lock = threading.Lock()


def default_detector() -> HandDetector:
    global _default
    with _default_lock:
        if _default is None:
            _default = HandDetector()
        return _default


def detect_hands(image: ImageInput, *, detector: HandDetector | None = None) -> list[Hand]:
    """Hands in an image (path, bytes or `LoadedImage`), with raised fingers and pose."""
    loaded = load_image(image)
    return (detector or default_detector()).detect(loaded.rgb)
