#!/usr/bin/env bash
# Benchmark (opt-in, issue #14): JVM start-up of the core commands, with and without class-data sharing and other
# launch options. Times `--help`, `inspect` and `check` of the demo's sample disk (scripts/make-sample-disk.sh,
# 64 MiB qcow2) for each variant; prints the best of RUNS for wall seconds and for CPU seconds (user + sys,
# /usr/bin/time), each variant's ratio to the plain `java -jar` and the load average. Runs are interleaved
# (run 1 of every variant, then run 2, ...) so that a change in the shared machine's load hits all variants alike.
#
# Variants (VARIANTS, default all that can run here):
#   base       java -jar quarkus-run.jar (the JDK's default CDS archive of JDK classes is on: -Xshare:auto)
#   noshare    -Xshare:off: what the default CDS archive already saves
#   c1         -XX:TieredStopAtLevel=1 (C1 only: less JIT CPU, slower peak code)
#   dyn        -XX:SharedArchiveFile=<dynamic archive>, made by one `check` run with -XX:ArchiveClassesAtExit
#   dync1      dyn and c1 together
#   quarkus    -XX:SharedArchiveFile=target/quarkus-app/app-cds.jsa, Quarkus' own AppCDS
#              (build with -Dquarkus.package.jar.appcds.enabled=true; skipped when absent)
#   j25        the same jar on JAVA25 (default: Temurin 25 under /usr/lib/jvm), for information
#   j25aot     JAVA25 with -XX:AOTCache=<cache> (JEP 483), made by one `check` run with -XX:AOTCacheOutput (JEP 514)
#   flat       no runner jar: `java -cp <the application's jars, listed below> dev.linuximage.Main`, so that
#              the JDK's own application class loader loads every class (the core commands do not boot Quarkus)
#   flatdyn    flat with a dynamic archive made by one flat `check`: classes of the JDK's built-in loaders are
#              archived whole, where the runner's class loader still reads each class's bytes from its jar
# For every archive variant the script first checks that the archive is really used: it counts the classes the
# JVM reports loaded from the "shared objects file" (-Xlog:class+load) and stops when there are none.
#
# Every java runs in the application directory as `java ... -jar quarkus-run.jar` (flat variants: `-cp <list>`, the
# same list every time), as Quarkus documents the launch with its archive: a CDS archive records the class path it
# was made with and is refused for another one.
#
# Usage: bench/startup.sh     env: RUNS=5 VARIANTS="base dyn ..." JAVA=java JAVA25=... WORK=target/bench-startup
#                                  APP=target/quarkus-app (the built application directory)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
JAVA=${JAVA:-java}
JAVA25=${JAVA25:-$(ls -d /usr/lib/jvm/temurin-25*/bin/java 2>/dev/null | head -1 || true)}
mkdir -p "${WORK:=target/bench-startup}"
WORK=$(cd "$WORK" && pwd)
APP=$(cd "${APP:-target/quarkus-app}" 2>/dev/null && pwd || echo "$PWD/target/quarkus-app")
JAR=quarkus-run.jar
VARIANTS=${VARIANTS:-base noshare c1 dyn dync1 quarkus j25 j25aot flat flatdyn}
for t in /usr/bin/time "$JAVA" qemu-img sgdisk mke2fs mkfs.vfat mcopy; do
  command -v "$t" >/dev/null || { echo "missing tool: $t" >&2; exit 1; }
done
if [ ! -f "$APP/$JAR" ]; then
  echo "building $APP/$JAR ..." >&2
  ./mvnw -B -q -o package -DskipTests >&2
fi
DISK=$WORK/sample.qcow2
[ -f "$DISK" ] || scripts/make-sample-disk.sh "$WORK" >/dev/null
cd "$APP"
# the flat class path, relative to $APP: Quarkus' transformed and generated classes first, then the application,
# then its libraries, each directory sorted, so that every run (and the archive's training run) has the same one
FLATCP=$(printf '%s:' quarkus/transformed-bytecode.jar quarkus/generated-bytecode.jar app/*.jar \
  $(ls lib/main/*.jar | LC_ALL=C sort) $(ls lib/boot/*.jar | LC_ALL=C sort))
FLATCP=${FLATCP%:}

declare -A CMD=([help]="--help" [inspect]="inspect $DISK" [check]="check $DISK")
COMMANDS=${COMMANDS:-help inspect check}

# the flags of a variant ("" = none); a variant that cannot run here prints nothing and returns 1
flags() {
  case $1 in
    base | j25) echo "-Xshare:auto" ;;
    noshare) echo "-Xshare:off" ;;
    c1) echo "-XX:TieredStopAtLevel=1" ;;
    dyn) echo "-XX:SharedArchiveFile=$WORK/dyn.jsa" ;;
    dync1) echo "-XX:SharedArchiveFile=$WORK/dyn.jsa -XX:TieredStopAtLevel=1" ;;
    quarkus) [ -f "$APP/app-cds.jsa" ] || return 1; echo "-XX:SharedArchiveFile=app-cds.jsa" ;;
    j25aot) echo "-XX:AOTCache=$WORK/app.aot" ;;
    flat) echo "-Xshare:auto" ;;
    flatdyn) echo "-XX:SharedArchiveFile=$WORK/flatdyn.jsa" ;;
    *) echo "unknown variant $1" >&2; exit 2 ;;
  esac
}
jvm() { case $1 in j25 | j25aot) echo "$JAVA25" ;; *) echo "$JAVA" ;; esac; }
# what follows the flags: the runner jar, or the flat class path and the main class
launch() { case $1 in flat | flatdyn) echo "-cp $FLATCP dev.linuximage.Main" ;; *) echo "-jar $JAR" ;; esac; }

# training runs (untimed): one `check`, whose exit code 4 (not compliant) is expected of the sample disk
train() {
  local rc=0
  case $1 in
    dync1) [ -s "$WORK/dyn.jsa" ] || train dyn ;;
    dyn) rm -f "$WORK/dyn.jsa"
         "$JAVA" -XX:ArchiveClassesAtExit="$WORK/dyn.jsa" -jar "$JAR" ${CMD[check]} >/dev/null 2>"$WORK/train-dyn.log" || rc=$?
         [ -s "$WORK/dyn.jsa" ] || { echo "dyn: no archive written (rc $rc), see $WORK/train-dyn.log" >&2; return 1; } ;;
    j25aot) rm -f "$WORK/app.aot"
         "$JAVA25" -XX:AOTCacheOutput="$WORK/app.aot" -jar "$JAR" ${CMD[check]} >/dev/null 2>"$WORK/train-aot.log" || rc=$?
         [ -s "$WORK/app.aot" ] || { echo "j25aot: no cache written (rc $rc), see $WORK/train-aot.log" >&2; return 1; } ;;
    flatdyn) rm -f "$WORK/flatdyn.jsa"
         "$JAVA" -XX:ArchiveClassesAtExit="$WORK/flatdyn.jsa" $(launch flat) ${CMD[check]} >/dev/null \
           2>"$WORK/train-flatdyn.log" || rc=$?
         [ -s "$WORK/flatdyn.jsa" ] || { echo "flatdyn: no archive written (rc $rc), see $WORK/train-flatdyn.log" >&2; return 1; } ;;
  esac
  return 0
}

# how many classes a `check` run loads, and how many of them from a CDS archive / AOT cache
shared_count() {
  local v=$1 f log=$WORK/classload-$1.log
  f=$(flags "$v")
  "$(jvm "$v")" $f -Xlog:class+load=info:file="$log" $(launch "$v") ${CMD[check]} >/dev/null 2>&1 || true
  echo "$(grep -c 'source: shared objects file' "$log" || true) $(grep -c 'source:' "$log" || true)"
}

ACTIVE=()
for v in $VARIANTS; do
  case $v in j25 | j25aot) [ -n "$JAVA25" ] && [ -x "$JAVA25" ] || { echo "skip $v: no JAVA25" >&2; continue; } ;; esac
  flags "$v" >/dev/null || { echo "skip $v: no archive (build with -Dquarkus.package.jar.appcds.enabled=true)" >&2; continue; }
  train "$v" || exit 1
  ACTIVE+=("$v")
done

echo "# machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo); $("$JAVA" -version 2>&1 | head -1)${JAVA25:+; $("$JAVA25" -version 2>&1 | head -1)}"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg); RUNS=$RUNS; disk $DISK ($(stat -c %s "$DISK") bytes)"
for v in "${ACTIVE[@]}"; do
  read -r shared total < <(shared_count "$v")
  echo "# $v: $(jvm "$v") $(flags "$v")   classes loaded by check: $total, from the shared archive: $shared"
  case $v in
    dyn | dync1 | quarkus | j25aot | flatdyn)
      if [ "$shared" -eq 0 ]; then echo "FAIL: $v loaded no class from its archive" >&2; exit 1; fi
      # a run that must map the archive: -Xshare:on (JDK 25's AOT cache: -XX:AOTMode=on) makes the JVM refuse to
      # start when it cannot
      strict=-Xshare:on; [ "$v" = j25aot ] && strict=-XX:AOTMode=on
      "$(jvm "$v")" $(flags "$v") $strict $(launch "$v") --version >/dev/null 2>&1 \
        || { echo "FAIL: $v does not start with $strict (archive not mappable)" >&2; exit 1; } ;;
  esac
done

declare -A WALL CPU
for run in $(seq 1 "$RUNS"); do
  for v in "${ACTIVE[@]}"; do
    for c in $COMMANDS; do
      rc=0
      /usr/bin/time -f "%e %U %S" -o "$WORK/time" "$(jvm "$v")" $(flags "$v") $(launch "$v") ${CMD[$c]} \
        >/dev/null 2>"$WORK/err" || rc=$?
      if [ "$rc" -ne 0 ] && ! { [ "$c" = check ] && [ "$rc" -eq 4 ]; }; then
        echo "FAIL: $v $c exit $rc" >&2; cat "$WORK/err" >&2; exit 1
      fi
      read -r w u s < <(tail -1 "$WORK/time")
      cpu=$(echo "$u + $s" | bc)
      k="$v/$c"
      if [ -z "${WALL[$k]:-}" ] || [ "$(echo "$w < ${WALL[$k]}" | bc)" = 1 ]; then WALL[$k]=$w; fi
      if [ -z "${CPU[$k]:-}" ] || [ "$(echo "$cpu < ${CPU[$k]}" | bc)" = 1 ]; then CPU[$k]=$cpu; fi
    done
  done
done

ratio() { if [ -n "${2:-}" ]; then printf '%.2f' "$(echo "scale=4; $1 / $2" | bc)"; else echo -; fi; }
echo
printf '| variant |'; for c in $COMMANDS; do printf ' %s wall s (×base) | %s CPU-s (×base) |' "$c" "$c"; done; echo
printf '|---|'; for c in $COMMANDS; do printf -- '---|---|'; done; echo
for v in "${ACTIVE[@]}"; do
  printf '| %s |' "$v"
  for c in $COMMANDS; do
    printf ' %s (%s) | %s (%s) |' "${WALL[$v/$c]}" "$(ratio "${WALL[$v/$c]}" "${WALL[base/$c]:-}")" \
      "${CPU[$v/$c]}" "$(ratio "${CPU[$v/$c]}" "${CPU[base/$c]:-}")"
  done
  echo
done
echo
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg); best of $RUNS per cell"
