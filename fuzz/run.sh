#!/usr/bin/env bash
# Runs the libFuzzer targets of a WISP_FUZZ build, each for a bounded time: `make fuzz` calls
#   fuzz/run.sh BUILD_DIR SECONDS [TARGET...]     (targets: module http wasi_path config diff dylink)
# Each target starts from its seeds (fuzz/corpus/TARGET, read only) plus what earlier runs in
# this build dir found (BUILD_DIR/fuzz/corpus/TARGET). A crash, leak, timeout or failed property
# stops that target and is saved as BUILD_DIR/fuzz/crashes/TARGET-*; the script exits non-zero
# if any target failed. FUZZ_JOBS=N runs N processes per target (libFuzzer -fork); up to
# FUZZ_PARALLEL targets (default: the number of CPUs) run at the same time.
set -uo pipefail
build=${1:?usage: fuzz/run.sh BUILD_DIR SECONDS [TARGET...]}
seconds=${2:?usage: fuzz/run.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
here="$(cd "$(dirname "$0")" && pwd)"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(module http wasi_path config diff dylink)

# Per target: largest input, per-input timeout (s), dictionary.
declare -A max_len=([module]=65536 [http]=8192 [wasi_path]=4096 [config]=4096 [diff]=4096 [dylink]=16384)
declare -A timeout=([module]=30 [http]=30 [wasi_path]=30 [config]=30 [diff]=300 [dylink]=30)
declare -A dict=([http]=http.dict [config]=config.dict)

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
# Runs one target to its end and reports; exit status 0 when it found nothing.
run_target() {
  local t=$1
  local bin="$build/fuzz/fuzz_$t"
  if [ ! -x "$bin" ]; then
    echo "fuzz: $bin is missing (build the target fuzz_targets with -DWISP_FUZZ=ON)" >&2
    return 1
  fi
  local work="$build/fuzz/corpus/$t"
  local crashes="$build/fuzz/crashes"
  mkdir -p "$work" "$crashes"
  args=(-max_total_time="$seconds" -timeout="${timeout[$t]}" -max_len="${max_len[$t]}"
        -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$crashes/$t-")
  [ -n "${dict[$t]:-}" ] && args+=(-dict="$here/${dict[$t]}")
  [ -n "${FUZZ_JOBS:-}" ] && args+=(-fork="$FUZZ_JOBS" -ignore_crashes=0)
  log="$build/fuzz/$t.log"
  echo "fuzz: $t for ${seconds}s (log: $log)"
  "$bin" "${args[@]}" "$work" "$here/corpus/$t" >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
  if [ $rc -ne 0 ]; then
    echo "fuzz: $t FAILED (exit $rc) after ${runs:-?} inputs; the end of its log:" >&2
    tail -40 "$log" >&2
    return 1
  fi
  echo "fuzz: $t ok: ${runs:-?} inputs, ${cov:-cov: ?} edges, corpus $(ls "$work" | wc -l) files"
}

parallel=${FUZZ_PARALLEL:-$(nproc)}
declare -A pid_of=()
failed=()
wait_one() {  # waits for any running target; records it if it failed
  local done_pid
  wait -n -p done_pid
  local rc=$?
  local k
  for k in "${!pid_of[@]}"; do
    if [ "${pid_of[$k]}" = "$done_pid" ]; then
      [ $rc -eq 0 ] || failed+=("$k")
      unset "pid_of[$k]"
    fi
  done
}
for t in "${targets[@]}"; do
  while [ ${#pid_of[@]} -ge "$parallel" ]; do wait_one; done
  run_target "$t" &
  pid_of[$t]=$!
done
while [ ${#pid_of[@]} -gt 0 ]; do wait_one; done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]} (reproduce: BUILD/fuzz/fuzz_TARGET BUILD/fuzz/crashes/FILE)" >&2
  exit 1
fi
