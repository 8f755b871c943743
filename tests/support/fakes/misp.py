"""A local fake MISP answering `POST /attributes/restSearch`, per PROVIDERS.md §7.1.

- Auth: `Authorization: <key>` must be the fake's 40-character key, else 403 with MISP's
  body {"name", "message", "url"}; keys of another shape are refused the same way.
- The body is parsed only with `Content-Type: application/json` (else 400 "Either specify the
  search terms in the url, or POST a json with the filter parameters."); malformed JSON is
  405 "Invalid JSON input...".
- `value` matches value1 or value2 exactly, case-insensitively (so `domain|ip` composites
  hit); soft-deleted attributes are left out; `limit`/`page` page the list.
- Without includeContext the Event has only `org_id, distribution, publish_timestamp, id,
  info, orgc_id, uuid` (no `published`, no `threat_level_id`); includeEventTags merges event
  tags into Tag[] with inherited 1; includeSightings adds Sighting[] (even empty);
  includeWarninglistHits adds `warnings` where the fixture has them.
- Rate limit (role with enforce_rate_limit): `rate_limit=N` answers 429 "Rate limit
  exceeded." with X-Rate-Limit-Limit/Remaining/Reset (900 s window) past N searches;
  `rate_limit=0` is 405 "API searches are not allowed for this user role.".
Data: tests/data/providers/misp/server.json.

    with FakeMISP(api_key="a" * 40) as misp:
        misp.base_url  # http://127.0.0.1:PORT
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from tests.support.fakes.base import Answer, FakeProvider, Request

DATA = Path(__file__).resolve().parents[2] / "data" / "providers" / "misp" / "server.json"
URL = "/attributes/restSearch"
AUTH_FAILED = ("Authentication failed. Please make sure you pass the API key of an API enabled "
               "user along in the Authorization header.")
NO_FILTERS = ("Either specify the search terms in the url, or POST a json with the filter "
              "parameters.")
EVENT_WITHOUT_CONTEXT = ("org_id", "distribution", "publish_timestamp", "id", "info", "orgc_id",
                         "uuid")
EVENT_CONTEXT = ("id", "orgc_id", "org_id", "date", "threat_level_id", "info", "published",
                 "uuid", "analysis", "timestamp", "distribution", "publish_timestamp",
                 "sharing_group_id", "extends_uuid")


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Answer:
    return Answer(status, {"name": message, "message": message, "url": URL}, headers or {})


def _flag(body: dict[str, Any], name: str) -> bool:
    return body.get(name) in (1, True, "1", "true")


class FakeMISP(FakeProvider):
    prefix = ""

    def __init__(self, api_key: str | None = "A" * 40, *, rate_limit: int | None = None) -> None:
        super().__init__(api_key)
        data = json.loads(DATA.read_text("utf-8"))
        self.events: dict[str, dict[str, Any]] = {e["id"]: e for e in data["events"]}
        self.attributes: list[dict[str, Any]] = data["attributes"]
        self.rate_limit = rate_limit
        self.searches = 0

    def answer(self, req: Request) -> Answer:
        key = req.headers.get("authorization", "")
        if not self.api_key or key != self.api_key:
            return error(403, AUTH_FAILED)
        if req.method != "POST" or req.path != URL:
            return error(404, "Not Found")
        if self.rate_limit == 0:
            return error(405, "API searches are not allowed for this user role.")
        if self.rate_limit is not None:
            if self.searches >= self.rate_limit:
                return error(429, "Rate limit exceeded.", {
                    "X-Rate-Limit-Limit": str(self.rate_limit), "X-Rate-Limit-Remaining": "0",
                    "X-Rate-Limit-Reset": "870"})
            self.searches += 1
        if not req.headers.get("content-type", "").startswith("application/json"):
            return error(400, NO_FILTERS)
        try:
            body = json.loads(req.body)
        except ValueError:
            return error(405, "Invalid JSON input. Make sure that the JSON input is a correctly "
                              "formatted JSON string. This request has been blocked to avoid an "
                              "unfiltered request.")
        if not isinstance(body, dict) or not body:
            return error(400, NO_FILTERS)
        return Answer(200, {"response": {"Attribute": self.search(body)}})

    def search(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        values = body.get("value")
        values = values if isinstance(values, list) else [values] if values is not None else []
        wanted = {str(v).lower() for v in values}
        hits = [a for a in self.attributes if not a.get("deleted")
                and wanted & {part.lower() for part in a["value"].split("|")}]
        limit = body.get("limit")
        if isinstance(limit, int) and limit > 0:
            page = body.get("page") if isinstance(body.get("page"), int) else 1
            hits = hits[(page - 1) * limit: page * limit]
        return [self._shape(a, body) for a in hits]

    def _shape(self, attr: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        a = copy.deepcopy(attr)
        event = self.events[a["event_id"]]
        context = _flag(body, "includeContext")
        fields = EVENT_CONTEXT if context else EVENT_WITHOUT_CONTEXT
        a["Event"] = {k: copy.deepcopy(event[k]) for k in fields if k in event}
        if context:
            a["Event"]["Orgc"] = copy.deepcopy(event["Orgc"])
            a["Event"]["Tag"] = copy.deepcopy(event.get("Tag", []))
        if _flag(body, "includeEventTags") and event.get("Tag"):
            a["Tag"] = a.get("Tag", []) + [dict(t, inherited=1) for t in event["Tag"]]
        if not _flag(body, "includeSightings"):
            a.pop("Sighting", None)
        if not _flag(body, "includeWarninglistHits"):
            a.pop("warnings", None)
        return a
