"""The `pantau` command: a thin layer over the library. Every command has --help with an example.

Each command group lives in its own module beside this one and is registered below.
"""

from __future__ import annotations

import sys

import typer
from rich.text import Text

from .. import __version__
from ..csvsafe import printable
from ..errors import PantauError
from ._common import err

app = typer.Typer(
    name="pantau",
    help=(
        "pantau: flag partisan social-media acts of Indonesian civil servants (ASN) "
        "under the SKB 2022 on ASN neutrality.\n\n"
        "Example: pantau registry import asn.csv"
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        print(f"pantau {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """pantau command line."""


# Each module below defines `register(app)`, adding its commands to the app.
COMMAND_MODULES = [
    "registry",
    "election",
    "collect",
    "evidence",
    "review",
    "media",
    "parse",
    "imports",
    "maintenance",
    "serve",
    "demo",
    "classify",
]


def _register() -> None:
    import importlib

    if getattr(app, "_pantau_registered", False):
        return
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(app)
    app._pantau_registered = True  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    """Entry point: PantauError becomes a clear message and its exit code, never a traceback."""
    _register()
    try:
        result = app(args=argv, standalone_mode=False)
    except PantauError as exc:
        # Messages quote user data (file contents, URLs): never let it drive the terminal.
        err.print(Text.assemble(("error: ", "bold red"), printable(str(exc))), soft_wrap=True)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        err.print("aborted")
        return 130
    except Exception as exc:  # click usage errors
        import click

        click_errors: tuple[type[Exception], ...] = (click.ClickException,)
        try:  # typer >= 0.2x ships its own copy of click: its errors are not click's classes
            from typer._click.exceptions import ClickException as TyperClickException

            click_errors += (TyperClickException,)
        except ImportError:
            pass
        if isinstance(exc, click_errors):
            exc.show()
            return exc.exit_code
        raise
    # With standalone_mode=False click *returns* a `typer.Exit(code)`'s code instead of raising.
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
