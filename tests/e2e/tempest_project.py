"""A stand-in for a Tempest workspace: a small stestr project whose test ids are those of a
guideline target's required tests, so ``refstack-lite-client run --runner stestr`` can run it.

The tests are built the way Tempest builds its own: packages mirroring the module path
(``tempest/api/compute/servers/test_create_server.py``), classes deriving from testtools'
``WithAttributes`` and ``TestCase`` (``tempest.test.BaseTestCase`` does the same), and methods
carrying the idempotent id as a testtools attribute, so the runner reports them as
``name[id-<uuid>]``, or ``name[id-<uuid>,smoke]`` for the smoke tests (testtools sorts the
attributes). The guideline's list names the test ``name[id-<uuid>]`` either way, which is why
``run`` matches its load list against ``stestr list``.

Chosen tests fail (an assertion) or skip (``skipTest`` with a reason); the others pass. Each
test may sleep a little first so a run lasts long enough to watch or interrupt.
"""

from __future__ import annotations

import keyword
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from refstack_lite_client.guideline import Guideline

Outcome = Literal["passed", "failed", "skipped"]
SKIP_REASON = "generated skip: this cloud has no such feature"
FAIL_MESSAGE = "generated failure"
FIXTURE_MESSAGE = "generated fixture failure: no image for this class"


@dataclass(frozen=True)
class Project:
    """A generated workspace and what running it must report."""

    root: Path
    ids: dict[str, str]  # guideline test name -> the id the runner reports, attributes included
    outcomes: dict[str, Outcome]  # runner id -> the outcome its test is written to have
    unmapped: dict[str, str] = field(default_factory=dict)  # guideline test name -> why it has no test

    def with_outcome(self, outcome: Outcome) -> list[str]:
        """The runner ids of the tests written to end with ``outcome``, sorted."""
        return sorted(test_id for test_id, found in self.outcomes.items() if found == outcome)

    def smoke(self) -> list[str]:
        return sorted(test_id for test_id in self.outcomes if test_id.endswith(",smoke]"))


@dataclass
class _Method:
    name: str
    attributes: tuple[str, ...]
    outcome: Outcome


def required_tests(guideline: Path, target: str) -> list[tuple[str, str | None]]:
    """``(name, idempotent id)`` of each required test of ``target`` in the guideline file."""
    parsed = Guideline.from_bytes(guideline.read_bytes())
    return [(entry.test.name, entry.test.idempotent_id) for entry in parsed.tests_for(target)]


def write_project(
    root: Path,
    guideline: Path,
    target: str,
    *,
    fail: Iterable[str] = (),
    skip: Iterable[str] = (),
    broken_classes: Iterable[str] = (),
    slow: float = 0.0,
    smoke_every: int = 3,
) -> Project:
    """Write the project for ``target``'s required tests of ``guideline`` into ``root``.

    ``fail`` and ``skip`` hold guideline test names (without attributes); every ``smoke_every``-th
    test (0 for none) is also tagged ``smoke``. ``slow`` seconds are slept in each test. The
    classes in ``broken_classes`` (``module.Class``) fail in ``setUpClass``, as a Tempest class
    does when its cloud lacks a resource, so none of their tests runs: they are expected failed.
    Names that cannot be a Python package, module, class and method discovered under the
    project are left out and reported in ``Project.unmapped``.
    """
    fail, skip, broken = set(fail), set(skip), set(broken_classes)
    if fail & skip:
        raise ValueError(f"tests both to fail and to skip: {sorted(fail & skip)}")
    modules: dict[tuple[str, ...], dict[str, list[_Method]]] = {}
    ids: dict[str, str] = {}
    outcomes: dict[str, Outcome] = {}
    unmapped: dict[str, str] = {}
    for index, (name, idempotent_id) in enumerate(required_tests(guideline, target)):
        why = _unmappable(name, idempotent_id, modules)
        if why is not None:
            unmapped[name] = why
            continue
        *path, cls, method = name.split(".")
        module = tuple(path)
        attributes = [idempotent_id] if idempotent_id else []
        if smoke_every and index % smoke_every == 0:
            attributes.append("smoke")
        outcome: Outcome = "failed" if name in fail else "skipped" if name in skip else "passed"
        if ".".join([*path, cls]) in broken:
            outcome = "failed"
        methods = modules.setdefault(module, {}).setdefault(cls, [])
        if any(m.name == method for m in methods):
            unmapped[name] = "listed twice"
            continue
        methods.append(_Method(method, tuple(attributes), outcome))
        test_id = name + (f"[{','.join(sorted(attributes))}]" if attributes else "")
        ids[name] = test_id
        outcomes[test_id] = outcome
    missing = (fail | skip) - ids.keys()
    if missing:
        raise ValueError(f"tests to fail or skip that the project does not have: {sorted(missing)}")

    root.mkdir(parents=True, exist_ok=True)
    for module, classes in modules.items():
        folder = root.joinpath(*module[:-1])
        for depth in range(1, len(module)):
            init = root.joinpath(*module[:depth], "__init__.py")
            init.parent.mkdir(parents=True, exist_ok=True)
            if not init.exists():
                init.write_text("")
        broken_here = {path.rsplit(".", 1)[1] for path in broken if path.rsplit(".", 1)[0] == ".".join(module)}
        (folder / f"{module[-1]}.py").write_text(_module_source(classes, slow, broken_here))
    tops = {module[0] for module in modules}
    test_path = f"./{tops.pop()}" if len(tops) == 1 else "./"
    (root / ".stestr.conf").write_text(f"[DEFAULT]\ntest_path={test_path}\ntop_dir=./\n")
    return Project(root, ids, outcomes, unmapped)


def _unmappable(
    name: str, idempotent_id: str | None, modules: dict[tuple[str, ...], dict[str, list[_Method]]]
) -> str | None:
    """Why ``name`` cannot become a discoverable test here, or None when it can."""
    parts = name.split(".")
    if len(parts) < 4:
        return "not package.module.Class.method"
    if not all(part.isidentifier() and not keyword.iskeyword(part) for part in parts):
        return "not made of Python identifiers"
    *module, _cls, method = parts
    if not module[-1].startswith("test"):
        return "module not named test*.py, so discovery would not find it"
    if not method.startswith("test"):
        return "method not named test*, so the loader would not find it"
    if idempotent_id is not None and not all(c.isalnum() or c == "-" for c in idempotent_id):
        return f"idempotent id {idempotent_id!r} cannot be a test attribute"
    path = tuple(module)
    for known in modules:
        shorter, longer = sorted((path, known), key=len)
        if shorter != longer and longer[: len(shorter)] == shorter:
            return f"{'.'.join(shorter)} would be both a module and a package"
    return None


def _module_source(classes: dict[str, list[_Method]], slow: float, broken: set[str]) -> str:
    lines = [
        '"""Generated by tests/e2e/tempest_project.py."""',
        "",
        "import time",
        "",
        "import testtools",
        "",
        f"SLOW = {slow!r}",
        "",
    ]
    for cls, methods in classes.items():
        lines += ["", f"class {cls}(testtools.testcase.WithAttributes, testtools.TestCase):"]
        if cls in broken:
            lines += [
                "",
                "    @classmethod",
                "    def setUpClass(cls):",
                f"        raise RuntimeError({FIXTURE_MESSAGE!r})",
            ]
        for method in methods:
            lines.append("")
            lines += [f"    @testtools.testcase.attr({attribute!r})" for attribute in method.attributes]
            lines += [f"    def {method.name}(self):", "        time.sleep(SLOW)"]
            if method.outcome == "failed":
                lines.append(f"        self.assertEqual(1, 2, {FAIL_MESSAGE!r})")
            elif method.outcome == "skipped":
                lines.append(f"        self.skipTest({SKIP_REASON!r})")
    return "\n".join(lines) + "\n"
