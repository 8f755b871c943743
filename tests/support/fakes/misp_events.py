"""A fake MISP for "push to MISP": POST /events/add as MISP documents and answers it.

- The key goes in the `Authorization` header; a wrong or missing key gets 403 with
  `{"name": "Authentication failed. Please make sure you pass the API key of an API enabled
  user along in the Authorization header.", "message": ..., "url": "/events/add"}`.
- A body without `Event.info` gets 403 `{"name": "Could not add Event", "message": "Could
  not add Event", "url": "/events/add", "errors": {"Event": {"info": [...]}}}` (MISP uses 403
  for validation failures of /events/add).
- Success: 200 with the created event echoed back, `id` as a string, attribute ids added.
"""

from __future__ import annotations

from typing import Any

from tests.support.fakes.base import Answer, FakeProvider, Request

AUTH_FAILED = ("Authentication failed. Please make sure you pass the API key of an API enabled "
               "user along in the Authorization header.")


class FakeMispEvents(FakeProvider):
    def __init__(self, api_key: str | None = None) -> None:
        super().__init__(api_key)
        self.events: list[dict[str, Any]] = []

    def answer(self, req: Request) -> Answer:
        if req.method != "POST" or req.path != "/events/add":
            return Answer(404, {"name": "Not Found", "message": "Not Found", "url": req.path})
        if req.headers.get("authorization") != self.api_key:
            return Answer(403, {"name": AUTH_FAILED, "message": AUTH_FAILED, "url": req.path})
        try:
            event = req.json()["Event"]
            info = event["info"]
        except (ValueError, KeyError, TypeError):
            info = None
        if not isinstance(info, str) or not info:
            return Answer(403, {"name": "Could not add Event", "message": "Could not add Event",
                                "url": req.path,
                                "errors": {"Event": {"info": ["Info cannot be empty."]}}})
        created = {**event, "id": str(len(self.events) + 1), "org_id": "1", "orgc_id": "1"}
        created["Attribute"] = [{**a, "id": str(i + 1), "event_id": created["id"]}
                                for i, a in enumerate(event.get("Attribute", []))]
        self.events.append(created)
        return Answer(200, {"Event": created})
