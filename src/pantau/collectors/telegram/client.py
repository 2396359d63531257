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


def complete_page(fetched: Fetched) -> str | None:
    """Why a 200 answer is not a whole channel page (a challenge page, a cut body), or None."""
    tail = fetched.content[-4096:]
    if not COMPLETE_PAGE.search(tail):
        return "truncated HTML: the page does not end with </html>"
    if b"tgme_" not in fetched.content:
        return "not a Telegram page (no tgme_ markup): an error or challenge page?"
    return None


def channel_listing(ctx: Context, channel: str) -> Listing:
    base = ctx.settings.platforms.telegram_base_url.rstrip("/")
    url = f"{base}/s/{quote(channel)}"

    def request(cursor: str | None) -> Request:
        return (url, {"before": cursor} if cursor else None)

    def parse(fetched: Fetched) -> Parsed:
        # A page still cut short after the HTTP layer's retries would parse, silently missing
        # the posts between two pages; refuse it so it is quarantined and asked for again.
        problem = complete_page(fetched)
        if problem:
            raise ParseError(problem, source=fetched.url)
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
        validate=complete_page,
    )


def collect(ctx: Context, target: Target, *, engagement_posts: int = 0) -> Iterator[Page]:
    """Every new post of one channel (registered ASN channel or watch-listed campaign one).

    Telegram channels expose no likers or followers; `engagement_posts` is accepted for a
    uniform client signature and unused."""
    channel = target.handle.lstrip("@")
    yield from walk(ctx, channel_listing(ctx, channel))


__all__ = ["SOURCE", "channel_listing", "collect"]
