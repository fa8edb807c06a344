"""A hostile OpenID provider for the console's attack tests: a real HTTP server on 127.0.0.1 (in a
thread) with discovery, JWKS, userinfo and a token endpoint whose ID token has the defect the test
chose for the code it will present. The test reads state, nonce and code_challenge from the
authorize URL the app builds, registers ``expect(code, nonce, defect)``, then calls the app's
callback with that code; ``last_token_request`` shows what the app sent to the token endpoint."""

from __future__ import annotations

import json
import secrets
import threading
import time
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args
from urllib.parse import unquote

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import OctKey, RSAKey
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

Defect = Literal[
    "good",
    "wrong_nonce",
    "missing_nonce",
    "other_issuer",
    "other_audience",
    "other_audience_with_azp",  # issued to another client, naming this one as the authorized party
    "expired",
    "unknown_key",  # signed by a key not in the JWKS, under the published key's kid
    "missing_sub",
    "no_id_token",  # a token response without an id_token
    "alg_none",  # unsigned
    "hs256_public_key",  # HMAC-signed with the published RSA public key (PEM) as the secret
]
DEFECTS: tuple[Defect, ...] = get_args(Defect)

OTHER_ISSUER = "https://other-issuer.example"
OTHER_AUDIENCE = "another-client"
# Who the hostile provider says signed in, unless a test's ``claims`` say otherwise.
DEFAULT_CLAIMS: Mapping[str, Any] = {
    "sub": "hostile-subject-1",
    "email": "holly@vendor-h.example",
    "email_verified": True,
    "name": "Holly Hostile",
    "preferred_username": "holly",
    "groups": [],
}


@dataclass(frozen=True)
class TokenRequest:
    """One request to the token endpoint, as it came."""

    form: Mapping[str, str]
    basic: tuple[str, str] | None  # HTTP Basic credentials (client_secret_basic), form-decoded

    def client_credentials(self) -> tuple[str, str, str] | None:
        """(client_id, client_secret, auth method) the client authenticated with, or None."""
        if self.basic is not None:
            return (*self.basic, "client_secret_basic")
        if "client_secret" in self.form:
            return self.form.get("client_id", ""), self.form["client_secret"], "client_secret_post"
        return None

    def pkce_verifies(self, code_challenge: str) -> bool:
        """Whether the request's ``code_verifier`` is the one behind this S256 ``code_challenge``."""
        verifier = self.form.get("code_verifier")
        return verifier is not None and secrets.compare_digest(create_s256_code_challenge(verifier), code_challenge)


@dataclass(frozen=True)
class _Answer:
    id_token: str | None
    claims: Mapping[str, Any]  # what the userinfo endpoint says for the access token
    code_challenge: str | None


class HostileProvider:
    def __init__(self, issuer: str) -> None:
        self.issuer = issuer
        self.client_id = "refstack-lite-console"
        self.client_secret = secrets.token_urlsafe(24)
        kid = secrets.token_hex(8)
        self.signing_key = RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"})
        self._stranger_key = RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"})
        self._answers: dict[str, _Answer] = {}
        self._userinfo: dict[str, Mapping[str, Any]] = {}
        self._lock = threading.Lock()
        self.token_requests: list[TokenRequest] = []

    @property
    def discovery_url(self) -> str:
        return self.issuer + "/.well-known/openid-configuration"

    @property
    def last_token_request(self) -> TokenRequest | None:
        with self._lock:
            return self.token_requests[-1] if self.token_requests else None

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.signing_key.as_dict(private=False)]}

    def expect(
        self,
        code: str,
        nonce: str,
        defect: Defect = "good",
        *,
        claims: Mapping[str, Any] | None = None,
        code_challenge: str | None = None,
    ) -> None:
        """Answer the token request for ``code`` (once) with an ID token for ``nonce`` that has
        ``defect``; ``claims`` replace or add to DEFAULT_CLAIMS. With ``code_challenge`` the
        request is refused (invalid_grant) unless its ``code_verifier`` matches it (S256)."""
        if defect not in DEFECTS:
            raise ValueError(f"unknown defect {defect!r}, not one of {DEFECTS}")
        user = {**DEFAULT_CLAIMS, **(claims or {})}
        answer = _Answer(self._id_token(nonce, defect, user), user, code_challenge)
        with self._lock:
            self._answers[code] = answer

    def _id_token(self, nonce: str, defect: Defect, user: Mapping[str, Any]) -> str | None:
        """Made when the test registers it (in the test's thread, where a warning is the test's)."""
        if defect == "no_id_token":
            return None
        now = int(time.time())
        claims: dict[str, Any] = {
            **user,
            "iss": self.issuer,
            "aud": self.client_id,
            "nonce": nonce,
            "iat": now,
            "auth_time": now,
            "exp": now + 300,
        }
        if defect == "wrong_nonce":
            claims["nonce"] = secrets.token_urlsafe(16)
        elif defect == "missing_nonce":
            del claims["nonce"]
        elif defect == "other_issuer":
            claims["iss"] = OTHER_ISSUER
        elif defect == "other_audience":
            claims["aud"] = OTHER_AUDIENCE
        elif defect == "other_audience_with_azp":
            claims.update(aud=[OTHER_AUDIENCE], azp=self.client_id)
        elif defect == "expired":
            claims.update(iat=now - 7200, auth_time=now - 7200, exp=now - 3600)
        elif defect == "missing_sub":
            del claims["sub"]
        kid = self.signing_key.kid
        if defect == "alg_none":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SecurityWarning)  # joserfc warns that "none" is unsafe: it is the point
                return jwt.encode({"alg": "none"}, claims, None, algorithms=["none"])  # type: ignore[arg-type]  # no key
        if defect == "hs256_public_key":
            # OctKey's constructor, not import_key: import_key refuses a PEM public key as an HMAC secret.
            pem = self.signing_key.as_pem(private=False)
            return jwt.encode({"alg": "HS256", "kid": kid}, claims, OctKey(pem, pem), algorithms=["HS256"])
        key = self._stranger_key if defect == "unknown_key" else self.signing_key
        return jwt.encode({"alg": "RS256", "kid": kid, "typ": "JWT"}, claims, key, algorithms=["RS256"])

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token",
            "userinfo_endpoint": self.issuer + "/userinfo",
            "jwks_uri": self.issuer + "/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile", "groups"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "iss", "aud", "nonce", *DEFAULT_CLAIMS],
        }

    def _token(self, request: Request) -> Response:
        basic = request.authorization
        credentials = (
            (unquote(basic.username or ""), unquote(basic.password or ""))
            if basic is not None and basic.type == "basic"
            else None
        )
        token_request = TokenRequest(form=dict(request.form), basic=credentials)
        with self._lock:
            self.token_requests.append(token_request)
        sent = token_request.client_credentials()
        if sent is None or sent[0] != self.client_id or not secrets.compare_digest(sent[1], self.client_secret):
            return _json({"error": "invalid_client"}, 401)
        if token_request.form.get("grant_type") != "authorization_code":
            return _json({"error": "unsupported_grant_type"}, 400)
        with self._lock:
            answer = self._answers.pop(token_request.form.get("code", ""), None)
        if answer is None or (
            answer.code_challenge is not None and not token_request.pkce_verifies(answer.code_challenge)
        ):
            return _json({"error": "invalid_grant"}, 400)
        access_token = secrets.token_urlsafe(24)
        with self._lock:
            self._userinfo[access_token] = answer.claims
        body: dict[str, Any] = {"access_token": access_token, "token_type": "Bearer", "expires_in": 300}
        if answer.id_token is not None:
            body["id_token"] = answer.id_token
        return _json(body, 200)

    def _userinfo_answer(self, request: Request) -> Response:
        header = request.headers.get("Authorization", "")
        with self._lock:
            claims = self._userinfo.get(header.removeprefix("Bearer ")) if header.startswith("Bearer ") else None
        if claims is None:
            return _json({"error": "invalid_token"}, 401)
        return _json(dict(claims), 200)

    def wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        if request.path == "/.well-known/openid-configuration":
            response = _json(self.discovery(), 200)
        elif request.path == "/jwks":
            response = _json(self.jwks(), 200)
        elif request.path == "/token" and request.method == "POST":
            response = self._token(request)
        elif request.path == "/userinfo":
            response = self._userinfo_answer(request)
        elif request.path == "/authorize":
            # Nobody signs in here: the test takes what it needs from the authorize URL itself.
            response = Response("the hostile provider signs no one in\n", 400, mimetype="text/plain")
        else:
            response = Response("not found\n", 404, mimetype="text/plain")
        return response(environ, start_response)


def _json(body: Mapping[str, Any], status: int) -> Response:
    return Response(json.dumps(body), status, mimetype="application/json", headers={"Cache-Control": "no-store"})


@contextmanager
def hostile_provider() -> Iterator[HostileProvider]:
    """A HostileProvider serving on a free port of 127.0.0.1 until the block ends."""
    # The issuer names the port, known once the server is bound; the server calls the app only later.
    server = make_server("127.0.0.1", 0, lambda environ, start: provider.wsgi(environ, start), threaded=True)
    provider = HostileProvider(f"http://127.0.0.1:{server.port}")
    thread = threading.Thread(target=server.serve_forever, name="hostile-oidc", daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
