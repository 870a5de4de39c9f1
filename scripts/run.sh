#!/usr/bin/env bash
# Set up and start the app on the embedded default (SQLite job store, local worker); extra args go to streamlit.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/streamlit run app.py "$@"
