#!/usr/bin/env bash
# The server on an embedded SQLite database (instance/), with the bundled demo guidelines.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
# The console's development sign-in (as the demo users, no provider) exists only in development.
export REFSTACK_LITE_ENV=${REFSTACK_LITE_ENV:-development}
export REFSTACK_LITE_DATABASE_URL=${REFSTACK_LITE_DATABASE_URL:-sqlite:///$PWD/instance/demo.sqlite3}
mkdir -p instance
exec .venv/bin/refstack-lite demo "$@"
