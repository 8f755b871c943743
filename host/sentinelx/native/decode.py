"""Frame body -> request dict, or a typed error. Runs off the reading thread.

Every way a body can be unusable is decided here, once, for every request type:
not UTF-8, not JSON (NaN and Infinity are not JSON either), nested deeper than the
decoder goes, so many values that decoding would hold the interpreter lock for long,
not an object, or strings with lone surrogates (valid JSON escapes, but not Unicode:
nothing could encode them back, in a reply, a log line or the cache).
"""

from __future__ import annotations

import codecs
import re

from sentinelx.native import bigjson

TYPE_CHECKING = False  # typing itself costs the first pong ~3 ms: only the checker reads these
if TYPE_CHECKING:
    from typing import Any

# The C JSON decoder holds the GIL for a whole array or object (~0.1 µs per value): this many
# values hold it ~10 ms, which a ping sent meanwhile may wait for a few times over (long
# strings are decoded in slices: bigjson.py). The extension sends enrich lists in 256 KiB
# parts (~25,000 values at most); larger lists come in more parts. The cap leaves room for the
# longest list a schema allows in one frame (100,000 history ids: test_decode_fits_schemas.py).
MAX_VALUES = 110_000
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_TOKENS = (b",", b":", b"[", b"{")
_SLICE = 1 << 20
# The id of a request refused before it could be decoded, when it is the first field (as the
# extension sends it): the error can then be matched to its request instead of carrying null.
_LEADING_ID = re.compile(rb'\A\s*\{\s*"id"\s*:\s*"([^"\\\x00-\x1f]{1,128})"')


class RequestError(Exception):
    """A request that cannot be served; becomes one `error` reply."""

    def __init__(self, code: str, message: str, path: str | None = None,
                 request_id: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.path, self.request_id = code, message, path, request_id


def _values_upper_bound(body: bytes, limit: int) -> int:
    """An upper bound of the values in `body` (each but the first follows , : [ or {).

    Counting is C-speed over the whole body first; only when that bound is over the
    limit (text full of commas, say) are separators inside strings excluded, walking
    quote to quote, stopping as soon as the limit is passed.
    """
    rough = 0
    for start in range(0, len(body), _SLICE):  # in slices: a ping may take the GIL in between
        rough += sum(body.count(t, start, start + _SLICE) for t in _TOKENS)
    if rough <= limit:
        return rough
    values, pos, end = 0, 0, len(body)
    while pos < end and values <= limit:
        window = min(end, pos + _SLICE)
        quote = body.find(b'"', pos, window)
        stop = window if quote < 0 else quote
        values += sum(body.count(t, pos, stop) for t in _TOKENS)
        if quote < 0:
            pos = window
            continue
        close = quote + 1
        while True:  # the closing quote: one not preceded by an odd run of backslashes
            close = body.find(b'"', close)
            if close < 0:
                return values  # unterminated: the decoder will say so, quickly
            run = close - 1
            while body[run] == 0x5C:
                run -= 1
            if (close - 1 - run) % 2 == 0:
                break
            close += 1
        pos = close + 1
    return values


def _has_surrogate(text: str) -> bool:
    """A lone surrogate in `text`, searched a slice at a time."""
    return any(_SURROGATE.search(text, i, i + _SLICE) for i in range(0, len(text), _SLICE))


def _lone_surrogate(value: Any) -> str | None:
    """JSON pointer of the first key or string holding a lone surrogate (iterative: any depth)."""
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            if _has_surrogate(node):
                return path or "/"
        elif isinstance(node, dict):
            for k, v in reversed(node.items()):
                here = f"{path}/{k.replace('~', '~0').replace('/', '~1')}"
                if _has_surrogate(k):
                    return here
                stack.append((v, here))
        elif isinstance(node, list):
            stack.extend((v, f"{path}/{i}") for i, v in reversed(list(enumerate(node))))
    return None


def _utf8(body: bytes) -> str:
    """body.decode("utf-8"), a slice at a time (the interpreter lock is free in between)."""
    if len(body) <= _SLICE:
        return body.decode("utf-8")
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        return "".join(decoder.decode(body[i:i + _SLICE], i + _SLICE >= len(body))
                       for i in range(0, len(body), _SLICE))
    except UnicodeDecodeError:
        return body.decode("utf-8")  # raises the same error, with its position in the body


def _surrogate_escape(body: bytes) -> bool:
    """Whether body may hold a \\ud800-\\udfff escape (slices overlap by an escape's length)."""
    return any(_SURROGATE_ESCAPE.search(body, i, i + _SLICE + 5)
               for i in range(0, len(body), _SLICE))


def _printable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def request_id(request: dict[str, Any]) -> str | None:
    """The id to echo in replies, if it is one the error schema allows."""
    rid = request.get("id")
    if isinstance(rid, str) and 0 < len(rid) <= 128 and not _SURROGATE.search(rid):
        return rid
    return None


def _peek_id(body: bytes) -> str | None:
    m = _LEADING_ID.match(body, 0, 512)
    if m is None:
        return None
    try:
        return m.group(1).decode("utf-8")
    except UnicodeDecodeError:
        return None


def decode(body: bytes, max_values: int = MAX_VALUES) -> dict[str, Any]:
    """The request in `body`; raises RequestError for anything unusable. A flood of values
    is refused first: counting needs no decoded copy of the frame."""
    if _values_upper_bound(body, max_values) > max_values:
        raise RequestError("too_complex", f"frame holds more than {max_values:,} JSON values; "
                           "send long lists in parts (see the protocol's `part`/`parts`)",
                           None, _peek_id(body))
    try:
        text = _utf8(body)
    except UnicodeDecodeError as e:
        raise RequestError("bad_utf8", f"frame is not UTF-8 at byte {e.start}") from None
    try:
        request = bigjson.loads(text)
    except RecursionError:
        raise RequestError("too_deep", "frame nests arrays or objects deeper than the host "
                           "decodes; no request is nested more than 4 levels", None,
                           _peek_id(body)) from None
    except ValueError as e:
        raise RequestError("bad_json", f"frame is not JSON: {str(e)[:160]}") from None
    if not isinstance(request, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
            type(request), "a number")
        raise RequestError("not_object", f"a request must be a JSON object, not {kind}")
    if _surrogate_escape(body):
        where = _lone_surrogate(request)
        if where is not None:
            where = _printable(where[:200]) + ("…" if len(where) > 200 else "")
            raise RequestError("bad_unicode", f"{where}: holds a lone surrogate (\\ud800-\\udfff), "
                               "which is not Unicode", where, request_id(request))
    return request
