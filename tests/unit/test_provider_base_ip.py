"""providers.base.ip_address: the canonical address every IP provider sends, remembered per
value (a preview asks for each address once per provider) without changing any answer."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sentinelx.enrichment.providers import base
from sentinelx.enrichment.providers.base import NotLookedUp, ip_address
from sentinelx.pipeline.models import IOC, IOCType


def ioc(t: IOCType, v: str) -> IOC:
    return IOC(type=t, value=v, raw=v, offset=0)


@pytest.mark.parametrize("t,v,err", [
    (IOCType.IPV4, "10.1.2.3", NotLookedUp), (IOCType.IPV4, "999.1.1.1", ValueError),
    (IOCType.IPV4, "2001:4860::8888", ValueError), (IOCType.IPV6, "8.8.8.8", ValueError),
    (IOCType.IPV6, "fe80::1", NotLookedUp),
])
def test_every_ask_raises_the_same_error(t, v, err):
    for _ in range(3):  # the first computes, the others are remembered
        with pytest.raises(err) as e:
            ip_address(ioc(t, v))
        assert type(e.value) is err


@given(st.ip_addresses())
def test_remembered_answers_equal_fresh_ones(addr):
    t = IOCType.IPV4 if addr.version == 4 else IOCType.IPV6
    fresh = base._canonical_ip(ioc(t, str(addr)))
    for _ in range(2):
        try:
            got: object = ip_address(ioc(t, str(addr)))
        except ValueError as e:
            got = e
        if isinstance(fresh, Exception):
            assert type(got) is type(fresh) and got.args == fresh.args  # type: ignore[union-attr]
        else:
            assert got == fresh == addr.compressed


def test_the_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(base, "_IP_SEEN_MAX", 50)
    base._IP_SEEN.clear()
    for i in range(500):
        assert ip_address(ioc(IOCType.IPV4, f"45.1.{i // 250}.{i % 250}")) == f"45.1.{i // 250}.{i % 250}"
        assert len(base._IP_SEEN) <= 50
