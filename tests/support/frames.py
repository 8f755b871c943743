"""Talk to a real `sentinelx host` process over pipes, the way a browser does."""

from __future__ import annotations

import json
import os
import select
import struct
import subprocess
import sys
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
    """A live host with frame-level send/receive and timeouts, so a hung host fails the test."""

    def __init__(self, tmp: Path, argv: list[str] | None = None, **env: str) -> None:
        self.proc = subprocess.Popen(
            host_cmd(*(argv or CHROME_ARGV)), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=host_env(tmp, **env),
        )
        self._buf = b""

    def send(self, message: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(encode(message))
        self.proc.stdin.flush()

    def send_raw(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def _fill(self, need: int, deadline: float) -> None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while len(self._buf) < need:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"host sent nothing for too long (buffered {self._buf[:80]!r})")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise EOFError("host closed stdout")
                self._buf += chunk

    def recv(self, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        self._fill(4, deadline)
        (n,) = struct.unpack("=I", self._buf[:4])
        self._fill(4 + n, deadline)
        body, self._buf = self._buf[4 : 4 + n], self._buf[4 + n :]
        return json.loads(body.decode("utf-8"))

    def recv_until(self, pred, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Collect messages until pred(message) is true for one; returns all of them."""
        got = []
        deadline = time.monotonic() + timeout
        while True:
            msg = self.recv(max(0.01, deadline - time.monotonic()))
            got.append(msg)
            if pred(msg):
                return got

    def close(self, timeout: float = 10.0) -> tuple[int, bytes, bytes]:
        """Close stdin (the browser going away) and collect exit code and leftovers."""
        rest, err = self.proc.communicate(timeout=timeout)  # closes stdin first
        return self.proc.returncode, self._buf + rest, err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()
