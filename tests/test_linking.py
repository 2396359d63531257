"""Watchlist linking: the ways Indonesians write candidates, numbers, tags and handles."""

from __future__ import annotations

import pytest

from pantau.classify.linking import Linker
from pantau.classify.normalise import normalise

from classify_helpers import dki_2017, pemilu_2024

L24 = Linker(pemilu_2024())
L17 = Linker(dki_2017())


def best(text: str, linker: Linker = L24) -> int | None:
    return linker.link(text).best()


@pytest.mark.parametrize(("text", "expected"), [
    ("Pak Prabowo memang tegas", 2),                      # name token
    ("PRABOWO SUBIANTO presiden", 2),                     # case
    ("pr4bowo gibran mantap", 2),                         # digit/letter swap inside
    ("4nies baswedan for president", 1),                  # leading digit swap
    ("#AniesMuhaimin menang", 1),                         # campaign hashtag, camelCase
    ("#aniesmuhaimin", 1),                                # hashtag, no capitals
    ("#PrabowoGibran2024 🔥", 2),                          # hashtag with year
    ("#ganjarmahfud2024 lanjut", 3),                      # run-together, not in the file
    ("gemoy bgt sih", 2),                                 # alias
    ("ayo coblos no 2 ya", 2),                            # "no 2"
    ("nomor urut 3 paling oke", 3),                       # "nomor urut 3"
    ("paslon 01 the best", 1),                            # "paslon 01"
    ("pilih nomer 1 ya", 1),                              # "nomer"
    ("coblos 3 biar menang", 3),                          # verb + number
    ("salam dua jari", 2),                                # pose in words
    ("salam 2 jari!!", 2),                                # pose with digit
    ("salam tiga jari", 3),                               # election-file keyword
    ("mantap @tkn.prabowogibran.example", 2),             # watch-listed handle
    ("cc @aniesbaswedan", 1),                             # handle containing a name
    ("sat set tas tes!", 3),                              # slogan
    ("Bersama Indonesia Maju", 2),                        # slogan
    ("Pak Ganjar ✌️ :victory_hand:", 3),                  # emoji do not override a name
])
def test_links_variants(text: str, expected: int) -> None:
    assert best(text) == expected


def test_dki_2017_hashtags_and_aliases() -> None:
    assert best("#ahokdjarot lanjutkan", L17) == 2
    assert best("#AniesSandi", L17) == 3
    assert best("4hok btp mantap", L17) == 2
    assert best("AHY muda cerdas", L17) == 1
    assert best("OK OCE keren", L17) == 3


def test_emoji_pose_is_a_number_signal_only_with_context() -> None:
    links = L24.link("✌️ Prabowo")
    kinds = {s.kind for s in links.signals}
    assert {"pose", "token"} <= kinds or {"pose_emoji", "token"} <= kinds
    assert L24.link("selamat pagi ✌️").best() is None or not L24.link("selamat pagi ✌️").strong


def test_bare_numbers_need_election_context() -> None:
    assert L24.link("antrian 02 di puskesmas").scores() == {}
    assert best("02 Prabowo Gibran") == 2


def test_news_naming_everyone_has_no_single_candidate() -> None:
    text = "Pengundian nomor urut: Anies-Muhaimin nomor 1, Prabowo-Gibran nomor 2, Ganjar-Mahfud nomor 3"
    assert best(text) is None


def test_no_false_links_in_private_chatter() -> None:
    for text in ["Aamiin ya Allah, selamat pagi", "rapat di lantai 2 jam 9",
                 "#pemerintah daerah buka loker", "persib juara, dukung terus!",
                 "terima kasih pak kadis"]:
        assert L24.link(text).scores() == {}, text


def test_party_shared_by_candidates_is_election_level() -> None:
    links = L24.link("kader golkar siap")
    assert links.scores() == {}
    assert [s.kind for s in links.election_signals] == ["party"]
    assert L24.link("kader gerindra siap").best() == 2  # one owner: weak, but this candidate


def test_masking_replaces_candidate_mentions() -> None:
    masked = L24.link("Ayooo coblos No.2 #PrabowoGibran2024 pak Prabowo @gerindra https://t.co/x").masked()
    assert "prabowo" not in masked
    assert "__tag__" in masked and "__num__" in masked and "__cand__" in masked
    assert "__url__" in masked and "coblos" in masked


def test_normalise_social_media_writing() -> None:
    assert normalise("Ayooo yg dgn gak bangeeet utk tdk") == "ayo yang dengan tidak banget untuk tidak"
    assert normalise("J0k0wi") == "jokowi"
    assert normalise("#ASNNetral") == "#asn_netral"
    assert normalise("2️⃣ ✌🏽 :thumbsup:") == "2 duajari jempol"
    assert normalise("cek https://kpu.go.id/dpt @Bawaslu_RI") == "cek __url__ @bawaslu_ri"
    assert normalise("Ma'ruf Amin") == "maruf amin"
