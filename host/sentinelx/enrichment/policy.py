"""The combined verdict of one IOC from its providers' answers, with its reason.

Over deciding providers (role `verdict`) that answered: malicious if any says malicious;
else suspicious if any does; else clean if any does; else no_data. "Not found" judges
no_data, so it never makes anything clean. Context providers (role `context`) never
decide. CVE providers (role `cve`) give the label ("Critical 9.8 · Known exploited ·
EPSS 97th pct": their summaries, in CVE_ORDER) and the severity; a CVE's verdict stays
no_data. The reason names the winning verdict, then "Label summary" of each provider
that said it. Score = the highest score among them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from sentinelx.enrichment.models import Judgement, Severity, Verdict

State = Literal["ok", "error", "skipped", "pending"]
RANK = (Verdict.MALICIOUS, Verdict.SUSPICIOUS, Verdict.CLEAN)
SEVERITY_RANK = list(Severity)
CVE_ORDER = ("nvd", "kev", "epss")  # label fragments in this order, then any other


@dataclass(frozen=True, slots=True)
class Part:
    """One provider's state for one IOC, as far as the combined verdict cares."""

    provider: str
    label: str
    role: str  # verdict | context | cve
    state: State
    judgement: Judgement | None = None  # when state == "ok"
    detail: str = ""  # error code or skip reason

    @property
    def shown(self) -> str:
        return self.judgement.verdict.value if self.state == "ok" and self.judgement else self.state


def _max_severity(parts: Iterable[Part]) -> Severity:
    found = [p.judgement.severity for p in parts if p.judgement]
    return max(found, key=SEVERITY_RANK.index, default=Severity.BENIGN)


def _cve_label(parts: list[Part]) -> str | None:
    cve = [p for p in parts if p.role == "cve" and p.state == "ok" and p.judgement
           and p.judgement.summary]
    cve.sort(key=lambda p: CVE_ORDER.index(p.provider) if p.provider in CVE_ORDER
             else len(CVE_ORDER))
    return " · ".join(p.judgement.summary for p in cve if p.judgement)[:300] or None


def _no_data_reason(parts: list[Part]) -> str:
    bits = []
    for p in parts:
        if p.state == "ok":
            bits.append(f"{p.label} no data")
        elif p.state in ("error", "skipped"):
            bits.append(f"{p.label} {p.state} ({p.detail})" if p.detail else f"{p.label} {p.state}")
        elif p.state == "pending":
            bits.append(f"{p.label} pending")
    return "no_data: " + "; ".join(bits) if bits else "no_data: no provider takes this type"


def combine(parts: list[Part]) -> dict[str, Any]:
    """The `combined` wire object for one IOC."""
    deciding = [p for p in parts if p.role == "verdict" and p.state == "ok" and p.judgement]
    verdict = next((v for v in RANK if any(p.judgement and p.judgement.verdict is v
                                           for p in deciding)), Verdict.NO_DATA)
    winners = [p for p in deciding if p.judgement and p.judgement.verdict is verdict]
    label = _cve_label(parts)
    if verdict is Verdict.NO_DATA:
        score = 0.0
        severity = _max_severity(p for p in parts if p.role == "cve" and p.state == "ok")
        reason = _no_data_reason(parts)
        if label:
            reason = f"no_data: {label}"
    else:
        score = max(p.judgement.score for p in winners if p.judgement)
        severity = _max_severity(winners)
        reason = f"{verdict.value}: " + "; ".join(
            f"{p.label} {p.judgement.summary}".strip() for p in winners if p.judgement)
    return {
        "verdict": verdict.value,
        "score": round(score, 3),
        "severity": severity.value,
        "reason": reason[:1000],
        "providers": {p.provider: p.shown for p in parts},
        "pending": sum(p.state == "pending" for p in parts),
        "label": label,
    }
