#!/usr/bin/env bash
# The whole test suite: lint, formatting, types, then every test (arguments go to pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/pytest "$@"
