"""Build real providers for tests: a ProviderContext with a SafeHttp allowlisted to the
given base URL, and provider classes cloned under other names (several lanes in one run
against several local fakes)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sentinelx.enrichment.http import SafeHttp, allowlist
from sentinelx.enrichment.providers.base import Provider, ProviderContext, ProviderSpec
from sentinelx.enrichment.providers.virustotal import SPEC as VT_SPEC
from sentinelx.enrichment.providers.virustotal import VirusTotal

VT_KEY = "0123456789abcdef" * 4  # the shape a VirusTotal key has: 64 hex characters
VT_BASE = "https://www.virustotal.com/api/v3"


def context(base_url: str = VT_BASE, key: str | None = VT_KEY,
            settings: Mapping[str, Any] | None = None, http: SafeHttp | None = None,
            clock: Any = time.time, **http_opts: Any) -> ProviderContext:
    return ProviderContext(
        base_url=base_url, key=key,
        settings={"malicious_threshold": 1, "suspicious_threshold": 1, **(settings or {})},
        http=http or SafeHttp(allowlist([base_url]), **http_opts), clock=clock,
        data_dir=Path("/nonexistent"))


def vt(base_url: str = VT_BASE, key: str | None = VT_KEY, **kw: Any) -> VirusTotal:
    return VirusTotal(context(base_url, key, **kw))


@dataclasses.dataclass(frozen=True)
class RenamedSpec(ProviderSpec):
    """A spec under another name that keeps the facts schema of the provider it copies."""

    schema_of: str = "virustotal"

    @property
    def facts_schema_path(self) -> Path:
        return Path(VT_SPEC.facts_schema_path).with_name(f"{self.schema_of}.json")


def renamed(cls: type[Provider], name: str, **spec_changes: Any) -> type[Provider]:
    """`cls` as another provider named `name` (its own lane, quota and cache rows)."""
    spec = RenamedSpec(**{f.name: getattr(cls.SPEC, f.name)
                          for f in dataclasses.fields(ProviderSpec)},
                       schema_of=cls.SPEC.name)
    spec = dataclasses.replace(spec, name=name, label=name.title(), **spec_changes)
    return type(f"{cls.__name__}_{name}", (cls,), {"SPEC": spec})
