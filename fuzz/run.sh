#!/usr/bin/env bash
# Runs the libFuzzer targets of a WISP_FUZZ build, each for a bounded time: `make fuzz` calls
#   fuzz/run.sh BUILD_DIR SECONDS [TARGET...]     (targets: module http wasi_path config diff)
# Each target starts from its seeds (fuzz/corpus/TARGET, read only) plus what earlier runs in
# this build dir found (BUILD_DIR/fuzz/corpus/TARGET). A crash, leak, timeout or failed property
# stops that target and is saved as BUILD_DIR/fuzz/crashes/TARGET-*; the script exits non-zero
# if any target failed. FUZZ_JOBS=N runs N processes per target (libFuzzer -fork).
set -uo pipefail
build=${1:?usage: fuzz/run.sh BUILD_DIR SECONDS [TARGET...]}
seconds=${2:?usage: fuzz/run.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
here="$(cd "$(dirname "$0")" && pwd)"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(module http wasi_path config diff)

# Per target: largest input, per-input timeout (s), dictionary.
declare -A max_len=([module]=65536 [http]=8192 [wasi_path]=4096 [config]=4096 [diff]=4096)
declare -A timeout=([module]=30 [http]=30 [wasi_path]=30 [config]=30 [diff]=300)
declare -A dict=([http]=http.dict [config]=config.dict)

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
failed=()
for t in "${targets[@]}"; do
  bin="$build/fuzz/fuzz_$t"
  if [ ! -x "$bin" ]; then
    echo "fuzz: $bin is missing (build the target fuzz_targets with -DWISP_FUZZ=ON)" >&2
    failed+=("$t")
    continue
  fi
  work="$build/fuzz/corpus/$t"
  crashes="$build/fuzz/crashes"
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
    failed+=("$t")
  else
    echo "fuzz: $t ok: ${runs:-?} inputs, ${cov:-cov: ?} edges, corpus $(ls "$work" | wc -l) files"
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failed: ${failed[*]} (reproduce: BUILD/fuzz/fuzz_TARGET BUILD/fuzz/crashes/FILE)" >&2
  exit 1
fi
