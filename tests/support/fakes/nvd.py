"""A local fake of the NVD CVE API 2.0 (`GET /rest/json/cves/2.0?cveId=`), per PROVIDERS.md §1.7.

- Known CVEs come from tests/data/providers/nvd/*.json (one `cve` object per file), wrapped in
  the documented envelope; an unknown CVE is 200 with `totalResults: 0`.
- The rolling window: 5 requests per 30 s without a key, 50 with the fake's key; past it,
  403 with the reason in a `message` header and an EMPTY body (NVD's throttling).
- A wrong `apiKey` header: 404 + `message: Invalid apiKey.` with an empty body.
- Every answer carries `apikey: Yes|No` (whether a key was applied).

    with FakeNVD(api_key=None) as nvd:
        nvd.base_url  # http://127.0.0.1:PORT/rest/json/cves/2.0
"""

from __future__ import annotations

import json
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.support.fakes.base import Answer, FakeProvider, Request

DATA = Path(__file__).resolve().parents[2] / "data" / "providers" / "nvd"
WINDOW_S = 30.0
THROTTLE_MESSAGE = ("Request forbidden by administrative rules. "
                    "Rate limit exceeded; see https://nvd.nist.gov/developers/start-here")


def load_records() -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text("utf-8")) for p in sorted(DATA.glob("CVE-*.json"))}


def envelope(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resultsPerPage": len(records), "startIndex": 0, "totalResults": len(records),
            "format": "NVD_CVE", "version": "2.0",
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3],
            "vulnerabilities": [{"cve": r} for r in records]}


class FakeNVD(FakeProvider):
    prefix = "/rest/json/cves/2.0"

    def __init__(self, api_key: str | None = None, *, window_s: float = WINDOW_S,
                 keyless_limit: int = 5, key_limit: int = 50) -> None:
        super().__init__(api_key)
        self.records = load_records()
        self.window_s = window_s
        self.limits = (keyless_limit, key_limit)
        self._recent: deque[float] = deque()

    def answer(self, req: Request) -> Answer:
        key = req.headers.get("apikey")
        applied = "Yes" if key else "No"
        if key is not None and key != self.api_key:
            return Answer(404, b"", {"message": "Invalid apiKey.", "apikey": "No"})
        now = time.monotonic()
        while self._recent and now - self._recent[0] > self.window_s:
            self._recent.popleft()
        if len(self._recent) >= self.limits[1 if key else 0]:
            return Answer(403, b"", {"message": THROTTLE_MESSAGE, "apikey": applied})
        self._recent.append(now)
        if req.method != "GET" or req.path != self.prefix:
            return Answer(404, b"", {"message": "Not found", "apikey": applied})
        ids = req.query.get("cveId", [])
        if len(ids) != 1:
            return Answer(404, b"", {"message": "Invalid cveId parameter", "apikey": applied})
        record = self.records.get(ids[0].upper())
        return Answer(200, envelope([record] if record else []), {"apikey": applied})
