#!/usr/bin/env bash
# Runs every kdeck test: unit, snapshot, PTY end-to-end, simulator fidelity with real kubectl,
# and the real KServe model server tests. On first use it creates .venv with PyPI's `kserve`,
# and .venv-openai with `kserve==0.14.1` for the OpenAI data plane (later versions import vllm
# for the OpenAI types, which does not install here).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! .venv/bin/python -c 'import kserve' >/dev/null 2>&1; then
  echo "== creating .venv with the KServe model server (first run only, ~1 min)"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check kserve
fi
export KDECK_KSERVE_VENV="$PWD/.venv"

if ! .venv-openai/bin/python -c 'import kserve.protocol.rest.openai' >/dev/null 2>&1; then
  echo "== creating .venv-openai with kserve 0.14.1 (OpenAI data plane; first run only, ~1 min)"
  python3 -m venv .venv-openai
  .venv-openai/bin/pip install --quiet --disable-pip-version-check 'kserve==0.14.1'
fi
export KDECK_KSERVE_OPENAI_VENV="$PWD/.venv-openai"

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --no-fail-fast "$@"
else
  cargo test --no-fail-fast "$@"
fi
