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

from collections.abc import Callable, Mapping

from sentinelx.protocol.leaves import (
    ANNOTATIONS,
    Problem,
    Unsupported,
    const_enum,
    equal,
    fused_scalar,
    number_keywords,
    show,
    string_keywords,
    type_keyword,
)

__all__ = ["ANNOTATIONS", "Compiler", "Problem", "Unsupported", "show"]

TYPE_CHECKING = False  # typing itself costs the first pong ~3 ms: only the checker reads these
if TYPE_CHECKING:
    from typing import Any

    from sentinelx.protocol.leaves import Check

    # (ref, base uri) -> (schema, its base)
    Resolve = Callable[[str, str], tuple[dict[str, Any], str]]


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
        fused = fused_scalar(node)
        if fused is not None:
            return fused
        checks = [c for c in (
            self._ref(node, base), type_keyword(node), const_enum(node), string_keywords(node),
            number_keywords(node),
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
                    if any(equal(x, y) for y in v[:i]):
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
        names = self.compile(node["propertyNames"], base) if "propertyNames" in node else None
        if (not required and not props and extra_schema is True and not dependent
                and fewest is None and most is None and names is None):
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
            if names is not None:
                for k in v:
                    if names(k) is not None:
                        return Problem((k,), f"field name {show(k)} is not allowed here")
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
        if "if" in node:
            cond = self.compile(node["if"], base)
            then = self.compile(node["then"], base) if "then" in node else _ok
            other = self.compile(node["else"], base) if "else" in node else _ok
            checks.append(lambda v: then(v) if cond(v) is None else other(v))
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
    "propertyNames", "uniqueItems", "allOf", "anyOf", "oneOf", "not", "if", "then", "else",
})


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
