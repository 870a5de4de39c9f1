#!/usr/bin/env bash
# Set up and start the app on the embedded default (SQLite job store, worker inside the app); args go to streamlit.
# On a machine with an NVIDIA GPU (or with OMTX_INSTALL_BOLTZ=1) it also installs Boltz into its own virtual
# environment, .boltz-venv/ (its numpy and gemmi pins clash with the app's), and points the local engine at it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

want_boltz="${OMTX_INSTALL_BOLTZ:-auto}"
if [[ "$want_boltz" == auto ]]; then
  want_boltz=0
  command -v nvidia-smi > /dev/null && nvidia-smi -L > /dev/null 2>&1 && want_boltz=1
fi
if [[ -z "${OMTX_BOLTZ_COMMAND:-}" && "$want_boltz" == 1 ]]; then
  bash scripts/install_boltz.sh
  export OMTX_BOLTZ_COMMAND="$PWD/.boltz-venv/bin/boltz"
fi
exec .venv/bin/streamlit run app.py "$@"
