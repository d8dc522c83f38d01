# Sourced by scripts/run.sh and scripts/test.sh: a virtual environment in .venv with the
# given requirements installed, so the commands work where the system Python refuses a
# bare `pip install` (Debian/Ubuntu's "externally managed" Python). Packages the system
# Python already has at the pinned versions are reused (--system-site-packages).
# Usage: . scripts/venv.sh requirements.txt   → sets $PY to the environment's python.
set -euo pipefail
requirements="$1"
if [ ! -x .venv/bin/python ]; then
  if ! python3 -m venv --system-site-packages .venv 2>/dev/null; then
    rm -rf .venv
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "Installing Debian's python3-venv (needed to make .venv)…" >&2
      (apt-get update -qq && apt-get install -y -qq python3-venv) >/dev/null
      python3 -m venv --system-site-packages .venv
    else
      echo "error: python3 cannot make a virtual environment; run 'sudo apt-get install -y python3-venv' and try again." >&2
      exit 1
    fi
  fi
fi
PY="$PWD/.venv/bin/python"
"$PY" -m pip install -q --disable-pip-version-check -r "$requirements"
