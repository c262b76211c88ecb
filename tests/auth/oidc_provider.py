"""A real OpenID Connect provider on loopback (oidc-provider-mock), with a switch to misbehave.

The provider is the registry's ``oidc-provider-mock``: authlib's authorization server, real
discovery, JWKS, authorization and token endpoints, RS256-signed ID tokens. Its users are set
through its own API (``PUT /users/<sub>``) and "sign in" by posting their subject to its
authorization form, as its page does.

``Provider.tamper`` makes the token endpoint answer with a different ID token, as an attacker
in the path or a misbehaving provider would: signed with another key, unsigned, expired,
meant for another application, for another sign-in (nonce) or from another issuer. Apart
from the signing key, each is signed with the provider's real key, so only the one check
under test can refuse it.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import flask
import httpx
import oidc_provider_mock
import werkzeug.serving
from joserfc import jwk, jwt

ATTACKER_KEY = jwk.RSAKey.generate_key(2048)

# The mock takes client secrets (basic or post) only; a real provider also takes public
# clients that prove themselves with PKCE alone (Login.gov), as Accord does without a secret.
_grant = oidc_provider_mock._app.AuthorizationCodeGrant
_grant.TOKEN_ENDPOINT_AUTH_METHODS = [*_grant.TOKEN_ENDPOINT_AUTH_METHODS, "none"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def _provider_key() -> jwk.RSAKey:
    real = flask.g.oidc_provider_mock_storage.jwk  # the key behind the provider's JWKS
    return jwk.RSAKey.import_key(real.as_dict(is_private=True))


def _resign(claims: dict[str, Any], key: jwk.RSAKey | None = None) -> str:
    return jwt.encode({"alg": "RS256"}, claims, key or _provider_key())


def _unsigned(claims: dict[str, Any]) -> str:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}."


def _changed(**changes: Any) -> Callable[[dict[str, Any]], str]:
    return lambda claims: _resign({**claims, **changes})


TAMPERINGS: dict[str, Callable[[dict[str, Any]], str]] = {
    "forged": lambda claims: _resign(claims, ATTACKER_KEY),
    "unsigned": _unsigned,
    "expired": lambda claims: _resign(
        {**claims, "iat": int(time.time()) - 7200, "exp": int(time.time()) - 3600}
    ),
    "audience": _changed(aud="another-application"),
    "nonce": _changed(nonce="the-nonce-of-another-sign-in"),
    "issuer": _changed(iss="https://impostor.example"),
}


@dataclass
class Provider:
    url: str
    tamper: str | None = None
    seen: list[str] = field(default_factory=list)  # authorization requests received
    token_requests: list[dict[str, str]] = field(default_factory=list)  # their form fields

    def set_user(self, sub: str, **claims: Any) -> None:
        httpx.put(f"{self.url}/users/{sub}", json=claims).raise_for_status()

    def sign_in(self, authorization_url: str, sub: str) -> str:
        """The person signs in at the provider; returns where it sends the browser back."""
        self.seen.append(authorization_url)
        answer = httpx.post(authorization_url, data={"sub": sub}, follow_redirects=False)
        assert answer.status_code == 302, answer.text
        return answer.headers["location"]

    def _token_hook(self, response: flask.Response) -> flask.Response:
        if flask.request.path != "/oauth2/token":
            return response
        fields = dict(flask.request.form)
        if flask.request.authorization is not None:
            fields["basic_auth_user"] = flask.request.authorization.username or ""
        self.token_requests.append(fields)
        if self.tamper is None:
            return response
        body = response.get_json()
        body["id_token"] = TAMPERINGS[self.tamper](_claims_of(body["id_token"]))
        response.set_data(json.dumps(body))
        return response


@contextmanager
def running_provider() -> Iterator[Provider]:
    app = oidc_provider_mock.app(require_nonce=True)
    server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
    provider = Provider(f"http://127.0.0.1:{server.server_port}")
    app.after_request(provider._token_hook)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()
