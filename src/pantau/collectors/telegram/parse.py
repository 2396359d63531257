"""Telegram channel preview pages (``https://t.me/s/<channel>``) -> activities. Pure, no I/O.

Accepts a whole page or a fragment holding one or more ``div.tgme_widget_message`` (as saved
from a page). Every message becomes one activity:

- type ``share`` for a forward (``forwarded_from`` = the source channel's username, lower case,
  or the shown name when Telegram gives no link; name and link are kept in ``extra``; the
  forwarded post, when linked, is the target), ``post`` for everything else;
- service messages ("Channel photo updated", "Live stream started", ...) are kept as ``post``
  with ``extra["service"] = True``: they are the channel's own acts and can matter (a candidate
  photo as channel photo); later stages may skip them;
- ``native_id`` = ``<channel>/<id>`` with the channel lower-cased (usernames are
  case-insensitive; a stable id must not depend on how a page spells it); the URL keeps the
  channel as written;
- polls, voice notes, round videos, stickers and files are read too (``media`` kinds
  ``voice``, ``round_video``, ``sticker``, ``file``; a poll in ``extra["poll"]``).

A message that cannot be read (no id, no time: a truncated page) goes to ``Parsed.problems``;
the rest still parse. A body that is not a Telegram page at all raises `ParseError`.

Speed (``bench/bench_parse_telegram.py``): the raw bytes are trimmed before parsing (the page
head, the scripts after ``</main>``, the avatar blocks and the inline SVG bubble tails carry no
content; ``<br>`` becomes a marker in one pass), and the whole page is read with ONE CSS query:
its results arrive in document order, so each message's parts follow the message node and are
dispatched on their class. Selectors for rare features (polls, voice, forwards, ...) are only
added when the page contains them at all, found in one regex pass; a rare container's parts
are looked up inside it. Every full scan of the bytes costs tens of microseconds and every
selector one walk of the tree, so both are counted.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ...errors import ParseError
from ...records import Activity, ActivityType, Media, Platform
from ...timeutil import parse_iso, utcnow
from ..base import ItemProblem, Parsed
from ..htmltext import collapse, link_or_tag, mark_breaks

BASE_URL = "https://t.me"
PAGE_SIZE = 20  # messages on a full t.me/s page; a shorter page without "more" is the oldest

_VIEWS = re.compile(r"^([\d.,]+)\s*([KMB]?)$", re.IGNORECASE)
_MULTIPLIER = {"": 1, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000}

_MESSAGE = "div.tgme_widget_message[data-post]"
# Selectors every message is read with, and optional ones keyed by a marker that must occur in
# the page for them to be worth asking. Parts of rare containers (a poll's options, a link
# preview's title) are looked up inside the container instead: cheaper than making every
# node of the page match more selectors.
_ALWAYS = (
    ".tgme_widget_message_text", ".tgme_widget_message_text a[href]",
    ".tgme_widget_message_photo_wrap", ".tgme_widget_message_views",
    ".tgme_widget_message_date time[datetime]",
)
_OPTIONAL = {
    b"edited": (".tgme_widget_message_meta",),
    b"message_media_not_supported": (".message_media_not_supported",),
}
# The same for class names (less their "tgme_widget_message_" prefix), all found in ONE regex
# pass (`_RARE`): a full scan costs about as much whatever the needle, so one pass for all
# beats one `in` each ("reply" adds no selector: it says whether `_replies` must run).
_OPTIONAL_CLASSES: dict[bytes, tuple[str, ...]] = {
    b"reply": (),
    b"forwarded_from_name": (".tgme_widget_message_forwarded_from_name",),
    b"from_author": (".tgme_widget_message_from_author",),
    b"video_player": (".tgme_widget_message_video_player",),
    b"roundvideo_player": (".tgme_widget_message_roundvideo_player",),
    b"voice_player": (".tgme_widget_message_voice_player",),
    b"sticker": (".tgme_widget_message_sticker",),
    b"tgsticker_image": (".tgme_widget_message_tgsticker_image",),
    b"videosticker": ("video.tgme_widget_message_videosticker",),
    b"document_wrap": (".tgme_widget_message_document_wrap",),
    b"link_preview": (".tgme_widget_message_link_preview",),
    b"poll": (".tgme_widget_message_poll", ".tgme_widget_message_voters"),
}
_RARE = re.compile(rb"tgme_widget_message_(" + b"|".join(_OPTIONAL_CLASSES) + rb")")
# Class token -> role in the dispatch below (first known token of a node wins).
_ROLE = {
    "tgme_widget_message_from_author": "signature",
    "tgme_widget_message_forwarded_from_name": "forward",
    "tgme_widget_message_text": "text",
    "tgme_widget_message_views": "views",
    "tgme_widget_message_meta": "meta",
    "tgme_widget_message_photo_wrap": "photo",
    "tgme_widget_message_video_player": "video",
    "tgme_widget_message_roundvideo_player": "round_video",
    "tgme_widget_message_voice_player": "voice",
    "tgme_widget_message_sticker": "sticker",
    "tgme_widget_message_tgsticker_image": "sticker",
    "tgme_widget_message_videosticker": "sticker",
    "tgme_widget_message_document_wrap": "document",
    "tgme_widget_message_link_preview": "preview",
    "tgme_widget_message_poll": "poll",
    "tgme_widget_message_voters": "voters",
    "message_media_not_supported": "unsupported",
}
# Player kind -> (selector of the playable source, selector of its thumbnail).
_PLAYER_PARTS = {
    "video": ("video.tgme_widget_message_video[src]", ".tgme_widget_message_video_thumb"),
    "round_video": ("video.tgme_widget_message_roundvideo[src]",
                    ".tgme_widget_message_roundvideo_thumb"),
    "voice": ("audio.tgme_widget_message_voice[src]", None),
}


class _BadMessage(ValueError):
    """One message cannot be turned into an activity."""


def parse_views(text: str | None) -> int | None:
    """'37.2K' -> 37200, '1.2M' -> 1200000, '905' -> 905; None for no or unreadable text."""
    if not text:
        return None
    if text.isdecimal():
        return int(text)
    match = _VIEWS.match(text.strip().replace("\xa0", ""))
    if not match:
        return None
    number, suffix = match.groups()
    # Exact integer arithmetic (no float rounding, and cheaper than Decimal): "37.2" with
    # "K" is 372 * 1000 // 10, truncated like int(Decimal("37.2") * 1000).
    whole, _, fraction = number.replace(",", "").partition(".")
    if "." in fraction or not (whole or fraction):
        return None
    return int(whole + fraction) * _MULTIPLIER[suffix.upper()] // 10 ** len(fraction)


def background_url(
    node: LexborNode | None, attrs: dict[str, str | None] | None = None
) -> str | None:
    """The URL in a ``style="background-image:url('…')"``; protocol-relative made https.

    `attrs` are the node's attributes when the caller already has them."""
    if node is None:
        return None
    style = (attrs if attrs is not None else node.attributes).get("style") or ""
    start = style.find("background-image")
    start = style.find("url(", start) if start >= 0 else -1
    if start < 0:
        return None
    end = style.find(")", start)
    url = style[start + 4 : end if end > 0 else None].strip().strip("'\"")
    if not url:
        return None
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


def _cut(body: bytes, start: bytes, end: bytes, unless: bytes | None = None) -> bytes:
    """`body` without every ``start … end`` span (up to the first `end`). A span holding
    `unless` (a nested element that `end` would close first) is kept whole."""
    j = body.find(start)
    if j < 0:
        return body
    out: list[bytes] = []
    i = 0
    while j >= 0:
        k = body.find(end, j)
        if k < 0:
            break
        if unless is None or body.find(unless, j + len(start), k) < 0:
            out.append(body[i:j])
            i = k + len(end)
        j = body.find(start, k + len(end))
    out.append(body[i:])
    return b"".join(out)


def _prepare(body: bytes | str) -> bytes:
    """The bytes worth parsing: never-read blocks cut (each node costs parse time and one visit
    per selector of the query), ``<br>`` marked."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    main = data.find(b"<main")
    if main > 0:
        # <head> and the channel header hold no messages, and only scripts follow </main>
        # ("tgsticker.js" among them would add the sticker selectors).
        end = data.rfind(b"</main>")
        data = data[main:end] if end > main else data[main:]
    # The avatar (a link, an icon, an image with a long URL) of every message; kept whole if
    # it ever nests a <div>, which its first </div> would not close.
    data = _cut(data, b'<div class="tgme_widget_message_user">', b"</div>", b"<div")
    return mark_breaks(_cut(data, b"<svg", b"</svg>"))


@lru_cache(maxsize=512)  # bounded: a photo's class string carries its ids
def _role(classes: str) -> str | None:
    """The role of the first class token with one, or None (cached: most class strings
    recur on every message)."""
    for token in classes.split():
        role = _ROLE.get(token)
        if role:
            return role
    return None


def _text(node: LexborNode | None) -> str:
    """`htmltext.node_text`, with lexbor's own text_content: one buffer and one decode, not
    one per text node."""
    return collapse(node.text_lexbor()) if node is not None else ""


def _first_text(node: LexborNode, selector: str) -> str:
    return _text(node.css_first(selector))


class _Reader:
    """Collects one message's parts from the stream of its matching nodes."""

    def __init__(self) -> None:
        self.extra: dict[str, Any] = {}
        self.media: list[Media] = []
        self.links: dict[str, None] = {}
        self.tags: dict[str, None] = {}
        self.text: str | None = None
        self.time: str | None = None
        self.views: int | None = None
        self.forward: LexborNode | None = None
        self.preview: dict[str, Any] | None = None
        self.poll: dict[str, Any] | None = None
        self.documents: list[dict[str, str]] = []

    def feed(self, node: LexborNode, attrs: dict[str, str | None]) -> None:
        if node.tag == "time":
            self.time = self.time or attrs.get("datetime")
            return
        role = _role(attrs.get("class") or "")
        if role is None:
            if node.tag == "a":  # a link inside the message text
                url, tag = link_or_tag(node, attrs)
                if url:
                    self.links[url] = None
                if tag:
                    self.tags[tag] = None
            return
        self._dispatch(role, node, attrs)

    def _dispatch(  # noqa: C901 - a flat switch over the roles
        self, role: str, node: LexborNode, attrs: dict[str, str | None]
    ) -> None:
        if role == "text":
            if self.text is None:  # the outer one; an album caption nests a second
                self.text = _text(node)
        elif role == "views":
            self.views = parse_views(_text(node))
        elif role == "meta":
            if "edited" in node.text_lexbor():
                self.extra["edited"] = True
        elif role == "signature":
            self.extra["author_signature"] = _text(node)
        elif role == "forward":
            self.forward = node
        elif role == "photo":
            url = background_url(node, attrs)
            if url:
                self.media.append(Media(url=url, kind="photo"))
        elif role in _PLAYER_PARTS:
            source_sel, thumb_sel = _PLAYER_PARTS[role]
            source = node.css_first(source_sel)
            url = source.attributes.get("src") if source is not None else None
            if not url and thumb_sel:
                # A video too large for the preview has only a thumbnail; still a video.
                url = background_url(node.css_first(thumb_sel))
            self.media.append(Media(url=url or "", kind=role))
            if role == "voice":
                self.extra["voice_duration"] = _first_text(
                    node, ".tgme_widget_message_voice_duration")
        elif role == "sticker":
            url = attrs.get("data-webp") or attrs.get("src") or background_url(node, attrs) or ""
            self.media.append(Media(url=url, kind="sticker"))
        elif role == "document":
            self.documents.append({
                "title": _first_text(node, ".tgme_widget_message_document_title"),
                "size": _first_text(node, ".tgme_widget_message_document_extra"),
            })
            self.media.append(Media(url=attrs.get("href") or "", kind="file"))
        elif role == "preview":
            image = node.css_first(
                ".link_preview_image, .link_preview_right_image, .link_preview_video_thumb")
            self.preview = {
                "url": attrs.get("href"),
                "site_name": _first_text(node, ".link_preview_site_name"),
                "title": _first_text(node, ".link_preview_title"),
                "description": _first_text(node, ".link_preview_description"),
                "image": background_url(image),
            }
        elif role == "poll":
            self.poll = {
                "question": _first_text(node, ".tgme_widget_message_poll_question"),
                "type": _first_text(node, ".tgme_widget_message_poll_type"),
                "options": [
                    {
                        "text": _first_text(option, ".tgme_widget_message_poll_option_text"),
                        "percent": _first_text(option,
                                               ".tgme_widget_message_poll_option_percent"),
                    }
                    for option in node.css(".tgme_widget_message_poll_option")
                ],
                "voters": None,
            }
        elif role == "voters":  # in the footer, after the poll
            if self.poll is not None:
                self.poll["voters"] = parse_views(_text(node).split(" ")[0])
        elif role == "unsupported":
            self.extra["unsupported_media"] = True


def _message(
    msg: dict[str, str | None], nodes: list[tuple[LexborNode, dict[str, str | None]]],
    observed: datetime, reply: str | None,
) -> Activity:
    """One message from its attributes and its matching descendants (in document order)."""
    post = msg.get("data-post") or ""
    channel, _, number = post.partition("/")
    if not channel or not number.isdigit():
        raise _BadMessage(f"data-post {post!r} is not <channel>/<id>")
    r = _Reader()
    for node, attrs in nodes:
        r.feed(node, attrs)
    if not r.time:
        raise _BadMessage("message has no time[datetime] (truncated page?)")
    created = parse_iso(r.time)
    extra = r.extra
    if "service_message" in (msg.get("class") or ""):
        extra["service"] = True

    kind = ActivityType.POST
    forwarded_from = target_id = target_author_id = target_author_handle = None
    if r.forward is not None:
        kind = ActivityType.SHARE
        name = _text(r.forward)
        href = r.forward.attributes.get("href")
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

    text = r.text or ""
    if r.preview:
        preview = {k: v for k, v in r.preview.items() if v}
        extra["link_preview"] = preview
        if preview.get("url"):
            r.links[preview["url"]] = None
    if r.links:
        extra["links"] = list(r.links)
    if r.tags:
        extra["hashtags"] = list(r.tags)
    if r.poll:
        extra["poll"] = r.poll
        if not text:  # a poll's question and options are what it says
            text = "\n".join([r.poll["question"], *(o["text"] for o in r.poll["options"])])
    if r.documents:
        extra["documents"] = r.documents
    if r.media and "unsupported_media" in extra:
        del extra["unsupported_media"]  # a video's own "not supported in your browser" note

    return Activity(
        platform=Platform.TELEGRAM.value,
        type=kind.value,
        actor_id=channel.lower(),
        actor_handle=channel,
        native_id=f"{channel.lower()}/{int(number)}",
        target_id=target_id,
        target_author_id=target_author_id,
        target_author_handle=target_author_handle,
        text=text.strip(),
        created_at=created,
        observed_at=observed,
        url=f"{BASE_URL}/{channel}/{int(number)}",
        reply_to=reply,
        forwarded_from=forwarded_from,
        media=r.media,
        media_count=len(r.media),
        metrics={"views": r.views} if r.views is not None else {},
        extra=extra,
    )


def _owner(node: LexborNode) -> LexborNode | None:
    while node is not None and "data-post" not in node.attributes:
        node = node.parent
    return node


def _replies(tree: LexborHTMLParser) -> dict[str, str]:
    """data-post -> replied-to native id; the quoted replies are then removed from the tree,
    so the replied message's text is never read as this message's."""
    found: dict[str, str] = {}
    for reply in tree.css("a.tgme_widget_message_reply"):
        owner = _owner(reply)
        r_chan, r_id = _post_ref(reply.attributes.get("href"))
        if owner is not None and r_chan and r_id is not None:
            found[owner.attributes.get("data-post") or ""] = f"{r_chan.lower()}/{r_id}"
        reply.decompose()
    return found


def _grouped(
    tree: LexborHTMLParser, data: bytes, classes: set[bytes]
) -> list[tuple[dict[str, str | None], list[tuple[LexborNode, dict[str, str | None]]]]]:
    """Every message with its matching descendants, from ONE query over the document.

    `classes` are the `_OPTIONAL_CLASSES` keys found in `data`. Results come in document
    order, so each message's parts follow it until the next one."""
    selectors = [_MESSAGE, *_ALWAYS]
    for marker, extra in _OPTIONAL.items():
        if marker in data:
            selectors.extend(extra)
    for name, extra in _OPTIONAL_CLASSES.items():
        if name in classes:
            selectors.extend(extra)
    groups: list[tuple[dict[str, str | None], list[tuple[LexborNode, dict[str, str | None]]]]]
    groups = []
    for node in tree.css(", ".join(selectors)):
        attrs = node.attributes
        if "data-post" in attrs and node.tag == "div":
            groups.append((attrs, []))
        elif groups:
            groups[-1][1].append((node, attrs))
    return groups


def parse_channel_page(
    body: bytes | str, *, source_url: str | None = None, observed_at: datetime | None = None
) -> Parsed:
    """Parse a ``t.me/s/<channel>`` page (or a fragment of its messages) into activities."""
    observed = observed_at or utcnow()
    data = _prepare(body)
    classes = set(_RARE.findall(data))
    tree = LexborHTMLParser(data)
    replies = _replies(tree) if b"reply" in classes else {}
    groups = _grouped(tree, data, classes)
    if not groups and tree.css_first(".tgme_channel_history, .tgme_widget_message_wrap") is None:
        if tree.css_first(".tgme_page, .tgme_page_extra") is not None:
            raise ParseError(
                "Telegram answered with a channel's join page, not its preview: the channel "
                "does not exist or has no public preview",
                source=source_url,
            )
        raise ParseError("not a Telegram channel page (no tgme_widget_message)", source=source_url)

    parsed = Parsed(info={"channel": None, "min_id": None, "max_id": None})
    ids: list[int] = []
    for attrs, nodes in groups:
        ref = attrs.get("data-post") or "?"
        try:
            activity = _message(attrs, nodes, observed, replies.get(ref))
        except Exception as exc:  # noqa: BLE001 - one bad message must not lose the page
            parsed.problems.append(ItemProblem(f"data-post={ref}", f"{type(exc).__name__}: {exc}"))
            continue
        parsed.activities.append(activity)
        ids.append(int(ref.rsplit("/", 1)[1]))

    if parsed.activities:
        parsed.info["channel"] = parsed.activities[0].actor_handle
        # The channel's display name, the same on every message: read once, not per message.
        parsed.info["channel_title"] = _text(
            tree.css_first(".tgme_widget_message_owner_name")) or None
    else:
        main = tree.css_first("main[data-url]")
        url = main.attributes.get("data-url") if main is not None else None
        parsed.info["channel"] = (url or "").strip("/").split("/")[-1] or None
    if ids:
        parsed.info["min_id"], parsed.info["max_id"] = min(ids), max(ids)
    more = tree.css_first("a.tme_messages_more[data-before]")
    before = more.attributes.get("data-before") if more is not None else None
    if before and before.isdigit():
        parsed.cursor = before
    elif len(groups) >= PAGE_SIZE and ids:
        parsed.cursor = str(min(ids))
    return parsed


__all__ = ["PAGE_SIZE", "background_url", "parse_channel_page", "parse_views"]
