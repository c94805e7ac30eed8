"""Schemathesis against the app's own OpenAPI schema: whatever a caller sends, the answer
is documented, well-formed, and never a 500. Bounded examples and a fixed seed, so a run is
repeatable; a role that may write (a branch manager) and one that may not (an analyst) call
every operation.

Hypothesis drives each operation's strategy directly: schemathesis's pytest plugin
(`from_fixture`) does not run under pytest 9.2 (it reads `request.node._nodeid`).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from sqlalchemy.orm import Session, sessionmaker

from bankcrm.config import Settings
from bankcrm.security import service
from bankcrm.web.app import create_app
from tests.integration.web.conftest import Bank

pytestmark = pytest.mark.slow
# Every check runs except one: "schema-valid request accepted". A schema cannot state the
# rules that depend on the data (a due date not in the past, the current version of a
# record, a customer with an open loan); those answer 409 or 422 with the field named,
# which the other checks still verify is documented and well-formed.
STATEFUL = [checks.positive_data_acceptance]
EXAMPLES = 30
BOUNDED = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize("role", ["branch_manager", "analyst"])
def test_every_operation_answers_as_documented(
    settings: Settings, sessions: sessionmaker[Session], session: Session, bank: Bank, role: str
) -> None:
    def fresh_token() -> dict[str, str]:
        """A token per example: one example may log out (revoke its token)."""
        issued = service.issue(session, bank.users[role], "bearer", 60)
        session.commit()
        return {"Authorization": f"Bearer {issued.token}"}

    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(settings, sessions))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    statuses: Counter[int] = Counter()
    for operation in operations:

        @given(case=operation.as_strategy())
        @BOUNDED
        def answers_as_documented(case: Any) -> None:
            response = case.call_and_validate(headers=fresh_token(), excluded_checks=STATEFUL)
            statuses[response.status_code] += 1

        answers_as_documented()
    # The examples reached the routes' logic, not only the log-in check.
    assert sum(n for status, n in statuses.items() if status < 300) > len(operations), statuses
    assert statuses[401] < sum(statuses.values()) / 2, statuses
    print(role, statuses)
