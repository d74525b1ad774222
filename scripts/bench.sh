#!/usr/bin/env bash
# Runs the benchmark suite in release mode and writes BENCHMARKS.md.
#
#   scripts/bench.sh              full suite (about 10–15 minutes on 2 cores, builds excluded)
#   BENCH_SKIP_PEERS=1 scripts/bench.sh       without the Python peer backtesters
#   REPLAY_MEMORY_EVENTS=1000000 scripts/bench.sh   a smaller replay-memory journal
#
# Every figure is paired with a peer measured in the same run (see BENCHMARKS.md). Criterion
# leaves its estimates under target/criterion/<group>/<bench>/new/; everything else this script
# measures goes to target/bench/*.json; scripts/bench_report.py turns both into BENCHMARKS.md.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="$ROOT/target/bench"
mkdir -p "$OUT"
rm -f "$OUT"/*.json
REPLAY_MEMORY_EVENTS="${REPLAY_MEMORY_EVENTS:-10000000}"
BACKTEST_EVENTS="${BACKTEST_EVENTS:-50000}"
VENV="$ROOT/target/bench-venv"

log() { printf '\n=== %s\n' "$*" >&2; }

# JSON string escaping for the few facts written from shell.
json_str() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }

concurrent_compiles() {
  # Other engineers' compiles share the two cores; count rustc processes not started by us.
  local n
  n=$(ps -eo comm= | grep -c '^rustc$' || true)
  echo "$n"
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
compiles_start=$(concurrent_compiles)

log "building benches and examples"
cargo bench --no-run -p kalshi-core --bench book --bench engine >&2 || exit 1
cargo bench --no-run -p kalshi-io --bench ws_normalize --bench signing >&2 || exit 1
cargo bench --no-run -p kalshi-journal --bench append --bench payload_codec >&2 || exit 1
cargo bench --no-run -p kalshi-e2e --bench scan_markets >&2 || exit 1
cargo build --profile bench -p kalshi-replay --example backtest_throughput --example replay_memory --example replay_split >&2 || exit 1

compiles_after_build=$(concurrent_compiles)
run_start=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# While measuring, sample every 5 s whether anyone else is compiling (our builds are done).
SAMPLES="$OUT/compile_samples.txt"
: >"$SAMPLES"
( while true; do concurrent_compiles >>"$SAMPLES"; sleep 5; done ) &
SAMPLER_PID=$!
trap 'kill "$SAMPLER_PID" 2>/dev/null' EXIT

log "criterion: core"
cargo bench -p kalshi-core --bench book >&2
cargo bench -p kalshi-core --bench engine >&2
log "criterion: io"
cargo bench -p kalshi-io --bench ws_normalize >&2
cargo bench -p kalshi-io --bench signing >&2
log "criterion: journal"
cargo bench -p kalshi-journal --bench append >&2
cargo bench -p kalshi-journal --bench payload_codec >&2
log "criterion: scan over the local exchange"
cargo bench -p kalshi-e2e --bench scan_markets >&2

log "openssl speed (peer for signing)"
if ! command -v openssl >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    (apt-get install -y openssl >/dev/null 2>&1 || (apt-get update >/dev/null 2>&1 && apt-get install -y openssl >/dev/null 2>&1)) || true
  fi
fi
if command -v openssl >/dev/null 2>&1; then
  openssl speed -seconds 3 rsa2048 ed25519 >"$OUT/openssl.txt" 2>/dev/null
  python3 - "$OUT/openssl.txt" "$OUT/openssl.json" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
out = {"version": None}
rsa = re.search(r"^rsa\s+2048 bits\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)", text, re.M)
if rsa:
    out["rsa2048_sign_per_s"] = float(rsa.group(1))
    out["rsa2048_verify_per_s"] = float(rsa.group(2))
ed = re.search(r"^\s*253 bits EdDSA \(Ed25519\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)", text, re.M)
if ed:
    out["ed25519_sign_per_s"] = float(ed.group(1))
    out["ed25519_verify_per_s"] = float(ed.group(2))
if not rsa or not ed:
    out["error"] = "could not parse openssl speed output"
json.dump(out, open(sys.argv[2], "w"))
PY
  python3 - "$OUT/openssl.json" "$(openssl version)" <<'PY'
import json, sys
data = json.load(open(sys.argv[1])); data["version"] = sys.argv[2]
json.dump(data, open(sys.argv[1], "w"))
PY
else
  echo '{"error": "openssl is not installed and apt-get could not install it"}' >"$OUT/openssl.json"
fi

log "backtest: one market-day (450,000 events over 24 h of data) and the peers' stream ($BACKTEST_EVENTS events)"
STREAM="$OUT/l2_stream.csv"
if "$ROOT/target/release/examples/backtest_throughput" "$BACKTEST_EVENTS" "$STREAM" >"$OUT/backtest.json.tmp"; then
  mv "$OUT/backtest.json.tmp" "$OUT/backtest.json"
else
  rm -f "$OUT/backtest.json.tmp"
fi

if [ "${BENCH_SKIP_PEERS:-0}" != "1" ] && [ -f "$STREAM" ]; then
  log "peer backtesters (venv at $VENV)"
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV" >&2
  fi
  if ! "$VENV/bin/python" -c 'import hftbacktest, nautilus_trader' 2>/dev/null; then
    "$VENV/bin/pip" install --quiet hftbacktest nautilus_trader >&2 || true
  fi
  for peer in hftbacktest nautilus; do
    script="$ROOT/scripts/peers/${peer}_mm.py"
    if timeout 600 "$VENV/bin/python" "$script" "$STREAM" >"$OUT/peer_$peer.out" 2>"$OUT/peer_$peer.err"; then
      tail -n 1 "$OUT/peer_$peer.out" >"$OUT/peer_$peer.json"
    else
      reason=$(tail -n 3 "$OUT/peer_$peer.err" | tr '\n' ' ' | cut -c1-300)
      printf '{"error": %s}\n' "$(json_str "$reason")" >"$OUT/peer_$peer.json"
    fi
  done
fi

log "replay-verify peak memory over $REPLAY_MEMORY_EVENTS events"
JOURNAL="$OUT/replay-memory-journal"
rm -rf "$JOURNAL"
if "$ROOT/target/release/examples/replay_memory" write "$JOURNAL" "$REPLAY_MEMORY_EVENTS" >"$OUT/replay_memory_write.json.tmp"; then
  mv "$OUT/replay_memory_write.json.tmp" "$OUT/replay_memory_write.json"
  "$ROOT/target/release/examples/replay_memory" verify "$JOURNAL" >"$OUT/replay_memory_verify.json.tmp" \
    && mv "$OUT/replay_memory_verify.json.tmp" "$OUT/replay_memory_verify.json"
  log "replay split: the same journal read at each layer (decode only, engine, verify)"
  "$ROOT/target/release/examples/replay_split" "$JOURNAL" >"$OUT/replay_split.json.tmp" \
    && mv "$OUT/replay_split.json.tmp" "$OUT/replay_split.json"
  log "replay-verify of the same journal sealed to Parquet (as a finished live run is)"
  if "$ROOT/target/release/examples/replay_memory" seal "$JOURNAL" >"$OUT/replay_memory_seal.json.tmp"; then
    mv "$OUT/replay_memory_seal.json.tmp" "$OUT/replay_memory_seal.json"
    "$ROOT/target/release/examples/replay_memory" verify "$JOURNAL" >"$OUT/replay_memory_verify_sealed.json.tmp" \
      && mv "$OUT/replay_memory_verify_sealed.json.tmp" "$OUT/replay_memory_verify_sealed.json"
    "$ROOT/target/release/examples/replay_split" "$JOURNAL" >"$OUT/replay_split_sealed.json.tmp" \
      && mv "$OUT/replay_split_sealed.json.tmp" "$OUT/replay_split_sealed.json"
  fi
else
  echo '{"error": "writing the replay journal failed"}' >"$OUT/replay_memory_error.json"
fi
rm -rf "$JOURNAL"

kill "$SAMPLER_PID" 2>/dev/null
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
samples_total=$(grep -c . "$SAMPLES" || true)
samples_busy=$(grep -vc '^0$' "$SAMPLES" || true)
if [ "$compiles_start" -gt 0 ] || [ "${samples_busy:-0}" -gt 0 ]; then
  concurrent="yes — other rustc processes were running in $samples_busy of $samples_total samples taken every 5 s while measuring ($compiles_start at the start of the build); they share the cores, so absolute times are pessimistic and ratios less affected"
else
  concurrent="none seen in $samples_total samples taken every 5 s while measuring"
fi

python3 - "$OUT/machine.json" <<PY
import json, subprocess, sys
def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"
cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
json.dump({
    "cpu": cpu,
    "cores": sh("nproc"),
    "memory": sh("free -h | awk '/Mem:/ {print \$2}'"),
    "kernel": sh("uname -sr"),
    "rustc": sh("rustc --version"),
    "commit": sh("git -C '$ROOT' rev-parse --short HEAD") + (" (with uncommitted changes)" if sh("git -C '$ROOT' status --porcelain --untracked-files=no -- . ':(exclude)BENCHMARKS.md'") else ""),
    "date": "$run_start",
    "load_start": "$load_start",
    "load_end": "$load_end",
    "concurrent": """$concurrent""",
    "command": "scripts/bench.sh   # REPLAY_MEMORY_EVENTS=$REPLAY_MEMORY_EVENTS BACKTEST_EVENTS=$BACKTEST_EVENTS",
}, open(sys.argv[1], "w"))
PY

log "writing BENCHMARKS.md"
python3 "$ROOT/scripts/bench_report.py" "$ROOT" "$ROOT/BENCHMARKS.md"
