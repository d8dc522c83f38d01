#!/usr/bin/env bash
# Install everything the tests need (Python packages, Debian's chromium) and run them.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -r requirements-dev.txt
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null
  else
    echo "chromium missing: run 'sudo apt-get install -y chromium' (browser tests will be skipped)" >&2
  fi
fi
export MNIST_NPZ="${MNIST_NPZ:-$(cd .. && pwd)/shared/data/mnist.npz}"
export TF_CPP_MIN_LOG_LEVEL=2
python3 -m pytest -q "$@"
