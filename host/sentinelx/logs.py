"""Logging to stderr and a rotating file; stdout belongs to native-messaging frames only."""

from __future__ import annotations

import logging
import sys
import threading

from sentinelx import paths

_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Make every later log line show `value` as ****, whatever its length (a short key
    must not be the one that leaks)."""
    if value:
        with _lock:
            _secrets.add(value)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if _secrets:
            msg = record.getMessage()
            for secret in _secrets:
                msg = msg.replace(secret, "****")
            record.msg, record.args = msg, None
        return True


class RotatingFile(logging.Handler):
    """A RotatingFileHandler opened at the first record: logging.handlers imports socket
    and pickle (~8 ms), which a command that logs nothing (an enrich answered from the
    cache) need not pay. An unwritable log dir disables it, once, with a note on stderr."""

    def __init__(self) -> None:
        super().__init__()
        self._file: logging.Handler | None = None
        self._failed = False

    def emit(self, record: logging.LogRecord) -> None:
        if self._file is None and not self._failed:
            import logging.handlers

            try:
                path = paths.ensure(paths.log_dir()) / "sentinelx.log"
                self._file = logging.handlers.RotatingFileHandler(
                    path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
            except OSError as e:  # an unwritable log dir must not stop the host
                self._failed = True
                print(f"sentinelx: file logging disabled: {e}", file=sys.stderr)
                return
            self._file.setFormatter(self.formatter)
        if self._file is not None:
            self._file.emit(record)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        super().close()


def setup(verbose: bool = False, to_file: bool = True) -> logging.Logger:
    log = logging.getLogger("sentinelx")
    if getattr(log, "_sentinelx_configured", False):
        return log
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    log.propagate = False
    fmt = logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if to_file:
        handlers.append(RotatingFile())
    for h in handlers:
        h.setFormatter(fmt)
        h.addFilter(RedactSecrets())
        log.addHandler(h)
    log._sentinelx_configured = True  # type: ignore[attr-defined]
    return log
