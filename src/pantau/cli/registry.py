"""`pantau registry …` and `pantau accounts …`: thin commands over `pantau.registry`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from .. import registry
from ..nip import NipError, parse_nip
from ..store import Store
from ._common import (
    ENCODING_HELP,
    REJECTS_HELP,
    SKIP_HELP,
    cell,
    err,
    out,
    print_rejected,
    print_warnings,
    run_import,
)

registry_app = typer.Typer(
    help="The ASN registry: import people (by NIP), list and show them.\n\n"
    "Example: pantau registry import data/samples/asn.csv",
    no_args_is_help=True,
)
accounts_app = typer.Typer(
    help="Social-media accounts of registered ASN.\n\n"
    "Example: pantau accounts import data/samples/accounts.csv",
    no_args_is_help=True,
)


def _print_report(report: registry.ImportReport) -> None:
    print_warnings(report.warnings)
    table = Table(title=cell(f"Imported {report.what} from {report.file}"), title_justify="left")
    for name in ("rows read", "new", "updated", "unchanged", "rejected"):
        table.add_column(name, justify="right")
    table.add_row(
        str(report.rows_read), str(report.new), str(report.updated), str(report.unchanged),
        f"[red]{report.rejected}[/]" if report.rejected else "0",
    )
    out.print(table)
    notes = []
    if report.duplicates:
        notes.append(f"{report.duplicates} identical repeated row(s) imported once")
    if report.agencies_new:
        notes.append(f"{report.agencies_new} new agenc{'y' if report.agencies_new == 1 else 'ies'}")
    if notes:
        out.print("; ".join(notes))
    if report.rejected:
        print_rejected(report.file, report.problems, report.rejects_path)


@registry_app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., help="Registry file (.csv or .xlsx): nip, nama, jabatan, "
                                          "golongan, instansi, unit_kerja, wilayah."),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help=SKIP_HELP),
    rejects: Path | None = typer.Option(None, "--rejects", help=REJECTS_HELP),
    encoding: str | None = typer.Option(None, "--encoding", help=ENCODING_HELP),
) -> None:
    """Import ASN people from CSV or XLSX. All-or-nothing unless --skip-invalid.

    Example: pantau registry import asn.xlsx --skip-invalid --rejects bad.csv
    """
    _print_report(run_import([file], lambda store: registry.import_people(
        store, file, skip_invalid=skip_invalid, rejects_path=rejects, encoding=encoding)))


@registry_app.command("list")
def list_cmd(
    instansi: str | None = typer.Option(None, "--instansi", help="Agency (part of the name)."),
    wilayah: str | None = typer.Option(None, "--wilayah", help="Region (part of the name)."),
    limit: int | None = typer.Option(None, "--limit", min=0, help="Show at most N people."),
) -> None:
    """List registered ASN, optionally filtered by agency and region.

    Example: pantau registry list --instansi "Kota Bandung" --limit 20
    """
    with Store.open(read_only=True) as store:
        people = registry.list_people(store, instansi=instansi, wilayah=wilayah, limit=limit)
    table = Table(title=f"ASN registry ({len(people)} shown)", title_justify="left")
    for name in ("NIP", "Nama", "Jabatan", "Gol.", "Instansi", "Wilayah", "Jenis", "Akun"):
        table.add_column(name, overflow="fold")
    table.columns[0].no_wrap = True
    for row in people.itertuples(index=False):
        table.add_row(
            *(cell(v) for v in (row.nip, row.nama, row.jabatan, row.golongan, row.instansi,
                                 row.wilayah, row.kind, row.accounts))
        )
    out.print(table)


@registry_app.command("show")
def show_cmd(
    nip: str = typer.Argument(..., help="The NIP (spaces and dots allowed)."),
) -> None:
    """Show one ASN and their known accounts.

    Example: pantau registry show "19850314 201001 1 002"
    """
    try:
        parse_nip(nip)
    except NipError as exc:
        err.print(f"[bold red]error:[/] {escape(repr(nip))} is not a valid NIP: {escape(str(exc))}")
        raise typer.Exit(2) from None
    with Store.open(read_only=True) as store:
        person = registry.get_person(store, nip)
    if person is None:
        err.print(f"[bold red]error:[/] NIP {escape(nip)} is not in the registry")
        raise typer.Exit(1)
    table = Table(title=cell(f"{person['nama']} ({person['nip']})"), show_header=False,
                  title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    fields = [
        ("NIP", person["nip"]), ("Nama", person["nama"]), ("Jenis", person["kind"]),
        ("Jabatan", person["jabatan"]), ("Golongan", person["golongan"]),
        ("Instansi", person["instansi"]), ("Unit kerja", person["unit_kerja"]),
        ("Wilayah", person["wilayah"]),
        ("Lahir", person["birth_date"].isoformat() if person["birth_date"] else ""),
        ("Jenis kelamin", {1: "laki-laki", 2: "perempuan"}.get(person["gender"], "")),
        *((f"({k})", str(v)) for k, v in person["extra"].items()),
        ("Sumber", person["source_file"]),
    ]
    for name, value in fields:
        table.add_row(cell(name), cell(value))
    out.print(table)
    accounts = Table(title=f"Accounts ({len(person['accounts'])})", title_justify="left")
    for name in ("Platform", "Handle", "URL", "Platform id"):
        accounts.add_column(name, overflow="fold")
    for acc in person["accounts"]:
        accounts.add_row(*(cell(acc[k]) for k in ("platform", "handle", "url", "platform_id")))
    out.print(accounts)


@accounts_app.command("import")
def accounts_import_cmd(
    file: Path = typer.Argument(..., help="Accounts file (.csv or .xlsx): nip, platform, "
                                          "handle, optional url."),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help=SKIP_HELP),
    rejects: Path | None = typer.Option(None, "--rejects", help=REJECTS_HELP),
    encoding: str | None = typer.Option(None, "--encoding", help=ENCODING_HELP),
) -> None:
    """Import ASN accounts; the NIPs must already be in the registry. Handles may be profile
    URLs (t.me/s/name, bsky.app/profile/…, mastodon.social/@user).

    Example: pantau accounts import accounts.csv --skip-invalid
    """
    _print_report(run_import([file], lambda store: registry.import_accounts(
        store, file, skip_invalid=skip_invalid, rejects_path=rejects, encoding=encoding)))


def register(app: typer.Typer) -> None:
    app.add_typer(registry_app, name="registry")
    app.add_typer(accounts_app, name="accounts")
