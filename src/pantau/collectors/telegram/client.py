"""Telegram channels through the public preview ``{base}/s/<channel>`` (no login, ever).

The newest page first, then ``?before=<id>`` backwards until the last id seen by the previous
complete sweep, the `--since` date or the channel's first post. Message ids are strictly
increasing per channel, so the sweep can stop as soon as a page reaches the old watermark.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote

from ...errors import ParseError
from ..base import Fetched, Parsed
from ..paging import Context, Listing, Page, Request, Target, as_int, numeric_id, walk
from .parse import parse_channel_page

SOURCE = "telegram:channel"
# A whole t.me/s page ends with </html> (perhaps followed by a comment and whitespace).
COMPLETE_PAGE = re.compile(rb"</html>\s*(<!--.*?-->\s*)?$", re.S | re.I)


def channel_listing(ctx: Context, channel: str) -> Listing:
    base = ctx.settings.platforms.telegram_base_url.rstrip("/")
    url = f"{base}/s/{quote(channel)}"

    def request(cursor: str | None) -> Request:
        return (url, {"before": cursor} if cursor else None)

    def parse(fetched: Fetched) -> Parsed:
        # A page cut short (connection dropped mid-body with no Content-Length to catch it)
        # would still parse, silently missing posts between two pages; refuse it instead so
        # the runner quarantines it and the next run asks again from the same cursor.
        if not COMPLETE_PAGE.search(fetched.content[-4096:]):
            raise ParseError("truncated HTML: the page does not end with </html>",
                             source=fetched.url)
        return parse_channel_page(fetched.content, source_url=fetched.url)

    return Listing(
        source=SOURCE,
        key=channel,
        platform="telegram",
        request=request,
        parse=parse,
        mark=numeric_id,
        order=as_int,
        stop_on_oldest=True,
    )


def collect(ctx: Context, target: Target, *, engagement_posts: int = 0) -> Iterator[Page]:
    """Every new post of one channel (registered ASN channel or watch-listed campaign one).

    Telegram channels expose no likers or followers; `engagement_posts` is accepted for a
    uniform client signature and unused."""
    channel = target.handle.lstrip("@")
    yield from walk(ctx, channel_listing(ctx, channel))


__all__ = ["SOURCE", "channel_listing", "collect"]
