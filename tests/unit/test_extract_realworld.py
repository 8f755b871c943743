"""Issue 15: extraction as real reports write IOCs (scheme-less URLs, scheme-separator and
spacing defangs, case, IPv6 shapes, boundaries, URL ends, e-mails) and the conventions chosen.

Every case here is written for this project; none is copied from another project's tests.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinelx.pipeline.extract import extract_iocs
from sentinelx.pipeline.models import IOCType
from sentinelx.pipeline.urls import normalise_any_url, normalise_url


def pairs(text: str) -> set[tuple[str, str]]:
    return {(i.type.value, i.value) for i in extract_iocs(text)}


def urls(text: str) -> set[str]:
    return {v for k, v in pairs(text) if k == "url"}


# --- URLs without a scheme -------------------------------------------------------------------

@pytest.mark.parametrize(("text", "url"), [
    ("dropped from files-cdn[.]click/dl/inv_04.zip today", "http://files-cdn.click/dl/inv_04.zip"),
    ("m.docuview[.]app/f/8812/x/3bd1c0/viewer.iso", "http://m.docuview.app/f/8812/x/3bd1c0/viewer.iso"),
    ("github.com/someone/tool/blob/main/run.sh", "http://github.com/someone/tool/blob/main/run.sh"),
    ("poll 194.26.29[.]113:8443/api/v2/poll", "http://194.26.29.113:8443/api/v2/poll"),
    ("exfil to transfer.sh/get/Jq2k/out.7z", "http://transfer.sh/get/Jq2k/out.7z"),
    ("(see pastebin[.]com/raw/Qm3vT8aZ).", "http://pastebin.com/raw/Qm3vT8aZ"),
    ("evil.example.net/a/b.php?x=1&y=2", "http://evil.example.net/a/b.php?x=1&y=2"),
])
def test_a_host_with_a_path_is_a_url_with_http_in_front(text: str, url: str) -> None:
    got = pairs(text)
    assert ("url", url) in got
    host = urlsplit(url).hostname
    assert ("domain", host) in got or ("ipv4", host) in got  # the host is reported too


@pytest.mark.parametrize("text", [
    "visit login-micros0ft[.]com/ now",       # a bare slash: just the host
    "block 10.20.0.0/16 and 91.92.240.0/24",  # CIDR suffixes
    "allow 172.16.0.0/255.240.0.0 only",      # a netmask
    "client=198.51.100.4#53122",              # a port in a DNS log, not a fragment
    "served from /var/www/html/shop.example.org/up.php",  # a file path on the server
    "evil.com:8443 was open",                 # a port alone
])
def test_no_url_without_a_real_path(text: str) -> None:
    assert urls(text) == set()


def test_lists_end_a_scheme_less_url() -> None:
    assert urls("ww2.cdnsync[.]xyz/p/ax.bin,ww3.cdnsync[.]xyz/p/ay.bin;1.2.3.4/q") == {
        "http://ww2.cdnsync.xyz/p/ax.bin", "http://ww3.cdnsync.xyz/p/ay.bin", "http://1.2.3.4/q"}


def test_url_values_are_already_normal_and_the_scheme_less_helper_agrees() -> None:
    text = ("files-cdn[.]click/dl/a.zip h__ps__Track.AdSrv[.]biz/r?u=9 "
            "http:\\\\files.badhost[.]org\\a.dll 194.26.29[.]113:8443/api")
    for value in urls(text):
        assert normalise_url(value) == value
    assert normalise_any_url("Files-CDN.click/dl/a.zip") == "http://files-cdn.click/dl/a.zip"
    assert normalise_any_url("hxxps://evil.com/a") == "https://evil.com/a"
    assert normalise_any_url("meow://evil.com/a") is None
    assert normalise_any_url("not a url") is None


def test_a_file_name_is_still_no_host_without_a_path() -> None:
    assert pairs("run setup.py then run.sh and open invoice.pdf") == set()


# --- scheme-separator defangs and schemes ------------------------------------------------------

@pytest.mark.parametrize(("text", "url"), [
    ("hxxps[:]//sync-relay[.]info/api", "https://sync-relay.info/api"),
    ("http__updates-msft[.]com/kb/p.exe", "http://updates-msft.com/kb/p.exe"),
    ("https__cdn.evil-share[.]net/s", "https://cdn.evil-share.net/s"),
    ("https:__cloud-drive-share[.]net/s/abc", "https://cloud-drive-share.net/s/abc"),
    ("http:\\\\files.badhost[.]org\\a.dll", "http://files.badhost.org\\a.dll"),
    ("h__ps__track.adsrv[.]biz/r?u=9", "https://track.adsrv.biz/r?u=9"),
    ("hXXts://short-link[.]cc/a7", "https://short-link.cc/a7"),
    ("h00p://free-codec[.]in/setup", "http://free-codec.in/setup"),
    ("sfXp://mirror.pkgdl[.]org/pkg/u.tgz", "sftp://mirror.pkgdl.org/pkg/u.tgz"),
    ("ftx://dl.warez[.]cc/pub/x.rar", "ftp://dl.warez.cc/pub/x.rar"),
    ("stratum+tcp://221.120.144[.]101:3333", "stratum+tcp://221.120.144.101:3333"),
    ("file://share.corp-files[.]com/x", "file://share.corp-files.com/x"),
])
def test_scheme_separator_defangs_and_other_schemes(text: str, url: str) -> None:
    assert url in urls(text)


def test_underscores_after_an_unknown_word_are_no_scheme() -> None:
    assert urls("my_var__evil.com/x") <= {"http://evil.com/x"}
    assert pairs("__init__.py and foo__bar") == set()


# --- spacing defangs ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("the domain malsite . com was new", ("domain", "malsite.com")),
    ("secondary IP 5.188.86 . 172 on 443", ("ipv4", "5.188.86.172")),
    ("reply-to billing @ invoice-portal.com", ("email", "billing@invoice-portal.com")),
    ("hxxp:// dl-update .net /files/p.exe", ("url", "http://dl-update.net/files/p.exe")),
    ("https://cdn-fix .org/x/y", ("url", "https://cdn-fix.org/x/y")),
    ("http://cdn-fix.org /x/y", ("url", "http://cdn-fix.org/x/y")),
])
def test_spacing_defangs(text: str, expected: tuple[str, str]) -> None:
    assert expected in pairs(text)


@pytest.mark.parametrize("text", [
    "It ended there . Next, the loader ran.",
    "It ended there . next, the loader ran.",   # `.next` is a TLD, but not a common one
    "we got there . in time",
    "registered under the .com and .top TLDs",  # a dot with a space only before it
    "see the file .sh / .py scripts",
    "meet me @ noon; signed @ the office",
    "a / b and c / d",
])
def test_prose_with_spaces_is_not_an_ioc(text: str) -> None:
    assert pairs(text) == set()


def test_spaces_never_extend_an_email_host() -> None:
    assert pairs("write to bob@corp-mail . com today") == set()
    assert pairs("bob@corp-mail[.]com . next") == {("email", "bob@corp-mail.com")}


def test_a_spaced_defang_keeps_its_original_span() -> None:
    text = "host malsite . com here"
    (ioc,) = extract_iocs(text)
    assert ioc.raw == "malsite . com" and text[ioc.offset:].startswith(ioc.raw)


# --- case ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "domain"), [
    ("bar.COM", "bar.com"), ("visit Example.Com now", "example.com"),
    ("BADHOST.RU", "badhost.ru"), ("Login.Micros0ft-Auth.COM", "login.micros0ft-auth.com"),
])
def test_hosts_in_any_case_on_common_tlds(text: str, domain: str) -> None:
    assert ("domain", domain) in pairs(text)


@pytest.mark.parametrize("text", [
    "AsyncRAT.AD and Agent.GEN", "The attack.The next step", "using System.Net;",
    "Trojan.Win32.Generic.COM",
])
def test_detection_names_namespaces_and_sentence_joins_stay_out(text: str) -> None:
    assert pairs(text) == set()


# --- IPv6 ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "1:2:3:4:5:6::7:8", "1:2:3:4:5:6:7:8:9",
    "serial 0f:e9:73:75:20:22:a6:06:ad:f2:a3:6e:34:5d:c0:ed signed",
    "MAC 00:1a:2b:3c:4d:5e at 12:45:09",
])
def test_no_address_from_a_longer_colon_run(text: str) -> None:
    assert not any(k == "ipv6" for k, _ in pairs(text))


@pytest.mark.parametrize(("text", "v6"), [
    ("..2001:470:1f0b:5e5::2!", "2001:470:1f0b:5e5::2"),
    ("[2606:4700::6812:1a3c]:443", "2606:4700::6812:1a3c"),
    ("ends fe80::1: here", "fe80::1"),
    ("full 2001:db8:85a3:0:0:8a2e:370:7334: listed", "2001:db8:85a3::8a2e:370:7334"),
])
def test_real_addresses_still_match(text: str, v6: str) -> None:
    assert ("ipv6", v6) in pairs(text)


# --- boundaries ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("([.]govrelay[.]org)", ("domain", "govrelay.org")),
    ("-evil-host.badnet.ru was listed", ("domain", "evil-host.badnet.ru")),
    ("<b>Host</b>.attacker[.]net</p>", ("domain", "attacker.net")),
    (".!@..141.98.10.60!@#", ("ipv4", "141.98.10.60")),
    ("a" * 63 + ".com", ("domain", "a" * 63 + ".com")),
    ("IP 1[.]2[.]3.[4] seen", ("ipv4", "1.2.3.4")),
])
def test_boundaries_that_hold_an_ioc(text: str, expected: tuple[str, str]) -> None:
    assert expected in pairs(text)


@pytest.mark.parametrize("text", [
    "1.1.1.1.a", "8.8.8.8.in", ".9.9.9.9", "g" * 64 + ".com", "login-<brand>-verify.com",
    "--config.name --user.name",
])
def test_boundaries_that_do_not(text: str) -> None:
    assert pairs(text) == set()


def test_a_leading_defang_after_a_word_does_not_join_the_word() -> None:
    assert pairs("(see [.]govrelay[.]org)") == {("domain", "govrelay.org")}


# --- URL ends -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "url"), [
    ("https://panel.evil-admin.cc/a)b/index", "https://panel.evil-admin.cc/a)b/index"),
    ("https://cdn.badcdn.io/x]y/z.js", "https://cdn.badcdn.io/x]y/z.js"),
    ("https://wiki.example.org/page_(x) now", "https://wiki.example.org/page_(x)"),
    ("(see https://evil-docs.info/a/b).", "https://evil-docs.info/a/b"),
    ("[link](https://phish.evil-docs.info/c)", "https://phish.evil-docs.info/c"),
])
def test_brackets_inside_a_path_belong_to_it(text: str, url: str) -> None:
    assert urls(text) == {url}


# --- e-mails ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "email"), [
    ("from gómez@correo-falso.br", "gómez@correo-falso.br"),
    ("user+billing/dept=finance@evil-corp.biz", "user+billing/dept=finance@evil-corp.biz"),
    ("foo#bar@mailer-x.com", "foo#bar@mailer-x.com"),
    ("smtp.mailfrom=bounce@notify-svc.net", "bounce@notify-svc.net"),
    ("-----relay@spam-host.org-----", "relay@spam-host.org"),
    ("root@198.51.100.23", "root@198.51.100.23"),
    ("ops@[192.0.2.10]", "ops@[192.0.2.10]"),
    ("юзер@почта.рф", "юзер@почта.рф"),
])
def test_email_shapes(text: str, email: str) -> None:
    assert ("email", email) in pairs(text)


def test_an_ip_after_the_at_sign_is_also_an_ip() -> None:
    assert ("ipv4", "198.51.100.23") in pairs("ssh root@198.51.100.23")


def test_a_query_with_an_at_sign_stays_one_url() -> None:
    assert pairs("evil.com/?u=a@b.com") == {("url", "http://evil.com/?u=a@b.com"),
                                            ("domain", "evil.com")}


# --- conventions --------------------------------------------------------------------------------

def test_hosts_without_a_public_suffix_are_not_reported() -> None:
    assert pairs("http://intranet/share/x http://a.a/test tcp://example/x error.invalid") == set()


def test_placeholder_hashes_are_not_reported() -> None:
    assert pairs(f"{'a' * 32} {'0' * 40} {'f' * 64}") == set()


def test_private_values_are_reported_and_flagged() -> None:
    got = {(i.value, i.private) for i in extract_iocs("http://build01.corp/a.zip 10.1.2.3/x")}
    assert ("http://build01.corp/a.zip", True) in got and ("http://10.1.2.3/x", True) in got


# --- CVEs written with a space ---------------------------------------------------------------

@pytest.mark.parametrize(("text", "raw"), [
    ("Patched CVE 2014-1001 last week.", "CVE 2014-1001"),
    ("see cve 2021-44228 (log4shell)", "cve 2021-44228"),
    ("(CVE 2017-0144)", "CVE 2017-0144"),
    ("CVE\u00a02023-23397 on the Outlook side", "CVE\u00a02023-23397"),
])
def test_a_cve_written_with_a_space(text: str, raw: str) -> None:
    iocs = [i for i in extract_iocs(text) if i.type is IOCType.CVE]
    assert len(iocs) == 1 and iocs[0].raw == raw
    assert iocs[0].value == "CVE-" + raw[4:8] + "-" + raw[9:]
    assert text[iocs[0].offset:iocs[0].offset + len(raw)] == raw


@pytest.mark.parametrize("text", [
    "the 2014-1001 range", "xcve 2014-1001", "CVE  2014-1001", "CVE 2014-100", "CVE 2999-1001",
    "CVE 2014-10011234", "CVE: 2014-1001",
])
def test_no_cve_from_a_year_range_or_a_longer_word(text: str) -> None:
    assert not [i for i in extract_iocs(text) if i.type is IOCType.CVE]


def test_a_spaced_cve_and_its_dashed_twin_are_one_ioc() -> None:
    iocs = extract_iocs("CVE 2014-1001 then CVE-2014-1001 then cve 2014-1001")
    assert [(i.value, i.offset) for i in iocs] == [("CVE-2014-1001", 0)]


# --- hostile input, generated -------------------------------------------------------------------

_PIECES = st.sampled_from([
    "a", "evil", "com", "1", "255", "2001", "db8", ".", " . ", " .", "[.]", "[.", "(.)", "@", " @ ",
    "[at]", "://", ":// ", ":\\\\", "__", ":__", "[:]//", "http", "hxxps", "h__ps", "/", " /",
    ":", "::", "-", "--", "..", ")", "]", "(", "[", ",", ";", "#", "=", "?", "\n", " ", "\u00a0",
    "é", "ю", "%", "+", "*", "cve ", "CVE\u00a0", "2014-1001",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=40).map("".join))
def test_generated_defang_soup_gives_only_valid_iocs(text: str) -> None:
    for ioc in extract_iocs(text):
        assert text[ioc.offset:ioc.offset + len(ioc.raw)] == ioc.raw
        if ioc.type is IOCType.URL:
            parts = urlsplit(ioc.value)
            assert parts.scheme and parts.hostname
        elif ioc.type is IOCType.IPV4:
            ipaddress.IPv4Address(ioc.value)
        elif ioc.type is IOCType.IPV6:
            ipaddress.IPv6Address(ioc.value)
        elif ioc.type is IOCType.EMAIL:
            local, _, host = ioc.value.rpartition("@")
            assert local and host and " " not in ioc.value
        elif ioc.type is IOCType.DOMAIN:
            assert " " not in ioc.value and "." in ioc.value
