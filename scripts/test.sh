#!/usr/bin/env bash
# Set up everything the tests need on a fresh Debian machine, then lint, type-check and test.
# This is the README's test command; CI (.ci/run) runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONDONTWRITEBYTECODE=1

# 1. A virtual environment with the pinned requirements (torch 2.13.0 is the CPU wheel here).
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt

# 2. Debian's chromium for the real-browser tests (never `playwright install`).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null
  elif command -v sudo >/dev/null; then
    sudo apt-get update -qq && sudo apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "note: /usr/bin/chromium is missing and cannot be installed: browser tests will skip" >&2
  fi
fi

# 3. Lint, format check, types.
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy

# 4. Every test (unit, AppTest, browser, slow). Extra arguments go to pytest.
.venv/bin/python -m pytest "$@"
