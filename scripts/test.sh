#!/usr/bin/env bash
# The whole test suite: lint, formatting, types, then every test (arguments go to pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
# One worker per core (pytest-xdist); REFSTACK_LITE_TEST_WORKERS=0 runs in this process.
# loadgroup keeps the tests that build wheels on one worker, so they build them once.
.venv/bin/pytest -n "${REFSTACK_LITE_TEST_WORKERS:-auto}" --dist loadgroup "$@"
