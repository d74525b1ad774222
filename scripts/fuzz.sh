#!/usr/bin/env bash
# Runs every cargo-fuzz target for a bounded time and summarizes executions and crashes.
#
#   scripts/fuzz.sh                 30 s per target (the quick form)
#   scripts/fuzz.sh 3600            an hour per target (the long form)
#   scripts/fuzz.sh 60 wal_reader   only the named targets
#   FUZZ_SANITIZER=address scripts/fuzz.sh 3600    with AddressSanitizer (slower)
#
# Needs a nightly toolchain (`rustup toolchain install nightly`); installs cargo-fuzz from the
# package registry if it is missing. Targets build with optimizations plus debug assertions
# and overflow checks, so an arithmetic overflow is a crash. The sanitizer defaults to none:
# our crates forbid `unsafe`, so what fuzzing finds here is panics, overflows, hangs and
# broken invariants; set FUZZ_SANITIZER=address to also check the dependencies' unsafe code.
#
# Seeds are read from fuzz/corpus/<target>/ (committed, never written); inputs the fuzzer
# finds go to fuzz/work/<target>/ and crashes to fuzz/artifacts/<target>/ (both ignored by
# git). Reproduce a crash with `cargo +nightly fuzz run <target> <artifact file>`.
# Exit status: 0 when no target crashed, 1 otherwise.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SECONDS_PER_TARGET="${1:-30}"
shift || true
TARGETS=("$@")
if [ "${#TARGETS[@]}" -eq 0 ]; then
  TARGETS=(ws_frame rest_decoders fixed_point wal_reader)
fi
SANITIZER="${FUZZ_SANITIZER:-none}"

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "cargo-fuzz needs a nightly toolchain: rustup toolchain install nightly" >&2
  exit 2
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz not found; installing it (a few minutes)" >&2
  cargo install cargo-fuzz --locked || exit 2
fi

echo "== building fuzz targets (sanitizer: $SANITIZER)" >&2
cargo +nightly fuzz build -s "$SANITIZER" || exit 2

failed=0
summary=()
for target in "${TARGETS[@]}"; do
  work="fuzz/work/$target"
  log="fuzz/work/$target.log"
  mkdir -p "$work"
  echo "== $target for ${SECONDS_PER_TARGET}s" >&2
  cargo +nightly fuzz run -s "$SANITIZER" "$target" "$work" "fuzz/corpus/$target" -- \
    -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 >"$log" 2>&1
  status=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  if [ "$status" -eq 0 ]; then
    verdict="ok"
  else
    verdict="CRASH (exit $status; see $log and fuzz/artifacts/$target/)"
    failed=1
    tail -40 "$log" >&2
  fi
  summary+=("$(printf '%-14s %10s runs %8s exec/s  cov %6s  %s' \
    "$target" "${runs:-?}" "${rate:-?}" "${cov:-?}" "$verdict")")
done

echo
echo "== fuzz summary (${SECONDS_PER_TARGET}s per target, sanitizer $SANITIZER)"
printf '%s\n' "${summary[@]}"
exit "$failed"
