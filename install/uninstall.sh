#!/usr/bin/env bash
# Removes SentinelX: manifests, launcher, ~/.local/bin link and venv. Keeps settings, API key,
# cache and logs unless --purge is given. Same as ./install/install.sh --uninstall.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/install.sh" --uninstall "$@"
