"""A business use case proposal from the catalog to the filed agreement, in a real browser.

Two departments: CDW holds the catalog (a client and a visit table, with classified fields and
a statute), DCS asks for its data. Every role is a different person with a browser of their
own; each signs in, finds on the home page what waits for them, and does it on the pages.
Only the users and the catalog are set up through the services.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from accord.catalog.fields import classify_field
from accord.catalog.harvest.runs import harvest_now
from accord.catalog.models import CatalogField
from accord.catalog.sources import add_source
from accord.catalog.statutes import add_statute, set_field_statutes
from accord.config import Settings
from accord.db.engine import transaction
from tests.browser.test_navigation import go, sign_in
from tests.catalog.sample import make_sqlite_source
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.no_worker]  # no job runs: spare the CPU

USE_CASE = "Housing stability and clinic visits"
ROLES = {
    "requester": "requester",
    "coordinator": "data_coordinator",
    "legal": "legal",
    "privacy": "privacy_officer",
    "security": "security_officer",
    "executive": "executive",
}
SEND_ANSWERS = {
    "Contact information": "DCS data coordinator, Research Branch, dc@dcs.example",
    "Use case description and purpose": "Measure whether clients placed in stable housing "
    "visit clinics less often.",
    "Data types and categories": "Identifiers to link records; visit dates and diagnoses.",
    "Output and use": "Quarterly aggregate report to the Legislature; no record-level output.",
    "Data users": "Two DCS research analysts; no contractors.",
    "Destruction and return": "Destroyed within 30 days of the end date, with a certificate.",
    "Critical dates": "Report due to the Legislature on 2027-06-30.",
}
SEND_CHOICES = {
    "Frequency": "Quarterly",
    "Transfer method": "SFTP to the recipient's server",
    "Transfer of funds": "No",
    "Research": "No",
}
PROVIDER_ANSWERS = {
    "Approval before public release": "Both departments' directors approve any publication.",
    "Volumes": "client: 1 row; visit: 0 rows",
    "Derived products": "Aggregate tables may be kept; record-level copies destroyed.",
    "Re-disclosure": "No re-disclosure.",
    "Data storage and management": "DCS analytics enclave, encrypted at rest.",
    "Why the proposal is undisputed": "Both departments agree the use is within WIC 10850(a).",
    "Security requirements": "Encryption at rest and in transit.",
    "Privacy requirements": "Minimum necessary; no re-identification attempts.",
}
PROVIDER_CHOICES = {
    "Format": "Parquet",
    "De-identification required": "Aggregate tables released under the DDG",
}
PROVIDER_DATES = {"Start date": "2027-01-01", "End date": "2027-12-31"}


@pytest.fixture
def catalog(settings: Settings, tmp_path: Path) -> None:
    """CDW's program database, harvested, with ssn (PII, WIC 10850) and diagnosis_code (PHI)
    classified. CDW is made first, so its catalog is the installation's."""
    engineer = make_user(settings, "cdw_engineer", "data_engineer", department="CDW")
    security = make_user(settings, "cdw_security", "security_officer", department="CDW")
    location = make_sqlite_source(tmp_path / "program.sqlite")
    with transaction(settings) as session:
        add_source(session, engineer, settings.key, name="program", location=location)
    harvest_now(settings, engineer, "program")
    with transaction(settings) as session:
        ids = {f.name: f.id for f in session.query(CatalogField)}
        classify_field(session, security, ids["ssn"], ["PII:ssn"])
        classify_field(session, security, ids["diagnosis_code"], ["PHI"])
        add_statute(session, security, "WIC 10850", title="Confidentiality")
        set_field_statutes(session, security, ids["ssn"], ["WIC 10850"])


@pytest.fixture
def people(
    settings: Settings, server: str, browser: Browser, catalog: None
) -> Iterator[Callable[[str], Page]]:
    """``people("dcs_legal")``: that person's own signed-in browser, made the first time."""
    for dept in ("CDW", "DCS"):
        for short, role in ROLES.items():
            if f"{dept.lower()}_{short}" != "cdw_security":  # made with the catalog
                make_user(settings, f"{dept.lower()}_{short}", role, department=dept)
    make_user(settings, "xyz_coordinator", "data_coordinator", department="XYZ")
    pages: dict[str, Page] = {}

    def person(username: str) -> Page:
        if username not in pages:
            page = browser.new_context().new_page()
            page.set_default_timeout(10_000)
            sign_in(page, server, username)
            expect(page.get_by_role("heading", name=f"Welcome, {username}")).to_be_visible()
            pages[username] = page
        return pages[username]

    yield person
    for page in pages.values():
        page.context.close()


def home(page: Page) -> Locator:
    """The home page's "My work on proposals" section."""
    go(page, "Home")
    return page.get_by_role("region", name="My work on proposals")


def open_task(page: Page, group: str, detail: str = "") -> None:
    """Open the proposal from its one task in ``group`` on the home page ("My work")."""
    work = home(page)
    item = work.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name=f"{group} (1)")
    )
    expect(item.get_by_role("listitem")).to_have_text(USE_CASE + (f" ({detail})" if detail else ""))
    item.get_by_role("link", name=USE_CASE).click()
    expect(page.get_by_role("heading", level=1, name=USE_CASE)).to_be_visible()


def state_of(page: Page) -> Locator:
    return page.locator(".state-line .badge")


def shot(where: Page | Locator, tmp_path: Path, name: str) -> None:
    """A screenshot of a page (its first screen) or of one part of it, to look at."""
    where.screenshot(path=tmp_path / f"{name}.png")


def row_of(page: Page, field: str) -> Locator:
    return page.locator("#fields tbody tr").filter(
        has=page.get_by_role("rowheader", name=field)
    )


def test_proposal_from_catalog_to_filed_agreement(
    server: str, people: Callable[[str], Page], tmp_path: Path
) -> None:
    # --- the requester picks fields in the catalog and starts a proposal --------------------
    rita = people("dcs_requester")
    expect(home(rita)).to_contain_text("Nothing waits for you on proposals.")
    go(rita, "Catalog")
    rita.get_by_role("link", name="Client", exact=True).click()
    for name in ("ssn", "birth_date", "county"):
        rita.get_by_label(f"Add {name} to a request").check()
    rita.get_by_role("button", name="Add the ticked fields to a request").click()
    expect(rita.get_by_text("ssn is in your request")).to_be_attached()
    go(rita, "Catalog")
    rita.get_by_role("link", name="Visit", exact=True).click()
    rita.get_by_label("Add diagnosis_code to a request").check()
    rita.get_by_role("button", name="Add the ticked fields to a request").click()
    expect(rita.get_by_text("diagnosis_code is in your request")).to_be_attached()
    go(rita, "Proposals")
    rita.get_by_role("link", name="your request basket (4 fields)").click()
    expect(rita.get_by_role("heading", name="Fields in your basket (4)")).to_be_visible()
    rita.get_by_label("Use case name").fill(USE_CASE)
    # the provider is a party from the start: the words must not promise a hidden draft
    expect(rita.get_by_text("Department CDW can read the draft from the start; it acts on it "
                            "once you send it.")).to_be_visible()
    shot(rita, tmp_path, "01-basket")
    rita.get_by_role("button", name="Start the proposal").click()

    expect(state_of(rita)).to_have_text("Draft")
    expect(rita.get_by_role("heading", name="Requested fields (4)")).to_be_visible()
    proposal_url = rita.url.split("?")[0]
    # the provider's coordinator reads the draft, and has nothing to do on it yet
    cody = people("cdw_coordinator")
    expect(home(cody)).to_contain_text("Nothing waits for you on proposals.")
    go(cody, "Proposals")
    cody.get_by_role("link", name="Incoming: data asked of us").click()
    draft = cody.get_by_role("row").filter(has_text=USE_CASE)
    expect(draft).to_contain_text("Draft")
    draft.get_by_role("link", name=USE_CASE).click()
    expect(cody.get_by_role("heading", name="Requested fields (4)")).to_be_visible()
    expect(cody.get_by_role("button", name="Begin joint development")).to_have_count(0)
    rita.get_by_role("button", name="Send to the provider").click()
    # refused: every missing answer and legal authority is listed at once
    next_step = rita.get_by_role("region", name="What happens next")
    expect(next_step).to_contain_text("State the legal authority for WIC § 10850.")
    expect(next_step).to_contain_text("Contact information is required before this step.")
    expect(state_of(rita)).to_have_text("Draft")

    rita.get_by_role("link", name="Answer the questions").first.click()
    for label, text in SEND_ANSWERS.items():
        rita.get_by_label(label, exact=True).fill(text)
    for label, choice in SEND_CHOICES.items():
        rita.get_by_label(label, exact=True).select_option(label=choice)
    rita.get_by_role("button", name="Save the answers").click()
    expect(rita.get_by_role("status")).to_have_text(
        "Your answers were saved as a new version.")

    authority = rita.get_by_role("region", name="Governing statutes and classifications")
    for key in ("PHI", "PII", "WIC § 10850"):
        authority.get_by_label(key).fill(f"WIC 10850(a) permits DCS to receive {key} data.")
    shot(rita, tmp_path, "02-draft")
    authority.get_by_role("button", name="Save the legal authority").click()
    expect(rita.get_by_role("status")).to_have_text(
        "The legal authority statements were saved.")
    rita.get_by_role("button", name="Send to the provider").click()
    expect(state_of(rita)).to_have_text("Sent to provider")
    expect(rita.get_by_role("status")).to_have_text("Done: Send to the provider.")

    # --- the provider begins joint development and marks two fields not needed -----------
    home(cody)
    shot(cody, tmp_path, "03-home-provider")
    open_task(cody, "Proposals received, to begin developing")
    expect(state_of(cody)).to_have_text("Sent to provider")
    cody.get_by_role("button", name="Begin joint development").click()
    expect(state_of(cody)).to_have_text("In joint development")
    for name, reason in (
        ("birth_date", "The aggregate report needs no birth dates."),
        ("county", "The report is statewide."),
    ):
        row = row_of(cody, name)
        row.get_by_text("Mark as not needed").click()
        row.get_by_label(f"Why the stated use does not need {name}").fill(reason)
        row.get_by_role("button", name="Save the mark").click()
        expect(row_of(cody, name)).to_contain_text(
            f"Provider: not needed (cdw_coordinator): {reason}")
    cody.get_by_role("link", name="Answer the questions").first.click()
    for label, text in PROVIDER_ANSWERS.items():
        cody.get_by_label(label).fill(text)  # restricted questions' labels say "Restricted"
    for label, choice in PROVIDER_CHOICES.items():
        cody.get_by_label(label, exact=True).select_option(label=choice)
    for label, day in PROVIDER_DATES.items():
        cody.get_by_label(label, exact=True).fill(day)
    cody.get_by_role("button", name="Save the answers").click()
    expect(cody.get_by_role("status")).to_have_text("Your answers were saved as a new version.")
    # the review cannot open until the requester has answered the marks
    next_step = cody.get_by_role("region", name="What happens next")
    expect(next_step).to_contain_text(
        "The requesting department has not answered the provider's minimum-necessary marks "
        "on main.client.birth_date, main.client.county")
    expect(next_step.get_by_role("button", name="Open the review")).to_have_count(0)
    shot(next_step, tmp_path, "03-waiting-for-marks")

    # --- the requester takes one marked field out, justifies the other, proposes a change -
    open_task(rita, "Fields to justify (minimum necessary)")
    shot(rita.get_by_role("region", name="Requested fields"), tmp_path, "04-marks")
    row_of(rita, "birth_date").get_by_role("button", name="Take out birth_date").click()
    expect(row_of(rita, "birth_date")).to_contain_text("taken out of the request")
    county = row_of(rita, "county")
    county.get_by_text("Answer the mark").click()
    county.get_by_label("Why the use needs county").fill("The Legislature asks for counties.")
    county.get_by_role("button", name="Save the answer").click()
    expect(row_of(rita, "county")).to_contain_text(
        "Requester's answer: The Legislature asks for counties.")
    expect(rita.get_by_role("heading", name="Requested fields (3)")).to_be_visible()
    changes = rita.get_by_role("region", name="Change requests")
    changes.get_by_text("Propose a change").click()
    changes.get_by_label("Question").select_option(label="Frequency")
    # a choice is written in the words of the form, not as a code
    expect(changes).to_contain_text("Frequency: “One time”, “Daily”, “Weekly”, “Monthly”")
    changes.get_by_label("Proposed answer").fill("Monthly")
    changes.get_by_label("Why").fill("The Legislature asks for monthly figures.")
    shot(changes, tmp_path, "04-propose-change")
    changes.get_by_role("button", name="Send the change request").click()
    expect(rita.get_by_role("status")).to_have_text(
        "Your change request was sent to the other department.")

    # --- the provider accepts the change and opens the review -----------------------------
    open_task(cody, "Change requests to decide")
    expect(cody.get_by_role("article").filter(has_text="Frequency")).to_contain_text(
        "Answer now: Quarterly Proposed answer: Monthly")
    cody.get_by_role("button", name="Accept the change").click()
    expect(cody.get_by_role("status")).to_have_text(
        "The change was accepted: the answer changed, as a new version.")
    cody.get_by_role("button", name="Open the review").click()
    expect(state_of(cody)).to_have_text("In review")

    # --- each department's legal, privacy and security representative registers an opinion;
    # the provider's security officer raises a concern, the requester answers it -----------
    for dept in ("cdw", "dcs"):
        for area, role in (("Legal", "legal"), ("Privacy", "privacy"), ("Security", "security")):
            reviewer = people(f"{dept}_{role}")
            open_task(reviewer, "Opinions to register", area)
            if dept == "cdw" and role == "legal":
                expect(state_of(reviewer)).to_have_text("In review")
                shot(reviewer, tmp_path, "04-reviewer-opens")
            opinions = reviewer.get_by_role("region", name="Registered opinions")
            opinions.get_by_text("Register your opinion").click()
            expect(opinions).to_contain_text(f"Area: {area}")
            opinions.get_by_label("Your department's opinion").fill(
                f"{area} review for {dept.upper()}: no objection.")
            opinions.get_by_role("button", name="Register the opinion").click()
            expect(reviewer.get_by_role("status")).to_have_text(
                "Your registered opinion was saved.")
    # in the review the provider's legal representative proposes a change: the answers are
    # frozen now, so the requester may only decline it (accepting needs joint development)
    lee = people("cdw_legal")
    expect(home(lee)).to_contain_text("Nothing waits for you on proposals.")
    lee.get_by_role("link", name="See your department's proposals").click()
    lee.get_by_role("link", name=USE_CASE).click()
    changes = lee.get_by_role("region", name="Change requests")
    changes.get_by_text("Propose a change").click()
    changes.get_by_label("Question").select_option(label="Derived products")
    changes.get_by_label("Proposed answer").fill("Destroyed with the data.")
    changes.get_by_role("button", name="Send the change request").click()
    expect(lee.get_by_role("status")).to_have_text(
        "Your change request was sent to the other department.")

    sky = people("cdw_security")
    go(sky, "Proposals")
    sky.get_by_role("link", name=USE_CASE).click()
    concerns = sky.get_by_role("region", name="Concerns")
    concerns.get_by_text("Raise a concern").click()
    concerns.get_by_label("Your concern").fill("Is the DCS enclave FedRAMP authorised?")
    concerns.get_by_role("button", name="Raise the concern").click()
    expect(sky.get_by_role("status")).to_have_text(
        "Your concern was raised; it must be resolved before signatures.")

    expect(home(rita)).to_contain_text("Change requests to decide (1)")
    open_task(rita, "Concerns to answer", "1 open")
    change = rita.get_by_role("article").filter(has_text="Derived products")
    expect(change).to_contain_text(
        "Answer now: Aggregate tables may be kept; record-level copies destroyed. "
        "Proposed answer: Destroyed with the data.")
    expect(change).to_contain_text("The answers are frozen during the review.")
    expect(change.get_by_role("button", name="Accept the change")).to_have_count(0)
    shot(change, tmp_path, "05-change-in-review")
    change.get_by_label("Note").fill("Aggregate tables are the point of the study.")
    change.get_by_role("button", name="Decline").click()
    expect(rita.get_by_role("status")).to_have_text("The change request was declined.")
    concern = rita.get_by_role("article").filter(has_text="Security concern from")
    concern.get_by_text("Answer the concern").click()
    concern.get_by_label("Your answer").fill("Yes: FedRAMP Moderate since 2025.")
    concern.get_by_role("button", name="Save the answer").click()
    expect(rita.get_by_role("status")).to_have_text("Your answer to the concern was saved.")

    open_task(sky, "Answered concerns to resolve", "Security")
    concern = sky.get_by_role("article").filter(has_text="Security concern from")
    expect(concern).to_contain_text("Yes: FedRAMP Moderate since 2025.")
    concern.get_by_role("button", name="Mark as resolved").click()
    expect(sky.get_by_role("status")).to_have_text("The concern is resolved.")
    expect(sky.get_by_role("heading", name="Concerns (0 open)")).to_be_visible()
    shot(sky.get_by_role("region", name="Concerns"), tmp_path, "05-concern-resolved")

    # --- a coordinator asks the sponsors to sign; both sign -------------------------------
    open_task(cody, "Proposals ready for signatures")
    cody.get_by_role("button", name="Ask the sponsors to sign").click()
    expect(state_of(cody)).to_have_text("Awaiting signatures")
    for dept, title in (("cdw", "Chief Deputy Director"), ("dcs", "Deputy Director")):
        sponsor = people(f"{dept}_executive")
        open_task(sponsor, "Signatures")
        signatures = sponsor.get_by_role("region", name="Signatures and final reviews")
        signatures.get_by_label("Your title").fill(title)
        signatures.get_by_label("I have read every registered opinion").check()
        if dept == "cdw":
            expect(state_of(sponsor)).to_have_text("Awaiting signatures")
            shot(signatures, tmp_path, "06-sign")
        signatures.get_by_role("button", name="Sign the proposal").click()
        expect(sponsor.get_by_role("status")).to_have_text(
            "You signed the proposal for your department.")
    expect(state_of(sponsor)).to_have_text("Awaiting data coordinators' final review")

    # --- both data coordinators confirm the final review; the recipient's files it (IDEA) -
    dana = people("dcs_coordinator")
    for coordinator in (cody, dana):
        open_task(coordinator, "Final reviews")
        signatures = coordinator.get_by_role("region", name="Signatures and final reviews")
        signatures.get_by_label("I confirm this proposal is final").check()
        signatures.get_by_role("button", name="Confirm the final review").click()
        expect(coordinator.get_by_role("status")).to_have_text("Your final review is recorded.")
    expect(state_of(dana)).to_have_text("Approved")
    expect(home(cody)).to_contain_text("Nothing waits for you on proposals.")
    open_task(dana, "Approved proposals to file")
    dana.get_by_role("button", name="File the approved proposal").click()
    expect(state_of(dana)).to_have_text("Filed")
    expect(dana.get_by_role("region", name="What happens next")).to_contain_text(
        "Filed. Data may be exchanged as the agreement record says.")

    # --- the agreement record lists exactly the fields that stayed in the proposal -------
    agreement = dana.get_by_role("region", name="Agreement record")
    authorised = agreement.get_by_role("table", name="Fields authorised (3)")
    expect(authorised.locator("tbody tr")).to_have_text(
        [re.compile(r"main\.client\s*county"), re.compile(r"main\.client\s*ssn"),
         re.compile(r"main\.visit\s*diagnosis_code")])
    expect(agreement.locator("dt:text-is('Frequency') + dd")).to_have_text("Monthly")
    shot(agreement, tmp_path, "07-agreement")

    # --- a department that is no party does not learn the proposal exists ---------------
    outsider = people("xyz_coordinator")
    response = outsider.goto(proposal_url)
    assert response is not None and response.status == 404
    expect(outsider.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(outsider.get_by_text(USE_CASE)).to_have_count(0)
    shot(outsider, tmp_path, "08-outsider")
    go(outsider, "Proposals")
    expect(outsider.get_by_text(USE_CASE)).to_have_count(0)
    expect(home(dana)).to_contain_text("Nothing waits for you on proposals.")
