"""download_pending_media: photo URLs of activities -> evidence archive + sha256 in media JSON."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
from PIL import Image

from media_helpers import HANDS_DIR
from pantau.collectors.telegram.parse import parse_channel_page
from pantau.config import load_settings
from pantau.evidence import read_evidence
from pantau.http import HostPolicy, HttpClient
from pantau.media.download import download_pending_media, quarantine_id
from pantau.records import Activity, Media
from pantau.store import Store
from pantau.store.activities import activities_table

WHEN = datetime(2024, 11, 1, 3, 0, tzinfo=UTC)
CDN = "https://cdn.example/file"


def _settings(**http):
    return load_settings(platforms={"media_hosts": ["cdn.example"]},
                         http={"max_retries": 1, "backoff_base": 0.0, **http},
                         contact="ops@example.org")


def _png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    # 1-bit and fast compression: a 48-megapixel image is only ~26 kB and quick to make.
    Image.new("1", (width, height), 1).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


class Cdn:
    """A mock CDN: path -> (status, body); records every URL actually requested."""

    def __init__(self, files: dict[str, tuple[int, bytes]]) -> None:
        self.files = files
        self.requested: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requested.append(str(request.url))
        status, body = self.files.get(request.url.path, (404, b"not found"))
        return httpx.Response(status, content=body, headers={"content-type": "image/jpeg"})

    def client(self, settings) -> HttpClient:
        return HttpClient(settings, transport=httpx.MockTransport(self), sleep=lambda s: None)


def _post(native_id: str, *urls: str, kind: str = "photo") -> Activity:
    return Activity(platform="telegram", type="post", actor_id="dinas_x", actor_handle="dinas_x",
                    native_id=f"dinas_x/{native_id}", text="foto kegiatan", created_at=WHEN,
                    media=[Media(u, kind=kind) for u in urls])


def _media(store: Store, native_id: str) -> list[dict]:
    raw = store.rows("SELECT media FROM activities WHERE native_id = ?",
                     [f"dinas_x/{native_id}"])[0][0]
    return json.loads(raw)


def test_photos_are_archived_and_their_hash_written_back(isolated_home):
    photo = (HANDS_DIR / "2_pic00331.jpg").read_bytes()
    cdn = Cdn({"/file/a.jpg": (200, photo)})
    settings = _settings()
    with Store.open() as store:
        store.upsert("activities", activities_table([
            _post("1", f"{CDN}/a.jpg"),
            _post("2", f"{CDN}/a.jpg"),                       # the same photo, shared again
            _post("3", f"{CDN}/clip.mp4", kind="video"),      # not an image: left alone
            _post("4"),
        ]), key=["activity_id"])
        with cdn.client(settings) as http:
            summary = download_pending_media(store, settings, http=http)

        assert (summary.pending, summary.downloaded, summary.quarantined) == (1, 1, 0)
        assert summary.activities_updated == 2
        assert cdn.requested == [f"{CDN}/a.jpg"]               # fetched once for both posts
        for native in ("1", "2"):
            (item,) = _media(store, native)
            assert item["url"] == f"{CDN}/a.jpg" and len(item["sha256"]) == 64
            assert (item["width"], item["height"]) == (800, 600)
        sha = _media(store, "1")[0]["sha256"]
        (row,) = store.rows("SELECT sha256, path, platform FROM evidence WHERE sha256 = ?", [sha])
        assert row[2] == "media"
        assert read_evidence(isolated_home, {"sha256": sha, "path": row[1]}) == photo
        assert _media(store, "3")[0].get("sha256") is None

        # A second run has nothing to do and sends no request.
        with cdn.client(settings) as http:
            again = download_pending_media(store, settings, http=http)
        assert (again.pending, again.downloaded) == (0, 0)
        assert len(cdn.requested) == 1


def test_bad_files_are_quarantined_and_a_disallowed_host_is_never_fetched(isolated_home):
    photo = (HANDS_DIR / "2_pic00331.jpg").read_bytes()
    cdn = Cdn({
        "/file/ok.jpg": (200, photo),
        "/file/corrupt.jpg": (200, photo[: len(photo) // 3]),
        "/file/page.jpg": (200, b"<html><body>Just a moment...</body></html>"),
        "/file/bomb.png": (200, _png(8000, 6000)),           # 48 megapixels
        "/file/gone.jpg": (404, b"not found"),
    })
    settings = _settings()
    urls = [f"{CDN}/{n}" for n in ("ok.jpg", "corrupt.jpg", "page.jpg", "bomb.png", "gone.jpg")]
    evil = "https://evil.example/x.jpg"
    with Store.open() as store:
        store.upsert("activities", activities_table([_post("1", *urls), _post("2", evil)]),
                     key=["activity_id"])
        with cdn.client(settings) as http:
            summary = download_pending_media(store, settings, http=http)

        assert (summary.downloaded, summary.quarantined, summary.disallowed) == (1, 5, 1)
        assert evil not in cdn.requested and all("evil" not in u for u in cdn.requested)
        rows = dict(store.rows("SELECT url, error FROM quarantine WHERE item_ref = 'media'"))
        assert "corrupt image" in rows[f"{CDN}/corrupt.jpg"]
        assert "not an image" in rows[f"{CDN}/page.jpg"]
        assert "over the 40000000-pixel limit" in rows[f"{CDN}/bomb.png"]
        assert rows[f"{CDN}/gone.jpg"] == "HTTP 404"
        assert "not a configured media host" in rows[evil]
        # Only the good photo got a hash; nothing of the bad ones reached the archive.
        hashed = [i["url"] for i in _media(store, "1") if i.get("sha256")]
        assert hashed == [f"{CDN}/ok.jpg"]
        assert store.count("evidence") == 1
        assert any(evil in e and "not a configured media host" in e for e in summary.errors)

        # Quarantined URLs are not asked for again...
        before = len(cdn.requested)
        with cdn.client(settings) as http:
            assert download_pending_media(store, settings, http=http).pending == 0
        assert len(cdn.requested) == before

        # ...until the host is allowed and a retry is asked for.
        cdn.files["/file/gone.jpg"] = (200, photo)
        wider = load_settings(platforms={"media_hosts": ["cdn.example", "evil.example"]},
                              contact="ops@example.org")
        cdn.files["/x.jpg"] = (200, _png(40, 30))
        with cdn.client(wider) as http:
            retried = download_pending_media(store, wider, http=http, retry_quarantined=True)
        assert retried.downloaded == 2 and retried.quarantined == 3
        assert store.rows("SELECT count(*) FROM quarantine WHERE list_contains(?, url)",
                          [[evil, f"{CDN}/gone.jpg"]])[0][0] == 0
        assert store.rows("SELECT count(*) FROM quarantine WHERE quarantine_id = ?",
                          [quarantine_id(f"{CDN}/bomb.png")])[0][0] == 1


def test_network_failures_are_retried_next_run_not_quarantined(isolated_home):
    cdn = Cdn({"/file/a.jpg": (503, b"busy")})
    settings = _settings()
    with Store.open() as store:
        store.upsert("activities", activities_table([_post("1", f"{CDN}/a.jpg")]),
                     key=["activity_id"])
        with cdn.client(settings) as http:
            summary = download_pending_media(store, settings, http=http)
        assert (summary.failed, summary.quarantined, summary.downloaded) == (1, 0, 0)
        assert "tried again next run" in summary.errors[0] and f"{CDN}/a.jpg" in summary.errors[0]
        assert store.count("quarantine") == 0
        cdn.files["/file/a.jpg"] = (200, _png(64, 48))
        with cdn.client(settings) as http:
            assert download_pending_media(store, settings, http=http).downloaded == 1


def test_media_hosts_cover_the_real_platform_cdns_and_the_configured_servers():
    # Photo URLs as the Telegram parser finds them in a real captured channel page.
    page = Path(__file__).parent / "fixtures" / "telegram" / "full.html"
    photos = [m.url for a in parse_channel_page(page.read_bytes()).activities
              for m in a.media if m.kind == "photo"]
    assert photos
    policy = HostPolicy(load_settings(contact="ops@example.org"))
    assert all(policy.allows(u, "media") for u in photos), photos[:3]
    assert policy.allows("https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:x/baf@jpeg",
                         "media")
    assert not policy.allows("https://evil.example/x.jpg", "media")
    assert not policy.allows("http://127.0.0.1:8765/file/x.jpg", "media")

    # A Mastodon server (or the demo's loopback server) configured as a platform host serves
    # its own media attachments; other ports and hosts stay closed.
    local = HostPolicy(load_settings(
        contact="ops@example.org",
        platforms={"telegram_base_url": "http://127.0.0.1:8765",
                   "mastodon_servers": ["mastodon.example"]}))
    assert local.allows("http://127.0.0.1:8765/file/x.jpg", "media")
    assert local.allows("https://mastodon.example/system/media_attachments/files/1.jpg", "media")
    assert not local.allows("http://127.0.0.1:9999/file/x.jpg", "media")
