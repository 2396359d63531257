"""`import_activities` / `pantau import`: exports read through the shipped mapping files."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
from pathlib import Path

import pytest

from pantau.cli import main
from pantau.collectors.imports import import_activities, load_mapping
from pantau.errors import ImportRejected, InputError
from pantau.store import Store
from parse_helpers import utc

MAPPINGS = Path(__file__).resolve().parents[1] / "config" / "mappings"

TWEETS = """id,created_at,text,username,url,retweeted_from
1001,2024-11-20T14:05:00+07:00,Ayo pilih paslon 02!,@BudiASN,https://x.com/BudiASN/status/1001,
1002,2024-11-21 08:00:00,RT kampanye,budiasn,https://x.com/budiasn/status/1002,@TimPemenangan02
"""


@pytest.fixture
def store(isolated_home: Path):
    with Store.open() as s:
        yield s


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def rows(store: Store) -> list[dict]:
    return store.df("SELECT * FROM activities ORDER BY activity_id").to_dict("records")


def test_x_export_with_the_generic_mapping(store: Store, tmp_path: Path) -> None:
    export = write(tmp_path / "tweets.csv", TWEETS)
    report = import_activities(store, export, platform=None,
                               mapping=MAPPINGS / "x-generic.toml")
    assert (report.platform, report.rows_read, report.new, report.unchanged) == ("x", 2, 2, 0)
    post, share = rows(store)
    assert (post["activity_id"], post["type"], post["actor_handle"], post["text"]) == (
        "x:1001", "post", "budiasn", "Ayo pilih paslon 02!")
    assert post["created_at"].to_pydatetime() == utc(2024, 11, 20, 7, 5)
    assert post["url"] == "https://x.com/BudiASN/status/1001"
    assert (share["type"], share["forwarded_from"]) == ("share", "timpemenangan02")
    assert share["created_at"].to_pydatetime() == utc(2024, 11, 21, 8)  # no offset: the UTC option
    assert {post["source"], share["source"]} == {"import"}
    assert json.loads(post["extra"]) == {"import_file": "tweets.csv", "import_line": 2}

    # The export is archived as evidence and both activities point at it.
    sha = hashlib.sha256(export.read_bytes()).hexdigest()
    assert report.evidence_id == sha and {post["evidence_id"], share["evidence_id"]} == {sha}
    (path,) = store.rows("SELECT path FROM evidence WHERE sha256 = ?", [sha])[0]
    archived = gzip.decompress((store.path.parent / path).read_bytes())
    assert archived == export.read_bytes()

    again = import_activities(store, export, platform="x", mapping=MAPPINGS / "x-generic.toml")
    assert (again.new, again.unchanged) == (0, 2)
    assert store.count("activities") == 2 and store.count("evidence") == 1


def test_types_replies_media_and_local_times(store: Store, tmp_path: Path) -> None:
    export = write(tmp_path / "twint.csv", (
        "id,date,tweet,username,link,reply_to,photos,type,likes\n"
        "2001,2024-11-20 14:05:00,Setuju!,budiasn,https://x.com/budiasn/status/2001,1999,,reply,3\n"
        "2002,2024-11-20 15:00:00,Foto,budiasn,https://x.com/budiasn/status/2002,,"
        "\"https://pbs.twimg.com/a.jpg,https://pbs.twimg.com/b.png\",tweet,\n"
    ))
    import_activities(store, export, platform="x", mapping=MAPPINGS / "x-twint.toml")
    reply, photo = rows(store)
    assert (reply["type"], reply["reply_to"]) == ("comment", "1999")
    assert reply["created_at"].to_pydatetime() == utc(2024, 11, 20, 7, 5)  # WIB -> UTC
    assert json.loads(reply["extra"])["export"] == {"likes": "3"}  # unmapped columns kept
    assert photo["media_count"] == 2
    assert [m["url"] for m in json.loads(photo["media"])] == [
        "https://pbs.twimg.com/a.jpg", "https://pbs.twimg.com/b.png"]


def test_engagement_mapping_gives_stable_like_ids(store: Store, tmp_path: Path) -> None:
    export = write(tmp_path / "engagement.csv", (
        "commenter,commented_at,comment,action,post_url,post_author,comment_id\n"
        "budi_asn,2024-11-20,,suka,https://instagram.com/p/abc,tim02,\n"
        "budi_asn,2024-11-20 10:00,Mantap 02,komentar,https://instagram.com/p/abc,tim02,c-9\n"
    ))
    report = import_activities(store, export, platform="instagram",
                               mapping=MAPPINGS / "comments-generic.toml")
    assert report.new == 2
    ids = [r["activity_id"] for r in rows(store)]
    assert ids == ["instagram:c-9", "instagram:like:budi_asn:https://instagram.com/p/abc"]
    like = rows(store)[1]
    assert like["created_at"].to_pydatetime() == utc(2024, 11, 19, 17)  # 2024-11-20 00:00 WIB


def test_jsonl_with_the_instagram_mapping(store: Store, tmp_path: Path) -> None:
    export = write(tmp_path / "posts.jsonl", "\n".join(json.dumps(r) for r in [
        {"id": "C1", "timestamp": 1732086300, "caption": "Salam dua jari ✌️",
         "owner_username": "budi.asn", "url": "https://www.instagram.com/p/C1/",
         "display_url": "https://scontent.cdninstagram.com/v/x.jpg?stp=1"},
    ]))
    report = import_activities(store, export, platform="instagram",
                               mapping=MAPPINGS / "instagram-tiktok-generic.toml")
    assert report.new == 1
    (post,) = rows(store)
    assert (post["activity_id"], post["text"], post["actor_handle"]) == (
        "instagram:C1", "Salam dua jari ✌️", "budi.asn")
    assert post["created_at"].to_pydatetime() == utc(2024, 11, 20, 7, 5)  # epoch seconds


BAD = """id,created_at,text,username,url,retweeted_from
1001,2024-11-20T14:05:00+07:00,ok,budiasn,https://x.com/budiasn/status/1001,
,kemarin,tanpa id,budi asn,ftp://x.com/1,
1003,2024-11-20T14:05:00Z,ok juga,budiasn,https://x.com/budiasn/status/1003,
"""


def test_bad_rows_refuse_everything(store: Store, tmp_path: Path) -> None:
    export = write(tmp_path / "bad.csv", BAD)
    with pytest.raises(ImportRejected) as caught:
        import_activities(store, export, platform="x", mapping=MAPPINGS / "x-generic.toml")
    assert [str(p) for p in caught.value.problems] == [
        "line 3, column 'username': 'budi asn' is not a x handle (1–15 letters, digits or _)",
        "line 3, column 'created_at': 'kemarin' is not a time (ISO 8601 such as "
        "2024-11-20T14:05:00+07:00, a date, or epoch seconds)",
        "line 3, column 'url': 'ftp://x.com/1' is not an http(s) URL",
    ]
    assert store.count("activities") == 0 and store.count("evidence") == 0


def test_skip_invalid_imports_the_rest_and_writes_rejects(store: Store, tmp_path: Path) -> None:
    export = write(tmp_path / "bad.csv", BAD)
    report = import_activities(store, export, platform="x", skip_invalid=True,
                               mapping=MAPPINGS / "x-generic.toml")
    assert (report.new, report.rejected) == (2, 1)
    assert report.rejects_path == tmp_path / "bad.rejects.csv"
    with report.rejects_path.open(encoding="utf-8-sig", newline="") as fh:
        (rejected,) = list(csv.DictReader(fh))
    assert rejected["created_at"] == "kemarin" and rejected["username"] == "budi asn"
    assert rejected["line"] == "3"
    assert rejected["reason"].startswith("username: 'budi asn' is not a x handle")


def test_mapping_errors_name_file_line_and_key(tmp_path: Path) -> None:
    bad = write(tmp_path / "m.toml", '[columns]\nnative_id = "id"\nauthor = "username"\n')
    with pytest.raises(InputError, match=r"m.toml, line 3: columns.author: unknown field"):
        load_mapping(bad)
    bad = write(tmp_path / "m2.toml", '[columns]\ntext = "t"\n[types]\nrt = "retweet"\n')
    with pytest.raises(InputError, match=r"line 4: types.rt: 'retweet' is not an activity type"):
        load_mapping(bad)
    with pytest.raises(InputError, match="needs a \\[columns\\] table"):
        load_mapping(write(tmp_path / "m3.toml", 'platform = "x"\n'))


def test_mapped_column_missing_from_the_file(store: Store, tmp_path: Path) -> None:
    export = write(tmp_path / "t.csv", "id,created_at,text,user\n1,2024-01-01,x,budi\n")
    with pytest.raises(InputError, match=r"t.csv: mapping .*x-generic.toml names column\(s\) "
                                         r"not in the file: 'username' \(for actor_handle\), "
                                         r"'url' \(for url\), 'retweeted_from' "):
        import_activities(store, export, platform="x", mapping=MAPPINGS / "x-generic.toml")


def test_without_mapping_columns_named_like_fields(store: Store, tmp_path: Path) -> None:
    no_id = write(tmp_path / "no_id.csv", "actor_handle,created_at,text\n"
                                          "budi,2024-11-20T01:00:00Z,joget\n")
    with pytest.raises(ImportRejected) as caught:
        import_activities(store, no_id, platform="tiktok")
    assert [str(p) for p in caught.value.problems] == [
        "line 2, column 'native_id': a post needs its id or its URL to be told apart"]
    export = write(tmp_path / "t.csv", "native_id,actor_handle,created_at,text,type\n"
                                       "v1,@BudiTikTok,2024-11-20T01:00:00Z,joget 02,post\n")
    report = import_activities(store, export, platform="tiktok")
    assert report.new == 1 and rows(store)[0]["activity_id"] == "tiktok:v1"
    with pytest.raises(InputError, match="name the platform"):
        import_activities(store, export, platform=None)


def test_cli_import(isolated_home: Path, tmp_path: Path, capsys) -> None:
    export = write(tmp_path / "bad.csv", BAD)
    mapping = str(MAPPINGS / "x-generic.toml")
    assert main(["import", str(export), "--mapping", mapping]) == 2
    err = capsys.readouterr().err
    assert "refused:" in err and "bad.csv: line 3, column 'url'" in err
    assert main(["import", str(export), "--mapping", mapping, "--skip-invalid"]) == 0
    out = capsys.readouterr().out
    assert "3 row(s) read; 2 new x activities, 0 already imported, 1 rejected" in out
    assert main(["import", str(tmp_path / "nope.csv"), "--platform", "x"]) == 2
    assert "nope.csv: file not found" in capsys.readouterr().err
