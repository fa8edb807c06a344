"""A small HTTP client for the refstack-lite v2 API.

Idempotent requests are retried, with backoff, on connection errors and on 502/503/504 (a
proxy in front of a restarting server); any request is retried when the connection could not
be made at all, since then nothing was sent. The bearer token is kept out of every message,
``repr`` and exception this module produces.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from refstack_lite_client.schemas import Problem

DEFAULT_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF = 0.5  # seconds; urllib3 doubles it after each retry
RETRY_STATUSES = frozenset({502, 503, 504})
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
PROBLEM_PREFIX = "urn:refstack-lite:problem:"
REDACTED = "<token>"


class ApiError(Exception):
    """The server refused a request: its HTTP status and the problem+json fields, if any."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        type: str | None = None,
        problems: tuple[Problem, ...] = (),
    ) -> None:
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type
        self.problems = problems
        super().__init__(self.render())

    @property
    def slug(self) -> str | None:
        """The last part of ``type``: ``invalid-token``, ``key-exists``..."""
        if self.type and self.type.startswith(PROBLEM_PREFIX):
            return self.type.removeprefix(PROBLEM_PREFIX)
        return None

    def render(self) -> str:
        lines = [f"{self.status} {self.title}: {self.detail}" if self.detail else f"{self.status} {self.title}"]
        lines += [f"  {p.path}: {p.message}" for p in self.problems]
        return "\n".join(lines)


class Unreachable(Exception):
    """No answer from the server, after the retries."""


class Api:
    """The v2 API at ``url``, as the owner of ``token`` (or anonymously)."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
    ) -> None:
        self.url = url.rstrip("/") + "/"
        self.timeout = timeout
        self._token = token
        self._session = requests.Session()
        self._session.headers["Accept"] = "application/json, application/problem+json"
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"
        adapter = HTTPAdapter(max_retries=_retry_policy(retries, backoff))
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def __repr__(self) -> str:
        return f"Api(url={self.url!r}, token={'set' if self._token else 'none'})"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.request("POST", path, json=body if body is not None else {})

    def items(self, path: str) -> Iterator[dict[str, Any]]:
        """Every item of a paginated list, following ``next`` from page to page."""
        next_url: str | None = path
        while next_url:
            page = self.get(next_url)
            yield from page["items"]
            next_url = self._same_origin(page["next"]) if page.get("next") else None

    def _same_origin(self, link: str) -> str:
        """``link`` resolved against the server; the token is never sent to another origin."""
        url = urljoin(self.url, link)
        if urlsplit(url)[:2] != urlsplit(self.url)[:2]:
            raise ApiError(200, "Unexpected answer", f"the server sent a link to another site: {url}")
        return url

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request; return the JSON answer (None for 204) or raise ApiError/Unreachable."""
        url = path if path.startswith(("http://", "https://")) else self.url + path.lstrip("/")
        try:
            response = self._session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as err:
            # from None: the exception's request object carries the Authorization header
            raise Unreachable(self._scrub(f"cannot reach {self.url.rstrip('/')}: {_reason(err)}")) from None
        return self._answer(response)

    def _answer(self, response: requests.Response) -> Any:
        if response.status_code == 204:
            return None
        body = _json_or_none(response)
        if response.ok and body is not None:
            return body
        raise self._error(response, body)

    def _error(self, response: requests.Response, body: Any) -> ApiError:
        status = response.status_code
        reason = response.reason or "HTTP error"
        if not isinstance(body, dict):
            kind = response.headers.get("Content-Type", "no content type").split(";")[0]
            what = "an answer that is not JSON" if response.ok else "an error"
            return ApiError(status, reason, self._scrub(f"the server sent {what} ({kind}) for {response.url}"))
        listed = body.get("problems")
        problems = tuple(
            Problem(self._scrub(str(p.get("path", "?"))), self._scrub(str(p.get("message", ""))))
            for p in (listed if isinstance(listed, list) else [])
            if isinstance(p, dict)
        )
        return ApiError(
            status,
            self._scrub(str(body.get("title") or reason)),
            self._scrub(str(body.get("detail") or "")),
            type=body.get("type") if isinstance(body.get("type"), str) else None,
            problems=problems,
        )

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, REDACTED) if self._token else text


def _retry_policy(retries: int, backoff: float) -> Retry:
    return Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,
        backoff_factor=backoff,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=IDEMPOTENT,
        raise_on_status=False,  # the last 50x answer becomes an ApiError with the server's words
        respect_retry_after_header=True,
    )


def _json_or_none(response: requests.Response) -> Any:
    kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if kind not in ("application/json", "application/problem+json"):
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _reason(err: requests.RequestException) -> str:
    """The root cause in a few words, not urllib3's nested retry report."""
    if isinstance(err, requests.Timeout):
        return "timed out"
    inner = err.args[0] if err.args else err
    text = str(getattr(inner, "reason", None) or inner)
    # urllib3 prefixes its cause with "HTTPConnection(host='...', port=...): "
    return re.sub(r"^HTTPS?Connection\([^)]*\): ", "", text)
