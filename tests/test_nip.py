"""NIP parsing and validation (domain.md, 'NIP')."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pantau.nip import NipError, clean_nip, is_valid_nip, parse_nip

TODAY = date(2025, 6, 15)


def reason(text: str) -> str:
    with pytest.raises(NipError) as exc:
        parse_nip(text, today=TODAY)
    return str(exc.value)


def test_valid_pns() -> None:
    info = parse_nip("198705122009121001", today=TODAY)
    assert info.nip == "198705122009121001"
    assert info.kind == "PNS"
    assert info.birth_date == date(1987, 5, 12)
    assert info.tmt == date(2009, 12, 1)
    assert info.gender == 1
    assert info.sequence == 1
    assert info.formatted == "19870512 200912 1 001"


def test_valid_pppk() -> None:
    info = parse_nip("199005152022212003", today=TODAY)
    assert info.kind == "PPPK"
    assert info.tmt is None
    assert info.appointment_year == 2022
    assert info.gender == 2
    assert info.sequence == 3


def test_spaces_and_dots_tolerated_and_18_digits_kept() -> None:
    for text in ("19870512 200912 1 001", "19870512.200912.1.001", " 1987 0512\u00a0200912 1001 "):
        assert parse_nip(text, today=TODAY).nip == "198705122009121001"
    assert clean_nip("1987.0512 2009") == "198705122009"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("19870512200912100", "NIP has 17 digits, needs 18"),
        ("1987051220091210011", "NIP has 19 digits, needs 18"),
        ("19870512200912100A", "found 'A'"),
        ("1987-0512-2009121001", "found '-'"),
        ("", "NIP is empty"),
        ("1.98705122009122e+17", "rounded by a spreadsheet"),
    ],
)
def test_format_errors(text: str, expected: str) -> None:
    assert expected in reason(text)


def test_bad_birth_dates() -> None:
    assert "digits 1–8: birth date 19870230 is not a real date" in reason("198702302009121001")
    assert "digits 1–8: birth date 19871301 is not a real date" in reason("198713012009121001")
    assert "not a real date" in reason("198700122009121001")


def test_leap_day_birth_date_is_real() -> None:
    info = parse_nip("199602282015012001", today=TODAY)
    assert info.birth_date == date(1996, 2, 28)
    assert parse_nip("199602292015012001", today=TODAY).birth_date == date(1996, 2, 29)
    assert "not a real date" in reason("199702292015012001")


def test_gender_3() -> None:
    assert reason("198705122009123001") == "digit 15: gender 3 must be 1 (male) or 2 (female)"


def test_sequence_000() -> None:
    assert reason("198705122009121000") == "digits 16–18: sequence 000 must be 001 or more"


def test_tmt_month_13_is_not_a_month() -> None:
    assert reason("198705122009131001").startswith("digits 9–14: TMT month 13 is not a month")
    assert "TMT month 00 is not a month" in reason("198705122009001001")


def test_tmt_before_18th_birthday() -> None:
    # Born May 1987: 18 in May 2005. April 2005 is too early, May 2005 is fine.
    assert "TMT 200504 is before the 18th birthday (2005-05-12)" in reason("198705122005041001")
    assert parse_nip("198705122005051001", today=TODAY).tmt == date(2005, 5, 1)


def test_tmt_in_the_future() -> None:
    assert "TMT 202507 is in the future" in reason("198705122025071001")
    assert parse_nip("198705122025061001", today=TODAY).tmt == date(2025, 6, 1)


def test_pppk_year_must_be_plausible() -> None:
    assert "PPPK appointment year 2026 is in the future" in reason("199005152026212001")
    assert "PPPK appointment year 2005 is before the 18th birthday" in reason(
        "199005152005212001"
    )


def test_every_bad_part_is_named() -> None:
    text = reason("198713322009133000")
    assert "birth date" in text and "TMT month 13" in text
    assert "gender 3" in text and "sequence 000" in text
    with pytest.raises(NipError) as exc:
        parse_nip("198713322009133000", today=TODAY)
    assert len(exc.value.reasons) == 4


def test_is_valid_nip() -> None:
    assert is_valid_nip("19870512 200912 1 001")
    assert not is_valid_nip("19870512 200912 3 001")
    assert not is_valid_nip(None)


def test_nip_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_nip("123")


@given(
    birth=st.dates(min_value=date(1940, 1, 1), max_value=date(1990, 12, 31)),  # TMT <= 2016 < TODAY
    years_after=st.integers(min_value=18, max_value=25),
    month=st.integers(min_value=1, max_value=12),
    gender=st.sampled_from([1, 2]),
    sequence=st.integers(min_value=1, max_value=999),
    sep=st.sampled_from(["", " ", "."]),
)
def test_valid_parts_round_trip(
    birth: date, years_after: int, month: int, gender: int, sequence: int, sep: str
) -> None:
    tmt_year = birth.year + years_after + 1  # a whole year past the 18th birthday
    text = sep.join(
        [birth.strftime("%Y%m%d"), f"{tmt_year:04d}{month:02d}", str(gender), f"{sequence:03d}"]
    )
    info = parse_nip(text, today=TODAY)
    assert info.nip == (text.replace(sep, "") if sep else text)
    assert len(info.nip) == 18 and info.kind == "PNS"
    assert (info.birth_date, info.tmt, info.gender, info.sequence) == (
        birth, date(tmt_year, month, 1), gender, sequence
    )
