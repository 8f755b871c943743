"""`sentinelx extract` as a user runs it: the console script, files, stdin, caps."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.frames import host_env

EXAMPLE = "see hxxp://evil[.]com/a and 1.2.3[.]4, CVE-2021-44228, setup.py"
SCRIPT = Path(sys.executable).parent / "sentinelx"


def sx(tmp: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(SCRIPT), *args], input=stdin, capture_output=True, timeout=60,
                          env=host_env(tmp))


def values(stdout: bytes) -> set[tuple[str, str]]:
    doc = json.loads(stdout)
    assert set(doc) == {"iocs"}
    for ioc in doc["iocs"]:
        assert set(ioc) == {"type", "value", "raw", "offset", "private"}
    return {(i["type"], i["value"]) for i in doc["iocs"]}


def test_extract_from_stdin_and_dash(tmp_path: Path) -> None:
    for args in ((), ("-",)):
        proc = sx(tmp_path, "extract", *args, stdin=EXAMPLE.encode())
        assert proc.returncode == 0, proc.stderr.decode()
        got = values(proc.stdout)
        assert {("url", "http://evil.com/a"), ("ipv4", "1.2.3.4"), ("cve", "CVE-2021-44228")} <= got
        assert ("domain", "setup.py") not in got


def test_extract_from_file_reports_raw_and_offset(tmp_path: Path) -> None:
    f = tmp_path / "report.txt"
    f.write_text(EXAMPLE, encoding="utf-8")
    proc = sx(tmp_path, "extract", str(f))
    assert proc.returncode == 0
    iocs = json.loads(proc.stdout)["iocs"]
    for ioc in iocs:
        assert EXAMPLE[ioc["offset"]: ioc["offset"] + len(ioc["raw"])] == ioc["raw"]


def test_unreadable_file_is_a_one_line_error(tmp_path: Path) -> None:
    proc = sx(tmp_path, "extract", str(tmp_path / "missing.txt"))
    assert proc.returncode != 0 and proc.stdout == b""
    assert proc.stderr.decode().count("\n") == 1 and "cannot read" in proc.stderr.decode()


def test_input_over_the_cap_is_refused(tmp_path: Path) -> None:
    proc = sx(tmp_path, "extract", "--max-bytes", "10", stdin=EXAMPLE.encode())
    assert proc.returncode != 0 and proc.stdout == b""
    err = proc.stderr.decode()
    assert err.count("\n") == 1 and "larger than 10 bytes" in err


def test_version_and_help(tmp_path: Path) -> None:
    assert sx(tmp_path, "--version").stdout.decode().startswith("sentinelx ")
    assert b"extract" in sx(tmp_path, "--help").stdout
