"""Shared bits of the election tests: a small valid file to mutate, and where the examples are."""

from __future__ import annotations

from pathlib import Path

import pytest

from pantau.elections import load_election_file
from pantau.errors import ElectionFileError
from pantau.records import Election

TESTS = Path(__file__).parent
REPO = TESTS.parent
EXAMPLE_FILE = TESTS / "fixtures" / "elections" / "election-file-example.toml"
SHIPPED_FILES = sorted((REPO / "elections").glob("*.toml"))

# Line numbers matter to the tests: keep this text's layout stable.
MINIMAL = """\
[election]
id = "pilkada-2024-contoh"
name = "Pilkada 2024 Contoh"
kind = "pilkada"
region = "Contoh"
timezone = "Asia/Jakarta"

[election.calendar]
candidate_registration = 2024-08-27
candidate_determination = 2024-09-22
campaign_start = 2024-09-25
campaign_end = 2024-11-23
vote = 2024-11-27
result = 2024-12-09

[[candidates]]
number = 1
names = ["Satu", "Pasangan"]
aliases = ["Satpas"]
hashtags = ["#SatuPasangan"]

[[candidates]]
number = 2
names = ["Dua", "Pasangan"]
aliases = [
  "Dupas",
  "Dua-Pasangan",
]

[[accounts]]
platform = "telegram"
handle = "@Kanal_Satu"
role = "campaign"
candidate = 1

[[keywords]]
phrase = "coblos nomor 2"
candidate = 2
"""


def write(tmp_path: Path, text: str, name: str = "election.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_text(tmp_path: Path, text: str) -> Election:
    return load_election_file(write(tmp_path, text))


def refused(tmp_path: Path, text: str) -> ElectionFileError:
    """Load `text` expecting a refusal; the error must name the file."""
    path = write(tmp_path, text)
    with pytest.raises(ElectionFileError) as info:
        load_election_file(path)
    assert info.value.file == str(path)
    assert str(path) in str(info.value)
    return info.value


def replace_line(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)
