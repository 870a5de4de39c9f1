#!/usr/bin/env bash
# Install Boltz 2.2.1 into its own virtual environment, .boltz-venv/ (once; several GB with PyTorch).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -x .boltz-venv/bin/boltz ]]; then
  echo "Installing Boltz 2.2.1 into .boltz-venv (several GB with PyTorch; once)..."
  "${PYTHON:-python3}" -m venv .boltz-venv
  .boltz-venv/bin/python -m pip install --quiet --upgrade pip
  .boltz-venv/bin/python -m pip install --quiet "boltz==2.2.1"
fi
