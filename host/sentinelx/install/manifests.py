"""Host manifests: build them, render them byte-stable, and read them back for `doctor`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sentinelx.extension_ids import (
    CHROME_EXTENSION_ID,
    GECKO_EXTENSION_ID,
    NATIVE_HOST_NAME,
    chrome_origin,
)
from sentinelx.install.browsers import CHROME, FIREFOX

DESCRIPTION = "SentinelX: extracts and enriches indicators of compromise"


def build(
    family: str,
    launcher: Path,
    chrome_id: str = CHROME_EXTENSION_ID,
    gecko_id: str = GECKO_EXTENSION_ID,
) -> dict[str, Any]:
    """The manifest for one browser family; `launcher` must be absolute (Linux/macOS require it)."""
    if not launcher.is_absolute():
        raise ValueError(f"the launcher path must be absolute, got {launcher}")
    manifest: dict[str, Any] = {
        "name": NATIVE_HOST_NAME,
        "description": DESCRIPTION,
        "path": str(launcher),
        "type": "stdio",
    }
    if family == CHROME:
        manifest["allowed_origins"] = [chrome_origin(chrome_id)]
    elif family == FIREFOX:
        manifest["allowed_extensions"] = [gecko_id]
    else:
        raise ValueError(f"unknown browser family {family!r}")
    return manifest


def render(manifest: dict[str, Any]) -> str:
    """Fixed key order and a final newline, so a re-install compares equal byte for byte."""
    return json.dumps(manifest, indent=2) + "\n"


class ManifestError(ValueError):
    """A manifest file that exists but cannot be used; the message says why."""


def load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except UnicodeDecodeError as e:
        raise ManifestError(f"not UTF-8: {e}") from e
    except json.JSONDecodeError as e:
        raise ManifestError(f"not valid JSON: {e}") from e
    if not isinstance(data, dict):
        raise ManifestError("not a JSON object")
    return data
