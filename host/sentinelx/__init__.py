"""SentinelX: IOC extraction and enrichment behind a browser extension."""

# The one place the version lives (pyproject reads it): importlib.metadata would cost the
# browser-launched host ~70 ms of start-up on every connect.
__version__ = "0.1.0"
