#!/usr/bin/env bash
# Supply-chain check: licenses, banned/duplicate crates and dependency sources (deny.toml).
#
#   scripts/deny.sh
#
# Installs cargo-deny from the package registry if it is missing (a release build of about
# 7 CPU-minutes; 18 minutes of wall time on a shared 2-core machine), then runs
# `cargo deny check licenses bans sources` (about 6 s). The advisories check is left out: its
# database is fetched from the internet, which these machines cannot reach (see deny.toml).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if ! cargo deny --version >/dev/null 2>&1; then
  echo "cargo-deny not found; installing it (several minutes)" >&2
  cargo install cargo-deny --locked
fi

exec cargo deny check licenses bans sources
