#!/usr/bin/env bash
# A/B of two Switchboard binaries on the same scenarios, alternating them ROUNDS times in one
# run (the fan-out figures drift ±15% between runs on a shared 2-core machine; alternating
# keeps the drift from favouring either side). Prints one JSON line per scenario.
#
#   make bench-build
#   bash bench/ab.sh OLD_BINARY NEW_BINARY [ROUNDS]
#   AB_SCENARIO="fanout --windows 10000 --triggers 100" bash bench/ab.sh OLD NEW 6
#
# Build OLD_BINARY from an earlier commit, e.g. in a `git worktree` with
# CARGO_TARGET_DIR=target (the dependencies are shared), then copy it aside.
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2 rounds=${3:-2}
bench=./target/release/switchboard-bench
# shellcheck source=bench/servers.sh
. bench/servers.sh
scenarios=("fanout --windows 1000 --triggers 500" "fanout --windows 10000 --triggers 100"
  "calls --windows 1000 --seconds 10")
# One scenario instead of the three: AB_SCENARIO="fanout --windows 10000 --triggers 100".
if [[ -n ${AB_SCENARIO:-} ]]; then scenarios=("$AB_SCENARIO"); fi

run() { # $1 binary, $2 label
  local port pid
  pick_port
  start_switchboard "$1" --demo --calls-per-second 1000000 --call-burst 1000000
  sleep 1
  for scenario in "${scenarios[@]}"; do
    # shellcheck disable=SC2086 # the scenario is its words
    echo "$2 $scenario: $($bench $scenario --peer switchboard --addr "127.0.0.1:$port" \
      --api-key "$key" --pid "$pid" 2>/dev/null | tr -d '\n')"
  done
  stop_server
}

for _ in $(seq "$rounds"); do
  run "$old" old
  run "$new" new
done
