#!/usr/bin/env bash
# Runs every kdeck test: unit, snapshot, PTY end-to-end, simulator fidelity with real kubectl,
# and the real KServe model server tests. On first use it creates .venv with PyPI's `kserve`.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! .venv/bin/python -c 'import kserve' >/dev/null 2>&1; then
  echo "== creating .venv with the KServe model server (first run only, ~1 min)"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check kserve
fi
export KDECK_KSERVE_VENV="$PWD/.venv"

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --no-fail-fast "$@"
else
  cargo test --no-fail-fast "$@"
fi
