#!/usr/bin/env bash
# Create .venv (once) and install both distributions editable with the test tools.
# Re-installs when a pyproject.toml changes. Needs Python 3.11 or newer as python3.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "refstack-lite needs Python 3.11 or newer ($python is $("$python" --version 2>&1))" >&2; exit 1; }
[ -x .venv/bin/python ] || "$python" -m venv .venv
stamp=.venv/.refstack-lite-installed
want=$(cat pyproject.toml client/pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ./client -e '.[test]'
  echo "$want" > "$stamp"
fi
