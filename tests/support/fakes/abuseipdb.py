"""A local AbuseIPDB v2: `GET /api/v2/check` as documented (PROVIDERS.md §1.4).

- `Key` header (or the `key` query parameter) checked: missing or wrong -> 401.
- Without `Accept: application/json`, errors come back as an HTML page, not JSON.
- `ipAddress` invalid -> 422, `maxAgeInDays` outside 1..365 -> 422, both as `{"errors":[...]}`.
- A daily limit (`daily_limit`) -> 429 with `Retry-After` and the `X-RateLimit-*` headers.
- No "not found": an unknown address gets score 0 and 0 reports; a non-public one `isPublic: false`.
Answers are built on the recorded shapes in tests/data/providers/abuseipdb/.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import time
from pathlib import Path
from typing import Any

from tests.support.fakes.base import Answer, FakeProvider, Request

DATA = Path(__file__).resolve().parents[2] / "data" / "providers" / "abuseipdb"


def fixture(name: str) -> Any:
    path = DATA / name
    return json.loads(path.read_text()) if name.endswith(".json") else path.read_text()


class FakeAbuseIPDB(FakeProvider):
    prefix = "/api/v2"

    def __init__(self, api_key: str | None = "k" * 80, *, daily_limit: int = 1000) -> None:
        super().__init__(api_key)
        self.daily_limit = daily_limit
        self.used = 0
        self.records: dict[str, dict[str, Any]] = {}

    def seed(self, ip: str, **fields: Any) -> None:
        """Give an address these `data` fields (AbuseIPDB's own names), e.g.
        `seed("1.2.3.4", abuseConfidenceScore=87, totalReports=412)`."""
        self.records[ipaddress.ip_address(ip).compressed] = fields

    def data_for(self, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> dict[str, Any]:
        data = copy.deepcopy(fixture("check_unknown_v6.json")["data"])
        data.update(ipAddress=ip.compressed, ipVersion=ip.version, isPublic=ip.is_global,
                    isWhitelisted=False if ip.is_global else None)
        data.update(self.records.get(ip.compressed, {}))
        return data

    def answer(self, req: Request) -> Answer:
        wants_json = "application/json" in req.headers.get("accept", "")

        def error(status: int, name: str, headers: dict[str, str] | None = None) -> Answer:
            if wants_json:
                return Answer(status, fixture(name), headers or {})
            return Answer(status, fixture("error_401.html").replace("401", str(status)),
                          {**(headers or {}), "Content-Type": "text/html; charset=UTF-8"})

        if req.method != "GET" or req.path != "/api/v2/check":
            return Answer(404, "<html><body>Not Found</body></html>",
                          {"Content-Type": "text/html; charset=UTF-8"})
        key = req.headers.get("key") or req.query.get("key", [""])[-1]
        if self.api_key is not None and key != self.api_key:
            return error(401, "error_401.json")
        reset = int(time.time()) // 86400 * 86400 + 86400
        if self.used >= self.daily_limit:
            return error(429, "error_429.json", {
                "Retry-After": str(max(1, reset - int(time.time()))),
                "X-RateLimit-Limit": str(self.daily_limit), "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(reset)})
        self.used += 1
        try:
            ip = ipaddress.ip_address(req.query.get("ipAddress", [""])[-1])
        except ValueError:
            return error(422, "error_422.json")
        age = req.query.get("maxAgeInDays", ["30"])[-1]
        if not age.isdigit() or not 1 <= int(age) <= 365:
            return error(422, "error_422_max_age.json")
        return Answer(200, {"data": self.data_for(ip)}, {
            "X-RateLimit-Limit": str(self.daily_limit),
            "X-RateLimit-Remaining": str(self.daily_limit - self.used)})
