"""The private venv in the user data dir: where it lives and what is in it.

install/install.sh (and install.ps1) create it and pip-install the package before any of this
code can run, since the package's own dependencies live in it; both compute the same folder as
`sentinelx.paths.data_dir()` (tests/integration/test_installer.py checks they agree).
"""

from __future__ import annotations

import sys
from pathlib import Path

VENV_DIR = "venv"


def venv_dir(data_dir: Path) -> Path:
    return data_dir / VENV_DIR


def is_inside(venv: Path) -> bool:
    """True when this interpreter runs from `venv` (Windows cannot delete it then)."""
    try:
        return Path(sys.prefix).resolve() == venv.resolve()
    except OSError:
        return False

