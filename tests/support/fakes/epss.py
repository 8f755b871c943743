"""A local fake of FIRST's EPSS API (`GET /data/v1/epss?cve=A,B`), per PROVIDERS.md §1.8:
the documented envelope with `epss` and `percentile` as strings; a CVE without a score is
simply absent from `data`. Scores come from tests/data/providers/epss/epss.json.

    with FakeEPSS() as epss:
        epss.base_url  # http://127.0.0.1:PORT/data/v1
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.fakes.base import Answer, FakeProvider, Request

DATA = Path(__file__).resolve().parents[2] / "data" / "providers" / "epss" / "epss.json"


def envelope(entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {"status": "OK", "status-code": 200, "version": "1.0",
            "access": "public, no authentication required", "total": len(entries),
            "offset": 0, "limit": 100, "data": entries}


class FakeEPSS(FakeProvider):
    prefix = "/data/v1"

    def __init__(self) -> None:
        super().__init__(None)
        self.scores = {e["cve"]: e for e in json.loads(DATA.read_text("utf-8"))["data"]}

    def answer(self, req: Request) -> Answer:
        if req.method != "GET" or req.path != f"{self.prefix}/epss":
            return Answer(404, {"status": "error", "status-code": 404, "message": "not found"})
        raw = ",".join(req.query.get("cve", []))
        if len(raw) > 2000:
            return Answer(400, {"status": "error", "status-code": 400,
                                "message": "cve parameter too long"})
        asked = [c.strip().upper() for c in raw.split(",") if c.strip()]
        return Answer(200, envelope([self.scores[c] for c in asked if c in self.scores]))
