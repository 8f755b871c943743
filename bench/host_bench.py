"""The host path, each figure beside its reference from the same run (ratios hold; times do not).

    .venv/bin/python bench/host_bench.py [--runs 15] [--skip-cli]

1. validation: checking an `extracted` reply of a 1 MB / 12,000-IOC page vs building it
   (extract + serialise); target <= 10 %. jsonschema on the same reply for comparison.
2. cold start: the installed launcher (`-u -I -m sentinelx host`) to `pong` vs a bare
   `python -I -c pass`; target <= 5x.
3. ping while something big is in flight (16 MiB text frame, 16 MiB frame of values,
   a 16,000-IOC enrich frame, the 12,000-IOC extract): time to pong; target <= 50 ms.
4. peak RSS of a host after a 16 MiB frame and after the 1 MB / 12,000-IOC extract, vs idle.
5. CLI: `sentinelx enrich` on one cached IOC vs `sentinelx extract` on empty input; <= 3x.
6. (--only chromium) where Chromium's cold path goes: a new port's ping -> pong measured in the
   extension's service worker, beside the same launcher started directly, interleaved; the
   difference is Chromium's (process launch, pipes, messaging) and the extension's.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sentinelx.extension_ids import CHROME_EXTENSION_ID, chrome_origin  # noqa: E402

MIB = 1024 * 1024
ROWS: list[tuple[str, float, float, str]] = []  # (measure, value, reference or target, unit)


def row(measure: str, value: float, ref: float, unit: str) -> None:
    ROWS.append((measure, value, ref, unit))


def page(n_iocs: int = 12_000, size: int = MIB, seed: int = 3) -> str:
    """~`size` bytes of report-like text with `n_iocs` distinct IOCs, some defanged."""
    rng = random.Random(seed)
    words = ["the", "actor", "used", "a", "loader", "that", "beacons", "over", "https", "to",
             "stage", "payloads", "from"]
    per = max(1, size // n_iocs - 30)
    out: list[str] = []
    for i in range(n_iocs):
        kind = i % 5
        ioc = (f"198.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}" if kind == 0 else
               f"c2-{i}.evil-{i % 97}[.]net" if kind == 1 else
               f"hxxps://dl-{i}.example[.]org/p/{i}.bin" if kind == 2 else
               f"{rng.getrandbits(128):032x}" if kind == 3 else f"mail{i}@corp-{i % 31}.com")
        prose = " ".join(rng.choice(words) for _ in range(per // 5))
        out.append(f"{prose} {ioc}.")
    return "\n".join(out)


def median_time(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


# --- 1. validation -----------------------------------------------------------------------------


def bench_validation(runs: int) -> None:
    from sentinelx.pipeline.extract import extract_iocs
    from sentinelx.protocol import messages, validate

    text = page()
    built: list[dict[str, Any]] = []

    def build() -> None:
        iocs = [i.to_wire() for i in extract_iocs(text)]
        built[:] = list(messages.parts({"id": "b", "type": "extracted"}, "iocs", iocs))
        for m in built:
            messages.dumps(m)

    ratios, checks = [], []
    for _ in range(max(3, runs // 3)):  # interleaved: each ratio compares runs under one load
        build_s = median_time(build, 1)
        check_s = median_time(lambda: [validate.check("reply", m) for m in built], 1)
        ratios.append(check_s / build_s)
        checks.append(check_s)
    n = sum(len(m["iocs"]) for m in built)
    ref = validate.jsonschema_validator("reply", "extracted")
    js_s = median_time(lambda: [ref.is_valid(m) for m in built], 3)
    print(f"validation: {n:,} IOCs in {len(built)} extracted parts")
    row("check / build of the reply", statistics.median(ratios) * 100, 10.0, "%")
    row("check per IOC", statistics.median(checks) / n * 1e6, js_s / n * 1e6, "us (ref: jsonschema)")
    iocs = [{"type": "domain", "value": f"d{i}.example"} for i in range(500)]
    req = {"id": "e", "type": "enrich", "iocs": iocs}
    row("check of a 500-IOC enrich request", median_time(lambda: validate.check("request", req), runs)
        * 1e3, median_time(lambda: validate.jsonschema_validator("request", "enrich").is_valid(req), 3)
        * 1e3, "ms (ref: jsonschema)")


# --- a host over pipes -------------------------------------------------------------------------


class Host:
    def __init__(self, cmd: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=env)
        self.cond = threading.Condition()
        self.seen: dict[str, float] = {}  # "id:type" -> when the first such frame came
        self.last: dict[str, float] = {}  # ... and the last one (a reply in parts)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while (head := out.read(4)) and len(head) == 4:
            body = out.read(struct.unpack("=I", head)[0])
            msg = json.loads(body)
            with self.cond:
                key, now = f"{msg.get('id')}:{msg.get('type')}", time.perf_counter()
                self.seen.setdefault(key, now)
                self.last[key] = now
                if msg.get("part", 1) == msg.get("parts", 1):
                    self.seen.setdefault(key + ":whole", now)
                self.cond.notify_all()

    def send(self, body: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(struct.pack("=I", len(body)) + body)
        self.proc.stdin.flush()

    def wait(self, key: str, timeout: float = 120) -> float:
        with self.cond:
            self.cond.wait_for(lambda: key in self.seen, timeout)
            return self.seen[key]

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return 0

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(30)


def env_for(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "VT_API_KEY"}
    for name in ("CONFIG", "CACHE", "LOG", "DATA"):
        env[f"SENTINELX_{name}_DIR"] = str(tmp / name.lower())
    return env


# --- 2. cold start -----------------------------------------------------------------------------


def bench_cold_start(tmp: Path, runs: int) -> None:
    env = env_for(tmp)
    nmh = tmp / "nmh"
    subprocess.run([sys.executable, "-m", "sentinelx", "install", "--browser", "chromium",
                    "--manifest-dir", str(nmh), "--launcher-python", sys.executable, "--no-shim"],
                   env=env, check=True, capture_output=True)
    launcher = nmh / "sentinelx-host"
    ping = b'{"id":"1","type":"ping"}'

    def cold() -> float:
        """Process start to pong (not to exit: the warm-up after pong is not waited for)."""
        t = time.perf_counter()
        h = Host([str(launcher), chrome_origin(CHROME_EXTENSION_ID)], env)
        h.send(ping)
        took = h.wait("1:pong", 30) - t
        h.close()
        return took

    def bare() -> None:
        subprocess.run([sys.executable, "-I", "-c", "pass"], check=True)

    snapshot = Path(env["SENTINELX_CACHE_DIR"]) / "capabilities.json"
    # The install stored the capabilities snapshot: the browser's first start reads it.
    after_install = cold() if snapshot.exists() else None

    def first() -> float:
        """A start without the snapshot (a code change not made by the installer, a key in
        the environment that changed)."""
        snapshot.unlink(missing_ok=True)
        return cold()

    cold_s, first_s, bare_s = [], [], []
    for _ in range(runs):  # interleaved, so all see the same load
        cold_s.append(cold())
        bare_s.append(median_time(bare, 1))
        first_s.append(first())
    c, f, b = (statistics.median(x) for x in (cold_s, first_s, bare_s))
    print(f"cold start: launcher -> pong p50 {c * 1e3:.1f} ms, without the capabilities "
          f"snapshot {f * 1e3:.1f} ms, bare python p50 {b * 1e3:.1f} ms; the first start after "
          "install " + ("found no snapshot" if after_install is None
                        else f"{after_install * 1e3:.1f} ms (one run, caches cold)"))
    row("cold start / bare python -I -c pass", c / b, 5.0, "x")
    if after_install is not None:
        row("first start after install (one run) / bare python", after_install / b, 5.0, "x")
    row("cold start without the snapshot / bare python", f / b, 5.0, "x")


# --- 3 + 4. in flight and memory ---------------------------------------------------------------


def bench_in_flight(tmp: Path) -> None:
    env = env_for(tmp)
    cmd = [sys.executable, "-u", "-I", "-m", "sentinelx", "host", chrome_origin(CHROME_EXTENSION_ID)]
    text = page()
    cases: list[tuple[str, bytes]] = [
        ("16 MiB text frame (extract)", json.dumps({"id": "big", "type": "extract",
                                                     "text": "lorem ipsum, dolor: " * (16 * MIB // 21)}
                                                    ).encode()),
        ("16 MiB frame of 8M values", b"[" + b"1," * (8 * MIB - 2) + b"1]"),
        ("16,000-IOC enrich frame (0.7 MB, 80,000 values)", json.dumps({
            "id": "big", "type": "enrich", "iocs": [
                {"type": "domain", "value": f"host-{i}.example"} for i in range(16_000)]}).encode()),
        ("1 MB / 12,000-IOC extract", json.dumps({"id": "big", "type": "extract", "text": text}).encode()),
    ]
    idle = Host(cmd, env)
    idle.send(b'{"id":"w","type":"ping"}')
    idle.wait("w:pong")
    lat = []
    for i in range(20):
        t = time.perf_counter()
        idle.send(json.dumps({"id": f"i{i}", "type": "ping"}).encode())
        lat.append(idle.wait(f"i{i}:pong") - t)
    idle_ms = statistics.median(lat) * 1e3
    idle_rss = idle.rss_kb()
    idle.close()
    row("ping, idle host", idle_ms, 50.0, "ms")
    for name, body in cases:
        h = Host(cmd, env)
        h.send(b'{"id":"w","type":"ping"}')
        h.wait("w:pong")
        h.send(body)
        worst = 0.0
        for i in range(5):  # pings spread over the big frame's handling
            t = time.perf_counter()
            h.send(json.dumps({"id": f"p{i}", "type": "ping"}).encode())
            worst = max(worst, h.wait(f"p{i}:pong") - t)
            time.sleep(0.05)
        time.sleep(1.0)
        rss = h.rss_kb()
        h.close()
        row(f"ping (worst of 5) behind: {name}", worst * 1e3, 50.0, "ms")
        row(f"peak RSS after: {name}", rss / 1024, idle_rss / 1024, "MiB (ref: idle host)")


# --- 5. CLI ------------------------------------------------------------------------------------


def bench_cli(tmp: Path, runs: int) -> None:
    from tests.support.fakevt import FakeVT

    env = env_for(tmp)
    sx = [sys.executable, "-m", "sentinelx"]
    from sentinelx.enrichment.providers import registry

    with FakeVT(api_key="k" * 64) as vt:
        vt.seed("domain", "evil-c2.net")  # not .example: reserved names go to no provider
        settings = [("vt.base_url", vt.base_url)] + [  # VirusTotal alone: nothing else is faked
            (f"providers.{n}.enabled", "false") for n in registry.names() if n != "virustotal"]
        for name, value in settings:
            subprocess.run([*sx, "config", "set", name, value], env=env, check=True,
                           capture_output=True)
        env["VT_API_KEY"] = "k" * 64
        enrich = [*sx, "enrich", "--ioc", "domain:evil-c2.net"]
        first = subprocess.run(enrich, env=env, capture_output=True, text=True, check=True)
        assert "malicious" in first.stdout, first.stdout
    # The fake is gone: from here on, only the cache can answer.
    e_s, x_s = [], []
    for _ in range(runs):
        t = time.perf_counter()
        out = subprocess.run(enrich, env=env, capture_output=True, text=True)
        e_s.append(time.perf_counter() - t)
        assert "malicious" in out.stdout, out.stdout + out.stderr
        t = time.perf_counter()
        subprocess.run([*sx, "extract"], env=env, input="", capture_output=True, check=True, text=True)
        x_s.append(time.perf_counter() - t)
    e, x = statistics.median(e_s), statistics.median(x_s)
    print(f"cli: enrich (cached) p50 {e * 1e3:.0f} ms, extract (empty) p50 {x * 1e3:.0f} ms")
    row("cli enrich (1 cached IOC) / extract (empty)", e / x, 3.0, "x")


def bench_chromium(tmp: Path, runs: int) -> None:
    import shutil

    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if not chromium:
        print("chromium is not installed: skipped")
        return
    env = env_for(tmp)
    extension = ROOT / "extension"
    profile = tmp / "profile"
    nmh = profile / "NativeMessagingHosts"
    subprocess.run([sys.executable, "-m", "sentinelx", "install", "--browser", "chromium",
                    "--manifest-dir", str(nmh), "--launcher-python", sys.executable, "--no-shim"],
                   env=env, check=True, capture_output=True)
    launcher = nmh / "sentinelx-host"
    ext_url = f"chrome-extension://{CHROME_EXTENSION_ID}"
    browser_env: dict[str, str | float | bool] = dict(env)
    via_chromium, direct, warm = [], [], []
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(profile), executable_path=chromium, headless=True, env=browser_env,
            ignore_default_args=["--disable-extensions"],
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
                  "--disable-background-networking", "--disable-component-update",
                  f"--disable-extensions-except={extension}", f"--load-extension={extension}"])
        try:
            sw = next((w for w in ctx.service_workers if w.url.startswith(ext_url)), None)
            sw = sw or ctx.wait_for_event("serviceworker", timeout=15_000)
            sw.evaluate("() => globalThis.sentinelx.host.call('ping')")
            for _ in range(runs):
                via_chromium.append(sw.evaluate("""async () => {
                    globalThis.sentinelx.host.disconnect();
                    await new Promise((r) => setTimeout(r, 300));
                    const t = performance.now();
                    await globalThis.sentinelx.host.call("ping");
                    return performance.now() - t;
                }"""))
                warm.append(sw.evaluate("""async () => {
                    const t = performance.now();
                    await globalThis.sentinelx.host.call("ping");
                    return performance.now() - t;
                }"""))
                t = time.perf_counter()
                h = Host([str(launcher), chrome_origin(CHROME_EXTENSION_ID)], env)
                h.send(b'{"id":"1","type":"ping"}')
                h.wait("1:pong", 30)
                direct.append((time.perf_counter() - t) * 1e3)
                h.close()
        finally:
            ctx.close()
    c, d, w = statistics.median(via_chromium), statistics.median(direct), statistics.median(warm)
    print(f"chromium cold path: {c:.0f} ms through Chromium, {d:.0f} ms launcher direct, "
          f"{w:.1f} ms warm ping round trip")
    row("cold ping through Chromium", c, d, "ms (ref: same launcher, direct)")
    row("Chromium's share of the cold path", c - d, w, "ms (ref: warm round trip)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--skip-cli", action="store_true")
    ap.add_argument("--only", choices=("validation", "cold", "flight", "cli", "chromium"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="sx-hostbench-") as tmp_s:
        tmp = Path(tmp_s)
        if args.only in (None, "validation"):
            bench_validation(args.runs)
        if args.only in (None, "cold"):
            bench_cold_start(tmp / "cold", args.runs)
        if args.only in (None, "flight"):
            bench_in_flight(tmp / "flight")
        if args.only in (None, "cli") and not args.skip_cli:
            bench_cli(tmp / "cli", args.runs)
        if args.only == "chromium":
            bench_chromium(tmp / "chromium", args.runs)
    print()
    print(f"{'measure':<58}{'value':>10}{'ref/target':>12}  unit")
    for measure, value, ref, unit in ROWS:
        print(f"{measure:<58}{value:>10.2f}{ref:>12.2f}  {unit}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
