"""The shared Arrow schema of `quarantine` matches the table, for every writer that uses it."""

from __future__ import annotations

from pantau.collectors import commit
from pantau.media import download
from pantau.store import Store
from pantau.store.quarantine import QUARANTINE_SCHEMA


def test_schema_matches_the_table_and_is_the_one_both_writers_use(isolated_home):
    with Store.open() as store:
        columns = [r[0] for r in store.rows(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'quarantine' ORDER BY ordinal_position")]
    assert QUARANTINE_SCHEMA.names == columns
    assert commit.QUARANTINE_SCHEMA is QUARANTINE_SCHEMA
    assert download.QUARANTINE_SCHEMA is QUARANTINE_SCHEMA
