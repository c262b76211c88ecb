"""The BUCP form as data: its sections and questions, when each must be answered, who may read
the restricted ones, and how the two governance paths word and route it (BUCP.md §1, §2.3).

Pages, the API, the public-records export and the checks before each step all read this one
table, so adding a question or changing who may read it is a change here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from accord.auth.actor import Actor
from accord.auth.permissions import Relation
from accord.auth.roles import Role
from accord.errors import Problem


class Step(StrEnum):
    """The moves before which answers are checked; a question is required from its step on."""

    SEND = "send"  # the recipient sends the draft to the provider
    REVIEW = "review"  # the provider's coordinator opens the formal review
    SIGN = "sign"  # the coordinators ask the executive sponsors to sign
    DISPUTE = "dispute"  # the provider disputes the proposal (disputed-only fields)


STEP_ORDER = (Step.SEND, Step.REVIEW, Step.SIGN)


class Kind(StrEnum):
    TEXT = "text"  # several lines
    LINE = "line"  # one line
    CHOICE = "choice"
    DATE = "date"


class Side(StrEnum):
    RECIPIENT = "recipient"
    PROVIDER = "provider"
    BOTH = "both"


# Who reads restricted content of a proposal their department is party to (BUCP.md §1.3, §6):
# the coordinators, the legal, privacy and security representatives, the executive sponsors and
# auditors; the provider's stewards (proposals on their data); the requesting staff and program
# owner on proposals they wrote; data engineers the technical restricted content only.
RESTRICTED_READERS = frozenset(
    {
        Role.DATA_COORDINATOR,
        Role.LEGAL,
        Role.PRIVACY_OFFICER,
        Role.SECURITY_OFFICER,
        Role.EXECUTIVE,
        Role.AUDITOR,
    }
)


def may_read_restricted(
    actor: Actor, relations: frozenset[Relation], *, technical: bool = False
) -> bool:
    roles = actor.roles
    return bool(
        roles & RESTRICTED_READERS
        or (Role.STEWARD in roles and Relation.PROVIDER in relations)
        or (roles & {Role.REQUESTER, Role.PROGRAM_OWNER} and Relation.AUTHOR in relations)
        or (technical and Role.DATA_ENGINEER in roles)
    )


@dataclass(frozen=True)
class Question:
    key: str
    label: str
    section: str
    help: str
    side: Side
    kind: Kind = Kind.TEXT
    required_at: Step | None = None
    choices: tuple[tuple[str, str], ...] = ()
    restricted: bool = False  # readable only as may_read_restricted says
    paths: frozenset[str] = frozenset({"chhs", "idea"})  # governance paths that ask it

    @property
    def disputed_only(self) -> bool:
        return self.required_at is Step.DISPUTE

    def readable_by(self, actor: Actor, relations: frozenset[Relation]) -> bool:
        return not self.restricted or may_read_restricted(
            actor, relations, technical=self.section == TECHNICAL
        )


BUSINESS = "Business case"
TECHNICAL = "Technical"
ADMINISTRATIVE = "Administrative"
SECTIONS = (BUSINESS, TECHNICAL, ADMINISTRATIVE)

YES_NO = (("yes", "Yes"), ("no", "No"))

QUESTIONS: tuple[Question, ...] = (
    Question(
        "use_case_name",
        "Use case name",
        BUSINESS,
        "One short title for this one business case or project.",
        Side.RECIPIENT,
        Kind.LINE,
        Step.SEND,
    ),
    Question(
        "contacts",
        "Contact information",
        BUSINESS,
        "For each department: the data coordinator (name, division, e-mail, phone) and the "
        "executive sponsor (name, e-mail, phone). Name roles rather than people elsewhere.",
        Side.BOTH,
        required_at=Step.SEND,
    ),
    Question(
        "purpose",
        "Use case description and purpose",
        BUSINESS,
        "The scope, why the data is needed, and the benefit to your department, the agency, "
        "stakeholders and the people the data describes.",
        Side.RECIPIENT,
        required_at=Step.SEND,
    ),
    Question(
        "data_categories",
        "Data types and categories",
        BUSINESS,
        "The kinds of data in general terms, e.g. personal identifiers, demographics, "
        "program participation.",
        Side.RECIPIENT,
        required_at=Step.SEND,
    ),
    Question(
        "output_use",
        "Output and use",
        BUSINESS,
        "How the data will be used, the intermediate and final products, whether each is "
        "public, and which business processes change.",
        Side.RECIPIENT,
        required_at=Step.SEND,
    ),
    Question(
        "release_approval",
        "Approval before public release",
        BUSINESS,
        "Who must approve a product before it is made public; both departments answer.",
        Side.BOTH,
        required_at=Step.REVIEW,
    ),
    Question(
        "undisputed_explanation",
        "Why the proposal is undisputed",
        BUSINESS,
        "A short explanation of how and why both departments agree to this exchange.",
        Side.BOTH,
        required_at=Step.SIGN,
    ),
    Question(
        "volumes",
        "Volumes",
        TECHNICAL,
        "Rows and size of each dataset requested; filled from the catalog.",
        Side.PROVIDER,
        required_at=Step.REVIEW,
    ),
    Question(
        "frequency",
        "Frequency",
        TECHNICAL,
        "One-time, or recurring and how often.",
        Side.RECIPIENT,
        Kind.CHOICE,
        Step.SEND,
        choices=(
            ("one_time", "One time"),
            ("daily", "Daily"),
            ("weekly", "Weekly"),
            ("monthly", "Monthly"),
            ("quarterly", "Quarterly"),
            ("yearly", "Yearly"),
        ),
    ),
    Question(
        "records_from",
        "Records from",
        TECHNICAL,
        "Only records dated on or after this day are shared; leave empty for all earlier ones.",
        Side.BOTH,
        Kind.DATE,
    ),
    Question(
        "records_to",
        "Records to",
        TECHNICAL,
        "Only records dated on or before this day are shared; leave empty for all later ones.",
        Side.BOTH,
        Kind.DATE,
    ),
    Question(
        "data_users",
        "Data users",
        TECHNICAL,
        "Who will have access, by role; their responsibilities; whether contractors will.",
        Side.RECIPIENT,
        required_at=Step.SEND,
    ),
    Question(
        "transfer_method",
        "Transfer method",
        TECHNICAL,
        "How the data will move; choose early, a late choice can force a new security review.",
        Side.BOTH,
        Kind.CHOICE,
        Step.SEND,
        choices=(
            ("sftp", "SFTP to the recipient's server"),
            ("https", "Expiring HTTPS download from Accord"),
            ("api", "Accord's API"),
            ("agency_data_hub", "Agency Data Hub (shared environment)"),
        ),
    ),
    Question(
        "data_management",
        "Data storage and management",
        TECHNICAL,
        "Where the data will be stored and how it is protected and managed there.",
        Side.RECIPIENT,
        required_at=Step.REVIEW,
        restricted=True,
    ),
    Question(
        "format",
        "Format",
        TECHNICAL,
        "The file format of each delivery.",
        Side.BOTH,
        Kind.CHOICE,
        Step.REVIEW,
        choices=(("parquet", "Parquet"), ("csv", "CSV")),
    ),
    Question(
        "deidentification",
        "De-identification required",
        TECHNICAL,
        "What must be done to the data before it leaves the provider.",
        Side.PROVIDER,
        Kind.CHOICE,
        Step.REVIEW,
        choices=(
            ("none", "None: identified data under this agreement"),
            ("record_level", "Record-level rules (drop, generalise, pseudonymise)"),
            ("aggregate", "Aggregate tables released under the DDG"),
        ),
    ),
    Question(
        "destruction_return",
        "Destruction and return",
        TECHNICAL,
        "How the data will be destroyed or returned when the agreement ends.",
        Side.RECIPIENT,
        required_at=Step.SEND,
    ),
    Question(
        "derived_products",
        "Derived products",
        TECHNICAL,
        "Whether products built from the data are destroyed or returned too, and any limits "
        "on using them afterwards.",
        Side.BOTH,
        required_at=Step.REVIEW,
    ),
    Question(
        "start_date",
        "Start date",
        ADMINISTRATIVE,
        "When the exchange begins.",
        Side.BOTH,
        Kind.DATE,
        Step.SIGN,
    ),
    Question(
        "end_date",
        "End date",
        ADMINISTRATIVE,
        "When the agreement ends; leave empty for an open-ended agreement.",
        Side.BOTH,
        Kind.DATE,
    ),
    Question(
        "critical_dates",
        "Critical dates",
        ADMINISTRATIVE,
        "Deadlines the data is needed for, and the intended duration.",
        Side.RECIPIENT,
        required_at=Step.SEND,
    ),
    Question(
        "transfer_of_funds",
        "Transfer of funds",
        ADMINISTRATIVE,
        "Will a separate agreement exchange funds? If yes, an interagency agreement runs in "
        "parallel, with this proposal as an exhibit.",
        Side.RECIPIENT,
        Kind.CHOICE,
        Step.SEND,
        choices=YES_NO,
    ),
    Question(
        "research",
        "Research",
        ADMINISTRATIVE,
        "Is the data for research as Appendix A defines it? If yes, give the CPHS or IRB "
        "approval below.",
        Side.RECIPIENT,
        Kind.CHOICE,
        Step.SEND,
        choices=YES_NO,
    ),
    Question(
        "research_approval",
        "CPHS or IRB approval",
        ADMINISTRATIVE,
        "The board, the protocol number and the date of approval.",
        Side.RECIPIENT,
    ),
    Question(
        "redisclosure",
        "Re-disclosure",
        ADMINISTRATIVE,
        "Whether the recipient may pass the confidential data on, and to whom.",
        Side.BOTH,
        required_at=Step.REVIEW,
    ),
    Question(
        "security_requirements",
        "Security requirements",
        ADMINISTRATIVE,
        "Safeguards required by federal or state law, policy or contract (e.g. for data from "
        "the Social Security Administration); the provider states them, the recipient meets them.",
        Side.PROVIDER,
        required_at=Step.SIGN,
        restricted=True,
    ),
    Question(
        "privacy_requirements",
        "Privacy requirements",
        ADMINISTRATIVE,
        "How personal information will be handled, and privacy requirements of law, policy "
        "or contract.",
        Side.PROVIDER,
        required_at=Step.SIGN,
        restricted=True,
    ),
    Question(
        "known_risks",
        "Known risks",
        ADMINISTRATIVE,
        "Political environment and stakeholders, the role of outside entities, and the risks "
        "of sharing and of not sharing.",
        Side.BOTH,
        required_at=Step.DISPUTE,
        restricted=True,
    ),
    Question(
        "alternatives",
        "Possible alternatives",
        ADMINISTRATIVE,
        "Alternatives to sharing that might serve, such as aggregated or de-identified data.",
        Side.BOTH,
        required_at=Step.DISPUTE,
    ),
    Question(
        "departments_positions",
        "Departments' positions",
        ADMINISTRATIVE,
        "Each department's arguments and the attempts made to reach agreement.",
        Side.BOTH,
        required_at=Step.DISPUTE,
        restricted=True,
    ),
)
BY_KEY = {q.key: q for q in QUESTIONS}

# Registered opinions are restricted content too (BUCP.md §1.2 D: legal-authority opinions).
AREA_OF_ROLE = {
    Role.LEGAL: "legal",
    Role.PRIVACY_OFFICER: "privacy",
    Role.SECURITY_OFFICER: "security",
}
AREA_LABELS = {"legal": "Legal", "privacy": "Privacy", "security": "Security"}


@dataclass(frozen=True)
class GovernancePath:
    """One governance model (BUCP.md §0): the same form, its own words and review route."""

    code: str
    name: str
    required_opinions: tuple[str, ...]  # areas each department must register before signing
    filed_by: Side  # whose data coordinator files the approved proposal
    filed_with: str
    sponsor_title: str
    wording: dict[str, str] = field(default_factory=dict)  # question or state key -> words

    def label(self, key: str, default: str) -> str:
        return self.wording.get(key, default)


PATHS: dict[str, GovernancePath] = {
    "idea": GovernancePath(
        "idea",
        "Statewide Interagency Data Exchange Agreement (IDEA)",
        required_opinions=("legal", "privacy", "security"),
        filed_by=Side.RECIPIENT,
        filed_with="the Statewide Chief Data Officer (BUCP Inventory Form)",
        sponsor_title="Executive sponsor",
        wording={"known_risks": "Anticipated risks", "state:sent_to_provider": "Sent to provider"},
    ),
    "chhs": GovernancePath(
        "chhs",
        "CalHHS Intra-Agency Data Exchange Agreement",
        required_opinions=("legal", "security"),
        filed_by=Side.PROVIDER,
        filed_with="the CalHHS Governance Liaison",
        sponsor_title="Chief Deputy Director or Program Deputy Director",
        wording={
            "security_requirements": "Specialized security",
            "privacy_requirements": "Specialized privacy",
            "state:sent_to_provider": "Submitted for review",
        },
    ),
}
DEFAULT_PATH = "idea"


def questions_for(path: str) -> list[Question]:
    return [q for q in QUESTIONS if path in q.paths]


def required_by(step: Step) -> list[Question]:
    """Questions that must be answered before ``step``: those of earlier steps too."""
    if step is Step.DISPUTE:
        return [q for q in QUESTIONS if q.required_at is not None]
    reached = STEP_ORDER[: STEP_ORDER.index(step) + 1]
    return [q for q in QUESTIONS if q.required_at in reached]


def missing(answers: dict[str, str], step: Step, path: str) -> list[Problem]:
    """Every unanswered question the step needs, and answers that contradict each other."""
    gp = PATHS[path]
    problems = [
        Problem(q.key, f"{gp.label(q.key, q.label)} is required before this step.")
        for q in required_by(step)
        if path in q.paths and not answers.get(q.key, "").strip()
    ]
    if answers.get("research") == "yes" and not answers.get("research_approval", "").strip():
        problems.append(
            Problem("research_approval", "Research needs the CPHS or IRB approval stated.")
        )
    end, start = answers.get("end_date", ""), answers.get("start_date", "")
    if end and start and end < start:
        problems.append(Problem("end_date", "The end date is before the start date."))
    last, first = answers.get("records_to", ""), answers.get("records_from", "")
    if last and first and last < first:
        problems.append(Problem("records_to", "The records end before they begin."))
    return problems


def choice_code(question: Question, value: str) -> str:
    """A choice given by its code or by its words ("Monthly", "monthly"), as its code; any
    other value as given (``answer_problems`` then names it)."""
    wanted = value.strip().casefold()
    for code, words in question.choices:
        if wanted in (code.casefold(), words.casefold()):
            return code
    return value


def answer_problems(answers: dict[str, str]) -> list[Problem]:
    """What is wrong with the values given, whatever the step: unknown keys, bad choices."""
    problems = []
    for key, value in answers.items():
        q = BY_KEY.get(key)
        if q is None:
            problems.append(Problem(key, f"The form has no question {key!r}."))
        elif len(value) > 20_000:
            problems.append(Problem(key, f"{q.label} is longer than 20,000 characters."))
        elif q.kind is Kind.CHOICE and value and value not in dict(q.choices):
            # the form's words, quoted (labels hold commas); the codes are the API's concern
            allowed = ", ".join(f"“{label}”" for _, label in q.choices)
            problems.append(Problem(key, f"{q.label} must be one of: {allowed}."))
        elif q.kind is Kind.DATE and value and not _is_date(value):
            problems.append(Problem(key, f"{q.label} must be a date like 2027-01-31."))
        elif q.kind is Kind.LINE and "\n" in value:
            problems.append(Problem(key, f"{q.label} is one line."))
    return problems


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10
