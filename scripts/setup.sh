#!/usr/bin/env bash
# Create .venv and install the Python and node packages the portal and its tests need.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements.txt
if [ -f package-lock.json ] && command -v npm >/dev/null; then
  npm ci --silent --no-audit --no-fund
fi
