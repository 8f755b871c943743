"""A local GreyNoise Community API: `GET /v3/community/{ip}` as documented (PROVIDERS.md §1.5,
GreyNoise's OpenAPI for getCommunityIP).

- The `key` header is optional; a wrong one -> 401. Keyless callers get a smaller budget.
- Not a routable IPv4 -> 400 `{"message": ...}`; not observed -> 404 with ip/noise/riot/message.
- Over the budget -> 429 with plan/rate-limit/plan_url/message and `Retry-After`.
Answers are built on the recorded shapes in tests/data/providers/greynoise/.
"""

from __future__ import annotations

import copy
import ipaddress
import json
from pathlib import Path
from typing import Any

from tests.support.fakes.base import Answer, FakeProvider, Request

DATA = Path(__file__).resolve().parents[2] / "data" / "providers" / "greynoise"
ROUTE = "/v3/community/"


def fixture(name: str) -> Any:
    return json.loads((DATA / name).read_text())


class FakeGreyNoise(FakeProvider):
    def __init__(self, api_key: str | None = None, *, keyless_limit: int = 25,
                 keyed_limit: int = 50) -> None:
        super().__init__(api_key)
        self.limits = {False: keyless_limit, True: keyed_limit}
        self.used = {False: 0, True: 0}
        self.records: dict[str, dict[str, Any]] = {}

    def seed(self, ip: str, fixture_name: str = "malicious.json", **fields: Any) -> None:
        record = copy.deepcopy(fixture(fixture_name))
        record.update(ip=ip, link=f"https://viz.greynoise.io/ip/{ip}", **fields)
        self.records[ip] = record

    def answer(self, req: Request) -> Answer:
        if req.method != "GET" or not req.path.startswith(ROUTE):
            return Answer(404, {"message": "Not Found"})
        key = req.headers.get("key")
        if key is not None and key != self.api_key:
            return Answer(401, {"message": "Unauthorized. Please check your API key."})
        keyed = key is not None
        if self.used[keyed] >= self.limits[keyed]:
            body = fixture("error_429.json")
            if keyed:
                body.update(plan="community", **{"rate-limit": "50-lookups/week"})
            return Answer(429, body, {"Retry-After": "86400"})
        self.used[keyed] += 1
        value = req.path[len(ROUTE):]
        try:
            ip = ipaddress.IPv4Address(value)
        except ValueError:
            return Answer(400, fixture("error_400.json"))
        if not ip.is_global:
            return Answer(400, fixture("error_400.json"))
        if value in self.records:
            return Answer(200, self.records[value])
        return Answer(404, {**fixture("not_found_404.json"), "ip": value})
