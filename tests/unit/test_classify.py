"""Private/reserved classification."""

from __future__ import annotations

import pytest

from sentinelx.pipeline.classify import is_private
from sentinelx.pipeline.models import IOCType


@pytest.mark.parametrize(
    "ip",
    ["10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1", "127.0.0.1", "169.254.1.1",
     "192.0.2.10", "198.51.100.7", "203.0.113.200", "100.64.0.1", "100.127.255.254",
     "224.0.0.251", "239.255.255.250", "0.0.0.0", "255.255.255.255", "198.18.0.1", "240.0.0.1"],
)
def test_private_and_reserved_ipv4(ip: str) -> None:
    assert is_private(IOCType.IPV4, ip)


@pytest.mark.parametrize("ip", ["8.8.8.8", "1.1.1.1", "185.220.101.45", "100.128.0.1", "172.32.0.1"])
def test_public_ipv4(ip: str) -> None:
    assert not is_private(IOCType.IPV4, ip)


@pytest.mark.parametrize("ip", ["::1", "fe80::1", "fd12:3456:789a::1", "2001:db8::1", "ff02::1", "::"])
def test_private_ipv6(ip: str) -> None:
    assert is_private(IOCType.IPV6, ip)


@pytest.mark.parametrize("ip", ["2606:4700:4700::1111", "2a03:b0c0:3:d0::1af1:1"])
def test_public_ipv6(ip: str) -> None:
    assert not is_private(IOCType.IPV6, ip)


@pytest.mark.parametrize(
    "domain",
    ["printer.local", "dc01.corp.local", "files.internal", "nas.lan", "app.localhost",
     "router.home.arpa", "acme.corp", "foo.test", "www.example", "x.invalid", "example.com",
     "api.example.com", "example.org", "www.example.net"],
)
def test_private_domains(domain: str) -> None:
    assert is_private(IOCType.DOMAIN, domain)


@pytest.mark.parametrize("domain", ["evil.com", "example-phish.com", "localhost-evil.net", "corp.evil.ru"])
def test_public_domains(domain: str) -> None:
    assert not is_private(IOCType.DOMAIN, domain)


def test_urls_and_emails_follow_their_host() -> None:
    assert is_private(IOCType.URL, "http://10.0.0.5:8080/admin")
    assert is_private(IOCType.URL, "http://[fe80::1]/x")
    assert is_private(IOCType.URL, "http://wiki.internal/page")
    assert is_private(IOCType.URL, "http://localhost/")
    assert not is_private(IOCType.URL, "https://evil.com/a")
    assert is_private(IOCType.EMAIL, "admin@intranet.corp")
    assert not is_private(IOCType.EMAIL, "a@evil.com")


def test_hashes_and_cves_are_never_private() -> None:
    assert not is_private(IOCType.MD5, "d41d8cd98f00b204e9800998ecf8427e")
    assert not is_private(IOCType.CVE, "CVE-2021-44228")


@pytest.mark.parametrize(
    ("ioc_type", "value"),
    [(IOCType.URL, "http://fileserver/share/x.doc"), (IOCType.EMAIL, "admin@mailhost")],
)
def test_single_label_hosts_only_resolve_inside_one_network(ioc_type: IOCType, value: str) -> None:
    assert is_private(ioc_type, value)


def test_enrich_refs_use_the_pipeline_normal_form_and_private_flag() -> None:
    from sentinelx.enrichment.iocs import from_ref

    url = from_ref({"type": "url", "value": "hxxps://Evil.COM/Path"})
    assert url.value == "https://evil.com/Path" and not url.private
    mapped = from_ref({"type": "ipv6", "value": "::FFFF:10.0.0.1"})
    assert mapped.value == "::ffff:10.0.0.1" and mapped.private
    assert from_ref({"type": "domain", "value": "Build.Corp."}).private
