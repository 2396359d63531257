"""Election context for a photo: does its caption or the text in the image tie it to the election?

There is ONE matcher in pantau: the classifier's `pantau.classify.linking.Linker` (candidate
names, name tokens, aliases, slogans, hashtags, parties, keywords, watch-listed handles, ballot
numbers, pose phrases, campaign words). This module only adapts its `Signal`s to the
`ContextMatch`es the photo rule (`signals.photo_flags`) reasons with, adding the source of the
text ("caption" or "image") so a reason can say where the context was found.

One OCR repair is done before linking image text: Tesseract sometimes reads the '#' of a poster
hashtag as 'f' or 'H' ("#AniesSandi" -> "fAniesSandi"); a CamelCase compound right after such a
letter is turned back into a hashtag so the linker sees it as one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..classify.linking import Linker, Links, Signal
from ..records import Election

# Linker signal kind -> the kind the photo rule and its reasons use.
_KIND = {
    "name": "name", "token": "name", "tag_name": "name", "alias": "alias",
    "common_alias": "common_alias", "slogan": "slogan", "keyword": "keyword",
    "hashtag": "hashtag", "handle": "account", "mention": "mention", "party": "party",
    "number": "number", "vote_number": "number", "pose": "number", "bare_number": "number",
    "pose_emoji": "number", "campaign": "call",
}
# A bare "02" or a gesture emoji (✌ is normalised to the one word "duajari") is election
# context only beside other context in the same text (as in the linker's own scoring,
# `Links.scores`): alone they are everyday writing, and a ✌ under a V-sign photo says nothing
# about an election. Words that count the fingers ("tiga jari untuk Jakarta") do.
_NEEDS_COMPANY = frozenset({"bare_number", "pose_emoji"})


def _needs_company(signal: Signal) -> bool:
    return signal.kind in _NEEDS_COMPANY or (signal.kind == "pose" and " " not in signal.text)
# "fAniesSandi", "HPramonoRano": a misread '#' before a CamelCase compound of two or more parts.
_OCR_HASH_RE = re.compile(r"(?<![\w#])[fFH]((?:[A-Z][a-z]+){2,}\d*)\b")


@dataclass(frozen=True, slots=True)
class ContextMatch:
    """One piece of election context found in a caption or in the text of an image."""

    kind: str                 # name | alias | hashtag | slogan | keyword | party | number | account | mention | common_alias | call
    value: str                # what it stands for in the election file (a number phrase: as written)
    candidate: int | None     # the candidate it points to, when it points to one
    source: str               # "caption" | "image"

    @property
    def strong(self) -> bool:
        """Names a candidate by name, alias, slogan, hashtag, keyword or watch-listed account."""
        return self.kind in {"name", "alias", "hashtag", "slogan", "keyword", "account"}

    def describe(self) -> str:
        where = {"caption": "caption", "image": "image text"}.get(self.source, self.source)
        return f"{self.kind.replace('_', ' ')} {self.value!r} in the {where}"

    def describe_id(self) -> str:
        kinds = {"name": "nama", "alias": "alias", "common_alias": "alias", "hashtag": "tagar",
                 "slogan": "slogan", "keyword": "kata kunci", "party": "partai",
                 "number": "nomor", "account": "akun", "mention": "akun", "call": "ajakan"}
        where = {"caption": "keterangan", "image": "teks gambar"}.get(self.source, self.source)
        return f"{kinds.get(self.kind, self.kind)} {self.value!r} di {where}"


# Maps (text, source) to context matches. `LinkerContext` is the real one; tests may pass any.
ContextFinder = Callable[[str, str], Iterable[ContextMatch]]


def repair_ocr_hashtags(text: str) -> str:
    """Undo Tesseract's misreading of a poster's '#' as 'f'/'H' before a CamelCase hashtag."""
    return _OCR_HASH_RE.sub(lambda m: "#" + m.group(1), text)


def matches_from_links(links: Links, source: str) -> list[ContextMatch]:
    """The linker's signals for one text as `ContextMatch`es (one per kind, value, candidate)."""
    company = any(not _needs_company(s) and s.kind != "campaign" for s in links.signals)
    found: dict[tuple[str, str, int | None], ContextMatch] = {}
    for s in links.signals:
        if _needs_company(s) and not company:
            continue
        kind = _KIND.get(s.kind, s.kind)
        # Numbers and poses are quoted as written ("salam tiga jari"); the rest by what they
        # matched in the election file ("Bang Doel", "#PramonoRano", "@tim (campaign)").
        value = s.text.strip() if kind in {"number", "call"} else (s.label or s.text.strip())
        found.setdefault((kind, value, s.candidate), ContextMatch(kind, value, s.candidate, source))
    return list(found.values())


class LinkerContext:
    """`ContextFinder` over the classifier's linker for one election.

    Pass the `Linker` the caller already compiled (the classifier pipeline does) to avoid
    compiling the election's patterns twice.
    """

    def __init__(self, election: Election, linker: Linker | None = None) -> None:
        self.election_id = election.id
        self.linker = linker or Linker(election)
        if self.election_id not in self.linker.election_ids:
            raise ValueError(
                f"the linker passed in does not know election {self.election_id!r} "
                f"(it has {', '.join(self.linker.election_ids)})"
            )

    def __call__(self, text: str, source: str = "caption") -> list[ContextMatch]:
        if not text or not text.strip():
            return []
        if source == "image":
            text = repair_ocr_hashtags(text)
        return matches_from_links(self.linker.link(text, self.election_id), source)


def context_finder(
    election: Election, linker: Linker | ContextFinder | None = None
) -> ContextFinder:
    """A `ContextFinder`: the one given, or one over the given (or a new) classifier `Linker`."""
    if linker is None or isinstance(linker, Linker):
        return LinkerContext(election, linker)
    return linker
