"""The demo world: an election, agencies, ASN and their accounts, campaign accounts, and a few
months of posts, likes, shares, replies, quotes and follows on Telegram, Bluesky and Mastodon.

    world = build_world(seed=2024, scale=1.0)
    world.write_files("demo-inputs/")     # registry CSV, accounts CSV, election TOML
    world.truth                           # what was planted, and the innocent look-alikes

Deterministic: one seeded `random.Random`, no wall clock, no hash randomisation (ids come from
SHA-256 of seeded strings). `scale` multiplies the number of ASN, bystanders and posts; the
generation is linear in it. Item texts are rebuilt from ``(topic, seed)`` when served
(`World.text`), so even a ×100 world holds no large strings.

How the world is shaped so that every planted act is *discoverable* by the real collectors:
Telegram has no public likes or follows, so its acts are posts and forwards; Mastodon favourites
are only visible from the favourited status (``favourited_by``), and collectors read the
engagement of a watch-listed account's newest statuses, so planted favourites target a
campaign account's `ENGAGEMENT_WINDOW` newest statuses; Mastodon follows are not planted on
accounts that hide their network.

The world has a "now", `World.as_of`: 10:00 in the election's zone on the first day after the
last generated act, inside the discipline (DS) stage, two days before the vote. The demo runs
its collection, review and export on a simulated clock set to it (`timeutil.frozen_clock`), so
acts the platforms give no time for (follows, Mastodon favourites) are judged at that moment,
as pantau judges them in real use: at the time it observed them.
"""

from __future__ import annotations

import base64
import csv
import gc
import hashlib
import random
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

from ..elections import parse_election, stage_window
from ..records import Election, Person
from .texts import Phrasebook

DEMO_ELECTION_FILE = "demo-election.toml"
MASTODON_SERVER = "mastodon.demo"
BLUESKY_SUFFIX = "bsky.demo"
ENGAGEMENT_WINDOW = 20  # newest statuses per watch-listed account whose engagement is collected

BASE_ASN = 300
BASE_BYSTANDERS = 120
BASE_CAMPAIGN_POSTS = 30
BASE_INSTITUTION_POSTS = 25
PARTISAN_SHARE = 0.2
PLATFORM_SHARE = {"telegram": 0.45, "bluesky": 0.6, "mastodon": 0.5}

_MS = 1000
WORLD_START = datetime(2024, 7, 1, tzinfo=UTC)
WORLD_END = datetime(2024, 11, 24, 17, tzinfo=UTC)  # 25 Nov 00:00 WIB: nothing happens later
AS_OF_LOCAL_TIME = time(10, 0)                      # `World.as_of`: daytime in the election zone
EDGE_MARGIN = timedelta(hours=12)  # planted acts stay clear of stage boundaries


@lru_cache(maxsize=256)  # called with a few constant datetimes hundreds of thousands of times
def _ms(when: datetime) -> int:
    return int(when.timestamp() * _MS)


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode().lower().rstrip("=")


_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def tid(micros: int, clock: int) -> str:
    """An AT Protocol TID (record key): 53-bit microseconds + 10-bit clock id, base32-sortable."""
    value = (micros << 10) | (clock & 0x3FF)
    return "".join(_TID_ALPHABET[(value >> (5 * i)) & 31] for i in range(12, -1, -1))


# --- the model --------------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class DemoAccount:
    uid: int
    platform: str
    handle: str                 # as collectors see it: channel / bsky handle / user@server
    platform_id: str            # channel / DID / Mastodon account id
    display_name: str
    ms: int                     # account creation, epoch milliseconds
    role: str                   # asn | public | campaign | supporter_group | kpu | news | bawaslu
    nip: str | None = None
    candidate: int | None = None
    hidden_network: bool = False
    bio: str = ""

    @property
    def username(self) -> str:
        return self.handle.split("@", 1)[0]

    @property
    def watched(self) -> bool:
        return self.role in ("campaign", "supporter_group")


@dataclass(slots=True, eq=False)
class DemoImage:
    key: str                    # CID-like; file names and Bluesky blob refs derive from it
    kind: str                   # poster | hand
    source: str                 # poster lines joined by "\n", or the hand photo's file name
    width: int
    height: int
    fingers: int | None = None


@dataclass(slots=True, eq=False)
class DemoPost:
    """A post, reply, quote or share (Telegram forward, Bluesky repost, Mastodon reblog)."""

    uid: int
    platform: str
    author: DemoAccount
    ms: int
    topic: str | None           # None for shares (they carry the target's text)
    seed: int
    candidate: int | None = None
    kind: str = "post"          # post | reply | quote | share
    target: DemoPost | None = None
    images: tuple[DemoImage, ...] = ()
    fingers: int = 0
    local_id: str = ""          # Telegram message id / Bluesky rkey / Mastodon status id

    @property
    def created_at(self) -> datetime:
        return datetime.fromtimestamp(self.ms / _MS, UTC)

    @property
    def native_id(self) -> str:
        if self.platform == "telegram":
            return f"{self.author.handle}/{self.local_id}"
        if self.platform == "bluesky":
            collection = "app.bsky.feed.repost" if self.kind == "share" else "app.bsky.feed.post"
            return f"at://{self.author.platform_id}/{collection}/{self.local_id}"
        return self.local_id

    @property
    def cid(self) -> str:
        return "bafyrei" + _b32(_digest("cid", self.platform, self.native_id))[:52]


@dataclass(slots=True, eq=False)
class DemoLike:
    uid: int
    platform: str
    actor: DemoAccount
    target: DemoPost
    ms: int
    local_id: str = ""          # Bluesky like rkey / Mastodon favourite id

    @property
    def created_at(self) -> datetime:
        return datetime.fromtimestamp(self.ms / _MS, UTC)


@dataclass(slots=True, eq=False)
class DemoFollow:
    uid: int
    platform: str
    actor: DemoAccount
    target: DemoAccount
    ms: int
    local_id: str = ""          # Bluesky follow rkey / Mastodon follow id

    @property
    def created_at(self) -> datetime:
        return datetime.fromtimestamp(self.ms / _MS, UTC)


Item = DemoPost | DemoLike | DemoFollow


class TruthItem(NamedTuple):
    """One act of an ASN (or a bystander's act on a campaign post) and what it really is."""

    platform: str
    activity_id: str            # records.Activity.id as the collectors form it
    url: str | None
    family: str | None          # 'KE' | 'DS' | None (innocent)
    rule: str | None            # the planted rule code, None for an innocent act
    candidate: int | None
    kind: str                   # e.g. 'like_campaign', 'innocent:news', 'innocent:non_asn_like'
    accept: frozenset[str]      # rule codes that correctly describe the act (empty: innocent)

    @property
    def planted(self) -> bool:
        return self.rule is not None


# Rule codes per planted kind: (ethics KE, discipline DS); SKB 2022 Lampiran II (domain.md).
RULES: dict[str, tuple[str | None, str]] = {
    "campaign": ("KE-02", "DS-02"),
    "ajakan": ("KE-02", "DS-08"),
    "comment": ("KE-04", "DS-06"),
    "quote": ("KE-04", "DS-06"),
    "share": ("KE-04", "DS-06"),
    "like": ("KE-04", "DS-06"),
    "follow": ("KE-04", "DS-06"),
    "photo": ("KE-05", "DS-07"),
    "party": (None, "DS-05"),
}


# Acts the platforms give no time for (getFollows, Mastodon following and favourited_by): pantau
# judges their stage when it observed them, so their truth is the stage at `World.as_of`.
UNDATED: frozenset[tuple[str, str]] = frozenset(
    {("bluesky", "follow"), ("mastodon", "follow"), ("mastodon", "like")})
# Acts dated on one route and undated on the other (a share in the sharer's own feed has a time,
# the same share in the shared post's reposted_by list has none; the first route seen wins).
DATED_BY_ROUTE: frozenset[tuple[str, str]] = frozenset(
    {("bluesky", "share"), ("mastodon", "share")})


def accepted_rules(kind: str, family: str) -> frozenset[str]:
    """Every rule code a reviewer would accept for a planted act of `kind` in `family`.

    Acts often fit two rows of the SKB table (a supportive reply is both a comment on a campaign
    account and campaigning); a flag with any of them counts as correct. Follows carry no date
    on the platforms, so either stage's code is accepted for them."""
    ke, ds = RULES[kind]
    own = {ke if family == "KE" else ds}
    campaigning = "KE-02" if family == "KE" else "DS-02"
    extra: set[str] = set()
    if kind in ("campaign", "ajakan", "comment", "quote"):
        extra = {campaigning} | ({"DS-08"} if family == "DS" else set())
    elif kind in ("share", "photo"):
        extra = {campaigning}
    elif kind == "follow":
        extra = {"KE-04", "DS-06"}
    elif kind == "party":
        extra = {"DS-13"}
    return frozenset((own | extra) - {None})


@dataclass(eq=False)
class World:
    seed: int
    scale: float
    election: Election
    election_text: str
    people: list[Person]
    accounts: list[DemoAccount]
    posts: list[DemoPost]
    likes: list[DemoLike]
    follows: list[DemoFollow]
    images: dict[str, DemoImage]
    truth: list[TruthItem]
    phrasebook: Phrasebook = field(repr=False)
    # The world's "now" (module docstring): the demo's simulated clock starts here.
    as_of: datetime
    index: WorldIndex = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.index = WorldIndex(self)

    # --- texts --------------------------------------------------------------------------
    def text(self, post: DemoPost) -> str:
        """The post's text (a share carries the text of what it shares on Telegram)."""
        if post.topic is None:
            return self.text(post.target) if post.platform == "telegram" and post.target else ""
        return self.phrasebook.text(post.topic, post.seed, post.candidate, post.fingers)

    # --- the files pantau imports --------------------------------------------------------
    def registry_csv(self, path: str | Path) -> Path:
        """The registry import: ``nip,nama,jabatan,golongan,instansi,unit_kerja,wilayah``."""
        cols = ["nip", "nama", "jabatan", "golongan", "instansi", "unit_kerja", "wilayah"]
        return _write_csv(path, cols, ([getattr(p, c) for c in cols] for p in self.people))

    def accounts_csv(self, path: str | Path) -> Path:
        """The accounts import: ``nip,platform,handle,url`` for every ASN account."""
        rows = ([a.nip, a.platform, a.handle, profile_url(a)] for a in self.accounts if a.nip)
        return _write_csv(path, ["nip", "platform", "handle", "url"], rows)

    def election_toml(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.election_text, encoding="utf-8")
        return path

    def write_files(self, directory: str | Path) -> dict[str, Path]:
        d = Path(directory)
        return {
            "registry": self.registry_csv(d / "demo-asn.csv"),
            "accounts": self.accounts_csv(d / "demo-accounts.csv"),
            "election": self.election_toml(d / f"{self.election.id}.toml"),
        }

    def planted(self) -> list[TruthItem]:
        return [t for t in self.truth if t.planted]

    def summary(self) -> dict[str, int]:
        return {
            "asn": len(self.people),
            "accounts": len(self.accounts),
            "posts": len(self.posts),
            "likes": len(self.likes),
            "follows": len(self.follows),
            "planted": sum(1 for t in self.truth if t.planted),
            "innocent": sum(1 for t in self.truth if not t.planted),
        }


def profile_url(account: DemoAccount) -> str:
    if account.platform == "telegram":
        return f"https://t.me/{account.handle}"
    if account.platform == "bluesky":
        return f"https://bsky.app/profile/{account.handle}"
    return f"https://{MASTODON_SERVER}/@{account.username}"


def item_url(item: Item) -> str | None:
    if isinstance(item, DemoPost):
        if item.platform == "telegram":
            return f"https://t.me/{item.native_id}"
        if item.platform == "bluesky":
            post = item.target if item.kind == "share" and item.target else item
            return f"https://bsky.app/profile/{post.author.handle}/post/{post.local_id}"
        return f"https://{MASTODON_SERVER}/@{item.author.username}/{item.local_id}"
    if isinstance(item, DemoLike):
        return item_url(item.target)
    return profile_url(item.target)


def activity_id(item: Item) -> str:
    """`records.Activity.id` of an item as the collectors' parsers form it: platform + native id
    for posts, replies, quotes and Telegram forwards; platform:type:actor:target otherwise."""
    p = item.platform
    if isinstance(item, DemoFollow):
        return f"{p}:follow:{item.actor.platform_id}:{item.target.platform_id}"
    if isinstance(item, DemoLike):
        return f"{p}:like:{item.actor.platform_id}:{item.target.native_id}"
    if item.kind == "share" and p != "telegram":
        assert item.target is not None
        return f"{p}:share:{item.author.platform_id}:{item.target.native_id}"
    return f"{p}:{item.native_id}"


def _write_csv(path: str | Path, header: list[str], rows) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


# --- indexes for the server -------------------------------------------------------------------


def _time_key(item: DemoPost | DemoLike | DemoFollow) -> tuple[int, int]:
    # Mastodon pages by id (a snowflake of the time), so its lists are kept in id order.
    if item.platform == "mastodon":
        return (int(item.local_id), 0)
    return (item.ms, item.uid)


class WorldIndex:
    """Lookups the server needs, built once in one pass; every list is sorted oldest first."""

    def __init__(self, world: World) -> None:
        self.account: dict[tuple[str, str], DemoAccount] = {}
        for a in world.accounts:
            self.account[(a.platform, a.handle.lower())] = a
            self.account[(a.platform, a.platform_id.lower())] = a
        self.feed: dict[int, list[DemoPost]] = defaultdict(list)       # author uid
        self.post: dict[tuple[str, str], DemoPost] = {}               # (platform, native id)
        self.replies: dict[int, list[DemoPost]] = defaultdict(list)   # target uid
        self.quotes: dict[int, list[DemoPost]] = defaultdict(list)
        self.shares: dict[int, list[DemoPost]] = defaultdict(list)
        self.likes_of: dict[int, list[DemoLike]] = defaultdict(list)
        self.likes_by: dict[int, list[DemoLike]] = defaultdict(list)
        self.follows_by: dict[int, list[DemoFollow]] = defaultdict(list)
        self.followers: dict[int, int] = defaultdict(int)
        for post in world.posts:
            self.feed[post.author.uid].append(post)
            self.post[(post.platform, post.native_id)] = post
            if post.target is not None:
                {"reply": self.replies, "quote": self.quotes, "share": self.shares}[
                    post.kind][post.target.uid].append(post)
        for like in world.likes:
            self.likes_of[like.target.uid].append(like)
            self.likes_by[like.actor.uid].append(like)
        for follow in world.follows:
            self.follows_by[follow.actor.uid].append(follow)
            self.followers[follow.target.uid] += 1
        # Telegram and Mastodon ids grow with time, so time order is id order there too.
        for table in (self.feed, self.replies, self.quotes, self.shares, self.likes_of,
                      self.likes_by, self.follows_by):
            for items in table.values():
                items.sort(key=_time_key)
        self.images = world.images

    def find(self, platform: str, ref: str) -> DemoAccount | None:
        return self.account.get((platform, ref.lower().lstrip("@")))


def page_before(items: list, key, cursor, limit: int) -> list:
    """The `limit` items just older than `cursor` (newest first); `items` sorted oldest first."""
    end = len(items) if cursor is None else bisect_left(items, cursor, key=key)
    return items[max(0, end - limit):end][::-1]


# --- generation -------------------------------------------------------------------------------


class _Builder:
    def __init__(self, seed: int, scale: float) -> None:
        if scale <= 0:
            raise ValueError(f"scale must be positive, got {scale}")
        self.seed = seed
        self.scale = scale
        self.rng = random.Random(seed)
        text = resources.files("pantau.demo").joinpath(DEMO_ELECTION_FILE).read_text("utf-8")
        self.election_text = text
        self.election = parse_election(text, file=DEMO_ELECTION_FILE)
        self.phrasebook = Phrasebook(self.election)
        w = stage_window(self.election)
        # Planted DS acts end with the world (before `World.as_of`), not with the DS stage.
        self.windows = {"KE": (w.start, w.determination),
                        "DS": (w.determination, min(w.end, WORLD_END))}
        self._bounds = (_ms(w.start), _ms(w.determination), _ms(w.end))
        self.uid = 0
        self.accounts: list[DemoAccount] = []
        self.posts: list[DemoPost] = []
        self.likes: list[DemoLike] = []
        self.follows: list[DemoFollow] = []
        self.images: dict[str, DemoImage] = {}
        self.people: list[Person] = []
        self.labels: list[tuple[Item, str, str | None, int | None]] = []  # item, kind, planted?
        self.handles: set[tuple[str, str]] = set()
        self.hand_files = _hand_files()

    def next_uid(self) -> int:
        self.uid += 1
        return self.uid

    def scaled(self, base: int) -> int:
        return max(1, round(base * self.scale))

    # --- accounts ---------------------------------------------------------------------------
    def account(self, platform: str, handle: str, display: str, role: str, *,
                nip: str | None = None, candidate: int | None = None) -> DemoAccount:
        uid = self.next_uid()
        created = _ms(datetime(2022, 1, 1, tzinfo=UTC)) + self.rng.randrange(900 * 86400) * _MS
        if platform == "telegram":
            pid = handle
        elif platform == "bluesky":
            pid = "did:plc:" + _b32(_digest(self.seed, "did", handle))[:24]
        else:
            pid = str((created << 16) | (uid & 0xFFFF))
        account = DemoAccount(uid, platform, handle, pid, display, created, role, nip, candidate)
        # Some people hide their network on Mastodon (domain.md): the list reads as empty.
        account.hidden_network = platform == "mastodon" and role == "asn" and self.rng.random() < 0.1
        self.accounts.append(account)
        return account

    def unique_handle(self, platform: str, stem: str) -> str:
        n = 0
        while True:
            suffix = "" if n == 0 else str(n)
            if platform == "telegram":
                handle = f"{stem[:28]}{suffix}"
            elif platform == "bluesky":
                handle = f"{stem.replace('_', '')}{suffix}.{BLUESKY_SUFFIX}"
            else:
                handle = f"{stem}{suffix}@{MASTODON_SERVER}"
            if (platform, handle) not in self.handles:
                self.handles.add((platform, handle))
                return handle
            n += 1 if n else self.rng.randint(2, 99)

    # --- items ----------------------------------------------------------------------------------
    def post(self, author: DemoAccount, ms: int, topic: str | None, *, candidate: int | None = None,
             kind: str = "post", target: DemoPost | None = None,
             images: tuple[DemoImage, ...] = (), fingers: int = 0) -> DemoPost:
        uid = self.next_uid()
        p = DemoPost(uid, author.platform, author, ms, topic, self.rng.getrandbits(48), candidate,
                     kind, target, images, fingers)
        if author.platform == "bluesky":
            p.local_id = tid(ms * 1000 + uid % 1000, uid)
        elif author.platform == "mastodon":
            p.local_id = str((ms << 16) | (uid & 0xFFFF))  # Mastodon's snowflake layout
        self.posts.append(p)
        return p

    def like(self, actor: DemoAccount, target: DemoPost, ms: int) -> DemoLike:
        uid = self.next_uid()
        local = tid(ms * 1000 + uid % 1000, uid) if actor.platform == "bluesky" else str((ms << 16) | (uid & 0xFFFF))
        like = DemoLike(uid, actor.platform, actor, target, ms, local)
        self.likes.append(like)
        return like

    def follow(self, actor: DemoAccount, target: DemoAccount, ms: int) -> DemoFollow:
        uid = self.next_uid()
        local = tid(ms * 1000 + uid % 1000, uid) if actor.platform == "bluesky" else str((ms << 16) | (uid & 0xFFFF))
        follow = DemoFollow(uid, actor.platform, actor, target, ms, local)
        self.follows.append(follow)
        return follow

    def image(self, kind: str, source: str, fingers: int | None = None) -> DemoImage:
        key = "bafkrei" + _b32(_digest(self.seed, "img", len(self.images)))[:52]
        img = DemoImage(key, kind, source, 800, 600, fingers)
        self.images[key] = img
        return img

    def poster(self, lines: list[str]) -> DemoImage:
        return self.image("poster", "\n".join(lines))

    def hand(self, fingers: int) -> DemoImage:
        return self.image("hand", self.rng.choice(self.hand_files[fingers]), fingers)

    def label(self, item: Item, kind: str, planted: str | None = None,
              candidate: int | None = None) -> None:
        self.labels.append((item, kind, planted, candidate))

    # --- time -----------------------------------------------------------------------------------
    def time_between(self, start: datetime, end: datetime) -> int:
        return self.rng.randrange(_ms(start), _ms(end))

    def time_in(self, family: str) -> int:
        """A moment well inside the KE or DS window of the demo election."""
        start, end = self.windows[family]
        return self.time_between(start + EDGE_MARGIN, end - EDGE_MARGIN)

    def family_at(self, ms: int) -> str | None:
        """`rule_family(stage_at(election, t))`, with the stage window computed once (this is
        called for every planted act; tests check it against `stage_at`)."""
        if self._bounds[0] <= ms < self._bounds[1]:
            return "KE"
        if self._bounds[1] <= ms < self._bounds[2]:
            return "DS"
        return None


def _hand_files() -> dict[int, list[str]]:
    folder = resources.files("pantau.demo").joinpath("assets/hands")
    found: dict[int, list[str]] = defaultdict(list)
    with folder.joinpath("labels.csv").open("r", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            found[int(row["open_fingers"])].append(row["file"])
    return {k: sorted(v) for k, v in found.items()}


def build_world(seed: int = 2024, scale: float = 1.0) -> World:
    """Generate the demo world; the same `seed` and `scale` always give the same world.

    Any `scale` > 0 works (0.0001 is one ASN); however small, the world holds at least one
    planted act of every rule (`generate.RULE_ACTS`), so it can stand in for tests."""
    from .generate import populate

    # The world is a few hundred thousand acyclic objects at ×100: the cyclic garbage collector
    # would rescan them again and again (making generation superlinear) and would find nothing.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        b = _Builder(seed, scale)
        populate(b)
        as_of = _as_of(b)
        truth = [_truth(b, item, kind, planted, candidate, as_of)
                 for item, kind, planted, candidate in b.labels]
        return World(seed, scale, b.election, b.election_text, b.people, b.accounts, b.posts,
                     b.likes, b.follows, b.images, truth, b.phrasebook, as_of=as_of)
    finally:
        if was_enabled:
            gc.enable()


def _as_of(b: _Builder) -> datetime:
    """`AS_OF_LOCAL_TIME` in the election's zone on the first day after the last act; it must
    fall in the DS stage (the demo collects during the campaign's discipline stage)."""
    last = max(x.ms for items in (b.posts, b.likes, b.follows) for x in items)
    local = datetime.fromtimestamp(last / _MS, ZoneInfo(b.election.timezone))
    moment = datetime.combine(local.date() + timedelta(days=1), AS_OF_LOCAL_TIME, local.tzinfo)
    as_of = moment.astimezone(UTC)
    if b.family_at(_ms(as_of)) != "DS":
        raise AssertionError(f"demo world: as_of {as_of} is not in the DS stage of "
                             f"{b.election.id}; WORLD_END or the demo election's calendar moved")
    return as_of


def _truth(b: _Builder, item: Item, kind: str, planted: str | None,
           candidate: int | None, as_of: datetime) -> TruthItem:
    if planted is None:
        return TruthItem(item.platform, activity_id(item), item_url(item), None, None, None,
                         kind, frozenset())
    acted = b.family_at(item.ms)
    assert acted is not None, f"planted {kind} outside the election window"
    act = (item.platform, planted)
    # An undated act is judged when observed (as_of); it was also an act of its own stage.
    family = b.family_at(_ms(as_of)) if act in UNDATED else acted
    assert family is not None
    ke, ds = RULES[planted]
    rule = ke if family == "KE" else ds
    assert rule is not None, f"{planted} has no {family} rule"
    accept = accepted_rules(planted, family)
    if act in UNDATED or act in DATED_BY_ROUTE:
        accept |= accepted_rules(planted, acted) | accepted_rules(planted, family)
    return TruthItem(item.platform, activity_id(item), item_url(item), family, rule, candidate,
                     kind, accept)
