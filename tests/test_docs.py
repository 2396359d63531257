"""The generated reference pages stay true: every command has an example and a working
--help, docs/cli.md and docs/configuration.md match the code, and what the configuration page
says (example file, environment variable names, evidence paths) works as written."""

from __future__ import annotations

import difflib
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer

from pantau.cli import main
from pantau.collectors.base import Fetched
from pantau.config import Settings, load_settings
from pantau.docs import DEFAULT_DOCS_DIR, GENERATOR, main as gen_main, render_all, stale_docs
from pantau.docs.cli_ref import command_tree, missing_examples, render_cli
from pantau.docs.config_ref import EXAMPLE_TOML, data_layout, settings_docs
from pantau.evidence import archive

COMMANDS = command_tree()


def test_every_command_has_an_example_naming_it() -> None:
    offenders = missing_examples(COMMANDS)
    where = {c.name: c.source or "typer.Typer(help=...) of the group" for c in COMMANDS}
    assert not offenders, (
        "these commands have no 'Example: <the command> ...' line in their help text:\n"
        + "\n".join(f"  {name}  ({where[name]})" for name in offenders)
    )


def test_missing_examples_catches_a_command_without_one() -> None:
    app = typer.Typer(help="Tool.\n\nExample: pantau good")

    @app.command()
    def good() -> None:
        """Does it.

        Example: pantau good --flag
        """

    @app.command()
    def bare() -> None:
        """No example here."""

    @app.command()
    def borrowed() -> None:
        """An example, but of another command.

        Example: pantau good
        """

    commands = command_tree(app)
    assert [c.name for c in commands] == ["pantau", "pantau good", "pantau bare",
                                          "pantau borrowed"]
    assert missing_examples(commands) == ["pantau bare", "pantau borrowed"]
    assert commands[2].source.endswith(f"tests/test_docs.py:{bare.__code__.co_firstlineno}")


def test_wrapped_and_multiple_examples_are_read_whole() -> None:
    app = typer.Typer()

    @app.command()
    def add() -> None:
        """Add one.

        Example: pantau add --url https://t.me/kanal/12
        --reporter 0812 --at 2024-11-20
        """

    @app.command()
    def many() -> None:
        """Several ways.

        Examples:
          pantau many --a
          pantau many --b
        """

    by_name = {c.name: c for c in command_tree(app)}
    assert by_name["pantau add"].examples == [
        "pantau add --url https://t.me/kanal/12 --reporter 0812 --at 2024-11-20"]
    assert by_name["pantau many"].examples == ["pantau many --a", "pantau many --b"]
    page = render_cli(list(by_name.values()), "gen")
    assert "$ pantau add --url https://t.me/kanal/12 --reporter 0812 --at 2024-11-20" in page
    assert "$ pantau many --a\n$ pantau many --b" in page


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c.name)
def test_help_exits_zero(command, capsys: pytest.CaptureFixture,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # rich folds long example lines otherwise
    assert main([*command.path[1:], "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Usage:" in out
    for example in command.examples:
        assert example in out, f"{command.name} --help does not show {example!r}"


def test_pages_are_up_to_date() -> None:
    stale = stale_docs(DEFAULT_DOCS_DIR)
    details = []
    for path in stale:
        if not path.is_file():
            details.append(f"{path}: missing")
            continue
        old = path.read_text(encoding="utf-8").splitlines()
        new = render_all()[path.name].splitlines()
        diff = list(difflib.unified_diff(old, new, str(path), "generated", lineterm="", n=1))
        details.append("\n".join(diff[:30]))
    assert not stale, (
        f"out of date: {', '.join(str(p) for p in stale)}; run `{GENERATOR}` and commit the "
        "result\n" + "\n".join(details)
    )


def test_generator_writes_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "docs"
    assert gen_main(["--out", str(out), "--check"]) == 1
    assert "cli.md: out of date" in capsys.readouterr().err
    assert gen_main(["--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["cli.md", "configuration.md"]
    assert gen_main(["--out", str(out), "--check"]) == 0
    (out / "configuration.md").write_text("edited by hand\n", encoding="utf-8")
    assert gen_main(["--out", str(out), "--check"]) == 1
    assert gen_main(["--out", str(out)]) == 0
    assert (out / "configuration.md").read_text(encoding="utf-8") == render_all()[
        "configuration.md"]


def test_cli_page_lists_every_command_option_and_default() -> None:
    page = render_all()["cli.md"]
    for command in COMMANDS:
        assert f"`{command.name}`" in page
        assert command.usage in page
        for param in command.params:
            assert param.name.replace("|", "\\|") in page, f"{command.name}: {param.name}"
    # Spot checks against what --help prints for known options.
    errors = next(c for c in COMMANDS if c.name == "pantau errors")
    limit = next(p for p in errors.params if "--limit" in p.name)
    assert limit.default == "50" and "x>=1" in limit.notes
    assert "| `-n, --limit <int range>` | Show at most this many. (x\\>=1) | `50` |" in page


def test_every_setting_has_a_description() -> None:
    missing = [s.key for sec in settings_docs() for s in sec.settings if not s.description]
    assert not missing, (
        "add Field(description=...) in src/pantau/config.py for: " + ", ".join(missing))


def test_every_setting_is_on_the_page() -> None:
    page = render_all()["configuration.md"]

    def keys(model: type, prefix: tuple[str, ...]) -> list[tuple[str, ...]]:
        found = []
        for name, info in model.model_fields.items():
            ann = info.annotation
            if isinstance(ann, type) and hasattr(ann, "model_fields"):
                found += keys(ann, (*prefix, name))
            else:
                found.append((*prefix, name))
        return found

    for key in keys(Settings, ()):
        env = "PANTAU_" + "__".join(key).upper()
        assert f"`{env}`" in page, f"{'.'.join(key)} ({env}) is not documented"


def test_documented_environment_variables_set_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each documented PANTAU_* name, given a non-default value, changes exactly its setting."""
    monkeypatch.chdir(tmp_path)  # no ./pantau.toml
    changed = {"integer": "7", "number": "0.75", "boolean": "true", "string": "x@example.org",
               "path": "elsewhere", "list of string": '["a.example"]'}
    # Strings the settings validate: a value they accept.
    valid = {"display_timezone": "Asia/Makassar", "store.catalog": "duckdb:catalog.ducklake"}
    checked = 0
    for section in settings_docs():
        for s in section.settings:
            base = s.type.split(" (")[0].removesuffix(" or unset")
            if not s.env or base not in changed:
                continue
            raw = valid.get(s.key, changed[base])
            monkeypatch.setenv(s.env, raw)
            value = load_settings()
            monkeypatch.delenv(s.env)
            for part in s.key.split("."):
                value = getattr(value, part)
            expected = json.loads(raw) if base.startswith("list") else raw
            if base != "list of string":
                expected = {"integer": int, "number": float, "boolean": lambda v: v == "true",
                            "string": str, "path": Path}[base](expected)
            assert value == expected, f"{s.env}={raw} gave {s.key} = {value!r}"
            checked += 1
    assert checked >= 20


def test_example_toml_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PANTAU_HOME")  # the environment would win over the file's home
    path = tmp_path / "pantau.toml"
    path.write_text(EXAMPLE_TOML, encoding="utf-8")
    settings = load_settings(path)
    assert settings.home == Path("/srv/pantau")
    assert settings.review.four_eyes is True
    assert settings.export.recipients == ["bkn", "kasn"]
    assert settings.platforms.mastodon_servers == ["mastodon.social"]
    assert EXAMPLE_TOML.strip() in render_all()["configuration.md"]


def test_evidence_is_filed_where_the_layout_says(tmp_path: Path) -> None:
    pattern = next(p for p, _ in data_layout() if p.endswith(".gz"))
    regex = re.escape(pattern)
    for name, part in {"platform": r"[a-z]+", "yyyy": r"\d{4}", "mm": r"\d{2}", "dd": r"\d{2}",
                       "sha256": r"[0-9a-f]{64}"}.items():
        regex = regex.replace(re.escape(f"<{name}>"), part)
    fetched = Fetched(url="https://t.me/s/kanal", status=200,
                      headers={"content-type": "text/html"}, content=b"<html>bukti</html>",
                      requested_at=datetime(2024, 11, 20, 23, 30, tzinfo=UTC),
                      platform="telegram")
    record = archive(tmp_path, fetched, "test")
    assert re.fullmatch(regex, record.path), (record.path, pattern)
    assert record.path.startswith("raw/telegram/2024/11/20/")
    assert (tmp_path / record.path).is_file()


def test_layout_names_the_settings_paths() -> None:
    s = Settings.model_construct()
    paths = [p for p, _ in data_layout()]
    assert s.db_path.name in paths
    assert any(p.startswith(s.raw_dir.name + "/") for p in paths)
    assert any(p.startswith(s.exports_dir.name + "/") for p in paths)


def test_a_list_that_is_not_json_names_its_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """configuration.md says lists come as JSON; a plain value is a ConfigError naming it."""
    from pantau.errors import ConfigError

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PANTAU_EXPORT__RECIPIENTS", "bkn,kasn")
    with pytest.raises(ConfigError, match=r"PANTAU_EXPORT__RECIPIENTS: not valid JSON"):
        load_settings()
    monkeypatch.setenv("PANTAU_EXPORT__RECIPIENTS", '["bkn", "kasn"]')
    assert load_settings().export.recipients == ["bkn", "kasn"]


def test_a_usage_error_exits_2_as_documented(capsys: pytest.CaptureFixture) -> None:
    assert main(["registry", "no-such-command"]) == 2
    assert "No such command 'no-such-command'" in capsys.readouterr().err
    assert main(["review", "list", "--limit", "many"]) == 2
    assert "Invalid value for '--limit'" in capsys.readouterr().err
