#!/usr/bin/env bash
# Every test, from a fresh machine: installs the pinned Python tools two tests start (a local
# S3-compatible server, moto; a local Ray cluster), then runs the whole workspace's tests.
# With the tools installed the object-storage and Ray tests must run (KALSHI_BOT_PY_TESTS=1
# makes a missing tool a failure instead of "NOT RUN").
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check \
  -r scripts/requirements-ci.txt -r scripts/requirements-cluster.txt
KALSHI_BOT_PY_TESTS=1 cargo test --workspace --locked "$@"
