#!/usr/bin/env bash
# Runs every kdeck test: unit, snapshot, PTY end-to-end, simulator fidelity with real kubectl,
# and the real KServe model server tests. On first use it creates .venv with PyPI's `kserve`,
# and .venv-openai with `kserve==0.14.1` for the OpenAI data plane (later versions import vllm
# for the OpenAI types, which does not install here).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! .venv/bin/python -c 'import kserve' >/dev/null 2>&1; then
  echo "== creating .venv with the KServe model server (first run only, ~1 min)"
  python3 -m venv .venv || {
    echo "ERROR: python3 -m venv .venv failed (is python3-venv installed?)" >&2
    exit 1
  }
  .venv/bin/pip install --quiet --disable-pip-version-check kserve || {
    echo "ERROR: pip could not install kserve into .venv" >&2
    exit 1
  }
  .venv/bin/python -c 'import kserve' || {
    echo "ERROR: .venv was made but cannot import kserve" >&2
    exit 1
  }
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
