"""Reading subunit v1 and v2 files into ``Collected``: the checked-in run of Tempest-shaped tests
(tests/fixtures/runs, made by subunit.run), streams built here with python-subunit, and damaged ones."""

from __future__ import annotations

import io
import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from refstack_lite_client.guideline import Guideline
from refstack_lite_client.import_command import detect_format
from refstack_lite_client.subunit_results import CorruptStream, read_file, read_v1, read_v2
from refstack_lite_client.test_results import Collected, RunContext, TestResult, to_results
from subunit import StreamResultToBytes

from tests.conftest import interop_path

RUNS = Path(__file__).resolve().parents[1] / "fixtures" / "runs"
V2 = RUNS / "tempest-like.v2.subunit"
V1 = RUNS / "tempest-like.v1.subunit"


def _at(seconds: float) -> datetime:
    return datetime(2026, 11, 20, 9, 30, tzinfo=UTC) + timedelta(seconds=seconds)


# The exception line of each traceback, with the Details line Tempest's exceptions carry.
REBOOT_TIMEOUT = (
    "tempest.api.compute.servers.test_server_actions.TimeoutException: Request timed out "
    "Details: (ServerActionsTestJSON:test_reboot_server_hard) Server 6c1b3f2e-8f0a-4a4e-9a57-3f7c2d1e0b9a failed "
    'to reach ACTIVE status and task state "None" within the required time (196 s). Server boot request ID: '
    "req-0a7c5a43. Current status: REBOOT. Current task state: reboot_started_hard."
)
SERVER_FAULT = (
    "tempest.api.network.test_networks.ServerFault: Got server fault "
    "Details: The server has either erred or is incapable of performing the requested operation."
)
# The run in tempest-like.*: id -> (outcome, reason, started, finished), in the order it ran.
EXPECTED: dict[str, tuple[str, str | None, datetime, datetime]] = {
    "tempest.api.compute.admin.test_aggregates.AggregatesAdminTestJSON.test_aggregate_create_delete"
    "[id-0d148aa3-d54c-4317-aa8d-42040a475e20]": ("passed", None, _at(1.290), _at(1.305)),
    "tempest.api.compute.servers.test_create_server.ServersTestJSON.test_list_servers"
    "[id-9a438d88-10c6-4bcd-8b5b-5b6e25e1346f,smoke]": ("passed", None, _at(4.095), _at(4.100)),
    "tempest.api.compute.servers.test_create_server.ServersTestJSON.test_verify_server_details"
    "[id-5de47127-9977-400a-936f-abcfbec1218f,smoke]": ("passed", None, _at(4.900), _at(6.150)),
    "tempest.api.compute.servers.test_server_actions.ServerActionsTestJSON.test_reboot_server_hard"
    "[id-2cb1baf6-ac8d-4429-bf0d-ba8a0ba53e32,smoke]": ("failed", REBOOT_TIMEOUT, _at(6.475), _at(8.955)),
    "tempest.api.compute.servers.test_server_actions.ServerActionsTestJSON.test_resize_server_confirm"
    "[id-1499262a-9328-4eda-9068-db1ac57498d2]": ("skipped", "Resize is not available.", _at(9.720), _at(9.760)),
    "tempest.api.identity.v3.test_tokens.TokensV3Test.test_create_token[id-6f8e4436-fc96-4282-8122-e41df57197a9]": (
        "passed",
        None,
        _at(11.025),
        _at(11.335),
    ),
    "tempest.api.image.v2.test_images.ListUserImagesTest.test_list_no_params"
    "[id-1e341d7a-90a9-494c-b143-2cdf2aeb6aee]": ("passed", None, _at(13.820), _at(14.580)),
    "tempest.api.network.test_networks.NetworksTest.test_list_networks"
    "[id-f7ffdeda-e200-4a7a-bcbe-05716e86bf43,smoke]": ("failed", SERVER_FAULT, _at(15.870), _at(15.885)),
    "tempest.api.object_storage.test_container_services.ContainerTest.test_create_container"
    "[id-92139d73-7819-4db1-85f8-3f2f22a8d91f]": ("skipped", "Swift is not available.", _at(18.675), _at(18.680)),
    "tempest.api.volume.test_volumes_get.VolumesGetTest.test_volume_create_get_update_delete"
    "[id-27fb0e9f-fb64-41dd-8bdb-1ffa762f0d51]": ("passed", None, _at(19.480), _at(20.730)),
}
NOT_IN_GUIDELINE = (
    "tempest.api.compute.admin.test_aggregates.AggregatesAdminTestJSON.test_aggregate_create_delete"
    "[id-0d148aa3-d54c-4317-aa8d-42040a475e20]"
)


def as_table(collected: Collected) -> dict[str, tuple[str, str | None, datetime | None, datetime | None]]:
    return {t.id: (t.outcome, t.reason, t.started, t.finished) for t in collected.tests.values()}


def v2_stream(*events: dict[str, object]) -> bytes:
    """A v2 stream of ``StreamResult.status`` calls, written by python-subunit."""
    out = io.BytesIO()
    writer = StreamResultToBytes(out)
    for event in events:
        writer.status(**event)
    return out.getvalue()


def ran(test_id: str, status: str, second: int, **extra: object) -> list[dict[str, object]]:
    """``inprogress`` then ``status`` for ``test_id``, a second apart."""
    return [
        {"test_id": test_id, "test_status": "inprogress", "timestamp": _at(second)},
        {"test_id": test_id, "test_status": status, "timestamp": _at(second + 1), **extra},
    ]


def read_bytes(tmp_path: Path, data: bytes, name: str = "run.subunit") -> Collected:
    path = tmp_path / name
    path.write_bytes(data)
    return read_file(path)


# --- the real run --------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", [V2, V1], ids=["v2", "v1"])
def test_reads_every_test_with_its_outcome_reason_and_times(fixture: Path) -> None:
    collected = read_file(fixture)
    assert as_table(collected) == EXPECTED
    assert list(collected.tests) == list(EXPECTED)  # in the order they ran
    assert collected.counts() == {"passed": 6, "failed": 2, "skipped": 2, "unfinished": 0}
    assert (collected.first, collected.last) == (_at(1.290), _at(20.730))


def test_v1_and_v2_of_the_same_run_agree() -> None:
    assert read_file(V1).tests == read_file(V2).tests


def test_stream_readers_take_open_streams() -> None:
    from_v2, from_v1 = Collected(), Collected()
    with V2.open("rb") as v2, V1.open("rb") as v1:
        read_v2(v2, from_v2)
        read_v1(v1, from_v1)
    assert as_table(from_v2) == as_table(from_v1) == EXPECTED


@pytest.mark.interop
def test_fixture_ids_are_real_required_tests_of_2020_06() -> None:
    guideline = Guideline.from_bytes((interop_path() / "2020.06.json").read_bytes())
    required = {entry.test.list_entry() for entry in guideline.tests_for("platform")}
    # Tempest's ids carry every attribute ("smoke" too); the guideline names the idempotent id only.
    plain = {re.sub(r"\[(id-[0-9a-f-]+)[^\]]*\]$", r"[\1]", name) for name in EXPECTED}
    assert plain - required == {NOT_IN_GUIDELINE}


def test_to_results_lists_the_run_by_outcome() -> None:
    context = RunContext(
        guideline_id="2020.06", guideline_digest="sha256:" + "0" * 64, target="platform", runner={"stestr": "4.2.1"}
    )
    collected = read_file(V2)
    assert collected.first is not None
    assert collected.last is not None
    results = to_results(collected, context, collected.first, collected.last)
    assert results.passed == tuple(sorted(name for name, v in EXPECTED.items() if v[0] == "passed"))
    assert len(results.passed) == 6
    assert results.failed == tuple(sorted(name for name, v in EXPECTED.items() if v[0] == "failed"))
    assert results.skipped == tuple(sorted(name for name, v in EXPECTED.items() if v[0] == "skipped"))


def test_on_test_sees_each_test_as_it_is_read() -> None:
    seen: list[TestResult] = []
    collected = Collected(on_test=seen.append)
    read_file(V2, collected)
    assert [t.id for t in seen] == list(EXPECTED)


# --- outcomes from streams written here ------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("success", "passed"),
        ("fail", "failed"),
        ("xfail", "failed"),
        ("uxsuccess", "failed"),
        ("skip", "skipped"),
    ],
)
def test_each_status_maps_to_its_outcome(tmp_path: Path, status: str, outcome: str) -> None:
    collected = read_bytes(tmp_path, v2_stream(*ran("pkg.T.test_x[id-1]", status, 0)))
    assert collected.tests["pkg.T.test_x[id-1]"] == TestResult("pkg.T.test_x[id-1]", outcome, _at(0), _at(1))  # type: ignore[arg-type]


def test_a_test_reported_twice_keeps_its_worst_outcome(tmp_path: Path) -> None:
    stream = v2_stream(
        *ran("t.fail_then_pass", "fail", 0),
        *ran("t.fail_then_pass", "success", 2),
        *ran("t.pass_then_xfail", "success", 4),
        *ran("t.pass_then_xfail", "xfail", 6),
        *ran("t.skip_then_pass", "skip", 8),
        *ran("t.skip_then_pass", "success", 10),
        *ran("t.pass_then_skip", "success", 12),
        *ran("t.pass_then_skip", "skip", 14),
    )
    collected = read_bytes(tmp_path, stream)
    outcomes = {t.id: t.outcome for t in collected.tests.values()}
    assert outcomes == {
        "t.fail_then_pass": "failed",
        "t.pass_then_xfail": "failed",
        "t.skip_then_pass": "passed",
        "t.pass_then_skip": "passed",
    }


def test_the_last_line_of_a_traceback_and_the_skip_reason_are_the_reasons(tmp_path: Path) -> None:
    traceback = b'Traceback (most recent call last):\n  File "x.py", line 1, in t\nAssertionError: 1 != 2\n\n'
    stream = v2_stream(
        {"test_id": "t.failing", "test_status": "inprogress", "timestamp": _at(0)},
        {"test_id": "t.failing", "file_name": "traceback", "file_bytes": traceback, "eof": True, "timestamp": _at(1)},
        {"test_id": "t.failing", "test_status": "fail", "timestamp": _at(1)},
        {"test_id": "t.skipped", "test_status": "inprogress", "timestamp": _at(2)},
        {"test_id": "t.skipped", "file_name": "reason", "file_bytes": b"no Swift here", "eof": True},
        {"test_id": "t.skipped", "test_status": "skip", "timestamp": _at(3)},
    )
    collected = read_bytes(tmp_path, stream)
    assert collected.tests["t.failing"].reason == "AssertionError: 1 != 2"
    assert collected.tests["t.skipped"].reason == "no Swift here"


def test_a_started_test_without_an_end_is_unfinished(tmp_path: Path) -> None:
    stream = v2_stream(
        *ran("t.done", "success", 0), {"test_id": "t.cut", "test_status": "inprogress", "timestamp": _at(5)}
    )
    collected = read_bytes(tmp_path, stream)
    assert collected.tests["t.cut"].outcome == "unfinished"
    assert collected.counts() == {"passed": 1, "failed": 0, "skipped": 0, "unfinished": 1}
    assert collected.names("unfinished") == ("t.cut",)


def test_stray_output_between_packets_is_skipped(tmp_path: Path) -> None:
    stream = v2_stream(*ran("t.one", "success", 0)) + b"a runner's print\n" + v2_stream(*ran("t.two", "fail", 2))
    collected = read_bytes(tmp_path, stream)
    assert {t.id: t.outcome for t in collected.tests.values()} == {"t.one": "passed", "t.two": "failed"}


# --- damaged and foreign files ---------------------------------------------------------------


def corrupt(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "damaged.subunit"
    path.write_bytes(data)
    with pytest.raises(CorruptStream) as caught:
        read_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    return message


@pytest.mark.parametrize("keep", [0.5, 0.9, -3], ids=["half", "most", "all-but-3-bytes"])
def test_a_truncated_v2_stream_is_corrupt(tmp_path: Path, keep: float) -> None:
    good = V2.read_bytes()
    cut = good[: int(len(good) * keep)] if keep > 0 else good[: int(keep)]
    message = corrupt(tmp_path, cut)
    assert "damaged subunit v2 packet" in message
    assert "Short read" in message


def test_a_truncated_v2_stream_cut_short_on_purpose_keeps_what_came_before() -> None:
    good = V2.read_bytes()
    collected = Collected()
    read_v2(io.BytesIO(good[: len(good) // 2]), collected, cut_short=True)
    assert 0 < len(collected.tests) < len(EXPECTED)
    for test in collected.tests.values():
        if test.outcome != "unfinished":
            assert EXPECTED[test.id][0] == test.outcome


def test_a_flipped_crc_byte_is_corrupt(tmp_path: Path) -> None:
    good = V2.read_bytes()
    message = corrupt(tmp_path, good[:-1] + bytes([good[-1] ^ 0x01]))  # the last packet's CRC32
    assert "Bad checksum" in message


def test_a_flipped_byte_inside_a_packet_is_corrupt(tmp_path: Path) -> None:
    good = bytearray(V2.read_bytes())
    at = good.index(b"test_reboot_server_hard")
    good[at] ^= 0x20
    assert "Bad checksum" in corrupt(tmp_path, bytes(good))


def test_random_bytes_after_a_v2_signature_are_corrupt(tmp_path: Path) -> None:
    noise = random.Random(5).randbytes(4096)  # noqa: S311 - reproducible noise, not a secret
    message = corrupt(tmp_path, b"\xb3" + noise)
    assert "subunit v2" in message


def test_random_bytes_are_not_a_subunit_stream(tmp_path: Path) -> None:
    noise = bytes(b for b in random.Random(7).randbytes(4096) if b != 0xB3)  # noqa: S311
    assert "no test results" in corrupt(tmp_path, b"\x00" + noise)


def test_an_empty_file_holds_no_results(tmp_path: Path) -> None:
    message = corrupt(tmp_path, b"")
    assert "no test results" in message


def test_text_that_is_not_subunit_holds_no_results(tmp_path: Path) -> None:
    message = corrupt(tmp_path, b"Ran 12 tests in 3.2s\n\nOK\n")
    assert "no test results in this subunit stream (neither v2 packets nor v1 test lines)" in message


def test_a_v1_line_that_is_not_utf8_is_corrupt(tmp_path: Path) -> None:
    message = corrupt(tmp_path, b"test: t.one\nsuccess: t.one\ntest: t.\xff\xfe\n")
    assert "unreadable subunit v1 stream" in message


def test_a_damaged_v1_time_line_is_corrupt(tmp_path: Path) -> None:
    message = corrupt(tmp_path, b"time: 2026-1x-20 09:30:01Z\ntest: t.one\nsuccess: t.one\n")
    assert "unreadable subunit v1 stream" in message


def test_a_v1_stream_ending_inside_a_test_leaves_it_unfinished(tmp_path: Path) -> None:
    text = V1.read_bytes()
    # Cut inside the skip test: after its "test:" line, in the middle of the "time:" line that follows.
    started = text.index(b"test: tempest.api.compute.servers.test_server_actions.ServerActionsTestJSON.test_resize")
    cut = text.index(b"time: ", started) + len(b"time: 2026-11-2")
    collected = read_bytes(tmp_path, text[:cut])
    resize = next(t for t in collected.tests.values() if "test_resize_server_confirm" in t.id)
    assert (resize.outcome, resize.finished) == ("unfinished", None)
    assert collected.counts() == {"passed": 3, "failed": 1, "skipped": 0, "unfinished": 1}
    assert (collected.first, collected.last) == (_at(1.290), _at(9.720))  # not the cut "time:" line's date


def test_a_v2_stream_after_stray_text_is_read_as_v2(tmp_path: Path) -> None:
    path = tmp_path / "run.subunit"
    path.write_bytes(b"WARNING: a deprecated option\n" + V2.read_bytes())
    assert as_table(read_file(path)) == EXPECTED


def test_a_v1_stream_with_a_0xb3_byte_in_its_text_stays_v1(tmp_path: Path) -> None:
    path = tmp_path / "run.subunit"
    path.write_bytes("note: configuración \n".encode() + V1.read_bytes())  # "ó" is C3 B3 in UTF-8
    assert as_table(read_file(path)) == EXPECTED


def test_a_v1_stream_without_time_lines_has_no_times(tmp_path: Path) -> None:
    path = tmp_path / "run.subunit"
    path.write_bytes(b"test: t.A.test_a\nsuccess: t.A.test_a\ntest: t.A.test_b\nfailure: t.A.test_b\n")
    collected = read_file(path)
    assert {t.id: (t.outcome, t.started, t.finished) for t in collected.tests.values()} == {
        "t.A.test_a": ("passed", None, None),
        "t.A.test_b": ("failed", None, None),
    }
    assert (collected.first, collected.last) == (None, None)  # not the time it was read


@pytest.mark.parametrize(
    "stream", [b"test: t.A.test_a\n", b"time: 2026-11-20 09:30:01Z\ntest: t.A.test_a\n"], ids=["plain", "timed"]
)
def test_a_stream_in_which_no_test_finished(tmp_path: Path, stream: bytes) -> None:
    assert "no test finished in this stream (1 started)" in corrupt(tmp_path, stream)


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\xb3\x29", "subunit"),
        (b"test: t.A.test_a\n", "subunit"),
        (b"<?xml version='1.0'?><testsuite/>", "junit"),
        (b"\xef\xbb\xbf  <testsuites>", "junit"),
        ("<testsuite/>".encode("utf-16"), "junit"),  # with its byte order mark
    ],
)
def test_import_tells_junit_from_subunit(tmp_path: Path, head: bytes, kind: str) -> None:
    path = tmp_path / "input"
    path.write_bytes(head)
    assert detect_format(path) == kind
