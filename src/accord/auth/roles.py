"""The roles of MISSION.md. A user may hold several."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    DATA_COORDINATOR = "data_coordinator"
    REQUESTER = "requester"
    STEWARD = "steward"
    SECURITY_OFFICER = "security_officer"
    PRIVACY_OFFICER = "privacy_officer"
    LEGAL = "legal"
    PROGRAM_OWNER = "program_owner"
    DATA_ENGINEER = "data_engineer"
    EXECUTIVE = "executive"
    AUDITOR = "auditor"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.DATA_COORDINATOR: "Data coordinator",
    Role.REQUESTER: "Requester",
    Role.STEWARD: "Data steward",
    Role.SECURITY_OFFICER: "Information security officer",
    Role.PRIVACY_OFFICER: "Privacy officer",
    Role.LEGAL: "Legal",
    Role.PROGRAM_OWNER: "Program owner",
    Role.DATA_ENGINEER: "Data engineer",
    Role.EXECUTIVE: "Executive sponsor",
    Role.AUDITOR: "Auditor",
    Role.ADMIN: "Administrator",
}


def parse_roles(names: list[str]) -> tuple[set[Role], list[str]]:
    """Split role names into known roles and the names that are not roles."""
    known = {role.value: role for role in Role}
    roles = {known[n.strip()] for n in names if n.strip() in known}
    unknown = [n for n in names if n.strip() and n.strip() not in known]
    return roles, unknown
