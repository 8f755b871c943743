"""Checks for single values (types, constants, lengths, bounds) and the pieces shared with
compiled.py: the Problem a check returns and the short rendering of a value in a sentence."""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Callable, Mapping

TYPE_CHECKING = False  # typing itself costs the first pong ~3 ms: only the checker reads these
if TYPE_CHECKING:
    from typing import Any, NamedTuple

# Keywords that never affect validity (draft 2020-12 annotations). `format` is one too:
# jsonschema asserts it only when given a format_checker, and we give none.
ANNOTATIONS = frozenset({
    "$schema", "$id", "$defs", "$comment", "title", "description", "default", "examples",
    "deprecated", "readOnly", "writeOnly", "format",
})


class Unsupported(Exception):
    """The schema uses a keyword this compiler does not implement."""


# A namedtuple, not a dataclass: dataclasses imports inspect, ~10 ms before the first ping.
if TYPE_CHECKING:
    class _ProblemFields(NamedTuple):
        path: tuple[str | int, ...]
        reason: str
else:
    _ProblemFields = namedtuple("Problem", "path reason")


class Problem(_ProblemFields):
    __slots__ = ()

    def pointer(self, limit: int = 200) -> str:
        """The JSON pointer, cut (with "…") past `limit` characters: a key can be megabytes."""
        text = "/" + "/".join(str(p)[:limit].replace("~", "~0").replace("/", "~1") for p in self.path)
        return text if len(text) <= limit else text[:limit] + "…"


if TYPE_CHECKING:
    Check = Callable[[Any], "Problem | None"]


def show(value: Any, limit: int = 40) -> str:
    """A short, safe rendering of a value for an error sentence."""
    if isinstance(value, str):
        text = value if len(value) <= limit else value[:limit] + "…"
        return repr(text).encode("ascii", "backslashreplace").decode("ascii")
    if isinstance(value, dict):
        return f"an object of {len(value)} keys"
    if isinstance(value, list):
        return f"an array of {len(value)} items"
    text = "null" if value is None else ("true" if value is True else "false" if value is False
                                         else str(value))
    return text if len(text) <= limit else text[:limit] + "…"


def _is_int(v: Any) -> bool:
    return (type(v) is int) or (type(v) is float and v.is_integer())


_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: type(v) is str,
    "object": lambda v: type(v) is dict,
    "array": lambda v: type(v) is list,
    "boolean": lambda v: type(v) is bool,
    "null": lambda v: v is None,
    "number": lambda v: type(v) in (int, float),
    "integer": _is_int,
}
_NAMES = {"string": "a string", "object": "an object", "array": "an array", "boolean": "true or false",
          "null": "null", "number": "a number", "integer": "an integer"}


def equal(a: Any, b: Any) -> bool:
    """jsonschema's equality: booleans are not numbers, 1 == 1.0, containers compare deeply."""
    if type(a) is bool or type(b) is bool:
        return type(a) is type(b) and a == b
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    if isinstance(a, list | dict) or isinstance(b, list | dict):
        return False
    return bool(a == b)


def fused_scalar(node: Mapping[str, Any]) -> Check | None:
    """One closure for the most common leaves (a string with a minimum length, a bounded
    integer): the checks of type_keyword + string_keywords + number_keywords, in one call."""
    words = set(node) - ANNOTATIONS
    kind = node.get("type")
    if kind == "string" and words <= {"type", "minLength"}:
        low = node.get("minLength", 0)

        def string(v: Any) -> Problem | None:
            if type(v) is not str:
                return Problem((), f"expected a string, got {show(v)}")
            if len(v) < low:
                return Problem((), "must not be empty" if low == 1 else f"needs at least {low} characters")
            return None

        return string
    if kind == "integer" and words <= {"type", "minimum"}:
        minimum = node.get("minimum")

        def integer(v: Any) -> Problem | None:
            if not _is_int(v):
                return Problem((), f"expected an integer, got {show(v)}")
            if minimum is not None and v < minimum:
                return Problem((), f"must be at least {minimum}, got {show(v)}")
            return None

        return integer
    return None


def type_keyword(node: Mapping[str, Any]) -> Check | None:
    if "type" not in node:
        return None
    names = [node["type"]] if isinstance(node["type"], str) else list(node["type"])
    if any(n not in _TYPES for n in names):
        raise Unsupported(f"type {names}")
    tests = [_TYPES[n] for n in names]
    wanted = " or ".join(_NAMES[n] for n in names)
    if len(tests) == 1:
        test = tests[0]
        return lambda v: None if test(v) else Problem((), f"expected {wanted}, got {show(v)}")
    return lambda v: None if any(t(v) for t in tests) else Problem(
        (), f"expected {wanted}, got {show(v)}")


def const_enum(node: Mapping[str, Any]) -> Check | None:
    checks: list[Check] = []
    if "const" in node:
        want = node["const"]
        checks.append(lambda v: None if equal(v, want) else Problem(
            (), f"must be {show(want)}, got {show(v)}"))
    if "enum" in node:
        options = list(node["enum"])
        strings = frozenset(o for o in options if type(o) is str)
        others = [o for o in options if type(o) is not str]
        listed = ", ".join(show(o) for o in options[:12]) + (", …" if len(options) > 12 else "")

        def enum(v: Any) -> Problem | None:
            if type(v) is str:
                if v in strings:
                    return None
            elif any(equal(v, o) for o in others):
                return None
            return Problem((), f"must be one of {listed}; got {show(v)}")

        checks.append(enum)
    if not checks:
        return None
    return checks[0] if len(checks) == 1 else (
        lambda v: checks[0](v) or checks[1](v))


def string_keywords(node: Mapping[str, Any]) -> Check | None:
    low, high, pattern = node.get("minLength"), node.get("maxLength"), node.get("pattern")
    if low is None and high is None and pattern is None:
        return None
    regex = re.compile(pattern) if pattern is not None else None

    def string(v: Any) -> Problem | None:
        if type(v) is not str:
            return None
        if low is not None and len(v) < low:
            return Problem((), "must not be empty" if low == 1 else f"needs at least {low} characters")
        if high is not None and len(v) > high:
            return Problem((), f"allows at most {high} characters, has {len(v)}")
        if regex is not None and regex.search(v) is None:
            return Problem((), f"{show(v)} does not have the expected form")
        return None

    return string


def number_keywords(node: Mapping[str, Any]) -> Check | None:
    bounds = [(node[k], k) for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
              if k in node]
    if not bounds:
        return None
    tests = {
        "minimum": (lambda v, b: v >= b, "at least"), "maximum": (lambda v, b: v <= b, "at most"),
        "exclusiveMinimum": (lambda v, b: v > b, "more than"),
        "exclusiveMaximum": (lambda v, b: v < b, "less than"),
    }

    def number(v: Any) -> Problem | None:
        if type(v) not in (int, float):
            return None
        for bound, word in bounds:
            ok, text = tests[word]
            if not ok(v, bound):
                return Problem((), f"must be {text} {bound}, got {show(v)}")
        return None

    return number
