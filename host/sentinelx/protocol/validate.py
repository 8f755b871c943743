"""Load the JSON Schemas once and validate requests and replies against them.

Each message type has its own schema file (schemas/request/<type>.json,
schemas/reply/<type>.json), so adding a message type is adding one file and a
handler, and a schema error can name the exact field that is wrong.

The schemas are the single source of truth. Each one is compiled on first use into plain
checks (`compiled.py`), which accept exactly what jsonschema accepts (a test proves it on
generated messages) at a few percent of its cost; a schema using a keyword the compiler
does not know is validated by jsonschema itself. Nothing here imports jsonschema unless
such a schema is used, so the host answers its first ping without loading it.
"""

from __future__ import annotations

import json
import os
import posixpath
import threading
from collections import namedtuple
from functools import cache

from sentinelx.lazylog import LazyLogger
from sentinelx.protocol import compiled

TYPE_CHECKING = False  # typing itself costs the first pong ~3 ms: only the checker reads these
if TYPE_CHECKING:
    from typing import Any, Literal, NamedTuple

    Direction = Literal["request", "reply"]
SCHEMAS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemas")
MAX_MESSAGE = 300  # characters in a problem sentence

log = LazyLogger("sentinelx.protocol")


# namedtuples, not dataclasses: dataclasses imports inspect, ~10 ms before the first ping.
if TYPE_CHECKING:
    class SchemaProblem(NamedTuple):
        """Why a message does not fit its schema: a JSON pointer and a human sentence."""

        path: str
        message: str

    class _Schemas(NamedTuple):
        by_uri: dict[str, dict[str, Any]]
        typed: dict[tuple[Direction, str], dict[str, Any]]
else:
    SchemaProblem = namedtuple("SchemaProblem", "path message")
    _Schemas = namedtuple("_Schemas", "by_uri typed")


@cache
def _schemas() -> _Schemas:
    by_uri: dict[str, dict[str, Any]] = {}
    typed: dict[tuple[Direction, str], dict[str, Any]] = {}
    with open(os.path.join(SCHEMAS, "common.json"), encoding="utf-8") as f:
        doc = json.load(f)
    by_uri[doc["$id"]] = doc
    for direction in ("request", "reply"):
        folder = os.path.join(SCHEMAS, direction)
        for name in sorted(n for n in os.listdir(folder) if n.endswith(".json")):
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                doc = json.load(f)
            by_uri[doc["$id"]] = doc
            typed[(direction, name.removesuffix(".json"))] = doc
    return _Schemas(by_uri, typed)


def _resolve(ref: str, base: str) -> tuple[dict[str, Any], str]:
    """A `$ref` to one of our documents, plus an optional `#/json/pointer` into it."""
    target, _, fragment = ref.partition("#")
    uri = base
    if target:  # relative to the base's folder, as a path (all our $ids share one host)
        scheme, _, rest = base.partition("://")
        host, _, path = rest.partition("/")
        uri = f"{scheme}://{host}" + posixpath.normpath(posixpath.join(posixpath.dirname("/" + path), target))
    node: Any = _schemas().by_uri[uri]
    for part in [p for p in fragment.split("/") if p]:
        step = part.replace("~1", "/").replace("~0", "~")
        node = node[int(step)] if isinstance(node, list) else node[step]  # e.g. allOf/0
    return node, uri


_lock = threading.Lock()
_checks: dict[tuple[Direction, str], compiled.Check | None] = {}  # None: jsonschema does it


def _compiled(direction: Direction, msg_type: str) -> compiled.Check | None:
    key = (direction, msg_type)
    with _lock:
        if key not in _checks:
            schema = _schemas().typed[key]
            try:
                _checks[key] = compiled.Compiler(_resolve).compile(schema, schema["$id"])
            except compiled.Unsupported as e:
                log.info("schema %s/%s uses %s: validated by jsonschema", direction, msg_type, e)
                _checks[key] = None
        return _checks[key]


def is_compiled(direction: Direction, msg_type: str) -> bool:
    return _compiled(direction, msg_type) is not None


def message_types(direction: Direction) -> frozenset[str]:
    """Every message type the schemas define for one direction."""
    return frozenset(t for d, t in _schemas().typed if d == direction)


def schema_for(direction: Direction, msg_type: str) -> dict[str, Any]:
    return _schemas().typed[(direction, msg_type)]


def check(direction: Direction, message: dict[str, Any]) -> SchemaProblem | None:
    """Return None when `message` is valid, else the first problem found.

    The caller has already checked that message["type"] is a known type.
    """
    fast = _compiled(direction, message["type"])
    if fast is not None:
        problem = fast(message)
        if problem is None:
            return None
        path = problem.pointer()
        return SchemaProblem(path, f"{path}: {problem.reason}"[:MAX_MESSAGE])
    return _jsonschema_check(direction, message)


@cache
def _jsonschema_validators() -> dict[tuple[Direction, str], Any]:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    registry: Registry = Registry().with_resources(
        (uri, Resource.from_contents(doc)) for uri, doc in _schemas().by_uri.items())
    return {key: Draft202012Validator(doc, registry=registry) for key, doc in _schemas().typed.items()}


def jsonschema_validator(direction: Direction, msg_type: str) -> Any:
    """The reference validator (jsonschema) for one message type."""
    return _jsonschema_validators()[(direction, msg_type)]


def _jsonschema_check(direction: Direction, message: dict[str, Any]) -> SchemaProblem | None:
    from jsonschema.exceptions import best_match

    validator = jsonschema_validator(direction, message["type"])
    if validator.is_valid(message):
        return None
    error = best_match(validator.iter_errors(message))
    if error is None:
        return None
    path = compiled.Problem(tuple(error.absolute_path), "").pointer()
    # jsonschema's own sentences start with the whole offending value: never echo it.
    what = {"type": "has the wrong type", "required": "misses a required field",
            "additionalProperties": "has an unknown field", "enum": "is not an allowed value",
            "const": "is not the expected value"}.get(str(error.validator), f"fails {error.validator}")
    return SchemaProblem(path, f"{path}: {what} ({compiled.show(error.instance)})"[:MAX_MESSAGE])
