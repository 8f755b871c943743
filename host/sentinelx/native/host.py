"""`sentinelx host`: what the browser launches.

stdout is reserved for frames: fd 1 is duplicated for the frame writer and then
pointed at stderr, so a stray print (ours or a library's, even from C) can never
corrupt the stream.
"""

from __future__ import annotations

import logging
import os
import signal
import sys

from sentinelx import config, logs
from sentinelx.native import origin
from sentinelx.native.handlers import build_dispatcher
from sentinelx.native.server import HostState, ReplyWriter, error_message, serve

log = logging.getLogger("sentinelx.host")


def _claim_stdout():
    sys.stdout.flush()
    frames_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(frames_fd, "wb", buffering=0)


def run(argv: list[str]) -> int:
    frames_out = _claim_stdout()
    stdin = sys.stdin.buffer
    logs.setup()
    key, _ = config.load_key()
    logs.register_secret(key)
    # Firefox sends SIGTERM a few seconds after the port closes: leave quietly.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))

    writer = ReplyWriter(frames_out)
    caller = origin.parse_caller(argv)
    try:
        extra = str(config.load().get("host.allowed_extensions") or "")
    except config.ConfigError as e:
        log.warning("%s; serving only the shipped extension", e)
        extra = ""
    if not origin.is_allowed(caller, origin.allowed_ids(extra)):
        log.warning("refused caller %s (%s)", caller.extension_id, caller.browser)
        who = caller.extension_id or "an unknown caller"
        writer.send(error_message(
            None, "origin_forbidden", f"this host serves only the SentinelX extension, not {who}"
        ))
        return 1
    log.info("serving %s extension %s", caller.browser, caller.extension_id)
    return serve(stdin, build_dispatcher(HostState(writer)))
