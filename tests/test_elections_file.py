"""Reading election files: the documented example, the shipped examples, and every refusal."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from elections_helpers import (
    EXAMPLE_FILE,
    MINIMAL,
    SHIPPED_FILES,
    load_text,
    refused,
    replace_line,
    write,
)

from pantau.elections import load_election_file, stage_at
from pantau.records import Calendar, Candidate, Keyword, WatchAccount
from pantau.tomlpos import TomlPositions


def test_documented_example_loads_with_every_field() -> None:
    election = load_election_file(EXAMPLE_FILE)
    assert election.id == "pilkada-2024-dki-jakarta"
    assert (election.kind, election.region, election.timezone) == (
        "pilkada", "DKI Jakarta", "Asia/Jakarta")
    assert election.calendar == Calendar(
        vote=date(2024, 11, 27), candidate_registration=date(2024, 8, 27),
        candidate_determination=date(2024, 9, 22), campaign_start=date(2024, 9, 25),
        campaign_end=date(2024, 11, 23), result=date(2024, 12, 9))
    assert [c.number for c in election.candidates] == [1, 2, 3]
    assert election.candidates[2] == Candidate(
        number=3, names=["Pramono Anung", "Rano Karno"],
        aliases=["Mas Pram", "Bang Doel", "Pramono-Rano"], parties=["PDI Perjuangan", "Hanura"])
    assert election.accounts == [WatchAccount("telegram", "example_campaign_channel", "campaign", 1)]
    assert election.keywords == [Keyword("salam tiga jari", 3)]


def test_example_is_the_one_in_the_reference_doc() -> None:
    """The fixture is a verbatim copy of election-file.md's example (checked when available)."""
    doc = Path("/work/shared/reference/election-file.md")
    if not doc.exists():
        pytest.skip("reference docs not present")
    block = doc.read_text("utf-8").split("```toml\n", 1)[1].split("```", 1)[0]
    assert EXAMPLE_FILE.read_text("utf-8").endswith(block)


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda p: p.name)
def test_shipped_election_files_load(path: Path) -> None:
    election = load_election_file(path)
    assert election.id == path.stem
    assert election.candidates and all(c.names for c in election.candidates)
    assert election.calendar.candidate_determination is not None


def test_required_examples_are_shipped() -> None:
    names = {p.stem for p in SHIPPED_FILES}
    assert {"pilkada-2024-dki-jakarta", "pemilu-2024-presiden", "pemilu-2014-presiden",
            "pemilu-2019-presiden", "pilkada-2017-dki-jakarta"} <= names


def test_pemilu_2024_public_record() -> None:
    election = load_election_file(next(p for p in SHIPPED_FILES
                                       if p.stem == "pemilu-2024-presiden"))
    pairs = {c.number: c.names for c in election.candidates}
    assert pairs == {1: ["Anies Baswedan", "Muhaimin Iskandar"],
                     2: ["Prabowo Subianto", "Gibran Rakabuming Raka"],
                     3: ["Ganjar Pranowo", "Mahfud MD"]}
    cal = election.calendar
    assert (cal.campaign_start, cal.campaign_end, cal.vote) == (
        date(2023, 11, 28), date(2024, 2, 10), date(2024, 2, 14))


def test_minimal_file_normalises_handles_and_reads_multiline_arrays(tmp_path: Path) -> None:
    election = load_text(tmp_path, MINIMAL)
    assert election.accounts[0].handle == "kanal_satu"  # registry rules: lower case, no @
    assert election.candidates[1].aliases == ["Dupas", "Dua-Pasangan"]
    assert election.region == "Contoh"


def test_bom_and_crlf_are_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "windows.toml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.replace("\n", "\r\n").encode("utf-8"))
    assert load_election_file(path).id == "pilkada-2024-contoh"


# --- unknown keys ----------------------------------------------------------------------------

def test_typo_in_election_table_names_key_line_and_suggestion(tmp_path: Path) -> None:
    err = refused(tmp_path, replace_line(MINIMAL, 'name = "Pilkada', 'nmae = "Pilkada'))
    assert (err.key, err.line) == ("election.nmae", 3)
    assert "did you mean 'name'" in str(err)


def test_typo_in_an_accounts_block(tmp_path: Path) -> None:
    err = refused(tmp_path, replace_line(MINIMAL, "candidate = 1\n\n[[keywords]]",
                                         "candidte = 1\n\n[[keywords]]"))
    assert (err.key, err.line) == ("accounts[1].candidte", 34)
    assert "did you mean 'candidate'" in str(err)


def test_typo_in_the_second_candidates_block(tmp_path: Path) -> None:
    text = replace_line(MINIMAL, 'names = ["Dua", "Pasangan"]',
                        'names = ["Dua", "Pasangan"]\nalias = ["x"]  # a comment')
    err = refused(tmp_path, text)
    assert (err.key, err.line) == ("candidates[2].alias", 25)


def test_typo_in_calendar_and_unknown_section(tmp_path: Path) -> None:
    err = refused(tmp_path, replace_line(MINIMAL, "campaign_end =", "campaign_ends ="))
    assert (err.key, err.line) == ("election.calendar.campaign_ends", 12)
    err = refused(tmp_path, MINIMAL + "\n[[keyword]]\nphrase = \"x\"\n")
    assert (err.key, err.line) == ("keyword", 40)
    assert "did you mean 'keywords'" in str(err)


def test_unknown_key_in_dotted_and_inline_forms(tmp_path: Path) -> None:
    head = MINIMAL.split("\n[election.calendar]")[0]  # lines 1-6, with the last newline
    err = refused(tmp_path, head + "calendar = { vote = 2024-11-27, votes = 2024-11-28 }\n")
    assert (err.key, err.line) == ("election.calendar.votes", 7)
    err = refused(tmp_path, head + "calendar.vote = 2024-11-27\ncalendar.votes = 2024-11-28\n")
    assert (err.key, err.line) == ("election.calendar.votes", 8)
    assert "did you mean 'vote'" in str(err)


# --- bad values -----------------------------------------------------------------------------

BAD_VALUES = [
    ('kind = "pilkada"', 'kind = "pilpres"', "election.kind", 4, "pemilu, pilkada"),
    ('kind = "pilkada"', "kind = 3", "election.kind", 4, "must be a string"),
    ('id = "pilkada-2024-contoh"', 'id = "Pilkada 2024"', "election.id", 2, "not a slug"),
    ('timezone = "Asia/Jakarta"', 'timezone = "Asia/Bandung"', "election.timezone", 6,
     "unknown time zone"),
    ('region = "Contoh"\n', "", "election.region", 1, "required key is missing"),
    ("vote = 2024-11-27\n", "", "election.calendar.vote", 8, "required"),
    ("vote = 2024-11-27", 'vote = "2024-11-27"', "election.calendar.vote", 13, "must be a date"),
    ("vote = 2024-11-27", "vote = 2024-11-27T08:00:00+07:00", "election.calendar.vote", 13,
     "no time"),
    ("candidate_determination = 2024-09-22", "candidate_determination = 2024-11-28",
     "election.calendar.candidate_determination", 10, "after vote 2024-11-27 (line 13)"),
    ("result = 2024-12-09", "result = 2024-11-26", "election.calendar.result", 14,
     "before vote"),
    ("campaign_end = 2024-11-23", "campaign_end = 2024-09-24",
     "election.calendar.campaign_end", 12, "before campaign_start"),
    ("number = 2", "number = 1", "candidates[2].number", 23, "already used by candidates[1]"),
    ("number = 2", 'number = "2"', "candidates[2].number", 23, "whole number"),
    ("number = 2", "number = true", "candidates[2].number", 23, "whole number"),
    ("number = 2", "number = 0", "candidates[2].number", 23, "1 or more"),
    ('names = ["Satu", "Pasangan"]', "names = []", "candidates[1].names", 18, "give the"),
    ('names = ["Satu", "Pasangan"]', 'names = "Satu"', "candidates[1].names", 18, "list"),
    ('"Dua-Pasangan",', '"",', "candidates[2].aliases[2]", 27, "must not be empty"),
    ('"Dua-Pasangan",', "2,", "candidates[2].aliases[2]", 27, "must be a string"),
    ('"Dua-Pasangan",', '"Satpas",', "candidates[2].aliases[2]", 27, "also given for candidate 1"),
    ('"Dua-Pasangan",', '"Dupas",', "candidates[2].aliases[2]", 27, "listed twice"),
    ('hashtags = ["#SatuPasangan"]', 'hashtags = ["SatuPasangan"]', "candidates[1].hashtags[1]",
     20, "must start with '#'"),
    ('hashtags = ["#SatuPasangan"]', 'hashtags = ["#Satu Pasangan"]',
     "candidates[1].hashtags[1]", 20, "not a hashtag"),
    ('platform = "telegram"', 'platform = "twitter"', "accounts[1].platform", 31,
     "is not one of"),
    ('role = "campaign"', 'role = "buzzer"', "accounts[1].role", 33, "is not one of"),
    ('handle = "@Kanal_Satu"', 'handle = "ab"', "accounts[1].handle", 32, "telegram handle"),
    ("candidate = 1\n\n[[keywords]]", "candidate = 7\n\n[[keywords]]", "accounts[1].candidate",
     34, "no [[candidates]] block has number 7"),
    ("candidate = 2\n", "candidate = 5\n", "keywords[1].candidate", 38, "number 5"),
    ('phrase = "coblos nomor 2"', 'phrase = "  "', "keywords[1].phrase", 37, "must not be empty"),
]


@pytest.mark.parametrize(("old", "new", "key", "line", "words"), BAD_VALUES,
                         ids=[f"{b[2]}:{b[1][:20]}" for b in BAD_VALUES])
def test_bad_value_is_refused_with_key_and_line(
    tmp_path: Path, old: str, new: str, key: str, line: int, words: str
) -> None:
    err = refused(tmp_path, replace_line(MINIMAL, old, new))
    assert err.key == key
    assert err.line == line
    assert words in str(err)
    assert f"line {line}" in str(err) and repr(key) in str(err)


def test_duplicate_account_after_normalising(tmp_path: Path) -> None:
    text = MINIMAL + '\n[[accounts]]\nplatform = "telegram"\nhandle = "kanal_satu"\nrole = "party"\n'
    err = refused(tmp_path, text)
    assert (err.key, err.line) == ("accounts[2].handle", 42)
    assert "already listed in accounts[1]" in str(err)


def test_duplicate_keyword_ignoring_case_and_spaces(tmp_path: Path) -> None:
    err = refused(tmp_path, MINIMAL + '\n[[keywords]]\nphrase = "Coblos  Nomor 2"\n')
    assert (err.key, err.line) == ("keywords[2].phrase", 41)


def test_missing_election_table_and_missing_calendar(tmp_path: Path) -> None:
    err = refused(tmp_path, MINIMAL.split("[[candidates]]")[0].replace("[election]", "[electon]"))
    assert (err.key, err.line) == ("electon", 1)
    no_calendar = MINIMAL.split("[election.calendar]")[0]
    err = refused(tmp_path, no_calendar)
    assert err.key == "election.calendar.vote"
    assert err.line == 1  # the [election] table that should hold it


def test_candidates_written_as_a_table(tmp_path: Path) -> None:
    err = refused(tmp_path, MINIMAL.split("[[candidates]]")[0] + "[candidates]\nnumber = 1\n")
    assert (err.key, err.line) == ("candidates", 16)
    assert "[[candidates]]" in str(err)


# --- syntax and encoding ------------------------------------------------------------------

def test_toml_syntax_error_names_line(tmp_path: Path) -> None:
    err = refused(tmp_path, replace_line(MINIMAL, 'role = "campaign"', 'role = "campaign'))
    assert err.line == 33
    assert "not valid TOML" in str(err) and "line 33" in str(err)


def test_duplicate_key_is_a_syntax_error_with_line(tmp_path: Path) -> None:
    err = refused(tmp_path, replace_line(MINIMAL, "number = 2", "number = 2\nnumber = 3"))
    assert err.line == 24


def test_not_utf8_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(MINIMAL.replace("Contoh\"\ntimezone", "Conto\xe9\"\ntimezone")
                     .encode("latin-1"))
    with pytest.raises(Exception) as info:
        load_election_file(path)
    assert "UTF-8" in str(info.value) and getattr(info.value, "line", None) == 5
    with pytest.raises(Exception, match="cannot read"):
        load_election_file(tmp_path / "missing.toml")


def test_stage_of_loaded_minimal_file(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    election = load_text(tmp_path, MINIMAL)
    assert stage_at(election, datetime(2024, 11, 20, tzinfo=UTC)).value == "calon"


# --- the locator on its own --------------------------------------------------------------

def test_locator_handles_strings_comments_inline_tables_and_nested_arrays(tmp_path: Path) -> None:
    text = write(tmp_path, "\n".join([
        'a = "x # [y] = z" # c',               # 1
        'b = """multi',                         # 2
        'line "" \\""" x',                      # 3
        '"""',                                  # 4
        'c.d."e f" = [ 1, # one',               # 5
        "  { x = 1, y.z = [2,3] },",            # 6
        "  '''lit''', 'q']",                    # 7
        "[[t]]",                                # 8
        "[[t.u]]",                              # 9
        "k=1",                                  # 10
        "[[t]]",                                # 11
        "[t.v]",                                # 12
        "w = 1979-05-27 07:32:00Z",             # 13
        "[[t.u]]",                              # 14
        "k = 2",                                # 15
        "'quoted key' = \"\"\"a\"\"\"\"",       # 16
        "z = 3",                                # 17
    ]) + "\n").read_text()
    import tomllib

    tomllib.loads(text)  # the locator is for valid TOML
    pos = TomlPositions(text)
    assert pos.exact_line(("b",)) == 2
    assert pos.exact_line(("c", "d", "e f", 1, "y", "z", 1)) == 6
    assert pos.exact_line(("c", "d", "e f", 2)) == 7
    assert pos.exact_line(("t", 0, "u", 0, "k")) == 10
    assert pos.exact_line(("t", 1, "v", "w")) == 13
    assert pos.exact_line(("t", 1, "u", 0, "k")) == 15
    assert pos.exact_line(("t", 1, "u", 0, "quoted key")) == 16
    assert pos.exact_line(("t", 1, "u", 0, "z")) == 17
    assert pos.line_of(("t", 1, "u", 0, "missing")) == 14  # falls back to the enclosing table
    assert pos.line_of(("nowhere",)) is None
