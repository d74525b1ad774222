#!/usr/bin/env bash
# Long form of the process-level reliability tests: crash-restart, SIGTERM with many resting
# quotes, and the daily loss halt across a restart, each over KALSHI_SOAK_SEEDS seeds
# (default 10; the bounded form in `cargo test` runs one). Exits non-zero on the first failure.
#
#   scripts/soak.sh            # 10 seeds per test
#   scripts/soak.sh 50         # 50 seeds per test
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${1:-${KALSHI_SOAK_SEEDS:-10}}"
if ! [[ "$seeds" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: scripts/soak.sh [SEEDS]  (a positive whole number, got '$seeds')" >&2
    exit 2
fi
started=$(date +%s)
KALSHI_SOAK_SEEDS="$seeds" cargo test -p kalshi-bot \
    --test reliability_crash_restart \
    --test reliability_shutdown \
    --test reliability_risk_halt \
    -- --nocapture --test-threads 1
echo "soak: $seeds seeds per test passed in $(( $(date +%s) - started )) s"
