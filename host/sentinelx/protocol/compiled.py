"""Compile a JSON Schema (draft 2020-12 subset) into plain Python checks.

Why: jsonschema walks the schema for every value it checks (a validator object per
subschema, a `$ref` lookup through the registry per use), which cost ~0.1 ms per IOC,
more than building the reply. The protocol's schemas use a small set of keywords, so
each schema is turned once into nested closures that only test the instance.

The compiler accepts a schema only if every keyword in it is one it implements with
jsonschema's exact semantics; anything else raises `Unsupported` and the caller keeps
jsonschema for that schema. tests/unit/test_validate_equivalence.py checks, on generated
messages, that a compiled check accepts exactly what jsonschema accepts.

A check returns None for a valid instance, else a `Problem`: a JSON pointer (built only on
failure) and one short sentence that never echoes more than a few characters of the value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

# Keywords that never affect validity (draft 2020-12 annotations). `format` is one too:
# jsonschema asserts it only when given a format_checker, and we give none.
ANNOTATIONS = frozenset({
    "$schema", "$id", "$defs", "$comment", "title", "description", "default", "examples",
    "deprecated", "readOnly", "writeOnly", "format",
})


class Unsupported(Exception):
    """The schema uses a keyword this compiler does not implement."""


# NamedTuple, not a dataclass: dataclasses imports inspect, ~10 ms before the first ping.
class Problem(NamedTuple):
    path: tuple[str | int, ...]
    reason: str

    def pointer(self, limit: int = 200) -> str:
        """The JSON pointer, cut (with "…") past `limit` characters: a key can be megabytes."""
        text = "/" + "/".join(str(p)[:limit].replace("~", "~0").replace("/", "~1") for p in self.path)
        return text if len(text) <= limit else text[:limit] + "…"


Check = Callable[[Any], "Problem | None"]
Resolve = Callable[[str, str], tuple[dict[str, Any], str]]  # (ref, base uri) -> (schema, its base)


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


def _equal(a: Any, b: Any) -> bool:
    """jsonschema's equality: booleans are not numbers, 1 == 1.0, containers compare deeply."""
    if type(a) is bool or type(b) is bool:
        return type(a) is type(b) and a == b
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list | dict) or isinstance(b, list | dict):
        return False
    return bool(a == b)


def _ok(_: Any) -> None:
    return None


def _prefix(key: str | int, problem: Problem) -> Problem:
    return Problem((key, *problem.path), problem.reason)


class Compiler:
    """Compiles schemas; `$ref`s go through `resolve`, each target compiled once."""

    def __init__(self, resolve: Resolve) -> None:
        self._resolve = resolve
        self._refs: dict[tuple[str, str], Check] = {}

    def compile(self, node: Any, base: str) -> Check:
        if node is True:
            return _ok
        if node is False:
            return lambda v: Problem((), "no value is allowed here")
        if not isinstance(node, dict):
            raise Unsupported(f"schema node {node!r}")
        unknown = set(node) - ANNOTATIONS - _KEYWORDS
        if unknown:
            raise Unsupported(", ".join(sorted(unknown)))
        fused = _fused_scalar(node)
        if fused is not None:
            return fused
        checks = [c for c in (
            self._ref(node, base), _type(node), _const_enum(node), _string(node), _number(node),
            self._array(node, base), self._object(node, base), self._combinators(node, base),
        ) if c is not None]
        if not checks:
            return _ok
        if len(checks) == 1:
            return checks[0]

        def all_of(v: Any) -> Problem | None:
            for c in checks:
                p = c(v)
                if p is not None:
                    return p
            return None

        return all_of

    def _ref(self, node: Mapping[str, Any], base: str) -> Check | None:
        ref = node.get("$ref")
        if ref is None:
            return None
        key = (ref, base)
        if key not in self._refs:
            target, target_base = self._resolve(ref, base)
            cell: list[Check] = []
            self._refs[key] = lambda v: cell[0](v)  # breaks cycles while compiling
            cell.append(self.compile(target, target_base))
            self._refs[key] = cell[0]
        return self._refs[key]

    def _array(self, node: Mapping[str, Any], base: str) -> Check | None:
        items = self.compile(node["items"], base) if "items" in node else None
        low, high = node.get("minItems"), node.get("maxItems")
        unique = node.get("uniqueItems") is True
        if items is None and low is None and high is None and not unique:
            return None

        def array(v: Any) -> Problem | None:
            if type(v) is not list:
                return None
            if low is not None and len(v) < low:
                return Problem((), f"needs at least {low} items, has {len(v)}")
            if high is not None and len(v) > high:
                return Problem((), f"allows at most {high} items, has {len(v)}")
            if unique:
                for i, x in enumerate(v):
                    if any(_equal(x, y) for y in v[:i]):
                        return Problem((i,), "repeats an earlier item")
            if items is not None:
                for i, x in enumerate(v):
                    p = items(x)
                    if p is not None:
                        return _prefix(i, p)
            return None

        return array

    def _object(self, node: Mapping[str, Any], base: str) -> Check | None:
        required: tuple[str, ...] = tuple(node.get("required", ()))
        props = {k: self.compile(s, base) for k, s in node.get("properties", {}).items()}
        extra_schema = node.get("additionalProperties", True)
        extra: Check | None = None if extra_schema is True else (
            None if extra_schema is False else self.compile(extra_schema, base))
        closed = extra_schema is False
        dependent: dict[str, tuple[str, ...]] = {
            k: tuple(names) for k, names in node.get("dependentRequired", {}).items()}
        fewest, most = node.get("minProperties"), node.get("maxProperties")
        if (not required and not props and extra_schema is True and not dependent
                and fewest is None and most is None):
            return None

        def obj(v: Any) -> Problem | None:
            if type(v) is not dict:
                return None
            if fewest is not None and len(v) < fewest:
                return Problem((), f"needs at least {fewest} fields, has {len(v)}")
            if most is not None and len(v) > most:
                return Problem((), f"allows at most {most} fields, has {len(v)}")
            for k in required:
                if k not in v:
                    return Problem((), f"{k!r} is required")
            for k, needs in dependent.items():
                if k in v:
                    for n in needs:
                        if n not in v:
                            return Problem((), f"{n!r} is required with {k!r}")
            for k, x in v.items():
                check = props.get(k)
                if check is None:
                    if closed:
                        return Problem((k,), f"unknown field {show(k)}")
                    if extra is None:
                        continue
                    check = extra
                p = check(x)
                if p is not None:
                    return _prefix(k, p)
            return None

        return obj

    def _combinators(self, node: Mapping[str, Any], base: str) -> Check | None:
        checks: list[Check] = []
        if "allOf" in node:
            subs = [self.compile(s, base) for s in node["allOf"]]

            def all_of(v: Any) -> Problem | None:
                for s in subs:
                    p = s(v)
                    if p is not None:
                        return p
                return None

            checks.append(all_of)
        for word in ("anyOf", "oneOf"):
            if word in node:
                checks.append(_choice(word, [self.compile(s, base) for s in node[word]], node[word]))
        if "not" in node:
            inner = self.compile(node["not"], base)
            checks.append(lambda v: Problem((), "has a shape that is not allowed here")
                          if inner(v) is None else None)
        if not checks:
            return None
        if len(checks) == 1:
            return checks[0]
        return lambda v: next((p for c in checks if (p := c(v)) is not None), None)


_KEYWORDS = frozenset({
    "$ref", "type", "const", "enum", "minLength", "maxLength", "pattern", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "items", "minItems", "maxItems", "required",
    "properties", "additionalProperties", "dependentRequired", "minProperties", "maxProperties",
    "uniqueItems", "allOf", "anyOf", "oneOf", "not",
})


def _fused_scalar(node: Mapping[str, Any]) -> Check | None:
    """One closure for the most common leaves (a string with a minimum length, a bounded
    integer): the same checks as _type + _string + _number, without the calls between them."""
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


def _type(node: Mapping[str, Any]) -> Check | None:
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


def _const_enum(node: Mapping[str, Any]) -> Check | None:
    checks: list[Check] = []
    if "const" in node:
        want = node["const"]
        checks.append(lambda v: None if _equal(v, want) else Problem(
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
            elif any(_equal(v, o) for o in others):
                return None
            return Problem((), f"must be one of {listed}; got {show(v)}")

        checks.append(enum)
    if not checks:
        return None
    return checks[0] if len(checks) == 1 else (
        lambda v: checks[0](v) or checks[1](v))


def _string(node: Mapping[str, Any]) -> Check | None:
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


def _number(node: Mapping[str, Any]) -> Check | None:
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


def _choice(word: str, subs: list[Check], schemas: list[Any]) -> Check:
    names = [tuple(s.get("required", ())) for s in schemas if isinstance(s, dict)]
    fields = sorted({n for group in names for n in group})
    if word == "anyOf":
        def any_of(v: Any) -> Problem | None:
            first: Problem | None = None
            for s in subs:
                p = s(v)
                if p is None:
                    return None
                first = first or p
            return first if len(subs) == 1 else Problem(
                first.path if first else (), first.reason if first else "matches no allowed shape")

        return any_of

    def one_of(v: Any) -> Problem | None:
        matched = sum(1 for s in subs if s(v) is None)
        if matched == 1:
            return None
        if fields and isinstance(v, dict):
            listed = " or ".join(repr(f) for f in fields)
            return Problem((), f"needs exactly one of {listed}")
        return Problem((), f"must match exactly one of {len(subs)} shapes, matches {matched}")

    return one_of
