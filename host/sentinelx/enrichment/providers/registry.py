"""The one place providers are registered: add a module name to MODULES.

Each module `providers/<name>.py` defines one `Provider` subclass with a `SPEC`, and
`providers/facts/<name>.json` describes its facts. Importing a provider module is cheap
(no `requests`, no `jsonschema`, no `sqlite3`), so `pong` can list providers at once.
"""

from __future__ import annotations

import importlib
from functools import cache

from sentinelx.enrichment.providers.base import Provider, ProviderSpec

MODULES = [
    "virustotal",
    "urlhaus",
    "threatfox",
    "malwarebazaar",
    "abuseipdb",
    "greynoise",
    "internetdb",
    "otx",
    "nvd",
    "epss",
    "kev",
    "misp",
]


def _provider_in(module_name: str) -> type[Provider]:
    module = importlib.import_module(f"sentinelx.enrichment.providers.{module_name}")
    found = [c for c in vars(module).values() if isinstance(c, type) and issubclass(c, Provider)
             and c is not Provider and c.__module__ == module.__name__]
    if len(found) != 1:
        raise RuntimeError(f"providers/{module_name}.py must define exactly one Provider "
                           f"subclass, found {len(found)}")
    return found[0]


@cache
def classes() -> dict[str, type[Provider]]:
    """name -> Provider class, in registration order."""
    out: dict[str, type[Provider]] = {}
    for module_name in MODULES:
        cls = _provider_in(module_name)
        if cls.SPEC.name in out:
            raise RuntimeError(f"two providers are named {cls.SPEC.name!r}")
        out[cls.SPEC.name] = cls
    return out


def specs() -> list[ProviderSpec]:
    return [c.SPEC for c in classes().values()]


def spec(name: str) -> ProviderSpec:
    """The spec of provider `name`; KeyError for an unknown name."""
    return classes()[name].SPEC


def names() -> list[str]:
    return list(classes())
