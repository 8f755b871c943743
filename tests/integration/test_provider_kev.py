"""KEV over real sockets: the feed is downloaded at most once a day into data_dir, lookups
are local, a bad or failed download never loses the copy we have, and `sentinelx kev update`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from sentinelx.cli import main
from sentinelx.enrichment.http import SafeHttp, allowlist
from sentinelx.enrichment.models import EnrichmentError, ErrorCode, Observation, Severity
from sentinelx.enrichment.providers import kev as kev_module
from sentinelx.enrichment.providers.base import ProviderContext, RetryPolicy, lookup
from sentinelx.enrichment.providers.kev import KEV, SPEC
from sentinelx.pipeline.models import IOC, IOCType
from tests.support.fakes.kev import FakeKEV, load_feed

SCHEMA = Draft202012Validator(json.loads(SPEC.facts_schema_path.read_text()))
FAST = RetryPolicy(attempts=2, base_delay=0.0, max_delay=0.0)
DAY = 24 * 3600


class Clock:
    def __init__(self) -> None:
        self.now = 1_756_000_000.0

    def __call__(self) -> float:
        return self.now


def cve(value: str) -> IOC:
    return IOC(IOCType.CVE, value, value, 0)


@pytest.fixture
def fake():
    with FakeKEV() as f:
        yield f


def kev(fake: FakeKEV, data_dir: Path, clock: Clock | None = None) -> KEV:
    http = SafeHttp(allowlist([fake.base_url]), timeout=(2.0, 5.0))
    return KEV(ProviderContext(fake.base_url, None, {}, http, clock or Clock(), data_dir))


def test_a_hit_shows_dates_and_ransomware(fake, tmp_path):
    p = kev(fake, tmp_path)
    obs = lookup(p, cve("cve-2021-44228"), retry=FAST)
    assert isinstance(obs, Observation) and obs.found
    SCHEMA.validate(obs.facts)
    f = obs.facts
    assert (f["known_exploited"], f["date_added"], f["due_date"], f["ransomware"]) == (
        True, "2021-12-10", "2021-12-24", True)
    j = p.judge(cve("CVE-2021-44228"), obs)
    assert j.summary == "Known exploited, ransomware" and j.severity is Severity.HIGH
    other = lookup(p, cve("CVE-2024-3400"), retry=FAST)
    assert p.judge(cve("CVE-2024-3400"), other).summary == "Known exploited"
    assert other.facts["ransomware_use"] == "Unknown" and other.facts["ransomware"] is False


def test_absent_is_no_data_not_not_exploited(fake, tmp_path):
    p = kev(fake, tmp_path)
    obs = lookup(p, cve("CVE-1999-99999"), retry=FAST)
    assert isinstance(obs, Observation) and not obs.found
    SCHEMA.validate(obs.facts)
    assert "known_exploited" not in obs.facts and obs.facts["catalog_version"] == "2025.08.25"


def test_downloaded_at_most_once_a_day(fake, tmp_path):
    clock = Clock()
    p = kev(fake, tmp_path, clock)
    for ident in ("CVE-2021-44228", "CVE-2024-3400", "CVE-1999-99999"):
        assert isinstance(lookup(p, cve(ident), retry=FAST), Observation)
    assert fake.downloads == 1 and (tmp_path / kev_module.FEED_FILE).exists()
    clock.now += DAY - 60
    assert isinstance(kev(fake, tmp_path, clock).fetch(cve("CVE-2021-44228")), Observation)
    assert fake.downloads == 1  # a new provider instance reads the same copy
    fake.add({**load_feed()["vulnerabilities"][0], "cveID": "CVE-2025-0001"})
    clock.now += 120
    assert lookup(p, cve("CVE-2025-0001"), retry=FAST).found is True
    assert fake.downloads == 2


def test_a_failed_download_keeps_the_copy_and_waits_an_hour(fake, tmp_path):
    clock = Clock()
    p = kev(fake, tmp_path, clock)
    assert p.fetch(cve("CVE-2021-44228")).found
    clock.now += DAY + 1
    fake.program("status", status=500, times=10)
    assert p.fetch(cve("CVE-2021-44228")).found  # the stale copy answers
    assert fake.downloads == 2
    clock.now += 600
    assert p.fetch(cve("CVE-2021-44228")).found
    assert fake.downloads == 2  # not tried again within the hour
    clock.now += 3600
    p.fetch(cve("CVE-2021-44228"))
    assert fake.downloads == 3


def test_no_copy_and_no_feed_is_an_error(fake, tmp_path):
    fake.program("status", status=503, times=5)
    out = lookup(kev(fake, tmp_path), cve("CVE-2021-44228"), retry=FAST)
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.SERVER_ERROR
    assert not (tmp_path / kev_module.FEED_FILE).exists()


@pytest.mark.parametrize("mutate", [
    lambda d: d.update(count=999),
    lambda d: d.update(vulnerabilities=[]),
    lambda d: d["vulnerabilities"][0].update(dateAdded="yesterday"),
    lambda d: d["vulnerabilities"][0].update(cveID="CVE-2021-44228/../../x"),
    lambda d: d["vulnerabilities"][0].update(knownRansomwareCampaignUse=True),
    lambda d: d.pop("catalogVersion"),
])
def test_a_bad_feed_never_replaces_a_good_copy(fake, tmp_path, mutate):
    p = kev(fake, tmp_path)
    assert p.update().version == "2025.08.25"  # type: ignore[union-attr]
    good = (tmp_path / kev_module.FEED_FILE).read_bytes()
    bad = load_feed()
    mutate(bad)
    fake.feed = bad
    out = p.update()
    assert isinstance(out, EnrichmentError) and out.code is ErrorCode.BAD_RESPONSE
    assert (tmp_path / kev_module.FEED_FILE).read_bytes() == good
    assert p.fetch(cve("CVE-2021-44228")).found


def test_a_damaged_copy_on_disk_is_replaced(fake, tmp_path):
    p = kev(fake, tmp_path)
    assert p.update()
    (tmp_path / kev_module.FEED_FILE).write_text("{garbage")
    assert p.fetch(cve("CVE-2021-44228")).found
    assert fake.downloads == 2


def test_feed_larger_than_the_default_body_cap_is_accepted(fake, tmp_path):
    entry = load_feed()["vulnerabilities"][0]
    fake.feed["vulnerabilities"] += [{**entry, "cveID": f"CVE-2030-{n:05d}"} for n in range(10000, 13000)]
    fake.feed["count"] = len(fake.feed["vulnerabilities"])
    assert len(json.dumps(fake.feed)) > 1_000_000
    assert kev(fake, tmp_path).fetch(cve("CVE-2030-12999")).found


def test_cli_kev_update(fake, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SENTINELX_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SENTINELX_CONFIG_DIR", str(tmp_path / "config"))
    assert main(["kev", "update", "--url", fake.base_url]) == 0
    out = capsys.readouterr().out
    assert "2025.08.25" in out and "4 entries" in out
    assert (kev_module.default_data_dir() / kev_module.FEED_FILE).exists()
    assert main(["kev", "update", "--url", fake.base_url]) == 0  # by hand: always downloads
    assert fake.downloads == 2
    capsys.readouterr()
    assert main(["kev", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["catalog_version"] == "2025.08.25" and status["count"] == 4
    fake.program("status", status=500)
    assert main(["kev", "update", "--url", fake.base_url]) == 1
    assert "500" in capsys.readouterr().err


def test_cli_refuses_a_plain_http_feed_that_is_not_local(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SENTINELX_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["kev", "update", "--url", "http://example.com/kev.json"]) == 2
    assert "https" in capsys.readouterr().err


def test_a_bare_origin_base_url_gets_the_documented_path(fake, tmp_path):
    origin = fake.base_url.removesuffix(fake.prefix)
    http = SafeHttp(allowlist([origin]), timeout=(2.0, 5.0))
    p = KEV(ProviderContext(origin, None, {}, http, Clock(), tmp_path))
    assert p.fetch(cve("CVE-2021-44228")).found
    assert fake.requests[0].path == kev_module.FEED_PATH


def test_an_unwritable_cache_dir_is_a_clear_error(fake, tmp_path):
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("x")
    out = kev(fake, blocked / "kev").fetch(cve("CVE-2021-44228"))
    assert isinstance(out, EnrichmentError) and "cannot keep the KEV catalog" in out.message
