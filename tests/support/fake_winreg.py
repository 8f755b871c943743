"""An in-memory stand-in for the stdlib `winreg` module (the subset the installer uses).

It keeps the behaviours that matter: keys are case-insensitive, opening a missing key raises
FileNotFoundError, DeleteKey refuses a key that has subkeys, and the hives are distinct.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

HKEY_CURRENT_USER = "HKCU"
HKEY_LOCAL_MACHINE = "HKLM"
KEY_READ = 0x20019
KEY_WRITE = 0x20006
REG_SZ = 1


@dataclass
class _Handle:
    path: tuple[str, str]

    def __enter__(self) -> _Handle:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


@dataclass
class FakeWinreg:
    HKEY_CURRENT_USER: str = HKEY_CURRENT_USER
    HKEY_LOCAL_MACHINE: str = HKEY_LOCAL_MACHINE
    KEY_READ: int = KEY_READ
    KEY_WRITE: int = KEY_WRITE
    REG_SZ: int = REG_SZ
    # (hive, lower-cased key path) -> {value name: (value, type)}
    keys: dict[tuple[str, str], dict[str, tuple[Any, int]]] = field(default_factory=dict)

    @staticmethod
    def _norm(hive: str, key: str) -> tuple[str, str]:
        return hive, key.strip("\\").lower()

    def OpenKey(self, hive: str, key: str, reserved: int = 0, access: int = KEY_READ) -> _Handle:
        path = self._norm(hive, key)
        if path not in self.keys:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        return _Handle(path)

    def CreateKeyEx(self, hive: str, key: str, reserved: int = 0,
                    access: int = KEY_WRITE) -> _Handle:
        hive_, norm = self._norm(hive, key)
        parts = norm.split("\\")
        for i in range(1, len(parts) + 1):  # like the real one, parents are created too
            self.keys.setdefault((hive_, "\\".join(parts[:i])), {})
        return _Handle((hive_, norm))

    def QueryValueEx(self, handle: _Handle, name: str) -> tuple[Any, int]:
        values = self.keys[handle.path]
        if name not in values:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        return values[name]

    def SetValueEx(self, handle: _Handle, name: str, reserved: int, type_: int, value: Any) -> None:
        self.keys[handle.path][name] = (value, type_)

    def DeleteKey(self, hive: str, key: str) -> None:
        path = self._norm(hive, key)
        if path not in self.keys:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        if any(k[0] == path[0] and k[1].startswith(path[1] + "\\") for k in self.keys):
            raise PermissionError(5, "Access is denied (key has subkeys)")
        del self.keys[path]

    # test helper
    def default(self, hive: str, key: str) -> Any:
        values = self.keys.get(self._norm(hive, key))
        return None if values is None or "" not in values else values[""][0]
