"""The --rejects help names the file --skip-invalid actually writes (QA walkthrough)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import pantau.cli as cli
from pantau.config import get_settings


def test_rejects_default_matches_help(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANTAU_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    src = tmp_path / "asn.csv"
    src.write_text(
        "nip,nama,jabatan,golongan,instansi,unit_kerja,wilayah\n"
        "198503142010011002,Arif,Analis,III/c,Pemprov DKI,Biro,DKI Jakarta\n"
        "1985031420100110,Bad,Analis,III/c,Pemprov DKI,Biro,DKI Jakarta\n",
        encoding="utf-8",
    )
    assert cli.main(["registry", "import", str(src), "--skip-invalid"]) == 0
    assert (tmp_path / "asn.rejects.csv").exists()
    assert not (tmp_path / "asn.csv.rejects.csv").exists()

    cli._register()
    help_text = CliRunner().invoke(cli.app, ["registry", "import", "--help"],
                                   terminal_width=200).output
    assert "asn.xlsx -> asn.rejects.csv" in " ".join(help_text.split())
    get_settings.cache_clear()
