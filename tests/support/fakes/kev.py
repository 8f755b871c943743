"""A local copy of the CISA KEV JSON feed server, per PROVIDERS.md §1.9: one static file at
the feed's path (tests/data/providers/kev/known_exploited_vulnerabilities.json unless a test
sets `feed`). `downloads` counts the feed requests.

    with FakeKEV() as kev:
        kev.base_url  # http://127.0.0.1:PORT/sites/default/files/feeds/known_exploited_vulnerabilities.json
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.fakes.base import Answer, FakeProvider, Request

DATA = (Path(__file__).resolve().parents[2] / "data" / "providers" / "kev"
        / "known_exploited_vulnerabilities.json")


def load_feed() -> dict[str, Any]:
    return json.loads(DATA.read_text("utf-8"))


class FakeKEV(FakeProvider):
    prefix = "/sites/default/files/feeds/known_exploited_vulnerabilities.json"

    def __init__(self, feed: dict[str, Any] | None = None) -> None:
        super().__init__(None)
        self.feed = feed if feed is not None else load_feed()

    @property
    def downloads(self) -> int:
        return sum(1 for r in self.requests if r.path == self.prefix)

    def add(self, entry: dict[str, Any]) -> None:
        self.feed["vulnerabilities"].append(entry)
        self.feed["count"] = len(self.feed["vulnerabilities"])

    def answer(self, req: Request) -> Answer:
        if req.method != "GET" or req.path != self.prefix:
            return Answer(404, "<html>Page not found</html>", {"Content-Type": "text/html"})
        return Answer(200, self.feed)
