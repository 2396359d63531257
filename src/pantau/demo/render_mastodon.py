"""Mastodon's public REST API (``/api/v1/``) for the demo world's server ``mastodon.demo``.

Entities follow the Mastodon 4.x responses in tests/fixtures/mastodon/ (see PROVENANCE.md).
Paging is Mastodon's: newest first, ``limit`` clamped to the endpoint maximum, ``max_id`` /
``since_id`` / ``min_id``, and a ``Link`` header with ``rel="next"`` (``max_id``) when the page
is full and ``rel="prev"`` (``min_id`` for statuses, ``since_id`` for account lists) when it is
not empty. Unknown records answer 404 ``{"error": "Record not found"}``.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left, bisect_right
from typing import Any
from urllib.parse import urlencode

from .render_bluesky import iso
from .world import MASTODON_SERVER, DemoAccount, DemoPost, World

_HASHTAG = re.compile(r"#(\w+)")


class ApiError(Exception):
    def __init__(self, status: int, error: str) -> None:
        self.status, self.error = status, error
        super().__init__(error)


NOT_FOUND = ApiError(404, "Record not found")


def account_json(world: World, a: DemoAccount) -> dict[str, Any]:
    ix = world.index
    statuses = ix.feed.get(a.uid, [])
    site = f"https://{MASTODON_SERVER}"
    return {
        "id": a.platform_id, "username": a.username, "acct": a.username,
        "display_name": a.display_name, "locked": False, "bot": False, "discoverable": True,
        "indexable": True, "group": False, "created_at": iso(a.ms - a.ms % 86_400_000),
        "note": f"<p>{html.escape(a.bio)}</p>" if a.bio else "",
        "url": f"{site}/@{a.username}", "uri": f"{site}/users/{a.username}",
        "avatar": f"{site}/avatars/original/missing.png",
        "avatar_static": f"{site}/avatars/original/missing.png",
        "header": f"{site}/headers/original/missing.png",
        "header_static": f"{site}/headers/original/missing.png",
        "followers_count": ix.followers.get(a.uid, 0),
        "following_count": 0 if a.hidden_network else len(ix.follows_by.get(a.uid, ())),
        "statuses_count": len(statuses),
        "last_status_at": iso(statuses[-1].ms)[:10] if statuses else None,
        "hide_collections": a.hidden_network, "show_media": True, "show_media_replies": True,
        "show_featured": True, "noindex": False,
        "feature_approval": {"automatic": [], "manual": [], "current_user": "denied"},
        "avatar_description": "", "header_description": "", "emojis": [], "roles": [],
        "fields": [],
    }


def _content(text: str) -> tuple[str, list[dict[str, str]]]:
    site = f"https://{MASTODON_SERVER}"
    tags = [{"name": t.lower(), "url": f"{site}/tags/{t.lower()}"} for t in _HASHTAG.findall(text)]
    body = _HASHTAG.sub(
        lambda m: f'<a href="{site}/tags/{m.group(1).lower()}" class="mention hashtag" '
                  f'rel="tag">#<span>{m.group(1)}</span></a>',
        html.escape(text, quote=False),
    )
    return body, tags


def _media(post: DemoPost, base: str) -> list[dict[str, Any]]:
    out = []
    for i, image in enumerate(post.images):
        url = f"{base}/system/media_attachments/files/{image.key}.jpg"
        meta = {"width": image.width, "height": image.height,
                "size": f"{image.width}x{image.height}", "aspect": image.width / image.height}
        out.append({
            "id": str(int(post.local_id) + i + 1), "type": "image", "url": url,
            "preview_url": url, "remote_url": None, "preview_remote_url": None,
            "text_url": None, "meta": {"original": meta, "small": meta},
            "description": None, "blurhash": "UEHLh[WB2yk8pyoJadR*.7kCMdnjS#M|%1%2",
        })
    return out


def status_json(world: World, post: DemoPost, base: str) -> dict[str, Any]:
    ix = world.index
    author = post.author
    site = f"https://{MASTODON_SERVER}"
    reblog = post.kind == "share" and post.target is not None
    text = "" if reblog else world.text(post)
    body, tags = _content(text)
    mentions = []
    reply_to = post.target if post.kind == "reply" else None
    if reply_to is not None:
        who = reply_to.author
        mentions = [{"id": who.platform_id, "username": who.username, "url": f"{site}/@{who.username}",
                     "acct": who.username}]
        body = (f'<span class="h-card" translate="no"><a href="{site}/@{who.username}" '
                f'class="u-url mention">@<span>{who.username}</span></a></span> ') + body
    status_uri = f"{site}/users/{author.username}/statuses/{post.local_id}"
    return {
        "id": post.local_id, "created_at": iso(post.ms),
        "in_reply_to_id": reply_to.local_id if reply_to else None,
        "in_reply_to_account_id": reply_to.author.platform_id if reply_to else None,
        "sensitive": False, "spoiler_text": "", "visibility": "public",
        "language": None if reblog else "id",
        "uri": status_uri + ("/activity" if reblog else ""),
        "url": None if reblog else f"{site}/@{author.username}/{post.local_id}",
        "replies_count": len(ix.replies.get(post.uid, ())),
        "reblogs_count": len(ix.shares.get(post.uid, ())),
        "favourites_count": len(ix.likes_of.get(post.uid, ())), "quotes_count": 0,
        "edited_at": None, "favourited": False, "reblogged": False, "muted": False,
        "bookmarked": False, "pinned": False, "content": f"<p>{body}</p>" if body else "", "filtered": [],
        "reblog": status_json(world, post.target, base) if reblog else None,
        "application": None if reblog else {"name": "Web", "website": None},
        "account": account_json(world, author),
        "media_attachments": [] if reblog else _media(post, base),
        "mentions": mentions, "tags": tags, "emojis": [], "tagged_collections": [],
        "quote": None, "card": None, "poll": None,
        "quote_approval": {"automatic": ["public"], "manual": [], "current_user": "automatic"},
    }


# --- paging -------------------------------------------------------------------------------------


def _id(item) -> int:
    return int(item.local_id)


def _number(query: dict[str, str], name: str) -> int | None:
    value = query.get(name, "")
    return int(value) if value.isdigit() else None


def paginate(items: list, query: dict[str, str], default: int, maximum: int,
             url: str, prev_param: str) -> tuple[list, str | None]:
    """Mastodon's id paging over `items` (sorted by id, oldest first): the page, newest first,
    and its ``Link`` header."""
    raw = _number(query, "limit")
    limit = min(max(raw if raw is not None else default, 1), maximum)
    max_id, since_id, min_id = (_number(query, n) for n in ("max_id", "since_id", "min_id"))
    hi = bisect_left(items, max_id, key=_id) if max_id is not None else len(items)
    if min_id is not None:  # the `limit` items just newer than min_id
        lo = bisect_right(items, min_id, key=_id)
        page = items[lo:min(hi, lo + limit)]
    else:
        lo = bisect_right(items, since_id, key=_id) if since_id is not None else 0
        page = items[max(lo, hi - limit):hi]
    page = page[::-1]
    if not page:
        return page, None
    keep = {k: v for k, v in query.items() if k not in ("max_id", "since_id", "min_id", "limit")}
    links = []
    if len(page) == limit:
        links.append(f'<{url}?{urlencode({**keep, "limit": limit, "max_id": page[-1].local_id})}>; rel="next"')
    links.append(f'<{url}?{urlencode({**keep, "limit": limit, prev_param: page[0].local_id})}>; rel="prev"')
    return page, ", ".join(links)


# --- routes -------------------------------------------------------------------------------------


def _account(world: World, ref: str) -> DemoAccount:
    account = world.index.find("mastodon", ref)
    if account is None:
        raise NOT_FOUND
    return account


def _status(world: World, status_id: str) -> DemoPost:
    post = world.index.post.get(("mastodon", status_id))
    if post is None:
        raise NOT_FOUND
    return post


def handle(world: World, parts: list[str], q: dict[str, str], base: str
           ) -> tuple[Any, str | None]:
    """Route ``/api/v1/<parts>``; returns (JSON body, Link header or None)."""
    url = f"{base}/api/v1/" + "/".join(parts)
    match parts:
        case ["accounts", "lookup"]:
            acct = q.get("acct", "").lstrip("@")
            user, _, server = acct.partition("@")
            if server and server.lower() != MASTODON_SERVER:
                raise NOT_FOUND
            return account_json(world, _account(world, f"{user}@{MASTODON_SERVER}")), None
        case ["accounts", account_id]:
            return account_json(world, _account(world, account_id)), None
        case ["accounts", account_id, "statuses"]:
            account = _account(world, account_id)
            items = world.index.feed.get(account.uid, [])
            if q.get("pinned") == "true":
                return [], None
            if q.get("exclude_replies") == "true":
                items = [p for p in items if p.kind != "reply"]
            if q.get("exclude_reblogs") == "true":
                items = [p for p in items if p.kind != "share"]
            if q.get("only_media") == "true":
                items = [p for p in items if p.images]
            page, link = paginate(items, q, 20, 40, url, "min_id")
            return [status_json(world, p, base) for p in page], link
        case ["accounts", account_id, "following"]:
            account = _account(world, account_id)
            if account.hidden_network:
                return [], None
            page, link = paginate(world.index.follows_by.get(account.uid, []), q, 40, 80, url,
                                  "since_id")
            return [account_json(world, f.target) for f in page], link
        case ["statuses", status_id]:
            return status_json(world, _status(world, status_id), base), None
        case ["statuses", status_id, "context"]:
            post = _status(world, status_id)
            ancestors = [post.target] if post.kind == "reply" and post.target else []
            return {"ancestors": [status_json(world, p, base) for p in ancestors],
                    "descendants": [status_json(world, p, base)
                                    for p in world.index.replies.get(post.uid, [])]}, None
        case ["statuses", status_id, "favourited_by"]:
            post = _status(world, status_id)
            page, link = paginate(world.index.likes_of.get(post.uid, []), q, 40, 80, url,
                                  "since_id")
            return [account_json(world, like.actor) for like in page], link
        case ["statuses", status_id, "reblogged_by"]:
            post = _status(world, status_id)
            page, link = paginate(world.index.shares.get(post.uid, []), q, 40, 80, url,
                                  "since_id")
            return [account_json(world, p.author) for p in page], link
    raise NOT_FOUND
