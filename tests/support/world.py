"""Every provider's local fake up at once, and a temp config that points every provider at
its fake through the real CLI (`sentinelx config set providers.NAME.base_url`, keys with
`sentinelx config set-key --provider NAME` from stdin), for end-to-end runs of all twelve.

    with World() as w:
        w.configure(dirs)          # base URLs and keys through the CLI
        w.fakes["urlhaus"].seed_url(...)
"""

from __future__ import annotations

import contextlib
import subprocess
from dataclasses import dataclass, field
from typing import Any

from tests.support.enrich_env import SENTINELX, Dirs
from tests.support.fakes.abusech import FakeMalwareBazaar, FakeThreatFox, FakeURLhaus
from tests.support.fakes.abuseipdb import FakeAbuseIPDB
from tests.support.fakes.epss import FakeEPSS
from tests.support.fakes.greynoise import FakeGreyNoise
from tests.support.fakes.internetdb import FakeInternetDB
from tests.support.fakes.kev import FakeKEV
from tests.support.fakes.misp import FakeMISP
from tests.support.fakes.nvd import FakeNVD
from tests.support.fakes.otx import FakeOTX
from tests.support.fakevt import FakeVT
from tests.support.providers import VT_KEY

ABUSECH_KEY = "abusech-test-key-0123456789"
# The keys each fake accepts, per key slot (abuse.ch's three services share one).
KEYS = {"virustotal": VT_KEY, "urlhaus": ABUSECH_KEY, "abuseipdb": "a1b2c3d4" * 10,
        "otx": "0f" * 32, "misp": "Mk3y" * 10, "greynoise": "gnkey-0123456789abcdef",
        "nvd": "01234567-89ab-cdef-0123-456789abcdef"}


def sx(dirs: Dirs, *args: str, stdin: str = "", timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(SENTINELX), *args], input=stdin, capture_output=True, text=True,
                          env=dirs.env(), timeout=timeout)


@dataclass
class World:
    fakes: dict[str, Any] = field(default_factory=dict)
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    def __enter__(self) -> World:
        self.fakes = {
            "virustotal": self._stack.enter_context(FakeVT(api_key=VT_KEY)),
            "urlhaus": self._stack.enter_context(FakeURLhaus(api_key=ABUSECH_KEY)),
            "threatfox": self._stack.enter_context(FakeThreatFox(api_key=ABUSECH_KEY)),
            "malwarebazaar": self._stack.enter_context(FakeMalwareBazaar(api_key=ABUSECH_KEY)),
            "abuseipdb": self._stack.enter_context(FakeAbuseIPDB(api_key=KEYS["abuseipdb"])),
            "greynoise": self._stack.enter_context(FakeGreyNoise(api_key=KEYS["greynoise"])),
            "internetdb": self._stack.enter_context(FakeInternetDB()),
            "otx": self._stack.enter_context(FakeOTX(api_key=KEYS["otx"])),
            "nvd": self._stack.enter_context(FakeNVD(api_key=KEYS["nvd"])),
            "epss": self._stack.enter_context(FakeEPSS()),
            "kev": self._stack.enter_context(FakeKEV()),
            "misp": self._stack.enter_context(FakeMISP(api_key=KEYS["misp"])),
        }
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stack.close()

    def configure(self, dirs: Dirs, keys: tuple[str, ...] = ("virustotal", "urlhaus",
                                                             "abuseipdb", "otx", "misp")) -> None:
        """Every base URL at its fake, MISP on, the given keys stored and checked: all
        through the CLI. GreyNoise, InternetDB, NVD, EPSS and KEV stay keyless."""
        for name, fake in self.fakes.items():
            out = sx(dirs, "config", "set", f"providers.{name}.base_url", fake.base_url)
            assert out.returncode == 0, out.stderr
        out = sx(dirs, "config", "set", "providers.misp.enabled", "true")
        assert out.returncode == 0, out.stderr
        for name in keys:
            out = sx(dirs, "config", "set-key", "--provider", name, stdin=KEYS[name] + "\n")
            assert out.returncode == 0 and "key check: ok" in out.stdout, (name, out)
