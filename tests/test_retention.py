"""Retention purge: what goes, what stays, files after the commit, the log, the CLI."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pantau import cli, evidence
from pantau.collectors.base import Fetched
from pantau.config import get_settings
from pantau.errors import InputError, StoreError
from pantau.records import Activity, Flag, Media
from pantau.retention import parse_period, purge
from pantau.review import decide
from pantau.store import Store
from pantau.store.activities import activities_table
from review_helpers import ELECTION, _flag_rows, build_world, wib

NOW = datetime(2025, 6, 1, tzinfo=UTC)     # 90 days before: 2025-03-03
OLD = datetime(2024, 11, 10, tzinfo=UTC)
RECENT = datetime(2025, 5, 20, tzinfo=UTC)
LIKED_POST = "at://did:plc:pramrano/app.bsky.feed.post/3kx"   # the post Sari's flagged like is on


def _archive(store: Store, url: str, body: bytes, when: datetime, platform: str = "telegram",
             ) -> tuple[str, str]:
    record = evidence.archive(store, Fetched(url=url, status=200,
                                             headers={"content-type": "text/html"},
                                             content=body, requested_at=when,
                                             platform=platform), "test/1")
    store.upsert("evidence", evidence.evidence_table([record]), key=["sha256"])
    return record.sha256, record.path


def _post(handle: str, pid: int, text: str, observed: datetime, sha: str | None,
          **extra: object) -> Activity:
    return Activity(platform="telegram", type="post", actor_id=handle, actor_handle=handle,
                    native_id=f"{handle}/{pid}", text=text, created_at=observed,
                    observed_at=observed, evidence_id=sha, **extra)


@pytest.fixture
def store(isolated_home: Path):
    with Store.open() as s:
        world = build_world(s)
        s.world = world  # type: ignore[attr-defined]
        # An old, never-flagged post with its own page and a photo, both archived, the photo
        # analysed (its OCR text is content too).
        sha_page, _ = _archive(s, "https://t.me/s/dewi_analis?before=90", b"<html>page 90</html>",
                               OLD)
        sha_img, _ = _archive(s, "https://cdn1.telesco.pe/file/x.jpg", b"\xff\xd8 jpeg bytes",
                              OLD, "media")
        private = _post("dewi_analis", 89, "Liburan ke Bali bersama keluarga", OLD, sha_page,
                        media=[Media(url="https://cdn1.telesco.pe/file/x.jpg", sha256=sha_img)])
        # An old unflagged post classified earlier (a flag row below the threshold).
        classified = _post("dewi_analis", 88, "Resep rendang", OLD, sha_page)
        # A recent unflagged post: inside the period, stays.
        sha_recent, _ = _archive(s, "https://t.me/s/dewi_analis", b"<html>recent</html>",
                                 RECENT)
        recent = _post("dewi_analis", 120, "Selamat pagi", RECENT, sha_recent)
        # The campaign post Sari's flagged like is about: context for the case, stays.
        liked = Activity(platform="bluesky", type="post", actor_id="did:plc:pramrano",
                         actor_handle="pramono-rano.bsky.social", native_id=LIKED_POST,
                         text="Kampanye akbar", created_at=OLD, observed_at=OLD)
        # A dismissed case: unflagged now, but decided, so it is kept.
        decided = _post("dewi_analis", 87, "Info jadwal kampanye", OLD, sha_page)
        s.upsert("activities", activities_table([private, classified, recent, liked, decided]),
                 key=["activity_id"])
        flags = []
        for act in (classified, decided):
            flags.append(_flag_rows(Flag(activity_id=act.id, election_id=ELECTION, rule="DS-08",
                                         stage="calon", candidate=None, confidence=0.2,
                                         reason_id="-", reason_en="-", model_version="m1",
                                         flagged=False), OLD))
        s.upsert("flags", flags, key=["case_id", "model_version"])
        s.upsert("classifications", [{"activity_id": classified.id, "election_id": ELECTION,
                                      "model_version": "m1", "classified_at": OLD,
                                      "n_flags": 1}],
                 key=["activity_id", "election_id", "model_version"])
        decide(s, flags[1]["case_id"], "dismissed", "Sari", now=wib(2024, 11, 21, 9))
        s.upsert("media_analyses", [{"sha256": sha_img, "analyzer_version": "a1",
                                     "ocr_text": "LIBURAN", "status": "ok", "analyzed_at": OLD}],
                 key=["sha256", "analyzer_version"])
        # A quarantined page (failed to parse): its evidence stays for re-processing.
        sha_q, _ = _archive(s, "https://t.me/s/broken", b"<html>broken", OLD)
        s.upsert("quarantine", [{"quarantine_id": "q1", "platform": "telegram",
                                 "evidence_id": sha_q, "url": "https://t.me/s/broken",
                                 "item_ref": "page", "error": "layout", "created_at": OLD}],
                 key=["quarantine_id"])
        s.ids = {"private": private.id, "classified": classified.id,  # type: ignore[attr-defined]
                 "recent": recent.id, "liked": liked.id, "decided": decided.id,
                 "page": sha_page, "img": sha_img, "recent_page": sha_recent, "quarantine": sha_q}
        yield s


def _activity_ids(store: Store) -> set[str]:
    return {r[0] for r in store.rows("SELECT activity_id FROM activities")}


def _evidence(store: Store) -> set[str]:
    return {r[0] for r in store.rows("SELECT sha256 FROM evidence")}


def test_purge_removes_never_flagged_old_activities_and_unreferenced_evidence(store) -> None:
    ids, world = store.ids, store.world
    home = store.path.parent
    before_acts, before_ev = _activity_ids(store), _evidence(store)
    paths = dict(store.rows("SELECT sha256, path FROM evidence"))

    report = purge(store, get_settings(), now=NOW)

    gone = before_acts - _activity_ids(store)
    assert gone == {ids["private"], ids["classified"], world.activities["netral"]}
    assert report.activities == 3
    assert report.unclassified == 2          # netral and private had no classification row
    assert report.classifications == 1 and report.flags == 2   # classified's + netral's flags
    # Flagged cases (any model version), the decided one and the liked post stay.
    for label in ("ajakan", "lama", "foto", "like", "boost"):
        assert world.activities[label] in _activity_ids(store)
    for key in ("recent", "liked", "decided"):
        assert ids[key] in _activity_ids(store)
    assert store.rows("SELECT count(*) FROM flags WHERE activity_id = ?",
                      [ids["decided"]])[0][0] == 1
    # Evidence: the photo goes (only the purged post named it); the page stays (the decided
    # post still points at it); the shared Telegram page of the flagged posts stays.
    assert before_ev - _evidence(store) == {ids["img"]}
    assert report.evidence == 1 and report.media_analyses == 1
    assert store.count("media_analyses") == 0
    assert not (home / paths[ids["img"]]).exists()
    assert report.files_deleted == 1 and report.bytes_freed > 0
    for sha in (ids["page"], ids["recent_page"], ids["quarantine"], world.evidence["ajakan"]):
        assert (home / paths[sha]).is_file()
    # The archive still verifies: no row points at a deleted file.
    assert evidence.verify(store).ok
    # The log names ids and hashes, never content.
    log = {kind: (count, json.loads(hashes), cutoff) for kind, count, hashes, cutoff in
           store.rows("SELECT kind, count, hashes, cutoff FROM purge_log")}
    assert log["activities"][:2] == (3, sorted(gone))
    assert log["evidence"][:2] == (1, [ids["img"]])
    assert log["activities"][2] == NOW - timedelta(days=90)
    dump = json.dumps([list(r) for r in store.rows("SELECT * FROM purge_log")], default=str)
    assert "Liburan" not in dump and "LIBURAN" not in dump

    again = purge(store, get_settings(), now=NOW)
    assert (again.activities, again.evidence, again.files_deleted) == (0, 0, 0)


def test_dry_run_changes_nothing_and_works_read_only(store) -> None:
    counts = {t: store.count(t) for t in ("activities", "flags", "evidence", "purge_log")}
    wet_would = purge(store, get_settings(), now=NOW, dry_run=True)
    assert {t: store.count(t) for t in counts} == counts
    path = store.path
    store.close()
    with Store.open(path, read_only=True) as ro:
        report = purge(ro, get_settings(), now=NOW, dry_run=True)
        assert (report.activities, report.evidence) == (wet_would.activities, wet_would.evidence)
        assert "would purge 3 activities" in str(report)
        with pytest.raises(StoreError, match="read-only"):
            purge(ro, get_settings(), now=NOW)
    with Store.open(path) as rw:
        assert rw.count("activities") == counts["activities"]


def test_a_longer_period_keeps_more(store) -> None:
    report = purge(store, get_settings(), now=NOW, older_than=timedelta(days=365))
    assert report.activities == 0 and report.evidence == 0


def test_crash_after_commit_leaves_files_not_rows_and_next_purge_cleans(store, monkeypatch) -> None:
    home = store.path.parent
    img_path = home / store.rows("SELECT path FROM evidence WHERE sha256 = ?",
                                 [store.ids["img"]])[0][0]
    import pantau.retention as retention

    def crash(*_a, **_k):
        raise KeyboardInterrupt("killed after the commit")

    monkeypatch.setattr(retention, "_unlink", crash)
    with pytest.raises(KeyboardInterrupt):
        purge(store, get_settings(), now=NOW)
    monkeypatch.undo()
    # The rows are gone, the file is still there: verify calls it unlisted, never missing.
    report = evidence.verify(store)
    assert report.ok and not report.missing
    assert report.unlisted == [img_path.relative_to(home).as_posix()]
    # Written "now", the orphan is younger than the cutoff: a purge leaves it (it could be a
    # running collection's file). Once old, it is deleted and logged.
    assert purge(store, get_settings(), now=NOW).orphan_files == 0
    old = OLD.timestamp()
    os.utime(img_path, (old, old))
    later = purge(store, get_settings(), now=NOW)
    assert later.orphan_files == 1 and later.files_deleted == 1
    assert not img_path.exists()
    assert evidence.verify(store).unlisted == []
    logged = store.rows("SELECT count, hashes FROM purge_log WHERE kind = 'orphan_files'")
    assert logged == [(1, json.dumps([store.ids["img"]]))]


def test_purge_removes_old_temporary_files_of_interrupted_writes(store) -> None:
    """A write killed before its rename leaves ``.<hash>.gz.<pid>.tmp`` beside the archive:
    never read as data, removed by a purge once older than the retention period (a young
    one may belong to a running collection)."""
    digest = "ab" * 32
    leftover = store.path.parent / "raw" / "telegram" / "2024" / "11" / "10" / \
        f".{digest}.gz.4242.tmp"
    leftover.parent.mkdir(parents=True, exist_ok=True)
    leftover.write_bytes(b"half a page")
    assert purge(store, get_settings(), now=NOW).orphan_files == 0
    old = OLD.timestamp()
    os.utime(leftover, (old, old))
    assert purge(store, get_settings(), now=NOW).orphan_files == 1
    assert not leftover.exists()
    logged = store.rows("SELECT hashes FROM purge_log WHERE kind = 'orphan_files'")
    assert logged == [(json.dumps([digest]),)]


@pytest.mark.parametrize("text,days", [("90d", 90), ("12w", 84), ("6m", 180), ("30", 30),
                                        (" 7D ", 7)])
def test_parse_period(text: str, days: int) -> None:
    assert parse_period(text) == timedelta(days=days)


@pytest.mark.parametrize("text", ["", "0d", "90x", "-5d", "d", "1.5d"])
def test_parse_period_rejects(text: str) -> None:
    with pytest.raises(InputError, match="90d, 12w or 6m"):
        parse_period(text)


def test_cli_purge_dry_run_then_purge(store, capsys) -> None:
    store.close()
    # The fixture's activities are from 2024: with today's clock they are all past 90 days.
    assert cli.main(["purge", "--older-than", "90d", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would purge" in out
    with Store.open(read_only=True) as ro:
        assert ro.count("purge_log") == 0
    assert cli.main(["purge", "--older-than", "90d"]) == 0
    assert "purged" in capsys.readouterr().out
    with Store.open(read_only=True) as ro:
        assert ro.count("purge_log") >= 1
    assert cli.main(["purge", "--older-than", "soon"]) == 2
    assert "90d, 12w or 6m" in capsys.readouterr().err


def test_cli_purge_help_has_example(capsys) -> None:
    assert cli.main(["purge", "--help"]) == 0
    assert "Example: pantau purge" in capsys.readouterr().out
