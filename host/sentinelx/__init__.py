"""SentinelX: IOC extraction and enrichment behind a browser extension."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sentinelx")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+src"
