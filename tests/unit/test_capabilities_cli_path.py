"""capabilities.cli_path: the `sentinelx` command the extension prints must be one that runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from sentinelx.enrichment.capabilities import cli_path


def _venv(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").write_text("")
    (bin_dir / "sentinelx").write_text("#!/bin/sh\n")
    return bin_dir


@pytest.mark.skipif(not hasattr(Path, "symlink_to"), reason="symlinks")
def test_the_home_link_when_it_leads_to_this_venv(tmp_path: Path) -> None:
    bin_dir = _venv(tmp_path)
    home = tmp_path / "home"
    (home / ".local" / "bin").mkdir(parents=True)
    (home / ".local" / "bin" / "sentinelx").symlink_to(bin_dir / "sentinelx")
    assert cli_path(str(bin_dir / "python"), home) == str(home / ".local" / "bin" / "sentinelx")


def test_the_venv_command_when_the_link_is_missing_dangling_or_elsewhere(tmp_path: Path) -> None:
    bin_dir = _venv(tmp_path)
    home = tmp_path / "home"
    own = str((bin_dir / "sentinelx").absolute())
    assert cli_path(str(bin_dir / "python"), home) == own
    (home / ".local" / "bin").mkdir(parents=True)
    link = home / ".local" / "bin" / "sentinelx"
    link.symlink_to(tmp_path / "gone")
    assert cli_path(str(bin_dir / "python"), home) == own
    link.unlink()
    other = tmp_path / "other-sentinelx"
    other.write_text("")
    link.symlink_to(other)
    assert cli_path(str(bin_dir / "python"), home) == own


def test_none_without_a_command_next_to_python(tmp_path: Path) -> None:
    (tmp_path / "python").write_text("")
    assert cli_path(str(tmp_path / "python"), tmp_path) is None
