"""Classification fanned out over Prefect's process pool gives exactly `classify_pending`'s result.

Two copies of one store (the demo election, one registered ASN account, campaign and
everyday posts in the campaign window); one classified by `classify_pending`, the other by
`classify_fanout_flow` with batches of 7 on a two-process pool under Prefect's test harness.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from classify_helpers import fit_tiny_model
from pantau.classify.model import TextModel
from pantau.classify.pipeline import classify_pending
from pantau.config import get_settings
from pantau.elections import import_election_file
from pantau.store import Store

ELECTION = Path(__file__).resolve().parents[1] / "src/pantau/demo/demo-election.toml"
TEXTS = [
    "Ayo coblos nomor 1 RIDO untuk Jakarta baru! #RIDOuntukJakarta",
    "Dukung terus Kang Emil dan Suswono, pasti menang",
    "Resep rendang enak untuk makan siang keluarga",
    "Jadwal posyandu RW 05 hari Selasa pukul 08.00",
    "ASN wajib netral dalam Pilkada, datang ke TPS tanggal 27",
    "Jangan pilih Dharma-Kun, pembohong semua",
    "Selamat pagi, semangat bekerja melayani warga",
]
FLAG_COLUMNS = "case_id, model_version, activity_id, election_id, rule, stage, candidate, " \
               "round(confidence, 9), flagged, reason_id, reason_en, CAST(signals AS VARCHAR)"


@pytest.fixture
def tiny_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TextModel:
    model = fit_tiny_model("0.0.0-fanout")
    monkeypatch.setenv("PANTAU_CLASSIFIER__MODEL_DIR", str(model.save(tmp_path / "model")))
    get_settings.cache_clear()
    return model


def _fill(store: Store, n: int = 40) -> None:
    import_election_file(store, ELECTION)
    now = datetime(2024, 11, 30, tzinfo=UTC)
    store.upsert("accounts", [{"platform": "telegram", "handle": "asn_kanal",
                               "nip": "198503142010011002", "added_at": now}],
                 key=["platform", "handle"])
    start = datetime(2024, 10, 1, 3, tzinfo=UTC)
    store.upsert("activities", [{
        "activity_id": f"telegram:asn_kanal/{i}", "platform": "telegram", "type": "post",
        "actor_id": "asn_kanal", "actor_handle": "asn_kanal", "native_id": str(i),
        "text": f"{TEXTS[i % len(TEXTS)]} ({i})", "created_at": start + timedelta(hours=i),
        "observed_at": now, "media_count": 0, "source": "collector"} for i in range(n)],
        key=["activity_id"])


@pytest.mark.slow
def test_fanout_flow_equals_classify_pending(isolated_home: Path, tiny_model: TextModel,
                                             tmp_path: Path) -> None:
    from prefect.testing.utilities import prefect_test_harness

    from pantau.fanout import classify_fanout_flow

    with Store.open() as store:
        _fill(store)
        path = store.path
    reference = tmp_path / "reference.duckdb"
    shutil.copy2(path, reference)
    with Store.open(reference) as store:
        want_summary = classify_pending(store, model=tiny_model, batch_size=7)
        want = store.rows(f"SELECT {FLAG_COLUMNS} FROM flags ORDER BY case_id")
        want_done = store.rows("SELECT activity_id, election_id, n_flags FROM classifications "
                               "ORDER BY 1")
    assert want_summary.activities == 40 and want_summary.flagged > 0

    with prefect_test_harness(server_startup_timeout=180):
        got_summary = classify_fanout_flow(batch_size=7)
    assert got_summary["activities"] == want_summary.activities
    assert got_summary["flagged"] == want_summary.flagged
    with Store.open(read_only=True) as store:
        assert store.rows(f"SELECT {FLAG_COLUMNS} FROM flags ORDER BY case_id") == want
        assert store.rows("SELECT activity_id, election_id, n_flags FROM classifications "
                          "ORDER BY 1") == want_done
