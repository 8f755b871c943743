"""A small JSON mirror of the 429 pauses (the SQLite quota_pause table is the truth), so
`pong` can say "paused until" without opening SQLite on the browser's cold start."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from sentinelx import paths

log = logging.getLogger("sentinelx.quota")
FILE = "quota_pause.json"


def path() -> Path:
    return paths.cache_dir() / FILE


def _stored() -> str | None:
    try:
        return path().read_text("utf-8")
    except (OSError, ValueError):
        return None


def read(stored: str | None = None) -> dict[str, float]:
    """provider -> pause end (epoch seconds), only pauses still running (from `stored`, the
    file's text, when given)."""
    try:
        data = json.loads(stored if stored is not None else _stored() or "")
    except (ValueError, RecursionError):
        return {}
    now = time.time()
    if not isinstance(data, dict):
        return {}
    return {k: float(v) for k, v in data.items() if isinstance(k, str)
            and isinstance(v, int | float) and not isinstance(v, bool) and v > now}


def record(provider: str, until: float | None) -> None:
    """Mirror one provider's pause (None: cleared). Best effort: a failure only means pong
    shows a stale pause until the next change."""
    from sentinelx.config import write_private

    try:
        stored = _stored()
        data = read(stored) if stored is not None else {}
        if until is None:
            data.pop(provider, None)
        else:
            data[provider] = until
        text = json.dumps(data, sort_keys=True)
        if text == stored or (stored is None and not data):
            return  # unchanged: a rewrite would only make the capabilities snapshot stale
        write_private(path(), text)
    except OSError as e:
        log.warning("cannot update %s: %s", FILE, e)
