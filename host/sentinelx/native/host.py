"""`sentinelx host`: what the browser launches.

stdout is reserved for frames: fd 1 is duplicated for the frame writer and then
pointed at stderr, so a stray print (ours or a library's, even from C) can never
corrupt the stream.

Start-up does only what the first ping needs: the reading loop starts at once, and once
the first frame is answered a warm-up thread sets up logging, registers the API key for
redaction, registers the config and enrich handlers, imports the extraction code and
stores the capabilities snapshot the next start's pong reads (enrichment/capsnap.py).
A request that needs those handlers waits for it; ping, cancel and extract do not.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

from sentinelx.lazylog import LazyLogger
from sentinelx.native import origin
from sentinelx.native.handlers import build_dispatcher, register_rest
from sentinelx.native.server import Dispatcher, HostState, ReplyWriter, error_message, serve

TYPE_CHECKING = False  # typing itself costs the first pong ~3 ms: only the checker reads these
if TYPE_CHECKING:
    from typing import BinaryIO

log = LazyLogger("sentinelx.host")


def _claim_stdout() -> BinaryIO:
    sys.stdout.flush()
    frames_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(frames_fd, "wb", buffering=0)


def _extra_allowed_ids() -> str:
    from sentinelx import config

    try:
        return str(config.load().get("host.allowed_extensions") or "")
    except config.ConfigError as e:
        log.warning("%s; serving only the shipped extension", e)
        return ""


def _warm_up(dispatcher: Dispatcher, caller: origin.Caller) -> None:
    try:
        from sentinelx import config, logs

        logs.setup()
        logs.register_secret(config.load_key()[0])
        log.info("serving %s extension %s", caller.browser, caller.extension_id)
        register_rest(dispatcher)
        import sentinelx.pipeline.extract  # noqa: F401  (the next request is likely an extract)
    except Exception:
        log.exception("warm-up failed; requests that need the config will fail")
    finally:
        dispatcher.ready.set()
    try:  # the next connect's pong reads this instead of importing every provider
        from sentinelx.enrichment import capsnap

        capsnap.refresh()
    except OSError as e:  # a read-only or full cache dir: pong builds them each time
        log.warning("cannot store the capabilities snapshot: %s", e)
    except Exception:
        log.exception("could not store the capabilities snapshot; pong builds them each time")


def run(argv: list[str]) -> int:
    frames_out = _claim_stdout()
    stdin = sys.stdin.buffer
    # Firefox sends SIGTERM a few seconds after the port closes: leave quietly.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    # Threads holding the GIL hand it over after 1 ms instead of 5: a ping behind a busy job
    # waits for a few of these hand-overs, and throughput hardly notices.
    sys.setswitchinterval(0.001)

    writer = ReplyWriter(frames_out)
    caller = origin.parse_caller(argv)
    if not origin.is_allowed(caller, origin.allowed_ids()) and not origin.is_allowed(
            caller, origin.allowed_ids(_extra_allowed_ids())):
        from sentinelx import logs

        logs.setup()
        log.warning("refused caller %s (%s)", caller.extension_id, caller.browser)
        who = caller.extension_id or "an unknown caller"
        writer.send(error_message(
            None, "origin_forbidden", f"this host serves only the SentinelX extension, not {who}"
        ))
        return 1
    dispatcher = build_dispatcher(HostState(writer), defer=True)
    warm = threading.Thread(target=_warm_up, args=(dispatcher, caller), name="warm-up", daemon=True)
    dispatcher.warm_up = warm.start
    try:
        return serve(stdin, dispatcher)
    finally:
        if warm.is_alive():
            warm.join(timeout=5)
