"""Telegram channel preview pages (``https://t.me/s/<channel>``) -> activities. Pure, no I/O.

Accepts a whole page or a fragment holding one or more ``div.tgme_widget_message`` (as saved
from a page). Every message becomes one activity:

- type ``share`` for a forward (``forwarded_from`` = the source channel's username, lower case,
  or the shown name when Telegram gives no link; name and link are kept in ``extra``; the
  forwarded post, when linked, is the target), ``post`` for everything else;
- service messages ("Channel photo updated", "Live stream started", ...) are kept as ``post``
  with ``extra["service"] = True``: they are the channel's own acts and can matter (a candidate
  photo as channel photo), and downstream stages may skip them;
- ``native_id`` = ``<channel>/<id>`` with the channel lower-cased (usernames are
  case-insensitive; the stable activity id must not depend on how a page spells it), the URL
  keeps the channel as written.

A message that cannot be read (no id, no time: a truncated page) goes to ``Parsed.problems``;
the rest still parse. A body that is not a Telegram page at all raises `ParseError`.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ...errors import ParseError
from ...records import Activity, ActivityType, Media, Platform
from ...timeutil import parse_iso, utcnow
from ..base import ItemProblem, Parsed
from ..htmltext import collapse, node_links, node_text

BASE_URL = "https://t.me"
PAGE_SIZE = 20  # messages on a full t.me/s page; a shorter page without "more" is the oldest

_BG_URL = re.compile(r"background-image\s*:\s*url\(\s*(['\"]?)(.*?)\1\s*\)")
_VIEWS = re.compile(r"^([\d.,]+)\s*([KMB]?)$", re.IGNORECASE)
_MULTIPLIER = {"": 1, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000}


class _BadMessage(ValueError):
    """One message cannot be turned into an activity."""


def parse_views(text: str | None) -> int | None:
    """'37.2K' -> 37200, '1.2M' -> 1200000, '905' -> 905; None for no or unreadable text."""
    if not text:
        return None
    match = _VIEWS.match(text.strip().replace("\xa0", ""))
    if not match:
        return None
    number, suffix = match.groups()
    try:
        value = Decimal(number.replace(",", "")) * _MULTIPLIER[suffix.upper()]
    except InvalidOperation:
        return None
    return int(value)


def background_url(node: LexborNode | None) -> str | None:
    """The URL in a ``style="background-image:url('…')"``; protocol-relative made https."""
    if node is None:
        return None
    match = _BG_URL.search(node.attributes.get("style") or "")
    if not match or not match.group(2):
        return None
    url = match.group(2)
    return "https:" + url if url.startswith("//") else url


def _post_ref(href: str | None) -> tuple[str | None, int | None]:
    """'https://t.me/chan/123' -> ('chan', 123); 'https://t.me/chan' -> ('chan', None)."""
    if not href:
        return None, None
    parts = [p for p in urlsplit(href).path.split("/") if p]
    if parts and parts[0] == "s":
        parts = parts[1:]
    if not parts or parts[0] == "c":  # t.me/c/<id>/<msg>: a private chat, no public name
        return None, None
    msg = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
    return parts[0], msg


def _text_of(node: LexborNode | None) -> str:
    return collapse(node.text(deep=True)) if node is not None else ""


def _decode(body: bytes | str) -> str:
    if isinstance(body, bytes):
        return body.decode("utf-8", errors="replace")  # t.me always serves UTF-8
    return body


def _media(msg: LexborNode, extra: dict[str, Any]) -> list[Media]:
    media: list[Media] = []
    for node in msg.css(".tgme_widget_message_photo_wrap"):
        url = background_url(node)
        if url:
            media.append(Media(url=url, kind="photo"))
    for node in msg.css(".tgme_widget_message_video_player"):
        video = node.css_first("video[src]")
        url = video.attributes.get("src") if video is not None else None
        url = url or background_url(node.css_first(".tgme_widget_message_video_thumb"))
        # A video too large for the preview has only its thumbnail; it is still a video.
        media.append(Media(url=url or "", kind="video"))
    for node in msg.css(".tgme_widget_message_roundvideo_player"):
        video = node.css_first("video[src]")
        url = video.attributes.get("src") if video is not None else None
        url = url or background_url(node.css_first(".tgme_widget_message_roundvideo_thumb"))
        media.append(Media(url=url or "", kind="round_video"))
    for node in msg.css(".tgme_widget_message_voice_player"):
        audio = node.css_first("audio[src]")
        media.append(Media(url=(audio.attributes.get("src") or "") if audio else "", kind="voice"))
        duration = node.css_first(".tgme_widget_message_voice_duration")
        if duration is not None:
            extra["voice_duration"] = _text_of(duration)
    for node in msg.css(
        ".tgme_widget_message_sticker, .tgme_widget_message_tgsticker_image, "
        ".tgme_widget_message_videosticker"
    ):
        url = (node.attributes.get("data-webp") or node.attributes.get("src")
               or background_url(node) or "")
        media.append(Media(url=url, kind="sticker"))
    documents = []
    for node in msg.css(".tgme_widget_message_document_wrap"):
        title = _text_of(node.css_first(".tgme_widget_message_document_title"))
        size = _text_of(node.css_first(".tgme_widget_message_document_extra"))
        documents.append({"title": title, "size": size})
        media.append(Media(url=node.attributes.get("href") or "", kind="file"))
    if documents:
        extra["documents"] = documents
    return media


def _poll(msg: LexborNode) -> dict[str, Any] | None:
    poll = msg.css_first(".tgme_widget_message_poll")
    if poll is None:
        return None
    options = []
    for option in poll.css(".tgme_widget_message_poll_option"):
        options.append({
            "text": _text_of(option.css_first(".tgme_widget_message_poll_option_text")),
            "percent": _text_of(option.css_first(".tgme_widget_message_poll_option_percent")),
        })
    voters = msg.css_first(".tgme_widget_message_voters")
    return {
        "question": _text_of(poll.css_first(".tgme_widget_message_poll_question")),
        "type": _text_of(poll.css_first(".tgme_widget_message_poll_type")),
        "options": options,
        "voters": parse_views(_text_of(voters).split(" ")[0]) if voters is not None else None,
    }


def _link_preview(msg: LexborNode) -> dict[str, Any] | None:
    node = msg.css_first(".tgme_widget_message_link_preview")
    if node is None:
        return None
    image = node.css_first(".link_preview_image, .link_preview_right_image, "
                           ".link_preview_video_thumb")
    preview = {
        "url": node.attributes.get("href"),
        "site_name": _text_of(node.css_first(".link_preview_site_name")),
        "title": _text_of(node.css_first(".link_preview_title")),
        "description": node_text(d) if (d := node.css_first(".link_preview_description")) else "",
        "image": background_url(image),
    }
    return {k: v for k, v in preview.items() if v}


def _message(msg: LexborNode, observed: datetime) -> Activity:
    post = msg.attributes.get("data-post") or ""
    channel, _, number = post.partition("/")
    if not channel or not number.isdigit():
        raise _BadMessage(f"data-post {post!r} is not <channel>/<id>")
    time = msg.css_first(".tgme_widget_message_date time[datetime]") or msg.css_first(
        "time[datetime]"
    )
    if time is None:
        raise _BadMessage("message has no time[datetime] (truncated page?)")
    created = parse_iso(time.attributes.get("datetime") or "")
    extra: dict[str, Any] = {}

    reply_to = None
    reply = msg.css_first("a.tgme_widget_message_reply")
    if reply is not None:
        r_chan, r_id = _post_ref(reply.attributes.get("href"))
        if r_chan and r_id is not None:
            reply_to = f"{r_chan.lower()}/{r_id}"
        # The quoted reply shows the other message's text; it must not be read as this one's.
        reply.decompose()

    classes = (msg.attributes.get("class") or "").split()
    if "service_message" in classes:
        extra["service"] = True
    owner = msg.css_first(".tgme_widget_message_owner_name")
    if owner is not None:
        extra["channel_title"] = _text_of(owner)
    signature = msg.css_first(".tgme_widget_message_from_author")
    if signature is not None:
        extra["author_signature"] = _text_of(signature)
    meta = msg.css_first(".tgme_widget_message_meta")
    if meta is not None and "edited" in meta.text(deep=True):
        extra["edited"] = True

    kind = ActivityType.POST
    forwarded_from = target_id = target_author_id = target_author_handle = None
    fwd = msg.css_first(".tgme_widget_message_forwarded_from_name")
    if fwd is not None:
        kind = ActivityType.SHARE
        name = _text_of(fwd)
        href = fwd.attributes.get("href")
        f_chan, f_id = _post_ref(href)
        extra["forwarded_from_name"] = name
        if href:
            extra["forwarded_from_url"] = href
        if f_chan:
            forwarded_from = target_author_id = f_chan.lower()
            target_author_handle = f_chan
            if f_id is not None:
                target_id = f"{f_chan.lower()}/{f_id}"
        else:
            forwarded_from = name  # a user who hides their account, or a private chat

    text_node = msg.css_first(".js-message_text, .tgme_widget_message_text")
    text = ""
    links: list[str] = []
    if text_node is not None:
        links, tags = node_links(text_node)
        if tags:
            extra["hashtags"] = tags
        text = node_text(text_node)
    preview = _link_preview(msg)
    if preview:
        extra["link_preview"] = preview
        if preview.get("url") and preview["url"] not in links:
            links.append(preview["url"])
    if links:
        extra["links"] = links
    poll = _poll(msg)
    if poll:
        extra["poll"] = poll
        if not text:  # a poll's question and options are what it says
            text = "\n".join([poll["question"], *(o["text"] for o in poll["options"])]).strip()
    media = _media(msg, extra)
    if msg.css_first(".message_media_not_supported") is not None and not media:
        extra["unsupported_media"] = True

    metrics: dict[str, Any] = {}
    views = parse_views(_text_of(msg.css_first(".tgme_widget_message_views")) or None)
    if views is not None:
        metrics["views"] = views

    return Activity(
        platform=Platform.TELEGRAM.value,
        type=kind.value,
        actor_id=channel.lower(),
        actor_handle=channel,
        native_id=f"{channel.lower()}/{int(number)}",
        target_id=target_id,
        target_author_id=target_author_id,
        target_author_handle=target_author_handle,
        text=text,
        created_at=created,
        observed_at=observed,
        url=f"{BASE_URL}/{channel}/{int(number)}",
        reply_to=reply_to,
        forwarded_from=forwarded_from,
        media=media,
        media_count=len(media),
        metrics=metrics,
        extra=extra,
    )


def _page_channel(tree: LexborHTMLParser) -> str | None:
    main = tree.css_first("main.tgme_main[data-url]")
    if main is not None:
        return (main.attributes.get("data-url") or "").strip("/").split("/")[-1] or None
    return None


def parse_channel_page(
    body: bytes | str, *, source_url: str | None = None, observed_at: datetime | None = None
) -> Parsed:
    """Parse a ``t.me/s/<channel>`` page (or a fragment of its messages) into activities."""
    observed = observed_at or utcnow()
    tree = LexborHTMLParser(_decode(body))
    messages = tree.css("div.tgme_widget_message[data-post]")
    if not messages:
        if tree.css_first(".tgme_channel_history, .tgme_widget_message_wrap") is None:
            if tree.css_first(".tgme_page, .tgme_page_extra") is not None:
                raise ParseError(
                    "Telegram answered with a channel's join page, not its preview: the channel "
                    "does not exist or has no public preview",
                    source=source_url,
                )
            raise ParseError("not a Telegram channel page (no tgme_widget_message)",
                             source=source_url)
    parsed = Parsed(info={"channel": None, "min_id": None, "max_id": None})
    ids: list[int] = []
    for msg in messages:
        ref = msg.attributes.get("data-post") or "?"
        try:
            activity = _message(msg, observed)
        except Exception as exc:  # noqa: BLE001 - one bad message must not lose the page
            parsed.problems.append(ItemProblem(f"data-post={ref}", f"{type(exc).__name__}: {exc}"))
            continue
        parsed.activities.append(activity)
        ids.append(int(activity.native_id.rsplit("/", 1)[1]))  # type: ignore[union-attr]

    channel = parsed.activities[0].actor_handle if parsed.activities else _page_channel(tree)
    parsed.info["channel"] = channel
    if ids:
        parsed.info["min_id"], parsed.info["max_id"] = min(ids), max(ids)
    more = tree.css_first("a.tme_messages_more[data-before]")
    if more is not None and (more.attributes.get("data-before") or "").isdigit():
        parsed.cursor = more.attributes["data-before"]
    elif len(messages) >= PAGE_SIZE and ids:
        parsed.cursor = str(min(ids))
    return parsed


__all__ = ["PAGE_SIZE", "background_url", "parse_channel_page", "parse_views"]
