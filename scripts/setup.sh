#!/usr/bin/env bash
# Create (or update) the project's virtual environment in .venv; `--dev` adds the test tools and Boltz (.boltz-venv).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
requirements=requirements.txt
[[ "${1:-}" == "--dev" ]] && requirements=requirements-dev.txt

"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "OMTX-Hub needs Python 3.11 or newer (found $("$PYTHON" --version))." >&2; exit 1; }
[[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r "$requirements"
# 3Dmol.js for the offline 3D viewer, from the npm registry (never committed).
bash scripts/setup_3dmol.sh
# The tests run the real Boltz (tests/boltz_real, marker `boltz`): once, about 1.5 min and 6 GB with PyTorch.
if [[ "${1:-}" == "--dev" ]]; then
  bash scripts/install_boltz.sh
fi
