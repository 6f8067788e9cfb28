#!/usr/bin/env bash
# A long fuzzing campaign for one target, counted in CPU time rather than wall time (so that it
# can run at low priority beside other work): fuzz/run.sh in rounds of ROUND seconds (wall) on
# the same corpus until the fuzzer processes have used CPU_SECONDS of CPU (user + system).
# Stops at the first failure (crash, leak, timeout, failed property), like run.sh. Do not stop
# (SIGSTOP) the fuzzers while they run: libFuzzer's -timeout and the HTTP target's waits are
# wall-clock times, and a stopped process overruns them (a false timeout or finding).
#   fuzz/campaign.sh BUILD_DIR TARGET CPU_SECONDS [ROUND]      (e.g. build-fuzz module 3600)
# Prints one line per round and a summary: CPU seconds, inputs run, corpus size, failures.
set -uo pipefail
build=${1:?usage: fuzz/campaign.sh BUILD_DIR TARGET CPU_SECONDS [ROUND]}
target=${2:?usage: fuzz/campaign.sh BUILD_DIR TARGET CPU_SECONDS [ROUND]}
budget=${3:?usage: fuzz/campaign.sh BUILD_DIR TARGET CPU_SECONDS [ROUND]}
round=${4:-600}
here="$(cd "$(dirname "$0")" && pwd)"
cpu=0
inputs=0
rounds=0
start=$(date -u '+%Y-%m-%d %H:%M UTC')
# With FUZZ_JOBS, libFuzzer's -fork mode only saves timeouts and out-of-memory inputs (it ignores
# them by default): each new one is run again alone, and one that still fails fails the campaign.
since=$(mktemp)
trap 'rm -f "$since"' EXIT
rechecked=0
while [ "$cpu" -lt "$budget" ]; do
  times=$(mktemp)
  /usr/bin/time -f '%U %S' -o "$times" bash "$here/run.sh" "$build" "$round" "$target" >/dev/null
  rc=$?
  # The last line: after a failure, time writes "Command exited with non-zero status N" first.
  used=$(awk 'END {printf "%d", $1 + $2}' "$times")
  rm -f "$times"
  cpu=$((cpu + used))
  rounds=$((rounds + 1))
  log="$build/fuzz/$target.log"
  n=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  # With FUZZ_JOBS (libFuzzer -fork) the parent's last "#N: cov: ..." line counts every job's.
  [ -n "$n" ] || n=$(grep -oE '^#[0-9]+:' "$log" | tr -d '#:' | tail -1)
  inputs=$((inputs + ${n:-0}))
  echo "round $rounds: ${used} CPU s, ${n:-?} inputs (total ${cpu} CPU s, ${inputs} inputs)"
  if [ $rc -ne 0 ]; then
    echo "campaign $target: FAILED in round $rounds; see $log and $build/fuzz/crashes/" >&2
    tail -30 "$log" >&2
    exit 1
  fi
  for f in $(find "$build/fuzz/crashes" -newer "$since" \( -name "$target-timeout-*" -o \
             -name "$target-oom-*" \) 2>/dev/null); do
    rechecked=$((rechecked + 1))
    if ! timeout 600 "$build/fuzz/fuzz_$target" -timeout=60 -rss_limit_mb=4096 "$f" >/dev/null 2>&1
    then
      echo "campaign $target: FAILED: $f fails again when run alone" >&2
      exit 1
    fi
    echo "  $f: saved by -fork as a timeout/oom; runs clean alone"
  done
  touch "$since"
done
echo "campaign $target: started $start, ${cpu} CPU s in $rounds rounds, ${inputs} inputs," \
  "corpus $(ls "$build/fuzz/corpus/$target" | wc -l) files, 0 failures" \
  "($rechecked saved timeout/oom inputs re-run alone: all clean)"
