"""Rule codes from signals and probabilities: interactions, content, poses, party membership."""

from __future__ import annotations

from datetime import UTC, datetime

from pantau.classify.linking import Linker
from pantau.classify.pipeline import stage_function
from pantau.classify.rules import Context, content_flags, interaction_flag
from pantau.records import Stage

from classify_helpers import pemilu_2024

E = pemilu_2024()
L = Linker(E)
CAMPAIGN = {"support": 0.8, "invitation": 0.15, "attack": 0.01, "neutral_election": 0.02,
            "private": 0.02}
INVITE = {"support": 0.1, "invitation": 0.85, "attack": 0.01, "neutral_election": 0.02,
          "private": 0.02}
NEUTRAL = {"support": 0.02, "invitation": 0.02, "attack": 0.01, "neutral_election": 0.9,
           "private": 0.05}
ATTACK = {"support": 0.05, "invitation": 0.02, "attack": 0.85, "neutral_election": 0.05,
          "private": 0.03}


def ctx(stage: Stage, act: str = "post", media: int = 0) -> Context:
    return Context("bluesky:1", E, stage, "test-model", 0.6, act, media)


def test_stage_boundary_at_determination_in_jakarta_time() -> None:
    stage = stage_function(E)
    # 13 Nov 2023 00:00 WIB = 12 Nov 17:00 UTC
    assert stage(datetime(2023, 11, 12, 16, 59, tzinfo=UTC)) is Stage.BAKAL_CALON
    assert stage(datetime(2023, 11, 12, 17, 0, tzinfo=UTC)) is Stage.CALON
    assert stage(datetime(2023, 1, 1, tzinfo=UTC)) is Stage.BEFORE
    assert stage(datetime(2024, 6, 1, tzinfo=UTC)) is Stage.AFTER
    assert stage(None) is Stage.BEFORE


def test_interaction_with_campaign_account_is_ke04_then_ds06() -> None:
    campaign = E.accounts[0]
    ke = interaction_flag(ctx(Stage.BAKAL_CALON, "like"), campaign, via="target_author_handle")
    ds = interaction_flag(ctx(Stage.CALON, "like"), campaign, via="target_author_handle")
    assert (ke.rule, ds.rule) == ("KE-04", "DS-06")
    assert ke.confidence == ds.confidence == 0.97 and ds.flagged
    assert ds.candidate == 2
    assert "@tkn.prabowogibran.example" in ds.reason_id and "Prabowo" in ds.reason_en
    assert "Menyukai" in ds.reason_id and "Liked" in ds.reason_en
    assert case_differs(ke, ds)


def case_differs(a, b) -> bool:
    return a.case_id != b.case_id  # KE-04 and DS-06 are different cases of the same act


def test_interaction_outside_window_is_not_flagged() -> None:
    assert interaction_flag(ctx(Stage.BEFORE, "like"), E.accounts[0], via="x") is None
    assert interaction_flag(ctx(Stage.AFTER, "follow"), E.accounts[0], via="x") is None


def test_like_of_candidate_own_account_is_borderline() -> None:
    flag = interaction_flag(ctx(Stage.CALON, "like"), E.accounts[1], via="target_id")
    assert flag.rule == "DS-06" and flag.confidence < 0.6 and not flag.flagged
    assert flag.signals["borderline"] and "batas tipis" in flag.reason_id
    share = interaction_flag(ctx(Stage.CALON, "share"), E.accounts[1], via="target_id")
    assert share.flagged and share.confidence >= 0.85


def test_content_support_with_candidate_is_ke02_ds02() -> None:
    links = L.link("Pak Prabowo pemimpin tegas, lanjutkan! #PrabowoGibran")
    ke = content_flags(ctx(Stage.BAKAL_CALON), links, CAMPAIGN)
    ds = content_flags(ctx(Stage.CALON), links, CAMPAIGN, ["lanjutkan"])
    assert [f.rule for f in ke] == ["KE-02"] and [f.rule for f in ds] == ["DS-02"]
    assert ds[0].candidate == 2 and ds[0].flagged
    assert "paslon 02 (Prabowo Subianto – Gibran Rakabuming Raka)" in ds[0].reason_id
    assert "#prabowo_gibran" in ds[0].reason_id and "'lanjutkan'" in ds[0].reason_en


def test_invitation_is_ds08_in_ds_stage_and_ke02_before() -> None:
    links = L.link("Ayo coblos nomor 3 tanggal 14 Februari!")
    assert [f.rule for f in content_flags(ctx(Stage.CALON), links, INVITE)] == ["DS-08"]
    assert [f.rule for f in content_flags(ctx(Stage.BAKAL_CALON), links, INVITE)] == ["KE-02"]
    flag = content_flags(ctx(Stage.CALON), links, INVITE)[0]
    assert flag.candidate == 3 and "ajakan memilih" in flag.reason_id
    assert "call to vote" in flag.reason_en


def test_neutral_news_and_private_text_not_flagged() -> None:
    news = L.link("Debat capres: Anies dan Ganjar kritik Prabowo soal alutsista")
    assert content_flags(ctx(Stage.CALON), news, NEUTRAL) == []
    private = L.link("Selamat pagi, semangat kerja!")
    assert content_flags(ctx(Stage.CALON), private, CAMPAIGN) == []  # no candidate link
    assert content_flags(ctx(Stage.BEFORE), L.link("coblos Prabowo"), INVITE) == []


def test_attack_in_three_way_race_has_no_favoured_candidate() -> None:
    links = L.link("Jangan pilih Ganjar, bahaya!")
    flag = content_flags(ctx(Stage.CALON), links, ATTACK)[0]
    assert flag.rule == "DS-02" and flag.candidate is None and flag.signals["about"] == 3
    assert "serangan" in flag.reason_id


def test_pose_caption_with_candidate_is_ke05_ds07() -> None:
    links = L.link("Foto bareng relawan, salam dua jari Prabowo Gibran ✌️")
    ds = {f.rule: f for f in content_flags(ctx(Stage.CALON, media=1), links, CAMPAIGN)}
    ke = {f.rule for f in content_flags(ctx(Stage.BAKAL_CALON, media=1), links, CAMPAIGN)}
    assert "DS-07" in ds and ds["DS-07"].candidate == 2 and "foto" in ds["DS-07"].reason_id
    assert "KE-05" in ke
    # a victory sign in private chatter is no pose for a candidate
    calm = L.link("Peace ✌️ jangan baper ya")
    assert not [f for f in content_flags(ctx(Stage.CALON), calm, NEUTRAL) if f.rule == "DS-07"]


def test_stated_party_membership_is_ds05() -> None:
    links = L.link("Alhamdulillah saya resmi jadi kader partai Gerindra ranting Cibinong")
    flags = {f.rule: f for f in content_flags(ctx(Stage.CALON), links, NEUTRAL)}
    assert "DS-05" in flags and flags["DS-05"].candidate == 2
    for text in ["Saya bukan kader partai mana pun", "Ketua DPRD hadir di rapat",
                 "kader partai itu diperiksa KPK"]:
        found = [f.rule for f in content_flags(ctx(Stage.CALON), L.link(text), NEUTRAL)]
        assert "DS-05" not in found, text
    assert content_flags(ctx(Stage.BAKAL_CALON), links, NEUTRAL) == []  # DS-05 is a DS rule
