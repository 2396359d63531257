"""From signals and probabilities to rule codes (`records.Flag`), with reasons in two languages.

The rule table is `pantau.rules_table` (SKB 2022 Lampiran II); the stage comes from
`elections.stage_at` on the act's date: KE- codes before the determination of candidates,
DS- codes after, nothing outside the election window.

* Interactions are rules: a like, share, quote, comment or follow by a registered ASN on a
  watch-listed account or its post is KE-04 / DS-06. A like or follow of a *candidate's own*
  account (not a campaign account) is borderline (domain.md): kept, low confidence.
* Content: a candidate link AND campaigning (P(support) + P(invitation) + P(attack)) ->
  KE-02 / DS-02; an invitation or call to vote in the DS stage -> DS-08; a pose caption
  ("salam dua jari", ✌ with a candidate) -> KE-05 / DS-07; stated party membership -> DS-05.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..records import Election, Flag, Stage, WatchAccount
from .linking import Links, Signal
from .membership import find_membership, plausible_statement

STRONG_ROLES = frozenset({"campaign", "party", "supporter_group"})
WEAK_KINDS = frozenset({"number", "bare_number", "party", "common_alias"})
WEAK_LINK_FACTOR = 0.75
ATTACK_MIN = 0.8
INTERACTION_CONFIDENCE = 0.97
BORDERLINE_CONFIDENCE = 0.55   # a like/follow of a candidate's own account: review, low confidence

_ACT_ID = {"like": "Menyukai (like)", "share": "Membagikan (share)", "quote": "Mengutip (quote)",
           "comment": "Mengomentari", "follow": "Mengikuti (follow)", "post": "Memposting di"}
_ACT_EN = {"like": "Liked", "share": "Shared", "quote": "Quoted", "comment": "Commented on",
           "follow": "Followed", "post": "Posted in"}
_ROLE_ID = {"candidate": "akun calon", "campaign": "akun tim kampanye/pemenangan",
            "party": "akun partai", "supporter_group": "akun kelompok relawan"}
_ROLE_EN = {"candidate": "candidate's account", "campaign": "campaign account",
            "party": "party account", "supporter_group": "supporter-group account"}

# DS-05 from the model alone (class `membership`, no rule pattern matched): only when sure,
# and a party is named; the confidence stays just above the usual threshold (review decides).
MEMBERSHIP_MODEL_MIN = 0.85


@dataclass(frozen=True, slots=True)
class Context:
    """What the rules need to know about one act besides its text."""

    activity_id: str
    election: Election
    stage: Stage
    model_version: str
    threshold: float
    activity_type: str = "post"
    media_count: int = 0

    @property
    def family(self) -> str | None:
        return {Stage.BAKAL_CALON: "KE", Stage.CALON: "DS"}.get(self.stage)


def _pair(election: Election, number: int | None) -> tuple[str, str]:
    """("paslon 02 (Prabowo – Gibran)", "pair 02 (Prabowo – Gibran)")."""
    if number is None:
        return "paslon (tidak tunggal)", "no single candidate"
    cand = election.candidate(number)
    names = " – ".join(cand.names) if cand else "?"
    return f"paslon {number:02d} ({names})", f"candidate {number:02d} ({names})"


def _quoted(signals: Sequence[Signal], limit: int = 5) -> str:
    seen: list[str] = []
    for s in signals:
        text = s.text.strip()
        if text and text not in seen:
            seen.append(text)
    return ", ".join(f"'{t}'" for t in seen[:limit])


def _flag(ctx: Context, rule: str, candidate: int | None, confidence: float, reason_id: str,
          reason_en: str, signals: dict) -> Flag:
    confidence = round(min(1.0, max(0.0, confidence)), 4)
    return Flag(
        activity_id=ctx.activity_id, election_id=ctx.election.id, rule=rule,
        stage=ctx.stage.value, candidate=candidate, confidence=confidence,
        reason_id=reason_id, reason_en=reason_en, model_version=ctx.model_version,
        flagged=confidence >= ctx.threshold, signals=signals,
    )


# --- interactions --------------------------------------------------------------------------


def interaction_flag(ctx: Context, account: WatchAccount, *, via: str,
                     target_is_campaign: bool = False) -> Flag | None:
    """KE-04 / DS-06 for an interaction with a watch-listed account (`via`: what matched)."""
    if ctx.family is None:
        return None
    rule = "KE-04" if ctx.family == "KE" else "DS-06"
    act = ctx.activity_type
    borderline = (account.role not in STRONG_ROLES and act in {"like", "follow"}
                  and not target_is_campaign)
    confidence = BORDERLINE_CONFIDENCE if borderline else INTERACTION_CONFIDENCE
    if account.role == "candidate" and act in {"comment", "share", "quote"}:
        confidence = 0.85 if not target_is_campaign else INTERACTION_CONFIDENCE
    pair_id, pair_en = _pair(ctx.election, account.candidate)
    who_id = f"@{account.handle} ({_ROLE_ID.get(account.role, account.role)}"
    who_en = f"@{account.handle} ({_ROLE_EN.get(account.role, account.role)}"
    if account.candidate is not None:
        who_id += f", {pair_id}"
        who_en += f", {pair_en}"
    who_id += ")"
    who_en += ")"
    obj_id = "" if act == "follow" else " postingan"
    obj_en = "" if act == "follow" else " a post of"
    note_id = "; batas tipis: akun pribadi calon, bukan akun pemenangan" if borderline else ""
    note_en = "; borderline: the candidate's own account, not a campaign account" if borderline else ""
    return _flag(
        ctx, rule, account.candidate, confidence,
        f"{_ACT_ID.get(act, act)}{obj_id} akun yang dipantau {who_id}{note_id}.",
        f"{_ACT_EN.get(act, act)}{obj_en} watch-listed account {who_en}{note_en}.",
        {"kind": "interaction", "via": via, "account": account.handle, "role": account.role,
         "borderline": borderline},
    )


# --- content -------------------------------------------------------------------------------


def campaign_probability(proba: dict[str, float]) -> float:
    return proba.get("support", 0.0) + proba.get("invitation", 0.0) + proba.get("attack", 0.0)


def content_flags(ctx: Context, links: Links, proba: dict[str, float],
                  features: Sequence[str] = ()) -> list[Flag]:
    """KE-02/DS-02/DS-08, KE-05/DS-07 and DS-05 flags for the text of one act."""
    if ctx.family is None:
        return []
    flags: list[Flag] = []
    p_camp = campaign_probability(proba)
    feats = ", ".join(f"'{f}'" for f in features[:5])
    feats_id = f"; fitur model: {feats}" if feats else ""
    feats_en = f"; model features: {feats}" if feats else ""
    cand = links.best()
    by_cand = links.by_candidate()
    main = _campaign_flag(ctx, links, proba, p_camp, cand, by_cand, feats_id, feats_en)
    if main is not None:
        flags.append(main)
    pose = _pose_flag(ctx, links, p_camp, by_cand)
    if pose is not None:
        flags.append(pose)
    party = membership_flag(ctx, links, proba.get("membership", 0.0))
    if party is not None:
        flags.append(party)
    return flags


def _campaign_flag(ctx: Context, links: Links, proba: dict[str, float], p_camp: float,
                   cand: int | None, by_cand: dict[int, list[Signal]], feats_id: str,
                   feats_en: str) -> Flag | None:
    if not links.signals or p_camp < 0.2:
        return None
    p_sup, p_inv, p_att = (proba.get(k, 0.0) for k in ("support", "invitation", "attack"))
    # Only a clear attack turns the flag against the named candidate: negations ("jangan
    # golput, pilih X", "sayang kalau tidak dipilih") also pull towards `attack`, and reading
    # support as an attack would credit the wrong candidate.
    attack = p_att >= ATTACK_MIN and p_att > 2 * (p_sup + p_inv)
    about = cand
    favoured = cand
    if attack and cand is not None:
        others = [c.number for c in ctx.election.candidates if c.number != cand]
        favoured = others[0] if len(others) == 1 else None
    if about is not None:
        strength = links.strength(about)
        matched = by_cand[about] + [s for s in links.signals if s.kind == "campaign"]
    elif by_cand or links.election_signals:
        # Several candidates named equally (or only a shared party): weak, no one candidate.
        strength = 0.35 * min(1.0, links.strength() + 0.5 * bool(by_cand))
        matched = [s for s in links.signals]
    else:
        return None
    confidence = p_camp * (0.55 + 0.45 * strength)
    if about is not None and all(s.kind in WEAK_KINDS for s in by_cand[about]):
        # Only a number or a party ties the text to the candidate: news and chatter say
        # "nomor 1" too (election-file reference: weak signals).
        confidence *= WEAK_LINK_FACTOR
    invitation = ctx.family == "DS" and p_inv >= max(p_sup, p_att) and not attack
    rule = "DS-08" if invitation else f"{ctx.family}-02"
    pair_id, pair_en = _pair(ctx.election, about)
    words = _quoted(matched)
    if attack:
        what_id, what_en = "serangan/kampanye negatif terhadap", "an attack / negative campaign against"
    elif invitation or p_inv >= p_sup:
        what_id, what_en = "ajakan memilih", "a call to vote"
    else:
        what_id, what_en = "dukungan/promosi", "support / promotion"
    if attack:
        reason_id = f"Menyebut {pair_id} dengan {what_id} paslon tersebut: {words}{feats_id}."
        reason_en = f"Mentions {pair_en} with {what_en} them: {words}{feats_en}."
    else:
        reason_id = f"Menyebut {pair_id} dengan {what_id}: {words}{feats_id}."
        reason_en = f"Mentions {pair_en} with {what_en}: {words}{feats_en}."
    reason_id += f" (P kampanye {p_camp:.2f})"
    reason_en += f" (P campaign {p_camp:.2f})"
    return _flag(ctx, rule, favoured, confidence, reason_id, reason_en, {
        "kind": "content", "about": about, "attack": attack,
        "matched": [[s.kind, s.text, s.candidate] for s in matched],
        "proba": {k: round(v, 4) for k, v in proba.items()},
    })


def _pose_flag(ctx: Context, links: Links, p_camp: float,
               by_cand: dict[int, list[Signal]]) -> Flag | None:
    if ctx.activity_type not in {"post", "share", "quote"}:
        return None
    for pose in links.poses():
        n = pose.candidate
        other = [s for s in by_cand.get(n, []) if s.kind not in {"pose", "pose_emoji"}]
        # A pose is partisan only with this candidate in view, or a campaigning text.
        if not other and p_camp < 0.6:
            continue
        if pose.kind == "pose_emoji" and not other:
            continue
        confidence = (0.55 + 0.4 * p_camp) * (1.0 if ctx.media_count or pose.kind == "pose" else 0.85)
        rule = "KE-05" if ctx.family == "KE" else "DS-07"
        pair_id, pair_en = _pair(ctx.election, n)
        photo_id = "foto dengan " if ctx.media_count else ""
        photo_en = "a photo with " if ctx.media_count else ""
        words = _quoted([pose, *other])
        return _flag(
            ctx, rule, n, confidence,
            f"Memposting {photo_id}simbol/pose dukungan untuk {pair_id}: {words}.",
            f"Posted {photo_en}a support pose/symbol for {pair_en}: {words}.",
            {"kind": "pose", "pose": pose.text, "media_count": ctx.media_count},
        )
    return None


def membership_flag(ctx: Context, links: Links, p_member: float = 0.0) -> Flag | None:
    """DS-05: the text states that its author is a party member or official.

    A matched statement (`membership.find_membership`) flags; the model's P(membership)
    raises its confidence, and on its own flags only a sure, non-denying text naming a party.
    """
    if ctx.family != "DS":
        return None
    text = links.text
    found = find_membership(text)
    parties = [s for s in links.signals if s.kind == "party"]
    if found is not None:
        phrase = found.phrase
        confidence = 0.72 + 0.1 * bool(found.party or parties) + 0.1 * (p_member >= 0.5)
    elif p_member >= MEMBERSHIP_MODEL_MIN and plausible_statement(text, bool(parties)):
        phrase = ", ".join(s.text for s in links.signals if s.kind in {"party", "party_any"})
        confidence = 0.45 + 0.25 * p_member
    else:
        return None
    candidate = next((s.candidate for s in parties if s.candidate is not None), None)
    model_id = f" (P keanggotaan {p_member:.2f})" if p_member >= 0.05 else ""
    model_en = f" (P membership {p_member:.2f})" if p_member >= 0.05 else ""
    return _flag(
        ctx, "DS-05", candidate, confidence,
        f"Menyatakan keanggotaan/kepengurusan partai politik: '{phrase}'{model_id}.",
        f"States membership or office in a political party: '{phrase}'{model_en}.",
        {"kind": "membership", "matched": phrase, "p_membership": round(p_member, 4),
         "by": "pattern" if found is not None else "model"},
    )


__all__ = ["Context", "campaign_probability", "content_flags", "interaction_flag",
           "membership_flag"]
