"""What loads on first use only, and still works when used."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

from sentinelx.lazylog import LazyLogger


def loaded_after(code: str, *modules: str) -> list[bool]:
    probe = f"import sys; {code}; print(*[m in sys.modules for m in {list(modules)!r}])"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return [w == "True" for w in out.stdout.split()]


def test_export_names_load_their_modules_on_use() -> None:
    assert loaded_after("from sentinelx.export import FORMATS",
                        "sentinelx.export.base", "dataclasses") == [False, False]
    assert loaded_after("from sentinelx.export import Options; Options()",
                        "sentinelx.export.base") == [True]
    from sentinelx import export

    assert export.Options().title  # the real class
    with pytest.raises(AttributeError):
        export.NoSuchName  # noqa: B018


def test_the_host_modules_log_without_importing_logging_first() -> None:
    assert loaded_after("import sentinelx.native.host, sentinelx.native.lanes", "logging") == [False]


def test_a_lazy_logger_is_the_named_logger(caplog: pytest.LogCaptureFixture) -> None:
    log = LazyLogger("sentinelx.lazytest")
    with caplog.at_level(logging.INFO, logger="sentinelx.lazytest"):
        log.info("hello %s", "there")
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("failed %d", 3)
    (info, exc) = caplog.records
    assert (info.name, info.getMessage(), info.funcName) == (
        "sentinelx.lazytest", "hello there", "test_a_lazy_logger_is_the_named_logger")
    assert exc.levelname == "ERROR" and exc.exc_info is not None and exc.getMessage() == "failed 3"
