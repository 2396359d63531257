"""Telegram t.me/s parser on the real captures (expected values read off the HTML by hand) and
on hand-made edge cases (tests/fixtures/telegram/handmade/, written for these tests)."""

from __future__ import annotations

import re

import pytest

from pantau.collectors.telegram.parse import parse_channel_page, parse_views
from pantau.errors import ParseError
from parse_helpers import OBSERVED, TELEGRAM, utc


def page(name: str):
    return parse_channel_page((TELEGRAM / name).read_bytes(), source_url=name,
                              observed_at=OBSERVED)


# --- full.html: a real 12-message page ---------------------------------------------------------

# id, type, created_at, views, forwarded_from, target, media kinds
FULL = [
    (70989, "post", utc(2023, 2, 28, 7, 47, 53), 37200, None, None, ["photo"]),
    (70990, "post", utc(2023, 2, 28, 8, 9, 50), 34500, None, None, []),
    (70992, "post", utc(2023, 2, 28, 8, 51, 58), 33800, None, None, ["photo", "photo", "video"]),
    (70995, "post", utc(2023, 2, 28, 8, 54, 50), 33600, None, None, []),
    (70996, "share", utc(2023, 2, 28, 9, 6, 2), 32900, "yaremshooter", "yaremshooter/1066", []),
    (70997, "post", utc(2023, 2, 28, 10, 0, 3), 30300, None, None, []),
    (70998, "share", utc(2023, 2, 28, 10, 29, 8), 29000, "belarus_vpo", "belarus_vpo/34301",
     ["photo"]),
    (70999, "post", utc(2023, 2, 28, 10, 43, 8), 28700, None, None, []),
    (71000, "post", utc(2023, 2, 28, 10, 52, 36), 28700, None, None, ["photo"] * 6),
    (71006, "share", utc(2023, 2, 28, 12, 48, 58), 17200, "vysokygovorit", "vysokygovorit/10899",
     ["video"]),
    (71007, "share", utc(2023, 2, 28, 13, 2, 0), 16800, "dimsmirnov175", "dimsmirnov175/44655",
     ["video"]),
    (71008, "share", utc(2023, 2, 28, 13, 14, 3), 14900, "impnavigator", "impnavigator/4580",
     ["video"]),
]


def test_full_page_every_message_exact() -> None:
    parsed = page("full.html")
    assert parsed.problems == []
    got = [
        (int(a.native_id.split("/")[1]), a.type, a.created_at, a.metrics["views"],
         a.forwarded_from, a.target_id, [m.kind for m in a.media])
        for a in parsed.activities
    ]
    assert got == FULL
    for a in parsed.activities:
        number = a.native_id.split("/")[1]
        assert a.platform == "telegram"
        assert a.native_id == f"topwar_official/{number}"
        assert a.id == f"telegram:topwar_official/{number}"
        assert a.actor_id == a.actor_handle == "topwar_official"
        assert a.url == f"https://t.me/topwar_official/{number}"
        assert a.observed_at == OBSERVED
        assert a.media_count == len(a.media)
        assert all(m.url.startswith("https://cdn4.telegram-cdn.org/file/") for m in a.media)


def test_full_page_cursor_and_info() -> None:
    parsed = page("full.html")
    # <a class="tme_messages_more" data-before="70989"> at the top of the page
    assert parsed.cursor == "70989"
    assert parsed.info == {"channel": "topwar_official", "min_id": 70989, "max_id": 71008,
                           "channel_title": "Военное обозрение"}


def test_full_page_texts() -> None:
    by_id = {a.native_id: a for a in page("full.html").activities}
    assert by_id["topwar_official/70989"].text == (
        "В Санкт-Петербурге в небо над городом подняли истребители из-за неизвестного объекта "
        "в воздухе, аэропорт Пулково не принимает самолеты, сообщает Baza.\nСудя по сервису "
        "Flightradar, гражданские самолеты не приближаются к Санкт-Петербургу."
    )
    assert by_id["topwar_official/70990"].text == (
        "Власти Петербурга подтвердили, что аэропорт Пулково временно не принимает самолеты."
    )
    assert by_id["topwar_official/70995"].text == (
        'План "Ковер" отменен, небо над Санкт-Петербургом открывают, сообщает источник РЕН ТВ.'
    )
    # An album caption nests a second message_text div: read once, not twice.
    assert by_id["topwar_official/71000"].text == (
        "Последствия ночного удара БПЛА-камикадзе ВСУ по нефтебазе в Туапсе сегодня ночью."
    )
    fwd = by_id["topwar_official/70996"]
    assert fwd.text.startswith("Информация о том, что подразделения ЧВК «Вагнер» подошли к "
                               "самолетику в Бахмуте на расстояние 180 метров, пока не")
    assert fwd.text.endswith("стелы с МиГ-17.\n\n@yaremshooter")
    assert fwd.extra["forwarded_from_name"] == "Военкор Ярем"
    assert fwd.extra["forwarded_from_url"] == "https://t.me/yaremshooter/1066"
    assert fwd.target_author_handle == "yaremshooter"
    assert fwd.extra["links"] == ["https://t.me/infantmilitario/93419",
                                  "https://t.me/yaremshooter", "http://t.me/infantmilitario/93419"]
    assert fwd.extra["link_preview"]["title"] == "Милитарист"
    belarus = by_id["topwar_official/70998"]
    assert belarus.target_author_handle == "Belarus_VPO"  # as written; the id is lower case
    assert belarus.extra["forwarded_from_name"] == "БелВПО"


def test_full_page_video_urls() -> None:
    by_id = {a.native_id: a for a in page("full.html").activities}
    # "Media is too big": no <video>, the thumbnail stands in for it.
    assert by_id["topwar_official/71006"].media[0].url.startswith(
        "https://cdn4.telegram-cdn.org/file/rxllsyzi0upEESVL4mM8eOaecWAKhc5WDiYi5TsGaAF3txPaoSh")
    assert by_id["topwar_official/71008"].media[0].url.startswith(
        "https://cdn4.telegram-cdn.org/file/a325394411.mp4?token=Hb8_B3_UgUv596y3")
    assert "unsupported_media" not in by_id["topwar_official/71006"].extra


# --- single-message fragments (real) -----------------------------------------------------------


def test_fragment_text() -> None:
    parsed = page("message_text.html")
    assert parsed.cursor is None  # a fragment has no "more" link and is not a full page
    (a,) = parsed.activities
    assert (a.native_id, a.type, a.created_at, a.metrics) == (
        "topwar_official/70991", "post", utc(2023, 2, 28, 8, 48, 1), {"views": 33400})
    assert a.text == (
        "Неопознанный летающий объект замечен в 160 – 200 км от Петербурга\n\nПо данным "
        "«Фонтанки», такую информацию министерство обороны по своим каналам сообщило в службу "
        "аэропорта Пулково. В связи с этим по установленной процедуре петербургский аэропорт "
        "пока не принимает самолёты и не даёт разрешения на взлёт. Какой-либо другой информации "
        "Минобороны в гражданские службы не сообщает.\n\nИсточник, близкий к Смольному, "
        "подтвердил, что небо закрыто из-за неопознанного летающего объекта. В воздух подняты "
        "истребители. Читатели «Фонтанки» рассказывают, что услышать их можно даже в центре: "
        "«Звуки как на параде»."
    )


def test_fragment_forwarded_photo() -> None:
    (a,) = page("message_media_forwarded_from.html").activities
    assert (a.native_id, a.type, a.created_at, a.metrics["views"]) == (
        "oper_goblin/22358", "share", utc(2023, 2, 27, 7, 20, 50), 214400)
    assert (a.forwarded_from, a.target_id, a.target_author_id) == (
        "dimsmirnov175", "dimsmirnov175/44604", "dimsmirnov175")
    assert a.extra["forwarded_from_name"] == "Пул N3"
    assert a.text == "Британская разведка выяснила, почему Ким Чен Ын начал выводить дочку в свет"
    assert [m.kind for m in a.media] == ["photo"]
    assert a.media[0].url.startswith("https://cdn4.telegram-cdn.org/file/keYrQp0kfuA-v2y8PsdF0")
    assert a.media[0].url.endswith("wb1FQ.jpg")


def test_fragment_file() -> None:
    (a,) = page("message_media_file.html").activities
    assert (a.native_id, a.type, a.created_at, a.metrics["views"], a.forwarded_from) == (
        "oper_goblin/16936", "share", utc(2022, 8, 3, 19, 31, 10), 171900, "kremlinprachka")
    assert a.extra["documents"] == [{"title": "Оппозиционные медиапроекты.pdf", "size": "2.1 MB"}]
    assert [(m.kind, m.url) for m in a.media] == [("file", "https://t.me/oper_goblin/16936")]
    assert a.text == ("Центр изучения новых коммуникаций подготовил исследование: «Оппозиционные "
                      "проекты, запущенные или получившие дополнительное финансирование на фоне "
                      "СВО»")


def test_fragment_photo_and_video_album() -> None:
    (a,) = page("message_media_photo_and_video.html").activities
    assert (a.native_id, a.created_at, a.metrics["views"]) == (
        "anna_news/46908", utc(2023, 2, 28, 6, 48, 36), 59500)
    assert [m.kind for m in a.media] == ["video", "photo", "photo"]  # document order
    assert a.media[0].url.startswith("https://cdn4.telegram-cdn.org/file/3fc678ce81.mp4?token=")
    # background-image: url(&quot;…&quot;) in the style attribute
    assert a.media[1].url.startswith("https://cdn4.telegram-cdn.org/file/hreFvq_I28dSzoM2DmY7")
    assert a.text == (
        "Ночью над Белгородом сбили 3 беспилотника\n\nОни упали на улицы города.\n\n"
        "Сообщается, что на себе БПЛА несли взрывчатку из пластида.\n\n"
        "#Белгород #Беспилотники\n\n@anna_news"
    )
    assert a.extra["hashtags"] == ["Белгород", "Беспилотники"]
    assert a.extra["links"] == ["https://t.me/anna_news"]


def test_fragment_link_previews() -> None:
    (a,) = page("message_link_preview.html").activities
    assert (a.native_id, a.created_at, a.metrics["views"]) == (
        "oper_goblin/22360", utc(2023, 2, 27, 7, 33, 14), 226200)
    assert a.text == "https://vnnews.ru/georgiy-zotov-okkupaciya-volosatym-kr/"
    assert a.extra["links"] == ["https://vnnews.ru/georgiy-zotov-okkupaciya-volosatym-kr/"]
    assert a.extra["link_preview"]["site_name"] == "Ваши новости — интернет-газета"
    assert a.extra["link_preview"]["title"] == "Георгий Зотов: ОККУПАЦИЯ ВОЛОСАТЫМ КРАБОМ"
    assert a.media == []  # a preview's picture is the linked page's, not an attachment

    (b,) = page("message_link_preview_text_only.html").activities
    assert b.text == ("http://publication.pravo.gov.ru/Document/View/0001202302270011"
                      "?index=7&rangeSize=1")
    assert b.extra["link_preview"]["description"] == (
        'Распоряжение Президента Российской Федерации от 27.02.2023 № 59-рп\n"О поощрении"')
    assert "image" not in b.extra["link_preview"]

    (c,) = page("message_link_preview_video.html").activities
    assert (c.native_id, c.created_at, c.metrics["views"]) == (
        "fighter_bomber/11226", utc(2023, 3, 1, 7, 37, 2), 69400)
    assert c.text == "Жениться вам, барин, пора! 😁\n\nhttps://t.me/shalnyak/5410"  # emoji kept
    assert c.extra["edited"] is True
    assert c.extra["link_preview"]["description"] == (
        "Дядь @fighter_bomber глянь!!!\nУ меня такааая разработка🔥\nДля чего пока не знаю, "
        "но жути наводит пздц как🤓")


# --- hand-made edge cases ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def edge():
    return parse_channel_page((TELEGRAM / "handmade" / "edge_cases.html").read_bytes(),
                              observed_at=OBSERVED)


def _one(parsed, number: int):
    return next(a for a in parsed.activities if a.native_id == f"kawalpilkada/{number}")


def test_edge_broken_messages_are_quarantined_rest_parsed(edge) -> None:
    assert [(p.item_ref, p.error) for p in edge.problems] == [
        ("data-post=KawalPilkada/rusak",
         "_BadMessage: data-post 'KawalPilkada/rusak' is not <channel>/<id>"),
        ("data-post=KawalPilkada/509",
         "_BadMessage: message has no time[datetime] (truncated page?)"),
    ]
    assert [a.native_id.split("/")[1] for a in edge.activities] == [
        "501", "502", "503", "504", "505", "506", "507", "510"]
    assert edge.cursor is None  # 10 messages, no "more" link: the channel's oldest page
    assert edge.info["channel"] == "KawalPilkada"


def test_edge_poll(edge) -> None:
    poll = _one(edge, 501)
    assert poll.type == "post" and poll.metrics == {"views": 37200}
    assert poll.extra["poll"] == {
        "question": "Siapa pilihanmu di Pilkada?", "type": "Anonymous poll",
        "options": [{"text": "Paslon 01", "percent": "62%"},
                    {"text": "Paslon 02", "percent": "38%"}],
        "voters": 1200,
    }
    assert poll.text == "Siapa pilihanmu di Pilkada?\nPaslon 01\nPaslon 02"


def test_edge_voice_round_video_sticker(edge) -> None:
    voice = _one(edge, 502)
    assert [(m.kind, m.url) for m in voice.media] == [
        ("voice", "https://cdn4.telesco.pe/file/voice502.ogg")]
    assert voice.extra["voice_duration"] == "0:15"
    assert voice.text == "Pesan suara dari posko"
    round_video = _one(edge, 503)
    assert [(m.kind, m.url) for m in round_video.media] == [
        ("round_video", "https://cdn4.telesco.pe/file/round503.mp4")]
    assert round_video.metrics == {"views": 1234}  # "1,234"
    sticker = _one(edge, 504)
    assert [(m.kind, m.url) for m in sticker.media] == [
        ("sticker", "https://cdn4.telesco.pe/file/sticker504.webp")]
    assert sticker.media_count == 1 and sticker.text == ""


def test_edge_service_message(edge) -> None:
    service = _one(edge, 505)
    assert (service.type, service.text, service.extra) == (
        "post", "Channel photo updated", {"service": True})
    assert service.metrics == {}


def test_edge_signed_edited_reply_with_emoji(edge) -> None:
    a = _one(edge, 506)
    assert a.reply_to == "kawalpilkada/501"
    # The quoted reply's text ("Siapa pilihanmu…") is not this message's text.
    assert a.text == "Hasil sementara 😁\nBaca: https://example.org/hasil #Pilkada2024"
    assert a.metrics == {"views": 1_200_000}
    assert a.extra["author_signature"] == "Admin Budi"
    assert a.extra["edited"] is True
    assert a.extra["links"] == ["https://example.org/hasil"]
    assert a.extra["hashtags"] == ["Pilkada2024"]
    assert a.created_at == utc(2024, 11, 20, 9, 30)


def test_edge_forward_from_hidden_user(edge) -> None:
    a = _one(edge, 507)
    assert (a.type, a.forwarded_from, a.target_id, a.target_author_id) == (
        "share", "Relawan Anonim", None, None)


@pytest.mark.parametrize("text, value", [
    ("37.2K", 37_200), ("1.2M", 1_200_000), ("905", 905), ("214.4K", 214_400),
    ("1,234", 1234), ("2B", 2_000_000_000), ("", None), ("n/a", None), (None, None),
])
def test_parse_views(text, value) -> None:
    assert parse_views(text) == value


# --- whole-page failures and paging ------------------------------------------------------------


def test_truncated_page_keeps_complete_messages() -> None:
    body = (TELEGRAM / "full.html").read_bytes()
    cut = body.index(b'datetime="2023-02-28T13:14:03')  # inside the last message, before its time
    parsed = parse_channel_page(body[:cut], source_url="full.html")
    assert len(parsed.activities) == 11
    assert parsed.activities[-1].native_id == "topwar_official/71007"
    assert [p.item_ref for p in parsed.problems] == ["data-post=topwar_official/71008"]


@pytest.mark.parametrize("body", [b"", b"<html><body><p>Hello</p></body></html>",
                                  b'{"feed": []}'])
def test_not_a_telegram_page(body: bytes) -> None:
    with pytest.raises(ParseError, match=r"^https://t.me/s/x: not a Telegram channel page"):
        parse_channel_page(body, source_url="https://t.me/s/x")


def test_join_page_instead_of_preview() -> None:
    body = (b'<html><body><div class="tgme_page"><div class="tgme_page_title">Some chat</div>'
            b'<div class="tgme_page_extra">1 234 members</div></div></body></html>')
    with pytest.raises(ParseError, match="no public preview"):
        parse_channel_page(body, source_url="https://t.me/s/private")


def test_empty_history_page_has_no_cursor() -> None:
    body = (b'<main class="tgme_main" data-url="/KawalPilkada"><section class="tgme_channel_history'
            b' js-message_history"></section></main>')
    parsed = parse_channel_page(body)
    assert (parsed.activities, parsed.problems, parsed.cursor) == ([], [], None)
    assert parsed.info["channel"] == "KawalPilkada"


def test_full_page_without_more_link_pages_from_smallest_id() -> None:
    # 20 copies of a real message with ids 101..120 and no "more" link: a full page, so the
    # next older page starts before the smallest id.
    one = (TELEGRAM / "message_text.html").read_text("utf-8")
    body = "".join(re.sub(r"topwar_official/70991", f"topwar_official/{100 + i}", one)
                   for i in range(1, 21))
    parsed = parse_channel_page(body)
    assert len(parsed.activities) == 20
    assert parsed.cursor == "101"
    assert (parsed.info["min_id"], parsed.info["max_id"]) == (101, 120)


def test_str_and_bytes_give_the_same_result() -> None:
    raw = (TELEGRAM / "full.html").read_bytes()
    a = parse_channel_page(raw, observed_at=OBSERVED)
    b = parse_channel_page(raw.decode("utf-8"), observed_at=OBSERVED)
    assert a == b
