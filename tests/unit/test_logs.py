"""logs.setup: the rotating log file opens at the first record, redacted, and an unwritable
log dir costs file logging only."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sentinelx import logs


@pytest.fixture
def fresh_logger() -> Iterator[logging.Logger]:
    log = logging.getLogger("sentinelx")
    saved = list(log.handlers)
    log.handlers.clear()
    if hasattr(log, "_sentinelx_configured"):
        del log._sentinelx_configured
    yield log
    for h in log.handlers:
        h.close()
    log.handlers[:] = saved


def test_the_file_opens_at_the_first_record_and_is_redacted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_logger: logging.Logger) -> None:
    monkeypatch.setenv("SENTINELX_LOG_DIR", str(tmp_path / "log"))
    logs.setup(to_file=True)
    assert not (tmp_path / "log").exists()  # nothing logged, nothing opened
    logs.register_secret("s3cr3t-value-for-test")
    logging.getLogger("sentinelx.test").info("key is %s", "s3cr3t-value-for-test")
    text = (tmp_path / "log" / "sentinelx.log").read_text("utf-8")
    assert "key is ****" in text and "s3cr3t" not in text
    assert " INFO sentinelx.test: " in text  # the formatter of setup()


def test_an_unwritable_log_dir_disables_the_file_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_logger: logging.Logger,
        capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("SENTINELX_LOG_DIR", str(blocker / "log"))  # under a file: no dir
    logs.setup(to_file=True)
    logging.getLogger("sentinelx.test").warning("one")
    logging.getLogger("sentinelx.test").warning("two")
    err = capsys.readouterr().err
    assert err.count("file logging disabled") == 1
    assert "one" in err and "two" in err  # stderr logging goes on


def test_setting_up_logging_does_not_import_logging_handlers() -> None:
    code = ("import sys; from sentinelx import logs; logs.setup(to_file=True); "
            "print('logging.handlers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
