"""A small, realistic store for the review, export and notebook tests (hand-made data).

Pilkada 2024 DKI Jakarta (candidates and calendar from the public record), four registered
ASN with accounts on Telegram, Bluesky and Mastodon, archived raw responses written to disk
through `pantau.evidence.archive` (so their SHA-256 really verifies), activities, and flags
from two model versions. The people, handles and posts are invented. With ``photo=True`` Sari's
photo post carries a real hand photo (three fingers, tests/fixtures/hands/, Apache-2.0),
archived like `pantau media download` does, with the `media_analyses` row the analyzer
recorded for it (tests/fixtures/review/README.md) and a DS-07 flag from that photo.

    with Store.open() as store:
        world = build_world(store)
        decide(store, world.cases["ajakan"], "confirmed", "Sari", now=wib(2024, 11, 20, 10))
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from pantau import evidence
from pantau.collectors.base import Fetched
from pantau.media.analyze import ANALYZER_VERSION
from pantau.media.pending import MEDIA_ANALYSES_SCHEMA
from pantau.records import Activity, Flag, Media
from pantau.store import Store
from pantau.store.activities import activities_table
from pantau.timeutil import WIB, to_utc

ELECTION = "pilkada-2024-dki-jakarta"
CALENDAR = {
    "candidate_registration": "2024-08-27",
    "candidate_determination": "2024-09-22",
    "campaign_start": "2024-09-25",
    "campaign_end": "2024-11-23",
    "vote": "2024-11-27",
}

PEOPLE = [
    # nip: YYYYMMDD birth, YYYYMM TMT, gender, sequence
    dict(nip="198503122010011001", nama="Budi Santoso", jabatan="Guru Ahli Muda",
         golongan="III/c", instansi="Dinas Pendidikan Provinsi DKI Jakarta",
         unit_kerja="SMAN 70 Jakarta", wilayah="Jakarta Selatan"),
    dict(nip="199001022015032004", nama="Sari Wulandari", jabatan="Perawat Ahli Pertama",
         golongan="III/a", instansi="RSUD Pasar Rebo", unit_kerja="Instalasi Rawat Inap",
         wilayah="Jakarta Timur"),
    dict(nip="197811202005011003", nama="Andi Pratama", jabatan="Sekretaris Kecamatan",
         golongan="IV/a", instansi="Pemerintah Kota Administrasi Jakarta Utara",
         unit_kerja="Kecamatan Koja", wilayah="Jakarta Utara"),
    dict(nip="199205152019022001", nama="Dewi Lestari", jabatan="Analis Kebijakan",
         golongan="III/b", instansi="Dinas Pendidikan Provinsi DKI Jakarta",
         unit_kerja="Sudin Pendidikan Wilayah I", wilayah="Jakarta Barat"),
]

ACCOUNTS = [
    ("telegram", "budi_guru70", "198503122010011001", None),
    ("bluesky", "sari-wulan.bsky.social", "199001022015032004", "did:plc:sariwulan4u7x"),
    ("mastodon", "andipratama@mastodon.social", "197811202005011003", "113020457910412882"),
    ("telegram", "dewi_analis", "199205152019022001", None),
]

FIXTURES = Path(__file__).parent / "fixtures"
PHOTO = FIXTURES / "hands" / "55_pic00026.jpg"
PHOTO_ANALYSIS = FIXTURES / "review" / "55_pic00026.analysis.json"
PHOTO_URL = ("https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:sariwulan4u7x/"
             "bafkreihandthreefingers@jpeg")


def wib(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time in Jakarta, as an aware datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=WIB)


@dataclass
class World:
    store_path: str
    cases: dict[str, str] = field(default_factory=dict)       # label -> case_id
    activities: dict[str, str] = field(default_factory=dict)  # label -> activity_id
    evidence: dict[str, str] = field(default_factory=dict)    # label -> sha256


def _archive(store: Store, platform: str, url: str, body: bytes, when: datetime,
             content_type: str) -> str:
    fetched = Fetched(url=url, status=200, headers={"content-type": content_type},
                      content=body, requested_at=to_utc(when), platform=platform)
    record = evidence.archive(store, fetched, "review-helpers/1")
    store.upsert("evidence", evidence.evidence_table([record]), key=["sha256"])
    return record.sha256


def _archive_photo(store: Store, when: datetime) -> tuple[str, dict]:
    """Archive the real hand photo and store its recorded analysis; (sha256, analysis)."""
    sha = _archive(store, "media", PHOTO_URL, PHOTO.read_bytes(), when, "image/jpeg")
    analysis = json.loads(PHOTO_ANALYSIS.read_text("utf-8"))
    assert analysis["sha256"] == sha, f"{PHOTO_ANALYSIS} was recorded for another image"
    store.upsert("media_analyses", pa.Table.from_pylist([{
        "sha256": sha, "analyzer_version": ANALYZER_VERSION, "ocr_text": analysis["ocr_text"],
        "ocr_confidence": analysis["ocr_confidence"], "width": analysis["width"],
        "height": analysis["height"], "hands": json.dumps(analysis["hands"]), "status": "ok",
        "error": None, "analyzed_at": to_utc(when + timedelta(minutes=5)),
    }], schema=MEDIA_ANALYSES_SCHEMA), key=["sha256", "analyzer_version"])
    return sha, analysis


def _telegram_page(channel: str, posts: list[tuple[int, datetime, str]]) -> bytes:
    items = "\n".join(
        f'<div class="tgme_widget_message" data-post="{channel}/{pid}">'
        f'<div class="tgme_widget_message_text">{text}</div>'
        f'<time datetime="{to_utc(at).isoformat()}"></time></div>'
        for pid, at, text in posts
    )
    return f"<html><body>{items}</body></html>".encode()


def _flag_rows(flag: Flag, classified_at: datetime) -> dict:
    return {
        "case_id": flag.case_id, "model_version": flag.model_version,
        "activity_id": flag.activity_id, "election_id": flag.election_id, "rule": flag.rule,
        "stage": flag.stage, "candidate": flag.candidate, "confidence": flag.confidence,
        "flagged": flag.flagged, "reason_id": flag.reason_id, "reason_en": flag.reason_en,
        "signals": json.dumps(flag.signals, ensure_ascii=False),
        "classified_at": to_utc(classified_at),
    }


@dataclass
class _Post:
    label: str
    activity: Activity
    rule: str
    candidate: int | None
    confidence: float
    reason_id: str
    reason_en: str
    signals: dict


def add_telegram_post(store: Store, world: World, label: str, text: str, *, handle: str,
                      post_id: int, at: datetime, rule: str = "DS-08",
                      candidate: int | None = 1, confidence: float = 0.9,
                      model_version: str = "2024.11.2") -> str:
    """One more flagged Telegram post with its own archived page; returns the case id."""
    body = _telegram_page(handle, [(post_id, at, text)])
    url = f"https://t.me/s/{handle}?before={post_id + 1}"
    sha = _archive(store, "telegram", url, body, at + timedelta(hours=2), "text/html")
    act = Activity(platform="telegram", type="post", actor_id=handle, actor_handle=handle,
                   native_id=f"{handle}/{post_id}", text=text, created_at=at,
                   observed_at=at + timedelta(hours=2), url=f"https://t.me/{handle}/{post_id}",
                   evidence_id=sha)
    post = _Post(label, act, rule, candidate, confidence,
                 "Ajakan memilih pasangan calon", "Call to vote for a candidate",
                 {"call_to_vote": ["dukung"], "candidate_alias": ["RIDO"]})
    _write_posts(store, world, [post], model_version, at + timedelta(hours=3))
    world.evidence[label] = sha
    return world.cases[label]


def _write_posts(store: Store, world: World, posts: list[_Post], model_version: str,
                 classified_at: datetime) -> None:
    store.upsert("activities", activities_table([p.activity for p in posts]), key=["activity_id"])
    flags = []
    for p in posts:
        stage = "bakal_calon" if p.rule.startswith("KE-") else "calon"
        flag = Flag(activity_id=p.activity.id, election_id=ELECTION, rule=p.rule, stage=stage,
                    candidate=p.candidate, confidence=p.confidence, reason_id=p.reason_id,
                    reason_en=p.reason_en, model_version=model_version,
                    flagged=p.confidence >= 0.5, signals=p.signals)
        flags.append(_flag_rows(flag, classified_at))
        world.cases[p.label] = flag.case_id
        world.activities[p.label] = p.activity.id
    store.upsert("flags", flags, key=["case_id", "model_version"])


def build_world(store: Store, *, photo: bool = False) -> World:
    """Fill an empty store with the small world described in the module docstring."""
    now = to_utc(wib(2024, 11, 25, 8))
    world = World(store_path=str(store.path))
    store.upsert("agencies", [{"name": p["instansi"], "added_at": now} for p in PEOPLE],
                 key=["name"])
    store.upsert("asn", [dict(p, kind="PNS", imported_at=now, source_file="asn.csv")
                         for p in PEOPLE], key=["nip"])
    store.upsert("accounts", [
        {"platform": pl, "handle": h, "nip": nip, "platform_id": pid, "added_at": now,
         "url": None} for pl, h, nip, pid in ACCOUNTS
    ], key=["platform", "handle"])
    store.upsert("elections", [{
        "election_id": ELECTION, "name": "Pilkada 2024 Provinsi DKI Jakarta", "kind": "pilkada",
        "region": "DKI Jakarta", "timezone": "Asia/Jakarta", "calendar": json.dumps(CALENDAR),
        "source_file": "elections/pilkada-2024-dki-jakarta.toml", "source_sha256": None,
        "source_text": None, "loaded_at": now,
    }], key=["election_id"])
    store.upsert("candidates", pa.Table.from_pylist([
        {"election_id": ELECTION, "number": 1, "names": ["Ridwan Kamil", "Suswono"],
         "aliases": ["RK", "RIDO"]},
        {"election_id": ELECTION, "number": 2, "names": ["Dharma Pongrekun", "Kun Wardana"],
         "aliases": ["Dharma-Kun"]},
        {"election_id": ELECTION, "number": 3, "names": ["Pramono Anung", "Rano Karno"],
         "aliases": ["Mas Pram", "Bang Doel"]},
    ]), key=["election_id", "number"])

    # Telegram: one archived channel page holding two of Budi's posts.
    t_ajakan, t_old = wib(2024, 11, 18, 9, 15), wib(2024, 9, 10, 19, 40)
    ajakan = "Ayo bapak ibu guru, dukung nomor 1 RIDO tanggal 27! Salam satu jari ☝️ #JakartaBaru"
    old = "Kang Emil pasti menang, mari kita dukung bakal calon kita dari sekarang"
    page = _telegram_page("budi_guru70", [(412, t_old, old), (518, t_ajakan, ajakan)])
    sha_tg = _archive(store, "telegram", "https://t.me/s/budi_guru70", page,
                      wib(2024, 11, 18, 12), "text/html")
    # Bluesky: Sari's feed page (a photo post) and the likers of a campaign post.
    t_foto = wib(2024, 11, 12, 16, 5)
    foto = "Foto bareng Mas Pram di kampanye akbar GBK, salam tiga jari! 🤟"
    feed = json.dumps({"feed": [{"post": {"uri": "at://did:plc:sariwulan4u7x/app.bsky.feed.post/3lb2",
                                          "record": {"text": foto, "createdAt": to_utc(t_foto).isoformat()}}}]})
    sha_bs = _archive(store, "bluesky",
                      "https://public.api.bsky.app/xrpc/app.bsky.feed.getAuthorFeed?actor=did:plc:sariwulan4u7x",
                      feed.encode(), wib(2024, 11, 13, 7), "application/json")
    likes = json.dumps({"likes": [{"actor": {"did": "did:plc:sariwulan4u7x",
                                              "handle": "sari-wulan.bsky.social"}}]})
    sha_likes = _archive(store, "bluesky",
                         "https://public.api.bsky.app/xrpc/app.bsky.feed.getLikes?uri=at://did:plc:pramrano/app.bsky.feed.post/3kx",
                         likes.encode(), wib(2024, 11, 14, 7), "application/json")
    # Mastodon: who reblogged a campaign toot.
    t_boost = wib(2024, 11, 19, 20, 30)
    boosts = json.dumps([{"id": "113020457910412882", "acct": "andipratama@mastodon.social"}])
    sha_ma = _archive(store, "mastodon",
                      "https://mastodon.social/api/v1/statuses/113401/reblogged_by",
                      boosts.encode(), wib(2024, 11, 20, 6), "application/json")

    neutral = "ASN wajib netral! Mari sukseskan Pilkada 27 November dengan damai #ASNNetral"
    posts = [
        _Post("ajakan", Activity(platform="telegram", type="post", actor_id="budi_guru70",
                                 actor_handle="budi_guru70", native_id="budi_guru70/518",
                                 text=ajakan, created_at=t_ajakan,
                                 observed_at=wib(2024, 11, 18, 12),
                                 url="https://t.me/budi_guru70/518", evidence_id=sha_tg),
              "DS-08", 1, 0.93, "Ajakan memilih paslon 01 dengan nomor urut dan salam jari",
              "Call to vote for candidate 01 with ballot number and finger salute",
              {"call_to_vote": ["dukung", "ayo"], "candidate_alias": ["RIDO"],
               "hand_sign": "salam satu jari"}),
        _Post("lama", Activity(platform="telegram", type="post", actor_id="budi_guru70",
                               actor_handle="budi_guru70", native_id="budi_guru70/412",
                               text=old, created_at=t_old, observed_at=wib(2024, 11, 18, 12),
                               url="https://t.me/budi_guru70/412", evidence_id=sha_tg),
              "KE-02", 1, 0.81, "Mempromosikan bakal calon sebelum penetapan",
              "Promoting a prospective candidate before determination",
              {"praise": ["pasti menang"], "candidate_alias": ["Kang Emil"]}),
        _Post("foto", Activity(platform="bluesky", type="post", actor_id="did:plc:sariwulan4u7x",
                               actor_handle="Sari-Wulan.bsky.social",
                               native_id="at://did:plc:sariwulan4u7x/app.bsky.feed.post/3lb2",
                               text=foto, created_at=t_foto, observed_at=wib(2024, 11, 13, 7),
                               url="https://bsky.app/profile/sari-wulan.bsky.social/post/3lb2",
                               evidence_id=sha_bs),
              "DS-07", 3, 0.88, "Foto bersama calon dengan simbol tiga jari",
              "Photo with a candidate showing a three-finger sign",
              {"candidate_alias": ["Mas Pram"], "hand_sign": "salam tiga jari"}),
        _Post("like", Activity(platform="bluesky", type="like", actor_id="did:plc:sariwulan4u7x",
                               actor_handle="sari-wulan.bsky.social",
                               target_id="at://did:plc:pramrano/app.bsky.feed.post/3kx",
                               target_author_handle="pramono-rano.bsky.social",
                               observed_at=wib(2024, 11, 14, 7), evidence_id=sha_likes),
              "DS-06", 3, 0.71, "Menyukai unggahan akun pemenangan paslon 03",
              "Liked a post of candidate 03's campaign account",
              {"watch_account": "pramono-rano.bsky.social"}),
        _Post("boost", Activity(platform="mastodon", type="share", actor_id="113020457910412882",
                                actor_handle="andipratama@mastodon.social",
                                native_id="113401-reblog-113020457910412882",
                                target_id="113401", text="Jakarta maju bersama RIDO! Coblos 01",
                                created_at=t_boost, observed_at=wib(2024, 11, 20, 6),
                                url="https://mastodon.social/@rido_jakarta/113401",
                                evidence_id=sha_ma),
              "DS-02", 1, 0.64, "Membagikan kampanye paslon 01", "Shared candidate 01's campaign",
              {"shared_from": "rido_jakarta@mastodon.social"}),
        _Post("netral", Activity(platform="telegram", type="post", actor_id="dewi_analis",
                                 actor_handle="dewi_analis", native_id="dewi_analis/77",
                                 text=neutral, created_at=wib(2024, 11, 15, 8),
                                 observed_at=wib(2024, 11, 15, 9),
                                 url="https://t.me/dewi_analis/77", evidence_id=sha_tg),
              "DS-08", None, 0.12, "Himbauan netralitas, bukan ajakan", "Neutrality appeal",
              {"neutral_appeal": ["#ASNNetral"]}),
    ]
    if photo:
        sha_img, analysis = _archive_photo(store, wib(2024, 11, 13, 7, 1))
        hand = analysis["hands"][0]
        foto = posts[2]
        foto.activity = replace(foto.activity, media=[Media(
            url=PHOTO_URL, kind="photo", width=analysis["width"], height=analysis["height"],
            sha256=sha_img)])
        # What `media.signals.photo_flags` records for a flag it raised from this photo.
        foto.signals = {
            "source": "photo", "image_sha256": sha_img, "context_found": True,
            "hands": [{k: hand[k] for k in ("fingers", "pose", "confidence", "handedness",
                                             "raised")}],
            "context": [{"kind": "alias", "value": "Mas Pram", "candidate": 3,
                         "source": "caption"}],
            "campaign_period": True, "ocr_excerpt": analysis["ocr_text"][:200],
            "pose": hand["pose"], "fingers": hand["fingers"], "analyzer_version": ANALYZER_VERSION,
        }
        world.evidence["foto_image"] = sha_img
    # An older model saw the call to vote too, less sure: the newest row must be the one shown.
    _write_posts(store, world, [replace(posts[0], confidence=0.77)], "2024.10.1",
                 wib(2024, 11, 18, 13))
    world.cases.clear()
    _write_posts(store, world, posts, "2024.11.2", wib(2024, 11, 20, 1))
    world.evidence.update(ajakan=sha_tg, lama=sha_tg, foto=sha_bs, like=sha_likes, boost=sha_ma,
                          netral=sha_tg)
    return world


@pytest.fixture
def world_store(isolated_home) -> Iterator[tuple[Store, World]]:
    """An open read-write store holding the world (import it into a test module to use it)."""
    store = Store.open()
    try:
        yield store, build_world(store)
    finally:
        store.close()


@pytest.fixture
def photo_world_store(isolated_home) -> Iterator[tuple[Store, World]]:
    """Like `world_store`, with the real hand photo on Sari's photo post (``photo=True``)."""
    store = Store.open()
    try:
        yield store, build_world(store, photo=True)
    finally:
        store.close()
