"""Load the JSON Schemas once and validate requests and replies against them.

Each message type has its own schema file (schemas/request/<type>.json,
schemas/reply/<type>.json), so adding a message type is adding one file and a
handler, and a schema error can name the exact field that is wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource

Direction = Literal["request", "reply"]


@dataclass(frozen=True, slots=True)
class SchemaProblem:
    """Why a message does not fit its schema: a JSON pointer and a human sentence."""

    path: str
    message: str


def _schema_root():
    return resources.files("sentinelx.protocol") / "schemas"


@cache
def _registry() -> tuple[Registry, dict[tuple[Direction, str], Draft202012Validator]]:
    root = _schema_root()
    docs: list[dict[str, Any]] = [json.loads((root / "common.json").read_text("utf-8"))]
    typed: dict[tuple[Direction, str], dict[str, Any]] = {}
    for direction in ("request", "reply"):
        for entry in (root / direction).iterdir():
            if entry.name.endswith(".json"):
                doc = json.loads(entry.read_text("utf-8"))
                docs.append(doc)
                typed[(direction, entry.name.removesuffix(".json"))] = doc
    registry: Registry = Registry().with_resources(
        (doc["$id"], Resource.from_contents(doc)) for doc in docs
    )
    validators = {
        key: Draft202012Validator(doc, registry=registry) for key, doc in typed.items()
    }
    return registry, validators


def message_types(direction: Direction) -> frozenset[str]:
    """Every message type the schemas define for one direction."""
    return frozenset(t for d, t in _registry()[1] if d == direction)


def schema_for(direction: Direction, msg_type: str) -> dict[str, Any]:
    return _registry()[1][(direction, msg_type)].schema


def _pointer(parts) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def check(direction: Direction, message: dict[str, Any]) -> SchemaProblem | None:
    """Return None when `message` is valid, else the most relevant problem.

    The caller has already checked that message["type"] is a known type.
    """
    validator = _registry()[1][(direction, message["type"])]
    error = best_match(validator.iter_errors(message))
    if error is None:
        return None
    path = _pointer(error.absolute_path)
    return SchemaProblem(path=path, message=f"{path}: {error.message}"[:500])
