#!/usr/bin/env bash
# Types and unit tests against the NEWEST releases of every dependency (no lock), in .venv-latest.
# The distributions keep open version ranges for people who install the client into their own
# environments; CI runs this beside the locked suite, so a release that breaks us (a new
# deprecation, a changed type) fails the next landing instead of a user. Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
venv=.venv-latest
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
pip=("$venv/bin/python" -m pip --quiet --disable-pip-version-check)
"${pip[@]}" install --upgrade pip
"${pip[@]}" install --upgrade --upgrade-strategy eager -e ./client -e '.[test,postgresql]'
# What differs from the lock is what this run tests beyond the locked suite.
"$venv/bin/python" - <<'EOF'
import re
from importlib.metadata import distributions
from packaging.utils import canonicalize_name

lock = dict(re.findall(r"(?m)^([A-Za-z0-9._-]+)==([^ ;\\]+)", open("requirements/dev.lock").read()))
lock = {canonicalize_name(name): version for name, version in lock.items()}
newer = sorted(
    f"{canonicalize_name(d.metadata['Name'])} {d.version} (lock {lock[canonicalize_name(d.metadata['Name'])]})"
    for d in distributions()
    if lock.get(canonicalize_name(d.metadata["Name"]), d.version) != d.version
)
print("Newest releases beyond the lock:", ", ".join(newer) if newer else "none")
EOF
MYPY_CACHE_DIR=$venv/.mypy_cache "$venv/bin/mypy"
"$venv/bin/pytest" -q -n "${REFSTACK_LITE_TEST_WORKERS:-auto}" -p no:cacheprovider tests/unit "$@"
