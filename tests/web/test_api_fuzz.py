"""Schemathesis generates requests from /openapi.json; none may make the server fail (5xx).

Calls carry the token of a user who holds every role, so they reach the services rather
than stopping at the permission check. (Schemathesis's pytest plugin does not run under this
pytest, so the operations are walked here and each one's strategy is drawn with Hypothesis.)
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from accord.auth.roles import Role
from accord.auth.tokens import create_token
from accord.auth.users import get_user
from accord.config import Settings
from accord.db.engine import transaction
from accord.web.app import create_app
from tests.factories import make_user


def test_no_server_errors(settings: Settings) -> None:
    actor = make_user(settings, "fuzz", *[r.value for r in Role])
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(settings))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20

    statuses: set[int] = set()
    for operation in operations:
        # A fresh token per operation: DELETE /tokens/{id} may well revoke the current one.
        with transaction(settings) as session:
            secret = create_token(session, actor, get_user(session, "fuzz"), name="f", days=1)[1]
        headers = {"Authorization": f"Bearer {secret}"}

        @hypothesis_settings(
            max_examples=12,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(data=st.data())
        def exercise(data: st.DataObject) -> None:
            case = data.draw(operation.as_strategy())
            response = case.call(headers=headers)
            statuses.add(response.status_code)
            case.validate_response(response, checks=[not_a_server_error])

        exercise()
    assert 200 in statuses and 404 in statuses and 422 in statuses  # the calls got through
