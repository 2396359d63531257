"""Our own training corpus: templated Indonesian social-media text, reproducible from a seed.

    from pantau.classify.corpus import generate, write_corpus
    rows = generate(seed=20261123)          # list of dicts: id, text, label, election_id, ...
    write_corpus("data/training/corpus.jsonl", seed=20261123)

Classes (`LABELS`): support, invitation, attack, neutral_election, private, membership (the
author states party membership or office: DS-05). Candidate slots
are filled from several real elections (`corpus_elections.CORPUS_ELECTIONS`) and every text
gets realistic noise (abbreviations, elongation, typos, case, emoji, mentions, links) so the
model learns the pattern of support, not the names of one race. No scraped personal data:
every text is built from the hand-written templates in `templates.py`.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..records import Candidate, Election
from . import templates as T
from .corpus_elections import CORPUS_ELECTIONS, OFFICES

LABELS = ("support", "invitation", "attack", "neutral_election", "private", "membership")
CAMPAIGN_LABELS = ("support", "invitation", "attack")
DEFAULT_SEED = 20261123
# Texts per election and class. Private chatter is the bulk of what an ASN posts.
PER_ELECTION = {"support": 800, "invitation": 650, "attack": 400, "neutral_election": 1000,
                "private": 1000, "membership": 250}
# The election held out for validation (metrics and the threshold): never seen in training.
VALIDATION_ELECTION = "pemilu-2019-presiden"

_TEMPLATES = {"support": T.SUPPORT, "invitation": T.INVITATION, "attack": T.ATTACK,
              "neutral_election": T.NEUTRAL, "private": T.PRIVATE, "membership": T.MEMBERSHIP}
_CHOICE_RE = re.compile(r"\{([^{}]*)\}")
_SLOT_RE = re.compile(r"\[([A-Z_0-9]+)\]")
_MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
           "September", "Oktober", "November", "Desember"]
_NUM_WORDS = {1: "satu", 2: "dua", 3: "tiga", 4: "empat", 5: "lima"}
_OTHER_HANDLES = ["@detikcom", "@kompascom", "@tempodotco", "@rina_dewi", "@budi.s",
                  "@teman_kantor", "@infojkt", "@mas_anto", "@kpu_ri", "@bawaslu_ri",
                  "@ayu.lestari", "@fajar88", "@warga_solo", "@kumparan"]
_LINKS = ["https://t.co/aB3dE9xQ", "https://bit.ly/3xYzK1", "https://s.id/abc12",
          "https://www.instagram.com/p/Cx12/", "https://youtu.be/dQw4w9", "https://t.me/s/info/12",
          "https://news.detik.com/berita/d-7012345"]
# Reverse of normalise.ABBREVIATIONS: how people shorten words when typing fast.
_CONTRACT = {"yang": ["yg"], "dengan": ["dgn", "dg"], "untuk": ["utk", "untk"],
             "tidak": ["gak", "ga", "tdk", "nggak"], "sudah": ["udh", "sdh", "udah"],
             "belum": ["blm"], "banget": ["bgt"], "orang": ["org"], "jangan": ["jgn"],
             "nomor": ["no", "nmr", "nomer"], "karena": ["krn", "karna"], "saja": ["aja"],
             "sekarang": ["skrg"], "semoga": ["smg"], "kalau": ["klo", "kalo"], "juga": ["jg"],
             "lagi": ["lg"], "terima kasih": ["makasih", "trims", "thx"], "dari": ["dr"]}
_CONTRACT_RE = re.compile(r"\b(" + "|".join(map(re.escape, _CONTRACT)) + r")\b")


def _tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[\s\-]+", name.replace("'", "")) if len(t) >= 3]


class _Filler:
    """Fills the slots of one template for one election and target candidate."""

    def __init__(self, rnd: random.Random, election: Election) -> None:
        self.rnd = rnd
        self.e = election
        key = election.id.split("-")
        self.office = OFFICES.get(
            "pemilu" if election.kind == "pemilu" else f"pilkada-{key[-1]}",
            ("kepala daerah", "calon", "kepala daerah", "nomor 1"),
        )

    def cand(self, c: Candidate) -> str:
        r = self.rnd
        first = [_tokens(n)[0] if _tokens(n) else n for n in c.names]
        sep = r.choice(["-", " - ", " – ", " dan ", " & ", " ", "-"])
        forms = [sep.join(first), c.names[0], first[0], first[0], sep.join(c.names)]
        forms += c.aliases * 2
        if len(first) > 1:
            forms.append(first[1])
        form = r.choice(forms)
        if r.random() < 0.12:
            form = f"{r.choice(['paslon', 'nomor urut', 'no', 'pasangan'])} {self.numd(c)} {form}"
        elif r.random() < 0.1:
            form = f"{r.choice(['Pak', 'Mas', 'Bang', 'Kang', 'Cak'])} {first[0]}"
        if r.random() < 0.05:  # digit/letter swaps: pr4bowo, j0k0wi
            form = form.replace("a", "4", 1) if r.random() < 0.5 else form.replace("o", "0")
        return form

    def short(self, c: Candidate) -> str:
        toks = [t for n in c.names for t in _tokens(n)]
        return self.rnd.choice(toks[:2] or c.names)

    def numd(self, c: Candidate) -> str:
        return self.rnd.choice([f"{c.number:02d}", str(c.number), str(c.number)])

    def num(self, c: Candidate) -> str:
        n = c.number
        return self.rnd.choice([
            f"{n:02d}", f"{n:02d}", str(n), f"no {n}", f"no. {n}", f"nomor {n}", f"nomor urut {n}",
            f"paslon {n:02d}", f"nmr {n}", f"nomer {n}", f"No.{n}", f"nomor {_NUM_WORDS.get(n, n)}",
            f"{n}\ufe0f\u20e3", f"paslon nomor {n}",
        ])

    def tag(self, c: Candidate) -> str:
        r = self.rnd
        toks = [t.capitalize() for n in c.names for t in _tokens(n)[:1]]
        built = [
            "#" + "".join(toks), "#" + "".join(toks).lower(), f"#{toks[0]}{self.year()}",
            f"#{toks[0]}Menang", f"#{toks[0]}For{self.office[0].capitalize()}",
            f"#{c.number:02d}{''.join(toks)}", f"#Coblos{c.number:02d}",
        ]
        return r.choice(c.hashtags * 2 + built) if c.hashtags else r.choice(built)

    def year(self) -> str:
        return str(self.e.calendar.vote.year)

    def race(self) -> str:
        y = self.year()
        if self.e.kind == "pemilu":
            return self.rnd.choice([f"Pilpres {y}", f"Pemilu {y}", "pilpres", "pemilu",
                                    f"pemilihan presiden {y}"])
        region = self.e.region or ""
        return self.rnd.choice([f"Pilkada {region} {y}", "pilkada", f"Pilkada {y}",
                                f"Pil{self.office[0][:3]} {region}", f"pemilihan {self.office[0]}"])

    def fill(self, template: str, target: Candidate, rival: Candidate) -> str:
        r = self.rnd
        text = _CHOICE_RE.sub(lambda m: r.choice(m.group(1).split("|")), template)
        vote = self.e.calendar.vote
        slots: dict[str, Callable[[], str]] = {
            "CAND": lambda: self.cand(target),
            "CANDS": lambda: self.short(target),
            "RIVALC": lambda: self.cand(rival),
            "NUM": lambda: self.num(target),
            "NUMD": lambda: self.numd(target),
            "NUMW": lambda: r.choice([_NUM_WORDS.get(target.number, "satu"), str(target.number)]),
            "TAG": lambda: self.tag(target),
            "TAG2": lambda: self.tag(target),
            "SLOGAN": lambda: r.choice(target.slogans) if target.slogans else self.tag(target),
            "SLOGAN2": lambda: r.choice(target.slogans) if target.slogans else self.cand(target),
            "PARTY": lambda: r.choice(target.parties) if target.parties else "partai koalisi",
            # Any party, half the time one of this election's (linked as `party`, not `party_any`)
            "PARTYN": lambda: (r.choice(target.parties) if target.parties and r.random() < 0.5
                               else r.choice(T.PARTIES)),
            "OFFICE": lambda: r.choice(self.office[:3]),
            "OFFICE_SEAT": lambda: self.office[3],
            "RACE": self.race,
            "REGION": lambda: self.e.region or "Indonesia",
            "VOTEDAY": lambda: r.choice([f"{vote.day} {_MONTHS[vote.month - 1]}",
                                         f"{vote.day}/{vote.month}", f"{vote.day} {_MONTHS[vote.month - 1][:3]}"]),
            "YEAR": self.year,
            "LINK": lambda: r.choice(_LINKS),
            "PLACE": lambda: r.choice(T.PLACES),
            "PLACE2": lambda: r.choice(T.PLACES),
            "NAME": lambda: r.choice(T.NAMES),
            "E": lambda: r.choice(T.EMOJI),
            "NUMLIST": lambda: ", ".join(f"{c.number:02d} {self.cand(c)}"
                                         for c in self.e.candidates),
        }
        return _SLOT_RE.sub(lambda m: slots[m.group(1)](), text)


def _noise(rnd: random.Random, text: str) -> str:
    """Typing habits: abbreviations, elongation, a typo, case, mentions, links, tags."""
    r = rnd.random
    if r() < 0.45:
        text = _CONTRACT_RE.sub(lambda m: rnd.choice(_CONTRACT[m.group(1)])
                                if r() < 0.7 else m.group(1), text)
    words = text.split(" ")
    if r() < 0.25 and words:
        i = rnd.randrange(len(words))
        w = words[i]
        if w and w[-1].isalpha():
            words[i] = w + w[-1] * rnd.randint(2, 4)
    if r() < 0.12:
        long = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
        if long:
            i = rnd.choice(long)
            w = words[i]
            j = rnd.randrange(len(w) - 1)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    text = " ".join(w for w in words if w != "")
    roll = r()
    if roll < 0.25:
        text = text.lower()
    elif roll < 0.32:
        text = text.upper()
    if r() < 0.12:
        mention = rnd.choice(_OTHER_HANDLES)
        text = f"{mention} {text}" if r() < 0.5 else f"{text} {mention}"
    if r() < 0.06:
        text = f"{text} {rnd.choice(_LINKS)}"
    if r() < 0.15:
        text = re.sub(r"[.!]?\s*$", rnd.choice(["!!", "!!!", "..", " :)", "?", "", "."]), text, 1)
    if r() < 0.04:
        text = text.replace("✌️", ":victory_hand:").replace("👍", ":thumbsup:")
    return " ".join(text.split())


def generate(seed: int = DEFAULT_SEED, per_election: dict[str, int] | None = None,
             elections: list[Election] | None = None) -> list[dict[str, Any]]:
    """All corpus rows, deterministic for a seed: id, text, label, election_id, candidate."""
    rnd = random.Random(seed)
    counts = per_election or PER_ELECTION
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for election in elections or CORPUS_ELECTIONS:
        filler = _Filler(rnd, election)
        for label in LABELS:
            pool = _TEMPLATES[label]
            want = counts.get(label, 0)  # a class left out of `per_election` gets no rows
            made = attempts = 0
            while made < want and attempts < want * 5:
                attempts += 1
                t_index = rnd.randrange(len(pool))
                target = rnd.choice(election.candidates)
                rival = rnd.choice([c for c in election.candidates if c is not target])
                text = _noise(rnd, filler.fill(pool[t_index], target, rival))
                if text in seen:
                    continue
                seen.add(text)
                made += 1
                about = {"support": target, "invitation": target, "attack": rival}.get(label)
                rows.append({
                    "id": hashlib.sha256(f"{election.id}\x1f{text}".encode()).hexdigest()[:16],
                    "text": text,
                    "label": label,
                    "election_id": election.id,
                    "candidate": about.number if about else None,
                    "template": f"{label}:{t_index}",
                })
    return rows


def write_corpus(path: str | Path, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """Write the corpus as JSONL; returns {rows, sha256, counts} for the data card."""
    rows = generate(seed)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in rows)
    path.write_text(body, encoding="utf-8")
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["label"]] = counts.get(row["label"], 0) + 1
    return {"rows": len(rows), "sha256": hashlib.sha256(body.encode()).hexdigest(),
            "counts": counts, "seed": seed}


def election_by_id(election_id: str) -> Election:
    for e in CORPUS_ELECTIONS:
        if e.id == election_id:
            return e
    raise KeyError(election_id)


__all__ = ["CAMPAIGN_LABELS", "DEFAULT_SEED", "LABELS", "VALIDATION_ELECTION", "election_by_id",
           "generate", "write_corpus"]
