"""Behaviours found by the independent corpus (tests/data/ioc_corpus_independent.jsonl).

Each test pins one general rule, not a corpus string.
"""

from __future__ import annotations

import pytest

from sentinelx.pipeline.extract import extract_iocs


def pairs(text: str) -> set[tuple[str, str]]:
    return {(i.type.value, i.value) for i in extract_iocs(text)}


@pytest.mark.parametrize(("text", "ip"), [
    ("get hxxp://45.61.136[.]12/x86 now", ("ipv4", "45.61.136.12")),
    ("curl -k https://45.9.148.99:8443/bins/x", ("ipv4", "45.9.148.99")),
    ("ftp://user:pw@203.0.113.5/pub/", ("ipv4", "203.0.113.5")),
    ("http://[2a01:4f8:c17:b8f::2]:8443/api", ("ipv6", "2a01:4f8:c17:b8f::2")),
])
def test_ip_host_of_a_url_is_also_an_ip_ioc(text: str, ip: tuple[str, str]) -> None:
    got = pairs(text)
    assert ip in got
    assert any(kind == "url" for kind, _ in got)


def test_ip_from_url_keeps_offsets_and_private_flag() -> None:
    text = "SSRF to hxxp://169.254.169[.]254/latest/meta-data/"
    ip = next(i for i in extract_iocs(text) if i.type.value == "ipv4")
    assert ip.value == "169.254.169.254" and ip.private
    assert text[ip.offset:ip.offset + len(ip.raw)] == ip.raw == "169.254.169[.]254"


def test_named_url_host_adds_no_ip_and_bad_ip_host_adds_nothing() -> None:
    assert pairs("https://evil.com/1.2.3.4") == {("url", "https://evil.com/1.2.3.4")}
    assert pairs("http://999.1.1.1/x") == set()


def test_cve_inside_a_url_is_extracted() -> None:
    got = pairs("Ref: https://nvd.nist.gov/vuln/detail/CVE-2023-34362.")
    assert got == {("url", "https://nvd.nist.gov/vuln/detail/CVE-2023-34362"),
                   ("cve", "CVE-2023-34362")}


@pytest.mark.parametrize("text", [
    "ProductVersion: 1.0.0.1", "FileVersion=2.0.0.1", '{"version":"1.4.2.0"}',
    "app_version: 5.1.0.12", "see section 4.2.1.3", "per sec. 1.2.3.4", "\u00a7 2.1.1.4",
])
def test_version_and_section_numbers_are_not_ips(text: str) -> None:
    assert pairs(text) == set()


def test_version_context_needs_to_be_right_before_the_quad() -> None:
    assert pairs("version 2 beacons to 198.51.100.23") == {("ipv4", "198.51.100.23")}


@pytest.mark.parametrize("text", ["Makefile.am", "Makefile.in", "Dockerfile.dev", "README.md",
                                  "Jenkinsfile.prod"])
def test_extensionless_file_names_on_real_tlds_are_not_domains(text: str) -> None:
    assert pairs(f"edit {text} first") == set()


def test_defanged_file_basename_is_still_a_domain() -> None:
    assert pairs("makefile[.]in") == {("domain", "makefile.in")}


def test_wildcard_domain_yields_the_domain() -> None:
    assert pairs("block *.duckdns.org and *.evil[.]top") == {
        ("domain", "duckdns.org"), ("domain", "evil.top")}


def test_defanged_host_behind_an_unknown_scheme_is_kept() -> None:
    # (h00ps was such a scheme until issue 15: it now reads as https, see test_extract_realworld.)
    assert pairs("hqqps://bad[.]to and meow://evil[.]cc/x") == {
        ("domain", "bad.to"), ("domain", "evil.cc")}
    # Not defanged: an unknown scheme stays junk, as before.
    assert pairs("abc://weird.com/x") == set()


@pytest.mark.parametrize(("text", "url"), [
    ("http://new-app.com/Setup.msi,url,2023-09-02", "http://new-app.com/Setup.msi"),
    ("193.1.1.1,http://new-app.com/a.exe,malware", "http://new-app.com/a.exe"),
    ("https://a.com/x?ids=1,2,3", "https://a.com/x?ids=1,2,3"),
    ("https://en.wikipedia.org/wiki/Washington,_D.C.", "https://en.wikipedia.org/wiki/Washington,_D.C"),
    ("https://a.com/p/1,2/b", "https://a.com/p/1,2/b"),
])
def test_url_ends_at_a_csv_comma_but_keeps_commas_of_its_own(text: str, url: str) -> None:
    assert ("url", url) in pairs(text)
    assert not any(kind == "url" and v != url for kind, v in pairs(text))


@pytest.mark.parametrize(("text", "ips"), [
    ("192.168.1.0/24,10.0.0.0/8", {"192.168.1.0", "10.0.0.0"}),
    ("45.95.169.0/24;91.215.85.0/24", {"45.95.169.0", "91.215.85.0"}),
    ("1.2.3.4/path,5.6.7.8", {"1.2.3.4", "5.6.7.8"}),
])
def test_cidr_and_path_tails_stop_at_list_separators(text: str, ips: set[str]) -> None:
    assert {v for kind, v in pairs(text) if kind == "ipv4"} == ips


def test_domain_list_after_a_scheme_less_path() -> None:
    # Issue 15: the host with a path is also a (scheme-less) URL; the comma still ends it.
    assert pairs("evil.com/a,bad.net") == {
        ("url", "http://evil.com/a"), ("domain", "evil.com"), ("domain", "bad.net")}


@pytest.mark.parametrize("text", ["http://999.1.1.1/x", "see hxxp://1234.5.6.7/a", "9999.1.1.1[.]"])
def test_rescue_does_not_cut_an_address_out_of_a_longer_number(text: str) -> None:
    assert not any(kind == "ipv4" for kind, _ in pairs(text))
