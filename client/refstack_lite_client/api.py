"""A small HTTP client for the refstack-lite v2 API.

Idempotent requests are retried, with backoff, on connection errors and on 502/503/504 (a
proxy in front of a restarting server); any request is retried when the connection could not
be made at all, since then nothing was sent. A POST is retried likewise only when the caller
says a repeat is safe (``repeatable=True``: the server answers a repeat with what it stored).
The bearer token is kept out of every message, ``repr`` and exception this module produces.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Self
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
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type
        self.problems = problems
        self.extra = extra or {}  # the problem's other members, e.g. "existing" of a duplicate
        super().__init__(self.render())

    @property
    def slug(self) -> str | None:
        """The last part of ``type``: ``invalid-token``, ``key-exists``..."""
        if self.type and self.type.startswith(PROBLEM_PREFIX):
            return self.type.removeprefix(PROBLEM_PREFIX)
        return None

    def render(self) -> str:
        first = f"{self.status} {self.title}: {self.detail}" if self.detail else f"{self.status} {self.title}"
        lines = [f"{first} [{self.slug}]" if self.slug else first]
        lines += [f"  {p.path}: {p.message}" for p in self.problems]
        return "\n".join(lines)


class Unreachable(Exception):
    """No answer from the server, after the retries; ``attempts`` says how many were made."""

    def __init__(self, message: str, attempts: int = 1) -> None:
        super().__init__(message)
        self.attempts = attempts


class _CountingRetry(Retry):
    """urllib3's Retry, counting into ``failures`` every failed attempt of the current request."""

    failures: list[int]

    def new(self, **kw: Any) -> Self:
        fresh = super().new(**kw)
        fresh.failures = self.failures
        return fresh

    def increment(self, *args: Any, **kwargs: Any) -> Self:
        self.failures[0] += 1
        return super().increment(*args, **kwargs)


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
        self._failures = [0]
        self._session = self._new_session(_retry_policy(retries, backoff, IDEMPOTENT, self._failures))
        # a second session whose retries include POST, for requests the caller says may be repeated
        self._repeatable = self._new_session(_retry_policy(retries, backoff, IDEMPOTENT | {"POST"}, self._failures))

    def _new_session(self, policy: Retry) -> requests.Session:
        session = requests.Session()
        session.headers["Accept"] = "application/json, application/problem+json"
        if self._token:
            session.headers["Authorization"] = f"Bearer {self._token}"
        adapter = HTTPAdapter(max_retries=policy)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def __repr__(self) -> str:
        return f"Api(url={self.url!r}, token={'set' if self._token else 'none'})"

    def close(self) -> None:
        self._session.close()
        self._repeatable.close()

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

    def request(self, method: str, path: str, *, repeatable: bool = False, **kwargs: Any) -> Any:
        """Send a request; return the JSON answer (None for 204) or raise ApiError/Unreachable.

        ``repeatable``: retry this request like an idempotent one although its method is not
        (a POST the server recognises when repeated). ``kwargs`` go to ``requests``.
        """
        return self._answer(self._send(method, path, self._repeatable if repeatable else self._session, **kwargs))

    def get_text(self, path: str) -> str:
        """GET an answer that is text, not JSON (a signed note); raises ApiError/Unreachable."""
        response = self._send("GET", path, self._session, headers={"Accept": "text/plain, application/problem+json"})
        kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if response.ok and kind == "text/plain":
            response.encoding = "utf-8"
            return response.text
        if response.ok:
            raise ApiError(
                response.status_code,
                "Unexpected answer",
                f"the server sent {kind or 'no content type'}, not text/plain, for {response.url}",
            )
        raise self._error(response, _json_or_none(response))

    def _send(self, method: str, path: str, session: requests.Session, **kwargs: Any) -> requests.Response:
        url = path if path.startswith(("http://", "https://")) else self.url + path.lstrip("/")
        self._failures[0] = 0
        try:
            return session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as err:
            # from None: the exception's request object carries the Authorization header
            message = self._scrub(f"cannot reach {self.url.rstrip('/')}: {_reason(err)}")
            raise Unreachable(message, attempts=max(self._failures[0], 1)) from None

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
        standard = ("type", "title", "status", "detail", "instance", "problems")
        return ApiError(
            status,
            self._scrub(str(body.get("title") or reason)),
            self._scrub(str(body.get("detail") or "")),
            type=body.get("type") if isinstance(body.get("type"), str) else None,
            problems=problems,
            extra={name: value for name, value in body.items() if name not in standard},
        )

    def _scrub(self, text: str) -> str:
        return text.replace(self._token, REDACTED) if self._token else text


def _retry_policy(retries: int, backoff: float, methods: frozenset[str], failures: list[int]) -> Retry:
    policy = _CountingRetry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,
        backoff_factor=backoff,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=methods,
        raise_on_status=False,  # the last 50x answer becomes an ApiError with the server's words
        respect_retry_after_header=True,
    )
    policy.failures = failures
    return policy


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
