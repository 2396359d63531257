"""Property-based fuzzing (hypothesis) of every parser and importer.

Parsers: mutations of the real captured platform responses in ``tests/fixtures`` (Telegram
HTML, Bluesky and Mastodon JSON), byte-level (cut, splice, insert, flip) and structural
(JSON values replaced by other types, keys dropped; HTML classes renamed, tags cut, junk
nested). Importers: the demo world's registry, accounts and election files and hand-written
activity and public-report exports, re-encoded, re-delimited, with stray quotes, huge fields,
NUL bytes and random splices.

The property: the call returns, or raises a `PantauError` whose message names the input
(file or URL). Any other exception is a crash; an error that does not say where is a violation.
Hypothesis is used as an engine with no shrinking: every example counts, failures are collected.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import PantauError
from .result import ScenarioResult, measured

FIXTURES = Path(__file__).resolve().parents[3] / "tests" / "fixtures"

# (platform, fixture path relative to tests/fixtures, kind or None to detect, target)
PARSER_INPUTS: list[tuple[str, str, str | None, str | None]] = [
    ("telegram", "telegram/full.html", None, None),
    ("telegram", "telegram/message_text.html", None, None),
    ("telegram", "telegram/message_media_forwarded_from.html", None, None),
    ("telegram", "telegram/message_link_preview.html", None, None),
    ("telegram", "telegram/message_media_photo_and_video.html", None, None),
    ("bluesky", "bluesky/appview/getAuthorFeed_full.json", None, None),
    ("bluesky", "bluesky/appview/getFollows.json", None, None),
    ("bluesky", "bluesky/appview/getLikes_post.json", None,
     "at://did:plc:x/app.bsky.feed.post/3k"),
    ("bluesky", "bluesky/atproto_sdk/thread_view_post_with_embed_media.json", "post_thread", None),
    ("bluesky", "bluesky/handmade/getAuthorFeed_repost_reply_quote.json", None, None),
    ("bluesky", "bluesky/handmade/listRecords_likes.json", None, None),
    ("bluesky", "bluesky/handmade/getQuotes.json", None, "at://did:plc:x/app.bsky.feed.post/3k"),
    ("bluesky", "bluesky/atproto_sdk/resolve_handle.json", "resolve_handle", None),
    ("mastodon", "mastodon/account_statuses_page1.json", None, None),
    ("mastodon", "mastodon/status_context.json", "context", "109372843672163530"),
    ("mastodon", "mastodon/status_favourited_by.json", "favourited_by", "109372843672163530"),
    ("mastodon", "mastodon/status_reblogged_by.json", "reblogged_by", "109372843672163530"),
    ("mastodon", "mastodon/account_following_hidden.json", "following", "user@mastodon.social"),
    ("mastodon", "mastodon/account.json", "account", None),
]


def _hypothesis_settings(examples: int) -> Any:
    from hypothesis import HealthCheck, Phase, settings

    return settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                    phases=[Phase.generate], suppress_health_check=list(HealthCheck))


# --- mutations --------------------------------------------------------------------------------


def mutate_bytes(data: bytes, rnd: random.Random) -> bytes:
    """One random byte-level edit: cut, delete, insert, overwrite, duplicate or flip."""
    n = len(data)
    i, j = sorted((rnd.randrange(n + 1), rnd.randrange(n + 1)))
    junk = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 40)))
    op = rnd.randrange(7)
    if op == 0:
        return data[:i]
    if op == 1:
        return data[:i] + data[j:]
    if op == 2:
        return data[:i] + junk + data[i:]
    if op == 3:
        return data[:i] + junk + data[i + len(junk):]
    if op == 4:
        return data[:j] + data[i:j] + data[j:]
    if op == 5:
        return bytes(b ^ (1 << rnd.randrange(8)) if rnd.random() < 0.01 else b for b in data)
    return data[:i] + rnd.choice([b"\x00", b"\xff\xfe", b"\xed\xa0\x80", b"<", b'"', b"}"]) * 3 \
        + data[i:]


_WEIRD_JSON: list[Any] = [None, 0, -1, 1e308, "", "x" * 5000, [], {}, [None], {"": None},
                          True, "2024-13-45T99:99:99Z", "at://", "did:plc:", "\u202e\x00",
                          [[[[[]]]]], {"$type": 7}, -(2**63), "NaN"]


def mutate_json(data: Any, rnd: random.Random, depth: int = 0) -> Any:
    """Replace one random node of a JSON document with a value of another type, or drop it."""
    if isinstance(data, dict) and data and depth < 12:
        key = rnd.choice(list(data))
        copy = dict(data)
        roll = rnd.random()
        if roll < 0.2:
            del copy[key]
        elif roll < 0.45:
            copy[key] = rnd.choice(_WEIRD_JSON)
        else:
            copy[key] = mutate_json(copy[key], rnd, depth + 1)
        return copy
    if isinstance(data, list) and data and depth < 12:
        copy = list(data)
        i = rnd.randrange(len(copy))
        roll = rnd.random()
        if roll < 0.15:
            del copy[i]
        elif roll < 0.3:
            copy.insert(i, rnd.choice(_WEIRD_JSON))
        else:
            copy[i] = mutate_json(copy[i], rnd, depth + 1)
        return copy
    return rnd.choice(_WEIRD_JSON)


def mutate_html(text: str, rnd: random.Random) -> str:
    """A structural HTML edit: classes renamed, attributes dropped, tags cut, junk nested."""
    import re

    op = rnd.randrange(6)
    if op == 0:
        classes = sorted(set(re.findall(r"tgme_[a-z_]+", text))) or ["x"]
        name = rnd.choice(classes)
        return text.replace(name, rnd.choice(["", name + "_v2", "x"]))
    if op == 1:
        attrs = ["datetime", "data-post", "href", "style", "data-before", "data-view"]
        attr = rnd.choice(attrs)
        return re.sub(attr + r'="[^"]*"', rnd.choice(["", attr + '=""', attr + '="\u202e<>"']),
                      text)
    if op == 2:
        tags = [m.start() for m in re.finditer("<", text)] or [0]
        cut = rnd.choice(tags)
        return text[:cut] + text[cut + rnd.randint(1, 300):]
    if op == 3:
        at = rnd.randrange(len(text) + 1)
        return text[:at] + "<div>" * rnd.randint(1, 3000) + text[at:]
    if op == 4:
        return re.sub(r"datetime=\"[^\"]*\"", 'datetime="' + rnd.choice(
            ["", "yesterday", "9999-99-99T00:00:00+00:00", "2024-02-30T10:00:00"]) + '"', text)
    return re.sub(r">([^<]{1,40})<", lambda m: ">" + rnd.choice(
        ["=cmd|' /C calc'!A0", "\x00\x1b", "37.2ZZ", "9" * 40, "\u202e"]) + "<", text, count=5)


# --- the checks -------------------------------------------------------------------------------


def check_call(call: Callable[[], Any], names: list[str], result: ScenarioResult,
               label: str) -> None:
    """Run one input; count it; record a crash or an error that does not name the input."""
    result.inputs += 1
    try:
        call()
    except PantauError as exc:
        message = str(exc)
        if not any(n in message for n in names):
            result.fail(f"{label}: {type(exc).__name__} does not name {names[0]}: "
                        f"{message[:300]}", violation=True)
    except RecursionError as exc:
        result.fail(f"{label}: RecursionError: {exc}", crash=True)
    except Exception as exc:  # noqa: BLE001 - this is what fuzzing looks for
        import traceback

        tb = traceback.format_exc().strip().splitlines()
        where = next((ln.strip() for ln in reversed(tb) if "/pantau/" in ln), "")
        result.fail(f"{label}: {type(exc).__name__}: {str(exc)[:200]} ({where})", crash=True)


def fuzz_parsers(work: Path, *, examples: int = 40) -> ScenarioResult:
    """Every parser kind, on mutations of its real captured response."""
    from hypothesis import given
    from hypothesis import strategies as st

    from ..collectors.reparse import parse_body

    result = ScenarioResult("fuzz: platform parsers (mutated real captures)", "fuzz")
    with measured(result):
        for platform, rel, kind, target in PARSER_INPUTS:
            path = FIXTURES / rel
            if not path.is_file():
                result.note(f"{rel}: fixture missing, skipped")
                continue
            original = path.read_bytes()
            source = Path("fuzz") / rel   # named in every error message
            is_json = path.suffix == ".json"
            parsed_json = json.loads(original) if is_json else None

            @_hypothesis_settings(examples)
            @given(seed=st.integers(0, 2**32 - 1), structural=st.booleans())
            def one(seed: int, structural: bool) -> None:
                rnd = random.Random(seed)
                if structural and parsed_json is not None:
                    body = json.dumps(mutate_json(parsed_json, rnd)).encode()
                elif structural:
                    body = mutate_html(original.decode("utf-8", "replace"), rnd).encode()
                else:
                    body = original
                    for _ in range(rnd.randint(1, 3)):
                        body = mutate_bytes(body, rnd)
                check_call(lambda: parse_body(platform, body, source=source, target=target,
                                              kind=kind), [str(source)], result,
                           f"{rel} seed {seed}{' structural' if structural else ''}")

            one()
            result.runs += 1
        result.note(f"{len(PARSER_INPUTS)} captured responses x {examples} mutations each "
                    "(byte edits and structural JSON/HTML edits), parsed with "
                    "`collectors.reparse.parse_body` (the collectors' parsers)")
    return result


# --- importers --------------------------------------------------------------------------------

_ACTIVITIES_CSV = (
    "platform,type,actor_handle,text,created_at,url\n"
    "x,post,budi_guru70,Ayo dukung nomor 1,2024-11-18T09:15:00+07:00,https://x.com/budi/1\n"
    "x,like,budi_guru70,,2024-11-19T10:00:00Z,https://x.com/rido/2\n"
)
_REPORTS_CSV = (
    "url,description,reporter\n"
    "https://t.me/budi_guru70/518,Mengajak memilih paslon 1,Warga Koja\n"
)


def _variants(text: str, rnd: random.Random) -> bytes:
    """A hostile version of a valid CSV/TOML file."""
    op = rnd.randrange(10)
    if op == 0:
        return text.encode(rnd.choice(["latin-1", "cp1252", "utf-16", "utf-8-sig", "utf-32"]),
                           "replace")
    if op == 1:
        return text.replace(",", rnd.choice([";", "\t", "|", ",,", ""])).encode()
    if op == 2:
        lines = text.splitlines(True)
        i = rnd.randrange(len(lines))
        lines[i] = lines[i].replace(",", '"', 1)
        return "".join(lines).encode()
    if op == 3:
        lines = text.splitlines(True)
        i = rnd.randrange(1, len(lines)) if len(lines) > 1 else 0
        lines[i] = lines[i].rstrip("\n") + "," + "A" * rnd.choice([10_000, 1_000_000]) + "\n"
        return "".join(lines).encode()
    if op == 4:
        at = rnd.randrange(len(text) + 1)
        return (text[:at] + "\x00" + text[at:]).encode()
    if op == 5:
        return text.replace("\n", rnd.choice(["\r", "\r\n", "\n\n", "\u2028"])).encode()
    if op == 6:
        return rnd.choice([b"", b"\n", b"\xef\xbb\xbf", text.splitlines()[0].encode()])
    if op == 7:
        return "\n".join(line + "," + rnd.choice(['"', "=1+1", "\u202e", "x"])
                         for line in text.splitlines()).encode()
    if op == 8:
        return mutate_bytes(text.encode(), rnd)
    return bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 2000)))


def fuzz_importers(work: Path, *, examples: int = 40) -> ScenarioResult:
    """Registry, accounts, activity and public-report imports and election files."""
    from hypothesis import given
    from hypothesis import strategies as st

    from ..collectors.imports.activities import import_activities
    from ..collectors.imports.reports import import_reports
    from ..demo import build_world
    from ..elections import import_election_file, parse_election
    from ..registry import import_accounts, import_people
    from ..store import Store
    from .pipeline import settings_for

    result = ScenarioResult("fuzz: importers and election files (CSV/TOML)", "fuzz")
    with measured(result):
        world = build_world(seed=2024, scale=0.06)
        files = world.write_files(work / "inputs")
        bases = {
            "registry": files["registry"].read_text("utf-8"),
            "accounts": files["accounts"].read_text("utf-8"),
            "election": files["election"].read_text("utf-8"),
            "activities": _ACTIVITIES_CSV,
            "reports": _REPORTS_CSV,
        }
        home = work / "home"
        with Store.open(settings=settings_for(home)) as store:
            import_people(store, files["registry"])   # accounts need their people
            calls: dict[str, Callable[[Path, bool], Any]] = {
                "registry": lambda p, skip: import_people(store, p, skip_invalid=skip,
                                                          rejects_path=work / "rejects.csv"),
                "accounts": lambda p, skip: import_accounts(store, p, skip_invalid=skip),
                "activities": lambda p, skip: import_activities(store, p, platform="x",
                                                                skip_invalid=skip),
                "reports": lambda p, skip: import_reports(store, p, skip_invalid=skip),
                "election": lambda p, skip: (import_election_file(store, p) if skip else
                                             parse_election(p.read_bytes().decode(
                                                 "utf-8", "replace"), file=p)),
            }
            for name, text in bases.items():
                suffix = ".toml" if name == "election" else ".csv"

                @_hypothesis_settings(examples)
                @given(seed=st.integers(0, 2**32 - 1), skip=st.booleans())
                def one(seed: int, skip: bool) -> None:
                    rnd = random.Random(seed)
                    data = _variants(text, rnd) if name != "election" else _toml_variant(text, rnd)
                    path = work / f"fuzz-{name}-{seed}{suffix}"
                    path.write_bytes(data)
                    try:
                        check_call(lambda: calls[name](path, skip), [str(path)], result,
                                   f"{name} seed {seed} skip_invalid={skip}")
                    finally:
                        path.unlink(missing_ok=True)

                one()
                result.runs += 1
        result.note(f"5 importers x {examples} hostile files each: other encodings "
                    "(latin-1, cp1252, UTF-16/32), other delimiters, stray quotes, 10 kB and "
                    "1 MB fields, NUL bytes, CR-only line ends, empty and header-only files, "
                    "random bytes; election TOML with keys dropped, values of the wrong type, "
                    "bad dates and broken syntax")
    return result


def _toml_variant(text: str, rnd: random.Random) -> bytes:
    import re

    op = rnd.randrange(6)
    lines = text.splitlines()
    if op == 0:
        del lines[rnd.randrange(len(lines))]
    elif op == 1:
        i = rnd.randrange(len(lines))
        lines[i] = re.sub(r"=\s*.*$", "= " + rnd.choice(
            ['""', "[]", "{}", "1e999", "2024-02-30", '"\u202e"', "-1", "true", "[[1]]"]),
            lines[i])
    elif op == 2:
        lines.insert(rnd.randrange(len(lines) + 1), rnd.choice(
            ["[x", "a = ", "= 1", "[[candidates]]", "unknown_key = 1", '"\\x00" = 1']))
    elif op == 3:
        return mutate_bytes(text.encode(), rnd)
    elif op == 4:
        return re.sub(r"\d{4}-\d{2}-\d{2}", rnd.choice(["2024-13-01", "0000-00-00", "2024-11-31"]),
                      text, count=rnd.randint(1, 3)).encode()
    else:
        return _variants(text, rnd)
    return "\n".join(lines).encode()
