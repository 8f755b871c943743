"""What install and uninstall would change, computed without changing anything.

`build_install` / `build_uninstall` return a Plan (a list of actions plus notices); `execute`
applies it, or only previews it for --dry-run.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sentinelx.extension_ids import CHROME_EXTENSION_ID, GECKO_EXTENSION_ID
from sentinelx.install import browsers, launcher, manifests, venv
from sentinelx.install.actions import (
    WOULD,
    Action,
    AllowExtensionIds,
    Outcome,
    RegistryValue,
    RemoveEmptyDir,
    RemovePath,
    RemoveRegistryKey,
    Symlink,
    WriteFile,
)
from sentinelx.install.browsers import Browser, Machine
from sentinelx.install.winreg_store import RegistryStore


class PlanError(ValueError):
    """Options that cannot work together; the message is one line for the user."""


@dataclass(frozen=True, slots=True)
class Options:
    browsers: tuple[str, ...] = ()  # empty: every browser found
    system: bool = False
    manifest_dir: Path | None = None  # write just this one manifest (+ launcher) here
    launcher_python: Path | None = None  # default: the interpreter running the installer
    launcher_dir: Path | None = None
    chrome_id: str = CHROME_EXTENSION_ID
    gecko_id: str = GECKO_EXTENSION_ID
    shim: bool = True
    record_config: bool = True
    purge: bool = False
    keep_venv: bool = False


@dataclass(frozen=True, slots=True)
class Dirs:
    """Where SentinelX's own files go (from sentinelx.paths unless a test says otherwise)."""

    data: Path
    config: Path
    cache: Path
    log: Path

    @classmethod
    def current(cls) -> Dirs:
        from sentinelx import paths

        return cls(paths.data_dir(), paths.config_dir(), paths.cache_dir(), paths.log_dir())


@dataclass(frozen=True, slots=True)
class Target:
    browser: Browser
    manifest: Path
    registry_key: str | None = None  # Windows: HKCU/HKLM key whose default value is `manifest`


@dataclass(frozen=True, slots=True)
class Plan:
    actions: tuple[Action, ...]
    targets: tuple[Target, ...]
    notices: tuple[str, ...]
    launcher: Path


def launcher_path(machine: Machine, dirs: Dirs, opts: Options) -> Path:
    folder = opts.launcher_dir or opts.manifest_dir or dirs.data
    return folder / launcher.filename(machine.os)


def target_for(
    browser: Browser, machine: Machine, dirs: Dirs, system: bool = False,
    manifest_dir: Path | None = None,
) -> Target:
    if manifest_dir is not None:
        return Target(browser, manifest_dir / browsers.manifest_filename())
    if machine.os == "windows":
        # Any folder works on Windows; the registry says where. One file per browser keeps
        # `doctor` and uninstall uniform.
        return Target(browser, dirs.data / "manifests" / f"{browser.name}.json",
                      browsers.registry_key(browser))
    folder = browsers.manifest_dir(browser, machine, system)
    assert folder is not None
    return Target(browser, folder / browsers.manifest_filename())


def _chosen(names: tuple[str, ...]) -> list[Browser]:
    try:
        return list(dict.fromkeys(browsers.get(n) for n in names))
    except ValueError as e:
        raise PlanError(str(e)) from e


def _registry(machine: Machine, system: bool, registry: RegistryStore | None) -> RegistryStore:
    if registry is not None:
        return registry
    if machine.os != "windows":
        raise PlanError("a registry is only used on Windows")
    return RegistryStore.native(system)


def build_install(
    machine: Machine, dirs: Dirs, opts: Options, registry: RegistryStore | None = None
) -> Plan:
    notices: list[str] = []
    if opts.manifest_dir is not None:
        chosen = _chosen(opts.browsers)
        if len(chosen) != 1:
            raise PlanError("--manifest-dir needs exactly one --browser (the file name is shared)")
        targets = [target_for(chosen[0], machine, dirs, manifest_dir=opts.manifest_dir)]
    else:
        wanted = _chosen(opts.browsers) if opts.browsers else list(browsers.BROWSERS)
        targets = []
        for b in wanted:
            det = browsers.detect(b, machine)
            if det.sandboxed:
                advice = browsers.sandbox_advice(det)
                if det.sandbox_only and opts.browsers:
                    advice += " The manifest is written anyway because you named this browser."
                notices.append(advice)
            if det.native or opts.browsers:
                targets.append(target_for(b, machine, dirs, opts.system))
        if not targets:
            notices.append(
                "No browser that can run SentinelX was found. Install one of: "
                + ", ".join(b.label for b in browsers.BROWSERS)
                + "; or name it with --browser NAME (" + ", ".join(browsers.BY_NAME) + ")."
            )

    python = opts.launcher_python or Path(sys.executable)
    # absolute() but not resolve(): a venv's bin/python is a symlink that must stay a venv path.
    python = python if python.is_absolute() else python.absolute()
    launch = launcher_path(machine, dirs, opts)
    actions: list[Action] = [
        WriteFile(launch, launcher.render(python, machine.os), 0o755, "launcher")
    ]
    for t in targets:
        text = manifests.render(
            manifests.build(t.browser.family, launch, opts.chrome_id, opts.gecko_id)
        )
        actions.append(WriteFile(t.manifest, text, 0o644, f"manifest {t.browser.name}"))
        if t.registry_key is not None:
            store = _registry(machine, opts.system, registry)
            actions.append(RegistryValue(store, t.registry_key, str(t.manifest)))
    if opts.record_config:
        actions.append(AllowExtensionIds((opts.chrome_id, opts.gecko_id)))
    shim = _shim(machine, dirs, opts, python)
    if shim is not None:
        actions.append(shim)
    return Plan(tuple(actions), tuple(targets), tuple(notices), launch)


def _shim(machine: Machine, dirs: Dirs, opts: Options, python: Path) -> Symlink | None:
    """~/.local/bin/sentinelx -> the venv's command, so the printed `sentinelx doctor` works.

    Only for the real install (a Python inside the data dir's venv), only on Linux/macOS, and
    only when ~/.local/bin exists or is on PATH: we do not invent PATH entries.
    """
    if not opts.shim or opts.manifest_dir is not None or machine.os == "windows":
        return None
    if not python.is_relative_to(venv.venv_dir(dirs.data)):
        return None
    bin_dir = machine.home / ".local" / "bin"
    on_path = str(bin_dir) in machine.env.get("PATH", "").split(":")
    if not (bin_dir.is_dir() or on_path):
        return None
    return Symlink(bin_dir / "sentinelx", python.parent / "sentinelx", dirs.data)


def _safe_tree(path: Path, machine: Machine) -> bool:
    """Never rmtree home, /, or anything that contains home (a bad *_DIR override)."""
    p = path.absolute()
    return len(p.parts) > 2 and p != machine.home and not machine.home.is_relative_to(p)


def build_uninstall(
    machine: Machine, dirs: Dirs, opts: Options, registry: RegistryStore | None = None
) -> Plan:
    notices: list[str] = []
    actions: list[Action] = []
    launch = launcher_path(machine, dirs, opts)
    if opts.manifest_dir is not None:
        chosen = _chosen(opts.browsers) if opts.browsers else [browsers.get("chromium")]
        t = target_for(chosen[0], machine, dirs, manifest_dir=opts.manifest_dir)
        actions += [RemovePath(t.manifest, f"manifest {t.browser.name}"),
                    RemovePath(launch, "launcher")]
        return Plan(tuple(actions), (t,), (), launch)

    partial = bool(opts.browsers)
    wanted = _chosen(opts.browsers) if partial else list(browsers.BROWSERS)
    targets = [target_for(b, machine, dirs, opts.system) for b in wanted]
    for t in targets:
        if t.registry_key is not None:
            store = _registry(machine, opts.system, registry)
            actions.append(RemoveRegistryKey(store, t.registry_key))
        actions.append(RemovePath(t.manifest, f"manifest {t.browser.name}"))
        if t.registry_key is None:  # the NativeMessagingHosts folder, if we left it empty
            actions.append(RemoveEmptyDir(t.manifest.parent, frozenset({t.manifest})))
    if partial:
        notices.append("The launcher and venv stay: other browsers may still use them.")
        return Plan(tuple(actions), tuple(targets), tuple(notices), launch)

    actions.append(RemovePath(launch, "launcher"))
    manifests_dir = dirs.data / "manifests"
    if machine.os == "windows":
        actions.append(RemoveEmptyDir(manifests_dir, frozenset(t.manifest for t in targets)))
    else:
        bin_link = machine.home / ".local" / "bin" / "sentinelx"
        actions.append(RemovePath(bin_link, "command", only_if_links_into=dirs.data))
    the_venv = venv.venv_dir(dirs.data)
    gone = {launch, manifests_dir}
    if opts.keep_venv:
        notices.append(f"Kept the venv {the_venv} (--keep-venv).")
    elif machine.os == "windows" and venv.is_inside(the_venv):
        notices.append(f"Windows cannot delete the running venv {the_venv}; "
                       "install\\install.ps1 -Uninstall removes it after this command exits.")
    else:
        actions.append(RemovePath(the_venv, "venv", tree=True))
        gone.add(the_venv)
    if opts.purge:
        for folder, what in ((dirs.config, "config"), (dirs.cache, "cache"),
                             (dirs.log, "logs"), (dirs.data, "data")):
            if not _safe_tree(folder, machine):
                notices.append(f"Not removing {folder}: it is or contains your home folder.")
            elif the_venv not in gone and the_venv.is_relative_to(folder):
                # Windows keeps config, data and the running venv in one folder.
                notices.append(f"Not removing {folder} yet: it holds the kept venv.")
            else:
                actions.append(RemovePath(folder, what, tree=True))
                # platformdirs nests some dirs (Linux logs: $XDG_STATE_HOME/sentinelx/log).
                if folder.parent.name.lower() == "sentinelx" and _safe_tree(folder.parent, machine):
                    actions.append(RemoveEmptyDir(folder.parent, frozenset({folder})))
    else:
        actions.append(RemoveEmptyDir(dirs.data, frozenset(gone)))
        kept = kept_folders(dirs, frozenset(gone))
        if kept:
            listed = "; ".join(f"{what}: {folder}" for folder, what in kept)
            notices.append(f"Kept {listed}. To delete them too, run: {purge_command(machine)}")
    return Plan(tuple(actions), tuple(targets), tuple(notices), launch)


def kept_folders(dirs: Dirs, gone: frozenset[Path]) -> list[tuple[Path, str]]:
    """The folders a plain uninstall leaves behind, each with what it holds."""
    out: list[tuple[Path, str]] = []
    for folder, what in ((dirs.config, "settings and API keys"), (dirs.cache, "the lookup cache"),
                         (dirs.log, "logs"), (dirs.data, "data")):
        if folder in (f for f, _ in out) or not folder.is_dir():
            continue
        if folder == dirs.data and not [c for c in folder.iterdir() if c not in gone]:
            continue  # only what this uninstall removes: the folder goes too
        out.append((folder, what))
    return out


def purge_command(machine: Machine) -> str:
    """A purge command that still works once the venv is gone: install.sh passes its own path;
    otherwise the clone's script (the venv's `sentinelx` is removed by the uninstall)."""
    installer = machine.env.get("SENTINELX_INSTALLER", "")
    if installer.endswith(".ps1"):
        return f"{installer} -Uninstall -Purge"
    if installer:
        return f"{installer} --uninstall --purge"
    return "./install/install.sh --uninstall --purge (from your SentinelX clone)"


def register_into_dir(
    browser: str, manifest_dir: Path, launcher_python: Path | None = None,
    chrome_id: str = CHROME_EXTENSION_ID, gecko_id: str = GECKO_EXTENSION_ID,
) -> Path:
    """Register the host for one browser in `manifest_dir` only (a test profile's
    NativeMessagingHosts folder): the manifest plus its launcher, nothing else. Returns the
    manifest path. This is `sentinelx install --browser B --manifest-dir D --no-config`."""
    opts = Options(browsers=(browser,), manifest_dir=manifest_dir,
                   launcher_python=launcher_python, chrome_id=chrome_id, gecko_id=gecko_id,
                   record_config=False, shim=False)
    the_plan = build_install(Machine.current(), Dirs.current(), opts)
    failed = [r for r in execute(the_plan, echo=lambda _: None) if r.outcome is None]
    if failed:
        raise OSError(f"cannot write {failed[0].action.target}: {failed[0].error}")
    return the_plan.targets[0].manifest


@dataclass(frozen=True, slots=True)
class Result:
    action: Action
    outcome: Outcome | None  # None: it failed
    error: str = ""


def execute(
    plan: Plan, dry_run: bool = False, echo: Callable[[str], None] = print
) -> list[Result]:
    """Apply (or preview) every action; one failure does not stop the others."""
    results: list[Result] = []
    for action in plan.actions:
        try:
            outcome = action.preview() if dry_run else action.apply()
        except (OSError, ValueError) as e:
            results.append(Result(action, None, str(e)))
            echo(f"  {'FAILED':<13} {action.what:<18} {action.target}: {e}")
            continue
        results.append(Result(action, outcome))
        if isinstance(action, RemoveEmptyDir) and outcome is Outcome.ABSENT:
            continue  # a folder that was never there is not worth a line
        word = WOULD.get(outcome, str(outcome)) if dry_run else str(outcome)
        echo(f"  {word:<13} {action.what:<18} {action.target}")
        if dry_run and isinstance(action, WriteFile) and outcome in WOULD:
            for line in action.content.splitlines():
                echo(f"  {'':<13} | {line}")
    return results
