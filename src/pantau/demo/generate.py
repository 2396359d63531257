"""Populating the demo world: who exists, what they post, and which acts are planted violations.

Called by `world.build_world`; every random choice goes through the builder's seeded RNG in a
fixed order, which is what makes the world reproducible.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from . import people as P
from .world import (
    BASE_ASN,
    BASE_BYSTANDERS,
    BASE_CAMPAIGN_POSTS,
    BASE_INSTITUTION_POSTS,
    EDGE_MARGIN,
    ENGAGEMENT_WINDOW,
    PARTISAN_SHARE,
    PLATFORM_SHARE,
    RULES,
    UNDATED,
    WORLD_END,
    WORLD_START,
    DemoAccount,
    DemoPost,
    _ms,
)

if TYPE_CHECKING:
    from .world import _Builder

PLATFORMS = ("telegram", "bluesky", "mastodon")
INSTITUTIONS = {  # role: (handle stem, display name, text topic)
    "kpu": ("kpudki", "KPU Provinsi DKI Jakarta (demo)", "kpu"),
    "news": ("kabarjakarta", "Kabar Jakarta (demo)", "news"),
    "bawaslu": ("bawasludki", "Bawaslu DKI Jakarta (demo)", "appeal"),
}
# What an ASN can visibly do on each platform (Telegram: no public likes or follows).
PLANTABLE = {
    "telegram": ["campaign", "ajakan", "photo", "party", "share"],
    "bluesky": ["campaign", "ajakan", "photo", "party", "comment", "quote", "share", "like", "follow"],
    "mastodon": ["campaign", "ajakan", "photo", "party", "comment", "share", "like", "follow"],
}
INNOCENT_TOPICS = [("private", 45), ("work", 20), ("news", 12), ("appeal", 10), ("kpu", 8),
                   ("photo", 5)]
INNOCENT_POSTERS = [
    ["JADWAL POSYANDU", "SELASA 08.00", "RW 05"],
    ["ASN NETRAL", "PILKADA 2024"],
    ["PELAYANAN KTP-EL", "BUKA 08.00 - 15.00"],
]
# How to plant one act of each rule on demand (`_Context.cover_rules`): (kind, stage family).
# Every platform allows all of these, Telegram included (a forward is its share).
RULE_ACTS = {
    "KE-02": ("campaign", "KE"), "DS-02": ("campaign", "DS"), "DS-08": ("ajakan", "DS"),
    "DS-05": ("party", "DS"), "KE-05": ("photo", "KE"), "DS-07": ("photo", "DS"),
    "KE-04": ("share", "KE"), "DS-06": ("share", "DS"),
}
CAMPAIGN_START = datetime(2024, 8, 20, tzinfo=UTC)
CAMPAIGN_STOP = datetime(2024, 11, 24, tzinfo=UTC)   # masa tenang
MINUTE = 60_000
HOUR = 60 * MINUTE


def populate(b: _Builder) -> None:
    campaign = _campaign_accounts(b)
    institutions = _institution_accounts(b)
    camp_posts = _campaign_posts(b, campaign)
    inst_posts = {p: _institution_posts(b, accts) for p, accts in institutions.items()}
    ctx = _Context(b, campaign, camp_posts, inst_posts, institutions)
    asn_accounts: list[DemoAccount] = []
    for _ in range(b.scaled(BASE_ASN)):
        person = P.make_person(b.rng, _taken(b))
        b.people.append(person)
        accounts = _person_accounts(b, person)
        asn_accounts.extend(accounts)
        partisan = b.rng.choice(sorted(c.number for c in b.election.candidates)) \
            if b.rng.random() < PARTISAN_SHARE else None
        for account in accounts:
            ctx.innocent_activity(account)
            if partisan is not None:
                for kind in b.rng.sample(PLANTABLE[account.platform], b.rng.randint(1, 3)):
                    ctx.plant(account, kind, partisan)
    ctx.cover_rules(asn_accounts)
    ctx.colleagues(asn_accounts)
    for _ in range(b.scaled(BASE_BYSTANDERS)):
        ctx.bystander()
    _number_telegram(b)


def _taken(b: _Builder) -> set[str]:
    if not hasattr(b, "_nips"):
        b._nips = set()  # type: ignore[attr-defined]
    return b._nips  # type: ignore[attr-defined]


def _campaign_accounts(b: _Builder) -> list[DemoAccount]:
    found = []
    for w in b.election.accounts:
        cand = b.election.candidate(w.candidate) if w.candidate else None
        alias = (cand.aliases or cand.names)[0] if cand else w.handle
        display = f"Relawan {alias}" if w.role == "supporter_group" else f"{alias} Official"
        b.handles.add((w.platform, w.handle))
        found.append(b.account(w.platform, w.handle, display, w.role, candidate=w.candidate))
    return found


def _institution_accounts(b: _Builder) -> dict[str, list[DemoAccount]]:
    out: dict[str, list[DemoAccount]] = {p: [] for p in PLATFORMS}
    for role, (stem, display, _topic) in INSTITUTIONS.items():
        for platform in PLATFORMS:
            handle = b.unique_handle(platform, f"{stem}_demo" if platform == "telegram" else stem)
            out[platform].append(b.account(platform, handle, display, role))
    return out


def _campaign_posts(b: _Builder, campaign: list[DemoAccount]) -> dict[int, list[DemoPost]]:
    """Every campaign account's own posts, oldest first, keyed by account uid."""
    out: dict[int, list[DemoPost]] = {}
    for account in campaign:
        cand = b.election.candidate(account.candidate or 0)
        posts = []
        for _ in range(b.scaled(BASE_CAMPAIGN_POSTS)):
            ms = b.time_between(CAMPAIGN_START, CAMPAIGN_STOP)
            images = ()
            if cand is not None and b.rng.random() < 0.2:
                images = (b.poster(["COBLOS", f"NO. {cand.number}", cand.aliases[0].upper()]),)
            posts.append(b.post(account, ms, "campaign_account", candidate=account.candidate,
                                images=images))
        posts.sort(key=lambda p: (p.ms, p.uid))
        out[account.uid] = posts
    return out


def _institution_posts(b: _Builder, accounts: list[DemoAccount]) -> list[DemoPost]:
    posts = []
    for account in accounts:
        topic = INSTITUTIONS[account.role][2]
        for _ in range(b.scaled(BASE_INSTITUTION_POSTS)):
            posts.append(b.post(account, b.time_between(WORLD_START, WORLD_END), topic))
    return posts


def _person_accounts(b: _Builder, person) -> list[DemoAccount]:
    first, family = P.short_name(person)
    chosen = [p for p in PLATFORMS if b.rng.random() < PLATFORM_SHARE[p]]
    if not chosen:
        chosen = [b.rng.choice(PLATFORMS)]
    display = b.rng.choice([f"{first.title()} {family.title()}", first.title(),
                            f"{first.title()} {family[:1].upper()}."])
    accounts = []
    for platform in chosen:
        if platform == "telegram":
            stem = b.rng.choice([f"{first}_{family}", f"catatan_{first}", f"{first}{family[:3]}_jkt"])
        elif platform == "bluesky":
            stem = f"{first}{family}"
        else:
            stem = f"{first}_{family}"
        handle = b.unique_handle(platform, stem)
        accounts.append(b.account(platform, handle, display, "asn", nip=person.nip))
    return accounts


def _number_telegram(b: _Builder) -> None:
    """Telegram message ids grow by one per message in each channel."""
    by_channel: dict[int, list[DemoPost]] = {}
    for post in b.posts:
        if post.platform == "telegram":
            by_channel.setdefault(post.author.uid, []).append(post)
    for posts in by_channel.values():
        posts.sort(key=lambda p: (p.ms, p.uid))
        first = 1 + b.rng.randrange(3000)  # channels rarely start at 1 in practice
        for i, post in enumerate(posts):
            post.local_id = str(first + i)


class _Context:
    def __init__(self, b: _Builder, campaign: list[DemoAccount],
                 camp_posts: dict[int, list[DemoPost]], inst_posts: dict[str, list[DemoPost]],
                 institutions: dict[str, list[DemoAccount]]) -> None:
        self.b = b
        self.rng = b.rng
        self.campaign = campaign
        self.camp_posts = camp_posts
        self.inst_posts = inst_posts
        self.institutions = institutions
        self.own_posts: dict[int, list[DemoPost]] = {}
        # Filtered pools computed once: rebuilding them per account would make generation
        # quadratic in `scale`.
        self.official = {p: [x for x in posts if x.author.role in ("kpu", "bawaslu")]
                         for p, posts in inst_posts.items()}
        self.news = {p: [x for x in posts if x.author.role == "news"]
                     for p, posts in inst_posts.items()}
        self._targets: dict[tuple[str, int | None, bool], list[DemoPost]] = {}
        self.seen: set[tuple[str, int, int]] = set()  # (act, actor uid, target uid): no repeats

    # --- helpers --------------------------------------------------------------------------
    def after(self, target_ms: int, lo: int = 5 * MINUTE, hi: int = 72 * HOUR) -> int:
        return min(target_ms + self.rng.randrange(lo, hi), _ms(WORLD_END) - 1)

    def once(self, act: str, actor: DemoAccount, target_uid: int) -> bool:
        key = (act, actor.uid, target_uid)
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    def campaign_accounts(self, platform: str, candidate: int) -> list[DemoAccount]:
        return [a for a in self.campaign if a.platform == platform and a.candidate == candidate]

    def campaign_targets(self, platform: str, candidate: int | None, recent: bool) -> list[DemoPost]:
        key = (platform, candidate, recent)
        if key not in self._targets:
            self._targets[key] = self._campaign_targets(platform, candidate, recent)
        return self._targets[key]

    def _campaign_targets(self, platform: str, candidate: int | None, recent: bool) -> list[DemoPost]:
        posts: list[DemoPost] = []
        for account in self.campaign:
            if account.platform == platform and (candidate is None or account.candidate == candidate):
                own = self.camp_posts[account.uid]
                posts.extend(own[-ENGAGEMENT_WINDOW:] if recent else own)
        return posts

    def safe_family(self, ms: int) -> str | None:
        """The stage family at `ms`, or None when it is outside or near a stage boundary."""
        fam = self.b.family_at(ms)
        if fam is None:
            return None
        if self.b.family_at(ms - _ms_delta(EDGE_MARGIN)) != fam or \
                self.b.family_at(ms + _ms_delta(EDGE_MARGIN)) != fam:
            return None
        return fam

    # --- innocent acts ----------------------------------------------------------------------
    def innocent_activity(self, account: DemoAccount) -> None:
        b, rng = self.b, self.rng
        topics, weights = zip(*INNOCENT_TOPICS)
        own = []
        for _ in range(rng.randint(3, 9)):
            topic = rng.choices(topics, weights)[0]
            ms = b.time_between(WORLD_START, WORLD_END)
            if topic == "photo":
                image = b.hand(0) if rng.random() < 0.4 else b.poster(rng.choice(INNOCENT_POSTERS))
                post = b.post(account, ms, "photo_caption", images=(image,))
            else:
                post = b.post(account, ms, topic)
            b.label(post, f"innocent:{topic}")
            own.append(post)
        self.own_posts[account.uid] = own
        inst = self.inst_posts[account.platform]
        if account.platform == "telegram":
            if rng.random() < 0.3:
                target = rng.choice(self.official[account.platform])
                b.label(b.post(account, self.after(target.ms), None, kind="share", target=target),
                        "innocent:forward_institution")
            return
        # min(): a small world (scale < 0.06) has fewer institution posts than that.
        for target in rng.sample(inst, min(len(inst), rng.randint(1, 4))):
            b.label(b.like(account, target, self.after(target.ms)), "innocent:like_institution")
        if rng.random() < 0.4:
            target = rng.choice(inst)
            if self.once("share", account, target.uid):
                b.label(b.post(account, self.after(target.ms), None, kind="share", target=target),
                        "innocent:share_institution")
        if rng.random() < 0.3:
            target = rng.choice(inst)
            b.label(b.post(account, self.after(target.ms), "reply_thanks", kind="reply",
                           target=target), "innocent:reply_institution")
        if account.platform == "bluesky" and rng.random() < 0.2:
            target = rng.choice(self.news[account.platform])
            b.label(b.post(account, self.after(target.ms), "quote_news", kind="quote",
                           target=target), "innocent:quote_news")
        for target in rng.sample(self.institutions[account.platform], rng.randint(1, 2)):
            ms = b.time_between(WORLD_START, WORLD_END)
            b.label(b.follow(account, target, ms), "innocent:follow_institution")

    def colleagues(self, accounts: list[DemoAccount]) -> None:
        """Follows and likes between ASN: ordinary, innocent, and never of a campaign account."""
        by_platform: dict[str, list[DemoAccount]] = {}
        for a in accounts:
            by_platform.setdefault(a.platform, []).append(a)
        for platform in ("bluesky", "mastodon"):
            pool = by_platform.get(platform, [])
            if len(pool) < 2:
                continue
            for account in pool:
                for other in self.rng.sample(pool, min(2, len(pool))):
                    if other is account or not self.once("follow", account, other.uid):
                        continue
                    ms = self.b.time_between(WORLD_START, WORLD_END)
                    self.b.label(self.b.follow(account, other, ms), "innocent:follow_colleague")
                if platform == "bluesky":
                    other = self.rng.choice(pool)
                    posts = self.own_posts.get(other.uid) or []
                    if other is not account and posts:
                        target = self.rng.choice(posts)
                        self.b.label(self.b.like(account, target, self.after(target.ms)),
                                     "innocent:like_colleague")

    def bystander(self) -> None:
        """A member of the public (not in the registry) who engages with campaign accounts."""
        b, rng = self.b, self.rng
        platform = rng.choice(("bluesky", "mastodon"))
        first = rng.choice(P.MALE + P.FEMALE).lower()
        handle = b.unique_handle(platform, f"warga_{first}" if platform == "mastodon" else f"{first}warga")
        account = b.account(platform, handle, first.title(), "public")
        for _ in range(rng.randint(1, 3)):
            b.post(account, b.time_between(WORLD_START, WORLD_END), "private")
        targets = self.campaign_targets(platform, None, recent=True)
        for target in rng.sample(targets, min(len(targets), rng.randint(2, 6))):
            b.label(b.like(account, target, self.after(target.ms)), "innocent:non_asn_like")
        if rng.random() < 0.5:
            target = rng.choice(targets)
            b.label(b.post(account, self.after(target.ms), None, kind="share", target=target),
                    "innocent:non_asn_share")
        watched = [a for a in self.campaign if a.platform == platform]
        target_account = rng.choice(watched)
        b.label(b.follow(account, target_account, b.time_between(WORLD_START, WORLD_END)),
                "innocent:non_asn_follow")

    # --- planted violations -----------------------------------------------------------------
    def plant(self, account: DemoAccount, kind: str, candidate: int) -> None:
        b, rng = self.b, self.rng
        cand = b.election.candidate(candidate)
        assert cand is not None
        if kind == "party" and not cand.parties:
            kind = "campaign"  # an independent pair has no party to join
        if kind == "follow" and account.hidden_network:
            kind = "like"      # a hidden network would make the follow undiscoverable
        if kind in ("campaign", "photo"):
            self._plant_post(account, kind, candidate, "KE" if rng.random() < 0.35 else "DS")
        elif kind in ("ajakan", "party"):
            post = b.post(account, b.time_in("DS"), kind, candidate=candidate)
            b.label(post, f"planted:{kind}", kind, candidate)
        elif kind == "follow":
            target = rng.choice(self.campaign_accounts(account.platform, candidate))
            if self.once("follow", account, target.uid):
                ms = b.time_in("KE" if rng.random() < 0.35 else "DS")
                b.label(b.follow(account, target, ms), "planted:follow", "follow", candidate)
        else:
            self._plant_interaction(account, kind, candidate)

    def _plant_post(self, account: DemoAccount, kind: str, candidate: int, family: str) -> None:
        """A campaign post or a campaign photo (hand pose or poster) in the `family` stage."""
        b, rng = self.b, self.rng
        cand = b.election.candidate(candidate)
        assert cand is not None
        ms = b.time_in(family)
        if kind == "campaign":
            post = b.post(account, ms, "campaign", candidate=candidate)
        elif rng.random() < 0.6:
            post = b.post(account, ms, "pose_caption", candidate=candidate,
                          images=(b.hand(candidate),), fingers=candidate)
        else:
            poster = b.poster(["COBLOS", f"NO. {candidate}", cand.aliases[0].upper()])
            post = b.post(account, ms, "poster_caption", candidate=candidate, images=(poster,))
        b.label(post, f"planted:{kind}", kind, candidate)

    # --- every rule at least once ---------------------------------------------------------
    def planted_rules(self) -> set[str]:
        """The rule codes the acts planted so far will carry in the truth (`world._truth`)."""
        found = set()
        for item, _kind, planted, _cand in self.b.labels:
            if planted is None:
                continue
            # An undated act is judged at `World.as_of`, which is always in the DS stage.
            family = "DS" if (item.platform, planted) in UNDATED else self.b.family_at(item.ms)
            ke, ds = RULES[planted]
            found.add(ke if family == "KE" else ds)
        return found

    def cover_rules(self, accounts: list[DemoAccount]) -> None:
        """Plant one act of every rule the random partisans did not happen to commit.

        At scale 1 each of the ~60 partisans commits 1-3 acts and every rule shows up; a
        small world (scale 0.01: three ASN) may have no partisan at all. A world that already
        has every rule draws nothing here, so it is the same world as before this step.
        """
        missing = [r for r in RULE_ACTS if r not in self.planted_rules()]
        for rule in missing:
            account = self.rng.choice(accounts)
            kind, family = RULE_ACTS[rule]
            if kind == "share":
                numbers = sorted({a.candidate for a in self.campaign
                                  if a.platform == account.platform and a.candidate})
            else:  # a party membership needs a pair with parties
                numbers = sorted(c.number for c in self.b.election.candidates
                                 if kind != "party" or c.parties)
            candidate = self.rng.choice(numbers)
            if kind in ("campaign", "photo"):
                self._plant_post(account, kind, candidate, family)
            elif kind == "share":
                self._plant_share_in(account, candidate, family)
            else:
                self.plant(account, kind, candidate)  # ajakan and party are always DS acts

    def _plant_share_in(self, account: DemoAccount, candidate: int, family: str) -> None:
        """A share of a campaign post, both well inside the `family` stage."""
        b, rng = self.b, self.rng
        soon = 6 * HOUR  # the share follows within 6 h: it stays in the stage of its target
        targets = [t for t in self.campaign_targets(account.platform, candidate, False)
                   if self.safe_family(t.ms) == family == self.safe_family(t.ms + soon)
                   and ("share", account.uid, t.uid) not in self.seen]
        if targets:
            target = rng.choice(targets)
        else:  # no campaign post of that stage yet (a small world): the campaign posts one
            start, end = b.windows[family]
            author = rng.choice(self.campaign_accounts(account.platform, candidate))
            ms = b.time_between(start + EDGE_MARGIN, end - EDGE_MARGIN - timedelta(hours=6))
            target = b.post(author, ms, "campaign_account", candidate=candidate)
            own = self.camp_posts[author.uid]
            own.append(target)
            own.sort(key=lambda p: (p.ms, p.uid))
            self._targets.clear()  # the cached target pools no longer hold every post
        self.once("share", account, target.uid)
        item = b.post(account, self.after(target.ms, hi=soon), None, kind="share", target=target)
        b.label(item, "planted:share", "share", candidate)

    def _plant_interaction(self, account: DemoAccount, kind: str, candidate: int) -> None:
        b, rng = self.b, self.rng
        # Mastodon favourites are only seen from the favourited (recent) campaign status.
        recent = account.platform == "mastodon" and kind == "like"
        targets = self.campaign_targets(account.platform, candidate, recent)
        for _ in range(30):
            target = rng.choice(targets)
            ms = self.after(target.ms, hi=30 * HOUR)
            if self.safe_family(ms) is None or not self.once(kind, account, target.uid):
                continue
            if kind == "like":
                item = b.like(account, target, ms)
            elif kind == "share":
                item = b.post(account, ms, None, kind="share", target=target)
            elif kind == "comment":
                item = b.post(account, ms, "reply_support", candidate=candidate, kind="reply",
                              target=target)
            else:
                item = b.post(account, ms, "quote_support", candidate=candidate, kind="quote",
                              target=target)
            b.label(item, f"planted:{kind}", kind, candidate)
            return


def _ms_delta(delta: timedelta) -> int:
    return int(delta.total_seconds() * 1000)
