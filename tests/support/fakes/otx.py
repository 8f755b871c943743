"""A local AlienVault OTX DirectConnect v1 (PROVIDERS.md §1.10, OTX-Python-SDK).

- `X-OTX-API-KEY` required: missing or wrong -> 403 `{"detail": ...}`.
- `GET /api/v1/users/me` -> the account (the cheap key check).
- `GET /api/v1/indicators/{type}/{value}/{section}`: types and sections of the SDK's
  IndicatorTypes.py; the value may arrive percent-encoded (slashes included) or raw as the
  SDK sends it. Unknown indicators -> 200 with `pulse_info.count: 0` (the usual answer), or
  404 for values put in `missing`. Bad type/section -> 404, bad value -> 400.
- Over an optional budget -> 429 `{"detail": ...}` with `Retry-After` (Django REST throttling).
Answers are built on the recorded shapes in tests/data/providers/otx/.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from tests.support.fakes.base import Answer, FakeProvider, Request

DATA = Path(__file__).resolve().parents[2] / "data" / "providers" / "otx"
SECTIONS = {
    "IPv4": {"general", "reputation", "geo", "malware", "url_list", "passive_dns"},
    "IPv6": {"general", "reputation", "geo", "malware", "url_list", "passive_dns"},
    "domain": {"general", "geo", "malware", "url_list", "passive_dns"},
    "hostname": {"general", "geo", "malware", "url_list", "passive_dns"},
    "url": {"general", "url_list"},
    "file": {"general", "analysis"},
    "cve": {"general"},
}
ROUTE = re.compile(r"/api/v1/indicators/([A-Za-z0-9]+)/(.+)/([a-z_]+)")


def fixture(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def _valid(kind: str, value: str) -> bool:
    try:
        if kind in ("IPv4", "IPv6"):
            return ipaddress.ip_address(value).version == int(kind[-1])
    except ValueError:
        return False
    if kind == "file":
        return len(value) in (32, 40, 64) and all(c in "0123456789abcdefABCDEF" for c in value)
    if kind == "cve":
        return re.fullmatch(r"CVE-\d{4}-\d{4,}", value, re.IGNORECASE) is not None
    if kind == "url":
        return "://" in value
    return "." in value and "/" not in value


class FakeOTX(FakeProvider):
    prefix = "/api/v1"

    def __init__(self, api_key: str | None = "o" * 64, *, limit: int | None = None) -> None:
        super().__init__(api_key)
        self.limit = limit
        self.used = 0
        self.records: dict[tuple[str, str], dict[str, Any]] = {}
        self.missing: set[tuple[str, str]] = set()

    def seed(self, kind: str, value: str, fixture_name: str, **fields: Any) -> None:
        record = copy.deepcopy(fixture(fixture_name))
        record.update(indicator=value, **fields)
        self.records[(kind, value)] = record

    def indicator_requests(self) -> list[tuple[str, str, str]]:
        out = []
        for r in self.requests:
            if m := ROUTE.fullmatch(r.path):
                out.append((m[1], unquote(m[2]), m[3]))
        return out

    def answer(self, req: Request) -> Answer:
        if req.headers.get("x-otx-api-key") != self.api_key:
            return Answer(403, fixture("error_403.json"))
        if self.limit is not None and self.used >= self.limit:
            return Answer(429, {"detail": "Request was throttled. Expected available in 60 seconds."},
                          {"Retry-After": "60"})
        self.used += 1
        if req.path == "/api/v1/users/me":
            return Answer(200, fixture("users_me.json"))
        m = ROUTE.fullmatch(req.path)
        if req.method != "GET" or not m or m[1] not in SECTIONS or m[3] not in SECTIONS[m[1]]:
            return Answer(404, fixture("error_404.json"))
        kind, value = m[1], unquote(m[2])
        if not _valid(kind, value):
            return Answer(400, fixture("error_400.json"))
        if (kind, value) in self.missing:
            return Answer(404, fixture("error_404.json"))
        if (kind, value) in self.records:
            return Answer(200, self.records[(kind, value)])
        unknown = fixture("general_unknown.json")
        unknown.update(indicator=value, type=kind, type_title=kind)
        return Answer(200, unknown)
