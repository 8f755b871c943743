"""Shapes met in real threat reports (vendor IOC appendices in AsciiDoc and Markdown, mail
headers, IOC lists) that a hand-judged check of ~35 public reports found wrong.

Every case is written for this project in its own words; no report text is copied.
"""

from __future__ import annotations

import pytest

from sentinelx.pipeline.extract import extract_iocs


def pairs(text: str) -> set[tuple[str, str]]:
    return {(i.type.value, i.value) for i in extract_iocs(text)}


# --- AsciiDoc passthrough: `+host+` in IOC tables ----------------------------------------------

@pytest.mark.parametrize(("text", "domain"), [
    ("| N/A | `+cdn.badhost[.]net+` | 2023-01-02 | C&C", "cdn.badhost.net"),
    ("| 198.51.100[.]7 | `+up.relay-sync[.]org+` `+u.relay-sync[.]org+` |", "u.relay-sync.org"),
    ("C2: +telemetry-upd.com+", "telemetry-upd.com"),
    ("* `++cdn.badhost[.]net++`", "cdn.badhost.net"),
    ("* `++beacon.badhost[.]net:8080++`", "beacon.badhost.net"),
])
def test_a_host_between_asciidoc_plus_signs_is_found(text: str, domain: str) -> None:
    assert ("domain", domain) in pairs(text)


@pytest.mark.parametrize(("text", "url"), [
    ("* `++http://cdn.badhost[.]net/gate.php++`", "http://cdn.badhost.net/gate.php"),
    ("* `+https://cdn.badhost[.]net:8443/?id=7+`", "https://cdn.badhost.net:8443/?id=7"),
    ("* `++cdn.badhost[.]net/stage2.js++`", "http://cdn.badhost.net/stage2.js"),
    ("search http://find.example.com/?q=a+ today", "http://find.example.com/?q=a+"),
])
def test_urls_between_asciidoc_plus_signs_lose_them(text: str, url: str) -> None:
    assert {v for k, v in pairs(text) if k == "url"} == {url}


def test_a_scheme_after_a_plus_in_a_word_is_still_part_of_it() -> None:
    assert ("url", "stratum+tcp://pool.example.org:3333") in pairs("stratum+tcp://pool.example.org:3333")


@pytest.mark.parametrize("text", ["a+b.com", "c++.net", "x=1+evil.com", "a++evil.com", "+++evil.com"])
def test_a_plus_glued_to_a_word_still_blocks_a_host(text: str) -> None:
    assert not {p for p in pairs(text) if p[0] == "domain"}


# --- AsciiDoc link macros: `https://host/path[Link text]` ---------------------------------------

@pytest.mark.parametrize(("text", "url"), [
    ("Read it on https://blog.example-sec.com/[Our Blog].", "https://blog.example-sec.com/"),
    ("Read it on https://blog.example-sec.com[Our Blog] today", "https://blog.example-sec.com"),
    ("* https://av.example-lab.org/en/Win32_Agent.XY/detail[Win32/Agent.XY]",
     "https://av.example-lab.org/en/Win32_Agent.XY/detail"),
    ("   https://blog.example-sec.com/2021/05/04/loader-grows-up/[\nThe loader grows up]",
     "https://blog.example-sec.com/2021/05/04/loader-grows-up/"),
    ("the report https://intel.example-sec.com/apt/notes[1] says", "https://intel.example-sec.com/apt/notes"),
    # An unclosed bracket in the path (outside a query) opens link text cut by a space.
    ("http://a.example.com/a[b c]", "http://a.example.com/a"),
])
def test_asciidoc_link_text_is_not_part_of_the_url(text: str, url: str) -> None:
    assert {v for k, v in pairs(text) if k == "url"} == {url}


@pytest.mark.parametrize(("text", "url"), [
    # Brackets inside a path or query, with more URL after them, belong to it.
    ("https://shop.example.com/?c=sale-[old]-(2)&m=mail", "https://shop.example.com/?c=sale-[old]-(2)&m=mail"),
    ("https://shop.example.com/list?ids[]=1&ids[]=2", "https://shop.example.com/list?ids[]=1&ids[]=2"),
    ("https://wiki.example.org/a[b]c", "https://wiki.example.org/a[b]c"),
    ("http://[2001:db8::5]/x", "http://[2001:db8::5]/x"),
])
def test_brackets_inside_a_url_still_belong_to_it(text: str, url: str) -> None:
    assert url in {v for k, v in pairs(text) if k == "url"}


# --- A DNS C&C written as a dns:// URL ---------------------------------------------------------

@pytest.mark.parametrize(("text", "url"), [
    ("* dns://ns1.update-telemetry.org", "dns://ns1.update-telemetry.org"),
    ("C&C over DNS: dns://cache.sync-cdn[.]net", "dns://cache.sync-cdn.net"),
])
def test_a_dns_url_is_a_url(text: str, url: str) -> None:
    assert ("url", url) in pairs(text)


def test_dns_scheme_alone_is_nothing() -> None:
    assert pairs("the dns:// scheme names a resolver") == set()


# --- Hash-long DGA labels: `<32 hex>[.]xyz` ------------------------------------------------------

@pytest.mark.parametrize(("text", "domain"), [
    ("Domains:\n0a1b2c3d4e5f60718293a4b5c6d7e8f9[.]xyz\n", "0a1b2c3d4e5f60718293a4b5c6d7e8f9.xyz"),
    ("beacon to 0a1b2c3d4e5f60718293a4b5c6d7e8f9.top every hour", "0a1b2c3d4e5f60718293a4b5c6d7e8f9.top"),
    ("0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d[.]com", "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d.com"),
])
def test_a_hash_long_label_on_a_tld_is_a_host(text: str, domain: str) -> None:
    assert pairs(text) == {("domain", domain)}


@pytest.mark.parametrize(("text", "kind"), [
    ("dropped 0a1b2c3d4e5f60718293a4b5c6d7e8f9.exe in %TEMP%", "md5"),
    ("archive 0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d.zip", "sha1"),
    ("script 0a1b2c3d4e5f60718293a4b5c6d7e8f9.sh", "md5"),
    ("dos stub 0a1b2c3d4e5f60718293a4b5c6d7e8f9.com", "md5"),
    ("file 0a1b2c3d4e5f60718293a4b5c6d7e8f9.xyz.exe", "md5"),
    ("MD5 0a1b2c3d4e5f60718293a4b5c6d7e8f9.", "md5"),
])
def test_a_sample_named_by_its_hash_stays_a_hash(text: str, kind: str) -> None:
    assert {k for k, _ in pairs(text)} == {kind}


# --- Mail headers: a Message-ID is not a mailbox ------------------------------------------------

@pytest.mark.parametrize("text", [
    "Message-ID:\n\t<5d3e1c2a-77b0-4c1e-9f3a-2b6d8e0f4a11@EXCH01.mail.corp-relay.com>\n",
    "Message-Id: <CAF3x9Qp7@mail.example-post.com>",
    "In-Reply-To: <20230411.1234@mx.example-post.com>",
    "Content-ID: <image001.png@01D9A1B2.C3D4E5F0>",
])
def test_message_identifiers_are_not_emails(text: str) -> None:
    assert not {k for k, _ in pairs(text)} & {"email"}


@pytest.mark.parametrize("text", [
    "From: Billing <billing@invoice-portal.com>",
    "Reply-To: <billing@invoice-portal.com>",
    "write back to <billing@invoice-portal.com> today",
])
def test_addresses_in_angle_brackets_stay_emails(text: str) -> None:
    assert ("email", "billing@invoice-portal.com") in pairs(text)


# --- Certificate subjects: `CN=x/emailAddress=a@b.com` -----------------------------------------

@pytest.mark.parametrize(("text", "email"), [
    ("Issuer: C=XX, O=XX, CN=XX/emailAddress=ops@cert-issuer.example.com", "ops@cert-issuer.example.com"),
    ("subject=/C=US/CN=relay/emailAddress=Admin@Cert-Issuer.example.com", "admin@cert-issuer.example.com"),
    ("Subject: E=ops@cert-issuer.example.com, CN=relay", "ops@cert-issuer.example.com"),
])
def test_the_email_attribute_of_a_certificate_subject_is_not_in_the_address(text: str, email: str) -> None:
    assert {(k, v) for k, v in pairs(text) if k == "email"} == {("email", email)}


def test_an_rfc_address_with_slash_and_equals_is_kept_whole() -> None:
    assert ("email", "user+box/dept=sales@mail.example.com") in pairs(
        "user+box/dept=sales@mail.example.com")


# --- A scheme written without its colon: `hxxp//host/path` ------------------------------------

@pytest.mark.parametrize(("text", "url"), [
    ("stage 2 came from hxxp//files.cdn-relay[.]org/s2.bin", "http://files.cdn-relay.org/s2.bin"),
    ("see https//portal.cdn-relay.org/login today", "https://portal.cdn-relay.org/login"),
    ("hxxps//91.215.85[.]45/gate.php", "https://91.215.85.45/gate.php"),
])
def test_an_http_scheme_missing_its_colon_still_starts_a_url(text: str, url: str) -> None:
    assert ("url", url) in pairs(text)


def test_an_ip_host_after_a_colonless_or_underscore_scheme_is_reported() -> None:
    assert ("ipv4", "91.215.85.45") in pairs("hxxps//91.215.85[.]45/gate.php")
    assert ("ipv4", "91.215.85.45") in pairs("h__ps__91.215.85.45/gate.php")


@pytest.mark.parametrize("text", ["path//cdn-relay.org/x", "fhttp//cdn-relay.org/x", "a//cdn-relay.org"])
def test_other_words_before_a_double_slash_are_not_schemes(text: str) -> None:
    assert not {k for k, _ in pairs(text)} & {"url"}
