"""Helpers shared by the registry tests: sample paths, file writers and table snapshots."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from pantau.store import Store

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def write_csv(path: Path, rows: list[list[Any]], delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    # utf-8-sig: rejects files carry a BOM (so Excel reads them as UTF-8).
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def snapshot(store: Store) -> dict[str, list[tuple]]:
    """Every row of the registry tables, in a stable order, to compare before/after."""
    return {
        table: store.rows(f"SELECT * FROM {table} ORDER BY ALL")
        for table in ("asn", "accounts", "agencies")
    }
