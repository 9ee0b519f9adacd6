# Shared by the bench scripts (sourced, not run): Azurite on a free loopback port with its well-known dev account.
# Run from the repository's root (node_modules/.bin/azurite-blob).
#
#   azurite_start [--nice] LOG [LOCATION]  starts azurite-blob on a free 127.0.0.1 port, in memory or, with LOCATION,
#                                          on disk there (created); --nice runs it under nice; output to LOG. Waits
#                                          (up to 20 s) until the port accepts connections, else prints its log and
#                                          fails (status 1). Sets AZPID, PORT, KEY (the
#                                          dev account's key), EP (blob endpoint) and CS (connection string).
#   azurite_stop                           stops it, if started, and waits for it (for an EXIT trap).
#   cpu_of PID                             the CPU seconds (user + system) process PID has used so far, e.g. "12.3".

# shellcheck disable=SC2034  # KEY, EP, CS are for the scripts that source this file
azurite_start() {
  local prefix=()
  if [ "${1:-}" = --nice ]; then prefix=(nice); shift; fi
  local log=$1 location=${2:-}
  local store=(--inMemoryPersistence)
  if [ -n "$location" ]; then mkdir -p "$location"; store=(--location "$location"); fi
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "${prefix[@]}" node_modules/.bin/azurite-blob --blobHost 127.0.0.1 --blobPort "$PORT" "${store[@]}" \
    --disableTelemetry --silent --skipApiVersionCheck > "$log" 2>&1 &
  AZPID=$!
  local up=""
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then up=1; break; fi
    kill -0 "$AZPID" 2>/dev/null || break # exited: no point waiting
    sleep 0.2
  done
  if [ -z "$up" ]; then
    if kill -0 "$AZPID" 2>/dev/null; then
      echo "azurite-blob did not accept connections on 127.0.0.1:$PORT within 20 s; its output ($log):" >&2
    else
      echo "azurite-blob exited before accepting connections on 127.0.0.1:$PORT; its output ($log):" >&2
    fi
    tail -n 20 "$log" >&2
    azurite_stop
    return 1
  fi
  KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
  EP="http://127.0.0.1:$PORT/devstoreaccount1"
  CS="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$KEY;BlobEndpoint=$EP;"
}

azurite_stop() {
  if [ -n "${AZPID:-}" ]; then kill "$AZPID" 2>/dev/null || true; wait "$AZPID" 2>/dev/null || true; fi
  AZPID=""
}

cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$1/stat"; }
