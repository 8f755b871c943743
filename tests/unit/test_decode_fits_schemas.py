"""The frame value cap (decode.MAX_VALUES) never refuses a request its schema allows: the
longest list a request schema takes in one frame (history ids) must fit, with the rest of
the request around it. A drift test: raising a schema's maxItems past the cap fails here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sentinelx.native import decode
from sentinelx.protocol import validate

SCHEMAS = Path(decode.__file__).resolve().parents[1] / "protocol" / "schemas" / "request"


def _lists(node: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], int]]:
    """(property path, maxItems) of every bounded array of integers in a schema."""
    out = []
    if isinstance(node, dict):
        ints = node.get("items", {}).get("type") == "integer"
        if node.get("type") == "array" and "maxItems" in node and ints:
            out.append((path, node["maxItems"]))
        for key, sub in node.get("properties", {}).items():
            out += _lists(sub, (*path, key))
    return out


CASES = [(f.stem, path, n) for f in sorted(SCHEMAS.glob("*.json"))
         for path, n in _lists(json.loads(f.read_text())) if n >= 1000]


def test_there_are_long_lists_to_check() -> None:
    assert {name for name, _, _ in CASES} >= {"history.delete", "history.query", "export"}


@pytest.mark.parametrize("name,path,n", CASES)
def test_the_longest_list_a_schema_allows_fits_in_one_frame(name: str, path: tuple[str, ...],
                                                          n: int) -> None:
    request: dict[str, Any] = {"id": "big-1", "type": name}
    if name == "export":
        request["format"] = "csv"
    node = request
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = list(range(1, n + 1))
    assert validate.check("request", request) is None, validate.check("request", request)
    body = json.dumps(request).encode()
    assert decode.decode(body)[path[0]] is not None  # not refused as too_complex
