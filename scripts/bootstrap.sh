#!/usr/bin/env bash
# Create .venv from the lock: requirements/dev.lock pins every package CI tested (exact versions,
# checked against their hashes), then both distributions install editable on top of it, their
# dependencies found among the locked packages only. A changed lock or pyproject.toml rebuilds
# .venv from scratch. Needs only Python 3.11 or newer as python3, with pip and venv.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "refstack-lite needs Python 3.11 or newer ($python is $("$python" --version 2>&1))" >&2; exit 1; }
stamp=.venv/.refstack-lite-installed
want=$(cat pyproject.toml client/pyproject.toml requirements/*.lock | sha256sum | cut -d' ' -f1)
[ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && exit 0

echo "Creating .venv from requirements/dev.lock" >&2
"$python" -m venv --clear .venv
pip=(.venv/bin/python -m pip --quiet --disable-pip-version-check)
# Python 3.11's venv brings setuptools, which nothing here needs and the lock does not pin.
if .venv/bin/python -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("setuptools") is None)'; then
  "${pip[@]}" uninstall --yes setuptools
fi
# pip and the build backend first, so the rest installs with the pip CI used.
"${pip[@]}" install --require-hashes -r requirements/build.lock
"${pip[@]}" install --require-hashes -r requirements/dev.lock
# --no-index: every dependency, extras included, must already be there from the lock;
# --isolated: no configured index or find-links can add one.
"${pip[@]}" install --isolated --no-index --no-build-isolation --check-build-dependencies \
  -e ./client -e '.[test,postgresql]' || {
  echo "requirements/dev.lock does not satisfy the pyproject.toml files: run scripts/lock.sh" >&2; exit 1; }
echo "$want" > "$stamp"
