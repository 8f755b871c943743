"""Extraction behaviour: types, normalisation, offsets, dedupe, false positives."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sentinelx.pipeline.extract import extract_iocs
from sentinelx.pipeline.models import IOCType


def pairs(text: str) -> list[tuple[str, str]]:
    return [(i.type.value, i.value) for i in extract_iocs(text)]


def test_issue_example() -> None:
    got = pairs("see hxxp://evil[.]com/a and 1.2.3[.]4, CVE-2021-44228, setup.py")
    assert ("url", "http://evil.com/a") in got
    assert ("ipv4", "1.2.3.4") in got
    assert ("cve", "CVE-2021-44228") in got
    assert ("domain", "setup.py") not in got


def test_raw_and_offset_point_into_the_original_text() -> None:
    text = "x hxxps[://]Evil[.]COM/Path and user [at] bad [dot] org, 10.0.0[.]1"
    for ioc in extract_iocs(text):
        assert text[ioc.offset:ioc.offset + len(ioc.raw)] == ioc.raw
    by_type = {i.type: i for i in extract_iocs(text)}
    assert by_type[IOCType.URL].raw == "hxxps[://]Evil[.]COM/Path"
    assert by_type[IOCType.URL].value == "https://evil.com/Path"
    assert by_type[IOCType.EMAIL].raw == "user [at] bad [dot] org"
    assert by_type[IOCType.IPV4].private


def test_dedupe_keeps_first_seen_order_and_first_offset() -> None:
    text = "b.com then EVIL.com then evil.com then b.com"
    iocs = extract_iocs(text)
    assert [i.value for i in iocs] == ["b.com", "evil.com"]
    assert iocs[1].offset == text.index("EVIL.com")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("EVIL.COM.", ("domain", "evil.com")),
        ("John.Doe@Evil-Corp.COM", ("email", "john.doe@evil-corp.com")),
        ("D41D8CD98F00B204E9800998ECF8427E", ("md5", "d41d8cd98f00b204e9800998ecf8427e")),
        ("cve-2021-44228", ("cve", "CVE-2021-44228")),
        ("2001:0DB8:0000:0000:0000:0000:0000:0001", ("ipv6", "2001:db8::1")),
        ("HTTPS://Evil.COM/Some/Path?Q=A", ("url", "https://evil.com/Some/Path?Q=A")),
        ("hxxp://EVIL.com./x", ("url", "http://evil.com/x")),
        ("::ffff:185.220.101.1", ("ipv6", "::ffff:185.220.101.1")),
    ],
)
def test_normalisation(text: str, expected: tuple[str, str]) -> None:
    assert pairs(text) == [expected]


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("(see http://a.com/x).", "http://a.com/x"),
        ("[t](http://a.com/x)", "http://a.com/x"),
        ("https://en.wikipedia.org/wiki/Emotet_(malware)", "https://en.wikipedia.org/wiki/Emotet_(malware)"),
        ("**http://b.org/z**", "http://b.org/z"),
        ("<http://c.net/>", "http://c.net/"),
        ("'http://d.io/q?x=1',", "http://d.io/q?x=1"),
        ("http://[2001:db8::5]:8080/x", "http://[2001:db8::5]:8080/x"),
        ("fxp://files.evil.biz/a", "ftp://files.evil.biz/a"),
    ],
)
def test_url_boundaries(text: str, url: str) -> None:
    assert ("url", url) in pairs(text)


@pytest.mark.parametrize(
    "text",
    [
        "setup.py run.sh invoice.zip report.docx README.md libfoo.so bot.pl Main.java notes.md",
        "invoice.pdf.zip photo.mov lure.one update.cab main.rs Safari.app C:\\x\\svchost.com",
        "v1.2.3 1.2.3-beta 1.2.3.4-rc1 version 4.2.1.5 Chrome/120.0.0.0 build 10.0.0.1",
        "Trojan.Win32.Agent Win32.Trojan.Foo HEUR:Trojan.Script.Generic Backdoor.Linux.Mirai.b",
        "os.path.join self.foo.bar document.getElementById console.log window.location.host",
        "logger.info subprocess.run user.name e.target f.read req.body.name System.Net.WebClient",
        "44d88612fea8a8f36de82e1278abb02 44d88612fea8a8f36de82e1278abb02ff",
        "0xd41d8cd98f00b204e9800998ecf8427e",
        "12:30:45 00:1A:2B:3C:4D:5E std::vector a[1::2] :: MS17-010 CVE-21-1234",
        "http:// https://x abc://weird.com/x http://evil.com:99999/x e.g. i.e. U.S. end.The",
        "12345678901234567890123456789012 1.2.3.4.5 256.1.1.1 01.02.03.04",
    ],
)
def test_no_false_positives(text: str) -> None:
    assert pairs(text) == []


def test_hex_run_longer_than_a_hash_is_not_a_hash() -> None:
    sha = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
    assert pairs(sha + "ab") == []
    assert pairs("x" + sha) == []
    assert pairs(sha) == [("sha256", sha)]


def test_defanged_names_on_file_extension_tlds_are_domains() -> None:
    assert pairs("invoice-docs[.]zip and setup[.]py") == [
        ("domain", "invoice-docs.zip"), ("domain", "setup.py")]


def test_private_addresses_are_extracted_and_flagged() -> None:
    iocs = extract_iocs("from 10.0.0.1 and 192.0.2.1 to 8.8.8.8 via printer.local and fe80::1")
    flags = {i.value: i.private for i in iocs}
    assert flags == {"10.0.0.1": True, "192.0.2.1": True, "8.8.8.8": False,
                     "printer.local": True, "fe80::1": True}


def test_hash_inside_a_url_is_also_reported() -> None:
    sha = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
    got = pairs(f"https://www.virustotal.com/gui/file/{sha}/detection")
    assert ("sha256", sha) in got


def test_cve_inside_a_rejected_dotted_name_is_found() -> None:
    assert pairs("Exploit.MSOffice.CVE-2017-11882.gen") == [("cve", "CVE-2017-11882")]


def test_empty_and_whitespace_input() -> None:
    assert extract_iocs("") == []
    assert extract_iocs(" \n\t ") == []


def test_import_and_extract_load_neither_library() -> None:
    # Both libraries cost 110-150 ms to import; the host cold-starts on every connect.
    code = (
        "import sys; import sentinelx.pipeline.extract as e; "
        "assert e.extract_iocs('hxxp://evil[.]com 1.2.3.4'); "
        "print('iocsearcher' in sys.modules, 'iocextract' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
