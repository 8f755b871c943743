"""Pure text-to-IOC functions: refang, extract, classify. No I/O here."""

from sentinelx.pipeline.models import IOC, IOCType

__all__ = ["IOC", "IOCType"]
