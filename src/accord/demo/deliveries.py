"""The demo's delivered agreement: a filed record-level study fulfilled by CDW's data engineer,
offered through a download link, downloaded and acknowledged by DCS, so a newcomer sees a
package, its checksum and what was sent where. The other filed study is left ready to fulfil.
"""

from __future__ import annotations

from sqlalchemy import select

from accord.auth.actor import actor_for
from accord.auth.users import get_user
from accord.config import Settings
from accord.db.engine import transaction
from accord.demo.use_cases import USE_CASES
from accord.fulfillment import deliveries
from accord.fulfillment.models import FulfillmentRun
from accord.fulfillment.runs import fulfill_now
from accord.proposals.models import Agreement, Proposal


def seed_deliveries(settings: Settings) -> list[int]:
    """Fulfil and deliver each demo use case marked delivered that has no run yet; returns the
    delivery ids made."""
    made = []
    for use_case in (u for u in USE_CASES if u.delivered):
        with transaction(settings) as session:
            engineer = actor_for(get_user(session, "engineer"), via="demo")
            receiver = actor_for(get_user(session, "dcs.coordinator"), via="demo")
            pid = next(
                (
                    p.id
                    for p in session.scalars(select(Proposal).where(Proposal.state == "filed"))
                    if p.answers.get("use_case_name") == use_case.name
                ),
                None,
            )
            if pid is None or session.scalar(
                select(FulfillmentRun.id)
                .join(Agreement, Agreement.id == FulfillmentRun.agreement_id)
                .where(Agreement.proposal_id == pid)
            ):
                continue
        run = fulfill_now(settings, engineer, pid)
        with transaction(settings) as session:
            offered = deliveries.offer_link(session, engineer, run.id, days=14)
        delivery, _ = deliveries.download(settings, offered.token, "demo")
        with transaction(settings) as session:
            deliveries.acknowledge(session, receiver, delivery.id)
        made.append(delivery.id)
    return made
