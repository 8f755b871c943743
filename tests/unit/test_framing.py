"""Framing, written against raw bytes (the browser's side of the wire)."""

from __future__ import annotations

import io
import struct
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sentinelx.native import framing


def raw(body: bytes) -> bytes:
    # Native byte order, 4 bytes: exactly what Chrome and Firefox write.
    return struct.pack("=I", len(body)) + body


class TrickleReader(io.RawIOBase):
    """Hands out at most one byte per read, as a slow pipe may."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        return self._data.read(1 if n != 0 else 0)


def test_header_is_native_byte_order() -> None:
    frame = framing.encode_frame(b'{"a":1}')
    assert frame[:4] == (7).to_bytes(4, sys.byteorder)
    assert frame[4:] == b'{"a":1}'


def test_reads_consecutive_frames_then_clean_eof() -> None:
    stream = io.BytesIO(raw(b'{"id":"1"}') + raw(b"[2]"))
    assert framing.read_frame(stream) == framing.Frame(b'{"id":"1"}')
    assert framing.read_frame(stream) == framing.Frame(b"[2]")
    assert framing.read_frame(stream) is None


def test_reassembles_frames_delivered_a_byte_at_a_time() -> None:
    stream = TrickleReader(raw(b'{"x":"' + b"y" * 300 + b'"}'))
    frame = framing.read_frame(stream)
    assert frame is not None and frame.body.endswith(b'y"}')


@pytest.mark.parametrize("header", [b"\x01", b"\x01\x00", b"\x01\x00\x00"])
def test_truncated_header_is_fatal(header: bytes) -> None:
    with pytest.raises(framing.FrameTruncated) as e:
        framing.read_frame(io.BytesIO(header))
    assert e.value.fatal and e.value.code == "frame_truncated"


def test_truncated_body_is_fatal() -> None:
    with pytest.raises(framing.FrameTruncated) as e:
        framing.read_frame(io.BytesIO(struct.pack("=I", 100) + b"short"))
    assert e.value.fatal and "5 of 100" in e.value.message


def test_zero_length_is_recoverable() -> None:
    stream = io.BytesIO(struct.pack("=I", 0) + raw(b"{}"))
    with pytest.raises(framing.FrameEmpty) as e:
        framing.read_frame(stream)
    assert not e.value.fatal
    assert framing.read_frame(stream) == framing.Frame(b"{}")


class CountingReader(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.largest_read = 0

    def read(self, n: int | None = -1) -> bytes:  # type: ignore[override]
        self.largest_read = max(self.largest_read, n if n is not None and n >= 0 else 1 << 62)
        return super().read(n)


def test_oversized_frame_is_refused_before_reading_body_and_skipped() -> None:
    body = b"x" * 5000
    stream = CountingReader(raw(body) + raw(b'{"next":1}'))
    with pytest.raises(framing.FrameTooLarge) as e:
        framing.read_frame(stream, max_bytes=1000)
    assert not e.value.fatal
    # The body was discarded in bounded chunks, never read whole into memory.
    assert stream.largest_read <= 64 * 1024
    assert framing.read_frame(stream, max_bytes=1000) == framing.Frame(b'{"next":1}')


def test_length_no_browser_would_send_is_fatal_without_reading() -> None:
    stream = CountingReader(struct.pack("=I", 0xFFFFFFF0) + b"garbage")
    with pytest.raises(framing.FrameTooLarge) as e:
        framing.read_frame(stream, max_bytes=1000)
    assert e.value.fatal
    assert stream.tell() == 4  # nothing after the header was consumed


def test_oversized_frame_cut_short_is_truncation() -> None:
    with pytest.raises(framing.FrameTruncated):
        framing.read_frame(io.BytesIO(struct.pack("=I", 5000) + b"x" * 10), max_bytes=1000)


def test_reply_over_one_mib_is_never_encoded() -> None:
    with pytest.raises(framing.ReplyTooLarge):
        framing.encode_frame(b"x" * (framing.MAX_REPLY_BYTES + 1))
    assert len(framing.encode_frame(b"x" * framing.MAX_REPLY_BYTES)) == framing.MAX_REPLY_BYTES + 4


@given(st.lists(st.binary(min_size=1, max_size=2048), max_size=8))
def test_frames_written_are_frames_read(bodies: list[bytes]) -> None:
    out = io.BytesIO()
    for body in bodies:
        framing.write_frame(out, body)
    stream = io.BytesIO(out.getvalue())
    assert [framing.read_frame(stream) for _ in bodies] == [framing.Frame(b) for b in bodies]
    assert framing.read_frame(stream) is None
