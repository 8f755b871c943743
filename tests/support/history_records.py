"""History records in the contract's wire shape (docs/design/providers.md), for export and
history tests and benches: `record(...)` builds one; `sample()` a mixed set of every type."""

from __future__ import annotations

import hashlib
from typing import Any

HASHES = {
    "md5": hashlib.md5(b"x").hexdigest(),
    "sha1": hashlib.sha1(b"x").hexdigest(),
    "sha256": hashlib.sha256(b"x").hexdigest(),
}
SAMPLE_IOCS = [
    ("ipv4", "185.220.101.47", "malicious"),
    ("ipv6", "2001:db8::7", "no_data"),
    ("domain", "evil-c2.net", "malicious"),
    ("url", "http://x4z9arb.cn/4712?a='b'", "suspicious"),
    ("md5", HASHES["md5"], "clean"),
    ("sha1", HASHES["sha1"], "no_data"),
    ("sha256", HASHES["sha256"], "malicious"),
    ("email", "phish@bad.example", "suspicious"),
    ("cve", "CVE-2021-44228", "no_data"),
]
LABELS = {"virustotal": "VirusTotal", "urlhaus": "URLhaus"}


def provider_result(provider: str, verdict: str, *, score: float = 0.5,
                    facts: dict[str, Any] | None = None, value: str = "x") -> dict[str, Any]:
    return {"provider": provider, "status": "ok", "cached": False, "result": {
        "provider": provider, "verdict": verdict, "score": score, "severity": "high",
        "summary": "12/73 engines" if provider == "virustotal" else "online payload host",
        "found": verdict != "no_data", "role": "verdict", "facts": facts or {},
        "link": f"https://{provider}.example/gui/{value}", "fetched_at": "2026-11-30T10:00:00Z"}}


def provider_error(provider: str, code: str = "rate_limited") -> dict[str, Any]:
    return {"provider": provider, "status": "error", "cached": False,
            "error": {"provider": provider, "code": code, "message": "slow down",
                      "provider_code": None, "retry_at": None}}


def record(ioc_type: str, value: str, verdict: str, *, title: str | None = "Threat report",
           url: str | None = None, run_id: int | None = 1, tags: list[str] | None = None,
           with_error: bool = True) -> dict[str, Any]:
    score = {"malicious": 0.71, "suspicious": 0.3, "clean": 0.0, "no_data": 0.0}[verdict]
    facts = {"tags": tags if tags is not None else ["c2", "cobalt strike"],
             "first_seen": "2026-10-01T08:00:00Z", "last_seen": "2026-11-29T09:30:00Z"}
    results = [provider_result("virustotal", verdict, score=score, facts=facts, value=value)]
    if with_error:
        results.append(provider_error("urlhaus"))
    reason = (f"{verdict}: VirusTotal 12/73 engines" if verdict in ("malicious", "suspicious")
              else "")
    rec: dict[str, Any] = {
        "ioc": {"type": ioc_type, "value": value, "raw": value, "offset": 0, "private": False},
        "combined": {"verdict": verdict, "score": score, "severity": "high", "reason": reason,
                     "providers": {"virustotal": verdict, "urlhaus": "error"}, "pending": 0,
                     "label": "Critical 10.0 · Known exploited" if ioc_type == "cve" else None},
        "results": results, "fetched_at": "2026-11-30T10:00:00Z", "source_title": title,
    }
    if run_id is not None:
        rec["run_id"] = run_id
    if url is not None:
        rec["source_url"] = url
    return rec


def sample() -> list[dict[str, Any]]:
    return [record(t, v, verdict) for t, v, verdict in SAMPLE_IOCS]


def many(n: int) -> list[dict[str, Any]]:
    """n distinct records cycling through every IOC type and verdict."""
    out = []
    for i in range(n):
        t, _, verdict = SAMPLE_IOCS[i % len(SAMPLE_IOCS)]
        value = {
            "ipv4": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
            "ipv6": f"2001:db8::{i:x}", "domain": f"host{i}.evil.example",
            "url": f"https://host{i}.evil.example/p/{i}", "email": f"u{i}@bad.example",
            "cve": f"CVE-2024-{10000 + i}",
        }.get(t) or hashlib.new(t, str(i).encode()).hexdigest()
        out.append(record(t, value, verdict, run_id=i // 100 + 1))
    return out
