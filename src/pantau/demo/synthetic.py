"""Synthetic Telegram channels for the load test: as many as wanted, none of them in memory.

    channels = SyntheticChannels(100_000, election, per_channel=10)
    with DemoServer(channels) as server:       # t.me/s/asn000000 ... t.me/s/asn099999
        ...                                    # the real collectors read 1,000,000 messages

The demo world (`world.py`) builds every account and post as an object up front, which is
what its truth scoring needs but would take gigabytes at a million posts. Here a channel's page
is computed when it is asked for, from the channel number alone: the same
`render_telegram.channel_page` renders it (the markup of a real t.me/s capture), fed with
`DemoAccount`/`DemoPost` objects made for that one request. The same request always gets the
same bytes (seeded per channel, no clock).

Texts are a small mix, like the load test always used: mostly neutral (news, neutrality
appeals, private life) and about `campaign_share` of campaign texts naming the election's own
candidates and their numbers, so the classifier has something to flag. Channels on the
election's Telegram watch list are served too (campaign posts of their candidate), since the
collectors visit watch-listed channels as well.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ..records import Election
from .world import DemoAccount, DemoPost

PREFIX = "asn"
DIGITS = 6
_HANDLE = re.compile(rf"{PREFIX}(\d{{{DIGITS}}})")

NEUTRAL = (
    "ASN wajib netral! Mari sukseskan pilkada dengan damai #ASNNetral",
    "Jangan lupa datang ke TPS dan gunakan hak pilih Anda",
    "Selamat pagi rekan-rekan, semangat melayani masyarakat hari ini",
    "Resep rendang padang untuk acara keluarga akhir pekan",
    "Rapat koordinasi pelayanan publik di kantor kecamatan",
    "Jadwal kampanye resmi dari KPU sudah diumumkan",
    "Olahraga pagi bersama tim di lapangan kantor",
)
CAMPAIGN = (
    "Ayo coblos nomor {num}, {name} pasti menang!",
    "Dukung {name} untuk daerah kita yang lebih baik, nomor {num}",
    "Salam {num} jari! Pilih {name} tanggal pemungutan suara",
    "Bapak ibu guru, mari kita menangkan {name} nomor urut {num}",
)


def handle(i: int) -> str:
    """The channel name of synthetic account `i` (also its registered handle)."""
    return f"{PREFIX}{i:0{DIGITS}d}"


class _Feed:
    """`WorldIndex.feed` for synthetic channels: the posts of a channel, made when asked."""

    def __init__(self, owner: SyntheticChannels) -> None:
        self.owner = owner

    def get(self, uid: int, default: Any = None) -> list[DemoPost] | Any:
        posts = self.owner.posts(uid)
        return posts if posts is not None else default


class SyntheticChannels:
    """`n` Telegram channels of `per_channel` messages each, dated inside [start, end).

    Quacks like the parts of `World` the Telegram renderer and `DemoApp` use (`index.find`,
    `index.feed`, `index.images`, `text`); `DemoApp` answers 404 to the Bluesky and Mastodon
    routes when it serves these.
    """

    def __init__(self, n: int, election: Election, *, start: datetime, end: datetime,
                 per_channel: int = 10, campaign_share: float = 0.05, seed: int = 0) -> None:
        if n < 0 or n >= 10 ** DIGITS:
            raise ValueError(f"between 0 and {10 ** DIGITS - 1} synthetic channels, not {n}")
        if not election.candidates:
            raise ValueError(f"election {election.id} has no candidates to campaign for")
        self.n = n
        self.per_channel = per_channel
        self.campaign_share = campaign_share
        self.seed = seed
        self.start_ms = int(start.timestamp() * 1000)
        # An hour clear of the window's end: every message falls inside the election window.
        self.span_ms = max(1, int(end.timestamp() * 1000) - self.start_ms - 3_600_000)
        self.names = [(c.number, c.names[0]) for c in election.candidates]
        # Watch-listed campaign channels: uid n, n+1, ... after the ASN channels.
        self.watched: dict[str, int] = {}
        self.candidate_of: dict[int, int] = {}
        for acc in _telegram_watch(election.accounts):
            uid = n + len(self.watched)
            self.watched[acc.handle.lower().lstrip("@")] = uid
            self.candidate_of[uid] = acc.candidate or election.candidates[0].number
        self.index = self          # `DemoApp` and the renderer look things up on `.index`
        self.feed = _Feed(self)
        self.images: dict[str, Any] = {}   # no photos: the load test is about text

    # --- what DemoApp / render_telegram ask -----------------------------------------------
    def find(self, platform: str, ref: str) -> DemoAccount | None:
        if platform != "telegram":
            return None
        ref = ref.lower().lstrip("@")
        m = _HANDLE.fullmatch(ref)
        if m is not None and int(m.group(1)) < self.n:
            uid = int(m.group(1))
            return DemoAccount(uid, "telegram", ref, ref, f"ASN Sintetis {uid}", 0, "asn",
                               bio="Akun pribadi")
        uid = self.watched.get(ref)
        if uid is None:
            return None
        return DemoAccount(uid, "telegram", ref, ref, f"Kampanye {ref}", 0, "campaign",
                           candidate=self.candidate_of[uid], bio="Kanal resmi kampanye")

    def posts(self, uid: int) -> list[DemoPost] | None:
        """The channel's messages, oldest first (message ids 1..per_channel)."""
        if not 0 <= uid < self.n + len(self.watched):
            return None
        account = self._account(uid)
        rnd = random.Random(self.seed * 1_000_003 + uid)
        times = sorted(self.start_ms + int(rnd.random() * self.span_ms)
                       for _ in range(self.per_channel))
        posts = []
        for j, ms in enumerate(times):
            # The text is chosen here and kept in `seed` (see `text`): topic "n<k>" is neutral
            # text k, "c<k>" campaign template k with the candidate in `candidate`.
            if uid in self.candidate_of or rnd.random() < self.campaign_share:
                number = self.candidate_of.get(uid) or rnd.choice(self.names)[0]
                topic, candidate = f"c{rnd.randrange(len(CAMPAIGN))}", number
            else:
                topic, candidate = f"n{rnd.randrange(len(NEUTRAL))}", None
            posts.append(DemoPost(uid * 1000 + j, "telegram", account, ms, topic, 0,
                                  candidate=candidate, local_id=str(j + 1)))
        return posts

    def text(self, post: DemoPost) -> str:
        kind, k = post.topic[0], int(post.topic[1:])  # type: ignore[index]
        if kind == "n":
            return NEUTRAL[k]
        name = next(nm for num, nm in self.names if num == post.candidate)
        return CAMPAIGN[k].format(num=post.candidate, name=name)

    # --- for the load test's checks ---------------------------------------------------------
    @property
    def total(self) -> int:
        """Messages served by all ASN channels together."""
        return self.n * self.per_channel

    def _account(self, uid: int) -> DemoAccount:
        if uid < self.n:
            found = self.find("telegram", handle(uid))
        else:
            name = next(h for h, u in self.watched.items() if u == uid)
            found = self.find("telegram", name)
        assert found is not None  # uid checked by the caller
        return found


def _telegram_watch(accounts: Iterable[Any]) -> list[Any]:
    return sorted((a for a in accounts if a.platform == "telegram"), key=lambda a: a.handle)


__all__ = ["CAMPAIGN", "NEUTRAL", "SyntheticChannels", "handle"]
