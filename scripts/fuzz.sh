#!/usr/bin/env bash
# Bounded real fuzzing of every Jazzer @FuzzTest (the default suite only replays their regression inputs).
# jazzer-junit fuzzes only one @FuzzTest per JVM run under JAZZER_FUZZ=1, so each target gets its own surefire run
# (-Dtest=Class#method). FUZZ_SECONDS per target (default 30); FUZZ_CORPUS (default ~/.cache/linuximage/fuzz-corpus)
# keeps the generated corpus between runs (jazzer-junit writes it to .cifuzz-corpus/, linked there). A crashing
# input is written by Jazzer into src/test/resources/<package>/<Class>Inputs/<method>/ (its regression-input
# convention): commit it with the fix; inputs written by a run that timeout stopped are dropped (not findings).
# Exit status: non-zero if any target exited with a finding.
set -uo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET="${FUZZ_SECONDS:-30}"
CORPUS="${FUZZ_CORPUS:-$HOME/.cache/linuximage/fuzz-corpus}"
# total wall-clock budget (s): targets left when it is spent are skipped; the start rotates by day so every target
# gets its turn across CI runs
BUDGET="${FUZZ_BUDGET:-480}"
LOGS="${FUZZ_LOGS:-target/fuzz-logs}"
mkdir -p "$CORPUS" "$LOGS"
if [ ! -L .cifuzz-corpus ]; then
  rm -rf .cifuzz-corpus
  ln -s "$CORPUS" .cifuzz-corpus
fi
# inputs a run may write: Jazzer's regression inputs (src/test/resources/**/*Inputs/**) and crash-*/timeout-* files
# in the working directory; sorted for comm
written_inputs() {
  { find src/test/resources -path '*Inputs*' -type f 2>/dev/null
    find . -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'slow-unit-*' \) 2>/dev/null
  } | LC_ALL=C sort
}
targets=()
for f in $(grep -rl '@FuzzTest' src/test/java); do
  cls=$(basename "$f" .java)
  for m in $(grep -A1 '@FuzzTest' "$f" | grep -oP 'void \K\w+(?=\()'); do
    targets+=("$cls#$m")
  done
done
./mvnw -B -ntp -q test-compile
n=${#targets[@]}
start=$(( $(date +%j | sed 's/^0*//') % n ))
targets=("${targets[@]:start}" "${targets[@]:0:start}")
failed=()
t0=$SECONDS
for t in "${targets[@]}"; do
  if [ $((SECONDS - t0 + SECONDS_PER_TARGET + 20)) -gt "$BUDGET" ]; then
    echo "fuzz: budget of ${BUDGET}s spent, skipping $t"
    continue
  fi
  echo "fuzz: $t for ${SECONDS_PER_TARGET}s"
  # the hard bound covers the JVM start and a target that ignores max_duration
  log="$LOGS/${t/\#/.}.log"
  # the @FuzzTest(maxDuration) of the target ends a run normally (jazzer-junit 0.24 did not take a system property
  # for it here); the timeout (JVM start + FUZZ_SECONDS) cuts longer ones: exit 124 is "stopped", not a finding
  before=$(written_inputs)
  JAZZER_FUZZ=1 timeout $((SECONDS_PER_TARGET + 40)) ./mvnw -B -ntp -q surefire:test -Dtest="$t" \
      -Dsurefire.failIfNoSpecifiedTests=false >"$log" 2>&1
  rc=$?
  if [ $rc -eq 124 ] || [ $rc -eq 137 ] || [ $rc -eq 143 ]; then
    # stopped by timeout (TERM 124, KILL 137, TERM seen by the JVM 143): a crash-* input Jazzer wrote while being
    # killed is not a finding; drop what this run wrote
    comm -13 <(echo "$before") <(written_inputs) | while IFS= read -r f; do
      [ -n "$f" ] && rm -f -- "$f" && echo "fuzz: $t was stopped (exit $rc): dropped $f"
    done
  elif [ $rc -ne 0 ]; then
    failed+=("$t")
    tail -n 40 "$log"
  fi
  grep -E '^#[0-9]+[[:space:]]+(DONE|pulse)' "$log" | tail -n 1 | sed "s/^/fuzz: $t: /"
done
echo "fuzz: ${#targets[@]} targets, corpus in $CORPUS"
git status --porcelain -- 'src/test/resources/*Inputs*' | sed 's/^/fuzz: new regression input: /'
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: findings in: ${failed[*]}" >&2
  exit 1
fi
