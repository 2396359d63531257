"""The demo's photo step: only photos of registered ASN accounts' activities are downloaded and
analysed (``registered_only=True``), not every poster of a watch-listed campaign account."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pyarrow as pa

from media_helpers import HANDS_DIR
from pantau.collectors.base import Fetched
from pantau.config import load_settings
from pantau.evidence import archive, evidence_table
from pantau.http import HttpClient
from pantau.media.download import download_pending_media
from pantau.media.pending import analyze_pending
from pantau.records import Activity, Media
from pantau.store import Store
from pantau.store.activities import activities_table

WHEN = datetime(2024, 11, 1, 3, 0, tzinfo=UTC)
CDN = "https://cdn4.telesco.pe/file"


def _archived(store: Store, name: str) -> str:
    # Not an image: analysing it quarantines it at once (no OCR or hand model needed), which
    # is all this test needs to see which images were selected.
    fetched = Fetched(url=f"{CDN}/{name}", status=200, headers={"content-type": "image/jpeg"},
                      content=f"not really a jpeg: {name}".encode(), requested_at=WHEN,
                      platform="telegram")
    record = archive(store, fetched, "test-1")
    store.upsert("evidence", evidence_table([record]), key=["sha256"])
    return record.sha256


def _post(channel: str, n: int, name: str, sha256: str | None) -> Activity:
    return Activity(platform="telegram", type="post", actor_id=channel, actor_handle=channel,
                    native_id=f"{channel}/{n}", text="foto", created_at=WHEN,
                    media=[Media(f"{CDN}/{name}", sha256=sha256)])


def test_registered_only_analyses_just_the_asn_photos(isolated_home) -> None:
    with Store.open() as store:
        store.upsert("accounts", pa.Table.from_pylist([
            {"platform": "telegram", "handle": "catatan_ani", "nip": "198705122009122001",
             "url": None, "platform_id": None, "added_at": WHEN},
        ]), key=["platform", "handle"])
        asn = _archived(store, "asn.jpg")
        campaign = _archived(store, "poster.jpg")
        store.upsert("activities", activities_table([
            _post("catatan_ani", 1, "asn.jpg", asn),
            _post("catatan_ani", 2, "later.jpg", "e" * 64),        # not archived yet
            _post("rido_jakarta_demo", 7, "poster.jpg", campaign),  # a campaign account
            _post("rido_jakarta_demo", 8, "other.jpg", "f" * 64),
        ]), key=["activity_id"])

        mine = analyze_pending(store, isolated_home, registered_only=True)
        assert (mine.pending, mine.quarantined, mine.not_archived) == (1, 1, 1)
        assert "asn.jpg" in mine.errors[0]
        assert {r[0] for r in store.rows("SELECT sha256 FROM media_analyses")} == {asn}

        # Without the option every referenced image is analysed (the library default).
        rest = analyze_pending(store, isolated_home)
        assert (rest.pending, rest.not_archived) == (1, 2)
        assert {r[0] for r in store.rows("SELECT sha256 FROM media_analyses")} == {asn, campaign}


def test_registered_only_downloads_just_the_asn_photos(isolated_home) -> None:
    photo = (HANDS_DIR / "2_pic00331.jpg").read_bytes()
    requested: list[str] = []

    def cdn(request: httpx.Request) -> httpx.Response:
        requested.append(request.url.path)
        return httpx.Response(200, content=photo, headers={"content-type": "image/jpeg"})

    settings = load_settings(platforms={"media_hosts": ["cdn4.telesco.pe"]},
                             http={"max_retries": 1, "backoff_base": 0.0},
                             contact="ops@example.org")
    with Store.open() as store:
        store.upsert("accounts", pa.Table.from_pylist([
            {"platform": "telegram", "handle": "catatan_ani", "nip": "198705122009122001",
             "url": None, "platform_id": None, "added_at": WHEN},
        ]), key=["platform", "handle"])
        store.upsert("activities", activities_table([
            _post("catatan_ani", 1, "own.jpg", None),
            # the ASN forwards the campaign poster: same URL as the campaign's own post
            _post("catatan_ani", 2, "poster.jpg", None),
            _post("rido_jakarta_demo", 7, "poster.jpg", None),
            _post("rido_jakarta_demo", 8, "rally.jpg", None),       # only the campaign's
        ]), key=["activity_id"])
        client = HttpClient(settings, transport=httpx.MockTransport(cdn), sleep=lambda s: None)
        with client as http:
            summary = download_pending_media(store, settings, http=http, registered_only=True)
        assert sorted(requested) == ["/file/own.jpg", "/file/poster.jpg"]
        assert (summary.pending, summary.downloaded) == (2, 2)
        hashed = {aid: json.loads(media)[0].get("sha256") for aid, media in store.rows(
            "SELECT activity_id, media FROM activities")}
        # Every carrier of a fetched URL gets its hash, the campaign's copy of the poster too.
        assert hashed["telegram:rido_jakarta_demo/7"] == hashed["telegram:catatan_ani/2"]
        assert hashed["telegram:rido_jakarta_demo/8"] is None
