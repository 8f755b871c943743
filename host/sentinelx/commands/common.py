"""Small helpers shared by commands."""

from __future__ import annotations

import sys

DEFAULT_MAX_BYTES = 8 * 1024 * 1024


class InputError(Exception):
    """Input that cannot be used; the message is one line for stderr."""


def read_input(path: str | None, max_bytes: int) -> str:
    """Read FILE or stdin ('-' or None) up to max_bytes; refuse anything larger."""
    try:
        if path in (None, "-"):
            data = sys.stdin.buffer.read(max_bytes + 1)
            name = "stdin"
        else:
            with open(path, "rb") as f:
                data = f.read(max_bytes + 1)
            name = path
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}") from e
    if len(data) > max_bytes:
        raise InputError(f"{name} is larger than {max_bytes} bytes; raise --max-bytes to allow it")
    # Logs and pastes carry stray bytes; a replacement char beats refusing the whole input.
    return data.decode("utf-8", errors="replace")


def fail(message: str, code: int = 2) -> int:
    print(f"sentinelx: error: {message}", file=sys.stderr)
    return code
