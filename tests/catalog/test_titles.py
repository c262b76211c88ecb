"""Dataset titles: suggested by Accord on first sight, kept as written once a steward
writes one."""

from __future__ import annotations

import pytest

from accord.catalog.datasets import Inventory, list_datasets, update_inventory
from accord.catalog.harvest.model import HarvestedDataset
from accord.catalog.titles import TITLE_STEWARD, TITLE_SUGGESTED, humanise, suggest_title
from accord.config import Settings
from accord.db.engine import transaction
from tests.catalog.test_drift import harvest, person_table


@pytest.mark.parametrize(
    ("name", "comment", "program", "title"),
    [
        ("main.person", "", "Walk 2 Work", "Person — Walk 2 Work"),
        ("public.visit_occurrence", "", "", "Visit occurrence"),
        ("public.person", "People enrolled.", "Walk 2 Work", "People enrolled — Walk 2 Work"),
        # a comment that is a description, not a name, leaves the table name to name it
        ("public.person", "One row per person. Updated nightly.", "", "Person"),
        ("ClientCase", "", "", "Client case"),
        ("exports/clients.csv", "", "Healthy Habits", "Clients — Healthy Habits"),
        ("book.xlsx:Visits", "", "", "Visits"),
        ("dbo.CDC_SSN_map", "", "", "CDC SSN map"),
        ("walk2work.person", "", "Walk 2 Work", "Person — Walk 2 Work"),
        ("public.enrolment", "", "Enrolment", "Enrolment"),  # no "Enrolment — Enrolment"
    ],
)
def test_suggested_titles(name: str, comment: str, program: str, title: str) -> None:
    assert suggest_title(name, comment, program) == title


def test_humanise_keeps_something_for_odd_names() -> None:
    assert humanise("___") == "___"


def the_dataset(settings: Settings, actor):
    with transaction(settings) as session:
        [row] = list_datasets(session, actor)
        session.expunge(row.dataset)
        return row.dataset


def test_harvest_fills_the_title_then_a_program_completes_it(settings, people, source) -> None:
    harvest(settings, people["engineer"], source, person_table())
    first = the_dataset(settings, people["auditor"])
    assert (first.title, first.title_source) == ("People enrolled", TITLE_SUGGESTED)
    with transaction(settings) as session:
        update_inventory(session, people["coordinator"], first.id, Inventory(program="Walk 2 Work"))
    assert the_dataset(settings, people["auditor"]).title == "People enrolled — Walk 2 Work"


def test_a_steward_s_title_is_never_overwritten(settings, people, source) -> None:
    harvest(settings, people["engineer"], source, person_table())
    dataset = the_dataset(settings, people["auditor"])
    with transaction(settings) as session:
        update_inventory(
            session, people["coordinator"], dataset.id, Inventory(title="Enrolled clients")
        )
        update_inventory(session, people["coordinator"], dataset.id, Inventory(program="W2W"))
    renamed = HarvestedDataset(
        name="public.person", kind="table", comment="Persons", fields=person_table().fields
    )
    harvest(settings, people["engineer"], source, renamed)
    kept = the_dataset(settings, people["auditor"])
    assert (kept.title, kept.title_source) == ("Enrolled clients", TITLE_STEWARD)
    # an emptied title goes back to Accord's suggestion
    with transaction(settings) as session:
        update_inventory(session, people["coordinator"], dataset.id, Inventory(title=""))
    back = the_dataset(settings, people["auditor"])
    assert (back.title, back.title_source) == ("Persons — W2W", TITLE_SUGGESTED)
