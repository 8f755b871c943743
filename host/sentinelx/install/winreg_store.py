"""The Windows registry keys that point each browser at its host manifest.

Chrome-family browsers and Firefox read the default value of
`HKCU\\<browser key>\\NativeMessagingHosts\\<host name>` (HKLM for all users) as the manifest
path. All access goes through an injected winreg-like module so the logic runs in tests on
any OS against a fake.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class RegistryStore:
    winreg: Any  # the stdlib `winreg` module, or a fake with the same functions
    system: bool = False  # HKLM instead of HKCU

    @classmethod
    def native(cls, system: bool = False) -> RegistryStore:
        import winreg  # Windows only

        return cls(winreg, system)

    @property
    def hive_name(self) -> str:
        return "HKLM" if self.system else "HKCU"

    @property
    def _hive(self) -> Any:
        return self.winreg.HKEY_LOCAL_MACHINE if self.system else self.winreg.HKEY_CURRENT_USER

    def describe(self, key: str) -> str:
        return f"{self.hive_name}\\{key}"

    def get_default(self, key: str) -> str | None:
        """The key's default value, or None when the key (or value) does not exist."""
        try:
            with self.winreg.OpenKey(self._hive, key, 0, self.winreg.KEY_READ) as h:
                value, _type = self.winreg.QueryValueEx(h, "")
        except FileNotFoundError:
            return None
        return value if isinstance(value, str) else None

    def set_default(self, key: str, value: str) -> None:
        with self.winreg.CreateKeyEx(self._hive, key, 0, self.winreg.KEY_WRITE) as h:
            self.winreg.SetValueEx(h, "", 0, self.winreg.REG_SZ, value)

    def delete(self, key: str) -> bool:
        """Delete the host's key (it has no subkeys); False if it was not there."""
        try:
            self.winreg.DeleteKey(self._hive, key)
        except FileNotFoundError:
            return False
        return True
