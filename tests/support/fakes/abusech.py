"""Local fakes of URLhaus, ThreatFox and MalwareBazaar, from their documented behaviour
(PROVIDERS.md §1.1-1.3; shapes in tests/data/providers/<name>/).

What they reproduce:
- every lookup is a POST (URLhaus and MalwareBazaar form-encoded, ThreatFox JSON); a GET gets
  HTTP 200 `http_post_expected` / `unknown_query`;
- errors are HTTP 200 with a `query_status`, and each service spells "not found" its own
  way: `no_results` (URLhaus), `no_result` (ThreatFox), `hash_not_found` (MalwareBazaar);
- values are checked like the services do: `invalid_url`, `invalid_host`, `invalid_md5`,
  `invalid_sha256`, `illegal_search_term`, `illegal_hash`;
- no `Auth-Key` -> HTTP 401; a wrong key -> 401 by default, or, per `bad_key`, 403 with
  `unknown_auth_key` (one client reports it) or HTTP 200 `unknown_auth_key`;
- numbers as strings (URLhaus ids, counts, sizes); ThreatFox stores IPs as `ip:port`.
The base class plays 429s, redirects, huge and slow bodies on demand (`program`).
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
from pathlib import Path
from typing import Any, Self

from tests.support.fakes.base import Answer, FakeProvider, Request

DATA = Path(__file__).resolve().parents[2] / "data" / "providers"
_HEX = re.compile(r"[0-9a-fA-F]+")
_HOST = re.compile(r"(?=.{1,253}$)([a-z0-9_-]{1,63}\.)+[a-z0-9-]{1,63}")


def fixture(provider: str, name: str) -> Any:
    return json.loads((DATA / provider / f"{name}.json").read_text())


def _is_hash(v: str, *lengths: int) -> bool:
    return len(v) in lengths and _HEX.fullmatch(v) is not None


class AbuseChFake(FakeProvider):
    """Auth-Key checks shared by the three services."""

    def __init__(self, api_key: str | None = "abusech-test-key-0123456789", *,
                 bad_key: str = "401") -> None:
        super().__init__(api_key)
        self.bad_key = bad_key  # "401" | "403" | "200": how a wrong key is answered

    def __enter__(self) -> Self:  # the base returns FakeProvider; keep the subclass type
        super().__enter__()
        return self

    def _auth(self, req: Request) -> Answer | None:
        key = req.headers.get("auth-key")
        if key is None:
            return Answer(401, b"Unauthorized", {"Content-Type": "text/plain"})
        if key != self.api_key:
            if self.bad_key == "403":
                return Answer(403, {"query_status": "unknown_auth_key"})
            if self.bad_key == "200":
                return Answer(200, {"query_status": "unknown_auth_key"})
            return Answer(401, {"query_status": "unknown_auth_key"})
        return None

    def answer(self, req: Request) -> Answer:
        if (denied := self._auth(req)) is not None:
            return denied
        return self.lookup(req)

    def lookup(self, req: Request) -> Answer:
        raise NotImplementedError


class FakeURLhaus(AbuseChFake):
    prefix = "/v1"

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.urls: dict[str, dict[str, Any]] = {}
        self.hosts: dict[str, dict[str, Any]] = {}
        self.payloads: dict[str, dict[str, Any]] = {}

    # --- seeding, from the recorded shapes -----------------------------------------------
    def seed_url(self, url: str, status: str = "online", *, fixture_name: str = "url_online",
                 **fields: Any) -> dict[str, Any]:
        rec = fixture("urlhaus", fixture_name)
        rec.update(url=url, url_status=status, **fields)
        self.urls[url] = rec
        return rec

    def seed_host(self, host: str, fixture_name: str = "host_ip", **fields: Any) -> dict[str, Any]:
        rec = fixture("urlhaus", fixture_name)
        rec.update(host=host, urlhaus_reference=f"https://urlhaus.abuse.ch/host/{host}/", **fields)
        self.hosts[host] = rec
        return rec

    def seed_payload(self, md5: str, sha256: str, **fields: Any) -> dict[str, Any]:
        rec = fixture("urlhaus", "payload")
        rec.update(md5_hash=md5, sha256_hash=sha256, **fields)
        self.payloads[md5] = self.payloads[sha256] = rec
        return rec

    def lookup(self, req: Request) -> Answer:
        if req.method != "POST":
            return Answer(200, {"query_status": "http_post_expected"})
        form, path = req.form(), req.path.removeprefix(self.prefix)
        if path == "/url/":
            url = form.get("url", "")
            if not re.match(r"(?i)(https?|ftp)://[^/\s]+", url):
                return Answer(200, {"query_status": "invalid_url"})
            return self._found(self.urls.get(url))
        if path == "/host/":
            host = form.get("host", "").lower()
            if not (_HOST.fullmatch(host) or self._ip(host)):
                return Answer(200, {"query_status": "invalid_host"})
            return self._found(self.hosts.get(host))
        if path == "/payload/":
            if "md5_hash" in form:
                h = form["md5_hash"]
                if not _is_hash(h, 32):
                    return Answer(200, {"query_status": "invalid_md5"})
            else:
                h = form.get("sha256_hash", "")
                if not _is_hash(h, 64):
                    return Answer(200, {"query_status": "invalid_sha256"})
            return self._found(self.payloads.get(h.lower()))
        return Answer(404, b"<html>404 Not Found</html>", {"Content-Type": "text/html"})

    @staticmethod
    def _ip(v: str) -> bool:
        try:
            ipaddress.ip_address(v)
        except ValueError:
            return False
        return True

    @staticmethod
    def _found(rec: dict[str, Any] | None) -> Answer:
        return Answer(200, copy.deepcopy(rec) if rec else {"query_status": "no_results"})


class FakeThreatFox(AbuseChFake):
    prefix = "/api/v1"

    def __init__(self, *args: Any, fuzzy: bool = False, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.rows: list[dict[str, Any]] = []
        self.samples: dict[str, list[dict[str, Any]]] = {}
        self.fuzzy = fuzzy  # also answer rows that merely contain the term

    def seed_ioc(self, ioc: str, ioc_type: str, *, confidence: int = 75,
                 threat_type: str = "botnet_cc", malware: str = "Cobalt Strike",
                 **fields: Any) -> dict[str, Any]:
        row = fixture("threatfox", "search_ioc_ip")["data"][0]
        row.update(id=str(len(self.rows) + 1000), ioc=ioc, ioc_type=ioc_type,
                   confidence_level=confidence, threat_type=threat_type,
                   malware_printable=malware, **fields)
        self.rows.append(row)
        return row

    def seed_sample(self, hashes: list[str], rows: list[dict[str, Any]] | None = None) -> None:
        rows = rows if rows is not None else fixture("threatfox", "search_hash")["data"]
        for h in hashes:
            self.samples[h.lower()] = rows

    def lookup(self, req: Request) -> Answer:
        if req.method != "POST":
            return Answer(200, {"query_status": "unknown_query"})
        try:
            body = req.json()
        except ValueError:
            return Answer(200, {"query_status": "unknown_query"})
        query = body.get("query") if isinstance(body, dict) else None
        if query == "search_ioc":
            return self._search_ioc(body.get("search_term"))
        if query == "search_hash":
            h = body.get("hash")
            if not isinstance(h, str) or not _is_hash(h, 32, 64):
                return Answer(200, {"query_status": "illegal_hash",
                                    "data": "The hash you provided is not a valid MD5 or SHA256 hash"})
            rows = self.samples.get(h.lower())
            return self._rows(copy.deepcopy(rows) if rows else [])
        return Answer(200, {"query_status": "unknown_query"})

    def _search_ioc(self, term: Any) -> Answer:
        if not isinstance(term, str) or not term:
            return Answer(200, {"query_status": "missing_search_term"})
        if len(term) < 3 or any(c.isspace() for c in term):
            return Answer(200, {"query_status": "illegal_search_term",
                                "data": "Your search_term is not valid"})
        t = term.lower()
        hits = [r for r in self.rows
                if r["ioc"].lower() == t or r["ioc"].lower().startswith(t + ":")
                or (self.fuzzy and t in r["ioc"].lower())]
        return self._rows(copy.deepcopy(hits))

    @staticmethod
    def _rows(rows: list[dict[str, Any]]) -> Answer:
        if not rows:
            return Answer(200, fixture("threatfox", "no_result"))
        return Answer(200, {"query_status": "ok", "data": rows})


class FakeMalwareBazaar(AbuseChFake):
    prefix = "/api/v1"

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.samples: dict[str, dict[str, Any]] = {}

    def seed_sample(self, **fields: Any) -> dict[str, Any]:
        rec = fixture("malwarebazaar", "get_info")["data"][0]
        rec.update(fields)
        for f in ("md5_hash", "sha1_hash", "sha256_hash"):
            self.samples[rec[f].lower()] = rec
        return rec

    def lookup(self, req: Request) -> Answer:
        if req.method != "POST":
            return Answer(200, {"query_status": "http_post_expected"})
        form = req.form()
        if form.get("query") != "get_info":
            return Answer(200, {"query_status": "unknown_query"})
        h = form.get("hash")
        if not h:
            return Answer(200, {"query_status": "no_hash_provided"})
        if not _is_hash(h, 32, 40, 64):
            return Answer(200, {"query_status": "illegal_hash"})
        rec = self.samples.get(h.lower())
        if rec is None:
            return Answer(200, {"query_status": "hash_not_found"})
        return Answer(200, {"query_status": "ok", "data": [copy.deepcopy(rec)]})
