"""Fuzz real `sentinelx host` processes with random and malformed frames.

    .venv/bin/python bench/fuzz_host.py --frames 1000000 [--seed 1] [--workers 2]

Each worker drives one host process at a time over real pipes, as a browser does
(`python -m sentinelx host chrome-extension://<shipped id>/`): batches of generated frames
(valid requests, schema violations, unknown types, bad lengths, truncated headers and
bodies, non-UTF-8, non-JSON, deep nesting, huge strings, lone surrogates, NaN, value
floods, enrich parts, split writes), then a ping that must be answered. It prints:
crashes (a host that exits without being sent a fatal frame, or with an unexpected code),
hangs (no pong within --hang-s), non-frame bytes on stdout, replies over 1 MiB,
internal errors (replies with code internal_error), and peak RSS of the hosts.
Exit status 1 if any crash, hang, non-frame byte or oversized reply was seen.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sentinelx.extension_ids import CHROME_EXTENSION_ID, chrome_origin  # noqa: E402

MIB = 1024 * 1024
FATAL = "fatal"  # a frame after which the host is expected to exit 1


def frame(body: bytes) -> bytes:
    return struct.pack("=I", len(body)) + body


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=True).encode()


class Gen:
    """Frames, each tagged with what it is (for the report)."""

    IOC_TYPES = ("ipv4", "ipv6", "domain", "url", "md5", "sha1", "sha256", "cve", "email", "bogus")
    TEXT_BITS = ("evil[.]com", "1.2.3[.]4", "hxxp://a.b/c", "CVE-2021-44228", "10.0.0.1",
                 "d41d8cd98f00b204e9800998ecf8427e", "x@y.org", "::1", "é", "🦀", " ", "\n", "{", "\"")

    def __init__(self, rng: random.Random, big: bool) -> None:
        self.rng = rng
        self.big = big
        self.n = 0
        # Text is cut from one random corpus: generating it piece by piece cost more than the
        # host's work on it.
        self.corpus = self._text(4 * MIB if big else MIB)

    def rid(self) -> str:
        self.n += 1
        return f"f{self.n}"

    def text(self, size: int) -> str:
        start = self.rng.randrange(0, max(1, len(self.corpus) - size))
        return self.corpus[start:start + size]

    def _text(self, size: int) -> str:
        r = self.rng
        out: list[str] = []
        n = 0
        while n < size:
            bit = r.choice(self.TEXT_BITS) if r.random() < 0.5 else "".join(
                r.choice("abcdefghij .,:/[]") for _ in range(r.randint(1, 12)))
            out.append(bit)
            n += len(bit)
        return "".join(out)

    def ioc_ref(self) -> dict[str, Any]:
        r = self.rng
        value = r.choice((*self.TEXT_BITS, "", "a" * r.randint(1, 9000)))
        return {"type": r.choice(self.IOC_TYPES), "value": value}

    def valid(self) -> dict[str, Any]:
        r = self.rng
        kind = r.choice(("ping", "extract", "cancel", "config.get", "enrich", "config.set",
                         "config.clear_key"))
        rid = self.rid()
        if kind == "extract":
            out = {"id": rid, "type": kind, "text": self.text(r.choice((0, 10, 10, 300, 300, 5000)))}
            if r.random() < 0.5:  # the page's preview rides on the extract (protocol 3)
                out["preview"] = {"include_private": r.random() < 0.5}
            return out
        if kind == "cancel":
            return {"id": rid, "type": kind, "target": f"f{r.randint(1, self.n)}"}
        if kind == "enrich":
            if r.random() < 0.5:
                return {"id": rid, "type": kind, "text": self.text(r.choice((10, 200)))}
            return {"id": rid, "type": kind, "iocs": [self.ioc_ref() for _ in range(r.randint(0, 5))]}
        if kind == "config.set":
            return {"id": rid, "type": kind, "name": r.choice(("cache.ttl_hours", "vt.requests_per_minute",
                                                               "nope", "vt.base_url")),
                    "value": r.choice((1, "x", None, True, 1e308, -5, "")) }
        return {"id": rid, "type": kind}

    def json_value(self, depth: int = 0) -> Any:
        r = self.rng
        pick = r.random()
        if depth > 3 or pick < 0.5:
            return r.choice((None, True, False, 0, -1, 2**63, 1.5, 1e308, "", "x", "\u0000", "é" * 3))
        if pick < 0.75:
            return [self.json_value(depth + 1) for _ in range(r.randint(0, 4))]
        return {r.choice(("id", "type", "text", "iocs", "k", "")): self.json_value(depth + 1)
                for _ in range(r.randint(0, 4))}

    def mutated(self) -> dict[str, Any]:
        msg = self.valid()
        r = self.rng
        for _ in range(r.randint(1, 3)):
            op = r.random()
            keys = list(msg)
            if op < 0.3 and keys:
                del msg[r.choice(keys)]
            elif op < 0.6:
                msg[r.choice([*keys, "extra", "part", "parts", "iocs", "text"])] = self.json_value()
            elif op < 0.75:
                msg["id"] = r.choice(("", "x" * r.randint(129, 5000), 5, None, ["a"]))
            elif op < 0.8:
                msg["k" * r.choice((200, 5000, 300_000))] = r.choice((1, "v", None))
            else:
                msg["type"] = r.choice(("launch", "", "PING", "ping ", "x" * 300, 7, None))
        return msg

    def nested(self) -> bytes:
        r = self.rng
        depth = r.choice((2, 100, 500, 990, 1000, 1100, 5000, r.randint(1, 3000), r.randint(1, 300_000)))
        opener, closer = r.choice(((b"[", b"]"), (b'{"a":', b"}")))
        inner = opener * depth + b"1" + closer * depth
        where = r.random()
        if where < 0.3:
            return inner
        if where < 0.6:
            return b'{"id":"' + self.rid().encode() + b'","type":"ping","x":' + inner + b"}"
        return (b'{"id":"' + self.rid().encode() + b'","type":"config.set","name":"a","value":'
                + inner + b"}")

    def surrogate(self) -> bytes:
        r = self.rng
        esc = r.choice(("\\ud800", "\\udfff", "\\udc00x", "\\ud83d", "\\ud83d\\ude00\\ud800"))
        rid = self.rid()
        choices = [
            f'{{"id":"{esc}","type":"ping"}}',
            f'{{"id":"{rid}","type":"extract","text":"abc {esc} def"}}',
            f'{{"id":"{rid}","type":"enrich","iocs":[{{"type":"domain","value":"a{esc}.com"}}]}}',
            f'{{"id":"{rid}","type":"ping","{esc}":1}}',
            f'{{"id":"{rid}","type":"{esc}"}}',
            f'{{"id":"{rid}","type":"config.set_key","key":"k{esc}"}}',
            f'{{"id":"{rid}","type":"cancel","target":"{esc}"}}',
            f'["{esc}"]',
            f'"{esc}"',
        ]
        return r.choice(choices).encode()

    def garbage(self) -> bytes:
        r = self.rng
        pick = r.random()
        if pick < 0.25:
            return bytes(r.getrandbits(8) for _ in range(r.randint(1, 200)))
        if pick < 0.45:
            return r.choice((b"\xff\xfe{}", b"\xc3\x28", b'{"id":"1","type":"ping"}\xed\xa0\x80',
                             b"\x00" * 10, b"\xef\xbb\xbf{}"))
        if pick < 0.7:
            good = dumps(self.valid())
            return good[: r.randint(0, len(good) - 1)]
        return r.choice((b"NaN", b'{"id":"1","type":"ping","x":NaN}', b"Infinity", b"-Infinity",
                         b"1e999", b"9" * 5000, b"{}", b"[]", b"null", b"true", b'""', b"{,}",
                         b'{"id":"1","type":"ping"} trailing', b'{"id":"1","id":"2","type":"ping"}'))

    def huge(self) -> bytes:
        r = self.rng
        size = r.choice((64 * 1024, 300 * 1024, MIB, 4 * MIB) if self.big else (64 * 1024, 300 * 1024))
        pick = r.random()
        if pick < 0.3:
            return dumps({"id": self.rid(), "type": "extract", "text": self.text(size)})
        if pick < 0.5:
            return dumps({"id": "x" * size, "type": "ping"})
        if pick < 0.7:
            n = size // 40
            return dumps({"id": self.rid(), "type": "enrich",
                          "iocs": [{"type": "domain", "value": f"d{i}.example"} for i in range(n)]})
        if pick < 0.85:
            return b"[" + b"[]," * (size // 3) + b"[]]"
        return dumps({"id": self.rid(), "type": "extract", "text": "\\" * size + '"'})

    def parts(self) -> list[bytes]:
        r = self.rng
        rid = self.rid()
        n = r.randint(1, 5)
        order = list(range(1, n + 1))
        if r.random() < 0.3:
            r.shuffle(order)
        out = []
        for p in order:
            msg: dict[str, Any] = {"id": rid, "type": "enrich", "part": p, "parts": n,
                                   "iocs": [self.ioc_ref() for _ in range(r.randint(0, 3))]}
            if r.random() < 0.1:
                msg["parts"] = r.randint(0, 7)
            if r.random() < 0.05:
                msg["part"] = r.randint(-1, 9)
            out.append(dumps(msg))
        if r.random() < 0.2:
            del out[r.randrange(len(out))]  # never completes
        return out

    def next(self) -> tuple[str, bytes]:
        """One chunk of bytes to write, tagged; a tag of FATAL ends the host."""
        r = self.rng
        pick = r.random()
        if pick < 0.20:
            return "valid", frame(dumps(self.valid()))
        if pick < 0.42:
            return "schema", frame(dumps(self.mutated()))
        if pick < 0.54:
            return "garbage", frame(self.garbage())
        if pick < 0.64:
            return "nested", frame(self.nested())
        if pick < 0.78:
            return "surrogate", frame(self.surrogate())
        if pick < 0.785:
            return "huge", frame(self.huge())
        if pick < 0.87:
            return "parts", b"".join(frame(b) for b in self.parts())
        if pick < 0.93:
            return "unknown", frame(dumps({"id": self.rid(), "type": r.choice(("x", "ping.x", "éé"))}))
        if pick < 0.96:
            return "empty", struct.pack("=I", 0)
        if pick < 0.965:
            n = r.choice((16 * MIB + 1, 20 * MIB)) if self.big else 2 * MIB
            return "oversize", struct.pack("=I", n) + b"a" * n
        return "floodvalues", frame(b"[" + b"1," * r.randint(1000, 30000) + b"1]")

    def fatal(self) -> bytes:
        r = self.rng
        return r.choice((b"\x10\x00", struct.pack("=I", 100) + b'{"id":', struct.pack("=I", 0xFFFFFFF0),
                         b"HTTP/1.1 200 OK\r\n"))


@dataclass
class Stats:
    frames: int = 0
    hosts: int = 0
    crashes: list[str] = field(default_factory=list)
    hangs: list[str] = field(default_factory=list)
    non_frame: int = 0
    over_mib: int = 0
    internal: int = 0
    peak_rss_kb: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Host:
    def __init__(self, env: dict[str, str], stats: Stats) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sentinelx", "host", chrome_origin(CHROME_EXTENSION_ID)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.stats = stats
        self.cond = threading.Condition()
        self.pongs: set[str] = set()
        self.stderr_tail = b""
        self.done = False
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._err, daemon=True).start()

    def _err(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr_tail = (self.stderr_tail + line)[-4000:]

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            head = out.read(4)
            if len(head) < 4:
                if head:
                    with self.stats.lock:
                        self.stats.non_frame += len(head)
                break
            (n,) = struct.unpack("=I", head)
            body = out.read(n)
            bad = len(body) < n
            msg: Any = None
            if not bad:
                try:
                    msg = json.loads(body.decode("utf-8"))
                    bad = not isinstance(msg, dict)
                except ValueError:
                    bad = True
            with self.stats.lock:
                if bad:
                    self.stats.non_frame += 4 + len(body)
                if n > MIB:
                    self.stats.over_mib += 1
                if isinstance(msg, dict) and msg.get("type") == "error":
                    self.stats.codes[str(msg.get("code"))] += 1
                    if msg.get("code") == "internal_error":
                        self.stats.internal += 1
            if bad:
                break
            if msg.get("type") == "pong":
                with self.cond:
                    self.pongs.add(str(msg.get("id")))
                    self.cond.notify_all()
        with self.cond:
            self.done = True
            self.cond.notify_all()

    def write(self, data: bytes, rng: random.Random) -> bool:
        assert self.proc.stdin is not None
        try:
            if rng.random() < 0.1 and len(data) > 1:  # split writes, with pauses
                cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randint(1, 4))))
                last = 0
                for c in [*cuts, len(data)]:
                    self.proc.stdin.write(data[last:c])
                    self.proc.stdin.flush()
                    time.sleep(rng.random() * 0.002)
                    last = c
            else:
                self.proc.stdin.write(data)
                self.proc.stdin.flush()
            return True
        except (BrokenPipeError, OSError):
            return False

    def await_pong(self, rid: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self.cond:
            while rid not in self.pongs:
                left = deadline - time.monotonic()
                if left <= 0 or self.done:
                    return rid in self.pongs
                self.cond.wait(left)
            return True

    def peak_rss_kb(self) -> int:
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def close(self, timeout: float) -> int | None:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None


def worker(wid: int, args: argparse.Namespace, env: dict[str, str], stats: Stats, quota: list[int]) -> None:
    rng = random.Random(args.seed * 1000 + wid)
    gen = Gen(rng, args.big)
    while True:
        with stats.lock:
            if quota[0] <= 0:
                return
            quota[0] -= args.per_host
            stats.hosts += 1
        host = Host(env, stats)
        sent, label, ended = 0, f"w{wid}-h{stats.hosts}", False
        while sent < args.per_host and not ended:
            batch = rng.randint(1, args.batch)
            for _ in range(batch):
                kind, data = gen.next()
                with stats.lock:
                    stats.kinds[kind] += 1
                    stats.frames += max(1, data.count(b'"type"')) if kind == "parts" else 1
                sent += 1
                if not host.write(data, rng):
                    break
            check = f"chk-{sent}"
            host.write(frame(dumps({"id": check, "type": "ping"})), rng)
            if not host.await_pong(check, args.hang_s):
                with stats.lock:
                    if host.proc.poll() is None:
                        stats.hangs.append(f"{label}: no pong within {args.hang_s}s")
                    else:
                        stats.crashes.append(f"{label}: exit {host.proc.returncode}; "
                                             f"{host.stderr_tail[-600:]!r}")
                ended = True
        rss = host.peak_rss_kb()
        with stats.lock:
            if stats.frames // args.progress > (stats.frames - sent) // args.progress:
                print(f"  ... {stats.frames:,} frames, {stats.hosts} hosts, crashes {len(stats.crashes)}, "
                      f"hangs {len(stats.hangs)}", flush=True)
        fatal = not ended and rng.random() < args.fatal_rate
        if fatal:
            host.write(gen.fatal(), rng)
            with stats.lock:
                stats.frames += 1
                stats.kinds["fatal"] += 1
        code = host.close(args.hang_s)
        with stats.lock:
            stats.peak_rss_kb = max(stats.peak_rss_kb, rss)
            if not ended:
                if code is None:
                    stats.hangs.append(f"{label}: did not exit after stdin closed")
                elif code not in ((1, 0) if fatal else (0,)):
                    stats.crashes.append(f"{label}: exit {code}; {host.stderr_tail[-600:]!r}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--per-host", type=int, default=4000, help="frames before a host is replaced")
    ap.add_argument("--batch", type=int, default=100, help="max frames between liveness pings")
    ap.add_argument("--hang-s", type=float, default=30.0)
    ap.add_argument("--fatal-rate", type=float, default=0.5,
                    help="share of hosts ended by an unrecoverable frame rather than EOF")
    ap.add_argument("--big", action="store_true", help="include 4 MiB frames and 16-20 MiB lengths")
    ap.add_argument("--progress", type=int, default=50_000, help="print a line every N frames")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="sx-fuzz-"))
    env = {k: v for k, v in os.environ.items() if k != "VT_API_KEY"}
    for name in ("CONFIG", "CACHE", "LOG", "DATA"):
        env[f"SENTINELX_{name}_DIR"] = str(tmp / name.lower())
    # No network here, and no traffic to anywhere but loopback: every provider (the keyless
    # ones answer without any key) points at a closed local port, so a lookup fails at once.
    from sentinelx.enrichment.providers import registry

    for name in registry.names():
        subprocess.run([sys.executable, "-m", "sentinelx", "config", "set",
                        f"providers.{name}.base_url", "https://127.0.0.1:9/"], env=env,
                       capture_output=True, check=True)
    stats = Stats()
    quota = [args.frames]
    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(w, args, env, stats, quota))
               for w in range(args.workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - started
    print(f"fuzz_host: {stats.frames:,} frames to {stats.hosts} host processes in {took:.0f} s "
          f"({stats.frames / took:,.0f}/s), seed {args.seed}")
    print(f"  crashes {len(stats.crashes)}, hangs {len(stats.hangs)}, non-frame bytes {stats.non_frame}, "
          f"replies over 1 MiB {stats.over_mib}, internal_error replies {stats.internal}, "
          f"peak RSS {stats.peak_rss_kb / 1024:.1f} MiB")
    print("  frames by kind: " + ", ".join(f"{k} {v:,}" for k, v in stats.kinds.most_common()))
    print("  error codes: " + ", ".join(f"{k} {v:,}" for k, v in stats.codes.most_common()))
    for line in (stats.crashes + stats.hangs)[:10]:
        print("  " + line)
    bad = stats.crashes or stats.hangs or stats.non_frame or stats.over_mib
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
