"""Fictional ASN for the demo world: names, valid NIPs (domain.md), agencies, posts and ranks."""

from __future__ import annotations

import random
from datetime import date, timedelta

from ..records import Person

MALE = ["Budi", "Agus", "Rizky", "Andi", "Dedi", "Hendra", "Fajar", "Yusuf", "Bambang", "Teguh",
        "Arif", "Dimas", "Rudi", "Joko", "Irfan", "Wahyu", "Eko", "Galih", "Hadi", "Taufik",
        "Ilham", "Bayu", "Rahmat", "Yosef", "Samuel", "Made", "Ketut", "Daniel"]
FEMALE = ["Siti", "Dewi", "Rina", "Ayu", "Fitri", "Nur", "Wulan", "Indah", "Lestari", "Maya",
          "Ratna", "Yuni", "Sri", "Dian", "Putri", "Intan", "Nadia", "Anisa", "Mega", "Wati",
          "Lia", "Ester", "Maria", "Kadek", "Novi", "Eka", "Retno", "Tika"]
FAMILY = ["Santoso", "Wijaya", "Rahmawati", "Hidayat", "Saputra", "Kusuma", "Siregar",
          "Nasution", "Simanjuntak", "Pratama", "Setiawan", "Hasibuan", "Lubis", "Susanti",
          "Permata", "Gunawan", "Firmansyah", "Handayani", "Purnomo", "Wibowo", "Sitompul",
          "Manurung", "Halim", "Utami", "Anggraini", "Rachman", "Sembiring", "Tanjung"]

# (instansi, [(unit_kerja, wilayah)], [jabatan], degree suffix or "dr." prefix)
AGENCIES: list[tuple[str, list[tuple[str, str]], list[str], str]] = [
    ("Dinas Kesehatan Provinsi DKI Jakarta",
     [("Puskesmas Kecamatan Tebet", "Jakarta Selatan"),
      ("Puskesmas Kecamatan Cilincing", "Jakarta Utara"),
      ("Bidang Pelayanan Kesehatan", "Jakarta Pusat")],
     ["Dokter Ahli Pertama", "Perawat Terampil", "Perawat Ahli Pertama", "Bidan Terampil",
      "Apoteker Ahli Pertama", "Pengadministrasi Perkantoran"], "S.Kep."),
    ("Dinas Pendidikan Provinsi DKI Jakarta",
     [("SMP Negeri 301 Jakarta", "Jakarta Timur"),
      ("SD Negeri Kebon Melati 09", "Jakarta Pusat"),
      ("Suku Dinas Pendidikan Wilayah I Jakarta Barat", "Jakarta Barat")],
     ["Guru Ahli Pertama", "Guru Ahli Muda", "Pengawas Sekolah Ahli Madya",
      "Pengadministrasi Perkantoran", "Operator Layanan Operasional"], "S.Pd."),
    ("Dinas Perhubungan Provinsi DKI Jakarta",
     [("Suku Dinas Perhubungan Jakarta Selatan", "Jakarta Selatan"),
      ("Unit Pengelola Terminal Terpadu", "Jakarta Timur")],
     ["Penguji Kendaraan Bermotor Terampil", "Analis Transportasi",
      "Petugas Pengatur Lalu Lintas"], "S.T."),
    ("Kecamatan Menteng",
     [("Kelurahan Cikini", "Jakarta Pusat"), ("Kelurahan Gondangdia", "Jakarta Pusat"),
      ("Seksi Pemerintahan Kecamatan Menteng", "Jakarta Pusat")],
     ["Lurah", "Sekretaris Kelurahan", "Kepala Seksi Pemerintahan",
      "Pengelola Layanan Kependudukan"], "S.Sos."),
    ("Badan Kepegawaian Daerah Provinsi DKI Jakarta",
     [("Bidang Mutasi dan Promosi", "Jakarta Pusat"),
      ("Bidang Pengembangan Kompetensi", "Jakarta Pusat")],
     ["Analis Sumber Daya Manusia Aparatur Ahli Muda", "Pranata Komputer Ahli Pertama"], "S.E."),
]
GOLONGAN_PNS = ["II/c", "II/d", "III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b"]
GOLONGAN_PPPK = ["V", "VII", "IX", "X"]
PPPK_SHARE = 0.2
# NIPs must be valid on the day the demo is built, whatever that day is: TMT up to this month.
LATEST_TMT = date(2024, 6, 1)


def make_nip(rng: random.Random, gender: int, pppk: bool, taken: set[str]) -> tuple[str, date]:
    """A valid NIP (or NI PPPK) per domain.md, unique within `taken`."""
    while True:
        birth = date(1968, 1, 1) + timedelta(days=rng.randrange(365 * 31))
        if pppk:
            # NI PPPK: digits 9-12 the appointment year, 13-14 the PPPK code "21".
            middle = f"{rng.randint(2021, 2024)}21"
        else:
            # TMT at least 20 years after birth (the rule is 18) and not after LATEST_TMT.
            first = max(birth.year + 20, 1990)
            year = rng.randint(first, max(first, LATEST_TMT.year - 1))
            middle = f"{year}{rng.randint(1, 12):02d}"
        nip = f"{birth:%Y%m%d}{middle}{gender}{rng.randint(1, 400):03d}"
        if nip not in taken:
            taken.add(nip)
            return nip, birth


def make_person(rng: random.Random, taken: set[str]) -> Person:
    gender = rng.choice((1, 2))
    first = rng.choice(MALE if gender == 1 else FEMALE)
    family = rng.choice(FAMILY)
    instansi, units, jabatans, degree = rng.choice(AGENCIES)
    unit, wilayah = rng.choice(units)
    jabatan = rng.choice(jabatans)
    pppk = rng.random() < PPPK_SHARE
    nip, birth = make_nip(rng, gender, pppk, taken)
    if jabatan.startswith("Dokter"):
        nama = f"dr. {first} {family}"
    elif jabatan.startswith(("Pengadministrasi", "Operator", "Petugas")):
        nama = f"{first} {family}"
    else:
        nama = f"{first} {family}, {degree}"
    return Person(
        nip=nip, nama=nama, jabatan=jabatan,
        golongan=rng.choice(GOLONGAN_PPPK if pppk else GOLONGAN_PNS),
        instansi=instansi, unit_kerja=unit, wilayah=wilayah,
        kind="PPPK" if pppk else "PNS", birth_date=birth, gender=gender,
    )


def short_name(person: Person) -> tuple[str, str]:
    """(first, family) in lower-case ASCII, for handles."""
    name = person.nama.removeprefix("dr. ").split(",")[0]
    first, _, family = name.partition(" ")
    return first.lower(), family.lower().replace(" ", "")
