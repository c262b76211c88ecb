"""Fulfillment runs as jobs: start one, run it in a worker, read it back.

A run extracts every authorised dataset through its source engine, applies the plan's rules,
and writes one package (``package.write_package``: a temporary folder moved into place whole).
The package and the run's record are committed together with the job's end, so a run that
fails, is cancelled or whose worker is killed leaves no package anyone can see or deliver; a
new run is the retry. Importing this module registers the ``fulfillment`` job kind.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from accord.auth import audit
from accord.auth.actor import Actor, actor_for
from accord.auth.models import Department, User
from accord.auth.permissions import Action
from accord.catalog.dictionary import Dictionary, GlossaryEntry, build_dictionary
from accord.catalog.models import Dataset, Source
from accord.catalog.sources import connection_url
from accord.config import Settings
from accord.db.engine import transaction
from accord.errors import AccordError, Conflict, NotAuthenticated, NotFound
from accord.fulfillment.access import agreement_for, require_deliverable
from accord.fulfillment.models import FulfillmentRun
from accord.fulfillment.plan import (
    DatasetPlan,
    Plan,
    Rule,
    SourceLocation,
    plan_from_json,
    plan_to_json,
)
from accord.fulfillment.planning import build_plan, plan_record, pseudonym_key
from accord.fulfillment.readme import About
from accord.jobs import registry, service, worker
from accord.jobs.models import ACTIVE, Job
from accord.jobs.progress import JobFailed, Progress
from accord.proposals.models import Agreement, Proposal
from accord.proposals.states import ProposalState, system_move

if TYPE_CHECKING:
    from accord.fulfillment.extract import Extraction
    from accord.fulfillment.package import PackageResult

KIND = "fulfillment"
PACKAGES = "packages"
NOTHING_KEPT = "no package was kept"
# what a generalised or pseudonymised field becomes in the package's dictionary
DELIVERED_TYPE = {
    Rule.MONTH: "text (year and month, YYYY-MM)",
    Rule.YEAR: "integer (year)",
    Rule.ZIP3: "text (first three digits of the ZIP code)",
    Rule.AGE_BAND: "text (ten-year age band)",
    Rule.PSEUDONYMISE: "text (pseudonym: 32 hexadecimal characters)",
}


def packages_root(settings: Settings) -> Path:
    return settings.data_dir / PACKAGES


def start_run(
    session: Session, actor: Actor, settings: Settings, proposal_id: int, *, claim_as: str = ""
) -> FulfillmentRun:
    """Queue a run of the agreement's current plan (``claim_as``: run by that worker)."""
    proposal, agreement = agreement_for(
        session, actor, proposal_id, Action.RUN_FULFILLMENT, lock=True
    )
    require_deliverable(proposal, agreement, date.today())
    active = session.scalar(
        select(FulfillmentRun)
        .join(Job, FulfillmentRun.job_id == Job.id)
        .where(FulfillmentRun.agreement_id == agreement.id, Job.status.in_(ACTIVE))
    )
    if active is not None:
        raise Conflict(
            f"A fulfillment of proposal {proposal.id} is already running (run {active.id})."
        )
    record = plan_record(session, settings, agreement)
    plan = build_plan(session, agreement, record)
    job = service.enqueue(
        session,
        KIND,
        subject=f"agreement of proposal {proposal.id}",
        who=actor.username,
        claim_as=claim_as,
    )
    run = FulfillmentRun(
        agreement_id=agreement.id,
        job_id=job.id,
        plan=plan_to_json(plan),
        created_by=actor.username,
        encrypted_for=record.recipient_key,
    )
    session.add(run)
    session.flush()
    if proposal.state == ProposalState.FILED:
        system_move(session, proposal, actor, "begin_fulfillment", f"Fulfillment run {run.id}")
    audit.record(
        session,
        actor,
        "fulfillment.start",
        "fulfillment_run",
        run.id,
        after={"proposal": proposal.id, "fields": _field_names(plan)},
    )
    return run


def _field_names(plan: Plan) -> list[str]:
    return [f"{d.name}.{f.name}" for d in plan.datasets for f in d.delivered]


def get_run(session: Session, actor: Actor, run_id: int) -> tuple[FulfillmentRun, Job]:
    """A run and its job, for a party to the agreement's proposal; NotFound for anyone else."""
    run = session.get(FulfillmentRun, run_id)
    agreement = session.get(Agreement, run.agreement_id) if run else None
    if run is None or agreement is None:
        raise NotFound(f"No fulfillment run {run_id}.")
    agreement_for(session, actor, agreement.proposal_id)  # NotFound for non-parties
    job = session.get(Job, run.job_id)
    assert job is not None
    return run, job


def list_runs(session: Session, agreement: Agreement) -> list[tuple[FulfillmentRun, Job]]:
    rows = session.execute(
        select(FulfillmentRun, Job)
        .join(Job, FulfillmentRun.job_id == Job.id)
        .where(FulfillmentRun.agreement_id == agreement.id)
        .order_by(FulfillmentRun.id.desc())
    ).all()
    return [(run, job) for run, job in rows]


def cancel_run(session: Session, actor: Actor, run_id: int) -> FulfillmentRun:
    run, _ = get_run(session, actor, run_id)
    agreement = session.get(Agreement, run.agreement_id)
    assert agreement is not None
    agreement_for(session, actor, agreement.proposal_id, Action.RUN_FULFILLMENT)
    service.request_cancel(
        session, run.job_id, f"Cancelled before it started; {NOTHING_KEPT}.", actor.username
    )
    return run


@dataclasses.dataclass(frozen=True)
class Prepared:
    """What a run reads from Accord's database before it touches any source."""

    plan: Plan
    actor: Actor
    key: bytes
    locations: dict[int, SourceLocation]
    dictionaries: dict[str, Dictionary]
    glossary: tuple[GlossaryEntry, ...]
    about: About
    package: str
    encrypt_for: str  # the recipient's public key, or "" for a plain package


def run_fulfillment_job(ctx: registry.JobContext) -> FulfillmentRun:
    """The ``fulfillment`` job handler: extract (or, for an aggregate release, count and
    suppress), de-identify and package as the person who asked, then record the package with
    the job's end in one transaction."""
    settings = ctx.settings
    with transaction(settings) as session:
        prepared = _prepare(session, settings, ctx)
    root = packages_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(settings, root)
    extractions: list[tuple[DatasetPlan, Extraction]] = []
    assessment: dict[str, Any] = {}
    try:
        if prepared.plan.release == "aggregate":
            result, assessment = _package_counts(ctx, root, prepared)
        else:
            result = _package_records(ctx, root, prepared, extractions)
        delivered = _encrypted(ctx, root, prepared, result)
    except AccordError as exc:
        raise JobFailed(f"{exc.message} The run stopped; {NOTHING_KEPT}.") from exc
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise JobFailed(f"The package could not be written: {reason}; {NOTHING_KEPT}.") from exc
    finally:
        for _, found in extractions:
            found.close()
    try:
        with transaction(settings) as session:
            run = session.scalar(select(FulfillmentRun).where(FulfillmentRun.job_id == ctx.job_id))
            assert run is not None
            run.package = prepared.package
            run.sha256, run.size = delivered
            run.zip_sha256 = result.zip_sha256
            run.rows, run.files = dict(result.rows), dict(result.files)
            run.assessment = assessment
            audit.record(
                session,
                prepared.actor,
                "fulfillment.package",
                "fulfillment_run",
                run.id,
                after={"package": run.package, "sha256": run.sha256, "rows": run.rows},
            )
            rows = sum(result.rows.values())
            if not service.finish(session, ctx.job_id, "succeeded", "", done=rows):
                raise JobFailed("The run was stopped while its package was being recorded.")
            session.flush()
            session.expunge(run)
    except (SQLAlchemyError, JobFailed):
        _discard(root, prepared.package)
        raise
    return run


def _encrypted(
    ctx: registry.JobContext, root: Path, prepared: Prepared, result: PackageResult
) -> tuple[str, int]:
    """The checksum and size of the file delivered: the zip, or the zip encrypted for the
    recipient (the plain zip and folder stay with the provider, who may inspect them)."""
    if not prepared.encrypt_for:
        return result.zip_sha256, result.zip_size
    from accord.fulfillment.encryption import encrypt_package

    total = sum(result.rows.values())
    try:
        ctx.progress(total, total, f"Encrypting {result.zip_path.name} for the recipient")
        encrypted = encrypt_package(result.zip_path, prepared.encrypt_for)
    except BaseException:
        _discard(root, prepared.package)
        raise
    return encrypted.sha256, encrypted.size


def _package_records(
    ctx: registry.JobContext,
    root: Path,
    prepared: Prepared,
    extractions: list[tuple[DatasetPlan, Extraction]],
) -> PackageResult:
    """Extract every dataset's records with the plan's rules and package them; ``extractions``
    collects what is open, for the caller to close whatever happens."""
    from accord.fulfillment.extract import extract
    from accord.fulfillment.package import write_package

    for dataset in prepared.plan.datasets:
        location = prepared.locations[dataset.dataset_id]
        if ctx.settings.fulfillment_engine == "spark":
            from accord.fulfillment.spark import extract_on_spark

            found = extract_on_spark(location, dataset, prepared.key)
        else:
            found = extract(location, dataset, prepared.key)
        extractions.append((dataset, found))
    total = sum(found.count() for _, found in extractions)  # counted by each engine

    def report(rows: int, what: str) -> None:
        ctx.progress(rows, max(total, rows), what)

    return write_package(
        root,
        prepared.package,
        prepared.plan,
        extractions,
        dictionaries=prepared.dictionaries,
        glossary=prepared.glossary,
        about=prepared.about,
        progress=report,
    )


def _package_counts(
    ctx: registry.JobContext, root: Path, prepared: Prepared
) -> tuple[PackageResult, dict[str, Any]]:
    """Count every dataset in its engine and package what the DDG engine releases."""
    from accord.fulfillment.aggregate import Count, package_counts

    count: Count | None = None
    if ctx.settings.fulfillment_engine == "spark":
        from accord.fulfillment.spark import aggregate_on_spark

        count = aggregate_on_spark

    return package_counts(
        root,
        prepared.package,
        prepared.plan,
        prepared.locations,
        dictionaries=prepared.dictionaries,
        glossary=prepared.glossary,
        about=prepared.about,
        progress=lambda rows, what: ctx.progress(rows, rows, what),
        count=count,
    )


def _prepare(session: Session, settings: Settings, ctx: registry.JobContext) -> Prepared:
    run = session.scalar(select(FulfillmentRun).where(FulfillmentRun.job_id == ctx.job_id))
    if run is None:
        raise JobFailed(f"No fulfillment run belongs to job {ctx.job_id}.")
    agreement = session.get(Agreement, run.agreement_id)
    assert agreement is not None
    actor = actor_named(session, ctx.who)
    try:
        proposal, agreement = agreement_for(
            session, actor, agreement.proposal_id, Action.RUN_FULFILLMENT
        )
        # the agreement may have been suspended or have ended since the run was queued
        require_deliverable(proposal, agreement, date.today())
    except AccordError as exc:
        raise JobFailed(f"{exc.message} The run stopped; {NOTHING_KEPT}.") from exc
    plan = plan_from_json(run.plan)
    locations = {d.dataset_id: _location(session, settings, d) for d in plan.datasets}
    dictionaries = {d.name: _dictionary(session, actor, d, plan.release) for d in plan.datasets}
    glossary: dict[str, GlossaryEntry] = {}
    for d in dictionaries.values():
        for entry in d.glossary:
            glossary.setdefault(entry.term, entry)
    return Prepared(
        plan=plan,
        actor=actor,
        key=pseudonym_key(settings, plan_record(session, settings, agreement)),
        locations=locations,
        dictionaries=dictionaries,
        glossary=tuple(glossary[t] for t in sorted(glossary)),
        about=_about(session, proposal, agreement),
        package=f"agreement-{proposal.id}-v{agreement.version}-run-{run.id}",
        encrypt_for=run.encrypted_for,
    )


def _location(session: Session, settings: Settings, dataset: DatasetPlan) -> SourceLocation:
    row = session.get(Dataset, dataset.dataset_id)
    source = session.get(Source, row.source_id) if row and row.source_id else None
    if source is None or source.kind not in ("database", "files"):
        raise JobFailed(
            f"{dataset.name} has no database or file source to extract from; {NOTHING_KEPT}."
        )
    try:
        if source.kind == "database":
            return SourceLocation("sql", connection_url(source, settings.key))
        return SourceLocation("files", source.location)
    except AccordError as exc:
        raise JobFailed(f"{source.name}: {exc.message} {NOTHING_KEPT}.") from exc


def delivered_dictionary(session: Session, actor: Actor, dataset: DatasetPlan) -> Dictionary:
    """The catalog's dictionary of the dataset, cut to the fields that leave, each described as
    it is in the package (a generalised date is text, a pseudonym has no valid values) and as
    published: a draft does not leave the department."""
    full = build_dictionary(session, actor, dataset.dataset_id, published=True)
    rules = {f.name: f.rule for f in dataset.delivered}
    fields = []
    for f in full.fields:
        rule = rules.get(f.name)
        if rule is None:
            continue
        if rule is not Rule.KEEP:
            f = dataclasses.replace(
                f,
                data_type=DELIVERED_TYPE[rule],
                definition=f"{f.definition}\n\nIn this delivery: {rule.label.lower()}.".strip(),
                valid_values=() if rule is Rule.PSEUDONYMISE else f.valid_values,
                primary_key=f.primary_key and rule is Rule.PSEUDONYMISE,
            )
        fields.append(f)
    names = {f.name for f in fields}
    glossary = tuple(
        dataclasses.replace(g, fields=tuple(x for x in g.fields if x in names))
        for g in full.glossary
        if names & set(g.fields)
    )
    return dataclasses.replace(full, fields=tuple(fields), glossary=glossary)


def _dictionary(session: Session, actor: Actor, dataset: DatasetPlan, release: str) -> Dictionary:
    """The dictionary of what leaves: the records' fields, or for an aggregate release the
    dimensions, the count and its annotation."""
    if release != "aggregate":
        return delivered_dictionary(session, actor, dataset)
    from accord.fulfillment.aggregate import aggregate_dictionary, released_dataset

    return aggregate_dictionary(delivered_dictionary(session, actor, released_dataset(dataset)))


def _about(session: Session, proposal: Proposal, agreement: Agreement) -> About:
    """What the recipient's README says of the agreement."""
    parties = select(Department).where(Department.id.in_(proposal.departments()))
    names = {d.id: d.name for d in session.scalars(parties)}
    use = "\n\n".join(
        text
        for text in (
            agreement.use,
            f"Authorised users: {agreement.authorised_users}" if agreement.authorised_users else "",
            f"Re-disclosure: {agreement.redisclosure}" if agreement.redisclosure else "",
        )
        if text
    )
    return About(
        title=agreement.use_case_name or proposal.title,
        provider=", ".join(names[d] for d in proposal.departments("provider")),
        recipient=", ".join(names[d] for d in proposal.departments("recipient")),
        permitted_use=use,
        disposal=agreement.destruction_return,
        ends_on=agreement.end_date.isoformat() if agreement.end_date else "",
    )


LEFTOVER = re.compile(r"^\.agreement-\d+-v\d+-run-(\d+)\b")
# a package moved into place whose run was killed before it was recorded
UNRECORDED = re.compile(r"^agreement-\d+-v\d+-run-(\d+)(\.zip(\.age)?)?$")


def _remove_leftovers(settings: Settings, root: Path) -> None:
    """A worker killed mid-run leaves its hidden temporary files, or, killed between moving
    its package into place and recording it, a package no record knows (so none can deliver
    it); the next run removes those of every run that is no longer going, keeping the
    packages of runs that recorded theirs (a live run's files are left alone)."""
    hidden = {p: int(m.group(1)) for p in root.glob(".*") if (m := LEFTOVER.match(p.name))}
    shown = {
        p: int(m.group(1)) for p in root.glob("agreement-*") if (m := UNRECORDED.match(p.name))
    }
    if not hidden and not shown:
        return
    with transaction(settings, read_only=True) as session:
        runs = session.execute(
            select(FulfillmentRun.id, FulfillmentRun.package, Job.status)
            .join(Job, FulfillmentRun.job_id == Job.id)
            .where(FulfillmentRun.id.in_({*hidden.values(), *shown.values()}))
        ).all()
    live = {run for run, _, status in runs if status in ACTIVE}
    recorded = {run for run, package, _ in runs if package}
    doomed = [p for p, run in hidden.items() if run not in live]
    doomed += [p for p, run in shown.items() if run not in live | recorded]
    for path in doomed:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _discard(root: Path, package: str) -> None:
    shutil.rmtree(root / package, ignore_errors=True)
    (root / f"{package}.zip").unlink(missing_ok=True)
    (root / f"{package}.zip.age").unlink(missing_ok=True)


def actor_named(session: Session, username: str) -> Actor:
    """Whom work done later on someone's behalf runs as: that person, while still active."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active:
        raise NotAuthenticated(f"{username} can no longer run fulfillment.")
    return actor_for(user, via="worker")


registry.register(KIND, run_fulfillment_job)


def fulfill_now(
    settings: Settings, actor: Actor, proposal_id: int, progress: Progress | None = None
) -> FulfillmentRun:
    """Run a fulfillment in this process (the CLI's way), recorded as a job exactly like one a
    worker runs. Raises JobCancelled, KeyboardInterrupt, or AccordError with the job's message."""
    me = worker.worker_id()
    with transaction(settings) as session:
        run = start_run(session, actor, settings, proposal_id, claim_as=me)
        job_id = run.job_id
    try:
        outcome = worker.run_job(settings, job_id, me, progress=progress, reraise=True)
    except JobFailed as exc:
        raise AccordError(exc.message) from exc
    assert isinstance(outcome.result, FulfillmentRun), outcome
    return outcome.result
