#!/usr/bin/env bash
# Several servers, one truth: two gunicorn app servers and two render workers against one
# PostgreSQL database (ita_multi), one Redis (DB 11 of 127.0.0.1:6379) and one S3 endpoint
# (moto_server on 127.0.0.1), driven over HTTP by benchmarks/multi_server.py, which prints the
# timings and stops everything it started on exit. Needs PostgreSQL and Redis running (.ci/run
# starts both). Override with MULTI_DATABASE_URL, MULTI_REDIS_URL.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
exec "$PY" benchmarks/multi_server.py "$@"
