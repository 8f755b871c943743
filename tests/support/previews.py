"""Read a compact `previewed` answer (PROTOCOL.md "preview") back into rows per IOC."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def rows_by_ioc(parts: Iterable[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """{(type, value): that IOC's rows}, each part's `plan` numbers read against that part's
    own `plans` (parts are self-contained). Every IOC once, in order."""
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for part in parts:
        for item in part["iocs"]:
            key = (item["type"], item["value"])
            assert key not in out, f"{key} twice in one preview"
            out[key] = part["plans"][item["plan"]]
    return out
