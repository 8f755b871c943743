"""Helpers to build replies that respect the browser's 1 MiB frame limit."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from json.encoder import encode_basestring as _quoted

TYPE_CHECKING = False  # typing itself costs the first pong ~3 ms: only the checker reads these
if TYPE_CHECKING:
    from typing import Any

# Room left for the envelope (id, type, part, parts) under the 1 MiB frame limit.
PART_BUDGET_BYTES = 1024 * 1024 - 16 * 1024


def dumps(message: dict[str, Any]) -> bytes:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _scalar_size(v: Any) -> int:
    """Bytes of `v` in `dumps`, for a str, int, bool or None; -1 for anything else."""
    if v is None or v is True:
        return 4
    if v is False:
        return 5
    t = type(v)
    if t is str:
        q = _quoted(v)
        return len(q) if q.isascii() else len(q.encode("utf-8"))
    if t is int:
        return len(int.__repr__(v))
    return -1


def size_of(item: Any) -> int:
    """`len(dumps(item))`, counted without encoding when `item` is a flat object (an IOC,
    a result row): a 12,000-IOC `extracted` reply was encoded twice, once item by item only
    to measure it. Anything nested is encoded."""
    if type(item) is not dict:
        return len(dumps(item))
    total = 1 + 2 * len(item) if item else 2  # braces, commas between members, a colon in each
    for k, v in item.items():
        n, m = _scalar_size(v), _scalar_size(k)
        if n < 0 or m < 0 or type(k) is not str:
            return len(dumps(item))
        total += n + m
    return total


def split_by_size(
    items: Sequence[dict[str, Any]], budget: int = PART_BUDGET_BYTES
) -> list[list[dict[str, Any]]]:
    """Pack items into consecutive groups whose JSON stays under `budget` bytes.

    Always returns at least one (possibly empty) group so a reply is always sent.
    """
    groups: list[list[dict[str, Any]]] = [[]]
    size = 0
    for item in items:
        n = size_of(item) + 1
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
