"""The client README's "First certification run", command by command, against a live server on
SQLite and PostgreSQL: every command the walk-through shows runs as written (its placeholders
filled in with what the earlier commands printed, Tempest played by a stand-in on PATH), in its
order, and prints what the walk-through shows it printing."""

from __future__ import annotations

import json
import re
import shlex
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner, Result
from flask import Flask
from refstack_lite_client.cli import main as client_main

from refstack_lite.cli import main as server_main
from tests.conftest import REPO, interop_path
from tests.identity import bearer, make_user

pytestmark = [pytest.mark.interop, pytest.mark.usefixtures("client_env")]

README = REPO / "client" / "README.md"
SECTION = "## First certification run"
DOC_URL = "https://refstack.example.org"
TOKEN = re.compile(r"rlt_[A-Za-z0-9_-]+")
LABEL = re.compile(r"^([A-Z][A-Za-z ]*):(\s|$)")
DURATION = re.compile(r"\b\d+:\d{2}(:\d{2})?\b")
# What a placeholder stands for: the ID that this command printed.
PLACEHOLDERS = {
    "products create": "PRODUCT_ID",
    "versions create": "VERSION_ID",
    "certify request": "REQUEST_ID",
}

# Tempest as `run` drives it: its version, its workspace's test ids (the guideline's required
# tests, as they are named there), and a run of a load list in which every test passes.
STAND_IN_TEMPEST = """\
#!{python}
import sys
from datetime import datetime, timezone
from pathlib import Path

import subunit
from refstack_lite_client.guideline import Guideline

args = sys.argv[1:]
if args == ["--version"]:
    print("tempest 40.0.0")
elif args == ["run", "--list-tests"]:
    guideline = Guideline.from_bytes(Path({guideline!r}).read_bytes())
    print("\\n".join(entry.test.list_entry() for entry in guideline.tests_for("platform")))
elif args[:3] == ["run", "--subunit", "--load-list"]:
    out = subunit.StreamResultToBytes(sys.stdout.buffer)
    for test_id in Path(args[3]).read_text().split():
        out.status(test_id=test_id, test_status="inprogress", timestamp=datetime.now(timezone.utc))
        out.status(test_id=test_id, test_status="success", timestamp=datetime.now(timezone.utc))
else:
    sys.exit(f"the stand-in tempest does not know {{args}}")
"""


@dataclass
class Step:
    """One command of the walk-through and the output lines it shows for it."""

    prompt: str  # "$" (the vendor), "admin$" (the server's admin) or "reviewer$" (the foundation's reviewer)
    command: str
    shown: list[str] = field(default_factory=list)


def walkthrough_steps(text: str) -> list[Step]:
    section = text.split(SECTION + "\n", 1)[1].split("\n## ", 1)[0]
    steps: list[Step] = []
    for _indent, block in re.findall(r"^( *)```console\n(.*?)^\1```", section, re.M | re.S):
        lines = iter(textwrap.dedent(block).splitlines())
        for line in lines:
            prompt, _, command = line.partition(" ")
            if prompt in ("$", "admin$", "reviewer$"):
                while command.endswith("\\"):
                    command = command[:-1] + next(lines).strip()
                steps.append(Step(prompt, command))
            else:
                steps[-1].shown.append(line)
    return steps


def check_output(step: Step, result: Result) -> None:
    """Each line the walk-through shows is printed: a ``Label:`` line with that label (the value
    is an id, a time or a digest of this run), any other line as it is (durations aside). Lines
    cut short with an ellipsis, and those naming the writer's home or token, are illustrations."""
    printed = (result.stdout + result.stderr).splitlines()
    labels = {m.group(1) for line in printed if (m := LABEL.match(line))}
    said = {DURATION.sub("T", line.rstrip()) for line in printed}
    for line in step.shown:
        if "…" in line or "/home/me" in line or TOKEN.search(line):
            continue
        if match := LABEL.match(line):
            assert match.group(1) in labels, f"{step.command}: no {match.group(1)!r} line in\n{result.output}"
        else:
            assert DURATION.sub("T", line.rstrip()) in said, f"{step.command}: no line {line!r} in\n{result.output}"


def printed_id(result: Result) -> str:
    return next(line.split()[1] for line in result.stdout.splitlines() if line.startswith("ID:"))


def test_the_first_certification_run_works_as_written(
    app: Flask,
    server: str,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    steps = walkthrough_steps(README.read_text(encoding="utf-8"))
    # from the account to the verdict, in that order: the parser found the walk-through's commands
    milestones = ("refstack-lite users", "refstack-lite-client run", "refstack-lite-client status")
    programs = [" ".join(step.command.split()[:2]) for step in steps]
    first = [programs.index(m) for m in milestones]
    assert first == sorted(first)
    assert ["certify", "request"] in [step.command.split()[1:3] for step in steps]

    home = tmp_path / "home"
    (home / "tempest-ws").mkdir(parents=True)  # the vendor's Tempest workspace
    work = tmp_path / "work"
    work.mkdir()
    (work / "interop").symlink_to(interop_path())  # the admin's checkout of the guidelines
    tools = tmp_path / "bin"
    tools.mkdir()
    tempest = tools / "tempest"
    tempest.write_text(STAND_IN_TEMPEST.format(python=sys.executable, guideline=str(interop_path() / "2020.06.json")))
    tempest.chmod(0o755)
    monkeypatch.chdir(work)
    monkeypatch.delenv("XDG_CONFIG_HOME")  # the walk-through's paths are under ~/.config
    env = {"HOME": str(home), "PATH": f"{tools}:{Path(sys.executable).parent}:/usr/bin:/bin"}
    filled: dict[str, str] = {DOC_URL: server}
    token = reviewer_token = ""
    vendor_id = ""

    for step in steps:
        command = step.command.replace("~/", f"{home}/")
        command = TOKEN.sub(token, command)  # a token is letters, digits, "_" and "-": nothing to escape
        for placeholder, value in filled.items():
            command = command.replace(placeholder, value)
        words = shlex.split(command)
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            env[name] = value
            continue
        if words[1:3] == ["certify", "request"]:  # the foundation made the vendor official meanwhile
            admin = bearer(make_user(app, "root", "admin"))
            approved = requests.post(f"{server}/v2/vendors/{vendor_id}/approve", headers=admin, timeout=10)
            assert approved.status_code == 200, approved.text
        if step.prompt == "admin$":
            assert words[0] == "refstack-lite"
            result = CliRunner(env={"REFSTACK_LITE_DATABASE_URL": database_url}).invoke(server_main, words[1:])
        else:
            assert words[0] == "refstack-lite-client"
            as_whom = {"REFSTACK_LITE_TOKEN": reviewer_token} if step.prompt == "reviewer$" else {}
            result = CliRunner(env={**env, **as_whom}).invoke(client_main, words[1:])
        assert result.exit_code == 0, f"{step.prompt} {command}: exit {result.exit_code}\n{result.output}"
        check_output(step, result)
        if words[1:3] == ["users", "create"]:
            if "--reviewer" in words:
                reviewer_token = result.stdout.splitlines()[-1]
            else:
                token = result.stdout.splitlines()[-1]
        if words[1:3] == ["vendors", "create"]:
            vendor_id = printed_id(result)
        if words[1] == "run":
            filled["SUBMISSION_ID"] = next(
                line.split()[1] for line in result.stdout.splitlines() if line.startswith("Stored:")
            )
        if (made := PLACEHOLDERS.get(" ".join(words[1:3]))) is not None:
            filled[made] = printed_id(result)

    assert set(filled) == {DOC_URL, "SUBMISSION_ID", *PLACEHOLDERS.values()}
    receipt = json.loads((work / "run1" / "run.receipt.json").read_text())
    assert {v["target"]: v["eligible"] for v in receipt["verdicts"]} == {
        "compute": True,
        "object": True,
        "platform": True,
    }
    submission = requests.get(f"{server}/v2/submissions/{receipt['id']}", headers=bearer(token), timeout=10).json()
    assert submission["product_version_id"] == filled["VERSION_ID"]
    me = requests.get(f"{server}/v2/users/me", headers=bearer(token), timeout=10).json()
    assert [(v["name"], v["status"], v["role"]) for v in me["vendors"]] == [("Acme Cloud", "official", "owner")]
    (certified,) = requests.get(
        f"{server}/v2/certifications?submission={receipt['id']}", headers=bearer(token), timeout=10
    ).json()["items"]
    assert (certified["status"], certified["request_id"]) == ("active", filled["REQUEST_ID"])
