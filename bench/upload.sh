#!/usr/bin/env bash
# Benchmark: `linuximage upload` against `az storage blob upload --type page` (Debian azure-cli), same run, same
# Azurite (in-memory, loopback), same files:
#   1. 1 GiB + 512 fixed VHD with ~10% random data (sparse file; extents of 4 KiB..256 KiB at random 4 KiB-aligned
#      offsets, like the files of a used file system): bytes sent vs non-zero bytes, wall time vs az;
#   2. 1 GiB + 512 fixed VHD of fully random data: MB/s of both;
# ours runs once per image and verification mode in MODES (default "md5 readback": the default, per-put Content-MD5
# checked by the service + range list, and the read-back of every run of written pages while later runs are sent;
# any other --verify value works too, e.g. "crc64": the per-put x-ms-content-crc64 instead of Content-MD5);
# az verifies nothing. Each row also gives Azurite's CPU seconds during each client's run (azcpu). PARALLEL (default 8) is ours' --parallel.
# RUNS (default 3) rounds; one table row per image, cache mode and round, with the load average.
# CACHE (default "cold warm"): cold drops the page cache before EACH client's run (`sync; echo 3 >
# /proc/sys/vm/drop_caches`, needs root; then both clients are started once, untimed, so that their own code is back in
# the cache and only the image is cold: CACHE_COLD_TOOLS=1 times their cold start too); warm reads the image once,
# untimed, before each client's run. The image is the input a user uploads right after building it (warm) or from a
# network-backed volume (cold).
# our tool runs with -Xmx256m (heap bound) and its peak RSS is reported.
# usage: [RUNS=3] [MODES="md5 readback"] [CACHE="cold warm"] bench/upload.sh     (results to bench/out/upload-results.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=bench/out
mkdir -p "$OUT"
RES="$OUT/upload-results.txt"
: > "$RES"
say() { echo "$*" | tee -a "$RES"; }

if ! command -v az >/dev/null; then
  echo "installing azure-cli (Debian package) for the comparison" >&2
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get install -y -q azure-cli >/dev/null
fi
[ -x node_modules/.bin/azurite-blob ] || { echo "Azurite missing: run scripts/setup.sh" >&2; exit 1; }

# our tool: the packaged application, as users run it on the JVM (an earlier version of this script ran the compiled
# classes on a dependency class path that also held test-scope jars: picocli then loaded Groovy at start-up)
mvn_() { ./mvnw -B -q -o "$@" || ./mvnw -B -q "$@"; }  # offline first (dependencies cached by setup)
[ -n "${SKIP_BUILD:-}" ] || mvn_ package -DskipTests  # SKIP_BUILD=1: use the jar already built
JAR=target/quarkus-app/quarkus-run.jar

# shellcheck source=bench/lib.sh
. bench/lib.sh
trap azurite_stop EXIT
export AZURE_CORE_COLLECT_TELEMETRY=0 AZURE_CORE_ONLY_SHOW_ERRORS=1
# a new Azurite (in memory, untimed) before every client's upload: each starts on an empty emulator, whoever ran
# before it. A deleted blob's pages stay in Azurite's in-memory extent store until its own collection runs, so with
# one Azurite for the whole run the later uploads met a fuller store (and 16 uploads, 12 GB of pages sent, reached
# its limit of half the RAM: HTTP 409 MemoryExtentStoreAtSizeLimit)
fresh_azurite() {
  azurite_stop
  azurite_start "$OUT/azurite.log"
  printf '%s' "$CS" > "$OUT/cs.txt"; chmod 600 "$OUT/cs.txt"
  az storage container create --name bench --connection-string "$CS" -o none
}

echo "generating images..." >&2
NZ_SPARSE=$(python3 bench/mkvhd.py "$OUT/sparse.vhd" 1024 0.10 1)
NZ_RANDOM=$(python3 bench/mkvhd.py "$OUT/random.vhd" 1024 1.0 2)

ours() { # file blob [verify mode] -> prints JSON line; records wall time and max RSS
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f "%M %U %S" -o "$OUT/rss.txt" java -Xmx256m -jar "$JAR" upload "$1" \
    --blob-url "$EP/bench/$2" --connection-string-file "$OUT/cs.txt" --service-version 2026-06-06 \
    --allowed-blob-host 127.0.0.1 --progress none --json --verify "${3:-md5}" --parallel "${PARALLEL:-8}" > "$OUT/ours-$2.json"
  t1=$(date +%s.%N)
  echo "$(echo "$t1 - $t0" | bc)" > "$OUT/ours-$2.time"
}
theirs() { # file blob
  local t0 t1
  t0=$(date +%s.%N)
  /usr/bin/time -f "%U %S" -o "$OUT/az-cpu.txt" \
    az storage blob upload --type page --file "$1" --container-name bench --name "$2" --connection-string "$CS" \
    --max-connections 8 --overwrite -o none 2>/dev/null
  t1=$(date +%s.%N)
  echo "$(echo "$t1 - $t0" | bc)" > "$OUT/az-$2.time"
}
cpu_() { tail -1 "$1" | awk -v f="$2" '{ printf "%.1f", $f + $(f + 1) }'; }  # user + system CPU-s from /usr/bin/time
json() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }

RUNS=${RUNS:-3}
MODES=${MODES:-md5 readback}
CACHES=${CACHE:-cold warm}
case " $CACHES " in *" cold "*)
  [ -w /proc/sys/vm/drop_caches ] || { echo "the cold rows need root (drop_caches); CACHE=warm" >&2; exit 1; } ;;
esac
prepare_cache() { # mode file: the image cold (page cache dropped, the clients' own code read back) or warm
  sync
  if [ "$1" = cold ]; then
    echo 3 > /proc/sys/vm/drop_caches
    if [ "${CACHE_COLD_TOOLS:-0}" != 1 ]; then
      java -jar "$JAR" --help > /dev/null
      az storage blob upload --help > /dev/null 2>&1
    fi
  else
    cat "$2" > /dev/null
  fi
}
say "== ours --parallel ${PARALLEL:-8}; linuximage upload vs az storage blob upload --type page (azure-cli $(az version --query '"azure-cli"' -o tsv 2>/dev/null)), Azurite in memory, $(nproc) CPUs, $RUNS runs"
say "   load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
say ""
hdr="| image | cache | run | non-zero bytes | az s"; sep="|---|---|---|---|---"
for mode in $MODES; do hdr="$hdr | ours $mode s (ratio)"; sep="$sep|---"; done
say "$hdr | sent/non-zero | RSS MiB (${MODES// //}) | load |"
say "$sep|---|---|---|"
for run in $(seq "$RUNS"); do
  for cache in $CACHES; do
  for img in sparse random; do
    f="$OUT/$img.vhd"
    nz=$([ $img = sparse ] && echo "$NZ_SPARSE" || echo "$NZ_RANDOM")
    fresh_azurite
    prepare_cache "$cache" "$f"
    a0=$(cpu_of "$AZPID")
    theirs "$f" "az-$img-$run.vhd"
    a1=$(cpu_of "$AZPID")
    at=$(cat "$OUT/az-az-$img-$run.vhd.time")
    row="| $img | $cache | $run | $nz | $(printf %.1f "$at") [$(cpu_ "$OUT/az-cpu.txt" 1); Azurite $(echo "$a1 - $a0" | bc)]"
    rss=""
    for mode in $MODES; do
      b="ours-$img-$mode-$run.vhd"
      fresh_azurite
      prepare_cache "$cache" "$f"
      a0=$(cpu_of "$AZPID")
      ours "$f" "$b" "$mode"
      a1=$(cpu_of "$AZPID")
      ot=$(cat "$OUT/ours-$b.time")
      sent=$(json "$OUT/ours-$b.json" bytesSent)
      row="$row | $(printf %.1f "$ot") ($(echo "scale=2; $ot / $at" | bc)x) [$(cpu_ "$OUT/rss.txt" 2); Azurite $(echo "$a1 - $a0" | bc)]"
      rss="$rss${rss:+/}$(( $(tail -1 "$OUT/rss.txt" | cut -d' ' -f1) / 1024 ))"
      ratio=$(echo "scale=4; $sent / $nz" | bc)
      digest=$(json "$OUT/ours-$b.json" digest)
    done
    say "$row | $ratio | $rss | $(cut -d' ' -f1 /proc/loadavg) |"
    # the digest reported by the upload equals `linuximage digest` of the file (recomputed locally)
    local_digest=$(java -jar "$JAR" digest "$f" | cut -d' ' -f1)
    [ "$local_digest" = "$digest" ] || { echo "digest mismatch: upload $digest, local $local_digest" >&2; exit 1; }
  done
  done
done
say ""
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg); ratio = ours / az wall time; [CPU-s user+system of the client process; Azurite's CPU-s during that client's run]; az verifies nothing"
for img in sparse random; do
  t0=$(date +%s.%N); java -jar "$JAR" digest "$OUT/$img.vhd" > /dev/null; t1=$(date +%s.%N)
  say "linuximage digest of the $img image: $(echo "$t1 - $t0" | bc) s (JVM start included)"
done
rm -f "$OUT/sparse.vhd" "$OUT/random.vhd" "$OUT/cs.txt"
