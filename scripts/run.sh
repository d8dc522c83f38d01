#!/usr/bin/env bash
# Install the app's packages into .venv and run the app with the shipped model.
#   bash scripts/run.sh                    # http://localhost:8501
#   bash scripts/run.sh -- --classroom     # arguments after -- go to the app
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh requirements.txt
exec "$PY" -m streamlit run app.py "$@"
