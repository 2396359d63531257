"""Watchlist linking: which candidate (if any) a post is about, and through which signals.

`Linker(elections)` compiles, once per election, one regex alternation of every candidate
name, distinctive name token (surname / nickname), pair name, alias, party, slogan, keyword and
hashtag (longest first, digit/letter swaps allowed), plus the ballot-number and hand-pose
patterns. `link(text)` runs it over the normalised text (`normalise.normalise`) and returns
`Links`: the signals found, each with its kind, weight and candidate.

Weights follow the election-file reference: party and number mentions alone are weak (news
names them too); hashtags, slogans, keywords and watch-listed handles are strong. A party that
several candidates share, or a campaign word, is an election-level signal (no candidate).

`Links.masked()` replaces the matched spans with placeholder tokens (``__cand__``, ``__num__``,
``__party__``, ``__tag__`` ...) so that the model learns *how* people support someone, not
*whom*, and so generalises to elections it never saw.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..records import Election
from .membership import PARTY_RE
from .normalise import compact, normalise

# kind -> (weight, placeholder used by `Links.masked`)
KINDS: dict[str, tuple[float, str]] = {
    "name": (1.0, "__cand__"),        # a full name or pair name
    "token": (0.8, "__cand__"),       # a distinctive surname / nickname
    "alias": (1.0, "__cand__"),
    "common_alias": (0.3, "__cand__"),  # an alias that is also an ordinary word ("amin")
    "party": (0.3, "__party__"),
    "slogan": (1.0, "__slogan__"),
    "keyword": (1.0, "__slogan__"),
    "hashtag": (1.0, "__tag__"),      # a campaign hashtag of the election file
    "tag_name": (0.9, "__tag__"),     # a hashtag containing a candidate's name
    "handle": (1.0, "__acct__"),      # a watch-listed account mentioned
    "mention": (0.7, "__acct__"),     # an @mention containing a candidate's name
    "number": (0.5, "__num__"),       # "nomor urut 2", "paslon 01"
    "vote_number": (0.7, "__num__"),  # "coblos 2", "pilih nomor 1"
    "bare_number": (0.3, "__num__"),  # "01", "02": only with other election context
    "pose": (0.7, "__num__"),         # "salam dua jari"
    "pose_emoji": (0.4, "__pose__"),  # ✌ ☝ (normalised to duajari / satujari)
    "campaign": (0.0, ""),            # "coblos", "menangkan": election-level, not masked
    # Any party by name, abbreviation or the word "partai" (membership.PARTY_RE), not only
    # this election's: masked so the model reads "kader __party__" alike for every party, but
    # no link to the election or a candidate (news about parties is not campaigning).
    "party_any": (0.0, "__party__"),
}
STRONG_KINDS = frozenset({"hashtag", "slogan", "keyword", "handle", "name", "alias"})
NUMBER_KINDS = frozenset({"number", "vote_number", "bare_number", "pose", "pose_emoji"})

# Name tokens too common to identify anyone on their own.
_COMMON_TOKENS = frozenset(
    "muhammad muhamad mohammad moh ahmad achmad abdul abdullah haji h ir dr drs prof sh mm "
    "mba msi st se bin binti al el raden mas gus kang bang cak pak bu ibu uda uni amin maju "
    "menang adil makmur tetap kerja nyata indonesia jakarta baru rakyat bersatu perubahan".split()
)
# Aliases that are also everyday words: weak in running text, full weight as a hashtag.
_COMMON_WORDS = frozenset(
    "amin maju menang asyik rindu hasanah perubahan rido erji bersatu adil makmur hebat "
    "juara aman sejahtera berkah amanah kita".split()
)
# Other ways people write some party names.
_PARTY_VARIANTS = {
    "pdi perjuangan": ["pdip", "pdi p", "banteng moncong putih"],
    "pdip": ["pdi perjuangan", "pdi p"],
    "partai keadilan sejahtera": ["pks"],
    "partai kebangkitan bangsa": ["pkb"],
}
_WORD_NUMBERS = {"satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5}
_LEET_CLASS = {"a": "[a4]", "o": "[o0]", "i": "[i1]", "e": "[e3]", "s": "[s5]", "t": "[t7]"}
_SEP = r"[\s\-_.–/&+]*"
_NUM = r"(0?[1-9]|satu|dua|tiga|empat|lima)"

_NUMBER_RE = re.compile(
    r"(?<![a-z0-9])(?:nomor(?:\s*urut)?|nomer|nmr|no|paslon|pasangan\s+calon(?:\s+nomor)?"
    r"|calon(?:\s+(?:presiden|gubernur|walikota|bupati))?(?:\s+nomor)?|urutan)"
    r"\s*[.:#]?\s*" + _NUM + r"(?![a-z0-9])"
)
_VOTE_NUMBER_RE = re.compile(
    r"(?<![a-z0-9])(?:coblos|nyoblos|contreng|pilih|dukung|menangkan|coblosan)"
    r"\s*(?:nomor\s*(?:urut\s*)?|paslon\s*|pasangan\s+calon\s*)?(0?[1-9])(?![a-z0-9])"
)
_POSE_RE = re.compile(r"(?<![a-z0-9])(?:salam\s*)?" + _NUM + r"\s*jari(?![a-z])")
_EMOJI_POSES = frozenset({"satujari", "duajari", "tigajari", "limajari"})
_BARE_RE = re.compile(r"(?<![a-z0-9.,:/])0([1-9])(?![0-9.,:/]|\s*(?:jam|juta|ribu|menit|%))")
_CAMPAIGN_RE = re.compile(
    r"(?<![a-z])(coblos|nyoblos|contreng|menangkan|dukung|pilih|kampanye|relawan|timses"
    r"|tim sukses|tim pemenangan|dua periode|2 periode|lanjutkan|ganti presiden"
    r"|satu putaran|1 putaran)(?![a-z])"
)
_TAG_RE = re.compile(r"#(\w+)")
_HANDLE_RE = re.compile(r"@([a-z0-9_][a-z0-9_.]*(?:@[a-z0-9.-]+)?)")
_ANY_PARTY_RE = re.compile(r"(?<![a-z0-9])(?:partai|parpol)(?![a-z0-9])|" + PARTY_RE.pattern)
_TAG_NUMBER_RE = re.compile(r"(?:^|coblos|nomor|no|paslon|salam)0([1-9])(?![0-9])")


@dataclass(frozen=True, slots=True)
class Signal:
    """One thing found in a text that links it to an election or a candidate."""

    kind: str                 # a key of KINDS
    text: str                 # as found (normalised text)
    candidate: int | None     # None: election-level
    weight: float
    start: int                # span in the normalised text, for masking
    end: int
    label: str = ""           # what it matched in the election file ("Prabowo Subianto")


@dataclass(slots=True)
class Links:
    """What `Linker.link` found in one text for one election."""

    election_id: str
    text: str                 # the normalised text
    signals: list[Signal] = field(default_factory=list)
    _scores: dict[int, float] | None = field(default=None, repr=False, compare=False)

    def by_candidate(self) -> dict[int, list[Signal]]:
        out: dict[int, list[Signal]] = {}
        for s in self.signals:
            if s.candidate is not None:
                out.setdefault(s.candidate, []).append(s)
        return out

    @property
    def election_signals(self) -> list[Signal]:
        return [s for s in self.signals
                if s.candidate is None and s.kind not in {"campaign", "party_any"}]

    @property
    def campaign_words(self) -> list[str]:
        return [s.text for s in self.signals if s.kind == "campaign"]

    def scores(self) -> dict[int, float]:
        """Evidence per candidate: the sum of its signal weights.

        A bare "01"/"02" counts only when something else in the text is about the election.
        """
        if self._scores is not None:
            return self._scores
        context = any(s.kind not in {"bare_number", "campaign"} for s in self.signals)
        out: dict[int, float] = {}
        for s in self.signals:
            if s.candidate is None or (s.kind == "bare_number" and not context):
                continue
            out[s.candidate] = out.get(s.candidate, 0.0) + s.weight
        self._scores = out
        return out

    def best(self) -> int | None:
        """The candidate the text is most about; None when none or a tie (news naming both)."""
        scores = self.scores()
        if not scores:
            return None
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < 0.25:
            return None
        return ranked[0][0]

    def strength(self, candidate: int | None = None) -> float:
        """How firmly the text is tied to `candidate` (or to the election): 0..1."""
        if candidate is None:
            return min(1.0, sum(s.weight for s in self.election_signals))
        return min(1.0, self.scores().get(candidate, 0.0))

    @property
    def has_candidate(self) -> bool:
        return bool(self.scores())

    @property
    def strong(self) -> bool:
        return any(s.kind in STRONG_KINDS for s in self.signals)

    def poses(self) -> list[Signal]:
        return [s for s in self.signals if s.kind in {"pose", "pose_emoji"}]

    def masked(self) -> str:
        """The text with every linked span replaced by its placeholder token."""
        parts: list[str] = []
        pos = 0
        for s in sorted(self.signals, key=lambda s: s.start):
            token = KINDS[s.kind][1]
            if not token or s.start < pos:
                continue
            parts.append(self.text[pos:s.start])
            parts.append(f" {token} ")
            pos = s.end
        parts.append(self.text[pos:])
        return _tidy("".join(parts))


def _tidy(text: str) -> str:
    # Unlinked hashtags read as words ("#asn_netral" -> "#asn netral"); placeholders keep theirs.
    text = re.sub(r"#(\w+)", lambda m: "#" + m.group(1).replace("_", " "), text)
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class _Entry:
    kind: str
    candidate: int | None
    label: str


def _phrase_pattern(phrase: str) -> str | None:
    """Regex for a normalised phrase: separators optional, letters may be digit-swapped."""
    tokens = [t for t in re.split(r"[^a-z0-9]+", phrase) if t]
    if not tokens:
        return None
    return _SEP.join("".join(_LEET_CLASS.get(ch, re.escape(ch)) for ch in tok) for tok in tokens)


class _ElectionPatterns:
    """Everything compiled for one election."""

    def __init__(self, election: Election) -> None:
        self.election = election
        self.numbers = {c.number for c in election.candidates}
        self.entries: dict[str, list[_Entry]] = {}
        self.tag_keys: dict[str, list[_Entry]] = {}
        self.handles: dict[str, _Entry] = {}
        self._patterns: dict[str, str] = {}     # compact key -> regex of the phrase
        party_owners: dict[str, set[int]] = {}
        token_owners: dict[str, set[int]] = {}
        for cand in election.candidates:
            for name in cand.names:
                for tok in re.split(r"[^a-z0-9]+", normalise(name)):
                    if len(tok) >= 3 and tok not in _COMMON_TOKENS:
                        token_owners.setdefault(tok, set()).add(cand.number)
            for party in cand.parties:
                party_owners.setdefault(normalise(party), set()).add(cand.number)
        for cand in election.candidates:
            n = cand.number
            label = " – ".join(cand.names)
            for name in cand.names:
                self._add(name, _Entry("name", n, name))
            if len(cand.names) > 1:
                self._add(" ".join(cand.names), _Entry("name", n, label))
                firsts = [self._distinct(nm, token_owners) for nm in cand.names]
                for a in firsts[0]:
                    for b in firsts[1]:
                        self._add(f"{a} {b}", _Entry("name", n, label))
            for name in cand.names:
                for tok in self._distinct(name, token_owners):
                    self._add(tok, _Entry("token", n, name))
            for alias in cand.aliases:
                kind = "common_alias" if compact(alias) in _COMMON_WORDS else "alias"
                self._add(alias, _Entry(kind, n, alias))
                if kind == "common_alias":
                    self.tag_keys.setdefault(compact(alias), []).append(_Entry("hashtag", n, alias))
            for slogan in cand.slogans:
                self._add(slogan, _Entry("slogan", n, slogan))
            for tag in cand.hashtags:
                body = tag.lstrip("#")
                self.tag_keys.setdefault(compact(body), []).append(_Entry("hashtag", n, tag))
                split = re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])",
                               " ", body)
                self._add(split, _Entry("slogan", n, tag))
        for party, owners in party_owners.items():
            cand_no = next(iter(owners)) if len(owners) == 1 else None
            for variant in [party, *_PARTY_VARIANTS.get(party, [])]:
                self._add(variant, _Entry("party", cand_no, party))
        for kw in election.keywords:
            self._add(kw.phrase, _Entry("keyword", kw.candidate, kw.phrase))
        for acc in election.accounts:
            handle = normalise("@" + acc.handle.lstrip("@")).lstrip("@")
            role = acc.role
            self.handles[handle] = _Entry("handle", acc.candidate, f"@{acc.handle} ({role})")
        alternation = sorted(
            {p for p in (self._patterns[k] for k in self.entries) if p},
            key=len, reverse=True,
        )
        body = "|".join(alternation) if alternation else r"(?!x)x"
        self.text_re = re.compile(r"(?<![a-z0-9])(?:" + body + r")(?![a-z0-9])")
        self.inner_re = re.compile(r"(?:" + body + r")")

    def _distinct(self, name: str, owners: dict[str, set[int]]) -> list[str]:
        toks = [t for t in re.split(r"[^a-z0-9]+", normalise(name)) if t]
        return [t for t in toks if len(t) >= 3 and t not in _COMMON_TOKENS
                and len(owners.get(t, ())) == 1]

    def _add(self, phrase: str, entry: _Entry) -> None:
        norm = normalise(phrase).replace("#", " ")
        key = compact(norm)
        if not key:
            return
        pattern = _phrase_pattern(norm)
        if pattern is None:
            return
        self._patterns.setdefault(key, pattern)
        bucket = self.entries.setdefault(key, [])
        if entry not in bucket:
            bucket.append(entry)

    # --- matching ------------------------------------------------------------------------
    def resolve(self, found: str) -> list[_Entry]:
        """The entries a matched phrase stands for: per candidate only the strongest kind."""
        best: dict[int | None, _Entry] = {}
        for e in self.entries.get(compact(found), []):
            have = best.get(e.candidate)
            if have is None or KINDS[e.kind][0] > KINDS[have.kind][0]:
                best[e.candidate] = e
        return list(best.values())

    def number(self, raw: str) -> int | None:
        value = _WORD_NUMBERS.get(raw)
        if value is None:
            value = int(raw)
        return value if value in self.numbers else None


class Linker:
    """Finds candidates, numbers, parties, slogans, hashtags and handles of elections in text."""

    def __init__(self, elections: Election | Sequence[Election]) -> None:
        if isinstance(elections, Election):
            elections = [elections]
        if not elections:
            raise ValueError("Linker needs at least one election")
        self._by_id = {e.id: _ElectionPatterns(e) for e in elections}
        self._default = next(iter(self._by_id))

    @property
    def election_ids(self) -> list[str]:
        return list(self._by_id)

    def link(self, text: str, election_id: str | None = None, *,
             normalised: str | None = None) -> Links:
        """Signals of one election in `text` (pass `normalised` if already normalised)."""
        pat = self._by_id[election_id or self._default]
        norm = normalised if normalised is not None else normalise(text)
        return Links(pat.election.id, norm, _find(pat, norm))

    def link_all(self, text: str) -> dict[str, Links]:
        norm = normalise(text)
        return {eid: Links(eid, norm, _find(p, norm)) for eid, p in self._by_id.items()}

    def link_many(self, texts: Iterable[str], election_id: str | None = None) -> list[Links]:
        return [self.link(t, election_id) for t in texts]


_LINKERS: dict[str, Linker] = {}


def linker_for(election: Election) -> Linker:
    """The election's linker, built once per process (its regexes cost to compile): for
    processes that classify batch after batch (`classify.alongside`'s child, `fanout`'s
    workers)."""
    found = _LINKERS.get(election.id)
    if found is None:
        found = _LINKERS[election.id] = Linker(election)
    return found


def _plausible_part(match: re.Match[str], whole: str) -> bool:
    """A name found inside a run-together tag/handle: long enough, or at its start or end.

    ("#ahokdjarot" -> ahok + djarot; but "eri" inside "#pemerintah" is no candidate.)
    """
    size = match.end() - match.start()
    return size >= 5 or (size >= 3 and (match.start() == 0 or match.end() == len(whole)))


def _find(pat: _ElectionPatterns, text: str) -> list[Signal]:
    signals: list[Signal] = []
    add = signals.append
    work = text  # `text` with matched tags, handles and numbers blanked out

    def hide(start: int, end: int) -> None:
        nonlocal work
        work = work[:start] + " " * (end - start) + work[end:]

    # Hashtags: exact campaign tags, names inside the tag, "#coblos02".
    if "#" in text:
        for m in _TAG_RE.finditer(text):
            body = m.group(1)
            key = compact(body.replace("_", ""))
            hits = [
                (e.kind, e.candidate, e.label)
                for e in pat.tag_keys.get(key, [])
            ]
            if not hits:
                letters = re.sub(r"[0-9_]", "", body)
                for im in pat.inner_re.finditer(letters):
                    if not _plausible_part(im, letters):
                        continue
                    for e in pat.resolve(im.group(0)):
                        kind = "party" if e.kind == "party" else (
                            "keyword" if e.kind in {"keyword", "slogan"} else "tag_name")
                        hits.append((kind, e.candidate, e.label))
                for nm in _TAG_NUMBER_RE.finditer(body.replace("_", "")):
                    num = pat.number(nm.group(1))
                    if num is not None:
                        hits.append(("number", num, f"#{body}"))
            if hits:
                hide(m.start(), m.end())
                hits = list(dict.fromkeys(hits))  # "#prabowo_gibran": one signal, not two
                for i, (kind, cand, label) in enumerate(hits):
                    # Only the first signal carries the span; the others share the mask.
                    s, e = (m.start(), m.end()) if i == 0 else (m.end(), m.end())
                    add(Signal(kind, m.group(0), cand, KINDS[kind][0], s, e, label))
            else:
                hide(m.start(), m.end())  # an unrelated tag is not running text for names

    # Mentions: watch-listed handles, or handles containing a candidate's name.
    if "@" in text:
        for m in _HANDLE_RE.finditer(text):
            handle = m.group(1).rstrip(".")
            entry = pat.handles.get(handle)
            hide(m.start(), m.end())
            if entry is not None:
                add(Signal("handle", m.group(0), entry.candidate, 1.0, m.start(), m.end(),
                           entry.label))
                continue
            letters = re.sub(r"[^a-z]", "", handle.split("@")[0])
            for i, im in enumerate(pat.inner_re.finditer(letters)):
                if not _plausible_part(im, letters):
                    continue
                for e in pat.resolve(im.group(0)):
                    if e.kind in {"name", "token", "alias"}:
                        s, t = (m.start(), m.end()) if i == 0 else (m.end(), m.end())
                        add(Signal("mention", m.group(0), e.candidate, KINDS["mention"][0],
                                   s, t, e.label))
                        break

    for m in pat.text_re.finditer(work):
        for e in pat.resolve(m.group(0)):
            add(Signal(e.kind, m.group(0), e.candidate, KINDS[e.kind][0], m.start(), m.end(),
                       e.label))

    has_jari = "jari" in work
    for regex, kind in ((_VOTE_NUMBER_RE, "vote_number"), (_NUMBER_RE, "number"),
                        (_POSE_RE, "pose")):
        if kind == "pose" and not has_jari:
            continue
        for m in list(regex.finditer(work)):
            num = pat.number(m.group(1))
            if num is None:
                continue
            sig_kind, weight = kind, KINDS[kind][0]
            if kind == "pose" and m.group(0) in _EMOJI_POSES:
                if any(s.kind == "pose_emoji" and s.candidate == num for s in signals):
                    hide(m.start(), m.end())
                    continue  # "✌️✌️✌️" is one gesture, not three signals
                sig_kind, weight = "pose_emoji", KINDS["pose_emoji"][0]
            elif kind == "pose" and not m.group(0).startswith("salam"):
                weight = 0.5  # "2 jari" without "salam" is a little less sure
            add(Signal(sig_kind, m.group(0), num, weight, m.start(1), m.end(1), f"nomor {num}"))
            hide(m.start(), m.end())
    for m in _BARE_RE.finditer(work) if "0" in work else ():
        num = pat.number(m.group(1))
        if num is not None:
            add(Signal("bare_number", m.group(0), num, KINDS["bare_number"][0], m.start(),
                       m.end(), f"nomor {num}"))
    for m in _CAMPAIGN_RE.finditer(work):
        add(Signal("campaign", m.group(1), None, 0.0, m.start(), m.end(), m.group(1)))
    if "partai" in work or "parpol" in work or PARTY_RE.search(work):
        taken = [(s.start, s.end) for s in signals if s.end > s.start]
        for m in _ANY_PARTY_RE.finditer(work):
            if not any(a < m.end() and m.start() < b for a, b in taken):
                add(Signal("party_any", m.group(0), None, 0.0, m.start(), m.end(), m.group(0)))
    return signals


__all__ = ["KINDS", "Linker", "Links", "NUMBER_KINDS", "STRONG_KINDS", "Signal",
           "linker_for"]
