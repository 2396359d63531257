"""Line numbers for the keys, tables and array items of a TOML document.

`tomllib` parses TOML but forgets where things were, and an error about a value must name its
line. `TomlPositions` walks the *source text* of a document that tomllib has already accepted
and records the line where each path is defined. Paths are tuples shaped like the parsed data,
with 0-based indices for arrays of tables and array items:

    [[candidates]]            ("candidates",) -> first header line, ("candidates", 0) -> this line
    number = 1                ("candidates", 0, "number")
    aliases = [               ("candidates", 0, "aliases")
      "RK",                   ("candidates", 0, "aliases", 0)
    ]

It understands what a valid TOML 1.0 document can hold: dotted and quoted keys, `[a.b]`
tables, repeated `[[a]]` / `[[a.b]]` arrays of tables, multi-line arrays, inline tables, all
four string kinds (so `#`, `[`, `=` inside strings are not mistaken for syntax) and comments.
"""

from __future__ import annotations

import bisect
import re
import tomllib

TomlPath = tuple[str | int, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_END = frozenset(",]}#\n")


class _Unexpected(Exception):
    """The text is not the valid TOML this scanner expects (it was not parsed first)."""


class TomlPositions:
    """Where each key path of a TOML document is defined.

    Build it from text that `tomllib.loads` accepted. `line_of(path)` gives the line of the path
    or, when the path itself is not written in the file (a missing key, an item of a one-line
    array), of the nearest enclosing thing that is.
    """

    def __init__(self, text: str) -> None:
        self._s = text
        self._i = 0
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self._lines: dict[TomlPath, int] = {}
        self._aot_index: dict[TomlPath, int] = {}  # array-of-tables path -> current index
        try:
            self._document()
        except (_Unexpected, IndexError):
            # Only reachable for text tomllib would refuse; keep what was found so far.
            pass

    def line_of(self, path: TomlPath) -> int | None:
        for end in range(len(path), 0, -1):
            line = self._lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    def exact_line(self, path: TomlPath) -> int | None:
        return self._lines.get(tuple(path))

    # --- scanning -----------------------------------------------------------------------
    def _record(self, path: TomlPath, pos: int) -> None:
        self._lines.setdefault(path, bisect.bisect_right(self._starts, pos))

    def _peek(self, text: str) -> bool:
        return self._s.startswith(text, self._i)

    def _expect(self, text: str) -> None:
        if not self._peek(text):
            raise _Unexpected(f"expected {text!r} at offset {self._i}")
        self._i += len(text)

    def _skip_blank(self) -> None:
        """Spaces and tabs only (inside a line)."""
        s, n = self._s, len(self._s)
        while self._i < n and s[self._i] in " \t":
            self._i += 1

    def _skip_space(self) -> None:
        """Whitespace, newlines and comments (between statements and array items)."""
        s, n = self._s, len(self._s)
        while self._i < n:
            c = s[self._i]
            if c in " \t\r\n":
                self._i += 1
            elif c == "#":
                end = s.find("\n", self._i)
                self._i = n if end < 0 else end
            else:
                break

    def _document(self) -> None:
        table: TomlPath = ()
        while True:
            self._skip_space()
            if self._i >= len(self._s):
                return
            start = self._i
            if self._peek("[["):
                self._i += 2
                table = self._header(self._key(), start, array=True)
                self._skip_blank()
                self._expect("]]")
            elif self._peek("["):
                self._i += 1
                table = self._header(self._key(), start, array=False)
                self._skip_blank()
                self._expect("]")
            else:
                self._key_value(table)

    def _header(self, keys: list[str], start: int, *, array: bool) -> TomlPath:
        path: TomlPath = ()
        for pos, key in enumerate(keys):
            path = (*path, key)
            last = pos == len(keys) - 1
            if last and array:
                index = self._aot_index.get(path, -1) + 1
                self._aot_index[path] = index
                self._record(path, start)
                path = (*path, index)
            elif path in self._aot_index:
                # [a.b] after [[a]] belongs to the latest [[a]].
                path = (*path, self._aot_index[path])
            self._record(path, start)
        return path

    def _key_value(self, table: TomlPath) -> None:
        start = self._i
        keys = self._key()
        self._skip_blank()
        self._expect("=")
        self._skip_blank()
        path = table
        for key in keys:
            path = (*path, key)
            self._record(path, start)
        self._value(path)

    def _key(self) -> list[str]:
        keys: list[str] = []
        while True:
            self._skip_blank()
            c = self._s[self._i]
            if c == '"':
                begin = self._i
                self._basic_string()
                keys.append(tomllib.loads(f"k = {self._s[begin:self._i]}")["k"])
            elif c == "'":
                end = self._s.index("'", self._i + 1)
                keys.append(self._s[self._i + 1 : end])
                self._i = end + 1
            else:
                match = _BARE_KEY.match(self._s, self._i)
                if not match:
                    raise _Unexpected(f"expected a key at offset {self._i}")
                keys.append(match.group())
                self._i = match.end()
            self._skip_blank()
            if not self._peek("."):
                return keys
            self._i += 1

    def _value(self, path: TomlPath) -> None:
        if self._peek('"""') or self._peek("'''"):
            self._multiline_string(self._s[self._i : self._i + 3])
        elif self._peek('"'):
            self._basic_string()
        elif self._peek("'"):
            self._i = self._s.index("'", self._i + 1) + 1
        elif self._peek("["):
            self._array(path)
        elif self._peek("{"):
            self._inline_table(path)
        else:
            # number, bool, date/time (which may contain one space): up to a delimiter
            s, n = self._s, len(self._s)
            while self._i < n and s[self._i] not in _SCALAR_END:
                self._i += 1

    def _basic_string(self) -> None:
        s = self._s
        self._i += 1
        while s[self._i] != '"':
            self._i += 2 if s[self._i] == "\\" else 1
        self._i += 1

    def _multiline_string(self, quote: str) -> None:
        s = self._s
        self._i += 3
        while not self._peek(quote):
            self._i += 2 if (quote == '"""' and s[self._i] == "\\") else 1
        self._i += 3
        # Up to two quote characters may end the content right before the delimiter.
        for _ in range(2):
            if self._i < len(s) and s[self._i] == quote[0]:
                self._i += 1

    def _array(self, path: TomlPath) -> None:
        self._i += 1
        index = 0
        while True:
            self._skip_space()
            if self._peek("]"):
                self._i += 1
                return
            item = (*path, index)
            self._record(item, self._i)
            self._value(item)
            index += 1
            self._skip_space()
            if self._peek(","):
                self._i += 1

    def _inline_table(self, path: TomlPath) -> None:
        self._i += 1
        while True:
            self._skip_space()
            if self._peek("}"):
                self._i += 1
                return
            self._key_value(path)
            self._skip_space()
            if self._peek(","):
                self._i += 1
