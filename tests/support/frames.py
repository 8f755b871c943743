"""Talk to a real `sentinelx host` process over pipes, the way a browser does."""

from __future__ import annotations

import contextlib
import json
import os
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from sentinelx.extension_ids import CHROME_EXTENSION_ID, chrome_origin

CHROME_ARGV = [chrome_origin(CHROME_EXTENSION_ID)]


def encode(message: Any) -> bytes:
    body = json.dumps(message).encode("utf-8") if not isinstance(message, bytes) else message
    return struct.pack("=I", len(body)) + body


def decode_all(data: bytes) -> list[dict[str, Any]]:
    """Parse a whole stdout capture; fails loudly on anything that is not a frame."""
    out = []
    while data:
        assert len(data) >= 4, f"stray bytes on stdout: {data!r}"
        (n,) = struct.unpack("=I", data[:4])
        assert len(data) >= 4 + n, f"truncated frame on stdout: {data[:80]!r}"
        out.append(json.loads(data[4 : 4 + n].decode("utf-8")))
        data = data[4 + n :]
    return out


def host_env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "VT_API_KEY"}
    env.update(
        SENTINELX_CONFIG_DIR=str(tmp / "config"),
        SENTINELX_CACHE_DIR=str(tmp / "cache"),
        SENTINELX_LOG_DIR=str(tmp / "log"),
        **extra,
    )
    return env


def host_cmd(*argv: str) -> list[str]:
    return [sys.executable, "-m", "sentinelx", "host", *(argv or CHROME_ARGV)]


class HostProcess:
    """A real `sentinelx host` over pipes. A reader thread collects every frame with its size
    and arrival time, so a hung host fails the test instead of hanging it, and bytes on stdout
    that are not a whole frame are kept in `garbage` for the test to check."""

    def __init__(self, env: dict[str, str], argv: list[str] | None = None) -> None:
        self.proc = subprocess.Popen(
            host_cmd(*(argv or CHROME_ARGV)), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=env,
        )
        self.frames: list[dict[str, Any]] = []
        self.sizes: list[int] = []
        self.raw: list[bytes] = []
        self.arrived: list[float] = []  # time.monotonic() per frame
        self.garbage = b""
        self.stderr = b""
        self.cond = threading.Condition()
        self._cursor = 0
        self._threads = [threading.Thread(target=self._read, daemon=True),
                         threading.Thread(target=self._drain_stderr, daemon=True)]
        for t in self._threads:
            t.start()

    def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr += line

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            head = out.read(4)
            if len(head) < 4:
                self.garbage += head
                break
            (n,) = struct.unpack("=I", head)
            body = out.read(n)
            if len(body) < n:
                self.garbage += head + body
                break
            with self.cond:
                self.arrived.append(time.monotonic())
                self.sizes.append(n)
                self.raw.append(body)
                self.frames.append(json.loads(body))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def send(self, message: Any) -> None:
        self.send_raw(encode(message))

    def send_raw(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def _await(self, ready, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                got = ready()
                if got is not None:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [f.get("type") for f in self.frames][-20:]
                    errors = [f for f in self.frames if f.get("type") == "error"][:3]
                    raise AssertionError(f"no {what} within {timeout}s; got {seen}; "
                                         f"errors {errors}; stderr {self.stderr[-1500:]!r}")
                self.cond.wait(min(left, 0.2))

    def recv(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next frame not yet returned by recv, in arrival order."""

        def ready() -> dict[str, Any] | None:
            if self._cursor < len(self.frames):
                self._cursor += 1
                return self.frames[self._cursor - 1]
            return None

        return self._await(ready, timeout, "frame")

    def wait_for(self, pred, timeout: float = 20.0) -> dict[str, Any]:
        """The first frame (in arrival order) matching pred."""
        return self._await(lambda: next((f for f in self.frames if pred(f)), None), timeout,
                           "matching frame")

    def of(self, rid: str, msg_type: str | None = None) -> list[dict[str, Any]]:
        with self.cond:
            return [f for f in self.frames if f.get("id") == rid
                    and (msg_type is None or f.get("type") == msg_type)]

    def close(self, timeout: float = 10.0) -> int:
        """Close stdin (the browser going away) and wait for the exit code."""
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.close()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise
        for t in self._threads:
            t.join(timeout)
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
