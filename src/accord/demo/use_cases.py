"""What the Department of Community Services asks the Department of Wellness for: a use case
for each state of the BUCP a newcomer should see, written as a DCS program would write them,
and two filed record-level studies in force today: one ready to fulfil, one delivered.

Only data lives here; ``accord.demo.proposals`` takes each one through the services as far as
its ``stage``. Fields are named ``program:table.column`` (the program source's slug), because
the three program databases share table names such as ``person``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accord.proposals.states import ProposalState

S = ProposalState

# The same people answer for each department on every proposal (the form asks for contacts by
# name here; elsewhere it names roles, so staff turnover needs no amendment).
CONTACTS = (
    "Department of Community Services: data coordinator Marisol Ortega, Research and Data "
    "Division, dcs.coordinator@community-services.example, (916) 555-0142; executive sponsor "
    "Angela Brooks, Chief Deputy Director, dcs.sponsor@community-services.example, "
    "(916) 555-0100.\n"
    "California Department of Wellness: data coordinator Casey Coordinator, Office of Data "
    "Sharing, coordinator@wellness.example, (916) 555-0120; executive sponsor Evan Executive, "
    "Chief Deputy Director, executive@wellness.example, (916) 555-0101."
)
RELEASE_APPROVAL = (
    "Each product is reviewed before release by the DCS program manager and the DCS privacy "
    "officer; anything made public is also sent to the CDW data coordinator ten business days "
    "before release, and CDW may ask for cells to be suppressed under its De-Identification "
    "Guidelines."
)
REDISCLOSURE = (
    "No re-disclosure of record-level data to anyone outside the DCS data users named above. "
    "Aggregate products that passed CDW's disclosure review may be published."
)
DESTRUCTION = (
    "DCS deletes every copy, including backups, within 30 days of the end date and sends CDW a "
    "signed certificate of destruction naming the files and the method (NIST SP 800-88 purge)."
)
SECURITY = (
    "Encryption in transit (SFTP or TLS 1.2+) and at rest (AES-256); access by named users with "
    "multi-factor authentication; access logs kept for three years; a suspected breach reported "
    "to the CDW information security officer within 24 hours, as SAM 5340 requires."
)
PRIVACY = (
    "Minimum necessary: only the fields listed here; no attempt to re-identify or contact any "
    "person from the data; small cells (fewer than 11) suppressed in every product, as the "
    "CDW De-Identification Guidelines require."
)

# Answers shared by the demo's record-level studies, which are in force today so that they can
# be fulfilled (BUCP §1.3: start and end dates bound every delivery).
RECORD_LEVEL_STUDY = {
    "data_users": "Two DCS research analysts and their supervisor; no contractors.",
    "transfer_method": "sftp",
    "destruction_return": (
        "DCS deletes every copy, including backups, within 30 days of the end date and sends "
        "CDW a signed certificate of destruction (NIST SP 800-88 purge)."
    ),
    "critical_dates": "Study report due 2027-06-30.",
    "transfer_of_funds": "no",
    "research": "no",
    "data_management": "DCS research enclave: encrypted storage, access by named analysts "
    "with MFA, no internet egress.",
}
RECORD_LEVEL_TERMS = {
    "release_approval": (
        "Each product is reviewed before release by the DCS program manager and privacy "
        "officer, and sent to the CDW data coordinator ten business days before release."
    ),
    "format": "parquet",
    "deidentification": "record_level",
    "derived_products": "County-level tables may be kept; the records are destroyed at the end "
    "date.",
    "redisclosure": "No re-disclosure of record-level data to anyone outside the named users.",
    "start_date": "2026-11-01",
    "end_date": "2028-10-31",
    "security_requirements": SECURITY,
    "privacy_requirements": PRIVACY,
}
RECORD_LEVEL_OPINIONS = {
    ("CDW", "legal"): "Permitted under CIV § 1798.24(e) once identifiers are removed as the "
    "plan states; no objection.",
    ("CDW", "security"): "Delivery by SFTP or an expiring link to the DCS enclave; no objection.",
    ("DCS", "legal"): "Within DCS's statutory duties; no objection.",
    ("DCS", "security"): "The enclave's controls are documented in DCS's security plan.",
}


@dataclass(frozen=True)
class Mark:
    """A requested field the provider marks as not needed, and the recipient's reply: take it
    out (``remove``), say why it is needed (``justification``), or not yet answer."""

    field: str
    reason: str
    remove: bool = False
    justification: str = ""


@dataclass(frozen=True)
class Change:
    """A change request by the provider's data coordinator; ``accept`` None leaves it open."""

    question: str
    proposed: str
    reason: str
    accept: bool | None = None
    note: str = ""


@dataclass(frozen=True)
class Concern:
    """A concern raised in review by the provider's reviewer of ``area``; the recipient's data
    coordinator answers it and the reviewer resolves it, unless ``answer`` is empty."""

    area: str
    text: str
    answer: str = ""


@dataclass(frozen=True)
class Comment:
    who: str  # demo username
    at: ProposalState  # posted once the proposal has reached this state
    body: str
    question: str = ""


@dataclass(frozen=True)
class UseCase:
    name: str
    stage: ProposalState  # how far the demo takes it (withdrawn and denied: see ``reach``)
    drafter: str  # the DCS demo user who starts it
    program: str  # the DCS program asking
    path: str
    fields: tuple[str, ...]
    answers: dict[str, str]  # the recipient's answers in the draft
    provider_answers: dict[str, str] = field(default_factory=dict)  # added in development
    marks: tuple[Mark, ...] = ()
    change: Change | None = None
    opinions: dict[tuple[str, str], str] = field(default_factory=dict)  # (CDW|DCS, area)
    concern: Concern | None = None
    comments: tuple[Comment, ...] = ()
    reach: ProposalState | None = None  # withdrawn / denied from this state
    reason: str = ""  # why it was withdrawn or declined
    authority: dict[str, str] = field(default_factory=dict)  # overrides AUTHORITY
    delivered: bool = False  # filed, then fulfilled and delivered by a download link


# The legal authority DCS states for what governs the requested fields (from the catalog's
# classifications and statute citations).
AUTHORITY = {
    "PII": "CIV § 1798.24(e): the transfer is necessary for DCS to perform its statutory duties "
    "under the program named in this proposal, and the use is compatible with the purpose for "
    "which CDW collected the data (program evaluation and service coordination).",
    "PHI": "CDW's Healthy Habits and Your Environment programs are not HIPAA covered entities; "
    "health information is disclosed under CIV § 1798.24(e) and aggregated or de-identified as "
    "45 CFR § 164.514(b) describes before any product leaves DCS.",
    "SENSITIVE": "Race or ethnicity and benefit status are used only in aggregate, to report "
    "whether outcomes differ between groups, a use compatible with their collection.",
    "CIV § 1798.24": "Subdivision (e): disclosure to another state agency where necessary for it "
    "to perform its statutory duties and compatible with the purpose of collection.",
    "WIC § 10850": "DCS administers public social services under Division 9 of the Welfare and "
    "Institutions Code; § 10850(a) permits use of case records for purposes directly connected "
    "with that administration, which includes evaluating housing assistance outcomes.",
    "WIC § 14100.2": "DCS does not administer Medi-Cal; it asks CDW to confirm whether "
    "§ 14100.2(a) permits this disclosure as directly connected with the administration of "
    "public social services.",
    "HSC § 123100": "No patient record is requested: screening values are used only in aggregate "
    "tables prepared by CDW.",
    "45 CFR § 164.514(b)": "Values governed by the HIPAA de-identification standard are released "
    "only as aggregate tables that passed CDW's disclosure review.",
}


USE_CASES: tuple[UseCase, ...] = (
    UseCase(
        name="Housing stability and Walk 2 Work commuting",
        stage=S.FILED,
        drafter="requester",
        program="Housing and Homelessness Division",
        path="chhs",
        fields=(
            "walk2work:person.person_id",
            "walk2work:person.first_name",
            "walk2work:person.last_name",
            "walk2work:person.birth_date",
            "walk2work:person.ssn",
            "walk2work:person.zip_code",
            "walk2work:person.county",
            "walk2work:person.phone",
            "walk2work:enrollment.enrollment_id",
            "walk2work:enrollment.person_id",
            "walk2work:enrollment.employer_id",
            "walk2work:enrollment.enrolled_on",
            "walk2work:enrollment.exited_on",
            "walk2work:enrollment.incentive_tier",
            "walk2work:commute_trip.enrollment_id",
            "walk2work:commute_trip.trip_date",
            "walk2work:commute_trip.mode_code",
            "walk2work:commute_trip.distance_km",
            "walk2work:employer.employer_id",
            "walk2work:employer.industry",
        ),
        answers={
            "purpose": "DCS's Rapid Rehousing program places about 9,000 households a year in "
            "stable housing. We want to learn whether adults placed in housing keep a job and a "
            "regular commute more often than those still waiting, by linking our placement "
            "records with Walk 2 Work enrolment and logged trips. The result tells both "
            "departments whether pairing rehousing with Walk 2 Work enrolment is worth "
            "funding, and helps the people we serve keep both home and work.",
            "data_categories": "Identifiers to link records (name, date of birth, SSN); place of "
            "residence (ZIP code, county); program participation and commute trips.",
            "output_use": "An evaluation report to the DCS Director and the CDW Walk 2 Work "
            "program office (internal), and a public summary with county-level tables only. "
            "The linked record-level file never leaves the DCS research enclave.",
            "frequency": "quarterly",
            "data_users": "Two DCS research analysts (Research and Data Division) and their "
            "supervisor; no contractors. Each completes privacy training before access.",
            "transfer_method": "sftp",
            "destruction_return": DESTRUCTION,
            "critical_dates": "First linkage for the 2027 Rapid Rehousing evaluation, due to the "
            "DCS Director on 2027-09-30; two years of quarterly deliveries.",
            "transfer_of_funds": "no",
            "research": "no",
            "redisclosure": REDISCLOSURE,
            "data_management": "DCS research enclave (Azure Government, FedRAMP High): "
            "encrypted storage, no internet egress, access by named analysts with MFA; the "
            "linkage script replaces name, SSN and birth date with a study ID.",
        },
        provider_answers={
            "release_approval": RELEASE_APPROVAL,
            "format": "parquet",
            "deidentification": "none",
            "derived_products": "County-level tables may be kept after the end date; the linked "
            "record-level file and the crosswalk are destroyed with the data.",
            "undisputed_explanation": "Both departments agree the linkage serves the evaluation "
            "of a DCS program and that CIV § 1798.24(e) permits the transfer.",
            "start_date": "2027-01-01",
            "end_date": "2028-12-31",
            "security_requirements": SECURITY,
            "privacy_requirements": PRIVACY,
        },
        marks=(
            Mark(
                "walk2work:person.phone",
                "Linkage uses SSN, name and date of birth; the phone number adds "
                "re-identification risk and nothing to the match.",
                remove=True,
            ),
        ),
        change=Change(
            "redisclosure",
            "No re-disclosure of record-level data, including to other DCS divisions. Aggregate "
            "products that passed CDW's disclosure review may be published.",
            "Walk 2 Work enrolment was collected for the program; other divisions need their "
            "own proposal.",
            accept=True,
            note="Agreed; the evaluation team is the only user.",
        ),
        opinions={
            ("CDW", "legal"): "Disclosure is permitted under CIV § 1798.24(e): DCS needs the "
            "records to evaluate a program it administers, and evaluation is compatible with "
            "the purpose of collection. No objection.",
            ("CDW", "security"): "DCS's enclave meets SIMM 5300.5 moderate controls; SFTP "
            "delivery with the key exchanged out of band. No objection once the linkage keys "
            "are dropped after matching (concern answered).",
            ("DCS", "legal"): "DCS's use is within its duties under WIC Division 9; the "
            "evaluation is not research under Appendix A (program evaluation).",
            ("DCS", "security"): "The enclave's controls are documented in DCS's OSCAL system "
            "security plan, attached to the agreement.",
        },
        concern=Concern(
            "security",
            "Will the linkage keys (SSN, name, date of birth) be dropped once records are matched?",
            "Yes: the linkage script replaces them with a study ID within ten business days of "
            "each delivery; the crosswalk stays in the enclave's key vault.",
        ),
        comments=(
            Comment(
                "coordinator",
                S.IN_JOINT_DEVELOPMENT,
                "Kickoff held with the Walk 2 Work program office; the field list is agreed "
                "apart from the phone number.",
            ),
        ),
    ),
    UseCase(
        name="County Healthy Habits participation for the report to the Legislature",
        stage=S.APPROVED,
        drafter="dcs.program",
        program="Community Wellness Grants",
        path="idea",
        fields=(
            "healthyhabits:enrollment.enrolled_on",
            "healthyhabits:enrollment.exited_on",
            "healthyhabits:enrollment.referral_source",
            "healthyhabits:enrollment.coaching_track",
            "healthyhabits:person.county",
            "healthyhabits:person.birth_date",
            "healthyhabits:person.sex",
            "healthyhabits:person.race_ethnicity",
            "healthyhabits:monthly_screening_summary.screening_month",
            "healthyhabits:monthly_screening_summary.screening_type_code",
            "healthyhabits:monthly_screening_summary.screenings",
            "healthyhabits:monthly_screening_summary.people",
        ),
        answers={
            "purpose": "The annual Community Wellness Grants report to the Legislature must show, "
            "for each county, how many residents took part in state wellness programs. DCS "
            "funds the community organisations that refer residents to Healthy Habits and "
            "needs county participation by age band, sex and race or ethnicity to show where "
            "the grants reach people and where they do not.",
            "data_categories": "Program participation counts by county, age band, sex and race "
            "or ethnicity; monthly screening counts. No identifiers.",
            "output_use": "Tables in the report to the Legislature (public) and in the grant "
            "allocation worksheet (internal). Counts below 11 are suppressed.",
            "frequency": "yearly",
            "data_users": "The Community Wellness Grants analyst and program manager; no "
            "contractors.",
            "transfer_method": "https",
            "destruction_return": DESTRUCTION,
            "critical_dates": "The report is due to the Legislature on 2027-03-31; data for "
            "fiscal year 2025-26 is needed by 2027-01-31.",
            "transfer_of_funds": "no",
            "research": "no",
            "data_management": "DCS shared drive for the grants unit, encrypted at rest; the "
            "tables hold no record-level data.",
        },
        provider_answers={
            "release_approval": RELEASE_APPROVAL,
            "format": "csv",
            "deidentification": "aggregate",
            "derived_products": "The published tables may be kept and used without limit.",
            "redisclosure": "The aggregate tables may be published once they pass CDW's "
            "disclosure review.",
            "undisputed_explanation": "Aggregate tables released under the De-Identification "
            "Guidelines; both departments agree no statute restricts them.",
            "start_date": "2027-01-15",
            "security_requirements": "Standard: HTTPS download with an expiring link.",
            "privacy_requirements": PRIVACY,
        },
        marks=(
            Mark(
                "healthyhabits:person.birth_date",
                "The report shows age bands; CDW can compute them.",
                justification="Yes: CDW computes the bands (18–39, 40–64, 65+) from birth date "
                "before aggregating; the date itself is never delivered.",
            ),
        ),
        opinions={
            ("CDW", "legal"): "Aggregate tables under the DDG are not personal information. No "
            "objection.",
            ("CDW", "privacy"): "Small cells must be suppressed with complementary suppression; "
            "the county by race table will need it in rural counties.",
            ("CDW", "security"): "HTTPS download is sufficient for aggregate tables.",
            ("DCS", "legal"): "The report is required by the Budget Act; no objection.",
            ("DCS", "privacy"): "No record-level data is received. No objection.",
            ("DCS", "security"): "No objection.",
        },
    ),
    UseCase(
        name="Healthy Habits screenings at clinics near family resource centers",
        stage=S.AWAITING_DC_FINAL_REVIEW,
        drafter="requester",
        program="Family Resource Centers",
        path="idea",
        fields=(
            "healthyhabits:screening.screening_date",
            "healthyhabits:screening.screening_type_code",
            "healthyhabits:screening.a1c_percent",
            "healthyhabits:screening.systolic_mmhg",
            "healthyhabits:screening.diastolic_mmhg",
            "healthyhabits:screening.clinic_id",
            "healthyhabits:clinic.clinic_id",
            "healthyhabits:clinic.clinic_name",
            "healthyhabits:clinic.county",
            "healthyhabits:clinic.zip_code",
        ),
        answers={
            "purpose": "Twelve DCS family resource centers share a building with a Healthy "
            "Habits clinic. DCS wants to know whether screenings at those clinics find raised "
            "A1c and blood pressure as often as elsewhere, to decide whether to fund screening "
            "days at the other 40 centers.",
            "data_categories": "Screening results (A1c, blood pressure) by clinic and month; "
            "clinic locations. No identifiers.",
            "output_use": "An internal briefing for the DCS Family Resource Centers branch and "
            "a funding recommendation; no public product.",
            "frequency": "one_time",
            "data_users": "One DCS program analyst; no contractors.",
            "transfer_method": "https",
            "destruction_return": DESTRUCTION,
            "critical_dates": "Needed for the 2027-28 budget change proposal, drafted in "
            "February 2027.",
            "transfer_of_funds": "no",
            "research": "no",
            "data_management": "DCS analytics workspace, encrypted at rest, one named analyst.",
        },
        provider_answers={
            "release_approval": "No public release is planned; a later one needs CDW's written "
            "approval.",
            "format": "csv",
            "deidentification": "aggregate",
            "derived_products": "The briefing may be kept; the tables are destroyed with the data.",
            "redisclosure": REDISCLOSURE,
            "undisputed_explanation": "Aggregate screening results by clinic; no statute "
            "restricts them.",
            "start_date": "2027-01-04",
            "end_date": "2027-06-30",
            "security_requirements": "Standard: HTTPS download with an expiring link.",
            "privacy_requirements": PRIVACY,
        },
        opinions={
            (dept, area): "No objection: aggregate tables by clinic and month."
            for dept in ("CDW", "DCS")
            for area in ("legal", "privacy", "security")
        },
    ),
    UseCase(
        name="Walk 2 Work worksites for the Community Transit Pass pilot",
        stage=S.AWAITING_SIGNATURES,
        drafter="requester",
        program="Community Transit Pass pilot",
        path="idea",
        fields=(
            "walk2work:employer.employer_name",
            "walk2work:employer.industry",
            "walk2work:employer.county",
            "walk2work:employer.worksite_zip",
            "walk2work:employer.employee_count",
            "walk2work:monthly_commute_summary.trip_month",
            "walk2work:monthly_commute_summary.mode_code",
            "walk2work:monthly_commute_summary.trips",
            "walk2work:monthly_commute_summary.participants",
            "walk2work:monthly_commute_summary.distance_km",
        ),
        answers={
            "purpose": "DCS's Community Transit Pass pilot gives free transit passes to "
            "low-income workers. To choose the first 30 worksites, DCS wants the employers "
            "already taking part in Walk 2 Work and how their employees commute, so passes go "
            "where transit trips can grow.",
            "data_categories": "Employer names, industries and worksite locations; monthly "
            "commute counts by mode. No personal information.",
            "output_use": "An internal ranking of candidate worksites; the list of chosen "
            "employers is published when the pilot starts.",
            "frequency": "monthly",
            "data_users": "The pilot's two program analysts and its manager.",
            "transfer_method": "api",
            "destruction_return": DESTRUCTION,
            "critical_dates": "Worksites are chosen by 2027-02-28; the pilot runs one year.",
            "transfer_of_funds": "no",
            "research": "no",
            "data_management": "DCS program database (PostgreSQL), encrypted at rest.",
        },
        provider_answers={
            "release_approval": RELEASE_APPROVAL,
            "format": "parquet",
            "deidentification": "none",
            "derived_products": "The ranking may be kept.",
            "redisclosure": "The names of the chosen employers may be published, with each "
            "employer's consent.",
            "undisputed_explanation": "Employer-level data only; Walk 2 Work's participation "
            "agreement lets CDW share employer names with state partners.",
            "start_date": "2027-01-15",
            "end_date": "2028-01-31",
            "security_requirements": "Standard: Accord API token per user, TLS 1.2+.",
            "privacy_requirements": "No personal information is shared.",
        },
        opinions={
            (dept, area): "No objection: employer-level data, no personal information."
            for dept in ("CDW", "DCS")
            for area in ("legal", "privacy", "security")
        },
    ),
    UseCase(
        name="Your Environment asthma alerts for the Extreme Heat Outreach program",
        stage=S.IN_REVIEW,
        drafter="requester",
        program="Community Resilience Branch",
        path="idea",
        fields=(
            "yourenvironment:enrollment.has_asthma",
            "yourenvironment:enrollment.alert_channel",
            "yourenvironment:enrollment.home_site_id",
            "yourenvironment:enrollment.enrolled_on",
            "yourenvironment:person.zip_code",
            "yourenvironment:person.county",
            "yourenvironment:person.birth_date",
            "yourenvironment:person.preferred_language",
            "yourenvironment:monthly_air_quality.reading_month",
            "yourenvironment:monthly_air_quality.county",
            "yourenvironment:monthly_air_quality.pollutant_code",
            "yourenvironment:monthly_air_quality.mean_measurement",
            "yourenvironment:monthly_air_quality.exceedances",
        ),
        answers={
            "purpose": "Heat waves and ozone together send people with asthma to emergency "
            "rooms. DCS's Extreme Heat Outreach program wants to know where residents with "
            "asthma enrolled in Your Environment alerts live, in which languages they read "
            "alerts, and where ozone exceedances are frequent, to place cooling-center "
            "outreach workers and translated material before next summer.",
            "data_categories": "Asthma flag, alert channel and language; ZIP code, county and "
            "age; monthly air-quality summaries by county.",
            "output_use": "An internal outreach plan by ZIP code; a public map of outreach "
            "areas by county only.",
            "frequency": "one_time",
            "data_users": "Three Community Resilience analysts; one contractor (the map "
            "vendor) sees county-level output only.",
            "transfer_method": "sftp",
            "destruction_return": DESTRUCTION,
            "critical_dates": "Outreach must be placed before 2027-05-01 (heat season).",
            "transfer_of_funds": "no",
            "research": "no",
            "data_management": "DCS GIS server in the state data center, encrypted at rest, "
            "access by three named analysts.",
        },
        provider_answers={
            "release_approval": RELEASE_APPROVAL,
            "format": "csv",
            "deidentification": "record_level",
            "derived_products": "The outreach plan may be kept; record-level data is destroyed "
            "at the end date.",
            "redisclosure": REDISCLOSURE,
            "undisputed_explanation": "Both departments agree on record-level rules: birth "
            "date as 10-year age band, no names or addresses.",
            "start_date": "2027-02-01",
            "end_date": "2027-10-31",
            "security_requirements": SECURITY,
            "privacy_requirements": PRIVACY,
        },
        opinions={
            ("CDW", "legal"): "Permitted under CIV § 1798.24(e) for outreach planning; the "
            "asthma flag is self-reported and not a HIPAA record.",
            ("CDW", "privacy"): "Acceptable with record-level rules; see the concern on small "
            "ZIP codes.",
            ("CDW", "security"): "SFTP to the state data center; no objection.",
            ("DCS", "legal"): "Within the program's statutory duties; no objection.",
            ("DCS", "privacy"): "The map vendor must see county-level output only; agreed.",
            ("DCS", "security"): "The GIS server is in scope of DCS's security plan.",
        },
        concern=Concern(
            "privacy",
            "The asthma flag with ZIP code and birth date can single out residents of small "
            "rural ZIP codes (Markleeville, Alpine County, has about 200 residents). Would DCS "
            "accept 10-year age bands, and ZIP codes with fewer than 20,000 residents rolled "
            "up to their county?",
        ),
    ),
    UseCase(
        name="Healthy Habits coaching for older adults in the Aging at Home program",
        stage=S.IN_JOINT_DEVELOPMENT,
        drafter="dcs.program",
        program="Aging at Home",
        path="idea",
        fields=(
            "healthyhabits:person.first_name",
            "healthyhabits:person.last_name",
            "healthyhabits:person.birth_date",
            "healthyhabits:person.zip_code",
            "healthyhabits:person.phone",
            "healthyhabits:person.preferred_language",
            "healthyhabits:enrollment.enrolled_on",
            "healthyhabits:enrollment.exited_on",
            "healthyhabits:enrollment.coaching_track",
            "healthyhabits:health_condition.icd10_code",
        ),
        answers={
            "purpose": "Aging at Home caseworkers visit 14,000 adults over 65 each month. Many "
            "are also coached by Healthy Habits, and the two programs schedule visits without "
            "knowing of each other. DCS wants to know which of its clients are enrolled in "
            "Healthy Habits, on which coaching track, so caseworkers can reinforce the "
            "coaching and avoid duplicate visits.",
            "data_categories": "Name, date of birth, ZIP code and phone to match clients; "
            "coaching enrolment; diagnosed conditions.",
            "output_use": "A flag in the Aging at Home case management system; no public product.",
            "frequency": "monthly",
            "data_users": "Aging at Home caseworkers (about 120) through the case management "
            "system; two DCS data engineers who run the match.",
            "transfer_method": "sftp",
            "destruction_return": DESTRUCTION,
            "critical_dates": "The case management release of 2027-04 adds the flag.",
            "transfer_of_funds": "no",
            "research": "no",
            "data_management": "Matched inside the DCS integration server; only the flag and "
            "coaching track are written to the case management system.",
        },
        provider_answers={
            "release_approval": "No public release.",
            "format": "csv",
            "deidentification": "none",
            "redisclosure": REDISCLOSURE,
        },
        marks=(
            Mark(
                "healthyhabits:health_condition.icd10_code",
                "Coordinating visits needs the coaching track, not diagnoses; diagnosis codes "
                "are health information the stated use does not need.",
            ),
            Mark(
                "healthyhabits:person.phone",
                "Caseworkers reach clients from DCS's own case files.",
                justification="About a fifth of our clients' phone numbers are out of date; "
                "the match uses the phone as a tie-breaker when names and birth dates agree "
                "but addresses differ.",
            ),
        ),
        change=Change(
            "frequency",
            "quarterly",
            "The Healthy Habits enrolment system is reconciled with clinic records once a "
            "quarter; monthly extracts would carry exits that are later reversed.",
        ),
        comments=(
            Comment(
                "owner",
                S.IN_JOINT_DEVELOPMENT,
                "The Healthy Habits program office supports this; coaches already ask "
                "participants about other services they use.",
            ),
        ),
    ),
    UseCase(
        name="Air quality near DCS cooling centers",
        stage=S.SENT_TO_PROVIDER,
        drafter="requester",
        program="Community Resilience Branch",
        path="idea",
        fields=(
            "yourenvironment:monitoring_site.site_id",
            "yourenvironment:monitoring_site.site_name",
            "yourenvironment:monitoring_site.aqs_site_code",
            "yourenvironment:monitoring_site.county",
            "yourenvironment:monitoring_site.zip_code",
            "yourenvironment:air_quality_reading.site_id",
            "yourenvironment:air_quality_reading.reading_date",
            "yourenvironment:air_quality_reading.pollutant_code",
            "yourenvironment:air_quality_reading.measurement",
            "yourenvironment:air_quality_reading.exceeds_standard",
        ),
        answers={
            "purpose": "DCS runs 180 cooling centers that also serve as clean-air shelters "
            "during wildfire smoke. It wants daily readings from the monitoring sites nearest "
            "each center to decide when to extend opening hours, instead of waiting for "
            "county announcements.",
            "data_categories": "Monitoring site locations and daily pollutant readings. No "
            "personal information.",
            "output_use": "An internal dashboard for center managers; no public product.",
            "frequency": "daily",
            "data_users": "Cooling center managers (read-only dashboard) and one DCS data "
            "engineer.",
            "transfer_method": "api",
            "destruction_return": "Readings older than three years are deleted from the "
            "dashboard; everything is deleted within 30 days of the end date.",
            "critical_dates": "Before the 2027 fire season (June 2027).",
            "transfer_of_funds": "no",
            "research": "no",
        },
        comments=(
            Comment(
                "coordinator",
                S.SENT_TO_PROVIDER,
                "Received. We will hold the kickoff with the Your Environment program office "
                "and bring the list of monitoring sites within 10 km of each center.",
            ),
        ),
    ),
    UseCase(
        name="Walk 2 Work commute distances for the rural transportation grant",
        stage=S.DRAFT,
        drafter="dcs.program",
        program="Rural Mobility Grants",
        path="idea",
        fields=(
            "walk2work:monthly_commute_summary.trip_month",
            "walk2work:monthly_commute_summary.mode_code",
            "walk2work:monthly_commute_summary.participants",
            "walk2work:monthly_commute_summary.distance_km",
            "walk2work:employer.county",
        ),
        answers={
            "purpose": "DCS's application for a federal rural transportation grant must show "
            "how far rural workers commute and by what means. Walk 2 Work's monthly summaries "
            "by employer county would give that evidence for 23 rural counties.",
            "data_categories": "Monthly commute counts and distances by mode and county.",
            "output_use": "Tables in the grant application (public once submitted).",
        },
    ),
    UseCase(
        name="Your Environment facility inspections for the Safe Shelters checklist",
        stage=S.WITHDRAWN,
        reach=S.IN_JOINT_DEVELOPMENT,
        drafter="requester",
        program="Emergency Shelter Programs",
        path="idea",
        fields=(
            "yourenvironment:facility.facility_name",
            "yourenvironment:facility.facility_type",
            "yourenvironment:facility.street_address",
            "yourenvironment:facility.county",
            "yourenvironment:facility.permit_number",
            "yourenvironment:site_inspection.inspection_date",
            "yourenvironment:site_inspection.result",
            "yourenvironment:site_inspection.follow_up_due",
        ),
        answers={
            "purpose": "Before opening an emergency shelter, DCS checks for regulated "
            "facilities nearby with failed air-quality inspections. It wants the Your "
            "Environment inspection results to add that check to the Safe Shelters checklist.",
            "data_categories": "Facility names, types, addresses and permits; inspection dates "
            "and results.",
            "output_use": "A lookup in the Safe Shelters checklist used by shelter coordinators.",
            "frequency": "monthly",
            "data_users": "Shelter coordinators through the checklist; one DCS data engineer.",
            "transfer_method": "api",
            "destruction_return": DESTRUCTION,
            "critical_dates": "None fixed.",
            "transfer_of_funds": "no",
            "research": "no",
        },
        comments=(
            Comment(
                "coordinator",
                S.IN_JOINT_DEVELOPMENT,
                "Inspection results are public records: the Your Environment program publishes "
                "them each month on the CalHHS Open Data Portal. Would the published file meet "
                "the need without an agreement?",
            ),
            Comment(
                "requester",
                S.IN_JOINT_DEVELOPMENT,
                "It would; we had not found it. We will withdraw this proposal.",
            ),
        ),
        reason="The inspection results are published on the CalHHS Open Data Portal; the "
        "checklist will read the public file, so no agreement is needed.",
    ),
    UseCase(
        name="Medi-Cal numbers of Healthy Habits participants for CalFresh outreach",
        stage=S.DENIED,
        reach=S.AWAITING_SIGNATURES,
        drafter="requester",
        program="CalFresh Outreach",
        path="chhs",
        fields=(
            "healthyhabits:person.first_name",
            "healthyhabits:person.last_name",
            "healthyhabits:person.medi_cal_cin",
            "healthyhabits:person.phone",
            "healthyhabits:person.email",
            "healthyhabits:person.preferred_language",
            "healthyhabits:person.zip_code",
        ),
        answers={
            "purpose": "Most Healthy Habits participants on Medi-Cal are likely eligible for "
            "CalFresh but not enrolled. DCS wants their Medi-Cal numbers and contact details "
            "to invite them to apply, using the number to prefill the application.",
            "data_categories": "Names, Medi-Cal client index numbers, phone, e-mail, language "
            "and ZIP code.",
            "output_use": "Outreach letters, texts and calls; no public product.",
            "frequency": "quarterly",
            "data_users": "The CalFresh Outreach call center (40 staff) and its mail vendor.",
            "transfer_method": "sftp",
            "destruction_return": DESTRUCTION,
            "critical_dates": "Outreach campaign planned for spring 2027.",
            "transfer_of_funds": "no",
            "research": "no",
            "data_management": "DCS call center CRM (Salesforce Government Cloud).",
        },
        provider_answers={
            "release_approval": "No public release.",
            "format": "csv",
            "deidentification": "none",
            "derived_products": "Outreach records are kept under DCS's retention schedule.",
            "redisclosure": "To the mail vendor under a DCS contract with confidentiality terms.",
            "undisputed_explanation": "Submitted for the sponsors' decision on the legal "
            "opinions recorded.",
            "start_date": "2027-03-01",
            "security_requirements": SECURITY,
            "privacy_requirements": PRIVACY,
            "alternatives": "CDW mails DCS's CalFresh information to Healthy Habits "
            "participants itself; no data leaves CDW.",
        },
        opinions={
            ("CDW", "legal"): "WIC § 14100.2 allows Medi-Cal beneficiary information to be "
            "used or disclosed only for purposes directly connected with the administration "
            "of Medi-Cal. CalFresh outreach by DCS is not such a purpose; CDW may not disclose "
            "the Medi-Cal numbers. CDW can send the outreach itself.",
            ("CDW", "security"): "Controls are adequate, but the mail vendor would be a third "
            "party without an agreement with CDW.",
            ("DCS", "legal"): "DCS believes outreach to the same households is connected with "
            "public social services administration, and defers to CDW's reading of § 14100.2.",
            ("DCS", "security"): "The CRM meets DCS's controls.",
        },
        authority={
            "WIC § 14100.2": "DCS asks CDW to confirm whether § 14100.2(a) permits disclosure "
            "for outreach to public social services connected with Medi-Cal eligibility.",
        },
        reason="Declined on CDW's legal opinion: WIC § 14100.2 does not permit disclosure of "
        "Medi-Cal numbers for CalFresh outreach. CDW offers to mail DCS's CalFresh information "
        "to its participants itself.",
    ),
    UseCase(
        name="Walk 2 Work trips by age and county for the Active Transportation Safety study",
        stage=S.FILED,
        drafter="requester",
        program="Injury Prevention Branch",
        path="chhs",
        fields=(
            "walk2work:person.person_id",
            "walk2work:person.first_name",
            "walk2work:person.last_name",
            "walk2work:person.birth_date",
            "walk2work:person.sex",
            "walk2work:person.zip_code",
            "walk2work:person.county",
            "walk2work:enrollment.enrollment_id",
            "walk2work:enrollment.person_id",
            "walk2work:enrollment.enrolled_on",
            "walk2work:commute_trip.trip_id",
            "walk2work:commute_trip.enrollment_id",
            "walk2work:commute_trip.trip_date",
            "walk2work:commute_trip.mode_code",
            "walk2work:commute_trip.distance_km",
            "walk2work:commute_trip.duration_minutes",
        ),
        answers=RECORD_LEVEL_STUDY
        | {
            "purpose": "DCS's Injury Prevention Branch studies where people who walk or cycle "
            "to work are most exposed to traffic. Trips by mode, distance and month, with each "
            "commuter's age group and county, show which groups and counties to target with "
            "safe-routes funding. No one needs to be identified: record-level data with "
            "identifiers removed and dates generalised is enough.",
            "data_categories": "Commute trips of 2024 (date, mode, distance, duration); the "
            "commuter's year of birth, sex, three-digit ZIP code and county; enrolment month.",
            "output_use": "A study report to the DCS Director with county-level tables; no "
            "record-level data leaves the DCS research enclave.",
            "frequency": "one_time",
            "records_from": "2024-01-01",
            "records_to": "2024-12-31",
        },
        provider_answers=RECORD_LEVEL_TERMS
        | {
            "undisputed_explanation": "Both departments agree that de-identified records "
            "(names dropped, keys pseudonymised, dates and ZIP codes generalised) meet the use.",
        },
        opinions=RECORD_LEVEL_OPINIONS,
    ),
    UseCase(
        name="Healthy Habits screenings for the Diabetes Prevention evaluation",
        stage=S.FILED,
        drafter="requester",
        program="Diabetes Prevention Program",
        path="chhs",
        fields=(
            "healthyhabits:person.person_id",
            "healthyhabits:person.birth_date",
            "healthyhabits:person.sex",
            "healthyhabits:person.county",
            "healthyhabits:screening.screening_id",
            "healthyhabits:screening.person_id",
            "healthyhabits:screening.screening_date",
            "healthyhabits:screening.screening_type_code",
            "healthyhabits:screening.bmi",
            "healthyhabits:screening.a1c_percent",
        ),
        answers=RECORD_LEVEL_STUDY
        | {
            "purpose": "DCS's Diabetes Prevention Program refers clients to Healthy Habits "
            "coaching. Screening results over time (BMI and A1c) show whether coaching lowers "
            "the share of clients whose A1c reaches the diabetes range, by age group and "
            "county, so DCS can decide where to fund more coaching places.",
            "data_categories": "Screening date, type and results (BMI, A1c); the client's year "
            "of birth, sex and county.",
            "output_use": "An evaluation report with county-level tables, reviewed by CDW "
            "before publication.",
            "frequency": "one_time",
        },
        provider_answers=RECORD_LEVEL_TERMS
        | {
            "undisputed_explanation": "Both departments agree de-identified screening records "
            "serve the evaluation; each client appears under the same pseudonym throughout.",
        },
        opinions=RECORD_LEVEL_OPINIONS,
        delivered=True,
    ),
)
