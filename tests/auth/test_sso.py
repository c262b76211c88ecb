"""Sign-in through an identity provider, against a real OpenID Connect provider on loopback.

The app runs in-process (TestClient); the provider is oidc-provider-mock in a thread on
127.0.0.1 (``tests/auth/oidc_provider.py``). Each refusal test checks the page says why, and
that no user, role, session or audit entry was written.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select, update

from accord.auth.actor import Actor
from accord.auth.group_roles import add_group_role
from accord.auth.models import AuditEntry, LoginSession, SignInAttempt, User, UserRole
from accord.auth.oidc import Identity
from accord.auth.passwords import verify_password
from accord.auth.sso import ATTEMPT_LIFETIME, sign_in_as
from accord.auth.users import disable_user
from accord.config import IdentityProvider, Settings
from accord.db.base import utcnow
from accord.db.engine import transaction
from accord.web.app import create_app
from tests.auth.oidc_provider import TAMPERINGS, Provider, running_provider
from tests.factories import PASSWORD, make_user
from tests.web.helpers import sign_in

GROUPS = {"cdw-stewards": "steward", "cdw-coordinators": "data_coordinator"}


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running_provider() as running:
        yield running


@pytest.fixture
def idp(provider: Provider) -> Iterator[Provider]:
    provider.tamper = None
    provider.seen.clear()
    provider.token_requests.clear()
    yield provider
    provider.tamper = None


def _idp_settings(settings: Settings, idp: Provider, **overrides: object) -> Settings:
    return Settings(
        database_url=settings.database_url,
        data_dir=settings.data_dir,
        secret_key=settings.secret_key,
        identity_providers=(
            IdentityProvider(
                name="cdw-id",
                label="CDW ID",
                issuer=idp.url,
                client_id="accord",
                department="CDW",
            ),
        ),
        _env_file=None,  # type: ignore[call-arg]
        **overrides,  # type: ignore[arg-type]
    )


@pytest.fixture
def sso(settings: Settings, idp: Provider, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """An installation with the provider configured, an admin, and the groups mapped."""
    monkeypatch.setenv("ACCORD_OIDC_CDW_ID_CLIENT_SECRET", "kept-in-the-environment")
    configured = _idp_settings(settings, idp)
    root = make_user(configured, "root", "admin")
    with transaction(configured) as session:
        for group, role in GROUPS.items():
            add_group_role(
                session, root, provider="cdw-id", group=group, role=role, providers=["cdw-id"]
            )
    return configured


@pytest.fixture
def client(sso: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(sso), raise_server_exceptions=False) as test_client:
        yield test_client


def _sign_in(client: TestClient, idp: Provider, sub: str, next: str = "/") -> httpx.Response:
    start = client.get(f"/login/sso/cdw-id?next={next}", follow_redirects=False)
    assert start.status_code == 303, start.text
    back = idp.sign_in(start.headers["location"], sub)
    return client.get(back, follow_redirects=False)


def _user(settings: Settings, sub: str) -> User | None:
    with transaction(settings, read_only=True) as session:
        return session.scalar(select(User).where(User.subject == sub))


def _written(settings: Settings) -> tuple[int, ...]:
    """How many users, roles, sessions and audit entries there are."""
    with transaction(settings, read_only=True) as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (User, UserRole, LoginSession, AuditEntry)
        )


def _actions(settings: Settings) -> list[tuple[str, str]]:
    with transaction(settings, read_only=True) as session:
        rows = session.execute(select(AuditEntry.actor, AuditEntry.action).order_by(AuditEntry.seq))
        return [(actor, action) for actor, action in rows]


def test_the_client_secret_comes_from_the_environment(sso: Settings) -> None:
    assert sso.identity_providers[0].secret() == "kept-in-the-environment"
    assert "kept-in-the-environment" not in repr(sso)


@pytest.mark.parametrize(
    "issuer", ["http://login.example.gov", "ftp://127.0.0.1", "https://", "login.example.gov"]
)
def test_an_issuer_without_tls_is_refused_in_the_settings(issuer: str) -> None:
    with pytest.raises(ValidationError, match="https"):
        IdentityProvider(name="x", label="X", issuer=issuer, client_id="a", department="CDW")


def test_sign_in_button_is_offered(client: TestClient) -> None:
    page = client.get("/login?next=/catalog")
    assert "Sign in with CDW ID" in page.text
    assert 'href="/login/sso/cdw-id?next=/catalog"' in page.text.replace("%2F", "/")


def test_sign_in_creates_the_user_with_the_roles_of_their_groups(
    sso: Settings, client: TestClient, idp: Provider
) -> None:
    idp.set_user(
        "7f3a-ana",
        preferred_username="ana.lopez@cdw.ca.gov",
        name="Ana López",
        email="ana.lopez@cdw.ca.gov",
        groups=["cdw-stewards", "everyone-at-cdw"],
    )
    answer = _sign_in(client, idp, "7f3a-ana", next="/catalog")
    assert answer.status_code == 303 and answer.headers["location"] == "/catalog"
    assert client.get("/").status_code == 200  # the session cookie works

    request = parse_qs(urlsplit(idp.seen[-1]).query)
    assert request["response_type"] == ["code"] and request["client_id"] == ["accord"]
    assert request["code_challenge_method"] == ["S256"] and request["code_challenge"][0]
    assert request["state"][0] and request["nonce"][0]
    assert set(request["scope"][0].split()) == {"openid", "profile", "email"}

    user = _user(sso, "7f3a-ana")
    assert user is not None
    assert (user.issuer, user.username, user.full_name) == (idp.url, "ana.lopez", "Ana López")
    assert user.role_names == ["steward"] and user.department.code == "CDW"
    assert user.password_hash == ""
    assert _actions(sso)[-2:] == [("sso:cdw-id", "user.create"), ("ana.lopez", "auth.login")]
    with TestClient(create_app(sso), raise_server_exceptions=False) as admin:
        sign_in(admin, "root")
        users = admin.get("/admin/users").text
        assert "single sign-on" in users.split('id="user-ana.lopez"')[1].split("</tr>")[0]
    with transaction(sso, read_only=True) as session:  # the attempt was used up
        assert session.scalar(select(func.count()).select_from(SignInAttempt)) == 0


def test_the_code_is_exchanged_with_the_secret_and_the_pkce_verifier(
    sso: Settings, client: TestClient, idp: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    idp.set_user("lu", preferred_username="lu", groups=["cdw-stewards"])
    assert _sign_in(client, idp, "lu").status_code == 303
    exchange = idp.token_requests[-1]
    assert exchange["basic_auth_user"] == "accord" and "client_secret" not in exchange
    assert exchange["grant_type"] == "authorization_code" and len(exchange["code_verifier"]) >= 43
    challenge = parse_qs(urlsplit(idp.seen[-1]).query)["code_challenge"][0]
    digest = hashlib.sha256(exchange["code_verifier"].encode()).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == challenge  # S256
    # without a secret Accord is a public client: PKCE alone, client_id in the form
    monkeypatch.delenv("ACCORD_OIDC_CDW_ID_CLIENT_SECRET")
    client.cookies.clear()
    assert _sign_in(client, idp, "lu").status_code == 303
    exchange = idp.token_requests[-1]
    assert "basic_auth_user" not in exchange and exchange["client_id"] == "accord"
    assert len(exchange["code_verifier"]) >= 43


def test_a_changed_group_changes_the_roles_at_the_next_sign_in(
    sso: Settings, client: TestClient, idp: Provider
) -> None:
    idp.set_user("bo", preferred_username="bo", groups=["cdw-stewards"])
    assert _sign_in(client, idp, "bo").status_code == 303
    idp.set_user("bo", preferred_username="bo", groups=["cdw-coordinators"])
    assert _sign_in(client, idp, "bo").status_code == 303
    user = _user(sso, "bo")
    assert user is not None and user.role_names == ["data_coordinator"]
    assert _actions(sso)[-2:] == [("sso:cdw-id", "user.sync"), ("bo", "auth.login")]
    # a group added beside one kept: the kept role stays, the new one joins
    idp.set_user("bo", preferred_username="bo", groups=["cdw-coordinators", "cdw-stewards"])
    assert _sign_in(client, idp, "bo").status_code == 303
    user = _user(sso, "bo")
    assert user is not None and user.role_names == ["data_coordinator", "steward"]

    # out of every mapped group: the roles go, and no session is given
    idp.set_user("bo", preferred_username="bo", groups=["everyone-at-cdw"])
    sessions = _written(sso)[2]
    refused = _sign_in(client, idp, "bo")
    assert refused.status_code == 401 and "none of your groups" in refused.text
    user = _user(sso, "bo")
    assert user is not None and user.role_names == []
    assert _written(sso)[2] == sessions
    assert _actions(sso)[-1] == ("sso:cdw-id", "user.sync")


def test_a_newcomer_without_a_mapped_group_is_not_created(
    sso: Settings, client: TestClient, idp: Provider
) -> None:
    idp.set_user("cy", preferred_username="cy", groups=["everyone-at-cdw"])
    before = _written(sso)
    refused = _sign_in(client, idp, "cy")
    assert refused.status_code == 401 and "none of your groups" in refused.text
    assert _written(sso) == before and _user(sso, "cy") is None


def test_a_disabled_account_is_refused_though_the_provider_vouches_for_it(
    sso: Settings, client: TestClient, idp: Provider
) -> None:
    idp.set_user("dee", preferred_username="dee", groups=["cdw-stewards"])
    assert _sign_in(client, idp, "dee").status_code == 303
    with transaction(sso) as session:
        root = session.scalar(select(User).where(User.username == "root"))
        assert root is not None
        disable_user(session, Actor(root.id, "root", frozenset({"admin"})), "dee")  # type: ignore[arg-type]
    client.cookies.clear()
    before = _written(sso)
    refused = _sign_in(client, idp, "dee")
    assert refused.status_code == 401 and "disabled" in refused.text
    assert _written(sso) == before
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")


def test_the_same_email_does_not_take_over_a_local_account(
    sso: Settings, client: TestClient, idp: Provider
) -> None:
    make_user(sso, "ana", "admin")
    idp.set_user(
        "someone-else", preferred_username="ana", email="ana@cdw.ca.gov", groups=["cdw-stewards"]
    )
    assert _sign_in(client, idp, "someone-else").status_code == 303
    newcomer = _user(sso, "someone-else")
    assert newcomer is not None and newcomer.username.startswith("ana-")
    assert newcomer.role_names == ["steward"]
    with transaction(sso, read_only=True) as session:
        local = session.scalar(select(User).where(User.username == "ana"))
        assert local is not None and local.subject is None and local.role_names == ["admin"]


@pytest.mark.parametrize(
    ("tampering", "said"),
    [
        ("forged", "signature"),
        ("unsigned", "signature"),
        ("expired", "expired"),
        ("audience", "another application"),
        ("nonce", "nonce"),
        ("issuer", "another identity provider"),
    ],
)
def test_a_bad_id_token_is_refused_and_changes_nothing(
    sso: Settings, client: TestClient, idp: Provider, tampering: str, said: str
) -> None:
    assert set(TAMPERINGS) == {"forged", "unsigned", "expired", "audience", "nonce", "issuer"}
    idp.set_user("eve", preferred_username="eve", groups=["cdw-stewards"])
    before = _written(sso)
    idp.tamper = tampering
    refused = _sign_in(client, idp, "eve")
    assert refused.status_code == 401
    assert "Sign-in through CDW ID refused" in refused.text and said in refused.text
    assert "accord_session" not in refused.cookies
    assert _written(sso) == before and _user(sso, "eve") is None
    # the same person, the provider behaving: signed in
    idp.tamper = None
    assert _sign_in(client, idp, "eve").status_code == 303


def test_a_bad_id_token_does_not_change_an_existing_user(
    sso: Settings, client: TestClient, idp: Provider
) -> None:
    idp.set_user("fay", preferred_username="fay", groups=["cdw-stewards"])
    assert _sign_in(client, idp, "fay").status_code == 303
    idp.set_user("fay", preferred_username="fay", groups=["cdw-coordinators"])
    before = _written(sso)
    idp.tamper = "forged"
    assert _sign_in(client, idp, "fay").status_code == 401
    user = _user(sso, "fay")
    assert user is not None and user.role_names == ["steward"]
    assert _written(sso) == before


def test_a_replayed_answer_is_refused(sso: Settings, client: TestClient, idp: Provider) -> None:
    idp.set_user("gil", preferred_username="gil", groups=["cdw-stewards"])
    start = client.get("/login/sso/cdw-id", follow_redirects=False)
    state_cookie = start.cookies["accord_sso_state"]
    back = idp.sign_in(start.headers["location"], "gil")
    assert client.get(back, follow_redirects=False).status_code == 303
    before = _written(sso)
    # the same answer again, with the state cookie the attacker copied
    client.cookies.clear()
    client.cookies.set("accord_sso_state", state_cookie, path="/login/sso")
    replayed = client.get(back, follow_redirects=False)
    assert replayed.status_code == 401 and "already used" in replayed.text
    assert _written(sso) == before


def test_an_answer_started_in_another_browser_is_refused(
    sso: Settings, client: TestClient, idp: Provider
) -> None:
    """Login CSRF: the attacker starts a sign-in and has the victim's browser finish it."""
    idp.set_user("mallory", preferred_username="mallory", groups=["cdw-stewards"])
    start = client.get("/login/sso/cdw-id", follow_redirects=False)
    back = idp.sign_in(start.headers["location"], "mallory")
    before = _written(sso)
    with TestClient(create_app(sso), raise_server_exceptions=False) as victim:
        refused = victim.get(back, follow_redirects=False)
    assert refused.status_code == 401 and "not started in this browser" in refused.text
    assert _written(sso) == before


def test_an_answer_after_the_attempts_lifetime_is_refused(
    sso: Settings, client: TestClient, idp: Provider
) -> None:
    idp.set_user("kim", preferred_username="kim", groups=["cdw-stewards"])
    start = client.get("/login/sso/cdw-id", follow_redirects=False)
    back = idp.sign_in(start.headers["location"], "kim")
    with transaction(sso) as session:  # the person took eleven minutes at the provider
        late = utcnow() - ATTEMPT_LIFETIME - timedelta(minutes=1)
        session.execute(update(SignInAttempt).values(created_at=late))
    before = _written(sso)
    late = client.get(back, follow_redirects=False)
    assert late.status_code == 401 and "too late" in late.text
    assert _written(sso) == before


def test_a_person_who_declines_at_the_provider_is_told_so(
    sso: Settings, client: TestClient, idp: Provider
) -> None:
    start = client.get("/login/sso/cdw-id", follow_redirects=False)
    declined = httpx.post(start.headers["location"], data={"action": "deny"})
    assert declined.status_code == 302 and "error=access_denied" in declined.headers["location"]
    before = _written(sso)
    answer = client.get(declined.headers["location"], follow_redirects=False)
    assert answer.status_code == 401 and "access_denied" in answer.text
    assert _written(sso) == before


def test_a_provider_naming_another_issuer_or_unreachable_is_refused_before_leaving(
    settings: Settings, idp: Provider
) -> None:
    impostor = IdentityProvider(
        name="impostor",
        label="Impostor",
        issuer=f"{idp.url}/tenant-b",
        discovery_url=f"{idp.url}/.well-known/openid-configuration",
        client_id="accord",
        department="CDW",
    )
    gone = IdentityProvider(
        name="gone", label="Gone", issuer="http://127.0.0.1:9", client_id="a", department="CDW"
    )
    configured = Settings(
        database_url=settings.database_url,
        data_dir=settings.data_dir,
        secret_key=settings.secret_key,
        identity_providers=(impostor, gone),
        _env_file=None,  # type: ignore[call-arg]
    )
    with TestClient(create_app(configured), raise_server_exceptions=False) as browser:
        refused = browser.get("/login/sso/impostor", follow_redirects=False)
        assert refused.status_code == 401 and "describes itself as issuer" in refused.text
        unreachable = browser.get("/login/sso/gone", follow_redirects=False)
        assert unreachable.status_code == 401 and "could not be reached" in unreachable.text
        assert browser.get("/login/sso/nobody").status_code == 404


def test_an_unknown_state_is_refused(sso: Settings, client: TestClient) -> None:
    client.cookies.set("accord_sso_state", "made-up", path="/login/sso")
    refused = client.get("/login/sso/cdw-id/callback?state=made-up&code=x")
    assert refused.status_code == 401 and "unknown" in refused.text


def test_a_provider_user_never_signs_in_with_a_password(
    sso: Settings, client: TestClient, idp: Provider
) -> None:
    idp.set_user("hal", preferred_username="hal", groups=["cdw-stewards"])
    assert _sign_in(client, idp, "hal").status_code == 303
    client.cookies.clear()
    login = client.get("/login")
    csrf = login.text.split('name="csrf_token" value="')[1].split('"')[0]
    # the dummy hash's password (an empty hash used to be checked against it) and others
    for password in ("not-a-real-password", "", PASSWORD):
        answer = client.post(
            "/login", data={"username": "hal", "password": password, "csrf_token": csrf}
        )
        assert answer.status_code in (401, 422), password
    assert verify_password("", "not-a-real-password") is False
    assert verify_password(None, "not-a-real-password") is False


def test_break_glass_keeps_passwords_for_named_admins_only(
    settings: Settings, idp: Provider
) -> None:
    configured = _idp_settings(
        settings, idp, password_sign_in="break_glass", break_glass_admins=("root", "sam")
    )
    make_user(configured, "root", "admin")
    make_user(configured, "sam", "steward")  # named, but not an administrator
    make_user(configured, "ivy", "admin")  # an administrator, but not named
    with TestClient(create_app(configured), raise_server_exceptions=False) as browser:
        page = browser.get("/login")
        assert "Break-glass administrators" in page.text
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]

        def login(name: str) -> httpx.Response:
            return browser.post(
                "/login",
                data={"username": name, "password": PASSWORD, "csrf_token": csrf},
                follow_redirects=False,
            )

        for refused in ("sam", "ivy"):
            answer = login(refused)
            assert answer.status_code == 401 and "break-glass" in answer.text, refused
        assert login("root").status_code == 303


def test_concurrent_first_sign_ins_make_one_user(sso: Settings, idp: Provider) -> None:
    provider = sso.identity_providers[0]
    identity = Identity(
        idp.url, "twin", {"sub": "twin", "preferred_username": "twin", "groups": ["cdw-stewards"]}
    )
    barrier = threading.Barrier(4)
    failures: list[BaseException] = []

    def first_sign_in() -> None:
        try:
            barrier.wait()
            with transaction(sso) as session:
                sign_in_as(session, provider, identity)
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=first_sign_in) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    with transaction(sso, read_only=True) as session:
        assert session.scalar(select(func.count()).where(User.subject == "twin")) == 1


def test_a_first_sign_in_that_loses_the_race_uses_the_winners_row(
    sso: Settings, idp: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other request's insert lands between our look-up and our insert."""
    from accord.auth import sso as sso_module

    provider = sso.identity_providers[0]
    identity = Identity(
        idp.url,
        "racer",
        {"sub": "racer", "preferred_username": "racer", "groups": ["cdw-stewards"]},
    )
    with transaction(sso) as session:
        winner = sign_in_as(session, provider, identity).id
    real_find = sso_module._find
    calls: list[int] = []

    def stale_find(session: object, found: Identity) -> User | None:
        calls.append(1)
        return None if len(calls) == 1 else real_find(session, found)  # type: ignore[arg-type]

    monkeypatch.setattr(sso_module, "_find", stale_find)
    with transaction(sso) as session:
        assert sign_in_as(session, provider, identity).id == winner
    assert len(calls) >= 2
    with transaction(sso, read_only=True) as session:
        assert session.scalar(select(func.count()).where(User.subject == "racer")) == 1
