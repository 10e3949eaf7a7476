#!/usr/bin/env bash
# Install the Django Channels benchmark peer into a virtualenv.
#   VENV  virtualenv directory (default: <repo root>/target/bench-venv)
# Idempotent: pip only runs when requirements.txt changed since the last
# successful install (sha256 stamp inside the venv).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HERE/../../.." && pwd)"
VENV="${VENV:-$REPO_ROOT/target/bench-venv}"
REQS="$HERE/requirements.txt"
STAMP="$VENV/.channels-peer-requirements.sha256"

if [ ! -x "$VENV/bin/python" ]; then
    mkdir -p "$(dirname "$VENV")"
    python3 -m venv "$VENV"
fi

want="$(sha256sum "$REQS" | cut -d' ' -f1)"
have="$(cat "$STAMP" 2>/dev/null || true)"
if [ "$want" = "$have" ] && [ -x "$VENV/bin/daphne" ]; then
    exit 0
fi

"$VENV/bin/pip" install --disable-pip-version-check -q -r "$REQS"
printf '%s\n' "$want" > "$STAMP"
