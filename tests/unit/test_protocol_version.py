"""The protocol number has two copies, the host's (pong) and the extension's (which compares
them to say "the helper is out of date"): they must be bumped together."""

from __future__ import annotations

import re
from pathlib import Path

from sentinelx.enrichment.capabilities import PROTOCOL

JS = Path(__file__).resolve().parents[2] / "extension" / "lib" / "protocol.js"


def test_host_and_extension_speak_the_same_protocol() -> None:
    m = re.search(r"export const PROTOCOL_VERSION = (\d+);", JS.read_text())
    assert m, "PROTOCOL_VERSION not found in extension/lib/protocol.js"
    assert int(m.group(1)) == PROTOCOL
