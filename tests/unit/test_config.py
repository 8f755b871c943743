"""Settings and the key store: validation, 0600 files, local-only settings."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from sentinelx import config


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENTINELX_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.delenv("VT_API_KEY", raising=False)


def test_defaults_are_the_public_api_quota() -> None:
    settings = config.load()
    assert settings["vt.requests_per_minute"] == 4 and settings["vt.requests_per_day"] == 500
    assert settings["vt.base_url"] == "https://www.virustotal.com/api/v3"
    assert settings["privacy.send_private"] is False


def test_set_validates_and_persists_with_mode_0600() -> None:
    assert config.set_value("vt.requests_per_minute", "30") == 30
    assert config.load()["vt.requests_per_minute"] == 30
    assert stat.S_IMODE(config.config_path().stat().st_mode) == 0o600
    with pytest.raises(config.ConfigError):
        config.set_value("vt.requests_per_minute", "many")
    with pytest.raises(config.ConfigError):
        config.set_value("no.such", 1)


def test_base_url_is_local_only_and_must_be_https_except_loopback() -> None:
    with pytest.raises(PermissionError):
        config.set_value("vt.base_url", "https://evil.example/api", remote=True)
    with pytest.raises(config.ConfigError):
        config.set_value("vt.base_url", "http://evil.example/api")
    assert config.set_value("vt.base_url", "http://127.0.0.1:8080/api/v3/") == (
        "http://127.0.0.1:8080/api/v3"
    )


def test_key_store_is_0600_masked_and_env_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    config.store_key("  abcdef1234567890\n")
    assert stat.S_IMODE(config.key_path().stat().st_mode) == 0o600
    assert config.load_key() == ("abcdef1234567890", "file")
    assert config.key_state() == {"set": True, "masked": "****7890", "source": "file"}
    monkeypatch.setenv("VT_API_KEY", "envkey0000wxyz")
    assert config.load_key() == ("envkey0000wxyz", "env")
    assert config.clear_key() is True
    monkeypatch.delenv("VT_API_KEY")
    assert config.key_state() == {"set": False, "masked": None, "source": None}


def test_a_corrupt_config_file_falls_back_per_setting() -> None:
    config.config_path().parent.mkdir(parents=True)
    config.config_path().write_text('{"vt.requests_per_minute": "lots", "cache.ttl_hours": 2}')
    settings = config.load()
    assert settings["vt.requests_per_minute"] == 4 and settings["cache.ttl_hours"] == 2.0
