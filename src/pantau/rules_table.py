"""The SKB 2022 neutrality rules that touch social media: one table, read by every stage.

Source: the joint decree (SKB) of 22 Sep 2022 on ASN neutrality (MenPANRB 2/2022, Mendagri
800-5474/2022, BKN 246/2022, KASN 30/2022, Bawaslu 1447.1/PM.01/K.1/09/2022), Lampiran II:
ethics violations (KE-, while candidates are *bakal calon*) and discipline violations (DS-,
once candidates are determined as *calon*). Sanctions: ethics under PP 42/2004 (moral sanction,
a closed or open statement); discipline under PP 94/2021 (moderate to severe). Only the rules
listed in docs/domain.md are here; do not add rules that are not in the decree.

The classifier picks a code; the review queue, the notebooks and the export show the
descriptions; the export's recipients get the Indonesian text and the legal source.
"""

from __future__ import annotations

from dataclasses import dataclass

from .records import Stage

_KE_SOURCE = "SKB 2022 Lampiran II; PP 42/2004 (kode etik PNS)"
_DS_SOURCE = "SKB 2022 Lampiran II; PP 94/2021 (disiplin PNS)"
_MORAL_ID = "sanksi moral: pernyataan secara tertutup atau terbuka (PP 42/2004)"
_MORAL_EN = "moral sanction: closed or open statement (PP 42/2004)"
_MODERATE_ID = "hukuman disiplin sedang (PP 94/2021)"
_MODERATE_EN = "moderate discipline penalty (PP 94/2021)"
_SEVERE_ID = "hukuman disiplin berat (PP 94/2021)"
_SEVERE_EN = "severe discipline penalty (PP 94/2021)"


@dataclass(frozen=True, slots=True)
class Rule:
    code: str                       # e.g. "DS-06"
    stage: str                      # Stage value: bakal_calon (KE-) or calon (DS-)
    description_id: str             # Bahasa Indonesia, as reported to the supervisors
    description_en: str
    activity_types: tuple[str, ...]  # ActivityType values the rule can apply to ("*": any)
    sanction_id: str
    sanction_en: str
    legal_source: str
    counterpart: str | None = None  # the same act in the other stage (KE-02 <-> DS-02)

    @property
    def kind(self) -> str:
        return "etik" if self.code.startswith("KE-") else "disiplin"


_B, _C = Stage.BAKAL_CALON.value, Stage.CALON.value

RULES: dict[str, Rule] = {
    r.code: r
    for r in (
        Rule(
            "KE-02", _B,
            "Melakukan sosialisasi/kampanye atau mempromosikan bakal calon atau partai politik "
            "melalui media sosial",
            "Campaigning for or promoting a prospective candidate or party on social media",
            ("post", "share", "quote"), _MORAL_ID, _MORAL_EN, _KE_SOURCE, "DS-02",
        ),
        Rule(
            "KE-03", _B,
            "Menghadiri deklarasi bakal calon dan menunjukkan keberpihakan",
            "Attending a prospective candidate's declaration and showing support",
            ("post",), _MORAL_ID, _MORAL_EN, _KE_SOURCE, "DS-04",
        ),
        Rule(
            "KE-04", _B,
            "Membuat posting, comment, share, like, atau bergabung/follow dalam grup atau akun "
            "pemenangan bakal calon",
            "Posting, commenting, sharing, liking or following in a prospective candidate's "
            "campaign group or account",
            ("post", "comment", "share", "quote", "like", "follow"),
            _MORAL_ID, _MORAL_EN, _KE_SOURCE, "DS-06",
        ),
        Rule(
            "KE-05", _B,
            "Memposting foto bersama bakal calon, tim sukses, atau dengan alat peraga/simbol "
            "keberpihakan dan atribut partai politik",
            "Posting photos with a prospective candidate or campaign team, or with symbols of "
            "support, party attributes or campaign props",
            ("post",), _MORAL_ID, _MORAL_EN, _KE_SOURCE, "DS-07",
        ),
        Rule(
            "DS-02", _C,
            "Melakukan sosialisasi/kampanye atau mempromosikan calon atau partai politik "
            "melalui media sosial",
            "Campaigning for or promoting a candidate or party on social media",
            ("post", "share", "quote"), _MODERATE_ID, _MODERATE_EN, _DS_SOURCE, "KE-02",
        ),
        Rule(
            "DS-04", _C,
            "Menghadiri deklarasi/kampanye calon dan menunjukkan keberpihakan",
            "Attending a candidate's declaration and showing support",
            ("post",), _MODERATE_ID, _MODERATE_EN, _DS_SOURCE, "KE-03",
        ),
        Rule(
            "DS-05", _C,
            "Menjadi anggota atau pengurus partai politik",
            "Being a member or official of a political party",
            ("post",), "pemberhentian (PP 94/2021)", "dismissal (PP 94/2021)", _DS_SOURCE,
        ),
        Rule(
            "DS-06", _C,
            "Membuat posting, comment, share, like, atau bergabung/follow dalam grup atau akun "
            "pemenangan calon",
            "Posting, commenting, sharing, liking or following in a candidate's campaign "
            "group or account",
            ("post", "comment", "share", "quote", "like", "follow"),
            _SEVERE_ID, _SEVERE_EN, _DS_SOURCE, "KE-04",
        ),
        Rule(
            "DS-07", _C,
            "Memposting foto bersama calon, tim kampanye, atau dengan alat peraga/simbol "
            "keberpihakan dan atribut partai politik",
            "Posting photos with a candidate or campaign team, or with symbols of support, "
            "party attributes or campaign props",
            ("post",), _SEVERE_ID, _SEVERE_EN, _DS_SOURCE, "KE-05",
        ),
        Rule(
            "DS-08", _C,
            "Melakukan kegiatan yang mengarah pada keberpihakan kepada calon: ajakan, "
            "himbauan, atau seruan",
            "Activity leaning towards a candidate: invitations, appeals, calls to vote",
            ("post", "comment", "share", "quote"), _SEVERE_ID, _SEVERE_EN, _DS_SOURCE,
        ),
        Rule(
            "DS-11", _C,
            "Memberikan surat dukungan atau fotokopi KTP kepada calon",
            "Giving support letters or ID copies to a candidate",
            ("post",), _SEVERE_ID, _SEVERE_EN, _DS_SOURCE,
        ),
        Rule(
            "DS-12", _C,
            "Membuat keputusan atau tindakan yang menguntungkan atau merugikan calon selama "
            "masa kampanye",
            "Decisions or actions that favour or harm a candidate during the campaign",
            ("post",), _SEVERE_ID, _SEVERE_EN, _DS_SOURCE,
        ),
        Rule(
            "DS-13", _C,
            "Kegiatan lain yang menunjukkan keberpihakan politik",
            "Other partisan activity",
            ("*",), "hukuman disiplin sedang atau berat (PP 94/2021)",
            "moderate or severe discipline penalty (PP 94/2021)", _DS_SOURCE,
        ),
    )
}


def get_rule(code: str) -> Rule:
    """The rule with this code; a KeyError names the code and the known ones."""
    try:
        return RULES[code.strip().upper()]
    except KeyError:
        raise KeyError(f"unknown rule code {code!r} (known: {', '.join(RULES)})") from None


def describe(code: str, lang: str = "id") -> str:
    """The rule's description in `lang` ("id" or "en"); an unknown code is shown as itself."""
    rule = RULES.get(code.strip().upper())
    if rule is None:
        return code
    return rule.description_en if lang == "en" else rule.description_id
