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


# --- providers, aliases, keys per provider, privacy (the provider core) -----------------

def test_every_provider_has_its_settings_and_vt_names_are_aliases() -> None:
    from sentinelx.enrichment.providers import registry

    settings = config.load()
    for name in registry.names():
        for s in ("enabled", "base_url", "requests_per_minute", "requests_per_day"):
            assert f"providers.{name}.{s}" in settings
    config.set_value("vt.malicious_threshold", "5")
    assert config.get("providers.virustotal.malicious_threshold") == 5
    config.set_value("providers.virustotal.requests_per_minute", 9)
    assert config.get("vt.requests_per_minute") == 9
    stored = config.config_path().read_text()
    assert "vt.malicious_threshold" not in stored  # one name on disk: the canonical one
    with pytest.raises(PermissionError):
        config.set_value("providers.virustotal.base_url", "https://x.example", remote=True)


def test_a_file_from_before_the_provider_core_keeps_its_values() -> None:
    config.config_path().parent.mkdir(parents=True)
    config.config_path().write_text('{"vt.requests_per_minute": 30, "vt.base_url": '
                                    '"http://127.0.0.1:9/api/v3"}')
    assert config.get("providers.virustotal.requests_per_minute") == 30
    assert config.get("vt.base_url") == "http://127.0.0.1:9/api/v3"


@pytest.mark.parametrize("blank", ["", " ", None])
def test_blank_values_are_refused(blank) -> None:
    for name in ("cache.ttl_hours", "vt.requests_per_minute", "providers.virustotal.base_url"):
        with pytest.raises(config.ConfigError, match=r"required|expected"):
            config.set_value(name, blank)
    assert not config.config_path().exists()


@pytest.mark.parametrize(("key", "masked"), [
    ("a", "****"), ("abcd", "****"), ("abcdefgh", "****"), ("abcdefghi", "****fghi"),
    ("0123456789abcdef" * 4, "****cdef"),
])
def test_mask_never_shows_more_than_four_and_nothing_of_a_short_key(key, masked) -> None:
    assert config.mask(key) == masked


@pytest.mark.parametrize("bad", ["ключ-тест-1234", "abc def" * 5, "tab\there" * 4, "é" * 64,
                                 "x" * 300, "", "   "])
def test_keys_that_could_not_be_sent_are_refused_with_a_reason(bad) -> None:
    with pytest.raises(config.ConfigError):
        config.save_key("virustotal", bad)
    assert not config.key_path().exists()


def test_key_must_match_the_provider_format() -> None:
    with pytest.raises(config.ConfigError, match="64 hexadecimal"):
        config.save_key("virustotal", "k" * 64)
    assert config.save_key("virustotal", " " + "A1" * 32 + "\n") == "A1" * 32
    assert config.load_key("virustotal") == ("A1" * 32, "file")


def test_env_keys_per_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENTINELX_VIRUSTOTAL_API_KEY", "b" * 64)
    assert config.load_key("virustotal") == ("b" * 64, "env")
    monkeypatch.setenv("VT_API_KEY", "c" * 64)  # the old name still wins
    assert config.load_key("virustotal") == ("c" * 64, "env")
    monkeypatch.setenv("VT_API_KEY", "ключ")  # could not be sent: as if absent
    assert config.load_key("virustotal") == ("b" * 64, "env")
    assert config.key_envs("virustotal") == ["VT_API_KEY", "SENTINELX_VIRUSTOTAL_API_KEY"]
    with pytest.raises(config.ConfigError, match="unknown provider"):
        config.load_key("nosuch")


def test_never_send_list_is_normalised_and_validated() -> None:
    assert config.set_value("privacy.never_send",
                            "MyCorp.com, *.intra.example\n10.1.2.3/8 2001:db8::/32") == (
        "mycorp.com,intra.example,10.0.0.0/8,2001:db8::/32")
    for bad in ("not a domain!", "10.0.0.0/99", "exa mple"):
        with pytest.raises(config.ConfigError):
            config.set_value("privacy.never_send", bad.replace(" ", "_") if " " in bad else bad)


def test_log_redaction_covers_short_keys(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    from sentinelx import logs

    logs.register_secret("ab1")
    record = logging.LogRecord("sentinelx", logging.INFO, __file__, 1, "key=%s", ("ab1",), None)
    logs.RedactSecrets().filter(record)
    assert "ab1" not in record.getMessage()


# --- generated hostile values: a clear ConfigError or a value that loads back -------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

ANY_VALUE = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
             | st.text(max_size=40) | st.sampled_from(["", " ", "0", "-1", "1e400", "nan",
                                                       "inf", "true", "https://a.b",
                                                       "http://127.0.0.1:1/x", "\ud800"]))


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(sorted(config.all_settings()) + sorted(config.ALIASES)), ANY_VALUE)
def test_any_value_for_any_setting_is_refused_clearly_or_round_trips(name, value) -> None:
    try:
        stored = config.set_value(name, value)
    except config.ConfigError as e:
        assert str(e)  # a message the user can read
        return
    assert config.get(name) == stored


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_key_is_refused_clearly_or_stored_usable_and_masked(key) -> None:
    from sentinelx import keys

    try:
        stored = keys.save_key("virustotal", key)
    except config.ConfigError as e:
        # Never echoed back: the message is one a key of the same length without any of
        # its characters gets ("VirusTot" is a word of the message, not an echo).
        n = len(key.strip())
        same: set[str] = set()
        for other in ("", "é" * n, "~" * n):
            try:
                keys.save_key("virustotal", other)
            except config.ConfigError as ref:
                same.add(str(ref))
        assert str(e) in same
        return
    assert keys.usable(stored) and keys.load_key("virustotal") == (stored, "file")
    masked = keys.mask(stored)
    assert masked is not None and len(masked) <= 8 and stored[:-4] not in masked


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_never_send_parser_never_crashes(text) -> None:
    from sentinelx.enrichment.plan import NeverSend
    from sentinelx.pipeline.models import IOC, IOCType

    try:
        parsed = config.never_send_list(text)
    except config.ConfigError:
        return
    rules = NeverSend.parse(str(parsed))
    for t in IOCType:
        rules.covers(IOC(t, text or "x", "x", 0))
