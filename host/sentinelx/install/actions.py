"""Every change the installer makes, as a value that can say what it *would* do.

Each action has `preview()` (no side effects) and `apply()`, both returning an Outcome. Dry-run
prints the previews; a second install finds every preview UNCHANGED, which is the idempotency.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sentinelx.install.winreg_store import RegistryStore


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REMOVED = "removed"
    ABSENT = "absent"  # nothing to remove
    SKIPPED = "skipped"  # deliberately left alone (see the action's reason)


WOULD = {
    Outcome.CREATED: "would create",
    Outcome.UPDATED: "would update",
    Outcome.REMOVED: "would remove",
}


def _mode_ok(path: Path, mode: int) -> bool:
    if os.name == "nt":
        return True  # Windows has no POSIX modes worth comparing
    return stat.S_IMODE(path.stat().st_mode) == mode


@dataclass(frozen=True, slots=True)
class WriteFile:
    path: Path
    content: str
    mode: int = 0o644
    what: str = "file"

    @property
    def target(self) -> str:
        return str(self.path)

    def preview(self) -> Outcome:
        try:
            # Bytes, not text: text mode would hide a .bat file's CRLF line ends.
            same = self.path.read_bytes() == self.content.encode() and _mode_ok(self.path, self.mode)
        except FileNotFoundError:
            return Outcome.CREATED
        except OSError:
            return Outcome.UPDATED
        return Outcome.UNCHANGED if same else Outcome.UPDATED

    def apply(self) -> Outcome:
        outcome = self.preview()
        if outcome is Outcome.UNCHANGED:
            return outcome
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Write-then-rename: a browser starting mid-install never sees half a manifest.
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                f.write(self.content)
            os.chmod(tmp, self.mode)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return outcome


@dataclass(frozen=True, slots=True)
class Symlink:
    """A `sentinelx` command on the user's PATH; never replaces a file it did not make."""

    path: Path
    points_to: Path
    owned_under: Path  # a link into here was made by us and may be replaced
    what: str = "command"

    @property
    def target(self) -> str:
        return f"{self.path} -> {self.points_to}"

    def preview(self) -> Outcome:
        if self.path.is_symlink():
            if Path(os.readlink(self.path)) == self.points_to:
                return Outcome.UNCHANGED
            return Outcome.UPDATED if _links_into(self.path, self.owned_under) else Outcome.SKIPPED
        return Outcome.SKIPPED if self.path.exists() else Outcome.CREATED

    def apply(self) -> Outcome:
        outcome = self.preview()
        if outcome in (Outcome.CREATED, Outcome.UPDATED):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.unlink(missing_ok=True)
            self.path.symlink_to(self.points_to)
        return outcome


def _links_into(link: Path, folder: Path) -> bool:
    try:
        return link.is_symlink() and Path(os.readlink(link)).is_relative_to(folder)
    except OSError:
        return False


@dataclass(frozen=True, slots=True)
class RemovePath:
    """Remove a file, a symlink we own, or (tree=True) a whole directory."""

    path: Path
    what: str = "file"
    tree: bool = False
    only_if_links_into: Path | None = None  # for the PATH symlink: leave other people's alone

    @property
    def target(self) -> str:
        return str(self.path)

    def preview(self) -> Outcome:
        if not (self.path.exists() or self.path.is_symlink()):
            return Outcome.ABSENT
        if self.only_if_links_into and not _links_into(self.path, self.only_if_links_into):
            return Outcome.SKIPPED
        return Outcome.REMOVED

    def apply(self) -> Outcome:
        outcome = self.preview()
        if outcome is Outcome.REMOVED:
            if self.tree and self.path.is_dir() and not self.path.is_symlink():
                shutil.rmtree(self.path)
            else:
                self.path.unlink()
        return outcome


@dataclass(frozen=True, slots=True)
class RemoveEmptyDir:
    """Remove a folder left empty; `ignoring` lists entries earlier actions of the plan remove,
    so a dry run can say what the real run will do."""

    path: Path
    ignoring: frozenset[Path] = frozenset()
    what: str = "dir"

    @property
    def target(self) -> str:
        return str(self.path)

    def preview(self) -> Outcome:
        if not self.path.is_dir() or self.path.is_symlink():
            return Outcome.ABSENT
        left = [c for c in self.path.iterdir() if c not in self.ignoring]
        return Outcome.SKIPPED if left else Outcome.REMOVED

    def apply(self) -> Outcome:
        if not self.path.is_dir() or self.path.is_symlink():
            return Outcome.ABSENT
        if any(self.path.iterdir()):
            return Outcome.SKIPPED
        self.path.rmdir()
        return Outcome.REMOVED


@dataclass(frozen=True, slots=True)
class RegistryValue:
    store: RegistryStore
    key: str
    value: str
    what: str = "registry"

    @property
    def target(self) -> str:
        return f"{self.store.describe(self.key)} (default) = {self.value}"

    def preview(self) -> Outcome:
        current = self.store.get_default(self.key)
        if current is None:
            return Outcome.CREATED
        return Outcome.UNCHANGED if current == self.value else Outcome.UPDATED

    def apply(self) -> Outcome:
        outcome = self.preview()
        if outcome is not Outcome.UNCHANGED:
            self.store.set_default(self.key, self.value)
        return outcome


@dataclass(frozen=True, slots=True)
class RemoveRegistryKey:
    store: RegistryStore
    key: str
    what: str = "registry"

    @property
    def target(self) -> str:
        return self.store.describe(self.key)

    def preview(self) -> Outcome:
        return Outcome.ABSENT if self.store.get_default(self.key) is None else Outcome.REMOVED

    def apply(self) -> Outcome:
        return Outcome.REMOVED if self.store.delete(self.key) else Outcome.ABSENT


@dataclass(frozen=True, slots=True)
class AllowExtensionIds:
    """Record the ids in `host.allowed_extensions` (merged: ids the user added stay)."""

    ids: tuple[str, ...]
    what: str = "config"

    @property
    def target(self) -> str:
        from sentinelx import config

        return f"{config.config_path()}: host.allowed_extensions += {', '.join(self.ids)}"

    def _merged(self) -> tuple[str, str]:
        from sentinelx import config

        current = str(config.get("host.allowed_extensions") or "")
        have = [p for p in current.split(",") if p]
        merged = have + [i for i in self.ids if i not in have]
        return current, ",".join(merged)

    def preview(self) -> Outcome:
        from sentinelx import config

        current, merged = self._merged()
        if current != merged:
            return Outcome.UPDATED if config.config_path().exists() else Outcome.CREATED
        return Outcome.UNCHANGED

    def apply(self) -> Outcome:
        from sentinelx import config

        outcome = self.preview()
        if outcome is not Outcome.UNCHANGED:
            config.set_value("host.allowed_extensions", self._merged()[1])
        return outcome


Action = (
    WriteFile | Symlink | RemovePath | RemoveEmptyDir | RegistryValue | RemoveRegistryKey
    | AllowExtensionIds
)
