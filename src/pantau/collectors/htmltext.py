"""Rich-text HTML (a Telegram message body, a Mastodon status) -> plain text and its links.

Both platforms mark line breaks with ``<br>`` and paragraphs with ``<p>``; whitespace in the
markup itself (indentation, the line breaks of a re-indented capture) means nothing, exactly as
in a browser. Emoji stay: Telegram wraps each in ``<i class="emoji"><b>😀</b></i>``, whose
text is the emoji itself.

The node is changed in place (breaks become marker characters), so pass a node of a tree that
is parsed for this purpose only.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborNode

_BREAK = "\x1e"           # a <br>: never in real text, and not matched by _SPACE below
_SPACE = re.compile(r"[ \t\r\n\f\v\xa0]+")


def node_text(node: LexborNode, *, paragraphs: bool = False) -> str:
    """The visible text of `node`: <br> -> newline, <p> -> blank line, whitespace collapsed."""
    for br in node.css("br"):
        br.replace_with(_BREAK)
    if paragraphs:
        ps = node.css("p")
        for p in ps[:-1]:
            p.insert_after(_BREAK + _BREAK)
    raw = node.text(deep=True)
    return collapse(raw)


def collapse(raw: str) -> str:
    """Collapse markup whitespace; keep the explicit breaks, trimmed of spaces around them."""
    text = _SPACE.sub(" ", raw)
    if _BREAK in text:
        text = "\n".join(line.strip() for line in text.split(_BREAK))
    return text.strip()


def node_links(node: LexborNode) -> tuple[list[str], list[str]]:
    """(absolute http(s) link targets, hashtags) inside `node`, each once, in order."""
    links: dict[str, None] = {}
    tags: dict[str, None] = {}
    for a in node.css("a[href]"):
        href = (a.attributes.get("href") or "").strip()
        label = a.text(deep=True).strip()
        if label.startswith("#") and len(label) > 1:
            # Telegram: href="?q=%23tag"; Mastodon: href=".../tags/tag" with class="hashtag".
            tags[label[1:]] = None
            continue
        if href.startswith(("http://", "https://")):
            links[href] = None
    return list(links), list(tags)
