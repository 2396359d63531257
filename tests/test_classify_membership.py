"""DS-05: stated party membership/office in many phrasings; denials, prohibitions and news
about parties stay unflagged; any party is masked alike for the model."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pantau.classify.linking import Linker
from pantau.classify.membership import find_membership, plausible_statement
from pantau.classify.normalise import normalise
from pantau.classify.rules import Context, content_flags
from pantau.records import Stage

from classify_helpers import pemilu_2024

E = pemilu_2024()
L = Linker(E)
NEUTRAL = {"support": 0.02, "invitation": 0.02, "attack": 0.01, "neutral_election": 0.9,
           "private": 0.03, "membership": 0.02}


def ctx(stage: Stage = Stage.CALON) -> Context:
    return Context("a1", E, stage, "test", 0.62)


def ds05(text: str, proba: dict[str, float] = NEUTRAL, stage: Stage = Stage.CALON):
    flags = [f for f in content_flags(ctx(stage), L.link(text), proba) if f.rule == "DS-05"]
    return flags[0] if flags else None


STATEMENTS = [
    ("Alhamdulillah saya resmi jadi kader partai Gerindra ranting Cibinong", "gerindra"),
    ("Bangga jadi bagian dari keluarga besar Partai NasDem 💙", "nasdem"),
    ("Resmi bergabung dengan PSI hari ini, bismillah", "psi"),
    ("KTA Gerindra sdh jadi 😁", "gerindra"),
    ("Alhamdulillah dilantik sebagai bendahara DPC PKB Kab. Bogor, mohon doanya", "pkb"),
    ("mohon doa restu, sy caleg DPRD kab dari Perindo dapil 3", "perindo"),
    ("Jaket kebanggaan PDIP udah dateng", "pdip"),
    ("Sebagai sekretaris PAC PDI-P Cilandak, siap turun ke bawah", "pdi-p"),
    ("terpilih jadi ketua ranting golkar desa karanganyar", "golkar"),
    ("Saya anggota Partai Demokrat sejak 2015", "partai demokrat"),
    ("Akhirnya punya kartu anggota partai hanura", "hanura"),
    ("Kami pengurus DPW PKS Jabar siap menyukseskan acara", "pks"),
    ("masuk ke partai ummat, bismillah", "partai ummat"),
    ("KTA PAN akhirnya keluar, siap berjuang", None),
    ("Aku kader banteng sejati 🐂", None),
]

NOT_MEMBERSHIP = [
    "Saya bukan kader partai mana pun",
    "Saya tidak pernah jadi anggota partai",
    "Sebagai ASN saya netral, bukan simpatisan partai apa pun",
    "Saya sudah keluar dari partai golkar",
    "ASN dilarang menjadi anggota partai politik",
    "PNS yang jadi kader partai bisa dipecat",
    "kader partai itu diperiksa KPK",
    "Ketua DPC PDIP Garut mengatakan siap menangkan pasangan",
    "Kata ketua DPW Nasdem, koalisi solid",
    "Anggota DPD RI dari Jabar kunjungi pasar",
    "Ketua DPRD hadir di rapat",
    "Partai Gerindra resmi mengusung Prabowo",
    "Koalisi PDIP dan PPP umumkan capres",
    "KTA saya hilang, gimana urusnya ya",
    "Om saya jadi caleg PDIP, saya sih tetap netral karena ASN",
    "Cek yuk apakah nama kamu dicatut sebagai anggota partai lewat infopemilu.kpu.go.id",
    "Pak camat jadi ketua panitia 17an",
]


@pytest.mark.parametrize(("text", "party"), STATEMENTS)
def test_statements_of_membership_are_found(text: str, party: str | None) -> None:
    found = find_membership(normalise(text))
    assert found is not None, text
    if party is not None:
        assert found.party == party


@pytest.mark.parametrize("text", NOT_MEMBERSHIP)
def test_denials_prohibitions_and_news_are_not_membership(text: str) -> None:
    assert find_membership(normalise(text)) is None
    assert ds05(text) is None


def test_ds05_flag_without_any_candidate_of_the_election() -> None:
    # PSI backs no candidate in this election file: the linker still sees a party, so the
    # text reaches the rules, and the flag names no candidate.
    flag = ds05("Resmi bergabung dengan PSI hari ini, bismillah")
    assert flag is not None and flag.flagged and flag.candidate is None
    assert flag.signals["by"] == "pattern" and "psi" in flag.reason_id
    # a coalition party of one candidate ties the flag to that candidate
    flag = ds05("Alhamdulillah saya resmi jadi kader partai Gerindra ranting Cibinong")
    assert flag is not None and flag.candidate == 2 and flag.confidence >= 0.8
    # DS-05 is a discipline rule: nothing before the determination of candidates
    assert ds05("Saya anggota Partai Demokrat sejak 2015", stage=Stage.BAKAL_CALON) is None


def test_model_probability_raises_confidence_and_flags_alone_only_when_sure() -> None:
    member = dict(NEUTRAL, membership=0.95, neutral_election=0.0)
    pattern = ds05("Saya anggota Partai Demokrat sejak 2015")
    both = ds05("Saya anggota Partai Demokrat sejak 2015", member)
    assert pattern is not None and both is not None and both.confidence > pattern.confidence
    # no pattern, but the model is sure and a party is named: flagged, marked as the model's
    text = "Bangga bisa mengabdi bersama PKS jadi pengurus"
    assert find_membership(normalise(text)) is None
    alone = ds05(text, member)
    assert alone is not None and alone.flagged and alone.signals["by"] == "model"
    assert ds05(text, dict(NEUTRAL, membership=0.6)) is None
    # the model alone never overrides a denial or news about someone else
    for text in ("Saya tidak pernah jadi pengurus PKS", "Pengurus PKS diperiksa polisi"):
        assert not plausible_statement(normalise(text))
        assert ds05(text, member) is None


def test_any_party_is_masked_but_links_to_no_candidate() -> None:
    links = L.link("Bangga jadi kader PSI, partai anak muda")
    kinds = {s.kind for s in links.signals}
    assert kinds == {"party_any"}
    assert links.masked() == "bangga jadi kader __party__ , __party__ anak muda"
    assert not links.has_candidate and links.election_signals == []
    # news about a party: no campaign flag however the model reads it
    campaign = {"support": 0.9, "invitation": 0.05, "attack": 0.0, "neutral_election": 0.05,
                "private": 0.0, "membership": 0.0}
    flags = content_flags(ctx(), L.link("Partai Buruh gelar rapat akbar di GBK"), campaign)
    assert [f.rule for f in flags if f.rule in {"DS-02", "DS-08"}] == []
    # the election's own parties keep their candidate link
    links = L.link("Kader Gerindra solid")
    assert [(s.kind, s.candidate) for s in links.signals] == [("party", 2)]


def test_stage_from_date_then_membership() -> None:
    from pantau.classify.pipeline import stage_function

    stage = stage_function(E)(datetime(2024, 1, 10, tzinfo=UTC))
    assert stage is Stage.CALON
    assert ds05("Dilantik sebagai ketua PAC PPP, mohon doa", stage=stage) is not None
