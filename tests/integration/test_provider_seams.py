"""Where the providers meet the core, over real sockets: the core's key check reads each
provider's own answer (NVD's 404 + `message`, abuse.ch's HTTP 200 `unknown_auth_key`), the
KEV feed comes down through the engine's SafeHttp (its cap raised for that request only,
abort() still ends it), MISP is off until it has a base URL and its CA bundle reaches
SafeHttp, and NVD's quota follows its key."""

from __future__ import annotations

import threading
import time

import pytest

from sentinelx import config, keys
from sentinelx.enrichment import preview as previews
from sentinelx.enrichment import service, store
from sentinelx.enrichment.http import MAX_BODY_BYTES
from sentinelx.enrichment.providers.kev import default_data_dir
from sentinelx.enrichment.quota import Limits
from sentinelx.pipeline.models import IOC, IOCType
from tests.support import enrich_env
from tests.support.fakes.abusech import FakeMalwareBazaar, FakeThreatFox, FakeURLhaus
from tests.support.fakes.greynoise import FakeGreyNoise
from tests.support.fakes.kev import FakeKEV, load_feed
from tests.support.fakes.misp import FakeMISP
from tests.support.fakes.nvd import FakeNVD
from tests.support.previews import rows_by_ioc

sx_dirs = enrich_env.sx_dirs  # fixture
ABUSECH = "abusech-test-key-0123456789"
NVD_KEY = "01234567-89ab-cdef-0123-456789abcdef"


def quota_rows(name: str) -> int:
    conn = store.connect()
    try:
        return conn.execute("SELECT COUNT(*) FROM quota_events WHERE provider=?",
                            (name,)).fetchone()[0]
    finally:
        conn.close()


def test_nvd_key_check_reads_the_404_message_and_tells_throttling_apart(sx_dirs):
    with FakeNVD(api_key=NVD_KEY, keyless_limit=5, key_limit=1) as fake:
        config.set_value("providers.nvd.base_url", fake.base_url)
        keys.save_key("nvd", "ffffffff-0000-0000-0000-000000000000")
        bad = service.verify_key("nvd")
        assert bad["status"] == "rejected" and "HTTP 404" in bad["message"], bad
        assert quota_rows("nvd") == 0  # a refused key costs no quota
        keys.save_key("nvd", NVD_KEY)
        assert service.verify_key("nvd")["status"] == "ok"
        throttled = service.verify_key("nvd")  # the fake's one keyed request is used: 403
        assert throttled["status"] == "error" and "rate_limited" in throttled["message"]
        assert [r.headers.get("apikey") for r in fake.requests][-1] == NVD_KEY


@pytest.mark.parametrize("fake_cls", [FakeURLhaus, FakeThreatFox, FakeMalwareBazaar])
def test_abusech_key_check_reads_an_http_200_refusal(sx_dirs, fake_cls):
    with fake_cls(api_key=ABUSECH, bad_key="200") as fake:
        name = fake_cls.__name__.removeprefix("Fake").lower()
        config.set_value(f"providers.{name}.base_url", fake.base_url)
        keys.save_key(name, "wrong-abusech-key-0123456789")
        bad = service.verify_key(name)
        assert bad["status"] == "rejected" and "unknown_auth_key" in bad["message"], bad
        assert quota_rows(name) == 0  # a refused key costs no quota
        keys.save_key(name, ABUSECH)
        assert service.verify_key(name)["status"] == "ok"
        assert len(fake.requests) == 2


def test_greynoise_key_check_takes_not_observed_as_a_working_key(sx_dirs):
    with FakeGreyNoise(api_key="gnkey-0123456789abcdef") as fake:
        config.set_value("providers.greynoise.base_url", fake.base_url)
        keys.save_key("greynoise", "gnkey-0123456789abcdef")
        assert service.verify_key("greynoise")["status"] == "ok"  # 8.8.8.8 unseeded: 404
        keys.save_key("greynoise", "gnkey-wrong-0123456789")
        assert service.verify_key("greynoise")["status"] == "rejected"


def test_misp_is_off_until_it_has_a_base_url_and_its_ca_bundle_reaches_safehttp(sx_dirs,
                                                                                tmp_path):
    config.set_value("providers.misp.enabled", True)
    keys.save_key("misp", "A" * 40)
    settings = config.load()
    conn = store.connect()
    try:
        (lane,) = [lane for lane in service.lanes(conn, settings) if lane.name == "misp"]
    finally:
        conn.close()
    assert lane.enabled is False  # enabled, but nowhere to ask: off, not an error per IOC
    preview = previews.preview([IOC(IOCType.DOMAIN, "evil-c2.net", "x", 0)])
    (row,) = [r for r in rows_by_ioc([preview])[("domain", "evil-c2.net")]
              if r["provider"] == "misp"]
    assert row == {"provider": "misp", "action": "withheld", "reason": "disabled"}
    from sentinelx.enrichment.capabilities import capabilities

    caps = {p["name"]: p for p in capabilities()["providers"]}
    assert caps["misp"]["enabled"] is False
    assert service.verify_key("misp")["status"] == "unchecked"

    pem = tmp_path / "ca.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    config.set_value("providers.misp.ca_bundle", str(pem))
    config.set_value("providers.misp.base_url", "https://misp.corp.example.org")
    provider, _ = service.make_provider("misp", config.load())
    assert provider.ctx.http.verify == str(pem)
    assert caps["virustotal"]["enabled"] is True
    with FakeMISP(api_key="A" * 40) as fake:
        config.set_value("providers.misp.base_url", fake.base_url)
        config.set_value("providers.misp.ca_bundle", "")
        enrich_env.only_providers("misp")
        got: list[dict] = []
        service.run([IOC(IOCType.IPV4, "8.8.8.8", "x", 0)], on_results=got.extend,
                    on_progress=lambda m: None, cancel=threading.Event())
        (misp,) = [r for r in got if r["provider"] == "misp"]
        assert misp["status"] == "ok" and misp["result"]["found"] is True
        assert service.verify_key("misp")["status"] == "ok"
        keys.save_key("misp", "B" * 40)
        assert service.verify_key("misp")["status"] == "rejected"  # MISP: 403


def test_nvd_lane_quota_follows_the_key_unless_set_by_hand(sx_dirs):
    conn = store.connect()

    def nvd_limits() -> Limits:
        (lane,) = [lane for lane in service.lanes(conn, config.load()) if lane.name == "nvd"]
        return lane.quota.limits

    try:
        assert nvd_limits().per_minute == 5  # keyless: 5 per rolling 30 s, never more
        keys.save_key("nvd", NVD_KEY)
        assert nvd_limits().per_minute == 50
        config.set_value("providers.nvd.requests_per_minute", 20)
        assert nvd_limits().per_minute == 20  # the user's own number wins
    finally:
        conn.close()


def test_kev_feed_over_the_default_cap_through_the_engine_into_its_data_dir(sx_dirs):
    with FakeKEV() as fake:
        entry = load_feed()["vulnerabilities"][0]
        fake.feed["vulnerabilities"] += [{**entry, "cveID": f"CVE-2030-{n:05d}"}
                                         for n in range(10000, 13000)]
        fake.feed["count"] = len(fake.feed["vulnerabilities"])
        config.set_value("providers.kev.base_url", fake.base_url)
        enrich_env.only_providers("kev")
        provider, _ = service.make_provider("kev", config.load())
        assert provider.ctx.data_dir == default_data_dir()  # the engine and `kev update`
        assert provider.ctx.http.max_bytes == MAX_BODY_BYTES  # the cap stays for the rest
        got: list[dict] = []
        service.run([IOC(IOCType.CVE, "CVE-2030-12999", "x", 0)], on_results=got.extend,
                    on_progress=lambda m: None, cancel=threading.Event())
        (kev,) = enrich_env.pinned(got, "kev")
        assert kev["status"] == "ok" and kev["result"]["facts"]["known_exploited"] is True
        assert (default_data_dir() / "known_exploited_vulnerabilities.json").stat().st_size \
            > MAX_BODY_BYTES


def test_cancel_ends_a_dripping_kev_download_within_a_second(sx_dirs):
    with FakeKEV() as fake:
        fake.program("drip_body", rate=20, seconds=600)
        config.set_value("providers.kev.base_url", fake.base_url)
        enrich_env.only_providers("kev")
        cancel = threading.Event()
        got: list[dict] = []
        done = threading.Event()
        summary: dict = {}

        def go() -> None:
            summary.update(service.run([IOC(IOCType.CVE, "CVE-2021-44228", "x", 0)],
                                       on_results=got.extend, on_progress=lambda m: None,
                                       cancel=cancel))
            done.set()

        threading.Thread(target=go, daemon=True).start()
        deadline = time.monotonic() + 10
        while not fake.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # the body is dripping now
        sent = time.monotonic()
        cancel.set()
        assert done.wait(5)
        assert time.monotonic() - sent < 1.0
        assert summary["cancelled"] is True
        assert [r["error"]["code"] for r in enrich_env.pinned(got, "kev")] == ["cancelled"]
        assert not (default_data_dir() / "known_exploited_vulnerabilities.json").exists()
