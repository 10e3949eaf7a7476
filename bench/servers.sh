# Sourced by the bench's comparison scripts (ab.sh, paced.sh, writes.sh): one way to pick a
# port and start a server for a run, so the scripts compare like with like.

# The API key every started Switchboard takes.
key=bench-api-key-0123456789abcdef

# A port for a server: below the ephemeral range (32768-60999), where a port a client socket
# holds cannot be bound. (A floor uses it and the next one.)
pick_port() {
  port=$((10000 + RANDOM % 20000 / 2))
}

# Starts Switchboard binary $1 on 127.0.0.1:$port with limits no bench run reaches, plus any
# further arguments; sets `pid`. The node's connection cap goes in the environment, not a
# flag: a binary from before max_connections ignores it.
start_switchboard() {
  local binary=$1
  shift
  SWITCHBOARD_MAX_CONNECTIONS=19800 RUST_LOG=warn "$binary" serve --bind "127.0.0.1:$port" \
    --api-key "$key" --max-connections-per-ip 1000000 --max-connections-per-user 1000000 \
    --connections-per-second-per-ip 1000000 --connection-burst-per-ip 1000000 "$@" \
    >/dev/null 2>&1 &
  pid=$!
}

# Stops the server started last.
stop_server() {
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}
