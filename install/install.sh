#!/usr/bin/env bash
# SentinelX installer for Linux and macOS: the README's install command.
#
#   ./install/install.sh [--browser NAME]... [--system] [--dry-run] [--uninstall [--purge]]
#
# 1. finds a Python >= 3.11 (or the one in $SENTINELX_PYTHON);
# 2. creates a private venv in the user data dir and installs this clone into it (a copy, not
#    editable, so the clone may move or be deleted afterwards);
# 3. runs `<venv>/bin/sentinelx install "$@"`, which writes the launcher, a host manifest per
#    browser found and the config; see `sentinelx install --help` for every option.
# Running it again changes nothing unless the source changed.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

say() { printf '%s\n' "$*"; }
die() { printf 'install.sh: error: %s\n' "$*" >&2; exit 1; }

uninstall=0
dry_run=0
for arg in "$@"; do
  case "$arg" in
    --uninstall) uninstall=1 ;;
    --dry-run) dry_run=1 ;;
    -h|--help)
      sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0 ;;
  esac
done

# --- where things go: the same folder platformdirs.user_data_dir("sentinelx") gives ------------
data_home() {
  if [ -n "${SENTINELX_DATA_DIR:-}" ]; then
    printf '%s\n' "$SENTINELX_DATA_DIR"
  elif [ "$(uname -s)" = Darwin ]; then
    printf '%s\n' "$HOME/Library/Application Support/sentinelx"
  else
    local xdg="${XDG_DATA_HOME:-}"
    case "$xdg" in /*) ;; *) xdg="$HOME/.local/share" ;; esac  # XDG: relative means unset
    printf '%s\n' "$xdg/sentinelx"
  fi
}
data_dir=$(data_home)
venv="$data_dir/venv"
venv_py="$venv/bin/python"

# --- uninstall: the installed command does it (and removes its own venv) -----------------------
# SENTINELX_INSTALLER lets it print commands that still work once its venv is gone.
export SENTINELX_INSTALLER="$repo/install/install.sh"
uninstall_args=()
for arg in "$@"; do [ "$arg" = --uninstall ] || uninstall_args+=("$arg"); done
if [ "$uninstall" = 1 ] && [ -x "$venv/bin/sentinelx" ]; then
  # ${a[@]+...}: macOS's bash 3.2 calls an empty array unbound under set -u.
  exec "$venv/bin/sentinelx" uninstall ${uninstall_args[@]+"${uninstall_args[@]}"}
fi

# --- 1. a Python >= 3.11 ---------------------------------------------------------------------
version_ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }
python=""
for cand in ${SENTINELX_PYTHON:-} python3.14 python3.13 python3.12 python3.11 python3; do
  if command -v "$cand" >/dev/null 2>&1 && version_ok "$cand"; then
    python=$(command -v "$cand"); break
  fi
done
if [ -z "$python" ]; then
  die "SentinelX needs Python 3.11 or newer. Install it (Debian/Ubuntu: sudo apt-get install python3; macOS: brew install python@3.12), or point SENTINELX_PYTHON at one."
fi
pyver=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

# Run this clone's own code with $python (for a dry run, or an uninstall once the venv is gone):
# it needs only platformdirs, from $python itself or a throw-away venv. Sets runner=(...).
clone_runner() {
  if "$python" -c 'import platformdirs' >/dev/null 2>&1; then
    runner=(env "PYTHONPATH=$repo/host" "$python" -m sentinelx)
    return
  fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  "$python" -m venv "$tmp/venv"
  "$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check platformdirs
  runner=(env "PYTHONPATH=$repo/host" "$tmp/venv/bin/python" -m sentinelx)
}

# --- uninstall with no venv left (a plain uninstall already ran): purge and leftovers still work
if [ "$uninstall" = 1 ]; then
  say "SentinelX is not installed in $venv; looking for what is left." >&2
  clone_runner
  exec "${runner[@]}" uninstall ${uninstall_args[@]+"${uninstall_args[@]}"}
fi

# Debian and Ubuntu split venv/ensurepip into python3-venv: say so instead of failing obscurely.
if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  die "$python has no working 'venv' module. On Debian/Ubuntu run: sudo apt-get install python3-venv   (or python${pyver}-venv), then run this script again."
fi

# --- 2. the private venv -----------------------------------------------------------------------
# A hash of the sources (and the interpreter) decides whether the venv needs a re-install.
sha256() { if command -v sha256sum >/dev/null 2>&1; then sha256sum; else shasum -a 256; fi; }
source_stamp() {
  (
    cd "$repo"
    printf '%s\n' "$python $pyver"
    find host pyproject.toml README.md -type f ! -path '*/__pycache__/*' ! -path '*.egg-info/*' \
      | LC_ALL=C sort | while IFS= read -r f; do sha256 <"$f"; done
  ) | sha256 | cut -d' ' -f1
}
stamp_file="$venv/.sentinelx-source.sha256"
stamp=$(source_stamp)

if [ "$dry_run" = 1 ]; then
  if [ -x "$venv_py" ] && [ "$(cat "$stamp_file" 2>/dev/null)" = "$stamp" ]; then
    say "  unchanged     venv               $venv"
    runner=("$venv_py" -m sentinelx)
  else
    say "  would create  venv               $venv (pip install $repo)"
    # Plan with this clone's code: nothing is written in the user's folders.
    clone_runner
  fi
  "${runner[@]}" install --launcher-python "$venv_py" --extension-dir "$repo/extension" "$@"
  exit $?
fi

if [ -x "$venv_py" ] && [ "$(cat "$stamp_file" 2>/dev/null)" = "$stamp" ]; then
  say "  unchanged     venv               $venv"
else
  if [ -d "$venv" ] && ! [ -x "$venv_py" ]; then
    rm -rf "$venv"  # a half-made venv from an interrupted run
  fi
  say "  creating      venv               $venv (Python $pyver; pip install, about a minute)"
  mkdir -p "$data_dir"
  "$python" -m venv "$venv"
  # Build from a copy: pip's in-tree build would leave build/ and *.egg-info in the clone.
  src=$(mktemp -d)
  trap 'rm -rf "$src"' EXIT
  cp -R "$repo/host" "$repo/pyproject.toml" "$repo/README.md" "$src/"
  rm -rf "$src/host/"*.egg-info
  "$venv_py" -m pip install --quiet --disable-pip-version-check "$src" \
    || die "pip could not install SentinelX into $venv (see the messages above)"
  printf '%s\n' "$stamp" >"$stamp_file"
fi

# --- 3. launcher, manifests, config: the package does the rest ---------------------------------
exec "$venv/bin/sentinelx" install --extension-dir "$repo/extension" "$@"
