"""Mastodon REST API JSON (``/api/v1/...``) -> activities. Pure, no I/O.

Conventions:

- ``native_id`` of a status is its id on the server it was read from (what the API takes back:
  ``/statuses/<id>/favourited_by``); the ActivityPub URI, the same on every server, is kept
  in ``extra["uri"]``;
- ``actor_id`` is the account id, ``actor_handle`` the full ``user@server`` (a local account's
  ``acct`` has no server part; it is taken from the account's profile URL), the form the
  registry stores;
- a reblog is a ``share`` of the original status with NO native id, so the same reblog found
  from the reblogger's timeline and from the status's ``reblogged_by`` is one activity; the
  reblog's own status id is in ``extra["status_id"]``; ``forwarded_from`` is the original
  author's ``user@server``;
- favourites carry no time in the API: ``created_at`` stays empty for likes and follows.

Paging is the client's (the ``Link`` header, see `parse_link_header`); ``Parsed.info`` gives
``min_id``/``max_id`` of the statuses on the page.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from ...errors import ParseError
from ...records import Activity, ActivityType, Media, Platform
from ...timeutil import utcnow
from ..base import Parsed
from ..htmltext import html_to_text
from ..jsonbody import each_item, json_time, load_json

_MASTODON = Platform.MASTODON.value
_MEDIA_KIND = {"image": "photo", "gifv": "video", "video": "video", "audio": "voice"}
_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")
_STATUS_ID = re.compile(r"(\d+)/?$")


class _BadItem(ValueError):
    """One item of a response cannot be turned into an activity."""


def parse_link_header(value: str | None) -> dict[str, str]:
    """RFC 8288 ``Link``: ``<url>; rel="next", <url>; rel="prev"`` -> {"next": url, ...}."""
    links: dict[str, str] = {}
    if not value:
        return links
    for match in _LINK.finditer(value):
        url, params = match.group(1).strip(), match.group(2)
        for param in params.split(";"):
            name, _, rel = param.strip().partition("=")
            if name.strip().lower() == "rel":
                for one in rel.strip().strip('"').split():
                    links.setdefault(one.lower(), url)
    return links


def _list(body: bytes | str, source: str | None, what: str) -> list[Any]:
    data = load_json(body, source)
    if not isinstance(data, list):
        raise ParseError(f"not a {what} response (expected a JSON list)", source=source)
    return data


def status_id_of(value: str | None) -> str | None:
    """A status id from an id or a status URL (``https://server/@user/1170…``)."""
    if not value:
        return None
    match = _STATUS_ID.search(value.strip())
    return match.group(1) if match else None


def full_acct(account: dict[str, Any], server: str | None = None) -> str | None:
    """``user@server`` for an account object; local accounts get the server from their URL."""
    acct = account.get("acct") or account.get("username")
    if not acct:
        return None
    acct = str(acct).lstrip("@")
    if "@" in acct:
        return acct
    host = urlsplit(str(account.get("url") or "")).netloc or server
    return f"{acct}@{host}" if host else acct


def acct_of(value: str) -> str:
    """``user@server`` from ``@user@server``, ``user@server`` or ``https://server/@user``."""
    value = value.strip()
    if "://" in value:
        parts = urlsplit(value)
        user = parts.path.strip("/").split("/")[0].lstrip("@")
        return f"{user}@{parts.netloc}" if user and parts.netloc else value
    return value.lstrip("@")


def _actor(account: Any, server: str | None, what: str) -> tuple[str, str | None]:
    if not isinstance(account, dict) or account.get("id") in (None, ""):
        raise _BadItem(f"{what} has no account id")
    return str(account["id"]), full_acct(account, server)


def _server(source_url: str | None) -> str | None:
    return urlsplit(source_url).netloc or None if source_url else None


def _media(status: dict[str, Any]) -> list[Media]:
    media = []
    for item in status.get("media_attachments") or []:
        if not isinstance(item, dict):
            continue
        size = ((item.get("meta") or {}).get("original") or {})
        media.append(Media(
            url=item.get("url") or item.get("remote_url") or item.get("preview_url") or "",
            kind=_MEDIA_KIND.get(str(item.get("type")), "other"),
            width=size.get("width"), height=size.get("height"),
        ))
    return media


def _content(status: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(text, extra) of a status: content warning first, then the HTML content as text."""
    text, links, tags = html_to_text(str(status.get("content") or ""))
    extra: dict[str, Any] = {}
    spoiler = str(status.get("spoiler_text") or "").strip()
    if spoiler:
        extra["spoiler_text"] = spoiler
        text = f"{spoiler}\n\n{text}" if text else spoiler
    card = status.get("card")
    if isinstance(card, dict) and card.get("url"):
        extra["card"] = {k: card[k] for k in ("url", "title", "description") if card.get(k)}
        if card["url"] not in links:
            links.append(card["url"])
    for tag in status.get("tags") or []:
        if isinstance(tag, dict) and tag.get("name") and tag["name"] not in tags:
            tags.append(tag["name"])
    mentions = [m.get("acct") for m in status.get("mentions") or [] if isinstance(m, dict)]
    if links:
        extra["links"] = links
    if tags:
        extra["hashtags"] = tags
    if mentions:
        extra["mentions"] = mentions
    poll = status.get("poll")
    if isinstance(poll, dict):
        options = [o.get("title") for o in poll.get("options") or [] if isinstance(o, dict)]
        extra["poll"] = {"options": options, "votes": poll.get("votes_count")}
        text = "\n".join([text, *[o for o in options if o]]).strip()
    return text, extra


def _metrics(status: dict[str, Any]) -> dict[str, int]:
    return {name: status[key] for name, key in (
        ("likes", "favourites_count"), ("reposts", "reblogs_count"),
        ("replies", "replies_count"), ("quotes", "quotes_count"),
    ) if isinstance(status.get(key), int)}


def _quoted(status: dict[str, Any]) -> dict[str, Any] | None:
    """The status this one quotes (Mastodon 4.4+ ``quote``), when shown."""
    quote = status.get("quote")
    if isinstance(quote, dict):
        shown = quote.get("quoted_status")
        if isinstance(shown, dict) and shown.get("id"):
            return shown
    return None


def status_activity(status: Any, observed: datetime, server: str | None = None) -> Activity:
    """One Status as a post, comment (a reply), quote, or share (a reblog)."""
    if not isinstance(status, dict) or status.get("id") in (None, ""):
        raise _BadItem("status has no id")
    actor_id, handle = _actor(status.get("account"), server, "status")
    reblog = status.get("reblog")
    if isinstance(reblog, dict):
        original = status_activity(reblog, observed, server)
        return Activity(
            platform=_MASTODON, type=ActivityType.SHARE.value, actor_id=actor_id,
            actor_handle=handle, native_id=None, target_id=original.native_id,
            target_author_id=original.actor_id, target_author_handle=original.actor_handle,
            text=original.text, created_at=json_time(status.get("created_at")),
            observed_at=observed, url=original.url, forwarded_from=original.actor_handle,
            media=original.media, media_count=original.media_count, metrics=original.metrics,
            extra={"status_id": str(status["id"]), "uri": status.get("uri"),
                   **{k: v for k, v in original.extra.items() if k in ("links", "hashtags")}},
        )
    text, extra = _content(status)
    extra["uri"] = status.get("uri")
    for key in ("visibility", "language"):
        if status.get(key):
            extra[key] = status[key]
    if status.get("edited_at"):
        extra["edited_at"] = status["edited_at"]
    kind = ActivityType.POST
    target_id = target_author_id = target_author_handle = reply_to = None
    quoted = _quoted(status)
    if status.get("in_reply_to_id"):
        kind = ActivityType.COMMENT
        reply_to = target_id = str(status["in_reply_to_id"])
        if status.get("in_reply_to_account_id"):
            target_author_id = str(status["in_reply_to_account_id"])
    elif quoted is not None:
        kind = ActivityType.QUOTE
        target_id = str(quoted["id"])
        q_account = quoted.get("account") or {}
        target_author_id = str(q_account["id"]) if q_account.get("id") else None
        target_author_handle = full_acct(q_account, server) if q_account else None
    media = _media(status)
    return Activity(
        platform=_MASTODON, type=kind.value, actor_id=actor_id, actor_handle=handle,
        native_id=str(status["id"]), target_id=target_id, target_author_id=target_author_id,
        target_author_handle=target_author_handle, text=text,
        created_at=json_time(status.get("created_at")), observed_at=observed,
        url=status.get("url") or status.get("uri"), reply_to=reply_to, media=media,
        media_count=len(media), metrics=_metrics(status), extra=extra,
    )


def _id_range(parsed: Parsed, items: list[Any]) -> None:
    ids = [int(i["id"]) for i in items if isinstance(i, dict) and str(i.get("id", "")).isdigit()]
    if ids:
        parsed.info["min_id"], parsed.info["max_id"] = str(min(ids)), str(max(ids))


def parse_statuses(
    body: bytes | str, *, source_url: str | None = None, observed_at: datetime | None = None
) -> Parsed:
    """``/accounts/:id/statuses`` (or any list of statuses): posts, comments, quotes, shares."""
    items = _list(body, source_url, "statuses")
    observed = observed_at or utcnow()
    server = _server(source_url)
    parsed = Parsed()
    each_item(items, parsed, "statuses", lambda s: status_activity(s, observed, server))
    _id_range(parsed, items)
    return parsed


def parse_account(body: bytes | str, *, source_url: str | None = None) -> dict[str, Any]:
    """An Account (``/accounts/:id``, ``/accounts/lookup``) as a plain summary dict."""
    data = load_json(body, source_url)
    if not isinstance(data, dict) or data.get("id") in (None, "") or not data.get("acct"):
        raise ParseError("not a Mastodon account (no 'id' and 'acct')", source=source_url)
    summary = {
        "id": str(data["id"]),
        "acct": full_acct(data, _server(source_url)),
        "username": data.get("username"),
        "display_name": data.get("display_name") or "",
        "url": data.get("url"),
        "uri": data.get("uri"),
        "locked": bool(data.get("locked")),
        "bot": bool(data.get("bot")),
        "created_at": data.get("created_at"),
        # True when the account hides who it follows and who follows it.
        "hide_collections": data.get("hide_collections"),
    }
    for key in ("followers_count", "following_count", "statuses_count"):
        if isinstance(data.get(key), int):
            summary[key] = data[key]
    return summary


def _accounts_to(
    kind: ActivityType, body: bytes | str, target: str | None, target_author: str | None,
    source_url: str | None, observed_at: datetime | None, what: str,
) -> Parsed:
    items = _list(body, source_url, what)
    status = status_id_of(target)
    if items and not status:
        raise ParseError(f"{what}: name the status these accounts acted on (target)",
                         source=source_url)
    observed = observed_at or utcnow()
    server = _server(source_url) or _server(target if target and "://" in target else None)

    def act(account: Any) -> Activity:
        actor_id, handle = _actor(account, server, what)
        return Activity(
            platform=_MASTODON, type=kind.value, actor_id=actor_id, actor_handle=handle,
            target_id=status, target_author_id=target_author, observed_at=observed,
            url=target if target and "://" in target else None,
            forwarded_from=target_author if kind == ActivityType.SHARE else None,
        )

    parsed = Parsed(info={"target": status})
    each_item(items, parsed, what, act)
    return parsed


def parse_favourited_by(
    body: bytes | str, *, target: str, target_author: str | None = None,
    source_url: str | None = None, observed_at: datetime | None = None,
) -> Parsed:
    """``/statuses/:id/favourited_by``: one like per account. `target`: status id or URL."""
    return _accounts_to(ActivityType.LIKE, body, target, target_author, source_url, observed_at,
                        "favourited_by")


def parse_reblogged_by(
    body: bytes | str, *, target: str, target_author: str | None = None,
    source_url: str | None = None, observed_at: datetime | None = None,
) -> Parsed:
    """``/statuses/:id/reblogged_by``: one share per account. `target`: status id or URL."""
    return _accounts_to(ActivityType.SHARE, body, target, target_author, source_url,
                        observed_at, "reblogged_by")


def parse_context(
    body: bytes | str, *, target: str | None = None, source_url: str | None = None,
    observed_at: datetime | None = None,
) -> Parsed:
    """``/statuses/:id/context``: the descendants (replies) as comments.

    Ancestors are not returned: they are their authors' own statuses, collected (when those
    authors are followed at all) from their timelines."""
    data = load_json(body, source_url)
    if not isinstance(data, dict) or not isinstance(data.get("descendants"), list):
        raise ParseError("not a status context (no 'descendants' list)", source=source_url)
    observed = observed_at or utcnow()
    server = _server(source_url)
    ancestors = data.get("ancestors")
    # Only counted; anything but a list (a fuzzed or broken body) counts as none.
    parsed = Parsed(info={"target": status_id_of(target),
                          "ancestors": len(ancestors) if isinstance(ancestors, list) else 0})
    each_item(data["descendants"], parsed, "descendants",
          lambda s: status_activity(s, observed, server))
    _id_range(parsed, data["descendants"])
    return parsed


def parse_following(
    body: bytes | str, *, actor: str, actor_id: str | None = None,
    source_url: str | None = None, observed_at: datetime | None = None,
) -> Parsed:
    """``/accounts/:id/following``: one follow by `actor` (``user@server`` or profile URL) of
    each account.

    An empty list is also what an account that hides its network returns; the client records
    that as ``hidden``."""
    items = _list(body, source_url, "following")
    observed = observed_at or utcnow()
    server = _server(source_url)
    actor_handle = acct_of(actor)

    def follow(account: Any) -> Activity:
        followed_id, followed = _actor(account, server, "followed account")
        return Activity(
            platform=_MASTODON, type=ActivityType.FOLLOW.value, actor_id=actor_id,
            actor_handle=actor_handle, target_id=followed_id, target_author_id=followed_id,
            target_author_handle=followed, observed_at=observed,
            url=account.get("url") if isinstance(account, dict) else None,
        )

    parsed = Parsed(info={"actor": actor_handle})
    each_item(items, parsed, "following", follow)
    return parsed


__all__ = [
    "acct_of", "full_acct", "parse_account", "parse_context", "parse_favourited_by", "parse_following",
    "parse_link_header", "parse_reblogged_by", "parse_statuses", "status_activity",
    "status_id_of",
]
