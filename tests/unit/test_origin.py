"""Origin pinning: who launched the host, and whether it may be served."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sentinelx import extension_ids
from sentinelx.native import origin

ROOT = Path(__file__).resolve().parents[2]
CHROME_ID = extension_ids.CHROME_EXTENSION_ID


def test_shipped_manifest_key_gives_the_pinned_chrome_id_and_gecko_id() -> None:
    manifest = json.loads((ROOT / "extension" / "manifest.json").read_text())
    assert extension_ids.chrome_id_from_key(manifest["key"]) == CHROME_ID
    assert manifest["browser_specific_settings"]["gecko"]["id"] == extension_ids.GECKO_EXTENSION_ID


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([f"chrome-extension://{CHROME_ID}/"], origin.Caller("chrome", CHROME_ID)),
        ([f"chrome-extension://{CHROME_ID}/", "--parent-window=1234"],
         origin.Caller("chrome", CHROME_ID)),
        (["/home/u/.mozilla/native-messaging-hosts/com.sentinelx.host.json",
          "sentinelx@sentinelx.dev"], origin.Caller("firefox", "sentinelx@sentinelx.dev")),
        ([], origin.Caller("unknown", None)),
        (["chrome-extension://NOTANID/"], origin.Caller("unknown", None)),
    ],
)
def test_parse_caller(argv: list[str], expected: origin.Caller) -> None:
    assert origin.parse_caller(argv) == expected


def test_only_shipped_ids_by_default_and_config_can_add_more() -> None:
    allowed = origin.allowed_ids()
    assert origin.is_allowed(origin.Caller("chrome", CHROME_ID), allowed)
    assert origin.is_allowed(origin.Caller("firefox", "sentinelx@sentinelx.dev"), allowed)
    other = origin.Caller("chrome", "a" * 32)
    assert not origin.is_allowed(other, allowed)
    assert origin.is_allowed(other, origin.allowed_ids("a" * 32 + ", x@y"))
    assert not origin.is_allowed(origin.Caller("unknown", None), allowed)
