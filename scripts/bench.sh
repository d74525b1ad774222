#!/usr/bin/env bash
# Runs the benchmark suite in release mode and writes BENCHMARKS.md.
#
#   scripts/bench.sh              full suite (about 20–25 minutes on 2 cores, builds excluded)
#   BENCH_SKIP_PEERS=1 scripts/bench.sh       without the Python peer backtesters
#   REPLAY_MEMORY_EVENTS=1000000 scripts/bench.sh   a smaller replay-memory journal
#   PEER_EVENTS=1000000 scripts/bench.sh      events of the hftbacktest (ROIVector) comparison
#                                             streams, at 1 and at 50 markets (at least 1 M:
#                                             shorter streams are dominated by start-up)
#   BENCH_SCRATCH=DIR scripts/bench.sh        where the imported journals go (default: a
#                                             directory on /dev/shm when writable, else <target>/bench)
#
# Every figure is paired with a peer measured in the same run (see BENCHMARKS.md). Criterion
# leaves its estimates under <target>/criterion/<group>/<bench>/new/; everything else this
# script measures goes to <target>/bench/*.json; scripts/bench_report.py turns both into
# BENCHMARKS.md. <target> is $CARGO_TARGET_DIR when set, else target/. The Python peers are
# installed from scripts/requirements-bench.txt (pinned) into a venv under <target>.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET/release"
OUT="$TARGET/bench"
mkdir -p "$OUT"
rm -f "$OUT"/*.json "$OUT"/*.txt
REPLAY_MEMORY_EVENTS="${REPLAY_MEMORY_EVENTS:-10000000}"
BACKTEST_EVENTS="${BACKTEST_EVENTS:-50000}"
PEER_EVENTS="${PEER_EVENTS:-1000000}"
PEER_MARKETS="1 50"
VENV="$TARGET/bench-venv"

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
cargo build --profile bench -p kalshi-replay --example backtest_throughput --example backtest_peers \
  --example replay_memory --example replay_split >&2 || exit 1
cargo build --profile bench -p kalshi-bot >&2 || exit 1

compiles_after_build=$(concurrent_compiles)
run_start=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# While measuring, sample every 5 s whether anyone else is compiling (our builds are done).
SAMPLES="$OUT/compile_samples.txt"
: >"$SAMPLES"
( while true; do concurrent_compiles >>"$SAMPLES"; sleep 5; done ) &
SAMPLER_PID=$!
trap 'kill "$SAMPLER_PID" 2>/dev/null' EXIT

# Two benches write their own JSON beside criterion's under the workspace's target/ (a path
# fixed at compile time); with CARGO_TARGET_DIR elsewhere they are moved next to the rest.
HANDWRITTEN="engine/per_event_latency.json journal_group_commit/paired.json"
for name in $HANDWRITTEN; do
  rm -f "$ROOT/target/criterion/$name" "$TARGET/criterion/$name"
done

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

if [ "$TARGET" != "$ROOT/target" ]; then
  for name in $HANDWRITTEN; do
    if [ -f "$ROOT/target/criterion/$name" ]; then
      mkdir -p "$(dirname "$TARGET/criterion/$name")"
      mv "$ROOT/target/criterion/$name" "$TARGET/criterion/$name"
    fi
  done
fi

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
if "$BIN/examples/backtest_throughput" "$BACKTEST_EVENTS" "$STREAM" >"$OUT/backtest.json.tmp"; then
  mv "$OUT/backtest.json.tmp" "$OUT/backtest.json"
else
  rm -f "$OUT/backtest.json.tmp"
fi

if [ "${BENCH_SKIP_PEERS:-0}" != "1" ] && [ -f "$STREAM" ]; then
  log "peer backtesters (venv at $VENV)"
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV" >&2
  fi
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/scripts/requirements-bench.txt" >&2 || true
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

# Runs a command with its stdout to $1 and stderr to $2; once a stderr line matches the regex
# $3 (when not empty) the command is stopped, its remaining work not waited for. Prints
# {"wall_s", "peak_rss_kb", "rc", "stopped"}.
timed_command() {
  local out="$1" err="$2" stop="$3"
  shift 3
  python3 - "$out" "$err" "$stop" "$@" <<'PY'
import json, re, resource, subprocess, sys, time
out, err, stop, cmd = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
stopped = False
start = time.perf_counter()
with open(out, "w") as stdout, open(err, "w") as stderr:
    child = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE, text=True)
    for line in child.stderr:
        stderr.write(line)
        if stop and re.search(stop, line):
            stopped = True
            child.kill()
            break
    stderr.write(child.stderr.read() if not stopped else "")
    rc = child.wait()
wall_s = time.perf_counter() - start
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"wall_s": wall_s, "peak_rss_kb": peak_kb, "rc": 0 if stopped else rc,
                  "stopped": stopped}))
PY
}

# The skeptic's comparison: hftbacktest in its fastest configuration (ROIVector) against our
# engine-only rate and the whole `kalshi-bot backtest` command, on the same stream, at 1 and at
# 50 markets. The stream is generated once per size as the depth CSV both sides read.
log "peer comparison: $PEER_EVENTS events at $PEER_MARKETS market(s), ours and hftbacktest (ROIVector)"
if [ ! -x "$VENV/bin/python" ] && [ "${BENCH_SKIP_PEERS:-0}" != "1" ]; then
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/scripts/requirements-bench.txt" >&2 || true
fi
if [ -n "${BENCH_SCRATCH:-}" ]; then
  SCRATCH="$BENCH_SCRATCH"
  mkdir -p "$SCRATCH"
elif [ -d /dev/shm ] && [ -w /dev/shm ]; then
  SCRATCH=$(mktemp -d /dev/shm/kalshi-bench.XXXXXX)
else
  SCRATCH="$OUT"
fi
# The engine settings the examples use, as `--set`s: every market quoted, no scanner floor,
# the fill-burst breaker out of the way (the peers have none).
for markets in $PEER_MARKETS; do
  tag="peers_${markets}m"
  csv="$OUT/depth_${markets}m.csv"
  rm -f "$csv"
  "$BIN/examples/backtest_peers" "$markets" "$PEER_EVENTS" "$csv" >"$OUT/$tag.ours.tmp" \
    && mv "$OUT/$tag.ours.tmp" "$OUT/${tag}_ours.json"
  [ -f "$csv" ] || continue
  if [ "${BENCH_SKIP_PEERS:-0}" != "1" ]; then
    if timeout 900 "$VENV/bin/python" "$ROOT/scripts/peers/hftbacktest_roivector.py" "$csv" \
      >"$OUT/$tag.hft.out" 2>"$OUT/$tag.hft.err"; then
      tail -n 1 "$OUT/$tag.hft.out" >"$OUT/${tag}_hftbacktest.json"
    else
      reason=$(tail -n 3 "$OUT/$tag.hft.err" | tr '\n' ' ' | cut -c1-300)
      printf '{"error": %s}\n' "$(json_str "$reason")" >"$OUT/${tag}_hftbacktest.json"
    fi
  fi
  # The whole command over a journal imported from the same file (import not timed). The
  # command always writes its records as a journal, then metrics.json and report.html; that
  # writing is excluded, so the command is stopped when it starts it and the row is the
  # command's own timings. The journal lives in $SCRATCH (tmpfs when there is one): its group
  # commits' fsyncs take many minutes on a loaded host's disk and are not what is measured;
  # the command reads it from memory either way (it was just written, so it is in the page
  # cache).
  journal="$SCRATCH/$tag-journal"
  report="$SCRATCH/$tag-report"
  rm -rf "$journal" "$report"
  if "$BIN/kalshi-bot" import --depth "$csv" --out "$journal" --json >"$OUT/${tag}_import.json" 2>"$OUT/$tag.import.err"; then
    timing=$(timed_command "$OUT/$tag.cli.out" "$OUT/$tag.cli.err" 'writing the journal \([0-9]+ records\)' \
      "$BIN/kalshi-bot" backtest \
      --journal "$journal" --report "$report" --json \
      --set "engine.quoted_markets_max=$markets" \
      --set engine.scanner.volume_24h_min=0 --set engine.scanner.open_interest_min=0 \
      --set engine.risk.fill_burst_contracts_max=1000000)
    python3 - "$timing" "$OUT/$tag.cli.out" "$OUT/$tag.cli.err" "$OUT/${tag}_cli.json" <<'PY'
import json, re, sys
timing = json.loads(sys.argv[1])
out = {"wall_s": timing["wall_s"], "peak_rss_kb": timing["peak_rss_kb"],
       "stopped_before_writing": timing["stopped"]}
err = open(sys.argv[3]).read()
if timing["rc"] != 0:
    out["error"] = " ".join(err.strip().splitlines()[-3:])[:300] or f"exit code {timing['rc']}"
else:
    read = re.search(r"(\d+) inputs read and configured in ([\d.]+) s", err)
    ran = re.search(r"backtest of (\d+) inputs ran in ([\d.]+) s", err)
    if read and ran:
        out["inputs"] = int(ran.group(1))
        out["read_s"] = float(read.group(2))
        out["backtest_s"] = float(ran.group(2))
        out["command_s"] = out["read_s"] + out["backtest_s"]
        records = re.search(r"writing the journal \((\d+) records\)", err)
        if records:
            out["records"] = int(records.group(1))
    else:
        out["error"] = "the command printed no timings on stderr"
json.dump(out, open(sys.argv[4], "w"))
PY
  else
    reason=$(tail -n 3 "$OUT/$tag.import.err" | tr '\n' ' ' | cut -c1-300)
    printf '{"error": %s}\n' "$(json_str "import failed: $reason")" >"$OUT/${tag}_cli.json"
  fi
  rm -rf "$journal" "$report" "$csv"
done
[ "$SCRATCH" = "$OUT" ] || [ -n "${BENCH_SCRATCH:-}" ] || rmdir "$SCRATCH" 2>/dev/null

# Where the time of our side goes when a peer target is missed: one engine-only run of the
# 50-market stream under perf (skipped when perf is missing or not permitted).
profile() {
  local name="$1"
  shift
  if command -v perf >/dev/null 2>&1 \
    && perf record -F 499 -g -o "$OUT/$name.perf.data" -- "$@" >/dev/null 2>"$OUT/$name.perf.err"; then
    perf report -i "$OUT/$name.perf.data" --stdio --no-children --sort symbol --percent-limit 1.5 \
      -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | sed -E 's/[[:space:]-]+$//' | head -n 25 \
      >"$OUT/profile_$name.txt"
  fi
  rm -f "$OUT/$name.perf.data"
}
if [ "${BENCH_SKIP_PROFILES:-0}" != "1" ]; then
  # Three runs, so the backtest outweighs writing and loading the CSV in the profile.
  log "profiles: the backtest over the 50-market stream (three runs)"
  csv="$OUT/depth_profile.csv"
  profile backtest_peers "$BIN/examples/backtest_peers" 50 "$PEER_EVENTS" "$csv" 3
  rm -f "$csv"
fi

log "replay-verify peak memory over $REPLAY_MEMORY_EVENTS events"
JOURNAL="$OUT/replay-memory-journal"
rm -rf "$JOURNAL"
if "$BIN/examples/replay_memory" write "$JOURNAL" "$REPLAY_MEMORY_EVENTS" >"$OUT/replay_memory_write.json.tmp"; then
  mv "$OUT/replay_memory_write.json.tmp" "$OUT/replay_memory_write.json"
  "$BIN/examples/replay_memory" verify "$JOURNAL" >"$OUT/replay_memory_verify.json.tmp" \
    && mv "$OUT/replay_memory_verify.json.tmp" "$OUT/replay_memory_verify.json"
  log "replay split: the same journal read at each layer (decode only, engine, verify)"
  "$BIN/examples/replay_split" "$JOURNAL" >"$OUT/replay_split.json.tmp" \
    && mv "$OUT/replay_split.json.tmp" "$OUT/replay_split.json"
  log "replay-verify of the same journal sealed to Parquet (as a finished live run is)"
  if "$BIN/examples/replay_memory" seal "$JOURNAL" >"$OUT/replay_memory_seal.json.tmp"; then
    mv "$OUT/replay_memory_seal.json.tmp" "$OUT/replay_memory_seal.json"
    "$BIN/examples/replay_memory" verify "$JOURNAL" >"$OUT/replay_memory_verify_sealed.json.tmp" \
      && mv "$OUT/replay_memory_verify_sealed.json.tmp" "$OUT/replay_memory_verify_sealed.json"
    "$BIN/examples/replay_split" "$JOURNAL" >"$OUT/replay_split_sealed.json.tmp" \
      && mv "$OUT/replay_split_sealed.json.tmp" "$OUT/replay_split_sealed.json"
  fi
else
  echo '{"error": "writing the replay journal failed"}' >"$OUT/replay_memory_error.json"
fi
rm -rf "$JOURNAL"

# Peak memory flat in journal length: the same measurement on a journal a tenth as long, WAL
# and sealed; its sealed verify is also the run profiled when the replay targets are missed.
SHORT_EVENTS=$((REPLAY_MEMORY_EVENTS / 10))
log "replay-verify peak memory over a journal a tenth as long ($SHORT_EVENTS events), WAL and sealed"
JOURNAL="$OUT/replay-memory-short"
rm -rf "$JOURNAL"
if "$BIN/examples/replay_memory" write "$JOURNAL" "$SHORT_EVENTS" >/dev/null; then
  "$BIN/examples/replay_memory" verify "$JOURNAL" >"$OUT/replay_memory_verify_short.json.tmp" \
    && mv "$OUT/replay_memory_verify_short.json.tmp" "$OUT/replay_memory_verify_short.json"
  if "$BIN/examples/replay_memory" seal "$JOURNAL" >/dev/null; then
    "$BIN/examples/replay_memory" verify "$JOURNAL" >"$OUT/replay_memory_verify_sealed_short.json.tmp" \
      && mv "$OUT/replay_memory_verify_sealed_short.json.tmp" "$OUT/replay_memory_verify_sealed_short.json"
    if [ "${BENCH_SKIP_PROFILES:-0}" != "1" ]; then
      log "profiles: replay-verify of the sealed journal"
      profile replay_verify_sealed "$BIN/examples/replay_memory" verify "$JOURNAL"
    fi
  fi
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
    "command": "scripts/bench.sh   # REPLAY_MEMORY_EVENTS=$REPLAY_MEMORY_EVENTS BACKTEST_EVENTS=$BACKTEST_EVENTS PEER_EVENTS=$PEER_EVENTS",
}, open(sys.argv[1], "w"))
PY

log "writing BENCHMARKS.md"
python3 "$ROOT/scripts/bench_report.py" "$ROOT" "$ROOT/BENCHMARKS.md" "$TARGET"
