"""Public reports: `add_report`, `import_reports` and `pantau report add|import`."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest

from pantau.cli import main
from pantau.collectors.imports import PublicReport, add_report, import_reports
from pantau.collectors.imports.reports import actor_of, platform_of
from pantau.errors import ImportRejected, InputError
from pantau.evidence import verify
from pantau.store import Store
from parse_helpers import FIXTURES, utc

# A real photo as the "screenshot" (tests/fixtures/hands, Apache-2.0, see its README).
SHOT = FIXTURES / "hands" / "2_pic00033.jpg"


@pytest.fixture
def store(isolated_home: Path):
    with Store.open() as s:
        yield s


def test_add_report_with_screenshot(store: Store) -> None:
    activity, new = add_report(store, PublicReport(
        url="https://x.com/BudiASN/status/1859", description="ASN mengajak memilih paslon 02",
        reporter="warga@example.org", screenshot=SHOT, at="2024-11-20"))
    assert new is True
    assert (activity.platform, activity.type, activity.actor_handle, activity.source) == (
        "x", "post", "budiasn", "public_report")
    assert activity.created_at == utc(2024, 11, 19, 17)  # 20 Nov 00:00 WIB
    shot_sha = hashlib.sha256(SHOT.read_bytes()).hexdigest()
    assert activity.evidence_id == shot_sha
    (row,) = store.df("SELECT * FROM activities").to_dict("records")
    assert (row["activity_id"], row["text"], row["url"], row["evidence_id"]) == (
        activity.id, "ASN mengajak memilih paslon 02", "https://x.com/BudiASN/status/1859",
        shot_sha)
    extra = json.loads(row["extra"])
    assert extra["reporter"] == "warga@example.org"
    assert extra["screenshot"] == {"file": "2_pic00033.jpg", "sha256": shot_sha}

    # Two evidence files: the screenshot, unchanged, and the report as canonical JSON.
    evidence = {r[0]: r for r in store.rows("SELECT sha256, content_type, url, path FROM evidence")}
    assert evidence[shot_sha][1] == "image/jpeg"
    assert gzip.decompress((store.path.parent / evidence[shot_sha][3]).read_bytes()) == (
        SHOT.read_bytes())
    report_json = json.loads(gzip.decompress(
        (store.path.parent / evidence[extra["report_evidence"]][3]).read_bytes()))
    assert report_json["description"] == "ASN mengajak memilih paslon 02"
    assert report_json["screenshot"]["sha256"] == shot_sha
    assert verify(store).ok

    again, new = add_report(store, PublicReport(
        url="https://x.com/BudiASN/status/1859", description="ASN mengajak memilih paslon 02",
        reporter="warga@example.org", screenshot=SHOT, at="2024-11-20"))
    assert new is False and again.id == activity.id
    assert store.count("activities") == 1 and store.count("evidence") == 2


def test_add_report_without_screenshot_and_bad_fields(store: Store) -> None:
    activity, _ = add_report(store, PublicReport(
        url="https://t.me/TimSukses02/77", description="grup pemenangan", reporter="0812"))
    assert (activity.platform, activity.actor_handle, activity.created_at) == (
        "telegram", "timsukses02", None)
    assert activity.evidence_id == json.loads(
        store.rows("SELECT extra FROM activities")[0][0])["report_evidence"]
    with pytest.raises(InputError, match=r"--url: 'tiktok' is not an http\(s\) URL"):
        add_report(store, PublicReport(url="tiktok", description="x", reporter="y"))
    with pytest.raises(InputError, match="--at: 'kemarin' is not a time"):
        add_report(store, PublicReport(url="https://x.com/a/status/1", description="x",
                                       reporter="y", at="kemarin"))
    with pytest.raises(InputError, match="--screenshot: file not found"):
        add_report(store, PublicReport(url="https://x.com/a/status/1", description="x",
                                       reporter="y", screenshot=Path("/nonexistent.png")))


@pytest.mark.parametrize("url, platform, actor", [
    ("https://x.com/BudiASN/status/1", "x", "BudiASN"),
    ("https://twitter.com/budi/status/1", "x", "budi"),
    ("https://t.me/s/Kanal/5", "telegram", "Kanal"),
    ("https://bsky.app/profile/budi.bsky.social/post/3k", "bluesky", "budi.bsky.social"),
    ("https://www.tiktok.com/@budi.asn/video/7", "tiktok", "@budi.asn"),
    ("https://www.instagram.com/p/C1/", "instagram", None),
    ("https://mastodon.social/@budi/1", "other", None),
])
def test_platform_and_actor_from_url(url, platform, actor) -> None:
    assert platform_of(url) == platform
    assert actor_of(platform, url) == actor


def _csv(tmp_path: Path, text: str) -> Path:
    shot = tmp_path / "bukti.jpg"
    shot.write_bytes(SHOT.read_bytes())
    path = tmp_path / "laporan.csv"
    path.write_text(text, encoding="utf-8")
    return path


REPORTS = """url,description,reporter,screenshot,platform,actor,at
https://x.com/budiasn/status/1,ajakan memilih,a@example.org,bukti.jpg,,,2024-11-20T10:00+07:00
https://www.facebook.com/budi/posts/2,foto dengan paslon,b@example.org,,,budi.asn,
notaurl,,c@example.org,hilang.jpg,friendster,,
"""


def test_import_reports_all_or_nothing(store: Store, tmp_path: Path) -> None:
    path = _csv(tmp_path, REPORTS)
    with pytest.raises(ImportRejected) as caught:
        import_reports(store, path)
    assert [str(p) for p in caught.value.problems] == [
        "line 4, column 'url': 'notaurl' is not an http(s) URL",
        "line 4, column 'description': the description is empty",
        "line 4, column 'platform': unknown platform 'friendster' (one of: telegram, bluesky, "
        "mastodon, x, instagram, facebook, tiktok, youtube, other)",
        f"line 4, column 'screenshot': file not found: {tmp_path / 'hilang.jpg'}",
    ]
    assert store.count("activities") == 0


def test_import_reports_skip_invalid(store: Store, tmp_path: Path) -> None:
    path = _csv(tmp_path, REPORTS)
    result = import_reports(store, path, skip_invalid=True)
    assert (result.rows_read, result.new, result.rejected) == (3, 2, 1)
    got = store.df("SELECT platform, actor_handle, created_at, source, evidence_id FROM activities "
                   "ORDER BY platform").to_dict("records")
    assert [(r["platform"], r["actor_handle"]) for r in got] == [
        ("facebook", "budi.asn"), ("x", "budiasn")]
    assert got[1]["created_at"].to_pydatetime() == utc(2024, 11, 20, 3)
    assert got[1]["evidence_id"] == hashlib.sha256(SHOT.read_bytes()).hexdigest()
    assert result.rejects_path.read_text("utf-8").count("\n") == 2  # header + the bad row
    assert import_reports(store, path, skip_invalid=True).new == 0


def test_cli_report_add_and_import(isolated_home: Path, tmp_path: Path, capsys) -> None:
    assert main(["report", "add", "--url", "https://t.me/TimSukses02/77", "--description",
                 "ajakan memilih", "--reporter", "warga@example.org", "--screenshot", str(SHOT),
                 "--at", "2024-11-20"]) == 0
    out = capsys.readouterr().out
    assert "report recorded: telegram:report:" in out and "(telegram, timsukses02)" in out
    assert main(["report", "add", "--url", "x", "--description", "d", "--reporter", "r"]) == 2
    assert "--url: 'x' is not an http(s) URL" in capsys.readouterr().err

    path = _csv(tmp_path, REPORTS)
    assert main(["report", "import", str(path)]) == 2
    assert "laporan.csv: line 4, column 'url'" in capsys.readouterr().err
    assert main(["report", "import", str(path), "--skip-invalid"]) == 0
    assert "3 report(s) read; 2 new, 0 already recorded, 1 rejected" in capsys.readouterr().out
    with Store.open() as store:
        assert store.count("activities") == 3
        assert {r[0] for r in store.rows("SELECT source FROM activities")} == {"public_report"}
