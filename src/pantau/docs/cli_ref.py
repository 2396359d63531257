"""The command reference (docs/cli.md), read from the live typer/click command tree.

Everything shown comes from the commands themselves: the usage line click would print, the
help text, and each parameter's help record (the same name/type column and
``[default: …; required]`` extras that ``--help`` shows). So the page cannot drift from the
code without `tests/test_docs.py` noticing.

    from pantau.docs.cli_ref import command_tree, render_cli, missing_examples
    commands = command_tree()            # root first, depth-first in --help order
    missing_examples(commands)           # -> ["pantau foo bar", ...] without an Example: line
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from ..errors import PantauError
from .markdown import anchor, cell, code, escape, table

PROG = "pantau"
# typer adds these to the root for shell completion; their help text depends on the shell
# typer detects at run time, so a page listing them would differ between machines.
_COMPLETION_PARAMS = frozenset({"install_completion", "show_completion"})
_EXAMPLE = re.compile(r"^\s*(Examples?):(.*)$", re.MULTILINE)


@dataclass(frozen=True)
class ParamDoc:
    """One argument or option as `--help` shows it."""

    kind: str             # "argument" or "option"
    name: str             # the --help name column, e.g. "-n, --limit <int range>"
    help: str             # the parameter's own help text
    default: str | None   # as --help prints it, e.g. "50"; None when none is shown
    notes: tuple[str, ...]  # the other --help extras: "required", "x>=1", "env var: X"


@dataclass(frozen=True)
class CommandDoc:
    """One command or command group."""

    path: tuple[str, ...]           # ("pantau", "registry", "import")
    usage: str                      # "pantau registry import [OPTIONS] {file}"
    help: str                       # the full help text, as written in the code
    params: tuple[ParamDoc, ...]
    subcommands: tuple[str, ...]    # names, for a group
    hidden: bool
    # Where the command's function is defined ("src/pantau/cli/registry.py:88"), for test
    # messages; "" for a group without a callback (its help is `typer.Typer(help=...)`).
    source: str = ""

    @property
    def name(self) -> str:
        return " ".join(self.path)

    @property
    def summary(self) -> str:
        """The first paragraph of the help, on one line."""
        first = re.split(r"\n\s*\n", self.help.strip(), maxsplit=1)[0]
        return " ".join(first.split())

    @property
    def examples(self) -> list[str]:
        """The example command lines of the help text."""
        return [ex for kind, ex in _split_examples(self.help) if kind == "example"]


def _click_root(app: typer.Typer | None) -> Any:
    if app is None:
        from .. import cli

        cli._register()
        app = cli.app
    return typer.main.get_command(app)


def command_tree(app: typer.Typer | None = None) -> list[CommandDoc]:
    """Every command of `app` (default: the registered `pantau` app), root first, depth-first,
    in the order `--help` lists them."""
    root = _click_root(app)
    return list(_walk(root, root.context_class(root, info_name=PROG), (PROG,)))


def _walk(command: Any, ctx: Any, path: tuple[str, ...]) -> Iterator[CommandDoc]:
    names: tuple[str, ...] = ()
    if hasattr(command, "list_commands"):
        names = tuple(command.list_commands(ctx))
    yield CommandDoc(
        path=path,
        usage=" ".join([ctx.command_path, *command.collect_usage_pieces(ctx)]),
        help=inspect.cleandoc(command.help or ""),
        params=tuple(_params(command, ctx)),
        subcommands=names,
        hidden=bool(command.hidden),
        source=_source(getattr(command, "callback", None)),
    )
    for name in names:
        sub = command.get_command(ctx, name)
        if sub is not None:
            yield from _walk(sub, sub.context_class(sub, info_name=name, parent=ctx), (*path, name))


def _source(callback: Any) -> str:
    if callback is None:
        return ""
    func = inspect.unwrap(callback)  # typer wraps the function it was given
    try:
        file = Path(inspect.getsourcefile(func) or "")
        line = inspect.getsourcelines(func)[1]
    except (TypeError, OSError):
        return ""
    root = Path(__file__).resolve().parents[3]
    return f"{file.relative_to(root) if file.is_relative_to(root) else file}:{line}"


def _params(command: Any, ctx: Any) -> Iterator[ParamDoc]:
    for param in command.params:
        if param.name in _COMPLETION_PARAMS:
            continue
        record = param.get_help_record(ctx)
        if record is None:  # hidden
            continue
        name, shown = record
        own = param.help or ""
        default, notes = None, []
        extras = shown[len(own):].strip() if shown.startswith(own) else ""
        if extras.startswith("[") and extras.endswith("]"):
            for item in extras[1:-1].split("; "):
                if item.startswith("default: "):
                    default = item.removeprefix("default: ")
                else:
                    notes.append(item)
        elif extras or not shown.startswith(own):
            # A typer/click that formats help records differently: keep its text whole.
            own = shown
        kind = "argument" if param.param_type_name == "argument" else "option"
        yield ParamDoc(kind, name, own, default, tuple(notes))


def missing_examples(commands: Sequence[CommandDoc]) -> list[str]:
    """Commands whose help has no ``Example:``/``Examples:`` line naming that command."""
    bad = []
    for command in commands:
        if not any(ex == command.name or ex.startswith(command.name + " ")
                   for ex in command.examples):
            bad.append(command.name)
    return bad


# --- rendering ----------------------------------------------------------------------------


def _split_examples(help_text: str) -> list[tuple[str, str]]:
    """The help as ("text", paragraph) and ("example", command line) pieces, in order.

    ``Example: pantau x y`` takes the rest of its paragraph as one command (long examples
    wrap onto the next line); after a bare ``Examples:`` every line is a command.
    """
    pieces: list[tuple[str, str]] = []
    for para in re.split(r"\n\s*\n", help_text.strip()):
        match = _EXAMPLE.match(para)
        if not match or para[: match.start(1)].strip():
            pieces.append(("text", para))
            continue
        kind, rest = match.group(1), match.group(2)
        tail = para[match.end():].strip("\n")
        pieces.append(("label", kind))
        if kind == "Example":
            pieces.append(("example", " ".join((rest + " " + tail).split())))
        else:
            lines = [rest, *tail.splitlines()]
            pieces += [("example", " ".join(ln.split())) for ln in lines if ln.strip()]
    return pieces


def _help_markdown(help_text: str) -> list[str]:
    out: list[str] = []
    block: list[str] = []

    def flush() -> None:
        if block:
            out.extend(["```console", *(f"$ {ex}" for ex in block), "```", ""])
            block.clear()

    for kind, value in _split_examples(help_text):
        if kind == "example":
            block.append(value)
            continue
        flush()
        if kind == "label":
            out += [f"*{value}:*", ""]
        elif value.lstrip().startswith("\b"):
            # click's "do not rewrap" marker: keep the lines as they are.
            out += ["  \n".join(escape(ln) for ln in value.splitlines()[1:]), ""]
        else:
            out += [escape(" ".join(value.split())), ""]
    flush()
    return out


def _param_rows(params: Sequence[ParamDoc]) -> list[list[str]]:
    rows = []
    for p in params:
        notes = [n for n in p.notes if n != "required"]
        text = p.help
        if notes:
            text = f"{text} ({'; '.join(notes)})" if text else "; ".join(notes)
        default = code(p.default) if p.default else ""
        if "required" in p.notes:
            default = "*required*"
        rows.append([code(p.name), cell(text), default])
    return rows


def _command_markdown(command: CommandDoc) -> list[str]:
    level = "#" * min(len(command.path) + 1, 4)
    out = [f"{level} `{command.name}`", "", "```", command.usage, "```", ""]
    out += _help_markdown(command.help)
    arguments = [p for p in command.params if p.kind == "argument"]
    options = [p for p in command.params if p.kind == "option"]
    if arguments:
        out += ["**Arguments**", "", *table(["Argument", "Description", "Default"],
                                            _param_rows(arguments)), ""]
    if options:
        out += ["**Options**", "", *table(["Option", "Description", "Default"],
                                          _param_rows(options)), ""]
    if command.subcommands and len(command.path) > 1:  # the root's are in the overview
        subs = [f"[`{command.name} {s}`](#{anchor(f'{command.name} {s}')})"
                for s in command.subcommands]
        out += ["**Commands:** " + ", ".join(subs), ""]
    return out


def _exit_code_rows() -> list[list[str]]:
    """The PantauError hierarchy with exit codes, in definition order (parents first)."""
    rows: list[list[str]] = []

    def visit(cls: type[PantauError], depth: int) -> None:
        doc = inspect.cleandoc(cls.__doc__ or "").split("\n\n")[0]
        label = f"`{cls.__name__}`"
        if depth:
            label = "&nbsp;" * 4 * (depth - 1) + f"↳ {label}"
        rows.append([str(cls.exit_code), label, cell(doc)])
        # Only the documented hierarchy (errors.py); private subclasses elsewhere are details.
        for sub in cls.__subclasses__():
            if sub.__module__ == PantauError.__module__:
                visit(sub, depth + 1)

    visit(PantauError, 0)
    return rows


def render_cli(commands: Sequence[CommandDoc], generator: str) -> str:
    """docs/cli.md for `commands` (from `command_tree`)."""
    shown = [c for c in commands if not c.hidden]
    out = [
        "# Command-line reference",
        "",
        f"<!-- Generated by `{generator}` from src/pantau/cli/. Do not edit: change the help "
        "text in the code and run the generator again (tests/test_docs.py fails while this "
        "page is out of date). -->",
        "",
        "Every command prints the text below with `--help`. Settings, environment variables "
        "and the files under `PANTAU_HOME` are described in [configuration.md]"
        "(configuration.md).",
        "",
        "## Commands",
        "",
        *table(["Command", "What it does"],
               [[f"[`{c.name}`](#{anchor(c.name)})", cell(c.summary)] for c in shown[1:]]),
        "",
        "## Exit codes",
        "",
        "`0` on success. Any pantau error prints one line, `error: <message>`, on stderr and "
        "exits with the code of its class (a subclass inherits its parent's code). A wrong "
        "command, option or value exits `2` with click's usage message; Ctrl-C exits `130`.",
        "",
        *table(["Code", "Error", "Meaning"], _exit_code_rows()),
        "",
    ]
    for command in shown:
        out += _command_markdown(command)
    return "\n".join(out).rstrip("\n") + "\n"
