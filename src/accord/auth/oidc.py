"""OpenID Connect, the protocol part: discovery, the authorization request (code flow with
PKCE, state and nonce), the code exchange and the ID token's validation.

No database and no web here: ``auth.sso`` keeps the attempts and decides who the person is.
authlib builds the requests and exchanges the code (over ``requests``: authlib's httpx client
is being moved to httpx2, its requests client is settled); joserfc checks the ID token's signature
against the provider's published keys (JWKS) and its claims (iss, aud, azp, exp, iat, nonce).
Every refusal is a ``NotAuthenticated`` whose message says what was wrong.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import (
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

from accord.config import IdentityProvider
from accord.errors import NotAuthenticated

# Asymmetric algorithms only: never "none", and never HS256 (whose key would be the client
# secret, or, in the classic confusion attack, the provider's public key).
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
CLOCK_SKEW_SECONDS = 60  # tolerated difference between the provider's clock and ours
HTTP_TIMEOUT_SECONDS = 10.0
DISCOVERY_TTL_SECONDS = 3600.0


@dataclass(frozen=True)
class Authorization:
    """Where to send the browser, and the secrets its answer will be checked against."""

    url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True)
class Identity:
    """The person an ID token vouches for, after every check passed."""

    issuer: str
    subject: str
    claims: dict[str, Any]

    def groups(self, claim: str) -> list[str]:
        value = self.claims.get(claim, [])
        if isinstance(value, str):  # some providers send a single group as a string
            value = [value]
        return [str(group) for group in value] if isinstance(value, list) else []

    def text(self, claim: str) -> str:
        value = self.claims.get(claim)
        return value.strip() if isinstance(value, str) else ""


_discovered: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
_discovery_lock = threading.Lock()


def discover(provider: IdentityProvider) -> dict[str, Any]:
    """The provider's metadata, cached for an hour; its issuer must be the configured one."""
    url = provider.resolved_discovery_url
    key = (url, provider.issuer)  # one document may be read for two settings: check each
    with _discovery_lock:
        cached = _discovered.get(key)
    if cached and time.monotonic() - cached[0] < DISCOVERY_TTL_SECONDS:
        return cached[1]
    metadata = _get_json(url, provider)
    # OpenID Connect Discovery 1.0 §4.3: a document naming another issuer is not to be used
    if metadata.get("issuer") != provider.issuer:
        raise NotAuthenticated(
            f"{provider.label} describes itself as issuer {metadata.get('issuer')!r}, not "
            f"{provider.issuer!r}: ask an administrator to check the issuer setting."
        )
    for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(metadata.get(endpoint), str):
            raise NotAuthenticated(f"{provider.label}'s metadata has no {endpoint}.")
    with _discovery_lock:
        _discovered[key] = (time.monotonic(), metadata)
    return metadata


def authorize(provider: IdentityProvider, redirect_uri: str) -> Authorization:
    """Build the authorization request: code flow, PKCE (S256), a fresh state and nonce."""
    metadata = discover(provider)
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    code_verifier = secrets.token_urlsafe(64)  # 86 characters, within RFC 7636's 43-128
    with _client(provider, redirect_uri) as client:
        url, _ = client.create_authorization_url(
            metadata["authorization_endpoint"],
            state=state,
            code_verifier=code_verifier,
            nonce=nonce,
        )
    return Authorization(str(url), state, nonce, code_verifier)


def exchange(
    provider: IdentityProvider,
    *,
    code: str,
    code_verifier: str,
    nonce: str,
    redirect_uri: str,
) -> Identity:
    """Trade the code for tokens and return the ID token's person once it has been checked."""
    metadata = discover(provider)
    try:
        with _client(provider, redirect_uri) as client:
            token = client.fetch_token(
                metadata["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
            )
    except OAuthError as exc:
        raise NotAuthenticated(
            f"{provider.label} did not accept the sign-in ({exc.error}). Please try again."
        ) from exc
    except requests.RequestException as exc:
        raise NotAuthenticated(f"{provider.label} could not be reached.") from exc
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise NotAuthenticated(f"{provider.label} sent no ID token.")
    keys = _get_json(metadata["jwks_uri"], provider)
    claims = validate_id_token(
        id_token, keys, issuer=provider.issuer, client_id=provider.client_id, nonce=nonce
    )
    return Identity(provider.issuer, str(claims["sub"]), claims)


def validate_id_token(
    id_token: str,
    jwks: dict[str, Any],
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    now: int | None = None,
) -> dict[str, Any]:
    """Check an ID token (OpenID Connect Core §3.1.3.7) and return its claims.

    Raises NotAuthenticated naming the first check that failed: signature (not made by one
    of the provider's keys), issuer, audience, authorized party, expiry, issue time, nonce.
    """
    try:
        keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
        decoded = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise NotAuthenticated(
            "The ID token was refused: its signature was not made with the identity "
            "provider's keys, so it may be forged."
        ) from exc
    registry = jwt.JWTClaimsRegistry(
        now=now,
        leeway=CLOCK_SKEW_SECONDS,
        iss={"essential": True, "value": issuer},
        sub={"essential": True},
        aud={"essential": True, "value": client_id},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    claims = decoded.claims
    try:
        registry.validate(claims)
    except ExpiredTokenError as exc:
        raise NotAuthenticated("The ID token was refused: it has expired.") from exc
    except (InvalidClaimError, MissingClaimError) as exc:
        problem = CLAIM_PROBLEMS.get(exc.claim, f"its {exc.claim} claim is wrong")
        raise NotAuthenticated(f"The ID token was refused: {problem}.") from exc
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise NotAuthenticated("The ID token was refused: it was issued to another application.")
    return claims


CLAIM_PROBLEMS = {
    "iss": "it was issued by another identity provider",
    "aud": "it was issued to another application",
    "nonce": "it does not belong to this sign-in (nonce), so it may be a replay",
    "sub": "it names nobody (no subject)",
    "exp": "it carries no expiry",
    "iat": "its issue time is missing or in the future",
}


def _client(provider: IdentityProvider, redirect_uri: str) -> OAuth2Session:
    secret = provider.secret()
    return OAuth2Session(
        client_id=provider.client_id,
        client_secret=secret or None,
        token_endpoint_auth_method="client_secret_basic" if secret else "none",
        scope=" ".join(provider.scopes),
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        default_timeout=HTTP_TIMEOUT_SECONDS,
    )


def _get_json(url: str, provider: IdentityProvider) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=HTTP_TIMEOUT_SECONDS)
        response.raise_for_status()
        body = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise NotAuthenticated(f"{provider.label} could not be reached ({url}).") from exc
    if not isinstance(body, dict):
        raise NotAuthenticated(f"{provider.label} answered {url} with something unreadable.")
    return body
