"""Helpers to build replies that respect the browser's 1 MiB frame limit."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

TYPE_CHECKING = False  # typing itself costs the first pong ~3 ms: only the checker reads these
if TYPE_CHECKING:
    from typing import Any

# Room left for the envelope (id, type, part, parts) under the 1 MiB frame limit.
PART_BUDGET_BYTES = 1024 * 1024 - 16 * 1024


def dumps(message: dict[str, Any]) -> bytes:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def split_by_size(
    items: Sequence[dict[str, Any]], budget: int = PART_BUDGET_BYTES
) -> list[list[dict[str, Any]]]:
    """Pack items into consecutive groups whose JSON stays under `budget` bytes.

    Always returns at least one (possibly empty) group so a reply is always sent.
    """
    groups: list[list[dict[str, Any]]] = [[]]
    size = 0
    for item in items:
        n = len(dumps(item)) + 1
        if groups[-1] and size + n > budget:
            groups.append([])
            size = 0
        groups[-1].append(item)
        size += n
    return groups


def parts(
    base: dict[str, Any], field: str, items: Sequence[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    """Yield `base` messages carrying `items` in `field`, numbered part 1..parts."""
    groups = split_by_size(items)
    for i, group in enumerate(groups, 1):
        yield {**base, field: group, "part": i, "parts": len(groups)}
