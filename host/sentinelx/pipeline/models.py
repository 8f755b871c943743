"""Value types shared by the pipeline, the wire protocol and enrichment."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class IOCType(StrEnum):
    IPV4 = "ipv4"
    IPV6 = "ipv6"
    DOMAIN = "domain"
    URL = "url"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    CVE = "cve"
    EMAIL = "email"


@dataclass(frozen=True, slots=True)
class IOC:
    """One indicator: `value` is normalised, `raw`/`offset` point back at the input text."""

    type: IOCType
    value: str
    raw: str
    offset: int
    private: bool = False

    @property
    def key(self) -> tuple[IOCType, str]:
        """Identity used for deduplication and caching."""
        return (self.type, self.value)

    def to_wire(self) -> dict[str, object]:
        return {
            "type": self.type.value,
            "value": self.value,
            "raw": self.raw,
            "offset": self.offset,
            "private": self.private,
        }
