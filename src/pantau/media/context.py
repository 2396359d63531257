"""Election context for a photo: does its caption or the text in the image tie it to the election?

A minimal matcher over the `Election` record (candidate names, aliases, slogans, hashtags,
parties, watch-listed accounts, keywords and ballot-number phrases), used by `signals` when no
other linker is passed in. Matching is done on a folded form of the text (lower case, accents
and dashes unified, punctuation to spaces), and hashtags/multi-word names also on a compact
form without spaces, because OCR drops or changes the '#', dashes and spaces of poster text
("#AniesSandi" -> "fAniesSandi", "Pramono–Rano" -> "Pramono-Rano").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..records import Election

# Words that call for a vote or show support (domain.md: DS-08 "ajakan, himbauan, seruan").
CALL_WORDS = (
    "coblos", "pilih", "pilihlah", "dukung", "dukunglah", "menangkan", "menangkan lah",
    "vote", "salam", "all in", "lanjutkan", "satu putaran",
)
NUMBER_WORDS = {"satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5}
_NUMBER_RE = re.compile(
    r"\b(?:no|nomor|nomer|nmr|nomor urut|no urut|urut|paslon|coblos|pilih|salam)\s*"
    r"(?:urut\s*)?0?([1-9])\b"
)
_FINGERS_RE = re.compile(r"\b(?:salam\s+)?(satu|dua|tiga|empat|lima|[1-5])\s+jari\b")
_MENTION_RE = re.compile(r"@([A-Za-z0-9_.]+(?:@[A-Za-z0-9.-]+)?)")
_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-")


@dataclass(frozen=True, slots=True)
class ContextMatch:
    """One piece of election context found in a caption or in the text of an image."""

    kind: str                 # name | alias | hashtag | slogan | keyword | party | number | account | call
    value: str                # what matched, as written in the election file (or the text)
    candidate: int | None     # the candidate it points to, when it points to one
    source: str               # "caption" | "image"

    @property
    def strong(self) -> bool:
        """Names a candidate by name, alias, slogan, hashtag, keyword or watch-listed account."""
        return self.kind in {"name", "alias", "hashtag", "slogan", "keyword", "account"}

    def describe(self) -> str:
        where = {"caption": "caption", "image": "image text"}.get(self.source, self.source)
        return f"{self.kind} {self.value!r} in the {where}"

    def describe_id(self) -> str:
        kinds = {"name": "nama", "alias": "alias", "hashtag": "tagar", "slogan": "slogan",
                 "keyword": "kata kunci", "party": "partai", "number": "nomor",
                 "account": "akun", "call": "ajakan"}
        where = {"caption": "keterangan", "image": "teks gambar"}.get(self.source, self.source)
        return f"{kinds.get(self.kind, self.kind)} {self.value!r} di {where}"


# A linker maps (text, source) to context matches; the classifier's linker can be adapted to it.
Linker = Callable[[str, str], Iterable[ContextMatch]]


def fold(text: str) -> str:
    """Lower case, accents removed, dashes unified, punctuation (but '#', '@', '-') to spaces."""
    text = unicodedata.normalize("NFKD", text.translate(_DASHES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"[^\w#@\-\s]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _compact(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(text))


def _has_phrase(folded: str, phrase: str) -> bool:
    words = fold(phrase).replace("-", " ").split()
    if not words:
        return False
    pattern = r"\b" + r"[\s\-]*".join(re.escape(w) for w in words) + r"\b"
    return re.search(pattern, folded.replace("#", " ")) is not None


class ElectionMatcher:
    """Finds an election's candidates, parties, accounts and number phrases in text."""

    # Compact (space-free) matching only for terms long enough not to hit inside other words.
    MIN_COMPACT = 8

    def __init__(self, election: Election) -> None:
        self.election = election
        self._terms: list[tuple[str, str, int | None]] = []
        for cand in election.candidates:
            for kind, values in (("name", cand.names), ("alias", cand.aliases),
                                 ("slogan", cand.slogans), ("hashtag", cand.hashtags),
                                 ("party", cand.parties)):
                for value in values:
                    self._terms.append((kind, value, cand.number))
        for kw in election.keywords:
            self._terms.append(("keyword", kw.phrase, kw.candidate))
        self._accounts = {a.handle.lower().lstrip("@"): a for a in election.accounts}
        # A party backing several candidates points to none of them in particular.
        backers: dict[str, set[int]] = {}
        for cand in election.candidates:
            for party in cand.parties:
                backers.setdefault(fold(party), set()).add(cand.number)
        self._shared_parties = {p for p, nums in backers.items() if len(nums) > 1}

    def __call__(self, text: str, source: str = "caption") -> list[ContextMatch]:
        return self.find(text, source)

    def find(self, text: str, source: str = "caption") -> list[ContextMatch]:
        if not text or not text.strip():
            return []
        folded = fold(text)
        compact = _compact(text)
        found: dict[tuple[str, str, int | None], ContextMatch] = {}

        def add(kind: str, value: str, candidate: int | None) -> None:
            found.setdefault((kind, value, candidate), ContextMatch(kind, value, candidate, source))

        # Hashtags are one token: compare them with each token, '#' and punctuation dropped
        # (OCR reads '#' as 'f', 'H' or nothing), but not across separate words.
        tokens = {re.sub(r"[^a-z0-9]", "", t) for t in re.split(r"[\s\-]+", folded)}
        for kind, value, number in self._terms:
            key = _compact(value)
            if kind == "hashtag":
                hit = len(key) >= 4 and any(t.endswith(key) and len(t) <= len(key) + 1
                                            for t in tokens)
            else:
                hit = _has_phrase(folded, value)
                if not hit and len(key) >= self.MIN_COMPACT and kind != "party":
                    hit = key in compact  # "PramonoAnung": OCR lost the space
            if hit:
                shared = kind == "party" and fold(value) in self._shared_parties
                add(kind, value, None if shared else number)
        for handle in _MENTION_RE.findall(text):
            account = self._accounts.get(handle.lower().rstrip("."))
            if account is not None:
                add("account", "@" + account.handle, account.candidate)
        for match in _NUMBER_RE.finditer(folded):
            number = int(match.group(1))
            if self.election.candidate(number) is not None:
                add("number", match.group(0), number)
        for match in _FINGERS_RE.finditer(folded):
            word = match.group(1)
            number = NUMBER_WORDS.get(word) or int(word)
            add("number", match.group(0), number if self.election.candidate(number) else None)
        for word in CALL_WORDS:
            if re.search(r"\b" + re.escape(word) + r"\b", folded):
                add("call", word, None)
        return list(found.values())


def mentioned_handles(text: str) -> list[str]:
    """The @handles in a caption, lower case, as watch-lists store them."""
    return [h.lower().rstrip(".") for h in _MENTION_RE.findall(text or "")]
