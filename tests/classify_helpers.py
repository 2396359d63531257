"""Shared helpers of the classifier tests: elections built in code, a small trained model."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pantau.records import Calendar, Candidate, Election, Keyword, WatchAccount

ROOT = Path(__file__).resolve().parents[1]
ELECTIONS_DIR = ROOT / "elections"
HOLDOUT = Path(__file__).parent / "fixtures" / "classify" / "holdout.csv"


def pemilu_2024() -> Election:
    """Pemilu 2024 presidential race (public record), with one made-up campaign account."""
    return Election(
        id="pemilu-2024-test", name="Pemilu 2024", kind="pemilu", timezone="Asia/Jakarta",
        calendar=Calendar(vote=date(2024, 2, 14), candidate_registration=date(2023, 10, 19),
                          candidate_determination=date(2023, 11, 13),
                          campaign_start=date(2023, 11, 28), campaign_end=date(2024, 2, 10),
                          result=date(2024, 3, 20)),
        candidates=[
            Candidate(1, ["Anies Baswedan", "Muhaimin Iskandar"], ["Anies-Muhaimin", "Cak Imin"],
                      ["NasDem", "PKB", "PKS"], [], ["#AMIN", "#AniesMuhaimin"]),
            Candidate(2, ["Prabowo Subianto", "Gibran Rakabuming Raka"],
                      ["Prabowo-Gibran", "Gemoy"], ["Gerindra", "Golkar", "PAN", "Demokrat"],
                      ["Bersama Indonesia Maju"], ["#PrabowoGibran", "#PrabowoGibran2024"]),
            Candidate(3, ["Ganjar Pranowo", "Mahfud MD"], ["Ganjar-Mahfud"],
                      ["PDI Perjuangan", "PPP", "Hanura", "Perindo", "Golkar"],
                      ["sat set tas tes"], ["#GanjarMahfud"]),
        ],
        accounts=[WatchAccount("bluesky", "tkn.prabowogibran.example", "campaign", 2),
                  WatchAccount("bluesky", "gibran.example", "candidate", 2),
                  WatchAccount("bluesky", "partai.example", "party", None)],
        keywords=[Keyword("salam tiga jari", 3)],
    )


def dki_2017() -> Election:
    return Election(
        id="dki-2017-test", name="Pilkada DKI 2017", kind="pilkada", timezone="Asia/Jakarta",
        region="DKI Jakarta",
        calendar=Calendar(vote=date(2017, 2, 15), candidate_registration=date(2016, 9, 21),
                          candidate_determination=date(2016, 10, 24), result=date(2017, 5, 5)),
        candidates=[
            Candidate(1, ["Agus Harimurti Yudhoyono", "Sylviana Murni"], ["AHY", "Agus-Sylvi"]),
            Candidate(2, ["Basuki Tjahaja Purnama", "Djarot Saiful Hidayat"],
                      ["Ahok", "BTP", "Ahok-Djarot"], hashtags=["#BadjaUntukJakarta"]),
            Candidate(3, ["Anies Baswedan", "Sandiaga Uno"], ["Anies-Sandi", "Bang Sandi"],
                      ["Gerindra", "PKS"], ["OK OCE"], ["#AniesSandi"]),
        ],
    )


@pytest.fixture(scope="session")
def small_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained on a tenth of the corpus (fast; same code path as `pantau train`)."""
    from pantau.classify.train import train

    out = tmp_path_factory.mktemp("model") / "small"
    train(out, seed=7, scale=0.08, models=(("svm", 0.3),))
    return out


@pytest.fixture(scope="session")
def shipped_model():
    """The default model under models/ (what users get)."""
    from pantau.classify.model import TextModel

    return TextModel.load()


TINY_TEXTS = {
    "support": ["dukung terus calon kita", "kami dukung pasangan ini", "pasti menang dukung",
                "bangga dukung paslon", "semua dukung nomor ini"],
    "invitation": ["ayo coblos nomor __num__", "ayo pilih paslon", "jangan lupa coblos dia",
                   "ayo coblos bersama", "mari pilih dan coblos"],
    "attack": ["paslon itu pembohong", "jangan pilih pembohong", "calon itu korup",
               "korup dan pembohong", "tolak calon korup"],
    "neutral_election": ["asn wajib netral", "datang ke tps tanggal 27", "jadwal kampanye",
                         "asn harus netral", "gunakan hak pilih anda di tps"],
    "private": ["resep rendang enak", "liburan ke bali", "selamat pagi keluarga",
                "olahraga pagi sehat", "makan siang bersama keluarga"],
}


def fit_tiny_model(version: str):  # noqa: ANN201 - a TextModel (imported lazily)
    """A real model of the shipped kind fitted on 25 texts in a blink: for tests that need a
    model's decisions to compare, not good ones."""
    from pantau.classify.model import TextModel

    pairs = [(t, label) for label, items in TINY_TEXTS.items() for t in items]
    return TextModel.fit([t for t, _ in pairs], [label for _, label in pairs], kind="logreg",
                         version=version)
