#!/usr/bin/env bash
# Start the Django Channels benchmark peer under daphne (foreground).
#   PORT       TCP port on 127.0.0.1 (required)
#   LAYER      memory (default) | redis
#   REDIS_URL  redis URL for LAYER=redis (default redis://127.0.0.1:6379/0)
#   CHANNELS_CAPACITY  optional override of the channel layer capacity
#   VENV       virtualenv made by setup.sh (default: <repo root>/target/bench-venv)
# The script execs daphne, so this script's pid is daphne's pid.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HERE/../../.." && pwd)"
VENV="${VENV:-$REPO_ROOT/target/bench-venv}"

: "${PORT:?PORT is required}"
export LAYER="${LAYER:-memory}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export DJANGO_SETTINGS_MODULE=benchproj.settings
export PYTHONDONTWRITEBYTECODE=1

case "$LAYER" in
    memory|redis) ;;
    *) echo "run.sh: LAYER must be 'memory' or 'redis' (got '$LAYER')" >&2; exit 2 ;;
esac

if [ ! -x "$VENV/bin/daphne" ]; then
    echo "run.sh: $VENV/bin/daphne not found; run setup.sh first" >&2
    exit 1
fi

cd "$HERE"
# -v 0: no access log, warnings and errors only.
exec "$VENV/bin/daphne" -v 0 -b 127.0.0.1 -p "$PORT" benchproj.asgi:application
