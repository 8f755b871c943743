"""CISA Known Exploited Vulnerabilities: a local lookup in the JSON feed.

The feed (~1.3 MB, PROVIDERS.md §1.9) is downloaded through `ctx.http` at most once a day
into `ctx.data_dir`, then every lookup is local and offline. A failed download keeps the
copy we have (and is not tried again for an hour); a feed that does not validate never
replaces it. `sentinelx kev update` downloads it now. The feed URL is the provider's base
URL (`providers.kev.base_url`, local-only like every base URL).

A hit is "Known exploited" (judge: no_data, severity high: the CVE badge, not a verdict);
absence is no_data, never "not exploited".
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sentinelx import paths
from sentinelx.enrichment.http import HttpError
from sentinelx.enrichment.models import (
    BadResponse,
    EnrichmentError,
    ErrorCode,
    Judgement,
    Observation,
    Severity,
    Verdict,
)
from sentinelx.enrichment.providers.base import NO_DATA, Provider, ProviderSpec, data_dir
from sentinelx.enrichment.providers.nvd import cve_id, endpoint
from sentinelx.pipeline.models import IOC, IOCType

FEED_PATH = "/sites/default/files/feeds/known_exploited_vulnerabilities.json"
FEED_URL = "https://www.cisa.gov" + FEED_PATH
FEED_FILE = "known_exploited_vulnerabilities.json"
META_FILE = "kev.meta.json"
MAX_AGE_S = 24 * 3600  # download at most once a day
RETRY_FAILED_S = 3600  # after a failed download, use the copy we have for an hour
FEED_MAX_BYTES = 32 * 1024 * 1024  # 1.3 MB in 2025; room to grow, still a cap
MAX_ENTRIES = 100_000
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_REQUIRED = ("vendorProject", "product", "vulnerabilityName", "shortDescription",
             "requiredAction")
_LIMITS = {"vendorProject": 200, "product": 200, "vulnerabilityName": 300,
           "shortDescription": 1000, "requiredAction": 500, "notes": 1000}


def default_data_dir() -> Path:
    """Where the engine and `sentinelx kev update` keep the feed (one place for both)."""
    return data_dir("kev")


@dataclass(frozen=True)
class Catalog:
    version: str
    released: str | None
    entries: dict[str, dict[str, Any]]  # CVE id -> facts of a hit


def _str(entry: dict[str, Any], name: str, required: bool) -> str | None:
    v = entry.get(name)
    if v is None and not required:
        return None
    if not isinstance(v, str) or (required and not v.strip()):
        raise BadResponse(f"KEV entry field {name} is not a string")
    return v[:_LIMITS.get(name, 200)]


def _entry(e: Any, version: str) -> tuple[str, dict[str, Any]]:
    if not isinstance(e, dict):
        raise BadResponse("a KEV entry is not an object")
    raw = e.get("cveID")
    try:
        ident = cve_id(raw if isinstance(raw, str) else "")
    except ValueError:
        raise BadResponse(f"bad cveID {str(e.get('cveID'))[:40]!r}") from None
    dates = {}
    for name in ("dateAdded", "dueDate"):
        v = e.get(name)
        if not isinstance(v, str) or not _DATE.fullmatch(v):
            raise BadResponse(f"{ident}: {name} is not YYYY-MM-DD")
        dates[name] = v
    ransom = e.get("knownRansomwareCampaignUse")
    if ransom is not None and ransom not in ("Known", "Unknown"):
        raise BadResponse(f"{ident}: knownRansomwareCampaignUse is {str(ransom)[:20]!r}")
    cwes = e.get("cwes", [])
    if not isinstance(cwes, list) or not all(isinstance(c, str) for c in cwes):
        raise BadResponse(f"{ident}: cwes is not a list of strings")
    return ident, {
        "cve_id": ident, "known_exploited": True,
        "date_added": dates["dateAdded"], "due_date": dates["dueDate"],
        "ransomware": ransom == "Known", "ransomware_use": ransom,
        "vendor_project": _str(e, "vendorProject", True), "product": _str(e, "product", True),
        "vulnerability_name": _str(e, "vulnerabilityName", True),
        "short_description": _str(e, "shortDescription", True),
        "required_action": _str(e, "requiredAction", True),
        "notes": _str(e, "notes", False),
        "cwes": [c[:24] for c in cwes][:20],
        "catalog_version": version,
    }


def parse_feed(body: bytes) -> Catalog:
    """Validate the whole feed; BadResponse for any wrong shape (it then replaces nothing)."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise BadResponse("the KEV feed is not JSON") from e
    if not isinstance(doc, dict):
        raise BadResponse("the KEV feed is not an object")
    version, vulns = doc.get("catalogVersion"), doc.get("vulnerabilities")
    if not isinstance(version, str) or not 0 < len(version) <= 40:
        raise BadResponse("the KEV feed has no catalogVersion")
    if not isinstance(vulns, list) or not 0 < len(vulns) <= MAX_ENTRIES:
        raise BadResponse("the KEV feed has no vulnerabilities list")
    declared = doc.get("count")
    if declared is not None and declared != len(vulns):
        raise BadResponse(f"the KEV feed says count {str(declared)[:20]} but lists {len(vulns)}")
    released = doc.get("dateReleased")
    entries = dict(_entry(e, version) for e in vulns)
    return Catalog(version, released if isinstance(released, str) else None, entries)


# A parsed catalog per file, reused while the file is unchanged (parsing costs ~50 ms).
_LOADED: dict[Path, tuple[tuple[int, int], Catalog]] = {}
_LOCK = threading.Lock()


def load(path: Path) -> Catalog:
    st = path.stat()
    stamp = (st.st_mtime_ns, st.st_size)
    cached = _LOADED.get(path)
    if cached and cached[0] == stamp:
        return cached[1]
    catalog = parse_feed(path.read_bytes())
    _LOADED[path] = (stamp, catalog)
    return catalog


def _write_atomic(path: Path, data: bytes) -> None:
    # A unique temporary name: two hosts updating at once must not mix their bytes.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


SPEC = ProviderSpec(
    name="kev",
    label="CISA KEV",
    types=frozenset({IOCType.CVE}),
    default_base_url=FEED_URL,
    key="none",
    per_minute=0,  # local lookups; the feed itself is fetched at most once a day
    per_day=0,
    role="cve",
    sends={"cve": "nothing: the CVE is looked up in a copy of the catalog on this machine "
                  "(the catalog is downloaded once a day)"},
    docs="https://www.cisa.gov/known-exploited-vulnerabilities-catalog",
)


class KEV(Provider):
    SPEC = SPEC

    @property
    def feed_path(self) -> Path:
        return self.ctx.data_dir / FEED_FILE

    @property
    def meta_path(self) -> Path:
        return self.ctx.data_dir / META_FILE

    def meta(self) -> dict[str, Any]:
        try:
            m = json.loads(self.meta_path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return m if isinstance(m, dict) else {}

    def fetch(self, ioc: IOC) -> Observation | EnrichmentError:
        if problem := self.check(ioc):
            return problem
        try:
            catalog = self.catalog()
        except OSError as e:  # an unwritable cache directory: say where, not a traceback
            return self.error(ErrorCode.BAD_RESPONSE, f"cannot keep the KEV catalog in "
                              f"{self.ctx.data_dir}: {e.strerror or type(e).__name__}")
        if isinstance(catalog, EnrichmentError):
            return catalog
        ident = cve_id(ioc.value)
        hit = catalog.entries.get(ident)
        if hit is None:
            return self.observe(False, {"cve_id": ident, "catalog_version": catalog.version})
        return self.observe(True, dict(hit))

    def check(self, ioc: IOC) -> EnrichmentError | None:
        if not self.supports(ioc.type):
            return self.error(ErrorCode.UNSUPPORTED, f"CISA KEV has no lookup for {ioc.type.value}")
        try:
            cve_id(ioc.value)
        except ValueError as e:
            return self.error(ErrorCode.BAD_REQUEST, str(e))
        return None

    def catalog(self) -> Catalog | EnrichmentError:
        """The local catalog, downloaded first when missing or a day old."""
        with _LOCK:
            now, meta = self.ctx.clock(), self.meta()
            have = self.feed_path.exists()
            # A time in the future (clock change, edited file) counts as long ago.
            stale = not 0 <= now - _num(meta.get("downloaded_at")) < MAX_AGE_S
            may_try = not 0 <= now - _num(meta.get("attempted_at")) < RETRY_FAILED_S
            if not have or (stale and may_try):
                got = self._download()
                if isinstance(got, Catalog):
                    return got
                if not have:
                    return got
            try:
                return load(self.feed_path)
            except (OSError, BadResponse):  # damaged on disk: fetch a good copy
                return self._download()

    def update(self) -> Catalog | EnrichmentError:
        """Download the feed now, whatever its age (`sentinelx kev update`)."""
        with _LOCK:
            return self._download()

    def _download(self) -> Catalog | EnrichmentError:
        paths.ensure(self.ctx.data_dir)
        meta = self.meta()
        meta["attempted_at"] = self.ctx.clock()
        self._save_meta(meta)
        # The engine's own SafeHttp (its allowlist, deadline and abort()), with a cap the
        # feed fits for this one request.
        cap = max(self.ctx.http.max_bytes, FEED_MAX_BYTES)
        try:
            resp = self.ctx.http.get(endpoint(self.base_url, FEED_PATH, ""),
                                     {"Accept": "application/json"}, max_bytes=cap)
        except HttpError as e:
            return self.error(ErrorCode(e.code), f"cannot download the KEV feed: {e.message}")
        if resp.status != 200:
            return self.status_error(resp, "downloading the KEV feed")
        try:
            catalog = parse_feed(resp.body)
        except BadResponse as e:
            return self.error(ErrorCode.BAD_RESPONSE, f"the KEV feed was refused: {e}")
        _write_atomic(self.feed_path, resp.body)
        meta.update(downloaded_at=self.ctx.clock(), catalog_version=catalog.version,
                    count=len(catalog.entries))
        self._save_meta(meta)
        _LOADED.pop(self.feed_path, None)
        return catalog

    def _save_meta(self, meta: dict[str, Any]) -> None:
        _write_atomic(self.meta_path, json.dumps(meta).encode())

    def judge(self, ioc: IOC, obs: Observation) -> Judgement:
        if not obs.found or obs.facts.get("known_exploited") is not True:
            return NO_DATA
        summary = "Known exploited" + (", ransomware" if obs.facts.get("ransomware") else "")
        # A listed CVE is a priority whatever its CVSS: high, never a malicious/clean verdict.
        return Judgement(Verdict.NO_DATA, 0.8, Severity.HIGH, summary)

    def link(self, ioc: IOC, obs: Observation | None) -> str | None:
        try:
            return ("https://www.cisa.gov/known-exploited-vulnerabilities-catalog"
                    f"?search_api_fulltext={cve_id(ioc.value)}")
        except ValueError:
            return None


def _num(v: Any) -> float:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else 0.0
