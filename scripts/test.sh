#!/usr/bin/env bash
# Run the whole test suite (SQLite unless DATABASE_URL is set). Extra arguments go to pytest.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
.venv/bin/python -m ruff check . || exit 1
# The layer contract (pyproject.toml, [tool.importlinter]): no app imports an app above it.
.venv/bin/lint-imports --no-cache || exit 1
.venv/bin/python -m pytest "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: failing" >&2
  exit 1
fi
exit "$rc"
