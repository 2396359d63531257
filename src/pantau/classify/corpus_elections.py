"""The elections whose candidates fill the slots of the training corpus.

Candidate names and ballot numbers are the public record of each race; aliases, hashtags and
slogans are those widely used in the campaigns (partial). Calendars are approximate (they only
decide which texts land in which split, never a rule). Kept in code, not read from
``elections/``, so the corpus is reproducible whatever election files an analyst adds later.
"""

from __future__ import annotations

from datetime import date, timedelta

from ..records import Calendar, Candidate, Election


def _e(eid: str, name: str, kind: str, vote: date, det: date, cands: list[Candidate],
       region: str | None = None) -> Election:
    return Election(id=eid, name=name, kind=kind, timezone="Asia/Jakarta", region=region,
                    calendar=Calendar(vote=vote, candidate_determination=det,
                                      candidate_registration=det - timedelta(days=40)),
                    candidates=cands)


C = Candidate
CORPUS_ELECTIONS: list[Election] = [
    _e("pemilu-2014-presiden", "Pilpres 2014", "pemilu", date(2014, 7, 9), date(2014, 5, 31), [
        C(1, ["Prabowo Subianto", "Hatta Rajasa"], ["Prabowo-Hatta", "Pak Prabowo", "Bang Hatta"],
          ["Gerindra", "Golkar", "PAN", "PKS", "PPP", "PBB", "Demokrat"], ["Indonesia Bangkit"],
          ["#PrabowoHatta", "#PrabowoPresidenku"]),
        C(2, ["Joko Widodo", "Jusuf Kalla"], ["Jokowi", "JK", "Jokowi-JK", "Pak Kalla"],
          ["PDI Perjuangan", "NasDem", "PKB", "Hanura", "PKPI"],
          ["Jokowi adalah kita", "Revolusi Mental"], ["#JKW4P", "#JokowiJK", "#Salam2Jari"]),
    ]),
    _e("pilkada-2017-dki", "Pilkada DKI Jakarta 2017", "pilkada", date(2017, 2, 15),
       date(2016, 10, 24), [
        C(1, ["Agus Harimurti Yudhoyono", "Sylviana Murni"], ["AHY", "Agus-Sylvi", "Mas Agus"],
          ["Demokrat", "PPP", "PKB", "PAN"], ["Jakarta untuk rakyat"], ["#AgusSylvi", "#AHYSylvi"]),
        C(2, ["Basuki Tjahaja Purnama", "Djarot Saiful Hidayat"], ["Ahok", "BTP", "Ahok-Djarot",
          "Badja", "Pak Djarot"], ["PDI Perjuangan", "Golkar", "NasDem", "Hanura"],
          ["Kerja nyata untuk Jakarta"], ["#BadjaUntukJakarta", "#AhokDjarot"]),
        C(3, ["Anies Baswedan", "Sandiaga Uno"], ["Anies-Sandi", "Bang Sandi", "Mas Anies"],
          ["Gerindra", "PKS"], ["OK OCE", "Maju kotanya bahagia warganya"],
          ["#AniesSandi", "#OKOCE"]),
    ], region="DKI Jakarta"),
    _e("pilkada-2018-jabar", "Pilgub Jawa Barat 2018", "pilkada", date(2018, 6, 27),
       date(2018, 2, 12), [
        C(1, ["Ridwan Kamil", "Uu Ruzhanul Ulum"], ["Rindu", "RK", "Kang Emil", "Kang Uu"],
          ["NasDem", "PPP", "PKB", "Hanura"], ["Jabar Juara"], ["#Rindu", "#JabarJuara"]),
        C(2, ["TB Hasanuddin", "Anton Charliyan"], ["Hasanah", "Kang Hasan", "Kang Anton"],
          ["PDI Perjuangan"], [], ["#Hasanah"]),
        C(3, ["Sudrajat", "Ahmad Syaikhu"], ["Asyik", "Sudrajat-Syaikhu", "Kang Ajat"],
          ["Gerindra", "PKS", "PAN"], [], ["#Asyik", "#2018AsyikMenang"]),
        C(4, ["Deddy Mizwar", "Dedi Mulyadi"], ["2DM", "Demiz", "Kang Dedi"],
          ["Demokrat", "Golkar"], [], ["#2DM", "#DuaDM"]),
    ], region="Jawa Barat"),
    _e("pilkada-2018-jatim", "Pilgub Jawa Timur 2018", "pilkada", date(2018, 6, 27),
       date(2018, 2, 12), [
        C(1, ["Khofifah Indar Parawansa", "Emil Dardak"], ["Khofifah-Emil", "Bu Khofifah",
          "Mas Emil"], ["Demokrat", "Golkar", "NasDem", "PPP", "Hanura", "PAN"], ["Jatim Cettar"],
          ["#KhofifahEmil", "#JatimCettar"]),
        C(2, ["Saifullah Yusuf", "Puti Guntur Soekarno"], ["Gus Ipul", "Gus Ipul-Puti",
          "Mbak Puti"], ["PDI Perjuangan", "PKB", "PKS", "Gerindra"], ["Kabeh sedulur"],
          ["#GusIpulPuti", "#KabehSedulur"]),
    ], region="Jawa Timur"),
    _e("pemilu-2019-presiden", "Pilpres 2019", "pemilu", date(2019, 4, 17), date(2018, 9, 20), [
        C(1, ["Joko Widodo", "Ma'ruf Amin"], ["Jokowi", "Jokowi-Amin", "Kyai Ma'ruf",
          "Jokowi-Ma'ruf"], ["PDI Perjuangan", "Golkar", "PKB", "NasDem", "PPP", "Hanura", "PSI",
          "Perindo"], ["Indonesia Maju", "Kerja Nyata"],
          ["#JokowiAmin", "#01IndonesiaMaju", "#2019TetapJokowi", "#JokowiLagi"]),
        C(2, ["Prabowo Subianto", "Sandiaga Uno"], ["Prabowo-Sandi", "Bang Sandi", "Pak Prabowo",
          "Prabowo-Sandiaga"], ["Gerindra", "PKS", "PAN", "Demokrat", "Berkarya"],
          ["Indonesia Menang", "Adil Makmur"],
          ["#PrabowoSandi", "#2019GantiPresiden", "#02AdilMakmur"]),
    ]),
    _e("pilkada-2020-surabaya", "Pilwali Surabaya 2020", "pilkada", date(2020, 12, 9),
       date(2020, 9, 23), [
        C(1, ["Eri Cahyadi", "Armuji"], ["Erji", "Mas Eri", "Cak Ji"], ["PDI Perjuangan", "PSI"],
          ["Surabaya hebat"], ["#ErjiSurabaya", "#ErjiMenang"]),
        C(2, ["Machfud Arifin", "Mujiaman"], ["MAJU", "Cak Machfud", "Machfud-Mujiaman"],
          ["Gerindra", "PKB", "Golkar", "PKS", "PAN", "Demokrat", "NasDem", "PPP"],
          ["Surabaya maju bersama"], ["#MachfudMujiaman", "#MAJUSurabaya"]),
    ], region="Kota Surabaya"),
    _e("pilkada-2020-medan", "Pilwalkot Medan 2020", "pilkada", date(2020, 12, 9),
       date(2020, 9, 23), [
        C(1, ["Akhyar Nasution", "Salman Alfarisi"], ["Akhyar-Salman", "Bang Akhyar", "AMAN"],
          ["Demokrat", "PKS"], ["Medan berkah"], ["#AkhyarSalman"]),
        C(2, ["Bobby Nasution", "Aulia Rachman"], ["Bobby-Aulia", "Bang Bobby", "Mas Bobby"],
          ["PDI Perjuangan", "Gerindra", "Golkar", "NasDem", "PAN", "PPP", "Hanura"],
          ["Medan berkah maju kondusif"], ["#BobbyAulia", "#KolaborasiMedanBerkah"]),
    ], region="Kota Medan"),
    _e("pemilu-2024-presiden", "Pilpres 2024", "pemilu", date(2024, 2, 14), date(2023, 11, 13), [
        C(1, ["Anies Baswedan", "Muhaimin Iskandar"], ["AMIN", "Cak Imin", "Gus Imin",
          "Anies-Muhaimin", "Abah Anies"], ["NasDem", "PKB", "PKS"],
          ["Indonesia adil makmur untuk semua", "Wakanda no more"],
          ["#AMIN", "#AniesMuhaimin", "#AminAjaDulu"]),
        C(2, ["Prabowo Subianto", "Gibran Rakabuming Raka"], ["Prabowo-Gibran", "Gemoy",
          "Mas Gibran", "Pak Prabowo"], ["Gerindra", "Golkar", "PAN", "Demokrat", "PSI", "PBB",
          "Gelora", "Garuda"], ["Bersama Indonesia Maju", "Indonesia Emas 2045"],
          ["#PrabowoGibran", "#PrabowoGibran2024", "#BersamaIndonesiaMaju"]),
        C(3, ["Ganjar Pranowo", "Mahfud MD"], ["Ganjar-Mahfud", "Pak Ganjar", "Prof Mahfud"],
          ["PDI Perjuangan", "PPP", "Hanura", "Perindo"],
          ["Sat set tas tes", "Gerak cepat menuju Indonesia unggul"],
          ["#GanjarMahfud", "#GanjarMahfud2024", "#SatSet"]),
    ]),
    _e("pilkada-2024-dki", "Pilkada DKI Jakarta 2024", "pilkada", date(2024, 11, 27),
       date(2024, 9, 22), [
        C(1, ["Ridwan Kamil", "Suswono"], ["RK", "Kang Emil", "RIDO", "Rido"],
          ["Gerindra", "Golkar", "PKS", "Demokrat", "PAN", "PKB", "NasDem", "PPP"],
          ["Jakarta baru Jakarta maju"], ["#RIDO", "#RidoJakarta"]),
        C(2, ["Dharma Pongrekun", "Kun Wardana"], ["Dharma-Kun", "Pak Dharma"], [], [],
          ["#DharmaKun"]),
        C(3, ["Pramono Anung", "Rano Karno"], ["Mas Pram", "Bang Doel", "Pramono-Rano",
          "Pram-Doel"], ["PDI Perjuangan", "Hanura"], ["Jakarta menyala"],
          ["#PramDoel", "#PramonoRano"]),
    ], region="DKI Jakarta"),
    _e("pilkada-2024-jateng", "Pilgub Jawa Tengah 2024", "pilkada", date(2024, 11, 27),
       date(2024, 9, 22), [
        C(1, ["Andika Perkasa", "Hendrar Prihadi"], ["Andika-Hendi", "Jenderal Andika",
          "Mas Hendi"], ["PDI Perjuangan"], ["Jateng makin sejahtera"], ["#AndikaHendi"]),
        C(2, ["Ahmad Luthfi", "Taj Yasin"], ["Luthfi-Yasin", "Gus Yasin", "Pak Luthfi"],
          ["Gerindra", "Golkar", "PKB", "Demokrat", "PAN", "PKS", "NasDem", "PSI"],
          ["Ngopeni nglakoni"], ["#LuthfiYasin", "#NgopeniNglakoni"]),
    ], region="Jawa Tengah"),
]

# Offices by kind of race, for slots like "calon {office}".
OFFICES = {
    "pemilu": ("presiden", "capres", "presiden", "RI 1"),
    "pilkada-dki": ("gubernur", "cagub", "gubernur", "DKI 1"),
    "pilkada-jabar": ("gubernur", "cagub", "gubernur", "Jabar 1"),
    "pilkada-jatim": ("gubernur", "cagub", "gubernur", "Jatim 1"),
    "pilkada-jateng": ("gubernur", "cagub", "gubernur", "Jateng 1"),
    "pilkada-surabaya": ("walikota", "cawali", "wali kota", "Suroboyo 1"),
    "pilkada-medan": ("walikota", "cawalkot", "wali kota", "Medan 1"),
}
