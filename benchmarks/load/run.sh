#!/usr/bin/env bash
# Open-loop load test of the portal on PostgreSQL with synthetic data (docs/performance.md).
#
#   export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ita_scale     # filled by generate_synthetic
#   bash benchmarks/load/run.sh 50                 # 50 req/s for 60 s
#   WITH_WORKERS=2 bash benchmarks/load/run.sh 50  # the same while 2 workers render reports
#   bash benchmarks/load/run.sh 50 100 150 200     # a ramp: one 60 s step per rate
#   WARMUP=0 bash benchmarks/load/run.sh 50        # include the cold start (default: 30 s warm-up)
#
# Starts gunicorn on 127.0.0.1:$PORT (GUNICORN_WORKERS sync workers), logs in USERS users of
# different agencies (and oversight users) with locust, spreads RATE req/s over them, resets the
# statistics once every user is logged in, measures DURATION seconds, prints one line per rate
# and keeps locust's CSV files in $OUT. Only loopback is used. Needs locust (LOCUST=path; see
# benchmarks/load/requirements.txt, installed in its own virtualenv).
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${DATABASE_URL:?set DATABASE_URL to the scale database (never the project db.sqlite3)}"
PY="${PYTHON:-.venv/bin/python}"; [ -x "$PY" ] || PY=python3
GUNICORN="${GUNICORN:-$(dirname "$PY")/gunicorn}"
LOCUST="${LOCUST:-locust}"
PORT="${PORT:-8100}"
DURATION="${DURATION:-60}"
USERS="${USERS:-100}"
SPAWN="${SPAWN:-5}"
GUNICORN_WORKERS="${GUNICORN_WORKERS:-5}"
WITH_WORKERS="${WITH_WORKERS:-0}"
OUT="${OUT:-/tmp/ita-load}"
mkdir -p "$OUT"

export DEBUG=0 SECRET_KEY="${SECRET_KEY:-load-test-key-not-secret-0123456789abcdefghijklmnopqrstuvwxyz}"
export ALLOWED_HOSTS=127.0.0.1,localhost SECURE_SSL_REDIRECT=0 SESSION_COOKIE_SECURE=0 CSRF_COOKIE_SECURE=0
export SECURE_HSTS_SECONDS=0 OVERSIGHT_INCLUDE_SYNTHETIC=1 LOG_LEVEL=ERROR
export STATIC_ROOT="${STATIC_ROOT:-/tmp/ita-scale-static}" MEDIA_ROOT="${MEDIA_ROOT:-/tmp/ita-scale-media}"
export AXES_FAILURE_LIMIT=1000
# The app servers share one cache, as in production (docs/scale-out.md); emptied for each run.
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/1}"
"$PY" manage.py shell -v0 -c "from django.core.cache import cache; cache.clear()"

# A shared machine: say so when something else is already busy (figures then understate capacity).
read -r load1 _ < /proc/loadavg
if python3 -c "import sys; sys.exit(0 if $load1 > 0.5 else 1)"; then
  echo "warning: load average $load1 before the start: other processes are using the CPU" >&2
fi
"$PY" manage.py collectstatic --noinput -v0
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  # The renders still queued when the load stops are dropped, so the next run starts empty.
  if [ "$WITH_WORKERS" -gt 0 ]; then
    "$PY" manage.py shell -c "
from django_tasks_db.models import DBTaskResult
from reports.models import RenderJob
ids = list(DBTaskResult.objects.ready().values_list('id', flat=True))
RenderJob.objects.filter(task_id__in=[str(i) for i in ids]).update(state='failed', error='load test stopped')
DBTaskResult.objects.filter(id__in=ids).delete()" -v0
  fi
}
trap cleanup EXIT

"$GUNICORN" ita_portal.wsgi --workers "$GUNICORN_WORKERS" --bind "127.0.0.1:$PORT" \
  --access-logfile /dev/null --error-logfile "$OUT/gunicorn.log" --log-level warning &
pids+=($!)
for _ in $(seq 1 60); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/login/" && break; sleep 0.5; done

if [ "$WITH_WORKERS" -gt 0 ]; then
  # Fresh render cache, so that the workers really render while the load runs.
  export MEDIA_ROOT="$OUT/media-render"; rm -rf "$MEDIA_ROOT"
  "$PY" manage.py render_all --year "${RENDER_YEAR:-2567}" --kind annual --limit "${RENDER_LIMIT:-400}"
  for _ in $(seq 1 "$WITH_WORKERS"); do
    PYTHON="$PY" WORKER_MAX_TASKS=100 bash scripts/worker.sh > "$OUT/worker-$_.log" 2>&1 &
    pids+=($!)
  done
  sleep 3
fi

# Logged-in sessions for USERS users, made without N password hashes (see sessions.py); set
# REAL_LOGIN=1 to log in through the form instead (then logins load the server while spawning).
if [ "${REAL_LOGIN:-0}" != 1 ]; then
  "$PY" benchmarks/load/sessions.py --users "$USERS" --agencies "${ITA_AGENCIES:-8000}" > "$OUT/sessions.json"
  export ITA_SESSIONS="$OUT/sessions.json"
fi

# Warm-up, not counted: fresh gunicorn workers and empty caches (oversight summaries, templates,
# database connections) make the first minute slower than the steady state being measured.
if [ "${WARMUP:-30}" -gt 0 ]; then
  ITA_RATE_PER_USER=$(python3 -c "print(${1:-50} / $USERS)") "$LOCUST" -f benchmarks/load/locustfile.py \
    --headless --host "http://127.0.0.1:$PORT" --users "$USERS" --spawn-rate "$SPAWN" \
    --run-time "$(( $(python3 -c "import math; print(math.ceil($USERS / $SPAWN))") + ${WARMUP:-30} ))s" \
    --only-summary --loglevel WARNING > "$OUT/locust-warmup.log" 2>&1 || true
fi

printf "%-6s %-9s %-9s %-8s %-8s %-8s %-8s %-8s %s\n" rate achieved requests fails p50 p95 p99 max load1
for RATE in "${@:-50}"; do
  per_user=$(python3 -c "print($RATE / $USERS)")
  spawn_time=$(python3 -c "import math; print(math.ceil($USERS / $SPAWN))")
  run_time=$((spawn_time + DURATION))
  python3 benchmarks/load/cpu_monitor.py start "$OUT/cpu-$RATE.json"
  ITA_RATE_PER_USER="$per_user" "$LOCUST" -f benchmarks/load/locustfile.py --headless \
    --host "http://127.0.0.1:$PORT" --users "$USERS" --spawn-rate "$SPAWN" --run-time "${run_time}s" \
    --reset-stats --csv "$OUT/r$RATE" --only-summary --loglevel WARNING > "$OUT/locust-$RATE.log" 2>&1 || true
  load=$(cut -d' ' -f1 /proc/loadavg)
  python3 - "$OUT/r${RATE}_stats.csv" "$RATE" "$DURATION" "$load" <<'PY'
import csv, sys
path, rate, duration, load = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
rows = list(csv.DictReader(open(path)))
agg = next(r for r in rows if r["Name"] == "Aggregated")
n, fails = int(agg["Request Count"]), int(agg["Failure Count"])
print(f"{rate:<6.0f} {float(agg['Requests/s']):<9.1f} {n:<9d} {fails:<8d} {agg['50%']:<8} {agg['95%']:<8} "
      f"{agg['99%']:<8} {float(agg['Max Response Time']):<8.0f} {load}")
for r in rows:
    if r["Name"] != "Aggregated":
        print(f"       {r['Name']:<40} n={r['Request Count']:<6} p50={r['50%']:<5} p95={r['95%']:<5} "
              f"fails={r['Failure Count']}", file=sys.stderr)
PY
  python3 benchmarks/load/cpu_monitor.py stop "$OUT/cpu-$RATE.json" | sed 's/^/       /'
done
