"""Reading the log over HTTP: pages followed as far as the log serves them, answers out of shape refused."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from refstack_lite_client.api import Api, ApiError
from refstack_lite_client.log_api import LogAnswerError, LogApi

from tests.certificates import foundation_signer, submission_entry
from tests.log_server import LogServer, MemoryLog, serving


@pytest.fixture
def server() -> Iterator[LogServer]:
    log = MemoryLog(foundation_signer())
    for number in range(300):
        log.append(submission_entry(number))
    with serving(log) as running:
        yield running


def log_api(server: LogServer) -> LogApi:
    return LogApi(Api(server.url, retries=0))


def test_entries_come_in_order_page_by_page(server: LogServer) -> None:
    assert list(log_api(server).entries(10, 300)) == server.log.leaves[10:300]
    assert [r for r in server.requests if r.startswith("/v2/log/entries")] == [
        "/v2/log/entries?start=10&end=266",
        "/v2/log/entries?start=266&end=300",
    ]


def test_a_shorter_page_is_taken_as_far_as_it_goes(server: LogServer) -> None:
    answer = server.answer

    def short(path: str, query: dict[str, str]) -> tuple[int, str, bytes]:
        if path == "/v2/log/entries":
            query = {**query, "end": str(min(int(query["end"]), int(query["start"]) + 100))}
        return answer(path, query)

    server.answer = short  # type: ignore[method-assign]
    assert list(log_api(server).entries(0, 250)) == server.log.leaves[:250]
    assert "/v2/log/entries?start=200&end=250" in server.requests


def _serving(server: LogServer, body: object, kind: str = "application/json") -> None:
    server.answer = lambda path, query: (200, kind, json.dumps(body).encode())  # type: ignore[method-assign]


@pytest.mark.parametrize(
    ("body", "call", "says"),
    [
        (
            {"entries": [{"index": 3, "data": "e30="}]},
            lambda log: list(log.entries(0, 5)),
            "served entry 3 where entry 0 was due",
        ),
        ({"entries": []}, lambda log: list(log.entries(0, 5)), "served no entries"),
        (
            {"entries": [{"index": 0, "data": "%%"}]},
            lambda log: list(log.entries(0, 5)),
            "entry 0 of GET /v2/log/entries",
        ),
        (
            {"entries": [{"data": "e30="}]},
            lambda log: list(log.entries(0, 5)),
            "entry 0 of GET /v2/log/entries?start=0&end=5 has no index",
        ),
        (
            {"items": []},
            lambda log: log.certification_entries("c/1"),
            "GET /v2/log/certifications/c%2F1 has no list of entries",
        ),
        ({"index": 1, "size": 9, "hashes": []}, lambda log: log.inclusion(1, 8), "is for size 9, not 8"),
        ({"old": 1, "new": 8, "hashes": ["AAAA"]}, lambda log: log.consistency(1, 8), "is 3 bytes, not 32"),
        ({"old": 1, "new": 8}, lambda log: log.consistency(1, 8), "has no list of hashes"),
        ([], lambda log: log.consistency(1, 8), "is not a JSON object"),
    ],
)
def test_an_answer_out_of_shape_is_refused(server: LogServer, body: object, call: object, says: str) -> None:
    _serving(server, body)
    with pytest.raises(LogAnswerError) as caught:
        call(log_api(server))  # type: ignore[operator]
    assert says in str(caught.value)


def test_a_checkpoint_that_is_not_text_is_an_api_error(server: LogServer) -> None:
    _serving(server, {"checkpoint": "x"})
    with pytest.raises(ApiError, match="the server sent application/json, not text/plain"):
        log_api(server).checkpoint()
