"""A bounded, seeded slice of bench/fuzz_host.py: real host processes, random and malformed
frames; no crash, no hang, nothing but frames on stdout, no reply over 1 MiB."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FUZZ = Path(__file__).resolve().parents[2] / "bench" / "fuzz_host.py"


def test_seeded_fuzz_slice_finds_nothing() -> None:
    proc = subprocess.run([sys.executable, str(FUZZ), "--frames", "3000", "--per-host", "1000",
                           "--seed", "20261202", "--workers", "2", "--hang-s", "60"],
                          capture_output=True, text=True, timeout=300)
    report = proc.stdout + proc.stderr
    assert proc.returncode == 0, report
    assert "crashes 0, hangs 0, non-frame bytes 0, replies over 1 MiB 0" in report
    assert "internal_error replies 0" in report
    # The slice did exercise the hostile kinds, not only valid requests.
    for kind in ("nested", "surrogate", "garbage", "parts", "schema"):
        assert f" {kind} " in report, report
