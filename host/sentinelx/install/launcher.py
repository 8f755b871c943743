"""The program a host manifest points at.

Browsers start hosts with a minimal PATH and the host's folder as working directory, so the
launcher calls the venv's Python by absolute path. `-u` keeps frames unbuffered; `-I` stops a
stray PYTHONPATH or a `sentinelx/` folder in the working directory from shadowing the package.
"""

from __future__ import annotations

import shlex
from pathlib import Path

POSIX_NAME = "sentinelx-host"
WINDOWS_NAME = "sentinelx-host.bat"
MARKER = "SentinelX native-messaging host launcher"


def filename(os_name: str) -> str:
    return WINDOWS_NAME if os_name == "windows" else POSIX_NAME


def render(python: Path, os_name: str) -> str:
    if not python.is_absolute():
        raise ValueError(f"the launcher's Python must be an absolute path, got {python}")
    if os_name == "windows":
        if '"' in str(python) or "%" in str(python):
            raise ValueError(f"cannot quote this path in a .bat file: {python}")
        # CRLF: cmd.exe reads LF-only files too, but some editors and tools do not.
        return "\r\n".join((
            "@echo off",
            f"rem {MARKER} (written by `sentinelx install`).",
            f'"{python}" -u -I -m sentinelx host %*',
            "",
        ))
    return "\n".join((
        "#!/bin/sh",
        f"# {MARKER} (written by `sentinelx install`).",
        "# Absolute interpreter path: browsers start hosts with a minimal PATH.",
        f'exec {shlex.quote(str(python))} -u -I -m sentinelx host "$@"',
        "",
    ))
