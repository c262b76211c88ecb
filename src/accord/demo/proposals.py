"""The demo's proposals: the Department of Community Services asks the Department of Wellness
for data, one proposal in each state of the BUCP so far (``accord.demo.use_cases``).

Each proposal is taken from the basket through the real services, each step by the demo user
whose role it is, in the order BUCP.md §2.3 gives: the requester drafts and sends, CDW's data
coordinator opens joint development, its steward marks fields the use does not need, the
reviewers of both departments register opinions and raise concerns, the executive sponsors
sign, the data coordinators confirm and file. A proposal is built in one transaction, so it is
there whole or not at all; one whose use-case name is already present is left alone, so seeding
again changes nothing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.auth.actor import Actor, actor_for
from accord.auth.users import get_user
from accord.catalog.models import CatalogField, Dataset, Source
from accord.config import Settings
from accord.db.engine import transaction
from accord.demo.use_cases import AUTHORITY, CONTACTS, USE_CASES, UseCase
from accord.proposals import drafting, reviews
from accord.proposals.basket import add_to_basket
from accord.proposals.form import PATHS, Side
from accord.proposals.models import Proposal
from accord.proposals.states import ProposalState

S = ProposalState
# The happy path in order; withdrawn and denied leave it from their use case's ``reach``.
PATH = (
    S.DRAFT,
    S.SENT_TO_PROVIDER,
    S.IN_JOINT_DEVELOPMENT,
    S.IN_REVIEW,
    S.AWAITING_SIGNATURES,
    S.AWAITING_DC_FINAL_REVIEW,
    S.APPROVED,
    S.FILED,
)
# Who acts for each department: its data coordinator, its steward, its executive sponsor and
# its reviewer of each area.
PEOPLE = {
    "CDW": {
        "coordinator": "coordinator",
        "steward": "steward",
        "sponsor": "executive",
        "legal": "legal",
        "privacy": "privacy",
        "security": "security",
    },
    "DCS": {
        "coordinator": "dcs.coordinator",
        "sponsor": "dcs.sponsor",
        "legal": "dcs.legal",
        "privacy": "dcs.privacy",
        "security": "dcs.security",
    },
}
TITLES = {"CDW": "Chief Deputy Director", "DCS": "Chief Deputy Director"}
# Provider answers written by the reviewer whose area they are; the coordinator writes the rest.
WRITER = {"security_requirements": "security", "privacy_requirements": "privacy"}


def seed_proposals(settings: Settings) -> list[int]:
    """Build every demo proposal not yet present; returns the ids of those built."""
    built = []
    for use_case in USE_CASES:
        with transaction(settings) as session:
            if _present(session, use_case):
                continue
            built.append(_Builder(session, use_case).build())
    return built


def _present(session: Session, use_case: UseCase) -> bool:
    drafter = get_user(session, use_case.drafter)
    names = session.scalars(select(Proposal.answers).where(Proposal.created_by == drafter.id)).all()
    return any(answers.get("use_case_name") == use_case.name for answers in names)


def field_ids(session: Session, names: tuple[str, ...]) -> list[int]:
    """Catalog ids of ``program:table.column`` names; KeyError names any the catalog lacks."""
    rows = session.execute(
        select(Source.name, Dataset.name, CatalogField.name, CatalogField.id)
        .join(Dataset, Dataset.source_id == Source.id)
        .join(CatalogField, CatalogField.dataset_id == Dataset.id)
        .where(CatalogField.removed_at.is_(None))
    ).all()
    known = {f"{s}:{d.rpartition('.')[2]}.{f}": i for s, d, f, i in rows}
    return [known[name] for name in names]


class _Builder:
    """One use case taken through the services as far as its stage."""

    def __init__(self, session: Session, use_case: UseCase) -> None:
        self.session, self.uc = session, use_case
        self.actors: dict[str, Actor] = {}
        self.pid = 0
        last = use_case.reach or use_case.stage
        self.last = PATH.index(last)

    def actor(self, username: str) -> Actor:
        if username not in self.actors:
            self.actors[username] = actor_for(get_user(self.session, username), via="demo")
        return self.actors[username]

    def of(self, department: str, role: str) -> Actor:
        return self.actor(PEOPLE[department][role])

    def build(self) -> int:
        steps = (
            self.draft,
            self.send,
            self.develop,
            self.review,
            self.ask_signatures,
            self.sign,
            self.approve,
            self.file,
        )
        for index, (state, step) in enumerate(zip(PATH, steps, strict=True)):
            step(index == self.last)
            self.comments(state)
            if index == self.last:
                break
        if self.uc.stage is S.WITHDRAWN:
            self.move(self.uc.drafter, "withdraw", self.uc.reason)
        elif self.uc.stage is S.DENIED:
            self.move(PEOPLE["CDW"]["sponsor"], "decline", self.uc.reason)
        return self.pid

    # --- helpers ---------------------------------------------------------------------------

    def move(self, username: str, verb: str, note: str = "") -> None:
        drafting.transition(self.session, self.actor(username), self.pid, verb, note)

    def save(self, username: str, answers: dict[str, str], note: str = "") -> None:
        if answers:
            proposal = self.session.get(Proposal, self.pid)
            assert proposal is not None
            drafting.save_answers(
                self.session,
                self.actor(username),
                self.pid,
                answers,
                base_version=proposal.version,
                note=note,
            )

    def element_ids(self) -> dict[int, int]:
        """field id -> element id of the proposal."""
        proposal = self.session.get(Proposal, self.pid)
        assert proposal is not None
        return {e.field_id: e.id for e in drafting.elements(self.session, proposal)}

    def comments(self, state: ProposalState) -> None:
        for c in self.uc.comments:
            if c.at is state:
                reviews.add_comment(
                    self.session, self.actor(c.who), self.pid, c.body, question=c.question
                )

    # --- the steps: each brings the proposal into the next state of PATH --------------------
    # ``last``: the proposal stays in that state, so acts that would move it on are left undone.

    def draft(self, last: bool) -> None:
        drafter = self.actor(self.uc.drafter)
        add_to_basket(self.session, drafter, field_ids=field_ids(self.session, self.uc.fields))
        proposal = drafting.start_proposal(
            self.session,
            drafter,
            use_case_name=self.uc.name,
            path=self.uc.path,
            program=self.uc.program,
        )
        self.pid = proposal.id
        self.save(self.uc.drafter, {"contacts": CONTACTS, **self.uc.answers}, "First draft")
        statements = {**AUTHORITY, **self.uc.authority}
        drafting.state_authority(
            self.session,
            drafter,
            self.pid,
            {
                key: statements.get(key, _authority_for(key))
                for key in drafting.governing(self.session, proposal)
            },
        )

    def send(self, last: bool) -> None:
        self.move(self.uc.drafter, "send", "Complete first draft sent to the provider")

    def develop(self, last: bool) -> None:
        self.move(PEOPLE["CDW"]["coordinator"], "begin_development", "Kickoff meeting held")
        elements = self.element_ids()
        steward, drafter = self.of("CDW", "steward"), self.actor(self.uc.drafter)
        marked = field_ids(self.session, tuple(m.field for m in self.uc.marks))
        for mark, field_id in zip(self.uc.marks, marked, strict=True):
            element = elements[field_id]
            drafting.mark_not_needed(self.session, steward, self.pid, element, mark.reason)
            if mark.remove:
                drafting.set_removed(self.session, drafter, self.pid, element, True)
            elif mark.justification:
                drafting.justify(self.session, drafter, self.pid, element, mark.justification)
        provider = self.uc.provider_answers
        self.save(
            PEOPLE["CDW"]["coordinator"],
            {k: v for k, v in provider.items() if k not in WRITER},
            "The provider's answers from the kickoff",
        )
        for key, role in WRITER.items():
            if key in provider:
                self.save(PEOPLE["CDW"][role], {key: provider[key]})
        change = self.uc.change
        if change is not None:
            request = reviews.request_change(
                self.session,
                self.of("CDW", "coordinator"),
                self.pid,
                change.question,
                change.proposed,
                change.reason,
            )
            if change.accept is not None:
                reviews.decide_change(
                    self.session,
                    self.of("DCS", "coordinator"),
                    self.pid,
                    request.id,
                    change.accept,
                    change.note,
                )

    def review(self, last: bool) -> None:
        self.move(PEOPLE["CDW"]["coordinator"], "start_review", "Field list and terms agreed")
        for (department, area), text in self.uc.opinions.items():
            reviews.register_opinion(
                self.session, self.of(department, area), self.pid, text, area=area
            )
        concern = self.uc.concern
        if concern is not None:
            reviewer = self.of("CDW", concern.area)
            raised = reviews.raise_concern(
                self.session, reviewer, self.pid, concern.text, area=concern.area
            )
            if concern.answer:
                coordinator = self.of("DCS", "coordinator")
                reviews.answer_concern(
                    self.session, coordinator, self.pid, raised.id, concern.answer
                )
                reviews.resolve_concern(self.session, reviewer, self.pid, raised.id)

    def ask_signatures(self, last: bool) -> None:
        self.move(PEOPLE["CDW"]["coordinator"], "request_signatures", "Every opinion registered")
        if last:  # one sponsor has signed; a declined proposal was signed by the recipient's
            self._sign("DCS" if self.uc.stage is S.DENIED else "CDW")

    def sign(self, last: bool) -> None:
        self._sign("CDW")
        self._sign("DCS")
        if last:  # one data coordinator has confirmed
            self._final_review("CDW")

    def approve(self, last: bool) -> None:
        self._final_review("CDW")
        self._final_review("DCS")

    def file(self, last: bool) -> None:
        path = PATHS[self.uc.path]
        filer = "CDW" if path.filed_by is Side.PROVIDER else "DCS"
        self.move(PEOPLE[filer]["coordinator"], "file", f"Filed with {path.filed_with}")

    def _sign(self, department: str) -> None:
        reviews.sign(
            self.session,
            self.of(department, "sponsor"),
            self.pid,
            title=TITLES[department],
            attest=True,
        )

    def _final_review(self, department: str) -> None:
        reviews.final_review(
            self.session, self.of(department, "coordinator"), self.pid, confirm=True
        )


def _authority_for(key: str) -> str:
    return (
        f"DCS relies on CIV § 1798.24(e) for {key}: the transfer is necessary for its "
        "statutory duties and compatible with the purpose of collection."
    )
