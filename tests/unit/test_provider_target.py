"""`Provider.target` (what `check` runs) and `request` refuse exactly the same values, with the
same kind of error, for every registered provider: the preview and the engine decide with
`check`, the lookup is sent with `request`, and they must never disagree."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinelx.enrichment.providers import registry
from sentinelx.enrichment.providers.base import NotLookedUp, Provider
from sentinelx.pipeline.models import IOC, IOCType
from tests.support.providers import context

SAMPLES = {
    IOCType.IPV4: ["8.8.8.8", "10.0.0.1", "198.18.0.1", "256.1.1.1", "1.2.3", " 8.8.4.4"],
    IOCType.IPV6: ["2001:4860::8888", "fe80::1", "::1", "2001:db8::1", "1.2.3.4", "gg::1"],
    IOCType.DOMAIN: ["evil-c2.net", "EVIL.net.", "a_b.com", "-x.com", "!evil.com", "a%b.com",
                     "xn--bcher-kva.example", "a" * 300 + ".com"],
    IOCType.URL: ["http://evil.net/a", "hxxp://evil.net", "ftp://x.org/f", "dns://x.org",
                  "http://x.org/\x01", "http://" + "a" * 9000 + ".com/", "not a url"],
    IOCType.MD5: ["44d88612fea8a8f36de82e1278abb02f", "44D88612FEA8A8F36DE82E1278ABB02F", "zz"],
    IOCType.SHA1: ["3395856ce81f2b7382dee72602f798b642f14140", "3395856ce81f2b73"],
    IOCType.SHA256: ["275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f", ""],
    IOCType.CVE: ["CVE-2021-44228", "cve-2021-44228", "CVE-1", "CVE-2021-" + "1" * 40],
    IOCType.EMAIL: ["a@evil.net", "!a@evil.net", "a@", "x" * 3000 + "@e.com"],
}
IOCS = st.one_of(
    st.sampled_from([(t, v) for t, vs in SAMPLES.items() for v in vs]),
    st.tuples(st.sampled_from(list(IOCType)), st.text(max_size=80)),
)


def outcome(fn, ioc: IOC) -> type[Exception] | None:
    try:
        fn(ioc)
    except NotLookedUp:
        return NotLookedUp
    except ValueError:
        return ValueError
    return None


def providers() -> list[Provider]:
    """Every provider that looks up over HTTP (KEV reads a local feed: its own `check`)."""
    out = [cls(context("http://127.0.0.1:9", "K" * 64)) for cls in registry.classes().values()
           if cls.request is not Provider.request]
    assert len(out) >= 11
    return out


@pytest.mark.parametrize("provider", providers(), ids=lambda p: p.name)
@settings(max_examples=250, deadline=None)
@given(ref=IOCS)
def test_target_refuses_exactly_what_request_refuses(provider: Provider, ref) -> None:
    ioc = IOC(ref[0], ref[1], ref[1], 0)
    assert outcome(provider.target, ioc) is outcome(provider.request, ioc)


def test_misp_without_a_base_url_refuses_every_value_as_not_looked_up() -> None:
    misp = registry.classes()["misp"](context("", "K" * 40))
    for value in ("evil.net", "a@evil.net"):
        ioc = IOC(IOCType.DOMAIN, value, value, 0)
        assert outcome(misp.target, ioc) is outcome(misp.request, ioc) is NotLookedUp
