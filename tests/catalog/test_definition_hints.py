from __future__ import annotations

import pytest

from accord.catalog.definition_hints import definition_hints


def rules(name: str, definition: str, **kw: object) -> list[str]:
    return [h.rule for h in definition_hints(name, definition, **kw)]  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "definition", "expected"), [
    ("birth_date", "", ["empty"]),
    ("birth_date", "Birth date.", ["restates_name"]),
    ("birth_date", "The birth date of the", ["restates_name"]),
    ("client_id", "The client_id of the client record.", ["circular"]),
    ("birth_date", "Calendar date on which the person was born.", []),
    ("ssn", "Used to match clients across programs.", ["usage"]),
    ("trip_distance", "Distance travelled on the trip.", ["units"]),
    ("trip_distance", "Distance travelled on the trip, in kilometres.", []),
    ("paid_amount", "What the plan paid for the claim, in US dollars.", []),
    ("paid_amount", "What the plan paid for the claim.", ["units"]),
    ("cin", "The CIN the state issued to the member.", ["acronyms"]),
])
def test_hints(name: str, definition: str, expected: list[str]) -> None:
    assert rules(name, definition) == expected


def test_acronym_in_glossary_is_fine() -> None:
    assert rules("cin", "The CIN the state issued to the member.",
                 glossary_acronyms=frozenset({"CIN"})) == []
