"""Decoding a JSON response body, with errors that say where it breaks."""

from __future__ import annotations

import json
from typing import Any

from ..errors import ParseError


def load_json(body: bytes | str, source: str | None) -> Any:
    """The decoded body, or `ParseError` naming the source and the line/column of the fault."""
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                         source=source) from None
    except UnicodeDecodeError as exc:
        raise ParseError(f"not UTF-8 text: {exc.reason} at byte {exc.start}",
                         source=source) from None
