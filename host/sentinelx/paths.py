"""Where SentinelX keeps its files: platformdirs, overridable through the environment."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "sentinelx"


def _dir(env: str, default: str) -> Path:
    override = os.environ.get(env)
    return Path(override).expanduser() if override else Path(default)


def config_dir() -> Path:
    return _dir("SENTINELX_CONFIG_DIR", platformdirs.user_config_dir(APP, appauthor=False))


def cache_dir() -> Path:
    return _dir("SENTINELX_CACHE_DIR", platformdirs.user_cache_dir(APP, appauthor=False))


def log_dir() -> Path:
    return _dir("SENTINELX_LOG_DIR", platformdirs.user_log_dir(APP, appauthor=False))


def data_dir() -> Path:
    """Holds the installed venv and launcher; SENTINELX_DATA_DIR overrides it."""
    return _dir("SENTINELX_DATA_DIR", platformdirs.user_data_dir(APP, appauthor=False))


def ensure(path: Path, mode: int = 0o700) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=mode)
    return path
