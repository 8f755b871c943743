"""`sentinelx enrich --format`: one run's result frames grouped into records and exported."""

from __future__ import annotations

import argparse
import csv
import io

import pytest

from sentinelx.export.cli_support import (
    add_output_arguments,
    export_run,
    parse_verdicts,
    records_from_frames,
)
from tests.support.enrich_env import sx_dirs  # noqa: F401  (fixture)
from tests.support.history_records import provider_error, provider_result


def frame(value: str, provider_frame: dict, verdict: str) -> dict:
    return {"id": "7", "type": "result",
            "ioc": {"type": "domain", "value": value, "raw": value, "offset": 0, "private": False},
            **provider_frame,
            "combined": {"verdict": verdict, "score": 0.7, "severity": "high", "reason": verdict,
                         "providers": {"virustotal": verdict}, "pending": 0, "label": None}}


FRAMES = [
    frame("a.example", provider_result("virustotal", "malicious"), "malicious"),
    frame("b.example", provider_result("virustotal", "clean"), "clean"),
    frame("a.example", provider_error("urlhaus"), "malicious"),
]


def test_frames_group_into_one_record_per_ioc_in_order():
    recs = records_from_frames([*FRAMES, {"type": "result"}])
    assert [r["ioc"]["value"] for r in recs] == ["a.example", "b.example"]
    assert [e["provider"] for e in recs[0]["results"]] == ["virustotal", "urlhaus"]
    assert recs[0]["combined"]["verdict"] == "malicious"


def test_wave1_frames_are_read_too():
    old = {"ioc": {"type": "domain", "value": "c.example"}, "status": "ok",
           "enrichment": {"provider": "virustotal", "verdict": "suspicious", "score": 0.3}}
    (rec,) = records_from_frames([old])
    assert rec["results"][0]["result"]["verdict"] == "suspicious"
    assert rec["combined"] == {"verdict": "suspicious", "score": 0.3}


def parse(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    add_output_arguments(p, required=False)
    return p.parse_args(argv)


def test_export_run_writes_the_run(sx_dirs, tmp_path, capsys):  # noqa: F811
    out = tmp_path / "run.csv"
    assert export_run(parse("--format", "csv", "--verdict", "malicious", "-o", str(out)),
                      FRAMES, {"total": 2}) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(), newline="")))
    assert [r["indicator"] for r in rows] == ["a.example"]
    assert rows[0]["urlhaus_verdict"] == "error:rate_limited"
    assert "exported 1 indicators" in capsys.readouterr().err


def test_verdict_option_is_checked():
    assert parse_verdicts("malicious, suspicious") == {"malicious", "suspicious"}
    assert parse_verdicts(None) is None
    for bad in ("evil", ",", "malicious,evil"):
        with pytest.raises(ValueError):
            parse_verdicts(bad)
