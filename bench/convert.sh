#!/usr/bin/env bash
# Benchmark: our `convert` vs `qemu-img convert -O vpc -o subformat=fixed,force_size=on`, same inputs, same output
# file system, same run. Prints a COLD table (the page cache is dropped before EACH tool's run:
# `sync; echo 3 > /proc/sys/vm/drop_caches`, needs root) and a WARM table (the input is read once, untimed, before
# each tool's run), with wall seconds, CPU seconds (user + sys of the tool and its children, /usr/bin/time) and the
# ratios ours / qemu-img of both, and copy_s: our copy's own time as it reports it (wall minus JVM start-up and
# opening the image), which shows the copy engine apart from the JVM's start-up.
#
# Shapes:  dense  = BENCH_DENSE_MIB (default 1024) MiB of random data, every byte written;
#          sparse = BENCH_SPARSE_MIB (default 4096) MiB virtual with 1/10 of it random data in 64 MiB pieces
#                   spread evenly;
#          text   = BENCH_DENSE_MIB MiB of compressible text (not in the default set).
# (The issue #14 figures used BENCH_DENSE_MIB=4096; the older sparse 20 GiB/2 GiB case is BENCH_SPARSE_MIB=20480.)
# Formats: raw, qcow2, vhd (dynamic), vhdx, vmdk (monolithicSparse), vdi by default; also qcow2c (compressed qcow2)
#          and vmdks (streamOptimized).
#
# Options (environment):
#   BENCH_SHAPES="dense sparse"  BENCH_FORMATS="raw qcow2 vhd vhdx vmdk vdi"  BENCH_CACHE="cold warm"
#   BENCH_RUNS=2            runs per case and cache mode; odd runs time ours first, even runs qemu-img first.
#                           After the per-run tables, a MEDIANS table per cache mode sums each case up over its runs
#                           (use an even number so that both orders count equally).
#   BENCH_DIR=bench/out     work directory (gitignored); BENCH_KEEP=1 keeps generated inputs between runs
#   BENCH_JAR=target/quarkus-app/quarkus-run.jar   BENCH_JAVA_OPTS="-Xmx256m" (keep the heap bound)
#   BENCH_VERIFY=1          compare the two outputs with `qemu-img compare` once per case
# Fairness: same input file, output to the same directory. Ours fsyncs its output before the atomic rename; qemu-img
# does not, so it is timed as `qemu-img convert ... && sync FILE`: both pay for getting their output to the disk.
# Ours is timed including JVM start-up. `sync` runs (untimed) before each tool so neither pays for the other's dirty
# pages. Each table line gives the 1-minute load average at the end of the case: the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."
SHAPES=${BENCH_SHAPES:-"dense sparse"}
FORMATS=${BENCH_FORMATS:-"raw qcow2 vhd vhdx vmdk vdi"}
CACHES=${BENCH_CACHE:-"cold warm"}
DENSE=${BENCH_DENSE_MIB:-1024}
SPARSE=${BENCH_SPARSE_MIB:-4096}
DIR=${BENCH_DIR:-bench/out}
JAR=${BENCH_JAR:-target/quarkus-app/quarkus-run.jar}
RUNS=${BENCH_RUNS:-2}
read -r -a JOPTS <<< "${BENCH_JAVA_OPTS:--Xmx256m}"
[ -f "$JAR" ] || { echo "build first: ./mvnw -o package -DskipTests ($JAR missing)" >&2; exit 1; }
for t in qemu-img /usr/bin/time java du; do command -v "$t" >/dev/null || { echo "missing tool: $t" >&2; exit 1; }; done
case " $CACHES " in *" cold "*)
  [ -w /proc/sys/vm/drop_caches ] || { echo "the cold table needs root (drop_caches); BENCH_CACHE=warm" >&2; exit 1; } ;;
esac
mkdir -p "$DIR"

make_raw() { # shape -> path of a raw source (cached)
  local shape=$1 f
  case $shape in sparse) f="$DIR/src-sparse-$SPARSE.raw" ;; *) f="$DIR/src-$shape-$DENSE.raw" ;; esac
  [ -f "$f" ] && { echo "$f"; return; }
  local chunk="$DIR/chunk-64m.bin"
  [ -f "$chunk" ] || head -c $((64 << 20)) /dev/urandom > "$chunk"
  rm -f "$f.tmp"
  case $shape in
    sparse)
      local data n stride i
      data=$(( SPARSE / 10 )); n=$(( (data + 63) / 64 )); stride=$(( SPARSE / n ))
      truncate -s "${SPARSE}M" "$f.tmp"
      for ((i = 0; i < n; i++)); do
        dd if="$chunk" of="$f.tmp" bs=1M count=$(( data < 64 ? data : 64 )) seek=$(( i * stride + 3 )) \
           conv=notrunc,sparse status=none
      done ;;
    dense)
      local i
      for ((i = 0; i < DENSE; i += 64)); do
        # a fresh 64 MiB of random data each time: no repeated blocks for a format to deduplicate
        head -c $(( (DENSE - i < 64 ? DENSE - i : 64) << 20 )) /dev/urandom \
          | dd of="$f.tmp" bs=1M seek=$i conv=notrunc iflag=fullblock status=none
      done ;;
    text)
      yes "The quick brown fox jumps over the lazy dog; lorem ipsum dolor sit amet $RANDOM" \
        | head -c $((DENSE << 20)) > "$f.tmp" ;;
  esac
  mv "$f.tmp" "$f"
  echo "$f"
}

make_input() { # raw fmt -> path
  local raw=$1 fmt=$2 out="$DIR/in-$(basename "$1" .raw).$2"
  [ "$fmt" = raw ] && { echo "$raw"; return; }
  [ -f "$out" ] && { echo "$out"; return; }
  case $fmt in
    qcow2)  qemu-img convert -f raw -O qcow2 "$raw" "$out.tmp" ;;
    qcow2c) qemu-img convert -c -f raw -O qcow2 "$raw" "$out.tmp" ;;
    vhdx)   qemu-img convert -f raw -O vhdx -o subformat=dynamic "$raw" "$out.tmp" ;;
    vhd)    qemu-img convert -f raw -O vpc -o subformat=dynamic,force_size=on "$raw" "$out.tmp" ;;
    vmdk)   qemu-img convert -f raw -O vmdk -o subformat=monolithicSparse "$raw" "$out.tmp" ;;
    vmdks)  qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$raw" "$out.tmp" ;;
    vdi)    qemu-img convert -f raw -O vdi "$raw" "$out.tmp" ;;
  esac
  mv "$out.tmp" "$out"
  echo "$out"
}

qfmt() { case $1 in qcow2c) echo qcow2 ;; vhd) echo vpc ;; vmdks) echo vmdk ;; *) echo "$1" ;; esac; }

prepare_cache() { # mode in
  sync
  if [ "$1" = cold ]; then
    echo 3 > /proc/sys/vm/drop_caches
    # the input is cold, the tools are not: start both once (untimed) so the JVM's class files and qemu-img's
    # libraries are back in the page cache, as on any machine that ran them before (BENCH_COLD_TOOLS=1 skips this
    # and times the tools' own cold start too)
    if [ "${BENCH_COLD_TOOLS:-0}" != 1 ]; then
      java "${JOPTS[@]}" -jar "$JAR" convert --help > /dev/null
      qemu-img --help > /dev/null
    fi
  else
    cat "$2" > /dev/null
  fi
}

timed() { # log cmd... -> prints "wall_seconds cpu_seconds rss_kib"
  local log=$1; shift
  /usr/bin/time -f '%e %U %S %M' -o "$log" "$@" > /dev/null 2> "$log.err" || { cat "$log.err" >&2; return 1; }
  awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$log"
}

run_ours() { # mode in -> "wall cpu rss"
  rm -f "$DIR/ours.vhd"
  prepare_cache "$1" "$2"
  timed "$DIR/ours.time" java "${JOPTS[@]}" -jar "$JAR" convert "$2" "$DIR/ours.vhd"
}

copy_secs() { # the copy's own time as ours reports it ("... written in 1.2 s"): wall minus JVM start-up and open
  sed -n 's/.* written in \([0-9.]*\) s$/\1/p' "$DIR/ours.time.err" | tail -1
}

run_qemu() { # mode in fmt -> "wall cpu rss"
  rm -f "$DIR/qemu.vhd"
  prepare_cache "$1" "$2"
  timed "$DIR/qemu.time" sh -c 'qemu-img convert -f "$1" -O vpc \
    -o subformat=fixed,force_size=on "$2" "$3" && sync "$3"' sh "$(qfmt "$3")" "$2" "$DIR/qemu.vhd"
}

echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%d MiB RAM", $2 / 1024 }' /proc/meminfo),"\
  "$(uname -r), $(java -version 2>&1 | head -1), $(qemu-img --version | head -1)"
echo "output fs: $(df -T "$DIR" | awk 'NR == 2 { print $2 " on " $1 }'); ours fsyncs its output, qemu-img is followed by sync FILE"
echo "sizes: dense ${DENSE} MiB, sparse ${SPARSE} MiB virtual / $((SPARSE / 10)) MiB data; runs per case: $RUNS; load at start: $(cut -d' ' -f1-3 /proc/loadavg)"

declare -A ROWS
for shape in $SHAPES; do
  raw=$(make_raw "$shape")
  for fmt in $FORMATS; do
    in=$(make_input "$raw" "$fmt")
    for mode in $CACHES; do
      for ((run = 1; run <= RUNS; run++)); do
        if ((run % 2)); then
          read -r os ocpu orss < <(run_ours "$mode" "$in")
          oc_s=$(copy_secs)
          read -r qs qcpu qrss < <(run_qemu "$mode" "$in" "$fmt")
        else
          read -r qs qcpu qrss < <(run_qemu "$mode" "$in" "$fmt")
          read -r os ocpu orss < <(run_ours "$mode" "$in")
          oc_s=$(copy_secs)
        fi
        if [ "${BENCH_VERIFY:-1}" = 1 ] && [ "$run" = 1 ] && [ "$mode" = "${CACHES%% *}" ]; then
          qemu-img compare -q -f vpc -F vpc "$DIR/ours.vhd" "$DIR/qemu.vhd" || echo "  !! $shape $fmt: outputs differ" >&2
        fi
        line=$(awk -v sh="$shape" -v f="$fmt" -v r="$run" -v os="$os" -v qs="$qs" -v oc="$ocpu" -v qc="$qcpu" \
          -v om="$orss" -v qm="$qrss" -v l="$(cut -d' ' -f1 /proc/loadavg)" -v cs="${oc_s:-0}" 'BEGIN {
            printf "%-7s %-7s %3d %8.2f %8.2f %6.2f %7.1f %8.2f %8.2f %6.2f %8d %8d %5s", sh, f, r, os, qs,
              (qs > 0 ? os / qs : 0), cs, oc, qc, (qc > 0 ? oc / qc : 0), om / 1024, qm / 1024, l }')
        ROWS[$mode]+="$line"$'\n'
        echo "$mode $line" >&2
      done
    done
    rm -f "$DIR/ours.vhd" "$DIR/qemu.vhd"
    [ "${BENCH_KEEP:-0}" = 1 ] || [ "$fmt" = raw ] || rm -f "$in"
  done
  [ "${BENCH_KEEP:-0}" = 1 ] || rm -f "$raw"
done
for mode in $CACHES; do
  echo
  echo "${mode^^} (wall and CPU seconds; ratio = ours / qemu-img; copy_s = ours' copy alone, without JVM start-up"
  echo "and image open, as it reports it; RSS peak MiB; load = 1-min load average at the end of the case)"
  printf '%-7s %-7s %3s %8s %8s %6s %7s %8s %8s %6s %8s %8s %5s\n' shape format run ours_s qemu_s ratio copy_s \
    ours_cpu qemu_cpu ratio ours_MiB qemu_MiB load
  printf '%s' "${ROWS[$mode]}"
done
# One run's noise on a shared VM is larger than the differences measured (docs/performance.md), and which tool runs
# first matters: odd runs time ours first, even runs qemu-img first. So each case is also summed up over its runs,
# by the medians of the two tools' times (with an even BENCH_RUNS both orders count equally).
for mode in $CACHES; do
  echo
  echo "${mode^^}, MEDIANS over $RUNS runs (ratio = median ours / median qemu-img; wins = runs where ours took no more"
  echo "wall time than qemu-img)"
  printf '%-7s %-7s %8s %8s %6s %8s %8s %6s %5s\n' shape format ours_s qemu_s ratio ours_cpu qemu_cpu ratio wins
  printf '%s' "${ROWS[$mode]}" | awk '
    function median(list,   a, n, i, j, t) {
      n = split(list, a, " ")
      for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    NF >= 9 {
      k = $1 " " $2
      if (!(k in os)) order[++cases] = k
      os[k] = os[k] " " $4; qs[k] = qs[k] " " $5; oc[k] = oc[k] " " $8; qc[k] = qc[k] " " $9
      runs[k]++; if ($4 <= $5) wins[k]++
    }
    END {
      for (c = 1; c <= cases; c++) {
        k = order[c]; split(k, sf, " ")
        mo = median(os[k]); mq = median(qs[k]); co = median(oc[k]); cq = median(qc[k])
        printf "%-7s %-7s %8.2f %8.2f %6.2f %8.2f %8.2f %6.2f %2d/%-2d\n", sf[1], sf[2], mo, mq,
          (mq > 0 ? mo / mq : 0), co, cq, (cq > 0 ? co / cq : 0), wins[k] + 0, runs[k]
      }
    }'
done
