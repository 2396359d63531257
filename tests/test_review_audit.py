"""The append-only decision chain: `verify_audit` and `pantau audit verify` catch tampering."""

from __future__ import annotations

import pytest

from pantau.cli import main
from pantau.errors import AuditError
from pantau.review import GENESIS_HASH, decide, decision_hash, verify_audit
from pantau.store import Store
from review_helpers import wib, world_store  # noqa: F401  (pytest fixture)


@pytest.fixture
def chain(world_store):
    """Four decisions on three cases."""
    store, world = world_store
    ds = [
        decide(store, world.cases["ajakan"], "confirmed", "Sari", "ajakan jelas", now=wib(2024, 11, 20, 9)),
        decide(store, world.cases["foto"], "needs_more_info", "Rudi", now=wib(2024, 11, 20, 10)),
        decide(store, world.cases["foto"], "dismissed", "Rudi", "bukan ASN", now=wib(2024, 11, 21, 10)),
        decide(store, world.cases["lama"], "confirmed", "Sari", now=wib(2024, 11, 22, 10)),
    ]
    return store, ds


def _problems(store: Store) -> set[tuple[int | None, str]]:
    return {(p.seq, p.kind) for p in verify_audit(store).problems}


def test_intact_chain_verifies(chain):
    store, ds = chain
    report = verify_audit(store)
    assert report.ok and report.n_decisions == 4
    assert report.head_seq == ds[-1].seq and report.head_hash == ds[-1].hash
    assert "OK" in str(report)
    verify_audit(store, raise_on_error=True)  # does not raise


def test_empty_chain_verifies(world_store):
    store, _ = world_store
    report = verify_audit(store)
    assert report.ok and report.n_decisions == 0 and report.head_hash == GENESIS_HASH


def test_update_in_place_is_detected(chain):
    store, ds = chain
    store.con.execute("UPDATE decisions SET verdict = 'dismissed' WHERE seq = ?", [ds[0].seq])
    assert _problems(store) == {(ds[0].seq, "altered")}
    with pytest.raises(AuditError, match=f"decision #{ds[0].seq}: altered"):
        verify_audit(store, raise_on_error=True)


def test_update_with_recomputed_hash_breaks_the_next_link(chain):
    store, ds = chain
    d = ds[1]
    forged = decision_hash(d.prev_hash, d.seq, d.case_id, "confirmed", d.reviewer, d.note, d.decided_at)
    store.con.execute("UPDATE decisions SET verdict = 'confirmed', hash = ? WHERE seq = ?", [forged, d.seq])
    assert _problems(store) == {(ds[2].seq, "broken_link")}


def test_deleted_row_is_detected(chain):
    store, ds = chain
    store.con.execute("DELETE FROM decisions WHERE seq = ?", [ds[1].seq])
    assert _problems(store) == {(ds[2].seq, "broken_link")}


def test_deleted_last_row_is_detected_by_the_head_record(chain):
    store, ds = chain
    store.con.execute("DELETE FROM decisions WHERE seq = ?", [ds[-1].seq])
    assert _problems(store) == {(ds[-1].seq, "cut")}


def test_reordered_rows_are_detected(chain):
    store, ds = chain
    a, b = ds[1].seq, ds[2].seq
    store.con.execute("UPDATE decisions SET seq = -1 WHERE seq = ?", [a])
    store.con.execute("UPDATE decisions SET seq = ? WHERE seq = ?", [a, b])
    store.con.execute("UPDATE decisions SET seq = ? WHERE seq = -1", [b])
    kinds = {k for _, k in _problems(store)}
    assert "altered" in kinds and "broken_link" in kinds


def test_row_inserted_out_of_chain_is_detected(chain):
    store, ds = chain
    when = wib(2024, 11, 21, 12)
    fake = decision_hash(GENESIS_HASH, 99, ds[1].case_id, "confirmed", "Mallory", "", when)
    store.con.execute(
        "INSERT INTO decisions VALUES (99, ?, 'confirmed', 'Mallory', '', ?, ?, ?)",
        [ds[1].case_id, when, GENESIS_HASH, fake],
    )
    assert (99, "broken_link") in _problems(store)


def test_cli_audit_verify_passes_then_fails_after_a_hand_edit(chain, capsys):
    store, ds = chain
    store.close()
    assert main(["audit", "verify"]) == 0
    assert "audit chain OK: 4 decision(s)" in capsys.readouterr().out
    with Store.open() as rw:
        rw.con.execute("UPDATE decisions SET note = 'tidak ada' WHERE seq = ?", [ds[2].seq])
    assert main(["audit", "verify"]) == 1
    assert f"decision #{ds[2].seq}: altered" in capsys.readouterr().err
