#!/usr/bin/env bash
# A background worker for PDF rendering: django-tasks-db's db_worker, recycled after
# WORKER_MAX_TASKS jobs (a fresh process, so memory that WeasyPrint or fontconfig keeps never
# accumulates), with the stale-job sweeper run between two lives. Run N of these for N workers:
#
#   bash scripts/worker.sh                    # one worker, forever (stop: Ctrl-C or SIGTERM)
#   WORKER_MAX_TASKS=50 WORKER_NICE=10 bash scripts/worker.sh
#   bash scripts/worker.sh --batch            # render what is queued, then exit (benchmarks, cron)
#
# Environment: the app's own (DATABASE_URL, MEDIA_ROOT or AWS_STORAGE_BUCKET_NAME, …) plus
#   WORKER_MAX_TASKS  jobs per process before it is replaced (default 100)
#   WORKER_NICE       CPU niceness, so renders yield to web requests on a shared host (default 10)
#   WORKER_IDLE       1 (default): run under SCHED_IDLE (chrt --idle), so a render only gets CPU
#                     that no web request wants; niceness alone still let renders add ~100 ms to
#                     the web p95 on a 2-core host (docs/performance.md). 0 on a dedicated host
#   WORKER_INTERVAL   seconds between polls of an empty queue (default 1)
#   PYTHON            interpreter (default .venv/bin/python, else python3)
# Each render runs in a child with REPORT_RENDER_TIMEOUT seconds and REPORT_RENDER_MEMORY_MB.
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
MAX="${WORKER_MAX_TASKS:-100}"
NICE="${WORKER_NICE:-10}"
INTERVAL="${WORKER_INTERVAL:-1}"
BATCH=""
SCHED=()
if [ "${WORKER_IDLE:-1}" = 1 ] && command -v chrt >/dev/null; then SCHED=(chrt --idle 0); fi
[ "${1:-}" = "--batch" ] && BATCH="--batch"

child=""
stop() {
  [ -n "$child" ] && kill -TERM "$child" 2>/dev/null && wait "$child"
  exit 0
}
trap stop TERM INT

while true; do
  "${SCHED[@]}" nice -n "$NICE" "$PY" manage.py db_worker --no-reload --max-tasks "$MAX" --interval "$INTERVAL" \
    --worker-id "$(hostname | cut -c1-30)-$$-$(date +%s%N)" $BATCH &
  child=$!
  wait "$child"
  rc=$?
  child=""
  "$PY" manage.py sweep_render_jobs -v0 >/dev/null || true
  if [ -n "$BATCH" ]; then
    # --batch exits when the queue is empty or after MAX jobs: go on only while jobs remain.
    # Only a bare number counts (a warning printed by the shell must not break the test).
    left=$("$PY" manage.py shell -v0 -c "from django_tasks_db.models import DBTaskResult as T; print(T.objects.ready().count())" 2>/dev/null | grep -E '^[0-9]+$' | tail -n1)
    [ "${left:-0}" -gt 0 ] || exit "$rc"
  elif [ "$rc" -ne 0 ]; then
    sleep 5  # crashed (database down?): do not spin
  fi
done
