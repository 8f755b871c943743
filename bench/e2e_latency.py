"""Selection-to-badges latency in real headless Chromium, warm, plus the host's cold start.

    .venv/bin/python bench/e2e_latency.py [--runs 50] [--kb 10]

Warm: one persistent native port (the host process stays up). Each run hands a fresh 10 KB
report-like selection to the same function the context menu calls the text with
(sentinelx.enrichText), with no enrichment: the host extracts, the popup renders the badges.
The clock starts in the service worker just before the call and stops in the open popup when
the run's marker indicator is in the DOM (a MutationObserver), both on performance.timeOrigin.
Cold: the port is closed, then a ping opens a new one, which starts a new host process.
Targets (issue 7): p50 <= 50 ms warm, cold start <= 300 ms; printed side by side as ratios.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sentinelx.extension_ids import CHROME_EXTENSION_ID  # noqa: E402

EXT_URL = f"chrome-extension://{CHROME_EXTENSION_ID}"
EXTENSION = ROOT / "extension"
TARGET_WARM_P50_MS = 50.0
TARGET_COLD_MS = 300.0

WORDS = (
    "the", "actor", "used", "a", "loader", "that", "beacons", "over", "https", "and", "stages",
    "a", "second", "payload", "from", "cloud", "storage", "while", "operators", "move",
    "laterally", "with", "stolen", "credentials", "and", "remote", "management", "tools",
)


def selection(run: int, kb: int, rng: random.Random) -> tuple[str, str]:
    """~kb KB of prose with a few defanged IOCs; returns (text, the run's unique marker IP)."""
    marker = f"203.0.{run // 250}.{run % 250 + 1}"
    parts = [f"Marker host {marker.replace('.', '[.]')} seen first."]
    size = len(parts[0])
    i = 0
    while size < kb * 1024:
        i += 1
        words = " ".join(rng.choice(WORDS) for _ in range(25))
        if i % 7 == 0:
            words += f" C2 at hxxps://c2-{run}-{i}[.]example-bad[.]net/p/{i} and 45.{i % 250}.{run % 250}.9."
        parts.append(words + ".")
        size += len(parts[-1]) + 1
    return "\n".join(parts), marker


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--kb", type=int, default=10)
    ap.add_argument("--cold-runs", type=int, default=10)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if not chromium:
        print("chromium is not installed (./tests/run.sh installs it)", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="sx-bench-"))
    env = {k: v for k, v in os.environ.items() if k != "VT_API_KEY"}
    for name in ("CONFIG", "CACHE", "LOG", "DATA"):
        env[f"SENTINELX_{name}_DIR"] = str(tmp / name.lower())
    profile = tmp / "profile"
    subprocess.run([sys.executable, "-m", "sentinelx", "install", "--browser", "chromium",
                    "--manifest-dir", str(profile / "NativeMessagingHosts"),
                    "--launcher-python", sys.executable, "--no-shim"],
                   env=env, check=True, capture_output=True)
    rng = random.Random(7)
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(profile), executable_path=chromium, headless=True, env=env,
            ignore_default_args=["--disable-extensions"],
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
                  "--disable-background-networking", "--disable-component-update",
                  f"--disable-extensions-except={EXTENSION}", f"--load-extension={EXTENSION}"],
        )
        try:
            sw = next((w for w in ctx.service_workers if w.url.startswith(EXT_URL)), None)
            sw = sw or ctx.wait_for_event("serviceworker", timeout=15_000)
            # Never ask: measure extraction and rendering, not a human clicking "send".
            sw.evaluate("""() => chrome.storage.local.set({"sx.prefs": {previewMode: "never"}})""")
            popup = ctx.new_page()
            popup.goto(f"{EXT_URL}/popup.html")
            sw.evaluate("() => globalThis.sentinelx.host.call('ping')")  # warm the port

            warm, extract_rt = [], []
            for run in range(args.runs + 3):  # 3 warm-up runs are not counted
                text, marker = selection(run, args.kb, rng)
                popup.evaluate("""(marker) => { window.__seen = new Promise((resolve) => {
                    const sel = `li.ioc[data-ioc-value="${marker}"] .badge`;
                    const done = () => resolve(performance.timeOrigin + performance.now());
                    if (document.querySelector(sel)) return done();
                    new MutationObserver((_, obs) => {
                        if (document.querySelector(sel)) { obs.disconnect(); done(); }
                    }).observe(document, {subtree: true, childList: true});
                }); }""", marker)
                t0, rt = sw.evaluate("""async (text) => {
                    const t0 = performance.timeOrigin + performance.now();
                    await globalThis.sentinelx.enrichText(text, {kind: "selection", title: "bench"},
                                                          {open: false});
                    const a = performance.now();
                    await globalThis.sentinelx.host.call("extract", {text});
                    return [t0, performance.now() - a];
                }""", text)
                t1 = popup.evaluate("window.__seen")
                if run >= 3:
                    warm.append(t1 - t0)
                    extract_rt.append(rt)

            cold = []
            for _ in range(args.cold_runs):
                cold.append(sw.evaluate("""async () => {
                    globalThis.sentinelx.host.disconnect();
                    await new Promise((r) => setTimeout(r, 300));  // let the old host exit
                    const t = performance.now();
                    await globalThis.sentinelx.host.call("ping");
                    return performance.now() - t;
                }"""))
        finally:
            ctx.close()
    shutil.rmtree(tmp, ignore_errors=True)

    p50, p95 = pct(warm, 50), pct(warm, 95)
    cold_med = statistics.median(cold)
    print(f"e2e latency, real Chromium, {args.kb} KB selection, {args.runs} warm runs, no enrichment")
    print(f"{'measure':<36}{'value':>10}{'target':>10}{'ratio':>8}")
    print(f"{'warm p50 selection -> badges (ms)':<36}{p50:>10.1f}{TARGET_WARM_P50_MS:>10.0f}"
          f"{p50 / TARGET_WARM_P50_MS:>8.2f}")
    print(f"{'warm p95 selection -> badges (ms)':<36}{p95:>10.1f}{'':>10}{'':>8}")
    print(f"{'warm p50 extract round trip (ms)':<36}{pct(extract_rt, 50):>10.1f}{'':>10}{'':>8}")
    print(f"{'cold start: new port -> pong, median':<36}{cold_med:>10.1f}{TARGET_COLD_MS:>10.0f}"
          f"{cold_med / TARGET_COLD_MS:>8.2f}")
    print(f"{'cold start max (ms)':<36}{max(cold):>10.1f}{'':>10}{'':>8}")
    print("ratio = measured / target; <= 1.00 meets the target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
