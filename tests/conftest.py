"""Every test runs with its own PANTAU_HOME and fresh settings; nothing touches ./data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pantau.config import get_settings

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("PANTAU_"):
            monkeypatch.delenv(name)
    home = tmp_path / "pantau-home"
    monkeypatch.setenv("PANTAU_HOME", str(home))
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
