"""The gate before the cache: facts must be finite, bounded JSON that fits the provider's
facts schema (providers/facts/<name>.json). Anything else is a bad_response, never cached."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from sentinelx.enrichment.models import BadResponse
from sentinelx.enrichment.providers.base import ProviderSpec

MAX_FACTS_BYTES = 64 * 1024
MAX_INT = 2**53  # what a JavaScript number holds exactly


@cache
def _validator(name: str, path: str) -> Any:
    from jsonschema import Draft202012Validator

    schema = json.loads(Path(path).read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _bounded(v: Any, depth: int = 0) -> bool:
    if depth > 16:
        return False
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return True
    if isinstance(v, int):
        return -MAX_INT <= v <= MAX_INT
    if isinstance(v, float):
        return v == v and abs(v) != float("inf")
    if isinstance(v, list):
        return all(_bounded(x, depth + 1) for x in v)
    if isinstance(v, dict):
        return all(isinstance(k, str) and _bounded(x, depth + 1) for k, x in v.items())
    return False


def check(spec: ProviderSpec, facts: Any) -> None:
    """Raise BadResponse unless `facts` may be cached and sent."""
    if not isinstance(facts, dict) or not _bounded(facts):
        raise BadResponse("facts are not finite, bounded JSON")
    try:  # strict UTF-8: a lone surrogate could not be sent to the browser
        size = len(json.dumps(facts, allow_nan=False, ensure_ascii=False).encode("utf-8"))
    except (ValueError, TypeError) as e:  # UnicodeEncodeError is a ValueError
        raise BadResponse(f"facts are not sendable JSON: {type(e).__name__}") from None
    if size > MAX_FACTS_BYTES:
        raise BadResponse(f"facts of {size} bytes are over {MAX_FACTS_BYTES}")
    error = next(iter(_validator(spec.name, str(spec.facts_schema_path)).iter_errors(facts)),
                 None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top)"
        raise BadResponse(f"facts do not fit the {spec.name} schema at {where}: "
                          f"{error.message[:120]}")
