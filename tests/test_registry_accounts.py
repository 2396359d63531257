"""Importing ASN accounts: handle normalisation, ownership conflicts, the account index."""

from __future__ import annotations

from pathlib import Path

import pytest

from pantau.errors import ImportRejected
from pantau.registry import (
    account_index,
    get_person,
    import_accounts,
    import_people,
    normalise_handle,
    normalise_platform,
)
from pantau.store import Store

from registry_helpers import SAMPLES, read_csv, snapshot, write_csv

ARIF = "198503142010011002"
DEWI = "199001222015032004"
HEADER = ["nip", "platform", "handle", "url"]


@pytest.fixture
def store(isolated_home: Path):
    with Store.open() as s:
        import_people(s, SAMPLES / "asn.csv")
        yield s


@pytest.mark.parametrize(
    ("platform", "handle", "expected"),
    [
        ("telegram", "https://t.me/KominfoNews", "kominfonews"),
        ("telegram", "t.me/s/kominfonews", "kominfonews"),
        ("telegram", "https://t.me/s/kominfonews?before=120", "kominfonews"),
        ("telegram", "@KominfoNews", "kominfonews"),
        ("bluesky", "https://bsky.app/profile/Name.bsky.social", "name.bsky.social"),
        ("bluesky", "@name.bsky.social", "name.bsky.social"),
        ("bluesky", "did:plc:abc123xyz", "did:plc:abc123xyz"),
        ("mastodon", "https://mastodon.social/@User", "user@mastodon.social"),
        ("mastodon", "@user@mastodon.social", "user@mastodon.social"),
        ("mastodon", "user@kolektiva.social", "user@kolektiva.social"),
        ("mastodon", "https://kolektiva.social/users/ani", "ani@kolektiva.social"),
        ("x", "https://x.com/Ani_Bogor", "ani_bogor"),
        ("x", "https://twitter.com/ani_bogor/status/1", "ani_bogor"),
        ("twitter", "@Ani_Bogor", "ani_bogor"),
        ("instagram", "https://www.instagram.com/ani.bogor/", "ani.bogor"),
        ("tiktok", "https://www.tiktok.com/@ani.bogor", "ani.bogor"),
        ("facebook", "https://www.facebook.com/profile.php?id=1000123", "1000123"),
        ("youtube", "https://www.youtube.com/@AniBogor", "anibogor"),
        ("other", "@Someone", "someone"),
    ],
)
def test_normalise_handle(platform: str, handle: str, expected: str) -> None:
    assert normalise_handle(platform, handle) == expected


@pytest.mark.parametrize(
    ("platform", "handle", "expected"),
    [
        ("mastodon", "user", "user@server"),
        ("bluesky", "justaname", "a domain"),
        ("telegram", "https://x.com/someone", "not a telegram address"),
        ("x", "this_name_is_far_too_long", "1–15"),
        ("telegram", "", "empty"),
        ("bluesky", "https://bsky.app/search?q=x", "not a Bluesky profile URL"),
        ("myspace", "ani", "unknown platform 'myspace'"),
    ],
)
def test_normalise_handle_errors(platform: str, handle: str, expected: str) -> None:
    with pytest.raises(ValueError) as exc:
        normalise_handle(platform, handle)
    assert expected in str(exc.value)


def test_platform_aliases() -> None:
    assert normalise_platform(" Twitter ") == "x"
    assert normalise_platform("BSKY") == "bluesky"


def test_sample_accounts_import_and_index(store: Store) -> None:
    report = import_accounts(store, SAMPLES / "accounts.csv")
    assert (report.rows_read, report.new, report.rejected) == (13, 13, 0)
    index = account_index(store)
    assert index[("telegram", "arifwicak_info")] == ARIF
    assert index[("bluesky", "dewikartika.bsky.social")] == DEWI
    assert index[("x", "dewikartika_jkt")] == DEWI
    assert index[("mastodon", "fajarnugroho@mastodon.social")] == "199203172019031005"
    person = get_person(store, DEWI)
    assert person is not None
    assert [(a["platform"], a["handle"]) for a in person["accounts"]] == [
        ("bluesky", "dewikartika.bsky.social"), ("x", "dewikartika_jkt")
    ]
    before = snapshot(store)
    again = import_accounts(store, SAMPLES / "accounts.csv")
    assert (again.new, again.updated, again.unchanged) == (0, 0, 13)
    assert snapshot(store) == before


def test_bad_rows_refused_atomically(store: Store, tmp_path: Path) -> None:
    ok = write_csv(tmp_path / "ok.csv", [HEADER, [ARIF, "telegram", "arif_a", ""]])
    import_accounts(store, ok)
    before = snapshot(store)
    f = write_csv(
        tmp_path / "acc.csv",
        [
            HEADER,
            [DEWI, "bluesky", "dewi.bsky.social", ""],               # good
            ["198705122009122001", "x", "ani", ""],                 # valid NIP, not registered
            ["19870512200912200", "x", "ani2", ""],                 # 17 digits
            [DEWI, "friendster", "dewi", ""],                       # unknown platform
            [DEWI, "mastodon", "dewi", ""],                         # no server
            [DEWI, "telegram", "https://t.me/arif_a", ""],          # Arif's, in the store
        ],
    )
    with pytest.raises(ImportRejected) as exc:
        import_accounts(store, f)
    assert snapshot(store) == before
    got = [(p.line, p.column) for p in exc.value.problems]
    assert got == [(3, "nip"), (4, "nip"), (5, "platform"), (6, "handle"), (7, "handle")]
    reasons = {p.line: p.reason for p in exc.value.problems}
    assert "not in the registry" in reasons[3]
    assert f"already registered to NIP {ARIF}" in reasons[7]


def test_same_handle_two_nips_in_file(store: Store, tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "acc.csv",
        [HEADER, [ARIF, "x", "@Shared_Acc", ""], [DEWI, "x", "https://x.com/shared_acc", ""],
         [ARIF, "x", "shared_acc", ""]],
    )
    with pytest.raises(ImportRejected) as exc:
        import_accounts(store, f)
    lines = [p.line for p in exc.value.problems]
    assert lines == [2, 3, 4]
    assert "one account belongs to one person" in exc.value.problems[1].reason
    assert store.count("accounts") == 0


def test_skip_invalid_writes_rejects(store: Store, tmp_path: Path) -> None:
    f = write_csv(
        tmp_path / "acc.csv",
        [HEADER, [ARIF, "telegram", "t.me/s/arif_a", ""], [DEWI, "mastodon", "dewi", ""]],
    )
    report = import_accounts(store, f, skip_invalid=True)
    assert (report.new, report.rejected) == (1, 1)
    rejects = read_csv(report.rejects_path)
    assert [(r["line"], r["handle"]) for r in rejects] == [("3", "dewi")]
    assert "user@server" in rejects[0]["reason"]
    assert account_index(store) == {("telegram", "arif_a"): ARIF}


def test_url_change_updates_and_keeps_platform_id(store: Store, tmp_path: Path) -> None:
    import_accounts(store, write_csv(tmp_path / "a.csv",
                                     [HEADER, [DEWI, "bluesky", "dewi.bsky.social", ""]]))
    # A collector resolved the handle to its DID meanwhile.
    store.con.execute("UPDATE accounts SET platform_id = 'did:plc:dewi1' WHERE handle = ?",
                      ["dewi.bsky.social"])
    report = import_accounts(
        store, write_csv(tmp_path / "b.csv", [HEADER, [DEWI, "bluesky", "@Dewi.bsky.social",
                                                      "https://bsky.app/profile/dewi.bsky.social"]])
    )
    assert (report.new, report.updated) == (0, 1)
    row = store.rows("SELECT url, platform_id FROM accounts")[0]
    assert row == ("https://bsky.app/profile/dewi.bsky.social", "did:plc:dewi1")
    index = account_index(store)
    assert index[("bluesky", "did:plc:dewi1")] == DEWI
    assert index[("bluesky", "dewi.bsky.social")] == DEWI


def test_url_alone_gives_the_handle(store: Store, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "u.csv", [["NIP", "Platform", "Handle", "URL", "catatan"],
                                       [ARIF, "Telegram", "", "https://t.me/s/arif_kanal", "x"]])
    report = import_accounts(store, f)
    assert report.new == 1 and any("catatan" in w for w in report.warnings)
    assert account_index(store) == {("telegram", "arif_kanal"): ARIF}
