"""Shared by the enrichment tests: isolated SentinelX dirs, a fake clock, and a real
`sentinelx host` subprocess speaking frames over pipes."""

from __future__ import annotations

import contextlib
import json
import os
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SENTINELX = ROOT / ".venv" / "bin" / "sentinelx"
CHROME_ORIGIN = "chrome-extension://kclaegbkmfnnnehbjbmcnomffnallgci/"
HEADER = struct.Struct("=I")
MAX_REPLY = 1024 * 1024


@dataclass
class Dirs:
    config: Path
    cache: Path
    log: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "VT_API_KEY"}
        env.update(SENTINELX_CONFIG_DIR=str(self.config), SENTINELX_CACHE_DIR=str(self.cache),
                   SENTINELX_LOG_DIR=str(self.log), **extra)
        return env


@pytest.fixture
def sx_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Dirs:
    """Point this process (and children given dirs.env()) at empty temp dirs."""
    d = Dirs(tmp_path / "config", tmp_path / "cache", tmp_path / "log")
    for p in (d.config, d.cache, d.log):
        p.mkdir()
    monkeypatch.setenv("SENTINELX_CONFIG_DIR", str(d.config))
    monkeypatch.setenv("SENTINELX_CACHE_DIR", str(d.cache))
    monkeypatch.setenv("SENTINELX_LOG_DIR", str(d.log))
    monkeypatch.delenv("VT_API_KEY", raising=False)
    return d


class FakeClock:
    """Wall clock for quota/cache tests: wait() advances time instead of sleeping."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.cancel = threading.Event()

    def __call__(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.now += seconds
        return self.cancel.is_set()


@dataclass
class Host:
    """A real `sentinelx host` subprocess; a reader thread collects every frame."""

    proc: subprocess.Popen
    frames: list[dict[str, Any]] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)  # time.monotonic() per frame
    cond: threading.Condition = field(default_factory=threading.Condition)

    @classmethod
    def start(cls, dirs: Dirs, **env: str) -> Host:
        proc = subprocess.Popen([str(SENTINELX), "host", CHROME_ORIGIN], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=dirs.env(**env))
        host = cls(proc)
        threading.Thread(target=host._read, daemon=True).start()
        threading.Thread(target=host._drain_stderr, daemon=True).start()
        return host

    def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        self.stderr = b""
        for line in self.proc.stderr:
            self.stderr += line

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            head = out.read(HEADER.size)
            if len(head) < HEADER.size:
                break
            (n,) = HEADER.unpack(head)
            body = out.read(n)
            now = time.monotonic()
            with self.cond:
                self.arrived.append(now)
                self.sizes.append(n)
                self.raw.append(body)
                self.frames.append(json.loads(body))
                self.cond.notify_all()

    def send(self, msg: dict[str, Any]) -> None:
        body = json.dumps(msg).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(HEADER.pack(len(body)) + body)
        self.proc.stdin.flush()

    def wait_for(self, pred, timeout: float = 20.0) -> dict[str, Any]:
        """The first frame (in arrival order) matching pred."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for f in self.frames:
                    if pred(f):
                        return f
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no matching frame in {timeout}s; got "
                                         f"{[f.get('type') for f in self.frames][-20:]}")
                self.cond.wait(min(left, 0.2))

    def of(self, rid: str, msg_type: str | None = None) -> list[dict[str, Any]]:
        with self.cond:
            return [f for f in self.frames if f.get("id") == rid
                    and (msg_type is None or f.get("type") == msg_type)]

    def close(self, timeout: float = 10.0) -> int:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.close()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture
def hosts() -> Iterator[list[Host]]:
    """Collects started hosts and always stops them."""
    started: list[Host] = []
    yield started
    for h in started:
        if h.proc.poll() is None:
            h.proc.kill()
            h.proc.wait()


def python() -> str:
    return sys.executable
