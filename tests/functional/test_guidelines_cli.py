"""Guideline import and listing through the ``refstack-lite`` command, on SQLite and PostgreSQL."""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from refstack_lite.cli import main
from refstack_lite.db import get_session
from refstack_lite.models import GuidelineRevision
from tests.conftest import counts


def test_import_every_real_guideline(cli: CliRunner, app: Flask, interop_dir: Path) -> None:
    result = cli.invoke(main, ["guidelines", "import", str(interop_dir)])
    assert result.exit_code == 0, result.output
    assert result.output.count("created ") == 26
    assert "skipped" in result.output
    assert "README.md" in result.output
    assert counts(app) == (26, 26)
    listed = cli.invoke(main, ["guidelines", "list"])
    assert listed.exit_code == 0
    accepted = [line.split()[0] for line in listed.output.splitlines() if "  yes  " in line]
    assert accepted == [
        "dns.2019.11",
        "dns.2020.06",
        "orchestration.2019.11",
        "orchestration.2020.06",
        "2019.11",
        "2020.06",
    ]


def test_reimporting_identical_bytes_changes_nothing(cli: CliRunner, app: Flask, demo_dir: Path) -> None:
    assert cli.invoke(main, ["guidelines", "import", str(demo_dir)]).exit_code == 0
    again = cli.invoke(main, ["guidelines", "import", str(demo_dir)])
    assert again.exit_code == 0
    assert again.output.count("unchanged ") == 2
    assert counts(app) == (2, 2)


def test_changed_content_becomes_a_new_revision(cli: CliRunner, app: Flask, demo_dir: Path, tmp_path: Path) -> None:
    original = demo_dir / "widgets.2026.05.json"
    assert cli.invoke(main, ["guidelines", "import", str(original)]).exit_code == 0
    doc = json.loads(original.read_bytes())
    doc["metadata"]["os_trademark_approval"]["status"] = "superseded"
    changed = tmp_path / "widgets.2026.05.json"
    changed.write_text(json.dumps(doc))
    result = cli.invoke(main, ["guidelines", "import", str(changed)])
    assert result.exit_code == 0, result.output
    assert "revised   widgets.2026.05 revision 2" in result.output
    assert counts(app) == (1, 2)
    with app.app_context():
        rows = get_session().scalars(select(GuidelineRevision).order_by(GuidelineRevision.number)).all()
        assert [(r.number, r.is_current, r.status) for r in rows] == [(1, False, "approved"), (2, True, "superseded")]
        assert rows[0].content == original.read_bytes()


def test_broken_documents_are_refused_with_every_problem_and_nothing_stored(
    cli: CliRunner, app: Flask, demo_dir: Path, tmp_path: Path
) -> None:
    good = tmp_path / "widgets.2026.05.json"
    good.write_bytes((demo_dir / "widgets.2026.05.json").read_bytes())
    (tmp_path / "2031.01.json").write_text('{"schema": "1.9", "capabilities": [], "platform": {}}')
    (tmp_path / "2031.02.json").write_text("{not json")
    result = cli.invoke(main, ["guidelines", "import", str(tmp_path)])
    assert result.exit_code == 1
    assert "refused   " + str(tmp_path / "2031.01.json") in result.output
    assert "$.schema: unsupported schema version '1.9'" in result.output
    assert "$: 'components' is a required property" in result.output
    assert "$.capabilities: [] is not of type 'object'" in result.output
    assert "$.platform: 'required' is a required property" in result.output
    assert "$: not valid JSON" in result.output
    assert "nothing was stored" in result.output
    assert counts(app) == (0, 0)


def test_unreachable_url_is_named_in_the_error(cli: CliRunner, app: Flask) -> None:
    url = "http://127.0.0.1:9/interop/2020.06.json"
    result = cli.invoke(main, ["guidelines", "import", url])
    assert result.exit_code == 1
    assert url in result.output
    assert "could not be fetched" in result.output
    assert counts(app) == (0, 0)


def test_missing_path_is_a_clear_error(cli: CliRunner, app: Flask, tmp_path: Path) -> None:
    result = cli.invoke(main, ["guidelines", "import", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "no such file or folder" in result.output


def test_file_name_must_name_a_guideline(cli: CliRunner, app: Flask, demo_dir: Path, tmp_path: Path) -> None:
    odd = tmp_path / "latest.json"
    odd.write_bytes((demo_dir / "widgets.2026.05.json").read_bytes())
    result = cli.invoke(main, ["guidelines", "import", str(odd)])
    assert result.exit_code == 1
    assert "names no guideline" in result.output
    assert counts(app) == (0, 0)


def test_folder_import_takes_only_guideline_files(cli: CliRunner, app: Flask, demo_dir: Path, tmp_path: Path) -> None:
    """A checkout of the interop repository imports as is: legacy files, schema documents,
    READMEs and hidden folders are passed over, never refused."""
    (tmp_path / "add-ons").mkdir()
    (tmp_path / "add-ons" / "widgets.2026.05.json").write_bytes((demo_dir / "widgets.2026.05.json").read_bytes())
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "havanasections.json").write_text("{not json")
    (tmp_path / "doc").mkdir()
    (tmp_path / "doc" / "2.0.json").write_text("{}")
    (tmp_path / "README.rst").write_text("interop")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "2020.06.json").write_text("{}")
    result = cli.invoke(main, ["guidelines", "import", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "created   widgets.2026.05 revision 1" in result.output
    assert "havanasections.json (not named like a guideline)" in result.output
    assert "README.rst (not a .json file)" in result.output
    assert ".git" not in result.output
    assert counts(app) == (1, 1)


@pytest.fixture
def http_folder(demo_dir: Path) -> Iterator[str]:
    """The demo folder served over HTTP on loopback, as a raw-file host would serve it."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(demo_dir))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_address[1]}"
        server.shutdown()
        thread.join()


def test_import_from_url(cli: CliRunner, app: Flask, http_folder: str, demo_dir: Path) -> None:
    result = cli.invoke(main, ["guidelines", "import", f"{http_folder}/widgets.2025.11.json"])
    assert result.exit_code == 0, result.output
    assert "created   widgets.2025.11 revision 1" in result.output
    with app.app_context():
        stored = get_session().scalars(select(GuidelineRevision)).one()
        assert stored.content == (demo_dir / "widgets.2025.11.json").read_bytes()
        assert stored.source == f"{http_folder}/widgets.2025.11.json"


def test_url_that_answers_an_error_is_named(cli: CliRunner, app: Flask, http_folder: str) -> None:
    url = f"{http_folder}/2031.01.json"
    result = cli.invoke(main, ["guidelines", "import", url])
    assert result.exit_code == 1
    assert f"{url}: the server answered HTTP 404" in result.output
    assert counts(app) == (0, 0)
