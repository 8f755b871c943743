"""A local Shodan InternetDB: `GET /{ip}` as documented (PROVIDERS.md §1.6). No key.

- Known address -> 200 `{cpes, hostnames, ip, ports, tags, vulns}` with the CDN headers.
- Unknown -> 404 `{"detail":"No information available"}`.
- Over an optional budget -> 429 (no documented body: a plain text one here).
Answers are built on the recorded shapes in tests/data/providers/internetdb/.
"""

from __future__ import annotations

import copy
import ipaddress
import json
from pathlib import Path
from typing import Any

from tests.support.fakes.base import Answer, FakeProvider, Request

DATA = Path(__file__).resolve().parents[2] / "data" / "providers" / "internetdb"
CDN = {"Cache-Control": "public, max-age=43200", "Access-Control-Allow-Origin": "*"}


def fixture(name: str) -> Any:
    return json.loads((DATA / name).read_text())


class FakeInternetDB(FakeProvider):
    def __init__(self, *, limit: int | None = None) -> None:
        super().__init__(None)
        self.limit = limit
        self.used = 0
        self.records: dict[str, dict[str, Any]] = {}

    def seed(self, ip: str, **fields: Any) -> None:
        record = copy.deepcopy(fixture("host.json"))
        record.update(ip=ip, **fields)
        self.records[ip] = record

    def answer(self, req: Request) -> Answer:
        if self.limit is not None and self.used >= self.limit:
            return Answer(429, "Too Many Requests", {"Content-Type": "text/plain"})
        self.used += 1
        value = req.path.lstrip("/")
        try:
            ipaddress.ip_address(value)
        except ValueError:
            # Not documented; FastAPI's answer for a path it cannot route.
            return Answer(404, {"detail": "Not Found"})
        if req.method == "GET" and value in self.records:
            return Answer(200, self.records[value], dict(CDN))
        return Answer(404, fixture("not_found_404.json"), dict(CDN))
