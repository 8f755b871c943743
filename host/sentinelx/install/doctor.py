"""`sentinelx doctor`: is each browser really able to reach the host? One row per check.

The ping is the check that matters: it starts the launcher the way the browser would (same
argv, the host's folder as working dir, a minimal PATH), sends a real frame and reads one back.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sentinelx.extension_ids import (
    CHROME_EXTENSION_ID,
    GECKO_EXTENSION_ID,
    NATIVE_HOST_NAME,
    chrome_origin,
)
from sentinelx.install import browsers, manifests
from sentinelx.install.browsers import CHROME, Browser, Machine
from sentinelx.install.plan import Dirs, target_for
from sentinelx.install.winreg_store import RegistryStore
from sentinelx.native.framing import HEADER

OK, FAIL, WARN = "ok", "FAIL", "warn"
MIN_PYTHON = (3, 11)
PING_TIMEOUT = 20.0


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: str  # OK | FAIL | WARN
    detail: str
    fix: str = ""


@dataclass(frozen=True, slots=True)
class Options:
    browsers: tuple[str, ...] = ()
    system: bool = False
    manifest_dir: Path | None = None
    chrome_id: str = CHROME_EXTENSION_ID
    gecko_id: str = GECKO_EXTENSION_ID
    online: bool = False
    timeout: float = PING_TIMEOUT


# --- the ping ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PingResult:
    ok: bool
    detail: str
    reply: dict[str, Any] | None = None


def caller_argv(browser: Browser, manifest: Path, chrome_id: str, gecko_id: str) -> list[str]:
    """What the browser passes: the origin (Chrome family) or manifest path + add-on id (Firefox)."""
    if browser.family == CHROME:
        return [chrome_origin(chrome_id)]
    return [str(manifest), gecko_id]


def ping(program: Path, argv: list[str], timeout: float = PING_TIMEOUT) -> PingResult:
    body = json.dumps({"id": "doctor", "type": "ping"}).encode()
    env = dict(os.environ, PATH=os.defpath)  # browsers start hosts with a minimal PATH
    try:
        # stdin closes after the frame: the host answers, sees EOF and exits.
        proc = subprocess.run(
            [str(program), *argv], input=HEADER.pack(len(body)) + body, capture_output=True,
            timeout=timeout, cwd=program.parent, env=env,
        )
    except subprocess.TimeoutExpired:
        return PingResult(False, f"no reply within {timeout:g} s")
    except OSError as e:
        return PingResult(False, f"cannot start it: {e.strerror or e}")
    out = proc.stdout
    if len(out) < HEADER.size:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        tail = f": {err[-1][:200]}" if err else ""
        return PingResult(False, f"exited {proc.returncode} without a reply{tail}")
    (length,) = HEADER.unpack(out[: HEADER.size])
    raw = out[HEADER.size : HEADER.size + length]
    try:
        reply = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return PingResult(False, f"replied with a broken frame ({length} bytes declared)")
    if not isinstance(reply, dict):
        return PingResult(False, "replied with a frame that is not a JSON object")
    if reply.get("type") == "pong":
        return PingResult(True, f"pong, version {reply.get('version')}", reply)
    if reply.get("type") == "error":
        return PingResult(False, f"host error {reply.get('code')}: {reply.get('message')}", reply)
    return PingResult(False, f"unexpected reply {str(reply)[:120]}", reply)


# --- per-browser checks --------------------------------------------------------------------------


def _cmd() -> str:
    """`sentinelx` as it must be typed here (a full path when PATH does not find this one)."""
    from sentinelx.install.command import sentinelx_command

    return sentinelx_command()


def _reinstall(browser: Browser, opts: Options) -> str:
    extra = f" --manifest-dir {opts.manifest_dir}" if opts.manifest_dir else ""
    extra += " --system" if opts.system else ""
    return f"re-run the installer: {_cmd()} install --browser {browser.name}{extra}"


def check_manifest(browser: Browser, manifest: Path, opts: Options) -> Iterator[Check]:
    """manifest -> launcher -> ids -> ping; stops at the first failure (the rest depend on it)."""
    n = browser.name
    fix = _reinstall(browser, opts)
    if not manifest.is_file():
        yield Check(f"{n} manifest", FAIL, f"missing: {manifest}", fix)
        return
    try:
        data = manifests.load(manifest)
    except (OSError, manifests.ManifestError) as e:
        yield Check(f"{n} manifest", FAIL, f"{manifest}: {e}", fix)
        return
    if data.get("name") != NATIVE_HOST_NAME or data.get("type") != "stdio":
        yield Check(f"{n} manifest", FAIL,
                    f"{manifest}: name {data.get('name')!r}, type {data.get('type')!r} "
                    f"(want {NATIVE_HOST_NAME!r}, 'stdio')", fix)
        return
    yield Check(f"{n} manifest", OK, str(manifest))

    path = Path(str(data.get("path", "")))
    if not path.is_absolute():
        yield Check(f"{n} launcher", FAIL, f"path {str(path)!r} is not absolute", fix)
        return
    if not path.is_file():
        yield Check(f"{n} launcher", FAIL, f"{path} does not exist", fix)
        return
    if os.name != "nt" and not os.access(path, os.X_OK):
        yield Check(f"{n} launcher", FAIL, f"{path} is not executable", f"chmod 755 {path}")
        return
    yield Check(f"{n} launcher", OK, str(path))

    if browser.family == CHROME:
        want, field = chrome_origin(opts.chrome_id), "allowed_origins"
    else:
        want, field = opts.gecko_id, "allowed_extensions"
    have = data.get(field)
    if not isinstance(have, list) or want not in have:
        yield Check(f"{n} extension id", FAIL, f"{field} is {have!r}, want {want!r}", fix)
        return
    yield Check(f"{n} extension id", OK, want)

    result = ping(path, caller_argv(browser, manifest, opts.chrome_id, opts.gecko_id),
                  opts.timeout)
    if result.ok:
        yield Check(f"{n} ping", OK, result.detail)
    else:
        code = (result.reply or {}).get("code")
        ping_fix = (
            f"the host refuses this extension id: {_cmd()} config set host.allowed_extensions "
            f"{opts.chrome_id},{opts.gecko_id}" if code == "origin_forbidden"
            else f"run the launcher by hand to see why: {path} ; or {fix}"
        )
        yield Check(f"{n} ping", FAIL, result.detail, ping_fix)


def _registry_manifest(browser: Browser, opts: Options, registry: RegistryStore) -> Path | None:
    value = registry.get_default(browsers.registry_key(browser))
    return Path(value) if value else None


def browser_checks(
    machine: Machine, dirs: Dirs, opts: Options, registry: RegistryStore | None = None
) -> list[Check]:
    if opts.manifest_dir is not None:
        b = browsers.get(opts.browsers[0] if opts.browsers else "chromium")
        t = target_for(b, machine, dirs, manifest_dir=opts.manifest_dir)
        return list(check_manifest(b, t.manifest, opts))

    named = bool(opts.browsers)
    wanted = [browsers.get(n) for n in opts.browsers] if named else list(browsers.BROWSERS)
    checks: list[Check] = []
    any_ok = False
    for b in wanted:
        det = browsers.detect(b, machine)
        if machine.os == "windows":
            registry = registry or RegistryStore.native(opts.system)
            manifest = _registry_manifest(b, opts, registry)
            if manifest is None:
                if det.found or named:
                    key = registry.describe(browsers.registry_key(b))
                    checks.append(Check(f"{b.name} registry", FAIL, f"missing: {key}",
                                        _reinstall(b, opts)))
                continue
        else:
            manifest = target_for(b, machine, dirs, opts.system).manifest
        if det.sandboxed:
            checks.append(Check(f"{b.name} sandbox", WARN, browsers.sandbox_advice(det),
                                f"install {b.label} from its .deb/.rpm package"))
            if det.sandbox_only and not manifest.exists() and not named:
                continue
        if not (det.native or named or manifest.exists()):
            continue  # not installed and never set up: nothing to check
        rows = list(check_manifest(b, manifest, opts))
        any_ok = any_ok or all(r.status == OK for r in rows)
        checks.extend(rows)
    if not named and not any_ok:
        checks.append(Check("browsers", FAIL, "no browser can reach the host yet",
                            f"run ./install/install.sh in your SentinelX clone (or {_cmd()} "
                            "install --browser NAME)"))
    return checks


# --- machine-wide checks -------------------------------------------------------------------------


def check_python() -> Check:
    v = sys.version_info
    detail = f"{v.major}.{v.minor}.{v.micro} ({sys.executable})"
    if v[:2] < MIN_PYTHON:
        return Check("python", FAIL, detail,
                     "install Python >= 3.11 and re-run ./install/install.sh in your SentinelX clone")
    return Check("python", OK, detail)


def _writable(folder: Path) -> str | None:
    """None if we can create files in `folder` (or create it); else why not."""
    if folder.exists():
        try:
            with tempfile.TemporaryFile(dir=folder):
                return None
        except OSError as e:
            return f"{folder} is not writable: {e.strerror or e}"
    parent = folder.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if os.access(parent, os.W_OK | os.X_OK):
        return None
    return f"{folder} does not exist and {parent} is not writable"


def check_config_dir(folder: Path) -> Check:
    problem = _writable(folder)
    if problem:
        return Check("config dir", FAIL, problem, f"chown -R $USER {folder} && chmod 700 {folder}")
    return Check("config dir", OK, f"{folder} is writable" + ("" if folder.exists() else
                                                            " (will be created)"))


def check_keys(config_dir: Path) -> Check:
    """Every provider's key slot: a readable-by-others key file fails; otherwise say which
    sources have a key, which are skipped for want of one, and which need none."""
    from sentinelx import keys
    from sentinelx.enrichment.providers import registry

    have: list[str] = []
    missing: list[str] = []
    keyless: list[str] = []
    for spec in registry.specs():
        if spec.key == "none":
            keyless.append(spec.name)
            continue
        path = config_dir / keys.key_path(spec.name).name
        if any(os.environ.get(e, "").strip() for e in keys.key_envs(spec.name)):
            have.append(f"{spec.name} (environment)")
        elif path.exists():
            if os.name != "nt" and (mode := path.stat().st_mode & 0o777) & 0o077:
                return Check("api keys", FAIL, f"{path} has mode {mode:04o}; others can read it",
                             f"chmod 600 {path}")
            have.append(spec.name)
        elif spec.key == "required":
            missing.append(spec.name)
        else:
            keyless.append(spec.name)  # optional key: answers without one
    detail = (f"set: {', '.join(have) or 'none'}; skipped until a key is set: "
              f"{', '.join(missing) or 'none'}; answer without a key: {', '.join(keyless)}")
    if not have:
        return Check("api keys", WARN, "no key set, only the keyless sources answer; " + detail,
                     f"{_cmd()} config set-key --provider NAME (or the extension's options page)")
    return Check("api keys", OK, detail)


def check_cache(folder: Path) -> Check:
    dbs = sorted([*folder.glob("*.sqlite3"), *folder.glob("*.db")]) if folder.is_dir() else []
    for db in dbs:
        try:
            con = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=2)
            try:
                result = con.execute("PRAGMA quick_check").fetchone()
            finally:
                con.close()
        except sqlite3.Error as e:
            return Check("cache", FAIL, f"{db}: {e}",
                         f"move it aside (it is rebuilt): mv '{db}' '{db}.broken'")
        if not result or result[0] != "ok":
            return Check("cache", FAIL, f"{db}: quick_check says {result!r}",
                         f"move it aside (it is rebuilt): mv '{db}' '{db}.broken'")
    if dbs:
        return Check("cache", OK, ", ".join(str(d) for d in dbs) + " open and pass quick_check")
    problem = _writable(folder)
    if problem:
        return Check("cache", FAIL, problem, f"chown -R $USER {folder}")
    return Check("cache", OK, f"no cache yet; {folder} is writable")


def run_checks(
    machine: Machine, dirs: Dirs, opts: Options, registry: RegistryStore | None = None
) -> list[Check]:
    checks = [check_python(), check_config_dir(dirs.config),
              check_keys(dirs.config), check_cache(dirs.cache)]
    if opts.online:
        from sentinelx.install.doctor_online import online_checks

        checks += online_checks()
    checks += browser_checks(machine, dirs, opts, registry)
    return checks


NOT_COVERED = ("whether the extension is loaded and enabled in each browser (the popup says so "
               "when it cannot reach the host), and whether each provider accepts its API key "
               "(saving a key checks it: `sentinelx config set-key --provider NAME`)")


def coverage(checks: list[Check]) -> dict[str, list[str] | str]:
    """What this run checked (derived from the rows, so it stays true) and what doctor never does."""
    return {"checked": [c.name for c in checks], "not_checked": NOT_COVERED}


def render_table(checks: list[Check]) -> str:
    width = max([len(c.name) for c in checks] + [5])
    lines = [f"{'CHECK':<{width}}  STATUS  DETAIL"]
    lines += [f"{c.name:<{width}}  {c.status:<6}  {c.detail}" for c in checks]
    fixes = [c for c in checks if c.fix and c.status != OK]
    if fixes:
        lines += ["", "How to fix:"]
        lines += [f"  {c.name}: {c.fix}" for c in fixes]
    lines += ["", f"Checked: {', '.join(c.name for c in checks)}.", f"Not checked: {NOT_COVERED}."]
    return "\n".join(lines)


def failed(checks: list[Check]) -> bool:
    return any(c.status == FAIL for c in checks)
