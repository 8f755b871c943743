"""The one small interface every export format implements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from sentinelx.export.defang import defang
from sentinelx.export.records import ExportRecord


@dataclass(frozen=True, slots=True)
class Options:
    """defang: None = the format's default. verdicts: None = all. now: for stable output."""

    defang: bool | None = None
    verdicts: frozenset[str] | None = None
    title: str = "SentinelX export"
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True, slots=True)
class Rendered:
    content: str
    filename: str
    mime: str
    count: int  # records in the export


class Format(Protocol):
    name: str
    extension: str
    mime: str
    defang_default: bool

    def render(self, records: Sequence[ExportRecord], opts: Options, defanged: bool) -> str: ...


def shown(rec: ExportRecord, defanged: bool) -> str:
    """The IOC value as this export shows it."""
    return defang(rec.ioc_type, rec.value) if defanged else rec.value


def iso_z(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
