#!/usr/bin/env bash
# Set up and run every test: system packages (when missing), the virtual environment, lint and format, then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system_packages.sh
bash scripts/setup.sh --dev
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest "$@"
