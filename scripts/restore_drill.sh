#!/usr/bin/env bash
# Restore drill: dump a database, restore the dump into a scratch database, and prove it whole.
#
#   SOURCE_URL=postgres://postgres@127.0.0.1:5432/ita_scale bash scripts/restore_drill.sh
#   DUMP=/backups/ita-2026-11-23.dump SOURCE_URL=… bash scripts/restore_drill.sh   # drill an existing dump
#
# 1. Opens a read-only REPEATABLE READ transaction on the source and exports its snapshot.
# 2. pg_dump --format=custom of exactly that snapshot (unless DUMP names an existing file),
#    and the row count of every table in the same snapshot, so a live database can be drilled.
# 3. Creates a scratch database (ita_restore_drill_<time>) on the same server (or RESTORE_ADMIN_URL's),
#    pg_restore --jobs into it, counts every table again and compares; checks that Django sees no
#    unapplied migration (manage.py migrate --check) and that the data is readable.
# 4. Drops the scratch database (KEEP=1 keeps it) and prints sizes and timings.
# Exits non-zero on any difference. Never touches the source beyond reading it.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${SOURCE_URL:?set SOURCE_URL to the database to drill, e.g. postgres://user@host:5432/ita_portal}"
PY="${PYTHON:-.venv/bin/python}"; [ -x "$PY" ] || PY=python3
JOBS="${JOBS:-2}"
STAMP="$(date +%Y%m%d%H%M%S)"
SCRATCH_DB="${SCRATCH_DB:-ita_restore_drill_$STAMP}"
ADMIN_URL="${RESTORE_ADMIN_URL:-${SOURCE_URL%/*}/postgres}"
SCRATCH_URL="${ADMIN_URL%/*}/$SCRATCH_DB"
WORK="$(mktemp -d /tmp/ita-restore-drill.XXXXXX)"
DUMP_FILE="${DUMP:-$WORK/source.dump}"
log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*"; }

counts_sql="SELECT string_agg(format('SELECT %L AS t, count(*) AS n FROM %I.%I', table_name, table_schema, table_name), ' UNION ALL ' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"

cleanup() {
  if [ -n "${PSQL_PID:-}" ]; then kill "$PSQL_PID" 2>/dev/null || true; fi
  if [ "${KEEP:-0}" != 1 ]; then
    psql "$ADMIN_URL" -qAt -c "DROP DATABASE IF EXISTS \"$SCRATCH_DB\"" >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# --- 1 and 2: one snapshot for the dump and the source counts ------------------------------
if [ -z "${DUMP:-}" ]; then
  coproc PSQL { psql "$SOURCE_URL" -qAtX -v ON_ERROR_STOP=1; }
  PSQL_PID=$PSQL_PID
  echo "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT pg_export_snapshot();" >&"${PSQL[1]}"
  read -r SNAPSHOT <&"${PSQL[0]}"
  log "source snapshot $SNAPSHOT"
  start=$(date +%s.%N)
  pg_dump --snapshot="$SNAPSHOT" --format=custom --no-owner --file="$DUMP_FILE" "$SOURCE_URL"
  dump_s=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
  log "dump: $(du -h "$DUMP_FILE" | cut -f1) in ${dump_s} s"
  {
    echo "$counts_sql \\gexec"
    echo "SELECT '--end--';"
  } >&"${PSQL[1]}"
  : > "$WORK/source.counts"
  while read -r line <&"${PSQL[0]}"; do
    [ "$line" = "--end--" ] && break
    echo "$line" >> "$WORK/source.counts"
  done
  echo "COMMIT;" >&"${PSQL[1]}"
  exec {PSQL[1]}>&-
  wait "$PSQL_PID" 2>/dev/null || true
  PSQL_PID=""
else
  log "drilling the existing dump $DUMP_FILE ($(du -h "$DUMP_FILE" | cut -f1)); source counted now"
  echo "$counts_sql \\gexec" | psql "$SOURCE_URL" -qAtX -v ON_ERROR_STOP=1 > "$WORK/source.counts"
fi
sort -o "$WORK/source.counts" "$WORK/source.counts"

# --- 3: restore into a scratch database and compare -----------------------------------------
psql "$ADMIN_URL" -qAtX -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$SCRATCH_DB\"" >/dev/null
start=$(date +%s.%N)
pg_restore --no-owner --no-privileges --jobs="$JOBS" --exit-on-error --dbname="$SCRATCH_URL" "$DUMP_FILE"
restore_s=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
log "restore into $SCRATCH_DB with $JOBS jobs in ${restore_s} s"
echo "$counts_sql \\gexec" | psql "$SCRATCH_URL" -qAtX -v ON_ERROR_STOP=1 | sort > "$WORK/restored.counts"

tables=$(wc -l < "$WORK/source.counts")
rows=$(awk -F'|' '{s += $2} END {print s}' "$WORK/source.counts")
if ! diff -u "$WORK/source.counts" "$WORK/restored.counts" > "$WORK/counts.diff"; then
  log "ROW COUNTS DIFFER (source left, restored right):"
  cat "$WORK/counts.diff"
  exit 1
fi
log "row counts equal: $tables tables, $rows rows"
awk -F'|' '$1 ~ /^(agencies_agency|assessments_assessmentresult|measures_measure|measures_progress|reports_publishedversion|auth_user)$/ {printf "    %-32s %12d\n", $1, $2}' "$WORK/source.counts"

# Django against the restored copy: every migration applied, data readable through the ORM.
DATABASE_URL="$SCRATCH_URL" "$PY" manage.py migrate --check >/dev/null
DATABASE_URL="$SCRATCH_URL" "$PY" manage.py shell -v0 -c "
from agencies.models import Agency
from reports.models import PublishedVersion
a = Agency.objects.order_by('id').first()
print('first agency:', a.code if a else '(none)', '· published versions:', PublishedVersion.objects.count())
"
log "migrations complete and data readable in $SCRATCH_DB"
[ "${KEEP:-0}" = 1 ] && log "kept $SCRATCH_DB (KEEP=1)"
log "restore drill passed (dump ${dump_s:-–} s, restore ${restore_s} s)"
