"""Length-prefixed frames as browsers speak them: 4-byte native-order length, then UTF-8 JSON.

Only bytes are handled here; JSON and schema checks belong to the server.
"""

from __future__ import annotations

import struct
from collections import namedtuple
from collections.abc import Callable

TYPE_CHECKING = False  # typing itself costs the first pong ~3 ms: only the checker reads these
if TYPE_CHECKING:
    from typing import BinaryIO, NamedTuple

HEADER = struct.Struct("=I")  # native byte order, standard size: what Chrome and Firefox use
MAX_REPLY_BYTES = 1024 * 1024  # browsers close the port on a bigger host->browser frame
DEFAULT_MAX_REQUEST_BYTES = 16 * 1024 * 1024
# Chrome refuses to send more than this, so a larger declared length means the stream is garbage.
BROWSER_MAX_REQUEST_BYTES = 64 * 1024 * 1024
_DISCARD_CHUNK = 64 * 1024


class FrameError(Exception):
    """A frame that cannot be used. `fatal` means the stream cannot be resynchronised."""

    code = "frame_error"
    fatal = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FrameTooLarge(FrameError):
    code = "frame_too_large"

    def __init__(self, message: str, fatal: bool) -> None:
        super().__init__(message)
        self.fatal = fatal


class FrameTruncated(FrameError):
    code = "frame_truncated"
    fatal = True


class FrameEmpty(FrameError):
    code = "frame_empty"


class ReplyTooLarge(ValueError):
    """Raised instead of writing a frame the browser would reject."""


# A namedtuple, not a dataclass: dataclasses imports inspect, ~10 ms before the first ping.
if TYPE_CHECKING:
    class Frame(NamedTuple):
        body: bytes
else:
    Frame = namedtuple("Frame", "body")


def _read_exactly(stream: BinaryIO, n: int) -> bytes:
    chunks: list[bytes] = []
    remaining = n
    while remaining:
        chunk = stream.read(min(remaining, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _discard(stream: BinaryIO, n: int) -> int:
    """Skip n bytes without holding them; returns how many were skipped."""
    skipped = 0
    while skipped < n:
        chunk = stream.read(min(_DISCARD_CHUNK, n - skipped))
        if not chunk:
            break
        skipped += len(chunk)
    return skipped


def read_frame(stream: BinaryIO, max_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
               before_body: Callable[[int], None] | None = None) -> Frame | None:
    """Read one frame. None means a clean EOF between frames.

    `before_body(length)` is called before an accepted body is read (the server uses it to
    bound the bytes held by frames not yet handled).

    The declared length is checked against `max_bytes` before any of the body is read.
    An oversized body that a browser could have sent is skipped so the next frame still
    parses; a length no browser would send means the stream is garbage (fatal).
    """
    header = _read_exactly(stream, HEADER.size)
    if not header:
        return None
    if len(header) < HEADER.size:
        raise FrameTruncated(f"truncated header: got {len(header)} of {HEADER.size} bytes")
    (length,) = HEADER.unpack(header)
    if length == 0:
        raise FrameEmpty("zero-length frame")
    if length > max_bytes:
        if length > BROWSER_MAX_REQUEST_BYTES:
            raise FrameTooLarge(
                f"declared length {length} exceeds any browser's limit; stream is not framed",
                fatal=True,
            )
        skipped = _discard(stream, length)
        if skipped < length:
            raise FrameTruncated(f"oversized frame truncated: got {skipped} of {length} bytes")
        raise FrameTooLarge(f"frame of {length} bytes exceeds the cap of {max_bytes}", fatal=False)
    if before_body is not None:
        before_body(length)
    body = _read_exactly(stream, length)
    if len(body) < length:
        raise FrameTruncated(f"truncated body: got {len(body)} of {length} bytes")
    return Frame(body)


def encode_frame(body: bytes, max_bytes: int = MAX_REPLY_BYTES) -> bytes:
    if len(body) > max_bytes:
        raise ReplyTooLarge(f"reply of {len(body)} bytes exceeds {max_bytes}")
    return HEADER.pack(len(body)) + body


def write_frame(stream: BinaryIO, body: bytes, max_bytes: int = MAX_REPLY_BYTES) -> None:
    stream.write(encode_frame(body, max_bytes))
    stream.flush()
