"""json.loads for big frames, in pieces that each hold the interpreter lock briefly.

The C decoder holds the GIL for a whole document: 25 ms for a 16 MiB string, long enough
for a ping sent meanwhile to wait several times that (each thread on its way to the pong
needs the lock once). A big frame is one request object: its members are decoded one by
one, and a long string (the `text` of an extract) in slices of SLICE characters, each by
the C scanner. The result, and the error for bad JSON, are json.loads's: same values, same
duplicate-key rule (the last wins), same messages with positions in the whole text.
Anything else (a big array, say) is one C call; decode.MAX_VALUES bounds how long it holds.
"""

from __future__ import annotations

import json
import re
from json.decoder import JSONDecodeError, scanstring  # type: ignore[attr-defined]

TYPE_CHECKING = False  # typing itself costs the first pong ~3 ms: only the checker reads these
if TYPE_CHECKING:
    from typing import Any

SLICE = 1 << 20
_MEMBERS = 64  # after this many members one by one, the rest of the object is one C call
_WS = re.compile(r"[ \t\n\r]*")
_ESCAPE = 12  # the longest escape: a surrogate pair, \ud83d\ude00
_FIRST = 4096


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


_DECODER = json.JSONDecoder(parse_constant=_not_json)


def _ws(text: str, i: int) -> int:
    m = _WS.match(text, i)
    return m.end() if m else i


def _boundary(chunk: str) -> int:
    """The longest prefix of `chunk` (string content that goes on after it) that ends
    between two characters, not inside an escape. An escape is at most 6 characters, so
    only a backslash in the last 6 can start one that is cut; the run of backslashes it
    belongs to starts between two characters (a backslash cannot be inside an escape),
    and so does every even offset into a run that starts the chunk."""
    last = chunk.find("\\", len(chunk) - 6)
    if last < 0:
        return len(chunk)
    start = len(chunk[:last].rstrip("\\"))
    return start if start > 0 else last - last % 2


def _string(text: str, pos: int) -> tuple[str, int]:
    """The string whose content starts at `pos` (after its quote) and the index after it.

    Each slice ends between two characters (_boundary) and is decoded with a quote
    appended, so the pieces join to what one call would give; a slice that ends in a high
    surrogate leaves its escape to the next one, which may hold the low half of the pair.
    Slices grow from _FIRST to SLICE characters: keys and short values copy little.
    """
    opening = pos - 1
    pieces: list[str] = []
    size = _FIRST
    while True:
        rest = len(text) - pos
        chunk = text[pos:pos + max(size, 2 * _ESCAPE)]
        size = min(2 * size, SLICE)
        cut = len(chunk) if len(chunk) == rest else _boundary(chunk)
        try:
            piece, end = scanstring(chunk[:cut] + '"', 0)
        except JSONDecodeError as e:
            where = opening if e.msg.startswith("Unterminated") else pos + e.pos
            raise JSONDecodeError(e.msg, text, where) from None
        if end <= cut:  # the string's own quote
            pieces.append(piece)
            return "".join(pieces), pos + end
        if cut == rest:  # the quote was ours: the text ends inside the string
            raise JSONDecodeError("Unterminated string starting at", text, opening)
        if piece and "\ud800" <= piece[-1] <= "\udbff" and piece[-1] != chunk[cut - 1]:
            piece, cut = piece[:-1], cut - 6  # from a \uXXXX that may pair with the next one
        pieces.append(piece)
        pos += cut


def _value(text: str, i: int) -> tuple[Any, int]:
    if text.startswith('"', i):
        return _string(text, i + 1)
    return _DECODER.raw_decode(text, i)


def _object(text: str, i: int) -> tuple[dict[str, Any], int]:
    """The object whose `{` is at i, and the index after its `}`."""
    out: dict[str, Any] = {}
    i = _ws(text, i + 1)
    if text.startswith("}", i):
        return out, i + 1
    for _ in range(_MEMBERS):
        if not text.startswith('"', i):
            raise JSONDecodeError("Expecting property name enclosed in double quotes", text, i)
        key, i = _string(text, i + 1)
        i = _ws(text, i)
        if not text.startswith(":", i):
            raise JSONDecodeError("Expecting ':' delimiter", text, i)
        out[key], i = _value(text, _ws(text, i + 1))
        i = _ws(text, i)
        if text.startswith("}", i):
            return out, i + 1
        if not text.startswith(",", i):
            raise JSONDecodeError("Expecting ',' delimiter", text, i)
        i = _ws(text, i + 1)
    # Many members: not a request; the rest in one call, as `{` + what is left.
    if not text.startswith('"', i):
        raise JSONDecodeError("Expecting property name enclosed in double quotes", text, i)
    rest = "{" + text[i:]
    try:
        tail, end = _DECODER.raw_decode(rest)
    except JSONDecodeError as e:
        raise JSONDecodeError(e.msg, text, i - 1 + e.pos) from None
    out.update(tail)
    return out, i - 1 + end


def loads(text: str) -> Any:
    """json.loads(text) with NaN and Infinity refused, in pieces when `text` is long."""
    if len(text) <= SLICE:
        return _DECODER.decode(text)
    i = _ws(text, 0)
    value, i = _object(text, i) if text.startswith("{", i) else _value(text, i)
    i = _ws(text, i)
    if i != len(text):
        raise JSONDecodeError("Extra data", text, i)
    return value
