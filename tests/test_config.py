from __future__ import annotations

from pathlib import Path

import pytest

from pantau.config import load_settings
from pantau.errors import ConfigError


def test_defaults(isolated_home: Path) -> None:
    s = load_settings()
    assert s.home == isolated_home
    assert s.db_path == isolated_home / "pantau.duckdb"
    assert s.http.rate_limits["telegram"].per_seconds == 0.5
    assert "pantau/" in s.user_agent


def test_toml_file_and_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "pantau.toml"
    cfg.write_text('contact = "ops@example.org"\n[http]\nread_timeout = 12\n[review]\nfour_eyes = true\n')
    monkeypatch.setenv("PANTAU_HTTP__READ_TIMEOUT", "7")
    s = load_settings(cfg)
    assert s.contact == "ops@example.org"
    assert s.review.four_eyes is True
    assert s.http.read_timeout == 7  # the environment wins over the file
    assert "ops@example.org" in s.user_agent


def test_unknown_setting_is_named(tmp_path: Path) -> None:
    cfg = tmp_path / "pantau.toml"
    cfg.write_text("[http]\nread_timout = 12\n")
    with pytest.raises(ConfigError) as exc:
        load_settings(cfg)
    assert "http.read_timout" in str(exc.value)
    assert "unknown setting" in str(exc.value)


def test_bad_value_names_env_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANTAU_RETENTION_DAYS", "-3")
    with pytest.raises(ConfigError) as exc:
        load_settings()
    assert "PANTAU_RETENTION_DAYS" in str(exc.value)


def test_bad_timezone(tmp_path: Path) -> None:
    cfg = tmp_path / "pantau.toml"
    cfg.write_text('display_timezone = "Asia/Jakartaa"\n')
    with pytest.raises(ConfigError, match="unknown time zone"):
        load_settings(cfg)


def test_broken_toml_names_file(tmp_path: Path) -> None:
    cfg = tmp_path / "pantau.toml"
    cfg.write_text("[http\n")
    with pytest.raises(ConfigError, match="pantau.toml"):
        load_settings(cfg)


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml")


def test_secret_is_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANTAU_PLATFORMS__MASTODON_TOKEN", "s3cr3t-token")
    s = load_settings()
    assert "s3cr3t-token" not in repr(s)
    assert s.platforms.mastodon_token is not None
    assert s.platforms.mastodon_token.get_secret_value() == "s3cr3t-token"
