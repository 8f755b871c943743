"""The compiled schema checks accept exactly what jsonschema accepts, for every message type.

Instances are generated from each schema (near its limits: lengths at minLength-1 and
maxLength+1, integers as 1.0 and True, ...) and then mutated at random places, so roughly
half are invalid in varied ways. jsonschema, with the same documents, is the reference.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from sentinelx.protocol import compiled, validate

LEAVES: st.SearchStrategy[Any] = st.sampled_from(
    [None, True, False, 0, 1, -1, 1.0, 2.5, -0.5, 2**64, "", "a", "é", "\x00", "****abcd", "https://x",
     [], {}])
JSON = st.recursive(LEAVES | st.text(max_size=5) | st.integers(),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=8)

TYPES = [(d, t) for d in ("request", "reply") for t in sorted(validate.message_types(d))]


def _string(draw: st.DrawFn, node: dict[str, Any]) -> str:
    if "pattern" in node and draw(st.booleans()):
        return draw(st.from_regex(node["pattern"]))
    low, high = node.get("minLength", 0), node.get("maxLength")
    sizes = [low, max(0, low - 1), low + 1] + ([high, high + 1] if high is not None else [3])
    return "x" * draw(st.sampled_from(sizes))


def _number(draw: st.DrawFn, node: dict[str, Any], integer: bool) -> Any:
    base = node.get("minimum", 0)
    n = draw(st.sampled_from([base, base - 1, base + 1, 0]))
    return draw(st.sampled_from([n, float(n), n + 0.5 if not integer else n, True]))


def _instance(draw: st.DrawFn, node: Any, base: str, depth: int = 0) -> Any:
    if not isinstance(node, dict) or depth > 6:
        return draw(JSON)
    if "$ref" in node:
        target, target_base = validate._resolve(node["$ref"], base)
        return _instance(draw, target, target_base, depth + 1)
    if "const" in node:
        return node["const"]
    if "enum" in node:
        return draw(st.sampled_from(node["enum"]))
    for word in ("oneOf", "anyOf"):
        if word in node and "type" not in node:
            return _instance(draw, draw(st.sampled_from(node[word])), base, depth + 1)
    kinds = node.get("type", "object" if "properties" in node else None)
    if kinds is None:
        return draw(JSON)
    kind = draw(st.sampled_from([kinds] if isinstance(kinds, str) else kinds))
    if kind == "object":
        props: dict[str, Any] = node.get("properties", {})
        keys = set(node.get("required", ())) | set(draw(st.lists(st.sampled_from(sorted(props)), max_size=4))
                                                    if props else [])
        out = {k: _instance(draw, props.get(k, True), base, depth + 1) for k in sorted(keys)}
        if node.get("additionalProperties") not in (None, False) and draw(st.booleans()):
            out[draw(st.text(max_size=3))] = _instance(draw, node["additionalProperties"], base, depth + 1)
        return out
    if kind == "array":
        n = draw(st.integers(0, 3))
        return [_instance(draw, node.get("items", True), base, depth + 1) for _ in range(n)]
    if kind == "string":
        return _string(draw, node)
    if kind in ("integer", "number"):
        return _number(draw, node, kind == "integer")
    return {"boolean": draw(st.booleans()), "null": None}[kind]


def _mutate(draw: st.DrawFn, value: Any) -> Any:
    """Replace, drop or add at one random place."""
    if isinstance(value, dict) and value and draw(st.integers(0, 2)) > 0:
        key = draw(st.sampled_from(sorted(value)))
        choice = draw(st.integers(0, 3))
        copy = dict(value)
        if choice == 0:
            del copy[key]
        elif choice == 1:
            copy[draw(st.text(max_size=4))] = draw(JSON)
        else:
            copy[key] = _mutate(draw, copy[key])
        return copy
    if isinstance(value, list) and value and draw(st.booleans()):
        i = draw(st.integers(0, len(value) - 1))
        return [*value[:i], _mutate(draw, value[i]), *value[i + 1:]]
    return draw(JSON)


@st.composite
def messages(draw: st.DrawFn, direction: str, msg_type: str) -> dict[str, Any]:
    schema = validate.schema_for(direction, msg_type)  # type: ignore[arg-type]
    instance = _instance(draw, schema, schema["$id"])
    if draw(st.booleans()):
        instance = _mutate(draw, instance)
    if not isinstance(instance, dict):
        instance = {"value": instance}
    instance["type"] = msg_type  # check() is only called with a known type
    return instance


@pytest.mark.parametrize(("direction", "msg_type"), TYPES)
def test_every_schema_is_compiled(direction: str, msg_type: str) -> None:
    # A schema the compiler cannot take would silently fall back to the slow path.
    assert validate.is_compiled(direction, msg_type)  # type: ignore[arg-type]


@pytest.mark.parametrize(("direction", "msg_type"), TYPES)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_compiled_check_agrees_with_jsonschema(direction: str, msg_type: str, data: st.DataObject) -> None:
    message = data.draw(messages(direction, msg_type))
    reference = validate.jsonschema_validator(direction, msg_type)  # type: ignore[arg-type]
    problem = validate.check(direction, message)  # type: ignore[arg-type]
    assert (problem is None) == reference.is_valid(message), (message, problem)


def test_every_schema_is_a_valid_draft_2020_12_schema() -> None:
    for direction, msg_type in TYPES:
        Draft202012Validator.check_schema(validate.schema_for(direction, msg_type))  # type: ignore[arg-type]


def test_unknown_keywords_fall_back_instead_of_being_ignored() -> None:
    with pytest.raises(compiled.Unsupported):
        compiled.Compiler(lambda ref, base: ({}, base)).compile(
            {"type": "object", "patternProperties": {"^x": {"type": "string"}}}, "x")


def test_problem_sentences_never_echo_a_huge_value() -> None:
    huge = "A" * 1_000_000
    for message in (
        {"id": "1", "type": "extract", "text": 1, huge: huge},
        {"id": "1", "type": "config.set", "name": huge, "value": 1},
        {"id": huge, "type": "ping"},
        {"id": "1", "type": "enrich", "iocs": [{"type": huge, "value": "x"}]},
    ):
        problem = validate.check("request", message)
        assert problem is not None and len(problem.message) <= validate.MAX_MESSAGE
        assert "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" not in problem.message


# Every keyword the compiler takes, on small schemas and arbitrary JSON, so that schemas
# added later (by other work) are covered too, not only today's.
KEYWORD_SCHEMAS: list[dict[str, Any] | bool] = [
    {"type": ["string", "null"], "minLength": 2, "maxLength": 3},
    {"type": "string", "pattern": "^a+$"},
    {"type": "integer", "minimum": 0, "maximum": 3},
    {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 2.5},
    {"const": 1}, {"const": [1, {"a": True}]}, {"enum": [1, "1", True, None, [0]]},
    {"type": "array", "items": {"type": "boolean"}, "minItems": 1, "maxItems": 3},
    {"type": "array", "uniqueItems": True},
    {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}},
     "additionalProperties": {"type": "string"}},
    {"type": "object", "properties": {"a": True}, "additionalProperties": False},
    {"type": "object", "minProperties": 1, "maxProperties": 2},
    {"type": "object", "dependentRequired": {"a": ["b"]}},
    {"type": "object", "propertyNames": {"pattern": "^[a-z]{1,3}$"}},
    {"propertyNames": {"enum": ["a", "b"]}, "additionalProperties": {"type": "integer"}},
    {"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 5}]},
    {"oneOf": [{"type": "number"}, {"type": "integer"}]},
    {"allOf": [{"type": "array"}, {"maxItems": 1}]},
    {"not": {"type": ["object", "array"]}},
    {"if": {"type": "object", "required": ["a"]}, "then": {"required": ["b"]},
     "else": {"type": ["object", "string"]}},
    {"if": {"const": 1}, "then": False}, {"if": {"type": "string"}, "else": {"type": "integer"}},
    {"properties": {"x": {"$ref": "#/$defs/d"}}, "$defs": {"d": {"enum": ["a", 2]}}},
    True, False,
]


@pytest.mark.parametrize("schema", KEYWORD_SCHEMAS, ids=lambda s: str(s)[:40])
@settings(max_examples=150, deadline=None)
@given(instance=JSON)
def test_each_keyword_agrees_with_jsonschema(schema: Any, instance: Any) -> None:
    def resolve(ref: str, base: str) -> tuple[Any, str]:
        node: Any = schema
        for part in ref.partition("#")[2].split("/")[1:]:
            node = node[part]
        return node, base

    check = compiled.Compiler(resolve).compile(schema, "urn:test")
    assert (check(instance) is None) == Draft202012Validator(schema).is_valid(instance), instance
