"""The real-browser tests' stand-in host (tests/e2e/contract_host.py) must speak the host's wire:
every reply it sends fits the host's own reply schemas (protocol 3: the compact `previewed`
after `extract` when asked, in self-contained parts), so a browser test against it tests the
extension against the real contract, not a copy that drifted."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sentinelx.enrichment.capabilities import PROTOCOL
from sentinelx.protocol.validate import check

HOST = Path(__file__).resolve().parents[1] / "e2e" / "contract_host.py"
HEADER = struct.Struct("=I")


class Stand:
    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc

    def ask(self, msg: dict[str, Any]) -> None:
        problem = check("request", msg)
        assert problem is None, problem  # what the extension sends fits the host's schema too
        body = json.dumps(msg).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(HEADER.pack(len(body)) + body)
        self.proc.stdin.flush()

    def reply(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        (n,) = HEADER.unpack(self.proc.stdout.read(4))
        msg: dict[str, Any] = json.loads(self.proc.stdout.read(n))
        problem = check("reply", msg)
        assert problem is None, (problem, msg["type"])
        return msg

    def until(self, rid: str, kind: str) -> list[dict[str, Any]]:
        """Every reply to `rid` up to the last part of `kind`."""
        got: list[dict[str, Any]] = []
        while True:
            msg = self.reply()
            assert msg["id"] == rid
            got.append(msg)
            if msg["type"] == kind and msg["part"] == msg["parts"]:
                return got


@pytest.fixture
def stand(tmp_path: Path) -> Iterator[Stand]:
    config = tmp_path / "contract.json"
    config.write_text(json.dumps({"keys": {"virustotal": "k" * 64}}))
    proc = subprocess.Popen([sys.executable, str(HOST)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            env={**os.environ, "SX_CONTRACT_CONFIG": str(config)})
    try:
        yield Stand(proc)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)


def whole(parts: list[dict[str, Any]]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(type, value, plan rows) of every IOC of a `previewed` in parts, each part on its own."""
    out = []
    for p in parts:
        for i in p["iocs"]:
            assert 0 <= i["plan"] < len(p["plans"]), "a part's plan numbers index its own plans"
            out.append((i["type"], i["value"], p["plans"][i["plan"]]))
    return out


def test_pong_speaks_the_hosts_protocol(stand: Stand) -> None:
    stand.ask({"id": "1", "type": "ping"})
    assert stand.reply()["protocol"] == PROTOCOL


def test_extract_with_preview_then_compact_previewed_in_parts(stand: Stand) -> None:
    domains = [f"c2-{n}.bench-bad.com" for n in range(6000)]
    text = " ".join(domains) + " 10.1.2.3 8.8.4.4 CVE-2021-44228"
    stand.ask({"id": "2", "type": "extract", "text": text, "preview": {"include_private": False}})
    got = stand.until("2", "previewed")
    kinds = [m["type"] for m in got]
    first_preview = kinds.index("previewed")
    assert set(kinds[:first_preview]) == {"extracted"} and set(kinds[first_preview:]) == {"previewed"}
    extracted = [i for m in got[:first_preview] for i in m["iocs"]]
    previews = got[first_preview:]
    assert len(previews) > 1, "6,000 IOCs come in parts"
    rows = whole(previews)
    offered = [(i["type"], i["value"]) for i in extracted if not i["private"]]
    assert [(t, v) for t, v, _ in rows] == offered, "the non-private IOCs, in extraction order"
    found = [(i["type"], i["value"]) for i in extracted]
    assert ("ipv4", "10.1.2.3") in found and ("ipv4", "10.1.2.3") not in offered
    plan = {(t, v): r for t, v, r in rows}
    assert [a["provider"] for a in plan[("cve", "CVE-2021-44228")]] == ["nvd"]
    assert {a["action"] for a in plan[("domain", domains[0])]} == {"send"}
    assert len({m["estimate"]["lookups"] for m in previews}) == 1, "the same estimate in every part"


def test_extract_without_preview_sends_no_previewed(stand: Stand) -> None:
    stand.ask({"id": "3", "type": "extract", "text": "1.2.3.4"})
    stand.ask({"id": "4", "type": "ping"})
    assert [stand.reply()["type"], stand.reply()["type"]] == ["extracted", "pong"]


def test_private_ones_are_offered_when_allowed_and_standalone_preview_is_compact(stand: Stand) -> None:
    stand.ask({"id": "5", "type": "extract", "text": "10.1.2.3 1.2.3.4",
               "preview": {"include_private": True}})
    rows = whole(stand.until("5", "previewed")[1:])
    assert [v for _, v, _ in rows] == ["10.1.2.3", "1.2.3.4"]
    stand.ask({"id": "6", "type": "preview", "iocs": [{"type": "ipv4", "value": "1.2.3.4"},
                                                       {"type": "email", "value": "a@b.example"}]})
    rows = whole(stand.until("6", "previewed"))
    assert rows[1][2] == [], "no provider takes an email: an empty plan"
    assert {a["provider"] for a in rows[0][2]} == {"virustotal", "urlhaus", "internetdb"}
