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
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from .errors import InputError


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


__all__ = ["Shard", "account_key", "in_shard", "select", "shard_of"]
