"""Splitting the collection work list across machines or workers: a stable shard per account.

    from pantau.sharding import shard_of, in_shard, Shard
    shard_of("telegram", "kabar_kota", 4)            # -> 0..3, the same on every machine, forever
    mine = [t for t in targets if in_shard(t.platform, t.handle, Shard(1, 4))]

Why a hash of the account key and not "every Nth account of a sorted list": the list changes
as accounts are registered, and with a positional split one new account would move every
account after it to another shard (and its paging state and rate-limit budget with it).
A hash keeps an account on its shard for as long as the shard count stays the same.

Why BLAKE2b and not `hash()`: Python salts `hash()` of strings per process (PYTHONHASHSEED),
so two workers would disagree about who owns an account.

The shards of one count N are a partition of the work list: every account is in exactly one
shard (tests/test_sharding.py checks it, and bench/two_workers.py checks it over HTTP with
two Prefect workers).

Where the shards write: the embedded DuckDB file takes one writing process at a time, so
workers on one embedded store would queue behind each other's page commits. Either every
worker writes to the DuckLake store (`[store] backend = "ducklake"`, many writers), or each
shard collects into its own store file and `merge_shard` folds it into the main one
afterwards (what bench/two_workers.py does on one machine).
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from .errors import InputError, StoreError

if TYPE_CHECKING:
    from .store import Store


@dataclass(frozen=True, slots=True)
class Shard:
    """Shard `index` (0-based) of `count` shards; `Shard(0, 1)` is all the work."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise InputError(
                f"shard {self.index} of {self.count}: need a shard count of at least 1 and "
                f"0 <= shard < count (e.g. --shard 0 --of 2 and --shard 1 --of 2)"
            )

    @property
    def everything(self) -> bool:
        return self.count == 1

    def __str__(self) -> str:
        return f"shard {self.index + 1}/{self.count}"


def account_key(platform: str, handle: str) -> str:
    """The key an account is sharded by: platform and normalised handle (lower case, no @)."""
    return f"{platform.strip().lower()}:{handle.strip().lstrip('@').lower()}"


def shard_of(platform: str, handle: str, count: int) -> int:
    """The shard (0 .. count-1) that owns the account, stable across processes and releases."""
    if count < 1:
        raise InputError(f"shard count must be at least 1, not {count}")
    digest = hashlib.blake2b(account_key(platform, handle).encode("utf-8"), digest_size=8)
    return int.from_bytes(digest.digest(), "big") % count


def in_shard(platform: str, handle: str, shard: Shard) -> bool:
    return shard.everything or shard_of(platform, handle, shard.count) == shard.index


class _Account(Protocol):
    platform: str
    handle: str


A = TypeVar("A", bound=_Account)


def select(items: Iterable[A], shard: Shard) -> list[A]:
    """The items (anything with `.platform` and `.handle`, e.g. collection targets) of `shard`,
    in their original order."""
    return [item for item in items if in_shard(item.platform, item.handle, shard)]


# What one collection writes (runner.commit_page), with the key its upsert uses, and
# whether a newer row replaces the one already there.
COLLECTED_TABLES: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    ("evidence", ("sha256",), False),
    ("activities", ("activity_id",), False),
    ("quarantine", ("quarantine_id",), False),
    ("collection_state", ("source", "key"), True),
    ("collection_runs", ("run_id",), True),
)


def merge_shard(store: Store, shard_db: str | Path) -> dict[str, int]:
    """Fold what a shard collected into its own store file into `store`: the collected rows
    (idempotent upserts: merging twice adds nothing), the platform ids it resolved, and its
    archived evidence files. Returns rows written per table (and "evidence_files" copied).
    """
    shard_db = Path(shard_db)
    if not shard_db.is_file():
        raise StoreError(f"{shard_db}: no shard store to merge")
    written: dict[str, int] = {}
    store.con.execute(f"ATTACH '{_sql_text(str(shard_db))}' AS pantau_shard (READ_ONLY)")
    try:
        # Files first, rows second (as the collector archives): a merge stopped half way
        # leaves at most unlisted files, never a row whose evidence is missing.
        paths = [r[0] for r in store.rows("SELECT path FROM pantau_shard.main.evidence")]
        written["evidence_files"] = _copy_evidence(shard_db.parent, store.path.parent, paths)
        with store.transaction():
            for table, key, update in COLLECTED_TABLES:
                batch = store.arrow(f'SELECT * FROM pantau_shard.main."{table}"')
                written[table] = store.upsert(table, batch, key=list(key), update=update)
            for table in ("accounts", "watch_accounts"):
                # Handles the shard resolved to platform ids (a DID, a Mastodon id).
                store.con.execute(
                    f"UPDATE {table} AS t SET platform_id = s.platform_id "
                    f"FROM (SELECT DISTINCT platform, handle, platform_id FROM "
                    f"pantau_shard.main.{table} WHERE platform_id IS NOT NULL) AS s "
                    "WHERE t.platform = s.platform AND t.handle = s.handle "
                    "AND t.platform_id IS NULL")
    finally:
        store.con.execute("DETACH pantau_shard")
    return written


def _copy_evidence(source_home: Path, target_home: Path, paths: list[str]) -> int:
    copied = 0
    for rel in paths:
        src, dst = source_home / rel, target_home / rel
        if dst.exists():
            continue          # content-addressed: the same name is the same bytes
        if not src.is_file():
            raise StoreError(f"{src}: evidence file listed in the shard store is missing")
        dst.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.copy2(src, dst)
        copied += 1
    return copied


def _sql_text(text: str) -> str:
    return text.replace("'", "''")


__all__ = ["COLLECTED_TABLES", "Shard", "account_key", "in_shard", "merge_shard", "select",
           "shard_of"]
