"""The demo world's Indonesian texts: planted partisan posts and their innocent look-alikes.

Written for the demo only and independently of the classifier's training corpus, so that the
demo is a fair test of the model: a classifier that merely memorised its corpus would not find
these. Texts are composed from fragments with a per-item seed, so a post stores only
``(topic, seed, candidate)`` and its text is rebuilt identically whenever it is served (this
keeps a ×100 world small in memory).

Topics, and what the SKB 2022 says about them (domain.md):
- partisan: ``campaign`` (KE-02/DS-02), ``ajakan`` (DS-08), ``reply_support`` / ``quote_support``
  (comments on campaign posts, KE-04/DS-06), ``pose_caption`` / ``poster_caption`` (photos with
  a pose or campaign prop, KE-05/DS-07), ``party`` (party membership, DS-05);
- innocent: ``news`` (reporting that names candidates), ``appeal`` (#ASNNetral), ``kpu``
  (official voting information), ``private`` (own life, religion, hobbies), ``work`` (public
  service), ``photo_caption`` (innocent photos), ``reply_thanks``, ``quote_news``;
- campaign accounts' own posts: ``campaign_account``.
"""

from __future__ import annotations

import random

from ..records import Candidate, Election

AREAS = [
    "Tebet", "Menteng", "Cempaka Putih", "Kebayoran Baru", "Cilincing", "Kalideres",
    "Pasar Minggu", "Duren Sawit", "Tanjung Priok", "Grogol", "Cakung", "Jagakarsa",
    "Palmerah", "Koja", "Matraman", "Kepulauan Seribu",
]
ISSUES = [
    "banjir", "kemacetan", "air bersih", "harga pangan", "lapangan kerja", "transportasi umum",
    "polusi udara", "pendidikan gratis", "layanan kesehatan", "hunian terjangkau",
]
PROGRAMS = [
    "sekolah gratis sampai SMA", "rumah susun murah", "normalisasi kali", "bus gratis untuk lansia",
    "klinik 24 jam di tiap kecamatan", "kredit usaha untuk UMKM", "taman kota di setiap RW",
]
_NUMBER_WORDS = {0: "nol", 1: "satu", 2: "dua", 3: "tiga", 4: "empat", 5: "lima"}


def number_word(n: int) -> str:
    return _NUMBER_WORDS.get(n, str(n))


# --- partisan ---------------------------------------------------------------------------------
_CAMPAIGN = [
    "Sudah waktunya Jakarta dipegang {alias}. Programnya jelas, orangnya sudah terbukti kerja. {tag}",
    "Habis nonton paparan visi-misi {pair}, hati makin mantap. Jakarta butuh pemimpin seperti beliau!",
    "Siapa lagi kalau bukan {alias}? Pengalaman segudang, tinggal kita kawal sampai menang. {tag}",
    "Program {program} dari {alias} itu masuk akal banget buat warga {area}. Dukung terus!",
    "{pair} paling paham soal {issue} di Jakarta. Pilihan saya sudah bulat. {tag}",
    "Lihat rekam jejaknya, cuma {alias} yang layak memimpin Jakarta lima tahun ke depan.",
    "Kemarin ikut konsolidasi relawan {alias} di {area}. Semangatnya luar biasa, insyaallah menang! {tag}",
    "Jakarta akan lebih baik di tangan {alias}. Saya sudah lihat sendiri kerjanya waktu {issue} kemarin.",
    "{slogan}! Bersama {alias} kita bereskan masalah {issue}. {tag}",
    "Nggak perlu ragu lagi, {alias} punya solusi nyata untuk {issue}. Mari kita menangkan bersama.",
]
_AJAKAN = [
    "Warga {area}, tanggal 27 November jangan lupa coblos nomor {n} ya. {alias} untuk Jakarta! {tag}",
    "Ayo ajak keluarga dan tetangga pilih {pair}, nomor urut {n}. Jangan sampai salah coblos!",
    "Yuk rekan-rekan, kita menangkan {alias}. Ingat nomor {n} di bilik suara nanti. {tag}",
    "Mohon doa dan dukungannya untuk paslon nomor {n}. Sampai ketemu di TPS, coblos {alias}!",
    "Rabu 27 November, pilih nomor {n}! Tolong sebarkan ke grup keluarga dan grup RT ya 🙏",
    "Saya ajak teman-teman semua: satu putaran saja, coblos {alias} nomor {n}. {tag}",
]
_REPLY_SUPPORT = [
    "Siap mendukung, {alias}! 🔥",
    "Mantap, lanjutkan! Kami di {area} siap memenangkan {alias}.",
    "Setuju sekali. Jakarta butuh pemimpin seperti ini. {tag}",
    "Semoga menang, aamiin. Kami bersama {alias} sampai akhir.",
    "Luar biasa programnya, gas terus sampai hari pencoblosan!",
    "Sudah pasti pilih {alias}, sekeluarga kompak 👍",
    "Ini baru calon yang mengerti warga kecil. Menang {alias}!",
]
_QUOTE_SUPPORT = [
    "Ini dia yang kita tunggu. {alias} paling paham kebutuhan warga. {tag}",
    "Baca ini dulu sebelum menentukan pilihan. Saya sih sudah yakin dengan {alias}.",
    "Program {program} ini yang bikin saya mantap dukung {alias}.",
    "Tolong dibaca sampai habis, terutama yang masih bingung. {pair} pilihan paling masuk akal.",
]
_POSE_CAPTION = [
    "Salam {nw} jari dari kantor! ✌️ {tag}",
    "Kompak pose {nw} jari bareng teman-teman seangkatan, {alias} pasti menang!",
    "Foto bareng relawan {alias} tadi sore. Salam {nw} jari!",
    "{NW} jari untuk Jakarta yang lebih baik 😁 {tag}",
    "Sebelum apel pagi, sempatkan salam {nw} jari dulu. Yang paham pasti paham 😉",
]
_POSTER_CAPTION = [
    "Sudah siap untuk 27 November. {tag}",
    "Pasang poster ini di grup RT ya, jangan lupa nomor {n}!",
    "Bagikan sebanyak-banyaknya, biar makin banyak yang tahu {alias}. {tag}",
    "Stiker dan poster {alias} sudah sampai, siap dibagikan ke warga {area}.",
]
_PARTY = [
    "Alhamdulillah resmi terdaftar sebagai anggota {party}. Kartu anggotanya sudah jadi 🙏",
    "Hari ini ikut rapat pengurus ranting {party} di {area}. Siap bekerja untuk partai.",
    "Bangga menjadi kader {party} sejak tahun lalu. Terima kasih sudah dipercaya jadi bendahara ranting.",
    "Pelantikan pengurus anak cabang {party} {area} berjalan lancar. Saya kebagian jadi sekretaris.",
]
_CAMPAIGN_ACCOUNT = [
    "{pair} menyapa warga {area} pagi ini. Terima kasih atas sambutan hangatnya! {tag}",
    "Program unggulan kami: {program}. Untuk Jakarta yang lebih adil. {tag}",
    "Jadwal kampanye hari ini: dialog warga di {area} pukul 15.00. Ayo datang! {tag}",
    "{slogan}. Nomor {n}, {alias}. {tag}",
    "Terima kasih relawan {area} yang terus bergerak. Kemenangan sudah dekat! {tag}",
    "Soal {issue}, {alias} punya jawabannya. Simak penjelasan lengkapnya di utas ini. {tag}",
]

# --- innocent -------------------------------------------------------------------------------
_NEWS = [
    "Debat publik {k} Pilgub Jakarta digelar malam ini. Ketiga paslon, {p1}, {p2}, dan {p3}, membahas {issue}.",
    "KPU DKI Jakarta mengundi nomor urut: 1 {p1}, 2 {p2}, 3 {p3}.",
    "Survei terbaru menunjukkan elektabilitas ketiga pasangan calon masih bersaing ketat di Jakarta.",
    "{pair} mengunjungi pasar di {area} hari ini, menurut laporan media setempat.",
    "Bawaslu DKI mencatat {num} dugaan pelanggaran selama pekan kedua masa kampanye.",
    "Hasil hitung cepat sejumlah lembaga survei baru akan diumumkan setelah TPS ditutup pukul 13.00 WIB.",
    "Ketiga paslon Pilkada Jakarta menandatangani pakta integritas kampanye damai di kantor KPU DKI.",
    "Tingkat partisipasi pemilih Pilkada Jakarta diperkirakan sekitar {pct} persen.",
]
_APPEAL = [
    "Pengingat untuk rekan-rekan ASN: jaga netralitas selama Pilkada. Jangan like, share, atau komentar di akun kampanye. #ASNNetral",
    "Sosialisasi SKB netralitas ASN tadi pagi di aula kantor. Intinya: kita melayani semua warga apa pun pilihannya. #ASNNetral",
    "ASN boleh memilih di bilik suara, tapi tidak boleh berpihak di ruang publik. Yuk saling mengingatkan. #NetralitasASN",
    "Netral itu bukan berarti tidak peduli. Netral artinya pelayanan publik tetap adil untuk semua. #ASNNetral",
    "Hati-hati berswafoto dengan gaya jari selama masa kampanye, bisa disalahartikan. Tetap netral ya rekan ASN. #ASNNetral",
]
_KPU = [
    "Jangan lupa datang ke TPS tanggal 27 November 2024, gunakan hak pilih Anda. Bawa KTP-el dan surat pemberitahuan.",
    "Cek nama Anda di DPT melalui laman resmi KPU sebelum hari pemungutan suara.",
    "TPS dibuka pukul 07.00 sampai 13.00 WIB. Satu suara Anda ikut menentukan masa depan Jakarta.",
    "Info KPU: pengurusan pindah memilih paling lambat tujuh hari sebelum pemungutan suara.",
    "Masa tenang 24–26 November 2024. Semua alat peraga kampanye wajib diturunkan.",
    "Simulasi pemungutan suara digelar di {area} hari ini untuk petugas KPPS.",
]
_PRIVATE = [
    "Akhirnya bisa lari pagi lagi di Taman {park}. Lumayan lima kilo 🏃",
    "Masak rendang buat arisan keluarga besok, semoga nggak keasinan 😅",
    "Alhamdulillah si bungsu sudah bisa jalan sendiri.",
    "Kajian ba'da Subuh di masjid kompleks, temanya tentang sabar dan syukur.",
    "Macet parah di {road} pagi ini, sabar-sabar.",
    "Hujan deras sore ini, jangan lupa bawa payung ya.",
    "Akhir pekan ini ke Kepulauan Seribu sama keluarga, sudah lama nggak liburan.",
    "Ada rekomendasi bengkel motor yang jujur di sekitar {area}?",
    "Selamat ulang tahun, Ibu. Sehat selalu dan panjang umur ❤️",
    "Lagi belajar memotret burung di taman kota, hasilnya masih belum seberapa.",
    "Nonton timnas tadi malam, deg-degan sampai peluit akhir!",
    "Ibadah Minggu pagi tadi khidmat sekali, paduan suaranya merdu.",
    "Kopi tubruk dan pisang goreng, cukup untuk sore yang mendung.",
    "Tanaman cabai di pot akhirnya berbuah juga 🌶️",
    "Resep soto Betawi ala ibu mertua, kuahnya pakai susu sedikit.",
]
_WORK = [
    "Layanan {service} hari ini ramai sekali. Terima kasih warga yang sabar mengantre.",
    "Jadwal posyandu bulan ini di {area}: Selasa minggu kedua, pukul 08.00.",
    "Rapat koordinasi penanganan {issue} tingkat kecamatan berjalan lancar.",
    "Pelayanan {service} tetap buka saat libur nasional, silakan datang sesuai jadwal.",
    "Hari pertama ujian sekolah, semoga anak-anak lancar mengerjakannya.",
    "Kerja bakti membersihkan saluran air di {area} bersama warga dan petugas PPSU.",
]
_PHOTO_CAPTION = [
    "Poster kegiatan posyandu minggu depan, silakan disebarkan ke warga.",
    "Kami siap melayani dengan netral. #ASNNetral",
    "Semangat pagi, tim! 💪",
    "Suasana kantor pagi ini, siap melayani warga.",
    "Pengumuman jadwal pelayanan selama masa libur.",
]
_REPLY_THANKS = [
    "Terima kasih infonya, sangat membantu.",
    "Noted, akan saya teruskan ke grup kantor.",
    "Semoga berjalan aman dan damai.",
    "Terima kasih, sudah saya cek dan nama saya ada di DPT.",
]
_QUOTE_NEWS = [
    "Info penting untuk warga, silakan dibaca.",
    "Semoga pilkadanya aman dan damai. Siapa pun yang terpilih, kita tetap bekerja.",
    "Catat tanggalnya ya.",
]

PARKS = ["Suropati", "Menteng", "Tebet Eco Park", "Literasi Martha Tiahahu", "Kalijodo"]
ROADS = ["Jalan Gatot Subroto", "Jalan Casablanca", "Jalan Daan Mogot", "Jalan TB Simatupang"]
SERVICES = ["KTP-el", "imunisasi", "pembayaran PBB", "pendaftaran sekolah", "rawat jalan"]

TOPICS: dict[str, list[str]] = {
    "campaign": _CAMPAIGN,
    "ajakan": _AJAKAN,
    "reply_support": _REPLY_SUPPORT,
    "quote_support": _QUOTE_SUPPORT,
    "pose_caption": _POSE_CAPTION,
    "poster_caption": _POSTER_CAPTION,
    "party": _PARTY,
    "campaign_account": _CAMPAIGN_ACCOUNT,
    "news": _NEWS,
    "appeal": _APPEAL,
    "kpu": _KPU,
    "private": _PRIVATE,
    "work": _WORK,
    "photo_caption": _PHOTO_CAPTION,
    "reply_thanks": _REPLY_THANKS,
    "quote_news": _QUOTE_NEWS,
}


class Phrasebook:
    """Builds the text of a demo item from its topic, seed and candidate, always the same way."""

    def __init__(self, election: Election) -> None:
        self.candidates = {c.number: c for c in election.candidates}

    def text(self, topic: str, seed: int, candidate: int | None = None, fingers: int = 0) -> str:
        templates = TOPICS[topic]
        rng = random.Random(seed)
        template = templates[rng.randrange(len(templates))]
        values = self._values(rng, self.candidates.get(candidate) if candidate else None, fingers)
        text = template.format(**values)
        return " ".join(text.split())  # an empty {tag} leaves no double space

    def _values(self, rng: random.Random, cand: Candidate | None, fingers: int) -> dict[str, str]:
        pairs = {n: " – ".join(c.names) for n, c in self.candidates.items()}
        values = {
            "area": rng.choice(AREAS), "issue": rng.choice(ISSUES), "program": rng.choice(PROGRAMS),
            "park": rng.choice(PARKS), "road": rng.choice(ROADS), "service": rng.choice(SERVICES),
            "k": rng.choice(["pertama", "kedua", "ketiga"]), "num": str(rng.randint(12, 90)),
            "pct": str(rng.randint(55, 78)),
            "p1": pairs.get(1, ""), "p2": pairs.get(2, ""), "p3": pairs.get(3, ""),
            "nw": number_word(fingers), "NW": number_word(fingers).capitalize(),
        }
        if cand is None:  # news about one pair: any of them, named neutrally
            cand = self.candidates[rng.choice(sorted(self.candidates))]
        aliases = cand.aliases or [cand.names[0]]
        values.update({
            "n": str(cand.number),
            "pair": " – ".join(cand.names),
            "alias": rng.choice(aliases + [cand.names[0]]),
            # A campaign hashtag about half the time: the model must not rely on it alone.
            "tag": rng.choice(cand.hashtags) if cand.hashtags and rng.random() < 0.5 else "",
            "slogan": rng.choice(cand.slogans) if cand.slogans else f"Jakarta bersama {aliases[0]}",
            "party": rng.choice(cand.parties) if cand.parties else "partai pengusung",
        })
        return values
