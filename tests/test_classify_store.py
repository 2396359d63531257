"""`classify_pending`: registered actors only, interactions and content, idempotent, versions kept."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from pantau import timeutil
from pantau.classify.model import TextModel
from pantau.classify.pipeline import classify_pending
from pantau.elections import save_election
from pantau.records import Activity
from pantau.store import Store
from pantau.store.activities import activities_table

from classify_helpers import pemilu_2024, small_model_dir  # noqa: F401

CAMPAIGN_TIME = datetime(2024, 1, 10, 3, tzinfo=UTC)       # DS stage
EARLY_TIME = datetime(2023, 11, 1, 3, tzinfo=UTC)          # KE stage


def seed_store(store: Store) -> None:
    save_election(store, pemilu_2024())
    now = timeutil.utcnow()
    store.upsert("accounts", pa.Table.from_pylist([
        {"platform": "bluesky", "handle": "ani.example", "nip": "198705122009122001",
         "url": None, "platform_id": "did:plc:ani", "added_at": now},
    ]), key=["platform", "handle"])
    acts = [
        # the campaign account's own post, and a like of it by the ASN
        Activity("bluesky", "post", "did:plc:tkn", "tkn.prabowogibran.example",
                 native_id="at://tkn/post/1", text="Kampanye akbar hari ini!",
                 created_at=CAMPAIGN_TIME),
        Activity("bluesky", "like", "did:plc:ani", "ani.example", target_id="at://tkn/post/1",
                 created_at=CAMPAIGN_TIME),
        Activity("bluesky", "like", "did:plc:ani", "ani.example", target_id="at://tkn/post/1",
                 native_id="like-early", created_at=EARLY_TIME),
        Activity("bluesky", "follow", "did:plc:ani", "ani.example",
                 target_author_handle="tkn.prabowogibran.example", created_at=CAMPAIGN_TIME),
        Activity("bluesky", "post", "did:plc:ani", "@Ani.Example", native_id="p1",
                 text="Ayo coblos 02 Prabowo Gibran! #PrabowoGibran", created_at=CAMPAIGN_TIME),
        Activity("bluesky", "post", "did:plc:ani", "ani.example", native_id="p2",
                 text="Selamat pagi, semangat kerja semuanya", created_at=CAMPAIGN_TIME),
        Activity("bluesky", "post", "did:plc:ani", "ani.example", native_id="p3",
                 text="Ayo coblos 02 Prabowo Gibran!", created_at=datetime(2022, 1, 1, tzinfo=UTC)),
        # not a registered ASN: never classified
        Activity("bluesky", "post", "did:plc:other", "other.example", native_id="p4",
                 text="Ayo coblos 02 Prabowo Gibran!", created_at=CAMPAIGN_TIME),
    ]
    store.upsert("activities", activities_table(acts), key=["activity_id"])


def test_classify_pending_rules_idempotence_and_versions(tmp_path: Path,
                                                         small_model_dir: Path) -> None:
    model = TextModel.load(small_model_dir)
    with Store.open(tmp_path / "p.duckdb") as store:
        seed_store(store)
        first = classify_pending(store, model=model, threshold=0.5)
        flags = store.df("SELECT activity_id, rule, candidate, flagged, reason_id FROM flags "
                         "ORDER BY activity_id, rule")
        rules = {(r.activity_id, r.rule) for r in flags.itertuples()}
        assert ("bluesky:like:did:plc:ani:at://tkn/post/1", "DS-06") in rules
        assert ("bluesky:like-early", "KE-04") in rules
        assert ("bluesky:follow:did:plc:ani:None", "DS-06") in rules
        assert ("bluesky:p1", "DS-08") in rules
        assert not any(a in {"bluesky:p2", "bluesky:p3", "bluesky:p4"} for a, _ in rules)
        # in-window acts of registered actors are recorded as classified, flagged or not
        classified = {r[0] for r in store.rows("SELECT activity_id FROM classifications")}
        assert "bluesky:p2" in classified and "bluesky:p3" not in classified
        assert "bluesky:p4" not in classified and first.activities == len(classified)

        again = classify_pending(store, model=model, threshold=0.5)
        assert again.activities == 0 and again.flags == 0
        assert store.count("flags") == len(flags)

        newer = TextModel(model.estimator, model.version + "-b", model.meta)
        third = classify_pending(store, model=newer, threshold=0.5)
        assert third.activities == first.activities
        versions = store.rows("SELECT model_version, count(*) FROM flags GROUP BY 1 ORDER BY 1")
        assert [n for _, n in versions] == [len(flags), len(flags)]


def test_classify_pending_in_small_batches_equals_one_batch(tmp_path: Path,
                                                           small_model_dir: Path) -> None:
    """The pending rows are read batch by batch (bounded memory): batch size changes nothing."""
    model = TextModel.load(small_model_dir)
    results = []
    for size in (5000, 2):
        seen: list[tuple[int, int]] = []
        with Store.open(tmp_path / f"b{size}.duckdb") as store:
            seed_store(store)
            summary = classify_pending(store, model=model, threshold=0.5, batch_size=size,
                                       progress=lambda done, total: seen.append((done, total)))
            results.append((
                store.rows("SELECT activity_id, n_flags FROM classifications ORDER BY 1"),
                store.rows("SELECT case_id, rule, flagged, round(confidence, 6) FROM flags "
                           "ORDER BY 1"),
                summary.activities, summary.flags))
        total = summary.activities
        assert [d for d, _ in seen] == sorted({min(i + size, total)
                                               for i in range(0, total, size)})
        assert all(t == total for _, t in seen)
    assert results[0] == results[1]
    assert results[0][2] == 5 and any(r[1] == "DS-06" for r in results[0][1])
