#!/usr/bin/env bash
# Install everything the tests need (packages into .venv; as root also Debian's chromium
# and PostgreSQL), lint, and run the tests. Arguments go to pytest.
# MNIST: $MNIST_NPZ if set, else ../shared/data/mnist.npz if present, else Keras's download.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh requirements-dev.txt
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null
  else
    echo "chromium missing: run 'sudo apt-get install -y chromium' (browser tests will be skipped)" >&2
  fi
fi
if [ -f scripts/start_postgres.sh ]; then
  # Prints DIGIT_STUDIO_TEST_POSTGRES_URL=… when a server could be started (root), else a reason.
  eval "$(bash scripts/start_postgres.sh)" || true
fi
if [ -z "${MNIST_NPZ:-}" ] && [ -f ../shared/data/mnist.npz ]; then
  export MNIST_NPZ="$(cd .. && pwd)/shared/data/mnist.npz"
fi
if [ -z "${DIGIT_STUDIO_REAL_DATA:-}" ] && [ -f ../shared/data/real_handwriting.npz ]; then
  export DIGIT_STUDIO_REAL_DATA="$(cd .. && pwd)/shared/data/real_handwriting.npz"
fi
export TF_CPP_MIN_LOG_LEVEL=2
# ruff is a binary: the environment's own, or the one its system packages put on PATH
"$(ls .venv/bin/ruff 2>/dev/null || command -v ruff)" check .
"$PY" -m pytest -q -m "not ray" "$@"
# The Ray tests start a Ray head of their own. Ray advertises the machine's address even when
# told 127.0.0.1, so they run in a network namespace that holds only loopback (root: unshare -n).
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 && unshare -n true 2>/dev/null; then
  unshare -n sh -c 'ip link set lo up && exec "$0" -m pytest -q -m ray tests/test_ray.py' "$PY"
else
  echo "!!! Ray tests NOT RUN: they need root and 'unshare -n' (a loopback-only network namespace)." >&2
fi
