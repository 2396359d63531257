"""NIP (Nomor Induk Pegawai) parsing and validation, exactly as domain.md describes it.

An NIP has 18 digits and no checksum, so every part is checked on its own::

    19870512 200912 1 001
    │        │      │ └ digits 16–18: sequence, 001–999
    │        │      └── digit 15: gender, 1 male / 2 female
    │        └───────── digits 9–14: TMT (start of CPNS service) YYYYMM
    └────────────────── digits 1–8: birth date YYYYMMDD

NI PPPK numbers (contract civil servants) share the layout, but digits 13–14 hold a code
(``21``) where a PNS number has the TMT month; digits 9–12 are then the appointment year.
They are accepted as kind "PPPK" rather than rejected as a broken NIP.

Input may carry spaces or dots ("19870512 200912 1 001", "19870512.200912.1.001"); the
18 digits are what is stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from . import timeutil

NIP_LENGTH = 18

# Digits 13–14 of an NI PPPK (BKN numbering of PPPK since 2019). Only codes seen in issued
# numbers are listed: anything else in that place that is not a month stays an error, so a
# typo such as month 13 is not waved through as "PPPK".
PPPK_CODES = frozenset({"21"})

# Separators people type or copy from documents; anything else is an error.
_SEPARATORS = re.compile(r"[ .\u00a0]")

NipKind = Literal["PNS", "PPPK"]


class NipError(ValueError):
    """The text is not a valid NIP; `reasons` lists every part that is wrong."""

    def __init__(self, text: str, reasons: list[str]) -> None:
        self.text = text
        self.reasons = reasons
        super().__init__("; ".join(reasons))


@dataclass(frozen=True, slots=True)
class NipInfo:
    nip: str                 # the 18 digits
    kind: NipKind
    birth_date: date
    tmt: date | None         # first day of the TMT month (PNS); None for PPPK
    gender: int              # 1 male, 2 female
    sequence: int
    appointment_year: int    # TMT year (PNS) or the PPPK appointment year

    @property
    def formatted(self) -> str:
        """The usual printed form: '19870512 200912 1 001'."""
        n = self.nip
        return f"{n[:8]} {n[8:14]} {n[14]} {n[15:]}"


def clean_nip(text: object) -> str:
    """Strip the spaces and dots people type in an NIP; no validation."""
    return _SEPARATORS.sub("", str(text if text is not None else "").strip())


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a non-leap year: the birthday falls on 1 March
        return date(day.year + years, 3, 1)


def _check_format(text: object) -> str:
    raw = str(text if text is not None else "")
    digits = clean_nip(raw)
    if not digits:
        raise NipError(raw, ["NIP is empty"])
    # Excel turns an 18-digit number into '1.98705122009122e+17': say so, not "bad characters".
    if re.fullmatch(r"\d+(\.\d+)?[eE][+-]?\d+", raw.strip()):
        raise NipError(
            raw,
            [
                f"{raw.strip()!r} is a number rounded by a spreadsheet, not 18 digits "
                "(format the NIP column as text and export again)"
            ],
        )
    if not (digits.isascii() and digits.isdigit()):
        bad = sorted({c for c in digits if not ("0" <= c <= "9")})
        shown = ", ".join(repr(c) for c in bad)
        raise NipError(raw, [f"NIP may contain only digits, spaces and dots; found {shown}"])
    if len(digits) != NIP_LENGTH:
        raise NipError(raw, [f"NIP has {len(digits)} digits, needs {NIP_LENGTH}"])
    return digits


def parse_nip(text: object, *, today: date | None = None) -> NipInfo:
    """Parse and validate an NIP (PNS) or NI PPPK; raise `NipError` naming every bad part.

    `today` bounds the TMT ("not in the future"); it defaults to the local date.
    """
    today = today or timeutil.today()  # the local date, on the (possibly simulated) clock
    digits = _check_format(text)
    reasons: list[str] = []

    birth: date | None = None
    try:
        birth = date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        reasons.append(f"digits 1–8: birth date {digits[0:8]} is not a real date (YYYYMMDD)")
    if birth is not None and birth > today:
        reasons.append(f"digits 1–8: birth date {birth.isoformat()} is in the future")

    year, month_code = int(digits[8:12]), digits[12:14]
    kind: NipKind = "PNS"
    tmt: date | None = None
    if 1 <= int(month_code) <= 12:
        tmt = date(year, int(month_code), 1)
        # TMT is a month: it must not start before the month of the 18th birthday,
        # nor after the current month.
        if birth is not None:
            adult = _add_years(birth, 18)
            if (tmt.year, tmt.month) < (adult.year, adult.month):
                reasons.append(
                    f"digits 9–14: TMT {digits[8:14]} is before the 18th birthday "
                    f"({adult.isoformat()})"
                )
        if (tmt.year, tmt.month) > (today.year, today.month):
            reasons.append(f"digits 9–14: TMT {digits[8:14]} is in the future")
    elif month_code in PPPK_CODES:
        kind = "PPPK"
        # Only the year is known for PPPK: it must be plausible.
        if birth is not None and year < birth.year + 18:
            reasons.append(
                f"digits 9–12: PPPK appointment year {year} is before the 18th birthday "
                f"({birth.year + 18})"
            )
        if year > today.year:
            reasons.append(f"digits 9–12: PPPK appointment year {year} is in the future")
    else:
        codes = ", ".join(sorted(PPPK_CODES))
        reasons.append(
            f"digits 9–14: TMT month {month_code} is not a month "
            f"(01–12; or a PPPK code: {codes})"
        )

    gender = int(digits[14])
    if gender not in (1, 2):
        reasons.append(f"digit 15: gender {gender} must be 1 (male) or 2 (female)")
    sequence = int(digits[15:18])
    if sequence < 1:
        reasons.append(f"digits 16–18: sequence {digits[15:18]} must be 001 or more")

    if reasons:
        raise NipError(str(text), reasons)
    assert birth is not None  # a bad birth date added a reason above
    return NipInfo(
        nip=digits,
        kind=kind,
        birth_date=birth,
        tmt=tmt,
        gender=gender,
        sequence=sequence,
        appointment_year=year,
    )


def is_valid_nip(text: object, *, today: date | None = None) -> bool:
    try:
        parse_nip(text, today=today)
    except NipError:
        return False
    return True
