"""PROTOCOL.md stays true: every example validates, and every message type has one."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sentinelx.protocol import validate

DOC = Path(__file__).resolve().parents[2] / "host" / "sentinelx" / "protocol" / "PROTOCOL.md"


def examples() -> list[dict]:
    found = []
    for block in re.findall(r"```json\n(.*?)```", DOC.read_text(), flags=re.S):
        try:
            found.append(json.loads(block))
        except ValueError:
            found.extend(json.loads(line) for line in block.splitlines() if line.strip())
    return found


def direction(msg_type: str) -> str:
    return "request" if msg_type in validate.message_types("request") else "reply"


def test_every_example_is_valid() -> None:
    for message in examples():
        problem = validate.check(direction(message["type"]), message)
        assert problem is None, (message, problem)


def test_every_message_type_has_an_example() -> None:
    documented = {m["type"] for m in examples()}
    every = validate.message_types("request") | validate.message_types("reply")
    assert every - documented == set()


def test_request_and_reply_types_do_not_overlap() -> None:
    assert not validate.message_types("request") & validate.message_types("reply")
