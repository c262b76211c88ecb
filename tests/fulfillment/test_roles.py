"""Every fulfillment action (and suspending an agreement), tried by every role of the provider,
of the recipient and of a third department, as tests/proposals/test_roles.py does for the
proposal's actions. The roles come from tests/auth/test_permission_matrix.py; which side may
act is written here (BUCP.md §2.6). A third department gets NotFound. Each try is rolled back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from accord.auth.roles import Role
from accord.db.engine import transaction
from accord.errors import NotFound, PermissionDenied
from accord.fulfillment import deliveries
from accord.fulfillment.access import agreement_for
from accord.fulfillment.planning import save_plan, set_recipient_key
from accord.fulfillment.runs import fulfill_now, start_run
from accord.fulfillment.schedule import set_schedule
from accord.proposals.drafting import transition
from tests.auth.test_permission_matrix import EXPECTED
from tests.auth.world import drop_database, module_settings, scratch
from tests.fulfillment.agreements import filed_agreement, fulfil_world
from tests.fulfillment.test_encryption import AGE_KEY
from tests.proposals.conftest import World

pytestmark = pytest.mark.db


@dataclass
class Stage:
    world: World
    pid: int
    run_id: int
    offered: int  # a live download link's delivery


@pytest.fixture(scope="module")
def stage(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stage]:
    folder = tmp_path_factory.mktemp("fulfillment")
    settings = module_settings(request, folder, "fulfillment-roles")
    url = settings.database_url
    patch = pytest.MonkeyPatch()
    try:
        w = fulfil_world(settings, Path(folder))
        pid = filed_agreement(w, patch)
        run = fulfill_now(settings, w.cdw["data_engineer"], pid)
        with transaction(settings) as session:
            offered = deliveries.offer_link(session, w.cdw["data_engineer"], run.id)
            offered_id = offered.delivery.id
        deliveries.download(settings, offered.token, "127.0.0.1")
        yield Stage(w, pid, run.id, offered_id)
    finally:
        patch.undo()
        drop_database(url)


Op = Callable[..., object]


def _plan(s: object, a: object, st: Stage) -> object:
    proposal, agreement = agreement_for(s, a, st.pid)  # type: ignore[arg-type]
    return save_plan(s, a, st.world.settings, proposal, agreement, {}, "parquet")  # type: ignore[arg-type]


FAKE_HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK0Jkq3m2t1Zl3m9wYQm0m3h8r1p2Yb7V2bq4x5c6d7e"


def _destination(s: object, a: object, st: Stage) -> object:
    return deliveries.add_destination(
        s,  # type: ignore[arg-type]
        a,  # type: ignore[arg-type]
        st.world.settings,
        st.pid,
        name="Recipient enclave",
        host="sftp.example",
        port=22,
        username="drop",
        remote_dir="incoming",
        host_key=FAKE_HOST_KEY,
        password="not-checked-here",
        check=False,
    )


# action -> (the operation, the sides whose roles may do it)
CASES: dict[str, tuple[Op, set[str]]] = {
    "agreements.suspend": (
        lambda s, a, st: transition(s, a, st.pid, "suspend", "Suspected breach."),
        {"provider"},
    ),
    "fulfillment.view": (lambda s, a, st: agreement_for(s, a, st.pid), {"provider", "recipient"}),
    "fulfillment.plan": (_plan, {"provider"}),
    "fulfillment.run": (
        lambda s, a, st: start_run(s, a, st.world.settings, st.pid),
        {"provider"},
    ),
    "fulfillment.deliver": (
        lambda s, a, st: deliveries.offer_link(s, a, st.run_id),
        {"provider"},
    ),
    "fulfillment.destinations.manage": (_destination, {"provider", "recipient"}),
    "fulfillment.acknowledge": (
        lambda s, a, st: deliveries.acknowledge(s, a, st.offered),
        {"recipient"},
    ),
}


def _schedule(s: object, a: object, st: Stage) -> object:
    destination = _destination(s, st.world.cdw["data_coordinator"], st)
    return set_schedule(s, a, st.pid, destination.id)  # type: ignore[arg-type, attr-defined]


# other services guarded by the same actions ("action:service")
SAME_ACTION: dict[str, tuple[Op, set[str]]] = {
    "fulfillment.deliver:schedule": (_schedule, {"provider"}),
    "fulfillment.destinations.manage:encryption": (
        lambda s, a, st: set_recipient_key(s, a, st.world.settings, st.pid, AGE_KEY),  # type: ignore[arg-type]
        {"provider", "recipient"},
    ),
}


def test_every_fulfillment_action_is_tried() -> None:
    actions = {a for a in EXPECTED if a.startswith("fulfillment.")} | {"agreements.suspend"}
    assert set(CASES) == actions


@pytest.mark.parametrize("case", sorted(CASES | SAME_ACTION))
def test_each_role_of_each_side_and_of_a_third_department(stage: Stage, case: str) -> None:
    op, sides = (CASES | SAME_ACTION)[case]
    action = case.split(":")[0]
    w = stage.world
    actors = [("provider", Role(r), a) for r, a in w.cdw.items()]
    actors += [("recipient", Role(r), a) for r, a in w.dcs.items()]
    actors.append(("none", Role.DATA_COORDINATOR, w.other))
    wrong = []
    for side, role, actor in actors:
        allowed = role in EXPECTED[action] and side in sides
        with scratch(w.settings) as session:
            try:
                op(session, actor, stage)
                outcome = "ok"
            except NotFound:
                outcome = "not_found"
            except PermissionDenied:
                outcome = "denied"
        expected = "not_found" if side == "none" else "ok" if allowed else "denied"
        if outcome != expected:
            wrong.append(f"{side} {role.value}: {outcome}, expected {expected}")
    assert not wrong, "\n".join(wrong)
