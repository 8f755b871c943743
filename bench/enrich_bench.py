"""Enrichment benchmark against the local fake VT (127.0.0.1 only). Prints figures:

1. cost per IOC of a cache hit (in-process queue, and end to end through `sentinelx host`);
2. wall time of N uncached IOCs next to the bound the configured quota sets;
3. time to the first result (cached and uncached) through the real host;
4. the issue's 40 IOCs at 4/min, on an injected clock (no real waiting);
5. 50 IOCs x 4 providers, every fake answering after 100 ms, quotas unlimited: the engine
   (lanes in parallel, concurrent within a lane) next to one-at-a-time lookups measured
   in the same run (#11: <= 3 s against ~20 s).

    .venv/bin/python bench/enrich_bench.py [--n 30 --rpm 20] [--skip-paced]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sentinelx import config
from sentinelx.enrichment import store
from sentinelx.enrichment.cache import Cache
from sentinelx.enrichment.engine import Engine, Lane, Options
from sentinelx.enrichment.history import History
from sentinelx.enrichment.providers.virustotal import VirusTotal
from sentinelx.enrichment.quota import MARGIN, WINDOW, Limits, Quota
from sentinelx.pipeline.models import IOC, IOCType
from tests.support.enrich_env import Dirs, FakeClock
from tests.support.fakevt import FakeVT
from tests.support.frames import HostProcess
from tests.support.providers import VT_KEY, context, renamed

KEY = VT_KEY


def ips(n: int, start: int = 0) -> list[IOC]:
    out = []
    for i in range(start, start + n):
        v = f"45.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
        out.append(IOC(IOCType.IPV4, v, v, 0))
    return out


def new_dirs() -> Dirs:
    root = Path(tempfile.mkdtemp(prefix="sxbench-"))
    d = Dirs(root / "config", root / "cache", root / "log")
    for p in (d.config, d.cache, d.log):
        p.mkdir()
    os.environ.update(SENTINELX_CONFIG_DIR=str(d.config), SENTINELX_CACHE_DIR=str(d.cache),
                      SENTINELX_LOG_DIR=str(d.log))
    return d


def queue(fake: FakeVT, conn, limits: Limits, **opts) -> tuple[Engine, list]:
    got: list = []
    lane = Lane(VirusTotal(context(fake.base_url, KEY)), Quota(conn, "virustotal", limits))
    q = Engine([lane], Cache(conn), History(conn), on_results=got.extend,
               on_progress=lambda m: None, cancel=threading.Event(), options=Options(**opts))
    return q, got


def bench_cache_hits(fake: FakeVT, n: int) -> None:
    conn = store.connect()
    iocs = ips(n)
    for i in iocs:
        fake.seed("ipv4", i.value, "malicious")
    t = time.perf_counter()
    q, _ = queue(fake, conn, Limits(100_000, 10**8))
    q.run(iocs)
    miss = (time.perf_counter() - t) / n
    q, got = queue(fake, conn, Limits(100_000, 10**8))
    t = time.perf_counter()
    summary = q.run(iocs)
    hit = (time.perf_counter() - t) / n
    assert summary["cached"] == n and len(got) == n
    conn.close()
    print(f"[1] cache hit, in-process queue   : {hit * 1e3:7.3f} ms/IOC   "
          f"(uncached, unpaced, fake VT: {miss * 1e3:6.2f} ms/IOC; {n} IOCs)")


def bench_host(dirs: Dirs, fake: FakeVT, n: int) -> None:
    refs = [{"type": "ipv4", "value": i.value} for i in ips(n, 50_000)]
    for r in refs:
        fake.seed("ipv4", r["value"], "clean")
    h = HostProcess(dirs.env(VT_API_KEY=KEY))
    try:
        h.send({"id": "warm", "type": "ping"})
        h.wait_for(lambda f: f.get("type") == "pong")
        rows = []
        for rid, label in (("cold", "uncached"), ("warm2", "cached  ")):
            t = time.monotonic()
            h.send({"id": rid, "type": "enrich", "iocs": refs})
            first = h.wait_for(lambda f, rid=rid: f.get("id") == rid
                               and f["type"] in ("result", "results"))
            last = h.wait_for(lambda f, rid=rid: f.get("id") == rid and f["type"] == "summary",
                              timeout=300)
            with h.cond:  # arrival times taken by the reader thread, not the waiter
                t_first = h.arrived[h.frames.index(first)]
                t_last = h.arrived[h.frames.index(last)]
            rows.append((label, t_first - t, t_last - t))
    finally:
        h.close()
    for label, first, total in rows:
        print(f"[3] host, {n} IOCs {label}     : first result {first * 1e3:7.1f} ms "
              f"(bound < 1000 ms)   all {total:6.2f} s = {total / n * 1e3:6.2f} ms/IOC")


def bench_paced(fake: FakeVT, n: int, rpm: int) -> None:
    # A fresh database: the runs above used (shared, by design) quota slots of their own.
    conn = store.connect(Path(tempfile.mkdtemp()) / "paced.sqlite3")
    iocs = ips(n, 100_000)
    for i in iocs:
        fake.seed("ipv4", i.value, "clean")
    q, _ = queue(fake, conn, Limits(rpm, 10**8), progress_interval=5.0)
    t = time.perf_counter()
    q.run(iocs)
    wall = time.perf_counter() - t
    bound = (math.ceil(n / rpm) - 1) * (WINDOW + MARGIN)
    times = sorted(r.at for r in fake.api_requests()[-n:])
    worst = max(sum(1 for u in times if s <= u < s + 60) for s in times)
    conn.close()
    print(f"[2] {n} uncached at {rpm}/min (real) : {wall:7.1f} s   quota bound "
          f"{bound:6.1f} s   over bound {wall - bound:+.1f} s   max in any 60 s: {worst} "
          f"(limit {rpm})")


def bench_simulated(n: int = 40, rpm: int = 4) -> None:
    conn = store.connect(Path(tempfile.mkdtemp()) / "sim.sqlite3")
    clock = FakeClock()
    quota = Quota(conn, "virustotal", Limits(rpm, 500), clock=clock)
    stamps = []
    while len(stamps) < n:
        slot = quota.try_acquire()
        if slot.granted:
            stamps.append(clock())
        else:
            clock.wait(max(0.0, (slot.next_slot_at or 0) - clock()))
    span = stamps[-1] - stamps[0]
    bound = (math.ceil(n / rpm) - 1) * 60
    print(f"[4] {n} uncached at {rpm}/min (clock): {span / 60:6.2f} min   quota bound "
          f"{bound / 60:5.2f} min (issue: 'about 10 minutes')")
    conn.close()


def bench_lanes(n: int = 50, providers: int = 4, latency: float = 0.1) -> None:
    fakes = [FakeVT(api_key=KEY).start() for _ in range(providers)]
    try:
        for f in fakes:
            f.latency = latency
        conn = store.connect(Path(tempfile.mkdtemp()) / "lanes.sqlite3")
        classes = [VirusTotal, *(renamed(VirusTotal, f"vt{i}") for i in range(1, providers))]
        made = [cls(context(f.base_url, KEY)) for cls, f in zip(classes, fakes, strict=True)]
        iocs = ips(n, 200_000)
        t = time.perf_counter()
        for p in made:  # the reference: one lookup at a time
            for ioc in iocs:
                p.fetch(ioc)
        serial = time.perf_counter() - t
        lanes = [Lane(p, Quota(conn, p.SPEC.name, Limits(0, 0))) for p in made]
        got: list = []
        t = time.perf_counter()
        Engine(lanes, Cache(conn), History(conn), on_results=got.extend,
               on_progress=lambda m: None, cancel=threading.Event()).run(iocs)
        wall = time.perf_counter() - t
        assert len(got) == n * providers
        conn.close()
    finally:
        for f in fakes:
            f.stop()
    print(f"[5] {n} IOCs x {providers} providers, {latency * 1e3:.0f} ms each: engine "
          f"{wall:5.2f} s (bound 3 s)   one at a time {serial:5.2f} s   ratio {serial / wall:4.1f}x")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=30, help="IOCs for the real-time paced run")
    ap.add_argument("--rpm", type=int, default=20, help="requests/min for the paced run")
    ap.add_argument("--hits", type=int, default=1000, help="IOCs for the cache-hit run")
    ap.add_argument("--host-n", type=int, default=500, help="IOCs through the real host")
    ap.add_argument("--skip-paced", action="store_true", help="skip the real-time paced run")
    args = ap.parse_args()
    dirs = new_dirs()
    with FakeVT(api_key=KEY) as fake:
        config.set_value("vt.base_url", fake.base_url)
        config.set_value("vt.requests_per_minute", 100_000)
        config.set_value("vt.requests_per_day", 100_000_000)
        # Only VirusTotal (at its fake) is measured here: the other providers are off, so
        # none of them reaches for the network (they answer skipped/disabled at once).
        from sentinelx.enrichment.providers import registry

        for name in registry.names():
            config.set_value(f"providers.{name}.enabled", name == "virustotal")
        print(f"fake VT at {fake.base_url}; data in {dirs.cache.parent}")
        bench_cache_hits(fake, args.hits)
        bench_host(dirs, fake, args.host_n)
        bench_simulated()
        bench_lanes()
        if not args.skip_paced:
            bench_paced(fake, args.n, args.rpm)
    return 0


if __name__ == "__main__":
    sys.exit(main())
