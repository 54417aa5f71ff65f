#!/usr/bin/env bash
# `make run`: migrate, seed the demo, then serve the dashboard with a Celery worker and beat.
# Everything runs in one process group, so Ctrl-C stops all of it.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}

$PY manage.py migrate --no-input
$PY manage.py seed_demo

cleanup() {
  trap - INT TERM EXIT
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

# -B embeds beat in the worker: one process to start, fine for a single machine. Its log goes
# to a file, so the terminal keeps the server's requests and the demo logins readable.
STATE=${VAR_DIR:-var}
mkdir -p "$STATE"
.venv/bin/celery -A config worker -B --pool solo --loglevel INFO \
  --schedule "$STATE/celerybeat-schedule" >"$STATE/worker.log" 2>&1 &
echo "Celery worker and beat started; their log: $STATE/worker.log"

$PY manage.py runserver "$HOST:$PORT" &

# The logins come last, once the server answers, so they are not lost above its start-up lines.
for _ in $(seq 1 60); do
  $PY - "$HOST" "$PORT" 2>/dev/null <<'PYEOF' && break
import socket, sys
socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
PYEOF
  sleep 0.5
done
# Passkeys (WebAuthn) need a domain name, not an IP address: show the loopback as localhost.
SHOWN_HOST=$HOST; [ "$HOST" = 127.0.0.1 ] && SHOWN_HOST=localhost
$PY manage.py print_demo_banner --url "http://$SHOWN_HOST:$PORT/"
wait -n
