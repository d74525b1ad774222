#!/usr/bin/env bash
# Long form of the process-level reliability tests: crash-restart, SIGTERM with many resting
# quotes, the daily loss halt across a restart, a reconnect during open quotes and a 429
# storm, each over KALSHI_SOAK_SEEDS seeds
# (default 10; the bounded form in `cargo test` runs one); then the deterministic whole-system
# simulation over KALSHI_DST_SEEDS seeds (default 100) of KALSHI_DST_STEPS steps (default
# 20000) each, in a release build. Exits non-zero on the first failure.
#
#   scripts/soak.sh            # 10 seeds per process test, 100 simulation seeds
#   scripts/soak.sh 50         # 50 seeds per process test
#   KALSHI_DST_SEEDS=40..60 KALSHI_DST_STEPS=50000 scripts/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
seeds="${1:-${KALSHI_SOAK_SEEDS:-10}}"
if ! [[ "$seeds" =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: scripts/soak.sh [SEEDS]  (a positive whole number, got '$seeds')" >&2
    exit 2
fi
started=$(date +%s)
KALSHI_SOAK_SEEDS="$seeds" cargo test -p kalshi-e2e \
    --test reliability_crash_restart \
    --test reliability_shutdown \
    --test reliability_risk_halt \
    --test reliability_reconnect \
    --test reliability_rate_limit \
    -- --nocapture --test-threads 1
dst_seeds="${KALSHI_DST_SEEDS:-100}"
dst_steps="${KALSHI_DST_STEPS:-20000}"
KALSHI_DST_SEEDS="$dst_seeds" KALSHI_DST_STEPS="$dst_steps" cargo test -p kalshi-bot --release \
    --bin kalshi-bot dst:: -- --nocapture --test-threads 1
echo "soak: $seeds seeds per test and simulation seeds $dst_seeds x $dst_steps steps passed in $(( $(date +%s) - started )) s"
