"""From an analysed photo to KE-05 / DS-07 flags (posting photos with symbols of support).

The rule (issue 10; domain.md; SKB 2022 Lampiran II KE-05 / DS-07, BKN guidance on poses):

* a *symbol* is a hand raising as many fingers as a candidate's ballot number, a thumbs up,
  "metal", a finger heart or a V sign, or campaign text in the image itself (OCR text naming a
  candidate by name, alias, slogan, hashtag or keyword);
* *election context* is the caption or the image text tying the post to the election: a
  candidate's name, alias, slogan, hashtag or keyword, a party, a watch-listed account tagged,
  or a ballot-number phrase ("salam dua jari", "coblos no. 2");
* symbol + context -> a flag (`flagged=True`) under KE-05 before the candidates are determined,
  DS-07 from then on, with a reason naming the pose, the count and the context. The campaign
  period raises the confidence but is not context on its own;
* a pose without context -> at most one low-confidence review item (`flagged=False`): people
  wave, count and give thumbs up every day;
* outside the election window (stage before/after) nothing is flagged.

The text of a poster is also judged as campaign text (KE-02 / DS-02 / DS-08) by the text
classifier, which reads it through `ImageAnalysis.image_text`; this module does not duplicate
that.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from .. import timeutil
from ..elections import as_local, rule_family, stage_at
from ..records import Election, Flag
from .analyze import ANALYZER_VERSION, ImageAnalysis
from ..classify.linking import Linker
from .context import ContextFinder, ContextMatch, context_finder
from .hands import Hand

PHOTO_RULES = {"KE": "KE-05", "DS": "DS-07"}
# Hands the detector is less sure of than this are not used as evidence.
MIN_HAND_CONFIDENCE = 0.5
# Poses that are a symbol of support whatever their finger count.
SYMBOL_POSES = {"thumbs_up", "metal", "finger_heart", "v_sign"}
# Review items without election context stay below this confidence.
NO_CONTEXT_MAX = 0.35

POSE_ID = {
    "fist": "kepalan tangan", "one": "satu jari", "two": "dua jari", "three": "tiga jari",
    "four": "empat jari", "five": "lima jari", "thumbs_up": "jempol", "metal": "salam metal",
    "finger_heart": "finger heart", "v_sign": "dua jari berbentuk V",
}
POSE_EN = {
    "fist": "a fist", "one": "one finger", "two": "two fingers", "three": "three fingers",
    "four": "four fingers", "five": "five fingers", "thumbs_up": "a thumbs up",
    "metal": "the 'metal' sign", "finger_heart": "a finger heart", "v_sign": "a V sign",
}


def _pose_candidate(hand: Hand, election: Election) -> int | None:
    """The candidate whose ballot number the hand shows, if any."""
    if hand.pose in {"one", "two", "three", "four", "five", "v_sign"} and hand.fingers:
        return hand.fingers if election.candidate(hand.fingers) is not None else None
    return None


def _is_symbol(hand: Hand, election: Election) -> bool:
    return hand.pose in SYMBOL_POSES or _pose_candidate(hand, election) is not None


def in_campaign(election: Election, when: datetime) -> bool:
    cal = election.calendar
    if cal.campaign_start is None or cal.campaign_end is None:
        return False
    day = as_local(when, election).date()
    return cal.campaign_start <= day <= cal.campaign_end


def find_context(
    analysis: ImageAnalysis, caption: str, election: Election,
    linker: Linker | ContextFinder | None = None,
) -> list[ContextMatch]:
    """Context matches in the caption and in the image text (the classifier's linker by default)."""
    link = context_finder(election, linker)
    found = list(link(caption or "", "caption"))
    found += list(link(analysis.ocr_text or "", "image"))
    return found


def _candidate_name(election: Election, number: int | None) -> str:
    cand = election.candidate(number) if number is not None else None
    return cand.label if cand else ""


def _ties(matches: Iterable[ContextMatch]) -> list[ContextMatch]:
    """The matches that tie a post to the election (calls alone do not), strongest first.

    A phrase found twice (as a keyword and as a number phrase) is kept once.
    """
    seen: set[tuple[str, str]] = set()
    out: list[ContextMatch] = []
    for m in sorted((m for m in matches if m.kind != "call"), key=lambda m: not m.strong):
        if (m.value.lower(), m.source) not in seen:
            seen.add((m.value.lower(), m.source))
            out.append(m)
    return out


# The reason names at most this many pieces of context (all are kept in `signals`).
REASON_CONTEXT_ITEMS = 4


def photo_flags(
    analysis: ImageAnalysis,
    caption: str,
    election: Election,
    *,
    when: datetime,
    linker: Linker | ContextFinder | None = None,
    activity_id: str | None = None,
) -> list[Flag]:
    """KE-05 / DS-07 flags (or one unflagged review item) for one photo of a post.

    `when` is the post's time (aware or UTC). `linker` is the classifier's `Linker` for the
    election (compiled once by the caller; a new one by default) or any `ContextFinder`. `activity_id` defaults to ``image:<sha256>``.
    """
    family = rule_family(stage_at(election, when))
    if family is None:
        return []
    rule = PHOTO_RULES[family]
    stage = stage_at(election, when).value
    activity = activity_id or f"image:{analysis.sha256}"
    campaign = in_campaign(election, timeutil.to_utc(when))

    hands = [h for h in analysis.hands if h.confidence >= MIN_HAND_CONFIDENCE]
    symbols = [h for h in hands if _is_symbol(h, election)]
    matches = find_context(analysis, caption, election, linker)
    ties = _ties(matches)
    # Campaign text in the image: it names a candidate, or gives a ballot number of one
    # ("COBLOS NO. 2"; the number phrases only match after coblos/pilih/nomor/salam ...).
    image_campaign = [m for m in matches if m.source == "image"
                      and (m.strong or (m.kind == "number" and m.candidate is not None))]
    named = {m.candidate for m in ties if m.candidate is not None and m.kind != "party"}

    if not symbols and not image_campaign:
        return []

    common = dict(
        activity_id=activity, election_id=election.id, rule=rule, stage=stage,
        model_version=ANALYZER_VERSION,
    )
    signals_base = {
        "source": "photo",
        "image_sha256": analysis.sha256,
        "hands": [h.to_dict() for h in hands],
        "context": [{"kind": m.kind, "value": m.value, "candidate": m.candidate,
                     "source": m.source} for m in matches],
        "campaign_period": campaign,
        "ocr_excerpt": analysis.ocr_text[:200],
    }

    if not ties:
        # Symbol without any election context: one review item, never in the queue by itself.
        best = max(symbols, key=lambda h: h.confidence)
        number = _pose_candidate(best, election)
        confidence = min(NO_CONTEXT_MAX, 0.15 + 0.15 * best.confidence + (0.05 if campaign else 0))
        when_id = " selama masa kampanye" if campaign else ""
        when_en = " during the campaign period" if campaign else ""
        return [Flag(
            **common, candidate=number, confidence=round(confidence, 3), flagged=False,
            reason_id=(f"Foto dengan pose {POSE_ID[best.pose]} ({best.fingers} jari terangkat)"
                       f"{when_id}, tanpa konteks pemilihan di keterangan atau gambar: "
                       "perlu ditinjau, bukan pelanggaran dengan sendirinya"),
            reason_en=(f"Photo with {POSE_EN[best.pose]} ({best.fingers} raised fingers)"
                       f"{when_en}, with no election context in the caption or image: "
                       "for review, not a violation by itself"),
            signals={**signals_base, "context_found": False},
        )]

    flags: dict[int | None, Flag] = {}
    # Which candidate each symbol points to: its own number, else the one the context names.
    targets: list[tuple[int | None, Hand | None, float]] = []
    for hand in symbols:
        number = _pose_candidate(hand, election)
        if number is not None:
            agree = number in named or not named
            target = number if agree else (min(named) if len(named) == 1 else number)
            # The context naming this very candidate makes it stronger; naming only others
            # (a "salam tiga jari" caption over two raised fingers) makes it weaker.
            score = 0.55 + 0.25 * hand.confidence + (0.1 if number in named else 0.0)
            score -= 0.1 if named and number not in named else 0.0
        else:
            target = min(named) if len(named) == 1 else None
            score = 0.5 + 0.25 * hand.confidence + (0.05 if named else 0.0)
        targets.append((target, hand, score))
    for m in image_campaign:
        targets.append((m.candidate, None, 0.6 + 0.25 * analysis.ocr_confidence))

    period_id = "; diunggah selama masa kampanye" if campaign else ""
    period_en = "; posted during the campaign period" if campaign else ""
    for target, hand, score in targets:
        # Context about this flag's candidate first, then the rest.
        shown = sorted(ties, key=lambda m: m.candidate != target)[:REASON_CONTEXT_ITEMS]
        context_id = "; ".join(m.describe_id() for m in shown) + period_id
        context_en = "; ".join(m.describe() for m in shown) + period_en
        confidence = round(min(0.95, score + (0.05 if campaign else 0.0)), 3)
        if hand is not None:
            what_id = f"pose {POSE_ID[hand.pose]} ({hand.fingers} jari terangkat)"
            what_en = f"{POSE_EN[hand.pose]} ({hand.fingers} raised fingers)"
            number = _pose_candidate(hand, election)
            if number is not None:
                what_id += f" sesuai nomor urut {number}"
                what_en += f" matching ballot number {number}"
        else:
            what_id = "teks kampanye di dalam gambar"
            what_en = "campaign text in the image"
        who = _candidate_name(election, target)
        reason_id = (f"Foto dengan {what_id}"
                     + (f", mendukung {who}" if who else "") + f"; konteks: {context_id}")
        reason_en = (f"Photo with {what_en}"
                     + (f", supporting {who}" if who else "") + f"; context: {context_en}")
        existing = flags.get(target)
        if existing is not None and existing.confidence >= confidence:
            continue
        flags[target] = Flag(
            **common, candidate=target, confidence=confidence, flagged=True,
            reason_id=reason_id, reason_en=reason_en,
            signals={**signals_base, "context_found": True,
                     "pose": hand.pose if hand else None,
                     "fingers": hand.fingers if hand else None},
        )
    return sorted(flags.values(), key=lambda f: -f.confidence)
