#!/usr/bin/env bash
# Quick start: install, migrate, load the demo agencies and users (`load_demo --publish`: their
# demo reports published and a 2566 OIT page), then serve the portal AND do its background work,
# all stopped together with Ctrl-C:
#   - the web server on http://127.0.0.1:$PORT (default 8000)
#   - a PDF worker (scripts/worker.sh): drafts and published reports appear within seconds
#   - the outbox sender (send_outbox --loop): e-mails and LINE messages; in development e-mails
#     are files in var/mail/ (the password-reset mail included), unless EMAIL_BACKEND says otherwise
#   - the reminders (send_reminders --loop): queues the day's reporting reminders, once a day each
#
#   bash scripts/start.sh
#   PORT=8123 bash scripts/start.sh
#   SKIP_SETUP=1 bash scripts/start.sh      # packages already installed (.venv, node_modules)
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-8000}"
[ "${SKIP_SETUP:-0}" = 1 ] || bash scripts/setup.sh
export DEBUG=${DEBUG:-1}
# Links in e-mails (password reset) point at this server.
export SITE_URL="${SITE_URL:-http://127.0.0.1:$PORT}"
# A shared host: renders need not yield to web requests here (see scripts/worker.sh).
export WORKER_IDLE="${WORKER_IDLE:-0}"
.venv/bin/python manage.py migrate --noinput
# --publish: the demo reports published (real PDFs) and a 2566 OIT page with evidence (idempotent).
.venv/bin/python manage.py load_demo --publish

pids=()
stop() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bash scripts/worker.sh &
pids+=($!)
.venv/bin/python manage.py send_outbox --loop "${OUTBOX_INTERVAL:-10}" &
pids+=($!)
.venv/bin/python manage.py send_reminders --loop "${REMINDERS_INTERVAL:-3600}" &
pids+=($!)
.venv/bin/python manage.py runserver "127.0.0.1:$PORT" &
pids+=($!)
echo "ITA Portal: http://127.0.0.1:$PORT  (PDF worker, outbox sender and reminders running; Ctrl-C stops all)"
# Whichever stops first (or Ctrl-C) ends the others.
wait -n
