"""The demo's photo step: only photos of registered ASN accounts' activities are analysed
(`analyze_pending(registered_only=True)`), not every poster of a watch-listed campaign account."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa

from pantau.collectors.base import Fetched
from pantau.evidence import archive, evidence_table
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
