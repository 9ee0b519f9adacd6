#!/usr/bin/env bash
# Benchmark (opt-in, not part of any test run): `linuximage prepare` end to end — convert, patch, check, upload to
# Azurite — of a huge sparse disk against a dense one holding the same data (issue #14: "prepare of a 1 TiB virtual /
# 10 GiB data disk ... in time proportional to the data, heap <= 256 MiB").
#
# Inputs, both qcow2 (a raw input cannot skip its holes on Java 17: no SEEK_DATA/SEEK_HOLE, so a 1 TiB raw would be
# read whole; qcow2's L1/L2 tables say where the data is):
#   large = the sample guest of scripts/make-sample-disk.sh (GPT, FAT ESP, ext4 root with a Debian-like tree that
#           prepare patches and checks) grown to VIRT_GIB (default 1024) GiB virtual, the backup GPT moved to the new
#           end (sgdisk -e), plus DATA_MIB (default 10240) MiB of random data in PIECE_MIB (default 256) MiB pieces
#           spread evenly from 64 MiB to 1 MiB before the end;
#   dense = the same guest grown to 64 MiB + DATA_MIB + 1 MiB, the same pieces (byte for byte: each piece is an
#           AES-CTR stream of zeros under its own key, so nothing compresses or repeats) laid end to end.
# Each case runs `java -Xmx256m -jar quarkus-run.jar prepare IN --output OUT.vhd --blob-url ... --max-size 1T
# --remove-user builder` (default verification: per-put Content-MD5 + range list) under `nice`, against Azurite with
# on-disk persistence (--location in the work directory, not in memory: 10 GiB would not fit a sane heap).
# Printed per case: wall s, CPU-s (user+sys of the JVM, /usr/bin/time), max RSS, heap limit, GC pauses (count, total
# ms, largest heap after a GC, from -Xlog:gc), bytes uploaded (the blob's page ranges, summed), the JVM's rchar
# (bytes it read through read/pread: a full re-read of the VHD for the digest would show as rchar ≈ 3× the data),
# Azurite's CPU-s, and the seconds each step took (from prepare's progress lines), then the ratio large / dense.
#
# Options (environment): VIRT_GIB=1024 DATA_MIB=10240 PIECE_MIB=256 CASES="large dense" HEAP=256m
#   SKIP_BUILD=1 (use the jar already built)  BENCH_DIR (default: a fresh directory under target/, removed at the
#   end whatever happens).  Disk space: about 3 × DATA_MIB (input, output VHD, Azurite's extents) at the peak.
# usage: [VIRT_GIB=1024 DATA_MIB=10240] bench/prepare-large.sh     (results also in target/prepare-large-results.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
VIRT_GIB=${VIRT_GIB:-1024}
DATA_MIB=${DATA_MIB:-10240}
PIECE_MIB=${PIECE_MIB:-256}
CASES=${CASES:-"large dense"}
HEAP=${HEAP:-256m}
for t in qemu-img qemu-io sgdisk openssl /usr/bin/time java python3 az; do
  command -v "$t" >/dev/null || { echo "missing tool: $t (scripts/setup.sh)" >&2; exit 1; }
done
[ -x node_modules/.bin/azurite-blob ] || { echo "Azurite missing: npm ci --no-audit --no-fund" >&2; exit 1; }
(( DATA_MIB % PIECE_MIB == 0 )) || { echo "DATA_MIB must be a multiple of PIECE_MIB" >&2; exit 1; }
mvn_() { ./mvnw -B -q -o "$@" || ./mvnw -B -q "$@"; }
[ -n "${SKIP_BUILD:-}" ] || mvn_ package -DskipTests
JAR=target/quarkus-app/quarkus-run.jar
[ -f "$JAR" ] || { echo "no $JAR: build first or drop SKIP_BUILD" >&2; exit 1; }

mkdir -p target
DIR=${BENCH_DIR:-$(mktemp -d "$PWD/target/prepare-large.XXXXXX")}
mkdir -p "$DIR"
RES=target/prepare-large-results.txt
: > "$RES"
say() { echo "$*" | tee -a "$RES"; }
# shellcheck source=bench/lib.sh
. bench/lib.sh
cleanup() {
  azurite_stop
  rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- inputs --------------------------------------------------------------------------------------------------------
MIB=$((1 << 20))
N=$(( DATA_MIB / PIECE_MIB ))
VIRT=$(( VIRT_GIB << 30 ))
DENSE_VIRT=$(( (64 + DATA_MIB + 1) * MIB ))
echo "building the guest disk..." >&2
scripts/make-sample-disk.sh "$DIR/guest" >/dev/null
qemu-img convert -f qcow2 -O raw "$DIR/guest/sample.qcow2" "$DIR/base.raw"
rm -rf "$DIR/guest"
grow() { # case size -> qcow2 with the guest and the GPT backup at the new end
  cp --sparse=always "$DIR/base.raw" "$DIR/$1.raw"
  truncate -s "$2" "$DIR/$1.raw"
  sgdisk -e "$DIR/$1.raw" >/dev/null 2>&1
  qemu-img convert -f raw -O qcow2 "$DIR/$1.raw" "$DIR/$1.qcow2"  # sparse raw: qemu-img skips the holes
  rm -f "$DIR/$1.raw"
}
offset() { # case piece -> byte offset
  if [ "$1" = dense ]; then echo $(( (64 + $2 * PIECE_MIB) * MIB ))
  elif (( N == 1 )); then echo $(( VIRT - (1 + PIECE_MIB) * MIB ))
  else # 64 MiB .. end - 1 MiB - piece, MiB-aligned, evenly spaced; the last piece ends 1 MiB before the end
    local span=$(( VIRT / MIB - 1 - PIECE_MIB - 64 ))
    echo $(( (64 + $2 * span / (N - 1)) * MIB ))
  fi
}
make_input() { # case -> $DIR/case.qcow2 (made just before its run: one input on disk at a time)
  local c=$1 i
  echo "building the $c input: $DATA_MIB MiB of random data..." >&2
  if [ "$c" = large ]; then grow large "$VIRT"; else grow dense "$DENSE_VIRT"; fi
  for ((i = 0; i < N; i++)); do
    { openssl enc -aes-128-ctr -nosalt -K "$(printf '%032x' $((i + 1)))" -iv 00000000000000000000000000000000 \
      -in /dev/zero 2>/dev/null || true; } | head -c $(( PIECE_MIB * MIB )) > "$DIR/piece"
    qemu-io -f qcow2 -c "write -q -s $DIR/piece $(offset "$c" "$i") ${PIECE_MIB}M" "$DIR/$c.qcow2"
  done
  rm -f "$DIR/piece"
}

# --- Azurite, on disk ----------------------------------------------------------------------------------------------
azurite_start --nice "$DIR/azurite.log" "$DIR/azurite"
printf '%s' "$CS" > "$DIR/cs.txt"; chmod 600 "$DIR/cs.txt"
export AZURE_CORE_COLLECT_TELEMETRY=0 AZURE_CORE_ONLY_SHOW_ERRORS=1
az storage container create --name bench --connection-string "$CS" -o none

uploaded() { # blob -> bytes in the blob's page ranges
  python3 - "$EP" "$1" "$KEY" <<'EOF'
import base64, hashlib, hmac, sys, urllib.request, email.utils, re
ep, blob, key = sys.argv[1:4]
url = f"{ep}/bench/{blob}?comp=pagelist"
date = email.utils.formatdate(usegmt=True)
canon_h = f"x-ms-date:{date}\nx-ms-version:2021-08-06\n"
path = "/devstoreaccount1/devstoreaccount1/bench/" + blob + "\ncomp:pagelist"
sts = "GET\n" + "\n" * 11 + canon_h + path
sig = base64.b64encode(hmac.new(base64.b64decode(key), sts.encode(), hashlib.sha256).digest()).decode()
req = urllib.request.Request(url, headers={"x-ms-date": date, "x-ms-version": "2021-08-06",
                                           "Authorization": f"SharedKey devstoreaccount1:{sig}"})
body = urllib.request.urlopen(req).read().decode()
print(sum(int(e) - int(s) + 1 for s, e in re.findall(r"<Start>(\d+)</Start><End>(\d+)</End>", body)))
EOF
}

say "== linuximage prepare, huge sparse vs dense qcow2 -> Azurite (on disk), $(nproc) CPUs, $(java -version 2>&1 | head -1)"
say "   large: ${VIRT_GIB} GiB virtual; dense: $(( DENSE_VIRT / MIB )) MiB virtual; both: the sample guest + ${DATA_MIB} MiB random data (${N} × ${PIECE_MIB} MiB)"
say "   load average before: $(cut -d' ' -f1-3 /proc/loadavg); free on $(df -h --output=target "$DIR" | tail -1): $(df -h --output=avail "$DIR" | tail -1)"
say ""
say "| case | virtual | input data | wall s | JVM CPU-s | max RSS MiB | heap | GC pauses (n / total ms / max heap after) | uploaded bytes | JVM rchar GiB | Azurite CPU-s | steps s (convert / patch+check / upload) | exit | load |"
say "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
declare -A WALL
for c in $CASES; do
  make_input "$c"
  sync
  in="$DIR/$c.qcow2"; out="$DIR/$c.vhd"; blob="$c.vhd"
  data=$(qemu-img map --output=json "$in" | python3 -c 'import json,sys; print(sum(e["length"] for e in json.load(sys.stdin) if e["data"]))')
  az0=$(cpu_of "$AZPID")
  t0=$(date +%s.%N)
  set +e
  nice /usr/bin/time -f "%e %U %S %M" -o "$DIR/time.txt" java "-Xmx$HEAP" -Xlog:gc:file="$DIR/gc-$c.log" -jar "$JAR" \
    prepare "$in" --output "$out" --blob-url "$EP/bench/$blob" --connection-string-file "$DIR/cs.txt" \
    --allowed-blob-host 127.0.0.1 --service-version 2026-06-06 --max-size 1T --remove-user builder \
    --report "$DIR/report-$c.json" > "$DIR/out-$c.txt" 2> >(while IFS= read -r l; do
      printf '%.1f %s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$l"; done > "$DIR/err-$c.txt") &
  tpid=$!
  # the JVM's I/O counters, sampled until it exits (rchar: bytes read through read()/pread(), cache hits included)
  jpid=""; : > "$DIR/io-$c.txt"
  while kill -0 "$tpid" 2>/dev/null; do
    [ -n "$jpid" ] || jpid=$(pgrep -P "$tpid" java || true)
    [ -n "$jpid" ] && cat "/proc/$jpid/io" > "$DIR/io-$c.tmp" 2>/dev/null && mv "$DIR/io-$c.tmp" "$DIR/io-$c.txt"
    sleep 0.5
  done
  wait "$tpid"; rc=$?
  set -e
  sleep 1  # the stderr timestamper
  az1=$(cpu_of "$AZPID")
  read -r wall user sys rss < <(tail -1 "$DIR/time.txt")
  WALL[$c]=$wall
  gc=$(awk '/Pause/ { n++; ms = $NF; sub("ms", "", ms); t += ms; split($0, a, "->"); split(a[2], b, "M"); if (b[1] + 0 > m) m = b[1] + 0 }
            END { printf "%d / %.0f / %d MiB", n, t, m }' "$DIR/gc-$c.log")
  rchar=$(awk '/^rchar/ { printf "%.2f", $2 / 2^30 }' "$DIR/io-$c.txt")
  up=$(uploaded "$blob" || echo "?")
  step() { awk -v k="$1" '$0 ~ k { print $1; exit }' "$DIR/err-$c.txt"; }
  tc=$(step '\] convert'); tp=$(step '\] patch'); tu=$(step '\] upload'); td=$(step '\] done')
  steps="$(echo "$tp - $tc" | bc) / $(echo "$tu - $tp" | bc) / $(echo "$td - $tu" | bc)"
  say "| $c | $(qemu-img info --output=json "$in" | python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual-size"])') | $data | $wall | $(echo "$user + $sys" | bc) | $(( rss / 1024 )) | $HEAP | $gc | $up | $rchar | $(echo "$az1 - $az0" | bc) | $steps | $rc | $(cut -d' ' -f1 /proc/loadavg) |"
  (grep -c "opening the guest file systems" "$DIR/err-$c.txt" || true) | sed "s/^/   $c: guest opened (progress lines 'opening the guest file systems'): /" | tee -a "$RES"
  cp "$DIR/err-$c.txt" "target/prepare-large-$c.log"
  # free the space before the next case: the input, the output VHD and the blob's extents
  rm -f "$out" "$out".state.json "$in"
  az storage blob delete --container-name bench --name "$blob" --connection-string "$CS" -o none 2>/dev/null || true
done
say ""
if [ -n "${WALL[large]:-}" ] && [ -n "${WALL[dense]:-}" ]; then
  say "ratio large / dense wall time: $(echo "scale=2; ${WALL[large]} / ${WALL[dense]}" | bc)"
fi
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg); steps from prepare's own progress lines (target/prepare-large-*.log)"
