"""A snapshot of what `pong` says in `capabilities`, kept in the user cache dir, so that a
browser's cold start need not import the config and the twelve provider modules (~60 ms)
to say again what it said last time.

capabilities.py stays the truth. A snapshot is used only while nothing it was built from
has changed, which is checked with stat() and os.environ alone:
- the package (its directory and version) and the source file of every sentinelx module
  loaded when it was built (provider code, config defaults, ...): path, mtime, size, inode;
- the settings file, every key file and the pause mirror: the same, or their absence;
- each key environment variable: whether it holds a usable key (never the key itself);
- the config dir, which the environment may move.
A pause whose end has passed is dropped at read time, and cli_path is computed live.
The host rebuilds the snapshot on its warm-up thread after its first reply (refresh), so
any start after the first reads it; a missing or stale one costs the full build, as before.
Whatever changes an input on purpose (install, `config set`/`set-key`/`clear-key`, `quota
reset`, the options page, an enrich that met a 429) rebuilds it right away
(refresh_quietly), so that the browser's next start, usually the first after install or
after a new key, is a quick one too.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

import sentinelx

TYPE_CHECKING = False  # typing itself costs the first pong ~3 ms: only the checker reads these
if TYPE_CHECKING:
    from typing import Any

FILE = "capabilities.json"
FORMAT = 1
Signature = list[int] | None


def _path() -> str:
    from sentinelx import paths

    return os.path.join(paths.cache_dir(), FILE)


def _stat(path: str) -> Signature:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size, st.st_ino]


def _env(names: list[str]) -> dict[str, bool]:
    from sentinelx.keys import usable

    return {n: usable(os.environ.get(n, "").strip()) for n in names}


def _config_dir() -> str:
    from sentinelx import paths

    return str(paths.config_dir())


# Per process: the code files' signatures as first seen (this process's code does not change
# when they do), the last snapshot read (by its own signature) and the command path. Each
# syscall of a ping may wait for the interpreter lock while a big frame is decoded, so a
# ping after the first stats only the settings, key and pause files and the snapshot.
_code: dict[str, Signature] = {}
_read: tuple[Signature, dict[str, Any]] | None = None
_cli: list[str | None] = []


def _code_stat(path: str) -> Signature:
    if path not in _code:
        _code[path] = _stat(path)
    return _code[path]


def _snapshot(path: str) -> dict[str, Any]:
    global _read
    sig = _stat(path)
    if sig is None:
        raise FileNotFoundError(path)
    if _read is None or _read[0] != sig:
        with open(path, encoding="utf-8") as f:
            _read = (sig, json.load(f))
    return _read[1]


def _cli_path() -> str | None:
    if not _cli:
        from sentinelx.enrichment.capabilities import cli_path

        _cli.append(cli_path())
    return _cli[0]


def load() -> dict[str, Any] | None:
    """The capabilities of the last full build, if nothing they came from has changed."""
    try:
        snap = _snapshot(_path())
        if (snap.get("format") != FORMAT or snap.get("version") != sentinelx.__version__
                or snap.get("package") != os.path.dirname(sentinelx.__file__)
                or snap.get("config_dir") != _config_dir()
                or snap.get("env") != _env(list(snap["env"]))
                or any(_stat(path) != sig for path, sig in snap["files"])
                or any(_code_stat(path) != sig for path, sig in snap["code"])):
            return None
        caps: dict[str, Any] = dict(snap["capabilities"])
        ends: dict[str, float] = snap["pause_ends"]
        now = time.time()
        caps["providers"] = [
            {**p, "paused_until": None} if p["paused_until"] is not None
            and ends.get(p["name"], 0) <= now else p for p in caps["providers"]]
    except (OSError, ValueError, RecursionError, LookupError, TypeError, AttributeError):
        return None  # absent, unreadable or not what this version writes: build it
    caps["cli_path"] = _cli_path()
    return caps


def current() -> dict[str, Any]:
    """What pong carries: the snapshot when still valid, else the full build."""
    from sentinelx.enrichment.capabilities import capabilities

    return load() or capabilities()


def _inputs() -> tuple[list[str], list[str], list[str]]:
    """(files, code files, key environment variables) the capabilities are read from."""
    from sentinelx import config, keys
    from sentinelx.enrichment import pauses
    from sentinelx.enrichment.providers import registry

    with_key = [s.name for s in registry.specs() if s.key != "none"]
    files = [str(config.config_path()), str(pauses.path())]
    files += sorted({str(keys.key_path(name)) for name in with_key})
    code = sorted({str(m.__file__) for name, m in list(sys.modules.items())
                   if (name == "sentinelx" or name.startswith("sentinelx."))
                   and getattr(m, "__file__", None)})
    envs = sorted({env for name in with_key for env in keys.key_envs(name)})
    return files, code, envs


def refresh() -> bool:
    """Build the capabilities and store them with what they were built from, unless the
    stored snapshot is still valid and says the same. The inputs are stat()ed before the
    build: a change made during it makes the snapshot stale, never wrong. True when a new
    snapshot was written."""
    from pathlib import Path

    from sentinelx import config
    from sentinelx.enrichment import pauses
    from sentinelx.enrichment.capabilities import capabilities

    capabilities()  # imports everything it reads, so that _inputs() lists those modules
    files, code, envs = _inputs()
    snap = {"format": FORMAT, "version": sentinelx.__version__,
            "package": os.path.dirname(sentinelx.__file__), "config_dir": _config_dir(),
            "env": _env(envs), "files": [[f, _stat(f)] for f in files],
            "code": [[f, _code_stat(f)] for f in code]}
    snap["pause_ends"] = pauses.read()
    caps = capabilities()
    if load() == caps:  # still valid and the same: another start wrote it
        return False
    caps.pop("cli_path", None)
    snap["capabilities"] = caps
    config.write_private(Path(_path()), json.dumps(snap))
    return True


def refresh_quietly() -> None:
    """refresh() after a change the user made, where the change itself has succeeded: a
    snapshot that cannot be written (read-only or full cache dir, anything else) only makes
    the next start build the capabilities itself, so it never fails the command."""
    import contextlib

    with contextlib.suppress(Exception):  # speed only: without it pong builds them itself
        refresh()


# The host's stores after a change, off the thread that made it: a flood of changes (settings
# from the port, enrich jobs) starts at most one store beyond the running one.
_storing = threading.Lock()
_queued = threading.Event()  # a store is on its way and has not read its inputs yet


def refresh_later() -> None:
    """refresh_quietly() on a thread of its own, after a change made in this process."""
    if _queued.is_set():
        return  # the queued store reads the inputs after this change
    _queued.set()
    threading.Thread(target=_store, name="capsnap", daemon=True).start()


def _store() -> None:
    with _storing:
        _queued.clear()
        refresh_quietly()
