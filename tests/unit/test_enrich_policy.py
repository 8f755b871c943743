"""The combined verdict rule (enrichment/policy.py), property-tested over every mix."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sentinelx.enrichment.models import Judgement, Severity, Verdict
from sentinelx.enrichment.policy import Part, combine
from sentinelx.enrichment.providers.base import judgement

J = {v: judgement(v, s, f"{v.value} says so") for v, s in (
    (Verdict.MALICIOUS, 0.7), (Verdict.SUSPICIOUS, 0.3), (Verdict.CLEAN, 0.0),
    (Verdict.NO_DATA, 0.0))}


def part(name: str, verdict: Verdict | None, role: str = "verdict", state: str = "ok",
         summary: str | None = None) -> Part:
    j = J[verdict] if verdict else None
    if j and summary is not None:
        j = Judgement(j.verdict, j.score, j.severity, summary)
    return Part(name, name.title(), role, state, j)  # type: ignore[arg-type]


def test_any_malicious_wins_and_the_reason_names_who_said_it():
    c = combine([part("virustotal", Verdict.MALICIOUS, summary="12/73 engines"),
                 part("urlhaus", Verdict.MALICIOUS, summary="online payload host"),
                 part("otx", Verdict.CLEAN), part("threatfox", Verdict.NO_DATA)])
    assert c["verdict"] == "malicious" and c["score"] == 0.7
    assert c["reason"] == "malicious: Virustotal 12/73 engines; Urlhaus online payload host"
    assert c["providers"] == {"virustotal": "malicious", "urlhaus": "malicious",
                              "otx": "clean", "threatfox": "no_data"}


def test_not_found_is_never_clean():
    c = combine([part("virustotal", Verdict.NO_DATA), part("urlhaus", Verdict.NO_DATA)])
    assert c["verdict"] == "no_data"


def test_context_providers_never_decide():
    c = combine([part("internetdb", Verdict.MALICIOUS, role="context"),
                 part("virustotal", Verdict.CLEAN)])
    assert c["verdict"] == "clean"
    assert combine([part("internetdb", Verdict.MALICIOUS, role="context")])["verdict"] == (
        "no_data")


def test_cve_label_and_severity_from_cve_providers_in_a_fixed_order():
    epss = Part("epss", "EPSS", "cve", "ok", Judgement(Verdict.NO_DATA, 0.97, Severity.HIGH,
                                                       "EPSS 97th pct"))
    kev = Part("kev", "KEV", "cve", "ok", Judgement(Verdict.NO_DATA, 1, Severity.CRITICAL,
                                                    "Known exploited"))
    nvd = Part("nvd", "NVD", "cve", "ok", Judgement(Verdict.NO_DATA, 0.98, Severity.CRITICAL,
                                                    "Critical 9.8"))
    c = combine([epss, kev, nvd])
    assert c["label"] == "Critical 9.8 · Known exploited · EPSS 97th pct"
    assert c["verdict"] == "no_data" and c["severity"] == "critical"


def test_pending_errors_and_skips_are_counted_and_shown():
    c = combine([part("virustotal", None, state="pending"),
                 Part("urlhaus", "URLhaus", "verdict", "error", None, "timeout"),
                 Part("otx", "OTX", "verdict", "skipped", None, "no_api_key")])
    assert c["pending"] == 1 and c["verdict"] == "no_data"
    assert c["providers"] == {"virustotal": "pending", "urlhaus": "error", "otx": "skipped"}
    assert "URLhaus error (timeout)" in c["reason"] and "OTX skipped (no_api_key)" in c["reason"]


verdicts = st.sampled_from([*Verdict, None])
states = st.sampled_from(["ok", "error", "skipped", "pending"])
roles = st.sampled_from(["verdict", "context", "cve"])


@given(st.lists(st.tuples(verdicts, states, roles), max_size=8))
def test_rule_holds_for_every_mix(mix):
    parts = [part(f"p{i}", v if s == "ok" else None, role=r, state=s if v or s != "ok" else "error")
             for i, (v, s, r) in enumerate(mix)]
    c = combine(parts)
    said = {p.judgement.verdict for p in parts
            if p.role == "verdict" and p.state == "ok" and p.judgement}
    expected = next((v for v in (Verdict.MALICIOUS, Verdict.SUSPICIOUS, Verdict.CLEAN)
                     if v in said), Verdict.NO_DATA)
    assert c["verdict"] == expected.value
    assert c["pending"] == sum(p.state == "pending" for p in parts)
    assert c["reason"].startswith(expected.value)
    assert 0 <= c["score"] <= 1
