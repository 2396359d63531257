"""Photo evidence through the whole pipeline on a small store:

activity with a photo URL -> download (HttpClient over a mock CDN) -> analyze_pending ->
classify_pending -> flags. A real two-finger photo under an election caption becomes DS-07
with the pose, count and context in its reason; a shared "COBLOS NO. 2" poster is judged by
the text model as campaign text (DS-02 / DS-08); a corrupt image is quarantined; a
disallowed host is never fetched. The text model is a small real one fitted on the
classifier's own templated corpus (the shipped model is not needed).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from media_helpers import HANDS_DIR, jakarta_2024, render_poster
from pantau import timeutil
from pantau.classify.corpus import CORPUS_ELECTIONS, generate
from pantau.classify.linking import Linker
from pantau.classify.model import TextModel
from pantau.classify.pipeline import classify_pending, prepare
from pantau.config import load_settings
from pantau.elections import save_election
from pantau.http import HttpClient
from pantau.media.download import download_pending_media
from pantau.media.pending import analyze_pending
from pantau.records import Activity, Media
from pantau.store import Store
from pantau.store.activities import activities_table

pytestmark = pytest.mark.slow

DURING_CAMPAIGN = datetime(2024, 11, 1, 5, 0, tzinfo=UTC)
CDN = "https://cdn.example/file"


@pytest.fixture(scope="module")
def text_model() -> TextModel:
    """A small but real model: the classifier's corpus, masked by its linker, a linear SVM."""
    rows = generate(7, {"support": 30, "invitation": 30, "attack": 10, "neutral_election": 30,
                        "private": 30})
    elections = {e.id: e for e in CORPUS_ELECTIONS}
    texts: list[str] = []
    labels: list[str] = []
    for eid in sorted({r["election_id"] for r in rows}):
        mine = [r for r in rows if r["election_id"] == eid]
        _, masked = prepare([r["text"] for r in mine], Linker(elections[eid]), eid)
        texts += masked
        labels += [r["label"] for r in mine]
    return TextModel.fit(texts, labels, kind="svm", seed=0, version="media-e2e-test")


def _post(native_id: str, text: str, *urls: str) -> Activity:
    return Activity(platform="telegram", type="post", actor_id="dinas_x", actor_handle="dinas_x",
                    native_id=f"dinas_x/{native_id}", text=text, created_at=DURING_CAMPAIGN,
                    media=[Media(u, kind="photo") for u in urls])


def _flags(store: Store, native_id: str) -> list[dict]:
    df = store.df(
        "SELECT f.* FROM flags f JOIN activities a USING (activity_id) "
        "WHERE a.native_id = ? ORDER BY f.rule", [f"dinas_x/{native_id}"])
    return df.to_dict("records")


def test_photo_posts_end_to_end(isolated_home, text_model):
    photo = (HANDS_DIR / "2_pic00331.jpg").read_bytes()          # two raised fingers (V)
    poster = render_poster(["COBLOS NO. 2", "DHARMA-KUN"], skew=4, scale=0.6)
    served = {"/file/v.jpg": photo, "/file/poster.png": poster,
              "/file/broken.jpg": photo[: len(photo) // 3]}
    requested: list[str] = []

    def cdn(request: httpx.Request) -> httpx.Response:
        requested.append(str(request.url))
        body = served.get(request.url.path)
        return httpx.Response(200 if body else 404, content=body or b"")

    settings = load_settings(platforms={"media_hosts": ["cdn.example"]},
                             contact="ops@example.org")
    with Store.open() as store:
        save_election(store, jakarta_2024())
        store.upsert("accounts", [{"platform": "telegram", "handle": "dinas_x",
                                   "nip": "198501012010011001", "url": None,
                                   "platform_id": None, "added_at": timeutil.utcnow()}],
                     key=["platform", "handle"])
        store.upsert("activities", activities_table([
            # The caption names the pair but no pose: only the photo shows the two fingers.
            _post("1", "Bersama relawan Dharma-Kun di Tanah Abang pagi ini", f"{CDN}/v.jpg"),
            _post("2", "", f"{CDN}/poster.png"),                       # a shared poster
            _post("3", "Foto kegiatan dinas", f"{CDN}/broken.jpg"),
            _post("4", "Foto kegiatan dinas", "https://evil.example/x.jpg"),
        ]), key=["activity_id"])

        # Classified before the photos are in: no photo flag yet.
        classify_pending(store, model=text_model)
        assert not [f for f in _flags(store, "1") if f["rule"] == "DS-07"]

        with HttpClient(settings, transport=httpx.MockTransport(cdn),
                        sleep=lambda s: None) as http:
            got = download_pending_media(store, settings, http=http)
        assert (got.downloaded, got.quarantined, got.disallowed) == (2, 2, 1)
        assert not any("evil.example" in u for u in requested)
        quarantined = dict(store.rows("SELECT url, error FROM quarantine"))
        assert "corrupt image" in quarantined[f"{CDN}/broken.jpg"]
        assert "not a configured media host" in quarantined["https://evil.example/x.jpg"]

        analysed = analyze_pending(store, isolated_home)
        assert (analysed.analyzed, analysed.quarantined) == (2, 0)

        # The photos analysed since the first pass make those posts pending again.
        summary = classify_pending(store, model=text_model)
        assert summary.activities == 2

        (pose,) = [f for f in _flags(store, "1") if f["rule"] == "DS-07"]
        assert pose["candidate"] == 2 and pose["flagged"]
        assert "2 raised fingers" in pose["reason_en"] and "V sign" in pose["reason_en"]
        assert "matching ballot number 2" in pose["reason_en"]
        assert "Dharma" in pose["reason_en"] and "caption" in pose["reason_en"]
        assert "campaign period" in pose["reason_en"]
        signals = json.loads(pose["signals"])
        assert signals["source"] == "photo" and signals["fingers"] == 2
        assert pose["model_version"] == "media-e2e-test"

        poster_flags = {f["rule"]: f for f in _flags(store, "2")}
        text_rule = poster_flags.get("DS-08") or poster_flags.get("DS-02")
        assert text_rule is not None and text_rule["candidate"] == 2 and text_rule["flagged"]
        assert "DS-07" in poster_flags  # the campaign text in the image, as a photo symbol
        assert "campaign text in the image" in poster_flags["DS-07"]["reason_en"]

        # Nothing analysable on the quarantined posts; a third pass has nothing to do.
        assert _flags(store, "3") == [] and _flags(store, "4") == []
        assert classify_pending(store, model=text_model).activities == 0
