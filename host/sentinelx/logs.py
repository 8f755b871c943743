"""Logging to stderr and a rotating file; stdout belongs to native-messaging frames only."""

from __future__ import annotations

import logging
import logging.handlers
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


def setup(verbose: bool = False, to_file: bool = True) -> logging.Logger:
    log = logging.getLogger("sentinelx")
    if getattr(log, "_sentinelx_configured", False):
        return log
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    log.propagate = False
    fmt = logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if to_file:
        try:
            path = paths.ensure(paths.log_dir()) / "sentinelx.log"
            handlers.append(
                logging.handlers.RotatingFileHandler(
                    path, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
                )
            )
        except OSError as e:  # an unwritable log dir must not stop the host
            print(f"sentinelx: file logging disabled: {e}", file=sys.stderr)
    for h in handlers:
        h.setFormatter(fmt)
        h.addFilter(RedactSecrets())
        log.addHandler(h)
    log._sentinelx_configured = True  # type: ignore[attr-defined]
    return log
