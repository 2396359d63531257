"""Stated party membership or office (DS-05): how Indonesians say it about themselves.

DS-05 (SKB 2022, Lampiran II) is being a member or official of a political party. On social
media it shows as a first-person statement: "saya kader PDIP", "resmi bergabung dengan Partai
NasDem", "bangga jadi bagian dari keluarga besar Gerindra", "dilantik sebagai bendahara DPC
PKB", "KTA Golkar sudah jadi", "mohon doa restu, caleg DPRD dari PSI", "jaket kebanggaan
partai". Three things keep it from firing on the wrong texts:

* a party (by name, abbreviation or nickname) or a party body (DPC/DPD/DPW/DPP/PAC/ranting)
  must follow the role word, so "anggota DPRD" or "ketua RT" do not match;
* a denial or prohibition before the role ("saya bukan kader partai", "ASN dilarang menjadi
  anggota partai", "tidak pernah jadi pengurus") cancels it;
* reporting about someone else ("kata Ketua DPC ...", "Budi dilantik sebagai ...", a named
  subject with a news verb) is news, not a statement of one's own membership.

Texts reach these functions normalised (`normalise.normalise`: lowercase, abbreviations
expanded), so the patterns are lowercase and use the full words ("sudah", "tidak", "dengan").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Party names, abbreviations and nicknames people write (normalised; "pdi-p" stays "pdi-p").
# Ambiguous short forms ("pan", "pbb", "ummat", "beringin", "banteng") are only listed with the
# word that makes them a party ("partai ummat", "partai beringin", "kader banteng" via ROLE).
PARTY_NAMES: tuple[str, ...] = (
    "pdi perjuangan", "pdi-perjuangan", "pdi-p", "pdi p", "pdip", "pdi",
    "partai banteng", "banteng moncong putih", "kandang banteng",
    "gerindra", "golkar", "partai beringin", "partai berlambang beringin",
    "pkb", "partai kebangkitan bangsa", "pks", "partai keadilan sejahtera",
    "nasdem", "nas dem", "partai demokrat", "partai amanat nasional", "ppp",
    "partai persatuan pembangunan", "hanura", "perindo", "psi", "partai solidaritas indonesia",
    "partai gelora", "gelora indonesia", "partai buruh", "partai ummat", "partai garuda",
    "partai bulan bintang", "pkn", "partai kebangkitan nusantara", "partai berkarya",
)
# Short or everyday-word forms that name a party only right after a role or body word.
_CONTEXT_ONLY = ("demokrat", "pan", "pbb", "ummat", "gelora", "banteng", "beringin",
                 "merah putih", "berkarya", "garuda", "buruh")

_PARTY_ALT = "|".join(re.escape(p).replace(r"\ ", r"[\s.-]*")
                      for p in sorted(PARTY_NAMES, key=len, reverse=True))
PARTY_RE = re.compile(r"(?<![a-z0-9])(?:" + _PARTY_ALT + r")(?![a-z0-9])")

_ROLE = (r"kader|anggota|pengurus|simpatisan|fungsionaris|ketua(?:\s+umum)?|wakil\s+ketua"
         r"|sekretaris(?:\s+jenderal)?|sekjen|bendahara(?:\s+umum)?|caleg|calon\s+legislatif"
         r"|calon\s+anggota\s+legislatif|bacaleg|koordinator|wakil\s+sekretaris")
# A party body after the role: "partai X", a named party, or a party organ ("dpc pkb").
_BODY = (r"(?:partai|parpol)(?:\s+politik)?(?:\s+[a-z]+){0,2}"
         r"|(?:dpc|dpd|dpw|dpp|pac|ranting|dewan\s+pimpinan\s+(?:cabang|daerah|wilayah|pusat))"
         r"(?!\s+ri\b)(?:\s+[a-z.-]+){0,3}"
         r"|" + _PARTY_ALT + r"|" + "|".join(_CONTEXT_ONLY))
# Who says it: the author (first person, or the subject-less Indonesian "resmi jadi ...").
_SELF = (r"saya|aku|gue|gua|gw|kami|sy|ane|alhamdulillah|bismillah|insya\s*allah|resmi"
         r"|sebagai|selaku|jadi|menjadi|terpilih|dilantik|bangga|masih|tetap|sudah|sekarang")

_STATEMENT_RE = re.compile(
    # "saya kader pdip", "resmi jadi anggota partai gerindra", "dilantik sebagai ketua dpc pkb"
    r"(?<![a-z])(?:" + _SELF + r")\s+(?:[a-z]+\s+){0,3}?(?P<role>" + _ROLE + r")\s+"
    r"(?:(?:dari|di|pada|untuk)\s+)?(?P<body>" + _BODY + r")(?![a-z])"
    # "resmi bergabung dengan partai nasdem", "gabung ke gerindra"
    r"|(?<![a-z])(?P<role2>(?:resmi\s+)?(?:bergabung|gabung|masuk)\s+(?:dengan|ke|bersama)?\s*"
    r"(?:keluarga\s+besar\s+)?)(?P<body2>(?:partai|parpol)\s+[a-z]+|" + _PARTY_ALT + r")(?![a-z])"
    # "bangga jadi bagian dari keluarga besar (partai) golkar"
    r"|(?<![a-z])(?P<role3>(?:bagian\s+dari\s+|di\s+)?keluarga\s+besar\s+)"
    r"(?P<body3>(?:partai|parpol)\s+[a-z]+|" + _PARTY_ALT + r"|banteng|beringin)(?![a-z])"
    # "kta gerindra sudah jadi", "punya kartu anggota partai", "kartu tanda anggota pkb"
    r"|(?<![a-z])(?P<role4>kta|kartu\s+(?:tanda\s+)?anggota)\s+(?P<body4>(?:partai\s+)?[a-z]+)"
    # "jaket/seragam/atribut kebanggaan partai", "jaket merah pdip"
    r"|(?<![a-z])(?P<role5>(?:jaket|seragam|kaos|atribut|baju)\s+(?:[a-z]+\s+){0,2}?)"
    r"(?P<body5>partai\s*(?:[a-z]+)?|" + _PARTY_ALT + r")(?![a-z])"
    # "mohon doa restu, caleg dprd kabupaten dari perindo"
    r"|(?<![a-z])(?P<role6>caleg|bacaleg|calon\s+legislatif|calon\s+anggota\s+(?:dprd|dpr))\s+"
    r"(?:[a-z0-9]+\s+){0,4}?(?:dari|partai|nomor\s+urut\s+\d+\s+dari)\s+"
    r"(?P<body6>(?:partai\s+)?(?:" + _PARTY_ALT + r"))(?![a-z])"
)
# Denials and prohibitions just before the role: not a statement of membership.
_DENIAL_RE = re.compile(
    r"(?<![a-z])(?:bukan|tidak|belum|bukanlah|jangan|dilarang|larangan|tak|tanpa|haram|"
    r"mundur|keluar|berhenti|boleh|dicatut|tercatut|mencatut|catut)(?![a-z])")
# "ASN yang jadi kader partai ...", "PNS yang menjadi anggota parpol": a general statement.
_GENERIC_RE = re.compile(r"(?<![a-z])(?:asn|pns|pppk|pegawai|aparatur|siapa pun|yang)\s+"
                         r"(?:[a-z]+\s+){0,1}$")
# News about someone else: reporting verbs, or a capitalised name in the original is gone
# after normalising, so the verbs carry it.
_NEWS_RE = re.compile(
    r"(?<![a-z])(?:mengatakan|kata|ujar|ungkap|menurut|menegaskan|menyebut|dilaporkan|"
    r"diperiksa|ditangkap|diberhentikan|dipecat|terbukti|diduga|tersangka|melaporkan|"
    r"berita|breaking|dikabarkan|viral|verifikasi)(?![a-z])")
# "om saya jadi caleg ...", "teman aku kader ...": someone else's membership.
_RELATIVE_RE = re.compile(
    r"(?<![a-z])(?:om|paman|tante|bibi|kakak|kakakku|adik|adikku|abang|suami|istri|bapak|ayah|"
    r"ibu|teman|kawan|sahabat|tetangga|saudara|sepupu|mertua|anak|keponakan|kenalan)\s+"
    r"(?:saya|aku|sy|gue|kami|ku)?\s*$")
_SELF_WORD_RE = re.compile(r"(?<![a-z])(?:saya|aku|gue|gua|gw|kami|sy|ane)(?![a-z])")


@dataclass(frozen=True, slots=True)
class Membership:
    """A membership statement found in a text."""

    phrase: str            # the matched words, as shown in the reason
    party: str | None      # the party named, if one (normalised)
    first_person: bool     # "saya/aku/kami" in the text


def _party_in(text: str) -> str | None:
    m = PARTY_RE.search(text)
    return m.group(0) if m else None


def find_membership(text: str) -> Membership | None:
    """The first statement of the author's own party membership/office in normalised `text`."""
    for m in _STATEMENT_RE.finditer(text):
        role_at = next(m.start(g) for g in ("role", "role2", "role3", "role4", "role5", "role6")
                       if m.group(g) is not None)
        before = text[max(0, m.start() - 40): m.start()]
        lead = text[m.start(): role_at]
        # "saya bukan kader ...", "ASN dilarang menjadi anggota partai", "sudah keluar dari"
        if _DENIAL_RE.search(lead) or _DENIAL_RE.search(before[-25:]):
            continue
        if _GENERIC_RE.search(text[: m.start()]) or _GENERIC_RE.search(lead):
            continue
        if _RELATIVE_RE.search(text[: m.start()]):
            continue
        first_person = bool(_SELF_WORD_RE.search(text))
        if _NEWS_RE.search(text) and not first_person:
            continue
        body = next(m.group(g) for g in ("body", "body2", "body3", "body4", "body5", "body6")
                    if m.group(g) is not None)
        if m.group("role4") is not None and not (body.startswith("partai")
                                                 or PARTY_RE.fullmatch(body)
                                                 or body in _CONTEXT_ONLY):
            continue  # "kta" needs a party after it ("kta gerindra"), not "kta hilang"
        return Membership(" ".join(m.group(0).split()), _party_in(body) or _party_in(text),
                          first_person)
    return None


def plausible_statement(text: str, party_named: bool = False) -> bool:
    """Can `text` state membership: names a party (`party_named`: the linker found one),
    denies nothing, is not news about someone else."""
    if not (party_named or PARTY_RE.search(text)) or _DENIAL_RE.search(text):
        return False
    return not (_NEWS_RE.search(text) and not _SELF_WORD_RE.search(text))


__all__ = ["Membership", "PARTY_NAMES", "PARTY_RE", "find_membership", "plausible_statement"]
