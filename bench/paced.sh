#!/usr/bin/env bash
# Paced fan-out rounds of several servers, alternating, for the latency tail: each round
# runs every server once, a fresh process each, with the same paced scenario, and prints
# one line per run (p50, p99, max, deliveries/s, loss). The default point is the saturated
# one of BENCHMARKS.md "Latency" (10,000 windows at 100 triggers/s).
#
#   make bench-build
#   bash bench/paced.sh ROUNDS SERVER...        # SERVER: a switchboard binary, or "floor"
#   WINDOWS=1000 RATE=100 TRIGGERS=500 bash bench/paced.sh 3 target/release/switchboard floor
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=$1
shift
windows=${WINDOWS:-10000} rate=${RATE:-100} triggers=${TRIGGERS:-300}
bench=./target/release/switchboard-bench
floor=./target/release/bench-floor
# shellcheck source=bench/servers.sh
. bench/servers.sh
ulimit -n 20000

run() { # $1 server
  local port pid args
  pick_port
  if [[ $1 == floor ]]; then
    "$floor" --ws "127.0.0.1:$port" --http "127.0.0.1:$((port + 1))" >/dev/null 2>&1 &
    pid=$!
    args=(--peer floor --addr "127.0.0.1:$port" --http "127.0.0.1:$((port + 1))")
  else
    start_switchboard "$1"
    args=(--peer switchboard --addr "127.0.0.1:$port" --api-key "$key")
  fi
  sleep 1
  local out
  out=$("$bench" fanout --windows "$windows" --triggers "$triggers" --rate "$rate" \
    "${args[@]}" --pid "$pid" 2>/dev/null)
  stop_server
  python3 -c '
import json, sys
d = json.loads(sys.argv[2]); l = d["latency_ms"]
print("%-32s p50 %8.1f  p99 %8.1f  max %8.1f ms  %9.0f deliveries/s  lost %s"
      % (sys.argv[1], l["p50"], l["p99"], l["max"], d["deliveries_per_sec"], d["lost"]))
' "$1" "$out"
}

echo "fanout --windows $windows --rate $rate --triggers $triggers, $rounds rounds"
for _ in $(seq "$rounds"); do
  for server in "$@"; do
    run "$server"
  done
done
