"""A logger that imports `logging` at its first message.

`import logging` brings traceback, string, weakref and more (~5 ms on a quiet machine,
about a third of a bare Python start): the modules a browser-launched host loads before
its first `pong` log only when something goes wrong, so they pay for it only then.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import logging


class LazyLogger:
    """Stands for logging.getLogger(name): every attribute is the real logger's."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def _logger(self) -> logging.Logger:
        import logging

        return logging.getLogger(self.name)

    def debug(self, msg: str, *args: object) -> None:
        self._logger().debug(msg, *args, stacklevel=2)

    def info(self, msg: str, *args: object) -> None:
        self._logger().info(msg, *args, stacklevel=2)

    def warning(self, msg: str, *args: object) -> None:
        self._logger().warning(msg, *args, stacklevel=2)

    def error(self, msg: str, *args: object) -> None:
        self._logger().error(msg, *args, stacklevel=2)

    def exception(self, msg: str, *args: object) -> None:
        self._logger().exception(msg, *args, stacklevel=2)
