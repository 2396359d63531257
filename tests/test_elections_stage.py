"""The stage of an election at an instant: exact at the calendar boundaries, in the local zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from elections_helpers import EXAMPLE_FILE, MINIMAL, load_text, replace_line

from pantau.elections import (
    RESULT_FALLBACK_DAYS,
    load_election_file,
    rule_family,
    stage_at,
)
from pantau.records import Stage
from pantau.timeutil import parse_iso


@pytest.fixture(scope="module")
def jakarta():
    return load_election_file(EXAMPLE_FILE)  # Asia/Jakarta = UTC+7, no DST


@pytest.mark.parametrize(("instant", "stage"), [
    # registration 2024-08-27 starts at 00:00 WIB = 2024-08-26T17:00Z
    ("2024-08-26T16:59:59Z", Stage.BEFORE),
    ("2024-08-26T17:00:00Z", Stage.BAKAL_CALON),
    # determination 2024-09-22: KE until 23:59:59 WIB the day before, DS from 00:00 WIB
    ("2024-09-21T16:59:59Z", Stage.BAKAL_CALON),
    ("2024-09-21T17:00:00Z", Stage.CALON),
    ("2024-09-21T23:59:59.999999+07:00", Stage.BAKAL_CALON),
    ("2024-11-20T10:00:00+07:00", Stage.CALON),
    ("2024-11-27T12:00:00+07:00", Stage.CALON),  # vote day
    # result 2024-12-09 is inclusive: DS through 23:59:59 WIB, i.e. 2024-12-09T16:59:59Z
    ("2024-12-09T16:59:59Z", Stage.CALON),
    ("2024-12-09T17:00:00Z", Stage.AFTER),
])
def test_jakarta_boundaries(jakarta, instant: str, stage: Stage) -> None:
    assert stage_at(jakarta, parse_iso(instant)) is stage


def test_same_instant_in_any_offset_gives_the_same_stage(jakarta) -> None:
    utc = datetime(2024, 9, 21, 17, 0, tzinfo=UTC)
    assert stage_at(jakarta, utc.astimezone(parse_iso("2024-01-01T00:00+09:00").tzinfo)) \
        is Stage.CALON
    # A naive datetime is taken as UTC (pantau's convention, timeutil.to_utc).
    assert stage_at(jakarta, datetime(2024, 9, 21, 16, 59, 59)) is Stage.BAKAL_CALON


def test_makassar_election_is_an_hour_earlier(tmp_path: Path) -> None:
    """WITA = UTC+8: determination day 2024-09-22 begins at 2024-09-21T16:00Z."""
    election = load_text(tmp_path, replace_line(MINIMAL, '"Asia/Jakarta"', '"Asia/Makassar"'))
    assert stage_at(election, parse_iso("2024-09-21T15:59:59Z")) is Stage.BAKAL_CALON
    assert stage_at(election, parse_iso("2024-09-21T16:00:00Z")) is Stage.CALON
    assert stage_at(election, parse_iso("2024-12-09T15:59:59Z")) is Stage.CALON
    assert stage_at(election, parse_iso("2024-12-09T16:00:00Z")) is Stage.AFTER


def test_zone_with_daylight_saving_uses_local_midnight(tmp_path: Path) -> None:
    """Europe/Berlin (an overseas polling zone, say) switches to CET on 2024-10-27."""
    text = replace_line(MINIMAL, '"Asia/Jakarta"', '"Europe/Berlin"')
    text = replace_line(text, "candidate_determination = 2024-09-22",
                        "candidate_determination = 2024-10-28")
    text = replace_line(text, "campaign_start = 2024-09-25", "campaign_start = 2024-10-28")
    election = load_text(tmp_path, text)
    assert stage_at(election, parse_iso("2024-10-27T22:59:59Z")) is Stage.BAKAL_CALON
    assert stage_at(election, parse_iso("2024-10-27T23:00:00Z")) is Stage.CALON


def test_without_result_the_window_closes_after_the_fallback(tmp_path: Path) -> None:
    election = load_text(tmp_path, replace_line(MINIMAL, "result = 2024-12-09\n", ""))
    last_day = datetime(2024, 11, 27) + timedelta(days=RESULT_FALLBACK_DAYS)
    end = parse_iso((last_day + timedelta(days=1)).strftime("%Y-%m-%dT00:00+07:00"))
    assert stage_at(election, end - timedelta(microseconds=1)) is Stage.CALON
    assert stage_at(election, end) is Stage.AFTER


def test_without_registration_the_earliest_date_opens_the_window(tmp_path: Path) -> None:
    election = load_text(
        tmp_path, replace_line(MINIMAL, "candidate_registration = 2024-08-27\n", ""))
    assert stage_at(election, parse_iso("2024-09-21T16:59:59Z")) is Stage.BEFORE
    assert stage_at(election, parse_iso("2024-09-21T17:00:00Z")) is Stage.CALON


def test_without_determination_campaign_start_opens_ds(tmp_path: Path) -> None:
    election = load_text(
        tmp_path, replace_line(MINIMAL, "candidate_determination = 2024-09-22\n", ""))
    assert stage_at(election, parse_iso("2024-09-24T16:59:59Z")) is Stage.BAKAL_CALON
    assert stage_at(election, parse_iso("2024-09-24T17:00:00Z")) is Stage.CALON


def test_vote_only_calendar(tmp_path: Path) -> None:
    text = MINIMAL
    for key in ("candidate_registration", "candidate_determination", "campaign_start",
                "campaign_end", "result"):
        text = "\n".join(line for line in text.splitlines() if not line.startswith(key)) + "\n"
    election = load_text(tmp_path, text)
    assert stage_at(election, parse_iso("2024-11-26T16:59:59Z")) is Stage.BEFORE
    assert stage_at(election, parse_iso("2024-11-26T17:00:00Z")) is Stage.CALON


def test_rule_family() -> None:
    assert rule_family(Stage.BAKAL_CALON) == "KE"
    assert rule_family(Stage.CALON) == "DS"
    assert rule_family("calon") == "DS"
    assert rule_family(Stage.BEFORE) is None
    assert rule_family(Stage.AFTER) is None
