"""Commands printed for the user work as printed: `sentinelx` only when PATH finds this one."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from sentinelx.install import doctor
from sentinelx.install.command import sentinelx_command


def venv_with_script(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "venv/bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "sentinelx").write_text("#!/bin/sh\n")
    return bin_dir / "python"


def test_bare_name_only_when_path_resolves_to_this_install(tmp_path: Path) -> None:
    py = venv_with_script(tmp_path)
    script = py.parent / "sentinelx"
    assert sentinelx_command(py, which=lambda _: str(script)) == "sentinelx"
    link = tmp_path / "link"
    link.symlink_to(script)
    assert sentinelx_command(py, which=lambda _: str(link)) == "sentinelx"


@pytest.mark.parametrize("found", [None, "/usr/bin/sentinelx"])
def test_full_path_when_path_finds_nothing_or_another_one(tmp_path: Path, found: str | None) -> None:
    py = venv_with_script(tmp_path)
    assert sentinelx_command(py, which=lambda _: found) == str(py.parent / "sentinelx")


def test_python_dash_m_when_there_is_no_script(tmp_path: Path) -> None:
    py = tmp_path / "bin/python"
    assert sentinelx_command(py, which=lambda _: None) == f"{py} -m sentinelx"


def test_doctor_fixes_name_a_command_that_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no sentinelx on PATH, as in a fresh HOME
    for var in ("VT_API_KEY", "SENTINELX_VIRUSTOTAL_API_KEY", "SENTINELX_ABUSECH_API_KEY",
                "SENTINELX_ABUSEIPDB_API_KEY", "SENTINELX_OTX_API_KEY", "SENTINELX_MISP_API_KEY",
                "SENTINELX_GREYNOISE_API_KEY", "SENTINELX_NVD_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    check = doctor.check_keys(tmp_path / "no-config")
    expected = sentinelx_command(Path(sys.executable), which=lambda _: None)
    assert check.fix.startswith(f"{expected} config set-key")
    assert not check.fix.startswith("sentinelx ")


def test_doctor_says_what_it_checked_and_what_not() -> None:
    checks = [doctor.Check("python", doctor.OK, "3.11"), doctor.Check("chromium ping", doctor.OK, "pong")]
    text = doctor.render_table(checks)
    assert "Checked: python, chromium ping." in text
    assert "Not checked:" in text and "loaded" in text
    assert doctor.coverage(checks)["checked"] == ["python", "chromium ping"]
