#!/usr/bin/env bash
# Regenerate the lock files in requirements/ from the two pyproject.toml files:
#   dev.lock     everything scripts/bootstrap.sh installs: both distributions' dependencies with
#                the `test` and `postgresql` extras, the build backend and pip (the README's
#                commands and CI install exactly this);
#   server.lock  what the two installed distributions need at run time, with `postgresql` (Docker);
#   build.lock   pip and the build backend, to build the two wheels (Docker's build stage).
# server.lock and build.lock are cut from dev.lock, so every file pins the same versions.
#
#   scripts/lock.sh                       keep every pin that still fits, add what is new
#   scripts/lock.sh --upgrade             move every package to its newest release
#   scripts/lock.sh --upgrade-package X   move X only
#
# Each pin carries the hashes of all of that release's files on PyPI, so the lock installs on any
# platform with plain pip (`pip install --require-hashes`). Resolving needs uv, installed on first
# use into a cache folder.
set -euo pipefail
cd "$(dirname "$0")/.."
uv_version=0.13.9
tools=${XDG_CACHE_HOME:-$HOME/.cache}/refstack-lite/uv-$uv_version
if [ ! -x "$tools/bin/uv" ]; then
  python3 -m venv "$tools"
  "$tools/bin/python" -m pip install --quiet "uv==$uv_version"
fi
uv=$tools/bin/uv
# uv's defaults only (no uv.toml, no index of this machine), so every hash is PyPI's.
unset UV_INDEX UV_INDEX_URL UV_DEFAULT_INDEX UV_EXTRA_INDEX_URL UV_FIND_LINKS UV_CONSTRAINT UV_OVERRIDE
export UV_NO_CONFIG=1

local_packages=(-e ./client "-e .[test,postgresql]")
# The build backend both pyproject.toml files name, and what it asks for to install editable.
build_requires=$(python3 -c '
import sys, tomllib
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        print(*tomllib.load(f)["build-system"]["requires"], sep="\n")
' pyproject.toml client/pyproject.toml | sort -u)
mapfile -t build_requires <<<"$build_requires"
with=()
for requirement in "${build_requires[@]}"; do with+=(--with "$requirement"); done
editable_requires=$(cd client && "$uv" run --quiet --no-project --isolated "${with[@]}" python -c '
import tomllib, importlib
with open("pyproject.toml", "rb") as f:
    backend = importlib.import_module(tomllib.load(f)["build-system"]["build-backend"])
print(*backend.get_requires_for_build_editable(), sep="\n")
')
mapfile -t editable_requires <<<"$editable_requires"

compile() {
  local output=$1; shift
  "$uv" pip compile --quiet --universal --python-version 3.11 --generate-hashes \
    --no-emit-package refstack-lite --no-emit-package refstack-lite-client \
    --custom-compile-command scripts/lock.sh --output-file "$output" - "$@"
}
mkdir -p requirements
printf '%s\n' "${local_packages[@]}" "${build_requires[@]}" "${editable_requires[@]}" pip \
  | compile requirements/dev.lock "$@"
printf '%s\n' -e ./client "-e .[postgresql]" | compile requirements/server.lock -c requirements/dev.lock
printf '%s\n' "${build_requires[@]}" "${editable_requires[@]}" pip | compile requirements/build.lock -c requirements/dev.lock
echo "requirements/dev.lock, server.lock and build.lock are up to date; scripts/bootstrap.sh installs them"
