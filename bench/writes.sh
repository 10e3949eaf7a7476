#!/usr/bin/env bash
# How many frames a Switchboard server puts in one write during a fan-out burst: records
# the server's `sendto` and `writev` system calls with `perf` while the bench runs one
# burst, then prints the calls per delivery and the bytes per `sendto` (p10, p50, p90, p99,
# mean; divide by a frame's size for frames). Fewer, larger writes are what a burst's
# throughput is made of on this machine (BENCHMARKS.md, "Tried and not kept").
#
#   make bench-build
#   bash bench/writes.sh SERVER [WINDOWS] [TRIGGERS]     # needs perf (linux-perf) and root
set -euo pipefail
cd "$(dirname "$0")/.."
server=$1 windows=${2:-1000} triggers=${3:-500}
command -v perf >/dev/null || { echo "writes.sh: perf not found (apt-get install linux-perf)" >&2; exit 2; }
bench=./target/release/switchboard-bench
# shellcheck source=bench/servers.sh
. bench/servers.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ulimit -n 20000
pick_port
start_switchboard "$server"
sleep 1
perf record -q -e syscalls:sys_enter_sendto -e syscalls:sys_enter_writev -p "$pid" \
  -o "$work/perf.data" >/dev/null 2>&1 &
recorder=$!
sleep 0.5
"$bench" fanout --windows "$windows" --triggers "$triggers" --peer switchboard \
  --addr "127.0.0.1:$port" --api-key "$key" >"$work/run.json" 2>/dev/null
kill -INT "$recorder"
wait "$recorder" 2>/dev/null || true
stop_server
perf script -i "$work/perf.data" -F event,trace >"$work/calls.txt" 2>/dev/null
python3 - "$work" "$server" <<'PY'
import json, re, sys
work, server = sys.argv[1], sys.argv[2]
run = json.load(open(f"{work}/run.json"))
sends, writevs = [], 0
for line in open(f"{work}/calls.txt"):
    if "sys_enter_writev" in line:
        writevs += 1
        continue
    # `, len:` and not `addr_len:`.
    match = re.search(r", len: (0x[0-9a-f]+)", line)
    if match:
        sends.append(int(match.group(1), 16))
sends.sort()
n = len(sends)
received = run["received"]
pct = lambda q: sends[min(n - 1, int(q * n))]
print(f"{server}: {run['deliveries_per_sec'] / 1e6:.2f} M deliveries/s, p99 {run['latency_ms']['p99']} ms, "
      f"lost {run['lost']}")
print(f"  sendto {n} ({n / received:.3f} per delivery), writev {writevs}; bytes per sendto "
      f"p10 {pct(0.1)} p50 {pct(0.5)} p90 {pct(0.9)} p99 {pct(0.99)} mean {sum(sends) // max(n, 1)}")
PY
