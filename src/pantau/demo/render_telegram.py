"""Telegram's public channel preview (``t.me/s/<channel>``) for the demo world.

The markup follows a real capture (tests/fixtures/telegram/full.html, see PROVENANCE.md):
``div.tgme_widget_message[data-post]``, ``.tgme_widget_message_text``, ``time[datetime]``,
``span.tgme_widget_message_views``, ``.tgme_widget_message_forwarded_from``, the photo
``a.tgme_widget_message_photo_wrap`` with its ``background-image``, and the older-page link
``a.tme_messages_more[data-before]``. Twenty messages per page, oldest at the top, like t.me.
Links inside the page point at https://t.me as on the real site; only images point at the demo
server, because they are what a collector downloads.
"""

from __future__ import annotations

import base64
import html
import json
import re
from bisect import bisect_left, bisect_right

from .world import DemoAccount, DemoPost, World

PAGE_SIZE = 20
_HASHTAG = re.compile(r"#(\w+)")


def _views(post: DemoPost) -> str:
    n = 150 + (post.uid * 7919) % 48000
    return f"{n / 1000:.1f}K" if n >= 1000 else str(n)


def _text_html(text: str) -> str:
    escaped = html.escape(text, quote=False).replace("\n", "<br/>")
    return _HASHTAG.sub(lambda m: f'<a href="?q=%23{m.group(1)}">#{m.group(1)}</a>', escaped)


def _message(world: World, post: DemoPost, base: str) -> str:
    chan = post.author.handle
    msg_url = f"https://t.me/{chan}/{post.local_id}"
    when = post.created_at
    view = base64.urlsafe_b64encode(
        json.dumps({"c": post.author.uid, "p": int(post.local_id), "t": post.ms // 1000}).encode()
    ).decode().rstrip("=")
    parts = [
        '<div class="tgme_widget_message_wrap js-widget_message_wrap">',
        f'<div class="tgme_widget_message text_not_supported_wrap js-widget_message" '
        f'data-post="{chan}/{post.local_id}" data-view="{view}">',
        f'<div class="tgme_widget_message_user"><a href="https://t.me/{chan}"><i '
        f'class="tgme_widget_message_user_photo bgcolor{post.author.uid % 7}" '
        f'data-content="{html.escape(post.author.display_name[:1])}"></i></a></div>',
        '<div class="tgme_widget_message_bubble">',
        '<i class="tgme_widget_message_bubble_tail"></i>',
        '<div class="tgme_widget_message_author accent_color"><a '
        f'class="tgme_widget_message_owner_name" href="https://t.me/{chan}"><span dir="auto">'
        f'{html.escape(post.author.display_name)}</span></a></div>',
    ]
    shown = post
    if post.kind == "share" and post.target is not None:
        src = post.target
        parts.append(
            '<div class="tgme_widget_message_forwarded_from accent_color">Forwarded from&nbsp;<a '
            f'class="tgme_widget_message_forwarded_from_name" '
            f'href="https://t.me/{src.author.handle}/{src.local_id}"><span dir="auto">'
            f'{html.escape(src.author.display_name)}</span></a></div>'
        )
        shown = src
    for image in shown.images:
        parts.append(
            f'<a class="tgme_widget_message_photo_wrap {post.uid} {post.author.uid}_{post.local_id}" '
            f'href="{msg_url}" style="width:{image.width}px;background-image:url(\'{base}/file/'
            f'{image.key}.jpg\')"><div class="tgme_widget_message_photo" '
            f'style="padding-top:{100 * image.height / image.width:g}%"></div></a>'
        )
    text = world.text(post)
    if text:
        parts.append(
            f'<div class="tgme_widget_message_text js-message_text" dir="auto">{_text_html(text)}</div>'
        )
    parts += [
        '<div class="tgme_widget_message_footer compact js-message_footer">',
        '<div class="tgme_widget_message_info short js-message_info">',
        f'<span class="tgme_widget_message_views">{_views(post)}</span><span class="copyonly"> '
        f'views</span><span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" '
        f'href="{msg_url}"><time datetime="{when:%Y-%m-%dT%H:%M:%S}+00:00" class="time">'
        f'{when:%H:%M}</time></a></span>',
        "</div></div></div></div></div>",
    ]
    return "\n".join(parts)


def _more(chan: str, attr: str, value: str) -> str:
    return (f'<div class="tgme_widget_message_centered js-messages_more_wrap"><a '
            f'href="/s/{chan}?{attr}={value}" class="tme_messages_more js-messages_more" '
            f'data-{attr}="{value}"></a></div>')


def channel_page(world: World, account: DemoAccount, query: dict[str, str], base: str) -> str:
    """One page of a channel: the newest 20, or the 20 before/after a message id."""
    posts = world.index.feed.get(account.uid, [])
    ids = [int(p.local_id) for p in posts]

    def number(name: str) -> int | None:
        value = query.get(name, "")
        return int(value) if value.isdigit() else None

    before, after = number("before"), number("after")
    if before is not None:
        end = bisect_left(ids, before)
        start = max(0, end - PAGE_SIZE)
    elif after is not None:
        start = bisect_right(ids, after)
        end = min(len(posts), start + PAGE_SIZE)
    else:
        end = len(posts)
        start = max(0, end - PAGE_SIZE)
    page = posts[start:end]
    chan = account.handle
    title = html.escape(account.display_name)
    head = [
        "<!DOCTYPE html>", "<html>", "<head>", '<meta charset="utf-8">',
        f"<title>{title} – Telegram</title>",
        f'<meta property="og:title" content="{title}">',
        '<meta property="og:site_name" content="Telegram">',
        f'<meta property="og:description" content="{html.escape(account.bio)}">',
    ]
    if start > 0:
        head.append(f'<link rel="prev" href="/s/{chan}?before={page[0].local_id}">')
    if page:
        head.append(f'<link rel="canonical" href="/s/{chan}?before={int(page[-1].local_id) + 1}">')
    head += ["</head>", '<body class="widget_frame_base tgme_webpreview emoji_image '
             'thin_box_shadow tme_mode no_transitions">']
    info = (
        '<header class="tgme_header search_collapsed"><div class="tgme_container">'
        '<div class="tgme_channel_info"><div class="tgme_channel_info_header">'
        f'<div class="tgme_channel_info_header_title"><span dir="auto">{title}</span></div>'
        '<div class="tgme_channel_info_header_username">'
        f'<a href="https://t.me/{chan}">@{chan}</a></div></div>'
        '<div class="tgme_channel_info_counters"><div class="tgme_channel_info_counter">'
        f'<span class="counter_value">{200 + account.uid % 5000}</span> '
        '<span class="counter_type">subscribers</span></div></div>'
        f'<div class="tgme_channel_info_description">{html.escape(account.bio)}</div>'
        "</div></div></header>"
    )
    body = [info, f'<main class="tgme_main" data-url="/{chan}"><div class="tgme_container">',
            '<section class="tgme_channel_history js-message_history">']
    if start > 0 and page:
        body.append(_more(chan, "before", page[0].local_id))
    body += [_message(world, p, base) for p in page]
    if end < len(posts) and page:
        body.append(_more(chan, "after", page[-1].local_id))
    body += ["</section></div></main>", "</body>", "</html>"]
    return "\n".join(head + body) + "\n"
