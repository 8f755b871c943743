"""How to type `sentinelx` so that it runs this install: the bare name only when PATH finds it."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path


def sentinelx_command(python: Path | None = None,
                      which: Callable[[str], str | None] = shutil.which) -> str:
    """`sentinelx` if PATH resolves it to this install's script, else the script's full path,
    else `<python> -m sentinelx`: printed commands must work when pasted."""
    python = (python or Path(sys.executable)).absolute()
    script = python.parent / ("sentinelx.exe" if os.name == "nt" else "sentinelx")
    found = which("sentinelx")
    if found and script.exists() and Path(found).resolve() == script.resolve():
        return "sentinelx"
    if script.exists():
        return str(script)
    return f"{python} -m sentinelx"
