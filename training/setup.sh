#!/usr/bin/env bash
# Creates training/.venv with the pinned training dependencies (idempotent).
# Usage: bash training/setup.sh [--force]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"

if [[ "${1:-}" == "--force" ]]; then rm -rf "$venv"; fi

stamp="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

"$python" - <<'PY'
import sys
if sys.version_info[:2] < (3, 11):
    sys.exit(f"training needs Python >= 3.11 (found {sys.version.split()[0]}); set PYTHON=/path/to/python3.11")
PY

echo "[setup] creating $venv" >&2
"$python" -m venv "$venv"
findlinks=()
if [[ -d /opt/wheels ]]; then findlinks=(--find-links /opt/wheels); fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "${findlinks[@]}" -r "$here/requirements.txt"
echo "$want" >"$stamp"
echo "[setup] ok: $("$venv/bin/python" --version)" >&2
