"""Export benchmark: every format for 10,000 IOCs, against a reference in the same run.

    .venv/bin/python bench/export_bench.py [--iocs 10000]

Times (median of 5) each format's render of N history records (every IOC type and verdict,
two providers each), and as the reference `json.dumps` of the same records, the least any
export must do (read every record once, write it once). Prints seconds and the ratio to the
reference. Target: every format <= 1 s for 10,000 IOCs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "host"))

from sentinelx import export  # noqa: E402
from tests.support.history_records import many  # noqa: E402

TARGET_S = 1.0


def median_s(fn: Callable[[], object], runs: int = 5) -> float:
    """Median CPU seconds of this process: on a shared, loaded machine wall time mostly
    measures the other processes (wall time is printed too, for an idle machine)."""
    times = []
    for _ in range(runs):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return statistics.median(times)


def wall_s(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--iocs", type=int, default=10_000)
    args = ap.parse_args()
    records = many(args.iocs)
    for fmt in export.FORMATS:  # first use imports the module (and stix2): not timed
        export.render(records[:1], fmt)
    ref = median_s(lambda: json.dumps(records))
    print(f"{args.iocs} IOCs; reference json.dumps of the records: {ref:.3f} s CPU")
    worst = 0.0
    for fmt in export.FORMATS:
        s = median_s(lambda fmt=fmt: export.render(records, fmt))
        wall = wall_s(lambda fmt=fmt: export.render(records, fmt))
        size = len(export.render(records, fmt).content.encode())
        worst = max(worst, s)
        print(f"{fmt:<9} {s:6.3f} s CPU ({wall:6.3f} s wall)  {s / ref:5.1f}x reference  "
              f"{size / 1e6:6.1f} MB")
    print(f"slowest: {worst:.3f} s CPU (target <= {TARGET_S:.1f} s): {'OK' if worst <= TARGET_S else 'OVER'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
